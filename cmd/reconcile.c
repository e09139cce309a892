/*
 * reconcile: prove that usage, invoices and the books agree.
 *
 * Reads any of: aggregates, rated lines, documents (invoices, credit and
 * debit notes), journal entries, and the ledger's postings, and compares
 * what each stage says with the next: every aggregate rated, with its
 * lineage; every rated line invoiced at its amount, after notes; every
 * document posted once, its receivable, revenue and tax in the books; no
 * posting without its document; none pending too long.  With the ledger,
 * what is missing too: every customer and period of its usage
 * aggregated, every document it issued read and posted.  Each mismatch is
 * an exception record (class reconciliation_exception) with the keys,
 * the expected and actual amounts and the difference.  Exit 0 when all
 * agree, 1 when not, as diff(1).  See reconcile(1).
 *
 * Here: the options, reading the inputs (each record with its kind's
 * reader), the checks in their order, the summary and stats.  The
 * comparisons are recon.h's, the usage against the ledger recusage.h's,
 * --explain explain.h's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "aggrec.h"
#include "audit.h"
#include "cli.h"
#include "doc.h"
#include "entry.h"
#include "explain.h"
#include "jrec.h"
#include "keys.h"
#include "ledger.h"
#include "opt.h"
#include "out.h"
#include "rated.h"
#include "recfmt.h"
#include "recerp.h"
#include "recon.h"
#include "recusage.h"
#include "reject.h"
#include "rowin.h"
#include "stagein.h"
#include "stats.h"
#include "tm.h"
#include "util.h"

/*
 * The run: its options, its rejects and counters, and what was read
 * (recon.h, where the comparisons are).
 */
struct run {
	const char	*aggregates_path, *rated_path, *invoices_path;
	const char	*journal_path, *ledger_path, *accounts_path;
	const char	*rejects_path, *stats_path, *explain;
	const char	*meters_path, *customers_path, *confirmations_path;
	const char	*self;
	int		 html, max_depth, from_given, to_given;
	struct rej	 rej;
	uint64_t	 read, rejected;
	struct recon	 rc;
	int		 audit;		/* --audit */
	struct audit_check ac;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s [--ledger PATH [--meters FILE [--customers FILE]] [--audit]\n"
"                 [--from TIME --to TIME]]\n"
"                 [--aggregates FILE] [--rated FILE]\n"
"                 [--invoices FILE] [--journal FILE] [--accounts FILE]\n"
"                 [--confirmations FILE]\n"
"                 [--as-of TIME] [--max-pending-age DURATION]\n"
"                 [--tolerance AMOUNT] [--format ndjson|text|html]\n"
"                 [--explain DOCUMENT] [--rejects FILE] [--stats FILE]\n"
"       %s --help | --version\n", progname, progname);
	if (code == 0)
		fprintf(fp,
"\nCompares aggregates, rated lines, documents, journal entries and the\n"
"ledger's postings, and writes an exception for each thing that does not\n"
"agree.  Exit 0 when everything agrees, 1 when not.  See reconcile(1).\n");
	exit(code);
}

/* ---- reading the inputs: lenient, a record refused only for its kind ---- */

static void
read_agg(struct stagein *s, void *arg)
{
	struct run *r = arg;
	struct aggrec_view v;

	if (aggrec_view(&s->jr, &v) < 0) {
		si_reject(s, RC_DATA, "not_aggregate", "kind", "expected an "
		    "aggregate");
		return;
	}
	recon_add_agg(&r->rc, &v);
}

static void
read_rated(struct stagein *s, void *arg)
{
	struct run *r = arg;
	struct rated_view v;
	int k = rated_view(s->jr.root, &v);

	if (k > 0)
		return;		/* a spending alert */
	if (k < 0) {
		si_reject(s, RC_DATA, "not_rated", "kind", "expected a rated "
		    "line");
		return;
	}
	recon_add_rated(&r->rc, &v);
}

/* A document erp-post would refuse is still counted. */
static void
read_doc(struct stagein *s, void *arg)
{
	struct run *r = arg;
	struct doc_rec dr;

	doc_read(s->jr.root, &s->jr, &dr);
	if (dr.kind == NULL || (strcmp(dr.kind, "invoice") &&
	    strcmp(dr.kind, "credit_note") && strcmp(dr.kind,
	    "debit_note")) || dr.number == NULL) {
		si_reject(s, RC_DATA, "not_document", "kind", "expected an "
		    "issued invoice, credit note or debit note");
		return;
	}
	recon_add_doc(&r->rc, &dr);
}

static void
read_entry(struct stagein *s, void *arg)
{
	struct run *r = arg;
	struct entry_rec e;

	if (entry_read(&s->jr, &e) < 0) {
		si_reject(s, RC_DATA, "not_journal_entry", "kind", "expected "
		    "a journal entry (erp-post's NDJSON)");
		return;
	}
	recon_add_entry(&r->rc, &e);
}

static void
read_file(struct run *r, const char *path,
    void (*cb)(struct stagein *, void *))
{
	struct stagein si;
	char *files[1] = { (char *)path };

	si_init(&si, 1, files, LR_MAXLEN_DEFAULT, r->max_depth, &r->rej);
	si_each(&si, cb, r);
	r->read += si.read;
	r->rejected += si.rejected;
	if (si.lr.failed)
		die(EX_NOINPUT, "cannot read '%s'", path);
	si_free(&si);
}

/*
 * --confirmations: what the ERP says it has (its acknowledgements, or
 * its export: id, erp_ref, status, amount, and of an export's record the
 * date, the functional totals and the lines), each row compared by
 * recerp_row.
 */
static void
conf_row(struct stagein *s, const char *const *v, void *arg)
{
	struct run *r = arg;
	struct recerp_row w = { v[4], v[0], v[1], v[2], v[3], v[5], v[6],
	    v[7], v[8], v[9], v[10], NULL };

	/* an NDJSON record's lines (a CSV row has none: no tree) */
	if (s->jr.root != NULL)
		w.lines = json_object_get(s->jr.root, "lines");
	if (!recerp_usable(&w)) {
		si_reject(s, RC_DATA, "missing_field", "id", "a confirmation "
		    "without an entry id");
		return;
	}
	recerp_row(&r->rc, &w);
}

static void
read_confirmations(struct run *r)
{
	static const char *const names[] = { "id", "erp_ref", "status",
	    "amount", "kind", "erp", "company", "date", "currency", "debit",
	    "credit" };
	static const struct rowin_spec spec = { names, 11, 1 };
	char *files[1] = { (char *)r->confirmations_path };
	struct stagein si;

	si_init(&si, 1, files, LR_MAXLEN_DEFAULT, r->max_depth, &r->rej);
	rowin_each(&si, &spec, conf_row, r);
	r->read += si.read;
	r->rejected += si.rejected;
	if (si.lr.failed)
		die(EX_NOINPUT, "cannot read '%s'", r->confirmations_path);
	si_free(&si);
	recerp_missing(&r->rc);
}

/* ---- the run ---- */

/*
 * --audit: the ledger's audit log verified from its genesis row (audit.h);
 * the first row edited, deleted or reordered is an exception.
 */
static void
audit_check(struct run *r)
{
	struct exc x = { 0 };
	char seq[24];

	if (audit_verify(r->rc.ldg, &r->ac) == AUDIT_INTACT)
		return;
	snprintf(seq, sizeof(seq), "%" PRId64, r->ac.bad);
	x.code = r->ac.code;
	x.keys[0] = seq;
	recon_exc(&r->rc, &x, "%s", r->ac.msg);
}

static void
summary(struct run *r, struct buf *b, int json)
{
	const struct recon *c = &r->rc;
	char v[DEC_FMTMAX];
	uint64_t docs = c->nd;
	double acc = docs ? 100.0 * (double)c->docs_ok / (double)docs : 100;

	dec_fmt(c->variance, v, sizeof(v));
	if (!json) {
		buf_printf(b, "%" PRIu64 " exception%s; %zu aggregates, %zu "
		    "rated lines, %zu documents, %zu journal entries; "
		    "documents that agree: %" PRIu64 " (%.1f%%); variance %s",
		    c->nexc, c->nexc == 1 ? "" : "s", c->na, c->nr, c->nd,
		    c->ne, c->docs_ok, acc, v);
		if (c->latency_n > 0)
			buf_printf(b, "; posting latency %" PRId64 " s",
			    c->latency_sum / (int64_t)c->latency_n);
		if (r->journal_path != NULL && docs > 0)
			buf_printf(b, "; completion %" PRIu64 " of %" PRIu64,
			    c->docs_done, docs);
		if (r->audit)
			buf_printf(b, "; audit log: %" PRId64 " row%s verified, "
			    "%s", r->ac.rows, r->ac.rows == 1 ? "" : "s",
			    r->ac.verdict == AUDIT_INTACT ? "intact" : "broken");
		return;
	}
	const struct stats_field st[] = {
		STAT_N("exceptions", c->nexc),
		STAT_N("aggregates", c->na),
		STAT_N("rated_lines", c->nr),
		STAT_N("documents", c->nd),
		STAT_N("journal_entries", c->ne),
		STAT_N("documents_agreeing", c->docs_ok),
		STAT_N("documents_completed", c->docs_done),
		STAT_S("variance_total", v),
		STAT_I_IF(c->latency_n > 0, "posting_latency_seconds",
		    c->latency_sum / (int64_t)c->latency_n),
		STAT_N("read", r->read),
		STAT_N("rejected", r->rejected),
		STAT_T("as_of", c->as_of),
		STAT_IF(r->audit, STAT_N("audit_rows", r->ac.rows)),
		STAT_IF(r->audit && r->ac.verdict == AUDIT_INTACT,
		    STAT_S("audit_head", r->ac.head_hash)),
	};

	stats_json(b, "reconcile", st, sizeof(st) / sizeof(st[0]));
}

static void
opt_format(void *dst, const char *arg)
{
	struct run *r = dst;

	if (strcmp(arg, "text") == 0)
		r->rc.text = 1;
	else if (strcmp(arg, "html") == 0)
		r->html = 1;
	else if (strcmp(arg, "ndjson") != 0) {
		warnmsg("--format '%s': expected ndjson, text or html", arg);
		usage(EX_USAGE);
	}
}

static void
opt_tolerance(void *dst, const char *arg)
{
	dec *tol = dst;

	if (dec_parse(arg, strlen(arg), tol) != DEC_OK || dec_sign(*tol) < 0) {
		warnmsg("--tolerance '%s': expected an amount of 0 or more, "
		    "like 0.01", arg);
		usage(EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	struct run r;
	const struct opt opts[] = {
		OPT_S("accounts", 0, &r.accounts_path),
		OPT_S("aggregates", 0, &r.aggregates_path),
		OPT_F("audit", &r.audit),
		OPT_ASOF(&r.rc.as_of),
		OPT_S("confirmations", 0, &r.confirmations_path),
		OPT_S("customers", 0, &r.customers_path),
		OPT_S("explain", 0, &r.explain),
		OPT_C("format", 0, opt_format, &r),
		OPT_T("from", &r.rc.from, &r.from_given),
		OPT_S("invoices", 0, &r.invoices_path),
		OPT_S("journal", 0, &r.journal_path),
		OPT_LEDGER(&r.ledger_path),
		OPT_D("max-pending-age", &r.rc.max_pending),
		OPT_S("meters", 0, &r.meters_path),
		OPT_S("rated", 0, &r.rated_path),
		OPT_REJECTS(&r.rejects_path),
		OPT_STATS(&r.stats_path),
		OPT_T("to", &r.rc.to, &r.to_given),
		OPT_C("tolerance", 0, opt_tolerance, &r.rc.tolerance),
		OPT_END
	};
	struct buf b = { 0 };
	char *rejects_default = NULL;
	int first;

	u_setprogname(argv[0]);
	memset(&r, 0, sizeof(r));
	recon_init(&r.rc);
	r.self = argv[0];
	r.rc.max_pending = 72LL * 3600 * TM_NS_PER_SEC;
	r.max_depth = JREC_MAXDEPTH_DEFAULT;
	first = opt_parse(argc, argv, opts, usage);
	if (first < argc) {
		warnmsg("the inputs are named by their options");
		usage(EX_USAGE);
	}
	if (!r.aggregates_path && !r.rated_path && !r.invoices_path &&
	    !r.journal_path && !r.ledger_path && !r.confirmations_path) {
		warnmsg("nothing to reconcile: give --aggregates, --rated, "
		    "--invoices, --journal, --confirmations or --ledger (a "
		    "check runs when both its sides are given)");
		usage(EX_USAGE);
	}
	if (r.meters_path != NULL && (r.ledger_path == NULL ||
	    r.aggregates_path == NULL)) {
		warnmsg("--meters compares the ledger's usage with --aggregates: "
		    "give both");
		usage(EX_USAGE);
	}
	if (r.from_given != r.to_given || (r.from_given && r.ledger_path ==
	    NULL)) {
		warnmsg("--from and --to give the window of the checks against "
		    "the ledger: give both, and --ledger");
		usage(EX_USAGE);
	}
	if (r.from_given && r.rc.from >= r.rc.to) {
		warnmsg("--from must be before --to");
		usage(EX_USAGE);
	}
	if (r.audit && (r.ledger_path == NULL || r.explain != NULL)) {
		warnmsg("--audit verifies the ledger's audit log: give "
		    "--ledger, and no --explain");
		usage(EX_USAGE);
	}
	if (r.explain != NULL && r.invoices_path == NULL) {
		warnmsg("--explain needs --invoices");
		usage(EX_USAGE);
	}
	if (r.rc.as_of == INT64_MIN)
		r.rc.as_of = cli_now(0);

	key_init();
	out_init();
	r.rc.books = r.accounts_path != NULL;
	if (r.accounts_path != NULL)
		accounts_load(&r.rc.acc, r.accounts_path);
	if (r.ledger_path != NULL)
		r.rc.ldg = ldg_open(ldg_path(r.ledger_path), LDG_BUSY_MS,
		    LDG_EXISTING | LDG_LEAN | LDG_READONLY);
	if (r.rejects_path == NULL)
		r.rejects_path = rejects_default =
		    rej_default_path(ldg_path(r.ledger_path));
	rej_open(&r.rej, r.rejects_path, "reconcile");
	if (r.aggregates_path != NULL)
		read_file(&r, r.aggregates_path, read_agg);
	if (r.rated_path != NULL)
		read_file(&r, r.rated_path, read_rated);
	if (r.invoices_path != NULL)
		read_file(&r, r.invoices_path, read_doc);
	if (r.journal_path != NULL)
		read_file(&r, r.journal_path, read_entry);
	rej_flush(&r.rej);

	if (r.explain != NULL) {
		explain_doc(&r.rc, r.explain, r.meters_path);
		out_write(r.rc.out.p, r.rc.out.len);
		rej_close(&r.rej);
		out_close();
		ldg_close(r.rc.ldg);
		recon_free(&r.rc);
		free(rejects_default);
		return 0;
	}
	recon_window(&r.rc);
	if (r.meters_path != NULL && r.ledger_path != NULL &&
	    r.aggregates_path != NULL) {
		struct recusage u = { r.self, r.meters_path, r.customers_path,
		    r.ledger_path, r.max_depth, &r.rej };

		recusage_check(&r.rc, &u);
	}
	if (r.aggregates_path != NULL && r.rated_path != NULL)
		recon_check_aggregates(&r.rc);
	if (r.rc.ldg != NULL && r.invoices_path != NULL)
		recon_check_issued(&r.rc);
	if (r.rated_path != NULL && r.invoices_path != NULL)
		recon_check_invoiced(&r.rc);
	if (r.invoices_path != NULL)
		recon_check_tax(&r.rc);
	if (r.invoices_path != NULL && r.journal_path != NULL)
		recon_check_posted(&r.rc);
	if (r.rc.ldg != NULL && r.journal_path != NULL)
		recon_check_unposted(&r.rc);
	if (r.rc.ldg != NULL)
		ldg_postings_all(r.rc.ldg, recon_check_posting, &r.rc);
	if (r.audit)
		audit_check(&r);
	if (r.confirmations_path != NULL)
		read_confirmations(&r);
	recon_count_agreeing(&r.rc);
	if (r.html) {
		json_t *rep = recon_report(&r.rc);
		const char *why;

		buf_reset(&b);
		if (recfmt_html(rep, &b, &why) < 0)
			die(EX_SOFTWARE, "--format html: %s", why);
		json_decref(rep);
		out_write(b.p, b.len);
		buf_reset(&b);
	} else
		out_write(r.rc.out.p, r.rc.out.len);
	rej_close(&r.rej);
	out_close();
	summary(&r, &b, 0);
	warnmsg("%s", buf_cstr(&b));
	if (r.stats_path != NULL) {
		buf_reset(&b);
		summary(&r, &b, 1);
		out_write_file(r.stats_path, b.p, b.len);
	}
	buf_free(&b);
	ldg_close(r.rc.ldg);
	recon_free(&r.rc);
	free(rejects_default);
	return r.rc.nexc > 0 ? EXIT_MISMATCH : r.rejected > 0 ? EX_DATAERR : 0;
}
