/*
 * kset.c: adding to the key set of --dedupe (see kset.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kset.h"
#include "util.h"

void
kset_add(struct kset *s, const struct urec *u)
{
	struct kset_ent *old = s->t, *e;
	size_t oldcap = s->cap, i;

	if ((s->n + 1) * 4 > s->cap * 3) {
		s->cap = oldcap ? 2 * oldcap : 4096;
		s->t = xcalloc(s->cap, sizeof(*s->t));
		for (i = 0; i < oldcap; i++)
			if (old[i].used)
				*kset_slot(s, old[i].key) = old[i];
		free(old);
	}
	e = kset_slot(s, u->key);
	memcpy(e->key, u->key, KEY_LEN);
	memcpy(e->digest, u->digest, KEY_LEN);
	e->hasdig = (unsigned char)u->has_digest;
	e->used = 1;
	s->n++;
}

void
kset_free(struct kset *s)
{
	free(s->t);
	memset(s, 0, sizeof(*s));
}
