/*
 * keys.h: deterministic keys and digests, BLAKE2b (libsodium).
 *
 * Every key hashes a domain string first and then length-prefixed fields,
 * so ("ab","c") and ("a","bc") never collide and a usage key can never
 * equal an invoice key.  Keys are 16 bytes, shown as 32 hex digits.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#define KEY_LEN		16
#define KEY_HEXLEN	(2 * KEY_LEN + 1)

struct keyh {
	crypto_generichash_state st;
};

void	key_init(void);		/* sodium_init(); dies on failure */
void	key_start(struct keyh *, const char *domain);
void	key_field(struct keyh *, const void *, size_t);
void	key_str(struct keyh *, const char *);
void	key_i64(struct keyh *, int64_t);
void	key_end(struct keyh *, unsigned char *);
void	key_hex(const unsigned char *, size_t, char *);
int	key_unhex(const char *, unsigned char *, size_t);

/* The idempotency key of a usage event: domain "usage", source, id. */
void	key_usage(const char *, size_t, const char *, size_t,
	    unsigned char *);

/*
 * Lineage: a sum of keys modulo 2^128, each key read as a little-endian
 * 128-bit number, so it is the same for the same keys in any order and
 * a sum of sums is the sum of all (usage-to-cash(5), "lineage").
 */
__extension__ typedef unsigned __int128 lin_t;

static inline lin_t
lin_of(const unsigned char *key)
{
	lin_t v = 0;
	int i;

	for (i = KEY_LEN - 1; i >= 0; i--)
		v = v << 8 | key[i];
	return v;
}

static inline void
lin_bytes(lin_t v, unsigned char *out)
{
	int i;

	for (i = 0; i < KEY_LEN; i++, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

#endif
