/*
 * retry.c: backoff, pace and breaker of erp-send(1)'s calls (retry.h).
 */
#include <sodium.h>

#include "retry.h"

int64_t
retry_delay(const struct retry *p, int n, uint32_t r)
{
	int64_t d = p->base_ns > 0 ? p->base_ns : 0;
	int64_t cap = p->cap_ns > 0 ? p->cap_ns : RETRY_CAP_NS;
	int64_t half;

	/* doubling stops at the cap, before it could overflow */
	while (--n > 0 && d < cap)
		d *= 2;
	if (d > cap)
		d = cap;
	half = d / 2;
	/*
	 * r / (2^32 - 1) is from 0 to 1, so the random part is from 0 to
	 * d - half.  A double holds d (under 2^37 ns) exactly.
	 */
	return half + (int64_t)((double)(d - half) *
	    ((double)r / 4294967295.0));
}

int64_t
retry_delay_rand(const struct retry *p, int n)
{
	return retry_delay(p, n, randombytes_random());
}

int64_t
retry_pace(struct retry *p, int64_t now)
{
	int64_t wait = 0;

	if (p->gap_ns > 0 && p->last_call != 0 &&
	    now < p->last_call + p->gap_ns)
		wait = p->last_call + p->gap_ns - now;
	p->last_call = now + wait;
	return wait;
}

void
retry_answered(struct retry *p)
{
	p->failures = 0;
}

int
retry_unanswered(struct retry *p)
{
	p->failures++;
	return p->max_failures > 0 && p->failures >= p->max_failures;
}

int64_t
retry_gap(double per_sec)
{
	if (per_sec <= 0)
		return 0;
	return (int64_t)(1e9 / per_sec + 0.5);
}
