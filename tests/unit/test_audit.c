/*
 * test_audit.c: the audit log's row hash (common/audit.c), printed as
 * TAP: vectors computed with Python's hashlib.blake2b over the encoding
 * usage-to-cash(5) documents, and rows that an ambiguous encoding (fields
 * run together, seq and at swapped, the previous hash left out) would
 * give the same hash.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "keys.h"
#include "tap.h"

static void
row(struct audit_row *r, int64_t seq, int64_t at, const char *op,
    const char *subject, const char *detail)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	r->at = at;
	r->op = op;
	r->oplen = strlen(op);
	r->subject = subject;
	r->subjlen = strlen(subject);
	r->detail = detail;
	r->detlen = strlen(detail);
}

/* the row's hash in hex, in one of two buffers in turn */
static const char *
hx(const struct audit_row *r)
{
	static char bufs[2][AUDIT_HEXLEN];
	static int turn;
	char *hex = bufs[turn ^= 1];
	unsigned char h[AUDIT_HASHLEN];

	audit_hash(r, h);
	key_hex(h, AUDIT_HASHLEN, hex);
	return hex;
}

static int
same(const struct audit_row *a, const struct audit_row *b)
{
	unsigned char x[AUDIT_HASHLEN], y[AUDIT_HASHLEN];

	audit_hash(a, x);
	audit_hash(b, y);
	return memcmp(x, y, sizeof(x)) == 0;
}

int
main(void)
{
	struct audit_row a, b, g;
	char detail[AUDIT_GENESIS_MAX];
	int i;

	key_init();

	/* vectors: hashlib.blake2b(digest_size=32) of the encoding */
	row(&a, 1, 1796616862696790183LL, "genesis", "ledger",
	    "{\"created\":true,\"schema\":8}");
	ok(strcmp(hx(&a), "0f4d3d0e6715615a7fadcee6bb4bbf653b1e02c53734601"
	    "0a14ac096513c4a8a") == 0, "a genesis row: %s", hx(&a));
	row(&a, -7, -1, "doc.issue", "INV/\xc3\xa9" "1", "");
	for (i = 0; i < AUDIT_HASHLEN; i++)
		a.prev[i] = (unsigned char)i;
	ok(strcmp(hx(&a), "f998fd8ba552a53ffa1ac860070ed2ad642751db53b49a7"
	    "e4d53b767771866d0") == 0, "negative numbers, UTF-8, an empty "
	    "detail, a previous hash: %s", hx(&a));

	/* fields run together would collide; length prefixes keep them apart */
	row(&a, 1, 2, "ab", "c", "d");
	row(&b, 1, 2, "a", "bc", "d");
	ok(!same(&a, &b), "op 'ab', subject 'c' is not op 'a', subject 'bc'");
	row(&b, 1, 2, "ab", "", "cd");
	ok(!same(&a, &b), "subject 'c', detail 'd' is not subject '', "
	    "detail 'cd'");
	row(&a, 1, 2, "", "abcd", "");
	row(&b, 1, 2, "abcd", "", "");
	ok(!same(&a, &b), "an empty op is not an empty subject");
	row(&a, 1, 2, "op", "s", "d");
	row(&b, 2, 1, "op", "s", "d");
	ok(!same(&a, &b), "seq and at are not interchangeable");

	/* every field counts */
	row(&b, 1, 2, "op", "s", "d");
	ok(same(&a, &b), "the same row, the same hash");
	b.seq = 3;
	ok(!same(&a, &b), "seq is hashed");
	b.seq = 1;
	b.at = 3;
	ok(!same(&a, &b), "at is hashed");
	b.at = 2;
	b.detail = "e";
	ok(!same(&a, &b), "detail is hashed");
	b.detail = "d";
	b.prev[31] = 1;
	ok(!same(&a, &b), "the previous hash is hashed");
	b.prev[31] = 0;
	b.detlen = 0;
	ok(!same(&a, &b), "the detail's length is hashed, not its NUL");

	/* the genesis row: its detail, seq 1, a zero previous hash */
	audit_genesis(&g, 0, 8, detail);
	ok(g.seq == 1 && strcmp(g.op, "genesis") == 0 &&
	    strcmp(g.detail, "{\"created\":true,\"schema\":8}") == 0,
	    "a new ledger's genesis: %s", g.detail);
	memset(a.prev, 0, sizeof(a.prev));
	audit_hash(&g, b.hash);
	ok(memcmp(g.prev, a.prev, AUDIT_HASHLEN) == 0 &&
	    memcmp(g.hash, b.hash, AUDIT_HASHLEN) == 0,
	    "its previous hash is all 0, its hash its content's");
	audit_genesis(&g, 7, 8, detail);
	ok(strcmp(g.detail, "{\"migrated_from\":7,\"schema\":8}") == 0,
	    "a migrated ledger's genesis: %s", g.detail);
	return tap_done();
}
