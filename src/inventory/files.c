/* SPDX-License-Identifier: MIT */
/* files.c - one walk of the roots feeding files[] (and sha256) and keys[] */
#include "dispose/inventory.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/keys.h"

#define HASH_BUF	(256u << 10)
#define MAX_DEPTH	4096
/*
 * A file with this many bytes of holes gets sha256_sparse instead of sha256:
 * SHA-256 cannot skip a run of zeros, so a 1 TiB sparse file would cost 1 TiB
 * of hashing. Below it, hashing the zeros is cheap and sha256 stays.
 */
#define SPARSE_MIN	(64ull << 20)
#define SPARSE_BLOCK	4096u

struct root_id {
	dev_t dev;
	ino_t ino;
	int ok;
};

struct walker {
	dsp_inv_emit_fn emit;
	void *arg;
	int data, keys, hash;
	char *path;
	size_t cap;
	unsigned char *buf;
	EVP_MD_CTX *md, *ext;	/* ext: one data extent of sha256_sparse */
	EVP_MD *sha256;
	struct root_id *roots;
	size_t nroots, cur;
	dev_t dev;		/* of the root being walked */
	const struct dsp_inv_opts *opts;	/* its progress callback */
};

/* Bytes of w->path read so far (hashing a large file takes a while). */
static void read_progress(struct walker *w, uint64_t n)
{
	struct dsp_inv_progress p = { .section = "files", .path = w->path, .bytes = n };

	if (w->opts->progress)
		w->opts->progress(&p, w->opts->progress_arg);
}

static int werr(struct walker *w, const char *path, int e, const char *what)
{
	char b[192], s[128];

	snprintf(s, sizeof(s), "%s", strerror(e));
	s[0] = (char)tolower((unsigned char)s[0]);
	if (what)
		snprintf(b, sizeof(b), "%s: %s", what, s);
	else
		snprintf(b, sizeof(b), "%s", s);
	return dsp_inv_error(w->emit, w->arg, "walk", path, b);
}

static int path_reserve(struct walker *w, size_t need)
{
	if (need <= w->cap)
		return 0;
	size_t cap = w->cap ? w->cap : 4096;
	char *p;

	while (cap < need)
		cap *= 2;
	p = realloc(w->path, cap);
	if (!p)
		return -ENOMEM;
	w->path = p;
	w->cap = cap;
	return 0;
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	}
	return "unknown";
}

static struct json_object *file_item(struct walker *w, int dfd, const char *name,
				     const struct stat *st, const char *sha_key, const char *sha)
{
	struct json_object *o = json_object_new_object();
	char mode[8], t[32];
	int lossy;

	if (!o)
		return NULL;
	json_object_object_add(o, "path", dsp_inv_string(w->path, &lossy));
	if (lossy) {
		/* the exact bytes, since "path" had to replace some */
		size_t n = strlen(w->path);
		char *hex = malloc(n * 2 + 1);

		for (size_t i = 0; hex && i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned char)w->path[i]);
		if (hex) {
			hex[n * 2] = '\0';
			json_object_object_add(o, "path_hex", json_object_new_string(hex));
		}
		free(hex);
	}
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	json_object_object_add(o, "type", json_object_new_string(type_name(st->st_mode)));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)st->st_size));
	json_object_object_add(o, "mode", json_object_new_string(mode));
	json_object_object_add(o, "uid", json_object_new_int64(st->st_uid));
	json_object_object_add(o, "gid", json_object_new_int64(st->st_gid));
	json_object_object_add(o, "mtime",
			       json_object_new_string(dsp_inv_time(st->st_mtim.tv_sec, t, sizeof(t))));
	json_object_object_add(o, "dev", json_object_new_int64((int64_t)st->st_dev));
	json_object_object_add(o, "ino", json_object_new_int64((int64_t)st->st_ino));
	json_object_object_add(o, "nlink", json_object_new_int64((int64_t)st->st_nlink));
	if (S_ISLNK(st->st_mode) && name) {
		char target[4096];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

		if (n >= 0) {
			target[n] = '\0';
			json_object_object_add(o, "target", dsp_inv_string(target, NULL));
		}
	}
	if (sha)
		json_object_object_add(o, sha_key, json_object_new_string(sha));
	return o;
}

static int emit_put(struct walker *w, const char *section, struct json_object *o)
{
	int rc;

	if (!o)
		return -ENOMEM;
	rc = w->emit(w->arg, section, o);
	json_object_put(o);
	return rc;
}

static void to_hex(const unsigned char *md, unsigned n, char *hex)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* sha256 of the open file from offset 0 into hex (65 bytes). 0 or -errno. */
static int hash_fd(struct walker *w, int fd, char *hex)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	off_t off = 0;
	ssize_t n;

	if (!EVP_DigestInit_ex2(w->md, w->sha256, NULL))
		return -EIO;
	for (;;) {
		n = pread(fd, w->buf, HASH_BUF, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if (!EVP_DigestUpdate(w->md, w->buf, (size_t)n))
			return -EIO;
		off += n;
		read_progress(w, (uint64_t)off);
	}
	if (!EVP_DigestFinal_ex(w->md, md, &mdlen) || mdlen != 32)
		return -EIO;
	to_hex(md, 32, hex);
	return 0;
}

/* Bytes in holes as SEEK_HOLE/SEEK_DATA report them, counted up to limit. */
static uint64_t hole_bytes(int fd, uint64_t size, uint64_t limit)
{
	uint64_t holes = 0;
	off_t pos = 0, h, d;

	while ((uint64_t)pos < size && holes < limit) {
		h = lseek(fd, pos, SEEK_HOLE);
		if (h < 0 || (uint64_t)h >= size)
			break;
		d = lseek(fd, h, SEEK_DATA);
		if (d < 0 && errno != ENXIO)
			break;
		if (d < 0 || (uint64_t)d > size) {
			holes += size - (uint64_t)h;	/* ENXIO: a hole up to the end */
			break;
		}
		holes += (uint64_t)(d - h);
		pos = d;
	}
	return holes;
}

struct sparse {
	EVP_MD_CTX *top, *ext;
	uint64_t start;		/* of the open extent */
	int open;
};

/* The open extent ends at end: its line "OFFSET LENGTH SHA256\n" goes into top. */
static int sparse_close(struct sparse *sp, uint64_t end)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char line[112], hex[65];
	int n;

	if (!sp->open)
		return 0;
	sp->open = 0;
	if (!EVP_DigestFinal_ex(sp->ext, md, &mdlen) || mdlen != 32)
		return -EIO;
	to_hex(md, 32, hex);
	n = snprintf(line, sizeof(line), "%llu %llu %s\n", (unsigned long long)sp->start,
		     (unsigned long long)(end - sp->start), hex);
	return EVP_DigestUpdate(sp->top, line, (size_t)n) ? 0 : -EIO;
}

/* Feed n bytes read at off (off a multiple of SPARSE_BLOCK) block by block. */
static int sparse_feed(struct sparse *sp, const EVP_MD *sha, const unsigned char *p,
		       size_t n, uint64_t off)
{
	int rc;

	for (size_t i = 0; i < n;) {
		size_t b = n - i < SPARSE_BLOCK ? n - i : SPARSE_BLOCK, run = 0;

		if (!p[i] && !memcmp(p + i, p + i + 1, b - 1)) {
			if ((rc = sparse_close(sp, off + i)))
				return rc;
			i += b;
			continue;
		}
		/* a run of non-zero blocks goes to the extent's hash in one call */
		while (i + run < n) {
			size_t bb = n - i - run < SPARSE_BLOCK ? n - i - run : SPARSE_BLOCK;
			const unsigned char *q = p + i + run;

			if (run && !q[0] && !memcmp(q, q + 1, bb - 1))
				break;
			run += bb;
		}
		if (!sp->open) {
			if (!EVP_DigestInit_ex2(sp->ext, sha, NULL))
				return -EIO;
			sp->open = 1;
			sp->start = off + i;
		}
		if (!EVP_DigestUpdate(sp->ext, p + i, run))
			return -EIO;
		i += run;
	}
	return 0;
}

/*
 * sha256_sparse (dispose-inventory(5)): SHA-256 over "dispose-sparse-v1
 * SIZE\n" and one line "OFFSET LENGTH SHA256\n" per maximal run of 4096-byte
 * blocks (from offset 0) that are not all zero. It depends on the contents
 * only; holes are skipped with SEEK_DATA/SEEK_HOLE instead of read.
 * 0, -EAGAIN when the file shrank while it was read, or -errno.
 */
static int hash_sparse(struct walker *w, int fd, uint64_t size, char *hex)
{
	struct sparse sp = { .top = w->md, .ext = w->ext };
	unsigned char md[32];
	unsigned int mdlen = 0;
	char head[48];
	uint64_t pos = 0;
	int rc, n;

	n = snprintf(head, sizeof(head), "dispose-sparse-v1 %llu\n", (unsigned long long)size);
	if (!EVP_DigestInit_ex2(sp.top, w->sha256, NULL) ||
	    !EVP_DigestUpdate(sp.top, head, (size_t)n))
		return -EIO;
	while (pos < size) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA), e;
		uint64_t start, end;

		if (d < 0 && errno != ENXIO)
			return -errno;
		if (d < 0 || (uint64_t)d >= size)
			break;			/* a hole up to the end */
		start = (uint64_t)d - (uint64_t)d % SPARSE_BLOCK;
		if (start > pos) {
			/* whole blocks of hole: zero, so the open extent ends */
			if ((rc = sparse_close(&sp, pos)))
				return rc;
			pos = start;
		}
		/* from d, not start: start may lie in the hole before d */
		e = lseek(fd, d, SEEK_HOLE);
		if (e < 0)
			return -errno;
		end = ((uint64_t)e + SPARSE_BLOCK - 1) / SPARSE_BLOCK * SPARSE_BLOCK;
		if (end > size)
			end = size;
		while (pos < end) {
			size_t want = end - pos < HASH_BUF ? (size_t)(end - pos) : HASH_BUF;
			ssize_t got = pread(fd, w->buf, want, (off_t)pos);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return -errno;
			if (got == 0)
				return -EAGAIN;
			/* a short read mid-block would shift the blocks: read on first */
			if ((size_t)got < want && got % SPARSE_BLOCK)
				got -= got % SPARSE_BLOCK;
			if (got == 0)
				return -EAGAIN;	/* less than a block left: it shrank */
			if ((rc = sparse_feed(&sp, w->sha256, w->buf, (size_t)got, pos)))
				return rc;
			pos += (uint64_t)got;
			read_progress(w, pos);
		}
	}
	if ((rc = sparse_close(&sp, pos)))
		return rc;
	if (!EVP_DigestFinal_ex(sp.top, md, &mdlen) || mdlen != 32)
		return -EIO;
	to_hex(md, 32, hex);
	return 0;
}

static int open_file(int dfd, const char *name)
{
	int fl = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
	int fd = openat(dfd, name, fl | O_NOATIME);

	/* O_NOATIME keeps access times as evidence, but only the owner (or root) may ask */
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, fl);
	return fd;
}

/* A regular file: examine for keys, hash, emit. st may be NULL (keys only: not stat'ed yet). */
static int do_file(struct walker *w, int dfd, const char *name, const struct stat *st)
{
	struct stat fst;
	char hex[65];
	int fd, rc = 0, hashed = 0, sparse = 0;

	if (!w->keys && !w->hash)
		return emit_put(w, "files", file_item(w, dfd, name, st, NULL, NULL));
	fd = open_file(dfd, name);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return werr(w, w->path, e, "vanished");
		if (e == ELOOP && !st)
			return 0;	/* a symlink: keys only look at regular files */
		if ((rc = werr(w, w->path, e, NULL)))
			return rc;
		return w->data ? emit_put(w, "files", file_item(w, dfd, name, st, NULL, NULL)) : 0;
	}
	if (fstat(fd, &fst) < 0) {
		rc = werr(w, w->path, errno, NULL);
		close(fd);
		return rc;
	}
	if (st && (fst.st_dev != st->st_dev || fst.st_ino != st->st_ino)) {
		close(fd);
		return werr(w, w->path, EAGAIN, "replaced during the scan");
	}
	if (!S_ISREG(fst.st_mode)) {
		close(fd);
		return 0;
	}
	if (fst.st_dev != w->dev) {
		/* a file mounted over this one (a bind mount): not ours to read */
		close(fd);
		return w->data ? emit_put(w, "files", file_item(w, dfd, name, &fst, NULL, NULL)) : 0;
	}
	if (w->keys) {
		struct json_object *k = NULL;
		int r = dsp_keys_examine(fd, w->path, &fst, &k);

		if (r == 1 && k)
			rc = emit_put(w, "keys", k);
		else if (r < 0)
			rc = dsp_inv_error(w->emit, w->arg, "keys", w->path, strerror(-r));
		else if (k)
			json_object_put(k);
	}
	if (!rc && w->hash) {
		uint64_t size = (uint64_t)fst.st_size;
		int r;

		/* a file smaller than SPARSE_MIN cannot hold that much hole */
		sparse = size >= SPARSE_MIN && hole_bytes(fd, size, SPARSE_MIN) >= SPARSE_MIN;
		r = sparse ? hash_sparse(w, fd, size, hex) : hash_fd(w, fd, hex);
		if (r == -EAGAIN)
			rc = dsp_inv_error(w->emit, w->arg, "walk", w->path,
					   "sha256_sparse: the file shrank while it was read");
		else if (r < 0)
			rc = werr(w, w->path, -r, sparse ? "sha256_sparse" : "sha256");
		else
			hashed = 1;
	}
	close(fd);
	if (!rc && w->data)
		rc = emit_put(w, "files", file_item(w, dfd, name, &fst,
						    sparse ? "sha256_sparse" : "sha256",
						    hashed ? hex : NULL));
	return rc;
}

static int other_root(const struct walker *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nroots; i++)
		if (i != w->cur && w->roots[i].ok && w->roots[i].dev == st->st_dev &&
		    w->roots[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int mount_id(int fd, uint64_t *id)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return -1;
	*id = sx.stx_mnt_id;
	return 0;
}

/* Walk the open directory dfd whose path is w->path[0..plen). Consumes dfd. */
static int walk_dir(struct walker *w, int dfd, size_t plen, dev_t dev, uint64_t mnt, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		rc = werr(w, w->path, errno, NULL);
		close(dfd);
		return rc;
	}
	while (!rc) {
		struct stat st;
		const struct stat *stp = NULL;
		size_t nl, clen;
		unsigned char dt;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				w->path[plen] = '\0';
				rc = werr(w, w->path, errno, "reading directory");
			}
			break;
		}
		if (de->d_name[0] == '.' && (!de->d_name[1] ||
					     (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		dt = de->d_type;
		/* keys alone need no stat for what cannot be a key file */
		if (!w->data && dt != DT_DIR && dt != DT_REG && dt != DT_UNKNOWN)
			continue;
		nl = strlen(de->d_name);
		clen = plen + (plen && w->path[plen - 1] == '/' ? 0 : 1) + nl;
		if ((rc = path_reserve(w, clen + 1)))
			break;
		if (clen != plen + nl)
			w->path[plen] = '/';
		memcpy(w->path + clen - nl, de->d_name, nl + 1);

		if (w->data || dt == DT_DIR || dt == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				int e = errno;

				rc = werr(w, w->path, e, e == ENOENT ? "vanished" : NULL);
				continue;
			}
			stp = &st;
		}
		if (stp && S_ISDIR(st.st_mode)) {
			struct stat cst;
			uint64_t cmnt = mnt;
			int cfd;

			if (other_root(w, &st))
				continue;	/* walked as a root of its own */
			if (w->data && (rc = emit_put(w, "files",
						      file_item(w, dirfd(d), de->d_name, &st, NULL, NULL))))
				break;
			if (st.st_dev != dev)
				continue;	/* a mount point: do not cross */
			if (depth >= MAX_DEPTH) {
				rc = werr(w, w->path, ELOOP, "too deep");
				continue;
			}
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
			if (cfd < 0 && errno == EPERM)
				cfd = openat(dirfd(d), de->d_name,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				int e = errno;

				rc = werr(w, w->path, e, e == ENOENT ? "vanished" : NULL);
				continue;
			}
			if (fstat(cfd, &cst) < 0 || cst.st_dev != st.st_dev || cst.st_ino != st.st_ino) {
				close(cfd);
				rc = werr(w, w->path, EAGAIN, "replaced during the scan");
				continue;
			}
			/* bind mounts keep st_dev: the mount id tells them apart */
			if (mnt && mount_id(cfd, &cmnt) == 0 && cmnt != mnt) {
				close(cfd);
				continue;
			}
			rc = walk_dir(w, cfd, clen, dev, mnt, depth + 1);
			w->path[plen] = '\0';
			continue;
		}
		if (stp && S_ISREG(st.st_mode) && st.st_dev != dev)
			/* a file mount point: listed, never opened */
			rc = w->data ? emit_put(w, "files",
						file_item(w, dirfd(d), de->d_name, &st, NULL, NULL)) : 0;
		else if (stp ? S_ISREG(st.st_mode) : (dt == DT_REG))
			rc = do_file(w, dirfd(d), de->d_name, stp);
		else if (w->data)
			rc = emit_put(w, "files", file_item(w, dirfd(d), de->d_name, &st, NULL, NULL));
	}
	w->path[plen] = '\0';
	closedir(d);
	return rc;
}

int dsp_inv_walk(const struct dsp_inv_opts *opts, dsp_inv_emit_fn emit, void *arg)
{
	static const char *const dflt[] = { "/", NULL };
	const char *const *roots = opts->roots ? opts->roots : dflt;
	struct walker w = { .emit = emit, .arg = arg, .opts = opts };
	size_t n = 0, opened = 0, failed = 0;
	int rc = 0, last_err = ENOENT;

	w.data = !!(opts->what & (DSP_INV_DATA | DSP_INV_HASH));
	w.keys = !!(opts->what & DSP_INV_KEYS);
	w.hash = !!(opts->what & DSP_INV_HASH);
	while (roots[n])
		n++;
	w.roots = calloc(n ? n : 1, sizeof(*w.roots));
	w.nroots = n;
	if (!w.roots)
		return -ENOMEM;
	if (w.hash) {
		w.buf = malloc(HASH_BUF);
		w.md = EVP_MD_CTX_new();
		w.ext = EVP_MD_CTX_new();
		w.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
		if (!w.buf || !w.md || !w.ext || !w.sha256) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (stat(roots[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			w.roots[i] = (struct root_id){ st.st_dev, st.st_ino, 1 };
			for (size_t k = 0; k < i; k++)
				if (w.roots[k].ok && w.roots[k].dev == st.st_dev &&
				    w.roots[k].ino == st.st_ino)
					w.roots[i].ok = 0;	/* the same root twice */
		}
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const char *r = roots[i];
		size_t len = strlen(r);
		struct stat st;
		uint64_t mnt = 0;
		int fd;

		while (len > 1 && r[len - 1] == '/')
			len--;
		if ((rc = path_reserve(&w, len + 2)))
			break;
		memcpy(w.path, r, len);
		w.path[len] = '\0';
		w.cur = i;
		/* O_NOATIME here too: reading the root must not touch its atime */
		fd = open(w.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
		if (fd < 0 && errno == EPERM)
			fd = open(w.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			last_err = errno;
			failed++;
			if (fd >= 0)
				close(fd);
			rc = werr(&w, w.path, last_err, "root");
			continue;
		}
		if (w.roots[i].ok && (w.roots[i].dev != st.st_dev || w.roots[i].ino != st.st_ino))
			w.roots[i].ok = 0;
		if (!w.roots[i].ok) {
			/* a duplicate of an earlier root, or it changed since */
			int dup = 0;

			for (size_t k = 0; k < i; k++)
				dup |= w.roots[k].ok && w.roots[k].dev == st.st_dev &&
				       w.roots[k].ino == st.st_ino;
			if (dup) {
				close(fd);
				continue;
			}
		}
		opened++;
		w.dev = st.st_dev;
		mount_id(fd, &mnt);
		if (w.data && (rc = emit_put(&w, "files", file_item(&w, fd, NULL, &st, NULL, NULL)))) {
			close(fd);
			break;
		}
		rc = walk_dir(&w, fd, len, st.st_dev, mnt, 0);
	}
	if (!rc && failed && !opened)
		rc = -last_err;	/* the whole category failed */
out:
	EVP_MD_free(w.sha256);
	EVP_MD_CTX_free(w.md);
	EVP_MD_CTX_free(w.ext);
	free(w.buf);
	free(w.path);
	free(w.roots);
	return rc;
}
