/*
 * cevent.h: a raw usage event, as meter-ingest accepts it.  From a parsed
 * record (a CloudEvents 1.0 JSON object, or a CSV row that csvmap.h made
 * into one): the required attributes and their limits, specversion, data
 * and datacontenttype, the time; the acceptance window around the as-of
 * time; the idempotency key (source, id) and the content digest that
 * tells a duplicate (same key, same digest) from a conflict.
 *
 * A refusal is data: a class and code (reject.h), the field and the
 * message, which the caller writes to the rejects file.  Not here:
 * reading lines, the customer master, the ledger's claim of the key, the
 * canonical usage record written (urec.h).  See meter-ingest(1).
 */
#ifndef CEVENT_H
#define CEVENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "util.h"

#define CEV_MAX_ID	256	/* bytes in id, type, subject */
#define CEV_MAX_SOURCE	1024

struct jrec;

/* An event that passed cev_check; the strings are the record's. */
struct cev {
	const char	*id, *source, *type, *subject, *corr;
	/* a correction: the id, of the same source, it amends or cancels */
	const char	*amends, *cancels;
	int64_t		 t;
	json_t		*data;		/* an object, {} when absent */
};

/* Why an event was refused: for rej_add. */
struct cev_err {
	const char	*cls, *code, *field;
	char		 msg[512];
};

/*
 * Check the attributes of the parsed object o and pick them out.  With
 * cloudevent (JSON input) the envelope is checked too: specversion "1.0",
 * no data_base64, datacontenttype application/json when given.  An
 * absent data becomes an empty object in o.  0, or -1 with e set.
 */
int	 cev_check(json_t *o, int cloudevent, struct cev *, struct cev_err *e);
/*
 * The acceptance window: not older than max_age before as_of, not more
 * than max_skew after it, not before the ledger's retention horizon
 * pruned_before.  A correction (amends, cancels) is not held to max_age:
 * any event still in the ledger may be corrected.  0, or -1 with e set
 * (policy_violation).
 */
int	 cev_window(const struct cev *, int64_t as_of, int64_t max_age,
	    int64_t max_skew, int64_t pruned_before, struct cev_err *e);
/*
 * The idempotency key (KEY_LEN bytes) and the content digest: type,
 * subject, time and the canonical data (sorted keys, exact numbers of
 * the jrec), written into the scratch buffer cdata; and, for a
 * correction only (so no other event's digest changes), what it amends
 * or cancels.
 */
void	 cev_digest(const struct cev *, const struct jrec *,
	    struct buf *cdata, unsigned char *key, unsigned char *digest);
/*
 * The same, its two hashes deferred: the bytes of the key appended to
 * kin, those of the digest to din, for key_hash (keys.h) to hash later;
 * from the canonical data the caller made (jw_json(), or pk_pack_json()
 * with the packed form).
 */
void	 cev_digest_into(const struct cev *, const char *cdata,
	    size_t cdatalen, struct buf *kin, struct buf *din);

#endif
