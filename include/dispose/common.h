/* SPDX-License-Identifier: MIT */
/* common.h - result and exit codes shared by the core and the CLI */
#ifndef DISPOSE_COMMON_H
#define DISPOSE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/*
 * Core functions return 0 on success and -errno when an operation failed.
 * Graded results where I/O worked but the outcome is not clean are positive:
 */
#define DSP_MISMATCH	1	/* bytes read back differ from what was written */
#define DSP_PARTIAL	2	/* completed, but with isolated errors (bad ranges) */
#define DSP_REFUSED	3	/* a safety rule refused the target; nothing written */
#define DSP_UNSUPPORTED	4	/* the target cannot do what was asked */
#define DSP_INVALID	5	/* invalid input (method file, policy, archive) */
#define DSP_INTERRUPTED	6	/* stopped by a signal or cancel; resumable */

/* Exit codes, documented in dispose(8) EXIT STATUS. */
enum dsp_exit {
	DSP_EXIT_OK = 0,
	DSP_EXIT_FAILED = 1,		/* failed, or completed with errors */
	DSP_EXIT_USAGE = 2,		/* usage or invalid input */
	DSP_EXIT_MISMATCH = 3,		/* verification mismatch */
	DSP_EXIT_REFUSED = 4,		/* refused by a safety rule */
	DSP_EXIT_UNSUPPORTED = 5,	/* device does not support the method */
	DSP_EXIT_SIGHUP = 129,		/* interrupted by SIGHUP (lost terminal), resumable */
	DSP_EXIT_SIGINT = 130,		/* interrupted by SIGINT, resumable */
	DSP_EXIT_SIGTERM = 143,		/* interrupted by SIGTERM, resumable */
};

/*
 * The one mapping from a core result (0, DSP_* or -errno) to an exit code;
 * sig: the signal that stopped the work, for DSP_INTERRUPTED (0: SIGINT's).
 */
int dsp_exit_code(int result, int sig);
/*
 * Of two exit codes, the one a command with several results returns: an
 * interruption (the run must be resumed), then a refusal (4), then
 * 3 > 5 > 2 > 1 > 0.
 */
int dsp_exit_worse(int a, int b);

#define DSP_TOOL_NAME "dispose"
#ifndef DSP_VERSION
#define DSP_VERSION "0.0.0"
#endif
#ifndef DSP_GITREV
#define DSP_GITREV "unknown"
#endif
#ifndef DSP_DATADIR
#define DSP_DATADIR "/usr/local/share/dispose"
#endif

#define DSP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
