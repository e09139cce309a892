/*
 * fuzz_event.c: meter-ingest's reading of a raw event, the first
 * untrusted bytes of the toolchain: each line of the input is parsed
 * with exact numbers (jrec.h), checked as a CloudEvent (cevent.h),
 * given its key and digest, packed for the ledger (pack.h) and written
 * as the canonical usage record (urec.h), as meter-ingest does.
 *
 * What must hold for an accepted event: the packed data writes exactly
 * the canonical data the digest was taken over; the canonical data
 * parses back to itself; the usage record written reads back (urec_read)
 * with the same type, time, key and digest.
 */
#include <string.h>

#include "cevent.h"
#include "fuzz.h"
#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "ledger.h"
#include "pack.h"
#include "tm.h"
#include "urec.h"
#include "util.h"

/* 2026-10-20T00:00:00Z, meter-ingest's default window around it */
#define AS_OF		(INT64_C(1792454400) * TM_NS_PER_SEC)
#define MAX_AGE		(INT64_C(35) * 86400 * TM_NS_PER_SEC)
#define MAX_SKEW	(INT64_C(300) * TM_NS_PER_SEC)

static struct jrec jr, back;
static struct buf cdata, packed, again, out;

static void
check_event(struct cev *ev)
{
	unsigned char key[KEY_LEN], digest[KEY_LEN];
	struct ldg_usage u;
	struct urec ur;
	struct cev_err e;
	struct jw w;

	(void)cev_window(ev, AS_OF, MAX_AGE, MAX_SKEW, 0, &e);
	cev_digest(ev, &jr, &cdata, key, digest);

	buf_reset(&packed);
	pk_pack(&packed, ev->data, &jr);
	buf_reset(&again);
	jw_init(&w, &again);
	if (pk_json(&w, (const unsigned char *)packed.p, packed.len) < 0)
		fz_fail("pk_json refuses what pk_pack made");
	if (again.len != cdata.len || memcmp(again.p, cdata.p, cdata.len))
		fz_fail("packed data writes '%.*s', the digest's is '%.*s'",
		    (int)again.len, again.p, (int)cdata.len, cdata.p);

	/* the canonical form is a fixed point */
	if (jrec_parse(&back, cdata.p, cdata.len) < 0)
		fz_fail("canonical data '%.*s' does not parse: %s",
		    (int)cdata.len, cdata.p, back.msg);
	buf_reset(&again);
	jw_init(&w, &again);
	jw_json(&w, back.root, &back);
	if (again.len != cdata.len || memcmp(again.p, cdata.p, cdata.len))
		fz_fail("canonical data '%.*s' writes again as '%.*s'",
		    (int)cdata.len, cdata.p, (int)again.len, again.p);
	jrec_clear(&back);

	/* the usage record, as the next stage reads it */
	memset(&u, 0, sizeof(u));
	u.t = ev->t;
	u.ingested = AS_OF;
	u.key = key;
	u.digest = digest;
	u.customer = ev->subject;
	u.source = ev->source;
	u.id = ev->id;
	u.type = ev->type;
	u.subject = ev->subject;
	u.corr = ev->corr;
	u.data = (const unsigned char *)packed.p;
	u.datalen = packed.len;
	buf_reset(&out);
	urec_write(&out, &u);
	if (jrec_parse(&back, out.p, out.len - 1) < 0)
		fz_fail("usage record '%.*s' does not parse: %s",
		    (int)out.len, out.p, back.msg);
	if (urec_read(&back, &ur) < 0)
		fz_fail("usage record '%.*s' is refused: %s", (int)out.len,
		    out.p, back.msg);
	if (strcmp(ur.type, ev->type) != 0 || ur.t != ev->t ||
	    memcmp(ur.key, key, KEY_LEN) != 0 || !ur.has_digest ||
	    memcmp(ur.digest, digest, KEY_LEN) != 0)
		fz_fail("usage record '%.*s' reads back otherwise",
		    (int)out.len, out.p);
	jrec_clear(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct cev_err e;
	struct cev ev;
	size_t len;

	/* the deepest --max-depth allows (opt.h), for the writers' limits */
	if (jr.maxdepth == 0) {
		jrec_init(&jr, 100);
		jrec_init(&back, 100);
	}
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (jrec_parse(&jr, p, len) == 0 &&
		    cev_check(jr.root, 1, &ev, &e) == 0)
			check_event(&ev);
		jrec_clear(&jr);
	}
	return 0;
}
