/*
 * test_progressive: progressive billing's arithmetic (common/invoice.c,
 * inv_state_progressive): a period invoiced by interim invoices and a
 * final one, each the period to date less what the ones before billed,
 * adds up to a single invoice of the period, tax included, to the cent,
 * category by category, whatever each document's own rounding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoice.h"
#include "tap.h"
#include "tdec.h"

/*
 * The state to date of a bill at 20 % and 5.5 % (half-up), with an api
 * line of a and a books line of b in them, taxed as invoice-gen taxes.
 */
static void
todate(struct inv_state *st, const char *a, const char *b)
{
	static const char *const rate[] = { "20", "5.5" };
	struct inv_cat c;
	struct inv_line l;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.id, sizeof(c.id), "S:%s", rate[i]);
		memcpy(c.code, "S", 2);
		c.rate = D(rate[i]);
		c.rounding = DEC_HALF_UP;
		inv_cat_add(st, &c);
		memset(&l, 0, sizeof(l));
		snprintf(l.rkey, sizeof(l.rkey), "%s", i ? "books" : "api");
		snprintf(l.cat, sizeof(l.cat), "%s", c.id);
		l.line_type = "usage";
		l.charge = i ? "books" : "api";
		snprintf(l.lineage, sizeof(l.lineage), "%s", "1");
		l.qty = D("1");
		l.net = l.gross = D(i ? b : a);
		inv_line_add(st, &l);
		st->c[i].base = l.net;
	}
	if (inv_state_tax(st, 2) != 0)
		abort();
}

static int
is(dec a, const char *b)
{
	return dec_cmp(a, D(b)) == 0;
}

int
main(void)
{
	/* the period to date at three points, then a single invoice's */
	static const char *const pts[][2] = {
		{ "100.03", "10.01" }, { "250.07", "70.01" },
		{ "300.11", "90.03" },
	};
	static const char *const want[][4] = {
		/* 20 %: base, tax; 5.5 %: base, tax */
		{ "100.03", "20.01", "10.01", "0.55" },
		{ "150.04", "30.00", "60.00", "3.30" },
		{ "50.04", "10.01", "20.02", "1.10" },
	};
	struct inv_state st[3], d;
	dec sum[2] = { DEC_ZERO, DEC_ZERO }, net = DEC_ZERO;
	size_t k, i, nprog;

	for (k = 0; k < 3; k++)
		todate(&st[k], pts[k][0], pts[k][1]);
	for (k = 0; k < 3; k++) {
		ok(inv_state_progressive(&st[k], k ? &st[k - 1] : NULL, &d) ==
		    0, "document %zu: made", k + 1);
		ok(d.nc == 2 && is(d.c[0].base, want[k][0]) &&
		    is(d.c[0].tax, want[k][1]) && is(d.c[1].base, want[k][2]) &&
		    is(d.c[1].tax, want[k][3]), "document %zu: each category's "
		    "base and tax to date less the documents' before", k + 1);
		for (i = 0, nprog = 0; i < d.nl; i++) {
			dec_add(net, d.l[i].net, &net);
			if (strcmp(d.l[i].line_type, INV_PROGRESSIVE) == 0) {
				nprog++;
				ok(d.l[i].lineage[0] == '\0' &&
				    strcmp(d.l[i].charge, d.l[i].rkey) == 0,
				    "document %zu: a deduction keeps its charge, "
				    "not its lineage", k + 1);
			}
		}
		ok(d.nl == 2 + nprog && nprog == (k ? 2u : 0u),
		    "document %zu: every line to date, then %zu deducted",
		    k + 1, nprog);
		for (i = 0; i < 2; i++)
			dec_add(sum[i], d.c[i].tax, &sum[i]);
		inv_state_free(&d);
	}
	/* 20 % of 150.04 is 30.008: the document's own rounding differs */
	ok(is(sum[0], "60.02") && is(st[2].c[0].tax, "60.02"),
	    "20 %%: the documents' taxes add up to the single invoice's 60.02");
	ok(is(sum[1], "4.95") && is(st[2].c[1].tax, "4.95"),
	    "5.5 %%: the documents' taxes add up to the single invoice's 4.95");
	ok(is(net, "390.14"), "the documents' nets add up to the period's");

	/* a category the final invoice has no more of: kept, at zero */
	inv_state_free(&st[0]);
	inv_state_free(&st[1]);
	todate(&st[0], "10.00", "5.00");
	todate(&st[1], "12.00", "5.00");
	ok(inv_state_progressive(&st[1], &st[0], &d) == 0 && d.nc == 2 &&
	    is(d.c[1].base, "0") && is(d.c[1].tax, "0") &&
	    is(d.c[0].base, "2.00") && is(d.c[0].tax, "0.40"),
	    "a category that did not move stays on the document, at 0");
	inv_state_free(&d);
	for (k = 0; k < 3; k++)
		inv_state_free(&st[k]);
	return tap_done();
}
