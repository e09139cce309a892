/*
 * opt.h: every binary's options as one table, the shape of git's
 * parse-options: a binary lists what it takes, each entry naming where
 * the value goes, and opt_parse() walks argv with getopt_long.  The
 * options all stages share (--ledger, --rejects, --stats, --as-of,
 * --busy-timeout, --max-line, --max-depth, --strict) are the OPT_*
 * macros below, so their names, short letters, ranges and messages are
 * written once; --help and --version are always there.
 *
 * A value that does not parse is a usage error (exit 64) with the
 * binary's usage text, as cli.h does.  Options are handled in the order
 * they are given, so OPT_CALL entries see each value at its turn.
 */
#ifndef OPT_H
#define OPT_H

#include <stddef.h>
#include <stdint.h>

#include "jrec.h"
#include "ledger.h"
#include "lines.h"

enum opt_type {
	OPT_FLAG,	/* int, set to 1 (or to .max, when nonzero) */
	OPT_STR,	/* const char *, the argument itself */
	OPT_TIME,	/* int64_t, an RFC 3339 instant (cli_time) */
	OPT_DUR,	/* int64_t, a duration like 35d (cli_dur) */
	OPT_INT,	/* int, from .min to .max (cli_num) */
	OPT_LONG,	/* long, from .min to .max */
	OPT_I64,	/* int64_t, from .min to .max */
	OPT_SIZE,	/* size_t, from .min to .max */
	OPT_CALL	/* .call(.dst, argument or NULL) */
};

struct opt {
	const char	*name;		/* the long name, "busy-timeout" */
	int		 letter;	/* its short form, or 0 */
	enum opt_type	 type;
	int		 arg;		/* OPT_CALL: 1 if it takes an argument */
	void		*dst;
	long		 min, max;
	int		*given;		/* set to 1 when given, or NULL */
	void		(*call)(void *dst, const char *arg);
	int		 has_dflt;	/* dst = dflt before parsing */
	int64_t		 dflt;
};

#define OPT_END		{ .name = NULL }

#define OPT_S(n, l, p)		{ .name = (n), .letter = (l), .type = OPT_STR, \
				    .arg = 1, .dst = (p) }
#define OPT_F(n, p)		{ .name = (n), .type = OPT_FLAG, .dst = (p) }
#define OPT_FV(n, p, v)		{ .name = (n), .type = OPT_FLAG, .dst = (p), \
				    .max = (v) }
#define OPT_T(n, p, g)		OPT_TL(n, 0, p, g)
#define OPT_TL(n, l, p, g)	{ .name = (n), .letter = (l), .type = OPT_TIME, \
				    .arg = 1, .dst = (p), .given = (g) }
#define OPT_D(n, p)		{ .name = (n), .type = OPT_DUR, .arg = 1, \
				    .dst = (p) }
#define OPT_I(n, l, p, lo, hi)	{ .name = (n), .letter = (l), .type = OPT_INT, \
				    .arg = 1, .dst = (p), .min = (lo), \
				    .max = (hi) }
#define OPT_L(n, l, p, lo, hi)	{ .name = (n), .letter = (l), \
				    .type = OPT_LONG, .arg = 1, .dst = (p), \
				    .min = (lo), .max = (hi) }
#define OPT_I64(n, p, lo, hi)	{ .name = (n), .type = OPT_I64, .arg = 1, \
				    .dst = (p), .min = (lo), .max = (hi) }
#define OPT_C(n, l, fn, p)	{ .name = (n), .letter = (l), .type = OPT_CALL, \
				    .arg = 1, .dst = (p), .call = (fn) }

/*
 * The options the stages share, with their defaults: --as-of absent is
 * INT64_MIN (the stage reads the clock), --busy-timeout LDG_BUSY_MS,
 * --max-line LR_MAXLEN_DEFAULT, --max-depth JREC_MAXDEPTH_DEFAULT.
 */
#define OPT_LEDGER(p)		OPT_S("ledger", 'l', (p))
#define OPT_REJECTS(p)		OPT_S("rejects", 'r', (p))
#define OPT_STATS(p)		OPT_S("stats", 's', (p))
#define OPT_ASOF(p)		{ .name = "as-of", .type = OPT_TIME, .arg = 1, \
				    .dst = (p), .has_dflt = 1, \
				    .dflt = INT64_MIN }
#define OPT_BUSY(p)		{ .name = "busy-timeout", .type = OPT_INT, \
				    .arg = 1, .dst = (p), .max = 86400000, \
				    .has_dflt = 1, .dflt = LDG_BUSY_MS }
#define OPT_MAXLINE(p)		{ .name = "max-line", .type = OPT_SIZE, \
				    .arg = 1, .dst = (p), .min = 64, \
				    .max = 256L * 1024 * 1024, .has_dflt = 1, \
				    .dflt = LR_MAXLEN_DEFAULT }
#define OPT_MAXDEPTH(p)		{ .name = "max-depth", .type = OPT_INT, \
				    .arg = 1, .dst = (p), .min = 1, .max = 100, \
				    .has_dflt = 1, .dflt = JREC_MAXDEPTH_DEFAULT }
#define OPT_STRICT(p)		OPT_F("strict", (p))

/*
 * Sets the defaults the table gives, then parses argv by the table
 * (ended by OPT_END); --help calls usage(0),
 * --version prints "PROG VERSION" and exits 0, anything unknown calls
 * usage(64).  Returns the index of the first operand.
 */
int	 opt_parse(int argc, char **argv, const struct opt *,
	    void (*usage)(int));

#endif
