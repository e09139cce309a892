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
};

#define OPT_END		{ NULL, 0, OPT_FLAG, 0, NULL, 0, 0, NULL, NULL }

#define OPT_S(name, letter, p)	{ name, letter, OPT_STR, 1, (p), 0, 0, NULL, NULL }
#define OPT_F(name, p)		{ name, 0, OPT_FLAG, 0, (p), 0, 0, NULL, NULL }
#define OPT_FV(name, p, v)	{ name, 0, OPT_FLAG, 0, (p), 0, (v), NULL, NULL }
#define OPT_T(name, p, g)	{ name, 0, OPT_TIME, 1, (p), 0, 0, (g), NULL }
#define OPT_TL(name, l, p, g)	{ name, l, OPT_TIME, 1, (p), 0, 0, (g), NULL }
#define OPT_D(name, p)		{ name, 0, OPT_DUR, 1, (p), 0, 0, NULL, NULL }
#define OPT_I(name, l, p, lo, hi) { name, l, OPT_INT, 1, (p), (lo), (hi), NULL, NULL }
#define OPT_L(name, l, p, lo, hi) { name, l, OPT_LONG, 1, (p), (lo), (hi), NULL, NULL }
#define OPT_I64(name, p, lo, hi) { name, 0, OPT_I64, 1, (p), (lo), (hi), NULL, NULL }
#define OPT_C(name, l, fn, p)	{ name, l, OPT_CALL, 1, (p), 0, 0, NULL, (fn) }

/* The options the stages share. */
#define OPT_LEDGER(p)		OPT_S("ledger", 'l', (p))
#define OPT_REJECTS(p)		OPT_S("rejects", 'r', (p))
#define OPT_STATS(p)		OPT_S("stats", 's', (p))
#define OPT_ASOF(p)		OPT_T("as-of", (p), NULL)
#define OPT_BUSY(p)		OPT_I("busy-timeout", 0, (p), 0, 86400000)
#define OPT_MAXLINE(p)		{ "max-line", 0, OPT_SIZE, 1, (p), 64, \
				    256L * 1024 * 1024, NULL, NULL }
#define OPT_MAXDEPTH(p)		OPT_I("max-depth", 0, (p), 1, 100)
#define OPT_STRICT(p)		OPT_F("strict", (p))

/*
 * Parses argv by the table (ended by OPT_END); --help calls usage(0),
 * --version prints "PROG VERSION" and exits 0, anything unknown calls
 * usage(64).  Returns the index of the first operand.
 */
int	 opt_parse(int argc, char **argv, const struct opt *,
	    void (*usage)(int));

#endif
