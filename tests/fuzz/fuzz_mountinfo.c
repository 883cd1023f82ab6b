/* SPDX-License-Identifier: MIT */
/* fuzz_mountinfo.c - /proc/self/mountinfo and /proc/swaps parsers */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dispose/device.h"

static int on_mount(const struct dsp_mountinfo_entry *e, void *arg)
{
	size_t *n = arg;

	/* touch every string so ASan sees a bad pointer */
	*n += strlen(e->root) + strlen(e->mountpoint) + strlen(e->fstype) +
	      strlen(e->source) + e->major + e->minor;
	return 0;
}

static int on_swap(const char *path, const char *type, void *arg)
{
	size_t *n = arg;

	*n += strlen(path) + strlen(type);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	dsp_blkdev_parse_mountinfo((const char *)data, size, on_mount, &n);
	dsp_blkdev_parse_swaps((const char *)data, size, on_swap, &n);
	return 0;
}
