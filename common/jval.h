/*
 * jval.h: reading members of records already parsed by jansson, and the
 * two JSON values our records are built from.  Every stage that reads a
 * record of another stage (documents, rated lines, journal entries)
 * gets its members through these, so "absent", "null" and "not a
 * decimal string" mean the same everywhere.  Validating readers that
 * reject with a code and a line (jrec.h, stagein.h) sit above this.
 */
#ifndef JVAL_H
#define JVAL_H

#include <stdint.h>
#include <jansson.h>

#include "dec.h"

/* A string member, else NULL (o may be NULL or not an object). */
const char	*jval_str(json_t *o, const char *k);
/* A string member that is not empty, else NULL. */
const char	*jval_text(json_t *o, const char *k);
/* A string member, else dflt. */
const char	*jval_str_or(json_t *o, const char *k, const char *dflt);
/* A decimal string member: 0, or -1 when absent, null or not exact. */
int		 jval_dec(json_t *o, const char *k, dec *d);
/* A decimal string member, 0 when absent or not a decimal. */
dec		 jval_dec_or_zero(json_t *o, const char *k);
/* An integer member, -1 when absent or not an integer. */
int64_t		 jval_count(json_t *o, const char *k);

/* The decimal as a JSON string, exactly as dec_fmt prints it. */
json_t		*jval_of_dec(dec d);
/* The string, or JSON null for NULL. */
json_t		*jval_of_str(const char *s);

#endif
