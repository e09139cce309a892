/*
 * entry.c: the journal entry record, its writers and its reader; see
 * entry.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>

#include "entry.h"
#include "jrec.h"
#include "jval.h"
#include "jw.h"
#include "tm.h"

const char *const entry_fmt_names[ENTRY_NFMT] = { "ndjson", "hledger",
    "ledger", "beancount", "netsuite", "xero", "qbo" };

void
entry_push(struct entry *e, const char *account, dec amount, dec famount,
    const char *memo, const char *rated_key)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 16;
		e->l = xreallocarray(e->l, e->cap, sizeof(*e->l));
	}
	e->l[e->n].account = account;
	e->l[e->n].amount = amount;
	e->l[e->n].famount = famount;
	e->l[e->n].memo = memo;
	e->l[e->n].rated_key = rated_key;
	e->n++;
}

void
entry_add(struct entry *e, const char *account, dec amount, const char *memo,
    const char *rated_key)
{
	if (dec_sign(amount) == 0)
		return;
	entry_push(e, account, amount, amount, memo, rated_key);
}

void
entry_free(struct entry *e)
{
	free(e->l);
	e->l = NULL;
	e->n = e->cap = 0;
}

static void
jw_side(struct jw *w, const char *dk, const char *ck, dec a, int minor)
{
	dec zero = { 0, minor };

	jw_key(w, dk);
	jw_dec(w, dec_sign(a) > 0 ? a : zero);
	jw_key(w, ck);
	jw_dec(w, dec_sign(a) < 0 ? dec_neg(a) : zero);
}

/* The entry's record, as the ledger keeps it and --format ndjson is. */
void
entry_json(const struct entry_doc *d, const struct entry *e, struct buf *o)
{
	dec td = { 0, d->minor }, fd = { 0, d->fminor };
	char day[16];
	struct jw w;
	size_t i;

	jw_init(&w, o);
	jw_open(&w, '{');
	JW_KEY(&w, "kind");
	jw_str(&w, "journal_entry");
	JW_KEY(&w, "schema");
	jw_str(&w, "1.0");
	JW_KEY(&w, "id");
	jw_str(&w, e->id);
	JW_KEY(&w, "type");
	jw_str(&w, e->type);
	if (e->payref != NULL) {
		JW_KEY(&w, "payment_reference");
		jw_str(&w, e->payref);
	}
	JW_KEY(&w, "entity");
	jw_str(&w, d->entity);
	JW_KEY(&w, "customer");
	jw_str(&w, d->customer);
	JW_KEY(&w, "document");
	jw_open(&w, '{');
	JW_KEY(&w, "kind");
	jw_str(&w, d->kind);
	JW_KEY(&w, "number");
	jw_str(&w, d->number);
	JW_KEY(&w, "version");
	jw_int(&w, d->version);
	JW_KEY(&w, "references");
	if (d->ref != NULL)
		jw_str(&w, d->ref);
	else
		jw_null(&w);
	jw_close(&w, '}');
	JW_KEY(&w, "date");
	tm_day_str(e->day, day, sizeof(day));
	jw_str(&w, day);
	JW_KEY(&w, "document_date");
	tm_day_str(e->doc_day, day, sizeof(day));
	jw_str(&w, day);
	JW_KEY(&w, "currency");
	jw_str(&w, d->currency);
	JW_KEY(&w, "functional_currency");
	jw_str(&w, d->fcur);
	JW_KEY(&w, "fx_rate");
	if (d->has_fx)
		jw_dec(&w, d->fx);
	else
		jw_null(&w);
	JW_KEY(&w, "lines");
	jw_open(&w, '[');
	for (i = 0; i < e->n; i++) {
		const struct entry_line *l = &e->l[i];

		jw_open(&w, '{');
		JW_KEY(&w, "line");
		jw_int(&w, (int64_t)i + 1);
		JW_KEY(&w, "account");
		jw_str(&w, l->account);
		jw_side(&w, "debit", "credit", l->amount, d->minor);
		jw_side(&w, "functional_debit", "functional_credit",
		    l->famount, d->fminor);
		JW_KEY(&w, "memo");
		jw_str(&w, l->memo ? l->memo : "");
		JW_KEY(&w, "rated_key");
		if (l->rated_key != NULL)
			jw_str(&w, l->rated_key);
		else
			jw_null(&w);
		jw_close(&w, '}');
		if (dec_sign(l->amount) > 0)
			dec_add(td, l->amount, &td);
		if (dec_sign(l->famount) > 0)
			dec_add(fd, l->famount, &fd);
	}
	jw_close(&w, ']');
	JW_KEY(&w, "total_debit");
	jw_dec(&w, td);
	JW_KEY(&w, "total_credit");
	jw_dec(&w, td);
	JW_KEY(&w, "functional_total");
	jw_dec(&w, fd);
	JW_KEY(&w, "correlation_id");
	jw_str(&w, d->key ? d->key : e->id);
	jw_close(&w, '}');
	buf_addc(o, '\n');
}

/* ---- plain-text accounting: hledger, ledger, beancount ---- */

/* A signed amount of one side of a record's line. */
static const char *
side_amount(json_t *l, const char *dk, const char *ck, char *buf, size_t n)
{
	const char *d = jval_str(l, dk), *c = jval_str(l, ck);
	dec x;

	if (d != NULL && dec_parse(d, strlen(d), &x) == DEC_OK &&
	    dec_sign(x) != 0)
		snprintf(buf, n, "%s", d);
	else
		snprintf(buf, n, "-%s", c ? c : "0");
	return buf;
}

static int
is_zero(const char *s)
{
	dec x;

	return dec_parse(s, strlen(s), &x) != DEC_OK || dec_sign(x) == 0;
}

/* Beancount: a link or a key is [A-Za-z0-9-_/.] */
static void
link_chars(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_addc(b, (*s >= 'A' && *s <= 'Z') || (*s >= 'a' &&
		    *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		    *s == '_' || *s == '/' || *s == '.' ? *s : '-');
}

/* A string for a beancount "..." or a journal description. */
static void
text_chars(struct buf *b, const char *s, int quoted)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20)
			buf_addc(b, ' ');
		else if (quoted && (*s == '"' || *s == '\\'))
			buf_printf(b, "\\%c", *s);
		else if (!quoted && *s == ';')
			buf_addc(b, ',');
		else
			buf_addc(b, *s);
	}
}

/* What an entry is, for people: "Invoice X", "Payment R of invoice X" */
static void
narration(json_t *e, char *buf, size_t n)
{
	json_t *doc = json_object_get(e, "document");
	const char *kind = jval_str(doc, "kind"), *type = jval_str(e, "type");
	const char *what = strcmp(kind ? kind : "", "credit_note") == 0 ?
	    "Credit note" : strcmp(kind ? kind : "", "debit_note") == 0 ?
	    "Debit note" : "Invoice";

	if (type != NULL && strcmp(type, "payment") == 0)
		snprintf(buf, n, "Payment %s of invoice %s",
		    jval_str(e, "payment_reference"), jval_str(doc, "number"));
	else
		snprintf(buf, n, "%s%s %s", type && strcmp(type,
		    "recognition") == 0 ? "Revenue recognised: " : "", what,
		    jval_str(doc, "number"));
}

static void
entry_text(struct entry_out *w, json_t *e, struct buf *o)
{
	json_t *doc = json_object_get(e, "document"), *ls, *l;
	const char *cur = jval_str(e, "currency"), *fcur = jval_str(e,
	    "functional_currency");
	char a[DEC_FMTMAX + 2], f[DEC_FMTMAX + 2], narr[256];
	int fx = fcur && cur && strcmp(fcur, cur) != 0;
	size_t i;

	ls = json_object_get(e, "lines");
	narration(e, narr, sizeof(narr));
	if (w->fmt == ENTRY_BEANCOUNT) {
		buf_printf(o, "%s * \"", jval_str(e, "date"));
		text_chars(o, jval_str(e, "customer") ? jval_str(e, "customer") : "", 1);
		buf_adds(o, "\" \"");
		text_chars(o, narr, 1);
		buf_adds(o, "\" ^");
		link_chars(o, jval_str(doc, "number"));
		buf_printf(o, "\n  entry: \"%s\"\n", jval_str(e, "id"));
	} else {
		buf_printf(o, "%s * (%s) ", jval_str(e, "date"), jval_str(doc, "number"));
		text_chars(o, narr, 0);
		buf_adds(o, ", ");
		text_chars(o, jval_str(e, "customer") ? jval_str(e, "customer") : "", 0);
		buf_printf(o, "  ; entry: %s\n", jval_str(e, "id"));
	}
	json_array_foreach(ls, i, l) {
		side_amount(l, "debit", "credit", a, sizeof(a));
		side_amount(l, "functional_debit", "functional_credit", f,
		    sizeof(f));
		buf_printf(o, "    %s  ", jval_str(l, "account"));
		if (fx && is_zero(a))		/* rounding: functional only */
			buf_printf(o, "%s %s", f, fcur);
		else if (fx)
			buf_printf(o, "%s %s @@ %s %s", a, cur,
			    f[0] == '-' ? f + 1 : f, fcur);
		else
			buf_printf(o, "%s %s", a, cur);
		if (w->fmt != ENTRY_BEANCOUNT && jval_str(l, "memo") &&
		    *jval_str(l, "memo")) {
			buf_adds(o, "  ; ");
			text_chars(o, jval_str(l, "memo"), 0);
		}
		buf_addc(o, '\n');
	}
	buf_addc(o, '\n');
}

/* Beancount: accounts are opened before they are used. */
static void
bean_open(struct entry_out *w, json_t *e, struct buf *o)
{
	json_t *ls = json_object_get(e, "lines"), *l;
	const char *a;
	void **ref;
	size_t i;

	json_array_foreach(ls, i, l) {
		a = jval_str(l, "account");
		ref = hmap_ref(&w->opened, a, strlen(a));
		if (*ref != NULL)
			continue;
		*ref = (void *)1;
		buf_printf(o, "1970-01-01 open %s\n", a);
	}
}

/*
 * A beancount account: Assets, Liabilities, Equity, Income or Expenses,
 * then ":Component"s, each a capital or a digit then letters, digits and
 * dashes.
 */
int
entry_bean_account(const char *s)
{
	static const char *const roots[] = { "Assets", "Liabilities",
	    "Equity", "Income", "Expenses", NULL };
	size_t n;
	int i;

	for (i = 0; roots[i] != NULL; i++)
		if (strncmp(s, roots[i], strlen(roots[i])) == 0 &&
		    s[strlen(roots[i])] == ':')
			break;
	if (roots[i] == NULL)
		return 0;
	s += strlen(roots[i]);
	while (*s == ':') {
		s++;
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return 0;
		n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-");
		s += n;
	}
	return *s == '\0';
}

const char *
entry_bean_books(const struct books *b, int *mapped)
{
	const char *const one[] = { b->receivable, b->revenue, b->tax,
	    b->deferred, b->credit, b->rounding, b->discounts, b->cash,
	    b->clearing };
	const struct hmap *maps[] = { &b->by_charge.m, &b->by_tax_code.m,
	    &b->by_category.m };
	size_t j, k;

	*mapped = 0;
	for (j = 0; j < sizeof(one) / sizeof(one[0]); j++)
		if (one[j] != NULL && !entry_bean_account(one[j]))
			return one[j];
	*mapped = 1;
	for (j = 0; j < 3; j++)
		for (k = 0; k < maps[j]->cap; k++)
			if (maps[j]->t[k].key != NULL &&
			    !entry_bean_account(maps[j]->t[k].val))
				return maps[j]->t[k].val;
	return NULL;
}

/* ---- ERP import files: CSV ---- */

/*
 * A text cell: quoted by libcsv, and kept from being read as a formula
 * by a spreadsheet (a cell that starts with = + - @, a tab or a CR gets
 * a ' in front, as OWASP advises).
 */
static void
csv_text(struct buf *o, const char *s, int last)
{
	struct buf t = { 0 };
	size_t n;

	if (s == NULL)
		s = "";
	if (strchr("=+-@\t\r", *s) != NULL && *s != '\0')
		buf_addc(&t, '\'');
	buf_adds(&t, s);
	n = csv_write(NULL, 0, t.len ? t.p : "", t.len);
	buf_grow(o, n + 2);
	o->len += csv_write(o->p + o->len, n, t.len ? t.p : "", t.len);
	buf_addc(o, last ? '\n' : ',');
	buf_free(&t);
}

/* A number cell of ours: never a formula, written as it is. */
static void
csv_num(struct buf *o, const char *s, int last)
{
	buf_adds(o, s ? s : "");
	buf_addc(o, last ? '\n' : ',');
}

static const char *const csv_headers[] = {
	[ENTRY_NETSUITE] = "externalid,subsidiary,date,currency,exchangerate,"
	    "account,debit,credit,memo,entity",
	[ENTRY_XERO] = "Narration,Date,Description,AccountCode,TaxRate,Amount",
	[ENTRY_QBO] = "JournalNo,JournalDate,Currency,ExchangeRate,Memo,Account,"
	    "Debits,Credits,Description,Name",
};

/* NetSuite's and QuickBooks' last cells: account, debit, credit, memo, name */
static void
csv_posting(struct buf *o, json_t *e, json_t *l)
{
	csv_text(o, jval_str(l, "account"), 0);
	csv_num(o, is_zero(jval_str(l, "debit")) ? "" : jval_str(l, "debit"),
	    0);
	csv_num(o, is_zero(jval_str(l, "credit")) ? "" : jval_str(l, "credit"),
	    0);
	csv_text(o, jval_str(l, "memo"), 0);
	csv_text(o, jval_str(e, "customer"), 1);
}

static void
entry_csv(struct entry_out *w, json_t *e, struct buf *o)
{
	json_t *ls, *l;
	char narr[512], full[300], amt[DEC_FMTMAX + 2], qno[32];
	size_t i;

	if (!w->header) {
		buf_printf(o, "%s\n", csv_headers[w->fmt]);
		w->header = 1;
	}
	narration(e, full, sizeof(full));
	snprintf(narr, sizeof(narr), "%s, %s%s%s%s", full, jval_str(e, "customer"),
	    w->fmt == ENTRY_XERO ? " [" : "", w->fmt == ENTRY_XERO ? jval_str(e, "id") : "",
	    w->fmt == ENTRY_XERO ? "]" : "");
	/* QuickBooks takes journal numbers of 21 characters at most */
	snprintf(qno, sizeof(qno), "%.21s", jval_str(e, "id"));
	ls = json_object_get(e, "lines");
	json_array_foreach(ls, i, l) {
		/* the ERP converts itself: no functional-only rounding row */
		if (w->fmt != ENTRY_XERO && is_zero(jval_str(l, "debit")) &&
		    is_zero(jval_str(l, "credit")))
			continue;
		switch (w->fmt) {
		case ENTRY_NETSUITE:	/* the transaction currency and rate */
			csv_text(o, jval_str(e, "id"), 0);
			csv_text(o, jval_str(e, "entity"), 0);
			csv_num(o, jval_str(e, "date"), 0);
			csv_text(o, jval_str(e, "currency"), 0);
			csv_num(o, jval_str(e, "fx_rate") ? jval_str(e, "fx_rate") : "1", 0);
			csv_posting(o, e, l);
			break;
		case ENTRY_XERO:	/* the books' currency, debits positive */
			csv_text(o, narr, 0);
			csv_num(o, jval_str(e, "date"), 0);
			csv_text(o, jval_str(l, "memo"), 0);
			csv_text(o, jval_str(l, "account"), 0);
			csv_text(o, "Tax Exempt", 0);
			csv_num(o, side_amount(l, "functional_debit",
			    "functional_credit", amt, sizeof(amt)), 1);
			break;
		case ENTRY_QBO:
			csv_text(o, qno, 0);
			csv_num(o, jval_str(e, "date"), 0);
			csv_text(o, jval_str(e, "currency"), 0);
			csv_num(o, jval_str(e, "fx_rate") ? jval_str(e, "fx_rate") : "1", 0);
			csv_text(o, narr, 0);
			csv_posting(o, e, l);
			break;
		default:
			break;
		}
	}
}

/* ---- a stored record in a format ---- */

void
entry_out_init(struct entry_out *w, enum entry_fmt fmt)
{
	memset(w, 0, sizeof(*w));
	w->fmt = fmt;
	hmap_init(&w->opened);
}

void
entry_out_free(struct entry_out *w)
{
	hmap_free(&w->opened);
}

/*
 * A record as the ledger keeps it, in the writer's format: NDJSON as it
 * is, the others from its JSON (beancount opening each account first).
 */
int
entry_write(struct entry_out *w, const char *rec, size_t len, struct buf *out)
{
	struct buf opens = { 0 }, body = { 0 };
	json_t *e;

	if (w->fmt == ENTRY_NDJSON) {
		buf_add(out, rec, len);
		if (len == 0 || rec[len - 1] != '\n')
			buf_addc(out, '\n');
		return 0;
	}
	if ((e = json_loadb(rec, len, 0, NULL)) == NULL)
		return -1;
	if (w->fmt == ENTRY_BEANCOUNT)
		bean_open(w, e, &opens);
	if (w->fmt >= ENTRY_NETSUITE)
		entry_csv(w, e, &body);
	else
		entry_text(w, e, &body);
	buf_add(out, opens.p, opens.len);
	if (opens.len > 0)
		buf_addc(out, '\n');
	buf_add(out, body.p, body.len);
	buf_free(&opens);
	buf_free(&body);
	json_decref(e);
	return 0;
}

/* ---- reading a stored record ---- */

int
entry_read(const struct jrec *jr, struct entry_rec *e)
{
	json_t *j = jr->root, *doc, *v;
	const char *kind = jval_str(j, "kind");

	memset(e, 0, sizeof(*e));
	e->id = jval_str(j, "id");
	if (kind == NULL || strcmp(kind, "journal_entry") != 0 || e->id == NULL)
		return -1;
	doc = json_object_get(j, "document");
	e->type = jval_str(j, "type");
	e->number = jval_str(doc, "number");
	e->entity = jval_str(j, "entity");
	e->currency = jval_str(j, "currency");
	e->date = jval_str(j, "date");
	e->fcur = jval_str(j, "functional_currency");
	if (jrec_int(jr, json_object_get(doc, "version"), 0, INT32_MAX,
	    &e->version) < 0)
		e->version = 0;
	v = json_object_get(j, "lines");
	e->lines = json_is_array(v) ? v : NULL;
	e->nlines = json_array_size(e->lines);
	return 0;
}

void
entry_read_line(const struct entry_rec *e, size_t i, struct entry_rec_line *l)
{
	json_t *o = json_array_get(e->lines, i);

	l->account = jval_str(o, "account");
	l->debit = jval_dec_or_zero(o, "debit");
	l->credit = jval_dec_or_zero(o, "credit");
}
