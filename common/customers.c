/*
 * customers.c: load the customer master (NDJSON or CSV) and index it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "csvr.h"
#include "currency.h"
#include "customers.h"
#include "entities.h"
#include "jrec.h"
#include "lines.h"
#include "tz.h"
#include "util.h"

#define CUST_MAXERR 20

static const char *const required[] = {
	"id", "subjects", "entity", "currency", "country", "timezone"
};
#define NREQUIRED (sizeof(required) / sizeof(required[0]))

struct loader {
	struct custdb	*db;
	int		 nerr;
};

static void
cerr(struct loader *ld, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cerr(struct loader *ld, uint64_t line, const char *fmt, ...)
{
	va_list ap;

	if (ld->nerr++ >= CUST_MAXERR)
		return;
	fprintf(stderr, "%s: %s:%llu: ", progname, ld->db->path,
	    (unsigned long long)line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *
field_str(struct loader *ld, uint64_t line, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL) {
		cerr(ld, line, "missing field '%s'", k);
		return NULL;
	}
	if (!json_is_string(v) ||
	    !conf_plain_str(json_string_value(v), SIZE_MAX)) {
		cerr(ld, line, "field '%s' must be a non-empty string", k);
		return NULL;
	}
	return json_string_value(v);
}

/* 1..31 from a JSON integer or (CSV) a string of digits; else 0. */
static int
billing_anchor(json_t *v)
{
	const char *s;
	long n = 0;

	if (json_is_number(v)) {	/* jrec reads every number as real */
		double d = json_number_value(v);

		if (d < 1 || d > 31 || (double)(long)d != d)
			return 0;
		n = (long)d;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		for (; *s >= '0' && *s <= '9' && n < 100; s++)
			n = n * 10 + (*s - '0');
		if (*s != '\0')
			return 0;
	}
	return n >= 1 && n <= 31 ? (int)n : 0;
}

static void
cust_add(struct loader *ld, uint64_t line, json_t *o)
{
	struct custdb *db = ld->db;
	struct customer *c, *other;
	const char *id, *entity, *cur, *country, *zone, *why;
	json_t *subj, *e;
	const struct tz *tz;
	char path[256];
	size_t i, j;
	int bad = 0, anchor;

	id = field_str(ld, line, o, "id");
	entity = field_str(ld, line, o, "entity");
	cur = field_str(ld, line, o, "currency");
	country = field_str(ld, line, o, "country");
	zone = field_str(ld, line, o, "timezone");
	if (!id || !entity || !cur || !country || !zone)
		bad = 1;
	if (cur && !cur_valid(cur)) {
		cerr(ld, line, "currency '%s' is not an ISO 4217 code", cur);
		bad = 1;
	}
	if (country && (strlen(country) != 2 || !isupper((unsigned char)
	    country[0]) || !isupper((unsigned char)country[1]))) {
		cerr(ld, line, "country '%s' is not an ISO 3166 alpha-2 code "
		    "like \"DE\"", country);
		bad = 1;
	}
	tz = NULL;
	if (zone && (tz = tz_set_get(&db->zones, zone, &why)) == NULL) {
		cerr(ld, line, "timezone '%s': %s", zone, why);
		bad = 1;
	}
	subj = json_object_get(o, "subjects");
	if (subj == NULL) {
		cerr(ld, line, "missing field 'subjects'");
		bad = 1;
	} else if (!json_is_array(subj)) {
		cerr(ld, line, "field 'subjects' must be an array of strings");
		bad = 1;
	} else
		json_array_foreach(subj, i, e)
			if (!json_is_string(e) || !conf_plain_str(
			    json_string_value(e), SIZE_MAX)) {
				cerr(ld, line, "subjects[%zu] must be a "
				    "non-empty string", i);
				bad = 1;
			}
	anchor = 0;
	if ((e = json_object_get(o, "billing_anchor")) != NULL &&
	    !json_is_null(e) && !(json_is_string(e) &&
	    json_string_length(e) == 0) &&	/* CSV: an empty cell */
	    (anchor = billing_anchor(e)) == 0) {
		cerr(ld, line, "billing_anchor must be a day of the month "
		    "from 1 to 31");
		bad = 1;
	}
	/* the electronic address of --format ubl; a CSV's empty cell: none */
	if ((e = json_object_get(o, "peppol_id")) != NULL && !json_is_null(e) &&
	    !(json_is_string(e) && json_string_length(e) == 0) &&
	    !(json_is_string(e) && peppol_id(json_string_value(e)))) {
		cerr(ld, line, "peppol_id '%s' is not an electronic address as "
		    "SCHEME:ID with a 4-digit scheme, like "
		    "\"0088:5790000435975\"", json_is_string(e) ?
		    json_string_value(e) : "(not a string)");
		bad = 1;
	}
	if ((e = json_object_get(o, "address")) != NULL &&
	    conf_number_in(e, "address", path, sizeof(path))) {
		cerr(ld, line, "%s must be a string", path);
		bad = 1;
	}
	if (id && (other = hmap_get(&db->by_id, id)) != NULL) {
		cerr(ld, line, "customer '%s' is already defined on line %llu",
		    id, (unsigned long long)other->line);
		bad = 1;
	}
	if (bad)
		return;

	c = xcalloc(1, sizeof(*c));
	c->id = xstrdup(id);
	c->entity = xstrdup(entity);
	c->currency = xstrdup(cur);
	c->country = xstrdup(country);
	c->timezone = xstrdup(zone);
	c->tz = tz;
	c->anchor = anchor;
	c->line = line;
	c->obj = json_incref(o);
	c->subjects = xreallocarray(NULL, json_array_size(subj) + 1,
	    sizeof(char *));
	json_array_foreach(subj, i, e) {
		const char *s = json_string_value(e);

		for (j = 0; j < c->nsubjects; j++)
			if (strcmp(c->subjects[j], s) == 0)
				break;
		if (j < c->nsubjects)
			continue;	/* listed twice for one account */
		other = hmap_get(&db->by_subject, s);
		if (other != NULL) {
			cerr(ld, line, "subject '%s' maps to both '%s' (line "
			    "%llu) and '%s'", s, other->id,
			    (unsigned long long)other->line, id);
			continue;
		}
		c->subjects[c->nsubjects++] = xstrdup(s);
		hmap_put(&db->by_subject, s, c);
	}
	hmap_put(&db->by_id, id, c);
	db->v = xreallocarray(db->v, db->n + 1, sizeof(*db->v));
	db->v[db->n++] = c;
}

/* CSV: build the same object an NDJSON line would give. */
static json_t *
csv_object(struct loader *ld, struct csvr *cr, char **hdr, size_t nhdr)
{
	json_t *o, *arr;
	const char *s, *bar;
	size_t i;

	if (cr->nf != nhdr) {
		cerr(ld, cr->line, "%zu fields, the header has %zu", cr->nf,
		    nhdr);
		return NULL;
	}
	o = json_object();
	for (i = 0; i < nhdr; i++) {
		/*
		 * "address.city" and its kin: a member of the object
		 * "address", as NDJSON has it; an empty cell is none
		 */
		if (strncmp(hdr[i], "address.", 8) == 0 && hdr[i][8] != '\0') {
			if (cr->flen[i] == 0)
				continue;
			if ((arr = json_object_get(o, "address")) == NULL)
				json_object_set_new(o, "address",
				    arr = json_object());
			json_object_set_new(arr, hdr[i] + 8,
			    json_stringn(cr->f[i], cr->flen[i]));
			continue;
		}
		if (strcmp(hdr[i], "subjects") != 0) {
			json_object_set_new(o, hdr[i],
			    json_stringn(cr->f[i], cr->flen[i]));
			continue;
		}
		arr = json_array();
		for (s = cr->f[i]; *s != '\0'; s = bar + 1) {
			bar = strchr(s, '|');
			if (bar == NULL)
				bar = s + strlen(s);
			json_array_append_new(arr,
			    json_stringn(s, (size_t)(bar - s)));
			if (*bar == '\0')
				break;
		}
		json_object_set_new(o, "subjects", arr);
	}
	return o;
}

static int
is_csv(const char *path, struct lr *r)
{
	size_t n = strlen(path);

	if (n >= 4 && strcmp(path + n - 4, ".csv") == 0)
		return 1;
	if (n >= 7 && strcmp(path + n - 7, ".ndjson") == 0)
		return 0;
	return r->len > 0 && r->line[0] != '{';
}

void
cust_load(struct custdb *db, const char *path)
{
	struct loader ld = { db, 0 };
	char *files[1], **hdr = NULL;
	size_t nhdr = 0, i, k;
	struct jrec jr;
	struct csvr cr;
	struct lr r;
	json_t *o;
	int csv = -1, rc;

	memset(db, 0, sizeof(*db));
	db->path = path;
	hmap_init(&db->by_subject);
	hmap_init(&db->by_id);
	tz_set_init(&db->zones);
	files[0] = (char *)path;
	lr_init(&r, 1, files, 0);
	jrec_init(&jr, 0);
	csvr_init(&cr);
	while (lr_next(&r)) {
		if (lr_blank(r.line, r.len))
			continue;
		if (csv < 0)
			csv = is_csv(path, &r);
		if (r.flags & LR_TOOLONG) {
			cerr(&ld, r.lineno, "line longer than %zu bytes",
			    r.maxlen);
			continue;
		}
		if (!csv) {
			if (jrec_parse(&jr, r.line, r.len) < 0) {
				cerr(&ld, r.lineno, "%s: %s", jr.code, jr.msg);
				continue;
			}
			cust_add(&ld, r.lineno, jr.root);
			continue;
		}
		if ((rc = csvr_feed(&cr, r.line, r.len, r.rawlen, r.lineno)) < 0) {
			cerr(&ld, r.lineno, "CSV syntax error: %s",
			    csv_strerror(csv_error(&cr.p)));
			csvr_reset(&cr);
			continue;
		}
		if (rc == 0)
			continue;
		if (hdr == NULL) {
			nhdr = cr.nf;
			hdr = xcalloc(nhdr, sizeof(*hdr));
			for (i = 0; i < nhdr; i++)
				hdr[i] = xstrdup(cr.f[i]);
			for (k = 0; k < NREQUIRED; k++) {
				for (i = 0; i < nhdr; i++)
					if (strcmp(hdr[i], required[k]) == 0)
						break;
				if (i == nhdr)
					cerr(&ld, cr.line, "header has no "
					    "column '%s'", required[k]);
			}
			if (ld.nerr)
				break;
			continue;
		}
		if ((o = csv_object(&ld, &cr, hdr, nhdr)) == NULL)
			continue;
		cust_add(&ld, cr.line, o);
		json_decref(o);
	}
	if (cr.inrec)
		cerr(&ld, cr.line, "CSV record not terminated (open quote)");
	if (r.failed)
		die(EX_NOINPUT, "cannot read the customer master '%s'", path);
	for (i = 0; i < nhdr; i++)
		free(hdr[i]);
	free(hdr);
	csvr_free(&cr);
	jrec_free(&jr);
	lr_free(&r);
	if (ld.nerr > CUST_MAXERR)
		warnmsg("%s: %d more errors not shown", path,
		    ld.nerr - CUST_MAXERR);
	if (ld.nerr)
		die(EX_CONFIG, "customer master '%s' has %d error%s", path,
		    ld.nerr, ld.nerr == 1 ? "" : "s");
}

void
cust_free(struct custdb *db)
{
	size_t i, j;

	for (i = 0; i < db->n; i++) {
		struct customer *c = db->v[i];

		for (j = 0; j < c->nsubjects; j++)
			free(c->subjects[j]);
		free(c->subjects);
		free(c->id);
		free(c->entity);
		free(c->currency);
		free(c->country);
		free(c->timezone);
		json_decref(c->obj);
		free(c);
	}
	free(db->v);
	tz_set_free(&db->zones);
	hmap_free(&db->by_subject);
	hmap_free(&db->by_id);
}

const struct customer *
cust_by_subject(const struct custdb *db, const char *s, size_t n)
{
	return hmap_getn(&db->by_subject, s, n);
}

const struct customer *
cust_by_id(const struct custdb *db, const char *id)
{
	return hmap_get(&db->by_id, id);
}
