/* SPDX-License-Identifier: MIT */
/* cmd_methods.c - dispose methods (placeholder until its module lands) */
#include "cli.h"

int cmd_methods(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("methods: not implemented yet");
	return DSP_EXIT_FAILED;
}
