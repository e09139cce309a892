/*
 * jrec.h: reading one NDJSON record exactly.
 *
 * jansson parses numbers into doubles, which would turn 0.1 into
 * 0.1000000000000000055.  So before jansson sees a line we note the text
 * of every number token, in document order; after parsing we walk the
 * tree in the same order (jansson keeps object keys in insertion order)
 * and give each number node its exact decimal value.  Stages then ask
 * jrec_num() for a number's value and never use json_real_value().
 */
#ifndef JREC_H
#define JREC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dec.h"

struct jnum {
	json_t	*node;
	dec	 val;
};

struct jrec {
	json_t		*root;
	struct jnum	*nums;
	size_t		 n, cap;
	int		 sorted;
	int		 maxdepth;
	int		 arena;		/* see jrec_arena */
	int		 ints;		/* see jrec_ints */
	void		*abase;		/* the arena of the last parse */
	unsigned long	 aspills;	/* its malloc count then (jrec.c) */
	/* on error */
	const char	*code;		/* stable reject code */
	char		 field[256];	/* path of the offending value, or "" */
	char		 msg[512];
	/* scratch: number token spans found by the pre-scan */
	size_t		*spans;
	size_t		 nspans, spancap;
	/* colons outside strings, and members of the objects parsed */
	size_t		 colons, members;
	struct seg	*segs;		/* path stack of the walk */
};

#define JREC_MAXDEPTH_DEFAULT 32

void	jrec_init(struct jrec *, int maxdepth);
/*
 * Parse into a per-thread arena (see jrec.c): for a reader whose trees
 * live until its next parse and no longer (no json_incref of their
 * nodes), one such jrec a thread.  Call before starting the threads.
 */
void	jrec_arena(struct jrec *);
/*
 * Integers that fit an int64 as JSON_INTEGER nodes (jansson reads them
 * with strtoll), not reals (strtod, and a localeconv each): for a reader
 * that takes numbers only from jrec_num(), jrec_int() or pk_pack_json(),
 * never json_real_value().  Others' nodes are all reals.
 */
void	jrec_ints(struct jrec *);
/* 0 on success; -1 with code, field and msg set. */
int	jrec_parse(struct jrec *, const char *, size_t);
void	jrec_clear(struct jrec *);
/*
 * Build a record by hand (CSV input): take ownership of root, and give a
 * number node created with json_real(0) its exact value.
 */
void	jrec_adopt(struct jrec *, json_t *);
void	jrec_addnum(struct jrec *, json_t *, dec);
void	jrec_free(struct jrec *);
/* The exact value of a number node of the current record: 0, or -1. */
int	jrec_num(const struct jrec *, json_t *, dec *);
/* A number node that is an integer in [min, max]: 0, or -1. */
int	jrec_int(const struct jrec *, json_t *, int64_t min, int64_t max,
	    int64_t *);
/*
 * A record's schema version is "MAJOR.MINOR"; readers accept any minor
 * version of the majors they know and refuse newer majors.  Returns 0 when
 * acceptable, -1 with code/msg set.
 */
int	jrec_check_schema(struct jrec *, int maxmajor);
/* Set code, field and msg; returns -1. */
int	jrec_fail(struct jrec *, const char *code, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * A string member of the record: 1 found, 0 absent (missing_field when
 * required: "WHAT has no 'K'"), -1 not a non-empty string
 * (invalid_field).
 */
int	jrec_str(struct jrec *, const char *what, const char *k,
	    int required, const char **out, size_t *len);

#endif
