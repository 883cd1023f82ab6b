/* SPDX-License-Identifier: MIT */
/*
 * test_pdf.c - dsp_pdf_render: what the PDF says (read back with poppler):
 * nothing cut silently (a long value ends "... (N more bytes)", a long list
 * says how many entries it leaves out), outside text escaped (a bidi
 * override, zero-width and other format characters, a control character),
 * a redacted copy's tokens shown short,
 * wrong types and missing keys "not recorded"; bytes that are not a
 * canonical certificate refused; a writer that fails gives -EIO; the same
 * bytes render the same PDF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <poppler.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/log.h"
#include "dispose/pdf.h"

struct buf {
	char *p;
	size_t n;
	size_t fail_at;		/* nonzero: refuse the write that reaches it */
};

static int put(void *arg, const void *b, size_t n)
{
	struct buf *m = arg;
	char *np;

	if (m->fail_at && m->n + n >= m->fail_at)
		return -1;
	if (!(np = realloc(m->p, m->n + n)))
		return -1;
	memcpy(np + m->n, b, n);
	m->p = np;
	m->n += n;
	return 0;
}

/* doc's canonical bytes (a certificate's form) */
static char *canon(struct json_object *doc, size_t *len)
{
	char *c = NULL;

	assert_int_equal(dsp_cert_canonical(doc, &c, len), 0);
	json_object_put(doc);
	return c;
}

static struct buf render(const char *json, size_t len)
{
	struct dsp_pdf_opts o = { .json_name = "c.json" };
	struct buf m = { 0 };
	char *why = NULL;

	assert_int_equal(dsp_pdf_render(json, len, &o, put, &m, &why), 0);
	assert_null(why);
	assert_true(m.n > 5 && !memcmp(m.p, "%PDF-", 5));
	return m;
}

/* every page's text, joined with "\f"; whitespace kept */
static char *text(const struct buf *m, int *pages)
{
	GBytes *b = g_bytes_new(m->p, m->n);
	GError *err = NULL;
	PopplerDocument *d = poppler_document_new_from_bytes(b, NULL, &err);
	GString *s = g_string_new(NULL);
	char *out;

	assert_non_null(d);
	*pages = poppler_document_get_n_pages(d);
	for (int i = 0; i < *pages; i++) {
		PopplerPage *p = poppler_document_get_page(d, i);
		char *t = poppler_page_get_text(p);

		g_string_append(s, t ? t : "");
		g_string_append_c(s, '\f');
		g_free(t);
		g_object_unref(p);
	}
	g_object_unref(d);
	g_bytes_unref(b);
	out = strdup(s->str);
	g_string_free(s, TRUE);
	return out;
}

/* s without whitespace (a rendering breaks lines where it likes) */
static char *flat(const char *s)
{
	char *o = malloc(strlen(s) + 1), *q = o;

	assert_non_null(o);
	for (; *s; s++)
		if (!strchr(" \t\n\r\f", *s))
			*q++ = *s;
	*q = '\0';
	return o;
}

static void assert_has(const char *hay, const char *needle)
{
	char *h = flat(hay), *n = flat(needle);

	if (!strstr(h, n))
		fail_msg("not in the PDF's text: %s", needle);
	free(h);
	free(n);
}

static struct json_object *base(const char *kind)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "schema", json_object_new_string(DSP_CERT_SCHEMA));
	json_object_object_add(d, "kind", json_object_new_string(kind));
	json_object_object_add(d, "certificate_id",
			       json_object_new_string("00000000-test-4000-8000-00000000000a"));
	json_object_object_add(d, "created", json_object_new_string("2026-12-06T10:00:00Z"));
	return d;
}

/* The recipe prints the file name only when it is one plain shell word (ending .json, <= 80 bytes). */
static void test_pdf_recipe_name_plain(void **state)
{
	static const struct { const char *name, *shown; } t[] = {
		{ "renamed-1.2_x+y.json", "renamed-1.2_x+y.json" },
		{ "c.json.p7s -content c.json -noverify #", "CERT.json" },
		{ "a b.json", "CERT.json" },
		{ "-x.json", "CERT.json" },
		{ "x.txt", "CERT.json" },
		{ "a'b.json", "CERT.json" },
		{ "x\n.json", "CERT.json" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json",
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json",
		  "CERT.json" },	/* 81 bytes */
	};
	struct json_object *d = base("certificate-of-sanitization");
	size_t len;
	char *c = canon(d, &len);

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dsp_pdf_opts o = { .json_name = t[i].name };
		struct buf m = { 0 };
		char *why = NULL, *x, want[256];
		int pages;

		assert_int_equal(dsp_pdf_render(c, len, &o, put, &m, &why), 0);
		x = text(&m, &pages);
		snprintf(want, sizeof(want), "-in %s.p7s -content %s -CAfile CA.pem", t[i].shown,
			 t[i].shown);
		assert_has(x, want);
		if (strcmp(t[i].name, t[i].shown))
			assert_null(strstr(x, "noverify"));
		free(x);
		free(m.p);
	}
	free(c);
}

static void test_pdf_bounds_said(void **state)
{
	struct json_object *d = base(DSP_CERT_KIND_OK), *ts = json_object_new_array();
	struct json_object *t = json_object_new_object(), *cv = json_object_new_array();
	char *longv = malloc(5001), *c, *txt;
	struct buf m;
	size_t len;
	int pages;

	(void)state;
	memset(longv, 'q', 5000);
	longv[5000] = '\0';
	json_object_object_add(t, "id", json_object_new_string("t1"));
	json_object_object_add(t, "path", json_object_new_string(longv));
	for (int i = 0; i < 300; i++) {
		char s[32];

		snprintf(s, sizeof(s), "caveat number %d", i);
		json_object_array_add(cv, json_object_new_string(s));
	}
	json_object_object_add(t, "caveats", cv);
	json_object_object_add(t, "result", json_object_new_string("evil\xe2\x80\xae" "fdp.exe\x1b[2J"));
	/* format characters that draw nothing: zero-width space, word joiner, BOM */
	json_object_object_add(t, "result_text", json_object_new_string(
		"s\xe2\x80\x8b" "afe w\xe2\x81\xa0" "j b\xef\xbb\xbf" "om"));
	json_object_array_add(ts, t);
	json_object_object_add(d, "targets", ts);
	c = canon(d, &len);
	m = render(c, len);
	txt = text(&m, &pages);
	assert_true(pages >= 3);
	/* the 5000-byte path: 2048 shown, then what is left said */
	assert_has(txt, "\xe2\x80\xa6 (2952 more bytes)");
	assert_non_null(strstr(txt, "qqqq"));
	/* 300 caveats: 256 shown, the rest counted */
	assert_has(txt, "caveat number 255");
	assert_null(strstr(txt, "caveat number 256"));
	assert_has(txt, "\xe2\x80\xa6 44 more entries not shown");
	/* outside text escaped: no raw override, no escape byte */
	assert_has(txt, "evil\\xe2\\x80\\xaefdp.exe\\x1b[2J");
	assert_null(strstr(txt, "\xe2\x80\xae"));
	assert_null(strchr(txt, '\x1b'));
	assert_has(txt, "s\\xe2\\x80\\x8bafe w\\xe2\\x81\\xa0j b\\xef\\xbb\\xbfom");
	assert_null(strstr(txt, "\xe2\x80\x8b"));
	assert_null(strstr(txt, "\xe2\x81\xa0"));
	assert_null(strstr(txt, "\xef\xbb\xbf"));
	/* missing keys (poppler reads the label column, then the values) */
	assert_has(txt, "Hostname");
	assert_has(txt, "not recorded");
	free(txt);
	free(m.p);
	free(c);
	free(longv);
}

static void test_pdf_redacted_tokens_short(void **state)
{
	struct json_object *d = base(DSP_CERT_KIND_OK), *h = json_object_new_object();
	struct json_object *r = json_object_new_object(), *f = json_object_new_array();
	static const char tok[] = "redacted:1a2b3c4d5e6f00112233445566778899aabbccddeeff00112233445566778899";
	char *c, *txt, run[200];
	struct buf m;
	size_t len;
	int pages;

	(void)state;
	json_object_object_add(h, "hostname", json_object_new_string(tok));
	snprintf(run, sizeof(run), "/srv/%s/run", tok);
	json_object_object_add(h, "machine_id", json_object_new_string(run));
	json_object_object_add(d, "host", h);
	json_object_array_add(f, json_object_new_string("host"));
	json_object_object_add(r, "fields", f);
	json_object_object_add(r, "original_id", json_object_new_string("orig-0001"));
	json_object_object_add(d, "redacted", r);
	c = canon(d, &len);
	m = render(c, len);
	txt = text(&m, &pages);
	assert_has(txt, "Redacted copy of certificate orig-0001: host replaced by salted SHA-256");
	assert_has(txt, "redacted (sha256 1a2b3c4d\xe2\x80\xa6)");
	assert_has(txt, "/srv/redacted (sha256 1a2b3c4d\xe2\x80\xa6)/run");
	assert_null(strstr(txt, "redacted:"));
	free(txt);
	free(m.p);
	free(c);
}

static void test_pdf_wrong_types(void **state)
{
	struct json_object *d = json_object_new_object();
	char *c, *txt;
	struct buf m;
	size_t len;
	int pages;

	(void)state;
	json_object_object_add(d, "kind", json_object_new_int(7));
	json_object_object_add(d, "targets", json_object_new_string("none"));
	json_object_object_add(d, "backup", json_object_new_array());
	json_object_object_add(d, "summary", json_object_new_boolean(1));
	c = canon(d, &len);
	m = render(c, len);
	txt = text(&m, &pages);
	assert_has(txt, "NOT a certificate of sanitization: unknown kind 7");
	assert_null(strstr(txt, "Certificate of Sanitization"));
	assert_has(txt, "Certificate not recorded");	/* the footer */
	free(txt);
	free(m.p);
	free(c);
}

static void test_pdf_refused_and_write_error(void **state)
{
	static const char notcanon[] = "{\"kind\": \"x\"}";
	struct json_object *d = base(DSP_CERT_KIND_FAIL);
	struct buf m = { 0 }, m2, f = { 0 };
	char *why = NULL, *c;
	size_t len;

	(void)state;
	assert_int_equal(dsp_pdf_render(notcanon, strlen(notcanon), NULL, put, &m, &why),
			 DSP_INVALID);
	assert_non_null(why);
	assert_int_equal(m.n, 0);
	free(why);
	why = NULL;
	c = canon(d, &len);
	m = render(c, len);
	m2 = render(c, len);
	assert_int_equal(m.n, m2.n);
	assert_memory_equal(m.p, m2.p, m.n);	/* deterministic */
	f.fail_at = m.n / 2;
	assert_int_equal(dsp_pdf_render(c, len, NULL, put, &f, &why), -EIO);
	assert_non_null(why);
	free(why);
	free(f.p);
	free(m.p);
	free(m2.p);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf_recipe_name_plain),
		cmocka_unit_test(test_pdf_bounds_said),
		cmocka_unit_test(test_pdf_redacted_tokens_short),
		cmocka_unit_test(test_pdf_wrong_types),
		cmocka_unit_test(test_pdf_refused_and_write_error),
	};

	dsp_log_set_syslog(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
