/*
 * invfmt.c: HTML and UBL renderings of invoice-gen's documents.
 */
#include "invfmt.h"

void
invfmt_html_begin(struct buf *b, const char *title)
{
	buf_printf(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>%s</title></head><body>\n", title);
}

int
invfmt_html(json_t *doc, struct buf *b, const char **why)
{
	(void)doc;
	(void)b;
	*why = "not written yet";
	return -1;
}

void
invfmt_html_end(struct buf *b)
{
	buf_adds(b, "</body></html>\n");
}

int
invfmt_ubl(json_t *doc, struct buf *b, const char **why)
{
	(void)doc;
	(void)b;
	*why = "not written yet";
	return -1;
}
