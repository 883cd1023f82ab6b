/* SPDX-License-Identifier: MIT */
/* fuzz_baginfo.c - libFuzzer target for the bag-info.txt parser */
#include <stdint.h>
#include <string.h>

#include "dispose/archive.h"

static int tag_cb(void *arg, const char *label, const char *value)
{
	size_t *n = arg;

	*n += strlen(label) + strlen(value);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_bag_meta m;
	size_t n = 0;

	if (dsp_bag_info_parse((const char *)data, size, &m, tag_cb, &n) == 0)
		(void)dsp_archive_retention(&m, "2026-01-01");
	return 0;
}
