/*
 * ublk.c: usage blocks (ublk.h), written and read.  Owns the block's
 * format and nothing else: which block a record goes to and where blocks
 * are stored are ledger.c's and the engines'.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ublk.h"

#define HDRLEN	(1 + 4 + 8 + 4 * (UBLK_NSEC + 1))

/* The string columns that are dictionaries, by section, and the others. */
static const int dict_sec[UBLK_NDICT] = { UBLK_CUSTOMER, UBLK_TYPE,
    UBLK_SOURCE, UBLK_SUBJECT };

static void
put_varint(struct buf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;

	while (v >= 0x80) {
		t[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (unsigned char)v;
	buf_add(b, t, n);
}

static void
put_le(struct buf *b, uint64_t v, int n)
{
	unsigned char t[8];
	int i;

	for (i = 0; i < n; i++)
		t[i] = (unsigned char)(v >> (8 * i));
	buf_add(b, t, (size_t)n);
}

/* A load and, on a big-endian host, a swap: the scans read a time a record. */
static inline uint64_t
get_le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline uint64_t
get_le32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

/* A varint at *p, before end: 0 and *p past it, or -1. */
static inline int
get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	const unsigned char *q = *p;
	uint64_t r;
	int sh;

	if (q < end && *q < 0x80) {	/* most: one byte */
		*v = *q;
		*p = q + 1;
		return 0;
	}
	for (r = 0, sh = 0; q < end && sh < 64; sh += 7) {
		r |= (uint64_t)(*q & 0x7f) << sh;
		if (*q++ < 0x80) {
			*v = r;
			*p = q;
			return 0;
		}
	}
	return -1;
}

void
ublk_w_init(struct ublk_w *w, int64_t day, int64_t ingested)
{
	memset(w, 0, sizeof(*w));	/* the dictionaries' indexes empty */
	w->day = day;
	w->ingested = ingested;
}

void
ublk_w_free(struct ublk_w *w)
{
	int i;

	for (i = 0; i < UBLK_NSEC; i++)
		buf_free(&w->sec[i]);
	for (i = 0; i < UBLK_NDICT; i++) {
		buf_free(&w->dict[i]);
		free(w->dmap[i].t);
	}
}

static void
put_str(struct buf *b, const char *s, size_t len)
{
	put_varint(b, (uint64_t)len + 1);
	buf_add(b, s, len);
	buf_addc(b, '\0');
}

/*
 * The dictionaries' indexes find a string among those of dict[c] by
 * their offsets there: an hmap kept a copy of each, a malloc and a free
 * for about every other record an ingest stores (a block holds one day
 * of a batch: its subjects are new to it as often as not).
 */
static struct ublk_dslot *
dmap_slot(const struct ublk_dmap *m, const struct buf *dict, const char *s,
    size_t len, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);
	struct ublk_dslot *e;

	for (;; i = (i + 1) & (m->cap - 1)) {
		e = &m->t[i];
		if (e->num == 0 || (e->hash == h && e->len == len &&
		    memcmp(dict->p + e->off, s, len) == 0))
			return e;
	}
}

/* Twice the slots, under 70% full: the entries moved by their hashes. */
static void
dmap_grow(struct ublk_dmap *m)
{
	struct ublk_dslot *old = m->t;
	size_t oldcap = m->cap, i, j;

	m->cap = oldcap ? oldcap * 2 : 64;
	m->t = xcalloc(m->cap, sizeof(*m->t));
	for (i = 0; i < oldcap; i++) {
		if (old[i].num == 0)
			continue;
		for (j = (size_t)old[i].hash & (m->cap - 1); m->t[j].num != 0;
		    j = (j + 1) & (m->cap - 1))
			;
		m->t[j] = old[i];
	}
	free(old);
}

static void
put_dict(struct ublk_w *w, int c, const char *s, size_t len)
{
	struct ublk_dmap *m = &w->dmap[c];
	struct buf *dict = &w->dict[c];
	struct ublk_dslot *e;
	uint64_t h;

	if ((m->n + 1) * 10 > m->cap * 7)
		dmap_grow(m);
	h = hmap_hash(s, len);
	e = dmap_slot(m, dict, s, len, h);
	if (e->num == 0) {
		/* at most UBLK_MAX strings of a line's length each */
		if (dict->len + len > UINT32_MAX)
			die(EX_SOFTWARE, "usage block: dictionary past 4 GiB");
		put_varint(dict, len);
		e->hash = h;
		e->off = (uint32_t)dict->len;
		e->len = (uint32_t)len;
		e->num = (uint32_t)++w->nd[c];
		m->n++;
		buf_add(dict, s, len);
		buf_addc(dict, '\0');
	}
	put_varint(&w->sec[dict_sec[c]], e->num - 1);
}

void
ublk_w_add(struct ublk_w *w, const struct ldg_usage *u, int64_t seq)
{
	if (w->n == 0) {
		w->seq0 = seq;
		w->tmin = w->tmax = u->t;
		put_varint(&w->sec[UBLK_SEQ], (uint64_t)seq);
	} else {
		put_varint(&w->sec[UBLK_SEQ], (uint64_t)(seq - w->last));
		if (u->t < w->tmin)
			w->tmin = u->t;
		if (u->t > w->tmax)
			w->tmax = u->t;
	}
	w->last = seq;
	w->n++;
	put_le(&w->sec[UBLK_T], (uint64_t)u->t, 8);
	buf_add(&w->sec[UBLK_KEY], u->key, LDG_KEYLEN);
	buf_add(&w->sec[UBLK_DIGEST], u->digest, LDG_KEYLEN);
	put_dict(w, 0, u->customer, strlen(u->customer));
	put_dict(w, 1, u->type, strlen(u->type));
	put_dict(w, 2, u->source, strlen(u->source));
	put_dict(w, 3, u->subject, strlen(u->subject));
	put_str(&w->sec[UBLK_ID], u->id, strlen(u->id));
	if (u->corr == NULL)
		put_varint(&w->sec[UBLK_CORR], 0);
	else
		put_str(&w->sec[UBLK_CORR], u->corr, strlen(u->corr));
	put_str(&w->sec[UBLK_DATA], (const char *)u->data, u->datalen);
}

void
ublk_w_finish(struct ublk_w *w, struct buf *out)
{
	struct buf hd = { 0 };
	size_t off = HDRLEN;
	int i, c;

	out->len = 0;
	buf_addc(out, UBLK_VERSION);
	put_le(out, w->n, 4);
	put_le(out, (uint64_t)w->ingested, 8);
	for (i = 0; i < UBLK_NSEC; i++) {
		for (c = 0; c < UBLK_NDICT && dict_sec[c] != i; c++)
			;
		put_le(out, off, 4);
		if (c < UBLK_NDICT) {
			hd.len = 0;
			put_varint(&hd, w->nd[c]);
			off += hd.len + w->dict[c].len;
		}
		off += w->sec[i].len;
	}
	put_le(out, off, 4);
	for (i = 0; i < UBLK_NSEC; i++) {
		for (c = 0; c < UBLK_NDICT && dict_sec[c] != i; c++)
			;
		if (c < UBLK_NDICT) {
			put_varint(out, w->nd[c]);
			buf_add(out, w->dict[c].p, w->dict[c].len);
		}
		buf_add(out, w->sec[i].p, w->sec[i].len);
	}
	buf_free(&hd);
	ublk_w_free(w);
	ublk_w_init(w, w->day, w->ingested);
}

/* The seq of the record of time t and key among n, by their columns. */
static int
find(const unsigned char *sp, const unsigned char *se,
    const unsigned char *tp, const unsigned char *kp, size_t n, int64_t t,
    const unsigned char *key, int64_t *seq)
{
	uint64_t v, s = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (get_varint(&sp, se, &v) < 0)
			return -1;
		s = i == 0 ? v : s + v;
		if ((int64_t)get_le64(tp + 8 * i) == t &&
		    memcmp(kp + LDG_KEYLEN * i, key, LDG_KEYLEN) == 0) {
			*seq = (int64_t)s;
			return 0;
		}
	}
	return -1;
}

int
ublk_w_find(const struct ublk_w *w, int64_t t, const unsigned char *key,
    int64_t *seq)
{
	const unsigned char *sp = (const unsigned char *)w->sec[UBLK_SEQ].p;

	return find(sp, sp + w->sec[UBLK_SEQ].len,
	    (const unsigned char *)w->sec[UBLK_T].p,
	    (const unsigned char *)w->sec[UBLK_KEY].p, w->n, t, key, seq);
}

/* ---- reading ---- */

static int
read_dict(struct ublk_r *r, int c)
{
	const unsigned char *p = r->cur[dict_sec[c]], *end = r->lim[dict_sec[c]];
	uint64_t d, len;
	size_t i;

	if (get_varint(&p, end, &d) < 0 || d > (uint64_t)(end - p))
		return -1;
	if (d > r->cap[c]) {
		r->d[c] = xreallocarray(r->d[c], d, sizeof(*r->d[c]));
		r->cap[c] = d;
	}
	for (i = 0; i < d; i++) {
		if (get_varint(&p, end, &len) < 0 ||
		    len >= (uint64_t)(end - p) || p[len] != '\0')
			return -1;
		r->d[c][i].s = (const char *)p;
		r->d[c][i].len = len;
		p += len + 1;
	}
	r->nd[c] = d;
	r->cur[dict_sec[c]] = p;
	return 0;
}

int
ublk_open(struct ublk_r *r, const void *vp, size_t len, int lean)
{
	const unsigned char *p = vp;
	size_t off[UBLK_NSEC + 1];
	int i;

	r->p = p;
	r->end = p + len;
	r->i = 0;
	r->lean = lean;
	r->seq = 0;
	if (len < HDRLEN || p[0] != UBLK_VERSION)
		return -1;
	r->n = get_le32(p + 1);
	r->ingested = (int64_t)get_le64(p + 5);
	for (i = 0; i <= UBLK_NSEC; i++) {
		off[i] = get_le32(p + 13 + 4 * i);
		if (off[i] < (i == 0 ? HDRLEN : off[i - 1]) || off[i] > len)
			return -1;
	}
	if (off[UBLK_NSEC] != len)
		return -1;
	for (i = 0; i < UBLK_NSEC; i++) {
		r->cur[i] = p + off[i];
		r->lim[i] = p + off[i + 1];
	}
	if ((size_t)(r->lim[UBLK_T] - r->cur[UBLK_T]) != 8 * r->n ||
	    (size_t)(r->lim[UBLK_KEY] - r->cur[UBLK_KEY]) != LDG_KEYLEN * r->n ||
	    (size_t)(r->lim[UBLK_DIGEST] - r->cur[UBLK_DIGEST]) !=
	    LDG_KEYLEN * r->n)
		return -1;
	for (i = 0; i < (lean ? 2 : UBLK_NDICT); i++)
		if (read_dict(r, i) < 0)
			return -1;
	return 0;
}

void
ublk_r_free(struct ublk_r *r)
{
	int i;

	for (i = 0; i < UBLK_NDICT; i++) {
		free(r->d[i]);
		r->d[i] = NULL;
		r->cap[i] = r->nd[i] = 0;
	}
}

static inline int
get_dict(struct ublk_r *r, int c, const char **s, size_t *len)
{
	uint64_t v;

	if (get_varint(&r->cur[dict_sec[c]], r->lim[dict_sec[c]], &v) < 0 ||
	    v >= r->nd[c])
		return -1;
	*s = r->d[c][v].s;
	if (len != NULL)
		*len = r->d[c][v].len;
	return 0;
}

/* An inline string: 0, or 1 when NULL, or -1. */
static inline int
get_str(struct ublk_r *r, int sec, const char **s, size_t *len)
{
	const unsigned char *p = r->cur[sec], *end = r->lim[sec];
	uint64_t v;

	if (get_varint(&p, end, &v) < 0)
		return -1;
	if (v == 0) {
		r->cur[sec] = p;
		*s = NULL;
		return 1;
	}
	if (v - 1 >= (uint64_t)(end - p) || p[v - 1] != '\0')
		return -1;
	*s = (const char *)p;
	*len = v - 1;
	r->cur[sec] = p + v;
	return 0;
}

int
ublk_next(struct ublk_r *r, struct ldg_usage *u)
{
	uint64_t v;
	size_t len, i = r->i;
	const char *s;

	if (i == r->n)
		return 0;
	if (get_varint(&r->cur[UBLK_SEQ], r->lim[UBLK_SEQ], &v) < 0 ||
	    (i > 0 && v == 0))
		return -1;
	r->seq = i == 0 ? (int64_t)v : r->seq + (int64_t)v;
	u->seq = r->seq;
	u->t = (int64_t)get_le64(r->cur[UBLK_T] + 8 * i);
	u->key = r->cur[UBLK_KEY] + LDG_KEYLEN * i;
	if (get_dict(r, 0, &u->customer, &u->customer_len) < 0 ||
	    get_dict(r, 1, &u->type, &u->type_len) < 0 ||
	    get_str(r, UBLK_DATA, &s, &len) != 0)
		return -1;
	u->data = (const unsigned char *)s;
	u->datalen = len;
	if (r->lean) {
		u->ingested = 0;
		u->digest = NULL;
		u->source = u->id = u->subject = u->corr = NULL;
	} else {
		u->ingested = r->ingested;
		u->digest = r->cur[UBLK_DIGEST] + LDG_KEYLEN * i;
		if (get_dict(r, 2, &u->source, NULL) < 0 ||
		    get_dict(r, 3, &u->subject, NULL) < 0 ||
		    get_str(r, UBLK_ID, &u->id, &len) != 0 ||
		    get_str(r, UBLK_CORR, &u->corr, &len) < 0)
			return -1;
	}
	r->i = i + 1;
	return 1;
}

int
ublk_find(const struct ublk_r *r, int64_t t, const unsigned char *key,
    int64_t *seq)
{
	if (r->i != 0)	/* before the first ublk_next only */
		return -1;
	return find(r->cur[UBLK_SEQ], r->lim[UBLK_SEQ], r->cur[UBLK_T],
	    r->cur[UBLK_KEY], r->n, t, key, seq);
}
