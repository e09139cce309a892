/*
 * doc.c: the document record's writer; see doc.h.  Its fields and their
 * order are usage-to-cash(5)'s, and the ledger keeps a document as these
 * bytes: --replay writes them again as they were.
 */
#include <string.h>

#include <jansson.h>

#include "doc.h"
#include "jval.h"
#include "jw.h"
#include "tm.h"

void
doc_key(const unsigned char *invoice_key, int64_t version, unsigned char *out)
{
	struct keyh h;

	key_start(&h, "document");
	key_field(&h, invoice_key, KEY_LEN);
	key_i64(&h, version);
	key_end(&h, out);
}

enum doc_kind
doc_kind_of(int first, const struct inv_totals *t)
{
	/* a note of total 0 (only the credit applied changed) goes by the
	 * amount due */
	return first ? DK_INVOICE : dec_sign(t->total) < 0 ?
	    DK_CREDIT : dec_sign(t->total) > 0 ? DK_DEBIT :
	    dec_sign(t->due) < 0 ? DK_CREDIT : DK_DEBIT;
}

static void
jw_strn0(struct jw *w, const char *s)
{
	if (s != NULL)
		jw_str(w, s);
	else
		jw_null(w);
}

static void
party(struct jw *w, const char *id, const char *name, const char *tax_id,
    const char *country, const char *region, json_t *address, json_t *obj)
{
	static const char *const contact[] = { "email", "phone", "website",
	    "peppol_id", "buyer_reference", NULL };
	const char *const *k;

	jw_open(w, '{');
	JW_KEY(w, "id");
	jw_str(w, id);
	JW_KEY(w, "name");
	jw_strn0(w, name);
	JW_KEY(w, "tax_id");
	jw_strn0(w, tax_id);
	JW_KEY(w, "country");
	jw_strn0(w, country);
	JW_KEY(w, "region");
	jw_strn0(w, region);
	JW_KEY(w, "address");
	if (address != NULL)
		jw_json(w, address, NULL);
	else
		jw_null(w);
	for (k = contact; *k != NULL; k++)
		if (jval_str(obj, *k) != NULL) {
			jw_key(w, *k);
			jw_str(w, jval_str(obj, *k));
		}
	jw_close(w, '}');
}

void
doc_json(const struct doc *dc, struct buf *o)
{
	const struct inv_head *iv = dc->h;
	const struct customer *cu = iv->cu;
	char day[16];
	struct jw w;
	size_t i;
	json_t *addr = json_object_get(cu->obj, "address");

	jw_init(&w, o);
	jw_open(&w, '{');
	JW_KEY(&w, "kind");
	jw_str(&w, doc_kind_name(dc->kind));
	JW_KEY(&w, "schema");
	jw_str(&w, "1.0");
	JW_KEY(&w, "key");
	jw_hex(&w, dc->key, KEY_LEN);
	JW_KEY(&w, "invoice_key");
	jw_hex(&w, iv->key, KEY_LEN);
	JW_KEY(&w, "number");
	jw_strn0(&w, dc->draft ? NULL : dc->number);
	JW_KEY(&w, "state");
	jw_str(&w, dc->draft ? "draft" : "issued");
	JW_KEY(&w, "version");
	jw_int(&w, dc->version);
	JW_KEY(&w, "references");
	jw_strn0(&w, dc->ref);
	JW_KEY(&w, "entity");
	party(&w, iv->en->id, iv->en->name, iv->en->tax_id, iv->en->country,
	    iv->en->region, iv->en->address, iv->en->obj);
	JW_KEY(&w, "customer");
	party(&w, cu->id, jval_text(cu->obj, "name"),
	    jval_text(cu->obj, "tax_id"), cu->country,
	    jval_text(cu->obj, "region"),
	    json_is_object(addr) ? addr : NULL, cu->obj);
	JW_KEY(&w, "period_start");
	jw_time(&w, iv->ps);
	JW_KEY(&w, "period_end");
	jw_time(&w, iv->pe);
	JW_KEY(&w, "timezone");
	jw_str(&w, cu->timezone);
	JW_KEY(&w, "issue_date");
	tm_day_str(dc->issue_day, day, sizeof(day));
	jw_str(&w, day);
	JW_KEY(&w, "due_date");
	tm_day_str(dc->due_day, day, sizeof(day));
	jw_str(&w, day);
	JW_KEY(&w, "currency");
	jw_str(&w, iv->currency);
	JW_KEY(&w, "lines");
	jw_open(&w, '[');
	for (i = 0; i < dc->d->nl; i++) {
		const struct inv_line *l = &dc->d->l[i];
		const struct inv_cat *c = inv_cat_find(dc->d, l->cat);

		jw_open(&w, '{');
		JW_KEY(&w, "line");
		jw_int(&w, (int64_t)i + 1);
		JW_KEY(&w, "rated_key");
		jw_strn(&w, l->rkey, 2 * KEY_LEN);
		JW_KEY(&w, "line_type");
		jw_str(&w, l->line_type);
		JW_KEY(&w, "charge");
		jw_strn0(&w, l->charge);
		JW_KEY(&w, "name");
		jw_strn0(&w, l->name);
		JW_KEY(&w, "tax_code");
		jw_strn0(&w, l->tax_code);
		JW_KEY(&w, "quantity");
		jw_dec(&w, l->qty);
		JW_KEY(&w, "service_start");
		jw_time(&w, l->ss);
		JW_KEY(&w, "service_end");
		jw_time(&w, l->se);
		JW_KEY(&w, "net");
		jw_dec(&w, l->net);
		if (c != NULL && c->inclusive) {
			JW_KEY(&w, "gross");
			jw_dec(&w, l->gross);
		}
		JW_KEY(&w, "tax_category");
		jw_str(&w, c ? c->code : "");
		JW_KEY(&w, "tax_rate");
		jw_dec(&w, c ? c->rate : DEC_ZERO);
		JW_KEY(&w, "lineage");
		jw_strn0(&w, l->lineage[0] ? l->lineage : NULL);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	JW_KEY(&w, "tax_lines");
	jw_open(&w, '[');
	for (i = 0; i < dc->d->nc; i++) {
		const struct inv_cat *c = &dc->d->c[i];

		jw_open(&w, '{');
		JW_KEY(&w, "category");
		jw_str(&w, c->code);
		JW_KEY(&w, "rate");
		jw_dec(&w, c->rate);
		JW_KEY(&w, "inclusive");
		jw_bool(&w, c->inclusive);
		JW_KEY(&w, "rounding");
		jw_str(&w, dec_round_name(c->rounding));
		JW_KEY(&w, "name");
		jw_strn0(&w, c->name);
		JW_KEY(&w, "base");
		jw_dec(&w, c->base);
		JW_KEY(&w, "tax");
		jw_dec(&w, c->tax);
		JW_KEY(&w, "note");
		jw_strn0(&w, c->note);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	JW_KEY(&w, "net");
	jw_dec(&w, dc->tot.net);
	JW_KEY(&w, "tax");
	jw_dec(&w, dc->tot.tax);
	JW_KEY(&w, "total");
	jw_dec(&w, dc->tot.total);
	JW_KEY(&w, "prepaid_credit");
	jw_dec(&w, dc->d->credit);
	JW_KEY(&w, "amount_due");
	jw_dec(&w, dc->tot.due);
	JW_KEY(&w, "functional_currency");
	jw_str(&w, iv->en->currency);
	JW_KEY(&w, "fx");
	if (dc->fx != NULL) {
		jw_open(&w, '{');
		JW_KEY(&w, "from");
		jw_str(&w, dc->fx->from);
		JW_KEY(&w, "to");
		jw_str(&w, dc->fx->to);
		JW_KEY(&w, "rate");
		jw_dec(&w, dc->fx->rate);
		JW_KEY(&w, "date");
		tm_day_str(dc->fx->day, day, sizeof(day));
		jw_str(&w, day);
		JW_KEY(&w, "net");
		jw_dec(&w, dc->fx_net);
		JW_KEY(&w, "tax");
		jw_dec(&w, dc->fx_tax);
		JW_KEY(&w, "total");
		jw_dec(&w, dc->fx_total);
		jw_close(&w, '}');
	} else
		jw_null(&w);
	JW_KEY(&w, "lineage");
	jw_strn0(&w, dc->tot.has_lineage ? dc->tot.lineage : NULL);
	JW_KEY(&w, "correlation_id");
	jw_hex(&w, dc->key, KEY_LEN);
	jw_close(&w, '}');
	buf_addc(o, '\n');
}
