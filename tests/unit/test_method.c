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
#include "dispose/log.h"
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

/* Shipped methods that are no overwrite: technique, action, requested category. */
static const struct {
	const char *name;
	enum dsp_technique technique;
	enum dsp_method_action action;
	enum dsp_category category;
} shipped_tech[] = {
	{ "auto", DSP_TECH_AUTO, DSP_ACT_NONE, DSP_CAT_CLEAR },
	{ "crypto-luks", DSP_TECH_CRYPTO_LUKS, DSP_ACT_NONE, DSP_CAT_PURGE },
	{ "format-crypto", DSP_TECH_SANITIZE, DSP_ACT_FORMAT_CRYPTO, DSP_CAT_PURGE },
	{ "format-user-data", DSP_TECH_SANITIZE, DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR },
	{ "sanitize-block", DSP_TECH_SANITIZE, DSP_ACT_BLOCK, DSP_CAT_PURGE },
	{ "sanitize-crypto", DSP_TECH_SANITIZE, DSP_ACT_CRYPTO, DSP_CAT_PURGE },
	{ "sanitize-overwrite", DSP_TECH_SANITIZE, DSP_ACT_OVERWRITE, DSP_CAT_PURGE },
};
#define NSHIPPED (DSP_ARRAY_SIZE(shipped) + DSP_ARRAY_SIZE(shipped_tech))

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
	/* dispose-method/1 files: an overwrite asking for clear (each verifies) */
	assert_int_equal(m->schema, 1);
	assert_int_equal(m->technique, DSP_TECH_OVERWRITE);
	assert_int_equal(m->action, DSP_ACT_NONE);
	assert_int_equal(m->category, DSP_CAT_CLEAR);
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

/* The shipped methods of other techniques: no passes, no verification of ours. */
static void test_dsp_method_find_techniques(void **state)
{
	struct dsp_method *m;
	struct json_object *j, *x;
	char err[512] = "";

	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(shipped_tech); i++) {
		if (dsp_method_find(shipped_tech[i].name, &m, err, sizeof(err)))
			fail_msg("%s: %s", shipped_tech[i].name, err);
		assert_string_equal(m->name, shipped_tech[i].name);
		assert_int_equal(m->schema, 2);
		assert_int_equal(m->technique, shipped_tech[i].technique);
		assert_int_equal(m->action, shipped_tech[i].action);
		assert_int_equal(m->category, shipped_tech[i].category);
		assert_int_equal(m->npasses, 0);
		assert_null(m->passes);
		assert_int_equal(m->verify, DSP_VERIFY_NONE);
		assert_int_equal(strlen(m->sha256), 64);
		/* the record says technique, requested category and (sanitize) action */
		j = dsp_method_to_json(m);
		assert_non_null(j);
		assert_true(json_object_object_get_ex(j, "technique", &x));
		assert_string_equal(json_object_get_string(x),
				    dsp_technique_name(shipped_tech[i].technique));
		assert_true(json_object_object_get_ex(j, "category", &x));
		assert_string_equal(json_object_get_string(x),
				    dsp_category_name(shipped_tech[i].category));
		assert_int_equal(json_object_object_get_ex(j, "action", &x),
				 shipped_tech[i].technique == DSP_TECH_SANITIZE);
		if (shipped_tech[i].technique == DSP_TECH_SANITIZE)
			assert_string_equal(json_object_get_string(x),
					    dsp_method_action_name(shipped_tech[i].action));
		json_object_put(j);
		dsp_method_free(m);
	}
}

/*
 * A /1 file's requested category follows its verification; the names of
 * every technique, action and category parse back in a /2 document.
 */
static void test_dsp_method_parse_v2_values(void **state)
{
	static const char *const techs[] = { "overwrite", "crypto-luks", "sanitize", "auto" };
	static const char *const acts[] = { "crypto", "block", "overwrite", "format-user-data",
		"format-crypto", "secdiscard", "ata-security-erase" };
	static const char *const cats[] = { "none", "clear", "purge" };
	char doc[512], err[512] = "";
	struct dsp_method *m;

	(void)state;
	snprintf(doc, sizeof(doc), "{\"schema\":\"dispose-method/1\",\"name\":\"n\",\"variant\":\"v\","
		 "\"source\":\"s\",\"verify\":\"none\",\"passes\":[{\"type\":\"random\"}]}");
	assert_int_equal(dsp_method_parse(doc, strlen(doc), "t.json", &m, err, sizeof(err)), 0);
	assert_int_equal(m->category, DSP_CAT_NONE);
	assert_int_equal(m->technique, DSP_TECH_OVERWRITE);
	dsp_method_free(m);
	for (size_t t = 0; t < DSP_ARRAY_SIZE(techs); t++) {
		for (size_t c = 0; c < DSP_ARRAY_SIZE(cats); c++) {
			int ow = t == 0, ok = !(ow && c == 2);

			snprintf(doc, sizeof(doc), "{\"schema\":\"dispose-method/2\",\"name\":\"n\","
				 "\"variant\":\"v\",\"source\":\"s\",\"technique\":\"%s\",%s"
				 "\"category\":\"%s\"%s}", techs[t],
				 t == 2 ? "\"action\":\"block\"," : "", cats[c],
				 ow ? ",\"passes\":[{\"type\":\"random\"}]" : "");
			err[0] = '\0';
			int rc = dsp_method_parse(doc, strlen(doc), "t.json", &m, err, sizeof(err));

			if (!ok) {
				assert_int_equal(rc, DSP_INVALID);
				continue;
			}
			if (rc)
				fail_msg("%s/%s: %s", techs[t], cats[c], err);
			assert_string_equal(dsp_technique_name(m->technique), techs[t]);
			assert_string_equal(dsp_category_name(m->category), cats[c]);
			assert_int_equal(m->npasses, ow ? 1u : 0u);
			dsp_method_free(m);
		}
	}
	for (size_t a = 0; a < DSP_ARRAY_SIZE(acts); a++) {
		snprintf(doc, sizeof(doc), "{\"schema\":\"dispose-method/2\",\"name\":\"n\","
			 "\"variant\":\"v\",\"source\":\"s\",\"technique\":\"sanitize\","
			 "\"action\":\"%s\",\"category\":\"purge\"}", acts[a]);
		if (dsp_method_parse(doc, strlen(doc), "t.json", &m, err, sizeof(err)))
			fail_msg("%s: %s", acts[a], err);
		assert_string_equal(dsp_method_action_name(m->action), acts[a]);
		dsp_method_free(m);
	}
	/* the SHA-256 covers the new members: one word changed, another digest */
	{
		const char *a = "{\"schema\":\"dispose-method/2\",\"name\":\"n\",\"variant\":\"v\","
				"\"source\":\"s\",\"technique\":\"sanitize\",\"action\":\"block\","
				"\"category\":\"purge\"}";
		const char *b = "{\"schema\":\"dispose-method/2\",\"name\":\"n\",\"variant\":\"v\","
				"\"source\":\"s\",\"technique\":\"sanitize\",\"action\":\"crypto\","
				"\"category\":\"purge\"}";
		struct dsp_method *mb;

		assert_int_equal(dsp_method_parse(a, strlen(a), "a", &m, err, sizeof(err)), 0);
		assert_int_equal(dsp_method_parse(b, strlen(b), "b", &mb, err, sizeof(err)), 0);
		assert_string_not_equal(m->sha256, mb->sha256);
		dsp_method_free(m);
		dsp_method_free(mb);
	}
}

static void test_dsp_method_list_shipped_only(void **state)
{
	struct dsp_method_entry *v;
	size_t n;

	(void)state;
	/* setup points DISPOSE_METHODS_DIR at the shipped directory: nothing added */
	assert_null(dsp_method_user_dir());
	assert_int_equal(dsp_method_list(&v, &n), 0);
	assert_int_equal(n, NSHIPPED);
	/* sorted by name: merge the two tables (each sorted) */
	for (size_t i = 0, a = 0, b = 0; i < n; i++) {
		const char *want;

		if (b == DSP_ARRAY_SIZE(shipped_tech) ||
		    (a < DSP_ARRAY_SIZE(shipped) && strcmp(shipped[a].name, shipped_tech[b].name) < 0))
			want = shipped[a++].name;
		else
			want = shipped_tech[b++].name;
		assert_string_equal(v[i].name, want);
		assert_int_equal(v[i].rc, 0);
		assert_int_equal(v[i].origin, DSP_METHOD_SHIPPED);
		assert_string_equal(v[i].method->name, want);
	}
	dsp_method_list_free(v, n);
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
 * Every file in tests/data/methods-bad/ with the start of its message: the
 * field, and for a schema error what was expected. A file missing from this table fails the test, so the corpus and
 * the expectations cannot drift apart.
 */
static const struct {
	const char *file;
	const char *field;
} bad[] = {
	{ "bad-hex.json", "passes[2].pattern: not a hex string, expected 1 to 64 hex byte pairs" },
	{ "blank-pattern.json", "passes[0].pattern: empty, expected 1 to 64 hex" },
	{ "comment.json", "json: " },
	{ "complement-after-random.json", "passes[2].type: complement cannot follow a random pass, expected a pattern, random-byte or complement pass before it" },
	{ "complement-first.json", "passes[0].type: complement cannot be the first pass, expected " },
	{ "description-array.json", "description: expected a string, got an array" },
	{ "duplicate-key.json", "name: duplicate key, expected each key once" },
	{ "duplicate-pass-key.json", "passes[0].pattern: duplicate key, expected " },
	{ "empty-file.json", "json: empty document" },
	{ "empty-name.json", "name: empty, expected a string of 1 to 63 bytes" },
	{ "empty-pattern.json", "passes[0].pattern: empty, expected " },
	{ "empty-source.json", "source: empty, expected a string of 1 to 511 bytes" },
	{ "empty-variant.json", "variant: empty, expected a string of 1 to 127 bytes" },
	{ "hex-split-byte.json", "passes[0].pattern: not a hex string (each byte needs two hex digits), expected " },
	{ "missing-name.json", "name: missing, expected a string of 1 to 63 bytes" },
	{ "missing-passes.json", "passes: missing, expected an array of 1 to 100 pass objects" },
	{ "missing-schema.json", "schema: missing, expected \"dispose-method/1\" or \"dispose-method/2\"" },
	{ "missing-source.json", "source: missing, expected a string" },
	{ "missing-variant.json", "variant: missing, expected a string" },
	{ "name-number.json", "name: expected a string, got a number" },
	{ "name-slash.json", "name: \"../etc/passwd\" is not a valid name, expected 1 to 63 of a-z, 0-9" },
	{ "name-too-long.json", "name: longer than 63 bytes, expected at most 63" },
	{ "name-upper.json", "name: \"Zero\" is not a valid name, expected 1 to 63 of a-z, 0-9" },
	{ "nan-literal.json", "description: " },
	{ "no-passes.json", "passes: empty, expected 1 to 100 pass objects" },
	{ "non-utf8.json", "file: not valid UTF-8" },
	{ "nul-byte.json", "file: contains a NUL byte" },
	{ "odd-hex.json", "passes[0].pattern: not a hex string" },
	{ "overlong-utf8.json", "file: not valid UTF-8" },
	{ "pass-missing-type.json", "passes[0].type: missing, expected one of pattern, random, random-byte, complement" },
	{ "pass-not-object.json", "passes[0]: expected a pass object, got a string" },
	{ "pass-type-number.json", "passes[0].type: expected a string, got a number" },
	{ "passes-object.json", "passes: expected an array of 1 to 100 pass objects, got an object" },
	{ "pattern-missing.json", "passes[0].pattern: missing, expected 1 to 64 hex byte pairs, such as \"92 49 24\"" },
	{ "pattern-number.json", "passes[0].pattern: expected a string, got a number" },
	{ "pattern-on-random.json", "passes[0].pattern: not allowed for a random pass, expected only in a pattern pass" },
	{ "pattern-too-long.json", "passes[0].pattern: longer than 64 bytes, expected 1 to 64" },
	{ "sample-empty.json", "verify: \"sample:\" has no valid percent, expected sample:P with P a plain decimal in (0,100]" },
	{ "sample-junk.json", "verify: \"sample:10x\" has no valid percent, expected " },
	{ "sample-nan.json", "verify: \"sample:nan\" has no valid percent, expected " },
	{ "sample-negative.json", "verify: \"sample:-" },
	{ "sample-over-100.json", "verify: \"sample:100.5\" has no valid percent, expected " },
	{ "sample-zero.json", "verify: \"sample:0" },
	{ "schema-number.json", "schema: expected a string, got a number" },
	{ "single-quotes.json", "json: " },
	{ "source-control-char.json", "source: contains a control character, expected one line of text" },
	{ "source-too-long.json", "source: longer than 511 bytes, expected at most 511" },
	{ "string-nul.json", "variant: contains a NUL character, expected text" },
	{ "too-many-passes.json", "passes: 101 passes, expected at most 100" },
	{ "top-level-array.json", "document: expected a JSON object, got an array" },
	{ "top-level-string.json", "document: expected a JSON object, got a string" },
	{ "trailing-comma.json", "json: " },
	{ "trailing-garbage.json", "json: trailing garbage" },
	{ "truncated.json", "json: unexpected end of document" },
	{ "two-documents.json", "json: trailing garbage" },
	{ "unknown-field.json", "colour: unknown field, expected one of schema, name, variant, description, source, verify, passes" },
	{ "unknown-pass-field.json", "passes[0].count: unknown field, expected one of type, pattern, note" },
	{ "unknown-pass-type.json", "passes[1].type: unknown pass type \"zeros\", expected one of pattern, random, random-byte, complement" },
	{ "unknown-verify.json", "verify: unknown mode \"full\", expected one of none, last, all, sample, sample:P" },
	{ "utf16.json", "file: " },
	{ "verify-bool.json", "verify: expected a string, got a boolean" },
	{ "whitespace-only.json", "json: empty document" },
	{ "wrong-schema.json", "schema: unknown schema \"dispose-method/3\", expected \"dispose-method/1\" or \"dispose-method/2\"" },
	{ "v1-technique.json", "technique: not part of dispose-method/1, expected \"schema\": \"dispose-method/2\"" },
	{ "v2-action-on-overwrite.json", "action: not allowed with technique overwrite, expected only with technique sanitize" },
	{ "v2-clear-verify-none.json", "category: clear needs a read-back, but verify is none; expected none" },
	{ "v2-missing-category.json", "category: missing, expected one of clear, purge, none" },
	{ "v2-missing-technique.json", "technique: missing, expected one of overwrite, crypto-luks, sanitize, auto" },
	{ "v2-overwrite-no-passes.json", "passes: missing, expected an array of 1 to 100 pass objects" },
	{ "v2-overwrite-purge.json", "category: purge cannot be reached by overwriting from the host, expected clear or none" },
	{ "v2-passes-on-sanitize.json", "passes: not allowed with technique sanitize, expected only with technique overwrite" },
	{ "v2-sanitize-no-action.json", "action: missing for technique sanitize, expected one of crypto, block, overwrite, format-user-data, format-crypto, secdiscard, ata-security-erase" },
	{ "v2-technique-number.json", "technique: expected a string, got a number" },
	{ "v2-unknown-action.json", "action: unknown action \"none\", expected one of crypto, block," },
	{ "v2-unknown-category.json", "category: unknown category \"destroy\", expected one of clear, purge, none" },
	{ "v2-unknown-field.json", "then: unknown field, expected one of schema, name, variant, description, source, technique, action, category, verify, passes" },
	{ "v2-unknown-technique.json", "technique: unknown technique \"degauss\", expected one of overwrite, crypto-luks, sanitize, auto" },
	{ "v2-verify-on-luks.json", "verify: not allowed with technique crypto-luks, expected only with technique overwrite" },
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
	assert_string_equal(err, "bad.json: passes[2].pattern: not a hex string, "
			    "expected 1 to 64 hex byte pairs, such as \"92 49 24\"");
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

static void put(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

#define DOC(name, variant) \
	"{\"schema\":\"dispose-method/1\",\"name\":\"" name "\",\"variant\":\"" variant "\"," \
	"\"source\":\"test\",\"verify\":\"sample:5\",\"passes\":[{\"type\":\"pattern\",\"pattern\":\"FF\"}]}"

static char warned[2048];

static void catch_log(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level == DSP_LOG_WARN)
		snprintf(warned, sizeof(warned), "%s", msg);
}

struct udir {
	char dir[64];
	char saved[PATH_MAX];
};

static void udir_make(struct udir *u)
{
	const char *old = getenv("DISPOSE_METHODS_DIR");

	snprintf(u->saved, sizeof(u->saved), "%s", old ? old : "");
	snprintf(u->dir, sizeof(u->dir), "/tmp/test_method_dir.XXXXXX");
	/* a group-writable file (umask 002) would be refused as untrusted */
	umask(022);
	assert_non_null(mkdtemp(u->dir));
	setenv("DISPOSE_METHODS_DIR", u->dir, 1);
}

static void udir_done(struct udir *u)
{
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", u->dir);
	assert_int_equal(system(cmd), 0);
	setenv("DISPOSE_METHODS_DIR", u->saved, 1);
}

/* A user "zero" never replaces the shipped one (it wrote 0xFF before); by path it is the file. */
static void test_dsp_method_find_user_dir_adds_never_replaces(void **state)
{
	struct udir u;
	struct dsp_method *m;
	char err[1024], path[PATH_MAX], want[PATH_MAX * 2];

	(void)state;
	udir_make(&u);
	assert_string_equal(dsp_method_user_dir(), u.dir);
	put(u.dir, "zero.json", DOC("zero", "custom"));
	put(u.dir, "site-ff.json", DOC("site-ff", "custom"));
	dsp_log_set_handler(catch_log, NULL);

	warned[0] = '\0';
	assert_int_equal(dsp_method_find("zero", &m, err, sizeof(err)), 0);
	assert_int_equal(m->npasses, 1);
	assert_int_equal(m->passes[0].pattern[0], 0x00);
	assert_int_not_equal(strcmp(m->variant, "custom"), 0);
	assert_non_null(strstr(m->path, "/profiles/methods/zero.json"));
	/* one line naming both files */
	snprintf(want, sizeof(want), "%s/zero.json: not used: same name as the shipped method "
		 "%s/zero.json; rename it, or give its path to use it", u.dir,
		 dsp_method_shipped_dir());
	assert_string_equal(warned, want);
	dsp_method_free(m);

	/* by path: the file, whatever its name */
	snprintf(path, sizeof(path), "%s/zero.json", u.dir);
	assert_int_equal(dsp_method_find(path, &m, err, sizeof(err)), 0);
	assert_string_equal(m->variant, "custom");
	assert_int_equal(m->passes[0].pattern[0], 0xFF);
	assert_int_equal(m->verify, DSP_VERIFY_SAMPLE);
	assert_true(m->sample_percent == 5.0);
	dsp_method_free(m);

	/* a new name is added; shipped names are all still found */
	warned[0] = '\0';
	assert_int_equal(dsp_method_find("site-ff", &m, err, sizeof(err)), 0);
	assert_string_equal(m->variant, "custom");
	dsp_method_free(m);
	assert_int_equal(dsp_method_find("gutmann", &m, err, sizeof(err)), 0);
	dsp_method_free(m);
	assert_string_equal(warned, "");

	/* the name inside must match the file name */
	put(u.dir, "alias.json", DOC("other", "v"));
	assert_int_equal(dsp_method_find("alias", &m, err, sizeof(err)), DSP_INVALID);
	assert_non_null(strstr(err, "alias.json: name: \"other\" does not match the file name, "
				    "expected \"alias\""));

	/* a directory given as a method file */
	assert_int_equal(dsp_method_load_file(u.dir, &m, err, sizeof(err)), DSP_INVALID);
	assert_non_null(strstr(err, ": file: not a regular file"));

	dsp_log_set_handler(NULL, NULL);
	udir_done(&u);
}

/* Shipped and user methods listed together; each bad file is one entry with its reason. */
static void test_dsp_method_list_user_dir_and_broken_files(void **state)
{
	struct dsp_method_entry *v;
	struct udir u;
	char link[PATH_MAX], target[PATH_MAX], want[PATH_MAX * 2];
	size_t n, nship = 0;
	int seen_zero = 0, seen_site = 0, seen_broken = 0, seen_badname = 0;

	(void)state;
	udir_make(&u);
	put(u.dir, "zero.json", DOC("zero", "custom"));
	put(u.dir, "site-ff.json", DOC("site-ff", "custom"));
	put(u.dir, "broken.json", "{\"schema\":\"dispose-method/1\",\"name\":\"broken\","
				  "\"variant\":\"v\",\"source\":\"s\",\"verify\":\"fast\","
				  "\"passes\":[{\"type\":\"random\"}]}");
	put(u.dir, "Bad Name.json", DOC("x", "v"));
	put(u.dir, ".hidden.json", "junk");
	put(u.dir, "README", "junk");
	/* a link to a shipped file is that method, listed once and not refused */
	snprintf(link, sizeof(link), "%s/one.json", u.dir);
	snprintf(target, sizeof(target), "%s/one.json", dsp_method_shipped_dir());
	assert_int_equal(symlink(target, link), 0);

	assert_int_equal(dsp_method_list(&v, &n), 0);
	assert_int_equal(n, NSHIPPED + 4);
	for (size_t i = 0; i < n; i++) {
		if (v[i].origin == DSP_METHOD_SHIPPED) {
			assert_int_equal(v[i].rc, 0);
			nship++;
			continue;
		}
		if (!strcmp(v[i].name, "zero")) {
			seen_zero++;
			assert_int_equal(v[i].rc, DSP_REFUSED);
			assert_null(v[i].method);
			/* after the shipped zero */
			assert_true(i > 0 && !strcmp(v[i - 1].name, "zero") &&
				    v[i - 1].origin == DSP_METHOD_SHIPPED);
			snprintf(want, sizeof(want), "%s/zero.json: refused: same name as the "
				 "shipped method %s/zero.json; rename it, or give its path to use it",
				 u.dir, dsp_method_shipped_dir());
			assert_string_equal(v[i].err, want);
		} else if (!strcmp(v[i].name, "site-ff")) {
			seen_site++;
			assert_int_equal(v[i].rc, 0);
			assert_string_equal(v[i].method->variant, "custom");
		} else if (!strcmp(v[i].name, "broken")) {
			seen_broken++;
			assert_int_equal(v[i].rc, DSP_INVALID);
			snprintf(want, sizeof(want), "%s/broken.json: verify: unknown mode \"fast\", "
				 "expected one of none, last, all, sample, sample:P", u.dir);
			assert_memory_equal(v[i].err, want, strlen(want));
		} else {
			seen_badname++;
			assert_string_equal(v[i].name, "");
			assert_int_equal(v[i].rc, DSP_INVALID);
			snprintf(want, sizeof(want), "%s/Bad Name.json: file name: \"Bad Name\" is "
				 "not a method name, expected 1 to 63 of a-z", u.dir);
			assert_memory_equal(v[i].err, want, strlen(want));
		}
	}
	assert_int_equal(nship, NSHIPPED);
	assert_int_equal(seen_zero + seen_site + seen_broken + seen_badname, 4);
	assert_int_equal(seen_zero * seen_site * seen_broken * seen_badname, 1);
	dsp_method_list_free(v, n);

	/* a user directory that cannot be read is one entry; the shipped ones stay */
	setenv("DISPOSE_METHODS_DIR", "/nonexistent/methods", 1);
	assert_int_equal(dsp_method_list(&v, &n), 0);
	assert_int_equal(n, NSHIPPED + 1);
	assert_int_equal(v[0].rc, -ENOENT);
	assert_string_equal(v[0].err, "/nonexistent/methods: method directory: "
				      "No such file or directory");
	dsp_method_list_free(v, n);
	udir_done(&u);
}

/* The document of a method reads back as the same method (methods --json NAME | --check). */
static void roundtrip(const struct dsp_method *m)
{
	struct json_object *o = dsp_method_to_document(m);
	struct dsp_method *b = NULL;
	const char *text;
	char err[1024] = "";
	int rc;

	assert_non_null(o);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = dsp_method_parse(text, strlen(text), "doc.json", &b, err, sizeof(err));
	if (rc)
		fail_msg("%s: %s\n%s", m->name, err, text);
	assert_string_equal(b->name, m->name);
	assert_string_equal(b->variant, m->variant);
	assert_string_equal(b->description, m->description);
	assert_string_equal(b->source, m->source);
	assert_int_equal(b->schema, m->schema);
	assert_int_equal(b->technique, m->technique);
	assert_int_equal(b->action, m->action);
	assert_int_equal(b->category, m->category);
	assert_int_equal(b->verify, m->verify);
	assert_true(b->sample_percent == m->sample_percent);
	assert_int_equal(b->npasses, m->npasses);
	for (unsigned i = 0; i < m->npasses; i++) {
		assert_int_equal(b->passes[i].kind, m->passes[i].kind);
		assert_int_equal(b->passes[i].pattern_len, m->passes[i].pattern_len);
		assert_memory_equal(b->passes[i].pattern, m->passes[i].pattern,
				    m->passes[i].pattern_len);
		assert_string_equal(b->passes[i].label, m->passes[i].label);
		assert_true((b->passes[i].note == NULL) == (m->passes[i].note == NULL));
		if (m->passes[i].note)
			assert_string_equal(b->passes[i].note, m->passes[i].note);
	}
	dsp_method_free(b);
	json_object_put(o);
}

static void test_dsp_method_to_document_roundtrip(void **state)
{
	static const char *const docs[] = {
		"{\"schema\":\"dispose-method/1\",\"name\":\"tiny\",\"variant\":\"v\",\"source\":\"s\","
		"\"verify\":\"sample:0.00001\",\"passes\":[{\"type\":\"random-byte\",\"note\":\"n\\u00e9\"},"
		"{\"type\":\"complement\"},{\"type\":\"pattern\",\"pattern\":\"0x01 0203\"}]}",
		"{\"schema\":\"dispose-method/1\",\"name\":\"s\",\"variant\":\"a/b \\\"q\\\"\","
		"\"source\":\"s\",\"verify\":\"sample\",\"passes\":[{\"type\":\"random\"}]}",
		"{\"schema\":\"dispose-method/1\",\"name\":\"n\",\"variant\":\"v\",\"source\":\"s\","
		"\"verify\":\"none\",\"passes\":[{\"type\":\"pattern\",\"pattern\":\"00\"}]}",
		"{\"schema\":\"dispose-method/2\",\"name\":\"o\",\"variant\":\"v\",\"source\":\"s\","
		"\"technique\":\"overwrite\",\"category\":\"none\",\"verify\":\"none\","
		"\"passes\":[{\"type\":\"random\"}]}",
		"{\"schema\":\"dispose-method/2\",\"name\":\"f\",\"variant\":\"v\",\"source\":\"s\","
		"\"technique\":\"sanitize\",\"action\":\"format-user-data\",\"category\":\"clear\"}",
	};
	struct dsp_method *m;
	char err[1024];

	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(shipped); i++) {
		assert_int_equal(dsp_method_find(shipped[i].name, &m, err, sizeof(err)), 0);
		roundtrip(m);
		dsp_method_free(m);
	}
	for (size_t i = 0; i < DSP_ARRAY_SIZE(shipped_tech); i++) {
		assert_int_equal(dsp_method_find(shipped_tech[i].name, &m, err, sizeof(err)), 0);
		roundtrip(m);
		dsp_method_free(m);
	}
	for (size_t i = 0; i < DSP_ARRAY_SIZE(docs); i++) {
		if (dsp_method_parse(docs[i], strlen(docs[i]), "t.json", &m, err, sizeof(err)))
			fail_msg("%s", err);
		roundtrip(m);
		dsp_method_free(m);
	}
	/* gutmann's notes are kept */
	assert_int_equal(dsp_method_find("gutmann", &m, err, sizeof(err)), 0);
	assert_non_null(m->passes[4].note);
	assert_string_equal(m->passes[4].note, "target: (1,7)RLL MFM");
	dsp_method_free(m);
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
	/* "-m site.json" means a file: such a name could not be used */
	assert_false(dsp_method_name_valid("site.json"));
	assert_true(dsp_method_name_valid("site.jsonl"));
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
		cmocka_unit_test(test_dsp_method_list_shipped_only),
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
		cmocka_unit_test(test_dsp_method_find_user_dir_adds_never_replaces),
		cmocka_unit_test(test_dsp_method_list_user_dir_and_broken_files),
		cmocka_unit_test(test_dsp_method_to_document_roundtrip),
		cmocka_unit_test(test_dsp_method_find_techniques),
		cmocka_unit_test(test_dsp_method_parse_v2_values),
		cmocka_unit_test(test_dsp_method_name_valid_rules),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
