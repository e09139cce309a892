/*
 * reject.h: the dead-letter stream.  One NDJSON record per refused input:
 *
 *   {"kind":"reject","schema":"1.0","stage":...,"class":...,"code":...,
 *    "field":...,"message":...,"file":...,"line":...,"raw":...}
 *
 * raw is the input line exactly (without its newline), so a fixed batch
 * can be replayed as it is.  A raw line that is not valid UTF-8 cannot be
 * a JSON string: then raw is null and raw_base64 holds the bytes.  A line
 * over the length limit is quoted by its first bytes with
 * "raw_truncated":true and "raw_length" the full length.
 *
 * Rejects are buffered and written by rej_flush(), which the stages call
 * right after the ledger commit of the batch they belong to.
 */
#ifndef REJECT_H
#define REJECT_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* Error classes (DESIGN.md, rule 8). */
#define RC_DATA		"data_quality"
#define RC_POLICY	"policy_violation"
#define RC_OUTAGE	"platform_outage"
#define RC_RECON	"reconciliation_exception"
#define RC_CONFLICT	"idempotency_conflict"

#define REJ_MAXCODES	64
#define REJ_WARNMAX	10	/* reject messages echoed on stderr */

struct rej {
	FILE		*fp;
	int		 regular;	/* a regular file: synced per batch */
	const char	*path;
	const char	*stage;
	const char	*hint;		/* said when a write fails */
	struct buf	 pending;
	uint64_t	 total;
	uint64_t	 warned;
	size_t		 ncodes;
	struct {
		const char	*code;
		uint64_t	 n;
	}		 codes[REJ_MAXCODES];
};

struct rej_src {
	const char	*file;
	uint64_t	 line;
	const char	*raw;
	size_t		 rawlen;
	int		 truncated;
	size_t		 fulllen;
};

void	rej_open(struct rej *, const char *path, const char *stage);
void	rej_add(struct rej *, const struct rej_src *, const char *cls,
	    const char *code, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/*
 * rej_add in two: the record made into a buffer (on any thread), then
 * written, said and counted as rej_add does (on the stage's, in order;
 * src and msg for what is said on stderr).
 */
void	rej_record(struct buf *, const char *stage, const struct rej_src *,
	    const char *cls, const char *code, const char *field,
	    const char *msg, size_t msglen);
void	rej_add_record(struct rej *, const char *rec, size_t len,
	    const struct rej_src *, const char *code, const char *msg);
void	rej_flush(struct rej *);
/*
 * What a failed write of the rejects (to open, write, sync or close
 * the file) says after its cause: what of the run was committed and how
 * to get it back ("...; write them again with --replay").
 */
void	rej_hint(struct rej *, const char *);
void	rej_close(struct rej *);
/* "rejects_by_code":{code:n,...} with codes sorted */
struct jw;
void	rej_stats(const struct rej *, struct jw *);
/* For the summary line: " (code n, ...; see 'path')", or nothing. */
void	rej_summary(const struct rej *, struct buf *);
/* The default rejects file: the ledger's path + "-rejects.ndjson". */
char	*rej_default_path(const char *ledger);
/* A stats record's first members: kind, schema and the stage. */
void	rej_stats_begin(struct jw *, struct buf *, const char *stage);

#endif
