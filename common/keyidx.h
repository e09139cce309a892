/*
 * keyidx.h: the key index, which finds an event's idempotency key among
 * every key the ledger holds (internal: ledger.c and the engines include
 * it, no stage does).  It owns the keys and nothing else: the usage
 * records and their sequence are ledger.c's, the tables and the SQL the
 * engine's (ldg_engine.h), over whose statements it reads and writes.
 *
 * PERF-NOTES.md measured that a B-tree of random 16-byte keys gets ten
 * to forty times slower to insert into as it grows, because each batch
 * dirties pages all over the tree and every dirty page goes to the WAL.
 * Idempotency keys are random digests of (source, id) and must be found
 * whatever the event's time, so locality cannot come from the key.  It
 * comes from a small LSM instead.  A new key is added to an in-memory
 * hash of the key log's keys, which answers lookups of recent keys
 * without touching SQLite, and at commit the batch's new keys are
 * appended to the log, ukey_batch, a row of up to KIDX_LOG_KEYS (a rowid
 * table in acceptance order: writes land on the last page).  When the
 * log holds LDG_HOT_KEYS keys, it is written, sorted, as a new run of
 * ukey_block (see "the cold index" in keyidx.c: runs, their Bloom
 * filters, compaction); meta's key_gen then tells every process to
 * reload its hash and its runs.  A claim is a hash probe, a filter check
 * per run (and a block read in the rare run the filter does not rule
 * out) and an append.  Under the write lock, a process first reads the
 * log blocks other processes appended since its last batch, so its hash
 * is complete when it claims.
 */
#ifndef KEYIDX_H
#define KEYIDX_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"

struct ldg_engine;

/*
 * A key of the index: the key, the first KIDX_DLEN bytes of the content
 * digest (a false match needs a 2^-64 accident) and the event time, as an
 * entry of a block holds them (kidx_ent_put) and as the in-memory hash of
 * the keys in ukey_batch keeps them, 32 bytes a slot: open addressing on
 * the key's first bytes (already uniform), an all-zero key an empty slot.
 */
#define KIDX_DLEN	8
struct kidx_ent {
	unsigned char	k[LDG_KEYLEN], d[KIDX_DLEN];
	int64_t		t;
};

#define KIDX_ENTLEN	(LDG_KEYLEN + KIDX_DLEN + 8)	/* a block entry */

void	kidx_ent_put(unsigned char *, const struct kidx_ent *);

/* The index as one connection to the ledger (its engine) sees it. */
struct kidx;

struct kidx	*kidx_new(struct ldg_engine *);
void		 kidx_free(struct kidx *);
/* The log's size that makes a run: n, or LDG_HOT_KEYS when n <= 0. */
void		 kidx_set_hot(struct kidx *, int64_t n);
/*
 * Under the write lock, before the first claim of a transaction: read
 * what other processes appended to the log, and reload the hash and the
 * runs when one merged or pruned them since.
 */
void		 kidx_sync(struct kidx *);
/* A hint: the cache lines kidx_find will need for key, fetched now. */
void		 kidx_prefetch(const struct kidx *, const unsigned char *key);
/*
 * LDG_NEW when key is not in the index; LDG_DUP when it is with the same
 * digest, LDG_CONFLICT with another, and *orig_t is its event's time.
 */
int		 kidx_find(struct kidx *, const unsigned char *key,
		    const unsigned char *digest, int64_t *orig_t);
/* Add a key kidx_find did not find, the record's sequence number seq. */
void		 kidx_claim(struct kidx *, const unsigned char *key,
		    const unsigned char *digest, int64_t t, int64_t seq);
/*
 * Before the engine's commit: log the transaction's claims and, when
 * kidx_sync ran in it (synced) and the log is full, merge it.
 */
void		 kidx_commit(struct kidx *, int synced);
/*
 * After the engine's rollback: the transaction's claims are not logged
 * (the hash still holds them: a ledger rolls back only as it closes).
 */
void		 kidx_rollback(struct kidx *);
/*
 * Under the write lock, after kidx_sync: the log written as a new run,
 * then the runs compacted.
 */
void		 kidx_merge(struct kidx *);
size_t		 kidx_nruns(const struct kidx *);
/* Merge every run into one without the keys drop[0..n), in any order. */
void		 kidx_drop(struct kidx *, unsigned char (*drop)[LDG_KEYLEN],
		    size_t n);
/*
 * Keys were deleted under the index (a prune): every process, this one
 * included, reloads its hash and its runs at its next kidx_sync.
 */
void		 kidx_reload(struct kidx *);

#endif
