/*
 * meter-aggregate: metering.
 *
 * Reads canonical usage records (NDJSON from meter-ingest, or straight
 * from the ledger with --ledger) and writes one aggregate per customer x
 * meter x group x billing period: the billable quantity rate prices.  See
 * meter-aggregate(1); the engine is common/agg.c, and common/tally.c
 * counts a chunk of records into it.
 *
 * From NDJSON the input is cut into chunks of whole lines; worker
 * threads parse and count them into tables of their own, which are
 * merged at the end, while the main thread reads ahead and writes each
 * chunk's rejects in input order.  Every aggregation is order-independent,
 * so the output does not depend on the split.  From the ledger there is
 * nothing to parse: this thread scans and one worker counts the rows.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "customers.h"
#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "kset.h"
#include "ledger.h"
#include "lines.h"
#include "meters.h"
#include "opt.h"
#include "out.h"
#include "reject.h"
#include "shard.h"
#include "stats.h"
#include "tally.h"
#include "tm.h"
#include "urec.h"
#include "util.h"

#define NCHUNK		8
#define CHUNK_BYTES	(512 * 1024)
#define CHUNK_LINES	4096
#define MAXJOBS		16

enum { C_FREE, C_READY, C_BUSY, C_DONE };

struct chunk {
	int		 state;
	uint64_t	 seq;
	struct tally_chunk b;	/* its lines or rows, what they counted */
};

struct worker {
	pthread_t	 tid;
	struct tally	 t;
	struct magg	*g;
};

struct magg {
	/* options */
	const char	*meters_path, *customers_path, *ledger_path;
	const char	*rejects_path, *stats_path;
	const char	*shard_arg;	/* --shard, as given */
	int		 windowed;
	int64_t		 from, to;
	size_t		 max_line;
	int		 max_depth, jobs, busy_ms, strict, dedupe;
	int		 nworkers;
	struct kset	 keys;		/* --dedupe */
	struct shard	 shard;		/* --shard K/N: its customers' rows */

	struct meters	 meters;
	struct custdb	 cust;
	struct agg_conf	 conf;
	struct rej	 rej;
	struct lr	 lr;

	/* the chunk pool */
	struct chunk	 pool[NCHUNK];
	pthread_mutex_t	 mu;
	pthread_cond_t	 work, done;
	uint64_t	 next_work, fill, col;
	int		 quit;
	struct chunk	*cur;		/* ledger: the chunk being filled */

	/* ledger mode */
	struct ledger	*ldg;
	int64_t		 pruned_before;
	struct buf	 raw;		/* a rejected row's record */

	/* accounting */
	uint64_t	 read, counted, unmetered, outside, dups, rejected, blank;
	uint64_t	 other_shards;	/* rows of other shards' customers */
	uint64_t	 spilled;	/* gauge points via a temporary file */
	int		 scan_threads;	/* the ledger's, 1 or 2 */
	uint64_t	 aggregates;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --meters FILE [--customers FILE] [--period hour|day|week|month]\n"
"                       [--from TIME] [--to TIME] [--rejects FILE] [--stats FILE]\n"
"                       [--jobs N] [--dedupe] [--max-line BYTES] [--max-depth N]\n"
"                       [--strict] [FILE...]\n"
"       %s --meters FILE --ledger PATH --from TIME --to TIME [--customers FILE]\n"
"                       [--period P] [--rejects FILE] [--stats FILE] [--jobs N]\n"
"                       [--busy-timeout MS] [--shard K/N] [--strict]\n"
"       %s --help | --version\n", progname, progname, progname);
	if (code == 0)
		fprintf(fp,
"\nReads usage records (meter-ingest's output) from the files or stdin, or\n"
"from the ledger, and writes one aggregate per customer, meter, group and\n"
"billing period on stdout, sorted.  With --from/--to only the periods that\n"
"end in (FROM, TO] are written.  With --shard K/N only the customers of\n"
"shard K of N (FNV-1a 64 of the customer id, mod N) are read from the\n"
"ledger.  Gauges (weighted_sum) and recurring\n"
"unique_counts carry their value into periods without events, up to TO or,\n"
"without --to, to the period of the newest event counted.  Refused records\n"
"are appended to the rejects file.  See meter-aggregate(1).\n");
	exit(code);
}

/* ---- the workers ---- */

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct magg *g = w->g;
	struct chunk *c;

	prctl(PR_SET_NAME, "aggregate-work");
	pthread_mutex_lock(&g->mu);
	for (;;) {
		c = &g->pool[g->next_work % NCHUNK];
		if (c->state == C_READY && c->seq == g->next_work) {
			c->state = C_BUSY;
			g->next_work++;
			pthread_mutex_unlock(&g->mu);
			if (g->ledger_path != NULL)
				tally_rows(&w->t, &c->b);
			else
				tally_lines(&w->t, &c->b);
			pthread_mutex_lock(&g->mu);
			c->state = C_DONE;
			pthread_cond_broadcast(&g->done);
			continue;
		}
		if (g->quit)
			break;
		pthread_cond_wait(&g->work, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* ---- the main thread: feed the workers, write rejects in order ---- */

/* Fill a chunk with whole lines; 0 at the end of the input. */
static int
chunk_fill(struct magg *g, struct tally_chunk *c)
{
	struct lr *r = &g->lr;

	while (c->n < CHUNK_LINES && c->data.len < CHUNK_BYTES) {
		if (!lr_next(r))
			break;
		if (lr_blank(r->line, r->len)) {
			g->blank++;
			continue;
		}
		tally_add_line(c, r);
		g->read++;
	}
	return c->n > 0;
}

static int
raw_record(const struct ldg_usage *u, void *arg)
{
	urec_write(arg, u);
	return 0;
}

/* The record at (t, seq) as meter-ingest wrote it, newline-terminated. */
static void
fetch_raw(struct ledger *l, int64_t t, int64_t seq, struct buf *out)
{
	if (ldg_usage_get(l, t, seq, raw_record, out) < 0)
		die(EX_SOFTWARE, "usage record %" PRId64 " left the ledger "
		    "during the scan", seq);
}

/* A reject of a ledger row, quoting raw, the record (its newline too). */
static void
ledger_reject_raw(struct magg *g, int64_t seq, const char *cls,
    const char *code, const char *field, const char *msg, const char *raw,
    size_t rawlen)
{
	struct rej_src src;

	memset(&src, 0, sizeof(src));
	src.file = ldg_name(g->ldg);
	src.line = (uint64_t)seq;
	src.raw = raw;
	src.rawlen = rawlen - 1;
	rej_add(&g->rej, &src, cls, code, field, "%s", msg);
}

/* A reject of a ledger row whose record a scan thread made (tally.h). */
static void
ledger_reject_rec(struct magg *g, int64_t seq, const char *code,
    const char *msg, const char *rec, size_t reclen)
{
	struct rej_src src;

	memset(&src, 0, sizeof(src));
	src.file = ldg_name(g->ldg);
	src.line = (uint64_t)seq;
	rej_add_record(&g->rej, rec, reclen, &src, code, msg);
}

/* A reject of a ledger row, quoting the record as meter-ingest wrote it. */
static void
ledger_reject(struct magg *g, int64_t t, int64_t seq, const char *cls,
    const char *code, const char *field, const char *msg)
{
	buf_reset(&g->raw);
	fetch_raw(g->ldg, t, seq, &g->raw);
	ledger_reject_raw(g, seq, cls, code, field, msg, g->raw.p, g->raw.len);
}

static void
chunk_collect(struct magg *g, struct tally_chunk *c)
{
	const struct tally_rej *rj;
	const struct tally_line *l;
	const struct tally_row *row;
	struct rej_src src;
	size_t i;

	for (i = 0; i < c->nrj; i++) {
		rj = &c->rj[i];
		if (g->ledger_path != NULL) {
			row = &((const struct tally_row *)c->rows.p)[rj->line];
			ledger_reject(g, row->t, row->seq, rj->cls, rj->code,
			    c->txt.p + rj->foff, c->txt.p + rj->moff);
			continue;
		}
		memset(&src, 0, sizeof(src));
		l = &c->l[rj->line];
		src.file = l->file;
		src.line = l->lineno;
		src.raw = c->data.p + l->off;
		src.rawlen = l->rawlen;
		src.truncated = (l->flags & LR_TOOLONG) != 0;
		src.fulllen = l->fulllen;
		rej_add(&g->rej, &src, rj->cls, rj->code, c->txt.p + rj->foff,
		    "%s", c->txt.p + rj->moff);
	}
	g->rejected += c->nrj;
	g->counted += c->counted;
	g->unmetered += c->unmetered;
	g->outside += c->outside;
	g->dups += c->dups;
	if (g->rej.pending.len >= 1 << 20)
		rej_flush(&g->rej);
}

/* Collect the oldest chunk in flight once its worker is done with it. */
static void
collect_one(struct magg *g)
{
	struct chunk *c = &g->pool[g->col % NCHUNK];

	pthread_mutex_lock(&g->mu);
	while (c->state != C_DONE)
		pthread_cond_wait(&g->done, &g->mu);
	pthread_mutex_unlock(&g->mu);
	chunk_collect(g, &c->b);
	pthread_mutex_lock(&g->mu);	/* workers read states under it */
	c->state = C_FREE;
	pthread_mutex_unlock(&g->mu);
	g->col++;
}

/* The next chunk to fill, collecting finished ones to free a slot. */
static struct chunk *
chunk_next(struct magg *g)
{
	struct chunk *c;

	while (g->fill - g->col >= NCHUNK)
		collect_one(g);
	c = &g->pool[g->fill % NCHUNK];
	tally_reset(&c->b);
	return c;
}

static void
chunk_publish(struct magg *g, struct chunk *c)
{
	pthread_mutex_lock(&g->mu);
	c->seq = g->fill++;
	c->state = C_READY;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->mu);
}

static void
workers_start(struct magg *g, struct worker *w, int n, int spill)
{
	int i, e;

	g->nworkers = n;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->done, NULL);
	for (i = 0; i < n; i++) {
		w[i].g = g;
		w[i].t.tab = agg_new(&g->conf);
		if (spill)
			agg_spill(w[i].t.tab);
		w[i].t.day = INT64_MIN;
		w[i].t.max_line = g->max_line;
		w[i].t.keys = g->dedupe ? &g->keys : NULL;
		jrec_init(&w[i].t.jr, g->max_depth);
		jrec_arena(&w[i].t.jr);	/* each record done before the next */
		if ((e = pthread_create(&w[i].tid, NULL, worker_main, &w[i]))
		    != 0)
			die(EX_OSERR, "cannot start a worker thread: %s",
			    strerror(e));
	}
}

/* Drain, stop the workers and merge their tables into one. */
static struct agg_tab *
workers_finish(struct magg *g, struct worker *w)
{
	int i, e;

	while (g->col < g->fill)
		collect_one(g);
	pthread_mutex_lock(&g->mu);
	g->quit = 1;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->mu);
	for (i = 0; i < g->nworkers; i++) {
		if ((e = pthread_join(w[i].tid, NULL)) != 0)
			die(EX_OSERR, "cannot join a worker thread: %s",
			    strerror(e));
		jrec_free(&w[i].t.jr);
		if (i > 0)
			agg_merge(w[0].t.tab, w[i].t.tab);
	}
	for (i = 0; i < NCHUNK; i++)
		tally_free(&g->pool[i].b);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->mu);
	return w[0].t.tab;
}

static struct agg_tab *
count_stream(struct magg *g)
{
	struct worker w[MAXJOBS];
	struct chunk *c;

	/* NDJSON comes in any order: gauge points wait on disk */
	workers_start(g, w, g->dedupe ? 1 : g->jobs, 1);
	for (;;) {
		c = chunk_next(g);
		if (!chunk_fill(g, &c->b))
			break;
		chunk_publish(g, c);
	}
	return workers_finish(g, w);
}

/* ---- from the ledger ---- */

static int
ledger_one(const struct ldg_usage *u, void *arg)
{
	struct magg *g = arg;
	struct chunk *c = g->cur;

	if (!shard_mine(&g->shard, u->customer, u->customer_len)) {
		g->other_shards++;
		return 0;
	}
	tally_add_row(&c->b, u);
	g->read++;
	if (c->b.n == CHUNK_LINES || c->b.data.len >= CHUNK_BYTES) {
		chunk_publish(g, c);
		g->cur = chunk_next(g);
	}
	return 0;
}

/*
 * ---- the ledger scanned by two threads ----
 *
 * One thread scans at about 6M rows a second, and the counting thread
 * waits on it.  Without gauges or recurring counts, whose walk needs one
 * stream in day order, two threads each scan half of the days, on a
 * connection of their own, and count what they read into a table of
 * their own; the tables are merged.  Both read transactions see the
 * same records (ldg_read_begin), and rejects are kept and written at the
 * end, the first half's first, so the output is the single scan's byte
 * for byte.  A reject's record is fetched, and its reject record made
 * (the record escaped into it), by the thread that scanned it, on its
 * connection, while the other thread scans: that is nearly all of a
 * reject's cost, and the writing at the end, alone, is then a copy of
 * the reject records.  A run with more rejects than PSCAN_MAXREJ starts
 * again as a single scan.
 */
#define PSCAN_MAXREJ	65536
#define DAY_NS		(86400LL * 1000000000LL)

struct pscan {
	struct ledger	*l;
	int64_t		 from, to;
	struct tally_scan s;
	const struct shard *shard;
	uint64_t	 other_shards;
};

/* tally_scan's raw: on the scanning thread, through its connection */
static void
pscan_raw(void *arg, int64_t t, int64_t seq, struct buf *out)
{
	fetch_raw(arg, t, seq, out);
}

/* --shard: another shard's row is not this run's to read */
static int
pscan_row(const struct ldg_usage *u, void *arg)
{
	struct pscan *p = arg;

	if (!shard_mine(p->shard, u->customer, u->customer_len)) {
		p->other_shards++;
		return 0;
	}
	return tally_scan_row(u, &p->s);
}

static void *
pscan_main(void *arg)
{
	struct pscan *p = arg;

	ldg_usage_scan_lean(p->l, p->from, p->to, pscan_row, p);
	return NULL;
}

static void *
pscan_thread(void *arg)
{
	prctl(PR_SET_NAME, "aggregate-scan");
	return pscan_main(arg);
}

/* The table of a two-thread scan, or NULL: scan on one thread. */
static struct agg_tab *
count_ledger2(struct magg *g, int64_t from)
{
	struct pscan p[2];
	struct ledger *l2;
	struct agg_tab *tab = NULL;
	int64_t s0[3], s1[3], d0, d1, split;
	size_t maxrej = PSCAN_MAXREJ;
	const char *env;
	pthread_t tid;
	size_t i, j;
	int e, tries;

	if (g->meters.gauges || g->jobs < 2)
		return NULL;
	l2 = ldg_open(g->ledger_path, g->busy_ms,
	    LDG_EXISTING | LDG_LEAN | LDG_READONLY);
	for (tries = 0;; tries++) {	/* the same records for both */
		ldg_read_begin(g->ldg, s0);
		ldg_read_begin(l2, s1);
		if (memcmp(s0, s1, sizeof(s0)) == 0)
			break;
		ldg_read_end(l2);
		ldg_read_end(g->ldg);
		if (tries == 10) {
			ldg_close(l2);
			return NULL;
		}
	}
	if (ldg_usage_days(g->ldg, from, g->to, &d0, &d1) < 0 || d0 == d1)
		goto out;
	if ((env = getenv("U2C_TEST_PSCAN_MAXREJ")) != NULL && atol(env) >= 0)
		maxrej = (size_t)atol(env);	/* for the tests */
	split = (d0 + (d1 - d0 + 1) / 2) * DAY_NS;
	memset(p, 0, sizeof(p));
	for (i = 0; i < 2; i++) {
		p[i].l = i == 0 ? g->ldg : l2;
		p[i].from = i == 0 ? from : split;
		p[i].to = i == 0 ? split : g->to;
		p[i].s.tab = agg_new(&g->conf);
		p[i].s.maxrej = maxrej;
		p[i].s.raw = pscan_raw;
		p[i].s.raw_arg = p[i].l;
		p[i].s.rej_stage = g->rej.stage;
		p[i].s.rej_file = ldg_name(g->ldg);
		p[i].shard = &g->shard;
	}
	if ((e = pthread_create(&tid, NULL, pscan_thread, &p[1])) != 0)
		die(EX_OSERR, "cannot start a scan thread: %s", strerror(e));
	pscan_main(&p[0]);
	if ((e = pthread_join(tid, NULL)) != 0)
		die(EX_OSERR, "cannot join a scan thread: %s", strerror(e));
	if (!p[0].s.full && !p[1].s.full) {
		for (i = 0; i < 2; i++) {
			const struct tally_scan *s = &p[i].s;

			for (j = 0; j < s->nrj; j++)
				ledger_reject_rec(g, s->rj[j].seq,
				    s->rj[j].code, s->txt.p + s->rj[j].moff,
				    s->txt.p + s->rj[j].roff, s->rj[j].rlen);
			g->read += s->read;
			g->counted += s->counted;
			g->unmetered += s->unmetered;
			g->outside += s->outside;
			g->rejected += s->nrj;
			g->other_shards += p[i].other_shards;
		}
		agg_merge(p[0].s.tab, p[1].s.tab);
		tab = p[0].s.tab;
		g->scan_threads = 2;
	} else {
		agg_free(p[0].s.tab);
		agg_free(p[1].s.tab);
	}
	for (i = 0; i < 2; i++)
		tally_scan_free(&p[i].s);
out:
	ldg_read_end(l2);
	ldg_read_end(g->ldg);
	ldg_close(l2);
	return tab;
}

/* The longest a period of the unit can be, with room for DST. */
static int64_t
unit_max(enum tm_unit u)
{
	static const int64_t h = 3600 * TM_NS_PER_SEC;

	switch (u) {
	case TM_HOUR:
		return 3 * h;
	case TM_DAY:
		return 2 * 24 * h;
	case TM_WEEK:
		return 8 * 24 * h;
	default:
		return 32 * 24 * h;
	}
}

static struct agg_tab *
count_ledger(struct magg *g)
{
	struct agg_tab *tab;
	int64_t from;

	struct worker w[MAXJOBS];

	g->ldg = ldg_open(g->ledger_path, g->busy_ms,
	    LDG_EXISTING | LDG_LEAN | LDG_READONLY);
	g->pruned_before = ldg_pruned_before(g->ldg);
	/*
	 * A period ending after --from starts at most one period length
	 * before it; a gauge's level, or a recurring count's values, may
	 * come from any earlier event.
	 */
	if (g->meters.gauges)
		from = INT64_MIN;
	else if (g->from < INT64_MIN + unit_max(g->conf.unit))
		from = INT64_MIN;
	else
		from = g->from - unit_max(g->conf.unit);
	if ((tab = count_ledger2(g, from)) != NULL)
		return tab;
	/*
	 * Rows need no parsing: the scan on this thread keeps one worker
	 * busy, and a second would only add a merge.
	 */
	workers_start(g, w, 1, 0);
	g->scan_threads = 1;
	g->cur = chunk_next(g);
	ldg_usage_scan_lean(g->ldg, from, g->to, ledger_one, g);
	if (g->cur->b.n > 0)
		chunk_publish(g, g->cur);
	return workers_finish(g, w);
}

/* ---- output ---- */

/* Called by the formatting threads. */
static void
check(const struct aggrec_out *o, void *arg)
{
	struct magg *g = arg;
	char tb[TM_FMTMAX], sb[TM_FMTMAX];

	if (g->ldg != NULL && o->start < g->pruned_before) {
		tm_fmt(g->pruned_before, tb, sizeof(tb));
		tm_fmt(o->start, sb, sizeof(sb));
		die(EX_DATAERR, "meter '%s', customer '%s': the period "
		    "starting %s begins before the ledger's retention horizon "
		    "%s, so some of its events were pruned; choose a later "
		    "--from", o->m->name, o->customer, sb, tb);
	}
}

static void
emit(const char *p, size_t len, void *arg)
{
	(void)arg;
	out_write(p, len);
}

static void
write_stats(struct magg *g)
{
	const struct stats_field st[] = {
		STAT_N("read", g->read),
		STAT_N("aggregated", g->counted),
		STAT_N("unmetered", g->unmetered),
		STAT_N("outside_window", g->outside),
		STAT_N("duplicates", g->dups),
		STAT_REFUSED(g->rejected, &g->rej, g->blank),
		STAT_N("aggregates", g->aggregates),
		STAT_S("period", tm_unit_name(g->conf.unit)),
		STAT_T_IF(g->windowed && g->from != INT64_MIN, "from",
		    g->from),
		STAT_T_IF(g->windowed && g->to != INT64_MAX, "to", g->to),
		STAT_S("input", g->ledger_path ? "ledger" : "ndjson"),
		STAT_N("gauge_points_spilled", g->spilled),
		STAT_I_IF(g->ledger_path != NULL, "scan_threads",
		    g->scan_threads),
		STAT_IF(g->shard.n > 0, STAT_S("shard", g->shard_arg)),
		STAT_IF(g->shard.n > 0, STAT_N("other_shards",
		    g->other_shards)),
		STAT_S("rejects_file", g->rejects_path),
	};

	stats_write(g->stats_path, "meter-aggregate", st,
	    sizeof(st) / sizeof(st[0]));
}

static void
summary(struct magg *g)
{
	struct buf b = { 0 };

	buf_printf(&b, "read %" PRIu64 ", aggregated %" PRIu64 ", unmetered %"
	    PRIu64 ", outside the window %" PRIu64, g->read, g->counted,
	    g->unmetered, g->outside);
	if (g->dedupe)
		buf_printf(&b, ", duplicates %" PRIu64, g->dups);
	buf_printf(&b, ", rejected %" PRIu64 "; %" PRIu64 " aggregates",
	    g->rejected, g->aggregates);
	if (g->shard.n > 0)
		buf_printf(&b, "; shard %" PRIu32 " of %" PRIu32 ": %" PRIu64
		    " ledger rows of other shards' customers left to them",
		    g->shard.k, g->shard.n, g->other_shards);
	rej_summary(&g->rej, &b);
	warnmsg("%s", buf_cstr(&b));
	buf_free(&b);
}

static void
opt_period(void *dst, const char *arg)
{
	if ((*(int *)dst = tm_parse_unit(arg)) < 0) {
		warnmsg("--period '%s': expected hour, day, week or month",
		    arg);
		usage(EX_USAGE);
	}
}

static void
opt_shard(void *dst, const char *arg)
{
	struct magg *g = dst;
	const char *why;

	if (shard_parse(arg, &g->shard, &why) < 0) {
		warnmsg("--shard '%s': %s", arg, why);
		usage(EX_USAGE);
	}
	g->shard_arg = arg;
}

int
main(int argc, char **argv)
{
	struct magg g;
	int unit = TM_MONTH, rc = 0, first;
	const struct opt opts[] = {
		OPT_BUSY(&g.busy_ms),
		OPT_S("customers", 'c', &g.customers_path),
		OPT_F("dedupe", &g.dedupe),
		OPT_T("from", &g.from, &g.windowed),
		OPT_I("jobs", 'j', &g.jobs, 1, MAXJOBS),
		OPT_LEDGER(&g.ledger_path),
		OPT_MAXDEPTH(&g.max_depth),
		OPT_MAXLINE(&g.max_line),
		OPT_S("meters", 'm', &g.meters_path),
		OPT_C("period", 'p', opt_period, &unit),
		OPT_REJECTS(&g.rejects_path),
		OPT_C("shard", 0, opt_shard, &g),
		OPT_STATS(&g.stats_path),
		OPT_STRICT(&g.strict),
		OPT_T("to", &g.to, &g.windowed),
		OPT_END
	};
	struct agg_tab *tab;
	char *rejects_default = NULL;
	long ncpu;

	u_setprogname(argv[0]);
	memset(&g, 0, sizeof(g));
	g.from = INT64_MIN;
	g.to = INT64_MAX;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	g.jobs = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (int)ncpu;
	first = opt_parse(argc, argv, opts, usage);
	argc -= first;
	argv += first;
	if (g.meters_path == NULL) {
		warnmsg("--meters FILE is required");
		usage(EX_USAGE);
	}
	if (g.ledger_path != NULL && argc > 0) {
		warnmsg("--ledger reads the usage records from the ledger, "
		    "not from files");
		usage(EX_USAGE);
	}
	if (g.shard.n > 0 && g.ledger_path == NULL) {
		warnmsg("--shard goes with --ledger: a record read from "
		    "files or stdin is aggregated, a duplicate or rejected, "
		    "never left out for its customer (split the input "
		    "instead)");
		usage(EX_USAGE);
	}
	if (g.ledger_path != NULL && (g.from == INT64_MIN ||
	    g.to == INT64_MAX)) {
		warnmsg("--ledger needs --from and --to");
		usage(EX_USAGE);
	}
	if (g.from >= g.to) {
		warnmsg("--from must be before --to");
		usage(EX_USAGE);
	}

	key_init();
	out_init();
	meters_load(&g.meters, g.meters_path);
	if (g.customers_path != NULL)
		cust_load(&g.cust, g.customers_path);
	g.conf.meters = &g.meters;
	g.conf.cust = g.customers_path ? &g.cust : NULL;
	g.conf.unit = (enum tm_unit)unit;
	g.conf.windowed = g.windowed;
	g.conf.from = g.from;
	g.conf.to = g.to;
	if (g.rejects_path == NULL)
		g.rejects_path = rejects_default =
		    rej_default_path(ldg_path(g.ledger_path));
	rej_open(&g.rej, g.rejects_path, "meter-aggregate");
	out_hint("the aggregates are computed again by running the same "
	    "command");

	if (g.ledger_path != NULL) {
		g.ledger_path = ldg_path(g.ledger_path);
		tab = count_ledger(&g);
	} else {
		lr_init(&g.lr, argc, argv, g.max_line);
		tab = count_stream(&g);
	}
	rej_flush(&g.rej);
	g.spilled = agg_spilled(tab);
	g.aggregates = agg_finish(tab, g.jobs, check, emit, &g);
	agg_free(tab);

	rej_close(&g.rej);
	out_close();
	summary(&g);
	if (g.read != g.counted + g.unmetered + g.outside + g.dups +
	    g.rejected)
		die(EX_SOFTWARE, "accounting error: read %" PRIu64 " != "
		    "aggregated + unmetered + outside + duplicates + rejected",
		    g.read);
	if (g.stats_path != NULL)
		write_stats(&g);
	if (g.lr.failed)
		rc = EX_NOINPUT;
	else if (g.strict && g.rejected > 0)
		rc = EX_DATAERR;

	if (g.ldg != NULL)
		ldg_close(g.ldg);
	if (g.ledger_path == NULL)
		lr_free(&g.lr);
	meters_free(&g.meters);
	if (g.customers_path != NULL)
		cust_free(&g.cust);
	buf_free(&g.raw);
	kset_free(&g.keys);
	free(rejects_default);
	return rc;
}
