/* SPDX-License-Identifier: MIT */
/* plan_out.c - a dispose-plan/1 document as a person reads it, and as plan.json */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/run.h"
#include "dispose/util.h"
#include "plan_int.h"

static const char *size_text(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static const char *secs_text(uint64_t s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
	return buf;
}

static uint64_t ju(struct json_object *o, const char *key)
{
	uint64_t v = 0;

	return dsp_json_u64(o, key, &v) ? 0 : v;
}

/* A string member as one safe line (control characters escaped); "-" when none. */
static void put(FILE *out, struct json_object *o, const char *key)
{
	const char *v = dsp_json_str(o, key);
	char *t = v ? dsp_log_text(v) : NULL;

	fputs(t ? t : v ? "?" : "-", out);
	free(t);
}

static void put_value(FILE *out, struct json_object *v)
{
	struct json_object *text;

	if (json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, "text", &text))
		v = text;
	if (json_object_is_type(v, json_type_string)) {
		char *t = dsp_log_text(json_object_get_string(v));

		fputs(t ? t : "?", out);
		free(t);
	}
}

static bool same(struct json_object *x, struct json_object *y, const char *key)
{
	const char *a = dsp_json_str(x, key), *b = dsp_json_str(y, key);

	return a && b && !strcmp(a, b);
}

static struct json_object *arr(struct json_object *o, const char *key)
{
	struct json_object *a;

	return json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array) ?
	       a : NULL;
}

int dsp_plan_print(FILE *out, struct json_object *plan, bool verbose)
{
	struct json_object *a, *o, *c, *pol, *inv;
	char b1[32], b2[32];

	if (!plan)
		return -EINVAL;
	json_object_object_get_ex(plan, "policy", &pol);
	json_object_object_get_ex(plan, "inventory", &inv);
	fputs("policy:    ", out);
	put(out, pol, "name");
	if (dsp_json_str(pol, "path")) {
		fputs(" (", out);
		put(out, pol, "path");
		fputs(")", out);
	}
	fputs("\ninventory: ", out);
	if (dsp_json_str(inv, "path"))
		put(out, inv, "path");
	else
		fputs("scanned now", out);
	fputs("\n", out);

	a = arr(plan, "archives");
	fprintf(out, "\narchives (%zu): retained, archived before anything is erased\n",
		a ? json_object_array_length(a) : 0);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *r, *x = json_object_array_get_idx(a, i);

		fputs("  ", out);
		put(out, x, "id");
		fputs("  ", out);
		put(out, x, "rule");
		fputs(" -> ", out);
		put(out, x, "archive");
		fprintf(out, "\n      %" PRIu64 " file%s, %s, retain until ", ju(x, "files"),
			ju(x, "files") == 1 ? "" : "s", size_text(ju(x, "bytes"), b1, sizeof(b1)));
		put(out, x, "retain_until");
		if (dsp_json_str(x, "retain_for")) {
			fputs(" (", out);
			put(out, x, "retain_for");
			fputs(")", out);
		}
		if (json_object_object_get_ex(x, "legal_hold", &r) && json_object_get_boolean(r))
			fputs(", legal hold", out);
		fputs("\n      roots:", out);
		r = arr(x, "roots");
		for (size_t k = 0; r && k < json_object_array_length(r); k++) {
			fputs(" ", out);
			put_value(out, json_object_array_get_idx(r, k));
		}
		r = arr(x, "excludes");
		if (r && json_object_array_length(r)) {
			fputs("\n      excludes:", out);
			for (size_t k = 0; k < json_object_array_length(r); k++) {
				fputs(" ", out);
				put_value(out, json_object_array_get_idx(r, k));
			}
		}
		r = arr(x, "recipients");
		if (r && json_object_array_length(r)) {
			fputs("\n      encrypted for:", out);
			for (size_t k = 0; k < json_object_array_length(r); k++) {
				fputs(" ", out);
				put_value(out, json_object_array_get_idx(r, k));
			}
		}
		fputs("\n", out);
	}

	a = arr(plan, "targets");
	fprintf(out, "\ntargets (%zu): erased\n", a ? json_object_array_length(a) : 0);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *x = json_object_array_get_idx(a, i), *p;

		fputs("  ", out);
		put(out, x, "id");
		fputs("  ", out);
		put(out, x, "kind");
		fputs("  ", out);
		put(out, x, "path");
		fputs("\n      ", out);
		put(out, x, "method");
		if (json_object_object_get_ex(x, "passes", &p) && json_object_is_type(p, json_type_int))
			fprintf(out, ", %" PRId64 " pass%s", json_object_get_int64(p),
				json_object_get_int64(p) == 1 ? "" : "es");
		else
			fputs(", passes chosen per device", out);
		if (dsp_json_str(x, "then")) {
			fputs(" then ", out);
			put(out, x, "then");
		}
		fprintf(out, ", %s", size_text(ju(x, "bytes"), b1, sizeof(b1)));
		if (strcmp(dsp_json_str(x, "kind") ? dsp_json_str(x, "kind") : "", "block"))
			fprintf(out, " in %" PRIu64 " file%s", ju(x, "files"),
				ju(x, "files") == 1 ? "" : "s");
		fprintf(out, ", about %s; ", secs_text(ju(x, "estimate_secs"), b2, sizeof(b2)));
		put(out, x, "reason");
		if (ju(x, "retained"))
			fprintf(out, "\n      %" PRIu64 " retained file%s: erased only when an archive "
				"covers %s", ju(x, "retained"), ju(x, "retained") == 1 ? "" : "s",
				ju(x, "retained") == 1 ? "it" : "them");
		fputs("\n", out);
	}

	a = arr(plan, "keep");
	fprintf(out, "\nkept (%zu): never erased\n", a ? json_object_array_length(a) : 0);
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *x = json_object_array_get_idx(a, i), *y;

		fputs("  ", out);
		if (dsp_json_str(x, "path") && dsp_json_str(x, "path")[0])
			put(out, x, "path");
		else
			fputs("(nothing named)", out);
		/* one line for the paths of one rule and reason (the running system's) */
		while (i + 1 < json_object_array_length(a) &&
		       (y = json_object_array_get_idx(a, i + 1)) && same(x, y, "rule") &&
		       same(x, y, "reason") && dsp_json_str(y, "path") && dsp_json_str(y, "path")[0]) {
			fputs(" ", out);
			put(out, y, "path");
			i++;
		}
		fputs("  ", out);
		put(out, x, "rule");
		fputs(": ", out);
		put(out, x, "reason");
		fputs("\n", out);
	}

	if (verbose && (a = arr(plan, "items"))) {
		fprintf(out, "\nitems (%zu):\n", json_object_array_length(a));
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *x = json_object_array_get_idx(a, i);
			const char *t = dsp_json_str(x, "target"), *ar = dsp_json_str(x, "archive");

			fputs("  ", out);
			fprintf(out, "%-12s %-10s ", dsp_json_str(x, "decision") ?
				dsp_json_str(x, "decision") : "?",
				dsp_json_str(x, "kind") ? dsp_json_str(x, "kind") : "?");
			put(out, x, "path");
			if (t || ar)
				fprintf(out, "  [%s%s%s]", ar ? ar : "", ar && t ? " " : "", t ? t : "");
			fputs("  ", out);
			put(out, x, "reason");
			fputs("\n", out);
		}
	}

	json_object_object_get_ex(plan, "counts", &c);
	o = c;
	fprintf(out, "\nitems:     %" PRIu64 " (retain %" PRIu64 ", erase %" PRIu64
		", retain+erase %" PRIu64 ", keep %" PRIu64 ", no rule %" PRIu64 ")%s\n",
		ju(o, "items"), ju(o, "retain"), ju(o, "erase"), ju(o, "retain_erase"),
		ju(o, "keep"), ju(o, "none"), verbose ? "" : "; -v lists each");
	fprintf(out, "total:     %" PRIu64 " archive%s (%s), %" PRIu64 " target%s (%s), about %s\n",
		ju(o, "archives"), ju(o, "archives") == 1 ? "" : "s",
		size_text(ju(o, "bytes_to_archive"), b1, sizeof(b1)), ju(o, "targets"),
		ju(o, "targets") == 1 ? "" : "s", size_text(ju(o, "bytes_to_erase"), b2, sizeof(b2)),
		secs_text(ju(o, "estimate_secs"), (char[32]){ 0 }, 32));
	return ferror(out) ? -EIO : 0;
}

int dsp_plan_write(struct json_object *plan, const char *path, bool replace, char sha256[65],
		   char **why)
{
	const char *text;
	char *buf;
	size_t len;
	unsigned char md[32];
	unsigned int mdl = 0;
	int rc;

	if (why)
		*why = NULL;
	text = plan ? json_object_to_json_string_ext(plan, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
	if (!text)
		return -EINVAL;
	len = strlen(text);
	if (!(buf = malloc(len + 2)))
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len++] = '\n';
	if (!EVP_Digest(buf, len, md, &mdl, EVP_sha256(), NULL) || mdl != 32) {
		free(buf);
		return -EIO;
	}
	rc = dsp_file_write(path, buf, len, 0600, DSP_FILE_NOFOLLOW |
			    (replace ? 0 : DSP_FILE_EXCL));
	free(buf);
	if (rc) {
		if (why && asprintf(why, "%s: %s", path, rc == -EEXIST ? "exists (not replaced)" :
				    rc == -ELOOP ? "is a symbolic link; not written through" :
				    strerror(-rc)) < 0)
			*why = NULL;
		return rc;
	}
	if (sha256)
		dsp_hex(md, 32, sha256);
	return 0;
}
