/*
 * tabdig.h: a table's content as one digest, the same whatever engine
 * the rows were read from (ledger-copy(1) compares a SQLite ledger and
 * its copy on PostgreSQL by it).
 *
 * This module owns the canonical encoding: after the domain string
 * "u2c-table-1" and the table's name, each row's columns in the schema's
 * order (ldg_schema.h), each a tag byte and its value: 'I' and the
 * integer in decimal, 'T' a text and 'B' a blob as their bytes, each
 * length-prefixed (keys.h's fields), 'N' alone for NULL; then 'R' ends
 * the row; the row count ends the whole.  BLAKE2b-256 (libsodium).  Rows
 * must come in the table's key order: the same rows in another order
 * are another digest.
 */
#ifndef TABDIG_H
#define TABDIG_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define TD_LEN		32
#define TD_HEXLEN	(2 * TD_LEN + 1)

struct tabdig {
	struct keyh	 h;
	int64_t		 rows;
};

void	td_init(struct tabdig *, const char *table);
void	td_int(struct tabdig *, int64_t);
void	td_text(struct tabdig *, const void *, size_t);
void	td_blob(struct tabdig *, const void *, size_t);
void	td_null(struct tabdig *);
void	td_row(struct tabdig *);	/* the row's columns are all in */
void	td_end(struct tabdig *, unsigned char *out);	/* TD_LEN bytes */

#endif
