/*
 * fuzz_entities.c: the entities file loader (entities.h), and each
 * entity's document number formats, which invoice-gen then uses.
 */
#include "doc.h"
#include "entities.h"
#include "fuzz.h"

static const char *path;
static int loaded;

static void
load(void *arg)
{
	struct entities *es = arg;
	char num[DOC_NUMLEN], scope[DOC_NUMLEN];
	size_t i, k;

	entities_load(es, path);
	loaded = 1;
	for (i = 0; i < es->n; i++) {
		if (entity_get(es, es->v[i].id) == NULL)
			fz_fail("entity '%s' is not found", es->v[i].id);
		/*
		 * A format the loader took makes invoice-gen's numbers
		 * (doc_emit: the scope, then the number) for any year
		 * and any sequence the ledger counts to, or it dies.
		 */
		for (k = 0; k < 3; k++)
			if (es->v[i].fmt[k] != NULL) {
				doc_number(es->v[i].fmt[k], 2026, 1, 1, num,
				    sizeof(num), scope, sizeof(scope));
				doc_number(es->v[i].fmt[k], 9999, 12,
				    INT64_MAX, num, sizeof(num), scope,
				    sizeof(scope));
			}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entities es;

	path = fz_file(data, size, ".json");
	loaded = 0;
	if (fz_trap(load, &es) == 0)
		entities_free(&es);
	else if (loaded)
		fz_fail("a loaded entities file died making a number");
	return 0;
}
