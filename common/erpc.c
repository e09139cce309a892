/*
 * erpc.c: JSON-RPC calls over libcurl (see erpc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli.h"

#include "erpc.h"

#define ERPC_MAXBODY	(64L * 1024 * 1024)

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > ERPC_MAXBODY)
		return 0;	/* curl: write error, the call is ERPC_DOWN */
	buf_add(b, p, size * n);
	return size * n;
}

/* The status line of the answer (the last, after a 100 Continue). */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct erpc *e = arg;
	size_t len = size * n;

	if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		snprintf(e->status, sizeof(e->status), "%.*s", (int)len, p);
	}
	return size * n;
}

int
erpc_open(struct erpc *e, const char *url, long timeout_ms)
{
	static int inited;

	memset(e, 0, sizeof(*e));
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(e->err, sizeof(e->err), "libcurl cannot start");
			return -1;
		}
		inited = 1;
	}
	if ((e->curl = curl_easy_init()) == NULL) {
		snprintf(e->err, sizeof(e->err), "libcurl cannot start");
		return -1;
	}
	/* Tryton answers POST /DB/; a trailing slash more is harmless */
	e->url = xmalloc(strlen(url) + 2);
	snprintf(e->url, strlen(url) + 2, "%s%s", url,
	    url[0] != '\0' && url[strlen(url) - 1] == '/' ? "" : "/");
	e->url0 = xstrdup(url);
	e->timeout_ms = timeout_ms;
	return 0;
}

void
erpc_close(struct erpc *e)
{
	if (e->curl != NULL)
		curl_easy_cleanup(e->curl);
	curl_slist_free_all(e->hdr);
	free(e->url);
	free(e->url0);
	free(e->auth);
	buf_free(&e->body);
	memset(e, 0, sizeof(*e));
}

void
erpc_auth(struct erpc *e, const char *value)
{
	size_t n = strlen(value) + sizeof("Authorization: ");

	free(e->auth);
	e->auth = xmalloc(n);
	snprintf(e->auth, n, "Authorization: %s", value);
}

static int
down(struct erpc *e, const char *method, const char *fmt, const char *s)
{
	char why[400];

	snprintf(why, sizeof(why), fmt, s);
	snprintf(e->err, sizeof(e->err), "%s: %s", method, why);
	return ERPC_DOWN;
}

/* One POST: 0 with http, status and body, or a curl error. */
static CURLcode
perform(struct erpc *e, const char *url, const char *body, size_t len,
    struct curl_slist *h, const char *userpwd)
{
	CURLcode rc;
	struct timespec ts;
	int64_t wait;

	/* --max-rate: this call no sooner than the gap after the last */
	if (e->pace != NULL &&
	    (wait = retry_pace(e->pace, cli_now(CLOCK_MONOTONIC))) > 0) {
		ts.tv_sec = (time_t)(wait / 1000000000);
		ts.tv_nsec = (long)(wait % 1000000000);
		while (nanosleep(&ts, &ts) < 0)
			;
	}
	curl_slist_free_all(e->hdr);
	e->hdr = h;
	buf_reset(&e->body);
	e->http = 0;
	e->status[0] = '\0';
	curl_easy_setopt(e->curl, CURLOPT_URL, url);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &e->body);
	curl_easy_setopt(e->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e->curl, CURLOPT_HEADERDATA, e);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	if (userpwd != NULL) {
		curl_easy_setopt(e->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(e->curl, CURLOPT_USERPWD, userpwd);
	}
	/* a server that redirects is not the ERP we were told of */
	curl_easy_setopt(e->curl, CURLOPT_FOLLOWLOCATION, 0L);
	rc = curl_easy_perform(e->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &e->http);
	return rc;
}

int
erpc_post(struct erpc *e, const char *body, size_t len,
    const char *const *headers, const char *userpwd)
{
	struct curl_slist *h = NULL;
	CURLcode rc;

	h = curl_slist_append(h, "Content-Type: application/json");
	for (; headers != NULL && *headers != NULL; headers++)
		h = curl_slist_append(h, *headers);
	/* the URL as given: a webhook's path is its own */
	rc = perform(e, e->url0, body, len, h, userpwd);
	if (rc != CURLE_OK) {
		snprintf(e->err, sizeof(e->err), "%s", curl_easy_strerror(rc));
		return ERPC_DOWN;
	}
	return ERPC_OK;
}

int
erpc_call(struct erpc *e, const char *method, json_t *params, json_t **out)
{
	json_t *req, *ans, *v;
	json_error_t jerr;
	char *text;
	CURLcode rc;
	struct curl_slist *h = NULL;
	char lim[64];

	*out = NULL;
	req = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)++e->id, "method",
	    method, "params", params);
	if (req == NULL)
		die(EX_SOFTWARE, "%s: cannot build the request", method);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		die(EX_OSERR, "out of memory");

	h = curl_slist_append(h, "Content-Type: application/json");
	if (e->auth != NULL)
		h = curl_slist_append(h, e->auth);
	rc = perform(e, e->url, text, strlen(text), h, NULL);
	free(text);
	if (rc != CURLE_OK)
		return down(e, method, "%s", curl_easy_strerror(rc));
	if (e->http != 200) {
		snprintf(lim, sizeof(lim), "%ld", e->http);
		return down(e, method, "the server answered HTTP %s", lim);
	}
	ans = json_loadb(e->body.p != NULL ? e->body.p : "", e->body.len, 0,
	    &jerr);
	if (ans == NULL || !json_is_object(ans)) {
		json_decref(ans);
		return down(e, method, "%s", "the answer is not a JSON object");
	}
	if ((v = json_object_get(ans, "error")) != NULL && !json_is_null(v)) {
		*out = json_incref(v);
		json_decref(ans);
		return ERPC_FAULT;
	}
	if ((v = json_object_get(ans, "result")) == NULL) {
		json_decref(ans);
		return down(e, method, "%s", "the answer has no result");
	}
	*out = json_incref(v);
	json_decref(ans);
	return ERPC_OK;
}
