/*
 * expr.c: parse an expression by recursive descent into postfix code,
 * and run that code on a stack of decimals.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "util.h"

enum eop {
	E_NUM, E_NAME, E_NEG, E_ADD, E_SUB, E_MUL, E_DIV, E_ROUND, E_CEIL,
	E_FLOOR, E_MIN, E_MAX
};

struct enode {
	enum eop	 op;
	dec		 num;	/* E_NUM */
	char		*name;	/* E_NAME */
	int		 n;	/* E_ROUND: fraction digits */
};

struct expr {
	struct enode	*v;
	size_t		 n, cap;
	size_t		 maxstack;
};

struct eparse {
	const char	*src, *p;
	struct expr	*e;
	struct expr_perr *pe;
	int		 depth;
	size_t		 sp;	/* stack height of the code so far */
};

static int	expr_sum(struct eparse *);

static int
perr(struct eparse *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct eparse *ps, const char *at, const char *fmt, ...)
{
	va_list ap;

	ps->pe->col = (int)(at - ps->src) + 1;
	va_start(ap, fmt);
	vsnprintf(ps->pe->msg, sizeof(ps->pe->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Append one instruction; pops and pushes keep the stack's high mark. */
static struct enode *
emit(struct eparse *ps, enum eop op, size_t pops)
{
	struct expr *e = ps->e;

	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 16;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
	}
	memset(&e->v[e->n], 0, sizeof(e->v[0]));
	e->v[e->n].op = op;
	ps->sp = ps->sp - pops + 1;
	if (ps->sp > e->maxstack)
		e->maxstack = ps->sp;
	return &e->v[e->n++];
}

static void
blanks(struct eparse *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
	    *ps->p == '\r')
		ps->p++;
}

static int
isname0(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int
expect(struct eparse *ps, char c)
{
	blanks(ps);
	if (*ps->p != c)
		return perr(ps, ps->p, *ps->p ? "expected '%c'" :
		    "expected '%c' at the end", c);
	ps->p++;
	return 0;
}

static const struct {
	const char	*name;
	enum eop	 op;
	int		 nargs;
} funcs[] = {
	{ "round", E_ROUND, 2 }, { "ceil", E_CEIL, 1 },
	{ "floor", E_FLOOR, 1 }, { "min", E_MIN, 2 }, { "max", E_MAX, 2 }
};

static int
call(struct eparse *ps, const char *at, size_t len)
{
	const char *q;
	size_t f;
	long n;

	for (f = 0; f < sizeof(funcs) / sizeof(funcs[0]); f++)
		if (strlen(funcs[f].name) == len &&
		    memcmp(funcs[f].name, at, len) == 0)
			break;
	if (f == sizeof(funcs) / sizeof(funcs[0]))
		return perr(ps, at, "unknown function '%.*s' (round, ceil, "
		    "floor, min, max)", (int)len, at);
	ps->p++;	/* '(' */
	if (expr_sum(ps) < 0)
		return -1;
	if (funcs[f].op == E_ROUND) {
		if (expect(ps, ',') < 0)
			return -1;
		blanks(ps);
		for (q = ps->p, n = 0; isdig(*q) && n <= EXPR_MAXROUND; q++)
			n = 10 * n + (*q - '0');
		if (q == ps->p || n > EXPR_MAXROUND || *q == '.')
			return perr(ps, ps->p, "round's digits must be an "
			    "integer from 0 to %d", EXPR_MAXROUND);
		ps->p = q;
		emit(ps, E_ROUND, 1)->n = (int)n;
	} else if (funcs[f].nargs == 2) {
		if (expect(ps, ',') < 0 || expr_sum(ps) < 0)
			return -1;
		emit(ps, funcs[f].op, 2);
	} else
		emit(ps, funcs[f].op, 1);
	return expect(ps, ')');
}

/*
 * One part of a name into b: an identifier, or a key in backquotes for
 * any other (`input-tokens`, `2xx`, `a b`), a backquote in it doubled,
 * as SQL dialects with backquoted names (ClickHouse, MySQL) write it.
 * A key cannot hold '.': the lookup reads '.' as nesting.
 */
static int
name_part(struct eparse *ps, struct buf *b)
{
	const char *at = ps->p;

	if (*at != '`') {
		if (!isname0(*at))
			return perr(ps, at, "a name's part after '.' must "
			    "start with a letter, '_' or '`'");
		while (isname0(*ps->p) || isdig(*ps->p))
			buf_addc(b, *ps->p++);
		return 0;
	}
	for (ps->p++;; ps->p++) {
		if (*ps->p == '\0')
			return perr(ps, at, "the key quoted here has no "
			    "closing '`'");
		if (*ps->p == '.')
			return perr(ps, ps->p, "a quoted key cannot hold '.' "
			    "(a '.' between names reads a nested key)");
		if (*ps->p == '`' && *++ps->p != '`')
			break;
		buf_addc(b, *ps->p);
	}
	if (ps->p - at == 2)
		return perr(ps, at, "an empty quoted key");
	return 0;
}

/* A name (parts joined by '.') or a function call. */
static int
name(struct eparse *ps)
{
	const char *at = ps->p;
	struct buf b = { 0 };
	int quoted = 0, r;

	for (;;) {
		quoted |= *ps->p == '`';
		if (name_part(ps, &b) < 0) {
			buf_free(&b);
			return -1;
		}
		if (*ps->p != '.')
			break;
		buf_addc(&b, *ps->p++);
	}
	blanks(ps);
	if (*ps->p == '(') {
		buf_free(&b);
		if (quoted || memchr(at, '.', (size_t)(ps->p - at)) != NULL)
			return perr(ps, at, "unknown function");
		if (++ps->depth > EXPR_MAXDEPTH)
			return perr(ps, at, "nested deeper than %d",
			    EXPR_MAXDEPTH);
		r = call(ps, at, strcspn(at, " \t\r\n("));
		ps->depth--;
		return r;
	}
	emit(ps, E_NAME, 0)->name = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return 0;
}

static int
primary(struct eparse *ps)
{
	const char *at;
	dec d;
	int r;

	blanks(ps);
	at = ps->p;
	if (*at == '(') {
		ps->p++;
		if (++ps->depth > EXPR_MAXDEPTH)
			return perr(ps, at, "nested deeper than %d",
			    EXPR_MAXDEPTH);
		r = expr_sum(ps) < 0 || expect(ps, ')') < 0 ? -1 : 0;
		ps->depth--;
		return r;
	}
	if (isdig(*at)) {
		while (isdig(*ps->p))
			ps->p++;
		if (*ps->p == '.') {
			ps->p++;
			while (isdig(*ps->p))
				ps->p++;
		}
		if (dec_parse(at, (size_t)(ps->p - at), &d) != DEC_OK ||
		    isname0(*ps->p))
			return perr(ps, at, "bad number '%.*s' (digits, "
			    "optionally a point and more digits)",
			    (int)(ps->p - at + isname0(*ps->p)), at);
		emit(ps, E_NUM, 0)->num = d;
		return 0;
	}
	if (isname0(*at) || *at == '`')
		return name(ps);
	if (*at == '\0')
		return perr(ps, at, "expected an operand at the end");
	return perr(ps, at, "expected a number, a name or '(', not '%c'",
	    *at);
}

static int
unary(struct eparse *ps)
{
	const char *at;
	int r;

	blanks(ps);
	if (*ps->p != '-')
		return primary(ps);
	at = ps->p++;
	if (++ps->depth > EXPR_MAXDEPTH)
		return perr(ps, at, "nested deeper than %d", EXPR_MAXDEPTH);
	r = unary(ps);
	ps->depth--;
	if (r == 0)
		emit(ps, E_NEG, 1);
	return r;
}

static int
expr_prod(struct eparse *ps)
{
	char c;

	if (unary(ps) < 0)
		return -1;
	for (;;) {
		blanks(ps);
		if ((c = *ps->p) != '*' && c != '/')
			return 0;
		ps->p++;
		if (unary(ps) < 0)
			return -1;
		emit(ps, c == '*' ? E_MUL : E_DIV, 2);
	}
}

static int
expr_sum(struct eparse *ps)
{
	char c;

	if (expr_prod(ps) < 0)
		return -1;
	for (;;) {
		blanks(ps);
		if ((c = *ps->p) != '+' && c != '-')
			return 0;
		ps->p++;
		if (expr_prod(ps) < 0)
			return -1;
		emit(ps, c == '+' ? E_ADD : E_SUB, 2);
	}
}

int
expr_parse(const char *src, struct expr **out, struct expr_perr *pe)
{
	struct eparse ps = { src, src, NULL, pe, 0, 0 };

	*out = NULL;
	memset(pe, 0, sizeof(*pe));
	if (strlen(src) > EXPR_MAXLEN) {
		pe->col = EXPR_MAXLEN + 1;
		snprintf(pe->msg, sizeof(pe->msg), "longer than %d bytes",
		    EXPR_MAXLEN);
		return -1;
	}
	ps.e = xcalloc(1, sizeof(*ps.e));
	if (expr_sum(&ps) < 0)
		goto bad;
	blanks(&ps);
	if (*ps.p != '\0') {
		perr(&ps, ps.p, "unexpected '%c' after a complete expression",
		    *ps.p);
		goto bad;
	}
	*out = ps.e;
	return 0;
bad:
	expr_free(ps.e);
	return -1;
}

void
expr_free(struct expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->v[i].name);
	free(e->v);
	free(e);
}

/* dec codes to ours: only range and division by zero can happen */
static int
derr(int r)
{
	return r == DEC_OK ? EXPR_OK : r == DEC_EDIVZERO ? EXPR_EDIVZERO :
	    EXPR_ERANGE;
}

int
expr_eval(const struct expr *e, expr_lookup get, void *ctx, dec *out)
{
	dec st[64], *stack = st, *heap = NULL, *a, *b;
	size_t i, sp = 0;
	int r = EXPR_OK;

	if (e->maxstack > sizeof(st) / sizeof(st[0]))
		stack = heap = xcalloc(e->maxstack, sizeof(*heap));
	for (i = 0; i < e->n && r == EXPR_OK; i++) {
		const struct enode *nd = &e->v[i];

		a = sp >= 2 ? &stack[sp - 2] : NULL;
		b = sp >= 1 ? &stack[sp - 1] : NULL;
		switch (nd->op) {
		case E_NUM:
			stack[sp++] = nd->num;
			break;
		case E_NAME:
			if (get(ctx, nd->name, &stack[sp++]) < 0)
				r = EXPR_EOPERAND;
			break;
		case E_NEG:
			*b = dec_neg(*b);
			break;
		case E_ADD:
			r = derr(dec_add(*a, *b, a));
			sp--;
			break;
		case E_SUB:
			r = derr(dec_sub(*a, *b, a));
			sp--;
			break;
		case E_MUL:
			r = derr(dec_mul(*a, *b, a));
			sp--;
			break;
		case E_DIV:
			if ((r = derr(dec_div(*a, *b, EXPR_DIVSCALE,
			    DEC_HALF_EVEN, a))) == EXPR_OK)
				*a = dec_normalize(*a);
			sp--;
			break;
		case E_ROUND:
			r = derr(dec_round(*b, nd->n, DEC_HALF_UP, b));
			break;
		case E_CEIL:
			r = derr(dec_round(*b, 0, DEC_CEILING, b));
			break;
		case E_FLOOR:
			r = derr(dec_round(*b, 0, DEC_FLOOR, b));
			break;
		case E_MIN:
			if (dec_cmp(*b, *a) < 0)
				*a = *b;
			sp--;
			break;
		case E_MAX:
			if (dec_cmp(*b, *a) > 0)
				*a = *b;
			sp--;
			break;
		}
	}
	if (r == EXPR_OK)
		*out = stack[0];
	free(heap);
	return r;
}
