/*
 * test_cevent.c: the checks of a raw usage event, its key and content
 * digest (common/cevent.c), printed as TAP.  The key and digest of the
 * sample event are the ones in testdata/ingest/events.expected.ndjson.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cevent.h"
#include "jrec.h"
#include "keys.h"
#include "reject.h"
#include "tap.h"
#include "tm.h"

#define SAMPLE \
	"{\"specversion\":\"1.0\",\"id\":\"evt-0001\"," \
	"\"source\":\"api-gw/us-east-1\",\"type\":\"api.request\"," \
	"\"subject\":\"acme-prod\",\"time\":\"2026-10-01T09:15:00Z\"," \
	"\"data\":{\"endpoint\":\"/v1/search\",\"requests\":1}}"

static struct jrec jr;
static struct buf cdata;

/* Parse line and check it: 0, or -1 with e set. */
static int
check(const char *line, int cloudevent, struct cev *ev, struct cev_err *e)
{
	jrec_clear(&jr);
	if (jrec_parse(&jr, line, strlen(line)) < 0) {
		fprintf(stderr, "# not JSON: %s: %s\n", line, jr.msg);
		exit(2);
	}
	memset(e, 0, sizeof(*e));
	return cev_check(jr.root, cloudevent, ev, e);
}

/* The refusal of line: "code field", or "ok". */
static const char *
why(const char *line, int cloudevent)
{
	static char b[128];
	struct cev_err e;
	struct cev ev;

	if (check(line, cloudevent, &ev, &e) == 0)
		return "ok";
	snprintf(b, sizeof(b), "%s %s", e.code, e.field);
	return b;
}

/* The sample event with member k removed. */
static const char *
without(const char *k)
{
	static char b[1024];
	json_t *o = json_loads(SAMPLE, 0, NULL);
	char *s;

	json_object_del(o, k);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(b, sizeof(b), "%s", s);
	free(s);
	json_decref(o);
	return b;
}

/* The sample event with member k set to the JSON value v. */
static const char *
with(const char *k, const char *v)
{
	static char b[1024];
	json_t *o = json_loads(SAMPLE, 0, NULL);
	char *s;

	json_object_set_new(o, k, json_loads(v, JSON_DECODE_ANY, NULL));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(b, sizeof(b), "%s", s);
	free(s);
	json_decref(o);
	return b;
}

static void
is(const char *got, const char *want, const char *what)
{
	ok(strcmp(got, want) == 0, "%s: %s%s%s", what, want,
	    strcmp(got, want) ? ", got " : "", strcmp(got, want) ? got : "");
}

/* key and digest of line, in hex */
static void
digest_of(const char *line, char *khex, char *dhex)
{
	unsigned char k[KEY_LEN], d[KEY_LEN];
	struct cev_err e;
	struct cev ev;

	if (check(line, 1, &ev, &e) < 0) {
		fprintf(stderr, "# refused: %s\n", e.msg);
		exit(2);
	}
	cev_digest(&ev, &jr, &cdata, k, d);
	key_hex(k, KEY_LEN, khex);
	key_hex(d, KEY_LEN, dhex);
}

static void
test_valid(void)
{
	char k[KEY_HEXLEN], d[KEY_HEXLEN], k2[KEY_HEXLEN], d2[KEY_HEXLEN];
	struct cev_err e;
	struct cev ev;
	int64_t t;
	const char *w;

	ok(check(SAMPLE, 1, &ev, &e) == 0, "the sample event passes");
	tm_parse("2026-10-01T09:15:00Z", 20, &t, &w);
	ok(strcmp(ev.id, "evt-0001") == 0 &&
	    strcmp(ev.source, "api-gw/us-east-1") == 0 &&
	    strcmp(ev.type, "api.request") == 0 &&
	    strcmp(ev.subject, "acme-prod") == 0 && ev.corr == NULL &&
	    ev.t == t && json_is_object(ev.data),
	    "its attributes are picked out");

	digest_of(SAMPLE, k, d);
	is(k, "c8da64d72c8efa545736837309bb9eed", "key of the sample event");
	is(d, "c6a648ff3dc25637f06276434aaa76a2", "digest of the sample event");
	digest_of(SAMPLE, k2, d2);
	is(d2, d, "the same event, the same digest");
	/* the canonical data: member order and number spelling do not count */
	digest_of(with("data", "{\"requests\":1.0,\"endpoint\":\"/v1/search\"}"),
	    k2, d2);
	is(d2, d, "data reordered, 1 as 1.0: the same digest");
	/* the content does count, the key does not change with it */
	digest_of(with("data", "{\"endpoint\":\"/v1/search\",\"requests\":2}"),
	    k2, d2);
	ok(strcmp(d2, d) != 0 && strcmp(k2, k) == 0,
	    "other data: another digest, the same key");
	digest_of(with("time", "\"2026-10-01T09:15:01Z\""), k2, d2);
	ok(strcmp(d2, d) != 0, "another time: another digest");
	digest_of(with("type", "\"api.other\""), k2, d2);
	ok(strcmp(d2, d) != 0, "another type: another digest");
	digest_of(with("subject", "\"acme-staging\""), k2, d2);
	ok(strcmp(d2, d) != 0, "another subject: another digest");
	digest_of(with("id", "\"evt-0002\""), k2, d2);
	ok(strcmp(k2, k) != 0 && strcmp(d2, d) == 0,
	    "another id: another key, the same digest");

	is(why(with("correlationid", "\"c-1\""), 1), "ok",
	    "a correlationid is taken");
	ok(check(with("correlationid", "\"c-1\""), 1, &ev, &e) == 0 &&
	    ev.corr != NULL && strcmp(ev.corr, "c-1") == 0,
	    "and picked out");
	ok(check(without("data"), 1, &ev, &e) == 0 &&
	    json_is_object(ev.data) && json_object_size(ev.data) == 0,
	    "no data: an empty object");
	is(why(with("datacontenttype", "\"application/json; charset=utf-8\""),
	    1), "ok", "datacontenttype application/json with parameters");
	is(why(with("datacontenttype", "\"Application/JSON\""), 1), "ok",
	    "datacontenttype in another case");
}

static void
test_missing(void)
{
	static const char *req[] = { "id", "source", "type", "subject",
	    "time", "specversion" };
	char want[64], what[64];
	struct cev_err e;
	struct cev ev;
	size_t i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		snprintf(want, sizeof(want), "missing_field %s", req[i]);
		snprintf(what, sizeof(what), "no %s", req[i]);
		is(why(without(req[i]), 1), want, what);
	}
	ok(check(without("source"), 1, &ev, &e) < 0 &&
	    strcmp(e.cls, RC_DATA) == 0 &&
	    strcmp(e.msg, "required attribute 'source' is missing") == 0,
	    "its class and message");
	/* CSV rows have no envelope */
	is(why(without("specversion"), 0), "ok",
	    "no specversion in a CSV row");
	is(why(without("subject"), 0), "missing_field subject",
	    "no subject in a CSV row");
}

static void
test_invalid(void)
{
	char big[CEV_MAX_ID + 8];
	struct cev_err e;
	struct cev ev;

	is(why(with("specversion", "\"0.3\""), 1),
	    "unsupported_specversion specversion", "specversion 0.3");
	is(why(with("specversion", "1.0"), 1),
	    "unsupported_specversion specversion", "specversion a number");
	is(why(with("time", "\"2026-10-01 09:15\""), 1), "invalid_time time",
	    "a time that is not RFC 3339");
	is(why(with("time", "\"2026-02-30T00:00:00Z\""), 1),
	    "invalid_time time", "February 30th");
	is(why(with("time", "1790000000"), 1), "invalid_time time",
	    "a time that is a number");
	ok(check(with("time", "42"), 1, &ev, &e) < 0 && strcmp(e.msg,
	    "time '' is not an RFC 3339 timestamp: not a string") == 0,
	    "its message");
	is(why(with("data", "[1,2]"), 1), "invalid_field data",
	    "data an array");
	is(why(with("data", "\"x\""), 1), "invalid_field data",
	    "data a string");
	is(why(with("data", "null"), 1), "invalid_field data", "data null");
	is(why(with("data", "[1]"), 0), "invalid_field data",
	    "data an array in a CSV row");
	is(why(with("data_base64", "\"AAAA\""), 1),
	    "unsupported_content_type data_base64", "binary data");
	is(why(with("datacontenttype", "\"text/plain\""), 1),
	    "unsupported_content_type datacontenttype", "text/plain");
	is(why(with("datacontenttype", "\"application/jsonl\""), 1),
	    "unsupported_content_type datacontenttype", "application/jsonl");
	is(why(with("id", "\"\""), 1), "invalid_field id", "an empty id");
	is(why(with("source", "7"), 1), "invalid_field source",
	    "a source that is a number");
	is(why(with("type", "\"a\\u0001b\""), 1), "invalid_field type",
	    "a control character in type");
	memset(big, 'x', sizeof(big));
	big[0] = '"';
	big[CEV_MAX_ID + 2] = '"';
	big[CEV_MAX_ID + 3] = '\0';	/* CEV_MAX_ID + 1 bytes quoted */
	is(why(with("subject", big), 1), "invalid_field subject",
	    "a subject one byte too long");
	big[CEV_MAX_ID + 1] = '"';
	big[CEV_MAX_ID + 2] = '\0';
	is(why(with("subject", big), 1), "ok", "a subject at the limit");
	is(why(with("correlationid", "\"\""), 1),
	    "invalid_field correlationid", "an empty correlationid");
}

static void
test_window(void)
{
	const int64_t s = TM_NS_PER_SEC, day = 86400 * s;
	struct cev_err e;
	struct cev ev;
	int64_t t;

	check(SAMPLE, 1, &ev, &e);
	t = ev.t;
	ok(cev_window(&ev, t, 0, 0, 0, &e) == 0, "at the as-of time");
	ok(cev_window(&ev, t + 35 * day, 35 * day, 300 * s, 0, &e) == 0,
	    "at the oldest edge of the window");
	ok(cev_window(&ev, t + 35 * day + 1, 35 * day, 300 * s, 0, &e) < 0 &&
	    strcmp(e.code, "event_too_old") == 0 &&
	    strcmp(e.cls, RC_POLICY) == 0 && strcmp(e.field, "time") == 0,
	    "1 ns older: event_too_old");
	is(e.msg, "event time 2026-10-01T09:15:00Z is older than the "
	    "acceptance window of 35d before the as-of time (--max-age)",
	    "its message");
	ok(cev_window(&ev, t - 300 * s, 35 * day, 300 * s, 0, &e) == 0,
	    "at the newest edge of the window");
	ok(cev_window(&ev, t - 301 * s, 35 * day, 300 * s, 0, &e) < 0 &&
	    strcmp(e.code, "event_in_future") == 0,
	    "1 s later: event_in_future");
	is(e.msg, "event time 2026-10-01T09:15:00Z is more than 5m after the "
	    "as-of time (--max-skew)", "its message");
	cev_window(&ev, t - 2 * s, 35 * day, 1500 * 1000000LL, 0, &e);
	is(e.msg, "event time 2026-10-01T09:15:00Z is more than 1500ms after "
	    "the as-of time (--max-skew)", "a skew in milliseconds");
	ok(cev_window(&ev, t, day, 0, t + 1, &e) < 0 &&
	    strcmp(e.code, "event_before_retention") == 0,
	    "before the retention horizon");
	ok(cev_window(&ev, t, day, 0, t, &e) == 0, "at the retention horizon");
}

/*
 * Corrections: amends and cancels are checked and picked out, not both;
 * they enter the digest (another target is another content) and leave
 * a plain event's digest as it was; --max-age does not hold them back,
 * the retention horizon does.
 */
static void
test_fix(void)
{
	const int64_t day = 86400 * TM_NS_PER_SEC;
	char k[KEY_HEXLEN], d[KEY_HEXLEN], k2[KEY_HEXLEN], d2[KEY_HEXLEN];
	struct cev_err e;
	struct cev ev;
	char both[1024], *s;
	json_t *o;

	ok(check(SAMPLE, 1, &ev, &e) == 0 && ev.amends == NULL &&
	    ev.cancels == NULL, "a plain event corrects nothing");
	ok(check(with("amends", "\"evt-0000\""), 1, &ev, &e) == 0 &&
	    strcmp(ev.amends, "evt-0000") == 0 && ev.cancels == NULL,
	    "amends is picked out");
	ok(check(with("cancels", "\"evt-0000\""), 1, &ev, &e) == 0 &&
	    strcmp(ev.cancels, "evt-0000") == 0 && ev.amends == NULL,
	    "cancels is picked out");
	is(why(with("amends", "\"\""), 1), "invalid_field amends",
	    "an empty amends");
	is(why(with("cancels", "7"), 1), "invalid_field cancels",
	    "a cancels that is not a string");
	snprintf(both, sizeof(both), "%s", with("amends", "\"a\""));
	o = json_loads(both, 0, NULL);
	json_object_set_new(o, "cancels", json_string("b"));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	is(why(s, 1), "invalid_field cancels", "amends and cancels both");
	free(s);
	json_decref(o);

	digest_of(SAMPLE, k, d);
	digest_of(with("amends", "\"evt-0000\""), k2, d2);
	ok(strcmp(k, k2) == 0 && strcmp(d, d2) != 0,
	    "amends: the same key, another digest");
	digest_of(with("amends", "\"evt-0009\""), k, d);
	ok(strcmp(d, d2) != 0, "another target: another digest");
	digest_of(with("cancels", "\"evt-0009\""), k2, d2);
	ok(strcmp(d, d2) != 0, "cancels is not amends");

	check(with("amends", "\"evt-0000\""), 1, &ev, &e);
	ok(cev_window(&ev, ev.t + 100 * day, 35 * day, 0, 0, &e) == 0,
	    "an amendment older than --max-age passes");
	ok(cev_window(&ev, ev.t, 35 * day, 0, ev.t + 1, &e) < 0 &&
	    strcmp(e.code, "event_before_retention") == 0,
	    "one before the retention horizon does not");
	is(e.msg, "correction's event time 2026-10-01T09:15:00Z is before the "
	    "ledger's retention horizon: the records before it, the event it "
	    "amends among them, were pruned", "its message");
}

int
main(void)
{
	key_init();
	jrec_init(&jr, JREC_MAXDEPTH_DEFAULT);
	test_valid();
	test_missing();
	test_invalid();
	test_window();
	test_fix();
	jrec_free(&jr);
	buf_free(&cdata);
	return tap_done();
}
