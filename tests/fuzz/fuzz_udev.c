/* SPDX-License-Identifier: MIT */
/*
 * fuzz_udev.c - udev's properties of a device (its database: outside
 * input) parsed and merged into sysfs facts. The bytes are "KEY=VALUE"
 * lines; the parse must not crash, and every string it leaves must be
 * NUL-terminated within its buffer, by-id links sorted and under
 * /dev/disk/by-id/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/device.h"

static void terminated(const char *s, size_t len)
{
	if (!memchr(s, '\0', len))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_device_udev u = { .present = true };
	struct dsp_blkdev_info in;
	const char *props[64];
	char *text;
	size_t n = 0;

	if (size > 1 << 16)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; n < 64 && p && *p;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		props[n++] = p;
		p = nl ? nl + 1 : NULL;
	}
	dsp_device_udev_parse(props, n, &u);
	terminated(u.serial, sizeof(u.serial));
	terminated(u.wwn, sizeof(u.wwn));
	terminated(u.model, sizeof(u.model));
	terminated(u.id_path, sizeof(u.id_path));
	if (u.nby_id > sizeof(u.by_id) / sizeof(u.by_id[0]))
		__builtin_trap();
	for (unsigned i = 0; i < u.nby_id; i++) {
		terminated(u.by_id[i], sizeof(u.by_id[0]));
		if (strncmp(u.by_id[i], "/dev/disk/by-id/", 16) ||
		    (i && strcmp(u.by_id[i - 1], u.by_id[i]) > 0))
			__builtin_trap();
	}
	memset(&in, 0, sizeof(in));
	memcpy(in.serial, "sysfs-serial", 13);
	dsp_device_udev_merge(&in, &u);
	terminated(in.serial, sizeof(in.serial));
	terminated(in.sysfs_serial, sizeof(in.sysfs_serial));
	terminated(in.wwn, sizeof(in.wwn));
	free(text);
	return 0;
}
