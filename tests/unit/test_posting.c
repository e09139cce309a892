/*
 * test_posting.c: the posting rules of common/posting.c, the writers of
 * common/entry.c and the receivables of common/receivable.c, as TAP: an
 * invoice with tax (receivable = revenue + tax, balanced), a credit note
 * (every side reversed), a document in another currency than its books
 * (the functional amounts balance after FX rounding), a line billed in
 * advance (deferred, then recognised), the balance check itself, the
 * refusals, a journal format, and a payment's application, statuses and
 * age buckets.  The bats tests 1400-1430 check erp-post end to end.
 */
#include <stdlib.h>
#include <unistd.h>
#include <jansson.h>

#include "entry.h"
#include "keys.h"
#include "posting.h"
#include "receivable.h"
#include "tap.h"
#include "tdec.h"
#include "tm.h"

static const char books[] =
"{\"schema\":\"1.0\",\"entities\":[{\"entity\":\"e\","
"\"receivable\":\"Assets:AR\",\"revenue\":\"Income:Usage\","
"\"revenue_by_charge\":{\"platform\":\"Income:Subscriptions\"},"
"\"tax\":\"Liabilities:Tax\",\"deferred_revenue\":\"Liabilities:Deferred\","
"\"customer_credit\":\"Liabilities:Credit\","
"\"rounding\":\"Expenses:Rounding\",\"cash\":\"Assets:Bank\"}]}";

/* An issued invoice of one usage line of 100.00 EUR and 20.00 of tax. */
static const char base[] =
"{\"kind\":\"invoice\",\"schema\":\"1.0\",\"key\":\"k-inv\","
"\"number\":\"INV-1\",\"state\":\"issued\",\"version\":0,"
"\"references\":null,\"entity\":{\"id\":\"e\"},\"customer\":{\"id\":\"c\"},"
"\"period_start\":\"2026-10-01T00:00:00Z\","
"\"period_end\":\"2026-11-01T00:00:00Z\",\"timezone\":null,"
"\"issue_date\":\"2026-11-02\",\"due_date\":\"2026-12-02\","
"\"currency\":\"EUR\",\"lines\":[{\"line\":1,\"rated_key\":\"r1\","
"\"line_type\":\"usage\",\"charge\":\"api\",\"name\":null,"
"\"tax_code\":null,\"service_start\":\"2026-10-01T00:00:00Z\","
"\"service_end\":\"2026-11-01T00:00:00Z\",\"net\":\"100.00\"}],"
"\"tax_lines\":[{\"category\":\"S\",\"rate\":\"20\",\"tax\":\"20.00\"}],"
"\"total\":\"120.00\",\"prepaid_credit\":\"0\",\"amount_due\":\"120.00\","
"\"fx\":null}";

static struct accounts acc;
static struct tz_set zones;
static struct jrec jr;

static _Noreturn void
bail(const char *what, const char *why)
{
	printf("Bail out! %s: %s\n", what, why);
	exit(1);
}

/* A copy of the base invoice, for a case to edit. */
static json_t *
doc(void)
{
	json_t *j = json_loads(base, 0, NULL);

	return j ? j : (bail("the base record", "not JSON"), NULL);
}

static json_t *
line(json_t *j, size_t i)
{
	return json_array_get(json_object_get(j, "lines"), i);
}

static void
set(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* A decimal as text: dec_str, for one full expression. */
#define fmt(d)	(dec_str(d).s)

/* A decimal from text (the test's own, always exact). */

/* j through jrec, as erp-post reads it, into d: post_doc_read's result. */
static int
read_doc(json_t *j, struct post_doc *d, struct post_why *pw)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int r;

	memset(pw, 0, sizeof(*pw));
	jrec_clear(&jr);
	if (jrec_parse(&jr, s, strlen(s)) < 0)
		bail("jrec", jr.msg);
	free(s);
	r = post_doc_read(d, &jr, &acc, &zones, pw);
	json_decref(j);
	return r;
}

/* The document's entries, or a bail out. */
static void
plan(json_t *j, struct post_doc *d, struct post_plan *pl)
{
	struct post_why pw;

	if (read_doc(j, d, &pw) != 0 || post_document(d, pl, &pw) != 0)
		bail("not posted", pw.msg);
}

/* Line i of e is account with amount (and functional amount). */
static void
has_line(const struct entry *e, size_t i, const char *account,
    const char *amount, const char *famount, const char *what)
{
	const struct entry_line *l = &e->l[i];

	ok(i < e->n && strcmp(l->account, account) == 0 &&
	    strcmp(fmt(l->amount), amount) == 0 &&
	    strcmp(fmt(l->famount), famount) == 0,
	    "%s: line %zu %s %s (%s)", what, i + 1, account, amount, famount);
}

static void
invoice(void)
{
	struct post_doc d;
	struct post_plan pl;
	const struct entry *e;
	dec sum;

	plan(doc(), &d, &pl);
	e = &pl.e[0];
	ok(pl.n == 1 && e->n == 3 && strcmp(e->type, "document") == 0 &&
	    strncmp(e->id, "JE-", 3) == 0, "an invoice: one entry, 3 lines");
	has_line(e, 0, "Assets:AR", "120.00", "120.00", "invoice");
	has_line(e, 1, "Income:Usage", "-100.00", "-100.00", "invoice");
	has_line(e, 2, "Liabilities:Tax", "-20.00", "-20.00", "invoice");
	ok(dec_add(e->l[1].amount, e->l[2].amount, &sum) == DEC_OK &&
	    dec_cmp(dec_neg(sum), e->l[0].amount) == 0,
	    "receivable = revenue + tax");
	ok(post_balanced(e) == 0, "the invoice's entry balances");
	ok(strstr(pl.rec[0].p, "\"total_debit\":\"120.00\",\"total_credit\":"
	    "\"120.00\"") != NULL && strstr(pl.rec[0].p, "\"correlation_id\":"
	    "\"k-inv\"") != NULL, "its record: totals, correlation id");
	ok(e->day == tm_day_parse("2026-11-02"), "dated the issue day");
	post_plan_free(&pl);
}

static void
credit_note(void)
{
	json_t *j = doc();
	struct post_doc d;
	struct post_plan pl;
	const struct entry *e;

	set(j, "kind", "credit_note");
	set(j, "number", "CN-1");
	set(j, "references", "INV-1");
	set(line(j, 0), "net", "-100.00");
	set(json_array_get(json_object_get(j, "tax_lines"), 0), "tax",
	    "-20.00");
	set(j, "total", "-120.00");
	set(j, "amount_due", "-120.00");
	plan(j, &d, &pl);
	e = &pl.e[0];
	ok(pl.n == 1 && e->n == 3, "a credit note: one entry, 3 lines");
	has_line(e, 0, "Assets:AR", "-120.00", "-120.00", "credit note");
	has_line(e, 1, "Income:Usage", "100.00", "100.00", "credit note");
	has_line(e, 2, "Liabilities:Tax", "20.00", "20.00", "credit note");
	ok(post_balanced(e) == 0, "the credit note's entry balances");
	post_plan_free(&pl);
}

/*
 * 3 lines of 1000 JPY and 300 of tax at 0.0066666 USD: each line rounds
 * to 6.67 and the tax to 2.00, 22.01 of credits against 22.00 due (3300
 * at the rate, 21.99978): a rounding line of 0.01 USD, 0 JPY.
 */
static void
fx(void)
{
	json_t *j = doc(), *l = line(j, 0), *rate = json_object();
	struct post_doc d;
	struct post_plan pl;
	struct post_why pw;
	struct entry *e, e2;
	dec f = DEC_ZERO;
	size_t i;
	int r;

	set(j, "currency", "JPY");
	set(j, "functional_currency", "USD");
	set(rate, "rate", "0.0066666");
	json_object_set_new(j, "fx", rate);
	set(l, "net", "1000");
	json_array_append_new(json_object_get(j, "lines"), json_deep_copy(l));
	json_array_append_new(json_object_get(j, "lines"), json_deep_copy(l));
	set(json_array_get(json_object_get(j, "tax_lines"), 0), "tax", "300");
	set(j, "total", "3300");
	set(j, "amount_due", "3300");
	if (read_doc(j, &d, &pw) != 0)
		bail("not read", pw.msg);
	/* post_functional alone, first, on those lines made by hand */
	memset(&e2, 0, sizeof(e2));
	entry_add(&e2, "Assets:AR", D("3300"), NULL, NULL);
	for (i = 0; i < 3; i++)
		entry_add(&e2, "Income:Usage", D("-1000"), NULL, NULL);
	entry_add(&e2, "Liabilities:Tax", D("-300"), NULL, NULL);
	r = post_functional(&d, &e2);
	ok(r == 0 && e2.n == 6 && strcmp(fmt(e2.l[5].famount), "0.01") == 0 &&
	    post_balanced(&e2) == 0, "post_functional: a rounding line of "
	    "%s", e2.n == 6 ? fmt(e2.l[5].famount) : "none");
	entry_free(&e2);
	if (post_document(&d, &pl, &pw) != 0)
		bail("not posted", pw.msg);
	e = &pl.e[0];
	ok(e->n == 6, "JPY for USD books: 5 lines and a rounding line");
	has_line(e, 0, "Assets:AR", "3300", "22.00", "fx");
	has_line(e, 1, "Income:Usage", "-1000", "-6.67", "fx");
	has_line(e, 4, "Liabilities:Tax", "-300", "-2.00", "fx");
	has_line(e, 5, "Expenses:Rounding", "0", "0.01", "fx");
	for (i = 0; i < e->n; i++)
		dec_add(f, e->l[i].famount, &f);
	ok(dec_sign(f) == 0 && post_balanced(e) == 0,
	    "the functional amounts balance after rounding");
	ok(strstr(pl.rec[0].p, "\"fx_rate\":\"0.0066666\"") != NULL &&
	    strstr(pl.rec[0].p, "\"functional_total\":\"22.01\"") != NULL,
	    "its record: the rate, the functional total");
	post_plan_free(&pl);
}

/* A line served after the period: deferred, recognised at its end. */
static void
deferred(void)
{
	json_t *j = doc(), *l = line(j, 0);
	struct post_doc d;
	struct post_plan pl;
	const struct entry *e, *r;

	set(l, "charge", "platform");
	set(l, "service_start", "2026-11-01T00:00:00Z");
	set(l, "service_end", "2026-12-01T00:00:00Z");
	plan(j, &d, &pl);
	e = &pl.e[0];
	r = &pl.e[1];
	ok(pl.n == 2, "billed in advance: the document's entry and a "
	    "recognition");
	has_line(e, 1, "Liabilities:Deferred", "-100.00", "-100.00",
	    "deferred");
	ok(post_balanced(e) == 0, "the deferring entry balances");
	ok(strcmp(r->type, "recognition") == 0 && r->n == 2 &&
	    strcmp(r->id, e->id) != 0, "the recognition: 2 lines, its own id");
	has_line(r, 0, "Liabilities:Deferred", "100.00", "100.00",
	    "recognition");
	has_line(r, 1, "Income:Subscriptions", "-100.00", "-100.00",
	    "recognition");
	ok(r->doc_day == tm_day_parse("2026-11-30"), "dated the service "
	    "period's last day");
	ok(post_balanced(r) == 0, "the recognition balances");
	post_plan_free(&pl);
}

static void
balance(void)
{
	struct entry e;

	memset(&e, 0, sizeof(e));
	entry_add(&e, "A", D("10.00"), NULL, NULL);
	entry_add(&e, "B", D("-9.99"), NULL, NULL);
	ok(post_balanced(&e) == 1, "10.00 against 9.99 does not balance");
	entry_add(&e, "C", D("-0.01"), NULL, NULL);
	ok(post_balanced(&e) == 0, "with 0.01 more it does");
	e.l[2].famount = DEC_ZERO;
	ok(post_balanced(&e) == 1, "nor when only the functional side is off");
	entry_add(&e, "D", DEC_ZERO, NULL, NULL);
	ok(e.n == 3, "a line of 0 is left out");
	entry_free(&e);
}

static void
refusals(void)
{
	struct post_doc d;
	struct post_why pw;
	json_t *j;
	int r;

	j = doc();
	set(j, "total", "121.00");
	r = read_doc(j, &d, &pw);
	ok(r == -1 && pw.n == 1 && strcmp(pw.code, "unbalanced_document") ==
	    0, "a document that does not add up is refused: %s", pw.msg);
	j = doc();
	json_array_append_new(json_object_get(j, "lines"),
	    json_deep_copy(line(j, 0)));
	set(line(j, 0), "net", "x");
	set(line(j, 1), "net", NULL);
	r = read_doc(j, &d, &pw);
	ok(r == -1 && pw.n == 2 && strcmp(pw.code, "missing_field") == 0,
	    "two bad amounts: two reasons, the last %s", pw.code);
	j = doc();
	set(j, "state", "draft");
	r = read_doc(j, &d, &pw);
	ok(r == -1 && strcmp(pw.code, "not_issued") == 0, "a draft is refused");
	j = doc();
	set(j, "kind", "journal_entry");
	r = read_doc(j, &d, &pw);
	ok(r == 1 && pw.n == 0, "a journal entry is skipped");
	j = doc();
	set(json_object_get(j, "entity"), "id", "other");
	r = read_doc(j, &d, &pw);
	ok(r == -1 && strcmp(pw.code, "unknown_entity") == 0,
	    "an entity without books is refused");
}

/* The hledger writer, from the invoice's record; NetSuite is not its. */
static void
writers(void)
{
	json_t *j = doc();
	struct post_doc d;
	struct post_plan pl;
	struct entry_out w;
	struct buf o = { 0 };

	set(line(j, 0), "name", "=HYPERLINK(\"x\")");
	plan(j, &d, &pl);
	entry_out_init(&w, ENTRY_HLEDGER);
	ok(entry_write(&w, pl.rec[0].p, pl.rec[0].len, &o) == 0 &&
	    o.len == 0, "hledger: an entry is kept until the run ends");
	ok(entry_out_end(&w, &o) == 0 && strncmp(buf_cstr(&o), "tag entry\n"
	    "commodity EUR\naccount Assets:AR\n", 37) == 0,
	    "hledger: the declarations first");
	ok(strstr(buf_cstr(&o), "\n\n2026-11-02 * (INV-1) Invoice INV-1, c  ; "
	    "entry: JE-") != NULL && strstr(buf_cstr(&o),
	    "\n    Assets:AR  120.00 EUR  ; receivable\n") != NULL &&
	    strstr(buf_cstr(&o), "\n    Liabilities:Tax  -20.00 EUR  ; "
	    "tax\n") != NULL, "hledger: the transaction and its postings");
	entry_out_free(&w);
	buf_reset(&o);
	entry_out_init(&w, ENTRY_NETSUITE);
	ok(entry_write(&w, pl.rec[0].p, pl.rec[0].len, &o) == -1 &&
	    o.len == 0, "NetSuite: not entry.c's (the books' names are "
	    "impfile.c's)");
	ok(entry_write(&w, "{", 1, &o) == -1, "a record that is not JSON");
	entry_out_free(&w);
	buf_free(&o);
	post_plan_free(&pl);
}

static void
receivables(void)
{
	dec paid = D("50.00"), applied, excess;
	int64_t due = tm_day_parse("2026-12-02");

	ok(rcv_apply(D("100.00"), &paid, D("60.00"),
	    &applied, &excess) == 0 && strcmp(fmt(applied), "50.00") == 0 &&
	    strcmp(fmt(excess), "10.00") == 0 && strcmp(fmt(paid), "100.00") ==
	    0, "an overpayment: 50.00 applied, 10.00 credit");
	ok(strcmp(rcv_status("issued", D("100.00"), paid, due,
	    due + 1), "paid") == 0, "paid");
	ok(strcmp(rcv_status("issued", D("100.00"),
	    D("1.00"), due, due + 1), "overdue") == 0 &&
	    strcmp(rcv_status("issued", D("100.00"),
	    D("1.00"), due, due), "partially_paid") == 0 &&
	    strcmp(rcv_status("void", D("100.00"), DEC_ZERO, due,
	    due), "void") == 0, "overdue, partially paid, void");
	ok(rcv_bucket(0) == 0 && rcv_bucket(1) == 1 && rcv_bucket(30) == 1 &&
	    rcv_bucket(31) == 2 && rcv_bucket(90) == 3 && rcv_bucket(91) == 4,
	    "age buckets: current, 1-30 ... 90+");
}

int
main(void)
{
	char path[] = "/tmp/test_posting.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, books, sizeof(books) - 1) !=
	    (ssize_t)sizeof(books) - 1 || close(fd) != 0)
		bail(path, "not written");
	accounts_load(&acc, path);
	unlink(path);
	tz_set_init(&zones);
	jrec_init(&jr, JREC_MAXDEPTH_DEFAULT);
	key_init();
	invoice();
	credit_note();
	fx();
	deferred();
	balance();
	refusals();
	writers();
	receivables();
	jrec_free(&jr);
	tz_set_free(&zones);
	accounts_free(&acc);
	return tap_done();
}
