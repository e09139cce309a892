/*
 * rating.h: a bill's pricing.  A bill is a customer's billing period
 * and the aggregates rated in it; pricing it applies the contracts in
 * force in the period (the catalog's, see usage-to-cash(5)):
 *
 *   flat fees	every contract in force, for its share of the period
 *		(prorated when it starts or ends inside it), in arrears,
 *		or in advance for the next period
 *   usage	each metered charge of the contract in force at the end,
 *		through its model, after free units
 *   true-ups	each charge's minimum commitment, then the plan's over
 *		what serves the period
 *   discounts	in the contract's order, each on what is left
 *
 * and, once the caller knows the prepaid credit's balance, the credit
 * line, and which spending thresholds the period crossed.  Each line's
 * amount is rounded once, to the currency's minor unit; the lines are
 * written (rated.h) into the bill's buffer.
 *
 * What is not here: one charge model's arithmetic (tiers, packages,
 * percentages, discounts, rounding) is price.c's; what the contracts
 * say, catalog.c's; the rated line's members and breakdowns, rated.c's.
 * Rating reads no file and no ledger: what was drawn before and which
 * alert already fired are the caller's (rate(1)).
 */
#ifndef RATING_H
#define RATING_H

#include <stddef.h>
#include <stdint.h>

#include "dec.h"
#include "util.h"

struct aggrec;
struct catalog;
struct clist;
struct contract;
struct custdb;
struct threshold;

/* A customer's contracts never overlap more than this in a period. */
#define RATING_MAXOVERLAP	16

/* What a run's bills are priced with. */
struct rating {
	const struct catalog *cat;
	/* the customers' billing periods, for fees billed in advance */
	const struct custdb *cust;
	int		 preview;	/* written on every line */
};

/* A customer's billing period, with its aggregates. */
struct rating_bill {
	const char	*customer;
	int64_t		 ps, pe;
	struct aggrec	**a;
	size_t		 n, cap;
	/* a bill whose rating failed rejects its aggregates */
	const char	*fail_code, *fail_cls;
	char		 fail_msg[256];
	const struct contract *u;	/* the contract pricing its usage */
	dec		 spend;		/* flat and usage lines: thresholds */
	dec		 total;		/* of its lines, before credits */
	struct buf	 out;		/* its lines, written after commit */
	uint64_t	 nlines;
	struct buf	 alerts;
};

/* The contracts of cl in force during [ps, pe), first to last. */
size_t	rating_in_force(const struct clist *cl, int64_t ps, int64_t pe,
	    const struct contract **out, size_t max);
/*
 * Price the bill: its lines into b->out, b->u, b->spend and b->total
 * set; or b->fail_code, fail_cls and fail_msg set (the bill is not
 * billed: b->out holds part of its lines).  A contract of the customer
 * must be in force in the period.
 */
void	rating_price(const struct rating *, struct rating_bill *b);
/*
 * What a prepaid credit of that balance pays of a priced bill: its
 * total, at most the balance, never below 0.
 */
dec	rating_credit_want(const struct rating_bill *b, dec balance);
/*
 * Prepaid credit grants (usage-to-cash(5), "prepaid_credits"): a bill
 * draws on the grants open at its period's end (granted before it, not
 * expired before it), in the order the caller lists them (priority, the
 * soonest expiry, the oldest), each as far as it goes.
 */
struct rating_grant {
	const char	*id;
	dec		 avail;		/* what it has left for the bill */
	dec		 take;		/* what the bill draws of it */
};
/*
 * What a grant has left for a bill: its amount less what other periods
 * drew on it (others), when it is open at the bill's end, else 0.  A
 * grant expired by now (the run's --as-of) is closed: a bill rated
 * again (redraw) takes from it at most what it drew before (mine), so
 * that expired credit never comes back.
 */
dec	rating_grant_avail(const struct rating_bill *b, int64_t granted,
	    int64_t expires, dec amount, dec others, dec mine, int redraw,
	    int64_t now);
/*
 * The bill's draw on g[0..n): each grant's take, in order; returns
 * what is drawn, rating_credit_want of their sum (*balance).
 */
dec	rating_credit_alloc(const struct rating_bill *b, struct rating_grant *g,
	    size_t n, dec *balance);
/*
 * The credit line of a draw of want from balance, with the grants it
 * drew on (those of g[0..n) with a take); none for want 0.
 */
void	rating_credit_line(const struct rating *, struct rating_bill *b,
	    dec want, dec balance, const struct rating_grant *g, size_t n);
/*
 * 1 when the bill's spending reaches threshold t of its contract, with
 * the threshold's amount in *amount; 0 when it does not, or when a
 * percentage of the commitment cannot be computed.
 */
int	rating_threshold(const struct rating_bill *b,
	    const struct threshold *t, dec *amount);

#endif
