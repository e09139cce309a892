/*
 * shard.c: --shard K/N (shard.h): parsing it, and which customers it
 * takes.
 */
#include <string.h>

#include "shard.h"
#include "util.h"

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

/* A decimal number of at most 9 digits at *p, which is moved past it. */
static int
num(const char **p, uint32_t *v)
{
	const char *s = *p;
	uint32_t n = 0;
	int d = 0;

	while (u_isdigit(*s) && d < 10) {
		n = n * 10 + (uint32_t)(*s++ - '0');
		d++;
	}
	if (d == 0 || d == 10)
		return -1;
	*v = n;
	*p = s;
	return 0;
}

int
shard_parse(const char *s, struct shard *sh, const char **why)
{
	uint32_t k, n;

	if (num(&s, &k) < 0 || *s++ != '/' || num(&s, &n) < 0 || *s != '\0')
		return fail_why(why, "expected K/N, two decimal numbers "
		    "like 2/8: this run takes shard K of N");
	if (n == 0)
		return fail_why(why, "N is the number of shards: at least 1");
	if (n > SHARD_MAX)
		return fail_why(why, "N is the number of shards: at most "
		    "1024");
	if (k == 0 || k > n)
		return fail_why(why, "K is the shard this run takes: from 1 "
		    "to N");
	sh->k = k;
	sh->n = n;
	return 0;
}

uint64_t
shard_hash(const char *id, size_t len)
{
	const unsigned char *p = (const unsigned char *)id;
	uint64_t h = FNV_OFFSET;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint32_t
shard_of(const char *id, size_t len, uint32_t n)
{
	return (uint32_t)(shard_hash(id, len) % n) + 1;
}

int
shard_mine(const struct shard *sh, const char *id, size_t len)
{
	return sh->n == 0 || shard_of(id, len, sh->n) == sh->k;
}
