/* SPDX-License-Identifier: MIT */
/* digest.c - XXH3-128 of each generated chunk of a random pass, for its read-back */
#include "dispose/log.h"
#include "erase_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>	/* the AVX2/AVX-512 code paths, picked at run time */
#endif

/*
 * Regenerating the keystream to compare a random pass costs more CPU than
 * reading it back. The generator hashes each chunk it hands to the writer;
 * the read-back hashes what the medium returns. Equal digests (128 bits,
 * seeded per pass at random) mean equal chunks; a chunk whose digest
 * differs, or that has none, is compared byte by byte against the
 * regenerated stream, so mismatches are still counted and located exactly.
 * Memory is capped: chunks beyond the cap are simply compared the slow way.
 */
#define DIGEST_CAP_BYTES (8u << 20)

struct chunk_digest {
	uint64_t lo, hi;
};

int cdig_begin(struct chunk_digests *c, unsigned pass, uint64_t size, size_t chunk)
{
	uint64_t n = chunk ? (size + chunk - 1) / chunk : 0;
	uint64_t cap = DIGEST_CAP_BYTES / (sizeof(struct chunk_digest) + 1);

	cdig_free(c);
	if (!n)
		return 0;
	if (n > cap)
		n = cap;
	c->d = malloc((size_t)n * sizeof(*c->d));
	c->ok = calloc((size_t)n, 1);
	if (!c->d || !c->ok || RAND_bytes((unsigned char *)&c->seed, sizeof(c->seed)) != 1) {
		cdig_free(c);
		return -ENOMEM;
	}
	c->n = n;
	c->pass = pass;
	c->size = size;
	c->chunk = chunk;
	return 0;
}

/* Only whole chunks at their natural place: that is how both sides cut the pass. */
static bool slot_of(const struct chunk_digests *c, uint64_t off, size_t len, uint64_t *i)
{
	uint64_t want;

	if (!c->d || off % c->chunk || off >= c->size)
		return false;
	want = c->size - off < c->chunk ? c->size - off : c->chunk;
	*i = off / c->chunk;
	return len == want && *i < c->n;
}

void cdig_put(struct chunk_digests *c, uint64_t off, const void *buf, size_t len)
{
	uint64_t i;
	XXH128_hash_t h;

	if (!slot_of(c, off, len, &i))
		return;
	h = XXH3_128bits_withSeed(buf, len, c->seed);
	c->d[i].lo = h.low64;
	c->d[i].hi = h.high64;
	c->ok[i] = 1;
}

int cdig_check(const struct chunk_digests *c, unsigned pass, uint64_t off, const void *buf,
	       size_t len)
{
	uint64_t i;
	XXH128_hash_t h;

	if (c->pass != pass || !slot_of(c, off, len, &i) || !c->ok[i])
		return -1;
	h = XXH3_128bits_withSeed(buf, len, c->seed);
	return h.low64 == c->d[i].lo && h.high64 == c->d[i].hi;
}

bool cdig_has(const struct chunk_digests *c, unsigned pass)
{
	if (!c->d || c->pass != pass)
		return false;
	for (uint64_t i = 0; i < c->n; i++)
		if (c->ok[i])
			return true;
	return false;
}

void cdig_free(struct chunk_digests *c)
{
	free(c->d);
	free(c->ok);
	memset(c, 0, sizeof(*c));
}

/*
 * The generator thread is on the critical path of a random pass; hashing
 * there slows the pass. A worker hashes each chunk while the writer's
 * pwrite of it is in flight, and the writer waits for it before the
 * buffer is reused.
 */
struct cdig_worker {
	struct chunk_digests *c;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const void *buf;
	uint64_t off;
	size_t len;
	bool job, quit;
};

static void *cdig_main(void *arg)
{
	struct cdig_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->job && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->job)
			break;
		pthread_mutex_unlock(&w->mu);
		cdig_put(w->c, w->off, w->buf, w->len);
		pthread_mutex_lock(&w->mu);
		w->job = false;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct cdig_worker *cdig_worker_start(struct chunk_digests *c)
{
	struct cdig_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->c = c;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (dsp_thread_create(&w->th, cdig_main, w)) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return NULL;
	}
	return w;
}

void cdig_worker_post(struct cdig_worker *w, uint64_t off, const void *buf, size_t len)
{
	pthread_mutex_lock(&w->mu);
	w->off = off;
	w->buf = buf;
	w->len = len;
	w->job = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void cdig_worker_wait(struct cdig_worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->job)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void cdig_worker_stop(struct cdig_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
