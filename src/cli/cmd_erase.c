/* SPDX-License-Identifier: MIT */
/* cmd_erase.c - dispose erase (placeholder until its module lands) */
#include "cli.h"

int cmd_erase(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("erase: not implemented yet");
	return DSP_EXIT_FAILED;
}
