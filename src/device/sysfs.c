/* SPDX-License-Identifier: MIT */
/* sysfs.c - block device names and identity from sysfs (under a root), and the module's small readers */
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

/* ---- small helpers ---- */

/* snprintf that reports truncation (and that gcc does not second-guess) */
int dev_fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void dev_copy(char *dst, size_t n, const char *src)
{
	size_t l;

	if (!n)
		return;
	l = strnlen(src, n - 1);
	memcpy(dst, src, l);
	dst[l] = '\0';
}

char *dev_trim(char *s)
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
bool dev_valid_name(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < 64;
}

/* Read a small sysfs attribute, trimmed. 0 or -errno. */
int dev_read_file(const char *path, char *buf, size_t len)
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
	dev_copy(buf, len, dev_trim(tmp));
	return 0;
}

int dev_read_attr(const char *root, const char *name, const char *attr, char *buf,
		     size_t len)
{
	char path[PATH_MAX];

	if (dev_fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/%s", R(root), name, attr))
		return -ENAMETOOLONG;
	return dev_read_file(path, buf, len);
}

int dev_read_u64(const char *root, const char *name, const char *attr, uint64_t *v)
{
	char buf[64], *end;
	int r;

	r = dev_read_attr(root, name, attr, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

bool dev_attr_exists(const char *root, const char *name, const char *attr)
{
	char path[PATH_MAX];

	if (dev_fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/%s", R(root), name, attr))
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

int dev_name_devno(const char *root, const char *name, dev_t *d)
{
	char buf[32];
	int r;

	r = dev_read_attr(root, name, "dev", buf, sizeof(buf));
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

	dev_fmt(path, sizeof(path), "%s/sys/dev/block/%u:%u/size", R(root), major(devno),
	    minor(devno));
	r = dev_read_file(path, buf, sizeof(buf));
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
int dev_read_all(const char *path, char **out, size_t *outlen)
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

/* ---- identity ---- */

const char *dsp_blkdev_devpath(const char *name, char *buf, size_t len)
{
	char *p;

	dev_fmt(buf, len, "/dev/%s", name);
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

	dev_fmt(link, sizeof(link), "%s/sys/dev/block/%u:%u", R(root), major(devno), minor(devno));
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	base = slash ? slash + 1 : target;
	if (!dev_valid_name(base))
		return -EINVAL;
	dev_copy(name, nlen, base);
	part = dev_attr_exists(root, base, "partition");
	if (is_partition)
		*is_partition = part;
	if (disk && dlen) {
		if (part && slash) {
			char *p;

			*slash = '\0';
			p = strrchr(target, '/');
			p = p ? p + 1 : target;
			if (!dev_valid_name(p))
				return -EINVAL;
			dev_copy(disk, dlen, p);
		} else {
			dev_copy(disk, dlen, base);
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
			dev_copy(out, len, by_name[i].tran);
			return;
		}
	dev_fmt(link, sizeof(link), "%s" SYS_BLOCK "/%s", R(root), disk);
	if (!realpath(link, real))
		return;
	for (i = 0; i < DSP_ARRAY_SIZE(by_path); i++)
		if (strstr(real, by_path[i].needle)) {
			dev_copy(out, len, by_path[i].tran);
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

	dev_fmt(path, sizeof(path), "%s" SYS_BLOCK "/%s/device/vpd_pg80", R(root), disk);
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
	dev_copy(out, len, dev_trim(s));
}

static int info_name(const char *root, const char *name, struct dsp_blkdev_info *info)
{
	uint64_t v;
	bool part;
	dev_t d;
	int r;

	if (!dev_valid_name(name))
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	r = dev_name_devno(root, name, &d);
	if (r < 0)
		return r;
	r = dsp_device_name(root, d, info->name, sizeof(info->name), info->disk,
			    sizeof(info->disk), &part);
	if (r < 0)
		return r;
	info->devno = d;
	info->is_partition = part;
	dsp_blkdev_devpath(info->name, info->path, sizeof(info->path));
	r = dev_read_u64(root, info->name, "size", &v);
	if (r < 0)
		return r;
	info->size = v * 512;	/* sysfs size is always in 512-byte units */

	/* Queue limits and device facts live on the whole disk. */
	info->logical_sector = 512;
	info->physical_sector = 512;
	if (!dev_read_u64(root, info->disk, "queue/logical_block_size", &v) && v)
		info->logical_sector = (uint32_t)v;
	if (!dev_read_u64(root, info->disk, "queue/physical_block_size", &v) && v)
		info->physical_sector = (uint32_t)v;
	info->rotational = -1;
	if (!dev_read_u64(root, info->disk, "queue/rotational", &v))
		info->rotational = v ? 1 : 0;
	info->removable = 0;
	if (!dev_read_u64(root, info->disk, "removable", &v))
		info->removable = v ? 1 : 0;
	dev_read_attr(root, info->disk, "device/model", info->model, sizeof(info->model));
	dev_read_attr(root, info->disk, "device/vendor", info->vendor, sizeof(info->vendor));
	if (dev_read_attr(root, info->disk, "device/serial", info->serial, sizeof(info->serial)) ||
	    !info->serial[0])
		if (dev_read_attr(root, info->disk, "serial", info->serial, sizeof(info->serial)) ||
		    !info->serial[0])
			vpd80_serial(root, info->disk, info->serial, sizeof(info->serial));
	if (dev_read_attr(root, info->disk, "wwid", info->wwn, sizeof(info->wwn)) || !info->wwn[0])
		dev_read_attr(root, info->disk, "device/wwid", info->wwn, sizeof(info->wwn));
	guess_transport(root, info->disk, info->transport, sizeof(info->transport));
	dev_read_attr(root, info->disk, "loop/backing_file", info->backing_file,
		  sizeof(info->backing_file));
	dev_read_attr(root, info->name, "dm/name", info->dm_name, sizeof(info->dm_name));
	if (!dev_read_u64(root, info->name, "ro", &v))
		info->read_only = v != 0;
	if (part) {
		if (!dev_read_u64(root, info->name, "partition", &v))
			info->partno = (uint32_t)v;
		if (!dev_read_u64(root, info->name, "start", &v))
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

int dev_path_devno(const char *path, dev_t *d)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	*d = st.st_rdev;
	return 0;
}

int dsp_blkdev_info(const char *path, struct dsp_blkdev_info *info)
{
	dev_t d;
	int r;

	r = dev_path_devno(path, &d);
	if (r == 0)
		r = dsp_device_info(NULL, d, info);
	if (r < 0)
		return r;
	/* keep the name the caller used (e.g. /dev/disk/by-id/...) */
	dev_copy(info->path, sizeof(info->path), path);
	return 0;
}
