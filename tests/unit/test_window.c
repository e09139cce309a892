/*
 * test_window.c: TAP tests of window.c: the syntax of posting windows,
 * what is refused, and whether instants are in them on a zone's wall
 * clock, with the next opening, worked by hand from a calendar
 * (2026-11-06 is a Friday; New York is at -05:00 from 2026-11-01).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tm.h"
#include "tz.h"
#include "window.h"
#include "tap.h"

static int64_t
T(const char *s)
{
	const char *why;
	int64_t t;

	if (tm_parse(s, strlen(s), &t, &why) < 0) {
		printf("# bad time %s: %s\n", s, why);
		return 0;
	}
	return t;
}

/* "open" or "closed until TIME" of t, on zone's clock */
static void
check(const struct winset *s, const struct tz *zone, const char *at,
    const char *want)
{
	char got[80], when[TM_FMTMAX];
	int64_t next;

	if (win_open(s, zone, T(at), &next))
		snprintf(got, sizeof(got), "open");
	else {
		tm_fmt_zone(next, zone, when, sizeof(when));
		snprintf(got, sizeof(got), "closed until %s", when);
	}
	ok(strcmp(got, want) == 0, "%s: %s%s%s", at, want,
	    strcmp(got, want) ? ", got " : "", strcmp(got, want) ? got : "");
}

static void
bad(const char *text, const char *want)
{
	struct winset s = { 0 };
	const char *why = "";

	ok(win_add(&s, text, &why) == -1 && strcmp(why, want) == 0,
	    "'%s' refused: %s (%s)", text, want, why);
	win_free(&s);
}

int
main(void)
{
	struct winset s = { 0 };
	const struct tz *ny;
	const char *why;

	ny = tz_load("America/New_York", &why);
	ok(ny != NULL, "New York's zone loads");
	ok(win_add(&s, "Mon-Fri 06:00-20:00", &why) == 0, "Mon-Fri 06:00-20:00");
	check(&s, ny, "2026-11-06T11:00:00Z", "open");		/* Fri 06:00 */
	check(&s, ny, "2026-11-06T10:59:59Z",
	    "closed until 2026-11-06T06:00:00-05:00");
	check(&s, ny, "2026-11-07T00:59:59Z", "open");		/* 19:59:59 */
	check(&s, ny, "2026-11-07T01:00:00Z",			/* Fri 20:00 */
	    "closed until 2026-11-09T06:00:00-05:00");
	check(&s, ny, "2026-11-08T15:00:00Z",			/* Sunday */
	    "closed until 2026-11-09T06:00:00-05:00");
	/* the same instant in UTC: Friday 11:00, open */
	check(&s, NULL, "2026-11-06T11:00:00Z", "open");
	check(&s, NULL, "2026-11-07T01:00:00Z",
	    "closed until 2026-11-09T06:00:00Z");
	/* a second window: Saturday morning too */
	ok(win_add(&s, "Sat 08:00-12:00", &why) == 0, "Sat 08:00-12:00");
	check(&s, ny, "2026-11-07T01:00:00Z",
	    "closed until 2026-11-07T08:00:00-05:00");
	check(&s, ny, "2026-11-07T14:00:00Z", "open");		/* Sat 09:00 */
	win_free(&s);

	/* over midnight, over the week's end, every day */
	ok(win_add(&s, "Fri-Mon 22:00-02:00", &why) == 0, "Fri-Mon 22:00-02:00");
	check(&s, NULL, "2026-11-06T23:00:00Z", "open");	/* Fri 23:00 */
	check(&s, NULL, "2026-11-10T01:00:00Z", "open");	/* Tue 01:00 */
	check(&s, NULL, "2026-11-11T01:00:00Z",			/* Wed 01:00 */
	    "closed until 2026-11-13T22:00:00Z");
	win_free(&s);
	ok(win_add(&s, "00:00-24:00", &why) == 0, "00:00-24:00");
	check(&s, ny, "2026-11-08T04:59:59Z", "open");
	win_free(&s);
	ok(win_add(&s, "Mon,Wed 09:00-10:00", &why) == 0, "Mon,Wed 09:00-10:00");
	check(&s, NULL, "2026-11-10T09:30:00Z",
	    "closed until 2026-11-11T09:00:00Z");
	win_free(&s);
	/* on the day the clock goes back: 01:30 comes twice */
	ok(win_add(&s, "Sun 01:00-01:45", &why) == 0, "Sun 01:00-01:45");
	check(&s, ny, "2026-11-01T06:30:00Z", "open");		/* 01:30 EST */

	bad("Mon-Fri 6:00-20:00",
	    "the hours must be like 06:00-20:00 (00:00 to 24:00)");
	bad("Mon-Fri 06:00-24:30",
	    "the hours must be like 06:00-20:00 (00:00 to 24:00)");
	bad("Mon-Fry 06:00-20:00",
	    "the days must be like Mon-Fri, Mon,Wed,Fri or *");
	bad("Mon- 06:00-20:00", "the days must be like Mon-Fri, Mon,Wed,Fri or *");
	bad("* 06:00-06:00", "the window is empty (its start is its end)");
	win_free(&s);
	tz_free((struct tz *)ny);
	return tap_done();
}
