/*
 * tally.c: counting chunks of usage records into metering tables (see
 * tally.h).  Runs on meter-aggregate's worker and scan threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "kset.h"
#include "reject.h"
#include "tally.h"
#include "urec.h"

static void
chunk_reject(struct tally_chunk *c, size_t line, const char *cls,
    const char *code, const char *field, const char *msg)
{
	struct tally_rej *r;

	if (c->nrj == c->caprj) {
		c->caprj = c->caprj ? 2 * c->caprj : 16;
		c->rj = xreallocarray(c->rj, c->caprj, sizeof(*c->rj));
	}
	r = &c->rj[c->nrj++];
	r->line = line;
	r->cls = cls;
	r->code = code;
	r->foff = c->txt.len;
	buf_add(&c->txt, field, strlen(field) + 1);
	r->moff = c->txt.len;
	buf_add(&c->txt, msg, strlen(msg) + 1);
}

/* What agg_event made of record i. */
static void
count(struct tally_chunk *c, size_t i, int r, const struct agg_err *err)
{
	switch (r) {
	case AGG_COUNTED:
		c->counted++;
		break;
	case AGG_UNMETERED:
		c->unmetered++;
		break;
	case AGG_OUTSIDE:
		c->outside++;
		break;
	default:
		chunk_reject(c, i, err->cls, err->code, err->field, err->msg);
	}
}

/* A chunk of NDJSON lines. */
void
tally_lines(struct tally *w, struct tally_chunk *c)
{
	struct agg_err err;
	struct urec u;
	struct aev ev;
	char msg[640];
	size_t i;
	int r;

	for (i = 0; i < c->n; i++) {
		const struct tally_line *l = &c->l[i];

		if (l->flags & LR_TOOLONG) {
			snprintf(msg, sizeof(msg), "line of %zu bytes is "
			    "longer than the limit of %zu (--max-line)",
			    l->fulllen, w->max_line);
			chunk_reject(c, i, RC_DATA, "line_too_long", "", msg);
			continue;
		}
		r = jrec_parse(&w->jr, c->data.p + l->off, l->len);
		if (r < 0 && (l->flags & LR_NONL)) {
			/* JSON is self-delimiting: a cut last line cannot parse */
			snprintf(msg, sizeof(msg), "last line has no newline and "
			    "is not a complete record (%s)", w->jr.msg);
			chunk_reject(c, i, RC_DATA, "partial_line", w->jr.field,
			    msg);
			continue;
		}
		if (r < 0 || urec_read(&w->jr, &u) < 0) {
			chunk_reject(c, i, RC_DATA, w->jr.code, w->jr.field,
			    w->jr.msg);
			continue;
		}
		if (w->keys != NULL) {
			/* one worker only: the first record in input order wins */
			r = kset_seen(w->keys, &u, msg, sizeof(msg));
			if (r == 1) {
				c->dups++;
				continue;
			}
			if (r == 2) {
				chunk_reject(c, i, RC_CONFLICT,
				    "idempotency_conflict", "key", msg);
				continue;
			}
		}
		memset(&ev, 0, sizeof(ev));
		ev.customer = u.customer;
		ev.customer_len = u.customer_len;
		ev.type = u.type;
		ev.type_len = u.type_len;
		ev.t = u.t;
		ev.key = u.key;
		ev.data = u.data;
		ev.jr = &w->jr;
		r = agg_event(w->tab, &ev, &err);
		count(c, i, r, &err);
		/* a refused record claims no key: its fix can be replayed */
		if (w->keys != NULL && r != AGG_REJECT)
			kset_add(w->keys, &u);
	}
}

/* A chunk of ledger rows: no JSON to parse. */
void
tally_rows(struct tally *w, struct tally_chunk *c)
{
	const struct tally_row *rows = (const struct tally_row *)c->rows.p;
	const char *d = c->data.p;
	struct agg_err err;
	struct aev ev;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	for (i = 0; i < c->n; i++) {
		const struct tally_row *r = &rows[i];
		const int64_t dns = 86400LL * 1000000000LL;
		int64_t day = r->t / dns - (r->t % dns < 0);

		/*
		 * The scan goes by event day: a new day means no earlier
		 * event is to come, so the gauges walk what they hold.
		 */
		if (day != w->day) {
			if (w->day != INT64_MIN)
				agg_fold(w->tab);
			w->day = day;
		}

		ev.customer = d + r->customer;
		ev.customer_len = r->customer_len;
		ev.type = d + r->type;
		ev.type_len = r->type_len;
		ev.t = r->t;
		ev.key = (const unsigned char *)d + r->key;
		ev.packed = (const unsigned char *)d + r->pdata;
		ev.packed_len = r->datalen;
		count(c, i, agg_event(w->tab, &ev, &err), &err);
	}
}

void
tally_reset(struct tally_chunk *c)
{
	buf_reset(&c->data);
	buf_reset(&c->txt);
	buf_reset(&c->rows);
	c->n = c->nrj = 0;
	c->counted = c->unmetered = c->outside = c->dups = 0;
}

void
tally_free(struct tally_chunk *c)
{
	buf_free(&c->data);
	buf_free(&c->txt);
	buf_free(&c->rows);
	free(c->l);
	free(c->rj);
}

int
tally_scan_row(const struct ldg_usage *u, void *arg)
{
	struct tally_scan *p = arg;
	struct agg_err err;
	struct tally_srej *r;
	struct aev ev;

	memset(&ev, 0, sizeof(ev));
	ev.customer = u->customer;
	ev.customer_len = u->customer_len;
	ev.type = u->type;
	ev.type_len = u->type_len;
	ev.t = u->t;
	ev.key = u->key;
	ev.packed = u->data;
	ev.packed_len = u->datalen;
	p->read++;
	switch (agg_event(p->tab, &ev, &err)) {
	case AGG_COUNTED:
		p->counted++;
		return 0;
	case AGG_UNMETERED:
		p->unmetered++;
		return 0;
	case AGG_OUTSIDE:
		p->outside++;
		return 0;
	}
	if (p->nrj == p->maxrej) {
		p->full = 1;
		return 1;	/* stop: the single scan will do */
	}
	if (p->nrj == p->caprj) {
		p->caprj = p->caprj ? 2 * p->caprj : 64;
		p->rj = xreallocarray(p->rj, p->caprj, sizeof(*p->rj));
	}
	r = &p->rj[p->nrj++];
	r->t = u->t;
	r->seq = u->seq;
	r->cls = err.cls;
	r->code = err.code;
	r->foff = p->txt.len;
	buf_add(&p->txt, err.field, strlen(err.field) + 1);
	r->moff = p->txt.len;
	buf_add(&p->txt, err.msg, strlen(err.msg) + 1);
	r->roff = p->txt.len;
	if (p->raw != NULL && p->rej_stage != NULL) {
		struct rej_src src;

		buf_reset(&p->scratch);
		p->raw(p->raw_arg, u->t, u->seq, &p->scratch);
		memset(&src, 0, sizeof(src));
		src.file = p->rej_file;
		src.line = (uint64_t)u->seq;
		src.raw = p->scratch.p;
		src.rawlen = p->scratch.len - 1;	/* not its newline */
		rej_record(&p->txt, p->rej_stage, &src, err.cls, err.code,
		    err.field, err.msg, strlen(err.msg));
	} else if (p->raw != NULL)
		p->raw(p->raw_arg, u->t, u->seq, &p->txt);
	r->rlen = p->txt.len - r->roff;
	return 0;
}

void
tally_scan_free(struct tally_scan *p)
{
	free(p->rj);
	buf_free(&p->txt);
	buf_free(&p->scratch);
}
