/*
 * ring.c: the queue behind ring.h; one mutex, two condition variables.
 * A thread that finds the ring empty (or full) sleeps until the other has
 * made RING_WAKE items of progress, not just one: waking the consumer for
 * every item costs a futex round trip each, more than parsing the line.
 * ring_publish_now() wakes it at once (end of input, a quiet producer).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "util.h"

#define RING_WAKE 64

struct ring {
	unsigned char	*items;
	size_t		 n, size, wake;
	size_t		 head;		/* published */
	size_t		 tail;		/* released */
	int		 cwait, pwait;	/* consumer, producer asleep */
	pthread_mutex_t	 mu;
	pthread_cond_t	 more, room;
};

struct ring *
ring_new(size_t n, size_t size)
{
	struct ring *r = xcalloc(1, sizeof(*r));

	r->items = xcalloc(n, size);
	r->n = n;
	r->size = size;
	r->wake = n / 4 < RING_WAKE ? (n / 4 ? n / 4 : 1) : RING_WAKE;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->more, NULL);
	pthread_cond_init(&r->room, NULL);
	return r;
}

void
ring_free(struct ring *r)
{
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->more);
	pthread_cond_destroy(&r->room);
	free(r->items);
	free(r);
}

void *
ring_item(struct ring *r, size_t i)
{
	return r->items + (i % r->n) * r->size;
}

void *
ring_claim(struct ring *r)
{
	size_t head;

	pthread_mutex_lock(&r->mu);
	while (r->head - r->tail >= r->n) {
		r->pwait = 1;
		pthread_cond_wait(&r->room, &r->mu);
	}
	head = r->head;
	pthread_mutex_unlock(&r->mu);
	return ring_item(r, head);
}

static void
publish(struct ring *r, int now)
{
	pthread_mutex_lock(&r->mu);
	r->head++;
	if (r->cwait && (now || r->head - r->tail >= r->wake)) {
		r->cwait = 0;
		pthread_cond_signal(&r->more);
	}
	pthread_mutex_unlock(&r->mu);
}

void
ring_publish(struct ring *r)
{
	publish(r, 0);
}

void
ring_publish_now(struct ring *r)
{
	publish(r, 1);
}

void *
ring_take(struct ring *r, size_t *avail)
{
	size_t tail;

	pthread_mutex_lock(&r->mu);
	while (r->head == r->tail) {
		r->cwait = 1;
		pthread_cond_wait(&r->more, &r->mu);
	}
	tail = r->tail;
	if (avail != NULL)
		*avail = r->head - tail;
	pthread_mutex_unlock(&r->mu);
	return ring_item(r, tail);
}

void *
ring_ahead(struct ring *r, size_t k)
{
	return ring_item(r, r->tail + k);	/* tail is the consumer's */
}

void
ring_release(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->tail++;
	if (r->pwait && r->n - (r->head - r->tail) >= r->wake) {
		r->pwait = 0;
		pthread_cond_signal(&r->room);
	}
	pthread_mutex_unlock(&r->mu);
}
