/*
 * dec.c: exact decimal arithmetic for money.
 *
 * A value is a 128-bit coefficient and a power-of-ten scale (see dec.h).
 * Sums and products that spill out of 128 bits, and every quotient that
 * rounds, go through a small unsigned 256-bit type with 32-bit limbs so
 * that an answer which fits is never refused just because an
 * intermediate did not.  Signs are kept apart from magnitudes throughout:
 * rounding is decided on |x| and the sign only matters for CEILING and
 * FLOOR.  No floating point, no allocation, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dec.h"
#include "util.h"

__extension__ typedef unsigned __int128 u128;

#define P19	10000000000000000000ULL

/* 10^0 .. 10^38; every one fits an unsigned (and a signed) __int128. */
static const u128 pow10tab[DEC_MAXDIGITS + 1] = {
	1ULL,
	10ULL,
	100ULL,
	1000ULL,
	10000ULL,
	100000ULL,
	1000000ULL,
	10000000ULL,
	100000000ULL,
	1000000000ULL,
	10000000000ULL,
	100000000000ULL,
	1000000000000ULL,
	10000000000000ULL,
	100000000000000ULL,
	1000000000000000ULL,
	10000000000000000ULL,
	100000000000000000ULL,
	1000000000000000000ULL,
	P19,
	(u128)P19 * 10ULL,
	(u128)P19 * 100ULL,
	(u128)P19 * 1000ULL,
	(u128)P19 * 10000ULL,
	(u128)P19 * 100000ULL,
	(u128)P19 * 1000000ULL,
	(u128)P19 * 10000000ULL,
	(u128)P19 * 100000000ULL,
	(u128)P19 * 1000000000ULL,
	(u128)P19 * 10000000000ULL,
	(u128)P19 * 100000000000ULL,
	(u128)P19 * 1000000000000ULL,
	(u128)P19 * 10000000000000ULL,
	(u128)P19 * 100000000000000ULL,
	(u128)P19 * 1000000000000000ULL,
	(u128)P19 * 10000000000000000ULL,
	(u128)P19 * 100000000000000000ULL,
	(u128)P19 * 1000000000000000000ULL,
	(u128)P19 * P19,
};

/* Coefficients must stay strictly below this: 10^38. */
#define LIM	(pow10tab[DEC_MAXDIGITS])

/* ---- 256-bit unsigned helpers ---------------------------------------- */

typedef struct {
	uint32_t w[8];		/* little-endian 32-bit limbs */
} u256;

static u256
u256_from128(u128 x)
{
	u256 r;
	int i;

	for (i = 0; i < 4; i++) {
		r.w[i] = (uint32_t)x;
		x >>= 32;
	}
	for (; i < 8; i++)
		r.w[i] = 0;
	return r;
}

static int
u256_is128(const u256 *a)
{
	return (a->w[4] | a->w[5] | a->w[6] | a->w[7]) == 0;
}

static u128
u256_to128(const u256 *a)
{
	return (u128)a->w[0] | (u128)a->w[1] << 32 | (u128)a->w[2] << 64 |
	    (u128)a->w[3] << 96;
}

/* 1 if a < 10^38, i.e. a fits as a coefficient. */
static int
u256_fits(const u256 *a)
{
	return u256_is128(a) && u256_to128(a) < LIM;
}

static int
u256_cmp(const u256 *a, const u256 *b)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* r = a + b; the callers' operands are below 2^255, so no carry out. */
static u256
u256_add(const u256 *a, const u256 *b)
{
	u256 r;
	uint64_t t, carry = 0;
	int i;

	for (i = 0; i < 8; i++) {
		t = (uint64_t)a->w[i] + b->w[i] + carry;
		r.w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	return r;
}

/* r = a - b, for a >= b. */
static u256
u256_sub(const u256 *a, const u256 *b)
{
	u256 r;
	uint64_t t, borrow = 0;
	int i;

	for (i = 0; i < 8; i++) {
		t = (uint64_t)a->w[i] - b->w[i] - borrow;
		r.w[i] = (uint32_t)t;
		borrow = t >> 63;
	}
	return r;
}

/* a *= m; returns the limb carried out of the top, nonzero on overflow. */
static uint32_t
u256_mul32(u256 *a, uint32_t m)
{
	uint64_t t, carry = 0;
	int i;

	for (i = 0; i < 8; i++) {
		t = (uint64_t)a->w[i] * m + carry;
		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	return (uint32_t)carry;
}

/* a *= 10^k; -1 (a clobbered) if the product needs more than 256 bits. */
static int
u256_mulpow10(u256 *a, int k)
{
	for (; k >= 9; k -= 9)
		if (u256_mul32(a, 1000000000U) != 0)
			return -1;
	if (k > 0 && u256_mul32(a, (uint32_t)pow10tab[k]) != 0)
		return -1;
	return 0;
}

/* 10^k for 0 <= k <= 77 (10^77 < 2^256 < 10^78). */
static u256
u256_pow10(int k)
{
	u256 r;

	if (k <= DEC_MAXDIGITS)
		return u256_from128(pow10tab[k]);
	r = u256_from128(LIM);
	(void)u256_mulpow10(&r, k - DEC_MAXDIGITS);
	return r;
}

/* Full 128 x 128 -> 256-bit product, schoolbook on 32-bit limbs. */
static u256
u256_mul128(u128 a, u128 b)
{
	uint32_t x[4], y[4];
	uint64_t t, carry;
	u256 r;
	int i, j;

	if ((a >> 64) == 0 && (b >> 64) == 0)
		return u256_from128(a * b);
	for (i = 0; i < 4; i++) {
		x[i] = (uint32_t)(a >> (32 * i));
		y[i] = (uint32_t)(b >> (32 * i));
	}
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 4; i++) {
		carry = 0;
		for (j = 0; j < 4; j++) {
			/* (2^32-1)^2 + 2(2^32-1) = 2^64-1: cannot wrap. */
			t = (uint64_t)x[i] * y[j] + r.w[i + j] + carry;
			r.w[i + j] = (uint32_t)t;
			carry = t >> 32;
		}
		r.w[i + 4] = (uint32_t)carry;
	}
	return r;
}

/* a /= d for a single limb d != 0; returns the remainder. */
static uint32_t
u256_div32(u256 *a, uint32_t d)
{
	uint64_t cur, rem = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		cur = rem << 32 | a->w[i];
		a->w[i] = (uint32_t)(cur / d);
		rem = cur % d;
	}
	return (uint32_t)rem;
}

static int
u256_nlimbs(const u256 *a)
{
	int n;

	for (n = 8; n > 0 && a->w[n - 1] == 0; n--)
		;
	return n;
}

/*
 * q = u / v, r = u % v for v != 0: Knuth's algorithm D (TAOCP 4.3.1)
 * on 32-bit limbs, with unsigned borrows so nothing relies on the
 * behaviour of shifting negative numbers.
 */
static void
u256_divmod(u256 u, u256 v, u256 *q, u256 *r)
{
	uint32_t un[9], vn[8];
	uint64_t num, qhat, rhat, p, t, carry, borrow;
	int m, n, i, j, sh;

	m = u256_nlimbs(&u);
	n = u256_nlimbs(&v);
	memset(q, 0, sizeof(*q));
	if (m < n) {
		*r = u;
		return;
	}
	if (n == 1) {
		*q = u;
		*r = u256_from128(u256_div32(q, v.w[0]));
		return;
	}

	/*
	 * Normalize so the divisor's top limb has its high bit set; then
	 * the two-limb estimate qhat is at most 2 too large (Knuth, Thm B)
	 * and the loop below corrects it to at most 1 too large.
	 */
	sh = __builtin_clz(v.w[n - 1]);
	for (i = n - 1; i > 0; i--)
		vn[i] = v.w[i] << sh | (sh ? v.w[i - 1] >> (32 - sh) : 0);
	vn[0] = v.w[0] << sh;
	un[m] = sh ? u.w[m - 1] >> (32 - sh) : 0;
	for (i = m - 1; i > 0; i--)
		un[i] = u.w[i] << sh | (sh ? u.w[i - 1] >> (32 - sh) : 0);
	un[0] = u.w[0] << sh;

	for (j = m - n; j >= 0; j--) {
		num = (uint64_t)un[j + n] << 32 | un[j + n - 1];
		qhat = num / vn[n - 1];
		rhat = num % vn[n - 1];
		while (qhat > UINT32_MAX ||
		    qhat * vn[n - 2] > (rhat << 32 | un[j + n - 2])) {
			qhat--;
			rhat += vn[n - 1];
			if (rhat > UINT32_MAX)
				break;
		}

		/* un[j..j+n] -= qhat * vn */
		carry = borrow = 0;
		for (i = 0; i < n; i++) {
			p = qhat * vn[i] + carry;
			carry = p >> 32;
			t = (uint64_t)un[i + j] - (uint32_t)p - borrow;
			un[i + j] = (uint32_t)t;
			borrow = t >> 63;
		}
		t = (uint64_t)un[j + n] - carry - borrow;
		un[j + n] = (uint32_t)t;

		/* Went negative: qhat was one too large, add vn back. */
		if (t >> 63) {
			qhat--;
			carry = 0;
			for (i = 0; i < n; i++) {
				t = (uint64_t)un[i + j] + vn[i] + carry;
				un[i + j] = (uint32_t)t;
				carry = t >> 32;
			}
			un[j + n] = (uint32_t)(un[j + n] + carry);
		}
		q->w[j] = (uint32_t)qhat;
	}

	memset(r, 0, sizeof(*r));
	for (i = 0; i < n - 1; i++)
		r->w[i] = un[i] >> sh | (sh ? un[i + 1] << (32 - sh) : 0);
	r->w[n - 1] = un[n - 1] >> sh;
}

/* ---- shared pieces ----------------------------------------------------- */

static u128
mag(dec_int c)
{
	/* Negating in unsigned arithmetic is defined for every c. */
	return c < 0 ? -(u128)c : (u128)c;
}

static dec
mkdec(u128 m, int neg, int s)
{
	dec r;

	r.c = neg ? -(dec_int)m : (dec_int)m;
	r.s = s;
	return r;
}

int
dec_valid(dec d)
{
	return d.s >= 0 && d.s <= DEC_MAXSCALE &&
	    d.c > -(dec_int)LIM && d.c < (dec_int)LIM;
}

static int
operand(dec d)
{
	if (d.s < 0 || d.s > DEC_MAXSCALE)
		return DEC_ESCALE;
	if (!dec_valid(d))
		return DEC_ERANGE;
	return DEC_OK;
}

static int
check_args(dec a, dec b, int scale, enum dec_round mode)
{
	int e;

	if (scale < 0 || scale > DEC_MAXSCALE)
		return DEC_ESCALE;
	if ((unsigned)mode > DEC_FLOOR)
		return DEC_ESCALE;
	if ((e = operand(a)) != DEC_OK || (e = operand(b)) != DEC_OK)
		return e;
	return DEC_OK;
}

/*
 * The rounding decision.  The caller has divided |x| by d giving the
 * truncated quotient q and remainder rem; `half` is the sign of
 * rem - d/2, computed as rem <=> d - rem so that nothing is doubled and
 * nothing overflows.  Returns 1 to move q one unit away from zero.
 *
 * Every mode is expressed on the magnitude: toward zero is "keep q",
 * away from zero is "q + 1", and CEILING/FLOOR pick one of the two by
 * the sign of the exact result (CEILING of -2.5 is -2: keep; FLOOR of
 * -2.5 is -3: bump).  A zero remainder never rounds, whatever the mode.
 */
static int
round_bump(enum dec_round mode, int neg, int qodd, int exact, int half)
{
	if (exact)
		return 0;
	switch (mode) {
	case DEC_HALF_UP:
		/* Ties go away from zero: -2.5 -> -3, like Python. */
		return half >= 0;
	case DEC_HALF_EVEN:
		/* Ties go to the even neighbour: 2.5 -> 2, 3.5 -> 4. */
		return half > 0 || (half == 0 && qodd);
	case DEC_UP:
		return 1;
	case DEC_DOWN:
		return 0;
	case DEC_CEILING:
		return !neg;
	case DEC_FLOOR:
		return neg;
	}
	return 0;
}

/*
 * r = round(n / d) at scale s, negative if neg.  n / d is the exact
 * result already expressed in units of 10^-s, so this is the one and
 * only rounding step: there is no intermediate rounding anywhere.
 */
static int
div_round(u256 n, u256 d, int neg, enum dec_round mode, int s, dec *r)
{
	u256 q, rem, other;
	u128 nn, dd, qq, rr;
	int half, exact;

	if (u256_is128(&n) && u256_is128(&d)) {
		/* Common case: native 128-bit division. */
		nn = u256_to128(&n);
		dd = u256_to128(&d);
		qq = nn / dd;
		rr = nn % dd;
		exact = rr == 0;
		half = rr < dd - rr ? -1 : rr > dd - rr;
	} else {
		u256_divmod(n, d, &q, &rem);
		if (!u256_is128(&q))
			return DEC_ERANGE;
		qq = u256_to128(&q);
		exact = u256_nlimbs(&rem) == 0;
		other = u256_sub(&d, &rem);
		half = u256_cmp(&rem, &other);
	}
	/* Check before the bump too, so qq + 1 cannot wrap. */
	if (qq >= LIM)
		return DEC_ERANGE;
	qq += round_bump(mode, neg, (int)(qq & 1), exact, half);
	if (qq >= LIM)
		return DEC_ERANGE;
	*r = mkdec(qq, neg, s);
	return DEC_OK;
}

/*
 * Store the exact value m * 10^-s (0 <= s <= 76) for an exact
 * operation.  Keep the natural scale when it fits; otherwise drop
 * trailing fractional zeros, which changes nothing about the value,
 * until it does.  If it still does not fit, tell a hopeless magnitude
 * (ERANGE: the integer part alone needs 39+ digits) from a value that
 * merely has too many digits to be exact (EINEXACT: rounding would do).
 * These are the same rules dec_parse applies to text.
 */
static int
fit(u256 m, int neg, int s, dec *r)
{
	u256 t, lim;

	while (s > 0 && (s > DEC_MAXSCALE || !u256_fits(&m))) {
		t = m;
		if (u256_div32(&t, 10) != 0)
			break;
		m = t;
		s--;
	}
	if (s <= DEC_MAXSCALE && u256_fits(&m)) {
		*r = mkdec(u256_to128(&m), neg, s);
		return DEC_OK;
	}
	/* m / 10^s >= 10^38?  Beyond 10^77 the bound exceeds any u256. */
	if (DEC_MAXDIGITS + s <= 77) {
		lim = u256_pow10(DEC_MAXDIGITS + s);
		if (u256_cmp(&m, &lim) >= 0)
			return DEC_ERANGE;
	}
	return DEC_EINEXACT;
}

/* ---- public API ---------------------------------------------------------- */

const char *
dec_strerror(int err)
{
	switch (err) {
	case DEC_OK:
		return "no error";
	case DEC_ESYNTAX:
		return "not a valid number";
	case DEC_ERANGE:
		return "out of range: more than 38 digits before rounding";
	case DEC_EINEXACT:
		return "not representable exactly in 38 digits";
	case DEC_EDIVZERO:
		return "division by zero";
	case DEC_ESCALE:
		return "scale outside 0 to 38 or bad rounding mode";
	}
	return "unknown decimal error";
}

const char *
dec_errname(int err)
{
	switch (err) {
	case DEC_OK:
		return "OK";
	case DEC_ESYNTAX:
		return "ESYNTAX";
	case DEC_ERANGE:
		return "ERANGE";
	case DEC_EINEXACT:
		return "EINEXACT";
	case DEC_EDIVZERO:
		return "EDIVZERO";
	case DEC_ESCALE:
		return "ESCALE";
	}
	return "EUNKNOWN";
}

/* Saturation point for exponents: far past anything that can fit. */
#define EXP_SAT	100000000000000LL

int
dec_parse(const char *str, size_t n, dec *out)
{
	const char *p, *end, *ip, *ie, *fp;
	int64_t ni, nf, nd, exp, first, last, k, e, s, i;
	u128 m;
	int neg = 0, eneg = 0;
	char ch;

	if (str == NULL || n == 0)
		return DEC_ESYNTAX;
	p = str;
	end = str + n;

	/*
	 * A plain integer of at most 18 digits, what usage data mostly
	 * holds: its value at scale 0, as the general path below gives it.
	 */
	if (n <= 18 && (*p >= '1' || n == 1) && *p <= '9' && *p >= '0') {
		int64_t v = 0;

		for (; p < end && u_isdigit(*p); p++)
			v = v * 10 + (*p - '0');
		if (p == end) {
			out->c = v;
			out->s = 0;
			return DEC_OK;
		}
		p = str;
	}

	/* -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)? */
	if (*p == '-') {
		neg = 1;
		p++;
	}
	ip = p;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && u_isdigit(*p))
			p++;
	else
		return DEC_ESYNTAX;
	ie = p;
	fp = p;
	nf = 0;
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && u_isdigit(*p))
			p++;
		if (p == fp)
			return DEC_ESYNTAX;
		nf = p - fp;
	}
	exp = 0;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p >= end || !u_isdigit(*p))
			return DEC_ESYNTAX;
		/*
		 * Saturate rather than overflow: an exponent this big is
		 * out of range (or zero, or inexact) whatever the digits,
		 * since no string in memory has 10^14 digits to offset it.
		 */
		for (; p < end && u_isdigit(*p); p++)
			if (exp < EXP_SAT)
				exp = exp * 10 + (*p - '0');
		if (eneg)
			exp = -exp;
	}
	if (p != end)
		return DEC_ESYNTAX;

	/*
	 * The mantissa digits D are [ip, ie) then [fp, fp + nf), and the
	 * value is D * 10^(exp - nf).  Find the significant stretch.
	 */
	ni = ie - ip;
	nd = ni + nf;
#define DIGIT(x)	((x) < ni ? ip[(x)] : fp[(x) - ni])
	for (first = 0; first < nd && DIGIT(first) == '0'; first++)
		;
	if (first == nd) {
		/* Zero: keep the written scale, clamped into 0..38. */
		s = nf - exp;
		if (s < 0)
			s = 0;
		if (s > DEC_MAXSCALE)
			s = DEC_MAXSCALE;
		out->c = 0;
		out->s = (int)s;
		return DEC_OK;
	}
	for (last = nd - 1; DIGIT(last) == '0'; last--)
		;

	/*
	 * value = S * 10^e, with S the k digits first..last (no leading
	 * or trailing zeros) and e the power of its last digit.
	 */
	k = last - first + 1;
	e = (nd - 1 - last) + exp - nf;
	if (k + e > DEC_MAXDIGITS)
		return DEC_ERANGE;	/* 39+ integer digits */
	if (-e > DEC_MAXSCALE || k > DEC_MAXDIGITS)
		return DEC_EINEXACT;	/* needs scale > 38 or 39+ digits */

	/*
	 * Keep the written scale (fraction digits minus exponent) unless
	 * the coefficient would then exceed 38 digits or the scale 38;
	 * lowering it only drops trailing zeros, since s >= -e.
	 */
	s = nf - exp;
	if (s < 0)
		s = 0;
	if (s > DEC_MAXSCALE)
		s = DEC_MAXSCALE;
	if (s > DEC_MAXDIGITS - k - e)
		s = DEC_MAXDIGITS - k - e;

	m = 0;
	for (i = first; i <= last; i++) {
		ch = DIGIT(i);
		m = m * 10 + (unsigned)(ch - '0');
	}
#undef DIGIT
	m *= pow10tab[e + s];
	*out = mkdec(m, neg, (int)s);
	return DEC_OK;
}

int
dec_fmt(dec d, char *buf, size_t bufsz)
{
	char dig[DEC_MAXDIGITS + 1];	/* digits, least significant first */
	uint64_t hi, lo;
	u128 m;
	int nd, len, i, pos;

	if (!dec_valid(d) || buf == NULL)
		return -1;

	/*
	 * Split at 10^19 so the digit loop runs on 64-bit words instead
	 * of dividing a 128-bit value 38 times.
	 */
	m = mag(d.c);
	if (m < P19) {		/* nearly all: no 128-bit division */
		hi = 0;
		lo = (uint64_t)m;
	} else {
		hi = (uint64_t)(m / P19);
		lo = (uint64_t)(m % P19);
	}
	nd = 0;
	if (hi != 0) {
		for (i = 0; i < 19; i++) {
			dig[nd++] = (char)('0' + lo % 10);
			lo /= 10;
		}
		lo = hi;
	}
	do {
		dig[nd++] = (char)('0' + lo % 10);
		lo /= 10;
	} while (lo != 0);
	/* At least one digit before the point: 0.05, not .05. */
	while (nd < d.s + 1)
		dig[nd++] = '0';

	len = (d.c < 0) + nd + (d.s > 0);
	if ((size_t)len >= bufsz)
		return -1;
	pos = 0;
	if (d.c < 0)
		buf[pos++] = '-';
	for (i = nd - 1; i >= 0; i--) {
		buf[pos++] = dig[i];
		if (i == d.s && d.s > 0)
			buf[pos++] = '.';
	}
	buf[pos] = '\0';
	return len;
}

dec
dec_normalize(dec d)
{
	if (!dec_valid(d))
		return d;
	if (d.c == 0)
		return DEC_ZERO;
	while (d.s > 0 && d.c % 10 == 0) {
		d.c /= 10;
		d.s--;
	}
	return d;
}

dec
dec_neg(dec a)
{
	/* Via unsigned so that even a broken INT128_MIN cannot trap. */
	a.c = (dec_int)(0 - (u128)a.c);
	return a;
}

dec
dec_from_i64(int64_t v)
{
	dec r;

	r.c = v;
	r.s = 0;
	return r;
}

int
dec_sign(dec a)
{
	return (a.c > 0) - (a.c < 0);
}

int
dec_cmp(dec a, dec b)
{
	u128 ma, mb;
	int sa, sb, as, bs, r;

	sa = dec_sign(a);
	sb = dec_sign(b);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	as = a.s < 0 ? 0 : a.s > DEC_MAXSCALE ? DEC_MAXSCALE : a.s;
	bs = b.s < 0 ? 0 : b.s > DEC_MAXSCALE ? DEC_MAXSCALE : b.s;
	ma = mag(a.c);
	mb = mag(b.c);
	/*
	 * Bring both to the larger scale.  If that overflows 128 bits the
	 * scaled side is above 2^128 > the other, so it is the larger.
	 */
	r = 0;
	if (as < bs && __builtin_mul_overflow(ma, pow10tab[bs - as], &ma))
		r = 1;
	else if (bs < as && __builtin_mul_overflow(mb, pow10tab[as - bs], &mb))
		r = -1;
	else
		r = ma < mb ? -1 : ma > mb;
	return sa > 0 ? r : -r;
}

int
dec_add(dec a, dec b, dec *r)
{
	dec_int x, y, z;
	u256 ma, mb, m;
	int s, e, na, nb, neg;

	if ((e = operand(a)) != DEC_OK || (e = operand(b)) != DEC_OK)
		return e;
	s = a.s > b.s ? a.s : b.s;

	/* Fast path: aligned and summed in 128 bits without overflow. */
	if (!__builtin_mul_overflow(a.c, (dec_int)pow10tab[s - a.s], &x) &&
	    !__builtin_mul_overflow(b.c, (dec_int)pow10tab[s - b.s], &y) &&
	    !__builtin_add_overflow(x, y, &z) &&
	    z > -(dec_int)LIM && z < (dec_int)LIM) {
		r->c = z;
		r->s = s;
		return DEC_OK;
	}

	/*
	 * Slow path: an aligned operand can reach 10^76 while the sum
	 * still fits (17 + -9.99...9 at scale 37), so add magnitudes in
	 * 256 bits.  Neither product can overflow: 10^38 * 10^38 < 2^256.
	 */
	ma = u256_from128(mag(a.c));
	mb = u256_from128(mag(b.c));
	(void)u256_mulpow10(&ma, s - a.s);
	(void)u256_mulpow10(&mb, s - b.s);
	na = a.c < 0;
	nb = b.c < 0;
	if (na == nb) {
		m = u256_add(&ma, &mb);
		neg = na;
	} else if (u256_cmp(&ma, &mb) >= 0) {
		m = u256_sub(&ma, &mb);
		neg = na;
	} else {
		m = u256_sub(&mb, &ma);
		neg = nb;
	}
	return fit(m, neg, s, r);
}

int
dec_sub(dec a, dec b, dec *r)
{
	int e;

	if ((e = operand(b)) != DEC_OK)
		return e;
	return dec_add(a, dec_neg(b), r);
}

int
dec_mul(dec a, dec b, dec *r)
{
	dec_int z;
	int e, s;

	if ((e = operand(a)) != DEC_OK || (e = operand(b)) != DEC_OK)
		return e;
	s = a.s + b.s;
	if (s <= DEC_MAXSCALE && !__builtin_mul_overflow(a.c, b.c, &z) &&
	    z > -(dec_int)LIM && z < (dec_int)LIM) {
		r->c = z;
		r->s = s;
		return DEC_OK;
	}
	return fit(u256_mul128(mag(a.c), mag(b.c)), (a.c < 0) != (b.c < 0),
	    s, r);
}

int
dec_mul_round(dec a, dec b, int scale, enum dec_round mode, dec *r)
{
	u256 m;
	u128 c;
	int e, s, neg;

	if ((e = check_args(a, b, scale, mode)) != DEC_OK)
		return e;
	neg = (a.c < 0) != (b.c < 0);
	m = u256_mul128(mag(a.c), mag(b.c));
	s = a.s + b.s;
	if (scale >= s) {
		/* Widening is exact; only the size can fail. */
		if (!u256_fits(&m))
			return DEC_ERANGE;
		c = u256_to128(&m);
		if (__builtin_mul_overflow(c, pow10tab[scale - s], &c) ||
		    c >= LIM)
			return DEC_ERANGE;
		*r = mkdec(c, neg, scale);
		return DEC_OK;
	}
	/* Drop s - scale (at most 76) digits, rounding once. */
	return div_round(m, u256_pow10(s - scale), neg, mode, scale, r);
}

int
dec_div(dec a, dec b, int scale, enum dec_round mode, dec *r)
{
	u256 n, d;
	int e, x;

	if ((e = check_args(a, b, scale, mode)) != DEC_OK)
		return e;
	if (b.c == 0)
		return DEC_EDIVZERO;

	/*
	 * a/b in units of 10^-scale is (ca * 10^x) / cb with
	 * x = scale + sb - sa, in -38..76.  A negative x scales the
	 * divisor instead (at most 10^38 * 10^38, fits).  If ca * 10^x
	 * needs more than 256 bits the quotient is over 2^256 / 10^38 >
	 * 10^38 anyway, so ERANGE is the true answer, not a limitation.
	 */
	n = u256_from128(mag(a.c));
	d = u256_from128(mag(b.c));
	x = scale + b.s - a.s;
	if (x >= 0) {
		if (u256_mulpow10(&n, x) != 0)
			return DEC_ERANGE;
	} else
		(void)u256_mulpow10(&d, -x);
	return div_round(n, d, (a.c < 0) != (b.c < 0), mode, scale, r);
}

int
dec_round(dec a, int scale, enum dec_round mode, dec *r)
{
	u128 c;
	int e;

	if ((e = check_args(a, DEC_ZERO, scale, mode)) != DEC_OK)
		return e;
	if (scale >= a.s) {
		c = mag(a.c);
		if (__builtin_mul_overflow(c, pow10tab[scale - a.s], &c) ||
		    c >= LIM)
			return DEC_ERANGE;
		*r = mkdec(c, a.c < 0, scale);
		return DEC_OK;
	}
	return div_round(u256_from128(mag(a.c)),
	    u256_from128(pow10tab[a.s - scale]), a.c < 0, mode, scale, r);
}

int
dec_to_minor(dec a, int minor_units, int64_t *out)
{
	dec_int q, d;
	int e;

	if (minor_units < 0 || minor_units > DEC_MAXSCALE)
		return DEC_ESCALE;
	if ((e = operand(a)) != DEC_OK)
		return e;
	if (a.s > minor_units) {
		/* Only zeros may sit past the minor unit: 1.500 USD is fine. */
		d = (dec_int)pow10tab[a.s - minor_units];
		if (a.c % d != 0)
			return DEC_EINEXACT;
		q = a.c / d;
	} else if (__builtin_mul_overflow(a.c,
	    (dec_int)pow10tab[minor_units - a.s], &q))
		return DEC_ERANGE;
	if (q < INT64_MIN || q > INT64_MAX)
		return DEC_ERANGE;
	*out = (int64_t)q;
	return DEC_OK;
}

/*
 * Apportioning (invoice-gen's inclusive tax and bill-level lines): each
 * share is floor(total x w / sum of w) in minor units, and the units
 * left over go one each to the largest remainders (then to the first),
 * so the shares add up to total exactly whatever the signs.  The
 * remainders are kept in the caller's rems, so that nothing here
 * allocates.
 */
int
dec_split(dec total, const dec *w, size_t n, int minor, dec *out, dec *rems)
{
	dec unit = { 1, minor }, sum = DEC_ZERO, wsum = DEC_ZERO, x, rem;
	int64_t left;
	size_t j, best;
	int e = 0;

	for (j = 0; j < n && e == 0; j++)
		e = dec_add(wsum, w[j], &wsum);
	if (e != 0)
		return e;
	for (j = 0; j < n; j++)
		rems[j] = DEC_ZERO;
	for (j = 0; j < n && e == 0; j++) {
		out[j] = (dec){ 0, minor };
		if (dec_sign(wsum) == 0)
			continue;
		if ((e = dec_mul(total, w[j], &x)) != 0 ||
		    (e = dec_div(x, wsum, 18, DEC_FLOOR, &x)) != 0 ||
		    (e = dec_round(x, minor, DEC_FLOOR, &out[j])) != 0 ||
		    (e = dec_sub(x, out[j], &rems[j])) != 0)
			break;
		e = dec_add(sum, out[j], &sum);
	}
	if (e == 0 && dec_sign(wsum) == 0 && n > 0)
		out[0] = total;		/* no weight: all on the first */
	else if (e == 0 && (e = dec_sub(total, sum, &rem)) == 0 &&
	    (e = dec_to_minor(rem, minor, &left)) == 0)
		for (; left > 0 && n > 0 && e == 0; left--) {
			for (best = 0, j = 1; j < n; j++)
				if (dec_cmp(rems[j], rems[best]) > 0)
					best = j;
			e = dec_add(out[best], unit, &out[best]);
			rems[best] = dec_from_i64(-1);
		}
	return e;
}

static const char *const round_names[] = {
	[DEC_HALF_UP] = "half-up",
	[DEC_HALF_EVEN] = "half-even",
	[DEC_UP] = "up",
	[DEC_DOWN] = "down",
	[DEC_CEILING] = "ceiling",
	[DEC_FLOOR] = "floor",
};

int
dec_parse_round(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(round_names) / sizeof(round_names[0]); i++)
		if (strcmp(s, round_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
dec_round_name(enum dec_round mode)
{
	if ((unsigned)mode > DEC_FLOOR)
		return "unknown";
	return round_names[mode];
}

struct dec_str
dec_str(dec d)
{
	struct dec_str r;

	if (dec_fmt(d, r.s, sizeof(r.s)) < 0)
		r.s[0] = '\0';
	return r;
}

dec
dec_abs(dec d)
{
	return dec_sign(d) < 0 ? dec_neg(d) : d;
}
