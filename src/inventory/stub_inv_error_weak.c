/* SPDX-License-Identifier: MIT */
/*
 * stub_inv_error_weak.c - weak dsp_inv_error so the devices scanner links
 * before the inventory module lands; its strong definition wins. Delete this
 * file once src/inventory/ has the real one.
 */
#include "dispose/inventory.h"

#include <errno.h>

__attribute__((weak)) int dsp_inv_error(dsp_inv_emit_fn emit, void *arg, const char *source,
					const char *path, const char *reason)
{
	struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "source", json_object_new_string(source));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	r = emit(arg, "errors", o);
	json_object_put(o);
	return r;
}
