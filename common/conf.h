/*
 * conf.h: checking a JSON configuration file (the pricing catalog, the
 * entities file, the tax table): every problem is reported with the file
 * and where in it ("plans[0] ('pro' v1): charges[2] ('api'): ..."), up
 * to CONF_MAXERR, and conf_done() then exits 78, so one run shows
 * everything to fix.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dec.h"
#include "jrec.h"

#define CONF_MAXERR	20
#define CONF_MAXID	128

struct conf {
	const char	*path, *what;	/* "catalog" */
	struct jrec	 jr;		/* numbers read exactly */
	json_t		*root;
	char		*text;
	int		 nerr;
	char		 where[512];	/* the object being checked */
};

/* Read and parse; dies 66 when unreadable, 78 when not a JSON object. */
void	conf_open(struct conf *, const char *path, const char *what,
	    size_t max);
/* Dies 78 after the errors, if any. */
void	conf_done(struct conf *);
void	conf_close(struct conf *);

void	conf_err(struct conf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	conf_where(struct conf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	conf_where_add(struct conf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* A name or id: a non-empty printable string of at most max bytes. */
int	conf_plain(json_t *, size_t max);
/* The same of a C string (what a NUL in the JSON string left of it). */
int	conf_plain_str(const char *, size_t max);
/* A required id member, or NULL after reporting. */
const char *conf_id(struct conf *, json_t *o, const char *k);
/* An optional string member: 1 and *out, 0 absent, -1 reported. */
int	conf_str(struct conf *, json_t *o, const char *k, size_t max,
	    const char **out);
/*
 * A member copied as given into documents (an address), whose writer
 * takes strings, objects, arrays, booleans and null, not a number whose
 * exact text is gone: 1 when v holds a number, and in path (size len)
 * where, starting from name ("address.postal_code"); 0 when it holds none.
 */
int	conf_number_in(json_t *v, const char *name, char *path, size_t len);
/* Report the members of o listed in none of the NULL-ended lists. */
void	conf_unknown(struct conf *, json_t *o, const char *const *a,
	    const char *const *b, const char *const *c);
/*
 * An exact decimal: a string ("0.00002") or a JSON number, read exactly.
 * sign > 0: must be > 0; sign == 0: >= 0; sign < 0: any.  0 with *d,
 * 1 absent (reported when need), -1 reported.
 */
int	conf_dec(struct conf *, json_t *o, const char *k, int need, int sign,
	    dec *d);
/* An RFC 3339 time, with the same returns. */
int	conf_time(struct conf *, json_t *o, const char *k, int need,
	    int64_t *t);
/* A rounding mode name; *r untouched when absent. */
void	conf_round(struct conf *, json_t *o, const char *k,
	    enum dec_round *r);
/* true or false; *b untouched when absent. */
void	conf_bool(struct conf *, json_t *o, const char *k, int *b);

#endif
