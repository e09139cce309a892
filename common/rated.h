/*
 * rated.h: reading rate(1)'s rated lines (usage-to-cash(5), "the rated
 * line"), for invoice-gen and reconcile.
 */
#ifndef RATED_H
#define RATED_H

#include <stdint.h>
#include <jansson.h>

#include "dec.h"
#include "keys.h"

struct jrec;

/* Strings point into the jrec's tree: copy what must outlive it. */
struct rated {
	unsigned char	 key[KEY_LEN];
	const char	*customer, *contract, *plan, *charge, *line_type;
	const char	*model, *name, *tax_code, *meter, *discount;
	int64_t		 plan_version;
	json_t		*group;
	int64_t		 ps, pe, ss, se;	/* period, service period */
	dec		 quantity, amount;
	char		 currency[4];
	int		 preview;
	int		 has_lineage;
	unsigned char	 lineage[KEY_LEN];
};

/*
 * Check a parsed record is a rated line of a schema we read and pick out
 * its fields.  0, or -1 with the jrec's code, field and msg set:
 * "not_rated" (another kind), "unsupported_schema", "missing_field",
 * "invalid_field", "invalid_time", "invalid_amount".
 */
int	rated_read(struct jrec *, struct rated *);

#endif
