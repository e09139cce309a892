/*
 * test_ublk.c: usage blocks (common/ublk.c), printed as TAP.  Records
 * written to a block come back field for field, in order, in the full
 * and the lean reading; a NULL correction stays NULL, an empty data blob
 * empty, shared customers one dictionary entry; a record is found by its
 * time and key in the writer and in the bytes; and no truncation or
 * flipped byte of a block makes a reader read outside it (run under
 * ASan by make check SANITIZE=1): each is refused or read within bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ublk.h"
#include "tap.h"

#define N	300

struct rec {
	int64_t		 t, seq;
	unsigned char	 key[LDG_KEYLEN], digest[LDG_KEYLEN];
	char		 customer[16], type[16], source[16], subject[16];
	char		 id[24], corr[24];
	unsigned char	 data[40];
	size_t		 datalen;
	int		 has_corr;
};

static struct rec recs[N];

static void
make(void)
{
	int i, j;

	for (i = 0; i < N; i++) {
		struct rec *r = &recs[i];

		r->t = 1790000000000000000LL + (int64_t)((i * 7919) % 86400) *
		    1000000000LL;
		r->seq = 1000 + i * 3 + (i % 5);	/* increasing, gaps */
		for (j = 0; j < LDG_KEYLEN; j++) {
			r->key[j] = (unsigned char)(i * 31 + j);
			r->digest[j] = (unsigned char)(i * 17 + j * 3);
		}
		snprintf(r->customer, sizeof(r->customer), "c%d", i % 7);
		snprintf(r->type, sizeof(r->type), "%s",
		    i % 2 ? "tokens" : "api_call");
		snprintf(r->source, sizeof(r->source), "src");
		snprintf(r->subject, sizeof(r->subject), "s%d", i % 11);
		snprintf(r->id, sizeof(r->id), "ev-%d", i);
		r->has_corr = i % 10 == 3;
		snprintf(r->corr, sizeof(r->corr), "fix-%d", i);
		r->datalen = (size_t)(i % 13);	/* 0 included */
		for (j = 0; j < (int)r->datalen; j++)
			r->data[j] = (unsigned char)(i + j);
	}
}

static void
fill(struct ldg_usage *u, const struct rec *r)
{
	memset(u, 0, sizeof(*u));
	u->t = r->t;
	u->ingested = 42;
	u->key = r->key;
	u->digest = r->digest;
	u->customer = r->customer;
	u->type = r->type;
	u->source = r->source;
	u->subject = r->subject;
	u->id = r->id;
	u->corr = r->has_corr ? r->corr : NULL;
	u->data = r->data;
	u->datalen = r->datalen;
}

static int
same(const struct ldg_usage *u, const struct rec *r, int lean)
{
	if (u->t != r->t || u->seq != r->seq ||
	    memcmp(u->key, r->key, LDG_KEYLEN) != 0 ||
	    strcmp(u->customer, r->customer) != 0 ||
	    u->customer_len != strlen(r->customer) ||
	    strcmp(u->type, r->type) != 0 || u->type_len != strlen(r->type) ||
	    u->datalen != r->datalen ||
	    (r->datalen > 0 && memcmp(u->data, r->data, r->datalen) != 0))
		return 0;
	if (lean)
		return u->id == NULL && u->digest == NULL;
	return u->ingested == 42 && memcmp(u->digest, r->digest,
	    LDG_KEYLEN) == 0 && strcmp(u->source, r->source) == 0 &&
	    strcmp(u->subject, r->subject) == 0 && strcmp(u->id, r->id) == 0 &&
	    (r->has_corr ? u->corr != NULL && strcmp(u->corr, r->corr) == 0 :
	    u->corr == NULL);
}

/* Read every record of a block: how many matched recs, or -1. */
static int
read_all(const void *p, size_t len, int lean)
{
	struct ublk_r r = { 0 };
	struct ldg_usage u;
	int i = 0, rc, good = 0;

	if (ublk_open(&r, p, len, lean) < 0) {
		ublk_r_free(&r);
		return -1;
	}
	while ((rc = ublk_next(&r, &u)) == 1) {
		if (i < N && same(&u, &recs[i], lean))
			good++;
		i++;
	}
	ublk_r_free(&r);
	return rc < 0 ? -1 : good;
}

int
main(void)
{
	struct ublk_w w;
	struct buf b = { 0 }, c = { 0 };
	struct ublk_r r = { 0 };
	struct ldg_usage u;
	int64_t seq;
	size_t i, cut, refused = 0, mism = 0;
	int n;

	make();
	ublk_w_init(&w, 20717, 42);
	for (i = 0; i < N; i++) {
		fill(&u, &recs[i]);
		ublk_w_add(&w, &u, recs[i].seq);
	}
	ok(w.n == N && w.seq0 == recs[0].seq && w.last == recs[N - 1].seq,
	    "the writer counts %d records, first and last seq", N);
	ok(w.nd[0] == 7 && w.nd[1] == 2 && w.nd[2] == 1 && w.nd[3] == 11,
	    "shared values are one dictionary entry each");
	ok(ublk_w_find(&w, recs[123].t, recs[123].key, &seq) == 0 &&
	    seq == recs[123].seq, "the writer finds a record by time and key");
	ok(ublk_w_find(&w, recs[123].t + 1, recs[123].key, &seq) < 0 &&
	    ublk_w_find(&w, recs[123].t, recs[124].key, &seq) < 0,
	    "not with another time or key");
	ublk_w_finish(&w, &b);
	ok(w.n == 0 && w.day == 20717 && w.ingested == 42,
	    "finish leaves the writer empty, for the same day");

	ok(read_all(b.p, b.len, 0) == N, "full reading: every field back, "
	    "in order");
	ok(read_all(b.p, b.len, 1) == N, "lean reading: its fields back, "
	    "the others NULL");

	ok(ublk_open(&r, b.p, b.len, 1) == 0 &&
	    ublk_find(&r, recs[N - 1].t, recs[N - 1].key, &seq) == 0 &&
	    seq == recs[N - 1].seq && ublk_find(&r, recs[5].t,
	    recs[6].key, &seq) < 0, "ublk_find on the bytes");
	ublk_r_free(&r);

	/* an empty block and a block of one */
	ublk_w_finish(&w, &c);
	ok(read_all(c.p, c.len, 0) == 0, "an empty block reads as none");
	fill(&u, &recs[9]);
	ublk_w_add(&w, &u, recs[0].seq);
	ublk_w_finish(&w, &c);
	ok(ublk_open(&r, c.p, c.len, 0) == 0 && ublk_next(&r, &u) == 1 &&
	    u.seq == recs[0].seq && strcmp(u.id, "ev-9") == 0 &&
	    ublk_next(&r, &u) == 0, "a block of one record");
	ublk_r_free(&r);

	/* every truncation is refused or read within bounds */
	for (cut = 0; cut < b.len; cut++) {
		n = read_all(b.p, cut, 0);
		if (n < 0)
			refused++;
		else if (n == N)
			mism++;
	}
	ok(refused == b.len && mism == 0, "all %zu truncations refused",
	    b.len);
	/* every single flipped byte: no read outside (ASan says), no crash */
	for (cut = 0; cut < b.len; cut++) {
		c.len = 0;
		buf_add(&c, b.p, b.len);
		c.p[cut] ^= 0x5a;
		(void)read_all(c.p, c.len, 0);
		(void)read_all(c.p, c.len, 1);
	}
	ok(1, "%zu flipped bytes read without a crash", b.len);
	b.p[0] = 2;
	ok(read_all(b.p, b.len, 0) < 0, "another version is refused");

	ublk_w_free(&w);
	buf_free(&b);
	buf_free(&c);
	return tap_done();
}
