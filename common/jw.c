/*
 * jw.c: compact JSON output with a fixed key order for our records and a
 * canonical form (sorted keys, exact normalized numbers) for event data.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jrec.h"
#include "jw.h"
#include "keys.h"
#include "tm.h"

void
jw_init(struct jw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

/* Before a value (or a key): a comma unless it is the first one. */
static void
jw_sep(struct jw *w)
{
	if (w->afterkey) {
		w->afterkey = 0;
		return;
	}
	if (w->depth > 0) {
		if (w->comma[w->depth])
			buf_addc(w->b, ',');
		w->comma[w->depth] = 1;
	}
}

void
jw_open(struct jw *w, int c)
{
	jw_sep(w);
	if (w->depth + 1 >= JW_MAXDEPTH)
		die(EX_SOFTWARE, "json writer: nesting too deep");
	buf_addc(w->b, c);
	w->comma[++w->depth] = 0;
}

void
jw_close(struct jw *w, int c)
{
	buf_addc(w->b, c);
	w->depth--;
}

static const char hexdig[] = "0123456789abcdef";

/*
 * Escaped, a byte at a time straight into the buffer, with room made
 * first for every byte escaped as two: a quote or a backslash, the
 * escapes a record quoted whole is full of (a reject's raw has one
 * every few bytes, where copying the runs between them cost a memcpy
 * call each).  Only a control character, escaped as \u00XX, makes room
 * again.
 */
void
jw_escape(struct buf *b, const char *s, size_t n)
{
	/* 1: the byte must be escaped (controls, quote, backslash) */
	static const unsigned char must[256] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		['"'] = 1, ['\\'] = 1,
	};
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	char *o;

	if (n > (SIZE_MAX - b->len - 1) / 2)
		die(EX_OSERR, "buffer size overflows");
	buf_grow(b, 2 * n);
	o = b->p + b->len;
	for (; p < e; p++) {
		if (!must[*p]) {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '\\';
		switch (*p) {
		case '"':  *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		default:	/* \u00XX: 4 more than the 2 made room for */
			b->len = (size_t)(o - b->p);
			buf_grow(b, 5 + 2 * (size_t)(e - p - 1));
			o = b->p + b->len;
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hexdig[*p >> 4];
			*o++ = hexdig[*p & 15];
			break;
		}
	}
	b->len = (size_t)(o - b->p);
}

void
jw_key(struct jw *w, const char *k)
{
	jw_sep(w);
	buf_addc(w->b, '"');
	jw_escape(w->b, k, strlen(k));
	buf_add(w->b, "\":", 2);
	w->afterkey = 1;
}

void
jw_rawkey(struct jw *w, const char *k, size_t n)
{
	jw_sep(w);
	buf_add(w->b, k, n);
	w->afterkey = 1;
}

void
jw_strn(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	jw_put_strn(w->b, s, n);
}

void
jw_str(struct jw *w, const char *s)
{
	if (s == NULL)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

void
jw_int(struct jw *w, int64_t v)
{
	jw_sep(w);
	if (v < 0)
		buf_addc(w->b, '-');
	jw_put_u64(w->b, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void
jw_bool(struct jw *w, int v)
{
	jw_sep(w);
	buf_adds(w->b, v ? "true" : "false");
}

void
jw_null(struct jw *w)
{
	jw_sep(w);
	buf_add(w->b, "null", 4);
}

void
jw_dec(struct jw *w, dec d)
{
	jw_sep(w);
	jw_put_dec(w->b, d);
}

void
jw_decnum(struct jw *w, dec d)
{
	char tmp[DEC_FMTMAX];
	int n;

	n = dec_fmt(dec_normalize(d), tmp, sizeof(tmp));
	if (n < 0)
		die(EX_SOFTWARE, "decimal does not format");
	jw_sep(w);
	buf_add(w->b, tmp, (size_t)n);
}

void
jw_raw(struct jw *w, const char *s, size_t n)
{
	jw_sep(w);
	buf_add(w->b, s, n);
}

static int
membercmp(const void *a, const void *b)
{
	return strcmp(((const struct jw_member *)a)->k,
	    ((const struct jw_member *)b)->k);
}

/*
 * Members with their values, so the caller looks none up again; a few
 * (an event's data has two or three) by insertion, more by qsort.
 */
struct jw_member *
jw_sorted_members(json_t *o, struct jw_member *stack, size_t nstack,
    size_t *n)
{
	struct jw_member *m, x;
	const char *k;
	json_t *e;
	size_t i = 0, j;

	*n = json_object_size(o);
	m = *n <= nstack ? stack : xreallocarray(NULL, *n, sizeof(*m));
	json_object_foreach(o, k, e) {
		m[i].k = k;
		m[i++].v = e;
	}
	if (*n > 8)
		qsort(m, *n, sizeof(*m), membercmp);
	else
		for (i = 1; i < *n; i++) {
			x = m[i];
			for (j = i; j > 0 && strcmp(m[j - 1].k, x.k) > 0; j--)
				m[j] = m[j - 1];
			m[j] = x;
		}
	return m;
}

void
jw_json(struct jw *w, json_t *v, const struct jrec *r)
{
	struct jw_member stack[16], *mem;
	json_t *e;
	size_t i, n;
	dec d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jw_open(w, '{');
		mem = jw_sorted_members(v, stack, 16, &n);
		for (i = 0; i < n; i++) {
			jw_key(w, mem[i].k);
			jw_json(w, mem[i].v, r);
		}
		if (mem != stack)
			free(mem);
		jw_close(w, '}');
		break;
	case JSON_ARRAY:
		jw_open(w, '[');
		json_array_foreach(v, i, e)
			jw_json(w, e, r);
		jw_close(w, ']');
		break;
	case JSON_STRING:
		jw_strn(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jw_int(w, (int64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		if (r == NULL || jrec_num(r, v, &d) < 0)
			die(EX_SOFTWARE, "json writer: number without its "
			    "exact value");
		jw_decnum(w, d);
		break;
	case JSON_TRUE:
		jw_bool(w, 1);
		break;
	case JSON_FALSE:
		jw_bool(w, 0);
		break;
	case JSON_NULL:
		jw_null(w);
		break;
	}
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
int
jw_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	unsigned c, need, min, cp;

	while (p < e) {
		/* ASCII, the usual text, eight bytes at a time */
		while (e - p >= 8) {
			uint64_t w8;

			memcpy(&w8, p, 8);
			if (w8 & UINT64_C(0x8080808080808080))
				break;
			p += 8;
		}
		if (p == e)
			break;
		c = *p++;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; min = 0x80; cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; min = 0x800; cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; min = 0x10000; cp = c & 0x07;
		} else
			return 0;
		if ((size_t)(e - p) < need)
			return 0;
		while (need--) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (*p++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

void
jw_time(struct jw *w, int64_t t)
{
	jw_sep(w);
	jw_put_time(w->b, t);
}

void
jw_hex(struct jw *w, const unsigned char *k, size_t n)
{
	jw_sep(w);
	jw_put_hex(w->b, k, n);
}

/* ---- records by hand ---- */

void
jw_put_strn(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '"');
	jw_escape(b, s, n);
	buf_addc(b, '"');
}

void
jw_put_plain(struct buf *b, const char *s)
{
	size_t n = strlen(s);

	buf_room(b, n + 2);
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len++] = '"';
}

void
jw_put_str(struct buf *b, const char *s)
{
	if (s == NULL)
		JW_LIT(b, "null");
	else
		jw_put_strn(b, s, strlen(s));
}

void
jw_put_hex(struct buf *b, const unsigned char *k, size_t n)
{
	if (n > 64)
		die(EX_SOFTWARE, "jw_put_hex: %zu bytes", n);
	buf_room(b, 2 * n + 3);
	b->p[b->len++] = '"';
	key_hex(k, n, b->p + b->len);	/* its NUL: room made above */
	b->len += 2 * n;
	b->p[b->len++] = '"';
}

/*
 * A time or a decimal, formatted in place between its quotes (n: what
 * fmt returned, -1 on failure; room was made for max bytes).
 */
static void
put_formatted(struct buf *b, int n, const char *what)
{
	if (n < 0)
		die(EX_SOFTWARE, "%s does not format", what);
	b->p[b->len] = '"';
	b->p[b->len + 1 + (size_t)n] = '"';
	b->len += (size_t)n + 2;
}

void
jw_put_time(struct buf *b, int64_t t)
{
	buf_room(b, TM_FMTMAX + 2);
	put_formatted(b, tm_fmt(t, b->p + b->len + 1, TM_FMTMAX), "a time");
}

void
jw_put_dec(struct buf *b, dec d)
{
	buf_room(b, DEC_FMTMAX + 2);
	put_formatted(b, dec_fmt(d, b->p + b->len + 1, DEC_FMTMAX),
	    "a decimal");
}

void
jw_put_u64(struct buf *b, uint64_t u)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}
