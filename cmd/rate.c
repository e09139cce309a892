/*
 * rate: rating.
 *
 * Reads aggregates (meter-aggregate's output) and applies each customer's
 * contract from the pricing catalog: one rated line per customer x charge
 * x billing period (x group when the charge prices groups apart), with the
 * model's breakdown, then the period's commitments, discounts and prepaid
 * credits.  See rate(1) and the catalog in usage-to-cash(5).
 *
 * A period's lines depend on each other (a plan's commitment and
 * discounts look at all of them), so the aggregates are read first and
 * kept, grouped into bills (customer x period); memory grows with the
 * aggregates, never with the events behind them.  Then each bill is
 * rated; credits are drawn and alerts claimed in one ledger transaction,
 * and only after it commits are the lines written.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggrec.h"
#include "catalog.h"
#include "cli.h"
#include "customers.h"
#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "ledger.h"
#include "lines.h"
#include "out.h"
#include "price.h"
#include "rated.h"
#include "reject.h"
#include "spill.h"
#include "stagein.h"
#include "tm.h"
#include "util.h"

/*
 * One aggregate read: customer, meter and group text interned, the group
 * shared by the aggregates of a group; and where it was read, for a
 * reject after reading.  A bill holds &rec, which is first so that
 * fail_bill() finds the rest.
 */
struct agg {
	struct aggrec	 rec;
	char		*file;
	uint64_t	 rawoff;	/* the raw line, in the spill file */
	size_t		 rawlen;
	uint64_t	 line;
};

/* A customer's billing period, with its aggregates. */
struct bill {
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

struct rate {
	const char	*catalog_path, *customers_path, *ledger_path;
	const char	*rejects_path, *stats_path, *alerts_path;
	int64_t		 as_of, from, to;
	int		 windowed, preview, strict, busy_ms, max_depth;
	size_t		 max_line;

	struct catalog	 cat;
	struct custdb	 cust;
	struct ledger	*ldg;
	struct rej	 rej;
	struct stagein	 in;
	struct spill	 spill;		/* raw lines, for rejects */
	FILE		*alerts_fp;

	struct hmap	 keys;		/* aggregate key -> struct agg * */
	struct hmap	 bills;		/* customer \0 ps -> struct bill * */
	/*
	 * What aggregates share, kept once: customer and meter names and
	 * group texts (string -> copy), and groups (text -> json_t *).
	 */
	struct hmap	 strs, groups;
	struct bill	**bv;
	size_t		 nb;

	/* accounting */
	uint64_t	 rated, dups, outside;	/* read, rejected: in's */
	uint64_t	 nlines, nalerts, nbills, nfailed, ndraws;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --catalog FILE [--ledger PATH] [--as-of TIME] [--preview]\n"
"            [--customers FILE] [--from TIME --to TIME] [--alerts FILE]\n"
"            [--rejects FILE] [--stats FILE] [--busy-timeout MS] [--strict]\n"
"            [--max-line BYTES] [--max-depth N] [FILE...]\n"
"       %s --help | --version\n", progname, progname);
	if (code == 0)
		fprintf(fp,
"\nReads aggregates (meter-aggregate's output) from the files or stdin and\n"
"writes rated lines on stdout: each customer's contract from the catalog\n"
"applied to each billing period, with the breakdown of every amount.  With\n"
"--ledger, prepaid credits are drawn (once per period) and spending alerts\n"
"fire once per threshold and period.  --preview rates open periods and\n"
"draws nothing.  See rate(1).\n");
	exit(code);
}

/* ---- reading aggregates ---- */

/* The contracts of c in force during [ps, pe), first to last. */
static size_t
in_force(const struct clist *cl, int64_t ps, int64_t pe,
    const struct contract **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; cl != NULL && i < cl->n && n < max; i++)
		if (cl->c[i]->start < pe && cl->c[i]->end > ps)
			out[n++] = cl->c[i];
	return n;
}

#define MAXOVERLAP	16

static void
agg_free(struct agg *a)
{
	free(a);
}


static struct bill *
bill_get(struct rate *r, const char *customer, int64_t ps, int64_t pe,
    int create)
{
	struct buf k = { 0 };
	struct bill *b;
	void **ref;

	buf_adds(&k, customer);
	buf_addc(&k, '\0');
	buf_add(&k, &ps, sizeof(ps));
	ref = hmap_ref(&r->bills, k.p, k.len);
	buf_free(&k);
	if ((b = *ref) != NULL || !create)
		return b;
	b = xcalloc(1, sizeof(*b));
	b->customer = xstrdup(customer);
	b->ps = ps;
	b->pe = pe;
	*ref = b;
	r->bv = xreallocarray(r->bv, r->nb + 1, sizeof(*r->bv));
	r->bv[r->nb++] = b;
	return b;
}

/*
 * Check what pricing needs before accepting the aggregate, so that each
 * problem is a reject of its own record.
 */
static int
priceable(struct stagein *s, const struct aggrec *a, const struct contract *u)
{
	const struct charge *ch;
	size_t i, nmeter = 0, nmatch = 0;

	for (i = 0; i < u->ncharges; i++) {
		ch = &u->charges[i];
		if (ch->meter == NULL || strcmp(ch->meter, a->meter) != 0)
			continue;
		nmeter++;
		if (!charge_matches(ch, a->group))
			continue;
		nmatch++;
		if (dec_sign(a->qty) < 0 && ch->model != M_UNIT) {
			si_reject(s, RC_DATA, "negative_quantity", "quantity",
			    "quantity %s is negative: charge '%s' (%s) "
			    "prices only quantities of 0 or more",
			    json_string_value(json_object_get(s->jr.root,
			    "quantity")), ch->id, model_name(ch->model));
			return -1;
		}
		if (ch->model == M_PERCENTAGE && a->events > 1 &&
		    (ch->has_min || ch->has_max)) {
			si_reject(s, RC_POLICY, "not_per_transaction", "events",
			    "charge '%s' has a per-transaction minimum or "
			    "maximum but this aggregate sums %" PRId64
			    " transactions: group the meter by the "
			    "transaction id", ch->id, a->events);
			return -1;
		}
	}
	if (nmeter == 0) {
		si_reject(s, RC_POLICY, "unpriced_meter", "meter", "no charge of "
		    "plan '%s' v%" PRId64 " (customer '%s') prices meter "
		    "'%s'", u->plan->id, u->plan->version, a->customer,
		    a->meter);
		return -1;
	}
	if (nmatch == 0) {
		si_reject(s, RC_POLICY, "unpriced_group", "group", "no charge of "
		    "plan '%s' v%" PRId64 " prices meter '%s' for group %s",
		    u->plan->id, u->plan->version, a->meter, a->gtext);
		return -1;
	}
	return 0;
}

/*
 * With the customer master, an aggregate's period must be one of the
 * customer's billing periods (its zone and anchor): one made with
 * another master would bill a period twice, or a part of it.
 */
static int
billing_period(struct rate *r, struct stagein *s, const struct aggrec *a,
    const struct plan *p)
{
	const struct customer *cu = cust_by_id(&r->cust, a->customer);
	struct tm_period bp;
	char b1[TM_FMTMAX], b2[TM_FMTMAX];

	if (cu == NULL) {
		si_reject(s, RC_DATA, "unknown_customer", "customer", "customer "
		    "'%s' is not in the customers file", a->customer);
		return 0;
	}
	if (tm_period_of(a->ps, p->interval, p->interval == TM_MONTH ?
	    cu->anchor : 0, cu->tz, &bp) == 0 && bp.start == a->ps &&
	    bp.end == a->pe)
		return 1;
	tm_fmt(bp.start, b1, sizeof(b1));
	tm_fmt(bp.end, b2, sizeof(b2));
	if (cu->anchor && p->interval == TM_MONTH)
		si_reject(s, RC_DATA, "period_mismatch", "period_start", "not a "
		    "billing period of customer '%s' (%s, billing_anchor %d): "
		    "the %s there is %s .. %s", a->customer, cu->timezone,
		    cu->anchor, tm_unit_name(p->interval), b1, b2);
	else
		si_reject(s, RC_DATA, "period_mismatch", "period_start", "not a "
		    "billing period of customer '%s' (%s): the %s there is "
		    "%s .. %s", a->customer, cu->timezone,
		    tm_unit_name(p->interval), b1, b2);
	return 0;
}

static void
read_one(struct stagein *s, void *arg)
{
	const struct contract *o[MAXOVERLAP], *u;
	struct rate *r = arg;
	struct buf gb = { 0 };
	struct agg g, *old;
	struct aggrec *a = &g.rec;
	struct bill *b;
	struct jw w;
	char ts[TM_FMTMAX];
	void **ref;
	size_t n;

	if (aggrec_read(s, a) < 0)
		return;
	jw_init(&w, &gb);
	jw_json(&w, a->group, &s->jr);
	a->gtext = hmap_intern(&r->strs, buf_cstr(&gb));
	buf_free(&gb);
	a->customer = hmap_intern(&r->strs, a->customer);
	a->meter = hmap_intern(&r->strs, a->meter);
	ref = hmap_ref(&r->groups, a->gtext, strlen(a->gtext));
	if (*ref == NULL)
		*ref = json_incref(a->group);
	a->group = *ref;

	/* the same aggregate twice: a duplicate, or a conflict */
	ref = hmap_ref(&r->keys, (const char *)a->key, KEY_LEN);
	if ((old = *ref) != NULL) {
		if (aggrec_same(&old->rec, a)) {
			r->dups++;
		} else
			si_reject(s, RC_CONFLICT, "idempotency_conflict", "key",
			    "aggregate key already read on %s:%" PRIu64
			    " with other content", old->file, old->line);
		return;
	}
	if (r->windowed && (a->pe <= r->from || a->pe > r->to)) {
		r->outside++;
		return;
	}
	if (!r->preview && a->pe > r->as_of) {
		tm_fmt(a->pe, ts, sizeof(ts));
		si_reject(s, RC_POLICY, "period_open", "period_end", "the period "
		    "ends %s, after --as-of: it is still open; rate it with "
		    "--preview", ts);
		return;
	}
	n = in_force(catalog_contracts(&r->cat, a->customer), a->ps, a->pe, o,
	    MAXOVERLAP);
	if (n == 0) {
		tm_fmt(a->ps, ts, sizeof(ts));
		si_reject(s, RC_POLICY, "no_contract", "customer", "customer '%s' "
		    "has no contract in force in the period starting %s",
		    a->customer, ts);
		return;
	}
	u = o[n - 1];
	if (a->unit != u->plan->interval) {
		si_reject(s, RC_POLICY, "period_mismatch", "period", "the "
		    "aggregate's period is a %s; plan '%s' v%" PRId64 " bills "
		    "by %s", tm_unit_name(a->unit), u->plan->id,
		    u->plan->version, tm_unit_name(u->plan->interval));
		return;
	}
	if (r->customers_path != NULL && !billing_period(r, s, a, u->plan))
		return;
	if (priceable(s, a, u) < 0)
		return;
	b = bill_get(r, a->customer, a->ps, a->pe, 1);
	if (b->pe != a->pe) {
		tm_fmt(b->pe, ts, sizeof(ts));
		si_reject(s, RC_DATA, "period_mismatch", "period_end", "another "
		    "aggregate of customer '%s' has the period with this start "
		    "ending %s", a->customer, ts);
		return;
	}
	g.file = (char *)s->s.file;
	g.line = s->s.line;
	g.rawoff = spill_put(&r->spill, s->s.raw, s->s.rawlen);
	g.rawlen = s->s.rawlen;
	old = xmalloc(sizeof(*old));
	*old = g;
	*ref = old;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 8;
		b->a = xreallocarray(b->a, b->cap, sizeof(*b->a));
	}
	b->a[b->n++] = &old->rec;
	r->rated++;
}

/* ---- rating a bill ---- */

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

struct rater {
	struct rate	*r;
	struct bill	*b;
	const struct contract *u;	/* in force at the end: prices usage */
	int		 e;		/* first arithmetic error */
	dec		 total;		/* of the lines so far */
};

#define CHK(rt, x)	do { int e_ = (x); if (e_ != 0 && (rt)->e == 0) \
			    (rt)->e = e_; } while (0)

/*
 * A line's amount: x * num / den rounded once to the currency's minor
 * unit; amount_x is x itself when nothing is prorated, else the prorated
 * value to at most 12 decimals (shown, never used to round).
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
	CHK(rt, dec_div(t, dec_from_i64(den), 12, DEC_HALF_EVEN, &l->amount_x));
	l->amount_x = dec_normalize(l->amount_x);
	CHK(rt, dec_div(t, dec_from_i64(den), p->minor, p->rounding,
	    &l->amount));
}

static void
line_write(struct rater *rt, struct rated_out *l)
{
	struct bill *b = rt->b;

	if (rt->e != 0)
		return;
	CHK(rt, dec_add(rt->total, l->amount, &rt->total));
	l->customer = b->customer;
	l->ps = b->ps;
	l->pe = b->pe;
	l->preview = rt->r->preview;
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

/* Percentage: each aggregate is transactions; their fees add up. */
static void
price_pct(struct rater *rt, struct rated_out *l, const struct charge *ch,
    dec *x)
{
	dec fee, base = DEC_ZERO, f;
	int64_t tx = 0, clamped = 0;
	size_t i;

	*x = DEC_ZERO;
	for (i = 0; i < l->na; i++) {
		const struct aggrec *a = l->a[i];

		if (a->events == 1) {
			CHK(rt, price_percentage(a->qty, ch->rate, ch->fixed,
			    ch->has_min ? &ch->min : NULL,
			    ch->has_max ? &ch->max : NULL, &fee));
			CHK(rt, price_percentage(a->qty, ch->rate, ch->fixed,
			    NULL, NULL, &f));
			clamped += rt->e == 0 && dec_cmp(f, fee) != 0;
		} else {
			CHK(rt, price_percentage(a->qty, ch->rate, DEC_ZERO,
			    NULL, NULL, &fee));
			CHK(rt, dec_mul(ch->fixed, dec_from_i64(a->events), &f));
			CHK(rt, dec_add(fee, f, &fee));
		}
		CHK(rt, dec_add(*x, fee, x));
		CHK(rt, dec_add(base, a->qty, &base));
		tx += a->events;
	}
	rated_brk_pct(l, ch, tx, clamped, base);
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

	memset(&l, 0, sizeof(l));
	l.c = rt->u;
	l.ch = ch;
	l.type = "usage";
	l.model = model_name(ch->model);
	l.ss = s.ss;
	l.se = s.se;
	l.a = a;
	l.na = n;
	l.gtext = gtext;
	for (i = 0; i < n; i++)
		CHK(rt, dec_add(q, a[i]->qty, &q));
	l.qty = q;
	l.billable = q;
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
	struct bill *b = rt->b;
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
	memset(&l, 0, sizeof(l));
	l.c = c;
	l.ch = ch;
	l.type = "flat";
	l.model = "flat";
	l.ss = s.ss;
	l.se = s.se;
	l.qty = dec_from_i64(1);
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
 * force (shown to at most 12 decimals when prorated).
 */
static void
trueup_line(struct rater *rt, const struct charge *ch, dec commit_num,
    int64_t den, dec amount)
{
	struct share s = share_of(rt->u, rt->b->ps, rt->b->pe);
	struct rated_out l;
	dec t, x, shown;

	CHK(rt, dec_mul(amount, dec_from_i64(den), &t));
	CHK(rt, dec_sub(commit_num, t, &x));
	if (rt->e != 0 || dec_sign(x) <= 0)
		return;
	memset(&l, 0, sizeof(l));
	l.c = rt->u;
	l.ch = ch;
	l.type = "true_up";
	l.model = "minimum_commitment";
	l.ss = s.ss;
	l.se = s.se;
	l.qty = dec_from_i64(1);
	CHK(rt, dec_div(commit_num, dec_from_i64(den), 12, DEC_HALF_EVEN,
	    &shown));
	shown = dec_normalize(shown);
	if (dec_round(shown, l.c->plan->minor, DEC_DOWN, &t) == DEC_OK &&
	    dec_cmp(t, shown) == 0)
		shown = t;		/* 100.00, as the catalog has it */
	rated_brk_trueup(&l, shown, amount);
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
	memset(&l, 0, sizeof(l));
	l.c = rt->u;
	l.ch = dch;
	l.disc = d;
	l.type = "discount";
	l.model = "discount";
	l.ss = s.ss;
	l.se = s.se;
	l.qty = dec_from_i64(1);
	rated_brk_discount(&l, d, base);
	settle(rt, &l, dec_neg(off), 1, 1);
	line_write(rt, &l);
	buf_free(&l.brk);
}

/* The next billing period, for fees billed in advance. */
static int
next_period(struct rate *r, const struct bill *b, const struct plan *p,
    struct tm_period *np)
{
	const struct customer *cu = cust_by_id(&r->cust, b->customer);
	struct tm_period cur = { b->ps, b->pe };

	if (cu == NULL)
		return -1;
	return tm_period_next(&cur, p->interval,
	    p->interval == TM_MONTH ? cu->anchor : 0, cu->tz, np);
}

static void
rate_bill(struct rate *r, struct bill *b)
{
	const struct contract *o[MAXOVERLAP], *c;
	const struct charge *ch;
	struct rater rt;
	struct tm_period np;
	struct share s;
	dec *sum, commit = DEC_ZERO, svc = DEC_ZERO, t, t0;
	size_t n, i, j, k;

	memset(&rt, 0, sizeof(rt));
	rt.r = r;
	rt.b = b;
	n = in_force(catalog_contracts(&r->cat, b->customer), b->ps, b->pe, o,
	    MAXOVERLAP);
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
			if (ch->advance && next_period(r, b, c->plan,
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

/* ---- prepaid credits and spending alerts ---- */

static int
has_grants(const struct clist *cl)
{
	size_t i;

	for (i = 0; cl != NULL && i < cl->n; i++)
		if (cl->c[i]->ngrants > 0)
			return 1;
	return 0;
}

static void
grants_record(struct rate *r)
{
	const struct contract *c;
	struct ldg_grant g;
	char ts[TM_FMTMAX];
	size_t i, j;

	for (i = 0; i < r->cat.ncontracts; i++) {
		c = &r->cat.contracts[i];
		for (j = 0; j < c->ngrants; j++) {
			g.customer = c->customer;
			g.id = c->grants[j].id;
			g.currency = c->plan->currency;
			g.amount = c->grants[j].amount;
			g.granted = c->grants[j].granted;
			if (ldg_credit_grant(r->ldg, &g, r->as_of) ==
			    LDG_CONFLICT) {
				tm_fmt(g.granted, ts, sizeof(ts));
				die(EX_DATAERR, "%s: contracts[%zu]: prepaid "
				    "credit '%s' of customer '%s' is in the "
				    "ledger with another currency, amount or "
				    "time than %s %s at %s (an "
				    "idempotency_conflict): a grant is never "
				    "changed; give a new one another id",
				    r->cat.path, c->idx, g.id, g.customer,
				    g.currency, "(see the catalog)", ts);
			}
		}
	}
}

static void
credit_line(struct rate *r, struct bill *b)
{
	const char *cur = b->u->plan->currency;
	struct rater rt;
	struct rated_out l;
	dec prev, pbal, bal, want, after;
	int had;

	bal = ldg_credit_balance(r->ldg, b->customer, cur, b->pe, b->ps);
	had = ldg_credit_drawn(r->ldg, b->customer, cur, b->ps, &prev, &pbal);
	want = dec_sign(b->total) > 0 ? b->total : DEC_ZERO;
	if (dec_cmp(want, bal) > 0)
		want = dec_sign(bal) > 0 ? bal : DEC_ZERO;
	if (!had && dec_sign(want) == 0)
		return;
	if (had && dec_cmp(prev, want) == 0)
		/* rated before: the same draw, as it was recorded */
		bal = pbal;
	else {
		ldg_credit_draw(r->ldg, b->customer, cur, b->ps, b->pe, want,
		    bal, r->as_of);
		r->ndraws++;
	}
	if (dec_sign(want) == 0)
		return;
	memset(&rt, 0, sizeof(rt));
	rt.r = r;
	rt.b = b;
	rt.u = b->u;
	rt.total = b->total;
	memset(&l, 0, sizeof(l));
	l.c = b->u;
	l.type = "credit";
	l.model = "prepaid_credit";
	l.ss = b->ps;
	l.se = b->pe;
	l.qty = dec_from_i64(1);
	/* grants are whole minor units (the catalog checks): exact */
	if (dec_sub(bal, want, &after) != DEC_OK ||
	    dec_round(bal, b->u->plan->minor, DEC_HALF_EVEN, &bal) != DEC_OK ||
	    dec_round(after, b->u->plan->minor, DEC_HALF_EVEN, &after) !=
	    DEC_OK)
		die(EX_SOFTWARE, "credit balance arithmetic");
	rated_brk_credit(&l, bal, after, b->total);
	settle(&rt, &l, dec_neg(want), 1, 1);
	line_write(&rt, &l);
	buf_free(&l.brk);
}

static void
alerts(struct rate *r, struct bill *b)
{
	const struct contract *u = b->u;
	const struct threshold *t;
	struct rated_alert al;
	dec v;
	size_t i;

	for (i = 0; i < u->nthresholds; i++) {
		t = &u->thresholds[i];
		v = t->value;
		if (t->percent && (dec_mul(u->commit, t->value, &v) != DEC_OK ||
		    dec_div(v, dec_from_i64(100), u->plan->minor,
		    u->plan->rounding, &v) != DEC_OK))
			continue;
		if (dec_cmp(b->spend, v) < 0)
			continue;
		if (r->ldg != NULL && ldg_alert_claim(r->ldg, b->customer,
		    t->id, b->ps, b->pe, b->spend, r->as_of) != LDG_NEW)
			continue;
		al.customer = b->customer;
		al.c = u;
		al.threshold = t->id;
		al.threshold_amount = v;
		al.amount = b->spend;
		al.ps = b->ps;
		al.pe = b->pe;
		al.as_of = r->as_of;
		al.preview = r->preview;
		rated_alert_write(&b->alerts, &al);
		r->nalerts++;
	}
}

/* ---- the run ---- */

static int
bill_cmp(const void *x, const void *y)
{
	const struct bill *a = *(struct bill *const *)x;
	const struct bill *b = *(struct bill *const *)y;
	int c = strcmp(a->customer, b->customer);

	if (c != 0)
		return c;
	return a->ps < b->ps ? -1 : a->ps > b->ps;
}

/* --from/--to with --customers: every period of every contract. */
static void
enumerate(struct rate *r)
{
	const struct contract *c;
	const struct customer *cu;
	struct tm_period p;
	size_t i;
	int anchor;

	for (i = 0; i < r->cat.ncontracts; i++) {
		c = &r->cat.contracts[i];
		if ((cu = cust_by_id(&r->cust, c->customer)) == NULL) {
			warnmsg("%s: contracts[%zu]: customer '%s' is not in "
			    "the customers file: its periods without usage "
			    "are not billed", r->cat.path, c->idx,
			    c->customer);
			continue;
		}
		anchor = c->plan->interval == TM_MONTH ? cu->anchor : 0;
		if (tm_period_of(r->from, c->plan->interval, anchor, cu->tz,
		    &p) < 0)
			die(EX_USAGE, "--from: no billing period there");
		if (p.end == r->from && tm_period_next(&p, c->plan->interval,
		    anchor, cu->tz, &p) < 0)
			die(EX_USAGE, "--from: no billing period after it");
		while (p.end <= r->to) {
			if (c->start < p.end && c->end > p.start &&
			    (r->preview || p.end <= r->as_of))
				bill_get(r, c->customer, p.start, p.end, 1);
			if (tm_period_next(&p, c->plan->interval, anchor,
			    cu->tz, &p) < 0)
				break;
		}
	}
}

static void
fail_bill(struct rate *r, struct bill *b)
{
	const struct agg *g;
	struct buf raw = { 0 };
	struct rej_src s;
	char ts[TM_FMTMAX];
	size_t i;

	tm_fmt(b->ps, ts, sizeof(ts));
	warnmsg("customer '%s', the period starting %s is not billed: %s: %s",
	    b->customer, ts, b->fail_code, b->fail_msg);
	r->nfailed++;
	for (i = 0; i < b->n; i++) {
		g = (const struct agg *)b->a[i];	/* its rec */
		memset(&s, 0, sizeof(s));
		s.file = g->file;
		s.line = g->line;
		spill_get(&r->spill, g->rawoff, g->rawlen, &raw);
		s.raw = raw.p;
		s.rawlen = raw.len;
		rej_add(&r->rej, &s, b->fail_cls, b->fail_code, "", "%s",
		    b->fail_msg);
	}
	r->rated -= b->n;
	r->in.rejected += b->n;
	buf_reset(&b->out);
	buf_reset(&b->alerts);
	buf_free(&raw);
}

static void
write_stats(struct rate *r)
{
	struct buf b = { 0 };
	struct jw w;

	rej_stats_begin(&w, &b, "rate");
	JW_KEY(&w, "read");
	jw_int(&w, (int64_t)r->in.read);
	JW_KEY(&w, "rated");
	jw_int(&w, (int64_t)r->rated);
	JW_KEY(&w, "duplicates");
	jw_int(&w, (int64_t)r->dups);
	JW_KEY(&w, "outside_window");
	jw_int(&w, (int64_t)r->outside);
	JW_KEY(&w, "rejected");
	jw_int(&w, (int64_t)r->in.rejected);
	rej_stats(&r->rej, &w);
	JW_KEY(&w, "blank_lines");
	jw_int(&w, (int64_t)r->in.blank);
	JW_KEY(&w, "bills");
	jw_int(&w, (int64_t)r->nbills);
	JW_KEY(&w, "bills_failed");
	jw_int(&w, (int64_t)r->nfailed);
	JW_KEY(&w, "lines");
	jw_int(&w, (int64_t)r->nlines);
	JW_KEY(&w, "alerts");
	jw_int(&w, (int64_t)r->nalerts);
	JW_KEY(&w, "credit_draws");
	jw_int(&w, (int64_t)r->ndraws);
	JW_KEY(&w, "preview");
	jw_bool(&w, r->preview);
	JW_KEY(&w, "as_of");
	jw_time(&w, r->as_of);
	JW_KEY(&w, "rejects_file");
	jw_str(&w, r->rejects_path);
	jw_close(&w, '}');
	buf_addc(&b, '\n');
	out_write_file(r->stats_path, b.p, b.len);
	buf_free(&b);
}

static void
summary(struct rate *r)
{
	struct buf b = { 0 };

	buf_printf(&b, "read %" PRIu64 ", rated %" PRIu64 ", duplicates %"
	    PRIu64 ", outside the window %" PRIu64 ", rejected %" PRIu64
	    "; %" PRIu64 " line%s in %" PRIu64 " bill%s, %" PRIu64
	    " alert%s%s", r->in.read, r->rated, r->dups, r->outside, r->in.rejected,
	    r->nlines, r->nlines == 1 ? "" : "s", r->nbills,
	    r->nbills == 1 ? "" : "s", r->nalerts, r->nalerts == 1 ? "" : "s",
	    r->preview ? " (preview)" : "");
	rej_summary(&r->rej, &b);
	warnmsg("%s", buf_cstr(&b));
	buf_free(&b);
}

/*
 * Bills are rated, recorded and written RATE_BATCH at a time: the batch's
 * credit draws and alerts are committed in one transaction, and only then
 * its lines, alerts and rejects written and its buffers freed.  So memory
 * holds one batch's output, not the whole run's, and a run that dies has
 * recorded and written the batches before the one in flight (a re-run
 * writes the same lines and draws nothing twice).
 */
#define RATE_BATCH	1024

static void
run(struct rate *r)
{
	struct bill *b;
	size_t i, lo = 0, hi;

	si_each(&r->in, read_one, r);
	if (r->windowed && r->customers_path != NULL)
		enumerate(r);
	if (r->nb > 0)
		qsort(r->bv, r->nb, sizeof(*r->bv), bill_cmp);
	do {
		hi = r->nb - lo > RATE_BATCH ? lo + RATE_BATCH : r->nb;
		for (i = lo; i < hi; i++)
			rate_bill(r, r->bv[i]);
		if (r->ldg != NULL) {
			ldg_begin(r->ldg);
			if (!r->preview && lo == 0)
				grants_record(r);
		}
		for (i = lo; i < hi; i++) {
			b = r->bv[i];
			if (b->fail_code != NULL)
				continue;
			if (r->ldg != NULL && !r->preview &&
			    has_grants(catalog_contracts(&r->cat, b->customer)))
				credit_line(r, b);
			alerts(r, b);
		}
		if (r->ldg != NULL)
			ldg_commit(r->ldg);

		/* durable: now the lines, the alerts and the rejects */
		for (i = lo; i < hi; i++) {
			b = r->bv[i];
			if (b->fail_code != NULL) {
				fail_bill(r, b);
				continue;
			}
			r->nbills++;
			r->nlines += b->nlines;
			out_write(b->out.p, b->out.len);
			if (r->alerts_fp != NULL) {
				if (b->alerts.len > 0 && fwrite(b->alerts.p, 1,
				    b->alerts.len, r->alerts_fp) !=
				    b->alerts.len)
					die(EX_IOERR, "%s: %s", r->alerts_path,
					    strerror(errno));
			} else
				out_write(b->alerts.p, b->alerts.len);
			buf_free(&b->out);
			buf_free(&b->alerts);
		}
		rej_flush(&r->rej);
		lo = hi;
	} while (lo < r->nb);
}

static void
free_all(struct rate *r)
{
	size_t i;

	for (i = 0; i < r->nb; i++) {
		free((char *)r->bv[i]->customer);
		free(r->bv[i]->a);
		buf_free(&r->bv[i]->out);
		buf_free(&r->bv[i]->alerts);
		free(r->bv[i]);
	}
	free(r->bv);
	for (i = 0; i < r->keys.cap; i++)
		if (r->keys.t[i].val != NULL)	/* NULL: rejected */
			agg_free(r->keys.t[i].val);
	hmap_free(&r->keys);
	hmap_free(&r->bills);
	hmap_free(&r->strs);
	for (i = 0; i < r->groups.cap; i++)
		if (r->groups.t[i].val != NULL)
			json_decref(r->groups.t[i].val);
	hmap_free(&r->groups);
}

int
main(int argc, char **argv)
{
	enum {
		O_CATALOG = 256, O_CUSTOMERS, O_ASOF, O_PREVIEW, O_FROM, O_TO,
		O_ALERTS, O_BUSY, O_STRICT, O_MAXLINE, O_MAXDEPTH, O_VERSION
	};
	static const struct option longopts[] = {
		{ "alerts",		required_argument, NULL, O_ALERTS },
		{ "as-of",		required_argument, NULL, O_ASOF },
		{ "busy-timeout",	required_argument, NULL, O_BUSY },
		{ "catalog",		required_argument, NULL, O_CATALOG },
		{ "customers",		required_argument, NULL, O_CUSTOMERS },
		{ "from",		required_argument, NULL, O_FROM },
		{ "help",		no_argument,       NULL, 'h' },
		{ "ledger",		required_argument, NULL, 'l' },
		{ "max-depth",		required_argument, NULL, O_MAXDEPTH },
		{ "max-line",		required_argument, NULL, O_MAXLINE },
		{ "preview",		no_argument,       NULL, O_PREVIEW },
		{ "rejects",		required_argument, NULL, 'r' },
		{ "stats",		required_argument, NULL, 's' },
		{ "strict",		no_argument,       NULL, O_STRICT },
		{ "to",			required_argument, NULL, O_TO },
		{ "version",		no_argument,       NULL, O_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct rate r;
	char *rejects_default = NULL;
	int ch, rc = 0, has_from = 0, has_to = 0;
	size_t i, j;

	u_setprogname(argv[0]);
	cli_init(usage);
	memset(&r, 0, sizeof(r));
	r.as_of = INT64_MIN;
	r.max_line = LR_MAXLEN_DEFAULT;
	r.max_depth = JREC_MAXDEPTH_DEFAULT;
	r.busy_ms = LDG_BUSY_MS;
	while ((ch = getopt_long(argc, argv, "hl:r:s:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'h':
			usage(0);
			break;
		case 'l':
			r.ledger_path = optarg;
			break;
		case 'r':
			r.rejects_path = optarg;
			break;
		case 's':
			r.stats_path = optarg;
			break;
		case O_ALERTS:
			r.alerts_path = optarg;
			break;
		case O_ASOF:
			r.as_of = cli_time("--as-of", optarg);
			break;
		case O_BUSY:
			r.busy_ms = (int)cli_num("--busy-timeout", optarg, 0,
			    86400000);
			break;
		case O_CATALOG:
			r.catalog_path = optarg;
			break;
		case O_CUSTOMERS:
			r.customers_path = optarg;
			break;
		case O_FROM:
			r.from = cli_time("--from", optarg);
			has_from = 1;
			break;
		case O_MAXDEPTH:
			r.max_depth = (int)cli_num("--max-depth", optarg, 1,
			    100);
			break;
		case O_MAXLINE:
			r.max_line = (size_t)cli_num("--max-line", optarg, 64,
			    256L * 1024 * 1024);
			break;
		case O_PREVIEW:
			r.preview = 1;
			break;
		case O_STRICT:
			r.strict = 1;
			break;
		case O_TO:
			r.to = cli_time("--to", optarg);
			has_to = 1;
			break;
		case O_VERSION:
			printf("%s %s\n", progname, VERSION);
			return 0;
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (r.catalog_path == NULL) {
		warnmsg("--catalog FILE is required");
		usage(EX_USAGE);
	}
	if (has_from != has_to) {
		warnmsg("--from and --to go together");
		usage(EX_USAGE);
	}
	r.windowed = has_from;
	if (r.windowed && r.from >= r.to) {
		warnmsg("--from must be before --to");
		usage(EX_USAGE);
	}
	if (r.as_of == INT64_MIN)
		r.as_of = cli_now(0);

	key_init();
	out_init();
	catalog_load(&r.cat, r.catalog_path);
	if (r.customers_path != NULL)
		cust_load(&r.cust, r.customers_path);
	else
		for (i = 0; i < r.cat.ncontracts; i++) {
			const struct contract *c = &r.cat.contracts[i];

			for (j = 0; j < c->ncharges; j++)
				if (c->charges[j].advance)
					die(EX_USAGE, "%s: contracts[%zu]: "
					    "charge '%s' of plan '%s' bills in "
					    "advance: give --customers FILE, "
					    "where each customer's billing "
					    "periods are", r.cat.path, c->idx,
					    c->charges[j].id, c->plan->id);
		}
	if (r.ledger_path != NULL)
		r.ldg = ldg_open(ldg_path(r.ledger_path), r.busy_ms,
		    LDG_LEAN);
	if (r.rejects_path == NULL)
		r.rejects_path = rejects_default =
		    rej_default_path(ldg_path(r.ledger_path));
	rej_open(&r.rej, r.rejects_path, "rate");
	if (r.alerts_path != NULL &&
	    (r.alerts_fp = out_open_append(r.alerts_path)) == NULL)
		die(EX_CANTCREAT, "%s: cannot open", r.alerts_path);
	out_hint(r.preview || r.ldg == NULL ? "the lines are computed again "
	    "by running the same command" : "running the same command "
	    "again writes the same lines; credits are not drawn twice");
	hmap_init(&r.keys);
	hmap_init(&r.bills);
	hmap_init(&r.strs);
	hmap_init(&r.groups);
	si_init(&r.in, argc, argv, r.max_line, r.max_depth, &r.rej);

	run(&r);

	rej_close(&r.rej);
	out_close();
	if (r.alerts_fp != NULL && fclose(r.alerts_fp) != 0)
		die(EX_IOERR, "%s: %s", r.alerts_path, strerror(errno));
	summary(&r);
	if (r.in.read != r.rated + r.dups + r.outside + r.in.rejected)
		die(EX_SOFTWARE, "accounting error: read %" PRIu64 " != "
		    "rated + duplicates + outside + rejected", r.in.read);
	if (r.stats_path != NULL)
		write_stats(&r);
	if (r.in.lr.failed)
		rc = EX_NOINPUT;
	else if (r.strict && (r.in.rejected > 0 || r.nfailed > 0))
		rc = EX_DATAERR;

	ldg_close(r.ldg);
	si_free(&r.in);
	spill_close(&r.spill);
	free_all(&r);
	catalog_free(&r.cat);
	if (r.customers_path != NULL)
		cust_free(&r.cust);
	free(rejects_default);
	return rc;
}
