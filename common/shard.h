/*
 * shard.h: --shard K/N, the month-end split by customer.
 *
 * N hosts or N cron jobs each run a stage with --shard K/N (K from 1 to
 * N) and each takes the customers whose id hashes to K: the union of
 * the N runs is the single run.  The hash is FNV-1a 64 over the bytes of
 * the customer id as the ledger keeps it (no terminating NUL, no case
 * folding or normalisation), and a customer is shard K's when
 * hash mod N = K - 1.  It must never change: a change would move
 * customers between shards in the middle of a month, and a shard's
 * re-run would leave work to no one.  tests/unit/test_shard.c pins its
 * values.  Documented in usage-to-cash(7).
 */
#ifndef SHARD_H
#define SHARD_H

#include <stddef.h>
#include <stdint.h>

#define SHARD_MAX	1024	/* the largest N: more hosts than customers */

/* n == 0: no --shard given, every customer. */
struct shard {
	uint32_t	 k, n;
};

/*
 * "K/N", decimal, 1 <= K <= N <= SHARD_MAX: 0, or -1 with *why saying
 * what is wrong (a static string).
 */
int		 shard_parse(const char *s, struct shard *, const char **why);
/* FNV-1a 64 of the id's bytes. */
uint64_t	 shard_hash(const char *id, size_t len);
/* 1..N: the shard a customer id belongs to among n. */
uint32_t	 shard_of(const char *id, size_t len, uint32_t n);
/* Whether the customer is the shard's: always 1 without --shard. */
int		 shard_mine(const struct shard *, const char *id, size_t len);

#endif
