/*
 * ublk.h: usage blocks, the form usage records take in the ledger
 * (internal: ledger.c and the engines' migrations include it).
 *
 * A block holds the records one batch accepted for one UTC day (and one
 * --as-of), up to UBLK_MAX of them, in acceptance order, as columns: the
 * sequence numbers as deltas, the times, the keys and the content digests
 * as fixed-width arrays, the customer, type, source and subject as a
 * dictionary of the block's distinct values and an index a record, the id,
 * correction and packed data inline.  A month-end reads the customer,
 * type, time, key and data of every record; laid out so, that is a few
 * loads a record instead of a B-tree row of thirteen columns, and ingest
 * writes a row a day a batch instead of a row an event.
 *
 * The format (version 1), integers little-endian, varints LEB128:
 *	u8	version (1)
 *	u32	n, the records
 *	i64	ingested
 *	u32	off[UBLK_NSEC + 1]: where each section starts, and the end
 *	seq	n varints: the first seq, then each one's increase (>= 1)
 *	t	n i64
 *	key	n x LDG_KEYLEN bytes
 *	digest	n x LDG_KEYLEN bytes
 *	customer, type, source, subject (dictionary columns):
 *		varint d; d x (varint len, bytes, NUL); n varints < d
 *	id, corr, data (inline columns):
 *		n x (varint len + 1, bytes, NUL), or varint 0 for NULL
 * Strings end in a NUL inside the block, so a reader's pointers into it
 * are C strings, valid as long as the block's bytes are.
 */
#ifndef UBLK_H
#define UBLK_H

#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "ledger.h"
#include "util.h"

#define UBLK_MAX	4096	/* records a block */
#define UBLK_VERSION	1

enum { UBLK_SEQ, UBLK_T, UBLK_KEY, UBLK_DIGEST, UBLK_CUSTOMER, UBLK_TYPE,
    UBLK_SOURCE, UBLK_SUBJECT, UBLK_ID, UBLK_CORR, UBLK_DATA, UBLK_NSEC };
#define UBLK_NDICT	4	/* customer, type, source, subject */

/*
 * A dictionary's index while its block is written: open addressing over
 * the strings already in dict (ublk.c), which it does not copy.
 */
struct ublk_dslot {
	uint64_t	 hash;
	uint32_t	 off, len;	/* the string's bytes in dict */
	uint32_t	 num;		/* its index + 1; 0: a free slot */
};
struct ublk_dmap {
	struct ublk_dslot *t;
	size_t		 cap, n;
};

/* A block being written: add records in acceptance order, then encode. */
struct ublk_w {
	int64_t		 day, ingested;
	size_t		 n;
	int64_t		 seq0, last, tmin, tmax;
	struct buf	 sec[UBLK_NSEC];	/* the dictionaries' indexes */
	struct buf	 dict[UBLK_NDICT];
	struct ublk_dmap dmap[UBLK_NDICT];	/* value -> index + 1 */
	size_t		 nd[UBLK_NDICT];
};

void	ublk_w_init(struct ublk_w *, int64_t day, int64_t ingested);
/*
 * Whether a record of day, accepted by the run of ingested, may join w:
 * a block is one day's and one run's, at most UBLK_MAX records; an empty
 * one is started again for any (ublk_w_init).
 */
static inline int
ublk_w_takes(const struct ublk_w *w, int64_t day, int64_t ingested)
{
	return w->n == 0 || (w->n < UBLK_MAX && w->day == day &&
	    w->ingested == ingested);
}
void	ublk_w_free(struct ublk_w *);
/* Add the record of sequence number seq (greater than the last one's). */
void	ublk_w_add(struct ublk_w *, const struct ldg_usage *, int64_t seq);
/* The block's bytes, replacing out's; the writer is then empty again. */
void	ublk_w_finish(struct ublk_w *, struct buf *out);
/* The seq of the record of time t and key, 0; -1 when none has them. */
int	ublk_w_find(const struct ublk_w *, int64_t t,
	    const unsigned char *key, int64_t *seq);

/*
 * Reading a block: ublk_open checks its frame and reads its dictionaries
 * (lean: only the customer's and the type's, for what
 * ldg_usage_scan_lean fills), then ublk_next gives its records in order.
 * Both return -1 on bytes that are not a block (a corrupt ledger).
 */
struct ublk_dent {
	const char	*s;
	size_t		 len;
};
struct ublk_r {
	const unsigned char *p, *end;
	size_t		 n, i;
	int		 lean;
	int64_t		 ingested, seq;
	const unsigned char *cur[UBLK_NSEC], *lim[UBLK_NSEC];
	struct ublk_dent *d[UBLK_NDICT];
	size_t		 nd[UBLK_NDICT], cap[UBLK_NDICT];
};

int	ublk_open(struct ublk_r *, const void *, size_t, int lean);
/* 1 and the next record in u (its seq too), 0 at the end, -1 corrupt. */
int	ublk_next(struct ublk_r *, struct ldg_usage *u);
void	ublk_r_free(struct ublk_r *);	/* the dictionaries' arrays */
/*
 * The seq of the record of time t and key, 0, without decoding the other
 * columns; -1 when none has them, or the block is corrupt.
 */
int	ublk_find(const struct ublk_r *, int64_t t, const unsigned char *key,
	    int64_t *seq);

#endif
