/*
 * pack.c: encode and decode the packed data form (see pack.h).
 */
#include <stdlib.h>
#include <string.h>

#include "jrec.h"
#include "pack.h"

static void
pk_varint(struct buf *b, size_t v)
{
	unsigned char tmp[10];
	int n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	buf_add(b, tmp, (size_t)n);
}

/* The decimal text of v into tmp (an int64 takes 20 bytes); its length. */
static int
int_text(int64_t v, char *tmp)
{
	char rev[20];
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	int n = 0, len = 0;

	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[len++] = '-';
	while (n > 0)
		tmp[len++] = rev[--n];
	return len;
}

/*
 * The packed form of v into b and, when json is not NULL, the canonical
 * JSON that jw_json() writes into json, in one walk: meter-ingest needs
 * both of every event's data (the digest hashes the JSON, the ledger
 * keeps the packed form, the output shows the JSON), and a walk each
 * sorted every object's members and formatted every number twice.
 */
void
pk_pack_json(struct buf *b, struct buf *json, json_t *v, const struct jrec *r)
{
	struct jw_member stack[16], *mem;
	json_t *e;
	size_t i, n;
	char tmp[DEC_FMTMAX];
	int len;
	dec d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_addc(b, 'o');
		mem = jw_sorted_members(v, stack, 16, &n);
		pk_varint(b, n);
		if (json)
			buf_addc(json, '{');
		for (i = 0; i < n; i++) {
			size_t kl = strlen(mem[i].k);

			pk_varint(b, kl);
			buf_add(b, mem[i].k, kl);
			if (json) {
				if (i > 0)
					buf_addc(json, ',');
				jw_put_strn(json, mem[i].k, kl);
				buf_addc(json, ':');
			}
			pk_pack_json(b, json, mem[i].v, r);
		}
		if (json)
			buf_addc(json, '}');
		if (mem != stack)
			free(mem);
		break;
	case JSON_ARRAY:
		buf_addc(b, 'a');
		pk_varint(b, json_array_size(v));
		if (json)
			buf_addc(json, '[');
		json_array_foreach(v, i, e) {
			if (json && i > 0)
				buf_addc(json, ',');
			pk_pack_json(b, json, e, r);
		}
		if (json)
			buf_addc(json, ']');
		break;
	case JSON_STRING:
		buf_addc(b, 's');
		pk_varint(b, json_string_length(v));
		buf_add(b, json_string_value(v), json_string_length(v));
		if (json)
			jw_put_strn(json, json_string_value(v),
			    json_string_length(v));
		break;
	case JSON_INTEGER:
		/* its digits are its normalized decimal (jrec_ints) */
		len = int_text((int64_t)json_integer_value(v), tmp);
		goto number;
	case JSON_REAL:
		if (r == NULL || jrec_num(r, v, &d) < 0)
			die(EX_SOFTWARE, "pack: number without its exact value");
		len = dec_fmt(dec_normalize(d), tmp, sizeof(tmp));
		if (len < 0)
			die(EX_SOFTWARE, "pack: decimal does not format");
	number:
		buf_addc(b, 'n');
		pk_varint(b, (size_t)len);
		buf_add(b, tmp, (size_t)len);
		if (json)
			buf_add(json, tmp, (size_t)len);
		break;
	case JSON_TRUE:
		buf_addc(b, 't');
		if (json)
			JW_LIT(json, "true");
		break;
	case JSON_FALSE:
		buf_addc(b, 'f');
		if (json)
			JW_LIT(json, "false");
		break;
	case JSON_NULL:
		buf_addc(b, 'z');
		if (json)
			JW_LIT(json, "null");
		break;
	}
}

void
pk_pack(struct buf *b, json_t *v, const struct jrec *r)
{
	pk_pack_json(b, NULL, v, r);
}

static int
pk_rdvarint(const unsigned char **pp, const unsigned char *e, size_t *out)
{
	const unsigned char *p = *pp;
	size_t v = 0;
	int shift = 0;

	for (;;) {
		if (p >= e || shift > 56)
			return -1;
		v |= (size_t)(*p & 0x7f) << shift;
		if (!(*p++ & 0x80))
			break;
		shift += 7;
	}
	*pp = p;
	*out = v;
	return 0;
}

/* Decode the header of the value at *pp; for containers p is the body. */
static int
pk_head(const unsigned char *p, const unsigned char *e, struct pk_val *v)
{
	if (p >= e)
		return -1;
	v->tag = *p++;
	switch (v->tag) {
	case 'o':
	case 'a':
		if (pk_rdvarint(&p, e, &v->len) < 0)
			return -1;
		v->p = p;
		v->end = NULL;	/* unknown until skipped */
		return 0;
	case 's':
	case 'n':
		if (pk_rdvarint(&p, e, &v->len) < 0 ||
		    (size_t)(e - p) < v->len)
			return -1;
		v->p = p;
		v->end = p + v->len;
		return 0;
	case 't':
	case 'f':
	case 'z':
		v->p = p;
		v->len = 0;
		v->end = p;
		return 0;
	}
	return -1;
}

/* Skip one value; returns the position after it or NULL. */
static const unsigned char *
pk_skip(const unsigned char *p, const unsigned char *e, int depth)
{
	struct pk_val v;
	size_t i, kl;

	if (depth > 256 || pk_head(p, e, &v) < 0)
		return NULL;
	if (v.end != NULL)
		return v.end;
	p = v.p;
	for (i = 0; i < v.len; i++) {
		if (v.tag == 'o') {
			if (pk_rdvarint(&p, e, &kl) < 0 ||
			    (size_t)(e - p) < kl)
				return NULL;
			p += kl;
		}
		if ((p = pk_skip(p, e, depth + 1)) == NULL)
			return NULL;
	}
	return p;
}

static const unsigned char *
pk_emit(struct jw *w, const unsigned char *p, const unsigned char *e,
    int depth)
{
	struct pk_val v;
	size_t i, kl;
	char key[1024], *kp;

	if (depth > 256 || pk_head(p, e, &v) < 0)
		return NULL;
	switch (v.tag) {
	case 'o':
	case 'a':
		jw_open(w, v.tag == 'o' ? '{' : '[');
		p = v.p;
		for (i = 0; i < v.len; i++) {
			if (v.tag == 'o') {
				if (pk_rdvarint(&p, e, &kl) < 0 ||
				    (size_t)(e - p) < kl)
					return NULL;
				kp = kl < sizeof(key) ? key : xmalloc(kl + 1);
				memcpy(kp, p, kl);
				kp[kl] = '\0';
				jw_key(w, kp);
				if (kp != key)
					free(kp);
				p += kl;
			}
			if ((p = pk_emit(w, p, e, depth + 1)) == NULL)
				return NULL;
		}
		jw_close(w, v.tag == 'o' ? '}' : ']');
		return p;
	case 's':
		jw_strn(w, (const char *)v.p, v.len);
		break;
	case 'n':
		jw_raw(w, (const char *)v.p, v.len);
		break;
	case 't':
		jw_bool(w, 1);
		break;
	case 'f':
		jw_bool(w, 0);
		break;
	case 'z':
		jw_null(w);
		break;
	}
	return v.end;
}

int
pk_json(struct jw *w, const unsigned char *p, size_t n)
{
	const unsigned char *e = p + n;

	p = pk_emit(w, p, e, 0);
	return p == e ? 0 : -1;
}

int
pk_get(const unsigned char *p, size_t n, const char *path, struct pk_val *out)
{
	const unsigned char *e = p + n;
	const char *seg, *dot;
	size_t seglen, i, kl;
	struct pk_val v;
	int found;

	seg = path;
	for (;;) {
		dot = strchr(seg, '.');
		seglen = dot ? (size_t)(dot - seg) : strlen(seg);
		if (pk_head(p, e, &v) < 0)
			return -1;
		if (v.tag != 'o')
			return 0;
		p = v.p;
		found = 0;
		for (i = 0; i < v.len; i++) {
			if (pk_rdvarint(&p, e, &kl) < 0 || (size_t)(e - p) < kl)
				return -1;
			if (kl == seglen && memcmp(p, seg, kl) == 0) {
				p += kl;
				found = 1;
				break;
			}
			p += kl;
			if ((p = pk_skip(p, e, 0)) == NULL)
				return -1;
		}
		if (!found)
			return 0;
		if (dot == NULL) {
			if (pk_head(p, e, out) < 0)
				return -1;
			if (out->end == NULL &&
			    (out->end = pk_skip(p, e, 0)) == NULL)
				return -1;
			return 1;
		}
		seg = dot + 1;
	}
}
