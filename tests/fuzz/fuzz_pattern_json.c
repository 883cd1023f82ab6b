/* SPDX-License-Identifier: MIT */
/* fuzz_pattern_json.c - a pass pattern read back from a run record (resume) */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <json-c/json.h>

#include "dispose/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	struct dsp_pattern p;
	struct dsp_pattern_gen *g;
	uint8_t buf[100];

	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	if (o && dsp_pattern_from_json(o, &p) == 0 && dsp_pattern_gen_new(&p, &g) == 0) {
		/* a restored pattern must regenerate at any offset */
		dsp_pattern_fill(g, size * 7, buf, sizeof(buf));
		dsp_pattern_xor(g, size, buf, sizeof(buf));
		dsp_pattern_gen_free(g);
	}
	json_object_put(o);
	json_tokener_free(tok);
	return 0;
}
