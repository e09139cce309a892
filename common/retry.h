/*
 * retry.h: when erp-send(1) calls the ERP again (and the ledger's
 * PostgreSQL engine runs an aborted transaction again): the delay before each
 * retry of a call that got no answer (exponential backoff with jitter),
 * the pace --max-rate sets between calls, and the circuit breaker that
 * stops a run after too many calls in a row without an answer.  No I/O
 * and no clock: the caller passes the time and the random numbers, so
 * the policy is a table a unit test checks (tests/unit/test_retry.c).
 *
 * The delay before retry n (1, 2, ...) is "equal jitter": with
 * d = min(cap, base * 2^(n-1)), a value from d/2 to d, spread by the
 * random number.  Half of it is certain (the ERP gets time to come back,
 * growing), the other half random (senders that failed together do not
 * come back together).
 */
#ifndef RETRY_H
#define RETRY_H

#include <stdint.h>

struct retry {
	int		 attempts;	/* calls an entry gets, 1: no retry */
	int64_t		 base_ns;	/* the first retry's delay, at most */
	int64_t		 cap_ns;	/* no delay is longer */
	int64_t		 gap_ns;	/* --max-rate: from call to call, 0 */
	int		 max_failures;	/* the breaker: calls in a row, 0: off */

	int		 failures;	/* calls in a row without an answer */
	int64_t		 last_call;	/* when the last call started, ns */
};

#define RETRY_CAP_NS	(60LL * 1000000000)	/* a minute */

/* The delay before retry n (n >= 1), r a uniform random 32-bit number. */
int64_t	 retry_delay(const struct retry *, int n, uint32_t r);
/* The delay before retry n, with libsodium's randombytes for r. */
int64_t	 retry_delay_rand(const struct retry *, int n);
/*
 * How long to wait before a call started at now so that calls are at
 * least gap_ns apart; the call is then taken to start at now + that.
 */
int64_t	 retry_pace(struct retry *, int64_t now);
/* A call answered (the breaker closes) or not: 1 when it opens. */
void	 retry_answered(struct retry *);
int	 retry_unanswered(struct retry *);
/* The gap of a rate of per_sec calls a second (0: no limit). */
int64_t	 retry_gap(double per_sec);

#endif
