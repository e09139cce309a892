/*
 * entry.c: the journal entry record, its writers and its reader; see
 * entry.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * A string for a beancount "..." (quoted 1), a journal description (0)
 * or a posting's comment (2): hledger and ledger read "word:" and
 * ":word:" in a comment as tags, which --strict wants declared, so a
 * comment's ':' is written '.'.
 */
static void
text_chars(struct buf *b, const char *s, int quoted)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20)
			buf_addc(b, ' ');
		else if (quoted == 1 && (*s == '"' || *s == '\\'))
			buf_printf(b, "\\%c", *s);
		else if (quoted != 1 && *s == ';')
			buf_addc(b, ',');
		else if (quoted == 2 && *s == ':')
			buf_addc(b, '.');
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
	else if (type != NULL && strcmp(type, "grant") == 0)
		snprintf(buf, n, "Prepaid credit bought");
	else if (type != NULL && strncmp(type, "grant_", 6) == 0)
		snprintf(buf, n, "%s", strcmp(type, "grant_promo") == 0 ?
		    "Promotional credit granted" : strcmp(type,
		    "grant_breakage") == 0 ? "Prepaid credit expired: breakage" :
		    "Promotional credit expired: reversed");
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
			text_chars(o, jval_str(l, "memo"), 2);
		}
		buf_addc(o, '\n');
	}
	buf_addc(o, '\n');
}

/*
 * Declarations, once per journal file: hledger check --strict and
 * ledger --strict want every account and commodity declared (ledger
 * before its first use, and the "entry" tag of each transaction's
 * comment too), beancount every account opened, and once only (an
 * account opened twice is an error).  Each is written the first time
 * an entry of the run uses it, unless the journal the output goes to
 * declares it already (entry_out_journal).
 */
static void
declare(struct entry_out *w, const char *what, const char *name)
{
	struct buf key = { 0 };
	void **ref;

	if (name == NULL || *name == '\0')
		return;
	if (w->fmt == ENTRY_BEANCOUNT && strcmp(what, "commodity") == 0)
		return;		/* bean-check needs no commodity declared */
	buf_printf(&key, "%s %s", what, name);
	ref = hmap_ref(&w->opened, key.p, key.len);
	buf_free(&key);
	if (*ref != NULL)
		return;
	*ref = (void *)1;
	if (w->fmt == ENTRY_BEANCOUNT)
		buf_printf(&w->decl, "1970-01-01 open %s\n", name);
	else
		buf_printf(strcmp(what, "account") != 0 ? &w->dcom :
		    &w->decl, "%s %s\n", what, name);
}

static void
declare_entry(struct entry_out *w, json_t *e)
{
	json_t *ls = json_object_get(e, "lines"), *l;
	size_t i;

	if (w->fmt != ENTRY_BEANCOUNT)	/* "; entry: JE-..." is a tag */
		declare(w, "tag", "entry");
	declare(w, "commodity", jval_str(e, "currency"));
	declare(w, "commodity", jval_str(e, "functional_currency"));
	json_array_foreach(ls, i, l)
		declare(w, "account", jval_str(l, "account"));
}

/*
 * An entry in a plain-text format is kept, in memory, until the run ends
 * (entry_out_end): hledger's ordereddates check wants a file's
 * transactions in date order, and a document's recognitions, at the end
 * of a service period, are made right after it, before the next
 * document's entry of an earlier date.
 */
static void
text_keep(struct entry_out *w, json_t *e)
{
	const char *day = jval_str(e, "date");
	struct entry_kept *k;

	declare_entry(w, e);
	if (w->nkept == w->capkept) {
		w->capkept = w->capkept ? 2 * w->capkept : 64;
		w->kept = xreallocarray(w->kept, w->capkept, sizeof(*w->kept));
	}
	k = &w->kept[w->nkept++];
	snprintf(k->day, sizeof(k->day), "%s", day ? day : "");
	k->off = w->text.len;
	entry_text(w, e, &w->text);
	k->len = w->text.len - k->off;
	k->seq = w->nkept;
}

/* By date, then in the order written: a stable sort. */
static int
kept_cmp(const void *x, const void *y)
{
	const struct entry_kept *a = x, *b = y;
	int c = strcmp(a->day, b->day);

	return c ? c : a->seq < b->seq ? -1 : a->seq > b->seq;
}

int
entry_out_end(struct entry_out *w, struct buf *out)
{
	size_t i;
	int before;

	if (w->nkept == 0)
		return 0;
	qsort(w->kept, w->nkept, sizeof(*w->kept), kept_cmp);
	before = w->last[0] != '\0' && strcmp(w->kept[0].day, w->last) < 0;
	buf_add(out, w->dcom.p, w->dcom.len);
	buf_add(out, w->decl.p, w->decl.len);
	if (w->dcom.len + w->decl.len > 0)
		buf_addc(out, '\n');
	for (i = 0; i < w->nkept; i++)
		buf_add(out, w->text.p + w->kept[i].off, w->kept[i].len);
	buf_reset(&w->dcom);
	buf_reset(&w->decl);
	buf_reset(&w->text);
	w->nkept = 0;
	return before;
}

/* A declaration's name, from the journal's line s (after "what "). */
static void
journal_decl(struct entry_out *w, const char *what, const char *s)
{
	struct buf key = { 0 };
	size_t n;

	s += strspn(s, " \t");
	/* up to a comment, two spaces, a tab or the end */
	for (n = 0; s[n] != '\0' && s[n] != '\n' && s[n] != '\t' &&
	    s[n] != ';' && !(s[n] == ' ' && s[n + 1] == ' '); n++)
		;
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 0)
		return;
	buf_printf(&key, "%s %.*s", what, (int)n, s);
	*hmap_ref(&w->opened, key.p, key.len) = (void *)1;
	buf_free(&key);
}

int
entry_out_journal(struct entry_out *w, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((n = getline(&line, &cap, fp)) > 0) {
		const char *s = line;

		if (n < 10 || !(*s >= '0' && *s <= '9')) {
			if (strncmp(s, "account ", 8) == 0)
				journal_decl(w, "account", s + 8);
			else if (strncmp(s, "commodity ", 10) == 0)
				journal_decl(w, "commodity", s + 10);
			else if (strncmp(s, "tag ", 4) == 0)
				journal_decl(w, "tag", s + 4);
			continue;
		}
		/* a dated line: beancount's directives, or a transaction */
		if (strncmp(s + 10, " open ", 6) == 0)
			journal_decl(w, "account", s + 16);
		else if (strncmp(s + 10, " commodity ", 11) == 0)
			journal_decl(w, "commodity", s + 21);
		else if (strncmp(s, w->last, 10) > 0 && s[4] == '-' &&
		    s[7] == '-' && strncmp(s, "1970-01-01", 10) != 0)
			snprintf(w->last, sizeof(w->last), "%.10s", s);
	}
	free(line);
	if (ferror(fp)) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
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
	    b->clearing, b->fx_gain, b->fx_loss };
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

/* ---- for the ERP import files (impfile.c) ---- */

void
entry_narration(json_t *e, char *buf, size_t n)
{
	narration(e, buf, n);
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
	buf_free(&w->dcom);
	buf_free(&w->decl);
	buf_free(&w->text);
	free(w->kept);
}

/*
 * A record as the ledger keeps it, in the writer's format: NDJSON as it
 * is, the others from its JSON (beancount opening each account first).
 */
int
entry_write(struct entry_out *w, const char *rec, size_t len, struct buf *out)
{
	struct buf body = { 0 };
	json_t *e;

	if (w->fmt >= ENTRY_NETSUITE)
		return -1;	/* the ERPs' files need the books: impfile.h */
	if (w->fmt == ENTRY_NDJSON) {
		buf_add(out, rec, len);
		if (len == 0 || rec[len - 1] != '\n')
			buf_addc(out, '\n');
		return 0;
	}
	if ((e = json_loadb(rec, len, 0, NULL)) == NULL)
		return -1;
	text_keep(w, e);	/* written by entry_out_end */
	buf_add(out, body.p, body.len);
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
