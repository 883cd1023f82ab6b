/* SPDX-License-Identifier: MIT */
/* ring.c - a producer thread filling aligned buffers ahead of the consumer */
#include "dispose/log.h"
#include "erase_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/io.h"

/* Next job: the extents cut into pieces of at most chunk bytes. */
static bool next_job(struct ring *r, uint64_t *off, size_t *len)
{
	while (r->next_ext < r->n_ext) {
		const struct range *x = &r->ext[r->next_ext];
		uint64_t end = x->off + x->len;

		if (r->next_off < x->off)
			r->next_off = x->off;
		if (r->next_off < end) {
			uint64_t n = end - r->next_off;

			*off = r->next_off;
			*len = n < r->chunk ? (size_t)n : r->chunk;
			r->next_off += *len;
			return true;
		}
		r->next_ext++;
	}
	return false;
}

static void *producer(void *arg)
{
	struct ring *r = arg;
	uint64_t off;
	size_t len;

	for (;;) {
		struct ring_slot *s;
		bool more;

		pthread_mutex_lock(&r->mu);
		while (!r->quit && r->head - r->tail == ERASE_RING)
			pthread_cond_wait(&r->cv, &r->mu);
		more = !r->quit && next_job(r, &off, &len);
		if (!more) {
			r->done = true;
			pthread_cond_broadcast(&r->cv);
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		s = &r->slot[r->head % ERASE_RING];
		pthread_mutex_unlock(&r->mu);

		s->off = off;
		s->len = len;
		s->bad.n = 0;
		s->err = r->fill(r, (unsigned)(s - r->slot), off, len);

		pthread_mutex_lock(&r->mu);
		r->head++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

int ring_start(struct ring *r, const struct range *ext, size_t n_ext, size_t chunk,
	       ring_fill_fn fill, void *arg, uint8_t *const *bufs)
{
	int e;

	memset(r, 0, sizeof(*r));
	r->ext = ext;
	r->n_ext = n_ext;
	r->chunk = chunk;
	r->fill = fill;
	r->arg = arg;
	for (int i = 0; i < ERASE_RING; i++)
		r->slot[i].buf = bufs[i];
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	e = dsp_thread_create(&r->th, producer, r);
	if (e) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		return -e;
	}
	r->running = true;
	return 0;
}

struct ring_slot *ring_take(struct ring *r)
{
	struct ring_slot *s = NULL;

	pthread_mutex_lock(&r->mu);
	while (r->head == r->tail && !r->done)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->head != r->tail)
		s = &r->slot[r->tail % ERASE_RING];
	pthread_mutex_unlock(&r->mu);
	return s;
}

void ring_release(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->tail++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void ring_stop(struct ring *r)
{
	if (!r->running)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->th, NULL);
	for (int i = 0; i < ERASE_RING; i++)
		ranges_free(&r->slot[i].bad);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	r->running = false;
}
