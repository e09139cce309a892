/*
 * keyidx.c: the key index of usage records' idempotency keys (see
 * keyidx.h).  For now its entries only: the index itself is in ledger.c.
 */
#include <string.h>

#include "keyidx.h"

/* An entry of a block, see keyidx.h. */
void
kidx_ent_put(unsigned char *p, const struct kidx_ent *e)
{
	uint64_t t = (uint64_t)e->t;
	int i;

	memcpy(p, e->k, LDG_KEYLEN);
	memcpy(p + LDG_KEYLEN, e->d, KIDX_DLEN);
	for (i = 0; i < 8; i++)
		p[LDG_KEYLEN + KIDX_DLEN + i] =
		    (unsigned char)(t >> (56 - 8 * i));
}
