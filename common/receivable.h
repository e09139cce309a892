/*
 * receivable.h: what a customer owes on an invoice, as payments come
 * in: a payment's application (the open amount takes it, the rest is
 * kept as the customer's credit), an invoice's payment status, and the
 * aged receivables (open amounts by customer, currency and days past
 * due).  Amounts and days are given; reading payments and the ledger,
 * and storing statuses, is the stage's (erp-post --payments, --aging).
 */
#ifndef RECEIVABLE_H
#define RECEIVABLE_H

#include <stddef.h>
#include <stdint.h>

#include "dec.h"
#include "util.h"

/* A payment as read (CSV or NDJSON), its members as strings. */
struct rcv_payment {
	const char	*invoice, *amount, *currency, *date, *reference;
};
/*
 * Its amount and day: 0; -1 when a member is missing or not valid (the
 * amount above 0, the currency ISO 4217, the date like 2026-11-30); -2
 * when the amount is finer than the currency's minor unit.
 */
int		 rcv_payment_check(const struct rcv_payment *, dec *amount,
		    int64_t *day);
/*
 * A payment of amount against an invoice of amount due of which *paid
 * is paid: what it applies, what is left over (excess), and *paid
 * after it.  0; -1 when the invoice's amounts overflow, -2 the payment's.
 */
int		 rcv_apply(dec due, dec *paid, dec amount, dec *applied,
		    dec *excess);
/*
 * An invoice's status on day today (days since 1970-01-01): void, paid,
 * overdue (after due_day), partially_paid or open.
 */
const char	*rcv_status(const char *state, dec amount, dec paid,
		    int64_t due_day, int64_t today);

/* Open amounts by customer and currency: current, 1-30 ... 90+, total. */
#define RCV_NBUCKET	5
struct rcv_agerow {
	char		*customer, *currency;
	dec		 b[RCV_NBUCKET + 1];	/* and the total */
};
struct rcv_aging {
	struct rcv_agerow *v;
	size_t		 n;
};
/* The bucket of an amount `late` days past due (0: current). */
int		 rcv_bucket(int64_t late);
/* An invoice's open amount, late days past due, into its row. */
void		 rcv_age_add(struct rcv_aging *, const char *customer,
		    const char *currency, int64_t late, dec open);
/* The report as of day today: by currency, then customer; a total each. */
void		 rcv_age_report(struct rcv_aging *, int64_t today,
		    struct buf *);
void		 rcv_age_free(struct rcv_aging *);

#endif
