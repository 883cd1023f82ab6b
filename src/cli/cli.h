/* SPDX-License-Identifier: MIT */
/* cli.h - shared by the CLI's own files only (never by the core) */
#ifndef DISPOSE_CLI_H
#define DISPOSE_CLI_H

#include <stdio.h>
#include "dispose/common.h"

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
};

int cmd_erase(int argc, char **argv);
int cmd_methods(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_archive(int argc, char **argv);

/* "dispose: <msg>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "dispose: <msg>" and the --help hint of command cmd on stderr; returns DSP_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Install the core log handler that prints "dispose: ..." on stderr. */
void cli_log_init(int verbose);
/* Ask the operator to type `expect` on the tty; 1 when they did. */
int cli_confirm_typed(const char *prompt, const char *expect);
/* Parse sizes like 64M, 1G, 4096. Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);
/* Human readable size, e.g. "2.0 GiB". */
const char *cli_human_size(uint64_t bytes, char *buf, size_t len);

/*
 * The one mapping from a core result (0, DSP_* or -errno) to an exit code
 * (dispose(8) EXIT STATUS); sig: the signal that stopped the command, for
 * DSP_INTERRUPTED (0: SIGINT's code).
 */
int cli_exit_code(int result, int sig);
/*
 * Of two exit codes, the one a command with several results returns: an
 * interruption (the run must be resumed), then a refusal (4), then
 * 3 > 5 > 2 > 1 > 0.
 */
int cli_exit_worse(int a, int b);

#endif
