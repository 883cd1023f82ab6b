/* SPDX-License-Identifier: MIT */
/* blkdev.c - block device identity from sysfs, and whether it is in use */
#include "dispose/device.h"
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

#define SYS_BLOCK "/sys/class/block"
/* the root the system is read under: "" is the running system */
#define R(root) ((root) ? (root) : "")
#define MAX_HOLDER_DEPTH 8

/* ---- small helpers ---- */

/* snprintf that reports truncation (and that gcc does not second-guess) */
static int fmt(char *buf, size_t len, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static int fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void copy(char *dst, size_t n, const char *src)
{
	size_t l;

	if (!n)
		return;
	l = strnlen(src, n - 1);
	memcpy(dst, src, l);
	dst[l] = '\0';
}

static char *trim(char *s)
{
	size_t l;

	while (*s && isspace((unsigned char)*s))
		s++;
	l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
	return s;
}

/* Kernel names come from sysfs directory entries; refuse path tricks. */
static bool valid_name(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 64;
}

/* Read a small sysfs attribute, trimmed. 0 or -errno. */
static int read_file(const char *path, char *buf, size_t len)
{
	char tmp[1024];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	tmp[n] = '\0';
	copy(buf, len, trim(tmp));
	return 0;
}

static int read_attr(const char *root, const char *name, const char *attr, char *buf,
		     size_t len)
{
	char path[PATH_MAX];

	if (fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/%s", R(root), name, attr))
		return -ENAMETOOLONG;
	return read_file(path, buf, len);
}

static int read_u64(const char *root, const char *name, const char *attr, uint64_t *v)
{
	char buf[64], *end;
	int r;

	r = read_attr(root, name, attr, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

static bool attr_exists(const char *root, const char *name, const char *attr)
{
	char path[PATH_MAX];

	if (fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/%s", R(root), name, attr))
		return false;
	return access(path, F_OK) == 0;
}

static int parse_devno(const char *s, dev_t *d)
{
	unsigned maj, min;

	if (sscanf(s, "%u:%u", &maj, &min) != 2)
		return -EINVAL;
	*d = makedev(maj, min);
	return 0;
}

static int name_devno(const char *root, const char *name, dev_t *d)
{
	char buf[32];
	int r;

	r = read_attr(root, name, "dev", buf, sizeof(buf));
	if (r < 0)
		return r;
	return parse_devno(buf, d);
}

int dsp_blkdev_size_now(dev_t devno, uint64_t *bytes)
{
	return dsp_device_size_now(NULL, devno, bytes);
}

int dsp_device_size_now(const char *root, dev_t devno, uint64_t *bytes)
{
	char path[PATH_MAX], buf[64], *end;
	uint64_t sectors;
	int r;

	fmt(path, sizeof(path), "%s/sys/dev/block/%u:%u/size", R(root), major(devno),
	    minor(devno));
	r = read_file(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	sectors = strtoull(buf, &end, 10);
	if (errno || end == buf || *end || sectors > UINT64_MAX / 512)
		return -EINVAL;
	*bytes = sectors * 512;	/* sysfs counts 512-byte sectors whatever the device's */
	return 0;
}

/* Slurp a /proc file (their stat size is 0, so read to EOF). */
static int read_all(const char *path, char **out, size_t *outlen)
{
	size_t cap = 8192, len = 0;
	char *buf, *nb;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			free(buf);
			close(fd);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* ---- parsers ---- */

/* Decode \ooo escapes in place (the kernel's mangle() of space, tab, nl, \). */
static void unescape(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			char c = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) |
					(s[3] - '0'));
			/* a NUL would silently shorten the path: keep it escaped */
			if (c) {
				*w++ = c;
				s += 4;
				continue;
			}
		}
		*w++ = *s++;
	}
	*w = '\0';
}

/* Split a line on blanks (paths have theirs escaped) into at most max fields; returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	while (*line) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			break;
		if (n == max)
			return max + 1;
		f[n++] = line;
		while (*line && *line != ' ' && *line != '\t')
			line++;
		if (*line)
			*line++ = '\0';
	}
	return n;
}

typedef int (*line_fn)(char *line, size_t lineno, void *arg);

/* Call fn on each non-empty line, as a NUL-terminated copy. */
static int for_lines(const char *text, size_t len, line_fn fn, void *arg)
{
	size_t pos = 0, lineno = 0;
	char *line = NULL;
	int r = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (l) {
			if (memchr(text + pos, '\0', l)) {
				r = -EINVAL;
				break;
			}
			line = malloc(l + 1);
			if (!line) {
				r = -ENOMEM;
				break;
			}
			memcpy(line, text + pos, l);
			line[l] = '\0';
			r = fn(line, lineno, arg);
			free(line);
			if (r)
				break;
		}
		pos += l + 1;
	}
	return r;
}

struct parse_ctx {
	void *fn;
	void *arg;
};

static int mountinfo_line(char *line, size_t lineno, void *arg)
{
	struct parse_ctx *ctx = arg;
	struct dsp_mountinfo_entry e;
	char *f[64], *end;
	int n, sep;
	unsigned long maj, min;

	(void)lineno;
	n = split(line, f, 64);
	/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
	if (n < 9 || n > 64)
		return -EINVAL;
	for (sep = 6; sep < n && strcmp(f[sep], "-"); sep++)
		;
	if (sep + 2 >= n)
		return -EINVAL;
	if (!isdigit((unsigned char)f[2][0]))
		return -EINVAL;
	errno = 0;
	maj = strtoul(f[2], &end, 10);
	if (errno || *end != ':' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	min = strtoul(end + 1, &end, 10);
	if (errno || *end || maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	e.major = (unsigned)maj;
	e.minor = (unsigned)min;
	unescape(f[3]);
	unescape(f[4]);
	unescape(f[sep + 1]);
	unescape(f[sep + 2]);
	e.root = f[3];
	e.mountpoint = f[4];
	e.fstype = f[sep + 1];
	e.source = f[sep + 2];
	return ((dsp_mountinfo_fn)ctx->fn)(&e, ctx->arg);
}

int dsp_blkdev_parse_mountinfo(const char *text, size_t len,
			       dsp_mountinfo_fn fn, void *arg)
{
	struct parse_ctx ctx = { (void *)fn, arg };

	return for_lines(text, len, mountinfo_line, &ctx);
}

static int swaps_line(char *line, size_t lineno, void *arg)
{
	struct parse_ctx *ctx = arg;
	char *f[8], *path;
	size_t l;
	int n;

	/* "Filename  Type  Size  Used  Priority" header */
	if (lineno == 1 && !strncmp(line, "Filename", 8))
		return 0;
	/* a deleted swap file reads "/path\040(deleted)": stat() fails on it */
	n = split(line, f, 8);
	if (n < 2 || n > 8)
		return -EINVAL;
	path = f[0];
	unescape(path);
	l = strlen(path);
	if (!l || path[0] != '/')
		return -EINVAL;
	return ((dsp_swaps_fn)ctx->fn)(path, f[1], ctx->arg);
}

int dsp_blkdev_parse_swaps(const char *text, size_t len, dsp_swaps_fn fn, void *arg)
{
	struct parse_ctx ctx = { (void *)fn, arg };

	return for_lines(text, len, swaps_line, &ctx);
}

/* ---- identity ---- */

const char *dsp_blkdev_devpath(const char *name, char *buf, size_t len)
{
	char *p;

	fmt(buf, len, "/dev/%s", name);
	/* sysfs spells a '/' in a device name as '!' (cciss!c0d0) */
	for (p = buf + 5; *p; p++)
		if (*p == '!')
			*p = '/';
	return buf;
}

int dsp_blkdev_name(dev_t devno, char *name, size_t nlen, char *disk, size_t dlen,
		    bool *is_partition)
{
	return dsp_device_name(NULL, devno, name, nlen, disk, dlen, is_partition);
}

int dsp_device_name(const char *root, dev_t devno, char *name, size_t nlen, char *disk,
		    size_t dlen, bool *is_partition)
{
	char link[PATH_MAX], target[PATH_MAX], *base, *slash;
	bool part;
	ssize_t n;

	fmt(link, sizeof(link), "%s/sys/dev/block/%u:%u", R(root), major(devno), minor(devno));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	base = slash ? slash + 1 : target;
	if (!valid_name(base))
		return -EINVAL;
	copy(name, nlen, base);
	part = attr_exists(root, base, "partition");
	if (is_partition)
		*is_partition = part;
	if (disk && dlen) {
		if (part && slash) {
			char *p;

			*slash = '\0';
			p = strrchr(target, '/');
			p = p ? p + 1 : target;
			if (!valid_name(p))
				return -EINVAL;
			copy(disk, dlen, p);
		} else {
			copy(disk, dlen, base);
		}
	}
	return 0;
}

/* Transport from the device's place in the sysfs tree, as lsblk names it. */
static void guess_transport(const char *root, const char *disk, char *out, size_t len)
{
	static const struct { const char *prefix, *tran; } by_name[] = {
		{ "loop", "loop" }, { "dm-", "dm" }, { "md", "md" },
		{ "zram", "zram" }, { "nbd", "nbd" }, { "ram", "ram" },
	};
	static const struct { const char *needle, *tran; } by_path[] = {
		{ "/usb", "usb" }, { "/nvme", "nvme" }, { "/virtio", "virtio" },
		{ "/ata", "sata" }, { "/mmc", "mmc" }, { "/rport-", "fc" },
		{ "/session", "iscsi" }, { "/end_device-", "sas" },
		{ "/ieee1394", "firewire" }, { "/host", "scsi" },
	};
	char link[PATH_MAX], real[PATH_MAX];
	size_t i;

	out[0] = '\0';
	for (i = 0; i < DSP_ARRAY_SIZE(by_name); i++)
		if (!strncmp(disk, by_name[i].prefix, strlen(by_name[i].prefix))) {
			copy(out, len, by_name[i].tran);
			return;
		}
	fmt(link, sizeof(link), "%s" SYS_BLOCK "/%s", R(root), disk);
	if (!realpath(link, real))
		return;
	for (i = 0; i < DSP_ARRAY_SIZE(by_path); i++)
		if (strstr(real, by_path[i].needle)) {
			copy(out, len, by_path[i].tran);
			return;
		}
}

/* SCSI unit serial number VPD page 0x80: 4-byte header, then ASCII. */
static void vpd80_serial(const char *root, const char *disk, char *out, size_t len)
{
	char path[PATH_MAX];
	unsigned char buf[260];
	char s[256];
	ssize_t n;
	size_t l, i, j = 0;
	int fd;

	fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/device/vpd_pg80", R(root), disk);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 4 || buf[1] != 0x80)
		return;
	l = buf[3];
	if (l > (size_t)n - 4)
		l = (size_t)n - 4;
	for (i = 0; i < l && j < sizeof(s) - 1; i++)
		if (isprint(buf[4 + i]))
			s[j++] = (char)buf[4 + i];
	s[j] = '\0';
	copy(out, len, trim(s));
}

static int info_name(const char *root, const char *name, struct dsp_blkdev_info *info)
{
	uint64_t v;
	bool part;
	dev_t d;
	int r;

	if (!valid_name(name))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	r = name_devno(root, name, &d);
	if (r < 0)
		return r;
	r = dsp_device_name(root, d, info->name, sizeof(info->name), info->disk,
			    sizeof(info->disk), &part);
	if (r < 0)
		return r;
	info->devno = d;
	info->is_partition = part;
	dsp_blkdev_devpath(info->name, info->path, sizeof(info->path));
	r = read_u64(root, info->name, "size", &v);
	if (r < 0)
		return r;
	info->size = v * 512;	/* sysfs size is always in 512-byte units */

	/* Queue limits and device facts live on the whole disk. */
	info->logical_sector = 512;
	info->physical_sector = 512;
	if (!read_u64(root, info->disk, "queue/logical_block_size", &v) && v)
		info->logical_sector = (uint32_t)v;
	if (!read_u64(root, info->disk, "queue/physical_block_size", &v) && v)
		info->physical_sector = (uint32_t)v;
	info->rotational = -1;
	if (!read_u64(root, info->disk, "queue/rotational", &v))
		info->rotational = v ? 1 : 0;
	info->removable = 0;
	if (!read_u64(root, info->disk, "removable", &v))
		info->removable = v ? 1 : 0;
	read_attr(root, info->disk, "device/model", info->model, sizeof(info->model));
	read_attr(root, info->disk, "device/vendor", info->vendor, sizeof(info->vendor));
	if (read_attr(root, info->disk, "device/serial", info->serial, sizeof(info->serial)) ||
	    !info->serial[0])
		if (read_attr(root, info->disk, "serial", info->serial, sizeof(info->serial)) ||
		    !info->serial[0])
			vpd80_serial(root, info->disk, info->serial, sizeof(info->serial));
	if (read_attr(root, info->disk, "wwid", info->wwn, sizeof(info->wwn)) || !info->wwn[0])
		read_attr(root, info->disk, "device/wwid", info->wwn, sizeof(info->wwn));
	guess_transport(root, info->disk, info->transport, sizeof(info->transport));
	read_attr(root, info->disk, "loop/backing_file", info->backing_file,
		  sizeof(info->backing_file));
	read_attr(root, info->name, "dm/name", info->dm_name, sizeof(info->dm_name));
	if (!read_u64(root, info->name, "ro", &v))
		info->read_only = v != 0;
	if (part) {
		if (!read_u64(root, info->name, "partition", &v))
			info->partno = (uint32_t)v;
		if (!read_u64(root, info->name, "start", &v))
			info->start = v * 512;
	}
	/* udev's database describes the running system only */
	if (!root || !root[0]) {
		struct dsp_device_udev u;

		if (dsp_device_udev_read(d, &u) == 0)
			dsp_device_udev_merge(info, &u);
	}
	return 0;
}

int dsp_blkdev_info_name(const char *name, struct dsp_blkdev_info *info)
{
	return info_name(NULL, name, info);
}

int dsp_device_info(const char *root, dev_t devno, struct dsp_blkdev_info *info)
{
	char name[64];
	int r;

	memset(info, 0, sizeof(*info));
	r = dsp_device_name(root, devno, name, sizeof(name), NULL, 0, NULL);
	if (r < 0)
		return r;
	return info_name(root, name, info);
}

int dsp_blkdev_info(const char *path, struct dsp_blkdev_info *info)
{
	char name[64];
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	r = dsp_blkdev_name(st.st_rdev, name, sizeof(name), NULL, 0, NULL);
	if (r < 0)
		return r;
	r = dsp_blkdev_info_name(name, info);
	if (r < 0)
		return r;
	/* keep the name the caller used (e.g. /dev/disk/by-id/...) */
	copy(info->path, sizeof(info->path), path);
	return 0;
}

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

	if (fmt(full, sizeof(full), "%s%s", R(root), path))
		return -ENAMETOOLONG;
	if (stat(full, &st) == 0 && S_ISBLK(st.st_mode)) {
		*d = st.st_rdev;
		return 0;
	}
	if (!root || !root[0] || strncmp(path, "/dev/", 5))
		return -ENOTBLK;
	base = strrchr(path, '/') + 1;
	if (!valid_name(base))
		return -ENOTBLK;
	return name_devno(root, base, d);
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

	if (fmt(path, sizeof(path), "%s/sys/fs/btrfs", R(s->root)))
		return -ENAMETOOLONG;
	fs = opendir(path);
	if (!fs)
		return 0;	/* no btrfs in this kernel */
	while (!r && (fe = readdir(fs))) {
		if (!valid_name(fe->d_name) ||
		    fmt(path, sizeof(path), "%s/sys/fs/btrfs/%s/devices", R(s->root), fe->d_name))
			continue;
		dir = opendir(path);
		if (!dir)
			continue;
		n = 0;
		while ((de = readdir(dir)) && n < DSP_ARRAY_SIZE(members))
			if (valid_name(de->d_name) && !name_devno(s->root, de->d_name, &members[n]))
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
	if (fmt(full, sizeof(full), "%s%s", R(s->root), path) || stat(full, &st) < 0)
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
	copy(lb->name, sizeof(lb->name), name);
	if (name_devno(root, name, &lb->devno) < 0 ||
	    read_attr(root, name, "loop/backing_file", bf, sizeof(bf)))
		return -ENOENT;
	dsp_blkdev_devpath(name, dev, sizeof(dev));
	if (fmt(node, sizeof(node), "%s%s", R(root), dev))
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
	if (read_u64(root, name, "loop/offset", &v) == 0)
		lb->offset = v;
	if (node_devno(root, bf, &lb->backing) == 0) {
		lb->blk = true;
		return 0;
	}
	if (fmt(full, sizeof(full), "%s%s", R(root), bf) || stat(full, &st) < 0 ||
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

	if (fmt(path, sizeof(path), "%s" SYS_BLOCK, R(root)))
		return -ENAMETOOLONG;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (!r && (de = readdir(dir))) {
		if (strncmp(de->d_name, "loop", 4) || !valid_name(de->d_name) ||
		    !attr_exists(root, de->d_name, "loop"))
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
	r = fmt(path, sizeof(path), "%s/proc/self/mountinfo", R(root));
	if (!r)
		r = read_all(path, &text, &len);
	if (!r)
		r = dsp_blkdev_parse_mountinfo(text, len, snap_mount, s);
	free(text);
	text = NULL;
	if (!r)
		r = snap_btrfs(s);
	if (!r) {
		r = fmt(path, sizeof(path), "%s/proc/swaps", R(root));
		if (!r)
			r = read_all(path, &text, &len);
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

int dsp_blkdev_snap_holders(const struct dsp_blkdev_snap *s, const char *name,
			    dsp_blkdev_name_fn fn, void *arg)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	size_t i;
	dev_t d;
	int r;

	if (!valid_name(name))
		return -EINVAL;
	r = name_devno(s->root, name, &d);
	if (r < 0)
		return r;
	for (i = 0; i < s->nloops; i++)
		if (s->loops[i].blk && s->loops[i].backing == d) {
			r = fn(s->loops[i].name, arg);
			if (r)
				return r;
		}
	fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/holders", R(s->root), name);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (!valid_name(de->d_name))
			continue;
		r = fn(de->d_name, arg);
		if (r)
			break;
	}
	closedir(dir);
	return r;
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
static int check_node(const struct dsp_blkdev_snap *s, const struct dsp_blkdev_medium *m,
		      const char *top, const char *name, int depth, struct dsp_blkdev_use *u)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	size_t i;
	dev_t d;
	int r;

	if (depth > MAX_HOLDER_DEPTH)
		return -ELOOP;
	r = name_devno(s->root, name, &d);
	if (r < 0)
		return r;
	for (i = 0; i < s->nmounts; i++)
		if (s->mounts[i].dev == d && !u->mounted) {
			u->mounted = true;
			copy(u->mountpoint, sizeof(u->mountpoint), s->mounts[i].mountpoint);
			copy(u->mounted_dev, sizeof(u->mounted_dev), name);
		}
	if (dsp_blkdev_snap_is_root(s, d) && !u->holds_root) {
		u->holds_root = true;
		copy(u->root_dev, sizeof(u->root_dev), top);
	}
	if (dsp_blkdev_snap_swap(s, d) && !u->swap_active) {
		u->swap_active = true;
		copy(u->swap_dev, sizeof(u->swap_dev), name);
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
			copy(u->holder, sizeof(u->holder), lb->name);
			copy(u->held_dev, sizeof(u->held_dev), name);
		}
		r = check_node(s, m, top, lb->name, depth + 1, u);
		if (r < 0 && r != -ENOENT)
			return r;
	}

	fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/holders", R(s->root), name);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		if (!valid_name(de->d_name))
			continue;
		if (!u->has_holders) {
			u->has_holders = true;
			copy(u->holder, sizeof(u->holder), de->d_name);
			copy(u->held_dev, sizeof(u->held_dev), name);
		}
		r = check_node(s, m, top, de->d_name, depth + 1, u);
		/* a holder that vanished while we looked is gone */
		if (r < 0 && r != -ENOENT) {
			closedir(dir);
			return r;
		}
	}
	closedir(dir);
	return 0;
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
	if (!valid_name(name))
		return -EINVAL;
	copy(u->name, sizeof(u->name), name);
	/* self first, so the reason names the device itself when it can */
	r = check_node(s, m, name, name, 0, u);
	if (r < 0 || !(flags & DSP_BLKDEV_TREE))
		return r;

	r = name_devno(s->root, name, &d);
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
	fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s", R(s->root), disk);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char attr[PATH_MAX];

		if (!valid_name(de->d_name) || !strcmp(de->d_name, self))
			continue;
		/* partitions are subdirectories of the disk with a partition file */
		fmt(attr, sizeof(attr), "%s" SYS_BLOCK "/%s/%s/partition", R(s->root), disk,
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
	if (!valid_name(name))
		return -EINVAL;
	r = read_u64(s->root, name, "size", &v);
	if (r < 0)
		return r;
	m->size = v * 512;
	copy(cur, sizeof(cur), name);
	for (int depth = 0;; depth++) {
		if (depth > MAX_HOLDER_DEPTH)
			return -ELOOP;
		r = name_devno(s->root, cur, &d);
		if (r < 0)
			return r;
		r = dsp_device_name(s->root, d, self, sizeof(self), disk, sizeof(disk), &part);
		if (r < 0)
			return r;
		m->chain[m->nchain++] = wd = d;
		if (part) {
			r = read_u64(s->root, self, "start", &v);
			if (r == 0)
				r = name_devno(s->root, disk, &wd);
			if (r < 0)
				return r;
			m->offset += v * 512;
			m->chain[m->nchain++] = wd;
		}
		lb = find_loop(s, wd);
		if (!lb) {
			m->bottom = wd;
			copy(m->bottom_name, sizeof(m->bottom_name), part ? disk : self);
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
		copy(m->lower[m->nlower++], sizeof(m->lower[0]), cur);
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

	copy(name, sizeof(name), u->name);
	*u = *v;
	copy(u->name, sizeof(u->name), name);
	copy(u->via, sizeof(u->via), via);
}

/* Another loop device over the regular file at the bottom of m, not on m's own way down. */
static bool file_alias(const struct dsp_blkdev_medium *m, const struct loopback *lb)
{
	return m->file && !lb->blk && lb->fdev == m->file_dev && lb->fino == m->file_ino &&
	       !in_chain(m, lb->devno);
}

/* The kernel name of the block device at path and a fresh snapshot. */
static int snap_for_path(const char *path, char *name, size_t len,
			 struct dsp_blkdev_snap **s)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	r = dsp_blkdev_name(st.st_rdev, name, len, NULL, 0, NULL);
	if (r < 0)
		return r;
	return dsp_blkdev_snap_new(s);
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

int dsp_blkdev_medium(const char *path, struct dsp_blkdev_medium *m)
{
	struct dsp_blkdev_snap *s;
	char name[64];
	int r;

	memset(m, 0, sizeof(*m));
	r = snap_for_path(path, name, sizeof(name), &s);
	if (r < 0)
		return r;
	r = dsp_blkdev_snap_medium(s, name, m);
	dsp_blkdev_snap_free(s);
	return r;
}

int dsp_device_medium(const char *root, dev_t devno, struct dsp_blkdev_medium *m)
{
	struct dsp_blkdev_snap *s;
	char name[64];
	int r;

	memset(m, 0, sizeof(*m));
	r = dsp_device_name(root, devno, name, sizeof(name), NULL, 0, NULL);
	if (r < 0)
		return r;
	r = dsp_device_snap_new(root, &s);
	if (r < 0)
		return r;
	r = dsp_blkdev_snap_medium(s, name, m);
	dsp_blkdev_snap_free(s);
	return r;
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
		copy(busy, blen, node);
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != want) {
		close(fd);
		copy(busy, blen, node);
		return -ENOTBLK;	/* /dev does not match sysfs */
	}
	fds[(*n)++] = fd;
	return 0;
}

int dsp_blkdev_claim_medium(const char *path, int **out, size_t *nout, char *busy, size_t blen)
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
	r = snap_for_path(path, name, sizeof(name), &s);
	if (r < 0)
		return r;
	r = dsp_blkdev_snap_medium(s, name, &m);
	if (r == 0) {
		fds = calloc(m.nlower + s->nloops + 1, sizeof(*fds));
		if (!fds)
			r = -ENOMEM;
	}
	for (unsigned i = 0; r == 0 && i < m.nlower; i++) {
		r = name_devno(s->root, m.lower[i], &d);
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
	struct dsp_blkdev_snap *s;
	char name[64];
	int r;

	memset(use, 0, sizeof(*use));
	r = snap_for_path(path, name, sizeof(name), &s);
	if (r < 0)
		return r;
	r = dsp_blkdev_snap_check_medium(s, name, use);
	dsp_blkdev_snap_free(s);
	return r;
}

int dsp_device_check(const char *root, dev_t devno, struct dsp_blkdev_use *use)
{
	struct dsp_blkdev_snap *s;
	char name[64];
	int r;

	memset(use, 0, sizeof(*use));
	r = dsp_device_name(root, devno, name, sizeof(name), NULL, 0, NULL);
	if (r < 0)
		return r;
	r = dsp_device_snap_new(root, &s);
	if (r < 0)
		return r;
	r = dsp_blkdev_snap_check_medium(s, name, use);
	dsp_blkdev_snap_free(s);
	return r;
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
	copy(lf->v[lf->k].name, sizeof(lf->v[0].name), lb->name);
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
		fmt(buf, len, "%s holds the root filesystem", dev);
	} else if (u->mounted) {
		dsp_blkdev_devpath(u->mounted_dev, dev, sizeof(dev));
		fmt(buf, len, "%s is mounted on %s", dev, u->mountpoint);
	} else if (u->swap_active) {
		dsp_blkdev_devpath(u->swap_dev, dev, sizeof(dev));
		fmt(buf, len, "%s is active swap", dev);
	} else if (u->has_holders) {
		dsp_blkdev_devpath(u->held_dev, held, sizeof(held));
		dsp_blkdev_devpath(u->holder, dev, sizeof(dev));
		fmt(buf, len, "%s is held by %s", held, dev);
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
			fmt(buf, len, "device shares its medium with %s: %s", dev, what);
	} else if (u->holds_root && is_self(u, u->root_dev)) {
		fmt(buf, len, "device holds the root filesystem");
	} else if (u->mounted && !u->holds_root && is_self(u, u->mounted_dev)) {
		fmt(buf, len, "device is mounted on %s", u->mountpoint);
	} else if (u->swap_active && !u->holds_root && !u->mounted &&
		   is_self(u, u->swap_dev)) {
		fmt(buf, len, "device is active swap");
	} else if (u->has_holders && !u->holds_root && !u->mounted && !u->swap_active &&
		   is_self(u, u->held_dev)) {
		dsp_blkdev_devpath(u->holder, dev, sizeof(dev));
		fmt(buf, len, "device is held by %s", dev);
	} else {
		use_phrase(u, what, sizeof(what));
		if (what[0])
			fmt(buf, len, "device is in use: %s", what);
	}
	return buf;
}
