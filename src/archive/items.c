/* SPDX-License-Identifier: MIT */
/* items.c - create's payload items, streamed: memory does not grow with the file count */
/* Archive files used (no cycles, see common.c): common, pstore, bag */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>	/* the AVX2/AVX-512 code paths, picked at run time */
#endif

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/util.h"
#include "archive_int.h"

/*
 * An item lives from its header until both hash threads wrote its digests.
 * Then, in archive order, it becomes a manifest line (temporary file), a
 * line of the run's item list (temporary file in the run directory) and a
 * compact record that the read-back, running beside the writer, compares
 * with the entry it decodes. Only items in flight and records not yet
 * compared are in memory.
 */
struct rec {
	uint64_t path_h, link_h, size;
	uint8_t xxh[16];
	int is_link;
};

struct arc_items {
	struct arc_item *head, *tail;
	uint64_t nhashed;
	uint64_t files, bytes;
	struct dsp_archive_result *res;
	/* manifest-sha512.txt, built line by line */
	FILE *man;
	uint64_t man_len;
	EVP_MD_CTX *man_sha;
	/* the run's item list */
	FILE *lst;
	EVP_MD_CTX *lst_sha;
	int lst_dirfd;
	char lst_tmp[128], lst_name[96];
	int lst_kept;
	/* records for the read-back; under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rec *q;
	size_t qcap, qhead, qn;
	int closed;
	uint64_t consumed;	/* archive bytes the read-back took */
	int gone;		/* the read-back ended */
	int waiting;		/* the writer waits for room */
};

/*
 * The read-back can fall behind (many tiny files cost it more than the
 * writer): past qmax records the writer waits, but only while at least
 * SLACK bytes it wrote are still unread, so that the read-back is never
 * left waiting for bytes that sit in a buffer (the envelope writer holds
 * up to 4 MiB until full).
 */
#define QMAX 65536
#define SLACK ((uint64_t)8 << 20)

static size_t qmax = QMAX;
static uint64_t slack = SLACK;

void arc_items_set_qmax(size_t n, uint64_t bytes)
{
	qmax = n ? n : QMAX;
	slack = n ? bytes : SLACK;
}

static FILE *tmp_beside(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return arc_tmpfile_in(dir);
}

int arc_items_open(struct arc_items **out, const char *archive,
		   const char *run_dir, const char *uuid,
		   struct dsp_archive_result *res)
{
	struct arc_items *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->lst_dirfd = -1;
	s->res = res;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->man_sha = EVP_MD_CTX_new();
	if (!s->man_sha || !EVP_DigestInit_ex(s->man_sha, EVP_sha512(), NULL))
		goto fail;
	if (!(s->man = tmp_beside(archive))) {
		rc = -errno;
		goto fail;
	}
	if (run_dir) {
		int fd;

		snprintf(s->lst_name, sizeof(s->lst_name), "archive-items-%s.jsonl", uuid);
		snprintf(s->lst_tmp, sizeof(s->lst_tmp), ".%s.tmp", s->lst_name);
		s->lst_sha = EVP_MD_CTX_new();
		if (!s->lst_sha || !EVP_DigestInit_ex(s->lst_sha, EVP_sha256(), NULL))
			goto fail;
		s->lst_dirfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fd = s->lst_dirfd < 0 ? -1 :
			openat(s->lst_dirfd, s->lst_tmp, O_WRONLY | O_CREAT | O_TRUNC |
			       O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || !(s->lst = fdopen(fd, "w"))) {
			rc = -errno;
			if (fd >= 0) {
				close(fd);
				unlinkat(s->lst_dirfd, s->lst_tmp, 0);
			}
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	arc_items_free(s);
	return rc;
}

struct arc_item *arc_items_add(struct arc_items *s, const char *bagpath,
			       const char *link, struct arc_link *lk)
{
	struct arc_item *it = calloc(1, sizeof(*it));

	if (!it || !(it->bagpath = strdup(bagpath)) ||
	    (link && !(it->link = strdup(link)))) {
		if (it)
			free(it->bagpath);
		free(it);
		return NULL;
	}
	it->lk = lk;
	it->hseq = s->nhashed;	/* a link is done once the items before it are */
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	return it;
}

void arc_items_hashed(struct arc_items *s, struct arc_item *it)
{
	it->hashed = 1;
	it->hseq = s->nhashed++;
}

static int put_rec(struct arc_items *s, const struct arc_item *it)
{
	struct rec r = { .path_h = XXH3_64bits(it->bagpath, strlen(it->bagpath)),
			 .size = it->size, .is_link = it->link != NULL };
	int rc = 0;

	if (it->link)
		r.link_h = XXH3_64bits(it->link, strlen(it->link));
	else
		memcpy(r.xxh, it->xxh, 16);
	pthread_mutex_lock(&s->mu);
	if (s->qn == s->qcap) {
		size_t nc = s->qcap ? s->qcap * 2 : 4096;
		struct rec *n = malloc(nc * sizeof(*n));

		if (!n) {
			rc = -ENOMEM;
		} else {
			for (size_t i = 0; i < s->qn; i++)
				n[i] = s->q[(s->qhead + i) % s->qcap];
			free(s->q);
			s->q = n;
			s->qcap = nc;
			s->qhead = 0;
		}
	}
	if (!rc) {
		s->q[(s->qhead + s->qn) % s->qcap] = r;
		s->qn++;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int put_lines(struct arc_items *s, const struct arc_item *it)
{
	char enc[PATH_MAX * 3 + 64], hex[129];
	int l;

	dsp_hex(it->sha512, 64, hex);
	if (dsp_bag_path_encode(it->bagpath, enc, sizeof(enc)))
		return -ENAMETOOLONG;
	l = fprintf(s->man, "%s  %s\n", hex, enc);
	if (l < 0)
		return -EIO;
	s->man_len += (uint64_t)l;
	EVP_DigestUpdate(s->man_sha, hex, 128);
	EVP_DigestUpdate(s->man_sha, "  ", 2);
	EVP_DigestUpdate(s->man_sha, enc, strlen(enc));
	EVP_DigestUpdate(s->man_sha, "\n", 1);
	if (s->lst) {
		struct json_object *o = json_object_new_object();
		const char *line;
		size_t len;

		if (!o)
			return -ENOMEM;
		/* "data/srv/x" -> "/srv/x"; a name not UTF-8 gets path_hex, its exact bytes */
		if (dsp_json_add_bytes(o, "path", it->bagpath + 4)) {
			json_object_put(o);
			return -ENOMEM;
		}
		json_object_object_add(o, "size", json_object_new_int64((int64_t)it->size));
		json_object_object_add(o, "sha512", json_object_new_string(hex));
		/* archived as read, which is no snapshot of it: covers nothing */
		if (it->changed)
			json_object_object_add(o, "changed", json_object_new_boolean(1));
		line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		len = strlen(line);
		EVP_DigestUpdate(s->lst_sha, line, len);
		EVP_DigestUpdate(s->lst_sha, "\n", 1);
		l = fwrite(line, 1, len, s->lst) != len || fputc('\n', s->lst) == EOF;
		json_object_put(o);
		if (l)
			return -EIO;
	}
	return 0;
}

void arc_items_consumed(struct arc_items *s, size_t n, int gone)
{
	pthread_mutex_lock(&s->mu);
	s->consumed += n;
	s->gone |= gone;
	if (s->waiting)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void wait_room(struct arc_items *s, uint64_t produced)
{
	pthread_mutex_lock(&s->mu);
	while (s->qn > qmax && !s->gone && s->consumed + slack < produced) {
		s->waiting++;
		pthread_cond_wait(&s->cv, &s->mu);
		s->waiting--;
	}
	pthread_mutex_unlock(&s->mu);
}

int arc_items_flush(struct arc_items *s, uint64_t done, uint64_t produced)
{
	struct arc_item *it;
	int rc;

	/* a file is done when its digests are; a link when the items before it are */
	while ((it = s->head) && (it->link ? it->hseq <= done :
				  it->hashed && it->hseq < done)) {
		if (it->side) {
			int st = atomic_load_explicit(&it->side_state, memory_order_acquire);

			if (st == 0)
				break;	/* still hashing: later */
			if (st == -ESTALE) {	/* shorter on the second read */
				dsp_log(DSP_LOG_ERROR, "%s: file changed as we read it",
					it->bagpath + 4);
				snprintf(s->res->bad_path, sizeof(s->res->bad_path),
					 "%s: file changed as we read it", it->bagpath + 4);
			}
			if (st < 0)
				return st;
			if (memcmp(it->xxh, it->side_xxh, 16)) {
				/* the SHA-512 is of other bytes than those archived */
				dsp_log(DSP_LOG_ERROR, "%s: file changed as we read it",
					it->bagpath + 4);
				snprintf(s->res->bad_path, sizeof(s->res->bad_path),
					 "%s: file changed as we read it", it->bagpath + 4);
				return -ESTALE;
			}
		}
		if (it->link) {	/* the first link went before: its digests are in */
			memcpy(it->sha512, it->lk->sha512, 64);
			memcpy(it->xxh, it->lk->xxh, 16);
			it->size = it->lk->size;
		} else if (it->lk) {
			memcpy(it->lk->sha512, it->sha512, 64);
			memcpy(it->lk->xxh, it->xxh, 16);
			it->lk->size = it->size;
		}
		if ((rc = put_lines(s, it)) || (rc = put_rec(s, it)))
			return rc;
		s->files++;
		s->bytes += it->size;
		s->head = it->next;
		if (!s->head)
			s->tail = NULL;
		free(it->bagpath);
		free(it->link);
		free(it);
	}
	wait_room(s, produced);
	return 0;
}

uint64_t arc_items_files(const struct arc_items *s)
{
	return s->files;
}

uint64_t arc_items_bytes(const struct arc_items *s)
{
	return s->bytes;
}

int arc_items_manifest(struct arc_items *s, uint64_t *len, uint8_t sha512[64],
		       int (*put)(void *arg, const void *buf, size_t n), void *arg)
{
	char buf[65536];
	size_t n;
	int rc = 0;

	if (s->head)
		return -EINPROGRESS;	/* items not flushed: a bug */
	if (fflush(s->man) || fseeko(s->man, 0, SEEK_SET))
		return -errno;
	*len = s->man_len;
	if (sha512)
		EVP_DigestFinal_ex(s->man_sha, sha512, NULL);
	if (!put)
		return 0;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), s->man)) > 0)
		rc = put(arg, buf, n);
	if (rc == 0 && ferror(s->man))
		rc = -EIO;
	return rc;
}

void arc_items_close_queue(struct arc_items *s)
{
	pthread_mutex_lock(&s->mu);
	s->closed = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Read-back side: the next entry must be the next item written. */
int arc_items_entry(void *arg, const char *bagpath, const uint8_t xxh[16],
		    uint64_t *size, const char *link)
{
	struct arc_items *s = arg;
	struct rec r;
	int have;

	pthread_mutex_lock(&s->mu);
	while (!s->qn && !s->closed)
		pthread_cond_wait(&s->cv, &s->mu);
	have = s->qn > 0;
	if (have) {
		r = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qn--;
		if (s->waiting)
			pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	if (!have || r.path_h != XXH3_64bits(bagpath, strlen(bagpath)) ||
	    r.is_link != (link != NULL) ||
	    (link ? r.link_h != XXH3_64bits(link, strlen(link)) :
		    (r.size != *size || memcmp(r.xxh, xxh, 16)))) {
		snprintf(s->res->bad_path, sizeof(s->res->bad_path), "%s%s", bagpath,
			 have ? "" : ": not written, but read back");
		return DSP_MISMATCH;
	}
	*size = r.size;
	return 0;
}

/* After the read-back: every record compared? */
int arc_items_all_read(struct arc_items *s)
{
	size_t left;

	pthread_mutex_lock(&s->mu);
	left = s->qn;
	pthread_mutex_unlock(&s->mu);
	if (left) {
		snprintf(s->res->bad_path, sizeof(s->res->bad_path),
			 "%zu files written but missing on read-back", left);
		return DSP_MISMATCH;
	}
	return 0;
}

int arc_items_keep_list(struct arc_items *s, char name[96], char sha_hex[65])
{
	uint8_t d[32];
	int rc = 0;

	if (!s->lst)
		return -EINVAL;
	if (fflush(s->lst) || fsync(fileno(s->lst)))
		rc = -errno;
	if (fclose(s->lst) && !rc)
		rc = -errno;
	s->lst = NULL;
	if (!rc && (renameat(s->lst_dirfd, s->lst_tmp, s->lst_dirfd, s->lst_name) ||
		    fsync(s->lst_dirfd)))
		rc = -errno;
	if (rc)
		return rc;
	s->lst_kept = 1;
	EVP_DigestFinal_ex(s->lst_sha, d, NULL);
	dsp_hex(d, 32, sha_hex);
	memcpy(name, s->lst_name, 96);
	return 0;
}

void arc_items_free(struct arc_items *s)
{
	struct arc_item *it, *next;

	if (!s)
		return;
	for (it = s->head; it; it = next) {
		next = it->next;
		free(it->bagpath);
		free(it->link);
		free(it);
	}
	if (s->man)
		fclose(s->man);
	if (s->lst)
		fclose(s->lst);
	if (s->lst_dirfd >= 0) {
		if (!s->lst_kept && s->lst_tmp[0])
			unlinkat(s->lst_dirfd, s->lst_tmp, 0);
		close(s->lst_dirfd);
	}
	EVP_MD_CTX_free(s->man_sha);
	EVP_MD_CTX_free(s->lst_sha);
	free(s->q);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
