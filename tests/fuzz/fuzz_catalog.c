/*
 * fuzz_catalog.c: the pricing catalog loader (catalog.h), and each
 * contract found again by its customer.
 */
#include "catalog.h"
#include "fuzz.h"

static const char *path;
static int loaded;

static void
load(void *arg)
{
	struct catalog *cat = arg;
	size_t i;

	catalog_load(cat, path);
	loaded = 1;
	for (i = 0; i < cat->ncontracts; i++)
		if (catalog_contracts(cat, cat->contracts[i].customer) == NULL)
			fz_fail("contract %zu is not found by its customer",
			    i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog cat;

	path = fz_file(data, size, ".json");
	loaded = 0;
	if (fz_trap(load, &cat) == 0)
		catalog_free(&cat);
	else if (loaded)
		fz_fail("a loaded catalog died in its lookups");
	return 0;
}
