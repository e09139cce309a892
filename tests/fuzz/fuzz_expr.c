/*
 * fuzz_expr.c: the expression meters' parser and evaluator (expr.h).
 *
 * Input: the source of an expression (up to its first NUL).  It either
 * parses or says where and why not (a column inside the source, a
 * message); what parses is evaluated over names whose values come from
 * the name itself, so that every operand, missing ones included, is
 * met: the result is a valid decimal or one of the EXPR_E* codes.
 */
#include <string.h>

#include "expr.h"
#include "fuzz.h"

/* A name's value: a few fixed ones, zero (for division), or missing. */
static int
lookup(void *ctx, const char *name, dec *out)
{
	size_t n = strlen(name);

	(void)ctx;
	switch (n % 4) {
	case 0:
		return -1;				/* missing */
	case 1:
		*out = (dec){ 0, 0 };			/* zero */
		return 0;
	case 2:
		*out = (dec){ -1234567, 3 };		/* -1234.567 */
		return 0;
	default:
		*out = (dec){ 99999999999LL, 0 };	/* large */
		return 0;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char src[EXPR_MAXLEN + 2];
	struct expr *x = NULL;
	struct expr_perr pe;
	size_t n = size < sizeof(src) - 1 ? size : sizeof(src) - 1;
	dec v;
	int rc;

	memcpy(src, data, n);
	src[n] = '\0';
	memset(&pe, 0, sizeof(pe));
	if (expr_parse(src, &x, &pe) != 0) {
		if (pe.col < 1 || (size_t)pe.col > strlen(src) + 1)
			fz_fail("parse error at column %d of a %zu-byte source",
			    pe.col, strlen(src));
		if (pe.msg[0] == '\0')
			fz_fail("parse error at column %d says nothing",
			    pe.col);
		return 0;
	}
	rc = expr_eval(x, lookup, NULL, &v);
	if (rc == EXPR_OK && !dec_valid(v))
		fz_fail("'%s' evaluates to an invalid decimal", src);
	if (rc != EXPR_OK && rc != EXPR_EOPERAND && rc != EXPR_EDIVZERO &&
	    rc != EXPR_ERANGE)
		fz_fail("'%s' evaluates to unknown code %d", src, rc);
	expr_free(x);
	return 0;
}
