/*
 * meter-ingest: usage capture.
 *
 * Reads raw usage events (CloudEvents 1.0 JSON, one per line, or CSV
 * exports), validates them, maps each subject to a canonical customer,
 * drops duplicates by the idempotency key (source, id) kept in the ledger,
 * stores accepted events in the ledger (the usage system of record) and
 * writes canonical usage records as NDJSON on stdout.  Refused input goes
 * to the rejects file, one record each.  See meter-ingest(1).
 *
 * Every input record ends as exactly one of emitted, duplicate or
 * rejected.  Output and rejects of a batch are written only after the
 * batch is committed, so a crash never emits what the ledger lost; what
 * was committed but not written (stdout died) is re-read with --replay.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cevent.h"
#include "cli.h"
#include "csvmap.h"
#include "csvr.h"
#include "customers.h"
#include "dec.h"
#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "ledger.h"
#include "lines.h"
#include "opt.h"
#include "out.h"
#include "pack.h"
#include "reject.h"
#include "ring.h"
#include "stats.h"
#include "tm.h"
#include "urec.h"
#include "util.h"

#define BATCH_DEFAULT	16384
#define BATCH_NS	(1 * TM_NS_PER_SEC)
/*
 * Prepared records between the reader and the main thread: enough for
 * the reader to go on while a batch commits.  A ledger that has stored
 * over RING_BIG_AFTER records gets RING_SLOTS_BIG: its key index takes
 * the main thread longer to load (the first batch waits for 200 MB of
 * filters at 100M keys) and to merge, and with 16384 the reader sat
 * idle for most of it (on the 100M-key ledger and 1M events, 4.35 s
 * median of four runs against 4.05 with 65536).  A slot keeps about
 * 1.2 KB of buffers: 19 MB, or 77 MB.
 */
#define RING_SLOTS	16384
#define RING_SLOTS_BIG	65536
#define RING_BIG_AFTER	10000000
#define PREFETCH_AHEAD	8	/* records: the key index's cache misses */

enum { FMT_AUTO, FMT_CE, FMT_CSV };

/*
 * The reader thread turns input lines into slots, in input order: an
 * event parsed, checked and prepared (key, digest, packed data), or a
 * reject decided without the ledger (not JSON, a bad CSV row, a missing
 * attribute, outside the window, an unknown customer).  The main thread
 * takes them in the same order and does what needs the ledger: claim the
 * key, store, write the outputs.  A slot owns its raw line, so rejects
 * can quote it later; SL_FLUSH asks for a commit (the input is quiet).
 */
enum { SL_OBJ, SL_REJECT, SL_FLUSH, SL_END };

struct slot {
	int		 type;
	int		 cloudevent;	/* SL_OBJ: from JSON, not CSV */
	struct buf	 raw;
	const char	*file;
	uint64_t	 line;
	int		 truncated;
	size_t		 fulllen;
	/* SL_REJECT: "field\0message\0" in why */
	const char	*cls, *code;
	struct buf	 why;
	size_t		 msgoff;
	/*
	 * SL_OBJ, prepared: the record to store, its key and digest.  The
	 * reader gathers what they hash (kin, din) and the main thread
	 * hashes it (slot_hash): the reader is ingest's bound, the main
	 * thread has room.
	 */
	struct ldg_usage u;
	unsigned char	 key[KEY_LEN], digest[KEY_LEN];
	struct buf	 kin, din;
	int		 hashed;
	struct buf	 pdata;
	struct buf	 cdata;		/* the data's canonical JSON */
	struct buf	 strs;		/* the strings u points to */
	/* a correction: LDG_AMEND or LDG_CANCEL of the id at fixoff */
	int		 fix;
	size_t		 fixoff;
};

static void	slot_reject(struct slot *, const char *, const char *,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));

struct ingest {
	/* options */
	const char	*customers_path;
	const char	*ledger_path;
	const char	*rejects_path;
	const char	*stats_path;
	int		 format;
	int64_t		 as_of, max_age, max_skew;
	int64_t		 pruned_before;	/* the ledger's retention horizon */
	size_t		 max_line;
	int		 max_depth;
	long		 batch;
	int		 busy_ms;
	int		 strict, progress;
	int64_t		 hot_keys;

	struct custdb	 cust;
	struct ledger	*ldg;
	struct rej	 rej;
	struct ring	*ring;

	/* the reader thread's own */
	struct jrec	 jr;		/* the record being prepared */
	struct lr	 lr;
	struct csvr	 cr;
	struct csvmap	 map;
	int		 csv_header;	/* header seen for the current file */
	int		 csv_file;	/* current file is CSV */
	const char	*cur_name;
	uint64_t	 blank;

	/* the batch in progress */
	int		 intx;
	long		 inbatch;
	int64_t		 batch_start;
	struct buf	 out;

	/* accounting */
	uint64_t	 read, emitted, dups, rejected;
	uint64_t	 amended, cancelled;	/* corrections applied */
	int64_t		 last_progress;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --customers FILE [--ledger PATH] [--as-of TIME]\n"
"                    [--rejects FILE] [--stats FILE] [--format cloudevents|csv]\n"
"                    [--max-age DUR] [--max-skew DUR] [--csv-map SPEC]\n"
"                    [--csv-source SOURCE] [--max-line BYTES] [--max-depth N]\n"
"                    [--batch N] [--busy-timeout MS] [--hot-keys N]\n"
"                    [--strict] [--progress]\n"
"                    [FILE...]\n"
"       %s --replay [--ledger PATH] [--from TIME] [--to TIME]\n"
"       %s --changed-since TIME [--ledger PATH]\n"
"       %s --prune-before TIME [--ledger PATH] [--as-of TIME] [--max-age DUR]\n"
"                    [--force]\n"
"       %s --help | --version\n", progname, progname, progname, progname,
	    progname);
	if (code == 0)
		fprintf(fp,
"\nReads CloudEvents 1.0 NDJSON (or CSV with --format csv or a .csv name)\n"
"from the files or stdin and writes canonical usage records on stdout.\n"
"Duplicates (same source and id, same content) are counted, not emitted;\n"
"refused records are appended to the rejects file.  An event with amends or\n"
"cancels (an earlier id of the same source) corrects that event: the ledger\n"
"keeps both, and --replay writes only effective versions.  --changed-since\n"
"prints the earliest event time that runs with --as-of at or after TIME\n"
"changed (nothing when none).  See meter-ingest(1).\n");
	exit(code);
}

/* ---- the batch: commit, then rejects, then stdout ---- */

static void
batch_flush(struct ingest *g)
{
	if (g->intx) {
		ldg_commit(g->ldg);
		g->intx = 0;
	}
	rej_flush(&g->rej);
	out_write(g->out.p, g->out.len);
	out_flush();
	buf_reset(&g->out);
	g->inbatch = 0;
}

static void
progress(struct ingest *g, int final)
{
	int64_t now;

	if (!g->progress)
		return;
	now = cli_now(CLOCK_MONOTONIC);
	if (!final && now - g->last_progress < TM_NS_PER_SEC)
		return;
	g->last_progress = now;
	fprintf(stderr, "\r%s: %" PRIu64 " read, %" PRIu64 " emitted, %"
	    PRIu64 " duplicates, %" PRIu64 " rejected%s", progname, g->read,
	    g->emitted, g->dups, g->rejected, final ? "\n" : "");
}

/* ---- rejects ---- */

static void
reject(struct ingest *g, const struct slot *s, const char *cls,
    const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
reject(struct ingest *g, const struct slot *s, const char *cls,
    const char *code, const char *field, const char *fmt, ...)
{
	struct rej_src src = { s->file, s->line, s->raw.p, s->raw.len,
	    s->truncated, s->fulllen };
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rej_add(&g->rej, &src, cls, code, field, "%s", msg);
	g->rejected++;
}

/* ---- one event ---- */

/*
 * The reader thread prepares an event completely: the business checks
 * that need no ledger, the canonical and packed data, the key and the
 * digest.  The main thread only claims the key and writes the record.
 */
/* Copy a string into the slot; returns its offset (buffers move). */
static size_t
strs_add(struct slot *sl, const char *str)
{
	size_t off = sl->strs.len;

	buf_add(&sl->strs, str, strlen(str) + 1);
	return off;
}

static void
prepare_event(struct ingest *g, struct slot *sl, const struct cev *ev)
{
	const struct customer *c;
	struct ldg_usage *u = &sl->u;
	struct cev_err e;
	size_t off[5];

	if (cev_window(ev, g->as_of, g->max_age, g->max_skew,
	    g->pruned_before, &e) < 0) {
		slot_reject(sl, e.cls, e.code, e.field, "%s", e.msg);
		return;
	}
	c = cust_by_subject(&g->cust, ev->subject, strlen(ev->subject));
	if (c == NULL) {
		slot_reject(sl, RC_DATA, "unknown_customer",
		    "subject", "subject '%s' is not in the customer master '%s'",
		    ev->subject, g->customers_path);
		return;
	}

	/*
	 * The data packed for the ledger and as canonical JSON, which the
	 * digest hashes and the output record shows, in one walk.
	 */
	buf_reset(&sl->pdata);
	buf_reset(&sl->cdata);
	pk_pack_json(&sl->pdata, &sl->cdata, ev->data, &g->jr);
	buf_reset(&sl->kin);
	buf_reset(&sl->din);
	cev_digest_into(ev, sl->cdata.p, sl->cdata.len, &sl->kin, &sl->din);
	sl->hashed = 0;

	/*
	 * The slot keeps copies of the strings, so the reader can free the
	 * tree now, while it is still in cache, and slots stay small.
	 */
	buf_reset(&sl->strs);
	off[0] = strs_add(sl, ev->source);
	off[1] = strs_add(sl, ev->id);
	off[2] = strs_add(sl, ev->type);
	off[3] = strs_add(sl, ev->subject);
	off[4] = ev->corr ? strs_add(sl, ev->corr) : 0;
	/* a correction: what it amends or cancels (before the pointers:
	 * strs moves as it grows) */
	sl->fix = ev->amends ? LDG_AMEND : ev->cancels ? LDG_CANCEL : 0;
	if (sl->fix)
		sl->fixoff = strs_add(sl, ev->amends ? ev->amends :
		    ev->cancels);
	u->t = ev->t;
	u->ingested = g->as_of;
	u->key = sl->key;
	u->digest = sl->digest;
	u->customer = c->id;
	u->source = sl->strs.p + off[0];
	u->id = sl->strs.p + off[1];
	u->type = sl->strs.p + off[2];
	u->subject = sl->strs.p + off[3];
	/* NULL: the key is the correlation id */
	u->corr = ev->corr ? sl->strs.p + off[4] : NULL;
	u->data = (const unsigned char *)sl->pdata.p;
	u->datalen = sl->pdata.len;
}

/* The main thread: a prepared slot's key and digest, once. */
static void
slot_hash(struct slot *sl)
{
	if (sl->hashed)
		return;
	key_hash(sl->kin.p, sl->kin.len, sl->key);
	key_hash(sl->din.p, sl->din.len, sl->digest);
	sl->hashed = 1;
}

/* The key was claimed with other content: the stored record stays. */
static void
reject_conflict(struct ingest *g, struct slot *sl, int64_t orig_t)
{
	char tb[TM_FMTMAX], hex[KEY_HEXLEN];

	key_hex(sl->key, KEY_LEN, hex);
	tm_fmt(orig_t, tb, sizeof(tb));
	reject(g, sl, RC_CONFLICT, "idempotency_conflict", "id", "event "
	    "source '%s' id '%s' (key %s) was already accepted with different "
	    "content (stored event time %s); the stored record is kept",
	    sl->u.source, sl->u.id, hex, tb);
}

/*
 * A correction (meter-ingest(1), Corrections): stored as an event of its
 * own, then written as its usage record with what it replaced (amends)
 * or as a usage_cancel record (urec.h).
 */
static void
store_fix(struct ingest *g, struct slot *sl)
{
	const char *what = sl->fix == LDG_AMEND ? "amends" : "cancels";
	struct ldg_fix fx;
	int r;

	memset(&fx, 0, sizeof(fx));
	fx.kind = sl->fix;
	fx.target = sl->strs.p + sl->fixoff;
	r = ldg_usage_fix(g->ldg, &sl->u, &fx);
	switch (r) {
	case LDG_DUP:
		g->dups++;
		return;
	case LDG_CONFLICT:
		reject_conflict(g, sl, fx.orig_t);
		return;
	case LDG_UNKNOWN:
		reject(g, sl, RC_DATA, "unknown_event", what, "%s '%s': the "
		    "ledger holds no event of source '%s' with that id (never "
		    "accepted, or pruned); nothing was corrected", what,
		    fx.target, sl->u.source);
		return;
	case LDG_CANCELLED:
		reject(g, sl, RC_POLICY, "event_cancelled", what, "%s '%s': "
		    "that event of source '%s' was cancelled by event '%s'; "
		    "a cancelled event cannot be corrected (send it anew, "
		    "with an id of its own)", what, fx.target, sl->u.source,
		    fx.by);
		return;
	}
	urec_write_fix(&g->out, &sl->u, sl->fix == LDG_CANCEL, fx.replaced);
	if (sl->fix == LDG_AMEND)
		g->amended++;
	else
		g->cancelled++;
}

/* The main thread: claim the key, store and write the record. */
static void
store_event(struct ingest *g, struct slot *sl)
{
	int64_t orig_t;
	int r;

	slot_hash(sl);
	if (!g->intx) {
		ldg_begin(g->ldg);
		g->intx = 1;
	}
	if (sl->fix) {
		store_fix(g, sl);
		return;
	}
	r = ldg_usage_put(g->ldg, &sl->u, &orig_t);
	if (r == LDG_DUP) {
		g->dups++;
		return;
	}
	if (r == LDG_CONFLICT) {
		reject_conflict(g, sl, orig_t);
		return;
	}
	urec_write_json(&g->out, &sl->u, sl->cdata.p, sl->cdata.len);
	g->emitted++;
}

/* A parsed record: the CloudEvents checks, then the ingest policy. */
static void
handle_object(struct ingest *g, struct slot *sl)
{
	struct cev_err e;
	struct cev ev;

	if (cev_check(g->jr.root, sl->cloudevent, &ev, &e) < 0) {
		slot_reject(sl, e.cls, e.code, e.field, "%s", e.msg);
		return;
	}
	prepare_event(g, sl, &ev);
}

/* ---- the reader thread ---- */

static struct slot *
slot_begin(struct ingest *g, const char *raw, size_t rawlen, uint64_t line)
{
	struct slot *s = ring_claim(g->ring);

	s->type = SL_OBJ;
	s->cloudevent = 0;
	s->file = g->cur_name;
	s->line = line;
	s->truncated = 0;
	s->fulllen = 0;
	buf_reset(&s->raw);
	buf_add(&s->raw, raw, rawlen);
	return s;
}

static void
slot_reject(struct slot *s, const char *cls, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;
	int n;

	s->type = SL_REJECT;
	s->cls = cls;
	s->code = code;
	buf_reset(&s->why);
	buf_add(&s->why, field, strlen(field) + 1);
	s->msgoff = s->why.len;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(&s->why, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s->why.p + s->why.len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->why.len += (size_t)n + 1;
}

static void
slot_mark(struct ingest *g, int type)
{
	struct slot *s = ring_claim(g->ring);

	s->type = type;
	ring_publish_now(g->ring);
}

static void
read_idle(void *arg)
{
	slot_mark(arg, SL_FLUSH);
}

static void
read_json(struct ingest *g)
{
	struct lr *r = &g->lr;
	struct slot *s;

	s = slot_begin(g, r->line, r->rawlen, r->lineno);
	s->cloudevent = 1;
	if (jrec_parse(&g->jr, r->line, r->len) < 0) {
		/* JSON is self-delimiting: a cut last line cannot parse */
		if (r->flags & LR_NONL)
			slot_reject(s, RC_DATA, "partial_line", g->jr.field,
			    "last line has no newline and is not a complete "
			    "record (%s)", g->jr.msg);
		else
			slot_reject(s, RC_DATA, g->jr.code, g->jr.field, "%s",
			    g->jr.msg);
	} else
		handle_object(g, s);
	jrec_clear(&g->jr);	/* prepared or refused: the tree is done */
	ring_publish(g->ring);
}

/* The input ended inside a quoted field: the record is cut short. */
static void
csv_unterminated(struct ingest *g)
{
	struct slot *s;

	s = slot_begin(g, g->cr.raw.p, g->cr.raw.len, g->cr.line);
	slot_reject(s, RC_DATA, "partial_line", "", "input ends inside a "
	    "quoted CSV field");
	ring_publish(g->ring);
	csvr_reset(&g->cr);
}

static void
read_csv(struct ingest *g)
{
	struct lr *r = &g->lr;
	struct csvmap_err e;
	struct slot *s;
	int rc;

	rc = csvr_feed(&g->cr, r->line, r->len, r->rawlen, r->lineno);
	if (rc == 0) {
		if (r->flags & LR_NONL)
			csv_unterminated(g);
		return;
	}
	if (rc > 0 && !g->csv_header) {
		if (csvmap_header(&g->map, &g->cr, &e) < 0)
			die(EX_DATAERR, "%s:%" PRIu64 ": %s", g->cur_name,
			    g->cr.line, e.msg);
		g->csv_header = 1;
		return;
	}
	s = slot_begin(g, g->cr.raw.p, g->cr.raw.len, g->cr.line);
	if (rc < 0) {
		slot_reject(s, RC_DATA, "csv_syntax", "", "CSV syntax error: "
		    "%s", csv_strerror(csv_error(&g->cr.p)));
		csvr_reset(&g->cr);
	} else if (r->flags & LR_NONL) {
		/* a CSV row is not self-delimiting: a cut row looks valid */
		slot_reject(s, RC_DATA, "partial_line", "", "last line has no "
		    "newline; a CSV row cut short cannot be told from a "
		    "complete one");
	} else if (csvmap_row(&g->map, &g->cr, &g->jr, &e) < 0)
		slot_reject(s, RC_DATA, e.code, e.field, "%s", e.msg);
	else
		handle_object(g, s);
	jrec_clear(&g->jr);
	ring_publish(g->ring);
}

static int
is_csv_name(const char *name)
{
	size_t n = strlen(name);

	return n >= 4 && strcmp(name + n - 4, ".csv") == 0;
}

static void *
reader(void *arg)
{
	struct ingest *g = arg;
	struct lr *r = &g->lr;
	const char *last = NULL;
	struct slot *s;

	prctl(PR_SET_NAME, "ingest-reader");	/* for top -H and perf */
	while (lr_next(r)) {
		if (r->name != last) {
			/* a new file: a CSV file starts with its header */
			if (g->cr.inrec)
				csv_unterminated(g);
			last = r->name;
			g->cur_name = r->name;
			g->csv_file = g->format == FMT_CSV ||
			    (g->format == FMT_AUTO && is_csv_name(r->name));
			g->csv_header = 0;
		}
		if (lr_blank(r->line, r->len) && !g->cr.inrec) {
			g->blank++;
			continue;
		}
		if (r->flags & LR_TOOLONG) {
			if (g->cr.inrec)
				csvr_reset(&g->cr);
			s = slot_begin(g, r->line, r->rawlen, r->lineno);
			s->truncated = 1;
			s->fulllen = r->fulllen;
			slot_reject(s, RC_DATA, "line_too_long", "", "line of "
			    "%zu bytes is longer than the limit of %zu "
			    "(--max-line)", r->fulllen, r->maxlen);
			ring_publish(g->ring);
		} else if (g->csv_file)
			read_csv(g);
		else
			read_json(g);
	}
	if (g->cr.inrec)
		csv_unterminated(g);
	slot_mark(g, SL_END);
	return NULL;
}

/* ---- the main thread: business rules, ledger, outputs ---- */

/* The ring's size for the ledger, see RING_SLOTS. */
static size_t
ring_slots(struct ledger *l)
{
	int64_t state[3];

	ldg_read_begin(l, state);
	ldg_read_end(l);
	return state[0] - 1 > RING_BIG_AFTER ? RING_SLOTS_BIG : RING_SLOTS;
}

static void
ingest_all(struct ingest *g)
{
	struct slot *s, *ahead;
	size_t avail;
	pthread_t tid;
	int64_t now;
	size_t i, nslots;
	int e;

	nslots = ring_slots(g->ldg);
	g->ring = ring_new(nslots, sizeof(struct slot));
	jrec_init(&g->jr, g->max_depth);
	jrec_arena(&g->jr);	/* the reader frees each tree, see slot */
	jrec_ints(&g->jr);	/* numbers go through pk_pack_json only */
	g->lr.idle = read_idle;
	g->lr.idle_arg = g;
	g->lr.quiet_ms = LR_QUIET_MS;	/* fewer commits: see lines.h */
	if ((e = pthread_create(&tid, NULL, reader, g)) != 0)
		die(EX_OSERR, "cannot start the reader thread: %s",
		    strerror(e));
	for (;;) {
		s = ring_take(g->ring, &avail);
		if (avail > PREFETCH_AHEAD) {
			/* a key claimed a few records from now */
			ahead = ring_ahead(g->ring, PREFETCH_AHEAD);
			if (ahead->type == SL_OBJ) {
				slot_hash(ahead);
				ldg_prefetch(g->ldg, ahead->key);
			}
		}
		if (s->type == SL_END) {
			ring_release(g->ring);
			break;
		}
		if (s->type == SL_FLUSH) {
			if (g->inbatch > 0)
				batch_flush(g);
		} else {
			g->read++;
			if (s->type == SL_REJECT)
				reject(g, s, s->cls, s->code, s->why.p, "%s",
				    s->why.p + s->msgoff);
			else
				store_event(g, s);
			g->inbatch++;
		}
		ring_release(g->ring);	/* the reader frees the tree on reuse */
		if (g->inbatch >= g->batch)
			batch_flush(g);
		else if (g->inbatch > 0 && (g->read & 1023) == 0) {
			now = cli_now(CLOCK_MONOTONIC);
			if (now - g->batch_start >= BATCH_NS) {
				batch_flush(g);
				g->batch_start = now;
			}
		}
		if ((g->read & 4095) == 0)
			progress(g, 0);
	}
	if ((e = pthread_join(tid, NULL)) != 0)
		die(EX_OSERR, "cannot join the reader thread: %s", strerror(e));
	batch_flush(g);
	progress(g, 1);
	for (i = 0; i < nslots; i++) {
		s = ring_item(g->ring, i);
		buf_free(&s->why);
		buf_free(&s->raw);
		buf_free(&s->pdata);
		buf_free(&s->cdata);
		buf_free(&s->strs);
		buf_free(&s->kin);
		buf_free(&s->din);
	}
	ring_free(g->ring);
	jrec_free(&g->jr);
}

static void
write_stats(struct ingest *g)
{
	const struct stats_field st[] = {
		STAT_N("read", g->read),
		STAT_N("emitted", g->emitted),
		STAT_N("duplicates", g->dups),
		/* only in a run with corrections: older records stay */
		STAT_IF(g->amended || g->cancelled,
		    STAT_N("amended", g->amended)),
		STAT_IF(g->amended || g->cancelled,
		    STAT_N("cancelled", g->cancelled)),
		STAT_REFUSED(g->rejected, &g->rej, g->blank),
		STAT_T("as_of", g->as_of),
		STAT_S("ledger", ldg_name(g->ldg)),
		STAT_S("rejects_file", g->rejects_path),
	};

	stats_write(g->stats_path, "meter-ingest", st,
	    sizeof(st) / sizeof(st[0]));
}

static void
summary(struct ingest *g)
{
	struct buf b = { 0 };

	buf_printf(&b, "read %" PRIu64 ", emitted %" PRIu64 ", duplicates %"
	    PRIu64, g->read, g->emitted, g->dups);
	/* a run without corrections says what it always said */
	if (g->amended || g->cancelled)
		buf_printf(&b, ", amended %" PRIu64 ", cancelled %" PRIu64,
		    g->amended, g->cancelled);
	buf_printf(&b, ", rejected %" PRIu64, g->rejected);
	rej_summary(&g->rej, &b);
	warnmsg("%s", buf_cstr(&b));
	buf_free(&b);
}

static int
replay_one(const struct ldg_usage *u, void *arg)
{
	struct buf *b = arg;

	urec_write(b, u);
	if (b->len >= 1 << 16) {
		out_write(b->p, b->len);
		buf_reset(b);
	}
	return 0;
}


static void
opt_format(void *dst, const char *arg)
{
	if (strcmp(arg, "cloudevents") == 0)
		*(int *)dst = FMT_CE;
	else if (strcmp(arg, "csv") == 0)
		*(int *)dst = FMT_CSV;
	else {
		warnmsg("--format '%s': expected cloudevents or csv", arg);
		usage(EX_USAGE);
	}
}

static void
opt_csvmap(void *dst, const char *arg)
{
	struct csvmap_err cerr;

	if (csvmap_spec(dst, arg, &cerr) < 0) {
		warnmsg("--csv-map: %s", cerr.msg);
		usage(EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	struct ingest g;
	int replay = 0, prune = 0, force = 0, rc = 0, have_asof = 0, first;
	int changed = 0;
	int64_t from = INT64_MIN, to = INT64_MAX, prune_before = 0, since = 0;
	const struct opt opts[] = {
		OPT_TL("as-of", 'a', &g.as_of, &have_asof),
		OPT_L("batch", 0, &g.batch, 1, 10000000),
		OPT_BUSY(&g.busy_ms),
		OPT_T("changed-since", &since, &changed),
		OPT_C("csv-map", 0, opt_csvmap, &g.map),
		OPT_S("csv-source", 0, &g.map.source),
		OPT_S("customers", 'c', &g.customers_path),
		OPT_F("force", &force),
		OPT_C("format", 'f', opt_format, &g.format),
		OPT_T("from", &from, NULL),
		OPT_I64("hot-keys", &g.hot_keys, 1, 1000000000),
		OPT_LEDGER(&g.ledger_path),
		OPT_D("max-age", &g.max_age),
		OPT_MAXDEPTH(&g.max_depth),
		OPT_MAXLINE(&g.max_line),
		OPT_D("max-skew", &g.max_skew),
		OPT_F("progress", &g.progress),
		OPT_T("prune-before", &prune_before, &prune),
		OPT_REJECTS(&g.rejects_path),
		OPT_F("replay", &replay),
		OPT_STATS(&g.stats_path),
		OPT_STRICT(&g.strict),
		OPT_T("to", &to, NULL),
		OPT_END
	};
	char *rejects_default = NULL;

	u_setprogname(argv[0]);
	memset(&g, 0, sizeof(g));
	g.max_age = 35 * 86400 * TM_NS_PER_SEC;
	g.max_skew = 5 * 60 * TM_NS_PER_SEC;
	g.batch = BATCH_DEFAULT;
	g.progress = isatty(2);
	first = opt_parse(argc, argv, opts, usage);
	argc -= first;
	argv += first;
	if (replay + prune + changed > 1) {
		warnmsg("--replay, --prune-before and --changed-since cannot be "
		    "combined");
		usage(EX_USAGE);
	}
	if ((replay || prune || changed) && argc > 0) {
		warnmsg("--replay, --prune-before and --changed-since read no "
		    "input files");
		usage(EX_USAGE);
	}
	/* a read-only query: the same ledger as --replay, nothing stored */
	if (changed)
		replay = 1;
	if (!replay && !prune && g.customers_path == NULL) {
		warnmsg("--customers FILE is required");
		usage(EX_USAGE);
	}
	if (from >= to) {
		warnmsg("--from must be before --to");
		usage(EX_USAGE);
	}
	if (!have_asof)
		g.as_of = cli_now(CLOCK_REALTIME);

	key_init();
	out_init();
	/* a bad customer master must not leave a new, empty ledger behind */
	if (!replay && !prune)
		cust_load(&g.cust, g.customers_path);
	g.ledger_path = ldg_path(g.ledger_path);
	g.ldg = ldg_open(g.ledger_path, g.busy_ms,
	    replay ? LDG_EXISTING | LDG_LEAN | LDG_READONLY :
	    prune ? LDG_EXISTING | LDG_LEAN : LDG_APPEND);
	g.pruned_before = ldg_pruned_before(g.ldg);
	if (g.hot_keys)
		ldg_set_hot_keys(g.ldg, g.hot_keys);

	if (changed) {
		char tb[TM_FMTMAX];
		int64_t t;

		if (ldg_usage_changed(g.ldg, since, &t) == 0) {
			tm_fmt(t, tb, sizeof(tb));
			out_write(tb, strlen(tb));
			out_write("\n", 1);
		}
		out_close();
		ldg_close(g.ldg);
		return 0;
	}
	if (replay) {
		struct buf b = { 0 };

		ldg_usage_scan(g.ldg, from, to, replay_one, &b);
		out_write(b.p, b.len);
		buf_free(&b);
		out_close();
		ldg_close(g.ldg);
		return 0;
	}
	if (prune) {
		char tb[TM_FMTMAX];
		int64_t n;

		if (prune_before > g.as_of - g.max_age && !force)
			die(EX_USAGE, "--prune-before is inside the acceptance "
			    "window (--as-of minus --max-age): a pruned event "
			    "could then be accepted twice; use --force to "
			    "prune anyway");
		n = ldg_usage_prune(g.ldg, prune_before);
		tm_fmt(prune_before, tb, sizeof(tb));
		warnmsg("pruned %" PRId64 " usage records and their keys "
		    "before %s", n, tb);
		ldg_close(g.ldg);
		out_close();
		return 0;
	}

	if (g.rejects_path == NULL)
		g.rejects_path = rejects_default = rej_default_path(g.ledger_path);
	rej_open(&g.rej, g.rejects_path, "meter-ingest");
	/* a batch writes its rejects, then stdout, after its commit */
	rej_hint(&g.rej, "the records of committed batches are in the "
	    "ledger; write them again with --replay; the same input run "
	    "again rejects these records again");
	csvr_init(&g.cr);
	g.map.maxdepth = g.max_depth;	/* a CSV row's event, as JSON's */
	lr_init(&g.lr, argc, argv, g.max_line);
	out_hint("the records of committed batches are in the ledger; "
	    "write them again with --replay");
	g.batch_start = cli_now(CLOCK_MONOTONIC);

	ingest_all(&g);

	rej_close(&g.rej);
	out_close();
	summary(&g);
	if (g.read != g.emitted + g.amended + g.cancelled + g.dups +
	    g.rejected)
		die(EX_SOFTWARE, "accounting error: read %" PRIu64 " != "
		    "emitted + amended + cancelled + duplicates + rejected",
		    g.read);
	if (g.stats_path != NULL)
		write_stats(&g);
	if (g.lr.failed)
		rc = EX_NOINPUT;
	else if (g.strict && g.rejected > 0)
		rc = EX_DATAERR;

	lr_free(&g.lr);
	csvr_free(&g.cr);
	csvmap_free(&g.map);
	cust_free(&g.cust);
	ldg_close(g.ldg);
	buf_free(&g.out);
	free(rejects_default);
	return rc;
}
