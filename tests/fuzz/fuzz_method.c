/* SPDX-License-Identifier: MIT */
/* fuzz_method.c - libFuzzer target over dsp_method_parse (method files) */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/method.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What "methods --json NAME" prints must read back as the same method ("methods --check"). */
static void roundtrip(const struct dsp_method *m)
{
	struct json_object *o = dsp_method_to_document(m);
	struct dsp_method *b = NULL;
	const char *text;
	char err[512];
	int rc;

	if (!o)
		return;		/* ENOMEM */
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_PRETTY_TAB |
					      JSON_C_TO_STRING_SPACED |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	/* a file at the size limit may grow past it when printed pretty */
	if (text && strlen(text) <= DSP_METHOD_FILE_MAX) {
		rc = dsp_method_parse(text, strlen(text), "doc.json", &b, err, sizeof(err));
		if (rc == 0) {
			if (b->npasses != m->npasses || b->verify != m->verify ||
			    b->schema != m->schema || b->technique != m->technique ||
			    b->action != m->action || b->category != m->category ||
			    b->sample_percent != m->sample_percent ||
			    strcmp(b->name, m->name) || strcmp(b->variant, m->variant) ||
			    strcmp(b->source, m->source) ||
			    strcmp(b->description, m->description))
				__builtin_trap();
			for (unsigned i = 0; i < m->npasses; i++) {
				const struct dsp_pass *x = &m->passes[i], *y = &b->passes[i];

				if (x->kind != y->kind || x->pattern_len != y->pattern_len ||
				    memcmp(x->pattern, y->pattern, x->pattern_len) ||
				    strcmp(x->label, y->label) || !x->note != !y->note ||
				    (x->note && strcmp(x->note, y->note)))
					__builtin_trap();
			}
			dsp_method_free(b);
		} else if (rc != -ENOMEM) {
			__builtin_trap();
		}
	}
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_method *m = NULL;
	char err[512];
	int rc;

	rc = dsp_method_parse((const char *)data, size, "fuzz.json", &m, err, sizeof(err));
	if (rc == 0) {
		struct json_object *o;

		/* a method that parsed must be self-consistent */
		if (!m || m->npasses > DSP_METHOD_MAX_PASSES || strlen(m->sha256) != 64)
			__builtin_trap();
		/* passes exactly for an overwrite, an action exactly for a sanitize */
		if ((m->npasses == 0) != (m->technique != DSP_TECH_OVERWRITE) ||
		    (m->action != DSP_ACT_NONE) != (m->technique == DSP_TECH_SANITIZE) ||
		    (m->technique == DSP_TECH_OVERWRITE && m->category == DSP_CAT_PURGE) ||
		    (m->schema == 1 && m->technique != DSP_TECH_OVERWRITE))
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
		roundtrip(m);
		dsp_method_free(m);
	} else if (rc != -ENOMEM) {
		/* every rejection is DSP_INVALID with "fuzz.json: <field>: ..." */
		if (m || rc != DSP_INVALID || strncmp(err, "fuzz.json: ", 11))
			__builtin_trap();
	}
	return 0;
}
