/*
 * credits.c: the open prepaid credit grants, as a table and as NDJSON;
 * see credits.h.
 */
#include <stdlib.h>
#include <string.h>

#include "credits.h"
#include "currency.h"
#include "jw.h"
#include "tm.h"

int
cred_add(struct cred_rows *r, const char *customer, const char *currency,
    const char *id, int paid, int64_t priority, int64_t granted,
    int64_t expires, dec amount, dec drawn, int64_t as_of)
{
	struct cred_row *x;
	int minor = cur_minor(currency);
	dec bal;

	/* open at as_of: a period ending then could still draw on it */
	if (expires < as_of || dec_sub(amount, drawn, &bal) != DEC_OK ||
	    dec_sign(bal) <= 0)
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	x = &r->v[r->n++];
	x->customer = xstrdup(customer);
	x->currency = xstrdup(currency);
	x->id = xstrdup(id);
	x->paid = paid;
	x->priority = priority;
	x->granted = granted;
	x->expires = expires;
	/* the ledger keeps "50" for 50.00: the currency's places */
	if (minor < 0 || dec_round(amount, minor, DEC_HALF_UP, &x->amount) !=
	    DEC_OK || dec_round(drawn, minor, DEC_HALF_UP, &x->drawn) !=
	    DEC_OK || dec_round(bal, minor, DEC_HALF_UP, &x->balance) !=
	    DEC_OK) {
		x->amount = amount;
		x->drawn = drawn;
		x->balance = bal;
	}
	return 1;
}

void
cred_report(const struct cred_rows *r, int64_t as_of, struct buf *o)
{
	char day[16], ts[TM_FMTMAX], a[DEC_FMTMAX], d[DEC_FMTMAX],
	    b[DEC_FMTMAX];
	dec tot[3];
	size_t i, j;

	tm_day_str(as_of / TM_NS_PER_SEC / 86400, day, sizeof(day));
	buf_printf(o, "Open credit grants as of %s, in the order drawn\n\n"
	    "%-24s %-4s %-16s %-5s %4s %-10s %-20s %12s %12s %12s\n", day,
	    "customer", "cur", "grant", "kind", "prio", "granted", "expires",
	    "amount", "drawn", "balance");
	/* rows come by customer, currency: a total per currency run */
	for (i = 0; i < r->n; i = j) {
		tot[0] = tot[1] = tot[2] = DEC_ZERO;
		for (j = i; j < r->n && strcmp(r->v[j].currency,
		    r->v[i].currency) == 0; j++) {
			const struct cred_row *x = &r->v[j];

			if (x->expires == INT64_MAX)
				snprintf(ts, sizeof(ts), "never");
			else
				tm_fmt(x->expires, ts, sizeof(ts));
			tm_day_str(x->granted / TM_NS_PER_SEC / 86400 -
			    (x->granted < 0 && x->granted % (86400 *
			    TM_NS_PER_SEC) != 0), day, sizeof(day));
			dec_fmt(x->amount, a, sizeof(a));
			dec_fmt(x->drawn, d, sizeof(d));
			dec_fmt(x->balance, b, sizeof(b));
			buf_printf(o, "%-24.24s %-4s %-16.16s %-5s %4lld %-10s "
			    "%-20s %12s %12s %12s\n", x->customer, x->currency,
			    x->id, x->paid ? "paid" : "promo",
			    (long long)x->priority, day, ts, a, d, b);
			dec_add(tot[0], x->amount, &tot[0]);
			dec_add(tot[1], x->drawn, &tot[1]);
			dec_add(tot[2], x->balance, &tot[2]);
		}
		dec_fmt(tot[0], a, sizeof(a));
		dec_fmt(tot[1], d, sizeof(d));
		dec_fmt(tot[2], b, sizeof(b));
		buf_printf(o, "%-24s %-4s %-16s %-5s %4s %-10s %-20s %12s %12s "
		    "%12s\n\n", "total", r->v[i].currency, "", "", "", "", "",
		    a, d, b);
	}
	if (r->n == 0)
		buf_adds(o, "(none open)\n");
}

void
cred_ndjson(const struct cred_rows *r, int64_t as_of, struct buf *o)
{
	struct jw w;
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct cred_row *x = &r->v[i];

		jw_init(&w, o);
		jw_open(&w, '{');
		JW_KEY(&w, "kind");
		jw_str(&w, "grant_balance");
		JW_KEY(&w, "customer");
		jw_str(&w, x->customer);
		JW_KEY(&w, "id");
		jw_str(&w, x->id);
		JW_KEY(&w, "currency");
		jw_str(&w, x->currency);
		JW_KEY(&w, "paid");
		jw_bool(&w, x->paid);
		JW_KEY(&w, "priority");
		jw_int(&w, x->priority);
		JW_KEY(&w, "granted_at");
		jw_time(&w, x->granted);
		JW_KEY(&w, "expires");
		if (x->expires == INT64_MAX)
			jw_null(&w);
		else
			jw_time(&w, x->expires);
		JW_KEY(&w, "amount");
		jw_dec(&w, x->amount);
		JW_KEY(&w, "drawn");
		jw_dec(&w, x->drawn);
		JW_KEY(&w, "balance");
		jw_dec(&w, x->balance);
		JW_KEY(&w, "as_of");
		jw_time(&w, as_of);
		jw_close(&w, '}');
		buf_addc(o, '\n');
	}
}

void
cred_free(struct cred_rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].customer);
		free(r->v[i].currency);
		free(r->v[i].id);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
