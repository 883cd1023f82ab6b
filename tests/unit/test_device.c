/* SPDX-License-Identifier: MIT */
/*
 * test_device.c - the device module: parsers, identity and in-use checks on
 * a fake root (no root, no devices) and on real loop devices, udev merge,
 * resolver, lock
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispose/device.h"
#include "device_fake.h"
#include "sh_util.h"

/* ---- parsers, from fixture text ---- */

struct mi_rec {
	int n;
	unsigned major[8], minor[8];
	char mp[8][128], src[8][64], fstype[8][16];
};

static int mi_collect(const struct dsp_mountinfo_entry *e, void *arg)
{
	struct mi_rec *r = arg;

	if (r->n >= 8)
		return -1;
	r->major[r->n] = e->major;
	r->minor[r->n] = e->minor;
	snprintf(r->mp[r->n], sizeof(r->mp[0]), "%s", e->mountpoint);
	snprintf(r->src[r->n], sizeof(r->src[0]), "%s", e->source);
	snprintf(r->fstype[r->n], sizeof(r->fstype[0]), "%s", e->fstype);
	r->n++;
	return 0;
}

static void test_parse_mountinfo_fields(void **state)
{
	static const char text[] =
		"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
		"40 27 7:3 / /mnt/with\\040space rw shared:5 master:2 - ext4 /dev/loop3 rw\n"
		"41 27 7:3 /sub /srv/bind rw - ext4 /dev/loop3 rw\n"
		"42 27 0:45 / /data rw - btrfs /dev/sdb2 rw\n";
	struct mi_rec r = { 0 };

	(void)state;
	assert_int_equal(dsp_blkdev_parse_mountinfo(text, strlen(text), mi_collect, &r), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.major[0], 254);
	assert_int_equal(r.minor[0], 0);
	assert_string_equal(r.mp[0], "/");
	assert_string_equal(r.src[0], "/dev/vda");
	assert_int_equal(r.major[1], 7);
	assert_int_equal(r.minor[1], 3);
	assert_string_equal(r.mp[1], "/mnt/with space");
	assert_string_equal(r.fstype[1], "ext4");
	assert_string_equal(r.mp[2], "/srv/bind");
	assert_int_equal(r.major[3], 0);
	assert_string_equal(r.src[3], "/dev/sdb2");
}

static void test_parse_mountinfo_malformed(void **state)
{
	static const char *bad[] = {
		"27 1 254:0 / / rw,relatime ext4 /dev/vda rw\n",	/* no separator */
		"27 1 254x0 / / rw - ext4 /dev/vda rw\n",
		"27 1 :0 / / rw - ext4 /dev/vda rw\n",
		"27 1 254:0 / / rw -\n",
		"27 1 254:0\n",
	};
	struct mi_rec r = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dsp_blkdev_parse_mountinfo(bad[i], strlen(bad[i]),
							    mi_collect, &r), -EINVAL);
	/* an embedded NUL must not hide the rest of the line */
	assert_int_equal(dsp_blkdev_parse_mountinfo("27 1 7:0 / /a\0b rw - x y z\n", 28,
						    mi_collect, &r), -EINVAL);
	/* empty text: no entries, no error */
	r.n = 0;
	assert_int_equal(dsp_blkdev_parse_mountinfo("", 0, mi_collect, &r), 0);
	assert_int_equal(r.n, 0);
}

static int stop_at_second(const struct dsp_mountinfo_entry *e, void *arg)
{
	int *n = arg;

	(void)e;
	return ++*n == 2 ? 42 : 0;
}

static void test_parse_mountinfo_callback_stops(void **state)
{
	static const char text[] =
		"1 0 7:0 / /a rw - ext4 /dev/loop0 rw\n"
		"2 0 7:1 / /b rw - ext4 /dev/loop1 rw\n"
		"3 0 7:2 / /c rw - ext4 /dev/loop2 rw\n";
	int n = 0;

	(void)state;
	assert_int_equal(dsp_blkdev_parse_mountinfo(text, strlen(text), stop_at_second, &n), 42);
	assert_int_equal(n, 2);
}

struct sw_rec {
	int n;
	char path[4][128], type[4][16];
};

static int sw_collect(const char *path, const char *type, void *arg)
{
	struct sw_rec *r = arg;

	if (r->n >= 4)
		return -1;
	snprintf(r->path[r->n], sizeof(r->path[0]), "%s", path);
	snprintf(r->type[r->n], sizeof(r->type[0]), "%s", type);
	r->n++;
	return 0;
}

static void test_parse_swaps_fields(void **state)
{
	static const char text[] =
		"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		"/dev/loop5                              partition\t65532\t\t0\t\t-2\n"
		"/swap\\040file                           file\t\t1024\t\t0\t\t-3\n"
		"/old\\040(deleted)                       file\t\t1024\t\t0\t\t-4\n";
	struct sw_rec r = { 0 };

	(void)state;
	assert_int_equal(dsp_blkdev_parse_swaps(text, strlen(text), sw_collect, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.path[0], "/dev/loop5");
	assert_string_equal(r.type[0], "partition");
	assert_string_equal(r.type[1], "file");
	assert_string_equal(r.path[1], "/swap file");
	assert_string_equal(r.path[2], "/old (deleted)");
}

static void test_parse_swaps_malformed(void **state)
{
	struct sw_rec r = { 0 };

	(void)state;
	assert_int_equal(dsp_blkdev_parse_swaps("Filename Type\nrelative partition 1 0 -2\n",
						42, sw_collect, &r), -EINVAL);
	assert_int_equal(dsp_blkdev_parse_swaps("Filename Type\n/dev/x\n", 21,
						sw_collect, &r), -EINVAL);
	/* only the header: no swap */
	r.n = 0;
	assert_int_equal(dsp_blkdev_parse_swaps("Filename Type\n", 14, sw_collect, &r), 0);
	assert_int_equal(r.n, 0);
}

static void test_dsp_blkdev_use_reason_texts(void **state)
{
	struct dsp_blkdev_use u;
	char buf[256];

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), "");
	strcpy(u.name, "loop3");
	u.mounted = true;
	strcpy(u.mounted_dev, "loop3");
	strcpy(u.mountpoint, "/mnt/x");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is mounted on /mnt/x");
	strcpy(u.mounted_dev, "loop3p1");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is in use: /dev/loop3p1 is mounted on /mnt/x");
	u.holds_root = true;
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device holds the root filesystem");
	memset(&u, 0, sizeof(u));
	strcpy(u.name, "loop3");
	u.swap_active = true;
	strcpy(u.swap_dev, "loop3");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is active swap");
	u.swap_active = false;
	u.has_holders = true;
	strcpy(u.holder, "dm-0");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is held by /dev/dm-0");
	strcpy(u.held_dev, "loop3");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is held by /dev/dm-0");
	strcpy(u.held_dev, "loop3p2");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is in use: /dev/loop3p2 is held by /dev/dm-0");
	u.swap_active = true;
	strcpy(u.swap_dev, "loop3p1");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is in use: /dev/loop3p1 is active swap");
	u.holds_root = true;
	strcpy(u.root_dev, "vda1");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is in use: /dev/vda1 holds the root filesystem");
	strcpy(u.root_dev, "loop3");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device holds the root filesystem");
	/* a short buffer truncates, never overflows */
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, 7), "device");
}

static void test_dsp_blkdev_devpath_bang(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(dsp_blkdev_devpath("sda1", buf, sizeof(buf)), "/dev/sda1");
	assert_string_equal(dsp_blkdev_devpath("cciss!c0d0p1", buf, sizeof(buf)),
			    "/dev/cciss/c0d0p1");
}

/* Ranges on one bottom medium overlap; other files, disks or kinds do not. */
static void test_dsp_blkdev_medium_overlap_ranges(void **state)
{
	struct dsp_blkdev_medium a = { .file = true, .file_dev = 10, .file_ino = 7,
				       .offset = 0, .size = 1 << 20 };
	struct dsp_blkdev_medium b = a;

	(void)state;
	assert_true(dsp_blkdev_medium_overlap(&a, &b));
	b.offset = 1 << 20;		/* right after a */
	assert_false(dsp_blkdev_medium_overlap(&a, &b));
	assert_false(dsp_blkdev_medium_overlap(&b, &a));
	b.offset = (1 << 20) - 512;	/* one sector shared */
	assert_true(dsp_blkdev_medium_overlap(&a, &b));
	assert_true(dsp_blkdev_medium_overlap(&b, &a));
	b.file_ino = 8;			/* another file */
	assert_false(dsp_blkdev_medium_overlap(&a, &b));
	b.file_ino = 7;
	b.file_dev = 11;		/* same inode number, another filesystem */
	assert_false(dsp_blkdev_medium_overlap(&a, &b));

	/* disks: a partition inside its disk, two partitions side by side */
	memset(&a, 0, sizeof(a));
	a.bottom = 0x800;
	a.size = 64u << 20;
	b = a;
	b.offset = 1 << 20;
	b.size = 8 << 20;
	assert_true(dsp_blkdev_medium_overlap(&a, &b));
	a.offset = 9 << 20;
	a.size = 8 << 20;
	assert_false(dsp_blkdev_medium_overlap(&a, &b));
	b.bottom = 0x810;
	b.offset = 9 << 20;
	assert_false(dsp_blkdev_medium_overlap(&a, &b));
	/* a file and a disk never compare equal */
	b = a;
	b.file = true;
	assert_false(dsp_blkdev_medium_overlap(&a, &b));
}

/* The "shares its medium" texts name the alias and what uses it. */
static void test_dsp_blkdev_use_reason_via(void **state)
{
	struct dsp_blkdev_use u = { .mounted = true };
	char buf[512];

	(void)state;
	snprintf(u.name, sizeof(u.name), "loop4");
	snprintf(u.via, sizeof(u.via), "loop5");
	snprintf(u.mounted_dev, sizeof(u.mounted_dev), "loop5p1");
	snprintf(u.mountpoint, sizeof(u.mountpoint), "/srv");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device shares its medium with /dev/loop5: /dev/loop5p1 is "
			    "mounted on /srv");
	memset(&u, 0, sizeof(u));
	u.has_holders = true;
	snprintf(u.name, sizeof(u.name), "loop4");
	snprintf(u.via, sizeof(u.via), "loop1");
	snprintf(u.held_dev, sizeof(u.held_dev), "loop1");
	snprintf(u.holder, sizeof(u.holder), "dm-0");
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device shares its medium with /dev/loop1: /dev/loop1 is held "
			    "by /dev/dm-0");
}

/* ---- real devices (root only; skipped otherwise) ---- */

static char tmpdir[64];
static char loops[8][64];
static int nloops;
static char mounts[4][256];
static int nmounts;
static char swaps[2][300];
static int nswaps;

/* Attach IMG at a byte offset, register the loop device for cleanup. 0 or -1. */
static int attach_at(const char *img, unsigned long off, char *dev, size_t len)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "losetup -P -o %lu -f --show '%s' 2>/dev/null", off, img);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(dev, (int)len, p)) {
		pclose(p);
		return -1;
	}
	pclose(p);
	dev[strcspn(dev, "\n")] = '\0';
	if (strncmp(dev, "/dev/loop", 9))
		return -1;
	snprintf(loops[nloops++], sizeof(loops[0]), "%s", dev);
	return 0;
}

static int attach(const char *img, char *dev, size_t len)
{
	return attach_at(img, 0, dev, len);
}

/* Make an image of mib MiB in tmpdir and attach it. */
static int mkloop(const char *tag, int mib, char *dev, size_t len)
{
	char img[256];

	snprintf(img, sizeof(img), "%s/%s.img", tmpdir, tag);
	if (sh("truncate -s %dM '%s'", mib, img))
		return -1;
	return attach(img, dev, len);
}

static int do_mount(const char *dev, const char *tag, char *mp, size_t len)
{
	snprintf(mp, len, "%s/mnt-%s", tmpdir, tag);
	if (sh("mkdir -p '%s' && mount '%s' '%s'", mp, dev, mp))
		return -1;
	snprintf(mounts[nmounts++], sizeof(mounts[0]), "%s", mp);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dispose-blkdev.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

/* Undo everything this test made, in reverse order, even after a failure. */
static int cleanup(void **state)
{
	int i;

	(void)state;
	for (i = nswaps - 1; i >= 0; i--)
		sh("swapoff '%s' 2>/dev/null", swaps[i]);
	for (i = nmounts - 1; i >= 0; i--)
		sh("umount '%s' 2>/dev/null || umount -l '%s' 2>/dev/null", mounts[i], mounts[i]);
	for (i = nloops - 1; i >= 0; i--)
		/*
		 * Partitions added with partx outlive a plain detach and would
		 * show up on whoever attaches this loop device next.
		 */
		sh("partx -d '%s' >/dev/null 2>&1; losetup -d '%s' 2>/dev/null",
		   loops[i], loops[i]);
	nswaps = nmounts = nloops = 0;
	return 0;
}

static int group_teardown(void **state)
{
	cleanup(state);
	if (tmpdir[0])
		sh("rm -rf '%s'", tmpdir);
	return 0;
}

static void need_root(void)
{
	if (geteuid() != 0 || sh("command -v losetup >/dev/null"))
		skip();
}

static const char *base(const char *dev)
{
	return strrchr(dev, '/') + 1;
}

static void test_dsp_blkdev_info_loop(void **state)
{
	struct dsp_blkdev_info info;
	char dev[64];

	(void)state;
	need_root();
	assert_int_equal(mkloop("info", 8, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	assert_string_equal(info.path, dev);
	assert_string_equal(info.name, base(dev));
	assert_string_equal(info.disk, base(dev));
	assert_false(info.is_partition);
	assert_int_equal(info.size, 8u << 20);
	assert_int_equal(info.logical_sector, 512);
	assert_true(info.physical_sector >= 512);
	assert_string_equal(info.transport, "loop");
	assert_non_null(strstr(info.backing_file, "/info.img"));
	assert_int_equal(dsp_blkdev_info("/dev/null", &info), -ENOTBLK);
	assert_int_equal(dsp_blkdev_info("/nonexistent/dev", &info), -ENOENT);
}

static void test_dsp_blkdev_in_use_idle(void **state)
{
	struct dsp_blkdev_use u;
	char dev[64], buf[256];

	(void)state;
	need_root();
	assert_int_equal(mkloop("idle", 8, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_false(u.mounted);
	assert_false(u.holds_root);
	assert_false(u.swap_active);
	assert_false(u.has_holders);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), "");
}

static void test_dsp_blkdev_in_use_mounted(void **state)
{
	struct dsp_blkdev_use u;
	char dev[64], mp[256], buf[512], want[512];

	(void)state;
	need_root();
	assert_int_equal(mkloop("mnt", 16, dev, sizeof(dev)), 0);
	assert_int_equal(sh("mkfs.ext4 -q '%s'", dev), 0);
	assert_int_equal(do_mount(dev, "ext4", mp, sizeof(mp)), 0);
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.mountpoint, mp);
	assert_string_equal(u.mounted_dev, base(dev));
	assert_false(u.holds_root);
	assert_false(u.swap_active);
	snprintf(want, sizeof(want), "device is mounted on %s", mp);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);

	/* a bind mount elsewhere keeps it mounted after the first umount */
	assert_int_equal(sh("mkdir -p '%s/bind' && mount --bind '%s' '%s/bind'",
			    tmpdir, mp, tmpdir), 0);
	snprintf(mounts[nmounts++], sizeof(mounts[0]), "%s/bind", tmpdir);
	assert_int_equal(sh("umount '%s'", mp), 0);
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_true(u.mounted);
	snprintf(want, sizeof(want), "%s/bind", tmpdir);
	assert_string_equal(u.mountpoint, want);
}

static void test_dsp_blkdev_in_use_swap(void **state)
{
	struct dsp_blkdev_use u;
	char dev[64], buf[256];

	(void)state;
	need_root();
	assert_int_equal(mkloop("swap", 16, dev, sizeof(dev)), 0);
	assert_int_equal(sh("mkswap -q '%s' >/dev/null", dev), 0);
	if (sh("swapon '%s' 2>/dev/null", dev))
		skip();		/* swap not supported by this kernel */
	snprintf(swaps[nswaps++], sizeof(swaps[0]), "%s", dev);
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_true(u.swap_active);
	assert_string_equal(u.swap_dev, base(dev));
	assert_false(u.mounted);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device is active swap");
	assert_int_equal(sh("swapoff '%s'", dev), 0);
	nswaps--;
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_false(u.swap_active);
}

/*
 * This kernel does not scan partition tables on loop devices (losetup -P
 * finds nothing), so partitions are added with partx (BLKPG).
 */
static void test_dsp_blkdev_in_use_partition_mounted(void **state)
{
	struct dsp_blkdev_use u;
	struct dsp_blkdev_info info;
	char dev[64], p1[80], p2[80], mp[256], img[256], buf[512], want[512];
	struct stat st;

	(void)state;
	need_root();
	if (sh("command -v sfdisk >/dev/null && command -v partx >/dev/null"))
		skip();
	snprintf(img, sizeof(img), "%s/part.img", tmpdir);
	assert_int_equal(sh("truncate -s 64M '%s' && printf 'label: dos\\n,16M,L\\n,,L\\n' |"
			    " sfdisk -q '%s'", img, img), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	snprintf(p1, sizeof(p1), "%sp1", dev);
	snprintf(p2, sizeof(p2), "%sp2", dev);
	if (stat(p1, &st) || !S_ISBLK(st.st_mode))
		assert_int_equal(sh("partx -a '%s'", dev), 0);
	assert_int_equal(stat(p1, &st), 0);

	assert_int_equal(dsp_blkdev_info(p1, &info), 0);
	assert_true(info.is_partition);
	assert_string_equal(info.disk, base(dev));
	assert_int_equal(info.size, 16u << 20);
	assert_string_equal(info.transport, "loop");

	assert_int_equal(sh("mkfs.ext4 -q '%s'", p1), 0);
	assert_int_equal(do_mount(p1, "p1", mp, sizeof(mp)), 0);

	/* the whole disk is in use through its partition */
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.mounted_dev, base(p1));
	assert_string_equal(u.mountpoint, mp);
	snprintf(want, sizeof(want), "device is in use: %s is mounted on %s", p1, mp);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);

	/* the partition itself */
	assert_int_equal(dsp_blkdev_in_use(p1, &u), 0);
	assert_true(u.mounted);
	snprintf(want, sizeof(want), "device is mounted on %s", mp);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);

	/* a sibling partition of a disk in use is refused too */
	assert_int_equal(dsp_blkdev_in_use(p2, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.mounted_dev, base(p1));

	assert_int_equal(sh("umount '%s'", mp), 0);
	nmounts--;
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_false(u.mounted);
	assert_int_equal(dsp_blkdev_in_use(p2, &u), 0);
	assert_false(u.mounted);
	assert_false(u.has_holders);

	/* a loop device on p1 holds p1, and through it the disk and p2 */
	{
		char upper[64];

		assert_int_equal(attach(p1, upper, sizeof(upper)), 0);
		assert_int_equal(dsp_blkdev_in_use(p2, &u), 0);
		assert_true(u.has_holders);
		assert_string_equal(u.held_dev, base(p1));
		snprintf(want, sizeof(want), "device is in use: %s is held by %s", p1, upper);
		assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);
	}
}

/* A loop device backed by another loop device is its holder. */
static void test_dsp_blkdev_in_use_loop_holder(void **state)
{
	struct dsp_blkdev_use u;
	char lower[64], upper[64], mp[256], buf[512], want[512];

	(void)state;
	need_root();
	assert_int_equal(mkloop("lower", 16, lower, sizeof(lower)), 0);
	assert_int_equal(attach(lower, upper, sizeof(upper)), 0);
	assert_int_equal(dsp_blkdev_in_use(lower, &u), 0);
	assert_true(u.has_holders);
	assert_string_equal(u.holder, base(upper));
	assert_false(u.mounted);
	snprintf(want, sizeof(want), "device is held by %s", upper);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);

	/* the holder's mount counts for the lower device */
	assert_int_equal(sh("mkfs.ext4 -q '%s'", upper), 0);
	assert_int_equal(do_mount(upper, "upper", mp, sizeof(mp)), 0);
	assert_int_equal(dsp_blkdev_in_use(lower, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.mounted_dev, base(upper));
}

/* Both members of a two-device btrfs are in use, though mountinfo names one. */
static void test_dsp_blkdev_in_use_btrfs_members(void **state)
{
	struct dsp_blkdev_use u;
	char a[64], b[64], mp[256];

	(void)state;
	need_root();
	if (sh("command -v mkfs.btrfs >/dev/null && grep -qw btrfs /proc/filesystems"))
		skip();
	assert_int_equal(mkloop("btrfs-a", 128, a, sizeof(a)), 0);
	assert_int_equal(mkloop("btrfs-b", 128, b, sizeof(b)), 0);
	assert_int_equal(sh("mkfs.btrfs -q -d raid1 -m raid1 '%s' '%s' >/dev/null 2>&1", a, b), 0);
	assert_int_equal(do_mount(a, "btrfs", mp, sizeof(mp)), 0);
	assert_int_equal(dsp_blkdev_in_use(a, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.mountpoint, mp);
	assert_int_equal(dsp_blkdev_in_use(b, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.mountpoint, mp);
	assert_string_equal(u.mounted_dev, base(b));
}

/* A swap file in use pins the device of the filesystem holding it. */
static void test_dsp_blkdev_in_use_swapfile(void **state)
{
	struct dsp_blkdev_use u;
	char dev[64], mp[256];

	(void)state;
	need_root();
	assert_int_equal(mkloop("swapfile", 32, dev, sizeof(dev)), 0);
	assert_int_equal(sh("mkfs.ext4 -q '%s'", dev), 0);
	assert_int_equal(do_mount(dev, "swapfile", mp, sizeof(mp)), 0);
	assert_int_equal(sh("dd if=/dev/zero of='%s/swap' bs=1M count=8 status=none &&"
			    " chmod 600 '%s/swap' && mkswap -q '%s/swap' >/dev/null", mp, mp, mp), 0);
	if (sh("swapon '%s/swap' 2>/dev/null", mp))
		skip();
	snprintf(swaps[nswaps++], sizeof(swaps[0]), "%s/swap", mp);
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_true(u.swap_active);
	assert_true(u.mounted);
	assert_int_equal(sh("swapoff '%s/swap'", mp), 0);
	nswaps--;
	assert_int_equal(dsp_blkdev_in_use(dev, &u), 0);
	assert_false(u.swap_active);
}

/* The root filesystem's device: checked through sysfs only, never opened. */
static void test_dsp_blkdev_snap_check_root(void **state)
{
	struct dsp_blkdev_snap *s;
	struct dsp_blkdev_use u;
	char name[64], disk[64], buf[256];
	struct stat st;
	bool part;

	(void)state;
	assert_int_equal(stat("/", &st), 0);
	if (dsp_blkdev_name(st.st_dev, name, sizeof(name), disk, sizeof(disk), &part))
		skip();		/* / is not on a block device (overlay, tmpfs) */
	assert_int_equal(dsp_blkdev_snap_new(&s), 0);
	assert_true(dsp_blkdev_snap_is_root(s, st.st_dev));
	assert_int_equal(dsp_blkdev_snap_check(s, name, 0, &u), 0);
	assert_true(u.holds_root);
	assert_true(u.mounted);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)),
			    "device holds the root filesystem");
	assert_int_equal(dsp_blkdev_snap_check(s, disk, DSP_BLKDEV_TREE, &u), 0);
	assert_true(u.holds_root);
	assert_int_equal(dsp_blkdev_snap_check(s, "../vda", 0, &u), -EINVAL);
	dsp_blkdev_snap_free(s);
}

/* A loop over a loop at an offset: its medium is the image file, further in. */
static void test_dsp_blkdev_medium_loop_chain(void **state)
{
	struct dsp_blkdev_medium m;
	char a[64], c[64], img[256];
	struct stat st, sa, sc;

	(void)state;
	need_root();
	assert_int_equal(mkloop("chain", 16, a, sizeof(a)), 0);
	assert_int_equal(attach_at(a, 1 << 20, c, sizeof(c)), 0);
	snprintf(img, sizeof(img), "%s/chain.img", tmpdir);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(c, &sc), 0);

	assert_int_equal(dsp_blkdev_medium(c, &m), 0);
	assert_true(m.file);
	assert_true(m.file_dev == st.st_dev);
	assert_true(m.file_ino == st.st_ino);
	assert_int_equal(m.offset, 1 << 20);
	assert_int_equal(m.size, 15u << 20);
	assert_int_equal(m.nlower, 1);
	assert_string_equal(m.lower[0], base(a));
	assert_int_equal(m.nchain, 2);
	assert_true(m.chain[0] == sc.st_rdev);
	assert_true(m.chain[1] == sa.st_rdev);

	assert_int_equal(dsp_blkdev_medium(a, &m), 0);
	assert_true(m.file && m.file_ino == st.st_ino);
	assert_int_equal(m.offset, 0);
	assert_int_equal(m.nlower, 0);
	assert_int_equal(dsp_blkdev_medium("/dev/null", &m), -ENOTBLK);
}

/* Two loop devices over one file: one mounted makes the other in use. */
static void test_dsp_blkdev_in_use_alias_mounted(void **state)
{
	struct dsp_blkdev_use u;
	char a[64], b[64], img[256], mp[256], buf[600], want[600];

	(void)state;
	need_root();
	assert_int_equal(mkloop("alias", 16, a, sizeof(a)), 0);
	snprintf(img, sizeof(img), "%s/alias.img", tmpdir);
	assert_int_equal(attach(img, b, sizeof(b)), 0);
	assert_int_equal(dsp_blkdev_in_use(a, &u), 0);
	assert_false(u.mounted || u.has_holders);	/* an idle alias is no use */
	assert_int_equal(sh("mkfs.ext4 -q '%s'", b), 0);
	assert_int_equal(do_mount(b, "alias", mp, sizeof(mp)), 0);
	assert_int_equal(dsp_blkdev_in_use(a, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.via, base(b));
	assert_string_equal(u.mounted_dev, base(b));
	assert_string_equal(u.name, base(a));
	snprintf(want, sizeof(want), "device shares its medium with %s: %s is mounted on %s",
		 b, b, mp);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);
	/* the mounted one itself: its own reason */
	assert_int_equal(dsp_blkdev_in_use(b, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.via, "");
}

/* A loop over a mounted device writes to that device: in use. */
static void test_dsp_blkdev_in_use_lower_mounted(void **state)
{
	struct dsp_blkdev_use u;
	char x[64], c[64], mp[256], buf[600], want[600];

	(void)state;
	need_root();
	assert_int_equal(mkloop("lowerm", 16, x, sizeof(x)), 0);
	assert_int_equal(attach(x, c, sizeof(c)), 0);
	assert_int_equal(dsp_blkdev_in_use(c, &u), 0);
	assert_false(u.mounted || u.has_holders);	/* its own chain holds nothing */
	assert_int_equal(sh("mkfs.ext4 -q '%s'", x), 0);
	assert_int_equal(do_mount(x, "lowerm", mp, sizeof(mp)), 0);
	assert_int_equal(dsp_blkdev_in_use(c, &u), 0);
	assert_true(u.mounted);
	assert_string_equal(u.via, base(x));
	snprintf(want, sizeof(want), "device shares its medium with %s: %s is mounted on %s",
		 x, x, mp);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);
}

/*
 * A loop over a file on a filesystem unmounted lazily keeps that
 * filesystem (and the device under it) alive, though no mount shows it.
 */
static void test_dsp_blkdev_in_use_file_on_lazy_fs(void **state)
{
	struct dsp_blkdev_use u;
	char x[64], l[64], mp[256], file[300], buf[600], want[600];

	(void)state;
	need_root();
	assert_int_equal(mkloop("lazy", 32, x, sizeof(x)), 0);
	assert_int_equal(sh("mkfs.ext4 -q '%s'", x), 0);
	assert_int_equal(do_mount(x, "lazy", mp, sizeof(mp)), 0);
	snprintf(file, sizeof(file), "%s/inner.img", mp);
	assert_int_equal(sh("truncate -s 4M '%s'", file), 0);
	assert_int_equal(attach(file, l, sizeof(l)), 0);
	assert_int_equal(sh("umount -l '%s'", mp), 0);
	nmounts--;
	assert_int_equal(dsp_blkdev_in_use(x, &u), 0);
	assert_false(u.mounted);
	assert_true(u.has_holders);
	assert_string_equal(u.holder, base(l));
	snprintf(want, sizeof(want), "device is held by %s", l);
	assert_string_equal(dsp_blkdev_use_reason(&u, buf, sizeof(buf)), want);
}

/* Loop files are what the kernel has open, not what the path names now. */
static void test_dsp_blkdev_loop_files_replaced(void **state)
{
	struct dsp_blkdev_loopfile *v;
	char a[64], img[256];
	struct stat old, cur;
	size_t n, i;
	bool found = false;

	(void)state;
	need_root();
	assert_int_equal(mkloop("repl", 8, a, sizeof(a)), 0);
	snprintf(img, sizeof(img), "%s/repl.img", tmpdir);
	assert_int_equal(stat(img, &old), 0);
	assert_int_equal(sh("mv '%s' '%s.old' && truncate -s 8M '%s'", img, img, img), 0);
	assert_int_equal(stat(img, &cur), 0);
	assert_true(cur.st_ino != old.st_ino);
	assert_int_equal(dsp_blkdev_loop_files(&v, &n), 0);
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, base(a))) {
			found = true;
			assert_true(v[i].ino == old.st_ino);
			assert_true(v[i].dev == old.st_dev);
		}
	free(v);
	assert_true(found);
}

/* Aliases and a loop with its backing device are one medium; others are not. */
static void test_dsp_blkdev_shared_medium_pairs(void **state)
{
	char a[64], b[64], c[64], o[64], img[256];
	struct stat sa, sb, sc, so;
	dev_t d[3];
	size_t i = 9, j = 9;

	(void)state;
	need_root();
	assert_int_equal(mkloop("sh1", 8, a, sizeof(a)), 0);
	assert_int_equal(mkloop("sh2", 8, o, sizeof(o)), 0);
	snprintf(img, sizeof(img), "%s/sh1.img", tmpdir);
	assert_int_equal(attach(img, b, sizeof(b)), 0);
	assert_int_equal(attach(o, c, sizeof(c)), 0);
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_int_equal(stat(c, &sc), 0);
	assert_int_equal(stat(o, &so), 0);

	d[0] = so.st_rdev;
	d[1] = sa.st_rdev;
	d[2] = sb.st_rdev;
	assert_int_equal(dsp_blkdev_shared_medium(d, 3, &i, &j), 1);
	assert_int_equal(i, 1);
	assert_int_equal(j, 2);
	d[2] = sc.st_rdev;		/* c is backed by o */
	assert_int_equal(dsp_blkdev_shared_medium(d, 3, &i, &j), 1);
	assert_int_equal(i, 0);
	assert_int_equal(j, 2);
	d[0] = sb.st_rdev;
	d[1] = sc.st_rdev;
	assert_int_equal(dsp_blkdev_shared_medium(d, 2, &i, &j), 0);
	assert_int_equal(dsp_blkdev_shared_medium(d, 1, &i, &j), 0);
}

/* Claimed: the other loop over the file and the backing device cannot be opened O_EXCL. */
static void test_dsp_blkdev_claim_medium_aliases(void **state)
{
	char a[64], b[64], c[64], img[256], busy[256];
	int *fds = NULL, fd;
	size_t n = 9;

	(void)state;
	need_root();
	assert_int_equal(mkloop("claim", 8, a, sizeof(a)), 0);
	snprintf(img, sizeof(img), "%s/claim.img", tmpdir);
	assert_int_equal(attach(img, b, sizeof(b)), 0);
	assert_int_equal(attach(a, c, sizeof(c)), 0);

	/* erasing c: a is below it, b another loop over the same file */
	assert_int_equal(dsp_blkdev_claim_medium(c, &fds, &n, busy, sizeof(busy)), 0);
	assert_int_equal(n, 2);
	fd = open(a, O_RDONLY | O_EXCL);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EBUSY);
	fd = open(b, O_RDONLY | O_EXCL);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EBUSY);
	fd = open(c, O_RDONLY | O_EXCL);	/* the target itself is the caller's */
	assert_true(fd >= 0);
	close(fd);
	dsp_blkdev_release(fds, n);
	fd = open(b, O_RDONLY | O_EXCL);
	assert_true(fd >= 0);

	/* held elsewhere: the claim fails and names it, holding nothing */
	assert_int_equal(dsp_blkdev_claim_medium(c, &fds, &n, busy, sizeof(busy)), -EBUSY);
	assert_string_equal(busy, b);
	assert_null(fds);
	assert_int_equal(n, 0);
	close(fd);
	fd = open(a, O_RDONLY | O_EXCL);
	assert_true(fd >= 0);
	close(fd);
}

/* ---- the device module on a fake root, udev, resolver, lock ---- */

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

/* sda (8:0) with sda1 (8:1) and sda2 (8:2); sdb (8:16) without partitions */
static int setup_disks(void **state)
{
	char *root = malloc(64);

	assert_non_null(root);
	fake_root_new(root, 64);
	fake_disk(root, "sda", 8, 0, 4 * GiB);
	fake_part(root, "sda", "sda1", 8, 1, 1, MiB, GiB);
	fake_part(root, "sda", "sda2", 8, 2, 2, GiB + MiB, GiB);
	fake_disk(root, "sdb", 8, 16, 2 * GiB);
	*state = root;
	return 0;
}

static int teardown_root(void **state)
{
	fake_root_free(*state);
	free(*state);
	return 0;
}

static void check(const char *root, unsigned maj, unsigned min, struct dsp_blkdev_use *u,
		  char *why, size_t len)
{
	assert_int_equal(dsp_device_check(root, makedev(maj, min), u), 0);
	dsp_blkdev_use_reason(u, why, len);
}

static void test_dsp_device_check_free(void **state)
{
	struct dsp_blkdev_use u;
	char why[600];

	check(*state, 8, 0, &u, why, sizeof(why));
	assert_false(u.mounted || u.holds_root || u.swap_active || u.has_holders);
	assert_string_equal(why, "");
	check(*state, 8, 16, &u, why, sizeof(why));
	assert_string_equal(why, "");
	assert_int_equal(dsp_device_check(*state, makedev(8, 99), &u), -ENOENT);
}

static void test_dsp_device_check_mounted_partition(void **state)
{
	struct dsp_blkdev_use u;
	char why[600];

	fake_mount(*state, 8, 1, "/srv");
	check(*state, 8, 1, &u, why, sizeof(why));
	assert_true(u.mounted);
	assert_string_equal(why, "device is mounted on /srv");
	/* the disk, and a sibling partition (the disk is one medium) */
	check(*state, 8, 0, &u, why, sizeof(why));
	assert_string_equal(why, "device is in use: /dev/sda1 is mounted on /srv");
	check(*state, 8, 2, &u, why, sizeof(why));
	assert_string_equal(why, "device is in use: /dev/sda1 is mounted on /srv");
	/* another disk is free */
	check(*state, 8, 16, &u, why, sizeof(why));
	assert_string_equal(why, "");
}

static void test_dsp_device_check_root(void **state)
{
	struct dsp_blkdev_use u;
	char why[600];

	fake_mount(*state, 8, 2, "/");
	check(*state, 8, 2, &u, why, sizeof(why));
	assert_true(u.holds_root);
	assert_string_equal(why, "device holds the root filesystem");
	check(*state, 8, 0, &u, why, sizeof(why));
	assert_true(u.holds_root);
}

static void test_dsp_device_check_swap(void **state)
{
	struct dsp_blkdev_use u;
	char why[600];

	fake_swap(*state, "/dev/sdb", "partition");
	check(*state, 8, 16, &u, why, sizeof(why));
	assert_true(u.swap_active);
	assert_string_equal(why, "device is active swap");
	check(*state, 8, 0, &u, why, sizeof(why));
	assert_false(u.swap_active);
}

static void test_dsp_device_check_holders(void **state)
{
	struct dsp_blkdev_use u;
	char why[600];

	fake_disk(*state, "dm-0", 253, 0, GiB);
	fake_holder(*state, "sda1", "dm-0");
	check(*state, 8, 1, &u, why, sizeof(why));
	assert_true(u.has_holders);
	assert_string_equal(why, "device is held by /dev/dm-0");
	/* a partition of a held disk */
	check(*state, 8, 2, &u, why, sizeof(why));
	assert_true(u.has_holders);
	assert_string_equal(why, "device is in use: /dev/sda1 is held by /dev/dm-0");
	/* what is mounted on the holder counts for the disk below */
	fake_mount(*state, 253, 0, "/data");
	check(*state, 8, 0, &u, why, sizeof(why));
	assert_true(u.mounted);
	assert_string_equal(u.mountpoint, "/data");
}

static void test_dsp_device_check_loop_over_disk(void **state)
{
	struct dsp_blkdev_use u;
	char why[600];

	fake_loop(*state, "loop0", 7, 0, 2 * GiB, "/dev/sdb");
	check(*state, 8, 16, &u, why, sizeof(why));
	assert_true(u.has_holders);
	assert_string_equal(why, "device is held by /dev/loop0");
	/* the loop device itself is free, until what backs it is used */
	check(*state, 7, 0, &u, why, sizeof(why));
	assert_string_equal(why, "");
	fake_mount(*state, 8, 16, "/mnt");
	check(*state, 7, 0, &u, why, sizeof(why));
	assert_string_equal(why, "device shares its medium with /dev/sdb: /dev/sdb is mounted on /mnt");
}

static void test_dsp_device_check_loop_file_alias(void **state)
{
	char img[256];
	struct dsp_blkdev_use u;
	struct dsp_blkdev_loopfile *lf;
	struct stat st;
	size_t n;
	char why[600];

	/* two loop devices over one file; the second is mounted */
	fake_write(*state, "var/img", "x");
	snprintf(img, sizeof(img), "%s/var/img", (char *)*state);
	assert_int_equal(stat(img, &st), 0);
	fake_loop(*state, "loop1", 7, 1, MiB, "/var/img");
	fake_loop(*state, "loop2", 7, 2, MiB, "/var/img");
	fake_mount(*state, 7, 2, "/mnt/img");
	check(*state, 7, 1, &u, why, sizeof(why));
	assert_string_equal(why, "device shares its medium with /dev/loop2: /dev/loop2 is mounted on /mnt/img");

	assert_int_equal(dsp_device_loop_files(*state, &lf, &n), 0);
	assert_int_equal(n, 2);
	assert_true(lf[0].dev == st.st_dev && lf[0].ino == st.st_ino);
	assert_true(lf[1].dev == st.st_dev && lf[1].ino == st.st_ino);
	free(lf);
}

static void test_dsp_device_info_fake(void **state)
{
	struct dsp_blkdev_info in;
	char name[64], disk[64];
	bool part;

	fake_attr(*state, "sda", "device/model", "QEMU HARDDISK   ");
	fake_attr(*state, "sda", "device/serial", "SER-1");
	fake_attr(*state, "sda", "wwid", "naa.5000c500a1b2c3d4");
	fake_attr(*state, "sda", "queue/rotational", "0");
	assert_int_equal(dsp_device_info(*state, makedev(8, 1), &in), 0);
	assert_string_equal(in.name, "sda1");
	assert_string_equal(in.disk, "sda");
	assert_string_equal(in.path, "/dev/sda1");
	assert_true(in.is_partition);
	assert_int_equal(in.partno, 1);
	assert_int_equal(in.start, MiB);
	assert_int_equal(in.size, GiB);
	assert_int_equal(in.rotational, 0);
	assert_string_equal(in.model, "QEMU HARDDISK");
	assert_string_equal(in.serial, "SER-1");
	assert_string_equal(in.wwn, "naa.5000c500a1b2c3d4");
	assert_int_equal(dsp_device_name(*state, makedev(8, 2), name, sizeof(name), disk,
					 sizeof(disk), &part), 0);
	assert_string_equal(name, "sda2");
	assert_string_equal(disk, "sda");
	assert_true(part);
	assert_int_equal(dsp_device_info(*state, makedev(9, 9), &in), -ENOENT);
}

static void test_dsp_device_names_fake(void **state)
{
	char **v;

	fake_disk(*state, "dm-0", 253, 0, GiB);
	fake_part(*state, "sda", "sda10", 8, 10, 10, 3 * GiB, MiB);
	fake_holder(*state, "sda10", "dm-0");
	fake_write(*state, "sys/class/block/dm-0/slaves/sda10/dev", "8:10\n");
	assert_int_equal(dsp_device_names(*state, NULL, &v), 0);
	assert_non_null(v);
	assert_string_equal(v[0], "dm-0");
	assert_string_equal(v[1], "sda");
	assert_string_equal(v[2], "sda1");
	assert_string_equal(v[3], "sda2");
	assert_string_equal(v[4], "sda10");	/* version order */
	assert_string_equal(v[5], "sdb");
	assert_null(v[6]);
	dsp_device_names_free(v);
	assert_int_equal(dsp_device_names(*state, "sda", &v), 0);
	assert_string_equal(v[0], "sda1");
	assert_string_equal(v[1], "sda2");
	assert_string_equal(v[2], "sda10");
	assert_null(v[3]);
	dsp_device_names_free(v);
	assert_int_equal(dsp_device_names(*state, "sdb", &v), 0);
	assert_null(v[0]);
	dsp_device_names_free(v);
	assert_int_equal(dsp_device_slaves(*state, "dm-0", &v), 0);
	assert_string_equal(v[0], "sda10");
	assert_null(v[1]);
	dsp_device_names_free(v);
	assert_int_equal(dsp_device_names(*state, "nope", &v), -ENOENT);
	assert_int_equal(dsp_device_names(*state, "../x", &v), -EINVAL);
}

/* ---- udev's view, from a fake property list ---- */

static const char *const sata_props[] = {
	"DEVNAME=/dev/sda", "DEVTYPE=disk", "ID_BUS=ata",
	"ID_MODEL=Samsung_SSD_860_EVO_500GB",
	"ID_MODEL_ENC=Samsung\\x20SSD\\x20860\\x20EVO\\x20500GB\\x20\\x20",
	"ID_SERIAL=Samsung_SSD_860_EVO_500GB_S3Z1NB0K123456A",
	"ID_SERIAL_SHORT=S3Z1NB0K123456A",
	"ID_WWN=0x5002538e40a1b2c3",
	"ID_WWN_WITH_EXTENSION=0x5002538e40a1b2c3",
	"ID_PATH=pci-0000:00:1f.2-ata-1",
	"DEVLINKS=/dev/disk/by-path/pci-0000:00:1f.2-ata-1 "
	"/dev/disk/by-id/wwn-0x5002538e40a1b2c3 "
	"/dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z1NB0K123456A",
};

static void test_dsp_device_udev_parse_props(void **state)
{
	struct dsp_device_udev u = { .present = true };

	(void)state;
	dsp_device_udev_parse(sata_props, sizeof(sata_props) / sizeof(sata_props[0]), &u);
	assert_true(u.present);
	assert_string_equal(u.serial, "S3Z1NB0K123456A");
	assert_string_equal(u.wwn, "0x5002538e40a1b2c3");
	assert_string_equal(u.model, "Samsung SSD 860 EVO 500GB");
	assert_string_equal(u.id_path, "pci-0000:00:1f.2-ata-1");
	assert_int_equal(u.nby_id, 2);
	assert_string_equal(u.by_id[0], "/dev/disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z1NB0K123456A");
	assert_string_equal(u.by_id[1], "/dev/disk/by-id/wwn-0x5002538e40a1b2c3");
}

/* udev's serial and WWN win; sysfs's are kept where they differ. */
static void test_dsp_device_udev_merge_sysfs(void **state)
{
	struct dsp_device_udev u = { .present = true };
	struct dsp_blkdev_info in;
	struct json_object *o, *v;

	fake_attr(*state, "sda", "device/model", "Samsung SSD 860");
	fake_attr(*state, "sda", "wwid", "naa.5002538e40a1b2c3");
	assert_int_equal(dsp_device_info(*state, makedev(8, 0), &in), 0);
	assert_false(in.udev);
	assert_string_equal(in.serial, "");
	dsp_device_udev_parse(sata_props, sizeof(sata_props) / sizeof(sata_props[0]), &u);
	dsp_device_udev_merge(&in, &u);
	assert_true(in.udev);
	assert_string_equal(in.serial, "S3Z1NB0K123456A");
	assert_string_equal(in.sysfs_serial, "");	/* sysfs had none */
	assert_string_equal(in.wwn, "0x5002538e40a1b2c3");
	assert_string_equal(in.sysfs_wwn, "naa.5002538e40a1b2c3");
	assert_string_equal(in.model, "Samsung SSD 860");	/* sysfs's stays */
	assert_string_equal(in.id_path, "pci-0000:00:1f.2-ata-1");
	assert_int_equal(in.nby_id, 2);

	o = dsp_identity_block(&in);
	assert_true(json_object_object_get_ex(o, "serial", &v));
	assert_string_equal(json_object_get_string(v), "S3Z1NB0K123456A");
	assert_true(json_object_object_get_ex(o, "sysfs_wwid", &v));
	assert_string_equal(json_object_get_string(v), "naa.5002538e40a1b2c3");
	assert_true(json_object_object_get_ex(o, "sysfs_serial", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "by_id", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_true(json_object_object_get_ex(o, "udev", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(o);

	/* equal values: nothing kept twice */
	fake_attr(*state, "sdb", "device/serial", "S3Z1NB0K123456A");
	assert_int_equal(dsp_device_info(*state, makedev(8, 16), &in), 0);
	dsp_device_udev_merge(&in, &u);
	assert_string_equal(in.serial, "S3Z1NB0K123456A");
	assert_string_equal(in.sysfs_serial, "");
}

/* No udev database (chroot, rescue system): sysfs alone, by_id null. */
static void test_dsp_device_udev_absent_sysfs_fallback(void **state)
{
	struct dsp_device_udev u = { .present = false };
	struct dsp_blkdev_info in;
	struct json_object *o, *v;

	fake_attr(*state, "sda", "device/serial", "SYSFS-SER");
	fake_attr(*state, "sda", "wwid", "t10.ATA     QEMU HARDDISK   QM00001");
	assert_int_equal(dsp_device_info(*state, makedev(8, 0), &in), 0);
	dsp_device_udev_parse(sata_props, sizeof(sata_props) / sizeof(sata_props[0]), &u);
	dsp_device_udev_merge(&in, &u);
	assert_false(in.udev);
	assert_string_equal(in.serial, "SYSFS-SER");
	assert_string_equal(in.wwn, "t10.ATA     QEMU HARDDISK   QM00001");
	o = dsp_identity_block(&in);
	assert_true(json_object_object_get_ex(o, "by_id", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "serial", &v));
	assert_string_equal(json_object_get_string(v), "SYSFS-SER");
	json_object_put(o);
	/* an empty list from udev changes nothing either */
	u.present = true;
	dsp_device_udev_parse(NULL, 0, &u);
	dsp_device_udev_merge(&in, &u);
	assert_string_equal(in.serial, "SYSFS-SER");
	assert_string_equal(in.wwn, "t10.ATA     QEMU HARDDISK   QM00001");
	assert_int_equal(in.nby_id, 0);
}

/* On this system: without a udev database the read says so and changes nothing. */
static void test_dsp_device_udev_read_no_database(void **state)
{
	struct dsp_device_udev u;
	struct stat st;

	(void)state;
	if (access("/run/udev/data", F_OK) == 0 || stat("/dev/loop0", &st) < 0 ||
	    !S_ISBLK(st.st_mode))
		skip();
	memset(&u, 0xff, sizeof(u));
	assert_int_equal(dsp_device_udev_read(st.st_rdev, &u), -ENOENT);
	assert_false(u.present);
	assert_int_equal(u.nby_id, 0);
	assert_string_equal(u.serial, "");
}

/* ---- resolver and lock (no device is written) ---- */

static void test_dsp_device_resolve_symlink(void **state)
{
	char dir[] = "/tmp/dsp-resolve-XXXXXX", link[128], file[128];
	struct dsp_device_ref ref;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/null", dir);
	assert_int_equal(symlink("/dev/null", link), 0);
	assert_int_equal(dsp_device_resolve(link, &ref), -ENOTBLK);
	snprintf(file, sizeof(file), "%s/missing", dir);
	assert_int_equal(dsp_device_resolve(file, &ref), -ENOENT);
	unlink(link);
	/* a block node through a link: loop0's node (stat only, never opened) */
	if (stat("/dev/loop0", &st) == 0 && S_ISBLK(st.st_mode)) {
		assert_int_equal(symlink("/dev/loop0", link), 0);
		assert_int_equal(dsp_device_resolve(link, &ref), 0);
		assert_string_equal(ref.given, link);
		assert_string_equal(ref.node, "/dev/loop0");
		assert_true(ref.symlink);
		assert_true(ref.devno == st.st_rdev);
		/* an fd of another file is not the device resolved */
		fd = open("/dev/null", O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(dsp_device_recheck_fd(fd, &ref), -ESTALE);
		close(fd);
		unlink(link);
	}
	rmdir(dir);
}

static void test_dsp_device_lock_exclusive(void **state)
{
	char path[] = "/tmp/dsp-lock-XXXXXX";
	int a, b;

	(void)state;
	a = mkstemp(path);
	assert_true(a >= 0);
	b = open(path, O_RDONLY);
	assert_true(b >= 0);
	assert_int_equal(dsp_device_lock(a), 0);
	assert_int_equal(dsp_device_lock(b), -EBUSY);
	close(a);
	assert_int_equal(dsp_device_lock(b), 0);
	close(b);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_mountinfo_fields),
		cmocka_unit_test(test_parse_mountinfo_malformed),
		cmocka_unit_test(test_parse_mountinfo_callback_stops),
		cmocka_unit_test(test_parse_swaps_fields),
		cmocka_unit_test(test_parse_swaps_malformed),
		cmocka_unit_test(test_dsp_blkdev_use_reason_texts),
		cmocka_unit_test(test_dsp_blkdev_devpath_bang),
		cmocka_unit_test_teardown(test_dsp_blkdev_info_loop, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_idle, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_mounted, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_swap, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_partition_mounted, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_loop_holder, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_btrfs_members, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_swapfile, cleanup),
		cmocka_unit_test(test_dsp_blkdev_snap_check_root),
		cmocka_unit_test(test_dsp_blkdev_medium_overlap_ranges),
		cmocka_unit_test(test_dsp_blkdev_use_reason_via),
		cmocka_unit_test_teardown(test_dsp_blkdev_medium_loop_chain, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_alias_mounted, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_lower_mounted, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_in_use_file_on_lazy_fs, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_loop_files_replaced, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_shared_medium_pairs, cleanup),
		cmocka_unit_test_teardown(test_dsp_blkdev_claim_medium_aliases, cleanup),
		/* on a fake root */
		cmocka_unit_test_setup_teardown(test_dsp_device_check_free, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_check_mounted_partition, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_check_root, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_check_swap, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_check_holders, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_check_loop_over_disk, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_check_loop_file_alias, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_info_fake, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_names_fake, setup_disks, teardown_root),
		cmocka_unit_test(test_dsp_device_udev_parse_props),
		cmocka_unit_test_setup_teardown(test_dsp_device_udev_merge_sysfs, setup_disks, teardown_root),
		cmocka_unit_test_setup_teardown(test_dsp_device_udev_absent_sysfs_fallback, setup_disks, teardown_root),
		cmocka_unit_test(test_dsp_device_udev_read_no_database),
		cmocka_unit_test(test_dsp_device_resolve_symlink),
		cmocka_unit_test(test_dsp_device_lock_exclusive),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
