/*
 * cevent.c: the checks of a raw usage event, its key and digest (see
 * cevent.h).  meter-ingest's reader thread calls these once an event;
 * the messages are meter-ingest(1)'s.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cevent.h"
#include "jw.h"
#include "keys.h"
#include "reject.h"
#include "tm.h"

static int	refuse(struct cev_err *, const char *, const char *,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));

/* Fill e; -1.  The messages are short: none is cut. */
static int
refuse(struct cev_err *e, const char *cls, const char *code,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	e->cls = cls;
	e->code = code;
	e->field = field;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The attributes the checks read, found in one walk over the object's
 * members rather than a hash lookup each (twelve an event, a tenth of
 * the reader thread's own work).
 */
enum {
	A_SPEC, A_B64, A_DCT, A_ID, A_SOURCE, A_TYPE, A_SUBJECT, A_CORR,
	A_AMENDS, A_CANCELS, A_TIME, A_DATA, A_N
};

/*
 * Which attribute the key k of n bytes is, or -1.  By length first: a
 * memcmp of a constant length is a compare or two, where a strcmp
 * against each name of the same first letter was a call each.
 */
static int
attr_index(const char *k, size_t n)
{
#define IS(name)	(memcmp(k, name, sizeof(name) - 1) == 0)
	switch (n) {
	case 2:
		return IS("id") ? A_ID : -1;
	case 4:
		return IS("type") ? A_TYPE : IS("time") ? A_TIME :
		    IS("data") ? A_DATA : -1;
	case 6:
		return IS("source") ? A_SOURCE : IS("amends") ? A_AMENDS : -1;
	case 7:
		return IS("subject") ? A_SUBJECT : IS("cancels") ? A_CANCELS :
		    -1;
	case 11:
		return IS("specversion") ? A_SPEC : IS("data_base64") ? A_B64 :
		    -1;
	case 13:
		return IS("correlationid") ? A_CORR : -1;
	case 15:
		return IS("datacontenttype") ? A_DCT : -1;
	}
	return -1;
#undef IS
}

static void
collect(json_t *o, json_t **a)
{
	void *it;
	int i;

	memset(a, 0, A_N * sizeof(*a));
	/* the iterator itself: json_object_foreach looks each key up again */
	for (it = json_object_iter(o); it != NULL;
	    it = json_object_iter_next(o, it)) {
		i = attr_index(json_object_iter_key(it),
		    json_object_iter_key_len(it));
		if (i >= 0)
			a[i] = json_object_iter_value(it);
	}
}

/* A required attribute: a non-empty string without control characters. */
static const char *
attr(json_t *v, size_t max, int required, const char **code)
{
	const char *s;
	size_t n, i;

	if (v == NULL) {
		*code = required ? "missing_field" : NULL;
		return NULL;
	}
	if (!json_is_string(v)) {
		*code = "invalid_field";
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0 || n > max) {
		*code = "invalid_field";
		return NULL;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20) {
			*code = "invalid_field";
			return NULL;
		}
	*code = NULL;
	return s;
}

/* application/json, with parameters ("; charset=utf-8") or without */
static int
json_content_type(json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	if (strncasecmp(s, "application/json", 16) != 0)
		return 0;
	s += 16;
	while (*s == ' ')
		s++;
	return *s == '\0' || *s == ';';
}

/*
 * The correction extension attributes (meter-ingest(1), Corrections):
 * amends or cancels, an event id of the same source, not both.
 */
static int
cev_check_fix(json_t **a, struct cev *ev, struct cev_err *e)
{
	static const char *const names[2] = { "amends", "cancels" };
	const char *vals[2], *code;
	int i;

	for (i = 0; i < 2; i++) {
		vals[i] = attr(a[A_AMENDS + i], CEV_MAX_ID, 0, &code);
		if (code != NULL)
			return refuse(e, RC_DATA, code, names[i], "%s must be "
			    "the id of an event of the same source: a "
			    "non-empty string of at most %d bytes without "
			    "control characters", names[i], CEV_MAX_ID);
	}
	if (vals[0] != NULL && vals[1] != NULL)
		return refuse(e, RC_DATA, "invalid_field", "cancels",
		    "an event amends another or cancels it, not both "
		    "(amends '%.64s', cancels '%.64s')", vals[0], vals[1]);
	ev->amends = vals[0];
	ev->cancels = vals[1];
	return 0;
}

/* Validate the CloudEvents attributes of the parsed object. */
int
cev_check(json_t *o, int cloudevent, struct cev *ev, struct cev_err *e)
{
	static const struct {
		const char	*name;
		size_t		 max;
	} attrs[] = {
		{ "id", CEV_MAX_ID }, { "source", CEV_MAX_SOURCE },
		{ "type", CEV_MAX_ID }, { "subject", CEV_MAX_ID },
	};
	json_t *v, *a[A_N];
	const char *code, *s, *why = "";
	const char *vals[4];
	size_t i;

	collect(o, a);
	if (cloudevent) {
		v = a[A_SPEC];
		if (v == NULL)
			return refuse(e, RC_DATA, "missing_field",
			    "specversion", "not a CloudEvent: no specversion");
		if (!json_is_string(v) ||
		    strcmp(json_string_value(v), "1.0") != 0)
			return refuse(e, RC_DATA,
			    "unsupported_specversion", "specversion",
			    "specversion must be \"1.0\"");
		if (a[A_B64] != NULL)
			return refuse(e, RC_DATA,
			    "unsupported_content_type", "data_base64",
			    "binary event data is not usage data; send a JSON "
			    "object in data");
		v = a[A_DCT];
		if (v != NULL && !json_content_type(v))
			return refuse(e, RC_DATA,
			    "unsupported_content_type", "datacontenttype",
			    "datacontenttype must be application/json");
	}
	for (i = 0; i < 4; i++) {
		vals[i] = attr(a[A_ID + i], attrs[i].max, 1, &code);
		if (code != NULL)
			return refuse(e, RC_DATA, code,
			    attrs[i].name, strcmp(code, "missing_field") == 0 ?
			    "required attribute '%s' is missing" :
			    "attribute '%s' must be a non-empty string of at "
			    "most %zu bytes without control characters",
			    attrs[i].name, attrs[i].max);
	}
	ev->id = vals[0];
	ev->source = vals[1];
	ev->type = vals[2];
	ev->subject = vals[3];
	ev->corr = attr(a[A_CORR], CEV_MAX_ID, 0, &code);
	if (code != NULL)
		return refuse(e, RC_DATA, code, "correlationid",
		    "correlationid must be a non-empty string of at most %d "
		    "bytes", CEV_MAX_ID);
	if (cev_check_fix(a, ev, e) < 0)
		return -1;
	v = a[A_TIME];
	if (v == NULL)
		return refuse(e, RC_DATA, "missing_field", "time",
		    "required attribute 'time' is missing");
	if (!json_is_string(v) || tm_parse(json_string_value(v),
	    json_string_length(v), &ev->t, &why) < 0) {
		s = json_is_string(v) ? json_string_value(v) : "";
		return refuse(e, RC_DATA, "invalid_time", "time",
		    "time '%.64s' is not an RFC 3339 timestamp: %s", s,
		    json_is_string(v) ? why : "not a string");
	}
	ev->data = a[A_DATA];
	if (ev->data == NULL) {
		ev->data = json_object();
		json_object_set_new(o, "data", ev->data);
	} else if (!json_is_object(ev->data))
		return refuse(e, RC_DATA, "invalid_field", "data",
		    "data must be a JSON object of usage properties");
	return 0;
}

static const char *
fmt_dur(int64_t ns, char *b, size_t n)
{
	int64_t s = ns / TM_NS_PER_SEC;

	if (ns % TM_NS_PER_SEC != 0)
		snprintf(b, n, "%" PRId64 "ms", ns / 1000000);
	else if (s == 0)
		snprintf(b, n, "0s");
	else if (s % 86400 == 0)
		snprintf(b, n, "%" PRId64 "d", s / 86400);
	else if (s % 3600 == 0)
		snprintf(b, n, "%" PRId64 "h", s / 3600);
	else if (s % 60 == 0)
		snprintf(b, n, "%" PRId64 "m", s / 60);
	else
		snprintf(b, n, "%" PRId64 "s", s);
	return b;
}

int
cev_window(const struct cev *ev, int64_t as_of, int64_t max_age,
    int64_t max_skew, int64_t pruned_before, struct cev_err *e)
{
	char tb[TM_FMTMAX], db[32];

	if (ev->t < as_of - max_age && ev->amends == NULL &&
	    ev->cancels == NULL) {
		tm_fmt(ev->t, tb, sizeof(tb));
		return refuse(e, RC_POLICY, "event_too_old", "time",
		    "event time %s is older than the acceptance window of "
		    "%s before the as-of time (--max-age)", tb,
		    fmt_dur(max_age, db, sizeof(db)));
	}
	if (ev->t > as_of + max_skew) {
		tm_fmt(ev->t, tb, sizeof(tb));
		return refuse(e, RC_POLICY, "event_in_future",
		    "time", "event time %s is more than %s after the as-of "
		    "time (--max-skew)", tb, fmt_dur(max_skew, db, sizeof(db)));
	}
	if (ev->t < pruned_before && (ev->amends || ev->cancels)) {
		tm_fmt(ev->t, tb, sizeof(tb));
		return refuse(e, RC_POLICY, "event_before_retention", "time",
		    "correction's event time %s is before the ledger's "
		    "retention horizon: the records before it, the event it "
		    "%s among them, were pruned", tb,
		    ev->amends ? "amends" : "cancels");
	}
	if (ev->t < pruned_before) {
		tm_fmt(ev->t, tb, sizeof(tb));
		return refuse(e, RC_POLICY, "event_before_retention", "time",
		    "event time %s is before the ledger's retention horizon "
		    "(records before it were pruned, so a duplicate could not "
		    "be recognised)", tb);
	}
	return 0;
}

void
cev_digest_into(const struct cev *ev, const char *cdata, size_t cdatalen,
    struct buf *kin, struct buf *din)
{
	struct keyh h;

	key_usage_into(ev->source, strlen(ev->source), ev->id,
	    strlen(ev->id), kin);
	key_start_into(&h, "usage-content", din);
	key_str(&h, ev->type);
	key_str(&h, ev->subject);
	key_i64(&h, ev->t);
	key_field(&h, cdata, cdatalen);
	/* a correction's target is content: the same id aiming elsewhere
	 * is a conflict, not a duplicate */
	if (ev->amends != NULL) {
		key_str(&h, "amends");
		key_str(&h, ev->amends);
	} else if (ev->cancels != NULL) {
		key_str(&h, "cancels");
		key_str(&h, ev->cancels);
	}
}

void
cev_digest(const struct cev *ev, const struct jrec *jr, struct buf *cdata,
    unsigned char *key, unsigned char *digest)
{
	struct buf kin = { 0 }, din = { 0 };
	struct jw w;

	/* canonical data: sorted keys, exact normalized numbers */
	buf_reset(cdata);
	jw_init(&w, cdata);
	jw_json(&w, ev->data, jr);
	cev_digest_into(ev, cdata->p, cdata->len, &kin, &din);
	key_hash(kin.p, kin.len, key);
	key_hash(din.p, din.len, digest);
	buf_free(&kin);
	buf_free(&din);
}
