/* SPDX-License-Identifier: MIT */
/* cmd_archive.c - dispose archive (placeholder until its module lands) */
#include "cli.h"

int cmd_archive(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("archive: not implemented yet");
	return DSP_EXIT_FAILED;
}
