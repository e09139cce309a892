/*
 * test_price_pct: price_pct_line(), a percentage charge's line as
 * lago-api's percentage charge model prices it (price.h), where rate(1)
 * cannot reach: aggregates of several transactions under free units or
 * bounds (rate refuses them first), levels without events, and overflow.
 * The model's vectors from Lago's spec are tests/1255-rate-percentage.bats.
 */
#include <string.h>

#include "price.h"
#include "tap.h"
#include "tdec.h"

static int
eq(dec a, const char *b)
{
	return dec_cmp(a, D(b)) == 0;
}

int
main(void)
{
	struct price_pct p = { .rate = D("10"), .fixed = D("1") };
	struct price_pct_out o;
	struct price_tx tx[3];
	dec lo = D("0.50");
	int e;

	/* an aggregate of 3 transactions: priced whole without free units */
	tx[0] = (struct price_tx){ D("300"), 3 };
	e = price_pct_line(&p, tx, 1, &o);
	ok(e == 0 && eq(o.amount, "33") && o.transactions == 3 &&
	    o.free_tx == 0, "an aggregate of 3, no free units: 30 + 3 x 1");
	/* ... refused under free units or a bound */
	p.free_events = 1;
	ok(price_pct_line(&p, tx, 1, &o) == PRICE_ETX,
	    "an aggregate of 3 under free_units_per_events: PRICE_ETX");
	p.free_events = 0;
	p.min = &lo;
	ok(price_pct_line(&p, tx, 1, &o) == PRICE_ETX,
	    "an aggregate of 3 under a minimum: PRICE_ETX");
	ok(strcmp(price_strerror(PRICE_ETX), "a per-transaction percentage "
	    "needs one transaction an aggregate") == 0, "PRICE_ETX's text");

	/*
	 * a level without events under a bound is no transaction: the rate
	 * alone, no fixed fee, no minimum, no free unit
	 */
	tx[0] = (struct price_tx){ D("4"), 0 };
	tx[1] = (struct price_tx){ D("20"), 1 };
	p.free_events = 1;
	e = price_pct_line(&p, tx, 2, &o);
	ok(e == 0 && eq(o.amount, "0.4") && o.transactions == 1 &&
	    o.free_tx == 1 && eq(o.free_amount, "20") && eq(o.base, "24"),
	    "a level of 4 and a free transaction of 20: 0.40");
	/* without a bound it counts in the total, not in the running total */
	p.min = NULL;
	e = price_pct_line(&p, tx, 2, &o);
	ok(e == 0 && eq(o.amount, "0.4") && o.free_tx == 1 &&
	    eq(o.free_amount, "20"), "the same without a bound: 0.40");

	/* no transactions at all: nothing */
	e = price_pct_line(&p, tx, 0, &o);
	ok(e == 0 && eq(o.amount, "0") && o.transactions == 0,
	    "no transactions: 0");

	/* a negative count is no aggregate */
	tx[0] = (struct price_tx){ D("1"), -1 };
	ok(price_pct_line(&p, tx, 1, &o) == PRICE_ETX, "events -1: PRICE_ETX");

	/* transactions past INT64_MAX */
	p.free_events = 0;
	tx[0] = (struct price_tx){ D("1"), INT64_MAX };
	tx[1] = (struct price_tx){ D("1"), INT64_MAX };
	ok(price_pct_line(&p, tx, 2, &o) == DEC_ERANGE,
	    "2 x INT64_MAX transactions: DEC_ERANGE");
	return tap_done();
}
