/* SPDX-License-Identifier: MIT */
/* show.c - dispose show: a certificate as a person reads it (NIST form first, then the details) */
#include "cert_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"

#define NR		"not recorded"
#define ATT		" (attested by the operator)"
/* the reason show_file gives a signed document that breaks its own rules */
#define DOC_BAD		"document: "
#define W		36	/* the column values start in */
#define SHOW_MAX	(64u << 20)	/* a certificate is a few KiB; this is not one */

/*
 * A string a terminal may show: not UTF-8 as \xHH, control characters
 * (C0, DEL, C1) as \xHH, an embedded NUL as \x00. Never cut.
 */
static void put_text(FILE *out, const char *s, size_t len)
{
	while (len) {
		size_t n = strnlen(s, len);
		char *seg = strndup(s, n), *t = seg ? dsp_log_text(seg) : NULL;

		fputs(t ? t : "?", out);
		free(t);
		free(seg);
		s += n;
		len -= n;
		if (len) {	/* a NUL byte */
			fputs("\\x00", out);
			s++;
			len--;
		}
	}
}

/* A scalar as text: null or absent "not recorded", yes/no, the integer, the string escaped. */
static void put_value(FILE *out, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		fputs(NR, out);
		break;
	case json_type_boolean:
		fputs(json_object_get_boolean(v) ? "yes" : "no", out);
		break;
	case json_type_int:
		fprintf(out, "%" PRId64, json_object_get_int64(v));
		break;
	case json_type_string:
		put_text(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	default: {
		/* an array or object where a scalar belongs (a schema fault): all of it, escaped */
		const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);

		put_text(out, s ? s : "?", s ? strlen(s) : 1);
	}
	}
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

static struct json_object *path2(struct json_object *o, const char *k1, const char *k2)
{
	return get(get(o, k1), k2);
}

static size_t alen(struct json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* "  Label:                 value[ suffix]" */
static void field(FILE *out, int ind, const char *label, struct json_object *v, const char *suffix)
{
	fprintf(out, "%*s%s:%*s", ind, "", label, (int)(W - ind - (int)strlen(label) > 1 ?
						      W - ind - (int)strlen(label) : 1), "");
	put_value(out, v);
	fprintf(out, "%s\n", suffix ? suffix : "");
}

/* The exact bytes when the name was not UTF-8 (json.h's "<key>_hex"), on a line of their own. */
static void field_hex(FILE *out, int ind, const char *label, struct json_object *o, const char *key)
{
	char k[64], l[80];
	struct json_object *h;

	snprintf(k, sizeof(k), "%s_hex", key);
	h = get(o, k);
	if (h) {
		snprintf(l, sizeof(l), "%s (exact bytes, hex)", label);
		field(out, ind, l, h, NULL);
	}
}

/* "t1 /dev/sdb" of a target, escaped */
static void target_name(FILE *out, struct json_object *t)
{
	put_value(out, get(t, "id"));
	fputc(' ', out);
	put_value(out, get(t, "path"));
}

/* A key as a label: "logical_sector" -> "logical sector". */
static void key_label(char *buf, size_t size, const char *key)
{
	size_t i;

	for (i = 0; key[i] && i + 1 < size; i++)
		buf[i] = key[i] == '_' ? ' ' : key[i];
	buf[i] = '\0';
}

static void put_any(FILE *out, int ind, const char *label, struct json_object *v);

/* Every member of o, in its order: nothing dropped, null said as "not recorded". */
static void put_members(FILE *out, int ind, struct json_object *o)
{
	json_object_object_foreach(o, key, v) {
		char l[128], *t = dsp_log_text(key);

		key_label(l, sizeof(l), t ? t : "?");
		free(t);
		put_any(out, ind, l, v);
	}
}

static bool scalar(struct json_object *v)
{
	return !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array);
}

static void put_any(FILE *out, int ind, const char *label, struct json_object *v)
{
	size_t n;

	if (scalar(v)) {
		field(out, ind, label, v, NULL);
		return;
	}
	if (json_object_is_type(v, json_type_object)) {
		fprintf(out, "%*s%s:\n", ind, "", label);
		put_members(out, ind + 2, v);
		return;
	}
	n = json_object_array_length(v);
	if (!n) {
		fprintf(out, "%*s%s:%*snone\n", ind, "", label,
			W - ind - (int)strlen(label) > 1 ? W - ind - (int)strlen(label) : 1, "");
		return;
	}
	fprintf(out, "%*s%s:\n", ind, "", label);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		char l[32];

		snprintf(l, sizeof(l), "[%zu]", i);	/* 0-based: "run": 0 names runs[0] */
		if (json_object_is_type(e, json_type_array)) {
			/* a bad range [offset, length], or any short list: one line */
			fprintf(out, "%*s%s ", ind + 2, "", l);
			for (size_t j = 0; j < json_object_array_length(e); j++) {
				if (j)
					fputs(", ", out);
				put_value(out, json_object_array_get_idx(e, j));
			}
			fputc('\n', out);
		} else {
			put_any(out, ind + 2, l, e);
		}
	}
}

static const char *const attestation =
	"\"I attest that the information provided on this statement is accurate to the best of my knowledge.\"";

static void show_signature(FILE *out, const struct dsp_cert_result *res)
{
	if (!res) {
		fputs("Signature: not checked\n", out);
		return;
	}
	switch (res->outcome) {
	case DSP_CERT_VALID:
	case DSP_CERT_FAILURE_REPORT:
		fputs("Signature: valid, signer ", out);
		put_text(out, res->signer ? res->signer : "unknown", strlen(res->signer ? res->signer : "unknown"));
		fputs(", trusted\n", out);
		break;
	case DSP_CERT_UNTRUSTED:
		fputs("Signature: valid, signer ", out);
		put_text(out, res->signer ? res->signer : "unknown", strlen(res->signer ? res->signer : "unknown"));
		fputs(" not checked against a CA: run dispose verify --ca\n", out);
		break;
	default:
		/* show_file's own checks of a validly signed document: not the signature's fault */
		if (res->reason && !strncmp(res->reason, DOC_BAD, strlen(DOC_BAD))) {
			fputs("Signature: valid, signer ", out);
			put_text(out, res->signer ? res->signer : "unknown",
				 strlen(res->signer ? res->signer : "unknown"));
			fputs(", but the document is INVALID: ", out);
			put_text(out, res->reason + strlen(DOC_BAD), strlen(res->reason + strlen(DOC_BAD)));
			fputs("\n           Nothing below is a certificate dispose verify accepts.\n", out);
			return;
		}
		fputs("Signature: INVALID: ", out);
		put_text(out, res->reason ? res->reason : "unknown", strlen(res->reason ? res->reason : "unknown"));
		fputs("\n           Nothing below is attested by a valid signature.\n", out);
		return;
	}
	if (res->signing_time) {
		fputs("Signed:    ", out);
		put_text(out, res->signing_time, strlen(res->signing_time));
		fputc('\n', out);
	}
}

static bool sig_bad(const struct dsp_cert_result *res)
{
	return res && res->outcome != DSP_CERT_VALID && res->outcome != DSP_CERT_FAILURE_REPORT &&
	       res->outcome != DSP_CERT_UNTRUSTED;
}

static void show_head(FILE *out, struct json_object *doc, const struct dsp_cert_result *res)
{
	struct json_object *sum = get(doc, "summary"), *fails = get(sum, "failures");
	const char *kind = dsp_json_str(doc, "kind");

	if (sig_bad(res))
		fputs("WARNING: this document is INVALID (see Signature below)\n\n", out);
	if (kind && !strcmp(kind, DSP_CERT_KIND_OK)) {
		fputs("CERTIFICATE OF SANITIZATION\n", out);
	} else if (kind && !strcmp(kind, DSP_CERT_KIND_FAIL)) {
		fputs("SANITIZATION FAILURE REPORT \xe2\x80\x94 not a certificate of sanitization\n", out);
	} else {
		fputs("NOT A CERTIFICATE OF SANITIZATION: unknown kind ", out);
		put_value(out, get(doc, "kind"));
		fputc('\n', out);
	}
	/* #15: a redacted copy says so before anything else it shows */
	if (json_object_is_type(get(doc, "redacted"), json_type_object)) {
		struct json_object *f = path2(doc, "redacted", "fields");

		fputs("REDACTED COPY of certificate ", out);
		put_value(out, path2(doc, "redacted", "original_id"));
		fputs(": ", out);
		for (size_t i = 0; i < alen(f); i++) {
			fputs(i ? ", " : "", out);
			put_value(out, json_object_array_get_idx(f, i));
		}
		fputs(" replaced by salted SHA-256 (\"redacted:...\"); dispose verify --original "
		      "FULL.json COPY.json proves the correspondence\n", out);
	} else if (json_object_is_type(get(doc, "redaction"), json_type_object)) {
		fputs("Full certificate with a redacted copy (", out);
		put_value(out, path2(doc, "redaction", "redacted_copy"));
		fputs("): its salt links the copy's tokens to these values; share the copy\n", out);
	}
	if (alen(fails)) {
		fputs("Failures:\n", out);
		for (size_t i = 0; i < alen(fails); i++) {
			fputs("  - ", out);
			put_value(out, json_object_array_get_idx(fails, i));
			fputc('\n', out);
		}
	}
	show_signature(out, res);
	fputc('\n', out);
	field(out, 0, "Certificate id", get(doc, "certificate_id"), NULL);
	field(out, 0, "Created", get(doc, "created"), NULL);
	field(out, 0, "Schema", get(doc, "schema"), NULL);
	field(out, 0, "Targets", get(sum, "targets"), NULL);
	field(out, 0, "Succeeded", get(sum, "succeeded"), NULL);
	field(out, 0, "Failed", get(sum, "failed"), NULL);
	field(out, 0, "Category requested", get(sum, "category_requested"), NULL);
	field(out, 0, "Category achieved (weakest)", get(sum, "category_achieved"), NULL);
	field(out, 0, "Backed up", get(sum, "backed_up"), NULL);
	/* dispose run: the policy it carried out, and the plan it followed */
	for (size_t i = 0; i < alen(get(doc, "runs")); i++) {
		struct json_object *r = json_object_array_get_idx(get(doc, "runs"), i);

		if (!get(r, "policy") && !get(r, "plan"))
			continue;
		if (get(r, "policy")) {
			field(out, 0, "Policy", path2(r, "policy", "name"), NULL);
			field(out, 0, "Policy SHA-256", path2(r, "policy", "sha256"), NULL);
		}
		if (get(r, "plan"))
			field(out, 0, "Plan SHA-256", path2(r, "plan", "sha256"), NULL);
	}
	fputs("Notice: ", out);
	put_value(out, get(doc, "notice"));
	fputs("\n", out);
}

static void show_person(FILE *out, const char *title, struct json_object *p)
{
	fprintf(out, "\n%s" ATT "\n", title);
	field(out, 2, "Name", get(p, "name"), NULL);
	field(out, 2, "Title", get(p, "title"), NULL);
	field(out, 2, "Organization", get(p, "organization"), NULL);
	field(out, 2, "Location", get(p, "location"), NULL);
	field(out, 2, "Phone or other contact", get(p, "contact"), NULL);
}

static void medium_head(FILE *out, struct json_object *t, size_t i, size_t n)
{
	fprintf(out, "  Medium %zu of %zu: ", i + 1, n);
	target_name(out, t);
	fputs(" (", out);
	put_value(out, get(t, "kind"));
	fputs(")\n", out);
	field_hex(out, 4, "Path", t, "path");
}

/* The form's "Backup Location": each archive's path (the details give the rest). */
static void backup_location(FILE *out, struct json_object *doc)
{
	struct json_object *as = path2(doc, "backup", "archives");
	size_t n = alen(as);

	if (!n) {
		field(out, 4, "Backup location", NULL, NULL);
		return;
	}
	fprintf(out, "    Backup location:%*s", W - 4 - 15, "");
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		put_value(out, get(json_object_array_get_idx(as, i), "path"));
	}
	fputc('\n', out);
}

static void show_media(FILE *out, struct json_object *doc)
{
	struct json_object *ts = get(doc, "targets");
	size_t n = alen(ts);

	fputs("\nMEDIA INFORMATION\n", out);
	if (!n)
		fputs("  none: no medium was sanitized\n", out);
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(ts, i), *f = get(t, "nist");

		medium_head(out, t, i, n);
		field(out, 4, "Make/Vendor", get(f, "manufacturer"), NULL);
		field(out, 4, "Model number", get(f, "model"), NULL);
		field(out, 4, "Serial number", get(f, "serial"), NULL);
		field(out, 4, "Media property number", get(f, "property_number"), ATT);
		field(out, 4, "Media type", get(f, "media_type"), NULL);
		field(out, 4, "Source", get(f, "media_source"), NULL);
		field(out, 4, "Classification", get(f, "classification_pre"), ATT);
		field(out, 4, "Data backed up", get(f, "backup") ? get(f, "backup") :
		      path2(doc, "backup", "backed_up"), NULL);
		backup_location(out, doc);
	}
}

/* "key value, key value" of the members of o named in keys that it has (a health log's gist). */
static void field_gist(FILE *out, int ind, const char *label, struct json_object *o,
		       const char *const *keys)
{
	bool first = true;

	if (!json_object_is_type(o, json_type_object)) {
		field(out, ind, label, NULL, NULL);
		return;
	}
	fprintf(out, "%*s%s:%*s", ind, "", label, (int)(W - ind - (int)strlen(label) > 1 ?
						      W - ind - (int)strlen(label) : 1), "");
	for (; *keys; keys++) {
		struct json_object *v;
		char l[64];

		if (!json_object_object_get_ex(o, *keys, &v) || !scalar(v))
			continue;
		key_label(l, sizeof(l), *keys);
		fprintf(out, "%s%s ", first ? "" : ", ", l);
		put_value(out, v);
		first = false;
	}
	fputs(first ? "recorded (see DETAILS)\n" : "\n", out);
}

/* crypto-erase and device sanitize (#13): the volume, the proof, the device's word */
static void show_evidence(FILE *out, struct json_object *t)
{
	static const char *const health[] = {
		"failing", "status", "critical_warning", "percentage_used", "media_errors",
		"available_spare", "reallocated_sectors", "pending_sectors", "power_on_hours", NULL,
	};
	struct json_object *ev = get(t, "evidence"), *l = get(ev, "luks"), *sn = get(ev, "sanitize");
	struct json_object *bk = get(ev, "header_backups"), *hid = get(ev, "hidden");
	const char *f;

	if (get(t, "technique"))
		field(out, 4, "Technique (record)", get(t, "technique"), NULL);
	if (get(t, "action"))
		field(out, 4, "Device action", get(t, "action"), NULL);
	if (get(t, "auto_reason"))
		field(out, 4, "Chosen by auto because", get(t, "auto_reason"), NULL);
	if (get(t, "then"))
		field(out, 4, "Then overwritten with", path2(t, "then", "name"), NULL);
	if (json_object_is_type(l, json_type_object)) {
		struct json_object *tk = get(l, "tokens");

		field(out, 4, "LUKS volume UUID", get(l, "uuid"), NULL);
		field_hex(out, 4, "LUKS volume UUID", l, "uuid");
		field(out, 4, "LUKS version", get(l, "version"), NULL);
		field(out, 4, "Cipher", get(l, "cipher"), NULL);
		field(out, 4, "Key size (bits)", get(l, "key_bits"), NULL);
		field(out, 4, "Keyslots in use", get(l, "keyslots"), NULL);
		fprintf(out, "    Tokens:%*s", W - 4 - 6, "");
		if (!alen(tk))
			fputs("none", out);
		for (size_t j = 0; j < alen(tk); j++) {
			fputs(j ? ", " : "", out);
			put_value(out, get(json_object_array_get_idx(tk, j), "type"));
		}
		fputc('\n', out);
		field(out, 4, "Old header SHA-256", get(l, "header_sha256"), NULL);
		field(out, 4, "Keyslots destroyed", get(l, "keyslots_destroyed"), NULL);
		field(out, 4, "Header area overwritten (bytes)", get(l, "bytes_overwritten"), NULL);
		field(out, 4, "Header area read back (bytes)", get(l, "bytes_verified"), NULL);
		f = cert_luks_fault(l);
		fprintf(out, "    Key material gone:%*s%s\n", W - 4 - 17, "",
			f ? "not proven: " : "proven: every keyslot destroyed, the header area "
			"overwritten and read back, no LUKS header found afterwards");
		if (f)
			fprintf(out, "      %s\n", f);
	}
	for (size_t j = 0; j < alen(bk); j++) {
		struct json_object *b = json_object_array_get_idx(bk, j);

		fputs("    LUKS header backup:", out);
		fprintf(out, "%*s", W - 4 - 18, "");
		put_value(out, get(b, "path"));
		fputs(" (UUID ", out);
		put_value(out, get(b, "uuid"));
		fputs(json_object_get_boolean(get(b, "erased_in_run")) ? "), erased in this run\n" :
		      "), survives\n", out);
		field_hex(out, 6, "Path", b, "path");
	}
	if (json_object_is_type(sn, json_type_object)) {
		field(out, 4, "Sanitize bus", get(sn, "bus"), NULL);
		field(out, 4, "Sanitize action", get(sn, "action"), NULL);
		field(out, 4, "Command sent", get(sn, "command"), NULL);
		field(out, 4, "Device reported", get(sn, "completion"), NULL);
	}
	if (get(ev, "health_before") || get(ev, "health_after")) {
		field_gist(out, 4, "Drive health before", get(ev, "health_before"), health);
		field_gist(out, 4, "Drive health after", get(ev, "health_after"), health);
	}
	if (get(ev, "dealloc"))
		field(out, 4, "Deallocated by the device", get(ev, "dealloc"), NULL);
	if (json_object_is_type(hid, json_type_object))
		field_gist(out, 4, "Hidden area (sectors)", hid, (const char *const[]){
			"accessible_sectors", "native_sectors", "dco_sectors", "hidden_sectors",
			"hpa", "dco", "examined", "reason", NULL });
}

static void show_details(FILE *out, struct json_object *doc)
{
	struct json_object *ts = get(doc, "targets");
	size_t n = alen(ts);

	fputs("\nSANITIZATION DETAILS\n", out);
	if (!n)
		fputs("  none: no medium was sanitized\n", out);
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(ts, i), *f = get(t, "nist");
		struct json_object *cv = get(t, "caveats"), *ps = get(t, "passes");

		medium_head(out, t, i, n);
		field(out, 4, "Method type", get(f, "sanitization"), NULL);
		field(out, 4, "Category requested", get(t, "category_requested"), NULL);
		field(out, 4, "Category achieved", get(t, "category_achieved"), NULL);
		field(out, 4, "Why", get(t, "category_reason"), NULL);
		field(out, 4, "Method used", get(f, "technique"), NULL);
		fprintf(out, "    Method details:%*s", W - 4 - 14, "");
		put_value(out, path2(t, "method", "name"));
		fputs(", variant ", out);
		put_value(out, path2(t, "method", "variant"));
		/* crypto-erase and sanitize write no passes of their own (a --then overwrite does) */
		if (alen(ps) || !get(t, "technique") ||
		    !strcmp(json_object_get_string(get(t, "technique")), "overwrite"))
			fprintf(out, ", %zu pass%s:", alen(ps), alen(ps) == 1 ? "" : "es");
		for (size_t j = 0; j < alen(ps); j++) {
			fputs(j ? ", " : " ", out);
			put_value(out, get(json_object_array_get_idx(ps, j), "label"));
		}
		fputc('\n', out);
		show_evidence(out, t);
		field(out, 4, "Tool used", get(f, "tool"), NULL);
		field(out, 4, "Verification method", get(f, "verification_method"), NULL);
		field(out, 4, "Verification", path2(t, "verification", "text"), NULL);
		field(out, 4, "Result", get(t, "result"), NULL);
		field(out, 4, "Result in words", get(t, "result_text"), NULL);
		field(out, 4, "Old data may remain", get(t, "old_data_may_remain"), NULL);
		field(out, 4, "Post sanitization classification", get(f, "classification_post"), ATT);
		/* limitations are never omitted (standards §8 rule 11) */
		if (!alen(cv)) {
			field(out, 4, "Notes", NULL, NULL);
			continue;
		}
		fputs("    Notes:\n", out);
		for (size_t j = 0; j < alen(cv); j++) {
			fputs("      - ", out);
			put_value(out, json_object_array_get_idx(cv, j));
			fputc('\n', out);
		}
	}
	field(out, 2, "Verification performed by", path2(get(doc, "attested"), "verification", "name"),
	      ATT);
}

static void show_destination(FILE *out, struct json_object *doc)
{
	struct json_object *d = path2(doc, "attested", "media_destination");

	fputs("\nMEDIA DESTINATION" ATT "\n", out);
	field(out, 2, "Destination", get(d, "type"), NULL);
	field(out, 2, "Details", get(d, "details"), NULL);
}

static void show_sign(FILE *out, struct json_object *doc, const struct dsp_cert_result *res)
{
	fputs("\nSIGNATURE\n  ", out);
	fputs(attestation, out);
	fputs("\n  Signature:                         not recorded (a person signs this statement;"
	      " the tool's signature attests the document's bytes, not a person)\n", out);
	field(out, 2, "Date", get(doc, "created"), NULL);
	fputs("  Document signed by:                ", out);
	if (!res)
		fputs("not checked", out);
	else if (sig_bad(res))
		fputs("INVALID signature", out);
	else
		put_text(out, res->signer ? res->signer : "unknown", strlen(res->signer ? res->signer : "unknown"));
	fputc('\n', out);
}

static void show_validation(FILE *out, struct json_object *doc)
{
	struct json_object *v = path2(doc, "attested", "validation");

	fputs("\nVALIDATION" ATT "\n", out);
	field(out, 2, "Name", get(v, "name"), NULL);
	/* members a later schema adds: shown, never dropped */
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, val) {
			char l[128], *t;

			if (!strcmp(key, "name"))
				continue;
			t = dsp_log_text(key);
			key_label(l, sizeof(l), t ? t : "?");
			free(t);
			put_any(out, 2, l, val);
		}
	}
	fputs("  Title, organization, location, phone, signature, date: not recorded"
	      " (the validating person completes them)\n", out);
}

int dsp_cert_show(FILE *out, struct json_object *doc, const struct dsp_cert_result *res)
{
	struct json_object *att = get(doc, "attested");

	if (!json_object_is_type(doc, json_type_object))
		return -EINVAL;
	show_head(out, doc, res);
	show_person(out, "PERSON PERFORMING SANITIZATION", get(att, "sanitization"));
	show_media(out, doc);
	show_details(out, doc);
	show_destination(out, doc);
	show_sign(out, doc, res);
	show_validation(out, doc);

	/* the evidence: every member of the machine-made parts, stream keys included */
	fputs("\nDETAILS\n", out);
	put_any(out, 2, "Summary", get(doc, "summary"));
	put_any(out, 2, "Tool", get(doc, "tool"));
	put_any(out, 2, "Host", get(doc, "host"));
	put_any(out, 2, "Attested by the operator", att);
	put_any(out, 2, "Runs", get(doc, "runs"));
	put_any(out, 2, "Backup", get(doc, "backup"));
	put_any(out, 2, "Targets", get(doc, "targets"));
	/* members a later schema adds: shown, never dropped */
	json_object_object_foreach(doc, key, v) {
		static const char *const known[] = {
			"schema", "kind", "certificate_id", "created", "notice", "summary", "tool",
			"host", "attested", "runs", "backup", "targets",
		};
		bool seen = false;
		char l[128], *t;

		for (size_t i = 0; i < DSP_ARRAY_SIZE(known) && !seen; i++)
			seen = !strcmp(key, known[i]);
		if (seen)
			continue;
		t = dsp_log_text(key);
		key_label(l, sizeof(l), t ? t : "?");
		free(t);
		put_any(out, 2, l, v);
	}
	return ferror(out) ? -EIO : 0;
}

/* The whole file, at most SHOW_MAX bytes. 0 or -errno (-EFBIG, -EISDIR...). */
static int slurp(const char *path, char **buf, size_t *len)
{
	/* O_NONBLOCK: a FIFO named as a certificate must not hang show */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	size_t cap = 65536, n = 0;
	char *b = NULL;
	int rc = 0;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EBADF;
		goto out;
	}
	if (!(b = malloc(cap + 1))) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap >= SHOW_MAX) {
				rc = -EFBIG;
				goto out;
			}
			cap *= 2;
			if (!(nb = realloc(b, cap + 1))) {
				rc = -ENOMEM;
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}

static const char *const outcome_names[] = {
	[DSP_CERT_VALID] = "valid",
	[DSP_CERT_FAILURE_REPORT] = "failure-report",
	[DSP_CERT_UNTRUSTED] = "untrusted",
	[DSP_CERT_INVALID] = "invalid",
	[DSP_CERT_UNREADABLE] = "unreadable",
};

/* The "signature" member of show --json (dispose(8), SHOW). */
static struct json_object *signature_json(const struct dsp_cert_result *res)
{
	struct json_object *s = json_object_new_object();
	bool bad = sig_bad(res);
	unsigned o = (unsigned)res->outcome;

	if (!s)
		return NULL;
	json_object_object_add(s, "valid", json_object_new_boolean(!bad));
	/* show never checks against a CA: trust is dispose verify --ca's */
	json_object_object_add(s, "trusted", res->outcome == DSP_CERT_VALID ||
			       res->outcome == DSP_CERT_FAILURE_REPORT ? json_object_new_boolean(1) : NULL);
	json_object_object_add(s, "outcome", json_object_new_string(
			       o < DSP_ARRAY_SIZE(outcome_names) && outcome_names[o] ?
			       outcome_names[o] : "invalid"));
	json_object_object_add(s, "reason", dsp_json_string(res->reason, NULL));
	json_object_object_add(s, "signer", dsp_json_string(res->signer, NULL));
	json_object_object_add(s, "signing_time", dsp_json_string(res->signing_time, NULL));
	return s;
}

/* A document that is JSON but not canonical: shown all the same, its signature cannot hold. */
static struct json_object *parse_lenient(const char *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok || len > INT32_MAX || !dsp_utf8_valid(buf, len)) {
		json_tokener_free(tok);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o && (json_tokener_get_error(tok) != json_tokener_success ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static void set_invalid(struct dsp_cert_result *res, char *reason)
{
	res->outcome = DSP_CERT_INVALID;
	free(res->reason);
	res->reason = reason;
}

int dsp_cert_show_file(FILE *out, const char *path, bool json, char **why)
{
	struct dsp_cert_result res = { 0 };
	struct dsp_cert_verifier *v = NULL;
	struct dsp_cert_verify_opts vo = { 0 };
	struct json_object *doc = NULL;
	char *buf = NULL, *p7s = NULL, *p7path = NULL, *perr = NULL, *cwhy = NULL;
	size_t len = 0, plen = 0;
	int rc, prc;

	if ((rc = slurp(path, &buf, &len)))
		return rc == -ENOMEM ? rc : cert_why(why, DSP_INVALID, "%s: %s", path,
						      rc == -EFBIG ? "too large for a certificate" :
						      rc == -EBADF ? "not a regular file" : strerror(-rc));
	if (dsp_cert_parse(buf, len, &doc, &perr)) {
		if (!(doc = parse_lenient(buf, len))) {
			rc = cert_why(why, DSP_INVALID, "%s: %s", path,
				      perr ? perr : "not a certificate");
			goto out;
		}
	}
	if (asprintf(&p7path, "%s.p7s", path) < 0) {
		p7path = NULL;
		rc = -ENOMEM;
		goto out;
	}
	prc = slurp(p7path, &p7s, &plen);
	if (prc == -ENOMEM) {
		rc = prc;
		goto out;
	}
	if (prc) {
		res.outcome = DSP_CERT_UNREADABLE;
		if (asprintf(&res.reason, "%s: %s", p7path, prc == -EBADF ? "not a regular file" :
			     prc == -EFBIG ? "too large" : strerror(-prc)) < 0)
			res.reason = NULL;
	} else {
		if ((rc = dsp_cert_verifier_new(NULL, &v, why)))
			goto out;
		if ((rc = dsp_cert_verify_mem(v, path, buf, len, p7s, plen, &vo, &res)))
			goto out;
	}
	/*
	 * Not canonical, or breaking its own rules: the bytes signed are not
	 * a certificate, whatever the signature says (verify without --ca
	 * stops at the untrusted signer; show does not).
	 */
	if (perr && !sig_bad(&res)) {
		char *r = NULL;

		if (asprintf(&r, DOC_BAD "%s", perr) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		set_invalid(&res, r);
	} else if (!sig_bad(&res) && (dsp_cert_check_schema(doc, &cwhy) ||
				      dsp_cert_check_consistency(doc, &cwhy))) {
		char *r = NULL;

		if (asprintf(&r, DOC_BAD "%s", cwhy ? cwhy : "not a valid document") < 0) {
			rc = -ENOMEM;
			goto out;
		}
		set_invalid(&res, r);
	}
	if (json) {
		struct json_object *s = signature_json(&res);
		const char *t;

		if (!s) {
			rc = -ENOMEM;
			goto out;
		}
		json_object_object_add(doc, "signature", s);
		t = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_SPACED |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
		if (!t) {
			rc = -ENOMEM;
			goto out;
		}
		fprintf(out, "%s\n", t);
	} else {
		dsp_cert_show(out, doc, &res);
	}
	rc = ferror(out) ? -EIO : sig_bad(&res) ? DSP_MISMATCH : 0;
out:
	dsp_cert_result_clear(&res);
	dsp_cert_verifier_free(v);
	json_object_put(doc);
	free(buf);
	free(p7s);
	free(p7path);
	free(perr);
	free(cwhy);
	return rc;
}
