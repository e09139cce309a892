/*
 * urec.c: writing and reading canonical usage records.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jrec.h"
#include "jw.h"
#include "ledger.h"
#include "pack.h"
#include "tm.h"
#include "urec.h"

/* After "customer": the customer, source and id. */
static inline void
rec_who(struct buf *b, const struct ldg_usage *u)
{
	jw_put_str(b, u->customer);
	JW_LIT(b, ",\"source\":");
	jw_put_str(b, u->source);
	JW_LIT(b, ",\"id\":");
	jw_put_str(b, u->id);
}

/* ,"type", "subject" and "time" */
static inline void
rec_what(struct buf *b, const struct ldg_usage *u)
{
	JW_LIT(b, ",\"type\":");
	jw_put_str(b, u->type);
	JW_LIT(b, ",\"subject\":");
	jw_put_str(b, u->subject);
	JW_LIT(b, ",\"time\":");
	jw_put_time(b, u->t);
}

/* ,"key", "digest", "correlation_id" and "ingested_at", the record open */
static inline void
rec_ids(struct buf *b, const struct ldg_usage *u)
{
	const size_t hexq = 2 * KEY_LEN + 2;	/* the key, hex, quoted */
	size_t keyoff;

	JW_LIT(b, ",\"key\":");
	keyoff = b->len;
	jw_put_hex(b, u->key, KEY_LEN);
	JW_LIT(b, ",\"digest\":");
	jw_put_hex(b, u->digest, KEY_LEN);
	JW_LIT(b, ",\"correlation_id\":");
	if (u->corr != NULL)
		jw_put_str(b, u->corr);
	else {
		/* the key once more: copied, not formatted again (grown
		 * first, as the copy is from b itself) */
		buf_grow(b, hexq);
		memcpy(b->p + b->len, b->p + keyoff, hexq);
		b->len += hexq;
	}
	JW_LIT(b, ",\"ingested_at\":");
	jw_put_time(b, u->ingested);
}

/*
 * The usage record without its closing "}\n"; its data the canonical
 * JSON given (datajson), or else written from the packed form.
 */
static void
rec_usage(struct buf *b, const struct ldg_usage *u, const char *datajson,
    size_t datajsonlen)
{
	struct jw w;

	/* by hand, not field by field through jw: one per event */
	JW_LIT(b, "{\"kind\":\"usage\",\"schema\":\"1.0\",\"customer\":");
	rec_who(b, u);
	rec_what(b, u);
	JW_LIT(b, ",\"data\":");
	if (datajson != NULL)
		buf_add(b, datajson, datajsonlen);
	else {
		jw_init(&w, b);
		if (pk_json(&w, u->data, u->datalen) < 0)
			die(EX_SOFTWARE, "ledger holds malformed packed data "
			    "for event '%s'", u->id);
	}
	rec_ids(b, u);
}

/*
 * The field order is part of the format (usage-to-cash(5)); meter-ingest
 * --replay writes the same bytes from the ledger as the run that
 * accepted the events.
 */
void
urec_write(struct buf *b, const struct ldg_usage *u)
{
	urec_write_json(b, u, NULL, 0);
}

void
urec_write_json(struct buf *b, const struct ldg_usage *u,
    const char *datajson, size_t datajsonlen)
{
	rec_usage(b, u, datajson, datajsonlen);
	JW_LIT(b, "}\n");
}

void
urec_write_fix(struct buf *b, const struct ldg_usage *u, int cancel,
    const unsigned char *replaced)
{
	if (!cancel) {
		rec_usage(b, u, NULL, 0);
		JW_LIT(b, ",\"amends\":");
		jw_put_hex(b, replaced, KEY_LEN);
		JW_LIT(b, "}\n");
		return;
	}
	/* the cancel's own event, but its data, which counts for nothing */
	JW_LIT(b, "{\"kind\":\"usage_cancel\",\"schema\":\"1.0\","
	    "\"customer\":");
	rec_who(b, u);
	JW_LIT(b, ",\"cancels\":");
	jw_put_hex(b, replaced, KEY_LEN);
	rec_what(b, u);
	rec_ids(b, u);
	JW_LIT(b, "}\n");
}

int
urec_read(struct jrec *r, struct urec *u)
{
	const char *kind, *s, *why = "";
	json_t *v;

	memset(u, 0, sizeof(*u));
	v = json_object_get(r->root, "kind");
	kind = json_is_string(v) ? json_string_value(v) : NULL;
	/*
	 * A run's correction replaces a record this stream may not hold:
	 * counted here it would count an event twice, or a cancelled one.
	 */
	if ((kind != NULL && strcmp(kind, "usage_cancel") == 0) ||
	    (kind != NULL && strcmp(kind, "usage") == 0 &&
	    json_object_get(r->root, "amends") != NULL))
		return jrec_fail(r, "usage_correction", kind[5] == '_' ?
		    "cancels" : "amends", "a correction from a meter-ingest "
		    "run (%s): the records it replaces are in other runs' "
		    "output; aggregate the ledger (--ledger) or meter-ingest "
		    "--replay, which hold the effective versions",
		    kind[5] == '_' ? "a cancel" : "an amendment");
	if (kind == NULL || strcmp(kind, "usage") != 0)
		return jrec_fail(r, "not_usage", "kind", "expected a usage record "
		    "(\"kind\":\"usage\", from meter-ingest), got %s%s%s",
		    kind ? "kind '" : "", kind ? kind : "no kind",
		    kind ? "'" : "");
	if (jrec_check_schema(r, 1) < 0)
		return -1;
	if (jrec_str(r, "usage record", "customer", 1, &u->customer, &u->customer_len) < 0 ||
	    jrec_str(r, "usage record", "type", 1, &u->type, &u->type_len) < 0 ||
	    jrec_str(r, "usage record", "source", 0, &u->source, NULL) < 0 ||
	    jrec_str(r, "usage record", "id", 0, &u->id, NULL) < 0 ||
	    jrec_str(r, "usage record", "subject", 0, &u->subject, NULL) < 0 ||
	    jrec_str(r, "usage record", "correlation_id", 0, &u->corr, NULL) < 0)
		return -1;
	if (jrec_str(r, "usage record", "time", 1, &s, NULL) < 0)
		return -1;
	if (tm_parse(s, strlen(s), &u->t, &why) < 0)
		return jrec_fail(r, "invalid_field", "time", "time '%s': %s", s,
		    why);
	if (jrec_str(r, "usage record", "key", 1, &s, NULL) < 0)
		return -1;
	if (key_unhex(s, u->key, KEY_LEN) < 0)
		return jrec_fail(r, "invalid_field", "key", "key '%s' is not %d "
		    "hex digits", s, 2 * KEY_LEN);
	if (jrec_str(r, "usage record", "digest", 0, &s, NULL) < 0)
		return -1;
	if (s != NULL) {
		if (key_unhex(s, u->digest, KEY_LEN) < 0)
			return jrec_fail(r, "invalid_field", "digest", "digest '%s' "
			    "is not %d hex digits", s, 2 * KEY_LEN);
		u->has_digest = 1;
	}
	v = json_object_get(r->root, "data");
	if (v != NULL && !json_is_null(v))
		u->data = v;
	return 0;
}
