/* SPDX-License-Identifier: MIT */
/* test_erase_file.c - files, trees, and a kill -9 in the middle of a pass */
#include "erase_helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dispose/json.h"

static const uint8_t zero = 0x00;

static void write_file(const char *path, size_t len, uint8_t v)
{
	uint8_t *b = malloc(len ? len : 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	memset(b, v, len);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
	free(b);
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static size_t count_entries(const char *dir)
{
	char cmd[256];
	FILE *f;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%zu", &n), 1);
	pclose(f);
	return n;
}

static void test_erase_file_removed_and_renamed(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char dir[64], path[128], fstype[32];
	struct json_object *a, *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret-file.txt", dir);
	write_file(path, 300000, 'S');	/* not a multiple of any block size */
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), 0);
	assert_false(exists(path));
	assert_int_equal(count_entries(dir), 0);
	assert_int_equal(res.bytes_written, 2 * 300000);
	assert_int_equal(res.bytes_verified, 300000);
	a = events(&fx, "file_renamed", "t1");
	assert_int_equal(json_object_array_length(a), 3);
	for (size_t k = 0; k < 3; k++) {
		e = json_object_array_get_idx(a, k);
		assert_int_equal(strlen(jstr(e, "to")), strlen("secret-file.txt"));
		assert_string_not_equal(jstr(e, "to"), "secret-file.txt");
	}
	json_object_put(a);
	e = last_event(&fx, "file_removed", "t1");
	assert_string_equal(jstr(e, "path"), path);
	json_object_put(e);
	e = last_event(&fx, "target", "t1");
	assert_string_equal(jstr(e, "kind"), "file");
	assert_string_not_equal(jstr(json_object_object_get(e, "identity"), "fstype"), "unknown");
	snprintf(fstype, sizeof(fstype), "%s", jstr(json_object_object_get(e, "identity"), "fstype"));
	json_object_put(e);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "nist_category"), "none");
	assert_non_null(strstr(json_object_to_json_string(json_object_object_get(e, "caveats")),
			       "partial sanitization"));
	/* ext4 and xfs overwrite in place; tmpfs has no extents to show */
	if (!strcmp(fstype, "ext4") || !strcmp(fstype, "xfs"))
		assert_string_equal(jstr(json_object_object_get(e, "extents"), "result"), "in-place");
	else if (!strcmp(fstype, "tmpfs"))
		assert_string_equal(jstr(json_object_object_get(e, "extents"), "result"), "unknown");
	json_object_put(e);
	rmdir(dir);
	fx_close(&fx);
}

/*
 * A sparse file of many extents (more than one FIEMAP batch of 512): every
 * old extent is read, and filling the holes in place is no relocation.
 */
static void test_erase_file_sparse_many_extents_in_place(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char dir[64], path[128];
	struct json_object *e, *x;
	uint8_t blk[4096];
	const char *fs;
	int64_t n = 0;
	bool remain = true;
	int fd;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sparse.bin", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(blk, 'S', sizeof(blk));
	/* a data block, then a hole, 1200 times: 1200 extents where the fs keeps holes */
	for (int i = 0; i < 1200; i++)
		assert_int_equal(pwrite(fd, blk, sizeof(blk), (off_t)i * 8192), (ssize_t)sizeof(blk));
	assert_int_equal(ftruncate(fd, 1200 * 8192), 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), 0);
	e = last_event(&fx, "target", "t1");
	fs = jstr(json_object_object_get(e, "identity"), "fstype");
	if (strcmp(fs, "ext4") && strcmp(fs, "xfs")) {
		json_object_put(e);
		rmdir(dir);
		fx_close(&fx);
		skip();
	}
	json_object_put(e);
	e = last_event(&fx, "target_end", "t1");
	x = json_object_object_get(e, "extents");
	assert_string_equal(jstr(x, "result"), "in-place");
	assert_int_equal(dsp_json_i64(x, "count_before", &n), 0);
	assert_int_equal(n, 1200);
	assert_int_equal(dsp_json_i64(x, "uncovered_bytes", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dsp_json_bool(e, "old_data_may_remain", &remain), 0);
	assert_false(remain);
	assert_null(strstr(json_object_to_json_string(json_object_object_get(e, "caveats")),
			   "may remain"));
	assert_string_equal(jstr(e, "category_reason"), "file-level overwrite");
	json_object_put(e);
	rmdir(dir);
	fx_close(&fx);
}

static void test_erase_file_symlink_refused(void **state)
{
	struct fixture fx;
	char dir[64], path[128], target[128];

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(target, sizeof(target), "%s/real", dir);
	snprintf(path, sizeof(path), "%s/link", dir);
	write_file(target, 4096, 'R');
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), -ELOOP);
	assert_true(exists(path));
	assert_true(exists(target));
	unlink(path);
	unlink(target);
	rmdir(dir);
	fx_close(&fx);
}

static void test_erase_tree_nested_symlink_outside_untouched(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], p[256], outside[128], buf[64];
	struct json_object *a;
	int fd;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(outside, sizeof(outside), "%s.outside", root);
	write_file(outside, 5000, 'O');
	snprintf(p, sizeof(p), "%s/a", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b/c", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/a/b/c/deep.bin", root);
	write_file(p, 70000, 'D');
	snprintf(p, sizeof(p), "%s/a/one", root);
	write_file(p, 1, '1');
	snprintf(p, sizeof(p), "%s/empty", root);
	write_file(p, 0, 0);
	snprintf(p, sizeof(p), "%s/a/b/link-out", root);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/dirlink", root);
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/a/hard", root);
	assert_int_equal(link(outside, p), 0);

	/* the hard link to outside keeps its data: completed with errors */
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), DSP_PARTIAL);
	assert_false(exists(root));
	assert_int_equal(res.files, 3);
	assert_int_equal(res.dirs, 4);
	assert_int_equal(res.shared_kept, 1);
	/* the symlinks' targets are intact, and so is the file behind the
	 * hard link: only its name in the tree went */
	assert_true(exists(outside));
	assert_true(exists("/etc/passwd"));
	fd = open(outside, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, 8), 8);
	assert_memory_equal(buf, "OOOOOOOO", 8);
	close(fd);
	a = events(&fx, "link_removed", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	assert_non_null(strstr(jstr(json_object_array_get_idx(a, 0), "path"), "/a/hard"));
	json_object_put(a);
	a = events(&fx, "hard_links_remain", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	assert_int_equal(jint(json_object_array_get_idx(a, 0), "links"), 1);
	json_object_put(a);
	{
		struct json_object *e = last_event(&fx, "target_end", "t1");

		assert_string_equal(jstr(e, "status"), "completed-with-errors");
		assert_int_equal(jint(e, "hard_links_remain"), 1);
		assert_non_null(strstr(json_object_to_json_string(json_object_object_get(e, "caveats")),
				       "hard links outside the tree"));
		json_object_put(e);
	}
	a = events(&fx, "symlink_removed", "t1");
	assert_int_equal(json_object_array_length(a), 2);
	json_object_put(a);
	a = events(&fx, "dir_removed", "t1");
	assert_int_equal(json_object_array_length(a), 4);
	json_object_put(a);
	a = events(&fx, "file_removed", NULL);
	assert_int_equal(json_object_array_length(a), 3);
	json_object_put(a);
	unlink(outside);
	fx_close(&fx);
}

static int kill_cb(const struct dsp_erase_progress *p, void *arg)
{
	(void)arg;
	if (p->pass == 2 && p->done >= (3u << 20))
		raise(SIGKILL);	/* no chance to flush or checkpoint */
	return 0;
}

static void test_erase_io_kill9_then_resume_complete(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char img[64];
	size_t sz = 8u << 20;
	uint8_t *want = malloc(sz), *got = malloc(sz);
	struct dsp_io *io;
	struct json_object *a;
	pid_t pid;
	int st, fd;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx.o.checkpoint_bytes = 1 << 20;
	snprintf(img, sizeof(img), "/tmp/dsp-kill-XXXXXX");
	fd = mkstemp(img);
	assert_true(fd >= 0);
	close(fd);
	write_file(img, sz, 'X');

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fx.o.progress = kill_cb;
		fx.o.progress_ms = -1;
		if (dsp_io_open(img, DSP_IO_WRITE | DSP_IO_DIRECT, &io) == 0)
			dsp_erase_io(io, &fx.o, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE | DSP_IO_DIRECT, &io), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), 0);
	dsp_io_close(io);
	expected_bytes(&fx, "t1", 2, want, sz);
	fd = open(img, O_RDONLY);
	assert_int_equal(read(fd, got, sz), (ssize_t)sz);
	close(fd);
	assert_memory_equal(got, want, sz);
	a = events(&fx, "pass_end", "t1");
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(
		json_object_array_get_idx(a, 1), "covered"), JSON_C_TO_STRING_PLAIN), "[[0,8388608]]");
	json_object_put(a);
	a = events(&fx, "target_resumed", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	json_object_put(a);
	unlink(img);
	free(want);
	free(got);
	fx_close(&fx);
}

static void kill_on_success(enum dsp_log_level lvl, const char *msg, void *arg)
{
	(void)lvl;
	(void)arg;
	if (strstr(msg, "overwrite success"))
		raise(SIGKILL);	/* overwritten, not yet renamed or unlinked */
}

static void test_erase_file_killed_before_unlink_resumes(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char dir[64], path[128];
	struct json_object *a;
	pid_t pid;
	int st;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/victim", dir);
	write_file(path, 100000, 'V');
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dsp_log_set_handler(kill_on_success, NULL);
		dsp_erase_file(path, &fx.o, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_true(exists(path));
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 1);
	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), 0);
	assert_false(exists(path));
	assert_int_equal(count_entries(dir), 0);
	a = events(&fx, "pass_start", "t1");
	assert_int_equal(json_object_array_length(a), 1);	/* not overwritten twice */
	json_object_put(a);
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 0);
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), -EALREADY);
	rmdir(dir);
	fx_close(&fx);
}

/*
 * The overwrite of a file ended with a verification mismatch, then the
 * process died while renaming: the resumed run finishes the removal and
 * exits as the first would have, with a mismatch (3), not 1.
 */
static void test_erase_file_resumed_after_mismatch_keeps_status(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct json_object *f;
	char dir[64], path[128], moved[128];

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/victim", dir);
	snprintf(moved, sizeof(moved), "%s/zq81x", dir);
	write_file(moved, 4096, 0);
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "path", json_object_new_string(path));
	assert_int_equal(dsp_ledger_append(fx.l, "target", f, 0), 0);
	json_object_put(f);
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "status", json_object_new_string("completed-with-errors"));
	json_object_object_add(f, "mismatches", json_object_new_int64(7));
	assert_int_equal(dsp_ledger_append(fx.l, "target_end", f, 0), 0);
	json_object_put(f);
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "to", json_object_new_string("zq81x"));
	assert_int_equal(dsp_ledger_append(fx.l, "file_renamed", f, 1), 0);
	json_object_put(f);
	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), DSP_MISMATCH);
	assert_int_equal(count_entries(dir), 0);
	rmdir(dir);
	fx_close(&fx);
}

static int cancel_half(const struct dsp_erase_progress *p, void *arg)
{
	(void)arg;
	return p->done >= p->total / 2;
}

static void test_erase_file_cancel_then_resume(void **state)
{
	struct fixture fx;
	char dir[64], path[128];

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, 1 << 20, 'B');
	fx.o.progress = cancel_half;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), DSP_INTERRUPTED);
	assert_true(exists(path));
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), 0);
	assert_false(exists(path));
	rmdir(dir);
	fx_close(&fx);
}

static int cancel_second_file(const struct dsp_erase_progress *p, void *arg)
{
	int *files = arg;

	if (!strcmp(p->phase, "write") && p->done == 0)
		(*files)++;
	return *files == 2;
}

static void test_erase_tree_cancel_then_resume(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], p[256];
	int files = 0;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	for (int k = 0; k < 3; k++) {
		snprintf(p, sizeof(p), "%s/f%d", root, k);
		write_file(p, 8192, 'F');
	}
	fx.o.progress = cancel_second_file;
	fx.o.progress_arg = &files;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), DSP_INTERRUPTED);
	assert_true(exists(root));
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 1);
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), 0);
	assert_false(exists(root));
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 0);
	fx_close(&fx);
}

static void test_erase_tree_too_deep_is_partial(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], *p = malloc(4096);
	struct json_object *a;
	int fd;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	/* 300 levels, built with *at() so no path gets long */
	fd = open(root, O_RDONLY | O_DIRECTORY);
	for (int k = 0; k < 300; k++) {
		int nfd;

		assert_int_equal(mkdirat(fd, "d", 0700), 0);
		nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = nfd;
	}
	close(fd);
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), DSP_PARTIAL);
	assert_true(exists(root));
	a = events(&fx, "skipped", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	assert_string_equal(jstr(json_object_array_get_idx(a, 0), "reason"), "too deep");
	json_object_put(a);
	snprintf(p, 4096, "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
	free(p);
	fx_close(&fx);
}

/* ---- held targets, hard links, swaps (issue 9: 3, 4, 15) ---- */

/* Does path hold len bytes of v? */
static bool holds(const char *path, size_t len, uint8_t v)
{
	uint8_t *b = malloc(len + 1);
	int fd = open(path, O_RDONLY);
	bool ok = false;

	if (fd >= 0 && b) {
		ssize_t n = read(fd, b, len + 1);

		ok = n == (ssize_t)len;
		for (size_t i = 0; ok && i < len; i++)
			ok = b[i] == v;
	}
	if (fd >= 0)
		close(fd);
	free(b);
	return ok;
}

static void rm_rf(const char *p)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	assert_int_equal(system(cmd), 0);
}

static void test_erase_tree_two_names_inside_erased(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], a[128], b[128];
	struct json_object *ev;
	struct stat st;
	int fd;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(a, sizeof(a), "%s/one", root);
	snprintf(b, sizeof(b), "%s/sub", root);
	assert_int_equal(mkdir(b, 0700), 0);
	snprintf(b, sizeof(b), "%s/sub/two", root);
	write_file(a, 9000, 'L');
	assert_int_equal(link(a, b), 0);
	fd = open(a, O_RDONLY);	/* to look at the inode afterwards */
	assert_true(fd >= 0);
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), 0);
	assert_false(exists(root));
	assert_int_equal(res.shared_kept, 0);
	assert_int_equal(res.bytes_written, 9000);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_size, 0);	/* overwritten, then truncated */
	close(fd);
	ev = events(&fx, "link_removed", "t1");
	assert_int_equal(json_object_array_length(ev), 1);
	json_object_put(ev);
	ev = events(&fx, "hard_links_remain", NULL);
	assert_int_equal(json_object_array_length(ev), 0);
	json_object_put(ev);
	fx_close(&fx);
}

static void test_erase_tree_shared_inodes_flag_overwrites(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], p[128], outside[128];

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.o.erase_shared_inodes = true;
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(outside, sizeof(outside), "%s.keep", root);
	snprintf(p, sizeof(p), "%s/link", root);
	write_file(outside, 5000, 'K');
	assert_int_equal(link(outside, p), 0);
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), 0);
	assert_false(exists(root));
	assert_true(holds(outside, 0, 0));	/* on purpose: overwritten, truncated */
	assert_int_equal(res.shared_kept, 0);
	unlink(outside);
	fx_close(&fx);
}

static void test_erase_file_hard_linked_refused(void **state)
{
	struct fixture fx;
	char dir[64], path[128], other[128];
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(other, sizeof(other), "%s/g", dir);
	write_file(path, 4096, 'H');
	assert_int_equal(link(path, other), 0);
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), DSP_REFUSED);
	assert_true(holds(path, 4096, 'H'));
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "failed");
	assert_true(json_object_get_boolean(json_object_object_get(e, "refused")));
	json_object_put(e);
	fx.o.erase_shared_inodes = true;
	fx.o.target_id = "t2";
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), 0);
	assert_false(exists(path));
	assert_true(holds(other, 0, 0));
	rm_rf(dir);
	fx_close(&fx);
}

/* A file gate as the pipeline's interlock uses it: refuses names ending in refuse. */
struct gate_state {
	const char *refuse;
	unsigned calls, refused;
	bool all_same;		/* fd was the open file st describes, its bytes as written */
};

static int test_gate(int fd, const char *path, const struct stat *st, char *reason, size_t rlen,
		     void *arg)
{
	struct gate_state *g = arg;
	struct stat now;
	uint8_t b = 0;
	size_t n = strlen(path), k = g->refuse ? strlen(g->refuse) : 0;

	g->calls++;
	/* the very file about to be overwritten, not yet touched: its first byte is not 0 */
	if (fstat(fd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    pread(fd, &b, 1, 0) != 1 || b == 0)
		g->all_same = false;
	if (k && n >= k && !strcmp(path + n - k, g->refuse)) {
		g->refused++;
		snprintf(reason, rlen, "changed after it was archived");
		return 1;
	}
	return 0;
}

/*
 * #14's interlock: the gate refuses one file of a tree. Its bytes stay on
 * disk under its name, "skipped" {gate: true} is recorded, the walk goes
 * on (the other files erased), the tree ends completed with errors and
 * keeps the directories above the file.
 */
static void test_erase_tree_gate_keeps_refused_file(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct gate_state g = { .refuse = "/keep.txt", .all_same = true };
	char root[64], p[128];
	struct json_object *a, *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.o.file_gate = test_gate;
	fx.o.gate_arg = &g;
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/sub", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/sub/keep.txt", root);
	write_file(p, 7000, 'K');
	snprintf(p, sizeof(p), "%s/sub/other", root);
	write_file(p, 5000, 'O');
	snprintf(p, sizeof(p), "%s/a", root);
	write_file(p, 3000, 'A');
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), DSP_PARTIAL);
	assert_int_equal(g.calls, 3);
	assert_int_equal(g.refused, 1);
	assert_true(g.all_same);
	snprintf(p, sizeof(p), "%s/sub/keep.txt", root);
	assert_true(holds(p, 7000, 'K'));	/* every byte as it was */
	snprintf(p, sizeof(p), "%s/sub/other", root);
	assert_false(exists(p));
	snprintf(p, sizeof(p), "%s/a", root);
	assert_false(exists(p));
	snprintf(p, sizeof(p), "%s/sub", root);
	assert_int_equal(count_entries(p), 1);	/* only the kept file */
	assert_int_equal(res.files, 2);
	assert_int_equal(res.left, 1);
	assert_int_equal(res.bytes_written, 8000);
	a = events(&fx, "skipped", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	e = json_object_array_get_idx(a, 0);
	snprintf(p, sizeof(p), "%s/sub/keep.txt", root);
	assert_string_equal(jstr(e, "path"), p);
	assert_string_equal(jstr(e, "reason"), "changed after it was archived");
	assert_true(json_object_get_boolean(json_object_object_get(e, "gate")));
	json_object_put(a);
	/* never a target of its own: nothing of it was started */
	a = events(&fx, "target", NULL);
	assert_int_equal(json_object_array_length(a), 3);	/* the tree and its two files */
	for (size_t i = 0; i < 3; i++)
		assert_string_not_equal(jstr(json_object_array_get_idx(a, i), "path"), p);
	json_object_put(a);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "completed-with-errors");
	assert_int_equal(jint(e, "entries_left"), 1);
	json_object_put(e);
	rm_rf(root);
	fx_close(&fx);
}

/*
 * The gate on a file target: kept, nothing written (no target event,
 * no pass), the bytes intact, skipped {gate: true} and target_end failed
 * {gate: true}: DSP_PARTIAL (exit 1), as in a tree, not a refusal. On a
 * resume that continues a file the gate is asked again
 * before the pass goes on.
 */
static void test_erase_file_gate_refuses_file_target(void **state)
{
	struct fixture fx;
	struct gate_state g = { .refuse = "/big", .all_same = true };
	char dir[64], path[128];
	struct json_object *a, *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.o.file_gate = test_gate;
	fx.o.gate_arg = &g;
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, 1 << 20, 'B');
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), DSP_PARTIAL);
	assert_int_equal(g.calls, 1);
	assert_true(g.all_same);
	assert_true(holds(path, 1 << 20, 'B'));
	e = last_event(&fx, "skipped", "t1");
	assert_string_equal(jstr(e, "path"), path);
	assert_true(json_object_get_boolean(json_object_object_get(e, "gate")));
	json_object_put(e);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "failed");
	assert_true(json_object_get_boolean(json_object_object_get(e, "gate")));
	assert_null(json_object_object_get(e, "refused"));
	assert_string_equal(jstr(e, "error"), "changed after it was archived");
	json_object_put(e);
	a = events(&fx, "pass_start", "t1");
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	a = events(&fx, "target", "t1");
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);

	/* let through: cut in the middle, then resumed, the gate asked again */
	g.refuse = NULL;
	fx.o.target_id = "t2";
	fx.o.progress = cancel_half;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), DSP_INTERRUPTED);
	assert_int_equal(g.calls, 2);
	fx.o.progress = NULL;
	fx.o.resume = true;
	g.refuse = "/big";
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), DSP_PARTIAL);
	assert_int_equal(g.calls, 3);
	assert_true(exists(path));
	e = last_event(&fx, "skipped", "t2");
	assert_true(json_object_get_boolean(json_object_object_get(e, "gate")));
	json_object_put(e);
	g.refuse = NULL;
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), 0);
	assert_int_equal(g.calls, 4);
	assert_false(exists(path));
	rmdir(dir);
	fx_close(&fx);
}

static void test_erase_target_open_refuses_symlink_components(void **state)
{
	char root[64], p[256], link[256];
	struct dsp_erase_target *t = (struct dsp_erase_target *)1;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/dsp-eo-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/real", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/real/tree", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/ln", root);
	assert_int_equal(symlink("real", p), 0);
	for (int walk = 0; walk < 2; walk++) {
		char want[256];

		dsp_erase_test_no_openat2 = walk;
		snprintf(p, sizeof(p), "%s/ln/tree", root);
		assert_int_equal(dsp_erase_target_open(p, NULL, &t, link, sizeof(link)), -ELOOP);
		assert_null(t);
		snprintf(want, sizeof(want), "%s/ln", root);
		assert_string_equal(link, want);
		/* the last component itself */
		snprintf(p, sizeof(p), "%s/ln", root);
		assert_int_equal(dsp_erase_target_open(p, NULL, &t, link, sizeof(link)), -ELOOP);
		assert_string_equal(link, p);
		/* "..": the directory it names, with its parent and name */
		snprintf(p, sizeof(p), "%s/real/tree/..", root);
		assert_int_equal(dsp_erase_target_open(p, NULL, &t, link, sizeof(link)), 0);
		assert_true(dsp_erase_target_info(t)->dir);
		assert_false(dsp_erase_target_info(t)->mount_root);
		assert_int_equal(dsp_erase_target_realpath(t, link, sizeof(link)), 0);
		snprintf(want, sizeof(want), "%s/real", root);
		assert_string_equal(link, want);
		assert_int_equal(dsp_erase_target_recheck(t), 0);
		dsp_erase_target_close(t);
		assert_int_equal(dsp_erase_target_open("/", NULL, &t, NULL, 0), 0);
		assert_true(dsp_erase_target_info(t)->fs_root);
		dsp_erase_target_close(t);
	}
	dsp_erase_test_no_openat2 = 0;
	rm_rf(root);
}

/* tree: root/p/tree/{f1,f2}; victim: root/v/tree/{f1,f2} */
static void swap_setup(char *root, size_t len)
{
	static const char *const dirs[] = { "p", "p/tree", "v", "v/tree" };
	char p[256];

	snprintf(root, len, "/tmp/dsp-es-XXXXXX");
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	snprintf(p, sizeof(p), "%s/p/tree/f1", root);
	write_file(p, 3000, 'T');
	snprintf(p, sizeof(p), "%s/v/tree/f1", root);
	write_file(p, 3000, 'V');
	snprintf(p, sizeof(p), "%s/v/tree/f2", root);
	write_file(p, 3000, 'V');
}

static void test_erase_tree_swapped_after_check_refused(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_erase_target *t;
	char root[64], p[256], q[256];

	(void)state;
	for (int parent = 0; parent < 2; parent++) {
		fx_open(&fx);
		fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
		swap_setup(root, sizeof(root));
		snprintf(p, sizeof(p), "%s/p/tree", root);
		assert_int_equal(dsp_erase_target_open(p, NULL, &t, NULL, 0), 0);
		/* checked; now the tree (or its parent) becomes a symlink to the victim */
		if (parent) {
			snprintf(p, sizeof(p), "%s/p", root);
			snprintf(q, sizeof(q), "%s/p.moved", root);
			assert_int_equal(rename(p, q), 0);
			assert_int_equal(symlink("v", p), 0);
		} else {
			snprintf(p, sizeof(p), "%s/p/tree", root);
			snprintf(q, sizeof(q), "%s/p/tree.moved", root);
			assert_int_equal(rename(p, q), 0);
			snprintf(q, sizeof(q), "%s/v/tree", root);
			assert_int_equal(symlink(q, p), 0);
		}
		assert_int_equal(dsp_erase_tree_at(t, &fx.o, &res), DSP_REFUSED);
		assert_int_equal(res.bytes_written, 0);
		dsp_erase_target_close(t);
		snprintf(p, sizeof(p), "%s/v/tree/f1", root);
		assert_true(holds(p, 3000, 'V'));
		snprintf(p, sizeof(p), "%s/v/tree/f2", root);
		assert_true(holds(p, 3000, 'V'));
		/* refused: the tree checked is untouched too */
		snprintf(p, sizeof(p), parent ? "%s/p.moved/tree/f1" : "%s/p/tree.moved/f1", root);
		assert_true(holds(p, 3000, 'T'));
		{
			struct json_object *e = last_event(&fx, "target_end", "t1");

			assert_true(json_object_get_boolean(json_object_object_get(e, "refused")));
			json_object_put(e);
		}
		rm_rf(root);
		fx_close(&fx);
	}
}

static void test_erase_file_swapped_after_check_refused(void **state)
{
	struct fixture fx;
	struct dsp_erase_target *t;
	char root[64], p[256], q[256];

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	swap_setup(root, sizeof(root));
	snprintf(p, sizeof(p), "%s/p/tree/f1", root);
	assert_int_equal(dsp_erase_target_open(p, NULL, &t, NULL, 0), 0);
	snprintf(p, sizeof(p), "%s/p", root);
	snprintf(q, sizeof(q), "%s/p.moved", root);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(symlink("v", p), 0);
	assert_int_equal(dsp_erase_file_at(t, &fx.o, NULL), DSP_REFUSED);
	dsp_erase_target_close(t);
	snprintf(p, sizeof(p), "%s/v/tree/f1", root);
	assert_true(holds(p, 3000, 'V'));
	snprintf(p, sizeof(p), "%s/p.moved/tree/f1", root);
	assert_true(holds(p, 3000, 'T'));
	rm_rf(root);
	fx_close(&fx);
}

/*
 * Between the walk's lstat of an entry and its open, the entry is moved out
 * of the tree and a symlink to it put in its place: the walk must not
 * follow it (O_NOFOLLOW). Device and inode would match: only O_NOFOLLOW
 * tells.
 */
static char hook_out[128];

static void swap_for_symlink(int dirfd, const char *name)
{
	char to[256];

	if (strcmp(name, "f") && strcmp(name, "d"))
		return;
	snprintf(to, sizeof(to), "%s/%s", hook_out, name);
	assert_int_equal(renameat(dirfd, name, AT_FDCWD, to), 0);
	assert_int_equal(symlinkat(to, dirfd, name), 0);
}

static void test_erase_tree_entry_swapped_for_symlink_not_followed(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], p[256];
	struct json_object *a;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(hook_out, sizeof(hook_out), "%s.out", root);
	assert_int_equal(mkdir(hook_out, 0700), 0);
	snprintf(p, sizeof(p), "%s/f", root);
	write_file(p, 4000, 'F');
	snprintf(p, sizeof(p), "%s/d", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/d/g", root);
	write_file(p, 4000, 'G');
	snprintf(p, sizeof(p), "%s/plain", root);
	write_file(p, 4000, 'P');
	dsp_erase_test_before_open = swap_for_symlink;
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), DSP_PARTIAL);
	dsp_erase_test_before_open = NULL;
	snprintf(p, sizeof(p), "%s/f", hook_out);
	assert_true(holds(p, 4000, 'F'));
	snprintf(p, sizeof(p), "%s/d/g", hook_out);
	assert_true(holds(p, 4000, 'G'));
	snprintf(p, sizeof(p), "%s/plain", root);
	assert_false(exists(p));	/* the rest of the tree is erased */
	assert_int_equal(res.files, 1);
	a = events(&fx, "skipped", "t1");
	assert_int_equal(json_object_array_length(a), 2);
	for (size_t k = 0; k < 2; k++)
		assert_non_null(strstr(jstr(json_object_array_get_idx(a, k), "reason"),
				       "symbolic link"));
	json_object_put(a);
	rm_rf(root);
	rm_rf(hook_out);
	fx_close(&fx);
}

/*
 * Between the walk's lstat of a file and its open, the file is replaced by
 * a FIFO with a reader waiting in open(): opening it for writing (as a
 * device node would be opened) wakes the reader. The walk must open only
 * the regular file it checked, so the reader keeps waiting.
 */
static pid_t fifo_reader;

static void swap_for_fifo(int dirfd, const char *name)
{
	char to[256], fifo[256];

	if (strcmp(name, "f"))
		return;
	snprintf(to, sizeof(to), "%s/%s", hook_out, name);
	assert_int_equal(renameat(dirfd, name, AT_FDCWD, to), 0);
	assert_int_equal(mkfifoat(dirfd, name, 0600), 0);
	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d/%s", dirfd, name);
	fifo_reader = fork();
	assert_true(fifo_reader >= 0);
	if (fifo_reader == 0)
		_exit(open(fifo, O_RDONLY) >= 0 ? 0 : 1);
	usleep(200000);	/* the reader is in open() */
}

static void test_erase_tree_entry_swapped_for_fifo_not_opened(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], p[256];
	int wst;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(hook_out, sizeof(hook_out), "%s.out", root);
	assert_int_equal(mkdir(hook_out, 0700), 0);
	snprintf(p, sizeof(p), "%s/f", root);
	write_file(p, 4000, 'F');
	fifo_reader = 0;
	dsp_erase_test_before_open = swap_for_fifo;
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), DSP_PARTIAL);
	dsp_erase_test_before_open = NULL;
	assert_true(fifo_reader > 0);
	usleep(200000);
	/* still waiting: nobody opened the FIFO */
	assert_int_equal(waitpid(fifo_reader, &wst, WNOHANG), 0);
	kill(fifo_reader, SIGKILL);
	waitpid(fifo_reader, &wst, 0);
	snprintf(p, sizeof(p), "%s/f", hook_out);
	assert_true(holds(p, 4000, 'F'));
	snprintf(p, sizeof(p), "%s/f", root);
	unlink(p);
	rm_rf(root);
	rm_rf(hook_out);
	fx_close(&fx);
}

/*
 * After the walk checked an entry's mount (same filesystem, same mount) and
 * before it opens it, a file from outside the tree is bind-mounted over the
 * name: the file opened is not the one checked, and the outside file must
 * keep its bytes.
 */
static char hook_root[64];

static void bind_over(int dirfd, const char *name)
{
	char from[256], to[256];

	(void)dirfd;
	if (strcmp(name, "f"))
		return;
	snprintf(from, sizeof(from), "%s/victim", hook_out);
	snprintf(to, sizeof(to), "%s/f", hook_root);
	assert_int_equal(mount(from, to, NULL, MS_BIND, NULL), 0);
}

static void test_erase_tree_file_bind_mounted_after_check_left_alone(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char p[256];
	struct json_object *a;

	(void)state;
	if (geteuid() != 0)
		skip();
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(hook_root, sizeof(hook_root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(hook_root));
	snprintf(hook_out, sizeof(hook_out), "%s.out", hook_root);
	assert_int_equal(mkdir(hook_out, 0700), 0);
	snprintf(p, sizeof(p), "%s/victim", hook_out);
	write_file(p, 4000, 'V');
	snprintf(p, sizeof(p), "%s/f", hook_root);
	write_file(p, 4000, 'F');
	snprintf(p, sizeof(p), "%s/plain", hook_root);
	write_file(p, 4000, 'P');
	dsp_erase_test_after_check = bind_over;
	assert_int_equal(dsp_erase_tree(hook_root, &fx.o, &res), DSP_PARTIAL);
	dsp_erase_test_after_check = NULL;
	snprintf(p, sizeof(p), "%s/f", hook_root);
	assert_int_equal(umount2(p, MNT_DETACH), 0);
	snprintf(p, sizeof(p), "%s/victim", hook_out);
	assert_true(holds(p, 4000, 'V'));
	snprintf(p, sizeof(p), "%s/f", hook_root);
	assert_true(holds(p, 4000, 'F'));	/* kept: never reached */
	snprintf(p, sizeof(p), "%s/plain", hook_root);
	assert_false(exists(p));
	assert_int_equal(res.files, 1);
	a = events(&fx, "skipped", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	assert_non_null(strstr(jstr(json_object_array_get_idx(a, 0), "reason"),
			       "replaced after it was checked"));
	json_object_put(a);
	rm_rf(hook_root);
	rm_rf(hook_out);
	fx_close(&fx);
}

static void test_erase_file_resume_other_inode_refused(void **state)
{
	struct fixture fx;
	char dir[64], path[128], old[128];

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	snprintf(dir, sizeof(dir), "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big", dir);
	write_file(path, 1 << 20, 'B');
	fx.o.progress = cancel_half;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), DSP_INTERRUPTED);
	/* another file at the same path: the run must not continue on it (the
	 * old one kept aside, or its inode number could come back) */
	snprintf(old, sizeof(old), "%s/old", dir);
	assert_int_equal(rename(path, old), 0);
	write_file(path, 1 << 20, 'N');
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_erase_file(path, &fx.o, NULL), DSP_REFUSED);
	assert_true(holds(path, 1 << 20, 'N'));
	rm_rf(dir);
	fx_close(&fx);
}

static void test_erase_tree_resume_other_inode_refused(void **state)
{
	struct fixture fx;
	char root[64], p[256], old[128];
	int files = 0;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	for (int k = 0; k < 3; k++) {
		snprintf(p, sizeof(p), "%s/f%d", root, k);
		write_file(p, 8192, 'F');
	}
	fx.o.progress = cancel_second_file;
	fx.o.progress_arg = &files;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_erase_tree(root, &fx.o, NULL), DSP_INTERRUPTED);
	/* another directory at the path (the old one kept: its inode stays taken) */
	snprintf(old, sizeof(old), "%s.old", root);
	assert_int_equal(rename(root, old), 0);
	assert_int_equal(mkdir(root, 0700), 0);
	snprintf(p, sizeof(p), "%s/new", root);
	write_file(p, 8192, 'N');
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_erase_tree(root, &fx.o, NULL), DSP_REFUSED);
	assert_true(holds(p, 8192, 'N'));
	rm_rf(root);
	rm_rf(old);
	fx_close(&fx);
}

static int cancel_first_write(const struct dsp_erase_progress *p, void *arg)
{
	(void)arg;
	return !strcmp(p->phase, "write") && p->done > 0;
}

/* Interrupted anywhere: the shared file is reported once, when the tree is done. */
static void test_erase_tree_shared_reported_across_resume(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], p[256], outside[128];
	struct json_object *a;
	int r;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(outside, sizeof(outside), "%s.keep", root);
	write_file(outside, 3000, 'K');
	for (int k = 0; k < 4; k++) {
		snprintf(p, sizeof(p), "%s/f%d", root, k);
		write_file(p, 256 << 10, 'F');
	}
	snprintf(p, sizeof(p), "%s/link", root);
	assert_int_equal(link(outside, p), 0);
	fx.o.progress = cancel_first_write;
	fx.o.progress_ms = -1;
	fx.o.bufsize = 64 << 10;
	r = dsp_erase_tree(root, &fx.o, &res);
	assert_int_equal(r, DSP_INTERRUPTED);
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), DSP_PARTIAL);
	assert_int_equal(res.shared_kept, 1);
	assert_false(exists(root));
	assert_true(holds(outside, 3000, 'K'));
	a = events(&fx, "hard_links_remain", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	json_object_put(a);
	unlink(outside);
	fx_close(&fx);
}

static int count_file(const char *path, const struct stat *st, unsigned names, void *arg)
{
	(void)path;
	(void)st;
	(void)names;
	(*(int *)arg)++;
	return 0;
}

static int note_shared(const char *path, const struct stat *st, unsigned names, void *arg)
{
	(void)arg;
	assert_non_null(strstr(path, "/out-link"));
	assert_int_equal(names, 1);
	assert_int_equal(st->st_nlink, 2);
	return 0;
}

static void test_erase_tree_scan_counts_shared(void **state)
{
	struct dsp_erase_target *t;
	struct dsp_erase_scan sc;
	char root[64], p[256], q[256], outside[128];
	int nfiles = 0;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(outside, sizeof(outside), "%s.keep", root);
	write_file(outside, 100, 'K');
	snprintf(p, sizeof(p), "%s/out-link", root);
	assert_int_equal(link(outside, p), 0);
	snprintf(p, sizeof(p), "%s/a", root);
	write_file(p, 10, 'A');
	snprintf(q, sizeof(q), "%s/b", root);
	assert_int_equal(link(p, q), 0);	/* two names inside: not shared */
	snprintf(p, sizeof(p), "%s/s", root);
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(dsp_erase_target_open(root, NULL, &t, NULL, 0), 0);
	assert_int_equal(dsp_erase_tree_scan(t, count_file, note_shared, &nfiles, &sc), 0);
	dsp_erase_target_close(t);
	assert_int_equal(nfiles, 3);
	assert_int_equal(sc.files, 3);
	assert_int_equal(sc.bytes, 110);
	assert_int_equal(sc.shared, 1);
	assert_int_equal(sc.shared_bytes, 100);
	rm_rf(root);
	unlink(outside);
}

/* One file with names in two targets of a run is found, in either order; names in one are not. */
static void test_erase_targets_share_hard_link_across_targets(void **state)
{
	struct dsp_erase_target *t[3], *f, *pair[2];
	char r1[64], r2[64], r3[64], p[256], q[256];
	size_t ia = 9, ib = 9;
	char *a, *b;

	(void)state;
	snprintf(r1, sizeof(r1), "/tmp/dsp-et-XXXXXX");
	snprintf(r2, sizeof(r2), "/tmp/dsp-et-XXXXXX");
	snprintf(r3, sizeof(r3), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(r1));
	assert_non_null(mkdtemp(r2));
	assert_non_null(mkdtemp(r3));
	snprintf(p, sizeof(p), "%s/a", r1);
	write_file(p, 10, 'A');
	snprintf(q, sizeof(q), "%s/b", r1);
	assert_int_equal(link(p, q), 0);	/* two names in one target: not shared */
	snprintf(p, sizeof(p), "%s/x", r1);
	write_file(p, 10, 'X');
	snprintf(q, sizeof(q), "%s/d", r2);
	assert_int_equal(mkdir(q, 0700), 0);
	snprintf(q, sizeof(q), "%s/d/y", r2);
	assert_int_equal(link(p, q), 0);
	snprintf(q, sizeof(q), "%s/z", r3);
	write_file(q, 10, 'Z');
	assert_int_equal(dsp_erase_target_open(r1, NULL, &t[0], NULL, 0), 0);
	assert_int_equal(dsp_erase_target_open(r2, NULL, &t[1], NULL, 0), 0);
	assert_int_equal(dsp_erase_target_open(r3, NULL, &t[2], NULL, 0), 0);

	assert_int_equal(dsp_erase_targets_share(t, 3, &ia, &a, &ib, &b), 1);
	assert_int_equal(ia, 0);
	assert_int_equal(ib, 1);
	snprintf(q, sizeof(q), "%s/d/y", r2);
	assert_string_equal(a, p);
	assert_string_equal(b, q);
	free(a);
	free(b);
	pair[0] = t[1];
	pair[1] = t[0];
	assert_int_equal(dsp_erase_targets_share(pair, 2, &ia, &a, &ib, &b), 1);
	assert_int_equal(ia, 0);
	assert_int_equal(ib, 1);
	assert_string_equal(a, q);
	assert_string_equal(b, p);
	free(a);
	free(b);
	/* a file target and a tree holding its other name */
	assert_int_equal(dsp_erase_target_open(p, NULL, &f, NULL, 0), 0);
	pair[0] = f;
	pair[1] = t[1];
	assert_int_equal(dsp_erase_targets_share(pair, 2, &ia, &a, &ib, &b), 1);
	assert_string_equal(a, p);
	assert_string_equal(b, q);
	free(a);
	free(b);
	dsp_erase_target_close(f);
	/* nothing shared: the tree with two names of one file, an unrelated tree, a hole */
	pair[1] = t[1];
	t[1] = NULL;
	assert_int_equal(dsp_erase_targets_share(t, 3, &ia, &a, &ib, &b), 0);
	assert_null(a);
	assert_null(b);
	dsp_erase_target_close(t[0]);
	dsp_erase_target_close(pair[1]);
	dsp_erase_target_close(t[2]);
	rm_rf(r1);
	rm_rf(r2);
	rm_rf(r3);
}

#ifdef DSP_TEST_HOOKS
/* ---- faults after the overwrite, injected through the I/O seam ($DISPOSE_TEST_FAULT) ---- */

static void fault_file(struct fixture *fx, char *dir, size_t dlen, char *path, size_t plen)
{
	fx_open(fx);
	fx_pass(fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(dir, dlen, "/tmp/dsp-ef-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, plen, "%s/faulty.bin", dir);
	write_file(path, 20000, 'F');
}

/* The target's last target_end: status and the step that failed. */
static void assert_last_end(struct fixture *fx, const char *status, const char *step)
{
	struct json_object *a = events(fx, "target_end", "t1"), *e;
	size_t n = json_object_array_length(a);

	assert_int_equal(n, 2);	/* the overwrite's, then the step's */
	e = json_object_array_get_idx(a, 0);
	assert_string_equal(jstr(e, "status"), "success");
	e = json_object_array_get_idx(a, 1);
	assert_string_equal(jstr(e, "status"), status);
	assert_string_equal(jstr(e, "failed_step"), step);
	assert_non_null(strstr(jstr(e, "error"), step));
	assert_non_null(strstr(jstr(e, "error"), "Input/output error"));
	assert_int_equal(jint(e, "errno"), EIO);
	json_object_put(a);
}

/* The resume finished the steps, not the overwrite again, and says so last. */
static void assert_resumed_end(struct fixture *fx)
{
	struct json_object *a = events(fx, "pass_start", "t1"), *e;

	assert_int_equal(json_object_array_length(a), 1);
	json_object_put(a);
	e = last_event(fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "success");
	assert_true(json_object_get_boolean(json_object_object_get(e, "removal_resumed")));
	assert_int_equal(jint(e, "bytes_written"), 20000);
	json_object_put(e);
	e = last_event(fx, "file_removed", "t1");
	json_object_put(e);
	assert_int_equal(dsp_erase_pending(fx->dir, "t1", NULL, 0, NULL, 0), 0);
}

static void test_erase_file_truncate_fault_recorded(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char dir[64], path[128];
	struct stat st;
	struct json_object *a;

	(void)state;
	fault_file(&fx, dir, sizeof(dir), path, sizeof(path));
	setenv(DSP_IO_FAULT_ENV, "eio-truncate@0", 1);
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), -EIO);
	unsetenv(DSP_IO_FAULT_ENV);
	/* overwritten, but neither cut nor renamed nor removed */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 20000);
	assert_last_end(&fx, "failed", "truncate");
	a = events(&fx, "file_removed", "t1");
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	a = events(&fx, "file_renamed", "t1");
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	/* not finished: a resume takes it up and ends it */
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 1);
	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), 0);
	assert_false(exists(path));
	assert_int_equal(count_entries(dir), 0);
	assert_resumed_end(&fx);
	rmdir(dir);
	fx_close(&fx);
}

static void test_erase_file_rename_fault_recorded(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char dir[64], path[128];
	struct json_object *a, *e;

	(void)state;
	fault_file(&fx, dir, sizeof(dir), path, sizeof(path));
	setenv(DSP_IO_FAULT_ENV, "eio-rename@1", 1);	/* the second rename */
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), DSP_PARTIAL);
	unsetenv(DSP_IO_FAULT_ENV);
	/* the data is gone and so is the name, under its first new name */
	assert_false(exists(path));
	assert_int_equal(count_entries(dir), 0);
	a = events(&fx, "file_renamed", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	json_object_put(a);
	e = last_event(&fx, "file_removed", "t1");
	assert_string_equal(jstr(e, "rename_error"), "Input/output error");
	json_object_put(e);
	assert_last_end(&fx, "completed-with-errors", "rename");
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 0);
	rmdir(dir);
	fx_close(&fx);
}

static void test_erase_file_unlink_fault_recorded(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char dir[64], path[128], last[128];
	struct json_object *a, *e;
	struct stat st;

	(void)state;
	fault_file(&fx, dir, sizeof(dir), path, sizeof(path));
	setenv(DSP_IO_FAULT_ENV, "eio-unlink", 1);
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), -EIO);
	unsetenv(DSP_IO_FAULT_ENV);
	/* renamed three times, cut to 0, still there under the last recorded name */
	assert_false(exists(path));
	a = events(&fx, "file_renamed", "t1");
	assert_int_equal(json_object_array_length(a), 3);
	e = json_object_array_get_idx(a, 2);
	snprintf(last, sizeof(last), "%s/%s", dir, jstr(e, "to"));
	json_object_put(a);
	assert_int_equal(stat(last, &st), 0);
	assert_int_equal(st.st_size, 0);
	a = events(&fx, "file_removed", "t1");
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	assert_last_end(&fx, "failed", "unlink");
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 1);
	/* the resume finds it under that name and removes it */
	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_erase_file(path, &fx.o, &res), 0);
	assert_int_equal(count_entries(dir), 0);
	assert_resumed_end(&fx);
	rmdir(dir);
	fx_close(&fx);
}

/* In a tree: the file's own record and the tree's both say so. */
static void test_erase_tree_unlink_fault_recorded(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	char root[64], p[128];
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	snprintf(root, sizeof(root), "/tmp/dsp-et-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/one", root);
	write_file(p, 5000, '1');
	setenv(DSP_IO_FAULT_ENV, "eio-unlink", 1);
	assert_true(dsp_erase_tree(root, &fx.o, &res) != 0);
	unsetenv(DSP_IO_FAULT_ENV);
	assert_int_equal(count_entries(root), 1);	/* renamed, cut, kept */
	e = last_event(&fx, "file_failed", "t1");
	assert_non_null(strstr(jstr(e, "path"), "/one"));
	json_object_put(e);
	e = last_event(&fx, "target_end", "t1");
	assert_string_not_equal(jstr(e, "status"), "success");
	json_object_put(e);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
	fx_close(&fx);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erase_file_removed_and_renamed),
		cmocka_unit_test(test_erase_file_sparse_many_extents_in_place),
		cmocka_unit_test(test_erase_file_symlink_refused),
		cmocka_unit_test(test_erase_tree_nested_symlink_outside_untouched),
		cmocka_unit_test(test_erase_io_kill9_then_resume_complete),
		cmocka_unit_test(test_erase_file_resumed_after_mismatch_keeps_status),
		cmocka_unit_test(test_erase_file_killed_before_unlink_resumes),
		cmocka_unit_test(test_erase_file_cancel_then_resume),
		cmocka_unit_test(test_erase_tree_cancel_then_resume),
		cmocka_unit_test(test_erase_tree_too_deep_is_partial),
		cmocka_unit_test(test_erase_tree_two_names_inside_erased),
		cmocka_unit_test(test_erase_tree_shared_inodes_flag_overwrites),
		cmocka_unit_test(test_erase_file_hard_linked_refused),
		cmocka_unit_test(test_erase_tree_gate_keeps_refused_file),
		cmocka_unit_test(test_erase_file_gate_refuses_file_target),
		cmocka_unit_test(test_erase_target_open_refuses_symlink_components),
		cmocka_unit_test(test_erase_tree_swapped_after_check_refused),
		cmocka_unit_test(test_erase_file_swapped_after_check_refused),
		cmocka_unit_test(test_erase_tree_entry_swapped_for_symlink_not_followed),
		cmocka_unit_test(test_erase_tree_entry_swapped_for_fifo_not_opened),
		cmocka_unit_test(test_erase_tree_file_bind_mounted_after_check_left_alone),
		cmocka_unit_test(test_erase_file_resume_other_inode_refused),
		cmocka_unit_test(test_erase_tree_resume_other_inode_refused),
		cmocka_unit_test(test_erase_tree_shared_reported_across_resume),
		cmocka_unit_test(test_erase_tree_scan_counts_shared),
		cmocka_unit_test(test_erase_targets_share_hard_link_across_targets),
#ifdef DSP_TEST_HOOKS
		cmocka_unit_test(test_erase_file_truncate_fault_recorded),
		cmocka_unit_test(test_erase_file_rename_fault_recorded),
		cmocka_unit_test(test_erase_file_unlink_fault_recorded),
		cmocka_unit_test(test_erase_tree_unlink_fault_recorded),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
