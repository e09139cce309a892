/*
 * pack.h: the ledger's compact, typed form of an event's data object, so
 * month-end work reads usage records without parsing JSON again.
 *
 * A value is one tag byte and a body:
 *   'o' count, then count x (keylen, key bytes, value)   keys sorted bytewise
 *   'a' count, then count values
 *   's' len, bytes        a string
 *   'n' len, bytes        a number, as its exact normalized decimal text
 *   't' 'f' 'z'           true, false, null
 * Counts and lengths are unsigned LEB128 varints.  Packing is canonical:
 * equal data packs to equal bytes, and pk_json() writes exactly the JSON
 * that jw_json() writes for the parsed tree.
 */
#ifndef PACK_H
#define PACK_H

#include <stddef.h>
#include <jansson.h>

#include "util.h"
#include "jw.h"

struct jrec;

/* Append the packed form of v (numbers from r) to b. */
void	pk_pack(struct buf *, json_t *, const struct jrec *);
/*
 * The same, and the canonical JSON of v (jw_json()'s bytes) appended to
 * json, in one walk.
 */
void	pk_pack_json(struct buf *, struct buf *json, json_t *,
	    const struct jrec *);
/* Write packed bytes as canonical JSON; -1 if they are malformed. */
int	pk_json(struct jw *, const unsigned char *, size_t);

/* A value found by pk_get(). */
struct pk_val {
	int			 tag;	/* 'o' 'a' 's' 'n' 't' 'f' 'z' */
	const unsigned char	*p;	/* string or number text; or body */
	size_t			 len;	/* its length, or the item count */
	const unsigned char	*end;	/* end of this value's encoding */
};

/*
 * Look up a dotted path ("usage.tokens") through nested objects.  Returns
 * 1 when found, 0 when absent, -1 when the bytes are malformed.
 */
int	pk_get(const unsigned char *, size_t, const char *, struct pk_val *);

#endif
