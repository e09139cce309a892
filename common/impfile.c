/*
 * impfile.c: the ERP import files (NetSuite, Xero, QuickBooks Online
 * CSV), written from a journal entry record; see impfile.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>

#include "entry.h"
#include "impfile.h"
#include "jval.h"

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
	csv_num(o, entry_is_zero(jval_str(l, "debit")) ? "" : jval_str(l, "debit"),
	    0);
	csv_num(o, entry_is_zero(jval_str(l, "credit")) ? "" : jval_str(l, "credit"),
	    0);
	csv_text(o, jval_str(l, "memo"), 0);
	csv_text(o, jval_str(e, "customer"), 1);
}

void
imp_csv(struct entry_out *w, json_t *e, struct buf *o)
{
	json_t *ls, *l;
	char narr[512], full[300], amt[DEC_FMTMAX + 2], qno[32];
	size_t i;

	if (!w->header) {
		buf_printf(o, "%s\n", csv_headers[w->fmt]);
		w->header = 1;
	}
	entry_narration(e, full, sizeof(full));
	snprintf(narr, sizeof(narr), "%s, %s%s%s%s", full, jval_str(e, "customer"),
	    w->fmt == ENTRY_XERO ? " [" : "", w->fmt == ENTRY_XERO ? jval_str(e, "id") : "",
	    w->fmt == ENTRY_XERO ? "]" : "");
	/* QuickBooks takes journal numbers of 21 characters at most */
	snprintf(qno, sizeof(qno), "%.21s", jval_str(e, "id"));
	ls = json_object_get(e, "lines");
	json_array_foreach(ls, i, l) {
		/* the ERP converts itself: no functional-only rounding row */
		if (w->fmt != ENTRY_XERO && entry_is_zero(jval_str(l, "debit")) &&
		    entry_is_zero(jval_str(l, "credit")))
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
			csv_num(o, entry_side_amount(l, "functional_debit",
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
