/* SPDX-License-Identifier: MIT */
/* test_device.c - the device module on a fake root (no root, no devices), udev merge, resolver, lock */
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
#include <unistd.h>

#include "dispose/device.h"
#include "device_fake.h"

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
		cmocka_unit_test(test_dsp_device_resolve_symlink),
		cmocka_unit_test(test_dsp_device_lock_exclusive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
