/* SPDX-License-Identifier: MIT */
/* json.c - reversible UTF-8-safe JSON strings for byte names, strict member getters */
#include "dispose/json.h"
#include "dispose/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), 0 when there is none. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t k;
	unsigned lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	/* the second byte's range rules out overlongs, surrogates and > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return k;
}

bool dsp_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0, k; i < len; i += k)
		if (!(k = utf8_seq(p + i, len - i)))
			return false;
	return true;
}

char *dsp_json_escape_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	bool valid = dsp_utf8_valid(s, len);
	char *t = malloc(len * 4 + 1), *o = t;

	if (!t)
		return NULL;
	if (valid) {
		memcpy(t, s, len);
		t[len] = '\0';
		return t;
	}
	for (size_t i = 0, k; i < len; i += k) {
		k = utf8_seq(p + i, len - i);
		if (!k) {
			o += sprintf(o, "\\x%02x", p[i]);
			k = 1;
		} else if (p[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else {
			memcpy(o, p + i, k);
			o += k;
		}
	}
	*o = '\0';
	return t;
}

static char *hex_of(const char *s, size_t len)
{
	static const char dig[] = "0123456789abcdef";
	char *h = malloc(len * 2 + 1);

	if (!h)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		h[2 * i] = dig[(unsigned char)s[i] >> 4];
		h[2 * i + 1] = dig[(unsigned char)s[i] & 15];
	}
	h[len * 2] = '\0';
	return h;
}

struct json_object *dsp_json_string(const char *s, int *escaped)
{
	struct json_object *j;
	size_t n;
	char *t;

	if (escaped)
		*escaped = 0;
	if (!s)
		return NULL;
	n = strlen(s);
	if (dsp_utf8_valid(s, n))
		return json_object_new_string_len(s, (int)n);
	if (!(t = dsp_json_escape_text(s, n)))
		return NULL;
	if (escaped)
		*escaped = 1;
	j = json_object_new_string(t);
	free(t);
	return j;
}

/* {"text","hex"} for bytes that are not UTF-8. */
static struct json_object *text_hex(const char *s, size_t n)
{
	struct json_object *o = json_object_new_object();
	char *t = dsp_json_escape_text(s, n), *h = hex_of(s, n);

	if (!o || !t || !h) {
		json_object_put(o);
		o = NULL;
	} else {
		json_object_object_add(o, "text", json_object_new_string(t));
		json_object_object_add(o, "hex", json_object_new_string(h));
	}
	free(t);
	free(h);
	return o;
}

struct json_object *dsp_json_bytes_value(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (dsp_utf8_valid(s, n))
		return json_object_new_string_len(s, (int)n);
	return text_hex(s, n);
}

/* obj[key] = text of s[0..n) and obj[key_hex] = its hex (s not UTF-8). */
static int add_escaped(struct json_object *obj, const char *key, const char *s, size_t n)
{
	size_t kl = strlen(key);
	char *t = dsp_json_escape_text(s, n), *h = hex_of(s, n), *hk = malloc(kl + 5);
	int r = -ENOMEM;

	if (t && h && hk) {
		memcpy(hk, key, kl);
		memcpy(hk + kl, "_hex", 5);
		json_object_object_add(obj, key, json_object_new_string(t));
		json_object_object_add(obj, hk, json_object_new_string(h));
		r = 0;
	}
	free(t);
	free(h);
	free(hk);
	return r;
}

int dsp_json_add_bytes(struct json_object *obj, const char *key, const char *s)
{
	size_t n;

	if (!s)
		return json_object_object_add(obj, key, NULL) ? -ENOMEM : 0;
	n = strlen(s);
	if (dsp_utf8_valid(s, n))
		return json_object_object_add(obj, key, json_object_new_string_len(s, (int)n)) ?
		       -ENOMEM : 0;
	return add_escaped(obj, key, s, n);
}

static int from_hex(struct json_object *h, char **out, size_t *len)
{
	size_t n, bl = 0;
	char *b;
	int r;

	if (!json_object_is_type(h, json_type_string))
		return -EINVAL;
	n = (size_t)json_object_get_string_len(h);
	if (!(b = malloc(n / 2 + 1)))
		return -ENOMEM;
	/* a NUL byte cannot stand in the C string it comes back as */
	if ((r = dsp_unhex(json_object_get_string(h), n, b, n / 2, &bl)) || memchr(b, '\0', bl)) {
		free(b);
		return r ? r : -EINVAL;
	}
	b[bl] = '\0';
	*out = b;
	if (len)
		*len = bl;
	return 0;
}

/* A new string of the bytes hex h spells; NULL and the first error kept in *err. */
static struct json_object *string_of_hex(struct json_object *h, int *err)
{
	struct json_object *s;
	char *b;
	size_t bl;
	int r = from_hex(h, &b, &bl);

	if (r) {
		*err = *err ? *err : r;
		return NULL;
	}
	s = json_object_new_string_len(b, (int)bl);
	free(b);
	if (!s)
		*err = *err ? *err : -ENOMEM;
	return s;
}

static int from_string(struct json_object *v, char **out, size_t *len)
{
	size_t n;

	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	n = (size_t)json_object_get_string_len(v);
	if (memchr(json_object_get_string(v), '\0', n))
		return -EINVAL;
	if (!(*out = strndup(json_object_get_string(v), n)))
		return -ENOMEM;
	if (len)
		*len = n;
	return 0;
}

int dsp_json_bytes(struct json_object *obj, const char *key, char **out, size_t *len)
{
	struct json_object *v, *h;
	char hk[256];

	*out = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !v)
		return -ENOENT;
	if ((size_t)snprintf(hk, sizeof(hk), "%s_hex", key) < sizeof(hk) &&
	    json_object_object_get_ex(obj, hk, &h) && h) {
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		return from_hex(h, out, len);
	}
	return from_string(v, out, len);
}

int dsp_json_value_bytes(struct json_object *v, char **out, size_t *len)
{
	struct json_object *h;

	*out = NULL;
	if (!v)
		return -ENOENT;
	if (json_object_is_type(v, json_type_object)) {
		if (!json_object_object_get_ex(v, "hex", &h) || !h)
			return -EINVAL;
		return from_hex(h, out, len);
	}
	return from_string(v, out, len);
}

static bool str_ok(struct json_object *v)
{
	return dsp_utf8_valid(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

bool dsp_json_is_utf8(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return str_ok(o);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!dsp_json_is_utf8(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			if (!dsp_utf8_valid(k, strlen(k)) || !dsp_json_is_utf8(v))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* Copies of o's keys: the callers add and remove members while they walk them. */
static int copy_keys(struct json_object *o, char ***keys, size_t *n)
{
	size_t i = 0;

	*keys = NULL;
	if (!(*n = (size_t)json_object_object_length(o)))
		return 0;
	if (!(*keys = calloc(*n, sizeof(**keys))))
		return -ENOMEM;
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (!((*keys)[i++] = strdup(k))) {
			free_keys(*keys, *n);
			*keys = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

static int fix_object(struct json_object *o)
{
	size_t n, i;
	int changed = 0, r;
	char **keys;

	if ((r = copy_keys(o, &keys, &n)))
		return r;
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_object_get(o, keys[i]);
		size_t kl = strlen(keys[i]);

		if (!dsp_utf8_valid(keys[i], kl)) {
			/* a key from outside input: keep it readable, value unchanged */
			char *t = dsp_json_escape_text(keys[i], kl);

			if (!t) {
				changed = -ENOMEM;
				goto out;
			}
			json_object_object_add(o, t, json_object_get(v));
			json_object_object_del(o, keys[i]);
			free(keys[i]);
			keys[i] = t;
			changed++;
		}
		if (json_object_is_type(v, json_type_string) && !str_ok(v)) {
			char *s = strndup(json_object_get_string(v),
					  (size_t)json_object_get_string_len(v));

			r = s ? add_escaped(o, keys[i], s, strlen(s)) : -ENOMEM;
			free(s);
			if (r) {
				changed = r;
				goto out;
			}
			changed++;
		} else if ((r = dsp_json_make_utf8(v)) != 0) {
			if (r < 0) {
				changed = r;
				goto out;
			}
			changed += r;
		}
	}
out:
	free_keys(keys, n);
	return changed;
}

int dsp_json_make_utf8(struct json_object *o)
{
	int changed = 0, r;

	switch (json_object_get_type(o)) {
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			struct json_object *v = json_object_array_get_idx(o, i);

			if (json_object_is_type(v, json_type_string) && !str_ok(v)) {
				struct json_object *th = text_hex(json_object_get_string(v),
					(size_t)json_object_get_string_len(v));

				if (!th)
					return -ENOMEM;
				json_object_array_put_idx(o, i, th);
				changed++;
			} else if ((r = dsp_json_make_utf8(v)) != 0) {
				if (r < 0)
					return r;
				changed += r;
			}
		}
		return changed;
	case json_type_object:
		return fix_object(o);
	default:
		/* a bare string has nowhere to put its bytes: the container does it */
		return 0;
	}
}

static bool is_text_hex(struct json_object *v)
{
	return json_object_is_type(v, json_type_object) && json_object_object_length(v) == 2 &&
	       json_object_is_type(json_object_object_get(v, "text"), json_type_string) &&
	       json_object_is_type(json_object_object_get(v, "hex"), json_type_string);
}

static int restore_object(struct json_object *o)
{
	size_t n;
	int done = 0, err = 0, r;
	char **keys;

	if ((r = copy_keys(o, &keys, &n)))
		return r;
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_object_get(o, keys[i]), *h, *s;
		size_t kl = strlen(keys[i]);

		if (kl > 4 && !strcmp(keys[i] + kl - 4, "_hex"))
			continue;
		if (json_object_is_type(v, json_type_string)) {
			char hk[256];

			if ((size_t)snprintf(hk, sizeof(hk), "%s_hex", keys[i]) >= sizeof(hk) ||
			    !json_object_object_get_ex(o, hk, &h) || !h)
				continue;
			if (!(s = string_of_hex(h, &err)))
				continue;
			json_object_object_add(o, keys[i], s);
			json_object_object_del(o, hk);
			done++;
		} else if (is_text_hex(v)) {
			if (!(s = string_of_hex(json_object_object_get(v, "hex"), &err)))
				continue;
			json_object_object_add(o, keys[i], s);
			done++;
		} else if ((r = dsp_json_restore_bytes(v)) < 0) {
			err = err ? err : r;
		} else {
			done += r;
		}
	}
	free_keys(keys, n);
	return err ? err : done;
}

int dsp_json_restore_bytes(struct json_object *o)
{
	int done = 0, err = 0, r;

	switch (json_object_get_type(o)) {
	case json_type_object:
		return restore_object(o);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			struct json_object *v = json_object_array_get_idx(o, i), *s;

			if (is_text_hex(v)) {
				if (!(s = string_of_hex(json_object_object_get(v, "hex"), &err)))
					continue;
				json_object_array_put_idx(o, i, s);
				done++;
			} else if ((r = dsp_json_restore_bytes(v)) < 0) {
				err = err ? err : r;
			} else {
				done += r;
			}
		}
		return err ? err : done;
	default:
		return 0;
	}
}

const char *dsp_json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int dsp_json_i64(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return -ENOENT;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int64(v);
	return 0;
}

int dsp_json_u64(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return -ENOENT;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	/* json-c keeps integers above INT64_MAX as uint64 */
	if (json_object_get_int64(v) < 0)
		return -EINVAL;
	*out = json_object_get_uint64(v);
	return 0;
}

int dsp_json_bool(struct json_object *o, const char *key, bool *out)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return -ENOENT;
	if (!json_object_is_type(v, json_type_boolean))
		return -EINVAL;
	*out = json_object_get_boolean(v);
	return 0;
}

struct json_object *dsp_json_new_decimal(double v)
{
	char buf[40];

	if (!isfinite(v))
		return NULL;
	/* the shortest that round-trips: deterministic for a given value */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	/* plain decimal, never an exponent: "1e-05" would not read as a JSON-ish decimal */
	if (strchr(buf, 'e')) {
		char *end;

		for (int prec = 1; prec <= 40; prec++) {
			snprintf(buf, sizeof(buf), "%.*f", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		/* trailing zeros say nothing */
		end = buf + strlen(buf);
		while (end > buf && end[-1] == '0' && strchr(buf, '.'))
			*--end = '\0';
		if (end > buf && end[-1] == '.')
			end[-1] = '\0';
	}
	return json_object_new_string(buf);
}

int dsp_json_decimal(struct json_object *o, const char *key, double *out)
{
	struct json_object *v;
	const char *s;
	char *end;
	double d;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return -ENOENT;
	if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
		*out = json_object_get_double(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	/* plain decimal only: strtod alone would take "inf", "0x1p3", " 5" */
	if (!*s || strspn(s, "-0123456789.") != strlen(s))
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (*end || errno || !isfinite(d))
		return -EINVAL;
	*out = d;
	return 0;
}
