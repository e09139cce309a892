/*
 * impfile.c: the ERP import files (NetSuite, Xero, QuickBooks Online
 * CSV), written from a journal entry record; see impfile.h for the
 * vendors' templates they follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <csv.h>

#include "impfile.h"
#include "jval.h"
#include "tm.h"

/* The ERPs' limits of lines an import file (see impfile.h's sources). */
#define XERO_LINES	300
#define NETSUITE_LINES	25000
/* Intuit's pages give none; 1,000 rows is what its importer is known for. */
#define QBO_LINES	1000
/* QuickBooks takes journal numbers of 21 characters at most. */
#define QBO_JOURNALNO	21

static const char *const erp_names[] = { [ENTRY_NETSUITE] = "netsuite",
    [ENTRY_XERO] = "xero", [ENTRY_QBO] = "qbo" };

const char *const imp_datefmt_names[] = { "MM/DD/YYYY", "DD/MM/YYYY",
    "YYYY-MM-DD", "DD.MM.YYYY", "YYYY/MM/DD", "M/D/YYYY", "D/M/YYYY",
    "D.M.YYYY", "DD-Mon-YYYY", "D-Mon-YYYY", NULL };
#define DATE_XERO	1	/* dd/mm/yyyy */
#define DATE_QBO	0	/* MM/DD/YYYY */

static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

int
imp_datefmt(const char *s)
{
	int i;

	for (i = 0; imp_datefmt_names[i] != NULL; i++)
		if (strcmp(s, imp_datefmt_names[i]) == 0)
			return i;
	return -1;
}

/* A "YYYY-MM-DD" of the record in a format of imp_datefmt_names. */
static void
date_cell(const char *iso, int fmt, char *buf, size_t n)
{
	const char *p = imp_datefmt_names[fmt];
	int64_t y, day = tm_day_parse(iso ? iso : "");
	unsigned m, d;
	struct buf b = { 0 };

	if (day == INT64_MIN)
		die(EX_DATAERR, "a stored journal entry has no date like "
		    "2026-11-02: the ledger was altered");
	tm_civil_from_days(day, &y, &m, &d);
	while (*p) {
		if (strncmp(p, "YYYY", 4) == 0) {
			buf_printf(&b, "%04" PRId64, y);
			p += 4;
		} else if (strncmp(p, "Mon", 3) == 0) {
			buf_adds(&b, mon[m - 1]);
			p += 3;
		} else if (strncmp(p, "MM", 2) == 0 || strncmp(p, "DD", 2) ==
		    0) {
			buf_printf(&b, "%02u", *p == 'M' ? m : d);
			p += 2;
		} else if (*p == 'M' || *p == 'D') {
			buf_printf(&b, "%u", *p == 'M' ? m : d);
			p++;
		} else
			buf_addc(&b, *p++);
	}
	snprintf(buf, n, "%s", buf_cstr(&b));
	buf_free(&b);
}

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

/* A number or date cell of ours: never a formula, written as it is. */
static void
csv_num(struct buf *o, const char *s, int last)
{
	buf_adds(o, s ? s : "");
	buf_addc(o, last ? '\n' : ',');
}

/* An amount cell: empty when zero (a debit row leaves the credit empty). */
static void
csv_amount(struct buf *o, dec a)
{
	if (dec_sign(a) != 0)
		buf_adds(o, dec_str(a).s);
	buf_addc(o, ',');
}

/* NetSuite's and QuickBooks' account, debit and credit */
static void
account_cells(struct buf *o, const char *account, dec d, dec c)
{
	csv_text(o, account, 0);
	csv_amount(o, d);
	csv_amount(o, c);
}

/* ---- the books' mapping ---- */

static const struct books_erp *
erp_of(const struct accounts *acc, enum entry_fmt fmt, const char *entity,
    const struct books **bp)
{
	const struct books *b = entity ? books_of(acc, entity) : NULL;
	const struct books_erp *x = b ? books_erp(b, erp_names[fmt]) : NULL;

	if (x == NULL)
		die(EX_CONFIG, "%s: entity '%s' has %s: its %s import file needs "
		    "the entity's \"erp\": {\"%s\": {...}} in the accounts file",
		    acc->path, entity ? entity : "?", b ? "no ERP names" :
		    "no books", erp_names[fmt], erp_names[fmt]);
	*bp = b;
	return x;
}

/* What the books lack for the format: 0, or -1 with why. */
static int
books_check(const struct books *b, enum entry_fmt fmt, char *why, size_t n)
{
	const struct books_erp *x = books_erp(b, erp_names[fmt]);
	const char **v, *code = NULL;
	size_t i, nv;
	int r = 0, pass;

	if (x == NULL) {
		snprintf(why, n, "entity '%s' has no \"erp\": {\"%s\": {...}}: "
		    "the ERP's accounts%s are not known", b->entity,
		    erp_names[fmt], fmt == ENTRY_NETSUITE ? " and subsidiary" :
		    fmt == ENTRY_XERO ? " and tax rates" : "");
		return -1;
	}
	if (fmt == ENTRY_NETSUITE && x->subsidiary == NULL) {
		snprintf(why, n, "entity '%s': erp.netsuite has no subsidiary",
		    b->entity);
		return -1;
	}
	v = books_accounts(b, &nv);
	for (i = 0; i < nv && r == 0; i++)
		if (books_erp_account(x, v[i]) == NULL) {
			snprintf(why, n, "entity '%s': account '%s' has no %s "
			    "account in erp.%s.accounts", b->entity, v[i],
			    fmt == ENTRY_XERO ? "code of a Xero" :
			    erp_names[fmt], erp_names[fmt]);
			r = -1;
		}
	/* Xero's tax rates: a tax code's missing said first, then others' */
	for (pass = 0; pass < 2 && fmt == ENTRY_XERO; pass++)
		for (i = 0; i < nv && r == 0; i++) {
			code = NULL;
			if (books_erp_tax_rate(b, x, v[i], &code) != NULL ||
			    (code != NULL) != (pass == 0))
				continue;
			if (code != NULL)
				snprintf(why, n, "entity '%s': tax code '%s' "
				    "(account '%s') has no Xero tax rate in "
				    "erp.xero.tax_rates, nor is there a "
				    "\"default\"", b->entity, code, v[i]);
			else
				snprintf(why, n, "entity '%s': account '%s' "
				    "has no tax code: erp.xero.tax_rates needs "
				    "a \"default\" rate", b->entity, v[i]);
			r = -1;
		}
	free(v);
	return r;
}

int
imp_check(const struct accounts *acc, enum entry_fmt fmt, char *why,
    size_t n)
{
	size_t i;

	for (i = 0; i < acc->n; i++)
		if (acc->v[i].entity != NULL &&
		    books_check(&acc->v[i], fmt, why, n) < 0)
			return -1;
	return 0;
}

/* The ERP's account of a line: an account the books no longer map, die. */
static const char *
account_cell(const struct imp_out *w, const struct books *b,
    const struct books_erp *x, json_t *e, const char *acct)
{
	const char *c = acct ? books_erp_account(x, acct) : NULL;

	if (c == NULL)
		die(EX_CONFIG, "%s: entity '%s': account '%s' of entry %s has "
		    "no %s account in erp.%s.accounts", w->acc->path, b->entity,
		    acct ? acct : "?", jval_str(e, "id"), erp_names[w->fmt],
		    erp_names[w->fmt]);
	return c;
}

static const char *
customer_cell(const struct books_erp *x, json_t *e)
{
	const char *id = jval_str(e, "customer"), *c;

	if (id == NULL)
		return "";
	return (c = hmap_get(&x->customers.m, id)) != NULL ? c : id;
}

/* ---- the rows ---- */

/* The optional columns an entity's books give (department, class, location). */
enum { COL_DEPT = 1, COL_CLASS = 2, COL_LOC = 4 };

static int
columns(const struct books_erp *x)
{
	return (x->department ? COL_DEPT : 0) | (x->class ? COL_CLASS : 0) |
	    (x->location ? COL_LOC : 0);
}

/* The header row of a file: its optional columns too. */
static void
header(enum entry_fmt fmt, int cols, struct buf *o)
{
	switch (fmt) {
	case ENTRY_NETSUITE:
		buf_adds(o, "External ID,Subsidiary,Currency,Exchange Rate,"
		    "Date,Posting Period,Memo,Reference,Account,Debit,Credit,"
		    "Line Memo,Name");
		if (cols & COL_DEPT)
			buf_adds(o, ",Department");
		if (cols & COL_CLASS)
			buf_adds(o, ",Class");
		if (cols & COL_LOC)
			buf_adds(o, ",Location");
		break;
	case ENTRY_XERO:
		buf_adds(o, "*Narration,*Date,Description,*AccountCode,"
		    "*TaxRate,*Amount,TrackingName1,TrackingOption1,"
		    "TrackingName2,TrackingOption2");
		break;
	default:
		buf_adds(o, "JournalNo,JournalDate,Currency,Account,Debits,"
		    "Credits,Description,Name");
		if (cols & COL_LOC)
			buf_adds(o, ",Location");
		if (cols & COL_CLASS)
			buf_adds(o, ",Class");
		break;
	}
	buf_addc(o, '\n');
}

/* The optional cells of a row: those of the file's columns, or empty. */
static void
tail_cells(struct buf *o, int cols, const int *col, const char *const *v,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cols & col[i])
			csv_text(o, v[i], 0);
	if (o->len > 0 && o->p[o->len - 1] == ',')
		o->p[o->len - 1] = '\n';
}

/* An entry's rows in the format: how many (a line of 0 has none). */
static size_t
rows(const struct imp_out *w, const struct books *b,
    const struct books_erp *x, int cols, json_t *e, struct buf *o)
{
	json_t *doc = json_object_get(e, "document"), *ls, *l;
	const char *fx = jval_str(e, "fx_rate"), *acct, *code, *rate;
	char narr[300], full[600], date[32], period[16], qno[32];
	dec d, c, fd, fc, a;
	size_t i, n = 0;
	int64_t y;
	unsigned m, dd;

	entry_narration(e, narr, sizeof(narr));
	snprintf(full, sizeof(full), "%s, %s", narr, customer_cell(x, e));
	date_cell(jval_str(e, "date"), w->fmt == ENTRY_XERO ? DATE_XERO :
	    w->fmt == ENTRY_QBO ? DATE_QBO : w->datefmt, date, sizeof(date));
	tm_civil_from_days(tm_day_parse(jval_str(e, "date")), &y, &m, &dd);
	snprintf(period, sizeof(period), "%s %04" PRId64, mon[m - 1], y);
	snprintf(qno, sizeof(qno), "%.*s", QBO_JOURNALNO, jval_str(e, "id"));
	ls = json_object_get(e, "lines");
	json_array_foreach(ls, i, l) {
		d = jval_dec_or_zero(l, "debit");
		c = jval_dec_or_zero(l, "credit");
		fd = jval_dec_or_zero(l, "functional_debit");
		fc = jval_dec_or_zero(l, "functional_credit");
		acct = jval_str(l, "account");
		if (w->fmt == ENTRY_XERO) {
			/* the books' currency, debits above 0 */
			const char *tr[4] = { NULL, NULL, NULL, NULL };

			if (dec_sign(fd) == 0 && dec_sign(fc) == 0)
				continue;
			if (dec_sub(fd, fc, &a) != DEC_OK)
				die(EX_DATAERR, "entry %s: amounts overflow",
				    jval_str(e, "id"));
			snprintf(full, sizeof(full), "%s, %s [%s]", narr,
			    customer_cell(x, e), jval_str(e, "id"));
			csv_text(o, full, 0);
			csv_num(o, date, 0);
			csv_text(o, jval_str(l, "memo"), 0);
			csv_text(o, account_cell(w, b, x, e, acct), 0);
			if ((rate = books_erp_tax_rate(b, x, acct, &code)) ==
			    NULL)
				die(EX_CONFIG, "%s: entity '%s': account '%s' of "
				    "entry %s has no Xero tax rate in "
				    "erp.xero.tax_rates", w->acc->path,
				    b->entity, acct, jval_str(e, "id"));
			csv_text(o, rate, 0);
			csv_num(o, dec_str(a).s, 0);
			for (size_t k = 0; k < x->ntracking; k++) {
				tr[2 * k] = x->tracking[k].k;
				tr[2 * k + 1] = x->tracking[k].v;
			}
			for (size_t k = 0; k < 4; k++)
				csv_text(o, tr[k], k == 3);
			n++;
			continue;
		}
		/* the ERP converts itself: no functional-only rounding row */
		if (dec_sign(d) == 0 && dec_sign(c) == 0)
			continue;
		if (w->fmt == ENTRY_NETSUITE) {
			const char *opt[] = { x->department, x->class,
			    x->location };
			static const int col[] = { COL_DEPT, COL_CLASS,
			    COL_LOC };

			csv_text(o, jval_str(e, "id"), 0);
			csv_text(o, x->subsidiary, 0);
			csv_text(o, jval_str(e, "currency"), 0);
			csv_num(o, fx ? fx : "1", 0);
			csv_num(o, date, 0);
			csv_text(o, period, 0);
			csv_text(o, full, 0);
			csv_text(o, jval_str(doc, "number"), 0);
			account_cells(o, account_cell(w, b, x, e, acct), d, c);
			csv_text(o, jval_str(l, "memo"), 0);
			csv_text(o, customer_cell(x, e), 0);
			tail_cells(o, cols, col, opt, 3);
		} else {
			const char *opt[] = { x->location, x->class };
			static const int col[] = { COL_LOC, COL_CLASS };
			char desc[700];

			snprintf(desc, sizeof(desc), "%s: %s", full,
			    jval_str_or(l, "memo", ""));
			csv_text(o, qno, 0);
			csv_num(o, date, 0);
			csv_text(o, jval_str(e, "currency"), 0);
			account_cells(o, account_cell(w, b, x, e, acct), d, c);
			csv_text(o, desc, 0);
			csv_text(o, customer_cell(x, e), 0);
			tail_cells(o, cols, col, opt, 2);
		}
		n++;
	}
	return n;
}

/* ---- the files ---- */

void
imp_init(struct imp_out *w, enum entry_fmt fmt, const struct accounts *acc,
    const char *dir, int datefmt)
{
	const struct books_erp *x;

	memset(w, 0, sizeof(*w));
	w->fmt = fmt;
	w->acc = acc;
	w->dir = dir;
	w->datefmt = datefmt;
	w->limit = fmt == ENTRY_XERO ? XERO_LINES : fmt == ENTRY_QBO ?
	    QBO_LINES : NETSUITE_LINES;
	for (size_t i = 0; i < acc->n; i++)
		if (fmt >= ENTRY_NETSUITE && (x = books_erp(&acc->v[i],
		    erp_names[fmt])) != NULL)
			w->cols |= columns(x);
	if (dir != NULL && access(dir, W_OK | X_OK) != 0)
		die(EX_CANTCREAT, "--out-dir '%s': %s", dir, strerror(errno));
}

/* The entity's file of the month that takes n more rows. */
static struct imp_file *
file_for(struct imp_out *w, const char *entity, int64_t month, size_t n)
{
	struct imp_file *f = NULL;
	size_t i;

	for (i = w->nf; i-- > 0;)
		if (w->f[i].month == month && strcmp(w->f[i].entity, entity) ==
		    0) {
			f = &w->f[i];
			break;
		}
	if (f != NULL && f->rows + n <= w->limit)
		return f;
	/* none yet, or full: the next one (its number found when opened) */
	w->f = xreallocarray(w->f, w->nf + 1, sizeof(*w->f));
	f = &w->f[w->nf++];
	memset(f, 0, sizeof(*f));
	f->entity = xstrdup(entity);
	f->month = month;
	return f;
}

int
imp_add(struct imp_out *w, const char *rec, size_t len, struct buf *out)
{
	const struct books_erp *x;
	const struct books *b;
	struct buf *r = &w->row, *h = &w->hdr;
	const char *entity;
	int64_t y, day;
	unsigned m, d;
	size_t n;
	json_t *e;

	/* the record and its rows are the writer's: a die() leaves no leak */
	buf_reset(r);
	buf_reset(h);
	if ((e = w->e = json_loadb(rec, len, 0, NULL)) == NULL)
		return -1;
	entity = jval_str(e, "entity");
	x = erp_of(w->acc, w->fmt, entity, &b);
	if ((n = rows(w, b, x, w->dir == NULL && w->fmt == ENTRY_NETSUITE ?
	    w->cols : columns(x), e, r)) == 0)
		goto done;
	if (n > w->limit)
		die(EX_DATAERR, "entry %s has %zu lines: a %s import file takes "
		    "%zu at most, and an entry is never split", jval_str(e,
		    "id"), n, erp_names[w->fmt], w->limit);
	if (w->dir == NULL) {
		/*
		 * One file: one entity's, as a Xero organisation or a
		 * QuickBooks company is one; NetSuite's rows name their
		 * subsidiary, with the columns of every entity's books.
		 */
		if (w->entity == NULL) {
			w->entity = xstrdup(entity);
			header(w->fmt, w->fmt == ENTRY_NETSUITE ? w->cols :
			    columns(x), h);
			buf_add(out, h->p, h->len);
		} else if (strcmp(w->entity, entity) != 0 && w->fmt !=
		    ENTRY_NETSUITE)
			die(EX_USAGE, "entries of entities '%s' and '%s' cannot "
			    "share one %s import file: use --out-dir DIR (with "
			    "--ledger, the entries written before stay pending: "
			    "--retry-pending --out-dir DIR writes them again)",
			    w->entity, entity, erp_names[w->fmt]);
		if (w->rows + n > w->limit)
			die(EX_USAGE, "more than %zu lines for one %s import "
			    "file: use --out-dir DIR, where they are split (with "
			    "--ledger, the entries written before stay pending: "
			    "--retry-pending --out-dir DIR writes them again)",
			    w->limit, erp_names[w->fmt]);
		w->rows += n;
		buf_add(out, r->p, r->len);
	} else {
		struct imp_file *f;

		day = tm_day_parse(jval_str(e, "date"));
		tm_civil_from_days(day, &y, &m, &d);
		f = file_for(w, entity, y * 12 + m - 1, n);
		f->rows += n;
		f->entries++;
		buf_add(&f->pend, r->p, r->len);
	}
done:
	json_decref(e);
	w->e = NULL;
	return 0;
}

/* DIR/FMT-ENTITY-YYYY-MM-N.csv, N the first number not taken: a file
 * of an earlier run, not imported yet, is never overwritten. */
static void
file_open(struct imp_out *w, struct imp_file *f)
{
	const struct books *b;
	struct buf *h = &w->hdr;
	char path[4096], ent[256];
	size_t i;
	int fd, num, r;

	/* the entity's id as a file name: no '/', no leading dot */
	for (i = 0; f->entity[i] != '\0' && i < sizeof(ent) - 1; i++)
		ent[i] = strchr("/\\:*?\"<>| \t", f->entity[i]) != NULL ||
		    (unsigned char)f->entity[i] < 0x20 || (i == 0 &&
		    f->entity[i] == '.') ? '_' : f->entity[i];
	ent[i] = '\0';
	for (num = 1;; num++) {
		r = snprintf(path, sizeof(path), "%s/%s-%s-%04" PRId64
		    "-%02d-%d.csv", w->dir, erp_names[w->fmt], ent,
		    f->month / 12, (int)(f->month % 12) + 1, num);
		if (r < 0 || (size_t)r >= sizeof(path))
			die(EX_CANTCREAT, "'%s': the directory's name is too "
			    "long", w->dir);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0)
			break;
		if (errno != EEXIST)
			die(EX_CANTCREAT, "cannot create '%s': %s", path,
			    strerror(errno));
	}
	if ((f->fp = fdopen(fd, "w")) == NULL)
		die(EX_OSERR, "fdopen '%s': %s", path, strerror(errno));
	f->path = xstrdup(path);
	buf_reset(h);
	header(w->fmt, columns(erp_of(w->acc, w->fmt, f->entity, &b)), h);
	if (fwrite(h->p, 1, h->len, f->fp) != h->len)
		die(EX_IOERR, "writing '%s': %s", path, strerror(errno));
}

void
imp_flush(struct imp_out *w)
{
	struct imp_file *f;
	size_t i;

	for (i = 0; i < w->nf; i++) {
		f = &w->f[i];
		if (f->pend.len == 0)
			continue;
		if (f->fp == NULL)
			file_open(w, f);
		if (fwrite(f->pend.p, 1, f->pend.len, f->fp) != f->pend.len ||
		    fflush(f->fp) != 0)
			die(EX_IOERR, "writing '%s': %s", f->path,
			    strerror(errno));
		buf_reset(&f->pend);
	}
}

void
imp_close(struct imp_out *w)
{
	struct imp_file *f;
	size_t i;

	imp_flush(w);
	for (i = 0; i < w->nf; i++) {
		f = &w->f[i];
		if (f->fp != NULL) {
			if (fclose(f->fp) != 0)
				die(EX_IOERR, "writing '%s': %s", f->path,
				    strerror(errno));
			warnmsg("wrote %s: %zu entries, %zu lines", f->path,
			    f->entries, f->rows);
		}
		free(f->path);
		free(f->entity);
		buf_free(&f->pend);
	}
	free(w->f);
	free(w->entity);
	buf_free(&w->row);
	buf_free(&w->hdr);
	memset(w, 0, sizeof(*w));
}
