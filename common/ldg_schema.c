/*
 * ldg_schema.c: the ledger's tables at schema version LDG_SCHEMA (see
 * ldg_schema.h); what each column means is in ldg_sqlite.c's migrations
 * and usage-to-cash(5).
 */
#include <stddef.h>

#include "ldg_schema.h"

#define I(n)	{ n, LDGS_INT, 1, NULL }
#define T(n)	{ n, LDGS_TEXT, 1, NULL }
#define B(n)	{ n, LDGS_BLOB, 1, NULL }
#define IN(n)	{ n, LDGS_INT, 0, NULL }	/* may be NULL */
#define TN(n)	{ n, LDGS_TEXT, 0, NULL }

const struct ldg_table ldg_tables[] = {
	{ "meta", "k", 0, { T("k"), T("v") } },
	{ "usage_block", "day, seq", 0, { I("day"), I("seq"), I("n"),
	    I("last"), I("tmin"), I("tmax"), I("ingested"), B("data") } },
	{ "usage_gone", "day, seq", 0, { I("day"), I("seq"), I("gone") } },
	{ "ukey_run", "run", 0, { I("run"), I("n"), I("nblocks"),
	    B("bits") } },
	{ "credit_grant", "customer, id", 0, { T("customer"), T("id"),
	    T("currency"), T("amount"), I("granted"), I("recorded"),
	    IN("expires"), { "priority", LDGS_INT, 1, "50" },
	    { "paid", LDGS_INT, 1, "1" } } },
	{ "credit_draw", "customer, currency, period_start", 0, {
	    T("customer"), T("currency"), I("period_start"), I("period_end"),
	    T("amount"), T("balance"), I("drawn") } },
	{ "rate_alert", "customer, threshold, period_start", 0, {
	    T("customer"), T("threshold"), I("period_start"),
	    I("period_end"), T("amount"), I("fired") } },
	{ "doc_seq", "entity, scope", 0, { T("entity"), T("scope"),
	    I("next") } },
	{ "invoice", "key", 0, { B("key"), T("entity"), T("customer"),
	    I("period_start"), I("period_end"), T("currency"), T("number"),
	    T("state"), I("version"), T("cum") } },
	{ "doc", "number", 1, { T("number"), T("entity"), B("key"),
	    I("version"), T("kind"), I("issued"), T("total"),
	    T("record") } },
	{ "posting", "id", 0, { T("id"), T("entity"), T("number"),
	    T("state"), TN("erp_ref"), TN("reason"), I("emitted"),
	    I("updated"), T("record") } },
	{ "payment", "reference", 0, { T("reference"), T("number"),
	    T("amount"), T("currency"), I("day"), T("applied"), T("excess"),
	    I("recorded") } },
	{ "receivable", "number", 0, { T("number"), T("entity"),
	    T("customer"), T("currency"), I("due_day"), T("amount"),
	    T("paid"), T("status"), I("updated") } },
	{ "ukey_block", "run, lo", 0, { I("run"), B("lo"), I("n"),
	    B("keys") } },
	{ "ukey_batch", "seq", 0, { I("seq"), I("n"), B("keys") } },
	{ "audit", "seq", 0, { I("seq"), I("at"), T("op"), T("subject"),
	    T("detail"), B("prev_hash"), B("hash") } },
	{ "send_claim", "id", 0, { T("id"), T("owner"), I("claimed"),
	    I("expires") } },
	{ "usage_fix", "orig, n", 0, { B("orig"), I("n"), T("kind"),
	    B("key"), T("id"), I("day"), I("seq"), I("prev_day"),
	    I("prev_seq"), I("t"), I("ingested"), I("at"), IN("prev_t") } },
	{ "credit_draw_grant", "customer, currency, period_start, seq", 0, {
	    T("customer"), T("currency"), I("period_start"), I("seq"),
	    T("grant_id"), T("amount") } },
	{ NULL, NULL, 0, { { NULL, 0, 0, NULL } } }
};

const struct ldg_index ldg_indexes[] = {
	{ NULL, "doc", "key, version" },
	{ "payment_number", "payment", "number" },
	{ "usage_fix_key", "usage_fix", "key" },
	{ "credit_draw_grant_id", "credit_draw_grant",
	    "customer, currency, grant_id" },
	{ NULL, NULL, NULL }
};
