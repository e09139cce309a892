/*
 * ledger.c: every SQL statement of the project.
 *
 * The key index.  PERF-NOTES.md measured that a B-tree of random 16-byte
 * keys gets ten to forty times slower to insert into as it grows, because
 * each batch dirties pages all over the tree and every dirty page goes to
 * the WAL.  Idempotency keys are random digests of (source, id) and must
 * be found whatever the event's time, so locality cannot come from the key.
 * It comes from a small LSM instead.  A new key is added to an in-memory
 * hash of the key log's keys, which answers lookups of recent keys without
 * touching SQLite, and at commit the batch's new keys are appended to the
 * log, ukey_batch, a row of up to LDG_LOG_KEYS (a rowid table in acceptance
 * order: writes land on the last page).  When the log holds LDG_HOT_KEYS
 * keys, it is written, sorted, as a new run of ukey_block (see "the cold
 * index" below: runs, their Bloom filters, compaction); meta's key_gen
 * then tells every process to reload its hash and its runs.  A claim is
 * a hash probe, a filter check per run (and a block read in the rare
 * run the filter does not rule out) and an append.  Under the write
 * lock, a process first reads the log blocks other processes appended
 * since its last batch, so its hash is complete when it claims.
 *
 * Usage records are clustered by (UTC day of the event, acceptance
 * sequence): a batch appends at the end of each day it touches, a few
 * pages even when a month-long file comes in random time order, and a
 * billing period is one range scan.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "ledger.h"
#include "util.h"

enum {
	S_BLK_GET,
	S_LOG_INS,
	S_LOG_SINCE,
	S_USAGE_INS,
	S_SCAN,
	S_SCAN_LEAN,
	S_GET,
	S_SEQ_GET,
	S_SEQ_SET,
	S_GEN_GET,
	S_RUN_NEXT,
	S_RUN_GET,
	S_RUN_PUT,
	S_RUN_BLOCKS,
	S_BLK_PUT,
	S_BLK_NEXT,
	S_RUN_DROP,
	S_RUN_DROPF,
	S_GRANT_GET,
	S_GRANT_PUT,
	S_GRANT_SUM,
	S_DRAW_GET,
	S_DRAW_OTHERS,
	S_DRAW_PUT,
	S_ALERT_PUT,
	S_SEQ_NEXT,
	S_SEQ_BUMP,
	S_INV_GET,
	S_INV_PUT,
	S_DOC_PUT,
	S_DOC_KEY,
	S_DOC_NUM,
	S_POST_GET,
	S_POST_PUT,
	S_POST_STATE,
	S_PAY_GET,
	S_PAY_PUT,
	S_PAY_SUM,
	S_RECV_PUT,
	S_DOC_ALL,
	S_NSTMT
};

static const char *const sql_text[S_NSTMT] = {
	[S_BLK_GET] = "SELECT keys, n FROM ukey_block WHERE run = ?1 AND lo <= ?2 "
	    "ORDER BY lo DESC LIMIT 1",
	[S_LOG_INS] = "INSERT INTO ukey_batch (seq, n, keys) VALUES (?1, ?2, ?3)",
	[S_LOG_SINCE] = "SELECT keys, n, seq FROM ukey_batch WHERE seq > ?1 "
	    "ORDER BY seq",
	[S_USAGE_INS] = "INSERT INTO usage (day, seq, t, key, customer, "
	    "source, id, type, subject, digest, corr, ingested, data) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[S_SCAN] = "SELECT t, key, customer, source, id, type, subject, "
	    "digest, corr, ingested, data, seq FROM usage "
	    "WHERE day >= ?1 AND day <= ?2 AND t >= ?3 AND t < ?4 "
	    "ORDER BY day, seq",
	[S_SCAN_LEAN] = "SELECT t, key, customer, type, data, seq FROM usage "
	    "WHERE day >= ?1 AND day <= ?2 AND t >= ?3 AND t < ?4 "
	    "ORDER BY day, seq",
	[S_GET] = "SELECT t, key, customer, source, id, type, subject, "
	    "digest, corr, ingested, data, seq FROM usage "
	    "WHERE day = ?1 AND seq = ?2",
	[S_GEN_GET] = "SELECT v FROM meta WHERE k = 'key_gen'",
	[S_SEQ_GET] = "SELECT v FROM meta WHERE k = 'next_seq'",
	[S_SEQ_SET] = "UPDATE meta SET v = ?1 WHERE k = 'next_seq'",
	[S_RUN_NEXT] = "SELECT run FROM ukey_block WHERE run > ?1 "
	    "ORDER BY run LIMIT 1",
	[S_RUN_GET] = "SELECT n, nblocks, bits FROM ukey_run WHERE run = ?1",
	[S_RUN_PUT] = "INSERT OR REPLACE INTO ukey_run (run, n, nblocks, bits) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[S_RUN_BLOCKS] = "SELECT keys, n FROM ukey_block WHERE run = ?1",
	[S_BLK_PUT] = "INSERT INTO ukey_block (run, lo, n, keys) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[S_BLK_NEXT] = "SELECT keys, n, lo FROM ukey_block "
	    "WHERE run = ?1 AND lo > ?2 ORDER BY lo LIMIT 1",
	[S_RUN_DROP] = "DELETE FROM ukey_block WHERE run IN (?1, ?2, ?3, ?4)",
	[S_RUN_DROPF] = "DELETE FROM ukey_run WHERE run IN (?1, ?2, ?3, ?4)",
	[S_GRANT_GET] = "SELECT currency, amount, granted FROM credit_grant "
	    "WHERE customer = ?1 AND id = ?2",
	[S_GRANT_PUT] = "INSERT INTO credit_grant (customer, id, currency, "
	    "amount, granted, recorded) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_GRANT_SUM] = "SELECT amount FROM credit_grant WHERE customer = ?1 "
	    "AND currency = ?2 AND granted < ?3",
	[S_DRAW_GET] = "SELECT amount, balance FROM credit_draw "
	    "WHERE customer = ?1 "
	    "AND currency = ?2 AND period_start = ?3",
	[S_DRAW_OTHERS] = "SELECT amount FROM credit_draw WHERE customer = ?1 "
	    "AND currency = ?2 AND period_start <> ?3",
	[S_DRAW_PUT] = "INSERT INTO credit_draw (customer, currency, "
	    "period_start, period_end, amount, balance, drawn) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (customer, currency, period_start) DO UPDATE SET "
	    "period_end = excluded.period_end, amount = excluded.amount, "
	    "balance = excluded.balance, drawn = excluded.drawn",
	[S_ALERT_PUT] = "INSERT INTO rate_alert (customer, threshold, "
	    "period_start, period_end, amount, fired) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
	[S_SEQ_NEXT] = "SELECT next FROM doc_seq WHERE entity = ?1 "
	    "AND scope = ?2",
	[S_SEQ_BUMP] = "INSERT INTO doc_seq (entity, scope, next) "
	    "VALUES (?1, ?2, 2) ON CONFLICT (entity, scope) DO UPDATE "
	    "SET next = next + 1",
	[S_INV_GET] = "SELECT number, state, version, cum FROM invoice "
	    "WHERE key = ?1",
	[S_INV_PUT] = "INSERT INTO invoice (key, entity, customer, "
	    "period_start, period_end, currency, number, state, version, cum) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, "
	    "version = excluded.version, cum = excluded.cum",
	[S_DOC_PUT] = "INSERT INTO doc (number, entity, key, version, kind, "
	    "issued, total, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_DOC_KEY] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc WHERE key = ?1 ORDER BY version",
	[S_DOC_NUM] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc WHERE number = ?1",
	[S_POST_GET] = "SELECT state, erp_ref, reason, record FROM posting "
	    "WHERE id = ?1",
	[S_POST_PUT] = "INSERT INTO posting (id, entity, number, state, "
	    "erp_ref, reason, emitted, updated, record) "
	    "VALUES (?1, ?2, ?3, 'pending', NULL, NULL, ?4, ?4, ?5)",
	[S_POST_STATE] = "UPDATE posting SET state = ?2, erp_ref = ?3, "
	    "reason = ?4, updated = ?5 WHERE id = ?1",
	[S_PAY_GET] = "SELECT number, amount, currency, day FROM payment "
	    "WHERE reference = ?1",
	[S_PAY_PUT] = "INSERT INTO payment (reference, number, amount, "
	    "currency, day, applied, excess, recorded) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_PAY_SUM] = "SELECT applied FROM payment WHERE number = ?1",
	[S_RECV_PUT] = "INSERT INTO receivable (number, entity, customer, "
	    "currency, due_day, amount, paid, status, updated) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT (number) DO UPDATE SET amount = excluded.amount, "
	    "paid = excluded.paid, status = excluded.status, "
	    "updated = excluded.updated",
	[S_DOC_ALL] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc ORDER BY key, version",
};

static const char schema_v1[] =
	"CREATE TABLE meta ("
	"  k TEXT PRIMARY KEY,"
	"  v TEXT NOT NULL"
	") WITHOUT ROWID;"
	"INSERT INTO meta (k, v) VALUES ('next_seq', 1), ('key_gen', 0);"
	"CREATE TABLE usage ("
	"  day INTEGER NOT NULL,"	/* UTC day of t: days since 1970 */
	"  seq INTEGER NOT NULL,"	/* acceptance order, from meta */
	"  t INTEGER NOT NULL,"		/* event time, ns since 1970 UTC */
	"  key BLOB NOT NULL,"		/* BLAKE2b-128 of (source, id) */
	"  customer TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  digest BLOB NOT NULL,"	/* BLAKE2b-128 of the content */
	"  corr TEXT,"			/* NULL: the key in hex */
	"  ingested INTEGER NOT NULL,"	/* as-of of the accepting run */
	"  data BLOB NOT NULL,"		/* packed, see pack.h */
	"  PRIMARY KEY (day, seq)"
	") WITHOUT ROWID;"
	"CREATE TABLE ukey_log ("
	"  seq INTEGER PRIMARY KEY,"	/* the usage record's seq */
	"  k BLOB NOT NULL,"
	"  d BLOB NOT NULL,"
	"  t INTEGER NOT NULL"
	");"
	"CREATE TABLE ukey_cold ("
	"  run INTEGER NOT NULL,"	/* sorted runs, see ledger.c */
	"  k BLOB NOT NULL,"
	"  d BLOB NOT NULL,"
	"  t INTEGER NOT NULL,"
	"  PRIMARY KEY (run, k)"
	") WITHOUT ROWID;"
	"CREATE TABLE ukey_run ("	/* each run's Bloom filter */
	"  run INTEGER PRIMARY KEY,"
	"  n INTEGER NOT NULL,"
	"  nblocks INTEGER NOT NULL,"
	"  bits BLOB NOT NULL"
	");";

/*
 * Version 3: invoice-gen(1)'s documents.  doc_seq holds the next number
 * of each numbering scope (an entity's series in a year, say); a number
 * is taken in the transaction that stores its document, so a crash
 * neither burns nor repeats one.  invoice is the state of each invoice
 * key: its number, and what all its documents together have billed
 * (cum, JSON), which a correction is the difference from.
 */
static const char schema_v3[] =
	"CREATE TABLE doc_seq ("
	"  entity TEXT NOT NULL,"
	"  scope TEXT NOT NULL,"		/* the number without its sequence */
	"  next INTEGER NOT NULL,"
	"  PRIMARY KEY (entity, scope)"
	") WITHOUT ROWID;"
	"CREATE TABLE invoice ("
	"  key BLOB PRIMARY KEY,"		/* entity, customer, period, currency */
	"  entity TEXT NOT NULL,"
	"  customer TEXT NOT NULL,"
	"  period_start INTEGER NOT NULL,"
	"  period_end INTEGER NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  number TEXT NOT NULL,"		/* the invoice's own */
	"  state TEXT NOT NULL,"		/* issued, void */
	"  version INTEGER NOT NULL,"		/* documents issued - 1 */
	"  cum TEXT NOT NULL"			/* what they billed, JSON */
	") WITHOUT ROWID;"
	"CREATE TABLE doc ("
	"  number TEXT PRIMARY KEY,"
	"  entity TEXT NOT NULL,"
	"  key BLOB NOT NULL,"			/* the invoice key */
	"  version INTEGER NOT NULL,"		/* 0 the invoice, then notes */
	"  kind TEXT NOT NULL,"
	"  issued INTEGER NOT NULL,"
	"  total TEXT NOT NULL,"
	"  record TEXT NOT NULL,"		/* as written, for --replay */
	"  UNIQUE (key, version)"
	");";

/*
 * Version 4: erp-post(1)'s postings: each journal entry by its id, its
 * state (pending until the ERP confirms it, confirmed, failed) and the
 * entry as emitted, so a retry sends the same bytes.
 */
static const char schema_v4[] =
	"CREATE TABLE posting ("
	"  id TEXT PRIMARY KEY,"		/* the entry's id, the ERP's key */
	"  entity TEXT NOT NULL,"
	"  number TEXT NOT NULL,"		/* its document */
	"  state TEXT NOT NULL,"		/* pending, confirmed, failed */
	"  erp_ref TEXT,"			/* the ERP's journal reference */
	"  reason TEXT,"			/* why it failed */
	"  emitted INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  record TEXT NOT NULL"
	") WITHOUT ROWID;";

/*
 * Version 5: erp-post(1)'s payments: each by its reference (a payment
 * seen twice counts once), what of it went to the invoice and what was
 * left over as customer credit; and each invoice's receivable: amount,
 * paid, status (open, partially_paid, paid, overdue).
 */
static const char schema_v5[] =
	"CREATE TABLE payment ("
	"  reference TEXT PRIMARY KEY,"
	"  number TEXT NOT NULL,"		/* the invoice paid */
	"  amount TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  day INTEGER NOT NULL,"		/* days since 1970 */
	"  applied TEXT NOT NULL,"		/* to the invoice */
	"  excess TEXT NOT NULL,"		/* kept as customer credit */
	"  recorded INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX payment_number ON payment (number);"
	"CREATE TABLE receivable ("
	"  number TEXT PRIMARY KEY,"		/* the invoice */
	"  entity TEXT NOT NULL,"
	"  customer TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  due_day INTEGER NOT NULL,"
	"  amount TEXT NOT NULL,"		/* with its notes */
	"  paid TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  updated INTEGER NOT NULL"
	") WITHOUT ROWID;";

/*
 * Version 6: the key index in blocks instead of a row a key: the cold
 * keys in blocks of entries (see "the cold index" below) instead of
 * ukey_cold, the key log a block per batch instead of ukey_log.
 */
/* ukey_block's columns: version 7 keeps them and drops WITHOUT ROWID */
#define UKEY_BLOCK_COLS \
	"  run INTEGER NOT NULL," \
	"  lo BLOB NOT NULL,"		/* the block's first key */ \
	"  n INTEGER NOT NULL,"		/* its entries */ \
	"  keys BLOB NOT NULL,"		/* n times key, digest, time */ \
	"  PRIMARY KEY (run, lo)"
static const char schema_v6[] =
	"CREATE TABLE ukey_block (" UKEY_BLOCK_COLS ") WITHOUT ROWID;"
	"CREATE TABLE ukey_batch ("
	"  seq INTEGER PRIMARY KEY,"	/* of the block's first key */
	"  n INTEGER NOT NULL,"		/* its entries, seq to seq + n - 1 */
	"  keys BLOB NOT NULL"		/* n times key, digest, time */
	");";

/*
 * Version 7: ukey_block as a rowid table.  Version 6's blocks were 8 KiB,
 * twice its pages, and a WITHOUT ROWID table keeps whole rows in its
 * interior cells too: every seek compared the key with interior cells
 * whose rows lay in overflow pages, and read those pages (SQLite reads
 * overflow pages past its cache), some 7 reads a lookup.  As a rowid
 * table, a lookup seeks the small index on (run, lo) and reads its one
 * row.
 */
static const char schema_v7[] =
	"ALTER TABLE ukey_block RENAME TO ukey_block6;"
	"CREATE TABLE ukey_block (" UKEY_BLOCK_COLS ");"
	"INSERT INTO ukey_block (run, lo, n, keys) "
	"  SELECT run, lo, n, keys FROM ukey_block6 ORDER BY run, lo;"
	"DROP TABLE ukey_block6;";

/* Version 2: rate(1)'s prepaid credits and spending alerts. */
static const char schema_v2[] =
	"CREATE TABLE credit_grant ("
	"  customer TEXT NOT NULL,"
	"  id TEXT NOT NULL,"		/* the grant's id in the catalog */
	"  currency TEXT NOT NULL,"
	"  amount TEXT NOT NULL,"	/* a decimal string */
	"  granted INTEGER NOT NULL,"	/* usable by periods ending after */
	"  recorded INTEGER NOT NULL,"	/* --as-of of the recording run */
	"  PRIMARY KEY (customer, id)"
	") WITHOUT ROWID;"
	"CREATE TABLE credit_draw ("	/* one per customer, currency, period */
	"  customer TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  period_start INTEGER NOT NULL,"
	"  period_end INTEGER NOT NULL,"
	"  amount TEXT NOT NULL,"
	"  balance TEXT NOT NULL,"	/* what it could draw on */
	"  drawn INTEGER NOT NULL,"
	"  PRIMARY KEY (customer, currency, period_start)"
	") WITHOUT ROWID;"
	"CREATE TABLE rate_alert ("	/* one per threshold and period */
	"  customer TEXT NOT NULL,"
	"  threshold TEXT NOT NULL,"
	"  period_start INTEGER NOT NULL,"
	"  period_end INTEGER NOT NULL,"
	"  amount TEXT NOT NULL,"	/* the period-to-date amount then */
	"  fired INTEGER NOT NULL,"
	"  PRIMARY KEY (customer, threshold, period_start)"
	") WITHOUT ROWID;";

struct bloom {
	uint64_t	*w;
	size_t		 nblocks;	/* 64-byte blocks */
};

/*
 * A key of the index: the key, the first ENT_DLEN bytes of the content
 * digest (a false match needs a 2^-64 accident) and the event time, as an
 * entry of a block holds them (ent_put) and as the in-memory hash of the
 * keys in ukey_batch keeps them, 32 bytes a slot: open addressing on the
 * key's first bytes (already uniform), an all-zero key an empty slot.
 */
#define ENT_DLEN	8
struct kent {
	unsigned char	k[LDG_KEYLEN], d[ENT_DLEN];
	int64_t		t;
};

#define LDG_ENTLEN	(LDG_KEYLEN + ENT_DLEN + 8)	/* a block entry */
#define LDG_BLOCK_MAX	2048			/* entries a block may have */
#define LDG_LOG_KEYS	4096			/* in a block of the log */

struct run {
	int64_t		 id, n;
	struct bloom	 bl;
};

struct ledger {
	sqlite3		*db;
	char		*path;
	int		 busy_ms;
	int		 intx;
	int		 synced;	/* key state caught up in this transaction */
	int64_t		 hot_max;
	size_t		 blk_keys;	/* entries a new cold block gets */
	int64_t		 seq, seq0;	/* next acceptance sequence number */
	struct kent	*hot;
	size_t		 hcap, hn;
	int64_t		 hseq;		/* log entries up to here are hashed */
	unsigned char	*pend;		/* the transaction's new keys, */
	size_t		 npend, pendcap; /* entries from seq pseq on, */
	int64_t		 pseq;		/* logged at commit */
	int64_t		 hgen;		/* key_gen they belong to */
	struct run	*runs;		/* newest first */
	size_t		 nruns;
	int64_t		 rgen;		/* key_gen the runs belong to */
	sqlite3_stmt	*st[S_NSTMT];
};

static void	runs_free(struct ledger *);

const char *
ldg_path(const char *opt)
{
	const char *e;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((e = getenv(LDG_ENV)) != NULL && *e != '\0')
		return e;
	return LDG_DEFAULT;
}

/* Map an SQLite failure to the exit-code table and die. */
static _Noreturn void
ldg_die(struct ledger *l, int rc, const char *what)
{
	const char *msg = l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		die(EX_TEMPFAIL, "ledger '%s' is busy: %s (waited %d ms for "
		    "another process); re-run to complete the work", l->path,
		    what, l->busy_ms);
	case SQLITE_FULL:
		die(EX_IOERR, "ledger '%s': %s: disk full; nothing of the "
		    "current batch was kept", l->path, what);
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		die(EX_IOERR, "ledger '%s': %s: %s", l->path, what, msg);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		die(EX_CONFIG, "ledger '%s' is not a usable ledger: %s",
		    l->path, msg);
	default:
		die(EX_SOFTWARE, "ledger '%s': %s: %s", l->path, what, msg);
	}
}

static void
ldg_exec(struct ledger *l, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		ldg_die(l, rc, what);
}

static int64_t
ldg_pragma_int(struct ledger *l, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;

	if ((rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL)) != SQLITE_OK)
		ldg_die(l, rc, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		ldg_die(l, rc, sql);
	}
	sqlite3_finalize(st);
	return v;
}

static void
ldg_check_foreign(struct ledger *l)
{
	sqlite3_stmt *st;
	int64_t app, ntab;
	int rc;

	/* one statement, one snapshot: a ledger being created by another
	 * process is seen either empty or complete, never half made */
	rc = sqlite3_prepare_v2(l->db, "SELECT "
	    "(SELECT application_id FROM pragma_application_id), "
	    "(SELECT count(*) FROM sqlite_master)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		ldg_die(l, rc, "reading the ledger's identity");
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		ldg_die(l, rc, "reading the ledger's identity");
	}
	app = sqlite3_column_int64(st, 0);
	ntab = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (app == 0 && ntab == 0)
		return;		/* new: ldg_migrate creates the schema */
	if (app != LDG_APPID)
		die(EX_CONFIG, "'%s' is an SQLite database but not a ledger of "
		    "this toolchain (application_id %lld)", l->path,
		    (long long)app);
}

static void	ent_put(unsigned char *, const struct kent *);
static int	ldg_step1(struct ledger *, sqlite3_stmt *, const char *);

/*
 * Rewrite the rows of version 5's key index as blocks of version 6: the
 * cold runs (ukey_cold, ordered by run and key) as blocks of ukey_block
 * within each run; the log (ukey_log, by seq) as blocks of ukey_batch of
 * consecutive seq.  Before the ledger's statements are prepared, so with
 * statements of its own.
 */
static void
migrate_keys(struct ledger *l, int log)
{
	static const char *const sql[2][2] = { {
		"SELECT run, k, d, t FROM ukey_cold ORDER BY run, k",
		"INSERT INTO ukey_block (run, lo, n, keys) "
		    "VALUES (?1, ?2, ?3, ?4)",
	}, {
		"SELECT seq, k, d, t FROM ukey_log ORDER BY seq",
		"INSERT INTO ukey_batch (seq, n, keys) VALUES (?1, ?3, ?4)",
	} };
	const char *what = "migrating the schema to version 6";
	sqlite3_stmt *st[2];
	unsigned char *b;
	struct kent e;
	int64_t g = 0, first = 0, last = 0;
	size_t n = 0;
	int rc, i, more;

	for (i = 0; i < 2; i++)
		if ((rc = sqlite3_prepare_v2(l->db, sql[log][i], -1, &st[i],
		    NULL)) != SQLITE_OK)
			ldg_die(l, rc, what);
	b = xmalloc(l->blk_keys * LDG_ENTLEN);
	do {
		if ((more = ldg_step1(l, st[0], what)))
			g = sqlite3_column_int64(st[0], 0);
		if (n > 0 && (!more || n == l->blk_keys ||
		    (log ? g != last + 1 : g != first))) {
			sqlite3_bind_int64(st[1], 1, first);
			if (!log)
				sqlite3_bind_blob(st[1], 2, b, LDG_KEYLEN,
				    SQLITE_STATIC);
			sqlite3_bind_int64(st[1], 3, (int64_t)n);
			sqlite3_bind_blob(st[1], 4, b, (int)(n * LDG_ENTLEN),
			    SQLITE_STATIC);
			ldg_step1(l, st[1], what);
			sqlite3_reset(st[1]);
			n = 0;
		}
		if (!more)
			break;
		if (sqlite3_column_bytes(st[0], 1) != LDG_KEYLEN ||
		    sqlite3_column_bytes(st[0], 2) != LDG_KEYLEN)
			die(EX_CONFIG, "ledger '%s': malformed key index entry",
			    l->path);
		if (n == 0)
			first = g;
		last = g;
		memcpy(e.k, sqlite3_column_blob(st[0], 1), LDG_KEYLEN);
		memcpy(e.d, sqlite3_column_blob(st[0], 2), ENT_DLEN);
		e.t = sqlite3_column_int64(st[0], 3);
		ent_put(b + n++ * LDG_ENTLEN, &e);
	} while (more);
	free(b);
	for (i = 0; i < 2; i++)
		sqlite3_finalize(st[i]);
}

static void
migrate_v6(struct ledger *l)
{
	ldg_exec(l, schema_v6, "migrating the schema to version 6");
	migrate_keys(l, 0);
	migrate_keys(l, 1);
	/*
	 * Version 6 filters take a key's block by scaling, not masking:
	 * version 5's are rebuilt from the runs when next loaded.
	 */
	ldg_exec(l, "DROP TABLE ukey_cold; DROP TABLE ukey_log; "
	    "DELETE FROM ukey_run", "migrating the schema to version 6");
}

static void
ldg_migrate(struct ledger *l)
{
	int64_t ver, app, ntab;
	char sql[128];

	ver = ldg_pragma_int(l, "PRAGMA user_version");
	app = ldg_pragma_int(l, "PRAGMA application_id");
	if (ver == LDG_SCHEMA && app == LDG_APPID)
		return;
	if (ver > LDG_SCHEMA && app == LDG_APPID)
		die(EX_CONFIG, "ledger '%s' has schema version %lld, newer than "
		    "this program knows (%d); upgrade the toolchain", l->path,
		    (long long)ver, LDG_SCHEMA);
	ldg_begin(l);
	/* another process may have created it while we waited */
	ver = ldg_pragma_int(l, "PRAGMA user_version");
	app = ldg_pragma_int(l, "PRAGMA application_id");
	ntab = ldg_pragma_int(l, "SELECT count(*) FROM sqlite_master");
	if (ver == 0 && app == 0 && ntab == 0) {
		ldg_exec(l, schema_v1, "creating the schema");
		ldg_exec(l, schema_v2, "creating the schema");
		ldg_exec(l, schema_v3, "creating the schema");
		ldg_exec(l, schema_v4, "creating the schema");
		ldg_exec(l, schema_v5, "creating the schema");
		migrate_v6(l);
		ldg_exec(l, schema_v7, "creating the schema");
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
		    "PRAGMA user_version = %d", LDG_APPID, LDG_SCHEMA);
		ldg_exec(l, sql, "setting the schema version");
	} else if (app != LDG_APPID) {
		die(EX_CONFIG, "'%s' is an SQLite database but not a ledger of "
		    "this toolchain (application_id %lld)", l->path,
		    (long long)app);
	} else if (ver == 0) {
		die(EX_CONFIG, "ledger '%s' has no schema version: it was not "
		    "created by this toolchain, or was altered by hand",
		    l->path);
	}
	if (ver >= 1 && ver < LDG_SCHEMA) {
		if (ver < 2)
			ldg_exec(l, schema_v2, "migrating the schema to "
			    "version 2");
		if (ver < 3)
			ldg_exec(l, schema_v3, "migrating the schema to "
			    "version 3");
		if (ver < 4)
			ldg_exec(l, schema_v4, "migrating the schema to "
			    "version 4");
		if (ver < 5)
			ldg_exec(l, schema_v5, "migrating the schema to "
			    "version 5");
		if (ver < 6)
			migrate_v6(l);
		if (ver < 7)
			ldg_exec(l, schema_v7, "migrating the schema to "
			    "version 7");
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    LDG_SCHEMA);
		ldg_exec(l, sql, "setting the schema version");
	}
	/* future migrations: if (ver < 8) { ... } */
	ldg_commit(l);
}

struct ledger *
ldg_open(const char *path, int busy_ms, int flags)
{
	struct ledger *l;
	const char *mode;
	sqlite3_stmt *st;
	int64_t psize;
	char sql[64];
	int rc, fd, i, waited;

	l = xcalloc(1, sizeof(*l));
	l->path = xstrdup(path);
	l->busy_ms = busy_ms >= 0 ? busy_ms : LDG_BUSY_MS;
	l->hot_max = LDG_HOT_KEYS;
	l->rgen = -1;		/* runs not loaded yet */
	if (strcmp(path, ":memory:") != 0) {
		/* SQLite gives the -wal and -shm files the db file's mode */
		fd = open(path, O_RDWR | O_CLOEXEC |
		    (flags & LDG_EXISTING ? 0 : O_CREAT), 0600);
		if (fd < 0 && errno == ENOENT && (flags & LDG_EXISTING))
			die(EX_NOINPUT, "no ledger at '%s'", path);
		if (fd < 0)
			die(errno == ENOENT || errno == EACCES ? EX_CANTCREAT :
			    EX_IOERR, "cannot open ledger '%s': %s", path,
			    strerror(errno));
		close(fd);
	}
	rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		ldg_die(l, rc, "opening");
	sqlite3_busy_timeout(l->db, l->busy_ms);
	sqlite3_extended_result_codes(l->db, 0);

	/*
	 * Look before changing anything: a database of another application
	 * must be refused as it was found, not switched to WAL first.
	 */
	ldg_check_foreign(l);
	/*
	 * journal_mode answers with the mode it is in.  Switching a new file
	 * to WAL needs the write lock, and SQLite does not call the busy
	 * handler for it: wait here, up to the busy timeout, ourselves.
	 *
	 * First, a new ledger gets pages of 16 KiB (the setting does nothing
	 * to an existing one): a cold key block then fills a page, and WAL
	 * frames, written with two calls each, come four times fewer than
	 * with 4 KiB.
	 */
	ldg_exec(l, "PRAGMA page_size = 16384", "setting the page size");
	rc = sqlite3_prepare_v2(l->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL);
	if (rc != SQLITE_OK)
		ldg_die(l, rc, "setting WAL mode");
	for (waited = 0;; waited += 10) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || (rc != SQLITE_BUSY &&
		    rc != SQLITE_LOCKED) || waited >= l->busy_ms)
			break;
		sqlite3_reset(st);
		sqlite3_sleep(10);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		ldg_die(l, rc, "setting WAL mode");
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || (strcmp(mode, "wal") != 0 &&
	    strcmp(path, ":memory:") != 0))
		die(EX_IOERR, "ledger '%s': cannot use WAL mode (got '%s')",
		    path, mode ? mode : "?");
	sqlite3_finalize(st);
	ldg_exec(l, "PRAGMA synchronous = FULL;"
	    "PRAGMA foreign_keys = ON;"
	    "PRAGMA cache_size = -16384;"
	    "PRAGMA mmap_size = 0", "setting pragmas");
	/*
	 * Checkpoint every 32 MiB of WAL rather than 4: a page written by
	 * several batches in between is copied into the database once.  Not
	 * much more: meter-ingest on 10M events took 45 s with 256 MiB, 41 s
	 * with 32 or 64, 44 s with 16 (a longer WAL is slower to look pages
	 * up in, and a longer checkpoint stalls the batch that runs it).
	 */
	psize = ldg_pragma_int(l, "PRAGMA page_size");
	if (psize < 512 || psize > 65536)
		die(EX_SOFTWARE, "ledger '%s': page size %lld", path,
		    (long long)psize);
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %lld",
	    (long long)((32 << 20) / psize));
	ldg_exec(l, sql, "setting pragmas");
	/*
	 * The largest block whose row fits its page: 72 bytes for the page
	 * and cell headers, the row's header, run, lo and n.
	 */
	l->blk_keys = (size_t)(psize - 72) / LDG_ENTLEN;
	if (flags & LDG_LEAN)
		ldg_exec(l, "PRAGMA cache_size = -2048", "setting pragmas");
	else if (flags & LDG_APPEND)
		ldg_exec(l, "PRAGMA cache_size = -8192", "setting pragmas");
	ldg_migrate(l);
	for (i = 0; i < S_NSTMT; i++) {
		if (sql_text[i] == NULL)
			die(EX_SOFTWARE, "ledger: statement %d has no SQL", i);
		rc = sqlite3_prepare_v3(l->db, sql_text[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &l->st[i], NULL);
		if (rc != SQLITE_OK)
			ldg_die(l, rc, sql_text[i]);
	}
	return l;
}

void
ldg_close(struct ledger *l)
{
	int i;

	if (l == NULL)
		return;
	if (l->intx)
		ldg_rollback(l);
	for (i = 0; i < S_NSTMT; i++)
		sqlite3_finalize(l->st[i]);
	free(l->hot);
	free(l->pend);
	runs_free(l);
	if (sqlite3_close(l->db) != SQLITE_OK)
		warnmsg("ledger '%s': close: %s", l->path,
		    sqlite3_errmsg(l->db));
	free(l->path);
	free(l);
}

void
ldg_set_hot_keys(struct ledger *l, int64_t n)
{
	l->hot_max = n > 0 ? n : LDG_HOT_KEYS;
}

/* Step a statement that returns at most one row; returns 1 on a row. */
static int
ldg_step1(struct ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		ldg_die(l, rc, what);
	}
	return 0;
}

/*
 * ---- the cold index: sorted runs, each with a Bloom filter ----
 *
 * A merge of the key log used to go into one B-tree by key, rewriting
 * every cold page each time: on a ledger of 10M keys that cost more than
 * the rest of the stage.  Cold keys are now kept in runs, sorted by key
 * and cut into blocks, one row of ukey_block each, clustered by (run,
 * first key): a merge writes the log, sorted, as a new run at the end of
 * the tree (sequential, and its cost does not grow with the ledger).  A
 * row per key cost SQLite about 0.8 us to insert, and a 10M-key ledger
 * had written 28M of them; a block costs one insert.  A new block fills
 * a page and no more (509 entries on pages of 16 KiB, 125 on 4 KiB): a
 * row that overflows costs reads of its overflow pages, and blocks of
 * 256 on 16 KiB pages, one a page as two did not fit, left half of
 * every page empty.  Blocks of any size up to LDG_BLOCK_MAX are read.
 * Size-tiered compaction bounds the number of runs: when four runs are
 * in the same tier (run size / --hot-keys in [4^i, 4^i+1)), they are
 * merged into one, so each key is rewritten about log4(N/H) times in
 * all.
 *
 * An entry is 32 bytes: the key, the first 8 bytes of the content digest
 * (as in the hash: a false match needs a 2^-64 accident), and the event
 * time as 8 bytes big-endian (so hex(substr(keys, 25, 8)) is
 * printf('%016X', t) in SQL, for the curious and for the tests).
 *
 * Each run has a Bloom filter in memory (saved in ukey_run): 12 bits a
 * key, all of a key's seven bits in one 64-byte block (one cache miss),
 * taken from the key itself since keys are BLAKE2b output (bytes 8..15
 * choose the block, bytes 0..7 the bits).  A key is probed in a run only
 * when that run's filter does not rule it out: for a new key, 0.41% of
 * the time per run (0.96% with 10 bits a key, which cost meter-ingest on
 * 10M events 2 s more of block reads).  Filters are read as they were
 * saved, whatever their bits a key.  A filter must hold every key of its
 * run, or a duplicate would pass: it is written with the run, in the
 * same transaction, and the list of runs is read from ukey_block itself,
 * so a run whose filter is missing or malformed gets it rebuilt by a
 * scan.
 */
#define BLOOM_BITS_PER_KEY	12
#define RUN_FANOUT		4	/* S_RUN_DROP* take 4 ids */

/* The key's 64-byte block: the high 32 bits of bytes 8..15, scaled. */
static size_t
bloom_block(const struct bloom *b, const unsigned char *k)
{
	uint64_t hi;

	memcpy(&hi, k + 8, sizeof(hi));
	return (size_t)(((hi >> 32) * (uint64_t)b->nblocks) >> 32);
}

static void
bloom_pos(const struct bloom *b, const unsigned char *k, size_t *word,
    uint64_t mask[8])
{
	uint64_t lo;
	int i;

	memcpy(&lo, k, sizeof(lo));
	*word = bloom_block(b, k) * 8;
	for (i = 0; i < 8; i++)
		mask[i] = 0;
	for (i = 0; i < 7; i++) {
		unsigned bit = (unsigned)(lo >> (9 * i)) & 511;

		mask[bit / 64] |= (uint64_t)1 << (bit % 64);
	}
}

static void
bloom_add(struct bloom *b, const unsigned char *k)
{
	uint64_t mask[8];
	size_t w;
	int i;

	bloom_pos(b, k, &w, mask);
	for (i = 0; i < 8; i++)
		b->w[w + i] |= mask[i];
}

/* 0: certainly not in the run; 1: maybe */
static int
bloom_maybe(const struct bloom *b, const unsigned char *k)
{
	uint64_t mask[8];
	size_t w;
	int i;

	bloom_pos(b, k, &w, mask);
	for (i = 0; i < 8; i++)
		if ((b->w[w + i] & mask[i]) != mask[i])
			return 0;
	return 1;
}

/*
 * A filter's memory is mapped, not malloc'd: filters come and go in sizes
 * of megabytes as runs merge, and glibc keeps freed chunks that size in
 * its heap, where the next filter rarely fits.  A mapping goes back to
 * the system when freed, so the peak is what the filters need.
 */
static void
bloom_free(struct bloom *b)
{
	if (b->w != NULL)
		munmap(b->w, b->nblocks * 64);
	b->w = NULL;
	b->nblocks = 0;
}

/* Zeroed room for nblocks blocks. */
static void
bloom_map(struct bloom *b, size_t nblocks)
{
	void *p;

	bloom_free(b);
	p = mmap(NULL, nblocks * 64, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die(EX_OSERR, "cannot map %zu bytes for a key filter: %s",
		    nblocks * 64, strerror(errno));
	b->w = p;
	b->nblocks = nblocks;
}

static void
bloom_alloc(struct bloom *b, int64_t n)
{
	size_t nblocks = 1;

	if (n * BLOOM_BITS_PER_KEY > 512)
		nblocks = (size_t)((n * BLOOM_BITS_PER_KEY + 511) / 512);
	bloom_map(b, nblocks);
}

static void
runs_free(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->nruns; i++)
		bloom_free(&l->runs[i].bl);
	free(l->runs);
	l->runs = NULL;
	l->nruns = 0;
}

static void
run_save(struct ledger *l, const struct run *r)
{
	sqlite3_stmt *st = l->st[S_RUN_PUT];

	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->n);
	sqlite3_bind_int64(st, 3, (int64_t)r->bl.nblocks);
	sqlite3_bind_blob64(st, 4, r->bl.w, r->bl.nblocks * 64, SQLITE_STATIC);
	ldg_step1(l, st, "saving a key filter");
	sqlite3_reset(st);
}

/* An entry of a block, see above. */
static void
ent_put(unsigned char *p, const struct kent *e)
{
	uint64_t t = (uint64_t)e->t;
	int i;

	memcpy(p, e->k, LDG_KEYLEN);
	memcpy(p + LDG_KEYLEN, e->d, ENT_DLEN);
	for (i = 0; i < 8; i++)
		p[LDG_KEYLEN + ENT_DLEN + i] =
		    (unsigned char)(t >> (56 - 8 * i));
}

static int64_t
ent_time(const unsigned char *p)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < 8; i++)
		t = t << 8 | p[LDG_KEYLEN + ENT_DLEN + i];
	return (int64_t)t;
}

/*
 * A row's block (column c) of n entries (column c + 1), checked: a
 * malformed block would let duplicates through.
 */
static const unsigned char *
block_get(struct ledger *l, sqlite3_stmt *st, int c, int64_t max, size_t *n)
{
	int64_t k = sqlite3_column_int64(st, c + 1);
	const void *p = sqlite3_column_blob(st, c);

	if (p == NULL || k < 1 || k > max ||
	    sqlite3_column_bytes(st, c) != k * LDG_ENTLEN)
		die(EX_CONFIG, "ledger '%s': malformed key index block",
		    l->path);
	*n = (size_t)k;
	return p;
}

/* Count a run's keys and build its filter by reading them. */
static void
run_build(struct ledger *l, struct run *r)
{
	sqlite3_stmt *st = l->st[S_RUN_BLOCKS];
	const unsigned char *p;
	size_t i, n;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			bloom_alloc(&r->bl, r->n);
		r->n = 0;
		sqlite3_bind_int64(st, 1, r->id);
		while (ldg_step1(l, st, "reading a run")) {
			p = block_get(l, st, 0, LDG_BLOCK_MAX, &n);
			for (i = 0; pass == 1 && i < n; i++)
				bloom_add(&r->bl, p + i * LDG_ENTLEN);
			r->n += (int64_t)n;
		}
		sqlite3_reset(st);
	}
	run_save(l, r);
}

/* Make room for a run in front (runs are kept newest first). */
static struct run *
run_push(struct ledger *l, int64_t id)
{
	l->runs = xreallocarray(l->runs, l->nruns + 1, sizeof(*l->runs));
	memmove(l->runs + 1, l->runs, l->nruns * sizeof(*l->runs));
	l->nruns++;
	memset(&l->runs[0], 0, sizeof(l->runs[0]));
	l->runs[0].id = id;
	return &l->runs[0];
}

/*
 * Under the write lock: the runs in ukey_block, newest first, each with
 * its saved filter when that is well formed, else a rebuilt one.
 */
static void
runs_load(struct ledger *l)
{
	sqlite3_stmt *st, *rs = l->st[S_RUN_GET];
	struct run *r;
	int64_t id = INT64_MIN, nblocks;
	const void *bits;

	runs_free(l);
	st = l->st[S_RUN_NEXT];
	for (;;) {
		sqlite3_bind_int64(st, 1, id);
		if (!ldg_step1(l, st, "listing the cold runs")) {
			sqlite3_reset(st);
			break;
		}
		id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		r = run_push(l, id);
		sqlite3_bind_int64(rs, 1, id);
		if (ldg_step1(l, rs, "reading a key filter")) {
			nblocks = sqlite3_column_int64(rs, 1);
			bits = sqlite3_column_blob(rs, 2);
			if (nblocks > 0 && nblocks <= UINT32_MAX &&
			    bits != NULL &&
			    sqlite3_column_bytes(rs, 2) == nblocks * 64) {
				r->n = sqlite3_column_int64(rs, 0);
				bloom_map(&r->bl, (size_t)nblocks);
				memcpy(r->bl.w, bits, (size_t)nblocks * 64);
			}
		}
		sqlite3_reset(rs);
		if (r->bl.w == NULL)
			run_build(l, r);
	}
}

static int
run_tier(const struct ledger *l, int64_t n)
{
	int t = 0;

	for (n /= l->hot_max; n >= RUN_FANOUT; n /= RUN_FANOUT)
		t++;
	return t;
}

/* Run one statement on RUN_FANOUT run ids (0: none). */
static void
run_exec(struct ledger *l, int which, const int64_t *ids)
{
	sqlite3_stmt *st = l->st[which];
	int j;

	for (j = 0; j < RUN_FANOUT; j++)
		sqlite3_bind_int64(st, j + 1, ids[j]);
	ldg_step1(l, st, "compacting the key index");
	sqlite3_reset(st);
}

static int
kent_cmp(const void *a, const void *b)
{
	return memcmp(a, b, LDG_KEYLEN);
}

/*
 * Writing a run, in key order: entries gather into a block, written
 * when full, and go into the run's filter, built as the run is written
 * and never read back.
 */
struct bwr {
	struct run	*r;
	size_t		 n;
	unsigned char	 b[LDG_BLOCK_MAX * LDG_ENTLEN];
};

static void
bw_flush(struct ledger *l, struct bwr *w)
{
	sqlite3_stmt *st = l->st[S_BLK_PUT];

	if (w->n == 0)
		return;
	sqlite3_bind_int64(st, 1, w->r->id);
	sqlite3_bind_blob(st, 2, w->b, LDG_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)w->n);
	sqlite3_bind_blob(st, 4, w->b, (int)(w->n * LDG_ENTLEN),
	    SQLITE_STATIC);
	ldg_step1(l, st, "writing the key index");
	sqlite3_reset(st);
	w->n = 0;
}

static void
bw_put(struct ledger *l, struct bwr *w, const unsigned char *ent)
{
	if (w->n == l->blk_keys)
		bw_flush(l, w);
	memcpy(w->b + w->n++ * LDG_ENTLEN, ent, LDG_ENTLEN);
	bloom_add(&w->r->bl, ent);
	w->r->n++;
}

/*
 * One run being merged: a copy of its current block, read by a range
 * scan after the last block read.  No statement stays open while the
 * merge writes into the same B-tree: SQLite would save and re-seek an
 * open cursor on every insert.
 */
struct msrc {
	int64_t		 id;
	size_t		 pos, len;
	int		 done;
	unsigned char	 b[LDG_BLOCK_MAX * LDG_ENTLEN];
};

static void
msrc_fill(struct ledger *l, struct msrc *m)
{
	sqlite3_stmt *st = l->st[S_BLK_NEXT];
	const unsigned char *p;

	sqlite3_bind_int64(st, 1, m->id);
	if (m->len > 0)		/* the first key of the block read last */
		sqlite3_bind_blob(st, 2, m->b, LDG_KEYLEN, SQLITE_TRANSIENT);
	else
		sqlite3_bind_zeroblob(st, 2, 0);	/* before every key */
	m->pos = 0;
	if (ldg_step1(l, st, "reading the key index")) {
		p = block_get(l, st, 0, LDG_BLOCK_MAX, &m->len);
		memcpy(m->b, p, m->len * LDG_ENTLEN);
	} else {
		m->len = 0;
		m->done = 1;
	}
	sqlite3_reset(st);
}

/*
 * Merge the runs at pick[0..npick) into one, numbered after every other,
 * leaving out the keys in the sorted list drop[0..ndrop) (a prune): the
 * runs are each sorted by key, so this is a merge of sorted blocks, and
 * the new run is appended at the end of the tree.  The old runs and
 * their filters go; a run left empty is not written.
 */
static void
runs_merge(struct ledger *l, const size_t *pick, size_t npick,
    const unsigned char (*drop)[LDG_KEYLEN], size_t ndrop)
{
	struct msrc *m, *best;
	struct bwr *w;
	struct run nr;
	int64_t ids[RUN_FANOUT], n = 0;
	const unsigned char *ent;
	size_t i, j, x = 0;

	memset(&nr, 0, sizeof(nr));
	nr.id = l->runs[0].id + 1;
	m = xcalloc(npick, sizeof(*m));
	w = xcalloc(1, sizeof(*w));
	w->r = &nr;
	for (j = 0; j < npick; j++) {
		m[j].id = l->runs[pick[j]].id;
		n += l->runs[pick[j]].n;
		msrc_fill(l, &m[j]);
		/*
		 * Nothing looks a key up until the merge is done, and the
		 * runs merged leave the list then: their filters can go
		 * before the new one is made, not after.
		 */
		bloom_free(&l->runs[pick[j]].bl);
	}
	bloom_alloc(&nr.bl, n);
	for (;;) {
		best = NULL;
		for (j = 0; j < npick; j++) {
			if (m[j].pos == m[j].len && !m[j].done)
				msrc_fill(l, &m[j]);
			if (m[j].pos < m[j].len && (best == NULL ||
			    kent_cmp(m[j].b + m[j].pos * LDG_ENTLEN,
			    best->b + best->pos * LDG_ENTLEN) < 0))
				best = &m[j];
		}
		if (best == NULL)
			break;
		ent = best->b + best->pos++ * LDG_ENTLEN;
		while (x < ndrop && kent_cmp(drop[x], ent) < 0)
			x++;
		if (x < ndrop && kent_cmp(drop[x], ent) == 0)
			continue;
		bw_put(l, w, ent);
	}
	bw_flush(l, w);
	free(w);
	free(m);
	/* drop the merged runs, RUN_FANOUT ids at a time */
	for (i = 0; i < npick; i += RUN_FANOUT) {
		for (j = 0; j < RUN_FANOUT; j++)
			ids[j] = i + j < npick ? l->runs[pick[i + j]].id : 0;
		run_exec(l, S_RUN_DROP, ids);
		run_exec(l, S_RUN_DROPF, ids);
	}
	/* and from the list, back to front (pick is in list order) */
	for (j = npick; j-- > 0;) {
		memmove(l->runs + pick[j], l->runs + pick[j] + 1,
		    (l->nruns - pick[j] - 1) * sizeof(*l->runs));
		l->nruns--;
	}
	if (nr.n == 0) {
		bloom_free(&nr.bl);
		return;
	}
	run_save(l, &nr);
	*run_push(l, nr.id) = nr;
}

/* Merge RUN_FANOUT runs of one tier into one, while there are some. */
static void
runs_compact(struct ledger *l)
{
	size_t i, j, k = 0, pick[RUN_FANOUT];
	int tier;

	for (;;) {
		/* the first tier, newest runs first, with RUN_FANOUT runs */
		for (i = 0; i < l->nruns; i++) {
			tier = run_tier(l, l->runs[i].n);
			for (k = 0, j = i; j < l->nruns && k < RUN_FANOUT; j++)
				if (run_tier(l, l->runs[j].n) == tier)
					pick[k++] = j;
			if (k == RUN_FANOUT)
				break;
		}
		if (k < RUN_FANOUT)
			return;
		runs_merge(l, pick, RUN_FANOUT, NULL, 0);
	}
}

/* ---- the in-memory hash of the key log ---- */

static const unsigned char zerokey[LDG_KEYLEN];

static size_t
hot_index(const struct ledger *l, const unsigned char *k)
{
	uint64_t h;

	memcpy(&h, k, sizeof(h));
	return (size_t)h & (l->hcap - 1);
}

static struct kent *
hot_find(struct ledger *l, const unsigned char *k)
{
	size_t i;

	if (l->hn == 0)
		return NULL;
	for (i = hot_index(l, k);; i = (i + 1) & (l->hcap - 1)) {
		if (memcmp(l->hot[i].k, k, LDG_KEYLEN) == 0)
			return &l->hot[i];
		if (memcmp(l->hot[i].k, zerokey, LDG_KEYLEN) == 0)
			return NULL;
	}
}

static void hot_add(struct ledger *, const unsigned char *,
    const unsigned char *, int64_t);

static void
hot_grow(struct ledger *l)
{
	struct kent *old = l->hot;
	size_t oldcap = l->hcap, i;

	if (oldcap > 0)
		l->hcap = oldcap * 2;
	else {
		/*
		 * Sized at once for --hot-keys and a batch over it: growing
		 * holds the old table and the new, twice the memory, at the
		 * worst moment.  calloc's pages cost nothing until touched.
		 */
		for (l->hcap = 1024; l->hcap < (1 << 22) &&
		    (size_t)(l->hot_max + l->hot_max / 8) * 10 > l->hcap * 7;
		    l->hcap *= 2)
			;
	}
	l->hot = xcalloc(l->hcap, sizeof(*l->hot));
	l->hn = 0;
	for (i = 0; i < oldcap; i++)
		if (memcmp(old[i].k, zerokey, LDG_KEYLEN) != 0)
			hot_add(l, old[i].k, old[i].d, old[i].t);
	free(old);
}

static void
hot_add(struct ledger *l, const unsigned char *k, const unsigned char *d,
    int64_t t)
{
	size_t i;

	if ((l->hn + 1) * 10 > l->hcap * 7)
		hot_grow(l);
	for (i = hot_index(l, k);; i = (i + 1) & (l->hcap - 1))
		if (memcmp(l->hot[i].k, zerokey, LDG_KEYLEN) == 0)
			break;
	memcpy(l->hot[i].k, k, LDG_KEYLEN);
	memcpy(l->hot[i].d, d, ENT_DLEN);
	l->hot[i].t = t;
	l->hn++;
}

static void
hot_clear(struct ledger *l)
{
	if (l->hot != NULL)
		memset(l->hot, 0, l->hcap * sizeof(*l->hot));
	l->hn = 0;
	l->hseq = 0;
}

/*
 * Under the write lock: make the hash hold exactly the keys in the log.
 * After another process's merge or prune (key_gen moved) start again;
 * otherwise add what other processes appended since our last look.
 */
static void
hot_refresh(struct ledger *l)
{
	const unsigned char *p;
	sqlite3_stmt *st;
	int64_t gen = 0;
	size_t i, n;

	st = l->st[S_GEN_GET];
	if (ldg_step1(l, st, "reading the key generation"))
		gen = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (gen != l->hgen) {
		hot_clear(l);
		l->hgen = gen;
	}
	st = l->st[S_LOG_SINCE];
	sqlite3_bind_int64(st, 1, l->hseq);
	while (ldg_step1(l, st, "reading the key log")) {
		p = block_get(l, st, 0, LDG_LOG_KEYS, &n);
		for (i = 0; i < n; i++, p += LDG_ENTLEN)
			hot_add(l, p, p + LDG_KEYLEN, ent_time(p));
		l->hseq = sqlite3_column_int64(st, 2) + (int64_t)n - 1;
	}
	sqlite3_reset(st);
}

/*
 * Under the write lock, before the first key of a transaction: another
 * process may have appended to the key log, merged it or compacted the
 * runs since our last batch, so catch up.  Only the stages that store
 * usage pay for it: rate, invoice-gen and erp-post never load the keys
 * (the hash of a 1M-key log alone is 50 MB).
 */
static void
keys_sync(struct ledger *l)
{
	sqlite3_stmt *st;

	if (l->synced)
		return;
	l->synced = 1;
	if (l->st[S_SEQ_GET] == NULL)
		return;
	hot_refresh(l);
	if (l->rgen != l->hgen) {
		runs_load(l);
		l->rgen = l->hgen;
	}
	st = l->st[S_SEQ_GET];
	if (!ldg_step1(l, st, "reading the sequence"))
		die(EX_CONFIG, "ledger '%s' has no sequence number", l->path);
	l->seq = l->seq0 = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
}

void
ldg_begin(struct ledger *l)
{
	ldg_exec(l, "BEGIN IMMEDIATE", "starting a write transaction");
	l->intx = 1;
	l->synced = 0;
}

/*
 * Write the key log, sorted, as a new cold run with its filter, then
 * compact; every other process reloads (see the top and runs_compact).
 */
static void
ldg_merge(struct ledger *l)
{
	unsigned char ent[LDG_ENTLEN];
	struct kent *h = l->hot;
	struct bwr *w;
	size_t i, n = 0;

	/*
	 * The hash holds exactly the log's keys (see keys_sync): sorted in
	 * place, it is the new run, without reading the log back or a copy.
	 */
	for (i = 0; i < l->hcap; i++)
		if (memcmp(h[i].k, zerokey, LDG_KEYLEN) != 0)
			h[n++] = h[i];
	if (n != l->hn)
		die(EX_SOFTWARE, "ledger: the key hash lost count");
	if (n > 0) {
		qsort(h, n, sizeof(*h), kent_cmp);
		w = xcalloc(1, sizeof(*w));
		w->r = run_push(l, l->nruns > 0 ? l->runs[0].id + 1 : 1);
		bloom_alloc(&w->r->bl, (int64_t)n);
		for (i = 0; i < n; i++) {
			ent_put(ent, &h[i]);
			bw_put(l, w, ent);
		}
		bw_flush(l, w);
		run_save(l, w->r);
		free(w);
	}
	ldg_exec(l, "DELETE FROM ukey_batch;"
	    "UPDATE meta SET v = v + 1 WHERE k = 'key_gen'",
	    "merging the key index");
	hot_clear(l);
	runs_compact(l);
	l->hgen++;
	l->rgen = l->hgen;
}

/* Log the transaction's new keys, LDG_LOG_KEYS to a row. */
static void
log_flush(struct ledger *l)
{
	sqlite3_stmt *st = l->st[S_LOG_INS];
	size_t off, n;

	for (off = 0; off < l->npend; off += n) {
		n = l->npend - off < LDG_LOG_KEYS ? l->npend - off :
		    LDG_LOG_KEYS;
		sqlite3_bind_int64(st, 1, l->pseq + (int64_t)off);
		sqlite3_bind_int64(st, 2, (int64_t)n);
		sqlite3_bind_blob(st, 3, l->pend + off * LDG_ENTLEN,
		    (int)(n * LDG_ENTLEN), SQLITE_STATIC);
		ldg_step1(l, st, "logging the keys");
		sqlite3_reset(st);
	}
	l->npend = 0;
}

void
ldg_commit(struct ledger *l)
{
	int rc;

	if (l->synced && l->seq != l->seq0) {
		sqlite3_bind_int64(l->st[S_SEQ_SET], 1, l->seq);
		ldg_step1(l, l->st[S_SEQ_SET], "saving the sequence");
		sqlite3_reset(l->st[S_SEQ_SET]);
		l->seq0 = l->seq;
	}
	log_flush(l);
	if (l->synced && (int64_t)l->hn >= l->hot_max)
		ldg_merge(l);
	if ((rc = sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL)) !=
	    SQLITE_OK)
		ldg_die(l, rc, "committing");
	l->intx = 0;
}

void
ldg_rollback(struct ledger *l)
{
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->intx = 0;
	l->npend = 0;
}

/* Days since 1970 of an instant in ns, rounding toward -infinity. */
static int64_t
ldg_day(int64_t t)
{
	const int64_t d = 86400LL * 1000000000LL;

	return t / d - (t % d < 0);
}

/* The entry of key k in the block of a S_BLK_GET row, or NULL. */
static const unsigned char *
block_find(struct ledger *l, sqlite3_stmt *st, const unsigned char *k)
{
	const unsigned char *p;
	size_t lo = 0, hi, mid;
	int c;

	p = block_get(l, st, 0, LDG_BLOCK_MAX, &hi);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = memcmp(p + mid * LDG_ENTLEN, k, LDG_KEYLEN)) == 0)
			return p + mid * LDG_ENTLEN;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
ldg_prefetch(const struct ledger *l, const unsigned char *k)
{
	size_t i;

	if (l->hot != NULL)
		__builtin_prefetch(&l->hot[hot_index(l, k)]);
	for (i = 0; i < l->nruns; i++)
		__builtin_prefetch(&l->runs[i].bl.w[bloom_block(&l->runs[i].bl,
		    k) * 8]);
}

int
ldg_usage_put(struct ledger *l, const struct ldg_usage *u, int64_t *orig_t)
{
	const unsigned char *p;
	struct kent e, *h;
	sqlite3_stmt *st;
	size_t i;
	int same;

	if (!l->intx)
		die(EX_SOFTWARE, "ledger: usage record outside a transaction");
	keys_sync(l);
	if ((h = hot_find(l, u->key)) != NULL) {
		if (orig_t != NULL)
			*orig_t = h->t;
		return memcmp(h->d, u->digest, ENT_DLEN) == 0 ? LDG_DUP :
		    LDG_CONFLICT;
	}
	for (i = 0; i < l->nruns; i++) {
		if (!bloom_maybe(&l->runs[i].bl, u->key))
			continue;
		st = l->st[S_BLK_GET];
		sqlite3_bind_int64(st, 1, l->runs[i].id);
		sqlite3_bind_blob(st, 2, u->key, LDG_KEYLEN, SQLITE_STATIC);
		if (ldg_step1(l, st, "looking up a key") &&
		    (p = block_find(l, st, u->key)) != NULL) {
			same = memcmp(p + LDG_KEYLEN, u->digest,
			    ENT_DLEN) == 0;
			if (orig_t != NULL)
				*orig_t = ent_time(p);
			sqlite3_reset(st);
			return same ? LDG_DUP : LDG_CONFLICT;
		}
		sqlite3_reset(st);
	}

	/* the key goes to the log at commit, with its batch */
	if (l->npend == 0)
		l->pseq = l->seq;
	if (l->npend == l->pendcap) {
		l->pendcap = l->pendcap ? l->pendcap * 2 : 1024;
		l->pend = xreallocarray(l->pend, l->pendcap, LDG_ENTLEN);
	}
	memcpy(e.k, u->key, LDG_KEYLEN);
	memcpy(e.d, u->digest, ENT_DLEN);
	e.t = u->t;
	ent_put(l->pend + l->npend++ * LDG_ENTLEN, &e);

	st = l->st[S_USAGE_INS];
	sqlite3_bind_int64(st, 1, ldg_day(u->t));
	sqlite3_bind_int64(st, 2, l->seq);
	sqlite3_bind_int64(st, 3, u->t);
	sqlite3_bind_blob(st, 4, u->key, LDG_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, u->customer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, u->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, u->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, u->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, u->subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, u->digest, LDG_KEYLEN, SQLITE_STATIC);
	if (u->corr != NULL)
		sqlite3_bind_text(st, 11, u->corr, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_int64(st, 12, u->ingested);
	sqlite3_bind_blob(st, 13, u->data, (int)u->datalen, SQLITE_STATIC);
	ldg_step1(l, st, "storing a usage record");
	sqlite3_reset(st);

	hot_add(l, u->key, u->digest, u->t);
	l->hseq = l->seq;
	l->seq++;
	return LDG_NEW;
}

/* A row of S_SCAN or S_GET. */
static void
usage_row(sqlite3_stmt *st, struct ldg_usage *u)
{
	u->t = sqlite3_column_int64(st, 0);
	u->key = sqlite3_column_blob(st, 1);
	u->customer = (const char *)sqlite3_column_text(st, 2);
	u->customer_len = (size_t)sqlite3_column_bytes(st, 2);
	u->source = (const char *)sqlite3_column_text(st, 3);
	u->id = (const char *)sqlite3_column_text(st, 4);
	u->type = (const char *)sqlite3_column_text(st, 5);
	u->type_len = (size_t)sqlite3_column_bytes(st, 5);
	u->subject = (const char *)sqlite3_column_text(st, 6);
	u->digest = sqlite3_column_blob(st, 7);
	u->corr = (const char *)sqlite3_column_text(st, 8);
	u->ingested = sqlite3_column_int64(st, 9);
	u->data = sqlite3_column_blob(st, 10);
	u->datalen = (size_t)sqlite3_column_bytes(st, 10);
	u->seq = sqlite3_column_int64(st, 11);
}

/* A row of S_SCAN_LEAN: what metering reads, the rest NULL. */
static void
usage_lean(sqlite3_stmt *st, struct ldg_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->t = sqlite3_column_int64(st, 0);
	u->key = sqlite3_column_blob(st, 1);
	u->customer = (const char *)sqlite3_column_text(st, 2);
	u->customer_len = (size_t)sqlite3_column_bytes(st, 2);
	u->type = (const char *)sqlite3_column_text(st, 3);
	u->type_len = (size_t)sqlite3_column_bytes(st, 3);
	u->data = sqlite3_column_blob(st, 4);
	u->datalen = (size_t)sqlite3_column_bytes(st, 4);
	u->seq = sqlite3_column_int64(st, 5);
}

static int
scan(struct ledger *l, int which, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	sqlite3_stmt *st = l->st[which];
	struct ldg_usage u;
	int rc, r = 0;

	sqlite3_bind_int64(st, 1, ldg_day(from));
	sqlite3_bind_int64(st, 2, ldg_day(to));
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (which == S_SCAN)
			usage_row(st, &u);
		else
			usage_lean(st, &u);
		if ((r = cb(&u, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ldg_die(l, rc, "reading usage records");
	return r;
}

int
ldg_usage_scan(struct ledger *l, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return scan(l, S_SCAN, from, to, cb, arg);
}

int
ldg_usage_scan_lean(struct ledger *l, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return scan(l, S_SCAN_LEAN, from, to, cb, arg);
}

/*
 * A read transaction, and the state of the usage records it sees: the
 * next sequence number (moved by every batch that stores records) and
 * the key generation and retention horizon (moved by every prune).  Two
 * connections that see the same state see the same records.
 */
void
ldg_read_begin(struct ledger *l, int64_t state[3])
{
	static const char sql[] = "SELECT "
	    "(SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'next_seq'), "
	    "(SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'key_gen'), "
	    "(SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'pruned_before')";
	sqlite3_stmt *st;
	int rc, i;

	ldg_exec(l, "BEGIN", "starting a read transaction");
	if ((rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL)) != SQLITE_OK)
		ldg_die(l, rc, "reading the ledger's state");
	if (!ldg_step1(l, st, "reading the ledger's state"))
		die(EX_SOFTWARE, "ledger: no state row");
	for (i = 0; i < 3; i++)
		state[i] = sqlite3_column_type(st, i) == SQLITE_NULL ?
		    INT64_MIN : sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
}

void
ldg_read_end(struct ledger *l)
{
	ldg_exec(l, "COMMIT", "ending a read transaction");
}

/*
 * The first and last UTC day with records, the days of from and to
 * included: 0, or -1 when there is none.
 */
int
ldg_usage_days(struct ledger *l, int64_t from, int64_t to, int64_t *first,
    int64_t *last)
{
	static const char *const sql[2] = {
		"SELECT day FROM usage WHERE day >= ?1 AND day <= ?2 "
		    "ORDER BY day LIMIT 1",
		"SELECT day FROM usage WHERE day >= ?1 AND day <= ?2 "
		    "ORDER BY day DESC LIMIT 1",
	};
	sqlite3_stmt *st;
	int64_t *out[2] = { first, last };
	int rc, i, found = 1;

	for (i = 0; i < 2 && found; i++) {
		rc = sqlite3_prepare_v2(l->db, sql[i], -1, &st, NULL);
		if (rc != SQLITE_OK)
			ldg_die(l, rc, "reading the days of the records");
		sqlite3_bind_int64(st, 1, ldg_day(from));
		sqlite3_bind_int64(st, 2, ldg_day(to));
		if ((found = ldg_step1(l, st, "reading the days of the "
		    "records")))
			*out[i] = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return found ? 0 : -1;
}

int
ldg_usage_get(struct ledger *l, int64_t t, int64_t seq,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	sqlite3_stmt *st = l->st[S_GET];
	struct ldg_usage u;
	int rc, r = 0;

	sqlite3_bind_int64(st, 1, ldg_day(t));
	sqlite3_bind_int64(st, 2, seq);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		usage_row(st, &u);
		r = cb(&u, arg);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		ldg_die(l, rc, "reading a usage record");
	} else
		r = -1;
	sqlite3_reset(st);
	return r;
}

/* One DELETE of the prune, bound to the horizon and its day. */
static void
prune_step(struct ledger *l, const char *sql, int64_t before,
    const char *what)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL)) != SQLITE_OK)
		ldg_die(l, rc, what);
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, ldg_day(before));
	ldg_step1(l, st, what);
	sqlite3_finalize(st);
}

/*
 * Take the keys of the records about to be pruned out of the cold runs:
 * all runs are merged into one without them.  Pruning is rare and its
 * cost is the size of the index, which is what it gives back.
 */
static void
prune_cold(struct ledger *l, int64_t before)
{
	const char *what = "pruning cold keys";
	unsigned char (*drop)[LDG_KEYLEN] = NULL;
	size_t i, n = 0, cap = 0, *pick;
	sqlite3_stmt *st;
	int rc;

	if (l->nruns == 0)
		return;
	rc = sqlite3_prepare_v2(l->db, "SELECT key FROM usage "
	    "WHERE day <= ?2 AND t < ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		ldg_die(l, rc, what);
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, ldg_day(before));
	while (ldg_step1(l, st, what)) {
		if (sqlite3_column_bytes(st, 0) != LDG_KEYLEN)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			drop = xreallocarray(drop, cap, sizeof(*drop));
		}
		memcpy(drop[n++], sqlite3_column_blob(st, 0), LDG_KEYLEN);
	}
	sqlite3_finalize(st);
	if (n > 0) {
		qsort(drop, n, sizeof(*drop), kent_cmp);
		pick = xreallocarray(NULL, l->nruns, sizeof(*pick));
		for (i = 0; i < l->nruns; i++)
			pick[i] = i;
		runs_merge(l, pick, l->nruns, drop, n);
		free(pick);
	}
	free(drop);
}

int64_t
ldg_usage_prune(struct ledger *l, int64_t before)
{
	sqlite3_stmt *st;
	int64_t n;
	int rc;

	ldg_begin(l);
	/* the log into a run first, so all keys are in runs */
	keys_sync(l);
	ldg_merge(l);
	prune_cold(l, before);
	prune_step(l, "DELETE FROM usage WHERE day <= ?2 AND t < ?1", before,
	    "pruning usage records");
	n = sqlite3_changes64(l->db);
	rc = sqlite3_prepare_v2(l->db, "INSERT INTO meta (k, v) "
	    "VALUES ('pruned_before', ?1) ON CONFLICT (k) DO UPDATE "
	    "SET v = max(CAST(v AS INTEGER), CAST(excluded.v AS INTEGER))",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		ldg_die(l, rc, "pruning");
	sqlite3_bind_int64(st, 1, before);
	ldg_step1(l, st, "recording the pruning horizon");
	sqlite3_finalize(st);
	/* every process reloads its hash of the log */
	ldg_exec(l, "UPDATE meta SET v = v + 1 WHERE k = 'key_gen'",
	    "pruning");
	hot_clear(l);
	l->hgen = -1;
	ldg_commit(l);
	return n;
}

int64_t
ldg_pruned_before(struct ledger *l)
{
	sqlite3_stmt *st;
	int64_t v = INT64_MIN;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "SELECT CAST(v AS INTEGER) FROM meta "
	    "WHERE k = 'pruned_before'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		ldg_die(l, rc, "reading the pruning horizon");
	if (ldg_step1(l, st, "reading the pruning horizon"))
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ---- rate(1): prepaid credits and spending alerts ---- */

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void
bind_dec(sqlite3_stmt *st, int i, dec d, char *buf)
{
	dec_fmt(dec_normalize(d), buf, DEC_FMTMAX);
	sqlite3_bind_text(st, i, buf, -1, SQLITE_STATIC);
}

/* An amount column: a decimal string we wrote. */
static dec
col_dec(struct ledger *l, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	dec d;

	if (s == NULL || dec_parse(s, strlen(s), &d) != DEC_OK) {
		sqlite3_reset(st);
		die(EX_DATAERR, "ledger '%s': amount '%s' is not a decimal "
		    "number: the ledger was altered", l->path, s ? s : "NULL");
	}
	return d;
}

/* Sum a one-column result of amounts. */
static dec
sum_rows(struct ledger *l, sqlite3_stmt *st, const char *what)
{
	dec sum = DEC_ZERO;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (dec_add(sum, col_dec(l, st, 0), &sum) != DEC_OK) {
			sqlite3_reset(st);
			die(EX_DATAERR, "ledger '%s': %s overflows", l->path,
			    what);
		}
	if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		ldg_die(l, rc, what);
	}
	sqlite3_reset(st);
	return sum;
}

int
ldg_credit_grant(struct ledger *l, const struct ldg_grant *g, int64_t now)
{
	sqlite3_stmt *st = l->st[S_GRANT_GET];
	char buf[DEC_FMTMAX];
	const char *cur;
	int same;

	bind_text(st, 1, g->customer);
	bind_text(st, 2, g->id);
	if (ldg_step1(l, st, "reading a credit grant")) {
		cur = (const char *)sqlite3_column_text(st, 0);
		same = cur != NULL && strcmp(cur, g->currency) == 0 &&
		    dec_cmp(col_dec(l, st, 1), g->amount) == 0 &&
		    sqlite3_column_int64(st, 2) == g->granted;
		sqlite3_reset(st);
		return same ? LDG_DUP : LDG_CONFLICT;
	}
	sqlite3_reset(st);
	st = l->st[S_GRANT_PUT];
	bind_text(st, 1, g->customer);
	bind_text(st, 2, g->id);
	bind_text(st, 3, g->currency);
	bind_dec(st, 4, g->amount, buf);
	sqlite3_bind_int64(st, 5, g->granted);
	sqlite3_bind_int64(st, 6, now);
	ldg_step1(l, st, "recording a credit grant");
	sqlite3_reset(st);
	return LDG_NEW;
}

dec
ldg_credit_balance(struct ledger *l, const char *customer,
    const char *currency, int64_t before, int64_t period_start)
{
	sqlite3_stmt *st = l->st[S_GRANT_SUM];
	dec grants, draws, bal;

	bind_text(st, 1, customer);
	bind_text(st, 2, currency);
	sqlite3_bind_int64(st, 3, before);
	grants = sum_rows(l, st, "summing credit grants");
	st = l->st[S_DRAW_OTHERS];
	bind_text(st, 1, customer);
	bind_text(st, 2, currency);
	sqlite3_bind_int64(st, 3, period_start);
	draws = sum_rows(l, st, "summing credit draws");
	if (dec_sub(grants, draws, &bal) != DEC_OK)
		die(EX_DATAERR, "ledger '%s': credit balance of '%s' overflows",
		    l->path, customer);
	return bal;
}

int
ldg_credit_drawn(struct ledger *l, const char *customer, const char *currency,
    int64_t period_start, dec *amount, dec *balance)
{
	sqlite3_stmt *st = l->st[S_DRAW_GET];
	int found;

	bind_text(st, 1, customer);
	bind_text(st, 2, currency);
	sqlite3_bind_int64(st, 3, period_start);
	if ((found = ldg_step1(l, st, "reading a credit draw"))) {
		*amount = col_dec(l, st, 0);
		*balance = col_dec(l, st, 1);
	}
	sqlite3_reset(st);
	return found;
}

void
ldg_credit_draw(struct ledger *l, const char *customer, const char *currency,
    int64_t period_start, int64_t period_end, dec amount, dec balance,
    int64_t now)
{
	sqlite3_stmt *st = l->st[S_DRAW_PUT];
	char buf[DEC_FMTMAX], bbuf[DEC_FMTMAX];

	bind_text(st, 1, customer);
	bind_text(st, 2, currency);
	sqlite3_bind_int64(st, 3, period_start);
	sqlite3_bind_int64(st, 4, period_end);
	bind_dec(st, 5, amount, buf);
	bind_dec(st, 6, balance, bbuf);
	sqlite3_bind_int64(st, 7, now);
	ldg_step1(l, st, "recording a credit draw");
	sqlite3_reset(st);
}

int
ldg_alert_claim(struct ledger *l, const char *customer, const char *threshold,
    int64_t period_start, int64_t period_end, dec amount, int64_t now)
{
	sqlite3_stmt *st = l->st[S_ALERT_PUT];
	char buf[DEC_FMTMAX];

	bind_text(st, 1, customer);
	bind_text(st, 2, threshold);
	sqlite3_bind_int64(st, 3, period_start);
	sqlite3_bind_int64(st, 4, period_end);
	bind_dec(st, 5, amount, buf);
	sqlite3_bind_int64(st, 6, now);
	ldg_step1(l, st, "recording a spending alert");
	sqlite3_reset(st);
	return sqlite3_changes(l->db) > 0 ? LDG_NEW : LDG_DUP;
}

/* ---- invoice-gen(1): numbers, invoice states, documents ---- */

int64_t
ldg_number_next(struct ledger *l, const char *entity, const char *scope)
{
	sqlite3_stmt *st = l->st[S_SEQ_NEXT];
	int64_t n = 1;

	bind_text(st, 1, entity);
	bind_text(st, 2, scope);
	if (ldg_step1(l, st, "reading a document sequence"))
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = l->st[S_SEQ_BUMP];
	bind_text(st, 1, entity);
	bind_text(st, 2, scope);
	ldg_step1(l, st, "taking a document number");
	sqlite3_reset(st);
	return n;
}

static char *
col_strdup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return xstrdup(s ? s : "");
}

int
ldg_inv_get(struct ledger *l, const unsigned char *key, struct ldg_inv *out)
{
	sqlite3_stmt *st = l->st[S_INV_GET];
	int found;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_blob(st, 1, key, LDG_KEYLEN, SQLITE_STATIC);
	if ((found = ldg_step1(l, st, "reading an invoice"))) {
		out->number = col_strdup(st, 0);
		out->state = col_strdup(st, 1);
		out->version = sqlite3_column_int64(st, 2);
		out->cum = col_strdup(st, 3);
	}
	sqlite3_reset(st);
	return found;
}

void
ldg_inv_put(struct ledger *l, const unsigned char *key,
    const struct ldg_inv *in)
{
	sqlite3_stmt *st = l->st[S_INV_PUT];

	sqlite3_bind_blob(st, 1, key, LDG_KEYLEN, SQLITE_STATIC);
	bind_text(st, 2, in->entity);
	bind_text(st, 3, in->customer);
	sqlite3_bind_int64(st, 4, in->period_start);
	sqlite3_bind_int64(st, 5, in->period_end);
	bind_text(st, 6, in->currency);
	bind_text(st, 7, in->number);
	bind_text(st, 8, in->state);
	sqlite3_bind_int64(st, 9, in->version);
	bind_text(st, 10, in->cum);
	ldg_step1(l, st, "recording an invoice");
	sqlite3_reset(st);
}

void
ldg_inv_free(struct ldg_inv *v)
{
	free(v->number);
	free(v->state);
	free(v->cum);
	memset(v, 0, sizeof(*v));
}

int
ldg_doc_put(struct ledger *l, const struct ldg_doc *d)
{
	sqlite3_stmt *st = l->st[S_DOC_PUT];
	int rc;

	bind_text(st, 1, d->number);
	bind_text(st, 2, d->entity);
	sqlite3_bind_blob(st, 3, d->key, LDG_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, d->version);
	bind_text(st, 5, d->kind);
	sqlite3_bind_int64(st, 6, d->issued);
	bind_text(st, 7, d->total);
	sqlite3_bind_text(st, 8, d->record, (int)d->reclen, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return -1;	/* the number is taken: the ledger was altered */
	if (rc != SQLITE_DONE)
		ldg_die(l, rc, "recording a document");
	return 0;
}

static int
docs(struct ledger *l, sqlite3_stmt *st, int (*cb)(const struct ldg_doc *,
    void *), void *arg)
{
	struct ldg_doc d;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&d, 0, sizeof(d));
		d.number = (const char *)sqlite3_column_text(st, 0);
		d.kind = (const char *)sqlite3_column_text(st, 1);
		d.version = sqlite3_column_int64(st, 2);
		d.record = (const char *)sqlite3_column_text(st, 3);
		d.reclen = (size_t)sqlite3_column_bytes(st, 3);
		if (sqlite3_column_bytes(st, 4) == LDG_KEYLEN)
			d.key = sqlite3_column_blob(st, 4);
		d.issued = sqlite3_column_int64(st, 5);
		n++;
		if (cb(&d, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		ldg_die(l, rc, "reading documents");
	}
	sqlite3_reset(st);
	return n;
}

int
ldg_docs_of(struct ledger *l, const unsigned char *key,
    int (*cb)(const struct ldg_doc *, void *), void *arg)
{
	sqlite3_stmt *st = l->st[S_DOC_KEY];

	sqlite3_bind_blob(st, 1, key, LDG_KEYLEN, SQLITE_STATIC);
	return docs(l, st, cb, arg);
}

int
ldg_doc_by_number(struct ledger *l, const char *number,
    int (*cb)(const struct ldg_doc *, void *), void *arg)
{
	sqlite3_stmt *st = l->st[S_DOC_NUM];

	bind_text(st, 1, number);
	return docs(l, st, cb, arg);
}

/* ---- erp-post(1): postings ---- */

int
ldg_posting_get(struct ledger *l, const char *id, struct ldg_posting *out)
{
	sqlite3_stmt *st = l->st[S_POST_GET];
	int found;

	memset(out, 0, sizeof(*out));
	bind_text(st, 1, id);
	if ((found = ldg_step1(l, st, "reading a posting"))) {
		out->state = col_strdup(st, 0);
		out->erp_ref = sqlite3_column_type(st, 1) == SQLITE_NULL ?
		    NULL : col_strdup(st, 1);
		out->reason = sqlite3_column_type(st, 2) == SQLITE_NULL ?
		    NULL : col_strdup(st, 2);
		out->record = col_strdup(st, 3);
	}
	sqlite3_reset(st);
	return found;
}

void
ldg_posting_free(struct ldg_posting *p)
{
	free(p->state);
	free(p->erp_ref);
	free(p->reason);
	free(p->record);
	memset(p, 0, sizeof(*p));
}

void
ldg_posting_put(struct ledger *l, const char *id, const char *entity,
    const char *number, const char *record, size_t len, int64_t now)
{
	sqlite3_stmt *st = l->st[S_POST_PUT];

	bind_text(st, 1, id);
	bind_text(st, 2, entity);
	bind_text(st, 3, number);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_text(st, 5, record, (int)len, SQLITE_STATIC);
	ldg_step1(l, st, "recording a posting");
	sqlite3_reset(st);
}

void
ldg_posting_state(struct ledger *l, const char *id, const char *state,
    const char *erp_ref, const char *reason, int64_t now)
{
	sqlite3_stmt *st = l->st[S_POST_STATE];

	bind_text(st, 1, id);
	bind_text(st, 2, state);
	if (erp_ref != NULL)
		bind_text(st, 3, erp_ref);
	else
		sqlite3_bind_null(st, 3);
	if (reason != NULL)
		bind_text(st, 4, reason);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, now);
	ldg_step1(l, st, "recording a posting's state");
	sqlite3_reset(st);
}

/* ---- erp-post(1): payments and receivables ---- */

int
ldg_payment_get(struct ledger *l, const char *reference,
    struct ldg_payment *out)
{
	sqlite3_stmt *st = l->st[S_PAY_GET];
	int found;

	memset(out, 0, sizeof(*out));
	bind_text(st, 1, reference);
	if ((found = ldg_step1(l, st, "reading a payment"))) {
		out->number = col_strdup(st, 0);
		out->amount = col_dec(l, st, 1);
		out->currency = col_strdup(st, 2);
		out->day = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return found;
}

void
ldg_payment_free(struct ldg_payment *p)
{
	free(p->number);
	free(p->currency);
	memset(p, 0, sizeof(*p));
}

void
ldg_payment_put(struct ledger *l, const char *reference,
    const struct ldg_payment *p, dec applied, dec excess, int64_t now)
{
	sqlite3_stmt *st = l->st[S_PAY_PUT];
	char a[DEC_FMTMAX], b[DEC_FMTMAX], c[DEC_FMTMAX];

	bind_text(st, 1, reference);
	bind_text(st, 2, p->number);
	bind_dec(st, 3, p->amount, a);
	bind_text(st, 4, p->currency);
	sqlite3_bind_int64(st, 5, p->day);
	bind_dec(st, 6, applied, b);
	bind_dec(st, 7, excess, c);
	sqlite3_bind_int64(st, 8, now);
	ldg_step1(l, st, "recording a payment");
	sqlite3_reset(st);
}

dec
ldg_paid(struct ledger *l, const char *number)
{
	sqlite3_stmt *st = l->st[S_PAY_SUM];

	bind_text(st, 1, number);
	return sum_rows(l, st, "summing payments");
}

void
ldg_receivable_put(struct ledger *l, const struct ldg_receivable *r,
    int64_t now)
{
	sqlite3_stmt *st = l->st[S_RECV_PUT];
	char a[DEC_FMTMAX], b[DEC_FMTMAX];

	bind_text(st, 1, r->number);
	bind_text(st, 2, r->entity);
	bind_text(st, 3, r->customer);
	bind_text(st, 4, r->currency);
	sqlite3_bind_int64(st, 5, r->due_day);
	bind_dec(st, 6, r->amount, a);
	bind_dec(st, 7, r->paid, b);
	bind_text(st, 8, r->status);
	sqlite3_bind_int64(st, 9, now);
	ldg_step1(l, st, "recording a receivable");
	sqlite3_reset(st);
}

int
ldg_docs_all(struct ledger *l, int (*cb)(const struct ldg_doc *, void *),
    void *arg)
{
	return docs(l, l->st[S_DOC_ALL], cb, arg);
}

int
ldg_postings_all(struct ledger *l, int (*cb)(const char *id,
    const char *number, const char *state, const char *erp_ref,
    int64_t emitted, int64_t updated, void *), void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(l->db, "SELECT id, number, state, erp_ref, "
	    "emitted, updated FROM posting ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		ldg_die(l, rc, "reading postings");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
		    arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		ldg_die(l, rc, "reading postings");
	}
	sqlite3_finalize(st);
	return n;
}
