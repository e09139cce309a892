/*
 * impfile.h: the ERP import files erp-post writes (--format netsuite,
 * xero, qbo): CSV files laid out as NetSuite's, Xero's and QuickBooks
 * Online's journal imports document them, written from the journal
 * entry record as the ledger keeps it (entry.h), in the ERP's names:
 * each of our accounts, customers and tax codes mapped to the ERP's in
 * the accounts file (its member "erp" of each entity's books).  One file
 * per entity and month, split at the ERP's limit of lines a file, in a
 * directory; or one file on the standard output.  The plain-text
 * journals are entry.c's.
 *
 * The templates, as their vendors document them:
 *   Xero: https://help.xero.com/nz/ManualJournalsImport (columns,
 *     dd/mm/yyyy, 300 lines a file, account codes, tax rate names)
 *   QuickBooks Online: https://quickbooks.intuit.com/learn-support/en-au/
 *     help-article/import-export-files/import-journal-entries-quickbooks-
 *     online/L4tQBwbs7_AU_en_AU (Journal No., Journal Date, Account Name,
 *     Description, Debits, Credits, Name; class and location tracking)
 *   NetSuite: https://docs.oracle.com/en/cloud/saas/netsuite/
 *     ns-online-help/section_1534492479.html (header fields),
 *     section_1534492737.html (line fields: 2 decimals at most),
 *     section_N453326.html (25,000 records a job)
 */
#ifndef IMPFILE_H
#define IMPFILE_H

#include <stdio.h>

#include <jansson.h>

#include "accounts.h"
#include "entry.h"
#include "util.h"

/* NetSuite's date formats (the importing user's preference). */
extern const char *const imp_datefmt_names[];
/* The index of a date format's name, or -1. */
int	imp_datefmt(const char *);

/* One import file: an entity's month, up to the ERP's limit. */
struct imp_file {
	char		*entity;
	int64_t		 month;		/* year * 12 + month - 1 */
	char		*path;		/* NULL until opened */
	FILE		*fp;
	size_t		 rows, entries;	/* written or pending */
	struct buf	 pend;		/* rows waiting for the ledger's commit */
};

struct imp_out {
	enum entry_fmt	 fmt;
	const struct accounts *acc;
	const char	*dir;		/* NULL: the standard output */
	int		 datefmt;
	size_t		 limit;		/* lines a file */
	struct imp_file	*f;
	size_t		 nf;
	/* the standard output: one file */
	char		*entity;	/* its first entity's */
	int		 cols;		/* NetSuite's: every entity's columns */
	json_t		*e;		/* the record in hand */
	struct buf	 row, hdr;	/* its rows, a header */
	size_t		 rows;
};

/*
 * Every entity's books mapped for the format: 0, or -1 with why (the
 * entity and what it lacks: its section, an account, a tax code).
 */
int	imp_check(const struct accounts *, enum entry_fmt, char *why,
	    size_t n);
void	imp_init(struct imp_out *, enum entry_fmt, const struct accounts *,
	    const char *dir, int datefmt);
/*
 * A stored record's rows: appended to out (the standard output) or kept
 * for its file until imp_flush.  -1 when it is not JSON; an entity or
 * account not mapped, a file that cannot take the entry, die.
 */
int	imp_add(struct imp_out *, const char *rec, size_t len,
	    struct buf *out);
/* The rows kept written to their files (after the ledger's commit). */
void	imp_flush(struct imp_out *);
/* Every file closed, checked and named on the standard error. */
void	imp_close(struct imp_out *);

#endif
