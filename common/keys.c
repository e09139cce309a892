/*
 * keys.c: length-prefixed BLAKE2b-128 hashing.
 */
#include <string.h>

#include "keys.h"
#include "util.h"

void
key_init(void)
{
	if (sodium_init() < 0)
		die(EX_SOFTWARE, "cannot initialise libsodium");
}

void
key_field(struct keyh *h, const void *p, size_t n)
{
	unsigned char len[8];
	uint64_t v = n;
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		len[i] = v & 0xff;
	crypto_generichash_update(&h->st, len, sizeof(len));
	crypto_generichash_update(&h->st, p, n);
}

void
key_str(struct keyh *h, const char *s)
{
	key_field(h, s, strlen(s));
}

void
key_i64(struct keyh *h, int64_t v)
{
	unsigned char b[8];
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 0; i < 8; i++, u >>= 8)
		b[i] = u & 0xff;
	key_field(h, b, sizeof(b));
}

void
key_start(struct keyh *h, const char *domain)
{
	crypto_generichash_init(&h->st, NULL, 0, KEY_LEN);
	key_str(h, domain);
}

void
key_end(struct keyh *h, unsigned char *out)
{
	crypto_generichash_final(&h->st, out, KEY_LEN);
}

/* Keys are not secrets: a table beats sodium_bin2hex's constant time. */
void
key_hex(const unsigned char *k, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		*out++ = hex[k[i] >> 4];
		*out++ = hex[k[i] & 15];
	}
	*out = '\0';
}

int
key_unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t got;

	if (strlen(hex) != 2 * n || sodium_hex2bin(out, n, hex, 2 * n, NULL,
	    &got, NULL) != 0 || got != n)
		return -1;
	return 0;
}

void
key_usage(const char *source, size_t slen, const char *id, size_t ilen,
    unsigned char *out)
{
	struct keyh h;

	key_start(&h, "usage");
	key_field(&h, source, slen);
	key_field(&h, id, ilen);
	key_end(&h, out);
}
