/*
 * spill.h: raw input lines kept on disk, not in memory.  A stage that
 * must read all its input before it decides (rate, invoice-gen) keeps
 * each record's raw line only to quote it in a reject; those lines go
 * to an unlinked temporary file, and memory holds an offset and a
 * length for each.  meter-aggregate(1) keeps gauge points there.
 */
#ifndef SPILL_H
#define SPILL_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

struct spill {
	FILE		*fp;
	uint64_t	 end;
};

/* The line's place: pass it back to spill_get(). */
uint64_t	 spill_put(struct spill *, const char *, size_t);
/* The line at off, len bytes, into b (reset first). */
void		 spill_get(struct spill *, uint64_t off, size_t len,
		    struct buf *b);
/*
 * Read the file in order: up to n bytes from *off (start at 0), which
 * advances; 0 at the end.
 */
size_t		 spill_read(struct spill *, uint64_t *off, void *, size_t n);
void		 spill_close(struct spill *);

#endif
