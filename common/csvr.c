/*
 * csvr.c: a libcsv wrapper (libcsv does the quoting rules; we keep lines).
 */
#include <stdlib.h>
#include <string.h>

#include "csvr.h"

static void
csvr_field(void *s, size_t n, void *arg)
{
	struct csvr *c = arg;

	if (c->nf == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->f = xreallocarray(c->f, c->cap, sizeof(*c->f));
		c->flen = xreallocarray(c->flen, c->cap, sizeof(*c->flen));
	}
	/* store offsets now; pointers are fixed once the record is done */
	c->f[c->nf] = (char *)(uintptr_t)c->store.len;
	c->flen[c->nf] = n;
	c->nf++;
	buf_add(&c->store, s ? s : "", s ? n : 0);
	buf_addc(&c->store, '\0');
}

/*
 * Only '\n' ends a record: libcsv would also end one at a bare '\r' and
 * drop what follows it in an unquoted field.  Lines are fed without
 * their trailing '\r', so CRLF files read the same.
 */
static int
csvr_is_lf(unsigned char c)
{
	return c == '\n';
}

static void
csvr_eor(int ch, void *arg)
{
	struct csvr *c = arg;

	(void)ch;
	c->done = 1;
}

void
csvr_init(struct csvr *c)
{
	memset(c, 0, sizeof(*c));
	if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		die(EX_OSERR, "cannot initialise the CSV parser");
	csv_set_term_func(&c->p, csvr_is_lf);
}

void
csvr_free(struct csvr *c)
{
	csv_free(&c->p);
	buf_free(&c->raw);
	buf_free(&c->store);
	free(c->f);
	free(c->flen);
}

void
csvr_reset(struct csvr *c)
{
	csv_free(&c->p);
	if (csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		die(EX_OSERR, "cannot initialise the CSV parser");
	csv_set_term_func(&c->p, csvr_is_lf);
	c->inrec = 0;
	c->done = 0;
	c->nf = 0;
	buf_reset(&c->store);
	buf_reset(&c->raw);
}

int
csvr_feed(struct csvr *c, const char *s, size_t n, size_t rawlen,
    uint64_t lineno)
{
	size_t i;

	/*
	 * Excel's "CSV UTF-8" starts the file with a byte order mark, which
	 * would be part of the first column's name ("\xEF\xBB\xBFid"): the
	 * header would name no column the reader looks for.
	 */
	if (lineno == 1 && !c->inrec && n >= 3 &&
	    memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
		rawlen -= 3;
	}
	if (!c->inrec) {
		c->inrec = 1;
		c->line = lineno;
		c->nf = 0;
		buf_reset(&c->store);
		buf_reset(&c->raw);
	} else
		buf_addc(&c->raw, '\n');
	buf_add(&c->raw, s, rawlen);
	c->done = 0;
	if (csv_parse(&c->p, s, n, csvr_field, csvr_eor, c) != n ||
	    csv_parse(&c->p, "\n", 1, csvr_field, csvr_eor, c) != 1)
		return -1;
	if (!c->done)
		return 0;
	c->inrec = 0;
	for (i = 0; i < c->nf; i++)
		c->f[i] = c->store.p + (uintptr_t)c->f[i];
	return 1;
}
