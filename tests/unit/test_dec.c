/*
 * test_dec.c: unit tests for common/dec.c, printed as TAP.
 *
 * With no argument it runs the hand-written cases below.  With --oracle
 * it is a line calculator for tests/unit/dec_oracle.py, which feeds it
 * thousands of random cases and checks each answer against Python's
 * decimal module.  Both modes share run_line(), so the hand-written
 * table is written in the same little language:
 *
 *	parse X			add A B		sub A B		mul A B
 *	mulr A B SCALE MODE	div A B SCALE MODE	round A SCALE MODE
 *	cmp A B			norm A		minor A UNITS
 *
 * Each line answers with the formatted result (cmp: -1, 0 or 1; minor:
 * the integer) or "ERR <name>" with name ESYNTAX, ERANGE, EINEXACT,
 * EDIVZERO or ESCALE.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "currency.h"
#include "dec.h"
#include "tap.h"

#define MAXTOK	8


static void
err(char *out, size_t outsz, int e)
{
	snprintf(out, outsz, "ERR %s", dec_errname(e));
}

static int
arg(const char *tok, dec *d)
{
	return dec_parse(tok, strlen(tok), d);
}

/* A scale or unit count: any decimal integer, so that bad ones reach dec. */
static int
intarg(const char *tok, int *v)
{
	char *end;
	long l;

	l = strtol(tok, &end, 10);
	if (*tok == '\0' || *end != '\0' || l < -1000 || l > 1000)
		return -1;
	*v = (int)l;
	return 0;
}

static void
fmt(char *out, size_t outsz, dec d)
{
	if (dec_fmt(d, out, outsz) < 0)
		snprintf(out, outsz, "FMTFAIL");
}

/* Evaluate one line of the little language into out. */
static void
run_line(char *line, char *out, size_t outsz)
{
	char *tok[MAXTOK], *save, *t;
	dec a, b, r;
	int64_t m;
	int n, e, scale, mode;

	n = 0;
	for (t = strtok_r(line, " \t\r\n", &save); t != NULL && n < MAXTOK;
	    t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	if (n == 0) {
		snprintf(out, outsz, "ERR BADLINE");
		return;
	}

#define NEED(k)	do { if (n != (k)) goto bad; } while (0)
#define ARG(i, d) do { if ((e = arg(tok[i], (d))) != DEC_OK) goto fail; } while (0)
	if (strcmp(tok[0], "parse") == 0) {
		NEED(2);
		ARG(1, &r);
		fmt(out, outsz, r);
	} else if (strcmp(tok[0], "add") == 0 || strcmp(tok[0], "sub") == 0 ||
	    strcmp(tok[0], "mul") == 0) {
		NEED(3);
		ARG(1, &a);
		ARG(2, &b);
		if (tok[0][0] == 'a')
			e = dec_add(a, b, &r);
		else if (tok[0][0] == 's')
			e = dec_sub(a, b, &r);
		else
			e = dec_mul(a, b, &r);
		if (e != DEC_OK)
			goto fail;
		fmt(out, outsz, r);
	} else if (strcmp(tok[0], "mulr") == 0 || strcmp(tok[0], "div") == 0) {
		NEED(5);
		ARG(1, &a);
		ARG(2, &b);
		if (intarg(tok[3], &scale) < 0 ||
		    (mode = dec_parse_round(tok[4])) < 0)
			goto bad;
		if (tok[0][0] == 'm')
			e = dec_mul_round(a, b, scale, mode, &r);
		else
			e = dec_div(a, b, scale, mode, &r);
		if (e != DEC_OK)
			goto fail;
		fmt(out, outsz, r);
	} else if (strcmp(tok[0], "round") == 0) {
		NEED(4);
		ARG(1, &a);
		if (intarg(tok[2], &scale) < 0 ||
		    (mode = dec_parse_round(tok[3])) < 0)
			goto bad;
		if ((e = dec_round(a, scale, mode, &r)) != DEC_OK)
			goto fail;
		fmt(out, outsz, r);
	} else if (strcmp(tok[0], "cmp") == 0) {
		NEED(3);
		ARG(1, &a);
		ARG(2, &b);
		snprintf(out, outsz, "%d", dec_cmp(a, b));
	} else if (strcmp(tok[0], "norm") == 0) {
		NEED(2);
		ARG(1, &a);
		fmt(out, outsz, dec_normalize(a));
	} else if (strcmp(tok[0], "minor") == 0) {
		NEED(3);
		ARG(1, &a);
		if (intarg(tok[2], &scale) < 0)
			goto bad;
		if ((e = dec_to_minor(a, scale, &m)) != DEC_OK)
			goto fail;
		snprintf(out, outsz, "%" PRId64, m);
	} else
		goto bad;
	return;
#undef NEED
#undef ARG
fail:
	err(out, outsz, e);
	return;
bad:
	snprintf(out, outsz, "ERR BADLINE");
}


#define N38	"99999999999999999999999999999999999999"	/* 10^38 - 1 */
#define N37	"9999999999999999999999999999999999999"
#define E38	"100000000000000000000000000000000000000"	/* 10^38 */
#define T38	"0.00000000000000000000000000000000000001"	/* 10^-38 */
#define Z38	"0.00000000000000000000000000000000000000"
#define X19	"9999999999999999999.9999999999999999999"	/* 10^19 - 10^-19 */

static const struct {
	const char *in, *want;
} cases[] = {
	/* grammar: exactly RFC 8259 numbers */
	{ "parse 0", "0" },
	{ "parse -0", "0" },
	{ "parse -0.00", "0.00" },
	{ "parse 0.000", "0.000" },
	{ "parse 1.50", "1.50" },
	{ "parse -12.5", "-12.5" },
	{ "parse 0.05", "0.05" },
	{ "parse 123", "123" },
	{ "parse 1e3", "1000" },
	{ "parse 1E3", "1000" },
	{ "parse 1e+3", "1000" },
	{ "parse 1e-0", "1" },
	{ "parse 1.5E-3", "0.0015" },
	{ "parse 1.5e1", "15" },
	{ "parse 12.345e1", "123.45" },
	{ "parse 12.345e5", "1234500" },
	{ "parse -0.5e-2", "-0.005" },
	{ "parse 0e5", "0" },
	{ "parse 0.00e1", "0.0" },
	{ "parse 0e-99999", Z38 },
	{ "parse -0e-5", "0.00000" },
	{ "parse 0e999999999999999999999999", "0" },
	{ "parse 0e-999999999999999999999999", Z38 },
	{ "parse +1", "ERR ESYNTAX" },
	{ "parse .5", "ERR ESYNTAX" },
	{ "parse -.5", "ERR ESYNTAX" },
	{ "parse 5.", "ERR ESYNTAX" },
	{ "parse 01", "ERR ESYNTAX" },
	{ "parse -01", "ERR ESYNTAX" },
	{ "parse 00", "ERR ESYNTAX" },
	{ "parse 0.0.0", "ERR ESYNTAX" },
	{ "parse 1e", "ERR ESYNTAX" },
	{ "parse 1e+", "ERR ESYNTAX" },
	{ "parse 1E-", "ERR ESYNTAX" },
	{ "parse 1.e3", "ERR ESYNTAX" },
	{ "parse 1ee3", "ERR ESYNTAX" },
	{ "parse 1e5.5", "ERR ESYNTAX" },
	{ "parse -", "ERR ESYNTAX" },
	{ "parse --1", "ERR ESYNTAX" },
	{ "parse 0x10", "ERR ESYNTAX" },
	{ "parse 1_000", "ERR ESYNTAX" },
	{ "parse 1,5", "ERR ESYNTAX" },
	{ "parse NaN", "ERR ESYNTAX" },
	{ "parse Infinity", "ERR ESYNTAX" },
	{ "parse -inf", "ERR ESYNTAX" },
	{ "parse e5", "ERR ESYNTAX" },

	/* exactness: 38 digits, scale 38, and what happens past them */
	{ "parse " N38, N38 },
	{ "parse -" N38, "-" N38 },
	{ "parse " E38, "ERR ERANGE" },
	{ "parse 1e38", "ERR ERANGE" },
	{ "parse 1e40", "ERR ERANGE" },
	{ "parse 9.9e37", "99000000000000000000000000000000000000" },
	{ "parse " T38, T38 },
	{ "parse 1e-38", T38 },
	{ "parse 1e-39", "ERR EINEXACT" },
	{ "parse 0." "000000000000000000000000000000000000001", "ERR EINEXACT" },
	{ "parse 1e999999999999", "ERR ERANGE" },
	{ "parse -1e999999999999999999999999999", "ERR ERANGE" },
	{ "parse 1e-999999999999", "ERR EINEXACT" },
	/* trailing zeros give way only as far as needed */
	{ "parse 0.1000000000000000000000000000000000000000000",
	    "0.10000000000000000000000000000000000000" },
	{ "parse 1.00000000000000000000000000000000000000",
	    "1.0000000000000000000000000000000000000" },
	{ "parse 1.00000000000000000000000000000000000001",
	    "ERR EINEXACT" },
	{ "parse 1" "0000000000000000000000000000000000000.0000",
	    "10000000000000000000000000000000000000" },
	{ "parse 10000000000000000000000000000000000000.0e-2",
	    "100000000000000000000000000000000000.00" },
	{ "parse " N37 ".5", N37 ".5" },
	{ "parse " N38 ".5", "ERR EINEXACT" },	/* integer part fits */
	{ "parse " E38 ".5", "ERR ERANGE" },
	{ "parse 0.000000000000000000000000000000000000010",
	    T38 },
	{ "parse 1.5e-37", "0.00000000000000000000000000000000000015" },
	{ "parse 1.50e-37", "0.00000000000000000000000000000000000015" },
	{ "parse 1.5e-38", "ERR EINEXACT" },
	{ "parse 1.50e-38", "ERR EINEXACT" },
	{ "parse 1.0e-37", "0.00000000000000000000000000000000000010" },

	/* half-even against half-up on exact ties, both signs */
	{ "round 2.5 0 half-even", "2" },
	{ "round 3.5 0 half-even", "4" },
	{ "round -2.5 0 half-even", "-2" },
	{ "round -3.5 0 half-even", "-4" },
	{ "round 2.5 0 half-up", "3" },
	{ "round -2.5 0 half-up", "-3" },
	{ "round 2.675 2 half-even", "2.68" },
	{ "round 2.665 2 half-even", "2.66" },
	{ "round -2.665 2 half-even", "-2.66" },
	{ "round 2.665 2 half-up", "2.67" },
	{ "round -2.665 2 half-up", "-2.67" },
	{ "round 2.6650000000000000001 2 half-even", "2.67" },
	{ "round -2.6649999999999999999 2 half-up", "-2.66" },
	{ "round 0.5 0 half-even", "0" },
	{ "round -0.5 0 half-even", "0" },
	{ "round -0.5 0 half-up", "-1" },
	{ "round -2.5 0 ceiling", "-2" },
	{ "round -2.5 0 floor", "-3" },
	{ "round 2.5 0 ceiling", "3" },
	{ "round 2.5 0 floor", "2" },
	{ "round 2.1 0 up", "3" },
	{ "round -2.1 0 up", "-3" },
	{ "round -2.9 0 down", "-2" },
	{ "round 2.000 0 up", "2" },
	{ "round -0.001 2 floor", "-0.01" },
	{ "round -0.001 2 ceiling", "0.00" },
	{ "round 1.5 3 half-up", "1.500" },
	{ "round 1.5 -1 half-up", "ERR ESCALE" },
	{ "round 1.5 39 half-up", "ERR ESCALE" },

	/* overflow at exactly 10^38 */
	{ "add " N38 " 1", "ERR ERANGE" },
	{ "add 99999999999999999999999999999999999998 1", N38 },
	{ "sub -" N38 " 1", "ERR ERANGE" },
	{ "sub -" N38 " -1", "-99999999999999999999999999999999999998" },
	{ "add " N38 " -" N38, "0" },
	{ "add 17 -9.9999999999999999999999999999999999999",
	    "7.0000000000000000000000000000000000001" },
	{ "add 9.9999999999999999999999999999999999999 "
	    "0.0000000000000000000000000000000000001", "10.000000000000000000000000000000000000" },
	{ "add " N38 " 0.5", "ERR EINEXACT" },
	{ "add " N38 " 0.0", N38 },	/* the zero gives way */
	{ "add " N37 " 0.0", N37 ".0" },
	{ "add 1.50 2.5", "4.00" },
	{ "sub 1.5 -2.25", "3.75" },
	{ "round " N38 " 1 half-up", "ERR ERANGE" },
	{ "round 9999999999999999999999999999999999999.9 0 half-up",
	    "10000000000000000000000000000000000000" },
	{ "round 9999999999999999999999999999999999999.9 0 down", N37 },
	{ "mul 10000000000000000000 10000000000000000000", "ERR ERANGE" },
	{ "mul 10000000000000000000 9999999999999999999",
	    "99999999999999999990000000000000000000" },
	{ "mul -" N38 " 1", "-" N38 },
	{ "mul " N38 " -1.0", "-" N38 },
	{ "mul 1.5 2", "3.0" },
	{ "mul 0.1 0.1", "0.01" },
	{ "mul -0.1 0", "0.0" },
	{ "mul 1.0000000000000000000 1.0000000000000000000",
	    "1.0000000000000000000000000000000000000" },
	{ "mul 0.0000000000000000000001 0.0000000000000000000001",
	    "ERR EINEXACT" },
	{ "mul 0.00000000000000000000010 0.000000000000000000010",
	    "ERR EINEXACT" },
	{ "mul 0.00000000000000000010 0.00000000000000000010", T38 },
	{ "mul 1234567890123456789.5 1234567890123456789.5",
	    "ERR EINEXACT" },
	{ "mulr " X19 " " X19 " 0 half-up",
	    "99999999999999999999999999999999999998" },
	{ "mulr " X19 " " X19 " 1 half-up", "ERR ERANGE" },
	{ "mulr -" X19 " " X19 " 0 floor",
	    "-99999999999999999999999999999999999999" },
	{ "mulr 1.5 0.333 4 half-even", "0.4995" },
	{ "mulr 1.5 0.333 3 half-even", "0.500" },
	{ "mulr 1.5 0.333 3 down", "0.499" },
	{ "mulr -1.5 0.333 3 half-up", "-0.500" },
	{ "mulr 0.25 0.5 2 half-even", "0.12" },
	{ "mulr 0.25 0.5 2 half-up", "0.13" },
	{ "mulr -0.25 0.5 2 half-even", "-0.12" },
	{ "mulr 0.25 0.5 5 half-even", "0.12500" },
	{ "mulr " T38 " " T38 " 38 up", T38 },
	{ "mulr " T38 " " T38 " 38 half-up", Z38 },
	{ "mulr -" T38 " " T38 " 38 floor", "-" T38 },
	{ "mulr 1 1 39 half-up", "ERR ESCALE" },

	/* division */
	{ "div 1 0 2 half-up", "ERR EDIVZERO" },
	{ "div 0 0 2 half-up", "ERR EDIVZERO" },
	{ "div 0 0.000 2 half-up", "ERR EDIVZERO" },
	{ "div 0 7 2 half-up", "0.00" },
	{ "div 1 3 10 half-up", "0.3333333333" },
	{ "div 2 3 10 half-up", "0.6666666667" },
	{ "div -2 3 10 down", "-0.6666666666" },
	{ "div -2 3 10 floor", "-0.6666666667" },
	{ "div -2 3 10 ceiling", "-0.6666666666" },
	{ "div 1 8 2 half-even", "0.12" },
	{ "div 1 8 2 half-up", "0.13" },
	{ "div -1 8 2 half-even", "-0.12" },
	{ "div -1 -8 2 half-even", "0.12" },
	{ "div 3 8 2 half-even", "0.38" },
	{ "div 1 7 38 half-even", "0.14285714285714285714285714285714285714" },
	{ "div 10 4 0 half-even", "2" },
	{ "div 10 4 0 half-up", "3" },
	{ "div " N38 " 0.1 0 down", "ERR ERANGE" },
	{ "div 1 " T38 " 0 down", "ERR ERANGE" },
	{ "div 1 0.00000000000000000000000000000000000003 0 down",
	    "33333333333333333333333333333333333333" },
	{ "div " N38 " " N38 " 38 half-up", "ERR ERANGE" },
	{ "div " N38 " " N38 " 37 half-up",
	    "1.0000000000000000000000000000000000000" },
	{ "div " T38 " " N38 " 38 up", T38 },
	{ "div " T38 " " N38 " 38 half-up", Z38 },
	{ "div 1 3 -1 half-up", "ERR ESCALE" },

	/* rounding up into 10^38 */
	{ "mulr 9.9999999999999999999999999999999999990 "
	    "10000000000000000000000000000000000001 0 half-up", "ERR ERANGE" },
	{ "mulr 9.9999999999999999999999999999999999990 "
	    "10000000000000000000000000000000000001 0 down", N38 },

	/*
	 * 256-bit long division: dividends just below a multiple of the
	 * divisor make Knuth's quotient-digit guess one too large, which
	 * only the add-back step (or the two-limb correction) repairs.
	 */
	{ "div -0.00416256257879988843001567523672877 "
	    "5902.35736864102962809436409 20 half-up",
	    "-0.00000070523730076315" },
	{ "mulr -978697.11896116062393636367410428226731 "
	    "-0.0006147867285423958961800017465530907 2 half-even", "601.69" },
	{ "div 647427962391.9973093344865800702251097 "
	    "7698329291975730220.7622880 26 half-even",
	    "0.00000008409980111747581412" },
	{ "div -99999999999999999999.999999999999999996 "
	    "99999999999999999999999999.999999999997 28 half-even",
	    "-0.0000010000000000000000000000" },
	{ "mulr 50067912953670.699099310526916233466563 "
	    "-0.1830329846220248506187 18 down",
	    "-9164079541706.087885310009385170" },
	{ "div 6.3834654084675028200658 "
	    "-39098283098482557501874608956617.4 37 half-up",
	    "-0.0000000000000000000000000000001632672" },
	{ "div 73572695645791.287581333 "
	    "-10000000000000000000000.00000000000000 25 half-up",
	    "-0.0000000073572695645791288" },
	{ "mulr -0.00002772563752342 "
	    "-999999999999999999999.99999999999999996 17 half-up",
	    "27725637523420000.00000000000000000" },

	/* comparison ignores scale */
	{ "cmp 1.0 1", "0" },
	{ "cmp -1.5 -1.50", "0" },
	{ "cmp 0.00 -0", "0" },
	{ "cmp 2 10", "-1" },
	{ "cmp -2 -10", "1" },
	{ "cmp " N38 " " T38, "1" },
	{ "cmp -" N38 " -" T38, "-1" },
	{ "cmp " T38 " " N38, "-1" },
	{ "cmp 0.1 -" N38, "1" },

	{ "norm 1.500", "1.5" },
	{ "norm -0.000", "0" },
	{ "norm 100", "100" },
	{ "norm 100.00", "100" },

	/* minor units: cents must be exact and fit an int64 */
	{ "minor 1.50 2", "150" },
	{ "minor 1.500 2", "150" },
	{ "minor 1.505 2", "ERR EINEXACT" },
	{ "minor 1234 0", "1234" },
	{ "minor 1.5 0", "ERR EINEXACT" },
	{ "minor 1.234 3", "1234" },
	{ "minor -0.001 3", "-1" },
	{ "minor 92233720368547758.07 2", "9223372036854775807" },
	{ "minor 92233720368547758.08 2", "ERR ERANGE" },
	{ "minor -92233720368547758.08 2", "-9223372036854775808" },
	{ "minor -92233720368547758.09 2", "ERR ERANGE" },
	{ "minor " N38 " 0", "ERR ERANGE" },
	{ "minor 1 38", "ERR ERANGE" },
	{ "minor 1 -1", "ERR ESCALE" },
};

/* Cases that need the C API rather than the line language. */
static void
api_tests(void)
{
	char buf[DEC_FMTMAX], small[5];
	dec d, r;
	int64_t m;
	int e, i, n;
	static const char *modes[] = { "half-up", "half-even", "up", "down",
	    "ceiling", "floor" };

	/* Exactly n bytes are read: no NUL needed, none allowed. */
	e = dec_parse("12345", 3, &d);
	ok(e == DEC_OK && d.c == 123 && d.s == 0, "parse reads only n bytes");
	e = dec_parse("1\0", 2, &d);
	ok(e == DEC_ESYNTAX, "parse refuses an embedded NUL");
	ok(dec_parse("", 0, &d) == DEC_ESYNTAX, "parse refuses empty input");
	ok(dec_parse(NULL, 0, &d) == DEC_ESYNTAX, "parse refuses NULL");
	ok(dec_parse(" 1", 2, &d) == DEC_ESYNTAX, "parse refuses a leading space");
	ok(dec_parse("1 ", 2, &d) == DEC_ESYNTAX, "parse refuses a trailing space");
	ok(dec_parse("1\n", 2, &d) == DEC_ESYNTAX, "parse refuses a newline");
	ok(dec_parse("\xd9\xa1", 2, &d) == DEC_ESYNTAX,
	    "parse refuses non-ASCII digits");
	e = dec_parse("1.5E-3", 6, &d);
	ok(e == DEC_OK && d.c == 15 && d.s == 4, "1.5E-3 is c=15 s=4");
	e = dec_parse("1e3", 3, &d);
	ok(e == DEC_OK && d.c == 1000 && d.s == 0, "1e3 is c=1000 s=0");
	e = dec_parse("1.50", 4, &d);
	ok(e == DEC_OK && d.c == 150 && d.s == 2, "1.50 is c=150 s=2");

	/* Formatting: the longest output fits DEC_FMTMAX exactly. */
	d.c = -1;
	d.s = 38;
	n = dec_fmt(d, buf, sizeof(buf));
	ok(n == 41 && strcmp(buf, "-0." "00000000000000000000000000000000000001")
	    == 0, "fmt of -1e-38 needs 41 chars + NUL");
	ok(dec_fmt(d, buf, 41) == -1, "fmt refuses a buffer one byte short");
	d.c = 12345;
	d.s = 0;
	ok(dec_fmt(d, small, sizeof(small)) == -1 && dec_fmt(d, buf, 6) == 5,
	    "fmt checks bufsz against the NUL");
	d.c = 0;
	d.s = 2;
	dec_fmt(d, buf, sizeof(buf));
	ok(strcmp(buf, "0.00") == 0, "zero at scale 2 prints 0.00");
	d.s = 39;
	ok(dec_fmt(d, buf, sizeof(buf)) == -1, "fmt refuses scale 39");
	d = dec_from_i64(INT64_MIN);
	dec_fmt(d, buf, sizeof(buf));
	ok(strcmp(buf, "-9223372036854775808") == 0, "from_i64(INT64_MIN)");
	/*
	 * Around 10^19, where dec_fmt stops formatting a 64-bit word and
	 * divides the 128-bit magnitude, and past 2^64
	 */
	{
		static const char *const want[] = {
			"9999999999999999999", "1000000000000000000.0",
			"-10000000000000000000", "18446744073709551615",
			"18446744073709551616", "-1844674407370955.1617",
			"99999999999999999999999999999999999999",
		};
		dec_int c[] = { 0, 0, 0, 0, 0, 0, 0 };
		int sc[] = { 0, 1, 0, 0, 0, 4, 0 }, k, bad = 0;

		c[0] = (dec_int)9999999999999999999ULL;
		c[1] = (dec_int)10000000000000000000ULL;
		c[2] = -(dec_int)10000000000000000000ULL;
		c[3] = (dec_int)UINT64_MAX;
		c[4] = (dec_int)UINT64_MAX + 1;
		c[5] = -((dec_int)UINT64_MAX + 2);
		c[6] = (dec_int)10000000000000000000ULL *
		    10000000000000000000ULL - 1;
		for (k = 0; k < 7; k++) {
			d.c = c[k];
			d.s = sc[k];
			if (dec_fmt(d, buf, sizeof(buf)) != (int)strlen(want[k]) ||
			    strcmp(buf, want[k]) != 0)
				bad++;
		}
		ok(bad == 0, "fmt around 10^19 and 2^64, and of 38 nines");
	}

	/* Broken inputs are refused, not trusted. */
	d.c = 1;
	d.s = -1;
	ok(dec_add(d, DEC_ZERO, &r) == DEC_ESCALE, "add refuses scale -1");
	d.s = 0;
	ok(dec_mul(d, d, &r) == DEC_OK && r.c == 1, "mul 1 1");
	d.c = 1;
	for (i = 0; i < 38; i++)
		d.c *= 10;
	ok(dec_add(d, DEC_ZERO, &r) == DEC_ERANGE, "add refuses c = 10^38");
	ok(dec_round(DEC_ZERO, 2, (enum dec_round)99, &r) == DEC_ESCALE,
	    "round refuses a bad mode");
	ok(dec_sub(DEC_ZERO, d, &r) == DEC_ERANGE, "sub refuses c = 10^38");
	ok(dec_mul(d, DEC_ZERO, &r) == DEC_ERANGE, "mul refuses c = 10^38");
	ok(dec_mul_round(DEC_ZERO, d, 2, DEC_UP, &r) == DEC_ERANGE,
	    "mul_round refuses c = 10^38");
	ok(dec_div(d, dec_from_i64(1), 2, DEC_UP, &r) == DEC_ERANGE,
	    "div refuses c = 10^38");
	ok(dec_to_minor(d, 2, &m) == DEC_ERANGE, "to_minor refuses c = 10^38");
	ok(!dec_valid(d) && dec_valid(DEC_ZERO), "dec_valid");

	/* Signs and zero. */
	ok(dec_sign(dec_neg(dec_from_i64(5))) == -1, "neg 5 is negative");
	ok(dec_sign(dec_neg(DEC_ZERO)) == 0, "neg 0 is zero");
	d = dec_normalize((dec){ 0, 7 });
	ok(d.c == 0 && d.s == 0, "normalize zero gives scale 0");

	/* Rounding mode names round-trip. */
	for (i = 0; i < 6; i++)
		ok(dec_parse_round(modes[i]) >= 0 &&
		    strcmp(dec_round_name(dec_parse_round(modes[i])),
		    modes[i]) == 0, "round mode %s", modes[i]);
	ok(dec_parse_round("HALF-UP") == -1 && dec_parse_round("") == -1 &&
	    dec_parse_round(NULL) == -1, "unknown round modes give -1");

	ok(strcmp(dec_strerror(DEC_ERANGE), dec_strerror(DEC_EINEXACT)) != 0 &&
	    dec_strerror(12345) != NULL, "strerror");

	/* Minor units through the currency table. */
	dec_parse("1234", 4, &d);
	ok(dec_to_minor(d, cur_minor("JPY"), &m) == DEC_OK && m == 1234,
	    "1234 JPY is 1234 minor units");
	dec_parse("1234.5", 6, &d);
	ok(dec_to_minor(d, cur_minor("JPY"), &m) == DEC_EINEXACT,
	    "1234.5 JPY is inexact");
	dec_parse("12.34", 5, &d);
	ok(dec_to_minor(d, cur_minor("USD"), &m) == DEC_OK && m == 1234,
	    "12.34 USD is 1234 cents");
	dec_parse("-12.3", 5, &d);
	ok(dec_to_minor(d, cur_minor("USD"), &m) == DEC_OK && m == -1230,
	    "-12.3 USD is -1230 cents");
	dec_parse("1.2345", 6, &d);
	ok(dec_to_minor(d, cur_minor("BHD"), &m) == DEC_EINEXACT,
	    "1.2345 BHD is inexact");
	dec_parse("1.234", 5, &d);
	ok(dec_to_minor(d, cur_minor("BHD"), &m) == DEC_OK && m == 1234,
	    "1.234 BHD is 1234 fils");
	ok(dec_to_minor(d, cur_minor("XXX"), &m) == DEC_ESCALE,
	    "unknown currency (-1) is refused");
}

/* One dec_split case: total over the weights, the shares expected. */
static void
split_case(const char *total, int minor, const char *weights,
    const char *want)
{
	char wbuf[256], *t, *save, got[512];
	dec tot, w[16], out[16], rems[16];
	size_t n = 0, i, len = 0;
	int e;

	dec_parse(total, strlen(total), &tot);
	snprintf(wbuf, sizeof(wbuf), "%s", weights);
	for (t = strtok_r(wbuf, " ", &save); t != NULL && n < 16;
	    t = strtok_r(NULL, " ", &save))
		dec_parse(t, strlen(t), &w[n++]);
	e = dec_split(tot, w, n, minor, out, rems);
	got[0] = '\0';
	if (e != 0)
		snprintf(got, sizeof(got), "ERR %s", dec_errname(e));
	for (i = 0; e == 0 && i < n; i++)
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s",
		    i ? " " : "", dec_str(out[i]).s);
	ok(strcmp(got, want) == 0, "split %s over %s -> %s%s%s", total,
	    weights, want, strcmp(got, want) ? ", got " : "",
	    strcmp(got, want) ? got : "");
}

/* dec_split: hand-written cases, then sums over many pseudo-random ones. */
static void
split_tests(void)
{
	dec w[7], out[7], rems[7], sum, tot;
	uint64_t x = 88172645463325252ULL;
	int i, k, bad = 0, n;

	split_case("10.00", 2, "1 1 1", "3.34 3.33 3.33");
	split_case("-10.00", 2, "1 1 1", "-3.33 -3.33 -3.34");
	split_case("1.00", 2, "1 2", "0.33 0.67");
	split_case("1.00", 2, "2 1", "0.67 0.33");
	split_case("100", 0, "1 1 1", "34 33 33");
	split_case("0.05", 2, "30 70", "0.02 0.03");
	split_case("1.00", 2, "3 -1", "1.50 -0.50");
	split_case("1.00", 2, "0 0", "1.00 0.00");
	split_case("1.00", 2, "1 -1", "1.00 0.00");
	split_case("0.00", 2, "5 5", "0.00 0.00");
	split_case("7.000", 3, "1", "7.000");
	split_case("1.00", 2, "", "");
	split_case("99999999999999999999999999999999999999", 0, "1 1",
	    "ERR ERANGE");
	/* whatever the signs, the shares add up to the total exactly */
	for (i = 0; i < 2000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		n = 1 + (int)(x % 7);
		tot = (dec){ (dec_int)(x >> 20) % 2000001 - 1000000, 2 };
		for (k = 0; k < n; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			w[k] = (dec){ (dec_int)(x % 100001) - 20000,
			    (int)(x >> 60) % 4 };
		}
		sum = DEC_ZERO;
		if (dec_split(tot, w, (size_t)n, 2, out, rems) != 0)
			bad++;
		for (k = 0; k < n; k++)
			if (dec_add(sum, out[k], &sum) != 0 || out[k].s != 2)
				bad++;
		if (dec_cmp(sum, tot) != 0)
			bad++;
	}
	ok(bad == 0, "split: 2000 random splits add up to their totals "
	    "(%d wrong)", bad);
}

int
main(int argc, char *argv[])
{
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--oracle") == 0)
		return tap_oracle(run_line);
	if (argc != 1) {
		fprintf(stderr, "usage: test_dec [--oracle]\n");
		return 64;
	}

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_case(run_line, cases[i].in, cases[i].want);
	api_tests();
	split_tests();
	/* The plan goes last (valid TAP) so it never drifts from the count. */
	return tap_done();
}
