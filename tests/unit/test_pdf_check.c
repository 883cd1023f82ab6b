/* SPDX-License-Identifier: MIT */
/* test_pdf_check.c - dsp_pdf_check_mem: a rendering is accepted, anything else named */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/log.h"
#include "dispose/pdf.h"

/* Two small documents dsp_cert_parse takes (canonical), differing in id and a value. */
#define CERT(id, kind) "{\n  \"certificate_id\": \"" id "\",\n  \"kind\": \"" kind "\"\n}\n"
static const char c1[] = CERT("00000000-test-4000-8000-000000000001", "certificate-of-sanitization");
static const char c2[] = CERT("00000000-test-4000-8000-000000000002", "certificate-of-sanitization");
static const char c1b[] = CERT("00000000-test-4000-8000-000000000001", "sanitization-failure-report");

struct buf {
	char *p;
	size_t n;
};

static int put(void *arg, const void *b, size_t n)
{
	struct buf *m = arg;
	char *np = realloc(m->p, m->n + n);

	if (!np)
		return -ENOMEM;
	memcpy(np + m->n, b, n);
	m->p = np;
	m->n += n;
	return 0;
}

static struct buf render(const char *json, const char *signer)
{
	struct dsp_pdf_opts o = { .json_name = "c.json", .signer = signer,
				  .signing_time = signer ? "2026-12-06T10:00:00Z" : NULL };
	struct buf m = { 0 };
	char *why = NULL;

	assert_int_equal(dsp_pdf_render(json, strlen(json), &o, put, &m, &why), 0);
	free(why);
	return m;
}

static int check(const struct buf *m, const char *json, const char *signer, char **why)
{
	struct dsp_pdf_opts o = { .signer = signer,
				  .signing_time = signer ? "2026-12-06T10:00:00Z" : NULL };

	*why = NULL;
	return dsp_pdf_check_mem("x.pdf", m->p, m->n, json, strlen(json), "c.json",
				 signer ? &o : NULL, why);
}

/* buf with every "from" replaced by "to" (same length) */
static void patch(struct buf *m, const char *from, const char *to)
{
	size_t l = strlen(from);
	int n = 0;

	assert_int_equal(l, strlen(to));
	for (char *p = m->p; (p = memmem(p, m->n - (size_t)(p - m->p), from, l)); p += l, n++)
		memcpy(p, to, l);
	assert_true(n > 0);
}

static void test_pdf_check_rendering_accepted(void **state)
{
	struct buf m = render(c1, "CN=test signer");
	char *why;

	(void)state;
	assert_int_equal(check(&m, c1, "CN=test signer", &why), 0);
	assert_null(why);
	free(m.p);
	m = render(c1, NULL);
	assert_int_equal(check(&m, c1, NULL, &why), 0);
	assert_null(why);
	free(m.p);
}

static void test_pdf_check_other_signer_refused(void **state)
{
	struct buf m = render(c1, "CN=test signer");
	char *why;

	(void)state;
	assert_int_equal(check(&m, c1, "CN=someone else", &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "x.pdf: not byte for byte this dispose's rendering of it "
			       "(byte "));
	assert_non_null(strstr(why, " differs; make the PDF again from the signed JSON: "
			       "dispose show --pdf)"));
	assert_null(strstr(why, "made by"));	/* this version made it */
	free(why);
	/* o NULL (dsp_pdf_check: no .p7s): no signer, so one named differs */
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	assert_null(strstr(why, "made by "));
	free(why);
	/* made by another version: said */
	patch(&m, "/Creator (dispose ", "/Creator (disposX ");
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "; made by disposX " DSP_VERSION " with cairo "));
	assert_non_null(strstr(why, ", this is dispose " DSP_VERSION " with cairo "));
	free(why);
	free(m.p);
}

/* anything but the same bytes: one byte of the file, bytes appended (an update), a cut */
static void test_pdf_check_bytes(void **state)
{
	struct buf m = render(c1, NULL);
	char *why, want[160];
	size_t n = m.n;

	(void)state;
	/* a byte no text extraction sees: the last digit of the xref offset, then restored */
	m.p[n - 8] ^= 1;
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	snprintf(want, sizeof(want), "(byte %zu differs; ", n - 7);
	assert_non_null(strstr(why, want));
	free(why);
	m.p[n - 8] ^= 1;
	assert_int_equal(check(&m, c1, NULL, &why), 0);
	/* an appended (incremental) update */
	put(&m, "\n% more\n", 8);
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	snprintf(want, sizeof(want), "(8 bytes more after its %zu; ", n);
	assert_non_null(strstr(why, want));
	free(why);
	free(m.p);
}

/* the recipe's name: a plain word is read back from the PDF; any other prints as CERT.json */
static void test_pdf_check_recipe_names(void **state)
{
	static const char *const name[] = { "renamed-1.2_x+y.json", "a b.json", "-x.json",
					    "c.json.p7s -content c.json -noverify #", "x.txt" };
	char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
		struct dsp_pdf_opts o = { .json_name = name[i] };
		struct buf m = { 0 };

		assert_int_equal(dsp_pdf_render(c1, strlen(c1), &o, put, &m, &why), 0);
		free(why);
		assert_int_equal(check(&m, c1, NULL, &why), 0);
		assert_null(why);
		/* printed as is only when plain (page text: it is in the content, compressed) */
		free(m.p);
	}
}

static void test_pdf_check_other_certificate_named(void **state)
{
	struct buf m = render(c2, NULL);
	char *why;

	(void)state;
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	assert_string_equal(why, "x.pdf: renders certificate 00000000-test-4000-8000-000000000002, "
			    "not 00000000-test-4000-8000-000000000001");
	free(why);
	free(m.p);
}

static void test_pdf_check_same_id_other_bytes(void **state)
{
	struct buf m = render(c1b, NULL);
	char *why;

	(void)state;
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "renders other bytes of certificate "
			       "00000000-test-4000-8000-000000000001 (sha256 "));
	free(why);
	free(m.p);
}

static void test_pdf_check_other_layout_refused(void **state)
{
	struct buf m = render(c1, NULL);
	char *why;

	(void)state;
	patch(&m, "(" DSP_PDF_LAYOUT " id=", "(dispose-pdf/9 id=");
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	assert_string_equal(why, "x.pdf: layout dispose-pdf/9, this dispose compares "
			    DSP_PDF_LAYOUT " only");
	free(why);
	free(m.p);
}

static void test_pdf_check_metadata_required(void **state)
{
	struct buf m = render(c1, NULL);
	char *why;

	(void)state;
	patch(&m, "/Keywords (", "/Keyworxx (");
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "x.pdf: not a dispose certificate PDF"));
	free(why);
	free(m.p);
	m = render(c1, NULL);
	patch(&m, "/Subject (", "/Subjecx (");
	assert_int_equal(check(&m, c1, NULL, &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "x.pdf: its subject does not name "));
	free(why);
	free(m.p);
}

static void test_pdf_check_not_a_pdf(void **state)
{
	struct buf m = render(c1, NULL);
	char *why;

	(void)state;
	m.n = 2000;	/* truncated */
	assert_int_equal(check(&m, c1, NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "x.pdf: not a PDF: "));
	free(why);
	memcpy(m.p, "GIF89", 5);
	assert_int_equal(check(&m, c1, NULL, &why), DSP_INVALID);
	assert_string_equal(why, "x.pdf: not a PDF: no %PDF- header");
	free(why);
	m.n = 0;
	assert_int_equal(check(&m, c1, NULL, &why), DSP_INVALID);
	free(why);
	free(m.p);
}

static void test_pdf_check_not_a_certificate(void **state)
{
	struct buf m = render(c1, NULL);
	char *why;

	(void)state;
	assert_int_equal(check(&m, "{\"a\": 1}", NULL, &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "x.pdf: c.json is not a certificate ("));
	free(why);
	free(m.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf_check_rendering_accepted),
		cmocka_unit_test(test_pdf_check_other_signer_refused),
		cmocka_unit_test(test_pdf_check_bytes),
		cmocka_unit_test(test_pdf_check_recipe_names),
		cmocka_unit_test(test_pdf_check_other_certificate_named),
		cmocka_unit_test(test_pdf_check_same_id_other_bytes),
		cmocka_unit_test(test_pdf_check_other_layout_refused),
		cmocka_unit_test(test_pdf_check_metadata_required),
		cmocka_unit_test(test_pdf_check_not_a_pdf),
		cmocka_unit_test(test_pdf_check_not_a_certificate),
	};

	dsp_log_set_syslog(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
