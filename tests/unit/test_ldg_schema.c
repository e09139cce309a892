/*
 * test_ldg_schema.c: the one schema description (common/ldg_schema.h)
 * against the schema SQLite's migrations make: a new ledger in a
 * temporary directory has exactly its tables, and each table exactly its
 * columns, in order, with their types, NOT NULL, defaults and primary
 * key, and its indexes; PostgreSQL's DDL is made from the description,
 * so the two engines agree.  Also the ledger strings (ldg_is_pg) and
 * their redaction (ldg_redact).  TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "ldg_schema.h"
#include "ledger.h"
#include "tap.h"

static const char *
sqtype(int t)
{
	return t == LDGS_INT ? "INTEGER" : t == LDGS_TEXT ? "TEXT" : "BLOB";
}

/* Position (1, 2, ...) of column c in a comma-separated list, or 0. */
static int
pkpos(const char *list, const char *c)
{
	char buf[256], *tok, *save;
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		i++;
		if (strcmp(tok, c) == 0)
			return i;
	}
	return 0;
}

static int64_t
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Columns of table t as SQLite has them, against the description. */
static void
check_table(sqlite3 *db, const struct ldg_table *t)
{
	sqlite3_stmt *st;
	char sql[128], why[256];
	const struct ldg_column *c = t->cols;
	const char *name, *type, *dflt;
	int notnull, pk, bad = 0;

	snprintf(sql, sizeof(sql), "SELECT name, type, \"notnull\", "
	    "dflt_value, pk FROM pragma_table_info('%s') ORDER BY cid",
	    t->name);
	why[0] = '\0';
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	while (!bad && sqlite3_step(st) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		type = (const char *)sqlite3_column_text(st, 1);
		notnull = sqlite3_column_int(st, 2);
		dflt = (const char *)sqlite3_column_text(st, 3);
		pk = sqlite3_column_int(st, 4);
		if (c->name == NULL) {
			snprintf(why, sizeof(why), "extra column %s", name);
			bad = 1;
		} else if (strcmp(name, c->name) != 0 ||
		    strcmp(type, sqtype(c->type)) != 0) {
			snprintf(why, sizeof(why), "column %s %s, described "
			    "%s %s", name, type, c->name, sqtype(c->type));
			bad = 1;
		} else if (pk != pkpos(t->pkey, name)) {
			snprintf(why, sizeof(why), "column %s: primary key "
			    "position %d, described %d", name, pk,
			    pkpos(t->pkey, name));
			bad = 1;
		} else if (pk == 0 && notnull != c->notnull) {
			/* a key is NOT NULL on PostgreSQL whatever it says */
			snprintf(why, sizeof(why), "column %s: notnull %d, "
			    "described %d", name, notnull, c->notnull);
			bad = 1;
		} else if ((dflt == NULL) != (c->dflt == NULL) ||
		    (dflt != NULL && strcmp(dflt, c->dflt) != 0)) {
			snprintf(why, sizeof(why), "column %s: default %s, "
			    "described %s", name, dflt ? dflt : "none",
			    c->dflt ? c->dflt : "none");
			bad = 1;
		}
		c++;
	}
	sqlite3_finalize(st);
	if (!bad && c->name != NULL)
		snprintf(why, sizeof(why), "column %s is missing", c->name);
	ok(why[0] == '\0', "table %s as described%s%s", t->name,
	    why[0] ? ": " : "", why);
}

static void
check_schema(void)
{
	char dir[] = "/tmp/test_ldg_schema.XXXXXX", path[64], sql[256];
	const struct ldg_table *t;
	const struct ldg_index *x;
	struct ledger *l;
	sqlite3 *db;
	int ntab = 0, nidx = 0;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/l", dir);
	l = ldg_open(path, 1000, 0);
	ldg_close(l);
	sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	for (t = ldg_tables; t->name != NULL; t++, ntab++)
		check_table(db, t);
	ok(count(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'table'") == ntab, "SQLite has no table the description lacks "
	    "(%d)", ntab);
	for (x = ldg_indexes; x->table != NULL; x++) {
		if (x->name == NULL)	/* UNIQUE: SQLite's autoindex */
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
			    "sqlite_master WHERE type = 'index' AND tbl_name "
			    "= '%s' AND name LIKE 'sqlite_autoindex_%%' AND "
			    "(SELECT group_concat(name, ', ') FROM "
			    "pragma_index_info(sqlite_master.name)) = '%s'",
			    x->table, x->cols);
		else {
			nidx++;
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM "
			    "sqlite_master WHERE type = 'index' AND name = '%s' "
			    "AND tbl_name = '%s' AND (SELECT group_concat(name, "
			    "', ') FROM pragma_index_info('%s')) = '%s'",
			    x->name, x->table, x->name, x->cols);
		}
		ok(count(db, sql) == 1, "index on %s (%s)", x->table, x->cols);
	}
	ok(count(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'index' AND sql IS NOT NULL") == nidx,
	    "SQLite has no index the description lacks (%d)", nidx);
	sqlite3_close(db);
	unlink(path);
	rmdir(dir);
}

static void
check_strings(void)
{
	static const struct {
		const char *s;
		int pg;
		const char *shown;
	} c[] = {
		{ "ledger.sqlite", 0, "ledger.sqlite" },
		{ "/var/lib/u2c/ledger.sqlite", 0, "/var/lib/u2c/ledger.sqlite" },
		{ "./dbname=x", 0, "./dbname=x" },
		{ ":memory:", 0, ":memory:" },
		{ "postgresql://h/db", 1, "postgresql://h/db" },
		{ "postgres://u:s3cret@h:5432/db", 1, "postgres://u:***@h:5432/db" },
		{ "postgresql://u:p@ss@h/db?sslmode=require", 1,
		    "postgresql://u:***@h/db?sslmode=require" },
		{ "postgresql:///db?host=/tmp&password=s3cret&user=u", 1,
		    "postgresql:///db?host=/tmp&password=***&user=u" },
		{ "dbname=billing host=db1", 1, "dbname=billing host=db1" },
		{ "host = db1 password = s3cret dbname=x", 1,
		    "host = db1 password = *** dbname=x" },
		{ "host=db1 password='s3 \\' cret' dbname=x", 1,
		    "host=db1 password=*** dbname=x" },
		{ "user=u passwordx=1", 1, "user=u passwordx=1" },
	};
	size_t i;
	char *r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = ldg_redact(c[i].s);
		ok(ldg_is_pg(c[i].s) == c[i].pg && strcmp(r, c[i].shown) == 0,
		    "'%s': %s, shown '%s'", c[i].s, c[i].pg ? "PostgreSQL" :
		    "a path", r);
		free(r);
	}
}

int
main(void)
{
	check_schema();
	check_strings();
	return tap_done();
}
