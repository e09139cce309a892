/*
 * ldg_sqlite.c: the ledger's SQLite engine (see ldg_engine.h).
 *
 * Owns what is SQLite about the ledger: opening the file (WAL,
 * synchronous=FULL, the page size, caches and checkpoints), the schema
 * and its migrations from version 1 on, the text of every statement,
 * transactions, the mapping of SQLite's errors to the exit-code table,
 * and the loop of a scan over usage blocks.  It knows nothing of
 * what the statements are for: that is ledger.c's and keyidx.c's.  The
 * schema is documented in usage-to-cash(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "audit.h"
#include "keyidx.h"
#include "ldg_engine.h"
#include "ledger.h"
#include "ublk.h"
#include "util.h"

/* Statements of the usage scan, run here only. */
enum {
	SQ_SCAN = LDGE_NSTMT,
	SQ_NSTMT
};

/* Every statement, in the order of ldg_engine.h, which says what each does. */
static const char *const sql_text[SQ_NSTMT] = {
	[LDGE_GEN_GET] = "SELECT v FROM meta WHERE k = 'key_gen'",
	[LDGE_GEN_BUMP] = "UPDATE meta SET v = v + 1 WHERE k = 'key_gen'",
	[LDGE_LOG_INS] =
	    "INSERT INTO ukey_batch (seq, n, keys) VALUES (?1, ?2, ?3)",
	[LDGE_LOG_SINCE] = "SELECT keys, n, seq FROM ukey_batch WHERE seq > ?1 "
	    "ORDER BY seq",
	[LDGE_LOG_CLEAR] = "DELETE FROM ukey_batch",
	[LDGE_RUN_NEXT] = "SELECT run FROM ukey_block WHERE run > ?1 "
	    "ORDER BY run LIMIT 1",
	[LDGE_RUN_GET] =
	    "SELECT n, nblocks, length(bits) FROM ukey_run WHERE run = ?1",
	[LDGE_RUN_PUT] =
	    "INSERT OR REPLACE INTO ukey_run (run, n, nblocks, bits) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[LDGE_RUN_BLOCKS] = "SELECT keys, n FROM ukey_block WHERE run = ?1",
	[LDGE_BLK_GET] =
	    "SELECT keys, n FROM ukey_block WHERE run = ?1 AND lo <= ?2 "
	    "ORDER BY lo DESC LIMIT 1",
	[LDGE_BLK_PUT] = "INSERT INTO ukey_block (run, lo, n, keys) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[LDGE_BLK_NEXT] = "SELECT keys, n, lo FROM ukey_block "
	    "WHERE run = ?1 AND lo > ?2 ORDER BY lo LIMIT 1",
	[LDGE_RUN_DROP] =
	    "DELETE FROM ukey_block WHERE run IN (?1, ?2, ?3, ?4)",
	[LDGE_RUN_DROPF] = "DELETE FROM ukey_run WHERE run IN (?1, ?2, ?3, ?4)",
	[LDGE_SEQ_GET] = "SELECT v FROM meta WHERE k = 'next_seq'",
	[LDGE_SEQ_SET] = "UPDATE meta SET v = ?1 WHERE k = 'next_seq'",
	[LDGE_STATE] = "SELECT "
	    "(SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'next_seq'), "
	    "(SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'key_gen'), "
	    "(SELECT CAST(v AS INTEGER) FROM meta WHERE k = 'pruned_before')",
	[LDGE_DAY_FIRST] = "SELECT day FROM usage_block WHERE day >= ?1 "
	    "AND day <= ?2 ORDER BY day LIMIT 1",
	[LDGE_DAY_LAST] = "SELECT day FROM usage_block WHERE day >= ?1 "
	    "AND day <= ?2 ORDER BY day DESC LIMIT 1",
	[LDGE_UB_PUT] = "INSERT INTO usage_block (day, seq, n, last, tmin, "
	    "tmax, ingested, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[LDGE_UB_AT] = "SELECT data, last, seq FROM usage_block WHERE day = ?1 "
	    "AND seq <= ?2 ORDER BY seq DESC LIMIT 1",
	[LDGE_UB_NEAR] = "SELECT data FROM usage_block WHERE day = ?1 "
	    "AND tmin <= ?2 AND tmax >= ?2 ORDER BY seq",
	[LDGE_UB_OLD] = "SELECT day, seq, last, tmax, data FROM usage_block "
	    "WHERE day <= ?2 AND tmin < ?1 ORDER BY day, seq",
	[LDGE_UB_DEL] = "DELETE FROM usage_block WHERE day = ?1 AND seq = ?2",
	[LDGE_GONE_PUT] = "INSERT INTO usage_gone (day, seq, gone) "
	    "VALUES (?1, ?2, ?3)",
	[LDGE_GONE_IN] = "SELECT day, seq, gone FROM usage_gone WHERE day >= ?1 "
	    "AND day <= ?2 ORDER BY day, seq",
	[LDGE_GONE_DEL] = "DELETE FROM usage_gone WHERE day = ?1 "
	    "AND seq >= ?2 AND seq <= ?3",
	[LDGE_PRUNED_SET] = "INSERT INTO meta (k, v) "
	    "VALUES ('pruned_before', ?1) ON CONFLICT (k) DO UPDATE "
	    "SET v = max(CAST(v AS INTEGER), CAST(excluded.v AS INTEGER))",
	[LDGE_PRUNED_GET] = "SELECT CAST(v AS INTEGER) FROM meta "
	    "WHERE k = 'pruned_before'",
	[LDGE_GRANT_GET] = "SELECT currency, amount, granted, expires, priority, "
	    "paid FROM credit_grant WHERE customer = ?1 AND id = ?2",
	[LDGE_GRANT_PUT] = "INSERT INTO credit_grant (customer, id, currency, "
	    "amount, granted, recorded, expires, priority, paid) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[LDGE_DRAW_GET] = "SELECT amount, balance FROM credit_draw "
	    "WHERE customer = ?1 "
	    "AND currency = ?2 AND period_start = ?3",
	[LDGE_DRAW_PUT] = "INSERT INTO credit_draw (customer, currency, "
	    "period_start, period_end, amount, balance, drawn) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (customer, currency, period_start) DO UPDATE SET "
	    "period_end = excluded.period_end, amount = excluded.amount, "
	    "balance = excluded.balance, drawn = excluded.drawn",
	[LDGE_ALERT_PUT] = "INSERT INTO rate_alert (customer, threshold, "
	    "period_start, period_end, amount, fired) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
	[LDGE_ALERT_GET] = "SELECT 1 FROM rate_alert WHERE customer = ?1 "
	    "AND threshold = ?2 AND period_start = ?3",
	[LDGE_SEQ_NEXT] = "SELECT next FROM doc_seq WHERE entity = ?1 "
	    "AND scope = ?2",
	[LDGE_SEQ_BUMP] = "INSERT INTO doc_seq (entity, scope, next) "
	    "VALUES (?1, ?2, 2) ON CONFLICT (entity, scope) DO UPDATE "
	    "SET next = next + 1",
	[LDGE_INV_GET] = "SELECT number, state, version, cum FROM invoice "
	    "WHERE key = ?1",
	[LDGE_INV_PUT] = "INSERT INTO invoice (key, entity, customer, "
	    "period_start, period_end, currency, number, state, version, cum) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, "
	    "version = excluded.version, cum = excluded.cum, "
	    /* the same number but after interim invoices: the final's */
	    "number = excluded.number",
	[LDGE_DOC_PUT] = "INSERT INTO doc (number, entity, key, version, kind, "
	    "issued, total, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[LDGE_DOC_KEY] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc WHERE key = ?1 ORDER BY version",
	[LDGE_DOC_NUM] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc WHERE number = ?1",
	[LDGE_DOC_ALL] = "SELECT number, kind, version, record, key, issued "
	    "FROM doc ORDER BY key, version",
	[LDGE_POST_GET] = "SELECT state, erp_ref, reason, record FROM posting "
	    "WHERE id = ?1",
	[LDGE_POST_PUT] = "INSERT INTO posting (id, entity, number, state, "
	    "erp_ref, reason, emitted, updated, record) "
	    "VALUES (?1, ?2, ?3, 'pending', NULL, NULL, ?4, ?4, ?5)",
	[LDGE_POST_STATE] = "UPDATE posting SET state = ?2, erp_ref = ?3, "
	    "reason = ?4, updated = ?5 WHERE id = ?1",
	[LDGE_POST_ALL] = "SELECT id, number, state, erp_ref, "
	    "emitted, updated FROM posting ORDER BY id",
	/*
	 * A document's postings carry its number, and so do the cash
	 * receipts of an invoice's payments, one a payment: a number has
	 * an entry of its document posted when it has more postings than
	 * payments.  Without an index on posting.number the subquery is
	 * one pass over the postings, made once; the documents are read
	 * through their number's index, and only those listed by rowid.
	 */
	[LDGE_DOC_UNPOSTED] = "SELECT number, entity FROM doc WHERE rowid IN "
	    "(SELECT rowid FROM doc WHERE number NOT IN "
	    "(SELECT number FROM posting GROUP BY number HAVING count(*) > "
	    "(SELECT count(*) FROM payment WHERE payment.number = "
	    "posting.number))) ORDER BY rowid",
	[LDGE_PAY_GET] = "SELECT number, amount, currency, day FROM payment "
	    "WHERE reference = ?1",
	[LDGE_PAY_PUT] = "INSERT INTO payment (reference, number, amount, "
	    "currency, day, applied, excess, recorded) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[LDGE_PAY_SUM] = "SELECT applied FROM payment WHERE number = ?1",
	[LDGE_RECV_PUT] = "INSERT INTO receivable (number, entity, customer, "
	    "currency, due_day, amount, paid, status, updated) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT (number) DO UPDATE SET amount = excluded.amount, "
	    "paid = excluded.paid, status = excluded.status, "
	    "updated = excluded.updated",
	/* erp-post: the credit grants to book, each in its customer's books */
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
	/*
	 * rate, erp-post: a customer's grants in a currency in the order
	 * a period draws on them (version 11): priority, the soonest
	 * expiry (never last), the oldest, the id
	 */
	[LDGE_GRANT_LIST] = "SELECT id, amount, granted, expires, priority, "
	    "paid FROM credit_grant WHERE customer = ?1 AND currency = ?2 "
	    "ORDER BY priority, expires IS NULL, expires, granted, id",
	[LDGE_DRAWG_OF] = "SELECT amount, period_start = ?4 "
	    "FROM credit_draw_grant WHERE customer = ?1 AND currency = ?2 "
	    "AND grant_id = ?3",
	[LDGE_DRAWG_DEL] = "DELETE FROM credit_draw_grant WHERE customer = ?1 "
	    "AND currency = ?2 AND period_start = ?3",
	[LDGE_DRAWG_PUT] = "INSERT INTO credit_draw_grant (customer, currency, "
	    "period_start, seq, grant_id, amount) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[LDGE_DRAW_LEGACY] = "SELECT d.amount FROM credit_draw d "
	    "WHERE d.customer = ?1 AND d.currency = ?2 AND d.period_start <> ?3 "
	    "AND NOT EXISTS (SELECT 1 FROM credit_draw_grant x "
	    "WHERE x.customer = d.customer AND x.currency = d.currency "
	    "AND x.period_start = d.period_start) ORDER BY d.period_start",
	/*
	 * reconcile(1): a document's period is its invoice key's, which
	 * every document of the key shares.
	 */
	[LDGE_DOC_ENDING] = "SELECT d.number, d.kind, d.version, d.record, "
	    "d.key, d.issued FROM doc d JOIN invoice i ON i.key = d.key "
	    "WHERE i.period_end > ?1 AND i.period_end <= ?2 ORDER BY d.rowid",
	[LDGE_CLAIM_GET] = "SELECT owner, expires FROM send_claim WHERE id = ?1",
	[LDGE_CLAIM_PUT] = "INSERT INTO send_claim (id, owner, claimed, expires) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
	    "owner = excluded.owner, claimed = excluded.claimed, "
	    "expires = excluded.expires",
	[LDGE_CLAIM_DEL] = "DELETE FROM send_claim WHERE id = ?1 AND owner = ?2",
	[LDGE_AUDIT_LAST] = "SELECT seq, hash FROM audit "
	    "ORDER BY seq DESC LIMIT 1",
	[LDGE_AUDIT_PUT] = "INSERT INTO audit (seq, at, op, subject, detail, "
	    "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[LDGE_AUDIT_ALL] = "SELECT seq, at, op, subject, detail, prev_hash, "
	    "hash FROM audit ORDER BY seq",
	[LDGE_FIX_BY_KEY] = "SELECT orig FROM usage_fix WHERE key = ?1",
	[LDGE_FIX_HEAD] = "SELECT n, kind, day, seq, key, id, t FROM usage_fix "
	    "WHERE orig = ?1 ORDER BY n DESC LIMIT 1",
	[LDGE_FIX_PUT] = "INSERT INTO usage_fix (orig, n, kind, key, id, day, "
	    "seq, prev_day, prev_seq, t, ingested, at, prev_t) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[LDGE_FIX_PRUNE] = "DELETE FROM usage_fix WHERE t < ?1",
	/* no index on ingested: a scan of the blocks' rows, a month-end */
	[LDGE_USAGE_CHANGED] = "SELECT min(t) FROM (SELECT tmin AS t "
	    "FROM usage_block WHERE ingested >= ?1 UNION ALL SELECT prev_t "
	    "FROM usage_fix WHERE ingested >= ?1)",
	[SQ_SCAN] = "SELECT day, data FROM usage_block WHERE day >= ?1 "
	    "AND day <= ?2 AND tmax >= ?3 AND tmin < ?4 ORDER BY day, seq",
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
	"  run INTEGER NOT NULL,"	/* sorted runs, see keyidx.c */
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
 * keys in blocks of entries (see "the cold index" in keyidx.c) instead of
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

/*
 * Version 8: the audit log (audit.h), a hash chain of the ledger's state
 * changes, a row each, appended by ledger.c in the transaction of the
 * change.  A rowid table in seq order: rows land on its last page.  It
 * starts with a genesis row, written here with the schema, which says
 * whether the ledger was created or migrated: a migrated ledger's chain
 * covers what changed since.
 */
static const char schema_v8[] =
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY,"	/* 1, 2, ... */
	"  at INTEGER NOT NULL,"		/* ns since 1970 UTC, wall clock */
	"  op TEXT NOT NULL,"		/* what changed: usage.claim, ... */
	"  subject TEXT NOT NULL,"	/* of what: a number, an entry id */
	"  detail TEXT NOT NULL,"		/* JSON */
	"  prev_hash BLOB NOT NULL,"	/* the row before's hash; 0s */
	"  hash BLOB NOT NULL"		/* BLAKE2b-256, see audit.h */
	");";

/*
 * Version 9: erp-send(1)'s claims, one sender at a time per entry: a row
 * while a sender has the entry in hand, dropped when the ERP answered.
 */
static const char schema_v9[] =
	"CREATE TABLE send_claim ("
	"  id TEXT PRIMARY KEY,"		/* the entry's id */
	"  owner TEXT NOT NULL,"		/* the sender: host, process */
	"  claimed INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	") WITHOUT ROWID;";

/*
 * Version 10: meter-ingest(1)'s corrections.  A usage row that an
 * amendment replaced or a cancel removed keeps its place and its bytes,
 * and gets gone, the seq of the correction (a cancel's own row gets its
 * own seq: it never counts); the scans read the rows where gone is NULL,
 * the effective versions.  usage_fix is the trail: every correction of
 * an original event (orig, its key), in order (n), with the row it
 * replaced and the run (ingested, its --as-of) and time (at) that made
 * it.  ALTER TABLE ADD COLUMN rewrites nothing: old rows read as NULL.
 */
static const char schema_v10[] =
	"CREATE TABLE IF NOT EXISTS usage_fix ("
	"  orig BLOB NOT NULL,"		/* the original event's key */
	"  n INTEGER NOT NULL,"		/* 1, 2, ...: its corrections */
	"  kind TEXT NOT NULL,"		/* amend, cancel */
	"  key BLOB NOT NULL,"		/* the correction's own key */
	"  id TEXT NOT NULL,"		/* and id */
	"  day INTEGER NOT NULL,"	/* its usage row */
	"  seq INTEGER NOT NULL,"
	"  prev_day INTEGER NOT NULL,"	/* the row it replaced */
	"  prev_seq INTEGER NOT NULL,"
	"  t INTEGER NOT NULL,"		/* its event time */
	"  ingested INTEGER NOT NULL,"	/* --as-of of the accepting run */
	"  at INTEGER NOT NULL,"		/* wall clock, ns */
	"  PRIMARY KEY (orig, n)"
	") WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS usage_fix_key ON usage_fix (key);";

/*
 * Version 11: credit grants that behave like money.  A grant gets an
 * expiry (NULL: never), a priority (lower first) and whether it was
 * bought (paid 1) or promotional (0); the grants of versions 2 to 10 were all
 * bought, never expiring, of the default priority.  A draw records the
 * grants it used, a row each (credit_draw_grant), replaced with it when
 * its period is rated again; a draw of version 2 has none, and is taken
 * off its customer's grants oldest first (ledger.c).
 */
static const char schema_v11[] =
	"ALTER TABLE credit_grant ADD COLUMN expires INTEGER;"
	"ALTER TABLE credit_grant ADD COLUMN priority INTEGER NOT NULL "
	"  DEFAULT 50;"
	"ALTER TABLE credit_grant ADD COLUMN paid INTEGER NOT NULL DEFAULT 1;"
	"CREATE TABLE credit_draw_grant ("
	"  customer TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  period_start INTEGER NOT NULL,"	/* the draw's */
	"  seq INTEGER NOT NULL,"		/* the order drawn, from 0 */
	"  grant_id TEXT NOT NULL,"
	"  amount TEXT NOT NULL,"		/* drawn from it */
	"  PRIMARY KEY (customer, currency, period_start, seq)"
	") WITHOUT ROWID;"
	"CREATE INDEX credit_draw_grant_id ON credit_draw_grant "
	"  (customer, currency, grant_id);";

/*
 * Version 12: usage records in blocks of columns (ublk.h), a row a block
 * of one day's records of one batch, by (day, seq of its first record),
 * instead of a row a record: a month-end reads a few hundred rows, ingest
 * writes a row a day a batch.  The records a correction replaced or
 * cancelled are listed in usage_gone (the old column gone); usage_fix
 * keeps the replaced record's time, which --changed-since reads.
 * migrate_v12 moves version 11's rows.
 */
static const char schema_v12[] =
	"CREATE TABLE usage_block ("
	"  day INTEGER NOT NULL,"	/* UTC day of its records' t */
	"  seq INTEGER NOT NULL,"	/* its first record's seq */
	"  n INTEGER NOT NULL,"		/* its records */
	"  last INTEGER NOT NULL,"	/* its last record's seq */
	"  tmin INTEGER NOT NULL,"	/* its records' earliest t */
	"  tmax INTEGER NOT NULL,"	/* and latest */
	"  ingested INTEGER NOT NULL,"	/* --as-of of the accepting run */
	"  data BLOB NOT NULL,"		/* the records, see ublk.h */
	"  PRIMARY KEY (day, seq)"
	") WITHOUT ROWID;"
	"CREATE TABLE usage_gone ("
	"  day INTEGER NOT NULL,"	/* a record's day and seq */
	"  seq INTEGER NOT NULL,"
	"  gone INTEGER NOT NULL,"	/* the correction's seq */
	"  PRIMARY KEY (day, seq)"
	") WITHOUT ROWID;"
	"ALTER TABLE usage_fix ADD COLUMN prev_t INTEGER;"
	"UPDATE usage_fix SET prev_t = (SELECT u.t FROM usage u "
	"  WHERE u.day = usage_fix.prev_day AND u.seq = usage_fix.prev_seq);"
	"INSERT INTO usage_gone (day, seq, gone) SELECT day, seq, gone "
	"  FROM usage WHERE gone IS NOT NULL;";

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

struct sq {
	struct ldg_engine	 e;		/* first: ops, path, blk_keys */
	sqlite3			*db;
	char			*path;
	int			 busy_ms;
	int			 holdfd;	/* ldg_hold's lock, or -1 */
	sqlite3_stmt		*st[SQ_NSTMT];
};

#define SQ(x)	((struct sq *)(x))

/* Map an SQLite failure to the exit-code table and die. */
static _Noreturn void
sq_die(struct sq *s, int rc, const char *what)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		die(EX_TEMPFAIL, "ledger '%s' is busy: %s (waited %d ms for "
		    "another process); re-run to complete the work", s->path,
		    what, s->busy_ms);
	case SQLITE_FULL:
		die(EX_IOERR, "ledger '%s': %s: disk full; nothing of the "
		    "current batch was kept", s->path, what);
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		die(EX_IOERR, "ledger '%s': %s: %s", s->path, what, msg);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		die(EX_CONFIG, "ledger '%s' is not a usable ledger: %s",
		    s->path, msg);
	default:
		die(EX_SOFTWARE, "ledger '%s': %s: %s", s->path, what, msg);
	}
}

static void
sq_exec(struct sq *s, const char *sql, const char *what)
{
	int rc;

	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		sq_die(s, rc, what);
}

/* Step a statement that returns at most one row; returns 1 on a row. */
static int
sq_step1(struct sq *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		sq_die(s, rc, what);
	}
	return 0;
}

static void
sq_begin(struct ldg_engine *e)
{
	sq_exec(SQ(e), "BEGIN IMMEDIATE", "starting a write transaction");
}

static void
sq_begin_read(struct ldg_engine *e)
{
	sq_exec(SQ(e), "BEGIN", "starting a read transaction");
}

static void
sq_commit(struct ldg_engine *e, const char *what)
{
	sq_exec(SQ(e), "COMMIT", what);
}

static void
sq_rollback(struct ldg_engine *e)
{
	sqlite3_exec(SQ(e)->db, "ROLLBACK", NULL, NULL, NULL);
}

static int64_t
sq_pragma_int(struct sq *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK)
		sq_die(s, rc, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		sq_die(s, rc, sql);
	}
	sqlite3_finalize(st);
	return v;
}

static void
sq_check_foreign(struct sq *s)
{
	sqlite3_stmt *st;
	int64_t app, ntab;
	int rc;

	/* one statement, one snapshot: a ledger being created by another
	 * process is seen either empty or complete, never half made */
	rc = sqlite3_prepare_v2(s->db, "SELECT "
	    "(SELECT application_id FROM pragma_application_id), "
	    "(SELECT count(*) FROM sqlite_master)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		sq_die(s, rc, "reading the ledger's identity");
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		sq_die(s, rc, "reading the ledger's identity");
	}
	app = sqlite3_column_int64(st, 0);
	ntab = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (app == 0 && ntab == 0)
		return;		/* new: sq_migrate creates the schema */
	if (app != LDG_APPID)
		die(EX_CONFIG, "'%s' is an SQLite database but not a ledger of "
		    "this toolchain (application_id %lld)", s->path,
		    (long long)app);
}


/*
 * Rewrite the rows of version 5's key index as blocks of version 6: the
 * cold runs (ukey_cold, ordered by run and key) as blocks of ukey_block
 * within each run; the log (ukey_log, by seq) as blocks of ukey_batch of
 * consecutive seq.  Before the ledger's statements are prepared, so with
 * statements of its own.
 */
static void
migrate_keys(struct sq *s, int log)
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
	struct kidx_ent e;
	int64_t g = 0, first = 0, last = 0;
	size_t n = 0;
	int rc, i, more;

	for (i = 0; i < 2; i++)
		if ((rc = sqlite3_prepare_v2(s->db, sql[log][i], -1, &st[i],
		    NULL)) != SQLITE_OK)
			sq_die(s, rc, what);
	b = xmalloc(s->e.blk_keys * KIDX_ENTLEN);
	do {
		if ((more = sq_step1(s, st[0], what)))
			g = sqlite3_column_int64(st[0], 0);
		if (n > 0 && (!more || n == s->e.blk_keys ||
		    (log ? g != last + 1 : g != first))) {
			sqlite3_bind_int64(st[1], 1, first);
			if (!log)
				sqlite3_bind_blob(st[1], 2, b, LDG_KEYLEN,
				    SQLITE_STATIC);
			sqlite3_bind_int64(st[1], 3, (int64_t)n);
			sqlite3_bind_blob(st[1], 4, b, (int)(n * KIDX_ENTLEN),
			    SQLITE_STATIC);
			sq_step1(s, st[1], what);
			sqlite3_reset(st[1]);
			n = 0;
		}
		if (!more)
			break;
		if (sqlite3_column_bytes(st[0], 1) != LDG_KEYLEN ||
		    sqlite3_column_bytes(st[0], 2) != LDG_KEYLEN)
			die(EX_CONFIG, "ledger '%s': malformed key index entry",
			    s->path);
		if (n == 0)
			first = g;
		last = g;
		memcpy(e.k, sqlite3_column_blob(st[0], 1), LDG_KEYLEN);
		memcpy(e.d, sqlite3_column_blob(st[0], 2), KIDX_DLEN);
		e.t = sqlite3_column_int64(st[0], 3);
		kidx_ent_put(b + n++ * KIDX_ENTLEN, &e);
	} while (more);
	free(b);
	for (i = 0; i < 2; i++)
		sqlite3_finalize(st[i]);
}

static void
migrate_v6(struct sq *s)
{
	sq_exec(s, schema_v6, "migrating the schema to version 6");
	migrate_keys(s, 0);
	migrate_keys(s, 1);
	/*
	 * Version 6 filters take a key's block by scaling, not masking:
	 * version 5's are rebuilt from the runs when next loaded.
	 */
	sq_exec(s, "DROP TABLE ukey_cold; DROP TABLE ukey_log; "
	    "DELETE FROM ukey_run", "migrating the schema to version 6");
}

/*
 * The audit table and its genesis row, hashed by audit.c: a new ledger
 * (from 0) or one migrated from an older schema.  Before the ledger's
 * statements are prepared, so with a statement of its own.
 */
static void
migrate_v8(struct sq *s, int from)
{
	const char *what = "creating the audit log";
	struct audit_row g;
	char detail[AUDIT_GENESIS_MAX];
	sqlite3_stmt *st;
	int rc;

	sq_exec(s, schema_v8, what);
	audit_genesis(&g, from, LDG_SCHEMA, detail);
	if ((rc = sqlite3_prepare_v2(s->db, "INSERT INTO audit (seq, at, "
	    "op, subject, detail, prev_hash, hash) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL)) != SQLITE_OK)
		sq_die(s, rc, what);
	sqlite3_bind_int64(st, 1, g.seq);
	sqlite3_bind_int64(st, 2, g.at);
	sqlite3_bind_text(st, 3, g.op, (int)g.oplen, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, g.subject, (int)g.subjlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, g.detail, (int)g.detlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, g.prev, AUDIT_HASHLEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, g.hash, AUDIT_HASHLEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		sq_die(s, rc, what);
}

/*
 * Version 10's column, added once: a ledger whose version was set back
 * by hand (the tests' older ledgers) may have it already.
 */
static void
migrate_v10(struct sq *s)
{
	const char *what = "migrating the schema to version 10";

	if (sq_pragma_int(s, "SELECT count(*) FROM pragma_table_info('usage') "
	    "WHERE name = 'gone'") == 0)
		sq_exec(s, "ALTER TABLE usage ADD COLUMN gone INTEGER", what);
	sq_exec(s, schema_v10, what);
}

/*
 * Version 11's usage rows as blocks of version 12, day by day in seq
 * order, a block ending at UBLK_MAX records or where the --as-of
 * changes; then the table goes.  Before the ledger's statements are
 * prepared, so with statements of its own.
 */
static void
migrate_v12(struct sq *s)
{
	static const char *const sql[2] = {
		"SELECT day, seq, t, key, customer, source, id, type, subject, "
		"digest, corr, ingested, data FROM usage ORDER BY day, seq",
		"INSERT INTO usage_block (day, seq, n, last, tmin, tmax, "
		"ingested, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	};
	const char *what = "migrating the schema to version 12";
	sqlite3_stmt *st[2];
	struct ublk_w w;
	struct ldg_usage u;
	struct buf b = { 0 };
	int64_t day = 0, seq;
	int rc, i, more;

	sq_exec(s, schema_v12, what);
	for (i = 0; i < 2; i++)
		if ((rc = sqlite3_prepare_v2(s->db, sql[i], -1, &st[i],
		    NULL)) != SQLITE_OK)
			sq_die(s, rc, what);
	ublk_w_init(&w, 0, 0);
	memset(&u, 0, sizeof(u));
	do {
		if ((more = sq_step1(s, st[0], what))) {
			day = sqlite3_column_int64(st[0], 0);
			u.ingested = sqlite3_column_int64(st[0], 11);
		}
		if (w.n > 0 && (!more || !ublk_w_takes(&w, day, u.ingested))) {
			sqlite3_bind_int64(st[1], 1, w.day);
			sqlite3_bind_int64(st[1], 2, w.seq0);
			sqlite3_bind_int64(st[1], 3, (int64_t)w.n);
			sqlite3_bind_int64(st[1], 4, w.last);
			sqlite3_bind_int64(st[1], 5, w.tmin);
			sqlite3_bind_int64(st[1], 6, w.tmax);
			sqlite3_bind_int64(st[1], 7, w.ingested);
			ublk_w_finish(&w, &b);
			sqlite3_bind_blob(st[1], 8, b.p, (int)b.len,
			    SQLITE_STATIC);
			sq_step1(s, st[1], what);
			sqlite3_reset(st[1]);
		}
		if (!more)
			break;
		if (w.n == 0) {
			ublk_w_free(&w);
			ublk_w_init(&w, day, u.ingested);
		}
		seq = sqlite3_column_int64(st[0], 1);
		u.t = sqlite3_column_int64(st[0], 2);
		u.key = sqlite3_column_blob(st[0], 3);
		u.customer = (const char *)sqlite3_column_text(st[0], 4);
		u.source = (const char *)sqlite3_column_text(st[0], 5);
		u.id = (const char *)sqlite3_column_text(st[0], 6);
		u.type = (const char *)sqlite3_column_text(st[0], 7);
		u.subject = (const char *)sqlite3_column_text(st[0], 8);
		u.digest = sqlite3_column_blob(st[0], 9);
		u.corr = (const char *)sqlite3_column_text(st[0], 10);
		u.data = sqlite3_column_blob(st[0], 12);
		u.datalen = (size_t)sqlite3_column_bytes(st[0], 12);
		if (sqlite3_column_bytes(st[0], 3) != LDG_KEYLEN ||
		    sqlite3_column_bytes(st[0], 9) != LDG_KEYLEN ||
		    u.customer == NULL || u.source == NULL || u.id == NULL ||
		    u.type == NULL || u.subject == NULL)
			die(EX_CONFIG, "ledger '%s': malformed usage row "
			    "(day %lld, seq %lld)", s->path, (long long)day,
			    (long long)seq);
		ublk_w_add(&w, &u, seq);
	} while (more);
	ublk_w_free(&w);
	buf_free(&b);
	for (i = 0; i < 2; i++)
		sqlite3_finalize(st[i]);
	sq_exec(s, "DROP TABLE usage", what);
}

static void
sq_migrate(struct sq *s)
{
	int64_t ver, app, ntab;
	char sql[128];

	ver = sq_pragma_int(s, "PRAGMA user_version");
	app = sq_pragma_int(s, "PRAGMA application_id");
	if (ver == LDG_SCHEMA && app == LDG_APPID)
		return;
	if (ver > LDG_SCHEMA && app == LDG_APPID)
		die(EX_CONFIG, "ledger '%s' has schema version %lld, newer than "
		    "this program knows (%d); upgrade the toolchain", s->path,
		    (long long)ver, LDG_SCHEMA);
	sq_begin(&s->e);
	/* another process may have created it while we waited */
	ver = sq_pragma_int(s, "PRAGMA user_version");
	app = sq_pragma_int(s, "PRAGMA application_id");
	ntab = sq_pragma_int(s, "SELECT count(*) FROM sqlite_master");
	if (ver == 0 && app == 0 && ntab == 0) {
		sq_exec(s, schema_v1, "creating the schema");
		sq_exec(s, schema_v2, "creating the schema");
		sq_exec(s, schema_v3, "creating the schema");
		sq_exec(s, schema_v4, "creating the schema");
		sq_exec(s, schema_v5, "creating the schema");
		migrate_v6(s);
		sq_exec(s, schema_v7, "creating the schema");
		migrate_v8(s, 0);
		sq_exec(s, schema_v9, "creating the schema");
		migrate_v10(s);
		sq_exec(s, schema_v11, "creating the schema");
		migrate_v12(s);
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
		    "PRAGMA user_version = %d", LDG_APPID, LDG_SCHEMA);
		sq_exec(s, sql, "setting the schema version");
	} else if (app != LDG_APPID) {
		die(EX_CONFIG, "'%s' is an SQLite database but not a ledger of "
		    "this toolchain (application_id %lld)", s->path,
		    (long long)app);
	} else if (ver == 0) {
		die(EX_CONFIG, "ledger '%s' has no schema version: it was not "
		    "created by this toolchain, or was altered by hand",
		    s->path);
	}
	if (ver >= 1 && ver < LDG_SCHEMA) {
		if (ver < 2)
			sq_exec(s, schema_v2, "migrating the schema to "
			    "version 2");
		if (ver < 3)
			sq_exec(s, schema_v3, "migrating the schema to "
			    "version 3");
		if (ver < 4)
			sq_exec(s, schema_v4, "migrating the schema to "
			    "version 4");
		if (ver < 5)
			sq_exec(s, schema_v5, "migrating the schema to "
			    "version 5");
		if (ver < 6)
			migrate_v6(s);
		if (ver < 7)
			sq_exec(s, schema_v7, "migrating the schema to "
			    "version 7");
		if (ver < 8)
			migrate_v8(s, (int)ver);
		if (ver < 9)
			sq_exec(s, schema_v9, "migrating the schema to "
			    "version 9");
		if (ver < 10)
			migrate_v10(s);
		if (ver < 11)
			sq_exec(s, schema_v11, "migrating the schema to "
			    "version 11");
		if (ver < 12)
			migrate_v12(s);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    LDG_SCHEMA);
		sq_exec(s, sql, "setting the schema version");
	}
	/* future migrations: if (ver < 13) { ... } */
	sq_commit(&s->e, "committing");
}

/* ---- statements by id ---- */

static void
sq_bind_int(struct ldg_engine *e, int s, int i, int64_t v)
{
	sqlite3_bind_int64(SQ(e)->st[s], i, v);
}

static void
sq_bind_text(struct ldg_engine *e, int s, int i, const char *p, int n)
{
	sqlite3_bind_text(SQ(e)->st[s], i, p, n, SQLITE_STATIC);
}

static void
sq_bind_blob(struct ldg_engine *e, int s, int i, const void *p, size_t n)
{
	if (n == 0)	/* an empty blob, which a NULL p would make NULL */
		sqlite3_bind_zeroblob(SQ(e)->st[s], i, 0);
	else
		sqlite3_bind_blob64(SQ(e)->st[s], i, p, n, SQLITE_STATIC);
}

static void
sq_bind_null(struct ldg_engine *e, int s, int i)
{
	sqlite3_bind_null(SQ(e)->st[s], i);
}

static int
sq_step(struct ldg_engine *e, int s, const char *what)
{
	return sq_step1(SQ(e), SQ(e)->st[s], what);
}

static int
sq_insert(struct ldg_engine *e, int s, const char *what)
{
	sqlite3_stmt *st = SQ(e)->st[s];
	int rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT)
		return -1;
	if (rc != SQLITE_DONE)
		sq_die(SQ(e), rc, what);
	return 0;
}

static void
sq_reset(struct ldg_engine *e, int s)
{
	sqlite3_reset(SQ(e)->st[s]);
}

static int64_t
sq_col_int(struct ldg_engine *e, int s, int c)
{
	return sqlite3_column_int64(SQ(e)->st[s], c);
}

static const char *
sq_col_text(struct ldg_engine *e, int s, int c)
{
	return (const char *)sqlite3_column_text(SQ(e)->st[s], c);
}

static const void *
sq_col_blob(struct ldg_engine *e, int s, int c)
{
	return sqlite3_column_blob(SQ(e)->st[s], c);
}

static int
sq_col_bytes(struct ldg_engine *e, int s, int c)
{
	return sqlite3_column_bytes(SQ(e)->st[s], c);
}

static int
sq_col_null(struct ldg_engine *e, int s, int c)
{
	return sqlite3_column_type(SQ(e)->st[s], c) == SQLITE_NULL;
}

static int64_t
sq_changes(struct ldg_engine *e)
{
	return sqlite3_changes64(SQ(e)->db);
}

/* ---- usage blocks: the scan's loop over rows stays here ---- */

static int
sq_usage_scan(struct ldg_engine *e, int64_t day0, int64_t day1, int64_t from,
    int64_t to, ldg_block_cb cb, void *arg)
{
	sqlite3_stmt *st = SQ(e)->st[SQ_SCAN];
	int rc, r = 0;

	sqlite3_bind_int64(st, 1, day0);
	sqlite3_bind_int64(st, 2, day1);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = cb(sqlite3_column_int64(st, 0),
		    sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1), arg)) != 0)
			break;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sq_die(SQ(e), rc, "reading usage records");
	return r;
}

static void
sq_close(struct ldg_engine *e)
{
	struct sq *s = SQ(e);
	int i;

	for (i = 0; i < SQ_NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	if (sqlite3_close(s->db) != SQLITE_OK)
		warnmsg("ledger '%s': close: %s", s->path,
		    sqlite3_errmsg(s->db));
	if (s->holdfd >= 0)
		close(s->holdfd);
	free(s->path);
	free(s);
}

/* PATH.NAME.lock, flock(2)ed: the kernel drops it when the process dies. */
static int
sq_hold(struct ldg_engine *e, const char *name, char *what, size_t whatlen)
{
	struct sq *s = SQ(e);
	size_t n = strlen(s->path) + strlen(name) + sizeof("..lock");
	char *path = xmalloc(n);
	int fd;

	if (s->holdfd >= 0)	/* one a connection: its fd is kept here */
		die(EX_SOFTWARE, "ledger '%s': a second ldg_hold", s->path);
	snprintf(path, n, "%s.%s.lock", s->path, name);
	snprintf(what, whatlen, "'%s'", path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "cannot create the lock '%s': %s", path,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			die(EX_IOERR, "cannot lock '%s': %s", path,
			    strerror(errno));
		close(fd);
		free(path);
		return 1;
	}
	free(path);
	s->holdfd = fd;
	return 0;
}

/*
 * Through the incremental blob API, which reads the blob's overflow pages
 * into dst itself, most straight from the file past the page cache (a
 * column would be read whole into memory of SQLite's first).  length()
 * in LDGE_RUN_GET reads only the record's header.
 */
static int
sq_run_bits(struct ldg_engine *e, int64_t run, void *dst, size_t n)
{
	struct sq *s = SQ(e);
	sqlite3_blob *b;
	int rc;

	rc = sqlite3_blob_open(s->db, "main", "ukey_run", "bits", run, 0, &b);
	if (rc == SQLITE_ERROR)		/* no such row, or bits not a blob */
		return -1;
	if (rc != SQLITE_OK)
		sq_die(s, rc, "reading a key filter");
	if ((size_t)sqlite3_blob_bytes(b) != n) {
		sqlite3_blob_close(b);
		return -1;
	}
	if ((rc = sqlite3_blob_read(b, dst, (int)n, 0)) != SQLITE_OK) {
		sqlite3_blob_close(b);
		sq_die(s, rc, "reading a key filter");
	}
	sqlite3_blob_close(b);
	return 0;
}

static const struct ldg_engine_ops sq_ops = {
	.close = sq_close,
	.hold = sq_hold,
	.begin = sq_begin,
	.begin_read = sq_begin_read,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.insert = sq_insert,
	.reset = sq_reset,
	.col_int = sq_col_int,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.col_bytes = sq_col_bytes,
	.col_null = sq_col_null,
	.changes = sq_changes,
	.usage_scan = sq_usage_scan,
	.run_bits = sq_run_bits,
};

/*
 * Whether a ledger opened read-only must be read as immutable: SQLite
 * reads a database in WAL mode through its -shm file, which it creates
 * when missing, and cannot where the directory is not the reader's to
 * write.  When neither -wal nor -shm is there, no process has the ledger
 * open and every commit is in the file itself, which is then read without
 * them (SQLite's immutable=1).  Otherwise SQLite reads them as they are.
 */
static int
sq_dir_writable(const char *path)
{
	char *dir, *slash;
	int r;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	r = faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) == 0;
	free(dir);
	return r;
}

static int
sq_ro_immutable(const char *path)
{
	char *p;
	size_t n = strlen(path);
	int r;

	p = xmalloc(n + 5);
	memcpy(p, path, n);
	memcpy(p + n, "-wal", 5);
	r = access(p, F_OK) < 0 && errno == ENOENT;
	memcpy(p + n, "-shm", 5);
	r = r && access(p, F_OK) < 0 && errno == ENOENT;
	free(p);
	return r && !sq_dir_writable(path);
}

/* file: URI of a path, for sqlite3_open_v2 with SQLITE_OPEN_URI */
static char *
sq_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	char *u, *q;
	const unsigned char *c;

	u = q = xmalloc(strlen(path) * 3 + strlen(query) + 16);
	q += sprintf(q, "file:");
	for (c = (const unsigned char *)path; *c != '\0'; c++)
		if (*c == '%' || *c == '?' || *c == '#' || *c < 0x20 ||
		    *c >= 0x7f) {
			*q++ = '%';
			*q++ = hex[*c >> 4];
			*q++ = hex[*c & 15];
		} else
			*q++ = (char)*c;
	sprintf(q, "?%s", query);
	return u;
}

int
ldg_sqlite_open_ro(const char *path, sqlite3 **db)
{
	char *uri;
	int rc;

	if (!sq_ro_immutable(path))
		return sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_NOMUTEX, NULL);
	uri = sq_uri(path, "immutable=1");
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
	    SQLITE_OPEN_NOMUTEX, NULL);
	free(uri);
	return rc;
}

/*
 * A ledger asked for read-only that must be written first (an empty file
 * to make a ledger of, an older schema to migrate): close what was
 * opened and open it for writing, as a stage that only reads did before
 * it could open read-only.
 */
static struct ldg_engine *
sq_reopen_rw(struct sq *s, const char *path, int busy_ms, int flags)
{
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s->path);
	free(s);
	return ldg_sqlite_open(path, busy_ms,
	    (flags & ~LDG_READONLY) | LDG_EXISTING);
}

struct ldg_engine *
ldg_sqlite_open(const char *path, int busy_ms, int flags)
{
	struct sq *s;
	const char *mode;
	sqlite3_stmt *st;
	struct stat sb;
	int64_t psize, ver;
	char sql[64];
	int rc, fd, i, waited;

	/*
	 * A reader that may write the ledger and its directory opens it as
	 * a writer does, and on closing it checkpoints and removes the -wal
	 * and -shm files, which a read-only connection leaves behind.
	 */
	if ((flags & LDG_READONLY) && (strcmp(path, ":memory:") == 0 ||
	    (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0 &&
	    sq_dir_writable(path))))
		flags = (flags & ~LDG_READONLY) | LDG_EXISTING;
	if ((flags & LDG_READONLY) && strcmp(path, ":memory:") != 0) {
		/*
		 * Read-only: open(2) says what is missing or unreadable
		 * before SQLite does.  An empty file is made a ledger
		 * below, as before, which needs writing.
		 */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			die(EX_NOINPUT, "no ledger at '%s'", path);
		if (fd < 0)
			die(errno == EACCES ? EX_CANTCREAT : EX_IOERR,
			    "cannot open ledger '%s': %s", path,
			    strerror(errno));
		if (fstat(fd, &sb) < 0)
			die(EX_IOERR, "cannot stat ledger '%s': %s", path,
			    strerror(errno));
		close(fd);
		if (S_ISREG(sb.st_mode) && sb.st_size == 0)
			return ldg_sqlite_open(path, busy_ms,
			    (flags & ~LDG_READONLY) | LDG_EXISTING);
	} else if (strcmp(path, ":memory:") != 0) {
		/* SQLite gives the -wal and -shm files the db file's mode */
		fd = open(path, O_RDWR | O_CLOEXEC |
		    (flags & LDG_EXISTING ? 0 : O_CREAT), 0600);
		if (fd < 0 && errno == ENOENT && (flags & LDG_EXISTING))
			die(EX_NOINPUT, "no ledger at '%s'", path);
		if (fd < 0)
			die(errno == ENOENT || errno == EACCES ? EX_CANTCREAT :
			    EX_IOERR, "cannot open ledger '%s': %s", path,
			    strerror(errno));
		/*
		 * An empty file (touch, mktemp) is made a ledger, as a new one
		 * is: with mode 0600, before WAL mode gives -wal and -shm its
		 * mode, whatever mode it was made with.  A ledger with
		 * content keeps the mode its owner gave it.
		 */
		if (fstat(fd, &sb) < 0)
			die(EX_IOERR, "cannot stat ledger '%s': %s", path,
			    strerror(errno));
		if (S_ISREG(sb.st_mode) && sb.st_size == 0 &&
		    (sb.st_mode & 077) != 0 && fchmod(fd, 0600) < 0)
			die(EX_CANTCREAT, "ledger '%s': cannot make the new "
			    "ledger private (mode 0600): %s", path,
			    strerror(errno));
		close(fd);
	}
	/* after the checks above, which die: nothing is lost on exit */
	s = xcalloc(1, sizeof(*s));
	s->holdfd = -1;
	s->e.ops = &sq_ops;
	s->e.path = s->path = xstrdup(path);
	s->busy_ms = busy_ms >= 0 ? busy_ms : LDG_BUSY_MS;
	if ((flags & LDG_READONLY) && strcmp(path, ":memory:") != 0)
		rc = ldg_sqlite_open_ro(path, &s->db);
	else
		rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		sq_die(s, rc, "opening");
	sqlite3_busy_timeout(s->db, s->busy_ms);
	sqlite3_extended_result_codes(s->db, 0);

	/*
	 * Look before changing anything: a database of another application
	 * must be refused as it was found, not switched to WAL first.
	 */
	sq_check_foreign(s);
	if (flags & LDG_READONLY) {
		/*
		 * A ledger in WAL mode already, of this schema, is read as
		 * it is.  A newer one is refused by sq_migrate before it
		 * writes; one that needs its schema made or migrated is
		 * opened for writing, as before.
		 */
		ver = sq_pragma_int(s, "PRAGMA user_version");
		if (ver > LDG_SCHEMA)
			sq_migrate(s);
		if (ver != LDG_SCHEMA)
			return sq_reopen_rw(s, path, busy_ms, flags);
		goto settings;
	}
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
	sq_exec(s, "PRAGMA page_size = 16384", "setting the page size");
	rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL);
	if (rc != SQLITE_OK)
		sq_die(s, rc, "setting WAL mode");
	for (waited = 0;; waited += 10) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW || (rc != SQLITE_BUSY &&
		    rc != SQLITE_LOCKED) || waited >= s->busy_ms)
			break;
		sqlite3_reset(st);
		sqlite3_sleep(10);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		sq_die(s, rc, "setting WAL mode");
	}
	mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || (strcmp(mode, "wal") != 0 &&
	    strcmp(path, ":memory:") != 0))
		die(EX_IOERR, "ledger '%s': cannot use WAL mode (got '%s')",
		    path, mode ? mode : "?");
	sqlite3_finalize(st);
settings:
	sq_exec(s, "PRAGMA synchronous = FULL;"
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
	psize = sq_pragma_int(s, "PRAGMA page_size");
	if (psize < 512 || psize > 65536)
		die(EX_SOFTWARE, "ledger '%s': page size %lld", path,
		    (long long)psize);
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %lld",
	    (long long)((32 << 20) / psize));
	sq_exec(s, sql, "setting pragmas");
	/*
	 * The largest block whose row fits its page: 72 bytes for the page
	 * and cell headers, the row's header, run, lo and n.
	 */
	s->e.blk_keys = (size_t)(psize - 72) / KIDX_ENTLEN;
	if (flags & LDG_LEAN)
		sq_exec(s, "PRAGMA cache_size = -2048", "setting pragmas");
	else if (flags & LDG_APPEND)
		sq_exec(s, "PRAGMA cache_size = -8192", "setting pragmas");
	sq_migrate(s);
	for (i = 0; i < SQ_NSTMT; i++) {
		if (sql_text[i] == NULL)
			die(EX_SOFTWARE, "ledger: statement %d has no SQL", i);
		rc = sqlite3_prepare_v3(s->db, sql_text[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);
		if (rc != SQLITE_OK)
			sq_die(s, rc, sql_text[i]);
	}
	return &s->e;
}
