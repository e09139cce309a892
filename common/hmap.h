/*
 * hmap.h: a hash table keyed by byte strings (open addressing, linear
 * probing).  Keys are copied (NULs allowed, a NUL is added after them);
 * values are caller-owned pointers.
 */
#ifndef HMAP_H
#define HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_ent {
	char		*key;
	size_t		 klen;
	uint64_t	 hash;
	void		*val;
};

struct hmap {
	struct hmap_ent	*t;
	size_t		 cap, n;
};

void	 hmap_init(struct hmap *);
void	 hmap_free(struct hmap *);
void	*hmap_getn(const struct hmap *, const char *, size_t);
void	*hmap_get(const struct hmap *, const char *);
/* Insert; returns the previous value (not replaced) or NULL if new. */
void	*hmap_putn(struct hmap *, const char *, size_t, void *);
void	*hmap_put(struct hmap *, const char *, void *);
/* The value slot of a key, inserted with NULL when absent: one probe. */
void	**hmap_ref(struct hmap *, const char *, size_t);
/*
 * The table's own copy of the key of a slot hmap_ref() returned: valid,
 * at the same address, until hmap_free(), so a value can name itself
 * with it instead of a copy of its own.
 */
const char *hmap_slot_key(void **);
/*
 * The table as a set of strings: the one copy of s (the table's own key,
 * added when new), valid until hmap_free(), which alone frees the table;
 * NULL for NULL.  For the names many records share.
 */
const char *hmap_intern(struct hmap *, const char *);
uint64_t hmap_hash(const char *, size_t);

#endif
