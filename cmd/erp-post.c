/*
 * erp-post: financial posting.
 *
 * Reads invoice-gen's documents and writes balanced double-entry journal
 * entries for the ERP: for each document, receivable against revenue
 * (deferred when billed in advance), tax payable and prepaid credits;
 * for each line billed in advance, a recognition entry at the end of its
 * service period.  Each entry has an id made from its document's number
 * and version, which the ERP sees as its external id.  See erp-post(1).
 *
 * With --ledger each entry is a posting: pending from the run that
 * emits it until the ERP's acknowledgement (--confirm) makes it
 * confirmed or failed.  A confirmed entry is never emitted again; a
 * pending or failed one only with --retry-pending, as the same bytes.
 * Documents go in batches: their postings are stored in one
 * transaction and the entries written only after it commits.  Once the
 * input is read, the issued documents of the ledger that no run has
 * posted are posted from the ledger's record of them (catching up).
 * --replay writes the posted entries of the documents read again,
 * whatever their state, and posts nothing.
 *
 * This file holds the options, the ledger's postings, payments and
 * acknowledgements, the counters and the messages.  The posting rules
 * are common/posting.c's, the entry record and its formats
 * common/entry.c's, a payment's application and the aging
 * common/receivable.c's, the signatures common/sign.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "cli.h"
#include "credits.h"
#include "currency.h"
#include "doc.h"
#include "entry.h"
#include "fxtab.h"
#include "impfile.h"
#include "jrec.h"
#include "jval.h"
#include "jw.h"
#include "keys.h"
#include "ledger.h"
#include "opt.h"
#include "out.h"
#include "posting.h"
#include "receivable.h"
#include "reject.h"
#include "rowin.h"
#include "shard.h"
#include "sign.h"
#include "stagein.h"
#include "stats.h"
#include "tm.h"
#include "tz.h"
#include "util.h"

#define POST_BATCH	512

struct post {
	const char	*accounts_path, *ledger_path, *rejects_path;
	const char	*stats_path, *confirm_path, *payments_path;
	const char	*journal_path;	/* --journal: the file output goes to */
	const char	*fx_path;
	struct fxtab	 fx;		/* --fx: grants', payments' rates */
	int		 aging;
	int		 grants;	/* --grants: open grants, NDJSON */
	int64_t		 as_of;
	enum entry_fmt	 fmt;
	int		 replay, retry, strict, busy_ms, max_depth;
	size_t		 max_line;

	struct accounts	 acc;
	struct ledger	*ldg;
	struct rej	 rej;
	struct stagein	 in;
	struct tz_set	 zones;
	struct buf	 out;		/* the batch's entries */
	size_t		 batch;
	int		 intx;		/* a ledger transaction is open */
	struct entry_out eo;		/* the entries' writer */
	/* --format netsuite, xero, qbo: the import files' writer */
	struct imp_out	 io;
	const char	*out_dir, *date_fmt;

	/* accounting: documents */
	uint64_t	 posted, dups, skipped;	/* read, rejected: in's */
	/* entries; with --replay, posted counts the documents replayed
	 * and dups those with nothing posted */
	uint64_t	 emitted, already, pending, retried, replayed;
	/* --confirm */
	uint64_t	 confirmed, failed;
	/* documents of the ledger never posted, not read */
	uint64_t	 caught_up, heal_rejected, heal_other;
	/* credit grants: booked, waiting for an invoice, rejected */
	uint64_t	 grants_booked, grants_waiting, grants_rejected;
	uint64_t	 grants_expired;	/* expiry entries booked */
	struct hmap	 docs_read;	/* --replay: the documents read */
	/* --shard K/N: the ledger's documents and grants caught up */
	struct shard	 shard;
	const char	*shard_arg;
	uint64_t	 heal_shard, grants_shard;	/* other shards' */
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --accounts FILE [--ledger PATH] [--as-of TIME]\n"
"                [--format ndjson|netsuite|xero|qbo|hledger|ledger|beancount]\n"
"                [--out-dir DIR] [--date-format FORMAT]\n"
"                [--replay | --retry-pending] [--journal FILE] [--fx FILE]\n"
"                [--rejects FILE] [--stats FILE] [--strict]\n"
"                [--busy-timeout MS] [--max-line BYTES] [--max-depth N]\n"
"                [--shard K/N] [FILE...]\n"
"       %s --confirm FILE --ledger PATH --accounts FILE [--as-of TIME]\n"
"                [--rejects FILE] [--stats FILE]\n"
"       %s --payments FILE --ledger PATH --accounts FILE [--as-of TIME]\n"
"                [--fx FILE] [--format F] [--rejects FILE] [--stats FILE]\n"
"       %s --aging --ledger PATH --accounts FILE [--as-of TIME]\n"
"       %s --grants --ledger PATH [--as-of TIME]\n"
"       %s --keygen KEYFILE | --sign FILE --key KEYFILE |\n"
"                --verify FILE --key KEYFILE.pub\n"
"       %s --help | --version\n", progname, progname, progname, progname,
	    progname, progname, progname);
	if (code == 0)
		fprintf(fp,
"\nReads invoice-gen's documents and writes balanced journal entries for the\n"
"ERP, each with an id the ERP deduplicates on.  With --ledger each entry is\n"
"pending until --confirm records the ERP's acknowledgement; confirmed\n"
"entries are never emitted again, pending ones only with --retry-pending.\n"
"With --ledger, after its input, it also posts every issued document of the\n"
"ledger that no run has posted (one a killed month-end never gave it);\n"
"--replay writes the posted entries of the documents read again, whatever\n"
"their state, and posts nothing.  With --shard K/N it catches up only the\n"
"documents and credit grants of the customers of shard K of N (FNV-1a 64 of\n"
"the customer id, mod N); the documents it reads it posts whatever their\n"
"customer.  See erp-post(1).\n");
	exit(code);
}

/* An entry's record in the output format, into the batch. */
static void
render(struct post *p, const char *rec, size_t len)
{
	if ((p->fmt >= ENTRY_NETSUITE ? imp_add(&p->io, rec, len, &p->out) :
	    entry_write(&p->eo, rec, len, &p->out)) < 0)
		die(EX_DATAERR, "a stored journal entry is not JSON: the ledger "
		    "was altered");
}

/*
 * The plain-text journal (hledger, ledger, beancount), kept by the
 * writer until the run ends: its declarations and its entries in date
 * order, written once every batch is committed.
 */
static void
text_end(struct post *p)
{
	if (entry_out_end(&p->eo, &p->out) > 0)
		warnmsg("%s: this run's entries start before the journal's "
		    "last date, %s: hledger's ordereddates check will refuse "
		    "it", p->journal_path, p->eo.last);
	out_write(p->out.p, p->out.len);
	buf_reset(&p->out);
}

/* ---- posting documents ---- */

/*
 * Commit the batch, then write its entries and rejects (never before: a
 * crash in between re-posts nothing and loses nothing).  The next record
 * opens the next transaction (txbegin), so that no write lock is held
 * while the input is quiet.
 */
static void
flush(struct post *p)
{
	if (p->ldg != NULL && p->intx) {
		ldg_commit(p->ldg);
		p->intx = 0;
	}
	out_write(p->out.p, p->out.len);
	buf_reset(&p->out);
	imp_flush(&p->io);
	rej_flush(&p->rej);
	p->batch = 0;
}

static void
txbegin(struct post *p)
{
	if (p->ldg != NULL && !p->intx) {
		ldg_begin(p->ldg);
		p->intx = 1;
	}
}

/*
 * The line reader is about to wait for the producer (invoice-gen upstream
 * in a pipeline sharing the ledger): commit and write what the batch
 * holds, so the others can take the ledger and the entries go on.
 */
static void
post_idle(void *arg)
{
	struct post *p = arg;

	if (p->intx || p->out.len > 0 || p->batch > 0) {
		flush(p);
		out_flush();
	}
}

/*
 * An entry into the ledger and the output, once: a new one is recorded
 * pending and written (1); one the ledger has is counted confirmed before
 * or pending, or with --retry-pending written again as first emitted (2);
 * 0 when nothing is written.
 */
static int
post_once(struct post *p, const char *id, const char *entity,
    const char *number, const char *rec, size_t len)
{
	struct ldg_posting lp;
	int r = 0;

	if (!ldg_posting_get(p->ldg, id, &lp)) {
		ldg_posting_put(p->ldg, id, entity, number, rec, len - 1,
		    p->as_of);
		render(p, rec, len);
		p->emitted++;
		return 1;
	}
	if (strcmp(lp.state, "confirmed") == 0)
		p->already++;
	else if (!p->retry)
		p->pending++;
	else {
		if (strcmp(lp.state, "failed") == 0)
			ldg_posting_state(p->ldg, id, "pending", NULL, NULL,
			    p->as_of);
		render(p, lp.record, strlen(lp.record));
		p->retried++;
		r = 2;
	}
	ldg_posting_free(&lp);
	return r;
}

/*
 * What posting refuses, as a reject of the line in hand: its first
 * reason only, since a record is rejected once however many bad amounts
 * posting finds in it (pw->n counts them).
 */
static void
doc_reject(const struct post_why *pw, void *arg)
{
	if (pw->n > 1)
		return;
	si_reject(arg, pw->cls, pw->code, pw->field, "%s", pw->msg);
}

static int	post_store(struct post *, const struct post_doc *,
		    struct post_why *);

static void
post_one(struct stagein *s, void *arg)
{
	struct post *p = arg;
	struct post_why pw = { doc_reject, s, NULL, NULL, NULL, "", 0 };
	struct post_doc d;
	int r;

	txbegin(p);
	if ((r = post_doc_read(&d, &s->jr, &p->acc, &p->zones, &pw)) != 0) {
		if (r > 0)
			p->skipped++;
		return;
	}
	if ((r = post_store(p, &d, &pw)) < 0)
		return;
	if (r > 0)
		p->posted++;
	else
		p->dups++;
	if (++p->batch >= POST_BATCH)
		flush(p);
}

/* Why a document is not posted, said as posting.c says its own: -1. */
static int refuse(struct post_why *, const char *cls, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
refuse(struct post_why *pw, const char *cls, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	pw->cls = cls;
	pw->code = code;
	pw->field = "";
	va_start(ap, fmt);
	vsnprintf(pw->msg, sizeof(pw->msg), fmt, ap);
	va_end(ap);
	pw->n++;
	pw->say(pw, pw->arg);
	return -1;
}

/*
 * A document read, its entries made, checked against what the ledger
 * holds and the new ones posted and put in the batch: 1 when one was
 * written, 0 when all were posted before, -1 when refused (said to pw).
 */
static int
post_store(struct post *p, const struct post_doc *d, struct post_why *pw)
{
	struct ldg_posting lp;
	struct post_plan pl;
	size_t i;
	int emitted = 0, r;

	if (post_document(d, &pl, pw) < 0) {
		emitted = -1;
		goto done;
	}
	for (i = 0; p->ldg != NULL && i < pl.n; i++) {
		if (pl.e[i].n == 0 || !ldg_posting_get(p->ldg, pl.e[i].id,
		    &lp))
			continue;
		r = post_same_entry(&d->h, &pl.e[i], lp.record, &pl.rec[i]);
		ldg_posting_free(&lp);
		if (!r) {
			emitted = refuse(pw, RC_CONFLICT,
			    "idempotency_conflict", "entry %s of document %s "
			    "was posted with other accounts, dates or amounts "
			    "(the accounts file changed?); a posted entry is "
			    "never changed: reverse it in the ERP", pl.e[i].id,
			    d->h.number);
			goto done;
		}
	}
	for (i = 0; i < pl.n; i++) {
		struct entry *e = &pl.e[i];

		if (e->n == 0)
			continue;	/* a document of nothing: no entry */
		if (p->ldg == NULL) {
			render(p, pl.rec[i].p, pl.rec[i].len);
			emitted = 1;
			p->emitted++;
			continue;
		}
		if (post_once(p, e->id, d->h.entity, d->h.number,
		    pl.rec[i].p, pl.rec[i].len) != 0)
			emitted = 1;
	}
done:
	post_plan_free(&pl);
	return emitted;
}

/* ---- catching up: issued documents of the ledger never posted ---- */

/*
 * A run that dies between invoice-gen's commit and erp-post's reading
 * (a kill -9 of the month-end pipeline, an output lost) leaves issued
 * documents in the ledger that no input will bring again: invoice-gen
 * run again counts them as duplicates and writes nothing.  So a posting
 * run with --ledger, once its input is done, posts every issued document
 * of the ledger that has no entry posted yet, from the record the ledger
 * keeps of it: the same entries and ids as if it had been read, so a run
 * that reads it later finds it posted.  Documents of an entity without
 * books in the accounts file are left to the run that has its books.
 */
struct heal {
	struct post	*p;
	char		**num;		/* the documents to post, in order */
	size_t		 n, cap;
	char		*rec;		/* the one in hand, as stored */
	size_t		 len;
	struct rej_src	 src;
};

static int
heal_list(const char *number, const char *entity, void *arg)
{
	struct heal *h = arg;

	if (books_of(&h->p->acc, entity) == NULL) {
		h->p->heal_other++;
		return 0;
	}
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->num = xreallocarray(h->num, h->cap, sizeof(*h->num));
	}
	h->num[h->n++] = xstrdup(number);
	return 0;
}

static int
heal_copy(const struct ldg_doc *d, void *arg)
{
	struct heal *h = arg;

	h->rec = xmalloc(d->reclen + 1);
	memcpy(h->rec, d->record, d->reclen);
	h->rec[d->reclen] = '\0';
	h->len = d->reclen;
	return 1;
}

/* What posting refuses of a stored document: a reject of the ledger's. */
static void
heal_reject(const struct post_why *pw, void *arg)
{
	struct heal *h = arg;

	if (pw->n > 1)		/* one reject a document, as doc_reject */
		return;
	rej_add(&h->p->rej, &h->src, pw->cls, pw->code, pw->field, "%s",
	    pw->msg);
	h->p->heal_rejected++;
}

/*
 * --shard: whether a stored document is the shard's, by its customer's
 * id; one without a customer id is left to post_doc_read to refuse, in
 * shard 1 only, so that it is refused once.
 */
static int
doc_shard_mine(const struct post *p, const struct jrec *jr)
{
	const char *id;
	json_t *c;

	if ((c = json_object_get(jr->root, "customer")) == NULL ||
	    (id = jval_str(c, "id")) == NULL)
		return p->shard.k == 1;
	return shard_mine(&p->shard, id, strlen(id));
}

static void
heal_one(struct heal *h, struct jrec *jr, const char *number)
{
	struct post *p = h->p;
	struct post_why pw = { heal_reject, h, NULL, NULL, NULL, "", 0 };
	struct post_doc d;

	txbegin(p);
	h->rec = NULL;
	if (ldg_doc_by_number(p->ldg, number, heal_copy, h) == 0 ||
	    h->rec == NULL)
		return;		/* gone since listed: the ledger was altered */
	h->src.raw = h->rec;
	h->src.rawlen = h->len;
	if (jrec_parse(jr, h->rec, h->len) < 0)
		die(EX_DATAERR, "ledger: document %s is not a JSON record (%s): "
		    "the ledger was altered", number, jr->msg);
	if (p->shard.n > 0 && !doc_shard_mine(p, jr)) {
		p->heal_shard++;	/* its shard's run posts it */
		jrec_clear(jr);
		free(h->rec);
		return;
	}
	if (post_doc_read(&d, jr, &p->acc, &p->zones, &pw) == 0 &&
	    post_store(p, &d, &pw) > 0) {
		p->caught_up++;
		if (++p->batch >= POST_BATCH)
			flush(p);
	}
	jrec_clear(jr);
	free(h->rec);
}

static void
heal(struct post *p)
{
	struct heal h;
	struct jrec jr;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.p = p;
	h.src.file = ldg_name(p->ldg);
	jrec_init(&jr, p->max_depth);
	txbegin(p);
	ldg_docs_unposted(p->ldg, heal_list, &h);
	for (i = 0; i < h.n; i++) {
		heal_one(&h, &jr, h.num[i]);
		free(h.num[i]);
	}
	flush(p);
	free(h.num);
	jrec_free(&jr);
}

/* ---- credit grants: prepaid credit bought, booked once ---- */

/*
 * rate(1) records each prepaid credit grant of the catalog in the
 * ledger; its draws are booked with the documents that apply them
 * (customer prepayments debited).  The credit bought is booked here: a
 * posting run with --ledger, once its documents are done, books every
 * grant that no entry has booked yet, in the books of the entity of its
 * customer's first invoice in its currency (the customer master is
 * rate's and invoice-gen's, not ours), so a grant of a customer not yet
 * invoiced waits for the run after its first invoice.  Its entry id is a
 * key of the customer and the grant's id: booked once, confirmed,
 * retried and replayed like a document's entries.
 */
struct grant {
	char		*customer, *id, *currency, *entity, *record;
	size_t		 reclen;
	dec		 amount;
	int64_t		 granted, expires;
	int		 paid;
};

struct grants {
	struct post	*p;
	struct grant	*v;
	size_t		 n, cap;
	struct rej_src	 src;
};

static int
grant_list(const struct ldg_grant_doc *g, void *arg)
{
	struct grants *gs = arg;
	struct grant *x;

	if (!shard_mine(&gs->p->shard, g->g.customer, strlen(g->g.customer))) {
		gs->p->grants_shard++;	/* its shard's run books it */
		return 0;
	}
	if (g->entity == NULL) {
		gs->p->grants_waiting++;
		return 0;
	}
	if (books_of(&gs->p->acc, g->entity) == NULL)
		return 0;	/* left to the run that has its books */
	if (gs->n == gs->cap) {
		gs->cap = gs->cap ? 2 * gs->cap : 16;
		gs->v = xreallocarray(gs->v, gs->cap, sizeof(*gs->v));
	}
	x = &gs->v[gs->n++];
	x->customer = xstrdup(g->g.customer);
	x->id = xstrdup(g->g.id);
	x->currency = xstrdup(g->g.currency);
	x->entity = xstrdup(g->entity);
	x->record = xstrndup(g->record, g->reclen);
	x->reclen = g->reclen;
	x->amount = g->g.amount;
	x->granted = g->g.granted;
	x->expires = g->g.expires;
	x->paid = g->g.paid;
	return 0;
}

/* What posting refuses of a grant: a reject of the ledger's. */
static void
grant_reject(const struct post_why *pw, void *arg)
{
	struct grants *gs = arg;

	if (pw->n > 1)
		return;
	rej_add(&gs->p->rej, &gs->src, pw->cls, pw->code, pw->field, "%s",
	    pw->msg);
	gs->p->grants_rejected++;
}

/*
 * What the expiry entries of a grant booked so far released from
 * customer prepayments (acct), and the number of them: the next
 * version.
 */
static int64_t
expiry_booked(struct post *p, const struct grant *g, const char *acct,
    dec *booked)
{
	struct ldg_posting lp;
	struct entry e;
	json_t *rec, *l;
	int64_t v;
	size_t i;
	dec dr, cr, x;

	*booked = DEC_ZERO;
	for (v = 0;; v++) {
		memset(&e, 0, sizeof(e));
		post_entry_id(&e, g->customer, v, "expiry", g->id);
		if (!ldg_posting_get(p->ldg, e.id, &lp))
			return v;
		if ((rec = json_loads(lp.record, 0, NULL)) == NULL)
			die(EX_DATAERR, "ledger: entry %s is not JSON: the "
			    "ledger was altered", e.id);
		json_array_foreach(json_object_get(rec, "lines"), i, l) {
			if (strcmp(jval_str_or(l, "account", ""), acct) != 0)
				continue;
			if (dec_parse(jval_str_or(l, "debit", "0"), strlen(
			    jval_str_or(l, "debit", "0")), &dr) != DEC_OK ||
			    dec_parse(jval_str_or(l, "credit", "0"), strlen(
			    jval_str_or(l, "credit", "0")), &cr) != DEC_OK ||
			    dec_sub(dr, cr, &x) != DEC_OK ||
			    dec_add(*booked, x, booked) != DEC_OK)
				die(EX_DATAERR, "ledger: entry %s has amounts "
				    "that are not decimals: the ledger was "
				    "altered", e.id);
		}
		json_decref(rec);
		ldg_posting_free(&lp);
	}
}

/*
 * An expired grant: what it had unused (its amount less every period's
 * draw on it) released from customer prepayments, once its grant is
 * booked.  Booked once, as version 0; a draw recorded since (a period
 * rated late, or again) changes what it had unused, and the difference
 * is booked as the next version, so the releases always add up to what
 * is unused and the prepayments account ends at zero for it.
 */
static void
grant_expiry(struct grants *gs, const struct grant *g, json_t *j,
    const char *number, const struct books *b, struct post_why *pw)
{
	struct post *p = gs->p;
	struct ldg_grant_bal *v;
	struct ldg_posting lp;
	struct post_doc d;
	struct entry e, ge;
	struct buf rec = { 0 };
	size_t n, i;
	int64_t ver;
	dec unused = DEC_ZERO, booked, delta;

	memset(&ge, 0, sizeof(ge));
	post_entry_id(&ge, g->customer, 0, "grant", g->id);
	if (!ldg_posting_get(p->ldg, ge.id, &lp))
		return;		/* its grant is not booked: not yet */
	ldg_posting_free(&lp);
	n = ldg_credit_grants(p->ldg, g->customer, g->currency, INT64_MIN,
	    &v);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].g.id, g->id) == 0 &&
		    dec_sub(v[i].g.amount, v[i].others, &unused) != DEC_OK)
			die(EX_DATAERR, "ledger: the draws of credit grant %s "
			    "overflow", number);
	ldg_credit_grants_free(v, n);
	ver = expiry_booked(p, g, b->credit, &booked);
	if (dec_sub(unused, booked, &delta) != DEC_OK)
		die(EX_DATAERR, "ledger: the draws of credit grant %s "
		    "overflow", number);
	if (dec_sign(delta) == 0)
		return;
	/*
	 * the first on the day it expired; a later change when it is
	 * found, this run's day: a journal already past the expiry is
	 * not written into
	 */
	if (post_grant_expiry(&d, j, number, g->customer, g->id, ver, delta,
	    ver == 0 || p->as_of < g->expires ? g->expires : p->as_of,
	    g->paid, &p->acc, p->fx_path ? &p->fx : NULL,
	    &p->zones, &e, &rec, pw) == 0 && post_once(p, e.id, d.h.entity,
	    number, rec.p, rec.len) == 1)
		p->grants_expired++;
	entry_free(&e);
	buf_free(&rec);
}

static void
grant_one(struct grants *gs, const struct grant *g)
{
	struct post *p = gs->p;
	struct post_why pw = { grant_reject, gs, NULL, NULL, NULL, "", 0 };
	struct post_doc d;
	struct buf rec = { 0 }, raw = { 0 }, number = { 0 };
	struct entry e;
	struct jw w;
	json_t *j;
	int r;

	/* the grant as the ledger has it: the raw input of a reject */
	jw_init(&w, &raw);
	jw_open(&w, '{');
	JW_KEY(&w, "customer");
	jw_str(&w, g->customer);
	JW_KEY(&w, "id");
	jw_str(&w, g->id);
	JW_KEY(&w, "currency");
	jw_str(&w, g->currency);
	JW_KEY(&w, "amount");
	jw_dec(&w, g->amount);
	JW_KEY(&w, "granted_at");
	jw_time(&w, g->granted);
	if (g->expires != INT64_MAX) {
		JW_KEY(&w, "expires");
		jw_time(&w, g->expires);
	}
	JW_KEY(&w, "paid");
	jw_bool(&w, g->paid);
	jw_close(&w, '}');
	gs->src.raw = raw.p;
	gs->src.rawlen = raw.len;
	buf_printf(&number, "%s/%s", g->customer, g->id);
	if ((j = json_loadb(g->record, g->reclen, 0, NULL)) == NULL)
		die(EX_DATAERR, "ledger: the invoice of credit grant %s is not "
		    "JSON: the ledger was altered", buf_cstr(&number));
	txbegin(p);
	r = post_grant(&d, j, buf_cstr(&number), g->customer, g->id,
	    g->amount, g->granted, g->paid, &p->acc, p->fx_path ? &p->fx :
	    NULL, &p->zones, &e, &rec, &pw);
	if (r < 0)
		goto done;
	if (post_once(p, e.id, d.h.entity, buf_cstr(&number), rec.p,
	    rec.len) == 1)
		p->grants_booked++;
	if (g->expires != INT64_MAX && g->expires < p->as_of)
		grant_expiry(gs, g, j, buf_cstr(&number), d.b, &pw);
	if (++p->batch >= POST_BATCH)
		flush(p);
done:
	entry_free(&e);
	json_decref(j);
	buf_free(&rec);
	buf_free(&raw);
	buf_free(&number);
}

static void
grants(struct post *p)
{
	struct grants gs;
	size_t i;

	memset(&gs, 0, sizeof(gs));
	gs.p = p;
	gs.src.file = ldg_name(p->ldg);
	txbegin(p);
	ldg_grants_all(p->ldg, grant_list, &gs);
	for (i = 0; i < gs.n; i++) {
		grant_one(&gs, &gs.v[i]);
		free(gs.v[i].customer);
		free(gs.v[i].id);
		free(gs.v[i].currency);
		free(gs.v[i].entity);
		free(gs.v[i].record);
	}
	flush(p);
	free(gs.v);
}

/* ---- --replay: the entries the ledger holds, written again ---- */

/*
 * The entries of a document read that the ledger holds, as first
 * written, whatever their state: the month's journal made whole again
 * after a run that committed its postings and died before writing
 * them.  Nothing is stored or changed, so no transaction is taken.
 */
static void
replay_one(struct stagein *s, void *arg)
{
	struct post *p = arg;
	struct post_why pw = { doc_reject, s, NULL, NULL, NULL, "", 0 };
	struct ldg_posting lp;
	struct post_plan pl;
	struct post_doc d;
	size_t i;
	int r, n = 0;

	if ((r = post_doc_read(&d, &s->jr, &p->acc, &p->zones, &pw)) != 0) {
		if (r > 0)
			p->skipped++;
		return;
	}
	hmap_put(&p->docs_read, d.h.number, (void *)1);
	if (post_document(&d, &pl, &pw) == 0) {
		for (i = 0; i < pl.n; i++) {
			if (pl.e[i].n == 0 || !ldg_posting_get(p->ldg,
			    pl.e[i].id, &lp))
				continue;
			render(p, lp.record, strlen(lp.record));
			ldg_posting_free(&lp);
			p->replayed++;
			n++;
		}
		if (n > 0)
			p->posted++;
		else
			p->dups++;
		if (++p->batch >= POST_BATCH)
			flush(p);
	}
	post_plan_free(&pl);
}

/*
 * The credit grants booked in the books of the documents read (those
 * whose customer's first invoice is among them): each grant's entry in
 * the journal of one month, the month of that invoice.
 */
struct grant_ids {
	struct post	*p;
	char		**id;		/* entry ids */
	size_t		 n, cap;
	struct {			/* the grants that expire */
		char	*customer, *id;
	}		*x;
	size_t		 nx, capx;
};

static int
grant_replayed(const struct ldg_grant_doc *g, void *arg)
{
	struct grant_ids *gi = arg;
	struct entry e;
	json_t *j;
	int read;

	if (g->record == NULL ||
	    (j = json_loadb(g->record, g->reclen, 0, NULL)) == NULL)
		return 0;
	read = jval_str(j, "number") != NULL && hmap_get(&gi->p->docs_read,
	    jval_str(j, "number")) != NULL;
	json_decref(j);
	if (!read)
		return 0;
	memset(&e, 0, sizeof(e));
	post_entry_id(&e, g->g.customer, 0, "grant", g->g.id);
	if (gi->n == gi->cap) {
		gi->cap = gi->cap ? 2 * gi->cap : 16;
		gi->id = xreallocarray(gi->id, gi->cap, sizeof(*gi->id));
	}
	gi->id[gi->n++] = xstrdup(e.id);
	if (g->g.expires != INT64_MAX) {
		if (gi->nx == gi->capx) {
			gi->capx = gi->capx ? 2 * gi->capx : 16;
			gi->x = xreallocarray(gi->x, gi->capx, sizeof(*gi->x));
		}
		gi->x[gi->nx].customer = xstrdup(g->g.customer);
		gi->x[gi->nx++].id = xstrdup(g->g.id);
	}
	return 0;
}

static void
replay_grants(struct post *p)
{
	struct grant_ids gi = { p, NULL, 0, 0, NULL, 0, 0 };
	struct ldg_posting lp;
	size_t i;

	ldg_grants_all(p->ldg, grant_replayed, &gi);
	for (i = 0; i < gi.n; i++) {
		if (ldg_posting_get(p->ldg, gi.id[i], &lp)) {
			render(p, lp.record, strlen(lp.record));
			ldg_posting_free(&lp);
			p->replayed++;
		}
		free(gi.id[i]);
	}
	/* and their expiry entries, every version */
	for (i = 0; i < gi.nx; i++) {
		struct entry e;
		int64_t v;

		for (v = 0;; v++) {
			memset(&e, 0, sizeof(e));
			post_entry_id(&e, gi.x[i].customer, v, "expiry",
			    gi.x[i].id);
			if (!ldg_posting_get(p->ldg, e.id, &lp))
				break;
			render(p, lp.record, strlen(lp.record));
			ldg_posting_free(&lp);
			p->replayed++;
		}
		free(gi.x[i].customer);
		free(gi.x[i].id);
	}
	free(gi.x);
	free(gi.id);
	flush(p);
}

/* ---- --confirm: the ERP's acknowledgements ---- */

struct ack {
	const char	*id, *ref, *status, *reason;
};

static void
confirm_one(struct post *p, struct stagein *s, const struct ack *a)
{
	struct ldg_posting lp;
	int ok;

	if (a->id == NULL || a->status == NULL ||
	    (strcmp(a->status, "confirmed") != 0 &&
	    strcmp(a->status, "failed") != 0)) {
		si_reject(s, RC_DATA, "invalid_acknowledgement", "status",
		    "an acknowledgement needs an id and a status, "
		    "\"confirmed\" or \"failed\"");
		return;
	}
	if (strcmp(a->status, "confirmed") == 0 && (a->ref == NULL ||
	    *a->ref == '\0')) {
		si_reject(s, RC_DATA, "invalid_acknowledgement", "erp_ref",
		    "a confirmation needs the ERP's journal reference");
		return;
	}
	if (!ldg_posting_get(p->ldg, a->id, &lp)) {
		si_reject(s, RC_RECON, "unknown_entry", "id", "entry '%s' was "
		    "never posted from this ledger", a->id);
		return;
	}
	if (strcmp(lp.state, "confirmed") == 0) {
		ok = strcmp(a->status, "confirmed") == 0 && lp.erp_ref &&
		    strcmp(lp.erp_ref, a->ref) == 0;
		if (ok)
			p->dups++;
		else
			si_reject(s, RC_RECON, "confirmation_conflict", "erp_ref",
			    "entry '%s' was confirmed as %s already; this "
			    "acknowledgement says %s %s", a->id, lp.erp_ref ?
			    lp.erp_ref : "?", a->status, a->ref ? a->ref : "");
		ldg_posting_free(&lp);
		return;
	}
	ldg_posting_free(&lp);
	ldg_posting_state(p->ldg, a->id, a->status, a->ref, a->reason,
	    p->as_of);
	if (strcmp(a->status, "confirmed") == 0)
		p->confirmed++;
	else
		p->failed++;
}

/* NDJSON or CSV with a header: id, erp_ref, status, reason */
static void
confirm_row(struct stagein *s, const char *const *v, void *arg)
{
	struct ack a = { v[0], v[1], v[2], v[3] };

	confirm_one(arg, s, &a);
}

static void
confirm(struct post *p)
{
	static const char *const names[] = { "id", "erp_ref", "status",
	    "reason" };
	static const struct rowin_spec spec = { names, 4, 1 | 4 };

	ldg_begin(p->ldg);
	rowin_each(&p->in, &spec, confirm_row, p);
	ldg_commit(p->ldg);
	rej_flush(&p->rej);
}

/* ---- --payments: cash against invoices ---- */

/* An invoice of the ledger as a payment sees it. */
struct inv {
	json_t		*rec;		/* the invoice's record */
	struct doc_rec	 r;		/* what rec says */
	char		*number, *state;
	unsigned char	 key[KEY_LEN];
	dec		 amount;	/* due, with its notes */
	int64_t		 due_day;
};

static int
doc_copy(const struct ldg_doc *d, void *arg)
{
	struct inv *iv = arg;

	if (strcmp(d->kind, "invoice") != 0)
		return 1;
	iv->rec = json_loadb(d->record, d->reclen, 0, NULL);
	iv->number = xstrdup(d->number);
	if (d->key != NULL)
		memcpy(iv->key, d->key, KEY_LEN);
	return 1;
}

static int
doc_due(const struct ldg_doc *d, void *arg)
{
	struct inv *iv = arg;
	json_t *j = json_loadb(d->record, d->reclen, 0, NULL);
	struct doc_rec r;

	doc_read(j, NULL, &r);
	/*
	 * Progressive billing: an invoice key's other invoices (interim
	 * invoices, the final one) are receivables of their own; an
	 * invoice owes its amount and its notes', which reference it.
	 */
	if (strcmp(d->number, iv->number) != 0 && (r.ref == NULL ||
	    strcmp(r.ref, iv->number) != 0)) {
		json_decref(j);
		return 0;
	}
	if (!r.due.ok || dec_add(iv->amount, r.due.d, &iv->amount) != DEC_OK)
		die(EX_DATAERR, "ledger: document %s has no amount due: the "
		    "ledger was altered", d->number);
	json_decref(j);
	return 0;
}

/* 1 with the invoice, 0 when the ledger has no invoice of that number. */
static int
inv_get(struct post *p, const char *number, struct inv *iv)
{
	struct ldg_inv st;

	memset(iv, 0, sizeof(*iv));
	if (ldg_doc_by_number(p->ldg, number, doc_copy, iv) == 0 ||
	    iv->rec == NULL) {
		free(iv->number);
		return 0;
	}
	if (ldg_inv_get(p->ldg, iv->key, &st)) {
		iv->state = xstrdup(st.state);
		ldg_inv_free(&st);
	} else
		iv->state = xstrdup("issued");
	doc_read(iv->rec, NULL, &iv->r);
	iv->amount = (dec){ 0, cur_minor(iv->r.currency) };
	ldg_docs_of(p->ldg, iv->key, doc_due, iv);
	iv->due_day = iv->r.due_day;
	return 1;
}

static void
inv_free(struct inv *iv)
{
	if (iv->rec != NULL)
		json_decref(iv->rec);
	free(iv->number);
	free(iv->state);
}

static void
receivable_save(struct post *p, const struct inv *iv, dec paid)
{
	struct ldg_receivable r;

	r.number = iv->number;
	r.entity = iv->r.entity.id;
	r.customer = iv->r.customer.id;
	r.currency = iv->r.currency;
	r.due_day = iv->due_day;
	r.amount = iv->amount;
	r.paid = paid;
	r.status = rcv_status(iv->state, iv->amount, paid, iv->due_day,
	    p->as_of / TM_NS_PER_SEC / 86400);
	ldg_receivable_put(p->ldg, &r, p->as_of);
}

/* --retry-pending: a payment's cash receipt sent again unless confirmed */
static void
retry_receipt(struct post *p, const char *reference)
{
	struct ldg_posting lp;
	struct entry e;

	memset(&e, 0, sizeof(e));
	post_entry_id(&e, reference, 0, "payment", NULL);
	if (!ldg_posting_get(p->ldg, e.id, &lp))
		return;
	if (strcmp(lp.state, "confirmed") != 0) {
		if (strcmp(lp.state, "failed") == 0)
			ldg_posting_state(p->ldg, e.id, "pending", NULL, NULL,
			    p->as_of);
		render(p, lp.record, strlen(lp.record));
		p->retried++;
	} else
		p->already++;
	ldg_posting_free(&lp);
}

/* A payment: checked, applied, recorded, its cash receipt posted. */
static void
pay_one(struct post *p, struct stagein *s, const struct rcv_payment *pr)
{
	struct post_why pw = { doc_reject, s, NULL, NULL, NULL, "", 0 };
	struct ldg_payment lp, old;
	struct post_doc d;
	struct entry e;
	struct inv iv;
	struct buf rec = { 0 };
	struct ldg_posting post;
	dec paid, applied, excess;
	const struct fxrate *fr;
	const dec *payrate = NULL;
	const char *cash;
	char ds[16];
	int r;

	txbegin(p);

	memset(&lp, 0, sizeof(lp));
	if ((r = rcv_payment_check(pr, &lp.amount, &lp.day)) == -1) {
		si_reject(s, RC_DATA, "invalid_payment", "", "a payment needs "
		    "an invoice number, an amount above 0, an ISO 4217 "
		    "currency, a date like 2026-11-30 and a reference");
		return;
	}
	if (r < 0) {
		si_reject(s, RC_DATA, "invalid_payment", "amount", "amount %s "
		    "is finer than the minor unit of %s", pr->amount,
		    pr->currency);
		return;
	}
	lp.number = (char *)pr->invoice;
	lp.currency = (char *)pr->currency;
	if (ldg_payment_get(p->ldg, pr->reference, &old)) {
		if (strcmp(old.number, lp.number) == 0 &&
		    dec_cmp(old.amount, lp.amount) == 0 &&
		    strcmp(old.currency, lp.currency) == 0 &&
		    old.day == lp.day) {
			p->dups++;
			if (p->retry)
				retry_receipt(p, pr->reference);
		} else
			si_reject(s, RC_CONFLICT, "idempotency_conflict",
			    "reference", "payment reference '%s' was "
			    "recorded before with another invoice, amount, "
			    "currency or date", pr->reference);
		ldg_payment_free(&old);
		return;
	}
	if (!inv_get(p, lp.number, &iv)) {
		si_reject(s, RC_RECON, "unknown_document", "invoice", "no "
		    "invoice %s in the ledger", lp.number);
		return;
	}
	if (strcmp(iv.state, "void") == 0) {
		si_reject(s, RC_RECON, "voided_document", "invoice", "invoice "
		    "%s is void: a payment of it is refunded or applied "
		    "elsewhere by hand", lp.number);
		goto done;
	}
	if (strcmp(iv.r.currency, lp.currency) != 0) {
		si_reject(s, RC_RECON, "currency_mismatch", "currency",
		    "invoice %s is in %s, the payment in %s", lp.number,
		    iv.r.currency, lp.currency);
		goto done;
	}
	paid = ldg_paid(p->ldg, lp.number);
	if ((r = rcv_apply(iv.amount, &paid, lp.amount, &applied, &excess)) ==
	    -1)
		die(EX_DATAERR, "ledger: invoice %s's amounts overflow",
		    lp.number);
	if (r < 0)
		die(EX_DATAERR, "payment amounts overflow");

	if (post_payment_doc(&d, iv.rec, iv.number, &p->acc, &cash, &pw) < 0)
		goto done;
	/* with --fx, a foreign-currency invoice paid at its day's rate */
	if (d.h.has_fx && p->fx_path != NULL) {
		if ((fr = fxtab_find(&p->fx, d.h.currency, d.h.fcur,
		    lp.day)) == NULL) {
			tm_day_str(lp.day, ds, sizeof(ds));
			si_reject(s, RC_DATA, "no_fx_rate", "date", "invoice %s "
			    "is in %s for books in %s: the FX table has no "
			    "rate on or before the payment's day, %s",
			    lp.number, d.h.currency, d.h.fcur, ds);
			goto done;
		}
		payrate = &fr->rate;
	}
	r = post_receipt(&d, cash, pr->reference, lp.day, lp.amount, applied,
	    excess, payrate, &e, &rec, &pw);
	entry_free(&e);
	if (r < 0)
		goto done;
	ldg_payment_put(p->ldg, pr->reference, &lp, applied, excess,
	    p->as_of);
	receivable_save(p, &iv, paid);
	if (ldg_posting_get(p->ldg, e.id, &post))
		ldg_posting_free(&post);	/* a reference reused: kept */
	else {
		ldg_posting_put(p->ldg, e.id, d.h.entity, d.h.number, rec.p,
		    rec.len - 1, p->as_of);
		render(p, rec.p, rec.len);
		p->emitted++;
	}
	p->posted++;
	if (++p->batch >= POST_BATCH)
		flush(p);
	buf_free(&rec);
done:
	inv_free(&iv);
}

/* NDJSON or CSV with a header: invoice, amount, currency, date, reference */
static void
pay_row(struct stagein *s, const char *const *v, void *arg)
{
	struct rcv_payment pr = { v[0], v[1], v[2], v[3], v[4] };

	pay_one(arg, s, &pr);
}

static void
payments(struct post *p)
{
	static const char *const names[] = { "invoice", "amount", "currency",
	    "date", "reference" };
	static const struct rowin_spec spec = { names, 5, 31 };

	rowin_each(&p->in, &spec, pay_row, p);
	flush(p);
}

/* ---- --aging: receivables by days past due ---- */

static void	open_grants(struct post *, int table);

struct aging {
	struct post	*p;
	struct rcv_aging rows;
	unsigned char	 key[KEY_LEN];	/* the invoice key being summed */
	int		 have;
	struct inv	 iv;
};

static void
age_invoice(struct aging *a)
{
	struct post *p = a->p;
	int64_t today = p->as_of / TM_NS_PER_SEC / 86400;
	dec paid, open;

	if (!a->have)
		return;
	paid = ldg_paid(p->ldg, a->iv.number);
	receivable_save(p, &a->iv, paid);
	if (dec_sub(a->iv.amount, paid, &open) != DEC_OK)
		die(EX_DATAERR, "ledger: amounts overflow");
	if (dec_sign(open) <= 0 || strcmp(a->iv.state, "void") == 0)
		goto done;
	rcv_age_add(&a->rows, a->iv.r.customer.id, a->iv.r.currency,
	    today - a->iv.due_day, open);
done:
	inv_free(&a->iv);
	a->have = 0;
}

static int
age_doc(const struct ldg_doc *d, void *arg)
{
	struct aging *a = arg;

	if (a->have && d->key != NULL && memcmp(d->key, a->key, KEY_LEN) == 0)
		return 0;	/* a note of the invoice being summed */
	age_invoice(a);
	if (strcmp(d->kind, "invoice") != 0 || d->key == NULL)
		return 0;
	memcpy(a->key, d->key, KEY_LEN);
	a->have = inv_get(a->p, d->number, &a->iv);
	return 0;
}

static void
aging(struct post *p)
{
	struct aging a = { p, { NULL, 0 }, { 0 }, 0, { 0 } };
	struct buf o = { 0 };

	ldg_begin(p->ldg);
	ldg_docs_all(p->ldg, age_doc, &a);
	age_invoice(&a);
	ldg_commit(p->ldg);
	rcv_age_report(&a.rows, p->as_of / TM_NS_PER_SEC / 86400, &o);
	out_write(o.p, o.len);
	buf_free(&o);
	rcv_age_free(&a.rows);
	open_grants(p, 1);
}

/* ---- --aging, --grants: the open prepaid credit grants ---- */

struct cust_cur {
	char		**v;		/* customer, currency, ... */
	size_t		 n, cap;
	struct hmap	 seen;		/* "customer\ncurrency" */
};

static int
grant_pair(const struct ldg_grant_doc *g, void *arg)
{
	struct cust_cur *cc = arg;
	struct buf k = { 0 };

	buf_printf(&k, "%s\n%s", g->g.customer, g->g.currency);
	if (hmap_get(&cc->seen, buf_cstr(&k)) == NULL) {
		hmap_put(&cc->seen, buf_cstr(&k), (void *)1);
		if (cc->n + 2 > cc->cap) {
			cc->cap = cc->cap ? 2 * cc->cap : 32;
			cc->v = xreallocarray(cc->v, cc->cap, sizeof(*cc->v));
		}
		cc->v[cc->n++] = xstrdup(g->g.customer);
		cc->v[cc->n++] = xstrdup(g->g.currency);
	}
	buf_free(&k);
	return 0;
}

static int
pair_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int c;

	if ((c = strcmp(x[0], y[0])) != 0)
		return c;
	return strcmp(x[1], y[1]);
}

/*
 * Each customer's grants open at --as-of, by customer and currency, in
 * the order its periods draw on them: after --aging's receivables, a
 * table (when the ledger has grants); with --grants, NDJSON.
 */
static void
open_grants(struct post *p, int table)
{
	struct cust_cur cc;
	struct cred_rows rows = { NULL, 0, 0 };
	struct ldg_grant_bal *v;
	struct buf o = { 0 };
	size_t i, j, n, ngrants = 0;

	memset(&cc, 0, sizeof(cc));
	hmap_init(&cc.seen);
	ldg_begin(p->ldg);
	ldg_grants_all(p->ldg, grant_pair, &cc);
	if (cc.n > 0)
		qsort(cc.v, cc.n / 2, 2 * sizeof(*cc.v), pair_cmp);
	for (i = 0; i < cc.n; i += 2) {
		n = ldg_credit_grants(p->ldg, cc.v[i], cc.v[i + 1], INT64_MIN,
		    &v);
		for (j = 0; j < n; j++)
			cred_add(&rows, v[j].g.customer, v[j].g.currency,
			    v[j].g.id, v[j].g.paid, v[j].g.priority,
			    v[j].g.granted, v[j].g.expires, v[j].g.amount,
			    v[j].others, p->as_of);
		ngrants += n;
		ldg_credit_grants_free(v, n);
		free(cc.v[i]);
		free(cc.v[i + 1]);
	}
	ldg_commit(p->ldg);
	if (table && ngrants > 0) {
		cred_report(&rows, p->as_of, &o);
	} else if (!table)
		cred_ndjson(&rows, p->as_of, &o);
	out_write(o.p, o.len);
	buf_free(&o);
	cred_free(&rows);
	free(cc.v);
	hmap_free(&cc.seen);
}

/* ---- the run ---- */

static void
write_stats(struct post *p)
{
	int c = p->confirm_path != NULL, r = p->replay, h = !c && !r;
	const struct stats_field st[] = {
		STAT_N("read", p->in.read),
		STAT_IF(c, STAT_N("confirmed", p->confirmed)),
		STAT_IF(c, STAT_N("failed", p->failed)),
		STAT_IF(h, STAT_N("posted", p->posted)),
		STAT_IF(r, STAT_N("replayed", p->posted)),
		STAT_IF(!c, STAT_N("skipped", p->skipped)),
		STAT_IF(!r, STAT_N("duplicates", p->dups)),
		STAT_IF(r, STAT_N("not_posted", p->dups)),
		STAT_REFUSED(p->in.rejected, &p->rej, p->in.blank),
		STAT_IF(h, STAT_N("caught_up", p->caught_up)),
		STAT_IF(h, STAT_N("caught_up_rejected", p->heal_rejected)),
		STAT_IF(h, STAT_N("unposted_other_entities", p->heal_other)),
		STAT_IF(h, STAT_N("grants_booked", p->grants_booked)),
		STAT_IF(h, STAT_N("grants_waiting", p->grants_waiting)),
		STAT_IF(h, STAT_N("grants_rejected", p->grants_rejected)),
		STAT_IF(h, STAT_N("grants_expired", p->grants_expired)),
		STAT_IF(p->shard.n > 0, STAT_S("shard", p->shard_arg)),
		STAT_IF(p->shard.n > 0, STAT_N("unposted_other_shards",
		    p->heal_shard)),
		STAT_IF(p->shard.n > 0, STAT_N("grants_other_shards",
		    p->grants_shard)),
		STAT_IF(r, STAT_N("entries_replayed", p->replayed)),
		STAT_IF(!r, STAT_N("entries_emitted", p->emitted)),
		STAT_IF(!r, STAT_N("entries_retried", p->retried)),
		STAT_IF(!r, STAT_N("entries_confirmed_before", p->already)),
		STAT_IF(!r, STAT_N("entries_pending", p->pending)),
		STAT_S("format", entry_fmt_names[p->fmt]),
		STAT_T("as_of", p->as_of),
		STAT_S("rejects_file", p->rejects_path),
	};

	stats_write(p->stats_path, "erp-post", st, sizeof(st) / sizeof(st[0]));
}

static void
summary(struct post *p)
{
	struct buf b = { 0 };

	if (p->confirm_path != NULL)
		buf_printf(&b, "read %" PRIu64 ", confirmed %" PRIu64
		    ", failed %" PRIu64 ", duplicates %" PRIu64 ", rejected %"
		    PRIu64, p->in.read, p->confirmed, p->failed, p->dups,
		    p->in.rejected);
	else if (p->payments_path != NULL)
		buf_printf(&b, "read %" PRIu64 ", applied %" PRIu64
		    ", duplicates %" PRIu64 ", rejected %" PRIu64 "; %" PRIu64
		    " cash receipts emitted, %" PRIu64 " retried", p->in.read,
		    p->posted, p->dups, p->in.rejected, p->emitted, p->retried);
	else if (p->replay)
		buf_printf(&b, "read %" PRIu64 ", replayed %" PRIu64
		    ", not posted %" PRIu64 ", skipped %" PRIu64 ", rejected %"
		    PRIu64 "; %" PRIu64 " entries written", p->in.read,
		    p->posted, p->dups, p->skipped, p->in.rejected,
		    p->replayed);
	else
		buf_printf(&b, "read %" PRIu64 ", posted %" PRIu64
		    ", duplicates %" PRIu64 ", skipped %" PRIu64 ", rejected %"
		    PRIu64 "; %" PRIu64 " entries emitted, %" PRIu64
		    " retried, %" PRIu64 " confirmed before, %" PRIu64
		    " pending", p->in.read, p->posted, p->dups, p->skipped,
		    p->in.rejected, p->emitted, p->retried, p->already,
		    p->pending);
	if (p->caught_up + p->heal_rejected + p->heal_other > 0) {
		buf_printf(&b, "; from the ledger: %" PRIu64 " documents "
		    "caught up", p->caught_up);
		if (p->heal_rejected > 0)
			buf_printf(&b, ", %" PRIu64 " rejected",
			    p->heal_rejected);
		if (p->heal_other > 0)
			buf_printf(&b, ", %" PRIu64 " of entities without "
			    "books here left unposted", p->heal_other);
	}
	if (p->grants_booked + p->grants_waiting + p->grants_rejected +
	    p->grants_expired > 0) {
		buf_printf(&b, "; credit grants: %" PRIu64 " booked",
		    p->grants_booked);
		if (p->grants_waiting > 0)
			buf_printf(&b, ", %" PRIu64 " waiting for their "
			    "customer's first invoice", p->grants_waiting);
		if (p->grants_rejected > 0)
			buf_printf(&b, ", %" PRIu64 " rejected",
			    p->grants_rejected);
		if (p->grants_expired > 0)
			buf_printf(&b, ", %" PRIu64 " expir%s booked",
			    p->grants_expired, p->grants_expired == 1 ? "y" :
			    "ies");
	}
	if (p->shard.n > 0)
		buf_printf(&b, "; shard %" PRIu32 " of %" PRIu32 ": %" PRIu64
		    " documents and %" PRIu64 " credit grants of other shards' "
		    "customers left to them", p->shard.k, p->shard.n,
		    p->heal_shard, p->grants_shard);
	rej_summary(&p->rej, &b);
	warnmsg("%s", buf_cstr(&b));
	buf_free(&b);
}

static void
opt_shard(void *dst, const char *arg)
{
	struct post *p = dst;
	const char *why;

	if (shard_parse(arg, &p->shard, &why) < 0) {
		warnmsg("--shard '%s': %s", arg, why);
		usage(EX_USAGE);
	}
	p->shard_arg = arg;
}

static void
opt_format(void *dst, const char *arg)
{
	size_t i;

	for (i = 0; i < ENTRY_NFMT; i++)
		if (strcmp(arg, entry_fmt_names[i]) == 0)
			break;
	if (i == ENTRY_NFMT) {
		warnmsg("--format '%s': expected ndjson, netsuite, xero, qbo, "
		    "hledger, ledger or beancount", arg);
		usage(EX_USAGE);
	}
	*(enum entry_fmt *)dst = (enum entry_fmt)i;
}

int
main(int argc, char **argv)
{
	struct post p;
	const char *key = NULL, *keyout = NULL, *signf = NULL, *verif = NULL;
	const struct opt opts[] = {
		OPT_S("accounts", 0, &p.accounts_path),
		OPT_F("aging", &p.aging),
		OPT_ASOF(&p.as_of),
		OPT_BUSY(&p.busy_ms),
		OPT_S("confirm", 0, &p.confirm_path),
		OPT_S("date-format", 0, &p.date_fmt),
		OPT_C("format", 0, opt_format, &p.fmt),
		OPT_S("fx", 0, &p.fx_path),
		OPT_F("grants", &p.grants),
		OPT_S("key", 0, &key),
		OPT_S("journal", 0, &p.journal_path),
		OPT_S("keygen", 0, &keyout),
		OPT_LEDGER(&p.ledger_path),
		OPT_MAXDEPTH(&p.max_depth),
		OPT_MAXLINE(&p.max_line),
		OPT_S("out-dir", 0, &p.out_dir),
		OPT_S("payments", 0, &p.payments_path),
		OPT_REJECTS(&p.rejects_path),
		OPT_F("replay", &p.replay),
		OPT_F("retry-pending", &p.retry),
		OPT_C("shard", 0, opt_shard, &p),
		OPT_S("sign", 0, &signf),
		OPT_STATS(&p.stats_path),
		OPT_STRICT(&p.strict),
		OPT_S("verify", 0, &verif),
		OPT_END
	};
	char *rejects_default = NULL, *cfiles[1];
	const char *bad;
	char why[600];
	size_t i;
	int rc = 0, mapped, first;

	u_setprogname(argv[0]);
	memset(&p, 0, sizeof(p));
	first = opt_parse(argc, argv, opts, usage);
	argc -= first;
	argv += first;
	if (keyout || signf || verif) {
		if ((keyout != NULL) + (signf != NULL) + (verif != NULL) > 1 ||
		    argc > 0 || ((signf || verif) && key == NULL)) {
			warnmsg("--keygen KEYFILE, --sign FILE --key KEYFILE and "
			    "--verify FILE --key KEYFILE.pub go alone");
			usage(EX_USAGE);
		}
		key_init();
		out_init();
		if (keyout != NULL)
			sign_keygen(keyout);
		else if (signf != NULL)
			sign_file(signf, key);
		else if (!sign_verify(verif, key)) {
			warnmsg("%s: signature mismatch: the file is not the one "
			    "signed with that key", verif);
			return EXIT_MISMATCH;
		} else
			warnmsg("%s: signature verified", verif);
		return 0;
	}
	if (p.accounts_path == NULL && p.confirm_path == NULL && !p.aging &&
	    !p.grants) {
		warnmsg("--accounts FILE is required");
		usage(EX_USAGE);
	}
	if ((p.confirm_path != NULL) + (p.payments_path != NULL) + p.aging +
	    p.grants > 1) {
		warnmsg("--confirm, --payments, --aging and --grants go alone");
		usage(EX_USAGE);
	}
	if ((p.confirm_path || p.payments_path || p.aging || p.grants) &&
	    (p.ledger_path == NULL || argc > 0)) {
		warnmsg("--%s needs --ledger and reads no other input",
		    p.confirm_path ? "confirm" : p.payments_path ? "payments" :
		    p.aging ? "aging" : "grants");
		usage(EX_USAGE);
	}
	if ((p.retry || p.replay) && p.ledger_path == NULL) {
		warnmsg("--%s needs --ledger, where postings are", p.replay ?
		    "replay" : "retry-pending");
		usage(EX_USAGE);
	}
	if (p.replay && (p.retry || p.confirm_path || p.payments_path ||
	    p.aging || p.grants)) {
		warnmsg("--replay goes with none of --retry-pending, --confirm, "
		    "--payments, --aging and --grants");
		usage(EX_USAGE);
	}
	if (p.shard.n > 0 && (p.ledger_path == NULL || p.replay ||
	    p.confirm_path || p.payments_path || p.aging || p.grants)) {
		warnmsg("--shard chooses the documents and credit grants of the "
		    "ledger a posting run catches up: it needs --ledger and "
		    "goes with none of --replay, --confirm, --payments, --aging "
		    "and --grants");
		usage(EX_USAGE);
	}
	if (p.as_of == INT64_MIN)
		p.as_of = cli_now(0);
	/* the ERPs' import files: where, and NetSuite's date format */
	if ((p.out_dir != NULL || p.date_fmt != NULL) && p.fmt < ENTRY_NETSUITE) {
		warnmsg("--out-dir and --date-format go with --format netsuite, "
		    "xero or qbo");
		usage(EX_USAGE);
	}
	if (p.date_fmt != NULL && (p.fmt != ENTRY_NETSUITE ||
	    imp_datefmt(p.date_fmt) < 0)) {
		warnmsg("--date-format '%s': NetSuite's are MM/DD/YYYY, "
		    "DD/MM/YYYY, YYYY-MM-DD, DD.MM.YYYY, YYYY/MM/DD, M/D/YYYY, "
		    "D/M/YYYY, D.M.YYYY, DD-Mon-YYYY and D-Mon-YYYY (Xero's "
		    "and QuickBooks' are fixed)", p.date_fmt);
		usage(EX_USAGE);
	}

	key_init();
	out_init();
	if (p.accounts_path != NULL)
		accounts_load(&p.acc, p.accounts_path);
	else
		hmap_init(&p.acc.by_entity);
	if (p.fx_path != NULL)
		fxtab_load(&p.fx, p.fx_path);
	for (i = 0; p.fmt == ENTRY_BEANCOUNT && i < p.acc.n; i++)
		if ((bad = entry_bean_books(&p.acc.v[i], &mapped)) != NULL)
			die(EX_CONFIG, "%s: entity '%s': account '%s' is not a "
			    "beancount account name%s", p.accounts_path,
			    p.acc.v[i].entity, bad, mapped ? "" : " (Assets|"
			    "Liabilities|Equity|Income|Expenses:Name...)");
	if (p.fmt >= ENTRY_NETSUITE && p.accounts_path != NULL &&
	    imp_check(&p.acc, p.fmt, why, sizeof(why)) < 0)
		die(EX_CONFIG, "%s: %s", p.accounts_path, why);
	imp_init(&p.io, p.fmt, &p.acc, p.out_dir, p.date_fmt ?
	    imp_datefmt(p.date_fmt) : 0);
	if (p.ledger_path != NULL)
		p.ldg = ldg_open(ldg_path(p.ledger_path), p.busy_ms,
		    p.confirm_path || p.payments_path || p.aging || p.grants ||
		    p.replay ? LDG_EXISTING : 0);
	if (p.rejects_path == NULL)
		p.rejects_path = rejects_default =
		    rej_default_path(ldg_path(p.ledger_path));
	rej_open(&p.rej, p.rejects_path, "erp-post");
	out_hint(p.replay ? "the entries are written again by running the "
	    "same command" : p.ldg != NULL ? "the entries are pending in the "
	    "ledger: 'erp-post --retry-pending' on the same input writes them "
	    "again" : "the entries are made again by running the same command");
	tz_set_init(&p.zones);
	hmap_init(&p.docs_read);
	entry_out_init(&p.eo, p.fmt);
	if (p.journal_path != NULL && entry_out_journal(&p.eo,
	    p.journal_path) < 0)
		die(EX_NOINPUT, "cannot read the journal '%s': %s",
		    p.journal_path, strerror(errno));
	if (p.confirm_path != NULL || p.payments_path != NULL) {
		cfiles[0] = (char *)(p.confirm_path ? p.confirm_path :
		    p.payments_path);
		si_init(&p.in, 1, cfiles, p.max_line, p.max_depth, &p.rej);
		if (p.confirm_path != NULL)
			confirm(&p);
		else
			payments(&p);
	} else if (p.aging) {
		si_init(&p.in, 0, NULL, p.max_line, p.max_depth, &p.rej);
		aging(&p);
	} else if (p.grants) {
		si_init(&p.in, 0, NULL, p.max_line, p.max_depth, &p.rej);
		open_grants(&p, 0);
	} else {
		si_init(&p.in, argc, argv, p.max_line, p.max_depth, &p.rej);
		p.in.lr.idle = post_idle;
		p.in.lr.idle_arg = &p;
		si_each(&p.in, p.replay ? replay_one : post_one, &p);
		flush(&p);
		if (p.ldg != NULL && !p.replay) {
			heal(&p);
			grants(&p);
		} else if (p.replay)
			replay_grants(&p);
	}

	text_end(&p);
	imp_close(&p.io);
	rej_close(&p.rej);
	out_close();
	if (!p.aging && !p.grants)
		summary(&p);
	if (p.in.read != (p.confirm_path ? p.confirmed + p.failed :
	    p.posted + p.skipped) + p.dups + p.in.rejected)
		die(EX_SOFTWARE, "accounting error: read %" PRIu64 " records "
		    "but did not account for each", p.in.read);
	if (p.stats_path != NULL)
		write_stats(&p);
	if (p.in.lr.failed)
		rc = EX_NOINPUT;
	else if (p.strict && p.in.rejected > 0)
		rc = EX_DATAERR;

	ldg_close(p.ldg);
	si_free(&p.in);
	tz_set_free(&p.zones);
	hmap_free(&p.docs_read);
	entry_out_free(&p.eo);
	buf_free(&p.out);
	accounts_free(&p.acc);
	if (p.fx_path != NULL)
		fxtab_free(&p.fx);
	free(rejects_default);
	return rc;
}
