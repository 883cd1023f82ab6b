/* SPDX-License-Identifier: MIT */
/* fuzz_manifest.c - libFuzzer target for the BagIt manifest parser and path encoder */
#include <stdint.h>
#include <string.h>

#include "dispose/archive.h"

static int line_cb(void *arg, const char *path, const uint8_t *digest)
{
	char enc[8192];

	/* what was decoded must encode again */
	(void)dsp_bag_path_encode(path, enc, sizeof(enc));
	*(size_t *)arg += strlen(path) + digest[0];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;

	(void)dsp_bag_manifest_parse((const char *)data, size, 64, line_cb, &n);
	(void)dsp_bag_manifest_parse((const char *)data, size, 32, line_cb, &n);
	return 0;
}
