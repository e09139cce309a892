/*
 * fuzz_taxtab.c: the tax table loader (taxtab.h), and the rule lookup
 * for each loaded rule's own entity, country, region and tax code.
 */
#include "fuzz.h"
#include "taxtab.h"

static const char *path;
static int loaded;

static void
load(void *arg)
{
	struct taxtab *tt = arg;
	const struct taxrule *r;
	size_t i;

	taxtab_load(tt, path);
	loaded = 1;
	for (i = 0; i < tt->n; i++) {
		r = &tt->v[i];
		if (tax_find(tt, r->entity, r->country, r->region,
		    r->tax_code) == NULL)
			fz_fail("tax rule %zu finds no rule for itself", i);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taxtab tt;

	path = fz_file(data, size, ".json");
	loaded = 0;
	if (fz_trap(load, &tt) == 0)
		taxtab_free(&tt);
	else if (loaded)
		fz_fail("a loaded tax table died in its lookups");
	return 0;
}
