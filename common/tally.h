/*
 * tally.h: counting usage records into a metering table (agg.h), a
 * chunk at a time, for meter-aggregate.  A chunk holds whole NDJSON lines
 * (parsed and read as usage records, duplicates dropped with --dedupe)
 * or ledger rows (packed data, nothing to parse, counted by event day so
 * that gauges can be walked); counting it leaves its counters and its
 * refusals, in input order, for the caller to write.  A ledger scan on a
 * thread of its own is counted row by row the same way (tally_scan_row).
 *
 * Not here: the threads, the pool of chunks and the order they are
 * collected in, reading the input, the ledger's scans, writing rejects
 * and aggregates (meter-aggregate.c); the aggregation rules (agg.c).
 * A chunk and a struct tally are one thread's at a time.
 */
#ifndef TALLY_H
#define TALLY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jrec.h"
#include "keys.h"
#include "ledger.h"
#include "lines.h"
#include "util.h"

struct agg_tab;
struct kset;

/* A line of a chunk of NDJSON: its bytes in the chunk's data. */
struct tally_line {
	const char	*file;
	size_t		 off, len, rawlen, fulllen;
	uint64_t	 lineno;
	int		 flags;
};

/* A ledger row: what metering reads, its bytes in the chunk's data. */
struct tally_row {
	int64_t		 t, seq;
	size_t		 customer, customer_len, type, type_len;
	size_t		 key, pdata, datalen;
};

/* A refused record of a chunk. */
struct tally_rej {
	size_t		 line;		/* index in the chunk */
	const char	*cls, *code;
	size_t		 foff, moff;	/* field and message in txt */
};

struct tally_chunk {
	struct buf	 data;
	struct buf	 rows;		/* ledger: struct tally_row each */
	struct tally_line *l;
	size_t		 n, cap;
	struct tally_rej *rj;
	size_t		 nrj, caprj;
	struct buf	 txt;
	uint64_t	 counted, unmetered, outside, dups;
};

/* One counting thread's table and parser. */
struct tally {
	struct agg_tab	*tab;
	int64_t		 day;		/* ledger rows: the event day counted */
	struct jrec	 jr;
	size_t		 max_line;	/* --max-line, for its message */
	struct kset	*keys;		/* --dedupe (one tally only), or NULL */
};

/* Count a chunk of NDJSON lines, or one of ledger rows. */
void	tally_lines(struct tally *, struct tally_chunk *);
void	tally_rows(struct tally *, struct tally_chunk *);
/* Empty the chunk for reuse, keeping its memory; free it. */
void	tally_reset(struct tally_chunk *);
void	tally_free(struct tally_chunk *);

/* Add the reader's current line; once a line, so inline. */
static inline void
tally_add_line(struct tally_chunk *c, const struct lr *r)
{
	struct tally_line *l;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->l = xreallocarray(c->l, c->cap, sizeof(*c->l));
	}
	l = &c->l[c->n++];
	l->file = r->name;
	l->off = c->data.len;
	l->len = r->len;
	l->rawlen = r->rawlen;
	l->fulllen = r->fulllen;
	l->lineno = r->lineno;
	l->flags = r->flags;
	buf_add(&c->data, r->line, r->rawlen);
	buf_addc(&c->data, '\0');
}

static inline size_t
tally_row_bytes(struct tally_chunk *c, const void *p, size_t n)
{
	size_t off = c->data.len;

	buf_add(&c->data, p, n);
	return off;
}

/* Add a row of the ledger's lean scan; once a row, so inline. */
static inline void
tally_add_row(struct tally_chunk *c, const struct ldg_usage *u)
{
	struct tally_row r;

	r.t = u->t;
	r.seq = u->seq;
	r.customer = tally_row_bytes(c, u->customer, u->customer_len + 1);
	r.customer_len = u->customer_len;
	r.type = tally_row_bytes(c, u->type, u->type_len + 1);
	r.type_len = u->type_len;
	r.key = tally_row_bytes(c, u->key, KEY_LEN);
	r.pdata = tally_row_bytes(c, u->data, u->datalen);
	r.datalen = u->datalen;
	buf_add(&c->rows, &r, sizeof(r));
	c->n++;
}

/*
 * A ledger scan counted on a thread of its own: its rejects are kept
 * (by event time and sequence) to be written when all threads are done;
 * past maxrej of them it stops and sets full.
 */
struct tally_srej {
	int64_t		 t, seq;
	const char	*cls, *code;
	size_t		 foff, moff;	/* field and message in txt */
	size_t		 roff, rlen;	/* the raw record in txt, if raw; */
					/* the reject record, if rej_stage */
};

struct tally_scan {
	struct agg_tab	*tab;
	uint64_t	 read, counted, unmetered, outside;
	struct tally_srej *rj;
	size_t		 nrj, caprj;
	struct buf	 txt;
	size_t		 maxrej;
	int		 full;		/* more rejects than maxrej */
	/*
	 * Optional: append the raw text of the record at (t, seq), for
	 * the reject, on the scanning thread (fetching and formatting it
	 * is most of a reject's cost, and the thread is already there).
	 */
	void		(*raw)(void *, int64_t t, int64_t seq, struct buf *);
	void		*raw_arg;
	/*
	 * Optional, with raw: the whole reject record made there as well
	 * (rej_record, the record at "line" seq of rej_file), in place of
	 * the raw text, which passes through scratch.  Formatting it,
	 * escaping the raw record, was most of what was left for the
	 * thread writing the rejects after the scans, alone.
	 */
	const char	*rej_stage, *rej_file;
	struct buf	 scratch;
};

/* The callback of ldg_usage_scan_lean; arg is the struct tally_scan. */
int	tally_scan_row(const struct ldg_usage *, void *arg);
void	tally_scan_free(struct tally_scan *);

#endif
