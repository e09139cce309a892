/*
 * webhook.c: a journal entry POSTed to an HTTP receiver (see webhook.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "webhook.h"

static int
why(struct webhook *w, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
why(struct webhook *w, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* "422 Unprocessable Entity" of "HTTP/1.1 422 Unprocessable Entity" */
static const char *
status_text(const struct webhook *w)
{
	const char *s = strchr(w->http.status, ' ');

	return s != NULL ? s + 1 : w->http.status;
}

/* The answer's body as a JSON object, or NULL. */
static json_t *
answer(const struct webhook *w)
{
	json_error_t jerr;
	json_t *a;

	if (w->http.body.len == 0)
		return NULL;
	a = json_loadb(w->http.body.p, w->http.body.len, 0, &jerr);
	if (a != NULL && !json_is_object(a)) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static int
confirmed(struct webhook *w)
{
	json_t *a = answer(w), *v;
	int rc = WH_DOWN;

	if ((v = json_object_get(a, "reference")) == NULL ||
	    (json_is_string(v) && *json_string_value(v) == '\0'))
		v = json_object_get(a, "id");
	if (json_is_string(v) && *json_string_value(v) != '\0') {
		snprintf(w->ref, sizeof(w->ref), "%s", json_string_value(v));
		rc = WH_CONFIRMED;
	} else if (json_is_integer(v)) {
		snprintf(w->ref, sizeof(w->ref), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		rc = WH_CONFIRMED;
	} else
		why(w, WH_DOWN, "the receiver answered %s without a "
		    "\"reference\" or \"id\"", status_text(w));
	json_decref(a);
	return rc;
}

static int
refused(struct webhook *w)
{
	json_t *a = answer(w), *v;
	const char *m = NULL;

	if ((v = json_object_get(a, "message")) != NULL && json_is_string(v))
		m = json_string_value(v);
	else if ((v = json_object_get(a, "error")) != NULL) {
		if (json_is_string(v))
			m = json_string_value(v);
		else
			m = json_string_value(json_object_get(v, "message"));
	}
	if (m != NULL && *m != '\0')
		why(w, WH_FAILED, "%s", m);
	else
		why(w, WH_FAILED, "%s", status_text(w));
	json_decref(a);
	return WH_FAILED;
}

int
wh_send(struct webhook *w, const char *id, json_t *e)
{
	char key[300];
	const char *hdr[] = { key, NULL };
	char *body;
	int rc;
	long s;

	w->ref[0] = w->why[0] = '\0';
	snprintf(key, sizeof(key), "Idempotency-Key: %s", id);
	if ((body = json_dumps(e, JSON_COMPACT)) == NULL)
		die(EX_OSERR, "out of memory");
	rc = erpc_post(&w->http, body, strlen(body), hdr, w->userpwd);
	free(body);
	w->calls++;
	if (rc != ERPC_OK)
		return why(w, WH_DOWN, "%s", w->http.err);
	s = w->http.http;
	if (s >= 200 && s < 300)
		return confirmed(w);
	if (s >= 400 && s < 500 && s != 408 && s != 429)
		return refused(w);
	return why(w, WH_DOWN, "the receiver answered %s", status_text(w));
}

int
wh_open(struct webhook *w, const char *url, long timeout_ms,
    const char *user, const char *password)
{
	size_t n;

	memset(w, 0, sizeof(*w));
	if (user != NULL) {
		n = strlen(user) + strlen(password) + 2;
		w->userpwd = xmalloc(n);
		snprintf(w->userpwd, n, "%s:%s", user, password);
	}
	if (erpc_open(&w->http, url, timeout_ms) < 0)
		return why(w, WH_DOWN, "%s", w->http.err);
	return 0;
}

void
wh_close(struct webhook *w)
{
	erpc_close(&w->http);
	if (w->userpwd != NULL)
		sodium_memzero(w->userpwd, strlen(w->userpwd));
	free(w->userpwd);
}
