/* SPDX-License-Identifier: MIT */
/* ledger_int.h - what ledger.c shares with record.c (the chain walk) */
#ifndef DISPOSE_LEDGER_INT_H
#define DISPOSE_LEDGER_INT_H

#include <sys/types.h>
#include "dispose/ledger.h"

/*
 * Walk the open file fd from the start, checking the chain. *valid_len gets
 * the length of the complete, chained lines; with torn != NULL a last line
 * without newline sets *torn instead of breaking the chain.
 */
int ledger_walk_fd(int fd, dsp_ledger_visit_fn fn, void *arg, uint64_t *bad_line,
		   uint64_t *nlines, char head[65], off_t *valid_len, int *torn);

#endif
