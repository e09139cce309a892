/*
 * explain.h: reconcile --explain DOCUMENT, a document's chain from the
 * ledger's events to the ERP's reference: the document, each rated line
 * on it with its lineage, each aggregate those price, with --meters the
 * events of each meter and period in the ledger (their keys must sum to
 * the aggregates' lineages: the proof that the aggregates are those
 * events), the journal entries of the document and the ledger's
 * postings of it.
 *
 * This module owns that walk and its text; what it walks is what recon.h
 * kept of the inputs.  It compares nothing and writes no exception.
 */
#ifndef EXPLAIN_H
#define EXPLAIN_H

#include "recon.h"

/*
 * The chain of document number, appended to r->out; meters_path NULL:
 * without the events.  A number not among the documents is fatal
 * (EX_DATAERR).
 */
void	explain_doc(struct recon *r, const char *number,
	    const char *meters_path);

#endif
