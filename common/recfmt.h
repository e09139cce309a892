/*
 * recfmt.h: reconcile's report as a page a finance lead opens in a
 * browser: the totals of each stage per currency with a small chart, and
 * the exceptions.  Self-contained: inline styles and SVG, no script, no
 * font or image fetched.
 *
 * The report, as reconcile builds it (amounts are decimal strings):
 *
 *   {"as_of":"2026-11-04T00:00:00Z","agree":false,
 *    "counts":{"aggregates":10,"rated_lines":22,"documents":4,
 *              "journal_entries":5,"documents_agreeing":3,
 *              "exceptions":1},
 *    "variance_total":"0.01","posting_latency_seconds":null,
 *    "stages":[{"currency":"EUR","rated":"...","invoiced_net":"...",
 *               "invoiced_total":"...","posted_receivable":"..."}],
 *    "exceptions":[ ...exception records... ]}
 *
 * The page, printable on A4: a header with the as-of time and the
 * verdict ("Everything agrees", or "N exceptions"); the counts, with the
 * share of documents that agree and the mean posting latency when there
 * is one; "Totals by stage", a row and a bar chart a currency, each bar
 * as long as its amount is to the currency's largest (in magnitude, a
 * negative one hollow); and "Exceptions", grouped by code, each with its
 * customer, document, period, amounts and message, or "No exceptions".
 * Every string from the report is HTML-escaped, UTF-8 kept as it is;
 * every amount is printed from its decimal string, exactly, never
 * through a double.
 */
#ifndef RECFMT_H
#define RECFMT_H

#include <jansson.h>

#include "util.h"

/*
 * Appends the page to the buffer: 0, or -1 with *why (a static string)
 * when the report is not an object, lacks "counts", "stages" or
 * "exceptions", or a stage lacks its currency or an amount; nothing is
 * added to the buffer then.
 */
int	recfmt_html(json_t *report, struct buf *, const char **why);

#endif
