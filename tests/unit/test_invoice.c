/*
 * test_invoice: the invoice state's arithmetic (common/invoice.c): tax
 * per category, inclusive splits, bill-level shares and note deltas.
 *
 * With no argument it runs the hand-checked cases below.  With --oracle
 * it is a line calculator for tests/unit/invoice_oracle.py:
 *
 *   tax AMOUNT RATE MODE incl|excl MINOR	the tax (inv_tax)
 *   incl MINOR RATE MODE G1 [G2 ...]	an inclusive category of lines
 *					of gross G: its tax, then the
 *					lines' nets (inv_state_tax)
 *
 * and prints the amounts (or "ERR name").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "invoice.h"
#include "tap.h"
#include "tdec.h"

#define MAXW	16

static int
eq(dec a, const char *b)
{
	return dec_cmp(a, D(b)) == 0;
}

/* A category of a hand-made state. */
static struct inv_cat *
cat(struct inv_state *st, const char *id, const char *rate, int incl,
    enum dec_round mode)
{
	struct inv_cat c;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "%s", id);
	memcpy(c.code, "S", 2);
	c.rate = D(rate);
	c.inclusive = incl;
	c.rounding = mode;
	return inv_cat_add(st, &c);
}

/* A line of a hand-made state, in its category's base or gross. */
static void
line(struct inv_state *st, const char *rkey, const char *cat_id,
    const char *amount)
{
	struct inv_line l;
	struct inv_cat *c = inv_cat_find(st, cat_id);

	memset(&l, 0, sizeof(l));
	snprintf(l.rkey, sizeof(l.rkey), "%s", rkey);
	snprintf(l.cat, sizeof(l.cat), "%s", cat_id);
	l.line_type = "usage";
	l.qty = D("1");
	l.net = l.gross = D(amount);
	inv_line_add(st, &l);
	if (c->inclusive)
		dec_add(c->gross, l.gross, &c->gross);
	else
		dec_add(c->base, l.net, &c->base);
}

static void
fmt(int e, dec d, char *out, size_t n)
{
	if (e != 0)
		snprintf(out, n, "ERR %s", dec_errname(e));
	else if (dec_fmt(d, out, n) < 0)
		snprintf(out, n, "ERR FMT");
}

static void
run_line(char *s, char *out, size_t n)
{
	char *w[MAXW + 4], *save = NULL;
	struct inv_state st;
	size_t nw = 0, i, len;
	dec tax;
	int e, mode, minor;

	for (w[nw] = strtok_r(s, " \t\n", &save); w[nw] != NULL &&
	    nw < MAXW + 3; w[nw] = strtok_r(NULL, " \t\n", &save))
		nw++;
	if (nw == 6 && strcmp(w[0], "tax") == 0) {
		mode = dec_parse_round(w[3]);
		e = inv_tax(D(w[1]), D(w[2]), (enum dec_round)mode,
		    strcmp(w[4], "incl") == 0, atoi(w[5]), &tax);
		fmt(e, tax, out, n);
	} else if (nw >= 5 && strcmp(w[0], "incl") == 0) {
		memset(&st, 0, sizeof(st));
		minor = atoi(w[1]);
		cat(&st, "c", w[2], 1, (enum dec_round)dec_parse_round(w[3]));
		for (i = 4; i < nw; i++) {
			char k[8];

			snprintf(k, sizeof(k), "l%zu", i);
			line(&st, k, "c", w[i]);
		}
		e = inv_state_tax(&st, minor);
		fmt(e, st.c[0].tax, out, n);
		for (i = 0; e == 0 && i < st.nl; i++) {
			len = strlen(out);
			out[len++] = ' ';
			fmt(0, st.l[i].net, out + len, n - len);
		}
		inv_state_free(&st);
	} else
		snprintf(out, n, "ERR BADLINE");
}

/* Tax per category: exclusive, inclusive, roundings, zero rate. */
static void
tax_tests(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "tax 100.00 19 half-up excl 2", "19.00" },
		{ "tax 0.50 5 half-up excl 2", "0.03" },
		{ "tax 0.50 5 half-even excl 2", "0.02" },
		{ "tax 0.70 5 half-even excl 2", "0.04" },
		{ "tax -0.50 5 half-up excl 2", "-0.03" },
		{ "tax -0.50 5 half-even excl 2", "-0.02" },
		{ "tax 10.00 7.7 half-up excl 2", "0.77" },
		{ "tax 1234 10 half-up excl 0", "123" },
		{ "tax 119.00 19 half-up incl 2", "19.00" },
		{ "tax 10.00 19 half-up incl 2", "1.60" },
		{ "tax 3 20 half-up incl 0", "1" },
		{ "tax 3 20 half-even incl 0", "0" },
		{ "tax 9 20 half-even incl 0", "2" },
		{ "tax 100.00 0 half-up excl 2", "0.00" },
		{ "tax 100.00 0 half-up incl 2", "0.00" },
		{ "tax 1.000 15 half-up excl 3", "0.150" },
	};
	struct inv_state st;
	struct inv_cat *c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_case(run_line, cases[i].in, cases[i].want);

	/* a category: exclusive from its base, inclusive out of its gross */
	memset(&st, 0, sizeof(st));
	c = cat(&st, "x", "19", 0, DEC_HALF_UP);
	c->base = D("10.50");
	ok(inv_cat_tax(c, 2) == 0 && eq(c->tax, "2.00") && eq(c->base,
	    "10.50"), "exclusive category: 19%% of 10.50 is 2.00 (1.995 up)");
	c = cat(&st, "i", "19", 1, DEC_HALF_UP);
	c->gross = D("10.00");
	ok(inv_cat_tax(c, 2) == 0 && eq(c->tax, "1.60") && eq(c->base,
	    "8.40"), "inclusive category: 10.00 is 8.40 + 1.60 tax");
	c = cat(&st, "z", "0", 1, DEC_HALF_UP);
	c->gross = D("10.00");
	ok(inv_cat_tax(c, 2) == 0 && eq(c->tax, "0") && eq(c->base, "10.00"),
	    "inclusive at 0%%: the base is the gross");
	inv_state_free(&st);
}

/* Inclusive splits: the lines' nets and the tax add up to the gross. */
static void
split_tests(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "incl 2 19 half-up 10.00 10.00 10.00",
		    "4.79 8.40 8.40 8.41" },
		{ "incl 2 19 half-up 119.00", "19.00 100.00" },
		{ "incl 2 19 half-up 1.00 2.00", "0.48 0.84 1.68" },
		{ "incl 2 20 half-up 0.01 0.01 0.01", "0.01 0.00 0.01 0.01" },
		{ "incl 0 10 half-up 500 300 -100", "64 454 273 -91" },
		{ "incl 2 0 half-up 5.00 7.00", "0.00 5.00 7.00" },
	};
	struct inv_state st;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	dec sum, g, net;
	int i, k, n, bad = 0;
	char key[8];

	for (i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++)
		tap_case(run_line, cases[i].in, cases[i].want);
	for (i = 0; i < 500; i++) {
		memset(&st, 0, sizeof(st));
		cat(&st, "c", i % 3 ? "19" : "7.7", 1, i % 2 ? DEC_HALF_UP :
		    DEC_HALF_EVEN);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = 1 + (int)(x % 9);
		for (k = 0; k < n; k++) {
			struct inv_line l;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memset(&l, 0, sizeof(l));
			snprintf(key, sizeof(key), "l%d", k);
			snprintf(l.rkey, sizeof(l.rkey), "%s", key);
			memcpy(l.cat, "c", 2);
			l.line_type = "usage";
			l.gross = (dec){ (dec_int)(x % 200000) - 20000, 2 };
			inv_line_add(&st, &l);
			dec_add(st.c[0].gross, l.gross, &st.c[0].gross);
		}
		if (inv_state_tax(&st, 2) != 0)
			bad++;
		sum = g = DEC_ZERO;
		for (k = 0; k < n; k++) {
			dec_add(sum, st.l[k].net, &sum);
			dec_add(g, st.l[k].gross, &g);
		}
		dec_add(sum, st.c[0].tax, &net);
		if (dec_cmp(sum, st.c[0].base) != 0 || dec_cmp(net, g) != 0)
			bad++;
		inv_state_free(&st);
	}
	ok(bad == 0, "500 inclusive categories: nets add up to the base, "
	    "base and tax to the gross (%d wrong)", bad);
}

/* The state of a bill: one category at 19 %, exclusive. */
static void
bill(struct inv_state *st, const char *a, const char *b)
{
	memset(st, 0, sizeof(*st));
	st->credit = D("0");
	cat(st, "S|19|excl|half-up", "19", 0, DEC_HALF_UP);
	if (a != NULL)
		line(st, "a", "S|19|excl|half-up", a);
	if (b != NULL)
		line(st, "b", "S|19|excl|half-up", b);
	inv_state_tax(st, 2);
}

/* Note deltas: a state against the one invoiced before. */
static void
delta_tests(void)
{
	struct inv_state now, before, d, back;
	struct inv_totals t, t0;
	char *s;

	bill(&before, "100.00", "50.00");
	bill(&now, "100.00", "50.00");
	ok(inv_state_delta(&now, &before, &d) == 0 && d.nl == 0 &&
	    d.nc == 0 && dec_sign(d.credit) == 0,
	    "the same state again: nothing to bill");
	inv_state_free(&d);
	inv_state_free(&now);
	inv_state_free(&before);

	bill(&before, "100.00", "50.00");
	bill(&now, "80.00", "50.00");
	ok(inv_state_delta(&now, &before, &d) == 0 && d.nl == 1 &&
	    eq(d.l[0].net, "-20.00") && d.nc == 1 &&
	    eq(d.c[0].base, "-20.00") && eq(d.c[0].tax, "-3.80") &&
	    inv_totals(&d, 2, &t) == 0 && eq(t.total, "-23.80"),
	    "less than invoiced: a credit of -20.00 and -3.80 tax");
	inv_state_free(&d);
	inv_state_free(&now);
	inv_state_free(&before);

	bill(&before, "100.00", NULL);
	bill(&now, "100.00", "0.50");
	ok(inv_state_delta(&now, &before, &d) == 0 && d.nl == 1 &&
	    strcmp(d.l[0].rkey, "b") == 0 && eq(d.l[0].net, "0.50") &&
	    eq(d.c[0].tax, "0.10") && inv_totals(&d, 2, &t) == 0 &&
	    eq(t.total, "0.60"), "more than invoiced: a debit of 0.50 and "
	    "0.10 tax (19.10 - 19.00, not 19%% of 0.50)");
	inv_state_free(&d);
	inv_state_free(&now);
	inv_state_free(&before);

	/* a full credit: nothing now; the documents net to zero */
	bill(&before, "33.33", "66.67");
	memset(&now, 0, sizeof(now));
	ok(inv_state_delta(&before, NULL, &d) == 0 &&
	    inv_totals(&d, 2, &t0) == 0 && eq(t0.total, "119.00"),
	    "the invoice is the whole state: 100.00 + 19.00");
	inv_state_free(&d);
	ok(inv_state_delta(&now, &before, &d) == 0 && d.nl == 2 &&
	    d.nc == 1 && eq(d.c[0].tax, "-19.00") &&
	    inv_totals(&d, 2, &t) == 0 && dec_add(t.total, t0.total,
	    &t.due) == 0 && dec_sign(t.due) == 0,
	    "a full credit nets the invoice to exactly zero");
	inv_state_free(&d);
	inv_state_free(&before);

	/* the state as the ledger keeps it, and back */
	bill(&before, "12.34", "0.01");
	s = inv_state_dump(&before);
	ok(inv_state_load(s, &back) == 0 && back.nl == 2 &&
	    strcmp(back.l[0].rkey, "a") == 0 &&
	    inv_state_delta(&before, &back, &d) == 0 && d.nl == 0 &&
	    d.nc == 0, "a state dumped and loaded is the same state");
	inv_state_free(&d);
	inv_state_free(&back);
	free(s);
	ok(inv_state_load("{\"lines\":{}}", &back) < 0,
	    "a state without its categories is refused");
	inv_state_free(&back);
	inv_state_free(&before);

	/* lines and bases that do not add up are a bug, not a document */
	bill(&before, "1.00", NULL);
	before.c[0].base = D("2.00");
	ok(inv_totals(&before, 2, &t) == -1, "totals: bases != lines is -1");
	inv_state_free(&before);
}

/* The kind of a note: by its total, a total of 0 by the amount due. */
static void
kind_tests(void)
{
	struct inv_totals t;

	memset(&t, 0, sizeof(t));
	t.total = D("-1.19");
	t.due = D("-1.19");
	ok(doc_kind_of(1, &t) == DK_INVOICE, "kind: the first is the invoice");
	ok(doc_kind_of(0, &t) == DK_CREDIT, "kind: less is a credit note");
	t.total = t.due = D("0.01");
	ok(doc_kind_of(0, &t) == DK_DEBIT, "kind: more is a debit note");
	t.total = D("0.00");
	t.due = D("-5.00");
	ok(doc_kind_of(0, &t) == DK_CREDIT, "kind: total 0, less due: credit");
	t.due = D("5.00");
	ok(doc_kind_of(0, &t) == DK_DEBIT, "kind: total 0, more due: debit");
}

/* A bill built from rated lines: categories, shares, credit. */
static void
build_tests(void)
{
	struct taxrule rule;
	struct taxtab tt = { "test", &rule, 1 };
	struct entity en;
	struct customer cu;
	struct inv_head h;
	struct inv_state st;
	struct inv_err err;
	struct rated r[4], *rp[4];
	int i;

	memset(&rule, 0, sizeof(rule));
	rule.entity = "e";
	rule.country = "*";
	rule.rate = D("19");
	memcpy(rule.category, "S", 2);
	rule.rounding = DEC_HALF_UP;
	memset(&en, 0, sizeof(en));
	en.id = "e";
	en.country = "DE";
	memset(&cu, 0, sizeof(cu));
	cu.id = "c";
	cu.country = "DE";
	cu.obj = json_object();
	memset(&h, 0, sizeof(h));
	h.en = &en;
	h.cu = &cu;
	h.minor = 2;
	memset(r, 0, sizeof(r));
	for (i = 0; i < 4; i++) {
		rp[i] = &r[i];
		r[i].key[0] = (unsigned char)(i + 1);
		r[i].quantity = D("1");
	}
	r[0].line_type = "usage";
	r[0].charge = "api";
	r[0].amount = D("100.00");
	r[1].line_type = "flat";
	r[1].charge = "seat";
	r[1].amount = D("50.00");
	r[2].line_type = "discount";	/* the whole bill's */
	r[2].amount = D("-15.00");
	r[3].line_type = "credit";
	r[3].amount = D("-5.00");
	qsort(rp, 4, sizeof(*rp), inv_rated_cmp);
	ok(strcmp(rp[0]->line_type, "flat") == 0 &&
	    strcmp(rp[3]->line_type, "credit") == 0,
	    "a bill's lines: flat, usage, discount, credit");
	ok(inv_state_build(&h, &tt, rp, 4, &st, &err) == 0 && st.nc == 1 &&
	    st.nl == 3 && eq(st.c[0].base, "135.00") &&
	    eq(st.c[0].tax, "25.65") && eq(st.credit, "-5.00") &&
	    strcmp(st.l[2].rkey + 2 * KEY_LEN, "#1") == 0 &&
	    strcmp(st.c[0].id, "S|19|excl|half-up") == 0,
	    "a bill: the discount shared on its one category, the credit "
	    "apart");
	inv_state_free(&st);

	json_object_set_new(cu.obj, "tax_exempt", json_true());
	ok(inv_state_build(&h, &tt, rp, 4, &st, &err) == 0 &&
	    strcmp(st.c[0].code, "E") == 0 && eq(st.c[0].tax, "0"),
	    "a tax-exempt customer: category E at 0%%");
	inv_state_free(&st);

	rule.entity = "other";
	ok(inv_state_build(&h, &tt, rp, 4, &st, &err) < 0 &&
	    strcmp(err.code, "no_tax_rule") == 0,
	    "no rule for the entity: no_tax_rule");
	inv_state_free(&st);

	/* payment terms: the customer's (CSV gives strings), else the entity's */
	en.terms_days = 30;
	ok(inv_terms(&h) == 30, "terms: the entity's when the customer has none");
	json_object_set_new(cu.obj, "payment_terms_days", json_string("14"));
	ok(inv_terms(&h) == 14, "terms: the customer's \"14\"");
	json_object_set_new(cu.obj, "payment_terms_days", json_string(""));
	ok(inv_terms(&h) == 30, "terms: an empty CSV cell is none");
	json_decref(cu.obj);
}

/* The same rated line, and the order invoice keys are numbered in. */
static void
key_tests(void)
{
	struct entity e1, e2;
	struct customer c1;
	struct inv_head a, b;
	struct rated r;
	unsigned char d1[KEY_LEN], d2[KEY_LEN];

	memset(&r, 0, sizeof(r));
	r.customer = "c";
	memcpy(r.currency, "EUR", 4);
	r.line_type = "usage";
	r.charge = "api";
	r.amount = D("1.50");
	r.quantity = D("3");
	inv_line_digest(&r, d1);
	r.amount = D("1.5");
	inv_line_digest(&r, d2);
	ok(memcmp(d1, d2, KEY_LEN) == 0, "digest: 1.50 and 1.5 are the same");
	r.amount = D("1.51");
	inv_line_digest(&r, d2);
	ok(memcmp(d1, d2, KEY_LEN) != 0, "digest: 1.51 is another line");

	memset(&e1, 0, sizeof(e1));
	memset(&e2, 0, sizeof(e2));
	memset(&c1, 0, sizeof(c1));
	e1.id = "acme-eu";
	e2.id = "acme-us";
	c1.id = "c";
	memset(&a, 0, sizeof(a));
	a.en = &e1;
	a.cu = &c1;
	memcpy(a.currency, "USD", 4);
	b = a;
	b.ps = -1;
	ok(inv_head_cmp(&a, &b) > 0 && inv_head_cmp(&b, &a) < 0,
	    "order: the earlier period first");
	memcpy(b.currency, "EUR", 4);
	b.ps = a.ps;
	ok(inv_head_cmp(&b, &a) < 0, "order: then by currency");
	b.en = &e2;
	ok(inv_head_cmp(&a, &b) < 0 && inv_head_cmp(&a, &a) == 0,
	    "order: the entity first");
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--oracle") == 0)
		return tap_oracle(run_line);
	if (argc != 1) {
		fprintf(stderr, "usage: test_invoice [--oracle]\n");
		return 64;
	}
	tax_tests();
	split_tests();
	delta_tests();
	kind_tests();
	build_tests();
	key_tests();
	return tap_done();
}
