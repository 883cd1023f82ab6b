/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pdf.c - libFuzzer target over the PDF rendering (dsp_pdf_render):
 * the input is a certificate's JSON bytes. When dsp_cert_parse accepts
 * them they render into a writer that keeps only the head and the tail:
 * the result is 0 and a whole PDF ("%PDF-" ... "%%EOF"), whatever the
 * document's shape (wrong types, missing keys, hostile strings, huge
 * lists); bytes it refuses are DSP_INVALID with a reason. Else the
 * canonical form of the JSON object the bytes hold, when small, is
 * rendered the same way (so mutations reach the renderer instead of
 * stopping at the canonical-form check). One input in eight is also
 * rendered into a writer that fails part-way: -EIO, no crash, no leak.
 * A rendering costs ~0.1 s under ASan: the first 64 inputs (the seeds; an
 * input replayed alone) always render, later ones when their hash says so
 * (one in 16), so the 3000-run regression stays within a minute.
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
#include "dispose/pdf.h"

#define CANON_MAX	4096	/* rendering costs; the seeds hold the big documents */
#define ALWAYS		64	/* the first inputs always render */
#define SAMPLE		16	/* then one in SAMPLE, by hash */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

struct sink {
	size_t n, fail_at;
	char head[8], tail[8];
};

static int sink(void *arg, const void *buf, size_t len)
{
	struct sink *s = arg;
	const char *b = buf;

	if (s->fail_at && s->n + len >= s->fail_at)
		return 1;
	for (size_t i = 0; i < len; i++, s->n++) {
		if (s->n < sizeof(s->head))
			s->head[s->n] = b[i];
		memmove(s->tail, s->tail + 1, sizeof(s->tail) - 1);
		s->tail[sizeof(s->tail) - 1] = b[i];
	}
	return 0;
}

static void render(const char *buf, size_t len, bool parsed, bool fail)
{
	static const struct dsp_pdf_opts o = {
		.json_name = "c\xe2\x80\xae\x1b[2J.json",	/* a hostile name too */
		.signer = "CN=\x07signer\xe2\x80\xae",
		.signing_time = "2026-12-06T10:00:00Z",
	};
	struct sink s = { 0 };
	char *why = NULL;
	int r = dsp_pdf_render(buf, len, &o, sink, &s, &why);

	if (!parsed) {
		if (r != DSP_INVALID || !why)
			__builtin_trap();
		free(why);
		return;
	}
	if (r == -ENOMEM) {
		free(why);
		return;
	}
	if (r || why || memcmp(s.head, "%PDF-", 5) || !memmem(s.tail, sizeof(s.tail), "%%EOF", 5))
		__builtin_trap();
	if (fail) {
		struct sink f = { .fail_at = s.n / 2 + 1 };

		r = dsp_pdf_render(buf, len, &o, sink, &f, &why);
		if (r != -EIO || !why)
			__builtin_trap();
		free(why);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *doc = NULL, *o;
	struct json_tokener *tok;
	char *why = NULL, *c = NULL;
	size_t clen;
	static unsigned long calls;
	bool fail = (size % 8) == 3;
	uint32_t h = 2166136261u;	/* FNV-1a: the same input, the same choice */

	if (size > (1u << 20))
		return 0;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	if (++calls > ALWAYS && h % SAMPLE)
		return 0;
	dsp_log_set_syslog(0);
	dsp_log_set_handler(quiet, NULL);
	if (dsp_cert_parse((const char *)data, size, &doc, &why) == 0) {
		json_object_put(doc);
		render((const char *)data, size, true, fail);
		return 0;
	}
	free(why);
	render((const char *)data, size, false, false);

	if (!(tok = json_tokener_new()))
		abort();
	o = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (json_object_is_type(o, json_type_object) && dsp_json_is_utf8(o) &&
	    dsp_cert_canonical(o, &c, &clen) == 0) {
		if (clen <= CANON_MAX && !memchr(c, '\0', clen))
			render(c, clen, true, fail);
		free(c);
	}
	json_object_put(o);
	return 0;
}
