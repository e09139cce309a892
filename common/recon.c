/*
 * recon.c: the reconciliation's records and comparisons; see recon.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggrec.h"
#include "currency.h"
#include "doc.h"
#include "entry.h"
#include "invoice.h"
#include "jrec.h"
#include "jval.h"
#include "keys.h"
#include "ledger.h"
#include "rated.h"
#include "recon.h"
#include "tm.h"

void
recon_init(struct recon *r)
{
	memset(r, 0, sizeof(*r));
	r->from = INT64_MIN;
	r->to = INT64_MAX;
}

/* An aggregate key a rated line names: the aggregate's own copy. */
static const char *
agg_key(struct recon *r, const char *k)
{
	struct recon_agg *a = hmap_get(&r->aggs, k);

	return a != NULL ? a->key : hmap_intern(&r->strs, k);
}

/* ---- exceptions ---- */

void
recon_exc(struct recon *r, const struct exc *x, const char *fmt, ...)
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
		struct recon_doc *d = hmap_get(&r->docs, x->document);

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

/*
 * T_CREDIT: the prepaid credit the documents apply (negative), why the
 * receivable posted is less than the total invoiced.
 */
enum { T_RATED, T_NET, T_TOTAL, T_POSTED, T_CREDIT, NTOT };

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

/* ---- what was read ---- */

void
recon_add_agg(struct recon *r, const struct aggrec_view *v)
{
	struct recon_agg *a;
	void **ref;

	ref = hmap_ref(&r->aggs, v->key, strlen(v->key));
	if (*ref != NULL)
		return;
	a = xcalloc(1, sizeof(*a));
	a->key = hmap_slot_key(ref);
	a->customer = hmap_intern(&r->strs, v->customer);
	a->meter = hmap_intern(&r->strs, v->meter);
	a->lineage = xstrdup0(v->lineage);
	a->ps = hmap_intern(&r->strs, v->ps);
	a->pe = hmap_intern(&r->strs, v->pe);
	a->unit = hmap_intern(&r->strs, v->period);
	a->quantity = v->qty;
	a->events = v->events;
	*ref = a;
	r->av = xreallocarray(r->av, r->na + 1, sizeof(*r->av));
	r->av[r->na++] = a;
}

void
recon_add_rated(struct recon *r, const struct rated_view *v)
{
	struct recon_line *l;
	json_t *e;
	void **ref;
	size_t i;

	ref = hmap_ref(&r->rated, v->key, strlen(v->key));
	if (*ref != NULL)
		return;
	l = xcalloc(1, sizeof(*l));
	l->key = hmap_slot_key(ref);
	l->customer = hmap_intern(&r->strs, v->customer);
	l->charge = hmap_intern(&r->strs, v->charge);
	l->type = hmap_intern(&r->strs, v->line_type);
	l->currency = hmap_intern(&r->strs, v->currency);
	l->lineage = xstrdup0(v->lineage);
	l->ps = hmap_intern(&r->strs, v->ps);
	l->pe = hmap_intern(&r->strs, v->pe);
	l->amount = v->amount;
	l->invoiced = (dec){ 0, l->amount.s };
	if (l->type == NULL || strcmp(l->type, "credit") != 0)
		total_add(r, l->currency, T_RATED, l->amount);
	l->aggs = xcalloc(json_array_size(v->aggregates) + 1,
	    sizeof(*l->aggs));
	json_array_foreach(v->aggregates, i, e)
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
	struct recon_line *l;
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
doc_taxes(struct recon *r, const struct recon_doc *d, const struct doc_rec *dr)
{
	struct doc_taxl e;
	struct buf k = { 0 };
	struct recon_tax *t;
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

/*
 * A document of nothing: every amount its entries would carry is 0 (the
 * amount due, the prepaid credit, each line, each tax), so erp-post
 * makes no entry of it (posting.c leaves out lines of 0).  An amount
 * that cannot be read is not 0: erp-post refuses such a document.
 */
static int
doc_nothing(const struct doc_rec *dr)
{
	struct doc_line l;
	struct doc_taxl t;
	size_t i;

	if (!dr->due.ok || dec_sign(dr->due.d) != 0 || !dr->credit.ok ||
	    dec_sign(dr->credit.d) != 0)
		return 0;
	for (i = 0; i < dr->nlines; i++) {
		doc_line_link(dr, i, &l);
		if (!l.net.ok || dec_sign(l.net.d) != 0)
			return 0;
	}
	for (i = 0; i < dr->ntaxes; i++) {
		doc_taxl_read(dr, i, &t);
		if (!t.tax.ok || dec_sign(t.tax.d) != 0)
			return 0;
	}
	return 1;
}

void
recon_add_doc(struct recon *r, const struct doc_rec *dr)
{
	struct recon_doc *d;
	void **ref;

	ref = hmap_ref(&r->docs, dr->number, strlen(dr->number));
	if (*ref != NULL)
		return;
	d = xcalloc(1, sizeof(*d));
	d->number = xstrdup(dr->number);
	d->kind = hmap_intern(&r->strs, dr->kind);
	d->ikey = xstrdup0(dr->invoice_key);
	d->ref = xstrdup0(dr->ref);
	d->entity = hmap_intern(&r->strs, dr->entity.id);
	d->customer = hmap_intern(&r->strs, dr->customer.id);
	d->currency = hmap_intern(&r->strs, dr->currency);
	d->ps = hmap_intern(&r->strs, dr->ps.s);
	d->pe = hmap_intern(&r->strs, dr->pe.s);
	d->version = dr->version;
	d->due = dr->due.d;
	d->total = dr->total.d;
	d->net = dr->net.d;
	d->tax = dr->tax.d;
	d->credit = dr->credit.d;
	d->nothing = doc_nothing(dr);
	doc_taxes(r, d, dr);
	total_add(r, d->currency, T_NET, d->net);
	total_add(r, d->currency, T_TOTAL, d->total);
	total_add(r, d->currency, T_CREDIT, d->credit);
	doc_lines(r, dr, d->number);
	*ref = d;
	r->dv = xreallocarray(r->dv, r->nd + 1, sizeof(*r->dv));
	r->dv[r->nd++] = d;
}

/*
 * A line's functional amounts, the ERP's (an ERP books in its company's
 * currency), by account: what --confirmations compares with the ERP's
 * record of the move.
 */
static void
entry_acct(struct recon *r, struct recon_entry *en, json_t *line,
    const struct entry_rec_line *el)
{
	const char *a = hmap_intern(&r->strs, el->account ? el->account : "");
	dec d, c;
	size_t k;

	/* an entry of one currency may carry only its amounts */
	if (jval_dec(line, "functional_debit", &d) != 0)
		d = el->debit;
	if (jval_dec(line, "functional_credit", &c) != 0)
		c = el->credit;
	dec_add(en->fdebit, d, &en->fdebit);
	dec_add(en->fcredit, c, &en->fcredit);
	if (dec_sub(d, c, &d) != DEC_OK)
		return;
	for (k = 0; k < en->nacct && en->acct[k].account != a; k++)
		;
	if (k == en->nacct) {
		en->acct = xreallocarray(en->acct, k + 1, sizeof(*en->acct));
		en->acct[k].account = a;
		en->acct[k].net = DEC_ZERO;
		en->nacct++;
	}
	dec_add(en->acct[k].net, d, &en->acct[k].net);
}

void
recon_add_entry(struct recon *r, const struct entry_rec *er)
{
	struct entry_rec_line el;
	const struct books *b;
	struct recon_entry *en, *old;
	void **ref;
	size_t i;

	en = xcalloc(1, sizeof(*en));
	en->id = xstrdup(er->id);
	en->type = hmap_intern(&r->strs, er->type);
	en->number = xstrdup0(er->number);
	en->entity = hmap_intern(&r->strs, er->entity);
	en->version = er->version;
	en->date = hmap_intern(&r->strs, er->date);
	en->fcur = hmap_intern(&r->strs, er->fcur);
	b = en->entity ? books_of(&r->acc, en->entity) : NULL;
	for (i = 0; i < er->nlines; i++) {
		dec x;

		entry_read_line(er, i, &el);
		dec_add(en->debit, el.debit, &en->debit);
		dec_add(en->credit, el.credit, &en->credit);
		entry_acct(r, en, json_array_get(er->lines, i), &el);
		if (b != NULL && el.account != NULL &&
		    dec_sub(el.debit, el.credit, &x) == DEC_OK) {
			switch (books_role(b, el.account)) {
			case ROLE_RECEIVABLE:
				dec_add(en->receivable, x, &en->receivable);
				/* a grant's, with no bank account: no document */
				if (en->type == NULL ||
				    (strcmp(en->type, "payment") &&
				    strncmp(en->type, "grant", 5)))
					total_add(r, er->currency, T_POSTED, x);
				break;
			case ROLE_REVENUE:	/* credits: revenue is -x */
				dec_sub(en->revenue, x, &en->revenue);
				break;
			case ROLE_TAX:
				dec_sub(en->tax, x, &en->tax);
				break;
			}
		}
		if (b != NULL && el.account != NULL && !en->unknown_account &&
		    !books_has(b, el.account)) {
			en->unknown_account = 1;
			en->bad_account = xstrdup(el.account);
		}
	}
	ref = hmap_ref(&r->entries, en->id, strlen(en->id));
	if ((old = *ref) != NULL) {
		old->seen++;	/* the same entry twice in the journal */
		free(en->acct);
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

/* ---- the checks ---- */

/* The earliest and latest of the period ends pe, as instants. */
static void
span(const char *pe, int64_t *lo, int64_t *hi)
{
	const char *why;
	int64_t t;

	if (pe != NULL && tm_parse(pe, strlen(pe), &t, &why) == 0) {
		*lo = t < *lo ? t : *lo;
		*hi = t > *hi ? t : *hi;
	}
}

void
recon_window(struct recon *r)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i;

	if (r->from != INT64_MIN)
		return;
	for (i = 0; i < r->na; i++)
		span(r->av[i]->pe, &lo, &hi);
	for (i = 0; i < r->nr; i++)
		span(r->rv[i]->pe, &lo, &hi);
	for (i = 0; i < r->nd; i++)
		span(r->dv[i]->pe, &lo, &hi);
	if (lo == INT64_MAX) {
		r->to = INT64_MAX;	/* nothing read has a period */
		return;
	}
	r->from = lo - TM_NS_PER_SEC;
	r->to = hi;
}

/* aggregates -> rated lines: every aggregate rated, lineages matching */
void
recon_check_aggregates(struct recon *r)
{
	unsigned char k[KEY_LEN], want[KEY_LEN];
	char hex[KEY_HEXLEN];
	struct exc x;
	size_t i, j;

	for (i = 0; i < r->nr; i++) {
		struct recon_line *l = r->rv[i];
		lin_t sum = 0;
		int all = 1;

		for (j = 0; j < l->naggs; j++) {
			struct recon_agg *a = hmap_get(&r->aggs, l->aggs[j]);

			if (a == NULL) {
				memset(&x, 0, sizeof(x));
				x.code = "rated_without_aggregate";
				x.customer = l->customer;
				x.ps = l->ps;
				x.pe = l->pe;
				x.keys[0] = l->key;
				x.keys[1] = l->aggs[j];
				recon_exc(r, &x, "rated line %s of charge %s "
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
			recon_exc(r, &x, "rated line %s has lineage %s; its "
			    "aggregates' events sum to %s", l->key, l->lineage,
			    hex);
		}
	}
	for (i = 0; i < r->na; i++) {
		struct recon_agg *a = r->av[i];

		if (a->rated)
			continue;
		memset(&x, 0, sizeof(x));
		x.code = "aggregate_not_rated";
		x.customer = a->customer;
		x.ps = a->ps;
		x.pe = a->pe;
		x.keys[0] = a->key;
		recon_exc(r, &x, "aggregate %s (%s, meter %s) is on no rated "
		    "line", a->key, a->customer ? a->customer : "?",
		    a->meter ? a->meter : "?");
	}
}

/* rated lines -> documents: each invoiced at its amount, after notes */
void
recon_check_invoiced(struct recon *r)
{
	struct exc x;
	size_t i;

	for (i = 0; i < r->nr; i++) {
		struct recon_line *l = r->rv[i];

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
			recon_exc(r, &x, "rated line %s (%s, charge %s) is on "
			    "no document", l->key, l->customer, l->charge ?
			    l->charge : "-");
		} else if (l->seen && dec_cmp(l->amount, l->invoiced) != 0) {
			char a[DEC_FMTMAX], b[DEC_FMTMAX];

			dec_fmt(l->amount, a, sizeof(a));
			dec_fmt(l->invoiced, b, sizeof(b));
			x.code = "invoice_amount_mismatch";
			x.amount_only = 1;
			recon_exc(r, &x, "rated line %s (%s, charge %s) is "
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
void
recon_check_tax(struct recon *r)
{
	struct exc x;
	dec want, g;
	size_t i;
	int mode, e;

	for (i = 0; i < r->nt; i++) {
		struct recon_tax *tx = r->tv[i];

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
		recon_exc(r, &x, "invoice %s: category %s tax, computed again "
		    "on its documents' base, is not what they charge",
		    tx->number, tx->cat ? tx->cat : "?");
	}
}

/* documents -> journal: each posted once, in full, to its accounts */
void
recon_check_posted(struct recon *r)
{
	struct exc x;
	size_t i, j;

	for (i = 0; i < r->ne; i++) {
		struct recon_entry *e = r->ev[i];
		struct recon_doc *d = e->number ? hmap_get(&r->docs,
		    e->number) : NULL;

		memset(&x, 0, sizeof(x));
		x.keys[0] = e->id;
		x.document = e->number;
		/* cash receipts, credit grants, their expiry: no document */
		if (e->type != NULL && (strcmp(e->type, "payment") == 0 ||
		    strncmp(e->type, "grant", 5) == 0))
			continue;
		if (d == NULL) {
			x.code = "posting_without_document";
			recon_exc(r, &x, "journal entry %s is for document %s, "
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
			recon_exc(r, &x, "journal entry %s of document %s is "
			    "in the journal %d times", e->id, d->number,
			    e->seen + 1);
		}
		if (dec_cmp(e->debit, e->credit) != 0) {
			x.code = "unbalanced_entry";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = e->debit;
			x.actual = e->credit;
			recon_exc(r, &x, "journal entry %s of document %s "
			    "does not balance", e->id, d->number);
			x.has_amounts = 0;
		}
		if (e->unknown_account) {
			x.code = "wrong_account";
			recon_exc(r, &x, "journal entry %s of document %s "
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
			recon_exc(r, &x, "document %s is posted twice: entries "
			    "%s and %s", d->number, d->first_entry, e->id);
			x.keys[1] = NULL;
		}
		if (r->books &&
		    dec_cmp(e->receivable, d->due) != 0) {
			char a[DEC_FMTMAX], b[DEC_FMTMAX];

			dec_fmt(d->due, a, sizeof(a));
			dec_fmt(e->receivable, b, sizeof(b));
			x.code = "receivable_mismatch";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = d->due;
			x.actual = e->receivable;
			recon_exc(r, &x, "document %s is due %s %s; entry %s "
			    "puts %s on receivable", d->number, a,
			    d->currency ? d->currency : "", e->id, b);
		}
		if (r->books &&
		    dec_cmp(e->revenue, d->net) != 0) {
			x.code = "revenue_posting_mismatch";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = d->net;
			x.actual = e->revenue;
			recon_exc(r, &x, "document %s's net revenue is not "
			    "what entry %s credits to revenue", d->number,
			    e->id);
		}
		if (r->books &&
		    dec_cmp(e->tax, d->tax) != 0) {
			x.code = "tax_posting_mismatch";
			x.amount_only = 1;
			x.has_amounts = 1;
			x.expected = d->tax;
			x.actual = e->tax;
			recon_exc(r, &x, "document %s's tax is not what entry "
			    "%s credits to tax payable", d->number, e->id);
		}
	}
	for (j = 0; j < r->nd; j++) {
		struct recon_doc *d = r->dv[j];
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
		if (d->nothing)
			continue;	/* no entry to post, as erp-post */
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
		recon_exc(r, &x, "%s %s has no journal entry",
		    strcmp(d->kind, "credit_note") == 0 ? "credit note" :
		    strcmp(d->kind, "debit_note") == 0 ? "debit note" :
		    "invoice", d->number);
	}
}

/* ---- the ledger's documents: issued, so read and posted ---- */

/* What a document of the ledger is, for its exception. */
struct issued {
	struct recon	*r;
	struct jrec	 jr;
	struct doc_rec	 dr;
	int		 ok;		/* its record could be read */
	char		**num;		/* recon_check_unposted's list */
	size_t		 n, cap;
};

static const char *
kind_name(const char *kind)
{
	if (kind == NULL)
		return "document";
	return strcmp(kind, "credit_note") == 0 ? "credit note" :
	    strcmp(kind, "debit_note") == 0 ? "debit note" :
	    strcmp(kind, "invoice") == 0 ? "invoice" : "document";
}

/* Its record as stored: ok when it is a JSON object. */
static void
issued_read(struct issued *is, const struct ldg_doc *d)
{
	jrec_clear(&is->jr);
	memset(&is->dr, 0, sizeof(is->dr));
	is->ok = d->record != NULL && jrec_parse(&is->jr, d->record,
	    d->reclen) == 0;
	if (is->ok)
		doc_read(is->jr.root, &is->jr, &is->dr);
}

/*
 * An exception naming a document of the ledger, its customer, period
 * and amount due (expected; actual 0), and what is wrong with it.
 */
static void
issued_exc(struct issued *is, const char *code, const struct ldg_doc *d,
    const char *number, const char *what)
{
	const struct doc_rec *dr = &is->dr;
	struct exc x;

	memset(&x, 0, sizeof(x));
	x.code = code;
	x.document = number;
	if (is->ok) {
		x.customer = dr->customer.id;
		x.ps = dr->ps.s;
		x.pe = dr->pe.s;
		x.currency = dr->currency;
	}
	if (is->ok && dr->due.ok) {
		x.has_amounts = 1;
		x.expected = dr->due.d;
		x.actual = (dec){ 0, dr->due.d.s };
	}
	recon_exc(is->r, &x, "%s %s of %s, %s .. %s, amount due %s %s, was "
	    "issued (the ledger has it) and %s", kind_name(d->kind), number,
	    x.customer ? x.customer : "?", x.ps ? x.ps : "?", x.pe ? x.pe :
	    "?", is->ok && dr->due.s ? dr->due.s : "?", x.currency ?
	    x.currency : "", what);
}

static int
issued_one(const struct ldg_doc *d, void *arg)
{
	struct issued *is = arg;
	struct recon *r = is->r;
	char *num;

	if (hmap_get(&r->docs, d->number) != NULL)
		return 0;
	issued_read(is, d);
	/* its lines are billed: the document's exception, not theirs */
	num = xstrdup(d->number);
	r->lost = xreallocarray(r->lost, r->nlost + 1, sizeof(*r->lost));
	r->lost[r->nlost++] = num;
	if (is->ok)
		doc_lines(r, &is->dr, num);
	issued_exc(is, "document_not_in_invoices", d, num, "is not in the "
	    "invoices: write them again from the ledger (invoice-gen "
	    "--replay)");
	return 0;
}

void
recon_check_issued(struct recon *r)
{
	struct issued is;

	memset(&is, 0, sizeof(is));
	is.r = r;
	jrec_init(&is.jr, JREC_MAXDEPTH_DEFAULT);
	ldg_docs_ending(r->ldg, r->from, r->to, issued_one, &is);
	jrec_free(&is.jr);
}

static int
unposted_list(const char *number, const char *entity, void *arg)
{
	struct issued *is = arg;

	(void)entity;
	if (is->n == is->cap) {
		is->cap = is->cap ? 2 * is->cap : 64;
		is->num = xreallocarray(is->num, is->cap, sizeof(*is->num));
	}
	is->num[is->n++] = xstrdup(number);
	return 0;
}

static int
unposted_one(const struct ldg_doc *d, void *arg)
{
	struct issued *is = arg;

	issued_read(is, d);
	if (is->ok && doc_nothing(&is->dr))
		return 1;
	issued_exc(is, "document_unposted_in_ledger", d, d->number, "has no "
	    "entry posted: erp-post with --ledger posts it from the ledger");
	return 1;
}

void
recon_check_unposted(struct recon *r)
{
	struct issued is;
	size_t i;

	memset(&is, 0, sizeof(is));
	is.r = r;
	jrec_init(&is.jr, JREC_MAXDEPTH_DEFAULT);
	/* listed first: the listing is one statement, each record another */
	ldg_docs_unposted(r->ldg, unposted_list, &is);
	for (i = 0; i < is.n; i++) {
		ldg_doc_by_number(r->ldg, is.num[i], unposted_one, &is);
		free(is.num[i]);
	}
	free(is.num);
	jrec_free(&is.jr);
}

/* the ledger's postings: none failed, none pending too long */
int
recon_check_posting(const char *id, const char *number, const char *state,
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
		recon_exc(r, &x, "journal entry %s of %s was refused by the "
		    "ERP", id, number);
		return 0;
	}
	if (r->as_of - emitted > r->max_pending) {
		snprintf(age, sizeof(age), "%" PRId64 "h",
		    (int64_t)((r->as_of - emitted) / TM_NS_PER_SEC / 3600));
		x.code = "posting_pending_too_long";
		recon_exc(r, &x, "journal entry %s of %s has waited %s for "
		    "the ERP's confirmation", id, number, age);
	}
	return 0;
}

/* A document agrees when no exception names it. */
void
recon_count_agreeing(struct recon *r)
{
	size_t i;

	for (i = 0; i < r->nd; i++)
		if (!r->dv[i]->bad)
			r->docs_ok++;
}

/* ---- the report ---- */

static int
tot_cmp(const void *x, const void *y)
{
	return strcmp((*(struct tot *const *)x)->cur,
	    (*(struct tot *const *)y)->cur);
}

/* The report for --format html: counts, stage totals, the exceptions. */
json_t *
recon_report(struct recon *r)
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
		json_object_set_new(e, "prepaid_credit",
		    jval_of_dec(tv[i]->v[T_CREDIT]));
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

void
recon_free(struct recon *r)
{
	size_t i;

	for (i = 0; i < r->na; i++) {
		free(r->av[i]->lineage);
		free(r->av[i]);
	}
	for (i = 0; i < r->nr; i++) {
		struct recon_line *l = r->rv[i];

		free(l->aggs);
		free(l->lineage);
		free(l);
	}
	for (i = 0; i < r->nd; i++) {
		struct recon_doc *d = r->dv[i];

		free(d->number);
		free(d->ikey);
		free(d->ref);
		free(d);
	}
	for (i = 0; i < r->ne; i++) {
		free(r->ev[i]->id);
		free(r->ev[i]->number);
		free(r->ev[i]->bad_account);
		free(r->ev[i]->acct);
		free(r->ev[i]);
	}
	for (i = 0; i < r->nlost; i++)
		free(r->lost[i]);
	free(r->lost);
	free(r->av);
	free(r->rv);
	free(r->dv);
	free(r->ev);
	hmap_free(&r->aggs);
	hmap_free(&r->rated);
	hmap_free(&r->docs);
	hmap_free(&r->entries);
	hmap_free(&r->erp_seen);
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
}
