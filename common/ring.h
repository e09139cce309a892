/*
 * ring.h: a bounded single-producer, single-consumer queue of
 * preallocated items, for splitting a stage over the machine's two cores
 * while keeping input order: one thread reads and parses (jansson is the
 * floor of every NDJSON stage, PERF-NOTES.md), the other does the rest.
 * Items are reused, so their buffers keep their capacity between records.
 */
#ifndef RING_H
#define RING_H

#include <stddef.h>

struct ring;

struct ring	*ring_new(size_t nitems, size_t itemsize);
void		 ring_free(struct ring *);
void		*ring_item(struct ring *, size_t);	/* for set-up */
/* producer: the next free item (waits while the ring is full) */
void		*ring_claim(struct ring *);
/* producer: hand the claimed item to the consumer */
void		 ring_publish(struct ring *);
/* the same, and wake the consumer now rather than a few items later */
void		 ring_publish_now(struct ring *);
/*
 * consumer: the next published item (waits while there is none), and in
 * *avail (when not NULL) how many were published then, this one included
 */
void		*ring_take(struct ring *, size_t *avail);
/*
 * consumer: the item k places after the one taken, k < *avail of the last
 * ring_take: published, so it may be read (to prefetch what it will need)
 */
void		*ring_ahead(struct ring *, size_t k);
/* consumer: give the taken item back to the producer */
void		 ring_release(struct ring *);

#endif
