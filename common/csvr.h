/*
 * csvr.h: CSV records with libcsv, fed one physical line at a time so the
 * line reader keeps file:line and bounded memory.  A quoted field may span
 * lines; the record's raw text is kept for rejects.
 */
#ifndef CSVR_H
#define CSVR_H

#include <stddef.h>
#include <stdint.h>
#include <csv.h>

#include "util.h"

struct csvr {
	struct csv_parser	 p;
	struct buf		 raw;		/* the record's lines */
	uint64_t		 line;		/* where the record began */
	int			 inrec;
	int			 done;
	/* fields of the completed record, NUL-terminated */
	char			**f;
	size_t			*flen;
	size_t			 nf, cap;
	struct buf		 store;
};

void	csvr_init(struct csvr *);
void	csvr_free(struct csvr *);
/*
 * Feed one line: n bytes are parsed (without the newline and a trailing
 * '\r'), rawlen bytes (with the '\r') are kept as the record's raw text.
 * Returns 1 when it completes a record (fields in f/nf, raw text in raw),
 * 0 when the record continues on the next line (an open quote), -1 on a
 * CSV syntax error.  A line break inside a quoted field reads as '\n'.
 * A UTF-8 byte order mark that starts line 1 (a file's first line) is
 * skipped.
 */
int	csvr_feed(struct csvr *, const char *, size_t, size_t rawlen,
	    uint64_t lineno);
/* After -1 or at end of input: forget the partial record. */
void	csvr_reset(struct csvr *);

#endif
