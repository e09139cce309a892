/*
 * rated.h: rate(1)'s records (usage-to-cash(5)): the rated line, its
 * struct, writer and reader, and the spending alert, which begins like
 * a rated line (writer only).
 *
 * rate writes them (rated_write, rated_alert_write) from what its
 * pricing decided (rating.h); invoice-gen reads the lines back with
 * rated_read, which refuses what is not a good rated line; reconcile
 * with rated_view, which takes a line as it is written.  What a line
 * is worth is rating.c's; here is only how it is written: the members,
 * their order and each line type's breakdown.
 */
#ifndef RATED_H
#define RATED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dec.h"
#include "keys.h"
#include "util.h"

struct aggrec;
struct charge;
struct contract;
struct discount;
struct jrec;
struct price_pct_out;
struct price_step;

/*
 * A rated line to write: the catalog's contract, charge and discount it
 * prices, and for a usage line the aggregates (their keys and lineage
 * are written).
 */
struct rated_out {
	const char	*customer;
	int64_t		 ps, pe;	/* the billing period */
	int		 preview;
	const struct contract *c;
	const struct charge *ch;	/* NULL: plan-wide */
	const struct discount *disc;
	const char	*type;		/* usage flat true_up discount credit */
	const char	*model;
	int64_t		 ss, se;	/* service period */
	dec		 qty, amount_x, amount;
	struct buf	 brk;		/* breakdown members, without braces */
	/* usage lines */
	const char	*gtext;
	struct aggrec	**a;
	size_t		 na;
	int		 has_free;
	dec		 billable;
};

/* Append the line, newline-terminated. */
void	rated_write(struct buf *, const struct rated_out *);

/*
 * A line's breakdown, by line type and model: each replaces l->brk.
 * The amounts are the pricing's; these only write them.
 */
void	rated_brk_unit(struct rated_out *, const struct charge *);
/* steps[0..n) as price_graduated() or price_volume() gave them */
void	rated_brk_tiers(struct rated_out *, const struct charge *,
	    const struct price_step *, size_t n);
void	rated_brk_package(struct rated_out *, const struct charge *,
	    dec packages);
/* a prorated charge: the units at the end and the period's days */
void	rated_brk_prorated(struct rated_out *, const struct charge *,
	    dec full, int64_t days);
/* what price_pct_line() found; free units only when the charge has them */
void	rated_brk_pct(struct rated_out *, const struct charge *,
	    const struct price_pct_out *);
/* a flat fee for num / den of the period (ns); num == den: whole */
void	rated_brk_flat(struct rated_out *, const struct charge *,
	    int64_t num, int64_t den);
void	rated_brk_trueup(struct rated_out *, dec minimum, dec before);
void	rated_brk_discount(struct rated_out *, const struct discount *,
	    dec base);
void	rated_brk_credit(struct rated_out *, dec balance_before,
	    dec balance_after, dec due_before);
/* after rated_brk_credit: the grants drawn, "grants":[{id, amount}] */
void	rated_brk_grants(struct rated_out *, const char *const *id,
	    const dec *amount, size_t n);

/* A spending threshold crossed in a period. */
struct rated_alert {
	const char	*customer;
	const struct contract *c;
	const char	*threshold;	/* its id */
	dec		 threshold_amount;
	dec		 amount;	/* the period's spending */
	int64_t		 ps, pe;	/* the billing period */
	int64_t		 as_of;
	int		 preview;
	int		 invoice;	/* "invoice": true, only when true */
};

/* Append the alert, newline-terminated. */
void	rated_alert_write(struct buf *, const struct rated_alert *);

/* Strings point into the jrec's tree: copy what must outlive it. */
struct rated {
	unsigned char	 key[KEY_LEN];
	const char	*customer, *contract, *plan, *charge, *line_type;
	const char	*model, *name, *tax_code, *meter, *discount;
	int64_t		 plan_version;
	json_t		*group;
	int64_t		 ps, pe, ss, se;	/* period, service period */
	dec		 quantity, amount;
	char		 currency[4];
	int		 preview;
	int		 has_lineage;
	unsigned char	 lineage[KEY_LEN];
	const char	*unit_code;	/* NULL: none (C62) */
	int64_t		 decimals;	/* display_decimals; -1: none */
	json_t		*breakdown;	/* NULL when not an object */
	json_t		*price;		/* invoice-gen's, owned: inv_line_price */
};

/*
 * Check a parsed record is a rated line of a schema we read and pick out
 * its fields.  0, or -1 with the jrec's code, field and msg set:
 * "not_rated" (another kind), "unsupported_schema", "missing_field",
 * "invalid_field", "invalid_time", "invalid_amount".
 */
int	rated_read(struct jrec *, struct rated *);

/*
 * A rated line as written, for a reader that compares rather than
 * refuses: strings as they are (NULL when absent or not strings), an
 * amount that is not an exact decimal 0, and the "aggregates" member as
 * found.  Strings point into the record's tree.
 */
struct rated_view {
	const char	*key, *customer, *charge, *line_type, *currency;
	const char	*lineage, *ps, *pe;
	dec		 amount;
	json_t		*aggregates;
};

/*
 * The parsed record j as a rated line, lenient: no schema or member is
 * checked.  0; 1 when it is a spending alert (a record of rate's that is
 * no line); -1 when it is neither (its kind is not "rated", or it has no
 * key): the caller says so, or not.
 */
int	rated_view(json_t *j, struct rated_view *);

#endif
