/* SPDX-License-Identifier: MIT */
/* check.c - verify --pdf: does a PDF render this certificate? (poppler) */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A page's text without whitespace, and where each byte was in the text. */
struct page {
	char *text;		/* poppler's text (g_free) */
	char *flat;		/* without whitespace */
	size_t *at;		/* flat[i] is text[at[i]] */
	size_t n;
};

struct doc {
	PopplerDocument *doc;
	struct page *pages;
	int npages;
};

static void doc_clear(struct doc *d)
{
	for (int i = 0; d->pages && i < d->npages; i++) {
		g_free(d->pages[i].text);
		free(d->pages[i].flat);
		free(d->pages[i].at);
	}
	free(d->pages);
	if (d->doc)
		g_object_unref(d->doc);
	memset(d, 0, sizeof(*d));
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Open buf as a PDF (the bytes must outlive d) and take every page's text. */
static int doc_open(struct doc *d, const char *name, const void *buf, size_t len, char **why)
{
	GError *err = NULL;
	GBytes *b;

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
	if (!(d->pages = calloc((size_t)d->npages, sizeof(*d->pages))))
		return -ENOMEM;
	for (int i = 0; i < d->npages; i++) {
		struct page *p = &d->pages[i];
		PopplerPage *pg = poppler_document_get_page(d->doc, i);
		size_t n;

		if (!pg)
			return say(why, DSP_INVALID, "%s: page %d cannot be read", name, i + 1);
		p->text = poppler_page_get_text(pg);
		g_object_unref(pg);
		if (!p->text && !(p->text = g_strdup("")))
			return -ENOMEM;
		n = strlen(p->text);
		p->flat = malloc(n + 1);
		p->at = malloc((n + 1) * sizeof(*p->at));
		if (!p->flat || !p->at)
			return -ENOMEM;
		for (size_t k = 0; k < n; k++)
			if (!is_space((unsigned char)p->text[k])) {
				p->at[p->n] = k;
				p->flat[p->n++] = p->text[k];
			}
		p->flat[p->n] = '\0';
	}
	return 0;
}

/* Up to 48 bytes of page text from about text[off - 12], one line, escaped; NULL on ENOMEM. */
static char *near(const char *text, size_t off)
{
	size_t len = strlen(text), a = off > 12 ? off - 12 : 0, e;
	char *s, *out;

	if (a > len)
		a = len;
	while (a > 0 && ((unsigned char)text[a] & 0xc0) == 0x80)
		a--;
	e = a + 48 > len ? len : a + 48;
	while (e < len && ((unsigned char)text[e] & 0xc0) == 0x80)
		e++;
	if (!(s = strndup(text + a, e - a)))
		return NULL;
	for (char *c = s; *c; c++)
		if (is_space((unsigned char)*c))
			*c = ' ';
	out = dsp_log_text(s);
	free(s);
	return out;
}

static int differs(char **why, const char *name, const char *cert_name, int pageno,
		   const struct page *p, size_t i)
{
	char *ctx = near(p->text, i < p->n ? p->at[i] : strlen(p->text));
	int rc;

	if (!ctx)
		return -ENOMEM;
	rc = say(why, DSP_MISMATCH, "%s: page %d differs from %s's rendering near '%s'", name,
		 pageno, cert_name, ctx);
	free(ctx);
	return rc;
}

/*
 * Cut what a rendering may say differently out of page 1's text: from the
 * first "from" on, through "to" (included) or, with set, the run of bytes
 * in set after "from". Nothing when not found.
 */
static void cut(struct page *p, const char *from, const char *to, const char *set)
{
	char *a = strstr(p->flat, from), *e;

	if (!a)
		return;
	e = a + strlen(from);
	if (to) {
		if (!(e = strstr(e, to)))
			return;
		e += strlen(to);
	} else {
		e += strspn(e, set);
	}
	memmove(p->at + (a - p->flat), p->at + (e - p->flat),
		(p->n - (size_t)(e - p->flat)) * sizeof(*p->at));
	memmove(a, e, strlen(e) + 1);
	p->n -= (size_t)(e - a);
}

/*
 * The part of page 1 that is not the JSON's nor the caller's: the version of
 * dispose that rendered it (a version's characters only: nothing else can
 * hide there). The same cut from both texts.
 */
static void cut_version(struct page *p)
{
	cut(p, "renderedbydispose", NULL, "0123456789.+~-");
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
 * The recipe's certificate name as the PDF prints it ("-content NAME -CAfile"
 * in page 1's text without whitespace): the file may have been renamed since,
 * so the fresh rendering takes the PDF's. NULL when not found.
 */
static char *recipe_name(const struct page *p)
{
	const char *a = NULL, *e;

	/* the footer's, the last on the page (the body may hold the word too) */
	for (const char *s = p->flat; (s = strstr(s, "-content")); s++)
		a = s;
	if (!a)
		return NULL;
	a += strlen("-content");
	if (!(e = strstr(a, "-CAfile")) || e == a)
		return NULL;
	return strndup(a, (size_t)(e - a));
}

/* The text of rendering pdf[0..plen) and the fresh rendering of json, page by page. */
static int compare(struct doc *d, const char *name, const char *json, size_t jlen,
		   const char *cert_name, const struct dsp_pdf_opts *o, char **why)
{
	struct dsp_pdf_opts ro = { 0 };
	struct membuf m = { 0 };
	struct doc fresh = { 0 };
	char *rwhy = NULL, *jname = recipe_name(&d->pages[0]);
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
		free(rwhy);
		free(m.buf);
		return rc;
	}
	free(rwhy);
	rwhy = NULL;
	rc = doc_open(&fresh, cert_name, m.buf, m.len, &rwhy);
	if (rc) {
		rc = rc == -ENOMEM ? rc : say(why, -EIO, "%s: its rendering does not read back: %s",
					      cert_name, rwhy ? rwhy : "?");
		goto out;
	}
	cut_version(&d->pages[0]);
	cut_version(&fresh.pages[0]);
	for (int i = 0; i < d->npages && i < fresh.npages; i++) {
		const struct page *a = &d->pages[i], *b = &fresh.pages[i];
		size_t k = 0;

		while (k < a->n && k < b->n && a->flat[k] == b->flat[k])
			k++;
		if (k < a->n || k < b->n) {
			rc = differs(why, name, cert_name, i + 1, a, k);
			goto out;
		}
	}
	if (d->npages != fresh.npages)
		rc = say(why, DSP_MISMATCH, "%s: %d page%s, %s's rendering has %d", name,
			 d->npages, d->npages == 1 ? "" : "s", cert_name, fresh.npages);
out:
	free(rwhy);
	doc_clear(&fresh);
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
	char *want_subj = NULL, *cwhy = NULL, *creator = NULL;
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
	for (int i = 0; i < d.npages; i++) {
		if (!strstr(d.pages[i].flat, id)) {
			rc = say(why, DSP_MISMATCH, "%s: page %d does not carry the certificate "
				 "id %s", name, i + 1, id);
			goto out;
		}
		if (!strstr(d.pages[i].flat, hex)) {
			rc = say(why, DSP_MISMATCH, "%s: page %d does not carry the SHA-256 %s",
				 name, i + 1, hex);
			goto out;
		}
	}
	rc = compare(&d, name, json, jlen, cert_name, o, why);
	/* text that differs in a PDF another version made: say so (its layout should have changed) */
	if (rc == DSP_MISMATCH && why && *why &&
	    (creator = poppler_document_get_creator(d.doc)) &&
	    strcmp(creator, DSP_TOOL_NAME " " DSP_VERSION)) {
		char *c = dsp_log_text(creator), *w = *why;

		*why = NULL;
		rc = c ? say(why, DSP_MISMATCH, "%s (made by %s, this is %s %s)", w, c,
			     DSP_TOOL_NAME, DSP_VERSION) : -ENOMEM;
		free(c);
		free(w);
	}
out:
	g_free(creator);
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
