/*
 * posting.c: a document to journal entries; see posting.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "currency.h"
#include "jval.h"
#include "keys.h"
#include "posting.h"
#include "reject.h"
#include "tm.h"
#include "util.h"

/* Say why the record is not posted: -1. */
static int refuse(struct post_why *, const char *cls, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(struct post_why *pw, const char *cls, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	pw->cls = cls;
	pw->code = code;
	pw->field = field;
	va_start(ap, fmt);
	vsnprintf(pw->msg, sizeof(pw->msg), fmt, ap);
	va_end(ap);
	pw->n++;
	if (pw->say != NULL)
		pw->say(pw, pw->arg);
	return -1;
}

/* ---- reading a document ---- */

/* A decimal string member, k: 0, or -1 with why. */
static int
doc_dec(struct post_why *pw, const struct doc_amt *a, const char *k, dec *d)
{
	if (!a->ok)
		return refuse(pw, RC_DATA, a->s ? "invalid_amount" :
		    "missing_field", k, "document's %s is %s", k, a->s ?
		    "not an exact decimal number" : "missing");
	*d = a->d;
	return 0;
}

static const struct tz *
zone(struct tz_set *zones, const char *name)
{
	const struct tz *z;
	const char *why;

	if (name == NULL)
		return NULL;
	if ((z = tz_set_get(zones, name, &why)) == NULL)
		die(EX_CONFIG, "time zone '%s' of a document: %s (TZDIR?)",
		    name, why);
	return z;
}

/*
 * A document must add up (its lines and tax to its total, the total and
 * the prepaid credit to the amount due) before any entry is made of it:
 * an entry that does not balance is then our bug, never the input's.
 */
static int
doc_sums(struct post_why *pw, struct post_doc *d)
{
	dec sum = DEC_ZERO, x, total, due;
	struct doc_line l;
	struct doc_taxl t;
	size_t i;
	int bad = 0;

	if (doc_dec(pw, &d->r.total, "total", &total) < 0)
		return -1;
	for (i = 0; i < d->r.nlines; i++) {
		doc_line_link(&d->r, i, &l);
		bad |= doc_dec(pw, &l.net, "net", &x) < 0 ||
		    dec_add(sum, x, &sum) != 0;
	}
	/* the first bad amount of the tax lines, if the lines had none */
	for (i = 0; i < d->r.ntaxes && !bad; i++) {
		doc_taxl_read(&d->r, i, &t);
		bad |= doc_dec(pw, &t.tax, "tax", &x) < 0 ||
		    dec_add(sum, x, &sum) != 0;
	}
	if (bad)
		return -1;
	if (dec_add(total, d->credit, &due) != 0)
		due = DEC_ZERO;
	if (dec_cmp(sum, total) != 0 || dec_cmp(due, d->due) != 0) {
		char a[DEC_FMTMAX], b[DEC_FMTMAX];

		dec_fmt(sum, a, sizeof(a));
		dec_fmt(due, b, sizeof(b));
		return refuse(pw, RC_DATA, "unbalanced_document", "total",
		    "document %s does not add up: lines and tax %s, total "
		    "%s, total and prepaid credit %s, amount due %s",
		    d->h.number, a, d->r.total.s, b, d->r.due.s);
	}
	return 0;
}

int
post_doc_read(struct post_doc *d, struct jrec *jr, const struct accounts *acc,
    struct tz_set *zones, struct post_why *pw)
{
	struct doc_rec *r = &d->r;

	memset(d, 0, sizeof(*d));
	doc_read(jr->root, jr, r);
	d->h.kind = r->kind;
	if (d->h.kind == NULL || (strcmp(d->h.kind, "invoice") != 0 &&
	    strcmp(d->h.kind, "credit_note") != 0 &&
	    strcmp(d->h.kind, "debit_note") != 0)) {
		if (d->h.kind != NULL && strcmp(d->h.kind, "journal_entry") == 0)
			return 1;
		return refuse(pw, RC_DATA, "not_document", "kind", "expected an "
		    "invoice, credit note or debit note (invoice-gen's "
		    "output), got %s", d->h.kind ? d->h.kind : "no kind");
	}
	if (jrec_check_schema(jr, 1) < 0)
		return refuse(pw, RC_DATA, jr->code, "schema", "%s", jr->msg);
	if (r->state == NULL || strcmp(r->state, "issued") != 0 ||
	    r->number == NULL)
		return refuse(pw, RC_POLICY, "not_issued", "state", "a draft is "
		    "not posted: issue it first (invoice-gen --issue)");
	d->h.number = r->number;
	d->h.ref = r->ref;
	d->h.entity = r->entity.id;
	d->h.customer = r->customer.id;
	d->h.currency = r->currency;
	d->h.fcur = r->fcur;
	d->h.key = r->key;
	d->h.version = r->version;
	d->day = r->issue_day;
	d->pe = r->pe.t;
	if (d->h.entity == NULL || d->h.customer == NULL || d->h.currency == NULL ||
	    (d->h.minor = cur_minor(d->h.currency)) < 0 ||
	    !r->version_ok || d->day == INT64_MIN || !r->pe.ok ||
	    r->lines == NULL || r->taxes == NULL)
		return refuse(pw, RC_DATA, "invalid_document", "", "document %s "
		    "lacks an entity, customer, currency, version, issue date, "
		    "period or lines", d->h.number);
	d->tz = zone(zones, r->timezone);
	if (doc_dec(pw, &r->due, "amount_due", &d->due) < 0 ||
	    doc_dec(pw, &r->credit, "prepaid_credit", &d->credit) < 0)
		return -1;
	if (doc_sums(pw, d) < 0)
		return -1;
	if (d->h.fcur == NULL)
		d->h.fcur = d->h.currency;
	if ((d->h.fminor = cur_minor(d->h.fcur)) < 0)
		return refuse(pw, RC_DATA, "invalid_field", "functional_currency",
		    "functional currency '%s' is not an ISO 4217 code",
		    d->h.fcur);
	if (strcmp(d->h.fcur, d->h.currency) != 0) {
		if (!json_is_object(r->fxv) ||
		    doc_dec(pw, &r->fx.rate, "rate", &d->h.fx) < 0) {
			if (!json_is_object(r->fxv))
				refuse(pw, RC_DATA, "missing_field", "fx",
				    "document %s is in %s for books in %s "
				    "but has no FX rate", d->h.number,
				    d->h.currency, d->h.fcur);
			return -1;
		}
		d->h.has_fx = 1;
	}
	if ((d->b = books_of(acc, d->h.entity)) == NULL)
		return refuse(pw, RC_POLICY, "unknown_entity", "entity", "entity "
		    "'%s' has no books in the accounts file", d->h.entity);
	return 0;
}

/* ---- entries ---- */

void
post_entry_id(struct entry *e, const char *number, int64_t version,
    const char *type, const char *sub)
{
	unsigned char k[KEY_LEN];
	char hex[KEY_HEXLEN];
	struct keyh h;

	key_start(&h, "journal-entry");
	key_str(&h, number);
	key_i64(&h, version);
	key_str(&h, type);
	key_str(&h, sub ? sub : "");
	key_end(&h, k);
	key_hex(k, KEY_LEN, hex);
	snprintf(e->id, sizeof(e->id), "JE-%s", hex);
}

/* Functional amounts: each line at the rate; a rounding line balances. */
int
post_functional(const struct post_doc *d, struct entry *e)
{
	dec sum = { 0, d->h.fminor }, t;
	size_t i;
	int r = 0;

	if (!d->h.has_fx)
		return 0;
	for (i = 0; i < e->n && r == 0; i++) {
		if ((r = dec_mul(e->l[i].amount, d->h.fx, &t)) == 0 &&
		    (r = dec_round(t, d->h.fminor, DEC_HALF_UP,
		    &e->l[i].famount)) == 0)
			r = dec_add(sum, e->l[i].famount, &sum);
	}
	if (r == 0 && dec_sign(sum) != 0) {
		/* entry_add would leave out a line of amount 0 */
		entry_push(e, d->b->rounding, (dec){ 0, d->h.minor },
		    dec_neg(sum), "FX rounding", NULL);
	}
	return r;
}

/* Debits = credits, in both currencies: 0; 1 when not; -1 on overflow. */
int
post_balanced(const struct entry *e)
{
	dec a = DEC_ZERO, f = DEC_ZERO;
	size_t i;

	for (i = 0; i < e->n; i++)
		if (dec_add(a, e->l[i].amount, &a) != DEC_OK ||
		    dec_add(f, e->l[i].famount, &f) != DEC_OK)
			return -1;
	return dec_sign(a) != 0 || dec_sign(f) != 0;
}

/* post_balanced, or the program is wrong: nothing is written. */
static void
balanced(const struct post_doc *d, const struct entry *e)
{
	int r = post_balanced(e);

	if (r < 0)
		die(EX_SOFTWARE, "entry %s of %s: amounts overflow",
		    e->id, d->h.number);
	if (r > 0)
		die(EX_SOFTWARE, "entry %s of document %s does not balance: "
		    "nothing is written", e->id, d->h.number);
}

/* A line billed in advance: served after the document's period. */
static int
deferred(const struct post_doc *d, const struct doc_line *l)
{
	return l->ss.ok && l->ss.t >= d->pe;
}

static const char *
line_memo(const struct doc_line *l)
{
	const char *m = l->name;

	if (m == NULL)
		m = l->charge;
	return m ? m : l->line_type;
}

/* The revenue account of a line. */
static const char *
line_revenue(const struct books *b, const struct doc_line *l)
{
	return acct_revenue(b, l->charge, l->tax_code, l->line_type ?
	    l->line_type : "");
}

/* The document's entry: receivable and credits against revenue and tax. */
static int
doc_entry(struct post_why *pw, const struct post_doc *d, struct entry *e)
{
	const struct books *b = d->b;
	struct doc_line l;
	struct doc_taxl t;
	dec net, tax;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->type = "document";
	e->doc_day = d->day;
	post_entry_id(e, d->h.number, d->h.version, "document", NULL);
	entry_add(e, b->receivable, d->due, "receivable", NULL);
	entry_add(e, b->credit, dec_neg(d->credit), "prepaid credit applied",
	    NULL);
	for (i = 0; i < d->r.nlines; i++) {
		doc_line_post(&d->r, i, &l);
		if (doc_dec(pw, &l.net, "net", &net) < 0)
			return -1;
		entry_add(e, deferred(d, &l) ? b->deferred :
		    line_revenue(b, &l), dec_neg(net), line_memo(&l),
		    l.rated_key);
	}
	for (i = 0; i < d->r.ntaxes; i++) {
		doc_taxl_read(&d->r, i, &t);
		if (doc_dec(pw, &t.tax, "tax", &tax) < 0)
			return -1;
		entry_add(e, acct_tax(b, t.category ? t.category : "",
		    t.rate.s ? t.rate.s : ""), dec_neg(tax), "tax", NULL);
	}
	return 0;
}

/* A deferred line's recognition, at the end of its service period. */
static int
recog_entry(struct post_why *pw, const struct post_doc *d,
    const struct doc_line *l, size_t idx, struct entry *e)
{
	char sub[96];
	dec net;

	memset(e, 0, sizeof(*e));
	e->type = "recognition";
	if (doc_dec(pw, &l->net, "net", &net) < 0)
		return -1;
	if (!l->se.ok)
		return refuse(pw, RC_DATA, "invalid_field", "service_end", "a "
		    "line of document %s billed in advance has no service end",
		    d->h.number);
	e->doc_day = tz_day(d->tz, l->se.t - 1);
	/* a line's place too: a note can hold two lines of one key */
	snprintf(sub, sizeof(sub), "%s#%lld", l->rated_key ? l->rated_key :
	    "", (long long)idx);
	post_entry_id(e, d->h.number, d->h.version, "recognition", sub);
	entry_add(e, d->b->deferred, net, line_memo(l), l->rated_key);
	entry_add(e, line_revenue(d->b, l), dec_neg(net), line_memo(l),
	    l->rated_key);
	return 0;
}

/*
 * Every entry of the document is made, checked and dated before the
 * stage posts any: a document is posted whole or not at all.
 */
int
post_document(const struct post_doc *d, struct post_plan *pl,
    struct post_why *pw)
{
	char day[16];
	struct doc_line l;
	size_t i, nl;

	memset(pl, 0, sizeof(*pl));
	nl = d->r.nlines;
	pl->e = xcalloc(nl + 1, sizeof(*pl->e));
	pl->rec = xcalloc(nl + 1, sizeof(*pl->rec));
	if (doc_entry(pw, d, &pl->e[pl->n++]) < 0)
		return -1;
	for (i = 0; i < nl; i++) {
		doc_line_post(&d->r, i, &l);
		if (deferred(d, &l) && recog_entry(pw, d, &l, i + 1,
		    &pl->e[pl->n++]) < 0)
			return -1;
	}
	for (i = 0; i < pl->n; i++) {
		struct entry *e = &pl->e[i];

		if (post_functional(d, e) != 0)
			return refuse(pw, RC_DATA, "amount_overflow", "fx", "the "
			    "functional amounts of %s do not fit", d->h.number);
		balanced(d, e);
		if ((e->day = books_post_day(d->b, e->doc_day)) < 0) {
			tm_day_str(e->doc_day, day, sizeof(day));
			return refuse(pw, RC_POLICY, "closed_period",
			    "issue_date", "document %s's %s entry is dated %s, "
			    "in a closed period of entity '%s' (closed_policy "
			    "reject)", d->h.number, e->type, day, d->h.entity);
		}
		entry_json(&d->h, e, &pl->rec[i]);
	}
	return 0;
}

void
post_plan_free(struct post_plan *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++) {
		entry_free(&pl->e[i]);
		buf_free(&pl->rec[i]);
	}
	free(pl->e);
	free(pl->rec);
}

/*
 * An entry posted before is the same entry when only its posting date
 * moved (a period closed since): a retry sends it as first emitted.
 */
int
post_same_entry(const struct entry_doc *h, struct entry *e,
    const char *stored, const struct buf *rec)
{
	struct buf again = { 0 };
	json_t *j;
	int64_t day, keep = e->day;
	int same;

	if (strlen(stored) + 1 == rec->len && memcmp(stored, rec->p,
	    rec->len - 1) == 0)
		return 1;
	if ((j = json_loads(stored, 0, NULL)) == NULL)
		return 0;
	day = tm_day_parse(jval_str(j, "date"));
	json_decref(j);
	if (day == INT64_MIN || day == e->day)
		return 0;
	e->day = day;
	entry_json(h, e, &again);
	e->day = keep;
	same = strlen(stored) + 1 == again.len &&
	    memcmp(stored, again.p, again.len - 1) == 0;
	buf_free(&again);
	return same;
}

/* ---- payments ---- */

int
post_payment_doc(struct post_doc *d, json_t *rec, const char *number,
    const struct accounts *acc, const char **cash, struct post_why *pw)
{
	struct doc_rec *r = &d->r;

	memset(d, 0, sizeof(*d));
	doc_read(rec, NULL, r);
	d->h.kind = "invoice";
	d->h.key = r->key;
	d->h.number = number;
	d->h.entity = r->entity.id;
	d->h.customer = r->customer.id;
	d->h.currency = r->currency;
	d->h.fcur = r->fcur ? r->fcur : d->h.currency;
	d->h.minor = cur_minor(d->h.currency);
	d->h.fminor = cur_minor(d->h.fcur);
	if ((d->b = books_of(acc, d->h.entity)) == NULL)
		return refuse(pw, RC_POLICY, "unknown_entity", "invoice", "entity "
		    "'%s' has no books in the accounts file", d->h.entity);
	if ((*cash = d->b->clearing ? d->b->clearing : d->b->cash) == NULL)
		return refuse(pw, RC_POLICY, "no_cash_account", "invoice",
		    "entity '%s' has neither a clearing nor a cash account",
		    d->h.entity);
	if (strcmp(d->h.fcur, d->h.currency) != 0) {
		/* an "fx" that is not an object has no rate either */
		if (!r->fx.rate.ok)
			die(EX_DATAERR, "ledger: invoice %s has no FX rate",
			    d->h.number);
		d->h.fx = r->fx.rate.d;
		d->h.has_fx = 1;
	}
	return 0;
}

/*
 * A foreign-currency receivable is carried at the invoice's rate until it
 * is paid: the cash comes in at the payment day's rate, and what the two
 * differ by is realized, a gain when the cash is worth more than the
 * receivable it settles, a loss when less, as an ERP books it.
 */
int
post_fx_realized(const struct post_doc *d, struct entry *e, dec payrate)
{
	dec sum = { 0, d->h.fminor }, t;
	size_t i, n = e->n;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		dec rate = e->l[i].account == d->b->receivable ? d->h.fx :
		    payrate;

		if ((r = dec_mul(e->l[i].amount, rate, &t)) == 0 &&
		    (r = dec_round(t, d->h.fminor, DEC_HALF_UP,
		    &e->l[i].famount)) == 0)
			r = dec_add(sum, e->l[i].famount, &sum);
	}
	if (r == 0 && dec_sign(sum) != 0)	/* debits > credits: a gain */
		entry_push(e, dec_sign(sum) > 0 ? d->b->fx_gain :
		    d->b->fx_loss, (dec){ 0, d->h.minor }, dec_neg(sum),
		    dec_sign(sum) > 0 ? "realized FX gain" :
		    "realized FX loss", NULL);
	return r;
}

/* The cash receipt: cash or clearing against receivable. */
int
post_receipt(const struct post_doc *d, const char *cash,
    const char *reference, int64_t day, dec amount, dec applied, dec excess,
    const dec *payrate, struct entry *e, struct buf *rec, struct post_why *pw)
{
	struct entry_doc h = d->h;
	char ds[16];
	int r;

	memset(e, 0, sizeof(*e));
	e->type = "payment";
	e->payref = reference;
	e->doc_day = day;
	post_entry_id(e, reference, 0, "payment", NULL);
	entry_add(e, cash, amount, "cash received", NULL);
	entry_add(e, d->b->receivable, dec_neg(applied), "receivable", NULL);
	entry_add(e, d->b->credit, dec_neg(excess), "overpayment kept as "
	    "customer credit", NULL);
	if (d->h.has_fx && payrate != NULL && dec_cmp(*payrate, d->h.fx) != 0) {
		r = post_fx_realized(d, e, *payrate);
		h.fx = *payrate;	/* the record's rate: the payment's */
	} else
		r = post_functional(d, e);
	if (r != 0)
		die(EX_DATAERR, "payment %s: amounts overflow", reference);
	balanced(d, e);
	if ((e->day = books_post_day(d->b, e->doc_day)) < 0) {
		tm_day_str(e->doc_day, ds, sizeof(ds));
		return refuse(pw, RC_POLICY, "closed_period", "date", "payment %s "
		    "is dated %s, in a closed period of entity '%s'",
		    reference, ds, d->h.entity);
	}
	entry_json(&h, e, rec);
	return 0;
}

/* ---- credit grants ---- */

/*
 * What a grant's entries share: the document "CUSTOMER/ID" of kind
 * credit_grant in the books and zone of rec, dated the day of t in the
 * customer's zone, at fx's rate of that day in another currency than
 * the books'.  0, or -1 with why.
 */
static int
grant_doc(struct post_doc *d, json_t *rec, const char *number,
    const char *customer, int64_t t, const struct accounts *acc,
    const struct fxtab *fx, struct tz_set *zones, struct entry *e,
    struct post_why *pw)
{
	struct doc_rec *r = &d->r;
	const struct fxrate *rate;
	char ds[16];

	memset(d, 0, sizeof(*d));
	memset(e, 0, sizeof(*e));
	doc_read(rec, NULL, r);
	d->h.kind = "credit_grant";
	d->h.number = number;
	d->h.entity = r->entity.id;
	d->h.customer = customer;
	d->h.currency = r->currency;
	d->h.fcur = r->fcur ? r->fcur : d->h.currency;
	if (d->h.entity == NULL || d->h.currency == NULL ||
	    (d->h.minor = cur_minor(d->h.currency)) < 0 ||
	    (d->h.fminor = cur_minor(d->h.fcur)) < 0)
		die(EX_DATAERR, "ledger: the invoice of credit grant %s has "
		    "no entity or currency: the ledger was altered", number);
	if ((d->b = books_of(acc, d->h.entity)) == NULL)
		return refuse(pw, RC_POLICY, "unknown_entity", "entity", "entity "
		    "'%s' has no books in the accounts file", d->h.entity);
	d->tz = zone(zones, r->timezone);
	e->doc_day = tz_day(d->tz, t);
	tm_day_str(e->doc_day, ds, sizeof(ds));
	if (strcmp(d->h.fcur, d->h.currency) != 0) {
		if (fx == NULL || (rate = fxtab_find(fx, d->h.currency,
		    d->h.fcur, e->doc_day)) == NULL)
			return refuse(pw, RC_DATA, "no_fx_rate", "currency",
			    "credit grant %s is in %s for books in %s: no FX "
			    "rate on or before %s%s", number, d->h.currency,
			    d->h.fcur, ds, fx ? "" : " (give --fx FILE)");
		d->h.fx = rate->rate;
		d->h.has_fx = 1;
	}
	return 0;
}

/* A grant's entry made: functional amounts, balanced, dated, written. */
static int
grant_end(struct post_doc *d, struct entry *e, const char *number,
    const char *field, const char *what, struct buf *out,
    struct post_why *pw)
{
	char ds[16];

	if (post_functional(d, e) != 0)
		return refuse(pw, RC_DATA, "amount_overflow", "amount", "the "
		    "functional amounts of credit grant %s do not fit", number);
	balanced(d, e);
	tm_day_str(e->doc_day, ds, sizeof(ds));
	if ((e->day = books_post_day(d->b, e->doc_day)) < 0)
		return refuse(pw, RC_POLICY, "closed_period", field,
		    "credit grant %s%s is dated %s, in a closed period of "
		    "entity '%s' (closed_policy reject)", number, what, ds,
		    d->h.entity);
	entry_json(&d->h, e, out);
	return 0;
}

int
post_grant(struct post_doc *d, json_t *rec, const char *number,
    const char *customer, const char *id, dec amount, int64_t granted,
    int paid, const struct accounts *acc, const struct fxtab *fx,
    struct tz_set *zones, struct entry *e, struct buf *out,
    struct post_why *pw)
{
	const char *debit;

	if (grant_doc(d, rec, number, customer, granted, acc, fx, zones, e,
	    pw) < 0)
		return -1;
	/* one id for a grant, bought or promotional: booked once */
	e->type = paid ? "grant" : "grant_promo";
	post_entry_id(e, customer, 0, "grant", id);
	/* the ledger keeps "50" for 50.00: the currency's places */
	if (dec_round(amount, d->h.minor, DEC_HALF_UP, &amount) != DEC_OK)
		return refuse(pw, RC_DATA, "amount_overflow", "amount", "credit "
		    "grant %s's amount does not fit", number);
	if (paid) {
		/* bought: paid in, else owed */
		debit = d->b->clearing ? d->b->clearing : d->b->cash ?
		    d->b->cash : d->b->receivable;
		entry_add(e, debit, amount, "prepaid credit bought", NULL);
		entry_add(e, d->b->credit, dec_neg(amount), "prepaid credit "
		    "granted", NULL);
	} else {
		/*
		 * promotional: no cash.  Consideration given to the
		 * customer, a reduction of revenue (promotions) against the
		 * prepayments its draws are applied from, so that they never
		 * end in debit; what it pays for moves nothing more, what
		 * expires is reversed (post_grant_expiry)
		 */
		entry_add(e, d->b->promotions, amount, "promotional credit "
		    "granted", NULL);
		entry_add(e, d->b->credit, dec_neg(amount), "promotional "
		    "credit granted", NULL);
	}
	return grant_end(d, e, number, "granted_at", "", out, pw);
}

int
post_grant_expiry(struct post_doc *d, json_t *rec, const char *number,
    const char *customer, const char *id, int64_t version, dec amount,
    int64_t t, int paid, const struct accounts *acc,
    const struct fxtab *fx, struct tz_set *zones, struct entry *e,
    struct buf *out, struct post_why *pw)
{
	if (grant_doc(d, rec, number, customer, t, acc, fx, zones, e, pw) < 0)
		return -1;
	e->type = paid ? "grant_breakage" : "grant_reversal";
	d->h.version = version;
	post_entry_id(e, customer, version, "expiry", id);
	if (dec_round(amount, d->h.minor, DEC_HALF_UP, &amount) != DEC_OK)
		return refuse(pw, RC_DATA, "amount_overflow", "amount", "credit "
		    "grant %s's unused balance does not fit", number);
	/*
	 * Released from customer prepayments: a paid grant's to revenue
	 * (breakage: the customer will not use it), a promotional one's
	 * back to where it was granted from, the mirror of its grant.
	 * Negative: a later draw on it made less unused than booked.
	 */
	entry_add(e, d->b->credit, amount, paid ? "prepaid credit expired "
	    "unused" : "promotional credit expired unused", NULL);
	entry_add(e, paid ? d->b->breakage : d->b->promotions,
	    dec_neg(amount), paid ? "breakage" : "promotional credit "
	    "reversed", NULL);
	return grant_end(d, e, number, "expires", " (its expiry)", out, pw);
}
