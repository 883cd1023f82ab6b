/* SPDX-License-Identifier: MIT */
/* exit.c - the one mapping from core results to exit codes (CLI and run) */
#include "dispose/common.h"

#include <signal.h>

int dsp_exit_code(int result, int sig)
{
	switch (result) {
	case 0: return DSP_EXIT_OK;
	case DSP_PARTIAL: return DSP_EXIT_FAILED;
	case DSP_MISMATCH: return DSP_EXIT_MISMATCH;
	case DSP_UNSUPPORTED: return DSP_EXIT_UNSUPPORTED;
	case DSP_REFUSED: return DSP_EXIT_REFUSED;
	case DSP_INVALID: return DSP_EXIT_USAGE;
	case DSP_INTERRUPTED:
		if (sig == SIGHUP)
			return DSP_EXIT_SIGHUP;
		return sig == SIGTERM ? DSP_EXIT_SIGTERM : DSP_EXIT_SIGINT;
	default: return DSP_EXIT_FAILED;
	}
}

static int exit_rank(int code)
{
	switch (code) {
	case DSP_EXIT_OK: return 0;
	case DSP_EXIT_FAILED: return 1;
	case DSP_EXIT_USAGE: return 2;
	case DSP_EXIT_UNSUPPORTED: return 3;
	case DSP_EXIT_MISMATCH: return 4;
	case DSP_EXIT_REFUSED: return 5;
	case DSP_EXIT_SIGHUP: return 6;
	case DSP_EXIT_SIGTERM: return 7;
	case DSP_EXIT_SIGINT: return 8;
	default: return 1;
	}
}

int dsp_exit_worse(int a, int b)
{
	return exit_rank(b) > exit_rank(a) ? b : a;
}
