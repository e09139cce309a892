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
#include "jrec.h"
#include "util.h"

#define CATALOG_MAXFILE	(64 * 1024 * 1024)
#define CATALOG_MAXERR	20
#define CATALOG_MAXID	128

static const char *const model_names[] = {
	[M_FLAT] = "flat", [M_UNIT] = "unit", [M_GRADUATED] = "graduated",
	[M_VOLUME] = "volume", [M_PACKAGE] = "package",
	[M_PERCENTAGE] = "percentage"
};
#define NMODEL (sizeof(model_names) / sizeof(model_names[0]))

/* Members every charge may have, then each model's own. */
static const char *const charge_common[] = {
	"id", "name", "description", "tax_code", "meter", "model", NULL
};
static const char *const charge_metered[] = {
	"group", "combine_groups", "free_units", "minimum_commitment", NULL
};
static const char *const model_keys[NMODEL][6] = {
	[M_FLAT] = { "amount", "billing" },
	[M_UNIT] = { "unit_amount" },
	[M_GRADUATED] = { "tiers" },
	[M_VOLUME] = { "tiers" },
	[M_PACKAGE] = { "package_size", "amount", "round" },
	[M_PERCENTAGE] = { "rate", "fixed_amount", "per_transaction_min_amount",
	    "per_transaction_max_amount" },
};

const char *
model_name(enum model m)
{
	return model_names[m];
}

struct cload {
	struct catalog	*cat;
	struct jrec	*jr;
	int		 nerr;
	char		 where[512];	/* the object being checked */
};

static void
cerr(struct cload *ld, const char *fmt, ...) __attribute__((format(printf,
    2, 3)));

static void
cerr(struct cload *ld, const char *fmt, ...)
{
	va_list ap;

	if (ld->nerr++ >= CATALOG_MAXERR)
		return;
	fprintf(stderr, "%s: %s: %s%s", progname, ld->cat->path, ld->where,
	    ld->where[0] ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A name or id: non-empty, printable, not too long. */
static int
plain(json_t *v, size_t max)
{
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max || strlen(s) != n)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* An identifier member that must be there. */
static const char *
need_id(struct cload *ld, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL) {
		cerr(ld, "%s is missing", k);
		return NULL;
	}
	if (!plain(v, CATALOG_MAXID)) {
		cerr(ld, "%s must be a non-empty string of at most %d bytes", k,
		    CATALOG_MAXID);
		return NULL;
	}
	return json_string_value(v);
}

static int
listed(const char *const *l, const char *k)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, k) == 0)
			return 1;
	return 0;
}

static void
no_unknown(struct cload *ld, json_t *o, const char *const *a,
    const char *const *b, const char *const *c)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (!listed(a, k) && !(b && listed(b, k)) && !(c && listed(c, k)))
			cerr(ld, "unknown property '%s'", k);
}

/*
 * An exact decimal: a string ("0.00002", as amounts are written) or a
 * JSON number (read exactly).  0 with *d, -1 after reporting.
 */
static int
decimal(struct cload *ld, json_t *o, const char *k, int need, int sign,
    dec *d)
{
	json_t *v = json_object_get(o, k);
	const char *s;
	int bad;

	if (v == NULL || json_is_null(v)) {
		if (need)
			cerr(ld, "%s is missing", k);
		return need ? -1 : 1;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		bad = dec_parse(s, json_string_length(v), d) != DEC_OK;
	} else
		bad = !json_is_number(v) || jrec_num(ld->jr, v, d) < 0;
	if (bad) {
		cerr(ld, "%s must be a decimal number, best written as a "
		    "string like \"12.50\"", k);
		return -1;
	}
	if (sign > 0 && dec_sign(*d) <= 0) {
		cerr(ld, "%s must be greater than 0", k);
		return -1;
	}
	if (sign == 0 && dec_sign(*d) < 0) {
		cerr(ld, "%s must not be negative", k);
		return -1;
	}
	return 0;
}

static int
time_member(struct cload *ld, json_t *o, const char *k, int need, int64_t *t)
{
	json_t *v = json_object_get(o, k);
	const char *why;

	if (v == NULL || json_is_null(v)) {
		if (need)
			cerr(ld, "%s is missing", k);
		return need ? -1 : 1;
	}
	if (!json_is_string(v) || tm_parse(json_string_value(v),
	    json_string_length(v), t, &why) < 0) {
		cerr(ld, "%s must be an RFC 3339 time like "
		    "\"2026-01-01T00:00:00Z\"", k);
		return -1;
	}
	return 0;
}

static int
tiers_load(struct cload *ld, json_t *v, struct charge *c)
{
	const char *why;
	json_t *e;
	size_t i;
	int nerr = ld->nerr;

	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > PRICE_MAXTIERS) {
		cerr(ld, "tiers must be a list of 1 to %d tiers",
		    PRICE_MAXTIERS);
		return -1;
	}
	c->ntiers = json_array_size(v);
	c->tiers = xcalloc(c->ntiers, sizeof(*c->tiers));
	json_array_foreach(v, i, e) {
		struct tier *t = &c->tiers[i];
		static const char *const keys[] = { "up_to", "unit_amount",
		    "flat_amount", NULL };
		size_t n = strlen(ld->where);
		json_t *up;
		int r1, r2;

		snprintf(ld->where + n, sizeof(ld->where) - n, ": tiers[%zu]",
		    i);
		if (!json_is_object(e)) {
			cerr(ld, "a tier must be an object");
			ld->where[n] = '\0';
			continue;
		}
		no_unknown(ld, e, keys, NULL, NULL);
		up = json_object_get(e, "up_to");
		if (up == NULL || json_is_null(up) ||
		    (json_is_string(up) && strcmp(json_string_value(up),
		    "inf") == 0))
			t->open = 1;
		else
			decimal(ld, e, "up_to", 1, 0, &t->up_to);
		r1 = decimal(ld, e, "unit_amount", 0, 0, &t->unit_amount);
		r2 = decimal(ld, e, "flat_amount", 0, 0, &t->flat_amount);
		if (r1 > 0)
			t->unit_amount = DEC_ZERO;
		if (r2 > 0)
			t->flat_amount = DEC_ZERO;
		if (r1 > 0 && r2 > 0)
			cerr(ld, "a tier needs unit_amount, flat_amount or both");
		ld->where[n] = '\0';
	}
	if (ld->nerr == nerr && price_check_tiers(c->tiers, c->ntiers,
	    &why) != 0)
		cerr(ld, "tiers: %s", why);
	return ld->nerr == nerr ? 0 : -1;
}

/* A charge object (a plan's, or one with a contract's overrides). */
static int
charge_load(struct cload *ld, json_t *o, struct charge *c)
{
	const char *s, *id;
	json_t *v;
	size_t j;
	int nerr = ld->nerr, r;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o)) {
		cerr(ld, "a charge must be an object");
		return -1;
	}
	if ((id = need_id(ld, o, "id")) != NULL)
		c->id = xstrdup(id);
	v = json_object_get(o, "model");
	s = json_is_string(v) ? json_string_value(v) : "";
	for (j = 0; j < NMODEL; j++)
		if (strcmp(s, model_names[j]) == 0)
			break;
	if (j == NMODEL) {
		cerr(ld, "model must be one of flat, unit, graduated, volume, "
		    "package, percentage");
		return -1;
	}
	c->model = (enum model)j;
	{
		const char *own[7] = { 0 };

		memcpy(own, model_keys[j], sizeof(model_keys[j]));
		no_unknown(ld, o, charge_common, own,
		    c->model == M_FLAT ? NULL : charge_metered);
	}
	if (c->model == M_FLAT) {
		if (json_object_get(o, "meter") != NULL)
			cerr(ld, "a flat charge reads no meter");
		decimal(ld, o, "amount", 1, 0, &c->amount);
		v = json_object_get(o, "billing");
		s = json_is_string(v) ? json_string_value(v) : "";
		if (v == NULL || strcmp(s, "arrears") == 0)
			c->advance = 0;
		else if (strcmp(s, "advance") == 0)
			c->advance = 1;
		else
			cerr(ld, "billing must be \"advance\" or \"arrears\"");
	} else {
		if ((s = need_id(ld, o, "meter")) != NULL)
			c->meter = xstrdup(s);
		if ((v = json_object_get(o, "group")) != NULL) {
			if (!json_is_object(v))
				cerr(ld, "group must be an object of the group "
				    "values this charge prices, like "
				    "{\"model\":\"large\"}");
			else if (json_object_size(v) > 0)
				c->group = json_incref(v);
		}
		if ((v = json_object_get(o, "combine_groups")) != NULL) {
			if (!json_is_boolean(v))
				cerr(ld, "combine_groups must be true or false");
			else
				c->combine = json_is_true(v);
		}
		c->has_free = decimal(ld, o, "free_units", 0, 0,
		    &c->free_units) == 0;
		c->has_commit = decimal(ld, o, "minimum_commitment", 0, 0,
		    &c->commit) == 0;
	}
	switch (c->model) {
	case M_FLAT:
		break;
	case M_UNIT:
		decimal(ld, o, "unit_amount", 1, 0, &c->unit_amount);
		break;
	case M_GRADUATED:
	case M_VOLUME:
		if ((v = json_object_get(o, "tiers")) == NULL)
			cerr(ld, "tiers is missing");
		else
			tiers_load(ld, v, c);
		break;
	case M_PACKAGE:
		decimal(ld, o, "package_size", 1, 1, &c->package_size);
		decimal(ld, o, "amount", 1, 0, &c->amount);
		v = json_object_get(o, "round");
		s = json_is_string(v) ? json_string_value(v) : "";
		if (v == NULL || strcmp(s, "up") == 0)
			c->round_up = 1;
		else if (strcmp(s, "down") != 0)
			cerr(ld, "round must be \"up\" or \"down\"");
		break;
	case M_PERCENTAGE:
		decimal(ld, o, "rate", 1, 0, &c->rate);
		if (decimal(ld, o, "fixed_amount", 0, 0, &c->fixed) > 0)
			c->fixed = DEC_ZERO;
		c->has_min = decimal(ld, o, "per_transaction_min_amount", 0, 0,
		    &c->min) == 0;
		c->has_max = decimal(ld, o, "per_transaction_max_amount", 0, 0,
		    &c->max) == 0;
		if (c->has_min && c->has_max && dec_cmp(c->min, c->max) > 0)
			cerr(ld, "per_transaction_min_amount is greater than "
			    "per_transaction_max_amount");
		if (c->has_free)
			cerr(ld, "free_units does not apply to percentage "
			    "charges");
		break;
	}
	if ((v = json_object_get(o, "name")) != NULL) {
		if (!plain(v, 256))
			cerr(ld, "name must be a non-empty string");
		else
			c->name = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(o, "tax_code")) != NULL) {
		if (!plain(v, CATALOG_MAXID))
			cerr(ld, "tax_code must be a non-empty string");
		else
			c->tax_code = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(o, "description")) != NULL &&
	    !json_is_string(v))
		cerr(ld, "description must be a string");
	r = ld->nerr == nerr ? 0 : -1;
	return r;
}

static void
charge_free(struct charge *c)
{
	free(c->id);
	free(c->name);
	free(c->tax_code);
	free(c->meter);
	free(c->tiers);
	if (c->group != NULL)
		json_decref(c->group);
}

static void
where(struct cload *ld, const char *fmt, ...) __attribute__((format(printf,
    2, 3)));

static void
where(struct cload *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->where, sizeof(ld->where), fmt, ap);
	va_end(ap);
}

static void
where_add(struct cload *ld, const char *fmt, ...) __attribute__((format(
    printf, 2, 3)));

static void
where_add(struct cload *ld, const char *fmt, ...)
{
	size_t n = strlen(ld->where);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->where + n, sizeof(ld->where) - n, fmt, ap);
	va_end(ap);
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
	where(ld, "plans[%zu]", i);
	if (!json_is_object(o)) {
		cerr(ld, "a plan must be an object");
		return;
	}
	id = need_id(ld, o, "id");
	v = json_object_get(o, "version");
	if (v == NULL || jrec_int(ld->jr, v, 1, INT32_MAX, &p->version) < 0) {
		cerr(ld, "version must be a whole number from 1");
		p->version = 0;
	}
	if (id != NULL) {
		p->id = xstrdup(id);
		where(ld, "plans[%zu] ('%s' v%lld)", i, id,
		    (long long)p->version);
	}
	no_unknown(ld, o, keys, NULL, NULL);
	v = json_object_get(o, "currency");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (!cur_valid(s) || (p->minor = cur_minor(s)) < 0)
		cerr(ld, "currency must be an ISO 4217 code with minor units, "
		    "like \"USD\"");
	else
		memcpy(p->currency, s, 4);
	if ((v = json_object_get(o, "interval")) != NULL) {
		r = json_is_string(v) ? tm_parse_unit(json_string_value(v)) :
		    -1;
		if (r < 0)
			cerr(ld, "interval must be hour, day, week or month");
		else
			p->interval = (enum tm_unit)r;
	}
	if ((v = json_object_get(o, "rounding")) != NULL) {
		r = json_is_string(v) ? dec_parse_round(json_string_value(v)) :
		    -1;
		if (r < 0)
			cerr(ld, "rounding must be one of half-up, half-even, "
			    "up, down, ceiling, floor");
		else
			p->rounding = (enum dec_round)r;
	}
	p->has_commit = decimal(ld, o, "minimum_commitment", 0, 0,
	    &p->commit) == 0;
	if ((v = json_object_get(o, "name")) != NULL && !plain(v, 256))
		cerr(ld, "name must be a non-empty string");
	if ((v = json_object_get(o, "description")) != NULL &&
	    !json_is_string(v))
		cerr(ld, "description must be a string");
	ch = json_object_get(o, "charges");
	if (!json_is_array(ch) || json_array_size(ch) == 0) {
		cerr(ld, "charges must be a non-empty list");
		return;
	}
	p->charges = xcalloc(json_array_size(ch), sizeof(*p->charges));
	json_array_foreach(ch, j, v) {
		char base[sizeof(ld->where)];

		memcpy(base, ld->where, sizeof(base));
		where_add(ld, ": charges[%zu]", j);
		if (json_is_object(v) && plain(json_object_get(v, "id"),
		    CATALOG_MAXID))
			where_add(ld, " ('%s')", json_string_value(
			    json_object_get(v, "id")));
		if (charge_load(ld, v, &p->charges[p->ncharges]) == 0) {
			for (k = 0; k < p->ncharges; k++)
				if (strcmp(p->charges[k].id,
				    p->charges[p->ncharges].id) == 0)
					cerr(ld, "the id is already used by "
					    "charges[%zu]", k);
			p->ncharges++;
		} else
			charge_free(&p->charges[p->ncharges]);
		memcpy(ld->where, base, sizeof(base));
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

	if (ver != NULL && jrec_int(ld->jr, ver, 1, INT32_MAX, &want) < 0) {
		cerr(ld, "version must be a whole number from 1");
		return NULL;
	}
	for (p = hmap_get(&cat->by_plan, id); p != NULL; p = p->next) {
		buf_printf(&vs, "%s%lld", n ? ", " : "", (long long)p->version);
		n++;
		if (want == 0 || p->version == want)
			found = p;
	}
	if (n == 0)
		cerr(ld, "plan '%s' is not in the catalog", id);
	else if (want == 0 && n > 1) {
		cerr(ld, "plan '%s' has versions %s: say which with \"version\"",
		    id, buf_cstr(&vs));
		found = NULL;
	} else if (found == NULL)
		cerr(ld, "plan '%s' has no version %lld (it has %s)", id,
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
	char base[sizeof(ld->where)];

	if (ov != NULL && !json_is_object(ov)) {
		cerr(ld, "overrides: charges must be an object of charge id "
		    "to the properties to change");
		ov = NULL;
	}
	json_object_foreach(ov, k, e) {
		if (charge_by_id(p->charges, p->ncharges, k) == NULL)
			cerr(ld, "overrides: charges: plan '%s' v%lld has no "
			    "charge '%s'", p->id, (long long)p->version, k);
		else if (!json_is_object(e))
			cerr(ld, "overrides: charges: '%s' must be an object",
			    k);
		else
			json_object_foreach(e, mk, m)
				if (strcmp(mk, "id") == 0 ||
				    strcmp(mk, "meter") == 0)
					cerr(ld, "overrides: charges: '%s': "
					    "%s cannot be overridden", k, mk);
	}
	c->charges = xcalloc(n ? n : 1, sizeof(*c->charges));
	memcpy(base, ld->where, sizeof(base));
	for (i = 0; i < n; i++) {
		o = json_array_get(pch, i);
		e = json_is_object(o) ? json_object_get(o, "id") : NULL;
		k = json_is_string(e) ? json_string_value(e) : NULL;
		if (k == NULL || charge_by_id(p->charges, p->ncharges, k) ==
		    NULL)
			continue;	/* reported with the plan */
		if (ov != NULL && json_is_object(e = json_object_get(ov, k))) {
			o = json_copy(o);	/* shallow: numbers stay jrec's */
			json_object_update(o, e);
			where_add(ld, ": overrides: charges: '%s'", k);
			if (charge_load(ld, o, &c->charges[c->ncharges]) == 0)
				c->ncharges++;
			else
				charge_free(&c->charges[c->ncharges]);
			json_decref(o);
			memcpy(ld->where, base, sizeof(base));
		} else {
			/* no overrides: reload the plan's (it was valid) */
			int saved = ld->nerr;

			charge_load(ld, o, &c->charges[c->ncharges++]);
			ld->nerr = saved;
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
	char base[sizeof(ld->where)];

	if (!json_is_array(v)) {
		cerr(ld, "overrides: discounts must be a list");
		return;
	}
	c->discounts = xcalloc(json_array_size(v) + 1, sizeof(*c->discounts));
	memcpy(base, ld->where, sizeof(base));
	json_array_foreach(v, i, e) {
		struct discount *d = &c->discounts[c->ndiscounts];
		const char *id, *s;
		int nerr = ld->nerr, rp, ra;
		json_t *ch;

		where_add(ld, ": overrides: discounts[%zu]", i);
		if (!json_is_object(e)) {
			cerr(ld, "a discount must be an object");
			memcpy(ld->where, base, sizeof(base));
			continue;
		}
		no_unknown(ld, e, keys, NULL, NULL);
		id = need_id(ld, e, "id");
		rp = decimal(ld, e, "percent", 0, 1, &d->value);
		ra = rp > 0 ? decimal(ld, e, "amount", 0, 1, &d->value) : 1;
		if (rp == 0 && json_object_get(e, "amount") != NULL)
			cerr(ld, "a discount is a percent or an amount, not "
			    "both");
		else if (rp > 0 && ra > 0)
			cerr(ld, "a discount needs percent or amount");
		d->percent = rp == 0;
		if (d->percent && dec_cmp(d->value, dec_from_i64(100)) > 0)
			cerr(ld, "percent must be at most 100");
		d->has_cap = decimal(ld, e, "cap", 0, 0, &d->cap) == 0;
		if ((ch = json_object_get(e, "charge")) != NULL) {
			s = json_is_string(ch) ? json_string_value(ch) : "";
			if (charge_by_id(c->charges, c->ncharges, s) == NULL)
				cerr(ld, "charge '%s' is not a charge of plan "
				    "'%s' v%lld", s, c->plan->id,
				    (long long)c->plan->version);
			else
				d->charge = charge_by_id(c->charges,
				    c->ncharges, s)->id;
		}
		for (j = 0; id != NULL && j < c->ndiscounts; j++)
			if (strcmp(c->discounts[j].id, id) == 0)
				cerr(ld, "the id '%s' is already used", id);
		if (ld->nerr == nerr) {
			d->id = xstrdup(id);
			c->ndiscounts++;
		}
		memcpy(ld->where, base, sizeof(base));
	}
}

static void
thresholds_load(struct cload *ld, struct contract *c, json_t *v)
{
	static const char *const keys[] = { "amount", "percent", NULL };
	char num[DEC_FMTMAX], base[sizeof(ld->where)];
	json_t *e;
	size_t i, j;

	if (!json_is_array(v)) {
		cerr(ld, "thresholds must be a list");
		return;
	}
	c->thresholds = xcalloc(json_array_size(v) + 1,
	    sizeof(*c->thresholds));
	memcpy(base, ld->where, sizeof(base));
	json_array_foreach(v, i, e) {
		struct threshold *t = &c->thresholds[c->nthresholds];
		int nerr = ld->nerr, ra, rp;
		struct buf id = { 0 };

		where_add(ld, ": thresholds[%zu]", i);
		if (!json_is_object(e)) {
			cerr(ld, "a threshold must be an object");
			memcpy(ld->where, base, sizeof(base));
			continue;
		}
		no_unknown(ld, e, keys, NULL, NULL);
		ra = decimal(ld, e, "amount", 0, 1, &t->value);
		rp = ra > 0 ? decimal(ld, e, "percent", 0, 1, &t->value) : 1;
		if (ra == 0 && json_object_get(e, "percent") != NULL)
			cerr(ld, "a threshold is an amount or a percent of the "
			    "commitment, not both");
		else if (ra > 0 && rp > 0)
			cerr(ld, "a threshold needs amount or percent");
		t->percent = rp == 0;
		if (t->percent && !c->has_commit)
			cerr(ld, "a percent threshold needs a "
			    "minimum_commitment on the plan or the contract");
		if (ld->nerr == nerr) {
			dec_fmt(dec_normalize(t->value), num, sizeof(num));
			buf_printf(&id, "%s:%s", t->percent ? "percent" :
			    "amount", num);
			for (j = 0; j < c->nthresholds; j++)
				if (strcmp(c->thresholds[j].id,
				    buf_cstr(&id)) == 0)
					cerr(ld, "the same threshold is listed "
					    "twice");
		}
		if (ld->nerr == nerr) {
			t->id = xstrdup(buf_cstr(&id));
			c->nthresholds++;
		}
		buf_free(&id);
		memcpy(ld->where, base, sizeof(base));
	}
}

static void
grants_load(struct cload *ld, struct contract *c, json_t *v)
{
	static const char *const keys[] = { "id", "amount", "granted_at",
	    "description", NULL };
	char base[sizeof(ld->where)];
	json_t *e;
	size_t i;

	if (!json_is_array(v)) {
		cerr(ld, "prepaid_credits must be a list");
		return;
	}
	c->grants = xcalloc(json_array_size(v) + 1, sizeof(*c->grants));
	memcpy(base, ld->where, sizeof(base));
	json_array_foreach(v, i, e) {
		struct grant *g = &c->grants[c->ngrants];
		int nerr = ld->nerr;
		const char *id;
		dec d;

		where_add(ld, ": prepaid_credits[%zu]", i);
		if (!json_is_object(e)) {
			cerr(ld, "a prepaid credit must be an object");
			memcpy(ld->where, base, sizeof(base));
			continue;
		}
		no_unknown(ld, e, keys, NULL, NULL);
		id = need_id(ld, e, "id");
		if (decimal(ld, e, "amount", 1, 1, &g->amount) == 0 &&
		    dec_round(g->amount, c->plan->minor, DEC_DOWN, &d) ==
		    DEC_OK && dec_cmp(d, g->amount) != 0)
			cerr(ld, "amount must be whole minor units of %s (%d "
			    "decimals)", c->plan->currency, c->plan->minor);
		if (time_member(ld, e, "granted_at", 0, &g->granted) > 0)
			g->granted = c->start;
		if (ld->nerr == nerr) {
			g->id = xstrdup(id);
			c->ngrants++;
		}
		memcpy(ld->where, base, sizeof(base));
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
	where(ld, "contracts[%zu]", i);
	if (!json_is_object(o)) {
		cerr(ld, "a contract must be an object");
		return;
	}
	if (json_object_get(o, "id") != NULL && (id = need_id(ld, o, "id")))
		c->id = xstrdup(id);
	cust = need_id(ld, o, "customer");
	if (cust != NULL)
		where(ld, "contracts[%zu] ('%s'%s%s)", i, id ? id : cust,
		    id ? ", customer " : "", id ? cust : "");
	no_unknown(ld, o, keys, NULL, NULL);
	if ((plan = need_id(ld, o, "plan")) != NULL)
		c->plan = plan_find(ld, plan, json_object_get(o, "version"));
	time_member(ld, o, "start", 1, &c->start);
	r = time_member(ld, o, "end", 0, &c->end);
	if (r > 0)
		c->end = INT64_MAX;
	else if (r == 0 && c->end <= c->start)
		cerr(ld, "end must be after start");
	if (cust == NULL || c->plan == NULL)
		return;
	c->customer = xstrdup(cust);
	c->has_commit = c->plan->has_commit;
	c->commit = c->plan->commit;
	if ((ov = json_object_get(o, "overrides")) != NULL &&
	    !json_is_object(ov)) {
		cerr(ld, "overrides must be an object");
		ov = NULL;
	}
	if (ov != NULL)
		no_unknown(ld, ov, okeys, NULL, NULL);
	contract_charges(ld, c, ov ? json_object_get(ov, "charges") : NULL);
	if (ov != NULL && json_object_get(ov, "minimum_commitment") != NULL)
		c->has_commit = decimal(ld, ov, "minimum_commitment", 1, 0,
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

	for (i = 0; i < c->ncharges; i++)
		charge_free(&c->charges[i]);
	for (i = 0; i < c->ndiscounts; i++)
		free(c->discounts[i].id);
	for (i = 0; i < c->nthresholds; i++)
		free(c->thresholds[i].id);
	for (i = 0; i < c->ngrants; i++)
		free(c->grants[i].id);
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
				where(ld, "contracts[%zu]", cl->c[k]->idx);
				cerr(ld, "customer '%s' already has a contract "
				    "then (contracts[%zu], %s); a contract "
				    "starting %s needs the earlier one to end "
				    "by then", cl->c[k]->customer,
				    cl->c[k - 1]->idx, b, a);
			}
	}
}

void
catalog_load(struct catalog *cat, const char *path)
{
	static const char *const keys[] = { "schema", "rounding", "plans",
	    "contracts", "description", NULL };
	struct jrec jr;
	struct cload ld;
	struct plan *q, **tail;
	struct hmap ids;
	json_t *list, *o, *v;
	size_t len, i;
	void **ref;
	char *text;
	int r;

	memset(cat, 0, sizeof(*cat));
	memset(&ld, 0, sizeof(ld));
	ld.cat = cat;
	ld.jr = &jr;
	cat->path = path;
	cat->rounding = DEC_HALF_UP;
	hmap_init(&cat->by_customer);
	hmap_init(&cat->by_plan);
	hmap_init(&ids);
	text = slurp(path, "catalog", CATALOG_MAXFILE, &len);
	jrec_init(&jr, JREC_MAXDEPTH_DEFAULT);
	if (jrec_parse(&jr, text, len) < 0)
		die(EX_CONFIG, "catalog '%s': %s", path, jr.msg);
	if (json_object_get(jr.root, "schema") != NULL &&
	    jrec_check_schema(&jr, 1) < 0)
		die(EX_CONFIG, "catalog '%s': %s", path, jr.msg);
	no_unknown(&ld, jr.root, keys, NULL, NULL);
	if ((v = json_object_get(jr.root, "rounding")) != NULL) {
		r = json_is_string(v) ? dec_parse_round(json_string_value(v)) :
		    -1;
		if (r < 0)
			cerr(&ld, "rounding must be one of half-up, half-even, "
			    "up, down, ceiling, floor");
		else
			cat->rounding = (enum dec_round)r;
	}
	list = json_object_get(jr.root, "plans");
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
				cerr(&ld, "plan '%s' version %lld is already "
				    "defined by plans[%zu]", p->id,
				    (long long)p->version,
				    (size_t)(q - cat->plans));
		/* versions in file order */
		for (tail = (struct plan **)ref; *tail != NULL;
		    tail = &(*tail)->next)
			;
		*tail = p;
	}
	list = json_object_get(jr.root, "contracts");
	ld.where[0] = '\0';
	if (list != NULL && !json_is_array(list))
		cerr(&ld, "contracts must be a list");
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
				cerr(&ld, "the contract id '%s' is already "
				    "used by contracts[%zu]",
				    cat->contracts[i].id,
				    ((struct contract *)*ref)->idx);
			else
				*ref = &cat->contracts[i];
		}
	}
	hmap_free(&ids);
	if (ld.nerr == 0)
		index_contracts(&ld);
	if (ld.nerr > CATALOG_MAXERR)
		warnmsg("%s: %d more errors not shown", path,
		    ld.nerr - CATALOG_MAXERR);
	if (ld.nerr > 0)
		die(EX_CONFIG, "catalog '%s' has %d error%s", path, ld.nerr,
		    ld.nerr == 1 ? "" : "s");
	jrec_free(&jr);
	free(text);
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
