/*
 * accounts.c: load and check the accounts file.
 */
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "conf.h"
#include "tm.h"
#include "util.h"

#define ACCOUNTS_MAXFILE	(16 * 1024 * 1024)
#define ACCOUNT_MAX		200

/*
 * An account name: printable, no two spaces in a row and no tab (the
 * plain-text journals end a name there), no ';' (a comment there).
 */
static int
account_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > ACCOUNT_MAX || *s == ' ' ||
	    s[strlen(s) - 1] == ' ')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ';' ||
		    (s[0] == ' ' && s[1] == ' '))
			return 0;
	return 1;
}

static char *
account(struct conf *cf, json_t *o, const char *k, int need)
{
	json_t *v = json_object_get(o, k);

	if (v == NULL || json_is_null(v)) {
		if (need)
			conf_err(cf, "%s is missing: an account name", k);
		return NULL;
	}
	if (!json_is_string(v) || !account_ok(json_string_value(v))) {
		conf_err(cf, "%s must be an account name: printable, without "
		    "';', tabs or two spaces in a row", k);
		return NULL;
	}
	return xstrdup(json_string_value(v));
}

static void
acctmap_load(struct conf *cf, json_t *o, const char *k, struct acctmap *am)
{
	json_t *v = json_object_get(o, k), *e;
	const char *key;
	char *a;

	hmap_init(&am->m);
	if (v == NULL)
		return;
	if (!json_is_object(v)) {
		conf_err(cf, "%s must be an object of names to accounts", k);
		return;
	}
	json_object_foreach(v, key, e) {
		size_t n = strlen(cf->where);

		conf_where_add(cf, ": %s: '%s'", k, key);
		if ((a = account(cf, v, key, 1)) != NULL)
			hmap_put(&am->m, key, a);
		cf->where[n] = '\0';
	}
}

static void
acctmap_free(struct acctmap *am)
{
	size_t i;

	for (i = 0; i < am->m.cap; i++)
		if (am->m.t[i].key != NULL)
			free(am->m.t[i].val);
	hmap_free(&am->m);
}

/* "2026-09-30" as days since 1970, or INT64_MIN after reporting. */
static int64_t
day_member(struct conf *cf, const char *k, const char *s)
{
	char t[40];
	int64_t ns;
	const char *why;

	snprintf(t, sizeof(t), "%.10sT00:00:00Z", s);
	if (strlen(s) != 10 || tm_parse(t, strlen(t), &ns, &why) < 0) {
		conf_err(cf, "%s must be a day like \"2026-09-30\"", k);
		return INT64_MIN;
	}
	return ns / TM_NS_PER_SEC / 86400;
}

/* ---- the ERPs' names for the books (member "erp") ---- */

#define ERP_CODE_MAX	64
#define ERP_NAME_MAX	200	/* a QuickBooks "Parent:Sub" name */

/*
 * An object of names to the ERP's names, in the file's order (jansson
 * keeps it), each a plain string: n pairs, or 0 with an error said.
 */
static struct books_kv *
kv_load(struct conf *cf, json_t *e, const char *k, size_t max, size_t *n)
{
	json_t *v = json_object_get(e, k), *x;
	struct books_kv *kv;
	const char *key;

	*n = 0;
	if (v == NULL)
		return NULL;
	if (!json_is_object(v) || json_object_size(v) > max) {
		conf_err(cf, "%s must be an object of at most %zu names to the "
		    "ERP's names", k, max);
		return NULL;
	}
	kv = xcalloc(json_object_size(v) + 1, sizeof(*kv));
	json_object_foreach(v, key, x) {
		if (!conf_plain(x, ERP_NAME_MAX) || !conf_plain_str(key,
		    ERP_NAME_MAX)) {
			conf_err(cf, "%s: '%s' must be a name of 1 to %d "
			    "printable bytes", k, key, ERP_NAME_MAX);
			continue;
		}
		kv[*n].k = xstrdup(key);
		kv[*n].v = xstrdup(json_string_value(x));
		(*n)++;
	}
	return kv;
}

static void
kv_free(struct books_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].k);
		free(kv[i].v);
	}
	free(kv);
}

/* What the import files (impfile.h) need besides the accounts' codes. */
static void
erp_import_load(struct conf *cf, json_t *e, struct books_erp *x)
{
	struct books_kv *c;
	const char *s;
	size_t n;

	hmap_init(&x->customers.m);
	if (conf_str(cf, e, "subsidiary", ERP_NAME_MAX, &s) > 0)
		x->subsidiary = xstrdup(s);
	if (conf_str(cf, e, "department", ERP_NAME_MAX, &s) > 0)
		x->department = xstrdup(s);
	if (conf_str(cf, e, "class", ERP_NAME_MAX, &s) > 0)
		x->class = xstrdup(s);
	if (conf_str(cf, e, "location", ERP_NAME_MAX, &s) > 0)
		x->location = xstrdup(s);
	x->tax_rates = kv_load(cf, e, "tax_rates", 10000, &x->ntax_rates);
	x->tracking = kv_load(cf, e, "tracking", 2, &x->ntracking);
	c = kv_load(cf, e, "customers", SIZE_MAX, &n);
	for (size_t i = 0; i < n; i++) {
		hmap_put(&x->customers.m, c[i].k, c[i].v);
		free(c[i].k);
	}
	free(c);
}

static void
erp_load(struct conf *cf, json_t *o, struct books *b)
{
	static const char *const keys[] = { "company", "journal", "accounts",
	    "subsidiary", "department", "class", "location", "customers",
	    "tax_rates", "tracking", NULL };
	json_t *v = json_object_get(o, "erp"), *e, *c, *code;
	const char *name, *acct, *s;
	size_t n = strlen(cf->where), m;

	if (v == NULL)
		return;
	if (!json_is_object(v)) {
		conf_err(cf, "erp must be an object of ERP names (\"tryton\") "
		    "to their names for the books");
		return;
	}
	b->erp = xcalloc(json_object_size(v) + 1, sizeof(*b->erp));
	json_object_foreach(v, name, e) {
		struct books_erp *x = &b->erp[b->nerp++];

		x->erp = xstrdup(name);
		hmap_init(&x->accounts.m);
		conf_where_add(cf, ": erp: '%s'", name);
		if (!json_is_object(e)) {
			conf_err(cf, "must be an object of company, journal "
			    "and accounts");
			cf->where[n] = '\0';
			continue;
		}
		conf_unknown(cf, e, keys, NULL, NULL);
		if (conf_str(cf, e, "company", CONF_MAXID, &s) > 0)
			x->company = xstrdup(s);
		if (conf_str(cf, e, "journal", ERP_CODE_MAX, &s) > 0)
			x->journal = xstrdup(s);
		c = json_object_get(e, "accounts");
		if (c != NULL && !json_is_object(c))
			conf_err(cf, "accounts must be an object of our "
			    "accounts to the ERP's codes");
		else if (c != NULL) {
			m = strlen(cf->where);
			json_object_foreach(c, acct, code) {
				conf_where_add(cf, ": accounts: '%s'", acct);
				if (!json_is_string(code) ||
				    !conf_plain(code, strcmp(name, "tryton") ==
				    0 ? ERP_CODE_MAX : ERP_NAME_MAX))
					conf_err(cf, "must be the ERP's code of "
					    "the account, a string");
				else if (!books_has(b, acct))
					conf_err(cf, "is not an account of "
					    "these books");
				else
					hmap_put(&x->accounts.m, acct, xstrdup(
					    json_string_value(code)));
				cf->where[m] = '\0';
			}
		}
		erp_import_load(cf, e, x);
		cf->where[n] = '\0';
	}
}

static void
books_load(struct conf *cf, size_t i, json_t *o, struct books *b)
{
	static const char *const keys[] = { "entity", "receivable", "revenue",
	    "revenue_by_charge", "revenue_by_tax_code", "discounts", "tax",
	    "tax_by_category", "deferred_revenue", "customer_credit",
	    "rounding", "cash", "clearing", "closed_through", "closed_months",
	    "closed_policy", "description", "erp", "fx_gain", "fx_loss",
	    "breakage", "promotions", NULL };
	const char *s;
	json_t *v, *e;
	size_t j;

	memset(b, 0, sizeof(*b));
	b->closed_through = INT64_MIN;
	conf_where(cf, "entities[%zu]", i);
	if (!json_is_object(o)) {
		conf_err(cf, "an entity's books must be an object");
		return;
	}
	if ((s = conf_id(cf, o, "entity")) != NULL) {
		b->entity = xstrdup(s);
		conf_where(cf, "entities[%zu] ('%s')", i, s);
	}
	conf_unknown(cf, o, keys, NULL, NULL);
	b->receivable = account(cf, o, "receivable", 1);
	b->revenue = account(cf, o, "revenue", 1);
	b->tax = account(cf, o, "tax", 1);
	b->deferred = account(cf, o, "deferred_revenue", 1);
	b->credit = account(cf, o, "customer_credit", 1);
	b->rounding = account(cf, o, "rounding", 1);
	b->discounts = account(cf, o, "discounts", 0);
	b->cash = account(cf, o, "cash", 0);
	b->clearing = account(cf, o, "clearing", 0);
	/* realized FX differences of payments: the rounding account unless */
	b->fx_gain = account(cf, o, "fx_gain", 0);
	b->fx_loss = account(cf, o, "fx_loss", 0);
	if (b->fx_gain == NULL && b->rounding != NULL)
		b->fx_gain = xstrdup(b->rounding);
	if (b->fx_loss == NULL && b->rounding != NULL)
		b->fx_loss = xstrdup(b->rounding);
	/* expired credit: revenue unless; promotions: as a discount */
	b->breakage = account(cf, o, "breakage", 0);
	b->promotions = account(cf, o, "promotions", 0);
	if (b->breakage == NULL && b->revenue != NULL)
		b->breakage = xstrdup(b->revenue);
	if (b->promotions == NULL && (b->discounts || b->revenue))
		b->promotions = xstrdup(b->discounts ? b->discounts :
		    b->revenue);
	acctmap_load(cf, o, "revenue_by_charge", &b->by_charge);
	acctmap_load(cf, o, "revenue_by_tax_code", &b->by_tax_code);
	acctmap_load(cf, o, "tax_by_category", &b->by_category);
	if (conf_str(cf, o, "closed_through", 10, &s) > 0)
		b->closed_through = day_member(cf, "closed_through", s);
	if ((v = json_object_get(o, "closed_months")) != NULL) {
		if (!json_is_array(v))
			conf_err(cf, "closed_months must be a list of months "
			    "like \"2026-07\"");
		else {
			b->closed_months = xcalloc(json_array_size(v) + 1,
			    sizeof(*b->closed_months));
			json_array_foreach(v, j, e) {
				char d[16];

				s = json_is_string(e) ? json_string_value(e) :
				    "";
				snprintf(d, sizeof(d), "%.7s-01", s);
				if (strlen(s) != 7) {
					conf_err(cf, "closed_months[%zu] must be "
					    "a month like \"2026-07\"", j);
					continue;
				}
				if ((b->closed_months[b->nclosed] =
				    day_member(cf, "closed_months", d)) ==
				    INT64_MIN)
					continue;
				b->nclosed++;
			}
		}
	}
	if ((v = json_object_get(o, "closed_policy")) != NULL) {
		s = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(s, "reject") == 0)
			b->reject_closed = 1;
		else if (strcmp(s, "next_open") != 0)
			conf_err(cf, "closed_policy must be \"next_open\" or "
			    "\"reject\"");
	}
	erp_load(cf, o, b);
}

static void
books_free(struct books *b)
{
	free(b->entity);
	free(b->receivable);
	free(b->revenue);
	free(b->tax);
	free(b->deferred);
	free(b->credit);
	free(b->discounts);
	free(b->rounding);
	free(b->cash);
	free(b->clearing);
	free(b->fx_gain);
	free(b->fx_loss);
	free(b->breakage);
	free(b->promotions);
	free(b->closed_months);
	for (size_t i = 0; i < b->nerp; i++) {
		free(b->erp[i].erp);
		free(b->erp[i].company);
		free(b->erp[i].journal);
		acctmap_free(&b->erp[i].accounts);
		free(b->erp[i].subsidiary);
		free(b->erp[i].department);
		free(b->erp[i].class);
		free(b->erp[i].location);
		acctmap_free(&b->erp[i].customers);
		kv_free(b->erp[i].tax_rates, b->erp[i].ntax_rates);
		kv_free(b->erp[i].tracking, b->erp[i].ntracking);
	}
	free(b->erp);
	acctmap_free(&b->by_charge);
	acctmap_free(&b->by_tax_code);
	acctmap_free(&b->by_category);
}

void
accounts_load(struct accounts *as, const char *path)
{
	static const char *const keys[] = { "schema", "entities",
	    "description", NULL };
	struct conf cf;
	json_t *list, *o;
	size_t i;

	memset(as, 0, sizeof(*as));
	as->path = path;
	hmap_init(&as->by_entity);
	conf_open(&cf, path, "accounts file", ACCOUNTS_MAXFILE);
	conf_unknown(&cf, cf.root, keys, NULL, NULL);
	list = json_object_get(cf.root, "entities");
	if (!json_is_array(list) || json_array_size(list) == 0)
		die(EX_CONFIG, "accounts file '%s' needs a non-empty list "
		    "\"entities\"", path);
	as->v = xcalloc(json_array_size(list), sizeof(*as->v));
	json_array_foreach(list, i, o) {
		struct books *b = &as->v[as->n++];

		books_load(&cf, i, o, b);
		if (b->entity == NULL)
			continue;
		if (hmap_get(&as->by_entity, b->entity) != NULL)
			conf_err(&cf, "entity '%s' has books already",
			    b->entity);
		else
			hmap_put(&as->by_entity, b->entity, b);
	}
	conf_done(&cf);
	conf_close(&cf);
}

void
accounts_free(struct accounts *as)
{
	size_t i;

	for (i = 0; i < as->n; i++)
		books_free(&as->v[i]);
	hmap_free(&as->by_entity);
	free(as->v);
}

const struct books *
books_of(const struct accounts *as, const char *entity)
{
	return hmap_get(&as->by_entity, entity);
}

const char *
acct_revenue(const struct books *b, const char *charge, const char *tax_code,
    const char *line_type)
{
	const char *a;

	if (b->discounts != NULL && strcmp(line_type, "discount") == 0)
		return b->discounts;
	if (charge != NULL && (a = hmap_get(&b->by_charge.m, charge)) != NULL)
		return a;
	if (tax_code != NULL &&
	    (a = hmap_get(&b->by_tax_code.m, tax_code)) != NULL)
		return a;
	return b->revenue;
}

const char *
acct_tax(const struct books *b, const char *category, const char *rate)
{
	char k[64];
	const char *a;

	snprintf(k, sizeof(k), "%s:%s", category, rate);
	if ((a = hmap_get(&b->by_category.m, k)) != NULL ||
	    (a = hmap_get(&b->by_category.m, category)) != NULL)
		return a;
	return b->tax;
}

static int
month_closed(const struct books *b, int64_t day)
{
	int64_t y, first;
	unsigned m, d;
	size_t i;

	tm_civil_from_days(day, &y, &m, &d);
	first = tm_days_from_civil(y, m, 1);
	for (i = 0; i < b->nclosed; i++)
		if (b->closed_months[i] == first)
			return 1;
	return 0;
}

int64_t
books_post_day(const struct books *b, int64_t day)
{
	int64_t y;
	unsigned m, d;
	int moved = 0;

	for (;;) {
		if (b->closed_through != INT64_MIN &&
		    day <= b->closed_through) {
			day = b->closed_through + 1;
			moved = 1;
			continue;
		}
		if (!month_closed(b, day))
			break;
		tm_civil_from_days(day, &y, &m, &d);
		day = m == 12 ? tm_days_from_civil(y + 1, 1, 1) :
		    tm_days_from_civil(y, m + 1, 1);
		moved = 1;
	}
	return moved && b->reject_closed ? -1 : day;
}

static int
in_map(const struct acctmap *am, const char *acct)
{
	size_t i;

	for (i = 0; i < am->m.cap; i++)
		if (am->m.t[i].key != NULL &&
		    strcmp(am->m.t[i].val, acct) == 0)
			return 1;
	return 0;
}

int
books_has(const struct books *b, const char *acct)
{
	const char **v;
	size_t i, n;
	int r = 0;

	v = books_accounts(b, &n);
	for (i = 0; i < n && !r; i++)
		r = strcmp(v[i], acct) == 0;
	free(v);
	return r;
}

int
books_role(const struct books *b, const char *acct)
{
	if (strcmp(acct, b->receivable) == 0)
		return ROLE_RECEIVABLE;
	if (strcmp(acct, b->tax) == 0 || in_map(&b->by_category, acct))
		return ROLE_TAX;
	if (strcmp(acct, b->revenue) == 0 || strcmp(acct, b->deferred) == 0 ||
	    (b->discounts != NULL && strcmp(acct, b->discounts) == 0) ||
	    in_map(&b->by_charge, acct) || in_map(&b->by_tax_code, acct))
		return ROLE_REVENUE;
	return books_has(b, acct) ? ROLE_OTHER : ROLE_NONE;
}

const struct books_erp *
books_erp(const struct books *b, const char *erp)
{
	size_t i;

	for (i = 0; i < b->nerp; i++)
		if (strcmp(b->erp[i].erp, erp) == 0)
			return &b->erp[i];
	return NULL;
}

const char *
books_erp_account(const struct books_erp *x, const char *acct)
{
	return hmap_get(&x->accounts.m, acct);
}

const char **
books_accounts(const struct books *b, size_t *n)
{
	const char *const one[] = { b->receivable, b->revenue, b->tax,
	    b->deferred, b->credit, b->discounts, b->rounding, b->cash,
	    b->clearing, b->fx_gain, b->fx_loss, b->breakage, b->promotions };
	const struct hmap *maps[] = { &b->by_charge.m, &b->by_tax_code.m,
	    &b->by_category.m };
	const char **v;
	size_t i, j, m = sizeof(one) / sizeof(one[0]);

	for (j = 0; j < 3; j++)
		m += maps[j]->cap;
	v = xcalloc(m, sizeof(*v));
	*n = 0;
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (one[i] != NULL)
			v[(*n)++] = one[i];
	for (j = 0; j < 3; j++)
		for (i = 0; i < maps[j]->cap; i++)
			if (maps[j]->t[i].key != NULL)
				v[(*n)++] = maps[j]->t[i].val;
	return v;
}

/* The least tax code of a map that maps to the account, or NULL. */
static const char *
code_of(const struct acctmap *am, const char *acct, const char *least)
{
	size_t i;

	for (i = 0; i < am->m.cap; i++)
		if (am->m.t[i].key != NULL &&
		    strcmp(am->m.t[i].val, acct) == 0 && (least == NULL ||
		    strcmp(am->m.t[i].key, least) < 0))
			least = am->m.t[i].key;
	return least;
}

const char *
books_erp_tax_rate(const struct books *b, const struct books_erp *x,
    const char *acct, const char **code)
{
	const char *a, *dflt = NULL;
	size_t i;

	for (i = 0; i < x->ntax_rates; i++) {
		if (strcmp(x->tax_rates[i].k, "default") == 0) {
			dflt = x->tax_rates[i].v;
			continue;
		}
		if (((a = hmap_get(&b->by_tax_code.m, x->tax_rates[i].k)) !=
		    NULL && strcmp(a, acct) == 0) || ((a = hmap_get(
		    &b->by_category.m, x->tax_rates[i].k)) != NULL &&
		    strcmp(a, acct) == 0))
			return x->tax_rates[i].v;
	}
	*code = code_of(&b->by_category, acct, code_of(&b->by_tax_code, acct,
	    NULL));
	return dflt;
}
