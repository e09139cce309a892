/*
 * util.h: the error module, checked allocation and the exit-code table
 * shared by every binary.  Messages go to stderr as "prog: message",
 * lowercase, no trailing period, the subject quoted.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdarg.h>
#include <string.h>
#include <sysexits.h>

/*
 * The one exit-code table (documented in usage-to-cash(7)):
 *   0   success; every input record emitted, duplicate or rejected
 *   1   reconcile: the books do not agree (erp-post --verify, ledger-copy:
 *       the file, the copy does not agree)
 *   64  EX_USAGE     bad option or argument
 *   65  EX_DATAERR   rejects were written and --strict was given
 *   66  EX_NOINPUT   an input file could not be opened; no ledger there
 *                    (a reader's SQLite file, a PostgreSQL database)
 *   70  EX_SOFTWARE  internal invariant broken (a bug)
 *   71  EX_OSERR     out of memory, a thread could not start
 *   73  EX_CANTCREAT the ledger, rejects or stats file cannot be created;
 *                    the ledger may not be opened (file modes, a login
 *                    PostgreSQL refuses)
 *   74  EX_IOERR     read or write failure, EPIPE, disk full
 *   75  EX_TEMPFAIL  ledger busy or locked past the timeout, its server
 *                    not reachable or lost; re-run
 *   78  EX_CONFIG    bad configuration file (customers, meters, catalog)
 */
#define EXIT_MISMATCH 1

extern const char *progname;

void	 u_setprogname(const char *);
_Noreturn void die(int, const char *, ...)
	__attribute__((format(printf, 2, 3)));
void	 warnmsg(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 vwarnmsg(const char *, va_list);

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xstrdup0(const char *);	/* NULL stays NULL */
/*
 * n zeroed bytes mapped from the system (returned to it by xunmap), in
 * huge pages where the kernel has them for n of 2 MiB or more: for the
 * large tables probed at random (the key index's filters and hash), one
 * TLB entry covers 2 MiB of them instead of 4 KiB.  what names the
 * table in the error.
 */
void	*xmap(size_t n, const char *what);
void	 xunmap(void *, size_t n);

/* *why = msg (a static reason), and -1: for functions that say why not. */
static inline int
fail_why(const char **why, const char *msg)
{
	*why = msg;
	return -1;
}

/* An ASCII digit, whatever the locale (isdigit(3) is not). */
static inline int
u_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

/* A growable byte buffer. */
struct buf {
	char	*p;
	size_t	 len, cap;
};
void	 buf_grow(struct buf *, size_t);
/*
 * Room for n more bytes and a NUL, buf_grow called only when the buffer
 * is full: inline, for writers that store into b->p themselves on a hot
 * path (a call each time cost a tenth of formatting an aggregate).
 */
static inline void
buf_room(struct buf *b, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
}
/*
 * Inline: most calls add a literal of a size known here, which the
 * compiler then copies with a few stores (formatting millions of records
 * is the hot path of meter-aggregate and meter-ingest).
 */
static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;		/* p may be NULL: an empty buffer's */
	buf_room(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}
void	 buf_adds(struct buf *, const char *);
static inline void
buf_addc(struct buf *b, int c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->p[b->len++] = (char)c;
}
void	 buf_printf(struct buf *, const char *, ...)
	__attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
/* NUL-terminate without counting the NUL in len. */
const char *buf_cstr(struct buf *);

/* A whole configuration file (what: "meters file"); dies on errors. */
char	*slurp(const char *path, const char *what, size_t max, size_t *len);

#endif
