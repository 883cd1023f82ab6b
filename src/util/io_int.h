/* SPDX-License-Identifier: MIT */
/* io_int.h - the fault schedule shared by the memory and (test builds) real backends */
#ifndef DISPOSE_IO_INT_H
#define DISPOSE_IO_INT_H

#include <pthread.h>
#include "dispose/io.h"

#define IO_FAULT_KINDS (DSP_FAULT_EIO_UNLINK + 1)

/* Locked: the checkpoint thread flushes while the writer writes. */
struct io_faults {
	pthread_mutex_t mu;
	struct dsp_io_fault f[DSP_IO_MAX_FAULTS];
	int fired[DSP_IO_MAX_FAULTS];
	int n;
	uint64_t calls[IO_FAULT_KINDS];	/* rename, unlink: calls so far */
};

void io_faults_init(struct io_faults *s);
void io_faults_destroy(struct io_faults *s);
/* 0, or -EINVAL when the schedule is full. */
int io_faults_add(struct io_faults *s, const struct dsp_io_fault *f);
/* A schedule from a fault list: 0 (*out NULL when spec is empty), -EINVAL or -ENOMEM. */
int io_faults_from_spec(const char *spec, struct io_faults **out);
void io_faults_free(struct io_faults *s);

/*
 * What a backend asks before each call; s may be NULL (no faults).
 * Before a pwrite of [off, off + *len): 0 go on (*len may be cut short),
 * 1 pretend it was written without writing, -EINTR or -EIO fail.
 */
int io_faults_write(struct io_faults *s, uint64_t off, size_t *len);
/* Before a pread: 0 or -EINTR / -EIO. */
int io_faults_read(struct io_faults *s, uint64_t off, size_t len);
/* After a pread of n bytes at off: flip the bytes armed flip-read faults cover. */
void io_faults_flip(struct io_faults *s, uint8_t *buf, uint64_t off, size_t n);
/*
 * Before a call that moves no data (flush, truncate, ioctl, rename,
 * unlink): key is the new length or the request number; rename and unlink
 * are keyed by their count instead, a flush by nothing. 0 or -EIO.
 */
int io_faults_op(struct io_faults *s, enum dsp_io_fault_kind kind, uint64_t key);

/* The real syscalls behind dsp_io_rename / dsp_io_unlink (both backends). */
int io_sys_rename(int dirfd, const char *from, const char *to);
int io_sys_unlink(int dirfd, const char *name, int flags);

#endif
