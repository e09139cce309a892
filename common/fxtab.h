/*
 * fxtab.h: the FX table (invoice-gen --fx FILE; usage-to-cash(5), "FX
 * TABLE"): a rate a day from one currency to another, the rate a
 * document of a day takes (the latest on or before it), and an amount
 * at that rate in the functional currency.
 *
 *   {"rates":[{"date":"2026-10-31","from":"EUR","to":"USD",
 *     "rate":"1.0852","source":"ECB"}]}
 */
#ifndef FXTAB_H
#define FXTAB_H

#include <stddef.h>
#include <stdint.h>

#include "dec.h"

struct fxrate {
	char		 from[4], to[4];
	int64_t		 day;		/* days since 1970 */
	dec		 rate;
};

struct fxtab {
	const char	*path;
	struct fxrate	*v;
	size_t		 n;
};

/* Load and check; dies (EX_CONFIG) listing the problems. */
void	fxtab_load(struct fxtab *, const char *path);
void	fxtab_free(struct fxtab *);
/* The rate from -> to of the latest day on or before day, or NULL. */
const struct fxrate *fxtab_find(const struct fxtab *, const char *from,
	    const char *to, int64_t day);
/* amount x rate, rounded half-up to minor decimals; 0 or a DEC_E* code. */
int	fxtab_amount(const struct fxrate *, dec amount, int minor, dec *out);

#endif
