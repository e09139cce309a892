/*
 * invoice.c: an invoice key's state, its tax per category, inclusive
 * splits, bill-level shares and deltas; see invoice.h.
 *
 * Money here is dec.h's exact decimals throughout, and each category's
 * tax is rounded once, on the state, never per line or per document: a
 * note's tax is the change of that rounded tax.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "invoice.h"
#include "jval.h"
#include "reject.h"
#include "util.h"

/* ---- the invoice key ---- */

void
inv_key(const struct entity *en, const struct customer *cu,
    const struct rated *r, unsigned char *key)
{
	struct keyh h;

	key_start(&h, "invoice");
	key_str(&h, en->id);
	key_str(&h, cu->id);
	key_i64(&h, r->ps);
	key_i64(&h, r->pe);
	key_str(&h, r->currency);
	key_end(&h, key);
}

/*
 * The order invoice keys are made, and so numbered, in: entity,
 * customer, period start, currency.
 */
int
inv_head_cmp(const struct inv_head *a, const struct inv_head *b)
{
	int c;

	if ((c = strcmp(a->en->id, b->en->id)) != 0 ||
	    (c = strcmp(a->cu->id, b->cu->id)) != 0)
		return c;
	if (a->ps != b->ps)
		return a->ps < b->ps ? -1 : 1;
	return strcmp(a->currency, b->currency);
}

/* What makes a rated line the same line: its key's content. */
void
inv_line_digest(const struct rated *r, unsigned char *out)
{
	char a[DEC_FMTMAX], q[DEC_FMTMAX];
	struct keyh h;

	dec_fmt(dec_normalize(r->amount), a, sizeof(a));
	dec_fmt(dec_normalize(r->quantity), q, sizeof(q));
	key_start(&h, "rated-content");
	key_str(&h, r->customer);
	key_str(&h, r->currency);
	key_i64(&h, r->ps);
	key_i64(&h, r->pe);
	key_i64(&h, r->ss);
	key_i64(&h, r->se);
	key_str(&h, a);
	key_str(&h, q);
	key_str(&h, r->charge ? r->charge : "");
	key_str(&h, r->line_type);
	key_str(&h, r->tax_code ? r->tax_code : "");
	key_end(&h, out);
}

static int
cust_exempt(const struct customer *cu)
{
	json_t *v = json_object_get(cu->obj, "tax_exempt");

	return json_is_true(v) || (json_is_string(v) &&
	    strcmp(json_string_value(v), "true") == 0);
}

/* ---- the order of a bill's lines ---- */

static int
line_rank(const char *t)
{
	static const char *const order[] = { "flat", "usage", "true_up",
	    "discount", "credit", NULL };
	int i;

	for (i = 0; order[i] != NULL; i++)
		if (strcmp(order[i], t) == 0)
			return i;
	return i;
}

int
inv_rated_cmp(const void *x, const void *y)
{
	const struct rated *a = *(struct rated *const *)x;
	const struct rated *b = *(struct rated *const *)y;
	int c;

	if ((c = line_rank(a->line_type) - line_rank(b->line_type)) != 0)
		return c;
	if (a->ss != b->ss)
		return a->ss < b->ss ? -1 : 1;
	if ((c = strcmp(a->charge ? a->charge : "", b->charge ?
	    b->charge : "")) != 0)
		return c;
	return memcmp(a->key, b->key, KEY_LEN);
}


/* ---- states ---- */

void
inv_state_free(struct inv_state *st)
{
	size_t i;

	for (i = 0; i < st->nl; i++) {
		free((char *)st->l[i].charge);
		free((char *)st->l[i].name);
		free((char *)st->l[i].line_type);
		free((char *)st->l[i].tax_code);
		json_decref(st->l[i].price);
	}
	for (i = 0; i < st->nc; i++) {
		free(st->c[i].name);
		free(st->c[i].note);
	}
	free(st->l);
	free(st->c);
	memset(st, 0, sizeof(*st));
}

struct inv_cat *
inv_cat_find(struct inv_state *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->nc; i++)
		if (strcmp(st->c[i].id, id) == 0)
			return &st->c[i];
	return NULL;
}

static struct inv_line *
line_find(struct inv_state *st, const char *rkey)
{
	size_t i;

	for (i = 0; i < st->nl; i++)
		if (strcmp(st->l[i].rkey, rkey) == 0)
			return &st->l[i];
	return NULL;
}

struct inv_cat *
inv_cat_add(struct inv_state *st, const struct inv_cat *proto)
{
	struct inv_cat *c;

	st->c = xreallocarray(st->c, st->nc + 1, sizeof(*st->c));
	c = &st->c[st->nc++];
	*c = *proto;
	c->name = xstrdup0(proto->name);
	c->note = xstrdup0(proto->note);
	c->base = c->tax = c->gross = DEC_ZERO;
	return c;
}

struct inv_line *
inv_line_add(struct inv_state *st, const struct inv_line *proto)
{
	struct inv_line *l;

	st->l = xreallocarray(st->l, st->nl + 1, sizeof(*st->l));
	l = &st->l[st->nl++];
	*l = *proto;
	l->charge = xstrdup0(proto->charge);
	l->name = xstrdup0(proto->name);
	l->line_type = xstrdup0(proto->line_type);
	l->tax_code = xstrdup0(proto->tax_code);
	json_incref(l->price);
	return l;
}

/* The tax category a line of this invoice falls in. */
int
inv_line_cat(const struct inv_head *iv, const struct taxtab *tax,
    const char *tax_code, struct inv_cat *c, struct inv_err *err)
{
	const struct taxrule *t;
	const char *tax_id = jval_text(iv->cu->obj, "tax_id");
	char rate[DEC_FMTMAX];

	t = tax_find(tax, iv->en->id, iv->cu->country,
	    jval_text(iv->cu->obj, "region"), tax_code);
	if (t == NULL) {
		err->code = "no_tax_rule";
		err->cls = RC_POLICY;
		snprintf(err->msg, sizeof(err->msg), "the tax table "
		    "has no rule for entity '%s', country %s%s%s, tax code "
		    "%s", iv->en->id, iv->cu->country,
		    jval_text(iv->cu->obj, "region") ? " region " : "",
		    jval_text(iv->cu->obj, "region") ?
		    jval_text(iv->cu->obj, "region") : "",
		    tax_code ? tax_code : "(none)");
		return -1;
	}
	memset(c, 0, sizeof(*c));
	memcpy(c->code, t->category, sizeof(c->code));
	c->rate = t->rate;
	c->inclusive = t->inclusive;
	c->rounding = t->rounding;
	c->name = t->name;
	c->note = t->note;
	if (cust_exempt(iv->cu)) {
		memcpy(c->code, "E", 2);
		c->rate = DEC_ZERO;
		c->name = NULL;
		c->note = t->exempt_note;
	} else if (t->reverse && tax_id != NULL &&
	    strcmp(iv->cu->country, iv->en->country) != 0) {
		memcpy(c->code, "AE", 3);
		c->rate = DEC_ZERO;
		c->name = NULL;
		c->note = t->reverse_note;
	}
	dec_fmt(dec_normalize(c->rate), rate, sizeof(rate));
	snprintf(c->id, sizeof(c->id), "%s|%s|%s|%s", c->code, rate,
	    c->inclusive ? "incl" : "excl", dec_round_name(c->rounding));
	return 0;
}

/*
 * The one tax computation: rounded once to the minor unit, on the base
 * (base x rate / 100), or for inclusive prices out of the gross
 * (gross x rate / (100 + rate)).
 */
int
inv_tax(dec amount, dec rate, enum dec_round rounding, int inclusive,
    int minor, dec *tax)
{
	dec t, d;
	int e;

	if (inclusive) {
		if ((e = dec_mul(amount, rate, &t)) != 0 ||
		    (e = dec_add(dec_from_i64(100), rate, &d)) != 0)
			return e;
		return dec_div(t, d, minor, rounding, tax);
	}
	if ((e = dec_mul(amount, rate, &t)) != 0)
		return e;
	return dec_div(t, dec_from_i64(100), minor, rounding, tax);
}

/* The tax of a category; for inclusive prices, its base is what is left. */
int
inv_cat_tax(struct inv_cat *c, int minor)
{
	int e;

	if (c->inclusive) {
		if ((e = inv_tax(c->gross, c->rate, c->rounding, 1, minor,
		    &c->tax)) != 0)
			return e;
		return dec_sub(c->gross, c->tax, &c->base);
	}
	return inv_tax(c->base, c->rate, c->rounding, 0, minor, &c->tax);
}

/*
 * Inclusive prices: the category's tax is taken out of its lines in
 * proportion to their gross, so the line nets add up to the category's
 * base exactly.
 */
static int
split_inclusive(struct inv_state *st, struct inv_cat *c, int minor)
{
	size_t i, n = 0, *idx;
	dec *w, *share, *rems;
	int e;

	idx = xcalloc(st->nl + 1, sizeof(*idx));
	w = xcalloc(st->nl + 1, sizeof(*w));
	share = xcalloc(st->nl + 1, sizeof(*share));
	rems = xcalloc(st->nl + 1, sizeof(*rems));
	for (i = 0; i < st->nl; i++)
		if (strcmp(st->l[i].cat, c->id) == 0) {
			w[n] = st->l[i].gross;
			idx[n++] = i;
		}
	e = dec_split(c->tax, w, n, minor, share, rems);
	for (i = 0; i < n && e == 0; i++)
		e = dec_sub(st->l[idx[i]].gross, share[i], &st->l[idx[i]].net);
	free(rems);
	free(idx);
	free(w);
	free(share);
	return e;
}

/*
 * A line of the whole bill (a plan's discount or commitment true-up: no
 * charge, so no tax code of its own) is a document-level allowance or
 * charge: EN 16931 gives each a tax category (BG-20, BG-21), so it is
 * shared among the bill's categories with a positive amount, in
 * proportion to those amounts, a line "KEY#k" for each.  A category at
 * zero or below (lines taken back, a credit larger than its charges)
 * gets no share: a discount is then never a positive amount, nor a
 * true-up a negative one, on any category.  With no category above zero
 * it goes on the bill's first category; a bill of such lines only is
 * taxed by the rule for no tax code.
 */
static int
bill_level(const struct rated *r)
{
	return r->charge == NULL && (strcmp(r->line_type,
	    "discount") == 0 || strcmp(r->line_type, "true_up") == 0);
}

static int
share_bill_line(struct inv_state *st, const struct rated *r, size_t ncats,
    int minor)
{
	struct inv_line sl;
	dec *w, *share, *rems;
	size_t k;
	int e;

	w = xcalloc(ncats + 1, sizeof(*w));
	share = xcalloc(ncats + 1, sizeof(*share));
	rems = xcalloc(ncats + 1, sizeof(*rems));
	for (k = 0; k < ncats; k++) {
		w[k] = st->c[k].inclusive ? st->c[k].gross : st->c[k].base;
		if (dec_sign(w[k]) < 0)
			w[k] = DEC_ZERO;	/* no share: see above */
	}
	e = dec_split(r->amount, w, ncats, minor, share, rems);
	for (k = 0; k < ncats && e == 0; k++) {
		if (dec_sign(share[k]) == 0)
			continue;
		memset(&sl, 0, sizeof(sl));
		key_hex(r->key, KEY_LEN, sl.rkey);
		snprintf(sl.rkey + 2 * KEY_LEN, sizeof(sl.rkey) - 2 * KEY_LEN,
		    "#%zu", k + 1);
		sl.charge = r->charge;
		sl.name = r->name;
		sl.line_type = r->line_type;
		sl.ss = r->ss;
		sl.se = r->se;
		sl.qty = r->quantity;
		sl.net = sl.gross = share[k];
		memcpy(sl.cat, st->c[k].id, sizeof(sl.cat));
		inv_line_add(st, &sl);
		if (st->c[k].inclusive)
			e = dec_add(st->c[k].gross, share[k], &st->c[k].gross);
		else
			e = dec_add(st->c[k].base, share[k], &st->c[k].base);
	}
	free(w);
	free(share);
	free(rems);
	return e;
}

/*
 * Tax per category, rounded once each; inclusive prices then have the
 * tax taken out of their lines.
 */
int
inv_state_tax(struct inv_state *st, int minor)
{
	size_t i;
	int e = 0;

	for (i = 0; i < st->nc && e == 0; i++) {
		if ((e = inv_cat_tax(&st->c[i], minor)) == 0 &&
		    st->c[i].inclusive)
			e = split_inclusive(st, &st->c[i], minor);
	}
	return e;
}

/*
 * What a document says of a line's quantity and price, from its rated
 * line: "unit" (a UN/ECE Recommendation 20 code), "display_decimals",
 * and the price that explains the amount: "unit_price" (model unit),
 * "package_price" and "package_size" (package) or the "tiers" the
 * quantity fell in (graduated, volume).  NULL when there is none.
 */
json_t *
inv_line_price(const struct rated *r)
{
	json_t *o = json_object(), *b = r->breakdown, *v;
	size_t i;

	if (r->unit_code != NULL)
		json_object_set_new(o, "unit", json_string(r->unit_code));
	if (r->decimals >= 0)
		json_object_set_new(o, "display_decimals",
		    json_integer(r->decimals));
	if (b != NULL && strcmp(r->model, "unit") == 0 &&
	    json_is_string(v = json_object_get(b, "unit_amount")))
		json_object_set(o, "unit_price", v);
	if (b != NULL && strcmp(r->model, "package") == 0 &&
	    json_is_string(json_object_get(b, "amount_per_package")) &&
	    json_is_string(json_object_get(b, "package_size"))) {
		json_object_set(o, "package_price",
		    json_object_get(b, "amount_per_package"));
		json_object_set(o, "package_size",
		    json_object_get(b, "package_size"));
	}
	if (b != NULL && json_is_array(v = json_object_get(b, "tiers")) &&
	    json_array_size(v) > 0) {
		json_t *t = json_array();

		/* only what a reader checks: a tier's bounds and prices */
		for (i = 0; i < json_array_size(v); i++) {
			json_t *e = json_array_get(v, i), *c = json_object();
			static const char *const k[] = { "from", "up_to",
			    "units", "block_size", "blocks", "unit_amount",
			    "flat_amount", "amount" };
			size_t j;

			if (!json_is_object(e)) {
				json_decref(c);
				continue;
			}
			for (j = 0; j < sizeof(k) / sizeof(k[0]); j++)
				if (json_object_get(e, k[j]) != NULL)
					json_object_set(c, k[j],
					    json_object_get(e, k[j]));
			json_array_append_new(t, c);
		}
		json_object_set_new(o, "tiers", t);
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The state the invoice's rated lines call for. */
int
inv_state_build(const struct inv_head *iv, const struct taxtab *tax,
    struct rated *const *rl, size_t n, struct inv_state *st,
    struct inv_err *err)
{
	struct inv_cat proto, *c;
	struct inv_line sl, *l;
	size_t i, ncats;
	int e = 0, pass;

	memset(st, 0, sizeof(*st));
	st->credit.s = iv->minor;
	/* the charges' lines first; then the bill's, shared over them */
	for (pass = 0; pass < 2; pass++) {
		ncats = st->nc;
		for (i = 0; i < n && e == 0; i++) {
			const struct rated *r = rl[i];

			if (strcmp(r->line_type, "credit") == 0) {
				if (pass == 0)
					e = dec_add(st->credit, r->amount,
					    &st->credit);
				continue;
			}
			if (bill_level(r) != pass)
				continue;
			if (pass == 1 && ncats > 0) {
				e = share_bill_line(st, r, ncats, iv->minor);
				continue;
			}
			if (inv_line_cat(iv, tax, r->tax_code, &proto, err) < 0)
				return -1;
			if ((c = inv_cat_find(st, proto.id)) == NULL)
				c = inv_cat_add(st, &proto);
			memset(&sl, 0, sizeof(sl));
			key_hex(r->key, KEY_LEN, sl.rkey);
			sl.charge = r->charge;
			sl.name = r->name;
			sl.line_type = r->line_type;
			sl.tax_code = r->tax_code;
			sl.ss = r->ss;
			sl.se = r->se;
			sl.qty = r->quantity;
			sl.net = r->amount;
			sl.gross = r->amount;
			memcpy(sl.cat, c->id, sizeof(sl.cat));
			if (r->has_lineage)
				key_hex(r->lineage, KEY_LEN, sl.lineage);
			sl.price = r->price;
			l = inv_line_add(st, &sl);
			if (c->inclusive)
				e = dec_add(c->gross, l->gross, &c->gross);
			else
				e = dec_add(c->base, l->net, &c->base);
		}
	}
	if (e == 0)
		e = inv_state_tax(st, iv->minor);
	if (e != 0) {
		err->code = "amount_overflow";
		err->cls = RC_DATA;
		snprintf(err->msg, sizeof(err->msg), "the invoice's "
		    "amounts do not fit: %s", dec_strerror(e));
		return -1;
	}
	return 0;
}

/* ---- the state as JSON, for the ledger ---- */

char *
inv_state_dump(const struct inv_state *st)
{
	json_t *o = json_object(), *ls = json_object(), *cs = json_object();
	char *s;
	size_t i;

	for (i = 0; i < st->nl; i++) {
		const struct inv_line *l = &st->l[i];
		json_t *e = json_object();

		json_object_set_new(e, "charge", jval_of_str(l->charge));
		json_object_set_new(e, "name", jval_of_str(l->name));
		json_object_set_new(e, "line_type", jval_of_str(l->line_type));
		json_object_set_new(e, "tax_code", jval_of_str(l->tax_code));
		if (l->price != NULL)
			json_object_set(e, "price", l->price);
		json_object_set_new(e, "ss", json_integer(l->ss));
		json_object_set_new(e, "se", json_integer(l->se));
		json_object_set_new(e, "qty", jval_of_dec(l->qty));
		json_object_set_new(e, "net", jval_of_dec(l->net));
		json_object_set_new(e, "gross", jval_of_dec(l->gross));
		json_object_set_new(e, "cat", json_string(l->cat));
		json_object_set_new(e, "lineage", json_string(l->lineage));
		json_object_set_new(e, "ord", json_integer((json_int_t)i));
		json_object_set_new(ls, l->rkey, e);
	}
	for (i = 0; i < st->nc; i++) {
		const struct inv_cat *c = &st->c[i];
		json_t *e = json_object();

		json_object_set_new(e, "code", json_string(c->code));
		json_object_set_new(e, "rate", jval_of_dec(c->rate));
		json_object_set_new(e, "inclusive", json_boolean(c->inclusive));
		json_object_set_new(e, "rounding",
		    json_string(dec_round_name(c->rounding)));
		json_object_set_new(e, "name", jval_of_str(c->name));
		json_object_set_new(e, "note", jval_of_str(c->note));
		json_object_set_new(e, "base", jval_of_dec(c->base));
		json_object_set_new(e, "tax", jval_of_dec(c->tax));
		json_object_set_new(e, "gross", jval_of_dec(c->gross));
		json_object_set_new(cs, c->id, e);
	}
	json_object_set_new(o, "lines", ls);
	json_object_set_new(o, "cats", cs);
	json_object_set_new(o, "credit", jval_of_dec(st->credit));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		die(EX_SOFTWARE, "cannot serialize an invoice state");
	return s;
}

static int
line_ord_cmp(const void *x, const void *y)
{
	const struct inv_line *a = x, *b = y;

	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

int
inv_state_load(const char *text, struct inv_state *st)
{
	json_t *o, *ls, *cs, *e;
	struct inv_line sl;
	struct inv_cat sc;
	const char *k, *s;
	int bad = 0, r;

	memset(st, 0, sizeof(*st));
	if ((o = json_loads(text, 0, NULL)) == NULL)
		return -1;
	ls = json_object_get(o, "lines");
	cs = json_object_get(o, "cats");
	bad = !json_is_object(ls) || !json_is_object(cs) ||
	    jval_dec(o, "credit", &st->credit) < 0;
	json_object_foreach(cs, k, e) {
		memset(&sc, 0, sizeof(sc));
		snprintf(sc.id, sizeof(sc.id), "%s", k);
		s = jval_str(e, "code");
		snprintf(sc.code, sizeof(sc.code), "%s", s ? s : "");
		sc.inclusive = json_is_true(json_object_get(e, "inclusive"));
		r = jval_str(e, "rounding") ? dec_parse_round(jval_str(e,
		    "rounding")) : -1;
		sc.rounding = r < 0 ? DEC_HALF_UP : (enum dec_round)r;
		sc.name = (char *)jval_str(e, "name");
		sc.note = (char *)jval_str(e, "note");
		bad |= r < 0 || s == NULL || jval_dec(e, "rate", &sc.rate) < 0;
		inv_cat_add(st, &sc);
		bad |= jval_dec(e, "base", &st->c[st->nc - 1].base) < 0 ||
		    jval_dec(e, "tax", &st->c[st->nc - 1].tax) < 0 ||
		    jval_dec(e, "gross", &st->c[st->nc - 1].gross) < 0;
	}
	json_object_foreach(ls, k, e) {
		memset(&sl, 0, sizeof(sl));
		snprintf(sl.rkey, sizeof(sl.rkey), "%s", k);
		sl.charge = jval_str(e, "charge");
		sl.name = jval_str(e, "name");
		sl.line_type = jval_str(e, "line_type");
		sl.tax_code = jval_str(e, "tax_code");
		sl.price = json_is_object(json_object_get(e, "price")) ?
		    json_object_get(e, "price") : NULL;
		sl.ss = json_integer_value(json_object_get(e, "ss"));
		sl.se = json_integer_value(json_object_get(e, "se"));
		s = jval_str(e, "cat");
		snprintf(sl.cat, sizeof(sl.cat), "%s", s ? s : "");
		s = jval_str(e, "lineage");
		snprintf(sl.lineage, sizeof(sl.lineage), "%s", s ? s : "");
		bad |= jval_dec(e, "qty", &sl.qty) < 0 ||
		    jval_dec(e, "net", &sl.net) < 0 ||
		    jval_dec(e, "gross", &sl.gross) < 0 ||
		    sl.line_type == NULL;
		inv_line_add(st, &sl);
		st->l[st->nl - 1].ord = json_integer_value(json_object_get(e,
		    "ord"));
	}
	json_decref(o);
	/* the lines in the order they were billed in, not by key */
	if (st->nl > 1)
		qsort(st->l, st->nl, sizeof(*st->l), line_ord_cmp);
	return bad ? -1 : 0;
}

/*
 * What a document carries: now - before, line by line and category by
 * category (before NULL: everything, the invoice).  Lines and categories
 * that did not change are left out.
 */
int
inv_state_delta(const struct inv_state *now, struct inv_state *before,
    struct inv_state *d)
{
	const struct inv_line *a;
	struct inv_line *b, t;
	const struct inv_cat *ca;
	struct inv_cat *cb, tc;
	size_t i;
	int e = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < now->nl && e == 0; i++) {
		a = &now->l[i];
		t = *a;
		if (before != NULL && (b = line_find(before, a->rkey)) != NULL &&
		    strcmp(a->cat, b->cat) != 0) {
			/* another tax category now: back out of the old one */
			t = *b;
			t.net = dec_neg(b->net);
			t.gross = dec_neg(b->gross);
			t.qty = dec_neg(b->qty);
			inv_line_add(d, &t);
			b->seen = 1;
			inv_line_add(d, a);
			continue;
		}
		if (before != NULL && (b = line_find(before, a->rkey)) != NULL) {
			if ((e = dec_sub(a->net, b->net, &t.net)) != 0 ||
			    (e = dec_sub(a->gross, b->gross, &t.gross)) != 0 ||
			    (e = dec_sub(a->qty, b->qty, &t.qty)) != 0)
				break;
			t.qty = dec_normalize(t.qty);
			b->seen = 1;
			if (dec_sign(t.net) == 0 && dec_sign(t.gross) == 0 &&
			    dec_sign(t.qty) == 0)
				continue;
		}
		inv_line_add(d, &t);
	}
	for (i = 0; before != NULL && i < before->nl; i++) {
		b = &before->l[i];
		if (b->seen)
			continue;
		t = *b;		/* billed before, not now: taken back */
		t.net = dec_neg(b->net);
		t.gross = dec_neg(b->gross);
		t.qty = dec_neg(b->qty);
		inv_line_add(d, &t);
	}
	for (i = 0; i < now->nc && e == 0; i++) {
		ca = &now->c[i];
		tc = *ca;
		if (before != NULL && (cb = inv_cat_find(before, ca->id)) != NULL) {
			if ((e = dec_sub(ca->base, cb->base, &tc.base)) != 0 ||
			    (e = dec_sub(ca->tax, cb->tax, &tc.tax)) != 0 ||
			    (e = dec_sub(ca->gross, cb->gross, &tc.gross)) != 0)
				break;
			cb->code[0] = '\0';	/* seen */
			if (dec_sign(tc.base) == 0 && dec_sign(tc.tax) == 0 &&
			    dec_sign(tc.gross) == 0)
				continue;
		}
		inv_cat_add(d, &tc);
		d->c[d->nc - 1].base = tc.base;
		d->c[d->nc - 1].tax = tc.tax;
		d->c[d->nc - 1].gross = tc.gross;
	}
	for (i = 0; before != NULL && i < before->nc; i++) {
		cb = &before->c[i];
		if (cb->code[0] == '\0')
			continue;
		tc = *cb;
		inv_cat_add(d, &tc);
		d->c[d->nc - 1].base = dec_neg(cb->base);
		d->c[d->nc - 1].tax = dec_neg(cb->tax);
		d->c[d->nc - 1].gross = dec_neg(cb->gross);
	}
	if (e == 0)
		e = before ? dec_sub(now->credit, before->credit, &d->credit) :
		    0;
	if (before == NULL)
		d->credit = now->credit;
	return e;
}

/* ---- a document's totals ---- */

int
inv_totals(const struct inv_state *d, int minor, struct inv_totals *t)
{
	dec sum = DEC_ZERO;
	unsigned char k[KEY_LEN];
	lin_t lin = 0;
	size_t i;
	int e = 0;

	t->has_lineage = 0;
	t->net = t->tax = (dec){ 0, minor };
	for (i = 0; i < d->nl && e == 0; i++) {
		e = dec_add(t->net, d->l[i].net, &t->net);
		if (d->l[i].lineage[0] != '\0' &&
		    key_unhex(d->l[i].lineage, k, KEY_LEN) == 0) {
			lin += lin_of(k);
			t->has_lineage = 1;
		}
	}
	for (i = 0; i < d->nc && e == 0; i++)
		if ((e = dec_add(sum, d->c[i].base, &sum)) == 0)
			e = dec_add(t->tax, d->c[i].tax, &t->tax);
	if (e == 0 && dec_cmp(sum, t->net) != 0)
		return -1;
	if (e == 0)
		e = dec_add(t->net, t->tax, &t->total);
	if (e == 0)
		e = dec_add(t->total, d->credit, &t->due);
	lin_bytes(lin, k);
	key_hex(k, KEY_LEN, t->lineage);
	return e;
}

/* Payment terms: the customer's, else the entity's. */
int64_t
inv_terms(const struct inv_head *iv)
{
	json_t *v = json_object_get(iv->cu->obj, "payment_terms_days");
	const char *s;
	int64_t n = 0;

	if (v == NULL || json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) == 0))	/* CSV: an empty cell */
		return iv->en->terms_days;
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) ==
	    (double)(int64_t)json_real_value(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) <= 3650)
		n = (int64_t)json_real_value(v);	/* jrec reads all as real */
	else if (json_is_string(v)) {
		for (s = json_string_value(v); *s >= '0' && *s <= '9' &&
		    n <= 3650; s++)
			n = n * 10 + (*s - '0');
		if (*s != '\0')
			n = -1;
	} else
		n = -1;
	if (n < 0 || n > 3650)
		die(EX_CONFIG, "customers file: customer '%s': "
		    "payment_terms_days must be a whole number of days from 0 "
		    "to 3650", iv->cu->id);
	return n;
}


/* ---- progressive billing: a period invoiced in steps ---- */

int
inv_state_progressive(const struct inv_state *now,
    const struct inv_state *before, struct inv_state *d)
{
	const struct inv_cat *cb;
	struct inv_line t;
	struct inv_cat *c;
	size_t i;
	int e = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < now->nl; i++)
		inv_line_add(d, &now->l[i]);
	/*
	 * What the interim invoices billed, line by line, taken off: each
	 * line keeps its charge, tax code and category (so it is posted to
	 * the account its line was, and a rated line's documents add up to
	 * its amount) but not its lineage, which the line billed whole
	 * above carries once.
	 */
	for (i = 0; before != NULL && i < before->nl; i++) {
		t = before->l[i];
		t.line_type = INV_PROGRESSIVE;
		t.net = dec_neg(t.net);
		t.gross = dec_neg(t.gross);
		t.qty = dec_neg(t.qty);
		t.lineage[0] = '\0';
		t.price = NULL;
		inv_line_add(d, &t);
	}
	/*
	 * Every category of either, kept even when it nets to zero (its
	 * lines are on the document): its base and its tax less the
	 * interim invoices', the tax being the difference of two rounded
	 * taxes, never a rounding of the difference, so that the period's
	 * invoices add up to the tax of the whole period rounded once.
	 */
	for (i = 0; i < now->nc; i++) {
		c = inv_cat_add(d, &now->c[i]);
		c->base = now->c[i].base;
		c->tax = now->c[i].tax;
		c->gross = now->c[i].gross;
	}
	for (i = 0; before != NULL && i < before->nc && e == 0; i++) {
		cb = &before->c[i];
		if ((c = inv_cat_find(d, cb->id)) == NULL)
			c = inv_cat_add(d, cb);
		if ((e = dec_sub(c->base, cb->base, &c->base)) != 0 ||
		    (e = dec_sub(c->tax, cb->tax, &c->tax)) != 0)
			break;
		e = dec_sub(c->gross, cb->gross, &c->gross);
	}
	if (e == 0)
		e = before != NULL ? dec_sub(now->credit, before->credit,
		    &d->credit) : 0;
	if (before == NULL)
		d->credit = now->credit;
	return e;
}
