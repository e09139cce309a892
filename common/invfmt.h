/*
 * invfmt.h: invoice-gen's documents (usage-to-cash(5), "the invoice
 * record") rendered for people and for e-invoicing: plain text, a
 * printable HTML page, and UBL 2.1 XML as Peppol BIS Billing 3.0 asks
 * (EN 16931).  Every function takes the document record as parsed JSON
 * and reads it with doc.h's reader, so stored documents (--replay)
 * render the same as new ones.  The record itself is written by doc.h.
 */
#ifndef INVFMT_H
#define INVFMT_H

#include <jansson.h>

#include "tz.h"
#include "util.h"

/*
 * Text: the document for a terminal or a mail, its times in zone (the
 * customer's; NULL: UTC), ended by a form feed.  Fields the record lacks
 * print as "?" or empty: nothing is refused.
 */
void	invfmt_text(json_t *doc, const struct tz *zone, struct buf *);

/*
 * HTML: a self-contained page (styles inline, no script, no font or
 * image fetched), one <article> per document, each printed on A4 pages
 * of its own (scripts/invoice-pdf prints it with headless Chromium).
 * invfmt_html_begin opens the page with its <title>, invfmt_html adds
 * one document, invfmt_html_end closes the page.
 */
void	invfmt_html_begin(struct buf *, const char *title);
int	invfmt_html(json_t *doc, struct buf *, const char **why);
void	invfmt_html_end(struct buf *);

/*
 * One UBL 2.1 Invoice (an invoice, type 380; a debit note, 383) or
 * CreditNote (381, its amounts positive), a complete XML document with
 * what Peppol BIS Billing 3.0 requires that the record holds.  Drafts
 * are refused: they have no number.  -2 with *why (that of
 * invfmt_ubl_refuse) when the document cannot be valid Peppol.
 */
int	invfmt_ubl(json_t *doc, struct buf *, const char **why);

/*
 * Whether a document of this seller (entity id and its peppol_id),
 * buyer (customer id and peppol_id, either NULL when it has none) and
 * currency can be valid Peppol BIS Billing 3.0 at all: both parties need
 * an electronic address (PEPPOL-EN16931-R010, R020), the currency at
 * most 2 decimals.  0, or -1 with *why, valid until the next call, and
 * *code its reject code (peppol_id_missing, currency_not_peppol).
 * invoice-gen asks before it issues a document for --format ubl.
 */
int	invfmt_ubl_refuse(const char *entity, const char *seller_ep,
	    const char *customer, const char *buyer_ep, const char *currency,
	    const char **code, const char **why);

/*
 * Both return 0, or -1 with *why (a static string) when the record
 * lacks what the document needs; nothing is added to the buffer then.
 * All three read two members a note's record does not hold, which
 * invoice-gen adds from the ledger before rendering: "reason" (why the
 * note was issued) and "references_issue_date" (the corrected
 * invoice's issue date).  The seller's "bank" and "legal_id" are the
 * record's: where to pay and its registration.
 * Period dates are the customer's local calendar days, inferred from
 * the record's UTC instants (see bound_day in invfmt.c).
 */

#endif
