/*
 * ledger-copy: copy a SQLite ledger into PostgreSQL and prove nothing
 * was lost; or, with --verify, only prove it.  See ledger-copy(1).
 *
 * By nature engine-specific: it reads the SQLite file with libsqlite3
 * and writes and reads PostgreSQL with libpq, every table of
 * ldg_schema.h column by column, in key order (rowid order for a table
 * whose stored order is read).  What is engine-neutral is elsewhere: the
 * tables (ldg_schema.h), a table's digest (tabdig.h), the audit chain's
 * check (audit.h).
 *
 * The target is made a ledger by ldg_open, so its schema is the
 * PostgreSQL engine's, and must be empty (what ldg_open leaves).  The
 * copy is one PostgreSQL transaction under the ledger writers' lock:
 * COPY of each table, the identity of a rowid table set past its last
 * row, then every table read back and digested, and the audit chain
 * walked; it commits only when every count and digest agrees with the
 * source's (computed while copying, from one read snapshot of the
 * SQLite file) and the chain is intact.  Anything else, a kill or a
 * lost server included, leaves the target an empty ledger (its schema,
 * made by ldg_open before the copy, and no row of the source).
 *
 * meta's rows schema and application_id are each engine's own (on
 * SQLite they are pragmas): neither copied nor compared.  The audit
 * log's genesis row ldg_open wrote is replaced by the source's log, so
 * the chain goes on from the source's head, and the copy appends a row
 * of its own to it (op ledger.copy: the source, each table's rows and
 * digest), chained and hashed as ledger.c's rows are (audit.h), after
 * the tables were compared and before the chain's walk ends: it is in
 * the copy's chain, verified, but in no digest (the source has no such
 * row); --verify compares the copy's log up to the source's last row.
 *
 * The source's snapshot alone would make a consistent copy, but not a
 * complete one: a stage committing to the SQLite file during the copy
 * would leave rows there that the copy lacks.  So a copy holds the
 * SQLite ledger's writers' lock (BEGIN IMMEDIATE) from before its first
 * read until the copy commits: a stage that would write waits for it,
 * up to its --busy-timeout, and exits 75 with nothing written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "audit.h"
#include "jw.h"
#include "keys.h"
#include "ldg_engine.h"		/* LDG_PG_LOCK */
#include "ldg_schema.h"
#include "ledger.h"
#include "opt.h"
#include "tabdig.h"
#include "util.h"

#define CP_BYTES	(1 << 20)	/* COPY data sent a MiB at a time */
#define CP_FETCH	4096		/* rows a cursor's FETCH */
#define NTABLES		64

/* meta's rows that are each engine's own */
#define META_OWN	"k NOT IN ('schema', 'application_id')"

struct run {
	const char	*from, *to;
	char		*disp;		/* to, its password as *** */
	int		 verify, busy_ms;
	int		 empty;		/* the target found empty */
	sqlite3		*sq;
	PGconn		*pg;
	struct buf	 cp;		/* COPY data not yet sent */
	int		 ntab;
	int64_t		 rows[NTABLES][2];	/* source, copy */
	unsigned char	 dig[NTABLES][2][TD_LEN];
	struct audit_walk aw;
	struct audit_check ac;
	int64_t		 src_head;	/* the source's last audit seq */
	int64_t		 head;		/* the copy's, read back */
	unsigned char	 head_hash[AUDIT_HASHLEN];
};

/* "1 row", "2 rows" */
static const char *
plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --from PATH --to CONNINFO [--verify] [--busy-timeout MS]\n"
"       %s --help | --version\n"
"\n"
"Copy the SQLite ledger PATH into the empty PostgreSQL ledger CONNINFO\n"
"(postgresql://... or a libpq keyword string) in one transaction, and\n"
"prove nothing was lost: for every table its rows and a digest of them\n"
"in key order, equal on both sides, and the audit chain verified on the\n"
"copy; a table per line on stdout.  PATH's writers' lock is held until\n"
"the copy commits; the copy's audit log gets a ledger.copy row.\n"
"--verify: compare only, copy nothing.  Exit 0 when all agree, 1 when a\n"
"table does not (named) or the copy's audit chain is broken, 73 when\n"
"the target is not empty or PATH read only, 75 when the server is lost\n"
"or either ledger busy (nothing kept).\n",
	    progname, progname);
	exit(code);
}

/* ---- errors ---- */

static _Noreturn void
sq_fail(struct run *r, int rc, const char *what)
{
	die(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? EX_TEMPFAIL : EX_IOERR,
	    "ledger '%s': %s: %s", r->from, what, sqlite3_errmsg(r->sq));
}

static int
state_is(const PGresult *res, const char *code)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s != NULL && strncmp(s, code, strlen(code)) == 0;
}

/*
 * Map a PostgreSQL failure to the exit-code table and die; the server
 * rolls the transaction back when the connection ends.
 */
static _Noreturn void
pg_fail(struct run *r, PGresult *res, const char *what)
{
	const char *m = res ? PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *kept = r->verify ? "" : !r->empty ? "; nothing was "
	    "copied" : "; nothing was copied: the target is an empty ledger";
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", m != NULL && *m != '\0' ? m :
	    PQerrorMessage(r->pg));
	msg[strcspn(msg, "\n")] = '\0';
	if (PQstatus(r->pg) == CONNECTION_BAD || res == NULL ||
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL ||
	    state_is(res, "08") || state_is(res, "57P"))
		die(EX_TEMPFAIL, "ledger '%s': %s: lost the connection to the "
		    "server (%s)%s; re-run", r->disp, what, msg, kept);
	if (state_is(res, "55P03") || state_is(res, "40"))
		die(EX_TEMPFAIL, "ledger '%s' is busy: %s (%s)%s; re-run",
		    r->disp, what, msg, kept);
	if (state_is(res, "22") || state_is(res, "23"))
		die(EX_DATAERR, "ledger '%s': %s: PostgreSQL refuses a value "
		    "of the SQLite ledger '%s' (%s)%s", r->disp, what, r->from,
		    msg, kept);
	if (state_is(res, "53") || state_is(res, "58") ||
	    state_is(res, "42501"))
		die(EX_IOERR, "ledger '%s': %s: %s%s", r->disp, what, msg,
		    kept);
	die(EX_SOFTWARE, "ledger '%s': %s: %s%s", r->disp, what, msg, kept);
}

static PGresult *
pg_query(struct run *r, const char *sql, const char *what)
{
	PGresult *res = PQexec(r->pg, sql);
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		pg_fail(r, res, what);
	return res;
}

static void
pg_exec(struct run *r, const char *sql, const char *what)
{
	PQclear(pg_query(r, sql, what));
}

/* ---- the tables' SQL, the same on both engines ---- */

/*
 * SELECT's columns, the schema's (and rowid); the rows' order; where, a
 * condition on the rows, or NULL
 */
static void
select_sql(struct buf *b, const struct ldg_table *t, const char *head,
    const char *where)
{
	const struct ldg_column *c;

	buf_printf(b, "%s", head);
	for (c = t->cols; c->name != NULL; c++)
		buf_printf(b, "%s%s", c == t->cols ? "" : ", ", c->name);
	if (t->rowid)
		buf_printf(b, ", rowid");
	if (strcmp(t->name, "meta") == 0)
		where = META_OWN;
	buf_printf(b, " FROM %s%s%s ORDER BY %s", t->name,
	    where != NULL ? " WHERE " : "", where != NULL ? where : "",
	    t->rowid ? "rowid" : t->pkey);
}

static int
ncols(const struct ldg_table *t)
{
	int n = 0;

	while (t->cols[n].name != NULL)
		n++;
	return n;
}

static int
col_index(const struct ldg_table *t, const char *name)
{
	int i;

	for (i = 0; t->cols[i].name != NULL; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return i;
	die(EX_SOFTWARE, "ledger-copy: table %s has no column %s", t->name,
	    name);
}

/* ---- the SQLite ledger ---- */

static int64_t
sq_int(struct run *r, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;

	if ((rc = sqlite3_prepare_v2(r->sq, sql, -1, &st, NULL)) != SQLITE_OK)
		sq_fail(r, rc, "reading the ledger's identity");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		sq_fail(r, rc, "reading the ledger's identity");
	sqlite3_finalize(st);
	return v;
}

/*
 * The source at the current schema, in one transaction, so every table
 * comes from the same snapshot: a copy's holds the writers' lock (see
 * the top), and so opens the file for writing, though it writes
 * nothing; --verify's only reads.  An older ledger is not migrated here
 * (the source stays as it is): any stage migrates it.
 */
static void
sq_open(struct run *r)
{
	struct stat sb;
	int64_t app, ver;
	int rc;

	if (stat(r->from, &sb) == -1)
		die(errno == ENOENT ? EX_NOINPUT : EX_IOERR, "no ledger at "
		    "'%s': %s", r->from, strerror(errno));
	/* --verify, only reading, reads as every reader does */
	rc = r->verify ? ldg_sqlite_open_ro(r->from, &r->sq) :
	    sqlite3_open_v2(r->from, &r->sq, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK)
		sq_fail(r, rc, r->verify ? "opening read only" : "opening");
	sqlite3_busy_timeout(r->sq, r->busy_ms);
	if (r->verify)
		rc = sqlite3_exec(r->sq, "BEGIN", NULL, NULL, NULL);
	else if (sqlite3_db_readonly(r->sq, "main") == 1)
		die(EX_CANTCREAT, "ledger '%s': cannot take its writers' lock: "
		    "the file is read only for this user; ledger-copy holds "
		    "the lock while it copies, so that no stage writes what "
		    "the copy would miss: run it as the ledger's owner; "
		    "nothing was copied", r->from);
	else
		rc = sqlite3_exec(r->sq, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_BUSY)
		die(EX_TEMPFAIL, "ledger '%s' is busy: another process writes "
		    "to it (waited %d ms for its writers' lock); nothing was "
		    "copied; re-run", r->from, r->busy_ms);
	if (rc != SQLITE_OK)
		sq_fail(r, rc, r->verify ? "starting a read transaction" :
		    "taking the writers' lock");
	app = sq_int(r, "PRAGMA application_id");
	ver = sq_int(r, "PRAGMA user_version");
	if (app != LDG_APPID)
		die(EX_CONFIG, "'%s' is not a ledger of this toolchain "
		    "(application_id %" PRId64 ")", r->from, app);
	if (ver > LDG_SCHEMA)
		die(EX_CONFIG, "ledger '%s' has schema version %" PRId64 ", "
		    "newer than this program knows (%d); upgrade the "
		    "toolchain", r->from, ver, LDG_SCHEMA);
	if (ver < LDG_SCHEMA)
		die(EX_CONFIG, "ledger '%s' has schema version %" PRId64 ", "
		    "older than this program's (%d): run any stage on it once "
		    "(reconcile --ledger '%s' --audit, say), which migrates it, "
		    "then copy it", r->from, ver, LDG_SCHEMA, r->from);
}

/* ---- COPY's binary format ---- */

static void
cp_send(struct run *r, const char *what)
{
	if (r->cp.len > 0 && PQputCopyData(r->pg, r->cp.p,
	    (int)r->cp.len) != 1)
		pg_fail(r, NULL, what);
	buf_reset(&r->cp);
}

static const char cp_sig[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";

/*
 * One value of the source's row: into the digest and the COPY data.  A
 * storage class other than the column's (SQLite does not enforce types)
 * is refused rather than converted: the copy would not be the same.
 */
static void
sq_value(struct run *r, const struct ldg_table *t, sqlite3_stmt *st, int i,
    int type, const char *name, struct tabdig *d)
{
	int cls = sqlite3_column_type(st, i);
	const void *p;
	int64_t v;
	size_t n;

	if (cls == SQLITE_NULL) {
		td_null(d);
		ldg_pg_copy_be(&r->cp, 0xffffffffu, 4);
		return;
	}
	if (type == LDGS_INT) {
		if (cls != SQLITE_INTEGER)
			die(EX_DATAERR, "ledger '%s': table %s, column %s: a "
			    "value that is not an integer (SQLite type %d); "
			    "nothing was copied", r->from, t->name, name, cls);
		v = sqlite3_column_int64(st, i);
		td_int(d, v);
		ldg_pg_copy_be(&r->cp, 8, 4);
		ldg_pg_copy_be(&r->cp, (uint64_t)v, 8);
		return;
	}
	if (cls != SQLITE_TEXT && cls != SQLITE_BLOB)
		die(EX_DATAERR, "ledger '%s': table %s, column %s: a number "
		    "where the schema has a %s; nothing was copied", r->from,
		    t->name, name, type == LDGS_TEXT ? "text" : "blob");
	p = type == LDGS_TEXT ? (const void *)sqlite3_column_text(st, i) :
	    sqlite3_column_blob(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	if (type == LDGS_TEXT)
		td_text(d, p, n);
	else
		td_blob(d, p, n);
	ldg_pg_copy_be(&r->cp, n, 4);
	buf_add(&r->cp, p, n);
}

/*
 * Table t of the source in key order into the digest and, unless
 * verifying, into the copy with one COPY, sent a MiB at a time.
 */
static void
sq_table(struct run *r, const struct ldg_table *t, struct tabdig *d)
{
	struct buf sql = { 0 }, cp = { 0 };
	sqlite3_stmt *st;
	PGresult *res;
	char what[96];
	int i, n = ncols(t), rc;

	snprintf(what, sizeof(what), "copying table %s", t->name);
	select_sql(&sql, t, "SELECT ", NULL);
	rc = sqlite3_prepare_v2(r->sq, buf_cstr(&sql), -1, &st, NULL);
	if (rc != SQLITE_OK)
		sq_fail(r, rc, buf_cstr(&sql));
	if (!r->verify) {
		buf_printf(&cp, "COPY %s (", t->name);
		for (i = 0; i < n; i++)
			buf_printf(&cp, "%s%s", i ? ", " : "", t->cols[i].name);
		buf_printf(&cp, "%s) FROM STDIN (FORMAT binary)",
		    t->rowid ? ", rowid" : "");
		res = PQexec(r->pg, buf_cstr(&cp));
		if (PQresultStatus(res) != PGRES_COPY_IN)
			pg_fail(r, res, what);
		PQclear(res);
		buf_add(&r->cp, cp_sig, sizeof(cp_sig));
	}
	td_init(d, t->name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ldg_pg_copy_be(&r->cp, (uint64_t)(n + (t->rowid ? 1 : 0)), 2);
		for (i = 0; i < n; i++)
			sq_value(r, t, st, i, t->cols[i].type, t->cols[i].name,
			    d);
		if (t->rowid)
			sq_value(r, t, st, n, LDGS_INT, "rowid", d);
		td_row(d);
		if (strcmp(t->name, "audit") == 0)	/* in seq order */
			r->src_head = sqlite3_column_int64(st,
			    col_index(t, "seq"));
		if (r->verify)
			buf_reset(&r->cp);
		else if (r->cp.len >= CP_BYTES)
			cp_send(r, what);
	}
	if (rc != SQLITE_DONE)
		sq_fail(r, rc, buf_cstr(&sql));
	sqlite3_finalize(st);
	if (!r->verify) {
		ldg_pg_copy_be(&r->cp, 0xffff, 2);	/* the trailer */
		cp_send(r, what);
		if (PQputCopyEnd(r->pg, NULL) != 1)
			pg_fail(r, NULL, what);
		while ((res = PQgetResult(r->pg)) != NULL) {
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
				pg_fail(r, res, what);
			PQclear(res);
		}
	}
	buf_free(&sql);
	buf_free(&cp);
}

/* ---- the PostgreSQL ledger ---- */

static void
pg_connect(struct run *r)
{
	const char *const kw[] = { "dbname", "application_name", NULL };
	const char *const val[] = { r->to, "ledger-copy", NULL };

	r->pg = PQconnectdbParams(kw, val, 1);
	if (r->pg == NULL)
		die(EX_OSERR, "ledger '%s': out of memory", r->disp);
	if (PQstatus(r->pg) != CONNECTION_OK)
		pg_fail(r, NULL, "connecting");
	pg_exec(r, "SET client_encoding = 'UTF8'; "
	    "SET client_min_messages = warning", "setting the session");
}

/*
 * Under the writers' lock, as every stage's write transaction: the
 * target holds what ldg_open leaves in a new ledger and nothing else,
 * or it is refused (73).  Then meta's counters and the genesis row go,
 * for the source's.
 */
static void
pg_prepare(struct run *r)
{
	const char *what = "checking that the target is empty";
	const struct ldg_table *t;
	char sql[256];
	PGresult *res;
	const char *full = NULL;

	pg_exec(r, "BEGIN ISOLATION LEVEL READ COMMITTED", what);
	if (r->busy_ms == 0) {
		res = pg_query(r, "SELECT pg_try_advisory_xact_lock("
		    LDG_PG_LOCK ")", what);
		if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			die(EX_TEMPFAIL, "ledger '%s' is busy: another process "
			    "writes to it; re-run", r->disp);
		PQclear(res);
	} else {
		snprintf(sql, sizeof(sql), "SET LOCAL lock_timeout = %d; "
		    "SELECT pg_advisory_xact_lock(" LDG_PG_LOCK ")",
		    r->busy_ms);
		pg_exec(r, sql, what);
	}
	for (t = ldg_tables; t->name != NULL && full == NULL; t++) {
		if (strcmp(t->name, "meta") == 0)
			snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 "
			    "FROM meta WHERE " META_OWN " AND NOT ((k = "
			    "'next_seq' AND v = '1') OR (k = 'key_gen' AND "
			    "v = '0')))");
		else if (strcmp(t->name, "audit") == 0)
			snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 "
			    "FROM audit WHERE seq <> 1 OR op <> 'genesis')");
		else
			snprintf(sql, sizeof(sql), "SELECT EXISTS (SELECT 1 "
			    "FROM %s)", t->name);
		res = pg_query(r, sql, what);
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
			full = t->name;
		PQclear(res);
	}
	if (full != NULL)
		die(EX_CANTCREAT, "ledger '%s' is not empty (table %s has "
		    "rows): ledger-copy copies only into a new ledger, an "
		    "empty database; nothing was copied", r->disp, full);
	r->empty = 1;
	pg_exec(r, "DELETE FROM meta WHERE " META_OWN "; DELETE FROM audit",
	    "emptying the new ledger");
}

/* A rowid table's identity goes on after the last row copied. */
static void
pg_identity(struct run *r, const struct ldg_table *t)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence("
	    "'%s', 'rowid'), coalesce(max(rowid), 0) + 1, false) FROM %s",
	    t->name, t->name);
	pg_exec(r, sql, "setting the identity of the rows copied");
}

static int64_t
pg_int(const PGresult *res, int row, int c)
{
	const unsigned char *b = (const unsigned char *)PQgetvalue(res, row,
	    c);
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return (int64_t)v;
}

/* A hash column of the audit log: its bytes, or 0s when not 32 long. */
static void
pg_hash(const PGresult *res, int row, int c, unsigned char *out)
{
	memset(out, 0, AUDIT_HASHLEN);
	if (PQgetlength(res, row, c) == AUDIT_HASHLEN)
		memcpy(out, PQgetvalue(res, row, c), AUDIT_HASHLEN);
}

/* An audit row of the copy, to the chain's walk. */
static void
pg_audit(struct run *r, const struct ldg_table *t, const PGresult *res,
    int row)
{
	struct audit_row a;
	int op = col_index(t, "op"), subj = col_index(t, "subject");
	int det = col_index(t, "detail");

	if (r->ac.verdict != AUDIT_INTACT)
		return;		/* the walk stopped at the first break */
	memset(&a, 0, sizeof(a));
	a.seq = pg_int(res, row, col_index(t, "seq"));
	a.at = pg_int(res, row, col_index(t, "at"));
	a.op = PQgetvalue(res, row, op);
	a.oplen = (size_t)PQgetlength(res, row, op);
	a.subject = PQgetvalue(res, row, subj);
	a.subjlen = (size_t)PQgetlength(res, row, subj);
	a.detail = PQgetvalue(res, row, det);
	a.detlen = (size_t)PQgetlength(res, row, det);
	pg_hash(res, row, col_index(t, "prev_hash"), a.prev);
	pg_hash(res, row, col_index(t, "hash"), a.hash);
	audit_walk_row(&a, &r->aw);
	r->head = a.seq;
	memcpy(r->head_hash, a.hash, AUDIT_HASHLEN);
}

/*
 * Table t of the target, in key order, into its digest: the same
 * SELECT, through a binary cursor CP_FETCH rows at a time.
 */
static void
pg_table(struct run *r, const struct ldg_table *t, struct tabdig *d)
{
	struct buf sql = { 0 };
	const char *what = "reading the copy";
	PGresult *res;
	int i, k, n = ncols(t), nt, audit = strcmp(t->name, "audit") == 0;
	char fetch[64], where[64];

	/* --verify: the log up to the source's last row, see the top */
	snprintf(where, sizeof(where), "seq <= %" PRId64, r->src_head);
	select_sql(&sql, t, "DECLARE u2c_copy BINARY NO SCROLL CURSOR FOR "
	    "SELECT ", audit && r->verify ? where : NULL);
	pg_exec(r, buf_cstr(&sql), what);
	snprintf(fetch, sizeof(fetch), "FETCH %d FROM u2c_copy", CP_FETCH);
	td_init(d, t->name);
	do {
		res = pg_query(r, fetch, what);
		nt = PQntuples(res);
		for (k = 0; k < nt; k++) {
			for (i = 0; i < n + (t->rowid ? 1 : 0); i++) {
				int type = i < n ? t->cols[i].type : LDGS_INT;
				const char *v = PQgetvalue(res, k, i);
				size_t len = (size_t)PQgetlength(res, k, i);

				if (PQgetisnull(res, k, i))
					td_null(d);
				else if (type == LDGS_INT && len == 8)
					td_int(d, pg_int(res, k, i));
				else if (type == LDGS_INT)
					die(EX_SOFTWARE, "ledger '%s': table "
					    "%s, column %d: an integer of %zu "
					    "bytes", r->disp, t->name, i, len);
				else if (type == LDGS_TEXT)
					td_text(d, v, len);
				else
					td_blob(d, v, len);
			}
			td_row(d);
			if (audit)
				pg_audit(r, t, res, k);
		}
		PQclear(res);
	} while (nt == CP_FETCH);
	pg_exec(r, "CLOSE u2c_copy", what);
	buf_free(&sql);
}

/*
 * The copy's row in its audit log, after the source's last (read back):
 * op ledger.copy, subject "ledger", its detail the source's path and
 * each table's rows and digest as compared; hashed as ledger.c's rows
 * are, and walked with the rest of the chain.
 */
static void
pg_audit_copy(struct run *r)
{
	const struct ldg_table *t;
	struct buf det = { 0 };
	struct audit_row a;
	struct jw w;
	PGresult *res;
	char seq[24], at[24];
	const char *val[7];
	int len[7] = { 0 }, fmt[7] = { 0, 0, 0, 0, 0, 1, 1 }, i;
	int64_t total = 0;

	jw_init(&w, &det);
	jw_open(&w, '{');
	JW_KEY(&w, "from");
	jw_str(&w, r->from);
	JW_KEY(&w, "tables");
	jw_open(&w, '{');
	for (i = 0, t = ldg_tables; i < r->ntab; i++, t++) {
		jw_key(&w, t->name);
		jw_open(&w, '{');
		JW_KEY(&w, "rows");
		jw_int(&w, r->rows[i][0]);
		JW_KEY(&w, "digest");
		jw_hex(&w, r->dig[i][0], TD_LEN);
		jw_close(&w, '}');
		total += r->rows[i][0];
	}
	jw_close(&w, '}');
	JW_KEY(&w, "rows");
	jw_int(&w, total);
	jw_close(&w, '}');

	memset(&a, 0, sizeof(a));
	a.seq = r->head + 1;
	a.at = audit_now();
	a.op = "ledger.copy";
	a.oplen = strlen(a.op);
	a.subject = "ledger";
	a.subjlen = strlen(a.subject);
	a.detail = det.p;
	a.detlen = det.len;
	if (r->head > 0)	/* else a log emptied by hand: from row 1 */
		memcpy(a.prev, r->head_hash, AUDIT_HASHLEN);
	audit_hash(&a, a.hash);
	snprintf(seq, sizeof(seq), "%" PRId64, a.seq);
	snprintf(at, sizeof(at), "%" PRId64, a.at);
	val[0] = seq;
	val[1] = at;
	val[2] = a.op;
	val[3] = a.subject;
	val[4] = buf_cstr(&det);
	val[5] = (const char *)a.prev;
	val[6] = (const char *)a.hash;
	len[5] = len[6] = AUDIT_HASHLEN;
	res = PQexecParams(r->pg, "INSERT INTO audit (seq, at, op, subject, "
	    "detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	    7, NULL, val, len, fmt, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		pg_fail(r, res, "appending the copy's row to the audit log");
	PQclear(res);
	if (r->ac.verdict == AUDIT_INTACT)
		audit_walk_row(&a, &r->aw);
	buf_free(&det);
}

/* A transaction that failed answers COMMIT with ROLLBACK, no error. */
static void
pg_commit(struct run *r)
{
	PGresult *res = pg_query(r, "COMMIT", "committing the copy");

	if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		die(EX_SOFTWARE, "ledger '%s': committing the copy: the server "
		    "rolled the transaction back; nothing was copied", r->disp);
	PQclear(res);
}

/* ---- the run ---- */

/* A table per line: name, rows, digest; and whether the copy agrees. */
static int
summary(struct run *r)
{
	const struct ldg_table *t;
	char h[2][TD_HEXLEN];
	int i, bad = 0;
	int64_t total = 0;

	for (i = 0, t = ldg_tables; i < r->ntab; i++, t++) {
		key_hex(r->dig[i][0], TD_LEN, h[0]);
		key_hex(r->dig[i][1], TD_LEN, h[1]);
		total += r->rows[i][0];
		if (r->rows[i][0] == r->rows[i][1] &&
		    strcmp(h[0], h[1]) == 0) {
			printf("%-18s %12" PRId64 " %s\n", t->name,
			    r->rows[i][0], h[0]);
			continue;
		}
		printf("%-18s %12" PRId64 " %s differs: the copy has %"
		    PRId64 " row%s, digest %s\n", t->name, r->rows[i][0], h[0],
		    r->rows[i][1], plural(r->rows[i][1]), h[1]);
		warnmsg("table %s does not agree: %" PRId64 " row%s in '%s', %"
		    PRId64 " in '%s', and another digest", t->name,
		    r->rows[i][0], plural(r->rows[i][0]), r->from,
		    r->rows[i][1], r->disp);
		bad = 1;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EX_IOERR, "cannot write the summary: %s", strerror(errno));
	if (r->ac.verdict != AUDIT_INTACT) {
		warnmsg("the audit log of '%s' is not intact: %s", r->disp,
		    r->ac.msg);
		bad = 1;
	}
	if (!bad)
		warnmsg("%s '%s' to '%s': %d table%s, %" PRId64 " row%s, "
		    "every count and digest agree; audit log: %" PRId64
		    " row%s verified, intact", r->verify ? "verified" :
		    "copied", r->from, r->disp, r->ntab, plural(r->ntab),
		    total, plural(total), r->ac.rows, plural(r->ac.rows));
	return bad;
}

int
main(int argc, char **argv)
{
	struct run r;
	const struct opt opts[] = {
		OPT_BUSY(&r.busy_ms),
		OPT_S("from", 0, &r.from),
		OPT_S("to", 0, &r.to),
		OPT_F("verify", &r.verify),
		OPT_END
	};
	const struct ldg_table *t;
	struct ledger *l;
	struct tabdig d;
	int i, bad;

	u_setprogname(argv[0]);
	memset(&r, 0, sizeof(r));
	if (opt_parse(argc, argv, opts, usage) != argc) {
		warnmsg("no operands: the ledgers are --from and --to");
		usage(EX_USAGE);
	}
	if (r.from == NULL || r.to == NULL) {
		warnmsg("give the SQLite ledger (--from) and the PostgreSQL "
		    "one (--to)");
		usage(EX_USAGE);
	}
	if (!ldg_is_pg(r.to)) {
		warnmsg("--to '%s': not a PostgreSQL ledger (postgresql://... "
		    "or a libpq keyword string)", r.to);
		usage(EX_USAGE);
	}
	if (ldg_is_pg(r.from)) {
		warnmsg("--from '%s': a PostgreSQL ledger; ledger-copy copies "
		    "a SQLite one (write ./%s for a file of that name)",
		    r.from, r.from);
		usage(EX_USAGE);
	}
	key_init();
	r.disp = ldg_redact(r.to);
	sq_open(&r);
	/* the engine's own schema: made on a new database, checked else */
	l = ldg_open(r.to, r.busy_ms, r.verify ? LDG_READONLY : 0);
	ldg_close(l);
	pg_connect(&r);
	if (r.verify)
		pg_exec(&r, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		    "starting a read transaction");
	else
		pg_prepare(&r);
	for (t = ldg_tables; t->name != NULL; t++) {
		if (r.ntab == NTABLES)
			die(EX_SOFTWARE, "ledger-copy: more than %d tables",
			    NTABLES);
		sq_table(&r, t, &d);
		r.rows[r.ntab][0] = d.rows;
		td_end(&d, r.dig[r.ntab][0]);
		if (t->rowid && !r.verify)
			pg_identity(&r, t);
		r.ntab++;
	}
	audit_walk_init(&r.aw, &r.ac);
	for (i = 0, t = ldg_tables; t->name != NULL; i++, t++) {
		pg_table(&r, t, &d);
		r.rows[i][1] = d.rows;
		td_end(&d, r.dig[i][1]);
	}
	if (!r.verify)
		pg_audit_copy(&r);
	audit_walk_end(&r.aw);
	bad = summary(&r);
	if (bad || r.verify)
		pg_exec(&r, "ROLLBACK", "ending the transaction");
	else
		pg_commit(&r);
	if (bad && !r.verify)
		warnmsg("nothing was copied: the target is an empty ledger");
	sqlite3_close(r.sq);
	PQfinish(r.pg);
	buf_free(&r.cp);
	free(r.disp);
	return bad ? EXIT_MISMATCH : 0;
}
