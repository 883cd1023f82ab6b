/* SPDX-License-Identifier: MIT */
/* tmpdir_helpers.h - a test's own temporary directory and files in it (test_check, test_session) */
#ifndef DSP_TEST_TMPDIR_HELPERS_H
#define DSP_TEST_TMPDIR_HELPERS_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

/* mkdtemp /tmp/PREFIX-XXXXXX into dir; 0 or -1 (a cmocka setup's result). */
static inline int tmpdir_make(const char *prefix)
{
	snprintf(dir, sizeof(dir), "/tmp/%s-XXXXXX", prefix);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int tmpdir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name, in one of four rotating buffers. */
static inline const char *at(const char *name)
{
	static char buf[4][PATH_MAX];
	static unsigned k;
	char *b = buf[k++ % 4];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

/* A file of len bytes 'x'. */
static inline void make_file(const char *path, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char b[512];

	assert_true(fd >= 0);
	memset(b, 'x', sizeof(b));
	while (len) {
		size_t k = len < sizeof(b) ? len : sizeof(b);

		assert_int_equal(write(fd, b, k), (ssize_t)k);
		len -= k;
	}
	close(fd);
}

#endif
