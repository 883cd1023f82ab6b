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

#include "dispose/log.h"

static int cli_verbose;

static void vmsg(const char *fmt, va_list ap)
{
	fputs("dispose: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	fprintf(stderr, "Try 'dispose %s --help' for more information.\n", cmd);
	return DSP_EXIT_USAGE;
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

int cli_exit_code(int result, int sig)
{
	switch (result) {
	case 0: return DSP_EXIT_OK;
	case DSP_PARTIAL: return DSP_EXIT_FAILED;
	case DSP_MISMATCH: return DSP_EXIT_MISMATCH;
	case DSP_UNSUPPORTED: return DSP_EXIT_UNSUPPORTED;
	case DSP_REFUSED: return DSP_EXIT_REFUSED;
	case DSP_INVALID: return DSP_EXIT_USAGE;
	case DSP_INTERRUPTED:
		if (sig == SIGHUP)
			return DSP_EXIT_SIGHUP;
		return sig == SIGTERM ? DSP_EXIT_SIGTERM : DSP_EXIT_SIGINT;
	default: return DSP_EXIT_FAILED;
	}
}

static int exit_rank(int code)
{
	switch (code) {
	case DSP_EXIT_OK: return 0;
	case DSP_EXIT_FAILED: return 1;
	case DSP_EXIT_USAGE: return 2;
	case DSP_EXIT_UNSUPPORTED: return 3;
	case DSP_EXIT_MISMATCH: return 4;
	case DSP_EXIT_REFUSED: return 5;
	case DSP_EXIT_SIGHUP: return 6;
	case DSP_EXIT_SIGTERM: return 7;
	case DSP_EXIT_SIGINT: return 8;
	default: return 1;
	}
}

int cli_exit_worse(int a, int b)
{
	return exit_rank(b) > exit_rank(a) ? b : a;
}
