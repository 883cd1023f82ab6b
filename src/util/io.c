/* SPDX-License-Identifier: MIT */
/* io.c - the real backend: the only code that reads or writes a target */
#include "dispose/io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/log.h"
#include "io_int.h"

#define DSP_IO_BUF_ALIGN 4096

struct fd_ctx {
	int fd;
	uint32_t align;
	bool direct;
	struct io_faults *faults;	/* test builds: from $DISPOSE_TEST_FAULT */
};

static bool aligned(const struct fd_ctx *c, const void *buf, size_t len, uint64_t off)
{
	return ((uintptr_t)buf % c->align) == 0 && len % c->align == 0 &&
	       off % c->align == 0;
}

/* O_DIRECT cannot take an unaligned piece (a file's tail): do it cached. */
static int set_direct(struct fd_ctx *c, bool on)
{
	int fl = fcntl(c->fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? (fl | O_DIRECT) : (fl & ~O_DIRECT);
	if (fcntl(c->fd, F_SETFL, fl) < 0)
		return -errno;
	return 0;
}

static ssize_t sys_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct fd_ctx *c = ctx;
	ssize_t n;
	int e;

	if (!c->direct || aligned(c, buf, len, off))
		return pwrite(c->fd, buf, len, (off_t)off);
	if (set_direct(c, false) < 0)
		return -1;
	n = pwrite(c->fd, buf, len, (off_t)off);
	e = errno;
	if (n > 0 && fdatasync(c->fd) < 0) {
		e = errno;
		n = -1;
	}
	set_direct(c, true);
	errno = e;
	return n;
}

static ssize_t sys_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct fd_ctx *c = ctx;
	ssize_t n;
	int e;

	if (!c->direct || aligned(c, buf, len, off))
		return pread(c->fd, buf, len, (off_t)off);
	/* cached read of a tail: the caller dropped the range first */
	if (set_direct(c, false) < 0)
		return -1;
	posix_fadvise(c->fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
	n = pread(c->fd, buf, len, (off_t)off);
	e = errno;
	set_direct(c, true);
	errno = e;
	return n;
}

/*
 * Test builds put a fault schedule in front of the syscalls, so a real
 * device can be made to fail or read back wrong bytes at a chosen offset.
 */
static ssize_t fd_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct fd_ctx *c = ctx;
	int r = io_faults_write(c->faults, off, &len);

	if (r < 0) {
		errno = -r;
		return -1;
	}
	if (r > 0)
		return (ssize_t)len;
	return sys_pwrite(ctx, buf, len, off);
}

static ssize_t fd_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct fd_ctx *c = ctx;
	ssize_t n;
	int r = io_faults_read(c->faults, off, len);

	if (r < 0) {
		errno = -r;
		return -1;
	}
	n = sys_pread(ctx, buf, len, off);
	if (n > 0)
		io_faults_flip(c->faults, buf, off, (size_t)n);
	return n;
}

static int fd_flush(void *ctx)
{
	struct fd_ctx *c = ctx;
	int r = io_faults_op(c->faults, DSP_FAULT_FLUSH, 0);

	if (r < 0)
		return r;
	return fdatasync(c->fd) < 0 ? -errno : 0;
}

static int fd_drop_cache(void *ctx, uint64_t off, uint64_t len)
{
	struct fd_ctx *c = ctx;
	int r;

	if (fdatasync(c->fd) < 0)
		return -errno;
	r = posix_fadvise(c->fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
	return r ? -r : 0;
}

static int fd_truncate(void *ctx, uint64_t len)
{
	struct fd_ctx *c = ctx;
	int r = io_faults_op(c->faults, DSP_FAULT_EIO_TRUNCATE, len);

	if (r < 0)
		return r;
	if (len > INT64_MAX)
		return -EFBIG;
	if (ftruncate(c->fd, (off_t)len) < 0 || fsync(c->fd) < 0)
		return -errno;
	return 0;
}

static int fd_ioctl(void *ctx, unsigned long req, void *arg)
{
	struct fd_ctx *c = ctx;
	int r = io_faults_op(c->faults, DSP_FAULT_EIO_IOCTL, req);

	if (r < 0)
		return r;
	r = ioctl(c->fd, req, arg);
	return r < 0 ? -errno : r;
}

int io_sys_rename(int dirfd, const char *from, const char *to)
{
	struct stat x;

	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* a filesystem without renameat2 flags: check, then rename */
	if (fstatat(dirfd, to, &x, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	return renameat(dirfd, from, dirfd, to) < 0 ? -errno : 0;
}

int io_sys_unlink(int dirfd, const char *name, int flags)
{
	return unlinkat(dirfd, name, flags) < 0 ? -errno : 0;
}

static int fd_rename(void *ctx, int dirfd, const char *from, const char *to)
{
	struct fd_ctx *c = ctx;
	int r = io_faults_op(c->faults, DSP_FAULT_EIO_RENAME, 0);

	return r < 0 ? r : io_sys_rename(dirfd, from, to);
}

static int fd_unlink(void *ctx, int dirfd, const char *name, int flags)
{
	struct fd_ctx *c = ctx;
	int r = io_faults_op(c->faults, DSP_FAULT_EIO_UNLINK, 0);

	return r < 0 ? r : io_sys_unlink(dirfd, name, flags);
}

static void fd_close(void *ctx)
{
	struct fd_ctx *c = ctx;

	io_faults_free(c->faults);
	close(c->fd);
	free(c);
}

#ifdef DSP_TEST_HOOKS
/* $DISPOSE_TEST_FAULT: 0 (unset or empty), or -EINVAL/-ENOMEM. */
static int env_faults(struct fd_ctx *c)
{
	const char *spec = getenv(DSP_IO_FAULT_ENV);
	int r = io_faults_from_spec(spec, &c->faults);

	if (r == -EINVAL)
		dsp_log(DSP_LOG_ERROR, "%s: %s: invalid fault list", DSP_IO_FAULT_ENV, spec);
	return r;
}
#endif

static const struct dsp_io_ops fd_ops = {
	.pread = fd_pread,
	.pwrite = fd_pwrite,
	.flush = fd_flush,
	.drop_cache = fd_drop_cache,
	.close = fd_close,
	.truncate = fd_truncate,
	.ioctl = fd_ioctl,
	.rename = fd_rename,
	.unlink = fd_unlink,
};

int dsp_io_open_fd(int fd, const char *path, unsigned flags, struct dsp_io **out)
{
	struct dsp_io *io = NULL;
	struct fd_ctx *c = NULL;
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	io = calloc(1, sizeof(*io));
	c = calloc(1, sizeof(*c));
	if (!io || !c || !(io->path = strdup(path))) {
		r = -ENOMEM;
		goto fail;
	}
#ifdef DSP_TEST_HOOKS
	r = env_faults(c);
	if (r < 0)
		goto fail;
#endif
	c->fd = fd;
	io->fd = fd;
	io->ops = &fd_ops;
	io->ctx = c;
	io->st_dev = st.st_dev;
	io->st_ino = st.st_ino;
	if (S_ISBLK(st.st_mode)) {
		int lss = 512;
		unsigned int pss = 512;
		uint64_t size = 0;

		io->kind = DSP_IO_BLOCK;
		io->rdev = st.st_rdev;
		/* through the seam: a fault here fails the open, as a real error does */
		r = fd_ioctl(c, BLKGETSIZE64, &size);
		if (r < 0)
			goto fail;
		r = fd_ioctl(c, BLKSSZGET, &lss);
		if (r < 0 && r != -ENOTTY && r != -EINVAL)
			goto fail;
		if (r < 0 || lss <= 0)
			lss = 512;
		r = fd_ioctl(c, BLKPBSZGET, &pss);
		if (r < 0 && r != -ENOTTY && r != -EINVAL)
			goto fail;
		if (r < 0 || pss == 0)
			pss = (unsigned)lss;
		io->size = size;
		io->logical_sector = (uint32_t)lss;
		io->physical_sector = pss;
		io->align = (uint32_t)lss;
	} else {
		io->kind = DSP_IO_FILE;
		io->size = (uint64_t)st.st_size;
		io->logical_sector = 512;
		io->physical_sector = st.st_blksize > 0 ? (uint32_t)st.st_blksize : 4096;
		/* filesystems want DIO aligned to their block size */
		io->align = io->physical_sector;
	}
	c->align = io->align;
	io->readmode = DSP_IO_READ_FADVISE;
	if (flags & DSP_IO_DIRECT) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0 && ((fl & O_DIRECT) ||
				fcntl(fd, F_SETFL, fl | O_DIRECT) == 0)) {
			c->direct = true;
			io->direct = true;
			io->readmode = DSP_IO_READ_DIRECT;
		}
	}
	*out = io;
	return 0;
fail:
	close(fd);
	if (io)
		free(io->path);
	free(io);
	if (c)
		io_faults_free(c->faults);
	free(c);
	return r;
}

int dsp_io_open(const char *path, unsigned flags, struct dsp_io **out)
{
	struct stat st;
	int oflags = O_CLOEXEC | O_NOFOLLOW;
	int fd;

	if (lstat(path, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return -EINVAL;
	oflags |= (flags & DSP_IO_WRITE) ? O_RDWR : O_RDONLY;
	if (S_ISBLK(st.st_mode) && (flags & DSP_IO_EXCL))
		oflags |= O_EXCL;
	if (S_ISBLK(st.st_mode) && (flags & DSP_IO_DIRECT))
		oflags |= O_DIRECT;
	fd = open(path, oflags);
	if (fd < 0)
		return -errno;
	return dsp_io_open_fd(fd, path, flags, out);
}

void dsp_io_close(struct dsp_io *io)
{
	if (!io)
		return;
	if (io->ops && io->ops->close)
		io->ops->close(io->ctx);
	free(io->path);
	free(io);
}

int dsp_io_write(struct dsp_io *io, const void *buf, size_t len, uint64_t off, size_t *done)
{
	const uint8_t *p = buf;
	size_t left = len;

	while (left) {
		ssize_t n = io->ops->pwrite(io->ctx, p, left, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (done)
				*done = len - left;
			return -errno ? -errno : -EIO;
		}
		if (n == 0) {
			if (done)
				*done = len - left;
			return -ENOSPC;
		}
		p += n;
		off += (uint64_t)n;
		left -= (size_t)n;
	}
	if (done)
		*done = len;
	return 0;
}

int dsp_io_read(struct dsp_io *io, void *buf, size_t len, uint64_t off, size_t *done)
{
	uint8_t *p = buf;
	size_t left = len;

	while (left) {
		ssize_t n = io->ops->pread(io->ctx, p, left, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (done)
				*done = len - left;
			return -errno ? -errno : -EIO;
		}
		if (n == 0) {	/* the target shrank under us */
			if (done)
				*done = len - left;
			return -ENODATA;
		}
		p += n;
		off += (uint64_t)n;
		left -= (size_t)n;
	}
	if (done)
		*done = len;
	return 0;
}

int dsp_io_flush(struct dsp_io *io)
{
	return io->ops->flush ? io->ops->flush(io->ctx) : 0;
}

int dsp_io_drop_cache(struct dsp_io *io, uint64_t off, uint64_t len)
{
	if (io->readmode != DSP_IO_READ_FADVISE || !io->ops->drop_cache)
		return 0;
	return io->ops->drop_cache(io->ctx, off, len);
}

void *dsp_io_buf_alloc(size_t len)
{
	void *p = NULL;
	size_t huge = 2u << 20;

	/*
	 * Big buffers on transparent huge pages: pinning them for O_DIRECT
	 * and faulting them in costs a 512th of the page walks.
	 */
	if (len >= huge && len % huge == 0) {
		if (posix_memalign(&p, huge, len))
			return NULL;
		(void)madvise(p, len, MADV_HUGEPAGE);
		return p;
	}
	if (posix_memalign(&p, DSP_IO_BUF_ALIGN, len ? len : DSP_IO_BUF_ALIGN))
		return NULL;
	return p;
}

void dsp_io_buf_free(void *buf)
{
	free(buf);
}

int dsp_io_truncate(struct dsp_io *io, uint64_t len)
{
	int r = io->ops->truncate ? io->ops->truncate(io->ctx, len) : -EOPNOTSUPP;

	if (r == 0)
		io->size = len;
	return r;
}

int dsp_io_ioctl(struct dsp_io *io, unsigned long req, void *arg)
{
	return io->ops->ioctl ? io->ops->ioctl(io->ctx, req, arg) : -ENOTTY;
}

#ifdef DSP_TEST_HOOKS
/*
 * Calls without an open target (a tree's rmdir, its symlinks, special
 * files and extra hard-link names) take faults too: one schedule per
 * process from $DISPOSE_TEST_FAULT, its @N counting these calls only.
 */
static struct io_faults *bare_faults;
static pthread_once_t bare_once = PTHREAD_ONCE_INIT;

static void bare_load(void)
{
	if (io_faults_from_spec(getenv(DSP_IO_FAULT_ENV), &bare_faults) < 0)
		bare_faults = NULL;	/* an invalid list fails every open already */
}

static int bare_fault(enum dsp_io_fault_kind kind)
{
	pthread_once(&bare_once, bare_load);
	return io_faults_op(bare_faults, kind, 0);
}
#else
static int bare_fault(enum dsp_io_fault_kind kind)
{
	(void)kind;
	return 0;
}
#endif

int dsp_io_rename(struct dsp_io *io, int dirfd, const char *from, const char *to)
{
	int r;

	if (!io) {
		r = bare_fault(DSP_FAULT_EIO_RENAME);
		return r < 0 ? r : io_sys_rename(dirfd, from, to);
	}
	return io->ops->rename ? io->ops->rename(io->ctx, dirfd, from, to) : -EOPNOTSUPP;
}

int dsp_io_unlink(struct dsp_io *io, int dirfd, const char *name, int flags)
{
	int r;

	if (!io) {
		r = bare_fault(DSP_FAULT_EIO_UNLINK);
		return r < 0 ? r : io_sys_unlink(dirfd, name, flags);
	}
	return io->ops->unlink ? io->ops->unlink(io->ctx, dirfd, name, flags) : -EOPNOTSUPP;
}

const char *dsp_io_readmode_name(enum dsp_io_readmode m)
{
	switch (m) {
	case DSP_IO_READ_DIRECT: return "O_DIRECT";
	case DSP_IO_READ_FADVISE: return "fdatasync+fadvise-dontneed";
	case DSP_IO_READ_MEMORY: return "memory";
	}
	return "unknown";
}
