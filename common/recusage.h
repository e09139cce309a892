/*
 * recusage.h: reconcile's check of usage against aggregation.
 * meter-aggregate is run again (forked, the one beside reconcile or the
 * PATH's) on the ledger's usage for the periods of the window
 * (recon.h's from and to: --from/--to, the span of the periods read, or
 * all the periods over); an aggregate it makes that they do not have
 * (a customer or a period missing), one they have
 * that it does not make, and one whose quantity, events or lineage
 * differ are exceptions (recon_exc).  Of the events an aggregate lacks,
 * those the ledger accepted after the invoice of its customer and
 * period was issued are late usage, with a code of their own.
 *
 * This module owns that comparison, the run of meter-aggregate and the
 * scan for late usage; it adds nothing to the tables of recon.h but
 * the aggregates' "found".  The metering itself is meter-aggregate's.
 */
#ifndef RECUSAGE_H
#define RECUSAGE_H

#include "ledger.h"
#include "meters.h"
#include "recon.h"

struct rej;

/* What the check runs meter-aggregate with. */
struct recusage {
	const char	*self;		/* reconcile's argv[0] */
	const char	*meters_path, *customers_path, *ledger_path;
	int		 max_depth;	/* of its output's records */
	struct rej	*rej;		/* where a bad line of it goes */
};

/*
 * The usage behind r's aggregates, compared.  meter-aggregate failing is
 * fatal (EX_SOFTWARE), with its messages.
 */
void	recusage_check(struct recon *r, const struct recusage *);
/*
 * 1 when the meter counts the usage record: one of its event types
 * and, for a meter of a field, with that field.
 */
int	recusage_counts(const struct meter *, const struct ldg_usage *);

#endif
