/*
 * catalog.h: the pricing catalog and the contracts (usage-to-cash(5),
 * "pricing catalog"), loaded and checked once, with every contract's
 * overrides already merged into its own copy of the plan's charges.
 *
 *   {"plans":[{"id":"pro","version":1,"currency":"USD","charges":[
 *      {"id":"api","meter":"api_calls","model":"graduated","tiers":[...]}]}],
 *    "contracts":[{"customer":"cus_acme","plan":"pro","version":1,
 *      "start":"2026-01-01T00:00:00Z","overrides":{...}}]}
 */
#ifndef CATALOG_H
#define CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dec.h"
#include "hmap.h"
#include "price.h"
#include "tm.h"

enum model {
	M_FLAT, M_UNIT, M_GRADUATED, M_VOLUME, M_PACKAGE, M_PERCENTAGE
};

struct discount {
	char		*id;
	int		 percent;	/* value is a percentage, else an amount */
	dec		 value;
	int		 has_cap;
	dec		 cap;
	const char	*charge;	/* applies to this charge; NULL: the plan */
};

#define CHARGE_MAXDECIMALS	9	/* display_decimals */

struct charge {
	char		*id;
	char		*name;		/* for documents; NULL: none */
	char		*tax_code;	/* for invoice-gen; NULL: none */
	char		*unit_code;	/* UN/ECE rec 20 (units.h); NULL: none */
	int		 decimals;	/* display_decimals; -1: none */
	char		*meter;		/* NULL for flat */
	enum model	 model;
	json_t		*group;		/* only aggregates whose group has
					   these members; NULL: all */
	int		 combine;	/* combine_groups: one line */
	/* flat */
	dec		 amount;	/* flat fee; package: per package */
	int		 advance;	/* billing "advance" */
	/* unit */
	dec		 unit_amount;
	/* graduated, volume */
	struct tier	*tiers;
	size_t		 ntiers;
	/* package */
	dec		 package_size;
	int		 round_up;
	/* percentage */
	dec		 rate, fixed;
	int		 has_min, has_max;
	dec		 min, max;
	int64_t		 free_events;	/* free_units_per_events; 0: none */
	int		 has_free_total;
	dec		 free_total;	/* free_units_per_total_aggregation */
	/* any metered model */
	int		 has_free;
	dec		 free_units;
	int		 has_commit;
	dec		 commit;	/* minimum_commitment per period */
	int		 prorated;	/* Lago's prorated (prorate.h) */
};

struct plan {
	char		*id;
	int64_t		 version;
	char		 currency[4];
	int		 minor;		/* the currency's minor units */
	enum tm_unit	 interval;
	enum dec_round	 rounding;
	int		 has_commit;
	dec		 commit;
	struct charge	*charges;
	size_t		 ncharges;
	json_t		*obj;		/* as written, for merging overrides */
	struct plan	*next;		/* the next version in the file */
};

struct threshold {
	char		*id;		/* "amount:500" or "percent:80" */
	int		 percent;	/* of the plan's minimum commitment */
	dec		 value;
	int		 invoice;	/* progressive billing: an interim invoice */
};

/*
 * A prepaid credit: drawn by the periods ending after it was granted and
 * no later than it expires, by priority (lower first), the soonest
 * expiry, the oldest.  Bought (paid) unless promotional.
 */
#define GRANT_PRIORITY	50	/* the default, Stripe's: room either side */
struct grant {
	char		*id;
	dec		 amount;
	int64_t		 granted;
	int64_t		 expires;	/* INT64_MAX: never */
	int64_t		 priority;
	int		 paid;		/* default 1: bought, with cash */
};

struct contract {
	size_t		 idx;		/* position in the file */
	char		*id;		/* NULL when not given */
	char		*customer;
	const struct plan *plan;
	int64_t		 start, end;	/* end INT64_MAX: open */
	/*
	 * The plan's charges with the overrides merged; without overrides
	 * of charges, the plan's own array (shared: 10k contracts of one
	 * plan would otherwise hold 10k copies of it).
	 */
	struct charge	*charges;
	size_t		 ncharges;
	int		 shared;	/* charges is the plan's */
	int		 has_commit;
	dec		 commit;
	struct discount	*discounts;
	size_t		 ndiscounts;
	struct threshold *thresholds;
	size_t		 nthresholds;
	struct grant	*grants;
	size_t		 ngrants;
};

/* A customer's contracts, by start. */
struct clist {
	size_t		 n;
	struct contract	*c[];
};

struct catalog {
	const char	*path;
	enum dec_round	 rounding;
	struct plan	*plans;
	size_t		 nplans;
	struct contract	*contracts;
	size_t		 ncontracts;
	struct hmap	 by_customer;	/* customer -> struct clist * */
	struct hmap	 by_plan;	/* id -> first struct plan * */
};

/* Load and validate; dies with EX_CONFIG listing the problems. */
void		 catalog_load(struct catalog *, const char *path);
void		 catalog_free(struct catalog *);
const struct clist *catalog_contracts(const struct catalog *,
		    const char *customer);
const char	*model_name(enum model);
/*
 * 1 when a percentage charge prices each transaction apart (bounds or
 * Lago's free units): each aggregate must then be one transaction.
 */
int		 charge_per_transaction(const struct charge *);
/* 1 when every member of the charge's group filter is in group. */
int		 charge_matches(const struct charge *, json_t *group);

#endif
