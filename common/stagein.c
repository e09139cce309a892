/*
 * stagein.c: read a stage's NDJSON input, line by line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stagein.h"

void
si_init(struct stagein *si, int nfiles, char **files, size_t max_line,
    int max_depth, struct rej *rej)
{
	memset(si, 0, sizeof(*si));
	si->rej = rej;
	si->max_line = max_line;
	jrec_init(&si->jr, max_depth);
	lr_init(&si->lr, nfiles, files, max_line);
}

void
si_free(struct stagein *si)
{
	lr_free(&si->lr);
	jrec_free(&si->jr);
}

void
si_reject(struct stagein *si, const char *cls, const char *code,
    const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rej_add(si->rej, &si->s, cls, code, field, "%s", msg);
	si->rejected++;
}

void
si_each(struct stagein *si, void (*cb)(struct stagein *, void *), void *arg)
{
	struct lr *l = &si->lr;
	struct jrec *jr = &si->jr;

	while (si->pending ? (si->pending = 0, 1) : lr_next(l)) {
		if (lr_blank(l->line, l->len)) {
			si->blank++;
			continue;
		}
		si->read++;
		si->s.file = l->name;
		si->s.line = l->lineno;
		si->s.raw = l->line;
		si->s.rawlen = l->rawlen;
		si->s.truncated = (l->flags & LR_TOOLONG) != 0;
		si->s.fulllen = l->fulllen;
		if (l->flags & LR_TOOLONG)
			si_reject(si, RC_DATA, "line_too_long", "", "line of "
			    "%zu bytes is longer than the limit of %zu "
			    "(--max-line)", l->fulllen, si->max_line);
		else if (jrec_parse(jr, l->line, l->len) < 0) {
			if (l->flags & LR_NONL)	/* JSON is self-delimiting */
				si_reject(si, RC_DATA, "partial_line",
				    jr->field, "last line has no newline and "
				    "is not a complete record (%s)", jr->msg);
			else
				si_reject(si, RC_DATA, jr->code, jr->field,
				    "%s", jr->msg);
		} else
			cb(si, arg);
		jrec_clear(jr);
	}
}

void
si_first(struct stagein *si)
{
	si->pending = 1;
}
