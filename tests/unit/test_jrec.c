/*
 * test_jrec.c: exact JSON records (jrec.c), the canonical writer (jw.c)
 * and the packed form (pack.c), printed as TAP.
 *   test_jrec            fixed cases
 *   test_jrec --oracle   for each NDJSON line on stdin print either
 *                        "ERR code" or the canonical JSON, a tab, and the
 *                        JSON written back from the packed form;
 *                        jrec_oracle.py checks both against Python's
 *                        json + decimal
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jrec.h"
#include "jw.h"
#include "pack.h"
#include "tap.h"


/*
 * Canonical JSON and packed-then-unpacked JSON of one line; -2 when the
 * packed form does not unpack, or pk_pack_json() packs or writes other
 * bytes than pk_pack() and jw_json().
 */
static int
both(struct jrec *r, const char *line, struct buf *canon, struct buf *back)
{
	struct buf packed = { 0 }, packed2 = { 0 }, canon2 = { 0 };
	struct jw w;
	int rc = 0;

	buf_reset(canon);
	buf_reset(back);
	if (jrec_parse(r, line, strlen(line)) < 0)
		return -1;
	jw_init(&w, canon);
	jw_json(&w, r->root, r);
	pk_pack(&packed, r->root, r);
	pk_pack_json(&packed2, &canon2, r->root, r);
	jw_init(&w, back);
	if (pk_json(&w, (unsigned char *)packed.p, packed.len) < 0 ||
	    packed2.len != packed.len ||
	    memcmp(packed2.p, packed.p, packed.len) != 0 ||
	    canon2.len != canon->len ||
	    memcmp(canon2.p, canon->p, canon->len) != 0)
		rc = -2;
	buf_free(&packed);
	buf_free(&packed2);
	buf_free(&canon2);
	return rc;
}

static int
oracle(void)
{
	struct buf canon = { 0 }, back = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct jrec r;
	int rc;

	jrec_init(&r, 64);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		rc = both(&r, line, &canon, &back);
		if (rc == -1)
			printf("ERR %s\n", r.code);
		else if (rc == -2)
			printf("ERR pack\n");
		else
			printf("%s\t%s\n", buf_cstr(&canon), buf_cstr(&back));
	}
	free(line);
	jrec_free(&r);
	buf_free(&canon);
	buf_free(&back);
	return 0;
}

static int
parse(struct jrec *r, const char *s)
{
	return jrec_parse(r, s, strlen(s));
}

static void
canon_is(struct jrec *r, const char *in, const char *want)
{
	struct buf c = { 0 }, b = { 0 };
	int rc = both(r, in, &c, &b);

	ok(rc == 0 && strcmp(buf_cstr(&c), want) == 0 &&
	    strcmp(buf_cstr(&b), want) == 0, "%s -> %s (got %s)", in, want,
	    rc == 0 ? buf_cstr(&c) : r->code);
	buf_free(&c);
	buf_free(&b);
}

static void
fails(struct jrec *r, const char *in, const char *code, const char *field)
{
	int rc = jrec_parse(r, in, strlen(in));

	ok(rc < 0 && strcmp(r->code, code) == 0 &&
	    strcmp(r->field, field) == 0, "%s refused: %s at '%s' (got %s "
	    "at '%s')", in, code, field, rc < 0 ? r->code : "success",
	    rc < 0 ? r->field : "");
}

int
main(int argc, char **argv)
{
	struct pk_val v;
	struct buf p = { 0 };
	struct jrec ri;
	struct jrec r;
	dec d;

	if (argc > 1 && strcmp(argv[1], "--oracle") == 0)
		return oracle();
	jrec_init(&r, 4);
	canon_is(&r, "{\"a\":0.1}", "{\"a\":0.1}");
	canon_is(&r, "{\"b\":1,\"a\":2}", "{\"a\":2,\"b\":1}");
	canon_is(&r, "{\"a\":1.50,\"b\":1e3,\"c\":-0,\"d\":2.5E-3}",
	    "{\"a\":1.5,\"b\":1000,\"c\":0,\"d\":0.0025}");
	canon_is(&r, "{\"n\":9007199254740993}", "{\"n\":9007199254740993}");
	canon_is(&r, "{\"n\":12345678901234567890.123}",
	    "{\"n\":12345678901234567890.123}");
	canon_is(&r, "{\"s\":\"\\u00e9\\n\\u0001\\/\"}",
	    "{\"s\":\"\xc3\xa9\\n\\u0001/\"}");
	canon_is(&r, "{\"a\":[3,{\"z\":true,\"y\":null}],\"\":false}",
	    "{\"\":false,\"a\":[3,{\"y\":null,\"z\":true}]}");
	canon_is(&r, "  {\"a\":1}  ", "{\"a\":1}");
	/*
	 * jrec_ints: integers as JSON_INTEGER nodes, the same canonical and
	 * packed bytes; one past int64 fails jansson's strtoll and is read
	 * as a real, as without.
	 */
	jrec_init(&ri, 4);
	jrec_ints(&ri);
	canon_is(&ri, "{\"a\":[3,-0,-12],\"b\":1e3,\"c\":2.50}",
	    "{\"a\":[3,0,-12],\"b\":1000,\"c\":2.5}");
	canon_is(&ri, "{\"n\":9223372036854775807,\"m\":-9223372036854775808}",
	    "{\"m\":-9223372036854775808,\"n\":9223372036854775807}");
	canon_is(&ri, "{\"n\":12345678901234567890}",
	    "{\"n\":12345678901234567890}");
	ok(parse(&ri, "{\"n\":12345678901234567890,\"i\":5}") == 0 &&
	    json_is_real(json_object_get(ri.root, "n")) &&
	    json_is_real(json_object_get(ri.root, "i")) &&
	    parse(&ri, "{\"i\":5}") == 0 &&
	    json_is_integer(json_object_get(ri.root, "i")),
	    "jrec_ints: integers are integers unless one does not fit");
	fails(&ri, "{\"x\":1e38}", "number_out_of_range", "x");
	fails(&ri, "{\"x\":1,\"x\":2}", "duplicate_key", "");
	jrec_free(&ri);
	fails(&r, "{\"a\":1,\"a\":2}", "duplicate_key", "");
	/*
	 * The first parse does not reject duplicates (jrec_parse): a
	 * nested one, one in a record that fails later, one in a record
	 * that is not an object, one deeper than maxdepth, each refused as
	 * a parse with the flag refuses it; colons in strings are no
	 * members.
	 */
	fails(&r, "{\"a\":{\"b\":1,\"b\":2}}", "duplicate_key", "");
	ok(strcmp(r.msg, "duplicate object key near '\"b\"' at column 15")
	    == 0, "a nested duplicate's message is jansson's (got %s)",
	    r.msg);
	fails(&r, "{\"a\":{\"s\":\"x\",\"s\":\"y\"}}", "duplicate_key", "");
	fails(&r, "{\"a\":1,\"a\":2,}", "duplicate_key", "");
	fails(&r, "[{\"a\":1,\"a\":2}]", "duplicate_key", "");
	fails(&r, "{\"a\":{\"b\":[{\"c\":{},\"c\":1}]}}", "duplicate_key", "");
	canon_is(&r, "{\"a:b\":\"c:d\",\"e\":\"\\\":\"}",
	    "{\"a:b\":\"c:d\",\"e\":\"\\\":\"}");
	fails(&r, "[1]", "not_object", "");
	fails(&r, "{\"a\":", "truncated_json", "");
	fails(&r, "{\"a\":01}", "invalid_json", "");
	fails(&r, "{\"a\":{\"b\":[{\"c\":{}}]}}", "too_deep", "a.b[0].c");
	fails(&r, "{\"x\":[0,{\"y\":1e-39}]}", "number_inexact", "x[1].y");
	fails(&r, "{\"x\":1e38}", "number_out_of_range", "x");
	fails(&r, "{\"a\":\"\xff\"}", "invalid_utf8", "");
	/* numbers get their exact values */
	ok(parse(&r, "{\"a\":0.1}") == 0 &&
	    jrec_num(&r, json_object_get(r.root, "a"), &d) == 0 &&
	    d.c == 1 && d.s == 1, "jrec_num gives 0.1 exactly");
	/* pk_get finds dotted paths */
	if (parse(&r, "{\"u\":{\"t\":{\"in\":5}},\"m\":\"x\"}") < 0)
		return 1;
	pk_pack(&p, r.root, &r);
	ok(pk_get((unsigned char *)p.p, p.len, "u.t.in", &v) == 1 &&
	    v.tag == 'n' && v.len == 1 && v.p[0] == '5', "pk_get u.t.in");
	ok(pk_get((unsigned char *)p.p, p.len, "m", &v) == 1 && v.tag == 's',
	    "pk_get m");
	ok(pk_get((unsigned char *)p.p, p.len, "u.x", &v) == 0, "pk_get "
	    "absent");
	ok(pk_get((unsigned char *)p.p, p.len, "m.x", &v) == 0, "pk_get "
	    "through a string");
	ok(pk_get((unsigned char *)p.p, p.len - 1, "u.t.in", &v) == -1,
	    "pk_get on cut bytes");
	/* money in our own records is a decimal string, its scale kept */
	{
		struct buf b = { 0 };
		struct jw w;
		dec m = { 1250, 2 };

		jw_init(&w, &b);
		jw_open(&w, '{');
		JW_KEY(&w, "amount");
		jw_dec(&w, m);
		JW_KEY(&w, "n");
		jw_decnum(&w, m);
		jw_close(&w, '}');
		ok(strcmp(buf_cstr(&b), "{\"amount\":\"12.50\",\"n\":12.5}") == 0,
		    "jw_dec writes \"12.50\", jw_decnum 12.5 (got %s)",
		    buf_cstr(&b));
		buf_free(&b);
	}
	/* the schema version rule */
	parse(&r, "{\"schema\":\"1.7\"}");
	ok(jrec_check_schema(&r, 1) == 0, "schema 1.7 readable by major 1");
	parse(&r, "{\"schema\":\"2.0\"}");
	ok(jrec_check_schema(&r, 1) < 0 &&
	    strcmp(r.code, "unsupported_schema") == 0, "schema 2.0 refused");
	parse(&r, "{\"kind\":\"usage\"}");
	ok(jrec_check_schema(&r, 1) < 0 && strcmp(r.code, "missing_field") ==
	    0, "missing schema refused");
	buf_free(&p);
	jrec_free(&r);
	return tap_done();
}
