/* SPDX-License-Identifier: MIT */
/* method.c - load and strictly validate overwrite-method profiles (json-c) */
#include "dispose/method.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define DEFAULT_SAMPLE_PERCENT 10.0
#define STR_(x) #x
#define STR(x) STR_(x)

/* What each schema field expects, for messages. */
#define EXP_HEX "expected 1 to " STR(DSP_PATTERN_MAX) " hex byte pairs, such as \"92 49 24\""
#define EXP_TYPES "expected one of pattern, random, random-byte, complement"
#define EXP_VERIFY "expected one of none, last, all, sample, sample:P (P a decimal in (0,100])"
#define EXP_NAME "expected 1 to 63 of a-z, 0-9, '-', '_', '.', starting with a letter or digit, " \
	"not ending in .json"
#define EXP_TOP "expected one of schema, name, variant, description, source, verify, passes"
#define EXP_TOP2 "expected one of schema, name, variant, description, source, technique, " \
	"action, category, verify, passes"
#define EXP_SCHEMA "expected \"" DSP_METHOD_SCHEMA "\" or \"" DSP_METHOD_SCHEMA2 "\""
#define EXP_TECHNIQUE "expected one of overwrite, crypto-luks, sanitize, auto"
#define EXP_ACTION "expected one of crypto, block, overwrite, format-user-data, " \
	"format-crypto, secdiscard, ata-security-erase"
#define EXP_CATEGORY "expected one of clear, purge, none"
#define EXP_PASS "expected one of type, pattern, note"
#define EXP_BEFORE_COMPLEMENT "expected a pattern, random-byte or complement pass before it"

/* Write "<origin>: <field>: <what>" to err; always returns DSP_INVALID. */
static int invalid(char *err, size_t errlen, const char *origin,
		   const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int invalid(char *err, size_t errlen, const char *origin,
		   const char *field, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", origin, field, what);
	return DSP_INVALID;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void dsp_method_clean(char *dst, size_t n, const char *src, size_t srclen)
{
	size_t i, o = 0;

	for (i = 0; i < srclen && o + 1 < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (o + 4 >= n && i + 1 < srclen) {
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		dst[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[o] = '\0';
}

/* Offset of the first byte that breaks UTF-8 (RFC 3629), or -1. */
static long utf8_bad_offset(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], need, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1, min = 0x80, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, min = 0x800, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, min = 0x10000, cp = c & 0x07;
		} else {
			return (long)i;
		}
		if (len - i <= need)
			return (long)i;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += need + 1;
	}
	return -1;
}

static void line_col(const char *text, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Duplicate keys: json-c keeps only the last value, so a second "pattern"
 * would silently win. A small scan of the (already valid) text collects
 * each object's raw keys and compares them when the object closes. Keys
 * are compared as written: "a" and "\u0061" are not caught (best effort).
 */
struct span {
	const char *p;
	size_t len;
};

struct level {
	int is_obj;
	size_t idx;		/* array element number */
	struct span cur;	/* object: key of the current member */
	struct span *keys;
	size_t nkeys, cap;
};

#define SCAN_DEPTH 64

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

/* The JSON path of the value held at stack depth d, e.g. "passes[2]". */
static void scan_path(const struct level *st, size_t d, char *out, size_t n)
{
	size_t o = 0;
	char piece[80];

	out[0] = '\0';
	for (size_t i = 0; i < d && o + 1 < n; i++) {
		if (st[i].is_obj) {
			dsp_method_clean(piece, sizeof(piece), st[i].cur.p, st[i].cur.len);
			o += (size_t)snprintf(out + o, n - o, "%s%s",
					      o ? "." : "", piece);
		} else {
			o += (size_t)snprintf(out + o, n - o, "[%zu]", st[i].idx);
		}
		if (o >= n)
			break;
	}
}

static int scan_duplicates(const char *text, size_t len, char *field, size_t fieldlen)
{
	struct level st[SCAN_DEPTH];
	size_t d = 0, i = 0;
	int expect_key = 0, found = 0;

	memset(st, 0, sizeof(st));
	while (i < len && !found) {
		char c = text[i];

		if (c == '{' || c == '[') {
			if (d == SCAN_DEPTH)
				break;	/* deeper than json-c allows anyway */
			st[d].is_obj = c == '{';
			st[d].idx = 0;
			st[d].nkeys = 0;
			st[d].cur.p = NULL;
			st[d].cur.len = 0;
			d++;
			expect_key = c == '{';
			i++;
		} else if (c == '}' || c == ']') {
			if (d == 0)
				break;
			d--;
			if (st[d].is_obj && st[d].nkeys > 1) {
				qsort(st[d].keys, st[d].nkeys, sizeof(struct span), span_cmp);
				for (size_t k = 1; k < st[d].nkeys; k++) {
					if (span_cmp(&st[d].keys[k - 1], &st[d].keys[k]))
						continue;
					char path[160], key[80];

					scan_path(st, d, path, sizeof(path));
					dsp_method_clean(key, sizeof(key), st[d].keys[k].p,
					      st[d].keys[k].len);
					snprintf(field, fieldlen, "%s%s%s", path,
						 path[0] ? "." : "", key);
					found = 1;
					break;
				}
			}
			expect_key = 0;
			i++;
		} else if (c == '"') {
			size_t start = ++i;

			while (i < len && text[i] != '"')
				i += text[i] == '\\' ? 2 : 1;
			if (i > len)
				i = len;
			if (d && st[d - 1].is_obj && expect_key) {
				struct level *l = &st[d - 1];

				if (l->nkeys == l->cap) {
					size_t nc = l->cap ? l->cap * 2 : 8;
					struct span *nk = realloc(l->keys, nc * sizeof(*nk));

					if (!nk)
						break;
					l->keys = nk;
					l->cap = nc;
				}
				l->keys[l->nkeys].p = text + start;
				l->keys[l->nkeys].len = i - start;
				l->cur = l->keys[l->nkeys];
				l->nkeys++;
				expect_key = 0;
			}
			i++;
		} else if (c == ',') {
			if (d && st[d - 1].is_obj)
				expect_key = 1;
			else if (d)
				st[d - 1].idx++;
			i++;
		} else {
			i++;
		}
	}
	for (size_t k = 0; k < SCAN_DEPTH; k++)
		free(st[k].keys);
	return found;
}

/* Hex pattern: groups of hex digit pairs separated by spaces, optional 0x per group. */
static int parse_hex(const char *s, uint8_t *out, size_t *outlen, const char **why)
{
	size_t n = 0;
	int any = 0;

	while (*s) {
		if (*s == ' ' || *s == '\t') {
			s++;
			continue;
		}
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		size_t digits = 0;

		while (*s && *s != ' ' && *s != '\t') {
			int v;
			char c = *s;

			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v = c - 'A' + 10;
			else {
				*why = "not a hex string";
				return -1;
			}
			if (digits % 2 == 0) {
				if (n == DSP_PATTERN_MAX) {
					*why = "longer than " STR(DSP_PATTERN_MAX) " bytes";
					return -1;
				}
				out[n] = (uint8_t)(v << 4);
			} else {
				out[n++] |= (uint8_t)v;
			}
			digits++;
			s++;
		}
		if (digits == 0 || digits % 2) {
			*why = "not a hex string (each byte needs two hex digits)";
			return -1;
		}
		any = 1;
	}
	if (!any) {
		*why = "empty";
		return -1;
	}
	*outlen = n;
	return 0;
}

static void hex_label(const uint8_t *b, size_t len, char *out, size_t n)
{
	size_t o = 0, show = len;

	if (len == 1) {
		snprintf(out, n, "0x%02X", b[0]);
		return;
	}
	if (len * 3 > n - 1)
		show = 8;
	for (size_t i = 0; i < show && o + 3 < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%02X", i ? " " : "", b[i]);
	if (show < len)
		snprintf(out + o, n - o, "... (%zu bytes)", len);
}

int dsp_method_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.')))
			return 0;
	}
	/* "-m x.json" means a file: a method named so could not be named */
	return !(n >= 5 && !strcmp(s + n - 5, ".json"));
}

const char *dsp_verify_mode_name(enum dsp_verify_mode v)
{
	switch (v) {
	case DSP_VERIFY_NONE:
		return "none";
	case DSP_VERIFY_LAST:
		return "last";
	case DSP_VERIFY_ALL:
		return "all";
	case DSP_VERIFY_SAMPLE:
		return "sample";
	}
	return "unknown";
}

int dsp_verify_mode_parse(const char *s, enum dsp_verify_mode *v, double *percent)
{
	double p = DEFAULT_SAMPLE_PERCENT;
	enum dsp_verify_mode m;

	if (!s)
		return DSP_INVALID;
	if (!strcmp(s, "none")) {
		m = DSP_VERIFY_NONE;
	} else if (!strcmp(s, "last")) {
		m = DSP_VERIFY_LAST;
	} else if (!strcmp(s, "all")) {
		m = DSP_VERIFY_ALL;
	} else if (!strcmp(s, "sample")) {
		m = DSP_VERIFY_SAMPLE;
	} else if (!strncmp(s, "sample:", 7)) {
		const char *q = s + 7;
		char *end;
		int dots = 0;

		/* plain decimal only: strtod would also take "inf", "0x1p3", " 5" */
		if (!*q)
			return DSP_INVALID;
		for (const char *c = q; *c; c++) {
			if (*c == '.')
				dots++;
			else if (*c < '0' || *c > '9')
				return DSP_INVALID;
		}
		if (dots > 1 || *q == '.')
			return DSP_INVALID;
		errno = 0;
		p = strtod(q, &end);
		if (errno || *end || !isfinite(p) || p <= 0.0 || p > 100.0)
			return DSP_INVALID;
		m = DSP_VERIFY_SAMPLE;
	} else {
		return DSP_INVALID;
	}
	if (v)
		*v = m;
	if (percent)
		*percent = p;
	return 0;
}

const char *dsp_pass_kind_name(enum dsp_pass_kind k)
{
	switch (k) {
	case DSP_PASS_PATTERN:
		return "pattern";
	case DSP_PASS_RANDOM:
		return "random";
	case DSP_PASS_RANDOM_BYTE:
		return "random-byte";
	case DSP_PASS_COMPLEMENT:
		return "complement";
	}
	return "unknown";
}

const char *dsp_method_json_kind(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "something else";
}

/* A string member: present -> *out (NUL-free, checked earlier), else NULL. */
static int get_string(struct json_object *o, const char *key, const char **out,
		      size_t *outlen, const char *origin, const char *field,
		      char *err, size_t errlen)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return invalid(err, errlen, origin, field, "expected a string, got %s",
			       dsp_method_json_kind(v));
	*out = json_object_get_string(v);
	*outlen = (size_t)json_object_get_string_len(v);
	if (strlen(*out) != *outlen)	/* "\u0000" inside a string */
		return invalid(err, errlen, origin, field,
			       "contains a NUL character, expected text");
	return 0;
}

/* Required (or optional) text field copied into dst[dstsize]. */
static int text_field(struct json_object *o, const char *key, int required,
		      char *dst, size_t dstsize, const char *origin,
		      char *err, size_t errlen)
{
	const char *s;
	size_t n, i;
	int rc, blank = 1;

	rc = get_string(o, key, &s, &n, origin, key, err, errlen);
	if (rc)
		return rc;
	if (!s) {
		if (required)
			return invalid(err, errlen, origin, key,
				       "missing, expected a string of 1 to %zu bytes", dstsize - 1);
		dst[0] = '\0';
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return invalid(err, errlen, origin, key,
				       "contains a control character, expected one line of text");
		if (c != ' ')
			blank = 0;
	}
	if (blank && required)
		return invalid(err, errlen, origin, key,
			       "empty, expected a string of 1 to %zu bytes", dstsize - 1);
	if (n >= dstsize)
		return invalid(err, errlen, origin, key,
			       "longer than %zu bytes, expected at most %zu",
			       dstsize - 1, dstsize - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

static const char *const top_fields[] = {
	"schema", "name", "variant", "description", "source", "verify", "passes",
};
/* dispose-method/2 adds these to top_fields */
static const char *const v2_fields[] = { "technique", "action", "category" };
static const char *const pass_fields[] = { "type", "pattern", "note" };

static const char *const technique_names[] = {
	[DSP_TECH_OVERWRITE] = "overwrite",
	[DSP_TECH_CRYPTO_LUKS] = "crypto-luks",
	[DSP_TECH_SANITIZE] = "sanitize",
	[DSP_TECH_AUTO] = "auto",
};
static const char *const action_names[] = {
	[DSP_ACT_NONE] = "none",
	[DSP_ACT_CRYPTO] = "crypto",
	[DSP_ACT_BLOCK] = "block",
	[DSP_ACT_OVERWRITE] = "overwrite",
	[DSP_ACT_FORMAT_USER] = "format-user-data",
	[DSP_ACT_FORMAT_CRYPTO] = "format-crypto",
	[DSP_ACT_SECDISCARD] = "secdiscard",
	[DSP_ACT_ATA_SECURITY_ERASE] = "ata-security-erase",
};
static const char *const category_names[] = {
	[DSP_CAT_NONE] = "none",
	[DSP_CAT_CLEAR] = "clear",
	[DSP_CAT_PURGE] = "purge",
};

const char *dsp_technique_name(enum dsp_technique t)
{
	return (unsigned)t < DSP_ARRAY_SIZE(technique_names) ? technique_names[t] : "unknown";
}

const char *dsp_method_action_name(enum dsp_method_action a)
{
	return (unsigned)a < DSP_ARRAY_SIZE(action_names) ? action_names[a] : "unknown";
}

const char *dsp_category_name(enum dsp_category c)
{
	return (unsigned)c < DSP_ARRAY_SIZE(category_names) ? category_names[c] : "unknown";
}

/* Index of s in names[first..n), or -1. */
static int lookup(const char *const *names, size_t n, size_t first, const char *s)
{
	for (size_t i = first; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

/*
 * An enumerated string member of a /2 document: *idx its index in
 * names[first..n), or -1 when absent. what: EXP_* for messages.
 */
static int enum_field(struct json_object *o, const char *key, const char *const *names,
		      size_t n, size_t first, int *idx, const char *what,
		      const char *origin, char *err, size_t errlen)
{
	const char *s;
	size_t len;
	char shown[64];
	int rc = get_string(o, key, &s, &len, origin, key, err, errlen);

	*idx = -1;
	if (rc || !s)
		return rc;
	*idx = lookup(names, n, first, s);
	if (*idx < 0) {
		dsp_method_clean(shown, sizeof(shown), s, len);
		return invalid(err, errlen, origin, key, "unknown %s \"%s\", %s", key, shown, what);
	}
	return 0;
}

static int known(const char *const *set, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(set[i], key))
			return 1;
	return 0;
}

static int parse_pass(struct json_object *po, unsigned i, struct dsp_method *m,
		      const char *origin, char *err, size_t errlen)
{
	struct dsp_pass *p = &m->passes[i];
	char field[96], key[64];
	const char *type, *pat, *note, *why = NULL;
	size_t tlen, plen, nlen;
	int rc;

	snprintf(field, sizeof(field), "passes[%u]", i);
	if (!json_object_is_type(po, json_type_object))
		return invalid(err, errlen, origin, field,
			       "expected a pass object, got %s", dsp_method_json_kind(po));
	json_object_object_foreach(po, k, v) {
		(void)v;
		if (!known(pass_fields, DSP_ARRAY_SIZE(pass_fields), k)) {
			dsp_method_clean(key, sizeof(key), k, strlen(k));
			snprintf(field, sizeof(field), "passes[%u].%s", i, key);
			return invalid(err, errlen, origin, field,
				       "unknown field, " EXP_PASS);
		}
	}

	snprintf(field, sizeof(field), "passes[%u].note", i);
	rc = get_string(po, "note", &note, &nlen, origin, field, err, errlen);
	if (rc)
		return rc;

	snprintf(field, sizeof(field), "passes[%u].type", i);
	rc = get_string(po, "type", &type, &tlen, origin, field, err, errlen);
	if (rc)
		return rc;
	if (!type)
		return invalid(err, errlen, origin, field, "missing, " EXP_TYPES);
	if (!strcmp(type, "pattern")) {
		p->kind = DSP_PASS_PATTERN;
	} else if (!strcmp(type, "random")) {
		p->kind = DSP_PASS_RANDOM;
	} else if (!strcmp(type, "random-byte")) {
		p->kind = DSP_PASS_RANDOM_BYTE;
	} else if (!strcmp(type, "complement")) {
		p->kind = DSP_PASS_COMPLEMENT;
	} else {
		dsp_method_clean(key, sizeof(key), type, tlen);
		return invalid(err, errlen, origin, field,
			       "unknown pass type \"%s\", " EXP_TYPES, key);
	}
	if (p->kind == DSP_PASS_COMPLEMENT) {
		if (i == 0)
			return invalid(err, errlen, origin, field,
				       "complement cannot be the first pass, " EXP_BEFORE_COMPLEMENT);
		if (m->passes[i - 1].kind == DSP_PASS_RANDOM)
			return invalid(err, errlen, origin, field,
				       "complement cannot follow a random pass, " EXP_BEFORE_COMPLEMENT);
	}

	snprintf(field, sizeof(field), "passes[%u].pattern", i);
	rc = get_string(po, "pattern", &pat, &plen, origin, field, err, errlen);
	if (rc)
		return rc;
	if (p->kind != DSP_PASS_PATTERN) {
		if (pat)
			return invalid(err, errlen, origin, field,
				       "not allowed for a %s pass, expected only in a pattern pass",
				       type);
	} else {
		if (!pat)
			return invalid(err, errlen, origin, field, "missing, " EXP_HEX);
		if (parse_hex(pat, p->pattern, &p->pattern_len, &why))
			return invalid(err, errlen, origin, field, "%s, " EXP_HEX, why);
	}
	if (note) {
		p->note = strdup(note);
		if (!p->note)
			return -ENOMEM;
	}
	return 0;
}

/* Labels say what each pass writes; complements of known bytes are resolved. */
static void make_labels(struct dsp_method *m)
{
	uint8_t prev[DSP_PATTERN_MAX];
	size_t prevlen = 0;	/* 0: previous bytes not known before the run */

	for (unsigned i = 0; i < m->npasses; i++) {
		struct dsp_pass *p = &m->passes[i];
		char hex[34];	/* fits "complement (...)" in the label */

		switch (p->kind) {
		case DSP_PASS_PATTERN:
			hex_label(p->pattern, p->pattern_len, p->label, sizeof(p->label));
			memcpy(prev, p->pattern, p->pattern_len);
			prevlen = p->pattern_len;
			break;
		case DSP_PASS_RANDOM:
		case DSP_PASS_RANDOM_BYTE:
			snprintf(p->label, sizeof(p->label), "%s", dsp_pass_kind_name(p->kind));
			prevlen = 0;
			break;
		case DSP_PASS_COMPLEMENT:
			if (!prevlen) {
				snprintf(p->label, sizeof(p->label), "complement");
				break;
			}
			for (size_t k = 0; k < prevlen; k++)
				prev[k] = (uint8_t)~prev[k];
			hex_label(prev, prevlen, hex, sizeof(hex));
			snprintf(p->label, sizeof(p->label), "complement (%s)", hex);
			break;
		}
	}
}

/*
 * technique, action and category of a /2 document (a /1 document is an
 * overwrite; its category is set from its verification by the caller).
 */
static int parse_technique(struct json_object *root, int v2, struct dsp_method *m,
			   const char *origin, char *err, size_t errlen)
{
	int tech, act, cat, rc;

	m->technique = DSP_TECH_OVERWRITE;
	m->action = DSP_ACT_NONE;
	m->category = DSP_CAT_CLEAR;
	if (!v2)
		return 0;
	rc = enum_field(root, "technique", technique_names, DSP_ARRAY_SIZE(technique_names),
			0, &tech, EXP_TECHNIQUE, origin, err, errlen);
	if (!rc && tech < 0)
		rc = invalid(err, errlen, origin, "technique", "missing, " EXP_TECHNIQUE);
	if (!rc)
		rc = enum_field(root, "action", action_names, DSP_ARRAY_SIZE(action_names),
				DSP_ACT_CRYPTO, &act, EXP_ACTION, origin, err, errlen);
	if (!rc)
		rc = enum_field(root, "category", category_names,
				DSP_ARRAY_SIZE(category_names), 0, &cat, EXP_CATEGORY,
				origin, err, errlen);
	if (!rc && cat < 0)
		rc = invalid(err, errlen, origin, "category", "missing, " EXP_CATEGORY);
	if (rc)
		return rc;
	m->technique = (enum dsp_technique)tech;
	m->category = (enum dsp_category)cat;
	if (m->technique == DSP_TECH_SANITIZE && act < 0)
		return invalid(err, errlen, origin, "action",
			       "missing for technique sanitize, " EXP_ACTION);
	if (m->technique != DSP_TECH_SANITIZE && act >= 0)
		return invalid(err, errlen, origin, "action",
			       "not allowed with technique %s, expected only with technique sanitize",
			       dsp_technique_name(m->technique));
	if (act >= 0)
		m->action = (enum dsp_method_action)act;
	/* a request no run could meet is refused here, not after the target was written */
	if (m->technique == DSP_TECH_OVERWRITE && m->category == DSP_CAT_PURGE)
		return invalid(err, errlen, origin, "category",
			       "purge cannot be reached by overwriting from the host, "
			       "expected clear or none");
	return 0;
}

static int parse_tree(struct json_object *root, const char *origin,
		      struct dsp_method *m, char *err, size_t errlen)
{
	struct json_object *passes, *sv;
	const char *schema, *verify;
	size_t slen, vlen, n;
	char key[64];
	int rc, v2;

	if (!json_object_is_type(root, json_type_object))
		return invalid(err, errlen, origin, "document",
			       "expected a JSON object, got %s", dsp_method_json_kind(root));
	/* which field set applies: the schema is checked properly below */
	v2 = json_object_object_get_ex(root, "schema", &sv) &&
	     json_object_is_type(sv, json_type_string) &&
	     !strcmp(json_object_get_string(sv), DSP_METHOD_SCHEMA2);
	json_object_object_foreach(root, k, v) {
		(void)v;
		if (known(top_fields, DSP_ARRAY_SIZE(top_fields), k))
			continue;
		int is_v2 = known(v2_fields, DSP_ARRAY_SIZE(v2_fields), k);

		if (v2 && is_v2)
			continue;
		dsp_method_clean(key, sizeof(key), k, strlen(k));
		if (is_v2)
			return invalid(err, errlen, origin, key,
				       "not part of " DSP_METHOD_SCHEMA ", expected \"schema\": \""
				       DSP_METHOD_SCHEMA2 "\" for technique, action and category");
		return invalid(err, errlen, origin, key[0] ? key : "\"\"",
			       "unknown field, %s", v2 ? EXP_TOP2 : EXP_TOP);
	}

	rc = get_string(root, "schema", &schema, &slen, origin, "schema", err, errlen);
	if (rc)
		return rc;
	if (!schema)
		return invalid(err, errlen, origin, "schema", "missing, " EXP_SCHEMA);
	if (strcmp(schema, DSP_METHOD_SCHEMA) && !v2) {
		dsp_method_clean(key, sizeof(key), schema, slen);
		return invalid(err, errlen, origin, "schema",
			       "unknown schema \"%s\", " EXP_SCHEMA, key);
	}
	m->schema = v2 ? 2 : 1;

	rc = text_field(root, "name", 1, m->name, sizeof(m->name), origin, err, errlen);
	if (rc)
		return rc;
	if (!dsp_method_name_valid(m->name)) {
		dsp_method_clean(key, sizeof(key), m->name, strlen(m->name));
		return invalid(err, errlen, origin, "name",
			       "\"%s\" is not a valid name, " EXP_NAME, key);
	}
	rc = text_field(root, "variant", 1, m->variant, sizeof(m->variant),
			origin, err, errlen);
	if (rc)
		return rc;
	rc = text_field(root, "description", 0, m->description,
			sizeof(m->description), origin, err, errlen);
	if (rc)
		return rc;
	rc = text_field(root, "source", 1, m->source, sizeof(m->source),
			origin, err, errlen);
	if (rc)
		return rc;

	rc = parse_technique(root, v2, m, origin, err, errlen);
	if (rc)
		return rc;
	if (m->technique != DSP_TECH_OVERWRITE) {
		/* no passes of ours: the technique checks its own result */
		m->verify = DSP_VERIFY_NONE;
		m->sample_percent = DEFAULT_SAMPLE_PERCENT;
		if (json_object_object_get_ex(root, "verify", NULL) ||
		    json_object_object_get_ex(root, "passes", NULL))
			return invalid(err, errlen, origin,
				       json_object_object_get_ex(root, "verify", NULL) ?
				       "verify" : "passes",
				       "not allowed with technique %s, expected only with "
				       "technique overwrite", dsp_technique_name(m->technique));
		return 0;
	}

	rc = get_string(root, "verify", &verify, &vlen, origin, "verify", err, errlen);
	if (rc)
		return rc;
	m->verify = DSP_VERIFY_LAST;	/* not stated: read back the final state */
	m->sample_percent = DEFAULT_SAMPLE_PERCENT;
	if (verify && dsp_verify_mode_parse(verify, &m->verify, &m->sample_percent)) {
		dsp_method_clean(key, sizeof(key), verify, vlen);
		if (!strncmp(verify, "sample:", 7))
			return invalid(err, errlen, origin, "verify",
				       "\"%s\" has no valid percent, "
				       "expected sample:P with P a plain decimal in (0,100]",
				       key);
		return invalid(err, errlen, origin, "verify",
			       "unknown mode \"%s\", " EXP_VERIFY, key);
	}
	/* /1 asks for what its verification can reach; /2 says it */
	if (!v2)
		m->category = m->verify == DSP_VERIFY_NONE ? DSP_CAT_NONE : DSP_CAT_CLEAR;
	else if (m->category == DSP_CAT_CLEAR && m->verify == DSP_VERIFY_NONE)
		return invalid(err, errlen, origin, "category",
			       "clear needs a read-back, but verify is none; "
			       "expected none, or a verify mode other than none");

	if (!json_object_object_get_ex(root, "passes", &passes))
		return invalid(err, errlen, origin, "passes",
			       "missing, expected an array of 1 to %d pass objects",
			       DSP_METHOD_MAX_PASSES);
	if (!json_object_is_type(passes, json_type_array))
		return invalid(err, errlen, origin, "passes",
			       "expected an array of 1 to %d pass objects, got %s",
			       DSP_METHOD_MAX_PASSES, dsp_method_json_kind(passes));
	n = json_object_array_length(passes);
	if (n == 0)
		return invalid(err, errlen, origin, "passes",
			       "empty, expected 1 to %d pass objects", DSP_METHOD_MAX_PASSES);
	if (n > DSP_METHOD_MAX_PASSES)
		return invalid(err, errlen, origin, "passes",
			       "%zu passes, expected at most %d", n, DSP_METHOD_MAX_PASSES);
	m->passes = calloc(n, sizeof(*m->passes));
	if (!m->passes)
		return -ENOMEM;
	m->npasses = (unsigned)n;
	for (unsigned i = 0; i < n; i++) {
		rc = parse_pass(json_object_array_get_idx(passes, i), i, m, origin,
				err, errlen);
		if (rc)
			return rc;
	}
	make_labels(m);
	return 0;
}

int dsp_method_json_parse(const char *text, size_t len, size_t max, const char *origin,
			  struct json_object **out, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *root;
	char field[256];
	unsigned line, col;
	size_t end;
	long bad;

	if (out)
		*out = NULL;
	if (!origin)
		origin = "(json)";
	if (!text || !out)
		return -EINVAL;
	if (len > max)
		return invalid(err, errlen, origin, "file", "larger than %zu bytes", max);
	const char *nul = memchr(text, '\0', len);

	if (nul)
		return invalid(err, errlen, origin, "file",
			       "contains a NUL byte at offset %zu", (size_t)(nul - text));
	bad = utf8_bad_offset((const unsigned char *)text, len);
	if (bad >= 0)
		return invalid(err, errlen, origin, "file",
			       "not valid UTF-8 at offset %ld", bad);

	end = 0;
	while (end < len && is_ws(text[end]))
		end++;
	if (end == len)
		return invalid(err, errlen, origin, "json", "empty document");

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	/* trailing bytes are checked below, for a clearer message */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		end = json_tokener_get_parse_end(tok);
		json_tokener_free(tok);
		if (je == json_tokener_continue || je == json_tokener_success)
			return invalid(err, errlen, origin, "json",
				       "unexpected end of document");
		line_col(text, end < len ? end : len, &line, &col);
		return invalid(err, errlen, origin, "json", "%s at line %u, column %u",
			       json_tokener_error_desc(je), line, col);
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (size_t i = end; i < len; i++) {
		if (!is_ws(text[i])) {
			json_object_put(root);
			line_col(text, i, &line, &col);
			return invalid(err, errlen, origin, "json",
				       "trailing garbage at line %u, column %u", line, col);
		}
	}
	if (scan_duplicates(text, len, field, sizeof(field))) {
		json_object_put(root);
		return invalid(err, errlen, origin, field[0] ? field : "\"\"",
			       "duplicate key, expected each key once per object");
	}
	*out = root;
	return 0;
}

int dsp_method_parse(const char *text, size_t len, const char *origin,
		     struct dsp_method **out, char *err, size_t errlen)
{
	struct json_object *root;
	struct dsp_method *m;
	int rc;

	if (out)
		*out = NULL;
	if (!origin)
		origin = "(method)";
	if (!text || !out)
		return -EINVAL;
	rc = dsp_method_json_parse(text, len, DSP_METHOD_FILE_MAX, origin, &root, err, errlen);
	if (rc)
		return rc;

	m = calloc(1, sizeof(*m));
	if (!m) {
		json_object_put(root);
		return -ENOMEM;
	}
	rc = parse_tree(root, origin, m, err, errlen);
	json_object_put(root);
	if (!rc)
		rc = dsp_sha256_hex(text, len, m->sha256);
	if (rc) {
		if (rc < 0 && rc != DSP_INVALID)
			set_err(err, errlen, "%s: %s", origin, strerror(-rc));
		dsp_method_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int dsp_method_load_file(const char *path, struct dsp_method **out,
			 char *err, size_t errlen)
{
	char *buf = NULL, *abs;
	size_t len = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!path || !out)
		return -EINVAL;
	/* a FIFO planted as a method file does not hang us: not a regular file */
	rc = dsp_file_read(path, DSP_METHOD_FILE_MAX, 0, &buf, &len);
	if (rc == -EINVAL)
		return invalid(err, errlen, path, "file", "not a regular file");
	if (rc == -EFBIG)
		return invalid(err, errlen, path, "file", "larger than %d bytes",
			       DSP_METHOD_FILE_MAX);
	if (rc < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	rc = dsp_method_parse(buf, len, path, out, err, errlen);
	free(buf);
	if (rc)
		return rc;
	abs = realpath(path, NULL);
	snprintf((*out)->path, sizeof((*out)->path), "%s", abs ? abs : path);
	free(abs);
	return 0;
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* 1 when a and b are the same file (a symlink or hard link to it counts). */
static int same_file(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

/*
 * The data directory from the running binary's own location, so the tree
 * `make install` writes works under any PREFIX (and DESTDIR, and moved
 * whole): BINDIR/../share/dispose first, then the source tree's profiles/
 * one or two directories above (build/dispose, build/san/dispose), then the
 * DSP_DATADIR compiled in from PREFIX, a last resort for a binary copied
 * away from its tree. The first that holds a methods/ directory.
 */
const char *dsp_method_data_dir(void)
{
	static char found[PATH_MAX];
	char exe[PATH_MAX], cand[4][PATH_MAX + 32], sub[PATH_MAX + 48];
	size_t n = 0;
	ssize_t r;

	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (r > 0) {
		exe[r] = '\0';
		char *slash = strrchr(exe, '/');

		if (slash) {
			*slash = '\0';
			snprintf(cand[n++], sizeof(cand[0]), "%s/../share/dispose", exe);
			snprintf(cand[n++], sizeof(cand[0]), "%s/../profiles", exe);
			snprintf(cand[n++], sizeof(cand[0]), "%s/../../profiles", exe);
		}
	}
	snprintf(cand[n++], sizeof(cand[0]), "%s", DSP_DATADIR);
	for (size_t i = 0; i < n; i++) {
		int l = snprintf(sub, sizeof(sub), "%s/methods", cand[i]);

		if (l < 0 || (size_t)l >= sizeof(sub) || !is_dir(sub))
			continue;
		char *abs = realpath(cand[i], NULL);

		int w = snprintf(found, sizeof(found), "%s", abs ? abs : cand[i]);

		free(abs);
		if (w < 0 || (size_t)w >= sizeof(found))
			continue;	/* too long to name */
		return found;
	}
	return NULL;
}

const char *dsp_method_data_subdir(const char *name, char *out, size_t len)
{
	const char *root = dsp_method_data_dir();
	char p[PATH_MAX + 64];
	char *abs;
	int w;

	if (!root || !name || !*name || strchr(name, '/'))
		return NULL;
	w = snprintf(p, sizeof(p), "%s/%s", root, name);
	if (w < 0 || (size_t)w >= sizeof(p) || !is_dir(p))
		return NULL;
	abs = realpath(p, NULL);
	w = snprintf(out, len, "%s", abs ? abs : p);
	free(abs);
	return w < 0 || (size_t)w >= len ? NULL : out;
}

/* The shipped methods: DATA/methods (dsp_method_data_dir). */
const char *dsp_method_shipped_dir(void)
{
	static char found[PATH_MAX];

	return dsp_method_data_subdir("methods", found, sizeof(found));
}

const char *dsp_method_user_dir(void)
{
	const char *env = getenv("DISPOSE_METHODS_DIR");
	const char *shipped;

	if (!env || !*env)
		return NULL;
	/* pointed at the shipped directory (tests, benchmarks): nothing to add */
	shipped = dsp_method_shipped_dir();
	if (shipped && same_file(env, shipped))
		return NULL;
	return env;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Load dir/<name>.json as method name: its "name" must be name. */
static int load_named(const char *path, const char *name, struct dsp_method **out,
		      char *err, size_t errlen)
{
	int rc = dsp_method_load_file(path, out, err, errlen);

	if (rc)
		return rc;
	if (strcmp((*out)->name, name)) {
		rc = invalid(err, errlen, path, "name",
			     "\"%s\" does not match the file name, expected \"%s\"",
			     (*out)->name, name);
		dsp_method_free(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * A user method directory or file that another user could change (as ssh's
 * StrictModes): not owned by us or root, or group/world writable. 0, or
 * DSP_INVALID with why in err.
 */
static int untrusted(const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;	/* opening it says what is wrong */
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return invalid(err, errlen, path, what, "owned by another user (uid %u), so "
			       "not used; it must be the caller's or root's",
			       (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return invalid(err, errlen, path, what, "writable by other users (mode %04o), so "
			       "not used; make it writable by its owner only",
			       (unsigned)(st.st_mode & 07777));
	return 0;
}

/* A user method file, after its directory: either may be untrusted. */
static int load_user(const char *dir, const char *path, const char *name,
		     struct dsp_method **out, char *err, size_t errlen)
{
	int rc = untrusted(dir, "method directory", err, errlen);

	if (!rc)
		rc = untrusted(path, "method file", err, errlen);
	return rc ? rc : load_named(path, name, out, err, errlen);
}

int dsp_method_shadows_shipped(const struct dsp_method *m, char *shipped, size_t len)
{
	const char *sdir = dsp_method_shipped_dir();

	if (!m || !m->path[0] || !sdir ||
	    (size_t)snprintf(shipped, len, "%s/%s.json", sdir, m->name) >= len)
		return 0;
	return access(shipped, F_OK) == 0 && !same_file(shipped, m->path);
}

/* "<user file>: ... <shipped file> ...": one line naming both files. */
#define COLLISION_FMT \
	"%s: %s: same name as the shipped method %s; rename it, or give its path to use it"

int dsp_method_find(const char *name_or_path, struct dsp_method **out,
		    char *err, size_t errlen)
{
	const char *sdir, *udir;
	char spath[PATH_MAX + 80], upath[PATH_MAX + 80];
	int have_s = 0, have_u = 0;

	if (out)
		*out = NULL;
	if (!name_or_path || !out)
		return -EINVAL;
	if (strchr(name_or_path, '/') || ends_with(name_or_path, ".json"))
		return dsp_method_load_file(name_or_path, out, err, errlen);
	if (!dsp_method_name_valid(name_or_path)) {
		char shown[80];

		dsp_method_clean(shown, sizeof(shown), name_or_path, strlen(name_or_path));
		return invalid(err, errlen, shown[0] ? shown : "\"\"", "method",
			       "not a valid method name, " EXP_NAME);
	}
	sdir = dsp_method_shipped_dir();
	udir = dsp_method_user_dir();
	if (sdir) {
		snprintf(spath, sizeof(spath), "%s/%s.json", sdir, name_or_path);
		have_s = access(spath, F_OK) == 0;
	}
	if (udir && is_dir(udir)) {
		snprintf(upath, sizeof(upath), "%s/%s.json", udir, name_or_path);
		have_u = access(upath, F_OK) == 0 && !(have_s && same_file(spath, upath));
	}
	/* a name always means the shipped method: a user file never shadows it */
	if (have_s) {
		if (have_u)
			dsp_log(DSP_LOG_WARN, COLLISION_FMT, upath, "not used", spath);
		return load_named(spath, name_or_path, out, err, errlen);
	}
	if (have_u)
		return load_user(udir, upath, name_or_path, out, err, errlen);
	set_err(err, errlen, "%s: unknown method", name_or_path);
	return -ENOENT;
}

struct entries {
	struct dsp_method_entry *v;
	size_t n, cap;
};

static struct dsp_method_entry *push(struct entries *e)
{
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 32;
		struct dsp_method_entry *nv = realloc(e->v, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		e->v = nv;
		e->cap = nc;
	}
	memset(&e->v[e->n], 0, sizeof(e->v[0]));
	return &e->v[e->n++];
}

static int scan_dir(struct entries *e, const char *dir, enum dsp_method_origin origin)
{
	struct dsp_method_entry *x;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		int r = -errno;

		if (!(x = push(e)))
			return -ENOMEM;
		x->origin = origin;
		x->rc = r;
		snprintf(x->path, sizeof(x->path), "%s", dir);
		set_err(x->err, sizeof(x->err), "%s: method directory: %s", dir, strerror(-r));
		return 0;
	}
	if (origin == DSP_METHOD_USER) {
		char why[sizeof(x->err)] = "";

		if (untrusted(dir, "method directory", why, sizeof(why))) {
			closedir(d);
			if (!(x = push(e)))
				return -ENOMEM;
			x->origin = origin;
			x->rc = DSP_INVALID;
			snprintf(x->path, sizeof(x->path), "%s", dir);
			memcpy(x->err, why, sizeof(x->err));
			return 0;
		}
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char base[NAME_MAX + 1];

		if (de->d_name[0] == '.' || l <= 5 || !ends_with(de->d_name, ".json"))
			continue;
		if (!(x = push(e))) {
			closedir(d);
			return -ENOMEM;
		}
		x->origin = origin;
		snprintf(x->path, sizeof(x->path), "%s/%s", dir, de->d_name);
		memcpy(base, de->d_name, l - 5);
		base[l - 5] = '\0';
		if (!dsp_method_name_valid(base)) {
			char shown[80];

			dsp_method_clean(shown, sizeof(shown), base, strlen(base));
			x->rc = invalid(x->err, sizeof(x->err), x->path, "file name",
					"\"%s\" is not a method name, " EXP_NAME, shown);
			continue;
		}
		memcpy(x->name, base, strlen(base) + 1);	/* a valid name fits */
		x->rc = origin == DSP_METHOD_USER ?
			untrusted(x->path, "method file", x->err, sizeof(x->err)) : 0;
		if (!x->rc)
			x->rc = load_named(x->path, base, &x->method, x->err, sizeof(x->err));
		if (x->rc == -ENOMEM) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	return 0;
}

static int cmp_entries(const void *a, const void *b)
{
	const struct dsp_method_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->origin != y->origin)
		return x->origin == DSP_METHOD_SHIPPED ? -1 : 1;
	return strcmp(x->path, y->path);
}

int dsp_method_list(struct dsp_method_entry **out, size_t *n)
{
	const char *sdir = dsp_method_shipped_dir(), *udir = dsp_method_user_dir();
	struct entries e = { 0 };
	size_t nship;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!sdir && !(udir && is_dir(udir)))
		return -ENOENT;
	if (sdir)
		rc = scan_dir(&e, sdir, DSP_METHOD_SHIPPED);
	nship = e.n;
	if (!rc && udir)
		rc = scan_dir(&e, udir, DSP_METHOD_USER);
	if (rc) {
		dsp_method_list_free(e.v, e.n);
		return rc;
	}
	/* a user file with a shipped name is refused (by path it still loads) */
	size_t w = nship;

	for (size_t u = nship; u < e.n; u++) {
		struct dsp_method_entry *x = &e.v[u];
		int drop = 0;

		for (size_t i = 0; x->name[0] && i < nship; i++) {
			if (strcmp(e.v[i].name, x->name))
				continue;
			dsp_method_free(x->method);
			x->method = NULL;
			/* a link to the shipped file itself is listed once */
			drop = same_file(e.v[i].path, x->path);
			x->rc = DSP_REFUSED;
			set_err(x->err, sizeof(x->err), COLLISION_FMT, x->path, "refused", e.v[i].path);
			break;
		}
		if (drop)
			continue;
		if (w != u)
			e.v[w] = *x;
		w++;
	}
	e.n = w;
	if (e.n)
		qsort(e.v, e.n, sizeof(e.v[0]), cmp_entries);
	*out = e.v;
	*n = e.n;
	return 0;
}

void dsp_method_list_free(struct dsp_method_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		dsp_method_free(v[i].method);
	free(v);
}

void dsp_method_free(struct dsp_method *m)
{
	if (!m)
		return;
	for (unsigned i = 0; m->passes && i < m->npasses; i++)
		free(m->passes[i].note);
	free(m->passes);
	free(m);
}

struct json_object *dsp_method_to_json(const struct dsp_method *m)
{
	struct json_object *o, *a;

	if (!m)
		return NULL;
	o = json_object_new_object();
	a = json_object_new_array();
	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "variant", json_object_new_string(m->variant));
	json_object_object_add(o, "source", json_object_new_string(m->source));
	json_object_object_add(o, "sha256", json_object_new_string(m->sha256));
	json_object_object_add(o, "technique",
			       json_object_new_string(dsp_technique_name(m->technique)));
	if (m->technique == DSP_TECH_SANITIZE)
		json_object_object_add(o, "action",
				       json_object_new_string(dsp_method_action_name(m->action)));
	json_object_object_add(o, "category",
			       json_object_new_string(dsp_category_name(m->category)));
	json_object_object_add(o, "verify",
			       json_object_new_string(dsp_verify_mode_name(m->verify)));
	if (m->verify == DSP_VERIFY_SAMPLE)
		json_object_object_add(o, "sample_percent",
				       dsp_json_new_decimal(m->sample_percent));
	for (unsigned i = 0; i < m->npasses; i++)
		json_object_array_add(a, json_object_new_string(m->passes[i].label));
	json_object_object_add(o, "passes", a);
	return o;
}

/* P of "sample:P": the shortest plain decimal that reads back as p (never "1e-05"). */
static void percent_text(double p, char *buf, size_t n)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, p);
		if (strtod(buf, NULL) == p)
			break;
	}
	if (!strchr(buf, 'e'))
		return;
	for (int prec = 1; prec <= 340; prec++) {
		snprintf(buf, n, "%.*f", prec, p);
		if (strtod(buf, NULL) == p)
			break;
	}
	char *end = buf + strlen(buf);

	while (end > buf && end[-1] == '0')
		*--end = '\0';
	if (end > buf && end[-1] == '.')
		end[-1] = '\0';
}

struct json_object *dsp_method_to_document(const struct dsp_method *m)
{
	struct json_object *o, *a;
	char verify[400] = "sample:";

	if (!m)
		return NULL;
	o = json_object_new_object();
	a = json_object_new_array();
	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	json_object_object_add(o, "schema", json_object_new_string(m->schema == 2 ?
				DSP_METHOD_SCHEMA2 : DSP_METHOD_SCHEMA));
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "variant", json_object_new_string(m->variant));
	if (m->description[0])
		json_object_object_add(o, "description",
				       json_object_new_string(m->description));
	json_object_object_add(o, "source", json_object_new_string(m->source));
	if (m->schema == 2) {
		json_object_object_add(o, "technique",
				       json_object_new_string(dsp_technique_name(m->technique)));
		if (m->technique == DSP_TECH_SANITIZE)
			json_object_object_add(o, "action", json_object_new_string(
					       dsp_method_action_name(m->action)));
		json_object_object_add(o, "category",
				       json_object_new_string(dsp_category_name(m->category)));
	}
	if (m->technique != DSP_TECH_OVERWRITE) {
		json_object_put(a);
		return o;	/* no verify, no passes */
	}
	if (m->verify == DSP_VERIFY_SAMPLE)
		percent_text(m->sample_percent, verify + 7, sizeof(verify) - 7);
	else
		snprintf(verify, sizeof(verify), "%s", dsp_verify_mode_name(m->verify));
	json_object_object_add(o, "verify", json_object_new_string(verify));
	for (unsigned i = 0; i < m->npasses; i++) {
		const struct dsp_pass *p = &m->passes[i];
		struct json_object *po = json_object_new_object();

		if (!po)
			goto nomem;
		json_object_array_add(a, po);
		json_object_object_add(po, "type",
				       json_object_new_string(dsp_pass_kind_name(p->kind)));
		if (p->kind == DSP_PASS_PATTERN) {
			char hex[3 * DSP_PATTERN_MAX + 1] = "";	/* "92 49 24", as the shipped files */

			for (size_t k = 0, h = 0; k < p->pattern_len; k++)
				h += (size_t)snprintf(hex + h, sizeof(hex) - h, "%s%02X",
						      k ? " " : "", p->pattern[k]);
			json_object_object_add(po, "pattern", json_object_new_string(hex));
		}
		if (p->note)
			json_object_object_add(po, "note", json_object_new_string(p->note));
	}
	json_object_object_add(o, "passes", a);
	return o;
nomem:
	json_object_put(o);
	json_object_put(a);
	return NULL;
}
