/*
 * taxtab.h: the tax table (usage-to-cash(5), "tax table"): for each
 * seller entity, the rate of a customer's country (and region) and of a
 * product tax code, exclusive or inclusive, with its rounding, and
 * whether B2B customers abroad with a tax id are reverse-charged.
 *
 *   {"rules":[{"entity":"acme-eu","country":"DE","rate":"19",
 *     "category":"S","name":"USt 19 %"},
 *    {"entity":"acme-eu","country":"FR","rate":"20","reverse_charge":true}]}
 */
#ifndef TAXTAB_H
#define TAXTAB_H

#include <stddef.h>

#include "dec.h"

/*
 * EN 16931 VAT category codes (UNCL5305): S standard, Z zero rated,
 * E exempt, AE reverse charge, K intra-community, G export, O outside
 * the scope of tax, L and M (Canary Islands, Ceuta and Melilla).
 */
struct taxrule {
	size_t		 idx;
	char		*entity, *country, *region, *tax_code;
	dec		 rate;		/* percent */
	char		 category[3];
	char		*name, *note;
	enum dec_round	 rounding;
	int		 inclusive;	/* prices include the tax */
	int		 reverse;	/* reverse charge for B2B abroad */
	char		*exempt_note, *reverse_note;
};

struct taxtab {
	const char	*path;
	struct taxrule	*v;
	size_t		 n;
};

void	taxtab_load(struct taxtab *, const char *path);
void	taxtab_free(struct taxtab *);
/*
 * The rule for a line: the entity's rules whose country is the
 * customer's or "*", whose region (if any) is the customer's and whose
 * tax_code (if any) is the line's; the most specific wins (country, then
 * region, then tax code).  NULL when none applies.
 */
const struct taxrule *tax_find(const struct taxtab *, const char *entity,
	    const char *country, const char *region, const char *tax_code);

#endif
