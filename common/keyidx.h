/*
 * keyidx.h: the key index of usage records' idempotency keys (internal:
 * ledger.c and the engines include it, no stage does).
 *
 * For now its entries only: the index itself is in ledger.c.
 */
#ifndef KEYIDX_H
#define KEYIDX_H

#include <stdint.h>

#include "ledger.h"

/*
 * A key of the index: the key, the first KIDX_DLEN bytes of the content
 * digest (a false match needs a 2^-64 accident) and the event time, as an
 * entry of a block holds them (kidx_ent_put) and as the in-memory hash of
 * the keys in ukey_batch keeps them, 32 bytes a slot: open addressing on
 * the key's first bytes (already uniform), an all-zero key an empty slot.
 */
#define KIDX_DLEN	8
struct kidx_ent {
	unsigned char	k[LDG_KEYLEN], d[KIDX_DLEN];
	int64_t		t;
};

#define KIDX_ENTLEN	(LDG_KEYLEN + KIDX_DLEN + 8)	/* a block entry */

void	kidx_ent_put(unsigned char *, const struct kidx_ent *);

#endif
