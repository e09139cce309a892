/*
 * stats.h: the stats record (--stats FILE, usage-to-cash(5)) every
 * binary writes at the end of a run: its counters as a table of fields,
 * written in the table's order after the head every stats record has
 * ("kind", "schema", "stage") and with the rejects' counts by code
 * where the table puts STAT_REJECTS.  One writer, six tables.
 */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct rej;

enum stat_type { ST_COUNT, ST_INT, ST_BOOL, ST_TIME, ST_STR, ST_NULL,
	ST_REJECTS, ST_SKIP };

struct stats_field {
	const char	*key;
	enum stat_type	 type;
	uint64_t	 n;
	int64_t		 i;		/* ST_INT, ST_TIME */
	const char	*s;		/* ST_STR: NULL is null */
	const struct rej *rej;
};

#define STAT_N(k, v)		{ (k), ST_COUNT, (uint64_t)(v), 0, NULL, NULL }
#define STAT_I(k, v)		{ (k), ST_INT, 0, (int64_t)(v), NULL, NULL }
#define STAT_B(k, v)		{ (k), ST_BOOL, (uint64_t)!!(v), 0, NULL, NULL }
#define STAT_T(k, v)		{ (k), ST_TIME, 0, (v), NULL, NULL }
#define STAT_S(k, v)		{ (k), ST_STR, 0, 0, (v), NULL }
#define STAT_NULL(k)		{ (k), ST_NULL, 0, 0, NULL, NULL }
#define STAT_REJECTS(r)		{ NULL, ST_REJECTS, 0, 0, NULL, (r) }
/* what every stage says of its refused input: how many, by code, blank */
#define STAT_REFUSED(n, r, blank)	STAT_N("rejected", (n)), \
				STAT_REJECTS(r), STAT_N("blank_lines", (blank))
/* a field only when c holds; else nothing at all */
#define STAT_IF(c, f)		((c) ? (struct stats_field)f : \
				    (struct stats_field){ NULL, ST_SKIP, 0, 0, NULL, NULL })
/* a time, or null when c does not hold */
#define STAT_T_IF(c, k, v)	((c) ? (struct stats_field)STAT_T(k, v) : \
				    (struct stats_field)STAT_NULL(k))
#define STAT_I_IF(c, k, v)	((c) ? (struct stats_field)STAT_I(k, v) : \
				    (struct stats_field)STAT_NULL(k))

/* The record, a line, appended to the buffer. */
void	stats_json(struct buf *, const char *stage, const struct stats_field *,
	    size_t n);
/* The record written to path (out_write_file: dies on failure). */
void	stats_write(const char *path, const char *stage,
	    const struct stats_field *, size_t n);

#endif
