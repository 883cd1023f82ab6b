/* SPDX-License-Identifier: MIT */
/* test_erase_file.c - files, trees, and a kill -9 in the middle of a pass */
#include "erase_helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

	assert_int_equal(dsp_erase_tree(root, &fx.o, &res), 0);
	assert_false(exists(root));
	assert_int_equal(res.files, 4);
	assert_int_equal(res.dirs, 4);
	/* the symlinks' targets are intact; the hard link shares the inode, so
	 * its content is gone (reported), but the other name stays */
	assert_true(exists(outside));
	assert_true(exists("/etc/passwd"));
	fd = open(outside, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, 8), 0);
	close(fd);
	a = events(&fx, "file_removed", NULL);
	{
		size_t hl = 0;

		for (size_t k = 0; k < json_object_array_length(a); k++)
			hl += json_object_object_get(json_object_array_get_idx(a, k),
						     "hard_links_remain") != NULL;
		assert_int_equal(hl, 1);
	}
	json_object_put(a);
	a = events(&fx, "symlink_removed", "t1");
	assert_int_equal(json_object_array_length(a), 2);
	json_object_put(a);
	a = events(&fx, "dir_removed", "t1");
	assert_int_equal(json_object_array_length(a), 4);
	json_object_put(a);
	a = events(&fx, "file_removed", NULL);
	assert_int_equal(json_object_array_length(a), 4);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erase_file_removed_and_renamed),
		cmocka_unit_test(test_erase_file_symlink_refused),
		cmocka_unit_test(test_erase_tree_nested_symlink_outside_untouched),
		cmocka_unit_test(test_erase_io_kill9_then_resume_complete),
		cmocka_unit_test(test_erase_file_resumed_after_mismatch_keeps_status),
		cmocka_unit_test(test_erase_file_killed_before_unlink_resumes),
		cmocka_unit_test(test_erase_file_cancel_then_resume),
		cmocka_unit_test(test_erase_tree_cancel_then_resume),
		cmocka_unit_test(test_erase_tree_too_deep_is_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
