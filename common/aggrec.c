/*
 * aggrec.c: read an aggregate record (aggrec.h), strictly or as it is.
 *
 * Rejects go through the stage's si_reject(), not a jrec's message, so
 * that a message quoting a long member is cut where every other reject
 * of the stage is.
 */
#include <inttypes.h>
#include <string.h>

#include "aggrec.h"
#include "jrec.h"
#include "jval.h"
#include "jw.h"
#include "prorate.h"
#include "reject.h"
#include "stagein.h"

static const char *
str_field(struct stagein *s, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (json_is_string(v) && json_string_length(v) > 0 &&
	    strlen(json_string_value(v)) == json_string_length(v))
		return json_string_value(v);
	si_reject(s, RC_DATA, v == NULL ? "missing_field" : "invalid_field", k,
	    "%s %s", k, v == NULL ? "is missing" : "must be a non-empty "
	    "string");
	return NULL;
}

static int
time_field(struct stagein *s, json_t *o, const char *k, int64_t *t)
{
	const char *v = str_field(s, o, k), *why;

	if (v == NULL)
		return -1;
	if (tm_parse(v, strlen(v), t, &why) < 0) {
		si_reject(s, RC_DATA, "invalid_time", k, "%s '%s': %s", k, v, why);
		return -1;
	}
	return 0;
}

static int
hex_field(struct stagein *s, json_t *o, const char *k, unsigned char *out)
{
	const char *v = str_field(s, o, k);

	if (v == NULL)
		return -1;
	if (strlen(v) != 2 * KEY_LEN || key_unhex(v, out, KEY_LEN) < 0) {
		si_reject(s, RC_DATA, "invalid_field", k, "%s must be %d hex "
		    "digits", k, 2 * KEY_LEN);
		return -1;
	}
	return 0;
}

/*
 * first_event_at: optional (hand-made aggregates and older writers may
 * leave it out, and it is null without events), but a time when given.
 */
static int
first_field(struct stagein *s, json_t *o, struct aggrec *a)
{
	json_t *v = json_object_get(o, "first_event_at");

	a->has_first = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		si_reject(s, RC_DATA, "invalid_field", "first_event_at",
		    "first_event_at must be an RFC 3339 time or null");
		return -1;
	}
	if (time_field(s, o, "first_event_at", &a->first) < 0)
		return -1;
	a->has_first = 1;
	return 0;
}

/*
 * A prorated meter's members (prorate.h): all three or none.  Read into
 * p when it is not NULL, else only checked: 0, or -1 rejected.
 */
static int
pr_fields(struct stagein *s, json_t *root, struct prorate *p,
    struct aggrec *a)
{
	json_t *q = json_object_get(root, "prorated_quantity");
	json_t *d = json_object_get(root, "period_days");
	json_t *v = json_object_get(root, "prorated_steps"), *e;
	struct prorate tmp = { 0 };
	const char *u;
	int64_t nd, days;
	dec want, got, full, x;
	size_t i;

	if (q == NULL && d == NULL && v == NULL)
		return 0;
	if (!json_is_string(q) || dec_parse(json_string_value(q),
	    json_string_length(q), &want) != DEC_OK) {
		si_reject(s, RC_DATA, q ? "invalid_field" : "missing_field",
		    "prorated_quantity", "prorated_quantity %s", q ? "is not "
		    "an exact decimal number" : "is missing (prorated_steps "
		    "and period_days are given)");
		return -1;
	}
	if (d == NULL || jrec_int(&s->jr, d, 1, 366, &nd) < 0) {
		si_reject(s, RC_DATA, d ? "invalid_field" : "missing_field",
		    "period_days", "period_days %s", d ? "must be a whole "
		    "number from 1 to 366" : "is missing");
		return -1;
	}
	if (!json_is_array(v) || json_array_size(v) > (size_t)nd + 1) {
		si_reject(s, RC_DATA, v ? "invalid_field" : "missing_field",
		    "prorated_steps", "prorated_steps %s", v ? "must be a list "
		    "of [units, days], at most one a day of the period and "
		    "one after it" :
		    "is missing");
		return -1;
	}
	if (p == NULL)
		p = &tmp;
	p->ndays = nd;
	p->n = 0;
	json_array_foreach(v, i, e) {
		u = json_string_value(json_array_get(e, 0));
		if (!json_is_array(e) || json_array_size(e) != 2 || u == NULL ||
		    dec_parse(u, strlen(u), &x) != DEC_OK ||
		    jrec_int(&s->jr, json_array_get(e, 1), 0, nd, &days) < 0) {
			si_reject(s, RC_DATA, "invalid_field", "prorated_steps",
			    "prorated_steps[%zu] must be [\"units\", days] "
			    "with units an exact decimal string and days a "
			    "whole number from 0 to period_days (%" PRId64 ")",
			    i, nd);
			free(tmp.v);
			return -1;
		}
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 4;
			p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
		}
		p->v[p->n].units = x;
		p->v[p->n++].days = days;
	}
	if (prorate_quantity(p, &got, &full) != 0 || dec_cmp(got, want) != 0) {
		si_reject(s, RC_DATA, "invalid_field", "prorated_quantity",
		    "prorated_quantity %s is not what prorated_steps make "
		    "(%s: the units x days over %" PRId64 " days, up to %d "
		    "decimals)", json_string_value(q), dec_str(got).s, nd,
		    PRORATE_SCALE);
		free(tmp.v);
		return -1;
	}
	free(tmp.v);
	if (a != NULL) {
		a->prorated = 1;
		a->pqty = got;
		a->pfull = full;
	}
	return 0;
}

struct prorate *
aggrec_prorate(struct stagein *s)
{
	struct prorate p = { 0 };

	if (json_object_get(s->jr.root, "prorated_steps") == NULL ||
	    pr_fields(s, s->jr.root, &p, NULL) < 0) {
		free(p.v);
		return NULL;
	}
	return memcpy(xmalloc(sizeof(p)), &p, sizeof(p));
}

int
aggrec_read(struct stagein *s, struct aggrec *a)
{
	struct jrec *jr = &s->jr;
	const char *q, *p;
	json_t *root, *v;
	int64_t ev;
	int unit;

	root = jr->root;
	v = json_object_get(root, "kind");
	if (!json_is_string(v) || strcmp(json_string_value(v), "aggregate")) {
		si_reject(s, RC_DATA, "not_aggregate", "kind", "expected an "
		    "aggregate (kind \"aggregate\", meter-aggregate's output), "
		    "got %s", json_is_string(v) ? json_string_value(v) :
		    "no kind");
		return -1;
	}
	if (jrec_check_schema(jr, 1) < 0) {
		si_reject(s, RC_DATA, jr->code, "schema", "%s", jr->msg);
		return -1;
	}
	memset(a, 0, sizeof(*a));
	if ((a->customer = str_field(s, root, "customer")) == NULL ||
	    (a->meter = str_field(s, root, "meter")) == NULL ||
	    hex_field(s, root, "key", a->key) < 0 ||
	    hex_field(s, root, "lineage", a->lineage) < 0 ||
	    (p = str_field(s, root, "period")) == NULL ||
	    time_field(s, root, "period_start", &a->ps) < 0 ||
	    time_field(s, root, "period_end", &a->pe) < 0 ||
	    (q = str_field(s, root, "quantity")) == NULL)
		return -1;
	if ((unit = tm_parse_unit(p)) < 0) {
		si_reject(s, RC_DATA, "invalid_field", "period", "period '%s': "
		    "expected hour, day, week or month", p);
		return -1;
	}
	a->unit = (enum tm_unit)unit;
	if (a->pe <= a->ps) {
		si_reject(s, RC_DATA, "invalid_period", "period_end",
		    "period_end is not after period_start");
		return -1;
	}
	if (dec_parse(q, strlen(q), &a->qty) != DEC_OK) {
		si_reject(s, RC_DATA, "invalid_quantity", "quantity", "quantity "
		    "'%s' is not an exact decimal number", q);
		return -1;
	}
	v = json_object_get(root, "events");
	if (v == NULL || jrec_int(jr, v, 0, INT64_MAX, &ev) < 0) {
		si_reject(s, RC_DATA, v ? "invalid_field" : "missing_field",
		    "events", "events %s", v ? "must be a whole number of 0 "
		    "or more" : "is missing");
		return -1;
	}
	a->events = ev;
	v = json_object_get(root, "group");
	if (!json_is_object(v)) {
		si_reject(s, RC_DATA, v ? "invalid_field" : "missing_field",
		    "group", "group must be an object ({} when not grouped)");
		return -1;
	}
	a->group = v;
	if (first_field(s, root, a) < 0)
		return -1;
	return pr_fields(s, root, NULL, a);
}

/*
 * b was read under a's key: the same aggregate again (a duplicate) when
 * it says the same of it, else a conflict.
 */
int
aggrec_same(const struct aggrec *a, const struct aggrec *b)
{
	return strcmp(a->customer, b->customer) == 0 &&
	    strcmp(a->meter, b->meter) == 0 &&
	    strcmp(a->gtext, b->gtext) == 0 && a->unit == b->unit &&
	    a->ps == b->ps && a->pe == b->pe && dec_cmp(a->qty, b->qty) == 0 &&
	    a->events == b->events &&
	    memcmp(a->lineage, b->lineage, KEY_LEN) == 0;
}

int
aggrec_view(const struct jrec *jr, struct aggrec_view *a)
{
	json_t *j = jr->root;
	const char *kind = jval_str(j, "kind");

	memset(a, 0, sizeof(*a));
	a->key = jval_str(j, "key");
	if (kind == NULL || strcmp(kind, "aggregate") != 0 || a->key == NULL)
		return -1;
	a->customer = jval_str(j, "customer");
	a->meter = jval_str(j, "meter");
	a->lineage = jval_str(j, "lineage");
	a->period = jval_str(j, "period");
	a->ps = jval_str(j, "period_start");
	a->pe = jval_str(j, "period_end");
	a->qty = jval_dec_or_zero(j, "quantity");
	if (jrec_int(jr, json_object_get(j, "events"), 0, INT64_MAX,
	    &a->events) < 0)
		a->events = 0;
	return 0;
}

/*
 * A period's bounds, quoted: the same for every aggregate of the period,
 * and a run has few periods (744 hours in a month) for many aggregates
 * (3,000 an hour at 10M events), written in customer order.  So each
 * formatting thread keeps the bounds it wrote in a small direct-mapped
 * table, by time.
 */
#define TCACHE	1024

struct tcache {
	int64_t		 t;
	int		 n;		/* 0: empty */
	char		 s[TM_FMTMAX + 2];
};

static void
put_bound(struct buf *b, int64_t t)
{
	static _Thread_local struct tcache tab[TCACHE];	/* 48 KiB */
	struct tcache *c;
	size_t len;

	c = &tab[((uint64_t)t * 0x9e3779b97f4a7c15ULL) >> 54];
	if (c->n != 0 && c->t == t) {
		/*
		 * all of s copied, a size the compiler copies inline (a
		 * time of whole seconds is 22 bytes quoted), len counts n
		 */
		buf_room(b, sizeof(c->s));
		memcpy(b->p + b->len, c->s, sizeof(c->s));
		b->len += (size_t)c->n;
		return;
	}
	len = b->len;
	jw_put_time(b, t);
	c->t = t;
	c->n = (int)(b->len - len);
	memcpy(c->s, b->p + len, (size_t)c->n);
}

void
aggrec_write(struct buf *b, const struct aggrec_out *o)
{
	size_t key;

	JW_LIT(b, "{\"kind\":\"aggregate\",\"schema\":\"1.0\",\"key\":");
	key = b->len;	/* the correlation id repeats it */
	jw_put_hex(b, o->key, KEY_LEN);
	JW_LIT(b, ",\"customer\":");
	if (o->customer_json != NULL)
		buf_add(b, o->customer_json, o->customer_json_len);
	else
		jw_put_str(b, o->customer);
	JW_LIT(b, ",\"meter\":");
	if (o->meter_json != NULL)
		buf_add(b, o->meter_json, o->meter_json_len);
	else
		jw_put_str(b, o->m->name);
	JW_LIT(b, ",\"aggregation\":");
	if (o->agg_json != NULL)
		buf_add(b, o->agg_json, o->agg_json_len);
	else
		jw_put_plain(b, agg_name(o->m->agg));
	if (o->m->unit != NULL) {
		JW_LIT(b, ",\"unit\":");
		if (o->unit_json != NULL)
			buf_add(b, o->unit_json, o->unit_json_len);
		else
			jw_put_str(b, o->m->unit);
	}
	JW_LIT(b, ",\"group\":");
	buf_add(b, o->group, o->group_len);
	JW_LIT(b, ",\"period\":");
	if (o->unit_name_json != NULL)
		buf_add(b, o->unit_name_json, o->unit_name_json_len);
	else
		jw_put_plain(b, tm_unit_name(o->unit));
	JW_LIT(b, ",\"timezone\":");
	if (o->zone_json != NULL)
		buf_add(b, o->zone_json, o->zone_json_len);
	else
		jw_put_str(b, o->zone);
	JW_LIT(b, ",\"period_start\":");
	put_bound(b, o->start);
	JW_LIT(b, ",\"period_end\":");
	put_bound(b, o->end);
	JW_LIT(b, ",\"quantity\":");
	jw_put_dec(b, o->quantity);
	JW_LIT(b, ",\"events\":");
	jw_put_u64(b, o->events);
	JW_LIT(b, ",\"first_event_at\":");
	if (o->events > 0)
		jw_put_time(b, o->first);
	else
		JW_LIT(b, "null");
	JW_LIT(b, ",\"last_event_at\":");
	if (o->events > 0)
		jw_put_time(b, o->last);
	else
		JW_LIT(b, "null");
	if (o->gauge) {
		JW_LIT(b, ",\"opening_level\":");
		jw_put_dec(b, o->opening);
		JW_LIT(b, ",\"closing_level\":");
		jw_put_dec(b, o->closing);
	}
	if (o->pr != NULL)
		(void)prorate_write(b, o->pr);	/* checked when closed */
	JW_LIT(b, ",\"lineage\":");
	jw_put_hex(b, o->lineage, KEY_LEN);
	JW_LIT(b, ",\"correlation_id\":");
	buf_grow(b, 2 * KEY_LEN + 2);	/* first: b->p may move */
	buf_add(b, b->p + key, 2 * KEY_LEN + 2);
	JW_LIT(b, "}\n");
}
