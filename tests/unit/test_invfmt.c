/*
 * test_invfmt.c: the HTML and UBL renderers of common/invfmt.c on
 * records invoice-gen does not make today, as TAP: the refusals (-1, a
 * reason, nothing written), tax categories O and E, a prepaid credit,
 * prices, period dates from UTC instants, and escaping.  The bats tests
 * 1320 and 1330 check the renderings of real invoice-gen output.
 */
#include <string.h>

#include <jansson.h>

#include "invfmt.h"
#include "tap.h"

/* One line, one tax line: edited by each case with jansson. */
static const char base[] =
"{\"kind\":\"invoice\",\"number\":\"INV-1\",\"state\":\"issued\","
"\"references\":null,"
"\"entity\":{\"id\":\"e\",\"name\":\"Seller\",\"tax_id\":\"IE1\","
"\"country\":\"IE\",\"region\":null,\"address\":null,"
"\"peppol_id\":\"9935:IE1\"},"
"\"customer\":{\"id\":\"c\",\"name\":\"Buyer\",\"tax_id\":null,"
"\"country\":\"US\",\"region\":\"NY\",\"address\":null,"
"\"peppol_id\":\"0060:123456789\"},"
"\"period_start\":\"2026-10-01T04:00:00Z\","
"\"period_end\":\"2026-11-01T04:00:00Z\","
"\"issue_date\":\"2026-11-02\",\"due_date\":\"2026-12-02\","
"\"currency\":\"USD\",\"lines\":[{\"line\":1,\"line_type\":\"usage\","
"\"charge\":\"api\",\"name\":null,\"quantity\":\"3\",\"net\":\"10.00\","
"\"tax_category\":\"S\",\"tax_rate\":\"8.875\"}],"
"\"tax_lines\":[{\"category\":\"S\",\"rate\":\"8.875\",\"inclusive\":false,"
"\"name\":\"NY\",\"base\":\"10.00\",\"tax\":\"0.89\",\"note\":null}],"
"\"net\":\"10.00\",\"tax\":\"0.89\",\"total\":\"10.89\","
"\"prepaid_credit\":\"0\",\"amount_due\":\"10.89\",\"fx\":null}";

static json_t *
doc(void)
{
	json_error_t e;
	json_t *j = json_loads(base, 0, &e);

	if (j == NULL) {
		printf("Bail out! base record: %s\n", e.text);
		exit(1);
	}
	return j;
}

static json_t *
line0(json_t *j)
{
	return json_array_get(json_object_get(j, "lines"), 0);
}

static json_t *
tax0(json_t *j)
{
	return json_array_get(json_object_get(j, "tax_lines"), 0);
}

static void
set(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v ? json_string(v) : json_null());
}

/* Render j (UBL when ubl, else HTML) into b; the function's result. */
static int
render(json_t *j, int ubl, struct buf *b, const char **why)
{
	buf_reset(b);
	*why = NULL;
	return ubl ? invfmt_ubl(j, b, why) : invfmt_html(j, b, why);
}

static int
has(struct buf *b, const char *s)
{
	return strstr(buf_cstr(b), s) != NULL;
}

/* s for a test's name: one line, printable */
static const char *
shown(const char *s)
{
	static char o[160];
	size_t i;

	for (i = 0; s[i] != '\0' && i < sizeof(o) - 1; i++)
		o[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '.';
	o[i] = '\0';
	return o;
}

/* Both renderings of j contain s (ubl: 1 UBL only, 0 HTML only, 2 both). */
static void
want(json_t *j, int ubl, const char *s, const char *what)
{
	struct buf b = { 0 };
	const char *why;
	int k, r;

	for (k = 0; k <= 1; k++) {
		if (ubl != 2 && ubl != k)
			continue;
		r = render(j, k, &b, &why);
		ok(r == 0 && has(&b, s), "%s: %s has '%s'%s%s", what,
		    k ? "UBL" : "HTML", shown(s), why ? ": " : "",
		    why ? why : "");
	}
	buf_free(&b);
}

static void
lacks(json_t *j, int ubl, const char *s, const char *what)
{
	struct buf b = { 0 };
	const char *why;
	int r = render(j, ubl, &b, &why);

	ok(r == 0 && !has(&b, s), "%s: %s lacks '%s'", what,
	    ubl ? "UBL" : "HTML", shown(s));
	buf_free(&b);
}

/* Refused by the renderer(s): -1, a reason, the buffer as it was. */
static void
refused(json_t *j, int ubl, const char *what)
{
	struct buf b = { 0 };
	const char *why;
	int k, r;

	for (k = 0; k <= 1; k++) {
		if (ubl != 2 && ubl != k)
			continue;
		buf_reset(&b);
		buf_adds(&b, "kept");
		why = NULL;
		r = k ? invfmt_ubl(j, &b, &why) : invfmt_html(j, &b, &why);
		ok(r == -1 && why != NULL && b.len == 4, "%s: %s refused (%s)",
		    what, k ? "UBL" : "HTML", why ? why : "no reason");
	}
	buf_free(&b);
	json_decref(j);
}

static void
refusals(void)
{
	json_t *j;

	j = doc();
	json_object_del(j, "net");
	refused(j, 2, "no net");
	j = doc();
	set(j, "net", "1,00");
	refused(j, 2, "net not a decimal");
	j = doc();
	set(j, "kind", "memo");
	refused(j, 2, "unknown kind");
	j = doc();
	set(j, "number", NULL);
	refused(j, 2, "issued without a number");
	j = doc();
	set(j, "currency", "usd");
	refused(j, 2, "currency not ISO 4217");
	j = doc();
	set(j, "due_date", "2026-12-2");
	refused(j, 2, "due_date not a date");
	j = doc();
	set(j, "period_end", "2026-11-01");
	refused(j, 2, "period_end not a time");
	j = doc();
	json_object_set_new(j, "lines", json_object());
	refused(j, 2, "lines not an array");
	j = doc();
	json_object_del(line0(j), "tax_category");
	refused(j, 2, "a line without tax category");
	j = doc();
	set(tax0(j), "tax", "0.8.9");
	refused(j, 2, "a tax line's tax not a decimal");
	j = doc();
	json_object_set_new(j, "fx", json_pack("{ss ss ss}", "from", "JPY",
	    "to", "USD", "date", "2026-11-02"));
	refused(j, 0, "fx without rate and amounts");
	j = doc();
	set(tax0(j), "category", "E");
	set(tax0(j), "rate", "0");
	set(line0(j), "tax_category", "E");
	refused(j, 1, "exempt without a reason");
	j = doc();
	json_array_clear(json_object_get(j, "lines"));
	refused(j, 1, "no lines");
	j = doc();
	set(j, "state", "draft");
	set(j, "number", NULL);
	refused(j, 1, "a draft");
	j = json_array();
	refused(j, 2, "not an object");
}

static void
documents(void)
{
	json_t *j = doc();

	want(j, 1, "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", "invoice");
	/* 10.00 / 3 does not terminate: the net per 3 */
	want(j, 1, "<cbc:PriceAmount currencyID=\"USD\">10.00</cbc:"
	    "PriceAmount>\n      <cbc:BaseQuantity unitCode=\"C62\">3</cbc:"
	    "BaseQuantity>",
	    "price per base quantity");
	want(j, 1, "<cbc:StartDate>2026-10-01</cbc:StartDate>\n"
	    "    <cbc:EndDate>2026-10-31</cbc:EndDate>", "New York period");
	want(j, 0, "<div>NY</div>", "a region without an address");
	lacks(j, 1, "PrepaidAmount", "no credit");
	lacks(j, 0, "Amount due", "no credit");
	lacks(j, 1, "PartyTaxScheme>\n        <cbc:CompanyID>US",
	    "no buyer tax id");
	set(line0(j), "quantity", "4");
	want(j, 1, "<cbc:PriceAmount currencyID=\"USD\">2.50</cbc:PriceAmount>"
	    "\n    </cac:Price>", "an exact price");
	set(line0(j), "quantity", "0");
	set(line0(j), "net", "-5.00");
	want(j, 1, "<cbc:ChargeIndicator>false</cbc:ChargeIndicator>",
	    "an allowance without quantity");
	want(j, 1, "<cbc:Amount currencyID=\"USD\">5.00</cbc:Amount>",
	    "an allowance without quantity");
	set(j, "prepaid_credit", "-10.00");
	set(j, "amount_due", "0.89");
	want(j, 1, "<cbc:PrepaidAmount currencyID=\"USD\">10.00</cbc:"
	    "PrepaidAmount>", "a prepaid credit");
	want(j, 0, "<th>Prepaid credit</th><td class=\"n\">-10.00 USD</td>",
	    "a prepaid credit");
	want(j, 0, "<th>Amount due</th><td class=\"n\">0.89 USD</td>",
	    "a prepaid credit");
	json_decref(j);

	j = doc();
	set(j, "kind", "credit_note");
	set(j, "references", "INV-0");
	set(line0(j), "quantity", "-3");
	set(line0(j), "net", "-10.00");
	set(j, "prepaid_credit", "-1.00");
	set(j, "amount_due", "-11.89");
	want(j, 1, "<CreditNote xmlns=\"urn:oasis:names:specification:ubl:"
	    "schema:xsd:CreditNote-2\"", "credit note");
	want(j, 1, "<cbc:CreditedQuantity unitCode=\"C62\">3</cbc:"
	    "CreditedQuantity>", "credit note quantity positive");
	want(j, 1, "<cbc:PayableAmount currencyID=\"USD\">11.89</cbc:"
	    "PayableAmount>", "credit note amounts positive");
	want(j, 1, "<cbc:PrepaidAmount currencyID=\"USD\">-1.00</cbc:"
	    "PrepaidAmount>", "credit note prepaid negated");
	want(j, 1, "<cbc:ID>INV-0</cbc:ID>", "credit note reference");
	want(j, 0, "Corrects invoice INV-0", "credit note reference");
	lacks(j, 1, "DueDate", "credit note");
	lacks(j, 0, "Due date", "credit note");
	json_decref(j);
}

static void
categories(void)
{
	json_t *j = doc();

	set(tax0(j), "category", "O");
	set(tax0(j), "rate", "0");
	set(tax0(j), "tax", "0.00");
	set(tax0(j), "note", "Not subject to sales tax");
	set(line0(j), "tax_category", "O");
	set(line0(j), "tax_rate", "0");
	want(j, 1, "<cbc:ID>O</cbc:ID>\n        <cbc:TaxExemptionReasonCode>"
	    "VATEX-EU-O</cbc:TaxExemptionReasonCode>\n        <cbc:"
	    "TaxExemptionReason>Not subject to sales tax", "category O");
	lacks(j, 1, "Percent", "category O has no rate");
	want(j, 0, "<strong>O</strong> Not subject to sales tax", "a note");
	json_object_set_new(json_object_get(j, "customer"), "tax_id",
	    json_string("US2"));
	want(j, 1, "<cbc:CompanyID>IE1</cbc:CompanyID>\n        "
	    "<cac:TaxScheme>\n          <cbc:ID>TAX</cbc:ID>",
	    "category O: the seller's id no VAT id (BR-O-02)");
	lacks(j, 1, "US2", "category O: no buyer VAT id (BR-O-02)");
	want(j, 0, "Tax ID US2", "category O: the buyer's id on the page");
	set(tax0(j), "category", "E");
	set(line0(j), "tax_category", "E");
	want(j, 1, "<cbc:Percent>0</cbc:Percent>\n        <cbc:"
	    "TaxExemptionReason>Not subject", "category E, its note");
	want(j, 1, "<cbc:CompanyID>US2</cbc:CompanyID>\n        "
	    "<cac:TaxScheme>\n          <cbc:ID>VAT</cbc:ID>",
	    "category E: the buyer's VAT id");
	lacks(j, 1, "TaxExemptionReasonCode", "category E has no VATEX");
	json_decref(j);
}

/* A period's dates from UTC instants at local midnights. */
static void
dates(const char *start, const char *end, const char *want_s,
    const char *want_e, const char *zone)
{
	json_t *j = doc();
	char s[128];

	set(j, "period_start", start);
	set(j, "period_end", end);
	snprintf(s, sizeof(s), "<cbc:StartDate>%s</cbc:StartDate>\n"
	    "    <cbc:EndDate>%s</cbc:EndDate>", want_s, want_e);
	want(j, 1, s, zone);
	json_decref(j);
}

static void
escaping(void)
{
	json_t *j = doc();

	json_object_set_new(json_object_get(j, "customer"), "name",
	    json_string("a<b>&\"c'\x01\xef\xbf\xbf\xc3\x9f\t"));
	want(j, 2, "a&lt;b&gt;&amp;&quot;c&#39;\xef\xbf\xbd\xef\xbf\xbd"
	    "\xc3\x9f\t<", "escaped");
	json_decref(j);
	j = doc();
	set(line0(j), "charge", NULL);
	want(j, 2, ">Usage<", "a line described by its type");
	json_decref(j);
}

/*
 * What cannot be valid Peppol: -2 and the reason, nothing written; and
 * what a document says of payment and of the invoice a note corrects.
 */
static void
peppol(void)
{
	struct buf b = { 0 };
	const char *why;
	json_t *j;
	int r;

	j = doc();
	json_object_del(json_object_get(j, "customer"), "peppol_id");
	buf_adds(&b, "kept");
	r = invfmt_ubl(j, &b, &why);
	ok(r == -2 && b.len == 4 && strstr(why, "the buyer, customer 'c', "
	    "has no peppol_id") != NULL, "no buyer peppol_id: UBL refused, "
	    "-2 (%s)", why);
	json_decref(j);
	j = doc();
	set(json_object_get(j, "entity"), "peppol_id", "IE1");
	r = invfmt_ubl(j, &b, &why);
	ok(r == -2 && strstr(why, "the seller, entity 'e', has a peppol_id "
	    "'IE1' that is not SCHEME:ID") != NULL, "a seller peppol_id "
	    "without scheme: UBL refused (%s)", why);
	json_decref(j);
	j = doc();
	set(j, "currency", "KWD");
	r = invfmt_ubl(j, &b, &why);
	ok(r == -2 && strstr(why, "KWD has 3 decimals") != NULL,
	    "a currency of 3 decimals: UBL refused (%s)", why);
	json_decref(j);
	buf_free(&b);

	j = doc();
	json_object_set_new(json_object_get(j, "entity"), "bank",
	    json_pack("{s:s, s:s}", "iban", "IE29AIBK93115212345678", "bic",
	    "AIBKIE2D"));
	set(json_object_get(j, "entity"), "legal_id", "634563");
	want(j, 1, "<cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>\n"
	    "    <cbc:PaymentID>INV-1</cbc:PaymentID>\n"
	    "    <cac:PayeeFinancialAccount>\n"
	    "      <cbc:ID>IE29AIBK93115212345678</cbc:ID>\n"
	    "      <cac:FinancialInstitutionBranch>\n"
	    "        <cbc:ID>AIBKIE2D</cbc:ID>", "payment means, an IBAN in USD");
	want(j, 0, "By bank transfer to IBAN IE29AIBK93115212345678, BIC "
	    "AIBKIE2D, by 2026-12-02, with the reference <strong>INV-1"
	    "</strong>", "payment instructions");
	want(j, 1, "<cbc:RegistrationName>Seller</cbc:RegistrationName>\n"
	    "        <cbc:CompanyID>634563</cbc:CompanyID>", "legal "
	    "registration");
	want(j, 0, "<div>Registration 634563</div>", "legal registration");
	set(j, "currency", "EUR");
	want(j, 1, "<cbc:PaymentMeansCode>58<", "SEPA for an IBAN in EUR");
	set(j, "kind", "credit_note");
	set(j, "references", "INV-0");
	lacks(j, 1, "PaymentMeans", "a credit note");
	lacks(j, 0, "Payment</h2>", "a credit note");
	set(j, "references_issue_date", "2026-10-02");
	set(j, "reason", "Invoice voided");
	want(j, 1, "<cbc:ID>INV-0</cbc:ID>\n"
	    "      <cbc:IssueDate>2026-10-02</cbc:IssueDate>", "the invoice's "
	    "issue date");
	want(j, 1, "<cbc:Note>Invoice voided</cbc:Note>", "the reason");
	want(j, 0, "Corrects invoice INV-0 of 2026-10-02</div><div "
	    "class=\"reason\">Invoice voided</div>", "reference and reason");
	json_decref(j);
}

int
main(void)
{
	struct buf b = { 0 };

	refusals();
	documents();
	categories();
	dates("2026-10-01T10:00:00Z", "2026-11-01T10:00:00Z", "2026-10-01",
	    "2026-10-31", "UTC-10 Hawaii");
	dates("2026-09-30T11:00:00Z", "2026-10-31T11:00:00Z", "2026-10-01",
	    "2026-10-31", "UTC+13 Auckland");
	dates("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2026-10-01",
	    "2026-10-31", "UTC");
	dates("2026-01-31T15:00:00Z", "2026-02-28T15:00:00Z", "2026-02-01",
	    "2026-02-28", "UTC+9 Tokyo");
	escaping();
	peppol();
	invfmt_html_begin(&b, "<T>");
	ok(has(&b, "<title>&lt;T&gt;</title>"), "the title escaped");
	invfmt_html_end(&b);
	buf_free(&b);
	return tap_done();
}
