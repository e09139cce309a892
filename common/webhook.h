/*
 * webhook.h: erp-send(1)'s generic HTTP adapter, for middleware (an
 * iPaaS, a webhook receiver) in front of an ERP: each journal entry
 * record is POSTed as it is, JSON, to the URL, with the header
 *
 *   Idempotency-Key: JE-...       (the entry's id)
 *
 * so that a retry of the same entry is the same request to a receiver
 * that keeps its keys: it answers again what it answered the first time
 * and books nothing twice.  The answer:
 *
 *   2xx with a JSON object whose "reference" (a string), else "id" (a
 *       string or an integer), is not empty: confirmed with it;
 *   2xx without one: no answer to trust (a receiver that took the entry
 *       says which reference it gave it), retried like a 5xx;
 *   4xx but 408 and 429: failed, the reason the body's "message" or
 *       "error" (a string, or an object with a "message") else the
 *       status line ("422 Unprocessable Entity");
 *   5xx, 408, 429, 3xx, a connection error, the time-out: no answer
 *       (WH_DOWN): the caller retries it.
 */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stdint.h>

#include <jansson.h>

#include "erpc.h"

enum {
	WH_CONFIRMED,	/* ref */
	WH_FAILED,	/* the receiver refused the entry: why */
	WH_DOWN		/* no answer to trust: why */
};

struct webhook {
	struct erpc	 http;
	char		*userpwd;	/* "user:password", or NULL */
	uint64_t	 calls;
	char		 ref[256];
	char		 why[1024];
};

/* A client of url; user NULL: no authentication, else HTTP basic. */
int	wh_open(struct webhook *, const char *url, long timeout_ms,
	    const char *user, const char *password);
void	wh_close(struct webhook *);
/* POST the entry record e whose id is id. */
int	wh_send(struct webhook *, const char *id, json_t *e);

#endif
