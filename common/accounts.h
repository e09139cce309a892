/*
 * accounts.h: the chart of accounts and posting rules erp-post follows
 * (usage-to-cash(5), "accounts file"): for each legal entity, where a
 * document's receivable, revenue, tax, prepaid credits and deferred
 * revenue go, and which accounting periods are closed.
 *
 *   {"entities":[{"entity":"acme-eu","receivable":"Assets:Receivable",
 *     "revenue":"Income:Revenue","tax":"Liabilities:VAT",
 *     "closed_through":"2026-09-30","closed_policy":"next_open"}]}
 */
#ifndef ACCOUNTS_H
#define ACCOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

/* A name and its value, kept in the file's order. */
struct books_kv {
	char		*k, *v;
};

/* One account for a key (a charge id, a tax code, a tax category). */
struct acctmap {
	struct hmap	 m;		/* key -> account name */
};

/*
 * What one ERP calls an entity's books (the member "erp" of its books:
 * {"tryton":{"company":...,"journal":...,"accounts":{ours: code}}}),
 * for erp-send(1): its company, journal and the code of each account.
 */
struct books_erp {
	char		*erp;		/* "tryton" */
	char		*company;	/* NULL: the entity's id */
	char		*journal;	/* NULL: the ERP's default */
	struct acctmap	 accounts;	/* our account -> its code */
	/* the import files' (impfile.h): NULL or empty when not given */
	char		*subsidiary;	/* netsuite */
	char		*department, *class, *location;	/* netsuite, qbo */
	struct acctmap	 customers;	/* our customer id -> its name */
	struct books_kv	*tax_rates;	/* xero: our tax code -> its rate */
	size_t		 ntax_rates;	/*   in the file's order */
	struct books_kv	*tracking;	/* xero: category -> option, <= 2 */
	size_t		 ntracking;
};

struct books {
	char		*entity;
	char		*receivable, *revenue, *tax, *deferred, *credit;
	char		*discounts;	/* NULL: a discount reduces its revenue */
	char		*rounding;	/* functional-currency rounding */
	char		*cash, *clearing;
	char		*fx_gain, *fx_loss;	/* realized FX; rounding */
	/*
	 * Expired prepaid credit: a paid grant's unused balance is
	 * breakage (revenue; default: the revenue account); a
	 * promotional grant is booked against promotions (contra-revenue;
	 * default: discounts, else revenue) and reversed there.
	 */
	char		*breakage, *promotions;
	struct acctmap	 by_charge, by_tax_code, by_category;
	int64_t		 closed_through;	/* a day; INT64_MIN: none */
	int64_t		*closed_months;		/* days of their 1st */
	size_t		 nclosed;
	int		 reject_closed;	/* closed_policy "reject" */
	struct books_erp *erp;
	size_t		 nerp;
};

struct accounts {
	const char	*path;
	struct books	*v;
	size_t		 n;
	struct hmap	 by_entity;
};

void	accounts_load(struct accounts *, const char *path);
void	accounts_free(struct accounts *);
const struct books *books_of(const struct accounts *, const char *entity);
/* The revenue account of a line: its charge's, its tax code's, else. */
const char	*acct_revenue(const struct books *, const char *charge,
		    const char *tax_code, const char *line_type);
/* The tax account of a category and rate ("S:19", then "S", else). */
const char	*acct_tax(const struct books *, const char *category,
		    const char *rate);
/*
 * The day a document dated `day` is posted on: itself when its period is
 * open, else the first open day after (closed_policy "next_open"), or
 * -1 (closed_policy "reject").  Days are days since 1970-01-01.
 */
int64_t		 books_post_day(const struct books *, int64_t day);
/* What an account is in the entity's books. */
enum { ROLE_NONE, ROLE_RECEIVABLE, ROLE_REVENUE, ROLE_TAX, ROLE_OTHER };
int		 books_role(const struct books *, const char *account);
/* 1 when the account is one of the entity's. */
int		 books_has(const struct books *, const char *account);

/* The books' mapping for an ERP ("tryton"), or NULL. */
const struct books_erp *books_erp(const struct books *, const char *erp);
/* The ERP's code of one of our accounts, or NULL when not mapped. */
const char	*books_erp_account(const struct books_erp *, const char *);
/*
 * The tax rate an ERP's import file gives a line on one of our accounts
 * (erp.xero.tax_rates): that of the first tax code or category of the
 * accounts file (revenue_by_tax_code, tax_by_category) that maps to the
 * account and has a rate, else the rate "default"; NULL when none, with
 * *code the tax code that has no rate (NULL: the account has none).
 */
const char	*books_erp_tax_rate(const struct books *,
		    const struct books_erp *, const char *account,
		    const char **code);
/* Every account of the books, in a fixed order: n is set. */
const char	**books_accounts(const struct books *, size_t *n);

#endif
