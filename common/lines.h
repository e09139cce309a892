/*
 * lines.h: the line reader every stage uses.  It walks the files named on
 * the command line (or stdin, also as "-"), one physical line at a time,
 * and always knows file:line.
 *
 * Rules (documented in usage-to-cash(7)):
 *  - a line is the bytes before '\n'; a '\r' just before it is dropped
 *    from len but kept in rawlen, so rejects quote the input exactly;
 *  - a line longer than maxlen bytes is returned once with LR_TOOLONG,
 *    holding only its first LR_SNIPPET bytes; the rest is skipped without
 *    being stored (memory stays bounded);
 *  - a last line without '\n' is returned with LR_NONL: the stage decides
 *    (JSON stages accept it when it parses, since JSON is self-delimiting,
 *    CSV stages reject it as partial_line);
 *  - a file that cannot be opened is reported, skipped, and remembered in
 *    lr->failed so the tool exits 66 at the end (sbase's "keep going").
 */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>
#include <stdint.h>

#define LR_MAXLEN_DEFAULT	(1024 * 1024)
#define LR_SNIPPET		1024

#define LR_TOOLONG	0x1
#define LR_NONL		0x2
#define LR_CR		0x4

#define LR_QUIET_MS	50		/* a quiet_ms that saves commits */
#define LR_TRICKLE_MS	1000

struct lr {
	size_t		 maxlen;
	char		**files;
	int		 nfiles, idx;
	int		 fd;
	const char	*name;		/* current file name, "-" is stdin */
	char		*buf;
	size_t		 cap, start, end;
	int		 eof;
	int		 failed;	/* some input could not be opened */
	/*
	 * Called when the input is quiet, so a stage can commit and flush
	 * what it holds instead of sitting on it: before a read that would
	 * block (a pipe with nothing in it yet), or, with quiet_ms set,
	 * once the pipe has stayed empty that long, or at once when idle
	 * was last called LR_TRICKLE_MS ago or more (a producer that writes
	 * a line now and then but never pauses that long).  A moment's
	 * empty pipe need not be quiet: on a busy machine a producer often
	 * leaves it empty while it waits for a CPU, and a commit at each
	 * such moment doubled meter-ingest's commits.  A stage whose input
	 * may wait for a lock it holds (erp-post after stages that share
	 * its ledger) keeps quiet_ms 0: it lets go at once.
	 */
	void		(*idle)(void *);
	void		*idle_arg;
	int		 quiet_ms;
	int64_t		 idle_at;	/* when idle was last called, ns */

	/* the current line */
	const char	*line;
	size_t		 len;		/* without '\r' '\n' */
	size_t		 rawlen;	/* without '\n'; includes '\r' */
	size_t		 fulllen;	/* for LR_TOOLONG: the whole length */
	uint64_t	 lineno;
	int		 flags;
	char		 snippet[LR_SNIPPET];
};

void	lr_init(struct lr *, int nfiles, char **files, size_t maxlen);
int	lr_next(struct lr *);		/* 1: a line, 0: no more input */
void	lr_free(struct lr *);
int	lr_blank(const char *, size_t);	/* only spaces and tabs */

#endif
