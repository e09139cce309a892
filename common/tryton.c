/*
 * tryton.c: a journal entry as a Tryton account move (see tryton.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dec.h"
#include "jval.h"
#include "tryton.h"

#define TRY_JOURNAL	"REV"	/* the revenue journal every Tryton has */

enum { R_OK, R_FAILED, R_DOWN };

/* the fields a search_read reads */
#define F1(a)		json_pack("[s]", (a))
#define F2(a, b)	json_pack("[s,s]", (a), (b))

static int
why(struct tryton *t, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
why(struct tryton *t, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- calls ---- */

static int
login(struct tryton *t)
{
	json_t *res = NULL;
	const char *key;
	char cred[1024], b64[1400], hdr[1500];
	int rc;

	rc = erpc_call(&t->rpc, "common.db.login", json_pack("[s,{s:s},s]",
	    t->user, "password", t->password, "en"), &res);
	t->calls++;
	if (rc == ERPC_DOWN && t->rpc.http == 401)
		return why(t, R_FAILED, "the ERP refused user '%s' (wrong user "
		    "or password, or no database at the URL)", t->user);
	if (rc == ERPC_DOWN)
		return why(t, R_DOWN, "%s", t->rpc.err);
	if (rc == ERPC_FAULT || !json_is_array(res) ||
	    json_array_size(res) != 2 ||
	    !json_is_integer(json_array_get(res, 0)) ||
	    (key = json_string_value(json_array_get(res, 1))) == NULL) {
		json_decref(res);
		return why(t, R_FAILED, "the ERP refused user '%s'", t->user);
	}
	t->uid = json_integer_value(json_array_get(res, 0));
	if ((size_t)snprintf(cred, sizeof(cred), "%s:%" PRId64 ":%s", t->user,
	    t->uid, key) >= sizeof(cred)) {
		json_decref(res);
		return why(t, R_FAILED, "the ERP's session key is too long");
	}
	json_decref(res);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)cred,
	    strlen(cred), sodium_base64_VARIANT_ORIGINAL);
	snprintf(hdr, sizeof(hdr), "Session %s", b64);
	erpc_auth(&t->rpc, hdr);
	return R_OK;
}

/*
 * The ERP's refusal in words: a UserError's message (and description),
 * a UserWarning's message.  0 when it is one of those, -1 when the error
 * is the server's own (an exception, a conflict): no verdict on the entry.
 */
static int
fault_text(json_t *err, char *out, size_t len)
{
	const char *type = json_string_value(json_array_get(err, 0));
	json_t *args = json_array_get(err, 1);
	const char *msg, *desc;

	if (type != NULL && strcmp(type, "UserError") == 0 &&
	    (msg = json_string_value(json_array_get(args, 0))) != NULL) {
		desc = json_string_value(json_array_get(args, 1));
		snprintf(out, len, "%s%s%s", msg, desc && *desc ? " " : "",
		    desc && *desc ? desc : "");
		return 0;
	}
	if (type != NULL && strcmp(type, "UserWarning") == 0 &&
	    (msg = json_string_value(json_array_get(args, 1))) != NULL) {
		snprintf(out, len, "%s", msg);
		return 0;
	}
	snprintf(out, len, "%s", type != NULL ? type : "an error without "
	    "a message");
	return -1;
}

/*
 * One call: R_OK with *res, R_FAILED when the ERP refused (why holds its
 * message), R_DOWN.  A session that expired is renewed once.
 */
static int
call(struct tryton *t, const char *method, json_t *params, json_t **res)
{
	char msg[900];
	int rc, again = 1;

	for (;;) {
		json_incref(params);
		rc = erpc_call(&t->rpc, method, params, res);
		t->calls++;
		if (rc == ERPC_DOWN && t->rpc.http == 401 && again) {
			again = 0;
			if ((rc = login(t)) != R_OK) {
				json_decref(params);
				return R_DOWN;
			}
			continue;
		}
		break;
	}
	json_decref(params);
	if (rc == ERPC_OK)
		return R_OK;
	if (rc == ERPC_DOWN)
		return why(t, R_DOWN, "%s", t->rpc.err);
	if (fault_text(*res, msg, sizeof(msg)) == 0) {
		json_decref(*res);
		*res = NULL;
		return why(t, R_FAILED, "%s", msg);
	}
	json_decref(*res);
	*res = NULL;
	return why(t, R_DOWN, "%s: the ERP failed: %s", method, msg);
}

/* model.M.search_read(domain, 0, limit, order, fields, {"company": c}) */
static int
search_read(struct tryton *t, const char *model, int64_t company,
    json_t *domain, json_t *f, json_t **res)
{
	char m[128];
	json_t *ctx = json_object();

	if (company > 0)
		json_object_set_new(ctx, "company", json_integer(company));
	snprintf(m, sizeof(m), "model.%s.search_read", model);
	return call(t, m, json_pack("[o,i,n,[[s,s]],o,o]", domain, 0, "id",
	    "ASC", f, ctx), res);
}

/* ---- ids of names, cached for the run ---- */

static int64_t
cached(struct tryton *t, const char *kind, int64_t company, const char *name)
{
	char k[512];

	snprintf(k, sizeof(k), "%s\x1f%" PRId64 "\x1f%s", kind, company, name);
	return (int64_t)(intptr_t)hmap_get(&t->ids, k);
}

static void
cache(struct tryton *t, const char *kind, int64_t company, const char *name,
    int64_t id)
{
	char k[512];

	snprintf(k, sizeof(k), "%s\x1f%" PRId64 "\x1f%s", kind, company, name);
	hmap_put(&t->ids, k, (void *)(intptr_t)id);
}

/* The id of the one record of model matching domain: 0 when none. */
static int
find_one(struct tryton *t, const char *model, int64_t company, json_t *dom,
    int64_t *id)
{
	json_t *res;
	int rc = search_read(t, model, company, dom, F1("id"), &res);

	*id = 0;
	if (rc != R_OK)
		return rc;
	if (json_array_size(res) > 0)
		*id = json_integer_value(json_object_get(json_array_get(res, 0),
		    "id"));
	json_decref(res);
	return R_OK;
}

/*
 * The id of the record of model whose field is name, in company (0: any),
 * remembered as kind: 0 when there is none.
 */
static int
named_id(struct tryton *t, const char *kind, const char *model,
    int64_t company, const char *field, const char *name, int64_t *id)
{
	int rc;

	if ((*id = cached(t, kind, company, name)) != 0)
		return R_OK;
	rc = find_one(t, model, company, json_pack("[[s,s,s]]", field, "=",
	    name), id);
	if (rc == R_OK && *id != 0)
		cache(t, kind, company, name, *id);
	return rc;
}

/* The account of a code: its id, and whether it wants a party. */
static int
account_id(struct tryton *t, int64_t company, const char *code, int64_t *id,
    int *party)
{
	json_t *res, *a, *v;
	int rc;

	if ((*id = cached(t, "account", company, code)) != 0) {
		*party = cached(t, "party_required", company, code) == 2;
		return R_OK;
	}
	rc = search_read(t, "account.account", company, json_pack(
	    "[[s,s,I],[s,s,s]]", "company", "=", (json_int_t)company, "code",
	    "=", code), F2("id", "party_required"), &res);
	if (rc != R_OK)
		return rc;
	if ((a = json_array_get(res, 0)) != NULL) {
		*id = json_integer_value(json_object_get(a, "id"));
		v = json_object_get(a, "party_required");
		/* a boolean, or on SQLite an integer */
		*party = json_is_true(v) || (json_is_integer(v) &&
		    json_integer_value(v) != 0);
		cache(t, "account", company, code, *id);
		cache(t, "party_required", company, code, *party ? 2 : 1);
	}
	json_decref(res);
	return R_OK;
}

/* The party whose code is the customer's id, made when there is none. */
static int
party_id(struct tryton *t, const char *customer, int64_t *id)
{
	json_t *res;
	int rc;

	if ((*id = cached(t, "party", 0, customer)) != 0)
		return R_OK;
	rc = find_one(t, "party.party", 0, json_pack("[[s,s,s]]", "code",
	    "=", customer), id);
	if (rc != R_OK)
		return rc;
	if (*id == 0) {
		rc = call(t, "model.party.party.create", json_pack(
		    "[[{s:s,s:s}],{}]", "name", customer, "code", customer),
		    &res);
		if (rc != R_OK)
			return rc;
		*id = json_integer_value(json_array_get(res, 0));
		json_decref(res);
	}
	cache(t, "party", 0, customer, *id);
	return R_OK;
}

/* {"__class__":"date",...} of "2026-11-02", or NULL */
static json_t *
jdate(const char *s)
{
	int y, m, d, n = 0;

	if (s == NULL || strlen(s) != 10 ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return NULL;
	return json_pack("{s:s,s:i,s:i,s:i}", "__class__", "date", "year", y,
	    "month", m, "day", d);
}

/* {"__class__":"Decimal","decimal":"12.50"}: exact, as written */
static json_t *
jdec(const char *s)
{
	return json_pack("{s:s,s:s}", "__class__", "Decimal", "decimal", s);
}

static int
period_id(struct tryton *t, int64_t company, const char *date, int64_t *id)
{
	char k[64];
	int rc;

	snprintf(k, sizeof(k), "%s", date);
	if ((*id = cached(t, "period", company, k)) != 0)
		return R_OK;
	rc = find_one(t, "account.period", company, json_pack(
	    "[[s,s,I],[s,s,o],[s,s,o],[s,s,s]]", "company", "=",
	    (json_int_t)company, "start_date", "<=", jdate(date), "end_date",
	    ">=", jdate(date), "type", "=", "standard"), id);
	if (rc == R_OK && *id != 0)
		cache(t, "period", company, k, *id);
	return rc;
}

/* ---- the move ---- */

/* The posted move's number into t->ref. */
static int
post_number(struct tryton *t, int64_t company, int64_t move)
{
	json_t *res;
	const char *n;
	int rc;

	rc = search_read(t, "account.move", company, json_pack("[[s,s,I]]",
	    "id", "=", (json_int_t)move), F1("post_number"), &res);
	if (rc != R_OK)
		return rc;
	n = json_string_value(json_object_get(json_array_get(res, 0),
	    "post_number"));
	snprintf(t->ref, sizeof(t->ref), "%s", n != NULL ? n : "");
	json_decref(res);
	if (n == NULL)
		return why(t, R_DOWN, "move %" PRId64 " has no post number "
		    "after it was posted", move);
	return R_OK;
}

static int
post(struct tryton *t, int64_t company, int64_t move)
{
	json_t *res;
	int rc;

	rc = call(t, "model.account.move.post", json_pack("[[I],{s:I}]",
	    (json_int_t)move, "company", (json_int_t)company), &res);
	if (rc != R_OK)
		return rc;
	json_decref(res);
	return post_number(t, company, move);
}

/*
 * Look the entry up: R_OK with *move its move (0: none) and *posted.
 * Its id is the description's first word.
 */
static int
lookup(struct tryton *t, int64_t company, const char *id, int64_t *move,
    int *posted)
{
	json_t *res, *m;
	char like[128];
	int rc;

	*move = 0;
	snprintf(like, sizeof(like), "%s %%", id);
	rc = search_read(t, "account.move", company, json_pack(
	    "[[s,s,I],[s,s,s]]", "company", "=", (json_int_t)company,
	    "description", "like", like), F2("id", "state"), &res);
	if (rc != R_OK)
		return rc;
	if ((m = json_array_get(res, 0)) != NULL) {
		const char *st = json_string_value(json_object_get(m, "state"));

		*move = json_integer_value(json_object_get(m, "id"));
		*posted = st != NULL && strcmp(st, "posted") == 0;
		if (json_array_size(res) > 1)
			warnmsg("warning: the ERP has %zu moves of entry %s "
			    "(made by another sender?); taking move %" PRId64,
			    json_array_size(res), id, *move);
	}
	json_decref(res);
	return R_OK;
}

static int
translate(int rc)
{
	return rc == R_FAILED ? TRY_FAILED : TRY_DOWN;
}

int
tryton_prepare(struct tryton *t, const struct books *b, json_t *e,
    int64_t *companyp, json_t **valsp)
{
	const struct books_erp *m = books_erp(b, "tryton");
	const char *id = jval_str(e, "id"), *date = jval_str(e, "date");
	const char *cur = jval_str(e, "currency");
	const char *fcur = jval_str(e, "functional_currency");
	const char *customer = jval_str(e, "customer");
	const char *cname, *jcode, *acct, *code;
	json_t *lines = json_object_get(e, "lines"), *l, *vl;
	json_t *doc = json_object_get(e, "document");
	int64_t company, journal, period, account, party = 0, second = 0;
	int wants, rc;
	size_t i;
	char desc[512];

	t->ref[0] = t->why[0] = '\0';
	t->found = 0;
	*valsp = NULL;
	if (m == NULL)
		return why(t, TRY_UNMAPPED, "the books of entity '%s' have no "
		    "\"erp\": {\"tryton\": ...} in the accounts file",
		    b->entity);
	for (i = 0; i < json_array_size(lines); i++) {
		acct = jval_str(json_array_get(lines, i), "account");
		if (books_erp_account(m, acct) == NULL)
			return why(t, TRY_UNMAPPED, "account '%s' has no "
			    "Tryton code in the books of entity '%s' "
			    "(erp.tryton.accounts)", acct, b->entity);
	}
	cname = m->company != NULL ? m->company : b->entity;
	if ((rc = named_id(t, "company", "company.company", 0,
	    "party.name", cname, &company)) != R_OK)
		return translate(rc);
	if (company == 0)
		return why(t, TRY_UNMAPPED, "the ERP has no company '%s' (the "
		    "books of entity '%s')", cname, b->entity);
	*companyp = company;

	jcode = m->journal != NULL ? m->journal : TRY_JOURNAL;
	if ((rc = named_id(t, "journal", "account.journal",
	    company, "code", jcode, &journal)) != R_OK)
		return translate(rc);
	if (journal == 0)
		return why(t, TRY_UNMAPPED, "the ERP's company '%s' has no "
		    "journal '%s'", cname, jcode);
	if ((rc = period_id(t, company, date, &period)) != R_OK)
		return translate(rc);
	if (period == 0)
		return why(t, TRY_FAILED, "the ERP's company '%s' has no "
		    "period for %s", cname, date);
	if (strcmp(cur, fcur) != 0) {
		if ((rc = named_id(t, "currency",
		    "currency.currency", 0, "code", cur, &second)) != R_OK)
			return translate(rc);
		if (second == 0)
			return why(t, TRY_UNMAPPED, "the ERP has no currency "
			    "'%s'", cur);
	}

	vl = json_array();
	for (i = 0; i < json_array_size(lines); i++) {
		dec d, c, amt;

		l = json_array_get(lines, i);
		code = books_erp_account(m, jval_str(l, "account"));
		if ((rc = account_id(t, company, code, &account, &wants)) !=
		    R_OK) {
			json_decref(vl);
			return translate(rc);
		}
		if (account == 0) {
			json_decref(vl);
			return why(t, TRY_UNMAPPED, "the ERP's company '%s' has "
			    "no account '%s' (for %s)", cname, code,
			    jval_str(l, "account"));
		}
		if (wants && party == 0 &&
		    (rc = party_id(t, customer, &party)) != R_OK) {
			json_decref(vl);
			return translate(rc);
		}
		json_t *o = json_pack("{s:I,s:o,s:o,s:s}", "account",
		    (json_int_t)account, "debit", jdec(jval_str(l,
		    "functional_debit")), "credit", jdec(jval_str(l,
		    "functional_credit")), "description",
		    jval_str_or(l, "memo", ""));
		if (wants)
			json_object_set_new(o, "party", json_integer(party));
		if (second != 0) {
			jval_dec(l, "debit", &d);
			jval_dec(l, "credit", &c);
			if (dec_sub(d, c, &amt) != DEC_OK)
				amt = DEC_ZERO;
			json_object_set_new(o, "second_currency",
			    json_integer(second));
			json_object_set_new(o, "amount_second_currency",
			    jdec(dec_str(amt).s));
		}
		json_array_append_new(vl, o);
	}
	snprintf(desc, sizeof(desc), "%s %s %s %s", id,
	    jval_str_or(e, "type", ""), jval_str_or(doc, "number", ""),
	    customer);
	*valsp = json_pack("{s:I,s:I,s:I,s:o,s:s,s:[[s,o]]}",
	    "company", (json_int_t)company, "journal", (json_int_t)journal,
	    "period", (json_int_t)period, "date", jdate(date),
	    "description", desc, "lines", "create", vl);
	return TRY_CONFIRMED;
}

/* The move of vals for entry id, looked up first: TRY_*. */
static int
send_prepared(struct tryton *t, int64_t company, const char *id,
    json_t *vals)
{
	json_t *res;
	int64_t move;
	int posted, rc;

	t->ref[0] = t->why[0] = '\0';
	t->found = 0;
	/* exactly once: what the ERP has of the entry comes first */
	if ((rc = lookup(t, company, id, &move, &posted)) != R_OK)
		return translate(rc);
	if (move != 0) {
		t->found = 1;
		rc = posted ? post_number(t, company, move) :
		    post(t, company, move);
		return rc == R_OK ? TRY_CONFIRMED : translate(rc);
	}
	rc = call(t, "model.account.move.create", json_pack("[[O],{s:I}]",
	    vals, "company", (json_int_t)company), &res);
	if (rc != R_OK)
		return translate(rc);
	move = json_integer_value(json_array_get(res, 0));
	json_decref(res);
	rc = post(t, company, move);
	return rc == R_OK ? TRY_CONFIRMED : translate(rc);
}

int
tryton_send(struct tryton *t, const struct books *b, json_t *e)
{
	json_t *vals;
	int64_t company;
	int rc;

	if ((rc = tryton_prepare(t, b, e, &company, &vals)) != TRY_CONFIRMED)
		return rc;
	rc = send_prepared(t, company, jval_str(e, "id"), vals);
	json_decref(vals);
	return rc;
}

/* ---- batches ---- */

/* The item of a move's description ("JE-... document ..."), or NULL. */
static struct try_item *
item_of(struct try_item *it, size_t n, const char *desc)
{
	size_t i, len;

	if (desc == NULL)
		return NULL;
	len = strcspn(desc, " ");
	for (i = 0; i < n; i++)
		if (strlen(it[i].id) == len &&
		    memcmp(it[i].id, desc, len) == 0 && desc[len] == ' ')
			return &it[i];
	return NULL;
}

/* One item's answer from t's, as send_prepared left it. */
static void
item_set(struct tryton *t, struct try_item *x, int rc)
{
	x->rc = rc;
	x->found = t->found;
	snprintf(x->ref, sizeof(x->ref), "%s", t->ref);
	snprintf(x->why, sizeof(x->why), "%s", t->why);
}

/* The ERP refused something of the batch: each entry alone says which. */
static int
one_by_one(struct tryton *t, int64_t company, struct try_item *it, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (it[i].rc != TRY_DOWN)
			continue;
		rc = send_prepared(t, company, it[i].id, it[i].vals);
		item_set(t, &it[i], rc);
		if (rc == TRY_DOWN)
			return TRY_DOWN;
	}
	return 0;
}

/*
 * A call of the batch failed: refused (a UserError: whose?), each entry
 * alone; not answered, TRY_DOWN.
 */
static int
batch_failed(struct tryton *t, int rc, int64_t company, struct try_item *it,
    size_t n)
{
	return translate(rc) == TRY_FAILED ? one_by_one(t, company, it, n) :
	    TRY_DOWN;
}

/* model.account.move.M(list, {"company": company}) */
static int
moves_call(struct tryton *t, const char *method, json_t *list,
    int64_t company, json_t **res)
{
	return call(t, method, json_pack("[o,{s:I}]", list, "company",
	    (json_int_t)company), res);
}

int
tryton_batch(struct tryton *t, int64_t company, struct try_item *it,
    size_t n)
{
	json_t *dom, *any, *res, *m, *create, *ids, *v;
	struct try_item *x;
	char like[160];
	size_t i, k;
	int rc;

	t->why[0] = '\0';
	for (i = 0; i < n; i++) {
		it[i].rc = TRY_DOWN;
		it[i].move = 0;
		it[i].found = it[i].posted = 0;
		it[i].ref[0] = it[i].why[0] = '\0';
	}
	/* exactly once: one look-up of all the batch's entries, first */
	any = json_pack("[s]", "OR");
	for (i = 0; i < n; i++) {
		snprintf(like, sizeof(like), "%s %%", it[i].id);
		json_array_append_new(any, json_pack("[s,s,s]", "description",
		    "like", like));
	}
	dom = json_pack("[[s,s,I],o]", "company", "=", (json_int_t)company,
	    any);
	rc = search_read(t, "account.move", company, dom, json_pack(
	    "[s,s,s]", "id", "state", "description"), &res);
	if (rc != R_OK)
		return batch_failed(t, rc, company, it, n);
	json_array_foreach(res, i, m) {
		const char *st = json_string_value(json_object_get(m, "state"));

		x = item_of(it, n, json_string_value(json_object_get(m,
		    "description")));
		if (x == NULL || x->move != 0)
			continue;	/* one found already: tryton.h */
		x->move = json_integer_value(json_object_get(m, "id"));
		x->posted = st != NULL && strcmp(st, "posted") == 0;
		x->found = 1;
	}
	json_decref(res);

	/* the moves the ERP has not: one create, ids in their order */
	create = json_array();
	for (i = 0; i < n; i++)
		if (it[i].move == 0)
			json_array_append(create, it[i].vals);
	if (json_array_size(create) > 0) {
		rc = moves_call(t, "model.account.move.create", create,
		    company, &res);
		if (rc != R_OK)
			return batch_failed(t, rc, company, it, n);
		for (i = k = 0; i < n; i++)
			if (it[i].move == 0)
				it[i].move = json_integer_value(
				    json_array_get(res, k++));
		json_decref(res);
	} else
		json_decref(create);

	/* the drafts posted, in one call; then every number in one */
	ids = json_array();
	for (i = 0; i < n; i++)
		if (!it[i].posted)
			json_array_append_new(ids, json_integer(it[i].move));
	if (json_array_size(ids) > 0) {
		rc = moves_call(t, "model.account.move.post", ids, company,
		    &res);
		if (rc != R_OK)
			return batch_failed(t, rc, company, it, n);
		json_decref(res);
	} else
		json_decref(ids);
	ids = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(ids, json_integer(it[i].move));
	rc = search_read(t, "account.move", company, json_pack("[[s,s,o]]",
	    "id", "in", ids), F2("id", "post_number"), &res);
	if (rc != R_OK)
		return TRY_DOWN;
	json_array_foreach(res, k, m) {
		int64_t id = json_integer_value(json_object_get(m, "id"));

		v = json_object_get(m, "post_number");
		for (i = 0; i < n; i++)
			if (it[i].move == id && json_is_string(v)) {
				snprintf(it[i].ref, sizeof(it[i].ref), "%s",
				    json_string_value(v));
				it[i].rc = TRY_CONFIRMED;
			}
	}
	json_decref(res);
	for (i = 0; i < n; i++)
		if (it[i].rc != TRY_CONFIRMED)
			return why(t, TRY_DOWN, "move %" PRId64 " of entry %s "
			    "has no post number after it was posted",
			    it[i].move, it[i].id);
	return 0;
}

/* ---- the connection ---- */

int
tryton_open(struct tryton *t, const char *url, long timeout_ms,
    const char *user, const char *password, struct retry *pace)
{
	int rc;

	memset(t, 0, sizeof(*t));
	hmap_init(&t->ids);
	t->user = xstrdup(user);
	t->password = xstrdup(password);
	if (sodium_init() < 0)
		die(EX_OSERR, "libsodium cannot start");
	if (erpc_open(&t->rpc, url, timeout_ms) < 0)
		return why(t, TRY_DOWN, "%s", t->rpc.err);
	/* --max-rate: every call, the login's and the look-ups' too */
	t->rpc.pace = pace;
	rc = login(t);
	return rc == R_OK ? 0 : translate(rc);
}

void
tryton_close(struct tryton *t)
{
	erpc_close(&t->rpc);
	hmap_free(&t->ids);
	if (t->password != NULL)
		sodium_memzero(t->password, strlen(t->password));
	free(t->user);
	free(t->password);
}
