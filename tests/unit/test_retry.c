/*
 * test_retry.c: TAP tests of retry.c: the backoff's delays stay within
 * their bounds (d/2 to d, d doubling from the base up to the cap) for
 * the smallest, the largest and random numbers; the pace of --max-rate;
 * the breaker.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include <sodium.h>

#include "retry.h"
#include "tap.h"

#define MS	((int64_t)1000000)

int
main(void)
{
	struct retry p = { .attempts = 5, .base_ns = 100 * MS,
	    .cap_ns = 1000 * MS };
	int64_t d, lo, hi, prev_hi = 0;
	int n, i, in;

	if (sodium_init() < 0)
		return 2;
	/* the table: d doubles from the base and stops at the cap */
	ok(retry_delay(&p, 1, 0) == 50 * MS, "retry 1, r = 0: base / 2");
	ok(retry_delay(&p, 1, UINT32_MAX) == 100 * MS,
	    "retry 1, r = max: the base");
	ok(retry_delay(&p, 2, 0) == 100 * MS, "retry 2, r = 0: 100ms");
	ok(retry_delay(&p, 2, UINT32_MAX) == 200 * MS, "retry 2, r = max: 200ms");
	ok(retry_delay(&p, 4, UINT32_MAX) == 800 * MS, "retry 4: 800ms");
	ok(retry_delay(&p, 5, UINT32_MAX) == 1000 * MS, "retry 5: the cap");
	ok(retry_delay(&p, 5, 0) == 500 * MS, "retry 5, r = 0: cap / 2");
	ok(retry_delay(&p, 1000, UINT32_MAX) == 1000 * MS,
	    "retry 1000: the cap, no overflow");
	ok(retry_delay(&p, 1, 1U << 31) == 75 * MS, "retry 1, r = 2^31: "
	    "the middle");

	/* random numbers: every delay within [d/2, d], d growing */
	for (n = 1; n <= 8; n++) {
		hi = 100 * MS << (n - 1);
		if (hi > 1000 * MS)
			hi = 1000 * MS;
		lo = hi / 2;
		in = 1;
		for (i = 0; i < 10000; i++) {
			d = retry_delay_rand(&p, n);
			if (d < lo || d > hi) {
				in = 0;
				printf("# retry %d: %" PRId64 " not in "
				    "[%" PRId64 ", %" PRId64 "]\n", n, d, lo, hi);
				break;
			}
		}
		ok(in, "retry %d: 10000 random delays in [%" PRId64 "ms, %"
		    PRId64 "ms]", n, lo / MS, hi / MS);
		ok(hi >= prev_hi, "retry %d: the bound does not shrink", n);
		prev_hi = hi;
	}
	/* no base: no delay; no cap: a minute */
	p.base_ns = 0;
	ok(retry_delay(&p, 3, UINT32_MAX) == 0, "base 0: no delay");
	p.base_ns = 30 * 1000 * MS;
	p.cap_ns = 0;
	ok(retry_delay(&p, 9, UINT32_MAX) == RETRY_CAP_NS,
	    "no cap given: a minute at most");

	/* the pace: 4 calls a second are 250ms apart */
	p.gap_ns = retry_gap(4);
	ok(p.gap_ns == 250 * MS, "--max-rate 4: 250ms");
	ok(retry_pace(&p, 1000 * MS) == 0, "the first call waits not");
	ok(retry_pace(&p, 1100 * MS) == 150 * MS, "100ms later: 150ms more");
	ok(retry_pace(&p, 2000 * MS) == 0, "after the gap: no wait");
	ok(retry_gap(0) == 0, "no --max-rate: no gap");

	/* the breaker: opens at the third call in a row, an answer closes */
	p.max_failures = 3;
	ok(!retry_unanswered(&p) && !retry_unanswered(&p),
	    "two failures: closed");
	retry_answered(&p);
	ok(!retry_unanswered(&p) && !retry_unanswered(&p),
	    "an answer starts again");
	ok(retry_unanswered(&p), "the third in a row opens it");
	p.max_failures = 0;
	ok(!retry_unanswered(&p), "--max-failures 0: never opens");
	return tap_done();
}
