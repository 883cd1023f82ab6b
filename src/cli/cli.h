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
/* Install the core log handler that prints "dispose: ..." on stderr. */
void cli_log_init(int verbose);
/* Ask the operator to type `expect` on the tty; 1 when they did. */
int cli_confirm_typed(const char *prompt, const char *expect);
/* Parse sizes like 64M, 1G, 4096. Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);
/* Human readable size, e.g. "2.0 GiB". */
const char *cli_human_size(uint64_t bytes, char *buf, size_t len);

#endif
