/* SPDX-License-Identifier: MIT */
/* test_method.c - method loader: shipped tables byte for byte, strict parser, search */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/common.h"
#include "dispose/method.h"

/*
 * Expected pass lists, written from reference/standards.md section 4
 * (4.2 compact table, 4.3 Gutmann table), not from the JSON files.
 */
#define PAT(...) { DSP_PASS_PATTERN, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }) }
#define RND { DSP_PASS_RANDOM, { 0 }, 0 }
#define RBYTE { DSP_PASS_RANDOM_BYTE, { 0 }, 0 }

struct exp_pass {
	enum dsp_pass_kind kind;
	uint8_t bytes[4];
	size_t len;
};

struct exp_method {
	const char *name;
	enum dsp_verify_mode verify;
	unsigned npasses;
	const struct exp_pass *passes;
};

static const struct exp_pass p_zero[] = { PAT(0x00) };
static const struct exp_pass p_one[] = { PAT(0xFF) };
static const struct exp_pass p_random[] = { RND };
static const struct exp_pass p_nist_clear[] = { PAT(0x00) };
static const struct exp_pass p_dod[] = { PAT(0x00), PAT(0xFF), RND };
/* E (00, FF, random) + C (one random character) + E */
static const struct exp_pass p_dod_ece[] = {
	PAT(0x00), PAT(0xFF), RND, RBYTE, PAT(0x00), PAT(0xFF), RND,
};
static const struct exp_pass p_gutmann[] = {
	RND, RND, RND, RND,				/* 1-4 */
	PAT(0x55), PAT(0xAA),				/* 5-6 */
	PAT(0x92, 0x49, 0x24), PAT(0x49, 0x24, 0x92),	/* 7-8 */
	PAT(0x24, 0x92, 0x49),				/* 9 */
	PAT(0x00), PAT(0x11), PAT(0x22), PAT(0x33),	/* 10-13 */
	PAT(0x44), PAT(0x55), PAT(0x66), PAT(0x77),	/* 14-17 */
	PAT(0x88), PAT(0x99), PAT(0xAA), PAT(0xBB),	/* 18-21 */
	PAT(0xCC), PAT(0xDD), PAT(0xEE), PAT(0xFF),	/* 22-25 */
	PAT(0x92, 0x49, 0x24), PAT(0x49, 0x24, 0x92),	/* 26-27 */
	PAT(0x24, 0x92, 0x49),				/* 28 */
	PAT(0x6D, 0xB6, 0xDB), PAT(0xB6, 0xDB, 0x6D),	/* 29-30 */
	PAT(0xDB, 0x6D, 0xB6),				/* 31 */
	RND, RND, RND, RND,				/* 32-35 */
};
static const struct exp_pass p_vsitr[] = {
	PAT(0x00), PAT(0xFF), PAT(0x00), PAT(0xFF), PAT(0x00), PAT(0xFF), PAT(0xAA),
};
static const struct exp_pass p_is5_base[] = { PAT(0x00) };
static const struct exp_pass p_is5_enh[] = { PAT(0x00), PAT(0xFF), RND };
static const struct exp_pass p_ops2[] = {
	PAT(0x00), PAT(0xFF), PAT(0x00), PAT(0xFF), PAT(0x00), PAT(0xFF), RND,
};
static const struct exp_pass p_afssi[] = { PAT(0x00), PAT(0xFF), RND };
static const struct exp_pass p_schneier[] = {
	PAT(0xFF), PAT(0x00), RND, RND, RND, RND, RND,
};

#define M(n, v, p) { n, v, DSP_ARRAY_SIZE(p), p }
static const struct exp_method shipped[] = {
	M("afssi-5020", DSP_VERIFY_LAST, p_afssi),
	M("bsi-vsitr", DSP_VERIFY_LAST, p_vsitr),
	M("dod-5220-22m", DSP_VERIFY_LAST, p_dod),
	M("dod-5220-22m-ece", DSP_VERIFY_LAST, p_dod_ece),
	M("gutmann", DSP_VERIFY_LAST, p_gutmann),
	M("hmg-is5-baseline", DSP_VERIFY_LAST, p_is5_base),
	M("hmg-is5-enhanced", DSP_VERIFY_LAST, p_is5_enh),
	M("nist-clear", DSP_VERIFY_ALL, p_nist_clear),
	M("one", DSP_VERIFY_LAST, p_one),
	M("random", DSP_VERIFY_LAST, p_random),
	M("rcmp-tssit-ops-ii", DSP_VERIFY_LAST, p_ops2),
	M("schneier", DSP_VERIFY_LAST, p_schneier),
	M("zero", DSP_VERIFY_LAST, p_zero),
};

static char srcdir[PATH_MAX];

static int setup(void **state)
{
	const char *s = getenv("DISPOSE_SRCDIR");
	char dir[PATH_MAX + 32];

	(void)state;
	snprintf(srcdir, sizeof(srcdir), "%s", s ? s : ".");
	snprintf(dir, sizeof(dir), "%s/profiles/methods", srcdir);
	setenv("DISPOSE_METHODS_DIR", dir, 1);
	return 0;
}

static void check_shipped(const struct exp_method *e)
{
	struct dsp_method *m = NULL;
	char err[512] = "";
	int rc;

	rc = dsp_method_find(e->name, &m, err, sizeof(err));
	if (rc)
		fail_msg("%s: rc %d: %s", e->name, rc, err);
	assert_string_equal(m->name, e->name);
	assert_int_equal(m->verify, e->verify);
	assert_int_equal(m->npasses, e->npasses);
	assert_true(m->variant[0] != '\0');
	assert_true(m->source[0] != '\0');
	assert_int_equal(strlen(m->sha256), 64);
	assert_non_null(strstr(m->path, "/profiles/methods/"));
	for (unsigned i = 0; i < e->npasses; i++) {
		const struct dsp_pass *p = &m->passes[i];
		const struct exp_pass *x = &e->passes[i];

		if (p->kind != x->kind)
			fail_msg("%s pass %u: kind %d, want %d", e->name, i + 1,
				 p->kind, x->kind);
		if (x->kind != DSP_PASS_PATTERN)
			continue;
		if (p->pattern_len != x->len || memcmp(p->pattern, x->bytes, x->len))
			fail_msg("%s pass %u: pattern differs", e->name, i + 1);
	}
	dsp_method_free(m);
}

#define SHIPPED_TEST(fn, idx) \
	static void fn(void **state) { (void)state; check_shipped(&shipped[idx]); }
SHIPPED_TEST(test_dsp_method_find_afssi_5020, 0)
SHIPPED_TEST(test_dsp_method_find_bsi_vsitr, 1)
SHIPPED_TEST(test_dsp_method_find_dod_5220_22m, 2)
SHIPPED_TEST(test_dsp_method_find_dod_5220_22m_ece, 3)
SHIPPED_TEST(test_dsp_method_find_gutmann, 4)
SHIPPED_TEST(test_dsp_method_find_hmg_is5_baseline, 5)
SHIPPED_TEST(test_dsp_method_find_hmg_is5_enhanced, 6)
SHIPPED_TEST(test_dsp_method_find_nist_clear, 7)
SHIPPED_TEST(test_dsp_method_find_one, 8)
SHIPPED_TEST(test_dsp_method_find_random, 9)
SHIPPED_TEST(test_dsp_method_find_rcmp_tssit_ops_ii, 10)
SHIPPED_TEST(test_dsp_method_find_schneier, 11)
SHIPPED_TEST(test_dsp_method_find_zero, 12)

static void test_dsp_method_names_lists_all_shipped(void **state)
{
	char **names;
	size_t n;

	(void)state;
	assert_int_equal(dsp_method_names(&names, &n), 0);
	assert_int_equal(n, DSP_ARRAY_SIZE(shipped));
	for (size_t i = 0; i < n; i++)	/* sorted, like the table */
		assert_string_equal(names[i], shipped[i].name);
	dsp_method_names_free(names, n);
}

static void test_dsp_method_find_gutmann_labels(void **state)
{
	struct dsp_method *m;
	char err[256];

	(void)state;
	assert_int_equal(dsp_method_find("gutmann", &m, err, sizeof(err)), 0);
	assert_string_equal(m->passes[0].label, "random");
	assert_string_equal(m->passes[4].label, "0x55");
	assert_string_equal(m->passes[6].label, "92 49 24");
	assert_string_equal(m->passes[28].label, "6D B6 DB");
	assert_string_equal(m->passes[34].label, "random");
	dsp_method_free(m);
}

/*
 * Every file in tests/data/methods-bad/ with the field its message must
 * name. A file missing from this table fails the test, so the corpus and
 * the expectations cannot drift apart.
 */
static const struct {
	const char *file;
	const char *field;
} bad[] = {
	{ "bad-hex.json", "passes[2].pattern: not a hex string" },
	{ "blank-pattern.json", "passes[0].pattern: empty" },
	{ "comment.json", "json: " },
	{ "complement-after-random.json", "passes[2].type: complement" },
	{ "complement-first.json", "passes[0].type: complement" },
	{ "description-array.json", "description: not a string" },
	{ "duplicate-key.json", "name: duplicate key" },
	{ "duplicate-pass-key.json", "passes[0].pattern: duplicate key" },
	{ "empty-file.json", "json: empty document" },
	{ "empty-name.json", "name: empty" },
	{ "empty-pattern.json", "passes[0].pattern: empty" },
	{ "empty-source.json", "source: empty" },
	{ "empty-variant.json", "variant: empty" },
	{ "hex-split-byte.json", "passes[0].pattern: not a hex string" },
	{ "missing-name.json", "name: missing" },
	{ "missing-passes.json", "passes: missing" },
	{ "missing-schema.json", "schema: missing" },
	{ "missing-source.json", "source: missing" },
	{ "missing-variant.json", "variant: missing" },
	{ "name-number.json", "name: not a string" },
	{ "name-slash.json", "name: not a valid name" },
	{ "name-too-long.json", "name: longer than 63 bytes" },
	{ "name-upper.json", "name: not a valid name" },
	{ "nan-literal.json", "description: " },
	{ "no-passes.json", "passes: empty" },
	{ "non-utf8.json", "file: not valid UTF-8" },
	{ "nul-byte.json", "file: contains a NUL byte" },
	{ "odd-hex.json", "passes[0].pattern: not a hex string" },
	{ "overlong-utf8.json", "file: not valid UTF-8" },
	{ "pass-missing-type.json", "passes[0].type: missing" },
	{ "pass-not-object.json", "passes[0]: not an object" },
	{ "pass-type-number.json", "passes[0].type: not a string" },
	{ "passes-object.json", "passes: not an array" },
	{ "pattern-missing.json", "passes[0].pattern: missing" },
	{ "pattern-number.json", "passes[0].pattern: not a string" },
	{ "pattern-on-random.json", "passes[0].pattern: not allowed" },
	{ "pattern-too-long.json", "passes[0].pattern: longer than 64 bytes" },
	{ "sample-empty.json", "verify: " },
	{ "sample-junk.json", "verify: " },
	{ "sample-nan.json", "verify: " },
	{ "sample-negative.json", "verify: " },
	{ "sample-over-100.json", "verify: " },
	{ "sample-zero.json", "verify: " },
	{ "schema-number.json", "schema: not a string" },
	{ "single-quotes.json", "json: " },
	{ "source-control-char.json", "source: contains a control character" },
	{ "source-too-long.json", "source: longer than 511 bytes" },
	{ "string-nul.json", "variant: contains a NUL" },
	{ "too-many-passes.json", "passes: 101 passes, more than 100" },
	{ "top-level-array.json", "document: not a JSON object" },
	{ "top-level-string.json", "document: not a JSON object" },
	{ "trailing-comma.json", "json: " },
	{ "trailing-garbage.json", "json: trailing garbage" },
	{ "truncated.json", "json: unexpected end of document" },
	{ "two-documents.json", "json: trailing garbage" },
	{ "unknown-field.json", "colour: unknown field" },
	{ "unknown-pass-field.json", "passes[0].count: unknown field" },
	{ "unknown-pass-type.json", "passes[1].type: unknown pass type" },
	{ "unknown-verify.json", "verify: unknown mode" },
	{ "utf16.json", "file: " },
	{ "verify-bool.json", "verify: not a string" },
	{ "whitespace-only.json", "json: empty document" },
	{ "wrong-schema.json", "schema: " },
};

static void test_dsp_method_load_file_bad_corpus(void **state)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 300], err[1024], want[PATH_MAX + 400];
	struct dirent *de;
	size_t seen = 0;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/data/methods-bad", srcdir);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		struct dsp_method *m = (struct dsp_method *)1;
		size_t i;
		int rc;

		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < DSP_ARRAY_SIZE(bad); i++)
			if (!strcmp(bad[i].file, de->d_name))
				break;
		if (i == DSP_ARRAY_SIZE(bad))
			fail_msg("%s: not in the test's table", de->d_name);
		seen++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err[0] = '\0';
		rc = dsp_method_load_file(path, &m, err, sizeof(err));
		if (rc != DSP_INVALID)
			fail_msg("%s: rc %d, want DSP_INVALID (%s)", de->d_name, rc, err);
		assert_null(m);
		/* "<file>: <field>: <what>" */
		snprintf(want, sizeof(want), "%s: %s", path, bad[i].field);
		if (strncmp(err, want, strlen(want)))
			fail_msg("%s: message \"%s\", want prefix \"%s\"", de->d_name,
				 err, want);
		assert_null(strchr(err, '\n'));
	}
	closedir(d);
	assert_int_equal(seen, DSP_ARRAY_SIZE(bad));
}

static const char good[] =
	"{\"schema\":\"dispose-method/1\",\"name\":\"t\",\"variant\":\"v\","
	"\"source\":\"s\",\"passes\":[{\"type\":\"random\"}]}";

static int parse(const char *text, struct dsp_method **m, char *err, size_t n)
{
	return dsp_method_parse(text, strlen(text), "mem.json", m, err, n);
}

static void test_dsp_method_parse_minimal_defaults(void **state)
{
	struct dsp_method *m;
	char err[256];

	(void)state;
	assert_int_equal(parse(good, &m, err, sizeof(err)), 0);
	assert_string_equal(m->name, "t");
	assert_int_equal(m->verify, DSP_VERIFY_LAST);	/* not stated -> last */
	assert_true(m->sample_percent == 10.0);
	assert_string_equal(m->description, "");
	assert_string_equal(m->path, "");
	/* sha256 of exactly these bytes (python3 hashlib) */
	assert_string_equal(m->sha256,
		"75b56042bd6deed69bf562677e92371d63cda35b29c6499ae6e91d5f4be6a0c4");
	dsp_method_free(m);
}

static void test_dsp_method_parse_hex_forms_equal(void **state)
{
	static const char *forms[] = { "92 49 24", "924924", "0x92 0x49 0x24",
				       "  9249 24\t", "92 49 24" };
	static const uint8_t want[] = { 0x92, 0x49, 0x24 };
	char doc[512], err[256];

	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(forms); i++) {
		struct dsp_method *m;

		snprintf(doc, sizeof(doc),
			 "{\"schema\":\"dispose-method/1\",\"name\":\"t\",\"variant\":\"v\","
			 "\"source\":\"s\",\"passes\":[{\"type\":\"pattern\",\"pattern\":\"%s\"}]}",
			 forms[i]);
		if (parse(doc, &m, err, sizeof(err)))
			fail_msg("%s: %s", forms[i], err);
		assert_int_equal(m->passes[0].pattern_len, 3);
		assert_memory_equal(m->passes[0].pattern, want, 3);
		assert_string_equal(m->passes[0].label, "92 49 24");
		dsp_method_free(m);
	}
}

static char *doc_with_passes(unsigned n, const char *pass)
{
	size_t cap = 256 + (size_t)n * (strlen(pass) + 2);
	char *d = malloc(cap);
	size_t o;

	assert_non_null(d);
	o = (size_t)snprintf(d, cap, "{\"schema\":\"dispose-method/1\",\"name\":\"t\","
			     "\"variant\":\"v\",\"source\":\"s\",\"passes\":[");
	for (unsigned i = 0; i < n; i++)
		o += (size_t)snprintf(d + o, cap - o, "%s%s", i ? "," : "", pass);
	snprintf(d + o, cap - o, "]}");
	return d;
}

static void test_dsp_method_parse_limits_inclusive(void **state)
{
	struct dsp_method *m;
	char err[256], pass[256], hex[2 * DSP_PATTERN_MAX + 1];
	char *d;

	(void)state;
	d = doc_with_passes(DSP_METHOD_MAX_PASSES, "{\"type\":\"random\"}");
	assert_int_equal(parse(d, &m, err, sizeof(err)), 0);
	assert_int_equal(m->npasses, DSP_METHOD_MAX_PASSES);
	dsp_method_free(m);
	free(d);

	for (int i = 0; i < DSP_PATTERN_MAX; i++)
		snprintf(hex + 2 * i, 3, "%02x", i);
	snprintf(pass, sizeof(pass), "{\"type\":\"pattern\",\"pattern\":\"%s\"}", hex);
	d = doc_with_passes(1, pass);
	assert_int_equal(parse(d, &m, err, sizeof(err)), 0);
	assert_int_equal(m->passes[0].pattern_len, DSP_PATTERN_MAX);
	assert_int_equal(m->passes[0].pattern[63], 63);
	/* a long pattern's label says how long it is, within the label size */
	assert_non_null(strstr(m->passes[0].label, "(64 bytes)"));
	dsp_method_free(m);
	free(d);
}

static void test_dsp_method_parse_oversized_invalid(void **state)
{
	size_t len = DSP_METHOD_FILE_MAX + 1;
	char *big = malloc(len), err[256];
	struct dsp_method *m;

	(void)state;
	assert_non_null(big);
	memset(big, ' ', len);
	memcpy(big, good, strlen(good));	/* valid JSON + trailing spaces */
	assert_int_equal(dsp_method_parse(big, len, "big.json", &m, err, sizeof(err)),
			 DSP_INVALID);
	assert_string_equal(err, "big.json: file: larger than 65536 bytes");
	/* one byte less is accepted */
	assert_int_equal(dsp_method_parse(big, len - 1, "big.json", &m, err, sizeof(err)), 0);
	dsp_method_free(m);
	free(big);
}

static void test_dsp_method_load_file_oversized_invalid(void **state)
{
	char path[] = "/tmp/test_method.XXXXXX", err[512];
	struct dsp_method *m;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	assert_int_equal(ftruncate(fd, DSP_METHOD_FILE_MAX + 10), 0);
	close(fd);
	assert_int_equal(dsp_method_load_file(path, &m, err, sizeof(err)), DSP_INVALID);
	assert_non_null(strstr(err, ": file: larger than"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	unlink(path);
}

static void test_dsp_method_parse_complement_labels(void **state)
{
	struct dsp_method *m;
	char err[256];
	char *d;

	(void)state;
	d = doc_with_passes(1, "{\"type\":\"pattern\",\"pattern\":\"00\"},"
			       "{\"type\":\"complement\"},{\"type\":\"random-byte\"},"
			       "{\"type\":\"complement\",\"note\":\"~X\"},{\"type\":\"random\"}");
	assert_int_equal(parse(d, &m, err, sizeof(err)), 0);
	assert_int_equal(m->npasses, 5);
	assert_int_equal(m->passes[1].kind, DSP_PASS_COMPLEMENT);
	assert_string_equal(m->passes[1].label, "complement (0xFF)");
	assert_int_equal(m->passes[2].kind, DSP_PASS_RANDOM_BYTE);
	assert_string_equal(m->passes[3].label, "complement");
	dsp_method_free(m);
	free(d);
}

static void test_dsp_method_parse_message_has_origin(void **state)
{
	struct dsp_method *m = NULL;
	char err[256];
	char *d = doc_with_passes(3, "{\"type\":\"pattern\",\"pattern\":\"00\"}");

	(void)state;
	/* break the third pattern: brief's example message, exactly */
	char *p = strrchr(d, '0');

	*p = 'g';
	assert_int_equal(dsp_method_parse(d, strlen(d), "bad.json", &m, err, sizeof(err)),
			 DSP_INVALID);
	assert_string_equal(err, "bad.json: passes[2].pattern: not a hex string");
	assert_null(m);
	free(d);
}

static void test_dsp_method_parse_tiny_errbuf_safe(void **state)
{
	struct dsp_method *m;
	char err[8];

	(void)state;
	assert_int_equal(parse("{}", &m, err, sizeof(err)), DSP_INVALID);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(parse("{}", &m, NULL, 0), DSP_INVALID);
}

static void test_dsp_verify_mode_parse_valid(void **state)
{
	enum dsp_verify_mode v;
	double p;

	(void)state;
	assert_int_equal(dsp_verify_mode_parse("none", &v, &p), 0);
	assert_int_equal(v, DSP_VERIFY_NONE);
	assert_int_equal(dsp_verify_mode_parse("last", &v, &p), 0);
	assert_int_equal(v, DSP_VERIFY_LAST);
	assert_int_equal(dsp_verify_mode_parse("all", &v, &p), 0);
	assert_int_equal(v, DSP_VERIFY_ALL);
	assert_int_equal(dsp_verify_mode_parse("sample", &v, &p), 0);
	assert_int_equal(v, DSP_VERIFY_SAMPLE);
	assert_true(p == 10.0);
	assert_int_equal(dsp_verify_mode_parse("sample:2.5", &v, &p), 0);
	assert_true(p == 2.5);
	assert_int_equal(dsp_verify_mode_parse("sample:100", &v, &p), 0);
	assert_true(p == 100.0);
	assert_int_equal(dsp_verify_mode_parse("sample:0.001", &v, NULL), 0);
	assert_string_equal(dsp_verify_mode_name(DSP_VERIFY_SAMPLE), "sample");
	assert_string_equal(dsp_verify_mode_name(DSP_VERIFY_ALL), "all");
	assert_string_equal(dsp_pass_kind_name(DSP_PASS_RANDOM_BYTE), "random-byte");
	assert_string_equal(dsp_pass_kind_name(DSP_PASS_COMPLEMENT), "complement");
}

static void test_dsp_verify_mode_parse_invalid(void **state)
{
	static const char *badv[] = { "", "Last", "full", "sample:", "sample:0",
				      "sample:100.01", "sample:-1", "sample:nan",
				      "sample:inf", "sample: 5", "sample:5%", "sample:1e1",
				      "sample:0x10", "sample:.5", "sample:5..", "last " };
	enum dsp_verify_mode v = DSP_VERIFY_NONE;
	double p = 42;

	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(badv); i++) {
		if (dsp_verify_mode_parse(badv[i], &v, &p) != DSP_INVALID)
			fail_msg("\"%s\" accepted", badv[i]);
	}
	assert_int_equal(v, DSP_VERIFY_NONE);	/* untouched on error */
	assert_true(p == 42);
	assert_int_equal(dsp_verify_mode_parse(NULL, &v, &p), DSP_INVALID);
}

static void test_dsp_method_to_json_record_fields(void **state)
{
	struct dsp_method *m;
	struct json_object *o, *v;
	char err[256];

	(void)state;
	assert_int_equal(dsp_method_find("dod-5220-22m", &m, err, sizeof(err)), 0);
	o = dsp_method_to_json(m);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "name", &v));
	assert_string_equal(json_object_get_string(v), "dod-5220-22m");
	assert_true(json_object_object_get_ex(o, "variant", &v));
	assert_string_equal(json_object_get_string(v), m->variant);
	assert_true(json_object_object_get_ex(o, "source", &v));
	assert_true(json_object_object_get_ex(o, "sha256", &v));
	assert_string_equal(json_object_get_string(v), m->sha256);
	assert_true(json_object_object_get_ex(o, "verify", &v));
	assert_string_equal(json_object_get_string(v), "last");
	assert_false(json_object_object_get_ex(o, "sample_percent", &v));
	assert_true(json_object_object_get_ex(o, "passes", &v));
	assert_int_equal(json_object_array_length(v), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "0x00");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "0xFF");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 2)), "random");
	json_object_put(o);
	dsp_method_free(m);
}

static void test_dsp_method_find_unknown_enoent(void **state)
{
	struct dsp_method *m = (struct dsp_method *)1;
	char err[256];

	(void)state;
	assert_int_equal(dsp_method_find("no-such-method", &m, err, sizeof(err)), -ENOENT);
	assert_null(m);
	assert_string_equal(err, "no-such-method: unknown method");
	assert_int_equal(dsp_method_find("Zero", &m, err, sizeof(err)), DSP_INVALID);
	assert_int_equal(dsp_method_find("/nonexistent/x.json", &m, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.json: "));
}

static void test_dsp_method_find_env_dir_first(void **state)
{
	char dir[] = "/tmp/test_method_dir.XXXXXX", path[128], err[512];
	const char *old = getenv("DISPOSE_METHODS_DIR");
	char saved[PATH_MAX];
	struct dsp_method *m;
	FILE *f;

	(void)state;
	snprintf(saved, sizeof(saved), "%s", old ? old : "");
	assert_non_null(mkdtemp(dir));
	setenv("DISPOSE_METHODS_DIR", dir, 1);

	/* a custom "zero" here shadows the shipped one */
	snprintf(path, sizeof(path), "%s/zero.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"schema\":\"dispose-method/1\",\"name\":\"zero\",\"variant\":\"custom\","
	      "\"source\":\"test\",\"verify\":\"sample:5\",\"passes\":[{\"type\":\"random\"}]}", f);
	fclose(f);
	assert_int_equal(dsp_method_find("zero", &m, err, sizeof(err)), 0);
	assert_string_equal(m->variant, "custom");
	assert_int_equal(m->verify, DSP_VERIFY_SAMPLE);
	assert_true(m->sample_percent == 5.0);
	dsp_method_free(m);
	assert_string_equal(dsp_method_dir(), dir);

	/* names not in the first directory are found further down */
	assert_int_equal(dsp_method_find("gutmann", &m, err, sizeof(err)), 0);
	dsp_method_free(m);

	/* the name inside must match the file name */
	snprintf(path, sizeof(path), "%s/alias.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"schema\":\"dispose-method/1\",\"name\":\"other\",\"variant\":\"v\","
	      "\"source\":\"s\",\"passes\":[{\"type\":\"random\"}]}", f);
	fclose(f);
	assert_int_equal(dsp_method_find("alias", &m, err, sizeof(err)), DSP_INVALID);
	assert_non_null(strstr(err, "alias.json: name: "));
	unlink(path);

	/* a directory given as a method file */
	assert_int_equal(dsp_method_load_file(dir, &m, err, sizeof(err)), DSP_INVALID);
	assert_non_null(strstr(err, ": file: not a regular file"));

	snprintf(path, sizeof(path), "%s/zero.json", dir);
	unlink(path);
	rmdir(dir);
	setenv("DISPOSE_METHODS_DIR", saved, 1);
}

static void test_dsp_method_name_valid_rules(void **state)
{
	(void)state;
	assert_true(dsp_method_name_valid("dod-5220-22m"));
	assert_true(dsp_method_name_valid("a.b_c"));
	assert_true(dsp_method_name_valid("9"));
	assert_false(dsp_method_name_valid(""));
	assert_false(dsp_method_name_valid(NULL));
	assert_false(dsp_method_name_valid("-x"));
	assert_false(dsp_method_name_valid(".hidden"));
	assert_false(dsp_method_name_valid("a/b"));
	assert_false(dsp_method_name_valid("A"));
	assert_false(dsp_method_name_valid("a b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_method_find_afssi_5020),
		cmocka_unit_test(test_dsp_method_find_bsi_vsitr),
		cmocka_unit_test(test_dsp_method_find_dod_5220_22m),
		cmocka_unit_test(test_dsp_method_find_dod_5220_22m_ece),
		cmocka_unit_test(test_dsp_method_find_gutmann),
		cmocka_unit_test(test_dsp_method_find_hmg_is5_baseline),
		cmocka_unit_test(test_dsp_method_find_hmg_is5_enhanced),
		cmocka_unit_test(test_dsp_method_find_nist_clear),
		cmocka_unit_test(test_dsp_method_find_one),
		cmocka_unit_test(test_dsp_method_find_random),
		cmocka_unit_test(test_dsp_method_find_rcmp_tssit_ops_ii),
		cmocka_unit_test(test_dsp_method_find_schneier),
		cmocka_unit_test(test_dsp_method_find_zero),
		cmocka_unit_test(test_dsp_method_names_lists_all_shipped),
		cmocka_unit_test(test_dsp_method_find_gutmann_labels),
		cmocka_unit_test(test_dsp_method_load_file_bad_corpus),
		cmocka_unit_test(test_dsp_method_parse_minimal_defaults),
		cmocka_unit_test(test_dsp_method_parse_hex_forms_equal),
		cmocka_unit_test(test_dsp_method_parse_limits_inclusive),
		cmocka_unit_test(test_dsp_method_parse_oversized_invalid),
		cmocka_unit_test(test_dsp_method_load_file_oversized_invalid),
		cmocka_unit_test(test_dsp_method_parse_complement_labels),
		cmocka_unit_test(test_dsp_method_parse_message_has_origin),
		cmocka_unit_test(test_dsp_method_parse_tiny_errbuf_safe),
		cmocka_unit_test(test_dsp_verify_mode_parse_valid),
		cmocka_unit_test(test_dsp_verify_mode_parse_invalid),
		cmocka_unit_test(test_dsp_method_to_json_record_fields),
		cmocka_unit_test(test_dsp_method_find_unknown_enoent),
		cmocka_unit_test(test_dsp_method_find_env_dir_first),
		cmocka_unit_test(test_dsp_method_name_valid_rules),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
