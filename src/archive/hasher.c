/* SPDX-License-Identifier: MIT */
/* hasher.c - SHA-512 and SHA-256 of the payload on two threads, beside compression */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "archive_int.h"

/*
 * The writer's thread reads files and feeds libarchive; hashing every byte
 * twice on that thread would make it the bottleneck. Data is copied into a
 * ring of slots that a SHA-512 thread and a SHA-256 thread both consume in
 * order; a slot is reused once both have passed it. An end-of-item marker
 * carries where the two digests go.
 */
#define NSLOT 16
#define SLOT_SIZE (256u << 10)

struct slot {
	char *buf;
	const char *data;	/* buf, or a shared zero buffer */
	size_t len;
	uint8_t *out[2];	/* non-NULL: end of item, digests go here */
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
	int wsleep, psleep;		/* wake only who sleeps: no futex per slot */
	struct slot slots[NSLOT];
	uint64_t produced, consumed[2];
	unsigned mask;		/* bit 0: SHA-512 thread, bit 1: SHA-256 thread */
	int quit;
};

/* The slowest active thread's position. */
static uint64_t behind(const struct arc_hasher *h)
{
	uint64_t m = h->produced;

	for (int i = 0; i < 2; i++)
		if ((h->mask & (1u << i)) && h->consumed[i] < m)
			m = h->consumed[i];
	return m;
}

static const char zeros[SLOT_SIZE];

static void *work(void *arg)
{
	struct arc_hasher *h = ((struct worker *)arg)->h;
	int i = ((struct worker *)arg)->i;
	const EVP_MD *md = i == 0 ? EVP_sha512() : EVP_sha256();
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c)
		EVP_DigestInit_ex(c, md, NULL);
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->consumed[i] == h->produced && !h->quit) {
			h->wsleep++;
			pthread_cond_wait(&h->cv_w, &h->mu);
			h->wsleep--;
		}
		if (h->consumed[i] == h->produced && h->quit)
			break;
		struct slot *s = &h->slots[h->consumed[i] % NSLOT];

		pthread_mutex_unlock(&h->mu);
		if (c && s->len)
			EVP_DigestUpdate(c, s->data, s->len);
		if (c && s->out[i]) {
			EVP_DigestFinal_ex(c, s->out[i], NULL);
			EVP_DigestInit_ex(c, md, NULL);
		}
		pthread_mutex_lock(&h->mu);
		h->consumed[i]++;
		if (h->psleep)
			pthread_cond_signal(&h->cv_p);
	}
	pthread_mutex_unlock(&h->mu);
	EVP_MD_CTX_free(c);
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
		if ((rc = pthread_create(&h->th[i], NULL, work, &h->w[i]))) {
			arc_hasher_stop(h);
			return -rc;
		}
		h->started[i] = 1;
	}
	*out = h;
	return 0;
}

/* Wait for a free slot; returns it with the lock released. */
static struct slot *next_slot(struct arc_hasher *h)
{
	struct slot *s;

	pthread_mutex_lock(&h->mu);
	while (h->produced - behind(h) >= NSLOT) {
		h->psleep++;
		pthread_cond_wait(&h->cv_p, &h->mu);
		h->psleep--;
	}
	s = &h->slots[h->produced % NSLOT];
	pthread_mutex_unlock(&h->mu);
	s->out[0] = s->out[1] = NULL;
	s->len = 0;
	s->data = s->buf;
	return s;
}

static void publish(struct arc_hasher *h)
{
	pthread_mutex_lock(&h->mu);
	h->produced++;
	if (h->wsleep)
		pthread_cond_broadcast(&h->cv_w);
	pthread_mutex_unlock(&h->mu);
}

void arc_hasher_feed(struct arc_hasher *h, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		struct slot *s = next_slot(h);
		size_t n = len > SLOT_SIZE ? SLOT_SIZE : len;

		if (buf) {
			memcpy(s->buf, p, n);
			p += n;
		} else {
			s->data = zeros;	/* holes: nothing to copy */
		}
		s->len = n;
		len -= n;
		publish(h);
	}
}

void arc_hasher_end_item(struct arc_hasher *h, uint8_t sha512[64], uint8_t sha256[32])
{
	struct slot *s = next_slot(h);

	s->out[0] = sha512;
	s->out[1] = sha256;
	publish(h);
}

void arc_hasher_drain(struct arc_hasher *h)
{
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
