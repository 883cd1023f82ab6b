/* SPDX-License-Identifier: MIT */
/*
 * syslog_shim.c - LD_PRELOAD capture of what a process sends to syslog(3), for
 * t_syslog.sh: each message is appended to $SYSLOG_CAPTURE as one line
 * "<facility> <priority> <ident> <message>" (numbers as in syslog.h). The
 * _chk variants are the names _FORTIFY_SOURCE builds call.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

static const char *ident = "-";
static int facility = LOG_USER;

void openlog(const char *id, int option, int fac)
{
	(void)option;
	ident = id ? id : "-";
	facility = fac;
}

void closelog(void)
{
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	const char *path = getenv("SYSLOG_CAPTURE");
	char msg[8192];
	int fac = pri & LOG_FACMASK ? pri & LOG_FACMASK : facility, fd, n;

	if (!path)
		return;
	n = snprintf(msg, sizeof(msg), "%d %d %s ", fac >> 3, pri & LOG_PRIMASK, ident);
	n += vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	msg[n++] = '\n';
	/* one write with O_APPEND: lines of several threads do not mix */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, msg, (size_t)n) < 0)
		n = 0;
	close(fd);
}

void syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(pri, fmt, ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}
