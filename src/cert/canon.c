/* SPDX-License-Identifier: MIT */
/* canon.c - the certificate's canonical bytes, its strict parser, its schema check */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest certificate read: far beyond any machine's, small enough to hold. */
#define CERT_MAX_BYTES	(64u << 20)
/* json-c's nesting limit for the parse: the document is 5 levels deep. */
#define CERT_MAX_DEPTH	32

#define CANON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
		     JSON_C_TO_STRING_NOSLASHESCAPE)

int cert_why(char **why, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return rc;
	free(*why);
	*why = NULL;
	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		*why = NULL;
	va_end(ap);
	return rc;
}

/* Only the types the canonical form allows, and UTF-8 everywhere. */
static int canon_ok(struct json_object *o, unsigned depth)
{
	const char *s;

	if (depth > CERT_MAX_DEPTH)
		return -EINVAL;
	switch (json_object_get_type(o)) {
	case json_type_null:
	case json_type_boolean:
	case json_type_int:
		return 0;
	case json_type_double:
		return -EINVAL;
	case json_type_string:
		s = json_object_get_string(o);
		return dsp_utf8_valid(s, (size_t)json_object_get_string_len(o)) &&
			       strlen(s) == (size_t)json_object_get_string_len(o) ? 0 : -EINVAL;
	case json_type_array:
		for (size_t i = 0, n = json_object_array_length(o); i < n; i++) {
			int rc = canon_ok(json_object_array_get_idx(o, i), depth + 1);
			if (rc)
				return rc;
		}
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			int rc;
			if (!dsp_utf8_valid(k, strlen(k)))
				return -EINVAL;
			if ((rc = canon_ok(v, depth + 1)))
				return rc;
		}
		return 0;
	}
	}
	return -EINVAL;
}

int dsp_cert_canonical(struct json_object *doc, char **buf, size_t *len)
{
	const char *s;
	size_t n;
	int rc;

	*buf = NULL;
	if (len)
		*len = 0;
	if (!json_object_is_type(doc, json_type_object))
		return -EINVAL;
	if ((rc = canon_ok(doc, 0)))
		return rc;
	if (!(s = json_object_to_json_string_length(doc, CANON_FLAGS, &n)))
		return -ENOMEM;
	if (!(*buf = malloc(n + 2)))
		return -ENOMEM;
	memcpy(*buf, s, n);
	(*buf)[n] = '\n';
	(*buf)[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return 0;
}

int dsp_cert_parse(const char *buf, size_t len, struct json_object **doc, char **why)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	char *canon = NULL;
	size_t clen, off;
	int rc;

	*doc = NULL;
	if (len > CERT_MAX_BYTES)
		return cert_why(why, DSP_INVALID, "certificate: larger than %u MiB",
				CERT_MAX_BYTES >> 20);
	if (len == 0)
		return cert_why(why, DSP_INVALID, "certificate: empty");
	if (memchr(buf, '\0', len))
		return cert_why(why, DSP_INVALID, "certificate: holds a NUL byte");
	if (!dsp_utf8_valid(buf, len))
		return cert_why(why, DSP_INVALID, "certificate: not UTF-8");
	if (!(tok = json_tokener_new_ex(CERT_MAX_DEPTH)))
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		if (jerr == json_tokener_continue)
			return cert_why(why, DSP_INVALID, "certificate: JSON ends early");
		return cert_why(why, DSP_INVALID, "certificate: not JSON: %s at byte %zu",
				json_tokener_error_desc(jerr), off);
	}
	/* STRICT json-c stops after the value: what follows is ours to refuse */
	if (off != len && !(off + 1 == len && buf[off] == '\n')) {
		json_object_put(o);
		return cert_why(why, DSP_INVALID, "certificate: data after the JSON object at byte %zu",
				off);
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return cert_why(why, DSP_INVALID, "certificate: not a JSON object");
	}
	rc = dsp_cert_canonical(o, &canon, &clen);
	if (rc == -ENOMEM) {
		json_object_put(o);
		return rc;
	}
	if (rc) {
		json_object_put(o);
		return cert_why(why, DSP_INVALID,
				"certificate: not canonical: holds a number that is not an integer");
	}
	if (clen != len || memcmp(canon, buf, len)) {
		size_t i = 0;
		while (i < len && i < clen && canon[i] == buf[i])
			i++;
		free(canon);
		json_object_put(o);
		return cert_why(why, DSP_INVALID,
				"certificate: not canonical from byte %zu (spacing, escapes, "
				"a duplicate key or a missing final newline)", i);
	}
	free(canon);
	*doc = o;
	return 0;
}
