/* SPDX-License-Identifier: MIT */
/* fuzz_rpm_header.c - libFuzzer target for the rpm header blob decoder */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dispose/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_rpm_pkg p;
	size_t sum = 0;

	if (dsp_rpm_parse_header(data, size, &p) == 0) {
		/* every string returned must lie inside the input and be terminated */
		const char *s[] = { p.name, p.version, p.release, p.arch };

		for (size_t i = 0; i < 4; i++) {
			if (!s[i])
				continue;
			if ((const uint8_t *)s[i] < data || (const uint8_t *)s[i] >= data + size)
				__builtin_trap();
			sum += strlen(s[i]);
		}
	}
	return (int)(sum & 0);
}
