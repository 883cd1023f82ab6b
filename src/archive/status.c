/* SPDX-License-Identifier: MIT */
/* status.c - retention status of the archives in a directory */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dispose/common.h"
#include "archive_int.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_small(const char *path, char *buf, size_t cap, size_t *len)
{
	/* O_NONBLOCK: a FIFO named *.bag-info.txt must not hang status */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	size_t n = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	*len = n;
	return 0;
}

int dsp_archive_status(const char *dir, dsp_archive_status_fn fn, void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, sl = strlen(DSP_BAG_INFO_SUFFIX);
	int rc = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l <= sl || strcmp(de->d_name + l - sl, DSP_BAG_INFO_SUFFIX))
			continue;
		if (n == cap) {
			char **nv = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nv));

			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			names = nv;
		}
		names[n] = strndup(de->d_name, l - sl);
		if (!names[n]) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[PATH_MAX], info[65536], env[PATH_MAX + 8];
		struct dsp_bag_meta m;
		size_t len = 0;
		int ok;

		if (snprintf(path, sizeof(path), "%s/%s%s", dir, names[i],
			     DSP_BAG_INFO_SUFFIX) >= (int)sizeof(path))
			continue;
		ok = read_small(path, info, sizeof(info), &len) == 0 &&
		     dsp_bag_info_parse(info, len, &m, NULL, NULL) == 0;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(env, sizeof(env), "%s%s", path, DSP_ENV_SUFFIX);
		rc = fn(arg, path, ok ? &m : NULL, access(env, F_OK) == 0);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}
