/*
 * meters.h: meter definitions (usage-to-cash(5), "meters file"): which
 * event types a meter counts, which property of data it reads, how it
 * aggregates and by which properties it groups.
 *
 *   {"meters":[{"name":"tokens","event_type":["llm.tokens"],
 *     "aggregation":"sum","field":"tokens.input","group_by":["model"]}]}
 */
#ifndef METERS_H
#define METERS_H

#include <stddef.h>

#include "dec.h"
#include "expr.h"
#include "hmap.h"

enum agg_kind {
	AG_SUM, AG_COUNT, AG_MIN, AG_MAX, AG_AVG, AG_UNIQUE, AG_LATEST,
	AG_WSUM
};

#define METER_MAXGROUP		16
#define METER_PRECISION		9	/* avg and weighted_sum */

struct meter {
	size_t		 idx;		/* position in the file */
	char		*name;
	char		**types;
	size_t		 ntypes;
	enum agg_kind	 agg;
	char		*field;		/* NULL: count, expression */
	struct expr	*expr;		/* or NULL: "expression" */
	struct mfilter	*filter;	/* counts what these match */
	size_t		 nfilter;
	char		**group_by;
	size_t		 ngroup;
	int		 increments;	/* weighted_sum: values are changes */
	int		 recurring;	/* unique_count: values carry over */
	int		 prorated;	/* aggregates carry prorate.h's steps */
	char		*unit;		/* NULL when not given */
	int		 precision;	/* avg, weighted_sum: fraction digits */
	enum dec_round	 rounding;
};

#define METER_MAXFILTER		16

/* A filter's key: data's property at path must be one of vals. */
struct mfilter {
	char		*path;
	char		**vals;
	size_t		 nvals;
};

/* The meters that count one event type. */
struct mlist {
	size_t		 n;
	const struct meter *m[];
};

struct meters {
	const char	*path;
	struct meter	*v;
	size_t		 n;
	struct hmap	 by_type;	/* type -> struct mlist * */
	/*
	 * Some meter carries a value across periods (weighted_sum, or a
	 * recurring unique_count): its walk needs every earlier event.
	 */
	int		 gauges;
};

/* Load and validate; dies with EX_CONFIG listing the problems. */
void	meters_load(struct meters *, const char *path);
void	meters_free(struct meters *);
const struct mlist *meters_for(const struct meters *, const char *type,
	    size_t len);
const char	*agg_name(enum agg_kind);
/* The aggregation reads a number (all but count and unique_count). */
int		 agg_numeric(enum agg_kind);

#endif
