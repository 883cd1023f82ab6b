/* SPDX-License-Identifier: MIT */
/* policy.c - dispose-policy/1: strict parsing, ${VAR} expansion, dates (dispose-policy(5)) */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "dispose/common.h"
#include "dispose/method.h"
#include "dispose/run.h"
#include "dispose/util.h"

#define KEYPATH 256		/* "erase[12].devices[3]" and the like, cut when longer */
#define VAR_NAME_MAX 64
/* bounds that keep the linear look-ups of a hostile 1 MiB file fast */
#define MAX_VARS 1000
#define MAX_RULES 1000		/* per section */
#define MAX_ELEMS 10000		/* per selector array */

#define EXP_VAR_NAME "expected a letter or '_', then letters, digits or '_' (at most 64)"
#define EXP_NAME "expected 1 to 63 of a-z, 0-9, '-', '_', '.', starting with a letter or digit"
#define EXP_DEVICE "expected a /dev path, serial:SERIAL, wwn:WWN or all-except-system"
#define EXP_DEST "expected one of internal-reuse, external-reuse, recycling, manufacturer, " \
	"other:TEXT"
#define EXP_UNTIL "expected a date YYYY-MM-DD or a duration Ny, Nm, Nw or Nd (such as 7y)"

struct var {
	char *name;
	char *value;		/* NULL: used but never given (an error when used) */
	bool from_set;		/* --set (wins over the policy's "vars") */
	bool used;
};

struct ctx {
	const char *origin;
	char **why;
	struct var *v;
	size_t nv, cap;
	char today[11];
};

static void shown(char *dst, size_t n, const char *src)
{
	dsp_method_clean(dst, n, src, strlen(src));
}

/* "<origin>: <path>: <what>" into *why (the first fault only); DSP_INVALID. */
static int fail(struct ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->why && !*c->why) {
		size_t n = strlen(c->origin) + strlen(path) + strlen(what) + 8;
		char *s = malloc(n);

		if (s) {
			snprintf(s, n, "%s: %s: %s", c->origin, path, what);
			*c->why = s;
		}
	}
	return DSP_INVALID;
}

static int nomem(struct ctx *c)
{
	if (c->why && !*c->why)
		*c->why = strdup("out of memory");
	return -ENOMEM;
}

static void key_path(char *out, const char *parent, const char *key)
{
	char k[80];

	shown(k, sizeof(k), key);
	/* a path cut short still names the place */
	if (snprintf(out, KEYPATH, "%s%s%s", parent, parent[0] ? "." : "",
		     k[0] ? k : "\"\"") >= KEYPATH)
		out[KEYPATH - 1] = '\0';
}

static void idx_path(char *out, const char *parent, size_t i)
{
	if (snprintf(out, KEYPATH, "%s[%zu]", parent, i) >= KEYPATH)
		out[KEYPATH - 1] = '\0';
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* Every key of o is one of known[]; else the first other names itself. */
static int check_keys(struct ctx *c, struct json_object *o, const char *parent,
		      const char *const *known, size_t n, const char *expected)
{
	char path[KEYPATH];

	json_object_object_foreach(o, k, v) {
		(void)v;
		if (in_list(known, n, k))
			continue;
		key_path(path, parent, k);
		return fail(c, path, "unknown key, expected one of %s", expected);
	}
	return 0;
}

/* ---- variables ---- */

static bool var_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > VAR_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';

		if (!alpha && (i == 0 || ch < '0' || ch > '9'))
			return false;
	}
	return true;
}

static struct var *var_find(struct ctx *c, const char *name, size_t n)
{
	for (size_t i = 0; i < c->nv; i++)
		if (strlen(c->v[i].name) == n && !memcmp(c->v[i].name, name, n))
			return &c->v[i];
	return NULL;
}

static struct var *var_add(struct ctx *c, const char *name, size_t n)
{
	if (c->nv == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 8;
		struct var *nvv = realloc(c->v, nc * sizeof(*nvv));

		if (!nvv)
			return NULL;
		c->v = nvv;
		c->cap = nc;
	}
	struct var *x = &c->v[c->nv];

	memset(x, 0, sizeof(*x));
	x->name = strndup(name, n);
	if (!x->name)
		return NULL;
	c->nv++;
	return x;
}

/* --set NAME=VALUE pairs first: they win over the policy's defaults. */
static int read_set(struct ctx *c, const char *const *set, size_t nset)
{
	if (nset > MAX_VARS)
		return fail(c, "--set", "%zu variables, expected at most %d", nset, MAX_VARS);
	for (size_t i = 0; i < nset; i++) {
		const char *s = set[i], *eq = s ? strchr(s, '=') : NULL;
		char path[KEYPATH], name[80];
		struct var *x;

		shown(name, sizeof(name), s ? s : "");
		if (!eq) {
			snprintf(path, sizeof(path), "--set %s", name);
			return fail(c, path, "expected NAME=VALUE");
		}
		dsp_method_clean(name, sizeof(name), s, (size_t)(eq - s));
		snprintf(path, sizeof(path), "--set %s", name);
		if (!var_name_valid(s, (size_t)(eq - s)))
			return fail(c, path, "not a variable name, " EXP_VAR_NAME);
		if (var_find(c, s, (size_t)(eq - s)))
			return fail(c, path, "given more than once, expected each name once");
		if (!(x = var_add(c, s, (size_t)(eq - s))) || !(x->value = strdup(eq + 1)))
			return nomem(c);
		x->from_set = true;
	}
	return 0;
}

/* The policy's "vars": defaults, taken as written (never expanded). */
static int read_vars(struct ctx *c, struct json_object *root)
{
	struct json_object *vo;
	char path[KEYPATH];

	if (!json_object_object_get_ex(root, "vars", &vo))
		return 0;
	if (!json_object_is_type(vo, json_type_object))
		return fail(c, "vars", "expected an object of NAME: \"default\", got %s",
			    dsp_method_json_kind(vo));
	if (json_object_object_length(vo) > MAX_VARS)
		return fail(c, "vars", "%d variables, expected at most %d",
			    json_object_object_length(vo), MAX_VARS);
	json_object_object_foreach(vo, k, v) {
		struct var *x;
		const char *s;

		key_path(path, "vars", k);
		if (!var_name_valid(k, strlen(k)))
			return fail(c, path, "not a variable name, " EXP_VAR_NAME);
		if (!json_object_is_type(v, json_type_string))
			return fail(c, path, "expected a string, got %s", dsp_method_json_kind(v));
		s = json_object_get_string(v);
		if (strlen(s) != (size_t)json_object_get_string_len(v))
			return fail(c, path, "contains a NUL character, expected text");
		if (var_find(c, k, strlen(k)))
			continue;	/* --set wins */
		if (!(x = var_add(c, k, strlen(k))) || !(x->value = strdup(s)))
			return nomem(c);
	}
	return 0;
}

/*
 * ${NAME} from the variables, $$ a literal $: on a parsed string value, so
 * a value can never change the document's structure. esc: the value goes
 * into a glob, its own * ? [ ] \ are made literal (a value names exactly
 * what it says; the policy's own text keeps its globs).
 */
static int expand(struct ctx *c, const char *path, const char *in, bool esc, char **out)
{
	size_t cap = strlen(in) + 1, o = 0;
	char *buf = malloc(cap);

	*out = NULL;
	if (!buf)
		return nomem(c);
	for (const char *p = in; *p;) {
		const char *add = p;
		size_t addlen = 1;
		bool var = false;

		if (*p == '$') {
			if (p[1] == '$') {
				p += 2;
			} else if (p[1] == '{') {
				const char *name = p + 2, *end = strchr(name, '}');
				char nm[80];
				struct var *x;

				if (!end) {
					free(buf);
					return fail(c, path, "\"${\" without a closing \"}\", "
						    "expected ${NAME}, or $$ for a literal $");
				}
				dsp_method_clean(nm, sizeof(nm), name, (size_t)(end - name));
				if (!var_name_valid(name, (size_t)(end - name))) {
					free(buf);
					return fail(c, path, "${%s}: not a variable name, " EXP_VAR_NAME,
						    nm);
				}
				x = var_find(c, name, (size_t)(end - name));
				if (!x || !x->value) {
					free(buf);
					return fail(c, path, "${%s} is not set; use --set %s=... or give "
						    "it a default in \"vars\"", nm, nm);
				}
				x->used = true;
				add = x->value;
				addlen = strlen(x->value);
				var = esc;
				p = end + 1;
			} else {
				free(buf);
				return fail(c, path, "a '$' not followed by '{' or '$', "
					    "expected ${NAME}, or $$ for a literal $");
			}
		} else {
			p++;
		}
		size_t need = addlen;

		for (size_t i = 0; var && i < addlen; i++)
			need += strchr("*?[]\\", add[i]) != NULL;
		if (o + need + 1 > cap) {
			size_t nc = (o + need + 1) * 2;
			char *nb = realloc(buf, nc);

			if (!nb) {
				free(buf);
				return nomem(c);
			}
			buf = nb;
			cap = nc;
		}
		if (!var) {
			memcpy(buf + o, add, addlen);
			o += addlen;
			continue;
		}
		for (size_t i = 0; i < addlen; i++) {
			if (strchr("*?[]\\", add[i]))
				buf[o++] = '\\';
			buf[o++] = add[i];
		}
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}

/* ---- typed members ---- */

#define F_REQ	 0x01	/* must be present (and not null) */
#define F_RAW	 0x02	/* not expanded */
#define F_LINE	 0x04	/* one line of text: no control character */
#define F_PATH	 0x08	/* an absolute path (normalized) */
#define F_GLOB	 0x10	/* an absolute glob: "**" only as a final component */
#define F_OPT	 0x20	/* optional: "" (after expansion) is as if not given */
#define F_ESC	 0x40	/* a glob: a variable's value in it is literal (escaped) */

/* "/a//b/" -> "/a/b"; "." and ".." components, a relative path: refused. */
static int check_path(struct ctx *c, const char *path, char *s, unsigned flags)
{
	char sh[200];
	size_t o = 0;

	shown(sh, sizeof(sh), s);
	if (s[0] != '/')
		return fail(c, path, "\"%s\" is %s, expected an absolute path",
			    sh, s[0] ? "relative" : "empty");
	for (size_t i = 0; s[i];) {
		size_t j = i;

		while (s[j] == '/')
			j++;
		size_t k = j;

		while (s[k] && s[k] != '/')
			k++;
		if (k == j)
			break;	/* trailing slashes */
		if ((k - j == 1 && s[j] == '.') || (k - j == 2 && s[j] == '.' && s[j + 1] == '.'))
			return fail(c, path, "\"%s\": has a \".\" or \"..\" component, "
				    "expected a path without them", sh);
		if ((flags & F_GLOB) && memmem(s + j, k - j, "**", 2) &&
		    !(k - j == 2 && !s[k + strspn(s + k, "/")]))
			return fail(c, path, "\"%s\": \"**\" only as the last component, "
				    "expected a glob such as /srv/** (the directory and "
				    "everything under it)", sh);
		s[o++] = '/';
		memmove(s + o, s + j, k - j);
		o += k - j;
		i = k;
	}
	if (o == 0)
		s[o++] = '/';
	s[o] = '\0';
	if (o >= PATH_MAX)
		return fail(c, path, "longer than %d bytes", PATH_MAX - 1);
	return 0;
}

/* A string value v (at path) checked and expanded per flags into *out. */
static int string_value(struct ctx *c, struct json_object *v, const char *path, unsigned flags,
			char **out)
{
	const char *s;
	int rc;

	*out = NULL;
	if (!json_object_is_type(v, json_type_string))
		return fail(c, path, "expected a string, got %s", dsp_method_json_kind(v));
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return fail(c, path, "contains a NUL character, expected text");
	if (flags & F_RAW) {
		*out = strdup(s);
		return *out ? 0 : nomem(c);
	}
	if ((rc = expand(c, path, s, flags & F_ESC, out)))
		return rc;
	if (!**out && (flags & F_OPT)) {
		/* "${ORGANIZATION}" left empty: as if not given */
		free(*out);
		*out = NULL;
		return 0;
	}
	if (!**out && (flags & F_REQ)) {
		free(*out);
		*out = NULL;
		return fail(c, path, "empty, expected %s", flags & (F_PATH | F_GLOB) ?
			    "an absolute path" : "text");
	}
	if (flags & F_LINE) {
		for (const char *p = *out; *p; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				free(*out);
				*out = NULL;
				return fail(c, path, "contains a control character, "
					    "expected one line of text");
			}
		}
	}
	if (flags & (F_PATH | F_GLOB)) {
		rc = check_path(c, path, *out, flags);
		if (rc) {
			free(*out);
			*out = NULL;
		}
	}
	return rc;
}

/* Member key of o: absent or null is NULL (F_REQ: an error). */
static int get_str(struct ctx *c, struct json_object *o, const char *parent, const char *key,
		   unsigned flags, char **out)
{
	struct json_object *v;
	char path[KEYPATH];

	*out = NULL;
	key_path(path, parent, key);
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
		if (flags & F_REQ)
			return fail(c, path, "missing, expected a string");
		return 0;
	}
	return string_value(c, v, path, flags & F_REQ ? flags : flags | F_OPT, out);
}

static int get_bool(struct ctx *c, struct json_object *o, const char *parent, const char *key,
		    bool dflt, bool *out)
{
	struct json_object *v;
	char path[KEYPATH];

	*out = dflt;
	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	key_path(path, parent, key);
	if (!json_object_is_type(v, json_type_boolean))
		return fail(c, path, "expected true or false, got %s", dsp_method_json_kind(v));
	*out = json_object_get_boolean(v);
	return 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static int push_str(struct ctx *c, char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		free(s);
		return nomem(c);
	}
	*v = nv;
	(*v)[(*n)++] = s;
	return 0;
}

/* What an element of a selector array must be. */
enum elem {
	E_PATH,		/* absolute path */
	E_GLOB,		/* absolute glob */
	E_KEYFMT,	/* "any" or a key format */
	E_PACKAGE,	/* a package name glob */
	E_UNPACKAGED,	/* "any" or an absolute glob */
	E_DEVICE,	/* device selector; comma lists split, "" dropped */
	E_CATEGORY,	/* inventory category */
};

static const char *const key_formats[] = {
	"any", "pem-pkcs8", "pem-pkcs8-encrypted", "pem-pkcs1", "pem-sec1", "pem-dsa", "pem-sm2",
	"openssh", "ssh2-private", "pgp-armored", "pgp-binary", "tpm2-tss", "openvpn-static",
	"openvpn-tls-crypt-v2", "der-pkcs8", "der-pkcs8-encrypted", "der-pkcs1", "der-sec1",
	"der-dsa", "pkcs12", "jks", "jceks", "putty", "gnupg-private-key", "krb5-keytab", "luks",
	"keepass", "age", "signify", "tor", "dnssec-private", "wireguard", "base64-pem",
};

static const char *const categories[] = { "software", "data", "keys", "devices" };

/* One device selector; a /dev path is normalized in place. */
static int device_ok(struct ctx *c, const char *path, char *d)
{
	char sh[200];

	if (!strcmp(d, "all-except-system"))
		return 0;
	if ((!strncmp(d, "serial:", 7) && d[7]) || (!strncmp(d, "wwn:", 4) && d[4]))
		return 0;
	shown(sh, sizeof(sh), d);
	if (!strncmp(d, "/dev/", 5)) {
		int rc = check_path(c, path, d, F_PATH);

		if (rc || (!strncmp(d, "/dev/", 5) && d[5]))
			return rc;
	}
	return fail(c, path, "\"%s\": not a device selector, " EXP_DEVICE, sh);
}

static void trim(char *s)
{
	size_t a = 0, n = strlen(s);

	while (s[a] == ' ' || s[a] == '\t')
		a++;
	while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memmove(s, s + a, n - a);
	s[n - a] = '\0';
}

static int elem_value(struct ctx *c, const char *path, enum elem e, char *s, char ***v,
		      size_t *n)
{
	char sh[200];
	int rc;

	shown(sh, sizeof(sh), s);
	switch (e) {
	case E_PATH:
	case E_GLOB:
		rc = check_path(c, path, s, e == E_GLOB ? F_GLOB : F_PATH);
		break;
	case E_UNPACKAGED:
		rc = strcmp(s, "any") ? check_path(c, path, s, F_GLOB) : 0;
		break;
	case E_KEYFMT:
		rc = in_list(key_formats, DSP_ARRAY_SIZE(key_formats), s) ? 0 :
		     fail(c, path, "\"%s\": unknown key format, expected \"any\" or an inventory "
			  "key format such as openssh, pem-pkcs8, pkcs12 (dispose-policy(5))", sh);
		break;
	case E_PACKAGE:
		rc = !s[0] || strchr(s, '/') ?
		     fail(c, path, "\"%s\": expected a package name or glob (such as nginx*)", sh) :
		     0;
		break;
	case E_CATEGORY:
		rc = in_list(categories, DSP_ARRAY_SIZE(categories), s) ? 0 :
		     fail(c, path, "\"%s\": unknown category, expected one of software, data, "
			  "keys, devices", sh);
		break;
	case E_DEVICE: {
		/* a variable may name several devices: "/dev/sdb,/dev/sdc" */
		char *save = NULL, *tok;

		rc = 0;
		for (tok = strtok_r(s, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
			char *d;

			trim(tok);
			if (!*tok)
				continue;	/* "${DISKS}" left empty: no device named */
			if (!(rc = device_ok(c, path, tok))) {
				if (!(d = strdup(tok)))
					rc = nomem(c);
				else
					rc = push_str(c, v, n, d);
			}
		}
		free(s);
		return rc;
	}
	default:
		rc = fail(c, path, "internal: unknown element kind");
	}
	if (rc) {
		free(s);
		return rc;
	}
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*v)[i], s)) {
			free(s);
			return fail(c, path, "\"%s\": given twice, expected each once", sh);
		}
	}
	return push_str(c, v, n, s);
}

/* An array of strings (member key): each element expanded and checked. *present: given. */
static int get_array(struct ctx *c, struct json_object *o, const char *parent, const char *key,
		     enum elem e, char ***out, size_t *n, bool *present)
{
	struct json_object *a;
	char path[KEYPATH], ep[KEYPATH];
	size_t len;
	int rc;

	*out = NULL;
	*n = 0;
	if (present)
		*present = false;
	if (!json_object_object_get_ex(o, key, &a))
		return 0;
	key_path(path, parent, key);
	if (!json_object_is_type(a, json_type_array))
		return fail(c, path, "expected an array of strings, got %s", dsp_method_json_kind(a));
	len = json_object_array_length(a);
	if (len == 0)
		return fail(c, path, "empty, expected at least one string (or leave the key out)");
	if (len > MAX_ELEMS)
		return fail(c, path, "%zu elements, expected at most %d", len, MAX_ELEMS);
	if (present)
		*present = true;
	for (size_t i = 0; i < len; i++) {
		char *s;

		idx_path(ep, path, i);
		rc = string_value(c, json_object_array_get_idx(a, i), ep,
				  e == E_GLOB || e == E_UNPACKAGED || e == E_PACKAGE ? F_ESC : 0, &s);
		if (!rc)
			rc = elem_value(c, ep, e, s, out, n);
		if (rc) {
			free_strv(*out, *n);
			*out = NULL;
			*n = 0;
			return rc;
		}
	}
	return 0;
}

/* ---- dates ---- */

static bool leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(long y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* "YYYY-MM-DD", a real calendar date from 1970 to 9999: 0, else -1. */
static int date_parse(const char *s, long *y, int *m, int *d)
{
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
	}
	if (s[10])
		return -1;
	*y = strtol(s, NULL, 10);
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');
	if (*y < 1970 || *m < 1 || *m > 12 || *d < 1 || *d > mdays(*y, *m))
		return -1;
	return 0;
}

/* Days from 1970-01-01 (Howard Hinnant's days_from_civil) and back. */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* "7y", "18m", "2w", "90d": N from 1 to 99999. 0, else -1. */
static int duration_parse(const char *s, long *n, char *unit)
{
	size_t len = strlen(s);

	if (len < 2 || len > 6 || s[0] < '1' || s[0] > '9')
		return -1;
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	*unit = s[len - 1];
	if (!strchr("ymwd", *unit))
		return -1;
	*n = strtol(s, NULL, 10);
	return 0;
}

static void utc_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int dsp_policy_resolve_date(const char *spec, const char *today, char out[11])
{
	char now[11];
	long y, n;
	int m, d;
	char unit;

	if (!spec || !out)
		return DSP_INVALID;
	if (!date_parse(spec, &y, &m, &d)) {
		memcpy(out, spec, 11);
		return 0;
	}
	if (duration_parse(spec, &n, &unit))
		return DSP_INVALID;
	if (!today) {
		utc_today(now);
		today = now;
	}
	if (date_parse(today, &y, &m, &d))
		return DSP_INVALID;
	switch (unit) {
	case 'y':
	case 'm': {
		/* calendar arithmetic: 2024-02-29 + 1y is 2025-02-28 */
		long months = y * 12 + (m - 1) + (unit == 'y' ? n * 12 : n);

		y = months / 12;
		m = (int)(months % 12) + 1;
		if (y > 9999)
			return DSP_INVALID;
		if (d > mdays(y, m))
			d = mdays(y, m);
		break;
	}
	default:
		civil_from_days(days_from_civil(y, m, d) + (unit == 'w' ? 7 * n : n), &y, &m, &d);
		if (y > 9999)
			return DSP_INVALID;
	}
	if (y < 1970 || y > 9999)
		return DSP_INVALID;
	snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
	return 0;
}

/* ---- sections ---- */

static const char *const top_keys[] = {
	"schema", "name", "description", "vars", "inventory", "retain", "erase", "keep",
	"keep_running_system", "certificate",
};
#define EXP_TOP "schema, name, description, vars, inventory, retain, erase, keep, " \
	"keep_running_system, certificate"

static const char *const inventory_keys[] = { "roots", "categories", "hash", "sysroot" };

static const char *const retain_keys[] = {
	"name", "paths", "keys", "packages", "unpackaged", "if_present", "retain_until",
	"series", "authority", "organization", "legal_hold", "destination", "recipients",
};
#define EXP_RETAIN "name, paths, keys, packages, unpackaged, if_present, retain_until, " \
	"series, authority, organization, legal_hold, destination, recipients"
static const char *const erase_keys[] = {
	"name", "paths", "keys", "packages", "unpackaged", "devices", "if_present", "method",
	"then", "category", "verify",
};
#define EXP_ERASE "name, paths, keys, packages, unpackaged, devices, if_present, method, " \
	"then, category, verify"
static const char *const keep_keys[] = {
	"name", "paths", "keys", "packages", "unpackaged", "devices", "if_present",
};
#define EXP_KEEP "name, paths, keys, packages, unpackaged, devices, if_present"

static const char *const cert_keys[] = {
	"key", "cert", "chain", "passphrase_file", "ca", "operator_name", "operator_title",
	"organization", "location", "contact", "verifier", "validator", "media_destination",
	"property_number", "classification", "redact",
};
#define EXP_CERT "key, cert, chain, passphrase_file, ca, operator_name, operator_title, " \
	"organization, location, contact, verifier, validator, media_destination, " \
	"property_number, classification, redact"

enum section { SEC_RETAIN, SEC_ERASE, SEC_KEEP };
static const char *const section_names[] = { "retain", "erase", "keep" };

static void rule_free(struct dsp_policy_rule *r)
{
	free(r->name);
	free_strv(r->sel.paths, r->sel.npaths);
	free_strv(r->sel.key_formats, r->sel.nkey_formats);
	free_strv(r->sel.packages, r->sel.npackages);
	free_strv(r->sel.unpackaged, r->sel.nunpackaged);
	free_strv(r->sel.devices, r->sel.ndevices);
	free(r->retain_until);
	free(r->retain_for);
	free(r->series);
	free(r->authority);
	free(r->organization);
	free(r->destination);
	free_strv(r->recipients, r->nrecipients);
	free(r->method);
	free(r->then);
	free(r->category);
	free(r->verify);
}

static int rule_selectors(struct ctx *c, struct json_object *o, const char *rp,
			  enum section sec, struct dsp_policy_rule *r)
{
	struct dsp_policy_select *s = &r->sel;
	bool given[5] = { false };
	int rc;

	struct json_object *kv;
	/* a retain rule's "keys" as a string is its key policy (rule_retain), not a selector */
	bool kpolicy = sec == SEC_RETAIN && json_object_object_get_ex(o, "keys", &kv) &&
		       json_object_is_type(kv, json_type_string);

	if ((rc = get_array(c, o, rp, "paths", E_GLOB, &s->paths, &s->npaths, &given[0])) ||
	    (!kpolicy && (rc = get_array(c, o, rp, "keys", E_KEYFMT, &s->key_formats,
					 &s->nkey_formats, &given[1]))) ||
	    (rc = get_array(c, o, rp, "packages", E_PACKAGE, &s->packages, &s->npackages,
			    &given[2])) ||
	    (rc = get_array(c, o, rp, "unpackaged", E_UNPACKAGED, &s->unpackaged,
			    &s->nunpackaged, &given[3])))
		return rc;
	if (sec != SEC_RETAIN &&
	    (rc = get_array(c, o, rp, "devices", E_DEVICE, &s->devices, &s->ndevices, &given[4])))
		return rc;
	if (!given[0] && !given[1] && !given[2] && !given[3] && !given[4])
		return fail(c, rp, "selects nothing, expected at least one of paths, keys, "
			    "packages, unpackaged%s", sec == SEC_RETAIN ? "" : ", devices");
	/* "any" stands alone */
	char path[KEYPATH];

	if (s->nkey_formats > 1 && in_list((const char *const *)s->key_formats,
					   s->nkey_formats, "any")) {
		key_path(path, rp, "keys");
		return fail(c, path, "\"any\" with other formats, expected \"any\" alone "
			    "or a list of formats");
	}
	if (s->nunpackaged > 1 && in_list((const char *const *)s->unpackaged,
					  s->nunpackaged, "any")) {
		key_path(path, rp, "unpackaged");
		return fail(c, path, "\"any\" with other trees, expected \"any\" alone "
			    "or a list of trees");
	}
	return 0;
}

static int rule_retain(struct ctx *c, struct json_object *o, const char *rp,
		       struct dsp_policy_rule *r)
{
	char path[KEYPATH], out[11], *until = NULL;
	bool present;
	long y, n;
	int m, d;
	char unit;
	int rc;

	key_path(path, rp, "retain_until");
	if ((rc = get_str(c, o, rp, "retain_until", F_REQ | F_LINE, &until)))
		return rc;
	if (!date_parse(until, &y, &m, &d)) {
		r->retain_until = until;
	} else if (!duration_parse(until, &n, &unit)) {
		/* resolved from the run's date by the plan */
		if (dsp_policy_resolve_date(until, c->today, out)) {
			rc = fail(c, path, "\"%s\": too far ahead, expected a date before 10000",
				  until);
			free(until);
			return rc;
		}
		r->retain_for = until;
	} else {
		char sh[200];

		shown(sh, sizeof(sh), until);
		free(until);
		return fail(c, path, "\"%s\": not a valid date or duration, " EXP_UNTIL, sh);
	}
	if ((rc = get_str(c, o, rp, "series", F_LINE, &r->series)) ||
	    (rc = get_str(c, o, rp, "authority", F_LINE, &r->authority)) ||
	    (rc = get_str(c, o, rp, "organization", F_LINE, &r->organization)) ||
	    (rc = get_bool(c, o, rp, "legal_hold", false, &r->legal_hold)) ||
	    (rc = get_str(c, o, rp, "destination", F_PATH, &r->destination)) ||
	    (rc = get_array(c, o, rp, "recipients", E_PATH, &r->recipients, &r->nrecipients,
			    &present)))
		return rc;
	/* private keys go into a retention archive only when asked for, and only encrypted */
	key_path(path, rp, "keys");
	if (r->sel.nkey_formats) {
		r->keys_include = true;
		if (!r->nrecipients)
			return fail(c, path, "selecting keys needs recipients: private keys are "
				    "archived only encrypted");
	} else {
		char *kp = NULL;

		if ((rc = get_str(c, o, rp, "keys", F_LINE, &kp)))
			return rc;
		if (kp && strcmp(kp, "exclude") && strcmp(kp, "include")) {
			char sh[64];

			shown(sh, sizeof(sh), kp);
			free(kp);
			return fail(c, path, "\"%s\": unknown, expected \"exclude\" or \"include\" "
				    "(or an array of key formats)", sh);
		}
		r->keys_include = kp && !strcmp(kp, "include");
		free(kp);
		if (r->keys_include && !r->nrecipients)
			return fail(c, path, "include needs recipients: private keys are archived "
				    "only encrypted");
	}
	return 0;
}

/* A method name, or an absolute path to a method file (as dsp_method_find tells them apart). */
static int load_method(struct ctx *c, const char *path, const char *arg, struct dsp_method **m)
{
	char err[1024] = "", sh[200];
	int rc;

	shown(sh, sizeof(sh), arg);
	if ((strchr(arg, '/') || (strlen(arg) > 5 && !strcmp(arg + strlen(arg) - 5, ".json"))) &&
	    arg[0] != '/')
		return fail(c, path, "\"%s\" is relative, expected a method name or an absolute "
			    "path", sh);
	rc = dsp_method_find(arg, m, err, sizeof(err));
	if (rc == -ENOMEM)
		return nomem(c);
	if (rc)
		return fail(c, path, "%s", err[0] ? err : "cannot load the method");
	return 0;
}

static int rule_erase(struct ctx *c, struct json_object *o, const char *rp,
		      struct dsp_policy_rule *r)
{
	struct dsp_method *m = NULL, *t = NULL;
	char path[KEYPATH], sh[64];
	int rc;

	if ((rc = get_str(c, o, rp, "method", F_REQ | F_LINE, &r->method)))
		return rc;
	key_path(path, rp, "method");
	if ((rc = load_method(c, path, r->method, &m)))
		return rc;
	if ((rc = get_str(c, o, rp, "then", F_LINE, &r->then)))
		goto out;
	if (r->then) {
		key_path(path, rp, "then");
		if ((rc = load_method(c, path, r->then, &t)))
			goto out;
		if (t->technique != DSP_TECH_OVERWRITE) {
			shown(sh, sizeof(sh), r->then);
			rc = fail(c, path, "%s: not an overwrite method (technique %s), expected "
				  "an overwrite method", sh, dsp_technique_name(t->technique));
			goto out;
		}
		if (m->technique != DSP_TECH_CRYPTO_LUKS && m->technique != DSP_TECH_AUTO) {
			rc = fail(c, path, "only after crypto-luks or auto, but the method is %s "
				  "(technique %s)", m->name, dsp_technique_name(m->technique));
			goto out;
		}
	}
	if ((rc = get_str(c, o, rp, "category", F_LINE, &r->category)))
		goto out;
	if (r->category) {
		key_path(path, rp, "category");
		if (strcmp(r->category, "clear") && strcmp(r->category, "purge")) {
			shown(sh, sizeof(sh), r->category);
			rc = fail(c, path, "\"%s\": unknown category, expected clear or purge", sh);
			goto out;
		}
		if (!strcmp(r->category, "purge") && m->technique == DSP_TECH_OVERWRITE) {
			rc = fail(c, path, "purge cannot be reached by overwriting from the host "
				  "(method %s), expected clear, or a purge method", m->name);
			goto out;
		}
	}
	if ((rc = get_str(c, o, rp, "verify", F_LINE, &r->verify)))
		goto out;
	if (r->verify && dsp_verify_mode_parse(r->verify, NULL, NULL)) {
		key_path(path, rp, "verify");
		shown(sh, sizeof(sh), r->verify);
		rc = fail(c, path, "\"%s\": unknown mode, expected one of none, last, all, sample, "
			  "sample:P (P a decimal in (0,100])", sh);
	}
out:
	dsp_method_free(m);
	dsp_method_free(t);
	return rc;
}

static int rules(struct ctx *c, struct json_object *root, enum section sec,
		 struct dsp_policy_rule **out, size_t *n)
{
	static const char *const *const keys[] = { retain_keys, erase_keys, keep_keys };
	static const size_t nkeys[] = {
		DSP_ARRAY_SIZE(retain_keys), DSP_ARRAY_SIZE(erase_keys), DSP_ARRAY_SIZE(keep_keys),
	};
	static const char *const expected[] = { EXP_RETAIN, EXP_ERASE, EXP_KEEP };
	const char *sname = section_names[sec];
	struct json_object *a;
	char rp[KEYPATH], path[KEYPATH];
	size_t len;
	int rc;

	*out = NULL;
	*n = 0;
	if (!json_object_object_get_ex(root, sname, &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return fail(c, sname, "expected an array of rule objects, got %s", dsp_method_json_kind(a));
	len = json_object_array_length(a);
	if (!len)
		return 0;
	if (len > MAX_RULES)
		return fail(c, sname, "%zu rules, expected at most %d", len, MAX_RULES);
	*out = calloc(len, sizeof(**out));
	if (!*out)
		return nomem(c);
	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct dsp_policy_rule *r = &(*out)[i];
		struct json_object *dv;

		*n = i + 1;
		r->index = (unsigned)i;
		idx_path(rp, sname, i);
		if (!json_object_is_type(o, json_type_object))
			return fail(c, rp, "expected a rule object, got %s", dsp_method_json_kind(o));
		if (sec == SEC_RETAIN && json_object_object_get_ex(o, "devices", &dv)) {
			key_path(path, rp, "devices");
			return fail(c, path, "not allowed in a retain rule: a device cannot be "
				    "archived (retain the files on it by path)");
		}
		if ((rc = check_keys(c, o, rp, keys[sec], nkeys[sec], expected[sec])))
			return rc;
		if ((rc = get_str(c, o, rp, "name", F_LINE, &r->name)))
			return rc;
		if (r->name) {
			char sh[80];

			key_path(path, rp, "name");
			shown(sh, sizeof(sh), r->name);
			if (!dsp_method_name_valid(r->name))
				return fail(c, path, "\"%s\" is not a valid rule name, " EXP_NAME, sh);
			for (size_t k = 0; k < i; k++)
				if ((*out)[k].name && !strcmp((*out)[k].name, r->name))
					return fail(c, path, "\"%s\": the name of %s[%zu] too, "
						    "expected each rule's name once", sh, sname, k);
		}
		if ((rc = rule_selectors(c, o, rp, sec, r)) ||
		    (rc = get_bool(c, o, rp, "if_present", false, &r->if_present)))
			return rc;
		if (sec == SEC_RETAIN && (rc = rule_retain(c, o, rp, r)))
			return rc;
		if (sec == SEC_ERASE && (rc = rule_erase(c, o, rp, r)))
			return rc;
		if (!r->name) {
			char dflt[64];

			snprintf(dflt, sizeof(dflt), "%s[%zu]", sname, i);
			if (!(r->name = strdup(dflt)))
				return nomem(c);
		}
	}
	return 0;
}

static int inventory(struct ctx *c, struct json_object *root, struct dsp_policy *p)
{
	struct json_object *o;
	char **cats = NULL;
	size_t ncats = 0;
	int rc;

	p->categories = DSP_POLICY_SOFTWARE | DSP_POLICY_DATA | DSP_POLICY_KEYS |
			DSP_POLICY_DEVICES;
	if (json_object_object_get_ex(root, "inventory", &o)) {
		if (!json_object_is_type(o, json_type_object))
			return fail(c, "inventory", "expected an object, got %s", dsp_method_json_kind(o));
		if ((rc = check_keys(c, o, "inventory", inventory_keys,
				     DSP_ARRAY_SIZE(inventory_keys),
				     "roots, categories, hash, sysroot")) ||
		    (rc = get_array(c, o, "inventory", "roots", E_PATH, &p->roots, &p->nroots,
				    NULL)) ||
		    (rc = get_array(c, o, "inventory", "categories", E_CATEGORY, &cats, &ncats,
				    NULL)) ||
		    (rc = get_bool(c, o, "inventory", "hash", false, &p->hash)) ||
		    (rc = get_str(c, o, "inventory", "sysroot", F_PATH, &p->sysroot)))
			goto out;
	}
	if (ncats) {
		p->categories = 0;
		for (size_t i = 0; i < ncats; i++)
			for (size_t k = 0; k < DSP_ARRAY_SIZE(categories); k++)
				if (!strcmp(cats[i], categories[k]))
					p->categories |= 1u << k;	/* DSP_POLICY_* order */
	}
	rc = 0;
	if (!p->nroots) {
		char *slash = strdup("/");

		rc = slash ? push_str(c, &p->roots, &p->nroots, slash) : nomem(c);
	}
out:
	free_strv(cats, ncats);
	return rc;
}

static const char *const destinations[] = {
	"internal-reuse", "external-reuse", "recycling", "manufacturer",
};

static int certificate(struct ctx *c, struct json_object *root, struct dsp_policy_cert *pc)
{
	struct json_object *o, *v;
	int rc;

	if (!json_object_object_get_ex(root, "certificate", &o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return fail(c, "certificate", "expected an object, got %s", dsp_method_json_kind(o));
	if ((rc = check_keys(c, o, "certificate", cert_keys, DSP_ARRAY_SIZE(cert_keys), EXP_CERT)))
		return rc;
	struct {
		const char *key;
		char **dst;
		unsigned flags;
	} f[] = {
		{ "key", &pc->key, F_PATH }, { "cert", &pc->cert, F_PATH },
		{ "chain", &pc->chain, F_PATH }, { "passphrase_file", &pc->passphrase_file, F_PATH },
		{ "ca", &pc->ca, F_PATH }, { "operator_name", &pc->operator_name, F_LINE },
		{ "operator_title", &pc->operator_title, F_LINE },
		{ "organization", &pc->organization, F_LINE },
		{ "location", &pc->location, F_LINE }, { "contact", &pc->contact, F_LINE },
		{ "verifier", &pc->verifier, F_LINE }, { "validator", &pc->validator, F_LINE },
		{ "media_destination", &pc->media_destination, F_LINE },
		{ "property_number", &pc->property_number, F_LINE },
		{ "classification", &pc->classification, F_LINE },
	};
	for (size_t i = 0; i < DSP_ARRAY_SIZE(f); i++)
		if ((rc = get_str(c, o, "certificate", f[i].key, f[i].flags, f[i].dst)))
			return rc;
	if (pc->media_destination &&
	    !in_list(destinations, DSP_ARRAY_SIZE(destinations), pc->media_destination) &&
	    !(!strncmp(pc->media_destination, "other:", 6) && pc->media_destination[6])) {
		char sh[200];

		shown(sh, sizeof(sh), pc->media_destination);
		return fail(c, "certificate.media_destination", "\"%s\": unknown destination, "
			    EXP_DEST, sh);
	}
	/* #15: also a redacted copy, these categories hidden */
	if (json_object_object_get_ex(o, "redact", &v) && v) {
		static const char *const words[] = { "serials", "host", "paths" };

		if (!json_object_is_type(v, json_type_array) || !json_object_array_length(v))
			return fail(c, "certificate.redact", "expected a non-empty array of "
				    "\"serials\", \"host\", \"paths\", got %s",
				    dsp_method_json_kind(v));
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			unsigned bit = 0;
			char sh[200], at[64];

			snprintf(at, sizeof(at), "certificate.redact[%zu]", i);
			if (!json_object_is_type(e, json_type_string))
				return fail(c, at, "expected a string, got %s", dsp_method_json_kind(e));
			for (unsigned k = 0; k < DSP_ARRAY_SIZE(words); k++)
				if (!strcmp(json_object_get_string(e), words[k]))
					bit = 1u << k;
			shown(sh, sizeof(sh), json_object_get_string(e));
			if (!bit)
				return fail(c, at, "\"%s\": unknown field, expected serials, host or "
					    "paths", sh);
			if (pc->redact & bit)
				return fail(c, at, "\"%s\": given twice", sh);
			pc->redact |= bit;
		}
	}
	if (!pc->key != !pc->cert)
		return fail(c, pc->key ? "certificate.cert" : "certificate.key",
			    "missing, expected key and cert together (or neither: an unsigned "
			    "certificate)");
	if (pc->passphrase_file && !pc->key)
		return fail(c, "certificate.passphrase_file", "given without a key");
	return 0;
}

static int var_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dsp_policy_var *)a)->name,
		      ((const struct dsp_policy_var *)b)->name);
}

/* The values used, sorted by name: what the record keeps (and a resume passes back as --set). */
static int used_vars(struct ctx *c, struct dsp_policy *p)
{
	char path[KEYPATH], nm[80];

	for (size_t i = 0; i < c->nv; i++) {
		if (c->v[i].from_set && !c->v[i].used) {
			shown(nm, sizeof(nm), c->v[i].name);
			snprintf(path, sizeof(path), "--set %s", nm);
			return fail(c, path, "the policy never uses ${%s}", nm);
		}
	}
	p->vars = calloc(c->nv ? c->nv : 1, sizeof(*p->vars));
	if (!p->vars)
		return nomem(c);
	for (size_t i = 0; i < c->nv; i++) {
		if (!c->v[i].used)
			continue;
		struct dsp_policy_var *x = &p->vars[p->nvars++];

		x->name = c->v[i].name;
		x->value = c->v[i].value;
		c->v[i].name = c->v[i].value = NULL;
	}
	qsort(p->vars, p->nvars, sizeof(*p->vars), var_cmp);
	return 0;
}

static int parse_root(struct ctx *c, struct json_object *root, const char *const *set,
		      size_t nset, struct dsp_policy *p)
{
	struct json_object *sv;
	char sh[200];
	int rc;

	if (!json_object_is_type(root, json_type_object))
		return fail(c, "document", "expected a JSON object, got %s", dsp_method_json_kind(root));
	if (!json_object_object_get_ex(root, "schema", &sv))
		return fail(c, "schema", "missing, expected \"" DSP_POLICY_SCHEMA "\"");
	if (!json_object_is_type(sv, json_type_string) ||
	    strcmp(json_object_get_string(sv), DSP_POLICY_SCHEMA)) {
		shown(sh, sizeof(sh), json_object_is_type(sv, json_type_string) ?
		      json_object_get_string(sv) : dsp_method_json_kind(sv));
		return fail(c, "schema", "\"%s\": unknown schema, expected \"" DSP_POLICY_SCHEMA
			    "\"", sh);
	}
	if ((rc = check_keys(c, root, "", top_keys, DSP_ARRAY_SIZE(top_keys), EXP_TOP)))
		return rc;
	if ((rc = read_set(c, set, nset)) || (rc = read_vars(c, root)))
		return rc;
	if ((rc = get_str(c, root, "", "name", F_REQ | F_LINE, &p->name)))
		return rc;
	if (!dsp_method_name_valid(p->name)) {
		shown(sh, sizeof(sh), p->name);
		return fail(c, "name", "\"%s\" is not a valid policy name, " EXP_NAME
			    ", not ending in .json", sh);
	}
	if ((rc = get_str(c, root, "", "description", 0, &p->description)) ||
	    (rc = inventory(c, root, p)) ||
	    (rc = rules(c, root, SEC_RETAIN, &p->retain, &p->nretain)) ||
	    (rc = rules(c, root, SEC_ERASE, &p->erase, &p->nerase)) ||
	    (rc = rules(c, root, SEC_KEEP, &p->keep, &p->nkeep)) ||
	    (rc = get_bool(c, root, "", "keep_running_system", true, &p->keep_running_system)) ||
	    (rc = certificate(c, root, &p->cert)))
		return rc;
	/* keys exclude: the inventory must look for keys to leave them out of the archive */
	for (size_t i = 0; i < p->nretain; i++)
		if (!p->retain[i].keys_include)
			p->categories |= DSP_POLICY_KEYS;
	return used_vars(c, p);
}

int dsp_policy_parse(const char *text, size_t len, const char *origin,
		     const char *const *set, size_t nset, struct dsp_policy **out, char **why)
{
	struct ctx c = { .origin = origin ? origin : "(policy)", .why = why };
	struct json_object *root = NULL;
	struct dsp_policy *p;
	char err[1024] = "";
	int rc;

	if (out)
		*out = NULL;
	if (why)
		*why = NULL;
	if (!text || !out || (nset && !set))
		return -EINVAL;
	utc_today(c.today);
	rc = dsp_method_json_parse(text, len, DSP_POLICY_FILE_MAX, c.origin, &root, err,
				   sizeof(err));
	if (rc) {
		if (why && err[0])
			*why = strdup(err);
		return rc == -ENOMEM ? nomem(&c) : rc;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		json_object_put(root);
		return nomem(&c);
	}
	rc = parse_root(&c, root, set, nset, p);
	json_object_put(root);
	if (!rc && !(p->path = strdup(c.origin)))
		rc = nomem(&c);
	if (!rc && (rc = dsp_sha256_hex(text, len, p->sha256)))
		fail(&c, "file", "cannot compute its SHA-256");
	for (size_t i = 0; i < c.nv; i++) {
		free(c.v[i].name);
		free(c.v[i].value);
	}
	free(c.v);
	if (rc) {
		dsp_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static int say_errno(char **why, const char *path, int rc)
{
	if (why && !*why && asprintf(why, "%s: %s", path, strerror(-rc)) < 0)
		*why = NULL;
	return rc;
}

int dsp_policy_load(const char *path, const char *const *set, size_t nset,
		    struct dsp_policy **out, char **why)
{
	struct ctx c = { .origin = path, .why = why };
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (out)
		*out = NULL;
	if (why)
		*why = NULL;
	if (!path || !out)
		return -EINVAL;
	/* a FIFO or a device planted as a policy does not hang us */
	rc = dsp_file_read(path, DSP_POLICY_FILE_MAX, 0, &buf, &len);
	if (rc == -EINVAL)
		return fail(&c, "file", "not a regular file");
	if (rc == -EFBIG)
		return fail(&c, "file", "larger than %u bytes", DSP_POLICY_FILE_MAX);
	if (rc < 0)
		return say_errno(why, path, rc);
	rc = dsp_policy_parse(buf, len, path, set, nset, out, why);
	free(buf);
	return rc;
}

const char *dsp_policy_shipped_dir(void)
{
	static char found[PATH_MAX];
	const char *mdir = dsp_method_shipped_dir();
	char cand[PATH_MAX + 32];
	struct stat st;
	char *abs;

	if (!mdir)
		return NULL;
	/* profiles/methods and profiles/policies are siblings, shipped and installed */
	snprintf(cand, sizeof(cand), "%s/../policies", mdir);
	if (stat(cand, &st) || !S_ISDIR(st.st_mode) || !(abs = realpath(cand, NULL)))
		return NULL;
	int w = snprintf(found, sizeof(found), "%s", abs);

	free(abs);
	return w > 0 && (size_t)w < sizeof(found) ? found : NULL;
}

int dsp_policy_find(const char *name_or_path, const char *const *set, size_t nset,
		    struct dsp_policy **out, char **why)
{
	struct ctx c = { .origin = name_or_path, .why = why };
	const char *dir;
	char path[PATH_MAX + 80], sh[80];
	size_t n;

	if (out)
		*out = NULL;
	if (why)
		*why = NULL;
	if (!name_or_path || !out)
		return -EINVAL;
	n = strlen(name_or_path);
	if (strchr(name_or_path, '/') || (n >= 5 && !strcmp(name_or_path + n - 5, ".json")))
		return dsp_policy_load(name_or_path, set, nset, out, why);
	shown(sh, sizeof(sh), name_or_path);
	c.origin = sh[0] ? sh : "\"\"";
	if (!dsp_method_name_valid(name_or_path))
		return fail(&c, "policy", "not a valid policy name, " EXP_NAME
			    " (or a path: one with a '/' or ending in .json)");
	dir = dsp_policy_shipped_dir();
	if (dir) {
		snprintf(path, sizeof(path), "%s/%s.json", dir, name_or_path);
		if (access(path, F_OK) == 0)
			return dsp_policy_load(path, set, nset, out, why);
	}
	if (why && asprintf(why, "%s: unknown policy (%s%s)", sh,
			    dir ? "not in " : "no shipped policies directory found",
			    dir ? dir : "") < 0)
		*why = NULL;
	return -ENOENT;
}

void dsp_policy_free(struct dsp_policy *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->name);
	free(p->description);
	free_strv(p->roots, p->nroots);
	free(p->sysroot);
	for (size_t i = 0; i < p->nretain; i++)
		rule_free(&p->retain[i]);
	for (size_t i = 0; i < p->nerase; i++)
		rule_free(&p->erase[i]);
	for (size_t i = 0; i < p->nkeep; i++)
		rule_free(&p->keep[i]);
	free(p->retain);
	free(p->erase);
	free(p->keep);
	char **cf[] = {
		&p->cert.key, &p->cert.cert, &p->cert.chain, &p->cert.passphrase_file, &p->cert.ca,
		&p->cert.operator_name, &p->cert.operator_title, &p->cert.organization,
		&p->cert.location, &p->cert.contact, &p->cert.verifier, &p->cert.validator,
		&p->cert.media_destination, &p->cert.property_number, &p->cert.classification,
	};
	for (size_t i = 0; i < DSP_ARRAY_SIZE(cf); i++)
		free(*cf[i]);
	for (size_t i = 0; i < p->nvars; i++) {
		free(p->vars[i].name);
		free(p->vars[i].value);
	}
	free(p->vars);
	free(p);
}
