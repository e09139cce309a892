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

#endif
