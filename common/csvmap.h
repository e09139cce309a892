/*
 * csvmap.h: CSV rows to event objects.  A CSV export of usage events has
 * a header row; each column maps to a CloudEvents attribute (id, source,
 * type, subject, time, correlationid) or to a data property by dotted
 * path (data.tokens.input).  Columns named that way map themselves;
 * --csv-map FIELD[:number]=COLUMN,... maps columns with other names.
 * Cells are strings unless the field is typed ":number" (then an exact
 * decimal, or a reject); an empty data cell is an absent property.
 */
#ifndef CSVMAP_H
#define CSVMAP_H

#include <stddef.h>

#include "csvr.h"
#include "jrec.h"

struct colmap {
	char	*field;		/* "id", "time", "data.tokens" ... */
	char	*column;	/* header name */
	int	 number;	/* data.* typed ":number" */
	int	 col;		/* index in the current header, -1 absent */
	int	 explicit;	/* from --csv-map */
};

struct csvmap {
	struct colmap	*map;
	size_t		 nmap;
	size_t		 ncols;		/* columns a row needs */
	const char	*source;	/* --csv-source */
	int		 maxdepth;	/* --max-depth; 0: the default */
};

/* The reason a row (or a spec) was refused. */
struct csvmap_err {
	const char	*code;
	char		 field[128];
	char		 msg[512];
};

/* Add the mappings of a --csv-map spec; -1 with e->msg on a bad spec. */
int	csvmap_spec(struct csvmap *, const char *, struct csvmap_err *);
/*
 * A file's header row; -1 with e->msg when a mapped column is missing,
 * or a data path nests deeper than maxdepth, as a JSON event may not.
 */
int	csvmap_header(struct csvmap *, const struct csvr *,
	    struct csvmap_err *);
/* Build the event object of a row into jr; -1 with e set (a reject). */
int	csvmap_row(const struct csvmap *, const struct csvr *, struct jrec *,
	    struct csvmap_err *);
void	csvmap_free(struct csvmap *);

#endif
