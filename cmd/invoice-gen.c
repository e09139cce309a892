/*
 * invoice-gen: invoicing.
 *
 * Reads rated lines (rate's output) and groups them into invoices, one
 * per legal entity x customer x billing period x currency, with tax by
 * the tax table and numbers from a gap-free sequence per entity; writes
 * the documents (NDJSON, text, HTML or UBL), keeps the issued ones and
 * each invoice key's state in the ledger.  See invoice-gen(1).
 *
 * The state, its tax and the credit and debit notes' deltas are
 * invoice.h's; the document record doc.h's; its renderings invfmt.h's.
 * All the input is read first; then the invoices go in batches, each
 * made, numbered and stored in one ledger transaction and written only
 * after it commits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "currency.h"
#include "customers.h"
#include "doc.h"
#include "entities.h"
#include "fxtab.h"
#include "invfmt.h"
#include "invoice.h"
#include "jrec.h"
#include "jval.h"
#include "jw.h"
#include "keys.h"
#include "ledger.h"
#include "lines.h"
#include "opt.h"
#include "out.h"
#include "rated.h"
#include "reject.h"
#include "spill.h"
#include "stagein.h"
#include "stats.h"
#include "taxtab.h"
#include "tm.h"
#include "tz.h"
#include "util.h"


/* One rated line read, kept until its invoice is made. */
struct iline {
	struct rated	 r;		/* first (see struct invoice); interned */
	char		*file;
	uint64_t	 rawoff;	/* the raw line, in the spill file */
	size_t		 rawlen;
	uint64_t	 line;
	unsigned char	 digest[KEY_LEN];
	const struct taxrule *rule;
};

struct invoice {
	struct inv_head	 h;
	struct rated	**l;		/* each the r of a struct iline */
	size_t		 n, cap;
	/* results */
	struct inv_err	 fail;
	uint64_t	 dups;		/* lines billed as they are already */
	struct buf	 out;		/* its documents, after commit */
	struct buf	 files;		/* --output-dir: name NUL len content */
	int		 ndocs;
	uint64_t	 skips;		/* --interim: lines no interim bills */
};

struct igen {
	const char	*entities_path, *tax_path, *customers_path;
	const char	*ledger_path, *rejects_path, *stats_path, *fx_path;
	const char	*void_number;
	int64_t		 as_of;
	int		 issue, replay, strict, busy_ms, max_depth;
	int		 interim;	/* --interim: progressive billing */
	struct hmap	 reached;	/* customer NUL period start -> alerts */
	enum { F_NDJSON, F_TEXT, F_HTML, F_UBL } fmt;
	const char	*outdir;	/* --output-dir: a file a document */
	const char	*hint;		/* after a failed write: the way back */
	int		 html_open;	/* the page on stdout is begun */
	size_t		 max_line;

	struct entities	 ents;
	struct taxtab	 tax;
	struct custdb	 cust;
	struct fxtab	 fx;
	struct ledger	*ldg;
	struct rej	 rej;
	struct stagein	 in;
	struct spill	 spill;		/* raw lines, for rejects */

	struct hmap	 keys;		/* rated key -> struct iline * */
	struct hmap	 strs;		/* interned strings */
	struct hmap	 invs;		/* invoice key -> struct invoice * */
	struct invoice	**iv;
	size_t		 ni;

	uint64_t	 invoiced, dups, skipped;	/* read, rejected: in's */
	uint64_t	 ndocs[3], nfailed;
};

static void
usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp,
"usage: %s --entities FILE --tax FILE --customers FILE [--ledger PATH]\n"
"                   [--as-of TIME] [--draft | --issue] [--interim]\n"
"                   [--format ndjson|text|html|ubl] [--output-dir DIR]\n"
"                   [--fx FILE] [--rejects FILE] [--stats FILE] [--strict]\n"
"                   [--busy-timeout MS] [--max-line BYTES] [--max-depth N]\n"
"                   [FILE...]\n"
"       %s --replay --ledger PATH --entities FILE --tax FILE --customers FILE\n"
"                   [--format F] [--output-dir DIR] [FILE...]\n"
"       %s --void NUMBER --ledger PATH --entities FILE --tax FILE\n"
"                   --customers FILE [--as-of TIME] [--format F] [--output-dir DIR]\n"
"       %s --help | --version\n", progname, progname, progname, progname);
	if (code == 0)
		fprintf(fp,
"\nReads rated lines (rate's output) and writes invoices, one per entity,\n"
"customer, billing period and currency, with tax from the tax table.\n"
"--draft (the default) numbers and records nothing; --issue takes gap-free\n"
"numbers from the ledger.  A period already invoiced whose lines changed\n"
"gets a credit or debit note for the difference.  --interim (progressive\n"
"billing) reads rate --preview and issues an interim invoice for each bill\n"
"that reached a threshold with \"invoice\": true.  See invoice-gen(1).\n");
	exit(code);
}

/* ---- reading rated lines ---- */

static void	reached_add(struct igen *, json_t *);

static struct invoice *
invoice_get(struct igen *g, const struct entity *en,
    const struct customer *cu, const struct rated *r)
{
	unsigned char key[KEY_LEN];
	struct invoice *iv;
	void **ref;

	inv_key(en, cu, r, key);
	ref = hmap_ref(&g->invs, (const char *)key, KEY_LEN);
	if ((iv = *ref) != NULL)
		return iv;
	iv = xcalloc(1, sizeof(*iv));
	memcpy(iv->h.key, key, KEY_LEN);
	iv->h.en = en;
	iv->h.cu = cu;
	memcpy(iv->h.currency, r->currency, 4);
	iv->h.minor = cur_minor(r->currency);
	iv->h.ps = r->ps;
	iv->h.pe = r->pe;
	*ref = iv;
	g->iv = xreallocarray(g->iv, g->ni + 1, sizeof(*g->iv));
	g->iv[g->ni++] = iv;
	return iv;
}

static void
read_one(struct stagein *s, void *arg)
{
	struct igen *g = arg;
	struct jrec *jr = &s->jr;
	const struct customer *cu;
	const struct entity *en;
	struct iline *il, *old;
	struct invoice *iv;
	struct rated r;
	const char *eid, *kind;
	unsigned char dg[KEY_LEN];
	void **ref;
	json_t *v;

	v = json_object_get(jr->root, "kind");
	kind = json_is_string(v) ? json_string_value(v) : NULL;
	if (kind != NULL && strcmp(kind, "alert") == 0) {
		g->skipped++;	/* rate's alerts share its output */
		if (g->interim)
			reached_add(g, jr->root);
		return;
	}
	if (rated_read(jr, &r) < 0) {
		si_reject(s, RC_DATA, jr->code, jr->field, "%s", jr->msg);
		return;
	}
	if (r.preview && !g->interim) {
		si_reject(s, RC_POLICY, "preview_line", "preview", "a preview "
		    "line (rate --preview) is not billed: rate the period "
		    "once it is over");
		return;
	}
	if (!r.preview && g->interim) {
		si_reject(s, RC_POLICY, "not_preview", "preview", "--interim "
		    "bills the period to date of a preview (rate --preview); "
		    "a closed period's line is invoiced without --interim");
		return;
	}
	if ((cu = cust_by_id(&g->cust, r.customer)) == NULL) {
		si_reject(s, RC_DATA, "unknown_customer", "customer", "customer "
		    "'%s' is not in the customers file", r.customer);
		return;
	}
	eid = cu->entity;
	if ((en = entity_get(&g->ents, eid)) == NULL) {
		si_reject(s, RC_POLICY, "unknown_entity", "customer", "customer "
		    "'%s' is billed by entity '%s', which is not in the "
		    "entities file", r.customer, eid);
		return;
	}
	/* amounts are in minor units: 5 USD is 5.00, 5.001 is refused */
	{
		dec m;

		if (dec_round(r.amount, cur_minor(r.currency), DEC_DOWN,
		    &m) != DEC_OK || dec_cmp(m, r.amount) != 0) {
			si_reject(s, RC_DATA, "invalid_amount", "amount", "amount "
			    "is finer than the minor unit of %s (%d decimals)",
			    r.currency, cur_minor(r.currency));
			return;
		}
		r.amount = m;
	}
	/*
	 * An interim invoice bills the spending to date, what thresholds
	 * look at: flat fees and usage.  A preview's true-up, discounts and
	 * credits are the final invoice's, which sees the whole period.
	 */
	if (g->interim && strcmp(r.line_type, "flat") != 0 &&
	    strcmp(r.line_type, "usage") != 0) {
		g->skipped++;
		return;
	}
	inv_line_digest(&r, dg);
	ref = hmap_ref(&g->keys, (const char *)r.key, KEY_LEN);
	if ((old = *ref) != NULL) {
		if (memcmp(old->digest, dg, KEY_LEN) == 0)
			g->dups++;
		else
			si_reject(s, RC_CONFLICT, "idempotency_conflict", "key",
			    "rated line key already read on %s:%" PRIu64
			    " with another amount or period", old->file,
			    old->line);
		return;
	}
	il = xcalloc(1, sizeof(*il));
	il->r = r;
	memcpy(il->digest, dg, KEY_LEN);
	/* the same few strings on every customer's lines: kept once */
	il->r.customer = hmap_intern(&g->strs, r.customer);
	il->r.charge = hmap_intern(&g->strs, r.charge);
	il->r.name = hmap_intern(&g->strs, r.name);
	il->r.line_type = hmap_intern(&g->strs, r.line_type);
	il->r.tax_code = hmap_intern(&g->strs, r.tax_code);
	il->r.contract = il->r.plan = il->r.model = il->r.meter = NULL;
	il->r.discount = NULL;
	il->r.group = NULL;
	/* the unit and price the document states, before the tree goes */
	il->r.price = inv_line_price(&r);
	il->r.unit_code = NULL;
	il->r.breakdown = NULL;
	il->file = (char *)s->s.file;
	il->line = s->s.line;
	il->rawoff = spill_put(&g->spill, s->s.raw, s->s.rawlen);
	il->rawlen = s->s.rawlen;
	*ref = il;
	iv = invoice_get(g, en, cu, &r);
	if (iv->n == iv->cap) {
		iv->cap = iv->cap ? 2 * iv->cap : 16;
		iv->l = xreallocarray(iv->l, iv->cap, sizeof(*iv->l));
	}
	iv->l[iv->n++] = &il->r;
	g->invoiced++;
}

/* Totals, lineage, dates and the FX rate of a document. */
static int
doc_finish(struct igen *g, struct invoice *iv, struct doc *dc)
{
	int e, minor;

	if ((e = inv_totals(dc->d, iv->h.minor, &dc->tot)) < 0)
		die(EX_SOFTWARE, "invoice of '%s': lines and tax bases do "
		    "not add up", iv->h.cu->id);
	dc->issue_day = tz_day(iv->h.en->tz, g->as_of);
	dc->due_day = dc->issue_day + inv_terms(&iv->h);
	if (e == 0 && strcmp(iv->h.currency, iv->h.en->currency) != 0) {
		dc->fx = fxtab_find(&g->fx, iv->h.currency, iv->h.en->currency,
		    dc->issue_day);
		if (dc->fx == NULL) {
			iv->fail.code = "no_fx_rate";
			iv->fail.cls = RC_POLICY;
			snprintf(iv->fail.msg, sizeof(iv->fail.msg), "entity "
			    "'%s' keeps its books in %s and no FX rate %s to "
			    "%s on or before the issue date is in the FX "
			    "table%s", iv->h.en->id, iv->h.en->currency,
			    iv->h.currency, iv->h.en->currency,
			    g->fx_path ? "" : " (give --fx FILE)");
			return -1;
		}
		minor = cur_minor(iv->h.en->currency);
		if ((e = fxtab_amount(dc->fx, dc->tot.net, minor,
		    &dc->fx_net)) == 0 &&
		    (e = fxtab_amount(dc->fx, dc->tot.tax, minor,
		    &dc->fx_tax)) == 0)
			e = dec_add(dc->fx_net, dc->fx_tax, &dc->fx_total);
	}
	if (e != 0) {
		iv->fail.code = "amount_overflow";
		iv->fail.cls = RC_DATA;
		snprintf(iv->fail.msg, sizeof(iv->fail.msg), "the invoice's "
		    "amounts do not fit: %s", dec_strerror(e));
		return -1;
	}
	return 0;
}

/* ---- the run ---- */

static int
ref_doc(const struct ldg_doc *d, void *arg)
{
	json_t **out = arg;

	*out = json_loadb(d->record, d->reclen, 0, NULL);
	return 1;
}

/*
 * What a note's renderings say beside its record (invfmt.h): the
 * issue date of the invoice it corrects and why it was issued, from
 * the ledger.  A void is the last document of an invoice whose state
 * is void; other notes follow from a change of the period's lines.
 */
static void
note_context(struct igen *g, json_t *doc)
{
	const char *ref = jval_str(doc, "references"), *kind;
	unsigned char key[KEY_LEN];
	struct ldg_inv st;
	json_t *inv = NULL;
	int is_void = 0;

	/* progressive billing's documents say what they are */
	if (json_is_true(json_object_get(doc, "interim")) ||
	    json_array_size(json_object_get(doc, "interim_invoices")) > 0) {
		json_object_set_new(doc, "reason", json_string(
		    json_is_true(json_object_get(doc, "interim")) ?
		    "Interim invoice (progressive billing): the period's "
		    "charges to date, on reaching a spending threshold; "
		    "earlier interim invoices of the period are deducted" :
		    "Final invoice of the period (progressive billing): "
		    "the whole period, less what its interim invoices "
		    "billed"));
		return;
	}
	if (ref == NULL || g->ldg == NULL)
		return;
	if (ldg_doc_by_number(g->ldg, ref, ref_doc, &inv) > 0 && inv != NULL &&
	    jval_str(inv, "issue_date") != NULL)
		json_object_set_new(doc, "references_issue_date",
		    json_string(jval_str(inv, "issue_date")));
	if (inv != NULL)
		json_decref(inv);
	if (key_unhex(jval_str_or(doc, "invoice_key", ""), key, KEY_LEN) ==
	    0 && ldg_inv_get(g->ldg, key, &st)) {
		is_void = strcmp(st.state, "void") == 0 &&
		    json_integer_value(json_object_get(doc, "version")) ==
		    st.version;
		ldg_inv_free(&st);
	}
	kind = jval_str_or(doc, "kind", "");
	json_object_set_new(doc, "reason", json_string(is_void ? "Invoice "
	    "voided: everything it billed is credited" :
	    strcmp(kind, "credit_note") == 0 ? "Correction: the period's "
	    "usage or charges were revised down after the invoice" :
	    "Correction: the period's usage or charges were revised up "
	    "after the invoice (late usage)"));
}

/*
 * A document in the output format: to iv->out (written after the
 * commit), or with --output-dir the file name, its content staying in
 * iv->files to be written then.  Every format is made from the record,
 * so a stored document (--replay) renders as it did when issued.
 */
static void
render(struct igen *g, struct invoice *iv, const char *number,
    const unsigned char *key, const char *rec, size_t len)
{
	static const char *const ext[] = { "ndjson", "txt", "html", "xml" };
	static const char *const fmts[] = { "ndjson", "text", "html", "ubl" };
	struct buf *o = &iv->out, one = { 0 };
	const struct customer *cu;
	const char *why = NULL, *p;
	char hex[KEY_HEXLEN];
	json_t *doc = NULL;
	int r = 0;

	if (g->outdir != NULL)
		o = &one;
	if (g->fmt != F_NDJSON) {
		if ((doc = json_loadb(rec, len, 0, NULL)) == NULL)
			die(EX_DATAERR, "a stored document is not JSON: the "
			    "ledger was altered");
		note_context(g, doc);
	}
	switch (g->fmt) {
	case F_NDJSON:
		buf_add(o, rec, len);
		if (len == 0 || rec[len - 1] != '\n')
			buf_addc(o, '\n');
		break;
	case F_TEXT:
		/* times in the customer's zone, when it is known */
		cu = cust_by_id(&g->cust, jval_str_or(json_object_get(doc,
		    "customer"), "id", ""));
		invfmt_text(doc, cu ? cu->tz : NULL, o);
		break;
	case F_HTML:
		if (g->outdir != NULL)
			invfmt_html_begin(o, number ? number : "Draft");
		r = invfmt_html(doc, o, &why);
		if (g->outdir != NULL)
			invfmt_html_end(o);
		break;
	case F_UBL:
		r = invfmt_ubl(doc, o, &why);
		break;
	}
	if (doc != NULL)
		json_decref(doc);
	if (r == -2)	/* it cannot be valid Peppol: the record's data */
		die(EX_DATAERR, "--format %s: document %s: %s", fmts[g->fmt],
		    number ? number : "(draft)", why);
	if (r < 0)
		die(EX_SOFTWARE, "--format %s: %s", fmts[g->fmt], why);
	if (g->outdir != NULL) {
		key_hex(key, KEY_LEN, hex);
		buf_printf(&iv->files, "%s/", g->outdir);
		/*
		 * A number may hold '/' ("FA/2026/0001"), which a file name
		 * cannot: it is written '_'.  So that two numbers never make
		 * one name ("INV/1" and "INV_1"), the number's own '_' is
		 * written "%5F" and its '%' "%25".
		 */
		for (p = number ? number : "draft-"; *p != '\0'; p++) {
			if (*p == '/')
				buf_addc(&iv->files, '_');
			else if (*p == '_' || *p == '%')
				buf_printf(&iv->files, "%%%02X",
				    (unsigned char)*p);
			else
				buf_addc(&iv->files, *p);
		}
		buf_printf(&iv->files, "%s.%s%c", number ? "" : hex,
		    ext[g->fmt], '\0');
		buf_add(&iv->files, &one.len, sizeof(one.len));
		buf_add(&iv->files, one.p, one.len);
		buf_free(&one);
	}
}

/* Number, store and write one document; issue mode is in a transaction. */
static void
doc_emit(struct igen *g, struct invoice *iv, struct doc *dc, const char *cum)
{
	char scope[DOC_NUMLEN], tot[DEC_FMTMAX];
	struct ldg_inv st;
	struct ldg_doc ld;
	struct buf rec = { 0 };
	int64_t y, seq;
	unsigned m, dd;

	doc_key(iv->h.key, dc->version, dc->key);
	if (!dc->draft) {
		tm_civil_from_days(dc->issue_day, &y, &m, &dd);
		doc_number(iv->h.en->fmt[dc->kind], y, m, 0, dc->number,
		    sizeof(dc->number), scope, sizeof(scope));
		seq = ldg_number_next(g->ldg, iv->h.en->id, scope);
		doc_number(iv->h.en->fmt[dc->kind], y, m, seq, dc->number,
		    sizeof(dc->number), scope, sizeof(scope));
	}
	doc_json(dc, &rec);
	if (!dc->draft) {
		memset(&ld, 0, sizeof(ld));
		ld.number = dc->number;
		ld.entity = iv->h.en->id;
		ld.key = iv->h.key;
		ld.version = dc->version;
		ld.kind = doc_kind_name(dc->kind);
		ld.issued = g->as_of;
		dec_fmt(dc->tot.total, tot, sizeof(tot));
		ld.total = tot;
		ld.record = rec.p;
		ld.reclen = rec.len - 1;
		if (ldg_doc_put(g->ldg, &ld) < 0)
			die(EX_CONFIG, "document number %s of entity '%s' is "
			    "already another document's: give each entity's "
			    "number formats a prefix of its own (or the "
			    "ledger's sequence was altered)", dc->number,
			    iv->h.en->id);
		memset(&st, 0, sizeof(st));
		st.entity = iv->h.en->id;
		st.customer = iv->h.cu->id;
		st.currency = iv->h.currency;
		st.period_start = iv->h.ps;
		st.period_end = iv->h.pe;
		st.number = (char *)(dc->ref ? dc->ref : dc->number);
		st.state = (char *)(cum == NULL ? "void" : dc->interim ?
		    "interim" : "issued");
		st.version = dc->version;
		st.cum = (char *)(cum ? cum : INV_STATE_EMPTY);
		ldg_inv_put(g->ldg, iv->h.key, &st);
	}
	render(g, iv, dc->number[0] && !dc->draft ? dc->number : NULL,
	    dc->key, rec.p, rec.len);
	buf_free(&rec);
	iv->ndocs++;
	g->ndocs[dc->kind]++;
}

static void
invoice_fail(struct invoice *iv, const char *cls, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
invoice_fail(struct invoice *iv, const char *cls, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	iv->fail.cls = cls;
	iv->fail.code = code;
	va_start(ap, fmt);
	vsnprintf(iv->fail.msg, sizeof(iv->fail.msg), fmt, ap);
	va_end(ap);
}

/*
 * --format ubl: whether the invoice's document can be valid Peppol (its
 * entity's and customer's electronic addresses, its currency); if not,
 * its reason, and the document is not issued.
 */
static const char *
ubl_refused(const struct inv_head *h, const char **code)
{
	const char *why;

	if (invfmt_ubl_refuse(h->en->id, jval_str(h->en->obj, "peppol_id"),
	    h->cu->id, jval_str(h->cu->obj, "peppol_id"), h->currency, code,
	    &why) < 0)
		return why;
	return NULL;
}

/*
 * --format ubl: 0 when the invoice's document can be issued, else -1
 * with the invoice failed for ubl_refused()'s reason.
 */
static int
ubl_check(struct igen *g, struct invoice *iv)
{
	const char *why, *code;

	if (g->fmt != F_UBL || (why = ubl_refused(&iv->h, &code)) == NULL)
		return 0;
	invoice_fail(iv, RC_POLICY, code, "--format ubl: %s", why);
	return -1;
}

/*
 * ---- progressive billing (--interim) ----
 *
 * Lago's progressive billing, Stripe's billing thresholds: a threshold
 * of the catalog with "invoice": true that a preview's bill reached
 * (rate's alert record says so) has the period to date invoiced by an
 * interim invoice, a document of the period's invoice key like any
 * other (numbered in the invoice series, stored, posted).  The key's
 * state is then "interim": what the interim invoices billed.  The next
 * interim invoice, and the final one of a run without --interim, bill
 * the period whole and take that off (inv_state_progressive).  The
 * ledger claims the alert in the transaction that stores the interim
 * invoice: a threshold invoices once per period, however often the
 * hour's job runs or dies; rate leaves such alerts unclaimed until then.
 */

/* A threshold that invoices, reached by a bill of the preview read. */
struct reach {
	char		*threshold;
	int64_t		 pe;
	dec		 amount;
};

struct reached {
	struct reach	*v;
	size_t		 n;
};

static void
reach_key(struct buf *k, const char *customer, int64_t ps)
{
	buf_reset(k);
	buf_add(k, customer, strlen(customer) + 1);
	buf_printf(k, "%" PRId64, ps);
}

/*
 * An alert record read with --interim: kept when it is a preview's for
 * a threshold that invoices.  Alerts are skipped records, not checked:
 * one that does not read so invoices nothing.
 */
static void
reached_add(struct igen *g, json_t *a)
{
	const char *cu = jval_str(a, "customer"), *th = jval_str(a,
	    "threshold"), *ps = jval_str(a, "period_start"),
	    *pe = jval_str(a, "period_end"), *why;
	struct buf k = { 0 };
	struct reached *rs;
	struct reach *x;
	int64_t tps, tpe;
	dec amt;
	void **ref;
	size_t i;

	if (!json_is_true(json_object_get(a, "preview")) ||
	    !json_is_true(json_object_get(a, "invoice")) || cu == NULL ||
	    th == NULL || ps == NULL || pe == NULL ||
	    tm_parse(ps, strlen(ps), &tps, &why) < 0 ||
	    tm_parse(pe, strlen(pe), &tpe, &why) < 0 ||
	    jval_dec(a, "amount", &amt) < 0)
		return;
	reach_key(&k, cu, tps);
	ref = hmap_ref(&g->reached, k.p, k.len);
	buf_free(&k);
	if ((rs = *ref) == NULL)
		*ref = rs = xcalloc(1, sizeof(*rs));
	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].threshold, th) == 0)
			return;
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof(*rs->v));
	x = &rs->v[rs->n++];
	x->threshold = xstrdup(th);
	x->pe = tpe;
	x->amount = amt;
}

struct deducts {
	char		**v;
	size_t		 n;
};

/* The interim invoices of an invoice key, by version. */
static int
interim_doc(const struct ldg_doc *d, void *arg)
{
	struct deducts *x = arg;
	json_t *j = json_loadb(d->record, d->reclen, 0, NULL);

	if (j != NULL && json_is_true(json_object_get(j, "interim"))) {
		x->v = xreallocarray(x->v, x->n + 1, sizeof(*x->v));
		x->v[x->n++] = xstrdup(d->number);
	}
	if (j != NULL)
		json_decref(j);
	return 0;
}

/*
 * An interim invoice (interim) or the final one: the period to date
 * whole, less what the interim invoices before it billed (before, the
 * key's state st; NULL for the first interim invoice).
 */
static void
progressive_emit(struct igen *g, struct invoice *iv, struct inv_state *now,
    struct inv_state *before, const struct ldg_inv *st, int interim)
{
	struct deducts x = { 0 };
	struct inv_state d;
	struct doc dc;
	char *cum;
	size_t i;

	if (ubl_check(g, iv) < 0)
		return;
	if (inv_state_progressive(now, before, &d) != 0) {
		invoice_fail(iv, RC_DATA, "amount_overflow", "the period less "
		    "its interim invoices does not fit");
		inv_state_free(&d);
		return;
	}
	if (st != NULL)
		ldg_docs_of(g->ldg, iv->h.key, interim_doc, &x);
	memset(&dc, 0, sizeof(dc));
	dc.h = &iv->h;
	dc.draft = !g->issue;
	dc.d = &d;
	dc.kind = DK_INVOICE;
	dc.version = st != NULL ? st->version + 1 : 0;
	dc.interim = interim;
	dc.deducts = x.v;
	dc.ndeducts = x.n;
	if (doc_finish(g, iv, &dc) == 0) {
		cum = inv_state_dump(now);
		doc_emit(g, iv, &dc, cum);
		free(cum);
	}
	for (i = 0; i < x.n; i++)
		free(x.v[i]);
	free(x.v);
	inv_state_free(&d);
}

/* --interim: the interim invoice a preview's bill calls for, if any. */
static void
interim_make(struct igen *g, struct invoice *iv)
{
	struct inv_state now, before;
	struct buf k = { 0 };
	struct reached *rs;
	struct ldg_inv st;
	size_t i, fresh = 0;
	int had = 0;

	reach_key(&k, iv->h.cu->id, iv->h.ps);
	rs = hmap_getn(&g->reached, k.p, k.len);
	buf_free(&k);
	if (g->ldg != NULL && (had = ldg_inv_get(g->ldg, iv->h.key, &st)) &&
	    strcmp(st.state, "interim") != 0)
		rs = NULL;	/* invoiced in full already, or void */
	if (rs == NULL) {
		iv->skips = iv->n;	/* no threshold of it invoices now */
		goto done;
	}
	for (i = 0; i < rs->n; i++)
		if (g->ldg == NULL || !ldg_alert_claimed(g->ldg,
		    iv->h.cu->id, rs->v[i].threshold, iv->h.ps))
			fresh++;
	if (fresh == 0) {
		iv->dups = iv->n;	/* its thresholds invoiced already */
		goto done;
	}
	qsort(iv->l, iv->n, sizeof(*iv->l), inv_rated_cmp);
	memset(&before, 0, sizeof(before));
	if (inv_state_build(&iv->h, &g->tax, iv->l, iv->n, &now,
	    &iv->fail) < 0) {
		inv_state_free(&now);
		goto done;
	}
	if (had && inv_state_load(st.cum, &before) < 0)
		die(EX_DATAERR, "ledger: the state of invoice %s is not "
		    "readable: the ledger was altered", st.number);
	progressive_emit(g, iv, &now, had ? &before : NULL, had ? &st : NULL,
	    1);
	/* claimed with the document, in its transaction: once */
	if (iv->fail.code == NULL && g->issue)
		for (i = 0; i < rs->n; i++)
			ldg_alert_claim(g->ldg, iv->h.cu->id,
			    rs->v[i].threshold, iv->h.ps, rs->v[i].pe,
			    rs->v[i].amount, g->as_of);
	inv_state_free(&before);
	inv_state_free(&now);
done:
	if (had)
		ldg_inv_free(&st);
}

static void
reached_free(struct igen *g)
{
	struct reached *rs;
	size_t i, j;

	for (i = 0; i < g->reached.cap; i++) {
		if ((rs = g->reached.t[i].val) == NULL)
			continue;
		for (j = 0; j < rs->n; j++)
			free(rs->v[j].threshold);
		free(rs->v);
		free(rs);
	}
	hmap_free(&g->reached);
}

/* The document an invoice key's lines call for now, if any. */
static void
invoice_make(struct igen *g, struct invoice *iv)
{
	struct inv_state now, before, delta;
	struct ldg_inv st;
	struct doc dc;
	char *cum;
	int had = 0;

	qsort(iv->l, iv->n, sizeof(*iv->l), inv_rated_cmp);
	if (inv_state_build(&iv->h, &g->tax, iv->l, iv->n, &now,
	    &iv->fail) < 0) {
		inv_state_free(&now);
		return;
	}
	memset(&before, 0, sizeof(before));
	memset(&dc, 0, sizeof(dc));
	dc.h = &iv->h;
	dc.draft = !g->issue;
	if (g->ldg != NULL && (had = ldg_inv_get(g->ldg, iv->h.key, &st))) {
		if (strcmp(st.state, "void") == 0) {
			invoice_fail(iv, RC_POLICY, "invoice_void", "invoice "
			    "%s of this period was voided: its period is not "
			    "billed again", st.number);
			goto done;
		}
		if (inv_state_load(st.cum, &before) < 0)
			die(EX_DATAERR, "ledger: the state of invoice %s is "
			    "not readable: the ledger was altered", st.number);
		/* billed in part by interim invoices: the final invoice */
		if (strcmp(st.state, "interim") == 0) {
			progressive_emit(g, iv, &now, &before, &st, 0);
			goto done;
		}
	}
	if (inv_state_delta(&now, had ? &before : NULL, &delta) != 0) {
		invoice_fail(iv, RC_DATA, "amount_overflow", "the difference "
		    "from what was invoiced does not fit");
		goto done;
	}
	if (had && delta.nl == 0 && delta.nc == 0 &&
	    dec_sign(delta.credit) == 0) {
		iv->dups = iv->n;	/* billed as it is: nothing to do */
		inv_state_free(&delta);
		goto done;
	}
	if (ubl_check(g, iv) < 0) {
		inv_state_free(&delta);
		goto done;
	}
	dc.d = &delta;
	dc.version = had ? st.version + 1 : 0;
	dc.ref = had ? st.number : NULL;
	if (doc_finish(g, iv, &dc) == 0) {
		dc.kind = doc_kind_of(!had, &dc.tot);
		cum = inv_state_dump(&now);
		doc_emit(g, iv, &dc, cum);
		free(cum);
	}
	inv_state_free(&delta);
done:
	if (had)
		ldg_inv_free(&st);
	inv_state_free(&before);
	inv_state_free(&now);
}

static int
void_doc(const struct ldg_doc *d, void *arg)
{
	struct ldg_doc *out = arg;

	*out = *d;
	out->number = xstrdup(d->number);
	out->kind = xstrdup(d->kind);
	out->record = xstrndup(d->record, d->reclen);
	out->key = (const unsigned char *)xstrndup((const char *)d->key,
	    KEY_LEN);
	return 1;
}

/* --void NUMBER: a credit note for all the invoice billed. */
static void
void_invoice(struct igen *g)
{
	struct inv_state now, before, delta;
	struct invoice *iv;
	struct ldg_doc d;
	struct ldg_inv st;
	struct doc dc;
	json_t *rec;
	struct doc_rec r;
	const struct customer *cu;
	const struct entity *en;
	const char *why, *code;

	memset(&d, 0, sizeof(d));
	if (ldg_doc_by_number(g->ldg, g->void_number, void_doc, &d) == 0)
		die(EX_DATAERR, "--void %s: no document has that number",
		    g->void_number);
	if (strcmp(d.kind, "invoice") != 0)
		die(EX_DATAERR, "--void %s: it is a %s; only an invoice is "
		    "voided", g->void_number, d.kind);
	if (!ldg_inv_get(g->ldg, d.key, &st))
		die(EX_DATAERR, "--void %s: the invoice's state is missing: "
		    "the ledger was altered", g->void_number);
	if (strcmp(st.state, "void") == 0)
		die(EX_DATAERR, "--void %s: already void", g->void_number);
	if ((rec = json_loads(d.record, 0, NULL)) == NULL)
		die(EX_DATAERR, "--void %s: the stored invoice is not JSON",
		    g->void_number);
	doc_read(rec, NULL, &r);
	if (json_is_true(json_object_get(rec, "interim")))
		die(EX_DATAERR, "--void %s: it is an interim invoice, which "
		    "the period's next invoice deducts: void the period's "
		    "final invoice once it is issued", g->void_number);
	if ((cu = cust_by_id(&g->cust, r.customer.id ? r.customer.id : ""))
	    == NULL)
		die(EX_CONFIG, "--void %s: customer '%s' is not in the "
		    "customers file", g->void_number, r.customer.id);
	if ((en = entity_get(&g->ents, r.entity.id ? r.entity.id : ""))
	    == NULL)
		die(EX_CONFIG, "--void %s: entity '%s' is not in the "
		    "entities file", g->void_number, r.entity.id);
	iv = xcalloc(1, sizeof(*iv));
	memcpy(iv->h.key, d.key, KEY_LEN);
	iv->h.en = en;
	iv->h.cu = cu;
	snprintf(iv->h.currency, sizeof(iv->h.currency), "%s",
	    r.currency ? r.currency : "");
	if (g->fmt == F_UBL && (why = ubl_refused(&iv->h, &code)) != NULL)
		die(EX_DATAERR, "--void %s: --format ubl: %s", g->void_number,
		    why);
	iv->h.minor = cur_minor(iv->h.currency);
	iv->h.ps = r.ps.t;
	iv->h.pe = r.pe.t;
	if (!r.ps.ok || !r.pe.ok || iv->h.minor < 0)
		die(EX_DATAERR, "--void %s: the stored invoice is not "
		    "readable", g->void_number);
	memset(&now, 0, sizeof(now));
	if (inv_state_load(st.cum, &before) < 0 ||
	    inv_state_delta(&now, &before, &delta) != 0)
		die(EX_DATAERR, "--void %s: the invoice's state is not "
		    "readable", g->void_number);
	memset(&dc, 0, sizeof(dc));
	dc.h = &iv->h;
	dc.d = &delta;
	dc.kind = DK_CREDIT;
	dc.version = st.version + 1;
	dc.ref = st.number;
	if (doc_finish(g, iv, &dc) < 0)
		die(EX_DATAERR, "--void %s: %s", g->void_number, iv->fail.msg);
	doc_emit(g, iv, &dc, NULL);
	g->iv = xreallocarray(g->iv, 1, sizeof(*g->iv));
	g->iv[g->ni++] = iv;
	inv_state_free(&delta);
	inv_state_free(&before);
	ldg_inv_free(&st);
	json_decref(rec);
	free((char *)d.number);
	free((char *)d.kind);
	free((char *)d.record);
	free((char *)d.key);
}

struct replay {
	struct igen	*g;
	struct invoice	*iv;
};

static int
replay_doc(const struct ldg_doc *d, void *arg)
{
	struct replay *rp = arg;
	int k;

	render(rp->g, rp->iv, d->number, d->key ? d->key : rp->iv->h.key,
	    d->record, d->reclen);
	rp->iv->ndocs++;
	for (k = 0; k < 3; k++)
		if (strcmp(d->kind, doc_kind_name((enum doc_kind)k)) == 0)
			rp->g->ndocs[k]++;
	return 0;
}

static int
inv_cmp(const void *x, const void *y)
{
	const struct invoice *a = *(struct invoice *const *)x;
	const struct invoice *b = *(struct invoice *const *)y;

	return inv_head_cmp(&a->h, &b->h);
}

static void
fail_invoice(struct igen *g, struct invoice *iv)
{
	struct buf raw = { 0 };
	struct rej_src s;
	char ts[TM_FMTMAX];
	size_t i;

	tm_fmt(iv->h.ps, ts, sizeof(ts));
	warnmsg("customer '%s', the period starting %s is not invoiced: %s: "
	    "%s", iv->h.cu->id, ts, iv->fail.code, iv->fail.msg);
	g->nfailed++;
	for (i = 0; i < iv->n; i++) {
		/* r is a struct iline's first member */
		const struct iline *il = (const struct iline *)iv->l[i];

		memset(&s, 0, sizeof(s));
		s.file = il->file;
		s.line = il->line;
		spill_get(&g->spill, il->rawoff, il->rawlen, &raw);
		s.raw = raw.p;
		s.rawlen = raw.len;
		rej_add(&g->rej, &s, iv->fail.cls, iv->fail.code, "", "%s",
		    iv->fail.msg);
	}
	g->invoiced -= iv->n;
	g->in.rejected += iv->n;
	buf_reset(&iv->out);
	buf_free(&raw);
}

/* An invoice's documents: on stdout, or a file each in --output-dir. */
static void
write_docs(struct igen *g, struct invoice *iv)
{
	struct buf page = { 0 };
	const char *p = iv->files.p, *end = p + iv->files.len;
	size_t n;

	if (g->outdir == NULL) {
		if (g->fmt == F_HTML && iv->out.len > 0 && !g->html_open) {
			invfmt_html_begin(&page, "Invoices");
			out_write(page.p, page.len);
			buf_free(&page);
			g->html_open = 1;
		}
		out_write(iv->out.p, iv->out.len);
		return;
	}
	while (p < end) {
		const char *name = p;

		p += strlen(p) + 1;
		memcpy(&n, p, sizeof(n));
		p += sizeof(n);
		out_write_file_hint(name, p, n, g->hint);
		p += n;
		/* the names on stdout: what a script picks up */
		buf_printf(&page, "%s\n", name);
	}
	out_write(page.p, page.len);
	buf_free(&page);
}

/*
 * Invoices go in batches of INV_BATCH: computed and stored in one
 * transaction, then written once it commits, so memory holds a batch's
 * documents, not the run's, and a crash loses at most the batch in
 * flight (which a re-run makes again, with the same numbers).
 */
#define INV_BATCH	512

static void
run(struct igen *g)
{
	struct invoice *iv;
	size_t i, b, end;

	si_each(&g->in, read_one, g);
	if (g->ni > 0)
		qsort(g->iv, g->ni, sizeof(*g->iv), inv_cmp);
	for (b = 0; b < g->ni; b = end) {
		end = b + INV_BATCH < g->ni ? b + INV_BATCH : g->ni;
		/* drafts only read: they take no lock, hold no issuer up */
		if (g->ldg != NULL && g->issue)
			ldg_begin(g->ldg);
		for (i = b; i < end; i++) {
			iv = g->iv[i];
			if (g->replay) {
				struct replay rp = { g, iv };

				ldg_docs_of(g->ldg, iv->h.key, replay_doc, &rp);
			} else if (g->interim)
				interim_make(g, iv);
			else
				invoice_make(g, iv);
		}
		if (g->ldg != NULL && g->issue)
			ldg_commit(g->ldg);

		/* durable: now the documents and the rejects */
		for (i = b; i < end; i++) {
			iv = g->iv[i];
			if (iv->fail.code != NULL)
				fail_invoice(g, iv);
			else {
				g->invoiced -= iv->dups + iv->skips;
				g->dups += iv->dups;
				g->skipped += iv->skips;
				write_docs(g, iv);
			}
			buf_free(&iv->out);
			buf_free(&iv->files);
		}
		rej_flush(&g->rej);
	}
	if (g->html_open) {
		struct buf e = { 0 };

		invfmt_html_end(&e);
		out_write(e.p, e.len);
		buf_free(&e);
	}
}

static void
write_stats(struct igen *g)
{
	const struct stats_field st[] = {
		STAT_N("read", g->in.read),
		STAT_N("invoiced", g->invoiced),
		STAT_N("duplicates", g->dups),
		STAT_N("skipped", g->skipped),
		STAT_REFUSED(g->in.rejected, &g->rej, g->in.blank),
		STAT_N("invoices", g->ndocs[DK_INVOICE]),
		STAT_N("credit_notes", g->ndocs[DK_CREDIT]),
		STAT_N("debit_notes", g->ndocs[DK_DEBIT]),
		STAT_N("invoices_failed", g->nfailed),
		STAT_S("mode", g->replay ? "replay" : g->void_number ? "void" :
		    g->issue ? "issue" : "draft"),
		STAT_T("as_of", g->as_of),
		STAT_S("rejects_file", g->rejects_path),
	};

	stats_write(g->stats_path, "invoice-gen", st,
	    sizeof(st) / sizeof(st[0]));
}

static void
summary(struct igen *g)
{
	struct buf b = { 0 };
	const char *what = g->issue ? "issued" : "drafted";

	if (g->replay)
		what = "replayed";
	buf_printf(&b, "read %" PRIu64 ", invoiced %" PRIu64 ", duplicates %"
	    PRIu64 ", skipped %" PRIu64 ", rejected %" PRIu64 "; %s %" PRIu64
	    " invoice%s, %" PRIu64 " credit note%s, %" PRIu64 " debit note%s",
	    g->in.read, g->invoiced, g->dups, g->skipped, g->in.rejected, what,
	    g->ndocs[0], g->ndocs[0] == 1 ? "" : "s", g->ndocs[1],
	    g->ndocs[1] == 1 ? "" : "s", g->ndocs[2],
	    g->ndocs[2] == 1 ? "" : "s");
	rej_summary(&g->rej, &b);
	warnmsg("%s", buf_cstr(&b));
	buf_free(&b);
}

static void
free_all(struct igen *g)
{
	size_t i;

	for (i = 0; i < g->ni; i++) {
		free(g->iv[i]->l);
		buf_free(&g->iv[i]->out);
		buf_free(&g->iv[i]->files);
		free(g->iv[i]);
	}
	free(g->iv);
	for (i = 0; i < g->keys.cap; i++) {
		struct iline *il = g->keys.t[i].val;

		if (il == NULL)
			continue;
		json_decref(il->r.price);
		free(il);
	}
	hmap_free(&g->keys);
	hmap_free(&g->strs);
	hmap_free(&g->invs);
	reached_free(g);
	fxtab_free(&g->fx);
}

static void
opt_format(void *dst, const char *arg)
{
	struct igen *g = dst;

	if (strcmp(arg, "text") == 0)
		g->fmt = F_TEXT;
	else if (strcmp(arg, "html") == 0)
		g->fmt = F_HTML;
	else if (strcmp(arg, "ubl") == 0)
		g->fmt = F_UBL;
	else if (strcmp(arg, "ndjson") != 0) {
		warnmsg("--format '%s': expected ndjson, text, html or ubl",
		    arg);
		usage(EX_USAGE);
	}
}

int
main(int argc, char **argv)
{
	struct igen g;
	int rc = 0, draft = 0, first;
	const struct opt opts[] = {
		OPT_ASOF(&g.as_of),
		OPT_BUSY(&g.busy_ms),
		OPT_S("customers", 0, &g.customers_path),
		OPT_F("draft", &draft),
		OPT_S("entities", 0, &g.entities_path),
		OPT_C("format", 0, opt_format, &g),
		OPT_S("fx", 0, &g.fx_path),
		OPT_F("interim", &g.interim),
		OPT_F("issue", &g.issue),
		OPT_LEDGER(&g.ledger_path),
		OPT_MAXDEPTH(&g.max_depth),
		OPT_MAXLINE(&g.max_line),
		OPT_S("output-dir", 'o', &g.outdir),
		OPT_REJECTS(&g.rejects_path),
		OPT_F("replay", &g.replay),
		OPT_STATS(&g.stats_path),
		OPT_STRICT(&g.strict),
		OPT_S("tax", 0, &g.tax_path),
		OPT_S("void", 0, &g.void_number),
		OPT_END
	};
	char *rejects_default = NULL;
	size_t i;

	u_setprogname(argv[0]);
	memset(&g, 0, sizeof(g));
	first = opt_parse(argc, argv, opts, usage);
	argc -= first;
	argv += first;
	if (g.entities_path == NULL || g.tax_path == NULL ||
	    g.customers_path == NULL) {
		warnmsg("--entities, --tax and --customers are required");
		usage(EX_USAGE);
	}
	if (draft + g.issue + g.replay + (g.void_number != NULL) > 1) {
		warnmsg("--draft, --issue, --replay and --void go alone");
		usage(EX_USAGE);
	}
	if (g.interim && (g.replay || g.void_number != NULL)) {
		warnmsg("--interim goes with --draft or --issue");
		usage(EX_USAGE);
	}
	if ((g.issue || g.replay || g.void_number) && g.ledger_path == NULL) {
		warnmsg("--%s needs --ledger: numbers and documents are kept "
		    "there", g.issue ? "issue" : g.replay ? "replay" : "void");
		usage(EX_USAGE);
	}
	if (g.void_number != NULL && argc > 0) {
		warnmsg("--void reads no input");
		usage(EX_USAGE);
	}
	if (g.fmt == F_UBL && g.outdir == NULL) {
		warnmsg("--format ubl writes a file a document: give "
		    "--output-dir DIR");
		usage(EX_USAGE);
	}
	if (g.fmt == F_UBL && !g.issue && !g.replay && g.void_number == NULL) {
		warnmsg("--format ubl is for issued documents (a UBL invoice "
		    "needs its number): give --issue, or --replay");
		usage(EX_USAGE);
	}
	if (g.void_number != NULL)
		g.issue = 1;
	if (g.as_of == INT64_MIN)
		g.as_of = cli_now(0);

	key_init();
	out_init();
	if (g.outdir != NULL && mkdir(g.outdir, 0777) < 0 && errno != EEXIST)
		die(EX_CANTCREAT, "--output-dir '%s': %s", g.outdir,
		    strerror(errno));
	entities_load(&g.ents, g.entities_path);
	taxtab_load(&g.tax, g.tax_path);
	cust_load(&g.cust, g.customers_path);
	for (i = 0; i < g.tax.n; i++)
		if (entity_get(&g.ents, g.tax.v[i].entity) == NULL)
			die(EX_CONFIG, "tax table '%s': rules[%zu] is for entity "
			    "'%s', which is not in the entities file '%s'",
			    g.tax_path, g.tax.v[i].idx, g.tax.v[i].entity,
			    g.entities_path);
	if (g.fx_path != NULL)
		fxtab_load(&g.fx, g.fx_path);
	if (g.ledger_path != NULL)
		g.ldg = ldg_open(ldg_path(g.ledger_path), g.busy_ms,
		    LDG_LEAN | (g.replay || g.void_number ? LDG_EXISTING : 0));
	if (g.rejects_path == NULL)
		g.rejects_path = rejects_default =
		    rej_default_path(ldg_path(g.ledger_path));
	rej_open(&g.rej, g.rejects_path, "invoice-gen");
	/*
	 * Said by a failed write of anything a batch writes after its
	 * commit: stdout, a file of --output-dir, the rejects.
	 */
	g.hint = g.issue ? "the issued documents are written again by "
	    "'invoice-gen --replay' on the same input" : "the drafts are "
	    "made again by running the same command";
	out_hint(g.hint);
	rej_hint(&g.rej, g.hint);
	hmap_init(&g.keys);
	hmap_init(&g.strs);
	hmap_init(&g.invs);
	hmap_init(&g.reached);
	si_init(&g.in, argc, argv, g.max_line, g.max_depth, &g.rej);

	if (g.void_number != NULL) {
		ldg_begin(g.ldg);
		void_invoice(&g);
		ldg_commit(g.ldg);
		write_docs(&g, g.iv[0]);
		if (g.html_open) {
			buf_reset(&g.iv[0]->out);
			invfmt_html_end(&g.iv[0]->out);
			out_write(g.iv[0]->out.p, g.iv[0]->out.len);
		}
	} else
		run(&g);

	rej_close(&g.rej);
	out_close();
	if (g.void_number == NULL)
		summary(&g);
	if (g.in.read != g.invoiced + g.dups + g.skipped + g.in.rejected)
		die(EX_SOFTWARE, "accounting error: read %" PRIu64 " != "
		    "invoiced + duplicates + skipped + rejected", g.in.read);
	if (g.stats_path != NULL)
		write_stats(&g);
	if (g.in.lr.failed)
		rc = EX_NOINPUT;
	else if (g.strict && (g.in.rejected > 0 || g.nfailed > 0))
		rc = EX_DATAERR;

	ldg_close(g.ldg);
	si_free(&g.in);
	spill_close(&g.spill);
	free_all(&g);
	entities_free(&g.ents);
	taxtab_free(&g.tax);
	cust_free(&g.cust);
	free(rejects_default);
	return rc;
}
