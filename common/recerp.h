/*
 * recerp.h: the ERP's side of the reconciliation, reconcile
 * --confirmations: each row of what the ERP says it holds (its
 * acknowledgements, or its export of the moves it posted, records of
 * kind "erp_move", reconcile(1) "The ERP's export") against the journal
 * entry of that id (amounts, in the document's and in the functional
 * currency, per account through the accounts file's ERP codes, date)
 * and against the ledger's posting (state, ERP reference); and, for an
 * export, the entries the ledger has confirmed that the ERP does not
 * have.  Each disagreement is an exception (recon_exc).
 *
 * Not here: reading the file (reconcile, through rowin.h), the journal
 * entries' amounts by account (recon_add_entry).
 */
#ifndef RECERP_H
#define RECERP_H

#include <jansson.h>

struct recon;

/* One row; every member may be NULL. */
struct recerp_row {
	const char	*kind;		/* "erp_move": a record of an export */
	const char	*id;		/* our journal entry's id */
	const char	*ref, *status;	/* the ERP's reference, "confirmed" */
	const char	*amount;	/* total debit, document currency */
	const char	*erp;		/* whose account codes: "tryton" */
	const char	*company, *date, *currency;
	const char	*debit, *credit;	/* totals, functional */
	json_t		*lines;		/* [{account, debit, credit}] */
};

/*
 * 1 when the row can be compared: it has an id, or it is a move of an
 * export that names none (a move the ERP has that none of ours made).
 */
int	recerp_usable(const struct recerp_row *);
/* The row against the journal (r->entries) and the ledger (r->ldg). */
void	recerp_row(struct recon *, const struct recerp_row *);
/*
 * After the last row, when the file was an export: each entry of the
 * journal (or, without one, each posting of the ledger) confirmed in
 * the ledger that the ERP does not have.
 */
void	recerp_missing(struct recon *);

#endif
