/*
 * test_keys.c: key derivation (common/keys.c), printed as TAP.
 *   test_keys            fixed vectors
 *   test_keys --oracle   read "SOURCE<TAB>ID" lines (hex-encoded bytes),
 *                        print the usage key of each; keys_oracle.py
 *                        compares with Python's hashlib.blake2b
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "util.h"
#include "tap.h"


/* two buffers in turn, so two results can be compared */
static const char *
usage_hex(const char *src, const char *id)
{
	static char bufs[2][KEY_HEXLEN];
	static int turn;
	char *hex = bufs[turn ^= 1];
	unsigned char k[KEY_LEN];

	key_usage(src, strlen(src), id, strlen(id), k);
	key_hex(k, KEY_LEN, hex);
	return hex;
}

static int
oracle(void)
{
	static char line[65536], a[16384], b[16384];
	char *tab;
	unsigned char k[KEY_LEN];
	char hex[KEY_HEXLEN];
	size_t la, lb;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			return 2;
		*tab = '\0';
		la = strlen(line) / 2;
		lb = strlen(tab + 1) / 2;
		if (sodium_hex2bin((unsigned char *)a, sizeof(a), line,
		    strlen(line), NULL, &la, NULL) != 0 ||
		    sodium_hex2bin((unsigned char *)b, sizeof(b), tab + 1,
		    strlen(tab + 1), NULL, &lb, NULL) != 0)
			return 2;
		key_usage(a, la, b, lb, k);
		key_hex(k, KEY_LEN, hex);
		puts(hex);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned char k[KEY_LEN], back[KEY_LEN];
	char hex[KEY_HEXLEN];
	struct keyh h;
	int i;

	key_init();
	if (argc > 1 && strcmp(argv[1], "--oracle") == 0)
		return oracle();

	/* the key of the sample event, as in testdata/ingest/ */
	ok(strcmp(usage_hex("api-gw/us-east-1", "evt-0001"),
	    "c8da64d72c8efa545736837309bb9eed") == 0,
	    "usage key of the sample event is stable");
	/* length prefixes: moving a byte between fields changes the key */
	ok(strcmp(usage_hex("ab", "c"), usage_hex("a", "bc")) != 0,
	    "(ab, c) and (a, bc) differ");
	ok(strcmp(usage_hex("", "abc"), usage_hex("abc", "")) != 0,
	    "(, abc) and (abc, ) differ");
	/* domain separation: the same fields under another domain differ */
	key_start(&h, "invoice");
	key_str(&h, "api-gw/us-east-1");
	key_str(&h, "evt-0001");
	key_end(&h, k);
	key_hex(k, KEY_LEN, hex);
	ok(strcmp(hex, usage_hex("api-gw/us-east-1", "evt-0001")) != 0,
	    "domains separate keys");
	/* deterministic */
	ok(strcmp(usage_hex("s", "1"), usage_hex("s", "1")) == 0,
	    "same input, same key");
	/* hex round trip */
	for (i = 0; i < KEY_LEN; i++)
		k[i] = (unsigned char)(i * 37 + 1);
	key_hex(k, KEY_LEN, hex);
	ok(strlen(hex) == 32 && key_unhex(hex, back, KEY_LEN) == 0 &&
	    memcmp(k, back, KEY_LEN) == 0, "hex round trip");
	ok(key_unhex("zz", back, KEY_LEN) < 0, "bad hex refused");
	ok(key_unhex("00112233445566778899aabbccddeeff00", back, KEY_LEN) < 0,
	    "long hex refused");
	/* key_i64 is little-endian and length-prefixed like a field */
	{
		struct keyh h2;
		unsigned char k2[KEY_LEN],
		    le[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };

		key_start(&h, "t");
		key_i64(&h, 0x0102030405060708LL);
		key_end(&h, k);
		key_start(&h2, "t");
		key_field(&h2, le, 8);
		key_end(&h2, k2);
		ok(memcmp(k, k2, KEY_LEN) == 0, "key_i64 is an 8-byte field");
	}
	/*
	 * The hash deferred (meter-ingest's main thread hashes what its
	 * reader gathered): the same key, for a short key and for one that
	 * outgrows the gathering buffer and streams
	 */
	{
		struct buf in = { 0 };
		unsigned char k2[KEY_LEN];
		char big[3 * KEYH_BUF];

		key_usage("api-gw/us-east-1", 16, "evt-0001", 8, k);
		key_usage_into("api-gw/us-east-1", 16, "evt-0001", 8, &in);
		key_hash(in.p, in.len, k2);
		ok(memcmp(k, k2, KEY_LEN) == 0, "key_usage_into and key_hash "
		    "give key_usage's key");
		memset(big, 'x', sizeof(big));
		key_start(&h, "big");
		key_field(&h, big, sizeof(big));
		key_i64(&h, -1);
		key_end(&h, k);
		in.len = 0;
		key_start_into(&h, "big", &in);
		key_field(&h, big, sizeof(big));
		key_i64(&h, -1);
		key_hash(in.p, in.len, k2);
		ok(memcmp(k, k2, KEY_LEN) == 0 && in.len > KEYH_BUF,
		    "deferred, a streamed key is the same too");
		buf_free(&in);
	}
	/*
	 * key_hex (16 bytes at a time with SSE2, the rest by a table) is
	 * sodium_bin2hex's text: every byte value in every place of the
	 * 16, and lengths that leave 0 to 15 bytes over
	 */
	{
		unsigned char all[272];
		char mine[2 * sizeof(all) + 1], ref[2 * sizeof(all) + 1];
		size_t n, off, bad = 0;

		for (n = 0; n < sizeof(all); n++)
			all[n] = (unsigned char)(n * 7);
		for (off = 0; off < 16; off++)
			for (n = 0; n + off <= sizeof(all); n++) {
				memset(mine, '?', sizeof(mine));
				key_hex(all + off, n, mine);
				sodium_bin2hex(ref, sizeof(ref), all + off, n);
				if (memcmp(mine, ref, 2 * n + 1) != 0)
					bad++;
			}
		ok(bad == 0, "key_hex is sodium_bin2hex's text for 0 to 272 "
		    "bytes, every value in each place of 16");
	}
	return tap_done();
}
