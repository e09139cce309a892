/*
 * recon.h: the reconciliation, what reconcile proves: that each stage
 * says what the one before it said.  This module owns what is kept of
 * each record read (an aggregate, a rated line, a document, a tax
 * category of an invoice key, a journal entry: keys, amounts, links),
 * the comparisons of one stage with the next (aggregates and rated
 * lines, rated lines and documents, the tax again, documents and the
 * journal, the ledger's postings), what is
 * missing from them that the ledger has (its documents, in the window
 * of the periods checked, not among those read or never posted), each
 * mismatch an exception record (exc.h) within --tolerance, the totals
 * of each stage per currency, the documents that agree, and the report
 * that --format html renders (recfmt.h).
 *
 * Not here: reading and refusing input (reconcile reads each record
 * with its kind's module, doc.h, rated.h, aggrec.h, entry.h, and adds
 * it here), the usage in the ledger against the aggregates
 * (recusage.h), the ERP's confirmations and export (recerp.h), --explain
 * (explain.h), and the run's counters, summary
 * and exit code (reconcile).
 */
#ifndef RECON_H
#define RECON_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "accounts.h"
#include "dec.h"
#include "exc.h"
#include "hmap.h"
#include "util.h"

struct aggrec_view;
struct doc_rec;
struct entry_rec;
struct jrec;
struct ledger;
struct rated_view;

/* What each input says, kept small: keys, amounts, links. */
struct recon_agg {
	const char	*key;		/* the aggs table's copy */
	char		*lineage;
	const char	*customer, *meter, *ps, *pe, *unit;	/* interned */
	dec		 quantity;
	int64_t		 events;
	int		 rated, found;	/* found: recomputed from usage too */
};

struct recon_line {
	const char	*key;		/* the rated table's copy */
	char		*lineage;
	const char	*customer, *charge, *type, *currency, *ps, *pe;
	const char	**aggs;	/* the aggs table's copies, or interned */
	size_t		 naggs;
	dec		 amount, invoiced;
	int		 seen;		/* on some document */
	const char	*doc;		/* the first document it is on */
};

struct recon_doc {
	char		*number, *ikey, *ref;
	const char	*kind, *entity, *customer, *currency, *ps, *pe;
	int64_t		 version;
	dec		 due, total, net, tax, credit;
	int		 posted;	/* document entries found */
	int		 nothing;	/* every amount 0: erp-post posts none */
	int		 bad;		/* an exception names it */
	char		*first_entry;
};

/* An invoice key's tax category, over all its documents. */
struct recon_tax {
	char		*ikey, *number;
	const char	*cat, *customer, *currency, *rounding;
	dec		 rate, base, tax;
	int		 inclusive, minor;
};

/* What an entry moves on one account, in the functional currency. */
struct recon_acct {
	const char	*account;	/* interned */
	dec		 net;		/* debit - credit */
};

struct recon_entry {
	char		*id, *number;
	const char	*type, *entity;
	const char	*date, *fcur;	/* interned: the ERP's date, currency */
	int64_t		 version;
	dec		 debit, credit, receivable, revenue, tax;
	dec		 fdebit, fcredit;	/* functional, as the ERP books */
	struct recon_acct *acct;	/* by account, for --confirmations */
	size_t		 nacct;
	int		 unknown_account, seen;
	int		 in_erp;	/* in the ERP's export, this many times */
	char		*bad_account;
};

struct recon {
	/* set by the caller before the checks */
	dec		 tolerance;	/* a difference this small agrees */
	int		 text;		/* exceptions as text, not NDJSON */
	int		 books;	/* accounts given: receivable, revenue, tax */
	int64_t		 as_of, max_pending;
	struct accounts	 acc;		/* the entities' books, or none */
	struct ledger	*ldg;		/* NULL: no ledger */
	/*
	 * The window of the checks against the ledger: the billing periods
	 * that end after from and at or before to, as meter-aggregate's
	 * --from and --to select them.  INT64_MIN (from) until recon_window
	 * or the caller sets it; INT64_MIN and INT64_MAX when the inputs
	 * give no period: all of the ledger.
	 */
	int64_t		 from, to;

	struct hmap	 aggs, rated, docs, entries, taxes;
	/*
	 * Strings many records share (customers, periods, charges,
	 * currencies...), kept once: at 10k customers the rated lines alone
	 * would hold a million copies.
	 */
	struct hmap	 strs;
	struct recon_agg **av;
	struct recon_line **rv;
	struct recon_doc **dv;
	struct recon_entry **ev;
	struct recon_tax **tv;
	size_t		 na, nr, nd, ne, nt;
	struct hmap	 totals;	/* currency -> what each stage says */

	/*
	 * The numbers of the ledger's documents missing from the invoices,
	 * which the rated lines they bill point at (recon_line's doc).
	 */
	char		**lost;
	size_t		 nlost;

	/*
	 * --confirmations (recerp.h): each entry id the ERP has, its first
	 * move's reference as value; whether the file is an ERP's
	 * export of all it holds (records of kind "erp_move"), so that an
	 * entry absent from it is an exception.
	 */
	struct hmap	 erp_seen;
	int		 erp_export;

	struct buf	 out;		/* the exceptions, as written */
	uint64_t	 nexc;
	dec		 variance;	/* the sum of |difference| */
	uint64_t	 docs_ok, docs_done;	/* done: posted and confirmed */
	int64_t		 latency_sum;
	uint64_t	 latency_n;
};

/* Empty tables; the caller sets the options and loads acc after. */
void	recon_init(struct recon *);
/* Everything, acc included. */
void	recon_free(struct recon *);

/*
 * Each record, as its kind's reader gives it, kept once: a key (or a
 * document number) seen before is passed over.  A rated line names its
 * aggregates; a document's lines count toward their rated lines' amounts
 * invoiced, so rated lines are added before documents; an entry's roles
 * are its books' (acc).
 */
void	recon_add_agg(struct recon *, const struct aggrec_view *);
void	recon_add_rated(struct recon *, const struct rated_view *);
void	recon_add_doc(struct recon *, const struct doc_rec *);
void	recon_add_entry(struct recon *, const struct entry_rec *);

/*
 * An exception: written to out unless it is only an amount that differs
 * by no more than the tolerance; the document it names no longer agrees.
 */
void	recon_exc(struct recon *, const struct exc *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The window, unless the caller set it (from other than INT64_MIN): from
 * one second before the earliest period end of the aggregates, rated
 * lines and documents read to the latest; all of the ledger when none
 * has a period.
 */
void	recon_window(struct recon *);
/* aggregates -> rated lines: every aggregate rated, lineages matching */
void	recon_check_aggregates(struct recon *);
/*
 * The ledger's documents -> the documents read: every document issued
 * in the ledger whose period ends in the window is among them; one that
 * is not bills its rated lines all the same (before
 * recon_check_invoiced).  Needs ldg.
 */
void	recon_check_issued(struct recon *);
/* rated lines -> documents: each invoiced at its amount, after notes */
void	recon_check_invoiced(struct recon *);
/* each invoice key's tax per category computed again (inv_tax) */
void	recon_check_tax(struct recon *);
/* documents -> journal: each posted once, in full, to its accounts */
void	recon_check_posted(struct recon *);
/*
 * The ledger's documents -> its postings: every document issued in the
 * ledger, of any period, has an entry posted, but those of nothing
 * (every amount 0), of which erp-post makes no entry.  Needs ldg.
 */
void	recon_check_unposted(struct recon *);
/*
 * One of the ledger's postings (ldg_postings_all's callback, arg the
 * struct recon): none failed, none pending past max_pending; the
 * confirmed ones' latency counted.
 */
int	recon_check_posting(const char *id, const char *number,
	    const char *state, const char *ref, int64_t emitted,
	    int64_t updated, void *arg);
/* The documents no exception names: docs_ok. */
void	recon_count_agreeing(struct recon *);

/* The report that recfmt_html renders: counts, stage totals, exceptions. */
json_t	*recon_report(struct recon *);

#endif
