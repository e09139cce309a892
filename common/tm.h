/*
 * tm.h: instants, RFC 3339 text, the proleptic Gregorian calendar,
 * durations and billing periods.  No floating point, no libc time
 * functions, no global state: every function is thread-safe.
 *
 * An instant is an int64 count of nanoseconds since
 * 1970-01-01T00:00:00Z, ignoring leap seconds (POSIX time), so it spans
 * 1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z.
 */
#ifndef TM_H
#define TM_H

#include <stddef.h>
#include <stdint.h>

#define TM_NS_PER_SEC	1000000000LL
#define TM_FMTMAX	40	/* buffer always enough for tm_fmt* */

struct tz;

/*
 * RFC 3339 date-time over exactly n bytes:
 *	YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
 * 'T'/'t' and 'Z'/'z' accepted (no space separator); frac 1..9 digits;
 * year 0001..9999 in the syntax, but the instant must fit the int64
 * range above ("time out of range"); days checked against the month
 * (leap years included); second 60 (a leap second) refused; offset hours
 * <= 23, minutes <= 59; "-00:00" is UTC.  0, or -1 with *why a short
 * lowercase reason.
 */
int	 tm_parse(const char *s, size_t n, int64_t *out, const char **why);

/*
 * "YYYY-MM-DDTHH:MM:SS[.frac]Z": the fraction only when nonzero, without
 * trailing zeros.  Returns the length, or -1 when n is too small.
 */
int	 tm_fmt(int64_t t, char *buf, size_t n);
/*
 * The same instant as local time at offset off (seconds east) with a
 * numeric offset, "2026-03-29T03:00:00+02:00".  RFC 3339 has no seconds
 * in offsets, so an offset that is not whole minutes (local mean time
 * before ~1900) is printed in UTC with "Z" instead.
 */
int	 tm_fmt_off(int64_t t, int off, char *buf, size_t n);
/* tm_fmt_off with the zone's offset at t; zone NULL is UTC ("Z"). */
int	 tm_fmt_zone(int64_t t, const struct tz *zone, char *buf, size_t n);

/*
 * Howard Hinnant's algorithms: days since 1970-01-01 in the proleptic
 * Gregorian calendar, m 1..12, d 1..31 (not validated).
 */
int64_t	 tm_days_from_civil(int64_t y, unsigned m, unsigned d);
void	 tm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
int	 tm_is_leap(int64_t y);
int	 tm_days_in_month(int64_t y, unsigned m);	/* 0 if m invalid */
int	 tm_weekday(int64_t days);
int64_t	 tm_floordiv(int64_t a, int64_t b);	/* rounded toward -infinity */
/* A day number as "YYYY-MM-DD" (n >= 11 for years 0..9999). */
void	 tm_day_str(int64_t day, char *buf, size_t n);
/* "YYYY-MM-DD" to its day number; INT64_MIN when s is not such a date. */
int64_t	 tm_day_parse(const char *s);	/* 0 = Monday ... 6 = Sunday (ISO) */

/*
 * "35d", "5m", "24h", "90s", "2w", "1h30m", "250ms", "0": one or more
 * <digits><unit>, units w d h m s ms, each at most once and largest
 * first ("30m1h" is refused as a likely mistake), or a bare "0".  No
 * months or years: their length depends on the date.  No sign, no
 * spaces.  0 with *ns, or -1 (also on overflow).
 */
int	 tm_parse_duration(const char *s, int64_t *ns);

enum tm_unit { TM_HOUR, TM_DAY, TM_WEEK, TM_MONTH };
int		 tm_parse_unit(const char *s);	/* "hour"...; else -1 */
const char	*tm_unit_name(enum tm_unit);

/*
 * Billing periods: [start, end) in UTC nanoseconds, anchored to the
 * calendar in the zone's local time (zone NULL is UTC).
 *
 *  hour	anchor 0.  Boundaries are the instants at which the local
 *		clock reads a whole hour (hh:00:00), plus the instants at
 *		which a transition makes the clock jump to another hour
 *		without reading hh:00:00.  So hours follow the local clock
 *		in zones with :30 and :45 offsets (Asia/Kolkata,
 *		Asia/Kathmandu), an hour lost in spring simply does not
 *		occur, and the hour repeated in autumn gives two one-hour
 *		periods (not one of two hours): with whole-hour offsets an
 *		hour period is always exactly 3600 s.
 *  day		anchor 0.  Local midnight to local midnight: 23 or 25
 *		hours across a DST change.
 *  week	anchor 1..7 = the weeks start on Monday..Sunday at local
 *		midnight; 0 means Monday (ISO weeks).
 *  month	anchor 1..31 = the day of the month the periods start on
 *		at local midnight; 0 means 1.  A period starts on day
 *		min(anchor, days in that month) of its month and ends where
 *		the next month's period starts: anchor 31 gives Jan 31 ..
 *		Feb 29 (or 28) .. Mar 31 .. Apr 30 .. May 31; anchor 30
 *		gives Jan 30 .. Feb 28/29 .. Mar 30.  Anniversary billing:
 *		anchor 15 gives the 15th 00:00 to the next 15th 00:00.
 *
 * For day, week and month a boundary is local midnight of the start
 * day, mapped to UTC by tz_local_to_utc():
 *  - a local midnight that does not exist (a DST gap at midnight, as in
 *    America/Santiago in September or Asia/Beirut in March) starts the
 *    period at the first instant after the gap (01:00 local);
 *  - an ambiguous local midnight (an overlap) starts it at the earlier
 *    of the two instants.
 * A period that would be empty (a whole local day skipped, as
 * Pacific/Apia's 2011-12-30) is never returned: the instant belongs to
 * the next non-empty one.
 *
 * tm_period_of: the period containing t.  tm_period_next: the one
 * starting at p->end.  0, or -1 for a bad unit or anchor or a period
 * outside the int64 nanosecond range.
 */
struct tm_period {
	int64_t	 start, end;
};

int	 tm_period_of(int64_t t, enum tm_unit unit, int anchor,
	    const struct tz *zone, struct tm_period *out);
int	 tm_period_next(const struct tm_period *p, enum tm_unit unit,
	    int anchor, const struct tz *zone, struct tm_period *out);

#endif
