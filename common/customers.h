/*
 * customers.h: the customer master, identity mapping from the external
 * subject ids in events to canonical customer accounts.
 *
 * The file is NDJSON (one object a line) or CSV with a header row; both
 * have at least id, subjects, entity, currency, country and timezone.  In
 * CSV, subjects are separated by '|', and columns "address.line1",
 * "address.city" ... make the object "address".  billing_anchor (optional, 1..31)
 * is the day of the month a customer's monthly periods start on.  Other fields are kept for the
 * stages that need them (billing anchor, tax id, address ...).
 * Mapping is explicit: a subject not listed is unknown (a reject, never a
 * guess), and a subject listed for two accounts is a configuration error.
 */
#ifndef CUSTOMERS_H
#define CUSTOMERS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "hmap.h"
#include "tz.h"

struct customer {
	char		*id;
	char		*entity;
	char		*currency;
	char		*country;
	char		*timezone;
	const struct tz	*tz;
	int		 anchor;	/* billing_anchor 1..31, 0: none */
	char		**subjects;
	size_t		 nsubjects;
	uint64_t	 line;
	json_t		*obj;		/* every field as read (strings for CSV) */
};

struct custdb {
	const char	*path;
	struct customer	**v;
	size_t		 n;
	struct hmap	 by_subject;
	struct hmap	 by_id;
	struct tz_set	 zones;
};

/* Load and validate; dies with EX_CONFIG listing the problems. */
void	cust_load(struct custdb *, const char *path);
void	cust_free(struct custdb *);
const struct customer *cust_by_subject(const struct custdb *, const char *,
	    size_t);
const struct customer *cust_by_id(const struct custdb *, const char *);

#endif
