/* SPDX-License-Identifier: MIT */
/* target.c - file and tree targets: opened once without following a symlink, held to the erase */
#include "erase_int.h"
#include "target_int.h"
#include "dispose/ledger.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#define SCAN_MAX_DEPTH	256	/* as the erase walk: each level holds a directory fd */

#ifdef DSP_TEST_HOOKS
int dsp_erase_test_no_openat2;
#endif

/* Component by component from / or the working directory, O_NOFOLLOW each. */
static int walk_strict(const char *path, int oflags)
{
	char *copy = strdup(path), *save = NULL, *comp, *next;
	int dfd, r = 0;

	if (!copy)
		return -ENOMEM;
	dfd = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		free(copy);
		return r;
	}
	comp = strtok_r(copy, "/", &save);
	if (!comp) {
		/* "/" itself */
		r = openat(dfd, ".", oflags | O_CLOEXEC);
		if (r < 0)
			r = -errno;
	}
	while (comp) {
		next = strtok_r(NULL, "/", &save);
		if (next) {
			struct stat st;
			int nfd = openat(dfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);

			if (nfd < 0) {
				r = -errno;
				break;
			}
			if (fstat(nfd, &st) < 0)
				r = -errno;
			else if (S_ISLNK(st.st_mode))
				r = -ELOOP;
			else if (!S_ISDIR(st.st_mode))
				r = -ENOTDIR;
			close(dfd);
			dfd = nfd;
			if (r)
				break;
		} else {
			struct stat st;

			r = openat(dfd, comp, oflags | O_NOFOLLOW | O_CLOEXEC);
			/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR */
			if (r < 0 && errno == ENOTDIR &&
			    fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				errno = ELOOP;
			if (r < 0)
				r = -errno;
		}
		comp = next;
	}
	close(dfd);
	free(copy);
	return r;
}

int target_resolve(const char *path, int oflags)
{
	struct open_how how = {
		.flags = (uint64_t)(oflags | O_CLOEXEC),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

#ifdef DSP_TEST_HOOKS
	if (dsp_erase_test_no_openat2)
		return walk_strict(path, oflags);
#endif
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd >= 0)
		return fd;
	/* kernels before 5.6, or a seccomp filter that does not know it */
	if (errno == ENOSYS || errno == EPERM)
		return walk_strict(path, oflags);
	return -errno;
}

/* For the message only: the first component of path that is a symlink. */
static void find_link(const char *path, char *link, size_t len)
{
	char *p = strdup(path);
	struct stat st;
	size_t n;

	if (!link || !len)
		goto out;
	link[0] = '\0';
	if (!p)
		goto out;
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (size_t i = 1; i <= n; i++) {
		char c = p[i];

		if (c != '/' && c != '\0')
			continue;
		p[i] = '\0';
		if (lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
			snprintf(link, len, "%s", p);
			break;
		}
		p[i] = c;
	}
out:
	free(p);
}

/* The name under which dirfd holds st (for "." or ".." targets). */
static char *name_in(int dirfd, const struct stat *st)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char *name = NULL;
	struct stat x;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (!name && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_ino == st->st_ino &&
		    fstatat(dirfd, de->d_name, &x, AT_SYMLINK_NOFOLLOW) == 0 &&
		    x.st_dev == st->st_dev && x.st_ino == st->st_ino)
			name = strdup(de->d_name);
	}
	closedir(d);
	return name;
}

/* The root of a mount (bind mounts keep st_dev: the mount id tells). */
static bool is_mount_root(int fd, int dirfd, const struct stat *st)
{
	struct statx a, b;
	struct stat pst;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &a) == 0) {
		if ((a.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
		    (a.stx_attributes & STATX_ATTR_MOUNT_ROOT))
			return true;
		if (dirfd >= 0 && statx(dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) == 0 &&
		    (a.stx_mask & b.stx_mask & STATX_MNT_ID) && a.stx_mnt_id != b.stx_mnt_id)
			return true;
	}
	return dirfd >= 0 && S_ISDIR(st->st_mode) && fstat(dirfd, &pst) == 0 &&
	       (pst.st_dev != st->st_dev || pst.st_ino == st->st_ino);
}

void dsp_erase_target_close(struct dsp_erase_target *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->name);
	free(t->path);
	free(t->display);
	free(t);
}

int dsp_erase_target_open(const char *path, const char *display,
			  struct dsp_erase_target **out, char *link, size_t linklen)
{
	struct dsp_erase_target *t;
	char *p = NULL, *slash;
	const char *dir, *base;
	struct stat root;
	bool trailing = false;
	size_t n;
	int r = 0;

	if (link && linklen)
		link[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path || !*path)
		return -ENOENT;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = t->dirfd = -1;
	t->path = strdup(path);
	t->display = strdup(display ? display : path);
	p = strdup(path);
	if (!t->path || !t->display || !p) {
		r = -ENOMEM;
		goto fail;
	}
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/') {
		p[--n] = '\0';
		trailing = true;
	}
	if (!strcmp(p, "/")) {
		dir = NULL;
		base = "/";
		r = target_resolve("/", O_PATH | O_NOFOLLOW);
	} else {
		slash = strrchr(p, '/');
		if (!slash) {
			dir = ".";
			base = p;
		} else if (slash == p) {
			dir = "/";
			base = p + 1;
		} else {
			*slash = '\0';
			dir = p;
			base = slash + 1;
		}
		t->dirfd = target_resolve(dir, O_RDONLY | O_DIRECTORY);
		if (t->dirfd < 0) {
			r = t->dirfd;
			t->dirfd = -1;
			if (r == -ELOOP)
				find_link(dir, link, linklen);
			goto fail;
		}
		r = openat(t->dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (r < 0)
			r = -errno;
	}
	if (r < 0)
		goto fail;
	t->fd = r;
	r = 0;
	if (fstat(t->fd, &t->st) < 0) {
		r = -errno;
		goto fail;
	}
	if (S_ISLNK(t->st.st_mode)) {
		if (link && linklen)
			snprintf(link, linklen, "%s", path);
		r = -ELOOP;
		goto fail;
	}
	if (!S_ISREG(t->st.st_mode) && !S_ISDIR(t->st.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	if (trailing && !S_ISDIR(t->st.st_mode)) {
		r = -ENOTDIR;
		goto fail;
	}
	if (stat("/", &root) == 0 && root.st_dev == t->st.st_dev && root.st_ino == t->st.st_ino) {
		t->info.fs_root = true;
		if (t->dirfd >= 0)
			close(t->dirfd);
		t->dirfd = -1;
		t->name = strdup("/");
	} else if (!strcmp(base, ".") || !strcmp(base, "..")) {
		/* "tree/.." names a directory by another: find its parent and name */
		int pfd = openat(t->fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (pfd < 0) {
			r = -errno;
			goto fail;
		}
		close(t->dirfd);
		t->dirfd = pfd;
		t->name = name_in(pfd, &t->st);
		if (!t->name) {
			r = -ENOENT;
			goto fail;
		}
	} else {
		t->name = strdup(base);
	}
	if (!t->name) {
		r = -ENOMEM;
		goto fail;
	}
	t->info.dir = S_ISDIR(t->st.st_mode);
	t->info.dev = t->st.st_dev;
	t->info.ino = t->st.st_ino;
	t->info.nlink = (uint64_t)t->st.st_nlink;
	t->info.size = t->info.dir ? 0 : (uint64_t)t->st.st_size;
	t->info.mount_root = !t->info.fs_root && is_mount_root(t->fd, t->dirfd, &t->st);
	free(p);
	*out = t;
	return 0;
fail:
	free(p);
	dsp_erase_target_close(t);
	return r;
}

const struct dsp_erase_target_info *dsp_erase_target_info(const struct dsp_erase_target *t)
{
	return &t->info;
}

int dsp_erase_target_realpath(const struct dsp_erase_target *t, char *buf, size_t len)
{
	char proc[64], tmp[PATH_MAX];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
	n = readlink(proc, buf, len - 1);
	if (n > 0 && (size_t)n < len - 1 && buf[0] == '/') {
		buf[n] = '\0';
		return 0;
	}
	/* no /proc: the path has no symlinks, so this is the same object */
	if (!realpath(t->path, tmp))
		return -errno;
	if ((size_t)snprintf(buf, len, "%s", tmp) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int dsp_erase_target_recheck(const struct dsp_erase_target *t)
{
	struct stat st;
	int fd, r = 0;

	fd = target_resolve(t->path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd == -ENOENT || fd == -ENOTDIR ? -ESTALE : fd;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (st.st_dev != t->st.st_dev || st.st_ino != t->st.st_ino)
		r = -ESTALE;
	close(fd);
	if (r)
		return r;
	/* the name the erase renames and removes */
	if (t->dirfd >= 0 && (fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			      st.st_dev != t->st.st_dev || st.st_ino != t->st.st_ino))
		return -ESTALE;
	return 0;
}

/* ---- the run record's own objects ---- */

static void guard_add(struct dsp_erase_guard *g, const struct stat *st)
{
	if (g->n < DSP_ERASE_GUARD_MAX && !dsp_erase_guard_has(g, st)) {
		g->obj[g->n].dev = st->st_dev;
		g->obj[g->n].ino = st->st_ino;
		g->obj[g->n].dir = S_ISDIR(st->st_mode);
		g->n++;
	}
}

int dsp_erase_guard_load(const char *run_dir, struct dsp_erase_guard *g)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	memset(g, 0, sizeof(*g));
	if (!run_dir)
		return 0;
	fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !(d = fdopendir(fd))) {
		int r = -errno;

		close(fd);
		return r;
	}
	guard_add(g, &st);
	/* the record first: it must be guarded whatever else the directory holds */
	if (fstatat(fd, DSP_LEDGER_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		guard_add(g, &st);
	while ((de = readdir(d)))
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			guard_add(g, &st);
	closedir(d);
	return 0;
}

bool dsp_erase_guard_has(const struct dsp_erase_guard *g, const struct stat *st)
{
	for (size_t i = 0; g && i < g->n; i++)
		if (g->obj[i].dev == st->st_dev && g->obj[i].ino == st->st_ino)
			return true;
	return false;
}

/* The deepest existing directory on the way to path (a run directory not made yet). */
static int open_existing(const char *path)
{
	char *p = strdup(path), *s;
	int fd;

	if (!p)
		return -ENOMEM;
	for (;;) {
		fd = open(p[0] ? p : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 || (errno != ENOENT && errno != ENOTDIR) || !p[0])
			break;
		s = strrchr(p, '/');
		if (!s)
			p[0] = '\0';
		else if (s == p)
			p[1] = '\0';
		else
			*s = '\0';
	}
	if (fd < 0)
		fd = -errno;
	free(p);
	return fd;
}

int dsp_erase_target_holds_run(const struct dsp_erase_target *t, const char *run_dir)
{
	struct dsp_erase_guard g;
	struct stat st, up;
	int fd, r;

	if (!t || !run_dir)
		return 0;
	if (!t->info.dir) {
		r = dsp_erase_guard_load(run_dir, &g);
		return r < 0 ? r : dsp_erase_guard_has(&g, &t->st);
	}
	/* up the physical ".." chain: symlinks and bind mounts lead no elsewhere */
	fd = open_existing(run_dir);
	if (fd < 0)
		return fd;
	r = 0;
	for (int depth = 0; depth < 4096 && r == 0; depth++) {
		int pfd;

		if (fstat(fd, &st) < 0) {
			r = -errno;
			break;
		}
		if (st.st_dev == t->st.st_dev && st.st_ino == t->st.st_ino) {
			r = 1;
			break;
		}
		pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0) {
			r = -errno;
			break;
		}
		if (fstat(pfd, &up) < 0) {
			r = -errno;
			close(pfd);
			break;
		}
		close(fd);
		fd = pfd;
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break;	/* "/" */
	}
	close(fd);
	return r;
}

/* ---- the inode table ---- */

static size_t ino_hash(uint64_t dev, uint64_t ino, size_t cap)
{
	uint64_t h = (ino ^ (dev * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;

	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

struct ino_ent *ino_get(struct ino_tab *t, uint64_t dev, uint64_t ino, bool create)
{
	size_t i;

	if (!ino)
		return NULL;
	if (create && (t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct ino_ent *v = calloc(cap, sizeof(*v));

		if (!v)
			return NULL;
		for (size_t k = 0; k < t->cap; k++) {
			if (!t->v[k].ino)
				continue;
			for (i = ino_hash(t->v[k].dev, t->v[k].ino, cap); v[i].ino; i = (i + 1) & (cap - 1))
				;
			v[i] = t->v[k];
		}
		free(t->v);
		t->v = v;
		t->cap = cap;
	}
	if (!t->cap)
		return NULL;
	for (i = ino_hash(dev, ino, t->cap); t->v[i].ino; i = (i + 1) & (t->cap - 1))
		if (t->v[i].ino == ino && t->v[i].dev == dev)
			return &t->v[i];
	if (!create)
		return NULL;
	t->v[i].dev = dev;
	t->v[i].ino = ino;
	t->n++;
	return &t->v[i];
}

void ino_free(struct ino_tab *t)
{
	for (size_t k = 0; k < t->cap; k++)
		free(t->v[k].path);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- the read-only scan (checks and dry run) ---- */

struct scan_frame {
	DIR *d;
	char *path;
};

uint64_t mnt_id_at(int dirfd, const char *name)
{
	struct statx sx;

	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		  STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		return 0;
	return sx.stx_mnt_id;
}

static int scan_skip(dsp_erase_skip_fn fn, void *arg, struct dsp_erase_scan *out,
		     const char *dir, const char *name, const char *reason)
{
	char *path;
	int r;

	out->skipped++;
	if (!fn)
		return 0;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	r = fn(path, reason, arg);
	free(path);
	return r;
}

/* The scan, and what the erase walk will skip, with the reason its record will give. */
static int scan_tree(const struct dsp_erase_target *t, dsp_erase_scan_fn file_fn,
		     dsp_erase_scan_fn shared_fn, dsp_erase_skip_fn skip_fn, void *arg,
		     struct dsp_erase_scan *out)
{
	struct dsp_erase_scan dummy;
	struct scan_frame *stack;
	struct ino_tab tab = { 0 };
	uint64_t root_mnt;
	size_t n = 0;
	int fd, r = 0;

	if (!out)
		out = &dummy;
	memset(out, 0, sizeof(*out));
	if (!t || !t->info.dir)
		return -ENOTDIR;
	fd = openat(t->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	root_mnt = mnt_id_at(fd, "");
	stack = calloc(SCAN_MAX_DEPTH, sizeof(*stack));
	if (!stack || !(stack[0].d = fdopendir(fd)) || !(stack[0].path = strdup(t->display))) {
		if (stack && stack[0].d)
			closedir(stack[0].d);
		else
			close(fd);
		free(stack);
		return -ENOMEM;
	}
	n = 1;
	out->dirs = 1;
	while (n && !r) {
		struct scan_frame *top = &stack[n - 1];
		struct dirent *de;
		struct stat st;
		char *child;
		uint64_t mid;

		errno = 0;
		de = readdir(top->d);
		if (!de) {
			if (errno)
				out->skipped++;
			closedir(top->d);
			free(top->path);
			n--;
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(top->d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = scan_skip(skip_fn, arg, out, top->path, de->d_name, strerror(errno));
			continue;
		}
		mid = root_mnt ? mnt_id_at(dirfd(top->d), de->d_name) : 0;
		if (st.st_dev != t->st.st_dev || (mid && mid != root_mnt)) {
			r = scan_skip(skip_fn, arg, out, top->path, de->d_name,
				      "mount point: other filesystem");
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		if (asprintf(&child, "%s/%s", top->path, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int cfd = -1, err = 0;
			struct stat cst;

			if (n < SCAN_MAX_DEPTH)
				cfd = openat(dirfd(top->d), de->d_name,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			err = cfd < 0 ? errno : 0;
			if (cfd >= 0 && (fstat(cfd, &cst) < 0 || cst.st_ino != st.st_ino ||
					 cst.st_dev != st.st_dev || !(stack[n].d = fdopendir(cfd)))) {
				close(cfd);
				cfd = -1;
				err = ESTALE;
			}
			if (cfd < 0) {
				/* the reasons the walk's "skipped" events give */
				r = scan_skip(skip_fn, arg, out, top->path, de->d_name,
					      n >= SCAN_MAX_DEPTH ? "too deep" : err == ESTALE ?
					      "replaced after it was checked" : strerror(err));
				free(child);
				continue;
			}
			stack[n++].path = child;
			out->dirs++;
			continue;
		}
		out->files++;
		if (file_fn)
			r = file_fn(child, &st, 0, arg);
		if (st.st_nlink <= 1) {
			out->bytes += (uint64_t)st.st_size;
		} else if (!r) {
			struct ino_ent *e = ino_get(&tab, st.st_dev, st.st_ino, true);

			if (!e) {
				r = -ENOMEM;
			} else if (!e->names++) {
				/* its bytes once, however many names it has here */
				out->bytes += (uint64_t)st.st_size;
				e->size = (uint64_t)st.st_size;
				e->nlink = (uint64_t)st.st_nlink;
				e->path = child;
				child = NULL;
			}
		}
		free(child);
	}
	while (n) {
		closedir(stack[n - 1].d);
		free(stack[n - 1].path);
		n--;
	}
	free(stack);
	for (size_t k = 0; k < tab.cap && !r; k++) {
		struct ino_ent *e = &tab.v[k];

		if (!e->ino || e->names >= e->nlink)
			continue;
		out->shared++;
		out->shared_bytes += e->size;
		if (shared_fn) {
			struct stat st = { .st_dev = (dev_t)e->dev, .st_ino = (ino_t)e->ino,
					   .st_nlink = (nlink_t)e->nlink, .st_size = (off_t)e->size,
					   .st_mode = S_IFREG };

			r = shared_fn(e->path, &st, e->names, arg);
		}
	}
	ino_free(&tab);
	return r;
}

int dsp_erase_tree_scan(const struct dsp_erase_target *t, dsp_erase_scan_fn file_fn,
			dsp_erase_scan_fn shared_fn, void *arg, struct dsp_erase_scan *out)
{
	return scan_tree(t, file_fn, shared_fn, NULL, arg, out);
}

int dsp_erase_tree_skips(const struct dsp_erase_target *t, dsp_erase_skip_fn skip_fn, void *arg)
{
	struct dsp_erase_scan sc;

	return scan_tree(t, NULL, NULL, skip_fn, arg, &sc);
}

/* ---- one file reached from two targets of a run ---- */

struct share_ctx {
	struct ino_tab *tab;
	unsigned idx;		/* this target's index + 1 */
	size_t first;		/* on a hit: the earlier target */
	char *a, *b;		/* on a hit: its name there, the name here */
};

static int share_note(const char *path, const struct stat *st, unsigned names, void *arg)
{
	struct share_ctx *c = arg;
	struct ino_ent *e;

	(void)names;
	if (st->st_nlink <= 1)
		return 0;
	e = ino_get(c->tab, st->st_dev, st->st_ino, true);
	if (!e)
		return -ENOMEM;
	if (!e->names) {
		e->names = c->idx;
		if (!(e->path = strdup(path)))
			return -ENOMEM;
		return 0;
	}
	if (e->names == c->idx)
		return 0;
	c->first = e->names - 1;
	c->a = strdup(e->path);
	c->b = strdup(path);
	return c->a && c->b ? 1 : -ENOMEM;
}

int dsp_erase_targets_share(struct dsp_erase_target *const *t, size_t n, size_t *ia,
			    char **a, size_t *ib, char **b)
{
	struct ino_tab tab = { 0 };
	struct share_ctx c = { .tab = &tab };
	int r = 0;

	*a = *b = NULL;
	for (size_t i = 0; i < n && !r; i++) {
		if (!t[i])
			continue;
		c.idx = (unsigned)i + 1;
		if (t[i]->info.dir)
			r = dsp_erase_tree_scan(t[i], share_note, NULL, &c, NULL);
		else
			r = share_note(t[i]->display, &t[i]->st, 0, &c);
		if (r) {	/* the one that failed, or the second of a pair */
			*ia = r == 1 ? c.first : i;
			*ib = i;
		}
	}
	ino_free(&tab);
	if (r != 1) {
		free(c.a);
		free(c.b);
		return r;
	}
	*a = c.a;
	*b = c.b;
	return 1;
}
