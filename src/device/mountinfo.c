/* SPDX-License-Identifier: MIT */
/* mountinfo.c - parsers of /proc/self/mountinfo and /proc/swaps text */
#include "device_int.h"
#include "dispose/common.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ---- parsers ---- */

/* Decode \ooo escapes in place (the kernel's mangle() of space, tab, nl, \). */
static void unescape(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			char c = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) |
					(s[3] - '0'));
			/* a NUL would silently shorten the path: keep it escaped */
			if (c) {
				*w++ = c;
				s += 4;
				continue;
			}
		}
		*w++ = *s++;
	}
	*w = '\0';
}

/* Split a line on blanks (paths have theirs escaped) into at most max fields; returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	while (*line) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line)
			break;
		if (n == max)
			return max + 1;
		f[n++] = line;
		while (*line && *line != ' ' && *line != '\t')
			line++;
		if (*line)
			*line++ = '\0';
	}
	return n;
}

typedef int (*line_fn)(char *line, size_t lineno, void *arg);

/* Call fn on each non-empty line, as a NUL-terminated copy. */
static int for_lines(const char *text, size_t len, line_fn fn, void *arg)
{
	size_t pos = 0, lineno = 0;
	char *line = NULL;
	int r = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (l) {
			if (memchr(text + pos, '\0', l)) {
				r = -EINVAL;
				break;
			}
			line = malloc(l + 1);
			if (!line) {
				r = -ENOMEM;
				break;
			}
			memcpy(line, text + pos, l);
			line[l] = '\0';
			r = fn(line, lineno, arg);
			free(line);
			if (r)
				break;
		}
		pos += l + 1;
	}
	return r;
}

struct parse_ctx {
	void *fn;
	void *arg;
};

static int mountinfo_line(char *line, size_t lineno, void *arg)
{
	struct parse_ctx *ctx = arg;
	struct dsp_mountinfo_entry e;
	char *f[64], *end;
	int n, sep;
	unsigned long maj, min;

	(void)lineno;
	n = split(line, f, 64);
	/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
	if (n < 9 || n > 64)
		return -EINVAL;
	for (sep = 6; sep < n && strcmp(f[sep], "-"); sep++)
		;
	if (sep + 2 >= n)
		return -EINVAL;
	if (!isdigit((unsigned char)f[2][0]))
		return -EINVAL;
	errno = 0;
	maj = strtoul(f[2], &end, 10);
	if (errno || *end != ':' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	min = strtoul(end + 1, &end, 10);
	if (errno || *end || maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	e.major = (unsigned)maj;
	e.minor = (unsigned)min;
	unescape(f[3]);
	unescape(f[4]);
	unescape(f[sep + 1]);
	unescape(f[sep + 2]);
	e.root = f[3];
	e.mountpoint = f[4];
	e.fstype = f[sep + 1];
	e.source = f[sep + 2];
	return ((dsp_mountinfo_fn)ctx->fn)(&e, ctx->arg);
}

int dsp_blkdev_parse_mountinfo(const char *text, size_t len,
			       dsp_mountinfo_fn fn, void *arg)
{
	struct parse_ctx ctx = { (void *)fn, arg };

	return for_lines(text, len, mountinfo_line, &ctx);
}

static int swaps_line(char *line, size_t lineno, void *arg)
{
	struct parse_ctx *ctx = arg;
	char *f[8], *path;
	size_t l;
	int n;

	/* "Filename  Type  Size  Used  Priority" header */
	if (lineno == 1 && !strncmp(line, "Filename", 8))
		return 0;
	/* a deleted swap file reads "/path\040(deleted)": stat() fails on it */
	n = split(line, f, 8);
	if (n < 2 || n > 8)
		return -EINVAL;
	path = f[0];
	unescape(path);
	l = strlen(path);
	if (!l || path[0] != '/')
		return -EINVAL;
	return ((dsp_swaps_fn)ctx->fn)(path, f[1], ctx->arg);
}

int dsp_blkdev_parse_swaps(const char *text, size_t len, dsp_swaps_fn fn, void *arg)
{
	struct parse_ctx ctx = { (void *)fn, arg };

	return for_lines(text, len, swaps_line, &ctx);
}
