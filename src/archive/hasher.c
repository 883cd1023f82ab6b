/* SPDX-License-Identifier: MIT */
/* hasher.c - SHA-512 and XXH3-128 of the payload on two threads, beside compression */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>	/* the AVX2/AVX-512 code paths, picked at run time */
#endif

#include "dispose/log.h"
#include "archive_int.h"

/*
 * The writer's thread reads files and feeds libarchive; hashing every byte
 * twice on that thread would make it the bottleneck. Data is copied into a
 * ring of 1 MiB slots that a SHA-512 thread (the manifest) and an XXH3-128
 * thread (the read-back's comparison) both consume in order; a slot is
 * reused once both have passed it.
 *
 * A slot holds a list of segments: bytes in the slot's buffer, or a run of
 * zeros (holes, read from a static buffer, never copied), each possibly
 * ending an item (where its digests go). Many small files share one slot,
 * and a thread is woken only when it sleeps, the producer only once half
 * the ring is free: a few thousand wake-ups per GiB instead of one or two
 * per file or 256 KiB.
 */
#define NSLOT 8
#define SLOT_SIZE (1u << 20)
#define NSEG 128
#define SLOT_WORK (8u << 20)	/* bytes hashed per slot, zeros included */

struct seg {
	const char *data;
	size_t len;
	int zero;		/* data is the static zeros */
	unsigned skip;		/* threads (ARC_HASH_* bits) that pass over it */
	int end;		/* end of item: digests go to out[] (NULL: skipped) */
	uint8_t *out[2];
};

struct slot {
	char *buf;
	size_t used;		/* of buf */
	size_t work;		/* bytes in all segments */
	unsigned nseg;
	struct seg seg[NSEG];
};

struct arc_hasher;

struct worker {
	struct arc_hasher *h;
	int i;
};

struct arc_hasher {
	struct worker w[2];
	pthread_t th[2];
	int started[2];
	pthread_mutex_t mu;
	pthread_cond_t cv_w, cv_p;	/* workers wait for data, producer for room */
	int wsleep, psleep;		/* wake only who sleeps */
	struct slot slots[NSLOT];
	struct slot *cur;	/* being filled by the producer, or NULL */
	uint64_t produced, consumed[2];
	uint64_t items[2];	/* items whose digest each thread wrote */
	unsigned mask;		/* bit 0: SHA-512 thread, bit 1: XXH3 thread */
	unsigned skip;		/* for the item being fed */
	int quit;
};

static const char zeros[SLOT_SIZE];

/* The slowest active thread's position. */
static uint64_t behind(const struct arc_hasher *h)
{
	uint64_t m = h->produced;

	for (int i = 0; i < 2; i++)
		if ((h->mask & (1u << i)) && h->consumed[i] < m)
			m = h->consumed[i];
	return m;
}

/* Returns the number of items finished in the slot. */
static unsigned hash_slot(EVP_MD_CTX *c, XXH3_state_t *x, const struct slot *s, int i)
{
	unsigned ends = 0;

	for (unsigned k = 0; k < s->nseg; k++) {
		const struct seg *g = &s->seg[k];

		if (g->len && !(g->skip & (1u << i))) {
			if (c)
				EVP_DigestUpdate(c, g->data, g->len);
			else
				XXH3_128bits_update(x, g->data, g->len);
		}
		if (g->end)
			ends++;
		if (g->end && g->out[i]) {
			if (c) {
				EVP_DigestFinal_ex(c, g->out[i], NULL);
				EVP_DigestInit_ex(c, EVP_sha512(), NULL);
			} else {
				XXH128_canonical_t cn;

				XXH128_canonicalFromHash(&cn, XXH3_128bits_digest(x));
				memcpy(g->out[i], cn.digest, sizeof(cn.digest));
				XXH3_128bits_reset(x);
			}
		}
	}
	return ends;
}

static void *work(void *arg)
{
	struct arc_hasher *h = ((struct worker *)arg)->h;
	int i = ((struct worker *)arg)->i;
	EVP_MD_CTX *c = i == 0 ? EVP_MD_CTX_new() : NULL;
	XXH3_state_t *x = i == 1 ? XXH3_createState() : NULL;
	bool ok = c ? EVP_DigestInit_ex(c, EVP_sha512(), NULL) == 1 :
		  x && XXH3_128bits_reset(x) == XXH_OK;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->consumed[i] == h->produced && !h->quit) {
			h->wsleep++;
			pthread_cond_wait(&h->cv_w, &h->mu);
			h->wsleep--;
		}
		if (h->consumed[i] == h->produced && h->quit)
			break;
		uint64_t upto = h->produced;

		/* everything published so far, without the lock */
		while (h->consumed[i] < upto) {
			const struct slot *s = &h->slots[h->consumed[i] % NSLOT];
			unsigned ends = 0;

			pthread_mutex_unlock(&h->mu);
			if (ok)
				ends = hash_slot(c, x, s, i);
			pthread_mutex_lock(&h->mu);
			h->consumed[i]++;
			h->items[i] += ends;
			if (h->psleep && h->produced - behind(h) <= NSLOT / 2)
				pthread_cond_signal(&h->cv_p);
		}
	}
	pthread_mutex_unlock(&h->mu);
	EVP_MD_CTX_free(c);
	XXH3_freeState(x);
	return NULL;
}

int arc_hasher_start(struct arc_hasher **out, unsigned mask)
{
	struct arc_hasher *h = calloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->mask = mask;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv_w, NULL);
	pthread_cond_init(&h->cv_p, NULL);
	for (int i = 0; i < NSLOT; i++)
		if (!(h->slots[i].buf = malloc(SLOT_SIZE))) {
			arc_hasher_stop(h);
			return -ENOMEM;
		}
	for (int i = 0; i < 2; i++) {
		if (!(mask & (1u << i)))
			continue;
		h->w[i].h = h;
		h->w[i].i = i;
		if ((rc = dsp_thread_create(&h->th[i], work, &h->w[i]))) {
			arc_hasher_stop(h);
			return -rc;
		}
		h->started[i] = 1;
	}
	*out = h;
	return 0;
}

/* The slot being filled, waiting for a free one if needed. */
static struct slot *cur_slot(struct arc_hasher *h)
{
	struct slot *s;

	if (h->cur)
		return h->cur;
	pthread_mutex_lock(&h->mu);
	while (h->produced - behind(h) >= NSLOT) {
		h->psleep++;
		pthread_cond_wait(&h->cv_p, &h->mu);
		h->psleep--;
	}
	s = &h->slots[h->produced % NSLOT];
	pthread_mutex_unlock(&h->mu);
	s->used = s->work = 0;
	s->nseg = 0;
	h->cur = s;
	return s;
}

/* Hand the slot being filled to the threads. */
static void publish(struct arc_hasher *h)
{
	if (!h->cur)
		return;
	h->cur = NULL;
	pthread_mutex_lock(&h->mu);
	h->produced++;
	if (h->wsleep)
		pthread_cond_broadcast(&h->cv_w);
	pthread_mutex_unlock(&h->mu);
}

/*
 * A segment for len bytes (zeros when buf is NULL); returns how many fit.
 * copy 0: the bytes are already in place (arc_hasher_space).
 */
static size_t add_seg(struct arc_hasher *h, const char *buf, size_t len, int copy)
{
	struct slot *s = cur_slot(h);
	struct seg *last = s->nseg ? &s->seg[s->nseg - 1] : NULL;
	size_t n = len;

	if (buf) {
		if (n > SLOT_SIZE - s->used)
			n = SLOT_SIZE - s->used;
		if (last && !last->end && !last->zero && last->skip == h->skip &&
		    last->data + last->len == s->buf + s->used) {
			last->len += n;	/* continues the last copy */
		} else {
			last = &s->seg[s->nseg++];
			*last = (struct seg){ .data = s->buf + s->used, .len = n,
					      .skip = h->skip };
		}
		if (copy)
			memcpy(s->buf + s->used, buf, n);
		s->used += n;
	} else {
		if (last && !last->end && last->zero && last->skip == h->skip &&
		    last->len < sizeof(zeros)) {
			if (n > sizeof(zeros) - last->len)
				n = sizeof(zeros) - last->len;
			last->len += n;
		} else {
			if (n > sizeof(zeros))
				n = sizeof(zeros);
			last = &s->seg[s->nseg++];
			*last = (struct seg){ .data = zeros, .len = n, .zero = 1,
					      .skip = h->skip };
		}
	}
	s->work += n;
	if (s->used == SLOT_SIZE || s->nseg == NSEG || s->work >= SLOT_WORK)
		publish(h);
	return n;
}

void arc_hasher_feed(struct arc_hasher *h, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		size_t n = add_seg(h, p, len, 1);

		if (p)
			p += n;
		len -= n;
	}
}

char *arc_hasher_space(struct arc_hasher *h, size_t *room)
{
	struct slot *s = cur_slot(h);

	*room = SLOT_SIZE - s->used;
	return s->buf + s->used;
}

void arc_hasher_commit(struct arc_hasher *h, size_t len)
{
	struct slot *s;

	if (!len)
		return;
	s = cur_slot(h);
	add_seg(h, s->buf + s->used, len, 0);
}

void arc_hasher_end_item(struct arc_hasher *h, uint8_t sha512[64], uint8_t xxh[16])
{
	struct slot *s = cur_slot(h);
	struct seg *g = s->nseg ? &s->seg[s->nseg - 1] : NULL;

	if (!g || g->end) {	/* an empty item, or one after another */
		g = &s->seg[s->nseg++];
		*g = (struct seg){ .data = NULL, .len = 0, .skip = h->skip };
	}
	g->end = 1;
	g->out[0] = (h->skip & ARC_HASH_SHA512) ? NULL : sha512;
	g->out[1] = (h->skip & ARC_HASH_XXH3) ? NULL : xxh;
	h->skip = 0;	/* for the next item */
	if (s->nseg == NSEG)
		publish(h);
}

void arc_hasher_item_skip(struct arc_hasher *h, unsigned mask)
{
	h->skip = mask;
}

uint64_t arc_hasher_items_done(struct arc_hasher *h)
{
	uint64_t n = UINT64_MAX;

	pthread_mutex_lock(&h->mu);
	for (int i = 0; i < 2; i++)
		if ((h->mask & (1u << i)) && h->items[i] < n)
			n = h->items[i];
	pthread_mutex_unlock(&h->mu);
	return n;
}

void arc_hasher_drain(struct arc_hasher *h)
{
	publish(h);
	pthread_mutex_lock(&h->mu);
	while (behind(h) != h->produced) {
		h->psleep++;
		pthread_cond_wait(&h->cv_p, &h->mu);
		h->psleep--;
	}
	pthread_mutex_unlock(&h->mu);
}

void arc_hasher_stop(struct arc_hasher *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_broadcast(&h->cv_w);
	pthread_mutex_unlock(&h->mu);
	for (int i = 0; i < 2; i++)
		if (h->started[i])
			pthread_join(h->th[i], NULL);
	for (int i = 0; i < NSLOT; i++)
		free(h->slots[i].buf);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv_w);
	pthread_cond_destroy(&h->cv_p);
	free(h);
}
