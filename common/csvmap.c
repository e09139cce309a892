/*
 * csvmap.c: the column mapping of CSV event exports (see csvmap.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csvmap.h"
#include "dec.h"
#include "jw.h"
#include "util.h"

static const char *const attrs[] = {
	"id", "source", "type", "subject", "time", "correlationid",
	"amends", "cancels"	/* corrections: an empty cell, neither */
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

static int
fail(struct csvmap_err *e, const char *code, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(struct csvmap_err *e, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int
is_field(const char *name)
{
	size_t k;

	if (strncmp(name, "data.", 5) == 0)
		return name[5] != '\0' && name[strlen(name) - 1] != '.';
	for (k = 0; k < NATTRS; k++)
		if (strcmp(name, attrs[k]) == 0)
			return 1;
	return 0;
}

static void
add(struct csvmap *m, const char *field, const char *column, int number,
    int col, int explicit)
{
	struct colmap *c;

	m->map = xreallocarray(m->map, m->nmap + 1, sizeof(*m->map));
	c = &m->map[m->nmap++];
	c->field = xstrdup(field);
	c->column = xstrdup(column);
	c->number = number;
	c->col = col;
	c->explicit = explicit;
}

int
csvmap_spec(struct csvmap *m, const char *spec, struct csvmap_err *e)
{
	char *copy = xstrdup(spec), *rest = copy, *item, *eq, *colon;
	int number, rc = 0;

	while (rc == 0 && (item = strsep(&rest, ",")) != NULL) {
		if (*item == '\0')
			continue;
		if ((eq = strchr(item, '=')) == NULL || eq == item ||
		    eq[1] == '\0') {
			rc = fail(e, "usage", "", "'%s' is not FIELD=COLUMN",
			    item);
			break;
		}
		*eq = '\0';
		number = 0;
		if ((colon = strchr(item, ':')) != NULL) {
			if (strncmp(item, "data.", 5) != 0) {
				rc = fail(e, "usage", item, "only data.* "
				    "fields take a type");
				break;
			}
			if (strcmp(colon, ":number") == 0)
				number = 1;
			else if (strcmp(colon, ":string") != 0) {
				rc = fail(e, "usage", item, "unknown type "
				    "'%s'", colon);
				break;
			}
			*colon = '\0';
		}
		if (!is_field(item)) {
			rc = fail(e, "usage", item, "unknown field '%s'", item);
			break;
		}
		add(m, item, eq + 1, number, -1, 1);
	}
	free(copy);
	return rc;
}

int
csvmap_header(struct csvmap *m, const struct csvr *c, struct csvmap_err *e)
{
	size_t i, j, n;
	char *name, *colon;
	int number, taken, depth, maxdepth;

	/* forget the columns the previous file's header mapped itself */
	for (i = n = 0; i < m->nmap; i++) {
		if (m->map[i].explicit) {
			m->map[n] = m->map[i];
			m->map[n++].col = -1;
		} else {
			free(m->map[i].field);
			free(m->map[i].column);
		}
	}
	m->nmap = n;
	for (i = 0; i < m->nmap; i++) {
		for (j = 0; j < c->nf; j++)
			if (strcmp(m->map[i].column, c->f[j]) == 0)
				m->map[i].col = (int)j;
		if (m->map[i].col < 0)
			return fail(e, "csv_header", m->map[i].field,
			    "--csv-map names column '%s', which the header "
			    "does not have", m->map[i].column);
	}
	/* then the columns that name a field themselves */
	for (j = 0; j < c->nf; j++) {
		name = xstrdup(c->f[j]);
		number = 0;
		if ((colon = strchr(name, ':')) != NULL &&
		    strncmp(name, "data.", 5) == 0) {
			number = strcmp(colon, ":number") == 0;
			*colon = '\0';
		}
		taken = !is_field(name);
		for (i = 0; i < m->nmap && !taken; i++)
			if (strcmp(m->map[i].field, name) == 0 ||
			    m->map[i].col == (int)j)
				taken = 1;	/* mapped explicitly */
		if (!taken)
			add(m, name, c->f[j], number, (int)j, 0);
		free(name);
	}
	m->ncols = 0;
	for (i = 0; i < m->nmap; i++)
		if ((size_t)m->map[i].col + 1 > m->ncols)
			m->ncols = (size_t)m->map[i].col + 1;
	/*
	 * The event a row makes is checked as a parsed one is not: its
	 * depth is the event (1), data (2) and an object a dot (data.a.b:
	 * 3), and the canonical writer stops at 128.
	 */
	maxdepth = m->maxdepth > 0 ? m->maxdepth : JREC_MAXDEPTH_DEFAULT;
	for (i = 0; i < m->nmap; i++) {
		if (strncmp(m->map[i].field, "data.", 5) != 0)
			continue;
		for (depth = 2, name = m->map[i].field + 5; *name; name++)
			depth += *name == '.';
		if (depth > maxdepth)
			return fail(e, "csv_header", m->map[i].field, "column "
			    "'%.64s' maps a data path nested %d levels deep, "
			    "deeper than %d (--max-depth)", m->map[i].column,
			    depth, maxdepth);
	}
	return 0;
}

/* Set data.a.b = v, creating the objects on the way. */
static int
set_path(json_t *data, const char *path, json_t *v)
{
	char *copy = xstrdup(path), *seg = copy, *dot;
	json_t *o = data, *next;

	while ((dot = strchr(seg, '.')) != NULL) {
		*dot = '\0';
		next = json_object_get(o, seg);
		if (next == NULL) {
			next = json_object();
			json_object_set_new(o, seg, next);
		} else if (!json_is_object(next)) {
			free(copy);
			json_decref(v);
			return -1;
		}
		o = next;
		seg = dot + 1;
	}
	if (json_object_get(o, seg) != NULL) {
		free(copy);
		json_decref(v);
		return -1;
	}
	json_object_set_new(o, seg, v);
	free(copy);
	return 0;
}

int
csvmap_row(const struct csvmap *m, const struct csvr *c, struct jrec *jr,
    struct csvmap_err *e)
{
	const struct colmap *cm;
	json_t *o, *data, *v;
	const char *cell;
	size_t i, len;
	dec d;
	int err;

	if (c->nf < m->ncols)
		return fail(e, "csv_column_count", "", "row has %zu fields, "
		    "the mapped columns need %zu", c->nf, m->ncols);
	o = json_object();
	data = json_object();
	json_object_set_new(o, "data", data);
	jrec_adopt(jr, o);
	for (i = 0; i < m->nmap; i++) {
		cm = &m->map[i];
		cell = c->f[cm->col];
		len = c->flen[cm->col];
		if (!jw_utf8_valid(cell, len))
			return fail(e, "invalid_utf8", cm->field, "column '%s' "
			    "is not valid UTF-8", cm->column);
		if (strncmp(cm->field, "data.", 5) != 0) {
			if (len > 0)
				json_object_set_new(o, cm->field,
				    json_stringn(cell, len));
			continue;
		}
		if (len == 0)
			continue;	/* an empty cell is an absent property */
		if (cm->number) {
			if ((err = dec_parse(cell, len, &d)) != DEC_OK)
				return fail(e, err == DEC_ESYNTAX ?
				    "invalid_number" : err == DEC_ERANGE ?
				    "number_out_of_range" : "number_inexact",
				    cm->field, "column '%s' value '%.64s' is "
				    "not an exact decimal number: %s",
				    cm->column, cell, dec_strerror(err));
			v = json_real(0);
			jrec_addnum(jr, v, d);
		} else
			v = json_stringn(cell, len);
		if (set_path(data, cm->field + 5, v) < 0)
			return fail(e, "invalid_field", cm->field, "'%s' is "
			    "mapped twice, or as a value and an object",
			    cm->field);
	}
	if (json_object_get(o, "source") == NULL && m->source != NULL)
		json_object_set_new(o, "source", json_string(m->source));
	return 0;
}

void
csvmap_free(struct csvmap *m)
{
	size_t i;

	for (i = 0; i < m->nmap; i++) {
		free(m->map[i].field);
		free(m->map[i].column);
	}
	free(m->map);
	m->map = NULL;
	m->nmap = 0;
}
