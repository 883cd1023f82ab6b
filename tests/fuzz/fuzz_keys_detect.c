/* SPDX-License-Identifier: MIT */
/* fuzz_keys_detect.c - libFuzzer: the key-format detector over arbitrary bytes, then the examine path on a memfd */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "dispose/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct json_object *out = NULL;
	struct stat st;
	const char *f;

	/* as the first chunk of a bigger file, and as the whole file */
	f = dsp_keys_detect(data, size, (uint64_t)size + 4096);
	if (f && !*f)
		__builtin_trap();
	f = dsp_keys_detect(data, size, size);

	/* examine reads the same bytes through a file descriptor */
	if (fd < 0)
		fd = memfd_create("fuzz_keys", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size ||
	    fstat(fd, &st))
		return 0;
	if (dsp_keys_examine(fd, "fuzz", &st, &out) == 1) {
		/* an item needs a format; a detected format must be what examine reports */
		struct json_object *v;

		if (!out || !json_object_object_get_ex(out, "format", &v))
			__builtin_trap();
		if (size <= 4096 && (!f || strcmp(f, json_object_get_string(v))))
			__builtin_trap();
	} else if (out) {
		__builtin_trap();
	}
	json_object_put(out);
	return 0;
}
