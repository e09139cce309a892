/*
 * erp-send: post journal entries to an ERP through its API.
 *
 * Reads erp-post's journal entry records (NDJSON) and posts each to the
 * ERP (Tryton, over JSON-RPC; or middleware, a POST with an idempotency
 * key), writing one acknowledgement a posted or refused entry, in the
 * form `erp-post --confirm` reads:
 *
 *   {"id":"JE-...","erp_ref":"acme-us/2026/1","status":"confirmed","reason":""}
 *
 * Exactly once: the adapter looks each entry up in the ERP before it
 * creates it (tryton.h) or sends its id as the idempotency key
 * (webhook.h), and each acknowledgement is written and flushed as soon
 * as the ERP has answered, so a run that dies anywhere, run again,
 * confirms what the ERP has and posts only the rest.  With --ledger,
 * only the entries still pending or failed there are sent, each claimed
 * in the ledger while in hand (one sender at a time per entry).
 *
 * Calls without an answer are retried with backoff; too many in a row
 * stop the run (the circuit breaker, retry.h); an entity's entries wait
 * for its posting windows (window.h).  What is not sent stays pending,
 * and the exit (75) says so.  See erp-send(1).
 *
 * Here: options, credentials, claims, the checks of each record, the
 * retries, counters and messages.  The move is tryton.c's, the POST
 * webhook.c's, the HTTP erpc.c's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "cli.h"
#include "conf.h"
#include "entities.h"
#include "entry.h"
#include "hmap.h"
#include "jval.h"
#include "jw.h"
#include "ledger.h"
#include "opt.h"
#include "out.h"
#include "reject.h"
#include "retry.h"
#include "stagein.h"
#include "stats.h"
#include "tm.h"
#include "tryton.h"
#include "util.h"
#include "webhook.h"
#include "window.h"

#define CRED_MAXFILE	4096
#define TIMEOUT_DEFAULT	(30LL * TM_NS_PER_SEC)
#define ATTEMPTS_DEFAULT 4
#define DELAY_DEFAULT	TM_NS_PER_SEC
#define FAILURES_DEFAULT 5

/* what one call of an adapter came to */
enum { SENT_CONFIRMED, SENT_FAILED, SENT_UNMAPPED, SENT_DOWN };

/* an entity outside its posting windows: the message at the end */
struct held {
	const char	*entity, *zone;
	int64_t		 next;
	uint64_t	 n;
};

struct send {
	const char	*erp, *url, *accounts_path, *cred_path, *ledger_path;
	const char	*rejects_path, *stats_path, *entities_path;
	int64_t		 timeout, as_of, delay;
	int		 strict, busy_ms, max_depth, http, as_of_given;
	int		 attempts, max_failures;
	double		 max_rate;
	size_t		 max_line;

	struct accounts	 acc;
	struct entities	 ents;
	struct winset	 win;
	struct buf	 wintext;	/* the --window options, for messages */
	struct retry	 pol;
	struct ledger	*ldg;
	struct rej	 rej;
	struct stagein	 in;
	struct tryton	 tr;
	struct webhook	 wh;
	struct hmap	 seen;		/* ids sent this run */
	struct hmap	 held;		/* entity -> struct held */
	struct buf	 out;
	int		 batch;		/* --batch: entries a Tryton batch */
	struct try_item	*q;		/* the batch being filled */
	size_t		 nq;
	int64_t		 qcompany;
	json_t		*vals;		/* tryton_prepare's move */
	int64_t		 company;
	char		 owner[320];	/* our claims': "host pid start" */
	int64_t		 claim_ttl;
	struct ldg_claim other;		/* the first claim another held */
	char		*down;		/* why the run stopped sending */
	char		*last;		/* the last call without an answer */
	const char	*why;		/* the adapter's last words */
	const char	*ref;

	uint64_t	 confirmed, found, failed, before, dups, not_sent;
	uint64_t	 retries, given_up, outside, claimed;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --erp tryton|http --url URL [--accounts FILE] [--credentials FILE]\n"
"                [--ledger PATH] [--batch N] [--timeout DURATION] [--attempts N]\n"
"                [--retry-delay DURATION] [--max-failures N] [--max-rate N]\n"
"                [--window WINDOW]... [--entities FILE] [--as-of TIME]\n"
"                [--rejects FILE] [--stats FILE] [--strict]\n"
"                [--busy-timeout MS] [--max-line BYTES] [--max-depth N]\n"
"                [FILE...]\n"
"       %s --help | --version\n", progname, progname);
	if (code == 0)
		fprintf(fp,
"\nPosts erp-post's journal entries to the ERP through its API (Tryton:\n"
"an account move each, posted; http: a POST each with an Idempotency-Key)\n"
"and writes an acknowledgement for each, confirmed with the ERP's\n"
"reference or failed with its reason, as 'erp-post --confirm' reads them.\n"
"Each entry is looked up in the ERP before it is created, so a re-run\n"
"never posts one twice; with --ledger only the entries still pending\n"
"there are sent.  Calls without an answer are retried (--attempts, with\n"
"a backoff from --retry-delay); --max-failures of them in a row stop the\n"
"run (exit 75, the rest pending), as do entries outside their entity's\n"
"--window.  --batch sends a company's entries to Tryton together.  The\n"
"user and password come from --credentials or ERP_USER and ERP_PASSWORD.\n"
"See erp-send(1).\n");
	exit(code);
}

/* ---- credentials: a file of mode 0600, or the environment ---- */

static void
credentials(const char *path, int optional, char **user, char **password)
{
	struct conf cf;
	struct stat st;
	const char *u, *p;

	if (path == NULL) {
		u = getenv("ERP_USER");
		p = getenv("ERP_PASSWORD");
		if (optional && (u == NULL || *u == '\0'))
			return;
		if (u == NULL || *u == '\0' || p == NULL)
			die(EX_CONFIG, "no credentials: give --credentials FILE "
			    "or set ERP_USER and ERP_PASSWORD");
		*user = xstrdup(u);
		*password = xstrdup(p);
		return;
	}
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		die(EX_CONFIG, "credentials file '%s' may be read by others "
		    "(mode %03o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	conf_open(&cf, path, "credentials file", CRED_MAXFILE);
	{
		static const char *const keys[] = { "user", "password",
		    NULL };

		conf_unknown(&cf, cf.root, keys, NULL, NULL);
	}
	u = json_string_value(json_object_get(cf.root, "user"));
	p = json_string_value(json_object_get(cf.root, "password"));
	if (u == NULL || *u == '\0')
		conf_err(&cf, "user must be the ERP user's login, a string");
	if (p == NULL)
		conf_err(&cf, "password must be a string");
	conf_done(&cf);
	*user = xstrdup(u);
	*password = xstrdup(p);
	conf_close(&cf);
}

/*
 * One sender at a time per ledger: Tryton keeps no key of ours, so two
 * runs looking the same entry up at once could both create it.  The
 * lock (ldg_hold: LEDGER.erp-send.lock's flock(2) on SQLite, a session
 * advisory lock on PostgreSQL) is held until exit, and dropped when a
 * run dies.
 */
static void
lock_ledger(struct ledger *l)
{
	char what[512];

	if (ldg_hold(l, "erp-send", what, sizeof(what)) != 0)
		die(EX_TEMPFAIL, "another erp-send is sending the entries of "
		    "ledger '%s' (it holds %s): run again when it is done",
		    ldg_name(l), what);
}

/* ---- claims: one sender at a time per entry (ledger.h) ---- */

/* A process's start, in clock ticks since boot (/proc): 0 if unknown. */
static unsigned long long
started(long pid)
{
	char path[64], st[1024], *p;
	unsigned long long t = 0;
	FILE *fp;
	size_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(st, 1, sizeof(st) - 1, fp);
	fclose(fp);
	st[n] = '\0';
	/* after the command's ")", field 22 is the 20th */
	if ((p = strrchr(st, ')')) == NULL)
		return 0;
	for (i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static void
claim_owner(struct send *s)
{
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(s->owner, sizeof(s->owner), "%s %ld %llu", host,
	    (long)getpid(), started((long)getpid()));
}

/*
 * A claim's owner is gone when it is a process of this host that no
 * longer runs (no such pid, or a pid of a later process): a sender
 * killed with its claims.  Of another host nothing is known: its claims
 * last until they expire.
 */
static int
owner_dead(const char *owner, void *arg)
{
	struct send *s = arg;
	long pid;
	unsigned long long start;
	size_t hl = strcspn(s->owner, " ");

	if (strncmp(owner, s->owner, hl) != 0 || owner[hl] != ' ' ||
	    sscanf(owner + hl, " %ld %llu", &pid, &start) != 2 || pid <= 0)
		return 0;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 1;
	return start != 0 && started(pid) != start;
}

/* 1 when the entry is ours to send, 0 when another sender holds it. */
static int
claim(struct send *s, const char *id)
{
	struct ldg_claim held = { 0 };
	int64_t now = cli_now(CLOCK_REALTIME);
	int rc;

	if (s->ldg == NULL)
		return 1;
	ldg_begin(s->ldg);
	rc = ldg_claim_take(s->ldg, id, s->owner, now, now + s->claim_ttl,
	    owner_dead, s, &held);
	ldg_commit(s->ldg);
	if (rc == LDG_NEW)
		return 1;
	if (s->other.owner == NULL)
		s->other = held;
	else
		ldg_claim_free(&held);
	return 0;
}

static void
unclaim(struct send *s, const char *id)
{
	if (s->ldg == NULL)
		return;
	ldg_begin(s->ldg);
	ldg_claim_drop(s->ldg, id, s->owner, cli_now(CLOCK_REALTIME));
	ldg_commit(s->ldg);
}

/* ---- the acknowledgements ---- */

static void
ack(struct send *s, const char *id, const char *ref, const char *status,
    const char *reason)
{
	struct jw w;

	buf_reset(&s->out);
	jw_init(&w, &s->out);
	jw_open(&w, '{');
	JW_KEY(&w, "id");
	jw_str(&w, id);
	JW_KEY(&w, "erp_ref");
	jw_str(&w, ref);
	JW_KEY(&w, "status");
	jw_str(&w, status);
	JW_KEY(&w, "reason");
	jw_str(&w, reason);
	jw_close(&w, '}');
	buf_addc(&s->out, '\n');
	/* written at once: the ERP has it, so must the acknowledgements */
	out_write(s->out.p, s->out.len);
	out_flush();
}

/* ---- what a record must have ---- */

static int
is_day(const char *s)
{
	int64_t ns;
	const char *why;
	char t[32];

	if (s == NULL || strlen(s) != 10)
		return 0;
	snprintf(t, sizeof(t), "%sT00:00:00Z", s);
	return tm_parse(t, strlen(t), &ns, &why) == 0;
}

static int
is_amount(json_t *l, const char *k)
{
	dec d;

	return jval_dec(l, k, &d) == 0;
}

/* The members the adapter reads, checked: NULL, or what is wrong. */
static const char *
check(json_t *e, const char **field)
{
	static const char *const str[] = { "id", "entity", "customer",
	    "currency", "functional_currency", NULL };
	static const char *const amt[] = { "debit", "credit",
	    "functional_debit", "functional_credit", NULL };
	json_t *lines = json_object_get(e, "lines"), *l;
	size_t i, j;

	for (i = 0; str[i] != NULL; i++)
		if (jval_text(e, str[i]) == NULL) {
			*field = str[i];
			return "must be a string, not empty";
		}
	*field = "date";
	if (!is_day(jval_str(e, "date")))
		return "must be a day like \"2026-11-02\"";
	*field = "lines";
	if (!json_is_array(lines) || json_array_size(lines) == 0)
		return "must be a list of lines, not empty";
	json_array_foreach(lines, i, l) {
		if (jval_text(l, "account") == NULL) {
			*field = "lines[].account";
			return "must be an account name";
		}
		for (j = 0; amt[j] != NULL; j++)
			if (!is_amount(l, amt[j])) {
				*field = amt[j];
				return "must be an exact decimal string";
			}
	}
	return NULL;
}

/* ---- calls, retried ---- */

static void
sleep_ns(int64_t ns)
{
	struct timespec ts = { (time_t)(ns / TM_NS_PER_SEC),
	    (long)(ns % TM_NS_PER_SEC) };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/*
 * One call of the adapter: SENT_*, with s->ref or s->why.  With
 * --batch, Tryton's entry is only prepared (s->vals, s->company): sent
 * later, with its batch (flush).
 */
static int
call_once(struct send *s, const struct books *b, const char *id, json_t *e)
{
	int rc;

	if (s->batch > 1 && !s->http) {
		json_decref(s->vals);
		rc = tryton_prepare(&s->tr, b, e, &s->company, &s->vals);
		s->ref = s->tr.ref;
		s->why = s->tr.why;
		return rc == TRY_CONFIRMED ? SENT_CONFIRMED : rc == TRY_FAILED ?
		    SENT_FAILED : rc == TRY_UNMAPPED ? SENT_UNMAPPED : SENT_DOWN;
	}
	if (s->http) {
		rc = wh_send(&s->wh, id, e);
		s->ref = s->wh.ref;
		s->why = s->wh.why;
		return rc == WH_CONFIRMED ? SENT_CONFIRMED : rc == WH_FAILED ?
		    SENT_FAILED : SENT_DOWN;
	}
	rc = tryton_send(&s->tr, b, e);
	s->ref = s->tr.ref;
	s->why = s->tr.why;
	return rc == TRY_CONFIRMED ? SENT_CONFIRMED : rc == TRY_FAILED ?
	    SENT_FAILED : rc == TRY_UNMAPPED ? SENT_UNMAPPED : SENT_DOWN;
}

/*
 * The entry, sent until the ERP answers: a call without an answer is
 * tried again after a backoff (retry.h), up to --attempts calls.  Each
 * attempt starts with the look-up (Tryton) or carries the same
 * Idempotency-Key (http), so a call that did reach the ERP is found,
 * not made twice.  SENT_DOWN when it never answered; the breaker then
 * may have opened (s->down).
 */
static int
call(struct send *s, const struct books *b, const char *id, json_t *e)
{
	int n, rc;

	for (n = 1;; n++) {
		if ((rc = call_once(s, b, id, e)) != SENT_DOWN) {
			retry_answered(&s->pol);
			return rc;
		}
		free(s->last);
		s->last = xstrdup(s->why);
		if (retry_unanswered(&s->pol)) {
			s->down = xstrdup(s->why);
			return SENT_DOWN;
		}
		if (n >= s->attempts)
			return SENT_DOWN;
		s->retries++;
		sleep_ns(retry_delay_rand(&s->pol, n));
	}
}

/* ---- batches (--batch, Tryton) ---- */

static void unclaim(struct send *, const char *);

/* What the ERP said of an entry of the batch, as send_one says it. */
static void
batch_answer(struct send *s, struct try_item *x)
{
	if (x->rc == TRY_CONFIRMED) {
		s->confirmed++;
		s->found += x->found;
		ack(s, x->id, x->ref, "confirmed", "");
	} else {
		s->failed++;
		ack(s, x->id, "", "failed", x->why);
	}
	unclaim(s, x->id);
}

/*
 * Send the batch: tryton_batch, its entries that got no answer again
 * after a backoff, as call() does for one (each attempt looks them all
 * up first).  What never got an answer stays pending, claimed.
 */
static void
flush(struct send *s)
{
	size_t i, k;
	int n, rc;

	for (n = 1; s->nq > 0 && s->down == NULL; n++) {
		rc = tryton_batch(&s->tr, s->qcompany, s->q, s->nq);
		for (i = k = 0; i < s->nq; i++) {
			if (s->q[i].rc != TRY_DOWN) {
				batch_answer(s, &s->q[i]);
				json_decref(s->q[i].vals);
				free((char *)s->q[i].id);
			} else
				s->q[k++] = s->q[i];
		}
		s->nq = k;
		if (rc == 0) {
			retry_answered(&s->pol);
			break;
		}
		free(s->last);
		s->last = xstrdup(s->tr.why);
		if (retry_unanswered(&s->pol))
			s->down = xstrdup(s->tr.why);
		else if (n >= s->attempts) {
			s->given_up += s->nq;
			break;
		} else {
			s->retries++;
			sleep_ns(retry_delay_rand(&s->pol, n));
		}
	}
	/* after the breaker opened, or given up: pending */
	for (i = 0; i < s->nq; i++) {
		s->not_sent++;
		json_decref(s->q[i].vals);
		free((char *)s->q[i].id);
	}
	s->nq = 0;
}

/* The prepared entry into the batch, which goes when full. */
static void
enqueue(struct send *s, const char *id)
{
	struct try_item *x;

	if (s->nq > 0 && s->company != s->qcompany)
		flush(s);
	if (s->q == NULL)
		s->q = xcalloc((size_t)s->batch, sizeof(*s->q));
	x = &s->q[s->nq++];
	memset(x, 0, sizeof(*x));
	x->id = xstrdup(id);
	x->vals = s->vals;
	s->vals = NULL;
	s->qcompany = s->company;
	if (s->nq == (size_t)s->batch)
		flush(s);
}

/* ---- posting windows ---- */

/*
 * Whether the entity's entries may be sent now: 1, or 0 (the entity's
 * windows are closed: the entry is counted for the message at the end).
 * -1 when the entities file does not know the entity.
 */
static int
in_window(struct send *s, const char *entity)
{
	const struct entity *en;
	struct held *h;
	int64_t now, next;

	if (s->win.n == 0)
		return 1;
	if ((en = entity_get(&s->ents, entity)) == NULL)
		return -1;
	now = s->as_of_given ? s->as_of : cli_now(CLOCK_REALTIME);
	if (win_open(&s->win, en->tz, now, &next))
		return 1;
	if ((h = hmap_get(&s->held, entity)) == NULL) {
		h = xcalloc(1, sizeof(*h));
		h->entity = en->id;
		h->zone = en->tz != NULL ? tz_name(en->tz) : "UTC";
		h->next = next;
		hmap_put(&s->held, entity, h);
	}
	h->n++;
	return 0;
}

/* The entities whose windows were closed, in the entities file's order. */
static void
say_held(struct send *s)
{
	char now[TM_FMTMAX], next[TM_FMTMAX];
	struct held *h;
	size_t i;

	for (i = 0; i < s->ents.n; i++) {
		if ((h = hmap_get(&s->held, s->ents.v[i].id)) == NULL)
			continue;
		tm_fmt_zone(s->as_of_given ? s->as_of :
		    cli_now(CLOCK_REALTIME), s->ents.v[i].tz, now, sizeof(now));
		tm_fmt_zone(h->next, s->ents.v[i].tz, next, sizeof(next));
		warnmsg("entity '%s': %s (%s) is outside the posting windows "
		    "%s: %" PRIu64 " entries not sent (still pending); the next "
		    "window opens %s", h->entity, now, h->zone,
		    buf_cstr(&s->wintext), h->n, next);
		free(h);
	}
}

/* ---- one record ---- */

static void
send_one(struct stagein *in, void *arg)
{
	struct send *s = arg;
	struct entry_rec er;
	struct ldg_posting lp;
	const struct books *b = NULL;
	const char *what, *field, *id;
	json_t *e = in->jr.root;
	int rc;

	if (entry_read(&in->jr, &er) < 0) {
		si_reject(in, RC_DATA, "not_journal_entry", "kind", "expected "
		    "a journal entry (erp-post's NDJSON)");
		return;
	}
	if ((what = check(e, &field)) != NULL) {
		si_reject(in, RC_DATA, "invalid_entry", field, "journal entry "
		    "'%s': %s %s", er.id, field, what);
		return;
	}
	id = er.id;
	if (s->down != NULL) {
		s->not_sent++;
		return;
	}
	if (!s->http && (b = books_of(&s->acc, er.entity)) == NULL) {
		si_reject(in, RC_POLICY, "unknown_entity", "entity", "entry "
		    "'%s': entity '%s' has no books in the accounts file", id,
		    er.entity);
		return;
	}
	if (hmap_get(&s->seen, id) != NULL) {
		s->dups++;
		return;
	}
	if (s->ldg != NULL) {
		if (!ldg_posting_get(s->ldg, id, &lp)) {
			si_reject(in, RC_RECON, "unknown_entry", "id", "the "
			    "ledger has never posted entry '%s'", id);
			return;
		}
		rc = strcmp(lp.state, "confirmed") == 0;
		ldg_posting_free(&lp);
		if (rc) {
			s->before++;
			return;
		}
	}
	switch (in_window(s, er.entity)) {
	case -1:
		si_reject(in, RC_POLICY, "unknown_entity", "entity", "entry "
		    "'%s': entity '%s' is not in the entities file '%s'", id,
		    er.entity, s->entities_path);
		return;
	case 0:
		s->outside++;
		s->not_sent++;
		return;
	}
	hmap_put(&s->seen, id, (void *)1);
	if (!claim(s, id)) {
		s->claimed++;
		s->not_sent++;
		return;
	}
	switch (call(s, b, id, e)) {
	case SENT_CONFIRMED:
		if (s->batch > 1 && !s->http) {
			/* prepared: the batch sends it, acks it, unclaims it */
			enqueue(s, id);
			return;
		}
		s->confirmed++;
		s->found += !s->http && s->tr.found;
		ack(s, id, s->ref, "confirmed", "");
		break;
	case SENT_FAILED:
		s->failed++;
		ack(s, id, "", "failed", s->why);
		break;
	case SENT_UNMAPPED:
		si_reject(in, RC_POLICY, "not_mapped", "lines", "entry '%s': "
		    "%s", id, s->why);
		break;
	default:
		/*
		 * Whether the ERP has it is unknown, and a call of ours may
		 * still be under way there: the claim stays until it
		 * expires (or this process is gone); the next run looks.
		 */
		if (s->down == NULL)
			s->given_up++;
		s->not_sent++;
		return;
	}
	/* answered, and the answer written: the entry is free again */
	unclaim(s, id);
}

/* ---- the run ---- */

static void
summary(struct send *s, struct buf *b)
{
	buf_printf(b, "read %" PRIu64 ", confirmed %" PRIu64 " (%" PRIu64
	    " found in the ERP), failed %" PRIu64 ", confirmed before %"
	    PRIu64 ", duplicates %" PRIu64 ", not sent %" PRIu64
	    ", rejected %" PRIu64, s->in.read, s->confirmed, s->found,
	    s->failed, s->before, s->dups, s->not_sent, s->in.rejected);
	rej_summary(&s->rej, b);
}

static void
write_stats(struct send *s)
{
	const struct stats_field st[] = {
		STAT_N("read", s->in.read),
		STAT_N("confirmed", s->confirmed),
		STAT_N("found", s->found),
		STAT_N("failed", s->failed),
		STAT_N("confirmed_before", s->before),
		STAT_N("duplicates", s->dups),
		STAT_N("not_sent", s->not_sent),
		STAT_N("outside_window", s->outside),
		STAT_N("given_up", s->given_up),
		STAT_N("claimed_elsewhere", s->claimed),
		STAT_REFUSED(s->in.rejected, &s->rej, s->in.blank),
		STAT_S("erp", s->erp),
		STAT_S("url", s->url),
		STAT_N("calls", s->http ? s->wh.calls : s->tr.calls),
		STAT_N("retries", s->retries),
		STAT_S("stopped", s->down),
		STAT_T("as_of", s->as_of),
		STAT_S("rejects_file", s->rejects_path),
	};

	stats_write(s->stats_path, "erp-send", st, sizeof(st) / sizeof(st[0]));
}

static void
opt_window(void *dst, const char *arg)
{
	struct send *s = dst;
	const char *why;

	if (win_add(&s->win, arg, &why) < 0) {
		warnmsg("--window '%s': %s", arg, why);
		usage(EX_USAGE);
	}
	buf_printf(&s->wintext, "%s'%s'", s->wintext.len ? ", " : "", arg);
}

static void
opt_rate(void *dst, const char *arg)
{
	double *r = dst;
	char *end;

	errno = 0;
	*r = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(*r > 0) ||
	    *r > 1e6) {
		warnmsg("--max-rate '%s': expected calls a second, a number "
		    "above 0 (such as 10 or 0.5)", arg);
		usage(EX_USAGE);
	}
}

/* Log in (Tryton) or open the connection (http), retried as a call. */
static void
connect_erp(struct send *s, const char *user, const char *password)
{
	int n, rc;

	if (s->http) {
		/*
		 * Nothing to call yet: a receiver has no log-in, and a
		 * request without an entry would prove nothing.  The first
		 * entry's POST is the first word with it.
		 */
		if (wh_open(&s->wh, s->url, (long)(s->timeout / 1000000), user,
		    password) != 0)
			die(EX_OSERR, "%s: %s", s->url, s->wh.why);
		s->wh.http.pace = &s->pol;
		return;
	}
	for (n = 1;; n++) {
		rc = tryton_open(&s->tr, s->url, (long)(s->timeout / 1000000),
		    user, password, &s->pol);
		s->why = s->tr.why;
		if (rc == 0)
			return;
		if (rc == TRY_FAILED)
			die(EX_CONFIG, "%s: %s", s->url, s->why);
		if (n >= s->attempts || retry_unanswered(&s->pol))
			die(EX_TEMPFAIL, "%s: the ERP does not answer: %s; "
			    "nothing was sent", s->url, s->why);
		tryton_close(&s->tr);
		s->retries++;
		sleep_ns(retry_delay_rand(&s->pol, n));
	}
}

int
main(int argc, char **argv)
{
	struct send s;
	const struct opt opts[] = {
		OPT_S("accounts", 0, &s.accounts_path),
		OPT_ASOF(&s.as_of),
		OPT_I("attempts", 0, &s.attempts, 1, 100),
		OPT_I("batch", 0, &s.batch, 1, 1000),
		OPT_BUSY(&s.busy_ms),
		OPT_S("credentials", 0, &s.cred_path),
		OPT_S("entities", 0, &s.entities_path),
		OPT_S("erp", 0, &s.erp),
		OPT_LEDGER(&s.ledger_path),
		OPT_MAXDEPTH(&s.max_depth),
		OPT_I("max-failures", 0, &s.max_failures, 0, 1000000),
		OPT_MAXLINE(&s.max_line),
		OPT_C("max-rate", 0, opt_rate, &s.max_rate),
		OPT_REJECTS(&s.rejects_path),
		OPT_D("retry-delay", &s.delay),
		OPT_STATS(&s.stats_path),
		OPT_STRICT(&s.strict),
		OPT_D("timeout", &s.timeout),
		OPT_S("url", 0, &s.url),
		OPT_C("window", 0, opt_window, &s),
		OPT_END
	};
	char *user = NULL, *password = NULL, *rejects_default = NULL;
	struct buf b = { 0 };
	int first, rc = 0;

	u_setprogname(argv[0]);
	memset(&s, 0, sizeof(s));
	s.timeout = TIMEOUT_DEFAULT;
	s.attempts = ATTEMPTS_DEFAULT;
	s.delay = DELAY_DEFAULT;
	s.max_failures = FAILURES_DEFAULT;
	s.batch = 1;
	first = opt_parse(argc, argv, opts, usage);
	if (s.erp == NULL || (strcmp(s.erp, "tryton") != 0 &&
	    strcmp(s.erp, "http") != 0)) {
		if (s.erp == NULL)
			warnmsg("--erp is required: tryton or http");
		else
			warnmsg("--erp '%s': expected tryton or http", s.erp);
		usage(EX_USAGE);
	}
	s.http = strcmp(s.erp, "http") == 0;
	if (s.url == NULL || (!s.http && s.accounts_path == NULL)) {
		warnmsg("--url is required, and --accounts with --erp tryton");
		usage(EX_USAGE);
	}
	if (s.timeout < TM_NS_PER_SEC / 1000 ||
	    s.timeout > 3600LL * TM_NS_PER_SEC) {
		warnmsg("--timeout must be from 1ms to 1h");
		usage(EX_USAGE);
	}
	if (s.delay < 0 || s.delay > 3600LL * TM_NS_PER_SEC) {
		warnmsg("--retry-delay must be from 0 to 1h");
		usage(EX_USAGE);
	}
	if (s.batch > 1 && s.http) {
		warnmsg("--batch is for --erp tryton: http sends an entry a "
		    "request");
		usage(EX_USAGE);
	}
	if (s.win.n > 0 && s.entities_path == NULL) {
		warnmsg("--window needs --entities: the windows are on each "
		    "entity's clock, in its time zone");
		usage(EX_USAGE);
	}
	s.as_of_given = s.as_of != INT64_MIN;
	if (s.as_of == INT64_MIN)
		s.as_of = cli_now(0);
	s.pol.attempts = s.attempts;
	s.pol.base_ns = s.delay;
	s.pol.cap_ns = RETRY_CAP_NS > s.delay ? RETRY_CAP_NS : s.delay;
	s.pol.max_failures = s.max_failures;
	s.pol.gap_ns = retry_gap(s.max_rate);

	out_init();
	if (!s.http)
		accounts_load(&s.acc, s.accounts_path);
	if (s.entities_path != NULL)
		entities_load(&s.ents, s.entities_path);
	credentials(s.cred_path, s.http, &user, &password);
	if (s.ledger_path != NULL) {
		s.ldg = ldg_open(ldg_path(s.ledger_path), s.busy_ms,
		    LDG_EXISTING | LDG_LEAN);
		lock_ledger(s.ldg);
		claim_owner(&s);
		/*
		 * A claim outlives the longest this run may hold an entry:
		 * every attempt's calls (a dozen for a new Tryton move) at
		 * the time-out each, and the backoffs between them.
		 */
		s.claim_ttl = s.attempts * (16 * s.timeout + s.pol.cap_ns);
	}
	if (s.rejects_path == NULL)
		s.rejects_path = rejects_default =
		    rej_default_path(ldg_path(s.ledger_path));
	rej_open(&s.rej, s.rejects_path, "erp-send");
	out_hint("the ERP has the entries: run the same command again and "
	    "it confirms them from the ERP");
	connect_erp(&s, user, password);
	if (password != NULL)
		memset(password, 0, strlen(password));
	hmap_init(&s.seen);
	hmap_init(&s.held);

	si_init(&s.in, argc - first, argv + first, s.max_line, s.max_depth,
	    &s.rej);
	si_each(&s.in, send_one, &s);
	flush(&s);
	rej_close(&s.rej);
	out_close();
	summary(&s, &b);
	warnmsg("%s", buf_cstr(&b));
	if (s.in.read != s.confirmed + s.failed + s.before + s.dups +
	    s.not_sent + s.in.rejected)
		die(EX_SOFTWARE, "accounting error: read %" PRIu64 " records "
		    "but did not account for each", s.in.read);
	if (s.stats_path != NULL)
		write_stats(&s);
	if (s.outside > 0)
		say_held(&s);
	if (s.down != NULL)
		warnmsg("the ERP failed %d calls in a row (the last: %s): "
		    "stopped (--max-failures %d); %" PRIu64 " entries not "
		    "sent (still pending): run again", s.pol.failures, s.down,
		    s.max_failures, s.not_sent - s.outside - s.claimed);
	else if (s.given_up > 0)
		warnmsg("%" PRIu64 " entries not sent: the ERP did not answer "
		    "%d calls (the last: %s); still pending: run again",
		    s.given_up, s.attempts, s.last);
	if (s.claimed > 0) {
		char until[TM_FMTMAX];

		tm_fmt(s.other.expires, until, sizeof(until));
		warnmsg("%" PRIu64 " entries not sent: another sender holds "
		    "them (the first by '%s', until %s); still pending: run "
		    "again", s.claimed, s.other.owner, until);
	}
	if (s.down != NULL || s.given_up > 0 || s.outside > 0 ||
	    s.claimed > 0)
		rc = EX_TEMPFAIL;
	else if (s.in.lr.failed)
		rc = EX_NOINPUT;
	else if (s.strict && s.in.rejected > 0)
		rc = EX_DATAERR;

	if (s.http)
		wh_close(&s.wh);
	else
		tryton_close(&s.tr);
	ldg_close(s.ldg);
	si_free(&s.in);
	hmap_free(&s.seen);
	hmap_free(&s.held);
	if (!s.http)
		accounts_free(&s.acc);
	if (s.entities_path != NULL)
		entities_free(&s.ents);
	win_free(&s.win);
	buf_free(&s.wintext);
	buf_free(&b);
	buf_free(&s.out);
	free(s.down);
	free(s.last);
	ldg_claim_free(&s.other);
	free(s.q);
	json_decref(s.vals);
	free(user);
	free(password);
	free(rejects_default);
	return rc;
}
