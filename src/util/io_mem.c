/* SPDX-License-Identifier: MIT */
/* io_mem.c - fault schedules and a memory-backed target, for tests */
#include "dispose/io.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io_int.h"

/* ---- the fault schedule ---- */

void io_faults_init(struct io_faults *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
}

void io_faults_destroy(struct io_faults *s)
{
	pthread_mutex_destroy(&s->mu);
}

int io_faults_add(struct io_faults *s, const struct dsp_io_fault *f)
{
	int r = -EINVAL;

	pthread_mutex_lock(&s->mu);
	if (s->n < DSP_IO_MAX_FAULTS) {
		s->f[s->n] = *f;
		s->fired[s->n++] = 0;
		r = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

static bool overlaps(const struct dsp_io_fault *f, uint64_t off, size_t len)
{
	uint64_t flen = f->len ? f->len : 1;

	return off < f->off + flen && f->off < off + len;
}

static bool armed(const struct io_faults *s, int i)
{
	return !s->f[i].count || s->fired[i] < s->f[i].count;
}

bool io_faults_take(struct io_faults *s, enum dsp_io_fault_kind kind, uint64_t off,
		    size_t len, struct dsp_io_fault *hit)
{
	bool found = false;

	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->n && !found; i++) {
		const struct dsp_io_fault *f = &s->f[i];

		if (f->kind != kind || !armed(s, i) ||
		    (kind != DSP_FAULT_FLUSH && !overlaps(f, off, len)))
			continue;
		s->fired[i]++;
		if (hit)
			*hit = *f;
		found = true;
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

void io_faults_flip(struct io_faults *s, uint8_t *buf, uint64_t off, size_t len)
{
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->n; i++) {
		const struct dsp_io_fault *f = &s->f[i];
		uint64_t a, b;

		if (f->kind != DSP_FAULT_FLIP_READ || !armed(s, i) || !overlaps(f, off, len))
			continue;
		s->fired[i]++;
		a = f->off > off ? f->off : off;
		b = f->off + (f->len ? f->len : 1);
		if (b > off + len)
			b = off + len;
		for (; a < b; a++)
			buf[a - off] ^= 0xff;
	}
	pthread_mutex_unlock(&s->mu);
}

static const char *const fault_names[] = {
	[DSP_FAULT_EIO_WRITE] = "eio-write",
	[DSP_FAULT_EIO_READ] = "eio-read",
	[DSP_FAULT_SHORT_WRITE] = "short-write",
	[DSP_FAULT_EINTR_WRITE] = "eintr-write",
	[DSP_FAULT_EINTR_READ] = "eintr-read",
	[DSP_FAULT_FLUSH] = "eio-flush",
	[DSP_FAULT_FLIP_READ] = "flip-read",
	[DSP_FAULT_DROP_WRITE] = "drop-write",
};

const char *dsp_io_fault_name(enum dsp_io_fault_kind kind)
{
	if ((unsigned)kind >= sizeof(fault_names) / sizeof(fault_names[0]))
		return NULL;
	return fault_names[kind];
}

/* A number with an optional K/M/G suffix; *end after it. false on junk or overflow. */
static bool parse_size(const char *p, const char **end, uint64_t *out)
{
	unsigned long long v;
	char *e;
	int shift = 0;

	if (!isdigit((unsigned char)*p))
		return false;
	errno = 0;
	v = strtoull(p, &e, 0);
	if (errno || e == p)
		return false;
	switch (*e) {
	case 'K': case 'k': shift = 10; e++; break;
	case 'M': case 'm': shift = 20; e++; break;
	case 'G': case 'g': shift = 30; e++; break;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	*end = e;
	return true;
}

static int parse_one(const char *item, size_t n, struct dsp_io_fault *f)
{
	char buf[128];
	const char *p;
	size_t klen;
	uint64_t v;
	int k;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, item, n);
	buf[n] = '\0';
	klen = strcspn(buf, "@*");
	memset(f, 0, sizeof(*f));
	for (k = 0; k < (int)(sizeof(fault_names) / sizeof(fault_names[0])); k++)
		if (strlen(fault_names[k]) == klen && !strncmp(buf, fault_names[k], klen))
			break;
	if (k == (int)(sizeof(fault_names) / sizeof(fault_names[0])))
		return -EINVAL;
	f->kind = (enum dsp_io_fault_kind)k;
	p = buf + klen;
	if (*p == '@') {
		if (!parse_size(p + 1, &p, &f->off))
			return -EINVAL;
		if (*p == '+') {
			if (!parse_size(p + 1, &p, &f->len) || f->len == 0 ||
			    f->off + f->len < f->off)
				return -EINVAL;
		}
	} else if (f->kind != DSP_FAULT_FLUSH) {
		return -EINVAL;
	}
	if (*p == '*') {
		if (!parse_size(p + 1, &p, &v) || v == 0 || v > 1000000)
			return -EINVAL;
		f->count = (int)v;
	}
	return *p ? -EINVAL : 0;
}

int dsp_io_fault_parse(const char *spec, struct dsp_io_fault *out, int max)
{
	int n = 0;

	if (!spec)
		return -EINVAL;
	while (*spec) {
		size_t len = strcspn(spec, ",");

		if (n >= max || parse_one(spec, len, &out[n]) < 0)
			return -EINVAL;
		n++;
		spec += len;
		if (*spec == ',' && !*++spec)
			return -EINVAL;	/* a trailing comma */
	}
	return n;
}

/* ---- the memory backend ---- */

struct mem_ctx {
	uint8_t *data;
	uint64_t size;
	struct io_faults faults;
	uint64_t writes, reads, flushes;
};

static ssize_t mem_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct mem_ctx *c = ctx;
	struct dsp_io_fault f;

	c->writes++;
	if (off >= c->size) {
		errno = ENOSPC;
		return -1;
	}
	if (len > c->size - off)
		len = (size_t)(c->size - off);
	if (io_faults_take(&c->faults, DSP_FAULT_EINTR_WRITE, off, len, NULL)) {
		errno = EINTR;
		return -1;
	}
	if (io_faults_take(&c->faults, DSP_FAULT_EIO_WRITE, off, len, NULL)) {
		errno = EIO;
		return -1;
	}
	if (io_faults_take(&c->faults, DSP_FAULT_SHORT_WRITE, off, len, &f) && f.off > off)
		len = (size_t)(f.off - off);
	if (io_faults_take(&c->faults, DSP_FAULT_DROP_WRITE, off, len, NULL))
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
	if (io_faults_take(&c->faults, DSP_FAULT_EINTR_READ, off, len, NULL)) {
		errno = EINTR;
		return -1;
	}
	if (io_faults_take(&c->faults, DSP_FAULT_EIO_READ, off, len, NULL)) {
		errno = EIO;
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
	return io_faults_take(&c->faults, DSP_FAULT_FLUSH, 0, 0, NULL) ? -EIO : 0;
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
