/*
 * ledger.c: the ledger's business operations, over a storage engine.
 *
 * The stages' operations (usage records, credits, alerts, numbers,
 * invoices, documents, postings, payments, receivables) say which
 * statement to run with what, through ldg_engine.h; the engine
 * (ldg_sqlite.c) holds the SQL and everything else about the database.
 *
 * The idempotency keys of usage records are the key index's (keyidx.c):
 * ldg_usage_put finds a key there first, and claims it with the record.
 *
 * Usage records are stored as blocks of columns (ublk.h), clustered by
 * (UTC day of the event, acceptance sequence): a transaction gathers its
 * records a day in a block writer and appends each block at the end of
 * its day at commit (or when full), a row a day a batch even when a
 * month-long file comes in random time order, and a billing period is
 * one range scan over a few hundred rows.  A record that a correction
 * replaced or cancelled is listed in usage_gone, which the scans skip.
 *
 * Every state change also appends a row to the audit log (audit.h), in
 * its own transaction, so the log and the state never disagree: one per
 * operation that changes state, and one per batch for the usage keys it
 * claimed (their count, sequence numbers and a digest of the keys and
 * content digests), as a row a key would cost more than the claim.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jw.h"
#include "keyidx.h"
#include "keys.h"
#include "ldg_engine.h"
#include "ledger.h"
#include "tm.h"
#include "ublk.h"
#include "util.h"

struct ledger {
	struct ldg_engine *e;
	struct kidx	*kx;
	int		 intx;
	int		 inread;	/* in ldg_read_begin's transaction */
	int		 synced;	/* key state caught up in this transaction */
	int64_t		 seq, seq0;	/* next acceptance sequence number */
	/* the audit log: its tail, read once a transaction, and a row */
	int		 audit_synced;
	int64_t		 audit_seq;	/* the next row's */
	unsigned char	 audit_prev[AUDIT_HASHLEN];
	struct buf	 audit_buf;	/* a row's detail */
	struct jw	 audit_w;
	struct keyh	 claims;	/* the batch's claimed keys, digested */
	/* the transaction's usage blocks being written, a day each */
	struct ublk_w	*ub;
	size_t		 nub, capub;
	struct buf	 ubytes;	/* a block's, encoded */
	/* the block ldg_usage_get read last, and a reader */
	struct buf	 gblk;
	int64_t		 gday, gseq0, glast;
	struct ublk_r	 rd;
	const void	*rd_p;		/* the bytes rd reads, or NULL */
	/* the block a scan is in, whose records its callback may get */
	const void	*scan_p;
	size_t		 scan_len;
	int64_t		 scan_day;
};

static void	ub_flush(struct ledger *);
static void	ub_drop(struct ledger *);

const char *
ldg_path(const char *opt)
{
	const char *e;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((e = getenv(LDG_ENV)) != NULL && *e != '\0')
		return e;
	return LDG_DEFAULT;
}

struct ledger *
ldg_open(const char *path, int busy_ms, int flags)
{
	struct ledger *l;

	l = xcalloc(1, sizeof(*l));
	if (ldg_is_pg(path))
		l->e = ldg_pg_open(path, busy_ms, flags);
	else
		l->e = ldg_sqlite_open(path, busy_ms, flags);
	l->kx = kidx_new(l->e);
	return l;
}

const char *
ldg_name(const struct ledger *l)
{
	return l->e->path;
}

int
ldg_hold(struct ledger *l, const char *name, char *what, size_t whatlen)
{
	return l->e->ops->hold(l->e, name, what, whatlen);
}

void
ldg_close(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->intx)
		ldg_rollback(l);
	kidx_free(l->kx);
	l->e->ops->close(l->e);
	buf_free(&l->audit_buf);
	ub_drop(l);
	free(l->ub);
	buf_free(&l->ubytes);
	buf_free(&l->gblk);
	ublk_r_free(&l->rd);
	free(l);
}

void
ldg_set_hot_keys(struct ledger *l, int64_t n)
{
	kidx_set_hot(l->kx, n);
}

/*
 * Under the write lock, before the first key of a transaction: another
 * process may have appended to the key log, merged it or compacted the
 * runs since our last batch, so catch up.  Only the stages that store
 * usage pay for it: rate, invoice-gen and erp-post never load the keys
 * (the hash of a 1M-key log alone is 50 MB).
 */
static void
keys_sync(struct ledger *l)
{
	int st;

	if (l->synced)
		return;
	l->synced = 1;
	kidx_sync(l->kx);
	st = LDGE_SEQ_GET;
	if (!ldge_step(l->e, st, "reading the sequence"))
		die(EX_CONFIG, "ledger '%s' has no sequence number",
		    l->e->path);
	l->seq = l->seq0 = ldge_col_int(l->e, st, 0);
	ldge_reset(l->e, st);
}

/* ---- the audit log: a row per state change (audit.h) ---- */

/*
 * A row's detail, a JSON object, is written into audit_w between
 * audit_begin and audit_end, which appends the row: the next seq after
 * the log's last row (read once a transaction, under the write lock, so
 * two writers never chain onto the same row), linked to its hash.
 */
static struct jw *
audit_begin(struct ledger *l)
{
	buf_reset(&l->audit_buf);
	jw_init(&l->audit_w, &l->audit_buf);
	jw_open(&l->audit_w, '{');
	return &l->audit_w;
}

static void
audit_sync(struct ledger *l)
{
	int st = LDGE_AUDIT_LAST;

	if (l->audit_synced)
		return;
	/*
	 * An empty log (every ledger starts with its genesis row, so it
	 * was emptied by hand) starts again at row 1: what was deleted
	 * cannot be proven from the log alone, see usage-to-cash(5).
	 */
	l->audit_seq = 1;
	memset(l->audit_prev, 0, AUDIT_HASHLEN);
	if (ldge_step(l->e, st, "reading the audit log")) {
		if (ldge_col_bytes(l->e, st, 1) != AUDIT_HASHLEN) {
			ldge_reset(l->e, st);
			die(EX_DATAERR, "ledger '%s': the audit log's last row "
			    "has no hash of %d bytes: the ledger was altered",
			    l->e->path, AUDIT_HASHLEN);
		}
		l->audit_seq = ldge_col_int(l->e, st, 0) + 1;
		memcpy(l->audit_prev, ldge_col_blob(l->e, st, 1),
		    AUDIT_HASHLEN);
	}
	ldge_reset(l->e, st);
	l->audit_synced = 1;
}

static void
audit_end(struct ledger *l, const char *op, const char *subject)
{
	int st = LDGE_AUDIT_PUT;
	struct audit_row r;

	if (!l->intx)
		die(EX_SOFTWARE, "ledger: %s outside a transaction", op);
	jw_close(&l->audit_w, '}');
	audit_sync(l);
	memset(&r, 0, sizeof(r));
	r.seq = l->audit_seq;
	r.at = audit_now();
	r.op = op;
	r.oplen = strlen(op);
	r.subject = subject;
	r.subjlen = strlen(subject);
	r.detail = l->audit_buf.p;
	r.detlen = l->audit_buf.len;
	memcpy(r.prev, l->audit_prev, AUDIT_HASHLEN);
	audit_hash(&r, r.hash);
	ldge_bind_int(l->e, st, 1, r.seq);
	ldge_bind_int(l->e, st, 2, r.at);
	ldge_bind_text(l->e, st, 3, r.op, (int)r.oplen);
	ldge_bind_text(l->e, st, 4, r.subject, (int)r.subjlen);
	ldge_bind_text(l->e, st, 5, r.detail, (int)r.detlen);
	ldge_bind_blob(l->e, st, 6, r.prev, AUDIT_HASHLEN);
	ldge_bind_blob(l->e, st, 7, r.hash, AUDIT_HASHLEN);
	ldge_step(l->e, st, "appending to the audit log");
	ldge_reset(l->e, st);
	l->audit_seq++;
	memcpy(l->audit_prev, r.hash, AUDIT_HASHLEN);
}

/* A field of a detail: its key, then the value with jw_*. */
static struct jw *
akey(struct ledger *l, const char *k)
{
	jw_key(&l->audit_w, k);
	return &l->audit_w;
}

/* A long value (a stored record) as its BLAKE2b-256, in hex. */
static void
audit_digest(struct ledger *l, const char *k, const void *p, size_t n)
{
	unsigned char h[AUDIT_HASHLEN];

	crypto_generichash(h, sizeof(h), p, n, NULL, 0);
	jw_hex(akey(l, k), h, sizeof(h));
}

static void
claims_start(struct ledger *l)
{
	key_open(&l->claims, AUDIT_HASHLEN);
	key_str(&l->claims, "u2c-usage-claims-1");
}

/*
 * The batch's claims as one row: records seq0 to seq - 1, and the digest
 * of their keys and content digests, 32 bytes each, in that order.
 */
static void
audit_claims(struct ledger *l)
{
	unsigned char h[AUDIT_HASHLEN];
	struct jw *w = audit_begin(l);

	key_close(&l->claims, h);
	JW_KEY(w, "n");
	jw_int(w, l->seq - l->seq0);
	JW_KEY(w, "first_seq");
	jw_int(w, l->seq0);
	JW_KEY(w, "last_seq");
	jw_int(w, l->seq - 1);
	JW_KEY(w, "keys");
	jw_hex(w, h, sizeof(h));
	audit_end(l, "usage.claim", "usage");
}

int
ldg_audit_scan(struct ledger *l, int (*cb)(const struct audit_row *, void *),
    void *arg)
{
	int st = LDGE_AUDIT_ALL;
	struct audit_row r;
	int ret = 0, i;

	while (ldge_step(l->e, st, "reading the audit log")) {
		memset(&r, 0, sizeof(r));
		r.seq = ldge_col_int(l->e, st, 0);
		r.at = ldge_col_int(l->e, st, 1);
		r.op = ldge_col_text(l->e, st, 2);
		r.oplen = (size_t)ldge_col_bytes(l->e, st, 2);
		r.subject = ldge_col_text(l->e, st, 3);
		r.subjlen = (size_t)ldge_col_bytes(l->e, st, 3);
		r.detail = ldge_col_text(l->e, st, 4);
		r.detlen = (size_t)ldge_col_bytes(l->e, st, 4);
		/* a hash of another length (edited) compares as all 0xff */
		for (i = 5; i <= 6; i++) {
			unsigned char *h = i == 5 ? r.prev : r.hash;

			if (ldge_col_bytes(l->e, st, i) == AUDIT_HASHLEN)
				memcpy(h, ldge_col_blob(l->e, st, i),
				    AUDIT_HASHLEN);
			else
				memset(h, 0xff, AUDIT_HASHLEN);
		}
		if (r.op == NULL)
			r.op = "";
		if (r.subject == NULL)
			r.subject = "";
		if (r.detail == NULL)
			r.detail = "";
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	ldge_reset(l->e, st);
	return ret;
}

void
ldg_begin(struct ledger *l)
{
	l->e->ops->begin(l->e);
	l->gblk.len = 0;	/* another process may have changed it */
	l->rd_p = NULL;
	l->intx = 1;
	l->synced = 0;
	l->audit_synced = 0;
	claims_start(l);
}

void
ldg_commit(struct ledger *l)
{
	ub_flush(l);
	if (l->synced && l->seq != l->seq0) {
		audit_claims(l);
		ldge_bind_int(l->e, LDGE_SEQ_SET, 1, l->seq);
		ldge_step(l->e, LDGE_SEQ_SET, "saving the sequence");
		ldge_reset(l->e, LDGE_SEQ_SET);
		l->seq0 = l->seq;
	}
	kidx_commit(l->kx, l->synced);
	l->e->ops->commit(l->e, "committing");
	l->intx = 0;
}

void
ldg_rollback(struct ledger *l)
{
	l->e->ops->rollback(l->e);
	l->intx = 0;
	kidx_rollback(l->kx);
	ub_drop(l);
	l->gblk.len = 0;	/* it may have been one this transaction wrote */
	l->rd_p = NULL;
}

/* Days since 1970 of an instant in ns, rounding toward -infinity. */
static int64_t
ldg_day(int64_t t)
{
	const int64_t d = 86400LL * 1000000000LL;

	return t / d - (t % d < 0);
}

/* ---- usage blocks: written at commit, read by the scans ---- */

static void
ub_drop(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->nub; i++)
		ublk_w_free(&l->ub[i]);
	l->nub = 0;
}

static void
ub_put(struct ledger *l, struct ublk_w *w)
{
	int st = LDGE_UB_PUT;

	if (w->n == 0)
		return;
	ldge_bind_int(l->e, st, 1, w->day);
	ldge_bind_int(l->e, st, 2, w->seq0);
	ldge_bind_int(l->e, st, 3, (int64_t)w->n);
	ldge_bind_int(l->e, st, 4, w->last);
	ldge_bind_int(l->e, st, 5, w->tmin);
	ldge_bind_int(l->e, st, 6, w->tmax);
	ldge_bind_int(l->e, st, 7, w->ingested);
	ublk_w_finish(w, &l->ubytes);
	ldge_bind_blob(l->e, st, 8, l->ubytes.p, l->ubytes.len);
	ldge_step(l->e, st, "storing usage records");
	ldge_reset(l->e, st);
}

/* Every block being written, stored: at commit, and before a read. */
static void
ub_flush(struct ledger *l)
{
	size_t i;

	for (i = 0; i < l->nub; i++)
		ub_put(l, &l->ub[i]);
	ub_drop(l);
}

#define UB_DAYS	64	/* days a transaction writes at once, at most */

/*
 * Add a record (of seq l->seq) to its day's block: a block holds one
 * run's records (one --as-of, which --changed-since reads a block at a
 * time), so another's ends it.
 */
static void
ub_add(struct ledger *l, const struct ldg_usage *u)
{
	int64_t day = ldg_day(u->t);
	struct ublk_w *w = NULL;
	size_t i;

	for (i = l->nub; i-- > 0; )
		if (l->ub[i].day == day) {
			w = &l->ub[i];
			break;
		}
	if (w != NULL && !ublk_w_takes(w, day, u->ingested))
		ub_put(l, w);		/* another run's: it ends the block */
	if (w != NULL && w->n == 0)	/* started again, for this run */
		w->ingested = u->ingested;
	if (w == NULL) {
		if (l->nub == UB_DAYS)
			ub_flush(l);
		if (l->nub == l->capub) {
			l->capub = l->capub ? l->capub * 2 : 8;
			l->ub = xreallocarray(l->ub, l->capub,
			    sizeof(*l->ub));
		}
		w = &l->ub[l->nub++];
		ublk_w_init(w, day, u->ingested);
	}
	ublk_w_add(w, u, l->seq);
	if (w->n == UBLK_MAX)
		ub_put(l, w);
}

static _Noreturn void
ub_corrupt(struct ledger *l, int64_t day)
{
	char d[TM_FMTMAX];

	tm_day_str(day, d, sizeof(d));
	die(EX_CONFIG, "ledger '%s': a usage block of %s is corrupt (the "
	    "ledger was damaged or altered by hand)", l->e->path, d);
}

void
ldg_prefetch(const struct ledger *l, const unsigned char *k)
{
	kidx_prefetch(l->kx, k);
}

int
ldg_usage_put(struct ledger *l, const struct ldg_usage *u, int64_t *orig_t)
{
	int r;

	if (!l->intx)
		die(EX_SOFTWARE, "ledger: usage record outside a transaction");
	keys_sync(l);
	if ((r = kidx_find(l->kx, u->key, u->digest, orig_t)) != LDG_NEW)
		return r;
	kidx_claim(l->kx, u->key, u->digest, u->t, l->seq);
	ub_add(l, u);
	key_raw(&l->claims, u->key, LDG_KEYLEN);
	key_raw(&l->claims, u->digest, LDG_KEYLEN);
	l->seq++;
	return LDG_NEW;
}

/* ---- meter-ingest's corrections (ledger.h, ldg_usage_fix) ---- */

/*
 * The original event of a target key: the original of the chain when
 * the key is a correction's, else the key itself when the key index
 * holds it (*t its time).  0, or -1 when the ledger has no such event.
 */
static int
fix_orig(struct ledger *l, const unsigned char *tkey, unsigned char *orig,
    int64_t *t, int *is_fix)
{
	static const unsigned char none[LDG_KEYLEN];
	int st = LDGE_FIX_BY_KEY, found;

	ldge_bind_blob(l->e, st, 1, tkey, LDG_KEYLEN);
	if ((found = ldge_step(l->e, st, "reading corrections")) &&
	    ldge_col_bytes(l->e, st, 0) == LDG_KEYLEN)
		memcpy(orig, ldge_col_blob(l->e, st, 0), LDG_KEYLEN);
	ldge_reset(l->e, st);
	*is_fix = found;
	if (found)
		return 0;
	/* a digest no event has: LDG_CONFLICT when the key is there */
	if (kidx_find(l->kx, tkey, none, t) == LDG_NEW)
		return -1;
	memcpy(orig, tkey, LDG_KEYLEN);
	return 0;
}

/* A write of n integers, from a. */
static void
run_ints(struct ledger *l, int st, const char *what, int n, int64_t a,
    int64_t b, int64_t c)
{
	const int64_t v[3] = { a, b, c };
	int i;

	for (i = 0; i < n; i++)
		ldge_bind_int(l->e, st, i + 1, v[i]);
	ldge_step(l->e, st, what);
	ldge_reset(l->e, st);
}

static void
fix_gone(struct ledger *l, int64_t day, int64_t seq, int64_t gone)
{
	run_ints(l, LDGE_GONE_PUT, "marking a corrected usage record", 3,
	    day, seq, gone);
}

/*
 * The seq of the record of day, time t and key, 0; -1 when there is none:
 * in the blocks this transaction is writing, else in those of its day
 * whose times reach t.  A read of the day's blocks, as the row scan of
 * version 11 was: corrections are rare beside events.
 */
static int
ub_seq_of(struct ledger *l, int64_t day, int64_t t, const unsigned char *key,
    int64_t *seq)
{
	int st = LDGE_UB_NEAR, found = -1;
	size_t i;

	for (i = 0; i < l->nub; i++)
		if (l->ub[i].day == day &&
		    ublk_w_find(&l->ub[i], t, key, seq) == 0)
			return 0;
	l->rd_p = NULL;
	ldge_bind_int(l->e, st, 1, day);
	ldge_bind_int(l->e, st, 2, t);
	while (found < 0 && ldge_step(l->e, st, "finding a corrected record")) {
		if (ublk_open(&l->rd, ldge_col_blob(l->e, st, 0),
		    (size_t)ldge_col_bytes(l->e, st, 0), 1) < 0) {
			ldge_reset(l->e, st);
			ub_corrupt(l, day);
		}
		found = ublk_find(&l->rd, t, key, seq);
	}
	ldge_reset(l->e, st);
	return found;
}

int
ldg_usage_fix(struct ledger *l, const struct ldg_usage *u, struct ldg_fix *fx)
{
	unsigned char tkey[LDG_KEYLEN], orig[LDG_KEYLEN];
	int64_t n = 0, pday = 0, pseq = 0, t = 0, pt = 0;
	int st, r, is_fix, cancelled = 0, found;
	const char *kind = fx->kind == LDG_AMEND ? "amend" : "cancel";
	char hex[KEY_HEXLEN];

	if (!l->intx)
		die(EX_SOFTWARE, "ledger: correction outside a transaction");
	keys_sync(l);
	if ((r = kidx_find(l->kx, u->key, u->digest, &fx->orig_t)) != LDG_NEW)
		return r;
	key_usage(u->source, strlen(u->source), fx->target,
	    strlen(fx->target), tkey);
	if (fix_orig(l, tkey, orig, &t, &is_fix) < 0)
		return LDG_UNKNOWN;
	/* the effective version: the latest correction, else the original */
	st = LDGE_FIX_HEAD;
	ldge_bind_blob(l->e, st, 1, orig, LDG_KEYLEN);
	if ((found = ldge_step(l->e, st, "reading corrections"))) {
		n = ldge_col_int(l->e, st, 0);
		cancelled = strcmp(ldge_col_text(l->e, st, 1), "cancel") == 0;
		pday = ldge_col_int(l->e, st, 2);
		pseq = ldge_col_int(l->e, st, 3);
		memcpy(fx->replaced, ldge_col_blob(l->e, st, 4), LDG_KEYLEN);
		snprintf(fx->by, sizeof(fx->by), "%s",
		    ldge_col_text(l->e, st, 5));
		pt = ldge_col_int(l->e, st, 6);
	}
	ldge_reset(l->e, st);
	if (cancelled)
		return LDG_CANCELLED;
	if (!found) {
		if (is_fix)	/* a chain without its rows: pruned */
			return LDG_UNKNOWN;
		pday = ldg_day(t);
		pt = t;
		if (ub_seq_of(l, pday, t, orig, &pseq) < 0)
			return LDG_UNKNOWN;
		memcpy(fx->replaced, orig, LDG_KEYLEN);
	}

	/* the correction's own record, claimed and stored as any event's */
	kidx_claim(l->kx, u->key, u->digest, u->t, l->seq);
	ub_add(l, u);
	key_raw(&l->claims, u->key, LDG_KEYLEN);
	key_raw(&l->claims, u->digest, LDG_KEYLEN);
	fix_gone(l, pday, pseq, l->seq);
	if (fx->kind == LDG_CANCEL)	/* a cancel counts as nothing */
		fix_gone(l, ldg_day(u->t), l->seq, l->seq);
	st = LDGE_FIX_PUT;
	ldge_bind_blob(l->e, st, 1, orig, LDG_KEYLEN);
	ldge_bind_int(l->e, st, 2, n + 1);
	ldge_bind_text(l->e, st, 3, kind, -1);
	ldge_bind_blob(l->e, st, 4, u->key, LDG_KEYLEN);
	ldge_bind_text(l->e, st, 5, u->id, -1);
	ldge_bind_int(l->e, st, 6, ldg_day(u->t));
	ldge_bind_int(l->e, st, 7, l->seq);
	ldge_bind_int(l->e, st, 8, pday);
	ldge_bind_int(l->e, st, 9, pseq);
	ldge_bind_int(l->e, st, 10, u->t);
	ldge_bind_int(l->e, st, 11, u->ingested);
	ldge_bind_int(l->e, st, 12, audit_now());
	ldge_bind_int(l->e, st, 13, pt);
	ldge_step(l->e, st, "recording a correction");
	ldge_reset(l->e, st);

	/* the audit log: a row a correction, in its batch's transaction */
	audit_begin(l);
	jw_hex(akey(l, "key"), u->key, LDG_KEYLEN);
	jw_hex(akey(l, "orig"), orig, LDG_KEYLEN);
	jw_int(akey(l, "n"), n + 1);
	jw_hex(akey(l, "replaced"), fx->replaced, LDG_KEYLEN);
	jw_int(akey(l, "replaced_seq"), pseq);
	jw_int(akey(l, "seq"), l->seq);
	jw_time(akey(l, "ingested"), u->ingested);
	key_hex(u->key, LDG_KEYLEN, hex);
	audit_end(l, fx->kind == LDG_AMEND ? "usage.amend" : "usage.cancel",
	    hex);
	l->seq++;
	return LDG_NEW;
}

/* A scan: its records' bounds and callback, and the gone ones, in order. */
struct ub_scan {
	struct ledger	*l;
	int		 lean, all;
	int64_t		 from, to;
	int		 (*cb)(const struct ldg_usage *, void *);
	void		*arg;
	int64_t		(*gone)[3];	/* (day, seq, gone), ascending */
	size_t		 ngone, igone;
	struct ublk_r	 rd;
};

static int
scan_block(int64_t day, const void *p, size_t len, void *arg)
{
	struct ub_scan *sc = arg;
	struct ledger *l = sc->l;
	struct ldg_usage u;
	int rc, r = 0;

	if (ublk_open(&sc->rd, p, len, sc->lean) < 0)
		ub_corrupt(l, day);
	l->scan_p = p;		/* for ldg_usage_get from cb */
	l->scan_len = len;
	l->scan_day = day;
	l->rd_p = NULL;
	while ((rc = ublk_next(&sc->rd, &u)) == 1) {
		if (u.t < sc->from || u.t >= sc->to)
			continue;
		u.gone = 0;
		if (sc->igone < sc->ngone) {
			int64_t *g;

			while (sc->igone < sc->ngone &&
			    (g = sc->gone[sc->igone], g[0] < day ||
			    (g[0] == day && g[1] < u.seq)))
				sc->igone++;
			if (sc->igone < sc->ngone && g[0] == day &&
			    g[1] == u.seq) {
				if (!sc->all)
					continue;
				u.gone = g[2];
			}
		}
		if ((r = sc->cb(&u, sc->arg)) != 0)
			break;
	}
	l->scan_p = NULL;
	l->rd_p = NULL;
	if (rc < 0)
		ub_corrupt(l, day);
	return r;
}

static int
scan(struct ledger *l, int lean, int all, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	struct ub_scan sc;
	int st = LDGE_GONE_IN, r, own;
	size_t cap = 0;

	memset(&sc, 0, sizeof(sc));
	sc.l = l;
	sc.lean = lean;
	sc.all = all;
	sc.from = from;
	sc.to = to;
	sc.cb = cb;
	sc.arg = arg;
	ub_flush(l);
	/* the marks and the blocks of one snapshot */
	if ((own = !l->intx && !l->inread))
		l->e->ops->begin_read(l->e);
	ldge_bind_int(l->e, st, 1, ldg_day(from));
	ldge_bind_int(l->e, st, 2, ldg_day(to));
	while (ldge_step(l->e, st, "reading corrected records")) {
		if (sc.ngone == cap) {
			cap = cap ? cap * 2 : 64;
			sc.gone = xreallocarray(sc.gone, cap,
			    sizeof(*sc.gone));
		}
		sc.gone[sc.ngone][0] = ldge_col_int(l->e, st, 0);
		sc.gone[sc.ngone][1] = ldge_col_int(l->e, st, 1);
		sc.gone[sc.ngone++][2] = ldge_col_int(l->e, st, 2);
	}
	ldge_reset(l->e, st);
	r = l->e->ops->usage_scan(l->e, ldg_day(from), ldg_day(to), from, to,
	    scan_block, &sc);
	if (own)
		l->e->ops->commit(l->e, "ending a read transaction");
	free(sc.gone);
	ublk_r_free(&sc.rd);
	return r;
}

int
ldg_usage_scan(struct ledger *l, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return scan(l, 0, 0, from, to, cb, arg);
}

int
ldg_usage_scan_all(struct ledger *l,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return scan(l, 0, 1, INT64_MIN + 1, INT64_MAX, cb, arg);
}

int
ldg_usage_scan_lean(struct ledger *l, int64_t from, int64_t to,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	return scan(l, 1, 0, from, to, cb, arg);
}

/*
 * A read transaction, and the state of the usage records it sees: the
 * next sequence number (moved by every batch that stores records) and
 * the key generation and retention horizon (moved by every prune).  Two
 * connections that see the same state see the same records.
 */
void
ldg_read_begin(struct ledger *l, int64_t state[3])
{
	int st = LDGE_STATE;
	int i;

	l->e->ops->begin_read(l->e);
	l->inread = 1;
	l->gblk.len = 0;
	l->rd_p = NULL;
	if (!ldge_step(l->e, st, "reading the ledger's state"))
		die(EX_SOFTWARE, "ledger: no state row");
	for (i = 0; i < 3; i++)
		state[i] = ldge_col_null(l->e, st, i) ?
		    INT64_MIN : ldge_col_int(l->e, st, i);
	ldge_reset(l->e, st);
}

void
ldg_read_end(struct ledger *l)
{
	l->e->ops->commit(l->e, "ending a read transaction");
	l->inread = 0;
}

/*
 * The first and last UTC day with records, the days of from and to
 * included: 0, or -1 when there is none.
 */
int
ldg_usage_days(struct ledger *l, int64_t from, int64_t to, int64_t *first,
    int64_t *last)
{
	static const int sts[2] = { LDGE_DAY_FIRST, LDGE_DAY_LAST };
	int64_t *out[2] = { first, last };
	int st, i, found = 1;

	ub_flush(l);
	for (i = 0; i < 2 && found; i++) {
		st = sts[i];
		ldge_bind_int(l->e, st, 1, ldg_day(from));
		ldge_bind_int(l->e, st, 2, ldg_day(to));
		if ((found = ldge_step(l->e, st, "reading the days of the "
		    "records")))
			*out[i] = ldge_col_int(l->e, st, 0);
		ldge_reset(l->e, st);
	}
	return found ? 0 : -1;
}

/*
 * The record of seq in the block p (of day) to cb: its return, or -2 when
 * the block has no such record.  The reader goes on from where it was
 * when it reads the same bytes and seq is further on: a scan's rejects
 * ask for records of a block in order.
 */
static int
get_in(struct ledger *l, const void *p, size_t len, int64_t day, int64_t seq,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	struct ldg_usage u;
	int rc;

	if (l->rd_p != p || seq <= l->rd.seq) {
		if (ublk_open(&l->rd, p, len, 0) < 0)
			ub_corrupt(l, day);
		l->rd_p = p;
	}
	while ((rc = ublk_next(&l->rd, &u)) == 1)
		if (u.seq >= seq)
			break;
	if (rc < 0)
		ub_corrupt(l, day);
	if (rc == 1 && u.seq == seq)
		return cb(&u, arg);
	l->rd_p = NULL;
	return -2;
}

int
ldg_usage_get(struct ledger *l, int64_t t, int64_t seq,
    int (*cb)(const struct ldg_usage *, void *), void *arg)
{
	int64_t day = ldg_day(t);
	int st = LDGE_UB_AT, r;

	ub_flush(l);
	/* from a scan's callback: most likely in the block it is in */
	if (l->scan_p != NULL && l->scan_day == day &&
	    (r = get_in(l, l->scan_p, l->scan_len, day, seq, cb, arg)) != -2)
		return r;
	if (l->gblk.len == 0 || l->gday != day || seq < l->gseq0 ||
	    seq > l->glast) {
		l->gblk.len = 0;
		l->rd_p = NULL;
		ldge_bind_int(l->e, st, 1, day);
		ldge_bind_int(l->e, st, 2, seq);
		if (ldge_step(l->e, st, "reading a usage record")) {
			buf_add(&l->gblk, ldge_col_blob(l->e, st, 0),
			    (size_t)ldge_col_bytes(l->e, st, 0));
			l->glast = ldge_col_int(l->e, st, 1);
			l->gseq0 = ldge_col_int(l->e, st, 2);
			l->gday = day;
		}
		ldge_reset(l->e, st);
		if (l->gblk.len == 0 || seq > l->glast)
			return -1;
	}
	r = get_in(l, l->gblk.p, l->gblk.len, day, seq, cb, arg);
	return r == -2 ? -1 : r;
}

/*
 * The prune's changes to the blocks, gathered while reading them and made
 * after: a block whose records all go is deleted; one that keeps some
 * (on the horizon's day) is written again with those.
 */
struct prune {
	struct ledger	*l;
	int64_t		 before, n;
	unsigned char	(*keys)[LDG_KEYLEN];	/* for the cold runs */
	size_t		 nkeys, capkeys;
	int		 want_keys;
	struct prune_blk {
		int64_t		 day, seq, last;
		struct ublk_w	 w;		/* what it keeps */
		int64_t		*pruned;	/* their seqs, when it keeps */
		size_t		 npruned, cappruned;
	}		*blk;
	size_t		 nblk, capblk;
};

static void
prune_block(struct prune *pr, int64_t day, int64_t seq, int64_t last,
    int64_t tmax, const void *p, size_t len)
{
	struct ledger *l = pr->l;
	struct prune_blk *b;
	struct ldg_usage u;
	int rc, whole = tmax < pr->before;

	if (pr->nblk == pr->capblk) {
		pr->capblk = pr->capblk ? pr->capblk * 2 : 64;
		pr->blk = xreallocarray(pr->blk, pr->capblk, sizeof(*pr->blk));
	}
	b = &pr->blk[pr->nblk++];
	memset(b, 0, sizeof(*b));
	b->day = day;
	b->seq = seq;
	b->last = last;
	l->rd_p = NULL;
	if (ublk_open(&l->rd, p, len, whole) < 0)
		ub_corrupt(l, day);
	if (!whole)
		ublk_w_init(&b->w, day, l->rd.ingested);
	while ((rc = ublk_next(&l->rd, &u)) == 1) {
		if (u.t >= pr->before) {
			ublk_w_add(&b->w, &u, u.seq);
			continue;
		}
		pr->n++;
		if (!whole) {
			if (b->npruned == b->cappruned) {
				b->cappruned = b->cappruned ?
				    b->cappruned * 2 : 64;
				b->pruned = xreallocarray(b->pruned,
				    b->cappruned, sizeof(*b->pruned));
			}
			b->pruned[b->npruned++] = u.seq;
		}
		if (!pr->want_keys)
			continue;
		if (pr->nkeys == pr->capkeys) {
			pr->capkeys = pr->capkeys ? pr->capkeys * 2 : 1024;
			pr->keys = xreallocarray(pr->keys, pr->capkeys,
			    sizeof(*pr->keys));
		}
		memcpy(pr->keys[pr->nkeys++], u.key, LDG_KEYLEN);
	}
	if (rc < 0)
		ub_corrupt(l, day);
}

static void
gone_del(struct ledger *l, int64_t day, int64_t lo, int64_t hi)
{
	run_ints(l, LDGE_GONE_DEL, "pruning corrected records", 3, day, lo,
	    hi);
}

/*
 * Delete the records with t < before: their blocks, or the part of them;
 * their keys out of the cold runs (kidx_drop merges them all into one
 * without them), and their marks as corrected.  How many went.
 */
static int64_t
prune_blocks(struct ledger *l, int64_t before)
{
	struct prune pr = { 0 };
	struct prune_blk *b;
	int st = LDGE_UB_OLD;
	size_t i, j;

	pr.l = l;
	pr.before = before;
	pr.want_keys = kidx_nruns(l->kx) > 0;
	ldge_bind_int(l->e, st, 1, before);
	ldge_bind_int(l->e, st, 2, ldg_day(before));
	while (ldge_step(l->e, st, "reading usage records to prune"))
		prune_block(&pr, ldge_col_int(l->e, st, 0),
		    ldge_col_int(l->e, st, 1), ldge_col_int(l->e, st, 2),
		    ldge_col_int(l->e, st, 3), ldge_col_blob(l->e, st, 4),
		    (size_t)ldge_col_bytes(l->e, st, 4));
	ldge_reset(l->e, st);
	if (pr.nkeys > 0)
		kidx_drop(l->kx, pr.keys, pr.nkeys);
	for (i = 0; i < pr.nblk; i++) {
		b = &pr.blk[i];
		run_ints(l, LDGE_UB_DEL, "pruning usage records", 2, b->day,
		    b->seq, 0);
		if (b->pruned == NULL) {	/* the whole block */
			gone_del(l, b->day, b->seq, b->last);
			continue;
		}
		for (j = 0; j < b->npruned; j++)
			gone_del(l, b->day, b->pruned[j], b->pruned[j]);
		ub_put(l, &b->w);
		ublk_w_free(&b->w);
		free(b->pruned);
	}
	free(pr.blk);
	free(pr.keys);
	return pr.n;
}

int64_t
ldg_usage_prune(struct ledger *l, int64_t before)
{
	int64_t n, prev;

	ldg_begin(l);
	prev = ldg_pruned_before(l);
	/* the log into a run first, so all keys are in runs */
	keys_sync(l);
	kidx_merge(l->kx);
	n = prune_blocks(l, before);
	/* the corrections whose own records went with them */
	ldge_bind_int(l->e, LDGE_FIX_PRUNE, 1, before);
	ldge_step(l->e, LDGE_FIX_PRUNE, "pruning corrections");
	ldge_reset(l->e, LDGE_FIX_PRUNE);
	ldge_bind_int(l->e, LDGE_PRUNED_SET, 1, before);
	ldge_step(l->e, LDGE_PRUNED_SET, "recording the pruning horizon");
	ldge_reset(l->e, LDGE_PRUNED_SET);
	if (n > 0 || before > prev) {	/* else nothing changed */
		audit_begin(l);
		jw_time(akey(l, "before"), before);
		jw_int(akey(l, "records"), n);
		audit_end(l, "usage.prune", "usage");
	}
	/* every process reloads its hash of the log */
	kidx_reload(l->kx);
	ldg_commit(l);
	return n;
}

int64_t
ldg_pruned_before(struct ledger *l)
{
	int st = LDGE_PRUNED_GET;
	int64_t v = INT64_MIN;

	if (ldge_step(l->e, st, "reading the pruning horizon"))
		v = ldge_col_int(l->e, st, 0);
	ldge_reset(l->e, st);
	return v;
}

int
ldg_usage_changed(struct ledger *l, int64_t since, int64_t *t)
{
	int st = LDGE_USAGE_CHANGED;
	int r = -1;

	ub_flush(l);
	ldge_bind_int(l->e, st, 1, since);
	if (ldge_step(l->e, st, "reading the changed records") &&
	    !ldge_col_null(l->e, st, 0)) {
		*t = ldge_col_int(l->e, st, 0);
		r = 0;
	}
	ldge_reset(l->e, st);
	return r;
}

/* ---- rate(1): prepaid credits and spending alerts ---- */

static void
bind_text(struct ledger *l, int st, int i, const char *s)
{
	ldge_bind_text(l->e, st, i, s, -1);
}

static void
bind_dec(struct ledger *l, int st, int i, dec d, char *buf)
{
	dec_fmt(dec_normalize(d), buf, DEC_FMTMAX);
	ldge_bind_text(l->e, st, i, buf, -1);
}

/* An amount column: a decimal string we wrote. */
static dec
col_dec(struct ledger *l, int st, int i)
{
	const char *s = ldge_col_text(l->e, st, i);
	dec d;

	if (s == NULL || dec_parse(s, strlen(s), &d) != DEC_OK) {
		ldge_reset(l->e, st);
		die(EX_DATAERR, "ledger '%s': amount '%s' is not a decimal "
		    "number: the ledger was altered", l->e->path,
		    s ? s : "NULL");
	}
	return d;
}

/* Sum a one-column result of amounts. */
static dec
sum_rows(struct ledger *l, int st, const char *what)
{
	dec sum = DEC_ZERO;

	while (ldge_step(l->e, st, what))
		if (dec_add(sum, col_dec(l, st, 0), &sum) != DEC_OK) {
			ldge_reset(l->e, st);
			die(EX_DATAERR, "ledger '%s': %s overflows", l->e->path,
			    what);
		}
	ldge_reset(l->e, st);
	return sum;
}

/* An expiry column: NULL for never. */
static int64_t
col_expires(struct ledger *l, int st, int i)
{
	return ldge_col_null(l->e, st, i) ? INT64_MAX :
	    ldge_col_int(l->e, st, i);
}

int
ldg_credit_grant(struct ledger *l, const struct ldg_grant *g, int64_t now)
{
	int st = LDGE_GRANT_GET;
	char buf[DEC_FMTMAX];
	const char *cur;
	int same;

	bind_text(l, st, 1, g->customer);
	bind_text(l, st, 2, g->id);
	if (ldge_step(l->e, st, "reading a credit grant")) {
		cur = ldge_col_text(l->e, st, 0);
		same = cur != NULL && strcmp(cur, g->currency) == 0 &&
		    dec_cmp(col_dec(l, st, 1), g->amount) == 0 &&
		    ldge_col_int(l->e, st, 2) == g->granted &&
		    col_expires(l, st, 3) == g->expires &&
		    ldge_col_int(l->e, st, 4) == g->priority &&
		    (ldge_col_int(l->e, st, 5) != 0) == (g->paid != 0);
		ldge_reset(l->e, st);
		return same ? LDG_DUP : LDG_CONFLICT;
	}
	ldge_reset(l->e, st);
	st = LDGE_GRANT_PUT;
	bind_text(l, st, 1, g->customer);
	bind_text(l, st, 2, g->id);
	bind_text(l, st, 3, g->currency);
	bind_dec(l, st, 4, g->amount, buf);
	ldge_bind_int(l->e, st, 5, g->granted);
	ldge_bind_int(l->e, st, 6, now);
	if (g->expires == INT64_MAX)
		ldge_bind_null(l->e, st, 7);
	else
		ldge_bind_int(l->e, st, 7, g->expires);
	ldge_bind_int(l->e, st, 8, g->priority);
	ldge_bind_int(l->e, st, 9, g->paid != 0);
	ldge_step(l->e, st, "recording a credit grant");
	ldge_reset(l->e, st);
	audit_begin(l);
	jw_str(akey(l, "id"), g->id);
	jw_str(akey(l, "currency"), g->currency);
	jw_dec(akey(l, "amount"), g->amount);
	jw_time(akey(l, "granted"), g->granted);
	if (g->expires != INT64_MAX)
		jw_time(akey(l, "expires"), g->expires);
	jw_int(akey(l, "priority"), g->priority);
	jw_bool(akey(l, "paid"), g->paid != 0);
	jw_time(akey(l, "as_of"), now);
	audit_end(l, "credit.grant", g->customer);
	return LDG_NEW;
}

/* By time granted, then id: the order schema 10's draws were taken in. */
static int
grant_age_cmp(const void *a, const void *b)
{
	const struct ldg_grant_bal *x = *(const struct ldg_grant_bal *const *)a;
	const struct ldg_grant_bal *y = *(const struct ldg_grant_bal *const *)b;

	if (x->g.granted != y->g.granted)
		return x->g.granted < y->g.granted ? -1 : 1;
	return strcmp(x->g.id, y->g.id);
}

/*
 * Draws recorded without their grants (a ledger migrated from schema 10)
 * taken off the grants oldest first, each as far as it goes: what those
 * draws used, attributed as they were drawn, before grants had an order.
 */
static void
legacy_draws(struct ledger *l, const char *customer, const char *currency,
    int64_t period_start, struct ldg_grant_bal *v, size_t n)
{
	int st = LDGE_DRAW_LEGACY;
	struct ldg_grant_bal **age;
	dec left, room, take;
	size_t i;

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, period_start);
	left = sum_rows(l, st, "summing credit draws of schema 10");
	if (dec_sign(left) <= 0 || n == 0)
		return;
	age = xcalloc(n, sizeof(*age));
	for (i = 0; i < n; i++)
		age[i] = &v[i];
	qsort(age, n, sizeof(*age), grant_age_cmp);
	for (i = 0; i < n && dec_sign(left) > 0; i++) {
		if (dec_sub(age[i]->g.amount, age[i]->others, &room) != DEC_OK)
			break;
		if (dec_sign(room) <= 0)
			continue;
		take = dec_cmp(room, left) < 0 ? room : left;
		if (dec_add(age[i]->others, take, &age[i]->others) != DEC_OK ||
		    dec_sub(left, take, &left) != DEC_OK)
			break;
	}
	free(age);
}

size_t
ldg_credit_grants(struct ledger *l, const char *customer,
    const char *currency, int64_t period_start, struct ldg_grant_bal **vp)
{
	int st = LDGE_GRANT_LIST;
	struct ldg_grant_bal *v = NULL, *x;
	size_t n = 0, cap = 0, i;
	dec d;

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	while (ldge_step(l->e, st, "reading credit grants")) {
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		x = &v[n++];
		memset(x, 0, sizeof(*x));
		x->g.customer = xstrdup(customer);
		x->g.currency = xstrdup(currency);
		x->g.id = xstrdup(ldge_col_text(l->e, st, 0));
		x->g.amount = col_dec(l, st, 1);
		x->g.granted = ldge_col_int(l->e, st, 2);
		x->g.expires = col_expires(l, st, 3);
		x->g.priority = ldge_col_int(l->e, st, 4);
		x->g.paid = ldge_col_int(l->e, st, 5) != 0;
		x->others = x->mine = DEC_ZERO;
	}
	ldge_reset(l->e, st);
	st = LDGE_DRAWG_OF;
	for (i = 0; i < n; i++) {
		bind_text(l, st, 1, customer);
		bind_text(l, st, 2, currency);
		bind_text(l, st, 3, v[i].g.id);
		ldge_bind_int(l->e, st, 4, period_start);
		while (ldge_step(l->e, st, "reading a grant's draws")) {
			d = col_dec(l, st, 0);
			if (dec_add(ldge_col_int(l->e, st, 1) ? v[i].mine :
			    v[i].others, d, ldge_col_int(l->e, st, 1) ?
			    &v[i].mine : &v[i].others) != DEC_OK) {
				ldge_reset(l->e, st);
				die(EX_DATAERR, "ledger '%s': the draws of "
				    "credit grant '%s' of '%s' overflow",
				    l->e->path, v[i].g.id, customer);
			}
		}
		ldge_reset(l->e, st);
	}
	legacy_draws(l, customer, currency, period_start, v, n);
	*vp = v;
	return n;
}

void
ldg_credit_grants_free(struct ldg_grant_bal *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)v[i].g.customer);
		free((char *)v[i].g.currency);
		free((char *)v[i].g.id);
	}
	free(v);
}

int
ldg_credit_drawn(struct ledger *l, const char *customer, const char *currency,
    int64_t period_start, dec *amount, dec *balance)
{
	int st = LDGE_DRAW_GET;
	int found;

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, period_start);
	if ((found = ldge_step(l->e, st, "reading a credit draw"))) {
		*amount = col_dec(l, st, 0);
		*balance = col_dec(l, st, 1);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_credit_draw(struct ledger *l, const char *customer, const char *currency,
    int64_t period_start, int64_t period_end, dec amount, dec balance,
    const struct ldg_draw_part *part, size_t npart, int64_t now)
{
	int st = LDGE_DRAW_PUT;
	char buf[DEC_FMTMAX], bbuf[DEC_FMTMAX];
	struct jw *w;
	size_t i;

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, period_start);
	ldge_bind_int(l->e, st, 4, period_end);
	bind_dec(l, st, 5, amount, buf);
	bind_dec(l, st, 6, balance, bbuf);
	ldge_bind_int(l->e, st, 7, now);
	ldge_step(l->e, st, "recording a credit draw");
	ldge_reset(l->e, st);
	/* the grants it used: the period's rows replaced, in the order drawn */
	st = LDGE_DRAWG_DEL;
	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, currency);
	ldge_bind_int(l->e, st, 3, period_start);
	ldge_step(l->e, st, "replacing a credit draw's grants");
	ldge_reset(l->e, st);
	st = LDGE_DRAWG_PUT;
	for (i = 0; i < npart; i++) {
		bind_text(l, st, 1, customer);
		bind_text(l, st, 2, currency);
		ldge_bind_int(l->e, st, 3, period_start);
		ldge_bind_int(l->e, st, 4, (int64_t)i);
		bind_text(l, st, 5, part[i].grant);
		bind_dec(l, st, 6, part[i].amount, buf);
		ldge_step(l->e, st, "recording a credit draw's grants");
		ldge_reset(l->e, st);
	}
	audit_begin(l);
	jw_str(akey(l, "currency"), currency);
	jw_time(akey(l, "period_start"), period_start);
	jw_time(akey(l, "period_end"), period_end);
	jw_dec(akey(l, "amount"), amount);
	jw_dec(akey(l, "balance"), balance);
	w = akey(l, "grants");
	jw_open(w, '[');
	for (i = 0; i < npart; i++) {
		jw_open(w, '{');
		JW_KEY(w, "id");
		jw_str(w, part[i].grant);
		JW_KEY(w, "amount");
		jw_dec(w, dec_normalize(part[i].amount));
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_time(akey(l, "as_of"), now);
	audit_end(l, "credit.draw", customer);
}

int
ldg_alert_claim(struct ledger *l, const char *customer, const char *threshold,
    int64_t period_start, int64_t period_end, dec amount, int64_t now)
{
	int st = LDGE_ALERT_PUT;
	char buf[DEC_FMTMAX];

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, threshold);
	ldge_bind_int(l->e, st, 3, period_start);
	ldge_bind_int(l->e, st, 4, period_end);
	bind_dec(l, st, 5, amount, buf);
	ldge_bind_int(l->e, st, 6, now);
	ldge_step(l->e, st, "recording a spending alert");
	ldge_reset(l->e, st);
	if (l->e->ops->changes(l->e) == 0)
		return LDG_DUP;
	audit_begin(l);
	jw_str(akey(l, "threshold"), threshold);
	jw_time(akey(l, "period_start"), period_start);
	jw_time(akey(l, "period_end"), period_end);
	jw_dec(akey(l, "amount"), amount);
	jw_time(akey(l, "as_of"), now);
	audit_end(l, "alert.fire", customer);
	return LDG_NEW;
}

int
ldg_alert_claimed(struct ledger *l, const char *customer,
    const char *threshold, int64_t period_start)
{
	int st = LDGE_ALERT_GET, found;

	bind_text(l, st, 1, customer);
	bind_text(l, st, 2, threshold);
	ldge_bind_int(l->e, st, 3, period_start);
	found = ldge_step(l->e, st, "reading a spending alert");
	ldge_reset(l->e, st);
	return found;
}

/* ---- invoice-gen(1): numbers, invoice states, documents ---- */

int64_t
ldg_number_next(struct ledger *l, const char *entity, const char *scope)
{
	int st = LDGE_SEQ_NEXT;
	int64_t n = 1;

	bind_text(l, st, 1, entity);
	bind_text(l, st, 2, scope);
	if (ldge_step(l->e, st, "reading a document sequence"))
		n = ldge_col_int(l->e, st, 0);
	ldge_reset(l->e, st);
	st = LDGE_SEQ_BUMP;
	bind_text(l, st, 1, entity);
	bind_text(l, st, 2, scope);
	ldge_step(l->e, st, "taking a document number");
	ldge_reset(l->e, st);
	audit_begin(l);
	jw_str(akey(l, "scope"), scope);
	jw_int(akey(l, "n"), n);
	audit_end(l, "number.take", entity);
	return n;
}

static char *
col_strdup(struct ledger *l, int st, int i)
{
	const char *s = ldge_col_text(l->e, st, i);

	return xstrdup(s ? s : "");
}

int
ldg_inv_get(struct ledger *l, const unsigned char *key, struct ldg_inv *out)
{
	int st = LDGE_INV_GET;
	int found;

	memset(out, 0, sizeof(*out));
	ldge_bind_blob(l->e, st, 1, key, LDG_KEYLEN);
	if ((found = ldge_step(l->e, st, "reading an invoice"))) {
		out->number = col_strdup(l, st, 0);
		out->state = col_strdup(l, st, 1);
		out->version = ldge_col_int(l->e, st, 2);
		out->cum = col_strdup(l, st, 3);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_inv_put(struct ledger *l, const unsigned char *key,
    const struct ldg_inv *in)
{
	int st = LDGE_INV_PUT;

	ldge_bind_blob(l->e, st, 1, key, LDG_KEYLEN);
	bind_text(l, st, 2, in->entity);
	bind_text(l, st, 3, in->customer);
	ldge_bind_int(l->e, st, 4, in->period_start);
	ldge_bind_int(l->e, st, 5, in->period_end);
	bind_text(l, st, 6, in->currency);
	bind_text(l, st, 7, in->number);
	bind_text(l, st, 8, in->state);
	ldge_bind_int(l->e, st, 9, in->version);
	bind_text(l, st, 10, in->cum);
	ldge_step(l->e, st, "recording an invoice");
	ldge_reset(l->e, st);
	audit_begin(l);
	jw_hex(akey(l, "key"), key, LDG_KEYLEN);
	jw_str(akey(l, "entity"), in->entity);
	jw_str(akey(l, "customer"), in->customer);
	jw_str(akey(l, "currency"), in->currency);
	jw_time(akey(l, "period_start"), in->period_start);
	jw_time(akey(l, "period_end"), in->period_end);
	jw_int(akey(l, "version"), in->version);
	audit_digest(l, "cum", in->cum, strlen(in->cum));
	audit_end(l, strcmp(in->state, "void") == 0 ? "invoice.void" :
	    "invoice.issued", in->number);
}

void
ldg_inv_free(struct ldg_inv *v)
{
	free(v->number);
	free(v->state);
	free(v->cum);
	memset(v, 0, sizeof(*v));
}

int
ldg_doc_put(struct ledger *l, const struct ldg_doc *d)
{
	int st = LDGE_DOC_PUT;

	bind_text(l, st, 1, d->number);
	bind_text(l, st, 2, d->entity);
	ldge_bind_blob(l->e, st, 3, d->key, LDG_KEYLEN);
	ldge_bind_int(l->e, st, 4, d->version);
	bind_text(l, st, 5, d->kind);
	ldge_bind_int(l->e, st, 6, d->issued);
	bind_text(l, st, 7, d->total);
	ldge_bind_text(l->e, st, 8, d->record, (int)d->reclen);
	if (l->e->ops->insert(l->e, st, "recording a document") < 0)
		return -1;	/* the number is taken: the ledger was altered */
	audit_begin(l);
	jw_str(akey(l, "kind"), d->kind);
	jw_str(akey(l, "entity"), d->entity);
	jw_hex(akey(l, "key"), d->key, LDG_KEYLEN);
	jw_int(akey(l, "version"), d->version);
	jw_str(akey(l, "total"), d->total);
	jw_time(akey(l, "issued"), d->issued);
	audit_digest(l, "record", d->record, d->reclen);
	audit_end(l, "doc.issue", d->number);
	return 0;
}

static int
docs(struct ledger *l, int st, int (*cb)(const struct ldg_doc *, void *),
    void *arg)
{
	struct ldg_doc d;
	int n = 0;

	while (ldge_step(l->e, st, "reading documents")) {
		memset(&d, 0, sizeof(d));
		d.number = ldge_col_text(l->e, st, 0);
		d.kind = ldge_col_text(l->e, st, 1);
		d.version = ldge_col_int(l->e, st, 2);
		d.record = ldge_col_text(l->e, st, 3);
		d.reclen = (size_t)ldge_col_bytes(l->e, st, 3);
		if (ldge_col_bytes(l->e, st, 4) == LDG_KEYLEN)
			d.key = ldge_col_blob(l->e, st, 4);
		d.issued = ldge_col_int(l->e, st, 5);
		n++;
		if (cb(&d, arg) != 0)
			break;
	}
	ldge_reset(l->e, st);
	return n;
}

int
ldg_docs_of(struct ledger *l, const unsigned char *key,
    int (*cb)(const struct ldg_doc *, void *), void *arg)
{
	int st = LDGE_DOC_KEY;

	ldge_bind_blob(l->e, st, 1, key, LDG_KEYLEN);
	return docs(l, st, cb, arg);
}

int
ldg_doc_by_number(struct ledger *l, const char *number,
    int (*cb)(const struct ldg_doc *, void *), void *arg)
{
	int st = LDGE_DOC_NUM;

	bind_text(l, st, 1, number);
	return docs(l, st, cb, arg);
}

/* ---- erp-post(1): postings ---- */

int
ldg_posting_get(struct ledger *l, const char *id, struct ldg_posting *out)
{
	int st = LDGE_POST_GET;
	int found;

	memset(out, 0, sizeof(*out));
	bind_text(l, st, 1, id);
	if ((found = ldge_step(l->e, st, "reading a posting"))) {
		out->state = col_strdup(l, st, 0);
		out->erp_ref = ldge_col_null(l->e, st, 1) ?
		    NULL : col_strdup(l, st, 1);
		out->reason = ldge_col_null(l->e, st, 2) ?
		    NULL : col_strdup(l, st, 2);
		out->record = col_strdup(l, st, 3);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_posting_free(struct ldg_posting *p)
{
	free(p->state);
	free(p->erp_ref);
	free(p->reason);
	free(p->record);
	memset(p, 0, sizeof(*p));
}

void
ldg_posting_put(struct ledger *l, const char *id, const char *entity,
    const char *number, const char *record, size_t len, int64_t now)
{
	int st = LDGE_POST_PUT;

	bind_text(l, st, 1, id);
	bind_text(l, st, 2, entity);
	bind_text(l, st, 3, number);
	ldge_bind_int(l->e, st, 4, now);
	ldge_bind_text(l->e, st, 5, record, (int)len);
	ldge_step(l->e, st, "recording a posting");
	ldge_reset(l->e, st);
	audit_begin(l);
	jw_str(akey(l, "state"), "pending");
	jw_str(akey(l, "entity"), entity);
	jw_str(akey(l, "number"), number);
	jw_time(akey(l, "as_of"), now);
	audit_digest(l, "record", record, len);
	audit_end(l, "posting.put", id);
}

void
ldg_posting_state(struct ledger *l, const char *id, const char *state,
    const char *erp_ref, const char *reason, int64_t now)
{
	int st = LDGE_POST_STATE;

	bind_text(l, st, 1, id);
	bind_text(l, st, 2, state);
	if (erp_ref != NULL)
		bind_text(l, st, 3, erp_ref);
	else
		ldge_bind_null(l->e, st, 3);
	if (reason != NULL)
		bind_text(l, st, 4, reason);
	else
		ldge_bind_null(l->e, st, 4);
	ldge_bind_int(l->e, st, 5, now);
	ldge_step(l->e, st, "recording a posting's state");
	ldge_reset(l->e, st);
	audit_begin(l);
	jw_str(akey(l, "state"), state);
	jw_str(akey(l, "erp_ref"), erp_ref);
	jw_str(akey(l, "reason"), reason);
	jw_time(akey(l, "as_of"), now);
	audit_end(l, "posting.state", id);
}

/* ---- erp-send(1): claims ---- */

int
ldg_claim_take(struct ledger *l, const char *id, const char *owner,
    int64_t now, int64_t expires, int (*dead)(const char *, void *),
    void *arg, struct ldg_claim *held)
{
	int st = LDGE_CLAIM_GET;
	char *was = NULL;
	int64_t until = 0;

	bind_text(l, st, 1, id);
	if (ldge_step(l->e, st, "reading a claim")) {
		was = col_strdup(l, st, 0);
		until = ldge_col_int(l->e, st, 1);
	}
	ldge_reset(l->e, st);
	/* held by another, alive and in time: not ours */
	if (was != NULL && strcmp(was, owner) != 0 && until > now &&
	    (dead == NULL || !dead(was, arg))) {
		held->owner = was;
		held->expires = until;
		return LDG_CONFLICT;
	}
	st = LDGE_CLAIM_PUT;
	bind_text(l, st, 1, id);
	bind_text(l, st, 2, owner);
	ldge_bind_int(l->e, st, 3, now);
	ldge_bind_int(l->e, st, 4, expires);
	ldge_step(l->e, st, "recording a claim");
	ldge_reset(l->e, st);
	audit_begin(l);
	jw_str(akey(l, "owner"), owner);
	jw_time(akey(l, "expires"), expires);
	/* a claim taken over: whose it was, so the log shows it */
	if (was != NULL && strcmp(was, owner) != 0)
		jw_str(akey(l, "taken_from"), was);
	jw_time(akey(l, "as_of"), now);
	audit_end(l, "send.claim", id);
	free(was);
	return LDG_NEW;
}

void
ldg_claim_drop(struct ledger *l, const char *id, const char *owner,
    int64_t now)
{
	int st = LDGE_CLAIM_DEL;

	bind_text(l, st, 1, id);
	bind_text(l, st, 2, owner);
	ldge_step(l->e, st, "dropping a claim");
	ldge_reset(l->e, st);
	if (l->e->ops->changes(l->e) == 0)
		return;
	audit_begin(l);
	jw_str(akey(l, "owner"), owner);
	jw_time(akey(l, "as_of"), now);
	audit_end(l, "send.drop", id);
}

void
ldg_claim_free(struct ldg_claim *c)
{
	free(c->owner);
	c->owner = NULL;
}

/* ---- erp-post(1): payments and receivables ---- */

int
ldg_payment_get(struct ledger *l, const char *reference,
    struct ldg_payment *out)
{
	int st = LDGE_PAY_GET;
	int found;

	memset(out, 0, sizeof(*out));
	bind_text(l, st, 1, reference);
	if ((found = ldge_step(l->e, st, "reading a payment"))) {
		out->number = col_strdup(l, st, 0);
		out->amount = col_dec(l, st, 1);
		out->currency = col_strdup(l, st, 2);
		out->day = ldge_col_int(l->e, st, 3);
	}
	ldge_reset(l->e, st);
	return found;
}

void
ldg_payment_free(struct ldg_payment *p)
{
	free(p->number);
	free(p->currency);
	memset(p, 0, sizeof(*p));
}

void
ldg_payment_put(struct ledger *l, const char *reference,
    const struct ldg_payment *p, dec applied, dec excess, int64_t now)
{
	int st = LDGE_PAY_PUT;
	char a[DEC_FMTMAX], b[DEC_FMTMAX], c[DEC_FMTMAX];

	bind_text(l, st, 1, reference);
	bind_text(l, st, 2, p->number);
	bind_dec(l, st, 3, p->amount, a);
	bind_text(l, st, 4, p->currency);
	ldge_bind_int(l->e, st, 5, p->day);
	bind_dec(l, st, 6, applied, b);
	bind_dec(l, st, 7, excess, c);
	ldge_bind_int(l->e, st, 8, now);
	ldge_step(l->e, st, "recording a payment");
	ldge_reset(l->e, st);
	audit_begin(l);
	jw_str(akey(l, "number"), p->number);
	jw_dec(akey(l, "amount"), p->amount);
	jw_str(akey(l, "currency"), p->currency);
	jw_time(akey(l, "day"), p->day * 86400 * 1000000000LL);
	jw_dec(akey(l, "applied"), applied);
	jw_dec(akey(l, "excess"), excess);
	jw_time(akey(l, "as_of"), now);
	audit_end(l, "payment.record", reference);
}

dec
ldg_paid(struct ledger *l, const char *number)
{
	int st = LDGE_PAY_SUM;

	bind_text(l, st, 1, number);
	return sum_rows(l, st, "summing payments");
}

void
ldg_receivable_put(struct ledger *l, const struct ldg_receivable *r,
    int64_t now)
{
	int st = LDGE_RECV_PUT;
	char a[DEC_FMTMAX], b[DEC_FMTMAX];

	bind_text(l, st, 1, r->number);
	bind_text(l, st, 2, r->entity);
	bind_text(l, st, 3, r->customer);
	bind_text(l, st, 4, r->currency);
	ldge_bind_int(l->e, st, 5, r->due_day);
	bind_dec(l, st, 6, r->amount, a);
	bind_dec(l, st, 7, r->paid, b);
	bind_text(l, st, 8, r->status);
	ldge_bind_int(l->e, st, 9, now);
	ldge_step(l->e, st, "recording a receivable");
	ldge_reset(l->e, st);
}

int
ldg_docs_all(struct ledger *l, int (*cb)(const struct ldg_doc *, void *),
    void *arg)
{
	return docs(l, LDGE_DOC_ALL, cb, arg);
}

int
ldg_docs_unposted(struct ledger *l, int (*cb)(const char *number,
    const char *entity, void *), void *arg)
{
	int st = LDGE_DOC_UNPOSTED;
	int n = 0;

	while (ldge_step(l->e, st, "finding documents not posted")) {
		n++;
		if (cb(ldge_col_text(l->e, st, 0), ldge_col_text(l->e, st, 1),
		    arg) != 0)
			break;
	}
	ldge_reset(l->e, st);
	return n;
}

int
ldg_postings_all(struct ledger *l, int (*cb)(const char *id,
    const char *number, const char *state, const char *erp_ref,
    int64_t emitted, int64_t updated, void *), void *arg)
{
	int st = LDGE_POST_ALL;
	int n = 0;

	while (ldge_step(l->e, st, "reading postings")) {
		n++;
		if (cb(ldge_col_text(l->e, st, 0),
		    ldge_col_text(l->e, st, 1),
		    ldge_col_text(l->e, st, 2),
		    ldge_col_text(l->e, st, 3),
		    ldge_col_int(l->e, st, 4), ldge_col_int(l->e, st, 5),
		    arg) != 0)
			break;
	}
	ldge_reset(l->e, st);
	return n;
}

/* erp-post(1): the credit grants to book; see ledger.h */
int
ldg_grants_all(struct ledger *l, int (*cb)(const struct ldg_grant_doc *,
    void *), void *arg)
{
	int st = LDGE_GRANT_ALL;
	struct ldg_grant_doc g;
	int n = 0;

	while (ldge_step(l->e, st, "reading credit grants")) {
		memset(&g, 0, sizeof(g));
		g.g.customer = ldge_col_text(l->e, st, 0);
		g.g.id = ldge_col_text(l->e, st, 1);
		g.g.currency = ldge_col_text(l->e, st, 2);
		g.g.amount = col_dec(l, st, 3);
		g.g.granted = ldge_col_int(l->e, st, 4);
		g.g.expires = col_expires(l, st, 7);
		g.g.priority = ldge_col_int(l->e, st, 8);
		g.g.paid = ldge_col_int(l->e, st, 9) != 0;
		if (!ldge_col_null(l->e, st, 5) && !ldge_col_null(l->e, st, 6)) {
			g.entity = ldge_col_text(l->e, st, 5);
			g.record = ldge_col_text(l->e, st, 6);
			g.reclen = (size_t)ldge_col_bytes(l->e, st, 6);
		}
		n++;
		if (cb(&g, arg) != 0)
			break;
	}
	ldge_reset(l->e, st);
	return n;
}

/* ---- reconcile(1): read only ---- */

int
ldg_docs_ending(struct ledger *l, int64_t from, int64_t to,
    int (*cb)(const struct ldg_doc *, void *), void *arg)
{
	int st = LDGE_DOC_ENDING;

	ldge_bind_int(l->e, st, 1, from);
	ldge_bind_int(l->e, st, 2, to);
	return docs(l, st, cb, arg);
}
