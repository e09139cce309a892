/*
 * price.h: the arithmetic of the charge models rate(1) applies, exact and
 * unrounded: a line's amount is rounded once, to the currency's minor
 * unit, by price_round().  Property names follow Stripe's.
 *
 * Tiers: up_to is inclusive and the last tier is open (up_to null), as
 * Stripe and Lago define them; tier i holds the quantities q with
 * up_to[i-1] < q <= up_to[i], and the first tier also holds 0, so its
 * flat_amount is charged even at zero usage (Lago).  Quantities may be
 * decimal: with tiers up to 10 and beyond, 10.5 units put 0.5 in the
 * second tier.
 *
 *   graduated	each unit at the price of the tier it falls in, plus the
 *		flat_amount of every tier reached
 *   volume	every unit at the price of the tier the total falls in,
 *		plus that tier's flat_amount
 *   package	ceil or floor(q / package_size) packages at amount each
 *
 * Blocks (Kill Bill's tiered blocks): a tier with a block_size prices
 * blocks, not units: its units u cost ceil(u / block_size) x unit_amount,
 * a partial block charged whole; graduated counts the blocks of the units
 * each tier holds, volume those of the whole quantity.
 *
 * Tiered models refuse a negative quantity (PRICE_ENEG); unit pricing
 * takes it (a correction gives a credit).
 */
#ifndef PRICE_H
#define PRICE_H

#include <stddef.h>

#include "dec.h"

#define PRICE_MAXTIERS	64

/* dec.h's DEC_* errors, and: */
enum {
	PRICE_ENEG = 100,	/* a tiered model got a negative quantity */
	PRICE_ETIERS,		/* tiers not ascending or not ending open */
	PRICE_ETX		/* per transaction: an aggregate of many */
};

struct tier {
	int	 open;		/* up_to is null: the last tier */
	dec	 up_to;
	dec	 unit_amount;	/* 0 when absent */
	dec	 flat_amount;	/* 0 when absent */
	dec	 block_size;	/* 0 when absent: priced per unit */
};

/* What a tier contributed, for the line's breakdown. */
struct price_step {
	int	 tier;		/* index */
	dec	 units;
	dec	 blocks;	/* ceil(units / block_size), or units */
	dec	 amount;	/* blocks x unit_amount + flat_amount */
};

const char	*price_strerror(int);
/* 0 when the tiers are usable, else PRICE_ETIERS with *why set. */
int	 price_check_tiers(const struct tier *, size_t, const char **why);
int	 price_unit(dec qty, dec unit_amount, dec *amount);
int	 price_graduated(const struct tier *, size_t, dec qty,
	    struct price_step *, size_t *nsteps, dec *amount);
int	 price_volume(const struct tier *, size_t, dec qty,
	    struct price_step *, size_t *nsteps, dec *amount);
int	 price_package(dec qty, dec size, dec per_package, int round_up,
	    dec *packages, dec *amount);
/*
 * percentage: a fee on one transaction of the given amount, rate in
 * percent (Lago's convention: "2.5" is 2.5 %), plus a fixed fee, then
 * held between min and max when they are given (NULL: no bound).
 */
int	 price_percentage(dec amount, dec rate, dec fixed, const dec *min,
	    const dec *max, dec *fee);

/*
 * A percentage charge's line as lago-api's percentage charge model
 * prices it, with its free units.  The transactions come in Lago's
 * order, its events' by time (the caller's to sort): each entry is one
 * transaction (events 1), an aggregate of several when nothing is
 * priced per transaction, or a level without events (events 0), which
 * is no transaction: its amount is taken at the rate and nothing else.
 *
 * Without bounds (Lago's total model): the rate on the total less the
 * free amount, plus fixed_amount per transaction not free; nothing at
 * all when the total is 0.  The free amount and free count come from
 * Lago's running total: with free_events, the sums of the first
 * free_events transactions; else, with free_total, the sums up to and
 * including the first above free_total.  Free amount: the last sum,
 * held at free_total when that is set; free count: the smaller of
 * free_events and the sums below free_total, a 0 among them read as
 * "not set" (so with both set and the first transaction above
 * free_total, free_events transactions pay no fixed fee; Lago's rule).
 *
 * With a min or max (Lago's per-transaction walk): a transaction is
 * free while free events or a free amount remain; it uses up the free
 * amount, and one that reaches it (equal or above) pays the rate on its
 * part above and the fixed fee, held between the bounds, and ends every
 * free unit.  Free transactions pay no minimum.
 */
struct price_tx {
	dec		 amount;
	int64_t		 events;
};

struct price_pct {
	dec		 rate, fixed;
	const dec	*min, *max;	/* NULL: no bound */
	int64_t		 free_events;	/* 0: none */
	dec		 free_total;	/* 0: none */
};

struct price_pct_out {
	dec		 amount;	/* unrounded */
	int64_t		 transactions;	/* the events */
	dec		 base;		/* the transactions' amounts */
	int64_t		 free_tx;	/* transactions without a fee */
	dec		 free_amount;	/* of base, not at the rate */
	int64_t		 clamped;	/* fees held at min or max */
};

/* 0, a dec.h error, or PRICE_ETX */
int	 price_pct_line(const struct price_pct *, const struct price_tx *,
	    size_t n, struct price_pct_out *);
/* A minimum commitment's true-up: max(minimum - amount, 0). */
int	 price_trueup(dec amount, dec minimum, dec *trueup);
/*
 * A discount off an amount: percent of it, or a fixed value; never more
 * than the amount (a discount does not make a charge a credit), nor than
 * cap when given.  0 off an amount of 0 or less.
 */
int	 price_discount(dec amount, int percent, dec value, const dec *cap,
	    dec *discount);
/* The quantity after free units: max(qty - free, 0). */
int	 price_free(dec qty, dec free_units, dec *billable);
/* A line's amount in minor units of a currency with that many decimals. */
int	 price_round(dec amount, int minor_units, enum dec_round, dec *out);

#endif
