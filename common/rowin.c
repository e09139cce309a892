/*
 * rowin.c: named fields from NDJSON or CSV.
 */
#include <stdlib.h>
#include <string.h>

#include "csvr.h"
#include "rowin.h"
#include "util.h"

#define ROWIN_MAX	16

struct rowin {
	struct stagein		*s;
	const struct rowin_spec	*sp;
	void			(*cb)(struct stagein *, const char *const *,
				    void *);
	void			*arg;
};

static void
json_row(struct stagein *s, void *arg)
{
	struct rowin *ri = arg;
	const char *vals[ROWIN_MAX];
	json_t *v;
	size_t i;

	for (i = 0; i < ri->sp->n; i++) {
		v = json_object_get(s->jr.root, ri->sp->names[i]);
		vals[i] = json_is_string(v) ? json_string_value(v) : NULL;
	}
	ri->cb(s, vals, ri->arg);
}

static void
set_src(struct stagein *s, const struct lr *l, const struct csvr *cr)
{
	s->s.file = l->name;
	s->s.line = cr->line;
	s->s.raw = cr->raw.p;
	s->s.rawlen = cr->raw.len;
	s->s.truncated = 0;
}

static void
csv_rows(struct rowin *ri)
{
	struct stagein *s = ri->s;
	const struct rowin_spec *sp = ri->sp;
	struct lr *l = &s->lr;
	const char *vals[ROWIN_MAX];
	int col[ROWIN_MAX], hdr = 0, r;
	struct csvr cr;
	size_t i, k;

	for (k = 0; k < sp->n; k++)
		col[k] = -1;
	csvr_init(&cr);
	do {
		if (!cr.inrec && lr_blank(l->line, l->len)) {
			s->blank++;
			continue;
		}
		if (l->flags & LR_TOOLONG) {
			s->read++;
			s->s.file = l->name;
			s->s.line = l->lineno;
			s->s.raw = l->line;
			s->s.rawlen = l->rawlen;
			s->s.truncated = 1;
			s->s.fulllen = l->fulllen;
			si_reject(s, RC_DATA, "line_too_long", "", "line of "
			    "%zu bytes is longer than the limit of %zu "
			    "(--max-line)", l->fulllen, s->max_line);
			csvr_reset(&cr);
			continue;
		}
		if ((r = csvr_feed(&cr, l->line, l->len, l->rawlen,
		    l->lineno)) == 0 && !(l->flags & LR_NONL))
			continue;
		set_src(s, l, &cr);
		if (!hdr) {
			for (i = 0; r > 0 && i < cr.nf; i++)
				for (k = 0; k < sp->n; k++)
					if (strcmp(cr.f[i], sp->names[k]) == 0)
						col[k] = (int)i;
			for (k = 0; k < sp->n; k++)
				if ((sp->required & (1u << k)) && col[k] < 0) {
					struct buf b = { 0 };

					for (i = 0; i < sp->n; i++)
						buf_printf(&b, "%s%s", i ?
						    ", " : "", sp->names[i]);
					die(EX_DATAERR, "%s: the first line "
					    "must name the columns: %s",
					    l->name, buf_cstr(&b));
				}
			hdr = 1;
			continue;
		}
		s->read++;
		if (r <= 0 || (l->flags & LR_NONL)) {
			si_reject(s, RC_DATA, r <= 0 && !(l->flags & LR_NONL) ?
			    "invalid_csv" : "partial_line", "", r <= 0 &&
			    !(l->flags & LR_NONL) ? "not a CSV record" :
			    "last line has no newline: the record may be "
			    "cut");
			csvr_reset(&cr);
			continue;
		}
		for (k = 0; k < sp->n; k++)
			vals[k] = col[k] >= 0 && col[k] < (int)cr.nf ?
			    cr.f[col[k]] : NULL;
		ri->cb(s, vals, ri->arg);
	} while (lr_next(l));
	csvr_free(&cr);
}

void
rowin_each(struct stagein *s, const struct rowin_spec *sp,
    void (*cb)(struct stagein *, const char *const *, void *), void *arg)
{
	struct rowin ri = { s, sp, cb, arg };
	struct lr *l = &s->lr;
	size_t i;

	if (sp->n > ROWIN_MAX)
		die(EX_SOFTWARE, "rowin: too many fields");
	/* the first non-blank line says NDJSON or CSV */
	while (lr_next(l)) {
		if (lr_blank(l->line, l->len)) {
			s->blank++;
			continue;
		}
		for (i = 0; i < l->len && (l->line[i] == ' ' ||
		    l->line[i] == '\t'); i++)
			;
		if (i < l->len && l->line[i] == '{') {
			si_first(s);	/* the line in hand, then the rest */
			si_each(s, json_row, &ri);
		} else
			csv_rows(&ri);
		return;
	}
}
