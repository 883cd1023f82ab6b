/* SPDX-License-Identifier: MIT */
/* cmd_run.c - dispose run (stub: #14) */
#include "cli.h"

int cmd_run(int argc, char **argv)
{
	cli_err("run: not implemented yet");
	return DSP_EXIT_UNSUPPORTED;
}
