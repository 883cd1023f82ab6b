/* SPDX-License-Identifier: MIT */
/*
 * fuzz_luks_backups.c - libFuzzer target over erase --inventory's reader
 * (dsp_erase_luks_backups): any bytes as the inventory document. A success
 * is an array whose items hold an absolute path (exact bytes) and a
 * non-empty uuid; anything else is DSP_INVALID with no array.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/json.h"
#include "dispose/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *out = NULL;
	char path[64];
	int fd = memfd_create("inventory", MFD_CLOEXEC), r;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	dsp_log_set_handler(NULL, NULL);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = dsp_erase_luks_backups(path, &out);
	if (r != 0 && (r != DSP_INVALID || out))
		__builtin_trap();
	for (size_t i = 0; r == 0 && i < json_object_array_length(out); i++) {
		struct json_object *e = json_object_array_get_idx(out, i);
		const char *u = dsp_json_str(e, "uuid");
		char *p = NULL;

		if (dsp_json_bytes(e, "path", &p, NULL) || p[0] != '/' || !u || !u[0])
			__builtin_trap();
		free(p);
	}
	if (r == 0 && !json_object_is_type(out, json_type_array))
		__builtin_trap();
	json_object_put(out);
	close(fd);
	return 0;
}
