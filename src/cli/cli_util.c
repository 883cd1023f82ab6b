/* SPDX-License-Identifier: MIT */
/* cli_util.c - messages, prompts and small parsers for the CLI */
#include "cli.h"

#include <ctype.h>
#include <signal.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dispose/log.h"

static int cli_verbose;

/*
 * One line whatever an argument or file name holds (dsp_log_text): a
 * newline in a path cannot forge a second line, an escape cannot drive the
 * terminal.
 */
static void vmsg(const char *fmt, va_list ap)
{
	char *msg = NULL, *t = NULL;

	if (vasprintf(&msg, fmt, ap) >= 0)
		t = dsp_log_text(msg);
	fprintf(stderr, "dispose: %s\n", t ? t : "(message lost: out of memory)");
	free(t);
	free(msg);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'dispose%s%s --help' for more information.\n", cmd ? " " : "",
		cmd ? cmd : "");
	return DSP_EXIT_USAGE;
}

/* The option as typed: "--name" (without "=value") or "-c". */
static const char *typed(const char *arg, int c, char *buf, size_t len)
{
	if (arg && !strncmp(arg, "--", 2))
		snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(buf, len, "-%c", c > ' ' && c < 0x7f ? c : '?');
	return buf;
}

static char optname[256];	/* the last option cli_getopt returned, as typed */

const char *cli_optname(void)
{
	return optname;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *cmd)
{
	char opts[128], name[256];
	const char *last;
	int li = -1, c;

	/* ':' first: our messages, not getopt's "dispose: unrecognized option" */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, &li);
	last = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
	switch (c) {
	case -1:
		return -1;
	case ':':
		cli_usage_error(cmd, "%s: needs an argument", typed(last, optopt, name, sizeof(name)));
		return CLI_OPT_ERROR;
	case '?':
		/* a long option known but given "=value" has optopt set */
		if (optopt && last && !strncmp(last, "--", 2))
			cli_usage_error(cmd, "%s: takes no argument",
					typed(last, optopt, name, sizeof(name)));
		else
			cli_usage_error(cmd, "%s: unknown option",
					typed(optopt ? NULL : last, optopt, name, sizeof(name)));
		return CLI_OPT_ERROR;
	}
	if (li >= 0)
		snprintf(optname, sizeof(optname), "--%s", longopts[li].name);
	else
		typed(NULL, c, optname, sizeof(optname));
	if (optarg && !optarg[0]) {
		cli_usage_error(cmd, "%s: empty argument", optname);
		return CLI_OPT_ERROR;
	}
	return c;
}

int cli_nonempty(const char *cmd, const char *what, const char *arg)
{
	return arg[0] ? 0 : cli_usage_error(cmd, "%s: empty argument", what);
}

int cli_need_input(const char *path, int dir)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return 0;
		cli_err("%s: %s", path, strerror(errno));
		return DSP_EXIT_USAGE;
	}
	if (dir && !S_ISDIR(st.st_mode)) {
		cli_err("%s: not a directory", path);
		return DSP_EXIT_USAGE;
	}
	return 0;
}

static void log_handler(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level == DSP_LOG_DEBUG && cli_verbose < 2)
		return;
	if (level == DSP_LOG_INFO && cli_verbose < 1)
		return;
	fprintf(stderr, "dispose: %s%s\n",
		level == DSP_LOG_WARN ? "warning: " : "", msg);
}

void cli_log_init(int verbose)
{
	cli_verbose = verbose;
	dsp_log_set_handler(log_handler, NULL);
}

int cli_confirm_typed(const char *prompt, const char *expect)
{
	char line[4096];
	FILE *tty = fopen("/dev/tty", "r+");

	if (!tty)
		return 0;
	fprintf(tty, "%s", prompt);
	fflush(tty);
	if (!fgets(line, sizeof(line), tty)) {
		fclose(tty);
		return 0;
	}
	fclose(tty);
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, expect) == 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	case 'T': mul = 1ULL << 40; end++; break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end)
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

int cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

const char *cli_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned i = 0;

	while (v >= 1024 && i + 1 < DSP_ARRAY_SIZE(unit)) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}

int cli_need_tty(const char *nothing, const char *verb)
{
	if (isatty(STDIN_FILENO))
		return 0;
	cli_err("no terminal to confirm on; %s", nothing);
	fprintf(stderr, "Use --yes to %s without confirmation.\n", verb);
	return DSP_EXIT_REFUSED;
}

volatile sig_atomic_t cli_stop_sig;

static void on_stop_signal(int sig)
{
	cli_stop_sig = sig;
}

void cli_catch_stop(int sa_flags)
{
	struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = sa_flags };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int cli_exit_code(int result, int sig)
{
	return dsp_exit_code(result, sig);
}

int cli_exit_worse(int a, int b)
{
	return dsp_exit_worse(a, b);
}
