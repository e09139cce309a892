/*
 * prorate.c: prorated charges (prorate.h): a period's steps as
 * meter-aggregate records them, and Lago's prorated pricing of them.
 *
 * Every prorated value is kept multiplied by D, the period's days: a
 * step's share is then units x days, exact, and the one division by D
 * comes last, where the caller rounds the line's amount once.  Lago
 * divides first (numeric in SQL, then fdiv in Ruby); its specs' amounts
 * are rounded to cents and agree.
 */
#include <stdlib.h>
#include <string.h>

#include "jw.h"
#include "prorate.h"

void
prorate_open(struct prorate *p, int64_t day0, int64_t ndays, dec carried)
{
	p->day0 = day0;
	p->ndays = ndays > 0 ? ndays : 1;
	p->n = 0;
	if (dec_sign(carried) != 0)
		(void)prorate_change(p, day0, carried);
}

int
prorate_change(struct prorate *p, int64_t day, dec delta)
{
	struct prorate_step *s;
	int64_t left;
	int e;

	if (dec_sign(delta) == 0)
		return 0;
	/*
	 * The change counts from `day` to the period's last day; one from
	 * the day after it (a value removed on the last day) counts none.
	 */
	left = p->day0 + p->ndays - day;
	if (left > p->ndays)
		left = p->ndays;
	if (left < 0)
		left = 0;
	/* changes of one day net out: a step a day at most */
	if (p->n > 0 && p->v[p->n - 1].days == left) {
		s = &p->v[p->n - 1];
		if ((e = dec_add(s->units, delta, &s->units)) != DEC_OK)
			return e;
		if (dec_sign(s->units) == 0)
			p->n--;
		return 0;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 4;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	p->v[p->n].units = delta;
	p->v[p->n].days = left;
	p->n++;
	return 0;
}

struct prorate *
prorate_dup(const struct prorate *p)
{
	struct prorate *q = xmalloc(sizeof(*q));

	*q = *p;
	q->cap = p->n;
	q->v = NULL;
	if (p->n > 0) {
		q->v = xreallocarray(NULL, p->n, sizeof(*q->v));
		memcpy(q->v, p->v, p->n * sizeof(*q->v));
	}
	return q;
}

void
prorate_free(struct prorate *p)
{
	if (p == NULL)
		return;
	free(p->v);
	free(p);
}

/* units x days, added to *sum */
static int
addshare(dec *sum, dec units, int64_t days)
{
	dec x;
	int e;

	if ((e = dec_mul(units, dec_from_i64(days), &x)) != DEC_OK)
		return e;
	return dec_add(*sum, x, sum);
}

int
prorate_quantity(const struct prorate *p, dec *prorated, dec *full)
{
	dec num = DEC_ZERO, f = DEC_ZERO;
	size_t i;
	int e;

	for (i = 0; i < p->n; i++)
		if ((e = addshare(&num, p->v[i].units, p->v[i].days)) !=
		    DEC_OK || (e = dec_add(f, p->v[i].units, &f)) != DEC_OK)
			return e;
	if ((e = dec_div(num, dec_from_i64(p->ndays), PRORATE_SCALE,
	    DEC_CEILING, prorated)) != DEC_OK)
		return e;
	*prorated = dec_normalize(*prorated);
	*full = dec_normalize(f);
	return 0;
}

int
prorate_write(struct buf *b, const struct prorate *p)
{
	dec q, f;
	size_t i;
	int e;

	if ((e = prorate_quantity(p, &q, &f)) != 0)
		return e;
	JW_LIT(b, ",\"prorated_quantity\":");
	jw_put_dec(b, q);
	buf_printf(b, ",\"period_days\":%lld,\"prorated_steps\":[",
	    (long long)p->ndays);
	for (i = 0; i < p->n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_addc(b, '[');
		jw_put_dec(b, dec_normalize(p->v[i].units));
		buf_printf(b, ",%lld]", (long long)p->v[i].days);
	}
	buf_addc(b, ']');
	return 0;
}

int
prorate_unit(const struct prorate *p, dec unit_amount, dec *num,
    int64_t *den)
{
	dec q, f;
	int e;

	*den = 1;
	if ((e = prorate_quantity(p, &q, &f)) != 0)
		return e;
	return dec_mul(q, unit_amount, num);
}

int
prorate_volume(const struct tier *t, size_t n, const struct prorate *p,
    dec *num, int64_t *den)
{
	struct price_step st[1];
	dec q, f, x, full_price;
	size_t ns;
	int e;

	*den = 1;
	if ((e = prorate_quantity(p, &q, &f)) != 0)
		return e;
	/* the tier is the one the level at the end falls in */
	if ((e = price_volume(t, n, f, st, &ns, &full_price)) != 0)
		return e;
	if ((e = dec_mul(q, t[st[0].tier].unit_amount, &x)) != DEC_OK)
		return e;
	return dec_add(x, t[st[0].tier].flat_amount, num);
}

int
prorate_check_tiers(const struct tier *t, size_t n, const char **why)
{
	size_t i;

	if (price_check_tiers(t, n, why) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (dec_sign(t[i].block_size) > 0) {
			*why = "a prorated charge's tiers take no block_size";
			return -1;
		}
		if (!t[i].open && dec_normalize(t[i].up_to).s != 0) {
			*why = "a prorated graduated charge's tiers need "
			    "whole up_to bounds (Lago's: the next tier "
			    "starts one unit after)";
			return -1;
		}
	}
	return 0;
}

/* ---- graduated: Lago's ProratedGraduatedService, step by step ---- */

/* Lago's from_value of tier i: 0, then the tier before's up_to + 1. */
static dec
from_of(const struct tier *t, size_t i)
{
	dec f = DEC_ZERO;

	if (i > 0)
		(void)dec_add(t[i - 1].up_to, dec_from_i64(1), &f);
	return f;
}

/*
 * The tier the walk is in (Lago's range()): by the full units so far,
 * less the overflow being spread; usage resting on a tier's top moves
 * to the next tier when an addition follows.
 */
static size_t
tier_at(const struct tier *t, size_t n, dec full, dec over,
    const dec *next)
{
	dec u, one = dec_from_i64(1);
	size_t i;

	if (dec_sign(full) <= 0)
		return 0;
	u = full;
	if (dec_sign(over) > 0) {
		(void)dec_sub(full, over, &u);
		(void)dec_add(u, one, &u);
	} else if (dec_sign(over) < 0)
		(void)dec_add(full, over, &u);
	for (i = 0; i < n; i++) {
		if (!t[i].open && dec_cmp(u, t[i].up_to) == 0)
			return next != NULL && dec_sign(*next) > 0 &&
			    i + 1 < n ? i + 1 : i;
		if (dec_cmp(u, from_of(t, i)) >= 0 &&
		    (t[i].open || dec_cmp(u, t[i].up_to) < 0))
			return i;
	}
	return 0;
}

/* Lago's skip_overflow_calculation?: full still inside tier i. */
static int
inside(const struct tier *t, size_t i, dec full)
{
	dec f = from_of(t, i), fm1;

	if (t[i].open) {
		(void)dec_sub(f, dec_from_i64(1), &fm1);
		return dec_cmp(full, fm1) >= 0;
	}
	return dec_cmp(full, t[i].up_to) < 0 && dec_cmp(full, f) >= 0;
}

/* Lago's calculate_overflow: the units past tier i's top or bottom. */
static int
overflow(const struct tier *t, size_t i, dec full, dec *over)
{
	dec x;
	int e;

	if (!t[i].open && dec_cmp(full, t[i].up_to) >= 0)
		return dec_sub(full, t[i].up_to, over);
	if ((e = dec_sub(full, from_of(t, i), &x)) != DEC_OK)
		return e;
	return dec_add(x, dec_from_i64(1), over);
}

/* sum += (scaled units) x the tier's price; the tier's share is done */
static int
settle_tier(const struct tier *t, size_t i, dec *share, dec *sum)
{
	dec x;
	int e;

	if ((e = dec_mul(*share, t[i].unit_amount, &x)) != DEC_OK ||
	    (e = dec_add(*sum, x, sum)) != DEC_OK)
		return e;
	*share = DEC_ZERO;
	return 0;
}

int
prorate_graduated(const struct tier *t, size_t n, const struct prorate *p,
    dec *num, int64_t *den)
{
	dec full = DEC_ZERO, peak = DEC_ZERO, share = DEC_ZERO;
	dec sum = DEC_ZERO, over = DEC_ZERO, flat = DEC_ZERO, q, fq, x;
	const char *why;
	size_t i = 0, r = 0;
	int64_t k;
	int e;

	*den = p->ndays;
	*num = DEC_ZERO;
	if (prorate_check_tiers(t, n, &why) != 0)
		return PRICE_ETIERS;
	if ((e = prorate_quantity(p, &q, &fq)) != 0)
		return e;
	while (dec_sign(q) != 0 && (i < p->n || dec_sign(over) != 0)) {
		r = tier_at(t, n, full, over, i < p->n ? &p->v[i].units :
		    NULL);
		if (dec_sign(over) != 0) {
			/* the units the last step put past the tier before */
			k = p->v[i - 1].days;
			if ((e = addshare(&share, over, k)) != DEC_OK)
				return e;
			if (!t[r].open && dec_cmp(full, t[r].up_to) >= 0) {
				/* and past this one too */
				if ((e = dec_sub(full, t[r].up_to, &over)) !=
				    DEC_OK ||
				    (e = addshare(&share, dec_neg(over), k)) !=
				    DEC_OK ||
				    (e = settle_tier(t, r, &share, &sum)) != 0)
					return e;
				continue;
			}
			over = DEC_ZERO;
		}
		if (i >= p->n)
			break;
		k = p->v[i].days;
		/*
		 * Lago skips an addition of no prorated value, and a removal
		 * of none that would take the level below 0 (its addition was
		 * skipped); a removal counting no days (a value removed on
		 * the period's last day) otherwise lowers the level.
		 */
		if (k == 0 && (dec_sign(p->v[i].units) > 0 ||
		    (dec_sign(p->v[i].units) < 0 &&
		    dec_add(full, p->v[i].units, &x) == DEC_OK &&
		    dec_sign(x) < 0))) {
			i++;
			continue;
		}
		if ((e = dec_add(full, p->v[i].units, &full)) != DEC_OK ||
		    (e = addshare(&share, p->v[i].units, k)) != DEC_OK)
			return e;
		if (dec_cmp(full, peak) > 0)
			peak = full;
		i++;
		if (inside(t, r, full))
			continue;
		/* the step crossed the tier's top (or bottom): split it */
		if ((e = overflow(t, r, full, &over)) != DEC_OK ||
		    (e = addshare(&share, dec_neg(over), k)) != DEC_OK ||
		    (e = settle_tier(t, r, &share, &sum)) != 0)
			return e;
	}
	if ((e = settle_tier(t, r, &share, &sum)) != 0)
		return e;
	/* Lago's result_with_flat_amount */
	if (dec_sign(full) < 0)
		return 0;
	if (dec_sign(sum) < 0)
		sum = DEC_ZERO;
	for (i = 0; i < n; i++) {
		if ((e = dec_add(flat, t[i].flat_amount, &flat)) != DEC_OK)
			return e;
		if (t[i].open || dec_cmp(peak, t[i].up_to) <= 0)
			break;
	}
	if ((e = dec_mul(flat, dec_from_i64(p->ndays), &x)) != DEC_OK)
		return e;
	return dec_add(sum, x, num);
}
