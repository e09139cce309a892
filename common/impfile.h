/*
 * impfile.h: the ERP import files erp-post writes (--format netsuite,
 * xero, qbo): CSV files for NetSuite's, Xero's and QuickBooks Online's
 * journal imports, written from the journal entry record as the ledger
 * keeps it (entry.h).  The plain-text journals are entry.c's.
 */
#ifndef IMPFILE_H
#define IMPFILE_H

#include <jansson.h>

#include "entry.h"
#include "util.h"

/* The rows of an entry's record in the writer's CSV format, appended. */
void	imp_csv(struct entry_out *, json_t *e, struct buf *o);

#endif
