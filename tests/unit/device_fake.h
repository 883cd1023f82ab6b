/* SPDX-License-Identifier: MIT */
/*
 * device_fake.h - build a fake system root (sysfs, mountinfo, swaps) in a
 * temporary directory for the device module's dsp_device_* functions, so
 * that device checks are tested without root and without devices:
 *
 *	char root[64];
 *	fake_root_new(root, sizeof(root));
 *	fake_disk(root, "sda", 8, 0, 1 << 30);
 *	fake_part(root, "sda", "sda1", 8, 1, 1, 1 << 20, 1 << 29);
 *	fake_mount(root, 8, 1, "/srv");
 *	dsp_device_check(root, makedev(8, 1), &use);	-> use.mounted
 *	fake_root_free(root);
 *
 * Helpers abort the test (cmocka fail) when the tree cannot be written.
 */
#ifndef DISPOSE_TEST_DEVICE_FAKE_H
#define DISPOSE_TEST_DEVICE_FAKE_H

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of root/rel's parent, then write root/rel with printf text */
static void fake_write(const char *root, const char *rel, const char *f, ...)
	__attribute__((format(printf, 3, 4), unused));
static void fake_mkdirs(const char *root, const char *rel, int last)
{
	char path[4096], *p;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		fail_msg("fake path too long");
	p = path + strlen(root) + 1;
	while ((p = strchr(p, '/'))) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p++ = '/';
	}
	if (last && mkdir(path, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void fake_vwrite(const char *root, const char *rel, const char *mode,
			const char *f, va_list ap)
{
	char path[4096];
	FILE *fp;

	fake_mkdirs(root, rel, 0);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fp = fopen(path, mode);
	if (!fp)
		fail_msg("open %s: %s", path, strerror(errno));
	vfprintf(fp, f, ap);
	if (fclose(fp))
		fail_msg("write %s", path);
}

static void fake_write(const char *root, const char *rel, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	fake_vwrite(root, rel, "w", f, ap);
	va_end(ap);
}

static void fake_append(const char *root, const char *rel, const char *f, ...)
	__attribute__((format(printf, 3, 4), unused));
static void fake_append(const char *root, const char *rel, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	fake_vwrite(root, rel, "a", f, ap);
	va_end(ap);
}

static void fake_symlink(const char *root, const char *rel, const char *target)
{
	char path[4096];

	fake_mkdirs(root, rel, 0);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

/* A new empty root: no mounts, no swap, no block devices. */
static __attribute__((unused)) void fake_root_new(char *root, size_t len)
{
	if (snprintf(root, len, "/tmp/dsp-fakeroot-XXXXXX") >= (int)len || !mkdtemp(root))
		fail_msg("mkdtemp: %s", strerror(errno));
	fake_write(root, "proc/self/mountinfo", "%s", "");
	fake_write(root, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	fake_mkdirs(root, "sys/class/block", 1);
	fake_mkdirs(root, "sys/dev/block", 1);
}

/* Common attributes of a device directory rel (under sys/class/block). */
static void fake_dev_attrs(const char *root, const char *dir, unsigned maj, unsigned min,
			   uint64_t size)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/dev", dir);
	fake_write(root, rel, "%u:%u\n", maj, min);
	snprintf(rel, sizeof(rel), "%s/size", dir);
	fake_write(root, rel, "%llu\n", (unsigned long long)(size / 512));
	snprintf(rel, sizeof(rel), "%s/ro", dir);
	fake_write(root, rel, "0\n");
	snprintf(rel, sizeof(rel), "%s/holders", dir);
	fake_mkdirs(root, rel, 1);
}

/* A whole disk NAME (rotational, not removable). */
static __attribute__((unused)) void fake_disk(const char *root, const char *name, unsigned maj,
					      unsigned min, uint64_t size)
{
	char dir[256], rel[512], target[512];

	snprintf(dir, sizeof(dir), "sys/class/block/%s", name);
	fake_dev_attrs(root, dir, maj, min, size);
	snprintf(rel, sizeof(rel), "%s/queue/rotational", dir);
	fake_write(root, rel, "1\n");
	snprintf(rel, sizeof(rel), "%s/removable", dir);
	fake_write(root, rel, "0\n");
	snprintf(rel, sizeof(rel), "sys/dev/block/%u:%u", maj, min);
	snprintf(target, sizeof(target), "../../class/block/%s", name);
	fake_symlink(root, rel, target);
}

/* Partition NAME number partno of DISK, start and size in bytes. */
static __attribute__((unused)) void fake_part(const char *root, const char *disk, const char *name,
					      unsigned maj, unsigned min, unsigned partno,
					      uint64_t start, uint64_t size)
{
	char dir[256], rel[512], target[512];

	snprintf(dir, sizeof(dir), "sys/class/block/%s/%s", disk, name);
	fake_dev_attrs(root, dir, maj, min, size);
	snprintf(rel, sizeof(rel), "%s/partition", dir);
	fake_write(root, rel, "%u\n", partno);
	snprintf(rel, sizeof(rel), "%s/start", dir);
	fake_write(root, rel, "%llu\n", (unsigned long long)(start / 512));
	snprintf(rel, sizeof(rel), "sys/class/block/%s", name);
	snprintf(target, sizeof(target), "%s/%s", disk, name);
	fake_symlink(root, rel, target);
	snprintf(rel, sizeof(rel), "sys/dev/block/%u:%u", maj, min);
	snprintf(target, sizeof(target), "../../class/block/%s/%s", disk, name);
	fake_symlink(root, rel, target);
}

/* A loop device NAME over backing (a path as the kernel shows it: "/dev/sdb" or a file). */
static __attribute__((unused)) void fake_loop(const char *root, const char *name, unsigned maj,
					      unsigned min, uint64_t size, const char *backing)
{
	char rel[512];

	fake_disk(root, name, maj, min, size);
	snprintf(rel, sizeof(rel), "sys/class/block/%s/loop/backing_file", name);
	fake_write(root, rel, "%s\n", backing);
	snprintf(rel, sizeof(rel), "sys/class/block/%s/loop/offset", name);
	fake_write(root, rel, "0\n");
}

/* holder (dm-0, md0) holds NAME. */
static __attribute__((unused)) void fake_holder(const char *root, const char *name,
						const char *holder)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "sys/class/block/%s/holders/%s", name, holder);
	fake_mkdirs(root, rel, 1);
}

/* A device attribute, e.g. fake_attr(root, "sda", "device/serial", "S123"). */
static __attribute__((unused)) void fake_attr(const char *root, const char *name,
					      const char *attr, const char *val)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "sys/class/block/%s/%s", name, attr);
	fake_write(root, rel, "%s\n", val);
}

/* A mountinfo line: device maj:min mounted on mountpoint (no blanks in it). */
static __attribute__((unused)) void fake_mount(const char *root, unsigned maj, unsigned min,
					       const char *mountpoint)
{
	static unsigned id = 100;

	fake_append(root, "proc/self/mountinfo", "%u 1 %u:%u / %s rw,relatime shared:1 - ext4 /dev/x rw\n",
		    id++, maj, min, mountpoint);
}

/* A /proc/swaps line: path ("/dev/sdb2" or a file) of type "partition" or "file". */
static __attribute__((unused)) void fake_swap(const char *root, const char *path,
					      const char *type)
{
	fake_append(root, "proc/swaps", "%s\t\t\t\t%s\t\t1048572\t\t0\t\t-2\n", path, type);
}

static int fake_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static __attribute__((unused)) void fake_root_free(const char *root)
{
	if (root && !strncmp(root, "/tmp/dsp-fakeroot-", 18))
		nftw(root, fake_rm, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
