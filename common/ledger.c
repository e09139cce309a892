/*
 * ledger.c: the ledger's business operations, over a storage engine.
 *
 * The stages' operations (usage records, credits, alerts, numbers,
 * invoices, documents, postings, payments, receivables) say which
 * statement to run with what, through ldg_engine.h; the engine
 * (ldg_sqlite.c) holds the SQL and everything else about the database.
 *
 * The key index.  PERF-NOTES.md measured that a B-tree of random 16-byte
 * keys gets ten to forty times slower to insert into as it grows, because
 * each batch dirties pages all over the tree and every dirty page goes to
 * the WAL.  Idempotency keys are random digests of (source, id) and must
 * be found whatever the event's time, so locality cannot come from the key.
 * It comes from a small LSM instead.  A new key is added to an in-memory
 * hash of the key log's keys, which answers lookups of recent keys without
 * touching SQLite, and at commit the batch's new keys are appended to the
 * log, ukey_batch, a row of up to LDG_LOG_KEYS (a rowid table in acceptance
 * order: writes land on the last page).  When the log holds LDG_HOT_KEYS
 * keys, it is written, sorted, as a new run of ukey_block (see "the cold
 * index" below: runs, their Bloom filters, compaction); meta's key_gen
 * then tells every process to reload its hash and its runs.  A claim is
 * a hash probe, a filter check per run (and a block read in the rare
 * run the filter does not rule out) and an append.  Under the write
 * lock, a process first reads the log blocks other processes appended
 * since its last batch, so its hash is complete when it claims.
 *
 * Usage records are clustered by (UTC day of the event, acceptance
 * sequence): a batch appends at the end of each day it touches, a few
 * pages even when a month-long file comes in random time order, and a
 * billing period is one range scan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "keyidx.h"
#include "ldg_engine.h"
#include "ledger.h"
#include "util.h"

struct bloom {
	uint64_t	*w;
	size_t		 nblocks;	/* 64-byte blocks */
};

#define LDG_BLOCK_MAX	2048			/* entries a block may have */
#define LDG_LOG_KEYS	4096			/* in a block of the log */

struct run {
	int64_t		 id, n;
	struct bloom	 bl;
};

struct ledger {
	struct ldg_engine *e;
	int		 intx;
	int		 synced;	/* key state caught up in this transaction */
	int64_t		 hot_max;
	int64_t		 seq, seq0;	/* next acceptance sequence number */
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

static void	runs_free(struct ledger *);

const char *
ldg_path(const char *opt)
{
	const char *e;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((e = getenv(LDG_ENV)) != NULL && *e != '\0')
		return e;
	return LDG_DEFAULT;
}

struct ledger *
ldg_open(const char *path, int busy_ms, int flags)
{
	struct ledger *l;

	l = xcalloc(1, sizeof(*l));
	l->hot_max = LDG_HOT_KEYS;
	l->rgen = -1;		/* runs not loaded yet */
	l->e = ldg_sqlite_open(path, busy_ms, flags);
	return l;
}

void
ldg_close(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->intx)
		ldg_rollback(l);
	free(l->hot);
	free(l->pend);
	runs_free(l);
	l->e->ops->close(l->e);
	free(l);
}

void
ldg_set_hot_keys(struct ledger *l, int64_t n)
{
	l->hot_max = n > 0 ? n : LDG_HOT_KEYS;
}

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
 * every page empty.  Blocks of any size up to LDG_BLOCK_MAX are read.
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
 * Each run has a Bloom filter in memory (saved in ukey_run): 12 bits a
 * key, all of a key's seven bits in one 64-byte block (one cache miss),
 * taken from the key itself since keys are BLAKE2b output (bytes 8..15
 * choose the block, bytes 0..7 the bits).  A key is probed in a run only
 * when that run's filter does not rule it out: for a new key, 0.41% of
 * the time per run (0.96% with 10 bits a key, which cost meter-ingest on
 * 10M events 2 s more of block reads).  Filters are read as they were
 * saved, whatever their bits a key.  A filter must hold every key of its
 * run, or a duplicate would pass: it is written with the run, in the
 * same transaction, and the list of runs is read from ukey_block itself,
 * so a run whose filter is missing or malformed gets it rebuilt by a
 * scan.
 */
#define BLOOM_BITS_PER_KEY	12
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
 * A filter's memory is mapped, not malloc'd: filters come and go in sizes
 * of megabytes as runs merge, and glibc keeps freed chunks that size in
 * its heap, where the next filter rarely fits.  A mapping goes back to
 * the system when freed, so the peak is what the filters need.
 */
static void
bloom_free(struct bloom *b)
{
	if (b->w != NULL)
		munmap(b->w, b->nblocks * 64);
	b->w = NULL;
	b->nblocks = 0;
}

/* Zeroed room for nblocks blocks. */
static void
bloom_map(struct bloom *b, size_t nblocks)
{
	void *p;

	bloom_free(b);
	p = mmap(NULL, nblocks * 64, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die(EX_OSERR, "cannot map %zu bytes for a key filter: %s",
		    nblocks * 64, strerror(errno));
	b->w = p;
	b->nblocks = nblocks;
}

static void
bloom_alloc(struct bloom *b, int64_t n)
{
	size_t nblocks = 1;

	if (n * BLOOM_BITS_PER_KEY > 512)
		nblocks = (size_t)((n * BLOOM_BITS_PER_KEY + 511) / 512);
	bloom_map(b, nblocks);
}

static void
runs_free(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->nruns; i++)
		bloom_free(&l->runs[i].bl);
	free(l->runs);
	l->runs = NULL;
	l->nruns = 0;
}

static void
run_save(struct ledger *l, const struct run *r)
{
	int st = LDGE_RUN_PUT;

	ldge_bind_int(l->e, st, 1, r->id);
	ldge_bind_int(l->e, st, 2, r->n);
	ldge_bind_int(l->e, st, 3, (int64_t)r->bl.nblocks);
	ldge_bind_blob(l->e, st, 4, r->bl.w, r->bl.nblocks * 64);
	ldge_step(l->e, st, "saving a key filter");
	ldge_reset(l->e, st);
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
block_get(struct ledger *l, int st, int c, int64_t max, size_t *n)
{
	int64_t k = ldge_col_int(l->e, st, c + 1);
	const void *p = ldge_col_blob(l->e, st, c);

	if (p == NULL || k < 1 || k > max ||
	    ldge_col_bytes(l->e, st, c) != k * KIDX_ENTLEN)
		die(EX_CONFIG, "ledger '%s': malformed key index block",
		    l->e->path);
	*n = (size_t)k;
	return p;
}

/* Count a run's keys and build its filter by reading them. */
static void
run_build(struct ledger *l, struct run *r)
{
	int st = LDGE_RUN_BLOCKS;
	const unsigned char *p;
	size_t i, n;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			bloom_alloc(&r->bl, r->n);
		r->n = 0;
		ldge_bind_int(l->e, st, 1, r->id);
		while (ldge_step(l->e, st, "reading a run")) {
			p = block_get(l, st, 0, LDG_BLOCK_MAX, &n);
			for (i = 0; pass == 1 && i < n; i++)
				bloom_add(&r->bl, p + i * KIDX_ENTLEN);
			r->n += (int64_t)n;
		}
		ldge_reset(l->e, st);
	}
	run_save(l, r);
}

/* Make room for a run in front (runs are kept newest first). */
static struct run *
run_push(struct ledger *l, int64_t id)
{
	l->runs = xreallocarray(l->runs, l->nruns + 1, sizeof(*l->runs));
	memmove(l->runs + 1, l->runs, l->nruns * sizeof(*l->runs));
	l->nruns++;
	memset(&l->runs[0], 0, sizeof(l->runs[0]));
	l->runs[0].id = id;
	return &l->runs[0];
}

/*
 * Under the write lock: the runs in ukey_block, newest first, each with
 * its saved filter when that is well formed, else a rebuilt one.
 */
static void
runs_load(struct ledger *l)
{
	int st, rs = LDGE_RUN_GET;
	struct run *r;
	int64_t id = INT64_MIN, nblocks;
	const void *bits;

	runs_free(l);
	st = LDGE_RUN_NEXT;
	for (;;) {
		ldge_bind_int(l->e, st, 1, id);
		if (!ldge_step(l->e, st, "listing the cold runs")) {
			ldge_reset(l->e, st);
			break;
		}
		id = ldge_col_int(l->e, st, 0);
		ldge_reset(l->e, st);
		r = run_push(l, id);
		ldge_bind_int(l->e, rs, 1, id);
		if (ldge_step(l->e, rs, "reading a key filter")) {
			nblocks = ldge_col_int(l->e, rs, 1);
			bits = ldge_col_blob(l->e, rs, 2);
			if (nblocks > 0 && nblocks <= UINT32_MAX &&
			    bits != NULL &&
			    ldge_col_bytes(l->e, rs, 2) == nblocks * 64) {
				r->n = ldge_col_int(l->e, rs, 0);
				bloom_map(&r->bl, (size_t)nblocks);
				memcpy(r->bl.w, bits, (size_t)nblocks * 64);
			}
		}
		ldge_reset(l->e, rs);
		if (r->bl.w == NULL)
			run_build(l, r);
	}
}

static int
run_tier(const struct ledger *l, int64_t n)
{
	int t = 0;

	for (n /= l->hot_max; n >= RUN_FANOUT; n /= RUN_FANOUT)
		t++;
	return t;
}

/* Run one statement on RUN_FANOUT run ids (0: none). */
static void
run_exec(struct ledger *l, int which, const int64_t *ids)
{
	int j;

	for (j = 0; j < RUN_FANOUT; j++)
		ldge_bind_int(l->e, which, j + 1, ids[j]);
	ldge_step(l->e, which, "compacting the key index");
	ldge_reset(l->e, which);
}

static int
kent_cmp(const void *a, const void *b)
{
	return memcmp(a, b, LDG_KEYLEN);
}

/*
 * Writing a run, in key order: entries gather into a block, written
 * when full, and go into the run's filter, built as the run is written
 * and never read back.
 */
struct bwr {
	struct run	*r;
	size_t		 n;
	unsigned char	 b[LDG_BLOCK_MAX * KIDX_ENTLEN];
};

static void
bw_flush(struct ledger *l, struct bwr *w)
{
	int st = LDGE_BLK_PUT;

	if (w->n == 0)
		return;
	ldge_bind_int(l->e, st, 1, w->r->id);
	ldge_bind_blob(l->e, st, 2, w->b, LDG_KEYLEN);
	ldge_bind_int(l->e, st, 3, (int64_t)w->n);
	ldge_bind_blob(l->e, st, 4, w->b, w->n * KIDX_ENTLEN);
	ldge_step(l->e, st, "writing the key index");
	ldge_reset(l->e, st);
	w->n = 0;
}

static void
bw_put(struct ledger *l, struct bwr *w, const unsigned char *ent)
{
	if (w->n == l->e->blk_keys)
		bw_flush(l, w);
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
	unsigned char	 b[LDG_BLOCK_MAX * KIDX_ENTLEN];
};

static void
msrc_fill(struct ledger *l, struct msrc *m)
{
	int st = LDGE_BLK_NEXT;
	unsigned char lo[LDG_KEYLEN];
	const unsigned char *p;

	ldge_bind_int(l->e, st, 1, m->id);
	if (m->len > 0) {	/* the first key of the block read last */
		/* a copy, as m->b is overwritten while it is bound */
		memcpy(lo, m->b, LDG_KEYLEN);
		ldge_bind_blob(l->e, st, 2, lo, LDG_KEYLEN);
	} else
		ldge_bind_blob(l->e, st, 2, lo, 0);	/* before every key */
	m->pos = 0;
	if (ldge_step(l->e, st, "reading the key index")) {
		p = block_get(l, st, 0, LDG_BLOCK_MAX, &m->len);
		memcpy(m->b, p, m->len * KIDX_ENTLEN);
	} else {
		m->len = 0;
		m->done = 1;
	}
	ldge_reset(l->e, st);
}

/*
 * Merge the runs at pick[0..npick) into one, numbered after every other,
 * leaving out the keys in the sorted list drop[0..ndrop) (a prune): the
 * runs are each sorted by key, so this is a merge of sorted blocks, and
 * the new run is appended at the end of the tree.  The old runs and
 * their filters go; a run left empty is not written.
 */
static void
runs_merge(struct ledger *l, const size_t *pick, size_t npick,
    const unsigned char (*drop)[LDG_KEYLEN], size_t ndrop)
{
	struct msrc *m, *best;
	struct bwr *w;
	struct run nr;
	int64_t ids[RUN_FANOUT], n = 0;
	const unsigned char *ent;
	size_t i, j, x = 0;

	memset(&nr, 0, sizeof(nr));
	nr.id = l->runs[0].id + 1;
	m = xcalloc(npick, sizeof(*m));
	w = xcalloc(1, sizeof(*w));
	w->r = &nr;
	for (j = 0; j < npick; j++) {
		m[j].id = l->runs[pick[j]].id;
		n += l->runs[pick[j]].n;
		msrc_fill(l, &m[j]);
		/*
		 * Nothing looks a key up until the merge is done, and the
		 * runs merged leave the list then: their filters can go
		 * before the new one is made, not after.
		 */
		bloom_free(&l->runs[pick[j]].bl);
	}
	bloom_alloc(&nr.bl, n);
	for (;;) {
		best = NULL;
		for (j = 0; j < npick; j++) {
			if (m[j].pos == m[j].len && !m[j].done)
				msrc_fill(l, &m[j]);
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
		bw_put(l, w, ent);
	}
	bw_flush(l, w);
	free(w);
	free(m);
	/* drop the merged runs, RUN_FANOUT ids at a time */
	for (i = 0; i < npick; i += RUN_FANOUT) {
		for (j = 0; j < RUN_FANOUT; j++)
			ids[j] = i + j < npick ? l->runs[pick[i + j]].id : 0;
		run_exec(l, LDGE_RUN_DROP, ids);
		run_exec(l, LDGE_RUN_DROPF, ids);
	}
	/* and from the list, back to front (pick is in list order) */
	for (j = npick; j-- > 0;) {
		memmove(l->runs + pick[j], l->runs + pick[j] + 1,
		    (l->nruns - pick[j] - 1) * sizeof(*l->runs));
		l->nruns--;
	}
	if (nr.n == 0) {
		bloom_free(&nr.bl);
		return;
	}
	run_save(l, &nr);
	*run_push(l, nr.id) = nr;
}

/* Merge RUN_FANOUT runs of one tier into one, while there are some. */
static void
runs_compact(struct ledger *l)
{
	size_t i, j, k = 0, pick[RUN_FANOUT];
	int tier;

	for (;;) {
		/* the first tier, newest runs first, with RUN_FANOUT runs */
		for (i = 0; i < l->nruns; i++) {
			tier = run_tier(l, l->runs[i].n);
			for (k = 0, j = i; j < l->nruns && k < RUN_FANOUT; j++)
				if (run_tier(l, l->runs[j].n) == tier)
					pick[k++] = j;
			if (k == RUN_FANOUT)
				break;
		}
		if (k < RUN_FANOUT)
			return;
		runs_merge(l, pick, RUN_FANOUT, NULL, 0);
	}
}

/* ---- the in-memory hash of the key log ---- */

static const unsigned char zerokey[LDG_KEYLEN];

static size_t
hot_index(const struct ledger *l, const unsigned char *k)
{
	uint64_t h;

	memcpy(&h, k, sizeof(h));
	return (size_t)h & (l->hcap - 1);
}

static struct kidx_ent *
hot_find(struct ledger *l, const unsigned char *k)
{
	size_t i;

	if (l->hn == 0)
		return NULL;
	for (i = hot_index(l, k);; i = (i + 1) & (l->hcap - 1)) {
		if (memcmp(l->hot[i].k, k, LDG_KEYLEN) == 0)
			return &l->hot[i];
		if (memcmp(l->hot[i].k, zerokey, LDG_KEYLEN) == 0)
			return NULL;
	}
}

static void hot_add(struct ledger *, const unsigned char *,
    const unsigned char *, int64_t);

static void
hot_grow(struct ledger *l)
{
	struct kidx_ent *old = l->hot;
	size_t oldcap = l->hcap, i;

	if (oldcap > 0)
		l->hcap = oldcap * 2;
	else {
		/*
		 * Sized at once for --hot-keys and a batch over it: growing
		 * holds the old table and the new, twice the memory, at the
		 * worst moment.  calloc's pages cost nothing until touched.
		 */
		for (l->hcap = 1024; l->hcap < (1 << 22) &&
		    (size_t)(l->hot_max + l->hot_max / 8) * 10 > l->hcap * 7;
		    l->hcap *= 2)
			;
	}
	l->hot = xcalloc(l->hcap, sizeof(*l->hot));
	l->hn = 0;
	for (i = 0; i < oldcap; i++)
		if (memcmp(old[i].k, zerokey, LDG_KEYLEN) != 0)
			hot_add(l, old[i].k, old[i].d, old[i].t);
	free(old);
}

static void
hot_add(struct ledger *l, const unsigned char *k, const unsigned char *d,
    int64_t t)
{
	size_t i;

	if ((l->hn + 1) * 10 > l->hcap * 7)
		hot_grow(l);
	for (i = hot_index(l, k);; i = (i + 1) & (l->hcap - 1))
		if (memcmp(l->hot[i].k, zerokey, LDG_KEYLEN) == 0)
			break;
	memcpy(l->hot[i].k, k, LDG_KEYLEN);
	memcpy(l->hot[i].d, d, KIDX_DLEN);
	l->hot[i].t = t;
	l->hn++;
}

static void
hot_clear(struct ledger *l)
{
	if (l->hot != NULL)
		memset(l->hot, 0, l->hcap * sizeof(*l->hot));
	l->hn = 0;
	l->hseq = 0;
}

/*
 * Under the write lock: make the hash hold exactly the keys in the log.
 * After another process's merge or prune (key_gen moved) start again;
 * otherwise add what other processes appended since our last look.
 */
static void
hot_refresh(struct ledger *l)
{
	const unsigned char *p;
	int st;
	int64_t gen = 0;
	size_t i, n;

	st = LDGE_GEN_GET;
	if (ldge_step(l->e, st, "reading the key generation"))
		gen = ldge_col_int(l->e, st, 0);
	ldge_reset(l->e, st);
	if (gen != l->hgen) {
		hot_clear(l);
		l->hgen = gen;
	}
	st = LDGE_LOG_SINCE;
	ldge_bind_int(l->e, st, 1, l->hseq);
	while (ldge_step(l->e, st, "reading the key log")) {
		p = block_get(l, st, 0, LDG_LOG_KEYS, &n);
		for (i = 0; i < n; i++, p += KIDX_ENTLEN)
			hot_add(l, p, p + LDG_KEYLEN, ent_time(p));
		l->hseq = ldge_col_int(l->e, st, 2) + (int64_t)n - 1;
	}
	ldge_reset(l->e, st);
}

/*
 * Under the write lock, before the first key of a transaction: another
 * process may have appended to the key log, merged it or compacted the
 * runs since our last batch, so catch up.  Only the stages that store
 * usage pay for it: rate, invoice-gen and erp-post never load the keys
 * (the hash of a 1M-key log alone is 50 MB).
 */
static void
keys_sync(struct ledger *l)
{
	int st;

	if (l->synced)
		return;
	l->synced = 1;
	hot_refresh(l);
	if (l->rgen != l->hgen) {
		runs_load(l);
		l->rgen = l->hgen;
	}
	st = LDGE_SEQ_GET;
	if (!ldge_step(l->e, st, "reading the sequence"))
		die(EX_CONFIG, "ledger '%s' has no sequence number",
		    l->e->path);
	l->seq = l->seq0 = ldge_col_int(l->e, st, 0);
	ldge_reset(l->e, st);
}

void
ldg_begin(struct ledger *l)
{
	l->e->ops->begin(l->e);
	l->intx = 1;
	l->synced = 0;
}

/*
 * Write the key log, sorted, as a new cold run with its filter, then
 * compact; every other process reloads (see the top and runs_compact).
 */
static void
ldg_merge(struct ledger *l)
{
	unsigned char ent[KIDX_ENTLEN];
	struct kidx_ent *h = l->hot;
	struct bwr *w;
	size_t i, n = 0;

	/*
	 * The hash holds exactly the log's keys (see keys_sync): sorted in
	 * place, it is the new run, without reading the log back or a copy.
	 */
	for (i = 0; i < l->hcap; i++)
		if (memcmp(h[i].k, zerokey, LDG_KEYLEN) != 0)
			h[n++] = h[i];
	if (n != l->hn)
		die(EX_SOFTWARE, "ledger: the key hash lost count");
	if (n > 0) {
		qsort(h, n, sizeof(*h), kent_cmp);
		w = xcalloc(1, sizeof(*w));
		w->r = run_push(l, l->nruns > 0 ? l->runs[0].id + 1 : 1);
		bloom_alloc(&w->r->bl, (int64_t)n);
		for (i = 0; i < n; i++) {
			kidx_ent_put(ent, &h[i]);
			bw_put(l, w, ent);
		}
		bw_flush(l, w);
		run_save(l, w->r);
		free(w);
	}
	ldge_step(l->e, LDGE_LOG_CLEAR, "merging the key index");
	ldge_reset(l->e, LDGE_LOG_CLEAR);
	ldge_step(l->e, LDGE_GEN_BUMP, "merging the key index");
	ldge_reset(l->e, LDGE_GEN_BUMP);
	hot_clear(l);
	runs_compact(l);
	l->hgen++;
	l->rgen = l->hgen;
}

/* Log the transaction's new keys, LDG_LOG_KEYS to a row. */
static void
log_flush(struct ledger *l)
{
	int st = LDGE_LOG_INS;
	size_t off, n;

	for (off = 0; off < l->npend; off += n) {
		n = l->npend - off < LDG_LOG_KEYS ? l->npend - off :
		    LDG_LOG_KEYS;
		ldge_bind_int(l->e, st, 1, l->pseq + (int64_t)off);
		ldge_bind_int(l->e, st, 2, (int64_t)n);
		ldge_bind_blob(l->e, st, 3, l->pend + off * KIDX_ENTLEN,
		    n * KIDX_ENTLEN);
		ldge_step(l->e, st, "logging the keys");
		ldge_reset(l->e, st);
	}
	l->npend = 0;
}

void
ldg_commit(struct ledger *l)
{
	if (l->synced && l->seq != l->seq0) {
		ldge_bind_int(l->e, LDGE_SEQ_SET, 1, l->seq);
		ldge_step(l->e, LDGE_SEQ_SET, "saving the sequence");
		ldge_reset(l->e, LDGE_SEQ_SET);
		l->seq0 = l->seq;
	}
	log_flush(l);
	if (l->synced && (int64_t)l->hn >= l->hot_max)
		ldg_merge(l);
	l->e->ops->commit(l->e, "committing");
	l->intx = 0;
}

void
ldg_rollback(struct ledger *l)
{
	l->e->ops->rollback(l->e);
	l->intx = 0;
	l->npend = 0;
}

/* Days since 1970 of an instant in ns, rounding toward -infinity. */
static int64_t
ldg_day(int64_t t)
{
	const int64_t d = 86400LL * 1000000000LL;

	return t / d - (t % d < 0);
}

/* The entry of key k in the block of a LDGE_BLK_GET row, or NULL. */
static const unsigned char *
block_find(struct ledger *l, int st, const unsigned char *k)
{
	const unsigned char *p;
	size_t lo = 0, hi, mid;
	int c;

	p = block_get(l, st, 0, LDG_BLOCK_MAX, &hi);
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
ldg_prefetch(const struct ledger *l, const unsigned char *k)
{
	size_t i;

	if (l->hot != NULL)
		__builtin_prefetch(&l->hot[hot_index(l, k)]);
	for (i = 0; i < l->nruns; i++)
		__builtin_prefetch(&l->runs[i].bl.w[bloom_block(&l->runs[i].bl,
		    k) * 8]);
}

int
ldg_usage_put(struct ledger *l, const struct ldg_usage *u, int64_t *orig_t)
{
	const unsigned char *p;
	struct kidx_ent e, *h;
	int st;
	size_t i;
	int same;

	if (!l->intx)
		die(EX_SOFTWARE, "ledger: usage record outside a transaction");
	keys_sync(l);
	if ((h = hot_find(l, u->key)) != NULL) {
		if (orig_t != NULL)
			*orig_t = h->t;
		return memcmp(h->d, u->digest, KIDX_DLEN) == 0 ? LDG_DUP :
		    LDG_CONFLICT;
	}
	for (i = 0; i < l->nruns; i++) {
		if (!bloom_maybe(&l->runs[i].bl, u->key))
			continue;
		st = LDGE_BLK_GET;
		ldge_bind_int(l->e, st, 1, l->runs[i].id);
		ldge_bind_blob(l->e, st, 2, u->key, LDG_KEYLEN);
		if (ldge_step(l->e, st, "looking up a key") &&
		    (p = block_find(l, st, u->key)) != NULL) {
			same = memcmp(p + LDG_KEYLEN, u->digest,
			    KIDX_DLEN) == 0;
			if (orig_t != NULL)
				*orig_t = ent_time(p);
			ldge_reset(l->e, st);
			return same ? LDG_DUP : LDG_CONFLICT;
		}
		ldge_reset(l->e, st);
	}

	/* the key goes to the log at commit, with its batch */
	if (l->npend == 0)
		l->pseq = l->seq;
	if (l->npend == l->pendcap) {
		l->pendcap = l->pendcap ? l->pendcap * 2 : 1024;
		l->pend = xreallocarray(l->pend, l->pendcap, KIDX_ENTLEN);
	}
	memcpy(e.k, u->key, LDG_KEYLEN);
	memcpy(e.d, u->digest, KIDX_DLEN);
	e.t = u->t;
	kidx_ent_put(l->pend + l->npend++ * KIDX_ENTLEN, &e);

	l->e->ops->usage_put(l->e, u, ldg_day(u->t), l->seq);

	hot_add(l, u->key, u->digest, u->t);
	l->hseq = l->seq;
	l->seq++;
	return LDG_NEW;
}

int
ldg_usage_scan(struct ledger *l, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return l->e->ops->usage_scan(l->e, 0, ldg_day(from), ldg_day(to),
	    from, to, cb, arg);
}

int
ldg_usage_scan_lean(struct ledger *l, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return l->e->ops->usage_scan(l->e, 1, ldg_day(from), ldg_day(to),
	    from, to, cb, arg);
}

/*
 * A read transaction, and the state of the usage records it sees: the
 * next sequence number (moved by every batch that stores records) and
 * the key generation and retention horizon (moved by every prune).  Two
 * connections that see the same state see the same records.
 */
void
ldg_read_begin(struct ledger *l, int64_t state[3])
{
	int st = LDGE_STATE;
	int i;

	l->e->ops->begin_read(l->e);
	if (!ldge_step(l->e, st, "reading the ledger's state"))
		die(EX_SOFTWARE, "ledger: no state row");
	for (i = 0; i < 3; i++)
		state[i] = ldge_col_null(l->e, st, i) ?
		    INT64_MIN : ldge_col_int(l->e, st, i);
	ldge_reset(l->e, st);
}

void
ldg_read_end(struct ledger *l)
{
	l->e->ops->commit(l->e, "ending a read transaction");
}

/*
 * The first and last UTC day with records, the days of from and to
 * included: 0, or -1 when there is none.
 */
int
ldg_usage_days(struct ledger *l, int64_t from, int64_t to, int64_t *first,
    int64_t *last)
{
	static const int sts[2] = { LDGE_DAY_FIRST, LDGE_DAY_LAST };
	int64_t *out[2] = { first, last };
	int st, i, found = 1;

	for (i = 0; i < 2 && found; i++) {
		st = sts[i];
		ldge_bind_int(l->e, st, 1, ldg_day(from));
		ldge_bind_int(l->e, st, 2, ldg_day(to));
		if ((found = ldge_step(l->e, st, "reading the days of the "
		    "records")))
			*out[i] = ldge_col_int(l->e, st, 0);
		ldge_reset(l->e, st);
	}
	return found ? 0 : -1;
}

int
ldg_usage_get(struct ledger *l, int64_t t, int64_t seq,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return l->e->ops->usage_get(l->e, ldg_day(t), seq, cb, arg);
}

/* One statement of the prune, bound to the horizon and its day. */
static void
prune_step(struct ledger *l, int st, int64_t before, const char *what)
{
	ldge_bind_int(l->e, st, 1, before);
	ldge_bind_int(l->e, st, 2, ldg_day(before));
	ldge_step(l->e, st, what);
	ldge_reset(l->e, st);
}

/*
 * Take the keys of the records about to be pruned out of the cold runs:
 * all runs are merged into one without them.  Pruning is rare and its
 * cost is the size of the index, which is what it gives back.
 */
static void
prune_cold(struct ledger *l, int64_t before)
{
	const char *what = "pruning cold keys";
	unsigned char (*drop)[LDG_KEYLEN] = NULL;
	size_t i, n = 0, cap = 0, *pick;
	int st = LDGE_PRUNE_KEYS;

	if (l->nruns == 0)
		return;
	ldge_bind_int(l->e, st, 1, before);
	ldge_bind_int(l->e, st, 2, ldg_day(before));
	while (ldge_step(l->e, st, what)) {
		if (ldge_col_bytes(l->e, st, 0) != LDG_KEYLEN)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			drop = xreallocarray(drop, cap, sizeof(*drop));
		}
		memcpy(drop[n++], ldge_col_blob(l->e, st, 0), LDG_KEYLEN);
	}
	ldge_reset(l->e, st);
	if (n > 0) {
		qsort(drop, n, sizeof(*drop), kent_cmp);
		pick = xreallocarray(NULL, l->nruns, sizeof(*pick));
		for (i = 0; i < l->nruns; i++)
			pick[i] = i;
		runs_merge(l, pick, l->nruns, drop, n);
		free(pick);
	}
	free(drop);
}

int64_t
ldg_usage_prune(struct ledger *l, int64_t before)
{
	int64_t n;

	ldg_begin(l);
	/* the log into a run first, so all keys are in runs */
	keys_sync(l);
	ldg_merge(l);
	prune_cold(l, before);
	prune_step(l, LDGE_PRUNE_USAGE, before, "pruning usage records");
	n = l->e->ops->changes(l->e);
	ldge_bind_int(l->e, LDGE_PRUNED_SET, 1, before);
	ldge_step(l->e, LDGE_PRUNED_SET, "recording the pruning horizon");
	ldge_reset(l->e, LDGE_PRUNED_SET);
	/* every process reloads its hash of the log */
	ldge_step(l->e, LDGE_GEN_BUMP, "pruning");
	ldge_reset(l->e, LDGE_GEN_BUMP);
	hot_clear(l);
	l->hgen = -1;
	ldg_commit(l);
	return n;
}

int64_t
ldg_pruned_before(struct ledger *l)
{
	int st = LDGE_PRUNED_GET;
	int64_t v = INT64_MIN;

	if (ldge_step(l->e, st, "reading the pruning horizon"))
		v = ldge_col_int(l->e, st, 0);
	ldge_reset(l->e, st);
	return v;
}

/* ---- rate(1): prepaid credits and spending alerts ---- */

static void
bind_text(struct ledger *l, int st, int i, const char *s)
{
	ldge_bind_text(l->e, st, i, s, -1);
}

static void
bind_dec(struct ledger *l, int st, int i, dec d, char *buf)
{
	dec_fmt(dec_normalize(d), buf, DEC_FMTMAX);
	ldge_bind_text(l->e, st, i, buf, -1);
}

/* An amount column: a decimal string we wrote. */
static dec
col_dec(struct ledger *l, int st, int i)
{
	const char *s = ldge_col_text(l->e, st, i);
	dec d;

	if (s == NULL || dec_parse(s, strlen(s), &d) != DEC_OK) {
		ldge_reset(l->e, st);
		die(EX_DATAERR, "ledger '%s': amount '%s' is not a decimal "
		    "number: the ledger was altered", l->e->path,
		    s ? s : "NULL");
	}
	return d;
}

/* Sum a one-column result of amounts. */
static dec
sum_rows(struct ledger *l, int st, const char *what)
{
	dec sum = DEC_ZERO;

	while (ldge_step(l->e, st, what))
		if (dec_add(sum, col_dec(l, st, 0), &sum) != DEC_OK) {
			ldge_reset(l->e, st);
			die(EX_DATAERR, "ledger '%s': %s overflows", l->e->path,
			    what);
		}
	ldge_reset(l->e, st);
	return sum;
}

int
ldg_credit_grant(struct ledger *l, const struct ldg_grant *g, int64_t now)
{
	int st = LDGE_GRANT_GET;
	char buf[DEC_FMTMAX];
	const char *cur;
	int same;

	bind_text(l, st, 1, g->customer);
	bind_text(l, st, 2, g->id);
	if (ldge_step(l->e, st, "reading a credit grant")) {
		cur = ldge_col_text(l->e, st, 0);
		same = cur != NULL && strcmp(cur, g->currency) == 0 &&
		    dec_cmp(col_dec(l, st, 1), g->amount) == 0 &&
		    ldge_col_int(l->e, st, 2) == g->granted;
		ldge_reset(l->e, st);
		return same ? LDG_DUP : LDG_CONFLICT;
	}
	ldge_reset(l->e, st);
	st = LDGE_GRANT_PUT;
	bind_text(l, st, 1, g->customer);
	bind_text(l, st, 2, g->id);
	bind_text(l, st, 3, g->currency);
	bind_dec(l, st, 4, g->amount, buf);
	ldge_bind_int(l->e, st, 5, g->granted);
	ldge_bind_int(l->e, st, 6, now);
	ldge_step(l->e, st, "recording a credit grant");
	ldge_reset(l->e, st);
	return LDG_NEW;
}

dec
ldg_credit_balance(struct ledger *l, const char *customer,
    const char *currency, int64_t before, int64_t period_start)
{
	int st = LDGE_GRANT_SUM;
	dec grants, draws, bal;

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, before);
	grants = sum_rows(l, st, "summing credit grants");
	st = LDGE_DRAW_OTHERS;
	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, period_start);
	draws = sum_rows(l, st, "summing credit draws");
	if (dec_sub(grants, draws, &bal) != DEC_OK)
		die(EX_DATAERR, "ledger '%s': credit balance of '%s' overflows",
		    l->e->path, customer);
	return bal;
}

int
ldg_credit_drawn(struct ledger *l, const char *customer, const char *currency,
    int64_t period_start, dec *amount, dec *balance)
{
	int st = LDGE_DRAW_GET;
	int found;

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, period_start);
	if ((found = ldge_step(l->e, st, "reading a credit draw"))) {
		*amount = col_dec(l, st, 0);
		*balance = col_dec(l, st, 1);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_credit_draw(struct ledger *l, const char *customer, const char *currency,
    int64_t period_start, int64_t period_end, dec amount, dec balance,
    int64_t now)
{
	int st = LDGE_DRAW_PUT;
	char buf[DEC_FMTMAX], bbuf[DEC_FMTMAX];

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, period_start);
	ldge_bind_int(l->e, st, 4, period_end);
	bind_dec(l, st, 5, amount, buf);
	bind_dec(l, st, 6, balance, bbuf);
	ldge_bind_int(l->e, st, 7, now);
	ldge_step(l->e, st, "recording a credit draw");
	ldge_reset(l->e, st);
}

int
ldg_alert_claim(struct ledger *l, const char *customer, const char *threshold,
    int64_t period_start, int64_t period_end, dec amount, int64_t now)
{
	int st = LDGE_ALERT_PUT;
	char buf[DEC_FMTMAX];

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, threshold);
	ldge_bind_int(l->e, st, 3, period_start);
	ldge_bind_int(l->e, st, 4, period_end);
	bind_dec(l, st, 5, amount, buf);
	ldge_bind_int(l->e, st, 6, now);
	ldge_step(l->e, st, "recording a spending alert");
	ldge_reset(l->e, st);
	return l->e->ops->changes(l->e) > 0 ? LDG_NEW : LDG_DUP;
}

/* ---- invoice-gen(1): numbers, invoice states, documents ---- */

int64_t
ldg_number_next(struct ledger *l, const char *entity, const char *scope)
{
	int st = LDGE_SEQ_NEXT;
	int64_t n = 1;

	bind_text(l, st, 1, entity);
	bind_text(l, st, 2, scope);
	if (ldge_step(l->e, st, "reading a document sequence"))
		n = ldge_col_int(l->e, st, 0);
	ldge_reset(l->e, st);
	st = LDGE_SEQ_BUMP;
	bind_text(l, st, 1, entity);
	bind_text(l, st, 2, scope);
	ldge_step(l->e, st, "taking a document number");
	ldge_reset(l->e, st);
	return n;
}

static char *
col_strdup(struct ledger *l, int st, int i)
{
	const char *s = ldge_col_text(l->e, st, i);

	return xstrdup(s ? s : "");
}

int
ldg_inv_get(struct ledger *l, const unsigned char *key, struct ldg_inv *out)
{
	int st = LDGE_INV_GET;
	int found;

	memset(out, 0, sizeof(*out));
	ldge_bind_blob(l->e, st, 1, key, LDG_KEYLEN);
	if ((found = ldge_step(l->e, st, "reading an invoice"))) {
		out->number = col_strdup(l, st, 0);
		out->state = col_strdup(l, st, 1);
		out->version = ldge_col_int(l->e, st, 2);
		out->cum = col_strdup(l, st, 3);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_inv_put(struct ledger *l, const unsigned char *key,
    const struct ldg_inv *in)
{
	int st = LDGE_INV_PUT;

	ldge_bind_blob(l->e, st, 1, key, LDG_KEYLEN);
	bind_text(l, st, 2, in->entity);
	bind_text(l, st, 3, in->customer);
	ldge_bind_int(l->e, st, 4, in->period_start);
	ldge_bind_int(l->e, st, 5, in->period_end);
	bind_text(l, st, 6, in->currency);
	bind_text(l, st, 7, in->number);
	bind_text(l, st, 8, in->state);
	ldge_bind_int(l->e, st, 9, in->version);
	bind_text(l, st, 10, in->cum);
	ldge_step(l->e, st, "recording an invoice");
	ldge_reset(l->e, st);
}

void
ldg_inv_free(struct ldg_inv *v)
{
	free(v->number);
	free(v->state);
	free(v->cum);
	memset(v, 0, sizeof(*v));
}

int
ldg_doc_put(struct ledger *l, const struct ldg_doc *d)
{
	int st = LDGE_DOC_PUT;

	bind_text(l, st, 1, d->number);
	bind_text(l, st, 2, d->entity);
	ldge_bind_blob(l->e, st, 3, d->key, LDG_KEYLEN);
	ldge_bind_int(l->e, st, 4, d->version);
	bind_text(l, st, 5, d->kind);
	ldge_bind_int(l->e, st, 6, d->issued);
	bind_text(l, st, 7, d->total);
	ldge_bind_text(l->e, st, 8, d->record, (int)d->reclen);
	if (l->e->ops->insert(l->e, st, "recording a document") < 0)
		return -1;	/* the number is taken: the ledger was altered */
	return 0;
}

static int
docs(struct ledger *l, int st, int (*cb)(const struct ldg_doc *, void *),
    void *arg)
{
	struct ldg_doc d;
	int n = 0;

	while (ldge_step(l->e, st, "reading documents")) {
		memset(&d, 0, sizeof(d));
		d.number = ldge_col_text(l->e, st, 0);
		d.kind = ldge_col_text(l->e, st, 1);
		d.version = ldge_col_int(l->e, st, 2);
		d.record = ldge_col_text(l->e, st, 3);
		d.reclen = (size_t)ldge_col_bytes(l->e, st, 3);
		if (ldge_col_bytes(l->e, st, 4) == LDG_KEYLEN)
			d.key = ldge_col_blob(l->e, st, 4);
		d.issued = ldge_col_int(l->e, st, 5);
		n++;
		if (cb(&d, arg) != 0)
			break;
	}
	ldge_reset(l->e, st);
	return n;
}

int
ldg_docs_of(struct ledger *l, const unsigned char *key,
    int (*cb)(const struct ldg_doc *, void *), void *arg)
{
	int st = LDGE_DOC_KEY;

	ldge_bind_blob(l->e, st, 1, key, LDG_KEYLEN);
	return docs(l, st, cb, arg);
}

int
ldg_doc_by_number(struct ledger *l, const char *number,
    int (*cb)(const struct ldg_doc *, void *), void *arg)
{
	int st = LDGE_DOC_NUM;

	bind_text(l, st, 1, number);
	return docs(l, st, cb, arg);
}

/* ---- erp-post(1): postings ---- */

int
ldg_posting_get(struct ledger *l, const char *id, struct ldg_posting *out)
{
	int st = LDGE_POST_GET;
	int found;

	memset(out, 0, sizeof(*out));
	bind_text(l, st, 1, id);
	if ((found = ldge_step(l->e, st, "reading a posting"))) {
		out->state = col_strdup(l, st, 0);
		out->erp_ref = ldge_col_null(l->e, st, 1) ?
		    NULL : col_strdup(l, st, 1);
		out->reason = ldge_col_null(l->e, st, 2) ?
		    NULL : col_strdup(l, st, 2);
		out->record = col_strdup(l, st, 3);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_posting_free(struct ldg_posting *p)
{
	free(p->state);
	free(p->erp_ref);
	free(p->reason);
	free(p->record);
	memset(p, 0, sizeof(*p));
}

void
ldg_posting_put(struct ledger *l, const char *id, const char *entity,
    const char *number, const char *record, size_t len, int64_t now)
{
	int st = LDGE_POST_PUT;

	bind_text(l, st, 1, id);
	bind_text(l, st, 2, entity);
	bind_text(l, st, 3, number);
	ldge_bind_int(l->e, st, 4, now);
	ldge_bind_text(l->e, st, 5, record, (int)len);
	ldge_step(l->e, st, "recording a posting");
	ldge_reset(l->e, st);
}

void
ldg_posting_state(struct ledger *l, const char *id, const char *state,
    const char *erp_ref, const char *reason, int64_t now)
{
	int st = LDGE_POST_STATE;

	bind_text(l, st, 1, id);
	bind_text(l, st, 2, state);
	if (erp_ref != NULL)
		bind_text(l, st, 3, erp_ref);
	else
		ldge_bind_null(l->e, st, 3);
	if (reason != NULL)
		bind_text(l, st, 4, reason);
	else
		ldge_bind_null(l->e, st, 4);
	ldge_bind_int(l->e, st, 5, now);
	ldge_step(l->e, st, "recording a posting's state");
	ldge_reset(l->e, st);
}

/* ---- erp-post(1): payments and receivables ---- */

int
ldg_payment_get(struct ledger *l, const char *reference,
    struct ldg_payment *out)
{
	int st = LDGE_PAY_GET;
	int found;

	memset(out, 0, sizeof(*out));
	bind_text(l, st, 1, reference);
	if ((found = ldge_step(l->e, st, "reading a payment"))) {
		out->number = col_strdup(l, st, 0);
		out->amount = col_dec(l, st, 1);
		out->currency = col_strdup(l, st, 2);
		out->day = ldge_col_int(l->e, st, 3);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_payment_free(struct ldg_payment *p)
{
	free(p->number);
	free(p->currency);
	memset(p, 0, sizeof(*p));
}

void
ldg_payment_put(struct ledger *l, const char *reference,
    const struct ldg_payment *p, dec applied, dec excess, int64_t now)
{
	int st = LDGE_PAY_PUT;
	char a[DEC_FMTMAX], b[DEC_FMTMAX], c[DEC_FMTMAX];

	bind_text(l, st, 1, reference);
	bind_text(l, st, 2, p->number);
	bind_dec(l, st, 3, p->amount, a);
	bind_text(l, st, 4, p->currency);
	ldge_bind_int(l->e, st, 5, p->day);
	bind_dec(l, st, 6, applied, b);
	bind_dec(l, st, 7, excess, c);
	ldge_bind_int(l->e, st, 8, now);
	ldge_step(l->e, st, "recording a payment");
	ldge_reset(l->e, st);
}

dec
ldg_paid(struct ledger *l, const char *number)
{
	int st = LDGE_PAY_SUM;

	bind_text(l, st, 1, number);
	return sum_rows(l, st, "summing payments");
}

void
ldg_receivable_put(struct ledger *l, const struct ldg_receivable *r,
    int64_t now)
{
	int st = LDGE_RECV_PUT;
	char a[DEC_FMTMAX], b[DEC_FMTMAX];

	bind_text(l, st, 1, r->number);
	bind_text(l, st, 2, r->entity);
	bind_text(l, st, 3, r->customer);
	bind_text(l, st, 4, r->currency);
	ldge_bind_int(l->e, st, 5, r->due_day);
	bind_dec(l, st, 6, r->amount, a);
	bind_dec(l, st, 7, r->paid, b);
	bind_text(l, st, 8, r->status);
	ldge_bind_int(l->e, st, 9, now);
	ldge_step(l->e, st, "recording a receivable");
	ldge_reset(l->e, st);
}

int
ldg_docs_all(struct ledger *l, int (*cb)(const struct ldg_doc *, void *),
    void *arg)
{
	return docs(l, LDGE_DOC_ALL, cb, arg);
}

int
ldg_postings_all(struct ledger *l, int (*cb)(const char *id,
    const char *number, const char *state, const char *erp_ref,
    int64_t emitted, int64_t updated, void *), void *arg)
{
	int st = LDGE_POST_ALL;
	int n = 0;

	while (ldge_step(l->e, st, "reading postings")) {
		n++;
		if (cb(ldge_col_text(l->e, st, 0),
		    ldge_col_text(l->e, st, 1),
		    ldge_col_text(l->e, st, 2),
		    ldge_col_text(l->e, st, 3),
		    ldge_col_int(l->e, st, 4), ldge_col_int(l->e, st, 5),
		    arg) != 0)
			break;
	}
	ldge_reset(l->e, st);
	return n;
}
