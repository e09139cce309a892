/*
 * doc.c: the document record's writer and reader; see doc.h.  Its
 * fields and their order are usage-to-cash(5)'s, and the ledger keeps a
 * document as these bytes: --replay writes them again as they were.
 */
#include <string.h>

#include <jansson.h>

#include "doc.h"
#include "jval.h"
#include "jrec.h"
#include "jw.h"
#include "tm.h"

void
doc_key(const unsigned char *invoice_key, int64_t version, unsigned char *out)
{
	struct keyh h;

	key_start(&h, "document");
	key_field(&h, invoice_key, KEY_LEN);
	key_i64(&h, version);
	key_end(&h, out);
}

enum doc_kind
doc_kind_of(int first, const struct inv_totals *t)
{
	/* a note of total 0 (only the credit applied changed) goes by the
	 * amount due */
	return first ? DK_INVOICE : dec_sign(t->total) < 0 ?
	    DK_CREDIT : dec_sign(t->total) > 0 ? DK_DEBIT :
	    dec_sign(t->due) < 0 ? DK_CREDIT : DK_DEBIT;
}

static void
jw_strn0(struct jw *w, const char *s)
{
	if (s != NULL)
		jw_str(w, s);
	else
		jw_null(w);
}

/* bank: the entity's account (entities file), NULL for a customer */
static void
party(struct jw *w, const char *id, const char *name, const char *tax_id,
    const char *country, const char *region, json_t *address, json_t *obj,
    json_t *bank)
{
	static const char *const contact[] = { "email", "phone", "website",
	    "peppol_id", "buyer_reference", "legal_id", NULL };
	const char *const *k;

	jw_open(w, '{');
	JW_KEY(w, "id");
	jw_str(w, id);
	JW_KEY(w, "name");
	jw_strn0(w, name);
	JW_KEY(w, "tax_id");
	jw_strn0(w, tax_id);
	JW_KEY(w, "country");
	jw_strn0(w, country);
	JW_KEY(w, "region");
	jw_strn0(w, region);
	JW_KEY(w, "address");
	if (address != NULL)
		jw_json(w, address, NULL);
	else
		jw_null(w);
	for (k = contact; *k != NULL; k++)
		if (jval_str(obj, *k) != NULL) {
			jw_key(w, *k);
			jw_str(w, jval_str(obj, *k));
		}
	if (json_is_object(bank)) {
		JW_KEY(w, "bank");
		jw_json(w, bank, NULL);
	}
	jw_close(w, '}');
}

/* The tiers, each's members in rate's order (not the object's). */
static void
line_tiers(struct jw *w, json_t *tiers)
{
	static const char *const k[] = { "from", "up_to", "units",
	    "block_size", "blocks", "unit_amount", "flat_amount", "amount",
	    NULL };
	const char *const *p;
	json_t *t, *v;
	size_t i;

	JW_KEY(w, "tiers");
	jw_open(w, '[');
	json_array_foreach(tiers, i, t) {
		jw_open(w, '{');
		for (p = k; *p != NULL; p++)
			if ((v = json_object_get(t, *p)) != NULL) {
				jw_key(w, *p);
				jw_json(w, v, NULL);
			}
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/*
 * A line's unit and price (inv_line_price), its members in the
 * record's order; nothing when it has none.
 */
static void
line_price(struct jw *w, json_t *price)
{
	static const char *const k[] = { "unit", "display_decimals",
	    "unit_price", "package_price", "package_size", "tiers", NULL };
	const char *const *p;
	json_t *v;

	for (p = k; price != NULL && *p != NULL; p++)
		if ((v = json_object_get(price, *p)) == NULL)
			continue;
		else if (strcmp(*p, "tiers") == 0)
			line_tiers(w, v);
		else {
			jw_key(w, *p);
			jw_json(w, v, NULL);
		}
}

void
doc_json(const struct doc *dc, struct buf *o)
{
	const struct inv_head *iv = dc->h;
	const struct customer *cu = iv->cu;
	char day[16];
	struct jw w;
	size_t i;
	json_t *addr = json_object_get(cu->obj, "address");

	jw_init(&w, o);
	jw_open(&w, '{');
	JW_KEY(&w, "kind");
	jw_str(&w, doc_kind_name(dc->kind));
	JW_KEY(&w, "schema");
	jw_str(&w, "1.0");
	JW_KEY(&w, "key");
	jw_hex(&w, dc->key, KEY_LEN);
	JW_KEY(&w, "invoice_key");
	jw_hex(&w, iv->key, KEY_LEN);
	JW_KEY(&w, "number");
	jw_strn0(&w, dc->draft ? NULL : dc->number);
	JW_KEY(&w, "state");
	jw_str(&w, dc->draft ? "draft" : "issued");
	JW_KEY(&w, "version");
	jw_int(&w, dc->version);
	JW_KEY(&w, "references");
	jw_strn0(&w, dc->ref);
	/* progressive billing's members: only on its documents */
	if (dc->interim) {
		JW_KEY(&w, "interim");
		jw_bool(&w, 1);
	}
	if (dc->ndeducts > 0) {
		JW_KEY(&w, "interim_invoices");
		jw_open(&w, '[');
		for (i = 0; i < dc->ndeducts; i++)
			jw_str(&w, dc->deducts[i]);
		jw_close(&w, ']');
	}
	JW_KEY(&w, "entity");
	party(&w, iv->en->id, iv->en->name, iv->en->tax_id, iv->en->country,
	    iv->en->region, iv->en->address, iv->en->obj,
	    json_object_get(iv->en->obj, "bank"));
	JW_KEY(&w, "customer");
	party(&w, cu->id, jval_text(cu->obj, "name"),
	    jval_text(cu->obj, "tax_id"), cu->country,
	    jval_text(cu->obj, "region"),
	    json_is_object(addr) ? addr : NULL, cu->obj, NULL);
	JW_KEY(&w, "period_start");
	jw_time(&w, iv->ps);
	JW_KEY(&w, "period_end");
	jw_time(&w, iv->pe);
	JW_KEY(&w, "timezone");
	jw_str(&w, cu->timezone);
	JW_KEY(&w, "issue_date");
	tm_day_str(dc->issue_day, day, sizeof(day));
	jw_str(&w, day);
	JW_KEY(&w, "due_date");
	tm_day_str(dc->due_day, day, sizeof(day));
	jw_str(&w, day);
	JW_KEY(&w, "currency");
	jw_str(&w, iv->currency);
	JW_KEY(&w, "lines");
	jw_open(&w, '[');
	for (i = 0; i < dc->d->nl; i++) {
		const struct inv_line *l = &dc->d->l[i];
		const struct inv_cat *c = inv_cat_find(dc->d, l->cat);

		jw_open(&w, '{');
		JW_KEY(&w, "line");
		jw_int(&w, (int64_t)i + 1);
		JW_KEY(&w, "rated_key");
		jw_strn(&w, l->rkey, 2 * KEY_LEN);
		JW_KEY(&w, "line_type");
		jw_str(&w, l->line_type);
		JW_KEY(&w, "charge");
		jw_strn0(&w, l->charge);
		JW_KEY(&w, "name");
		jw_strn0(&w, l->name);
		JW_KEY(&w, "tax_code");
		jw_strn0(&w, l->tax_code);
		JW_KEY(&w, "quantity");
		jw_dec(&w, l->qty);
		line_price(&w, l->price);
		JW_KEY(&w, "service_start");
		jw_time(&w, l->ss);
		JW_KEY(&w, "service_end");
		jw_time(&w, l->se);
		JW_KEY(&w, "net");
		jw_dec(&w, l->net);
		if (c != NULL && c->inclusive) {
			JW_KEY(&w, "gross");
			jw_dec(&w, l->gross);
		}
		JW_KEY(&w, "tax_category");
		jw_str(&w, c ? c->code : "");
		JW_KEY(&w, "tax_rate");
		jw_dec(&w, c ? c->rate : DEC_ZERO);
		JW_KEY(&w, "lineage");
		jw_strn0(&w, l->lineage[0] ? l->lineage : NULL);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	JW_KEY(&w, "tax_lines");
	jw_open(&w, '[');
	for (i = 0; i < dc->d->nc; i++) {
		const struct inv_cat *c = &dc->d->c[i];

		jw_open(&w, '{');
		JW_KEY(&w, "category");
		jw_str(&w, c->code);
		JW_KEY(&w, "rate");
		jw_dec(&w, c->rate);
		JW_KEY(&w, "inclusive");
		jw_bool(&w, c->inclusive);
		JW_KEY(&w, "rounding");
		jw_str(&w, dec_round_name(c->rounding));
		JW_KEY(&w, "name");
		jw_strn0(&w, c->name);
		JW_KEY(&w, "base");
		jw_dec(&w, c->base);
		JW_KEY(&w, "tax");
		jw_dec(&w, c->tax);
		JW_KEY(&w, "note");
		jw_strn0(&w, c->note);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	JW_KEY(&w, "net");
	jw_dec(&w, dc->tot.net);
	JW_KEY(&w, "tax");
	jw_dec(&w, dc->tot.tax);
	JW_KEY(&w, "total");
	jw_dec(&w, dc->tot.total);
	JW_KEY(&w, "prepaid_credit");
	jw_dec(&w, dc->d->credit);
	if (dc->ndeducts > 0) {
		dec pb = (dec){ 0, iv->minor };

		for (i = 0; i < dc->d->nl; i++)
			if (strcmp(dc->d->l[i].line_type, INV_PROGRESSIVE) == 0)
				(void)dec_add(pb, dc->d->l[i].net, &pb);
		JW_KEY(&w, "progressive_billing_credit");
		jw_dec(&w, pb);
	}
	JW_KEY(&w, "amount_due");
	jw_dec(&w, dc->tot.due);
	JW_KEY(&w, "functional_currency");
	jw_str(&w, iv->en->currency);
	JW_KEY(&w, "fx");
	if (dc->fx != NULL) {
		jw_open(&w, '{');
		JW_KEY(&w, "from");
		jw_str(&w, dc->fx->from);
		JW_KEY(&w, "to");
		jw_str(&w, dc->fx->to);
		JW_KEY(&w, "rate");
		jw_dec(&w, dc->fx->rate);
		JW_KEY(&w, "date");
		tm_day_str(dc->fx->day, day, sizeof(day));
		jw_str(&w, day);
		JW_KEY(&w, "net");
		jw_dec(&w, dc->fx_net);
		JW_KEY(&w, "tax");
		jw_dec(&w, dc->fx_tax);
		JW_KEY(&w, "total");
		jw_dec(&w, dc->fx_total);
		jw_close(&w, '}');
	} else
		jw_null(&w);
	JW_KEY(&w, "lineage");
	jw_strn0(&w, dc->tot.has_lineage ? dc->tot.lineage : NULL);
	JW_KEY(&w, "correlation_id");
	jw_hex(&w, dc->key, KEY_LEN);
	jw_close(&w, '}');
	buf_addc(o, '\n');
}

/* ---- reading ---- */

static void
amt(json_t *o, const char *k, struct doc_amt *a)
{
	a->v = json_object_get(o, k);
	a->s = json_is_string(a->v) ? json_string_value(a->v) : NULL;
	/* strlen, not the JSON length, as jval_dec: a NUL ends the number */
	a->ok = a->s != NULL && dec_parse(a->s, strlen(a->s), &a->d) == DEC_OK;
	if (!a->ok)
		a->d = DEC_ZERO;
}

static void
time_read(json_t *o, const char *k, struct doc_time *t)
{
	const char *why;

	t->s = jval_str(o, k);
	t->ok = t->s != NULL && tm_parse(t->s, strlen(t->s), &t->t, &why) == 0;
	if (!t->ok)
		t->t = 0;
}

static void
party_read(json_t *o, struct doc_party *p)
{
	json_t *a;

	p->o = json_is_object(o) ? o : NULL;
	p->id = jval_str(o, "id");
	p->name = jval_str(o, "name");
	p->tax_id = jval_str(o, "tax_id");
	p->country = jval_str(o, "country");
	p->region = jval_str(o, "region");
	p->peppol_id = jval_str(o, "peppol_id");
	p->buyer_reference = jval_str(o, "buyer_reference");
	p->legal_id = jval_str(o, "legal_id");
	a = json_object_get(o, "bank");
	p->iban = jval_str(a, "iban");
	p->bic = jval_str(a, "bic");
	p->account = jval_str(a, "account");
	p->routing = jval_str(a, "routing");
	p->holder = jval_str(a, "name");
	p->address = a = json_object_get(o, "address");
	p->line1 = jval_str(a, "line1");
	p->line2 = jval_str(a, "line2");
	p->postal_code = jval_str(a, "postal_code");
	p->city = jval_str(a, "city");
	p->addr_region = jval_str(a, "region");
	p->addr_country = jval_str(a, "country");
}

void
doc_read(json_t *j, const struct jrec *jr, struct doc_rec *d)
{
	json_t *v;

	memset(d, 0, sizeof(*d));
	d->j = j;
	d->kind = jval_str(j, "kind");
	d->state = jval_str(j, "state");
	d->number = jval_str(j, "number");
	d->ref = jval_str(j, "references");
	d->key = jval_str(j, "key");
	d->invoice_key = jval_str(j, "invoice_key");
	d->currency = jval_str(j, "currency");
	d->fcur = jval_str(j, "functional_currency");
	d->timezone = jval_str(j, "timezone");
	d->corr = jval_str(j, "correlation_id");
	d->lineage = jval_str(j, "lineage");
	v = json_object_get(j, "version");
	if (jr != NULL)
		d->version_ok = jrec_int(jr, v, 0, INT32_MAX, &d->version) == 0;
	else if ((d->version_ok = json_is_integer(v) &&
	    json_integer_value(v) >= 0 && json_integer_value(v) <= INT32_MAX))
		d->version = (int64_t)json_integer_value(v);
	if (!d->version_ok)
		d->version = 0;
	d->issue_date = jval_str(j, "issue_date");
	d->due_date = jval_str(j, "due_date");
	d->issue_day = tm_day_parse(d->issue_date);
	d->due_day = tm_day_parse(d->due_date);
	time_read(j, "period_start", &d->ps);
	time_read(j, "period_end", &d->pe);
	party_read(json_object_get(j, "entity"), &d->entity);
	party_read(json_object_get(j, "customer"), &d->customer);
	v = json_object_get(j, "lines");
	d->lines = json_is_array(v) ? v : NULL;
	d->nlines = json_array_size(d->lines);
	v = json_object_get(j, "tax_lines");
	d->taxes = json_is_array(v) ? v : NULL;
	d->ntaxes = json_array_size(d->taxes);
	amt(j, "net", &d->net);
	amt(j, "tax", &d->tax);
	amt(j, "total", &d->total);
	amt(j, "prepaid_credit", &d->credit);
	amt(j, "amount_due", &d->due);
	d->fxv = v = json_object_get(j, "fx");
	if (json_is_object(v)) {
		d->fx.from = jval_str(v, "from");
		d->fx.to = jval_str(v, "to");
		d->fx.date = jval_str(v, "date");
		amt(v, "rate", &d->fx.rate);
		amt(v, "net", &d->fx.net);
		amt(v, "tax", &d->fx.tax);
		amt(v, "total", &d->fx.total);
	}
}

/* What ties a line to its rated line; doc_line_read adds the rest. */
void
doc_line_link(const struct doc_rec *d, size_t i, struct doc_line *l)
{
	json_t *o = json_array_get(d->lines, i);

	memset(l, 0, sizeof(*l));
	l->o = json_is_object(o) ? o : NULL;
	l->rated_key = jval_str(o, "rated_key");
	amt(o, "net", &l->net);
	amt(o, "gross", &l->gross);
}

void
doc_line_post(const struct doc_rec *d, size_t i, struct doc_line *l)
{
	json_t *o;

	doc_line_link(d, i, l);
	o = l->o;
	l->line_type = jval_str(o, "line_type");
	l->charge = jval_str(o, "charge");
	l->name = jval_str(o, "name");
	l->tax_code = jval_str(o, "tax_code");
	time_read(o, "service_start", &l->ss);
	time_read(o, "service_end", &l->se);
}

void
doc_line_read(const struct doc_rec *d, size_t i, struct doc_line *l)
{
	json_t *o, *n;

	doc_line_post(d, i, l);
	o = l->o;
	n = json_object_get(o, "line");
	if ((l->has_no = json_is_integer(n)))
		l->no = (int64_t)json_integer_value(n);
	l->tax_category = jval_str(o, "tax_category");
	l->lineage = jval_str(o, "lineage");
	amt(o, "quantity", &l->qty);
	amt(o, "tax_rate", &l->rate);
}

void
doc_taxl_read(const struct doc_rec *d, size_t i, struct doc_taxl *t)
{
	json_t *o = json_array_get(d->taxes, i);

	memset(t, 0, sizeof(*t));
	t->o = json_is_object(o) ? o : NULL;
	t->category = jval_str(o, "category");
	t->name = jval_str(o, "name");
	t->note = jval_str(o, "note");
	t->rounding = jval_str(o, "rounding");
	t->inclusive = json_is_true(json_object_get(o, "inclusive"));
	amt(o, "rate", &t->rate);
	amt(o, "base", &t->base);
	amt(o, "tax", &t->tax);
}
