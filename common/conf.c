/*
 * conf.c: the checks every configuration file shares.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "tm.h"
#include "util.h"

void
conf_open(struct conf *cf, const char *path, const char *what, size_t max)
{
	size_t len;

	memset(cf, 0, sizeof(*cf));
	cf->path = path;
	cf->what = what;
	cf->text = slurp(path, what, max, &len);
	jrec_init(&cf->jr, JREC_MAXDEPTH_DEFAULT);
	if (jrec_parse(&cf->jr, cf->text, len) < 0)
		die(EX_CONFIG, "%s '%s': %s", what, path, cf->jr.msg);
	if (json_object_get(cf->jr.root, "schema") != NULL &&
	    jrec_check_schema(&cf->jr, 1) < 0)
		die(EX_CONFIG, "%s '%s': %s", what, path, cf->jr.msg);
	cf->root = cf->jr.root;
}

void
conf_done(struct conf *cf)
{
	if (cf->nerr > CONF_MAXERR)
		warnmsg("%s: %d more errors not shown", cf->path,
		    cf->nerr - CONF_MAXERR);
	if (cf->nerr > 0)
		die(EX_CONFIG, "%s '%s' has %d error%s", cf->what, cf->path,
		    cf->nerr, cf->nerr == 1 ? "" : "s");
}

void
conf_close(struct conf *cf)
{
	jrec_free(&cf->jr);
	free(cf->text);
	cf->text = NULL;
	cf->root = NULL;
}

void
conf_err(struct conf *cf, const char *fmt, ...)
{
	va_list ap;

	if (cf->nerr++ >= CONF_MAXERR)
		return;
	fprintf(stderr, "%s: %s: %s%s", progname, cf->path, cf->where,
	    cf->where[0] ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
conf_where(struct conf *cf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cf->where, sizeof(cf->where), fmt, ap);
	va_end(ap);
}

void
conf_where_add(struct conf *cf, const char *fmt, ...)
{
	size_t n = strlen(cf->where);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cf->where + n, sizeof(cf->where) - n, fmt, ap);
	va_end(ap);
}

int
conf_plain_str(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
conf_plain(json_t *v, size_t max)
{
	const char *s;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return 0;
	return conf_plain_str(s, max);
}

const char *
conf_id(struct conf *cf, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL) {
		conf_err(cf, "%s is missing", k);
		return NULL;
	}
	if (!conf_plain(v, CONF_MAXID)) {
		conf_err(cf, "%s must be a non-empty string of at most %d "
		    "bytes", k, CONF_MAXID);
		return NULL;
	}
	return json_string_value(v);
}

int
conf_str(struct conf *cf, json_t *o, const char *k, size_t max,
    const char **out)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!conf_plain(v, max)) {
		conf_err(cf, "%s must be a non-empty string of at most %zu "
		    "bytes", k, max);
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

static int
listed(const char *const *l, const char *k)
{
	for (; l != NULL && *l != NULL; l++)
		if (strcmp(*l, k) == 0)
			return 1;
	return 0;
}

void
conf_unknown(struct conf *cf, json_t *o, const char *const *a,
    const char *const *b, const char *const *c)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
		if (!listed(a, k) && !listed(b, k) && !listed(c, k))
			conf_err(cf, "unknown property '%s'", k);
}

int
conf_dec(struct conf *cf, json_t *o, const char *k, int need, int sign,
    dec *d)
{
	json_t *v = json_object_get(o, k);
	const char *s;
	int bad;

	if (v == NULL || json_is_null(v)) {
		if (need)
			conf_err(cf, "%s is missing", k);
		return need ? -1 : 1;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		bad = dec_parse(s, json_string_length(v), d) != DEC_OK;
	} else
		bad = !json_is_number(v) || jrec_num(&cf->jr, v, d) < 0;
	if (bad) {
		conf_err(cf, "%s must be a decimal number, best written as a "
		    "string like \"12.50\"", k);
		return -1;
	}
	if (sign > 0 && dec_sign(*d) <= 0) {
		conf_err(cf, "%s must be greater than 0", k);
		return -1;
	}
	if (sign == 0 && dec_sign(*d) < 0) {
		conf_err(cf, "%s must not be negative", k);
		return -1;
	}
	return 0;
}

int
conf_time(struct conf *cf, json_t *o, const char *k, int need, int64_t *t)
{
	json_t *v = json_object_get(o, k);
	const char *why;

	if (v == NULL || json_is_null(v)) {
		if (need)
			conf_err(cf, "%s is missing", k);
		return need ? -1 : 1;
	}
	if (!json_is_string(v) || tm_parse(json_string_value(v),
	    json_string_length(v), t, &why) < 0) {
		conf_err(cf, "%s must be an RFC 3339 time like "
		    "\"2026-01-01T00:00:00Z\"", k);
		return -1;
	}
	return 0;
}

void
conf_round(struct conf *cf, json_t *o, const char *k, enum dec_round *r)
{
	json_t *v = json_object_get(o, k);
	int m;

	if (v == NULL)
		return;
	m = json_is_string(v) ? dec_parse_round(json_string_value(v)) : -1;
	if (m < 0)
		conf_err(cf, "%s must be one of half-up, half-even, up, down, "
		    "ceiling, floor", k);
	else
		*r = (enum dec_round)m;
}

void
conf_bool(struct conf *cf, json_t *o, const char *k, int *b)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL)
		return;
	if (!json_is_boolean(v))
		conf_err(cf, "%s must be true or false", k);
	else
		*b = json_is_true(v);
}

int
conf_number_in(json_t *v, const char *name, char *path, size_t len)
{
	char sub[512];
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_number(v)) {
		snprintf(path, len, "%s", name);
		return 1;
	}
	if (json_is_object(v))
		json_object_foreach(v, k, e) {
			snprintf(sub, sizeof(sub), "%s.%s", name, k);
			if (conf_number_in(e, sub, path, len))
				return 1;
		}
	if (json_is_array(v))
		json_array_foreach(v, i, e) {
			snprintf(sub, sizeof(sub), "%s[%zu]", name, i);
			if (conf_number_in(e, sub, path, len))
				return 1;
		}
	return 0;
}
