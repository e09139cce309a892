/*
 * audit.h: the ledger's audit log, a hash chain (usage-to-cash(5), "the
 * audit log").  This module owns a row's hash (its canonical encoding,
 * BLAKE2b-256 with libsodium), the genesis row a new or migrated ledger
 * starts the chain with, and the verification reconcile --audit runs.
 * What a row says about each state change (its op, subject and detail)
 * and writing it in the transaction of the change are ledger.c's; storing
 * it is the engine's.
 *
 * A row's hash covers its sequence number, time, op, subject, detail and
 * the previous row's hash, each length-prefixed after a domain string:
 * editing a row changes its hash, and each row names the one before it,
 * so a row edited, deleted or moved breaks the chain at that row.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASHLEN	32	/* BLAKE2b-256 */
#define AUDIT_HEXLEN	(2 * AUDIT_HASHLEN + 1)

struct ledger;

/* A row of the log; strings are (pointer, length), not NUL-terminated. */
struct audit_row {
	int64_t		 seq;		/* 1, 2, ... in the order written */
	int64_t		 at;		/* ns since 1970 UTC, wall clock */
	const char	*op, *subject, *detail;
	size_t		 oplen, subjlen, detlen;
	unsigned char	 prev[AUDIT_HASHLEN];	/* all 0 for the genesis */
	unsigned char	 hash[AUDIT_HASHLEN];
};

/*
 * The canonical encoding of the row's seq, at, op, subject, detail and
 * prev, hashed into out: each field as 8 bytes of its length (little
 * endian) and its bytes, after the domain string "u2c-audit-1"; seq and
 * at as 8 bytes, two's complement, little endian (keys.h's fields).
 */
void	audit_hash(const struct audit_row *, unsigned char *out);
/* Now on the wall clock, ns since 1970 UTC: a row's at. */
int64_t	audit_now(void);
/*
 * The genesis row: seq 1, op "genesis", subject "ledger", detail the
 * schema it was made at (from 0: created) or migrated from, prev all 0,
 * hashed.  detail points into buf, of AUDIT_GENESIS_MAX bytes.
 */
#define AUDIT_GENESIS_MAX	64
void	audit_genesis(struct audit_row *, int from_schema, int schema,
	    char *buf);

/* What audit_verify found. */
enum { AUDIT_INTACT, AUDIT_EDITED, AUDIT_DELETED, AUDIT_REORDERED };
struct audit_check {
	int		 verdict;
	int64_t		 rows;		/* verified before the first break */
	int64_t		 bad;		/* the row that breaks it */
	char		 code[32];	/* audit_row_edited, ... */
	char		 msg[512];	/* for people */
	int64_t		 head;		/* the last row's seq, when intact */
	char		 head_hash[AUDIT_HEXLEN];
};
/*
 * Walk the log from its first row: each row's seq the one after the
 * last (else the missing row was deleted), its prev the last row's hash
 * (else it was moved here, or the row before replaced), its hash its
 * content's (else edited).  Stops at the first break: AUDIT_INTACT or
 * what broke, with c filled.
 */
int	audit_verify(struct ledger *, struct audit_check *c);
/*
 * The same walk over rows read elsewhere (ledger-copy(1) reads a copy's
 * rows in its own transaction): init, each row by seq to audit_walk_row
 * (non-zero: broken, stop), and audit_walk_end's verdict, c filled.
 */
struct audit_walk {
	struct audit_check *c;
	int64_t		 next;		/* the seq the next row must have */
	unsigned char	 prev[AUDIT_HASHLEN];
};
void	audit_walk_init(struct audit_walk *, struct audit_check *c);
int	audit_walk_row(const struct audit_row *, void *walk);
int	audit_walk_end(struct audit_walk *);

#endif
