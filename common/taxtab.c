/*
 * taxtab.c: load and check the tax table; find a line's rule.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "taxtab.h"
#include "util.h"

#define TAX_MAXFILE	(16 * 1024 * 1024)

static const char *const categories[] = {
	"S", "Z", "E", "AE", "K", "G", "O", "L", "M", NULL
};

#define REVERSE_NOTE	"Reverse charge: the customer accounts for the " \
			"tax (Council Directive 2006/112/EC, Article 196)"
#define EXEMPT_NOTE	"Exempt from tax"

static int
same_or_absent(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
rule_load(struct conf *cf, size_t i, json_t *o, struct taxrule *t)
{
	static const char *const keys[] = { "entity", "country", "region",
	    "tax_code", "rate", "category", "name", "note", "rounding",
	    "inclusive", "reverse_charge", "exempt_note", "reverse_charge_note",
	    "description", NULL };
	const char *s;
	json_t *v;
	size_t k;

	memset(t, 0, sizeof(*t));
	t->idx = i;
	t->rounding = DEC_HALF_UP;
	conf_where(cf, "rules[%zu]", i);
	if (!json_is_object(o)) {
		conf_err(cf, "a rule must be an object");
		return;
	}
	conf_unknown(cf, o, keys, NULL, NULL);
	if ((s = conf_id(cf, o, "entity")) != NULL)
		t->entity = xstrdup(s);
	v = json_object_get(o, "country");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "*") != 0 && (strlen(s) != 2 || s[0] < 'A' ||
	    s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z'))
		conf_err(cf, "country must be an ISO 3166 alpha-2 code like "
		    "\"DE\", or \"*\" for any other");
	else
		t->country = xstrdup(s);
	if (conf_str(cf, o, "region", 64, &s) > 0)
		t->region = xstrdup(s);
	if (conf_str(cf, o, "tax_code", CONF_MAXID, &s) > 0)
		t->tax_code = xstrdup(s);
	if (conf_dec(cf, o, "rate", 1, 0, &t->rate) == 0 &&
	    dec_cmp(t->rate, dec_from_i64(100)) > 0)
		conf_err(cf, "rate is a percentage: at most 100");
	if ((v = json_object_get(o, "category")) == NULL)
		memcpy(t->category, dec_sign(t->rate) > 0 ? "S" : "Z", 2);
	else {
		s = json_is_string(v) ? json_string_value(v) : "";
		for (k = 0; categories[k] != NULL; k++)
			if (strcmp(s, categories[k]) == 0)
				break;
		if (categories[k] == NULL)
			conf_err(cf, "category must be an EN 16931 VAT "
			    "category: S, Z, E, AE, K, G, O, L or M");
		else
			memcpy(t->category, s, strlen(s) + 1);
	}
	if (t->category[0] != 'S' && t->category[0] != 'L' &&
	    t->category[0] != 'M' && t->category[0] != '\0' &&
	    dec_sign(t->rate) != 0)
		conf_err(cf, "category %s is taxed at 0: rate must be \"0\"",
		    t->category);
	if (conf_str(cf, o, "name", 128, &s) > 0)
		t->name = xstrdup(s);
	if (conf_str(cf, o, "note", 1024, &s) > 0)
		t->note = xstrdup(s);
	t->exempt_note = xstrdup(conf_str(cf, o, "exempt_note", 1024, &s) > 0 ?
	    s : EXEMPT_NOTE);
	t->reverse_note = xstrdup(conf_str(cf, o, "reverse_charge_note", 1024,
	    &s) > 0 ? s : REVERSE_NOTE);
	conf_round(cf, o, "rounding", &t->rounding);
	conf_bool(cf, o, "inclusive", &t->inclusive);
	conf_bool(cf, o, "reverse_charge", &t->reverse);
}

static void
rule_free(struct taxrule *t)
{
	free(t->entity);
	free(t->country);
	free(t->region);
	free(t->tax_code);
	free(t->name);
	free(t->note);
	free(t->exempt_note);
	free(t->reverse_note);
}

void
taxtab_load(struct taxtab *tt, const char *path)
{
	static const char *const keys[] = { "schema", "rules", "description",
	    NULL };
	struct conf cf;
	json_t *list, *o;
	size_t i, j;

	memset(tt, 0, sizeof(*tt));
	tt->path = path;
	conf_open(&cf, path, "tax table", TAX_MAXFILE);
	conf_unknown(&cf, cf.root, keys, NULL, NULL);
	list = json_object_get(cf.root, "rules");
	if (!json_is_array(list) || json_array_size(list) == 0)
		die(EX_CONFIG, "tax table '%s' needs a non-empty list "
		    "\"rules\"", path);
	tt->v = xcalloc(json_array_size(list), sizeof(*tt->v));
	json_array_foreach(list, i, o) {
		struct taxrule *t = &tt->v[tt->n++];

		rule_load(&cf, i, o, t);
		for (j = 0; j + 1 < tt->n; j++) {
			struct taxrule *u = &tt->v[j];

			if (t->entity && u->entity && t->country &&
			    u->country && strcmp(t->entity, u->entity) == 0 &&
			    strcmp(t->country, u->country) == 0 &&
			    same_or_absent(t->region, u->region) &&
			    same_or_absent(t->tax_code, u->tax_code))
				conf_err(&cf, "rules[%zu] is for the same "
				    "entity, country, region and tax code", j);
		}
	}
	conf_done(&cf);
	conf_close(&cf);
}

void
taxtab_free(struct taxtab *tt)
{
	size_t i;

	for (i = 0; i < tt->n; i++)
		rule_free(&tt->v[i]);
	free(tt->v);
}

const struct taxrule *
tax_find(const struct taxtab *tt, const char *entity, const char *country,
    const char *region, const char *tax_code)
{
	const struct taxrule *best = NULL;
	int score, top = -1;
	size_t i;

	for (i = 0; i < tt->n; i++) {
		const struct taxrule *t = &tt->v[i];

		if (strcmp(t->entity, entity) != 0)
			continue;
		if (strcmp(t->country, "*") != 0 &&
		    (country == NULL || strcmp(t->country, country) != 0))
			continue;
		if (t->region != NULL && (region == NULL ||
		    strcmp(t->region, region) != 0))
			continue;
		if (t->tax_code != NULL && (tax_code == NULL ||
		    strcmp(t->tax_code, tax_code) != 0))
			continue;
		score = (strcmp(t->country, "*") != 0) * 4 +
		    (t->region != NULL) * 2 + (t->tax_code != NULL);
		if (score > top) {
			top = score;
			best = t;
		}
	}
	return best;
}
