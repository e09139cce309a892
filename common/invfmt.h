/*
 * invfmt.h: invoice-gen's documents (usage-to-cash(5), "the invoice
 * record") rendered for people and for e-invoicing: a printable HTML
 * page, and UBL 2.1 XML as Peppol BIS Billing 3.0 asks (EN 16931).
 * Every function takes the document record as parsed JSON, so stored
 * documents (--replay) render the same as new ones.
 */
#ifndef INVFMT_H
#define INVFMT_H

#include <jansson.h>

#include "util.h"

/*
 * HTML: a self-contained page (styles inline, no script, no font or
 * image fetched), one <article> per document, each printed on pages of
 * its own.
 */
void	invfmt_html_begin(struct buf *, const char *title);
/* 0, or -1 with *why when the record lacks what a document needs. */
int	invfmt_html(json_t *doc, struct buf *, const char **why);
void	invfmt_html_end(struct buf *);

/* One UBL 2.1 Invoice or CreditNote, a complete XML document. */
int	invfmt_ubl(json_t *doc, struct buf *, const char **why);

#endif
