/*
 * fuzz_accounts.c: the accounts file loader (accounts.h), and each
 * entity's books looked up, with their accounts and closed periods.
 */
#include "accounts.h"
#include "fuzz.h"

static const char *path;
static int loaded;

static void
load(void *arg)
{
	struct accounts *ac = arg;
	const struct books *b;
	int64_t day;
	size_t i;

	accounts_load(ac, path);
	loaded = 1;
	for (i = 0; i < ac->n; i++) {
		if ((b = books_of(ac, ac->v[i].entity)) == NULL)
			fz_fail("entity '%s' has no books", ac->v[i].entity);
		(void)acct_revenue(b, "api", "SaaS", "usage");
		(void)acct_tax(b, "S", "19");
		(void)books_role(b, b->receivable);
		(void)books_has(b, b->revenue);
		/* 2026-10-31, and around the closed days */
		(void)books_post_day(b, 20757);
		if (b->closed_through != INT64_MIN)
			(void)books_post_day(b, b->closed_through);
		for (day = 0; day < (int64_t)b->nclosed; day++)
			(void)books_post_day(b, b->closed_months[day] + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accounts ac;

	path = fz_file(data, size, ".json");
	loaded = 0;
	if (fz_trap(load, &ac) == 0)
		accounts_free(&ac);
	else if (loaded)
		fz_fail("a loaded accounts file died in its lookups");
	return 0;
}
