/*
 * agg.h: the metering engine.  Usage events go in (from NDJSON records or
 * straight from the ledger), aggregates come out: one per customer x
 * meter x group x billing period, with the quantity, the number of
 * events, their first and last time and a lineage digest over their
 * keys.  meter-aggregate(1) documents the rules.  meter-aggregate is
 * the engine's one user (its workers through tally.h); reconcile does
 * not link it: to check aggregates against the usage it runs the
 * meter-aggregate program again on the ledger and compares the records
 * it prints (check_usage in cmd/reconcile.c).
 *
 * A table is one thread's: stages that split their input over threads
 * give each a table and merge them at the end (agg_merge).  Every
 * aggregation is order-independent (ties are broken by event key), so
 * the result does not depend on how the events were split or ordered.
 */
#ifndef AGG_H
#define AGG_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "aggrec.h"
#include "meters.h"
#include "tm.h"
#include "util.h"

struct custdb;
struct jrec;

/* One usage event as the engine sees it. */
struct aev {
	const char		*customer, *type;
	size_t			 customer_len, type_len;
	int64_t			 t;
	const unsigned char	*key;		/* KEY_LEN bytes */
	/* data: a parsed JSON object (with its jrec for exact numbers) */
	json_t			*data;
	const struct jrec	*jr;
	/* or the ledger's packed bytes (pack.h) */
	const unsigned char	*packed;
	size_t			 packed_len;
};

struct agg_conf {
	const struct meters	*meters;
	const struct custdb	*cust;		/* NULL: UTC, no anchors */
	enum tm_unit		 unit;
	/* with windowed, only periods with from < end <= to are emitted */
	int			 windowed;
	int64_t			 from, to;
};

/* Why an event was refused. */
struct agg_err {
	const char	*cls, *code;
	char		 field[300];
	char		 msg[512];
};

enum { AGG_COUNTED, AGG_UNMETERED, AGG_OUTSIDE, AGG_REJECT };

struct agg_tab;

struct agg_tab	*agg_new(const struct agg_conf *);
void		 agg_free(struct agg_tab *);
/* Count one event: AGG_COUNTED, AGG_UNMETERED, AGG_OUTSIDE or AGG_REJECT. */
int		 agg_event(struct agg_tab *, const struct aev *, struct agg_err *);
/*
 * Move everything of from into into; from is freed.  Cheap: an aggregate
 * both counted is combined later, by agg_finish.
 */
void		 agg_merge(struct agg_tab *into, struct agg_tab *from);
/*
 * Walk the gauge points counted so far and free them: only when every
 * event still to come is later than all of them (the ledger's scan, by
 * event day, at each new day), and never on a table merged later.  It
 * keeps a weighted sum's memory to a day of points instead of the whole
 * window's; the result is the same.
 */
void		 agg_fold(struct agg_tab *);
/*
 * Keep the table's gauge points in a temporary file, not in memory:
 * for input in any order, which agg_fold cannot walk as it comes.
 * agg_finish reads them back a few series at a time.
 */
void		 agg_spill(struct agg_tab *);
/* The points in the table's spill files (its own and merged tables'). */
uint64_t	 agg_spilled(const struct agg_tab *);


/*
 * Finish (weighted sums are computed here), sort (customer, meter name,
 * period start, group) and write the records: jobs threads format them
 * (aggrec_write), calling check for each first (from any of them; check may
 * die), and out receives the bytes in order, on the calling thread.
 * Returns how many aggregates; the table takes no events afterwards.
 */
size_t		 agg_finish(struct agg_tab *, int jobs,
		    void (*check)(const struct aggrec_out *, void *),
		    void (*out)(const char *, size_t, void *), void *);

#endif
