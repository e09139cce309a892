/*
 * rated.c: read a rated line.
 */
#include <string.h>

#include "currency.h"
#include "jrec.h"
#include "rated.h"
#include "tm.h"

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
dec_of(struct jrec *r, const char *k, dec *d)
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
	    dec_of(r, "quantity", &l->quantity) < 0 ||
	    dec_of(r, "amount", &l->amount) < 0 ||
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
