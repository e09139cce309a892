/*
 * fuzz_fxtab.c: the FX table loader (fxtab.h), and each loaded rate
 * found again and applied to an amount.
 */
#include "fuzz.h"
#include "fxtab.h"

static const char *path;
static int loaded;

static void
load(void *arg)
{
	struct fxtab *fx = arg;
	const struct fxrate *r;
	dec amount = { 123456, 2 }, out;
	size_t i;

	fxtab_load(fx, path);
	loaded = 1;
	for (i = 0; i < fx->n; i++) {
		r = fxtab_find(fx, fx->v[i].from, fx->v[i].to, fx->v[i].day);
		if (r == NULL)
			fz_fail("rate %s->%s of day %lld is not found",
			    fx->v[i].from, fx->v[i].to,
			    (long long)fx->v[i].day);
		(void)fxtab_amount(r, amount, 2, &out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fxtab fx;

	path = fz_file(data, size, ".json");
	loaded = 0;
	if (fz_trap(load, &fx) == 0)
		fxtab_free(&fx);
	else if (loaded)
		fz_fail("a loaded FX table died in its lookups");
	return 0;
}
