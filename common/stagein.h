/*
 * stagein.h: the input loop of a stage that reads our NDJSON records:
 * every line of the files (or stdin) is counted, a blank line skipped, a
 * line too long or that does not parse rejected with its reason (a cut
 * last line as partial_line), and each parsed record handed to the
 * stage, which accepts it or calls si_reject() with its own reason.
 */
#ifndef STAGEIN_H
#define STAGEIN_H

#include <stddef.h>
#include <stdint.h>

#include "jrec.h"
#include "lines.h"
#include "reject.h"

struct stagein {
	struct lr	 lr;
	struct jrec	 jr;		/* the current record, parsed */
	struct rej	*rej;
	size_t		 max_line;
	struct rej_src	 s;		/* the current line, for rejects */
	uint64_t	 read, blank, rejected;
	int		 pending;	/* si_first(): the line in hand first */
};

void	si_init(struct stagein *, int nfiles, char **files, size_t max_line,
	    int max_depth, struct rej *);
void	si_free(struct stagein *);
void	si_each(struct stagein *, void (*)(struct stagein *, void *), void *);
/* The next si_each() starts with the line already read. */
void	si_first(struct stagein *);
/* Reject the current line. */
void	si_reject(struct stagein *, const char *cls, const char *code,
	    const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

#endif
