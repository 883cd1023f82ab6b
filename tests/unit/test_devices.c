/* SPDX-License-Identifier: MIT */
/* test_devices.c - block device inventory against blkid on real loop devices */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispose/inventory.h"
#include "sh_util.h"

static char tmpdir[64];
static char loops[8][64];
static int nloops;
static char mounts[4][256];
static int nmounts;

/* What the scanner emitted: one array per section. */
struct collect {
	struct json_object *devices, *errors;
	int stop_after;		/* stop after this many devices (0: never) */
};

static int collect_emit(void *arg, const char *section, struct json_object *item)
{
	struct collect *c = arg;

	if (!strcmp(section, "devices")) {
		json_object_array_add(c->devices, json_object_get(item));
		if (c->stop_after &&
		    (int)json_object_array_length(c->devices) >= c->stop_after)
			return 99;
	} else if (!strcmp(section, "errors")) {
		json_object_array_add(c->errors, json_object_get(item));
	} else {
		fail_msg("unexpected section %s", section);
	}
	return 0;
}

static void collect_init(struct collect *c)
{
	c->devices = json_object_new_array();
	c->errors = json_object_new_array();
	c->stop_after = 0;
}

static void collect_free(struct collect *c)
{
	json_object_put(c->devices);
	json_object_put(c->errors);
}

/* First line of a command's output, "" when it prints nothing. */
static int attach(const char *img, char *dev, size_t len)
{
	sh_out(dev, len, "losetup -P -f --show '%s' 2>/dev/null", img);
	if (strncmp(dev, "/dev/loop", 9))
		return -1;
	snprintf(loops[nloops++], sizeof(loops[0]), "%s", dev);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dispose-devices.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int cleanup(void **state)
{
	int i;

	(void)state;
	for (i = nmounts - 1; i >= 0; i--)
		sh("umount '%s' 2>/dev/null || umount -l '%s' 2>/dev/null", mounts[i], mounts[i]);
	for (i = nloops - 1; i >= 0; i--)
		/*
		 * Partitions added with partx outlive a plain detach and would
		 * show up on whoever attaches this loop device next.
		 */
		sh("partx -d '%s' >/dev/null 2>&1; losetup -d '%s' 2>/dev/null",
		   loops[i], loops[i]);
	nmounts = nloops = 0;
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
	if (geteuid() != 0 || sh("command -v losetup >/dev/null && command -v blkid >/dev/null"))
		skip();
}

/* The device object (or nested partition) with this path, or NULL. */
static struct json_object *find_dev(struct json_object *arr, const char *path)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v, *parts;

		if (json_object_object_get_ex(o, "path", &v) &&
		    !strcmp(json_object_get_string(v), path))
			return o;
		if (json_object_object_get_ex(o, "partitions", &parts)) {
			struct json_object *p = find_dev(parts, path);

			if (p)
				return p;
		}
	}
	return NULL;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("missing key %s", key);
	return v ? json_object_get_string(v) : NULL;
}

static bool get_bool(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
		fail_msg("missing boolean %s", key);
	return json_object_get_boolean(v);
}

/* TYPE, UUID and LABEL must be what blkid's own low-level probe says. */
static void check_blkid(struct json_object *o, const char *dev)
{
	static const char *const tags[][2] = {
		{ "TYPE", "type" }, { "UUID", "uuid" }, { "LABEL", "label" },
	};
	char want[256];
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		sh_out(want, sizeof(want), "blkid -p -o value -s %s '%s' 2>/dev/null",
		       tags[i][0], dev);
		got = get_str(o, tags[i][1]);
		if (!want[0])
			assert_null(got);
		else
			assert_string_equal(got, want);
	}
}

static void make_image(const char *tag, int mib, char *img, size_t len)
{
	snprintf(img, len, "%s/%s.img", tmpdir, tag);
	assert_int_equal(sh("truncate -s %dM '%s'", mib, img), 0);
}

static void test_dsp_inv_devices_signatures(void **state)
{
	char img[256], ext4[64], luks[64], swap[64], empty[64], mp[256], want[300];
	struct json_object *o, *a;
	struct collect c;

	(void)state;
	need_root();
	make_image("ext4", 16, img, sizeof(img));
	assert_int_equal(sh("mkfs.ext4 -q -L dsp-label '%s'", img), 0);
	assert_int_equal(attach(img, ext4, sizeof(ext4)), 0);

	make_image("luks", 32, img, sizeof(img));
	if (sh("command -v cryptsetup >/dev/null") == 0)
		assert_int_equal(sh("echo -n pw | cryptsetup luksFormat --batch-mode --type luks2"
				    " --pbkdf pbkdf2 --pbkdf-force-iterations 1000 '%s' -", img), 0);
	assert_int_equal(attach(img, luks, sizeof(luks)), 0);

	make_image("swap", 16, img, sizeof(img));
	assert_int_equal(sh("mkswap -q -L dsp-swap '%s' >/dev/null", img), 0);
	assert_int_equal(attach(img, swap, sizeof(swap)), 0);

	make_image("empty", 8, img, sizeof(img));
	assert_int_equal(attach(img, empty, sizeof(empty)), 0);

	snprintf(mp, sizeof(mp), "%s/mnt", tmpdir);
	assert_int_equal(sh("mkdir -p '%s' && mount -o ro '%s' '%s'", mp, ext4, mp), 0);
	snprintf(mounts[nmounts++], sizeof(mounts[0]), "%s", mp);

	collect_init(&c);
	assert_int_equal(dsp_inv_devices(collect_emit, &c), 0);

	o = find_dev(c.devices, ext4);
	assert_non_null(o);
	check_blkid(o, ext4);
	assert_string_equal(get_str(o, "type"), "ext4");
	assert_string_equal(get_str(o, "label"), "dsp-label");
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "size")), 16 << 20);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "logical_sector")), 512);
	assert_string_equal(get_str(o, "transport"), "loop");
	a = json_object_object_get(o, "mountpoints");
	assert_int_equal(json_object_array_length(a), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), mp);
	snprintf(want, sizeof(want), "device is mounted on %s", mp);
	assert_string_equal(get_str(o, "in_use"), want);
	assert_false(get_bool(o, "holds_root"));
	assert_false(get_bool(o, "swap_active"));

	o = find_dev(c.devices, luks);
	assert_non_null(o);
	check_blkid(o, luks);
	if (sh("command -v cryptsetup >/dev/null") == 0) {
		assert_string_equal(get_str(o, "type"), "crypto_LUKS");
		assert_string_equal(get_str(o, "version"), "2");
	}

	o = find_dev(c.devices, swap);
	assert_non_null(o);
	check_blkid(o, swap);
	assert_string_equal(get_str(o, "type"), "swap");
	assert_string_equal(get_str(o, "label"), "dsp-swap");
	assert_false(get_bool(o, "swap_active"));	/* mkswap, not swapon */
	assert_null(get_str(o, "in_use"));

	o = find_dev(c.devices, empty);
	assert_non_null(o);
	check_blkid(o, empty);
	assert_null(get_str(o, "type"));
	assert_int_equal(json_object_array_length(json_object_object_get(o, "mountpoints")), 0);
	assert_int_equal(json_object_array_length(json_object_object_get(o, "holders")), 0);
	assert_int_equal(json_object_array_length(json_object_object_get(o, "partitions")), 0);
	assert_non_null(strstr(get_str(o, "backing_file"), "/empty.img"));
	collect_free(&c);
}

/* Partitions are nested under their disk and not listed on their own. */
static void test_dsp_inv_devices_partitions(void **state)
{
	char img[256], dev[64], p1[80], p2[80], want[128];
	struct json_object *o, *parts;
	struct collect c;
	struct stat st;
	size_t i;

	(void)state;
	need_root();
	if (sh("command -v sfdisk >/dev/null && command -v partx >/dev/null"))
		skip();
	make_image("part", 64, img, sizeof(img));
	assert_int_equal(sh("printf 'label: gpt\\n,16M,L\\n,,L\\n' | sfdisk -q '%s'", img), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	snprintf(p1, sizeof(p1), "%sp1", dev);
	snprintf(p2, sizeof(p2), "%sp2", dev);
	/* this kernel does not scan loop partition tables itself */
	if (stat(p1, &st))
		assert_int_equal(sh("partx -a '%s'", dev), 0);
	assert_int_equal(sh("mkfs.ext4 -q -L part-one '%s'", p1), 0);
	assert_int_equal(sh("mkswap -q '%s' >/dev/null", p2), 0);

	collect_init(&c);
	assert_int_equal(dsp_inv_devices(collect_emit, &c), 0);
	for (i = 0; i < json_object_array_length(c.devices); i++) {
		const char *path = get_str(json_object_array_get_idx(c.devices, i), "path");

		assert_string_not_equal(path, p1);
		assert_string_not_equal(path, p2);
	}
	o = find_dev(c.devices, dev);
	assert_non_null(o);
	sh_out(want, sizeof(want), "blkid -p -o value -s PTTYPE '%s'", dev);
	assert_string_equal(want, "gpt");
	assert_string_equal(get_str(o, "pttype"), want);
	sh_out(want, sizeof(want), "blkid -p -o value -s PTUUID '%s'", dev);
	assert_string_equal(get_str(o, "ptuuid"), want);
	assert_null(get_str(o, "type"));
	parts = json_object_object_get(o, "partitions");
	assert_int_equal(json_object_array_length(parts), 2);
	o = json_object_array_get_idx(parts, 0);
	assert_string_equal(get_str(o, "path"), p1);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "size")), 16 << 20);
	check_blkid(o, p1);
	assert_string_equal(get_str(o, "label"), "part-one");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "partition_number")), 1);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "start")), 1 << 20);
	assert_false(json_object_object_get_ex(o, "backing_file", NULL));
	o = json_object_array_get_idx(parts, 1);
	assert_string_equal(get_str(o, "path"), p2);
	check_blkid(o, p2);
	assert_string_equal(get_str(o, "type"), "swap");
	collect_free(&c);
}

/* A loop device stacked on another is listed as its holder. */
static void test_dsp_inv_devices_loop_holder(void **state)
{
	char img[256], lower[64], upper[64], want[300];
	struct json_object *o, *a;
	struct collect c;

	(void)state;
	need_root();
	make_image("lower", 8, img, sizeof(img));
	assert_int_equal(attach(img, lower, sizeof(lower)), 0);
	assert_int_equal(attach(lower, upper, sizeof(upper)), 0);
	collect_init(&c);
	assert_int_equal(dsp_inv_devices(collect_emit, &c), 0);
	o = find_dev(c.devices, lower);
	assert_non_null(o);
	a = json_object_object_get(o, "holders");
	assert_int_equal(json_object_array_length(a), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), upper);
	snprintf(want, sizeof(want), "device is held by %s", upper);
	assert_string_equal(get_str(o, "in_use"), want);
	o = find_dev(c.devices, upper);
	assert_non_null(o);
	assert_string_equal(get_str(o, "backing_file"), lower);
	assert_null(get_str(o, "in_use"));
	collect_free(&c);
}

/* A non-zero return from emit stops the scan and comes back. */
static void test_dsp_inv_devices_emit_stops(void **state)
{
	struct collect c;
	char img[256], dev[64];

	(void)state;
	need_root();
	make_image("stop", 8, img, sizeof(img));
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	collect_init(&c);
	c.stop_after = 1;
	assert_int_equal(dsp_inv_devices(collect_emit, &c), 99);
	assert_int_equal(json_object_array_length(c.devices), 1);
	collect_free(&c);
}

/* Every device object has the documented keys, whatever the machine has. */
static void test_dsp_inv_devices_shape(void **state)
{
	static const char *const keys[] = {
		"path", "size", "logical_sector", "physical_sector", "rotational",
		"removable", "transport", "model", "serial", "wwn", "type", "uuid",
		"label", "mountpoints", "holders", "slaves", "swap_active", "holds_root",
		"in_use", "read_only", "pttype",
	};
	struct collect c;
	size_t i, k, n;

	(void)state;
	collect_init(&c);
	assert_int_equal(dsp_inv_devices(collect_emit, &c), 0);
	n = json_object_array_length(c.devices);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(c.devices, i);
		const char *path = get_str(o, "path");

		assert_true(json_object_object_get_ex(o, "partitions", NULL));
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_object_object_get_ex(o, keys[k], NULL))
				fail_msg("%s: missing %s", path, keys[k]);
		/* memory disks and detached loops are not listed */
		assert_true(strncmp(path, "/dev/zram", 9) && strncmp(path, "/dev/ram", 8));
		assert_true(json_object_get_int64(json_object_object_get(o, "size")) > 0 ||
			    strncmp(path, "/dev/loop", 9));
	}
	collect_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dsp_inv_devices_signatures, cleanup),
		cmocka_unit_test_teardown(test_dsp_inv_devices_partitions, cleanup),
		cmocka_unit_test_teardown(test_dsp_inv_devices_loop_holder, cleanup),
		cmocka_unit_test_teardown(test_dsp_inv_devices_emit_stops, cleanup),
		cmocka_unit_test(test_dsp_inv_devices_shape),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
