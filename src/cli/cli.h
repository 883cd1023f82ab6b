/* SPDX-License-Identifier: MIT */
/* cli.h - shared by the CLI's own files only (never by the core) */
#ifndef DISPOSE_CLI_H
#define DISPOSE_CLI_H

#include <getopt.h>
#include <signal.h>
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
int cmd_keygen(int argc, char **argv);
int cmd_certify(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* "dispose: <msg>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "dispose: <msg>" and "Try 'dispose <cmd> --help' for more information."
 * on stderr (cmd NULL: 'dispose --help'); returns DSP_EXIT_USAGE. Every
 * usage error of every command goes through here: one style.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_getopt's return after it printed a usage error (exit DSP_EXIT_USAGE). */
#define CLI_OPT_ERROR	(-2)
/*
 * getopt_long with the one message style of cmd ("erase", "archive create"):
 * an unknown option ("--frob: unknown option"), a missing argument
 * ("--jobs: needs an argument"), an argument to an option that takes none,
 * and an empty argument ("--run-dir: empty argument": never a path "") are
 * usage errors printed through cli_usage_error. shortopts without the
 * leading ':'. Returns the option, -1 after the last, or CLI_OPT_ERROR.
 */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *cmd);
/* The option cli_getopt returned last, as typed: "--directory" or "-C". */
const char *cli_optname(void);
/* A positional argument: "" is a usage error ("<what>: empty argument"). 0 or DSP_EXIT_USAGE. */
int cli_nonempty(const char *cmd, const char *what, const char *arg);
/*
 * An input the user named (a file to read, a directory to read or extract
 * into): one that does not exist, or is no directory where dir is set, is
 * invalid input, said before anything else is done or printed. 0, or
 * DSP_EXIT_USAGE after "dispose: <path>: <why>". Other errors (EACCES...)
 * are left to the command, which names them when it opens the path.
 */
int cli_need_input(const char *path, int dir);
/* Install the core log handler that prints "dispose: ..." on stderr. */
void cli_log_init(int verbose);
/* Ask the operator to type `expect` on the tty; 1 when they did. */
int cli_confirm_typed(const char *prompt, const char *expect);
/*
 * No terminal to ask on: "dispose: no terminal to confirm on; <nothing>" and
 * "Use --yes to <verb> without confirmation."; DSP_EXIT_REFUSED. 0 on a tty.
 */
int cli_need_tty(const char *nothing, const char *verb);
/* The signal that stopped the command (0: none yet), for the core's stop flag. */
extern volatile sig_atomic_t cli_stop_sig;
/*
 * SIGINT, SIGTERM and SIGHUP (a dropped ssh session) set cli_stop_sig
 * instead of killing: the core checkpoints and stops. sa_flags: SA_RESTART or 0.
 */
void cli_catch_stop(int sa_flags);
/* Parse sizes like 64M, 1G, 4096. Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);
/* "" or "s" after a count: "1 file", "2 files". */
#define CLI_S(n) ((n) == 1 ? "" : "s")
/* A plain decimal count in [min, max] (no sign, no suffix): 0, or -1. */
int cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);
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
