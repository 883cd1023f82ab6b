/* SPDX-License-Identifier: MIT */
/* io_mem.c - a memory-backed target with a fault schedule, for tests */
#include "dispose/io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAULTS 32

struct mem_ctx {
	uint8_t *data;
	uint64_t size;
	struct dsp_io_fault faults[MAX_FAULTS];
	int fired[MAX_FAULTS];
	int nfaults;
	uint64_t writes, reads, flushes;
};

static bool overlaps(const struct dsp_io_fault *f, uint64_t off, size_t len)
{
	uint64_t flen = f->len ? f->len : 1;

	return off < f->off + flen && f->off < off + len;
}

/* Find the first armed fault of kind touching [off, off+len). */
static struct dsp_io_fault *find(struct mem_ctx *c, enum dsp_io_fault_kind kind,
				 uint64_t off, size_t len)
{
	for (int i = 0; i < c->nfaults; i++) {
		struct dsp_io_fault *f = &c->faults[i];

		if (f->kind != kind || !overlaps(f, off, len))
			continue;
		if (f->count && c->fired[i] >= f->count)
			continue;
		c->fired[i]++;
		return f;
	}
	return NULL;
}

static ssize_t mem_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct mem_ctx *c = ctx;
	struct dsp_io_fault *f;

	c->writes++;
	if (off >= c->size) {
		errno = ENOSPC;
		return -1;
	}
	if (len > c->size - off)
		len = (size_t)(c->size - off);
	if (find(c, DSP_FAULT_EINTR_WRITE, off, len)) {
		errno = EINTR;
		return -1;
	}
	if (find(c, DSP_FAULT_EIO_WRITE, off, len)) {
		errno = EIO;
		return -1;
	}
	f = find(c, DSP_FAULT_SHORT_WRITE, off, len);
	if (f && f->off > off)
		len = (size_t)(f->off - off);
	if (find(c, DSP_FAULT_DROP_WRITE, off, len))
		return (ssize_t)len;
	memcpy(c->data + off, buf, len);
	return (ssize_t)len;
}

static ssize_t mem_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct mem_ctx *c = ctx;

	c->reads++;
	if (off >= c->size)
		return 0;
	if (len > c->size - off)
		len = (size_t)(c->size - off);
	if (find(c, DSP_FAULT_EINTR_READ, off, len)) {
		errno = EINTR;
		return -1;
	}
	if (find(c, DSP_FAULT_EIO_READ, off, len)) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, c->data + off, len);
	for (int i = 0; i < c->nfaults; i++) {
		struct dsp_io_fault *f = &c->faults[i];

		if (f->kind == DSP_FAULT_FLIP_READ && f->off >= off &&
		    f->off < off + len && (!f->count || c->fired[i] < f->count)) {
			c->fired[i]++;
			((uint8_t *)buf)[f->off - off] ^= 0xff;
		}
	}
	return (ssize_t)len;
}

static int mem_flush(void *ctx)
{
	struct mem_ctx *c = ctx;

	c->flushes++;
	for (int i = 0; i < c->nfaults; i++) {
		struct dsp_io_fault *f = &c->faults[i];

		if (f->kind == DSP_FAULT_FLUSH && (!f->count || c->fired[i] < f->count)) {
			c->fired[i]++;
			return -EIO;
		}
	}
	return 0;
}

static void mem_close(void *ctx)
{
	struct mem_ctx *c = ctx;

	free(c->data);
	free(c);
}

static const struct dsp_io_ops mem_ops = {
	.pread = mem_pread,
	.pwrite = mem_pwrite,
	.flush = mem_flush,
	.drop_cache = NULL,
	.close = mem_close,
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
	*out = io;
	return 0;
}

int dsp_io_mem_add_fault(struct dsp_io *io, const struct dsp_io_fault *f)
{
	struct mem_ctx *c = io->ctx;

	if (io->kind != DSP_IO_MEM || c->nfaults >= MAX_FAULTS)
		return -EINVAL;
	c->faults[c->nfaults++] = *f;
	return 0;
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
