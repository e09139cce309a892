/*
 * agg.c: the metering engine (agg.h, meter-aggregate(1)).
 *
 * An accumulator per customer x meter x period x group holds what its
 * aggregation needs and no more: a running sum, minimum, maximum or
 * latest value, the set of distinct values for unique_count.  Gauges
 * (weighted_sum) keep their points, (time, key, value), per customer x
 * meter x group until the end, when they are sorted and walked period by
 * period: in memory when the input comes by day (agg_fold walks each day's),
 * else in a temporary file (agg_spill), read back a few series at a time.
 * A recurring unique_count is walked the same way, its points (time, key,
 * value id, add or remove) telling which values are counted at each
 * period's end (rc_point, rc_close; rc_spans gives each value's spans in
 * a period).  Without --to, the walks end with the period of the newest
 * event counted (walk_next).  The lineage is the sum of the event keys
 * (BLAKE2b-128 digests) modulo 2^128, so it does not depend on the order
 * events arrive in or on how they were split over threads.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "agg.h"
#include "customers.h"
#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "pack.h"
#include "prorate.h"
#include "reject.h"
#include "spill.h"
#include "tz.h"

/* ---- values read from an event's data ---- */

enum { AV_MISSING, AV_NULL, AV_TRUE, AV_FALSE, AV_NUM, AV_STR, AV_OTHER };

struct aval {
	int		 type;
	const char	*p;	/* AV_STR */
	size_t		 len;
	dec		 num;	/* AV_NUM */
};

static void
json_val(const struct aev *e, const char *path, struct aval *v)
{
	json_t *cur = e->data;
	const char *s = path, *dot;
	size_t n;

	v->type = AV_MISSING;
	for (;;) {
		if (!json_is_object(cur))
			return;
		dot = strchr(s, '.');
		n = dot ? (size_t)(dot - s) : strlen(s);
		if ((cur = json_object_getn(cur, s, n)) == NULL)
			return;
		if (dot == NULL)
			break;
		s = dot + 1;
	}
	switch (json_typeof(cur)) {
	case JSON_STRING:
		v->type = AV_STR;
		v->p = json_string_value(cur);
		v->len = json_string_length(cur);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		v->type = jrec_num(e->jr, cur, &v->num) == 0 ? AV_NUM :
		    AV_OTHER;
		break;
	case JSON_TRUE:
		v->type = AV_TRUE;
		break;
	case JSON_FALSE:
		v->type = AV_FALSE;
		break;
	case JSON_NULL:
		v->type = AV_NULL;
		break;
	default:
		v->type = AV_OTHER;
	}
}

static void
packed_val(const struct aev *e, const char *path, struct aval *v)
{
	struct pk_val pv;
	int r;

	v->type = AV_MISSING;
	if (e->packed_len == 0)
		return;
	if ((r = pk_get(e->packed, e->packed_len, path, &pv)) < 0)
		die(EX_SOFTWARE, "the ledger holds malformed packed data for "
		    "customer '%s' at %" PRId64, e->customer, e->t);
	if (r == 0)
		return;
	switch (pv.tag) {
	case 's':
		v->type = AV_STR;
		v->p = (const char *)pv.p;
		v->len = pv.len;
		break;
	case 'n':
		v->type = dec_parse((const char *)pv.p, pv.len, &v->num) ==
		    DEC_OK ? AV_NUM : AV_OTHER;
		break;
	case 't':
		v->type = AV_TRUE;
		break;
	case 'f':
		v->type = AV_FALSE;
		break;
	case 'z':
		v->type = AV_NULL;
		break;
	default:
		v->type = AV_OTHER;
	}
}

static void
ev_get(const struct aev *e, const char *path, struct aval *v)
{
	if (e->packed != NULL)
		packed_val(e, path, v);
	else
		json_val(e, path, v);
}

/* A scalar in canonical JSON; missing is null. */
static void
val_json(struct jw *w, const struct aval *v)
{
	switch (v->type) {
	case AV_STR:
		jw_strn(w, v->p, v->len);
		break;
	case AV_NUM:
		jw_decnum(w, v->num);
		break;
	case AV_TRUE:
		jw_bool(w, 1);
		break;
	case AV_FALSE:
		jw_bool(w, 0);
		break;
	default:
		jw_null(w);
	}
}

/* ---- sets of distinct values (unique_count): exact, not a sketch ---- */

struct vslot {
	uint64_t	 h;
	size_t		 off, len;	/* in the arena; len + 1 when used */
};

struct vset {
	struct vslot	*t;
	size_t		 n, cap;
	struct buf	 arena;
};

static int
vset_add(struct vset *s, const char *p, size_t len)
{
	uint64_t h = hmap_hash(p, len);
	struct vslot *old, *e;
	size_t i, oldcap;

	if ((s->n + 1) * 10 > s->cap * 7) {
		old = s->t;
		oldcap = s->cap;
		s->cap = oldcap ? oldcap * 2 : 8;
		s->t = xcalloc(s->cap, sizeof(*s->t));
		for (i = 0; i < oldcap; i++) {
			if (old[i].len == 0)
				continue;
			e = &s->t[old[i].h & (s->cap - 1)];
			while (e->len != 0)
				e = e + 1 < s->t + s->cap ? e + 1 : s->t;
			*e = old[i];
		}
		free(old);
	}
	for (i = h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		e = &s->t[i];
		if (e->len == 0)
			break;
		if (e->h == h && e->len == len + 1 &&
		    memcmp(s->arena.p + e->off, p, len) == 0)
			return 0;
	}
	e->h = h;
	e->off = s->arena.len;
	e->len = len + 1;
	buf_add(&s->arena, p, len);
	s->n++;
	return 1;
}

static void
vset_free(struct vset *s)
{
	if (s == NULL)
		return;
	free(s->t);
	buf_free(&s->arena);
	free(s);
}

/* ---- the table ---- */

/* Customers and groups are interned: accumulators hold small numbers. */
struct cust {
	char		*id;
	size_t		 len;
	char		*json;		/* the id as a JSON string */
	size_t		 jlen;
	char		*zjson;		/* the zone as a JSON string */
	size_t		 zjlen;
	const struct tz	*tz;
	const char	*zone;
	int		 anchor;
	int		 havep;
	struct tm_period p;
};

struct grp {
	char		*json;
	size_t		 len;
};

struct gext {			/* weighted_sum only */
	dec		 opening, closing;
	struct prorate	*pr;		/* a prorated meter's steps */
};

struct aext {			/* what few aggregations need */
	int64_t		 lt;		/* latest: time and key of val */
	unsigned char	 lkey[KEY_LEN];
	struct vset	*set;		/* unique_count */
	struct gext	*gx;		/* weighted_sum */
};

/*
 * An accumulator: 96 bytes, in slabs aligned to 64, so counting an event
 * touches two cache lines.  At 10M events by the hour there are millions
 * of them, each met at random, and that is most of a run's time.
 */
struct acc {
	uint32_t	 cid, gid, mi;
	unsigned char	 hasval;
	unsigned char	 vs;		/* val: scale */
	int64_t		 ps, pe;
	uint64_t	 events;
	int64_t		 first, last;
	struct aext	*x;		/* NULL until needed */
	lin_t		 lin;
	dec_int		 vc;		/* val: coefficient */
};

#define ACC_ALIGN	64
_Static_assert(sizeof(struct acc) == 96, "struct acc: two cache lines");

struct aslot {
	uint32_t	 h;		/* of (customer, group, meter) */
	uint32_t	 idx;		/* accumulator + 1; 0 is empty */
};

/*
 * The accumulators of one period start, found by customer, group and
 * meter.  A table for each period, not one for all: rows from the
 * ledger come a day at a time, and the tables of that day's periods and
 * the accumulators they made that day stay in the cache, where one
 * table of millions sends every lookup to memory.
 */
struct ptab {
	int64_t		 ps;
	struct aslot	*s;
	size_t		 mask;		/* slots - 1 */
	size_t		 n;
};

/*
 * A gauge point, packed: 41 bytes where the aligned struct took 64.  A
 * series holds every point of its meter, customer and group (a weighted
 * sum needs them in time order, and input comes in any order), so at 10M
 * events this is most of meter-aggregate's memory.
 */
struct pt {
	int64_t		 t;
	unsigned char	 key[KEY_LEN];
	dec_int		 c;		/* the value: coefficient */
	unsigned char	 s;		/* and scale */
} __attribute__((packed));

/* A value kept as coefficient and scale apart, to save the padding. */
static dec
dec_of(dec_int c, int s)
{
	dec v;

	v.c = c;
	v.s = s;
	return v;
}

static dec
pt_v(const struct pt *p)
{
	return dec_of(p->c, p->s);
}

/*
 * The points of one meter, customer and group not walked yet, and the
 * walk so far: agg_fold() walks the points buffered (from input that
 * comes in order of day) and frees them, agg_finish() the rest.
 */
struct series {
	uint32_t	 cid, gid, mi;
	uint32_t	 sid;		/* its place in the table's sv */
	uint64_t	 nspill;	/* its points in spill files */
	size_t		 ord;		/* in agg_finish's read back */
	struct pt	*p;
	size_t		 n, cap;
	/* the walk */
	int		 have_p;	/* p is the period being walked */
	int		 done;		/* past the window: no more periods */
	struct tm_period per;
	dec		 level, opening, num;
	int64_t		 cur;
	struct acc	*a;
	uint64_t	 events;
	struct prorate	*pr;		/* a prorated meter's period so far */
	struct rwalk	*rw;		/* a recurring unique_count's walk */
};

/*
 * A recurring unique_count's series is walked like a gauge's: its points
 * are (time, key, value id, operation), the value id (a number the table
 * gives each distinct value, rv_intern) in the coefficient and the
 * operation (RC_ADD or RC_REMOVE) in the scale, so that the points are
 * kept, spilled, merged and sorted by the gauges' code.  The walk keeps
 * each value the series met: whether it is counted now and since when,
 * 16 bytes in an open-addressed table by value id.
 */
enum { RC_REMOVE, RC_ADD };

struct rval {
	uint32_t	 vid;		/* + 1; 0 is an empty slot */
	uint32_t	 active;
	int64_t		 since;		/* when it was last added */
};

/* A span in which a value was counted, ended inside the period. */
struct rspan {
	uint32_t	 vid;
	int64_t		 from, to;
};

struct rwalk {
	struct rval	*v;
	size_t		 mask, n;	/* slots - 1, values in it */
	uint64_t	 nactive;	/* values counted now */
	uint64_t	 opening;	/* at the start of the period walked */
	struct rspan	*log;		/* removals in the period walked */
	size_t		 nlog, caplog;
};

/* A distinct value of recurring unique_counts: its canonical JSON. */
struct rvref {
	const char	*p;		/* the table's vals key */
	size_t		 len;
};

/* What one meter takes from the event being counted. */
struct prep {
	const struct meter *m;
	dec		 v;
	uint32_t	 gid;
	size_t		 voff, vlen;	/* unique_count value in sbuf */
	int		 op;		/* recurring: RC_ADD or RC_REMOVE */
};

#define ACC_SLAB	4096

struct agg_tab {
	const struct agg_conf *c;
	/*
	 * The meters of the last two event types looked up, the later
	 * first: a ledger's day interleaves the types (two metered ones,
	 * or one and others), and a hash lookup of the type name was a
	 * tenth of counting an event.
	 */
	struct {
		char		 type[64];
		size_t		 len;	/* 0: none kept */
		const struct mlist *ml;
	}		 lt[2];
	struct hmap	 custmap;	/* id -> index + 1 */
	struct cust	*cust;
	size_t		 ncust, capcust;
	struct hmap	 grpmap;	/* canonical JSON -> index + 1 */
	struct grp	*grp;
	size_t		 ngrp, capgrp;
	struct acc	**slab;
	size_t		 nacc;
	struct ptab	*pt;		/* by period start: */
	size_t		 npt, cappt;
	uint32_t	*pmap;		/* ps -> index + 1 in pt */
	size_t		 pcap;
	size_t		 plast;		/* the last one found */
	struct hmap	 series;	/* (cid, gid, meter) -> struct series * */
	struct buf	 kb, sbuf;
	struct prep	*prep;
	unsigned char	*pass;		/* per meter of an event: filtered in */
	struct buf	*mjson;		/* meter names as JSON strings */
	struct buf	*ujson;		/* and their units */
	struct buf	*ajson;		/* and aggregations */
	struct buf	 pjson;		/* the period's unit as a JSON string */
	/* gauge points on disk (agg_spill) */
	int		 spilling;
	struct spill	 sp;		/* this table's: (sid, point) records */
	struct series	**sv;		/* by sid */
	size_t		 nsv, capsv;
	struct psrc	*srcs;		/* merged tables' files */
	size_t		 nsrcs;
	/* recurring unique_count values: canonical JSON -> id + 1 */
	struct hmap	 vals;
	struct rvref	*rv;		/* by id */
	size_t		 nrv, caprv;
	/*
	 * The newest event counted or read for a carried value: without
	 * --to, carried values run on to the period holding it.
	 */
	int64_t		 newest;
};

/*
 * A spill file of a merged table, its sids' series in this one and its
 * value ids' ids in this one (NULL: the same).
 */
struct psrc {
	struct spill	 sp;
	struct series	**map;
	size_t		 nmap;
	uint32_t	*vmap;
	size_t		 nvmap;
};

/* A spilled point: 45 bytes. */
struct sprec {
	uint32_t	 sid;
	struct pt	 p;
} __attribute__((packed));

static struct acc *
acc_at(const struct agg_tab *t, size_t i)
{
	return &t->slab[i / ACC_SLAB][i % ACC_SLAB];
}

static dec
acc_val(const struct acc *a)
{
	return dec_of(a->vc, a->vs);
}

static void
acc_set(struct acc *a, dec v)
{
	a->vc = v.c;
	a->vs = (unsigned char)v.s;
}

static struct aext *
acc_x(struct acc *a)
{
	if (a->x == NULL)
		a->x = xcalloc(1, sizeof(*a->x));
	return a->x;
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static uint32_t
acc_hash(uint32_t cid, uint32_t gid, uint32_t mi)
{
	return (uint32_t)mix(mix((uint64_t)cid << 32 | gid) ^
	    (uint64_t)mi << 17);
}

static uint32_t
grp_intern(struct agg_tab *t, const char *json, size_t len)
{
	void **ref = hmap_ref(&t->grpmap, json, len);
	struct grp *g;

	if (*ref != NULL)
		return (uint32_t)((uintptr_t)*ref - 1);
	if (t->ngrp == t->capgrp) {
		t->capgrp = t->capgrp ? 2 * t->capgrp : 16;
		t->grp = xreallocarray(t->grp, t->capgrp, sizeof(*t->grp));
	}
	g = &t->grp[t->ngrp];
	g->json = xmalloc(len + 1);
	memcpy(g->json, json, len);
	g->json[len] = '\0';
	g->len = len;
	*ref = (void *)(uintptr_t)(t->ngrp + 1);
	return (uint32_t)t->ngrp++;
}

struct agg_tab *
agg_new(const struct agg_conf *c)
{
	struct agg_tab *t = xcalloc(1, sizeof(*t));
	struct jw w;
	size_t i;

	t->c = c;
	hmap_init(&t->custmap);
	hmap_init(&t->grpmap);
	hmap_init(&t->series);
	t->prep = xcalloc(c->meters->n, sizeof(*t->prep));
	t->pass = xcalloc(c->meters->n, 1);
	t->mjson = xcalloc(c->meters->n, sizeof(*t->mjson));
	t->ujson = xcalloc(c->meters->n, sizeof(*t->ujson));
	t->ajson = xcalloc(c->meters->n, sizeof(*t->ajson));
	jw_put_plain(&t->pjson, tm_unit_name(c->unit));
	for (i = 0; i < c->meters->n; i++) {
		jw_init(&w, &t->mjson[i]);
		jw_str(&w, c->meters->v[i].name);
		jw_put_plain(&t->ajson[i], agg_name(c->meters->v[i].agg));
		if (c->meters->v[i].unit != NULL) {
			jw_init(&w, &t->ujson[i]);
			jw_str(&w, c->meters->v[i].unit);
		}
	}
	grp_intern(t, "{}", 2);		/* gid 0: no grouping */
	hmap_init(&t->vals);
	t->newest = INT64_MIN;
	return t;
}

static void
series_free(struct series *s)
{
	prorate_free(s->pr);
	if (s->rw != NULL) {
		free(s->rw->v);
		free(s->rw->log);
		free(s->rw);
	}
	free(s->p);
	free(s);
}

void
agg_free(struct agg_tab *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nacc; i++) {
		struct aext *x = acc_at(t, i)->x;

		if (x != NULL) {
			vset_free(x->set);
			if (x->gx != NULL)
				prorate_free(x->gx->pr);
			free(x->gx);
			free(x);
		}
	}
	for (i = 0; i * ACC_SLAB < t->nacc; i++)
		free(t->slab[i]);
	free(t->slab);
	for (i = 0; i < t->npt; i++)
		free(t->pt[i].s);
	free(t->pt);
	free(t->pmap);
	for (i = 0; i < t->series.cap; i++)
		if (t->series.t[i].key != NULL && t->series.t[i].val != NULL)
			series_free(t->series.t[i].val);
	for (i = 0; i < t->ncust; i++) {
		free(t->cust[i].id);
		free(t->cust[i].json);
		free(t->cust[i].zjson);
	}
	for (i = 0; i < t->c->meters->n; i++) {
		buf_free(&t->mjson[i]);
		buf_free(&t->ujson[i]);
		buf_free(&t->ajson[i]);
	}
	free(t->mjson);
	free(t->ujson);
	free(t->ajson);
	buf_free(&t->pjson);
	for (i = 0; i < t->ngrp; i++)
		free(t->grp[i].json);
	free(t->cust);
	free(t->grp);
	hmap_free(&t->custmap);
	hmap_free(&t->grpmap);
	hmap_free(&t->series);
	spill_close(&t->sp);
	for (i = 0; i < t->nsrcs; i++) {
		spill_close(&t->srcs[i].sp);
		free(t->srcs[i].map);
		free(t->srcs[i].vmap);
	}
	hmap_free(&t->vals);
	free(t->rv);
	free(t->srcs);
	free(t->sv);
	buf_free(&t->kb);
	buf_free(&t->sbuf);
	free(t->prep);
	free(t->pass);
	free(t);
}

/* The customer's index; -1 when the customer master does not know it. */
static long
cust_intern(struct agg_tab *t, const char *id, size_t len)
{
	const struct customer *c = NULL;
	void **ref;
	struct cust *ci;

	ref = hmap_ref(&t->custmap, id, len);
	if (*ref != NULL)
		return (long)((uintptr_t)*ref - 1);
	if (t->c->cust != NULL && (c = cust_by_id(t->c->cust, id)) == NULL) {
		*ref = NULL;	/* left in the map as a miss: fine */
		return -1;
	}
	if (t->ncust == t->capcust) {
		t->capcust = t->capcust ? 2 * t->capcust : 64;
		t->cust = xreallocarray(t->cust, t->capcust, sizeof(*t->cust));
	}
	ci = &t->cust[t->ncust];
	memset(ci, 0, sizeof(*ci));
	ci->id = xstrndup(id, len);
	ci->len = len;
	{
		struct buf b = { 0 };
		struct jw w;

		jw_init(&w, &b);
		jw_strn(&w, id, len);
		ci->json = b.p;
		ci->jlen = b.len;
	}
	ci->tz = c ? c->tz : NULL;
	ci->zone = c ? c->timezone : "UTC";
	{
		struct buf b = { 0 };
		struct jw w;

		jw_init(&w, &b);
		jw_str(&w, ci->zone);
		ci->zjson = b.p;
		ci->zjlen = b.len;
	}
	ci->anchor = c ? c->anchor : 0;
	*ref = (void *)(uintptr_t)(t->ncust + 1);
	return (long)t->ncust++;
}

static void
reject(struct agg_err *err, const char *cls, const char *code,
    const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
reject(struct agg_err *err, const char *cls, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	err->cls = cls;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static int
period_of(const struct agg_conf *c, const struct cust *ci, int64_t t,
    struct tm_period *p)
{
	return tm_period_of(t, c->unit, c->unit == TM_MONTH ? ci->anchor : 0,
	    ci->tz, p);
}

static int
period_next(const struct agg_conf *c, const struct cust *ci,
    const struct tm_period *p, struct tm_period *out)
{
	return tm_period_next(p, c->unit, c->unit == TM_MONTH ? ci->anchor :
	    0, ci->tz, out);
}

static int
selected(const struct agg_conf *c, int64_t end)
{
	return !c->windowed || (c->from < end && end <= c->to);
}

/*
 * The meter carries a value from period to period (a gauge's level, a
 * recurring count's values), so its events before the window are read.
 */
static int
carried(const struct meter *m)
{
	return m->agg == AG_WSUM || m->recurring;
}

/* A meter's number: a JSON number or a string holding one. */
static int
numeric(const struct meter *m, const struct aval *v, dec *out,
    struct agg_err *err, const char *field)
{
	switch (v->type) {
	case AV_NUM:
		*out = v->num;
		return 0;
	case AV_STR:
		if (dec_parse(v->p, v->len, out) == DEC_OK)
			return 0;
		reject(err, RC_DATA, "invalid_value", field, "meter '%s': %s "
		    "is the string \"%.*s\", not a number", m->name, field,
		    v->len > 64 ? 64 : (int)v->len, v->p);
		return -1;
	case AV_MISSING:
	case AV_NULL:
		reject(err, RC_DATA, "missing_value", field, "meter '%s' "
		    "(%s) needs %s, which the event %s", m->name,
		    agg_name(m->agg), field, v->type == AV_NULL ? "has as null"
		    : "does not have");
		return -1;
	default:
		reject(err, RC_DATA, "invalid_value", field, "meter '%s': %s "
		    "is not a number", m->name, field);
		return -1;
	}
}

/* An expression meter's operand, read like a field (numeric()). */
struct xctx {
	const struct aev	*e;
	const struct meter	*m;
	struct agg_err		*err;
};

static int
xlookup(void *ctx, const char *name, dec *out)
{
	struct xctx *x = ctx;
	struct aval v;
	char field[300];

	ev_get(x->e, name, &v);
	if (v.type == AV_NUM) {
		*out = v.num;
		return 0;
	}
	snprintf(field, sizeof(field), "data.%s", name);
	return numeric(x->m, &v, out, x->err, field);
}

static int
expr_value(const struct aev *e, const struct meter *m, dec *out,
    struct agg_err *err)
{
	struct xctx x = { e, m, err };

	switch (expr_eval(m->expr, xlookup, &x, out)) {
	case EXPR_OK:
		return 0;
	case EXPR_EOPERAND:	/* err set by numeric() */
		return -1;
	case EXPR_EDIVZERO:
		reject(err, RC_DATA, "division_by_zero", "", "meter '%s': "
		    "the expression divides by zero", m->name);
		return -1;
	default:
		reject(err, RC_DATA, "invalid_value", "", "meter '%s': the "
		    "expression's value does not fit in 38 digits", m->name);
		return -1;
	}
}

/*
 * A meter's filter: every key's value among its list.  Strings compare
 * as bytes, numbers by value with listed strings that are numbers ("2"
 * matches 2, 2.0 and "2"), booleans as "true" and "false"; null,
 * missing, objects and arrays match nothing.
 */
static int
filter_pass(const struct aev *e, const struct meter *m)
{
	const struct mfilter *f;
	struct aval v;
	size_t i, j;
	dec d;

	for (i = 0; i < m->nfilter; i++) {
		f = &m->filter[i];
		ev_get(e, f->path, &v);
		for (j = 0; j < f->nvals; j++) {
			const char *s = f->vals[j];

			if (v.type == AV_STR ? strlen(s) == v.len &&
			    memcmp(s, v.p, v.len) == 0 :
			    v.type == AV_NUM ? dec_parse(s, strlen(s), &d) ==
			    DEC_OK && dec_cmp(d, v.num) == 0 :
			    v.type == AV_TRUE ? strcmp(s, "true") == 0 :
			    v.type == AV_FALSE ? strcmp(s, "false") == 0 : 0)
				break;
		}
		if (j == f->nvals)
			return 0;
	}
	return 1;
}

/*
 * A recurring unique_count's operation, as Lago's events give it in
 * data.operation_type: "add" or none adds the value, "remove" removes
 * it.  Anything else is refused, not guessed at (Lago would take it for
 * a removal).
 */
static int
op_type(const struct aev *e, const struct meter *m, int *op,
    struct agg_err *err)
{
	struct aval v;

	ev_get(e, "operation_type", &v);
	*op = RC_ADD;
	if (v.type == AV_MISSING)
		return 0;
	if (v.type == AV_STR && v.len == 3 && memcmp(v.p, "add", 3) == 0)
		return 0;
	if (v.type == AV_STR && v.len == 6 && memcmp(v.p, "remove", 6) == 0) {
		*op = RC_REMOVE;
		return 0;
	}
	if (v.type == AV_STR)
		reject(err, RC_DATA, "invalid_value", "data.operation_type",
		    "meter '%s' (recurring unique_count): data.operation_type "
		    "is \"%.*s\", not \"add\" or \"remove\"", m->name,
		    v.len > 64 ? 64 : (int)v.len, v.p);
	else
		reject(err, RC_DATA, "invalid_value", "data.operation_type",
		    "meter '%s' (recurring unique_count): data.operation_type "
		    "must be the string \"add\" or \"remove\"", m->name);
	return -1;
}

/* Fill p for meter m; -1 with err set when the event cannot count. */
static int
prepare(struct agg_tab *t, const struct aev *e, const struct meter *m,
    struct prep *p, struct agg_err *err)
{
	char field[300];
	struct aval v;
	struct jw w;
	size_t i;

	p->m = m;
	p->gid = 0;
	p->vlen = 0;
	if (m->expr != NULL) {
		if (expr_value(e, m, &p->v, err) < 0)
			return -1;
	} else if (m->field != NULL) {
		ev_get(e, m->field, &v);
		if (agg_numeric(m->agg) && v.type == AV_NUM) {
			/* the common case: no field name to build */
			p->v = v.num;
		} else if (agg_numeric(m->agg)) {
			snprintf(field, sizeof(field), "data.%s", m->field);
			if (numeric(m, &v, &p->v, err, field) < 0)
				return -1;
		} else {	/* unique_count: any scalar */
			snprintf(field, sizeof(field), "data.%s", m->field);
			if (v.type == AV_MISSING || v.type == AV_NULL) {
				reject(err, RC_DATA, "missing_value", field,
				    "meter '%s' (unique_count) needs %s, "
				    "which the event %s", m->name, field,
				    v.type == AV_NULL ? "has as null" :
				    "does not have");
				return -1;
			}
			if (v.type == AV_OTHER) {
				reject(err, RC_DATA, "invalid_value", field,
				    "meter '%s': %s must be a string, number "
				    "or boolean to be counted", m->name, field);
				return -1;
			}
			p->voff = t->sbuf.len;
			jw_init(&w, &t->sbuf);
			val_json(&w, &v);
			p->vlen = t->sbuf.len - p->voff;
		}
	}
	if (m->recurring && op_type(e, m, &p->op, err) < 0)
		return -1;
	if (m->ngroup == 0)
		return 0;
	buf_reset(&t->kb);
	jw_init(&w, &t->kb);
	jw_open(&w, '{');
	for (i = 0; i < m->ngroup; i++) {
		ev_get(e, m->group_by[i], &v);
		if (v.type == AV_OTHER) {
			snprintf(field, sizeof(field), "data.%s",
			    m->group_by[i]);
			reject(err, RC_DATA, "invalid_group_value", field,
			    "meter '%s' groups by %s, which must be a string, "
			    "number, boolean or null", m->name, field);
			return -1;
		}
		jw_key(&w, m->group_by[i]);
		val_json(&w, &v);
	}
	jw_close(&w, '}');
	p->gid = grp_intern(t, t->kb.p, t->kb.len);
	return 0;
}

static int
later(int64_t t, const unsigned char *k, int64_t t2, const unsigned char *k2)
{
	return t > t2 || (t == t2 && memcmp(k, k2, KEY_LEN) > 0);
}

static _Noreturn void
overflow(const struct agg_tab *t, const struct acc *a)
{
	die(EX_DATAERR, "meter '%s', customer '%s': the %s does not fit in "
	    "38 digits", t->c->meters->v[a->mi].name, t->cust[a->cid].id,
	    agg_name(t->c->meters->v[a->mi].agg));
}

static void
ptab_grow(struct ptab *p)
{
	struct aslot *old = p->s;
	size_t oldcap = p->mask + 1, i, j;

	p->mask = 2 * oldcap - 1;
	p->s = xcalloc(p->mask + 1, sizeof(*p->s));
	for (i = 0; i < oldcap; i++) {
		if (old[i].idx == 0)
			continue;
		for (j = old[i].h & p->mask; p->s[j].idx != 0;
		    j = (j + 1) & p->mask)
			;
		p->s[j] = old[i];
	}
	free(old);
}

static void
pmap_grow(struct agg_tab *t)
{
	size_t i, j;

	free(t->pmap);
	t->pcap = t->pcap ? 2 * t->pcap : 64;
	t->pmap = xcalloc(t->pcap, sizeof(*t->pmap));
	for (i = 0; i < t->npt; i++) {
		for (j = mix((uint64_t)t->pt[i].ps) & (t->pcap - 1);
		    t->pmap[j] != 0; j = (j + 1) & (t->pcap - 1))
			;
		t->pmap[j] = (uint32_t)i + 1;
	}
}

/* The table of period start ps, created empty. */
static struct ptab *
ptab_of(struct agg_tab *t, int64_t ps)
{
	struct ptab *p;
	size_t j;

	if (t->plast < t->npt && t->pt[t->plast].ps == ps)
		return &t->pt[t->plast];
	if ((t->npt + 1) * 2 > t->pcap)
		pmap_grow(t);
	for (j = mix((uint64_t)ps) & (t->pcap - 1); t->pmap[j] != 0;
	    j = (j + 1) & (t->pcap - 1))
		if (t->pt[t->pmap[j] - 1].ps == ps)
			return &t->pt[t->plast = t->pmap[j] - 1];
	if (t->npt == t->cappt) {
		if (t->npt >= UINT32_MAX - 1)
			die(EX_SOFTWARE, "more than 4 billion periods");
		t->cappt = t->cappt ? 2 * t->cappt : 64;
		t->pt = xreallocarray(t->pt, t->cappt, sizeof(*t->pt));
	}
	p = &t->pt[t->npt];
	p->ps = ps;
	p->mask = 15;
	p->s = xcalloc(p->mask + 1, sizeof(*p->s));
	p->n = 0;
	t->pmap[j] = (uint32_t)++t->npt;
	t->plast = t->npt - 1;
	return p;
}

/* A new accumulator at the end of the slabs, not in the hash table. */
static struct acc *
acc_append(struct agg_tab *t)
{
	if (t->nacc % ACC_SLAB == 0) {
		void *p;

		t->slab = xreallocarray(t->slab, t->nacc / ACC_SLAB + 1,
		    sizeof(*t->slab));
		if (posix_memalign(&p, ACC_ALIGN, ACC_SLAB *
		    sizeof(struct acc)) != 0)
			die(EX_OSERR, "out of memory allocating %zu bytes",
			    ACC_SLAB * sizeof(struct acc));
		t->slab[t->nacc / ACC_SLAB] = p;
	}
	if (t->nacc >= UINT32_MAX - 1)
		die(EX_SOFTWARE, "more than 4 billion aggregates");
	return acc_at(t, t->nacc++);
}

/* The accumulator of (customer, group, meter, period start), created empty. */
static struct acc *
acc_get(struct agg_tab *t, uint32_t cid, uint32_t gid, uint32_t mi,
    int64_t ps, int64_t pe)
{
	uint32_t h = acc_hash(cid, gid, mi);
	struct ptab *p = ptab_of(t, ps);
	struct acc *a;
	size_t j;

	if ((p->n + 1) * 4 > (p->mask + 1) * 3)
		ptab_grow(p);
	for (j = h & p->mask; p->s[j].idx != 0; j = (j + 1) & p->mask) {
		if (p->s[j].h != h)
			continue;
		a = acc_at(t, p->s[j].idx - 1);
		if (a->cid == cid && a->gid == gid && a->mi == mi)
			return a;
	}
	a = acc_append(t);
	memset(a, 0, sizeof(*a));
	a->cid = cid;
	a->gid = gid;
	a->mi = mi;
	a->ps = ps;
	a->pe = pe;
	a->first = INT64_MAX;
	a->last = INT64_MIN;
	p->s[j].h = h;
	p->s[j].idx = (uint32_t)t->nacc;	/* index + 1 */
	p->n++;
	return a;
}

/* One event into an accumulator. */
static void
acc_add(struct agg_tab *t, struct acc *a, const struct prep *p,
    const struct aev *e, lin_t lin)
{
	struct aext *x;
	dec v;

	a->events++;
	if (e->t < a->first)
		a->first = e->t;
	if (e->t > a->last)
		a->last = e->t;
	a->lin += lin;
	switch (p->m->agg) {
	case AG_SUM:
	case AG_AVG:
		if (!a->hasval)
			acc_set(a, p->v);
		else if (dec_add(acc_val(a), p->v, &v) != DEC_OK)
			overflow(t, a);
		else
			acc_set(a, v);
		break;
	case AG_MIN:
		if (!a->hasval || dec_cmp(p->v, acc_val(a)) < 0)
			acc_set(a, p->v);
		break;
	case AG_MAX:
		if (!a->hasval || dec_cmp(p->v, acc_val(a)) > 0)
			acc_set(a, p->v);
		break;
	case AG_LATEST:
		x = acc_x(a);
		if (!a->hasval || later(e->t, e->key, x->lt, x->lkey)) {
			acc_set(a, p->v);
			x->lt = e->t;
			memcpy(x->lkey, e->key, KEY_LEN);
		}
		break;
	case AG_UNIQUE:
		x = acc_x(a);
		if (x->set == NULL)
			x->set = xcalloc(1, sizeof(*x->set));
		vset_add(x->set, t->sbuf.p + p->voff, p->vlen);
		break;
	default:
		break;
	}
	a->hasval = 1;
}

static struct series *
series_get(struct agg_tab *t, uint32_t cid, uint32_t gid, uint32_t mi)
{
	uint32_t k[3] = { cid, gid, mi };
	void **ref = hmap_ref(&t->series, (const char *)k, sizeof(k));
	struct series *s;

	if ((s = *ref) == NULL) {
		s = *ref = xcalloc(1, sizeof(*s));
		s->cid = cid;
		s->gid = gid;
		s->mi = mi;
		if (t->nsv == t->capsv) {
			t->capsv = t->capsv ? 2 * t->capsv : 64;
			t->sv = xreallocarray(t->sv, t->capsv, sizeof(*t->sv));
		}
		s->sid = (uint32_t)t->nsv;
		t->sv[t->nsv++] = s;
		if (t->c->meters->v[mi].recurring) {
			s->rw = xcalloc(1, sizeof(*s->rw));
			s->rw->mask = 15;
			s->rw->v = xcalloc(s->rw->mask + 1, sizeof(*s->rw->v));
		}
	}
	return s;
}

/* The id of a recurring unique_count's value (canonical JSON). */
static uint32_t
rv_intern(struct agg_tab *t, const char *p, size_t len)
{
	void **ref = hmap_ref(&t->vals, p, len);

	if (*ref != NULL)
		return (uint32_t)((uintptr_t)*ref - 1);
	if (t->nrv == t->caprv) {
		if (t->nrv >= UINT32_MAX - 1)
			die(EX_SOFTWARE, "more than 4 billion distinct values");
		t->caprv = t->caprv ? 2 * t->caprv : 64;
		t->rv = xreallocarray(t->rv, t->caprv, sizeof(*t->rv));
	}
	t->rv[t->nrv].p = hmap_slot_key(ref);
	t->rv[t->nrv].len = len;
	*ref = (void *)(uintptr_t)(t->nrv + 1);
	return (uint32_t)t->nrv++;
}

static void
series_put(struct series *s, const struct pt *p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->p = xreallocarray(s->p, s->cap, sizeof(*s->p));
	}
	s->p[s->n++] = *p;
}

/* A point of the series: to its memory, or to the table's spill file. */
static void
series_add(struct agg_tab *tab, struct series *s, int64_t t,
    const unsigned char *key, dec v)
{
	struct sprec r;

	r.p.t = t;
	memcpy(r.p.key, key, KEY_LEN);
	r.p.c = v.c;
	r.p.s = (unsigned char)v.s;
	if (!tab->spilling) {
		series_put(s, &r.p);
		return;
	}
	r.sid = s->sid;
	spill_put(&tab->sp, (const char *)&r, sizeof(r));
	s->nspill++;
}

void
agg_spill(struct agg_tab *t)
{
	t->spilling = 1;
}

uint64_t
agg_spilled(const struct agg_tab *t)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < t->nsv; i++)
		n += t->sv[i]->nspill;
	return n;
}

int
agg_event(struct agg_tab *t, const struct aev *e, struct agg_err *err)
{
	const struct agg_conf *c = t->c;
	const struct mlist *ml;
	struct cust *ci;
	size_t i, np = 0;
	int sel, after, gauge, use, counted = 0;
	long cid;
	lin_t lin;

	if (t->lt[0].len != 0 && e->type_len == t->lt[0].len &&
	    memcmp(e->type, t->lt[0].type, e->type_len) == 0)
		ml = t->lt[0].ml;
	else if (t->lt[1].len != 0 && e->type_len == t->lt[1].len &&
	    memcmp(e->type, t->lt[1].type, e->type_len) == 0)
		ml = t->lt[1].ml;
	else {
		ml = meters_for(c->meters, e->type, e->type_len);
		if (e->type_len > 0 && e->type_len <= sizeof(t->lt[0].type)) {
			t->lt[1] = t->lt[0];
			memcpy(t->lt[0].type, e->type, e->type_len);
			t->lt[0].len = e->type_len;
			t->lt[0].ml = ml;
		}
	}
	if (ml == NULL)
		return AGG_UNMETERED;
	/* filtered out by every meter of its type: as if of no meter's */
	for (i = 0; i < ml->n; i++)
		counted |= t->pass[i] = (unsigned char)filter_pass(e, ml->m[i]);
	if (!counted)
		return AGG_UNMETERED;
	counted = 0;
	if (strlen(e->customer) != e->customer_len) {
		reject(err, RC_DATA, "invalid_field", "customer", "the "
		    "customer id holds a NUL character");
		return AGG_REJECT;
	}
	if ((cid = cust_intern(t, e->customer, e->customer_len)) < 0) {
		reject(err, RC_DATA, "unknown_customer", "customer", "customer "
		    "'%s' is not in the customer master '%s'", e->customer,
		    c->cust->path);
		return AGG_REJECT;
	}
	ci = &t->cust[cid];
	if (!ci->havep || e->t < ci->p.start || e->t >= ci->p.end) {
		if (period_of(c, ci, e->t, &ci->p) < 0) {
			ci->havep = 0;
			reject(err, RC_DATA, "time_out_of_range", "time", "no "
			    "billing period can hold this event's time");
			return AGG_REJECT;
		}
		ci->havep = 1;
	}
	sel = selected(c, ci->p.end);
	after = c->windowed && ci->p.end > c->to;
	/*
	 * The event counts in its period when that is selected; before
	 * the window it may still set a gauge's opening level.  Either way
	 * every meter must be able to read it, or none counts it: the same
	 * event is refused whatever the window.
	 */
	use = sel;
	for (i = 0; i < ml->n && !use; i++)
		use = t->pass[i] && carried(ml->m[i]) && !after;
	if (!use)
		return AGG_OUTSIDE;
	buf_reset(&t->sbuf);
	for (i = 0; i < ml->n; i++) {
		if (!t->pass[i])
			continue;
		if (prepare(t, e, ml->m[i], &t->prep[np], err) < 0)
			return AGG_REJECT;
		gauge = carried(ml->m[i]);
		if (sel || (gauge && !after))
			np++;
	}
	if (e->t > t->newest)
		t->newest = e->t;
	ci = &t->cust[cid];	/* prepare() may not move it, but be safe */
	lin = lin_of(e->key);
	for (i = 0; i < np; i++) {
		const struct prep *p = &t->prep[i];

		if (p->m->agg == AG_WSUM) {
			series_add(t, series_get(t, (uint32_t)cid, p->gid,
			    (uint32_t)p->m->idx), e->t, e->key, p->v);
			counted |= sel;
			continue;
		}
		if (p->m->recurring) {
			series_add(t, series_get(t, (uint32_t)cid, p->gid,
			    (uint32_t)p->m->idx), e->t, e->key,
			    dec_of(rv_intern(t, t->sbuf.p + p->voff, p->vlen),
			    p->op));
			counted |= sel;
			continue;
		}
		acc_add(t, acc_get(t, (uint32_t)cid, p->gid,
		    (uint32_t)p->m->idx, ci->p.start, ci->p.end), p, e, lin);
		counted = 1;
	}
	return counted ? AGG_COUNTED : AGG_OUTSIDE;
}

/* ---- merging the tables of several threads ---- */

static void
acc_merge(struct agg_tab *t, struct acc *a, struct acc *b)
{
	struct vset *bs;
	size_t i;
	dec v;

	a->events += b->events;
	if (b->first < a->first)
		a->first = b->first;
	if (b->last > a->last)
		a->last = b->last;
	a->lin += b->lin;
	switch (t->c->meters->v[a->mi].agg) {
	case AG_SUM:
	case AG_AVG:
		if (dec_add(acc_val(a), acc_val(b), &v) != DEC_OK)
			overflow(t, a);
		acc_set(a, v);
		break;
	case AG_MIN:
		if (dec_cmp(acc_val(b), acc_val(a)) < 0)
			acc_set(a, acc_val(b));
		break;
	case AG_MAX:
		if (dec_cmp(acc_val(b), acc_val(a)) > 0)
			acc_set(a, acc_val(b));
		break;
	case AG_LATEST:
		if (b->x == NULL)
			break;
		if (a->x == NULL ||
		    later(b->x->lt, b->x->lkey, a->x->lt, a->x->lkey)) {
			acc_set(a, acc_val(b));
			acc_x(a)->lt = b->x->lt;
			memcpy(a->x->lkey, b->x->lkey, KEY_LEN);
		}
		break;
	case AG_UNIQUE:
		if (b->x == NULL || (bs = b->x->set) == NULL)
			break;
		if (acc_x(a)->set == NULL) {
			a->x->set = bs;
			b->x->set = NULL;
			break;
		}
		for (i = 0; i < bs->cap; i++)
			if (bs->t[i].len != 0)
				vset_add(a->x->set, bs->arena.p +
				    bs->t[i].off, bs->t[i].len - 1);
		break;
	default:
		break;
	}
}

/*
 * Take over a spill file whose sids map to our series by map, and whose
 * value ids to ours by vmap.
 */
static void
psrc_add(struct agg_tab *t, struct spill *sp, struct series **map,
    size_t nmap, uint32_t *vmap, size_t nvmap)
{
	t->srcs = xreallocarray(t->srcs, t->nsrcs + 1, sizeof(*t->srcs));
	t->srcs[t->nsrcs].sp = *sp;
	t->srcs[t->nsrcs].map = map;
	t->srcs[t->nsrcs].nmap = nmap;
	t->srcs[t->nsrcs].vmap = vmap;
	t->srcs[t->nsrcs].nvmap = nvmap;
	t->nsrcs++;
	sp->fp = NULL;
}

void
agg_merge(struct agg_tab *into, struct agg_tab *from)
{
	struct series *s, *d, **smap;
	uint32_t *cmap, *gmap, *vmap;
	struct acc *b, *a;
	size_t i, j;

	vmap = xcalloc(from->nrv + 1, sizeof(*vmap));
	for (i = 0; i < from->nrv; i++)
		vmap[i] = rv_intern(into, from->rv[i].p, from->rv[i].len);
	if (from->newest > into->newest)
		into->newest = from->newest;
	cmap = xcalloc(from->ncust + 1, sizeof(*cmap));
	gmap = xcalloc(from->ngrp + 1, sizeof(*gmap));
	for (i = 0; i < from->ncust; i++)
		cmap[i] = (uint32_t)cust_intern(into, from->cust[i].id,
		    from->cust[i].len);
	for (i = 0; i < from->ngrp; i++)
		gmap[i] = grp_intern(into, from->grp[i].json,
		    from->grp[i].len);
	/*
	 * Appended, not looked up: the same aggregate may now be in the
	 * slabs twice, and agg_finish combines them once they are sorted
	 * next to each other.  Only gauge periods are looked up after a
	 * merge, and none exists before agg_finish makes them.
	 */
	for (i = 0; i < from->nacc; i++) {
		b = acc_at(from, i);
		a = acc_append(into);
		*a = *b;
		a->cid = cmap[b->cid];
		a->gid = gmap[b->gid];
		b->x = NULL;
	}
	smap = xcalloc(from->nsv + 1, sizeof(*smap));
	for (i = 0; i < from->series.cap; i++) {
		if (from->series.t[i].key == NULL ||
		    (s = from->series.t[i].val) == NULL)
			continue;
		d = series_get(into, cmap[s->cid], gmap[s->gid], s->mi);
		if (s->have_p || d->have_p)
			die(EX_SOFTWARE, "agg_merge: a folded gauge series");
		smap[s->sid] = d;
		d->nspill += s->nspill;
		if (s->n == 0)
			continue;	/* spilled: p may be NULL */
		if (d->n + s->n > d->cap) {
			d->cap = d->n + s->n;
			d->p = xreallocarray(d->p, d->cap, sizeof(*d->p));
		}
		memcpy(d->p + d->n, s->p, s->n * sizeof(*s->p));
		if (d->rw != NULL)	/* recurring: value ids are ours now */
			for (j = d->n; j < d->n + s->n; j++)
				d->p[j].c = vmap[(uint32_t)d->p[j].c];
		d->n += s->n;
	}
	/*
	 * The spill files go with their sids mapped to our series and
	 * their value ids to ours.
	 */
	for (i = 0; i < from->nsrcs; i++) {
		struct psrc *ps = &from->srcs[i];

		for (j = 0; j < ps->nmap; j++)
			if (ps->map[j] != NULL)
				ps->map[j] = smap[ps->map[j]->sid];
		for (j = 0; j < ps->nvmap; j++)
			ps->vmap[j] = vmap[ps->vmap[j]];
		psrc_add(into, &ps->sp, ps->map, ps->nmap, ps->vmap,
		    ps->nvmap);
	}
	from->nsrcs = 0;
	if (from->sp.fp != NULL) {
		psrc_add(into, &from->sp, smap, from->nsv, vmap, from->nrv);
		smap = NULL;
		vmap = NULL;
	}
	free(vmap);
	free(smap);
	free(cmap);
	free(gmap);
	agg_free(from);
}

/* ---- gauges: weighted sums, period by period ---- */

static int
pt_cmp(const void *a, const void *b)
{
	const struct pt *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return memcmp(x->key, y->key, KEY_LEN);
}

static _Noreturn void
wsum_overflow(const struct agg_tab *t, const struct series *s)
{
	die(EX_DATAERR, "meter '%s', customer '%s': the weighted sum does "
	    "not fit in 38 digits", t->c->meters->v[s->mi].name,
	    t->cust[s->cid].id);
}

/* level x duration, added to num */
static void
wsum_step(const struct agg_tab *t, const struct series *s, dec *num,
    dec level, int64_t dur)
{
	dec prod;

	if (dec_sign(level) == 0 || dur == 0)
		return;
	if (dec_mul(level, dec_from_i64(dur), &prod) != DEC_OK ||
	    dec_add(*num, prod, num) != DEC_OK)
		wsum_overflow(t, s);
}

/*
 * Prorated meters (prorate.h): the period's local days, the level
 * carried in, then a step a day the level changes.
 */
static void
walk_prorate_open(struct agg_tab *t, struct series *s)
{
	const struct tz *tz = t->cust[s->cid].tz;
	int64_t d0 = tz_day(tz, s->per.start);

	if (s->pr == NULL)
		s->pr = xcalloc(1, sizeof(*s->pr));
	prorate_open(s->pr, d0, tz_day(tz, s->per.end - 1) - d0 + 1,
	    s->level);
}

static void
walk_prorate_change(struct agg_tab *t, struct series *s, int64_t when,
    dec before)
{
	dec d;

	if (s->pr == NULL)
		return;
	if (dec_sub(s->level, before, &d) != DEC_OK ||
	    prorate_change(s->pr, tz_day(t->cust[s->cid].tz, when), d) !=
	    DEC_OK)
		wsum_overflow(t, s);
}

static void
walk_open(struct agg_tab *t, struct series *s)
{
	s->opening = s->level;
	s->num = DEC_ZERO;
	s->cur = s->per.start;
	s->a = NULL;
	s->events = 0;
	if (s->rw != NULL) {
		s->rw->opening = s->rw->nactive;
		s->rw->nlog = 0;
	}
	if (t->c->meters->v[s->mi].prorated)
		walk_prorate_open(t, s);
}

/* ---- recurring unique_count: values counted until removed ---- */

/* The walk's slot of value vid, added (not counted) when new. */
static struct rval *
rw_val(struct rwalk *w, uint32_t vid)
{
	struct rval *old;
	size_t i, j, oldcap;

	if ((w->n + 1) * 4 > (w->mask + 1) * 3) {
		old = w->v;
		oldcap = w->mask + 1;
		w->mask = 2 * oldcap - 1;
		w->v = xcalloc(w->mask + 1, sizeof(*w->v));
		for (i = 0; i < oldcap; i++) {
			if (old[i].vid == 0)
				continue;
			for (j = mix(old[i].vid) & w->mask; w->v[j].vid != 0;
			    j = (j + 1) & w->mask)
				;
			w->v[j] = old[i];
		}
		free(old);
	}
	for (j = mix(vid + 1) & w->mask; w->v[j].vid != 0;
	    j = (j + 1) & w->mask)
		if (w->v[j].vid == vid + 1)
			return &w->v[j];
	w->v[j].vid = vid + 1;
	w->v[j].active = 0;
	w->n++;
	return &w->v[j];
}

/*
 * One add or remove, in time order, as lago-api's unique count takes
 * them (Events::Stores::Postgres::UniqueCountQuery, operation_value_sql):
 * an add of a value counted already and a remove of one not counted
 * change nothing; a value removed and added again counts again.
 */
static void
rc_point(struct series *s, const struct pt *x)
{
	struct rwalk *w = s->rw;
	struct rval *v = rw_val(w, (uint32_t)x->c);
	struct rspan *l;

	if (x->s == RC_ADD) {
		if (!v->active) {
			v->active = 1;
			v->since = x->t;
			w->nactive++;
		}
		return;
	}
	if (!v->active)
		return;
	if (w->nlog == w->caplog) {
		w->caplog = w->caplog ? 2 * w->caplog : 8;
		w->log = xreallocarray(w->log, w->caplog, sizeof(*w->log));
	}
	l = &w->log[w->nlog++];
	l->vid = v->vid - 1;
	l->from = v->since > s->per.start ? v->since : s->per.start;
	l->to = x->t;
	v->active = 0;
	w->nactive--;
}

/*
 * The spans of the period being walked (s->per) in which each value of a
 * recurring unique_count series was counted, [from, to) within it, in no
 * particular order: those a removal ended (the walk's log), then those
 * of the values still counted, which reach the period's end.  A value
 * removed and added again has several.  For walk_close, before the walk
 * leaves the period.  The quantity is the number of spans that reach
 * the end: Lago counts the values active when the period ends, so one
 * removed on its last day is not billed for it.  A prorated quantity
 * (each value for its share of the period, Lago's prorated charges)
 * would be the sum of (to - from) / (end - start).
 */
static void
rc_spans(const struct agg_tab *t, const struct series *s,
    void (*fn)(const struct rvref *, int64_t, int64_t, void *), void *arg)
{
	const struct rwalk *w = s->rw;
	const struct rval *v;
	size_t i;

	for (i = 0; i < w->nlog; i++)
		fn(&t->rv[w->log[i].vid], w->log[i].from, w->log[i].to, arg);
	for (i = 0; i <= w->mask; i++) {
		v = &w->v[i];
		if (v->vid != 0 && v->active)
			fn(&t->rv[v->vid - 1], v->since > s->per.start ?
			    v->since : s->per.start, s->per.end, arg);
	}
}

struct rc_count {
	int64_t		 end;
	uint64_t	 n;
};

static void
rc_count_end(const struct rvref *v, int64_t from, int64_t to, void *arg)
{
	struct rc_count *c = arg;

	(void)v;
	(void)from;
	if (to == c->end)
		c->n++;
}

/*
 * A prorated recurring unique_count (prorate.h): each value counts from
 * the day it was added (or the period's first, when carried in) to the
 * day it was removed, both included, as Lago's prorated unique count
 * (UniqueCountQuery#period_ratio_sql: the day after the removal less
 * the day of the add); a value removed and added again on one day is
 * not counted twice for it.  The spans become changes of the count,
 * +1 from the first day and -1 from the day after the last, a step a
 * day once sorted.
 */
struct rc_span {
	const struct rvref *v;
	int64_t		 from, to;
};

struct rc_spans {
	struct rc_span	*v;
	size_t		 n, cap;
};

struct rc_chg {
	int64_t		 day;
	int		 delta;
};

static void
rc_span_add(const struct rvref *v, int64_t from, int64_t to, void *arg)
{
	struct rc_spans *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n].v = v;
	l->v[l->n].from = from;
	l->v[l->n++].to = to;
}

static int
rc_span_cmp(const void *x, const void *y)
{
	const struct rc_span *a = x, *b = y;

	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return a->from < b->from ? -1 : a->from > b->from;
}

static int
rc_chg_cmp(const void *x, const void *y)
{
	const struct rc_chg *a = x, *b = y;

	return a->day < b->day ? -1 : a->day > b->day;
}

static void
rc_prorate(struct agg_tab *t, struct series *s)
{
	const struct tz *tz = t->cust[s->cid].tz;
	const struct tm_period *p = &s->per;
	struct rc_spans l = { 0 };
	struct rc_chg *c;
	int64_t d0 = tz_day(tz, p->start), dn = tz_day(tz, p->end - 1);
	int64_t first, last, prev = INT64_MIN;
	size_t i, n = 0;

	rc_spans(t, s, rc_span_add, &l);
	qsort(l.v, l.n, sizeof(*l.v), rc_span_cmp);
	c = xreallocarray(NULL, 2 * l.n + 1, sizeof(*c));
	for (i = 0; i < l.n; i++) {
		if (i == 0 || l.v[i].v != l.v[i - 1].v)
			prev = INT64_MIN;
		first = tz_day(tz, l.v[i].from);
		last = l.v[i].to == p->end ? dn : tz_day(tz, l.v[i].to);
		if (first <= prev)
			first = prev + 1;
		/*
		 * re-added on the day of its removal: counted from the next
		 * day (at the period's end, the next day is none)
		 */
		if (l.v[i].to != p->end && first > last)
			continue;
		prev = last;
		c[n].day = first;
		c[n++].delta = 1;
		if (l.v[i].to != p->end) {
			c[n].day = last + 1;
			c[n++].delta = -1;
		}
	}
	qsort(c, n, sizeof(*c), rc_chg_cmp);
	prorate_open(s->pr, d0, dn - d0 + 1, DEC_ZERO);
	for (i = 0; i < n; i++)
		if (prorate_change(s->pr, c[i].day,
		    dec_from_i64(c[i].delta)) != DEC_OK)
			die(EX_SOFTWARE, "a recurring count's proration");
	free(c);
	free(l.v);
}

/* The period being walked is over: the values counted at its end. */
static void
rc_close(struct agg_tab *t, struct series *s)
{
	const struct tm_period *p = &s->per;
	struct rwalk *w = s->rw;
	struct rc_count cnt = { p->end, 0 };
	struct aext *x;

	if (!selected(t->c, p->end) || (s->events == 0 && w->nactive == 0 &&
	    w->opening == 0))
		return;
	rc_spans(t, s, rc_count_end, &cnt);
	if (cnt.n != w->nactive)
		die(EX_SOFTWARE, "meter '%s', customer '%s': %" PRIu64 " values "
		    "counted, %" PRIu64 " reach the period's end",
		    t->c->meters->v[s->mi].name, t->cust[s->cid].id,
		    w->nactive, cnt.n);
	if (s->a == NULL)
		s->a = acc_get(t, s->cid, s->gid, s->mi, p->start, p->end);
	acc_set(s->a, dec_from_i64((int64_t)cnt.n));
	s->a->hasval = 1;
	x = acc_x(s->a);
	x->gx = xmalloc(sizeof(*x->gx));
	x->gx->opening = dec_from_i64((int64_t)w->opening);
	x->gx->closing = dec_from_i64((int64_t)w->nactive);
	x->gx->pr = NULL;
	if (s->pr != NULL) {
		rc_prorate(t, s);
		x->gx->pr = prorate_dup(s->pr);
	}
}

/* The period being walked is over: its weighted sum. */
static void
walk_close(struct agg_tab *t, struct series *s)
{
	const struct agg_conf *c = t->c;
	const struct meter *m = &c->meters->v[s->mi];
	struct tm_period *p = &s->per;
	struct aext *x;
	dec v;

	if (s->rw != NULL) {
		rc_close(t, s);
		return;
	}
	wsum_step(t, s, &s->num, s->level, p->end - s->cur);
	if (selected(c, p->end) && (s->events > 0 ||
	    dec_sign(s->level) != 0 || dec_sign(s->opening) != 0)) {
		if (s->a == NULL)
			s->a = acc_get(t, s->cid, s->gid, s->mi, p->start,
			    p->end);
		if (dec_div(s->num, dec_from_i64(p->end - p->start),
		    m->precision, m->rounding, &v) != DEC_OK)
			wsum_overflow(t, s);
		acc_set(s->a, v);
		s->a->hasval = 1;
		x = acc_x(s->a);
		x->gx = xmalloc(sizeof(*x->gx));
		x->gx->opening = s->opening;
		x->gx->closing = s->level;
		x->gx->pr = NULL;
		if (s->pr != NULL) {
			dec pq, pf;

			if (prorate_quantity(s->pr, &pq, &pf) != 0)
				wsum_overflow(t, s);
			x->gx->pr = prorate_dup(s->pr);
		}
	}
}

/*
 * The period after the one just closed, given the time of the next point
 * (INT64_MAX: there is none): 0, or -1 when the walk is over.  Before the
 * window the walk jumps, since the level holds.
 */
static int
walk_next(struct agg_tab *t, struct series *s, int64_t next)
{
	const struct agg_conf *c = t->c;
	const struct cust *ci = &t->cust[s->cid];
	struct tm_period q;

	if (c->windowed && s->per.end >= c->to)
		return -1;
	if (period_next(c, ci, &s->per, &q) < 0)
		return -1;
	if (c->windowed && q.end <= c->from) {
		if (next != INT64_MAX && next < c->from) {
			if (next >= q.end && period_of(c, ci, next, &q) < 0)
				return -1;
		} else if (period_of(c, ci, c->from, &q) < 0)
			return -1;
	}
	/*
	 * Past the last point without --to: on to the period holding the
	 * newest event the run counted (its "now"), the same whatever the
	 * order of the input or the split over threads.
	 */
	if (next == INT64_MAX && (!c->windowed || c->to == INT64_MAX) &&
	    q.start > t->newest)
		return -1;
	s->per = q;
	walk_open(t, s);
	return 0;
}

/* One point, in time order. */
static void
walk_point(struct agg_tab *t, struct series *s, const struct pt *x)
{
	const struct agg_conf *c = t->c;
	const struct meter *m = &c->meters->v[s->mi];
	dec before;

	if (s->done)
		return;
	if (!s->have_p) {
		if (period_of(c, &t->cust[s->cid], x->t, &s->per) < 0)
			die(EX_SOFTWARE, "no period for a gauge point");
		s->have_p = 1;
		walk_open(t, s);
	}
	while (x->t >= s->per.end) {
		walk_close(t, s);
		if (walk_next(t, s, x->t) < 0) {
			s->done = 1;
			return;
		}
	}
	if (s->rw != NULL)
		rc_point(s, x);
	else {
		wsum_step(t, s, &s->num, s->level, x->t - s->cur);
		s->cur = x->t;
		before = s->level;
		if (m->increments) {
			if (dec_add(s->level, pt_v(x), &s->level) != DEC_OK)
				wsum_overflow(t, s);
		} else
			s->level = pt_v(x);
		walk_prorate_change(t, s, x->t, before);
	}
	if (!selected(c, s->per.end))
		return;
	if (s->a == NULL)
		s->a = acc_get(t, s->cid, s->gid, s->mi, s->per.start,
		    s->per.end);
	s->a->events++;
	s->events++;
	if (s->a->first == INT64_MAX)
		s->a->first = x->t;
	s->a->last = x->t;
	s->a->lin += lin_of(x->key);
}

/* Walk the points buffered, in time order, and let them go. */
static void
walk_buffered(struct agg_tab *t, struct series *s)
{
	size_t i;

	if (s->n == 0)
		return;		/* p may be NULL, which qsort must not get */
	qsort(s->p, s->n, sizeof(*s->p), pt_cmp);
	for (i = 0; i < s->n; i++)
		walk_point(t, s, &s->p[i]);
	s->n = 0;
	if (s->cap > 64) {		/* a heavy day: give it back */
		free(s->p);
		s->p = NULL;
		s->cap = 0;
	}
}

/* The last points, then the periods after them the window asks for. */
static void
series_walk(struct agg_tab *t, struct series *s)
{
	walk_buffered(t, s);
	if (!s->have_p || s->done)
		return;
	do
		walk_close(t, s);
	while (walk_next(t, s, INT64_MAX) == 0);
	s->done = 1;
}

/*
 * Read the spilled points back and walk their series, a pass over the
 * files for each group of series holding up to PASS_POINTS points, so
 * memory holds one group's points at a time.  U2C_TEST_PASS_POINTS sets
 * another group size, for the tests to make many passes of little data.
 */
#define PASS_POINTS	(64 * 1024)
#define READ_RECS	4096

static uint64_t
pass_points(void)
{
	const char *e = getenv("U2C_TEST_PASS_POINTS");
	long n = e != NULL ? atol(e) : 0;

	return n > 0 ? (uint64_t)n : PASS_POINTS;
}

static void
spill_walk(struct psrc *src, size_t lo, size_t hi, struct sprec *rb)
{
	struct spill *sp = &src->sp;
	struct series **map = src->map, *s;
	size_t i, n, nmap = src->nmap;
	uint64_t off = 0;
	struct pt p;

	while ((n = spill_read(sp, &off, rb, READ_RECS * sizeof(*rb))) > 0) {
		if (n % sizeof(*rb) != 0)
			die(EX_IOERR, "a temporary file of gauge points was "
			    "cut short");
		for (i = 0; i < n / sizeof(*rb); i++) {
			if (rb[i].sid >= nmap || (s = map[rb[i].sid]) == NULL)
				die(EX_SOFTWARE, "a spilled point of no series");
			if (s->ord < lo || s->ord >= hi)
				continue;
			p = rb[i].p;
			if (s->rw != NULL && src->vmap != NULL) {
				if ((uint32_t)p.c >= src->nvmap)
					die(EX_SOFTWARE, "a spilled value of no id");
				p.c = src->vmap[(uint32_t)p.c];
			}
			series_put(s, &p);
		}
	}
}

static void
unspill(struct agg_tab *t)
{
	struct series **v = NULL, *s;
	struct sprec *rb;
	size_t i, j, lo, hi, nv = 0;
	uint64_t pts, max;

	if (t->sp.fp == NULL && t->nsrcs == 0)
		return;
	t->spilling = 0;
	for (i = 0; i < t->nsv; i++) {
		s = t->sv[i];
		s->ord = SIZE_MAX;
		if (s->nspill > 0) {
			v = xreallocarray(v, nv + 1, sizeof(*v));
			s->ord = nv;
			v[nv++] = s;
		}
	}
	rb = xreallocarray(NULL, READ_RECS, sizeof(*rb));
	max = pass_points();
	for (lo = 0; lo < nv; lo = hi) {
		for (hi = lo, pts = 0; hi < nv && (hi == lo ||
		    pts + v[hi]->nspill <= max); hi++)
			pts += v[hi]->nspill;
		if (t->sp.fp != NULL) {
			struct psrc own = { t->sp, t->sv, t->nsv, NULL, 0 };

			spill_walk(&own, lo, hi, rb);
		}
		for (j = 0; j < t->nsrcs; j++)
			spill_walk(&t->srcs[j], lo, hi, rb);
		for (j = lo; j < hi; j++)
			series_walk(t, v[j]);
	}
	free(rb);
	free(v);
}

void
agg_fold(struct agg_tab *t)
{
	struct series *s;
	size_t i;

	for (i = 0; i < t->series.cap; i++)
		if (t->series.t[i].key != NULL &&
		    (s = t->series.t[i].val) != NULL && s->n > 0)
			walk_buffered(t, s);
}

/* ---- output ---- */

struct skey {
	uint32_t	 crank, mrank, grank, idx;
	int64_t		 ps;
};

static int
skey_cmp(const void *x, const void *y)
{
	const struct skey *a = x, *b = y;

	if (a->crank != b->crank)
		return a->crank < b->crank ? -1 : 1;
	if (a->mrank != b->mrank)
		return a->mrank < b->mrank ? -1 : 1;
	if (a->ps != b->ps)
		return a->ps < b->ps ? -1 : 1;
	if (a->grank != b->grank)
		return a->grank < b->grank ? -1 : 1;
	return 0;
}

/*
 * skey_cmp's order within one customer (crank is equal there, and so is
 * mrank in agg_finish's buckets, but skey_sort does not rely on it), inline:
 * qsort's callback per comparison cost more than the comparison.
 */
static inline int
skey_less(const struct skey *a, const struct skey *b)
{
	if (a->mrank != b->mrank)
		return a->mrank < b->mrank;
	if (a->ps != b->ps)
		return a->ps < b->ps;
	return a->grank < b->grank;
}

#define SKEY_RUN	16	/* sorted by insertion before merging */

/*
 * One customer's aggregates sorted (a few dozen by the hour, a few
 * hundred for the busiest): a stable bottom-up merge sort, tmp holding
 * n.  Runs of SKEY_RUN by insertion first, which costs little on the
 * nearly sorted runs the scan leaves (accumulators are made in the order
 * of the days scanned); a merge whose halves are already in order is a
 * copy.  The same order qsort with skey_cmp gave, in a third of the
 * instructions: the sort is on the main thread, between the parallel
 * scan and the parallel formatting, so every instruction of it is one of
 * the run's wall time.
 */
static void
skey_sort(struct skey *v, size_t n, struct skey *tmp)
{
	struct skey *src = v, *dst = tmp, *sw, x;
	size_t i, j, lo, mid, hi, w, a, b;

	for (lo = 0; lo < n; lo += SKEY_RUN) {
		hi = lo + SKEY_RUN < n ? lo + SKEY_RUN : n;
		for (i = lo + 1; i < hi; i++) {
			x = v[i];
			for (j = i; j > lo && skey_less(&x, &v[j - 1]); j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	}
	for (w = SKEY_RUN; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			mid = lo + w < n ? lo + w : n;
			hi = lo + 2 * w < n ? lo + 2 * w : n;
			if (mid == hi || !skey_less(&src[mid], &src[mid - 1])) {
				memcpy(dst + lo, src + lo,
				    (hi - lo) * sizeof(*src));
				continue;
			}
			for (a = lo, b = mid, i = lo; i < hi; i++)
				if (b < hi && (a == mid ||
				    skey_less(&src[b], &src[a])))
					dst[i] = src[b++];
				else
					dst[i] = src[a++];
		}
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

static int
bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r ? r : (an > bn) - (an < bn);
}

static const struct agg_tab *rank_tab;	/* for the qsort callbacks */

static int
cust_cmp(const void *x, const void *y)
{
	const struct cust *a = &rank_tab->cust[*(const uint32_t *)x];
	const struct cust *b = &rank_tab->cust[*(const uint32_t *)y];

	return bytes_cmp(a->id, a->len, b->id, b->len);
}

static int
grp_cmp(const void *x, const void *y)
{
	const struct grp *a = &rank_tab->grp[*(const uint32_t *)x];
	const struct grp *b = &rank_tab->grp[*(const uint32_t *)y];

	return bytes_cmp(a->json, a->len, b->json, b->len);
}

static int
meter_cmp(const void *x, const void *y)
{
	const struct meter *a = &rank_tab->c->meters->v[*(const uint32_t *)x];
	const struct meter *b = &rank_tab->c->meters->v[*(const uint32_t *)y];

	return strcmp(a->name, b->name);
}

static uint32_t *
ranks(struct agg_tab *t, size_t n, int (*cmp)(const void *, const void *))
{
	uint32_t *order = xcalloc(n + 1, sizeof(*order));
	uint32_t *rank = xcalloc(n + 1, sizeof(*rank));
	size_t i;

	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	rank_tab = t;
	qsort(order, n, sizeof(*order), cmp);
	for (i = 0; i < n; i++)
		rank[order[i]] = (uint32_t)i;
	free(order);
	return rank;
}

/*
 * The aggregate key: the bytes key_start("aggregate"), key_field,
 * key_str, key_field, key_i64 and key_i64 would hash, gathered by stores
 * of known size and hashed by one key_hash: those six calls and their
 * copies cost two thirds of the BLAKE2b itself, and there is a key an
 * aggregate (millions by the hour).  On the stack but for a long one
 * (tests/1100-aggregate.bats checks both against BLAKE2b).
 */
static void
agg_key(const struct cust *ci, const struct meter *m, const struct grp *g,
    const struct acc *a, unsigned char *out)
{
	unsigned char sb[KEYH_BUF], *b = sb, *p;
	size_t mlen = strlen(m->name);
	size_t need = 8 + 9 + 8 + ci->len + 8 + mlen + 8 + g->len + 2 * 16;

	if (need > sizeof(sb))
		b = xmalloc(need);
	p = key_put_field(b, "aggregate", 9);
	p = key_put_field(p, ci->id, ci->len);
	p = key_put_field(p, m->name, mlen);
	p = key_put_field(p, g->json, g->len);
	p = key_put_i64(p, a->ps);
	p = key_put_i64(p, a->pe);
	key_hash(b, (size_t)(p - b), out);
	if (b != sb)
		free(b);
}

static void
acc_out(const struct agg_tab *t, const struct acc *a, struct aggrec_out *o)
{
	const struct meter *m = &t->c->meters->v[a->mi];
	const struct cust *ci = &t->cust[a->cid];
	const struct grp *g = &t->grp[a->gid];

	memset(o, 0, sizeof(*o));
	o->m = m;
	o->customer = ci->id;
	o->customer_json = ci->json;
	o->customer_json_len = ci->jlen;
	o->meter_json = t->mjson[a->mi].p;
	o->meter_json_len = t->mjson[a->mi].len;
	o->agg_json = t->ajson[a->mi].p;
	o->agg_json_len = t->ajson[a->mi].len;
	o->unit_name_json = t->pjson.p;
	o->unit_name_json_len = t->pjson.len;
	o->group = g->json;
	o->group_len = g->len;
	o->zone = ci->zone;
	o->zone_json = ci->zjson;
	o->zone_json_len = ci->zjlen;
	if (m->unit != NULL) {
		o->unit_json = t->ujson[a->mi].p;
		o->unit_json_len = t->ujson[a->mi].len;
	}
	o->unit = t->c->unit;
	o->start = a->ps;
	o->end = a->pe;
	o->events = a->events;
	o->first = a->first;
	o->last = a->last;
	switch (m->agg) {
	case AG_COUNT:
		o->quantity = dec_from_i64((int64_t)a->events);
		break;
	case AG_UNIQUE:
		if (m->recurring)	/* walked: rc_close */
			o->quantity = acc_val(a);
		else
			o->quantity = dec_from_i64(a->x != NULL &&
			    a->x->set != NULL ? (int64_t)a->x->set->n : 0);
		break;
	case AG_AVG:
		if (dec_div(acc_val(a), dec_from_i64((int64_t)a->events),
		    m->precision, m->rounding, &o->quantity) != DEC_OK)
			overflow(t, a);
		break;
	default:
		o->quantity = acc_val(a);
	}
	o->quantity = dec_normalize(o->quantity);
	if (a->x != NULL && a->x->gx != NULL) {
		o->gauge = 1;
		o->opening = dec_normalize(a->x->gx->opening);
		o->closing = dec_normalize(a->x->gx->closing);
		o->pr = a->x->gx->pr;
	}
	agg_key(ci, m, g, a, o->key);
	lin_bytes(a->lin, o->lineage);
}

/* An accumulator's (customer, meter) in agg_finish's counting sort. */
static size_t
bucket(const struct agg_tab *t, const uint32_t *crank, const uint32_t *mrank,
    const struct acc *a)
{
	return (size_t)crank[a->cid] * t->c->meters->n + mrank[a->mi];
}

/*
 * Formatting is most of the cost of a run with many small aggregates (an
 * hourly meter over a month), so the list is cut into slices that the
 * threads format in parallel; the calling thread writes them in order.
 * A slice is whole (customer, meter) buckets of agg_finish's counting
 * sort, and the thread formatting it sorts each bucket first and
 * combines an aggregate counted by several threads (next to itself once
 * sorted, in the same bucket): that work was the calling thread's, alone
 * between the parallel scan and the parallel formatting.
 */
#define FIN_SLICE	4096	/* aggregates a slice, about */
#define FIN_AHEAD	4	/* slices formatted but not yet written */
#define FIN_PREFETCH	8	/* accumulators fetched ahead */

struct fin {
	struct agg_tab	*t;
	struct skey	*v;		/* by bucket, each sorted by its slice's */
	const size_t	*bend;		/* bucket b ends at v + bend[b] */
	const size_t	*cut;		/* slice k: buckets cut[k] to cut[k + 1] */
	size_t		 nslices, maxb;	/* maxb: the largest bucket */
	void		(*check)(const struct aggrec_out *, void *);
	void		*arg;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	size_t		 next, written;
	size_t		 n;		/* aggregates written */
	struct buf	 out[FIN_AHEAD];
	size_t		 ready[FIN_AHEAD];	/* slice + 1 when formatted */
};

/*
 * Slice k's buckets sorted, their aggregates counted by several threads
 * combined, and what is left moved up to v + its start: the number of
 * them.
 */
static size_t
fin_sort(struct fin *f, size_t k, struct skey *tmp)
{
	struct skey *v = f->v;
	size_t b, i, lo, hi, first = f->cut[k] ? f->bend[f->cut[k] - 1] : 0;
	size_t w = first;

	for (b = f->cut[k]; b < f->cut[k + 1]; b++) {
		lo = b ? f->bend[b - 1] : 0;
		hi = f->bend[b];
		if (hi - lo > 1)
			skey_sort(v + lo, hi - lo, tmp);
		for (i = lo; i < hi; i++)
			if (i > lo && skey_cmp(&v[w - 1], &v[i]) == 0)
				acc_merge(f->t, acc_at(f->t, v[w - 1].idx),
				    acc_at(f->t, v[i].idx));
			else
				v[w++] = v[i];
	}
	return w - first;
}

static void *
fin_work(void *arg)
{
	struct fin *f = arg;
	struct aggrec_out o;
	struct skey *tmp = xreallocarray(NULL, f->maxb + 1, sizeof(*tmp));
	struct buf *b;
	size_t k, i, lo, end;

	pthread_mutex_lock(&f->mu);
	while ((k = f->next) < f->nslices) {
		f->next++;
		while (k >= f->written + FIN_AHEAD)
			pthread_cond_wait(&f->cv, &f->mu);
		pthread_mutex_unlock(&f->mu);
		b = &f->out[k % FIN_AHEAD];
		lo = f->cut[k] ? f->bend[f->cut[k] - 1] : 0;
		end = lo + fin_sort(f, k, tmp);
		for (i = lo; i < end; i++) {
			if (i + FIN_PREFETCH < end) {	/* met at random */
				const char *pa = (const char *)acc_at(f->t,
				    f->v[i + FIN_PREFETCH].idx);

				__builtin_prefetch(pa);
				__builtin_prefetch(pa + ACC_ALIGN);
			}
			acc_out(f->t, acc_at(f->t, f->v[i].idx), &o);
			if (f->check != NULL)
				f->check(&o, f->arg);
			aggrec_write(b, &o);
		}
		pthread_mutex_lock(&f->mu);
		f->n += end - lo;
		f->ready[k % FIN_AHEAD] = k + 1;
		pthread_cond_broadcast(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	free(tmp);
	return NULL;
}

size_t
agg_finish(struct agg_tab *t, int jobs,
    void (*check)(const struct aggrec_out *, void *),
    void (*out)(const char *, size_t, void *), void *arg)
{
	uint32_t *crank, *grank, *mrank;
	pthread_t tid[16];
	size_t *start, *cut;
	struct skey *v;
	struct acc *a;
	struct fin f;
	size_t i, k, m, nb, ns, n;
	int e;

	unspill(t);
	for (i = 0; i < t->series.cap; i++)
		if (t->series.t[i].key != NULL && t->series.t[i].val != NULL)
			series_walk(t, t->series.t[i].val);
	crank = ranks(t, t->ncust, cust_cmp);
	grank = ranks(t, t->ngrp, grp_cmp);
	mrank = ranks(t, t->c->meters->n, meter_cmp);
	/*
	 * Sorted by customer and meter first with a counting sort (both
	 * ranks are small numbers), then each (customer, meter)'s few
	 * hundred at most by period and group with skey_sort, by the
	 * formatting threads (fin_sort): a third of the comparisons of one
	 * sort of millions, and in cache.  The accumulators of one customer
	 * and meter were made in the order of the days scanned, so they
	 * come nearly in order of period.
	 */
	nb = t->ncust * t->c->meters->n;
	start = xcalloc(nb + 1, sizeof(*start));
	for (i = 0; i < t->nacc; i++) {
		a = acc_at(t, i);
		if (a->hasval || a->events > 0)	/* else a gauge period */
			start[bucket(t, crank, mrank, a) + 1]++; /* left empty */
	}
	for (i = 1, m = 0; i <= nb; i++) {
		if (start[i] > m)
			m = start[i];
		start[i] += start[i - 1];
	}
	n = start[nb];
	v = xreallocarray(NULL, n + 1, sizeof(*v));
	for (i = 0; i < t->nacc; i++) {
		a = acc_at(t, i);
		if (!a->hasval && a->events == 0)
			continue;
		k = start[bucket(t, crank, mrank, a)]++;
		v[k].crank = crank[a->cid];
		v[k].mrank = mrank[a->mi];
		v[k].grank = grank[a->gid];
		v[k].ps = a->ps;
		v[k].idx = (uint32_t)i;
	}
	/* start[b]: the end of bucket b now; slices of whole buckets */
	cut = xreallocarray(NULL, nb + 2, sizeof(*cut));
	cut[0] = 0;
	for (i = 0, k = 0, ns = 0; i < nb; i++) {
		k += start[i] - (i ? start[i - 1] : 0);
		if (k >= FIN_SLICE || i + 1 == nb) {
			cut[++ns] = i + 1;
			k = 0;
		}
	}
	free(crank);
	free(grank);
	free(mrank);

	memset(&f, 0, sizeof(f));
	f.t = t;
	f.v = v;
	f.bend = start;
	f.cut = cut;
	f.nslices = ns;
	f.maxb = m;
	f.check = check;
	f.arg = arg;
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	if (jobs < 1)
		jobs = 1;
	if (jobs > 16)
		jobs = 16;
	for (i = 0; i < (size_t)jobs; i++)
		if ((e = pthread_create(&tid[i], NULL, fin_work, &f)) != 0)
			die(EX_OSERR, "cannot start a thread: %s", strerror(e));
	for (k = 0; k < f.nslices; k++) {
		struct buf *b = &f.out[k % FIN_AHEAD];

		pthread_mutex_lock(&f.mu);
		while (f.ready[k % FIN_AHEAD] != k + 1)
			pthread_cond_wait(&f.cv, &f.mu);
		pthread_mutex_unlock(&f.mu);
		out(b->p, b->len, arg);
		buf_reset(b);
		pthread_mutex_lock(&f.mu);
		f.written++;
		pthread_cond_broadcast(&f.cv);
		pthread_mutex_unlock(&f.mu);
	}
	for (i = 0; i < (size_t)jobs; i++)
		if ((e = pthread_join(tid[i], NULL)) != 0)
			die(EX_OSERR, "cannot join a thread: %s", strerror(e));
	for (k = 0; k < FIN_AHEAD; k++)
		buf_free(&f.out[k]);
	pthread_cond_destroy(&f.cv);
	pthread_mutex_destroy(&f.mu);
	free(v);
	free(start);
	free(cut);
	return f.n;
}
