/*
 * keys.c: length-prefixed BLAKE2b-128 hashing.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "keys.h"
#include "util.h"

void
key_init(void)
{
	if (sodium_init() < 0)
		die(EX_SOFTWARE, "cannot initialise libsodium");
}

/* n bytes into the key: gathered, or streamed once they outgrow buf */
void
key_raw(struct keyh *h, const void *p, size_t n)
{
	if (h->defer != NULL) {
		buf_add(h->defer, p, n);
		return;
	}
	if (h->n + n <= sizeof(h->buf)) {
		memcpy(h->buf + h->n, p, n);
		h->n += n;
		return;
	}
	if (!h->streaming) {
		crypto_generichash_init(&h->st, NULL, 0, h->outlen);
		h->streaming = 1;
	}
	crypto_generichash_update(&h->st, h->buf, h->n);
	h->n = 0;
	if (n >= sizeof(h->buf))
		crypto_generichash_update(&h->st, p, n);
	else {
		memcpy(h->buf, p, n);
		h->n = n;
	}
}

void
key_field(struct keyh *h, const void *p, size_t n)
{
	unsigned char len[8];
	struct buf *d = h->defer;

	if (d != NULL) {
		/*
		 * Gathered (meter-ingest's reader, eight fields an event):
		 * the length and the bytes at once, not a buf_add each.
		 */
		buf_room(d, 8 + n);
		key_put_field((unsigned char *)d->p + d->len, p, n);
		d->len += 8 + n;
		return;
	}
	lin_put64(n, len);
	key_raw(h, len, sizeof(len));
	key_raw(h, p, n);
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

	lin_put64((uint64_t)v, b);
	key_field(h, b, sizeof(b));
}

void
key_open(struct keyh *h, size_t outlen)
{
	h->outlen = outlen;
	h->n = 0;
	h->streaming = 0;
	h->defer = NULL;
}

void
key_close(struct keyh *h, unsigned char *out)
{
	if (!h->streaming) {
		crypto_generichash(out, h->outlen, h->buf, h->n, NULL, 0);
		return;
	}
	crypto_generichash_update(&h->st, h->buf, h->n);
	crypto_generichash_final(&h->st, out, h->outlen);
}

void
key_start(struct keyh *h, const char *domain)
{
	key_open(h, KEY_LEN);
	key_str(h, domain);
}

void
key_end(struct keyh *h, unsigned char *out)
{
	key_close(h, out);
}

void
key_start_into(struct keyh *h, const char *domain, struct buf *into)
{
	key_open(h, KEY_LEN);
	h->defer = into;
	key_str(h, domain);
}

void
key_hash(const void *p, size_t n, unsigned char *out)
{
	crypto_generichash(out, KEY_LEN, p, n, NULL, 0);
}

/*
 * Keys are not secrets: no need for sodium_bin2hex's constant time, and
 * meter-aggregate writes two 16-byte keys an aggregate (millions by the
 * hour).  With SSE2 (every x86-64) 16 bytes at a time: the two nibbles
 * of each byte split, interleaved, and '0' added to each digit and
 * 'a' - '0' - 10 more to those past 9, a fifth of the instructions of
 * a table of digit pairs; elsewhere, and for the bytes left over, the
 * table.
 */
#ifdef __SSE2__
static void
hex16(const unsigned char *k, char *out)
{
	const __m128i m = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9);
	const __m128i zero = _mm_set1_epi8('0');
	const __m128i af = _mm_set1_epi8('a' - '0' - 10);
	__m128i x, hi, lo, a, b;

	x = _mm_loadu_si128((const __m128i *)(const void *)k);
	hi = _mm_and_si128(_mm_srli_epi16(x, 4), m);
	lo = _mm_and_si128(x, m);
	a = _mm_unpacklo_epi8(hi, lo);	/* bytes 0-7: digit pairs */
	b = _mm_unpackhi_epi8(hi, lo);	/* 8-15 */
	a = _mm_add_epi8(_mm_add_epi8(a, zero),
	    _mm_and_si128(_mm_cmpgt_epi8(a, nine), af));
	b = _mm_add_epi8(_mm_add_epi8(b, zero),
	    _mm_and_si128(_mm_cmpgt_epi8(b, nine), af));
	_mm_storeu_si128((__m128i *)(void *)out, a);
	_mm_storeu_si128((__m128i *)(void *)(out + 16), b);
}
#endif

void
key_hex(const unsigned char *k, size_t n, char *out)
{
	static const char pairs[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
	size_t i = 0;

#ifdef __SSE2__
	for (; i + 16 <= n; i += 16, out += 32)
		hex16(k + i, out);
#endif
	for (; i < n; i++, out += 2)
		memcpy(out, pairs + 2 * k[i], 2);
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

void
key_usage_into(const char *source, size_t slen, const char *id, size_t ilen,
    struct buf *into)
{
	struct keyh h;

	key_start_into(&h, "usage", into);
	key_field(&h, source, slen);
	key_field(&h, id, ilen);
}
