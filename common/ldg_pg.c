/*
 * ldg_pg.c: the ledger's PostgreSQL engine (see ldg_engine.h), with
 * libpq; and what a ledger string that names PostgreSQL looks like
 * (ldg_is_pg) and how it is shown (ldg_redact).
 *
 * Owns what is PostgreSQL about the ledger: the connection, the schema
 * (made from ldg_schema.h on the first open of an empty database, its
 * version in meta and checked on every open; migrations on PostgreSQL
 * start at version 11), the text of every statement in PostgreSQL's
 * dialect, prepared once a connection, transactions, the mapping of the
 * server's errors to the exit-code table, and the loop of a scan over
 * usage blocks.
 *
 * Parameters go as text (integers in decimal), blobs as binary bytea;
 * every result comes back in binary, so a blob is its bytes and a text
 * its UTF-8 (libpq ends every value with a NUL), and an integer of any
 * width is read by its length.  Text columns are COLLATE "C": orders and
 * comparisons are bytewise, as SQLite's.
 *
 * Concurrency, the simplest design that is correct with several
 * processes on several hosts: a write transaction (begin) is READ
 * COMMITTED and first takes a transaction-level advisory lock on a fixed
 * key (LDG_PG_LOCK), waiting up to the busy timeout (lock_timeout; an
 * immediate try with 0), so writers serialize as they do on SQLite's
 * file lock, and every statement after the lock sees every commit before
 * it (the server makes a commit visible before it releases the lock).
 * The key index (keyidx.c) re-reads key_gen and the key log under that
 * lock, as on SQLite, so it sees other processes' keys; idempotent keys,
 * gap-free numbers per entity, exactly-once posting, credits drawn once
 * and the audit chain (its tail read under the lock) all follow from
 * one writer at a time, as they do on SQLite.  A read transaction
 * (begin_read) is a REPEATABLE READ READ ONLY snapshot and takes no lock.
 * Writers never wait on each other's rows, so they meet no deadlock and
 * no serialization failure among themselves; one that another session
 * causes (a DBA's holding rows) is run again in the process (pq_again,
 * with pgreplay.h's proof that it is the same transaction), else it is
 * exit 75 with the transaction rolled back, as is a lost connection or a
 * server shutting down: a run is made to be re-run, and the server keeps
 * nothing of a transaction that did not commit.
 * Where this would be refined: the lock serializes ingest hosts against
 * each other and against month-end writers.  Per-resource locks (one key
 * per entity's numbering, per customer's credits, row locks with SELECT
 * ... FOR UPDATE) and a key claim by INSERT ... ON CONFLICT on a key
 * table instead of the in-process key index would let writers of
 * different things run at once; --shard would want that first.
 *
 * Writes whose answer nobody reads go in libpq's pipeline mode and are
 * answered with the next statement that is waited for (pq_send,
 * pq_drain): a round trip for many statements.
 *
 * Usage records are blocks (ublk.h), a row of usage_block each, written
 * by ledger.c's statements; usage_scan reads them through a cursor,
 * PG_FETCH blocks at a time, so memory stays bounded whatever the period.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <libpq-fe.h>

#include "audit.h"
#include "keyidx.h"
#include "ldg_engine.h"
#include "ldg_schema.h"
#include "ledger.h"
#include "pgreplay.h"
#include "retry.h"
#include "ublk.h"
#include "util.h"

#define PG_FETCH	8		/* usage blocks a cursor's FETCH */
#define PG_BLK_KEYS	509		/* entries of a key block: SQLite's */
#define PQ_TRIES	4		/* runs of an aborted transaction */
#define PQ_PIPE		256		/* statements sent before an answer */

/* the engine's own statements, after ldg_engine.h's */
enum {
	PQ_RUN_BITS = LDGE_NSTMT,	/* (run) -> bits: pq_run_bits */
	PQ_NSTMT
};

/* Every statement, in the order of ldg_engine.h, which says what each does. */
static const char *const pq_text[PQ_NSTMT] = {
	[LDGE_GEN_GET] = "SELECT v::bigint FROM meta WHERE k = 'key_gen'",
	[LDGE_GEN_BUMP] = "UPDATE meta SET v = (v::bigint + 1)::text "
	    "WHERE k = 'key_gen'",
	[LDGE_LOG_INS] =
	    "INSERT INTO ukey_batch (seq, n, keys) VALUES ($1, $2, $3)",
	[LDGE_LOG_SINCE] = "SELECT keys, n, seq FROM ukey_batch WHERE seq > $1 "
	    "ORDER BY seq",
	[LDGE_LOG_CLEAR] = "DELETE FROM ukey_batch",
	[LDGE_RUN_NEXT] = "SELECT run FROM ukey_block WHERE run > $1 "
	    "ORDER BY run LIMIT 1",
	[LDGE_RUN_GET] =
	    "SELECT n, nblocks, octet_length(bits) FROM ukey_run WHERE run = $1",
	[LDGE_RUN_PUT] = "INSERT INTO ukey_run (run, n, nblocks, bits) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT (run) DO UPDATE SET "
	    "n = excluded.n, nblocks = excluded.nblocks, bits = excluded.bits",
	[LDGE_RUN_BLOCKS] = "SELECT keys, n FROM ukey_block WHERE run = $1",
	[LDGE_BLK_GET] =
	    "SELECT keys, n FROM ukey_block WHERE run = $1 AND lo <= $2 "
	    "ORDER BY lo DESC LIMIT 1",
	[LDGE_BLK_PUT] = "INSERT INTO ukey_block (run, lo, n, keys) "
	    "VALUES ($1, $2, $3, $4)",
	[LDGE_BLK_NEXT] = "SELECT keys, n, lo FROM ukey_block "
	    "WHERE run = $1 AND lo > $2 ORDER BY lo LIMIT 1",
	[LDGE_RUN_DROP] =
	    "DELETE FROM ukey_block WHERE run IN ($1, $2, $3, $4)",
	[LDGE_RUN_DROPF] = "DELETE FROM ukey_run WHERE run IN ($1, $2, $3, $4)",
	[LDGE_SEQ_GET] = "SELECT v::bigint FROM meta WHERE k = 'next_seq'",
	[LDGE_SEQ_SET] = "UPDATE meta SET v = $1 WHERE k = 'next_seq'",
	[LDGE_STATE] = "SELECT "
	    "(SELECT v::bigint FROM meta WHERE k = 'next_seq'), "
	    "(SELECT v::bigint FROM meta WHERE k = 'key_gen'), "
	    "(SELECT v::bigint FROM meta WHERE k = 'pruned_before')",
	[LDGE_DAY_FIRST] = "SELECT day FROM usage_block WHERE day >= $1 "
	    "AND day <= $2 ORDER BY day LIMIT 1",
	[LDGE_DAY_LAST] = "SELECT day FROM usage_block WHERE day >= $1 "
	    "AND day <= $2 ORDER BY day DESC LIMIT 1",
	[LDGE_UB_PUT] = "INSERT INTO usage_block (day, seq, n, last, tmin, "
	    "tmax, ingested, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	[LDGE_UB_AT] = "SELECT data, last, seq FROM usage_block WHERE day = $1 "
	    "AND seq <= $2 ORDER BY seq DESC LIMIT 1",
	[LDGE_UB_NEAR] = "SELECT data FROM usage_block WHERE day = $1 "
	    "AND tmin <= $2 AND tmax >= $2 ORDER BY seq",
	[LDGE_UB_OLD] = "SELECT day, seq, last, tmax, data FROM usage_block "
	    "WHERE day <= $2 AND tmin < $1 ORDER BY day, seq",
	[LDGE_UB_DEL] = "DELETE FROM usage_block WHERE day = $1 AND seq = $2",
	[LDGE_GONE_PUT] = "INSERT INTO usage_gone (day, seq, gone) "
	    "VALUES ($1, $2, $3)",
	[LDGE_GONE_IN] = "SELECT day, seq, gone FROM usage_gone WHERE day >= $1 "
	    "AND day <= $2 ORDER BY day, seq",
	[LDGE_GONE_DEL] = "DELETE FROM usage_gone WHERE day = $1 "
	    "AND seq >= $2 AND seq <= $3",
	[LDGE_PRUNED_SET] = "INSERT INTO meta (k, v) "
	    "VALUES ('pruned_before', $1) ON CONFLICT (k) DO UPDATE "
	    "SET v = greatest(meta.v::bigint, excluded.v::bigint)::text",
	[LDGE_PRUNED_GET] = "SELECT v::bigint FROM meta "
	    "WHERE k = 'pruned_before'",
	[LDGE_GRANT_GET] = "SELECT currency, amount, granted, expires, priority, "
	    "paid FROM credit_grant WHERE customer = $1 AND id = $2",
	[LDGE_GRANT_PUT] = "INSERT INTO credit_grant (customer, id, currency, "
	    "amount, granted, recorded, expires, priority, paid) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	[LDGE_DRAW_GET] = "SELECT amount, balance FROM credit_draw "
	    "WHERE customer = $1 AND currency = $2 AND period_start = $3",
	[LDGE_DRAW_PUT] = "INSERT INTO credit_draw (customer, currency, "
	    "period_start, period_end, amount, balance, drawn) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
	    "ON CONFLICT (customer, currency, period_start) DO UPDATE SET "
	    "period_end = excluded.period_end, amount = excluded.amount, "
	    "balance = excluded.balance, drawn = excluded.drawn",
	[LDGE_ALERT_PUT] = "INSERT INTO rate_alert (customer, threshold, "
	    "period_start, period_end, amount, fired) "
	    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	[LDGE_ALERT_GET] = "SELECT 1 FROM rate_alert WHERE customer = $1 "
	    "AND threshold = $2 AND period_start = $3",
	[LDGE_SEQ_NEXT] = "SELECT next FROM doc_seq WHERE entity = $1 "
	    "AND scope = $2",
	[LDGE_SEQ_BUMP] = "INSERT INTO doc_seq (entity, scope, next) "
	    "VALUES ($1, $2, 2) ON CONFLICT (entity, scope) DO UPDATE "
	    "SET next = doc_seq.next + 1",
	[LDGE_INV_GET] = "SELECT number, state, version, cum FROM invoice "
	    "WHERE key = $1",
	[LDGE_INV_PUT] = "INSERT INTO invoice (key, entity, customer, "
	    "period_start, period_end, currency, number, state, version, cum) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
	    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, "
	    "version = excluded.version, cum = excluded.cum, "
	    "number = excluded.number",
	/*
	 * The one statement run by the insert op: a number or (key,
	 * version) taken is refused by no row inserted, not by an error,
	 * which would abort the transaction.
	 */
	[LDGE_DOC_PUT] = "INSERT INTO doc (number, entity, key, version, kind, "
	    "issued, total, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
	    "ON CONFLICT DO NOTHING",
	[LDGE_DOC_KEY] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc WHERE key = $1 ORDER BY version",
	[LDGE_DOC_NUM] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc WHERE number = $1",
	[LDGE_DOC_ALL] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc ORDER BY key, version",
	[LDGE_POST_GET] = "SELECT state, erp_ref, reason, record FROM posting "
	    "WHERE id = $1",
	[LDGE_POST_PUT] = "INSERT INTO posting (id, entity, number, state, "
	    "erp_ref, reason, emitted, updated, record) "
	    "VALUES ($1, $2, $3, 'pending', NULL, NULL, $4, $4, $5)",
	[LDGE_POST_STATE] = "UPDATE posting SET state = $2, erp_ref = $3, "
	    "reason = $4, updated = $5 WHERE id = $1",
	[LDGE_POST_ALL] = "SELECT id, number, state, erp_ref, "
	    "emitted, updated FROM posting ORDER BY id",
	/* as ldg_sqlite.c's, rowid the column that keeps doc's order */
	[LDGE_DOC_UNPOSTED] = "SELECT number, entity FROM doc WHERE number "
	    "NOT IN (SELECT number FROM posting GROUP BY number HAVING "
	    "count(*) > (SELECT count(*) FROM payment WHERE payment.number = "
	    "posting.number)) ORDER BY rowid",
	[LDGE_PAY_GET] = "SELECT number, amount, currency, day FROM payment "
	    "WHERE reference = $1",
	[LDGE_PAY_PUT] = "INSERT INTO payment (reference, number, amount, "
	    "currency, day, applied, excess, recorded) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	[LDGE_PAY_SUM] = "SELECT applied FROM payment WHERE number = $1",
	[LDGE_RECV_PUT] = "INSERT INTO receivable (number, entity, customer, "
	    "currency, due_day, amount, paid, status, updated) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
	    "ON CONFLICT (number) DO UPDATE SET amount = excluded.amount, "
	    "paid = excluded.paid, status = excluded.status, "
	    "updated = excluded.updated",
	[LDGE_GRANT_ALL] = "SELECT g.customer, g.id, g.currency, g.amount, "
	    "g.granted, f.entity, f.record, g.expires, g.priority, g.paid "
	    "FROM credit_grant g LEFT JOIN "
	    "(SELECT i.customer, i.currency, i.entity, "
	    "(SELECT d.record FROM doc d WHERE d.key = i.key "
	    "ORDER BY d.version LIMIT 1) AS record, "
	    "row_number() OVER (PARTITION BY i.customer, i.currency "
	    "ORDER BY i.period_start, i.key) AS k FROM invoice i) f "
	    "ON f.customer = g.customer AND f.currency = g.currency AND f.k = 1 "
	    "ORDER BY g.granted, g.customer, g.id",
	[LDGE_GRANT_LIST] = "SELECT id, amount, granted, expires, priority, "
	    "paid FROM credit_grant WHERE customer = $1 AND currency = $2 "
	    "ORDER BY priority, expires IS NULL, expires, granted, id",
	[LDGE_DRAWG_OF] = "SELECT amount, (period_start = $4)::int "
	    "FROM credit_draw_grant WHERE customer = $1 AND currency = $2 "
	    "AND grant_id = $3",
	[LDGE_DRAWG_DEL] = "DELETE FROM credit_draw_grant WHERE customer = $1 "
	    "AND currency = $2 AND period_start = $3",
	[LDGE_DRAWG_PUT] = "INSERT INTO credit_draw_grant (customer, currency, "
	    "period_start, seq, grant_id, amount) "
	    "VALUES ($1, $2, $3, $4, $5, $6)",
	[LDGE_DRAW_LEGACY] = "SELECT d.amount FROM credit_draw d "
	    "WHERE d.customer = $1 AND d.currency = $2 AND d.period_start <> $3 "
	    "AND NOT EXISTS (SELECT 1 FROM credit_draw_grant x "
	    "WHERE x.customer = d.customer AND x.currency = d.currency "
	    "AND x.period_start = d.period_start) ORDER BY d.period_start",
	[LDGE_DOC_ENDING] = "SELECT d.number, d.kind, d.version, d.record, "
	    "d.key, d.issued FROM doc d JOIN invoice i ON i.key = d.key "
	    "WHERE i.period_end > $1 AND i.period_end <= $2 ORDER BY d.rowid",
	[LDGE_CLAIM_GET] = "SELECT owner, expires FROM send_claim WHERE id = $1",
	[LDGE_CLAIM_PUT] = "INSERT INTO send_claim (id, owner, claimed, expires) "
	    "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET "
	    "owner = excluded.owner, claimed = excluded.claimed, "
	    "expires = excluded.expires",
	[LDGE_CLAIM_DEL] = "DELETE FROM send_claim WHERE id = $1 AND owner = $2",
	[LDGE_AUDIT_LAST] = "SELECT seq, hash FROM audit "
	    "ORDER BY seq DESC LIMIT 1",
	[LDGE_AUDIT_PUT] = "INSERT INTO audit (seq, at, op, subject, detail, "
	    "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	[LDGE_AUDIT_ALL] = "SELECT seq, at, op, subject, detail, prev_hash, "
	    "hash FROM audit ORDER BY seq",
	[LDGE_FIX_BY_KEY] = "SELECT orig FROM usage_fix WHERE key = $1",
	[LDGE_FIX_HEAD] = "SELECT n, kind, day, seq, key, id, t FROM usage_fix "
	    "WHERE orig = $1 ORDER BY n DESC LIMIT 1",
	[LDGE_FIX_PUT] = "INSERT INTO usage_fix (orig, n, kind, key, id, day, "
	    "seq, prev_day, prev_seq, t, ingested, at, prev_t) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
	[LDGE_FIX_PRUNE] = "DELETE FROM usage_fix WHERE t < $1",
	[LDGE_USAGE_CHANGED] = "SELECT min(t) FROM (SELECT tmin AS t "
	    "FROM usage_block WHERE ingested >= $1 UNION ALL SELECT prev_t "
	    "FROM usage_fix WHERE ingested >= $1) x",
	[PQ_RUN_BITS] = "SELECT bits FROM ukey_run WHERE run = $1",
};

#define PQ_MAXPARAM	13

struct pst {
	int		 nparam;
	char		*val[PQ_MAXPARAM];	/* NULL: SQL NULL */
	size_t		 cap[PQ_MAXPARAM];
	int		 len[PQ_MAXPARAM];
	int		 fmt[PQ_MAXPARAM];
	char		*pv[PQ_MAXPARAM];	/* val, or NULL for a NULL */
	PGresult	*res;		/* after the first step */
	int		 sent;		/* pipelined (pq_send): no row */
	int		 row;		/* the current row */
	char		 num[24];	/* col_text of an integer */
};

struct pq {
	struct ldg_engine	 e;		/* first: ops, path, blk_keys */
	PGconn			*c;
	char			*disp;		/* the ledger string, redacted */
	int			 busy_ms;
	int			 intx;		/* in a transaction */
	int64_t			 changes;	/* -1: a pipelined statement's */
	int			 ncursor;
	struct pst		 st[PQ_NSTMT];
	struct pgreplay		 log;		/* of the write transaction */
	int			 logging;	/* in one that can be run again */
	int			 tries;		/* its runs that failed */
	unsigned char		 piped[PQ_NSTMT];	/* pq_send's */
	struct pend {				/* sent, answer not read */
		const char	*what;
		size_t		 at;		/* in log */
	}			 pend[PQ_PIPE];
	int			 npend;
};

#define PQ(x)	((struct pq *)(x))

/* A prepared statement's name: its id's */
static const char *
stmt_name(int s, char *b, size_t n)
{
	snprintf(b, n, "u2c_%d", s);
	return b;
}

/* SQLSTATEs and classes the exit-code table cares about. */
static int
state_is(const PGresult *r, const char *code)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return s != NULL && strncmp(s, code, strlen(code)) == 0;
}

/* The first line of the server's or libpq's message. */
static const char *
pq_msg(struct pq *p, const PGresult *r, char *buf, size_t n)
{
	const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	size_t k;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(p->c);
	snprintf(buf, n, "%s", m != NULL && *m != '\0' ? m : "no message");
	k = strcspn(buf, "\n");
	buf[k] = '\0';
	return buf;
}

/*
 * Map a failure to the exit-code table and die.  Dying ends the
 * connection, and the server rolls back what the transaction did.
 */
static _Noreturn void
pq_die(struct pq *p, PGresult *r, const char *what)
{
	char msg[512];

	pq_msg(p, r, msg, sizeof(msg));
	/*
	 * libpq's own errors have no SQLSTATE: the connection failed (a
	 * server stopped answers a query with the end of its socket).
	 */
	if (PQstatus(p->c) == CONNECTION_BAD || r == NULL ||
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) == NULL ||
	    state_is(r, "08") || state_is(r, "57P"))
		die(EX_TEMPFAIL, "ledger '%s': %s: lost the connection to the "
		    "server (%s); nothing of the current transaction was kept: "
		    "re-run to complete the work", p->disp, what, msg);
	if (state_is(r, "55P03"))
		die(EX_TEMPFAIL, "ledger '%s' is busy: %s (waited %d ms for "
		    "another process); re-run to complete the work", p->disp,
		    what, p->busy_ms);
	if (state_is(r, "40"))
		die(EX_TEMPFAIL, "ledger '%s': %s: %s; nothing of the current "
		    "transaction was kept: re-run to complete the work",
		    p->disp, what, msg);
	if (state_is(r, "53100"))
		die(EX_IOERR, "ledger '%s': %s: disk full; nothing of the "
		    "current batch was kept", p->disp, what);
	if (state_is(r, "53") || state_is(r, "58") || state_is(r, "25006") ||
	    state_is(r, "42501"))
		die(EX_IOERR, "ledger '%s': %s: %s", p->disp, what, msg);
	die(EX_SOFTWARE, "ledger '%s': %s: %s", p->disp, what, msg);
}

/* Check a result: a command's or a query's, else die; then free it. */
static void
pq_check(struct pq *p, PGresult *r, const char *what)
{
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		pq_die(p, r, what);
	PQclear(r);
}

static void
pq_exec(struct pq *p, const char *sql, const char *what)
{
	pq_check(p, PQexec(p->c, sql), what);
}

/* ---- transactions ---- */

/* BEGIN a write transaction and take the writers' lock. */
static void
pq_begin_tx(struct pq *p, const char *what)
{
	PGresult *r;
	char sql[160];

	pq_exec(p, "BEGIN ISOLATION LEVEL READ COMMITTED", what);
	p->intx = 1;
	if (p->busy_ms == 0) {
		r = PQexec(p->c, "SELECT pg_try_advisory_xact_lock("
		    LDG_PG_LOCK ")");
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			pq_die(p, r, what);
		if (strcmp(PQgetvalue(r, 0, 0), "t") != 0)
			die(EX_TEMPFAIL, "ledger '%s' is busy: %s (waited 0 ms "
			    "for another process); re-run to complete the work",
			    p->disp, what);
		PQclear(r);
		return;
	}
	snprintf(sql, sizeof(sql), "SET LOCAL lock_timeout = %d; "
	    "SELECT pg_advisory_xact_lock(" LDG_PG_LOCK ")", p->busy_ms);
	pq_exec(p, sql, what);
}

/*
 * A write transaction of the stages: its statements are kept (pq_run,
 * pq_sql) so that it can be run again (pq_again).  The schema's own
 * transactions (DDL by pq_exec) are not.
 */
static void
pq_begin(struct ldg_engine *e)
{
	struct pq *p = PQ(e);

	pq_begin_tx(p, "starting a write transaction");
	pgr_clear(&p->log);
	p->logging = 1;
	p->tries = 0;
}

/*
 * The server aborted the write transaction for a serialization failure
 * or a deadlock (class 40; r its answer).  Neither the ledger's writers
 * nor its readers cause one (they meet at one lock), but another session
 * can: a DBA's holding a row a writer updates while it waits for the
 * writers' lock is a deadlock, and the server breaks it by aborting one
 * side.  PostgreSQL's advice is to run the transaction again, and the
 * issue that brought the engine asked for it: roll back, wait a little
 * (retry.h's backoff, so that two victims do not meet again), begin and
 * take the lock again, and replay what the transaction had run
 * (pgreplay.h).  When every statement answers as before, the transaction
 * is where it was and the caller's statement runs again.  Anything else
 * (another failure, an answer that changed, PQ_TRIES runs, a transaction
 * too large to keep) is exit 75 with nothing kept, as before: the stages
 * are made to be re-run.
 */
static void
pq_again(struct pq *p, PGresult *r, const char *what, size_t upto)
{
	static const struct retry nap = {
		.base_ns = 20 * 1000000LL, .cap_ns = 1000 * 1000000LL,
	};
	struct timespec ts;
	char msg[512];
	int64_t ns;
	size_t at;
	int k;

	for (;;) {
		if (!p->logging || p->log.full || !state_is(r, "40") ||
		    PQstatus(p->c) == CONNECTION_BAD)
			pq_die(p, r, what);
		pq_msg(p, r, msg, sizeof(msg));
		PQclear(r);
		if (++p->tries >= PQ_TRIES)
			die(EX_TEMPFAIL, "ledger '%s': %s: %s; the transaction "
			    "was run %d times and aborted each time: nothing "
			    "of it was kept: re-run to complete the work",
			    p->disp, what, msg, PQ_TRIES);
		warnmsg("ledger '%s': %s: %s; running the transaction again "
		    "(%d of %d)", p->disp, what, msg, p->tries + 1, PQ_TRIES);
		PQclear(PQexec(p->c, "ROLLBACK"));
		/* its statements from upto on run again after the replay */
		ns = retry_delay_rand(&nap, p->tries);
		ts.tv_sec = (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			continue;
		pq_begin_tx(p, what);
		if ((k = pgr_replay(&p->log, p->c, upto, &at, &r)) == 0)
			return;
		if (k > 0)
			die(EX_TEMPFAIL, "ledger '%s': %s: %s; the transaction "
			    "could not be run again: another session changed "
			    "what it had read (its statement %zu of %zu "
			    "answered otherwise); nothing of it was kept: "
			    "re-run to complete the work", p->disp, what, msg,
			    at + 1, p->log.n);
		what = "running the transaction again";
	}
}

/*
 * Writes whose answer nobody reads (most INSERT, UPDATE and DELETE
 * statements of a write transaction: pq_pipes) are sent without waiting
 * for it, in libpq's pipeline mode, and their answers read together
 * before the next statement that is answered (pq_drain): a round trip
 * for many statements, not one each.  An invoice of invoice-gen --issue
 * is 8 statements, 5 of them such writes.  The answers come in the
 * order sent; the first that failed is handled as if it had been run
 * alone (pq_again runs a class 40 again; anything else dies naming it),
 * and those after it, which the server skipped, run again after it.
 */
static PGresult	*pq_drain(struct pq *, int);

/* Send statement s in the pipeline, its answer to be read by pq_drain. */
static void
pq_queue(struct pq *p, int s, const char *what)
{
	struct pst *st = &p->st[s];
	char name[16];

	if (p->npend == 0 && PQenterPipelineMode(p->c) != 1)
		pq_die(p, NULL, what);
	stmt_name(s, name, sizeof(name));
	if (PQsendQueryPrepared(p->c, name, st->nparam,
	    (const char *const *)st->pv, st->len, st->fmt, 1) != 1)
		pq_die(p, NULL, what);
	p->pend[p->npend].what = what;
	p->pend[p->npend].at = pgr_add(&p->log, name, NULL, st->nparam,
	    (const char *const *)st->pv, st->len, st->fmt, NULL);
	p->npend++;
}

/* A write nobody reads the answer of: sent, not waited for. */
static void
pq_send(struct pq *p, int s, const char *what)
{
	pq_queue(p, s, what);
	p->changes = -1;
	/* a bounded pipe: the server's answers never fill its socket */
	if (p->npend == PQ_PIPE - 1)
		pq_drain(p, 0);
}

/*
 * Sync the pipeline and read its answers; keep: the last statement's,
 * which the caller clears (it sent the statement it waits for last, so
 * that the writes before it cost no round trip of their own).
 */
static PGresult *
pq_drain(struct pq *p, int keep)
{
	struct pend pend[PQ_PIPE];
	PGresult *r, *fail = NULL, *last = NULL;
	ExecStatusType rs;
	int i, k = 0, n = p->npend;
	size_t j;

	if (n == 0)
		return NULL;
	memcpy(pend, p->pend, (size_t)n * sizeof(*pend));
	p->npend = 0;
	if (PQpipelineSync(p->c) != 1)
		pq_die(p, NULL, pend[0].what);
	for (i = 0; i < n; i++) {
		if ((r = PQgetResult(p->c)) == NULL)
			pq_die(p, NULL, pend[i].what);	/* the connection */
		rs = PQresultStatus(r);
		if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK) {
			if (fail == NULL)
				pgr_answer(&p->log, pend[i].at, r);
			if (keep && i == n - 1 && fail == NULL)
				last = r;
			else
				PQclear(r);
		} else if (fail == NULL) {
			fail = r;
			k = i;
		} else
			PQclear(r);		/* PGRES_PIPELINE_ABORTED */
		while ((r = PQgetResult(p->c)) != NULL)	/* its end */
			PQclear(r);
	}
	if ((r = PQgetResult(p->c)) == NULL ||
	    PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		pq_die(p, r, pend[n - 1].what);
	PQclear(r);
	if (PQexitPipelineMode(p->c) != 1)
		pq_die(p, NULL, pend[n - 1].what);
	if (fail == NULL)
		return last;
	/* pend[k] failed, and the server skipped those after it */
	pq_again(p, fail, pend[k].what, pend[k].at);
	for (j = pend[k].at; j < p->log.n; j++) {
		r = pgr_exec(&p->log, p->c, j);
		rs = PQresultStatus(r);
		if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
			for (i = k; i < n - 1 && pend[i + 1].at <= j; i++)
				continue;
			pq_again(p, r, pend[i].what, j);
			j--;			/* j again */
			continue;
		}
		pgr_answer(&p->log, j, r);
		if (keep && j == p->log.n - 1)
			last = r;
		else
			PQclear(r);
	}
	return last;
}

/* Which statements pq_send: writes whose rows changed nobody reads. */
static void
pq_pipes(struct pq *p)
{
	int i;

	for (i = 0; i < PQ_NSTMT; i++)
		p->piped[i] = (strncmp(pq_text[i], "INSERT", 6) == 0 ||
		    strncmp(pq_text[i], "UPDATE", 6) == 0 ||
		    strncmp(pq_text[i], "DELETE", 6) == 0) &&
		    strstr(pq_text[i], "RETURNING") == NULL;
	/* ledger.c reads how many rows these changed */
	p->piped[LDGE_ALERT_PUT] = 0;
	p->piped[LDGE_CLAIM_DEL] = 0;
	p->piped[LDGE_DOC_PUT] = 0;
}

static void
pq_begin_read(struct ldg_engine *e)
{
	pq_exec(PQ(e), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    "starting a read transaction");
	PQ(e)->intx = 1;
	PQ(e)->logging = 0;
}

static void
pq_end(struct pq *p)
{
	p->intx = 0;
	p->logging = 0;
	pgr_clear(&p->log);
}

static void
pq_commit(struct ldg_engine *e, const char *what)
{
	struct pq *p = PQ(e);
	PGresult *r;

	pq_drain(p, 0);
	for (;;) {
		r = PQexec(p->c, "COMMIT");
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			pq_again(p, r, what, p->log.n);
			continue;
		}
		break;
	}
	/* a transaction that failed answers ROLLBACK, without an error */
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		die(EX_SOFTWARE, "ledger '%s': %s: the server rolled the "
		    "transaction back", p->disp, what);
	PQclear(r);
	pq_end(p);
}

static void
pq_rollback(struct ldg_engine *e)
{
	struct pq *p = PQ(e);
	PGresult *r;

	if (p->npend > 0) {
		/*
		 * Read and drop the answers up to the sync (two NULLs in a
		 * row: nothing more comes); nothing of it is kept.
		 */
		p->npend = 0;
		if (PQpipelineSync(p->c) == 1)
			for (;;) {
				if ((r = PQgetResult(p->c)) == NULL &&
				    (r = PQgetResult(p->c)) == NULL)
					break;
				if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
					PQclear(r);
					break;
				}
				PQclear(r);
			}
		PQexitPipelineMode(p->c);
	}
	PQclear(PQexec(p->c, "ROLLBACK"));
	pq_end(p);
}

/*
 * Run SQL text in the transaction (a cursor's DECLARE, FETCH, CLOSE):
 * its answer, which the caller clears; kept for pq_again.
 */
static PGresult *
pq_sql(struct pq *p, const char *sql, const char *what)
{
	ExecStatusType rs;
	PGresult *r;

	pq_drain(p, 0);
	for (;;) {
		r = PQexec(p->c, sql);
		rs = PQresultStatus(r);
		if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK)
			break;
		pq_again(p, r, what, p->log.n);
	}
	if (p->logging)
		pgr_add(&p->log, NULL, sql, 0, NULL, NULL, NULL, r);
	return r;
}

/* ---- statements by id ---- */

static void
param_set(struct pst *s, int i, const void *v, size_t n, int fmt)
{
	if (i < 1 || i > s->nparam)
		die(EX_SOFTWARE, "ledger: parameter %d of %d", i, s->nparam);
	i--;
	if (s->cap[i] < n + 1) {
		s->cap[i] = n + 1 < 32 ? 32 : n + 1;
		s->val[i] = xrealloc(s->val[i], s->cap[i]);
	}
	if (n > 0)
		memcpy(s->val[i], v, n);
	s->val[i][n] = '\0';
	s->len[i] = (int)n;
	s->fmt[i] = fmt;
	s->pv[i] = s->val[i];
}

static void
pq_bind_int(struct ldg_engine *e, int s, int i, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%lld", (long long)v);

	param_set(&PQ(e)->st[s], i, b, (size_t)n, 0);
}

static void
pq_bind_text(struct ldg_engine *e, int s, int i, const char *p, int n)
{
	param_set(&PQ(e)->st[s], i, p, n < 0 ? strlen(p) : (size_t)n, 0);
}

static void
pq_bind_blob(struct ldg_engine *e, int s, int i, const void *p, size_t n)
{
	param_set(&PQ(e)->st[s], i, p, n, 1);
}

static void
pq_bind_null(struct ldg_engine *e, int s, int i)
{
	struct pst *st = &PQ(e)->st[s];

	if (i < 1 || i > st->nparam)
		die(EX_SOFTWARE, "ledger: parameter %d of %d", i, st->nparam);
	st->pv[i - 1] = NULL;
}

/* Run statement s with its parameters; its rows are kept for step. */
static PGresult *
pq_run(struct pq *p, int s, const char *what)
{
	struct pst *st = &p->st[s];
	PGresult *r;
	char name[16];
	ExecStatusType rs;

	if (p->npend > 0) {
		/* last in the pipeline, its answer read with the others' */
		pq_queue(p, s, what);
		r = pq_drain(p, 1);
		p->changes = strtoll(PQcmdTuples(r), NULL, 10);
		return r;
	}
	stmt_name(s, name, sizeof(name));
	for (;;) {
		r = PQexecPrepared(p->c, name, st->nparam,
		    (const char *const *)st->pv, st->len, st->fmt, 1);
		rs = PQresultStatus(r);
		if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK)
			break;
		pq_again(p, r, what, p->log.n);
	}
	if (p->logging)
		pgr_add(&p->log, name, NULL, st->nparam,
		    (const char *const *)st->pv, st->len, st->fmt, r);
	p->changes = strtoll(PQcmdTuples(r), NULL, 10);
	return r;
}

static int
pq_step(struct ldg_engine *e, int s, const char *what)
{
	struct pq *p = PQ(e);
	struct pst *st = &p->st[s];

	if (st->sent)
		return 0;
	if (st->res == NULL) {
		if (p->logging && p->piped[s]) {
			pq_send(p, s, what);
			st->sent = 1;
			return 0;
		}
		st->res = pq_run(p, s, what);
		st->row = 0;
	} else
		st->row++;
	return st->row < PQntuples(st->res);
}

static void
pq_reset(struct ldg_engine *e, int s)
{
	struct pst *st = &PQ(e)->st[s];

	PQclear(st->res);
	st->res = NULL;
	st->sent = 0;
	st->row = 0;
}

static int
pq_insert(struct ldg_engine *e, int s, const char *what)
{
	struct pq *p = PQ(e);

	PQclear(pq_run(p, s, what));
	/* its statement says ON CONFLICT DO NOTHING: no row, refused */
	return p->changes == 0 ? -1 : 0;
}

static int64_t
be_int(const unsigned char *b, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | b[i];
	if (n < 8 && n > 0 && (b[0] & 0x80))	/* sign-extend */
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

/* An integer column in binary (int2/4/8, bool), or a text of digits. */
static int64_t
res_int(const PGresult *r, int row, int c)
{
	const unsigned char *v;
	Oid t;

	if (PQgetisnull(r, row, c))
		return 0;
	v = (const unsigned char *)PQgetvalue(r, row, c);
	t = PQftype(r, c);
	if (t == 20 || t == 21 || t == 23 || t == 16)	/* int8/2/4, bool */
		return be_int(v, PQgetlength(r, row, c));
	return strtoll((const char *)v, NULL, 10);
}

static int64_t
pq_col_int(struct ldg_engine *e, int s, int c)
{
	struct pst *st = &PQ(e)->st[s];

	return res_int(st->res, st->row, c);
}

static const char *
pq_col_text(struct ldg_engine *e, int s, int c)
{
	struct pst *st = &PQ(e)->st[s];
	Oid t;

	if (PQgetisnull(st->res, st->row, c))
		return NULL;
	t = PQftype(st->res, c);
	if (t == 20 || t == 21 || t == 23) {
		snprintf(st->num, sizeof(st->num), "%lld",
		    (long long)res_int(st->res, st->row, c));
		return st->num;
	}
	return PQgetvalue(st->res, st->row, c);
}

static const void *
pq_col_blob(struct ldg_engine *e, int s, int c)
{
	struct pst *st = &PQ(e)->st[s];

	if (PQgetisnull(st->res, st->row, c))
		return NULL;
	return PQgetvalue(st->res, st->row, c);
}

static int
pq_col_bytes(struct ldg_engine *e, int s, int c)
{
	struct pst *st = &PQ(e)->st[s];

	return PQgetlength(st->res, st->row, c);
}

static int
pq_col_null(struct ldg_engine *e, int s, int c)
{
	struct pst *st = &PQ(e)->st[s];

	return PQgetisnull(st->res, st->row, c);
}

static int64_t
pq_changes(struct ldg_engine *e)
{
	if (PQ(e)->changes < 0)
		die(EX_SOFTWARE, "ledger: the rows a pipelined statement "
		    "changed are not known (pq_pipes)");
	return PQ(e)->changes;
}

/* ---- COPY's integers (ledger-copy(1)); the scan of usage blocks ---- */

void
ldg_pg_copy_be(struct buf *b, uint64_t v, int n)
{
	unsigned char c[8];
	int i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		c[i] = (unsigned char)(v & 0xff);
	buf_add(b, c, (size_t)n);
}

/*
 * Usage blocks through a cursor, PG_FETCH rows at a time: memory stays
 * bounded, and cb may run other statements between fetches.  Outside a
 * transaction, in a snapshot of its own.
 */
static int
pq_usage_scan(struct ldg_engine *e, int64_t day0, int64_t day1, int64_t from,
    int64_t to, ldg_block_cb cb, void *arg)
{
	struct pq *p = PQ(e);
	const char *what = "reading usage records";
	PGresult *r;
	char sql[512], fetch[64], cur[32];
	int own = !p->intx, i, n, r_cb = 0;

	if (own)
		pq_begin_read(e);
	snprintf(cur, sizeof(cur), "u2c_scan_%d", p->ncursor++);
	snprintf(sql, sizeof(sql), "DECLARE %s BINARY NO SCROLL CURSOR FOR "
	    "SELECT day, data FROM usage_block WHERE day >= %lld "
	    "AND day <= %lld AND tmax >= %lld AND tmin < %lld "
	    "ORDER BY day, seq", cur, (long long)day0, (long long)day1,
	    (long long)from, (long long)to);
	PQclear(pq_sql(p, sql, what));
	snprintf(fetch, sizeof(fetch), "FETCH %d FROM %s", PG_FETCH, cur);
	do {
		r = pq_sql(p, fetch, what);
		n = PQntuples(r);
		for (i = 0; i < n && r_cb == 0; i++)
			r_cb = cb(res_int(r, i, 0), PQgetvalue(r, i, 1),
			    (size_t)PQgetlength(r, i, 1), arg);
		PQclear(r);
	} while (n == PG_FETCH && r_cb == 0);
	snprintf(sql, sizeof(sql), "CLOSE %s", cur);
	PQclear(pq_sql(p, sql, what));
	if (own)
		pq_commit(e, what);
	return r_cb;
}

static void
pq_close(struct ldg_engine *e)
{
	struct pq *p = PQ(e);
	int i, j;

	for (i = 0; i < PQ_NSTMT; i++) {
		PQclear(p->st[i].res);
		for (j = 0; j < PQ_MAXPARAM; j++)
			free(p->st[i].val[j]);
	}
	PQfinish(p->c);
	pgr_free(&p->log);
	free(p->disp);
	free(p);
}

/*
 * A session advisory lock: the server drops it when the connection ends,
 * the process dying included.  Its two keys are the writers' (in the
 * space of two 32-bit keys, apart from their 64-bit one) and the name's
 * FNV-1a hash, so every job name has a lock of its own.
 */
static int
pq_hold(struct ldg_engine *e, const char *name, char *what, size_t whatlen)
{
	struct pq *p = PQ(e);
	uint32_t h = 2166136261u;
	const char *c;
	PGresult *r;
	char sql[128];
	int held;

	pq_drain(p, 0);
	for (c = name; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%s, %d)",
	    LDG_PG_LOCK, (int32_t)h);
	snprintf(what, whatlen, "the advisory lock (%s, %d), \"%s\"",
	    LDG_PG_LOCK, (int32_t)h, name);
	r = PQexec(p->c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		pq_die(p, r, "taking a lock");
	held = strcmp(PQgetvalue(r, 0, 0), "t") != 0;
	PQclear(r);
	return held;
}

/* Through a statement: libpq holds the answer, which is copied. */
static int
pq_run_bits(struct ldg_engine *e, int64_t run, void *dst, size_t n)
{
	const void *bits;
	int rc = -1;

	pq_bind_int(e, PQ_RUN_BITS, 1, run);
	if (pq_step(e, PQ_RUN_BITS, "reading a key filter") &&
	    (bits = pq_col_blob(e, PQ_RUN_BITS, 0)) != NULL &&
	    (size_t)pq_col_bytes(e, PQ_RUN_BITS, 0) == n) {
		memcpy(dst, bits, n);
		rc = 0;
	}
	pq_reset(e, PQ_RUN_BITS);
	return rc;
}

static const struct ldg_engine_ops pq_ops = {
	.close = pq_close,
	.hold = pq_hold,
	.begin = pq_begin,
	.begin_read = pq_begin_read,
	.commit = pq_commit,
	.rollback = pq_rollback,
	.bind_int = pq_bind_int,
	.bind_text = pq_bind_text,
	.bind_blob = pq_bind_blob,
	.bind_null = pq_bind_null,
	.step = pq_step,
	.insert = pq_insert,
	.reset = pq_reset,
	.col_int = pq_col_int,
	.col_text = pq_col_text,
	.col_blob = pq_col_blob,
	.col_bytes = pq_col_bytes,
	.col_null = pq_col_null,
	.changes = pq_changes,
	.usage_scan = pq_usage_scan,
	.run_bits = pq_run_bits,
};

/* ---- the schema ---- */

/*
 * The DDL of ldg_schema.h's tables: BIGINT, TEXT COLLATE "C" (bytewise,
 * as SQLite), BYTEA; a table whose stored order is read gets rowid.
 */
/*
 * A usage block is read whole by the scans: stored uncompressed, it is
 * not decompressed a month-end at a time (pglz would save a third).
 */
static const char usage_storage[] =
    "ALTER TABLE usage_block ALTER data SET STORAGE EXTERNAL;";

static const struct ldg_table *
table_of(const char *name)
{
	const struct ldg_table *t;

	for (t = ldg_tables; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	die(EX_SOFTWARE, "ledger: no table %s in the schema", name);
}

static void
table_ddl(struct buf *b, const struct ldg_table *t)
{
	static const char *const type[] = {
		[LDGS_INT] = "BIGINT", [LDGS_TEXT] = "TEXT COLLATE \"C\"",
		[LDGS_BLOB] = "BYTEA",
	};
	const struct ldg_column *c;

	buf_printf(b, "CREATE TABLE %s (", t->name);
	for (c = t->cols; c->name != NULL; c++)
		buf_printf(b, "%s %s%s%s%s, ", c->name, type[c->type],
		    c->notnull ? " NOT NULL" : "",
		    c->dflt ? " DEFAULT " : "", c->dflt ? c->dflt : "");
	if (t->rowid)
		buf_printf(b, "rowid BIGINT GENERATED ALWAYS AS IDENTITY, ");
	buf_printf(b, "PRIMARY KEY (%s));", t->pkey);
}

static void
schema_ddl(struct buf *b)
{
	const struct ldg_table *t;
	const struct ldg_index *x;

	for (t = ldg_tables; t->name != NULL; t++)
		table_ddl(b, t);
	/* blocks of keys and filters: random bytes, not worth compressing */
	buf_printf(b, "ALTER TABLE ukey_block ALTER keys SET STORAGE EXTERNAL;"
	    "ALTER TABLE ukey_batch ALTER keys SET STORAGE EXTERNAL;"
	    "ALTER TABLE ukey_run ALTER bits SET STORAGE EXTERNAL;%s",
	    usage_storage);
	for (x = ldg_indexes; x->table != NULL; x++)
		if (x->name == NULL)
			buf_printf(b, "ALTER TABLE %s ADD UNIQUE (%s);",
			    x->table, x->cols);
		else
			buf_printf(b, "CREATE INDEX %s ON %s (%s);", x->name,
			    x->table, x->cols);
}

/* The audit log's genesis row, as ldg_sqlite.c's migrate_v8 writes it. */
static void
schema_genesis(struct pq *p)
{
	const char *what = "creating the audit log";
	struct audit_row g;
	char detail[AUDIT_GENESIS_MAX], seq[24], at[24];
	const char *v[7];
	int len[7] = { 0 }, fmt[7] = { 0, 0, 0, 0, 0, 1, 1 };

	audit_genesis(&g, 0, LDG_SCHEMA, detail);
	snprintf(seq, sizeof(seq), "%lld", (long long)g.seq);
	snprintf(at, sizeof(at), "%lld", (long long)g.at);
	v[0] = seq;
	v[1] = at;
	v[2] = xstrndup(g.op, g.oplen);
	v[3] = xstrndup(g.subject, g.subjlen);
	v[4] = xstrndup(g.detail, g.detlen);
	v[5] = (const char *)g.prev;
	v[6] = (const char *)g.hash;
	len[5] = len[6] = AUDIT_HASHLEN;
	pq_check(p, PQexecParams(p->c, "INSERT INTO audit (seq, at, op, "
	    "subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, "
	    "$6, $7)", 7, NULL, v, len, fmt, 0), what);
	free((char *)v[2]);
	free((char *)v[3]);
	free((char *)v[4]);
}

/*
 * The schema's version and the application's id, from meta; 0 when the
 * database has no ledger; dies when it has other tables and no ledger.
 */
static int64_t
schema_version(struct pq *p)
{
	const char *what = "reading the ledger's identity";
	PGresult *r;
	int64_t ver, app, ntab;

	r = PQexec(p->c, "SELECT to_regclass('meta') IS NOT NULL, "
	    "(SELECT count(*) FROM pg_tables "
	    "WHERE schemaname = current_schema())");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		pq_die(p, r, what);
	ntab = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		PQclear(r);
		if (ntab > 0)
			die(EX_CONFIG, "'%s' is a PostgreSQL database with "
			    "tables but not a ledger of this toolchain (no "
			    "table meta in schema %s)", p->disp,
			    "current_schema()");
		return 0;
	}
	PQclear(r);
	r = PQexec(p->c, "SELECT (SELECT v FROM meta WHERE k = 'schema'), "
	    "(SELECT v FROM meta WHERE k = 'application_id')");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		pq_die(p, r, what);
	ver = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	app = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	if (app != LDG_APPID)
		die(EX_CONFIG, "'%s' is a PostgreSQL database but not a ledger "
		    "of this toolchain (application_id %lld)", p->disp,
		    (long long)app);
	if (ver > LDG_SCHEMA)
		die(EX_CONFIG, "ledger '%s' has schema version %lld, newer than "
		    "this program knows (%d); upgrade the toolchain", p->disp,
		    (long long)ver, LDG_SCHEMA);
	if (ver < 11)	/* PostgreSQL ledgers start at version 11 */
		die(EX_CONFIG, "ledger '%s' has schema version %lld, which no "
		    "PostgreSQL ledger had: it was altered by hand", p->disp,
		    (long long)ver);
	return ver;
}

/*
 * Version 11's usage rows as blocks of version 12 (ldg_sqlite.c's
 * migrate_v12 says why), read through a cursor in (day, seq) order, a
 * block ending at UBLK_MAX records, a new day or another --as-of.
 */
static void
migrate_v12(struct pq *p)
{
	const char *what = "migrating the schema to version 12";
	static const char ins[] = "INSERT INTO usage_block (day, seq, n, "
	    "last, tmin, tmax, ingested, data) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
	struct ublk_w w;
	struct ldg_usage u;
	struct buf b = { 0 }, ddl = { 0 };
	char num[7][24];
	const char *pv[8];
	int len[8], fmt[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	int64_t day = 0, seq = 0;
	PGresult *r = NULL;
	int i, n = 0, more;

	table_ddl(&ddl, table_of("usage_block"));
	table_ddl(&ddl, table_of("usage_gone"));
	buf_printf(&ddl, "%sALTER TABLE usage_fix ADD COLUMN prev_t BIGINT;"
	    "UPDATE usage_fix f SET prev_t = u.t FROM usage u "
	    "WHERE u.day = f.prev_day AND u.seq = f.prev_seq;"
	    "INSERT INTO usage_gone (day, seq, gone) SELECT day, seq, gone "
	    "FROM usage WHERE gone IS NOT NULL;"
	    "DECLARE u2c_v12 BINARY NO SCROLL CURSOR FOR SELECT day, seq, t, "
	    "key, customer, source, id, type, subject, digest, corr, "
	    "ingested, data FROM usage ORDER BY day, seq", usage_storage);
	pq_exec(p, buf_cstr(&ddl), what);
	buf_free(&ddl);
	ublk_w_init(&w, 0, 0);
	memset(&u, 0, sizeof(u));
	i = 0;
	do {
		if (r == NULL || i == n) {
			PQclear(r);
			r = PQexec(p->c, "FETCH 4096 FROM u2c_v12");
			if (PQresultStatus(r) != PGRES_TUPLES_OK)
				pq_die(p, r, what);
			n = PQntuples(r);
			i = 0;
		}
		if ((more = i < n)) {
			day = res_int(r, i, 0);
			u.ingested = res_int(r, i, 11);
		}
		if (w.n > 0 && (!more || !ublk_w_takes(&w, day, u.ingested))) {
			int64_t v[7] = { w.day, w.seq0, (int64_t)w.n, w.last,
			    w.tmin, w.tmax, w.ingested };
			PGresult *ri;
			int k;

			for (k = 0; k < 7; k++) {
				snprintf(num[k], sizeof(num[k]), "%lld",
				    (long long)v[k]);
				pv[k] = num[k];
				len[k] = 0;
			}
			ublk_w_finish(&w, &b);
			pv[7] = b.p;
			len[7] = (int)b.len;
			ri = PQexecParams(p->c, ins, 8, NULL, pv, len, fmt, 0);
			if (PQresultStatus(ri) != PGRES_COMMAND_OK)
				pq_die(p, ri, what);
			PQclear(ri);
		}
		if (!more)
			break;
		if (w.n == 0) {
			ublk_w_free(&w);
			ublk_w_init(&w, day, u.ingested);
		}
		seq = res_int(r, i, 1);
		u.t = res_int(r, i, 2);
		u.key = (const unsigned char *)PQgetvalue(r, i, 3);
		u.customer = PQgetvalue(r, i, 4);
		u.source = PQgetvalue(r, i, 5);
		u.id = PQgetvalue(r, i, 6);
		u.type = PQgetvalue(r, i, 7);
		u.subject = PQgetvalue(r, i, 8);
		u.digest = (const unsigned char *)PQgetvalue(r, i, 9);
		u.corr = PQgetisnull(r, i, 10) ? NULL : PQgetvalue(r, i, 10);
		u.data = (const unsigned char *)PQgetvalue(r, i, 12);
		u.datalen = (size_t)PQgetlength(r, i, 12);
		if (PQgetlength(r, i, 3) != LDG_KEYLEN ||
		    PQgetlength(r, i, 9) != LDG_KEYLEN)
			die(EX_CONFIG, "ledger '%s': malformed usage row "
			    "(day %lld, seq %lld)", p->disp, (long long)day,
			    (long long)seq);
		ublk_w_add(&w, &u, seq);
		i++;
	} while (more);
	PQclear(r);
	ublk_w_free(&w);
	buf_free(&b);
	pq_exec(p, "CLOSE u2c_v12; DROP TABLE usage; "
	    "UPDATE meta SET v = '12' WHERE k = 'schema'", what);
}

/* Migrate from version ver, under the writers' lock, as schema_make. */
static void
schema_migrate(struct pq *p)
{
	int64_t ver;

	pq_begin_tx(p, "migrating the schema");
	if ((ver = schema_version(p)) < 12)
		migrate_v12(p);
	/* future migrations: if (ver < 13) { ... } */
	pq_commit(&p->e, "committing");
}

/*
 * Create the schema in an empty database, under the writers' lock: a
 * second process that waited sees the first's, complete.
 */
static void
schema_make(struct pq *p)
{
	struct buf b = { 0 };

	pq_begin_tx(p, "creating the schema");
	if (schema_version(p) != 0) {
		pq_commit(&p->e, "committing");
		return;
	}
	schema_ddl(&b);
	buf_printf(&b, "INSERT INTO meta (k, v) VALUES ('next_seq', '1'), "
	    "('key_gen', '0'), ('schema', '%d'), ('application_id', '%d');",
	    LDG_SCHEMA, LDG_APPID);
	pq_exec(p, buf_cstr(&b), "creating the schema");
	buf_free(&b);
	schema_genesis(p);
	pq_commit(&p->e, "committing");
}

/* How many parameters a statement takes: its largest $N. */
static int
nparams(const char *sql)
{
	int n = 0, k;

	for (; *sql != '\0'; sql++)
		if (*sql == '$' && (k = atoi(sql + 1)) > n)
			n = k;
	return n;
}

static void
pq_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;	/* NOTICEs (an index exists, ...) are not ours */
}

/*
 * Connect as PQconnectdb does, but with the server's messages verbose
 * until the connection is made: libpq keeps a refusal's SQLSTATE
 * nowhere but in the message then, and only it tells, in any language
 * of the server's, a ledger database that is not there (66, as
 * SQLite's file that is not there) or a login refused (73, as SQLite's
 * file its user may not open) from a server down, starting or full
 * (75: re-running will do).  Waits for the server as libpq does, each
 * wait at most connect_timeout (at least 2 s) when the string sets it.
 */
static void
pq_connect(struct pq *p, const char *conninfo)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PQconninfoOption *o, *opts;
	struct pollfd pfd;
	char msg[512], state[6] = "", *f;
	int ms = -1, n;

	if ((p->c = PQconnectStart(conninfo)) == NULL)
		die(EX_OSERR, "ledger '%s': out of memory", p->disp);
	PQsetErrorVerbosity(p->c, PQERRORS_VERBOSE);
	if ((opts = PQconninfo(p->c)) != NULL) {
		for (o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, "connect_timeout") == 0 &&
			    o->val != NULL && atoi(o->val) > 0)
				ms = (atoi(o->val) < 2 ? 2 : atoi(o->val)) * 1000;
		PQconninfoFree(opts);
	}
	while (PQstatus(p->c) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		pfd.fd = PQsocket(p->c);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR)
			die(EX_OSERR, "cannot connect to ledger '%s': poll: %s",
			    p->disp, strerror(errno));
		if (n == 0)
			die(EX_TEMPFAIL, "cannot connect to ledger '%s': no "
			    "answer in %d s (connect_timeout); re-run when the "
			    "server is reachable", p->disp, ms / 1000);
		st = PQconnectPoll(p->c);
	}
	PQsetErrorVerbosity(p->c, PQERRORS_DEFAULT);
	if (PQstatus(p->c) == CONNECTION_OK)
		return;
	/* "... failed: FATAL:  3D000: database ..." less its SQLSTATE */
	pq_msg(p, NULL, msg, sizeof(msg));
	if ((f = strstr(msg, "FATAL:  ")) != NULL) {
		f += strlen("FATAL:  ");
		for (n = 0; n < 5 && isupper((unsigned char)f[n]) +
		    isdigit((unsigned char)f[n]) > 0; n++)
			;
		if (n == 5 && f[5] == ':' && f[6] == ' ') {
			memcpy(state, f, 5);
			memmove(f, f + 7, strlen(f + 7) + 1);
		}
	}
	if (strcmp(state, "3D000") == 0)
		die(EX_NOINPUT, "no ledger at '%s': %s (the stages make a "
		    "ledger's tables in its database, not the database: "
		    "create it first)", p->disp, msg);
	if (strncmp(state, "28", 2) == 0 || strcmp(state, "42501") == 0 ||
	    PQconnectionNeedsPassword(p->c))
		die(EX_CANTCREAT, "cannot connect to ledger '%s': %s (the "
		    "server refused the login: check the user, its password "
		    "in libpq's password or service file or PGPASSWORD, and "
		    "the server's pg_hba.conf)", p->disp, msg);
	die(EX_TEMPFAIL, "cannot connect to ledger '%s': %s; re-run when the "
	    "server is reachable", p->disp, msg);
}

struct ldg_engine *
ldg_pg_open(const char *conninfo, int busy_ms, int flags)
{
	struct pq *p;
	PGresult *r;
	char name[16];
	int64_t ver;
	int i;

	p = xcalloc(1, sizeof(*p));
	p->e.ops = &pq_ops;
	p->e.path = p->disp = ldg_redact(conninfo);
	p->e.blk_keys = PG_BLK_KEYS;
	p->busy_ms = busy_ms >= 0 ? busy_ms : LDG_BUSY_MS;
	pq_connect(p, conninfo);
	PQsetNoticeProcessor(p->c, pq_notice, NULL);
	pq_exec(p, "SET client_encoding = 'UTF8'; "
	    "SET client_min_messages = warning", "setting the session");
	if ((ver = schema_version(p)) == 0) {
		if (flags & LDG_READONLY)	/* as SQLite: made first */
			flags &= ~LDG_READONLY;
		schema_make(p);
	} else if (ver < LDG_SCHEMA)
		schema_migrate(p);
	if (flags & LDG_READONLY)
		pq_exec(p, "SET default_transaction_read_only = on",
		    "setting the session");
	for (i = 0; i < PQ_NSTMT; i++) {
		if (pq_text[i] == NULL)
			die(EX_SOFTWARE, "ledger: statement %d has no SQL", i);
		p->st[i].nparam = nparams(pq_text[i]);
		if (p->st[i].nparam > PQ_MAXPARAM)
			die(EX_SOFTWARE, "ledger: statement %d has %d "
			    "parameters", i, p->st[i].nparam);
		r = PQprepare(p->c, stmt_name(i, name, sizeof(name)),
		    pq_text[i], 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			pq_die(p, r, pq_text[i]);
		PQclear(r);
	}
	pq_pipes(p);
	return &p->e;
}

/* ---- ledger strings ---- */

/*
 * A ledger string names PostgreSQL when it is a URL of scheme
 * postgresql:// or postgres://, or a libpq keyword/value string: it
 * starts with a keyword (letters and _) and then, after optional
 * blanks, '='.  Anything else is a path (SQLite): a file whose name
 * looks like keyword=value is written ./keyword=value.
 */
int
ldg_is_pg(const char *s)
{
	const char *p = s;

	if (strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0)
		return 1;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    *p == '_')
		p++;
	if (p == s)
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=';
}

/*
 * The ledger string as messages show it: a URL's password (user:pw@)
 * and a password= parameter, of a URL's query or a keyword string,
 * become ***.
 */
char *
ldg_redact(const char *s)
{
	struct buf b = { 0 };
	const char *p = s, *at, *colon, *end, *k;
	int url = strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
	int quoted;

	if (url) {
		p = strstr(s, "://") + 3;
		end = p + strcspn(p, "/?");
		at = memchr(p, '@', (size_t)(end - p));
		/* the last @ of the authority ends the user information */
		while (at != NULL && memchr(at + 1, '@',
		    (size_t)(end - at - 1)) != NULL)
			at = memchr(at + 1, '@', (size_t)(end - at - 1));
		colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon != NULL) {
			buf_add(&b, s, (size_t)(colon + 1 - s));
			buf_printf(&b, "***");
			p = at;
		} else {
			buf_add(&b, s, (size_t)(p - s));
		}
	}
	/* password=..., in a keyword string or a URL's query */
	while (*p != '\0') {
		k = p;
		if (strncasecmp(p, "password", 8) == 0 && (k == s ||
		    k[-1] == ' ' || k[-1] == '\t' || k[-1] == '?' ||
		    k[-1] == '&')) {
			p += 8;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '=') {
				p++;
				while (!url && (*p == ' ' || *p == '\t'))
					p++;
				buf_add(&b, k, (size_t)(p - k));
				buf_printf(&b, "***");
				quoted = !url && *p == '\'';
				if (quoted) {
					for (p++; *p != '\0' && *p != '\''; p++)
						if (*p == '\\' && p[1] != '\0')
							p++;
					if (*p == '\'')
						p++;
				} else
					p += strcspn(p, url ? "&#" : " \t");
				continue;
			}
			p = k;
		}
		buf_add(&b, p, 1);
		p++;
	}
	return (char *)buf_cstr(&b);
}
