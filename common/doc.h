/*
 * doc.h: the document record (usage-to-cash(5), "the invoice record"):
 * an invoice, credit note or debit note as invoice-gen makes it, and
 * its writer, the one place its fields and their order are written.
 * And its reader, the one place a stored document's members are
 * found and parsed, for erp-post (posting.c), reconcile and the
 * renderings (invfmt.c).  The reader refuses nothing: it says what each
 * member is and whether it is of its form, and each of those keeps its
 * own policy, its order of checks and its messages (erp-post refuses a
 * document, reconcile counts a bad amount as 0, invfmt says why it
 * cannot render).  The kinds' names and the number formats are in
 * entities.h (doc_kind_name, doc_number).  The amounts come from
 * invoice.h, the FX rate from fxtab.h; the renderings for people are
 * invfmt.h's.
 */
#ifndef DOC_H
#define DOC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

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
	/* progressive billing: an interim invoice, and those it deducts */
	int		 interim;
	char		**deducts;	/* their numbers, in order */
	size_t		 ndeducts;
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

/* ---- reading a stored document ---- */

struct jrec;

/*
 * A decimal member as found: v the member (NULL when absent), s its
 * string (NULL when absent, null or not a string) and, when ok, the
 * exact decimal number s spells (d).
 */
struct doc_amt {
	json_t		*v;
	const char	*s;
	dec		 d;
	int		 ok;
};

/* A time member: its string, and its instant when ok (RFC 3339). */
struct doc_time {
	const char	*s;
	int64_t		 t;
	int		 ok;
};

/*
 * The entity or the customer.  Strings are as written (NULL when absent
 * or not strings), an empty one too: a renderer that wants text checks.
 */
struct doc_party {
	json_t		*o;		/* NULL when not an object */
	const char	*id, *name, *tax_id, *country, *region;
	const char	*peppol_id, *buyer_reference, *legal_id;
	/* the entity's bank account: "bank"'s members */
	const char	*iban, *bic, *account, *routing, *holder;
	json_t		*address;	/* the member as found */
	/* the address's members, in the order a line of text gives them */
	const char	*line1, *line2, *postal_code, *city;
	const char	*addr_region, *addr_country;
};

struct doc_fx {
	const char	*from, *to, *date;
	struct doc_amt	 rate, net, tax, total;
};

/* A document record as stored: every member the stages read. */
struct doc_rec {
	json_t		*j;
	const char	*kind, *state, *number, *ref, *key, *invoice_key;
	const char	*currency, *fcur, *timezone, *corr, *lineage;
	int64_t		 version;
	int		 version_ok;	/* a whole number, 0 to INT32_MAX */
	const char	*issue_date, *due_date;
	int64_t		 issue_day, due_day;	/* INT64_MIN: not a date */
	struct doc_time	 ps, pe;
	struct doc_party entity, customer;
	json_t		*lines, *taxes;	/* NULL when not arrays */
	size_t		 nlines, ntaxes;
	struct doc_amt	 net, tax, total, credit, due;
	json_t		*fxv;		/* "fx" as found: NULL absent */
	struct doc_fx	 fx;		/* its members, when an object */
};

/* A line of the document. */
struct doc_line {
	json_t		*o;		/* NULL when not an object */
	int64_t		 no;		/* "line", when has_no */
	int		 has_no;	/* "line" is a JSON integer */
	const char	*rated_key, *line_type, *charge, *name, *tax_code;
	const char	*tax_category, *lineage;
	struct doc_amt	 qty, net, gross, rate;
	struct doc_time	 ss, se;	/* service period */
};

/* A tax line: a category's base and tax. */
struct doc_taxl {
	json_t		*o;		/* NULL when not an object */
	const char	*category, *name, *note, *rounding;
	int		 inclusive;	/* true, not only present */
	struct doc_amt	 rate, base, tax;
};

/*
 * What the record j says.  The version is read exactly from jr, the
 * record's parse (jrec.h), when given; without it, from a JSON integer.
 * Strings point into j: it must outlive what is read.
 */
void	doc_read(json_t *j, const struct jrec *jr, struct doc_rec *);
/* Line i of lines, tax line i of tax_lines (i < nlines, ntaxes). */
void	doc_line_read(const struct doc_rec *, size_t i, struct doc_line *);
/*
 * Line i's link to its rated line only: o, rated_key, net and gross, the
 * rest left empty.  Reconcile reads every line of a month's documents
 * and needs no more.
 */
void	doc_line_link(const struct doc_rec *, size_t i, struct doc_line *);
/*
 * What posting reads of line i: the link, and its charge, name, line
 * type, tax code and service period; the rest left empty.  erp-post
 * reads each line of a month's documents twice.
 */
void	doc_line_post(const struct doc_rec *, size_t i, struct doc_line *);
void	doc_taxl_read(const struct doc_rec *, size_t i, struct doc_taxl *);

#endif
