/*
 * aggrec.h: the aggregate record (usage-to-cash(5), "the aggregate") as
 * the stages after meter-aggregate read it: its struct, a validating
 * reader and the test for "the same aggregate again".
 *
 *   {"kind":"aggregate","schema":"1.0","customer":...,"meter":...,
 *    "group":{...},"period":"month","period_start":...,"period_end":...,
 *    "quantity":"12.5","events":3,"key":...,"lineage":...}
 *
 * The writer, aggrec_write, takes what the metering engine finished
 * (struct aggrec_out, filled by agg.c's formatting threads).  Two readers:
 * aggrec_read for the stages that refuse what is not a good aggregate
 * (rate), and aggrec_view for reconcile, which compares what it is given
 * and counts an aggregate the others would refuse.
 */
#ifndef AGGREC_H
#define AGGREC_H

#include <stdint.h>
#include <jansson.h>

#include "dec.h"
#include "meters.h"
#include "keys.h"
#include "tm.h"
#include "util.h"

struct jrec;
struct prorate;
struct stagein;

/* A finished aggregate, as meter-aggregate writes it. */
struct aggrec_out {
	const struct meter	*m;
	const char		*customer;
	/* optional: customer and meter name as JSON strings, escaped */
	const char		*customer_json, *meter_json;
	size_t			 customer_json_len, meter_json_len;
	const char		*group;		/* canonical JSON object */
	size_t			 group_len;
	const char		*zone;		/* IANA name, or "UTC" */
	/* optional: the meter's unit and the zone as JSON strings */
	const char		*unit_json, *zone_json;
	size_t			 unit_json_len, zone_json_len;
	/* optional: the aggregation's and the unit's names, quoted */
	const char		*agg_json, *unit_name_json;
	size_t			 agg_json_len, unit_name_json_len;
	enum tm_unit		 unit;
	int64_t			 start, end;
	dec			 quantity;
	uint64_t		 events;
	int64_t			 first, last;	/* when events > 0 */
	unsigned char		 key[16];	/* the aggregate's key */
	unsigned char		 lineage[16];
	int			 gauge;		/* weighted_sum: levels below */
	dec			 opening, closing;
	const struct prorate	*pr;		/* a prorated meter's steps */
};

/* The record, newline-terminated, by hand: an hourly meter makes millions. */
void	aggrec_write(struct buf *, const struct aggrec_out *);

struct aggrec {
	const char	*customer, *meter;
	json_t		*group;
	/*
	 * The group as canonical JSON (jw_json): not set by the reader,
	 * the caller writes it where it keeps it.
	 */
	const char	*gtext;
	enum tm_unit	 unit;
	int64_t		 ps, pe;		/* the period */
	dec		 qty;
	int64_t		 events;
	unsigned char	 key[KEY_LEN], lineage[KEY_LEN];
	/*
	 * first_event_at, when the record has one (meter-aggregate writes
	 * it when events > 0; null or absent: has_first 0).  It orders a
	 * percentage charge's transactions for Lago's free units.
	 */
	int		 has_first;
	int64_t		 first;
	/* a prorated meter's (prorate.h): its steps read by aggrec_prorate */
	int		 prorated;
	dec		 pqty, pfull;	/* prorated and full quantity */
	struct prorate	*pr;
};

/*
 * Check the stage's current record is an aggregate of a schema we read
 * and pick out its members: 0, or -1 when it was rejected (si_reject,
 * class data, with the member at fault).  Strings and the group point
 * into the record's tree: copy what must outlive it.
 */
int	aggrec_read(struct stagein *, struct aggrec *);
/*
 * The prorated steps of the aggregate aggrec_read just took, in a new
 * allocation (prorate_free frees it); NULL when it has none.
 */
struct prorate *aggrec_prorate(struct stagein *);
/* 1 when b is a repeat of a (every member but the key the same). */
int	aggrec_same(const struct aggrec *a, const struct aggrec *b);

/*
 * What an aggregate record says, as written: strings as they are (NULL
 * when absent or not strings), a quantity that is not an exact decimal
 * 0, events that are not a whole number 0.  Strings point into the
 * record's tree.
 */
struct aggrec_view {
	const char	*key, *customer, *meter, *lineage;
	const char	*period, *ps, *pe;	/* unit, period_start, _end */
	dec		 qty;
	int64_t		 events;
};

/*
 * The current record of jr as an aggregate, lenient: no schema or
 * member is checked.  0, or -1 when it is not one at all (its kind is
 * not "aggregate", or it has no key): the caller says so, or not.
 */
int	aggrec_view(const struct jrec *, struct aggrec_view *);

#endif
