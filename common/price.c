/*
 * price.c: the charge models' arithmetic (price.h).
 */
#include <string.h>

#include "price.h"

const char *
price_strerror(int e)
{
	switch (e) {
	case PRICE_ENEG:
		return "a tiered price needs a quantity of 0 or more";
	case PRICE_ETIERS:
		return "tiers must ascend and end with an open tier";
	default:
		return dec_strerror(e);
	}
}

int
price_check_tiers(const struct tier *t, size_t n, const char **why)
{
	size_t i;

	*why = NULL;
	if (n == 0)
		*why = "no tiers";
	else if (n > PRICE_MAXTIERS)
		*why = "more than 64 tiers";
	else if (!t[n - 1].open)
		*why = "the last tier must have up_to null";
	for (i = 0; *why == NULL && i < n; i++) {
		if (t[i].open && i != n - 1)
			*why = "only the last tier may have up_to null";
		else if (!t[i].open && dec_sign(t[i].up_to) <= 0)
			*why = "up_to must be above 0";
		else if (i > 0 && !t[i].open &&
		    dec_cmp(t[i].up_to, t[i - 1].up_to) <= 0)
			*why = "up_to must ascend";
		else if (dec_sign(t[i].block_size) < 0)
			*why = "block_size must be above 0";
		else if (dec_sign(t[i].unit_amount) < 0 ||
		    dec_sign(t[i].flat_amount) < 0)
			*why = "tier prices must not be negative";
	}
	return *why ? PRICE_ETIERS : 0;
}

int
price_unit(dec qty, dec unit_amount, dec *amount)
{
	return dec_mul(qty, unit_amount, amount);
}

/* blocks x unit_amount + flat_amount; a unit is a block without size */
static int
step(const struct tier *t, int i, dec units, struct price_step *s)
{
	dec a;
	int e;

	s->tier = i;
	s->units = units;
	s->blocks = units;
	if (dec_sign(t[i].block_size) > 0 && (e = dec_div(units,
	    t[i].block_size, 0, DEC_CEILING, &s->blocks)) != DEC_OK)
		return e;
	if ((e = dec_mul(s->blocks, t[i].unit_amount, &a)) != DEC_OK ||
	    (e = dec_add(a, t[i].flat_amount, &s->amount)) != DEC_OK)
		return e;
	return 0;
}

int
price_graduated(const struct tier *t, size_t n, dec qty,
    struct price_step *steps, size_t *nsteps, dec *amount)
{
	dec lo = DEC_ZERO, hi, units;
	const char *why;
	size_t i;
	int e;

	*nsteps = 0;
	*amount = DEC_ZERO;
	if (price_check_tiers(t, n, &why) != 0)
		return PRICE_ETIERS;
	if (dec_sign(qty) < 0)
		return PRICE_ENEG;
	for (i = 0; i < n; i++) {
		/* tier 0 is always reached; a later one when qty passes lo */
		if (i > 0 && dec_cmp(qty, lo) <= 0)
			break;
		hi = t[i].open || dec_cmp(qty, t[i].up_to) < 0 ? qty :
		    t[i].up_to;
		if ((e = dec_sub(hi, lo, &units)) != DEC_OK ||
		    (e = step(t, (int)i, units, &steps[*nsteps])) != 0 ||
		    (e = dec_add(*amount, steps[*nsteps].amount, amount)) !=
		    DEC_OK)
			return e;
		(*nsteps)++;
		if (!t[i].open)
			lo = t[i].up_to;
	}
	return 0;
}

int
price_volume(const struct tier *t, size_t n, dec qty,
    struct price_step *steps, size_t *nsteps, dec *amount)
{
	const char *why;
	size_t i;
	int e;

	*nsteps = 0;
	*amount = DEC_ZERO;
	if (price_check_tiers(t, n, &why) != 0)
		return PRICE_ETIERS;
	if (dec_sign(qty) < 0)
		return PRICE_ENEG;
	for (i = 0; i < n - 1; i++)
		if (dec_cmp(qty, t[i].up_to) <= 0)
			break;
	if ((e = step(t, (int)i, qty, &steps[0])) != 0)
		return e;
	*nsteps = 1;
	*amount = steps[0].amount;
	return 0;
}

int
price_package(dec qty, dec size, dec per_package, int round_up,
    dec *packages, dec *amount)
{
	int e;

	if (dec_sign(qty) < 0)
		return PRICE_ENEG;
	if ((e = dec_div(qty, size, 0, round_up ? DEC_CEILING : DEC_FLOOR,
	    packages)) != DEC_OK)
		return e;
	return dec_mul(*packages, per_package, amount);
}

/* v / 100, exactly: two more fraction digits */
static int
percent_of(dec a, dec pct, dec *out)
{
	int e;

	if ((e = dec_mul(a, pct, out)) != DEC_OK)
		return e;
	*out = dec_normalize(*out);
	if (out->s + 2 > DEC_MAXSCALE)
		return DEC_EINEXACT;
	out->s += 2;
	return 0;
}

int
price_percentage(dec amount, dec rate, dec fixed, const dec *min,
    const dec *max, dec *fee)
{
	int e;

	if ((e = percent_of(amount, rate, fee)) != 0 ||
	    (e = dec_add(*fee, fixed, fee)) != DEC_OK)
		return e;
	if (min != NULL && dec_cmp(*fee, *min) < 0)
		*fee = *min;
	if (max != NULL && dec_cmp(*fee, *max) > 0)
		*fee = *max;
	return 0;
}

/* max(a - b, 0): what a commitment or free units leave over */
static int
sub_floor0(dec a, dec b, dec *out)
{
	int e;

	if ((e = dec_sub(a, b, out)) != DEC_OK)
		return e;
	if (dec_sign(*out) < 0)
		*out = DEC_ZERO;
	return 0;
}

int
price_trueup(dec amount, dec minimum, dec *trueup)
{
	return sub_floor0(minimum, amount, trueup);
}

int
price_discount(dec amount, int percent, dec value, const dec *cap,
    dec *discount)
{
	int e;

	*discount = DEC_ZERO;
	if (dec_sign(amount) <= 0)
		return 0;
	if (percent) {
		if ((e = percent_of(amount, value, discount)) != 0)
			return e;
	} else
		*discount = value;
	if (dec_cmp(*discount, amount) > 0)
		*discount = amount;
	if (cap != NULL && dec_cmp(*discount, *cap) > 0)
		*discount = *cap;
	if (dec_sign(*discount) < 0)
		*discount = DEC_ZERO;
	return 0;
}

int
price_free(dec qty, dec free_units, dec *billable)
{
	return sub_floor0(qty, free_units, billable);
}

int
price_round(dec amount, int minor_units, enum dec_round mode, dec *out)
{
	return dec_round(amount, minor_units, mode, out);
}
