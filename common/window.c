/*
 * window.c: posting windows on an entity's wall clock (see window.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tm.h"
#include "util.h"
#include "window.h"

static const char *const dnames[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat", "Sun" };

static int
day_of(const char *p)
{
	int d;

	for (d = 0; d < 7; d++)
		if (strncmp(p, dnames[d], 3) == 0)
			return d;
	return -1;
}

/* "Mon-Fri,Sun": the bits, or 0 */
static unsigned
parse_days(const char *p, size_t n)
{
	unsigned bits = 0;
	int a, b;

	if (n == 1 && *p == '*')
		return 0x7f;
	for (;;) {
		if (n < 3 || (a = day_of(p)) < 0)
			return 0;
		b = a;
		p += 3, n -= 3;
		if (n > 0 && *p == '-') {
			if (n < 4 || (b = day_of(p + 1)) < 0)
				return 0;
			p += 4, n -= 4;
		}
		for (;;) {
			bits |= 1u << a;
			if (a == b)
				break;
			a = (a + 1) % 7;
		}
		if (n == 0)
			return bits;
		if (*p != ',')
			return 0;
		p++, n--;
	}
}

/* "HH:MM" from 00:00 to 24:00: minutes, or -1 */
static int
parse_hm(const char *p)
{
	int h, m;

	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' ||
	    p[2] != ':' || p[3] < '0' || p[3] > '5' || p[4] < '0' ||
	    p[4] > '9')
		return -1;
	h = (p[0] - '0') * 10 + (p[1] - '0');
	m = (p[3] - '0') * 10 + (p[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

int
win_add(struct winset *s, const char *text, const char **why)
{
	struct window w;
	const char *sp = strchr(text, ' '), *t = text;

	w.days = 0x7f;
	if (sp != NULL) {
		if ((w.days = parse_days(text, (size_t)(sp - text))) == 0) {
			*why = "the days must be like Mon-Fri, Mon,Wed,Fri or *";
			return -1;
		}
		t = sp + 1;
	}
	if (strlen(t) != 11 || t[5] != '-' || (w.start = parse_hm(t)) < 0 ||
	    (w.end = parse_hm(t + 6)) < 0) {
		*why = "the hours must be like 06:00-20:00 (00:00 to 24:00)";
		return -1;
	}
	if (w.start == w.end) {
		*why = "the window is empty (its start is its end)";
		return -1;
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = w;
	return 0;
}

void
win_free(struct winset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int
has(const struct window *w, int64_t day)
{
	return (w->days >> tm_weekday(day)) & 1;
}

int
win_open(const struct winset *s, const struct tz *zone, int64_t t,
    int64_t *next)
{
	int64_t sec = tm_floordiv(t, TM_NS_PER_SEC), local, day, c, best;
	int min, d;
	size_t i;

	local = sec + (zone != NULL ? tz_offset(zone, sec) : 0);
	day = tm_floordiv(local, 86400);
	min = (int)((local - day * 86400) / 60);
	for (i = 0; i < s->n; i++) {
		const struct window *w = &s->v[i];

		if (w->start < w->end) {
			if (has(w, day) && min >= w->start && min < w->end)
				return 1;
		} else if ((has(w, day) && min >= w->start) ||
		    (has(w, day - 1) && min < w->end))
			return 1;
	}
	/*
	 * Closed: the first start after t, over the next eight days (a
	 * week, and the day a start in a gap of the clock moves to).
	 */
	best = INT64_MAX;
	for (d = 0; d <= 8; d++)
		for (i = 0; i < s->n; i++) {
			if (!has(&s->v[i], day + d))
				continue;
			c = (day + d) * 86400 + s->v[i].start * 60;
			c = zone != NULL ? tz_local_to_utc(zone, c, NULL) : c;
			if (c > sec && c < best / TM_NS_PER_SEC)
				best = c * TM_NS_PER_SEC;
		}
	*next = best;
	return 0;
}
