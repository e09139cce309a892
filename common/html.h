/*
 * html.h: text for people's pages, shared by the invoice renderings
 * (invfmt.c: HTML and UBL) and reconcile's report (recfmt.c): markup
 * escaping good for HTML and XML alike, and amounts with thousands
 * separators.  Nothing here knows a record.
 */
#ifndef HTML_H
#define HTML_H

#include <stddef.h>

#include "dec.h"
#include "util.h"

/*
 * The five markup characters as entities, and what XML 1.0 cannot carry
 * at all (C0 controls but tab, newline and return; U+FFFE and U+FFFF)
 * as U+FFFD.  jansson hands us valid UTF-8 without NUL, so nothing else
 * needs care.  html_escn stops at n bytes or a NUL.
 */
void	html_esc(struct buf *, const char *);
void	html_escn(struct buf *, const char *, size_t n);

/* 1234567.50 as 1,234,567.50: the decimal exactly, digits grouped. */
void	html_grouped(struct buf *, dec);

#endif
