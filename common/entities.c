/*
 * entities.c: load and check the entities file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "currency.h"
#include "entities.h"
#include "tz.h"
#include "util.h"

#define ENTITIES_MAXFILE	(16 * 1024 * 1024)
#define NUMBER_MAX		64

static const char *const kind_names[] = {
	[DK_INVOICE] = "invoice", [DK_CREDIT] = "credit_note",
	[DK_DEBIT] = "debit_note"
};

static const char *const fmt_keys[] = {
	[DK_INVOICE] = "invoice_number_format",
	[DK_CREDIT] = "credit_note_number_format",
	[DK_DEBIT] = "debit_note_number_format"
};

/* the defaults put the entity's id in front: "acme-us-CN-2026-000001" */
static const char *const fmt_defaults[] = {
	[DK_INVOICE] = "%s-{yyyy}-{seq:6}",
	[DK_CREDIT] = "%s-CN-{yyyy}-{seq:6}",
	[DK_DEBIT] = "%s-DN-{yyyy}-{seq:6}"
};

const char *
doc_kind_name(enum doc_kind k)
{
	return kind_names[k];
}

/* Render a format; with seq < 0 the sequence is left out (the scope). */
static int
number_fmt(const char *fmt, int64_t year, unsigned month, int64_t seq,
    char *out, size_t n, const char **why)
{
	struct buf b = { 0 };
	const char *p, *e;
	int nseq = 0, w;

	for (p = fmt; *p; p++) {
		if (*p != '{') {
			if (*p == '}') {
				*why = "a '}' without its '{'";
				goto bad;
			}
			buf_addc(&b, *p);
			continue;
		}
		if ((e = strchr(p, '}')) == NULL) {
			*why = "a '{' without its '}'";
			goto bad;
		}
		if (e - p == 5 && strncmp(p, "{yyyy}", 6) == 0)
			buf_printf(&b, "%04lld", (long long)year);
		else if (e - p == 3 && strncmp(p, "{yy}", 4) == 0)
			buf_printf(&b, "%02lld", (long long)(year % 100));
		else if (e - p == 3 && strncmp(p, "{mm}", 4) == 0)
			buf_printf(&b, "%02u", month);
		else if (e - p == 4 && strncmp(p, "{seq}", 5) == 0) {
			nseq++;
			if (seq >= 0)
				buf_printf(&b, "%lld", (long long)seq);
			else
				buf_adds(&b, "{seq}");
		} else if (strncmp(p, "{seq:", 5) == 0 && e - p >= 6 &&
		    e - p <= 7 && (w = atoi(p + 5)) >= 1 && w <= 12 &&
		    strspn(p + 5, "0123456789") == (size_t)(e - p - 5)) {
			nseq++;
			if (seq >= 0)
				buf_printf(&b, "%0*lld", w, (long long)seq);
			else
				buf_printf(&b, "{seq:%d}", w);
		} else {
			*why = "an unknown field: {yyyy}, {yy}, {mm}, {seq} and "
			    "{seq:N} (N 1 to 12) are known";
			goto bad;
		}
		p = e;
	}
	if (nseq != 1) {
		*why = "it needs exactly one {seq} or {seq:N}";
		goto bad;
	}
	if (b.len == 0 || b.len >= n) {
		*why = "the number would be longer than 64 bytes";
		goto bad;
	}
	memcpy(out, b.p, b.len);
	out[b.len] = '\0';
	buf_free(&b);
	return 0;
bad:
	buf_free(&b);
	return -1;
}

void
doc_number(const char *fmt, int64_t year, unsigned month, int64_t seq,
    char *num, size_t nlen, char *scope, size_t slen)
{
	const char *why;

	if (number_fmt(fmt, year, month, seq, num, nlen, &why) < 0 ||
	    number_fmt(fmt, year, month, -1, scope, slen, &why) < 0)
		die(EX_SOFTWARE, "number format '%s': %s", fmt, why);
}

int
peppol_id(const char *s)
{
	return strlen(s) > 5 && strspn(s, "0123456789") == 4 && s[4] == ':';
}

/*
 * An IBAN (ISO 13616): a country code, two check digits and up to 30
 * letters and digits, whose digits (letters as 10 to 35, the first four
 * characters moved to the end) are 1 modulo 97.
 */
int
bank_iban_ok(const char *s)
{
	size_t i, n = strlen(s);
	unsigned r = 0;
	int c;

	if (n < 15 || n > 34 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
	    s[1] > 'Z' || !u_isdigit(s[2]) || !u_isdigit(s[3]))
		return 0;
	for (i = 0; i < n; i++) {
		c = s[(i + 4) % n];
		if (u_isdigit(c))
			r = (r * 10 + (unsigned)(c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return r == 1;
}

/* A US routing number (ABA): 9 digits, weighted 3 7 1, a multiple of 10 */
int
bank_aba_ok(const char *s)
{
	static const int w[] = { 3, 7, 1 };
	int i, sum = 0;

	if (strlen(s) != 9 || strspn(s, "0123456789") != 9)
		return 0;
	for (i = 0; i < 9; i++)
		sum += w[i % 3] * (s[i] - '0');
	return sum % 10 == 0;
}

/*
 * The entity's bank account, on its invoices as where to pay: an IBAN
 * (and the bank's BIC), or an account number (and a routing number),
 * and the account holder's name.
 */
static void
bank_load(struct conf *cf, json_t *v)
{
	static const char *const keys[] = { "name", "iban", "bic", "account",
	    "routing", NULL };
	const char *iban, *bic, *acct, *routing, *name;
	int ki, kb, ka, kr;

	if (!json_is_object(v)) {
		conf_err(cf, "bank must be an object: {\"iban\", \"bic\"} or "
		    "{\"account\", \"routing\"}, and an optional \"name\"");
		return;
	}
	conf_where_add(cf, ".bank");
	conf_unknown(cf, v, keys, NULL, NULL);
	(void)conf_str(cf, v, "name", 128, &name);
	ki = conf_str(cf, v, "iban", 34, &iban);
	kb = conf_str(cf, v, "bic", 11, &bic);
	ka = conf_str(cf, v, "account", 34, &acct);
	kr = conf_str(cf, v, "routing", 9, &routing);
	if ((ki > 0) == (ka > 0) && ki >= 0 && ka >= 0)
		conf_err(cf, "bank needs an iban or an account, not both");
	if (ki > 0 && !bank_iban_ok(iban))
		conf_err(cf, "iban '%s' is not an IBAN (capitals and digits, "
		    "no spaces, its check digits right)", iban);
	if (kb > 0 && ((strlen(bic) != 8 && strlen(bic) != 11) ||
	    strspn(bic, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
	    strlen(bic)))
		conf_err(cf, "bic '%s' is not a BIC (8 or 11 capitals and "
		    "digits)", bic);
	if (kr > 0 && !bank_aba_ok(routing))
		conf_err(cf, "routing '%s' is not a routing number (9 digits, "
		    "its check digit right)", routing);
	if ((kb > 0 && ka > 0) || (kr > 0 && ki > 0))
		conf_err(cf, "bank: a bic goes with an iban, a routing number "
		    "with an account");
}

static void
entity_load(struct conf *cf, struct entities *es, size_t i, json_t *o,
    struct entity *en)
{
	static const char *const keys[] = { "id", "name", "tax_id",
	    "country", "region", "address", "functional_currency",
	    "timezone", "payment_terms_days", "invoice_number_format",
	    "credit_note_number_format", "debit_note_number_format",
	    "email", "phone", "website", "bank", "peppol_id", "legal_id",
	    "description", NULL };
	const char *id, *s, *why;
	char num[NUMBER_MAX + 1], path[256];
	struct buf d = { 0 };
	json_t *v;
	int k;

	memset(en, 0, sizeof(*en));
	conf_where(cf, "entities[%zu]", i);
	if (!json_is_object(o)) {
		conf_err(cf, "an entity must be an object");
		return;
	}
	if ((id = conf_id(cf, o, "id")) != NULL) {
		conf_where(cf, "entities[%zu] ('%s')", i, id);
		en->id = xstrdup(id);
		if (hmap_get(&es->by_id, id) != NULL)
			conf_err(cf, "the id is used by another entity");
	}
	conf_unknown(cf, o, keys, NULL, NULL);
	if ((s = conf_id(cf, o, "name")) != NULL)
		en->name = xstrdup(s);
	if (conf_str(cf, o, "tax_id", 64, &s) > 0)
		en->tax_id = xstrdup(s);
	if (conf_str(cf, o, "region", 64, &s) > 0)
		en->region = xstrdup(s);
	if (conf_str(cf, o, "peppol_id", 128, &s) > 0 && !peppol_id(s))
		conf_err(cf, "peppol_id must be an electronic address as "
		    "SCHEME:ID with a 4-digit scheme, like "
		    "\"0088:5790000435975\"");
	(void)conf_str(cf, o, "legal_id", 64, &s);
	if ((v = json_object_get(o, "bank")) != NULL) {
		bank_load(cf, v);
		if (id != NULL)
			conf_where(cf, "entities[%zu] ('%s')", i, id);
		else
			conf_where(cf, "entities[%zu]", i);
	}
	v = json_object_get(o, "country");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
	    s[1] > 'Z')
		conf_err(cf, "country must be an ISO 3166 alpha-2 code like "
		    "\"DE\"");
	else
		en->country = xstrdup(s);
	v = json_object_get(o, "functional_currency");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (!cur_valid(s) || cur_minor(s) < 0)
		conf_err(cf, "functional_currency must be an ISO 4217 code "
		    "like \"USD\"");
	else
		memcpy(en->currency, s, 4);
	if ((v = json_object_get(o, "address")) != NULL) {
		if (!json_is_object(v))
			conf_err(cf, "address must be an object (line1, city, "
			    "postal_code, region, country ...)");
		else if (conf_number_in(v, "address", path, sizeof(path)))
			conf_err(cf, "%s must be a string", path);
		else
			en->address = json_incref(v);
	}
	if (conf_str(cf, o, "timezone", 64, &s) > 0) {
		if ((en->tz = tz_set_get(&es->zones, s, &why)) == NULL)
			conf_err(cf, "timezone '%s': %s", s, why);
		en->timezone = xstrdup(s);
	}
	if ((v = json_object_get(o, "payment_terms_days")) != NULL &&
	    jrec_int(&cf->jr, v, 0, 3650, &en->terms_days) < 0)
		conf_err(cf, "payment_terms_days must be a whole number of "
		    "days from 0 to 3650");
	for (k = 0; k < 3; k++) {
		if (conf_str(cf, o, fmt_keys[k], NUMBER_MAX, &s) == 0) {
			buf_reset(&d);
			buf_printf(&d, fmt_defaults[k], id ? id : "X");
			s = buf_cstr(&d);
		}
		if (s == NULL)
			continue;
		/*
		 * Rendered with the longest sequence the ledger counts to
		 * as well: a format that fits today but not at its
		 * 100,000th number would stop invoice-gen then (exit 70).
		 */
		if (number_fmt(s, 2026, 1, 1, num, sizeof(num), &why) < 0)
			conf_err(cf, "%s '%s': %s", fmt_keys[k], s, why);
		else if (number_fmt(s, 2026, 1, INT64_MAX, num, sizeof(num),
		    &why) < 0)
			conf_err(cf, "%s '%s': with a sequence of 19 digits "
			    "the number would be longer than %d bytes",
			    fmt_keys[k], s, NUMBER_MAX);
		else
			en->fmt[k] = xstrdup(s);
	}
	buf_free(&d);
	en->obj = json_incref(o);
}

static void
entity_free(struct entity *en)
{
	int k;

	free(en->id);
	free(en->name);
	free(en->tax_id);
	free(en->country);
	free(en->region);
	free(en->timezone);
	for (k = 0; k < 3; k++)
		free(en->fmt[k]);
	if (en->address != NULL)
		json_decref(en->address);
	if (en->obj != NULL)
		json_decref(en->obj);
}

/*
 * Documents of all entities share one namespace of numbers in the
 * ledger: two entities whose formats give the same numbers would clash.
 */
static void
same_numbers(struct conf *cf, const struct entities *es)
{
	char a[NUMBER_MAX + 1], b[NUMBER_MAX + 1], s[NUMBER_MAX + 1];
	size_t i, j;
	int k, l;

	for (i = 0; i < es->n; i++)
		for (k = 0; k < 3; k++)
			for (j = i + 1; es->v[i].fmt[k] && j < es->n; j++)
				for (l = 0; l < 3; l++) {
					if (es->v[j].fmt[l] == NULL)
						continue;
					doc_number(es->v[i].fmt[k], 2026, 1, 1,
					    a, sizeof(a), s, sizeof(s));
					doc_number(es->v[j].fmt[l], 2026, 1, 1,
					    b, sizeof(b), s, sizeof(s));
					if (strcmp(a, b) != 0)
						continue;
					conf_where(cf, "entities[%zu] ('%s')",
					    j, es->v[j].id);
					conf_err(cf, "%s gives the numbers "
					    "entities[%zu] ('%s') does (%s): "
					    "each entity needs a prefix of its "
					    "own", fmt_keys[l], i, es->v[i].id,
					    a);
				}
}

void
entities_load(struct entities *es, const char *path)
{
	static const char *const keys[] = { "schema", "entities",
	    "description", NULL };
	struct conf cf;
	json_t *list, *o;
	size_t i;

	memset(es, 0, sizeof(*es));
	es->path = path;
	hmap_init(&es->by_id);
	tz_set_init(&es->zones);
	conf_open(&cf, path, "entities file", ENTITIES_MAXFILE);
	conf_unknown(&cf, cf.root, keys, NULL, NULL);
	list = json_object_get(cf.root, "entities");
	if (!json_is_array(list) || json_array_size(list) == 0)
		die(EX_CONFIG, "entities file '%s' needs a non-empty list "
		    "\"entities\"", path);
	es->v = xcalloc(json_array_size(list), sizeof(*es->v));
	json_array_foreach(list, i, o) {
		entity_load(&cf, es, i, o, &es->v[i]);
		es->n++;
		if (es->v[i].id != NULL &&
		    hmap_get(&es->by_id, es->v[i].id) == NULL)
			hmap_put(&es->by_id, es->v[i].id, &es->v[i]);
	}
	same_numbers(&cf, es);
	conf_done(&cf);
	conf_close(&cf);
}

void
entities_free(struct entities *es)
{
	size_t i;

	for (i = 0; i < es->n; i++)
		entity_free(&es->v[i]);
	hmap_free(&es->by_id);
	tz_set_free(&es->zones);
	free(es->v);
}

const struct entity *
entity_get(const struct entities *es, const char *id)
{
	return hmap_get(&es->by_id, id);
}
