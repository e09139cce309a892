/*
 * tabdig.c: a table's rows as one digest (see tabdig.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "tabdig.h"

#define TD_DOMAIN	"u2c-table-1"

void
td_init(struct tabdig *d, const char *table)
{
	key_open(&d->h, TD_LEN);
	key_str(&d->h, TD_DOMAIN);
	key_str(&d->h, table);
	d->rows = 0;
}

void
td_int(struct tabdig *d, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	key_raw(&d->h, "I", 1);
	key_field(&d->h, b, (size_t)n);
}

void
td_text(struct tabdig *d, const void *p, size_t n)
{
	key_raw(&d->h, "T", 1);
	key_field(&d->h, n > 0 ? p : "", n);	/* SQLite's empty: NULL */
}

void
td_blob(struct tabdig *d, const void *p, size_t n)
{
	key_raw(&d->h, "B", 1);
	key_field(&d->h, n > 0 ? p : "", n);
}

void
td_null(struct tabdig *d)
{
	key_raw(&d->h, "N", 1);
}

void
td_row(struct tabdig *d)
{
	key_raw(&d->h, "R", 1);
	d->rows++;
}

void
td_end(struct tabdig *d, unsigned char *out)
{
	key_i64(&d->h, d->rows);
	key_close(&d->h, out);
}
