/*
 * test_rating: a bill's pricing (rating.c) over a small catalog.
 *
 * Each case prices one bill of April 2026 and checks its lines' amounts
 * against amounts worked out by hand below (the charge models' own
 * arithmetic is test_price's, against Python's decimal module):
 *
 *   graduated	1500.5 calls: 100 x 0.10 + 900 x 0.05 + 500.5 x 0.01 + 1.00
 *		= 61.005, half-even to 61.00 (half-up would say 61.01)
 *   volume	12 seats, all in the second tier: 12 x 4.00 + 10.00 = 58.00
 *		(graduated would say 68.00)
 *   package	250 GB in packages of 100 at 2.50, rounded up: 3 x 2.50
 *   proration	100.00 a month, the contract from April 11: 20 of 30 days,
 *		66.666666666667 to 66.67
 *   true-up	60 calls at 0.50 = 30.00; the charge's minimum 40.00 adds
 *		10.00, the plan's 100.00 another 60.00
 *   alerts	the spending before true-ups, 30.00, reaches 30.00 and 25 %
 *		of the commitment (25.00), not 30.01
 *   discounts	200.00 + 30 calls at 1.00: 10 % capped at 15.00 off 230,
 *		50 % off the calls' 30.00, then 5.00: 230 - 35 = 195.00
 *   credit	25.00 of prepaid credit drawn on the 195.00: -25.00
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aggrec.h"
#include "catalog.h"
#include "customers.h"
#include "jval.h"
#include "keys.h"
#include "rating.h"
#include "tm.h"
#include "util.h"
#include "tap.h"
#include "tdec.h"

static const char catalog_json[] =
"{\"rounding\":\"half-even\",\"plans\":[\n"
" {\"id\":\"tiers\",\"version\":1,\"currency\":\"USD\",\"charges\":[\n"
"  {\"id\":\"api\",\"meter\":\"api_calls\",\"model\":\"graduated\",\"tiers\":[\n"
"   {\"up_to\":\"100\",\"unit_amount\":\"0.10\"},\n"
"   {\"up_to\":\"1000\",\"unit_amount\":\"0.05\"},\n"
"   {\"up_to\":null,\"unit_amount\":\"0.01\",\"flat_amount\":\"1.00\"}]},\n"
"  {\"id\":\"seats\",\"meter\":\"seats\",\"model\":\"volume\",\"tiers\":[\n"
"   {\"up_to\":\"10\",\"unit_amount\":\"5.00\"},\n"
"   {\"up_to\":null,\"unit_amount\":\"4.00\",\"flat_amount\":\"10.00\"}]},\n"
"  {\"id\":\"storage\",\"meter\":\"storage_gb\",\"model\":\"package\",\n"
"   \"package_size\":\"100\",\"amount\":\"2.50\",\"round\":\"up\"}]},\n"
" {\"id\":\"fee\",\"version\":1,\"currency\":\"USD\",\"charges\":[\n"
"  {\"id\":\"base\",\"model\":\"flat\",\"amount\":\"100.00\"}]},\n"
" {\"id\":\"commit\",\"version\":1,\"currency\":\"USD\",\n"
"  \"minimum_commitment\":\"100.00\",\"charges\":[\n"
"  {\"id\":\"calls\",\"meter\":\"calls\",\"model\":\"unit\",\n"
"   \"unit_amount\":\"0.50\",\"minimum_commitment\":\"40.00\"}]},\n"
" {\"id\":\"disc\",\"version\":1,\"currency\":\"USD\",\"charges\":[\n"
"  {\"id\":\"base\",\"model\":\"flat\",\"amount\":\"200.00\"},\n"
"  {\"id\":\"calls\",\"meter\":\"calls\",\"model\":\"unit\",\n"
"   \"unit_amount\":\"1.00\"}]}],\n"
"\"contracts\":[\n"
" {\"customer\":\"cus_tiers\",\"plan\":\"tiers\",\n"
"  \"start\":\"2026-01-01T00:00:00Z\"},\n"
" {\"customer\":\"cus_mid\",\"plan\":\"fee\",\n"
"  \"start\":\"2026-04-11T00:00:00Z\"},\n"
" {\"customer\":\"cus_commit\",\"plan\":\"commit\",\n"
"  \"start\":\"2026-01-01T00:00:00Z\",\"thresholds\":[\n"
"  {\"amount\":\"30.00\"},{\"amount\":\"30.01\"},{\"percent\":\"25\"}]},\n"
" {\"customer\":\"cus_disc\",\"plan\":\"disc\",\n"
"  \"start\":\"2026-01-01T00:00:00Z\",\"overrides\":{\"discounts\":[\n"
"   {\"id\":\"launch\",\"percent\":\"10\",\"cap\":\"15.00\"},\n"
"   {\"id\":\"calls-half\",\"percent\":\"50\",\"charge\":\"calls\"},\n"
"   {\"id\":\"loyal\",\"amount\":\"5.00\"}]},\n"
"  \"prepaid_credits\":[{\"id\":\"welcome\",\"amount\":\"25.00\"}]}]}\n";

static struct catalog cat;
static struct custdb cust;	/* none: no fee is billed in advance */
static struct rating rg;
static int64_t april, may;

/* The test's own constants: a typo in one is the test's bug. */

#define S(d)	(dec_str(d).s)

/* An aggregate of April of meter m, ungrouped. */
static struct aggrec *
agg(const char *customer, const char *m, const char *qty, int id)
{
	struct aggrec *a = xcalloc(1, sizeof(*a));

	a->customer = customer;
	a->meter = m;
	a->group = json_object();
	a->gtext = "{}";
	a->unit = TM_MONTH;
	a->ps = april;
	a->pe = may;
	a->qty = D(qty);
	a->events = 1;
	memset(a->key, id, KEY_LEN);
	memset(a->lineage, id + 100, KEY_LEN);
	return a;
}

/* Price the April bill of customer over the aggregates a[0..n). */
static void
price(struct rating_bill *b, const char *customer, struct aggrec **a,
    size_t n)
{
	memset(b, 0, sizeof(*b));
	b->customer = customer;
	b->ps = april;
	b->pe = may;
	b->a = a;
	b->n = n;
	rating_price(&rg, b);
	ok(b->fail_code == NULL, "%s: priced%s%s", customer,
	    b->fail_code ? ": " : "", b->fail_code ? b->fail_msg : "");
}

static void
bill_free(struct rating_bill *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		json_decref(b->a[i]->group);
		free(b->a[i]);
	}
	buf_free(&b->out);
	buf_free(&b->alerts);
}

/*
 * Member k of the bill's line of line_type type whose discount (or,
 * without one, charge) is id, NULL for none; "(no line)" when there is
 * no such line, "(twice)" when there are two.
 */
static const char *
member(const struct rating_bill *b, const char *type, const char *id,
    const char *k)
{
	static char got[128];
	const char *p = b->out.p, *e = b->out.p + b->out.len, *nl, *v;
	const char *which;
	json_t *o, *bk;
	int found = 0;

	snprintf(got, sizeof(got), "(no line)");
	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		if ((o = json_loadb(p, (size_t)(nl - p), 0, NULL)) == NULL) {
			snprintf(got, sizeof(got), "(not JSON)");
			return got;
		}
		which = jval_str(o, "discount") ? jval_str(o, "discount") :
		    jval_str(o, "charge");
		if (strcmp(jval_str_or(o, "line_type", ""), type) == 0 &&
		    (id == NULL ? which == NULL : which != NULL &&
		    strcmp(which, id) == 0)) {
			/* "brk.x": member x of the breakdown */
			bk = json_object_get(o, "breakdown");
			if (strncmp(k, "brk.", 4) == 0)
				v = jval_str(bk, k + 4);
			else
				v = jval_str(o, k);
			snprintf(got, sizeof(got), "%s", found ? "(twice)" :
			    v ? v : "(absent)");
			found = 1;
		}
		json_decref(o);
	}
	return got;
}

static void
is(const char *got, const char *want, const char *what)
{
	ok(strcmp(got, want) == 0, "%s: %s%s%s", what, want,
	    strcmp(got, want) ? ", got " : "", strcmp(got, want) ? got : "");
}

static void
test_tiers(void)
{
	struct aggrec *a[3];
	struct rating_bill b;

	a[0] = agg("cus_tiers", "api_calls", "1500.5", 1);
	a[1] = agg("cus_tiers", "seats", "12", 2);
	a[2] = agg("cus_tiers", "storage_gb", "250", 3);
	price(&b, "cus_tiers", a, 3);
	is(member(&b, "usage", "api", "amount_unrounded"), "61.005",
	    "graduated: each unit in its tier, every flat fee reached");
	is(member(&b, "usage", "api", "amount"), "61.00",
	    "graduated: rounded once, half-even (the catalog's)");
	is(member(&b, "usage", "seats", "amount"), "58.00",
	    "volume: every unit at the tier the total is in, and its fee");
	is(member(&b, "usage", "storage", "amount"), "7.50",
	    "package: a started package is billed (round up)");
	is(member(&b, "usage", "storage", "brk.packages"), "3",
	    "package: the breakdown says 3 packages");
	is(S(b.total), "126.50", "the bill's total is its lines'");
	ok(b.nlines == 3, "three lines, one per charge (%llu)",
	    (unsigned long long)b.nlines);
	bill_free(&b);
}

static void
test_proration(void)
{
	struct rating_bill b;

	price(&b, "cus_mid", NULL, 0);
	is(member(&b, "flat", "base", "amount"), "66.67",
	    "flat fee for 20 of April's 30 days");
	is(member(&b, "flat", "base", "amount_unrounded"), "66.66666666666666667",
	    "prorated value shown to 17 decimals (15 of the cent)");
	is(member(&b, "flat", "base", "service_start"),
	    "2026-04-11T00:00:00Z", "service starts with the contract");
	is(S(b.total), "66.67", "the bill's total");
	bill_free(&b);
}

static void
test_trueup(void)
{
	const struct contract *u;
	struct aggrec *a[1];
	struct rating_bill b;
	dec v;
	int hit;

	a[0] = agg("cus_commit", "calls", "60", 4);
	price(&b, "cus_commit", a, 1);
	is(member(&b, "usage", "calls", "amount"), "30.00", "usage 60 x 0.50");
	is(member(&b, "true_up", "calls", "amount"), "10.00",
	    "the charge's true-up to its minimum of 40.00");
	is(member(&b, "true_up", NULL, "amount"), "60.00",
	    "the plan's true-up to 100.00 over the charge's 40.00");
	is(S(b.total), "100.00", "the bill comes to the commitment");
	is(S(b.spend), "30.00", "spending: flat fees and usage, for alerts");

	u = b.u;
	hit = rating_threshold(&b, &u->thresholds[0], &v);
	is(hit ? S(v) : "(not reached)", "30.00", "threshold 30.00 reached "
	    "by 30.00");
	ok(!rating_threshold(&b, &u->thresholds[1], &v),
	    "threshold 30.01 not reached");
	hit = rating_threshold(&b, &u->thresholds[2], &v);
	is(hit ? S(v) : "(not reached)", "25.00", "25 % of the commitment "
	    "reached");
	bill_free(&b);
}

static void
test_discount_credit(void)
{
	struct aggrec *a[1];
	struct rating_bill b;
	dec want;

	a[0] = agg("cus_disc", "calls", "30", 5);
	price(&b, "cus_disc", a, 1);
	is(member(&b, "discount", "launch", "amount"), "-15.00",
	    "10 % of 230.00, held at its cap of 15.00");
	is(member(&b, "discount", "calls-half", "amount"), "-15.00",
	    "50 % off the calls' 30.00 alone");
	is(member(&b, "discount", "loyal", "amount"), "-5.00",
	    "5.00 off what is left");
	is(member(&b, "discount", "loyal", "brk.base"), "200.00",
	    "each discount on what the ones before left");
	is(S(b.total), "195.00", "the bill after its discounts");

	want = rating_credit_want(&b, D("25.00"));
	is(S(want), "25.00", "a credit of 25.00 pays 25.00 of 195.00");
	is(S(rating_credit_want(&b, D("500.00"))), "195.00",
	    "a larger credit pays the bill, no more");
	is(S(rating_credit_want(&b, D("-3.00"))), "0",
	    "an overdrawn credit pays nothing");
	rating_credit_line(&rg, &b, want, D("25.00"), NULL, 0);
	is(member(&b, "credit", NULL, "amount"), "-25.00",
	    "the credit line draws it");
	is(member(&b, "credit", NULL, "brk.balance_after"), "0.00",
	    "and leaves no balance");
	is(member(&b, "credit", NULL, "brk.amount_due_before"), "195.00",
	    "on the bill's total");
	bill_free(&b);
}

/*
 * Grants: which are open at a bill's end, and the draw on them in the
 * order given (priority, the soonest expiry, the oldest: the ledger's).
 */
static void
test_grants(void)
{
	struct aggrec *a[1];
	struct rating_bill b;
	struct rating_grant g[3];
	dec bal, want;
	const int64_t day = 86400 * TM_NS_PER_SEC;

	a[0] = agg("cus_disc", "calls", "30", 5);
	price(&b, "cus_disc", a, 1);
	is(S(rating_grant_avail(&b, april, may, D("40"), D("0"), D("0"), 0,
	    may + day)), "40", "open through the end of the period: all of it");
	is(S(rating_grant_avail(&b, april, may - 1, D("40"), D("0"), D("0"), 0,
	    may)), "0", "expired before the period's end: nothing");
	is(S(rating_grant_avail(&b, may, INT64_MAX, D("40"), D("0"), D("0"), 0,
	    may)), "0", "granted at the period's end: not yet");
	is(S(rating_grant_avail(&b, april, INT64_MAX, D("40"), D("15"),
	    D("0"), 0, may)), "25", "less what other periods drew");
	is(S(rating_grant_avail(&b, april, may, D("40"), D("15"), D("5"), 1,
	    may + day)), "5", "expired since: a period rated again keeps what "
	    "it drew, no more");
	is(S(rating_grant_avail(&b, april, may + 2 * day, D("40"), D("15"),
	    D("5"), 1, may + day)), "25", "not expired yet: the rest");

	g[0] = (struct rating_grant){ "promo", D("100.00"), DEC_ZERO };
	g[1] = (struct rating_grant){ "bought", D("120.00"), DEC_ZERO };
	g[2] = (struct rating_grant){ "late", D("0"), DEC_ZERO };
	want = rating_credit_alloc(&b, g, 3, &bal);
	is(S(bal), "220.00", "the balance: the open grants' sum");
	is(S(want), "195.00", "the bill's total drawn");
	is(S(g[0].take), "100.00", "the first grant drawn whole");
	is(S(g[1].take), "95.00", "the second for the rest");
	is(S(g[2].take), "0.00", "the third not at all");
	rating_credit_line(&rg, &b, want, bal, g, 3);
	is(member(&b, "credit", NULL, "brk.balance_after"), "25.00",
	    "the balance left");
	{
		const char *p = strstr(b.out.p, "\"grants\":");
		const char *x = "\"grants\":[{\"id\":\"promo\",\"amount\":"
		    "\"100.00\"},{\"id\":\"bought\",\"amount\":\"95.00\"}]}";

		ok(p != NULL && strncmp(p, x, strlen(x)) == 0, "the line names "
		    "the grants drawn and their amounts: %.90s", p ? p :
		    "(none)");
	}
	bill_free(&b);
}

int
main(void)
{
	const char *why, *tmp = getenv("TMPDIR");
	char path[4096];
	FILE *fp;
	int fd;

	u_setprogname("test_rating");
	key_init();
	snprintf(path, sizeof(path), "%s/test_rating.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL ||
	    fputs(catalog_json, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		return 2;
	}
	catalog_load(&cat, path);
	unlink(path);
	rg.cat = &cat;
	rg.cust = &cust;
	if (tm_parse("2026-04-01T00:00:00Z", 20, &april, &why) < 0 ||
	    tm_parse("2026-05-01T00:00:00Z", 20, &may, &why) < 0)
		die(EX_SOFTWARE, "april: %s", why);

	test_tiers();
	test_proration();
	test_trueup();
	test_discount_credit();
	test_grants();

	catalog_free(&cat);
	return tap_done();
}
