/*
 * exc.c: the exception record's writers.
 */
#include "exc.h"
#include "jw.h"
#include "reject.h"

void
exc_json(struct buf *b, const struct exc *x, dec diff, const char *msg)
{
	struct jw w;
	size_t i;

	jw_init(&w, b);
	jw_open(&w, '{');
	JW_KEY(&w, "kind");
	jw_str(&w, "exception");
	JW_KEY(&w, "schema");
	jw_str(&w, "1.0");
	JW_KEY(&w, "class");
	jw_str(&w, RC_RECON);
	JW_KEY(&w, "code");
	jw_str(&w, x->code);
	JW_KEY(&w, "customer");
	jw_str(&w, x->customer);
	JW_KEY(&w, "period_start");
	jw_str(&w, x->ps);
	JW_KEY(&w, "period_end");
	jw_str(&w, x->pe);
	JW_KEY(&w, "document");
	jw_str(&w, x->document);
	JW_KEY(&w, "keys");
	jw_open(&w, '[');
	for (i = 0; i < EXC_MAXKEYS && x->keys[i] != NULL; i++)
		jw_str(&w, x->keys[i]);
	jw_close(&w, ']');
	JW_KEY(&w, "expected");
	if (x->has_amounts)
		jw_dec(&w, x->expected);
	else
		jw_null(&w);
	JW_KEY(&w, "actual");
	if (x->has_amounts)
		jw_dec(&w, x->actual);
	else
		jw_null(&w);
	JW_KEY(&w, "difference");
	if (x->has_amounts)
		jw_dec(&w, diff);
	else
		jw_null(&w);
	JW_KEY(&w, "currency");
	jw_str(&w, x->currency);
	JW_KEY(&w, "message");
	jw_str(&w, msg);
	jw_close(&w, '}');
	buf_addc(b, '\n');
}

void
exc_text(struct buf *b, const struct exc *x, const char *msg)
{
	buf_printf(b, "%-28s %s\n", x->code, msg);
}
