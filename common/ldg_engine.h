/*
 * ldg_engine.h: the seam between the ledger and the database under it.
 * Internal: ledger.c, keyidx.c and the engines include it, no stage does.
 *
 * The business operations (ledger.c) and the key index (keyidx.c) say
 * what to run, by statement id; an engine says how.  An engine owns
 * everything about its database: opening it and its settings, the schema
 * and its migrations, the text of each statement in its own dialect,
 * transactions, and its errors, which it maps to the exit-code table and
 * dies with (a caller never sees one).  There are two: SQLite
 * (ldg_sqlite.c), the default, and PostgreSQL (ldg_pg.c); each fills a
 * struct ldg_engine_ops and has an open function, and ldg_open chooses
 * between them by the ledger string (ldg_is_pg): no stage and no caller
 * of ledger.h knows which.  The key index is built over the same
 * statements, so every engine gets it by implementing them.  Both have
 * the tables of ldg_schema.h.
 *
 * A statement is bound (parameters from 1), stepped while it has rows
 * and the caller wants them (columns from 0, valid until the next step
 * or reset), and reset.  What each takes and returns is listed below;
 * amounts are decimal strings, times ns since 1970 UTC, days since 1970.
 *
 * Usage records are the hot path (tens of millions a run): they are
 * stored as blocks of columns (ublk.h), a row a block, which ledger.c
 * writes and reads; the scan of a period is the engine's own loop over
 * block rows, so that it can read them in bounded memory.  The key index's lookups touch the engine only in
 * the rare block read its filters do not rule out.
 */
#ifndef LDG_ENGINE_H
#define LDG_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

struct buf;

enum {
	/* the key index (keyidx.c); keys: blocks of entries, see there */
	LDGE_GEN_GET,		/* -> key_gen */
	LDGE_GEN_BUMP,		/* key_gen + 1: every process reloads */
	LDGE_LOG_INS,		/* (seq, n, keys): a block of the log */
	LDGE_LOG_SINCE,		/* (seq) -> keys, n, seq: later blocks */
	LDGE_LOG_CLEAR,		/* the log emptied */
	LDGE_RUN_NEXT,		/* (run) -> run: the next run with blocks */
	LDGE_RUN_GET,		/* (run) -> n, nblocks, bytes: its filter's
				    size (the bits: ops->run_bits) */
	LDGE_RUN_PUT,		/* (run, n, nblocks, bits) */
	LDGE_RUN_BLOCKS,	/* (run) -> keys, n: its blocks */
	LDGE_BLK_GET,		/* (run, key) -> keys, n: the block for key */
	LDGE_BLK_PUT,		/* (run, lo, n, keys) */
	LDGE_BLK_NEXT,		/* (run, lo) -> keys, n, lo: the next block */
	LDGE_RUN_DROP,		/* (run, run, run, run): their blocks */
	LDGE_RUN_DROPF,		/* (run, run, run, run): their filters */
	/* usage records (ledger.c) */
	LDGE_SEQ_GET,		/* -> next_seq */
	LDGE_SEQ_SET,		/* (next_seq) */
	LDGE_STATE,		/* -> next_seq, key_gen, pruned_before|NULL */
	LDGE_DAY_FIRST,		/* (day, day) -> day: the first with records */
	LDGE_DAY_LAST,		/* (day, day) -> day: the last */
	/*
	 * Usage blocks (ublk.h): a block of records of one day, by the seq
	 * of its first record, with its last, its count, its records' times'
	 * bounds and the --as-of of the run that wrote it.
	 */
	LDGE_UB_PUT,		/* (day, seq, n, last, tmin, tmax, ingested,
				    data) */
	LDGE_UB_AT,		/* (day, seq) -> data, last, seq: the block
				    that would hold the record of seq */
	LDGE_UB_NEAR,		/* (day, t) -> data: blocks with records as
				    early and as late as t */
	LDGE_UB_OLD,		/* (before, its day) -> day, seq, last, tmax,
				    data: blocks with records before, by day,
				    seq */
	LDGE_UB_DEL,		/* (day, seq) */
	/* records that stopped counting (corrections): gone, a seq */
	LDGE_GONE_PUT,		/* (day, seq, gone) */
	LDGE_GONE_IN,		/* (day, day) -> day, seq, gone: by day, seq */
	LDGE_GONE_DEL,		/* (day, seq, seq): those of a range */
	LDGE_PRUNED_SET,	/* (before): the horizon, if later */
	LDGE_PRUNED_GET,	/* -> pruned_before */
	/* rate(1) */
	LDGE_GRANT_GET,		/* (customer, id) -> currency, amount,
				    granted, expires|NULL, priority, paid */
	LDGE_GRANT_PUT,		/* (customer, id, currency, amount, granted,
				    recorded, expires|NULL, priority, paid) */
	LDGE_DRAW_GET,		/* (customer, currency, period_start) ->
				    amount, balance */
	LDGE_DRAW_PUT,		/* (customer, currency, period_start,
				    period_end, amount, balance, drawn) */
	LDGE_ALERT_PUT,		/* (customer, threshold, period_start,
				    period_end, amount, fired): if new */
	LDGE_ALERT_GET,		/* (customer, threshold, period_start) -> 1 */
	/* invoice-gen(1) */
	LDGE_SEQ_NEXT,		/* (entity, scope) -> next */
	LDGE_SEQ_BUMP,		/* (entity, scope): next + 1, from 2 */
	LDGE_INV_GET,		/* (key) -> number, state, version, cum */
	LDGE_INV_PUT,		/* (key, entity, customer, period_start,
				    period_end, currency, number, state,
				    version, cum) */
	LDGE_DOC_PUT,		/* (number, entity, key, version, kind, issued,
				    total, record) */
	LDGE_DOC_KEY,		/* (key) -> number, kind, version, record, key,
				    issued: by version */
	LDGE_DOC_NUM,		/* (number) -> the same */
	LDGE_DOC_ALL,		/* -> the same, by key and version */
	/* erp-post(1) */
	LDGE_POST_GET,		/* (id) -> state, erp_ref, reason, record */
	LDGE_POST_PUT,		/* (id, entity, number, emitted, record):
				    pending */
	LDGE_POST_STATE,	/* (id, state, erp_ref, reason, updated) */
	LDGE_POST_ALL,		/* -> id, number, state, erp_ref, emitted,
				    updated: by id */
	LDGE_DOC_UNPOSTED,	/* -> number, entity: documents with no
				    entry posted, in the order stored */
	LDGE_PAY_GET,		/* (reference) -> number, amount, currency,
				    day */
	LDGE_PAY_PUT,		/* (reference, number, amount, currency, day,
				    applied, excess, recorded) */
	LDGE_PAY_SUM,		/* (number) -> applied */
	LDGE_RECV_PUT,		/* (number, entity, customer, currency,
				    due_day, amount, paid, status, updated) */
	LDGE_GRANT_ALL,		/* -> customer, id, currency, amount,
				    granted, entity|NULL, record|NULL,
				    expires|NULL, priority, paid: by
				    granted, customer, id; the entity and
				    record of the customer's first invoice in
				    the grant's currency */
	/* rate(1), erp-post(1): grants that behave like money */
	LDGE_GRANT_LIST,	/* (customer, currency) -> id, amount,
				    granted, expires|NULL, priority, paid: in
				    the order a period draws on them */
	LDGE_DRAWG_OF,		/* (customer, currency, grant, period_start)
				    -> amount, 1 when of that period */
	LDGE_DRAWG_DEL,		/* (customer, currency, period_start) */
	LDGE_DRAWG_PUT,		/* (customer, currency, period_start, seq,
				    grant, amount) */
	LDGE_DRAW_LEGACY,	/* (customer, currency, period_start) ->
				    amount: other periods' draws with no
				    grants recorded (version 2's) */
	/* reconcile(1): read only */
	LDGE_DOC_ENDING,	/* (from, to) -> number, kind, version, record,
				    key, issued: the documents whose period
				    ends in (from, to], in the order stored */
	/* erp-send(1)'s claims */
	LDGE_CLAIM_GET,		/* (id) -> owner, expires */
	LDGE_CLAIM_PUT,		/* (id, owner, claimed, expires): new, or
				    replacing the one there */
	LDGE_CLAIM_DEL,		/* (id, owner) */
	/*
	 * The audit log (ledger.c, audit.h): a row per state change, built
	 * and hashed by ledger.c in the change's transaction; an engine
	 * stores rows, and writes the genesis row (audit_genesis) with the
	 * schema when it creates or migrates it.  No trigger: every engine
	 * gets the same log by implementing these three.
	 */
	LDGE_AUDIT_LAST,	/* -> seq, hash: the last row */
	LDGE_AUDIT_PUT,		/* (seq, at, op, subject, detail, prev_hash,
				    hash) */
	LDGE_AUDIT_ALL,		/* -> seq, at, op, subject, detail,
				    prev_hash, hash: by seq */
	/*
	 * meter-ingest(1)'s corrections (ledger.c, ldg_usage_fix): a
	 * usage record stops counting when usage_gone has its (day, seq),
	 * with the seq of the correction that replaced or cancelled it;
	 * usage_fix keeps each correction of an original event, in order.
	 */
	LDGE_FIX_BY_KEY,	/* (key) -> orig: the correction's original */
	LDGE_FIX_HEAD,		/* (orig) -> n, kind, day, seq, key, id, t:
				    its latest correction */
	LDGE_FIX_PUT,		/* (orig, n, kind, key, id, day, seq,
				    prev_day, prev_seq, t, ingested, at,
				    prev_t) */
	LDGE_FIX_PRUNE,		/* (before): corrections with t before */
	/*
	 * meter-ingest --changed-since (ledger.c, ldg_usage_changed): the
	 * earliest event time that runs with --as-of at or after a time
	 * changed, NULL when none: every record they stored (late events,
	 * corrections, cancels, also replaced ones) and, for each of their
	 * corrections, the record it replaced.
	 */
	LDGE_USAGE_CHANGED,	/* (since) -> t or NULL */
	LDGE_NSTMT
};

struct ldg_engine_ops;

/* What every engine's connection starts with. */
struct ldg_engine {
	const struct ldg_engine_ops *ops;
	const char	*path;		/* for messages */
	size_t		 blk_keys;	/* entries a new key block gets */
};

/* A usage block of a scan: its day and bytes (ublk.h). */
typedef int	(*ldg_block_cb)(int64_t day, const void *, size_t, void *);

struct ldg_engine_ops {
	void		 (*close)(struct ldg_engine *);
	/* a write transaction, waiting up to the busy timeout for the lock */
	void		 (*begin)(struct ldg_engine *);
	void		 (*begin_read)(struct ldg_engine *);
	void		 (*commit)(struct ldg_engine *, const char *what);
	void		 (*rollback)(struct ldg_engine *);	/* no error */

	/* text of length -1 is up to its NUL; a blob of 0 bytes is empty */
	void		 (*bind_int)(struct ldg_engine *, int, int, int64_t);
	void		 (*bind_text)(struct ldg_engine *, int, int,
			    const char *, int);
	void		 (*bind_blob)(struct ldg_engine *, int, int,
			    const void *, size_t);
	void		 (*bind_null)(struct ldg_engine *, int, int);
	/* 1 on a row, 0 when done; on an error, dies saying what failed */
	int		 (*step)(struct ldg_engine *, int, const char *what);
	/* step and reset a write: 0, or -1 when a constraint refuses it */
	int		 (*insert)(struct ldg_engine *, int, const char *what);
	void		 (*reset)(struct ldg_engine *, int);
	int64_t		 (*col_int)(struct ldg_engine *, int, int);
	const char	*(*col_text)(struct ldg_engine *, int, int);
	const void	*(*col_blob)(struct ldg_engine *, int, int);
	int		 (*col_bytes)(struct ldg_engine *, int, int);
	int		 (*col_null)(struct ldg_engine *, int, int);
	/* the rows the last write changed */
	int64_t		 (*changes)(struct ldg_engine *);

	/*
	 * Usage blocks with day0 <= day <= day1 that may hold records with
	 * from <= t < to, by day and seq, until cb returns non-zero, which is
	 * returned: a loop of its own, so an engine can read a month in
	 * bounded memory (a cursor).
	 */
	int		 (*usage_scan)(struct ldg_engine *, int64_t day0,
			    int64_t day1, int64_t from, int64_t to,
			    ldg_block_cb, void *);

	/*
	 * The bits of a key run's filter (ukey_run.bits, of the size
	 * LDGE_RUN_GET gives) read into dst, n bytes: 0, or -1 when the
	 * run has no filter of that size.  Not a statement, so that SQLite
	 * can read the blob straight into its place (sqlite3_blob_read)
	 * rather than into a copy of its own first: 200 MB of them at 100M
	 * keys, read by every writer that loads the key index.
	 */
	int		 (*run_bits)(struct ldg_engine *, int64_t run, void *dst,
			    size_t n);

	/*
	 * An exclusive lock of the given name on this ledger, held until
	 * the engine is closed or the process ends: 0 taken, 1 held by
	 * another process; what is set to the lock as a message names it.
	 */
	int		 (*hold)(struct ldg_engine *, const char *name,
			    char *what, size_t whatlen);
};

/*
 * The SQLite engine (ldg_sqlite.c): as ldg_open describes, with the
 * schema created or migrated and every statement prepared.
 */
struct ldg_engine	*ldg_sqlite_open(const char *path, int busy_ms,
			    int flags);
/*
 * Open a SQLite ledger file read-only as that engine does: immutable
 * when no process has it open and its directory is not the reader's to
 * write (SQLite could not make its -shm file there); sqlite3_open_v2's
 * code.  For ledger-copy --verify, which reads the file by itself.
 */
struct sqlite3;
int			 ldg_sqlite_open_ro(const char *path, struct sqlite3 **);

/*
 * The PostgreSQL engine (ldg_pg.c): a connection by a libpq URL or
 * keyword string (ldg_is_pg), with the schema created on an empty
 * database and every statement prepared; a lost server is exit 75.
 */
struct ldg_engine	*ldg_pg_open(const char *conninfo, int busy_ms,
			    int flags);
/*
 * n bytes of v, big-endian, onto b: the integers of COPY's binary format
 * (ledger-copy(1)'s tables).
 */
void			 ldg_pg_copy_be(struct buf *, uint64_t v, int n);

/*
 * PostgreSQL: pg_advisory_xact_lock's key of the ledger's writers ("U2C"
 * 1), which ldg_pg.c's write transactions and ledger-copy(1) take.
 */
#define LDG_PG_LOCK	"1429357313"

/* The calls, spelled short. */
static inline void
ldge_bind_int(struct ldg_engine *e, int s, int i, int64_t v)
{
	e->ops->bind_int(e, s, i, v);
}

static inline void
ldge_bind_text(struct ldg_engine *e, int s, int i, const char *p, int n)
{
	e->ops->bind_text(e, s, i, p, n);
}

static inline void
ldge_bind_blob(struct ldg_engine *e, int s, int i, const void *p, size_t n)
{
	e->ops->bind_blob(e, s, i, p, n);
}

static inline void
ldge_bind_null(struct ldg_engine *e, int s, int i)
{
	e->ops->bind_null(e, s, i);
}

static inline int
ldge_step(struct ldg_engine *e, int s, const char *what)
{
	return e->ops->step(e, s, what);
}

static inline void
ldge_reset(struct ldg_engine *e, int s)
{
	e->ops->reset(e, s);
}

static inline int
ldge_run_bits(struct ldg_engine *e, int64_t run, void *dst, size_t n)
{
	return e->ops->run_bits(e, run, dst, n);
}

static inline int64_t
ldge_col_int(struct ldg_engine *e, int s, int c)
{
	return e->ops->col_int(e, s, c);
}

static inline const char *
ldge_col_text(struct ldg_engine *e, int s, int c)
{
	return e->ops->col_text(e, s, c);
}

static inline const void *
ldge_col_blob(struct ldg_engine *e, int s, int c)
{
	return e->ops->col_blob(e, s, c);
}

static inline int
ldge_col_bytes(struct ldg_engine *e, int s, int c)
{
	return e->ops->col_bytes(e, s, c);
}

static inline int
ldge_col_null(struct ldg_engine *e, int s, int c)
{
	return e->ops->col_null(e, s, c);
}

#endif
