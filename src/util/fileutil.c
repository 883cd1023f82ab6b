/* SPDX-License-Identifier: MIT */
/* fileutil.c - read and write whole small files (config, keys, sysfs, bag metadata) */
#include "dispose/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_read(const char *path, unsigned flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		      ((flags & DSP_FILE_NOFOLLOW) ? O_NOFOLLOW : 0));
	struct stat st;
	int e;

	if (fd < 0)
		return -errno;
	e = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (e) {
		close(fd);
		return e;
	}
	return fd;
}

ssize_t dsp_read_full(int fd, void *buf, size_t cap, off_t off)
{
	size_t n = 0;

	while (n < cap) {
		ssize_t r = off < 0 ? read(fd, (char *)buf + n, cap - n) :
			    pread(fd, (char *)buf + n, cap - n, off + (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int dsp_file_read_fd(int fd, size_t max, char **out, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;

	*out = NULL;
	if (max >= SIZE_MAX / 2)
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	/*
	 * /proc and sysfs files report 0 or a page whatever they hold: the
	 * stat size is a hint, and only beyond a page a reason to stop early.
	 */
	if ((uint64_t)st.st_size > max && st.st_size > 4096)
		return -EFBIG;
	cap = st.st_size > 0 && (uint64_t)st.st_size <= max ? (size_t)st.st_size + 1 :
	      (max < 4096 ? max + 1 : 4096);
	if (!(buf = malloc(cap + 1)))
		return -ENOMEM;
	for (;;) {
		ssize_t r = dsp_read_full(fd, buf + n, cap - n, -1);

		if (r < 0) {
			free(buf);
			return (int)r;
		}
		n += (size_t)r;
		if (n > max) {
			free(buf);
			return -EFBIG;
		}
		if (n < cap)
			break;
		/* full: one more than max is enough to tell "too big" */
		size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		char *p = realloc(buf, ncap + 1);

		if (!p) {
			free(buf);
			return -ENOMEM;
		}
		buf = p;
		cap = ncap;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

int dsp_file_read(const char *path, size_t max, unsigned flags, char **out, size_t *len)
{
	int fd, r;

	*out = NULL;
	fd = open_read(path, flags);
	if (fd < 0)
		return fd;
	r = dsp_file_read_fd(fd, max, out, len);
	close(fd);
	return r;
}

int dsp_file_read_buf(const char *path, unsigned flags, char *buf, size_t cap, size_t *len)
{
	ssize_t n;
	int fd;

	if (cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	fd = open_read(path, flags);
	if (fd < 0)
		return fd;
	n = dsp_read_full(fd, buf, cap, -1);
	close(fd);
	if (n < 0)
		return (int)n;
	if ((size_t)n == cap) {
		buf[0] = '\0';
		return -EFBIG;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

/* The directory holding path, synced so a new name survives a crash. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int dsp_file_write(const char *path, const void *buf, size_t len, mode_t mode, unsigned flags)
{
	const int oflags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	char tmp[PATH_MAX], hex[13];
	unsigned char rnd[6];
	struct stat st;
	int fd, r;

	if (flags & DSP_FILE_EXCL) {
		fd = open(path, oflags, mode);
		if (fd < 0)
			return -errno;
		r = write_all(fd, buf, len);
		if (close(fd) < 0 && !r)
			r = -errno;
		if (r)
			unlink(path);
		else
			sync_dir(path);
		return r;
	}
	/* a symlink at path is refused, not replaced: rename would not follow it */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	/* a name nobody can guess in advance; O_EXCL refuses one made meanwhile */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	dsp_hex(rnd, sizeof(rnd), hex);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%s", path, hex) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, oflags, mode);
	if (fd < 0)
		return -errno;
	r = write_all(fd, buf, len);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	else
		sync_dir(path);
	return r;
}

char *dsp_path_absolute(const char *p)
{
	char cwd[PATH_MAX], *in = NULL, *out, *o, *tok, *save = NULL;

	if (p[0] == '/')
		in = strdup(p);
	else if (getcwd(cwd, sizeof(cwd)) && asprintf(&in, "%s/%s", cwd, p) < 0)
		in = NULL;
	if (!in || !(out = malloc(strlen(in) + 2))) {
		free(in);
		return NULL;
	}
	o = out;
	for (tok = strtok_r(in, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		*o++ = '/';
		o = stpcpy(o, tok);
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	free(in);
	return out;
}
