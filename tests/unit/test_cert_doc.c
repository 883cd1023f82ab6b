/* SPDX-License-Identifier: MIT */
/* test_cert_doc.c - the certificate document: build from records, canonical form, strict parse, schema */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tmpdir_helpers.h"
#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"

#define TIME "2026-12-06T10:00:00Z"

struct rec_opts {
	const char *schema;	/* run_start's; NULL: dispose-record/1 */
	const char *status;	/* the target's; NULL: no target_end */
	const char *verify;	/* "last", "none" */
	bool run_end;
	const char *path;	/* the target's name (bytes) */
};

/* dir/name in one of 16 buffers of its own (at() has four, and write_run uses them). */
static const char *rd(const char *name)
{
	static char buf[16][PATH_MAX];
	static unsigned k;
	char *b = buf[k++ % 16];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static void append(struct dsp_ledger *l, const char *ev, struct json_object *f)
{
	assert_int_equal(dsp_ledger_append(l, ev, f, 0), 0);
	json_object_put(f);
}

/* A run record of one file target, as erase writes it (the fields the builder reads). */
static void write_run(const char *name, const struct rec_opts *o)
{
	char *argv[] = { "dispose", "erase", (char *)o->path, NULL };
	struct dsp_ledger *l;
	struct json_object *f, *id, *pat;
	bool verified = strcmp(o->verify, "none") != 0;

	assert_int_equal(dsp_ledger_open(at(name), DSP_LEDGER_CREATE, &l), 0);
	f = dsp_record_run_start("erase", 3, argv);
	assert_non_null(f);
	if (o->schema)
		json_object_object_add(f, "schema", json_object_new_string(o->schema));
	append(l, "run_start", f);
	id = json_object_new_object();
	json_object_object_add(id, "dev", json_object_new_int64(2049));
	json_object_object_add(id, "ino", json_object_new_int64(77));
	json_object_object_add(id, "fstype", json_object_new_string("ext4"));
	f = dsp_record_target_start(o->path, "file", id);
	json_object_object_add(f, "size", json_object_new_int64(4096));
	json_object_object_add(f, "verify", json_object_new_string(o->verify));
	json_object_object_add(f, "target", json_object_new_string("t1"));
	append(l, "target", f);
	f = json_object_new_object();
	json_object_object_add(f, "pass", json_object_new_int64(1));
	json_object_object_add(f, "label", json_object_new_string("0x00"));
	pat = json_object_new_object();
	json_object_object_add(pat, "kind", json_object_new_string("pattern"));
	json_object_object_add(pat, "bytes", json_object_new_string("00"));
	json_object_object_add(f, "pattern", pat);
	json_object_object_add(f, "target", json_object_new_string("t1"));
	append(l, "pass_start", f);
	if (o->status) {
		f = json_object_new_object();
		json_object_object_add(f, "pass", json_object_new_int64(1));
		json_object_object_add(f, "bytes_written", json_object_new_int64(4096));
		json_object_object_add(f, "complete", json_object_new_boolean(1));
		json_object_object_add(f, "target", json_object_new_string("t1"));
		append(l, "pass_end", f);
		if (verified) {
			f = json_object_new_object();
			json_object_object_add(f, "pass", json_object_new_int64(1));
			json_object_object_add(f, "complete", json_object_new_boolean(1));
			json_object_object_add(f, "bytes_read", json_object_new_int64(4096));
			json_object_object_add(f, "unreadable_bytes", json_object_new_int64(0));
			json_object_object_add(f, "target", json_object_new_string("t1"));
			append(l, "verify_end", f);
		}
		f = dsp_record_target_end(o->status, 0, NULL, 4096, verified ? 4096 : 0);
		json_object_object_add(f, "nist_category", json_object_new_string("none"));
		json_object_object_add(f, "category_reason",
				       json_object_new_string("file-level overwrite"));
		json_object_object_add(f, "old_data_may_remain", json_object_new_boolean(0));
		json_object_object_add(f, "caveats", json_object_new_array());
		json_object_object_add(f, "target", json_object_new_string("t1"));
		append(l, "target_end", f);
	}
	if (o->run_end)
		append(l, "run_end", dsp_record_run_end(o->status ? o->status : "interrupted",
							 o->status && !strcmp(o->status, "success") ? 0 : 1));
	dsp_ledger_close(l);
}

static int build(const char *const *dirs, size_t n, const char *time, struct json_object **doc,
		 char **why)
{
	struct dsp_cert_attest a = { .operator_name = "Ann", .media_destination = "recycling" };
	struct dsp_cert_build_opts o = { .run_dirs = dirs, .nrun_dirs = n, .attest = &a, .time = time };

	return dsp_cert_build(&o, doc, why);
}

static const char *str_at(struct json_object *doc, const char *a, const char *b)
{
	struct json_object *x = json_object_object_get(doc, a);

	return b ? dsp_json_str(x, b) : dsp_json_str(doc, a);
}

static int setup(void **state)
{
	(void)state;
	dsp_log_set_syslog(0);
	return tmpdir_make("test_cert_doc");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

static void test_build_verified_file_is_certificate_none(void **state)
{
	struct rec_opts ro = { .status = "success", .verify = "last", .run_end = true,
			       .path = "/srv/f" };
	const char *dirs[] = { rd("ok") };
	struct json_object *doc = NULL, *t;
	char *why = NULL, *b1, *b2;
	size_t l1, l2;
	(void)state;

	write_run("ok", &ro);
	assert_int_equal(build(dirs, 1, TIME, &doc, &why), 0);
	assert_string_equal(str_at(doc, "kind", NULL), DSP_CERT_KIND_OK);
	assert_string_equal(str_at(doc, "created", NULL), TIME);
	assert_string_equal(str_at(doc, "summary", "category_achieved"), "none");
	t = json_object_array_get_idx(json_object_object_get(doc, "targets"), 0);
	assert_string_equal(dsp_json_str(t, "path"), "/srv/f");
	assert_string_equal(dsp_json_str(json_object_object_get(t, "nist"), "sanitization"), "none");
	assert_string_equal(dsp_json_str(json_object_object_get(doc, "attested"), "property_number") ?: "null",
			    "null");
	/* the certificate id is RFC 9562 version 8, variant 10 */
	assert_int_equal(str_at(doc, "certificate_id", NULL)[14], '8');
	assert_non_null(strchr("89ab", str_at(doc, "certificate_id", NULL)[19]));
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	/* canonical and byte-identical when built again */
	assert_int_equal(dsp_cert_canonical(doc, &b1, &l1), 0);
	json_object_put(doc);
	assert_int_equal(build(dirs, 1, TIME, &doc, &why), 0);
	assert_int_equal(dsp_cert_canonical(doc, &b2, &l2), 0);
	assert_int_equal(l1, l2);
	assert_memory_equal(b1, b2, l1);
	assert_int_equal(b1[l1 - 1], '\n');
	free(b1);
	free(b2);
	json_object_put(doc);
}

static void test_build_unverified_or_interrupted_is_failure_report(void **state)
{
	struct rec_opts nv = { .status = "success", .verify = "none", .run_end = true, .path = "/a" };
	struct rec_opts in = { .status = "interrupted", .verify = "last", .run_end = true, .path = "/b" };
	struct rec_opts un = { .status = NULL, .verify = "last", .run_end = true, .path = "/c" };
	const char *d1[] = { rd("nv") }, *d2[] = { rd("in") }, *d3[] = { rd("un") };
	struct json_object *doc = NULL, *fails;
	char *why = NULL;
	(void)state;

	write_run("nv", &nv);
	write_run("in", &in);
	write_run("un", &un);
	assert_int_equal(build(d1, 1, TIME, &doc, &why), 0);
	assert_string_equal(str_at(doc, "kind", NULL), DSP_CERT_KIND_FAIL);
	fails = json_object_object_get(json_object_object_get(doc, "summary"), "failures");
	assert_int_equal(json_object_array_length(fails), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(fails, 0)),
			    "t1 /a: not verified");
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	json_object_put(doc);

	assert_int_equal(build(d2, 1, TIME, &doc, &why), 0);
	assert_string_equal(str_at(doc, "kind", NULL), DSP_CERT_KIND_FAIL);
	fails = json_object_object_get(json_object_object_get(doc, "summary"), "failures");
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(fails, 0)),
			       "t1 /b: interrupted"));
	json_object_put(doc);

	assert_int_equal(build(d3, 1, TIME, &doc, &why), 0);
	assert_string_equal(str_at(doc, "kind", NULL), DSP_CERT_KIND_FAIL);
	{
		struct json_object *t = json_object_array_get_idx(json_object_object_get(doc, "targets"), 0);
		bool old = false;
		assert_string_equal(dsp_json_str(t, "result"), "unfinished");
		assert_int_equal(dsp_json_bool(t, "old_data_may_remain", &old), 0);
		assert_true(old);
	}
	json_object_put(doc);
}

static void test_build_refuses_bad_records(void **state)
{
	struct rec_opts noend = { .status = "success", .verify = "last", .run_end = false, .path = "/x" };
	struct rec_opts sch = { .schema = "dispose-record/9", .status = "success", .verify = "last",
				.run_end = true, .path = "/y" };
	struct rec_opts ok = { .status = "success", .verify = "last", .run_end = true, .path = "/z" };
	const char *d1[] = { rd("noend") }, *d2[] = { rd("sch") }, *d3[] = { rd("ok2"), rd("ok2") };
	const char *d4[] = { rd("ok2") }, *d5[] = { rd("missing") };
	struct json_object *doc = NULL;
	char *why = NULL;
	(void)state;

	write_run("noend", &noend);
	write_run("sch", &sch);
	write_run("ok2", &ok);
	assert_int_equal(build(d1, 1, TIME, &doc, &why), DSP_INVALID);
	assert_null(doc);
	assert_non_null(strstr(why, "no run_end"));
	assert_int_equal(build(d2, 1, TIME, &doc, &why), DSP_INVALID);
	assert_non_null(strstr(why, "unknown run record schema 'dispose-record/9'"));
	assert_int_equal(build(d3, 2, TIME, &doc, &why), DSP_INVALID);
	assert_non_null(strstr(why, "the same run record as"));
	assert_int_equal(build(d4, 1, "2026-12-06T10:00:00", &doc, &why), DSP_INVALID);
	assert_non_null(strstr(why, "--time"));
	assert_int_equal(build(d4, 1, "2026-13-01T00:00:00Z", &doc, &why), DSP_INVALID);
	assert_int_equal(build(d5, 1, TIME, &doc, &why), DSP_INVALID);
	assert_null(doc);
	free(why);
}

static void test_build_names_not_utf8_recoverable(void **state)
{
	struct rec_opts ro = { .status = "success", .verify = "last", .run_end = true,
			       .path = "/srv/n\xff\xfe" };
	const char *dirs[] = { rd("nu") };
	struct json_object *doc = NULL, *t;
	char *why = NULL, *bytes = NULL, *buf, *back;
	size_t len;
	(void)state;

	write_run("nu", &ro);
	assert_int_equal(build(dirs, 1, TIME, &doc, &why), 0);
	t = json_object_array_get_idx(json_object_object_get(doc, "targets"), 0);
	assert_string_equal(dsp_json_str(t, "path_hex"), "2f7372762f6efffe");
	assert_int_equal(dsp_json_bytes(t, "path", &bytes, NULL), 0);
	assert_string_equal(bytes, "/srv/n\xff\xfe");
	free(bytes);
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	assert_int_equal(dsp_cert_canonical(doc, &buf, &len), 0);
	assert_true(dsp_utf8_valid(buf, len));
	json_object_put(doc);
	/* and it parses back to the same bytes */
	assert_int_equal(dsp_cert_parse(buf, len, &doc, &why), 0);
	assert_int_equal(dsp_cert_canonical(doc, &back, &len), 0);
	assert_string_equal(back, buf);
	free(back);
	free(buf);
	json_object_put(doc);
}

static void test_canonical_rejects_double(void **state)
{
	struct json_object *o = json_object_new_object();
	char *buf = NULL;
	size_t len;
	(void)state;

	json_object_object_add(o, "a", json_object_new_double(1.5));
	assert_int_equal(dsp_cert_canonical(o, &buf, &len), -EINVAL);
	assert_null(buf);
	json_object_put(o);
	o = json_object_new_array();
	assert_int_equal(dsp_cert_canonical(o, &buf, &len), -EINVAL);	/* not an object */
	json_object_put(o);
}

static void expect_parse_fails(const char *text, const char *part)
{
	struct json_object *doc = (struct json_object *)1;
	char *why = NULL;

	assert_int_equal(dsp_cert_parse(text, strlen(text), &doc, &why), DSP_INVALID);
	assert_null(doc);
	assert_non_null(why);
	if (!strstr(why, part))
		fail_msg("%s: %s (want %s)", text, why, part);
	free(why);
}

static void test_parse_strict(void **state)
{
	struct json_object *doc;
	char *why = NULL;
	const char ok[] = "{\n  \"a\": 1,\n  \"b\": [\n  ],\n  \"s\": \"\xc3\xa9/\"\n}\n";
	(void)state;

	assert_int_equal(dsp_cert_parse(ok, strlen(ok), &doc, &why), 0);
	json_object_put(doc);
	expect_parse_fails("{\n  \"a\": 1,\n  \"a\": 1\n}\n", "not canonical");	/* duplicate key */
	expect_parse_fails("{\n  \"a\": 1.0\n}\n", "not an integer");
	expect_parse_fails("{\n  \"a\": 1e3\n}\n", "not an integer");
	expect_parse_fails("{\n  \"a\":1\n}\n", "not canonical");		/* spacing */
	expect_parse_fails("{\n  \"a\": 1\n}", "not canonical");		/* no final newline */
	expect_parse_fails("{\n  \"a\": 1\n}\n\n", "not canonical");
	expect_parse_fails("{\n  \"a\": \"\\u00e9\"\n}\n", "not canonical");	/* escaped */
	expect_parse_fails("{\n  \"a\": \"\\/\"\n}\n", "not canonical");
	expect_parse_fails("{\n  \"a\": 1\n}\n{}", "");
	expect_parse_fails("[\n]\n", "not a JSON object");
	expect_parse_fails("{\n  \"a\": \"\xff\"\n}\n", "not UTF-8");
	expect_parse_fails("", "empty");
	expect_parse_fails("{\n  \"a\": 99999999999999999999\n}\n", "");
	{
		const char nul[] = "{\n  \"a\": 1\n}\0\n";
		doc = NULL;
		assert_int_equal(dsp_cert_parse(nul, sizeof(nul) - 1, &doc, &why), DSP_INVALID);
		assert_non_null(strstr(why, "NUL"));
		free(why);
		why = NULL;
	}
}

static void test_schema_rejects_changes(void **state)
{
	struct rec_opts ro = { .status = "success", .verify = "last", .run_end = true, .path = "/q" };
	const char *dirs[] = { rd("sc") };
	struct json_object *doc = NULL, *t;
	char *why = NULL;
	(void)state;

	write_run("sc", &ro);
	assert_int_equal(build(dirs, 1, TIME, &doc, &why), 0);
	t = json_object_array_get_idx(json_object_object_get(doc, "targets"), 0);
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);

	json_object_object_add(t, "surprise", json_object_new_int(1));
	assert_int_equal(dsp_cert_check_schema(doc, &why), DSP_INVALID);
	assert_string_equal(why, "certificate: $.targets[0].surprise: unknown key");
	json_object_object_del(t, "surprise");

	json_object_object_add(t, "path_hex", json_object_new_string("2f71"));	/* a name's bytes */
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	json_object_object_add(t, "result_hex", json_object_new_string("00"));	/* not a name */
	assert_int_equal(dsp_cert_check_schema(doc, &why), DSP_INVALID);
	json_object_object_del(t, "result_hex");
	json_object_object_add(t, "path_hex", json_object_new_string("2F71"));
	assert_int_equal(dsp_cert_check_schema(doc, &why), DSP_INVALID);
	json_object_object_del(t, "path_hex");

	json_object_object_del(json_object_object_get(t, "nist"), "serial");
	assert_int_equal(dsp_cert_check_schema(doc, &why), DSP_INVALID);
	assert_string_equal(why, "certificate: $.targets[0].nist.serial: missing");
	json_object_object_add(json_object_object_get(t, "nist"), "serial", NULL);

	json_object_object_add(t, "result", json_object_new_string("fine"));
	assert_int_equal(dsp_cert_check_schema(doc, &why), DSP_INVALID);
	json_object_object_add(t, "result", json_object_new_string("success"));
	json_object_object_add(t, "bytes_written", json_object_new_string("4096"));
	assert_int_equal(dsp_cert_check_schema(doc, &why), DSP_INVALID);
	assert_string_equal(why, "certificate: $.targets[0].bytes_written: wrong type");
	json_object_object_add(t, "bytes_written", json_object_new_int64(4096));
	json_object_object_add(doc, "created", json_object_new_string("2026-12-06T10:00:00.5Z"));
	assert_int_equal(dsp_cert_check_schema(doc, &why), DSP_INVALID);
	json_object_object_add(doc, "created", json_object_new_string(TIME));
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	free(why);
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_verified_file_is_certificate_none),
		cmocka_unit_test(test_build_unverified_or_interrupted_is_failure_report),
		cmocka_unit_test(test_build_refuses_bad_records),
		cmocka_unit_test(test_build_names_not_utf8_recoverable),
		cmocka_unit_test(test_canonical_rejects_double),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_schema_rejects_changes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
