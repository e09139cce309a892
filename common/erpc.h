/*
 * erpc.h: JSON-RPC over HTTP, through libcurl: the transport of
 * erp-send(1)'s ERP adapters.  A call is one POST of
 * {"id":N,"method":M,"params":P} to the URL and its answer,
 * {"id":N,"result":R} or {"id":N,"error":E}; what this module tells
 * apart is whether the server answered at all:
 *
 *   ERPC_OK     a result;
 *   ERPC_FAULT  the server answered with an error member (the ERP
 *               refused the call: the adapter reads why);
 *   ERPC_DOWN   no answer that can be trusted: no connection, the
 *               time-out, an HTTP status other than 200, a body that is
 *               not a JSON-RPC answer.  What the call did is unknown.
 *
 * One connection is kept open between calls (libcurl's handle).
 *
 * erpc_post is the plain HTTP under it, for the adapters that are not
 * JSON-RPC (webhook.h): one POST, its status and body, or no answer.
 */
#ifndef ERPC_H
#define ERPC_H

#include <jansson.h>

#include "retry.h"
#include "util.h"

enum { ERPC_OK, ERPC_FAULT, ERPC_DOWN };

struct erpc {
	void		*curl;		/* CURL * */
	void		*hdr;		/* struct curl_slist * */
	char		*url;		/* JSON-RPC's: with a trailing slash */
	char		*url0;		/* as given */
	char		*auth;		/* the Authorization header, or NULL */
	long		 timeout_ms;
	struct retry	*pace;		/* calls no closer than its gap, or NULL */
	long		 id;
	long		 http;		/* the last answer's status, 0: none */
	char		 status[128];	/* its status line, "HTTP/1.1 422 ..." */
	struct buf	 body;		/* the last answer's body */
	char		 err[512];	/* ERPC_DOWN: what went wrong */
};

/* A client of the URL (http://host:port/db); 0, or -1 with err. */
int	erpc_open(struct erpc *, const char *url, long timeout_ms);
void	erpc_close(struct erpc *);
/* The Authorization header's value for the calls to come. */
void	erpc_auth(struct erpc *, const char *value);
/*
 * Call method with params (taken: the caller's reference is dropped).
 * ERPC_OK: *out is the result; ERPC_FAULT: *out is the error member
 * (both new references); ERPC_DOWN: *out is NULL and err says why.
 */
int	erpc_call(struct erpc *, const char *method, json_t *params,
	    json_t **out);
/*
 * POST body (len bytes) to the URL as given (no slash added), with the
 * extra headers (NULL-terminated "Name: value" strings, or NULL) and,
 * when userpwd is not NULL, HTTP basic authentication.  ERPC_OK with
 * http, status and body set, whatever the status; ERPC_DOWN when no
 * answer came (err says why).
 */
int	erpc_post(struct erpc *, const char *body, size_t len,
	    const char *const *headers, const char *userpwd);

#endif
