/* SPDX-License-Identifier: MIT */
/* io_fault.c - fault lists and schedules: one parser, one matcher for both backends */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io_int.h"

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

int io_faults_from_spec(const char *spec, struct io_faults **out)
{
	struct dsp_io_fault f[DSP_IO_MAX_FAULTS];
	int n;

	*out = NULL;
	if (!spec || !*spec)
		return 0;
	n = dsp_io_fault_parse(spec, f, DSP_IO_MAX_FAULTS);
	if (n < 0)
		return n;
	if (!(*out = malloc(sizeof(**out))))
		return -ENOMEM;
	io_faults_init(*out);
	for (int i = 0; i < n; i++)
		io_faults_add(*out, &f[i]);
	return 0;
}

void io_faults_free(struct io_faults *s)
{
	if (!s)
		return;
	io_faults_destroy(s);
	free(s);
}

static bool overlaps(const struct dsp_io_fault *f, uint64_t off, uint64_t len)
{
	uint64_t flen = f->len ? f->len : 1;

	if (!len)
		len = 1;
	/* written so that off 0 + len UINT64_MAX ("any") cannot overflow */
	return off - f->off < flen || (off < f->off && f->off - off < len);
}

static bool armed(const struct io_faults *s, int i)
{
	return !s->f[i].count || s->fired[i] < s->f[i].count;
}

/*
 * Fire the first armed fault of kind touching [off, off+len) (any offset
 * for a flush: its offset was never a key); *hit gets it.
 */
static bool take(struct io_faults *s, enum dsp_io_fault_kind kind, uint64_t off,
		 uint64_t len, struct dsp_io_fault *hit)
{
	bool found = false;

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
	return found;
}

int io_faults_write(struct io_faults *s, uint64_t off, size_t *len)
{
	struct dsp_io_fault f;
	int r = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (take(s, DSP_FAULT_EINTR_WRITE, off, *len, NULL))
		r = -EINTR;
	else if (take(s, DSP_FAULT_EIO_WRITE, off, *len, NULL))
		r = -EIO;
	else {
		if (take(s, DSP_FAULT_SHORT_WRITE, off, *len, &f) && f.off > off)
			*len = (size_t)(f.off - off);
		if (take(s, DSP_FAULT_DROP_WRITE, off, *len, NULL))
			r = 1;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

int io_faults_read(struct io_faults *s, uint64_t off, size_t len)
{
	int r = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (take(s, DSP_FAULT_EINTR_READ, off, len, NULL))
		r = -EINTR;
	else if (take(s, DSP_FAULT_EIO_READ, off, len, NULL))
		r = -EIO;
	pthread_mutex_unlock(&s->mu);
	return r;
}

void io_faults_flip(struct io_faults *s, uint8_t *buf, uint64_t off, size_t n)
{
	if (!s || !n)
		return;
	pthread_mutex_lock(&s->mu);
	for (int i = 0; i < s->n; i++) {
		const struct dsp_io_fault *f = &s->f[i];
		uint64_t a, b;

		if (f->kind != DSP_FAULT_FLIP_READ || !armed(s, i) || !overlaps(f, off, n))
			continue;
		s->fired[i]++;
		a = f->off > off ? f->off : off;
		b = f->off + (f->len ? f->len : 1);
		if (b > off + n)
			b = off + n;
		for (; a < b; a++)
			buf[a - off] ^= 0xff;
	}
	pthread_mutex_unlock(&s->mu);
}

int io_faults_op(struct io_faults *s, enum dsp_io_fault_kind kind, uint64_t key)
{
	bool hit;

	if (!s || (unsigned)kind >= IO_FAULT_KINDS)
		return 0;
	pthread_mutex_lock(&s->mu);
	if (kind == DSP_FAULT_EIO_RENAME || kind == DSP_FAULT_EIO_UNLINK)
		key = s->calls[kind]++;
	hit = take(s, kind, key, 1, NULL);
	pthread_mutex_unlock(&s->mu);
	return hit ? -EIO : 0;
}

/* ---- fault lists ---- */

static const char *const fault_names[] = {
	[DSP_FAULT_EIO_WRITE] = "eio-write",
	[DSP_FAULT_EIO_READ] = "eio-read",
	[DSP_FAULT_SHORT_WRITE] = "short-write",
	[DSP_FAULT_EINTR_WRITE] = "eintr-write",
	[DSP_FAULT_EINTR_READ] = "eintr-read",
	[DSP_FAULT_FLUSH] = "eio-flush",
	[DSP_FAULT_FLIP_READ] = "flip-read",
	[DSP_FAULT_DROP_WRITE] = "drop-write",
	[DSP_FAULT_EIO_TRUNCATE] = "eio-truncate",
	[DSP_FAULT_EIO_IOCTL] = "eio-ioctl",
	[DSP_FAULT_EIO_RENAME] = "eio-rename",
	[DSP_FAULT_EIO_UNLINK] = "eio-unlink",
};

#define NFAULT_NAMES (int)(sizeof(fault_names) / sizeof(fault_names[0]))

const char *dsp_io_fault_name(enum dsp_io_fault_kind kind)
{
	if ((unsigned)kind >= (unsigned)NFAULT_NAMES)
		return NULL;
	return fault_names[kind];
}

/* Kinds that key a call, not a byte range: "@OFFSET" may be left out. */
static bool keyed_call(enum dsp_io_fault_kind k)
{
	return k == DSP_FAULT_FLUSH || k >= DSP_FAULT_EIO_TRUNCATE;
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
	for (k = 0; k < NFAULT_NAMES; k++)
		if (strlen(fault_names[k]) == klen && !strncmp(buf, fault_names[k], klen))
			break;
	if (k == NFAULT_NAMES)
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
	} else if (keyed_call(f->kind)) {
		f->len = UINT64_MAX;	/* every call */
	} else {
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
