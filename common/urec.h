/*
 * urec.h: the canonical usage record (usage-to-cash(5)), written by
 * meter-ingest and read by the stages after it.
 *
 *   {"kind":"usage","schema":"1.0","customer":...,"source":...,"id":...,
 *    "type":...,"subject":...,"time":...,"data":...,"key":...,
 *    "digest":...,"correlation_id":...,"ingested_at":...}
 */
#ifndef UREC_H
#define UREC_H

#include <stdint.h>
#include <jansson.h>

#include "keys.h"
#include "util.h"

struct jrec;
struct ldg_usage;

/* Write the record of a stored event, newline-terminated. */
void	urec_write(struct buf *, const struct ldg_usage *);
/*
 * The same, its data the canonical JSON datajson (pk_json()'s bytes of
 * u's packed data), which a caller that has it need not have made again;
 * NULL: made from the packed data.
 */
void	urec_write_json(struct buf *, const struct ldg_usage *,
	    const char *datajson, size_t datajsonlen);
/*
 * A correction as meter-ingest's run writes it (meter-ingest(1),
 * Corrections): an amendment, the usage record of the new version with
 * "amends", the key of the record it replaces, last; a cancel, a
 * "usage_cancel" record with "cancels", that key.  --replay writes
 * neither: it writes the effective versions, as plain usage records.
 */
void	urec_write_fix(struct buf *, const struct ldg_usage *, int cancel,
	    const unsigned char *replaced);

/* A usage record read from NDJSON; strings point into the jrec's tree. */
struct urec {
	const char	*customer, *type;	/* required */
	size_t		 customer_len, type_len;
	const char	*source, *id, *subject, *corr;	/* NULL if absent */
	int64_t		 t;			/* required */
	unsigned char	 key[KEY_LEN];		/* required */
	unsigned char	 digest[KEY_LEN];	/* when has_digest */
	int		 has_digest;
	json_t		*data;			/* NULL when absent or null */
};

/*
 * Check a parsed record (jrec_parse done) is a usage record of a schema
 * we read and pick out its fields.  0, or -1 with the jrec's code, field
 * and msg set: "not_usage" (another kind), "usage_correction" (an
 * amendment or a cancel from a meter-ingest run: the stream does not
 * hold what it replaces), "unsupported_schema", "missing_field",
 * "invalid_field".
 */
int	urec_read(struct jrec *, struct urec *);

#endif
