/*
 * test_expr.c: unit tests for common/expr.c, printed as TAP.
 *
 * With no argument it runs the hand-written cases below; with --oracle
 * it is a line calculator for tests/unit/expr_oracle.py, which checks
 * random expressions against Python's decimal module.  A line is
 *
 *	EXPRESSION | name=value name=value ...
 *
 * and the answer the value, "ERR OPERAND name" (a name not given),
 * "ERR DIVZERO", "ERR RANGE" or "PARSE col: message".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"
#include "expr.h"
#include "tap.h"

#define MAXVARS	16

struct vars {
	char	*name[MAXVARS];
	dec	 val[MAXVARS];
	size_t	 n;
	char	 missing[64];
};

static int
lookup(void *ctx, const char *name, dec *out)
{
	struct vars *vs = ctx;
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (strcmp(vs->name[i], name) == 0) {
			*out = vs->val[i];
			return 0;
		}
	snprintf(vs->missing, sizeof(vs->missing), "%s", name);
	return -1;
}

static void
run_line(char *line, char *out, size_t outsz)
{
	struct vars vs = { .n = 0 };
	struct expr_perr pe;
	struct expr *e;
	char *bar, *tok, *eq;
	dec d;
	int r;

	line[strcspn(line, "\n")] = '\0';
	if ((bar = strchr(line, '|')) != NULL) {
		*bar++ = '\0';
		for (tok = strtok(bar, " "); tok && vs.n < MAXVARS;
		    tok = strtok(NULL, " ")) {
			if ((eq = strchr(tok, '=')) == NULL ||
			    dec_parse(eq + 1, strlen(eq + 1), &d) != DEC_OK) {
				snprintf(out, outsz, "BAD VAR %s", tok);
				return;
			}
			*eq = '\0';
			vs.name[vs.n] = tok;
			vs.val[vs.n++] = d;
		}
		/* drop the blanks before '|' */
		for (tok = bar - 2; tok >= line && *tok == ' '; tok--)
			*tok = '\0';
	}
	if (expr_parse(line, &e, &pe) < 0) {
		snprintf(out, outsz, "PARSE %d: %s", pe.col, pe.msg);
		return;
	}
	r = expr_eval(e, lookup, &vs, &d);
	expr_free(e);
	if (r == EXPR_OK)
		snprintf(out, outsz, "%s", dec_str(d).s);
	else if (r == EXPR_EOPERAND)
		snprintf(out, outsz, "ERR OPERAND %s", vs.missing);
	else
		snprintf(out, outsz, "ERR %s", r == EXPR_EDIVZERO ? "DIVZERO" :
		    "RANGE");
}

static const char *const cases[][2] = {
	/* precedence and associativity */
	{ "1 + 2 * 3", "7" },
	{ "(1 + 2) * 3", "9" },
	{ "10 - 4 - 3", "3" },
	{ "100 / 10 / 5", "2" },
	{ "2 * 3 - 4 * 5", "-14" },
	{ "-2 * 3", "-6" },
	{ "- -2", "2" },
	{ "1 - -1", "2" },
	{ "-(1 + 2) * 2", "-6" },
	{ "8 / 2 * 4", "16" },
	/* exact decimals, scales kept */
	{ "0.1 + 0.2", "0.3" },
	{ "1.50 + 1", "2.50" },
	{ "1.5 * 1.5", "2.25" },
	{ ".5 + 1", "PARSE 1: expected a number, a name or '(', not '.'" },
	/* division: 12 places half-even, trailing zeros dropped */
	{ "1 / 3", "0.333333333333" },
	{ "2 / 3", "0.666666666667" },
	{ "3000 / 1000", "3" },
	{ "1 / 8", "0.125" },
	{ "0.0000000000005 / 1", "0" },
	{ "0.0000000000015 / 1", "0.000000000002" },
	{ "0.0000000000025 / 1", "0.000000000002" },
	{ "-1 / 3", "-0.333333333333" },
	/* functions */
	{ "round(2.5, 0)", "3" },
	{ "round(-2.5, 0)", "-3" },
	{ "round(1.2345, 2)", "1.23" },
	{ "round(1.235, 2)", "1.24" },
	{ "round(1 / 3, 4)", "0.3333" },
	{ "ceil(1.01)", "2" },
	{ "ceil(-1.5)", "-1" },
	{ "floor(1.99)", "1" },
	{ "floor(-1.01)", "-2" },
	{ "min(3, 2.5)", "2.5" },
	{ "max(3, 2.5)", "3" },
	{ "max(min(1, 2), min(3, 4)) * 2", "6" },
	{ "round ( 7 / 2 , 0 )", "4" },
	/* names */
	{ "input_tokens + 4 * output_tokens | input_tokens=10 "
	    "output_tokens=3", "22" },
	{ "duration_ms / 1000 * cpus | duration_ms=1500 cpus=2", "3.0" },
	{ "usage.in * 2 | usage.in=1.25", "2.50" },
	{ "a + b | a=1", "ERR OPERAND b" },
	{ "a / b | a=1 b=0", "ERR DIVZERO" },
	{ "a / b | a=1 b=0.000", "ERR DIVZERO" },
	{ "a * a | a=10000000000000000000000000000000000000", "ERR RANGE" },
	/* keys that are not identifiers, in backquotes */
	{ "`input-tokens` * 2 | input-tokens=3", "6" },
	{ "`2xx` + `x` | 2xx=4 x=1", "5" },
	{ "usage.`out-tok` + `usage`.in | usage.out-tok=2 usage.in=1", "3" },
	{ "`a``b` | a`b=7", "7" },
	{ "```` | `=8", "8" },
	{ "`round`(1) | round=1", "PARSE 1: unknown function" },
	{ "`round` | round=1", "1" },
	{ "`in-tok` + 1 | x=1", "ERR OPERAND in-tok" },
	{ "1 + `in-tok", "PARSE 5: the key quoted here has no closing '`'" },
	{ "1 + `in``", "PARSE 5: the key quoted here has no closing '`'" },
	{ "`` + 1", "PARSE 1: an empty quoted key" },
	{ "`a.b` + 1", "PARSE 3: a quoted key cannot hold '.' (a '.' "
	    "between names reads a nested key)" },
	{ "a.`` + 1", "PARSE 3: an empty quoted key" },
	{ "`a` `b`", "PARSE 5: unexpected '`' after a complete expression" },
	/* syntax errors: column and reason */
	{ "", "PARSE 1: expected an operand at the end" },
	{ "1 +", "PARSE 4: expected an operand at the end" },
	{ "1 + * 2", "PARSE 5: expected a number, a name or '(', not '*'" },
	{ "(1 + 2", "PARSE 7: expected ')' at the end" },
	{ "1 + 2)", "PARSE 6: unexpected ')' after a complete expression" },
	{ "a b", "PARSE 3: unexpected 'b' after a complete expression" },
	{ "sqrt(4)", "PARSE 1: unknown function 'sqrt' (round, ceil, floor, "
	    "min, max)" },
	{ "round(1.5)", "PARSE 10: expected ','" },
	{ "round(1.5, x)", "PARSE 12: round's digits must be an integer "
	    "from 0 to 18" },
	{ "round(1.5, 19)", "PARSE 12: round's digits must be an integer "
	    "from 0 to 18" },
	{ "min(1)", "PARSE 6: expected ','" },
	{ "1.2.3", "PARSE 4: unexpected '.' after a complete expression" },
	{ "01 + 1", "PARSE 1: bad number '01' (digits, optionally a point "
	    "and more digits)" },
	{ "2x", "PARSE 1: bad number '2x' (digits, optionally a point and "
	    "more digits)" },
	{ "a. + 1", "PARSE 3: a name's part after '.' must start with a "
	    "letter, '_' or '`'" },
	{ "1 % 2", "PARSE 3: unexpected '%' after a complete expression" },
	{ "(((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))",
	    "PARSE 33: nested deeper than 32" },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--oracle") == 0)
		return tap_oracle(run_line);
	if (argc != 1) {
		fprintf(stderr, "usage: test_expr [--oracle]\n");
		return 2;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_case(run_line, cases[i][0], cases[i][1]);
	return tap_done();
}
