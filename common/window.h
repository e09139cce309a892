/*
 * window.h: posting windows, the hours in which erp-send(1) may post an
 * entity's entries, on the entity's wall clock (its time zone, tz.h).
 *
 * A window is written
 *
 *   [DAYS ]HH:MM-HH:MM
 *
 * DAYS a day (Mon Tue Wed Thu Fri Sat Sun), a range of days ("Mon-Fri",
 * "Fri-Mon" wraps over the week's end), a list of those separated by
 * commas ("Mon,Wed,Fri-Sat"), or "*" for every day, which is also what no
 * DAYS means.  The times are from 00:00 to 24:00, the start included and
 * the end not; an end before the start ends on the next day ("Fri
 * 22:00-02:00" is Friday night until Saturday 02:00).  An instant is in
 * a set of windows when it is in any of them.
 */
#ifndef WINDOW_H
#define WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "tz.h"

struct window {
	unsigned	 days;		/* bit d: Monday 0 .. Sunday 6 */
	int		 start, end;	/* minutes of the day, 0..1440 */
};

struct winset {
	struct window	*v;
	size_t		 n;
};

/* Add the window text to the set: 0, or -1 with *why. */
int	win_add(struct winset *, const char *text, const char **why);
void	win_free(struct winset *);
/*
 * Whether instant t (ns) is in a window of the set on the wall clock of
 * zone (NULL: UTC): 1, or 0 with *next the next instant one opens (a
 * week ahead at most; INT64_MAX for an empty set).
 */
int	win_open(const struct winset *, const struct tz *zone, int64_t t,
	    int64_t *next);

#endif
