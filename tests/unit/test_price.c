/*
 * test_price: the charge models of price.c.
 *
 * With no argument it runs the hand-checked vectors below (Stripe's and
 * Lago's published examples among them).  With --oracle it is a line
 * calculator for tests/unit/price_oracle.py:
 *
 *   grad|vol TIERS QTY	  TIERS: up_to:unit:flat[:block_size],...;
 *			  up_to "inf"
 *   pkg QTY SIZE PER up|down
 *   round AMOUNT MINOR MODE
 *   pct AMOUNT RATE FIXED MIN|- MAX|-
 *   trueup AMOUNT MINIMUM
 *   disc AMOUNT pct|fixed VALUE CAP|-
 *
 * and prints the amount (or "ERR name").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "price.h"
#include "tap.h"
#include "tdec.h"

static void
fmt(int e, dec d, char *out, size_t n)
{
	if (e != 0)
		snprintf(out, n, "ERR %d", e);
	else if (dec_fmt(d, out, n) < 0)
		snprintf(out, n, "ERR FMT");
}

static void
run_line(char *line, char *out, size_t n)
{
	struct tier t[PRICE_MAXTIERS];
	struct price_step s[PRICE_MAXTIERS];
	char *w[7], *save = NULL;
	dec lo, hi;
	size_t nw = 0, nt, ns;
	dec amount = DEC_ZERO, packages;
	int e, mode;

	line[strcspn(line, "\n")] = '\0';
	for (w[0] = strtok_r(line, " ", &save); w[nw] != NULL && nw < 6;)
		w[++nw] = strtok_r(NULL, " ", &save);
	if (nw >= 3 && (strcmp(w[0], "grad") == 0 ||
	    strcmp(w[0], "vol") == 0)) {
		if (tier_spec(w[1], t, &nt) < 0) {
			snprintf(out, n, "ERR BADLINE");
			return;
		}
		e = w[0][0] == 'g' ?
		    price_graduated(t, nt, D(w[2]), s, &ns, &amount) :
		    price_volume(t, nt, D(w[2]), s, &ns, &amount);
		fmt(e, amount, out, n);
	} else if (nw >= 4 && strcmp(w[0], "pkg") == 0) {
		e = price_package(D(w[1]), D(w[2]), D(w[3]),
		    w[4] != NULL && strcmp(w[4], "up") == 0, &packages,
		    &amount);
		fmt(e, amount, out, n);
	} else if (nw >= 4 && strcmp(w[0], "round") == 0) {
		if ((mode = dec_parse_round(w[3])) < 0) {
			snprintf(out, n, "ERR BADLINE");
			return;
		}
		e = price_round(D(w[1]), atoi(w[2]), (enum dec_round)mode,
		    &amount);
		fmt(e, amount, out, n);
	} else if (nw >= 6 && strcmp(w[0], "pct") == 0) {
		if (strcmp(w[4], "-") != 0)
			lo = D(w[4]);
		if (strcmp(w[5], "-") != 0)
			hi = D(w[5]);
		e = price_percentage(D(w[1]), D(w[2]), D(w[3]),
		    strcmp(w[4], "-") ? &lo : NULL,
		    strcmp(w[5], "-") ? &hi : NULL, &amount);
		fmt(e, amount, out, n);
	} else if (nw >= 3 && strcmp(w[0], "trueup") == 0) {
		e = price_trueup(D(w[1]), D(w[2]), &amount);
		fmt(e, amount, out, n);
	} else if (nw >= 5 && strcmp(w[0], "disc") == 0) {
		if (strcmp(w[4], "-") != 0)
			hi = D(w[4]);
		e = price_discount(D(w[1]), strcmp(w[2], "pct") == 0, D(w[3]),
		    strcmp(w[4], "-") ? &hi : NULL, &amount);
		fmt(e, amount, out, n);
	} else
		snprintf(out, n, "ERR BADLINE");
}

static const struct {
	const char *in, *want;
} cases[] = {
	/* Stripe's volume example: 1-5 at $7, 6-10 at $6.50, 11+ at $6 */
	{ "vol 5:7:0,10:6.5:0,inf:6:0 5", "35" },
	{ "vol 5:7:0,10:6.5:0,inf:6:0 6", "39.0" },
	{ "vol 5:7:0,10:6.5:0,inf:6:0 20", "120" },
	{ "vol 5:7:0,10:6.5:0,inf:6:0 10", "65.0" },
	{ "vol 5:7:0,10:6.5:0,inf:6:0 10.5", "63.0" },
	{ "vol 5:7:0,10:6.5:0,inf:6:0 0", "0" },
	/* the same tiers graduated: 5 x 7 + 5 x 6.5 + 10 x 6 */
	{ "grad 5:7:0,10:6.5:0,inf:6:0 20", "127.5" },
	{ "grad 5:7:0,10:6.5:0,inf:6:0 5", "35" },
	{ "grad 5:7:0,10:6.5:0,inf:6:0 6", "41.5" },
	{ "grad 5:7:0,10:6.5:0,inf:6:0 10.5", "70.5" },
	/* quantity 0 lies in the first tier: its flat amount is charged */
	{ "grad 100:0:10,inf:0.5:0 0", "10" },
	{ "vol 100:0:10,inf:0.5:0 0", "10" },
	/* a later tier's flat amount once it is reached, not at its edge */
	{ "grad 100:0:10,inf:0.5:20 100", "10" },
	{ "grad 100:0:10,inf:0.5:20 100.001", "30.0005" },
	/* Lago-style graduated with flat fees per tier */
	{ "grad 10:1:5,20:0.5:2,inf:0.25:1 25", "24.25" },
	{ "grad 5:7:0,inf:6:0 -1", "ERR 100" },
	{ "vol 5:7:0,inf:6:0 -0.5", "ERR 100" },
	/* blocks (Kill Bill's tiered blocks): ceil(units / size) blocks */
	{ "grad 1000:1:0:10,inf:0.5:0:10 400", "40" },
	{ "grad 1000:1:0:10,inf:0.5:0:10 1200", "110.0" },
	{ "grad 1000:1:0:10,inf:0.5:0:10 1001", "100.5" },
	{ "grad 100:1:0:10,inf:2:0:25 10.5", "2" },
	{ "grad 100:1:0:10,inf:2:0:25 126", "14" },
	{ "vol 100:1:0:10,inf:2:0:25 101", "10" },
	{ "vol 100:1:0:10,inf:2:0:25 0", "0" },
	{ "vol 1:0.30:1:0.25,inf:0.1:0 0.1", "1.30" },
	{ "grad 10:1:0:-1,inf:1:0 3", "ERR 101" },
	/* tiers that are not usable */
	{ "grad 10:1:0,5:1:0,inf:1:0 3", "ERR 101" },
	{ "grad 10:1:0,20:1:0 3", "ERR 101" },
	{ "grad 10:-1:0,inf:1:0 3", "ERR 101" },
	{ "grad inf:1:0,inf:1:0 3", "ERR 101" },
	/* package: 1000 units a package of $5, partial packages up or down */
	{ "pkg 2001 1000 5 up", "15" },
	{ "pkg 2001 1000 5 down", "10" },
	{ "pkg 2000 1000 5 up", "10" },
	{ "pkg 0 1000 5 up", "0" },
	{ "pkg 1 0 5 up", "ERR 4" },
	/* Stripe: 0.05 cents x 30 units = 1.5 cents, billed as 2 cents */
	{ "round 0.0150 2 half-up", "0.02" },
	{ "round 0.0150 2 half-even", "0.02" },
	{ "round 0.025 2 half-even", "0.02" },
	{ "round 0.025 2 half-up", "0.03" },
	{ "round 1234.5 0 half-up", "1235" },
	{ "round 1.2345 3 down", "1.234" },
	{ "round -0.005 2 half-up", "-0.01" },
	/* percentage: 2.9 % + 0.30 a transaction, held in [0.50, 5] */
	{ "pct 100 2.9 0.30 - -", "3.20" },
	{ "pct 5 2.9 0.30 0.50 5", "0.50" },
	{ "pct 1000 2.9 0.30 0.50 5", "5" },
	{ "pct 0 1 0 - -", "0.00" },
	/* a commitment of 500 with 420 used: a true-up of 80 */
	{ "trueup 420 500", "80" },
	{ "trueup 520 500", "0" },
	/* discounts: 10 % capped at 25; a fixed 50 off 30 takes 30 */
	{ "disc 200 pct 10 25", "20.00" },
	{ "disc 400 pct 10 25", "25" },
	{ "disc 30 fixed 50 -", "30" },
	{ "disc 0 pct 10 -", "0" },
	{ "disc -5 fixed 1 -", "0" },
};

int
main(int argc, char **argv)
{
	dec a, b;
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--oracle") == 0)
		return tap_oracle(run_line);
	if (argc != 1) {
		fprintf(stderr, "usage: test_price [--oracle]\n");
		return 2;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_case(run_line, cases[i].in, cases[i].want);
	/* a unit price below the minor unit: 0.00002 per token */
	ok(price_unit(D("1234567"), D("0.00002"), &a) == 0 &&
	    dec_cmp(a, D("24.69134")) == 0 &&
	    price_round(a, 2, DEC_HALF_UP, &b) == 0 &&
	    dec_cmp(b, D("24.69")) == 0, "unit: 1234567 x 0.00002 = 24.69134, "
	    "billed 24.69");
	ok(price_unit(D("-3"), D("1.5"), &a) == 0 && dec_cmp(a, D("-4.5")) ==
	    0, "unit: a negative quantity is a credit");
	ok(price_free(D("80"), D("100"), &a) == 0 && dec_sign(a) == 0,
	    "free units above usage leave 0");
	ok(price_free(D("180.5"), D("100"), &a) == 0 &&
	    dec_cmp(a, D("80.5")) == 0, "free units come off first");
	return tap_done();
}
