/*
 * credits.h: the open prepaid credit grants of the customers, as finance
 * reads them (erp-post --aging's second table, and --grants' NDJSON):
 * per customer and currency, each grant still open, in the order its
 * customer's periods draw on them, with what it was, what was drawn on
 * it, its balance and its expiry.  The grants and their draws are given
 * (the ledger's, read by the stage); this module says which are open
 * and writes them.
 */
#ifndef CREDITS_H
#define CREDITS_H

#include <stddef.h>
#include <stdint.h>

#include "dec.h"
#include "util.h"

struct cred_row {
	char		*customer, *currency, *id;
	int		 paid;
	int64_t		 priority, granted, expires;	/* INT64_MAX: never */
	dec		 amount, drawn, balance;
};

struct cred_rows {
	struct cred_row	*v;
	size_t		 n, cap;
};

/*
 * A grant, added when it is open at as_of (not expired: expires at or
 * after it) with a balance above 0: 1, else 0.  Added in the order
 * given, which the reports keep.
 */
int	cred_add(struct cred_rows *, const char *customer,
	    const char *currency, const char *id, int paid, int64_t priority,
	    int64_t granted, int64_t expires, dec amount, dec drawn,
	    int64_t as_of);
/* The table, by customer and currency, with each currency's total. */
void	cred_report(const struct cred_rows *, int64_t as_of, struct buf *);
/* A record of kind "grant_balance" a grant. */
void	cred_ndjson(const struct cred_rows *, int64_t as_of, struct buf *);
void	cred_free(struct cred_rows *);

#endif
