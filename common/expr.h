/*
 * expr.h: arithmetic expressions of expression meters (usage-to-cash(5),
 * "meters file"): parsed once into a program, evaluated per event in
 * exact decimals over values a caller looks up by name.
 *
 *   input_tokens + 4 * output_tokens
 *   round(duration_ms / 1000 * cpus, 3)
 *
 * + - * / and unary minus, parentheses, decimal literals, names of data
 * properties (dotted for nested ones; a key that is not an identifier in
 * backquotes, `input-tokens`, a backquote in it doubled, and passed to
 * the lookup unquoted), round(x, n), ceil(x), floor(x),
 * min(a, b), max(a, b).  Sums and products are exact; a quotient is
 * rounded half-even to EXPR_DIVSCALE fraction digits (trailing zeros
 * dropped); round() rounds half away from zero, as SQL's ROUND does.
 */
#ifndef EXPR_H
#define EXPR_H

#include <stddef.h>

#include "dec.h"

#define EXPR_DIVSCALE	12	/* fraction digits of a quotient */
#define EXPR_MAXLEN	1024	/* bytes of source */
#define EXPR_MAXDEPTH	32	/* nested parentheses and calls */
#define EXPR_MAXROUND	18	/* round(x, n): 0 <= n <= 18 */

enum {
	EXPR_OK = 0,
	EXPR_EOPERAND,		/* the lookup refused a name */
	EXPR_EDIVZERO,		/* division by zero */
	EXPR_ERANGE		/* a result does not fit in 38 digits */
};

struct expr;

/* Where and why a source does not parse; col counts bytes from 1. */
struct expr_perr {
	int	col;
	char	msg[128];
};

/* Looks up a name: 0 with *out set, or -1 (the caller says why). */
typedef int	(*expr_lookup)(void *ctx, const char *name, dec *out);

/* 0 and *out, or -1 with pe filled. */
int		 expr_parse(const char *, struct expr **,
		    struct expr_perr *);
void		 expr_free(struct expr *);
/* EXPR_OK and *out, or an EXPR_E* code (the first error met) */
int		 expr_eval(const struct expr *, expr_lookup, void *, dec *);

#endif
