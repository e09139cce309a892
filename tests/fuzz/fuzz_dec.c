/*
 * fuzz_dec.c: the decimal parser (dec.h) and the arithmetic every
 * amount goes through, held to the invariants they promise.
 *
 * Input: one control byte (a scale -1..39 and a rounding mode 0..6;
 * the outermost of each are invalid on purpose), then text.  The whole
 * text is parsed as one number; then its space-separated words are the
 * operands: a and b for the arithmetic, a and the rest as a total and
 * its weights for dec_split, each word as a currency code and a rounding
 * mode name too.
 */
#include <stdio.h>
#include <string.h>

#include "currency.h"
#include "dec.h"
#include "fuzz.h"

#define MAXW	8

static const char *
show(dec d)
{
	static char b[2][64];
	static int k;

	k ^= 1;
	if (!dec_valid(d))
		snprintf(b[k], sizeof(b[k]), "<invalid s=%d>", d.s);
	else if (dec_fmt(d, b[k], sizeof(b[k])) < 0)
		snprintf(b[k], sizeof(b[k]), "<unformattable>");
	return b[k];
}

/* What dec_parse gives must be valid and print back to itself. */
static void
check_parsed(const char *s, size_t n, dec d)
{
	char b[DEC_FMTMAX];
	dec e;

	if (!dec_valid(d))
		fz_fail("dec_parse('%.*s') gave an invalid dec (s=%d)",
		    (int)n, s, d.s);
	if (dec_fmt(d, b, sizeof(b)) < 0)
		fz_fail("dec_fmt cannot print '%.*s'", (int)n, s);
	if (strcmp(dec_str(d).s, b) != 0)
		fz_fail("dec_str and dec_fmt differ on '%s'", b);
	if (dec_parse(b, strlen(b), &e) != DEC_OK)
		fz_fail("'%s' (from '%.*s') does not parse", b, (int)n, s);
	if (e.c != d.c || e.s != d.s)
		fz_fail("'%.*s' printed as '%s' parses to %s", (int)n, s, b,
		    show(e));
	if (dec_cmp(dec_normalize(d), d) != 0)
		fz_fail("normalize changed the value of %s", b);
	if (dec_cmp(dec_neg(dec_neg(d)), d) != 0 || dec_sign(dec_abs(d)) < 0)
		fz_fail("neg or abs is wrong for %s", b);
}

/* One rounding of a to scale s, against floor and ceiling. */
static void
check_round(dec a, int s, int mode)
{
	dec r, lo, hi, q, step, one = { 1, 0 };
	int e, elo, ehi;

	e = dec_round(a, s, (enum dec_round)mode, &r);
	if (s < 0 || s > DEC_MAXSCALE || mode > DEC_FLOOR) {
		if (e != DEC_ESCALE)
			fz_fail("dec_round(%s, %d, %d) gave %s, not ESCALE",
			    show(a), s, mode, dec_errname(e));
		return;
	}
	if (e == DEC_OK) {
		if (!dec_valid(r) || r.s != s)
			fz_fail("dec_round(%s, %d) gave scale %d", show(a), s,
			    r.s);
		if (s >= a.s && dec_cmp(r, a) != 0)
			fz_fail("dec_round(%s, %d) changed an exact value to "
			    "%s", show(a), s, show(r));
	}
	elo = dec_round(a, s, DEC_FLOOR, &lo);
	ehi = dec_round(a, s, DEC_CEILING, &hi);
	if (e == DEC_OK && elo == DEC_OK && ehi == DEC_OK) {
		if (dec_cmp(lo, a) > 0 || dec_cmp(hi, a) < 0)
			fz_fail("floor %s or ceiling %s of %s on the wrong side",
			    show(lo), show(hi), show(a));
		if (dec_cmp(r, lo) != 0 && dec_cmp(r, hi) != 0)
			fz_fail("dec_round(%s, %d, %d) = %s is neither floor %s "
			    "nor ceiling", show(a), s, mode, show(r), show(lo));
		step = (dec){ 1, s };
		if (dec_sub(hi, lo, &q) == DEC_OK && dec_cmp(q, DEC_ZERO) != 0 &&
		    dec_cmp(q, step) != 0)
			fz_fail("ceiling - floor of %s at %d is %s", show(a), s,
			    show(q));
	}
	/* dividing by one is rounding */
	e = dec_div(a, one, s, (enum dec_round)mode, &q);
	if (e == DEC_OK && dec_round(a, s, (enum dec_round)mode, &r) ==
	    DEC_OK && dec_cmp(q, r) != 0)
		fz_fail("dec_div(%s, 1, %d, %d) = %s but dec_round gives %s",
		    show(a), s, mode, show(q), show(r));
}

static void
check_pair(dec a, dec b, int s, int mode)
{
	dec r, r2, back;
	int e, e2;

	if (dec_cmp(a, b) != -dec_cmp(b, a))
		fz_fail("dec_cmp(%s, %s) is not antisymmetric", show(a),
		    show(b));
	if ((e = dec_add(a, b, &r)) == DEC_OK) {
		if (!dec_valid(r))
			fz_fail("dec_add gave an invalid dec");
		if (dec_sub(r, b, &back) == DEC_OK && dec_cmp(back, a) != 0)
			fz_fail("(%s + %s) - %s = %s", show(a), show(b),
			    show(b), show(back));
	}
	e2 = dec_add(b, a, &r2);
	if (e != e2 || (e == DEC_OK && dec_cmp(r, r2) != 0))
		fz_fail("dec_add(%s, %s) is not commutative", show(a),
		    show(b));
	e = dec_mul(a, b, &r);
	e2 = dec_mul(b, a, &r2);
	if (e != e2 || (e == DEC_OK && dec_cmp(r, r2) != 0))
		fz_fail("dec_mul(%s, %s) is not commutative", show(a),
		    show(b));
	if (e == DEC_OK && s >= 0 && s <= DEC_MAXSCALE && mode <= DEC_FLOOR &&
	    dec_mul_round(a, b, s, (enum dec_round)mode, &r2) == DEC_OK &&
	    dec_round(r, s, (enum dec_round)mode, &back) == DEC_OK &&
	    dec_cmp(r2, back) != 0)
		fz_fail("dec_mul_round(%s, %s, %d, %d) = %s, the rounded "
		    "product is %s", show(a), show(b), s, mode, show(r2),
		    show(back));
	e = dec_div(a, b, s, (enum dec_round)mode, &r);
	if (dec_sign(b) == 0 && s >= 0 && s <= DEC_MAXSCALE &&
	    mode <= DEC_FLOOR && e != DEC_EDIVZERO)
		fz_fail("dec_div(%s, 0) gave %s", show(a), dec_errname(e));
	if (e == DEC_OK && (!dec_valid(r) || r.s != s))
		fz_fail("dec_div(%s, %s, %d) gave scale %d", show(a), show(b),
		    s, r.s);
}

static void
check_minor(dec a, int s)
{
	int64_t m;

	if (s < 0 || s > 18)
		return;
	if (dec_to_minor(a, s, &m) == DEC_OK &&
	    dec_cmp((dec){ (dec_int)m, s }, a) != 0)
		fz_fail("dec_to_minor(%s, %d) = %lld", show(a), s,
		    (long long)m);
}

static void
check_split(const dec *v, size_t n, int minor)
{
	dec out[MAXW], rems[MAXW], sum = DEC_ZERO;
	size_t j;

	if (n < 2 || minor < 0 || minor > 18)
		return;
	if (dec_split(v[0], v + 1, n - 1, minor, out, rems) != DEC_OK)
		return;
	for (j = 0; j + 1 < n; j++) {
		if (!dec_valid(out[j]))
			fz_fail("dec_split gave an invalid share");
		if (dec_add(sum, out[j], &sum) != DEC_OK)
			fz_fail("dec_split's shares overflow");
	}
	if (dec_cmp(sum, v[0]) != 0)
		fz_fail("dec_split(%s) shares add up to %s", show(v[0]),
		    show(sum));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char word[128];
	const char *p, *end, *q;
	dec v[MAXW], d;
	size_t n = 0, len;
	int s, mode;

	if (size < 1)
		return 0;
	s = data[0] % 41 - 1;
	mode = (data[0] / 41) % 7;
	p = (const char *)data + 1;
	end = (const char *)data + size;
	if (dec_parse(p, (size_t)(end - p), &d) == DEC_OK) {
		check_parsed(p, (size_t)(end - p), d);
		check_round(d, s, mode);
		check_minor(d, s);
	}
	for (; p < end; p = q + 1) {
		if ((q = memchr(p, ' ', (size_t)(end - p))) == NULL)
			q = end;
		len = (size_t)(q - p);
		if (len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = '\0';
			(void)cur_minor(word);
			(void)cur_valid(word);
			(void)dec_parse_round(word);
		}
		if (n < MAXW && dec_parse(p, len, &v[n]) == DEC_OK) {
			check_parsed(p, len, v[n]);
			n++;
		}
	}
	if (n >= 2)
		check_pair(v[0], v[1], s, mode);
	if (n >= 1) {
		check_round(v[0], s, mode);
		check_minor(v[0], s);
	}
	check_split(v, n, s);
	return 0;
}
