/*
 * prorate.h: prorated charges (Lago's "prorated": true on a charge of a
 * recurring meter), both halves: what meter-aggregate records of a
 * period for them, and how rate(1) prices it.
 *
 * A level carried across periods (a gauge's, or the number of active
 * values of a recurring unique_count) changes on some days.  Lago counts
 * each change for the days of the period left, the day of the change
 * included (its event store's duration_ratio_sql: DATE(to) - DATE(event)
 * + 1, in the customer's zone), over the days of the period; the level
 * carried in from earlier periods counts for the whole period.  A
 * removed unique value counts its removal day too, so its step starts
 * the day after (0 days left when it falls on the last).  So a period
 * of D days is recorded as its steps, (units, days) each: the carried
 * level with D days, then each day's net change with its days left.  At
 * most D + 1 steps, whatever the number of events.
 *
 *   prorated quantity	sum(units x days) / D, rounded up to 5 decimals
 *			(Lago's ProratedAggregations::SumService:
 *			compute_event_aggregation.ceil(5))
 *   full quantity	sum(units): the level at the end
 *
 * Pricing (Lago's charge models for a prorated charge):
 *
 *   unit (standard)	prorated quantity x unit_amount
 *   volume		the tier is the full quantity's, its unit_amount
 *			prices the prorated quantity; plus its flat_amount
 *   graduated		Lago's ProratedGraduatedService: the full units
 *			fill the tiers step by step, each step's units
 *			priced in the tier they land in at their share
 *			(days / D); the flat_amount of every tier up to
 *			the one the peak full level reached, unprorated
 *
 * Graduated needs whole tier bounds, as Lago's does (tier i after the
 * first starts at up_to[i-1] + 1).
 */
#ifndef PRORATE_H
#define PRORATE_H

#include <stddef.h>
#include <stdint.h>

#include "dec.h"
#include "price.h"
#include "util.h"

/* Digits of the prorated quantity: Lago rounds it up to 5. */
#define PRORATE_SCALE	5

struct prorate_step {
	dec		 units;		/* the change (or the carried level) */
	int64_t		 days;		/* days of the period it counts for,
					   0 to D */
};

/* A period's steps. */
struct prorate {
	int64_t		 day0;		/* the period's first local day */
	int64_t		 ndays;		/* D, its days */
	struct prorate_step *v;
	size_t		 n, cap;
};

/*
 * Start a period of ndays local days from day0 (days since 1970-01-01,
 * tz_day's) with the level carried in (no step when it is 0).
 */
void	prorate_open(struct prorate *, int64_t day0, int64_t ndays,
	    dec carried);
/*
 * A change of the level counting from local day `day` (the day after
 * the period: none): 0 or a DEC_E* code.
 */
int	prorate_change(struct prorate *, int64_t day, dec delta);
/* A copy of p's steps in a new allocation (prorate_free frees it). */
struct prorate *prorate_dup(const struct prorate *);
void	prorate_free(struct prorate *);

/* The prorated and the full quantity: 0 or a DEC_E* code. */
int	prorate_quantity(const struct prorate *, dec *prorated, dec *full);
/*
 * The aggregate's members, after a comma:
 * "prorated_quantity":"...","period_days":D,"prorated_steps":[["u",d],...]
 */
int	prorate_write(struct buf *, const struct prorate *);

/*
 * Prorated pricing; *num / *den is the amount (graduated divides by D at
 * the end, so that the caller rounds once).  0, or a DEC_E* or PRICE_E*
 * code.
 */
int	prorate_unit(const struct prorate *, dec unit_amount, dec *num,
	    int64_t *den);
int	prorate_volume(const struct tier *, size_t, const struct prorate *,
	    dec *num, int64_t *den);
int	prorate_graduated(const struct tier *, size_t,
	    const struct prorate *, dec *num, int64_t *den);
/* 0 when prorated graduated can use the tiers, else -1 with *why. */
int	prorate_check_tiers(const struct tier *, size_t, const char **why);

#endif
