/*
 * test_prorate: prorated charges (prorate.c), against the vectors of
 * Lago's specs.
 *
 *   getlago/lago-api spec/services/charge_models/
 *	prorated_graduated_service_spec.rb	(graduated)
 *   getlago/lago-api app/services/events/stores/postgres_store.rb
 *	(duration_ratio_sql: days left = DATE(to) - DATE(event) + 1)
 *
 * Lago's spec gives each event as (full units, prorated units); the
 * prorated units are full x days / D, so here each is (units, days) of
 * a D-day period: 3.5 of 5 in 30 days is 21 days, 2.66667 of 5 is 16.
 *
 * A case: "grad TIERS D u:days,..." or "vol ...", "unit PRICE D ...",
 * "qty D ..."; TIERS as test_price's (up_to:unit:flat,...).  The answer
 * is the amount rounded to cents, half up (Ruby's BigDecimal#round), or
 * for qty "prorated full".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prorate.h"
#include "tap.h"
#include "tdec.h"

/* "u:days,u:days" ("-" for none) into p, a period of nd days */
static void
steps(char *spec, int64_t nd, struct prorate *p)
{
	char *tok, *save = NULL, *c;

	memset(p, 0, sizeof(*p));
	p->ndays = nd;
	if (strcmp(spec, "-") == 0)
		return;
	for (tok = strtok_r(spec, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((c = strchr(tok, ':')) == NULL)
			exit(2);
		*c++ = '\0';
		/* a change on the day that leaves that many days */
		if (prorate_change(p, nd - atoll(c), D(tok)) != 0)
			exit(2);
	}
}

static void
run_line(char *in, char *out, size_t outsz)
{
	char *w[4], *save = NULL;
	struct tier t[PRICE_MAXTIERS];
	struct prorate p;
	dec num, q, f, a;
	int64_t den;
	size_t n = 0, nt = 0;
	int e = 0;

	for (w[n] = strtok_r(in, " ", &save); w[n] != NULL && n < 3;
	    w[++n] = strtok_r(NULL, " ", &save))
		;
	if (n < 3 || (strcmp(w[0], "qty") != 0 && w[3] == NULL)) {
		snprintf(out, outsz, "ERR usage");
		return;
	}
	if (strcmp(w[0], "qty") == 0) {
		steps(w[2], atoll(w[1]), &p);
		if (prorate_quantity(&p, &q, &f) != 0)
			snprintf(out, outsz, "ERR");
		else
			snprintf(out, outsz, "%s %s", dec_str(q).s,
			    dec_str(f).s);
		free(p.v);
		return;
	}
	steps(w[3], atoll(w[2]), &p);
	if (strcmp(w[0], "unit") == 0)
		e = prorate_unit(&p, D(w[1]), &num, &den);
	else if (tier_spec(w[1], t, &nt) < 0)
		e = -1;
	else if (strcmp(w[0], "grad") == 0)
		e = prorate_graduated(t, nt, &p, &num, &den);
	else
		e = prorate_volume(t, nt, &p, &num, &den);
	free(p.v);
	if (e == 0)
		e = dec_div(num, dec_from_i64(den), 2, DEC_HALF_UP, &a);
	if (e != 0)
		snprintf(out, outsz, "ERR %d", e);
	else
		snprintf(out, outsz, "%s", dec_str(a).s);
}

/* Lago's spec: tiers 0-5 at 10 + flat 100, 6- at 5 + flat 50 */
#define T2	"5:10:100,inf:5:50"
#define T3	"5:10:100,15:5:50,inf:2:0"

static const struct { const char *in, *want; } cases[] = {
	/* "returns expected amount": 197.33 */
	{ "grad " T2 " 30 5:21,5:16,10:6,-6:11", "197.33" },
	/* its aggregation, 5.96667 (ceil(5)), over 14 full units */
	{ "qty 30 5:21,5:16,10:6,-6:11", "5.96667 14" },
	/* "when zero usage": the first tier's flat amount */
	{ "grad " T2 " 30 -", "100.00" },
	/* "with event that cannot be fully placed into the range" */
	{ "grad " T2 " 30 2:21,5:16,10:6,-6:11", "184.33" },
	{ "qty 30 2:21,5:16,10:6,-6:11", "3.86667 11" },
	/* "with final number of units equals to zero" (31 days) */
	{ "grad " T2 " 31 1:22,4:12,1:7,-5:5,-1:2", "165.81" },
	/* "with negative event that results in changing range" */
	{ "grad " T2 " 30 5:21,-2:15", "125.00" },
	/* "with overflow and changing ranges" */
	{ "grad " T2 " 30 4:21,2:15,-3:6", "180.50" },
	/* "with multiple overflows in both directions" */
	{ "grad " T2 " 30 5:21,2:15,-4:12,10:6", "190.00" },
	/* "with negative event that results in negative total amount" */
	{ "grad " T2 " 30 5:12,-100:10", "0.00" },
	/* "with only one range used" */
	{ "grad " T2 " 30 4:12,-100:10", "0.00" },
	/* "when only one range is used" */
	{ "grad " T2 " 30 1:21", "107.00" },
	/* "with two ranges where first unit fully covers first range" */
	{ "grad 1:10:100,inf:5:50 30 1:21", "107.00" },
	/*
	 * "with three ranges and one overflow": 191.34 with ceil(2); the
	 * spec's 0.667 of 4 units is 5 days (0.66667), so exactly
	 * 191.3333..., 191.33 rounded, 191.34 up
	 */
	{ "grad " T3 " 30 2:21,5:15,10:6,-6:11,4:5,60:1", "191.33" },
	/* "when there are two overflows": 75 units the whole period */
	{ "grad " T3 " 30 75:30", "370.00" },
	/*
	 * Steps of no days (a recurring count's value removed on the
	 * period's last day): a removal lowers the level for the tiers and
	 * the flat amounts; Lago skips an addition of no prorated value, and
	 * a removal of none that would take the level below 0
	 */
	{ "grad " T2 " 30 5:30,-1:0", "150.00" },
	{ "grad 1:10:100,inf:5:50 30 1:30,2:0", "110.00" },
	{ "grad " T2 " 30 -3:0,1:10", "103.33" },
	{ "qty 30 5:30,-1:0", "5 4" },
	/* the seat: one added on day 21 of 30 counts 10 days */
	{ "qty 30 1:10", "0.33334 1" },
	{ "unit 12 30 1:10", "4.00" },
	/* on day 20, Lago counts day 20 too: 11 of 30 days */
	{ "qty 30 1:11", "0.36667 1" },
	/* a removal counts for its days left, negatively */
	{ "qty 30 3:30,-1:10", "2.66667 2" },
	/* volume: the tier of the level at the end, priced prorated */
	{ "vol " T2 " 30 3:30,-1:10", "126.67" },
	/* 7 at the end: tier 2; 5 + 2 x 15/30 = 6 at 5, + 50 */
	{ "vol " T2 " 30 5:30,2:15", "80.00" },
};

int
main(void)
{
	struct prorate p;
	dec q, f;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_case(run_line, cases[i].in, cases[i].want);

	/* meter-aggregate's side: a step a day, the carried level first */
	memset(&p, 0, sizeof(p));
	prorate_open(&p, 100, 30, D("2"));
	ok(prorate_change(&p, 119, D("1")) == 0 &&
	    prorate_change(&p, 119, D("3")) == 0 &&
	    prorate_change(&p, 125, D("1")) == 0 &&
	    prorate_change(&p, 125, D("-1")) == 0 && p.n == 2 &&
	    p.v[0].days == 30 && p.v[1].days == 11 &&
	    dec_cmp(p.v[1].units, D("4")) == 0,
	    "changes of one day net out; a day that nets to 0 leaves no step");
	ok(prorate_quantity(&p, &q, &f) == 0 && dec_cmp(q, D("3.46667")) == 0 &&
	    dec_cmp(f, D("6")) == 0, "2 all period + 4 for 11 of 30 days: "
	    "3.46667 (104/30 up), 6 at the end");
	prorate_open(&p, 100, 30, DEC_ZERO);
	ok(p.n == 0, "a level of 0 carried in is no step");
	free(p.v);
	return tap_done();
}
