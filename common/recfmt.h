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
 */
#ifndef RECFMT_H
#define RECFMT_H

#include <jansson.h>

#include "util.h"

/* 0, or -1 with *why when the report lacks what the page needs. */
int	recfmt_html(json_t *report, struct buf *, const char **why);

#endif
