/*
 * test_keyidx.c: the key index (common/keyidx.c) on a real SQLite ledger
 * in a temporary directory, printed as TAP.  Keys claimed in batches with
 * a small --hot-keys are found again: in the hash, in runs after merges
 * and compaction, by a new connection that loads the runs' filters, and
 * by one that has to rebuild them.  A key in a run is never ruled out by
 * its filter (a duplicate would pass), a new key is not found, another
 * digest is a conflict, and keys dropped (a prune) are gone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "keyidx.h"
#include "ldg_engine.h"
#include "ledger.h"
#include "tap.h"

#define NKEYS	1061		/* 21 batches, a merge every other one */
#define BATCH	50
#define HOT	64

/* splitmix64: keys as uniform as the BLAKE2b digests the index expects */
static void
mkkey(uint64_t n, unsigned char k[LDG_KEYLEN])
{
	uint64_t z;
	int i, j;

	for (i = 0; i < 2; i++) {
		z = n * 2 + (uint64_t)i + 0x9e3779b97f4a7c15ULL;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (j = 0; j < 8; j++)
			k[i * 8 + j] = (unsigned char)(z >> (8 * j));
	}
}

/* The content digest of key n; other != 0 gives a different one. */
static void
mkdigest(uint64_t n, int other, unsigned char d[LDG_KEYLEN])
{
	mkkey(n + 1000000 + (uint64_t)other * 1000000, d);
}

/* How many of keys [from, to) kidx_find answers want for (and times). */
static int
count(struct kidx *ix, uint64_t from, uint64_t to, int other, int want)
{
	unsigned char k[LDG_KEYLEN], d[LDG_KEYLEN];
	int64_t t;
	uint64_t n;
	int got = 0;

	for (n = from; n < to; n++) {
		mkkey(n, k);
		mkdigest(n, other, d);
		kidx_prefetch(ix, k);
		t = -1;
		if (kidx_find(ix, k, d, &t) == want &&
		    (want == LDG_NEW || t == (int64_t)n * 1000))
			got++;
	}
	return got;
}

/* The keys of the ledger's one run, or -1 when not in key order. */
static int
sorted_run(const char *path)
{
	unsigned char last[LDG_KEYLEN];
	const unsigned char *p;
	sqlite3_stmt *st;
	sqlite3 *db;
	int i, n, got = 0, bad = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT keys, n FROM ukey_block "
	    "ORDER BY run, lo", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
		exit(2);
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		p = sqlite3_column_blob(st, 0);
		n = sqlite3_column_int(st, 1);
		for (i = 0; i < n; i++, p += KIDX_ENTLEN) {
			if (got > 0 && memcmp(last, p, LDG_KEYLEN) >= 0)
				bad = 1;
			memcpy(last, p, LDG_KEYLEN);
			got++;
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return bad ? -1 : got;
}

static struct ldg_engine *
reopen(const char *path, struct ldg_engine *e, struct kidx **ix)
{
	if (*ix != NULL)
		kidx_free(*ix);
	if (e != NULL)
		e->ops->close(e);
	e = ldg_sqlite_open(path, 1000, 0);
	*ix = kidx_new(e);
	kidx_set_hot(*ix, HOT);
	return e;
}

int
main(void)
{
	static const char *const files[] = { "", "-wal", "-shm" };
	char dir[4096], path[4200], f[4300];
	const char *tmp;
	unsigned char k[LDG_KEYLEN], d[LDG_KEYLEN];
	unsigned char (*drop)[LDG_KEYLEN];
	struct ldg_engine *e;
	struct kidx *ix = NULL;
	sqlite3 *db;
	uint64_t n, b;
	size_t nruns;
	int fresh = 1, i;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/test_keyidx.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/ledger.sqlite", dir);
	e = reopen(path, NULL, &ix);

	/* claimed in batches; each key new when claimed */
	for (b = 0; b < NKEYS; b += BATCH) {
		e->ops->begin(e);
		kidx_sync(ix);
		for (n = b; n < b + BATCH && n < NKEYS; n++) {
			mkkey(n, k);
			mkdigest(n, 0, d);
			if (kidx_find(ix, k, d, NULL) != LDG_NEW)
				fresh = 0;
			kidx_claim(ix, k, d, (int64_t)n * 1000,
			    (int64_t)n + 1);
		}
		kidx_commit(ix, 1);
		e->ops->commit(e, "committing");
	}
	ok(fresh, "every key new when claimed");
	nruns = kidx_nruns(ix);
	ok(nruns > 0 && nruns < NKEYS / BATCH / 2, "merged into %zu runs, "
	    "compacted (%d merges)", nruns, NKEYS / BATCH / 2);

	e->ops->begin(e);
	kidx_sync(ix);
	ok(count(ix, 0, NKEYS, 0, LDG_DUP) == NKEYS,
	    "every key found, in the hash or a run, with its time");
	ok(count(ix, 0, NKEYS, 1, LDG_CONFLICT) == NKEYS,
	    "another digest is a conflict");
	ok(count(ix, NKEYS, 2 * NKEYS, 0, LDG_NEW) == NKEYS,
	    "keys never claimed are new");
	/* the log into a run: every key then goes through a filter */
	kidx_merge(ix);
	nruns = kidx_nruns(ix);
	e->ops->commit(e, "committing");
	e->ops->begin(e);
	kidx_sync(ix);
	ok(count(ix, 0, NKEYS, 0, LDG_DUP) == NKEYS,
	    "every key found in the runs: no filter ruled one out");
	e->ops->commit(e, "committing");

	/* another connection: runs and their saved filters from the file */
	e = reopen(path, e, &ix);
	e->ops->begin(e);
	kidx_sync(ix);
	ok(kidx_nruns(ix) == nruns, "a new connection loads the %zu runs",
	    nruns);
	ok(count(ix, 0, NKEYS, 0, LDG_DUP) == NKEYS,
	    "a new connection finds every key with the saved filters");
	e->ops->commit(e, "committing");

	/* filters lost: rebuilt from the runs' blocks */
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "DELETE FROM ukey_run", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
		return 2;
	}
	sqlite3_close(db);
	e = reopen(path, e, &ix);
	e->ops->begin(e);
	kidx_sync(ix);
	ok(count(ix, 0, NKEYS, 0, LDG_DUP) == NKEYS,
	    "filters deleted: rebuilt, every key found");
	ok(count(ix, NKEYS, 2 * NKEYS, 0, LDG_NEW) == NKEYS,
	    "and keys never claimed still new");

	/* a prune: the first 100 keys dropped from every run */
	drop = calloc(100, sizeof(*drop));
	for (n = 0; n < 100; n++)
		mkkey(99 - n, drop[n]);		/* in any order */
	kidx_drop(ix, drop, 100);
	free(drop);
	ok(kidx_nruns(ix) == 1, "a drop merges the runs into one");
	ok(count(ix, 0, 100, 0, LDG_NEW) == 100, "dropped keys are gone");
	ok(count(ix, 100, NKEYS, 0, LDG_DUP) == NKEYS - 100,
	    "the other keys stay");
	kidx_reload(ix);
	e->ops->commit(e, "committing");
	e->ops->begin(e);
	kidx_sync(ix);
	ok(count(ix, 0, 100, 0, LDG_NEW) == 100 &&
	    count(ix, 100, NKEYS, 0, LDG_DUP) == NKEYS - 100,
	    "the same after kidx_reload, as a prune does");
	e->ops->commit(e, "committing");

	/*
	 * The hash's slots run in key order (hot_index), so a merge packs
	 * them nearly sorted; keys of the table's last slot wrap to its
	 * first ones, before keys whose home is there: a run of them all
	 * must still come out whole and in key order.
	 */
	kidx_free(ix);
	e->ops->close(e);
	for (i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", path, files[i]);
		unlink(f);
	}
	ix = NULL;
	e = reopen(path, NULL, &ix);
	e->ops->begin(e);
	kidx_sync(ix);
	for (n = 0; n < 40; n++) {
		mkkey(n, k);
		if (n < 6)		/* home: the last slot */
			memset(k, 0xff, 8);
		else if (n < 10)	/* home: the first */
			memset(k, 0, 8);
		mkdigest(n, 0, d);
		kidx_claim(ix, k, d, (int64_t)n * 1000, (int64_t)n + 1);
	}
	kidx_merge(ix);
	e->ops->commit(e, "committing");
	ok(sorted_run(path) == 40, "keys that wrapped past the hash's end: "
	    "the run holds all 40, in key order");

	kidx_free(ix);
	e->ops->close(e);
	for (i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", path, files[i]);
		unlink(f);
	}
	if (rmdir(dir) != 0)
		perror(dir);
	return tap_done();
}
