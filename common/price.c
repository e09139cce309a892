/*
 * price.c: the charge models' arithmetic (price.h).
 */
#include <stdint.h>
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
	case PRICE_ETX:
		return "a per-transaction percentage needs one transaction "
		    "an aggregate";
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

/*
 * Lago's total model (price.h): the running total first, then the free
 * amount and count it gives, then the fee.
 */
static int
pct_total(const struct price_pct *p, const struct price_tx *tx, size_t n,
    struct price_pct_out *o)
{
	dec sum = DEC_ZERO, last, fv, paid, f;
	int64_t taken = 0, below = 0, fc = 0;
	int has_free = p->free_events > 0 || dec_sign(p->free_total) > 0;
	size_t i;
	int e;

	for (i = 0; has_free && i < n; i++) {
		if (tx[i].events == 0)
			continue;
		if (p->free_events > 0 ? taken == p->free_events :
		    dec_cmp(p->free_total, sum) < 0)
			break;
		if ((e = dec_add(sum, tx[i].amount, &sum)) != DEC_OK)
			return e;
		taken++;
		below += dec_cmp(sum, p->free_total) < 0;
	}
	last = sum;
	if (dec_sign(last) == 0)
		fv = DEC_ZERO;
	else if (dec_sign(p->free_total) == 0 ||
	    dec_cmp(last, p->free_total) <= 0)
		fv = last;
	else
		fv = p->free_total;
	/* the smaller of the two counts that are not 0 */
	if (p->free_events > 0 && below > 0)
		fc = below < p->free_events ? below : p->free_events;
	else
		fc = p->free_events > 0 ? p->free_events : below;
	o->free_tx = fc < o->transactions ? fc : o->transactions;
	o->free_amount = dec_cmp(fv, o->base) > 0 ? o->base : fv;
	if ((e = dec_sub(o->base, o->free_amount, &paid)) != DEC_OK ||
	    (e = percent_of(paid, p->rate, &o->amount)) != 0)
		return e;
	if (dec_sign(o->base) == 0 || fc >= o->transactions)
		return 0;
	if ((e = dec_mul(p->fixed, dec_from_i64(o->transactions - fc),
	    &f)) != DEC_OK)
		return e;
	return dec_add(o->amount, f, &o->amount);
}

/* Lago's per-transaction walk (price.h), with min or max. */
static int
pct_each(const struct price_pct *p, const struct price_tx *tx, size_t n,
    struct price_pct_out *o)
{
	int64_t fe = p->free_events;
	dec fa = p->free_total, v, fee, raw;
	size_t i;
	int e;

	for (i = 0; i < n; i++) {
		v = tx[i].amount;
		if (tx[i].events == 0) {
			/* a level, no transaction: at the rate alone */
			if ((e = percent_of(v, p->rate, &fee)) != 0 ||
			    (e = dec_add(o->amount, fee, &o->amount)) != DEC_OK)
				return e;
			continue;
		}
		if (fe > 0 || dec_sign(fa) > 0) {
			fe--;
			if (dec_sign(fa) <= 0 || dec_cmp(fa, v) > 0) {
				/* free: the free amount pays for all of it */
				if (dec_sign(fa) > 0 &&
				    (e = dec_sub(fa, v, &fa)) != DEC_OK)
					return e;
				o->free_tx++;
				if ((e = dec_add(o->free_amount, v,
				    &o->free_amount)) != DEC_OK)
					return e;
				continue;
			}
			/* reaches the free amount: pays on what is above */
			if ((e = dec_add(o->free_amount, fa,
			    &o->free_amount)) != DEC_OK ||
			    (e = dec_sub(v, fa, &v)) != DEC_OK)
				return e;
			fa = DEC_ZERO;
			fe = 0;
		}
		if ((e = price_percentage(v, p->rate, p->fixed, p->min, p->max,
		    &fee)) != 0 ||
		    (e = price_percentage(v, p->rate, p->fixed, NULL, NULL,
		    &raw)) != 0 ||
		    (e = dec_add(o->amount, fee, &o->amount)) != DEC_OK)
			return e;
		o->clamped += dec_cmp(fee, raw) != 0;
	}
	return 0;
}

int
price_pct_line(const struct price_pct *p, const struct price_tx *tx, size_t n,
    struct price_pct_out *o)
{
	int each = p->min != NULL || p->max != NULL;
	int gift = p->free_events > 0 || dec_sign(p->free_total) > 0;
	size_t i;
	int e;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n; i++) {
		if (tx[i].events < 0 || (tx[i].events > 1 && (each || gift)))
			return PRICE_ETX;
		if ((e = dec_add(o->base, tx[i].amount, &o->base)) != DEC_OK)
			return e;
		if (o->transactions > INT64_MAX - tx[i].events)
			return DEC_ERANGE;
		o->transactions += tx[i].events;
	}
	return each ? pct_each(p, tx, n, o) : pct_total(p, tx, n, o);
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
