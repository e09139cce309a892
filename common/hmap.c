/*
 * hmap.c: FNV-1a hashing, power-of-two table kept under 70% full.
 */
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "util.h"

uint64_t
hmap_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

void
hmap_init(struct hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
hmap_free(struct hmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->t[i].key);
	free(m->t);
	memset(m, 0, sizeof(*m));
}

/* Keys are bytes: one may hold NULs (stages build binary keys). */
static char *
keydup(const char *k, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, k, n);
	p[n] = '\0';
	return p;
}

static struct hmap_ent *
hmap_slot(const struct hmap *m, const char *k, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;;) {
		struct hmap_ent *e = &m->t[i];

		if (e->key == NULL || (e->hash == h && e->klen == n &&
		    memcmp(e->key, k, n) == 0))
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

void *
hmap_getn(const struct hmap *m, const char *k, size_t n)
{
	struct hmap_ent *e;

	if (m->n == 0)
		return NULL;
	e = hmap_slot(m, k, n, hmap_hash(k, n));
	return e->key ? e->val : NULL;
}

void *
hmap_get(const struct hmap *m, const char *k)
{
	return hmap_getn(m, k, strlen(k));
}

static void
hmap_grow(struct hmap *m)
{
	struct hmap_ent *old = m->t, *e;
	size_t oldcap = m->cap, i;

	m->cap = oldcap ? oldcap * 2 : 16;
	m->t = xcalloc(m->cap, sizeof(*m->t));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		e = hmap_slot(m, old[i].key, old[i].klen, old[i].hash);
		*e = old[i];
	}
	free(old);
}

void *
hmap_putn(struct hmap *m, const char *k, size_t n, void *v)
{
	size_t before = m->n;
	void **ref = hmap_ref(m, k, n);

	if (m->n == before)
		return *ref;	/* there already: keep it */
	*ref = v;
	return NULL;
}

void **
hmap_ref(struct hmap *m, const char *k, size_t n)
{
	struct hmap_ent *e;
	uint64_t h;

	if ((m->n + 1) * 10 > m->cap * 7)
		hmap_grow(m);
	h = hmap_hash(k, n);
	e = hmap_slot(m, k, n, h);
	if (e->key == NULL) {
		e->key = keydup(k, n);
		e->klen = n;
		e->hash = h;
		e->val = NULL;
		m->n++;
	}
	return &e->val;
}

const char *
hmap_slot_key(void **ref)
{
	return ((struct hmap_ent *)(void *)((char *)ref -
	    offsetof(struct hmap_ent, val)))->key;
}

const char *
hmap_intern(struct hmap *m, const char *s)
{
	void **ref;

	if (s == NULL)
		return NULL;
	ref = hmap_ref(m, s, strlen(s));
	if (*ref == NULL)
		*ref = (void *)hmap_slot_key(ref);
	return *ref;
}

void *
hmap_put(struct hmap *m, const char *k, void *v)
{
	return hmap_putn(m, k, strlen(k), v);
}
