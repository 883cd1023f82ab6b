/* SPDX-License-Identifier: MIT */
/* fuzz_method.c - libFuzzer target over dsp_method_parse (method files) */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/method.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_method *m = NULL;
	char err[512];
	int rc;

	rc = dsp_method_parse((const char *)data, size, "fuzz.json", &m, err, sizeof(err));
	if (rc == 0) {
		struct json_object *o;

		/* a method that parsed must be self-consistent */
		if (!m || m->npasses == 0 || m->npasses > DSP_METHOD_MAX_PASSES ||
		    strlen(m->sha256) != 64)
			__builtin_trap();
		for (unsigned i = 0; i < m->npasses; i++) {
			const struct dsp_pass *p = &m->passes[i];

			if (p->kind == DSP_PASS_PATTERN &&
			    (p->pattern_len == 0 || p->pattern_len > DSP_PATTERN_MAX))
				__builtin_trap();
			if (p->kind == DSP_PASS_COMPLEMENT &&
			    (i == 0 || m->passes[i - 1].kind == DSP_PASS_RANDOM))
				__builtin_trap();
			if (memchr(p->label, '\0', sizeof(p->label)) == NULL)
				__builtin_trap();
		}
		o = dsp_method_to_json(m);
		json_object_put(o);
		dsp_method_free(m);
	} else if (rc != -ENOMEM) {
		/* every rejection is DSP_INVALID with "fuzz.json: <field>: ..." */
		if (m || rc != DSP_INVALID || strncmp(err, "fuzz.json: ", 11))
			__builtin_trap();
	}
	return 0;
}
