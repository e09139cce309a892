/*
 * fuzz_meters.c: the meters file loader (meters.h), and the lookup of
 * the meters of an event type in what it loaded.
 */
#include <string.h>

#include "fuzz.h"
#include "meters.h"

static const char *path;
static int loaded;

static void
load(void *arg)
{
	struct meters *ms = arg;
	size_t i, j;

	meters_load(ms, path);
	loaded = 1;
	for (i = 0; i < ms->n; i++)
		for (j = 0; j < ms->v[i].ntypes; j++)
			if (meters_for(ms, ms->v[i].types[j],
			    strlen(ms->v[i].types[j])) == NULL)
				fz_fail("meter '%s' counts type '%s', which "
				    "finds no meter", ms->v[i].name,
				    ms->v[i].types[j]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meters ms;

	path = fz_file(data, size, ".json");
	loaded = 0;
	if (fz_trap(load, &ms) == 0)
		meters_free(&ms);
	else if (loaded)
		fz_fail("a loaded meters file died in its lookups");
	return 0;
}
