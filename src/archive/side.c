/* SPDX-License-Identifier: MIT */
/* side.c - SHA-512 of sparse files on threads of their own */
/* Archive files used (no cycles, see common.c): none */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>	/* the AVX2/AVX-512 code paths, picked at run time */
#endif

#include "dispose/log.h"
#include "archive_int.h"

/*
 * The manifest needs the SHA-512 of every file as a reader sees it, holes
 * as zeros. For a sparse image most of that is zeros that cost the hash
 * thread its full speed and nobody else anything, and as the one SHA-512
 * thread works in archive order, it became the whole pipeline's pace. A
 * sparse file's SHA-512 is taken here instead, from a second read of the
 * same regions, on up to two threads at once. That read also gives an
 * XXH3-128 which the writer compares with the one taken from the bytes it
 * archived: a file that changed between the two reads fails the archive.
 */
#define NTHREAD 2
#define QLEN 4
#define BUF (1u << 20)

struct job {
	int fd;
	struct arc_region *reg;
	unsigned nreg;
	uint64_t size;
	struct arc_item *it;
};

struct arc_side {
	const volatile int *stop;	/* the caller's interruption flag, or NULL */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th[NTHREAD];
	int nth;
	struct job q[QLEN];
	unsigned qhead, qn, running;
	int quit;
};

static int run_job(const struct arc_side *s, const struct job *j, char *buf)
{
	static const char zeros[65536];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	XXH3_state_t *x = XXH3_createState();
	uint64_t pos = 0;
	int rc = 0;

	if (!c || !x || !EVP_DigestInit_ex(c, EVP_sha512(), NULL) ||
	    XXH3_128bits_reset(x) != XXH_OK) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned k = 0; k <= j->nreg && rc == 0; k++) {
		/* a hole up to the region (or the end), then the region */
		uint64_t off = k < j->nreg ? j->reg[k].off : j->size;
		uint64_t len = k < j->nreg ? j->reg[k].len : 0;

		while (pos < off) {
			size_t z = off - pos > sizeof(zeros) ? sizeof(zeros) : (size_t)(off - pos);

			if (s->stop && *s->stop) {
				rc = -EINTR;
				break;
			}
			EVP_DigestUpdate(c, zeros, z);
			XXH3_128bits_update(x, zeros, z);
			pos += z;
		}
		while (len && rc == 0) {
			ssize_t r;

			if (s->stop && *s->stop) {
				rc = -EINTR;
				break;
			}
			r = pread(j->fd, buf, len > BUF ? BUF : (size_t)len, (off_t)pos);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = r < 0 ? -errno : -ESTALE;
				break;
			}
#ifdef DSP_TEST_HOOKS
			if (pos == 0 && getenv("DISPOSE_TEST_ARCHIVE_SIDE_CHANGE"))
				buf[0] ^= 1;	/* tests: the file changed between the reads */
#endif
			EVP_DigestUpdate(c, buf, (size_t)r);
			XXH3_128bits_update(x, buf, (size_t)r);
			pos += (uint64_t)r;
			len -= (uint64_t)r;
		}
	}
	if (rc == 0) {
		XXH128_canonical_t cn;

		EVP_DigestFinal_ex(c, j->it->sha512, NULL);
		XXH128_canonicalFromHash(&cn, XXH3_128bits_digest(x));
		memcpy(j->it->side_xxh, cn.digest, 16);
	}
out:
	EVP_MD_CTX_free(c);
	XXH3_freeState(x);
	return rc;
}

static void *work(void *arg)
{
	struct arc_side *s = arg;
	char *buf = malloc(BUF);

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct job j;
		int rc;

		while (!s->qn && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (!s->qn)
			break;
		j = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % QLEN;
		s->qn--;
		s->running++;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		rc = buf ? run_job(s, &j, buf) : -ENOMEM;
		close(j.fd);
		free(j.reg);
		/* digests first, then the state that says they are there */
		atomic_store_explicit(&j.it->side_state, rc ? rc : 1, memory_order_release);
		pthread_mutex_lock(&s->mu);
		s->running--;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	free(buf);
	return NULL;
}

int arc_side_start(struct arc_side **out, const volatile int *stop)
{
	struct arc_side *s = calloc(1, sizeof(*s));

	*out = s;
	if (!s)
		return -ENOMEM;
	s->stop = stop;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	return 0;
}

int arc_side_submit(struct arc_side *s, int fd, struct arc_region *reg,
		    unsigned nreg, uint64_t size, struct arc_item *it)
{
	int rc = 0;

	atomic_store(&it->side_state, 0);
	it->side = 1;
	pthread_mutex_lock(&s->mu);
	/* threads start with the first sparse file; none for trees without */
	if (s->nth < NTHREAD && s->qn + s->running >= (unsigned)s->nth) {
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = dsp_thread_create(&s->th[s->nth], work, s);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc == 0)
			s->nth++;
		else if (s->nth > 0)
			rc = 0;	/* the threads there will do */
	}
	while (rc == 0 && s->qn == QLEN)
		pthread_cond_wait(&s->cv, &s->mu);
	if (rc == 0) {
		s->q[(s->qhead + s->qn) % QLEN] = (struct job){ fd, reg, nreg, size, it };
		s->qn++;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return -rc;
}

void arc_side_drain(struct arc_side *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	while (s->qn || s->running)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

void arc_side_stop(struct arc_side *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < s->nth; i++)
		pthread_join(s->th[i], NULL);
	/* jobs never started (quit with a queue): their descriptors */
	while (s->qn) {
		struct job *j = &s->q[s->qhead];

		close(j->fd);
		free(j->reg);
		atomic_store(&j->it->side_state, -ECANCELED);
		s->qhead = (s->qhead + 1) % QLEN;
		s->qn--;
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
