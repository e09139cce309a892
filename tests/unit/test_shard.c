/*
 * test_shard.c: TAP tests of shard.c.  The hash's values are pinned:
 * FNV-1a 64's published vectors ("", "a", "foobar") and customer ids
 * with the shards they fall in, so that a change of the function, which
 * would move customers between shards, cannot pass silently.  Then
 * --shard K/N's parsing, what it takes and what it refuses.
 */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "shard.h"
#include "tap.h"

static const struct {
	const char	*id;
	uint64_t	 h;
	uint32_t	 of3, of7;
} pinned[] = {
	{ "", 0xcbf29ce484222325ULL, 3, 3 },
	{ "a", 0xaf63dc4c8601ec8cULL, 2, 6 },
	{ "foobar", 0x85944171f73967e8ULL, 1, 7 },
	{ "acme", 0x0724d383f4f6de0fULL, 3, 4 },
	{ "cus_0001", 0xd1159b2bbea58844ULL, 1, 1 },
	{ "c\xc3\xa9", 0xf496ae190bcadd9eULL, 1, 1 },
};

static void
parse_ok(const char *s, uint32_t k, uint32_t n)
{
	struct shard sh = { 0, 0 };
	const char *why = NULL;

	ok(shard_parse(s, &sh, &why) == 0 && sh.k == k && sh.n == n,
	    "'%s' is shard %" PRIu32 " of %" PRIu32, s, k, n);
}

static void
parse_bad(const char *s, const char *want)
{
	struct shard sh = { 0, 0 };
	const char *why = "";

	ok(shard_parse(s, &sh, &why) < 0 && sh.n == 0 &&
	    strstr(why, want) != NULL, "'%s' refused: %s", s, why);
}

int
main(void)
{
	struct shard sh;
	size_t i;
	uint32_t k, n;
	char id[32];
	int hits;

	for (i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		size_t len = strlen(pinned[i].id);

		ok(shard_hash(pinned[i].id, len) == pinned[i].h,
		    "FNV-1a 64 of '%s' is %016" PRIx64, pinned[i].id,
		    pinned[i].h);
		ok(shard_of(pinned[i].id, len, 1) == 1 &&
		    shard_of(pinned[i].id, len, 3) == pinned[i].of3 &&
		    shard_of(pinned[i].id, len, 7) == pinned[i].of7,
		    "'%s': shard 1 of 1, %" PRIu32 " of 3, %" PRIu32 " of 7",
		    pinned[i].id, pinned[i].of3, pinned[i].of7);
	}
	/* the bytes as given: a length shorter than the string counts */
	ok(shard_hash("foobarbaz", 6) == 0x85944171f73967e8ULL,
	    "the hash reads len bytes, not up to a NUL");

	/* every customer is in exactly one shard of N */
	for (n = 1; n <= 9; n++) {
		int all = 1;

		for (i = 0; i < 200; i++) {
			snprintf(id, sizeof(id), "cus_%04zu", i);
			hits = 0;
			for (k = 1; k <= n; k++) {
				sh.k = k;
				sh.n = n;
				hits += shard_mine(&sh, id, strlen(id));
			}
			all &= hits == 1;
		}
		ok(all, "200 customers each in exactly one of %" PRIu32
		    " shards", n);
	}
	sh.k = sh.n = 0;
	ok(shard_mine(&sh, "x", 1), "without --shard every customer is taken");

	parse_ok("1/1", 1, 1);
	parse_ok("2/3", 2, 3);
	parse_ok("7/7", 7, 7);
	parse_ok("1024/1024", 1024, 1024);
	parse_ok("01/03", 1, 3);
	parse_bad("0/3", "K is the shard this run takes: from 1 to N");
	parse_bad("4/3", "K is the shard this run takes: from 1 to N");
	parse_bad("1/0", "N is the number of shards: at least 1");
	parse_bad("1/1025", "N is the number of shards: at most 1024");
	parse_bad("1/99999999999", "expected K/N");
	parse_bad("", "expected K/N");
	parse_bad("3", "expected K/N");
	parse_bad("a/3", "expected K/N");
	parse_bad("1/3x", "expected K/N");
	parse_bad("-1/3", "expected K/N");
	parse_bad("1 /3", "expected K/N");
	parse_bad("1/+3", "expected K/N");
	return tap_done();
}
