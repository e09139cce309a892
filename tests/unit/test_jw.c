/*
 * test_jw.c: jw_escape (common/jw.c), printed as TAP.  It writes straight
 * into the buffer with room made for two bytes a byte, and makes room
 * again for a control character's six: checked against the escaping
 * spelled out, for strings of every byte value, from buffers of many
 * fillings (the room made differs with what the buffer already holds).
 */
#include <stdio.h>
#include <string.h>

#include "jw.h"
#include "util.h"
#include "tap.h"

/* the JSON escape of s, one byte at a time, as RFC 8259 spells it */
static void
ref_escape(struct buf *b, const unsigned char *s, size_t n)
{
	char u[8];
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '"':  buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\b': buf_adds(b, "\\b"); break;
		case '\f': buf_adds(b, "\\f"); break;
		default:
			if (s[i] < 0x20) {
				snprintf(u, sizeof(u), "\\u%04x", s[i]);
				buf_adds(b, u);
			} else
				buf_addc(b, s[i]);
		}
	}
}

int
main(void)
{
	unsigned char s[600];
	struct buf mine = { 0 }, ref = { 0 };
	size_t n, pre, i, bad = 0;
	unsigned x = 1;

	/* controls only: six bytes each, three times the room first made */
	for (n = 0; n < 300; n++)
		s[n] = (unsigned char)(n % 32);
	for (pre = 0; pre < 70; pre++) {
		buf_free(&mine);
		buf_free(&ref);
		for (i = 0; i < pre; i++) {
			buf_addc(&mine, 'p');
			buf_addc(&ref, 'p');
		}
		jw_escape(&mine, (const char *)s, 300);
		ref_escape(&ref, s, 300);
		if (mine.len != ref.len || memcmp(mine.p, ref.p, ref.len) != 0)
			bad++;
	}
	ok(bad == 0, "300 control characters escaped as \\u00XX, \\n, \\t ... "
	    "after 0 to 69 bytes");

	/* every byte value, mixed, at many lengths */
	bad = 0;
	for (n = 0; n < sizeof(s); n += 7) {
		for (i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			s[i] = (unsigned char)(x >> 16);
		}
		buf_reset(&mine);
		buf_reset(&ref);
		buf_addc(&mine, '[');
		buf_addc(&ref, '[');
		jw_escape(&mine, (const char *)s, n);
		ref_escape(&ref, s, n);
		if (mine.len != ref.len || memcmp(mine.p, ref.p, ref.len) != 0)
			bad++;
	}
	ok(bad == 0, "random bytes of 0 to 599 escaped as spelled out");
	buf_free(&mine);
	buf_free(&ref);
	return tap_done();
}
