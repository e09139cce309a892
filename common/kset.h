/*
 * kset.h: the set of idempotency keys counted so far, each with its
 * content digest, for meter-aggregate --dedupe: a record whose key was
 * counted is a duplicate (same digest) or a conflict (another digest).
 * An open-addressing table over the keys' first bytes; it only grows.
 *
 * One thread's: --dedupe counts on one worker, so the first record in
 * input order wins.  The lookups are inline, as they run once a record.
 */
#ifndef KSET_H
#define KSET_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "urec.h"

struct kset_ent {
	unsigned char	 key[KEY_LEN], digest[KEY_LEN];
	unsigned char	 used, hasdig;
};

struct kset {
	struct kset_ent	*t;
	size_t		 n, cap;
};

/* Keys are BLAKE2b digests: their first bytes are a good hash. */
static inline struct kset_ent *
kset_slot(const struct kset *s, const unsigned char *key)
{
	uint64_t h;
	size_t i;

	memcpy(&h, key, sizeof(h));
	for (i = h & (s->cap - 1); s->t[i].used &&
	    memcmp(s->t[i].key, key, KEY_LEN) != 0; i = (i + 1) & (s->cap - 1))
		;
	return &s->t[i];
}

static inline const struct kset_ent *
kset_get(const struct kset *s, const unsigned char *key)
{
	struct kset_ent *e;

	if (s->n == 0)
		return NULL;
	e = kset_slot(s, key);
	return e->used ? e : NULL;
}

/*
 * 1: the record repeats one already counted (same key, and the same
 * digest when both have one); 2: another event with the same key, and
 * msg says so; 0: new.
 */
static inline int
kset_seen(const struct kset *s, const struct urec *u, char *msg, size_t n)
{
	const struct kset_ent *e = kset_get(s, u->key);

	if (e == NULL)
		return 0;
	if (!e->hasdig || !u->has_digest ||
	    memcmp(e->digest, u->digest, KEY_LEN) == 0)
		return 1;
	snprintf(msg, n, "an earlier record has the same key with another "
	    "content digest: two different events under one idempotency "
	    "key; the first one is counted");
	return 2;
}

/* Count the record's key (not yet in the set) with its digest. */
void	kset_add(struct kset *, const struct urec *);
void	kset_free(struct kset *);

#endif
