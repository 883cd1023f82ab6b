/* SPDX-License-Identifier: MIT */
/* check.c - verify --pdf: is a PDF byte for byte this dispose's rendering of the certificate? */
#include "pdf_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <glib.h>
#include <poppler.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/pdf.h"
#include "dispose/util.h"

/* A PDF is outside input: poppler parses at most this much. */
#define PDF_MAX		(64u << 20)
#define P7S_MAX		(1u << 20)	/* as dsp_cert_verify reads them */
#define JSON_MAX	(64u << 20)

static int say(char **why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char **why, int rc, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (!why)
		return rc;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(*why);
	*why = s;
	return s ? rc : -ENOMEM;
}

/* Page 1's text without whitespace (the recipe's name is read from it). */
struct doc {
	PopplerDocument *doc;
	char *flat;
	int npages;
};

static void doc_clear(struct doc *d)
{
	free(d->flat);
	if (d->doc)
		g_object_unref(d->doc);
	memset(d, 0, sizeof(*d));
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Open buf as a PDF (the bytes must outlive d) and take page 1's text. */
static int doc_open(struct doc *d, const char *name, const void *buf, size_t len, char **why)
{
	GError *err = NULL;
	PopplerPage *pg;
	GBytes *b;
	char *text;
	size_t n, k;

	memset(d, 0, sizeof(*d));
	if (len < 5 || memcmp(buf, "%PDF-", 5))
		return say(why, DSP_INVALID, "%s: not a PDF: no %%PDF- header", name);
	b = g_bytes_new_static(buf, len);
	d->doc = poppler_document_new_from_bytes(b, NULL, &err);
	g_bytes_unref(b);
	if (!d->doc) {
		int rc = say(why, DSP_INVALID, "%s: not a PDF: %s", name,
			     err && err->message ? err->message : "poppler cannot read it");

		if (err)
			g_error_free(err);
		return rc;
	}
	d->npages = poppler_document_get_n_pages(d->doc);
	if (d->npages < 1)
		return say(why, DSP_INVALID, "%s: not a PDF: no page", name);
	if (!(pg = poppler_document_get_page(d->doc, 0)))
		return say(why, DSP_INVALID, "%s: page 1 cannot be read", name);
	text = poppler_page_get_text(pg);
	g_object_unref(pg);
	n = text ? strlen(text) : 0;
	if (!(d->flat = malloc(n + 1))) {
		g_free(text);
		return -ENOMEM;
	}
	for (k = 0, n = 0; text && text[k]; k++)
		if (!is_space((unsigned char)text[k]))
			d->flat[n++] = text[k];
	d->flat[n] = '\0';
	g_free(text);
	return 0;
}

/* "LAYOUT id=ID sha256=HEX": each part a new string, or NULL. */
static void keywords(const char *kw, char **layout, char **id, char **sha)
{
	char *copy = kw ? strdup(kw) : NULL, *save = NULL;

	*layout = *id = *sha = NULL;
	for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save))
		if (!strncmp(t, "id=", 3) && !*id)
			*id = strdup(t + 3);
		else if (!strncmp(t, "sha256=", 7) && !*sha)
			*sha = strdup(t + 7);
		else if (!strncmp(t, "dispose-pdf/", 12) && !*layout)
			*layout = strdup(t);
	free(copy);
}

struct membuf {
	char *buf;
	size_t len, cap;
};

static int mem_write(void *arg, const void *buf, size_t len)
{
	struct membuf *m = arg;

	if (len > PDF_MAX || m->len > PDF_MAX - len)
		return -EFBIG;
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 65536;
		char *nb;

		while (cap < m->len + len)
			cap *= 2;
		if (!(nb = realloc(m->buf, cap)))
			return -ENOMEM;
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

/*
 * The recipe's certificate name as page 1 prints it ("-content NAME -CAfile"
 * in its text without whitespace): the file may have been renamed since, so
 * the fresh rendering takes the PDF's, when it is one a rendering prints
 * (pdf_plain_name); else NULL, and the rendering's "CERT.json".
 */
static char *recipe_name(const char *flat)
{
	const char *a = NULL, *e;
	char *n;

	/* the footer's, the last on the page (the body may hold the word too) */
	for (const char *s = flat; (s = strstr(s, "-content")); s++)
		a = s;
	if (!a)
		return NULL;
	a += strlen("-content");
	if (!(e = strstr(a, "-CAfile")) || e == a || e - a > (ptrdiff_t)PDF_NAME_MAX)
		return NULL;
	if ((n = strndup(a, (size_t)(e - a))) && !pdf_plain_name(n)) {
		free(n);
		n = NULL;
	}
	return n;
}

/* Up to " (" of s, escaped (cairo's Producer: "cairo 1.16.0 (https://cairographics.org)"). */
static char *short_name(const char *s)
{
	const char *e = strstr(s, " (");
	char *c = strndup(s, e ? (size_t)(e - s) : strlen(s)), *t = c ? dsp_log_text(c) : NULL;

	free(c);
	return t;
}

/* "; made by dispose X with cairo Y, this is ..." when the PDF names another version; a new string */
static char *made_by(PopplerDocument *doc)
{
	char *creator = poppler_document_get_creator(doc);
	char *producer = poppler_document_get_producer(doc);
	char *c = short_name(creator ? creator : "no creator");
	char *pr = short_name(producer ? producer : "no producer");
	char cairo[64], *s = NULL;

	snprintf(cairo, sizeof(cairo), "cairo %s", cairo_version_string());
	if (c && pr && (strcmp(c, DSP_TOOL_NAME " " DSP_VERSION) || strcmp(pr, cairo))) {
		if (asprintf(&s, "; made by %s with %s, this is %s %s with %s", c, pr,
			     DSP_TOOL_NAME, DSP_VERSION, cairo) < 0)
			s = NULL;
	} else if (c && pr) {
		s = strdup("");
	}
	g_free(creator);
	g_free(producer);
	free(c);
	free(pr);
	return s;
}

/*
 * pdf[0..plen) against the fresh rendering of json: byte for byte. What a
 * viewer shows is more than text (colours, boxes, annotations, layers,
 * appended updates, glyph outlines): only the same bytes show the same.
 */
static int compare(struct doc *d, const char *name, const void *pdf, size_t plen,
		   const char *json, size_t jlen, const char *cert_name,
		   const struct dsp_pdf_opts *o, char **why)
{
	struct dsp_pdf_opts ro = { 0 };
	struct membuf m = { 0 };
	char *rwhy = NULL, *jname = recipe_name(d->flat), *by = NULL;
	size_t k = 0;
	int rc;

	if (o) {
		ro.signer = o->signer;
		ro.signing_time = o->signing_time;
	}
	ro.json_name = jname;
	rc = dsp_pdf_render(json, jlen, &ro, mem_write, &m, &rwhy);
	free(jname);
	if (rc) {
		rc = rc == -ENOMEM ? rc : say(why, rc == DSP_INVALID ? DSP_INVALID : -EIO,
					      "%s: cannot be rendered: %s", cert_name,
					      rwhy ? rwhy : strerror(rc < 0 ? -rc : EINVAL));
		goto out;
	}
	if (m.len == plen && !memcmp(m.buf, pdf, plen))
		goto out;
	while (k < plen && k < m.len && ((const char *)pdf)[k] == m.buf[k])
		k++;
	if (!(by = made_by(d->doc))) {
		rc = -ENOMEM;
		goto out;
	}
	/* bytes counted from 1, as cmp(1) does */
	if (k == m.len)
		rc = say(why, DSP_MISMATCH, "%s: not byte for byte this dispose's rendering of it "
			 "(%zu bytes more after its %zu%s; make the PDF again from the signed "
			 "JSON: dispose show --pdf)", name, plen - k, k, by);
	else if (k == plen)
		rc = say(why, DSP_MISMATCH, "%s: not byte for byte this dispose's rendering of it "
			 "(it ends at byte %zu of %zu%s; make the PDF again from the signed "
			 "JSON: dispose show --pdf)", name, k, m.len, by);
	else
		rc = say(why, DSP_MISMATCH, "%s: not byte for byte this dispose's rendering of it "
			 "(byte %zu differs%s; make the PDF again from the signed JSON: "
			 "dispose show --pdf)", name, k + 1, by);
out:
	free(rwhy);
	free(by);
	free(m.buf);
	return rc;
}

int dsp_pdf_check_mem(const char *name, const void *pdf, size_t plen, const char *json,
		      size_t jlen, const char *cert_name, const struct dsp_pdf_opts *o,
		      char **why)
{
	struct json_object *cdoc = NULL;
	struct doc d = { 0 };
	char hex[65], *layout = NULL, *kid = NULL, *ksha = NULL, *kw = NULL, *subj = NULL;
	char *want_subj = NULL, *cwhy = NULL;
	const char *id;
	int rc;

	if (!cert_name)
		cert_name = "the certificate";
	/* no PDF renders what is not a certificate */
	if (dsp_cert_parse(json, jlen, &cdoc, &cwhy)) {
		rc = say(why, DSP_MISMATCH, "%s: %s is not a certificate (%s)", name, cert_name,
			 cwhy ? cwhy : "does not parse");
		free(cwhy);
		return rc;
	}
	if (!(id = dsp_json_str(cdoc, "certificate_id"))) {
		json_object_put(cdoc);
		return say(why, DSP_MISMATCH, "%s: %s has no certificate_id", name, cert_name);
	}
	if (dsp_sha256_hex(json, jlen, hex)) {
		json_object_put(cdoc);
		return -EIO;
	}
	if ((rc = doc_open(&d, name, pdf, plen, why)))
		goto out;
	kw = poppler_document_get_keywords(d.doc);
	subj = poppler_document_get_subject(d.doc);
	keywords(kw, &layout, &kid, &ksha);
	if (!layout || !kid || !ksha) {
		rc = say(why, DSP_MISMATCH, "%s: not a dispose certificate PDF (its keywords "
			 "name no dispose-pdf layout, id and sha256)", name);
		goto out;
	}
	if (strcmp(kid, id)) {
		char *k = dsp_log_text(kid);

		rc = k ? say(why, DSP_MISMATCH, "%s: renders certificate %s, not %s", name, k, id)
		       : -ENOMEM;
		free(k);
		goto out;
	}
	if (strcmp(ksha, hex)) {
		char *k = dsp_log_text(ksha);

		rc = k ? say(why, DSP_MISMATCH, "%s: renders other bytes of certificate %s "
			     "(sha256 %s, not %s)", name, id, k, hex) : -ENOMEM;
		free(k);
		goto out;
	}
	if (asprintf(&want_subj, "%s sha256:%s", id, hex) < 0) {
		want_subj = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if (!subj || strcmp(subj, want_subj)) {
		rc = say(why, DSP_MISMATCH, "%s: its subject does not name %s", name, want_subj);
		goto out;
	}
	/*
	 * Another layout (a newer dispose's) is not compared: its metadata and
	 * footers could be right while its body says anything, and "renders"
	 * would then claim more than was checked.
	 */
	if (strcmp(layout, DSP_PDF_LAYOUT)) {
		char *l = dsp_log_text(layout);

		rc = l ? say(why, DSP_MISMATCH, "%s: layout %s, this dispose compares %s only",
			     name, l, DSP_PDF_LAYOUT) : -ENOMEM;
		free(l);
		goto out;
	}
	rc = compare(&d, name, pdf, plen, json, jlen, cert_name, o, why);
out:
	g_free(kw);
	g_free(subj);
	free(layout);
	free(kid);
	free(ksha);
	free(want_subj);
	doc_clear(&d);
	json_object_put(cdoc);
	return rc;
}

/* The PDF file, read once: DSP_INVALID when it cannot be (one line in *why). */
static int read_pdf(const char *path, char **buf, size_t *len, char **why)
{
	int rc = dsp_file_read(path, PDF_MAX, 0, buf, len);

	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return say(why, DSP_INVALID, "%s: %s", path, rc == -EFBIG ? "larger than 64 MiB" :
			   rc == -EINVAL ? "not a regular file" : strerror(-rc));
	return 0;
}

int dsp_pdf_check(const char *pdf_path, const char *json, size_t len, char **why)
{
	char *buf = NULL;
	size_t plen = 0;
	int rc = read_pdf(pdf_path, &buf, &plen, why);

	if (!rc)
		rc = dsp_pdf_check_mem(pdf_path, buf, plen, json, len, NULL, NULL, why);
	free(buf);
	return rc;
}

static int unreadable(struct dsp_cert_result *res, const char *fmt, const char *a,
		      const char *b)
{
	memset(res, 0, sizeof(*res));
	res->outcome = DSP_CERT_UNREADABLE;
	if (asprintf(&res->reason, fmt, a, b) < 0) {
		res->reason = NULL;
		return -ENOMEM;
	}
	return 0;
}

static const char *read_err(int rc)
{
	return rc == -EFBIG ? "too large" : rc == -EINVAL ? "not a regular file" : strerror(-rc);
}

int dsp_pdf_verify(struct dsp_cert_verifier *v, const char *cert_path,
		   const struct dsp_cert_verify_opts *vo, const char *pdf_path,
		   struct dsp_cert_result *res, char sha256[65], int *pdf_rc, char **why)
{
	char *json = NULL, *p7s = NULL, *sig = NULL, *pdf = NULL;
	size_t jlen = 0, slen = 0, plen = 0;
	int rc;

	*pdf_rc = DSP_INVALID;
	sha256[0] = '\0';
	memset(res, 0, sizeof(*res));
	if (asprintf(&sig, "%s.p7s", cert_path) < 0)
		return -ENOMEM;
	/* as dsp_cert_verify reads them, but once: the PDF is compared with these bytes */
	rc = dsp_file_read(cert_path, JSON_MAX, 0, &json, &jlen);
	if (rc && rc != -ENOMEM) {
		rc = unreadable(res, "%s%s", read_err(rc), "");
		goto out;
	}
	if (!rc) {
		rc = dsp_file_read(sig, P7S_MAX, 0, &p7s, &slen);
		if (rc && rc != -ENOMEM) {
			rc = unreadable(res, "%s: %s", sig, read_err(rc));
			goto out;
		}
	}
	if (rc)
		goto out;
	if ((rc = dsp_sha256_hex(json, jlen, sha256)))
		goto out;
	if ((rc = dsp_cert_verify_mem(v, cert_path, json, jlen, p7s, slen, vo, res)))
		goto out;
	*pdf_rc = read_pdf(pdf_path, &pdf, &plen, why);
	if (!*pdf_rc) {
		struct dsp_pdf_opts o = { .signer = res->signer,
					  .signing_time = res->signing_time };

		*pdf_rc = dsp_pdf_check_mem(pdf_path, pdf, plen, json, jlen, cert_path, &o, why);
	}
	if (*pdf_rc == -ENOMEM)
		rc = -ENOMEM;
out:
	free(json);
	free(p7s);
	free(sig);
	free(pdf);
	return rc;
}
