/* SPDX-License-Identifier: MIT */
/* cmd_inventory.c - dispose inventory (placeholder until its module lands) */
#include "cli.h"

int cmd_inventory(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("inventory: not implemented yet");
	return DSP_EXIT_FAILED;
}
