/*
 * receivable.c: payments against invoices and the aged receivables;
 * see receivable.h.
 */
#include <stdlib.h>
#include <string.h>

#include "currency.h"
#include "receivable.h"
#include "tm.h"

static const char *const buckets[RCV_NBUCKET] = { "current", "1-30",
    "31-60", "61-90", "90+" };

int
rcv_payment_check(const struct rcv_payment *pr, dec *amount, int64_t *day)
{
	dec m;

	if (pr->invoice == NULL || *pr->invoice == '\0' ||
	    pr->reference == NULL || *pr->reference == '\0' ||
	    pr->amount == NULL || dec_parse(pr->amount, strlen(pr->amount),
	    amount) != DEC_OK || dec_sign(*amount) <= 0 ||
	    pr->currency == NULL || cur_minor(pr->currency) < 0 ||
	    (*day = tm_day_parse(pr->date)) == INT64_MIN)
		return -1;
	if (dec_round(*amount, cur_minor(pr->currency), DEC_DOWN, &m) !=
	    DEC_OK || dec_cmp(m, *amount) != 0)
		return -2;
	*amount = m;
	return 0;
}

/* What is still open takes the payment; the rest is credit. */
int
rcv_apply(dec due, dec *paid, dec amount, dec *applied, dec *excess)
{
	dec open;

	if (dec_sub(due, *paid, &open) != DEC_OK)
		return -1;
	*applied = dec_cmp(amount, open) <= 0 ? amount :
	    dec_sign(open) > 0 ? open : (dec){ 0, amount.s };
	if (dec_sub(amount, *applied, excess) != DEC_OK ||
	    dec_add(*paid, *applied, paid) != DEC_OK)
		return -2;
	return 0;
}

const char *
rcv_status(const char *state, dec amount, dec paid, int64_t due_day,
    int64_t today)
{
	if (strcmp(state, "void") == 0)
		return "void";
	if (dec_cmp(paid, amount) >= 0)
		return "paid";
	if (today > due_day)
		return "overdue";
	return dec_sign(paid) > 0 ? "partially_paid" : "open";
}

int
rcv_bucket(int64_t late)
{
	return late <= 0 ? 0 : late <= 30 ? 1 : late <= 60 ? 2 : late <= 90 ?
	    3 : 4;
}

void
rcv_age_add(struct rcv_aging *a, const char *cust, const char *cur,
    int64_t late, dec open)
{
	size_t i;
	int k;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].customer, cust) == 0 &&
		    strcmp(a->v[i].currency, cur) == 0)
			break;
	if (i == a->n) {
		a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
		memset(&a->v[i], 0, sizeof(a->v[i]));
		a->v[i].customer = xstrdup(cust);
		a->v[i].currency = xstrdup(cur);
		for (k = 0; k <= RCV_NBUCKET; k++)
			a->v[i].b[k] = (dec){ 0, cur_minor(cur) };
		a->n++;
	}
	k = rcv_bucket(late);
	dec_add(a->v[i].b[k], open, &a->v[i].b[k]);
	dec_add(a->v[i].b[RCV_NBUCKET], open, &a->v[i].b[RCV_NBUCKET]);
}

static int
row_cmp(const void *x, const void *y)
{
	const struct rcv_agerow *a = x, *b = y;
	int c = strcmp(a->currency, b->currency);

	return c ? c : strcmp(a->customer, b->customer);
}

void
rcv_age_report(struct rcv_aging *a, int64_t today, struct buf *o)
{
	char day[16], v[DEC_FMTMAX];
	dec tot[RCV_NBUCKET + 1];
	size_t i, j;
	int k;

	if (a->n > 0)
		qsort(a->v, a->n, sizeof(*a->v), row_cmp);
	tm_day_str(today, day, sizeof(day));
	buf_printf(o, "Receivables as of %s, by days past due\n\n%-24s %-4s",
	    day, "customer", "cur");
	for (k = 0; k < RCV_NBUCKET; k++)
		buf_printf(o, " %12s", buckets[k]);
	buf_printf(o, " %12s\n", "total");
	for (i = 0; i < a->n; i = j) {
		for (k = 0; k <= RCV_NBUCKET; k++)
			tot[k] = (dec){ 0, a->v[i].b[0].s };
		for (j = i; j < a->n && strcmp(a->v[j].currency,
		    a->v[i].currency) == 0; j++) {
			buf_printf(o, "%-24.24s %-4s", a->v[j].customer,
			    a->v[j].currency);
			for (k = 0; k <= RCV_NBUCKET; k++) {
				dec_fmt(a->v[j].b[k], v, sizeof(v));
				buf_printf(o, " %12s", v);
				dec_add(tot[k], a->v[j].b[k], &tot[k]);
			}
			buf_addc(o, '\n');
		}
		buf_printf(o, "%-24s %-4s", "total", a->v[i].currency);
		for (k = 0; k <= RCV_NBUCKET; k++) {
			dec_fmt(tot[k], v, sizeof(v));
			buf_printf(o, " %12s", v);
		}
		buf_adds(o, "\n\n");
	}
	if (a->n == 0)
		buf_adds(o, "(nothing open)\n");
}

void
rcv_age_free(struct rcv_aging *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].customer);
		free(a->v[i].currency);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}
