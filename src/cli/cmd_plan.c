/* SPDX-License-Identifier: MIT */
/* cmd_plan.c - dispose plan (stub: #14) */
#include "cli.h"

int cmd_plan(int argc, char **argv)
{
	cli_err("plan: not implemented yet");
	return DSP_EXIT_UNSUPPORTED;
}
