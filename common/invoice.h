/*
 * invoice.h: an invoice key's state and its arithmetic (invoice-gen(1)).
 *
 * An invoice key is a legal entity, a customer, a billing period and a
 * currency (struct inv_head).  What it has billed so far, over all its
 * documents, is its state: its lines' net amounts (and gross, for
 * inclusive prices), its tax per category and the prepaid credit
 * applied.  A run builds the state its rated lines call for now; a
 * document carries the difference from the state stored before it
 * (none before: the invoice; less: a credit note; more: a debit note).
 * Tax is computed on the state, per category, rounded once, and a note
 * carries the change of that rounded tax: however a period is
 * corrected, its documents add up to the tax of what is billed in the
 * end, and a full credit nets an invoice to exactly zero.
 *
 * Owns: the invoice key (its hash, the order keys are numbered in), what
 * makes a rated line the same line, the state and its JSON as the ledger
 * keeps it, a line's tax category from the tax table, the one tax
 * computation (inv_tax), the inclusive splits and the sharing of
 * bill-level lines over the categories, the delta of two states, the
 * order of a bill's lines, a document's totals and the payment terms.
 * Not here: reading rated lines, the ledger, numbering and writing
 * documents (doc.h), FX rates (fxtab.h).  Nothing here writes to a file.
 */
#ifndef INVOICE_H
#define INVOICE_H

#include <stddef.h>
#include <stdint.h>

#include "customers.h"
#include "dec.h"
#include "entities.h"
#include "keys.h"
#include "rated.h"
#include "taxtab.h"

#define INV_CATLEN	96

/* What an invoice key is made of, and is on every document of it. */
struct inv_head {
	unsigned char	 key[KEY_LEN];
	const struct entity *en;
	const struct customer *cu;
	char		 currency[4];
	int		 minor;		/* the currency's decimals */
	int64_t		 ps, pe;	/* the billing period */
};

/* Why an invoice key is not invoiced: a reject's class, code, message. */
struct inv_err {
	const char	*code, *cls;
	char		 msg[512];
};

/* A line of a state; its strings are its own. */
struct inv_line {
	char		 rkey[64];	/* the rated line's key, "#k" for a share */
	const char	*charge, *name, *line_type, *tax_code;
	int		 seen;			/* inv_state_delta's mark */
	int64_t		 ss, se;
	dec		 qty, net, gross;	/* gross: inclusive prices */
	char		 cat[INV_CATLEN];	/* its tax category's id */
	char		 lineage[KEY_HEXLEN];	/* "" when none */
	int64_t		 ord;			/* its place on the bill */
	json_t		*price;	/* unit, decimals, unit price or tiers
				   (inv_line_price); NULL: none */
};

/* A tax category: code, rate, inclusive or not and rounding make its id. */
struct inv_cat {
	char		 id[INV_CATLEN];
	char		 code[3];
	dec		 rate;		/* percent */
	int		 inclusive;
	enum dec_round	 rounding;
	char		*name, *note;
	dec		 base, tax, gross;
};

struct inv_state {
	struct inv_line	*l;
	size_t		 nl;
	struct inv_cat	*c;
	size_t		 nc;
	dec		 credit;		/* prepaid credits, <= 0 */
};

/* The state of a voided invoice key: nothing billed. */
#define INV_STATE_EMPTY	"{\"cats\":{},\"credit\":\"0\",\"lines\":{}}"

/* The invoice key of a rated line billed by entity en to customer cu. */
void	inv_key(const struct entity *en, const struct customer *cu,
	    const struct rated *, unsigned char *key);

/* The order invoice keys are made and numbered in; as strcmp. */
int	inv_head_cmp(const struct inv_head *, const struct inv_head *);

/*
 * What makes a rated line the same line when it is read again: its
 * content (customer, currency, periods, amount, quantity, charge, line
 * type, tax code), hashed.  The same key with another digest is an
 * idempotency conflict.
 */
void	inv_line_digest(const struct rated *, unsigned char *digest);

/*
 * qsort's comparison of struct rated pointers: the order of a bill's
 * lines (flat, usage, true-up, discount, credit; then service start,
 * charge and key).  inv_state_build wants its lines in this order.
 */
int	inv_rated_cmp(const void *, const void *);

/*
 * The state a bill's rated lines r[0..n-1] call for: the charges' lines
 * each in its tax category; then the bill-level lines (a plan's
 * discount or true-up: no charge) shared over those of the categories
 * with a positive amount, in proportion to it, a line "KEY#k" for each
 * (so a share never has the other sign than its line); credits as the
 * prepaid credit; then the tax of each category (inv_state_tax).  0, or
 * -1 with *err set ("no_tax_rule", "amount_overflow").
 */
int	inv_state_build(const struct inv_head *, const struct taxtab *,
	    struct rated *const *r, size_t n, struct inv_state *,
	    struct inv_err *err);
void	inv_state_free(struct inv_state *);

/*
 * The tax category of a line with this tax code: the tax table's rule,
 * exempt ("E", 0 %) for a tax-exempt customer, reverse charge ("AE",
 * 0 %) for a customer abroad with a tax id where the rule says so.
 * 0, or -1 with *err set ("no_tax_rule").  Its strings are the table's.
 */
int	inv_line_cat(const struct inv_head *, const struct taxtab *,
	    const char *tax_code, struct inv_cat *, struct inv_err *err);

/* Lines and categories added to a state (strings copied), and found. */
struct inv_cat	*inv_cat_add(struct inv_state *, const struct inv_cat *);
struct inv_line	*inv_line_add(struct inv_state *, const struct inv_line *);
/* A new object, or NULL: see inv_line_price in invoice.c. */
json_t		*inv_line_price(const struct rated *);
struct inv_cat	*inv_cat_find(struct inv_state *, const char *id);

/*
 * The one tax computation, for one category: amount is the base, or for
 * inclusive prices the gross (base + tax); the tax is rate percent of
 * the base, base x rate / 100 or gross x rate / (100 + rate), rounded
 * once to minor decimals.  0 or a DEC_E* code.  Reconcile's check of a
 * document's tax lines computes the same with this.
 */
int	inv_tax(dec amount, dec rate, enum dec_round, int inclusive, int minor,
	    dec *tax);
/* A category's tax from its base (inclusive: its base from its gross). */
int	inv_cat_tax(struct inv_cat *, int minor);
/*
 * Every category's tax; inclusive prices then have their category's tax
 * taken out of their lines in proportion to their gross (dec_split), so
 * that the lines' nets add up to the category's base exactly.
 */
int	inv_state_tax(struct inv_state *, int minor);

/*
 * What a document carries: now - before, line by line and category by
 * category (before NULL: all of now, the invoice).  Lines and
 * categories that did not change are left out; a line that moved to
 * another category is taken out of the old one and added to the new.
 * before's marks are set.  0 or a DEC_E* code.
 */
int	inv_state_delta(const struct inv_state *now, struct inv_state *before,
	    struct inv_state *d);

/*
 * The state as JSON (compact, keys sorted), as the ledger keeps it, and
 * back: -1 when text is not a state.  inv_state_dump's string is the
 * caller's to free.
 */
char	*inv_state_dump(const struct inv_state *);
int	 inv_state_load(const char *text, struct inv_state *);

/*
 * Progressive billing (invoice-gen(1) --interim): a period invoiced in
 * steps, by interim invoices and then the final one.  Each of them but
 * the first bills the period to date whole, now, and takes off what the
 * earlier ones billed, before (NULL: nothing yet): d is every line of
 * now, then every line of before negated, of line type INV_PROGRESSIVE
 * (without lineage or price), and every category of either with now's
 * base and rounded tax less before's.  So the period's documents add
 * up, category by category, to the tax of the whole rounded once, as a
 * single invoice would.  0 or a DEC_E* code.
 */
#define INV_PROGRESSIVE	"progressive_billing_credit"
int	inv_state_progressive(const struct inv_state *now,
	    const struct inv_state *before, struct inv_state *d);

/* What a document of a state (a delta) adds up to. */
struct inv_totals {
	dec		 net, tax, total, due;	/* due: total + credit */
	char		 lineage[KEY_HEXLEN];	/* the sum of its lines' */
	int		 has_lineage;
};
/*
 * 0, a DEC_E* code, or -1 when the lines' nets and the categories' bases
 * do not add up to the same (a bug).
 */
int	inv_totals(const struct inv_state *, int minor, struct inv_totals *);

/*
 * Payment terms in days: the customer's payment_terms_days, else the
 * entity's.  Dies (EX_CONFIG) when the customer's is not 0 to 3650.
 */
int64_t	inv_terms(const struct inv_head *);

#endif
