/*
 * reconcile: prove that usage, invoices and the books agree.
 *
 * Reads any of: aggregates, rated lines, documents (invoices, credit and
 * debit notes), journal entries, and the ledger's postings, and compares
 * what each stage says with the next: every aggregate rated, with its
 * lineage; every rated line invoiced at its amount, after notes; every
 * document posted once, its receivable, revenue and tax in the books; no
 * posting without its document; none pending too long.  Each mismatch is
 * an exception record (class reconciliation_exception) with the keys,
 * the expected and actual amounts and the difference.  Exit 0 when all
 * agree, 1 when not, as diff(1).  See reconcile(1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accounts.h"
#include "cli.h"
#include "jval.h"
#include "rowin.h"
#include "currency.h"
#include "doc.h"
#include "exc.h"
#include "invoice.h"
#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "ledger.h"
#include "meters.h"
#include "opt.h"
#include "pack.h"
#include "out.h"
#include "recfmt.h"
#include "reject.h"
#include "stagein.h"
#include "stats.h"
#include "tm.h"
#include "util.h"

/* What each input says, kept small: keys, amounts, links. */
struct ragg {
	const char	*key;		/* the aggs table's copy */
	char		*lineage;
	const char	*customer, *meter, *ps, *pe, *unit;	/* interned */
	dec		 quantity;
	int64_t		 events;
	int		 rated, found;	/* found: recomputed from usage too */
};

struct rline {
	const char	*key;		/* the rated table's copy */
	char		*lineage;
	const char	*customer, *charge, *type, *currency, *ps, *pe;
	const char	**aggs;		/* the aggs table's copies, or interned */
	size_t		 naggs;
	dec		 amount, invoiced;
	int		 seen;		/* on some document */
	const char	*doc;		/* the first document it is on */
};

struct rdoc {
	char		*number, *ikey, *ref;
	const char	*kind, *entity, *customer, *currency, *ps, *pe;
	int64_t		 version;
	dec		 due, total, net, tax, credit;
	int		 posted;	/* document entries found */
	int		 bad;		/* an exception names it */
	char		*first_entry;
};

/* An invoice key's tax category, over all its documents. */
struct rtax {
	char		*ikey, *number;
	const char	*cat, *customer, *currency, *rounding;
	dec		 rate, base, tax;
	int		 inclusive, minor;
};

struct rentry {
	char		*id, *number;
	const char	*type, *entity;
	int64_t		 version;
	dec		 debit, credit, receivable, revenue, tax;
	int		 unknown_account, seen;
	char		*bad_account;
};

struct recon {
	const char	*aggregates_path, *rated_path, *invoices_path;
	const char	*journal_path, *ledger_path, *accounts_path;
	const char	*rejects_path, *stats_path, *explain;
	const char	*meters_path, *customers_path, *self;
	int64_t		 as_of, max_pending;
	dec		 tolerance;
	int		 text, max_depth;

	struct accounts	 acc;
	struct ledger	*ldg;
	struct rej	 rej;

	struct hmap	 aggs, rated, docs, entries, taxes;
	/*
	 * Strings many records share (customers, periods, charges,
	 * currencies...), kept once: at 10k customers the rated lines alone
	 * would hold a million copies.
	 */
	struct hmap	 strs;
	struct meters	 ms;		/* --meters, loaded when needed */
	struct rtax	**tv;
	size_t		 nt;
	const char	*confirmations_path;
	struct ragg	**av;
	struct rline	**rv;
	struct rdoc	**dv;
	struct rentry	**ev;
	size_t		 na, nr, nd, ne;

	struct buf	 out;
	int		 html;
	struct hmap	 totals;	/* currency -> struct tot * */
	uint64_t	 nexc, read, rejected;
	dec		 variance;	/* the sum of |difference| */
	uint64_t	 docs_ok, docs_done;	/* done: posted and confirmed */
	int64_t		 latency_sum;
	uint64_t	 latency_n;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s [--ledger PATH [--meters FILE [--customers FILE]]]\n"
"                 [--aggregates FILE] [--rated FILE]\n"
"                 [--invoices FILE] [--journal FILE] [--accounts FILE]\n"
"                 [--confirmations FILE]\n"
"                 [--as-of TIME] [--max-pending-age DURATION]\n"
"                 [--tolerance AMOUNT] [--format ndjson|text|html]\n"
"                 [--explain DOCUMENT] [--rejects FILE] [--stats FILE]\n"
"       %s --help | --version\n", progname, progname);
	if (code == 0)
		fprintf(fp,
"\nCompares aggregates, rated lines, documents, journal entries and the\n"
"ledger's postings, and writes an exception for each thing that does not\n"
"agree.  Exit 0 when everything agrees, 1 when not.  See reconcile(1).\n");
	exit(code);
}

/* An aggregate key a rated line names: the aggregate's own copy. */
static const char *
agg_key(struct recon *r, const char *k)
{
	struct ragg *a = hmap_get(&r->aggs, k);

	return a != NULL ? a->key : hmap_intern(&r->strs, k);
}

/* ---- exceptions ---- */

static void
exception(struct recon *r, const struct exc *x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
exception(struct recon *r, const struct exc *x, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	dec diff = DEC_ZERO, a;

	if (x->has_amounts) {
		if (dec_sub(x->actual, x->expected, &diff) != DEC_OK)
			diff = DEC_ZERO;
		a = dec_sign(diff) < 0 ? dec_neg(diff) : diff;
		if (x->amount_only && dec_cmp(a, r->tolerance) <= 0)
			return;		/* within --tolerance */
		/* the variance is money: usage quantities have no currency */
		if (x->currency != NULL)
			dec_add(r->variance, a, &r->variance);
	}
	if (x->document != NULL) {
		struct rdoc *d = hmap_get(&r->docs, x->document);

		if (d != NULL)
			d->bad = 1;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->nexc++;
	if (r->text)
		exc_text(&r->out, x, msg);
	else
		exc_json(&r->out, x, diff, msg);
}

/* ---- what each stage amounts to, per currency ---- */

enum { T_RATED, T_NET, T_TOTAL, T_POSTED, NTOT };

struct tot {
	char		 cur[4];
	dec		 v[NTOT];
};

static void
total_add(struct recon *r, const char *cur, int which, dec d)
{
	void **ref;
	struct tot *t;
	int k;

	if (cur == NULL || strlen(cur) != 3)
		return;
	ref = hmap_ref(&r->totals, cur, 3);
	if ((t = *ref) == NULL) {
		t = xcalloc(1, sizeof(*t));
		memcpy(t->cur, cur, 4);
		for (k = 0; k < NTOT; k++)
			t->v[k] = (dec){ 0, cur_minor(cur) > 0 ?
			    cur_minor(cur) : 0 };
		*ref = t;
	}
	dec_add(t->v[which], d, &t->v[which]);
}

/* ---- reading the inputs ---- */

static void
read_agg(struct stagein *s, void *arg)
{
	struct recon *r = arg;
	json_t *j = s->jr.root;
	struct ragg *a;
	void **ref;

	if (jval_str(j, "kind") == NULL || strcmp(jval_str(j, "kind"), "aggregate") ||
	    jval_str(j, "key") == NULL) {
		si_reject(s, RC_DATA, "not_aggregate", "kind", "expected an "
		    "aggregate");
		return;
	}
	ref = hmap_ref(&r->aggs, jval_str(j, "key"), strlen(jval_str(j, "key")));
	if (*ref != NULL)
		return;
	a = xcalloc(1, sizeof(*a));
	a->key = hmap_slot_key(ref);
	a->customer = hmap_intern(&r->strs, jval_str(j, "customer"));
	a->meter = hmap_intern(&r->strs, jval_str(j, "meter"));
	a->lineage = xstrdup0(jval_str(j, "lineage"));
	a->ps = hmap_intern(&r->strs, jval_str(j, "period_start"));
	a->pe = hmap_intern(&r->strs, jval_str(j, "period_end"));
	a->unit = hmap_intern(&r->strs, jval_str(j, "period"));
	a->quantity = jval_dec_or_zero(j, "quantity");
	if (jrec_int(&s->jr, json_object_get(j, "events"), 0, INT64_MAX,
	    &a->events) < 0)
		a->events = 0;
	*ref = a;
	r->av = xreallocarray(r->av, r->na + 1, sizeof(*r->av));
	r->av[r->na++] = a;
}

static void
read_rated(struct stagein *s, void *arg)
{
	struct recon *r = arg;
	json_t *j = s->jr.root, *v, *e;
	struct rline *l;
	void **ref;
	size_t i;

	if (jval_str(j, "kind") != NULL && strcmp(jval_str(j, "kind"), "alert") == 0)
		return;
	if (jval_str(j, "kind") == NULL || strcmp(jval_str(j, "kind"), "rated") ||
	    jval_str(j, "key") == NULL) {
		si_reject(s, RC_DATA, "not_rated", "kind", "expected a rated "
		    "line");
		return;
	}
	ref = hmap_ref(&r->rated, jval_str(j, "key"), strlen(jval_str(j, "key")));
	if (*ref != NULL)
		return;
	l = xcalloc(1, sizeof(*l));
	l->key = hmap_slot_key(ref);
	l->customer = hmap_intern(&r->strs, jval_str(j, "customer"));
	l->charge = hmap_intern(&r->strs, jval_str(j, "charge"));
	l->type = hmap_intern(&r->strs, jval_str(j, "line_type"));
	l->currency = hmap_intern(&r->strs, jval_str(j, "currency"));
	l->lineage = xstrdup0(jval_str(j, "lineage"));
	l->ps = hmap_intern(&r->strs, jval_str(j, "period_start"));
	l->pe = hmap_intern(&r->strs, jval_str(j, "period_end"));
	l->amount = jval_dec_or_zero(j, "amount");
	l->invoiced = (dec){ 0, l->amount.s };
	if (l->type == NULL || strcmp(l->type, "credit") != 0)
		total_add(r, l->currency, T_RATED, l->amount);
	v = json_object_get(j, "aggregates");
	l->aggs = xcalloc(json_array_size(v) + 1, sizeof(*l->aggs));
	json_array_foreach(v, i, e)
		if (json_is_string(e))
			l->aggs[l->naggs++] = agg_key(r,
			    json_string_value(e));
	*ref = l;
	r->rv = xreallocarray(r->rv, r->nr + 1, sizeof(*r->rv));
	r->rv[r->nr++] = l;
}

/* A document's lines count toward their rated lines' invoiced amounts. */
static void
doc_lines(struct recon *r, const struct doc_rec *dr, const char *number)
{
	struct doc_line dl;
	struct rline *l;
	dec x;
	size_t i;

	for (i = 0; i < dr->nlines; i++) {
		doc_line_link(dr, i, &dl);
		if (dl.rated_key == NULL || (l = hmap_getn(&r->rated,
		    dl.rated_key, strlen(dl.rated_key))) == NULL)
			continue;
		/* inclusive prices: the gross is what was rated */
		x = dl.gross.s ? dl.gross.d : dl.net.d;
		dec_add(l->invoiced, x, &l->invoiced);
		if (!l->seen)
			l->doc = number;
		l->seen = 1;
	}
}

static void
doc_taxes(struct recon *r, const struct rdoc *d, const struct doc_rec *dr)
{
	struct doc_taxl e;
	struct buf k = { 0 };
	struct rtax *t;
	void **ref;
	size_t i;

	if (d->ikey == NULL)
		return;
	for (i = 0; i < dr->ntaxes; i++) {
		doc_taxl_read(dr, i, &e);
		buf_reset(&k);
		buf_printf(&k, "%s|%s|%s|%s|%s", d->ikey, e.category,
		    e.rate.s, e.inclusive ? "i" : "e", e.rounding);
		ref = hmap_ref(&r->taxes, k.p, k.len);
		if ((t = *ref) == NULL) {
			t = xcalloc(1, sizeof(*t));
			t->ikey = xstrdup(d->ikey);
			t->cat = hmap_intern(&r->strs, e.category);
			t->customer = d->customer;
			t->number = xstrdup(d->ref ? d->ref : d->number);
			t->currency = d->currency;
			t->rounding = hmap_intern(&r->strs, e.rounding);
			t->rate = e.rate.d;
			t->inclusive = e.inclusive;
			t->minor = d->currency ? cur_minor(d->currency) : 2;
			*ref = t;
			r->tv = xreallocarray(r->tv, r->nt + 1,
			    sizeof(*r->tv));
			r->tv[r->nt++] = t;
		}
		dec_add(t->base, e.base.d, &t->base);
		dec_add(t->tax, e.tax.d, &t->tax);
	}
	buf_free(&k);
}

/* Lenient: a document erp-post would refuse is still counted. */
static void
read_doc(struct stagein *s, void *arg)
{
	struct recon *r = arg;
	struct doc_rec dr;
	struct rdoc *d;
	void **ref;

	doc_read(s->jr.root, &s->jr, &dr);
	if (dr.kind == NULL || (strcmp(dr.kind, "invoice") &&
	    strcmp(dr.kind, "credit_note") && strcmp(dr.kind,
	    "debit_note")) || dr.number == NULL) {
		si_reject(s, RC_DATA, "not_document", "kind", "expected an "
		    "issued invoice, credit note or debit note");
		return;
	}
	ref = hmap_ref(&r->docs, dr.number, strlen(dr.number));
	if (*ref != NULL)
		return;
	d = xcalloc(1, sizeof(*d));
	d->number = xstrdup(dr.number);
	d->kind = hmap_intern(&r->strs, dr.kind);
	d->ikey = xstrdup0(dr.invoice_key);
	d->ref = xstrdup0(dr.ref);
	d->entity = hmap_intern(&r->strs, dr.entity.id);
	d->customer = hmap_intern(&r->strs, dr.customer.id);
	d->currency = hmap_intern(&r->strs, dr.currency);
	d->ps = hmap_intern(&r->strs, dr.ps.s);
	d->pe = hmap_intern(&r->strs, dr.pe.s);
	d->version = dr.version;
	d->due = dr.due.d;
	d->total = dr.total.d;
	d->net = dr.net.d;
	d->tax = dr.tax.d;
	d->credit = dr.credit.d;
	doc_taxes(r, d, &dr);
	total_add(r, d->currency, T_NET, d->net);
	total_add(r, d->currency, T_TOTAL, d->total);
	doc_lines(r, &dr, d->number);
	*ref = d;
	r->dv = xreallocarray(r->dv, r->nd + 1, sizeof(*r->dv));
	r->dv[r->nd++] = d;
}

static void
read_entry(struct stagein *s, void *arg)
{
	struct recon *r = arg;
	json_t *j = s->jr.root, *doc, *v, *e;
	const struct books *b;
	struct rentry *en, *old;
	const char *acct;
	void **ref;
	size_t i;

	if (jval_str(j, "kind") == NULL || strcmp(jval_str(j, "kind"), "journal_entry") ||
	    jval_str(j, "id") == NULL) {
		si_reject(s, RC_DATA, "not_journal_entry", "kind", "expected "
		    "a journal entry (erp-post's NDJSON)");
		return;
	}
	doc = json_object_get(j, "document");
	en = xcalloc(1, sizeof(*en));
	en->id = xstrdup(jval_str(j, "id"));
	en->type = hmap_intern(&r->strs, jval_str(j, "type"));
	en->number = xstrdup0(jval_str(doc, "number"));
	en->entity = hmap_intern(&r->strs, jval_str(j, "entity"));
	if (jrec_int(&s->jr, json_object_get(doc, "version"), 0, INT32_MAX,
	    &en->version) < 0)
		en->version = 0;
	b = en->entity ? books_of(&r->acc, en->entity) : NULL;
	v = json_object_get(j, "lines");
	json_array_foreach(v, i, e) {
		dec d = jval_dec_or_zero(e, "debit"), c = jval_dec_or_zero(e, "credit"), x;

		dec_add(en->debit, d, &en->debit);
		dec_add(en->credit, c, &en->credit);
		acct = jval_str(e, "account");
		if (b != NULL && acct != NULL && dec_sub(d, c, &x) == DEC_OK) {
			switch (books_role(b, acct)) {
			case ROLE_RECEIVABLE:
				dec_add(en->receivable, x, &en->receivable);
				if (en->type == NULL ||
				    strcmp(en->type, "payment"))
					total_add(r, jval_str(j, "currency"),
					    T_POSTED, x);
				break;
			case ROLE_REVENUE:	/* credits: revenue is -x */
				dec_sub(en->revenue, x, &en->revenue);
				break;
			case ROLE_TAX:
				dec_sub(en->tax, x, &en->tax);
				break;
			}
		}
		if (b != NULL && acct != NULL && !en->unknown_account &&
		    !books_has(b, acct)) {
			en->unknown_account = 1;
			en->bad_account = xstrdup(acct);
		}
	}
	ref = hmap_ref(&r->entries, en->id, strlen(en->id));
	if ((old = *ref) != NULL) {
		old->seen++;	/* the same entry twice in the journal */
		free(en->id);
		free(en->number);
		free(en->bad_account);
		free(en);
		return;
	}
	*ref = en;
	r->ev = xreallocarray(r->ev, r->ne + 1, sizeof(*r->ev));
	r->ev[r->ne++] = en;
}

static void
read_file(struct recon *r, const char *path,
    void (*cb)(struct stagein *, void *))
{
	struct stagein si;
	char *files[1] = { (char *)path };

	si_init(&si, 1, files, LR_MAXLEN_DEFAULT, r->max_depth, &r->rej);
	si_each(&si, cb, r);
	r->read += si.read;
	r->rejected += si.rejected;
	if (si.lr.failed)
		die(EX_NOINPUT, "cannot read '%s'", path);
	si_free(&si);
}

/* ---- the checks ---- */

/* aggregates -> rated lines: every aggregate rated, lineages matching */
static void
check_aggregates(struct recon *r)
{
	unsigned char k[KEY_LEN], want[KEY_LEN];
	char hex[KEY_HEXLEN];
	struct exc x;
	size_t i, j;

	for (i = 0; i < r->nr; i++) {
		struct rline *l = r->rv[i];
		lin_t sum = 0;
		int all = 1;

		for (j = 0; j < l->naggs; j++) {
			struct ragg *a = hmap_get(&r->aggs, l->aggs[j]);

			if (a == NULL) {
				memset(&x, 0, sizeof(x));
				x.code = "rated_without_aggregate";
				x.customer = l->customer;
				x.ps = l->ps;
				x.pe = l->pe;
				x.keys[0] = l->key;
				x.keys[1] = l->aggs[j];
				exception(r, &x, "rated line %s of charge %s "
				    "prices aggregate %s, which is not in the "
				    "aggregates", l->key, l->charge ?
				    l->charge : "-", l->aggs[j]);
				all = 0;
				continue;
			}
			a->rated = 1;
			if (a->lineage && key_unhex(a->lineage, k,
			    KEY_LEN) == 0)
				sum += lin_of(k);
		}
		if (!all || l->naggs == 0 || l->lineage == NULL)
			continue;
		lin_bytes(sum, want);
		key_hex(want, KEY_LEN, hex);
		if (strcmp(hex, l->lineage) != 0) {
			memset(&x, 0, sizeof(x));
			x.code = "lineage_mismatch";
			x.customer = l->customer;
			x.ps = l->ps;
			x.pe = l->pe;
			x.keys[0] = l->key;
			exception(r, &x, "rated line %s has lineage %s; its "
			    "aggregates' events sum to %s", l->key, l->lineage,
			    hex);
		}
	}
	for (i = 0; i < r->na; i++) {
		struct ragg *a = r->av[i];

		if (a->rated)
			continue;
		memset(&x, 0, sizeof(x));
		x.code = "aggregate_not_rated";
		x.customer = a->customer;
		x.keys[0] = a->key;
		exception(r, &x, "aggregate %s (%s, meter %s) is on no rated "
		    "line", a->key, a->customer ? a->customer : "?",
		    a->meter ? a->meter : "?");
	}
}

static int ev_counts(const struct meter *, const struct ldg_usage *);

/*
 * An aggregate the ledger's usage does not make: reported once all the
 * usage is read, so that late usage is told apart in one scan.
 */
struct mism {
	char		*key;
	struct ragg	*a;
	const char	*ps, *pe;	/* interned */
	dec		 expected;
	int64_t		 events;	/* the ledger's */
	/* late usage: events accepted after the period's invoice */
	const struct rdoc *doc;
	const struct meter *m;
	int64_t		 from, to, issued;
	uint64_t	 late;
};

struct usage_cmp {
	struct recon	*r;
	struct hmap	 seen;
	struct mism	*mv;
	size_t		 nm;
};

static int
doc_issued(const struct ldg_doc *d, void *arg)
{
	*(int64_t *)arg = d->issued;
	return 1;
}

struct latescan {
	struct usage_cmp *u;
	struct hmap	 by_customer;	/* customer -> struct idxs * */
};

struct idxs {
	size_t		 n;
	size_t		 v[];
};

static int
late_one(const struct ldg_usage *l, void *arg)
{
	struct latescan *x = arg;
	struct idxs *ix = hmap_getn(&x->by_customer, l->customer,
	    l->customer_len);
	size_t i;

	for (i = 0; ix != NULL && i < ix->n; i++) {
		struct mism *m = &x->u->mv[ix->v[i]];

		if (l->t >= m->from && l->t < m->to &&
		    l->ingested > m->issued && ev_counts(m->m, l))
			m->late++;
	}
	return 0;
}

/*
 * Late usage: of the events an aggregate lacks, how many were accepted
 * after the invoice of its customer and period was issued (the ledger
 * records when).  Needs --invoices.  One scan of the ledger for all the
 * aggregates that lack events.
 */
static void
late_usage(struct recon *r, struct usage_cmp *u)
{
	struct latescan x;
	struct hmap docs;
	int64_t from = INT64_MAX, to = INT64_MIN;
	const char *why, *pp[2];
	size_t i, k, n = 0;
	void **ref;

	if (r->nd == 0 || u->nm == 0)
		return;
	/* the invoices by (customer, period start): interned pointers */
	hmap_init(&docs);
	for (i = 0; i < r->nd; i++) {
		if (strcmp(r->dv[i]->kind, "invoice") != 0 ||
		    r->dv[i]->customer == NULL || r->dv[i]->ps == NULL)
			continue;
		pp[0] = r->dv[i]->customer;
		pp[1] = r->dv[i]->ps;
		ref = hmap_ref(&docs, (const char *)pp, sizeof(pp));
		if (*ref == NULL)
			*ref = r->dv[i];
	}
	if (r->ms.path == NULL)
		meters_load(&r->ms, r->meters_path);
	hmap_init(&x.by_customer);
	x.u = u;
	for (i = 0; i < u->nm; i++) {
		struct mism *m = &u->mv[i];
		struct idxs *ix;

		if (m->events <= m->a->events || m->a->meter == NULL ||
		    m->ps == NULL || m->pe == NULL)
			continue;
		pp[0] = m->a->customer;
		pp[1] = m->ps;
		if ((m->doc = hmap_getn(&docs, (const char *)pp,
		    sizeof(pp))) == NULL)
			continue;
		for (k = 0; k < r->ms.n; k++)
			if (strcmp(r->ms.v[k].name, m->a->meter) == 0)
				m->m = &r->ms.v[k];
		m->issued = INT64_MIN;
		ldg_doc_by_number(r->ldg, m->doc->number, doc_issued,
		    &m->issued);
		if (m->m == NULL || m->issued == INT64_MIN ||
		    tm_parse(m->ps, strlen(m->ps), &m->from, &why) < 0 ||
		    tm_parse(m->pe, strlen(m->pe), &m->to, &why) < 0) {
			m->doc = NULL;
			continue;
		}
		ref = hmap_ref(&x.by_customer, m->a->customer,
		    strlen(m->a->customer));
		ix = *ref;
		ix = xrealloc(ix, sizeof(*ix) + ((ix ? ix->n : 0) + 1) *
		    sizeof(ix->v[0]));
		if (*ref == NULL)
			ix->n = 0;
		ix->v[ix->n++] = i;
		*ref = ix;
		if (m->from < from)
			from = m->from;
		if (m->to > to)
			to = m->to;
		n++;
	}
	if (n > 0)
		ldg_usage_scan(r->ldg, from, to, late_one, &x);
	for (i = 0; i < x.by_customer.cap; i++)
		free(x.by_customer.t[i].val);
	hmap_free(&x.by_customer);
	hmap_free(&docs);
}

/* The mismatches, in the order the usage gave them. */
static void
report_mismatches(struct recon *r, struct usage_cmp *u)
{
	struct exc x;
	char e1[32], e2[32];
	size_t i;

	late_usage(r, u);
	for (i = 0; i < u->nm; i++) {
		struct mism *m = &u->mv[i];
		struct ragg *a = m->a;

		memset(&x, 0, sizeof(x));
		x.customer = a->customer;
		x.ps = m->ps;
		x.pe = m->pe;
		x.keys[0] = m->key;
		x.has_amounts = 1;
		x.expected = m->expected;
		x.actual = a->quantity;
		snprintf(e1, sizeof(e1), "%" PRId64, m->events);
		snprintf(e2, sizeof(e2), "%" PRId64, a->events);
		if (m->doc != NULL && m->late > 0 &&
		    m->late == (uint64_t)(m->events - a->events)) {
			x.code = "late_usage";
			x.document = m->doc->number;
			exception(r, &x, "aggregate %s (%s, meter %s): %"
			    PRIu64 " event%s of the period accepted after "
			    "invoice %s was issued; the ledger's usage gives "
			    "%s events, the aggregate counted %s: rate the "
			    "period again and invoice-gen issues a debit note",
			    m->key, a->customer, a->meter, m->late,
			    m->late == 1 ? "" : "s", m->doc->number, e1, e2);
		} else {
			x.code = "aggregate_mismatch";
			exception(r, &x, "aggregate %s (%s, meter %s): the "
			    "ledger's usage gives %s events, the aggregate "
			    "counted %s (events missing, doubled or late)",
			    m->key, a->customer, a->meter, e1, e2);
		}
		free(m->key);
	}
	free(u->mv);
}

/*
 * usage -> aggregates: meter-aggregate run again on the ledger for the
 * periods of the aggregates given; what it gives and they do not say is
 * usage missing from aggregation (or late), and the other way round.
 */
static void
usage_one(struct stagein *s, void *arg)
{
	struct usage_cmp *u = arg;
	struct recon *r = u->r;
	json_t *j = s->jr.root;
	const char *k = jval_str(j, "key");
	struct ragg *a;
	struct exc x;
	int64_t ev = 0;
	dec q = jval_dec_or_zero(j, "quantity");

	if (k == NULL || jval_str(j, "kind") == NULL ||
	    strcmp(jval_str(j, "kind"), "aggregate") != 0)
		return;
	jrec_int(&s->jr, json_object_get(j, "events"), 0, INT64_MAX, &ev);
	memset(&x, 0, sizeof(x));
	x.customer = jval_str(j, "customer");
	x.ps = jval_str(j, "period_start");
	x.pe = jval_str(j, "period_end");
	x.keys[0] = k;
	x.has_amounts = 1;
	x.expected = q;
	if ((a = hmap_get(&r->aggs, k)) == NULL) {
		x.code = "usage_not_aggregated";
		x.actual = (dec){ 0, q.s };
		exception(r, &x, "the ledger's usage makes aggregate %s (%s, "
		    "meter %s) of %" PRId64 " events, which is not among the "
		    "aggregates", k, jval_str(j, "customer"), jval_str(j, "meter"), ev);
		return;
	}
	a->found = 1;
	if (dec_cmp(a->quantity, q) != 0 || a->events != ev ||
	    (a->lineage && jval_str(j, "lineage") &&
	    strcmp(a->lineage, jval_str(j, "lineage")) != 0)) {
		struct mism *m;

		u->mv = xreallocarray(u->mv, u->nm + 1, sizeof(*u->mv));
		m = memset(&u->mv[u->nm++], 0, sizeof(*m));
		m->key = xstrdup(k);
		m->a = a;
		m->ps = hmap_intern(&r->strs, x.ps);
		m->pe = hmap_intern(&r->strs, x.pe);
		m->expected = q;
		m->events = ev;
	}
}

static void
check_usage(struct recon *r)
{
	struct usage_cmp u = { r, { 0 }, NULL, 0 };
	struct stagein si;
	char from[TM_FMTMAX], to[TM_FMTMAX], prog[4096], path[64];
	const char *argv[20], *why, *slash;
	int64_t lo = INT64_MAX, hi = INT64_MIN, t;
	int fd[2], st, n = 0;
	size_t i;
	pid_t pid;
	char *files[1];
	struct exc x;
	FILE *errf;

	for (i = 0; i < r->na; i++) {
		const char *pe = r->av[i]->pe;

		if (pe != NULL && tm_parse(pe, strlen(pe), &t, &why) == 0) {
			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
		}
	}
	if (r->na == 0 || lo == INT64_MAX)
		return;
	tm_fmt(lo - TM_NS_PER_SEC, from, sizeof(from));
	tm_fmt(hi, to, sizeof(to));
	/* the meter-aggregate beside this program, else the PATH's */
	if ((slash = strrchr(r->self, '/')) != NULL)
		snprintf(prog, sizeof(prog), "%.*s/meter-aggregate",
		    (int)(slash - r->self), r->self);
	else
		snprintf(prog, sizeof(prog), "meter-aggregate");
	argv[n++] = prog;
	argv[n++] = "--meters";
	argv[n++] = r->meters_path;
	if (r->customers_path != NULL) {
		argv[n++] = "--customers";
		argv[n++] = r->customers_path;
	}
	argv[n++] = "--ledger";
	argv[n++] = r->ledger_path;
	argv[n++] = "--from";
	argv[n++] = from;
	argv[n++] = "--to";
	argv[n++] = to;
	argv[n++] = "--period";
	argv[n++] = r->av[0]->unit ? r->av[0]->unit : "month";
	argv[n++] = "--rejects";
	argv[n++] = "/dev/null";
	argv[n] = NULL;
	/* its summary is noise here; its errors are shown if it fails */
	if ((errf = tmpfile()) == NULL || pipe(fd) < 0 || (pid = fork()) < 0)
		die(EX_OSERR, "cannot run meter-aggregate: %s",
		    strerror(errno));
	if (pid == 0) {
		dup2(fileno(errf), 2);
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(prog, (char *const *)argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", progname, prog,
		    strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	close(fd[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", fd[0]);
	files[0] = path;
	hmap_init(&u.seen);
	si_init(&si, 1, files, LR_MAXLEN_DEFAULT, r->max_depth, &r->rej);
	si_each(&si, usage_one, &u);
	si_free(&si);
	close(fd[0]);
	hmap_free(&u.seen);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		rewind(errf);
		while ((n = getc(errf)) != EOF)
			fputc(n, stderr);
		die(EX_SOFTWARE, "meter-aggregate on the ledger failed (%d): "
		    "the usage could not be compared", WIFEXITED(st) ?
		    WEXITSTATUS(st) : -1);
	}
	fclose(errf);
	report_mismatches(r, &u);
	for (i = 0; i < r->na; i++) {
		struct ragg *a = r->av[i];

		if (a->found)
			continue;
		memset(&x, 0, sizeof(x));
		x.code = "aggregate_without_usage";
		x.customer = a->customer;
		x.ps = a->ps;
		x.pe = a->pe;
		x.keys[0] = a->key;
		x.has_amounts = 1;
		x.expected = (dec){ 0, a->quantity.s };
		x.actual = a->quantity;
		exception(r, &x, "aggregate %s (%s, meter %s) has no usage in "
		    "the ledger behind it", a->key, a->customer, a->meter);
	}
}

/* rated lines -> documents: each invoiced at its amount, after notes */
static void
check_invoiced(struct recon *r)
{
	struct exc x;
	size_t i;

	for (i = 0; i < r->nr; i++) {
		struct rline *l = r->rv[i];

		if (l->type != NULL && strcmp(l->type, "credit") == 0)
			continue;	/* not a line: the documents' credit */
		memset(&x, 0, sizeof(x));
		x.customer = l->customer;
		x.ps = l->ps;
		x.pe = l->pe;
		x.currency = l->currency;
		x.keys[0] = l->key;
		x.has_amounts = 1;
		x.expected = l->amount;
		x.actual = l->invoiced;
		x.document = l->doc;
		if (!l->seen && dec_sign(l->amount) != 0) {
			x.code = "rated_not_invoiced";
			exception(r, &x, "rated line %s (%s, charge %s) is on "
			    "no document", l->key, l->customer, l->charge ?
			    l->charge : "-");
		} else if (l->seen && dec_cmp(l->amount, l->invoiced) != 0) {
			char a[DEC_FMTMAX], b[DEC_FMTMAX];

			dec_fmt(l->amount, a, sizeof(a));
			dec_fmt(l->invoiced, b, sizeof(b));
			x.code = "invoice_amount_mismatch";
			x.amount_only = 1;
			exception(r, &x, "rated line %s (%s, charge %s) is "
			    "rated %s %s, its documents bill %s", l->key,
			    l->customer, l->charge ? l->charge : "-", a,
			    l->currency ? l->currency : "", b);
		}
	}
}

/*
 * The tax of each invoice key and category, over all its documents,
 * computed again with invoice-gen's one tax computation (inv_tax): on
 * the base (or out of the gross, base + tax, for inclusive prices) at
 * the rate, rounded once with the rounding the document names.
 */
static void
check_tax(struct recon *r)
{
	struct exc x;
	dec want, g;
	size_t i;
	int mode, e;

	for (i = 0; i < r->nt; i++) {
		struct rtax *tx = r->tv[i];

		mode = tx->rounding ? dec_parse_round(tx->rounding) : -1;
		if (mode < 0 || tx->minor < 0)
			continue;
		if (tx->inclusive)
			e = dec_add(tx->base, tx->tax, &g) || inv_tax(g,
			    tx->rate, (enum dec_round)mode, 1, tx->minor,
			    &want);
		else
			e = inv_tax(tx->base, tx->rate, (enum dec_round)mode, 0,
			    tx->minor, &want);
		if (e || dec_cmp(want, tx->tax) == 0)
			continue;
		memset(&x, 0, sizeof(x));
		x.code = "tax_mismatch";
		x.amount_only = 1;
		x.customer = tx->customer;
		x.document = tx->number;
		x.currency = tx->currency;
		x.keys[0] = tx->ikey;
		x.has_amounts = 1;
		x.expected = want;
		x.actual = tx->tax;
		exception(r, &x, "invoice %s: category %s tax, computed again "
		    "on its documents' base, is not what they charge",
		    tx->number, tx->cat ? tx->cat : "?");
	}
}

/* documents -> journal: each posted once, in full, to its accounts */
static void
check_posted(struct recon *r)
{
	struct exc x;
	size_t i, j;

	for (i = 0; i < r->ne; i++) {
		struct rentry *e = r->ev[i];
		struct rdoc *d = e->number ? hmap_get(&r->docs, e->number) :
		    NULL;

		memset(&x, 0, sizeof(x));
		x.keys[0] = e->id;
		x.document = e->number;
		if (e->type != NULL && strcmp(e->type, "payment") == 0)
			continue;
		if (d == NULL) {
			x.code = "posting_without_document";
			exception(r, &x, "journal entry %s is for document %s, "
			    "which is not among the documents", e->id,
			    e->number ? e->number : "?");
			continue;
		}
		x.customer = d->customer;
		x.ps = d->ps;
		x.pe = d->pe;
		x.currency = d->currency;
		if (e->seen > 0) {
			x.code = "duplicate_posting";
			exception(r, &x, "journal entry %s of document %s is "
			    "in the journal %d times", e->id, d->number,
			    e->seen + 1);
		}
		if (dec_cmp(e->debit, e->credit) != 0) {
			x.code = "unbalanced_entry";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = e->debit;
			x.actual = e->credit;
			exception(r, &x, "journal entry %s of document %s "
			    "does not balance", e->id, d->number);
			x.has_amounts = 0;
		}
		if (e->unknown_account) {
			x.code = "wrong_account";
			exception(r, &x, "journal entry %s of document %s "
			    "posts to %s, not an account of entity %s",
			    e->id, d->number, e->bad_account, e->entity);
		}
		if (e->type == NULL || strcmp(e->type, "document") != 0)
			continue;
		if (d->posted++ == 0)
			d->first_entry = e->id;
		else {
			x.code = "duplicate_posting";
			x.keys[1] = d->first_entry;
			exception(r, &x, "document %s is posted twice: entries "
			    "%s and %s", d->number, d->first_entry, e->id);
			x.keys[1] = NULL;
		}
		if (r->accounts_path != NULL &&
		    dec_cmp(e->receivable, d->due) != 0) {
			char a[DEC_FMTMAX], b[DEC_FMTMAX];

			dec_fmt(d->due, a, sizeof(a));
			dec_fmt(e->receivable, b, sizeof(b));
			x.code = "receivable_mismatch";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = d->due;
			x.actual = e->receivable;
			exception(r, &x, "document %s is due %s %s; entry %s "
			    "puts %s on receivable", d->number, a,
			    d->currency ? d->currency : "", e->id, b);
		}
		if (r->accounts_path != NULL &&
		    dec_cmp(e->revenue, d->net) != 0) {
			x.code = "revenue_posting_mismatch";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = d->net;
			x.actual = e->revenue;
			exception(r, &x, "document %s's net revenue is not what "
			    "entry %s credits to revenue", d->number, e->id);
		}
		if (r->accounts_path != NULL &&
		    dec_cmp(e->tax, d->tax) != 0) {
			x.code = "tax_posting_mismatch";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = d->tax;
			x.actual = e->tax;
			exception(r, &x, "document %s's tax is not what entry %s "
			    "credits to tax payable", d->number, e->id);
		}
	}
	for (j = 0; j < r->nd; j++) {
		struct rdoc *d = r->dv[j];
		struct ldg_posting lp;

		if (d->posted > 0) {
			/* completed: in the books, and the ERP says so */
			if (r->ldg == NULL)
				r->docs_done++;
			else if (ldg_posting_get(r->ldg, d->first_entry, &lp)) {
				r->docs_done += strcmp(lp.state,
				    "confirmed") == 0;
				ldg_posting_free(&lp);
			}
			continue;
		}
		memset(&x, 0, sizeof(x));
		x.code = "document_not_posted";
		x.customer = d->customer;
		x.ps = d->ps;
		x.pe = d->pe;
		x.document = d->number;
		x.currency = d->currency;
		x.has_amounts = 1;
		x.expected = d->due;
		x.actual = (dec){ 0, d->due.s };
		exception(r, &x, "%s %s has no journal entry",
		    strcmp(d->kind, "credit_note") == 0 ? "credit note" :
		    strcmp(d->kind, "debit_note") == 0 ? "debit note" :
		    "invoice", d->number);
	}
}

/* the ledger's postings: none failed, none pending too long */
static int
check_posting(const char *id, const char *number, const char *state,
    const char *ref, int64_t emitted, int64_t updated, void *arg)
{
	struct recon *r = arg;
	char age[32];
	struct exc x;

	(void)ref;
	memset(&x, 0, sizeof(x));
	x.keys[0] = id;
	x.document = number;
	if (strcmp(state, "confirmed") == 0) {
		r->latency_sum += (updated - emitted) / TM_NS_PER_SEC;
		r->latency_n++;
		return 0;
	}
	if (strcmp(state, "failed") == 0) {
		x.code = "posting_failed";
		exception(r, &x, "journal entry %s of %s was refused by the "
		    "ERP", id, number);
		return 0;
	}
	if (r->as_of - emitted > r->max_pending) {
		snprintf(age, sizeof(age), "%" PRId64 "h",
		    (int64_t)((r->as_of - emitted) / TM_NS_PER_SEC / 3600));
		x.code = "posting_pending_too_long";
		exception(r, &x, "journal entry %s of %s has waited %s for "
		    "the ERP's confirmation", id, number, age);
	}
	return 0;
}

/*
 * --confirmations: what the ERP says it has (its export or its
 * acknowledgements: id, erp_ref, status, amount) against what was sent
 * (the journal) and what the ledger recorded.
 */
static void
confirmation(struct recon *r, struct stagein *s, const char *id,
    const char *ref, const char *status, const char *amount)
{
	struct ldg_posting lp;
	struct rentry *e;
	struct exc x;
	int known = 0;
	dec a;

	(void)s;
	if (id == NULL || *id == '\0')
		return;
	memset(&x, 0, sizeof(x));
	x.keys[0] = id;
	e = hmap_get(&r->entries, id);
	if (e != NULL) {
		known = 1;
		x.document = e->number;
		if (amount != NULL && *amount != '\0' &&
		    dec_parse(amount, strlen(amount), &a) == DEC_OK &&
		    dec_cmp(a, e->debit) != 0) {
			x.code = "confirmation_amount_mismatch";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = e->debit;
			x.actual = a;
			exception(r, &x, "the ERP has entry %s for %s, not "
			    "what was sent", id, amount);
			x.has_amounts = 0;
		}
	}
	if (r->ldg != NULL && ldg_posting_get(r->ldg, id, &lp)) {
		known = 1;
		if (status != NULL && strcmp(status, "confirmed") == 0 &&
		    strcmp(lp.state, "confirmed") != 0) {
			x.code = "confirmation_not_recorded";
			exception(r, &x, "the ERP confirms entry %s, the "
			    "ledger has it %s: run erp-post --confirm", id,
			    lp.state);
		} else if (status != NULL && strcmp(lp.state, "confirmed") ==
		    0 && (strcmp(status, "confirmed") != 0 || (ref != NULL &&
		    lp.erp_ref != NULL && strcmp(ref, lp.erp_ref) != 0))) {
			x.code = "confirmation_disagrees";
			exception(r, &x, "the ERP says %s %s for entry %s, the "
			    "ledger has it confirmed as %s", status, ref ? ref :
			    "", id, lp.erp_ref ? lp.erp_ref : "?");
		}
		ldg_posting_free(&lp);
	}
	if (!known) {
		x.code = "confirmation_unknown_entry";
		exception(r, &x, "the ERP has entry %s, which was never sent",
		    id);
	}
}

static void
conf_row(struct stagein *s, const char *const *v, void *arg)
{
	if (v[0] == NULL || *v[0] == '\0') {
		si_reject(s, RC_DATA, "missing_field", "id", "a confirmation "
		    "without an entry id");
		return;
	}
	confirmation(arg, s, v[0], v[1], v[2], v[3]);
}

static void
read_confirmations(struct recon *r)
{
	static const char *const names[] = { "id", "erp_ref", "status",
	    "amount" };
	static const struct rowin_spec spec = { names, 4, 1 };
	char *files[1] = { (char *)r->confirmations_path };
	struct stagein si;

	si_init(&si, 1, files, LR_MAXLEN_DEFAULT, r->max_depth, &r->rej);
	rowin_each(&si, &spec, conf_row, r);
	r->read += si.read;
	r->rejected += si.rejected;
	if (si.lr.failed)
		die(EX_NOINPUT, "cannot read '%s'", r->confirmations_path);
	si_free(&si);
}

/* ---- --explain DOCUMENT: the chain of one document ---- */

static int
explain_posting(const char *id, const char *number, const char *state,
    const char *ref, int64_t emitted, int64_t updated, void *arg)
{
	struct recon *r = arg;
	char t[TM_FMTMAX];

	(void)emitted;
	if (strcmp(number, r->explain) != 0)
		return 0;
	tm_fmt(updated, t, sizeof(t));
	buf_printf(&r->out, "    ledger: %s %s%s%s (%s)\n", id, state,
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
ev_counts(const struct meter *m, const struct ldg_usage *u)
{
	struct pk_val v;
	size_t i;

	for (i = 0; i < m->ntypes; i++)
		if (strlen(m->types[i]) == u->type_len &&
		    memcmp(m->types[i], u->type, u->type_len) == 0)
			break;
	if (i == m->ntypes)
		return 0;
	return m->field == NULL ||
	    pk_get(u->data, u->datalen, m->field, &v) == 1;
}

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

		if (u->t < w->from || u->t >= w->to || !ev_counts(w->m, u))
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
explain_scan(struct recon *r, const struct rdoc *d, struct evscan *x,
    struct meters *ms)
{
	int64_t from = INT64_MAX, to = INT64_MIN;
	const char *why;
	size_t i, j, k;

	for (i = 0; i < r->nr; i++) {
		struct rline *l = r->rv[i];

		if (!l->seen || l->customer != d->customer || l->ps != d->ps)
			continue;
		for (j = 0; j < l->naggs; j++) {
			struct ragg *g = hmap_get(&r->aggs, l->aggs[j]);
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

static void
explain(struct recon *r)
{
	struct rdoc *d = hmap_get(&r->docs, r->explain);
	struct buf *o = &r->out;
	struct evscan x = { NULL, NULL, 0 };
	struct meters ms;
	size_t i, j, k;
	char a[DEC_FMTMAX];

	memset(&ms, 0, sizeof(ms));

	if (d == NULL)
		die(EX_DATAERR, "--explain %s: no such document in --invoices",
		    r->explain);
	dec_fmt(d->due, a, sizeof(a));
	buf_printf(o, "%s %s of %s, %s .. %s, amount due %s %s%s%s\n",
	    d->kind, d->number, d->customer, d->ps, d->pe, a, d->currency,
	    d->ref ? ", correcting " : "", d->ref ? d->ref : "");
	if (r->ldg != NULL && r->meters_path != NULL) {
		meters_load(&ms, r->meters_path);
		explain_scan(r, d, &x, &ms);
	}
	for (i = 0; i < r->nr; i++) {
		struct rline *l = r->rv[i];

		/* interned: the same text is the same pointer */
		if (!l->seen || l->customer == NULL ||
		    l->customer != d->customer || l->ps != d->ps)
			continue;
		dec_fmt(l->amount, a, sizeof(a));
		buf_printf(o, "  rated line %s: %s %s %s, lineage %s\n",
		    l->key, l->charge ? l->charge : l->type, a, l->currency,
		    l->lineage ? l->lineage : "-");
		for (j = 0; j < l->naggs; j++) {
			struct ragg *g = hmap_get(&r->aggs, l->aggs[j]);

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
		struct rentry *e = r->ev[k];

		if (e->number == NULL || strcmp(e->number, d->number) != 0)
			continue;
		dec_fmt(e->debit, a, sizeof(a));
		buf_printf(o, "  journal entry %s (%s): %s debited and "
		    "credited\n", e->id, e->type ? e->type : "?", a);
	}
	if (r->ldg != NULL)
		ldg_postings_all(r->ldg, explain_posting, r);
}

/* ---- the run ---- */

static void
free_all(struct recon *r)
{
	size_t i;

	for (i = 0; i < r->na; i++) {
		free(r->av[i]->lineage);
		free(r->av[i]);
	}
	for (i = 0; i < r->nr; i++) {
		struct rline *l = r->rv[i];

		free(l->aggs);
		free(l->lineage);
		free(l);
	}
	for (i = 0; i < r->nd; i++) {
		struct rdoc *d = r->dv[i];

		free(d->number);
		free(d->ikey);
		free(d->ref);
		free(d);
	}
	for (i = 0; i < r->ne; i++) {
		free(r->ev[i]->id);
		free(r->ev[i]->number);
		free(r->ev[i]->bad_account);
		free(r->ev[i]);
	}
	free(r->av);
	free(r->rv);
	free(r->dv);
	free(r->ev);
	hmap_free(&r->aggs);
	hmap_free(&r->rated);
	hmap_free(&r->docs);
	hmap_free(&r->entries);
	buf_free(&r->out);
	accounts_free(&r->acc);
	for (i = 0; i < r->totals.cap; i++)
		free(r->totals.t[i].val);
	hmap_free(&r->totals);
	for (i = 0; i < r->nt; i++) {
		free(r->tv[i]->ikey);
		free(r->tv[i]->number);
		free(r->tv[i]);
	}
	free(r->tv);
	hmap_free(&r->taxes);
	hmap_free(&r->strs);
	if (r->ms.path != NULL)
		meters_free(&r->ms);
}

static void
summary(struct recon *r, struct buf *b, int json)
{
	char v[DEC_FMTMAX];
	uint64_t docs = r->nd;
	double acc = docs ? 100.0 * (double)r->docs_ok / (double)docs : 100;

	dec_fmt(r->variance, v, sizeof(v));
	if (!json) {
		buf_printf(b, "%" PRIu64 " exception%s; %zu aggregates, %zu "
		    "rated lines, %zu documents, %zu journal entries; "
		    "documents that agree: %" PRIu64 " (%.1f%%); variance %s",
		    r->nexc, r->nexc == 1 ? "" : "s", r->na, r->nr, r->nd,
		    r->ne, r->docs_ok, acc, v);
		if (r->latency_n > 0)
			buf_printf(b, "; posting latency %" PRId64 " s",
			    r->latency_sum / (int64_t)r->latency_n);
		if (r->journal_path != NULL && docs > 0)
			buf_printf(b, "; completion %" PRIu64 " of %" PRIu64,
			    r->docs_done, docs);
		return;
	}
	const struct stat st[] = {
		STAT_N("exceptions", r->nexc),
		STAT_N("aggregates", r->na),
		STAT_N("rated_lines", r->nr),
		STAT_N("documents", r->nd),
		STAT_N("journal_entries", r->ne),
		STAT_N("documents_agreeing", r->docs_ok),
		STAT_N("documents_completed", r->docs_done),
		STAT_S("variance_total", v),
		STAT_I_IF(r->latency_n > 0, "posting_latency_seconds",
		    r->latency_sum / (int64_t)r->latency_n),
		STAT_N("read", r->read),
		STAT_N("rejected", r->rejected),
		STAT_T("as_of", r->as_of),
	};

	stats_json(b, "reconcile", st, sizeof(st) / sizeof(st[0]));
}

static int
tot_cmp(const void *x, const void *y)
{
	return strcmp((*(struct tot *const *)x)->cur,
	    (*(struct tot *const *)y)->cur);
}

/* The report for --format html: counts, stage totals, the exceptions. */
static json_t *
report(struct recon *r)
{
	json_t *o = json_object(), *c = json_object(), *st = json_array();
	json_t *ex = json_array(), *e;
	struct tot **tv;
	char t[TM_FMTMAX];
	const char *p, *nl;
	size_t i, n = 0;

	tm_fmt(r->as_of, t, sizeof(t));
	json_object_set_new(o, "as_of", json_string(t));
	json_object_set_new(o, "agree", json_boolean(r->nexc == 0));
	json_object_set_new(c, "aggregates", json_integer((json_int_t)r->na));
	json_object_set_new(c, "rated_lines", json_integer((json_int_t)r->nr));
	json_object_set_new(c, "documents", json_integer((json_int_t)r->nd));
	json_object_set_new(c, "journal_entries",
	    json_integer((json_int_t)r->ne));
	json_object_set_new(c, "documents_agreeing",
	    json_integer((json_int_t)r->docs_ok));
	json_object_set_new(c, "exceptions",
	    json_integer((json_int_t)r->nexc));
	json_object_set_new(o, "counts", c);
	json_object_set_new(o, "variance_total", jval_of_dec(r->variance));
	json_object_set_new(o, "posting_latency_seconds", r->latency_n ?
	    json_integer(r->latency_sum / (int64_t)r->latency_n) :
	    json_null());
	tv = xcalloc(r->totals.n + 1, sizeof(*tv));
	for (i = 0; i < r->totals.cap; i++)
		if (r->totals.t[i].key != NULL)
			tv[n++] = r->totals.t[i].val;
	if (n > 0)
		qsort(tv, n, sizeof(*tv), tot_cmp);
	for (i = 0; i < n; i++) {
		e = json_object();
		json_object_set_new(e, "currency", json_string(tv[i]->cur));
		json_object_set_new(e, "rated", jval_of_dec(tv[i]->v[T_RATED]));
		json_object_set_new(e, "invoiced_net", jval_of_dec(tv[i]->v[T_NET]));
		json_object_set_new(e, "invoiced_total",
		    jval_of_dec(tv[i]->v[T_TOTAL]));
		json_object_set_new(e, "posted_receivable",
		    jval_of_dec(tv[i]->v[T_POSTED]));
		json_array_append_new(st, e);
	}
	free(tv);
	json_object_set_new(o, "stages", st);
	for (p = r->out.p; p != NULL && p < r->out.p + r->out.len; p = nl + 1) {
		if ((nl = memchr(p, '\n', r->out.p + r->out.len - p)) == NULL)
			break;
		if ((e = json_loadb(p, (size_t)(nl - p), 0, NULL)) != NULL)
			json_array_append_new(ex, e);
	}
	json_object_set_new(o, "exceptions", ex);
	return o;
}

/* A document agrees when no exception names it. */
static void
count_agreeing(struct recon *r)
{
	size_t i;

	for (i = 0; i < r->nd; i++)
		if (!r->dv[i]->bad)
			r->docs_ok++;
}

static void
opt_format(void *dst, const char *arg)
{
	struct recon *r = dst;

	if (strcmp(arg, "text") == 0)
		r->text = 1;
	else if (strcmp(arg, "html") == 0)
		r->html = 1;
	else if (strcmp(arg, "ndjson") != 0) {
		warnmsg("--format '%s': expected ndjson, text or html", arg);
		usage(EX_USAGE);
	}
}

static void
opt_tolerance(void *dst, const char *arg)
{
	dec *tol = dst;

	if (dec_parse(arg, strlen(arg), tol) != DEC_OK || dec_sign(*tol) < 0) {
		warnmsg("--tolerance '%s': expected an amount of 0 or more, "
		    "like 0.01", arg);
		usage(EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	struct recon r;
	const struct opt opts[] = {
		OPT_S("accounts", 0, &r.accounts_path),
		OPT_S("aggregates", 0, &r.aggregates_path),
		OPT_ASOF(&r.as_of),
		OPT_S("confirmations", 0, &r.confirmations_path),
		OPT_S("customers", 0, &r.customers_path),
		OPT_S("explain", 0, &r.explain),
		OPT_C("format", 0, opt_format, &r),
		OPT_S("invoices", 0, &r.invoices_path),
		OPT_S("journal", 0, &r.journal_path),
		OPT_LEDGER(&r.ledger_path),
		OPT_D("max-pending-age", &r.max_pending),
		OPT_S("meters", 0, &r.meters_path),
		OPT_S("rated", 0, &r.rated_path),
		OPT_REJECTS(&r.rejects_path),
		OPT_STATS(&r.stats_path),
		OPT_C("tolerance", 0, opt_tolerance, &r.tolerance),
		OPT_END
	};
	struct buf b = { 0 };
	char *rejects_default = NULL;
	int first;

	u_setprogname(argv[0]);
	memset(&r, 0, sizeof(r));
	r.self = argv[0];
	r.as_of = INT64_MIN;
	r.max_pending = 72LL * 3600 * TM_NS_PER_SEC;
	r.max_depth = JREC_MAXDEPTH_DEFAULT;
	first = opt_parse(argc, argv, opts, usage);
	if (first < argc) {
		warnmsg("the inputs are named by their options");
		usage(EX_USAGE);
	}
	if (!r.aggregates_path && !r.rated_path && !r.invoices_path &&
	    !r.journal_path && !r.ledger_path && !r.confirmations_path) {
		warnmsg("nothing to reconcile: give --aggregates, --rated, "
		    "--invoices, --journal, --confirmations or --ledger (a "
		    "check runs when both its sides are given)");
		usage(EX_USAGE);
	}
	if (r.meters_path != NULL && (r.ledger_path == NULL ||
	    r.aggregates_path == NULL)) {
		warnmsg("--meters compares the ledger's usage with --aggregates: "
		    "give both");
		usage(EX_USAGE);
	}
	if (r.explain != NULL && r.invoices_path == NULL) {
		warnmsg("--explain needs --invoices");
		usage(EX_USAGE);
	}
	if (r.as_of == INT64_MIN)
		r.as_of = cli_now(0);

	key_init();
	out_init();
	if (r.accounts_path != NULL)
		accounts_load(&r.acc, r.accounts_path);
	else
		hmap_init(&r.acc.by_entity);
	if (r.ledger_path != NULL)
		r.ldg = ldg_open(ldg_path(r.ledger_path), LDG_BUSY_MS,
		    LDG_EXISTING | LDG_LEAN);
	if (r.rejects_path == NULL)
		r.rejects_path = rejects_default =
		    rej_default_path(ldg_path(r.ledger_path));
	rej_open(&r.rej, r.rejects_path, "reconcile");
	hmap_init(&r.aggs);
	hmap_init(&r.rated);
	hmap_init(&r.docs);
	hmap_init(&r.entries);
	hmap_init(&r.totals);
	hmap_init(&r.taxes);
	hmap_init(&r.strs);
	if (r.aggregates_path != NULL)
		read_file(&r, r.aggregates_path, read_agg);
	if (r.rated_path != NULL)
		read_file(&r, r.rated_path, read_rated);
	if (r.invoices_path != NULL)
		read_file(&r, r.invoices_path, read_doc);
	if (r.journal_path != NULL)
		read_file(&r, r.journal_path, read_entry);
	rej_flush(&r.rej);

	if (r.explain != NULL) {
		explain(&r);
		out_write(r.out.p, r.out.len);
		rej_close(&r.rej);
		out_close();
		ldg_close(r.ldg);
		free_all(&r);
		free(rejects_default);
		return 0;
	}
	if (r.meters_path != NULL && r.ledger_path != NULL &&
	    r.aggregates_path != NULL)
		check_usage(&r);
	if (r.aggregates_path != NULL && r.rated_path != NULL)
		check_aggregates(&r);
	if (r.rated_path != NULL && r.invoices_path != NULL)
		check_invoiced(&r);
	if (r.invoices_path != NULL)
		check_tax(&r);
	if (r.invoices_path != NULL && r.journal_path != NULL)
		check_posted(&r);
	if (r.ldg != NULL)
		ldg_postings_all(r.ldg, check_posting, &r);
	if (r.confirmations_path != NULL)
		read_confirmations(&r);
	count_agreeing(&r);
	if (r.html) {
		json_t *rep = report(&r);
		const char *why;

		buf_reset(&b);
		if (recfmt_html(rep, &b, &why) < 0)
			die(EX_SOFTWARE, "--format html: %s", why);
		json_decref(rep);
		out_write(b.p, b.len);
		buf_reset(&b);
	} else
		out_write(r.out.p, r.out.len);
	rej_close(&r.rej);
	out_close();
	summary(&r, &b, 0);
	warnmsg("%s", buf_cstr(&b));
	if (r.stats_path != NULL) {
		buf_reset(&b);
		summary(&r, &b, 1);
		out_write_file(r.stats_path, b.p, b.len);
	}
	buf_free(&b);
	ldg_close(r.ldg);
	free_all(&r);
	free(rejects_default);
	return r.nexc > 0 ? EXIT_MISMATCH : r.rejected > 0 ? EX_DATAERR : 0;
}
