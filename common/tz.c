/*
 * tz.c: a TZif reader (RFC 8536) and the POSIX TZ rules of its footer.
 *
 * At load time the transition table is reduced to the instants where the
 * UTC offset really changes, so lookups are one binary search; instants
 * after the table are answered from the footer rule, computed on demand
 * for the few years around the instant (cheap, and it keeps struct tz
 * immutable, which is what makes it safe to share between threads).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tm.h"
#include "tz.h"
#include "util.h"

#define TZ_DIR		"/usr/share/zoneinfo"
#define TZ_FILEMAX	(1024 * 1024)
/* Beyond this many seconds from the epoch every answer is clamped. */
#define TZ_LIMIT	((int64_t)1 << 53)

/* A date of a POSIX TZ rule: Jn, n or Mm.w.d, then /time. */
struct rdate {
	int		 kind;		/* 'J', 'N' or 'M' */
	int		 n, m, w, d;
	int32_t		 time;		/* seconds after local midnight */
};

struct prule {
	int32_t		 std_off;	/* seconds east of UTC */
	int32_t		 dst_off;
	int		 has_dst;
	struct rdate	 start, end;
};

struct tz {
	char		*name;
	int64_t		*trans;		/* instants where the offset changes */
	int32_t		*off;		/* offset from trans[i] on */
	size_t		 n;
	int32_t		 off0;		/* before trans[0] */
	int		 has_footer;
	int64_t		 footer_from;	/* footer applies at and after this */
	struct prule	 rule;
};

/* One footer transition: DST starts (1) or ends (0) at UTC instant t. */
struct ev {
	int64_t		 t;
	int		 start;
};

#define NEV	10		/* 5 years of 2 events */

static int
name_ok(const char *s)
{
	size_t i, len;

	len = strlen(s);
	if (len == 0 || len > TZ_NAMEMAX || s[0] == '/' || s[len - 1] == '/')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		    c == '-')
			continue;
		if (c == '/' && s[i + 1] != '/')
			continue;
		return 0;
	}
	return 1;
}

static int
isalph(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A zone abbreviation: 3+ letters, or <...> with letters, digits, +, -. */
static const char *
p_abbr(const char *s)
{
	const char *b;

	if (*s == '<') {
		b = ++s;
		while (isalph(*s) || u_isdigit(*s) || *s == '+' || *s == '-')
			s++;
		if (*s != '>' || s - b < 3)
			return NULL;
		return s + 1;
	}
	b = s;
	while (isalph(*s))
		s++;
	return s - b < 3 ? NULL : s;
}

/* [+-]hh[:mm[:ss]] with hh <= maxh; seconds, sign applied. */
static const char *
p_hms(const char *s, int maxh, int32_t *out)
{
	int neg = 0, h = 0, m = 0, sec = 0, nd;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (nd = 0; u_isdigit(*s) && nd < 3; nd++)
		h = h * 10 + (*s++ - '0');
	if (nd == 0 || u_isdigit(*s) || h > maxh)
		return NULL;
	if (*s == ':') {
		s++;
		if (!u_isdigit(s[0]) || !u_isdigit(s[1]))
			return NULL;
		m = (s[0] - '0') * 10 + (s[1] - '0');
		s += 2;
		if (*s == ':') {
			s++;
			if (!u_isdigit(s[0]) || !u_isdigit(s[1]))
				return NULL;
			sec = (s[0] - '0') * 10 + (s[1] - '0');
			s += 2;
		}
	}
	if (m > 59 || sec > 59)
		return NULL;
	*out = (int32_t)(h * 3600 + m * 60 + sec);
	if (neg)
		*out = -*out;
	return s;
}

static const char *
p_num(const char *s, int lo, int hi, int *out)
{
	int v = 0, nd;

	for (nd = 0; u_isdigit(*s) && nd < 4; nd++)
		v = v * 10 + (*s++ - '0');
	if (nd == 0 || u_isdigit(*s) || v < lo || v > hi)
		return NULL;
	*out = v;
	return s;
}

static const char *
p_rdate(const char *s, struct rdate *r)
{
	memset(r, 0, sizeof(*r));
	if (*s == 'J') {
		r->kind = 'J';
		s = p_num(s + 1, 1, 365, &r->n);
	} else if (*s == 'M') {
		r->kind = 'M';
		if ((s = p_num(s + 1, 1, 12, &r->m)) == NULL || *s++ != '.')
			return NULL;
		if ((s = p_num(s, 1, 5, &r->w)) == NULL || *s++ != '.')
			return NULL;
		s = p_num(s, 0, 6, &r->d);
	} else {
		r->kind = 'N';
		s = p_num(s, 0, 365, &r->n);
	}
	if (s == NULL)
		return NULL;
	r->time = 2 * 3600;
	if (*s == '/')
		s = p_hms(s + 1, 167, &r->time);
	return s;
}

/*
 * std offset [dst [offset] ,start[/time],end[/time]].  POSIX offsets
 * count west, ours east.  A dst part without rules is refused: which
 * rules apply would be the implementation's guess, and zic never
 * writes one.
 */
static int
p_posix(const char *s, struct prule *r)
{
	int32_t v;

	memset(r, 0, sizeof(*r));
	if ((s = p_abbr(s)) == NULL || (s = p_hms(s, 25, &v)) == NULL)
		return -1;
	r->std_off = -v;
	if (*s == '\0')
		return 0;
	if ((s = p_abbr(s)) == NULL)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if ((s = p_hms(s, 25, &v)) == NULL)
			return -1;
		r->dst_off = -v;
	}
	if (*s++ != ',')
		return -1;
	if ((s = p_rdate(s, &r->start)) == NULL || *s++ != ',')
		return -1;
	if ((s = p_rdate(s, &r->end)) == NULL || *s != '\0')
		return -1;
	/* tz_local_to_utc() relies on this bound */
	if (r->dst_off <= -TZ_MAXOFF || r->dst_off >= TZ_MAXOFF)
		return -1;
	return 0;
}

/* The day (since the epoch) a rule date falls on in year y. */
static int64_t
rdate_day(const struct rdate *r, int64_t y)
{
	int64_t first, d;
	int wd;

	switch (r->kind) {
	case 'J':	/* 1..365, February 29 never counted */
		d = tm_days_from_civil(y, 1, 1) + r->n - 1;
		if (r->n >= 60 && tm_is_leap(y))
			d++;
		return d;
	case 'N':	/* 0..365, February 29 counted */
		return tm_days_from_civil(y, 1, 1) + r->n;
	default:	/* day d (0 Sunday) of week w (5: last) of month m */
		first = tm_days_from_civil(y, (unsigned)r->m, 1);
		wd = (tm_weekday(first) + 1) % 7;
		d = first + (r->d - wd + 7) % 7 + 7 * (r->w - 1);
		while (d >= first + tm_days_in_month(y, (unsigned)r->m))
			d -= 7;
		return d;
	}
}

static int64_t
clamp(int64_t t)
{
	if (t > TZ_LIMIT)
		return TZ_LIMIT;
	if (t < -TZ_LIMIT)
		return -TZ_LIMIT;
	return t;
}

/*
 * The footer's transitions in the five years around t, sorted; at equal
 * instants an end sorts before a start, so a rule whose DST ends where
 * the next starts (zic's "DST all year" idiom) stays in DST.  The start
 * time is local standard time, the end time local daylight time.
 */
static void
ev_build(const struct prule *r, int64_t t, struct ev *ev)
{
	int64_t y;
	unsigned m, dd;
	int i, j, k = 0;
	struct ev tmp;

	tm_civil_from_days(clamp(t) / 86400, &y, &m, &dd);
	for (y -= 2, i = 0; i < 5; i++, y++) {
		ev[k].t = rdate_day(&r->start, y) * 86400 + r->start.time -
		    r->std_off;
		ev[k++].start = 1;
		ev[k].t = rdate_day(&r->end, y) * 86400 + r->end.time -
		    r->dst_off;
		ev[k++].start = 0;
	}
	for (i = 1; i < NEV; i++) {
		tmp = ev[i];
		for (j = i; j > 0 && (ev[j - 1].t > tmp.t ||
		    (ev[j - 1].t == tmp.t && ev[j - 1].start > tmp.start)); j--)
			ev[j] = ev[j - 1];
		ev[j] = tmp;
	}
}

/* Whether DST is in effect at t: the state set by the last event <= t. */
static int
ev_dst(const struct ev *ev, int64_t t)
{
	int i, dst = 0;

	for (i = 0; i < NEV && ev[i].t <= t; i++)
		dst = ev[i].start;
	return dst;
}

static int32_t
footer_offset(const struct prule *r, int64_t t)
{
	struct ev ev[NEV];

	if (!r->has_dst)
		return r->std_off;
	ev_build(r, t, ev);
	return ev_dst(ev, clamp(t)) ? r->dst_off : r->std_off;
}

/* Earliest change after s by the footer rule alone, s >= footer_from. */
static int
footer_next(const struct tz *z, int64_t s, int64_t *when)
{
	struct ev ev[NEV];
	int i;

	if (!z->rule.has_dst || z->rule.std_off == z->rule.dst_off ||
	    s >= TZ_LIMIT)
		return 0;
	s = clamp(s);
	ev_build(&z->rule, s, ev);
	/*
	 * At the window's first and last instants an event of the years
	 * outside may coincide: never candidates.
	 */
	for (i = 1; i < NEV - 1; i++) {
		if (ev[i].t <= s || ev[i].t <= z->footer_from ||
		    ev[i].t == ev[0].t || ev[i].t == ev[NEV - 1].t)
			continue;
		if (ev_dst(ev, ev[i].t) != ev_dst(ev, ev[i].t - 1)) {
			*when = ev[i].t;
			return 1;
		}
	}
	return 0;
}

/* Latest change <= s and after footer_from by the footer rule alone. */
static int
footer_prev(const struct tz *z, int64_t s, int64_t *when)
{
	struct ev ev[NEV];
	int i;

	if (!z->rule.has_dst || z->rule.std_off == z->rule.dst_off ||
	    s <= -TZ_LIMIT)
		return 0;
	s = clamp(s);
	ev_build(&z->rule, s, ev);
	for (i = NEV - 2; i >= 1; i--) {
		if (ev[i].t > s || ev[i].t == ev[NEV - 1].t)
			continue;
		if (ev[i].t <= z->footer_from || ev[i].t == ev[0].t)
			break;
		if (ev_dst(ev, ev[i].t) != ev_dst(ev, ev[i].t - 1)) {
			*when = ev[i].t;
			return 1;
		}
	}
	return 0;
}

/* How many table changes are <= t. */
static size_t
upper(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
tz_offset(const struct tz *z, int64_t t)
{
	size_t k;

	if (z->has_footer && t >= z->footer_from)
		return footer_offset(&z->rule, t);
	k = upper(z, t);
	return k == 0 ? z->off0 : z->off[k - 1];
}

int
tz_next_change(const struct tz *z, int64_t t, int64_t *when)
{
	size_t k;

	if (z->has_footer && t >= z->footer_from)
		return footer_next(z, t, when);
	k = upper(z, t);
	if (k < z->n) {
		*when = z->trans[k];
		return 1;
	}
	if (!z->has_footer)
		return 0;
	return footer_next(z, z->footer_from, when);
}

int
tz_prev_change(const struct tz *z, int64_t t, int64_t *when)
{
	size_t k;

	if (z->has_footer && t >= z->footer_from &&
	    footer_prev(z, t, when))
		return 1;
	k = upper(z, t);
	if (k == 0)
		return 0;
	*when = z->trans[k - 1];
	return 1;
}

/*
 * Every instant u with u + offset(u) == l lies in [l - MAXOFF, l +
 * MAXOFF], so walk the constant-offset segments of that window: each
 * holds at most one solution, and a forward jump whose skipped local
 * times cover l is the gap l fell into.
 */
int64_t
tz_local_to_utc(const struct tz *z, int64_t l, int *status)
{
	int64_t lo, hi, u, end, c, first = 0, gap = 0;
	int32_t o, o2;
	int n = 0, ingap = 0, st;

	l = clamp(l);
	lo = l - TZ_MAXOFF;
	hi = l + TZ_MAXOFF;
	u = lo;
	o = tz_offset(z, u);
	for (;;) {
		if (!tz_next_change(z, u, &end) || end > hi)
			end = hi + 1;
		c = l - o;
		if (c >= u && c < end && n++ == 0)
			first = c;
		if (end > hi)
			break;
		o2 = tz_offset(z, end);
		if (!ingap && o2 > o && l >= end + o && l < end + o2) {
			ingap = 1;
			gap = end;
		}
		u = end;
		o = o2;
	}
	if (n > 0)
		st = n > 1 ? TZ_AMBIGUOUS : TZ_EXACT;
	else if (ingap) {
		st = TZ_GAP;
		first = gap;
	} else {
		/* Cannot happen with offsets under TZ_MAXOFF; be total. */
		st = TZ_GAP;
		first = l - tz_offset(z, l);
	}
	if (status != NULL)
		*status = st;
	return first;
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->trans);
	free(z->off);
	free(z);
}

/* A bounds-checked reader over the file's bytes. */
struct rd {
	const unsigned char	*p;
	size_t			 left;
};

static const unsigned char *
take(struct rd *r, size_t n)
{
	const unsigned char *p;

	if (n > r->left)
		return NULL;
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct hdr {
	int		 version;
	uint32_t	 isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int
read_hdr(struct rd *r, struct hdr *h)
{
	const unsigned char *p;

	if ((p = take(r, 44)) == NULL || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = p[4];
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	/* Small limits keep the size arithmetic below from overflowing. */
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt > 65536 ||
	    h->timecnt > (1 << 20) || h->leapcnt > 65536 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return -1;
	return 0;
}

static size_t
block_size(const struct hdr *h, size_t tsz)
{
	return h->timecnt * (tsz + 1) + h->typecnt * 6 + h->charcnt +
	    h->leapcnt * (tsz + 4) + h->isstdcnt + h->isutcnt;
}

/* Parse the whole file into z; returns a reason on failure. */
static const char *
parse_tzif(struct tz *z, const unsigned char *buf, size_t len)
{
	struct rd r = { buf, len };
	struct hdr h;
	const unsigned char *tp, *ip, *yp, *fp, *nl;
	int64_t *t;
	int32_t utoff[256], o, last;
	size_t tsz = 4, i, k;
	char *footer = NULL;
	const char *why = "corrupt time zone file";

	if (read_hdr(&r, &h) == -1)
		return len >= 4 && memcmp(buf, "TZif", 4) == 0 ?
		    why : "not a time zone file";
	if (h.version != 0 && h.version < '2')
		return "unsupported time zone file version";
	if (h.version != 0) {
		/* Skip the 32-bit data for the 64-bit one. */
		if (take(&r, block_size(&h, 4)) == NULL ||
		    read_hdr(&r, &h) == -1)
			return why;
		tsz = 8;
	}
	if (h.leapcnt != 0)
		return "time zones with leap seconds are not supported";
	if ((tp = take(&r, h.timecnt * tsz)) == NULL ||
	    (ip = take(&r, h.timecnt)) == NULL ||
	    (yp = take(&r, h.typecnt * 6)) == NULL ||
	    take(&r, h.charcnt + h.isstdcnt + h.isutcnt) == NULL)
		return why;
	for (i = 0; i < h.typecnt; i++) {
		utoff[i] = (int32_t)be32(yp + 6 * i);
		if (utoff[i] <= -TZ_MAXOFF || utoff[i] >= TZ_MAXOFF ||
		    yp[6 * i + 4] > 1)
			return why;
	}
	if (h.version != 0) {
		if ((fp = take(&r, 1)) == NULL || *fp != '\n' ||
		    (nl = memchr(r.p, '\n', r.left)) == NULL)
			return why;
		if (nl > r.p) {
			footer = xstrndup((const char *)r.p,
			    (size_t)(nl - r.p));
			if (p_posix(footer, &z->rule) == -1) {
				free(footer);
				return "unsupported time zone rule";
			}
			free(footer);
			z->has_footer = 1;
		}
	}

	t = xreallocarray(NULL, h.timecnt + 1, sizeof(*t));
	for (i = 0; i < h.timecnt; i++) {
		t[i] = tsz == 8 ? be64(tp + 8 * i) :
		    (int64_t)(int32_t)be32(tp + 4 * i);
		if ((i > 0 && t[i] <= t[i - 1]) || ip[i] >= h.typecnt) {
			free(t);
			return why;
		}
	}
	z->off0 = utoff[0];
	z->footer_from = h.timecnt > 0 ? t[h.timecnt - 1] : INT64_MIN;
	z->trans = xreallocarray(NULL, h.timecnt + 1, sizeof(*z->trans));
	z->off = xreallocarray(NULL, h.timecnt + 1, sizeof(*z->off));
	/*
	 * Keep only real offset changes.  At the last transition the
	 * footer is what tz_offset() answers, so that is what counts.
	 */
	last = z->off0;
	for (i = k = 0; i < h.timecnt; i++) {
		if (z->has_footer && i == h.timecnt - 1)
			o = footer_offset(&z->rule, t[i]);
		else
			o = utoff[ip[i]];
		if (o == last)
			continue;
		z->trans[k] = t[i];
		z->off[k++] = o;
		last = o;
	}
	z->n = k;
	free(t);
	return NULL;
}

static struct tz *
tz_utc(const char *name)
{
	struct tz *z;

	z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name);
	return z;
}

struct tz *
tz_load(const char *name, const char **why)
{
	const char *dir, *err;
	char path[4096];
	struct stat st;
	unsigned char *buf;
	size_t got;
	ssize_t nr;
	struct tz *z;
	int fd;

	if (why == NULL)
		why = &err;
	if (name == NULL || !name_ok(name)) {
		*why = "invalid time zone name";
		return NULL;
	}
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
		return tz_utc(name);
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = TZ_DIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		*why = "invalid time zone name";
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = errno == ENOENT || errno == ENOTDIR ?
		    "unknown time zone" : "cannot read time zone file";
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "unknown time zone";
		return NULL;
	}
	if (st.st_size > TZ_FILEMAX) {
		close(fd);
		*why = "not a time zone file";
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	for (got = 0; got < (size_t)st.st_size; got += (size_t)nr) {
		nr = read(fd, buf + got, (size_t)st.st_size - got);
		if (nr == -1 && errno == EINTR) {
			nr = 0;
			continue;
		}
		if (nr <= 0)
			break;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		*why = "cannot read time zone file";
		return NULL;
	}
	z = xcalloc(1, sizeof(*z));
	if ((err = parse_tzif(z, buf, got)) != NULL) {
		free(buf);
		tz_free(z);
		*why = err;
		return NULL;
	}
	free(buf);
	z->name = xstrdup(name);
	return z;
}

void
tz_set_init(struct tz_set *s)
{
	hmap_init(&s->zones);
}

const struct tz *
tz_set_get(struct tz_set *s, const char *name, const char **why)
{
	void **ref = hmap_ref(&s->zones, name, strlen(name));

	if (*ref == NULL)
		*ref = tz_load(name, why);
	return *ref;
}

void
tz_set_free(struct tz_set *s)
{
	size_t i;

	for (i = 0; i < s->zones.cap; i++)
		if (s->zones.t[i].key != NULL && s->zones.t[i].val != NULL)
			tz_free(s->zones.t[i].val);
	hmap_free(&s->zones);
}

int64_t
tz_day(const struct tz *zone, int64_t t)
{
	int64_t s = t / TM_NS_PER_SEC - (t % TM_NS_PER_SEC < 0);

	if (zone != NULL)
		s += tz_offset(zone, s);
	return s / 86400 - (s % 86400 < 0);
}
