/*
 * invfmt.c: HTML and UBL renderings of invoice-gen's documents.
 *
 * All read the document record (usage-to-cash(5)) with doc.h's reader;
 * HTML and UBL then check what they need through the same loaders:
 * struct page for the head and totals, struct line and struct taxl for
 * the arrays, every amount parsed from its decimal string with dec.h
 * and printed back exactly; nothing here is ever a double.  UBL wants a
 * credit note's amounts positive, so its loaders negate them.  The text
 * rendering refuses nothing: it prints the members as they are written.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "currency.h"
#include "dec.h"
#include "doc.h"
#include "entities.h"
#include "html.h"
#include "invfmt.h"
#include "invoice.h"
#include "jval.h"
#include "tm.h"
#include "tz.h"
#include "units.h"

#define DAYLEN		16	/* "YYYY-MM-DD" and then some */

/* ---- the record ---- */

struct kind {
	const char	*name;		/* the record's kind */
	const char	*title;		/* on the page */
	const char	*root;		/* UBL document element */
	const char	*typetag, *typecode;
	const char	*linetag, *qtytag;
};

/*
 * A debit note is an Invoice with type code 383 (UNCL1001 "debit
 * note"), which Peppol BIS Billing 3.0 accepts; UBL has no DebitNote in
 * the Peppol profile.
 */
static const struct kind kinds[] = {
	{ "invoice", "INVOICE", "Invoice", "cbc:InvoiceTypeCode", "380",
	    "cac:InvoiceLine", "cbc:InvoicedQuantity" },
	{ "credit_note", "CREDIT NOTE", "CreditNote",
	    "cbc:CreditNoteTypeCode", "381", "cac:CreditNoteLine",
	    "cbc:CreditedQuantity" },
	{ "debit_note", "DEBIT NOTE", "Invoice", "cbc:InvoiceTypeCode",
	    "383", "cac:InvoiceLine", "cbc:InvoicedQuantity" },
};

/* A document as HTML and UBL render it: its record, checked. */
struct page {
	struct doc_rec	 r;
	const struct kind *k;
	const struct doc_party *seller, *buyer;
	const struct doc_fx *fx;	/* NULL: "fx" is null */
	const char	*number, *ref, *cur, *issue, *due, *corr;
	const char	*ref_date, *reason;	/* a note's: see invfmt.h */
	const char	*zone;		/* the customer's, NULL when absent */
	int		 draft;
	int		 sign;		/* -1: amounts negated */
	dec		 net, tax, total, credit, payable;
	char		 ps[DAYLEN], pe[DAYLEN]; /* period, inclusive */
};

struct line {
	json_t		*o;		/* the record's line */
	char		 uattr[24];	/* unitCode="..." */
	char		 id[24];
	const char	*desc, *name, *charge, *cat;
	dec		 qty, net, rate, gross;
	int		 has_gross;
	char		 ss[DAYLEN], se[DAYLEN];	/* "" when absent */
};

static const char *line_unit(json_t *);

/* Under a line of progressive billing's deduction (invoice.h). */
#define PROGRESSIVE_WORDS	"billed on interim invoices, deducted"

struct taxl {
	const char	*cat, *name, *note;
	dec		 rate, base, tax;
	int		 incl;
};

struct addr {
	const char	*line1, *line2, *city, *postal, *region, *country;
};

/*
 * A string the reader found, when it is not empty, else NULL: what is
 * printed needs text.  (The records are parsed without JSON_ALLOW_NUL,
 * so the first character says whether the string is empty.)
 */
static const char *
nz(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* A decimal string member, negated when sign < 0. */
static int
sdec(const struct doc_amt *a, int sign, dec *d)
{
	if (!a->ok)
		return -1;
	*d = sign < 0 ? dec_neg(a->d) : a->d;
	return 0;
}

/* sdec of member k, failing with a message that names it */
#define JDEC(a, k, sign, d, why)					\
	(sdec((a), (sign), (d)) == 0 ? 0 :				\
	    fail_why((why), "'" k "' is missing or not a decimal string"))

/* "YYYY-MM-DD", the shape of the record's dates */
static int
is_day(const char *s)
{
	static const char pat[] = "dddd-dd-dd";
	size_t i;

	if (s == NULL || strlen(s) != sizeof(pat) - 1)
		return 0;
	for (i = 0; pat[i] != '\0'; i++)
		if (pat[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != '-')
			return 0;
	return 1;
}

static int
is_currency(const char *s)
{
	return s != NULL && strlen(s) == 3 && strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3;
}

/*
 * The calendar day of a period bound.  A billing period runs from a local
 * midnight to a local midnight in the customer's time zone, which the
 * record names ("timezone"): the local date of the bound.  An end is
 * exclusive, so its day is the one before: a month is "2026-10-01 ..
 * 2026-10-31".  Without a zone (a record written before it was there),
 * the day is that of the one midnight in [t - 10h, t + 14h), right for
 * every zone from UTC-10 to UTC+13:45.
 */
static int
bound_day(const struct doc_time *t, const char *zone, int end, char *out)
{
	static struct tz_set zones;	/* every zone loaded, kept */
	const struct tz *tz = NULL;
	const char *why;
	int64_t days;

	if (!t->ok)
		return -1;
	if (zone != NULL)
		tz = tz_set_get(&zones, zone, &why);
	if (tz != NULL)
		days = tz_day(tz, t->t);
	else
		days = -tm_floordiv(-(tm_floordiv(t->t, TM_NS_PER_SEC) -
		    10 * 3600), 86400);
	if (end)
		days--;
	/* instants span years 1677 to 2262: "YYYY-MM-DD" always fits */
	tm_day_str(days, out, DAYLEN);
	return 0;
}

static const struct kind *
kind_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

/* The head's strings and objects; 0, or -1 with *why. */
static int
doc_strings(struct page *d, const char **why)
{
	const struct doc_rec *r = &d->r;
	const char *state = nz(r->state);

	if ((d->k = kind_find(nz(r->kind))) == NULL)
		return fail_why(why, "'kind' is not invoice, credit_note or "
		    "debit_note");
	d->number = nz(r->number);
	d->draft = state != NULL && strcmp(state, "draft") == 0 &&
	    d->number == NULL;
	if (!d->draft && d->number == NULL)
		return fail_why(why, "an issued document has no 'number'");
	d->ref = nz(r->ref);
	d->ref_date = is_day(nz(jval_str(r->j, "references_issue_date"))) ?
	    jval_str(r->j, "references_issue_date") : NULL;
	d->reason = nz(jval_str(r->j, "reason"));
	d->corr = nz(r->corr);
	if (!is_currency(d->cur = nz(r->currency)))
		return fail_why(why, "'currency' is not an ISO 4217 code");
	if (!is_day(d->issue = nz(r->issue_date)) ||
	    !is_day(d->due = nz(r->due_date)))
		return fail_why(why, "'issue_date' or 'due_date' is not a date");
	d->seller = &r->entity;
	d->buyer = &r->customer;
	if (r->entity.o == NULL || r->customer.o == NULL)
		return fail_why(why, "'entity' or 'customer' is not an object");
	if (r->lines == NULL || r->taxes == NULL)
		return fail_why(why, "'lines' or 'tax_lines' is not an array");
	if (json_is_null(r->fxv))
		d->fx = NULL;
	else if (!json_is_object(r->fxv))
		return fail_why(why, "'fx' is neither an object nor null");
	else
		d->fx = &r->fx;
	return 0;
}

/*
 * A document record; positive: a credit note's amounts negated (UBL
 * states them as positive numbers under CreditNote).
 */
static int
doc_load(json_t *j, int positive, struct page *d, const char **why)
{
	const struct doc_rec *r = &d->r;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(j))
		return fail_why(why, "the document is not a JSON object");
	doc_read(j, NULL, &d->r);
	if (doc_strings(d, why) < 0)
		return -1;
	d->sign = positive && strcmp(d->k->name, "credit_note") == 0 ? -1 : 1;
	if (JDEC(&r->net, "net", d->sign, &d->net, why) < 0 ||
	    JDEC(&r->tax, "tax", d->sign, &d->tax, why) < 0 ||
	    JDEC(&r->total, "total", d->sign, &d->total, why) < 0 ||
	    JDEC(&r->credit, "prepaid_credit", d->sign, &d->credit, why) < 0 ||
	    JDEC(&r->due, "amount_due", d->sign, &d->payable, why) < 0)
		return -1;
	d->zone = nz(r->timezone);
	if (bound_day(&r->ps, d->zone, 0, d->ps) < 0 ||
	    bound_day(&r->pe, d->zone, 1, d->pe) < 0)
		return fail_why(why, "'period_start' or 'period_end' is not an "
		    "RFC 3339 time");
	return 0;
}

/* What a line without a name or charge is: its type, in words. */
static const char *
type_label(const char *type)
{
	static const char *const label[][2] = {
		{ "discount", "Discount" }, { "flat", "Flat fee" },
		{ "true_up", "Minimum commitment true-up" },
		{ "usage", "Usage" },
	};
	size_t i;

	for (i = 0; type != NULL && i < sizeof(label) / sizeof(label[0]); i++)
		if (strcmp(label[i][0], type) == 0)
			return label[i][1];
	return type;
}

/* Line i of the document. */
static int
line_load(const struct page *d, size_t i, int sign, struct line *l,
    const char **why)
{
	struct doc_line dl;

	memset(l, 0, sizeof(*l));
	doc_line_read(&d->r, i, &dl);
	if (dl.o == NULL)
		return fail_why(why, "a line is not an object");
	snprintf(l->id, sizeof(l->id), "%" PRId64, dl.has_no ? dl.no :
	    (int64_t)i + 1);
	l->o = dl.o;
	snprintf(l->uattr, sizeof(l->uattr), "unitCode=\"%s\"",
	    line_unit(dl.o));
	l->name = nz(dl.name);
	l->charge = nz(dl.charge);
	l->desc = l->name ? l->name : l->charge ? l->charge :
	    type_label(nz(dl.line_type));
	if (l->desc == NULL)
		return fail_why(why, "a line has no name, charge or line_type");
	if ((l->cat = nz(dl.tax_category)) == NULL)
		return fail_why(why, "a line has no 'tax_category'");
	if (JDEC(&dl.qty, "quantity", sign, &l->qty, why) < 0 ||
	    JDEC(&dl.net, "net", sign, &l->net, why) < 0 ||
	    JDEC(&dl.rate, "tax_rate", 1, &l->rate, why) < 0)
		return -1;
	if (dl.gross.v != NULL && !json_is_null(dl.gross.v)) {
		if (JDEC(&dl.gross, "gross", sign, &l->gross, why) < 0)
			return -1;
		l->has_gross = 1;
	}
	if (bound_day(&dl.ss, d->zone, 0, l->ss) < 0 ||
	    bound_day(&dl.se, d->zone, 1, l->se) < 0)
		l->ss[0] = l->se[0] = '\0';
	return 0;
}

/* Tax line i of the document. */
static int
taxl_load(const struct page *d, size_t i, int sign, struct taxl *t,
    const char **why)
{
	struct doc_taxl dt;

	memset(t, 0, sizeof(*t));
	doc_taxl_read(&d->r, i, &dt);
	if (dt.o == NULL)
		return fail_why(why, "a tax line is not an object");
	if ((t->cat = nz(dt.category)) == NULL)
		return fail_why(why, "a tax line has no 'category'");
	t->name = nz(dt.name);
	t->note = nz(dt.note);
	t->incl = dt.inclusive;
	if (JDEC(&dt.rate, "rate", 1, &t->rate, why) < 0 ||
	    JDEC(&dt.base, "base", sign, &t->base, why) < 0 ||
	    JDEC(&dt.tax, "tax", sign, &t->tax, why) < 0)
		return -1;
	return 0;
}

/* A party's name, its id when it has none. */
static const char *
pname(const struct doc_party *p)
{
	const char *s = nz(p->name);

	return s != NULL ? s : nz(p->id);
}

/*
 * Whether the document asks for payment to the seller's account: an
 * issued invoice or debit note of a seller with one (a credit note is
 * paid back, not paid).
 */
static int
pays(const struct page *d)
{
	return !d->draft && strcmp(d->k->name, "credit_note") != 0 &&
	    (nz(d->seller->iban) != NULL || nz(d->seller->account) != NULL);
}

/* "IBAN X, BIC Y" or "account X, routing number Y", for people */
static void
pay_account(struct buf *b, const struct doc_party *p,
    void (*put)(struct buf *, const char *))
{
	int iban = nz(p->iban) != NULL;
	const char *id = iban ? p->iban : p->account;
	const char *branch = nz(iban ? p->bic : p->routing);

	put(b, iban ? "IBAN " : "account ");
	put(b, id);
	if (branch != NULL) {
		put(b, iban ? ", BIC " : ", routing number ");
		put(b, branch);
	}
	if (nz(p->holder) != NULL) {
		put(b, " (");
		put(b, p->holder);
		put(b, ")");
	}
}

/* A party's address, its country and region when it has none. */
static void
addr_get(const struct doc_party *p, struct addr *a)
{
	a->line1 = nz(p->line1);
	a->line2 = nz(p->line2);
	a->city = nz(p->city);
	a->postal = nz(p->postal_code);
	if ((a->region = nz(p->addr_region)) == NULL)
		a->region = nz(p->region);
	if ((a->country = nz(p->addr_country)) == NULL)
		a->country = nz(p->country);
}

/*
 * A seller in the US charges sales tax, which is no VAT: its documents
 * name a tax in words with its jurisdiction, "Sales tax (NY) 8.875 %"
 * (the buyer's state), not by EN 16931's category letter, which stays
 * in the record and in UBL.  A US party's tax id that spells an
 * Employer Identification Number is printed as one, "EIN 12-3456789".
 */
static int
us_party(const struct doc_party *p)
{
	const char *c = nz(p->addr_country) ? p->addr_country : nz(p->country);

	return c != NULL && strcmp(c, "US") == 0;
}

/* The EIN a tax id spells ("US98-7654321", "987654321"), else NULL. */
static const char *
us_ein(const char *tax_id, char out[16])
{
	const char *s = tax_id;
	char d[9];
	size_t n = 0;

	if (s == NULL)
		return NULL;
	if (strncmp(s, "US", 2) == 0)
		s += 2;
	for (; *s != '\0'; s++)
		if (*s >= '0' && *s <= '9' && n < sizeof(d))
			d[n++] = *s;
		else if (*s != '-' || n != 2)
			return NULL;
	if (n != sizeof(d))
		return NULL;
	snprintf(out, 16, "%.2s-%.7s", d, d + 2);
	return out;
}

/*
 * A US document's tax in words into b: "Sales tax (NY) 8.875 %", or
 * "Exempt from sales tax" (E), "No sales tax" (O); rate as printed,
 * left out when NULL (a table with a column of rates).
 */
static void
us_tax_words(struct buf *b, const struct doc_party *buyer, const char *cat,
    const char *rate, int incl)
{
	const char *st = nz(buyer->region) ? buyer->region :
	    nz(buyer->addr_region);

	if (cat != NULL && strcmp(cat, "E") == 0) {
		buf_adds(b, "Exempt from sales tax");
		return;
	}
	if (cat != NULL && strcmp(cat, "O") == 0) {
		buf_adds(b, "No sales tax");
		return;
	}
	buf_adds(b, "Sales tax");
	if (st != NULL)
		buf_printf(b, " (%s)", st);
	if (rate != NULL)
		buf_printf(b, " %s %%%s", rate, incl ? " incl." : "");
}

/*
 * A line's unit and price as the record states them (inv_line_price in
 * invoice.c): the quantity at the charge's display_decimals with its
 * unit's label, "444.87 GB", and the price that explains the net, a
 * line of text each: "at 0.00003 USD per GB", a package's "at 2.00 USD
 * per 1000", a tier's "0 to 1000: 444.866778523 x 0.023 = 10.23...".
 * Text, HTML and UBL (the item's description) say the same.
 */
static const char *
line_unit(json_t *lo)
{
	const char *u = jval_str(lo, "unit");

	return u != NULL && unit_label(u) != NULL ? u : UNIT_DEFAULT;
}

/* q as shown: rounded half-up to display_decimals, else as it is */
static dec
line_qty_shown(json_t *lo, dec q)
{
	json_t *v = json_object_get(lo, "display_decimals");
	dec r;

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= 9 && dec_round(q,
	    (int)json_integer_value(v), DEC_HALF_UP, &r) == DEC_OK)
		return r;
	return q;
}

/* " GB" after a quantity, "" for C62 */
static void
line_label(struct buf *b, json_t *lo)
{
	const char *lab = unit_label(line_unit(lo));

	if (*lab != '\0')
		buf_printf(b, " %s", lab);
}

static int
nonzero(const char *s)
{
	dec d;

	return s != NULL && dec_parse(s, strlen(s), &d) == 0 &&
	    dec_sign(d) != 0;
}

/* The price's lines of text into b, each ended by a newline. */
static void
line_price_text(struct buf *b, json_t *lo, const char *cur)
{
	const char *lab = unit_label(line_unit(lo)), *p, *n;
	json_t *t = json_object_get(lo, "tiers"), *e;
	size_t i;

	if ((p = jval_str(lo, "unit_price")) != NULL)
		buf_printf(b, "at %s %s %s%s\n", p, cur, *lab ? "per " :
		    "each", lab);
	if ((p = jval_str(lo, "package_price")) != NULL &&
	    (n = jval_str(lo, "package_size")) != NULL)
		buf_printf(b, "at %s %s per %s%s%s\n", p, cur, n, *lab ? " " :
		    "", lab);
	for (i = 0; json_is_array(t) && i < json_array_size(t); i++) {
		const char *from, *up, *units, *ua, *fa, *amt, *bs, *nb;

		e = json_array_get(t, i);
		from = jval_str(e, "from");
		up = jval_str(e, "up_to");
		units = jval_str(e, "units");
		ua = jval_str(e, "unit_amount");
		fa = jval_str(e, "flat_amount");
		amt = jval_str(e, "amount");
		bs = jval_str(e, "block_size");
		nb = jval_str(e, "blocks");
		if (from == NULL || units == NULL || ua == NULL || amt == NULL)
			continue;
		if (up != NULL)
			buf_printf(b, "%s to %s: ", from, up);
		else
			buf_printf(b, "%s and up: ", from);
		/* a tier priced in blocks: its blocks times the block price */
		if (bs != NULL && nb != NULL)
			buf_printf(b, "%s in %s blocks of %s x %s", units, nb, bs,
			    ua);
		else
			buf_printf(b, "%s x %s", units, ua);
		if (nonzero(fa))
			buf_printf(b, " + %s", fa);
		buf_printf(b, " = %s %s\n", amt, cur);
	}
}

/* ---- markup shared by HTML and XML ---- */

/* <name attr>text</name>, the text escaped, attr as given (or NULL) */
static void
el(struct buf *b, const char *name, const char *attr, const char *text)
{
	buf_printf(b, "<%s%s%s>", name, attr ? " " : "", attr ? attr : "");
	html_esc(b, text);
	buf_printf(b, "</%s>", name);
}

/* ---- HTML ---- */

static const char css[] =
"@page { size: A4; margin: 16mm 15mm 18mm; }\n"
"* { box-sizing: border-box; }\n"
"html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
"body { margin: 0; color: #1c1c1c; font: 9.5pt/1.45 \"DejaVu Sans\",\n"
"  \"Liberation Sans\", Arial, \"Noto Sans CJK JP\", sans-serif; }\n"
"article { break-after: page; page-break-after: always; }\n"
"article:last-of-type { break-after: auto; page-break-after: auto; }\n"
"@media screen {\n"
"  body { background: #e8e8e8; }\n"
"  article { background: #fff; width: 210mm; min-height: 297mm;\n"
"    margin: 8mm auto; padding: 16mm 15mm;\n"
"    box-shadow: 0 1px 4px rgba(0,0,0,.25); }\n"
"}\n"
"header, .parties, .summary { display: flex; gap: 10mm;\n"
"  justify-content: space-between; align-items: flex-start; }\n"
"header { border-bottom: 2px solid #1c1c1c; padding-bottom: 4mm;\n"
"  margin-bottom: 6mm; }\n"
".title { text-align: right; }\n"
"h1 { font-size: 20pt; letter-spacing: .08em; margin: 0; }\n"
".draft h1 { color: #b42318; }\n"
".number { font-size: 11pt; font-weight: bold; }\n"
"h2 { font-size: 7.5pt; text-transform: uppercase; color: #666;\n"
"  margin: 0 0 1.5mm; }\n"
".party { flex: 1; }\n"
".pname { font-weight: bold; font-size: 10.5pt; }\n"
".parties { margin-bottom: 7mm; }\n"
"table { border-collapse: collapse; }\n"
".meta th { text-align: left; font-weight: normal; color: #666;\n"
"  padding: 0 5mm 0 0; }\n"
".meta td { text-align: right; padding: 0; }\n"
".lines { width: 100%; }\n"
".lines th, .taxes th { text-align: left; font-size: 7.5pt;\n"
"  text-transform: uppercase; color: #444;\n"
"  border-bottom: 1px solid #1c1c1c; padding: 1.5mm 2mm; }\n"
".lines td, .taxes td { border-bottom: 1px solid #ddd; padding: 1.5mm 2mm;\n"
"  vertical-align: top; }\n"
"thead { display: table-header-group; }\n"
"tr, .summary, .fx, .notes p { break-inside: avoid;\n"
"  page-break-inside: avoid; }\n"
"th.n, td.n { text-align: right; white-space: nowrap;\n"
"  font-variant-numeric: tabular-nums; }\n"
".lines td.q { overflow-wrap: anywhere; white-space: normal; }\n"
".sub { color: #666; font-size: 8pt; }\n"
".summary { margin-top: 6mm; }\n"
".totals td, .totals th { padding: 1mm 2mm; text-align: right; }\n"
".totals th { font-weight: normal; }\n"
".totals .grand th, .totals .grand td { border-top: 2px solid #1c1c1c;\n"
"  font-weight: bold; font-size: 11pt; }\n"
".fx, .notes { margin-top: 6mm; }\n"
".notes p { margin: 0 0 2mm; }\n"
"footer { margin-top: 8mm; color: #666; font-size: 8pt; }\n";

void
invfmt_html_begin(struct buf *b, const char *title)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n");
	el(b, "title", NULL, title != NULL ? title : "Invoices");
	buf_printf(b, "\n<style>\n%s</style>\n</head><body>\n", css);
}

void
invfmt_html_end(struct buf *b)
{
	buf_adds(b, "</body></html>\n");
}

/* 1234567.50 as 1,234,567.50 */
/* <td class="n">1,234.50 EUR</td>, cur NULL for none */
static void
h_amount(struct buf *b, dec d, const char *cur)
{
	buf_adds(b, "<td class=\"n\">");
	html_grouped(b, d);
	if (cur != NULL)
		buf_printf(b, " %s", cur);
	buf_adds(b, "</td>");
}

/* "20%", "8.875% incl." */
static void
h_rate(struct buf *b, dec rate, int incl)
{
	html_esc(b, dec_str(dec_normalize(rate)).s);
	buf_adds(b, incl ? "% incl." : "%");
}

static void
h_opt(struct buf *b, const char *s)
{
	if (s != NULL)
		el(b, "div", NULL, s);
}

/* sep and s, when there is an s */
static void
h_then(struct buf *b, const char *sep, const char *s)
{
	if (s != NULL) {
		buf_adds(b, sep);
		html_esc(b, s);
	}
}

/*
 * The city line: North America and Australia write "City, ST 12345",
 * most others "12345 City" with the region on a line of its own.
 */
static void
h_city(struct buf *b, const struct addr *a)
{
	static const char cityfirst[] = "US CA AU";
	int cf = a->country != NULL && strlen(a->country) == 2 &&
	    strstr(cityfirst, a->country) != NULL && a->city != NULL;

	if (cf) {
		buf_adds(b, "<div>");
		html_esc(b, a->city);
		h_then(b, ", ", a->region);
		h_then(b, a->region ? " " : ", ", a->postal);
		buf_adds(b, "</div>");
		return;
	}
	if (a->city != NULL || a->postal != NULL) {
		buf_adds(b, "<div>");
		h_then(b, "", a->postal);
		h_then(b, a->postal ? " " : "", a->city);
		buf_adds(b, "</div>");
	}
	h_opt(b, a->region);
}

static void
h_address(struct buf *b, const struct addr *a)
{
	h_opt(b, a->line1);
	h_opt(b, a->line2);
	h_city(b, a);
	h_opt(b, a->country);
}

static void
h_party(struct buf *b, const char *heading, const struct doc_party *p)
{
	struct addr a;
	const char *tax = nz(p->tax_id), *name = pname(p), *ein;
	char e[16];

	ein = us_party(p) ? us_ein(tax, e) : NULL;
	buf_printf(b, "<div class=\"party\"><h2>%s</h2>", heading);
	/* a stored record may name a party neither way: "?" as text says */
	el(b, "div", "class=\"pname\"", name != NULL ? name : "?");
	addr_get(p, &a);
	h_address(b, &a);
	if (tax != NULL) {
		buf_adds(b, ein != NULL ? "<div>EIN " : "<div>Tax ID ");
		html_esc(b, ein != NULL ? ein : tax);
		buf_adds(b, "</div>");
	}
	if (nz(p->legal_id) != NULL) {
		buf_adds(b, "<div>Registration ");
		html_esc(b, p->legal_id);
		buf_adds(b, "</div>");
	}
	buf_adds(b, "</div>\n");
}

static void
h_head(struct buf *b, const struct page *d)
{
	buf_adds(b, "<header>\n");
	h_party(b, "From", d->seller);
	buf_printf(b, "<div class=\"title\"><h1>%s%s</h1>",
	    d->draft ? "DRAFT " : "", d->k->title);
	el(b, "div", "class=\"number\"", d->draft ? "Not issued: no number "
	    "yet" : d->number);
	if (d->ref != NULL) {
		buf_adds(b, "<div class=\"ref\">Corrects invoice ");
		html_esc(b, d->ref);
		h_then(b, " of ", d->ref_date);
		buf_adds(b, "</div>");
	}
	if (d->reason != NULL)
		el(b, "div", "class=\"reason\"", d->reason);
	buf_adds(b, "</div>\n</header>\n");
}

static void
h_row(struct buf *b, const char *th, const char *td)
{
	buf_printf(b, "<tr><th>%s</th>", th);
	el(b, "td", NULL, td);
	buf_adds(b, "</tr>\n");
}

static void
h_parties(struct buf *b, const struct page *d)
{
	buf_adds(b, "<section class=\"parties\">\n");
	h_party(b, "Bill to", d->buyer);
	buf_adds(b, "<table class=\"meta\">\n");
	h_row(b, "Issue date", d->issue);
	if (strcmp(d->k->name, "credit_note") != 0)
		h_row(b, "Due date", d->due);
	buf_printf(b, "<tr><th>Period</th><td>%s &ndash; %s</td></tr>\n",
	    d->ps, d->pe);
	h_row(b, "Currency", d->cur);
	if (nz(d->buyer->id) != NULL)
		h_row(b, "Customer", nz(d->buyer->id));
	buf_adds(b, "</table>\n</section>\n");
}

/* A tax's category and rate, in words on a US document. */
static void
h_tax(struct buf *b, const struct page *d, const char *cat, dec rate,
    int incl)
{
	struct buf w = { 0 };

	if (!us_party(d->seller)) {
		html_esc(b, cat);
		buf_addc(b, ' ');
		h_rate(b, rate, incl);
		return;
	}
	us_tax_words(&w, d->buyer, cat, dec_str(dec_normalize(rate)).s, incl);
	html_esc(b, buf_cstr(&w));
	buf_free(&w);
}

static void
h_line(struct buf *b, const struct page *d, const struct line *l)
{
	struct buf p = { 0 };
	const char *s, *nl;

	buf_printf(b, "<tr><td class=\"n\">%s</td><td>", l->id);
	html_esc(b, l->desc);
	if ((s = jval_str(l->o, "line_type")) != NULL &&
	    strcmp(s, INV_PROGRESSIVE) == 0)
		buf_printf(b, "<div class=\"sub\">%s</div>", PROGRESSIVE_WORDS);
	if (l->ss[0] != '\0' && (strcmp(l->ss, d->ps) != 0 ||
	    strcmp(l->se, d->pe) != 0))
		buf_printf(b, "<div class=\"sub\">Service %s &ndash; %s</div>",
		    l->ss, l->se);
	line_price_text(&p, l->o, d->cur);
	for (s = p.len ? buf_cstr(&p) : ""; (nl = strchr(s, '\n')) != NULL;
	    s = nl + 1) {
		buf_adds(b, "<div class=\"sub\">");
		html_escn(b, s, (size_t)(nl - s));
		buf_adds(b, "</div>");
	}
	buf_free(&p);
	buf_adds(b, "</td><td class=\"n q\">");
	html_grouped(b, line_qty_shown(l->o, l->qty));
	line_label(b, l->o);
	buf_adds(b, "</td><td>");
	h_tax(b, d, l->cat, l->rate, 0);
	buf_adds(b, "</td><td class=\"n\">");
	html_grouped(b, l->net);
	if (l->has_gross) {
		buf_adds(b, "<div class=\"sub\">");
		html_grouped(b, l->gross);
		buf_adds(b, " incl. tax</div>");
	}
	buf_adds(b, "</td></tr>\n");
}

static int
h_lines(struct buf *b, const struct page *d, const char **why)
{
	struct line l;
	size_t i;

	buf_printf(b, "<table class=\"lines\"><thead><tr><th class=\"n\">#"
	    "</th><th>Description</th><th class=\"n\">Quantity</th>"
	    "<th>Tax</th><th class=\"n\">Net (%s)</th></tr></thead>"
	    "<tbody>\n", d->cur);
	for (i = 0; i < d->r.nlines; i++) {
		if (line_load(d, i, 1, &l, why) < 0)
			return -1;
		h_line(b, d, &l);
	}
	buf_adds(b, "</tbody></table>\n");
	return 0;
}

static int
h_taxes(struct buf *b, const struct page *d, const char **why)
{
	struct taxl t;
	size_t i;

	buf_adds(b, "<table class=\"taxes\"><thead><tr><th>Tax</th>"
	    "<th class=\"n\">Rate</th><th class=\"n\">Base</th>"
	    "<th class=\"n\">Tax</th></tr></thead><tbody>\n");
	for (i = 0; i < d->r.ntaxes; i++) {
		if (taxl_load(d, i, 1, &t, why) < 0)
			return -1;
		buf_adds(b, "<tr><td>");
		if (us_party(d->seller)) {
			struct buf w = { 0 };

			us_tax_words(&w, d->buyer, t.cat, NULL, 0);
			html_esc(b, buf_cstr(&w));
			buf_free(&w);
		} else
			html_esc(b, t.cat);
		if (t.name != NULL) {
			buf_adds(b, " <span class=\"sub\">");
			html_esc(b, t.name);
			buf_adds(b, "</span>");
		}
		buf_adds(b, "</td><td class=\"n\">");
		h_rate(b, t.rate, t.incl);
		buf_adds(b, "</td>");
		h_amount(b, t.base, NULL);
		h_amount(b, t.tax, NULL);
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</tbody></table>\n");
	return 0;
}

static void
h_total(struct buf *b, const char *cls, const char *label, dec d,
    const char *cur)
{
	buf_printf(b, "<tr%s%s%s><th>%s</th>", cls ? " class=\"" : "",
	    cls ? cls : "", cls ? "\"" : "", label);
	h_amount(b, d, cur);
	buf_adds(b, "</tr>\n");
}

static int
h_summary(struct buf *b, const struct page *d, const char **why)
{
	int credit = dec_sign(d->credit) != 0;

	buf_adds(b, "<div class=\"summary\">\n");
	if (h_taxes(b, d, why) < 0)
		return -1;
	buf_adds(b, "<table class=\"totals\">\n");
	h_total(b, NULL, "Net", d->net, d->cur);
	h_total(b, NULL, "Tax", d->tax, d->cur);
	h_total(b, credit ? NULL : "grand", "Total", d->total, d->cur);
	if (credit) {
		h_total(b, NULL, "Prepaid credit", d->credit, d->cur);
		h_total(b, "grand", "Amount due", d->payable, d->cur);
	}
	buf_adds(b, "</table>\n</div>\n");
	return 0;
}

/* The total in the seller's functional currency, when it differs. */
static int
h_fx(struct buf *b, const struct page *d, const char **why)
{
	const char *from, *to, *day;
	dec rate, net, tax, total;

	if (d->fx == NULL)
		return 0;
	from = nz(d->fx->from);
	to = nz(d->fx->to);
	day = nz(d->fx->date);
	if (!is_currency(from) || !is_currency(to) || !is_day(day))
		return fail_why(why, "'fx' lacks 'from', 'to' or 'date'");
	if (JDEC(&d->fx->rate, "rate", 1, &rate, why) < 0 ||
	    JDEC(&d->fx->net, "net", 1, &net, why) < 0 ||
	    JDEC(&d->fx->tax, "tax", 1, &tax, why) < 0 ||
	    JDEC(&d->fx->total, "total", 1, &total, why) < 0)
		return -1;
	buf_adds(b, "<p class=\"fx\">Total in functional currency: <strong>");
	html_grouped(b, total);
	buf_printf(b, " %s</strong> (net ", to);
	html_grouped(b, net);
	buf_adds(b, ", tax ");
	html_grouped(b, tax);
	buf_printf(b, ") at 1 %s = %s %s, the rate of %s.</p>\n", from,
	    dec_str(rate).s, to, day);
	return 0;
}

static void
h_put(struct buf *b, const char *s)
{
	html_esc(b, s);
}

/* Where and how to pay, with the reference to give: the number. */
static void
h_pay(struct buf *b, const struct page *d)
{
	if (!pays(d))
		return;
	buf_adds(b, "<section class=\"notes pay\"><h2>Payment</h2>\n<p>By bank "
	    "transfer to ");
	pay_account(b, d->seller, h_put);
	buf_adds(b, ", by ");
	html_esc(b, d->due);
	buf_adds(b, ", with the reference <strong>");
	html_esc(b, d->number);
	buf_adds(b, "</strong>.</p>\n</section>\n");
}

/* The tax lines' legal notes (reverse charge, exemptions). */
static void
h_notes(struct buf *b, const struct page *d)
{
	struct doc_taxl t;
	size_t i, n = 0;

	for (i = 0; i < d->r.ntaxes; i++) {
		doc_taxl_read(&d->r, i, &t);
		if (nz(t.note) == NULL || nz(t.category) == NULL)
			continue;
		if (n++ == 0)
			buf_adds(b, "<section class=\"notes\"><h2>Notes"
			    "</h2>\n");
		buf_adds(b, "<p><strong>");
		html_esc(b, t.category);
		buf_adds(b, "</strong> ");
		html_esc(b, t.note);
		buf_adds(b, "</p>\n");
	}
	if (n > 0)
		buf_adds(b, "</section>\n");
}

static void
h_foot(struct buf *b, const struct page *d)
{
	buf_adds(b, "<footer>");
	if (d->draft)
		buf_adds(b, "A draft, not a tax document: it is numbered "
		    "when issued. ");
	else if (dec_sign(d->payable) > 0) {
		buf_printf(b, "Payment due by %s. Please quote ", d->due);
		html_esc(b, d->number);
		buf_adds(b, " with your payment. ");
	}
	if (d->corr != NULL) {
		buf_adds(b, "Reference ");
		html_esc(b, d->corr);
		buf_adds(b, ".");
	}
	buf_adds(b, "</footer>\n");
}

int
invfmt_html(json_t *j, struct buf *b, const char **why)
{
	struct page d;
	size_t mark = b->len;

	if (doc_load(j, 0, &d, why) < 0)
		return -1;
	buf_printf(b, "<article class=\"doc%s\">\n", d.draft ? " draft" : "");
	h_head(b, &d);
	h_parties(b, &d);
	if (h_lines(b, &d, why) < 0 || h_summary(b, &d, why) < 0 ||
	    h_fx(b, &d, why) < 0) {
		b->len = mark;
		return -1;
	}
	h_pay(b, &d);
	h_notes(b, &d);
	h_foot(b, &d);
	buf_adds(b, "</article>\n");
	return 0;
}

/* ---- UBL 2.1, Peppol BIS Billing 3.0 ---- */

#define UBL_NS		"urn:oasis:names:specification:ubl:schema:xsd:"
#define CUSTOMIZATION	"urn:cen.eu:en16931:2017#compliant" \
			"#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
#define PROFILE		"urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

/* An indenting XML writer. */
struct xw {
	struct buf	*b;
	int		 depth;
	char		 cur[32];	/* the currencyID attribute */
};

static void
xw_indent(struct xw *x)
{
	int i;

	for (i = 0; i < x->depth; i++)
		buf_adds(x->b, "  ");
}

static void
xw_open(struct xw *x, const char *tag)
{
	xw_indent(x);
	buf_printf(x->b, "<%s>\n", tag);
	x->depth++;
}

static void
xw_close(struct xw *x, const char *tag)
{
	x->depth--;
	xw_indent(x);
	buf_printf(x->b, "</%s>\n", tag);
}

/* An element with text; nothing when text is NULL. */
static void
xw_el(struct xw *x, const char *tag, const char *attr, const char *text)
{
	if (text == NULL)
		return;
	xw_indent(x);
	el(x->b, tag, attr, text);
	buf_addc(x->b, '\n');
}

static void
xw_amount(struct xw *x, const char *tag, dec d)
{
	xw_el(x, tag, x->cur, dec_str(d).s);
}

/* <tag><cbc:ID>id</cbc:ID></tag> */
static void
xw_id(struct xw *x, const char *tag, const char *id)
{
	xw_open(x, tag);
	xw_el(x, "cbc:ID", NULL, id);
	xw_close(x, tag);
}

static void
xw_period(struct xw *x, const char *start, const char *end)
{
	xw_open(x, "cac:InvoicePeriod");
	xw_el(x, "cbc:StartDate", NULL, start);
	xw_el(x, "cbc:EndDate", NULL, end);
	xw_close(x, "cac:InvoicePeriod");
}

/*
 * The VAT categories that need an exemption reason (EN 16931 BR-E-10,
 * BR-AE-10, BR-G-10, BR-IC-10, BR-O-10), with their VATEX code: E has
 * none of its own, the reason is the note's text.
 */
static const char *const vatex[][2] = {
	{ "AE", "VATEX-EU-AE" }, { "E", NULL }, { "G", "VATEX-EU-G" },
	{ "K", "VATEX-EU-IC" }, { "O", "VATEX-EU-O" },
};

static const char *const *
vatex_find(const char *cat)
{
	size_t i;

	for (i = 0; i < sizeof(vatex) / sizeof(vatex[0]); i++)
		if (strcmp(vatex[i][0], cat) == 0)
			return vatex[i];
	return NULL;
}

/*
 * A TaxCategory or ClassifiedTaxCategory.  "Not subject to VAT" (O)
 * has no rate at all (BR-O-05, BR-O-14); the exemption reason is
 * stated once, in the document's tax subtotal (reason non-zero).
 */
static int
ubl_taxcat(struct xw *x, const char *tag, const char *cat, dec rate,
    int reason, const char *note, const char **why)
{
	const char *const *v = reason ? vatex_find(cat) : NULL;

	if (v != NULL && v[1] == NULL && note == NULL)
		return fail_why(why, "a tax line of category E has no 'note' to "
		    "give as the exemption reason");
	xw_open(x, tag);
	xw_el(x, "cbc:ID", NULL, cat);
	if (strcmp(cat, "O") != 0)
		xw_el(x, "cbc:Percent", NULL, dec_str(dec_normalize(rate)).s);
	if (v != NULL) {
		xw_el(x, "cbc:TaxExemptionReasonCode", NULL, v[1]);
		xw_el(x, "cbc:TaxExemptionReason", NULL, note);
	}
	xw_id(x, "cac:TaxScheme", "VAT");
	xw_close(x, tag);
	return 0;
}

static void
ubl_head(struct xw *x, const struct page *d, const char *ps, const char *pe)
{
	xw_el(x, "cbc:CustomizationID", NULL, CUSTOMIZATION);
	xw_el(x, "cbc:ProfileID", NULL, PROFILE);
	xw_el(x, "cbc:ID", NULL, d->number);
	xw_el(x, "cbc:IssueDate", NULL, d->issue);
	/* UBL 2.1 has no CreditNote/DueDate: nothing is due on a credit */
	if (strcmp(d->k->root, "Invoice") == 0)
		xw_el(x, "cbc:DueDate", NULL, d->due);
	xw_el(x, d->k->typetag, NULL, d->k->typecode);
	/* a note's reason: Peppol has one note a document (BT-22) */
	xw_el(x, "cbc:Note", NULL, d->reason);
	xw_el(x, "cbc:DocumentCurrencyCode", NULL, d->cur);
	/*
	 * Peppol wants a buyer reference or an order reference
	 * (PEPPOL-EN16931-R003); the record has neither, and the
	 * customer's account id is what the buyer can route it by.
	 */
	xw_el(x, "cbc:BuyerReference", NULL, nz(d->buyer->buyer_reference) ?
	    nz(d->buyer->buyer_reference) : nz(d->buyer->id));
	xw_period(x, ps, pe);
	if (d->ref != NULL) {
		xw_open(x, "cac:BillingReference");
		xw_open(x, "cac:InvoiceDocumentReference");
		xw_el(x, "cbc:ID", NULL, d->ref);
		xw_el(x, "cbc:IssueDate", NULL, d->ref_date);
		xw_close(x, "cac:InvoiceDocumentReference");
		xw_close(x, "cac:BillingReference");
	}
	/* progressive billing: the interim invoices deducted (BG-3) */
	{
		json_t *v = json_object_get(d->r.j, "interim_invoices"), *e;
		size_t i;

		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				continue;
			xw_open(x, "cac:BillingReference");
			xw_open(x, "cac:InvoiceDocumentReference");
			xw_el(x, "cbc:ID", NULL, json_string_value(e));
			xw_close(x, "cac:InvoiceDocumentReference");
			xw_close(x, "cac:BillingReference");
		}
	}
}

static void
ubl_address(struct xw *x, const struct addr *a)
{
	xw_open(x, "cac:PostalAddress");
	xw_el(x, "cbc:StreetName", NULL, a->line1);
	xw_el(x, "cbc:AdditionalStreetName", NULL, a->line2);
	xw_el(x, "cbc:CityName", NULL, a->city);
	xw_el(x, "cbc:PostalZone", NULL, a->postal);
	xw_el(x, "cbc:CountrySubentity", NULL, a->region);
	xw_open(x, "cac:Country");
	xw_el(x, "cbc:IdentificationCode", NULL, a->country);
	xw_close(x, "cac:Country");
	xw_close(x, "cac:PostalAddress");
}

/*
 * Whether a tax id begins with a country's ISO 3166 code, as a VAT
 * identifier must (EN 16931 BR-CO-09); ids are not empty.
 */
static int
vat_prefixed(const char *s)
{
	return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

/*
 * A party.  Its tax id is its VAT identifier (BT-31, BT-48) when it
 * has a country prefix and the document is not all out of scope (o);
 * else the seller's is its tax registration (BT-32, scheme "TAX") and
 * the buyer's is left out.  A seller with no VAT identifier is named by
 * its tax id as seller identifier (BT-29), as BR-CO-26 wants one of
 * BT-29, BT-30 or BT-31.  The electronic address ("SCHEME:ID", a 4-digit
 * EAS code) is there: invfmt_ubl_refuse checked it.
 */
static int
ubl_party(struct xw *x, const char *tag, const struct doc_party *p,
    int seller, int o, const char **why)
{
	const char *name = pname(p), *tax = nz(p->tax_id), *ep, *vat, *reg;
	const char *ident;
	char attr[32];
	struct addr a;

	addr_get(p, &a);
	if (name == NULL || a.country == NULL)
		return fail_why(why, "a party has no name or no country");
	vat = tax != NULL && !o && vat_prefixed(tax) ? tax : NULL;
	reg = seller && vat == NULL ? tax : NULL;
	/* a legal registration names the seller: no identifier needed */
	ident = reg != NULL && nz(p->legal_id) == NULL ? reg : NULL;
	xw_open(x, tag);
	xw_open(x, "cac:Party");
	ep = nz(p->peppol_id);
	snprintf(attr, sizeof(attr), "schemeID=\"%.4s\"", ep);
	xw_el(x, "cbc:EndpointID", attr, ep + 5);
	if (ident != NULL)
		xw_id(x, "cac:PartyIdentification", ident);
	xw_open(x, "cac:PartyName");
	xw_el(x, "cbc:Name", NULL, name);
	xw_close(x, "cac:PartyName");
	ubl_address(x, &a);
	if (vat != NULL || reg != NULL) {
		xw_open(x, "cac:PartyTaxScheme");
		xw_el(x, "cbc:CompanyID", NULL, vat != NULL ? vat : reg);
		xw_id(x, "cac:TaxScheme", vat != NULL ? "VAT" : "TAX");
		xw_close(x, "cac:PartyTaxScheme");
	}
	xw_open(x, "cac:PartyLegalEntity");
	xw_el(x, "cbc:RegistrationName", NULL, name);
	xw_el(x, "cbc:CompanyID", NULL, nz(p->legal_id));	/* BT-30, BT-47 */
	xw_close(x, "cac:PartyLegalEntity");
	xw_close(x, "cac:Party");
	xw_close(x, tag);
	return 0;
}

/*
 * Where to pay (BG-16): a credit transfer to the seller's account, SEPA
 * (UNCL4461 58) for an IBAN in euros, else 30, the payment reference
 * (BT-83) the document's number.
 */
static void
ubl_payment(struct xw *x, const struct page *d)
{
	const struct doc_party *p = d->seller;
	int iban = nz(p->iban) != NULL;
	const char *branch = nz(iban ? p->bic : p->routing);

	if (!pays(d))
		return;
	xw_open(x, "cac:PaymentMeans");
	xw_el(x, "cbc:PaymentMeansCode", NULL, iban &&
	    strcmp(d->cur, "EUR") == 0 ? "58" : "30");
	xw_el(x, "cbc:PaymentID", NULL, d->number);
	xw_open(x, "cac:PayeeFinancialAccount");
	xw_el(x, "cbc:ID", NULL, iban ? p->iban : p->account);
	xw_el(x, "cbc:Name", NULL, nz(p->holder));
	if (branch != NULL)
		xw_id(x, "cac:FinancialInstitutionBranch", branch);
	xw_close(x, "cac:PayeeFinancialAccount");
	xw_close(x, "cac:PaymentMeans");
}

static int
ubl_taxes(struct xw *x, const struct page *d, const char **why)
{
	struct taxl t;
	size_t i;

	if (d->r.ntaxes == 0)
		return fail_why(why, "the document has no tax lines");
	xw_open(x, "cac:TaxTotal");
	xw_amount(x, "cbc:TaxAmount", d->tax);
	for (i = 0; i < d->r.ntaxes; i++) {
		if (taxl_load(d, i, d->sign, &t, why) < 0)
			return -1;
		xw_open(x, "cac:TaxSubtotal");
		xw_amount(x, "cbc:TaxableAmount", t.base);
		xw_amount(x, "cbc:TaxAmount", t.tax);
		if (ubl_taxcat(x, "cac:TaxCategory", t.cat, t.rate, 1, t.note,
		    why) < 0)
			return -1;
		xw_close(x, "cac:TaxSubtotal");
	}
	xw_close(x, "cac:TaxTotal");
	return 0;
}

/* What the document-level allowances and charges add up to, each > 0. */
struct acsum {
	dec	 allow, charge;
	size_t	 nallow, ncharge;
};

static int
ubl_totals(struct xw *x, const struct page *d, const struct acsum *ac,
    const char **why)
{
	dec lines;

	/* BR-CO-13: the lines' sum - allowances + charges = the net */
	if (dec_add(d->net, ac->allow, &lines) != 0 ||
	    dec_sub(lines, ac->charge, &lines) != 0)
		return fail_why(why, "the allowances and charges do not fit");
	xw_open(x, "cac:LegalMonetaryTotal");
	xw_amount(x, "cbc:LineExtensionAmount", lines);
	xw_amount(x, "cbc:TaxExclusiveAmount", d->net);
	xw_amount(x, "cbc:TaxInclusiveAmount", d->total);
	if (ac->nallow > 0)
		xw_amount(x, "cbc:AllowanceTotalAmount", ac->allow);
	if (ac->ncharge > 0)
		xw_amount(x, "cbc:ChargeTotalAmount", ac->charge);
	/* a credit applied is a negative amount in the record */
	if (dec_sign(d->credit) != 0)
		xw_amount(x, "cbc:PrepaidAmount", dec_neg(d->credit));
	xw_amount(x, "cbc:PayableAmount", d->payable);
	xw_close(x, "cac:LegalMonetaryTotal");
	return 0;
}

/* How a line's net is stated as quantity x price / base quantity. */
struct price {
	dec	 qty, price, base;
	dec	 charge;	/* a line charge (allowance if < 0), or 0 */
	int	 has_base;
};

/* n / q when that is a decimal of at most 38 digits, at n's scale or more */
static int
div_exact(dec n, dec q, dec *p)
{
	dec back;
	int s;

	for (s = n.s; s <= DEC_MAXSCALE; s++)
		if (dec_div(n, q, s, DEC_DOWN, p) == DEC_OK &&
		    dec_mul(*p, q, &back) == DEC_OK && dec_cmp(back, n) == 0)
			return 0;
	return -1;
}

/*
 * EN 16931 wants net = quantity x price / base quantity + charges -
 * allowances (PEPPOL-EN16931-R120) and never a negative price (BR-27):
 * a negative net (a discount) is a negative quantity at a positive
 * price; a price that is no terminating decimal is the net per base
 * quantity q; and a net without a quantity (a tier's flat amount, a
 * note correcting an amount only) is a line charge at price 0.
 */
static void
price_of(const struct line *l, struct price *p)
{
	memset(p, 0, sizeof(*p));
	p->qty = l->qty;
	p->price = (dec){ 0, l->net.s };
	if (dec_sign(l->net) == 0)
		return;
	if (dec_sign(l->qty) == 0) {
		p->charge = l->net;
		return;
	}
	if (dec_sign(l->qty) != dec_sign(l->net))
		p->qty = dec_neg(p->qty);
	if (div_exact(dec_abs(l->net), dec_abs(l->qty), &p->price) == 0)
		return;
	p->price = dec_abs(l->net);
	p->base = dec_abs(l->qty);
	p->has_base = 1;
}

static void
ubl_charge(struct xw *x, dec charge)
{
	xw_open(x, "cac:AllowanceCharge");
	xw_el(x, "cbc:ChargeIndicator", NULL, dec_sign(charge) > 0 ? "true" :
	    "false");
	xw_el(x, "cbc:AllowanceChargeReason", NULL, "Amount not "
	    "proportional to the quantity");
	xw_amount(x, "cbc:Amount", dec_abs(charge));
	xw_close(x, "cac:AllowanceCharge");
}

/* The item's description (BT-154): its price's lines, "; " between. */
static void
ubl_item_desc(struct xw *x, const struct line *l, const char *cur)
{
	struct buf p = { 0 }, o = { 0 };
	const char *s, *nl;

	line_price_text(&p, l->o, cur);
	for (s = p.len ? buf_cstr(&p) : ""; (nl = strchr(s, '\n')) != NULL;
	    s = nl + 1)
		buf_printf(&o, "%s%.*s", o.len ? "; " : "", (int)(nl - s), s);
	if (o.len > 0)
		xw_el(x, "cbc:Description", NULL, buf_cstr(&o));
	buf_free(&p);
	buf_free(&o);
}

/* ---- document-level allowances and charges (BG-20, BG-21) ---- */

/*
 * A line of the whole bill (a discount or true-up without a charge,
 * which invoice.c shares over the tax categories with a positive
 * amount, a line for each) is a document-level allowance (BG-20) or
 * charge (BG-21) in its own tax category, not an invoice line: a
 * negative net an allowance, a positive one a charge, each amount > 0.
 * A document of such lines only (a note changing nothing else) keeps
 * them as lines: UBL needs one (BR-16).
 */
static int
bill_level(const struct page *d, size_t i)
{
	struct doc_line dl;

	doc_line_read(&d->r, i, &dl);
	/*
	 * Progressive billing: what the interim invoices billed, taken off
	 * the final invoice, is an allowance in each line's category, as
	 * Lago applies it before tax (its progressive_billing_credit).
	 */
	if (dl.o != NULL && nz(dl.line_type) != NULL &&
	    strcmp(dl.line_type, INV_PROGRESSIVE) == 0)
		return 1;
	return dl.o != NULL && nz(dl.charge) == NULL && nz(dl.line_type) !=
	    NULL && (strcmp(dl.line_type, "discount") == 0 ||
	    strcmp(dl.line_type, "true_up") == 0);
}

/* Whether the document's bill-level lines are allowances and charges. */
static int
has_item_line(const struct page *d)
{
	size_t i;

	for (i = 0; i < d->r.nlines; i++)
		if (!bill_level(d, i))
			return 1;
	return 0;
}

static int
ubl_allowances(struct xw *x, const struct page *d, struct acsum *ac,
    const char **why)
{
	struct line l;
	struct doc_line dl;
	char reason[256];
	size_t i;
	int e, up;

	memset(ac, 0, sizeof(*ac));
	ac->allow = ac->charge = (dec){ 0, d->net.s };
	if (!has_item_line(d))
		return 0;
	for (i = 0; i < d->r.nlines; i++) {
		if (!bill_level(d, i))
			continue;
		if (line_load(d, i, d->sign, &l, why) < 0)
			return -1;
		if (dec_sign(l.net) == 0)
			continue;
		up = dec_sign(l.net) > 0;
		xw_open(x, "cac:AllowanceCharge");
		xw_el(x, "cbc:ChargeIndicator", NULL, up ? "true" : "false");
		doc_line_read(&d->r, i, &dl);
		if (nz(dl.line_type) != NULL &&
		    strcmp(dl.line_type, INV_PROGRESSIVE) == 0)
			snprintf(reason, sizeof(reason), "Billed on interim "
			    "invoices: %s", l.desc);
		else
			snprintf(reason, sizeof(reason), "%s", l.desc);
		xw_el(x, "cbc:AllowanceChargeReason", NULL, reason);
		xw_amount(x, "cbc:Amount", dec_abs(l.net));
		if (ubl_taxcat(x, "cac:TaxCategory", l.cat, l.rate, 0, NULL,
		    why) < 0)
			return -1;
		xw_close(x, "cac:AllowanceCharge");
		e = up ? dec_add(ac->charge, l.net, &ac->charge) :
		    dec_add(ac->allow, dec_abs(l.net), &ac->allow);
		if (e != 0)
			return fail_why(why, "the allowances and charges do "
			    "not fit");
		*(up ? &ac->ncharge : &ac->nallow) += 1;
	}
	return 0;
}

static int
ubl_line(struct xw *x, const struct page *d, size_t i, const char **why)
{
	struct line l;
	struct price p;

	if (line_load(d, i, d->sign, &l, why) < 0)
		return -1;
	price_of(&l, &p);
	xw_open(x, d->k->linetag);
	xw_el(x, "cbc:ID", NULL, l.id);
	xw_el(x, d->k->qtytag, l.uattr, dec_str(p.qty).s);
	xw_amount(x, "cbc:LineExtensionAmount", l.net);
	if (l.ss[0] != '\0')
		xw_period(x, l.ss, l.se);
	if (dec_sign(p.charge) != 0)
		ubl_charge(x, p.charge);
	xw_open(x, "cac:Item");
	ubl_item_desc(x, &l, d->cur);
	xw_el(x, "cbc:Name", NULL, l.desc);
	if (l.name != NULL && l.charge != NULL)
		xw_id(x, "cac:SellersItemIdentification", l.charge);
	if (ubl_taxcat(x, "cac:ClassifiedTaxCategory", l.cat, l.rate, 0,
	    NULL, why) < 0)
		return -1;
	xw_close(x, "cac:Item");
	xw_open(x, "cac:Price");
	xw_amount(x, "cbc:PriceAmount", p.price);
	if (p.has_base)
		xw_el(x, "cbc:BaseQuantity", l.uattr, dec_str(p.base).s);
	xw_close(x, "cac:Price");
	xw_close(x, d->k->linetag);
	return 0;
}

/*
 * Whether the document is all "not subject to VAT" (O): then it states
 * no VAT identifier (BR-O-02), the seller's tax id being its tax
 * registration (BT-32, a TaxScheme other than VAT) and the buyer's left
 * out.
 */
static int
all_o(const struct page *d)
{
	struct doc_taxl t;
	size_t i;

	for (i = 0; i < d->r.ntaxes; i++) {
		const char *c;

		doc_taxl_read(&d->r, i, &t);
		c = nz(t.category);

		if (c == NULL || strcmp(c, "O") != 0)
			return 0;
	}
	return 1;
}

/*
 * The invoice period (BT-73, BT-74): the billing period, widened to
 * every line's service period, which Peppol wants inside it
 * (PEPPOL-EN16931-R110, R111).  A fee billed in advance is the next
 * period's service, and the invoice bills that too.
 */
static int
ubl_period_of(const struct page *d, char *ps, char *pe, const char **why)
{
	struct line l;
	size_t i;

	memcpy(ps, d->ps, DAYLEN);
	memcpy(pe, d->pe, DAYLEN);
	for (i = 0; i < d->r.nlines; i++) {
		if (line_load(d, i, 1, &l, why) < 0)
			return -1;
		if (l.ss[0] == '\0')
			continue;
		if (strcmp(l.ss, ps) < 0)
			memcpy(ps, l.ss, DAYLEN);
		if (strcmp(l.se, pe) > 0)
			memcpy(pe, l.se, DAYLEN);
	}
	return 0;
}

static int
ubl_body(struct xw *x, const struct page *d, const char **why)
{
	char ps[DAYLEN], pe[DAYLEN];
	struct acsum ac;
	int o = all_o(d), items;
	size_t i;

	if (ubl_period_of(d, ps, pe, why) < 0)
		return -1;
	ubl_head(x, d, ps, pe);
	if (ubl_party(x, "cac:AccountingSupplierParty", d->seller, 1, o,
	    why) < 0 ||
	    ubl_party(x, "cac:AccountingCustomerParty", d->buyer, 0, o,
	    why) < 0)
		return -1;
	ubl_payment(x, d);
	if (ubl_allowances(x, d, &ac, why) < 0 || ubl_taxes(x, d, why) < 0 ||
	    ubl_totals(x, d, &ac, why) < 0)
		return -1;
	items = has_item_line(d);
	for (i = 0; i < d->r.nlines; i++)
		if (!(items && bill_level(d, i)) && ubl_line(x, d, i, why) < 0)
			return -1;
	return 0;
}

/* What a party lacks for Peppol, NULL when nothing; msg holds it. */
static const char *
ep_lacks(const char *role, const char *what, const char *id, const char *ep,
    const char *rule, const char *where, char *msg, size_t len)
{
	if (ep != NULL && peppol_id(ep))
		return NULL;
	if (ep == NULL)
		snprintf(msg, len, "the %s, %s '%s', has no peppol_id, the "
		    "electronic address Peppol BIS Billing 3.0 requires (%s): "
		    "give it one in the %s", role, what, id ? id : "?", rule,
		    where);
	else
		snprintf(msg, len, "the %s, %s '%s', has a peppol_id '%s' that "
		    "is not SCHEME:ID with a 4-digit scheme, the electronic "
		    "address Peppol BIS Billing 3.0 requires (%s): fix it in "
		    "the %s", role, what, id ? id : "?", ep, rule, where);
	return msg;
}

int
invfmt_ubl_refuse(const char *entity, const char *seller_ep,
    const char *customer, const char *buyer_ep, const char *cur,
    const char **code, const char **why)
{
	static char msg[512];
	int minor = cur != NULL ? cur_minor(cur) : -1;

	*code = "peppol_id_missing";
	if (ep_lacks("seller", "entity", entity, seller_ep,
	    "PEPPOL-EN16931-R020", "entities file", msg, sizeof(msg)) ||
	    ep_lacks("buyer", "customer", customer, buyer_ep,
	    "PEPPOL-EN16931-R010", "customer master", msg, sizeof(msg)))
		return fail_why(why, msg);
	/* EN 16931 caps every amount at 2 decimals, whatever its currency */
	if (minor > 2) {
		*code = "currency_not_peppol";
		snprintf(msg, sizeof(msg), "%s has %d decimals and Peppol BIS "
		    "Billing 3.0 allows amounts of 2 at most (EN 16931 BR-DEC "
		    "rules): no valid UBL can be made of it", cur, minor);
		return fail_why(why, msg);
	}
	return 0;
}

int
invfmt_ubl(json_t *j, struct buf *b, const char **why)
{
	struct xw x = { b, 1, "" };
	struct page d;
	const char *code;
	size_t mark = b->len;

	if (doc_load(j, 1, &d, why) < 0)
		return -1;
	if (d.draft)
		return fail_why(why, "a draft has no number: UBL is made of "
		    "issued documents");
	if (invfmt_ubl_refuse(nz(d.seller->id), nz(d.seller->peppol_id),
	    nz(d.buyer->id), nz(d.buyer->peppol_id), d.cur, &code, why) < 0)
		return -2;
	if (d.r.nlines == 0)
		return fail_why(why, "the document has no lines (EN 16931 BR-16)");
	snprintf(x.cur, sizeof(x.cur), "currencyID=\"%s\"", d.cur);
	buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<%s xmlns=\"" UBL_NS "%s-2\"\n"
	    "    xmlns:cac=\"" UBL_NS "CommonAggregateComponents-2\"\n"
	    "    xmlns:cbc=\"" UBL_NS "CommonBasicComponents-2\">\n",
	    d.k->root, d.k->root);
	if (ubl_body(&x, &d, why) < 0) {
		b->len = mark;
		return -1;
	}
	buf_printf(b, "</%s>\n", d.k->root);
	return 0;
}

/* ---- text ---- */

/* s, or dflt when the record has no such string */
static const char *
txt_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

static void
txt_addr(struct buf *b, const struct doc_party *p)
{
	const char *k[] = { p->line1, p->line2, p->postal_code, p->city,
	    p->addr_region, p->addr_country };
	const char *s;
	int i, n = 0;

	for (i = 0; i < 6; i++)
		if ((s = k[i]) != NULL && *s != '\0') {
			buf_printf(b, "%s%s", n ? (i == 3 && n ? " " : ", ") :
			    "", s);
			n++;
		}
}

static void
txt_party(struct buf *o, const char *label, const struct doc_party *p)
{
	struct buf a = { 0 };
	char e[16];
	const char *ein = us_party(p) ? us_ein(p->tax_id, e) : NULL;

	buf_printf(o, "%-6s%s (%s)", label, txt_or(p->name, txt_or(p->id,
	    "?")), txt_or(p->id, "?"));
	if (ein != NULL)
		buf_printf(o, ", EIN %s", ein);
	else if (p->tax_id != NULL)
		buf_printf(o, ", tax id %s", p->tax_id);
	if (p->legal_id != NULL)
		buf_printf(o, ", registration %s", p->legal_id);
	txt_addr(&a, p);
	buf_printf(o, "\n      %s\n", a.len ? buf_cstr(&a) :
	    txt_or(p->country, ""));
	buf_free(&a);
}

/* Where to pay, as HTML says it (pays()); nothing for what it cannot load. */
static void
txt_pay(struct buf *o, json_t *doc)
{
	const char *why;
	struct page d;

	if (doc_load(doc, 0, &d, &why) < 0 || !pays(&d))
		return;
	buf_adds(o, "\nPay by bank transfer to ");
	pay_account(o, d.seller, buf_adds);
	buf_printf(o, ", by %s, with the reference %s\n", d.due, d.number);
}

/* A line's quantity as shown, with its unit; as written if no decimal. */
static void
txt_qty(const struct doc_line *l, char *out, size_t n)
{
	struct buf b = { 0 };

	if (!l->qty.ok) {
		snprintf(out, n, "%s", txt_or(l->qty.s, ""));
		return;
	}
	buf_adds(&b, dec_str(line_qty_shown(l->o, l->qty.d)).s);
	line_label(&b, l->o);
	snprintf(out, n, "%s", buf_cstr(&b));
	buf_free(&b);
}

/* The price's lines under the line's description. */
static void
txt_price(struct buf *o, const struct doc_line *l, const char *cur)
{
	struct buf p = { 0 };
	const char *s, *nl;

	line_price_text(&p, l->o, cur);
	for (s = p.len ? buf_cstr(&p) : ""; (nl = strchr(s, '\n')) != NULL;
	    s = nl + 1)
		buf_printf(o, "%6s%.*s\n", "", (int)(nl - s), s);
	buf_free(&p);
}

/* A time of the record in the zone (NULL: UTC), as written if not a time. */
static void
txt_time(const struct doc_time *t, const struct tz *zone, char *out, size_t n)
{
	if (!t->ok) {
		snprintf(out, n, "%s", t->s ? t->s : "?");
		return;
	}
	tm_fmt_zone(t->t, zone, out, n);
}

/*
 * A readable document from its record, as --format text writes it;
 * documents end with a form feed.
 */
void
invfmt_text(json_t *doc, const struct tz *zone, struct buf *o)
{
	struct doc_rec r;
	const struct kind *k;
	const char *title, *cur;
	char t1[TM_FMTMAX], t2[TM_FMTMAX], desc[33], line[160], qty[64];
	struct doc_line l;
	struct doc_taxl t;
	size_t i;
	int us;

	doc_read(doc, NULL, &r);
	us = us_party(&r.entity);
	k = kind_find(txt_or(r.kind, ""));
	title = k != NULL ? k->title : "DOCUMENT";
	cur = txt_or(r.currency, "");
	if (r.number == NULL)
		buf_printf(o, "DRAFT %s (not issued: no number yet)\n", title);
	else
		buf_printf(o, "%s %s\n", title, r.number);
	if (r.ref != NULL)
		buf_printf(o, "Corrects invoice %s%s%s\n", r.ref,
		    jval_str(doc, "references_issue_date") ? " of " : "",
		    txt_or(jval_str(doc, "references_issue_date"), ""));
	if (jval_str(doc, "reason") != NULL)
		buf_printf(o, "Reason: %s\n", jval_str(doc, "reason"));
	buf_printf(o, "Issue date %s, due %s\n\n", txt_or(r.issue_date, "?"),
	    txt_or(r.due_date, "?"));
	txt_party(o, "From", &r.entity);
	txt_party(o, "To", &r.customer);
	txt_time(&r.ps, zone, t1, sizeof(t1));
	txt_time(&r.pe, zone, t2, sizeof(t2));
	buf_printf(o, "Period %s .. %s\n\n", t1, t2);
	buf_printf(o, "%4s  %-32s %14s %14s  %s\n", "#", "Description",
	    "Quantity", "Net", "Tax");
	for (i = 0; i < r.nlines; i++) {
		doc_line_read(&r, i, &l);
		snprintf(desc, sizeof(desc), "%s", txt_or(l.name,
		    txt_or(l.charge, txt_or(l.line_type, ""))));
		txt_qty(&l, qty, sizeof(qty));
		buf_printf(o, "%4zu  %-32s %14s %14s  ", i + 1, desc, qty,
		    txt_or(l.net.s, ""));
		if (us)
			us_tax_words(o, &r.customer, l.tax_category,
			    txt_or(l.rate.s, "?"), 0);
		else
			buf_printf(o, "%s %s%%", txt_or(l.tax_category, ""),
			    txt_or(l.rate.s, ""));
		buf_addc(o, '\n');
		txt_price(o, &l, cur);
		if (l.line_type != NULL &&
		    strcmp(l.line_type, INV_PROGRESSIVE) == 0)
			buf_printf(o, "      %s\n", PROGRESSIVE_WORDS);
	}
	buf_printf(o, "\n%53s %14s %s\n", "Net", txt_or(r.net.s, ""), cur);
	for (i = 0; i < r.ntaxes; i++) {
		doc_taxl_read(&r, i, &t);
		if (us) {
			struct buf w = { 0 };

			us_tax_words(&w, &r.customer, t.category,
			    txt_or(t.rate.s, "?"), 0);
			snprintf(line, sizeof(line), "%s on %s%s",
			    buf_cstr(&w), txt_or(t.base.s, ""),
			    t.inclusive ? " (incl.)" : "");
			buf_free(&w);
		} else
			snprintf(line, sizeof(line), "Tax %s %s%% on %s%s",
			    txt_or(t.category, ""), txt_or(t.rate.s, ""),
			    txt_or(t.base.s, ""), t.inclusive ? " (incl.)" :
			    "");
		buf_printf(o, "%53s %14s %s\n", line, txt_or(t.tax.s, ""), cur);
	}
	buf_printf(o, "%53s %14s %s\n", "Total", txt_or(r.total.s, ""), cur);
	if (strspn(txt_or(r.credit.s, "0"), "0.-") != strlen(txt_or(r.credit.s,
	    "0"))) {
		buf_printf(o, "%53s %14s %s\n", "Prepaid credit",
		    txt_or(r.credit.s, ""), cur);
		buf_printf(o, "%53s %14s %s\n", "Amount due",
		    txt_or(r.due.s, ""), cur);
	}
	if (json_is_object(r.fxv))
		buf_printf(o, "%53s %14s %s (1 %s = %s %s, %s)\n",
		    "Total in functional currency", txt_or(r.fx.total.s, ""),
		    txt_or(r.fx.to, ""), txt_or(r.fx.from, ""),
		    txt_or(r.fx.rate.s, ""), txt_or(r.fx.to, ""),
		    txt_or(r.fx.date, ""));
	txt_pay(o, doc);
	for (i = 0; i < r.ntaxes; i++) {
		doc_taxl_read(&r, i, &t);
		if (t.note != NULL)
			buf_printf(o, "\nNote (%s): %s\n",
			    txt_or(t.category, ""), t.note);
	}
	buf_adds(o, "\f\n");
}
