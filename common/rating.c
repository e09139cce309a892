/*
 * rating.c: a bill's pricing (rating.h).
 *
 * A bill's lines depend on each other: the commitments look at what
 * the period's lines add up to, a discount at what is left after the
 * ones before it.  So the lines are priced in order, flat fees, usage,
 * true-ups, discounts, keeping each charge's sum; the first arithmetic
 * error stops the writing and fails the whole bill.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggrec.h"
#include "catalog.h"
#include "customers.h"
#include "jw.h"
#include "price.h"
#include "prorate.h"
#include "rated.h"
#include "rating.h"
#include "reject.h"
#include "tm.h"

size_t
rating_in_force(const struct clist *cl, int64_t ps, int64_t pe,
    const struct contract **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; cl != NULL && i < cl->n && n < max; i++)
		if (cl->c[i]->start < pe && cl->c[i]->end > ps)
			out[n++] = cl->c[i];
	return n;
}

/* What a contract's time in the period is: num / den of it. */
struct share {
	int64_t	 ss, se;		/* the service period */
	int64_t	 num, den;
};

static struct share
share_of(const struct contract *c, int64_t ps, int64_t pe)
{
	struct share s;

	s.ss = c->start > ps ? c->start : ps;
	s.se = c->end < pe ? c->end : pe;
	s.num = s.se - s.ss;
	s.den = pe - ps;
	return s;
}

/* One bill's pricing in progress. */
struct rater {
	const struct rating *g;
	struct rating_bill *b;
	const struct contract *u;	/* in force at the end: prices usage */
	int		 e;		/* first arithmetic error */
	dec		 total;		/* of the lines so far */
};

#define CHK(rt, x)	do { int e_ = (x); if (e_ != 0 && (rt)->e == 0) \
			    (rt)->e = e_; } while (0)

/*
 * A quotient t / den as a line shows it: half-even to 15 fraction digits
 * of the minor unit, the scale Lago keeps an amount before rounding in
 * (fees.precise_amount_cents, numeric(40,15) in cents), so that no digit
 * a peer keeps is lost; fewer only where 38 digits cannot hold that
 * many; trailing zeros dropped.  Shown, never used to round.
 */
#define RATING_SHOWN	15

static void
shown(struct rater *rt, dec t, int64_t den, int minor, dec *out)
{
	int s, e = DEC_ESCALE;

	for (s = minor + RATING_SHOWN; s >= 0; s--)
		if ((e = dec_div(t, dec_from_i64(den), s, DEC_HALF_EVEN,
		    out)) != DEC_ERANGE)
			break;
	CHK(rt, e);
	*out = dec_normalize(*out);
}

/*
 * A line's amount: x * num / den rounded once to the currency's minor
 * unit; amount_x is x itself when nothing is prorated, else the prorated
 * value as shown().
 */
static void
settle(struct rater *rt, struct rated_out *l, dec x, int64_t num, int64_t den)
{
	const struct plan *p = l->c->plan;
	dec t;

	if (num == den) {
		l->amount_x = x;
		CHK(rt, dec_round(x, p->minor, p->rounding, &l->amount));
		return;
	}
	CHK(rt, dec_mul(x, dec_from_i64(num), &t));
	shown(rt, t, den, p->minor, &l->amount_x);
	CHK(rt, dec_div(t, dec_from_i64(den), p->minor, p->rounding,
	    &l->amount));
}

/*
 * A line of contract c for charge ch (NULL: plan-wide), serving
 * [ss, se), quantity 1 until the caller says otherwise.
 */
static void
line_init(struct rated_out *l, const struct contract *c,
    const struct charge *ch, const char *type, const char *model,
    int64_t ss, int64_t se)
{
	memset(l, 0, sizeof(*l));
	l->c = c;
	l->ch = ch;
	l->type = type;
	l->model = model;
	l->ss = ss;
	l->se = se;
	l->qty = dec_from_i64(1);
}

static void
line_write(struct rater *rt, struct rated_out *l)
{
	struct rating_bill *b = rt->b;

	if (rt->e != 0)
		return;
	CHK(rt, dec_add(rt->total, l->amount, &rt->total));
	l->customer = b->customer;
	l->ps = b->ps;
	l->pe = b->pe;
	l->preview = rt->g->preview;
	rated_write(&b->out, l);
	b->nlines++;
}

static void
price_tiers(struct rater *rt, struct rated_out *l, const struct charge *ch,
    dec q, dec *x)
{
	struct price_step st[PRICE_MAXTIERS];
	size_t n = 0;

	if (ch->model == M_GRADUATED)
		CHK(rt, price_graduated(ch->tiers, ch->ntiers, q, st, &n, x));
	else
		CHK(rt, price_volume(ch->tiers, ch->ntiers, q, st, &n, x));
	rated_brk_tiers(l, ch, st, rt->e == 0 ? n : 0);
}

/*
 * Lago's order of a percentage charge's transactions: by the time of
 * their event (first_event_at), then by group (the transaction id when
 * the meter is grouped by it), which is unique on a line; an aggregate
 * without a time (hand-made) after those with one.
 */
static int
pct_order(const void *x, const void *y)
{
	const struct aggrec *a = *(struct aggrec *const *)x;
	const struct aggrec *b = *(struct aggrec *const *)y;

	if (a->has_first != b->has_first)
		return a->has_first ? -1 : 1;
	if (a->has_first && a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return strcmp(a->gtext, b->gtext);
}

/* Percentage: the line's transactions priced as Lago's model does. */
static void
price_pct(struct rater *rt, struct rated_out *l, const struct charge *ch,
    dec *x)
{
	struct price_pct p = { .rate = ch->rate, .fixed = ch->fixed,
	    .min = ch->has_min ? &ch->min : NULL,
	    .max = ch->has_max ? &ch->max : NULL,
	    .free_events = ch->free_events,
	    .free_total = ch->has_free_total ? ch->free_total : DEC_ZERO };
	struct price_pct_out o;
	struct aggrec **v;
	struct price_tx *tx;
	size_t i;

	v = xcalloc(l->na + 1, sizeof(*v));
	tx = xcalloc(l->na + 1, sizeof(*tx));
	if (l->na > 0)
		memcpy(v, l->a, l->na * sizeof(*v));
	qsort(v, l->na, sizeof(*v), pct_order);
	for (i = 0; i < l->na; i++) {
		tx[i].amount = v[i]->qty;
		tx[i].events = v[i]->events;
	}
	CHK(rt, price_pct_line(&p, tx, l->na, &o));
	*x = rt->e == 0 ? o.amount : DEC_ZERO;
	if (rt->e == 0)
		rated_brk_pct(l, ch, &o);
	free(tx);
	free(v);
}

/*
 * A prorated charge (prorate.h) over its aggregate's steps: the line's
 * quantity is the prorated one, its amount x / den (den: the period's
 * days for graduated, which rounds once at the end).
 */
static void
price_prorated(struct rater *rt, struct rated_out *l, const struct charge *ch,
    const struct prorate *p, dec *x, int64_t *den)
{
	dec full = DEC_ZERO;

	*den = 1;
	if (ch->model == M_UNIT)
		CHK(rt, prorate_unit(p, ch->unit_amount, x, den));
	else if (ch->model == M_VOLUME)
		CHK(rt, prorate_volume(ch->tiers, ch->ntiers, p, x, den));
	else
		CHK(rt, prorate_graduated(ch->tiers, ch->ntiers, p, x, den));
	CHK(rt, prorate_quantity(p, &l->qty, &full));
	l->billable = l->qty;
	rated_brk_prorated(l, ch, full, p->ndays);
}

/* A usage line over aggregates a[0..n) (one, or a combined group). */
static void
usage_line(struct rater *rt, const struct charge *ch, struct aggrec **a,
    size_t n, const char *gtext)
{
	struct rated_out l;
	dec q = DEC_ZERO, x = DEC_ZERO, pk;
	struct share s = share_of(rt->u, rt->b->ps, rt->b->pe);
	size_t i;

	line_init(&l, rt->u, ch, "usage", model_name(ch->model), s.ss, s.se);
	l.a = a;
	l.na = n;
	l.gtext = gtext;
	for (i = 0; i < n; i++)
		CHK(rt, dec_add(q, a[i]->qty, &q));
	l.qty = q;
	l.billable = q;
	if (ch->prorated && n == 1 && a[0]->pr != NULL) {
		int64_t den;

		price_prorated(rt, &l, ch, a[0]->pr, &x, &den);
		settle(rt, &l, x, 1, den);
		line_write(rt, &l);
		buf_free(&l.brk);
		return;
	}
	if (ch->has_free && dec_sign(q) >= 0) {
		l.has_free = 1;
		CHK(rt, price_free(q, ch->free_units, &l.billable));
	}
	switch (ch->model) {
	case M_FLAT:
		break;
	case M_UNIT:
		CHK(rt, price_unit(l.billable, ch->unit_amount, &x));
		rated_brk_unit(&l, ch);
		break;
	case M_GRADUATED:
	case M_VOLUME:
		price_tiers(rt, &l, ch, l.billable, &x);
		break;
	case M_PACKAGE:
		CHK(rt, price_package(l.billable, ch->package_size, ch->amount,
		    ch->round_up, &pk, &x));
		rated_brk_package(&l, ch, pk);
		break;
	case M_PERCENTAGE:
		price_pct(rt, &l, ch, &x);
		break;
	}
	settle(rt, &l, x, 1, 1);
	line_write(rt, &l);
	buf_free(&l.brk);
	(void)pk;
}

static int
agg_gcmp(const void *x, const void *y)
{
	const struct aggrec *a = *(struct aggrec *const *)x;
	const struct aggrec *b = *(struct aggrec *const *)y;

	return strcmp(a->gtext, b->gtext);
}

/* A metered charge's lines; returns their total through *sum. */
static void
charge_lines(struct rater *rt, const struct charge *ch, dec *sum)
{
	struct rating_bill *b = rt->b;
	struct aggrec **v;
	dec before = rt->total;
	size_t i, n = 0;

	v = xcalloc(b->n + 1, sizeof(*v));
	for (i = 0; i < b->n; i++)
		if (strcmp(b->a[i]->meter, ch->meter) == 0 &&
		    charge_matches(ch, b->a[i]->group))
			v[n++] = b->a[i];
	qsort(v, n, sizeof(*v), agg_gcmp);
	if (n == 0) {
		/* no usage: the line still says so (and a tier's flat fee) */
		struct buf g = { 0 };
		struct jw w;

		jw_init(&w, &g);
		if (ch->group != NULL)
			jw_json(&w, ch->group, NULL);
		else
			buf_adds(&g, "{}");
		usage_line(rt, ch, v, 0, buf_cstr(&g));
		buf_free(&g);
	} else if (ch->combine)
		usage_line(rt, ch, v, n, "{}");
	else
		for (i = 0; i < n; i++)
			usage_line(rt, ch, &v[i], 1, v[i]->gtext);
	free(v);
	CHK(rt, dec_sub(rt->total, before, sum));
}

static void
flat_line(struct rater *rt, const struct contract *c, const struct charge *ch,
    int64_t ps, int64_t pe)
{
	struct share s = share_of(c, ps, pe);
	struct rated_out l;

	if (s.num <= 0)
		return;
	line_init(&l, c, ch, "flat", "flat", s.ss, s.se);
	rated_brk_flat(&l, ch, s.num, s.den);
	settle(rt, &l, ch->amount, s.num, s.den);
	line_write(rt, &l);
	buf_free(&l.brk);
}

/* What flat_line() would bill, without a line: a fee billed before. */
static dec
flat_amount(struct rater *rt, const struct contract *c,
    const struct charge *ch, int64_t ps, int64_t pe)
{
	struct share s = share_of(c, ps, pe);
	struct rated_out l;

	if (s.num <= 0)
		return DEC_ZERO;
	memset(&l, 0, sizeof(l));
	l.c = c;
	settle(rt, &l, ch->amount, s.num, s.den);
	return l.amount;
}

/*
 * A commitment's true-up: max(commit_num / den - amount, 0), where
 * commit_num / den is the minimum for the time the contracts are in
 * force (as shown() has it when prorated).
 */
static void
trueup_line(struct rater *rt, const struct charge *ch, dec commit_num,
    int64_t den, dec amount)
{
	struct share s = share_of(rt->u, rt->b->ps, rt->b->pe);
	struct rated_out l;
	dec t, x, min;

	CHK(rt, dec_mul(amount, dec_from_i64(den), &t));
	CHK(rt, dec_sub(commit_num, t, &x));
	if (rt->e != 0 || dec_sign(x) <= 0)
		return;
	line_init(&l, rt->u, ch, "true_up", "minimum_commitment", s.ss, s.se);
	shown(rt, commit_num, den, l.c->plan->minor, &min);
	if (dec_round(min, l.c->plan->minor, DEC_DOWN, &t) == DEC_OK &&
	    dec_cmp(t, min) == 0)
		min = t;		/* 100.00, as the catalog has it */
	rated_brk_trueup(&l, min, amount);
	settle(rt, &l, x, 1, den);
	line_write(rt, &l);
	buf_free(&l.brk);
}

static void
discount_line(struct rater *rt, const struct discount *d,
    const struct charge *dch, dec base)
{
	struct share s = share_of(rt->u, rt->b->ps, rt->b->pe);
	struct rated_out l;
	dec off;

	CHK(rt, price_discount(base, d->percent, d->value,
	    d->has_cap ? &d->cap : NULL, &off));
	if (rt->e != 0 || dec_sign(off) == 0)
		return;
	line_init(&l, rt->u, dch, "discount", "discount", s.ss, s.se);
	l.disc = d;
	rated_brk_discount(&l, d, base);
	settle(rt, &l, dec_neg(off), 1, 1);
	line_write(rt, &l);
	buf_free(&l.brk);
}

/* The next billing period, for fees billed in advance. */
static int
next_period(const struct rating *g, const struct rating_bill *b,
    const struct plan *p, struct tm_period *np)
{
	const struct customer *cu = cust_by_id(g->cust, b->customer);
	struct tm_period cur = { b->ps, b->pe };

	if (cu == NULL)
		return -1;
	return tm_period_next(&cur, p->interval,
	    p->interval == TM_MONTH ? cu->anchor : 0, cu->tz, np);
}

void
rating_price(const struct rating *g, struct rating_bill *b)
{
	const struct contract *o[RATING_MAXOVERLAP], *c;
	const struct charge *ch;
	struct rater rt;
	struct tm_period np;
	struct share s;
	dec *sum, commit = DEC_ZERO, svc = DEC_ZERO, t, t0;
	size_t n, i, j, k;

	memset(&rt, 0, sizeof(rt));
	rt.g = g;
	rt.b = b;
	n = rating_in_force(catalog_contracts(g->cat, b->customer), b->ps,
	    b->pe, o, RATING_MAXOVERLAP);
	rt.u = o[n - 1];
	b->u = rt.u;
	for (i = 0; i < n; i++)
		if (strcmp(o[i]->plan->currency, rt.u->plan->currency) != 0) {
			b->fail_code = "currency_change";
			b->fail_cls = RC_POLICY;
			snprintf(b->fail_msg, sizeof(b->fail_msg), "the "
			    "contracts in force in this period bill in %s and "
			    "%s; a period is billed in one currency",
			    o[i]->plan->currency, rt.u->plan->currency);
			return;
		}

	/*
	 * Flat fees: every contract in force, for its share of the period.
	 * svc sums what serves this period, wherever it is billed: it is
	 * what the commitments and the spending thresholds look at.  A fee
	 * billed in advance for the next period is on this bill but serves
	 * the next; this period's own was on the last bill (or is here, on
	 * a contract's first bill).
	 */
	sum = xcalloc(rt.u->ncharges + 1, sizeof(*sum));
	for (i = 0; i < n; i++) {
		c = o[i];
		for (j = 0; j < c->ncharges; j++) {
			ch = &c->charges[j];
			if (ch->model != M_FLAT)
				continue;
			t = rt.total;
			if (!ch->advance || c->start >= b->ps) {
				flat_line(&rt, c, ch, b->ps, b->pe);
				CHK(&rt, dec_sub(rt.total, t, &t0));
				CHK(&rt, dec_add(svc, t0, &svc));
			} else {
				CHK(&rt, dec_add(svc, flat_amount(&rt, c, ch,
				    b->ps, b->pe), &svc));
			}
			if (ch->advance && next_period(g, b, c->plan,
			    &np) < 0) {
				b->fail_code = "unknown_customer";
				b->fail_cls = RC_DATA;
				snprintf(b->fail_msg, sizeof(b->fail_msg),
				    "charge '%s' bills in advance and customer "
				    "'%s' is not in the customers file, so its "
				    "next period is not known", ch->id,
				    b->customer);
				free(sum);
				return;
			}
			if (ch->advance)
				flat_line(&rt, c, ch, np.start, np.end);
			if (c == rt.u)
				CHK(&rt, dec_sub(rt.total, t, &sum[j]));
		}
	}

	/* usage, priced whole by the contract in force at the end */
	t = rt.total;
	for (j = 0; j < rt.u->ncharges; j++)
		if (rt.u->charges[j].model != M_FLAT)
			charge_lines(&rt, &rt.u->charges[j], &sum[j]);
	CHK(&rt, dec_sub(rt.total, t, &t0));
	CHK(&rt, dec_add(svc, t0, &svc));
	b->spend = svc;

	/* commitments: per charge, then the plan's over the period's service */
	s = share_of(rt.u, b->ps, b->pe);
	for (j = 0; j < rt.u->ncharges; j++) {
		ch = &rt.u->charges[j];
		if (ch->model == M_FLAT || !ch->has_commit)
			continue;
		t = rt.total;
		CHK(&rt, dec_mul(ch->commit, dec_from_i64(s.num), &commit));
		trueup_line(&rt, ch, commit, s.den, sum[j]);
		CHK(&rt, dec_sub(rt.total, t, &t));
		CHK(&rt, dec_add(sum[j], t, &sum[j]));
		CHK(&rt, dec_add(svc, t, &svc));
	}
	commit = DEC_ZERO;
	for (i = 0, k = 0; i < n; i++)
		if (o[i]->has_commit) {
			s = share_of(o[i], b->ps, b->pe);
			CHK(&rt, dec_mul(o[i]->commit, dec_from_i64(s.num), &t));
			CHK(&rt, dec_add(commit, t, &commit));
			k++;
		}
	if (k > 0)
		trueup_line(&rt, NULL, commit, b->pe - b->ps, svc);

	/* discounts, in the contract's order, each on what is left */
	for (i = 0; i < rt.u->ndiscounts; i++) {
		const struct discount *d = &rt.u->discounts[i];

		if (d->charge == NULL) {
			discount_line(&rt, d, NULL, rt.total);
			continue;
		}
		for (j = 0; rt.u->charges[j].id != d->charge; j++)
			;	/* the catalog checked it is there */
		t = rt.total;
		discount_line(&rt, d, &rt.u->charges[j], sum[j]);
		CHK(&rt, dec_sub(rt.total, t, &t));
		CHK(&rt, dec_add(sum[j], t, &sum[j]));
	}
	free(sum);
	b->total = rt.total;
	if (rt.e != 0) {
		b->fail_code = "amount_overflow";
		b->fail_cls = RC_DATA;
		snprintf(b->fail_msg, sizeof(b->fail_msg), "rating customer "
		    "'%s' failed: %s", b->customer, rt.e >= PRICE_ENEG ?
		    price_strerror(rt.e) : dec_strerror(rt.e));
	}
}

dec
rating_credit_want(const struct rating_bill *b, dec bal)
{
	dec want;

	want = dec_sign(b->total) > 0 ? b->total : DEC_ZERO;
	if (dec_cmp(want, bal) > 0)
		want = dec_sign(bal) > 0 ? bal : DEC_ZERO;
	return want;
}

/* ---- prepaid credit grants: which a bill draws on, and how much ---- */

dec
rating_grant_avail(const struct rating_bill *b, int64_t granted,
    int64_t expires, dec amount, dec others, dec mine, int redraw,
    int64_t now)
{
	dec left;

	/* open at the period's end: granted before it, expiring at or after */
	if (granted >= b->pe || expires < b->pe)
		return DEC_ZERO;
	if (dec_sub(amount, others, &left) != DEC_OK || dec_sign(left) <= 0)
		return DEC_ZERO;
	if (redraw && expires < now && dec_cmp(left, mine) > 0)
		left = mine;
	return left;
}

dec
rating_credit_alloc(const struct rating_bill *b, struct rating_grant *g,
    size_t n, dec *balance)
{
	dec bal = DEC_ZERO, want, left;
	size_t i;

	for (i = 0; i < n; i++)
		if (dec_add(bal, g[i].avail, &bal) != DEC_OK)
			die(EX_DATAERR, "the prepaid credit of customer '%s' "
			    "overflows", b->customer);
	want = left = rating_credit_want(b, bal);
	for (i = 0; i < n; i++) {
		g[i].take = dec_cmp(g[i].avail, left) < 0 ? g[i].avail : left;
		if (dec_sign(g[i].take) < 0)
			g[i].take = DEC_ZERO;
		/* whole minor units less whole minor units: exact */
		if (dec_sub(left, g[i].take, &left) != DEC_OK)
			die(EX_SOFTWARE, "credit draw arithmetic");
	}
	*balance = bal;
	return want;
}

void
rating_credit_line(const struct rating *g, struct rating_bill *b, dec want,
    dec bal, const struct rating_grant *gr, size_t ngr)
{
	struct rater rt;
	struct rated_out l;
	const char **ids;
	dec after, *amt;
	size_t i, k;

	if (dec_sign(want) == 0)
		return;
	memset(&rt, 0, sizeof(rt));
	rt.g = g;
	rt.b = b;
	rt.u = b->u;
	rt.total = b->total;
	line_init(&l, b->u, NULL, "credit", "prepaid_credit", b->ps, b->pe);
	/* grants are whole minor units (the catalog checks): exact */
	if (dec_sub(bal, want, &after) != DEC_OK ||
	    dec_round(bal, b->u->plan->minor, DEC_HALF_EVEN, &bal) != DEC_OK ||
	    dec_round(after, b->u->plan->minor, DEC_HALF_EVEN, &after) !=
	    DEC_OK)
		die(EX_SOFTWARE, "credit balance arithmetic");
	rated_brk_credit(&l, bal, after, b->total);
	ids = xcalloc(ngr + 1, sizeof(*ids));
	amt = xcalloc(ngr + 1, sizeof(*amt));
	for (i = k = 0; i < ngr; i++)
		if (dec_sign(gr[i].take) > 0) {
			ids[k] = gr[i].id;
			if (dec_round(gr[i].take, b->u->plan->minor,
			    DEC_HALF_EVEN, &amt[k++]) != DEC_OK)
				die(EX_SOFTWARE, "credit draw arithmetic");
		}
	rated_brk_grants(&l, ids, amt, k);
	free(ids);
	free(amt);
	settle(&rt, &l, dec_neg(want), 1, 1);
	line_write(&rt, &l);
	buf_free(&l.brk);
}

int
rating_threshold(const struct rating_bill *b, const struct threshold *t,
    dec *amount)
{
	const struct contract *u = b->u;
	dec v;

	v = t->value;
	if (t->percent && (dec_mul(u->commit, t->value, &v) != DEC_OK ||
	    dec_div(v, dec_from_i64(100), u->plan->minor,
	    u->plan->rounding, &v) != DEC_OK))
		return 0;
	*amount = v;
	return dec_cmp(b->spend, v) >= 0;
}
