/* SPDX-License-Identifier: MIT */
/*
 * render_doc.c - what the PDF says: the NIST SP 800-88 form first (one
 * block per medium, empty signature lines for the people), a page per
 * target, the archives, then every other member of the document. Shaped
 * like dispose show (src/cert/show.c): every value escaped the same way,
 * null or absent "not recorded", nothing dropped (lists and huge values are
 * bounded with a note, pdf_int.h).
 */
#include "pdf_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"

#define NR	"not recorded"
#define ATT	" (attested by the operator)"

static const char attestation[] =
	"\"I attest that the information provided on this statement is accurate to the best of "
	"my knowledge.\"";

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

static struct json_object *get2(struct json_object *o, const char *k1, const char *k2)
{
	return get(get(o, k1), k2);
}

static size_t alen(struct json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static bool scalar(struct json_object *v)
{
	return !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array);
}

static bool is_str(struct json_object *v, const char *s)
{
	return json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), s);
}

/* label: the value of v[, suffix] */
static void fv(struct pdf *p, int ind, const char *label, struct json_object *v, const char *suffix)
{
	struct sb b = { 0 };

	if (pdf_stopped(p))
		return;
	pdf_value(p, &b, v);
	if (suffix)
		sb_add(&b, suffix);
	pdf_field(p, ind, label, sb_str(&b));
	sb_free(&b);
}

/* "t1 /dev/sdb (block)" */
static void target_name(struct pdf *p, struct sb *b, struct json_object *t)
{
	pdf_value(p, b, get(t, "id"));
	sb_add(b, " ");
	pdf_value(p, b, get(t, "path"));
	sb_add(b, " (");
	pdf_value(p, b, get(t, "kind"));
	sb_add(b, ")");
}

/* A key as a label: "logical_sector" -> "Logical sector", escaped and cut. */
static void key_label(struct pdf *p, struct sb *b, const char *key)
{
	size_t from = b->len;

	pdf_text(p, b, key, strlen(key), PDF_LABEL_MAX);
	if (b->oom)
		return;
	for (size_t i = from; i < b->len; i++)
		if (b->s[i] == '_')
			b->s[i] = ' ';
	if (b->len > from && b->s[from] >= 'a' && b->s[from] <= 'z')
		b->s[from] = (char)(b->s[from] - 'a' + 'A');
}

static void more_note(struct pdf *p, int ind, size_t more, const char *what)
{
	char m[160];

	snprintf(m, sizeof(m), "\xe2\x80\xa6 %zu more %s not shown (a PDF shows at most %u): the "
		 "signed JSON holds them", more, what, PDF_ITEMS_MAX);
	pdf_para(p, ind, m, PDF_NOTE);
}

static void any(struct pdf *p, int ind, const char *label, struct json_object *v, int depth);

/* Fields gathered to be laid out together (two short ones share a row). */
#define FL_MAX	32
struct flist {
	size_t n;
	char *l[FL_MAX], *v[FL_MAX];
};

static void fl_flush(struct pdf *p, int ind, struct flist *f)
{
	pdf_fields(p, ind, f->n, (const char *const *)f->l, (const char *const *)f->v);
	for (size_t i = 0; i < f->n; i++) {
		free(f->l[i]);
		free(f->v[i]);
	}
	f->n = 0;
}

/* label and value (taken: sb's string); on ENOMEM the field is "?" and the render fails */
static void fl_take(struct pdf *p, int ind, struct flist *f, const char *label, struct sb *v)
{
	if (f->n == FL_MAX)
		fl_flush(p, ind, f);
	f->l[f->n] = strdup(label);
	f->v[f->n] = v->s ? v->s : strdup("");
	v->s = NULL;
	sb_free(v);
	if (!f->l[f->n] || !f->v[f->n]) {
		free(f->l[f->n]);
		free(f->v[f->n]);
		pdf_value(p, v, NULL);	/* keeps going; render.c says out of memory */
		return;
	}
	f->n++;
}

static void fl_add(struct pdf *p, int ind, struct flist *f, const char *label,
		   struct json_object *v, const char *suffix)
{
	struct sb b = { 0 };

	pdf_value(p, &b, v);
	if (suffix)
		sb_add(&b, suffix);
	fl_take(p, ind, f, label, &b);
}

static bool flat_list(struct json_object *a);

/* v as one value when it is one (a scalar, an empty list, a short list of scalars). */
static bool inline_value(struct pdf *p, struct json_object *v, int depth, struct sb *b)
{
	if (scalar(v) || depth >= PDF_DEPTH_MAX) {
		pdf_value(p, b, v);
		return true;
	}
	if ((json_object_is_type(v, json_type_object) && !json_object_object_length(v)) ||
	    (json_object_is_type(v, json_type_array) && !json_object_array_length(v))) {
		sb_add(b, "none");
		return true;
	}
	if (flat_list(v)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i)
				sb_add(b, ", ");
			pdf_value(p, b, json_object_array_get_idx(v, i));
		}
		return true;
	}
	return false;
}

static bool skipped(const char *key, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (!strcmp(key, *skip))
			return true;
	return false;
}

/* Every member of o in its order but those in skip (NULL-terminated; may be NULL). */
static void members(struct pdf *p, int ind, struct json_object *o, int depth,
		    const char *const *skip)
{
	struct flist f = { 0 };
	size_t n = 0, total = 0;

	json_object_object_foreach(o, k0, v0) {
		(void)v0;
		total += !skipped(k0, skip);
	}
	json_object_object_foreach(o, key, v) {
		struct sb l = { 0 }, b = { 0 };

		if (skipped(key, skip))
			continue;
		if (pdf_stopped(p))
			break;
		if (n++ == PDF_ITEMS_MAX) {
			fl_flush(p, ind, &f);
			more_note(p, ind, total - PDF_ITEMS_MAX, "members");
			break;
		}
		key_label(p, &l, key);
		if (inline_value(p, v, depth, &b)) {
			fl_take(p, ind, &f, sb_str(&l), &b);
		} else {
			sb_free(&b);
			fl_flush(p, ind, &f);
			any(p, ind, sb_str(&l), v, depth);
		}
		sb_free(&l);
	}
	fl_flush(p, ind, &f);
}

/* A short list of scalars on one line: "a, b, c" (a bad range's offset and length). */
static bool flat_list(struct json_object *a)
{
	size_t n = alen(a);

	if (!json_object_is_type(a, json_type_array) || n > 16)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!scalar(json_object_array_get_idx(a, i)))
			return false;
	return true;
}

static void any(struct pdf *p, int ind, const char *label, struct json_object *v, int depth)
{
	struct sb b = { 0 };
	size_t n;

	if (pdf_stopped(p))
		return;
	if (inline_value(p, v, depth, &b)) {
		pdf_field(p, ind, label, sb_str(&b));
		sb_free(&b);
		return;
	}
	if (json_object_is_type(v, json_type_object)) {
		pdf_subheading(p, ind, label);
		members(p, ind + 1, v, depth + 1, NULL);
		return;
	}
	n = json_object_array_length(v);
	pdf_subheading(p, ind, label);
	for (size_t i = 0; i < n && !pdf_stopped(p); i++) {
		char l[32];

		if (i == PDF_ITEMS_MAX) {
			more_note(p, ind + 1, n - PDF_ITEMS_MAX, "entries");
			return;
		}
		snprintf(l, sizeof(l), "[%zu]", i);	/* 0-based: "run": 0 names runs[0] */
		any(p, ind + 1, l, json_object_array_get_idx(v, i), depth + 1);
	}
}

/* A list of strings as one paragraph per entry ("- text"), "none recorded" when empty. */
static void bullets(struct pdf *p, int ind, const char *label, struct json_object *a,
		    const char *empty)
{
	size_t n = alen(a);

	if (!json_object_is_type(a, json_type_array) || !n) {
		if (a && !json_object_is_type(a, json_type_array))
			fv(p, ind, label, a, NULL);
		else
			pdf_field(p, ind, label, empty);
		return;
	}
	pdf_subheading(p, ind, label);
	for (size_t i = 0; i < n && !pdf_stopped(p); i++) {
		struct sb b = { 0 };

		if (i == PDF_ITEMS_MAX) {
			more_note(p, ind + 1, n - PDF_ITEMS_MAX, "entries");
			return;
		}
		sb_add(&b, "\xe2\x80\xa2 ");
		pdf_value(p, &b, json_object_array_get_idx(a, i));
		pdf_para(p, ind + 1, sb_str(&b), PDF_BODY);
		sb_free(&b);
	}
}

/* ---- every page's title and banners ---- */

void pdf_doc_banners(struct pdf *p, struct json_object *doc, char **title, char **fail,
		     char **redact)
{
	struct json_object *kind = get(doc, "kind"), *sum = get(doc, "summary");
	struct json_object *red = get(doc, "redacted");
	struct sb f = { 0 }, r = { 0 };

	*title = *fail = *redact = NULL;
	if (is_str(kind, DSP_CERT_KIND_OK)) {
		*title = strdup("Certificate of Sanitization");
	} else if (is_str(kind, DSP_CERT_KIND_FAIL)) {
		*title = strdup("Sanitization Failure Report");
		sb_add(&f, "NOT a certificate of sanitization: ");
		pdf_value(p, &f, get(sum, "failed"));
		sb_add(&f, " of ");
		pdf_value(p, &f, get(sum, "targets"));
		sb_add(&f, " targets failed");
	} else {
		*title = strdup("Unknown Document");
		sb_add(&f, "NOT a certificate of sanitization: unknown kind ");
		pdf_value(p, &f, kind);
	}
	if (red) {
		struct json_object *fl = get(red, "fields");

		sb_add(&r, "Redacted copy of certificate ");
		pdf_value(p, &r, get(red, "original_id"));
		sb_add(&r, ": ");
		if (!alen(fl))
			sb_add(&r, "values");
		for (size_t i = 0; i < alen(fl) && i < PDF_ITEMS_MAX; i++) {
			if (i)
				sb_add(&r, ", ");
			pdf_value(p, &r, json_object_array_get_idx(fl, i));
		}
		sb_add(&r, " replaced by salted SHA-256");
	}
	if (f.len)
		*fail = f.oom ? NULL : strdup(sb_str(&f));
	if (r.len)
		*redact = r.oom ? NULL : strdup(sb_str(&r));
	if ((f.len && !*fail) || (r.len && !*redact)) {
		free(*title);
		*title = NULL;	/* the caller says out of memory */
	}
	sb_free(&f);
	sb_free(&r);
}

/* ---- page 1: the form ---- */

static void person(struct pdf *p, const char *head, struct json_object *o)
{
	pdf_heading(p, head);
	fv(p, 0, "Name", get(o, "name"), NULL);
	fv(p, 0, "Title", get(o, "title"), NULL);
	fv(p, 0, "Organization", get(o, "organization"), NULL);
	fv(p, 0, "Location", get(o, "location"), NULL);
	fv(p, 0, "Phone or other contact", get(o, "contact"), NULL);
}

static void head(struct pdf *p, const struct pdf_doc *d)
{
	struct json_object *doc = d->doc, *sum = get(doc, "summary"), *fails = get(sum, "failures");
	struct sb b = { 0 };

	pdf_title(p, d->title);
	sb_addf(&b, "The media sanitization record of NIST SP 800-88 (Appendix G), rendered by "
		"%s %s from the signed JSON %s. The signed JSON is the evidence; this PDF shows it "
		"and leads back to it (the QR code and the footer of every page).",
		DSP_TOOL_NAME, DSP_VERSION, d->json_name);
	pdf_para(p, 0, sb_str(&b), PDF_SMALL);
	sb_free(&b);
	pdf_gap(p, 4);
	fv(p, 0, "Certificate id", get(doc, "certificate_id"), NULL);
	fv(p, 0, "Created", get(doc, "created"), NULL);
	fv(p, 0, "Kind", get(doc, "kind"), NULL);
	fv(p, 0, "Schema", get(doc, "schema"), NULL);
	fv(p, 0, "Targets", get(sum, "targets"), NULL);
	fv(p, 0, "Succeeded", get(sum, "succeeded"), NULL);
	fv(p, 0, "Failed", get(sum, "failed"), NULL);
	fv(p, 0, "Category requested", get(sum, "category_requested"), NULL);
	fv(p, 0, "Category achieved (weakest)", get(sum, "category_achieved"), NULL);
	fv(p, 0, "Backed up", get(sum, "backed_up"), NULL);
	if (d->signer) {
		pdf_text(p, &b, d->signer, strlen(d->signer), PDF_VALUE_MAX);
		sb_add(&b, " (the signature of the JSON is valid; the signer is not checked against a "
		       "CA here: dispose verify --ca)");
		pdf_field(p, 0, "Signed by", sb_str(&b));
		sb_free(&b);
	}
	if (d->signing_time) {
		pdf_text(p, &b, d->signing_time, strlen(d->signing_time), PDF_VALUE_MAX);
		pdf_field(p, 0, "Signing time", sb_str(&b));
		sb_free(&b);
	}
	/* dispose run: the policy it carried out, and the plan it followed */
	for (size_t i = 0; i < alen(get(doc, "runs")) && i < PDF_ITEMS_MAX; i++) {
		struct json_object *r = json_object_array_get_idx(get(doc, "runs"), i);

		if (get(r, "policy")) {
			fv(p, 0, "Policy", get2(r, "policy", "name"), NULL);
			fv(p, 0, "Policy SHA-256", get2(r, "policy", "sha256"), NULL);
		}
		if (get(r, "plan"))
			fv(p, 0, "Plan SHA-256", get2(r, "plan", "sha256"), NULL);
	}
	if (alen(fails))
		bullets(p, 0, "Failures", fails, "none");
	fv(p, 0, "Notice", get(doc, "notice"), NULL);
}

static void host(struct pdf *p, struct json_object *doc)
{
	struct json_object *h = get(doc, "host"), *dmi = get(h, "dmi");

	pdf_heading(p, "Host");
	fv(p, 0, "Hostname", get(h, "hostname"), NULL);
	fv(p, 0, "Machine id", get(h, "machine_id"), NULL);
	fv(p, 0, "System vendor", get(dmi, "sys_vendor"), NULL);
	fv(p, 0, "Product", get(dmi, "product_name"), NULL);
	fv(p, 0, "Product serial", get(dmi, "product_serial"), NULL);
}

/* The form's "Backup Location": each archive's path (its page gives the rest). */
static void backup_location(struct pdf *p, struct json_object *doc)
{
	struct json_object *as = get2(doc, "backup", "archives");
	size_t n = alen(as);
	struct sb b = { 0 };

	if (!n) {
		pdf_field(p, 0, "Backup location", "none");
		return;
	}
	for (size_t i = 0; i < n && i < 8; i++) {
		if (i)
			sb_add(&b, ", ");
		pdf_value(p, &b, get(json_object_array_get_idx(as, i), "path"));
	}
	if (n > 8)
		sb_addf(&b, " and %zu more (see the archives)", n - 8);
	pdf_field(p, 0, "Backup location", sb_str(&b));
	sb_free(&b);
}

/* A value cut at PDF_CELL_MAX (the target's page has all of it). */
static void cut_value(struct pdf *p, struct sb *b, struct json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		pdf_text(p, b, json_object_get_string(v), (size_t)json_object_get_string_len(v),
			 PDF_CELL_MAX);
	else if (scalar(v))
		pdf_value(p, b, v);
	else
		sb_add(b, "(see the target's page)");
}

/* A cell's line: "Label: value" */
static void cell(struct pdf *p, struct sb *b, const char *label, struct json_object *v,
		 const char *suffix)
{
	if (b->len)
		sb_add(b, "\n");
	if (label)
		sb_addf(b, "%s: ", label);
	cut_value(p, b, v);
	if (suffix)
		sb_add(b, suffix);
}

/* The form's media: one row per medium (NIST SP 800-88 Appendix G), then the backup. */
static void media(struct pdf *p, struct json_object *doc)
{
	static const double share[] = { 0.23, 0.18, 0.14, 0.09, 0.19, 0.17 };
	static const char *const head[] = {
		"Medium (media type, source, property number)", "Make/Vendor, model, serial",
		"Method type, technique, tool", "Category achieved",
		"Verification method and result", "Destination, classification, backup",
	};
	struct json_object *ts = get(doc, "targets");
	size_t n = alen(ts);

	pdf_heading(p, "Media information and sanitization details");
	if (!n)
		pdf_para(p, 0, "none: no medium was sanitized", PDF_BODY);
	else
		pdf_table(p, DSP_ARRAY_SIZE(share), share, head);
	for (size_t i = 0; i < n && !pdf_stopped(p); i++) {
		struct json_object *t = json_object_array_get_idx(ts, i), *f = get(t, "nist");
		struct sb c[DSP_ARRAY_SIZE(share)] = { { 0 } };
		const char *cs[DSP_ARRAY_SIZE(share)];

		sb_addf(&c[0], "%zu. ", i + 1);
		cut_value(p, &c[0], get(t, "id"));
		sb_add(&c[0], " ");
		cut_value(p, &c[0], get(t, "path"));
		sb_add(&c[0], " (");
		cut_value(p, &c[0], get(t, "kind"));
		sb_add(&c[0], ")");
		cell(p, &c[0], NULL, get(f, "media_type"), NULL);
		cell(p, &c[0], "Source", get(f, "media_source"), NULL);
		cell(p, &c[0], "Property number", get(f, "property_number"), NULL);
		cell(p, &c[1], "Make", get(f, "manufacturer"), NULL);
		cell(p, &c[1], "Model", get(f, "model"), NULL);
		cell(p, &c[1], "Serial", get(f, "serial"), NULL);
		cell(p, &c[2], NULL, get(f, "sanitization"), NULL);
		cell(p, &c[2], NULL, get(f, "technique"), NULL);
		cell(p, &c[2], NULL, get(f, "tool"), NULL);
		cell(p, &c[3], NULL, get(t, "category_achieved"), NULL);
		cell(p, &c[4], NULL, get(f, "verification_method"), NULL);
		cell(p, &c[4], NULL, get2(t, "verification", "text"), NULL);
		cell(p, &c[4], "Result", get(t, "result"), NULL);
		cell(p, &c[5], "Destination", get(f, "destination"), NULL);
		cell(p, &c[5], "Classification", get(f, "classification_pre"), NULL);
		cell(p, &c[5], "After", get(f, "classification_post"), NULL);
		cell(p, &c[5], "Backed up", get(f, "backup") ? get(f, "backup") :
		     get2(doc, "backup", "backed_up"), NULL);
		for (size_t k = 0; k < DSP_ARRAY_SIZE(share); k++)
			cs[k] = sb_str(&c[k]);
		pdf_table_row(p, cs);
		for (size_t k = 0; k < DSP_ARRAY_SIZE(share); k++)
			sb_free(&c[k]);
	}
	if (n)
		pdf_table_end(p);
	pdf_para(p, 0, "Property number, source and classification are attested by the operator. "
		 "Each medium's page below gives every detail.", PDF_SMALL);
	fv(p, 0, "Data backed up", get2(doc, "backup", "backed_up"), NULL);
	backup_location(p, doc);
}

static void signatures(struct pdf *p, struct json_object *doc)
{
	struct json_object *att = get(doc, "attested"), *d = get(att, "media_destination");
	struct json_object *val = get(att, "validation");

	pdf_heading(p, "Media destination" ATT);
	fv(p, 0, "Destination", get(d, "type"), NULL);
	fv(p, 0, "Details", get(d, "details"), NULL);

	pdf_keep(p, 110);
	pdf_heading(p, "Sanitization");
	fv(p, 0, "Performed by", get2(att, "sanitization", "name"), ATT);
	pdf_para(p, 0, attestation, PDF_BODY);
	pdf_signature_lines(p);

	pdf_keep(p, 90);
	pdf_heading(p, "Verification");
	fv(p, 0, "Verification performed by", get2(att, "verification", "name"), ATT);
	pdf_signature_lines(p);

	pdf_keep(p, 120);
	pdf_heading(p, "Validation");
	fv(p, 0, "Validated by", get(val, "name"), ATT);
	/* members a later schema adds: shown, never dropped */
	if (json_object_is_type(val, json_type_object))
		members(p, 0, val, 1, (const char *const[]){ "name", NULL });
	pdf_para(p, 0, "Title, organization, location, phone, signature and date: completed by "
		 "the validating person.", PDF_SMALL);
	pdf_signature_lines(p);
	pdf_gap(p, 6);
	pdf_para(p, 0, "The tool's signature attests the document's bytes, not a person: the "
		 "people named above sign on the lines.", PDF_SMALL);
}

/* ---- a page per target ---- */

static void target(struct pdf *p, struct json_object *doc, struct json_object *t, size_t i,
		   size_t n)
{
	static const char *const shown[] = {
		"id", "path", "path_hex", "kind", "result", "result_text", "old_data_may_remain",
		"category_requested", "category_achieved", "category_reason", "technique",
		"action", "auto_reason", "bytes_written", "bytes_verified", "run", "started",
		"ended", "removed", "method", "then", "passes", "verification", "bad_ranges",
		"caveats", "evidence", "identity", "nist", "key_material", NULL,
	};
	struct json_object *ps = get(t, "passes");
	struct flist f = { 0 };
	struct sb b = { 0 };

	(void)doc;
	sb_addf(&b, "target %zu of %zu", i + 1, n);
	pdf_where(p, sb_str(&b));
	sb_free(&b);
	pdf_page_break(p);
	sb_addf(&b, "Target %zu of %zu: ", i + 1, n);
	target_name(p, &b, t);
	pdf_heading(p, sb_str(&b));
	sb_free(&b);
	if (!json_object_is_type(t, json_type_object)) {
		fv(p, 0, "Target", t, NULL);
		return;
	}
	if (get(t, "path_hex"))
		fv(p, 0, "Path (exact bytes, hex)", get(t, "path_hex"), NULL);
	fl_add(p, 0, &f, "Result", get(t, "result"), NULL);
	fl_add(p, 0, &f, "Old data may remain", get(t, "old_data_may_remain"), NULL);
	fl_add(p, 0, &f, "Result in words", get(t, "result_text"), NULL);
	fl_add(p, 0, &f, "Category requested", get(t, "category_requested"), NULL);
	fl_add(p, 0, &f, "Category achieved", get(t, "category_achieved"), NULL);
	fl_add(p, 0, &f, "Why", get(t, "category_reason"), NULL);
	if (get(t, "technique"))
		fl_add(p, 0, &f, "Technique", get(t, "technique"), NULL);
	if (get(t, "action"))
		fl_add(p, 0, &f, "Device action", get(t, "action"), NULL);
	if (get(t, "auto_reason"))
		fl_add(p, 0, &f, "Chosen by auto because", get(t, "auto_reason"), NULL);
	fl_add(p, 0, &f, "Bytes written", get(t, "bytes_written"), NULL);
	fl_add(p, 0, &f, "Bytes verified", get(t, "bytes_verified"), NULL);
	fl_add(p, 0, &f, "Started", get(t, "started"), NULL);
	fl_add(p, 0, &f, "Ended", get(t, "ended"), NULL);
	fl_add(p, 0, &f, "Run", get(t, "run"), NULL);
	if (get(t, "removed"))
		fl_add(p, 0, &f, "Removed", get(t, "removed"), NULL);
	fl_flush(p, 0, &f);
	/* limitations are never omitted (standards §8 rule 11) */
	bullets(p, 0, "Caveats", get(t, "caveats"), "none recorded");
	any(p, 0, "Method", get(t, "method"), 0);
	if (get(t, "then"))
		any(p, 0, "Then overwritten with", get(t, "then"), 0);
	if (!json_object_is_type(ps, json_type_array)) {
		any(p, 0, "Passes", ps, 0);
	} else if (!alen(ps)) {
		pdf_field(p, 0, "Passes", "none");
	} else {
		pdf_subheading(p, 0, "Passes");
		for (size_t j = 0; j < alen(ps) && !pdf_stopped(p); j++) {
			struct json_object *x = json_object_array_get_idx(ps, j);

			if (j == PDF_ITEMS_MAX) {
				more_note(p, 1, alen(ps) - PDF_ITEMS_MAX, "passes");
				break;
			}
			sb_addf(&b, "Pass %zu: ", j + 1);
			pdf_value(p, &b, get(x, "label"));
			if (json_object_is_type(x, json_type_object)) {
				pdf_subheading(p, 1, sb_str(&b));
				members(p, 2, x, 2, NULL);
			} else {
				fv(p, 1, sb_str(&b), x, NULL);
			}
			sb_free(&b);
		}
	}
	any(p, 0, "Verification", get(t, "verification"), 0);
	any(p, 0, "Bad ranges (offset, length)", get(t, "bad_ranges"), 0);
	if (get(t, "evidence"))
		any(p, 0, "Evidence (health before and after, device, volume)", get(t, "evidence"), 0);
	any(p, 0, "Key material", get(t, "key_material"), 0);
	any(p, 0, "Identity (as probed)", get(t, "identity"), 0);
	any(p, 0, "NIST SP 800-88 fields", get(t, "nist"), 0);
	/* members a later schema adds: shown, never dropped */
	members(p, 0, t, 1, shown);
}

static void targets(struct pdf *p, struct json_object *doc)
{
	struct json_object *ts = get(doc, "targets");
	size_t n = alen(ts);

	if (ts && !json_object_is_type(ts, json_type_array)) {
		pdf_page_break(p);
		any(p, 0, "Targets", ts, 0);
		return;
	}
	for (size_t i = 0; i < n && !pdf_stopped(p); i++)
		target(p, doc, json_object_array_get_idx(ts, i), i, n);
}

/* ---- the archives, and the rest ---- */

static void archives(struct pdf *p, struct json_object *doc)
{
	struct json_object *bk = get(doc, "backup"), *as = get(bk, "archives");
	size_t n = alen(as);

	pdf_where(p, "the archives");
	pdf_page_break(p);
	pdf_heading(p, "Archives (data backed up before the erase)");
	fv(p, 0, "Backed up", get(bk, "backed_up"), NULL);
	if (!n) {
		if (as && !json_object_is_type(as, json_type_array))
			any(p, 0, "Archives", as, 0);
		else
			pdf_para(p, 0, "No archive is recorded.", PDF_BODY);
	}
	for (size_t i = 0; i < n && !pdf_stopped(p); i++) {
		struct json_object *a = json_object_array_get_idx(as, i);
		struct sb b = { 0 };

		if (i == PDF_ITEMS_MAX) {
			more_note(p, 0, n - PDF_ITEMS_MAX, "archives");
			break;
		}
		sb_addf(&b, "Archive %zu of %zu: ", i + 1, n);
		pdf_value(p, &b, get(a, "path"));
		pdf_subheading(p, 0, sb_str(&b));
		sb_free(&b);
		if (!json_object_is_type(a, json_type_object)) {
			fv(p, 1, "Archive", a, NULL);
			continue;
		}
		fv(p, 1, "Digest (SHA-256)", get(a, "sha256"), NULL);
		fv(p, 1, "Bytes", get(a, "bytes"), NULL);
		fv(p, 1, "Encrypted", get(a, "encrypted"), NULL);
		if (get(a, "envelope_sha256"))
			fv(p, 1, "Envelope SHA-256", get(a, "envelope_sha256"), NULL);
		fv(p, 1, "Retain until", get(a, "retain_until"), NULL);
		fv(p, 1, "Verified", get(a, "verified"), NULL);
		if (get(a, "recipients"))
			any(p, 1, "Recipients", get(a, "recipients"), 1);
		else
			fv(p, 1, "Recipients", NULL, NULL);
		members(p, 1, a, 1, (const char *const[]){ "path", "sha256", "bytes", "encrypted",
			"envelope_sha256", "retain_until", "verified", "recipients", NULL });
	}
	/* members a later schema adds */
	if (json_object_is_type(bk, json_type_object))
		members(p, 0, bk, 1, (const char *const[]){ "backed_up", "archives", NULL });
}

static void rest(struct pdf *p, struct json_object *doc)
{
	static const char *const known[] = {
		"schema", "kind", "certificate_id", "created", "notice", "summary", "tool",
		"host", "attested", "runs", "backup", "targets", NULL,
	};

	pdf_where(p, "the runs");
	pdf_heading(p, "Runs");
	any(p, 0, "Runs", get(doc, "runs"), 0);
	pdf_heading(p, "The record in full");
	any(p, 0, "Summary", get(doc, "summary"), 0);
	any(p, 0, "Tool", get(doc, "tool"), 0);
	any(p, 0, "Host", get(doc, "host"), 0);
	any(p, 0, "Attested by the operator", get(doc, "attested"), 0);
	/* members a later schema adds (redaction, redacted...): shown, never dropped */
	members(p, 0, doc, 0, known);
}

void pdf_doc_content(struct pdf *p, const struct pdf_doc *d)
{
	struct json_object *att = get(d->doc, "attested");

	head(p, d);
	person(p, "Person performing sanitization" ATT, get(att, "sanitization"));
	host(p, d->doc);
	media(p, d->doc);
	signatures(p, d->doc);
	targets(p, d->doc);
	archives(p, d->doc);
	rest(p, d->doc);
}
