/*
 * dec.h: exact decimal numbers for money and quantities.
 *
 * A dec is a signed 128-bit coefficient and a scale: value = c * 10^-s,
 * with at most 38 digits in c and 0 <= s <= 38.  The scale is part of
 * the value's identity for printing ("1.50" stays "1.50") but not for
 * comparison (1.50 == 1.5).  Nothing here rounds unless asked to: an
 * operation whose exact result does not fit fails with an error code
 * instead, and the caller picks a scale and a rounding mode.
 *
 * All functions are pure: no allocation, no global state, no floating
 * point.  Functions that take a dec expect a valid one (as produced
 * here); the arithmetic ones check and return DEC_ESCALE or DEC_ERANGE
 * for a broken one, the others never misbehave but give an unspecified
 * answer.
 */
#ifndef DEC_H
#define DEC_H

#include <stddef.h>
#include <stdint.h>

__extension__ typedef __int128 dec_int;

typedef struct {
	dec_int	c;	/* coefficient, |c| <= 10^38 - 1 */
	int	s;	/* scale: number of fractional digits, 0..38 */
} dec;

#define DEC_MAXDIGITS	38	/* |c| <= 10^38 - 1 */
#define DEC_MAXSCALE	38	/* 0 <= s <= 38 */
#define DEC_FMTMAX	42	/* "-0." + 38 digits + NUL */
#define DEC_ZERO	((dec){ 0, 0 })

/*
 * HALF_UP is half away from zero (Python ROUND_HALF_UP), HALF_EVEN is
 * banker's rounding, UP is away from zero, DOWN toward zero (truncate),
 * CEILING toward +infinity, FLOOR toward -infinity.
 */
enum dec_round {
	DEC_HALF_UP,
	DEC_HALF_EVEN,
	DEC_UP,
	DEC_DOWN,
	DEC_CEILING,
	DEC_FLOOR
};

enum {
	DEC_OK = 0,
	DEC_ESYNTAX,	/* not a JSON number */
	DEC_ERANGE,	/* magnitude needs more than 38 digits */
	DEC_EINEXACT,	/* exact value needs more than 38 digits or scale > 38 */
	DEC_EDIVZERO,	/* division by zero */
	DEC_ESCALE	/* scale argument outside 0..38, or bad rounding mode */
};

const char	*dec_strerror(int);
const char	*dec_errname(int);	/* "ESYNTAX", ... for tests and logs */

/*
 * Parse exactly n bytes as a JSON number (RFC 8259).  The scale is the
 * number of fractional digits written minus the exponent, at least 0;
 * it is lowered only by dropping trailing zeros when needed to fit.
 */
int	 dec_parse(const char *, size_t, dec *);
/* Plain notation with exactly s fractional digits; -1 if it won't fit. */
int	 dec_fmt(dec, char *, size_t);
int	 dec_valid(dec);		/* 1 if s and c are in range */
/*
 * dec_fmt into a value: dec_str(d).s lives to the end of the full
 * expression, for printf's arguments; "" if it won't fit.
 */
struct dec_str {
	char	s[DEC_FMTMAX];
};
struct dec_str dec_str(dec);

dec	 dec_normalize(dec);		/* strip trailing fractional zeros */
dec	 dec_neg(dec);
dec	 dec_abs(dec);
dec	 dec_from_i64(int64_t);
int	 dec_sign(dec);
int	 dec_cmp(dec, dec);		/* -1, 0, 1 by value, any scales */

/*
 * Exact operations.  The result has the natural scale (max(sa, sb) for
 * add and sub, sa + sb for mul); when that does not fit, trailing
 * fractional zeros are dropped first.  If it still does not fit:
 * DEC_ERANGE when |result| >= 10^38, else DEC_EINEXACT (the exact value
 * needs a scale over 38 or more than 38 significant digits; a rounding
 * variant can give an answer).
 */
int	 dec_add(dec, dec, dec *);
int	 dec_sub(dec, dec, dec *);
int	 dec_mul(dec, dec, dec *);

/*
 * Rounding operations: the exact result rounded once to `scale`
 * fractional digits.  DEC_ERANGE when the rounded coefficient needs more
 * than 38 digits, DEC_ESCALE when scale is outside 0..38, and for
 * dec_div DEC_EDIVZERO when b is zero (any scale of zero).
 */
int	 dec_mul_round(dec, dec, int, enum dec_round, dec *);
int	 dec_div(dec, dec, int, enum dec_round, dec *);
int	 dec_round(dec, int, enum dec_round, dec *);

/*
 * a * 10^minor_units as an int64 (an amount in minor units, e.g. cents).
 * DEC_EINEXACT if a has nonzero digits beyond minor_units decimals
 * (trailing zeros are fine: 1.500 is 150 cents), DEC_ERANGE if it does
 * not fit in int64, DEC_ESCALE if minor_units is outside 0..38.
 */
int	 dec_to_minor(dec, int, int64_t *);

/*
 * Split total over n weights w in minor units (out: n shares that add
 * up to total exactly, whatever the signs; the largest remainders get
 * the units left over, ties the first).  No weight at all puts total on
 * the first.  rems is n decs of working space.  0 or a DEC_E* code.
 */
int	 dec_split(dec total, const dec *w, size_t n, int minor, dec *out,
	    dec *rems);

/* "half-up", "half-even", "up", "down", "ceiling", "floor" */
int		 dec_parse_round(const char *);	/* -1 if unknown */
const char	*dec_round_name(enum dec_round);

#endif
