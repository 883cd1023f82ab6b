/* SPDX-License-Identifier: MIT */
/* fuzz_dpkg_status.c - libFuzzer target for the dpkg status (deb822) parser */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dispose/inventory.h"

static int check(const struct dsp_dpkg_pkg *p, void *arg)
{
	/* every reported package is installed and has a name */
	if (!p->name || !p->name[0] || !p->status || !strstr(p->status, "installed"))
		__builtin_trap();
	(*(size_t *)arg) += strlen(p->name) + strlen(p->version) + strlen(p->arch);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t sum = 0;

	dsp_dpkg_parse_status((const char *)data, size, check, &sum);
	return 0;
}
