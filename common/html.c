/*
 * html.c: escaping and grouped amounts for the HTML and XML writers.
 */
#include <string.h>

#include "html.h"

static const char *
entity(int c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	}
	return NULL;
}

void
html_escn(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *e;

	for (; n > 0 && *p != '\0'; p++, n--) {
		if ((e = entity(*p)) != NULL)
			buf_adds(b, e);
		else if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			buf_adds(b, "\xef\xbf\xbd");
		else if (n >= 3 && p[0] == 0xef && p[1] == 0xbf &&
		    (p[2] == 0xbe || p[2] == 0xbf)) {
			buf_adds(b, "\xef\xbf\xbd");
			p += 2;
			n -= 2;
		} else
			buf_addc(b, *p);
	}
}

void
html_esc(struct buf *b, const char *s)
{
	html_escn(b, s, strlen(s));
}

void
html_grouped(struct buf *b, dec d)
{
	struct dec_str f = dec_str(d);
	const char *p = f.s;
	size_t i, n;

	if (*p == '-')
		buf_addc(b, *p++);
	n = strcspn(p, ".");
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf_addc(b, ',');
		buf_addc(b, p[i]);
	}
	buf_adds(b, p + n);
}
