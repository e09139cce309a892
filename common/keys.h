/*
 * keys.h: deterministic keys and digests, BLAKE2b (libsodium).
 *
 * Every key hashes a domain string first and then length-prefixed fields,
 * so ("ab","c") and ("a","bc") never collide and a usage key can never
 * equal an invoice key.  Keys are 16 bytes, shown as 32 hex digits.
 */
#ifndef KEYS_H
#define KEYS_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sodium.h>

#define KEY_LEN		16
#define KEY_HEXLEN	(2 * KEY_LEN + 1)

/*
 * The fields of a key are gathered in buf and hashed at once by
 * key_end, a single BLAKE2b call for the short keys that are nearly all
 * of them (meter-aggregate makes one an aggregate, meter-ingest two an
 * event); a longer input streams through st.  The bytes hashed, and so
 * the result, are the same either way.
 */
#define KEYH_BUF	256

struct buf;
struct keyh {
	crypto_generichash_state st;
	size_t		 outlen;
	size_t		 n;		/* bytes in buf */
	int		 streaming;	/* st initialised, buf flushed to it */
	struct buf	*defer;		/* key_start_into: the bytes go there */
	unsigned char	 buf[KEYH_BUF];
};

void	key_init(void);		/* sodium_init(); dies on failure */
/* A hash of outlen bytes (16 for keys, 32 for the audit chain). */
void	key_open(struct keyh *, size_t outlen);
void	key_close(struct keyh *, unsigned char *);
/* key_open(KEY_LEN) and the domain; key_end is key_close */
void	key_start(struct keyh *, const char *domain);
void	key_field(struct keyh *, const void *, size_t);
/* bytes as they are, without a length: for a digest of fixed-size items */
void	key_raw(struct keyh *, const void *, size_t);
void	key_str(struct keyh *, const char *);
void	key_i64(struct keyh *, int64_t);
void	key_end(struct keyh *, unsigned char *);
/*
 * The hash deferred: key_start_into gathers the bytes key_end would hash
 * into a buffer (appended), and key_hash hashes them later, perhaps on
 * another thread (meter-ingest's main thread, while its reader parses):
 * the same bytes, the same key.
 */
void	key_start_into(struct keyh *, const char *domain, struct buf *);
void	key_hash(const void *, size_t, unsigned char *);	/* KEY_LEN */
void	key_hex(const unsigned char *, size_t, char *);
int	key_unhex(const char *, unsigned char *, size_t);

/* The idempotency key of a usage event: domain "usage", source, id. */
void	key_usage(const char *, size_t, const char *, size_t,
	    unsigned char *);
/* Its bytes, for key_hash. */
void	key_usage_into(const char *, size_t, const char *, size_t,
	    struct buf *);

/*
 * Lineage: a sum of keys modulo 2^128, each key read as a little-endian
 * 128-bit number, so it is the same for the same keys in any order and
 * a sum of sums is the sum of all (usage-to-cash(5), "lineage").
 */
__extension__ typedef unsigned __int128 lin_t;

/*
 * By 64-bit halves, little-endian whatever the machine's order
 * (endian.h): one load or store each, where a loop over the 16 bytes of
 * a 128-bit value compiled to 16 shifts and ors (lin_of runs once an
 * event counted, lin_bytes once an aggregate written).
 */
static inline uint64_t
lin_le64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline void
lin_put64(uint64_t v, unsigned char *p)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * A field as key_field hashes it, stored at p: its length (8 bytes,
 * little-endian, one store) and its bytes; returns past them.  For those
 * that gather a key's bytes themselves (key_field's deferred path, the
 * aggregate key in agg.c), then hash them with key_hash.
 */
static inline unsigned char *
key_put_field(unsigned char *p, const void *s, size_t n)
{
	lin_put64(n, p);
	memcpy(p + 8, s, n);
	return p + 8 + n;
}

/* key_i64's field: the length 8, then v, little-endian. */
static inline unsigned char *
key_put_i64(unsigned char *p, int64_t v)
{
	lin_put64(8, p);
	lin_put64((uint64_t)v, p + 8);
	return p + 16;
}

static inline lin_t
lin_of(const unsigned char *key)
{
	return (lin_t)lin_le64(key + 8) << 64 | lin_le64(key);
}

static inline void
lin_bytes(lin_t v, unsigned char *out)
{
	lin_put64((uint64_t)v, out);
	lin_put64((uint64_t)(v >> 64), out + 8);
}

#endif
