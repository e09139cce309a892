/*
 * rated.c: write rate's records, read a rated line (rated.h).
 */
#include <string.h>

#include "aggrec.h"
#include "catalog.h"
#include "currency.h"
#include "jrec.h"
#include "jval.h"
#include "jw.h"
#include "price.h"
#include "rated.h"
#include "tm.h"
#include "units.h"

/* ---- writing ---- */

static void
brk_dec(struct jw *w, const char *k, dec d)
{
	jw_key(w, k);
	jw_dec(w, d);
}

/* The first members of a rated line and of an alert. */
static void
rec_head(struct jw *w, struct buf *o, const char *kind,
    const unsigned char *key, const char *customer, const struct contract *c)
{
	jw_init(w, o);
	jw_open(w, '{');
	JW_KEY(w, "kind");
	jw_str(w, kind);
	JW_KEY(w, "schema");
	jw_str(w, "1.0");
	JW_KEY(w, "key");
	jw_hex(w, key, KEY_LEN);
	JW_KEY(w, "customer");
	jw_str(w, customer);
	JW_KEY(w, "contract");
	if (c->id != NULL)
		jw_str(w, c->id);
	else
		jw_null(w);
	JW_KEY(w, "plan");
	jw_str(w, c->plan->id);
	JW_KEY(w, "plan_version");
	jw_int(w, c->plan->version);
}

void
rated_write(struct buf *o, const struct rated_out *l)
{
	const struct contract *c = l->c;
	unsigned char key[KEY_LEN], lin[KEY_LEN];
	struct keyh h;
	struct jw w;
	lin_t sum = 0;
	size_t i;

	key_start(&h, "rated");
	key_str(&h, l->customer);
	key_str(&h, c->plan->id);
	key_i64(&h, c->plan->version);
	key_str(&h, l->type);
	key_str(&h, l->ch ? l->ch->id : "");
	key_str(&h, l->disc ? l->disc->id : "");
	key_str(&h, l->gtext ? l->gtext : "");
	key_i64(&h, l->ps);
	key_i64(&h, l->pe);
	key_i64(&h, l->ss);
	key_end(&h, key);

	rec_head(&w, o, "rated", key, l->customer, c);
	JW_KEY(&w, "charge");
	if (l->ch != NULL)
		jw_str(&w, l->ch->id);
	else
		jw_null(&w);
	JW_KEY(&w, "line_type");
	jw_str(&w, l->type);
	JW_KEY(&w, "model");
	jw_str(&w, l->model);
	if (l->disc != NULL) {
		JW_KEY(&w, "discount");
		jw_str(&w, l->disc->id);
	}
	if (l->ch != NULL && l->ch->name != NULL) {
		JW_KEY(&w, "name");
		jw_str(&w, l->ch->name);
	}
	if (l->ch != NULL && l->ch->tax_code != NULL) {
		JW_KEY(&w, "tax_code");
		jw_str(&w, l->ch->tax_code);
	}
	if (l->ch != NULL && l->ch->unit_code != NULL) {
		JW_KEY(&w, "unit_code");
		jw_str(&w, l->ch->unit_code);
	}
	if (l->ch != NULL && l->ch->decimals >= 0) {
		JW_KEY(&w, "display_decimals");
		jw_int(&w, l->ch->decimals);
	}
	JW_KEY(&w, "meter");
	if (l->gtext != NULL)
		jw_str(&w, l->ch->meter);
	else
		jw_null(&w);
	JW_KEY(&w, "group");
	if (l->gtext != NULL)
		jw_raw(&w, l->gtext, strlen(l->gtext));
	else
		jw_raw(&w, "{}", 2);
	JW_KEY(&w, "period");
	jw_str(&w, tm_unit_name(c->plan->interval));
	JW_KEY(&w, "period_start");
	jw_time(&w, l->ps);
	JW_KEY(&w, "period_end");
	jw_time(&w, l->pe);
	JW_KEY(&w, "service_start");
	jw_time(&w, l->ss);
	JW_KEY(&w, "service_end");
	jw_time(&w, l->se);
	JW_KEY(&w, "quantity");
	jw_dec(&w, l->qty);
	if (l->has_free) {
		JW_KEY(&w, "free_units");
		jw_dec(&w, l->ch->free_units);
		JW_KEY(&w, "billable_quantity");
		jw_dec(&w, l->billable);
	}
	JW_KEY(&w, "breakdown");
	jw_open(&w, '{');
	if (l->brk.len > 0) {
		jw_raw(&w, l->brk.p, l->brk.len);
		w.comma[w.depth] = 1;
	}
	jw_close(&w, '}');
	JW_KEY(&w, "amount_unrounded");
	jw_dec(&w, l->amount_x);
	JW_KEY(&w, "amount");
	jw_dec(&w, l->amount);
	JW_KEY(&w, "currency");
	jw_str(&w, c->plan->currency);
	JW_KEY(&w, "rounding");
	jw_str(&w, dec_round_name(c->plan->rounding));
	JW_KEY(&w, "preview");
	jw_bool(&w, l->preview);
	JW_KEY(&w, "aggregates");
	jw_open(&w, '[');
	for (i = 0; i < l->na; i++) {
		jw_hex(&w, l->a[i]->key, KEY_LEN);
		sum += lin_of(l->a[i]->lineage);
	}
	jw_close(&w, ']');
	JW_KEY(&w, "lineage");
	if (l->gtext != NULL) {
		lin_bytes(sum, lin);
		jw_hex(&w, lin, KEY_LEN);
	} else
		jw_null(&w);
	JW_KEY(&w, "correlation_id");
	jw_hex(&w, key, KEY_LEN);
	jw_close(&w, '}');
	buf_addc(o, '\n');
}

/* The breakdown is built with a writer of its own, then inlined. */
static void
brk_begin(struct rated_out *l, struct jw *w)
{
	buf_reset(&l->brk);
	jw_init(w, &l->brk);
	jw_open(w, '{');
	l->brk.len = 0;		/* drop the brace: members only */
	w->comma[w->depth] = 0;
}

void
rated_brk_unit(struct rated_out *l, const struct charge *ch)
{
	struct jw w;

	brk_begin(l, &w);
	brk_dec(&w, "unit_amount", ch->unit_amount);
}

void
rated_brk_tiers(struct rated_out *l, const struct charge *ch,
    const struct price_step *st, size_t n)
{
	struct jw w;
	size_t i;
	dec lo;

	brk_begin(l, &w);
	JW_KEY(&w, "tiers");
	jw_open(&w, '[');
	for (i = 0; i < n; i++) {
		const struct tier *t = &ch->tiers[st[i].tier];

		lo = st[i].tier > 0 ? ch->tiers[st[i].tier - 1].up_to :
		    DEC_ZERO;
		jw_open(&w, '{');
		JW_KEY(&w, "tier");
		jw_int(&w, st[i].tier + 1);
		brk_dec(&w, "from", lo);	/* exclusive, but 0 */
		JW_KEY(&w, "up_to");
		if (t->open)
			jw_null(&w);
		else
			jw_dec(&w, t->up_to);
		brk_dec(&w, "units", st[i].units);
		if (dec_sign(t->block_size) > 0) {
			brk_dec(&w, "block_size", t->block_size);
			brk_dec(&w, "blocks", st[i].blocks);
		}
		brk_dec(&w, "unit_amount", t->unit_amount);
		brk_dec(&w, "flat_amount", t->flat_amount);
		brk_dec(&w, "amount", st[i].amount);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
}

/* A prorated charge's line (prorate.h): what it was priced from. */
void
rated_brk_prorated(struct rated_out *l, const struct charge *ch, dec full,
    int64_t days)
{
	struct jw w;

	brk_begin(l, &w);
	if (ch->model == M_UNIT)
		brk_dec(&w, "unit_amount", ch->unit_amount);
	JW_KEY(&w, "prorated");
	jw_bool(&w, 1);
	JW_KEY(&w, "period_days");
	jw_int(&w, days);
	brk_dec(&w, "full_quantity", full);
}

void
rated_brk_package(struct rated_out *l, const struct charge *ch, dec pk)
{
	struct jw w;

	brk_begin(l, &w);
	brk_dec(&w, "package_size", ch->package_size);
	brk_dec(&w, "packages", pk);
	brk_dec(&w, "amount_per_package", ch->amount);
	JW_KEY(&w, "round");
	jw_str(&w, ch->round_up ? "up" : "down");
}

void
rated_brk_pct(struct rated_out *l, const struct charge *ch,
    const struct price_pct_out *o)
{
	int gift = ch->free_events > 0 || ch->has_free_total;
	struct jw w;

	brk_begin(l, &w);
	brk_dec(&w, "rate", ch->rate);
	brk_dec(&w, "fixed_amount", ch->fixed);
	if (ch->has_min)
		brk_dec(&w, "per_transaction_min_amount", ch->min);
	if (ch->has_max)
		brk_dec(&w, "per_transaction_max_amount", ch->max);
	if (ch->free_events > 0) {
		JW_KEY(&w, "free_units_per_events");
		jw_int(&w, ch->free_events);
	}
	if (ch->has_free_total)
		brk_dec(&w, "free_units_per_total_aggregation", ch->free_total);
	JW_KEY(&w, "transactions");
	jw_int(&w, o->transactions);
	JW_KEY(&w, "transactions_at_min_or_max");
	jw_int(&w, o->clamped);
	brk_dec(&w, "transaction_amount", o->base);
	if (gift) {
		JW_KEY(&w, "free_transactions");
		jw_int(&w, o->free_tx);
		brk_dec(&w, "free_amount", o->free_amount);
	}
}

/* ns as seconds, exactly */
static dec
secs(int64_t ns)
{
	dec d = dec_from_i64(ns);

	d.s = 9;
	return dec_normalize(d);
}

void
rated_brk_flat(struct rated_out *l, const struct charge *ch, int64_t num,
    int64_t den)
{
	struct jw w;

	brk_begin(l, &w);
	brk_dec(&w, "amount", ch->amount);
	JW_KEY(&w, "billing");
	jw_str(&w, ch->advance ? "advance" : "arrears");
	if (num != den) {
		JW_KEY(&w, "proration");
		jw_open(&w, '{');
		brk_dec(&w, "service_seconds", secs(num));
		brk_dec(&w, "period_seconds", secs(den));
		jw_close(&w, '}');
	}
}

void
rated_brk_trueup(struct rated_out *l, dec minimum, dec before)
{
	struct jw w;

	brk_begin(l, &w);
	brk_dec(&w, "minimum_commitment", minimum);
	brk_dec(&w, "amount_before", before);
}

void
rated_brk_discount(struct rated_out *l, const struct discount *d, dec base)
{
	struct jw w;

	brk_begin(l, &w);
	JW_KEY(&w, "applies_to");
	if (d->charge != NULL)
		jw_str(&w, d->charge);
	else
		jw_null(&w);
	brk_dec(&w, d->percent ? "percent" : "amount_off", d->value);
	if (d->has_cap)
		brk_dec(&w, "cap", d->cap);
	brk_dec(&w, "base", base);
}

void
rated_brk_credit(struct rated_out *l, dec bal, dec after, dec due)
{
	struct jw w;

	brk_begin(l, &w);
	brk_dec(&w, "balance_before", bal);
	brk_dec(&w, "balance_after", after);
	brk_dec(&w, "amount_due_before", due);
}

void
rated_brk_grants(struct rated_out *l, const char *const *id,
    const dec *amount, size_t n)
{
	struct jw w;
	size_t i;

	/* appended to the members there, as brk_begin's writer would */
	jw_init(&w, &l->brk);
	w.depth = 1;
	w.comma[1] = l->brk.len > 0;
	JW_KEY(&w, "grants");
	jw_open(&w, '[');
	for (i = 0; i < n; i++) {
		jw_open(&w, '{');
		JW_KEY(&w, "id");
		jw_str(&w, id[i]);
		brk_dec(&w, "amount", amount[i]);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
}

void
rated_alert_write(struct buf *o, const struct rated_alert *a)
{
	unsigned char key[KEY_LEN];
	struct keyh h;
	struct jw w;

	key_start(&h, "alert");
	key_str(&h, a->customer);
	key_str(&h, a->threshold);
	key_i64(&h, a->ps);
	key_end(&h, key);
	rec_head(&w, o, "alert", key, a->customer, a->c);
	JW_KEY(&w, "threshold");
	jw_str(&w, a->threshold);
	JW_KEY(&w, "threshold_amount");
	jw_dec(&w, a->threshold_amount);
	JW_KEY(&w, "amount");
	jw_dec(&w, a->amount);
	JW_KEY(&w, "currency");
	jw_str(&w, a->c->plan->currency);
	JW_KEY(&w, "period_start");
	jw_time(&w, a->ps);
	JW_KEY(&w, "period_end");
	jw_time(&w, a->pe);
	JW_KEY(&w, "as_of");
	jw_time(&w, a->as_of);
	JW_KEY(&w, "preview");
	jw_bool(&w, a->preview);
	if (a->invoice) {	/* absent otherwise: older records unchanged */
		JW_KEY(&w, "invoice");
		jw_bool(&w, 1);
	}
	JW_KEY(&w, "correlation_id");
	jw_hex(&w, key, KEY_LEN);
	jw_close(&w, '}');
	buf_addc(o, '\n');
}

/* ---- reading ---- */

#define W	"rated line"

static int
time_of(struct jrec *r, const char *k, int64_t *t)
{
	const char *s, *why;

	if (jrec_str(r, W, k, 1, &s, NULL) < 0)
		return -1;
	if (tm_parse(s, strlen(s), t, &why) < 0)
		return jrec_fail(r, "invalid_time", k, "%s '%s': %s", k, s,
		    why);
	return 0;
}

/* A decimal string of our own records: exact, never a JSON number. */
static int
dec_member(struct jrec *r, const char *k, dec *d)
{
	const char *s;

	if (jrec_str(r, W, k, 1, &s, NULL) < 0)
		return -1;
	if (dec_parse(s, strlen(s), d) != DEC_OK)
		return jrec_fail(r, "invalid_amount", k, "%s '%s' is not an "
		    "exact decimal number", k, s);
	return 0;
}

static int
hex_of(struct jrec *r, const char *k, int required, unsigned char *out,
    int *has)
{
	json_t *v = json_object_get(r->root, k);
	const char *s;

	if (has != NULL)
		*has = 0;
	if (!required && json_is_null(v))
		return 0;
	if (jrec_str(r, W, k, 1, &s, NULL) < 0)
		return -1;
	if (strlen(s) != 2 * KEY_LEN || key_unhex(s, out, KEY_LEN) < 0)
		return jrec_fail(r, "invalid_field", k, "%s '%s' is not %d hex "
		    "digits", k, s, 2 * KEY_LEN);
	if (has != NULL)
		*has = 1;
	return 0;
}

/* A member that may be null: absent is an error, null gives NULL. */
static int
nstr(struct jrec *r, const char *k, const char **out)
{
	*out = NULL;
	if (json_is_null(json_object_get(r->root, k)))
		return 0;
	return jrec_str(r, W, k, 1, out, NULL);
}

/* An optional member: absent or null give NULL. */
static int
ostr(struct jrec *r, const char *k, const char **out)
{
	*out = NULL;
	if (json_is_null(json_object_get(r->root, k)))
		return 0;
	return jrec_str(r, W, k, 0, out, NULL);
}

/*
 * What a document states the quantity in and how it explains the
 * price: unit_code (units.h's table), display_decimals and the
 * breakdown, all optional.
 */
static int
rated_units(struct jrec *r, struct rated *l)
{
	json_t *v = json_object_get(r->root, "display_decimals");

	l->decimals = -1;
	if (ostr(r, "unit_code", &l->unit_code) < 0)
		return -1;
	if (l->unit_code != NULL && unit_label(l->unit_code) == NULL)
		return jrec_fail(r, "invalid_field", "unit_code", "unit_code "
		    "'%.32s' is not a UN/ECE Recommendation 20 code known "
		    "here (one of %s)", l->unit_code, unit_codes());
	if (v != NULL && !json_is_null(v) && jrec_int(r, v, 0,
	    CHARGE_MAXDECIMALS, &l->decimals) < 0)
		return jrec_fail(r, "invalid_field", "display_decimals",
		    "display_decimals must be a whole number from 0 to %d",
		    CHARGE_MAXDECIMALS);
	v = json_object_get(r->root, "breakdown");
	l->breakdown = json_is_object(v) ? v : NULL;
	return 0;
}

int
rated_read(struct jrec *r, struct rated *l)
{
	const char *kind, *cur;
	json_t *v;

	memset(l, 0, sizeof(*l));
	v = json_object_get(r->root, "kind");
	kind = json_is_string(v) ? json_string_value(v) : NULL;
	if (kind == NULL || strcmp(kind, "rated") != 0)
		return jrec_fail(r, "not_rated", "kind", "expected a rated "
		    "line (\"kind\":\"rated\", from rate), got %s%s%s",
		    kind ? "kind '" : "", kind ? kind : "no kind",
		    kind ? "'" : "");
	if (jrec_check_schema(r, 1) < 0)
		return -1;
	if (hex_of(r, "key", 1, l->key, NULL) < 0 ||
	    jrec_str(r, W, "customer", 1, &l->customer, NULL) < 0 ||
	    nstr(r, "contract", &l->contract) < 0 ||
	    jrec_str(r, W, "plan", 1, &l->plan, NULL) < 0 ||
	    nstr(r, "charge", &l->charge) < 0 ||
	    jrec_str(r, W, "line_type", 1, &l->line_type, NULL) < 0 ||
	    jrec_str(r, W, "model", 1, &l->model, NULL) < 0 ||
	    ostr(r, "name", &l->name) < 0 ||
	    ostr(r, "tax_code", &l->tax_code) < 0 ||
	    ostr(r, "discount", &l->discount) < 0 ||
	    nstr(r, "meter", &l->meter) < 0 ||
	    time_of(r, "period_start", &l->ps) < 0 ||
	    time_of(r, "period_end", &l->pe) < 0 ||
	    time_of(r, "service_start", &l->ss) < 0 ||
	    time_of(r, "service_end", &l->se) < 0 ||
	    dec_member(r, "quantity", &l->quantity) < 0 ||
	    dec_member(r, "amount", &l->amount) < 0 ||
	    jrec_str(r, W, "currency", 1, &cur, NULL) < 0 ||
	    hex_of(r, "lineage", 0, l->lineage, &l->has_lineage) < 0)
		return -1;
	if (jrec_int(r, json_object_get(r->root, "plan_version"), 1,
	    INT32_MAX, &l->plan_version) < 0)
		return jrec_fail(r, json_object_get(r->root, "plan_version") ?
		    "invalid_field" : "missing_field", "plan_version",
		    "plan_version must be a whole number from 1");
	if (!cur_valid(cur) || cur_minor(cur) < 0)
		return jrec_fail(r, "invalid_field", "currency", "currency "
		    "'%s' is not an ISO 4217 code with minor units", cur);
	memcpy(l->currency, cur, 4);
	if (rated_units(r, l) < 0)
		return -1;
	v = json_object_get(r->root, "group");
	if (!json_is_object(v))
		return jrec_fail(r, v ? "invalid_field" : "missing_field",
		    "group", "group must be an object");
	l->group = v;
	v = json_object_get(r->root, "preview");
	if (v != NULL && !json_is_boolean(v))
		return jrec_fail(r, "invalid_field", "preview", "preview must "
		    "be true or false");
	l->preview = json_is_true(v);
	if (l->pe <= l->ps)
		return jrec_fail(r, "invalid_field", "period_end", "period_end "
		    "is not after period_start");
	return 0;
}

int
rated_view(json_t *j, struct rated_view *l)
{
	const char *kind = jval_str(j, "kind");

	memset(l, 0, sizeof(*l));
	if (kind != NULL && strcmp(kind, "alert") == 0)
		return 1;
	l->key = jval_str(j, "key");
	if (kind == NULL || strcmp(kind, "rated") != 0 || l->key == NULL)
		return -1;
	l->customer = jval_str(j, "customer");
	l->charge = jval_str(j, "charge");
	l->line_type = jval_str(j, "line_type");
	l->currency = jval_str(j, "currency");
	l->lineage = jval_str(j, "lineage");
	l->ps = jval_str(j, "period_start");
	l->pe = jval_str(j, "period_end");
	l->amount = jval_dec_or_zero(j, "amount");
	l->aggregates = json_object_get(j, "aggregates");
	return 0;
}
