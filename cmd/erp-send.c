/*
 * erp-send: post journal entries to an ERP through its API.
 *
 * Reads erp-post's journal entry records (NDJSON) and posts each to the
 * ERP (Tryton, over JSON-RPC), writing one acknowledgement a posted or
 * refused entry, in the form `erp-post --confirm` reads:
 *
 *   {"id":"JE-...","erp_ref":"acme-us/2026/1","status":"confirmed","reason":""}
 *
 * Exactly once: the adapter looks each entry up in the ERP before it
 * creates it (tryton.h), and each acknowledgement is written and flushed
 * as soon as the ERP has answered, so a run that dies anywhere, run
 * again, confirms what the ERP has and posts only the rest.  With
 * --ledger, only the entries still pending or failed there are sent.
 * When the ERP stops answering the run stops (exit 75): the entries not
 * sent stay pending for the next run.  See erp-send(1).
 *
 * Here: options, credentials, the checks of each record, counters and
 * messages.  The move is tryton.c's, the HTTP erpc.c's.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "cli.h"
#include "conf.h"
#include "entry.h"
#include "hmap.h"
#include "jval.h"
#include "jw.h"
#include "ledger.h"
#include "opt.h"
#include "out.h"
#include "reject.h"
#include "stagein.h"
#include "stats.h"
#include "tm.h"
#include "tryton.h"
#include "util.h"

#define CRED_MAXFILE	4096
#define TIMEOUT_DEFAULT	(30LL * TM_NS_PER_SEC)

struct send {
	const char	*erp, *url, *accounts_path, *cred_path, *ledger_path;
	const char	*rejects_path, *stats_path;
	int64_t		 timeout, as_of;
	int		 strict, busy_ms, max_depth;
	size_t		 max_line;

	struct accounts	 acc;
	struct ledger	*ldg;
	struct rej	 rej;
	struct stagein	 in;
	struct tryton	 tr;
	struct hmap	 seen;		/* ids sent this run */
	struct buf	 out;
	char		*down;		/* why the ERP stopped answering */

	uint64_t	 confirmed, found, failed, before, dups, not_sent;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --erp tryton --url URL --accounts FILE [--credentials FILE]\n"
"                [--ledger PATH] [--timeout DURATION] [--as-of TIME]\n"
"                [--rejects FILE] [--stats FILE] [--strict]\n"
"                [--busy-timeout MS] [--max-line BYTES] [--max-depth N]\n"
"                [FILE...]\n"
"       %s --help | --version\n", progname, progname);
	if (code == 0)
		fprintf(fp,
"\nPosts erp-post's journal entries to the ERP through its API (Tryton:\n"
"an account move each, posted) and writes an acknowledgement for each,\n"
"confirmed with the ERP's reference or failed with its reason, as\n"
"'erp-post --confirm' reads them.  Each entry is looked up in the ERP\n"
"before it is created, so a re-run never posts one twice; with --ledger\n"
"only the entries still pending there are sent.  The user and password\n"
"come from --credentials or ERP_USER and ERP_PASSWORD.  See erp-send(1).\n");
	exit(code);
}

/* ---- credentials: a file of mode 0600, or the environment ---- */

static void
credentials(const char *path, char **user, char **password)
{
	struct conf cf;
	struct stat st;
	const char *u, *p;

	if (path == NULL) {
		u = getenv("ERP_USER");
		p = getenv("ERP_PASSWORD");
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
 * lock is LEDGER.erp-send.lock's, held until exit (the kernel drops it
 * when a run dies).  Returns the descriptor, kept open.
 */
static int
lock_ledger(const char *ledger)
{
	size_t n = strlen(ledger) + sizeof(".erp-send.lock");
	char *path = xmalloc(n);
	int fd;

	snprintf(path, n, "%s.erp-send.lock", ledger);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		die(EX_CANTCREAT, "cannot create the lock '%s': %s", path,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			die(EX_TEMPFAIL, "another erp-send is sending the "
			    "entries of ledger '%s' (it holds '%s'): run again "
			    "when it is done", ledger, path);
		die(EX_IOERR, "cannot lock '%s': %s", path, strerror(errno));
	}
	free(path);
	return fd;
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

/* ---- one record ---- */

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

static void
send_one(struct stagein *in, void *arg)
{
	struct send *s = arg;
	struct entry_rec er;
	struct ldg_posting lp;
	const struct books *b;
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
	if ((b = books_of(&s->acc, er.entity)) == NULL) {
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
	hmap_put(&s->seen, id, (void *)1);
	switch (tryton_send(&s->tr, b, e)) {
	case TRY_CONFIRMED:
		s->confirmed++;
		s->found += s->tr.found;
		ack(s, id, s->tr.ref, "confirmed", "");
		break;
	case TRY_FAILED:
		s->failed++;
		ack(s, id, "", "failed", s->tr.why);
		break;
	case TRY_UNMAPPED:
		si_reject(in, RC_POLICY, "not_mapped", "lines", "entry '%s': "
		    "%s", id, s->tr.why);
		break;
	default:
		/* whether the ERP has it is unknown: the next run looks */
		s->down = xstrdup(s->tr.why);
		s->not_sent++;
		break;
	}
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
		STAT_REFUSED(s->in.rejected, &s->rej, s->in.blank),
		STAT_S("erp", s->erp),
		STAT_S("url", s->url),
		STAT_N("calls", s->tr.calls),
		STAT_S("stopped", s->down),
		STAT_T("as_of", s->as_of),
		STAT_S("rejects_file", s->rejects_path),
	};

	stats_write(s->stats_path, "erp-send", st, sizeof(st) / sizeof(st[0]));
}

int
main(int argc, char **argv)
{
	struct send s;
	const struct opt opts[] = {
		OPT_S("accounts", 0, &s.accounts_path),
		OPT_ASOF(&s.as_of),
		OPT_BUSY(&s.busy_ms),
		OPT_S("credentials", 0, &s.cred_path),
		OPT_S("erp", 0, &s.erp),
		OPT_LEDGER(&s.ledger_path),
		OPT_MAXDEPTH(&s.max_depth),
		OPT_MAXLINE(&s.max_line),
		OPT_REJECTS(&s.rejects_path),
		OPT_STATS(&s.stats_path),
		OPT_STRICT(&s.strict),
		OPT_D("timeout", &s.timeout),
		OPT_S("url", 0, &s.url),
		OPT_END
	};
	char *user = NULL, *password = NULL, *rejects_default = NULL;
	struct buf b = { 0 };
	int first, rc = 0, lock = -1;

	u_setprogname(argv[0]);
	memset(&s, 0, sizeof(s));
	s.timeout = TIMEOUT_DEFAULT;
	first = opt_parse(argc, argv, opts, usage);
	if (s.erp == NULL || strcmp(s.erp, "tryton") != 0) {
		if (s.erp == NULL)
			warnmsg("--erp is required: tryton");
		else
			warnmsg("--erp '%s': expected tryton", s.erp);
		usage(EX_USAGE);
	}
	if (s.url == NULL || s.accounts_path == NULL) {
		warnmsg("--url and --accounts are required");
		usage(EX_USAGE);
	}
	if (s.timeout < TM_NS_PER_SEC / 1000 ||
	    s.timeout > 3600LL * TM_NS_PER_SEC) {
		warnmsg("--timeout must be from 1ms to 1h");
		usage(EX_USAGE);
	}
	if (s.as_of == INT64_MIN)
		s.as_of = cli_now(0);

	out_init();
	accounts_load(&s.acc, s.accounts_path);
	credentials(s.cred_path, &user, &password);
	if (s.ledger_path != NULL) {
		s.ldg = ldg_open(ldg_path(s.ledger_path), s.busy_ms,
		    LDG_EXISTING | LDG_LEAN | LDG_READONLY);
		lock = lock_ledger(ldg_path(s.ledger_path));
	}
	if (s.rejects_path == NULL)
		s.rejects_path = rejects_default =
		    rej_default_path(ldg_path(s.ledger_path));
	rej_open(&s.rej, s.rejects_path, "erp-send");
	out_hint("the ERP has the entries: run the same command again and "
	    "it confirms them from the ERP");
	switch (tryton_open(&s.tr, s.url, (long)(s.timeout / 1000000),
	    user, password)) {
	case 0:
		break;
	case TRY_FAILED:
		die(EX_CONFIG, "%s: %s", s.url, s.tr.why);
	default:
		die(EX_TEMPFAIL, "%s: the ERP does not answer: %s; nothing "
		    "was sent", s.url, s.tr.why);
	}
	if (password != NULL)
		memset(password, 0, strlen(password));
	hmap_init(&s.seen);

	si_init(&s.in, argc - first, argv + first, s.max_line, s.max_depth,
	    &s.rej);
	si_each(&s.in, send_one, &s);
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
	if (s.down != NULL) {
		warnmsg("the ERP stopped answering: %s; %" PRIu64 " entries "
		    "not sent (still pending): run again", s.down,
		    s.not_sent);
		rc = EX_TEMPFAIL;
	} else if (s.in.lr.failed)
		rc = EX_NOINPUT;
	else if (s.strict && s.in.rejected > 0)
		rc = EX_DATAERR;

	tryton_close(&s.tr);
	ldg_close(s.ldg);
	if (lock >= 0)
		close(lock);
	si_free(&s.in);
	hmap_free(&s.seen);
	accounts_free(&s.acc);
	buf_free(&b);
	buf_free(&s.out);
	free(s.down);
	free(user);
	free(password);
	free(rejects_default);
	return rc;
}
