/* SPDX-License-Identifier: MIT */
/* io_mem.c - a memory-backed target with a fault schedule, for tests */
#include "dispose/io.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>

#include "io_int.h"

struct mem_ctx {
	uint8_t *data;
	uint64_t size, cap;
	uint32_t lss, pss;
	struct io_faults faults;
	uint64_t writes, reads, flushes;
};

static ssize_t mem_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct mem_ctx *c = ctx;
	int r;

	c->writes++;
	if (off >= c->size) {
		errno = ENOSPC;
		return -1;
	}
	if (len > c->size - off)
		len = (size_t)(c->size - off);
	r = io_faults_write(&c->faults, off, &len);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	if (r == 0)
		memcpy(c->data + off, buf, len);
	return (ssize_t)len;
}

static ssize_t mem_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct mem_ctx *c = ctx;
	int r;

	c->reads++;
	if (off >= c->size)
		return 0;
	if (len > c->size - off)
		len = (size_t)(c->size - off);
	r = io_faults_read(&c->faults, off, len);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	memcpy(buf, c->data + off, len);
	io_faults_flip(&c->faults, buf, off, len);
	return (ssize_t)len;
}

static int mem_flush(void *ctx)
{
	struct mem_ctx *c = ctx;

	c->flushes++;
	return io_faults_op(&c->faults, DSP_FAULT_FLUSH, 0);
}

static int mem_truncate(void *ctx, uint64_t len)
{
	struct mem_ctx *c = ctx;
	int r = io_faults_op(&c->faults, DSP_FAULT_EIO_TRUNCATE, len);

	if (r < 0)
		return r;
	if (len > c->cap) {
		uint8_t *p = realloc(c->data, len);

		if (!p)
			return -ENOMEM;
		c->data = p;
		c->cap = len;
	}
	if (len > c->size)
		memset(c->data + c->size, 0, len - c->size);
	c->size = len;
	return 0;
}

static int mem_ioctl(void *ctx, unsigned long req, void *arg)
{
	struct mem_ctx *c = ctx;
	int r = io_faults_op(&c->faults, DSP_FAULT_EIO_IOCTL, req);

	if (r < 0)
		return r;
	switch (req) {
	case BLKGETSIZE64:
		*(uint64_t *)arg = c->size;
		return 0;
	case BLKSSZGET:
		*(int *)arg = (int)c->lss;
		return 0;
	case BLKPBSZGET:
		*(unsigned int *)arg = c->pss;
		return 0;
	}
	return -ENOTTY;
}

static int mem_rename(void *ctx, int dirfd, const char *from, const char *to)
{
	struct mem_ctx *c = ctx;
	int r = io_faults_op(&c->faults, DSP_FAULT_EIO_RENAME, 0);

	return r < 0 || dirfd < 0 ? r : io_sys_rename(dirfd, from, to);
}

static int mem_unlink(void *ctx, int dirfd, const char *name, int flags)
{
	struct mem_ctx *c = ctx;
	int r = io_faults_op(&c->faults, DSP_FAULT_EIO_UNLINK, 0);

	return r < 0 || dirfd < 0 ? r : io_sys_unlink(dirfd, name, flags);
}

static void mem_close(void *ctx)
{
	struct mem_ctx *c = ctx;

	io_faults_destroy(&c->faults);
	free(c->data);
	free(c);
}

static const struct dsp_io_ops mem_ops = {
	.pread = mem_pread,
	.pwrite = mem_pwrite,
	.flush = mem_flush,
	.drop_cache = NULL,
	.close = mem_close,
	.truncate = mem_truncate,
	.ioctl = mem_ioctl,
	.rename = mem_rename,
	.unlink = mem_unlink,
};

int dsp_io_mem_new(uint64_t size, uint32_t sector, struct dsp_io **out)
{
	struct dsp_io *io = calloc(1, sizeof(*io));
	struct mem_ctx *c = calloc(1, sizeof(*c));

	if (!io || !c || !(c->data = calloc(1, size ? size : 1)) ||
	    !(io->path = strdup("mem"))) {
		if (c)
			free(c->data);
		free(c);
		if (io)
			free(io->path);
		free(io);
		return -ENOMEM;
	}
	c->size = size;
	c->cap = size ? size : 1;
	io_faults_init(&c->faults);
	io->ops = &mem_ops;
	io->ctx = c;
	io->kind = DSP_IO_MEM;
	io->readmode = DSP_IO_READ_MEMORY;
	io->size = size;
	io->logical_sector = sector ? sector : 512;
	io->physical_sector = io->logical_sector;
	io->align = io->logical_sector;
	io->direct = true;
	io->fd = -1;
	c->lss = io->logical_sector;
	c->pss = io->physical_sector;
	*out = io;
	return 0;
}

int dsp_io_mem_add_fault(struct dsp_io *io, const struct dsp_io_fault *f)
{
	struct mem_ctx *c = io->ctx;

	if (io->kind != DSP_IO_MEM)
		return -EINVAL;
	return io_faults_add(&c->faults, f);
}

uint8_t *dsp_io_mem_data(struct dsp_io *io)
{
	return io->kind == DSP_IO_MEM ? ((struct mem_ctx *)io->ctx)->data : NULL;
}

void dsp_io_mem_counts(struct dsp_io *io, uint64_t *writes, uint64_t *reads, uint64_t *flushes)
{
	struct mem_ctx *c = io->ctx;

	if (writes)
		*writes = c->writes;
	if (reads)
		*reads = c->reads;
	if (flushes)
		*flushes = c->flushes;
}
