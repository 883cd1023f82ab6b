/* SPDX-License-Identifier: MIT */
/*
 * fuzz_plan.c - libFuzzer target over dsp_plan_build's reading of an
 * inventory document (any bytes as --inventory) under a fixed policy that
 * uses every selector. A refusal says why; a plan's file and tree targets
 * are absolute, never overlap and never hold the kept directory.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOWHERE "/nonexistent-dispose-fuzz"

static char *p_paths[] = { "/s/**" }, *p_keep[] = { "/s/keep/**" }, *p_ret[] = { "/s/r/**" };
static char *p_keys[] = { "any" }, *p_pkgs[] = { "*" }, *p_unp[] = { "any" };
static char *p_devs[] = { "serial:X", "/dev/sdz", "all-except-system" };

static struct dsp_policy_rule retain[] = {
	{ .index = 0, .name = "r", .sel = { .paths = p_ret, .npaths = 1 }, .if_present = true,
	  .retain_for = "7y" },
};
static struct dsp_policy_rule erase[] = {
	{ .index = 0, .name = "data", .sel = { .paths = p_paths, .npaths = 1 }, .if_present = true,
	  .method = "zero" },
	{ .index = 1, .name = "keys", .sel = { .key_formats = p_keys, .nkey_formats = 1 },
	  .if_present = true, .method = "zero" },
	{ .index = 2, .name = "sw", .sel = { .packages = p_pkgs, .npackages = 1,
					     .unpackaged = p_unp, .nunpackaged = 1 },
	  .if_present = true, .method = "zero" },
	{ .index = 3, .name = "disks", .sel = { .devices = p_devs, .ndevices = 3 },
	  .if_present = true, .method = "auto" },
};
static struct dsp_policy_rule keep[] = {
	{ .index = 0, .name = "k", .sel = { .paths = p_keep, .npaths = 1 } },
};
static struct dsp_policy pol = {
	.path = "fuzz.json", .name = "fuzz", .sysroot = NOWHERE,
	.retain = retain, .nretain = 1, .erase = erase, .nerase = 4, .keep = keep, .nkeep = 1,
	.keep_running_system = true,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_plan_opts o = { .today = "2026-01-01", .root = NOWHERE };
	struct json_object *plan = NULL, *tg;
	char path[64], *why = NULL;
	int fd = memfd_create("inventory", MFD_CLOEXEC), r;

	dsp_log_set_handler(NULL, NULL);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	o.inventory = path;
	r = dsp_plan_build(&pol, &o, &plan, &why);
	if (r != 0 && (plan || (r == DSP_INVALID && !why)))
		__builtin_trap();
	if (r == 0 && (!plan || !json_object_object_get_ex(plan, "targets", &tg)))
		__builtin_trap();
	for (size_t i = 0; r == 0 && i < json_object_array_length(tg); i++) {
		struct json_object *a = json_object_array_get_idx(tg, i);
		const char *ka = dsp_json_str(a, "kind");
		char *pa = NULL;

		if (!ka || dsp_json_bytes(a, "path", &pa, NULL) || pa[0] != '/')
			__builtin_trap();
		if (strcmp(ka, "block")) {
			size_t la = strlen(pa);

			if (!strcmp(pa, "/s/keep") || !strncmp(pa, "/s/keep/", 8) ||
			    !strcmp(pa, "/s") || !strcmp(pa, "/"))
				__builtin_trap();	/* holds or is the kept directory */
			for (size_t k = i + 1; k < json_object_array_length(tg); k++) {
				struct json_object *b = json_object_array_get_idx(tg, k);
				char *pb = NULL;
				size_t lb;

				if (dsp_json_bytes(b, "path", &pb, NULL))
					__builtin_trap();
				lb = strlen(pb);
				if (strcmp(dsp_json_str(b, "kind"), "block") &&
				    ((!strncmp(pb, pa, la) && (pb[la] == '/' || !pb[la])) ||
				     (!strncmp(pa, pb, lb) && (pa[lb] == '/' || !pa[lb]))))
					__builtin_trap();	/* overlapping targets */
				free(pb);
			}
		}
		free(pa);
	}
	json_object_put(plan);
	free(why);
	close(fd);
	return 0;
}
