/*
 * explain.c: a document's chain, for --explain; see explain.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "keys.h"
#include "ledger.h"
#include "meters.h"
#include "recusage.h"
#include "tm.h"

/* The document whose postings are shown, and where. */
struct chain {
	struct buf	*out;
	const char	*number;
};

static int
explain_posting(const char *id, const char *number, const char *state,
    const char *ref, int64_t emitted, int64_t updated, void *arg)
{
	struct chain *c = arg;
	char t[TM_FMTMAX];

	(void)emitted;
	if (strcmp(number, c->number) != 0)
		return 0;
	tm_fmt(updated, t, sizeof(t));
	buf_printf(c->out, "    ledger: %s %s%s%s (%s)\n", id, state,
	    ref ? ", ERP reference " : "", ref ? ref : "", t);
	return 0;
}

/*
 * The events under a document's aggregates: for each meter and period of
 * its aggregates, the ledger's usage records of the customer that the
 * meter counts.  Their keys must sum to the lineages of the meter's
 * aggregates of that period (all groups): the proof that the aggregates
 * are those events, no more and no fewer.
 */
#define EXPLAIN_EVENTS	5	/* events shown per meter and period */

struct evwin {
	const char	*meter, *ps;	/* interned */
	const struct meter *m;
	int64_t		 from, to;
	lin_t		 want, got;
	uint64_t	 n, naggs;
	struct buf	 shown;
	int		 printed;
};

struct evscan {
	const char	*customer;
	struct evwin	*w;
	size_t		 nw;
};

static int
ev_one(const struct ldg_usage *u, void *arg)
{
	struct evscan *x = arg;
	char t[TM_FMTMAX], hex[KEY_HEXLEN];
	size_t i;

	if (strlen(x->customer) != u->customer_len ||
	    memcmp(x->customer, u->customer, u->customer_len) != 0)
		return 0;
	for (i = 0; i < x->nw; i++) {
		struct evwin *w = &x->w[i];

		if (u->t < w->from || u->t >= w->to ||
		    !recusage_counts(w->m, u))
			continue;
		w->n++;
		w->got += lin_of(u->key);
		if (w->n > EXPLAIN_EVENTS)
			continue;
		tm_fmt(u->t, t, sizeof(t));
		key_hex(u->key, KEY_LEN, hex);
		buf_printf(&w->shown, "      event %s %s at %s, key %s\n",
		    u->source ? u->source : "?", u->id ? u->id : "?", t, hex);
	}
	return 0;
}

static lin_t
lin_hex(const char *h)
{
	unsigned char k[KEY_LEN];

	if (h == NULL || strlen(h) != 2 * KEY_LEN ||
	    key_unhex(h, k, KEY_LEN) < 0)
		return 0;
	return lin_of(k);
}

/* The windows of document d's aggregates, their events counted. */
static void
explain_scan(struct recon *r, const struct recon_doc *d, struct evscan *x,
    struct meters *ms)
{
	int64_t from = INT64_MAX, to = INT64_MIN;
	const char *why;
	size_t i, j, k;

	for (i = 0; i < r->nr; i++) {
		struct recon_line *l = r->rv[i];

		if (!l->seen || l->customer != d->customer || l->ps != d->ps)
			continue;
		for (j = 0; j < l->naggs; j++) {
			struct recon_agg *g = hmap_get(&r->aggs, l->aggs[j]);
			struct evwin *w;

			if (g == NULL || g->meter == NULL || g->ps == NULL ||
			    g->pe == NULL)
				continue;
			for (k = 0; k < x->nw; k++)
				if (x->w[k].meter == g->meter &&
				    x->w[k].ps == g->ps)
					break;
			if (k < x->nw)
				continue;
			x->w = xreallocarray(x->w, x->nw + 1, sizeof(*x->w));
			w = memset(&x->w[x->nw], 0, sizeof(*w));
			w->meter = g->meter;
			w->ps = g->ps;
			for (k = 0; k < ms->n; k++)
				if (strcmp(ms->v[k].name, g->meter) == 0)
					w->m = &ms->v[k];
			if (w->m == NULL ||
			    tm_parse(g->ps, strlen(g->ps), &w->from, &why) < 0 ||
			    tm_parse(g->pe, strlen(g->pe), &w->to, &why) < 0)
				continue;	/* not a meter of --meters */
			for (k = 0; k < r->na; k++)
				if (r->av[k]->customer == d->customer &&
				    r->av[k]->meter == g->meter &&
				    r->av[k]->ps == g->ps) {
					w->want += lin_hex(r->av[k]->lineage);
					w->naggs++;
				}
			if (w->from < from)
				from = w->from;
			if (w->to > to)
				to = w->to;
			x->nw++;
		}
	}
	x->customer = d->customer;
	if (x->nw > 0)
		ldg_usage_scan(r->ldg, from, to, ev_one, x);
}

static void
explain_events(struct buf *o, struct evwin *w)
{
	if (w->printed) {
		buf_printf(o, "      (its events: above)\n");
		return;
	}
	w->printed = 1;
	buf_printf(o, "      events of meter %s from %s: %" PRIu64 " in the "
	    "ledger; their keys sum to the lineages of its %" PRIu64
	    " aggregate%s of the period: %s\n", w->meter, w->ps, w->n,
	    w->naggs, w->naggs == 1 ? "" : "s",
	    w->got == w->want ? "yes" : "NO");
	buf_add(o, w->shown.p, w->shown.len);
	if (w->n > EXPLAIN_EVENTS)
		buf_printf(o, "      ... and %" PRIu64 " more\n",
		    w->n - EXPLAIN_EVENTS);
}

void
explain_doc(struct recon *r, const char *number, const char *meters_path)
{
	struct recon_doc *d = hmap_get(&r->docs, number);
	struct chain c = { &r->out, number };
	struct buf *o = &r->out;
	struct evscan x = { NULL, NULL, 0 };
	struct meters ms;
	size_t i, j, k;
	char a[DEC_FMTMAX];

	memset(&ms, 0, sizeof(ms));

	if (d == NULL)
		die(EX_DATAERR, "--explain %s: no such document in --invoices",
		    number);
	dec_fmt(d->due, a, sizeof(a));
	buf_printf(o, "%s %s of %s, %s .. %s, amount due %s %s%s%s\n",
	    d->kind, d->number, d->customer, d->ps, d->pe, a, d->currency,
	    d->ref ? ", correcting " : "", d->ref ? d->ref : "");
	if (r->ldg != NULL && meters_path != NULL) {
		meters_load(&ms, meters_path);
		explain_scan(r, d, &x, &ms);
	}
	for (i = 0; i < r->nr; i++) {
		struct recon_line *l = r->rv[i];

		/* interned: the same text is the same pointer */
		if (!l->seen || l->customer == NULL ||
		    l->customer != d->customer || l->ps != d->ps)
			continue;
		dec_fmt(l->amount, a, sizeof(a));
		buf_printf(o, "  rated line %s: %s %s %s, lineage %s\n",
		    l->key, l->charge ? l->charge : l->type, a, l->currency,
		    l->lineage ? l->lineage : "-");
		for (j = 0; j < l->naggs; j++) {
			struct recon_agg *g = hmap_get(&r->aggs, l->aggs[j]);

			buf_printf(o, "    aggregate %s: meter %s, events' "
			    "lineage %s\n", l->aggs[j], g && g->meter ?
			    g->meter : "?", g && g->lineage ? g->lineage :
			    "(not in --aggregates)");
			for (k = 0; g != NULL && k < x.nw; k++)
				if (x.w[k].meter == g->meter &&
				    x.w[k].ps == g->ps && x.w[k].m != NULL)
					explain_events(o, &x.w[k]);
		}
	}
	for (k = 0; k < x.nw; k++)
		buf_free(&x.w[k].shown);
	free(x.w);
	if (ms.path != NULL)
		meters_free(&ms);
	for (k = 0; k < r->ne; k++) {
		struct recon_entry *e = r->ev[k];

		if (e->number == NULL || strcmp(e->number, d->number) != 0)
			continue;
		dec_fmt(e->debit, a, sizeof(a));
		buf_printf(o, "  journal entry %s (%s): %s debited and "
		    "credited\n", e->id, e->type ? e->type : "?", a);
	}
	if (r->ldg != NULL)
		ldg_postings_all(r->ldg, explain_posting, &c);
}

