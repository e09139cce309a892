/*
 * pgreplay.c: a write transaction's statements and the digests of their
 * answers, and their replay (see pgreplay.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "pgreplay.h"
#include "util.h"

#define PGR_DIG	16

struct pgr_ent {
	char		*name;		/* a prepared statement's, or NULL */
	char		*sql;		/* name NULL: PQexec's text */
	int		 n;
	char		**pv;		/* n parameters, NULL a NULL */
	int		*len;
	int		*fmt;
	unsigned char	 dig[PGR_DIG];
};

static void
dig_u64(crypto_generichash_state *h, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	crypto_generichash_update(h, b, sizeof(b));
}

/*
 * The digest of an answer: its status, shape, the rows it changed, and
 * every value with its length (a NULL apart from an empty value).
 */
static void
digest(const PGresult *r, unsigned char out[PGR_DIG])
{
	crypto_generichash_state h;
	const char *ct = PQcmdTuples((PGresult *)r);
	int nt = PQntuples(r), nf = PQnfields(r), i, j;

	crypto_generichash_init(&h, NULL, 0, PGR_DIG);
	dig_u64(&h, (uint64_t)PQresultStatus(r));
	dig_u64(&h, (uint64_t)nt);
	dig_u64(&h, (uint64_t)nf);
	crypto_generichash_update(&h, (const unsigned char *)ct,
	    strlen(ct) + 1);
	for (i = 0; i < nt; i++)
		for (j = 0; j < nf; j++) {
			if (PQgetisnull(r, i, j)) {
				dig_u64(&h, UINT64_MAX);
				continue;
			}
			dig_u64(&h, (uint64_t)PQgetlength(r, i, j));
			crypto_generichash_update(&h,
			    (const unsigned char *)PQgetvalue(r, i, j),
			    (unsigned long long)PQgetlength(r, i, j));
		}
	crypto_generichash_final(&h, out, PGR_DIG);
}

static void
ent_free(struct pgr_ent *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		free(e->pv[i]);
	free(e->pv);
	free(e->len);
	free(e->fmt);
	free(e->name);
	free(e->sql);
}

void
pgr_clear(struct pgreplay *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		ent_free(&g->v[i]);
	g->n = 0;
	g->bytes = 0;
	g->full = 0;
}

void
pgr_free(struct pgreplay *g)
{
	pgr_clear(g);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

size_t
pgr_add(struct pgreplay *g, const char *name, const char *sql, int n,
    const char *const *pv, const int *len, const int *fmt, const PGresult *r)
{
	struct pgr_ent *e;
	size_t k;
	int i;

	if (g->full)
		return SIZE_MAX;
	for (i = 0, k = sql != NULL ? strlen(sql) : 0; i < n; i++)
		k += pv[i] != NULL ? (size_t)len[i] + 1 : 0;
	if (g->bytes + k > PGR_MAXBYTES) {
		/* too much to keep: the transaction is not replayed */
		pgr_clear(g);
		g->full = 1;
		return SIZE_MAX;
	}
	g->bytes += k;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = xreallocarray(g->v, g->cap, sizeof(*g->v));
	}
	e = &g->v[g->n++];
	memset(e, 0, sizeof(*e));
	e->name = name != NULL ? xstrdup(name) : NULL;
	e->sql = sql != NULL ? xstrdup(sql) : NULL;
	e->n = n;
	if (n > 0) {
		e->pv = xcalloc((size_t)n, sizeof(*e->pv));
		e->len = xcalloc((size_t)n, sizeof(*e->len));
		e->fmt = xcalloc((size_t)n, sizeof(*e->fmt));
	}
	for (i = 0; i < n; i++) {
		e->len[i] = len[i];
		e->fmt[i] = fmt[i];
		if (pv[i] == NULL)
			continue;
		/* text parameters end in a NUL; binary ones are len bytes */
		e->pv[i] = xmalloc((size_t)len[i] + 1);
		memcpy(e->pv[i], pv[i], (size_t)len[i]);
		e->pv[i][len[i]] = '\0';
	}
	if (r != NULL)
		digest(r, e->dig);
	return g->n - 1;
}

void
pgr_answer(struct pgreplay *g, size_t i, const PGresult *r)
{
	if (!g->full && i < g->n)
		digest(r, g->v[i].dig);
}

PGresult *
pgr_exec(const struct pgreplay *g, PGconn *c, size_t i)
{
	const struct pgr_ent *e = &g->v[i];

	return e->name != NULL ? PQexecPrepared(c, e->name, e->n,
	    (const char *const *)e->pv, e->len, e->fmt, 1) : PQexec(c, e->sql);
}

int
pgr_replay(const struct pgreplay *g, PGconn *c, size_t upto, size_t *at,
    PGresult **fail)
{
	unsigned char d[PGR_DIG];
	const struct pgr_ent *e;
	ExecStatusType s;
	PGresult *r;
	size_t i;

	*fail = NULL;
	for (i = 0; i < upto && i < g->n; i++) {
		e = &g->v[i];
		*at = i;
		r = pgr_exec(g, c, i);
		s = PQresultStatus(r);
		if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
			*fail = r;
			return -1;
		}
		digest(r, d);
		PQclear(r);
		if (sodium_memcmp(d, e->dig, PGR_DIG) != 0)
			return 1;
	}
	return 0;
}
