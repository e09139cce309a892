/*
 * test_recon.c: the comparisons of common/recon.c on small inputs made
 * here, as TAP: a rated line on no document, a line invoiced for another
 * amount beyond and within --tolerance, a document posted twice and one
 * not posted, the tax computed again (exclusive and inclusive), and an
 * aggregate on no rated line.  Each record goes through its kind's
 * reader (aggrec_view, rated_view, doc_read, entry_read) as reconcile
 * reads it.  The bats tests 1500-1510 check reconcile end to end.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "aggrec.h"
#include "doc.h"
#include "entry.h"
#include "jrec.h"
#include "rated.h"
#include "recon.h"
#include "tap.h"

static struct jrec jr;

static _Noreturn void
bail(const char *what, const char *why)
{
	printf("Bail out! %s: %s\n", what, why);
	exit(1);
}

/* The record text, parsed as reconcile parses its input. */
static json_t *
parse(const char *text)
{
	if (jrec_parse(&jr, text, strlen(text)) < 0)
		bail(text, jr.msg);
	return jr.root;
}

static void
agg(struct recon *r, const char *key, const char *customer)
{
	char t[512];
	struct aggrec_view v;

	snprintf(t, sizeof(t), "{\"kind\":\"aggregate\",\"key\":\"%s\","
	    "\"customer\":\"%s\",\"meter\":\"api\",\"quantity\":\"3\","
	    "\"events\":3,\"lineage\":null}", key, customer);
	parse(t);
	if (aggrec_view(&jr, &v) < 0)
		bail(t, "not an aggregate");
	recon_add_agg(r, &v);
}

/* A rated line of amount in EUR, pricing the aggregate agg (or none). */
static void
rated(struct recon *r, const char *key, const char *amount, const char *agg)
{
	char t[512];
	struct rated_view v;

	snprintf(t, sizeof(t), "{\"kind\":\"rated\",\"key\":\"%s\","
	    "\"customer\":\"c\",\"charge\":\"api\",\"line_type\":\"usage\","
	    "\"currency\":\"EUR\",\"amount\":\"%s\",\"aggregates\":[%s%s%s],"
	    "\"period_start\":\"2026-10-01T00:00:00Z\","
	    "\"period_end\":\"2026-11-01T00:00:00Z\"}", key, amount,
	    agg ? "\"" : "", agg ? agg : "", agg ? "\"" : "");
	if (rated_view(parse(t), &v) != 0)
		bail(t, "not a rated line");
	recon_add_rated(r, &v);
}

/*
 * An invoice of one line for the rated line rkey (net, and gross when
 * not NULL), with one tax line.
 */
static void
doc(struct recon *r, const char *number, const char *rkey, const char *net,
    const char *gross, const char *taxline)
{
	char t[1024], g[64] = "";
	struct doc_rec d;

	if (gross != NULL)
		snprintf(g, sizeof(g), ",\"gross\":\"%s\"", gross);
	snprintf(t, sizeof(t), "{\"kind\":\"invoice\",\"number\":\"%s\","
	    "\"invoice_key\":\"ik-%s\",\"version\":0,\"references\":null,"
	    "\"entity\":{\"id\":\"e\"},\"customer\":{\"id\":\"c\"},"
	    "\"period_start\":\"2026-10-01T00:00:00Z\","
	    "\"period_end\":\"2026-11-01T00:00:00Z\",\"currency\":\"EUR\","
	    "\"lines\":[{\"rated_key\":\"%s\",\"net\":\"%s\"%s}],"
	    "\"tax_lines\":[%s],\"net\":\"%s\",\"tax\":\"0.00\","
	    "\"total\":\"%s\",\"prepaid_credit\":\"0.00\","
	    "\"amount_due\":\"%s\"}", number, number, rkey, net, g,
	    taxline ? taxline : "", net, net, net);
	doc_read(parse(t), &jr, &d);
	recon_add_doc(r, &d);
}

/* A journal entry of the document, debit = credit = amount. */
static void
entry(struct recon *r, const char *id, const char *number,
    const char *amount)
{
	char t[1024];
	struct entry_rec e;

	snprintf(t, sizeof(t), "{\"kind\":\"journal_entry\",\"id\":\"%s\","
	    "\"type\":\"document\",\"entity\":\"e\",\"currency\":\"EUR\","
	    "\"document\":{\"number\":\"%s\",\"version\":0},\"lines\":["
	    "{\"account\":\"Assets:AR\",\"debit\":\"%s\",\"credit\":\"0\"},"
	    "{\"account\":\"Income:Usage\",\"debit\":\"0\",\"credit\":\"%s\"}"
	    "]}", id, number, amount, amount);
	parse(t);
	if (entry_read(&jr, &e) < 0)
		bail(t, "not a journal entry");
	recon_add_entry(r, &e);
}

static void
start(struct recon *r, const char *tolerance)
{
	recon_init(r);
	if (dec_parse(tolerance, strlen(tolerance), &r->tolerance) != DEC_OK)
		bail(tolerance, "not a decimal");
}

/*
 * The exceptions written: n of them, the first of code, its other
 * member k (NULL: none checked) being v.
 */
static int
excs(struct recon *r, uint64_t n, const char *code, const char *k,
    const char *v)
{
	json_t *x;
	const char *nl;
	int same;

	if (r->nexc != n)
		return 0;
	if (n == 0)
		return r->out.len == 0;
	nl = memchr(r->out.p, '\n', r->out.len);
	if (nl == NULL || (x = json_loadb(r->out.p, (size_t)(nl - r->out.p),
	    0, NULL)) == NULL)
		return 0;
	same = json_is_string(json_object_get(x, "code")) &&
	    strcmp(json_string_value(json_object_get(x, "code")), code) == 0 &&
	    (k == NULL || (json_is_string(json_object_get(x, k)) &&
	    strcmp(json_string_value(json_object_get(x, k)), v) == 0));
	json_decref(x);
	return same;
}

static void
t_not_invoiced(void)
{
	struct recon r;

	start(&r, "0");
	rated(&r, "r1", "10.00", NULL);
	rated(&r, "r2", "5.00", NULL);
	doc(&r, "INV-1", "r2", "5.00", NULL, NULL);
	recon_check_invoiced(&r);
	ok(excs(&r, 1, "rated_not_invoiced", "expected", "10.00"),
	    "a rated line on no document: rated_not_invoiced, 10.00 "
	    "expected");
	recon_free(&r);

	start(&r, "0");
	rated(&r, "r1", "0.00", NULL);
	recon_check_invoiced(&r);
	ok(excs(&r, 0, NULL, NULL, NULL), "a rated line of 0 need not be "
	    "invoiced");
	recon_free(&r);
}

static void
t_amount(void)
{
	static const struct {
		const char *tol, *net, *gross;
		uint64_t n;
		const char *what;
	} c[] = {
		{ "0", "9.99", NULL, 1, "a cent less, no tolerance: a "
		    "mismatch" },
		{ "0.01", "9.99", NULL, 0, "a cent less within --tolerance "
		    "0.01: agrees" },
		{ "0.009", "9.99", NULL, 1, "a cent less beyond --tolerance "
		    "0.009: a mismatch" },
		{ "0", "10.00", NULL, 0, "the same amount: agrees" },
		{ "0", "9.09", "10.00", 0, "an inclusive price: its gross is "
		    "what was rated" },
	};
	struct recon r;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		start(&r, c[i].tol);
		rated(&r, "r1", "10.00", NULL);
		doc(&r, "INV-1", "r1", c[i].net, c[i].gross, NULL);
		recon_check_invoiced(&r);
		ok(excs(&r, c[i].n, "invoice_amount_mismatch", "difference",
		    "-0.01"), "%s", c[i].what);
		recon_free(&r);
	}
}

static void
t_posted(void)
{
	struct recon r;

	start(&r, "0");
	doc(&r, "INV-1", "r1", "10.00", NULL, NULL);
	entry(&r, "JE-1", "INV-1", "10.00");
	recon_check_posted(&r);
	ok(excs(&r, 0, NULL, NULL, NULL) && r.dv[0]->posted == 1,
	    "a document posted once agrees");
	recon_free(&r);

	start(&r, "0");
	doc(&r, "INV-1", "r1", "10.00", NULL, NULL);
	entry(&r, "JE-1", "INV-1", "10.00");
	entry(&r, "JE-2", "INV-1", "10.00");
	recon_check_posted(&r);
	ok(excs(&r, 1, "duplicate_posting", "document", "INV-1"),
	    "a document posted under two entries: duplicate_posting");
	recon_free(&r);

	start(&r, "0");
	doc(&r, "INV-1", "r1", "10.00", NULL, NULL);
	entry(&r, "JE-1", "INV-1", "10.00");
	entry(&r, "JE-1", "INV-1", "10.00");
	recon_check_posted(&r);
	ok(excs(&r, 1, "duplicate_posting", "message", "journal entry JE-1 "
	    "of document INV-1 is in the journal 2 times"), "the same entry "
	    "twice in the journal: duplicate_posting");
	recon_free(&r);

	start(&r, "0");
	doc(&r, "INV-1", "r1", "10.00", NULL, NULL);
	doc(&r, "INV-2", "r2", "7.00", NULL, NULL);
	entry(&r, "JE-1", "INV-1", "10.00");
	recon_check_posted(&r);
	ok(excs(&r, 1, "document_not_posted", "document", "INV-2"),
	    "a document without an entry: document_not_posted");
	ok(r.dv[1]->bad && !r.dv[0]->bad, "it no longer agrees, the other "
	    "does");
	recon_free(&r);
}

static void
t_tax(void)
{
	static const struct {
		const char *line, *want;
		uint64_t n;
		const char *what;
	} c[] = {
		{ "{\"category\":\"S\",\"rate\":\"8.875\",\"inclusive\":false,"
		    "\"rounding\":\"half-up\",\"base\":\"90.00\",\"tax\":"
		    "\"7.99\"}", NULL, 0, "8.875 % of 90.00, half-up, is "
		    "7.99: agrees" },
		{ "{\"category\":\"S\",\"rate\":\"8.875\",\"inclusive\":false,"
		    "\"rounding\":\"half-up\",\"base\":\"90.00\",\"tax\":"
		    "\"8.00\"}", "7.99", 1, "8.00 charged for 7.99: "
		    "tax_mismatch" },
		{ "{\"category\":\"S\",\"rate\":\"8.875\",\"inclusive\":false,"
		    "\"rounding\":\"down\",\"base\":\"90.00\",\"tax\":"
		    "\"7.99\"}", "7.98", 1, "the rounding the document names: "
		    "down, 7.98" },
		{ "{\"category\":\"S\",\"rate\":\"10\",\"inclusive\":true,"
		    "\"rounding\":\"half-up\",\"base\":\"9.09\",\"tax\":"
		    "\"0.91\"}", NULL, 0, "inclusive: 10 % out of 10.00 is "
		    "0.91" },
		{ "{\"category\":\"S\",\"rate\":\"10\",\"inclusive\":true,"
		    "\"rounding\":\"half-up\",\"base\":\"9.00\",\"tax\":"
		    "\"1.00\"}", "0.91", 1, "inclusive: 1.00 out of 10.00 "
		    "is a mismatch" },
	};
	struct recon r;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		start(&r, "0");
		doc(&r, "INV-1", "r1", "10.00", NULL, c[i].line);
		recon_check_tax(&r);
		ok(excs(&r, c[i].n, "tax_mismatch", "expected", c[i].want),
		    "%s", c[i].what);
		recon_free(&r);
	}
}

static void
t_aggregates(void)
{
	struct recon r;

	start(&r, "0");
	agg(&r, "a1", "c");
	agg(&r, "a2", "c");
	rated(&r, "r1", "1.00", "a1");
	recon_check_aggregates(&r);
	ok(excs(&r, 1, "aggregate_not_rated", "customer", "c") &&
	    strstr(r.out.p, "\"a2\"") != NULL,
	    "an aggregate on no rated line: aggregate_not_rated");
	recon_free(&r);

	start(&r, "0");
	rated(&r, "r1", "1.00", "a9");
	recon_check_aggregates(&r);
	ok(excs(&r, 1, "rated_without_aggregate", NULL, NULL),
	    "a rated line of an aggregate not given: "
	    "rated_without_aggregate");
	recon_free(&r);
}

int
main(void)
{
	jrec_init(&jr, JREC_MAXDEPTH_DEFAULT);
	t_not_invoiced();
	t_amount();
	t_posted();
	t_tax();
	t_aggregates();
	jrec_free(&jr);
	return tap_done();
}
