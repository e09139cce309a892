/*
 * rowin.h: records of a few named fields, from a file that is either
 * NDJSON (an object a line, the fields string members) or CSV with a
 * header row naming the columns in any order: an ERP's acknowledgements,
 * a payment processor's payout report.  The first non-blank line tells
 * which.  Lines are counted and refused as a stage's input is (stagein):
 * too long, not JSON, not CSV, or a cut last line of CSV.
 */
#ifndef ROWIN_H
#define ROWIN_H

#include <stddef.h>

#include "stagein.h"

struct rowin_spec {
	const char *const *names;	/* the fields, in the order wanted */
	size_t		 n;
	unsigned	 required;	/* bit i: a CSV must have names[i] */
};

/*
 * Each record to cb, vals[i] the value of names[i] or NULL.  A CSV
 * header without a required column stops the run (65).
 */
void	rowin_each(struct stagein *, const struct rowin_spec *,
	    void (*cb)(struct stagein *, const char *const *vals, void *),
	    void *arg);

#endif
