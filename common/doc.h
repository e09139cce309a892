/*
 * doc.h: the document record (usage-to-cash(5), "the invoice record"):
 * an invoice, credit note or debit note as invoice-gen makes it, and
 * its writer, the one place its fields and their order are written.
 * A reader, for erp-post, reconcile and invfmt, comes later; the kinds'
 * names and the number formats are in entities.h (doc_kind_name,
 * doc_number).  The amounts come from invoice.h, the FX rate from
 * fxtab.h; the renderings for people are invfmt.h's.
 */
#ifndef DOC_H
#define DOC_H

#include <stdint.h>

#include "entities.h"
#include "fxtab.h"
#include "invoice.h"
#include "keys.h"
#include "util.h"

#define DOC_NUMLEN	65

struct doc {
	enum doc_kind	 kind;
	int		 draft;
	int64_t		 version;	/* 0 the invoice, then its notes */
	char		 number[DOC_NUMLEN];
	const char	*ref;		/* the invoice a note corrects */
	unsigned char	 key[KEY_LEN];
	const struct inv_head *h;	/* its invoice key */
	struct inv_state *d;		/* what it carries */
	int64_t		 issue_day, due_day;
	struct inv_totals tot;
	const struct fxrate *fx;	/* NULL: in the functional currency */
	dec		 fx_net, fx_tax, fx_total;
};

/*
 * The kind of a document: the first of an invoice key is its invoice;
 * then a credit note for less, a debit note for more.
 */
enum doc_kind	doc_kind_of(int first, const struct inv_totals *);
/* The key of an invoice key's document of this version. */
void	doc_key(const unsigned char *invoice_key, int64_t version,
	    unsigned char *out);
/* The record, one line of JSON and its newline, appended to the buffer. */
void	doc_json(const struct doc *, struct buf *);

#endif
