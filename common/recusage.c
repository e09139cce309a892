/*
 * recusage.c: the ledger's usage against the aggregates; see recusage.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aggrec.h"
#include "jrec.h"
#include "ledger.h"
#include "meters.h"
#include "pack.h"
#include "recusage.h"
#include "stagein.h"
#include "tm.h"

/*
 * A meter counts a usage record when it is of one of its event types
 * and, for a meter of a field, has that field.
 */
int
recusage_counts(const struct meter *m, const struct ldg_usage *u)
{
	struct pk_val v;
	size_t i;

	for (i = 0; i < m->ntypes; i++)
		if (strlen(m->types[i]) == u->type_len &&
		    memcmp(m->types[i], u->type, u->type_len) == 0)
			break;
	if (i == m->ntypes)
		return 0;
	return m->field == NULL ||
	    pk_get(u->data, u->datalen, m->field, &v) == 1;
}

/*
 * An aggregate the ledger's usage does not make: reported once all the
 * usage is read, so that late usage is told apart in one scan.
 */
struct mism {
	char		*key;
	struct recon_agg	*a;
	const char	*ps, *pe;	/* interned */
	dec		 expected;
	int64_t		 events;	/* the ledger's */
	/* late usage: events accepted after the period's invoice */
	const struct recon_doc *doc;
	const struct meter *m;
	int64_t		 from, to, issued;
	uint64_t	 late;
};

struct usage_cmp {
	struct recon	*r;
	const struct recusage *opt;
	struct hmap	 seen;
	struct mism	*mv;
	size_t		 nm;
	struct meters	 ms;		/* --meters, loaded when needed */
};

static int
doc_issued(const struct ldg_doc *d, void *arg)
{
	*(int64_t *)arg = d->issued;
	return 1;
}

struct latescan {
	struct usage_cmp *u;
	struct hmap	 by_customer;	/* customer -> struct idxs * */
};

struct idxs {
	size_t		 n;
	size_t		 v[];
};

static int
late_one(const struct ldg_usage *l, void *arg)
{
	struct latescan *x = arg;
	struct idxs *ix = hmap_getn(&x->by_customer, l->customer,
	    l->customer_len);
	size_t i;

	for (i = 0; ix != NULL && i < ix->n; i++) {
		struct mism *m = &x->u->mv[ix->v[i]];

		if (l->t >= m->from && l->t < m->to &&
		    l->ingested > m->issued && recusage_counts(m->m, l))
			m->late++;
	}
	return 0;
}

/*
 * Late usage: of the events an aggregate lacks, how many were accepted
 * after the invoice of its customer and period was issued (the ledger
 * records when).  Needs --invoices.  One scan of the ledger for all the
 * aggregates that lack events.
 */
static void
late_usage(struct recon *r, struct usage_cmp *u)
{
	struct latescan x;
	struct hmap docs;
	int64_t from = INT64_MAX, to = INT64_MIN;
	const char *why, *pp[2];
	size_t i, k, n = 0;
	void **ref;

	if (r->nd == 0 || u->nm == 0)
		return;
	/* the invoices by (customer, period start): interned pointers */
	hmap_init(&docs);
	for (i = 0; i < r->nd; i++) {
		if (strcmp(r->dv[i]->kind, "invoice") != 0 ||
		    r->dv[i]->customer == NULL || r->dv[i]->ps == NULL)
			continue;
		pp[0] = r->dv[i]->customer;
		pp[1] = r->dv[i]->ps;
		ref = hmap_ref(&docs, (const char *)pp, sizeof(pp));
		if (*ref == NULL)
			*ref = r->dv[i];
	}
	if (u->ms.path == NULL)
		meters_load(&u->ms, u->opt->meters_path);
	hmap_init(&x.by_customer);
	x.u = u;
	for (i = 0; i < u->nm; i++) {
		struct mism *m = &u->mv[i];
		struct idxs *ix;

		if (m->events <= m->a->events || m->a->meter == NULL ||
		    m->ps == NULL || m->pe == NULL)
			continue;
		pp[0] = m->a->customer;
		pp[1] = m->ps;
		if ((m->doc = hmap_getn(&docs, (const char *)pp,
		    sizeof(pp))) == NULL)
			continue;
		for (k = 0; k < u->ms.n; k++)
			if (strcmp(u->ms.v[k].name, m->a->meter) == 0)
				m->m = &u->ms.v[k];
		m->issued = INT64_MIN;
		ldg_doc_by_number(r->ldg, m->doc->number, doc_issued,
		    &m->issued);
		if (m->m == NULL || m->issued == INT64_MIN ||
		    tm_parse(m->ps, strlen(m->ps), &m->from, &why) < 0 ||
		    tm_parse(m->pe, strlen(m->pe), &m->to, &why) < 0) {
			m->doc = NULL;
			continue;
		}
		ref = hmap_ref(&x.by_customer, m->a->customer,
		    strlen(m->a->customer));
		ix = *ref;
		ix = xrealloc(ix, sizeof(*ix) + ((ix ? ix->n : 0) + 1) *
		    sizeof(ix->v[0]));
		if (*ref == NULL)
			ix->n = 0;
		ix->v[ix->n++] = i;
		*ref = ix;
		if (m->from < from)
			from = m->from;
		if (m->to > to)
			to = m->to;
		n++;
	}
	if (n > 0)
		ldg_usage_scan(r->ldg, from, to, late_one, &x);
	for (i = 0; i < x.by_customer.cap; i++)
		free(x.by_customer.t[i].val);
	hmap_free(&x.by_customer);
	hmap_free(&docs);
}

/* The mismatches, in the order the usage gave them. */
static void
report_mismatches(struct recon *r, struct usage_cmp *u)
{
	struct exc x;
	char e1[32], e2[32];
	size_t i;

	late_usage(r, u);
	for (i = 0; i < u->nm; i++) {
		struct mism *m = &u->mv[i];
		struct recon_agg *a = m->a;

		memset(&x, 0, sizeof(x));
		x.customer = a->customer;
		x.ps = m->ps;
		x.pe = m->pe;
		x.keys[0] = m->key;
		x.has_amounts = 1;
		x.expected = m->expected;
		x.actual = a->quantity;
		snprintf(e1, sizeof(e1), "%" PRId64, m->events);
		snprintf(e2, sizeof(e2), "%" PRId64, a->events);
		if (m->doc != NULL && m->late > 0 &&
		    m->late == (uint64_t)(m->events - a->events)) {
			x.code = "late_usage";
			x.document = m->doc->number;
			recon_exc(r, &x, "aggregate %s (%s, meter %s): %"
			    PRIu64 " event%s of the period accepted after "
			    "invoice %s was issued; the ledger's usage gives "
			    "%s events, the aggregate counted %s: rate the "
			    "period again and invoice-gen issues a debit note",
			    m->key, a->customer, a->meter, m->late,
			    m->late == 1 ? "" : "s", m->doc->number, e1, e2);
		} else {
			x.code = "aggregate_mismatch";
			recon_exc(r, &x, "aggregate %s (%s, meter %s): the "
			    "ledger's usage gives %s events, the aggregate "
			    "counted %s (events missing, doubled or late)",
			    m->key, a->customer, a->meter, e1, e2);
		}
		free(m->key);
	}
	free(u->mv);
}

/*
 * usage -> aggregates: meter-aggregate run again on the ledger for the
 * periods of the aggregates given; what it gives and they do not say is
 * usage missing from aggregation (or late), and the other way round.
 */
static void
usage_one(struct stagein *s, void *arg)
{
	struct usage_cmp *u = arg;
	struct recon *r = u->r;
	struct aggrec_view v;
	struct recon_agg *a;
	struct exc x;

	if (aggrec_view(&s->jr, &v) < 0)
		return;
	memset(&x, 0, sizeof(x));
	x.customer = v.customer;
	x.ps = v.ps;
	x.pe = v.pe;
	x.keys[0] = v.key;
	x.has_amounts = 1;
	x.expected = v.qty;
	if ((a = hmap_get(&r->aggs, v.key)) == NULL) {
		x.code = "usage_not_aggregated";
		x.actual = (dec){ 0, v.qty.s };
		recon_exc(r, &x, "the ledger's usage makes aggregate %s (%s, "
		    "meter %s) of %" PRId64 " events, which is not among the "
		    "aggregates", v.key, v.customer, v.meter, v.events);
		return;
	}
	a->found = 1;
	if (dec_cmp(a->quantity, v.qty) != 0 || a->events != v.events ||
	    (a->lineage && v.lineage && strcmp(a->lineage, v.lineage) != 0)) {
		struct mism *m;

		u->mv = xreallocarray(u->mv, u->nm + 1, sizeof(*u->mv));
		m = memset(&u->mv[u->nm++], 0, sizeof(*m));
		m->key = xstrdup(v.key);
		m->a = a;
		m->ps = hmap_intern(&r->strs, x.ps);
		m->pe = hmap_intern(&r->strs, x.pe);
		m->expected = v.qty;
		m->events = v.events;
	}
}

void
recusage_check(struct recon *r, const struct recusage *opt)
{
	struct usage_cmp u;
	struct stagein si;
	char from[TM_FMTMAX], to[TM_FMTMAX], prog[4096], path[64];
	const char *argv[20], *slash;
	int64_t lo = r->from, hi = r->to, day0, day1;
	int fd[2], st, n = 0;
	size_t i;
	pid_t pid;
	char *files[1];
	struct exc x;
	FILE *errf;

	/*
	 * No period read: every period of the ledger's usage that is over
	 * at --as-of, from the first usage record's day (a period holding
	 * an event ends after it).
	 */
	if (lo == INT64_MIN) {
		if (ldg_usage_days(r->ldg, INT64_MIN, INT64_MAX, &day0,
		    &day1) < 0)
			return;		/* no usage */
		lo = day0 * 86400 * TM_NS_PER_SEC - TM_NS_PER_SEC;
		hi = r->as_of;
	}
	if (hi == INT64_MAX)
		hi = r->as_of;
	if (lo >= hi)
		return;
	memset(&u, 0, sizeof(u));
	u.r = r;
	u.opt = opt;
	tm_fmt(lo, from, sizeof(from));
	tm_fmt(hi, to, sizeof(to));
	/* the meter-aggregate beside this program, else the PATH's */
	if ((slash = strrchr(opt->self, '/')) != NULL)
		snprintf(prog, sizeof(prog), "%.*s/meter-aggregate",
		    (int)(slash - opt->self), opt->self);
	else
		snprintf(prog, sizeof(prog), "meter-aggregate");
	argv[n++] = prog;
	argv[n++] = "--meters";
	argv[n++] = opt->meters_path;
	if (opt->customers_path != NULL) {
		argv[n++] = "--customers";
		argv[n++] = opt->customers_path;
	}
	argv[n++] = "--ledger";
	argv[n++] = opt->ledger_path;
	argv[n++] = "--from";
	argv[n++] = from;
	argv[n++] = "--to";
	argv[n++] = to;
	argv[n++] = "--period";
	argv[n++] = r->na > 0 && r->av[0]->unit ? r->av[0]->unit : "month";
	argv[n++] = "--rejects";
	argv[n++] = "/dev/null";
	argv[n] = NULL;
	/* its summary is noise here; its errors are shown if it fails */
	if ((errf = tmpfile()) == NULL || pipe(fd) < 0 || (pid = fork()) < 0)
		die(EX_OSERR, "cannot run meter-aggregate: %s",
		    strerror(errno));
	if (pid == 0) {
		dup2(fileno(errf), 2);
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp(prog, (char *const *)argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", progname, prog,
		    strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	close(fd[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", fd[0]);
	files[0] = path;
	hmap_init(&u.seen);
	si_init(&si, 1, files, LR_MAXLEN_DEFAULT, opt->max_depth, opt->rej);
	si_each(&si, usage_one, &u);
	si_free(&si);
	close(fd[0]);
	hmap_free(&u.seen);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		rewind(errf);
		while ((n = getc(errf)) != EOF)
			fputc(n, stderr);
		die(EX_SOFTWARE, "meter-aggregate on the ledger failed (%d): "
		    "the usage could not be compared", WIFEXITED(st) ?
		    WEXITSTATUS(st) : -1);
	}
	fclose(errf);
	report_mismatches(r, &u);
	for (i = 0; i < r->na; i++) {
		struct recon_agg *a = r->av[i];

		if (a->found)
			continue;
		memset(&x, 0, sizeof(x));
		x.code = "aggregate_without_usage";
		x.customer = a->customer;
		x.ps = a->ps;
		x.pe = a->pe;
		x.keys[0] = a->key;
		x.has_amounts = 1;
		x.expected = (dec){ 0, a->quantity.s };
		x.actual = a->quantity;
		recon_exc(r, &x, "aggregate %s (%s, meter %s) has no usage in "
		    "the ledger behind it", a->key, a->customer, a->meter);
	}
	if (u.ms.path != NULL)
		meters_free(&u.ms);
}
