/* SPDX-License-Identifier: MIT */
/* usage.c - what uses a block device: mounts, root, swap, holders, loop devices, the medium below it */
#include "device_int.h"
#include "dispose/common.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_HOLDER_DEPTH 8

/* ---- in use ---- */

struct mnt {
	dev_t dev;		/* the block device */
	dev_t raw;		/* as mountinfo says (0:N for btrfs) */
	char *mountpoint;
};

/* An attached loop device and what it reads and writes. */
struct loopback {
	char name[64];
	dev_t devno;		/* the loop device itself */
	bool blk;		/* backed by a block device ... */
	dev_t backing;		/* ... with this number */
	dev_t fdev;		/* else a regular file: its st_dev and st_ino */
	ino_t fino;
	uint64_t offset;	/* where its first byte lies in what backs it */
};

struct dsp_blkdev_snap {
	char *root;		/* NULL: the running system */
	struct mnt *mounts;
	size_t nmounts;
	dev_t *swaps;
	size_t nswaps;
	dev_t root_raw;		/* raw device of the top "/" mount */
	bool have_root;
	struct loopback *loops;
	size_t nloops;
};

void dsp_blkdev_snap_free(struct dsp_blkdev_snap *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nmounts; i++)
		free(s->mounts[i].mountpoint);
	free(s->mounts);
	free(s->swaps);
	free(s->loops);
	free(s->root);
	free(s);
}

static int grow(void **arr, size_t n, size_t size)
{
	void *p;

	/* capacity doubles at every power of two: n is the count so far */
	if (n && (n & (n - 1)))
		return 0;
	p = realloc(*arr, (n ? n * 2 : 1) * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

/*
 * The block device a /dev path names under root: the node's number; in a
 * fake root (no device nodes there) the sysfs entry of its name.
 */
static int node_devno(const char *root, const char *path, dev_t *d)
{
	char full[PATH_MAX];
	const char *base;
	struct stat st;

	if (dev_fmt(full, sizeof(full), "%s%s", R(root), path))
		return -ENAMETOOLONG;
	if (stat(full, &st) == 0 && S_ISBLK(st.st_mode)) {
		*d = st.st_rdev;
		return 0;
	}
	if (!root || !root[0] || strncmp(path, "/dev/", 5))
		return -ENOTBLK;
	base = strrchr(path, '/') + 1;
	if (!dev_valid_name(base))
		return -ENOTBLK;
	return dev_name_devno(root, base, d);
}

static int add_mount(struct dsp_blkdev_snap *s, dev_t d, dev_t raw, const char *mountpoint)
{
	char *mp;

	if (grow((void **)&s->mounts, s->nmounts, sizeof(*s->mounts)))
		return -ENOMEM;
	mp = strdup(mountpoint);
	if (!mp)
		return -ENOMEM;
	s->mounts[s->nmounts].dev = d;
	s->mounts[s->nmounts].raw = raw;
	s->mounts[s->nmounts].mountpoint = mp;
	s->nmounts++;
	return 0;
}

static int snap_mount(const struct dsp_mountinfo_entry *e, void *arg)
{
	struct dsp_blkdev_snap *s = arg;
	dev_t raw = makedev(e->major, e->minor), d = raw;

	/*
	 * btrfs and some others report an anonymous 0:N device; the source
	 * names the real block device then.
	 */
	if (e->major == 0) {
		if (e->source[0] != '/' || node_devno(s->root, e->source, &d) < 0)
			return 0;
	}
	if (!strcmp(e->mountpoint, "/")) {
		s->root_raw = raw;	/* the last "/" is the one on top */
		s->have_root = true;
	}
	return add_mount(s, d, raw, e->mountpoint);
}

/*
 * A multi-device btrfs names one member in mountinfo; the others are only
 * listed in /sys/fs/btrfs/FSID/devices/. Every member carries the mounts.
 */
static int snap_btrfs(struct dsp_blkdev_snap *s)
{
	char path[PATH_MAX];
	struct dirent *fe, *de;
	dev_t members[64];
	size_t n, i, j, k, nm;
	DIR *fs, *dir;
	int r = 0;

	if (dev_fmt(path, sizeof(path), "%s/sys/fs/btrfs", R(s->root)))
		return -ENAMETOOLONG;
	fs = opendir(path);
	if (!fs)
		return 0;	/* no btrfs in this kernel */
	while (!r && (fe = readdir(fs))) {
		if (!dev_valid_name(fe->d_name) ||
		    dev_fmt(path, sizeof(path), "%s/sys/fs/btrfs/%s/devices", R(s->root), fe->d_name))
			continue;
		dir = opendir(path);
		if (!dir)
			continue;
		n = 0;
		while ((de = readdir(dir)) && n < DSP_ARRAY_SIZE(members))
			if (dev_valid_name(de->d_name) && !dev_name_devno(s->root, de->d_name, &members[n]))
				n++;
		closedir(dir);
		if (n < 2)
			continue;
		nm = s->nmounts;	/* only the mounts from mountinfo */
		for (i = 0; i < nm && !r; i++) {
			for (j = 0; j < n && s->mounts[i].dev != members[j]; j++)
				;
			if (j == n)
				continue;
			for (k = 0; k < n && !r; k++)
				if (k != j)
					r = add_mount(s, members[k], s->mounts[i].raw,
						      s->mounts[i].mountpoint);
		}
	}
	closedir(fs);
	return r;
}

static int add_swap(struct dsp_blkdev_snap *s, dev_t d)
{
	if (grow((void **)&s->swaps, s->nswaps, sizeof(*s->swaps)))
		return -ENOMEM;
	s->swaps[s->nswaps++] = d;
	return 0;
}

static int snap_swap(const char *path, const char *type, void *arg)
{
	struct dsp_blkdev_snap *s = arg;
	char full[PATH_MAX];
	struct stat st;
	size_t i;
	dev_t d;

	(void)type;
	if (node_devno(s->root, path, &d) == 0)
		return add_swap(s, d);
	if (dev_fmt(full, sizeof(full), "%s%s", R(s->root), path) || stat(full, &st) < 0)
		return 0;	/* a deleted swap file: its fs is still mounted */
	/*
	 * A swap file pins the filesystem it lives on: every device of the
	 * mount whose raw device the file reports (0:N on btrfs).
	 */
	d = st.st_dev;
	for (i = 0; i < s->nmounts; i++)
		if (s->mounts[i].raw == d && s->mounts[i].dev != d && add_swap(s, s->mounts[i].dev))
			return -ENOMEM;
	return add_swap(s, d);
}

/*
 * What the attached loop device name reads and writes. The kernel's view
 * (LOOP_GET_STATUS64) first: the path in sysfs may name another file by
 * now, or none (deleted, unmounted lazily, another namespace). -ENOENT when
 * not attached or nothing is known.
 */
static int loop_backing(const char *root, const char *name, struct loopback *lb)
{
	char bf[PATH_MAX], node[PATH_MAX], dev[PATH_MAX], full[PATH_MAX];
	struct loop_info64 li;
	struct stat st;
	uint64_t v;
	int fd;

	memset(lb, 0, sizeof(*lb));
	dev_copy(lb->name, sizeof(lb->name), name);
	if (dev_name_devno(root, name, &lb->devno) < 0 ||
	    dev_read_attr(root, name, "loop/backing_file", bf, sizeof(bf)))
		return -ENOENT;
	dsp_blkdev_devpath(name, dev, sizeof(dev));
	if (dev_fmt(node, sizeof(node), "%s%s", R(root), dev))
		return -ENOENT;
	/* read-only, no I/O: only the status ioctl, as losetup does */
	fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd >= 0) {
		bool got = fstat(fd, &st) == 0 && S_ISBLK(st.st_mode) &&
			   st.st_rdev == lb->devno && ioctl(fd, LOOP_GET_STATUS64, &li) == 0;

		close(fd);
		if (got) {
			/* the kernel encodes both like a user-space dev_t */
			lb->blk = li.lo_rdevice != 0;
			lb->backing = (dev_t)li.lo_rdevice;
			lb->fdev = (dev_t)li.lo_device;
			lb->fino = (ino_t)li.lo_inode;
			lb->offset = li.lo_offset;
			return 0;
		}
	}
	if (dev_read_u64(root, name, "loop/offset", &v) == 0)
		lb->offset = v;
	if (node_devno(root, bf, &lb->backing) == 0) {
		lb->blk = true;
		return 0;
	}
	if (dev_fmt(full, sizeof(full), "%s%s", R(root), bf) || stat(full, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return -ENOENT;
	lb->fdev = st.st_dev;
	lb->fino = st.st_ino;
	return 0;
}

/* Call fn for each attached loop device whose backing is known. */
static int for_each_loop(const char *root, int (*fn)(const struct loopback *lb, void *arg),
			 void *arg)
{
	char path[PATH_MAX];
	struct loopback lb;
	struct dirent *de;
	DIR *dir;
	int r = 0;

	if (dev_fmt(path, sizeof(path), "%s" SYS_BLOCK, R(root)))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (!r && (de = readdir(dir))) {
		if (strncmp(de->d_name, "loop", 4) || !dev_valid_name(de->d_name) ||
		    !dev_attr_exists(root, de->d_name, "loop"))
			continue;
		if (loop_backing(root, de->d_name, &lb) < 0)
			continue;
		r = fn(&lb, arg);
	}
	closedir(dir);
	return r;
}

static int snap_loop(const struct loopback *lb, void *arg)
{
	struct dsp_blkdev_snap *s = arg;

	if (grow((void **)&s->loops, s->nloops, sizeof(*s->loops)))
		return -ENOMEM;
	s->loops[s->nloops++] = *lb;
	return 0;
}

/* Loop devices do not appear in holders/ of what backs them. */
static int snap_loops(struct dsp_blkdev_snap *s)
{
	return for_each_loop(s->root, snap_loop, s);
}

int dsp_blkdev_snap_new(struct dsp_blkdev_snap **out)
{
	return dsp_device_snap_new(NULL, out);
}

int dsp_device_snap_new(const char *root, struct dsp_blkdev_snap **out)
{
	struct dsp_blkdev_snap *s;
	char *text = NULL, path[PATH_MAX];
	size_t len;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (root && root[0] && !(s->root = strdup(root))) {
		free(s);
		return -ENOMEM;
	}
	r = dev_fmt(path, sizeof(path), "%s/proc/self/mountinfo", R(root));
	if (!r)
		r = dev_read_all(path, &text, &len);
	if (!r)
		r = dsp_blkdev_parse_mountinfo(text, len, snap_mount, s);
	free(text);
	text = NULL;
	if (!r)
		r = snap_btrfs(s);
	if (!r) {
		r = dev_fmt(path, sizeof(path), "%s/proc/swaps", R(root));
		if (!r)
			r = dev_read_all(path, &text, &len);
		/* no /proc/swaps: a kernel without swap support */
		if (r == -ENOENT)
			r = 0;
		else if (!r)
			r = dsp_blkdev_parse_swaps(text, len, snap_swap, s);
		free(text);
	}
	if (!r)
		r = snap_loops(s);
	if (r) {
		dsp_blkdev_snap_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int dsp_blkdev_snap_mounts(const struct dsp_blkdev_snap *s, dev_t devno,
			   dsp_blkdev_mnt_fn fn, void *arg)
{
	size_t i;
	int r;

	for (i = 0; i < s->nmounts; i++)
		if (s->mounts[i].dev == devno) {
			r = fn(s->mounts[i].mountpoint, arg);
			if (r)
				return r;
		}
	return 0;
}

bool dsp_blkdev_snap_swap(const struct dsp_blkdev_snap *s, dev_t devno)
{
	size_t i;

	for (i = 0; i < s->nswaps; i++)
		if (s->swaps[i] == devno)
			return true;
	return false;
}

bool dsp_blkdev_snap_is_root(const struct dsp_blkdev_snap *s, dev_t devno)
{
	size_t i;

	if (!s->have_root)
		return false;
	for (i = 0; i < s->nmounts; i++)
		if (s->mounts[i].raw == s->root_raw && !strcmp(s->mounts[i].mountpoint, "/") &&
		    s->mounts[i].dev == devno)
			return true;
	return false;
}

/* fn(each holder sysfs lists for name) until it returns non-zero: that, 0 or -errno. */
static int sysfs_holders(const struct dsp_blkdev_snap *s, const char *name,
			 dsp_blkdev_name_fn fn, void *arg)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int r = 0;

	dev_fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/holders", R(s->root), name);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while (!r && (de = readdir(dir)))
		if (dev_valid_name(de->d_name))
			r = fn(de->d_name, arg);
	closedir(dir);
	return r;
}

int dsp_blkdev_snap_holders(const struct dsp_blkdev_snap *s, const char *name,
			    dsp_blkdev_name_fn fn, void *arg)
{
	size_t i;
	dev_t d;
	int r;

	if (!dev_valid_name(name))
		return -EINVAL;
	r = dev_name_devno(s->root, name, &d);
	if (r < 0)
		return r;
	for (i = 0; i < s->nloops; i++)
		if (s->loops[i].blk && s->loops[i].backing == d) {
			r = fn(s->loops[i].name, arg);
			if (r)
				return r;
		}
	return sysfs_holders(s, name, fn, arg);
}

static bool in_chain(const struct dsp_blkdev_medium *m, dev_t d)
{
	for (unsigned i = 0; m && i < m->nchain; i++)
		if (m->chain[i] == d)
			return true;
	return false;
}

/* Does the regular file behind lb live on the filesystem of device d? */
static bool file_on(const struct dsp_blkdev_snap *s, const struct loopback *lb, dev_t d)
{
	if (lb->blk)
		return false;
	if (lb->fdev == d)
		return true;
	/* btrfs and others report an anonymous 0:N st_dev: the mounts map it */
	for (size_t i = 0; i < s->nmounts; i++)
		if (s->mounts[i].raw == lb->fdev && s->mounts[i].dev == d)
			return true;
	return false;
}

/*
 * Check name and, recursively, what holds it. top is the device of the tree
 * (the target, its disk or a partition) the walk started from. Loop devices
 * on the target's own way down (m, may be NULL) are not its holders.
 */
struct node_walk {
	const struct dsp_blkdev_snap *s;
	const struct dsp_blkdev_medium *m;
	const char *top, *name;
	int depth;
	struct dsp_blkdev_use *u;
};

static int check_node(const struct dsp_blkdev_snap *s, const struct dsp_blkdev_medium *m,
		      const char *top, const char *name, int depth, struct dsp_blkdev_use *u);

static int check_holder(const char *holder, void *arg)
{
	const struct node_walk *w = arg;
	struct dsp_blkdev_use *u = w->u;
	int r;

	if (!u->has_holders) {
		u->has_holders = true;
		dev_copy(u->holder, sizeof(u->holder), holder);
		dev_copy(u->held_dev, sizeof(u->held_dev), w->name);
	}
	r = check_node(w->s, w->m, w->top, holder, w->depth + 1, u);
	/* a holder that vanished while we looked is gone */
	return r < 0 && r != -ENOENT ? r : 0;
}

static int check_node(const struct dsp_blkdev_snap *s, const struct dsp_blkdev_medium *m,
		      const char *top, const char *name, int depth, struct dsp_blkdev_use *u)
{
	struct node_walk w = { s, m, top, name, depth, u };
	size_t i;
	dev_t d;
	int r;

	if (depth > MAX_HOLDER_DEPTH)
		return -ELOOP;
	r = dev_name_devno(s->root, name, &d);
	if (r < 0)
		return r;
	for (i = 0; i < s->nmounts; i++)
		if (s->mounts[i].dev == d && !u->mounted) {
			u->mounted = true;
			dev_copy(u->mountpoint, sizeof(u->mountpoint), s->mounts[i].mountpoint);
			dev_copy(u->mounted_dev, sizeof(u->mounted_dev), name);
		}
	if (dsp_blkdev_snap_is_root(s, d) && !u->holds_root) {
		u->holds_root = true;
		dev_copy(u->root_dev, sizeof(u->root_dev), top);
	}
	if (dsp_blkdev_snap_swap(s, d) && !u->swap_active) {
		u->swap_active = true;
		dev_copy(u->swap_dev, sizeof(u->swap_dev), name);
	}

	/*
	 * A loop device over it, or over a file on its filesystem (which may
	 * be unmounted lazily and so be in no mount table), holds it.
	 */
	for (i = 0; i < s->nloops; i++) {
		const struct loopback *lb = &s->loops[i];

		if (!(lb->blk ? lb->backing == d : file_on(s, lb, d)) || in_chain(m, lb->devno))
			continue;
		if (!u->has_holders) {
			u->has_holders = true;
			dev_copy(u->holder, sizeof(u->holder), lb->name);
			dev_copy(u->held_dev, sizeof(u->held_dev), name);
		}
		r = check_node(s, m, top, lb->name, depth + 1, u);
		if (r < 0 && r != -ENOENT)
			return r;
	}

	return sysfs_holders(s, name, check_holder, &w);
}

static int check_tree(const struct dsp_blkdev_snap *s, const char *name, unsigned flags,
		      const struct dsp_blkdev_medium *m, struct dsp_blkdev_use *u)
{
	char disk[64], self[64], path[PATH_MAX];
	struct dirent *de;
	bool part;
	DIR *dir;
	dev_t d;
	int r;

	memset(u, 0, sizeof(*u));
	if (!dev_valid_name(name))
		return -EINVAL;
	dev_copy(u->name, sizeof(u->name), name);
	/* self first, so the reason names the device itself when it can */
	r = check_node(s, m, name, name, 0, u);
	if (r < 0 || !(flags & DSP_BLKDEV_TREE))
		return r;

	r = dev_name_devno(s->root, name, &d);
	if (r < 0)
		return r;
	r = dsp_device_name(s->root, d, self, sizeof(self), disk, sizeof(disk), &part);
	if (r < 0)
		return r;
	if (part) {
		r = check_node(s, m, disk, disk, 0, u);
		if (r < 0)
			return r;
	}
	dev_fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s", R(s->root), disk);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char attr[PATH_MAX];

		if (!dev_valid_name(de->d_name) || !strcmp(de->d_name, self))
			continue;
		/* partitions are subdirectories of the disk with a partition file */
		dev_fmt(attr, sizeof(attr), "%s" SYS_BLOCK "/%s/%s/partition", R(s->root), disk,
		    de->d_name);
		if (access(attr, F_OK))
			continue;
		r = check_node(s, m, de->d_name, de->d_name, 0, u);
		if (r < 0 && r != -ENOENT)
			break;
		r = 0;
	}
	closedir(dir);
	return r;
}

int dsp_blkdev_snap_check(const struct dsp_blkdev_snap *s, const char *name,
			  unsigned flags, struct dsp_blkdev_use *u)
{
	return check_tree(s, name, flags, NULL, u);
}

static const struct loopback *find_loop(const struct dsp_blkdev_snap *s, dev_t d)
{
	for (size_t i = 0; i < s->nloops; i++)
		if (s->loops[i].devno == d)
			return &s->loops[i];
	return NULL;
}

_Static_assert(DSP_BLKDEV_MAX_LEVELS == MAX_HOLDER_DEPTH + 1, "medium levels");

int dsp_blkdev_snap_medium(const struct dsp_blkdev_snap *s, const char *name,
			   struct dsp_blkdev_medium *m)
{
	char cur[64], self[64], disk[64];
	const struct loopback *lb;
	uint64_t v;
	dev_t d, wd;
	bool part;
	int r;

	memset(m, 0, sizeof(*m));
	if (!dev_valid_name(name))
		return -EINVAL;
	r = dev_read_u64(s->root, name, "size", &v);
	if (r < 0)
		return r;
	m->size = v * 512;
	dev_copy(cur, sizeof(cur), name);
	for (int depth = 0;; depth++) {
		if (depth > MAX_HOLDER_DEPTH)
			return -ELOOP;
		r = dev_name_devno(s->root, cur, &d);
		if (r < 0)
			return r;
		r = dsp_device_name(s->root, d, self, sizeof(self), disk, sizeof(disk), &part);
		if (r < 0)
			return r;
		m->chain[m->nchain++] = wd = d;
		if (part) {
			r = dev_read_u64(s->root, self, "start", &v);
			if (r == 0)
				r = dev_name_devno(s->root, disk, &wd);
			if (r < 0)
				return r;
			m->offset += v * 512;
			m->chain[m->nchain++] = wd;
		}
		lb = find_loop(s, wd);
		if (!lb) {
			m->bottom = wd;
			dev_copy(m->bottom_name, sizeof(m->bottom_name), part ? disk : self);
			return 0;
		}
		m->offset += lb->offset;
		if (!lb->blk) {
			m->file = true;
			m->file_dev = lb->fdev;
			m->file_ino = lb->fino;
			return 0;
		}
		r = dsp_device_name(s->root, lb->backing, cur, sizeof(cur), NULL, 0, NULL);
		if (r < 0)
			return r;
		dev_copy(m->lower[m->nlower++], sizeof(m->lower[0]), cur);
	}
}

bool dsp_blkdev_medium_overlap(const struct dsp_blkdev_medium *a,
			       const struct dsp_blkdev_medium *b)
{
	if (a->file != b->file)
		return false;
	if (a->file ? a->file_dev != b->file_dev || a->file_ino != b->file_ino :
	    a->bottom != b->bottom)
		return false;
	return a->offset < b->offset + b->size && b->offset < a->offset + a->size;
}

static bool any_use(const struct dsp_blkdev_use *u)
{
	return u->mounted || u->holds_root || u->swap_active || u->has_holders;
}

/* The use found on alias via counts for the target. */
static void adopt(struct dsp_blkdev_use *u, const struct dsp_blkdev_use *v, const char *via)
{
	char name[64];

	dev_copy(name, sizeof(name), u->name);
	*u = *v;
	dev_copy(u->name, sizeof(u->name), name);
	dev_copy(u->via, sizeof(u->via), via);
}

/* Another loop device over the regular file at the bottom of m, not on m's own way down. */
static bool file_alias(const struct dsp_blkdev_medium *m, const struct loopback *lb)
{
	return m->file && !lb->blk && lb->fdev == m->file_dev && lb->fino == m->file_ino &&
	       !in_chain(m, lb->devno);
}

/* The kernel name of devno under root and a fresh snapshot of root. */
static int snap_for_devno(const char *root, dev_t devno, char *name, size_t len,
			  struct dsp_blkdev_snap **s)
{
	int r = dsp_device_name(root, devno, name, len, NULL, 0, NULL);

	return r < 0 ? r : dsp_device_snap_new(root, s);
}

int dsp_blkdev_snap_check_medium(const struct dsp_blkdev_snap *s, const char *name,
				 struct dsp_blkdev_use *u)
{
	struct dsp_blkdev_medium m;
	struct dsp_blkdev_use v;
	unsigned i;
	int r;

	memset(u, 0, sizeof(*u));
	r = dsp_blkdev_snap_medium(s, name, &m);
	if (r < 0)
		return r;
	r = check_tree(s, name, DSP_BLKDEV_TREE, &m, u);
	if (r < 0 || any_use(u))
		return r;
	/* what it writes through to: a loop's backing device, all the way down */
	for (i = 0; i < m.nlower; i++) {
		r = check_tree(s, m.lower[i], DSP_BLKDEV_TREE, &m, &v);
		if (r < 0)
			return r;
		if (any_use(&v)) {
			adopt(u, &v, m.lower[i]);
			return 0;
		}
	}
	/* other loop devices over the same file at the bottom */
	for (size_t k = 0; m.file && k < s->nloops; k++) {
		const struct loopback *lb = &s->loops[k];

		if (!file_alias(&m, lb))
			continue;
		r = check_tree(s, lb->name, DSP_BLKDEV_TREE, &m, &v);
		if (r == -ENOENT)
			continue;	/* detached while we looked */
		if (r < 0)
			return r;
		if (any_use(&v)) {
			adopt(u, &v, lb->name);
			return 0;
		}
	}
	return 0;
}

/*
 * One question about one device, in a snapshot of its own: the device at
 * path (when given) or devno under root; its medium into m, else its use
 * (either cleared first).
 */
static int ask_device(const char *root, const char *path, dev_t devno,
		      struct dsp_blkdev_medium *m, struct dsp_blkdev_use *use)
{
	struct dsp_blkdev_snap *s;
	char name[64];
	int r;

	if (m)
		memset(m, 0, sizeof(*m));
	else
		memset(use, 0, sizeof(*use));
	r = path ? dev_path_devno(path, &devno) : 0;
	if (r < 0)
		return r;
	r = snap_for_devno(root, devno, name, sizeof(name), &s);
	if (r < 0)
		return r;
	r = m ? dsp_blkdev_snap_medium(s, name, m) : dsp_blkdev_snap_check_medium(s, name, use);
	dsp_blkdev_snap_free(s);
	return r;
}

int dsp_blkdev_medium(const char *path, struct dsp_blkdev_medium *m)
{
	return ask_device(NULL, path, 0, m, NULL);
}

int dsp_device_medium(const char *root, dev_t devno, struct dsp_blkdev_medium *m)
{
	return ask_device(root, NULL, devno, m, NULL);
}

int dsp_blkdev_shared_medium(const dev_t *devs, size_t n, size_t *a, size_t *b)
{
	struct dsp_blkdev_medium *m;
	struct dsp_blkdev_snap *s = NULL;
	char name[64];
	size_t i, j;
	int r;

	if (n < 2)
		return 0;
	m = calloc(n, sizeof(*m));
	if (!m)
		return -ENOMEM;
	*a = 0;
	r = dsp_blkdev_snap_new(&s);
	for (i = 0; i < n && r == 0; i++) {
		*a = i;
		r = dsp_blkdev_name(devs[i], name, sizeof(name), NULL, 0, NULL);
		if (r == 0)
			r = dsp_blkdev_snap_medium(s, name, &m[i]);
	}
	dsp_blkdev_snap_free(s);
	for (i = 0; i < n && r == 0; i++)
		for (j = i + 1; j < n && r == 0; j++)
			if (dsp_blkdev_medium_overlap(&m[i], &m[j])) {
				*a = i;
				*b = j;
				r = 1;
			}
	free(m);
	return r;
}

/* Open name O_EXCL (no I/O) into fds[*n]; a node gone or not there is skipped. */
static int claim(const char *name, dev_t want, int *fds, size_t *n, char *busy, size_t blen)
{
	char node[PATH_MAX];
	struct stat st;
	int fd;

	dsp_blkdev_devpath(name, node, sizeof(node));
	fd = open(node, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
			return 0;
		dev_copy(busy, blen, node);
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != want) {
		close(fd);
		dev_copy(busy, blen, node);
		return -ENOTBLK;	/* /dev does not match sysfs */
	}
	fds[(*n)++] = fd;
	return 0;
}

int dsp_blkdev_claim_medium(const char *path, int **out, size_t *nout, char *busy, size_t blen)
{
	dev_t d;
	int r = dev_path_devno(path, &d);

	if (r < 0) {
		*out = NULL;
		*nout = 0;
		if (blen)
			busy[0] = '\0';
		return r;
	}
	return dsp_device_claim_medium(d, out, nout, busy, blen);
}

int dsp_device_claim_medium(dev_t devno, int **out, size_t *nout, char *busy, size_t blen)
{
	struct dsp_blkdev_medium m;
	struct dsp_blkdev_snap *s;
	size_t n = 0, k;
	char name[64];
	int *fds = NULL, r;
	dev_t d;

	*out = NULL;
	*nout = 0;
	if (blen)
		busy[0] = '\0';
	r = snap_for_devno(NULL, devno, name, sizeof(name), &s);
	if (r < 0)
		return r;
	r = dsp_blkdev_snap_medium(s, name, &m);
	if (r == 0) {
		fds = calloc(m.nlower + s->nloops + 1, sizeof(*fds));
		if (!fds)
			r = -ENOMEM;
	}
	for (unsigned i = 0; r == 0 && i < m.nlower; i++) {
		r = dev_name_devno(s->root, m.lower[i], &d);
		if (r == 0)
			r = claim(m.lower[i], d, fds, &n, busy, blen);
	}
	for (k = 0; r == 0 && m.file && k < s->nloops; k++) {
		const struct loopback *lb = &s->loops[k];

		if (file_alias(&m, lb))
			r = claim(lb->name, lb->devno, fds, &n, busy, blen);
	}
	dsp_blkdev_snap_free(s);
	if (r < 0) {
		dsp_blkdev_release(fds, n);
		return r;
	}
	*out = fds;
	*nout = n;
	return 0;
}

void dsp_blkdev_release(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		close(fds[i]);
	free(fds);
}

int dsp_blkdev_in_use(const char *path, struct dsp_blkdev_use *use)
{
	return ask_device(NULL, path, 0, NULL, use);
}

int dsp_device_check(const char *root, dev_t devno, struct dsp_blkdev_use *use)
{
	return ask_device(root, NULL, devno, NULL, use);
}

struct loopfiles {
	struct dsp_blkdev_loopfile *v;
	size_t k;
};

static int add_loop_file(const struct loopback *lb, void *arg)
{
	struct loopfiles *lf = arg;

	if (lb->blk)
		return 0;
	if (grow((void **)&lf->v, lf->k, sizeof(*lf->v)))
		return -ENOMEM;
	dev_copy(lf->v[lf->k].name, sizeof(lf->v[0].name), lb->name);
	lf->v[lf->k].dev = lb->fdev;
	lf->v[lf->k].ino = lb->fino;
	lf->k++;
	return 0;
}

int dsp_blkdev_loop_files(struct dsp_blkdev_loopfile **out, size_t *n)
{
	return dsp_device_loop_files(NULL, out, n);
}

int dsp_device_loop_files(const char *root, struct dsp_blkdev_loopfile **out, size_t *n)
{
	struct loopfiles lf = { NULL, 0 };
	int r = for_each_loop(root, add_loop_file, &lf);

	if (r) {
		free(lf.v);
		lf.v = NULL;
		lf.k = 0;
	}
	*out = lf.v;
	*n = lf.k;
	return r;
}

/* Is other (a kernel name in use) the checked device itself? */
static bool is_self(const struct dsp_blkdev_use *u, const char *other)
{
	return !u->name[0] || !other[0] || !strcmp(u->name, other);
}

/* "X is mounted on Y": the first use found, on a device other than the target. */
static void use_phrase(const struct dsp_blkdev_use *u, char *buf, size_t len)
{
	char dev[80], held[80];

	if (u->holds_root) {
		dsp_blkdev_devpath(u->root_dev, dev, sizeof(dev));
		dev_fmt(buf, len, "%s holds the root filesystem", dev);
	} else if (u->mounted) {
		dsp_blkdev_devpath(u->mounted_dev, dev, sizeof(dev));
		dev_fmt(buf, len, "%s is mounted on %s", dev, u->mountpoint);
	} else if (u->swap_active) {
		dsp_blkdev_devpath(u->swap_dev, dev, sizeof(dev));
		dev_fmt(buf, len, "%s is active swap", dev);
	} else if (u->has_holders) {
		dsp_blkdev_devpath(u->held_dev, held, sizeof(held));
		dsp_blkdev_devpath(u->holder, dev, sizeof(dev));
		dev_fmt(buf, len, "%s is held by %s", held, dev);
	}
}

const char *dsp_blkdev_use_reason(const struct dsp_blkdev_use *u, char *buf, size_t len)
{
	char dev[80], what[800];

	if (!len)
		return buf;
	buf[0] = '\0';
	what[0] = '\0';
	if (u->via[0]) {
		dsp_blkdev_devpath(u->via, dev, sizeof(dev));
		use_phrase(u, what, sizeof(what));
		if (what[0])
			dev_fmt(buf, len, "device shares its medium with %s: %s", dev, what);
	} else if (u->holds_root && is_self(u, u->root_dev)) {
		dev_fmt(buf, len, "device holds the root filesystem");
	} else if (u->mounted && !u->holds_root && is_self(u, u->mounted_dev)) {
		dev_fmt(buf, len, "device is mounted on %s", u->mountpoint);
	} else if (u->swap_active && !u->holds_root && !u->mounted &&
		   is_self(u, u->swap_dev)) {
		dev_fmt(buf, len, "device is active swap");
	} else if (u->has_holders && !u->holds_root && !u->mounted && !u->swap_active &&
		   is_self(u, u->held_dev)) {
		dsp_blkdev_devpath(u->holder, dev, sizeof(dev));
		dev_fmt(buf, len, "device is held by %s", dev);
	} else {
		use_phrase(u, what, sizeof(what));
		if (what[0])
			dev_fmt(buf, len, "device is in use: %s", what);
	}
	return buf;
}
