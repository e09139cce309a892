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
 * rated; credits are drawn in one ledger transaction, and only after it
 * commits are the lines and alerts written, then the alerts claimed.
 *
 * Here are the options, the reading and grouping, the ledger's part,
 * the batches, counters and messages.  A bill's pricing is rating.c's;
 * the aggregate record's reader aggrec.c's; the rated line's and the
 * alert's writers rated.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggrec.h"
#include "catalog.h"
#include "cli.h"
#include "customers.h"
#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "ledger.h"
#include "lines.h"
#include "opt.h"
#include "out.h"
#include "rated.h"
#include "prorate.h"
#include "rating.h"
#include "reject.h"
#include "spill.h"
#include "stagein.h"
#include "stats.h"
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

struct rate {
	const char	*catalog_path, *customers_path, *ledger_path;
	const char	*rejects_path, *stats_path, *alerts_path;
	int64_t		 as_of, from, to;
	int		 windowed, preview, strict, busy_ms, max_depth;
	size_t		 max_line;

	struct catalog	 cat;
	struct custdb	 cust;
	struct rating	 rating;	/* &cat, &cust, preview */
	struct ledger	*ldg;
	struct rej	 rej;
	struct stagein	 in;
	struct spill	 spill;		/* raw lines, for rejects */
	FILE		*alerts_fp;

	struct hmap	 keys;		/* aggregate key -> struct agg * */
	struct hmap	 bills;		/* customer \0 ps -> bill */
	/*
	 * What aggregates share, kept once: customer and meter names and
	 * group texts (string -> copy), and groups (text -> json_t *).
	 */
	struct hmap	 strs, groups;
	struct rating_bill **bv;
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

static struct rating_bill *
bill_get(struct rate *r, const char *customer, int64_t ps, int64_t pe,
    int create)
{
	struct buf k = { 0 };
	struct rating_bill *b;
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
 * A prorated charge (prorate.h) prices the aggregate's steps: a meter
 * without "prorated" has none; volume takes no negative level.
 */
static int
prorated_ok(struct stagein *s, const struct aggrec *a,
    const struct charge *ch)
{
	if (!a->prorated) {
		si_reject(s, RC_POLICY, "not_prorated", "prorated_steps",
		    "charge '%s' is prorated but the aggregate has no "
		    "prorated_steps: meter '%s' needs \"prorated\": true "
		    "(a weighted_sum or recurring unique_count meter)",
		    ch->id, a->meter);
		return -1;
	}
	if (ch->model == M_VOLUME && (dec_sign(a->pqty) < 0 ||
	    dec_sign(a->pfull) < 0)) {
		si_reject(s, RC_DATA, "negative_quantity", "prorated_quantity",
		    "prorated_quantity %s with %s units at the end: prorated "
		    "volume charge '%s' prices only quantities of 0 or more",
		    dec_str(a->pqty).s, dec_str(a->pfull).s, ch->id);
		return -1;
	}
	return 0;
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
		if (ch->prorated && prorated_ok(s, a, ch) < 0)
			return -1;
		if (!ch->prorated && dec_sign(a->qty) < 0 &&
		    ch->model != M_UNIT) {
			si_reject(s, RC_DATA, "negative_quantity", "quantity",
			    "quantity %s is negative: charge '%s' (%s) "
			    "prices only quantities of 0 or more",
			    json_string_value(json_object_get(s->jr.root,
			    "quantity")), ch->id, model_name(ch->model));
			return -1;
		}
		if (a->events > 1 && charge_per_transaction(ch)) {
			si_reject(s, RC_POLICY, "not_per_transaction", "events",
			    "charge '%s' prices each transaction (%s) but this "
			    "aggregate sums %" PRId64 " transactions: group the "
			    "meter by the transaction id", ch->id,
			    ch->has_min || ch->has_max ? "a per-transaction "
			    "minimum or maximum" : "Lago's free units",
			    a->events);
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
	const struct contract *o[RATING_MAXOVERLAP], *u;
	struct rate *r = arg;
	struct buf gb = { 0 };
	struct agg g, *old;
	struct aggrec *a = &g.rec;
	struct rating_bill *b;
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
	n = rating_in_force(catalog_contracts(&r->cat, a->customer), a->ps,
	    a->pe, o, RATING_MAXOVERLAP);
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
	g.rec.pr = aggrec_prorate(s);
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
			g.expires = c->grants[j].expires;
			g.priority = c->grants[j].priority;
			g.paid = c->grants[j].paid;
			if (ldg_credit_grant(r->ldg, &g, r->as_of) ==
			    LDG_CONFLICT) {
				tm_fmt(g.granted, ts, sizeof(ts));
				die(EX_DATAERR, "%s: contracts[%zu]: prepaid "
				    "credit '%s' of customer '%s' is in the "
				    "ledger with another currency, amount, "
				    "time, expiry, priority or paid than %s "
				    "%s at %s (an "
				    "idempotency_conflict): a grant is never "
				    "changed; give a new one another id",
				    r->cat.path, c->idx, g.id, g.customer,
				    g.currency, "(see the catalog)", ts);
			}
		}
	}
}

/*
 * The bill's draw on its customer's grants, in the ledger, and its credit
 * line.  A period rated again that would draw the same amount from the
 * same grants keeps its draw as recorded (the same line, balance
 * included); otherwise its draw is replaced.
 */
static void
credit_line(struct rate *r, struct rating_bill *b)
{
	const char *cur = b->u->plan->currency;
	struct ldg_grant_bal *v;
	struct ldg_draw_part *part;
	struct rating_grant *g;
	dec prev, pbal, bal, want;
	size_t n, i, k;
	int had, same;

	had = ldg_credit_drawn(r->ldg, b->customer, cur, b->ps, &prev, &pbal);
	n = ldg_credit_grants(r->ldg, b->customer, cur, b->ps, &v);
	g = xcalloc(n + 1, sizeof(*g));
	for (i = 0; i < n; i++) {
		g[i].id = v[i].g.id;
		g[i].avail = rating_grant_avail(b, v[i].g.granted,
		    v[i].g.expires, v[i].g.amount, v[i].others, v[i].mine,
		    had, r->as_of);
	}
	want = rating_credit_alloc(b, g, n, &bal);
	same = had && dec_cmp(prev, want) == 0;
	for (i = 0; same && i < n; i++)
		same = dec_cmp(g[i].take, v[i].mine) == 0;
	if (!had && dec_sign(want) == 0)
		goto done;
	if (same)
		/* rated before: the same draw, as it was recorded */
		bal = pbal;
	else {
		part = xcalloc(n + 1, sizeof(*part));
		for (i = k = 0; i < n; i++)
			if (dec_sign(g[i].take) > 0) {
				part[k].grant = g[i].id;
				part[k++].amount = g[i].take;
			}
		ldg_credit_draw(r->ldg, b->customer, cur, b->ps, b->pe, want,
		    bal, part, k, r->as_of);
		free(part);
		r->ndraws++;
	}
	rating_credit_line(&r->rating, b, want, bal, g, n);
done:
	free(g);
	ldg_credit_grants_free(v, n);
}

/*
 * The bill's alerts not claimed in the ledger yet, into b->alerts: the
 * number written.  They are claimed by alerts_claim once written, so that
 * a run that dies between the two has them written again by the next.
 */
static size_t
alerts(struct rate *r, struct rating_bill *b)
{
	const struct contract *u = b->u;
	const struct threshold *t;
	struct rated_alert al;
	dec v;
	size_t i, n = 0;

	for (i = 0; i < u->nthresholds; i++) {
		t = &u->thresholds[i];
		if (!rating_threshold(b, t, &v))
			continue;
		if (r->ldg != NULL && ldg_alert_claimed(r->ldg, b->customer,
		    t->id, b->ps))
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
		al.invoice = t->invoice;
		rated_alert_write(&b->alerts, &al);
		r->nalerts++;
		n++;
	}
	return n;
}

/*
 * The alerts of the bill that its output carried: claimed (if new).
 * Progressive billing: a preview's alert of a threshold that invoices
 * is not claimed here but by the invoice-gen --interim run that issues
 * its interim invoice, in the transaction that stores it; until then
 * each preview writes it again, so a run killed between rate and
 * invoice-gen loses no interim invoice and none is issued twice.
 */
static void
alerts_claim(struct rate *r, struct rating_bill *b)
{
	const struct threshold *t;
	dec v;
	size_t i;

	for (i = 0; i < b->u->nthresholds; i++) {
		t = &b->u->thresholds[i];
		if (r->preview && t->invoice)
			continue;
		if (rating_threshold(b, t, &v))
			ldg_alert_claim(r->ldg, b->customer, t->id, b->ps,
			    b->pe, b->spend, r->as_of);
	}
}

/* ---- the run ---- */

static int
bill_cmp(const void *x, const void *y)
{
	const struct rating_bill *a = *(struct rating_bill *const *)x;
	const struct rating_bill *b = *(struct rating_bill *const *)y;
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
fail_bill(struct rate *r, struct rating_bill *b)
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
	const struct stats_field st[] = {
		STAT_N("read", r->in.read),
		STAT_N("rated", r->rated),
		STAT_N("duplicates", r->dups),
		STAT_N("outside_window", r->outside),
		STAT_REFUSED(r->in.rejected, &r->rej, r->in.blank),
		STAT_N("bills", r->nbills),
		STAT_N("bills_failed", r->nfailed),
		STAT_N("lines", r->nlines),
		STAT_N("alerts", r->nalerts),
		STAT_N("credit_draws", r->ndraws),
		STAT_B("preview", r->preview),
		STAT_T("as_of", r->as_of),
		STAT_S("rejects_file", r->rejects_path),
	};

	stats_write(r->stats_path, "rate", st, sizeof(st) / sizeof(st[0]));
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
 * credit draws are committed in one transaction, and only then its lines,
 * alerts and rejects written and its buffers freed; its alerts are claimed
 * in a second transaction once written and flushed.  So memory holds one
 * batch's output, not the whole run's, and a run that dies has recorded
 * and written the batches before the one in flight (a re-run writes the
 * same lines, draws nothing twice and writes again the alerts it had not
 * claimed: an alert is written at least once, with the same key).
 */
#define RATE_BATCH	1024

static void
run(struct rate *r)
{
	struct rating_bill *b;
	size_t i, lo = 0, hi, nalerts;

	si_each(&r->in, read_one, r);
	if (r->windowed && r->customers_path != NULL)
		enumerate(r);
	if (r->nb > 0)
		qsort(r->bv, r->nb, sizeof(*r->bv), bill_cmp);
	do {
		hi = r->nb - lo > RATE_BATCH ? lo + RATE_BATCH : r->nb;
		for (i = lo; i < hi; i++)
			rating_price(&r->rating, r->bv[i]);
		if (r->ldg != NULL) {
			ldg_begin(r->ldg);
			if (!r->preview && lo == 0)
				grants_record(r);
		}
		nalerts = 0;
		for (i = lo; i < hi; i++) {
			b = r->bv[i];
			if (b->fail_code != NULL)
				continue;
			if (r->ldg != NULL && !r->preview &&
			    has_grants(catalog_contracts(&r->cat, b->customer)))
				credit_line(r, b);
			nalerts += alerts(r, b);
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
				    b->alerts.len) {
					out_torn(r->alerts_fp);
					die(EX_IOERR, "%s: %s", r->alerts_path,
					    strerror(errno));
				}
			} else
				out_write(b->alerts.p, b->alerts.len);
			buf_free(&b->out);
			buf_free(&b->alerts);
		}
		rej_flush(&r->rej);

		/* written: now the alerts are claimed */
		if (r->ldg != NULL && nalerts > 0) {
			out_flush();
			if (r->alerts_fp != NULL && fflush(r->alerts_fp) != 0)
				die(EX_IOERR, "%s: %s", r->alerts_path,
				    strerror(errno));
			ldg_begin(r->ldg);
			for (i = lo; i < hi; i++)
				if (r->bv[i]->fail_code == NULL)
					alerts_claim(r, r->bv[i]);
			ldg_commit(r->ldg);
		}
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
		if (r->keys.t[i].val != NULL) {	/* NULL: rejected */
			prorate_free(((struct agg *)r->keys.t[i].val)->rec.pr);
			free(r->keys.t[i].val);
		}
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
	struct rate r;
	int rc = 0, has_from = 0, has_to = 0;
	const struct opt opts[] = {
		OPT_S("alerts", 0, &r.alerts_path),
		OPT_ASOF(&r.as_of),
		OPT_BUSY(&r.busy_ms),
		OPT_S("catalog", 0, &r.catalog_path),
		OPT_S("customers", 0, &r.customers_path),
		OPT_T("from", &r.from, &has_from),
		OPT_LEDGER(&r.ledger_path),
		OPT_MAXDEPTH(&r.max_depth),
		OPT_MAXLINE(&r.max_line),
		OPT_F("preview", &r.preview),
		OPT_REJECTS(&r.rejects_path),
		OPT_STATS(&r.stats_path),
		OPT_STRICT(&r.strict),
		OPT_T("to", &r.to, &has_to),
		OPT_END
	};
	char *rejects_default = NULL;
	size_t i, j;

	u_setprogname(argv[0]);
	memset(&r, 0, sizeof(r));
	i = (size_t)opt_parse(argc, argv, opts, usage);
	argc -= (int)i;
	argv += i;
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
	r.rating.cat = &r.cat;
	r.rating.cust = &r.cust;
	r.rating.preview = r.preview;
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
	if (r.alerts_fp != NULL) {
		if (fflush(r.alerts_fp) != 0) {
			out_torn(r.alerts_fp);
			die(EX_IOERR, "%s: %s", r.alerts_path, strerror(errno));
		}
		if (fclose(r.alerts_fp) != 0)
			die(EX_IOERR, "%s: %s", r.alerts_path, strerror(errno));
	}
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
