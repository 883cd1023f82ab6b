/* SPDX-License-Identifier: MIT */
/*
 * fuzz_identity.c - --resume's comparison of a block device's recorded
 * identity (from the run record: outside input) with the one at hand. The
 * bytes are two JSON texts, the recorded identity first; the comparison must
 * not crash whatever the types, and its reason must be a string when it says
 * they differ (a malformed member, such as a fractional size, differs).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <json-c/json.h>

#include "dispose/device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *rec, *now = NULL;
	char why[256];
	size_t end;
	int r;

	if (!tok || size > 1 << 20)
		goto out;
	rec = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	end = rec ? json_tokener_get_parse_end(tok) : size;
	if (end < size) {
		json_tokener_reset(tok);
		now = json_tokener_parse_ex(tok, (const char *)data + end, (int)(size - end));
	}
	r = dsp_identity_compare(rec, now, why, sizeof(why));
	if (r == DSP_IDENTITY_DIFFERS && !memchr(why, '\0', sizeof(why)))
		__builtin_trap();
	json_object_put(rec);
	json_object_put(now);
out:
	json_tokener_free(tok);
	return 0;
}
