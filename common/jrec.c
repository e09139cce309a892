/*
 * jrec.c: parse a line into a jansson object with exact numbers.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jrec.h"
#include "util.h"

#define JREC_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL | \
		    JSON_DECODE_ANY)

/*
 * The arena (jrec_arena): a tree is a few dozen small allocations, each a
 * malloc and a free, a fifth of the time jansson takes.  While a jrec with
 * an arena parses, jansson allocates from the calling thread's arena, a
 * bump pointer; freeing a node of it does nothing, and the arena starts
 * over when the record is cleared.  Past the arena's end, and outside
 * json_loadb, allocation is malloc's, and freeing a pointer outside every
 * arena is free's, so trees may mix both.  Any thread may free a tree
 * (the last one of a thread is freed by whoever frees its jrec); a tree
 * must not outlive its record, and a thread parses with one such jrec.
 */
#define ARENA_SIZE	(1 << 20)
#define ARENA_MAX	64	/* threads that ever parse with an arena */

static __thread struct {
	char	*base;
	size_t	 used;
	int	 on;
	/*
	 * Allocations this thread made with malloc, not the arena: a tree
	 * parsed while this stays still is all in the arena (jrec_clear).
	 */
	unsigned long	 spills;
} arena;

/* Every arena's base, for arena_free; appended under the lock only. */
static char *arenas[ARENA_MAX];
static int narenas;
static pthread_mutex_t arenas_mu = PTHREAD_MUTEX_INITIALIZER;

static void *
arena_malloc(size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (arena.on && n <= ARENA_SIZE - arena.used) {
		p = arena.base + arena.used;
		arena.used += n;
		return p;
	}
	arena.spills++;
	return malloc(n);
}

static void
arena_free(void *p)
{
	int i, n = __atomic_load_n(&narenas, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if ((char *)p >= arenas[i] && (char *)p < arenas[i] +
		    ARENA_SIZE)
			return;
	free(p);
}

/* This thread's arena, made on its first parse. */
static int
arena_start(void)
{
	if (arena.base == NULL) {
		pthread_mutex_lock(&arenas_mu);
		if (narenas < ARENA_MAX) {
			arena.base = xmalloc(ARENA_SIZE);
			arenas[narenas] = arena.base;
			__atomic_store_n(&narenas, narenas + 1,
			    __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&arenas_mu);
		if (arena.base == NULL)
			return 0;	/* too many threads: malloc's */
	}
	arena.on = 1;
	return 1;
}

void
jrec_arena(struct jrec *r)
{
	static int hooked;

	if (!hooked) {	/* before any tree exists: from main, at start */
		json_set_alloc_funcs(arena_malloc, arena_free);
		hooked = 1;
	}
	r->arena = 1;
}

void
jrec_init(struct jrec *r, int maxdepth)
{
	memset(r, 0, sizeof(*r));
	r->maxdepth = maxdepth > 0 ? maxdepth : JREC_MAXDEPTH_DEFAULT;
}

/*
 * A tree parsed into this thread's arena, to which this thread added
 * nothing from malloc since (an absent data object, a node past the
 * arena's end), is all in the arena: starting the arena over frees it,
 * and walking it to free every node (a fiftieth of the reader's work)
 * would free nothing.  Nothing outside the tree is attached to it (no
 * json_incref, see jrec_arena), so no count elsewhere needs the walk.
 */
static int
jrec_in_arena(const struct jrec *r)
{
	return r->arena && r->abase != NULL && arena.base == r->abase &&
	    r->aspills == arena.spills;
}

void
jrec_clear(struct jrec *r)
{
	if (r->root != NULL && !jrec_in_arena(r))
		json_decref(r->root);
	r->root = NULL;
	if (r->arena && arena.base == r->abase)
		arena.used = 0;		/* in the thread that parsed it */
	r->abase = NULL;
	r->n = 0;
	r->sorted = 0;
	r->code = NULL;
	r->field[0] = r->msg[0] = '\0';
}

void
jrec_free(struct jrec *r)
{
	jrec_clear(r);
	free(r->nums);
	free(r->spans);
	free(r->segs);
	r->segs = NULL;
	r->nums = NULL;
	r->spans = NULL;
}

void
jrec_adopt(struct jrec *r, json_t *root)
{
	jrec_clear(r);
	r->root = root;
}

void
jrec_addnum(struct jrec *r, json_t *node, dec v)
{
	if (r->sorted)
		die(EX_SOFTWARE, "jrec: number added after sorting");
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->nums = xreallocarray(r->nums, r->cap, sizeof(*r->nums));
	}
	r->nums[r->n].node = node;
	r->nums[r->n].val = v;
	r->n++;
}

int
jrec_fail(struct jrec *r, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	if (field != r->field)	/* walk_path() formats in place */
		snprintf(r->field, sizeof(r->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Note the start and length of every number token outside strings.  The
 * grammar makes this easy: outside strings, only numbers contain digits or
 * '-'.  The scan is not a validator; jansson validates afterwards.
 */
static void
jrec_scan(struct jrec *r, const char *s, size_t n)
{
	size_t i = 0, j;

	r->nspans = 0;
	r->colons = 0;
	while (i < n) {
		char c = s[i];

		if (c == '"') {
			/*
			 * To the closing quote: memchr finds each quote, and
			 * one after an odd run of backslashes is escaped.
			 */
			for (i++;; i = j + 1) {
				const char *q = i < n ? memchr(s + i, '"',
				    n - i) : NULL;
				size_t k;

				if (q == NULL) {
					j = n;
					break;
				}
				j = (size_t)(q - s);
				for (k = j; k > i && s[k - 1] == '\\'; k--)
					;
				if ((j - k) % 2 == 0)
					break;
			}
			i = j + 1;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			for (j = i + 1; j < n; j++) {
				c = s[j];
				if (!((c >= '0' && c <= '9') || c == '.' ||
				    c == 'e' || c == 'E' || c == '+' || c == '-'))
					break;
			}
			if (r->nspans + 2 > r->spancap) {
				r->spancap = r->spancap ? r->spancap * 2 : 32;
				r->spans = xreallocarray(r->spans, r->spancap,
				    sizeof(*r->spans));
			}
			r->spans[r->nspans++] = i;
			r->spans[r->nspans++] = j - i;
			i = j;
			continue;
		}
		if (c == ':')
			r->colons++;	/* one a member (jrec_parse) */
		i++;
	}
}

/*
 * The walk keeps the path to the current value as a stack of segments and
 * formats it ("data.items[3].n") only when it reports an error: building
 * it for every key cost more than the rest of the walk.
 */
struct seg {
	const char	*key;	/* NULL for an array index */
	size_t		 idx;
};

struct walk {
	struct jrec	*r;
	const char	*line;
	size_t		 next;		/* next span index */
	size_t		 members;	/* of all objects walked */
	struct seg	*segs;
	int		 nseg;
};

static const char *
walk_path(struct walk *w)
{
	char *p = w->r->field, *e = p + sizeof(w->r->field);
	int i, n;

	*p = '\0';
	for (i = 0; i < w->nseg && p < e; i++) {
		if (w->segs[i].key != NULL)
			n = snprintf(p, (size_t)(e - p), "%s%s", i ? "." : "",
			    w->segs[i].key);
		else
			n = snprintf(p, (size_t)(e - p), "[%zu]",
			    w->segs[i].idx);
		if (n < 0)
			break;
		p += n;
	}
	return w->r->field;
}

static int
jrec_walk(struct walk *w, json_t *v, int depth)
{
	struct jrec *r = w->r;
	void *it;
	json_t *e;
	size_t i, off, len;
	int err;

	if (depth > r->maxdepth && (json_is_object(v) || json_is_array(v)))
		return jrec_fail(r, "too_deep", walk_path(w),
		    "nesting deeper than %d levels", r->maxdepth);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		w->members += json_object_size(v);
		/* the iterator itself: json_object_foreach looks each key
		 * up again */
		for (it = json_object_iter(v); it != NULL;
		    it = json_object_iter_next(v, it)) {
			e = json_object_iter_value(it);
			/* a string, true, false or null: nothing to note */
			if (!json_is_object(e) && !json_is_array(e) &&
			    !json_is_number(e))
				continue;
			w->segs[w->nseg].key = json_object_iter_key(it);
			w->nseg++;
			if (jrec_walk(w, e, depth + 1) < 0)
				return -1;
			w->nseg--;
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) {
			w->segs[w->nseg].key = NULL;
			w->segs[w->nseg].idx = i;
			w->nseg++;
			if (jrec_walk(w, e, depth + 1) < 0)
				return -1;
			w->nseg--;
		}
		break;
	case JSON_REAL:
	case JSON_INTEGER:
		if (w->next + 1 >= r->nspans)
			return jrec_fail(r, "invalid_json", walk_path(w),
			    "number tokens do not match the parsed values");
		off = r->spans[w->next];
		len = r->spans[w->next + 1];
		w->next += 2;
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 16;
			r->nums = xreallocarray(r->nums, r->cap,
			    sizeof(*r->nums));
		}
		if ((err = dec_parse(w->line + off, len, &r->nums[r->n].val))
		    != DEC_OK)
			return jrec_fail(r, err == DEC_ERANGE ?
			    "number_out_of_range" : "number_inexact",
			    walk_path(w), "number %.*s cannot be read exactly: "
			    "%s", len > 64 ? 64 : (int)len, w->line + off,
			    dec_strerror(err));
		r->nums[r->n].node = v;
		r->n++;
		break;
	default:
		break;
	}
	return 0;
}

static int
jnum_cmp(const void *a, const void *b)
{
	const struct jnum *x = a, *y = b;

	return x->node < y->node ? -1 : x->node > y->node;
}

/* One parse with jansson's flags, the scan before it, the walk after. */
static int
jrec_parse_flags(struct jrec *r, const char *s, size_t n, size_t flags)
{
	json_error_t e;
	struct walk w;
	const char *code;

	jrec_clear(r);
	jrec_scan(r, s, n);
	if (r->arena && arena_start()) {
		r->abase = arena.base;
		r->aspills = arena.spills;
	}
	r->root = json_loadb(s, n, flags, &e);
	arena.on = 0;
	if (r->root == NULL) {
		switch (json_error_code(&e)) {
		case json_error_duplicate_key:
			code = "duplicate_key";
			break;
		case json_error_invalid_utf8:
			code = "invalid_utf8";
			break;
		case json_error_numeric_overflow:
			code = "number_out_of_range";
			break;
		case json_error_premature_end_of_input:
			code = "truncated_json";
			break;
		case json_error_stack_overflow:
			code = "too_deep";
			break;
		default:
			code = "invalid_json";
			break;
		}
		return jrec_fail(r, code, "", "%s at column %d", e.text,
		    e.column);
	}
	if (!json_is_object(r->root)) {
		const char *what = json_is_array(r->root) ? "an array" :
		    json_is_string(r->root) ? "a string" :
		    (json_is_number(r->root) ? "a number" : "a literal");

		return jrec_fail(r, "not_object", "",
		    "expected a JSON object, got %s", what);
	}
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.line = s;
	/* the walk stops at maxdepth containers, so this bounds the stack */
	if (r->segs == NULL)
		r->segs = xcalloc((size_t)r->maxdepth + 2, sizeof(struct seg));
	w.segs = r->segs;
	if (jrec_walk(&w, r->root, 1) < 0)
		return -1;
	if (w.next != r->nspans)
		return jrec_fail(r, "invalid_json", "",
		    "number tokens do not match the parsed values");
	r->members = w.members;
	if (r->n > 16) {
		qsort(r->nums, r->n, sizeof(*r->nums), jnum_cmp);
		r->sorted = 1;
	}
	return 0;
}

/*
 * JSON_REJECT_DUPLICATES has jansson look every key up before it adds
 * it: a tenth of its parse.  So the first parse goes without it.  A
 * duplicate key then replaces the earlier member, and the objects hold
 * fewer members than the line has colons outside strings (the scan
 * counts these, the walk adds up the objects' sizes).  A line that
 * fails in any way, or whose counts differ, is parsed again with the
 * flag: its error is the one that parse gives, as before.
 */
int
jrec_parse(struct jrec *r, const char *s, size_t n)
{
	size_t fast = JREC_FLAGS & ~JSON_REJECT_DUPLICATES;

	/*
	 * With jrec_ints, integers without JSON_DECODE_INT_AS_REAL: one
	 * that does not fit an int64 fails the parse, which the flags of
	 * the second parse then read as before.
	 */
	if (r->ints)
		fast &= ~(size_t)JSON_DECODE_INT_AS_REAL;
	if (jrec_parse_flags(r, s, n, fast) == 0 && r->members == r->colons)
		return 0;
	return jrec_parse_flags(r, s, n, JREC_FLAGS);
}

void
jrec_ints(struct jrec *r)
{
	r->ints = 1;
}

int
jrec_num(const struct jrec *r, json_t *node, dec *out)
{
	struct jnum key, *p;
	size_t i;

	if (r->sorted) {
		key.node = node;
		p = bsearch(&key, r->nums, r->n, sizeof(*r->nums), jnum_cmp);
		if (p == NULL)
			return -1;
		*out = p->val;
		return 0;
	}
	for (i = 0; i < r->n; i++)
		if (r->nums[i].node == node) {
			*out = r->nums[i].val;
			return 0;
		}
	return -1;
}

int
jrec_check_schema(struct jrec *r, int maxmajor)
{
	json_t *v;
	const char *s;
	char *end;
	long major;

	v = json_object_get(r->root, "schema");
	if (v == NULL)
		return jrec_fail(r, "missing_field", "schema",
		    "record has no schema version");
	if (!json_is_string(v))
		return jrec_fail(r, "invalid_field", "schema",
		    "schema version must be a string like \"1.0\"");
	s = json_string_value(v);
	major = strtol(s, &end, 10);
	if (end == s || *end != '.' || major < 1)
		return jrec_fail(r, "invalid_field", "schema",
		    "schema version '%s' is not MAJOR.MINOR", s);
	if (major > maxmajor)
		return jrec_fail(r, "unsupported_schema", "schema",
		    "schema version %s is newer than this program reads "
		    "(major %d); upgrade the toolchain", s, maxmajor);
	return 0;
}

int
jrec_int(const struct jrec *jr, json_t *v, int64_t min, int64_t max,
    int64_t *out)
{
	dec d, r;

	if (!json_is_number(v) || jrec_num(jr, v, &d) < 0 ||
	    dec_round(d, 0, DEC_DOWN, &r) != DEC_OK || dec_cmp(r, d) != 0 ||
	    dec_cmp(d, dec_from_i64(min)) < 0 ||
	    dec_cmp(d, dec_from_i64(max)) > 0)
		return -1;
	*out = (int64_t)r.c;
	return 0;
}

int
jrec_str(struct jrec *r, const char *what, const char *k, int required,
    const char **out, size_t *len)
{
	json_t *v = json_object_get(r->root, k);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return jrec_fail(r, "missing_field", k, "%s has no "
			    "'%s'", what, k);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return jrec_fail(r, "invalid_field", k, "'%s' must be a "
		    "non-empty string", k);
	*out = json_string_value(v);
	if (len != NULL)
		*len = json_string_length(v);
	return 1;
}
