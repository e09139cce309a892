/*
 * recerp.c: the ERP's confirmations and export against the journal and
 * the ledger; see recerp.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "jval.h"
#include "ledger.h"
#include "recerp.h"
#include "recon.h"

static int
set(const char *s)
{
	return s != NULL && *s != '\0';
}

int
recerp_usable(const struct recerp_row *w)
{
	return set(w->id) || (w->kind != NULL &&
	    strcmp(w->kind, "erp_move") == 0 && set(w->ref));
}

/* An amount of the row, when it is a decimal. */
static int
amt(const char *s, dec *d)
{
	return set(s) && dec_parse(s, strlen(s), d) == DEC_OK;
}

/* One account's movement in both books: ours through the ERP's code. */
struct side {
	const char	*code;
	dec		 ours, theirs;
};

static struct side *
side_of(struct side **v, size_t *n, const char *code)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].code, code) == 0)
			return &(*v)[i];
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].code = code;
	(*v)[*n].ours = (*v)[*n].theirs = DEC_ZERO;
	return &(*v)[(*n)++];
}

/*
 * What the ERP's move puts on each account against what the entry puts
 * there, in the functional currency: the ERP splits and orders lines as
 * it likes, so accounts are compared by their net movement.  Our
 * accounts become the ERP's codes through the books of the entry's
 * entity (erp.NAME.accounts); an account without a code keeps its name,
 * and so differs.
 */
static void
by_account(struct recon *r, const struct recerp_row *w,
    const struct recon_entry *e, struct exc *x)
{
	const struct books *b = NULL;
	const struct books_erp *m = NULL;
	struct side *v = NULL, *s;
	size_t n = 0, i;
	char o[DEC_FMTMAX], t[DEC_FMTMAX];
	dec d, c;

	if (set(w->erp)) {
		/* ERP codes: only the accounts file says which are ours */
		if (!r->books || e->entity == NULL ||
		    (b = books_of(&r->acc, e->entity)) == NULL ||
		    (m = books_erp(b, w->erp)) == NULL)
			return;
	}
	for (i = 0; i < e->nacct; i++) {
		const char *code = m != NULL ? books_erp_account(m,
		    e->acct[i].account) : NULL;

		s = side_of(&v, &n, code != NULL ? code : e->acct[i].account);
		dec_add(s->ours, e->acct[i].net, &s->ours);
	}
	for (i = 0; i < json_array_size(w->lines); i++) {
		json_t *l = json_array_get(w->lines, i);
		const char *code = jval_str(l, "account");

		if (code == NULL)
			code = "?";
		d = jval_dec_or_zero(l, "debit");
		c = jval_dec_or_zero(l, "credit");
		if (dec_sub(d, c, &d) != DEC_OK)
			continue;
		s = side_of(&v, &n, code);
		dec_add(s->theirs, d, &s->theirs);
	}
	x->code = "confirmation_account_mismatch";
	x->currency = e->fcur;
	x->amount_only = 1;
	x->has_amounts = 1;
	for (i = 0; i < n; i++) {
		if (dec_cmp(v[i].ours, v[i].theirs) == 0)
			continue;
		dec_fmt(v[i].ours, o, sizeof(o));
		dec_fmt(v[i].theirs, t, sizeof(t));
		x->keys[1] = v[i].code;
		x->expected = v[i].ours;
		x->actual = v[i].theirs;
		recon_exc(r, x, "the ERP's move %s of entry %s moves account "
		    "%s by %s %s (debit less credit), the entry by %s",
		    w->ref ? w->ref : "?", e->id, v[i].code, t,
		    e->fcur ? e->fcur : "", o);
	}
	x->keys[1] = NULL;
	x->has_amounts = x->amount_only = 0;
	x->currency = NULL;
	free(v);
}

/* The row against the journal's entry of its id. */
static void
against_entry(struct recon *r, const struct recerp_row *w,
    const struct recon_entry *e, struct exc *x)
{
	dec a;
	int deb;

	if (amt(w->amount, &a) && dec_cmp(a, e->debit) != 0) {
		x->code = "confirmation_amount_mismatch";
		x->amount_only = 1;
		x->has_amounts = 1;
		x->expected = e->debit;
		x->actual = a;
		recon_exc(r, x, "the ERP has entry %s for %s, not what was "
		    "sent", e->id, w->amount);
		x->has_amounts = x->amount_only = 0;
	}
	/* the totals in the functional currency: a move's debit, credit */
	deb = amt(w->debit, &a) && dec_cmp(a, e->fdebit) != 0;
	if (deb || (amt(w->credit, &a) && dec_cmp(a, e->fcredit) != 0)) {
		x->code = "confirmation_amount_mismatch";
		x->currency = e->fcur;
		x->amount_only = 1;
		x->has_amounts = 1;
		x->expected = deb ? e->fdebit : e->fcredit;
		x->actual = a;
		recon_exc(r, x, "the ERP's move %s of entry %s totals %s %s "
		    "%s, not what was sent", w->ref ? w->ref : "?", e->id,
		    deb ? w->debit : w->credit, e->fcur ? e->fcur : "",
		    deb ? "debit" : "credit");
		x->has_amounts = x->amount_only = 0;
		x->currency = NULL;
	}
	if (w->lines != NULL && json_is_array(w->lines))
		by_account(r, w, e, x);
	if (set(w->date) && e->date != NULL && strcmp(w->date, e->date)) {
		x->code = "confirmation_date_mismatch";
		recon_exc(r, x, "the ERP has entry %s on %s, the journal on "
		    "%s", e->id, w->date, e->date);
	}
}

void
recerp_row(struct recon *r, const struct recerp_row *w)
{
	struct ldg_posting lp;
	struct recon_entry *e;
	struct exc x;
	int known = 0, export, dup = 0;
	void **seen;

	export = w->kind != NULL && strcmp(w->kind, "erp_move") == 0;
	r->erp_export |= export;
	memset(&x, 0, sizeof(x));
	if (!set(w->id)) {
		if (!export || !set(w->ref))
			return;
		/* a move no entry of ours made: added in the ERP */
		x.code = "confirmation_unknown_entry";
		x.keys[0] = w->ref;
		recon_exc(r, &x, "the ERP has move %s%s%s, which is none of "
		    "the entries sent (it names no entry id)", w->ref,
		    set(w->company) ? " of " : "", set(w->company) ?
		    w->company : "");
		return;
	}
	x.keys[0] = w->id;
	if (export) {
		seen = hmap_ref(&r->erp_seen, w->id, strlen(w->id));
		if (*seen != NULL) {
			dup = 1;
			x.code = "confirmation_duplicate";
			x.keys[1] = w->ref;
			recon_exc(r, &x, "the ERP has entry %s more than once: "
			    "moves %s and %s", w->id, (const char *)*seen,
			    set(w->ref) ? w->ref : "?");
			x.keys[1] = NULL;
		} else
			*seen = (void *)hmap_intern(&r->strs, set(w->ref) ?
			    w->ref : "?");
	}
	e = hmap_get(&r->entries, w->id);
	if (e != NULL) {
		known = 1;
		x.document = e->number;
		against_entry(r, w, e, &x);
	}
	if (r->ldg != NULL && ldg_posting_get(r->ldg, w->id, &lp)) {
		known = 1;
		/* a second move of the entry: its reference is not ours */
		if (dup)
			;
		else if (w->status != NULL && strcmp(w->status, "confirmed") == 0 &&
		    strcmp(lp.state, "confirmed") != 0) {
			x.code = "confirmation_not_recorded";
			recon_exc(r, &x, "the ERP confirms entry %s, the "
			    "ledger has it %s: run erp-post --confirm", w->id,
			    lp.state);
		} else if (w->status != NULL && strcmp(lp.state, "confirmed") ==
		    0 && (strcmp(w->status, "confirmed") != 0 || (w->ref !=
		    NULL && lp.erp_ref != NULL && strcmp(w->ref,
		    lp.erp_ref) != 0))) {
			x.code = "confirmation_disagrees";
			recon_exc(r, &x, "the ERP says %s %s for entry %s, the "
			    "ledger has it confirmed as %s", w->status, w->ref ?
			    w->ref : "", w->id, lp.erp_ref ? lp.erp_ref : "?");
		}
		ldg_posting_free(&lp);
	}
	if (!known) {
		x.code = "confirmation_unknown_entry";
		recon_exc(r, &x, "the ERP has entry %s, which was never sent",
		    w->id);
	}
}

/* An entry confirmed in the ledger, which the ERP's export lacks. */
static void
missing(struct recon *r, const char *id, const char *number,
    const char *ref)
{
	struct exc x;

	memset(&x, 0, sizeof(x));
	x.code = "confirmation_missing";
	x.keys[0] = id;
	x.document = number;
	if (ref != NULL)
		recon_exc(r, &x, "entry %s of %s is confirmed in the ledger "
		    "as the ERP's %s, and the ERP does not have it", id,
		    number ? number : "?", ref);
	else
		recon_exc(r, &x, "entry %s of %s was sent, and the ERP does "
		    "not have it", id, number ? number : "?");
}

static int
posting_missing(const char *id, const char *number, const char *state,
    const char *ref, int64_t emitted, int64_t updated, void *arg)
{
	struct recon *r = arg;

	(void)emitted;
	(void)updated;
	if (strcmp(state, "confirmed") == 0 && hmap_get(&r->erp_seen, id) ==
	    NULL)
		missing(r, id, number, ref);
	return 0;
}

void
recerp_missing(struct recon *r)
{
	struct ldg_posting lp;
	size_t i;

	if (!r->erp_export)
		return;
	if (r->ne == 0) {
		if (r->ldg != NULL)
			ldg_postings_all(r->ldg, posting_missing, r);
		return;
	}
	for (i = 0; i < r->ne; i++) {
		struct recon_entry *e = r->ev[i];

		if (hmap_get(&r->erp_seen, e->id) != NULL)
			continue;
		if (r->ldg == NULL)
			missing(r, e->id, e->number, NULL);
		else if (ldg_posting_get(r->ldg, e->id, &lp)) {
			/* pending or failed: posting_* say so, not this */
			if (strcmp(lp.state, "confirmed") == 0)
				missing(r, e->id, e->number, lp.erp_ref);
			ldg_posting_free(&lp);
		}
	}
}
