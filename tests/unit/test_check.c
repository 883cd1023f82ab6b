/* SPDX-License-Identifier: MIT */
/* test_check.c - every refusal of dsp_erase_check_targets, without root and without writing */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "device_fake.h"
#include "tmpdir_helpers.h"

/* What the checks said: every report, in order. */
struct said {
	unsigned n;
	struct dsp_erase_why w[8];
};

static void collect(const struct dsp_erase_why *w, void *arg)
{
	struct said *s = arg;

	if (s->n < 8)
		s->w[s->n] = *w;
	s->n++;
}

static int setup(void **state)
{
	(void)state;
	return tmpdir_make("dsp-check");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* Check the named targets; returns the result, fills said. */
static int check(const struct dsp_erase_check_opts *o, struct said *s, unsigned n, ...)
{
	struct dsp_erase_checked t[4];
	va_list ap;
	int r;

	assert_true(n <= 4);
	memset(t, 0, sizeof(t));
	memset(s, 0, sizeof(*s));
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		t[i].path = strdup(va_arg(ap, const char *));
	va_end(ap);
	r = dsp_erase_check_targets(o, t, n, collect, s);
	for (unsigned i = 0; i < n; i++) {
		dsp_erase_checked_release(&t[i]);
		free(t[i].path);
		free(t[i].given);
		free(t[i].cur);
	}
	return r;
}

static const struct dsp_erase_check_opts plain = { 0 };

static void test_check_plain_file_and_tree_accepted(void **state)
{
	struct dsp_erase_checked t[2] = { { 0 } };
	struct said s = { 0 };

	(void)state;
	make_file(at("f"), 1000);
	assert_int_equal(mkdir(at("tree"), 0700), 0);
	make_file(at("tree/a"), 300);
	make_file(at("tree/b"), 200);
	t[0].path = strdup(at("f"));
	t[1].path = strdup(at("tree"));
	assert_int_equal(dsp_erase_check_targets(&plain, t, 2, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(t[0].kind, DSP_ERASE_FILE);
	assert_int_equal(t[0].size, 1000);
	assert_int_equal(t[1].kind, DSP_ERASE_TREE);
	assert_int_equal(t[1].scan.files, 2);
	assert_int_equal(t[1].size, 500);
	assert_non_null(t[0].ft);
	assert_null(t[0].given);
	for (int i = 0; i < 2; i++) {
		dsp_erase_checked_release(&t[i]);
		free(t[i].path);
	}
}

static void test_check_symlink_to_file_refused(void **state)
{
	struct said s;

	(void)state;
	make_file(at("f"), 10);
	assert_int_equal(symlink(at("f"), at("link")), 0);
	assert_int_equal(check(&plain, &s, 1, at("link")), DSP_REFUSED);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.w[0].thing, at("link"));
	assert_string_equal(s.w[0].reason, "is a symbolic link; name its target instead");
}

static void test_check_symlink_to_dir_and_dangling_refused(void **state)
{
	struct said s;

	(void)state;
	assert_int_equal(mkdir(at("d"), 0700), 0);
	assert_int_equal(symlink(at("d"), at("dl")), 0);
	assert_int_equal(symlink(at("nothing"), at("dangling")), 0);
	assert_int_equal(check(&plain, &s, 1, at("dl")), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "is a symbolic link; name its target instead");
	assert_int_equal(check(&plain, &s, 1, at("dangling")), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "is a symbolic link; name its target instead");
}

static void test_check_symlinked_parent_refused(void **state)
{
	struct said s;
	char want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(mkdir(at("real"), 0700), 0);
	make_file(at("real/f"), 10);
	assert_int_equal(symlink(at("real"), at("via")), 0);
	assert_int_equal(check(&plain, &s, 1, at("via/f")), DSP_REFUSED);
	snprintf(want, sizeof(want), "%s is a symbolic link; name the path without it", at("via"));
	assert_string_equal(s.w[0].reason, want);
}

static void test_check_run_dir_inside_refused(void **state)
{
	struct dsp_erase_check_opts o = { .run_dir = NULL };
	struct said s;
	char want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(mkdir(at("tree"), 0700), 0);
	o.run_dir = at("tree/run/not-yet");	/* need not exist */
	assert_int_equal(check(&o, &s, 1, at("tree")), DSP_REFUSED);
	snprintf(want, sizeof(want), "holds the run directory %s", o.run_dir);
	assert_string_equal(s.w[0].reason, want);
	/* a file of the run directory */
	assert_int_equal(mkdir(at("run"), 0700), 0);
	make_file(at("run/events.jsonl"), 10);
	o.run_dir = at("run");
	assert_int_equal(check(&o, &s, 1, at("run/events.jsonl")), DSP_REFUSED);
	snprintf(want, sizeof(want), "is a file of the run directory %s", o.run_dir);
	assert_string_equal(s.w[0].reason, want);
}

static void test_check_tree_with_run_file_link_refused(void **state)
{
	struct dsp_erase_check_opts o = { .run_dir = NULL };
	struct said s;
	char want[2 * PATH_MAX];

	(void)state;
	assert_int_equal(mkdir(at("run"), 0700), 0);
	make_file(at("run/events.jsonl"), 10);
	assert_int_equal(mkdir(at("tree"), 0700), 0);
	assert_int_equal(link(at("run/events.jsonl"), at("tree/copy")), 0);
	o.run_dir = at("run");
	o.erase_shared_inodes = true;	/* not what protects the record */
	assert_int_equal(check(&o, &s, 1, at("tree")), DSP_REFUSED);
	snprintf(want, sizeof(want),
		 "holds %s, another name of a file of the run directory %s", at("tree/copy"),
		 o.run_dir);
	assert_string_equal(s.w[0].reason, want);
}

static void test_check_hard_linked_file_refused_unless_asked(void **state)
{
	struct dsp_erase_check_opts o = { .erase_shared_inodes = true };
	struct said s;

	(void)state;
	make_file(at("f"), 10);
	assert_int_equal(link(at("f"), at("g")), 0);
	assert_int_equal(check(&plain, &s, 1, at("f")), DSP_REFUSED);
	assert_string_equal(s.w[0].reason,
			    "has 1 other hard link whose data would be overwritten too");
	assert_string_equal(s.w[0].hint, "Use --erase-shared-inodes to overwrite it anyway.");
	assert_int_equal(check(&o, &s, 1, at("f")), 0);
	assert_int_equal(s.n, 0);
}

static void test_check_two_trees_sharing_a_file_refused(void **state)
{
	struct said s;

	(void)state;
	assert_int_equal(mkdir(at("a"), 0700), 0);
	assert_int_equal(mkdir(at("b"), 0700), 0);
	make_file(at("a/x"), 10);
	assert_int_equal(link(at("a/x"), at("b/y")), 0);
	assert_int_equal(check(&plain, &s, 2, at("a"), at("b")), DSP_REFUSED);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.w[0].thing, at("b/y"));
	assert_non_null(strstr(s.w[0].reason, "is a hard link of"));
	assert_non_null(s.w[0].hint);
}

static void test_check_named_twice_and_inside_invalid(void **state)
{
	struct said s;
	char want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(mkdir(at("tree"), 0700), 0);
	make_file(at("tree/f"), 10);
	assert_int_equal(check(&plain, &s, 2, at("tree/f"), at("tree/f")), DSP_INVALID);
	snprintf(want, sizeof(want), "named twice (also as %s)", at("tree/f"));
	assert_string_equal(s.w[0].reason, want);
	assert_int_equal(check(&plain, &s, 2, at("tree/f"), at("tree")), DSP_INVALID);
	snprintf(want, sizeof(want), "is inside %s, also named", at("tree"));
	assert_string_equal(s.w[0].thing, at("tree/f"));
	assert_string_equal(s.w[0].reason, want);
}

static void test_check_root_and_mount_point_refused(void **state)
{
	struct said s;

	(void)state;
	assert_int_equal(check(&plain, &s, 1, "/"), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "refusing to erase the root directory");
	/* /proc is a mount point wherever these tests run */
	assert_int_equal(check(&plain, &s, 1, "/proc"), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "is a mount point; refusing to erase it");
}

static void test_check_missing_and_fifo_invalid(void **state)
{
	struct said s;

	(void)state;
	assert_int_equal(check(&plain, &s, 1, at("none")), DSP_INVALID);
	assert_string_equal(s.w[0].reason, strerror(ENOENT));
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	assert_int_equal(check(&plain, &s, 1, at("fifo")), DSP_INVALID);
	assert_string_equal(s.w[0].reason, "not a block device, regular file or directory");
}

/* Every target is checked: two bad ones, two reports; the refusal decides. */
static void test_check_reports_every_target_refusal_wins(void **state)
{
	struct said s;

	(void)state;
	make_file(at("f"), 10);
	assert_int_equal(symlink(at("f"), at("link")), 0);
	assert_int_equal(check(&plain, &s, 2, at("none"), at("link")), DSP_REFUSED);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.w[0].code, DSP_INVALID);
	assert_int_equal(s.w[1].code, DSP_REFUSED);
}


/* ---- block devices, against a fake sysfs/mountinfo/swaps root ---- */

/*
 * The check starts from the node's device number (lstat, no open), and
 * everything after that is read under the fake root: any block device
 * node will do as the name. A loop node is taken, never a disk.
 */
static bool loop_node(unsigned k, char *path, size_t len, dev_t *rdev)
{
	struct stat st;

	snprintf(path, len, "/dev/loop%u", k);
	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	*rdev = st.st_rdev;
	return true;
}

struct blk {
	char root[64];
	char node[2][32];
	unsigned maj[2], min[2];
	struct dsp_erase_check_opts o;
};

static void blk_setup(struct blk *b)
{
	dev_t d;

	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < 2; i++) {
		if (!loop_node(i, b->node[i], sizeof(b->node[i]), &d))
			skip();
		b->maj[i] = major(d);
		b->min[i] = minor(d);
	}
	fake_root_new(b->root, sizeof(b->root));
	b->o.root = b->root;
}

static int check_blk(struct blk *b, struct said *s, unsigned n)
{
	return n == 1 ? check(&b->o, s, 1, b->node[0]) : check(&b->o, s, 2, b->node[0], b->node[1]);
}

static void test_check_block_clean_accepted(void **state)
{
	struct dsp_erase_checked t = { 0 };
	struct said s = { 0 };
	struct blk b;

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 1 << 30);
	fake_attr(b.root, "sdx", "device/serial", "SER-X");
	t.path = strdup(b.node[0]);
	assert_int_equal(dsp_erase_check_targets(&b.o, &t, 1, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(t.kind, DSP_ERASE_BLOCK);
	assert_int_equal(t.size, 1 << 30);
	assert_true(t.have_info);
	assert_string_equal(t.info.name, "sdx");
	assert_string_equal(t.info.path, b.node[0]);
	assert_non_null(t.identity);
	dsp_erase_checked_release(&t);
	free(t.path);
	fake_root_free(b.root);
}

static void test_check_block_mounted_refused(void **state)
{
	struct said s;
	struct blk b;

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 1 << 30);
	fake_mount(b.root, b.maj[0], b.min[0], "/srv");
	assert_int_equal(check_blk(&b, &s, 1), DSP_REFUSED);
	assert_string_equal(s.w[0].thing, b.node[0]);
	assert_string_equal(s.w[0].reason, "device is mounted on /srv");
	fake_root_free(b.root);
}

static void test_check_block_root_refused(void **state)
{
	struct said s;
	struct blk b;

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 1 << 30);
	fake_mount(b.root, b.maj[0], b.min[0], "/");
	assert_int_equal(check_blk(&b, &s, 1), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "device holds the root filesystem");
	fake_root_free(b.root);
}

static void test_check_block_swap_refused(void **state)
{
	struct said s;
	struct blk b;

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 1 << 30);
	fake_swap(b.root, "/dev/sdx", "partition");
	assert_int_equal(check_blk(&b, &s, 1), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "device is active swap");
	fake_root_free(b.root);
}

static void test_check_block_holders_refused(void **state)
{
	struct said s;
	struct blk b;

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 1 << 30);
	fake_disk(b.root, "dm-0", 253, 0, 1 << 29);
	fake_holder(b.root, "sdx", "dm-0");
	assert_int_equal(check_blk(&b, &s, 1), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "device is held by /dev/dm-0");
	fake_root_free(b.root);
}

/* The node is a partition whose disk has another partition mounted. */
static void test_check_partition_of_busy_disk_refused(void **state)
{
	struct said s;
	struct blk b;

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", 259, 90, 1 << 30);
	fake_part(b.root, "sdx", "sdx1", b.maj[0], b.min[0], 1, 1 << 20, 1 << 28);
	fake_part(b.root, "sdx", "sdx2", 259, 92, 2, 1 << 29, 1 << 28);
	fake_mount(b.root, 259, 92, "/data");
	assert_int_equal(check_blk(&b, &s, 1), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "device is in use: /dev/sdx2 is mounted on /data");
	fake_root_free(b.root);
}

static void test_check_block_size_zero_invalid(void **state)
{
	struct said s;
	struct blk b;

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 0);
	assert_int_equal(check_blk(&b, &s, 1), DSP_INVALID);
	assert_string_equal(s.w[0].reason, "device has size 0 (no medium?); nothing to erase");
	fake_root_free(b.root);
}

static void test_check_disk_and_its_partition_invalid(void **state)
{
	struct said s;
	struct blk b;
	char want[128];

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 1 << 30);
	fake_part(b.root, "sdx", "sdx1", b.maj[1], b.min[1], 1, 1 << 20, 1 << 28);
	assert_int_equal(check_blk(&b, &s, 2), DSP_INVALID);
	assert_string_equal(s.w[0].thing, b.node[1]);
	snprintf(want, sizeof(want), "is a partition of %s, also named", b.node[0]);
	assert_string_equal(s.w[0].reason, want);
	fake_root_free(b.root);
}

static void test_check_two_loops_one_file_invalid(void **state)
{
	struct said s;
	struct blk b;
	char want[128];

	(void)state;
	blk_setup(&b);
	fake_write(b.root, "img", "%s", "data");
	fake_loop(b.root, "loop60", b.maj[0], b.min[0], 1 << 20, "/img");
	fake_loop(b.root, "loop61", b.maj[1], b.min[1], 1 << 20, "/img");
	assert_int_equal(check_blk(&b, &s, 2), DSP_INVALID);
	assert_string_equal(s.w[0].thing, b.node[1]);
	snprintf(want, sizeof(want), "reaches the same medium as %s, also named", b.node[0]);
	assert_string_equal(s.w[0].reason, want);
	fake_root_free(b.root);
}

/* A regular file that backs a loop device, named or inside a tree. */
static void test_check_loop_backing_file_refused(void **state)
{
	struct said s;
	struct blk b;
	char img[128], tree[128], want[256];

	(void)state;
	blk_setup(&b);
	fake_write(b.root, "t/img", "%s", "data");
	fake_loop(b.root, "loop60", b.maj[0], b.min[0], 1 << 20, "/t/img");
	snprintf(img, sizeof(img), "%s/t/img", b.root);
	snprintf(tree, sizeof(tree), "%s/t", b.root);
	assert_int_equal(check(&b.o, &s, 1, img), DSP_REFUSED);
	assert_string_equal(s.w[0].reason, "is the backing file of /dev/loop60; detach it first");
	assert_int_equal(check(&b.o, &s, 1, tree), DSP_REFUSED);
	snprintf(want, sizeof(want), "holds %s, the backing file of /dev/loop60; detach it first",
		 img);
	assert_string_equal(s.w[0].reason, want);
	fake_root_free(b.root);
}

/* A symlink to a block device (a /dev/disk/by-id name): resolved once, both names kept. */
static void test_check_symlink_to_block_device_accepted(void **state)
{
	struct dsp_erase_checked t = { 0 };
	struct said s = { 0 };
	struct blk b;
	char link[128];

	(void)state;
	blk_setup(&b);
	fake_disk(b.root, "sdx", b.maj[0], b.min[0], 1 << 30);
	snprintf(link, sizeof(link), "%s/by-id-x", b.root);
	assert_int_equal(symlink(b.node[0], link), 0);
	t.path = strdup(link);
	assert_int_equal(dsp_erase_check_targets(&b.o, &t, 1, collect, &s), 0);
	assert_int_equal(t.kind, DSP_ERASE_BLOCK);
	assert_string_equal(t.path, b.node[0]);
	assert_string_equal(t.given, link);
	assert_int_equal(t.dev, makedev(b.maj[0], b.min[0]));
	dsp_erase_checked_release(&t);
	free(t.path);
	free(t.given);
	/* still refused through the link when mounted: the given name is said */
	fake_mount(b.root, b.maj[0], b.min[0], "/srv");
	assert_int_equal(check(&b.o, &s, 1, link), DSP_REFUSED);
	assert_string_equal(s.w[0].thing, link);
	assert_string_equal(s.w[0].reason, "device is mounted on /srv");
	fake_root_free(b.root);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check_plain_file_and_tree_accepted),
		T(test_check_symlink_to_file_refused),
		T(test_check_symlink_to_dir_and_dangling_refused),
		T(test_check_symlinked_parent_refused),
		T(test_check_run_dir_inside_refused),
		T(test_check_tree_with_run_file_link_refused),
		T(test_check_hard_linked_file_refused_unless_asked),
		T(test_check_two_trees_sharing_a_file_refused),
		T(test_check_named_twice_and_inside_invalid),
		T(test_check_root_and_mount_point_refused),
		T(test_check_missing_and_fifo_invalid),
		T(test_check_reports_every_target_refusal_wins),
		T(test_check_block_clean_accepted),
		T(test_check_block_mounted_refused),
		T(test_check_block_root_refused),
		T(test_check_block_swap_refused),
		T(test_check_block_holders_refused),
		T(test_check_partition_of_busy_disk_refused),
		T(test_check_block_size_zero_invalid),
		T(test_check_disk_and_its_partition_invalid),
		T(test_check_two_loops_one_file_invalid),
		T(test_check_loop_backing_file_refused),
		T(test_check_symlink_to_block_device_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
