/*
 * recfmt.c: reconcile's HTML report.
 *
 * One A4 page (or more when the exceptions run long) a finance lead
 * opens in a browser or prints: the verdict, the counts, what each stage
 * amounts to per currency with a bar chart in inline SVG, and the
 * exceptions grouped by code.  Nothing is fetched and nothing runs:
 * styles are inline, no script, no font, no image, no URL.
 *
 * Amounts arrive as decimal strings and are parsed with dec.h; the text
 * shown is the decimal printed back exactly (with thousands separators),
 * and even the bars' lengths are computed in decimal: no double anywhere.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "html.h"
#include "jval.h"
#include "recfmt.h"

/* The chart, in SVG user units. */
#define CH_LABELW	90	/* the stage names, right-aligned */
#define CH_BARW		150	/* the longest bar */
#define CH_TEXTW	100	/* room for the amount after the bar */
#define CH_ROWH		18
#define CH_BARH		12
#define CH_PAD		4

/* The stages, in the order money flows through them. */
#define NSTAGE		4

static const struct {
	const char	*key, *label, *color;
} stage[NSTAGE] = {
	{ "rated", "Rated", "#4e79a7" },
	{ "invoiced_net", "Invoiced net", "#59a14f" },
	{ "invoiced_total", "Invoiced total", "#b07aa1" },
	{ "posted_receivable", "Posted receivable", "#e8863a" },
};

struct exref {
	const char	*code;
	size_t		 i;
};

/* A string member, else NULL (o may be NULL or not an object). */
/* A decimal string member: 0, or -1 when absent, null or not a decimal. */
/* A count: an integer member, -1 when absent or not an integer. */
/* ---- markup ---- */

/* 1234567.50 as 1,234,567.50 */
/* An absent value: a grey dash. */
static void
none(struct buf *b)
{
	buf_adds(b, "<span class=\"none\">&ndash;</span>");
}

/* text escaped, or a dash when it is NULL or empty */
static void
esc_or_none(struct buf *b, const char *s)
{
	if (s == NULL || *s == '\0')
		none(b);
	else
		html_esc(b, s);
}

/*
 * "2026-09-30T22:00:00Z" as "2026-09-30 22:00 UTC", and a midnight as
 * its day alone unless full ("2026-10-01"); anything else escaped as it
 * is.
 */
static void
time_cell(struct buf *b, const char *s, int full)
{
	if (s == NULL || strlen(s) != 20 || s[10] != 'T' || s[19] != 'Z' ||
	    s[4] != '-' || s[13] != ':') {
		esc_or_none(b, s);
		return;
	}
	buf_add(b, s, 10);
	if (!full && strncmp(s + 11, "00:00:00", 8) == 0)
		return;
	buf_addc(b, ' ');
	buf_add(b, s + 11, strncmp(s + 16, ":00", 3) == 0 ? 5 : 8);
	buf_adds(b, " UTC");
}

/* An amount member: grouped when a decimal, else as given, or a dash. */
static void
amount(struct buf *b, json_t *o, const char *k)
{
	dec d;

	if (jval_dec(o, k, &d) == 0)
		html_grouped(b, d);
	else
		esc_or_none(b, jval_str(o, k));
}

/* ---- the page ---- */

static const char css[] =
"@page { size: A4; margin: 14mm 13mm 16mm; }\n"
"* { box-sizing: border-box; }\n"
"html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }\n"
"body { margin: 0; color: #1c1c1c; font: 9pt/1.45 \"DejaVu Sans\",\n"
"  \"Liberation Sans\", Arial, \"Noto Sans CJK JP\", sans-serif; }\n"
"@media screen {\n"
"  body { background: #e8e8e8; }\n"
"  main { background: #fff; width: 210mm; min-height: 297mm;\n"
"    margin: 8mm auto; padding: 14mm 13mm;\n"
"    box-shadow: 0 1px 4px rgba(0,0,0,.25); }\n"
"}\n"
"header { display: flex; justify-content: space-between;\n"
"  align-items: flex-end; gap: 8mm; border-bottom: 2px solid #1c1c1c;\n"
"  padding-bottom: 3mm; margin-bottom: 5mm; }\n"
"h1 { font-size: 17pt; margin: 0; letter-spacing: .02em; }\n"
".asof { color: #555; margin-top: 1mm; }\n"
".verdict { font-size: 13pt; font-weight: bold; padding: 1.5mm 4mm;\n"
"  border-radius: 2mm; white-space: nowrap; }\n"
".verdict.ok { color: #0f6b2f; background: #e3f4e8;\n"
"  border: 1px solid #0f6b2f; }\n"
".verdict.bad { color: #b42318; background: #fdecea;\n"
"  border: 1px solid #b42318; }\n"
"h2 { font-size: 11pt; margin: 6mm 0 2mm; padding-bottom: 1mm;\n"
"  border-bottom: 1px solid #bbb; break-after: avoid;\n"
"  page-break-after: avoid; }\n"
".counts { display: flex; flex-wrap: wrap; gap: 2mm; margin: 0;\n"
"  padding: 0; list-style: none; }\n"
".counts li { flex: 1 1 22mm; border: 1px solid #ddd; border-radius: 1mm;\n"
"  padding: 1.5mm 2.5mm; break-inside: avoid; }\n"
".counts .k { display: block; font-size: 7pt; text-transform: uppercase;\n"
"  color: #666; letter-spacing: .03em; }\n"
".counts .v { display: block; font-size: 12pt; font-weight: bold;\n"
"  font-variant-numeric: tabular-nums; }\n"
".counts .s { display: block; font-size: 7pt; color: #666; }\n"
"table { border-collapse: collapse; width: 100%; }\n"
"th { text-align: left; font-size: 7pt; text-transform: uppercase;\n"
"  color: #444; border-bottom: 1px solid #1c1c1c; padding: 1.2mm 1.5mm;\n"
"  vertical-align: bottom; }\n"
"td { border-bottom: 1px solid #ddd; padding: 1.2mm 1.5mm;\n"
"  vertical-align: top; }\n"
"thead { display: table-header-group; }\n"
"tr, tbody.head, figure { break-inside: avoid;\n"
"  page-break-inside: avoid; }\n"
"th.n, td.n { text-align: right; white-space: nowrap;\n"
"  font-variant-numeric: tabular-nums; }\n"
"td.cur { font-weight: bold; }\n"
".exc { font-size: 7.5pt; }\n"
".exc td { overflow-wrap: anywhere; }\n"
".exc td.code { overflow-wrap: normal; font-family: \"DejaVu Sans Mono\",\n"
"  \"Liberation Mono\", monospace; }\n"
".exc tr.group th { font-size: 8pt; text-transform: none; color: #b42318;\n"
"  border-bottom: 1px solid #b42318; padding-top: 3mm;\n"
"  font-family: \"DejaVu Sans Mono\", \"Liberation Mono\", monospace; }\n"
".exc td.diff { color: #b42318; font-weight: bold; }\n"
".none { color: #999; }\n"
".charts { display: grid; grid-template-columns: 1fr 1fr;\n"
"  gap: 3mm 8mm; margin-top: 3mm; }\n"
"figure { margin: 0; }\n"
"figcaption { font-weight: bold; font-size: 8.5pt; margin-bottom: 1mm; }\n"
"svg { width: 100%; height: auto; overflow: visible; }\n"
"svg text { font: 9px \"DejaVu Sans\", \"Liberation Sans\", Arial,\n"
"  sans-serif; fill: #1c1c1c; }\n"
".note { color: #555; font-size: 7.5pt; margin: 1.5mm 0 0; }\n"
".empty { color: #0f6b2f; font-weight: bold; }\n"
"footer { margin-top: 6mm; color: #666; font-size: 7.5pt; }\n";

static void
head(struct buf *b, json_t *rep, int64_t nexc)
{
	const char *asof = jval_str(rep, "as_of");
	json_t *ag = json_object_get(rep, "agree");
	int ok = nexc == 0 && !json_is_false(ag);

	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<title>Reconciliation report");
	if (asof != NULL) {
		buf_adds(b, ", as of ");
		time_cell(b, asof, 1);
	}
	buf_printf(b, "</title>\n<style>\n%s</style>\n</head><body><main>\n",
	    css);
	buf_adds(b, "<header>\n<div><h1>Reconciliation report</h1>"
	    "<div class=\"asof\">As of ");
	time_cell(b, asof, 1);
	buf_adds(b, "</div></div>\n");
	if (ok)
		buf_adds(b, "<div class=\"verdict ok\">&#10003; Everything "
		    "agrees</div>\n");
	else if (nexc > 0)
		buf_printf(b, "<div class=\"verdict bad\">%" PRId64
		    " exception%s</div>\n", nexc, nexc == 1 ? "" : "s");
	else
		buf_adds(b, "<div class=\"verdict bad\">Does not agree"
		    "</div>\n");
	buf_adds(b, "</header>\n");
}

/* A box of the counts: its label, then the value markup begun. */
static void
box(struct buf *b, const char *label)
{
	buf_printf(b, "<li><span class=\"k\">%s</span><span class=\"v\">",
	    label);
}

static void
box_end(struct buf *b, const char *sub)
{
	buf_adds(b, "</span>");
	if (sub != NULL)
		buf_printf(b, "<span class=\"s\">%s</span>", sub);
	buf_adds(b, "</li>\n");
}

static void
count_row(struct buf *b, const char *label, int64_t n)
{
	box(b, label);
	if (n < 0)
		none(b);
	else
		buf_printf(b, "%" PRId64, n);
	box_end(b, NULL);
}

/* 42 s, 3 min 20 s, 2 h 05 min, 3 d 4 h */
static void
duration(struct buf *b, int64_t s)
{
	if (s < 60)
		buf_printf(b, "%" PRId64 " s", s);
	else if (s < 3600)
		buf_printf(b, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
	else if (s < 86400)
		buf_printf(b, "%" PRId64 " h %02" PRId64 " min", s / 3600,
		    s % 3600 / 60);
	else
		buf_printf(b, "%" PRId64 " d %" PRId64 " h", s / 86400,
		    s % 86400 / 3600);
}

/*
 * The documents that agree, as a percentage to one decimal: computed in
 * integers, half to even as printf rounds reconcile's summary line.
 */
static void
agreeing(struct buf *b, int64_t ok, int64_t docs)
{
	char sub[96];
	int64_t q, rem;

	box(b, "Documents that agree");
	if (ok < 0 || docs < 0 || ok > docs || docs > INT64_MAX / 1000) {
		none(b);
		box_end(b, NULL);
		return;
	}
	if (docs == 0) {
		buf_adds(b, "0");
		box_end(b, "no documents");
		return;
	}
	q = ok * 1000 / docs;
	rem = ok * 1000 % docs;
	if (2 * rem > docs || (2 * rem == docs && q % 2 == 1))
		q++;
	buf_printf(b, "%" PRId64 ".%" PRId64 "%%", q / 10, q % 10);
	snprintf(sub, sizeof(sub), "%" PRId64 " of %" PRId64, ok, docs);
	box_end(b, sub);
}

static void
counts(struct buf *b, json_t *rep, json_t *c)
{
	json_t *lat = json_object_get(rep, "posting_latency_seconds");

	buf_adds(b, "<h2>Counts</h2>\n<ul class=\"counts\">\n");
	count_row(b, "Aggregates", jval_count(c, "aggregates"));
	count_row(b, "Rated lines", jval_count(c, "rated_lines"));
	count_row(b, "Documents", jval_count(c, "documents"));
	count_row(b, "Journal entries", jval_count(c, "journal_entries"));
	agreeing(b, jval_count(c, "documents_agreeing"), jval_count(c, "documents"));
	box(b, "Variance total");
	amount(b, rep, "variance_total");
	box_end(b, "sum of |difference|, all currencies");
	if (json_is_integer(lat)) {
		box(b, "Posting latency");
		duration(b, (int64_t)json_integer_value(lat));
		box_end(b, "mean, ERP confirmation");
	}
	buf_adds(b, "</ul>\n");
}

/* ---- totals by stage ---- */

/* A stage's four amounts, checked: 0, or -1 with *why. */
static int
stage_load(json_t *st, const char **cur, dec v[NSTAGE], const char **why)
{
	int k;

	if (!json_is_object(st))
		return fail_why(why, "a member of 'stages' is not an object");
	if ((*cur = jval_str(st, "currency")) == NULL)
		return fail_why(why, "a member of 'stages' has no 'currency'");
	for (k = 0; k < NSTAGE; k++)
		if (jval_dec(st, stage[k].key, &v[k]) < 0)
			return fail_why(why, "a member of 'stages' lacks an amount "
			    "or has one that is not a decimal string");
	return 0;
}

/*
 * A bar's length in tenths of a user unit: |v| / max of CH_BARW, the
 * ratio rounded to 1/10000 in decimal; at least a hairline when v is not
 * zero, so that a small amount still shows.
 */
static int64_t
bar_len(dec v, dec max)
{
	dec r;
	int64_t n;

	if (dec_sign(max) == 0 || dec_sign(v) == 0)
		return 0;
	if (dec_div(dec_abs(v), max, 4, DEC_HALF_UP, &r) != DEC_OK ||
	    dec_to_minor(r, 4, &n) != DEC_OK || n < 0 || n > 10000)
		n = 10000;
	n = n * CH_BARW * 10 / 10000;
	return n < 5 ? 5 : n;
}

static void
chart(struct buf *b, const char *cur, const dec v[NSTAGE])
{
	dec max = DEC_ZERO;
	int64_t len;
	int k, y, w = CH_LABELW + CH_BARW + CH_TEXTW;
	int h = NSTAGE * CH_ROWH + 2 * CH_PAD;

	for (k = 0; k < NSTAGE; k++)
		if (dec_cmp(dec_abs(v[k]), max) > 0)
			max = dec_abs(v[k]);
	buf_adds(b, "<figure>\n<figcaption>");
	html_esc(b, cur);
	/* inline SVG in HTML needs no namespace, so no URL either */
	buf_printf(b, "</figcaption>\n<svg"
	    " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\""
	    " aria-label=\"", w, h, w, h);
	html_esc(b, cur);
	buf_adds(b, " totals by stage\">\n");
	buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#888\" stroke-width=\"1\"/>\n", CH_LABELW, CH_PAD / 2,
	    CH_LABELW, h - CH_PAD / 2);
	for (k = 0; k < NSTAGE; k++) {
		y = CH_PAD + k * CH_ROWH;
		len = bar_len(v[k], max);
		buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
		    "%s</text>\n", CH_LABELW - 6, y + CH_ROWH / 2 + 3,
		    stage[k].label);
		buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%" PRId64
		    ".%" PRId64 "\" height=\"%d\"", CH_LABELW,
		    y + (CH_ROWH - CH_BARH) / 2, len / 10, len % 10, CH_BARH);
		/* a negative amount: a bar as long, hollow */
		if (dec_sign(v[k]) < 0)
			buf_printf(b, " fill=\"#fff\" stroke=\"%s\" "
			    "stroke-dasharray=\"3 2\"/>\n", stage[k].color);
		else
			buf_printf(b, " fill=\"%s\"/>\n", stage[k].color);
		buf_printf(b, "<text x=\"%" PRId64 ".%" PRId64 "\" y=\"%d\">",
		    CH_LABELW + 6 + len / 10, len % 10, y + CH_ROWH / 2 + 3);
		html_grouped(b, v[k]);
		buf_addc(b, ' ');
		html_esc(b, cur);
		buf_adds(b, "</text>\n");
	}
	buf_adds(b, "</svg>\n</figure>\n");
}

/*
 * Why the receivable posted is not the total invoiced, currency by
 * currency, in a controller's words: the prepaid credit the invoices
 * applied was paid before, so it is owed by no one; what is left over
 * is the exceptions'.  Nothing without a receivable posted (no journal,
 * or no accounts file).
 */
static void
receivable_why(struct buf *b, json_t *sv)
{
	json_t *st;
	const char *cur;
	dec v[NSTAGE], credit, due, left;
	size_t i;
	int open = 0;

	json_array_foreach(sv, i, st) {
		if ((cur = jval_str(st, "currency")) == NULL)
			continue;
		if (jval_dec(st, "invoiced_total", &v[2]) < 0 ||
		    jval_dec(st, "posted_receivable", &v[3]) < 0 ||
		    dec_sign(v[3]) == 0)
			continue;
		if (jval_dec(st, "prepaid_credit", &credit) < 0)
			credit = DEC_ZERO;
		if (dec_sign(credit) == 0 && dec_cmp(v[2], v[3]) == 0)
			continue;
		if (dec_add(v[2], credit, &due) != DEC_OK ||
		    dec_sub(v[3], due, &left) != DEC_OK)
			continue;
		if (!open)
			buf_adds(b, "<p class=\"note\" id=\"receivable-why\">"
			    "Why receivables are not the total invoiced: ");
		else
			buf_adds(b, " ");
		open = 1;
		html_esc(b, cur);
		buf_adds(b, ": receivables posted ");
		html_grouped(b, v[3]);
		buf_adds(b, " = invoiced total ");
		html_grouped(b, v[2]);
		if (dec_sign(credit) != 0) {
			buf_adds(b, " less prepaid credit applied ");
			html_grouped(b, dec_abs(credit));
			buf_adds(b, " (paid in advance by the customers, so "
			    "owed by no one: it is taken off the customer "
			    "prepayments liability, not billed again)");
		}
		if (dec_sign(left) != 0) {
			buf_adds(b, dec_sign(credit) != 0 ? "; and " : "; ");
			html_grouped(b, left);
			buf_adds(b, " that nothing explains: see the "
			    "exceptions");
		}
		buf_adds(b, ".");
	}
	if (open)
		buf_adds(b, "</p>\n");
}

static int
stages(struct buf *b, json_t *sv, const char **why)
{
	json_t *st;
	const char *cur;
	dec v[NSTAGE];
	size_t i;
	int k;

	buf_adds(b, "<h2>Totals by stage</h2>\n");
	if (json_array_size(sv) == 0) {
		buf_adds(b, "<p class=\"note\">No amounts: no rated lines, "
		    "documents or journal entries were compared.</p>\n");
		return 0;
	}
	buf_adds(b, "<table class=\"stages\"><thead><tr><th>Currency</th>");
	for (k = 0; k < NSTAGE; k++)
		buf_printf(b, "<th class=\"n\">%s</th>", stage[k].label);
	buf_adds(b, "</tr></thead><tbody>\n");
	json_array_foreach(sv, i, st) {
		if (stage_load(st, &cur, v, why) < 0)
			return -1;
		buf_adds(b, "<tr><td class=\"cur\">");
		html_esc(b, cur);
		buf_adds(b, "</td>");
		for (k = 0; k < NSTAGE; k++) {
			buf_adds(b, "<td class=\"n\">");
			html_grouped(b, v[k]);
			buf_adds(b, "</td>");
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</tbody></table>\n<p class=\"note\">Rated: the rated "
	    "lines&#39; amounts, credits left out. Invoiced net and total: "
	    "the documents&#39;, notes included. Posted receivable: what the "
	    "journal entries of documents put on each entity&#39;s "
	    "receivable account (known with the accounts file).</p>\n");
	receivable_why(b, sv);
	buf_adds(b, "<div class=\"charts\">\n");
	json_array_foreach(sv, i, st) {
		if (stage_load(st, &cur, v, why) < 0)
			return -1;
		chart(b, cur, v);
	}
	buf_adds(b, "</div>\n");
	return 0;
}

/* ---- exceptions ---- */

/* Codes in order, an exception without one last. */
static int
exc_code_cmp(const char *a, const char *c)
{
	if (a == NULL || c == NULL)
		return (a == NULL) - (c == NULL);
	return strcmp(a, c);
}

/* By code, in the order reconcile found them within a code. */
static int
exref_cmp(const void *x, const void *y)
{
	const struct exref *a = x, *c = y;
	int d;

	if ((d = exc_code_cmp(a->code, c->code)) != 0)
		return d;
	return a->i < c->i ? -1 : a->i > c->i;
}

/* A code, free to wrap after each underscore in a narrow column. */
static void
code(struct buf *b, const char *s)
{
	const char *u;

	if (s == NULL || *s == '\0') {
		none(b);
		return;
	}
	for (; (u = strchr(s, '_')) != NULL && u[1] != '\0'; s = u + 1) {
		html_escn(b, s, (size_t)(u - s));
		buf_adds(b, "_<wbr>");
	}
	html_esc(b, s);
}

static void
exc_row(struct buf *b, json_t *e)
{
	const char *ps = jval_str(e, "period_start"), *pe = jval_str(e, "period_end");
	dec d;

	buf_adds(b, "<tr><td class=\"code\">");
	code(b, jval_str(e, "code"));
	buf_adds(b, "</td><td>");
	esc_or_none(b, jval_str(e, "customer"));
	buf_adds(b, "</td><td>");
	esc_or_none(b, jval_str(e, "document"));
	buf_adds(b, "</td><td>");
	if (ps == NULL && pe == NULL)
		none(b);
	else {
		time_cell(b, ps, 0);
		buf_adds(b, " &ndash; ");
		time_cell(b, pe, 0);
	}
	buf_adds(b, "</td><td class=\"n\">");
	amount(b, e, "expected");
	buf_adds(b, "</td><td class=\"n\">");
	amount(b, e, "actual");
	buf_printf(b, "</td><td class=\"n%s\">", jval_dec(e, "difference", &d) ==
	    0 && dec_sign(d) != 0 ? " diff" : "");
	amount(b, e, "difference");
	buf_adds(b, "</td><td>");
	esc_or_none(b, jval_str(e, "currency"));
	buf_adds(b, "</td><td>");
	esc_or_none(b, jval_str(e, "message"));
	buf_adds(b, "</td></tr>\n");
}

static void
exceptions(struct buf *b, json_t *ev)
{
	struct exref *x;
	size_t i, j, k, n = json_array_size(ev);

	buf_adds(b, "<h2>Exceptions</h2>\n");
	if (n == 0) {
		buf_adds(b, "<p class=\"empty\">No exceptions: every stage "
		    "agrees with the next.</p>\n");
		return;
	}
	x = xcalloc(n, sizeof(*x));
	for (i = 0; i < n; i++) {
		x[i].code = jval_str(json_array_get(ev, i), "code");
		x[i].i = i;
	}
	qsort(x, n, sizeof(*x), exref_cmp);
	buf_adds(b, "<table class=\"exc\"><thead><tr><th>Code</th>"
	    "<th>Customer</th><th>Document</th><th>Period</th>"
	    "<th class=\"n\">Expected</th><th class=\"n\">Actual</th>"
	    "<th class=\"n\">Difference</th><th>Currency</th>"
	    "<th>Message</th></tr></thead>\n");
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && exc_code_cmp(x[i].code, x[j].code) == 0;
		    j++)
			;
		/*
		 * A heading row for each code, with how many it has, kept
		 * on the page of the code's first exception.
		 */
		buf_adds(b, "<tbody class=\"head\"><tr class=\"group\">"
		    "<th colspan=\"9\">");
		html_esc(b, x[i].code != NULL ? x[i].code : "(no code)");
		buf_printf(b, " &times; %zu</th></tr>\n", j - i);
		exc_row(b, json_array_get(ev, x[i].i));
		buf_adds(b, "</tbody>\n");
		if (j - i > 1) {
			buf_adds(b, "<tbody>\n");
			for (k = i + 1; k < j; k++)
				exc_row(b, json_array_get(ev, x[k].i));
			buf_adds(b, "</tbody>\n");
		}
	}
	buf_adds(b, "</table>\n");
	free(x);
}

int
recfmt_html(json_t *report, struct buf *b, const char **why)
{
	json_t *c, *sv, *ev;
	int64_t nexc;
	size_t mark = b->len;

	if (!json_is_object(report))
		return fail_why(why, "the report is not a JSON object");
	c = json_object_get(report, "counts");
	sv = json_object_get(report, "stages");
	ev = json_object_get(report, "exceptions");
	if (!json_is_object(c))
		return fail_why(why, "the report has no 'counts' object");
	if (!json_is_array(sv))
		return fail_why(why, "the report has no 'stages' array");
	if (!json_is_array(ev))
		return fail_why(why, "the report has no 'exceptions' array");
	/* the count, when more were found than the report lists */
	if ((nexc = jval_count(c, "exceptions")) < (int64_t)json_array_size(ev))
		nexc = (int64_t)json_array_size(ev);
	head(b, report, nexc);
	counts(b, report, c);
	if (stages(b, sv, why) < 0) {
		b->len = mark;
		return -1;
	}
	exceptions(b, ev);
	buf_adds(b, "<footer>Written by reconcile(1). Periods are UTC "
	    "instants, each end exclusive; amounts are exact, in the "
	    "currency of their row.</footer>\n</main></body></html>\n");
	return 0;
}
