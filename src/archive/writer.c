/* SPDX-License-Identifier: MIT */
/* writer.c - dispose archive create: one pass over the roots into a BagIt bag in pax+zstd */
/* Archive files used (no cycles, see common.c): reader, items, hasher, side, rbkey, envelope, bag, common */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/util.h"
#include "archive_int.h"

struct link_key {
	dev_t dev;
	ino_t ino;
	struct arc_link dig;
};

struct wctx {
	const struct dsp_archive_opts *o;
	struct dsp_archive_result *res;
	char bag[256];
	struct archive *a;
	struct archive_entry_linkresolver *lr;
	struct arc_items *its;
	struct arc_side *side;	/* started with the first sparse file */
	uint64_t nitems;
	void *links;		/* tsearch tree of struct link_key (nlink > 1) */
	/* output */
	int fd;
	struct dsp_env_writer *env;
	EVP_MD_CTX *out_sha;
	uint64_t out_bytes;
	int out_err;
	struct arc_hasher *hs;	/* SHA-512 + SHA-256 of the payload */
	time_t now;
	uint64_t fault_at;	/* 1 + offset of a byte to flip (tests), or 0 */
	int discard;		/* failed: output goes nowhere */
	dev_t out_dev;		/* the outputs, kept out of the walk */
	ino_t out_ino, env_ino;
	dev_t run_dev;		/* the run directory, kept out too */
	ino_t run_ino;
	char name_abs[PATH_MAX];	/* the archive, as the record names it */
	uint64_t nchanged;	/* files that changed while they were read */
	char bag_info[8192];
	size_t bag_info_len;
	uint8_t manifest_sha512[64];
	struct json_object *volumes;	/* every envelope volume written */
	struct json_object *recipient_ids;	/* each --recipient's certificate identity */
	/* encrypted: the read-back runs beside the writing */
	struct arc_feed *feed;
	pthread_t tail_th;
	int tail_up, tail_rc;
	struct dsp_env_writer *tail_env;	/* what the tail reads; set before it starts */
	const char *rb_key, *rb_cert;
	/* plain: the read-back follows the file through rd_fd */
	int rd_fd;
	pthread_mutex_t pmu;
	pthread_cond_t pcv;
	uint64_t pub;		/* bytes written so far; under pmu */
	int pend;		/* 1 closed, -1 failed; under pmu */
	char tail_sha[65];	/* SHA-256 of the file as read back */
	struct arc_progress pg;	/* files and payload bytes read so far */
};

/* --- output: plain file or envelope, counted and hashed ------------------ */

static la_ssize_t out_write(struct archive *a, void *arg, const void *buf,
			    size_t len)
{
	struct wctx *w = arg;
	int rc;

	if (w->discard)
		return (la_ssize_t)len;
	/* test hook: corrupt one output byte so the read-back must catch it */
	if (w->fault_at && w->fault_at - 1 >= w->out_bytes &&
	    w->fault_at - 1 < w->out_bytes + len) {
		char *copy = malloc(len);

		if (!copy)
			return -1;
		memcpy(copy, buf, len);
		copy[w->fault_at - 1 - w->out_bytes] ^= 0x01;
		w->fault_at = 0;
		rc = (int)out_write(a, arg, copy, len);
		free(copy);
		return rc;
	}

	if (w->env)
		rc = dsp_env_write(w->env, buf, len);
	else
		rc = arc_write_full(w->fd, buf, len);
	if (rc) {
		w->out_err = rc;
		archive_set_error(a, -rc, "write: %s", strerror(-rc));
		return -1;
	}
	if (w->out_sha)
		EVP_DigestUpdate(w->out_sha, buf, len);
	w->out_bytes += len;
	if (!w->env) {
		pthread_mutex_lock(&w->pmu);
		w->pub = w->out_bytes;
		pthread_cond_broadcast(&w->pcv);
		pthread_mutex_unlock(&w->pmu);
	}
	return (la_ssize_t)len;
}

/* --- items ---------------------------------------------------------------- */

/*
 * Items whose digests are in go on to the manifest and the read-back.
 * DSP_MISMATCH once the read-back found a difference: no use writing on.
 */
static int flush(struct wctx *w)
{
	if (w->o->stop && *w->o->stop)
		return -EINTR;
	if (arc_feed_failed(w->feed))
		return DSP_MISMATCH;
	return arc_items_flush(w->its, arc_hasher_items_done(w->hs), w->out_bytes);
}

static int link_cmp(const void *a, const void *b)
{
	const struct link_key *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

static int excluded(const struct dsp_archive_opts *o, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (const char *const *g = o->excludes; g && *g; g++)
		if (!fnmatch(*g, path, 0) || !fnmatch(*g, base, 0))
			return 1;
	return 0;
}

/* --- copying one file ----------------------------------------------------- */

static int feed(struct wctx *w, const void *buf, size_t len, int zero)
{
	la_ssize_t r;

	arc_hasher_feed(w->hs, zero ? NULL : buf, len);
	r = archive_write_data(w->a, buf, len);
	if (r < 0 || (size_t)r != len)
		return -EIO;
	return 0;
}

/* Hole: zeros for the hashes (never copied) and for libarchive. */
static int feed_zeros(struct wctx *w, uint64_t n)
{
	static const char zeros[65536];

	while (n) {
		size_t z = n > sizeof(zeros) ? sizeof(zeros) : (size_t)n;
		int rc;

		if (w->o->stop && *w->o->stop)	/* a large hole takes a while */
			return -EINTR;
		rc = feed(w, zeros, z, 1);

		if (rc)
			return rc;
		n -= z;
	}
	return 0;
}

/* Files with holes from this size on get their SHA-512 from side.c. */
#define SIDE_MIN ((uint64_t)16 << 20)

/* Hand a sparse file's SHA-512 to a side thread; the hash thread passes over it. */
static int side_hash(struct wctx *w, struct archive_entry *e, int fd, int nreg,
		     uint64_t size, struct arc_item *it)
{
	struct arc_region *reg = calloc((size_t)nreg, sizeof(*reg));
	int dfd, rc;

	if (!reg)
		return -ENOMEM;
	for (int k = 0; k < nreg; k++) {
		la_int64_t off, len;

		if (archive_entry_sparse_next(e, &off, &len) != ARCHIVE_OK ||
		    off < 0 || len < 0 || (uint64_t)off + (uint64_t)len > size ||
		    (k && (uint64_t)off < reg[k - 1].off + reg[k - 1].len)) {
			free(reg);
			return 0;	/* the copy below reports what is wrong */
		}
		reg[k] = (struct arc_region){ (uint64_t)off, (uint64_t)len };
	}
	if (!w->side && (rc = arc_side_start(&w->side, w->o->stop))) {
		free(reg);
		return rc;
	}
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		free(reg);
		return -errno;
	}
	if ((rc = arc_side_submit(w->side, dfd, reg, (unsigned)nreg, size, it))) {
		close(dfd);
		free(reg);
		it->side = 0;
		return 0;	/* no thread: the hash thread does it */
	}
	arc_hasher_item_skip(w->hs, ARC_HASH_SHA512);
	return 0;
}

#ifdef DSP_TEST_HOOKS
/*
 * Tests only: $DISPOSE_TEST_ARCHIVE_CHANGE = "MODE:NAME" changes the file
 * whose base name is NAME at one point of its copy (phase 0 before it is
 * opened: remove, replace; 1 once it is open: shrink; 2 after it was read,
 * before the last fstat: grow, rewrite), so the detection is tested without
 * racing a writer.
 */
static void test_change(const char *src, int phase)
{
	const char *v = getenv("DISPOSE_TEST_ARCHIVE_CHANGE"), *colon, *base = strrchr(src, '/');
	static const char *const modes[] = { "remove", "replace", "shrink", "grow", "rewrite" };
	static const int phases[] = { 0, 0, 1, 2, 2 };
	char tmp[PATH_MAX + 8];
	struct stat st;
	size_t ml;
	int fd;

	base = base ? base + 1 : src;
	if (!v || !(colon = strchr(v, ':')) || strcmp(colon + 1, base))
		return;
	ml = (size_t)(colon - v);
	for (size_t i = 0; i < DSP_ARRAY_SIZE(modes); i++) {
		if (strlen(modes[i]) != ml || strncmp(v, modes[i], ml) || phases[i] != phase)
			continue;
		if (i == 0) {
			unlink(src);
		} else if (i == 1) {
			snprintf(tmp, sizeof(tmp), "%s.new", src);
			fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd < 0 || write(fd, "replaced\n", 9) != 9 || close(fd) ||
			    rename(tmp, src))
				dsp_log(DSP_LOG_WARN, "%s: test change failed", src);
		} else if (i == 2) {
			if (stat(src, &st) || truncate(src, st.st_size / 2))
				dsp_log(DSP_LOG_WARN, "%s: test change failed", src);
		} else if ((fd = open(src, O_WRONLY | O_CLOEXEC | (i == 3 ? O_APPEND : 0))) >= 0) {
			struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, 0 } };

			if (i == 3) {
				if (write(fd, "+", 1) != 1)
					dsp_log(DSP_LOG_WARN, "%s: test change failed", src);
			} else if (!fstat(fd, &st) && pwrite(fd, "~", 1, 0) == 1) {
				/* same size; a later mtime whatever the clock's grain */
				ts[1].tv_sec = st.st_mtim.tv_sec + 1;
				ts[1].tv_nsec = st.st_mtim.tv_nsec;
				futimens(fd, ts);
			}
			close(fd);
		}
	}
}
#else
#define test_change(src, phase) ((void)0)
#endif

/*
 * A file that changed while it was read (GNU tar's "file changed as we
 * read it"): it stays in the archive as read, so the archive is whole, but
 * it is named in the log and the run record and marked in the item list,
 * so the interlock never counts it as retained; create then returns
 * DSP_PARTIAL.
 */
static int note_changed(struct wctx *w, struct arc_item *it, const char *src,
			const char *how, uint64_t size, int64_t now)
{
	struct json_object *f;
	int rc = 0;

	dsp_log(DSP_LOG_ERROR, "%s: file changed as we read it", src);
	it->changed = 1;
	w->nchanged++;
	w->res->changed++;
	if (!w->o->ledger)
		return 0;
	if (!(f = json_object_new_object()))
		return -ENOMEM;
	dsp_json_add_bytes(f, "archive", w->name_abs);
	dsp_json_add_bytes(f, "path", src);
	json_object_object_add(f, "change", json_object_new_string(how));
	json_object_object_add(f, "size_archived", json_object_new_int64((int64_t)size));
	if (now >= 0)
		json_object_object_add(f, "size_now", json_object_new_int64(now));
	rc = dsp_ledger_append(w->o->ledger, "archive_file_changed", f, 1);
	json_object_put(f);
	return rc;
}

/* How the file behind fd differs from the stat the walk archived it by, or NULL. */
static const char *how_changed(struct archive_entry *e, const struct stat *now, uint64_t size)
{
	if ((uint64_t)now->st_size > size)
		return "grew";
	if ((uint64_t)now->st_size < size)
		return "shrank";
	if (now->st_mtim.tv_sec != archive_entry_mtime(e) ||
	    now->st_mtim.tv_nsec != archive_entry_mtime_nsec(e) ||
	    (archive_entry_ctime_is_set(e) &&
	     (now->st_ctim.tv_sec != archive_entry_ctime(e) ||
	      now->st_ctim.tv_nsec != archive_entry_ctime_nsec(e))))
		return "modified";
	return NULL;
}

/*
 * Copy a regular file's data region by region (the sparse map libarchive
 * found, or the whole file), writing zeros for holes: the pax writer drops
 * them again through the entry's sparse map, and the hashes cover the file
 * as a reader sees it. The file is read straight into the hash threads'
 * buffers and handed to libarchive from there: one copy less than reading
 * through libarchive and copying to the hashers.
 *
 * The header already promised size bytes: a file that is gone, replaced or
 * shorter by now gets zeros for what is missing (as GNU tar pads), and any
 * change between the walk's stat and a last fstat after reading is noted.
 */
static int copy_data(struct wctx *w, struct archive_entry *e, const char *src,
		     uint64_t size, struct arc_item *it)
{
	struct stat st;
	uint64_t pos = 0;
	const char *how = NULL;
	int64_t now = -1;
	int nreg, fd, rc = 0;

	test_change(src, 0);
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		how = "removed";
	} else if (fd < 0) {
		rc = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: %s", src, strerror(errno));
		return rc;
	} else if (fstat(fd, &st)) {
		rc = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: %s", src, strerror(errno));
		close(fd);
		return rc;
	} else if (!S_ISREG(st.st_mode) || st.st_dev != archive_entry_dev(e) ||
		   (la_int64_t)st.st_ino != archive_entry_ino64(e)) {
		how = "replaced";
		now = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		goto tail;
	test_change(src, 1);
	nreg = archive_entry_sparse_reset(e);
	if (nreg > 0 && size >= SIDE_MIN && (rc = side_hash(w, e, fd, nreg, size, it)))
		goto out;
	nreg = archive_entry_sparse_reset(e);
	for (int k = 0; rc == 0 && !how; k++) {
		la_int64_t off = 0, len = (la_int64_t)size;

		if (nreg == 0 ? k > 0 : k >= nreg)
			break;
		if (nreg > 0 && archive_entry_sparse_next(e, &off, &len) != ARCHIVE_OK) {
			rc = -EIO;
			break;
		}
		if (off < 0 || len < 0 || (uint64_t)off < pos ||
		    (uint64_t)off + (uint64_t)len > size) {
			dsp_log(DSP_LOG_ERROR, "%s: file changed as we read it", src);
			rc = -ESTALE;
			break;
		}
		if ((rc = feed_zeros(w, (uint64_t)off - pos)))
			goto werr;
		pos = (uint64_t)off;
		while (len > 0) {
			size_t room;
			char *p = arc_hasher_space(w->hs, &room);
			ssize_t r;

			if ((uint64_t)room > (uint64_t)len)
				room = (size_t)len;
			r = pread(fd, p, room, (off_t)pos);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = -errno;
				dsp_log(DSP_LOG_ERROR, "%s: %s", src, strerror(errno));
				goto out;
			}
			if (r == 0) {	/* shorter than the header says: zeros below */
				how = "shrank";
				break;
			}
			arc_hasher_commit(w->hs, (size_t)r);
			la_ssize_t wr = archive_write_data(w->a, p, (size_t)r);

			if (wr < 0 || (size_t)wr != (size_t)r) {
				rc = -EIO;
				goto werr;
			}
			pos += (uint64_t)r;
			len -= r;
			w->pg.p.done += (uint64_t)r;
			arc_progress_report(&w->pg, 0);
			if ((rc = flush(w)))
				goto out;
		}
	}
	if (rc)
		goto out;
tail:
	if ((rc = feed_zeros(w, size - pos)))	/* trailing hole, or what is missing */
		goto werr;
	if (fd >= 0) {
		test_change(src, 2);
		/* the last look: anything since the walk's stat is a change */
		if (fstat(fd, &st)) {
			rc = -errno;
			dsp_log(DSP_LOG_ERROR, "%s: %s", src, strerror(errno));
			goto out;
		}
		now = (int64_t)st.st_size;
		if (!how)
			how = how_changed(e, &st, size);
	}
	if (how && (rc = note_changed(w, it, src, how, size, now)))
		goto out;
	it->size = size;
	arc_items_hashed(w->its, it);
	arc_hasher_end_item(w->hs, it->sha512, it->xxh);
	w->pg.p.files++;
	w->pg.p.bytes += size;
	arc_progress_report(&w->pg, 0);
	rc = flush(w);
	goto out;
werr:
	if (rc != -EINTR)
		dsp_log(DSP_LOG_ERROR, "%s: %s", src, archive_error_string(w->a));
	rc = w->out_err ? w->out_err : rc;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* --- the walk --------------------------------------------------------------- */

static int add_entry(struct wctx *w, struct archive *disk,
		     struct archive_entry *e, const char *src)
{
	char name[PATH_MAX + 512];
	struct archive_entry *spare = NULL;
	mode_t type = archive_entry_filetype(e);
	struct arc_item *it = NULL;
	const char *hl;
	int r;

	if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK &&
	    type != AE_IFIFO) {
		dsp_log(DSP_LOG_WARN, "%s: special file not archived", src);
		return 0;
	}
	if (snprintf(name, sizeof(name), "%s/data%s", w->bag, src) >= (int)sizeof(name))
		return -ENAMETOOLONG;
	if (type == AE_IFDIR && strcmp(src, "/"))
		strcat(name, "/");
	archive_entry_set_pathname(e, name);
	archive_entry_linkify(w->lr, &e, &spare);
	/* the tar strategy never defers, so spare stays NULL */
	hl = archive_entry_hardlink(e);
	if (type == AE_IFREG) {
		struct link_key k = { .dev = archive_entry_dev(e), .ino = archive_entry_ino64(e) };
		struct link_key **f = NULL, *nk;
		size_t bl = strlen(w->bag) + 1;

		if (hl) {
			/* same content as the first link: its digests, by dev/ino */
			f = tfind(&k, &w->links, link_cmp);
			if (!f || strncmp(hl, w->bag, bl - 1) || hl[bl - 1] != '/')
				return -EIO;
		} else if (archive_entry_nlink(e) > 1) {
			if (!(nk = malloc(sizeof(*nk))))
				return -ENOMEM;
			*nk = k;
			f = tsearch(nk, &w->links, link_cmp);
			if (!f || *f != nk) {
				free(nk);
				if (!f)
					return -ENOMEM;
			}
		}
		it = arc_items_add(w->its, name + bl, hl ? hl + bl : NULL,
				   f ? &(*f)->dig : NULL);
		if (!it)
			return -ENOMEM;
		w->nitems++;
	}
	r = archive_write_header(w->a, e);
	if (r == ARCHIVE_WARN) {
		dsp_log(DSP_LOG_WARN, "%s: %s", src, archive_error_string(w->a));
	} else if (r != ARCHIVE_OK) {
		dsp_log(DSP_LOG_ERROR, "%s: %s", src, archive_error_string(w->a));
		return w->out_err ? w->out_err : -EIO;
	}
	if (type != AE_IFREG)
		return 0;
	if (hl) {
		w->pg.p.files++;	/* a payload file too (Payload-Oxum counts it) */
		return flush(w);
	}
	return copy_data(w, e, src, (uint64_t)archive_entry_size(e), it);
}

static int walk_root(struct wctx *w, const char *root)
{
	struct archive *disk = archive_read_disk_new();
	struct archive_entry *e = archive_entry_new();
	int r, rc = 0;

	if (!disk || !e) {
		rc = -ENOMEM;
		goto out;
	}
	archive_read_disk_set_symlink_physical(disk);
	archive_read_disk_set_standard_lookup(disk);
	archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	if (archive_read_disk_open(disk, root) != ARCHIVE_OK) {
		dsp_log(DSP_LOG_ERROR, "%s: %s", root, archive_error_string(disk));
		rc = -ENOENT;
		goto out;
	}
	for (;;) {
		char src[PATH_MAX];

		if (w->o->stop && *w->o->stop) {
			rc = -EINTR;
			goto out;
		}
		archive_entry_clear(e);
		r = archive_read_next_header2(disk, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_WARN) {
			dsp_log(DSP_LOG_WARN, "%s: %s", archive_entry_pathname(e),
				archive_error_string(disk));
		} else if (r != ARCHIVE_OK) {
			/* a record that must be kept and cannot be read: fail */
			dsp_log(DSP_LOG_ERROR, "%s: %s", root,
				archive_error_string(disk));
			rc = -EIO;
			goto out;
		}
		snprintf(src, sizeof(src), "%s", archive_entry_pathname(e));
		if (excluded(w->o, src))
			continue;
		/* never the archive being written (an output inside a root) */
		if (archive_entry_filetype(e) == AE_IFREG &&
		    ((w->out_ino && archive_entry_dev(e) == w->out_dev &&
		      (archive_entry_ino64(e) == (la_int64_t)w->out_ino ||
		       archive_entry_ino64(e) == (la_int64_t)w->env_ino)) ||
		     dsp_env_writer_owns(w->env, (uint64_t)archive_entry_dev(e),
					 (uint64_t)archive_entry_ino64(e)))) {
			dsp_log(DSP_LOG_INFO, "%s: the archive itself, skipped", src);
			continue;
		}
		/* nor the run directory: its record and item list are being written */
		if (archive_entry_filetype(e) == AE_IFDIR && w->run_ino &&
		    archive_entry_dev(e) == w->run_dev &&
		    archive_entry_ino64(e) == (la_int64_t)w->run_ino) {
			dsp_log(DSP_LOG_INFO, "%s: the run directory, skipped", src);
			continue;
		}
		if (archive_entry_filetype(e) == AE_IFDIR)
			archive_read_disk_descend(disk);
		if ((rc = add_entry(w, disk, e, src)) != 0)
			goto out;
	}
out:
	if (disk) {
		archive_read_close(disk);
		archive_read_free(disk);
	}
	archive_entry_free(e);
	return rc;
}

/* --- tag files -------------------------------------------------------------- */

static int write_mem_entry(struct wctx *w, const char *rel, const void *buf,
			   size_t len, uint8_t sha512[64])
{
	struct archive_entry *e = archive_entry_new();
	char name[512];
	int rc = 0;

	if (!e)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s/%s", w->bag, rel);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, w->now, 0);
	archive_entry_set_uid(e, getuid());
	archive_entry_set_gid(e, getgid());
	if (archive_write_header(w->a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(w->a, buf, len) != (la_ssize_t)len))
		rc = w->out_err ? w->out_err : -EIO;
	archive_entry_free(e);
	if (sha512)
		EVP_Digest(buf, len, sha512, NULL, EVP_sha512(), NULL);
	return rc;
}

static int write_dir_entry(struct wctx *w, const char *rel)
{
	struct archive_entry *e = archive_entry_new();
	char name[512];
	int rc = 0;

	if (!e)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s/%s", w->bag, rel);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_mtime(e, w->now, 0);
	archive_entry_set_uid(e, getuid());
	archive_entry_set_gid(e, getgid());
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		rc = w->out_err ? w->out_err : -EIO;
	archive_entry_free(e);
	return rc;
}

static int put_data(void *arg, const void *buf, size_t n)
{
	struct wctx *w = arg;

	return archive_write_data(w->a, buf, n) == (la_ssize_t)n ? 0 :
		(w->out_err ? w->out_err : -EIO);
}

/* The manifest was built line by line in a temporary file: copy it in. */
static int write_manifest(struct wctx *w, uint8_t sha512[64])
{
	struct archive_entry *e = archive_entry_new();
	char name[512];
	uint64_t len;
	int rc;

	if (!e)
		return -ENOMEM;
	if ((rc = arc_items_manifest(w->its, &len, sha512, NULL, NULL)))
		goto out;
	snprintf(name, sizeof(name), "%s/manifest-sha512.txt", w->bag);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, w->now, 0);
	archive_entry_set_uid(e, getuid());
	archive_entry_set_gid(e, getgid());
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		rc = w->out_err ? w->out_err : -EIO;
		goto out;
	}
	rc = arc_items_manifest(w->its, &len, NULL, put_data, w);
out:
	archive_entry_free(e);
	return rc;
}

static void today(time_t t, char buf[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 16, "%Y-%m-%d", &tm);
}

static void new_uuid(char out[64])
{
	uint8_t u[16];
	char h[33];

	if (RAND_bytes(u, sizeof(u)) != 1)
		memset(u, 0, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	dsp_hex(u, 16, h);
	snprintf(out, 64, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
		 h + 12, h + 16, h + 20);
}

static int build_bag_info(struct wctx *w, uint64_t bytes)
{
	char date[16], host[256] = "";
	const struct dsp_archive_opts *o = w->o;
	FILE *f = fmemopen(w->bag_info, sizeof(w->bag_info), "w");

	if (!f)
		return -errno;
	today(w->now, date);
	gethostname(host, sizeof(host) - 1);
	if (o->organization)
		fprintf(f, "Source-Organization: %s\n", o->organization);
	fprintf(f, "Bagging-Date: %s\n", date);
	fprintf(f, "Payload-Oxum: %llu.%llu\n", (unsigned long long)bytes,
		(unsigned long long)arc_items_files(w->its));
	fprintf(f, "External-Identifier: %s\n", w->res->external_id);
	if (o->retain_until)
		fprintf(f, "Retain-Until: %s\n", o->retain_until);
	if (o->series)
		fprintf(f, "Records-Series: %s\n", o->series);
	if (o->authority)
		fprintf(f, "Disposal-Authority: %s\n", o->authority);
	fprintf(f, "Legal-Hold: %s\n", o->legal_hold ? "true" : "false");
	fprintf(f, "Source-Host: %s\n", host);
	fprintf(f, "Bag-Software-Agent: %s %s\n", DSP_TOOL_NAME, DSP_VERSION);
	fflush(f);
	if (ferror(f) || ftell(f) >= (long)sizeof(w->bag_info) - 1) {
		fclose(f);
		return -E2BIG;
	}
	w->bag_info_len = (size_t)ftell(f);
	fclose(f);
	return 0;
}

static int write_tags(struct wctx *w)
{
	static const char bagit[] =
		"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";
	uint8_t hb[64], hi[64], hm[64];
	char tm[1024], x1[129], x2[129], x3[129];
	uint64_t bytes = 0;
	int rc;

	arc_hasher_drain(w->hs);
	arc_side_drain(w->side);
	if ((rc = flush(w)))
		return rc;
	if (arc_items_files(w->its) != w->nitems)
		return -EIO;	/* an item held back: cannot happen after the drains */
	/* every item is out: a read-back waiting for more has found a difference */
	arc_items_close_queue(w->its);
	bytes = arc_items_bytes(w->its);
	w->res->files = arc_items_files(w->its);
	w->res->payload_bytes = bytes;
	if ((rc = build_bag_info(w, bytes)))
		return rc;
	if ((rc = write_mem_entry(w, "bagit.txt", bagit, sizeof(bagit) - 1, hb)) ||
	    (rc = write_mem_entry(w, "bag-info.txt", w->bag_info, w->bag_info_len, hi)) ||
	    (rc = write_manifest(w, hm)))
		return rc;
	dsp_hex(hb, 64, x1);
	dsp_hex(hi, 64, x2);
	memcpy(w->manifest_sha512, hm, 64);
	dsp_hex(hm, 64, x3);
	snprintf(tm, sizeof(tm), "%s  bagit.txt\n%s  bag-info.txt\n%s  manifest-sha512.txt\n",
		 x1, x2, x3);
	return write_mem_entry(w, "tagmanifest-sha512.txt", tm, strlen(tm), NULL);
}

/* Streams beyond the volume limit continue in NAME.002 + NAME.002.cms ... */
static int on_volume(void *arg, unsigned index, const char *ct_path,
		     const char *env_path, uint64_t bytes, const char *ct_sha256,
		     const char *env_sha256)
{
	struct wctx *w = arg;
	struct json_object *v = json_object_new_object();

	if (!v)
		return -ENOMEM;
	json_object_object_add(v, "index", json_object_new_int((int)index));
	json_object_object_add(v, "ciphertext", json_object_new_string(ct_path));
	json_object_object_add(v, "sha256", json_object_new_string(ct_sha256));
	json_object_object_add(v, "envelope", json_object_new_string(env_path));
	json_object_object_add(v, "envelope_sha256", json_object_new_string(env_sha256));
	json_object_object_add(v, "bytes", json_object_new_int64((int64_t)bytes));
	json_object_array_add(w->volumes, v);
	return 0;
}

/* --- ledger ------------------------------------------------------------------- */

/* The identities of the first n certificates the envelope writer encrypts to. */
static int recipient_ids(struct wctx *w, size_t n)
{
	struct json_object *arr = json_object_new_array(), *o;
	const struct dsp_env_cert_id *id;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(id = dsp_env_writer_recipient(w->env, i)) || !(o = json_object_new_object()) ||
		    json_object_array_add(arr, o)) {
			json_object_put(arr);
			return -ENOMEM;
		}
		/* one-line names are ASCII (non-ASCII is escaped, as openssl prints it) */
		dsp_json_add_bytes(o, "subject", id->subject);
		dsp_json_add_bytes(o, "issuer", id->issuer);
		json_object_object_add(o, "serial", json_object_new_string(id->serial));
		json_object_object_add(o, "sha256", json_object_new_string(id->sha256));
	}
	w->recipient_ids = arr;
	return 0;
}

static int json_add_str(struct json_object *o, const char *k, const char *v)
{
	/* unknown is null, never "" (dispose-record(5)) */
	return json_object_object_add(o, k, v && *v ? json_object_new_string(v) : NULL);
}

static int bag_info_to_json(void *arg, const char *label, const char *value)
{
	return dsp_json_add_bytes(arg, label, value);
}

/*
 * The item list went to its own file in the run directory, one JSON object
 * a line (items.c); archive_created binds it by name and SHA-256: a list of
 * a million files is neither one enormous record line nor in memory.
 */
static int ledger_created(struct wctx *w, const char *name, const char *env_path,
			  int readback_key)
{
	struct json_object *f = json_object_new_object(), *bi, *rc_arr;
	char abs[PATH_MAX], items_name[96], items_sha[65];
	int rc;

	if (!f)
		return -ENOMEM;
	if ((rc = arc_items_keep_list(w->its, items_name, items_sha))) {
		json_object_put(f);
		return rc;
	}
	if (!realpath(name, abs))
		snprintf(abs, sizeof(abs), "%s", name);
	dsp_json_add_bytes(f, "archive", abs);
	json_add_str(f, "sha256", w->res->sha256);
	json_object_object_add(f, "bytes", json_object_new_int64((int64_t)w->res->archive_bytes));
	json_object_object_add(f, "encrypted", json_object_new_boolean(w->res->encrypted));
	if (w->res->encrypted) {
		if (!realpath(env_path, abs))
			snprintf(abs, sizeof(abs), "%s", env_path);
		dsp_json_add_bytes(f, "envelope", abs);
		json_add_str(f, "envelope_sha256", w->res->env_sha256);
		rc_arr = json_object_new_array();
		for (const char *const *r = w->o->recipients; r && *r; r++)
			json_object_array_add(rc_arr, dsp_json_bytes_value(*r));
		json_object_object_add(f, "recipients", rc_arr);
		/* who can open it, by certificate identity: the paths may change or go */
		json_object_object_add(f, "recipient_certificates",
				       json_object_get(w->recipient_ids));
		json_object_object_add(f, "readback_recipient",
				       json_object_new_boolean(readback_key));
		/* volume 1's envelope was rewritten without the readback recipient */
		if (w->volumes && json_object_array_length(w->volumes) > 1) {
			json_object_object_add(json_object_array_get_idx(w->volumes, 0),
					       "envelope_sha256",
					       json_object_new_string(w->res->env_sha256));
			json_object_object_add(f, "volumes", json_object_get(w->volumes));
		}
	}
	json_add_str(f, "bag", w->bag);
	json_add_str(f, "format", "bagit-1.0/pax/zstd");
	bi = json_object_new_object();
	dsp_bag_info_parse(w->bag_info, w->bag_info_len, NULL, bag_info_to_json, bi);
	json_object_object_add(f, "bag_info", bi);
	json_object_object_add(f, "files", json_object_new_int64((int64_t)w->res->files));
	json_object_object_add(f, "payload_bytes",
			       json_object_new_int64((int64_t)w->res->payload_bytes));
	json_object_object_add(f, "verified", json_object_new_boolean(1));
	/* read back whole; these files are marked "changed" in the list and cover nothing */
	json_object_object_add(f, "changed_files", json_object_new_int64((int64_t)w->nchanged));
	json_add_str(f, "items_file", items_name);
	json_add_str(f, "items_sha256", items_sha);
	rc = dsp_ledger_append(w->o->ledger, "archive_created", f, 1);
	json_object_put(f);
	return rc;
}

/* --- create ------------------------------------------------------------------ */

static int check_text(const char *what, const char *v, struct dsp_archive_result *res)
{
	if (v && (strpbrk(v, "\r\n") || strlen(v) > 200)) {
		snprintf(res->bad_path, sizeof(res->bad_path),
			 "%s: must be one line of at most 200 bytes", what);
		return DSP_INVALID;
	}
	return 0;
}

static int check_opts(const struct dsp_archive_opts *o, struct dsp_archive_result *res)
{
	int rc;

	if (!o->roots || !o->roots[0]) {
		snprintf(res->bad_path, sizeof(res->bad_path), "no --root given");
		return DSP_INVALID;
	}
	if (o->retain_until && !dsp_bag_date_valid(o->retain_until)) {
		snprintf(res->bad_path, sizeof(res->bad_path),
			 "%s: not a date (YYYY-MM-DD)", o->retain_until);
		return DSP_INVALID;
	}
	if ((rc = check_text("--series", o->series, res)) ||
	    (rc = check_text("--authority", o->authority, res)) ||
	    (rc = check_text("--organization", o->organization, res)))
		return rc;
	if ((o->key == NULL) != (o->cert == NULL)) {
		snprintf(res->bad_path, sizeof(res->bad_path),
			 "--key and --cert go together");
		return DSP_INVALID;
	}
	return 0;
}

/*
 * An encrypted archive's volumes are NAME.00k (+ .cms): one already there
 * (another archive's) would stop the create after the first volume was
 * written. 0, or -EEXIST with bad_path naming it.
 */
static int volume_exists(const char *name, struct dsp_archive_result *res)
{
	const char *slash = strrchr(name, '/'), *base = slash ? slash + 1 : name;
	char dir[PATH_MAX];
	size_t bl = strlen(base);
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((size_t)snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - name + 1) : 1,
			     slash ? name : ".") >= sizeof(dir) || !(d = opendir(dir)))
		return 0;	/* the open of NAME will say what is wrong */
	while (!rc && (de = readdir(d))) {
		const char *p = de->d_name + bl, *q;

		if (strncmp(de->d_name, base, bl) || *p != '.')
			continue;
		for (q = ++p; *q >= '0' && *q <= '9'; q++)
			;
		if (q - p < 3 || (*q && strcmp(q, DSP_ENV_SUFFIX)))
			continue;
		snprintf(res->bad_path, sizeof(res->bad_path), "%.2000s%s: exists (a volume of "
			 "another archive); choose another -o", slash ? dir : "", de->d_name);
		rc = -EEXIST;
	}
	closedir(d);
	return rc;
}

int dsp_archive_create_check(const char *name, const struct dsp_archive_opts *o,
			     const char *run_dir, struct dsp_archive_result *res)
{
	char root[PATH_MAX], run[PATH_MAX], path[PATH_MAX];
	size_t n = 0, l = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = check_opts(o, res)))
		return rc;
	/* the run directory exists only when given and made before */
	if (run_dir && realpath(run_dir, run))
		l = strlen(run);
	for (const char *const *r = o->roots; *r; r++) {
		if (++n > 64) {
			snprintf(res->bad_path, sizeof(res->bad_path), "too many roots");
			return DSP_INVALID;
		}
		if (!realpath(*r, root)) {
			rc = -errno;
			snprintf(res->bad_path, sizeof(res->bad_path), "%s: %s", *r, strerror(errno));
			return rc;
		}
		if (l && !strncmp(root, run, l) && (root[l] == '/' || !root[l] || !strcmp(run, "/"))) {
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "--root %.2000s: inside the run directory %.2000s", root, run);
			return DSP_INVALID;
		}
	}
	/* a recipient that is no certificate is a usage error: found before any record */
	for (const char *const *r = o->recipients; r && *r; r++) {
		/* O_NONBLOCK: a FIFO given as a recipient must not hang us */
		int rfd = open(*r, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		struct stat rst;
		FILE *f = NULL;
		X509 *x = NULL;

		if (rfd < 0) {
			rc = -errno;
			snprintf(res->bad_path, sizeof(res->bad_path), "%s: %s", *r, strerror(errno));
			return rc;
		}
		if (fstat(rfd, &rst) < 0 || !S_ISREG(rst.st_mode) || !(f = fdopen(rfd, "rb"))) {
			close(rfd);
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "--recipient %.2000s: not a regular file", *r);
			return DSP_INVALID;
		}
		if (!(x = PEM_read_X509(f, NULL, NULL, NULL))) {
			rewind(f);
			x = d2i_X509_fp(f, NULL);
		}
		fclose(f);
		ERR_clear_error();
		if (!x) {
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "--recipient %.2000s: not an X.509 certificate (PEM or DER)", *r);
			return DSP_INVALID;
		}
		X509_free(x);
	}
	for (int k = 0; k < 3; k++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", name, k == 0 ? "" : k == 1 ?
				     DSP_ENV_SUFFIX : DSP_BAG_INFO_SUFFIX) >= sizeof(path))
			return -ENAMETOOLONG;
		if (!access(path, F_OK))
			return -EEXIST;
	}
	if (o->recipients && o->recipients[0] && o->key && o->cert &&
	    (rc = dsp_env_readback_check(o->key, o->cert, o->recipients, res->bad_path,
					 sizeof(res->bad_path))))
		return rc;
	if (o->recipients && o->recipients[0])
		return volume_exists(name, res);
	return 0;
}

static void wctx_free(struct wctx *w)
{
	arc_hasher_stop(w->hs);	/* first: they may still write into items */
	arc_side_stop(w->side);
	arc_items_free(w->its);
	tdestroy(w->links, free);
	json_object_put(w->volumes);
	json_object_put(w->recipient_ids);
	EVP_MD_CTX_free(w->out_sha);
}

static void rename_failed(const char *path)
{
	char f[PATH_MAX + 16];

	snprintf(f, sizeof(f), "%s%s", path, DSP_FAILED_SUFFIX);
	if (rename(path, f))
		dsp_log(DSP_LOG_WARN, "%s: cannot rename to %s: %s", path, f,
			strerror(errno));
}

/* Bytes to the read-back, counted for the writer's pacing (items.c). */
static int rb_sink(void *arg, const void *buf, size_t len)
{
	struct wctx *w = arg;
	int rc = arc_feed_sink(w->feed, buf, len);

	arc_items_consumed(w->its, len, rc != 0 || arc_feed_failed(w->feed));
	return rc;
}

/*
 * Plain archives: follow the file through a descriptor opened before the
 * walk, as the writer publishes how far it wrote; hash what was read.
 */
static int plain_tail(struct wctx *w)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *buf = malloc(ARC_BLOCK * 4);
	uint64_t pos = 0;
	uint8_t d[32];
	struct stat st;
	int rc = 0;

	if (!md || !buf || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		uint64_t avail;
		int end;
		ssize_t r;

		pthread_mutex_lock(&w->pmu);
		while (w->pub == pos && !w->pend)
			pthread_cond_wait(&w->pcv, &w->pmu);
		avail = w->pub;
		end = w->pend;
		pthread_mutex_unlock(&w->pmu);
		if (end < 0) {
			rc = -ECANCELED;
			goto out;
		}
		if (pos == avail && end)
			break;
		r = pread(w->rd_fd, buf, avail - pos > ARC_BLOCK * 4 ? ARC_BLOCK * 4 :
			  (size_t)(avail - pos), (off_t)pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : DSP_MISMATCH;
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)r);
		if ((rc = rb_sink(w, buf, (size_t)r)))
			goto out;
		pos += (uint64_t)r;
	}
	if (fstat(w->rd_fd, &st) || (uint64_t)st.st_size != pos) {
		rc = DSP_MISMATCH;
		goto out;
	}
	EVP_DigestFinal_ex(md, d, NULL);
	dsp_hex(d, 32, w->tail_sha);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

static void *tail_main(void *arg)
{
	struct wctx *w = arg;

	/* tail_env, not env: the main thread clears env while this runs */
	if (w->tail_env)
		w->tail_rc = dsp_env_writer_tail(w->tail_env, w->rb_key, w->rb_cert,
						 rb_sink, w);
	else
		w->tail_rc = plain_tail(w);
	arc_items_consumed(w->its, 0, 1);
	return NULL;
}

/* The plain file is complete (end 1) or will not be (end -1). */
static void plain_end(struct wctx *w, int end)
{
	pthread_mutex_lock(&w->pmu);
	if (!w->pend)
		w->pend = end;
	pthread_cond_broadcast(&w->pcv);
	pthread_mutex_unlock(&w->pmu);
}

/*
 * Encrypted archives are read back while they are written: a thread reads
 * and decrypts each volume behind the writer (dsp_env_writer_tail) and
 * feeds a second one that decompresses and re-hashes every entry. On two
 * cores the read-back then costs CPU time, not wall time after the write.
 */
static int tail_start(struct wctx *w, struct arc_verify *v)
{
	sigset_t all, old;
	int rc;

	if ((rc = arc_feed_start(v, w->res, &w->feed)))
		return rc;
	w->tail_env = w->env;
	if (w->env)
		dsp_env_writer_tail_expect(w->env, 1);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -dsp_thread_create(&w->tail_th, tail_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		if (w->env)
			dsp_env_writer_tail_expect(w->env, 0);
		arc_feed_end(w->feed, rc);
		w->feed = NULL;
		return rc;
	}
	w->tail_up = 1;
	return 0;
}

/*
 * After the output was closed or abandoned (envelope writer closed or
 * aborted, plain file ended): the read-back's verdict.
 */
static int tail_finish(struct wctx *w)
{
	int rc;

	if (w->its)
		arc_items_close_queue(w->its);	/* a failed writer sends no more */
	plain_end(w, -1);	/* no-op once the file was complete */
	if (w->tail_up)
		pthread_join(w->tail_th, NULL);
	w->tail_up = 0;
	if (!w->feed)
		return 0;
	rc = arc_feed_end(w->feed, w->tail_rc);
	w->feed = NULL;
	return rc;
}

static int create(const char *name, const struct dsp_archive_opts *o,
		  struct dsp_archive_result *res)
{
	struct wctx w = { .o = o, .res = res, .fd = -1, .rd_fd = -1,
			  .pmu = PTHREAD_MUTEX_INITIALIZER, .pcv = PTHREAD_COND_INITIALIZER };
	char env_path[PATH_MAX], info_path[PATH_MAX], roots[64][PATH_MAX];
	char rb_key_abs[PATH_MAX], rb_cert_abs[PATH_MAX];
	const char **recips = NULL;
	struct arc_rb_key rb = { -1, -1, "", "" };
	struct arc_verify v = { 0 };
	struct timespec t0, t1, t2;
	int encrypted = o->recipients && o->recipients[0], rc, use_rb = 0;
	size_t nroots = 0, nrec = 0;

	memset(res, 0, sizeof(*res));
	if ((rc = check_opts(o, res)))
		return rc;
	for (const char *const *r = o->roots; *r; r++) {
		if (nroots == DSP_ARRAY_SIZE(roots)) {
			snprintf(res->bad_path, sizeof(res->bad_path), "too many roots");
			return DSP_INVALID;
		}
		if (!realpath(*r, roots[nroots])) {
			rc = -errno;
			snprintf(res->bad_path, sizeof(res->bad_path), "%s: %s",
				 *r, strerror(errno));
			return rc;
		}
		nroots++;
	}
	/* a root inside another (or given twice) would store entries twice */
	for (size_t i = 0; i < nroots; i++) {
		int inside = 0;

		for (size_t j = 0; j < nroots && !inside; j++) {
			size_t l = strlen(roots[j]);

			if (i == j || (!strcmp(roots[i], roots[j]) && j > i))
				continue;
			inside = !strcmp(roots[j], "/") ||
				 (!strncmp(roots[i], roots[j], l) &&
				  (roots[i][l] == '/' || roots[i][l] == '\0'));
		}
		if (inside) {
			memmove(roots[i], roots[nroots - 1], sizeof(roots[i]));
			nroots--;
			i--;
		}
	}
	/*
	 * The run directory is never archived (its record and item list are
	 * written meanwhile): left out of the walk, and no root may lie in it.
	 */
	if (o->ledger) {
		char run[PATH_MAX];
		struct stat st;
		size_t l;

		if (!realpath(dsp_ledger_dir(o->ledger), run) || stat(run, &st)) {
			rc = -errno;
			snprintf(res->bad_path, sizeof(res->bad_path), "%.2000s: %s",
				 dsp_ledger_dir(o->ledger), strerror(errno));
			return rc;
		}
		w.run_dev = st.st_dev;
		w.run_ino = st.st_ino;
		l = strlen(run);
		for (size_t i = 0; i < nroots; i++) {
			if (!strncmp(roots[i], run, l) && (roots[i][l] == '/' || !roots[i][l] ||
							   !strcmp(run, "/"))) {
				snprintf(res->bad_path, sizeof(res->bad_path),
					 "--root %.2000s: inside the run directory %.2000s",
					 roots[i], run);
				return DSP_INVALID;
			}
		}
	}
	if (snprintf(env_path, sizeof(env_path), "%s%s", name, DSP_ENV_SUFFIX) >= (int)sizeof(env_path) ||
	    snprintf(info_path, sizeof(info_path), "%s%s", name, DSP_BAG_INFO_SUFFIX) >= (int)sizeof(info_path))
		return -ENAMETOOLONG;
	if (!access(name, F_OK) || !access(env_path, F_OK) || !access(info_path, F_OK))
		return -EEXIST;
	if (encrypted && (rc = volume_exists(name, res)))
		return rc;
	arc_bag_name(name, w.bag, sizeof(w.bag));
	snprintf(res->bag, sizeof(res->bag), "%s", w.bag);
	new_uuid(res->external_id);
	res->encrypted = encrypted;
	w.now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
#ifdef DSP_TEST_HOOKS
	if (getenv("DISPOSE_TEST_ARCHIVE_FLIP"))
		w.fault_at = strtoull(getenv("DISPOSE_TEST_ARCHIVE_FLIP"), NULL, 0) + 1;
#endif
	w.lr = archive_entry_linkresolver_new();
	w.a = archive_write_new();
	if (!w.lr || !w.a) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = arc_hasher_start(&w.hs, ARC_HASH_SHA512 | ARC_HASH_XXH3)))
		goto out;
	{
		const char *id = strrchr(res->external_id, ':');

		rc = arc_items_open(&w.its, name, o->ledger ? dsp_ledger_dir(o->ledger) : NULL,
				    id ? id + 1 : res->external_id, res);
		if (rc) {
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "%s: cannot make temporary files beside it", name);
			goto out;
		}
	}
	/* the read-back compares entry by entry, in the order written */
	v.entry_fn = arc_items_entry;
	v.arg = w.its;

	if (encrypted) {
		for (const char *const *r = o->recipients; *r; r++)
			nrec++;
		recips = calloc(nrec + 2, sizeof(*recips));
		if (!recips) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(recips, o->recipients, nrec * sizeof(*recips));
		if (!o->key) {
			if ((rc = arc_rb_key_make(&rb))) {
				snprintf(res->bad_path, sizeof(res->bad_path),
					 "cannot make the readback key");
				goto out;
			}
			recips[nrec] = rb.cert_path;
			use_rb = 1;
		}
		rc = dsp_env_writer_open(recips, name, env_path, &w.env);
		if (rc == 0 && (rc = recipient_ids(&w, nrec))) {
			dsp_env_writer_abort(w.env);
			w.env = NULL;
		}
		if (rc == 0) {
			w.volumes = json_object_new_array();
			dsp_env_writer_set_volume_cb(w.env, on_volume, &w);
			/* absolute: the walk below changes directories */
			if (!use_rb && (!realpath(o->key, rb_key_abs) ||
					!realpath(o->cert, rb_cert_abs))) {
				rc = -errno;
				snprintf(res->bad_path, sizeof(res->bad_path),
					 "%s: %s", o->key, strerror(errno));
				dsp_env_writer_abort(w.env);
				w.env = NULL;
				goto out;
			}
			w.rb_key = use_rb ? rb.key_path : rb_key_abs;
			w.rb_cert = use_rb ? rb.cert_path : rb_cert_abs;
			if ((rc = tail_start(&w, &v))) {
				dsp_env_writer_abort(w.env);
				w.env = NULL;
				goto out;
			}
		}
		if (rc) {
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "%s: cannot start encryption: %s", name,
				 rc < 0 ? strerror(-rc) : "invalid recipient");
			if (rc > 0)
				rc = DSP_INVALID;
			w.env = NULL;
			goto out;
		}
	} else {
		w.fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w.fd < 0) {
			rc = -errno;
			goto out;
		}
		w.out_sha = EVP_MD_CTX_new();
		if (!w.out_sha || !EVP_DigestInit_ex(w.out_sha, EVP_sha256(), NULL)) {
			rc = -ENOMEM;
			goto fail_out;
		}
		/* read back beside the writing, through a descriptor of its own */
		w.rd_fd = open(name, O_RDONLY | O_CLOEXEC);
		if (w.rd_fd < 0) {
			rc = -errno;
			goto fail_out;
		}
		if ((rc = tail_start(&w, &v)))
			goto fail_out;
	}

	{
		struct stat st;

		if (!stat(name, &st)) {
			w.out_dev = st.st_dev;
			w.out_ino = st.st_ino;
		}
		if (!realpath(name, w.name_abs))
			snprintf(w.name_abs, sizeof(w.name_abs), "%s", name);
		if (encrypted && !stat(env_path, &st))
			w.env_ino = st.st_ino;
	}
	if (archive_write_set_format_pax(w.a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(w.a) != ARCHIVE_OK ||
	    archive_write_set_options(w.a, "pax:xattrheader=SCHILY") != ARCHIVE_OK ||
	    archive_write_set_filter_option(w.a, "zstd", "compression-level", "3") != ARCHIVE_OK) {
		dsp_log(DSP_LOG_ERROR, "libarchive: %s", archive_error_string(w.a));
		rc = -ENOTSUP;
		goto fail_out;
	}
	/*
	 * Compression on a second core; not fatal where unsupported. Only a
	 * plain count from the environment (benchmarks): libarchive crashed
	 * on an empty value.
	 */
	const char *zt = getenv("DISPOSE_ZSTD_THREADS");

	if (!zt || !*zt || strspn(zt, "0123456789") != strlen(zt) || strlen(zt) > 3)
		zt = "2";
	archive_write_set_filter_option(w.a, "zstd", "threads", zt);
	archive_write_set_bytes_per_block(w.a, ARC_BLOCK);
	archive_write_set_bytes_in_last_block(w.a, 1);
	archive_entry_linkresolver_set_strategy(w.lr, archive_format(w.a));
	if (archive_write_open2(w.a, &w, NULL, out_write, NULL, NULL) != ARCHIVE_OK) {
		rc = w.out_err ? w.out_err : -EIO;
		goto fail_out;
	}
	if ((rc = write_dir_entry(&w, "")) || (rc = write_dir_entry(&w, "data/")))
		goto fail_out;
	/* no total: the walk finds out what there is as it goes */
	w.pg.fn = o->progress;
	w.pg.arg = o->progress_arg;
	arc_progress_pass(&w.pg, "write", 1, 0);
	for (size_t i = 0; i < nroots; i++) {
		rc = walk_root(&w, roots[i]);
		if (rc == DSP_MISMATCH)
			goto rb_failed;
		if (rc) {
			if (!res->bad_path[0])	/* else it names the file at fault */
				snprintf(res->bad_path, sizeof(res->bad_path), "%.4000s", roots[i]);
			goto fail_out;
		}
	}
	arc_progress_report(&w.pg, 1);
	if ((rc = write_tags(&w)) == DSP_MISMATCH)
		goto rb_failed;
	if (rc)
		goto fail_out;
	if (archive_write_close(w.a) != ARCHIVE_OK) {
		rc = w.out_err ? w.out_err : -EIO;
		goto fail_out;
	}
	/* compression contexts are large: gone before the read-back starts */
	archive_write_free(w.a);
	w.a = NULL;
	arc_hasher_stop(w.hs);	/* drained by write_tags: digests are in */
	w.hs = NULL;
	archive_entry_linkresolver_free(w.lr);
	w.lr = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->archive_bytes = w.out_bytes;
	if (encrypted) {
		rc = dsp_env_writer_close(w.env, res->sha256, res->env_sha256);
		w.env = NULL;
		if (rc) {
			rc = rc < 0 ? rc : -EIO;
			goto fail_out;
		}
		rc = tail_finish(&w);	/* the read-back is done: its verdict */
	} else {
		uint8_t md[32];

		EVP_DigestFinal_ex(w.out_sha, md, NULL);
		dsp_hex(md, 32, res->sha256);
		if (fsync(w.fd) || close(w.fd)) {
			w.fd = -1;
			rc = -errno;
			goto fail_out;
		}
		w.fd = -1;
		plain_end(&w, 1);
		rc = tail_finish(&w);
	}
	clock_gettime(CLOCK_MONOTONIC, &t2);
	dsp_log(DSP_LOG_DEBUG, "%s: written and read back in %.2f s, "
		"the rest of the read-back took %.2f s", name,
		(double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		(double)(t2.tv_sec - t1.tv_sec) + (t2.tv_nsec - t1.tv_nsec) / 1e9);
	if (rc == 0) {
		char h[65];

		if (encrypted) {
			/*
			 * The ciphertext on disk just authenticated (GCM) to the
			 * plaintext that was verified, so it is the one whose
			 * SHA-256 the writer computed; the envelope is re-hashed.
			 */
			if ((rc = arc_file_sha256(env_path, h)) == 0 &&
			    strcmp(h, res->env_sha256))
				rc = DSP_MISMATCH;
			if (rc == DSP_MISMATCH)
				snprintf(res->bad_path, sizeof(res->bad_path),
					 "%s: changed on disk after writing", name);
		} else if (strcmp(w.tail_sha, res->sha256)) {
			rc = DSP_MISMATCH;
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "%s: changed on disk after writing", name);
		}
		if (rc == 0 && memcmp(v.manifest_sha512, w.manifest_sha512, 64)) {
			rc = DSP_MISMATCH;
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "manifest-sha512.txt: differs on read-back");
		}
		if (rc == 0)
			rc = arc_items_all_read(w.its);
	}
	if (rc == 0 && use_rb) {
		rc = arc_rb_env_drop(&rb, env_path, nrec);
		if (rc == 0)
			rc = arc_file_sha256(env_path, res->env_sha256);
		if (rc)
			snprintf(res->bad_path, sizeof(res->bad_path),
				 "%.3000s: cannot remove the readback recipient", env_path);
		/* and from every further volume, whose recorded digest follows */
		for (size_t k = 1; rc == 0 && w.volumes &&
		     k < json_object_array_length(w.volumes); k++) {
			struct json_object *vo = json_object_array_get_idx(w.volumes, k), *ep;
			const char *p;
			char h[65];

			if (!json_object_object_get_ex(vo, "envelope", &ep) ||
			    !(p = json_object_get_string(ep)))
				continue;
			rc = arc_rb_env_drop(&rb, p, nrec);
			if (rc == 0)
				rc = arc_file_sha256(p, h);
			if (rc == 0)
				json_object_object_add(vo, "envelope_sha256",
						       json_object_new_string(h));
			else
				snprintf(res->bad_path, sizeof(res->bad_path),
					 "%.3000s: cannot remove the readback recipient", p);
		}
	}
	arc_rb_key_destroy(&rb);
	if (rc != 0) {
		if (rc != DSP_MISMATCH && rc > 0)
			rc = DSP_MISMATCH;	/* what we just wrote must be ours */
		if (rc < 0)
			dsp_log(DSP_LOG_ERROR, "%s: read-back failed: %s", name,
				strerror(-rc));
		rename_failed(name);
		if (encrypted)
			rename_failed(env_path);
		rc = DSP_MISMATCH;
		goto out;
	}
	/* plain copy of bag-info.txt for `status` (retention labels need no key) */
	{
		int fd = open(info_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (fd < 0 || arc_write_full(fd, w.bag_info, w.bag_info_len) || fsync(fd)) {
			rc = -errno;
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	if (o->ledger && (rc = ledger_created(&w, name, env_path, use_rb)) != 0)
		dsp_log(DSP_LOG_ERROR, "%s: cannot record in the run ledger: %s",
			name, strerror(-rc));
	if (rc == 0 && w.nchanged)
		rc = DSP_PARTIAL;	/* kept, but not every file is a snapshot */
	goto out;

rb_failed:
	/*
	 * The read-back already found a difference: stop writing, end what is
	 * on disk cleanly and keep it with the .failed suffix, as after a
	 * difference found at the end.
	 */
	w.discard = 1;
	archive_write_close(w.a);
	archive_write_free(w.a);
	w.a = NULL;
	if (encrypted) {
		dsp_env_writer_close(w.env, res->sha256, res->env_sha256);
		w.env = NULL;
	} else {
		if (fsync(w.fd))
			dsp_log(DSP_LOG_WARN, "%s: %s", name, strerror(errno));
		close(w.fd);
		w.fd = -1;
		plain_end(&w, 1);
	}
	tail_finish(&w);	/* its report names the difference */
	dsp_log(DSP_LOG_ERROR, "%s: read-back found a difference; writing stopped", name);
	rename_failed(name);
	if (encrypted)
		rename_failed(env_path);
	rc = DSP_MISMATCH;
	goto out;

fail_out:
	if (w.a) {
		/*
		 * No flush into a removed output, but a close all the same:
		 * libarchive frees its block buffer only there, not on
		 * archive_write_fail().
		 */
		w.discard = 1;
		archive_write_close(w.a);
	}
	if (w.env)
		dsp_env_writer_abort(w.env);
	w.env = NULL;
	tail_finish(&w);
	if (w.fd >= 0)
		close(w.fd);
	w.fd = -1;
	unlink(name);
	if (encrypted)
		unlink(env_path);
out:
	arc_rb_key_destroy(&rb);
	if (w.env)
		dsp_env_writer_abort(w.env);
	w.env = NULL;
	tail_finish(&w);
	if (w.rd_fd >= 0)
		close(w.rd_fd);
	if (w.fd >= 0)
		close(w.fd);
	if (w.a)
		archive_write_free(w.a);
	if (w.lr)
		archive_entry_linkresolver_free(w.lr);
	free(recips);
	wctx_free(&w);
	return rc;
}

/* What went wrong goes into the run record too (the certificate reads it). */
static void ledger_failed(const struct dsp_archive_opts *o, const char *name, int rc,
			  const struct dsp_archive_result *res)
{
	struct json_object *f = json_object_new_object();

	if (!f)
		return;
	dsp_json_add_bytes(f, "archive", name);
	json_object_object_add(f, "result", json_object_new_string(
		rc == DSP_MISMATCH ? "read-back mismatch" :
		rc == DSP_INVALID ? "invalid options" :
		rc == -EINTR ? "interrupted" : "failed"));
	if (rc < 0)
		json_object_object_add(f, "error", json_object_new_string(strerror(-rc)));
	if (res->bad_path[0])
		dsp_json_add_bytes(f, "reason", res->bad_path);
	if (rc == DSP_MISMATCH)
		json_object_object_add(f, "left_as", json_object_new_string(DSP_FAILED_SUFFIX));
	dsp_ledger_append(o->ledger, "archive_failed", f, 1);
	json_object_put(f);
}

/* Syslog: the start, and the result with its reason (the run's end is run.c's). */
static void audit_start(const char *name, const struct dsp_archive_opts *o)
{
	const char *who = dsp_record_operator();
	unsigned nr = 0, nk = 0;
	char roots[1024] = "", enc[64] = "not encrypted", dir[PATH_MAX];
	const char *run = o->ledger ? dsp_ledger_dir(o->ledger) : "none";
	size_t at = 0;

	for (; o->roots && o->roots[nr]; nr++)
		if (at < sizeof(roots))
			at += (size_t)snprintf(roots + at, sizeof(roots) - at, "%s%s",
					       nr ? " " : "", o->roots[nr]);
	for (; o->recipients && o->recipients[nk]; nk++)
		;
	if (nk)
		snprintf(enc, sizeof(enc), "encrypted to %u recipient%s", nk, nk == 1 ? "" : "s");
	dsp_audit(DSP_AUDIT_NOTICE, "archive create %s started by %s: root%s %s, %s, run %s",
		  name, who ? who : "unknown", nr == 1 ? "" : "s", roots, enc,
		  o->ledger && realpath(run, dir) ? dir : run);
}

static void audit_result(const char *name, int rc, const struct dsp_archive_result *r)
{
	const char *why = r->bad_path[0] ? r->bad_path : rc < 0 ? strerror(-rc) : "failed";

	char changed[96] = "";

	if (rc == DSP_PARTIAL)
		snprintf(changed, sizeof(changed), "; %llu file%s changed while read, not counted "
			 "as retained", (unsigned long long)r->changed, r->changed == 1 ? "" : "s");
	if (rc == 0 || rc == DSP_PARTIAL)
		dsp_audit(rc ? DSP_AUDIT_WARNING : DSP_AUDIT_NOTICE, "archive create %s: written "
			  "and read back, %llu file%s, %llu payload bytes, sha256 %s%s", name,
			  (unsigned long long)r->files, r->files == 1 ? "" : "s",
			  (unsigned long long)r->payload_bytes, r->sha256, changed);
	else if (rc == -EINTR)
		dsp_audit(DSP_AUDIT_WARNING, "archive create %s: interrupted; nothing of it was kept",
			  name);
	else if (rc == DSP_MISMATCH)
		dsp_audit(DSP_AUDIT_ERR, "archive create %s failed: read-back verification: %s; "
			  "left as %s%s", name, why, name, DSP_FAILED_SUFFIX);
	else
		dsp_audit(DSP_AUDIT_ERR, "archive create %s failed: %s", name, why);
}

int dsp_archive_create(const char *name, const struct dsp_archive_opts *o,
		       struct dsp_archive_result *res)
{
	struct arc_locale l;
	int rc;

	audit_start(name, o);
	arc_locale_enter(&l);
	rc = create(name, o, res);
	if (rc && rc != DSP_PARTIAL && o->ledger)
		ledger_failed(o, name, rc, res);
	arc_locale_leave(&l);
	audit_result(name, rc, res);
	return rc;
}
