/*
 * ldg_schema.h: the ledger's tables and columns at the current schema
 * version (LDG_SCHEMA), one description for every engine.
 *
 * SQLite reaches this schema through its migrations from version 1
 * (ldg_sqlite.c), which stay its own; tests/unit/test_ldg_schema.c opens
 * a new SQLite ledger and checks that its tables, columns, types, NOT
 * NULL, defaults and primary keys are exactly these.  PostgreSQL's DDL
 * is made from this list (ldg_pg.c), so the two cannot drift apart
 * without that test failing.  usage-to-cash(5) documents the tables.
 */
#ifndef LDG_SCHEMA_H
#define LDG_SCHEMA_H

enum { LDGS_INT = 'I', LDGS_TEXT = 'T', LDGS_BLOB = 'B' };

struct ldg_column {
	const char	*name;
	int		 type;		/* LDGS_*: INTEGER/BIGINT, TEXT, BLOB/BYTEA */
	int		 notnull;
	const char	*dflt;		/* a literal, or NULL */
};

#define LDGS_MAXCOLS	16

struct ldg_table {
	const char	*name;
	const char	*pkey;		/* its columns, comma-separated */
	/*
	 * The order rows were stored in is read (SQLite's rowid): an
	 * engine without one gives the table a column rowid that grows.
	 */
	int		 rowid;
	struct ldg_column cols[LDGS_MAXCOLS];	/* up to a NULL name */
};

/* Secondary indexes and UNIQUE constraints, as (name, table, columns). */
struct ldg_index {
	const char	*name;		/* NULL: a UNIQUE constraint */
	const char	*table;
	const char	*cols;
};

extern const struct ldg_table	ldg_tables[];	/* up to a NULL name */
extern const struct ldg_index	ldg_indexes[];	/* up to a NULL table */

#endif
