/*
 * ledger.h: the shared ledger, behind business operations.
 *
 * The stages see these operations and nothing else.  ledger.c writes
 * them against a storage engine (ldg_engine.h): SQLite (ldg_sqlite.c),
 * or PostgreSQL (ldg_pg.c) for sites that outgrow one machine, each with
 * every SQL statement of the project in its dialect.  The key
 * index (keyidx.h) keeps usage records' idempotency keys.  The schema is
 * documented in usage-to-cash(5).
 *
 * Writes happen in batches: ldg_begin() takes the write lock (BEGIN
 * IMMEDIATE, waiting up to the busy timeout), ldg_commit() makes the batch
 * durable (WAL, synchronous=FULL).  A stage writes its output for a batch
 * only after the commit, so a crash at any point leaves the ledger and the
 * outputs consistent and a re-run completes the work.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "dec.h"

#define LDG_SCHEMA	12		/* PRAGMA user_version */
#define LDG_APPID	0x55324301	/* PRAGMA application_id: "U2C" 1 */
#define LDG_DEFAULT	"ledger.sqlite"
#define LDG_ENV		"METER_LEDGER"
#define LDG_KEYLEN	16		/* BLAKE2b-128 */
#define LDG_BUSY_MS	10000
#define LDG_HOT_KEYS	250000		/* usage-to-cash(5), "key index" */

struct ledger;

/* The path to use: the option, else $METER_LEDGER, else ./ledger.sqlite */
const char	*ldg_path(const char *opt);
/*
 * A ledger string names PostgreSQL (ldg_pg.c) when it is a URL of scheme
 * postgresql:// or postgres://, or a libpq keyword/value string (it
 * starts with letters or _ and then, after optional blanks, '='); else
 * it is the path of an SQLite file.  ldg_redact: the string as messages
 * show it, any password as ***, to free.
 */
int		 ldg_is_pg(const char *);
char		*ldg_redact(const char *);
/* The ledger as messages and records name it: its path, or redacted. */
const char	*ldg_name(const struct ledger *);
/*
 * One process at a time for a job on this ledger (erp-send's sending):
 * an exclusive lock named name, held until ldg_close or exit, also when
 * the process dies.  0: taken; 1: another process holds it, and what
 * names the lock for the message (on SQLite the file LEDGER.NAME.lock,
 * flock(2), one such lock a ledger handle; on PostgreSQL a session
 * advisory lock).
 */
int		 ldg_hold(struct ledger *, const char *name, char *what,
		    size_t whatlen);
/*
 * Open (creating with mode 0600 when missing) and migrate the schema.
 * Dies with 75 when locked past the timeout, 78 when the file is not a
 * ledger or is newer than this program, 73/74 on I/O errors.
 */
#define LDG_EXISTING	0x1	/* do not create: a missing ledger is 66 */
/*
 * The caller reads the ledger in one pass (a scan, a report) or writes a
 * few rows a record (rate, invoice-gen): a page cache of 2 MiB instead of
 * 16, which erp-post's postings, at random places of their table, use.
 */
#define LDG_LEAN	0x2
/*
 * The caller appends usage records in batches (meter-ingest): a page
 * cache of 8 MiB, which holds a batch's dirty pages (a few MiB) and the
 * key index's inner pages.  With 2 MiB SQLite spilled dirty pages into
 * the WAL before the commit and read them back, writing 2.6 times the
 * WAL and reading 3.5 times more from it.
 */
#define LDG_APPEND	0x4
/*
 * The caller only reads (meter-ingest --replay, reconcile --ledger): a
 * ledger the user may read but not write (an auditor; a file of mode
 * 0444; a directory they cannot write) is opened read-only, with SQLite's
 * immutable=1 when its directory cannot be written and no -wal or -shm
 * file is there.  A ledger the user may write is opened as without the
 * flag, and so is one that must be written first (an empty file to make
 * a ledger of, an older schema to migrate).  Implies LDG_EXISTING.
 */
#define LDG_READONLY	0x8
struct ledger	*ldg_open(const char *path, int busy_ms, int flags);
void		 ldg_close(struct ledger *);
void		 ldg_set_hot_keys(struct ledger *, int64_t);
void		 ldg_begin(struct ledger *);
void		 ldg_commit(struct ledger *);
void		 ldg_rollback(struct ledger *);

/* Usage records: the usage system of record. */
struct ldg_usage {
	int64_t			 t;		/* event time, ns UTC */
	int64_t			 ingested;	/* --as-of of the accepting run */
	const unsigned char	*key;		/* LDG_KEYLEN bytes */
	const unsigned char	*digest;	/* LDG_KEYLEN bytes */
	const char		*customer;
	size_t			 customer_len;	/* filled by the scans */
	const char		*source;
	const char		*id;
	const char		*type;
	size_t			 type_len;	/* filled by the scans */
	const char		*subject;
	const char		*corr;		/* NULL: the key in hex */
	const unsigned char	*data;		/* packed (pack.h) */
	size_t			 datalen;
	int64_t			 seq;		/* acceptance order (scan) */
	int64_t			 gone;		/* ldg_usage_scan_all: the seq
						   of the correction that
						   replaced it, else 0 */
};

enum { LDG_NEW, LDG_DUP, LDG_CONFLICT };

/*
 * A hint: the caches lines ldg_usage_put will need for key, fetched now,
 * while the caller works on an earlier record.  Costs nothing else.
 */
void	ldg_prefetch(const struct ledger *, const unsigned char *key);

/*
 * Claim an event's idempotency key and store its record.  LDG_NEW: the
 * key was free; it is taken and the record stored, both in the current
 * batch.  LDG_DUP: taken with the same content digest; nothing stored.
 * LDG_CONFLICT: taken with another digest, *orig_t is the stored event's
 * time; nothing stored.  Must be inside ldg_begin/ldg_commit.
 */
int		 ldg_usage_put(struct ledger *, const struct ldg_usage *,
		    int64_t *orig_t);
/*
 * Records with from <= t < to, by UTC day of t and then in the order they
 * were accepted; cb returns 0 to go on.
 */
int		 ldg_usage_scan(struct ledger *, int64_t from, int64_t to,
		    int (*)(const struct ldg_usage *, void *), void *);
/*
 * The same rows with only what metering reads: t, key, customer, type,
 * data and seq; the other fields are NULL or 0.
 */
int		 ldg_usage_scan_lean(struct ledger *, int64_t from, int64_t to,
		    int (*)(const struct ldg_usage *, void *), void *);
/*
 * Every record stored, in the same order, the ones corrections replaced or
 * cancelled too (their gone set), every field: an auditor's view.
 */
int		 ldg_usage_scan_all(struct ledger *,
		    int (*)(const struct ldg_usage *, void *), void *);
/*
 * A read transaction until ldg_read_end, and the state of the usage
 * records it sees: two connections with equal states see the same
 * records (meter-aggregate's parallel scan).
 */
void		 ldg_read_begin(struct ledger *, int64_t state[3]);
void		 ldg_read_end(struct ledger *);
/* The first and last UTC day (since 1970) with records in [from, to]. */
int		 ldg_usage_days(struct ledger *, int64_t from, int64_t to,
		    int64_t *first, int64_t *last);
/* The record of (t's day, seq) to cb; -1 when there is none. */
int		 ldg_usage_get(struct ledger *, int64_t t, int64_t seq,
		    int (*)(const struct ldg_usage *, void *), void *);
/*
 * Delete records and keys with t < before; returns how many records.
 * The ledger remembers the latest such horizon: an event older than it
 * could no longer be recognised as a duplicate, so ingest refuses it.
 */
int64_t		 ldg_usage_prune(struct ledger *, int64_t before);
int64_t		 ldg_pruned_before(struct ledger *);	/* INT64_MIN: never */

/*
 * meter-ingest --changed-since: the earliest event time (*t) among the
 * records that runs with --as-of at or after since stored, and the
 * records their corrections replaced (a correction changes the periods
 * of both versions): 0, or -1 when there is none.
 */
int		 ldg_usage_changed(struct ledger *, int64_t since, int64_t *t);

/*
 * meter-ingest(1)'s corrections: an event (its record in u, with its own
 * key and digest) that amends or cancels the event of id target of the
 * same source.  LDG_NEW: the correction's key is claimed, its record
 * stored, and the effective version of the target's event (the original
 * or its latest amendment) stops counting, replaced by u (amend) or by
 * nothing (cancel); fx->replaced is that version's key.  LDG_DUP and
 * LDG_CONFLICT as for ldg_usage_put (fx->orig_t).  LDG_UNKNOWN: the
 * ledger holds no event of that id; LDG_CANCELLED: the event was
 * cancelled, by the event of id fx->by.  Nothing is stored but for
 * LDG_NEW.  Inside ldg_begin/ldg_commit.
 */
enum { LDG_UNKNOWN = 10, LDG_CANCELLED };
enum { LDG_AMEND = 1, LDG_CANCEL };
struct ldg_fix {
	int		 kind;			/* LDG_AMEND, LDG_CANCEL */
	const char	*target;		/* the id amended, cancelled */
	unsigned char	 replaced[LDG_KEYLEN];	/* out */
	int64_t		 orig_t;		/* out: LDG_CONFLICT */
	char		 by[257];		/* out: LDG_CANCELLED */
};
int		 ldg_usage_fix(struct ledger *, const struct ldg_usage *,
		    struct ldg_fix *);

/*
 * rate(1)'s prepaid credits.  A grant (from the catalog) is recorded once
 * under (customer, id): LDG_NEW, LDG_DUP when recorded with the same
 * currency, amount, time, expiry, priority and paid, LDG_CONFLICT when
 * not.  A period draws at most once: one draw per (customer, currency,
 * period_start), with the grants it used, replaced when the period is
 * rated again.  All inside ldg_begin/ldg_commit.
 */
struct ldg_grant {
	const char	*customer, *id, *currency;
	dec		 amount;
	int64_t		 granted;
	int64_t		 expires;	/* INT64_MAX: never */
	int64_t		 priority;	/* lower drawn first */
	int		 paid;		/* 0: promotional */
};
int		 ldg_credit_grant(struct ledger *, const struct ldg_grant *,
		    int64_t now);
/*
 * A customer's grants in a currency, in the order a period draws on
 * them (priority, the soonest expiry, the oldest, the id), each with
 * what the other periods than period_start drew on it and what that
 * period drew (INT64_MIN: none is that period).  A draw recorded before
 * draws named their grants (schema 10) is taken off the grants oldest
 * first.  The number of grants; *v, strings included, is freed by
 * ldg_credit_grants_free.
 */
struct ldg_grant_bal {
	struct ldg_grant g;
	dec		 others, mine;
};
size_t		 ldg_credit_grants(struct ledger *, const char *customer,
		    const char *currency, int64_t period_start,
		    struct ldg_grant_bal **v);
void		 ldg_credit_grants_free(struct ldg_grant_bal *, size_t);
/*
 * 1 with the amount drawn and the balance it was drawn from when the
 * period has drawn, else 0.
 */
int		 ldg_credit_drawn(struct ledger *, const char *customer,
		    const char *currency, int64_t period_start, dec *amount,
		    dec *balance);
/* The draw of a period and the grants it used (id, amount), in order. */
struct ldg_draw_part {
	const char	*grant;
	dec		 amount;
};
void		 ldg_credit_draw(struct ledger *, const char *customer,
		    const char *currency, int64_t period_start,
		    int64_t period_end, dec amount, dec balance,
		    const struct ldg_draw_part *, size_t nparts, int64_t now);
/* A spending alert fires once per threshold and period: LDG_NEW or DUP. */
int		 ldg_alert_claim(struct ledger *, const char *customer,
		    const char *threshold, int64_t period_start,
		    int64_t period_end, dec amount, int64_t now);
/* Whether that alert was claimed: 1 or 0. */
int		 ldg_alert_claimed(struct ledger *, const char *customer,
		    const char *threshold, int64_t period_start);

/*
 * invoice-gen(1).  A number is taken from a scope's sequence (1, 2, ...)
 * in the transaction that stores its document: inside ldg_begin/commit.
 */
int64_t		 ldg_number_next(struct ledger *, const char *entity,
		    const char *scope);

/* An invoice key's state: its number and what its documents billed. */
struct ldg_inv {
	const char	*entity, *customer, *currency;	/* put only */
	int64_t		 period_start, period_end;	/* put only */
	char		*number, *state, *cum;
	int64_t		 version;
};
/* 1 with *out filled (free with ldg_inv_free), 0 when not invoiced. */
int		 ldg_inv_get(struct ledger *, const unsigned char *key,
		    struct ldg_inv *out);
void		 ldg_inv_put(struct ledger *, const unsigned char *key,
		    const struct ldg_inv *);
void		 ldg_inv_free(struct ldg_inv *);

/* A document as issued, kept for --replay and --void. */
struct ldg_doc {
	const char		*number, *entity, *kind, *total;
	const unsigned char	*key;
	int64_t			 version, issued;
	const char		*record;
	size_t			 reclen;
};
/* 0, or -1 when the number is already a document's. */
int		 ldg_doc_put(struct ledger *, const struct ldg_doc *);
/* The documents of an invoice key by version, or of one number. */
int		 ldg_docs_of(struct ledger *, const unsigned char *key,
		    int (*)(const struct ldg_doc *, void *), void *);
int		 ldg_doc_by_number(struct ledger *, const char *number,
		    int (*)(const struct ldg_doc *, void *), void *);

/*
 * erp-post(1).  A posting is a journal entry by its id: pending from the
 * run that emitted it until the ERP's acknowledgement makes it confirmed
 * (with the ERP's reference) or failed (with the reason).
 */
struct ldg_posting {
	char		*state, *erp_ref, *reason, *record;
};
/* 1 with *out (free with ldg_posting_free), 0 when never posted. */
int		 ldg_posting_get(struct ledger *, const char *id,
		    struct ldg_posting *out);
void		 ldg_posting_free(struct ldg_posting *);
/* A new posting, pending. */
void		 ldg_posting_put(struct ledger *, const char *id,
		    const char *entity, const char *number, const char *record,
		    size_t len, int64_t now);
void		 ldg_posting_state(struct ledger *, const char *id,
		    const char *state, const char *erp_ref, const char *reason,
		    int64_t now);

/*
 * erp-post(1)'s payments, by their reference: a reference seen again is
 * the same payment.  What was applied to an invoice, what was left over
 * as customer credit.
 */
struct ldg_payment {
	char		*number, *currency;
	dec		 amount;
	int64_t		 day;
};
int		 ldg_payment_get(struct ledger *, const char *reference,
		    struct ldg_payment *out);
void		 ldg_payment_free(struct ldg_payment *);
void		 ldg_payment_put(struct ledger *, const char *reference,
		    const struct ldg_payment *, dec applied, dec excess,
		    int64_t now);
/* What payments have applied to an invoice so far. */
dec		 ldg_paid(struct ledger *, const char *number);

/*
 * erp-post(1)'s credit grants, each booked once: every grant rate
 * recorded, by time granted, with the entity and the record of its
 * customer's first invoice in the grant's currency (NULL when the
 * customer has none yet), whose books and time zone it is booked in.
 * cb returns non-0 to stop.
 */
struct ldg_grant_doc {
	struct ldg_grant g;
	const char	*entity, *record;	/* NULL: no invoice yet */
	size_t		 reclen;
};
int		 ldg_grants_all(struct ledger *,
		    int (*)(const struct ldg_grant_doc *, void *), void *);

/* An invoice's receivable and its payment status. */
struct ldg_receivable {
	const char	*number, *entity, *customer, *currency, *status;
	int64_t		 due_day;
	dec		 amount, paid;
};
void		 ldg_receivable_put(struct ledger *,
		    const struct ldg_receivable *, int64_t now);
/* Every posting, by id: state, the ERP's reference, when emitted. */
int		 ldg_postings_all(struct ledger *, int (*)(const char *id,
		    const char *number, const char *state, const char *erp_ref,
		    int64_t emitted, int64_t updated, void *), void *);
/*
 * The issued documents none of whose entries is posted, in the order
 * they were stored (so each series in the order of its numbers): the
 * number and the entity of each to cb, which returns 0 to go on.  A
 * document whose every amount is 0 has no entry, so it is always among
 * them.  One pass over the postings, whatever the number of documents.
 */
int		 ldg_docs_unposted(struct ledger *, int (*)(const char *number,
		    const char *entity, void *), void *);
/* Every document, by invoice key and version. */
int		 ldg_docs_all(struct ledger *,
		    int (*)(const struct ldg_doc *, void *), void *);

/*
 * reconcile(1), which only reads: the documents whose period (their
 * invoice key's) ends after from and at or before to, in the order they
 * were stored; INT64_MIN and INT64_MAX for all of them.
 */
int		 ldg_docs_ending(struct ledger *, int64_t from, int64_t to,
		    int (*)(const struct ldg_doc *, void *), void *);

/*
 * erp-send(1)'s claims: one sender at a time per entry.  A sender claims
 * an entry (its id) in its own transaction before it calls the ERP, and
 * drops the claim once the ERP has answered and the acknowledgement is
 * written.  A claim names its owner (an opaque string: host, process)
 * and expires; another sender may take it over only when it has expired
 * or when dead(owner, arg) says its owner is gone.  Inside
 * ldg_begin/ldg_commit.
 */
struct ldg_claim {
	char		*owner;
	int64_t		 expires;
};
/*
 * LDG_NEW: the entry is the caller's until expires (*held untouched);
 * LDG_CONFLICT: another owner holds it, *held says who and until when
 * (free with ldg_claim_free).
 */
int		 ldg_claim_take(struct ledger *, const char *id,
		    const char *owner, int64_t now, int64_t expires,
		    int (*dead)(const char *owner, void *), void *arg,
		    struct ldg_claim *held);
/* Drop the caller's claim of the entry (another owner's stays). */
void		 ldg_claim_drop(struct ledger *, const char *id,
		    const char *owner, int64_t now);
void		 ldg_claim_free(struct ldg_claim *);

/*
 * The audit log (audit.h, usage-to-cash(5) "the audit log"): the
 * operations above that change state append a row each, in their
 * transaction (ldg_commit one for a batch's usage keys); every row by
 * seq to cb, which returns non-zero to stop (returned).
 */
struct audit_row;
int		 ldg_audit_scan(struct ledger *,
		    int (*)(const struct audit_row *, void *), void *);

#endif
