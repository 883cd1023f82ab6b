/* SPDX-License-Identifier: MIT */
/* io_int.h - the fault schedule shared by the memory and (test builds) real backends */
#ifndef DISPOSE_IO_INT_H
#define DISPOSE_IO_INT_H

#include <pthread.h>
#include "dispose/io.h"

/* Locked: the checkpoint thread flushes while the writer writes. */
struct io_faults {
	pthread_mutex_t mu;
	struct dsp_io_fault f[DSP_IO_MAX_FAULTS];
	int fired[DSP_IO_MAX_FAULTS];
	int n;
};

void io_faults_init(struct io_faults *s);
void io_faults_destroy(struct io_faults *s);
/* 0, or -EINVAL when the schedule is full. */
int io_faults_add(struct io_faults *s, const struct dsp_io_fault *f);
/*
 * Fire the first armed fault of kind touching [off, off+len) (any offset for
 * DSP_FAULT_FLUSH): true, and *hit (may be NULL) gets a copy of it.
 */
bool io_faults_take(struct io_faults *s, enum dsp_io_fault_kind kind, uint64_t off,
		    size_t len, struct dsp_io_fault *hit);
/* Invert the bytes of buf (read from off) that armed flip-read faults cover. */
void io_faults_flip(struct io_faults *s, uint8_t *buf, uint64_t off, size_t len);

#endif
