/* SPDX-License-Identifier: MIT */
/* file.c - erase files in place (then truncate, rename, unlink) and whole trees */
#include "erase_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "dispose/log.h"

#define ERASE_RENAMES	3
#define TREE_MAX_DEPTH	256	/* each level holds a directory fd */

static int event(const struct dsp_erase_opts *o, const char *id, const char *name,
		 struct json_object *f, int sync)
{
	int r;

	json_object_object_add(f, "target", json_object_new_string(id));
	r = dsp_ledger_append(o->ledger, name, f, sync);
	json_object_put(f);
	return r;
}

/* A random name of exactly len characters, so the entry's size says nothing. */
static int random_name(char *buf, size_t len)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[NAME_MAX];

	if (len > NAME_MAX || RAND_bytes(rnd, (int)len) != 1)
		return -EIO;
	for (size_t i = 0; i < len; i++)
		buf[i] = cs[rnd[i] % (sizeof(cs) - 1)];
	buf[len] = 0;
	/* "." and ".." are not names we can use */
	if (buf[0] == '.')
		buf[0] = 'x';
	return 0;
}

static int rank(int st)
{
	if (st == 0)
		return 0;
	if (st == DSP_PARTIAL)
		return 1;
	if (st == DSP_MISMATCH)
		return 2;
	if (st == DSP_INTERRUPTED)
		return 4;
	return 3;
}

static int worst(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}

static const char *fs_name(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return "unknown";
	return erase_fstype_name((long)sf.f_type);
}

#define EXTMAP_MAX 512

struct extmap {
	struct fiemap *fm;	/* with EXTMAP_MAX extents after it */
};

/* The file's extents (synced first), or NULL when the filesystem won't say. */
struct extmap *erase_extmap_get(int fd)
{
	struct extmap *m = calloc(1, sizeof(*m));

	if (!m || !(m->fm = calloc(1, sizeof(struct fiemap) +
				      EXTMAP_MAX * sizeof(struct fiemap_extent)))) {
		free(m);
		return NULL;
	}
	m->fm->fm_start = 0;
	m->fm->fm_length = FIEMAP_MAX_OFFSET;
	m->fm->fm_flags = FIEMAP_FLAG_SYNC;
	m->fm->fm_extent_count = EXTMAP_MAX;
	if (ioctl(fd, FS_IOC_FIEMAP, m->fm) < 0) {
		erase_extmap_free(m);
		return NULL;
	}
	return m;
}

void erase_extmap_free(struct extmap *m)
{
	if (m)
		free(m->fm);
	free(m);
}

static bool extmap_same(const struct extmap *a, const struct extmap *b)
{
	const struct fiemap_extent *x = a->fm->fm_extents, *y = b->fm->fm_extents;

	if (a->fm->fm_mapped_extents != b->fm->fm_mapped_extents)
		return false;
	for (uint32_t i = 0; i < a->fm->fm_mapped_extents; i++)
		if (x[i].fe_logical != y[i].fe_logical || x[i].fe_physical != y[i].fe_physical ||
		    x[i].fe_length != y[i].fe_length)
			return false;
	return true;
}

static uint32_t extmap_flags(const struct extmap *m)
{
	uint32_t f = 0;

	for (uint32_t i = 0; i < m->fm->fm_mapped_extents; i++)
		f |= m->fm->fm_extents[i].fe_flags;
	return f;
}

/*
 * Standards 5: say whether the filesystem wrote the overwrite in place.
 * Compared before truncation, after the passes were flushed.
 */
void erase_extmap_check(const struct erase_file_info *fi, struct json_object *f,
			struct json_object *cav)
{
	struct json_object *x = json_object_new_object();
	struct extmap *after = fi->before ? erase_extmap_get(fi->fd) : NULL;
	const char *res;
	uint32_t fl = 0;

	if (!fi->before || !after) {
		res = "unknown";
		json_object_array_add(cav, json_object_new_string(
			"the filesystem does not report extents (FIEMAP): in-place overwrite not confirmed"));
	} else {
		fl = extmap_flags(fi->before) | extmap_flags(after);
		res = extmap_same(fi->before, after) ? "in-place" : "relocated";
		json_object_object_add(x, "count", json_object_new_int((int)after->fm->fm_mapped_extents));
		if (!strcmp(res, "relocated"))
			json_object_array_add(cav, json_object_new_string(
				"the filesystem wrote the overwrite to other blocks (FIEMAP before and "
				"after differ): the old data may remain on the medium"));
	}
	json_object_object_add(x, "result", json_object_new_string(res));
	json_object_object_add(x, "shared", json_object_new_boolean(!!(fl & FIEMAP_EXTENT_SHARED)));
	if (fl & FIEMAP_EXTENT_SHARED)
		json_object_array_add(cav, json_object_new_string(
			"extents shared with another file or snapshot (reflink): that copy keeps the old data"));
	if (fl & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL))
		json_object_array_add(cav, json_object_new_string(
			"data stored inline with metadata: copies in metadata blocks not addressed"));
	if (fl & FIEMAP_EXTENT_ENCODED)
		json_object_array_add(cav, json_object_new_string(
			"extents are compressed or encoded: the overwrite may not replace the stored bytes"));
	json_object_object_add(f, "extents", x);
	erase_extmap_free(after);
}

/*
 * Erase the regular file name in dirfd. display is its full path for the
 * record. The file opened must be the file lstat'ed (device and inode).
 */
static int erase_file_at(int dirfd, const char *name, const char *display,
			 const struct dsp_erase_opts *o, const char *parent,
			 struct dsp_erase_result *res, int done_status)
{
	struct erase_file_info fi = { .kind = "file" };
	struct json_object *renames, *f, *cav = NULL;
	struct dsp_io *io = NULL;
	struct stat lst, st;
	char cur[NAME_MAX + 1], nn[NAME_MAX + 1];
	size_t len = strlen(name);
	int fd, r, status;

	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(lst.st_mode))
		return -ELOOP;
	if (!S_ISREG(lst.st_mode))
		return -EINVAL;
	fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino ||
	    !S_ISREG(st.st_mode)) {
		dsp_log(DSP_LOG_ERROR, "%s: file changed between check and open", display);
		close(fd);
		return -ESTALE;
	}
	fi.dev = (uint64_t)st.st_dev;
	fi.ino = (uint64_t)st.st_ino;
	fi.nlink = (uint64_t)st.st_nlink;
	fi.fstype = fs_name(fd);
	if (parent) {
		cav = json_object_new_array();
		json_object_array_add(cav, json_object_new_string("part of a tree erase"));
	}
	fi.caveats = cav;
	fi.parent = parent;
	fi.fd = fd;
	fi.before = done_status >= 0 ? NULL : erase_extmap_get(fd);
	if (st.st_nlink > 1)
		dsp_log(DSP_LOG_WARN, "%s: has %ju hard links: other names keep the inode until removed",
			display, (uintmax_t)st.st_nlink);
	r = dsp_io_open_fd(fd, display, DSP_IO_WRITE | DSP_IO_DIRECT, &io);
	if (r < 0) {
		json_object_put(cav);
		erase_extmap_free(fi.before);
		return r;
	}
	/* done_status >= 0: a killed session finished the overwrite already */
	status = done_status >= 0 ? done_status : erase_run(io, o, res, &fi);
	json_object_put(cav);
	erase_extmap_free(fi.before);
	if (status < 0 || status == DSP_INTERRUPTED) {
		dsp_io_close(io);
		return status;
	}
	/* the content is overwritten: now the size, then the name */
	if (ftruncate(io->fd, 0) < 0 || fsync(io->fd) < 0) {
		r = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: truncate: %s", display, strerror(-r));
		dsp_io_close(io);
		return r;
	}
	dsp_io_close(io);
	renames = json_object_new_array();
	snprintf(cur, sizeof(cur), "%s", name);
	for (int k = 0; k < ERASE_RENAMES; k++) {
		int tries = 0;

		do {
			r = random_name(nn, len);
			if (!r && renameat2(dirfd, cur, dirfd, nn, RENAME_NOREPLACE) < 0)
				r = -errno;
		} while (r == -EEXIST && ++tries < 16);
		if (r == -EINVAL || r == -ENOSYS) {
			/* filesystem without renameat2 flags: check, then rename */
			struct stat x;

			r = fstatat(dirfd, nn, &x, AT_SYMLINK_NOFOLLOW) == 0 ? -EEXIST :
			    renameat(dirfd, cur, dirfd, nn) < 0 ? -errno : 0;
		}
		if (r < 0) {
			dsp_log(DSP_LOG_WARN, "%s: rename: %s", display, strerror(-r));
			break;
		}
		f = json_object_new_object();
		json_object_object_add(f, "path", json_object_new_string(display));
		json_object_object_add(f, "from", json_object_new_string(cur));
		json_object_object_add(f, "to", json_object_new_string(nn));
		/* a lone file's resume looks for it by these names; a tree re-walks */
		event(o, o->target_id, "file_renamed", f, !parent);
		json_object_array_add(renames, json_object_new_string(nn));
		snprintf(cur, sizeof(cur), "%s", nn);
	}
	if (fsync(dirfd) < 0)
		dsp_log(DSP_LOG_WARN, "%s: fsync of directory: %s", display, strerror(errno));
	if (unlinkat(dirfd, cur, 0) < 0) {
		r = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: unlink %s: %s", display, cur, strerror(-r));
		json_object_put(renames);
		return r;
	}
	if (fsync(dirfd) < 0)
		dsp_log(DSP_LOG_WARN, "%s: fsync of directory: %s", display, strerror(errno));
	f = json_object_new_object();
	json_object_object_add(f, "path", json_object_new_string(display));
	json_object_object_add(f, "renames", renames);
	json_object_object_add(f, "final_name", json_object_new_string(cur));
	json_object_object_add(f, "nlink", json_object_new_int64((int64_t)st.st_nlink));
	if (st.st_nlink > 1)
		json_object_object_add(f, "hard_links_remain", json_object_new_int64((int64_t)st.st_nlink - 1));
	if (parent)
		json_object_object_add(f, "parent", json_object_new_string(parent));
	event(o, o->target_id, "file_removed", f, 1);
	return status;
}

/* Split path into an open parent directory and the last component. */
static int open_parent(const char *path, int *dirfd, char *base, size_t baselen)
{
	char *a = strdup(path), *b = strdup(path);
	const char *d, *n;
	int r = 0;

	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	/* trailing slashes make basename() return the right component */
	d = dirname(a);
	n = basename(b);
	if (!strcmp(n, "/") || !strcmp(n, ".") || !strcmp(n, "..")) {
		r = -EINVAL;
	} else {
		snprintf(base, baselen, "%s", n);
		*dirfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*dirfd < 0)
			r = -errno;
	}
	free(a);
	free(b);
	return r;
}

struct rename_walk {
	const char *id;
	char last[NAME_MAX + 1];
	bool removed;
	int done_status;	/* -1: overwrite not finished */
};

static int visit_renames(struct json_object *ev, void *arg)
{
	struct rename_walk *w = arg;
	struct json_object *v;
	const char *ev_name;

	/* typed: the record is outside input on resume */
	if (!json_object_object_get_ex(ev, "target", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), w->id) ||
	    !json_object_object_get_ex(ev, "event", &v) || !json_object_is_type(v, json_type_string))
		return 0;
	ev_name = json_object_get_string(v);
	if (!strcmp(ev_name, "file_renamed") && json_object_object_get_ex(ev, "to", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(w->last, sizeof(w->last), "%s", json_object_get_string(v));
	else if (!strcmp(ev_name, "file_removed"))
		w->removed = true;
	else if (!strcmp(ev_name, "target") || !strcmp(ev_name, "target_resumed"))
		w->done_status = -1;
	else if (!strcmp(ev_name, "target_end") && json_object_object_get_ex(ev, "status", &v) &&
		 json_object_is_type(v, json_type_string)) {
		const char *st = json_object_get_string(v);
		struct json_object *m;
		bool mism = json_object_object_get_ex(ev, "mismatches", &m) &&
			    json_object_is_type(m, json_type_int) && json_object_get_int64(m) > 0;

		/* as the finished session would have exited: 3 for a mismatch */
		w->done_status = !strcmp(st, "success") ? 0 :
				 !strcmp(st, "completed-with-errors") ?
				 (mism ? DSP_MISMATCH : DSP_PARTIAL) : -1;
	}
	return 0;
}

int dsp_erase_file(const char *path, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res)
{
	struct dsp_erase_result dummy;
	char base[NAME_MAX + 1];
	struct stat st;
	int dfd, r;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!path || !opts || !opts->ledger || !opts->target_id)
		return -EINVAL;
	r = open_parent(path, &dfd, base, sizeof(base));
	if (r < 0)
		return r;
	if (opts->resume) {
		/* killed after the overwrite or while renaming: the record says
		 * what is done and where the file went */
		struct rename_walk w = { .id = opts->target_id, .done_status = -1 };
		const char *name = base;

		r = dsp_ledger_walk(dsp_ledger_dir(opts->ledger), visit_renames, &w, NULL);
		if (r) {
			close(dfd);
			return r > 0 ? -EINVAL : r;
		}
		if (w.removed) {
			close(dfd);
			return -EALREADY;
		}
		if (w.last[0] && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			name = w.last;
		r = erase_file_at(dfd, name, path, opts, NULL, res, w.done_status);
		if (r >= 0)
			res->files = 1;
		close(dfd);
		return r;
	}
	r = erase_file_at(dfd, base, path, opts, NULL, res, -1);
	if (r == -ELOOP)
		dsp_log(DSP_LOG_ERROR, "%s: is a symbolic link: refused", path);
	if (r >= 0)
		res->files = 1;
	close(dfd);
	return r;
}

/* Mount id of name in dirfd (statx), or 0 when the kernel cannot say. */
static uint64_t mnt_id(int dirfd, const char *name)
{
	struct statx sx;

	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		  STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	return sx.stx_mnt_id;
}

struct frame {
	DIR *d;
	int fd;
	char *path;	/* display path */
	char *name;	/* entry name in the parent */
	bool kept;	/* something inside was left (skipped or failed) */
};

static void tree_event(const struct dsp_erase_opts *o, const char *name,
		       const char *path, const char *why)
{
	struct json_object *f = json_object_new_object();

	json_object_object_add(f, "path", json_object_new_string(path));
	if (why)
		json_object_object_add(f, "reason", json_object_new_string(why));
	event(o, o->target_id, name, f, 0);
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

int dsp_erase_tree(const char *path, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res)
{
	struct dsp_erase_result dummy;
	struct frame *stack;
	struct json_object *f, *cav;
	char base[NAME_MAX + 1];
	struct stat st;
	dev_t root_dev;
	uint64_t root_mnt, mid;
	size_t n = 0;
	int pfd, rfd, r, status = 0;
	const char *fstype;
	bool cancelled = false;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!path || !opts || !opts->ledger || !opts->target_id || !opts->method)
		return -EINVAL;
	r = open_parent(path, &pfd, base, sizeof(base));
	if (r < 0)
		return r;
	rfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0 || fstat(rfd, &st) < 0) {
		r = -errno;
		if (rfd >= 0)
			close(rfd);
		close(pfd);
		return r;
	}
	root_dev = st.st_dev;
	root_mnt = mnt_id(rfd, "");
	fstype = fs_name(rfd);
	stack = calloc(TREE_MAX_DEPTH, sizeof(*stack));
	if (!stack) {
		close(rfd);
		close(pfd);
		return -ENOMEM;
	}

	f = json_object_new_object();
	json_object_object_add(f, "path", json_object_new_string(path));
	json_object_object_add(f, "kind", json_object_new_string("tree"));
	{
		struct json_object *id = json_object_new_object();

		json_object_object_add(id, "dev", json_object_new_int64((int64_t)st.st_dev));
		json_object_object_add(id, "ino", json_object_new_int64((int64_t)st.st_ino));
		json_object_object_add(id, "fstype", json_object_new_string(fstype));
		json_object_object_add(f, "identity", id);
	}
	json_object_object_add(f, "method", json_object_new_string(opts->method->name));
	json_object_object_add(f, "verify", json_object_new_string(erase_verify_name(opts->verify)));
	event(opts, opts->target_id, "target", f, 1);
	dsp_audit("%s: starting tree erase with method %s, target %s", path,
		  opts->method->name, opts->target_id);

	stack[0].fd = rfd;
	stack[0].d = fdopendir(rfd);
	stack[0].path = strdup(path);
	stack[0].name = strdup(base);
	if (!stack[0].d || !stack[0].path || !stack[0].name) {
		status = -ENOMEM;
		if (!stack[0].d)
			close(rfd);
		goto done;
	}
	n = 1;
	while (n) {
		struct frame *top = &stack[n - 1];
		struct dirent *de;
		char *child;

		/* between files too: a tree of empty files never reaches a write loop */
		if (!cancelled && opts->stop && *opts->stop) {
			cancelled = true;
			status = worst(status, DSP_INTERRUPTED);
		}
		errno = 0;
		de = cancelled ? NULL : readdir(top->d);
		if (!de) {
			/* directory done: remove it from its parent, bottom-up */
			int parent = n > 1 ? stack[n - 2].fd : pfd;
			bool kept = top->kept;

			if (errno)
				kept = true;
			closedir(top->d);
			if (!kept && !cancelled) {
				if (unlinkat(parent, top->name, AT_REMOVEDIR) < 0) {
					dsp_log(DSP_LOG_ERROR, "%s: rmdir: %s", top->path, strerror(errno));
					tree_event(opts, "dir_kept", top->path, strerror(errno));
					kept = true;
					status = worst(status, DSP_PARTIAL);
				} else {
					tree_event(opts, "dir_removed", top->path, NULL);
					res->dirs++;
					fsync(parent);
				}
			}
			free(top->path);
			free(top->name);
			n--;
			if (n && kept)
				stack[n - 1].kept = true;
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = join(top->path, de->d_name);
		if (!child) {
			status = worst(status, -ENOMEM);
			top->kept = true;
			continue;
		}
		if (fstatat(top->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {	/* ENOENT: one of our renamed files */
				tree_event(opts, "skipped", child, strerror(errno));
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
			}
			free(child);
			continue;
		}
		/* st_dev catches other filesystems, the mount id bind mounts too */
		mid = root_mnt ? mnt_id(top->fd, de->d_name) : 0;
		if (st.st_dev != root_dev || (mid && mid != root_mnt)) {
			dsp_log(DSP_LOG_WARN, "%s: on another filesystem: not crossed", child);
			tree_event(opts, "skipped", child, "mount point: other filesystem");
			top->kept = true;
			status = worst(status, DSP_PARTIAL);
		} else if (S_ISLNK(st.st_mode) || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
			/* never followed: the link (or node) itself goes */
			if (unlinkat(top->fd, de->d_name, 0) < 0) {
				tree_event(opts, "skipped", child, strerror(errno));
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
			} else {
				tree_event(opts, S_ISLNK(st.st_mode) ? "symlink_removed" :
					   "special_removed", child, NULL);
			}
		} else if (S_ISDIR(st.st_mode)) {
			int cfd = -1;
			struct stat cst;
			DIR *d = NULL;

			if (n >= TREE_MAX_DEPTH) {
				tree_event(opts, "skipped", child, "too deep");
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
				free(child);
				continue;
			}
			cfd = openat(top->fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0 && (fstat(cfd, &cst) < 0 || cst.st_ino != st.st_ino ||
					 cst.st_dev != st.st_dev)) {
				close(cfd);
				cfd = -1;
				errno = ESTALE;
			}
			if (cfd >= 0)
				d = fdopendir(cfd);
			if (!d) {
				tree_event(opts, "skipped", child, strerror(errno));
				if (cfd >= 0)
					close(cfd);
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
				free(child);
				continue;
			}
			stack[n].d = d;
			stack[n].fd = cfd;
			stack[n].path = child;
			stack[n].name = strdup(de->d_name);
			stack[n].kept = false;
			if (!stack[n].name) {
				closedir(d);
				free(child);
				top->kept = true;
				status = worst(status, -ENOMEM);
				continue;
			}
			n++;
			continue;	/* child owned by the frame */
		} else {
			struct dsp_erase_opts fo = *opts;
			struct dsp_erase_result fr;
			char id[96];

			/* unique across sessions: the record's sequence number */
			snprintf(id, sizeof(id), "%s.%" PRIu64, opts->target_id,
				 dsp_ledger_seq(opts->ledger) + 1);
			fo.target_id = id;
			fo.resume = false;	/* a resumed tree re-walks what is left */
			r = erase_file_at(top->fd, de->d_name, child, &fo, opts->target_id, &fr, -1);
			res->bytes_written += fr.bytes_written;
			res->bytes_verified += fr.bytes_verified;
			res->mismatches += fr.mismatches;
			res->bad_bytes += fr.bad_bytes;
			res->bad_ranges += fr.bad_ranges;
			if (r == DSP_INTERRUPTED) {
				cancelled = true;
				top->kept = true;
			} else if (r < 0) {
				dsp_log(DSP_LOG_ERROR, "%s: %s", child, strerror(-r));
				tree_event(opts, "file_failed", child, strerror(-r));
				top->kept = true;
			} else {
				res->files++;
			}
			status = worst(status, r);
		}
		free(child);
	}
done:
	close(pfd);
	free(stack);
	f = json_object_new_object();
	json_object_object_add(f, "status", json_object_new_string(
		status == 0 ? "success" : status == DSP_INTERRUPTED ? "interrupted" :
		status < 0 ? "failed" : "completed-with-errors"));
	if (status < 0)
		json_object_object_add(f, "error", json_object_new_string(strerror(-status)));
	json_object_object_add(f, "files", json_object_new_int((int)res->files));
	json_object_object_add(f, "dirs", json_object_new_int((int)res->dirs));
	json_object_object_add(f, "bytes_written", json_object_new_int64((int64_t)res->bytes_written));
	json_object_object_add(f, "bytes_verified", json_object_new_int64((int64_t)res->bytes_verified));
	json_object_object_add(f, "mismatches", json_object_new_int64((int64_t)res->mismatches));
	json_object_object_add(f, "bad_bytes", json_object_new_int64((int64_t)res->bad_bytes));
	json_object_object_add(f, "nist_category", json_object_new_string("none"));
	cav = json_object_new_array();
	json_object_array_add(cav, json_object_new_string(
		"file-level overwrite is partial sanitization (NIST SP 800-88r2 4.2), not a NIST "
		"Clear, Purge or Destroy of any medium; copies in journals, snapshots, backups, "
		"flash spare areas or replicas are not addressed"));
	if (erase_fstype_cow(fstype))
		json_object_array_add(cav, json_object_new_string(
			"copy-on-write/log-structured filesystem (btrfs, zfs, f2fs, nilfs): the "
			"overwrite is written to new blocks and the old data may remain"));
	json_object_object_add(f, "caveats", cav);
	event(opts, opts->target_id, "target_end", f, 1);
	dsp_audit("%s: tree erase %s (%u files, %u dirs), target %s", path,
		  status == 0 ? "success" : "finished with errors", res->files, res->dirs,
		  opts->target_id);
	return status;
}
