/*
 * meters.c: load and check the meters file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "jrec.h"
#include "meters.h"
#include "util.h"

#define METERS_MAXFILE	(16 * 1024 * 1024)
#define METERS_MAXERR	20
#define METER_MAXNAME	128

static const char *const agg_names[] = {
	[AG_SUM] = "sum", [AG_COUNT] = "count", [AG_MIN] = "min",
	[AG_MAX] = "max", [AG_AVG] = "avg", [AG_UNIQUE] = "unique_count",
	[AG_LATEST] = "latest", [AG_WSUM] = "weighted_sum"
};
#define NAGG (sizeof(agg_names) / sizeof(agg_names[0]))

static const char *const known_keys[] = {
	"name", "event_type", "aggregation", "field", "group_by", "values",
	"unit", "precision", "rounding", "description", "expression",
	"filter", "recurring",
	"prorated"
};
#define NKNOWN (sizeof(known_keys) / sizeof(known_keys[0]))

const char *
agg_name(enum agg_kind k)
{
	return agg_names[k];
}

int
agg_numeric(enum agg_kind k)
{
	return k != AG_COUNT && k != AG_UNIQUE;
}

struct mload {
	struct meters	*ms;
	struct jrec	*jr;
	int		 nerr;
};

static void
merr(struct mload *ld, size_t i, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
merr(struct mload *ld, size_t i, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ld->nerr++ >= METERS_MAXERR)
		return;
	if (i == (size_t)-1)
		fprintf(stderr, "%s: %s: ", progname, ld->ms->path);
	else if (name != NULL)
		fprintf(stderr, "%s: %s: meters[%zu] ('%s'): ", progname,
		    ld->ms->path, i, name);
	else
		fprintf(stderr, "%s: %s: meters[%zu]: ", progname,
		    ld->ms->path, i);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A dotted path: segments separated by single dots, none empty. */
static int
path_ok(const char *s)
{
	if (!conf_plain_str(s, 256) || *s == '.' || s[strlen(s) - 1] == '.')
		return 0;
	return strstr(s, "..") == NULL;
}

/* A string or a list of strings, unique; NULL after an error. */
static char **
str_list(struct mload *ld, size_t i, const char *name, json_t *v,
    const char *what, int paths, size_t max, size_t *n)
{
	char **out;
	json_t *e;
	size_t j, k;

	*n = 0;
	if (json_is_string(v)) {
		if (paths ? !path_ok(json_string_value(v)) :
		    !conf_plain_str(json_string_value(v), 256)) {
			merr(ld, i, name, "%s must be a non-empty string", what);
			return NULL;
		}
		out = xcalloc(1, sizeof(*out));
		out[0] = xstrdup(json_string_value(v));
		*n = 1;
		return out;
	}
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > max) {
		merr(ld, i, name, "%s must be a string or a list of 1 to %zu "
		    "strings", what, max);
		return NULL;
	}
	out = xcalloc(json_array_size(v), sizeof(*out));
	json_array_foreach(v, j, e) {
		const char *s = json_is_string(e) ? json_string_value(e) : "";

		if (paths ? !path_ok(s) : !conf_plain_str(s, 256)) {
			merr(ld, i, name, "%s[%zu] must be a non-empty string%s",
			    what, j, paths ? " like \"a.b\"" : "");
			goto bad;
		}
		for (k = 0; k < j; k++)
			if (strcmp(out[k], s) == 0) {
				merr(ld, i, name, "%s lists '%s' twice", what,
				    s);
				goto bad;
			}
		out[j] = xstrdup(s);
		*n = j + 1;
	}
	return out;
bad:
	for (k = 0; k < *n; k++)
		free(out[k]);
	free(out);
	*n = 0;
	return NULL;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "expression": parsed here, once; a numeric aggregation reads it. */
static void
meter_expr(struct mload *ld, size_t i, const char *name, json_t *v,
    struct meter *m)
{
	struct expr_perr pe;

	if (!agg_numeric(m->agg))
		merr(ld, i, name, "%s reads no expression (sum, min, max, avg, "
		    "latest and weighted_sum do)", agg_names[m->agg]);
	else if (!json_is_string(v))
		merr(ld, i, name, "expression must be a string");
	else if (expr_parse(json_string_value(v), &m->expr, &pe) < 0)
		merr(ld, i, name, "expression, column %d: %s", pe.col, pe.msg);
}

/* "filter": {"path": ["value", ...], ...}, every key must match. */
static void
meter_filter(struct mload *ld, size_t i, const char *name, json_t *v,
    struct meter *m)
{
	const char *k;
	json_t *l;
	char what[300];

	if (!json_is_object(v) || json_object_size(v) == 0 ||
	    json_object_size(v) > METER_MAXFILTER) {
		merr(ld, i, name, "filter must be an object of 1 to %d "
		    "properties of data, each with a list of values",
		    METER_MAXFILTER);
		return;
	}
	m->filter = xcalloc(json_object_size(v), sizeof(*m->filter));
	json_object_foreach(v, k, l) {
		struct mfilter *f = &m->filter[m->nfilter];

		if (!path_ok(k)) {
			merr(ld, i, name, "filter's key '%s' must be a "
			    "property of data like \"a.b\"", k);
			continue;
		}
		snprintf(what, sizeof(what), "filter.%s", k);
		if (!json_is_array(l)) {
			merr(ld, i, name, "%s must be a list of strings",
			    what);
			continue;
		}
		if ((f->vals = str_list(ld, i, name, l, what, 0, 1024,
		    &f->nvals)) == NULL)
			continue;
		f->path = xstrdup(k);
		m->nfilter++;
	}
}

static int
meter_load(struct mload *ld, size_t i, json_t *o, struct meter *m)
{
	const char *name = NULL, *k, *s;
	json_t *v;
	size_t j;
	int nerr = ld->nerr, r;
	int64_t n;

	memset(m, 0, sizeof(*m));
	m->idx = i;
	m->precision = METER_PRECISION;
	m->rounding = DEC_HALF_EVEN;
	if (!json_is_object(o)) {
		merr(ld, i, NULL, "a meter must be an object");
		return -1;
	}
	v = json_object_get(o, "name");
	if (v == NULL || !json_is_string(v) ||
	    !conf_plain_str(json_string_value(v), METER_MAXNAME))
		merr(ld, i, NULL, "name must be a non-empty string of at most "
		    "%d bytes", METER_MAXNAME);
	else
		name = json_string_value(v);
	json_object_foreach(o, k, v) {
		for (j = 0; j < NKNOWN; j++)
			if (strcmp(k, known_keys[j]) == 0)
				break;
		if (j == NKNOWN)
			merr(ld, i, name, "unknown property '%s'", k);
	}

	v = json_object_get(o, "aggregation");
	s = json_is_string(v) ? json_string_value(v) : "";
	for (j = 0; j < NAGG; j++)
		if (strcmp(s, agg_names[j]) == 0)
			break;
	if (j == NAGG)
		merr(ld, i, name, "aggregation must be one of sum, count, min, "
		    "max, avg, unique_count, latest, weighted_sum");
	else
		m->agg = (enum agg_kind)j;

	if ((v = json_object_get(o, "event_type")) == NULL)
		merr(ld, i, name, "event_type is missing");
	else
		m->types = str_list(ld, i, name, v, "event_type", 0, 1024,
		    &m->ntypes);

	v = json_object_get(o, "field");
	if (json_object_get(o, "expression") != NULL) {
		if (v != NULL)
			merr(ld, i, name, "give field or expression, not both");
		else if (j != NAGG)
			meter_expr(ld, i, name, json_object_get(o,
			    "expression"), m);
	} else if (j != NAGG && m->agg == AG_COUNT) {
		if (v != NULL)
			merr(ld, i, name, "a count meter reads no field");
	} else if (j != NAGG) {
		if (v == NULL)
			merr(ld, i, name, "field is missing (%s reads a "
			    "property of data)", agg_names[m->agg]);
		else if (!json_is_string(v) || !path_ok(json_string_value(v)))
			merr(ld, i, name, "field must be a property of data, "
			    "dotted for nested ones (\"tokens.input\")");
		else
			m->field = xstrdup(json_string_value(v));
	}

	if ((v = json_object_get(o, "group_by")) != NULL) {
		if (json_is_array(v) && json_array_size(v) == 0)
			;	/* [] is no grouping */
		else if (!json_is_array(v))
			merr(ld, i, name, "group_by must be a list of "
			    "properties of data");
		else
			m->group_by = str_list(ld, i, name, v, "group_by", 1,
			    METER_MAXGROUP, &m->ngroup);
	}

	if ((v = json_object_get(o, "filter")) != NULL)
		meter_filter(ld, i, name, v, m);

	if ((v = json_object_get(o, "values")) != NULL) {
		s = json_is_string(v) ? json_string_value(v) : "";
		if (m->agg != AG_WSUM)
			merr(ld, i, name, "values applies to weighted_sum "
			    "meters only");
		else if (strcmp(s, "increments") == 0)
			m->increments = 1;
		else if (strcmp(s, "levels") != 0)
			merr(ld, i, name, "values must be \"levels\" or "
			    "\"increments\"");
	}
	/*
	 * Lago's recurring unique_count: a value stays counted in later
	 * periods until an event removes it.  weighted_sum carries its
	 * level by nature; the other aggregations start each period anew.
	 */
	if ((v = json_object_get(o, "recurring")) != NULL) {
		if (!json_is_boolean(v))
			merr(ld, i, name, "recurring must be true or false");
		else if (json_is_true(v) && m->agg != AG_UNIQUE)
			merr(ld, i, name, "recurring applies to unique_count "
			    "meters only (a weighted_sum carries its level by "
			    "nature), not to %s", j == NAGG ? "this aggregation" :
			    agg_names[m->agg]);
		else
			m->recurring = json_is_true(v);
	}
	/* the steps prorated charges price (prorate.h) */
	if ((v = json_object_get(o, "prorated")) != NULL) {
		if (!json_is_boolean(v))
			merr(ld, i, name, "prorated must be true or false");
		else if (json_is_true(v) && m->agg != AG_WSUM &&
		    !(m->agg == AG_UNIQUE && m->recurring))
			merr(ld, i, name, "prorated applies to weighted_sum "
			    "and recurring unique_count meters only (those "
			    "carry a level across periods)");
		else
			m->prorated = json_is_true(v);
	}
	if ((v = json_object_get(o, "precision")) != NULL) {
		if (m->agg != AG_AVG && m->agg != AG_WSUM)
			merr(ld, i, name, "precision applies to avg and "
			    "weighted_sum meters only");
		else if (jrec_int(ld->jr, v, 0, 18, &n) < 0)
			merr(ld, i, name, "precision must be an integer from "
			    "0 to 18");
		else
			m->precision = (int)n;
	}
	if ((v = json_object_get(o, "rounding")) != NULL) {
		r = json_is_string(v) ? dec_parse_round(json_string_value(v))
		    : -1;
		if (m->agg != AG_AVG && m->agg != AG_WSUM)
			merr(ld, i, name, "rounding applies to avg and "
			    "weighted_sum meters only");
		else if (r < 0)
			merr(ld, i, name, "rounding must be one of half-up, "
			    "half-even, up, down, ceiling, floor");
		else
			m->rounding = (enum dec_round)r;
	}
	if ((v = json_object_get(o, "unit")) != NULL) {
		if (!json_is_string(v) ||
		    !conf_plain_str(json_string_value(v), 64))
			merr(ld, i, name, "unit must be a non-empty string");
		else
			m->unit = xstrdup(json_string_value(v));
	}
	if ((v = json_object_get(o, "description")) != NULL &&
	    !json_is_string(v))
		merr(ld, i, name, "description must be a string");
	if (m->ngroup > 1)	/* the group object's keys, sorted */
		qsort(m->group_by, m->ngroup, sizeof(*m->group_by), strp_cmp);
	if (name != NULL)
		m->name = xstrdup(name);
	return ld->nerr == nerr ? 0 : -1;
}

static void
meter_free(struct meter *m)
{
	size_t j, k;

	for (j = 0; j < m->ntypes; j++)
		free(m->types[j]);
	for (j = 0; j < m->ngroup; j++)
		free(m->group_by[j]);
	free(m->types);
	free(m->group_by);
	free(m->name);
	free(m->field);
	free(m->unit);
	expr_free(m->expr);
	for (j = 0; j < m->nfilter; j++) {
		for (k = 0; k < m->filter[j].nvals; k++)
			free(m->filter[j].vals[k]);
		free(m->filter[j].vals);
		free(m->filter[j].path);
	}
	free(m->filter);
}

void
meters_load(struct meters *ms, const char *path)
{
	struct jrec jr;
	struct mload ld = { ms, &jr, 0 };
	json_t *list, *o;
	struct mlist *ml;
	size_t len, i, j, k;
	char *text;

	memset(ms, 0, sizeof(*ms));
	ms->path = path;
	hmap_init(&ms->by_type);
	text = slurp(path, "meters file", METERS_MAXFILE, &len);
	jrec_init(&jr, JREC_MAXDEPTH_DEFAULT);
	if (jrec_parse(&jr, text, len) < 0)
		die(EX_CONFIG, "meters file '%s': %s", path, jr.msg);
	if (json_object_get(jr.root, "schema") != NULL &&
	    jrec_check_schema(&jr, 1) < 0)
		die(EX_CONFIG, "meters file '%s': %s", path, jr.msg);
	list = json_object_get(jr.root, "meters");
	if (!json_is_array(list) || json_array_size(list) == 0)
		die(EX_CONFIG, "meters file '%s' needs a non-empty list "
		    "\"meters\"", path);
	ms->v = xcalloc(json_array_size(list), sizeof(*ms->v));
	json_array_foreach(list, i, o) {
		if (meter_load(&ld, i, o, &ms->v[ms->n]) < 0) {
			meter_free(&ms->v[ms->n]);
			continue;
		}
		for (j = 0; j < ms->n; j++)
			if (strcmp(ms->v[j].name, ms->v[ms->n].name) == 0) {
				merr(&ld, i, ms->v[ms->n].name, "the name is "
				    "already used by meters[%zu]",
				    ms->v[j].idx);
				break;
			}
		if (j < ms->n) {
			meter_free(&ms->v[ms->n]);
			continue;
		}
		if (ms->v[ms->n].agg == AG_WSUM || ms->v[ms->n].recurring)
			ms->gauges = 1;
		ms->n++;
	}
	if (ld.nerr > METERS_MAXERR)
		warnmsg("%s: %d more errors not shown", path,
		    ld.nerr - METERS_MAXERR);
	if (ld.nerr > 0)
		die(EX_CONFIG, "meters file '%s' has %d error%s", path,
		    ld.nerr, ld.nerr == 1 ? "" : "s");

	/* type -> meters, in file order */
	for (i = 0; i < ms->n; i++)
		for (j = 0; j < ms->v[i].ntypes; j++) {
			const char *t = ms->v[i].types[j];
			void **ref = hmap_ref(&ms->by_type, t, strlen(t));
			struct mlist *old = *ref;

			k = old ? old->n : 0;
			ml = xmalloc(sizeof(*ml) + (k + 1) * sizeof(ml->m[0]));
			if (old != NULL)
				memcpy(ml->m, old->m, k * sizeof(ml->m[0]));
			ml->m[k] = &ms->v[i];
			ml->n = k + 1;
			free(old);
			*ref = ml;
		}
	jrec_free(&jr);
	free(text);
}

const struct mlist *
meters_for(const struct meters *ms, const char *type, size_t len)
{
	return hmap_getn(&ms->by_type, type, len);
}

void
meters_free(struct meters *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		meter_free(&ms->v[i]);
	for (i = 0; i < ms->by_type.cap; i++)
		if (ms->by_type.t[i].key != NULL)
			free(ms->by_type.t[i].val);
	hmap_free(&ms->by_type);
	free(ms->v);
}
