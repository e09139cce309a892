/*
 * catalog.c: load and check the pricing catalog and the contracts.
 *
 * Every problem is reported with where it is ("plans[0] ('pro' v1):
 * charges[2] ('api'): ...") and the load dies with EX_CONFIG after the
 * list, so one run shows what to fix.  A contract's overrides are merged
 * into a copy of its plan's charge objects (a member of the override
 * replaces the plan's) and the result is checked like a plan's charge.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "currency.h"
#include "conf.h"
#include "jrec.h"
#include "prorate.h"
#include "units.h"
#include "util.h"

#define CATALOG_MAXFILE	(64 * 1024 * 1024)

static const char *const model_names[] = {
	[M_FLAT] = "flat", [M_UNIT] = "unit", [M_GRADUATED] = "graduated",
	[M_VOLUME] = "volume", [M_PACKAGE] = "package",
	[M_PERCENTAGE] = "percentage"
};
#define NMODEL (sizeof(model_names) / sizeof(model_names[0]))

/* Members every charge may have, then each model's own. */
static const char *const charge_common[] = {
	"id", "name", "description", "tax_code", "meter", "model", "unit_code",
	"display_decimals", NULL
};
static const char *const charge_metered[] = {
	"group", "combine_groups", "free_units", "minimum_commitment",
	"prorated", NULL
};
static const char *const model_keys[NMODEL][6] = {
	[M_FLAT] = { "amount", "billing" },
	[M_UNIT] = { "unit_amount" },
	[M_GRADUATED] = { "tiers" },
	[M_VOLUME] = { "tiers" },
	[M_PACKAGE] = { "package_size", "amount", "round" },
	[M_PERCENTAGE] = { "rate", "fixed_amount", "per_transaction_min_amount",
	    "per_transaction_max_amount", "free_units_per_events",
	    "free_units_per_total_aggregation" },
};

const char *
model_name(enum model m)
{
	return model_names[m];
}

struct cload {
	struct conf	 cf;
	struct catalog	*cat;
};

static int
tiers_load(struct cload *ld, json_t *v, struct charge *c)
{
	const char *why;
	json_t *e;
	size_t i;
	int nerr = ld->cf.nerr;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > PRICE_MAXTIERS) {
		conf_err(&ld->cf, "tiers must be a list of 1 to %d tiers",
		    PRICE_MAXTIERS);
		return -1;
	}
	c->ntiers = json_array_size(v);
	c->tiers = xcalloc(c->ntiers, sizeof(*c->tiers));
	json_array_foreach(v, i, e) {
		struct tier *t = &c->tiers[i];
		static const char *const keys[] = { "up_to", "unit_amount",
		    "flat_amount", "block_size", NULL };
		size_t n = strlen(ld->cf.where);
		json_t *up;
		int r1, r2;

		snprintf(ld->cf.where + n, sizeof(ld->cf.where) - n, ": "
		    "tiers[%zu]",
		    i);
		if (!json_is_object(e)) {
			conf_err(&ld->cf, "a tier must be an object");
			ld->cf.where[n] = '\0';
			continue;
		}
		conf_unknown(&ld->cf, e, keys, NULL, NULL);
		up = json_object_get(e, "up_to");
		if (up == NULL || json_is_null(up) ||
		    (json_is_string(up) && strcmp(json_string_value(up),
		    "inf") == 0))
			t->open = 1;
		else
			conf_dec(&ld->cf, e, "up_to", 1, 0, &t->up_to);
		r1 = conf_dec(&ld->cf, e, "unit_amount", 0, 0, &t->unit_amount);
		r2 = conf_dec(&ld->cf, e, "flat_amount", 0, 0, &t->flat_amount);
		if (r1 > 0)
			t->unit_amount = DEC_ZERO;
		if (r2 > 0)
			t->flat_amount = DEC_ZERO;
		if (r1 > 0 && r2 > 0)
			conf_err(&ld->cf, "a tier needs unit_amount, "
			    "flat_amount or both");
		/* absent: 0, priced per unit (price.h) */
		if (conf_dec(&ld->cf, e, "block_size", 0, 1, &t->block_size) != 0)
			t->block_size = DEC_ZERO;
		ld->cf.where[n] = '\0';
	}
	if (ld->cf.nerr == nerr && price_check_tiers(c->tiers, c->ntiers,
	    &why) != 0)
		conf_err(&ld->cf, "tiers: %s", why);
	return ld->cf.nerr == nerr ? 0 : -1;
}

/*
 * What documents state a line's quantity in: unit_code, a UN/ECE
 * Recommendation 20 code of units.h's table (none: C62), and
 * display_decimals, the fraction digits its quantity is shown with
 * (none: as rated).
 */
static void
charge_units(struct cload *ld, json_t *o, struct charge *c)
{
	json_t *v;

	c->decimals = -1;
	if ((v = json_object_get(o, "unit_code")) != NULL) {
		if (!json_is_string(v))
			conf_err(&ld->cf, "unit_code must be a string, a UN/ECE "
			    "Recommendation 20 code");
		else if (unit_label(json_string_value(v)) == NULL)
			conf_err(&ld->cf, "unit_code '%.32s' is not a UN/ECE "
			    "Recommendation 20 code known here (one of %s)",
			    json_string_value(v), unit_codes());
		else
			c->unit_code = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(o, "display_decimals")) != NULL) {
		int64_t n;

		if (jrec_int(&ld->cf.jr, v, 0, CHARGE_MAXDECIMALS, &n) < 0)
			conf_err(&ld->cf, "display_decimals must be a whole "
			    "number from 0 to %d", CHARGE_MAXDECIMALS);
		else
			c->decimals = (int)n;
	}
}

/*
 * A percentage charge's free units are Lago's two (its percentage
 * charge model): free_units_per_events, a whole number from 1 as Lago's
 * validator wants it, and free_units_per_total_aggregation, an amount
 * of 0 or more (0: none).  The generic free_units, a quantity off the
 * line, is not one of them.
 */
static void
pct_free_load(struct cload *ld, json_t *o, struct charge *c)
{
	json_t *v;

	if (c->has_free)
		conf_err(&ld->cf, "free_units does not apply to percentage "
		    "charges: Lago's free units are free_units_per_events "
		    "(the first transactions carry no fee) and "
		    "free_units_per_total_aggregation (the first amount "
		    "carries no rate)");
	if ((v = json_object_get(o, "free_units_per_events")) != NULL &&
	    !json_is_null(v) &&
	    jrec_int(&ld->cf.jr, v, 1, INT64_MAX, &c->free_events) < 0)
		conf_err(&ld->cf, "free_units_per_events must be a whole "
		    "number from 1, written as a JSON number (the first "
		    "transactions of the period that carry no fee)");
	c->has_free_total = conf_dec(&ld->cf, o,
	    "free_units_per_total_aggregation", 0, 0, &c->free_total) == 0;
}

int
charge_per_transaction(const struct charge *c)
{
	return c->model == M_PERCENTAGE && (c->has_min || c->has_max ||
	    c->free_events > 0 || (c->has_free_total &&
	    dec_sign(c->free_total) > 0));
}

/* A charge object (a plan's, or one with a contract's overrides). */
/*
 * Lago's prorated charges (prorate.h): on the models Lago prorates in
 * arrears (standard, graduated, volume), tiers without blocks.
 */
static void
charge_prorated(struct cload *ld, json_t *v, struct charge *c)
{
	const char *why = NULL;
	size_t i;

	if (!json_is_boolean(v)) {
		conf_err(&ld->cf, "prorated must be true or false");
		return;
	}
	if (!(c->prorated = json_is_true(v)))
		return;
	if (c->model != M_UNIT && c->model != M_GRADUATED &&
	    c->model != M_VOLUME) {
		conf_err(&ld->cf, "prorated applies to unit, graduated and "
		    "volume charges only (Lago prorates no package or "
		    "percentage charge), not to a %s charge",
		    model_name(c->model));
		return;
	}
	if (c->has_free)
		conf_err(&ld->cf, "free_units does not apply to prorated "
		    "charges");
	if (c->combine)
		conf_err(&ld->cf, "combine_groups does not apply to prorated "
		    "charges (each group's steps are priced in time order)");
	for (i = 0; i < c->ntiers; i++)
		if (dec_sign(c->tiers[i].block_size) > 0)
			why = "a prorated charge's tiers take no block_size";
	if (why == NULL && c->model == M_GRADUATED && c->ntiers > 0)
		(void)prorate_check_tiers(c->tiers, c->ntiers, &why);
	if (why != NULL)
		conf_err(&ld->cf, "%s", why);
}

static int
charge_load(struct cload *ld, json_t *o, struct charge *c)
{
	const char *s, *id;
	json_t *v;
	char path[256];
	size_t j;
	int nerr = ld->cf.nerr, r;

	memset(c, 0, sizeof(*c));
	c->decimals = -1;
	if (!json_is_object(o)) {
		conf_err(&ld->cf, "a charge must be an object");
		return -1;
	}
	if ((id = conf_id(&ld->cf, o, "id")) != NULL)
		c->id = xstrdup(id);
	v = json_object_get(o, "model");
	s = json_is_string(v) ? json_string_value(v) : "";
	for (j = 0; j < NMODEL; j++)
		if (strcmp(s, model_names[j]) == 0)
			break;
	if (j == NMODEL) {
		conf_err(&ld->cf, "model must be one of flat, unit, graduated, "
		    "volume, package, percentage");
		return -1;
	}
	c->model = (enum model)j;
	{
		const char *own[7] = { 0 };

		memcpy(own, model_keys[j], sizeof(model_keys[j]));
		conf_unknown(&ld->cf, o, charge_common, own,
		    c->model == M_FLAT ? NULL : charge_metered);
	}
	if (c->model == M_FLAT) {
		if (json_object_get(o, "meter") != NULL)
			conf_err(&ld->cf, "a flat charge reads no meter");
		conf_dec(&ld->cf, o, "amount", 1, 0, &c->amount);
		v = json_object_get(o, "billing");
		s = json_is_string(v) ? json_string_value(v) : "";
		if (v == NULL || strcmp(s, "arrears") == 0)
			c->advance = 0;
		else if (strcmp(s, "advance") == 0)
			c->advance = 1;
		else
			conf_err(&ld->cf, "billing must be \"advance\" or "
			    "\"arrears\"");
	} else {
		if ((s = conf_id(&ld->cf, o, "meter")) != NULL)
			c->meter = xstrdup(s);
		if ((v = json_object_get(o, "group")) != NULL) {
			if (!json_is_object(v))
				conf_err(&ld->cf, "group must be an object of "
				    "the group values this charge prices, like "
				    "{\"model\":\"large\"}");
			/*
			 * rate writes it into its lines, and the JSON writer
			 * has no exact text for a number read here
			 */
			else if (conf_number_in(v, "group", path, sizeof(path)))
				conf_err(&ld->cf, "%s must be a string", path);
			else if (json_object_size(v) > 0)
				c->group = json_incref(v);
		}
		if ((v = json_object_get(o, "combine_groups")) != NULL) {
			if (!json_is_boolean(v))
				conf_err(&ld->cf, "combine_groups must be true "
				    "or false");
			else
				c->combine = json_is_true(v);
		}
		c->has_free = conf_dec(&ld->cf, o, "free_units", 0, 0,
		    &c->free_units) == 0;
		c->has_commit = conf_dec(&ld->cf, o, "minimum_commitment", 0, 0,
		    &c->commit) == 0;
	}
	switch (c->model) {
	case M_FLAT:
		break;
	case M_UNIT:
		conf_dec(&ld->cf, o, "unit_amount", 1, 0, &c->unit_amount);
		break;
	case M_GRADUATED:
	case M_VOLUME:
		if ((v = json_object_get(o, "tiers")) == NULL)
			conf_err(&ld->cf, "tiers is missing");
		else
			tiers_load(ld, v, c);
		break;
	case M_PACKAGE:
		conf_dec(&ld->cf, o, "package_size", 1, 1, &c->package_size);
		conf_dec(&ld->cf, o, "amount", 1, 0, &c->amount);
		v = json_object_get(o, "round");
		s = json_is_string(v) ? json_string_value(v) : "";
		if (v == NULL || strcmp(s, "up") == 0)
			c->round_up = 1;
		else if (strcmp(s, "down") != 0)
			conf_err(&ld->cf, "round must be \"up\" or \"down\"");
		break;
	case M_PERCENTAGE:
		conf_dec(&ld->cf, o, "rate", 1, 0, &c->rate);
		if (conf_dec(&ld->cf, o, "fixed_amount", 0, 0, &c->fixed) > 0)
			c->fixed = DEC_ZERO;
		c->has_min = conf_dec(&ld->cf, o, "per_transaction_min_amount",
		    0, 0,
		    &c->min) == 0;
		c->has_max = conf_dec(&ld->cf, o, "per_transaction_max_amount",
		    0, 0,
		    &c->max) == 0;
		if (c->has_min && c->has_max && dec_cmp(c->min, c->max) > 0)
			conf_err(&ld->cf, "per_transaction_min_amount is "
			    "greater than per_transaction_max_amount");
		pct_free_load(ld, o, c);
		break;
	}
	if (c->model != M_FLAT && (v = json_object_get(o, "prorated")) != NULL)
		charge_prorated(ld, v, c);
	if ((v = json_object_get(o, "name")) != NULL) {
		if (!conf_plain(v, 256))
			conf_err(&ld->cf, "name must be a non-empty string");
		else
			c->name = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(o, "tax_code")) != NULL) {
		if (!conf_plain(v, CONF_MAXID))
			conf_err(&ld->cf, "tax_code must be a non-empty "
			    "string");
		else
			c->tax_code = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(o, "description")) != NULL &&
	    !json_is_string(v))
		conf_err(&ld->cf, "description must be a string");
	charge_units(ld, o, c);
	r = ld->cf.nerr == nerr ? 0 : -1;
	return r;
}

static void
charge_free(struct charge *c)
{
	free(c->unit_code);
	free(c->id);
	free(c->name);
	free(c->tax_code);
	free(c->meter);
	free(c->tiers);
	if (c->group != NULL)
		json_decref(c->group);
}

static void
plan_load(struct cload *ld, size_t i, json_t *o, struct plan *p)
{
	static const char *const keys[] = { "id", "version", "currency",
	    "interval", "rounding", "minimum_commitment", "charges", "name",
	    "description", NULL };
	const char *id, *s;
	json_t *v, *ch;
	size_t j, k;
	int r;

	memset(p, 0, sizeof(*p));
	p->rounding = ld->cat->rounding;
	p->interval = TM_MONTH;
	conf_where(&ld->cf, "plans[%zu]", i);
	if (!json_is_object(o)) {
		conf_err(&ld->cf, "a plan must be an object");
		return;
	}
	id = conf_id(&ld->cf, o, "id");
	v = json_object_get(o, "version");
	if (v == NULL || jrec_int(&ld->cf.jr, v, 1, INT32_MAX,
	    &p->version) < 0) {
		conf_err(&ld->cf, "version must be a whole number from 1");
		p->version = 0;
	}
	if (id != NULL) {
		p->id = xstrdup(id);
		conf_where(&ld->cf, "plans[%zu] ('%s' v%lld)", i, id,
		    (long long)p->version);
	}
	conf_unknown(&ld->cf, o, keys, NULL, NULL);
	v = json_object_get(o, "currency");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (!cur_valid(s) || (p->minor = cur_minor(s)) < 0)
		conf_err(&ld->cf, "currency must be an ISO 4217 code with "
		    "minor units, like \"USD\"");
	else
		memcpy(p->currency, s, 4);
	if ((v = json_object_get(o, "interval")) != NULL) {
		r = json_is_string(v) ? tm_parse_unit(json_string_value(v)) :
		    -1;
		if (r < 0)
			conf_err(&ld->cf, "interval must be hour, day, week or "
			    "month");
		else
			p->interval = (enum tm_unit)r;
	}
	conf_round(&ld->cf, o, "rounding", &p->rounding);
	p->has_commit = conf_dec(&ld->cf, o, "minimum_commitment", 0, 0,
	    &p->commit) == 0;
	if ((v = json_object_get(o, "name")) != NULL && !conf_plain(v, 256))
		conf_err(&ld->cf, "name must be a non-empty string");
	if ((v = json_object_get(o, "description")) != NULL &&
	    !json_is_string(v))
		conf_err(&ld->cf, "description must be a string");
	ch = json_object_get(o, "charges");
	if (!json_is_array(ch) || json_array_size(ch) == 0) {
		conf_err(&ld->cf, "charges must be a non-empty list");
		return;
	}
	p->charges = xcalloc(json_array_size(ch), sizeof(*p->charges));
	json_array_foreach(ch, j, v) {
		char base[sizeof(ld->cf.where)];

		memcpy(base, ld->cf.where, sizeof(base));
		conf_where_add(&ld->cf, ": charges[%zu]", j);
		if (json_is_object(v) && conf_plain(json_object_get(v, "id"),
		    CONF_MAXID))
			conf_where_add(&ld->cf, " ('%s')", json_string_value(
			    json_object_get(v, "id")));
		if (charge_load(ld, v, &p->charges[p->ncharges]) == 0) {
			for (k = 0; k < p->ncharges; k++)
				if (strcmp(p->charges[k].id,
				    p->charges[p->ncharges].id) == 0)
					conf_err(&ld->cf, "the id is already "
					    "used by charges[%zu]", k);
			p->ncharges++;
		} else
			charge_free(&p->charges[p->ncharges]);
		memcpy(ld->cf.where, base, sizeof(base));
	}
	p->obj = json_incref(o);
}

static void
plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->ncharges; i++)
		charge_free(&p->charges[i]);
	free(p->charges);
	free(p->id);
	if (p->obj != NULL)
		json_decref(p->obj);
}

static const struct plan *
plan_find(struct cload *ld, const char *id, json_t *ver)
{
	const struct plan *found = NULL, *p;
	struct catalog *cat = ld->cat;
	struct buf vs = { 0 };
	int64_t want = 0;
	size_t n = 0;

	if (ver != NULL && jrec_int(&ld->cf.jr, ver, 1, INT32_MAX, &want) < 0) {
		conf_err(&ld->cf, "version must be a whole number from 1");
		return NULL;
	}
	for (p = hmap_get(&cat->by_plan, id); p != NULL; p = p->next) {
		buf_printf(&vs, "%s%lld", n ? ", " : "", (long long)p->version);
		n++;
		if (want == 0 || p->version == want)
			found = p;
	}
	if (n == 0)
		conf_err(&ld->cf, "plan '%s' is not in the catalog", id);
	else if (want == 0 && n > 1) {
		conf_err(&ld->cf, "plan '%s' has versions %s: say which with "
		    "\"version\"",
		    id, buf_cstr(&vs));
		found = NULL;
	} else if (found == NULL)
		conf_err(&ld->cf, "plan '%s' has no version %lld (it has %s)",
		    id,
		    (long long)want, buf_cstr(&vs));
	buf_free(&vs);
	return found;
}

static const struct charge *
charge_by_id(const struct charge *v, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].id, id) == 0)
			return &v[i];
	return NULL;
}

/* The contract's charges: the plan's objects with the overrides merged. */
static void
contract_charges(struct cload *ld, struct contract *c, json_t *ov)
{
	const struct plan *p = c->plan;
	json_t *pch = json_object_get(p->obj, "charges"), *o, *e, *m;
	const char *k, *mk;
	size_t i, n = json_array_size(pch);
	char base[sizeof(ld->cf.where)];

	if (ov != NULL && !json_is_object(ov)) {
		conf_err(&ld->cf, "overrides: charges must be an object of "
		    "charge id to the properties to change");
		ov = NULL;
	}
	json_object_foreach(ov, k, e) {
		if (charge_by_id(p->charges, p->ncharges, k) == NULL)
			conf_err(&ld->cf, "overrides: charges: plan '%s' v%lld "
			    "has no charge '%s'", p->id, (long long)p->version,
			    k);
		else if (!json_is_object(e))
			conf_err(&ld->cf, "overrides: charges: '%s' must be an "
			    "object",
			    k);
		else
			json_object_foreach(e, mk, m)
				if (strcmp(mk, "id") == 0 ||
				    strcmp(mk, "meter") == 0)
					conf_err(&ld->cf, "overrides: charges: "
					    "'%s': %s cannot be overridden", k,
					    mk);
	}
	if (ov == NULL || json_object_size(ov) == 0) {
		/* the plan's charges as they are: share them */
		c->charges = p->charges;
		c->ncharges = p->ncharges;
		c->shared = 1;
		return;
	}
	c->charges = xcalloc(n ? n : 1, sizeof(*c->charges));
	memcpy(base, ld->cf.where, sizeof(base));
	for (i = 0; i < n; i++) {
		o = json_array_get(pch, i);
		e = json_is_object(o) ? json_object_get(o, "id") : NULL;
		k = json_is_string(e) ? json_string_value(e) : NULL;
		if (k == NULL || charge_by_id(p->charges, p->ncharges, k) ==
		    NULL)
			continue;	/* reported with the plan */
		if (ov != NULL && json_is_object(e = json_object_get(ov, k))) {
			/* shallow: the numbers stay those jrec knows */
			o = json_copy(o);
			json_object_update(o, e);
			conf_where_add(&ld->cf, ": overrides: charges: '%s'",
			    k);
			if (charge_load(ld, o, &c->charges[c->ncharges]) == 0)
				c->ncharges++;
			else
				charge_free(&c->charges[c->ncharges]);
			json_decref(o);
			memcpy(ld->cf.where, base, sizeof(base));
		} else {
			/* no overrides: reload the plan's (it was valid) */
			int saved = ld->cf.nerr;

			charge_load(ld, o, &c->charges[c->ncharges++]);
			ld->cf.nerr = saved;
		}
	}
}

static void
discounts_load(struct cload *ld, struct contract *c, json_t *v)
{
	static const char *const keys[] = { "id", "percent", "amount", "cap",
	    "charge", "description", NULL };
	json_t *e;
	size_t i, j;
	char base[sizeof(ld->cf.where)];

	if (!json_is_array(v)) {
		conf_err(&ld->cf, "overrides: discounts must be a list");
		return;
	}
	c->discounts = xcalloc(json_array_size(v) + 1, sizeof(*c->discounts));
	memcpy(base, ld->cf.where, sizeof(base));
	json_array_foreach(v, i, e) {
		struct discount *d = &c->discounts[c->ndiscounts];
		const char *id, *s;
		int nerr = ld->cf.nerr, rp, ra;
		json_t *ch;

		conf_where_add(&ld->cf, ": overrides: discounts[%zu]", i);
		if (!json_is_object(e)) {
			conf_err(&ld->cf, "a discount must be an object");
			memcpy(ld->cf.where, base, sizeof(base));
			continue;
		}
		conf_unknown(&ld->cf, e, keys, NULL, NULL);
		id = conf_id(&ld->cf, e, "id");
		rp = conf_dec(&ld->cf, e, "percent", 0, 1, &d->value);
		ra = rp > 0 ? conf_dec(&ld->cf, e, "amount", 0, 1,
		    &d->value) : 1;
		if (rp == 0 && json_object_get(e, "amount") != NULL)
			conf_err(&ld->cf, "a discount is a percent or an "
			    "amount, not both");
		else if (rp > 0 && ra > 0)
			conf_err(&ld->cf, "a discount needs percent or amount");
		d->percent = rp == 0;
		if (d->percent && dec_cmp(d->value, dec_from_i64(100)) > 0)
			conf_err(&ld->cf, "percent must be at most 100");
		d->has_cap = conf_dec(&ld->cf, e, "cap", 0, 0, &d->cap) == 0;
		if ((ch = json_object_get(e, "charge")) != NULL) {
			s = json_is_string(ch) ? json_string_value(ch) : "";
			if (charge_by_id(c->charges, c->ncharges, s) == NULL)
				conf_err(&ld->cf, "charge '%s' is not a charge "
				    "of plan '%s' v%lld", s, c->plan->id,
				    (long long)c->plan->version);
			else
				d->charge = charge_by_id(c->charges,
				    c->ncharges, s)->id;
		}
		for (j = 0; id != NULL && j < c->ndiscounts; j++)
			if (strcmp(c->discounts[j].id, id) == 0)
				conf_err(&ld->cf, "the id '%s' is already "
				    "used", id);
		if (ld->cf.nerr == nerr) {
			d->id = xstrdup(id);
			c->ndiscounts++;
		}
		memcpy(ld->cf.where, base, sizeof(base));
	}
}

static void
thresholds_load(struct cload *ld, struct contract *c, json_t *v)
{
	static const char *const keys[] = { "amount", "percent", "invoice",
	    NULL };
	char num[DEC_FMTMAX], base[sizeof(ld->cf.where)];
	json_t *e;
	size_t i, j;

	if (!json_is_array(v)) {
		conf_err(&ld->cf, "thresholds must be a list");
		return;
	}
	c->thresholds = xcalloc(json_array_size(v) + 1,
	    sizeof(*c->thresholds));
	memcpy(base, ld->cf.where, sizeof(base));
	json_array_foreach(v, i, e) {
		struct threshold *t = &c->thresholds[c->nthresholds];
		int nerr = ld->cf.nerr, ra, rp;
		struct buf id = { 0 };

		conf_where_add(&ld->cf, ": thresholds[%zu]", i);
		if (!json_is_object(e)) {
			conf_err(&ld->cf, "a threshold must be an object");
			memcpy(ld->cf.where, base, sizeof(base));
			continue;
		}
		conf_unknown(&ld->cf, e, keys, NULL, NULL);
		ra = conf_dec(&ld->cf, e, "amount", 0, 1, &t->value);
		rp = ra > 0 ? conf_dec(&ld->cf, e, "percent", 0, 1,
		    &t->value) : 1;
		if (ra == 0 && json_object_get(e, "percent") != NULL)
			conf_err(&ld->cf, "a threshold is an amount or a "
			    "percent of the commitment, not both");
		else if (ra > 0 && rp > 0)
			conf_err(&ld->cf, "a threshold needs amount or "
			    "percent");
		t->percent = rp == 0;
		/* progressive billing (invoice-gen(1) --interim) */
		conf_bool(&ld->cf, e, "invoice", &t->invoice);
		if (t->percent && !c->has_commit)
			conf_err(&ld->cf, "a percent threshold needs a "
			    "minimum_commitment on the plan or the contract");
		if (ld->cf.nerr == nerr) {
			dec_fmt(dec_normalize(t->value), num, sizeof(num));
			buf_printf(&id, "%s:%s", t->percent ? "percent" :
			    "amount", num);
			for (j = 0; j < c->nthresholds; j++)
				if (strcmp(c->thresholds[j].id,
				    buf_cstr(&id)) == 0)
					conf_err(&ld->cf, "the same threshold "
					    "is listed twice");
		}
		if (ld->cf.nerr == nerr) {
			t->id = xstrdup(buf_cstr(&id));
			c->nthresholds++;
		}
		buf_free(&id);
		memcpy(ld->cf.where, base, sizeof(base));
	}
}

/*
 * What makes a grant behave like money: an expiry, a priority, and
 * whether the customer bought it (paid, the default: what a grant
 * without the member always was) or it is promotional.
 */
static void
grant_money(struct cload *ld, json_t *e, struct grant *g)
{
	json_t *v;

	g->expires = INT64_MAX;
	g->priority = GRANT_PRIORITY;
	g->paid = 1;
	if (conf_time(&ld->cf, e, "expires", 0, &g->expires) == 0 &&
	    g->expires <= g->granted)
		conf_err(&ld->cf, "expires must be after granted_at (or the "
		    "contract's start)");
	if ((v = json_object_get(e, "priority")) != NULL &&
	    jrec_int(&ld->cf.jr, v, 0, 100, &g->priority) < 0)
		conf_err(&ld->cf, "priority must be a whole number from 0 to "
		    "100 (lower is drawn first)");
	conf_bool(&ld->cf, e, "paid", &g->paid);
}

static void
grants_load(struct cload *ld, struct contract *c, json_t *v)
{
	static const char *const keys[] = { "id", "amount", "granted_at",
	    "description", "expires", "priority", "paid", NULL };
	char base[sizeof(ld->cf.where)];
	json_t *e;
	size_t i;

	if (!json_is_array(v)) {
		conf_err(&ld->cf, "prepaid_credits must be a list");
		return;
	}
	c->grants = xcalloc(json_array_size(v) + 1, sizeof(*c->grants));
	memcpy(base, ld->cf.where, sizeof(base));
	json_array_foreach(v, i, e) {
		struct grant *g = &c->grants[c->ngrants];
		int nerr = ld->cf.nerr;
		const char *id;
		dec d;

		conf_where_add(&ld->cf, ": prepaid_credits[%zu]", i);
		if (!json_is_object(e)) {
			conf_err(&ld->cf, "a prepaid credit must be an object");
			memcpy(ld->cf.where, base, sizeof(base));
			continue;
		}
		conf_unknown(&ld->cf, e, keys, NULL, NULL);
		id = conf_id(&ld->cf, e, "id");
		if (conf_dec(&ld->cf, e, "amount", 1, 1, &g->amount) == 0 &&
		    dec_round(g->amount, c->plan->minor, DEC_DOWN, &d) ==
		    DEC_OK && dec_cmp(d, g->amount) != 0)
			conf_err(&ld->cf, "amount must be whole minor units of "
			    "%s (%d decimals)", c->plan->currency,
			    c->plan->minor);
		if (conf_time(&ld->cf, e, "granted_at", 0, &g->granted) > 0)
			g->granted = c->start;
		grant_money(ld, e, g);
		if (ld->cf.nerr == nerr) {
			g->id = xstrdup(id);
			c->ngrants++;
		}
		memcpy(ld->cf.where, base, sizeof(base));
	}
}

static void
contract_load(struct cload *ld, size_t i, json_t *o, struct contract *c)
{
	static const char *const keys[] = { "id", "customer", "plan",
	    "version", "start", "end", "overrides", "thresholds",
	    "prepaid_credits", "description", NULL };
	static const char *const okeys[] = { "charges", "minimum_commitment",
	    "discounts", NULL };
	const char *cust, *plan, *id = NULL;
	json_t *v, *ov;
	int r;

	memset(c, 0, sizeof(*c));
	c->idx = i;
	c->end = INT64_MAX;
	conf_where(&ld->cf, "contracts[%zu]", i);
	if (!json_is_object(o)) {
		conf_err(&ld->cf, "a contract must be an object");
		return;
	}
	if (json_object_get(o, "id") != NULL && (id = conf_id(&ld->cf, o,
	    "id")))
		c->id = xstrdup(id);
	cust = conf_id(&ld->cf, o, "customer");
	if (cust != NULL)
		conf_where(&ld->cf, "contracts[%zu] ('%s'%s%s)", i,
		    id ? id : cust,
		    id ? ", customer " : "", id ? cust : "");
	conf_unknown(&ld->cf, o, keys, NULL, NULL);
	if ((plan = conf_id(&ld->cf, o, "plan")) != NULL)
		c->plan = plan_find(ld, plan, json_object_get(o, "version"));
	conf_time(&ld->cf, o, "start", 1, &c->start);
	r = conf_time(&ld->cf, o, "end", 0, &c->end);
	if (r > 0)
		c->end = INT64_MAX;
	else if (r == 0 && c->end <= c->start)
		conf_err(&ld->cf, "end must be after start");
	if (cust == NULL || c->plan == NULL)
		return;
	c->customer = xstrdup(cust);
	c->has_commit = c->plan->has_commit;
	c->commit = c->plan->commit;
	if ((ov = json_object_get(o, "overrides")) != NULL &&
	    !json_is_object(ov)) {
		conf_err(&ld->cf, "overrides must be an object");
		ov = NULL;
	}
	if (ov != NULL)
		conf_unknown(&ld->cf, ov, okeys, NULL, NULL);
	contract_charges(ld, c, ov ? json_object_get(ov, "charges") : NULL);
	if (ov != NULL && json_object_get(ov, "minimum_commitment") != NULL)
		c->has_commit = conf_dec(&ld->cf, ov, "minimum_commitment", 1,
		    0,
		    &c->commit) == 0;
	if (ov != NULL && (v = json_object_get(ov, "discounts")) != NULL)
		discounts_load(ld, c, v);
	if ((v = json_object_get(o, "thresholds")) != NULL)
		thresholds_load(ld, c, v);
	if ((v = json_object_get(o, "prepaid_credits")) != NULL)
		grants_load(ld, c, v);
}

static void
contract_free(struct contract *c)
{
	size_t i;

	for (i = 0; !c->shared && i < c->ncharges; i++)
		charge_free(&c->charges[i]);
	for (i = 0; i < c->ndiscounts; i++)
		free(c->discounts[i].id);
	for (i = 0; i < c->nthresholds; i++)
		free(c->thresholds[i].id);
	for (i = 0; i < c->ngrants; i++)
		free(c->grants[i].id);
	if (!c->shared)
		free(c->charges);
	free(c->discounts);
	free(c->thresholds);
	free(c->grants);
	free(c->customer);
	free(c->id);
}

static int
contract_cmp(const void *a, const void *b)
{
	const struct contract *x = *(struct contract *const *)a;
	const struct contract *y = *(struct contract *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* customer -> contracts by start; overlapping contracts are an error */
static void
index_contracts(struct cload *ld)
{
	struct catalog *cat = ld->cat;
	struct clist *cl;
	char a[TM_FMTMAX], b[TM_FMTMAX];
	size_t i, k;

	for (i = 0; i < cat->ncontracts; i++) {
		struct contract *c = &cat->contracts[i];
		void **ref = hmap_ref(&cat->by_customer, c->customer,
		    strlen(c->customer));
		struct clist *old = *ref;

		k = old ? old->n : 0;
		cl = xmalloc(sizeof(*cl) + (k + 1) * sizeof(cl->c[0]));
		if (old != NULL)
			memcpy(cl->c, old->c, k * sizeof(cl->c[0]));
		cl->c[k] = c;
		cl->n = k + 1;
		free(old);
		*ref = cl;
	}
	for (i = 0; i < cat->by_customer.cap; i++) {
		if ((cl = cat->by_customer.t[i].val) == NULL)
			continue;
		qsort(cl->c, cl->n, sizeof(cl->c[0]), contract_cmp);
		for (k = 1; k < cl->n; k++)
			if (cl->c[k - 1]->end > cl->c[k]->start) {
				tm_fmt(cl->c[k]->start, a, sizeof(a));
				if (cl->c[k - 1]->end == INT64_MAX)
					snprintf(b, sizeof(b), "no end");
				else
					tm_fmt(cl->c[k - 1]->end, b, sizeof(b));
				conf_where(&ld->cf, "contracts[%zu]",
				    cl->c[k]->idx);
				conf_err(&ld->cf, "customer '%s' already has a "
				    "contract then (contracts[%zu], %s); a "
				    "contract starting %s needs the earlier "
				    "one to end by then", cl->c[k]->customer,
				    cl->c[k - 1]->idx, b, a);
			}
	}
}

void
catalog_load(struct catalog *cat, const char *path)
{
	static const char *const keys[] = { "schema", "rounding", "plans",
	    "contracts", "description", NULL };
	struct cload ld;
	struct plan *q, **tail;
	struct hmap ids;
	json_t *list, *o, *root;
	size_t i;
	void **ref;

	memset(cat, 0, sizeof(*cat));
	memset(&ld, 0, sizeof(ld));
	ld.cat = cat;
	cat->path = path;
	cat->rounding = DEC_HALF_UP;
	hmap_init(&cat->by_customer);
	hmap_init(&cat->by_plan);
	hmap_init(&ids);
	conf_open(&ld.cf, path, "catalog", CATALOG_MAXFILE);
	root = ld.cf.root;
	conf_unknown(&ld.cf, root, keys, NULL, NULL);
	conf_round(&ld.cf, root, "rounding", &cat->rounding);
	list = json_object_get(root, "plans");
	if (!json_is_array(list) || json_array_size(list) == 0)
		die(EX_CONFIG, "catalog '%s' needs a non-empty list \"plans\"",
		    path);
	cat->plans = xcalloc(json_array_size(list), sizeof(*cat->plans));
	json_array_foreach(list, i, o) {
		struct plan *p = &cat->plans[cat->nplans++];

		plan_load(&ld, i, o, p);
		if (p->id == NULL)
			continue;
		ref = hmap_ref(&cat->by_plan, p->id, strlen(p->id));
		for (q = *ref; q != NULL; q = q->next)
			if (q->version == p->version)
				conf_err(&ld.cf, "plan '%s' version %lld is "
				    "already defined by plans[%zu]", p->id,
				    (long long)p->version,
				    (size_t)(q - cat->plans));
		/* versions in file order */
		for (tail = (struct plan **)ref; *tail != NULL;
		    tail = &(*tail)->next)
			;
		*tail = p;
	}
	list = json_object_get(root, "contracts");
	ld.cf.where[0] = '\0';
	if (list != NULL && !json_is_array(list))
		conf_err(&ld.cf, "contracts must be a list");
	else if (list != NULL) {
		cat->contracts = xcalloc(json_array_size(list) + 1,
		    sizeof(*cat->contracts));
		json_array_foreach(list, i, o) {
			contract_load(&ld, i, o, &cat->contracts[i]);
			cat->ncontracts++;
			if (cat->contracts[i].id == NULL)
				continue;
			ref = hmap_ref(&ids, cat->contracts[i].id,
			    strlen(cat->contracts[i].id));
			if (*ref != NULL)
				conf_err(&ld.cf, "the contract id '%s' is "
				    "already used by contracts[%zu]",
				    cat->contracts[i].id,
				    ((struct contract *)*ref)->idx);
			else
				*ref = &cat->contracts[i];
		}
	}
	hmap_free(&ids);
	if (ld.cf.nerr == 0)
		index_contracts(&ld);
	conf_done(&ld.cf);
	conf_close(&ld.cf);
}

void
catalog_free(struct catalog *cat)
{
	size_t i;

	for (i = 0; i < cat->ncontracts; i++)
		contract_free(&cat->contracts[i]);
	for (i = 0; i < cat->nplans; i++)
		plan_free(&cat->plans[i]);
	for (i = 0; i < cat->by_customer.cap; i++)
		if (cat->by_customer.t[i].key != NULL)
			free(cat->by_customer.t[i].val);
	hmap_free(&cat->by_customer);
	hmap_free(&cat->by_plan);
	free(cat->contracts);
	free(cat->plans);
}

const struct clist *
catalog_contracts(const struct catalog *cat, const char *customer)
{
	return hmap_get(&cat->by_customer, customer);
}

int
charge_matches(const struct charge *c, json_t *group)
{
	const char *k;
	json_t *v, *g;

	if (c->group == NULL)
		return 1;
	json_object_foreach(c->group, k, v)
		if ((g = json_object_get(group, k)) == NULL ||
		    !json_equal(g, v))
			return 0;
	return 1;
}
