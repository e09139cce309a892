/*
 * fuzz_customers.c: the customer master loader (customers.h), NDJSON
 * or CSV: the first byte of the input picks the file's name (".ndjson",
 * ".csv" or none, when the loader looks at the first line), the rest is
 * the file.  Every loaded customer is found by its id and its subjects.
 */
#include <string.h>

#include "customers.h"
#include "fuzz.h"

static const char *path;
static int loaded;

static void
load(void *arg)
{
	struct custdb *db = arg;
	const struct customer *c;
	size_t i, j;

	cust_load(db, path);
	loaded = 1;
	for (i = 0; i < db->n; i++) {
		c = db->v[i];
		if (cust_by_id(db, c->id) != c)
			fz_fail("customer '%s' is not found by its id", c->id);
		for (j = 0; j < c->nsubjects; j++)
			if (cust_by_subject(db, c->subjects[j],
			    strlen(c->subjects[j])) == NULL)
				fz_fail("subject '%s' is not found",
				    c->subjects[j]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const suffix[] = { ".ndjson", ".csv", "" };
	struct custdb db;

	if (size < 1)
		return 0;
	path = fz_file(data + 1, size - 1, suffix[data[0] % 3]);
	loaded = 0;
	if (fz_trap(load, &db) == 0)
		cust_free(&db);
	else if (loaded)
		fz_fail("a loaded customer master died in its lookups");
	return 0;
}
