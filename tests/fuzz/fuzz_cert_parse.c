/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cert_parse.c - libFuzzer target over the certificate parser and the
 * document's own rules: dsp_cert_parse of the raw bytes (strict, canonical),
 * then of the canonical form of whatever JSON object the bytes hold (so a
 * mutation reaches the schema and consistency checks instead of stopping at
 * the canonical-form check), dsp_cert_check_schema,
 * dsp_cert_check_consistency and dsp_cert_show, whose text must reach a
 * terminal with no control character but the newline and only UTF-8.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

/* show's text: UTF-8, no C0 but '\n', no DEL, no C1 (U+0080..U+009F) */
static void check_text(const char *s, size_t n)
{
	if (!dsp_utf8_valid(s, n))
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		     (unsigned char)s[i + 1] <= 0x9f))
			__builtin_trap();
	}
}

static void show(struct json_object *doc)
{
	static const enum dsp_cert_outcome outs[] = {
		DSP_CERT_VALID, DSP_CERT_UNTRUSTED, DSP_CERT_INVALID,
	};

	for (size_t i = 0; i <= DSP_ARRAY_SIZE(outs); i++) {
		struct dsp_cert_result res = {
			.outcome = i < DSP_ARRAY_SIZE(outs) ? outs[i] : DSP_CERT_INVALID,
			.reason = i == DSP_ARRAY_SIZE(outs) ? "document: schema: \x1b[2J" : "r\n\x9b",
			.signer = "CN=\x07signer",
			.signing_time = "2026-12-06T10:00:00Z",
		};
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (!m)
			abort();
		if (dsp_cert_show(m, doc, i ? &res : NULL))
			__builtin_trap();
		if (fclose(m))
			abort();
		check_text(buf, len);
		free(buf);
	}
}

static void rules(struct json_object *doc)
{
	char *why = NULL;
	int r = dsp_cert_check_schema(doc, &why);

	if (r != 0 && r != DSP_INVALID && r != -ENOMEM)
		__builtin_trap();
	if (r == DSP_INVALID && !why)
		__builtin_trap();
	free(why);
	why = NULL;
	r = dsp_cert_check_consistency(doc, &why);
	if (r != 0 && r != DSP_INVALID && r != -ENOMEM)
		__builtin_trap();
	if (r == DSP_INVALID && !why)
		__builtin_trap();
	free(why);
}

/* Parse strictly; a parse must give the very bytes back as its canonical form. */
static bool strict(const char *buf, size_t len)
{
	struct json_object *doc = NULL;
	char *why = NULL, *c = NULL;
	size_t clen = 0;
	int r = dsp_cert_parse(buf, len, &doc, &why);

	if (r) {
		if (doc || (r != DSP_INVALID && r != -ENOMEM) || (r == DSP_INVALID && !why))
			__builtin_trap();
		free(why);
		return false;
	}
	if (dsp_cert_canonical(doc, &c, &clen) || clen != len || memcmp(c, buf, len))
		__builtin_trap();
	free(c);
	rules(doc);
	show(doc);
	json_object_put(doc);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object *o;
	char *c = NULL;
	size_t clen;

	if (size > (1u << 20))
		return 0;
	dsp_log_set_syslog(0);
	dsp_log_set_handler(quiet, NULL);
	strict((const char *)data, size);

	/* whatever object the bytes hold, canonical: its parse must succeed */
	if (!(tok = json_tokener_new()))
		abort();
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (json_object_is_type(o, json_type_object) && dsp_json_is_utf8(o) &&
	    dsp_cert_canonical(o, &c, &clen) == 0) {
		if (!memchr(c, '\0', clen) && !strict(c, clen))
			__builtin_trap();
		free(c);
	}
	json_object_put(o);
	return 0;
}
