/*
 * entry.h: the journal entry record (usage-to-cash(5), "journal entry"):
 * its struct, the lines of a double entry, and its writers.  The record
 * as JSON (entry_json) is what the ledger keeps and --format ndjson
 * writes; every other journal format (hledger, ledger, beancount) is
 * written from that JSON record by entry_write, and the ERPs' import
 * files (NetSuite, Xero, QuickBooks) by impfile.h, so a stored entry
 * sent again is the same in any format.
 * How a document becomes entries (the posting rules, FX, balancing) is
 * posting.h's; this module only holds and writes what it is given, and
 * reads a stored record back as it is written (entry_read, reconcile's
 * reader of the journal).
 */
#ifndef ENTRY_H
#define ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "accounts.h"
#include "dec.h"
#include "hmap.h"
#include "util.h"

#define ENTRY_IDLEN	40

/* One line of an entry: amount > 0 is a debit, < 0 a credit. */
struct entry_line {
	const char	*account;
	dec		 amount, famount;	/* transaction, functional */
	const char	*memo;
	const char	*rated_key;
};

struct entry {
	char		 id[ENTRY_IDLEN];
	const char	*type;		/* document, recognition, payment */
	const char	*payref;	/* payment: its reference */
	int64_t		 day, doc_day;
	struct entry_line *l;
	size_t		 n, cap;
};

/* What an entry's record says of its document and currencies. */
struct entry_doc {
	const char	*kind, *number, *ref, *entity, *customer;
	const char	*currency, *fcur;	/* transaction, functional */
	const char	*key;		/* the correlation id; NULL: the entry's */
	int64_t		 version;
	dec		 fx;		/* with has_fx: functional per unit */
	int		 has_fx, minor, fminor;
};

/* A line; one of amount 0 is left out (an entry lists what moves). */
void	entry_add(struct entry *, const char *account, dec amount,
	    const char *memo, const char *rated_key);
/* A line as it is, with its functional amount: even one of amount 0. */
void	entry_push(struct entry *, const char *account, dec amount,
	    dec famount, const char *memo, const char *rated_key);
void	entry_free(struct entry *);
/* The entry's record, one line of NDJSON, appended to the buffer. */
void	entry_json(const struct entry_doc *, const struct entry *,
	    struct buf *);

/* The output formats, in --format's order. */
enum entry_fmt { ENTRY_NDJSON, ENTRY_HLEDGER, ENTRY_LEDGER, ENTRY_BEANCOUNT,
    ENTRY_NETSUITE, ENTRY_XERO, ENTRY_QBO };
extern const char *const entry_fmt_names[];
#define ENTRY_NFMT	7

/* An entry of a plain-text format, kept until the run ends. */
struct entry_kept {
	char		 day[16];
	size_t		 off, len, seq;
};

/* A writer of records in one format: what it wrote before matters. */
struct entry_out {
	enum entry_fmt	 fmt;
	struct hmap	 opened;	/* text: "account X", "commodity X"
					   declared */
	struct buf	 dcom, decl;	/* text: declarations to write */
	struct buf	 text;		/* text: the entries kept */
	struct entry_kept *kept;
	size_t		 nkept, capkept;
	char		 last[16];	/* text: the journal's last date */
};
void	entry_out_init(struct entry_out *, enum entry_fmt);
void	entry_out_free(struct entry_out *);
/*
 * A stored record in the writer's format, appended: 0, -1 if not JSON or
 * the format is an ERP's (those files are impfile.h's).  A plain-text
 * format (hledger, ledger, beancount) appends nothing: its entries are
 * kept for entry_out_end.
 */
int	entry_write(struct entry_out *, const char *rec, size_t len,
	    struct buf *);
/*
 * Plain text: the declarations (accounts and commodities; beancount's
 * opens) of the entries kept that the journal does not have yet, then
 * the entries in date order (stable), appended.  1 when the first is
 * dated before the last one the journal had (hledger's ordereddates
 * check will refuse the file), else 0.
 */
int	entry_out_end(struct entry_out *, struct buf *);
/*
 * The journal file the output goes to the end of: its declarations are
 * not written again, and its last date is remembered.  0 (also when it
 * does not exist yet), -1 with errno when it cannot be read.
 */
int	entry_out_journal(struct entry_out *, const char *path);
/* 1 when beancount takes the name as an account's. */
int	entry_bean_account(const char *);
/*
 * The first account of the books that beancount would not take, else
 * NULL; *mapped is 1 when it is one of a charge's, tax code's or tax
 * category's.
 */
const char *entry_bean_books(const struct books *, int *mapped);

/* For the ERP import files (impfile.c): what an entry is, for people. */
void	entry_narration(json_t *e, char *buf, size_t n);

/*
 * A journal entry record as written, for a reader that compares rather
 * than refuses: strings as they are (NULL when absent or not strings),
 * the document's version 0 when not a whole number.  Strings point into
 * the record's tree.
 */
struct entry_rec {
	const char	*id, *type, *entity, *currency;
	const char	*number;	/* its document's */
	const char	*date, *fcur;	/* the entry's day, functional currency */
	int64_t		 version;	/* its document's */
	json_t		*lines;		/* NULL when not an array */
	size_t		 nlines;
};

/* A line of the record: an amount that is not an exact decimal is 0. */
struct entry_rec_line {
	const char	*account;
	dec		 debit, credit;
};

struct jrec;

/*
 * The current record of jr as a journal entry, lenient: no schema or
 * member is checked.  0, or -1 when it is not one at all (its kind is
 * not "journal_entry", or it has no id): the caller says so, or not.
 */
int	entry_read(const struct jrec *, struct entry_rec *);
/* Line i of the record (i < nlines). */
void	entry_read_line(const struct entry_rec *, size_t i,
	    struct entry_rec_line *);

#endif
