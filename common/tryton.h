/*
 * tryton.h: erp-send(1)'s Tryton adapter: a journal entry record
 * (usage-to-cash(5)) posted as an account move of Tryton 6.0, over its
 * JSON-RPC (erpc.h), exactly once.
 *
 * The entry's company, journal and account codes are the entity's
 * books' "erp" member for "tryton" (accounts.h).  A move is:
 *   company   the company whose party is named as the mapping's
 *             "company" (else the entity's id);
 *   journal   the journal of the mapping's code (else "REV");
 *   period    the company's standard period that holds the entry's date
 *             (Tryton does not derive it from the date), open or not: a
 *             closed one makes Tryton refuse the move, in its words;
 *   date      the entry's date;
 *   description  the entry's id, a space, its type, document number and
 *             customer: "JE-2cdc... document ACME-US-2026-000001 cus_acme";
 *   lines     one a line of the entry, on the account of the mapped code,
 *             debit and credit its functional amounts, description its
 *             memo; in another currency than the company's, its amount
 *             (debit less credit) as the second currency's; the party on
 *             a line whose account wants one (party_required: the
 *             receivable), the party whose code is the entry's customer,
 *             created with that code and name when Tryton has none.
 * It is created, then posted; its post number is the ERP's reference.
 *
 * Tryton keeps no key of ours, so before creating, the move is looked up
 * by its description's first word, the entry id, in the company: found
 * posted, it is confirmed with its number; found in draft (a run that
 * died between creating and posting), it is posted.  So a run killed at
 * any point, run again, never posts an entry twice.
 */
#ifndef TRYTON_H
#define TRYTON_H

#include <stdint.h>

#include <jansson.h>

#include "accounts.h"
#include "erpc.h"
#include "hmap.h"

enum {
	TRY_CONFIRMED,	/* ref: the move's post number */
	TRY_FAILED,	/* the ERP refused: why holds its message */
	TRY_UNMAPPED,	/* ours or the ERP's set-up lacks a name: why */
	TRY_DOWN	/* no answer to trust: why; stop, re-run later */
};

struct tryton {
	struct erpc	 rpc;
	char		*user, *password;
	int64_t		 uid;
	struct hmap	 ids;		/* cached ids, by kind and name */
	uint64_t	 calls;
	/* what tryton_send said */
	char		 ref[128];
	int		 found;		/* the move was in the ERP already */
	char		 why[1024];
};

/*
 * Connect and log in (common.db.login, once; the session then goes in
 * each call's header): 0, TRY_FAILED when the ERP refuses the user (why
 * says so), TRY_DOWN when it does not answer.
 */
int	tryton_open(struct tryton *, const char *url, long timeout_ms,
	    const char *user, const char *password, struct retry *pace);
void	tryton_close(struct tryton *);
/*
 * Post one journal entry record (a parsed, checked one: its members are
 * strings where usage-to-cash(5) says so) of the books b.
 */
int	tryton_send(struct tryton *, const struct books *b, json_t *entry);

/*
 * Batches (erp-send --batch): the entries resolved one by one, then
 * sent together, a few calls for all:
 *   tryton_prepare   the move of an entry (*vals, new, and its company):
 *                    TRY_CONFIRMED when it could be made, else TRY_FAILED,
 *                    TRY_UNMAPPED or TRY_DOWN with why; nothing created;
 *   tryton_batch     entries of one company: one look-up of them all,
 *                    then one create of the moves the ERP has not, one
 *                    post of the drafts, one read of the numbers.  0 when
 *                    each item has its rc (TRY_CONFIRMED, found or not,
 *                    or TRY_FAILED); TRY_DOWN when the ERP stopped
 *                    answering (why): the items still TRY_DOWN are to be
 *                    sent again, look-up first.  When the ERP refuses the
 *                    create or the post of the batch (one move of it in a
 *                    closed period), each entry is sent alone, looked up
 *                    first, so the refusal is that entry's.
 */
struct try_item {
	const char	*id;		/* the entry's */
	json_t		*vals;		/* its move, tryton_prepare's */
	int		 rc;		/* TRY_* */
	int		 found, posted;
	int64_t		 move;
	char		 ref[128];
	char		 why[1024];
};
int	tryton_prepare(struct tryton *, const struct books *b, json_t *entry,
	    int64_t *company, json_t **vals);
int	tryton_batch(struct tryton *, int64_t company, struct try_item *,
	    size_t n);

#endif
