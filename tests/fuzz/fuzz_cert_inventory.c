/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cert_inventory.c - libFuzzer target over certify --inventory's reader
 * (cert_inventory_keys): any bytes as the inventory document, matched
 * against a file, a tree and a block device target. A refusal names the
 * file; a success gives every target a key_material array sorted by path
 * whose items hold path, type and fingerprint.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/cert/cert_int.h"
#include "dispose/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char targets_json[] =
	"[{\"kind\":\"file\",\"path\":\"/srv/a/key.pem\",\"identity\":{\"dev\":2049,\"ino\":12}},"
	" {\"kind\":\"tree\",\"path\":\"/home/u\",\"identity\":{\"dev\":2049,\"ino\":40}},"
	" {\"kind\":\"block\",\"path\":\"/dev/loop7\",\"identity\":{\"devno\":\"7:7\","
	"\"name\":\"loop7\"}}]";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *t = json_tokener_parse(targets_json);
	char path[64], *why = NULL;
	int fd = memfd_create("inventory", MFD_CLOEXEC), r;

	if (fd < 0 || !t || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = cert_inventory_keys(path, t, &why);
	if (r > 0 && (!why || !strstr(why, path)))
		__builtin_trap();	/* a refusal names the file */
	for (size_t i = 0; r == 0 && i < json_object_array_length(t); i++) {
		struct json_object *km = json_object_object_get(json_object_array_get_idx(t, i),
								 "key_material");
		char *prev = NULL;

		if (!json_object_is_type(km, json_type_array))
			__builtin_trap();
		for (size_t k = 0; k < json_object_array_length(km); k++) {
			struct json_object *e = json_object_array_get_idx(km, k);
			char *p = NULL;

			if (dsp_json_bytes(e, "path", &p, NULL) ||
			    !json_object_object_get_ex(e, "type", NULL) ||
			    !json_object_object_get_ex(e, "fingerprint", NULL) ||
			    (prev && strcmp(prev, p) > 0))
				__builtin_trap();
			free(prev);
			prev = p;
		}
		free(prev);
	}
	free(why);
	json_object_put(t);
	close(fd);
	return 0;
}
