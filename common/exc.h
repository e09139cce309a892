/*
 * exc.h: the exception record (usage-to-cash(5), "the exception
 * record"): what reconcile writes for each thing that does not agree,
 * class reconciliation_exception, with the keys it concerns, the
 * expected and actual amounts and their difference.  The struct and its
 * two writers, NDJSON and the one-line text of --format text; the
 * report page (recfmt.c) reads the records back as JSON.  Deciding what
 * is an exception (and the --tolerance) is reconcile's.
 */
#ifndef EXC_H
#define EXC_H

#include "dec.h"
#include "util.h"

#define EXC_MAXKEYS	4

struct exc {
	const char	*code, *customer, *ps, *pe, *document, *currency;
	const char	*keys[EXC_MAXKEYS];	/* the first NULL ends them */
	int		 has_amounts;
	int		 amount_only;	/* only the amount differs: tolerance */
	dec		 expected, actual;
};

/*
 * The record as one NDJSON line: diff is actual - expected (when
 * has_amounts), msg the human message.  Absent strings are null.
 */
void	exc_json(struct buf *, const struct exc *, dec diff, const char *msg);
/* "CODE  message", the code padded to 28 columns */
void	exc_text(struct buf *, const struct exc *, const char *msg);

#endif
