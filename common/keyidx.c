/*
 * keyidx.c: the key index of usage records' idempotency keys: the hash
 * of the key log, the log, the cold runs with their Bloom filters, and
 * compaction (see keyidx.h).  Its storage is the engine's statements
 * (ldg_engine.h); the usage records themselves are ledger.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "keyidx.h"
#include "ldg_engine.h"
#include "util.h"

struct bloom {
	uint64_t	*w;
	size_t		 nblocks;	/* 64-byte blocks */
};

#define KIDX_BLOCK_MAX	2048			/* entries a block may have */
#define KIDX_LOG_KEYS	4096			/* in a block of the log */

struct run {
	int64_t		 id, n;
	struct bloom	 bl;
};

struct kidx {
	struct ldg_engine *e;
	int64_t		 hot_max;
	struct kidx_ent	*hot;
	size_t		 hcap, hn;
	int64_t		 hseq;		/* log entries up to here are hashed */
	unsigned char	*pend;		/* the transaction's new keys, */
	size_t		 npend, pendcap; /* entries from seq pseq on, */
	int64_t		 pseq;		/* logged at commit */
	int64_t		 hgen;		/* key_gen they belong to */
	struct run	*runs;		/* newest first */
	size_t		 nruns;
	int64_t		 rgen;		/* key_gen the runs belong to */
};

/*
 * ---- the cold index: sorted runs, each with a Bloom filter ----
 *
 * A merge of the key log used to go into one B-tree by key, rewriting
 * every cold page each time: on a ledger of 10M keys that cost more than
 * the rest of the stage.  Cold keys are now kept in runs, sorted by key
 * and cut into blocks, one row of ukey_block each, clustered by (run,
 * first key): a merge writes the log, sorted, as a new run at the end of
 * the tree (sequential, and its cost does not grow with the ledger).  A
 * row per key cost SQLite about 0.8 us to insert, and a 10M-key ledger
 * had written 28M of them; a block costs one insert.  A new block fills
 * a page and no more (509 entries on pages of 16 KiB, 125 on 4 KiB): a
 * row that overflows costs reads of its overflow pages, and blocks of
 * 256 on 16 KiB pages, one a page as two did not fit, left half of
 * every page empty.  Blocks of any size up to KIDX_BLOCK_MAX are read.
 * Size-tiered compaction bounds the number of runs: when four runs are
 * in the same tier (run size / --hot-keys in [4^i, 4^i+1)), they are
 * merged into one, so each key is rewritten about log4(N/H) times in
 * all.
 *
 * An entry is 32 bytes: the key, the first 8 bytes of the content digest
 * (as in the hash: a false match needs a 2^-64 accident), and the event
 * time as 8 bytes big-endian (so hex(substr(keys, 25, 8)) is
 * printf('%016X', t) in SQL, for the curious and for the tests).
 *
 * Each run has a Bloom filter in memory (saved in ukey_run): 16 bits a
 * key, all of a key's seven bits in one 64-byte block (one cache miss),
 * taken from the key itself since keys are BLAKE2b output (bytes 8..15
 * choose the block, bytes 0..7 the bits).  A key is probed in a run only
 * when that run's filter does not rule it out: for a new key, 0.099% of
 * the time per run.  Each probe is a block read, two or three pages that
 * are rarely in SQLite's cache and, on a ledger larger than the page
 * cache, not always in the system's: with 12 bits a key (0.41%) the 1M
 * events of scripts/bench-ingest read 25k blocks from a ledger of 100M
 * keys in six runs, and with 10 (0.96%) meter-ingest on 10M events spent
 * 2 s more than with 12.  A filter saved with fewer bits a key than
 * BLOOM_BITS_PER_KEY (by an older version) is rebuilt at the first
 * write transaction that loads it: a one-time scan of its run.  A filter
 * must hold every key of its run, or a duplicate would pass: it is
 * written with the run, in the same transaction, and the list of runs is
 * read from ukey_block itself, so a run whose filter is missing or
 * malformed gets it rebuilt by a scan too.
 */
#define BLOOM_BITS_PER_KEY	16
#define RUN_FANOUT		4	/* LDGE_RUN_DROP* take 4 ids */

/* The key's 64-byte block: the high 32 bits of bytes 8..15, scaled. */
static size_t
bloom_block(const struct bloom *b, const unsigned char *k)
{
	uint64_t hi;

	memcpy(&hi, k + 8, sizeof(hi));
	return (size_t)(((hi >> 32) * (uint64_t)b->nblocks) >> 32);
}

static void
bloom_pos(const struct bloom *b, const unsigned char *k, size_t *word,
    uint64_t mask[8])
{
	uint64_t lo;
	int i;

	memcpy(&lo, k, sizeof(lo));
	*word = bloom_block(b, k) * 8;
	for (i = 0; i < 8; i++)
		mask[i] = 0;
	for (i = 0; i < 7; i++) {
		unsigned bit = (unsigned)(lo >> (9 * i)) & 511;

		mask[bit / 64] |= (uint64_t)1 << (bit % 64);
	}
}

static void
bloom_add(struct bloom *b, const unsigned char *k)
{
	uint64_t mask[8];
	size_t w;
	int i;

	bloom_pos(b, k, &w, mask);
	for (i = 0; i < 8; i++)
		b->w[w + i] |= mask[i];
}

/* 0: certainly not in the run; 1: maybe */
static int
bloom_maybe(const struct bloom *b, const unsigned char *k)
{
	uint64_t mask[8];
	size_t w;
	int i;

	bloom_pos(b, k, &w, mask);
	for (i = 0; i < 8; i++)
		if ((b->w[w + i] & mask[i]) != mask[i])
			return 0;
	return 1;
}

/*
 * A filter's memory is mapped, not malloc'd (xmap): filters come and go
 * in sizes of megabytes as runs merge, and glibc keeps freed chunks that
 * size in its heap, where the next filter rarely fits.  A mapping goes
 * back to the system when freed, so the peak is what the filters need;
 * and it gets huge pages, which matter here: every new key probes a
 * random block of every run's filter, 200 MB of them at 100M keys, and
 * with pages of 4 KiB nearly every probe also missed the TLB.
 */
static void
bloom_free(struct bloom *b)
{
	xunmap(b->w, b->nblocks * 64);
	b->w = NULL;
	b->nblocks = 0;
}

/* Zeroed room for nblocks blocks. */
static void
bloom_map(struct bloom *b, size_t nblocks)
{
	bloom_free(b);
	b->w = xmap(nblocks * 64, "a key filter");
	b->nblocks = nblocks;
}

/* The blocks of a filter of n keys. */
static int64_t
bloom_nblocks(int64_t n)
{
	return n * BLOOM_BITS_PER_KEY > 512 ?
	    (n * BLOOM_BITS_PER_KEY + 511) / 512 : 1;
}

static void
bloom_alloc(struct bloom *b, int64_t n)
{
	bloom_map(b, (size_t)bloom_nblocks(n));
}

static void
runs_free(struct kidx *ix)
{
	size_t i;

	for (i = 0; i < ix->nruns; i++)
		bloom_free(&ix->runs[i].bl);
	free(ix->runs);
	ix->runs = NULL;
	ix->nruns = 0;
}

static void
run_save(struct kidx *ix, const struct run *r)
{
	int st = LDGE_RUN_PUT;

	ldge_bind_int(ix->e, st, 1, r->id);
	ldge_bind_int(ix->e, st, 2, r->n);
	ldge_bind_int(ix->e, st, 3, (int64_t)r->bl.nblocks);
	ldge_bind_blob(ix->e, st, 4, r->bl.w, r->bl.nblocks * 64);
	ldge_step(ix->e, st, "saving a key filter");
	ldge_reset(ix->e, st);
}

/* An entry of a block, see keyidx.h. */
void
kidx_ent_put(unsigned char *p, const struct kidx_ent *e)
{
	uint64_t t = (uint64_t)e->t;
	int i;

	memcpy(p, e->k, LDG_KEYLEN);
	memcpy(p + LDG_KEYLEN, e->d, KIDX_DLEN);
	for (i = 0; i < 8; i++)
		p[LDG_KEYLEN + KIDX_DLEN + i] =
		    (unsigned char)(t >> (56 - 8 * i));
}

static int64_t
ent_time(const unsigned char *p)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < 8; i++)
		t = t << 8 | p[LDG_KEYLEN + KIDX_DLEN + i];
	return (int64_t)t;
}

/*
 * A row's block (column c) of n entries (column c + 1), checked: a
 * malformed block would let duplicates through.
 */
static const unsigned char *
block_get(struct kidx *ix, int st, int c, int64_t max, size_t *n)
{
	int64_t k = ldge_col_int(ix->e, st, c + 1);
	const void *p = ldge_col_blob(ix->e, st, c);

	if (p == NULL || k < 1 || k > max ||
	    ldge_col_bytes(ix->e, st, c) != k * KIDX_ENTLEN)
		die(EX_CONFIG, "ledger '%s': malformed key index block",
		    ix->e->path);
	*n = (size_t)k;
	return p;
}

/* Count a run's keys and build its filter by reading them. */
static void
run_build(struct kidx *ix, struct run *r)
{
	int st = LDGE_RUN_BLOCKS;
	const unsigned char *p;
	size_t i, n;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		if (pass == 1)
			bloom_alloc(&r->bl, r->n);
		r->n = 0;
		ldge_bind_int(ix->e, st, 1, r->id);
		while (ldge_step(ix->e, st, "reading a run")) {
			p = block_get(ix, st, 0, KIDX_BLOCK_MAX, &n);
			for (i = 0; pass == 1 && i < n; i++)
				bloom_add(&r->bl, p + i * KIDX_ENTLEN);
			r->n += (int64_t)n;
		}
		ldge_reset(ix->e, st);
	}
	run_save(ix, r);
}

/* Make room for a run in front (runs are kept newest first). */
static struct run *
run_push(struct kidx *ix, int64_t id)
{
	ix->runs = xreallocarray(ix->runs, ix->nruns + 1, sizeof(*ix->runs));
	memmove(ix->runs + 1, ix->runs, ix->nruns * sizeof(*ix->runs));
	ix->nruns++;
	memset(&ix->runs[0], 0, sizeof(ix->runs[0]));
	ix->runs[0].id = id;
	return &ix->runs[0];
}

/*
 * Under the write lock: the runs in ukey_block, newest first, each with
 * its saved filter when that is well formed, else a rebuilt one.
 */
static void
runs_load(struct kidx *ix)
{
	int st, rs = LDGE_RUN_GET;
	struct run *r;
	int64_t id = INT64_MIN, n, nblocks;

	runs_free(ix);
	st = LDGE_RUN_NEXT;
	for (;;) {
		ldge_bind_int(ix->e, st, 1, id);
		if (!ldge_step(ix->e, st, "listing the cold runs")) {
			ldge_reset(ix->e, st);
			break;
		}
		id = ldge_col_int(ix->e, st, 0);
		ldge_reset(ix->e, st);
		r = run_push(ix, id);
		ldge_bind_int(ix->e, rs, 1, id);
		if (ldge_step(ix->e, rs, "reading a key filter")) {
			n = ldge_col_int(ix->e, rs, 0);
			nblocks = ldge_col_int(ix->e, rs, 1);
			/* fewer bits a key than now: rebuilt (see above) */
			if (n > 0 && nblocks >= bloom_nblocks(n) &&
			    nblocks <= UINT32_MAX &&
			    ldge_col_int(ix->e, rs, 2) == nblocks * 64) {
				r->n = n;
				bloom_map(&r->bl, (size_t)nblocks);
			}
		}
		ldge_reset(ix->e, rs);
		if (r->bl.w != NULL && ldge_run_bits(ix->e, id, r->bl.w,
		    r->bl.nblocks * 64) != 0)
			bloom_free(&r->bl);
		if (r->bl.w == NULL)
			run_build(ix, r);
	}
}

static int
run_tier(const struct kidx *ix, int64_t n)
{
	int t = 0;

	for (n /= ix->hot_max; n >= RUN_FANOUT; n /= RUN_FANOUT)
		t++;
	return t;
}

/* Run one statement on RUN_FANOUT run ids (0: none). */
static void
run_exec(struct kidx *ix, int which, const int64_t *ids)
{
	int j;

	for (j = 0; j < RUN_FANOUT; j++)
		ldge_bind_int(ix->e, which, j + 1, ids[j]);
	ldge_step(ix->e, which, "compacting the key index");
	ldge_reset(ix->e, which);
}

static int
kent_cmp(const void *a, const void *b)
{
	return memcmp(a, b, LDG_KEYLEN);
}

/* Sort n entries by key, by insertion: for entries nearly in order. */
static void
kent_isort(struct kidx_ent *h, size_t n)
{
	struct kidx_ent x;
	size_t i, j;

	for (i = 1; i < n; i++) {
		if (memcmp(h[i - 1].k, h[i].k, LDG_KEYLEN) <= 0)
			continue;
		x = h[i];
		for (j = i; j > 0 && memcmp(h[j - 1].k, x.k, LDG_KEYLEN) > 0;
		    j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
}

/*
 * Writing a run, in key order: entries gather into a block, written
 * when full, and go into the run's filter, built as the run is written
 * and never read back.
 */
struct bwr {
	struct run	*r;
	size_t		 n;
	unsigned char	 b[KIDX_BLOCK_MAX * KIDX_ENTLEN];
};

static void
bw_flush(struct kidx *ix, struct bwr *w)
{
	int st = LDGE_BLK_PUT;

	if (w->n == 0)
		return;
	ldge_bind_int(ix->e, st, 1, w->r->id);
	ldge_bind_blob(ix->e, st, 2, w->b, LDG_KEYLEN);
	ldge_bind_int(ix->e, st, 3, (int64_t)w->n);
	ldge_bind_blob(ix->e, st, 4, w->b, w->n * KIDX_ENTLEN);
	ldge_step(ix->e, st, "writing the key index");
	ldge_reset(ix->e, st);
	w->n = 0;
}

static void
bw_put(struct kidx *ix, struct bwr *w, const unsigned char *ent)
{
	if (w->n == ix->e->blk_keys)
		bw_flush(ix, w);
	memcpy(w->b + w->n++ * KIDX_ENTLEN, ent, KIDX_ENTLEN);
	bloom_add(&w->r->bl, ent);
	w->r->n++;
}

/*
 * One run being merged: a copy of its current block, read by a range
 * scan after the last block read.  No statement stays open while the
 * merge writes into the same B-tree: SQLite would save and re-seek an
 * open cursor on every insert.
 */
struct msrc {
	int64_t		 id;
	size_t		 pos, len;
	int		 done;
	unsigned char	 b[KIDX_BLOCK_MAX * KIDX_ENTLEN];
};

static void
msrc_fill(struct kidx *ix, struct msrc *m)
{
	int st = LDGE_BLK_NEXT;
	unsigned char lo[LDG_KEYLEN];
	const unsigned char *p;

	ldge_bind_int(ix->e, st, 1, m->id);
	if (m->len > 0) {	/* the first key of the block read last */
		/* a copy, as m->b is overwritten while it is bound */
		memcpy(lo, m->b, LDG_KEYLEN);
		ldge_bind_blob(ix->e, st, 2, lo, LDG_KEYLEN);
	} else
		ldge_bind_blob(ix->e, st, 2, lo, 0);	/* before every key */
	m->pos = 0;
	if (ldge_step(ix->e, st, "reading the key index")) {
		p = block_get(ix, st, 0, KIDX_BLOCK_MAX, &m->len);
		memcpy(m->b, p, m->len * KIDX_ENTLEN);
	} else {
		m->len = 0;
		m->done = 1;
	}
	ldge_reset(ix->e, st);
}

/*
 * Merge the runs at pick[0..npick) into one, numbered after every other,
 * leaving out the keys in the sorted list drop[0..ndrop) (a prune): the
 * runs are each sorted by key, so this is a merge of sorted blocks, and
 * the new run is appended at the end of the tree.  The old runs and
 * their filters go; a run left empty is not written.
 */
static void
runs_merge(struct kidx *ix, const size_t *pick, size_t npick,
    const unsigned char (*drop)[LDG_KEYLEN], size_t ndrop)
{
	struct msrc *m, *best;
	struct bwr *w;
	struct run nr;
	int64_t ids[RUN_FANOUT], n = 0;
	const unsigned char *ent;
	size_t i, j, x = 0;

	memset(&nr, 0, sizeof(nr));
	nr.id = ix->runs[0].id + 1;
	m = xcalloc(npick, sizeof(*m));
	w = xcalloc(1, sizeof(*w));
	w->r = &nr;
	for (j = 0; j < npick; j++) {
		m[j].id = ix->runs[pick[j]].id;
		n += ix->runs[pick[j]].n;
		msrc_fill(ix, &m[j]);
		/*
		 * Nothing looks a key up until the merge is done, and the
		 * runs merged leave the list then: their filters can go
		 * before the new one is made, not after.
		 */
		bloom_free(&ix->runs[pick[j]].bl);
	}
	bloom_alloc(&nr.bl, n);
	for (;;) {
		best = NULL;
		for (j = 0; j < npick; j++) {
			if (m[j].pos == m[j].len && !m[j].done)
				msrc_fill(ix, &m[j]);
			if (m[j].pos < m[j].len && (best == NULL ||
			    kent_cmp(m[j].b + m[j].pos * KIDX_ENTLEN,
			    best->b + best->pos * KIDX_ENTLEN) < 0))
				best = &m[j];
		}
		if (best == NULL)
			break;
		ent = best->b + best->pos++ * KIDX_ENTLEN;
		while (x < ndrop && kent_cmp(drop[x], ent) < 0)
			x++;
		if (x < ndrop && kent_cmp(drop[x], ent) == 0)
			continue;
		bw_put(ix, w, ent);
	}
	bw_flush(ix, w);
	free(w);
	free(m);
	/* drop the merged runs, RUN_FANOUT ids at a time */
	for (i = 0; i < npick; i += RUN_FANOUT) {
		for (j = 0; j < RUN_FANOUT; j++)
			ids[j] = i + j < npick ? ix->runs[pick[i + j]].id : 0;
		run_exec(ix, LDGE_RUN_DROP, ids);
		run_exec(ix, LDGE_RUN_DROPF, ids);
	}
	/* and from the list, back to front (pick is in list order) */
	for (j = npick; j-- > 0;) {
		memmove(ix->runs + pick[j], ix->runs + pick[j] + 1,
		    (ix->nruns - pick[j] - 1) * sizeof(*ix->runs));
		ix->nruns--;
	}
	if (nr.n == 0) {
		bloom_free(&nr.bl);
		return;
	}
	run_save(ix, &nr);
	*run_push(ix, nr.id) = nr;
}

/* Merge RUN_FANOUT runs of one tier into one, while there are some. */
static void
runs_compact(struct kidx *ix)
{
	size_t i, j, k = 0, pick[RUN_FANOUT];
	int tier;

	for (;;) {
		/* the first tier, newest runs first, with RUN_FANOUT runs */
		for (i = 0; i < ix->nruns; i++) {
			tier = run_tier(ix, ix->runs[i].n);
			for (k = 0, j = i; j < ix->nruns && k < RUN_FANOUT; j++)
				if (run_tier(ix, ix->runs[j].n) == tier)
					pick[k++] = j;
			if (k == RUN_FANOUT)
				break;
		}
		if (k < RUN_FANOUT)
			return;
		runs_merge(ix, pick, RUN_FANOUT, NULL, 0);
	}
}

/* ---- the in-memory hash of the key log ---- */

static const unsigned char zerokey[LDG_KEYLEN];

/*
 * A key's home slot: its first bytes read big-endian, scaled to the
 * table, so that slots run in key order (keys are uniform, being
 * BLAKE2b output) and the table, its empty slots dropped, is the log's
 * keys nearly sorted: each key is at most its probe sequence away from
 * its place, which kidx_merge's insertion sort makes good.
 */
static size_t
hot_index(const struct kidx *ix, const unsigned char *k)
{
	uint64_t h = 0;
	int i;

	for (i = 0; i < 8; i++)
		h = h << 8 | k[i];
	return (size_t)(h >> (64 - __builtin_ctzll(ix->hcap)));
}

static struct kidx_ent *
hot_find(struct kidx *ix, const unsigned char *k)
{
	size_t i;

	if (ix->hn == 0)
		return NULL;
	for (i = hot_index(ix, k);; i = (i + 1) & (ix->hcap - 1)) {
		if (memcmp(ix->hot[i].k, k, LDG_KEYLEN) == 0)
			return &ix->hot[i];
		if (memcmp(ix->hot[i].k, zerokey, LDG_KEYLEN) == 0)
			return NULL;
	}
}

static void hot_add(struct kidx *, const unsigned char *,
    const unsigned char *, int64_t);

static void
hot_grow(struct kidx *ix)
{
	struct kidx_ent *old = ix->hot;
	size_t oldcap = ix->hcap, i;

	if (oldcap > 0)
		ix->hcap = oldcap * 2;
	else {
		/*
		 * Sized at once for --hot-keys and a batch over it: growing
		 * holds the old table and the new, twice the memory, at the
		 * worst moment.  A mapping's pages cost nothing until touched.
		 */
		for (ix->hcap = 1024; ix->hcap < (1 << 22) &&
		    (size_t)(ix->hot_max + ix->hot_max / 8) * 10 > ix->hcap * 7;
		    ix->hcap *= 2)
			;
	}
	ix->hot = xmap(ix->hcap * sizeof(*ix->hot), "the key log's hash");
	ix->hn = 0;
	for (i = 0; i < oldcap; i++)
		if (memcmp(old[i].k, zerokey, LDG_KEYLEN) != 0)
			hot_add(ix, old[i].k, old[i].d, old[i].t);
	xunmap(old, oldcap * sizeof(*old));
}

static void
hot_add(struct kidx *ix, const unsigned char *k, const unsigned char *d,
    int64_t t)
{
	size_t i;

	if ((ix->hn + 1) * 10 > ix->hcap * 7)
		hot_grow(ix);
	for (i = hot_index(ix, k);; i = (i + 1) & (ix->hcap - 1))
		if (memcmp(ix->hot[i].k, zerokey, LDG_KEYLEN) == 0)
			break;
	memcpy(ix->hot[i].k, k, LDG_KEYLEN);
	memcpy(ix->hot[i].d, d, KIDX_DLEN);
	ix->hot[i].t = t;
	ix->hn++;
}

static void
hot_clear(struct kidx *ix)
{
	if (ix->hot != NULL)
		memset(ix->hot, 0, ix->hcap * sizeof(*ix->hot));
	ix->hn = 0;
	ix->hseq = 0;
}

/*
 * Under the write lock: make the hash hold exactly the keys in the log.
 * After another process's merge or prune (key_gen moved) start again;
 * otherwise add what other processes appended since our last look.
 */
static void
hot_refresh(struct kidx *ix)
{
	const unsigned char *p;
	int st;
	int64_t gen = 0;
	size_t i, n;

	st = LDGE_GEN_GET;
	if (ldge_step(ix->e, st, "reading the key generation"))
		gen = ldge_col_int(ix->e, st, 0);
	ldge_reset(ix->e, st);
	if (gen != ix->hgen) {
		hot_clear(ix);
		ix->hgen = gen;
	}
	st = LDGE_LOG_SINCE;
	ldge_bind_int(ix->e, st, 1, ix->hseq);
	while (ldge_step(ix->e, st, "reading the key log")) {
		p = block_get(ix, st, 0, KIDX_LOG_KEYS, &n);
		for (i = 0; i < n; i++, p += KIDX_ENTLEN)
			hot_add(ix, p, p + LDG_KEYLEN, ent_time(p));
		ix->hseq = ldge_col_int(ix->e, st, 2) + (int64_t)n - 1;
	}
	ldge_reset(ix->e, st);
}

/* Copy x to to[*n], one of the hash's hn keys. */
static void
hot_pack(const struct kidx *ix, struct kidx_ent *to, size_t *n,
    const struct kidx_ent *x)
{
	if (*n == ix->hn)
		die(EX_SOFTWARE, "ledger: the key hash lost count");
	to[(*n)++] = *x;
}

/*
 * Write the key log, sorted, as a new cold run with its filter, then
 * compact; every other process reloads (see keyidx.h and runs_compact).
 */
void
kidx_merge(struct kidx *ix)
{
	unsigned char ent[KIDX_ENTLEN];
	struct kidx_ent *h = ix->hot, *tmp;
	struct bwr *w;
	size_t e, i, n = 0;

	/*
	 * The hash holds exactly the log's keys (see kidx_sync): packed and
	 * sorted, it is the new run, without reading the log back.  Its
	 * slots are in key order but for the probes (hot_index), so packing
	 * them and sorting by insertion moves each key a few places (the
	 * four merges of 1M events: about 20 ms, where qsort took 120 of the
	 * main thread, which a merge holds up).  Slots 0 to e - 1, before the
	 * first empty one, may hold keys whose probes wrapped past the
	 * table's end (their home is past e): they are packed last.
	 */
	for (e = 0; e < ix->hcap && memcmp(h[e].k, zerokey, LDG_KEYLEN) != 0;
	    e++)
		;
	if (ix->hn > 0 && e == ix->hcap)
		die(EX_SOFTWARE, "ledger: the key hash is full");
	tmp = xreallocarray(NULL, ix->hn > 0 ? ix->hn : 1, sizeof(*tmp));
	for (i = 0; i < e; i++)			/* homes before e */
		if (hot_index(ix, h[i].k) < e)
			hot_pack(ix, tmp, &n, &h[i]);
	for (i = e; i < ix->hcap; i++)
		if (memcmp(h[i].k, zerokey, LDG_KEYLEN) != 0)
			hot_pack(ix, tmp, &n, &h[i]);
	for (i = 0; i < e; i++)			/* wrapped past the end */
		if (hot_index(ix, h[i].k) >= e)
			hot_pack(ix, tmp, &n, &h[i]);
	if (n != ix->hn)
		die(EX_SOFTWARE, "ledger: the key hash lost count");
	if (n > 0)
		memcpy(h, tmp, n * sizeof(*h));
	free(tmp);
	kent_isort(h, n);
	if (n > 0) {
		w = xcalloc(1, sizeof(*w));
		w->r = run_push(ix, ix->nruns > 0 ? ix->runs[0].id + 1 : 1);
		bloom_alloc(&w->r->bl, (int64_t)n);
		for (i = 0; i < n; i++) {
			kidx_ent_put(ent, &h[i]);
			bw_put(ix, w, ent);
		}
		bw_flush(ix, w);
		run_save(ix, w->r);
		free(w);
	}
	ldge_step(ix->e, LDGE_LOG_CLEAR, "merging the key index");
	ldge_reset(ix->e, LDGE_LOG_CLEAR);
	ldge_step(ix->e, LDGE_GEN_BUMP, "merging the key index");
	ldge_reset(ix->e, LDGE_GEN_BUMP);
	hot_clear(ix);
	runs_compact(ix);
	ix->hgen++;
	ix->rgen = ix->hgen;
}

/* Log the transaction's new keys, KIDX_LOG_KEYS to a row. */
static void
log_flush(struct kidx *ix)
{
	int st = LDGE_LOG_INS;
	size_t off, n;

	for (off = 0; off < ix->npend; off += n) {
		n = ix->npend - off < KIDX_LOG_KEYS ? ix->npend - off :
		    KIDX_LOG_KEYS;
		ldge_bind_int(ix->e, st, 1, ix->pseq + (int64_t)off);
		ldge_bind_int(ix->e, st, 2, (int64_t)n);
		ldge_bind_blob(ix->e, st, 3, ix->pend + off * KIDX_ENTLEN,
		    n * KIDX_ENTLEN);
		ldge_step(ix->e, st, "logging the keys");
		ldge_reset(ix->e, st);
	}
	ix->npend = 0;
}

/* The entry of key k in the block of a LDGE_BLK_GET row, or NULL. */
static const unsigned char *
block_find(struct kidx *ix, int st, const unsigned char *k)
{
	const unsigned char *p;
	size_t lo = 0, hi, mid;
	int c;

	p = block_get(ix, st, 0, KIDX_BLOCK_MAX, &hi);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = memcmp(p + mid * KIDX_ENTLEN, k, LDG_KEYLEN)) == 0)
			return p + mid * KIDX_ENTLEN;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
kidx_prefetch(const struct kidx *ix, const unsigned char *k)
{
	size_t i;

	if (ix->hot != NULL)
		__builtin_prefetch(&ix->hot[hot_index(ix, k)]);
	for (i = 0; i < ix->nruns; i++)
		__builtin_prefetch(&ix->runs[i].bl.w[bloom_block(
		    &ix->runs[i].bl, k) * 8]);
}


/* ---- the index of a ledger connection ---- */

struct kidx *
kidx_new(struct ldg_engine *e)
{
	struct kidx *ix;

	ix = xcalloc(1, sizeof(*ix));
	ix->e = e;
	ix->hot_max = LDG_HOT_KEYS;
	ix->rgen = -1;		/* runs not loaded yet */
	return ix;
}

void
kidx_free(struct kidx *ix)
{
	if (ix == NULL)
		return;
	xunmap(ix->hot, ix->hcap * sizeof(*ix->hot));
	free(ix->pend);
	runs_free(ix);
	free(ix);
}

void
kidx_set_hot(struct kidx *ix, int64_t n)
{
	ix->hot_max = n > 0 ? n : LDG_HOT_KEYS;
}

void
kidx_sync(struct kidx *ix)
{
	hot_refresh(ix);
	if (ix->rgen != ix->hgen) {
		runs_load(ix);
		ix->rgen = ix->hgen;
	}
}

int
kidx_find(struct kidx *ix, const unsigned char *key,
    const unsigned char *digest, int64_t *orig_t)
{
	const unsigned char *p;
	struct kidx_ent *h;
	int st;
	size_t i;
	int same;

	if ((h = hot_find(ix, key)) != NULL) {
		if (orig_t != NULL)
			*orig_t = h->t;
		return memcmp(h->d, digest, KIDX_DLEN) == 0 ? LDG_DUP :
		    LDG_CONFLICT;
	}
	for (i = 0; i < ix->nruns; i++) {
		if (!bloom_maybe(&ix->runs[i].bl, key))
			continue;
		st = LDGE_BLK_GET;
		ldge_bind_int(ix->e, st, 1, ix->runs[i].id);
		ldge_bind_blob(ix->e, st, 2, key, LDG_KEYLEN);
		if (ldge_step(ix->e, st, "looking up a key") &&
		    (p = block_find(ix, st, key)) != NULL) {
			same = memcmp(p + LDG_KEYLEN, digest,
			    KIDX_DLEN) == 0;
			if (orig_t != NULL)
				*orig_t = ent_time(p);
			ldge_reset(ix->e, st);
			return same ? LDG_DUP : LDG_CONFLICT;
		}
		ldge_reset(ix->e, st);
	}
	return LDG_NEW;
}

void
kidx_claim(struct kidx *ix, const unsigned char *key,
    const unsigned char *digest, int64_t t, int64_t seq)
{
	struct kidx_ent e;

	/* the key goes to the log at commit, with its batch */
	if (ix->npend == 0)
		ix->pseq = seq;
	if (ix->npend == ix->pendcap) {
		ix->pendcap = ix->pendcap ? ix->pendcap * 2 : 1024;
		ix->pend = xreallocarray(ix->pend, ix->pendcap, KIDX_ENTLEN);
	}
	memcpy(e.k, key, LDG_KEYLEN);
	memcpy(e.d, digest, KIDX_DLEN);
	e.t = t;
	kidx_ent_put(ix->pend + ix->npend++ * KIDX_ENTLEN, &e);

	hot_add(ix, key, digest, t);
	ix->hseq = seq;
}

void
kidx_commit(struct kidx *ix, int synced)
{
	log_flush(ix);
	if (synced && (int64_t)ix->hn >= ix->hot_max)
		kidx_merge(ix);
}

void
kidx_rollback(struct kidx *ix)
{
	ix->npend = 0;
}

size_t
kidx_nruns(const struct kidx *ix)
{
	return ix->nruns;
}

/*
 * Take keys out of the cold runs: all runs are merged into one without
 * them.  Pruning is rare and its cost is the size of the index, which is
 * what it gives back.
 */
void
kidx_drop(struct kidx *ix, unsigned char (*drop)[LDG_KEYLEN], size_t n)
{
	size_t i, *pick;

	if (ix->nruns == 0 || n == 0)
		return;
	qsort(drop, n, sizeof(*drop), kent_cmp);
	pick = xreallocarray(NULL, ix->nruns, sizeof(*pick));
	for (i = 0; i < ix->nruns; i++)
		pick[i] = i;
	runs_merge(ix, pick, ix->nruns, drop, n);
	free(pick);
}

void
kidx_reload(struct kidx *ix)
{
	ldge_step(ix->e, LDGE_GEN_BUMP, "pruning");
	ldge_reset(ix->e, LDGE_GEN_BUMP);
	hot_clear(ix);
	ix->hgen = -1;
}
