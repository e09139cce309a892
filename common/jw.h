/*
 * jw.h: a small JSON writer into a struct buf.  Our records are written
 * field by field in a fixed, documented order (kind first), compact, with
 * minimal string escaping; no jansson tree is built for output.
 */
#ifndef JW_H
#define JW_H

#include <stdint.h>
#include <jansson.h>

#include "dec.h"
#include "util.h"

#define JW_MAXDEPTH 128

struct jrec;

struct jw {
	struct buf	*b;
	int		 depth;
	int		 afterkey;
	unsigned char	 comma[JW_MAXDEPTH];
};

void	jw_init(struct jw *, struct buf *);
void	jw_open(struct jw *, int);	/* '{' or '[' */
void	jw_close(struct jw *, int);	/* '}' or ']' */
void	jw_key(struct jw *, const char *);
/* A key known at compile time, already safe: JW_KEY(w, "kind") */
void	jw_rawkey(struct jw *, const char *, size_t);
#define JW_KEY(w, k)	jw_rawkey((w), "\"" k "\":", sizeof("\"" k "\":") - 1)
void	jw_str(struct jw *, const char *);
void	jw_strn(struct jw *, const char *, size_t);
void	jw_int(struct jw *, int64_t);
void	jw_bool(struct jw *, int);
void	jw_null(struct jw *);
void	jw_dec(struct jw *, dec);	/* as a decimal string, "12.50" */
void	jw_decnum(struct jw *, dec);	/* as a JSON number, normalized */
void	jw_raw(struct jw *, const char *, size_t);	/* pre-serialized */
/* An instant as RFC 3339 UTC text (tm_fmt); a key or digest as hex. */
void	jw_time(struct jw *, int64_t);
void	jw_hex(struct jw *, const unsigned char *, size_t);
/*
 * A jansson value in canonical form: object keys sorted bytewise, numbers
 * exact and normalized (their values come from the jrec the tree was
 * parsed with, never from jansson's doubles).
 */
void	jw_json(struct jw *, json_t *, const struct jrec *);
/*
 * An object's members sorted bytewise by key, in stack when it has room
 * for them, else in an array the caller frees.
 */
struct jw_member {
	const char	*k;
	json_t		*v;
};
struct jw_member *jw_sorted_members(json_t *, struct jw_member *, size_t,
	    size_t *);
/*
 * For the records written by the million (aggregates, usage records): the
 * fixed parts appended as literals, each value by one call, with no
 * separator bookkeeping.  The same bytes as jw would write.
 */
#define JW_LIT(b, s)	buf_add((b), s, sizeof(s) - 1)
void	jw_put_str(struct buf *, const char *);
/* A string of the program's own that needs no escaping, quoted. */
void	jw_put_plain(struct buf *, const char *);	/* NULL: null */
void	jw_put_strn(struct buf *, const char *, size_t);
void	jw_put_hex(struct buf *, const unsigned char *, size_t);
void	jw_put_time(struct buf *, int64_t);
void	jw_put_dec(struct buf *, dec);
void	jw_put_u64(struct buf *, uint64_t);
/* Escape a string into b without quotes or separators. */
void	jw_escape(struct buf *, const char *, size_t);
int	jw_utf8_valid(const char *, size_t);

#endif
