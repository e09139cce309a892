/*
 * recfmt.c: reconcile's HTML report.
 */
#include "recfmt.h"

int
recfmt_html(json_t *report, struct buf *b, const char **why)
{
	(void)report;
	(void)b;
	*why = "not written yet";
	return -1;
}
