/*
 * posting.h: a document to journal entries, by the posting rules of the
 * accounts file (accounts.h).  A document's entry puts its amount due
 * on the receivable and its prepaid credit on the credit account,
 * against revenue (deferred revenue for a line billed in advance) and
 * tax payable; each line billed in advance gets a recognition entry at
 * the end of its service period; a payment's cash receipt puts the cash
 * (or clearing) account against the receivable, its excess as customer
 * credit; a prepaid credit grant's, the cash bought (promotional: the
 * promotion given) against customer prepayments, and its expiry, what it
 * had unused back from customer prepayments to breakage (promotional:
 * to promotions).  Amounts in the functional currency are each line's at the
 * document's rate, with a rounding line so they balance too.
 *
 * This module owns those rules, the entries' ids, and the checks that a
 * document adds up and an entry balances, and what a document must have
 * to be posted (post_doc_read, over doc.h's reader of the record, with
 * erp-post's rejects).  It does not read input, write output
 * or touch the ledger: what it refuses it says through a struct
 * post_why, which the stage turns into rejects.  The entry record and its
 * formats are entry.h's.
 */
#ifndef POSTING_H
#define POSTING_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "accounts.h"
#include "doc.h"
#include "entry.h"
#include "fxtab.h"
#include "jrec.h"
#include "tz.h"

/* A document as posting needs it. */
struct post_doc {
	struct entry_doc h;	/* what its entries say of it */
	struct doc_rec	 r;	/* what the record says (doc.h) */
	int64_t		 day, pe;	/* issue day, period end (ns) */
	const struct tz	*tz;
	dec		 due, credit;
	const struct books *b;
};

/*
 * Why a record is not posted: a reject's class, code, field and message,
 * handed to say (the stage's reject, when not NULL) as each is found,
 * and counted: a document with two bad amounts has two.
 */
struct post_why {
	void		(*say)(const struct post_why *, void *arg);
	void		*arg;
	const char	*cls, *code, *field;
	char		 msg[1024];
	unsigned	 n;
};

/* A document's entries, each with its record (one NDJSON line). */
struct post_plan {
	struct entry	*e;
	size_t		 n;
	struct buf	*rec;
};

/*
 * The document in jr->root: 0, 1 when it is a journal entry (erp-post's
 * own output: skipped), -1 with why.  Its strings stay jr's.  A time
 * zone it names is loaded into zones; one not found is fatal (EX_CONFIG).
 */
int	post_doc_read(struct post_doc *, struct jrec *jr,
	    const struct accounts *, struct tz_set *zones, struct post_why *);
/*
 * The document's entries: its own, then a recognition for each line
 * billed in advance, each with functional amounts, balanced, dated in
 * an open period and written as its record: 0, or -1 with why.  An
 * entry that does not balance is a bug and fatal (EX_SOFTWARE).  The
 * caller post_plan_free's the plan either way.
 */
int	post_document(const struct post_doc *, struct post_plan *,
	    struct post_why *);
void	post_plan_free(struct post_plan *);
/*
 * 1 when the stored record is the entry's, or would be if the entry
 * were dated as the stored one is (a period closed since it was
 * posted): a retry sends the stored record as first emitted.
 */
int	post_same_entry(const struct entry_doc *, struct entry *,
	    const char *stored, const struct buf *rec);

/*
 * The invoice a payment is of, from the record the ledger keeps, and
 * the account its cash goes to (clearing, else cash): 0, or -1 with why.
 * An invoice in another currency than its books' without an FX rate is
 * fatal (EX_DATAERR: the ledger was altered).
 */
int	post_payment_doc(struct post_doc *, json_t *rec, const char *number,
	    const struct accounts *, const char **cash, struct post_why *);
/*
 * A payment's cash receipt: amount to the cash account, what it applied
 * off the receivable, the excess kept as customer credit; balanced,
 * dated and written to rec: 0, or -1 with why (a closed period).  The
 * caller entry_free's the entry either way.  In another currency than
 * the books', payrate (NULL: the invoice's) is the rate of the payment's
 * day: the cash and the excess are at it, the receivable is relieved at
 * the invoice's rate, and the difference is the realized FX gain or
 * loss, a line of functional amount only.
 */
int	post_receipt(const struct post_doc *, const char *cash,
	    const char *reference, int64_t day, dec amount, dec applied,
	    dec excess, const dec *payrate, struct entry *, struct buf *rec,
	    struct post_why *);
/*
 * The realized FX difference of a receipt's lines (cash, the
 * receivable's relief, the excess) in functional amounts: each at the
 * payment's rate but the receivable's, at the invoice's, rounded half-up
 * line by line, and a line to fx_gain or fx_loss balancing them.  0, or
 * overflow.
 */
int	post_fx_realized(const struct post_doc *, struct entry *, dec payrate);

/*
 * A credit grant's entry, dated the day granted in the customer's time
 * zone, the books and zone those of rec, the record of the customer's
 * first invoice in the grant's currency.  A paid grant (the customer
 * bought it): its cash (clearing, else cash; else the receivable, when
 * the entity has neither account) against customer prepayments.  A
 * promotional one: promotions (a reduction of revenue) against customer
 * prepayments.  Its document is "CUSTOMER/ID", of kind credit_grant; its
 * id a key of the customer and the grant's id, so it is booked once
 * (type "grant", or "grant_promo").  In another currency than the
 * books' the functional amounts are at fx's rate of that day (NULL: no
 * table).  0, or -1 with why (no rate, a closed period).  The caller
 * entry_free's the entry either way; d keeps pointers into rec and
 * number.
 */
int	post_grant(struct post_doc *d, json_t *rec, const char *number,
	    const char *customer, const char *id, dec amount, int64_t granted,
	    int paid, const struct accounts *, const struct fxtab *fx,
	    struct tz_set *zones, struct entry *, struct buf *out,
	    struct post_why *);
/*
 * A grant's expiry: amount, what it had unused when it expired (or, for
 * version > 0, the change of that since the versions before were
 * booked: negative when less), released from customer prepayments to
 * breakage (paid: type "grant_breakage") or back to promotions
 * (promotional: "grant_reversal", the mirror of its grant), dated the
 * day of t (its expiry; a later version's, when it was found) in the
 * customer's zone.  The document version is
 * version; the id a key of the customer, version and the grant's id.
 * Otherwise as post_grant.
 */
int	post_grant_expiry(struct post_doc *d, json_t *rec, const char *number,
	    const char *customer, const char *id, int64_t version, dec amount,
	    int64_t t, int paid, const struct accounts *,
	    const struct fxtab *fx, struct tz_set *zones, struct entry *,
	    struct buf *out, struct post_why *);

/* An entry's id: "JE-" and a key of its document, version and kind. */
void	post_entry_id(struct entry *, const char *number, int64_t version,
	    const char *type, const char *sub);
/* The lines' functional amounts and a rounding line: 0, or overflow. */
int	post_functional(const struct post_doc *, struct entry *);
/* Debits = credits in both currencies: 0, 1 if not, -1 on overflow. */
int	post_balanced(const struct entry *);

#endif
