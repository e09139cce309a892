/*
 * fxtab.c: load and check the FX table; find a day's rate; convert.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "currency.h"
#include "fxtab.h"
#include "jval.h"
#include "tm.h"
#include "util.h"

#define FX_MAXFILE	(16 * 1024 * 1024)

void
fxtab_load(struct fxtab *fx, const char *path)
{
	static const char *const keys[] = { "schema", "rates", "description",
	    NULL };
	static const char *const rkeys[] = { "date", "from", "to", "rate",
	    "source", NULL };
	struct conf cf;
	struct fxrate *f;
	json_t *list, *o;
	const char *s, *why;
	char day[40];
	int64_t t;
	size_t i, j;

	memset(fx, 0, sizeof(*fx));
	fx->path = path;
	conf_open(&cf, path, "FX table", FX_MAXFILE);
	conf_unknown(&cf, cf.root, keys, NULL, NULL);
	list = json_object_get(cf.root, "rates");
	if (!json_is_array(list))
		die(EX_CONFIG, "FX table '%s' needs a list \"rates\"", path);
	fx->v = xcalloc(json_array_size(list) + 1, sizeof(*fx->v));
	json_array_foreach(list, i, o) {
		f = &fx->v[fx->n];
		conf_where(&cf, "rates[%zu]", i);
		if (!json_is_object(o)) {
			conf_err(&cf, "a rate must be an object");
			continue;
		}
		conf_unknown(&cf, o, rkeys, NULL, NULL);
		s = jval_str(o, "date");
		snprintf(day, sizeof(day), "%.10sT00:00:00Z", s ? s : "");
		if (s == NULL || strlen(s) != 10 ||
		    tm_parse(day, strlen(day), &t, &why) < 0) {
			conf_err(&cf, "date must be a day like \"2026-10-31\"");
			continue;
		}
		f->day = t / TM_NS_PER_SEC / 86400;
		s = jval_str(o, "from");
		if (s == NULL || !cur_valid(s)) {
			conf_err(&cf, "from must be an ISO 4217 code");
			continue;
		}
		memcpy(f->from, s, 4);
		s = jval_str(o, "to");
		if (s == NULL || !cur_valid(s)) {
			conf_err(&cf, "to must be an ISO 4217 code");
			continue;
		}
		memcpy(f->to, s, 4);
		if (conf_dec(&cf, o, "rate", 1, 1, &f->rate) < 0)
			continue;
		for (j = 0; j < fx->n; j++)
			if (fx->v[j].day == f->day &&
			    strcmp(fx->v[j].from, f->from) == 0 &&
			    strcmp(fx->v[j].to, f->to) == 0)
				conf_err(&cf, "rates[%zu] is for the same day "
				    "and currencies", j);
		fx->n++;
	}
	conf_done(&cf);
	conf_close(&cf);
}

void
fxtab_free(struct fxtab *fx)
{
	free(fx->v);
	memset(fx, 0, sizeof(*fx));
}

const struct fxrate *
fxtab_find(const struct fxtab *fx, const char *from, const char *to,
    int64_t day)
{
	const struct fxrate *best = NULL;
	size_t i;

	for (i = 0; i < fx->n; i++)
		if (strcmp(fx->v[i].from, from) == 0 &&
		    strcmp(fx->v[i].to, to) == 0 && fx->v[i].day <= day &&
		    (best == NULL || fx->v[i].day > best->day))
			best = &fx->v[i];
	return best;
}

int
fxtab_amount(const struct fxrate *r, dec amount, int minor, dec *out)
{
	dec t;
	int e;

	if ((e = dec_mul(amount, r->rate, &t)) != 0)
		return e;
	return dec_round(t, minor, DEC_HALF_UP, out);
}
