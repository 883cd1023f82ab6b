/* SPDX-License-Identifier: MIT */
/* bag.c - BagIt 1.0 tag files: bag-info.txt and manifest parsing, path encoding, retention */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispose/archive.h"
#include "dispose/common.h"
#include "dispose/util.h"

#define LINE_MAX_LEN 65536

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int dsp_bag_date_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	return 1;
}

/* Copy into a fixed field; a value that does not fit makes the file invalid. */
static int setf(char *dst, size_t n, const char *v)
{
	size_t l = strlen(v);

	if (l >= n)
		return DSP_INVALID;
	memcpy(dst, v, l + 1);
	return 0;
}

static int parse_oxum(const char *v, struct dsp_bag_meta *m)
{
	char *end;
	unsigned long long b, f;

	if (*v < '0' || *v > '9')
		return DSP_INVALID;
	errno = 0;
	b = strtoull(v, &end, 10);
	if (errno || *end != '.' || end[1] < '0' || end[1] > '9')
		return DSP_INVALID;
	f = strtoull(end + 1, &end, 10);
	if (errno || *end)
		return DSP_INVALID;
	m->oxum_bytes = b;
	m->oxum_files = f;
	m->has_oxum = 1;
	return 0;
}

static int meta_set(struct dsp_bag_meta *m, const char *label, const char *v)
{
	if (!strcasecmp(label, "Retain-Until")) {
		if (!dsp_bag_date_valid(v))
			return DSP_INVALID;
		return setf(m->retain_until, sizeof(m->retain_until), v);
	}
	if (!strcasecmp(label, "Bagging-Date"))
		return setf(m->bagging_date, sizeof(m->bagging_date), v);
	if (!strcasecmp(label, "Records-Series"))
		return setf(m->series, sizeof(m->series), v);
	if (!strcasecmp(label, "Disposal-Authority"))
		return setf(m->authority, sizeof(m->authority), v);
	if (!strcasecmp(label, "Source-Organization"))
		return setf(m->organization, sizeof(m->organization), v);
	if (!strcasecmp(label, "External-Identifier"))
		return setf(m->external_id, sizeof(m->external_id), v);
	if (!strcasecmp(label, "Source-Host"))
		return setf(m->source_host, sizeof(m->source_host), v);
	if (!strcasecmp(label, "Legal-Hold")) {
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes"))
			m->legal_hold = 1;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no"))
			m->legal_hold = 0;
		else
			return DSP_INVALID;
		return 0;
	}
	if (!strcasecmp(label, "Payload-Oxum"))
		return parse_oxum(v, m);
	return 0;
}

/*
 * The labels dispose reads hold one value each: a second one (Legal-Hold:
 * true, then false) is not resolved by order but makes the file invalid.
 */
static const char *const single[] = {
	"Retain-Until", "Legal-Hold", "Records-Series", "Disposal-Authority",
	"Payload-Oxum", "Bagging-Date", "External-Identifier", "Source-Host",
	"Source-Organization",
};

static int emit_tag(char *label, char *value, struct dsp_bag_meta *meta,
		    dsp_bag_tag_fn fn, void *arg, unsigned *seen)
{
	int rc;

	for (size_t i = 0; i < DSP_ARRAY_SIZE(single); i++) {
		if (strcasecmp(label, single[i]))
			continue;
		if (*seen & (1u << i))
			return DSP_INVALID;
		*seen |= 1u << i;
	}
	if (meta && (rc = meta_set(meta, label, value)) != 0)
		return rc;
	return fn ? fn(arg, label, value) : 0;
}

int dsp_bag_info_parse(const char *text, size_t len, struct dsp_bag_meta *meta,
		       dsp_bag_tag_fn fn, void *arg)
{
	char *label = NULL, *value = NULL;
	size_t vlen = 0, pos = 0;
	unsigned seen = 0;
	int rc = 0;

	if (meta)
		memset(meta, 0, sizeof(*meta));
	if (memchr(text, '\0', len))
		return DSP_INVALID;
	while (pos < len && rc == 0) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;

		pos += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll > LINE_MAX_LEN) {
			rc = DSP_INVALID;
			break;
		}
		if (ll == 0)
			continue;	/* tolerated: blank lines */
		if (is_blank(line[0])) {
			/* continuation: folded into the value with one space */
			size_t s = 0;
			char *nv;

			if (!label) {
				rc = DSP_INVALID;
				break;
			}
			while (s < ll && is_blank(line[s]))
				s++;
			if (vlen + 1 + (ll - s) > LINE_MAX_LEN) {
				rc = DSP_INVALID;
				break;
			}
			nv = realloc(value, vlen + 1 + (ll - s) + 1);
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			value = nv;
			value[vlen++] = ' ';
			memcpy(value + vlen, line + s, ll - s);
			vlen += ll - s;
			value[vlen] = '\0';
			continue;
		}
		if (label) {
			rc = emit_tag(label, value, meta, fn, arg, &seen);
			free(label);
			free(value);
			label = value = NULL;
			if (rc)
				break;
		}
		const char *colon = memchr(line, ':', ll);
		size_t lab = colon ? (size_t)(colon - line) : 0, s;

		while (lab && is_blank(line[lab - 1]))
			lab--;
		if (!colon || lab == 0) {
			rc = DSP_INVALID;
			break;
		}
		s = (size_t)(colon - line) + 1;
		while (s < ll && is_blank(line[s]))
			s++;
		label = strndup(line, lab);
		value = strndup(line + s, ll - s);
		if (!label || !value) {
			rc = -ENOMEM;
			break;
		}
		vlen = ll - s;
	}
	if (rc == 0 && label)
		rc = emit_tag(label, value, meta, fn, arg, &seen);
	free(label);
	free(value);
	return rc;
}

/* Percent-decode %0D %0A %25 (any case); any other % is taken literally. */
static size_t path_decode(const char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (in[i] == '%' && i + 2 < n) {
			int a = dsp_hex_val((unsigned char)in[i + 1]);
			int b = dsp_hex_val((unsigned char)in[i + 2]);
			int c = (a < 0 || b < 0) ? -1 : a * 16 + b;

			if (c == '\r' || c == '\n' || c == '%') {
				out[o++] = (char)c;
				i += 2;
				continue;
			}
		}
		out[o++] = in[i];
	}
	out[o] = '\0';
	return o;
}

int dsp_bag_manifest_parse(const char *text, size_t len, size_t digest_len,
			   dsp_manifest_fn fn, void *arg)
{
	uint8_t digest[64];
	char *path = NULL;
	size_t pos = 0;
	int rc = 0;

	if (digest_len == 0 || digest_len > sizeof(digest))
		return -EINVAL;
	if (memchr(text, '\0', len))
		return DSP_INVALID;
	while (pos < len && rc == 0) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos, s;

		pos += ll + (nl ? 1 : 0);
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			continue;
		if (ll < digest_len * 2 + 2 || ll > LINE_MAX_LEN)
			return DSP_INVALID;
		if (dsp_unhex(line, digest_len * 2, digest, sizeof(digest), NULL) < 0)
			return DSP_INVALID;
		s = digest_len * 2;
		if (!is_blank(line[s]))
			return DSP_INVALID;
		while (s < ll && is_blank(line[s]))
			s++;
		if (s == ll)
			return DSP_INVALID;
		/* sha512sum's binary-mode marker */
		if (line[s] == '*' && s + 1 < ll)
			s++;
		path = malloc(ll - s + 1);
		if (!path)
			return -ENOMEM;
		if (path_decode(line + s, ll - s, path) == 0) {
			free(path);
			return DSP_INVALID;
		}
		rc = fn(arg, path, digest);
		free(path);
		path = NULL;
	}
	return rc;
}

int dsp_bag_path_encode(const char *path, char *out, size_t outlen)
{
	size_t o = 0;

	for (const char *p = path; *p; p++) {
		const char *rep = NULL;

		if (*p == '%')
			rep = "%25";
		else if (*p == '\r')
			rep = "%0D";
		else if (*p == '\n')
			rep = "%0A";
		if (o + (rep ? 3 : 1) + 1 > outlen)
			return -ENAMETOOLONG;
		if (rep) {
			memcpy(out + o, rep, 3);
			o += 3;
		} else {
			out[o++] = *p;
		}
	}
	if (o + 1 > outlen)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

enum dsp_retention dsp_archive_retention(const struct dsp_bag_meta *m,
					 const char *today)
{
	char buf[16];

	if (m->legal_hold)
		return DSP_RET_HELD;
	if (!m->retain_until[0])
		return DSP_RET_RETAINED;
	if (!today) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
		today = buf;
	}
	/* ISO dates compare as strings; eligible the day after retain-until */
	return strcmp(today, m->retain_until) > 0 ? DSP_RET_ELIGIBLE
						  : DSP_RET_RETAINED;
}

const char *dsp_archive_retention_name(enum dsp_retention r)
{
	switch (r) {
	case DSP_RET_ELIGIBLE:
		return "eligible";
	case DSP_RET_HELD:
		return "held";
	default:
		return "retained";
	}
}
