/*
 * audit.c: the audit log's hash chain: a row's hash, the genesis row,
 * and the verification of the chain (see audit.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "keys.h"
#include "ledger.h"
#include "util.h"

#define AUDIT_DOMAIN	"u2c-audit-1"

void
audit_hash(const struct audit_row *r, unsigned char *out)
{
	struct keyh h;

	/* keys.h's length-prefixed fields, into a hash of 32 bytes */
	key_open(&h, AUDIT_HASHLEN);
	key_str(&h, AUDIT_DOMAIN);
	key_i64(&h, r->seq);
	key_i64(&h, r->at);
	key_field(&h, r->op, r->oplen);
	key_field(&h, r->subject, r->subjlen);
	key_field(&h, r->detail, r->detlen);
	key_field(&h, r->prev, AUDIT_HASHLEN);
	key_close(&h, out);
}

int64_t
audit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
audit_genesis(struct audit_row *r, int from_schema, int schema, char *buf)
{
	int n;

	memset(r, 0, sizeof(*r));
	r->seq = 1;
	r->at = audit_now();
	r->op = "genesis";
	r->oplen = strlen(r->op);
	r->subject = "ledger";
	r->subjlen = strlen(r->subject);
	if (from_schema == 0)
		n = snprintf(buf, AUDIT_GENESIS_MAX, "{\"created\":true,"
		    "\"schema\":%d}", schema);
	else
		n = snprintf(buf, AUDIT_GENESIS_MAX, "{\"migrated_from\":%d,"
		    "\"schema\":%d}", from_schema, schema);
	if (n < 0 || n >= AUDIT_GENESIS_MAX)
		die(EX_SOFTWARE, "audit: genesis detail too long");
	r->detail = buf;
	r->detlen = (size_t)n;
	audit_hash(r, r->hash);
}

/* ---- verification ---- */

static int
broken(struct audit_walk *w, int verdict, const char *code, int64_t bad,
    const struct audit_row *r, const char *why)
{
	struct audit_check *c = w->c;

	c->verdict = verdict;
	c->bad = bad;
	snprintf(c->code, sizeof(c->code), "%s", code);
	if (r == NULL)
		snprintf(c->msg, sizeof(c->msg), "audit log row %" PRId64
		    " %s", bad, why);
	else
		snprintf(c->msg, sizeof(c->msg), "audit log row %" PRId64
		    " %s (the row found there: seq %" PRId64 ", %.*s of "
		    "'%.*s'); the %" PRId64 " rows before it are intact", bad,
		    why, r->seq, (int)(r->oplen > 64 ? 64 : r->oplen), r->op,
		    (int)(r->subjlen > 128 ? 128 : r->subjlen), r->subject,
		    c->rows);
	return 1;
}

void
audit_walk_init(struct audit_walk *w, struct audit_check *c)
{
	memset(c, 0, sizeof(*c));
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->next = 1;
}

int
audit_walk_row(const struct audit_row *r, void *arg)
{
	struct audit_walk *w = arg;
	unsigned char h[AUDIT_HASHLEN];

	/*
	 * A gap first: the row after a deleted one still links to it, so
	 * its link would say "moved" of a row that was only deleted.
	 */
	if (r->seq != w->next)
		return broken(w, AUDIT_DELETED, "audit_row_deleted", w->next,
		    r, r->seq > w->next ? "is missing: deleted, or its seq "
		    "changed" : "is out of order: its seq was changed");
	if (memcmp(r->prev, w->prev, AUDIT_HASHLEN) != 0)
		return broken(w, AUDIT_REORDERED, "audit_row_reordered",
		    r->seq, r, "does not follow the row before it: its "
		    "prev_hash is not that row's hash (rows reordered, or "
		    "the row replaced)");
	audit_hash(r, h);
	if (memcmp(h, r->hash, AUDIT_HASHLEN) != 0)
		return broken(w, AUDIT_EDITED, "audit_row_edited", r->seq, r,
		    "was edited: its hash is not the hash of its content");
	memcpy(w->prev, r->hash, AUDIT_HASHLEN);
	w->next++;
	w->c->rows++;
	return 0;
}

int
audit_walk_end(struct audit_walk *w)
{
	struct audit_check *c = w->c;

	if (c->verdict != AUDIT_INTACT)
		return c->verdict;
	if (c->rows == 0) {
		/* every ledger's log starts with its genesis row */
		broken(w, AUDIT_DELETED, "audit_row_deleted", 1, NULL,
		    "is missing: the log is empty, its genesis row deleted");
		return c->verdict;
	}
	c->head = w->next - 1;
	key_hex(w->prev, AUDIT_HASHLEN, c->head_hash);
	return AUDIT_INTACT;
}

int
audit_verify(struct ledger *l, struct audit_check *c)
{
	struct audit_walk w;

	audit_walk_init(&w, c);
	ldg_audit_scan(l, audit_walk_row, &w);
	return audit_walk_end(&w);
}
