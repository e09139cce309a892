/*
 * tm.c: RFC 3339 parsing and printing, calendar arithmetic and billing
 * periods.  Everything is integer arithmetic on int64 with explicit range
 * checks, since an instant near the ends of the nanosecond range must
 * fail cleanly rather than wrap.
 */
#include <stdio.h>
#include <string.h>

#include "tm.h"
#include "tz.h"

#define NS		TM_NS_PER_SEC
#define SECMAX		(INT64_MAX / NS)	/* 9223372036 */
#define SECMIN		(INT64_MIN / NS)	/* -9223372036, rounded up */

int64_t
tm_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
floormod(int64_t a, int64_t b)
{
	int64_t r = a % b;

	if (r != 0 && (r < 0) != (b < 0))
		r += b;
	return r;
}

/* Seconds plus a nanosecond fraction 0..NS-1 to an instant. */
static int
mkns(int64_t sec, int64_t frac, int64_t *out)
{
	if (sec > SECMAX || sec < SECMIN - 1)
		return -1;
	if (sec == SECMAX && frac > INT64_MAX - SECMAX * NS)
		return -1;
	if (sec == SECMIN - 1) {
		/* Only the top fractions of this second are representable. */
		if (frac < INT64_MIN % NS + NS)
			return -1;
		*out = (sec + 1) * NS + (frac - NS);
		return 0;
	}
	*out = sec * NS + frac;
	return 0;
}

int64_t
tm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
tm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int
tm_is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int
tm_days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m < 1 || m > 12)
		return 0;
	return dim[m - 1] + (m == 2 && tm_is_leap(y));
}

int
tm_weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday, ISO day 3 counting Monday as 0. */
	return (int)((days % 7 + 10) % 7);
}

/* Exactly nd digits at *p (within e). */
static int
digits(const char **p, const char *e, int nd, int *v)
{
	const char *s = *p;
	int i;

	if (e - s < nd)
		return -1;
	for (*v = 0, i = 0; i < nd; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	*p = s + nd;
	return 0;
}

static int
want(const char **p, const char *e, int c1, int c2)
{
	if (*p >= e || (**p != c1 && **p != c2))
		return -1;
	(*p)++;
	return 0;
}

#define FAIL(msg)	do { *why = (msg); return -1; } while (0)

int
tm_parse(const char *s, size_t n, int64_t *out, const char **why)
{
	const char *p = s, *e = s + n;
	int y, mo, d, h, mi, sec, oh, om, sign, v, nd;
	int64_t frac = 0, secs;

	if (digits(&p, e, 4, &y) == -1 || y == 0)
		FAIL("invalid year");
	if (want(&p, e, '-', '-') == -1)
		FAIL("invalid date");
	if (digits(&p, e, 2, &mo) == -1 || mo < 1 || mo > 12)
		FAIL("invalid month");
	if (want(&p, e, '-', '-') == -1)
		FAIL("invalid date");
	if (digits(&p, e, 2, &d) == -1 || d < 1 ||
	    d > tm_days_in_month(y, (unsigned)mo))
		FAIL("invalid day");
	if (p == e)
		FAIL("missing time");
	if (want(&p, e, 'T', 't') == -1)
		FAIL("missing 'T' between date and time");
	if (digits(&p, e, 2, &h) == -1 || h > 23)
		FAIL("invalid hour");
	if (want(&p, e, ':', ':') == -1)
		FAIL("invalid time");
	if (digits(&p, e, 2, &mi) == -1 || mi > 59)
		FAIL("invalid minute");
	if (want(&p, e, ':', ':') == -1)
		FAIL("invalid time");
	if (digits(&p, e, 2, &sec) == -1 || sec > 60)
		FAIL("invalid second");
	if (sec == 60)
		FAIL("leap seconds are not supported");
	if (p < e && *p == '.') {
		p++;
		for (nd = 0; p < e && *p >= '0' && *p <= '9'; p++, nd++)
			if (nd < 9)
				frac = frac * 10 + (*p - '0');
		if (nd == 0)
			FAIL("invalid fraction of a second");
		if (nd > 9)
			FAIL("more than nanosecond precision");
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (p == e)
		FAIL("missing time zone offset");
	if (*p == 'Z' || *p == 'z') {
		p++;
		sign = 0;
		oh = om = 0;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, e, 2, &oh) == -1 || oh > 23 ||
		    want(&p, e, ':', ':') == -1 ||
		    digits(&p, e, 2, &om) == -1 || om > 59)
			FAIL("invalid time zone offset");
	} else
		FAIL("invalid time zone offset");
	if (p != e)
		FAIL("trailing characters after time zone offset");
	v = sign * (oh * 3600 + om * 60);
	secs = tm_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - v;
	if (mkns(secs, frac, out) == -1)
		FAIL("time out of range");
	return 0;
}

/* Local seconds + fraction + suffix ("Z" or "+hh:mm"). */
static int
fmt(int64_t secs, int64_t frac, const char *suffix, char *buf, size_t n)
{
	int64_t days, y;
	unsigned m, d;
	int sod, len, i, r;
	char f[11];

	/* times come in runs of the same day: keep its date (per thread) */
	static _Thread_local int64_t cdays = INT64_MIN, cy;
	static _Thread_local unsigned cm, cd;

	days = tm_floordiv(secs, 86400);
	sod = (int)floormod(secs, 86400);
	if (days != cdays) {
		tm_civil_from_days(days, &cy, &cm, &cd);
		cdays = days;
	}
	y = cy;
	m = cm;
	d = cd;
	f[0] = '\0';
	if (frac != 0) {
		f[0] = '.';
		for (i = 9; i >= 1; i--) {
			f[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		for (len = 9; f[len] == '0'; len--)
			;
		f[len + 1] = '\0';
	}
	if (y < 0 || y > 9999) {
		r = snprintf(buf, n, "%04lld-%02u-%02uT%02d:%02d:%02d%s%s",
		    (long long)y, m, d, sod / 3600, sod / 60 % 60, sod % 60, f,
		    suffix);
		if (r < 0 || (size_t)r >= n)
			return -1;
		return r;
	}
	/* the common case by hand: every usage record formats two times */
	{
		size_t fl = strlen(f), sl = strlen(suffix);
		char *p = buf;

		if (n < 19 + fl + sl + 1)
			return -1;
		p[0] = (char)('0' + y / 1000);
		p[1] = (char)('0' + y / 100 % 10);
		p[2] = (char)('0' + y / 10 % 10);
		p[3] = (char)('0' + y % 10);
		p[4] = '-';
		p[5] = (char)('0' + m / 10);
		p[6] = (char)('0' + m % 10);
		p[7] = '-';
		p[8] = (char)('0' + d / 10);
		p[9] = (char)('0' + d % 10);
		p[10] = 'T';
		p[11] = (char)('0' + sod / 36000);
		p[12] = (char)('0' + sod / 3600 % 10);
		p[13] = ':';
		p[14] = (char)('0' + sod / 60 % 60 / 10);
		p[15] = (char)('0' + sod / 60 % 10);
		p[16] = ':';
		p[17] = (char)('0' + sod % 60 / 10);
		p[18] = (char)('0' + sod % 10);
		memcpy(p + 19, f, fl);
		memcpy(p + 19 + fl, suffix, sl + 1);
		return (int)(19 + fl + sl);
	}
}

static const char two_digits[] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/*
 * The UTC form of a time from 1970 to 9999, the one meter-aggregate
 * writes four of an aggregate and meter-ingest two of a record: by
 * constant divisions and a table of digit pairs, the date kept per
 * thread.  The same text fmt() makes.
 */
static int
fmt_utc(uint64_t t, char *buf, size_t n)
{
	static _Thread_local uint64_t cday = UINT64_MAX;
	static _Thread_local char cdate[10];
	uint64_t secs = t / 1000000000u, day = secs / 86400;
	unsigned frac = (unsigned)(t % 1000000000u);
	unsigned sod = (unsigned)(secs % 86400), len;
	char tmp[32], *p = n >= sizeof(tmp) ? buf : tmp;	/* no copy */
	if (day != cday) {
		int64_t y;
		unsigned m, d;

		tm_civil_from_days((int64_t)day, &y, &m, &d);
		memcpy(cdate, two_digits + 2 * (y / 100), 2);
		memcpy(cdate + 2, two_digits + 2 * (y % 100), 2);
		cdate[4] = '-';
		memcpy(cdate + 5, two_digits + 2 * m, 2);
		cdate[7] = '-';
		memcpy(cdate + 8, two_digits + 2 * d, 2);
		cday = day;
	}
	memcpy(p, cdate, 10);
	p[10] = 'T';
	memcpy(p + 11, two_digits + 2 * (sod / 3600), 2);
	p[13] = ':';
	memcpy(p + 14, two_digits + 2 * (sod / 60 % 60), 2);
	p[16] = ':';
	memcpy(p + 17, two_digits + 2 * (sod % 60), 2);
	if (frac != 0) {
		p[19] = '.';	/* nine digits, by pairs like the rest */
		memcpy(p + 20, two_digits + 2 * (frac / 10000000), 2);
		memcpy(p + 22, two_digits + 2 * (frac / 100000 % 100), 2);
		memcpy(p + 24, two_digits + 2 * (frac / 1000 % 100), 2);
		memcpy(p + 26, two_digits + 2 * (frac / 10 % 100), 2);
		p[28] = (char)('0' + frac % 10);
		for (len = 28; p[len] == '0'; len--)
			;
		len++;
	} else
		len = 19;
	p[len++] = 'Z';
	if (n < len + 1)
		return -1;
	if (p != buf)
		memcpy(buf, p, len);
	buf[len] = '\0';
	return (int)len;
}

int
tm_fmt(int64_t t, char *buf, size_t n)
{
	/* 253402300800: 10000-01-01T00:00:00Z */
	if (t >= 0 && t / NS < 253402300800LL)
		return fmt_utc((uint64_t)t, buf, n);
	return fmt(tm_floordiv(t, NS), floormod(t, NS), "Z", buf, n);
}

int
tm_fmt_off(int64_t t, int off, char *buf, size_t n)
{
	char sfx[8];
	int a;

	if (off % 60 != 0 || off <= -86400 || off >= 86400)
		return tm_fmt(t, buf, n);
	a = off < 0 ? -off : off;
	snprintf(sfx, sizeof(sfx), "%c%02d:%02d", off < 0 ? '-' : '+',
	    a / 3600, a / 60 % 60);
	return fmt(tm_floordiv(t, NS) + off, floormod(t, NS), sfx, buf, n);
}

int
tm_fmt_zone(int64_t t, const struct tz *zone, char *buf, size_t n)
{
	if (zone == NULL)
		return tm_fmt(t, buf, n);
	return tm_fmt_off(t, tz_offset(zone, tm_floordiv(t, NS)), buf, n);
}

int
tm_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char	*name;
		int64_t		 ns;
	} unit[] = {
		{ "w", 7 * 86400 * NS }, { "d", 86400 * NS },
		{ "h", 3600 * NS }, { "ms", NS / 1000 }, { "m", 60 * NS },
		{ "s", NS },
	};
	/* Order of size, largest first; "ms" is listed before "m" above
	 * only so that the longer name matches first. */
	static const int rank[] = { 0, 1, 2, 5, 3, 4 };
	int64_t total = 0, v;
	int last = -1, i, nd;
	size_t len;

	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		for (v = 0, nd = 0; *s >= '0' && *s <= '9'; s++, nd++) {
			if (v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (*s - '0');
		}
		if (nd == 0)
			return -1;
		for (i = 0; i < 6; i++) {
			len = strlen(unit[i].name);
			if (strncmp(s, unit[i].name, len) == 0 &&
			    !(s[len] >= 'a' && s[len] <= 'z'))
				break;
		}
		if (i == 6 || rank[i] <= last)
			return -1;
		last = rank[i];
		s += strlen(unit[i].name);
		if (v > INT64_MAX / unit[i].ns ||
		    v * unit[i].ns > INT64_MAX - total)
			return -1;
		total += v * unit[i].ns;
	}
	*ns = total;
	return 0;
}

static const char *const unitnames[] = { "hour", "day", "week", "month" };

int
tm_parse_unit(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, unitnames[i]) == 0)
			return i;
	return -1;
}

const char *
tm_unit_name(enum tm_unit u)
{
	return (unsigned)u < 4 ? unitnames[u] : "?";
}

/*
 * Periods of day, week and month are numbered by a label: the start day
 * for day and week, year * 12 + month - 1 for month.
 */
static int64_t
lab_of(enum tm_unit u, int anchor, int64_t day)
{
	int64_t y;
	unsigned m, d;
	int a;

	switch (u) {
	case TM_WEEK:
		return day - floormod(tm_weekday(day) - (anchor - 1), 7);
	case TM_MONTH:
		tm_civil_from_days(day, &y, &m, &d);
		a = tm_days_in_month(y, m);
		if (anchor < a)
			a = anchor;
		return y * 12 + m - 1 - ((int)d < a);
	default:
		return day;
	}
}

static int64_t
lab_day(enum tm_unit u, int anchor, int64_t lab)
{
	int64_t y;
	unsigned m;
	int a;

	if (u != TM_MONTH)
		return lab;
	y = tm_floordiv(lab, 12);
	m = (unsigned)floormod(lab, 12) + 1;
	a = tm_days_in_month(y, m);
	if (anchor < a)
		a = anchor;
	return tm_days_from_civil(y, m, (unsigned)a);
}

/* The UTC instant (ns) of local midnight starting the labelled period. */
static int
lab_start(enum tm_unit u, int anchor, const struct tz *z, int64_t lab,
    int64_t *ns)
{
	int64_t l;

	l = lab_day(u, anchor, lab) * 86400;
	if (z != NULL)
		l = tz_local_to_utc(z, l, NULL);
	return mkns(l, 0, ns);
}

static int
offset(const struct tz *z, int64_t t)
{
	return z != NULL ? tz_offset(z, t) : 0;
}

/* The local hour number at instant t. */
static int64_t
hour_lab(const struct tz *z, int64_t t)
{
	return tm_floordiv(t + offset(z, t), 3600);
}

/* Is t an hour boundary, being a transition instant? */
static int
hour_edge(const struct tz *z, int64_t t)
{
	return floormod(t + offset(z, t), 3600) == 0 ||
	    hour_lab(z, t) != hour_lab(z, t - 1);
}

/*
 * Hour boundaries around second ts.  Within a stretch of constant offset
 * the boundaries are where the local time is a multiple of 3600; a
 * transition is one when the clock reads hh:00:00 there or the hour
 * number changes across it.  Walk back (and forth) over transitions
 * that are not.
 */
static int
hour_period(const struct tz *z, int64_t ts, int64_t *start, int64_t *end)
{
	int64_t u, c, tr;
	int i;

	for (u = ts, i = 0;; u = tr - 1) {
		c = u - floormod(u + offset(z, u), 3600);
		if (z == NULL || !tz_prev_change(z, u, &tr) || tr <= c) {
			*start = c;
			break;
		}
		if (hour_edge(z, tr)) {
			*start = tr;
			break;
		}
		if (++i == 16)		/* no real zone comes near */
			return -1;
	}
	for (u = ts, i = 0;; u = tr) {
		c = u + 3600 - floormod(u + offset(z, u), 3600);
		if (z == NULL || !tz_next_change(z, u, &tr) || c < tr) {
			*end = c;
			break;
		}
		if (hour_edge(z, tr)) {
			*end = tr;
			break;
		}
		if (++i == 16)
			return -1;
	}
	return 0;
}

int
tm_period_of(int64_t t, enum tm_unit unit, int anchor, const struct tz *z,
    struct tm_period *out)
{
	int64_t ts, day, lab, step, start, end, hs, he;
	int i;

	switch (unit) {
	case TM_HOUR:
	case TM_DAY:
		if (anchor != 0)
			return -1;
		break;
	case TM_WEEK:
		if (anchor < 0 || anchor > 7)
			return -1;
		break;
	case TM_MONTH:
		if (anchor < 0 || anchor > 31)
			return -1;
		break;
	default:
		return -1;
	}
	if (anchor == 0)
		anchor = 1;
	ts = tm_floordiv(t, NS);
	if (unit == TM_HOUR) {
		if (hour_period(z, ts, &hs, &he) == -1 ||
		    mkns(hs, 0, &start) == -1 || mkns(he, 0, &end) == -1)
			return -1;
		out->start = start;
		out->end = end;
		return 0;
	}
	day = tm_floordiv(ts + offset(z, ts), 86400);
	lab = lab_of(unit, anchor, day);
	step = unit == TM_WEEK ? 7 : 1;
	/*
	 * The local date of t names the period, except around transitions
	 * at midnight, where t can sit before the (moved) start or after
	 * the end: then the neighbour is the one.  Bounded, to be total.
	 */
	for (i = 0; i < 8; i++) {
		if (lab_start(unit, anchor, z, lab, &start) == -1)
			return -1;
		if (t < start) {
			lab -= step;
			continue;
		}
		if (lab_start(unit, anchor, z, lab + step, &end) == -1)
			return -1;
		if (t >= end) {
			lab += step;
			continue;
		}
		out->start = start;
		out->end = end;
		return 0;
	}
	return -1;
}

int
tm_period_next(const struct tm_period *p, enum tm_unit unit, int anchor,
    const struct tz *z, struct tm_period *out)
{
	return tm_period_of(p->end, unit, anchor, z, out);
}

void
tm_day_str(int64_t day, char *buf, size_t n)
{
	int64_t y;
	unsigned m, d;

	tm_civil_from_days(day, &y, &m, &d);
	snprintf(buf, n, "%04lld-%02u-%02u", (long long)y, m, d);
}

int64_t
tm_day_parse(const char *s)
{
	char t[40];
	int64_t ns;
	const char *why;

	if (s == NULL || strlen(s) != 10)
		return INT64_MIN;
	snprintf(t, sizeof(t), "%sT00:00:00Z", s);
	if (tm_parse(t, strlen(t), &ns, &why) < 0)
		return INT64_MIN;
	return ns / TM_NS_PER_SEC / 86400;
}
