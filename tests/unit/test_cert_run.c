/* SPDX-License-Identifier: MIT */
/* test_cert_run.c - the certificate of a dispose run record (command "run": archives and targets in one record) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tmpdir_helpers.h"
#include "dispose/archive.h"
#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"

#define TIME "2026-12-06T10:00:00Z"
#define HEX_POLICY "1111111111111111111111111111111111111111111111111111111111111111"
#define HEX_INV "2222222222222222222222222222222222222222222222222222222222222222"
#define HEX_PLAN "3333333333333333333333333333333333333333333333333333333333333333"

static void ev(struct dsp_ledger *l, const char *event, const char *json)
{
	struct json_object *o = json ? json_tokener_parse(json) : NULL;

	assert_true(!json || o);
	assert_int_equal(dsp_ledger_append(l, event, o, 1), 0);
	json_object_put(o);
}

static void evo(struct dsp_ledger *l, const char *event, struct json_object *o)
{
	assert_non_null(o);
	assert_int_equal(dsp_ledger_append(l, event, o, 1), 0);
	json_object_put(o);
}

/* Target t1's events as the erase session writes them: one verified pass over a file. */
static void file_target(struct dsp_ledger *l, const char *id, const char *path)
{
	struct json_object *f, *ident = json_object_new_object();
	char buf[512];

	json_object_object_add(ident, "dev", json_object_new_int64(2049));
	json_object_object_add(ident, "ino", json_object_new_int64(77));
	f = dsp_record_target_start(path, "file", ident);
	json_object_object_add(f, "size", json_object_new_int64(4096));
	json_object_object_add(f, "verify", json_object_new_string("last"));
	json_object_object_add(f, "target", json_object_new_string(id));
	evo(l, "target", f);
	snprintf(buf, sizeof(buf), "{\"pass\":1,\"label\":\"0x00\",\"pattern\":{\"kind\":\"pattern\","
		 "\"bytes\":\"00\"},\"target\":\"%s\"}", id);
	ev(l, "pass_start", buf);
	snprintf(buf, sizeof(buf), "{\"pass\":1,\"bytes_written\":4096,\"complete\":true,"
		 "\"target\":\"%s\"}", id);
	ev(l, "pass_end", buf);
	snprintf(buf, sizeof(buf), "{\"pass\":1,\"complete\":true,\"bytes_read\":4096,"
		 "\"unreadable_bytes\":0,\"target\":\"%s\"}", id);
	ev(l, "verify_end", buf);
	f = dsp_record_target_end("success", 0, NULL, 4096, 4096);
	json_object_object_add(f, "nist_category", json_object_new_string("none"));
	json_object_object_add(f, "category_reason", json_object_new_string("file-level overwrite"));
	json_object_object_add(f, "old_data_may_remain", json_object_new_boolean(0));
	json_object_object_add(f, "caveats", json_object_new_array());
	json_object_object_add(f, "target", json_object_new_string(id));
	evo(l, "target_end", f);
}

/*
 * The record `dispose run` writes (wiring: run_start with the policy, step
 * events, a real archive created and verified through the record, the
 * interlock, the erase session's erase_start ... erase_end, run_end).
 * planned_extra: erase_start plans a target t2 that never starts.
 */
static void write_run_record(const char *run, bool planned_extra)
{
	char *argv[] = { "dispose", "run", "--policy", "demo", NULL };
	char src[512], name[512], buf[4096];
	const char *roots[] = { src, NULL };
	struct dsp_archive_opts ao = { .roots = roots, .series = "Records" };
	struct dsp_archive_result ar;
	struct dsp_ledger *l;
	struct json_object *st;

	snprintf(src, sizeof(src), "%.400s-src", run);
	snprintf(name, sizeof(name), "%.400s-records.tar.zst", run);
	snprintf(buf, sizeof(buf), "mkdir -p %s/etc && echo kept > %s/etc/hosts", src, src);
	assert_int_equal(system(buf), 0);

	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	st = dsp_record_run_start(DSP_RECORD_CMD_RUN, 4, argv);
	assert_non_null(st);
	json_object_object_add(st, "policy", json_tokener_parse(
		"{\"name\":\"demo\",\"path\":\"/usr/share/dispose/policies/demo.json\","
		"\"sha256\":\"" HEX_POLICY "\"}"));
	json_object_object_add(st, "vars", json_tokener_parse("{\"SERVER\":\"/srv/demo\"}"));
	json_object_object_add(st, "steps", json_tokener_parse(
		"[\"inventory\",\"plan\",\"archive\",\"verify\",\"erase\",\"certify\"]"));
	evo(l, "run_start", st);

	ev(l, "step_start", "{\"step\":\"inventory\",\"index\":1,\"of\":6}");
	ev(l, "step_end", "{\"step\":\"inventory\",\"status\":\"success\",\"inventory\":"
	   "\"inventory.json\",\"sha256\":\"" HEX_INV "\",\"files\":2,\"keys\":0,\"software\":0,"
	   "\"devices\":0}");
	ev(l, "step_start", "{\"step\":\"plan\",\"index\":2,\"of\":6}");
	ev(l, "step_end", "{\"step\":\"plan\",\"status\":\"success\",\"plan\":\"plan.json\","
	   "\"sha256\":\"" HEX_PLAN "\",\"targets\":1,\"archives\":1}");

	ev(l, "step_start", "{\"step\":\"archive\",\"index\":3,\"of\":6}");
	snprintf(buf, sizeof(buf), "{\"id\":\"a1\",\"archive\":\"%s\"}", name);
	ev(l, "archive_start", buf);
	ao.ledger = l;
	assert_int_equal(dsp_archive_create(name, &ao, &ar), 0);
	snprintf(buf, sizeof(buf), "{\"step\":\"archive\",\"status\":\"success\",\"archives\":"
		 "[{\"id\":\"a1\",\"archive\":\"%s\",\"sha256\":\"%s\"}]}", name, ar.sha256);
	ev(l, "step_end", buf);
	ev(l, "step_start", "{\"step\":\"verify\",\"index\":4,\"of\":6}");
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, l, &ar), 0);
	ev(l, "step_end", "{\"step\":\"verify\",\"status\":\"success\",\"archives\":"
	   "[{\"id\":\"a1\",\"result\":\"ok\"}]}");

	ev(l, "interlock", "{\"items\":1,\"covered\":1,\"digest\":\"sha512\"}");
	ev(l, "step_start", "{\"step\":\"erase\",\"index\":5,\"of\":6}");
	ev(l, "erase_start", planned_extra ?
	   "{\"cwd\":\"/\",\"targets\":[{\"id\":\"t1\",\"path\":\"/srv/demo/data/f\",\"kind\":"
	   "\"file\"},{\"id\":\"t2\",\"path\":\"/srv/demo/data/g\",\"kind\":\"file\"}],"
	   "\"method_name\":\"zero\",\"method\":{\"name\":\"zero\"},\"verify\":\"last\"}" :
	   "{\"cwd\":\"/\",\"targets\":[{\"id\":\"t1\",\"path\":\"/srv/demo/data/f\",\"kind\":"
	   "\"file\"}],\"method_name\":\"zero\",\"method\":{\"name\":\"zero\"},\"verify\":\"last\"}");
	file_target(l, "t1", "/srv/demo/data/f");
	ev(l, "erase_end", "{\"status\":\"success\",\"exit\":0}");
	ev(l, "step_end", "{\"step\":\"erase\",\"status\":\"success\",\"exit\":0}");
	evo(l, "run_end", dsp_record_run_end("success", 0));
	dsp_ledger_close(l);
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static int build(const char *run, struct json_object **doc, char **why)
{
	const char *dirs[] = { run };
	struct dsp_cert_attest a = { .operator_name = "Ann", .media_destination = "recycling" };
	struct dsp_cert_build_opts o = { .run_dirs = dirs, .nrun_dirs = 1, .attest = &a,
					 .time = TIME };

	return dsp_cert_build(&o, doc, why);
}

static int setup(void **state)
{
	(void)state;
	dsp_log_set_syslog(0);
	return tmpdir_make("test_cert_run");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/*
 * A run record is an erase record with archives: one document lists both
 * the archive (verified) and the target, and the run's policy, inventory
 * and plan digests; it passes the schema and consistency checks.
 */
static void test_build_run_record(void **state)
{
	char run[PATH_MAX], *why = NULL, *text = NULL;
	struct json_object *doc = NULL, *r, *a, *t, *c;
	size_t len = 0;
	FILE *mem;

	(void)state;
	snprintf(run, sizeof(run), "%s", at("run"));
	write_run_record(run, false);
	assert_int_equal(build(run, &doc, &why), 0);
	assert_string_equal(dsp_json_str(doc, "kind"), DSP_CERT_KIND_OK);

	r = json_object_array_get_idx(get(doc, "runs"), 0);
	assert_string_equal(dsp_json_str(r, "command"), "run");
	assert_string_equal(dsp_json_str(get(r, "policy"), "name"), "demo");
	assert_string_equal(dsp_json_str(get(r, "policy"), "sha256"), HEX_POLICY);
	assert_null(get(get(r, "policy"), "path"));
	assert_string_equal(dsp_json_str(get(r, "inventory"), "sha256"), HEX_INV);
	assert_string_equal(dsp_json_str(get(r, "plan"), "sha256"), HEX_PLAN);

	a = get(get(doc, "backup"), "archives");
	assert_int_equal(json_object_array_length(a), 1);
	a = json_object_array_get_idx(a, 0);
	assert_true(json_object_get_boolean(get(a, "verified")));
	assert_non_null(strstr(dsp_json_str(a, "path"), "run-records.tar.zst"));
	assert_string_equal(dsp_json_str(get(doc, "backup"), "backed_up"), "yes");

	assert_int_equal(json_object_array_length(get(doc, "targets")), 1);
	t = json_object_array_get_idx(get(doc, "targets"), 0);
	assert_string_equal(dsp_json_str(t, "id"), "t1");
	assert_string_equal(dsp_json_str(t, "path"), "/srv/demo/data/f");
	assert_string_equal(dsp_json_str(t, "result"), "success");
	/* the method the erase step recorded (erase_start), no target says its own */
	assert_string_equal(dsp_json_str(get(t, "method"), "name"), "zero");
	assert_string_equal(dsp_json_str(get(t, "nist"), "backup"), "yes");
	assert_string_equal(dsp_json_str(get(doc, "summary"), "backed_up"), "yes");
	assert_int_equal(json_object_get_int(get(get(doc, "summary"), "targets")), 1);
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	assert_int_equal(dsp_cert_check_consistency(doc, &why), 0);

	/* dispose show says which policy and plan */
	mem = open_memstream(&text, &len);
	assert_non_null(mem);
	assert_int_equal(dsp_cert_show(mem, doc, NULL), 0);
	fclose(mem);
	assert_non_null(strstr(text, "Policy:"));
	assert_non_null(strstr(text, "demo\n"));
	assert_non_null(strstr(text, "Policy SHA-256:"));
	assert_non_null(strstr(text, HEX_POLICY "\n"));
	assert_non_null(strstr(text, "Plan SHA-256:"));
	free(text);

	/* the new keys: checked, optional, and only a run's */
	json_object_deep_copy(doc, &c, NULL);
	r = json_object_array_get_idx(get(c, "runs"), 0);
	json_object_object_add(get(r, "policy"), "sha256", json_object_new_string("XYZ"));
	assert_int_equal(dsp_cert_check_schema(c, &why), DSP_INVALID);
	assert_string_equal(why, "certificate: $.runs[0].policy.sha256: 'XYZ' is not allowed");
	json_object_object_add(get(r, "policy"), "sha256", json_object_new_string(HEX_POLICY));
	json_object_object_add(get(r, "plan"), "path", json_object_new_string("plan.json"));
	assert_int_equal(dsp_cert_check_schema(c, &why), DSP_INVALID);
	assert_string_equal(why, "certificate: $.runs[0].plan.path: unknown key");
	json_object_object_del(get(r, "plan"), "path");
	json_object_object_del(r, "policy");
	json_object_object_del(r, "inventory");
	assert_int_equal(dsp_cert_check_schema(c, &why), 0);
	json_object_object_add(r, "command", json_object_new_string("erase"));
	assert_int_equal(dsp_cert_check_consistency(c, &why), DSP_INVALID);
	assert_string_equal(why, "runs[0]: a policy, inventory or plan, but not the record of a run");
	json_object_object_del(r, "plan");
	assert_int_equal(dsp_cert_check_consistency(c, &why), 0);
	json_object_put(c);

	free(why);
	json_object_put(doc);
}

/* A target the erase step planned (erase_start) but never started fails the run. */
static void test_build_run_record_planned_never_started(void **state)
{
	char run[PATH_MAX], *why = NULL;
	struct json_object *doc = NULL, *f;

	(void)state;
	snprintf(run, sizeof(run), "%s", at("run2"));
	write_run_record(run, true);
	if (build(run, &doc, &why))
		fail_msg("%s", why);
	assert_string_equal(dsp_json_str(doc, "kind"), DSP_CERT_KIND_FAIL);
	f = get(get(doc, "summary"), "failures");
	assert_int_equal(json_object_array_length(f), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(f, 0)),
			    "t2 /srv/demo/data/g: never started");
	assert_int_equal(dsp_cert_check_schema(doc, &why), 0);
	/* every target that ran succeeded: the never-started one makes it an honest report */
	assert_int_equal(json_object_get_int(get(get(doc, "summary"), "failed")), 0);
	if (dsp_cert_check_consistency(doc, &why))
		fail_msg("%s", why);

	/* a failure report that shows everything done is still refused */
	json_object_array_put_idx(f, 0, json_object_new_string("t1 /srv/demo/data/f: never started"));
	assert_int_equal(dsp_cert_check_consistency(doc, &why), DSP_INVALID);
	assert_string_equal(why, "kind: sanitization-failure-report, but every target succeeded");
	json_object_array_put_idx(f, 0, json_object_new_string("t2 /srv/demo/data/g: interrupted"));
	assert_int_equal(dsp_cert_check_consistency(doc, &why), DSP_INVALID);
	json_object_array_del_idx(f, 0, 1);
	assert_int_equal(dsp_cert_check_consistency(doc, &why), DSP_INVALID);
	/* a run that did not end in success shows something not done */
	json_object_object_add(json_object_array_get_idx(get(doc, "runs"), 0), "status",
			       json_object_new_string("failed"));
	assert_int_equal(dsp_cert_check_consistency(doc, &why), DSP_INVALID);
	assert_string_equal(why, "summary: failures empty in a failure report");
	json_object_array_add(f, json_object_new_string("run: failed"));
	assert_int_equal(dsp_cert_check_consistency(doc, &why), 0);
	free(why);
	json_object_put(doc);
}

/* The failure report of a run with a planned target never started signs and verifies as one. */
static void test_certify_and_verify_run_never_started(void **state)
{
	char run[512], out[600], prefix[512], crt[600], key[600];
	char *why = NULL;
	const char *dirs[1];
	struct dsp_keygen_opts ko = { .type = DSP_KEYGEN_EC_P256, .subject = "/CN=unit run signer" };
	struct dsp_cert_attest a = { .operator_name = "Ann", .media_destination = "recycling" };
	struct dsp_cert_build_opts bo = { .run_dirs = dirs, .nrun_dirs = 1, .attest = &a,
					  .time = TIME };
	struct dsp_cert_verify_opts vo = { .run_dirs = dirs, .nrun_dirs = 1 };
	struct dsp_cert_signer *s = NULL;
	struct dsp_cert_verifier *v = NULL;
	struct dsp_cert_result res;
	bool ok = true;

	(void)state;
	snprintf(run, sizeof(run), "%s", at("run4"));
	snprintf(out, sizeof(out), "%.500s/certificate.json", run);
	snprintf(prefix, sizeof(prefix), "%s", at("signer4"));
	snprintf(crt, sizeof(crt), "%.500s.crt", prefix);
	snprintf(key, sizeof(key), "%.500s.key", prefix);
	dirs[0] = run;
	write_run_record(run, true);
	assert_int_equal(dsp_keygen(prefix, &ko, NULL, &why), 0);
	assert_int_equal(dsp_cert_signer_load(key, crt, NULL, NULL, &s, &why), 0);
	if (dsp_cert_certify(&bo, s, out, &ok, &why))
		fail_msg("%s", why);
	assert_false(ok);
	assert_int_equal(dsp_cert_verifier_new(crt, &v, &why), 0);
	memset(&res, 0, sizeof(res));
	assert_int_equal(dsp_cert_verify(v, out, &vo, &res), 0);
	if (res.outcome != DSP_CERT_FAILURE_REPORT)
		fail_msg("outcome %d: %s", (int)res.outcome, res.reason);
	assert_string_equal(res.kind, DSP_CERT_KIND_FAIL);
	dsp_cert_result_clear(&res);
	dsp_cert_verifier_free(v);
	dsp_cert_signer_free(s);
	free(why);
}

/* Signed and verified, with the run directory: the record's head and count match. */
static void test_certify_and_verify_run_record(void **state)
{
	char run[512], out[600], prefix[512], crt[600], key[600];
	char *why = NULL;
	const char *dirs[1];
	struct dsp_keygen_opts ko = { .type = DSP_KEYGEN_EC_P256, .subject = "/CN=unit run signer" };
	struct dsp_cert_attest a = { .operator_name = "Ann", .media_destination = "recycling" };
	struct dsp_cert_build_opts bo = { .run_dirs = dirs, .nrun_dirs = 1, .attest = &a,
					  .time = TIME };
	struct dsp_cert_verify_opts vo = { .run_dirs = dirs, .nrun_dirs = 1 };
	struct dsp_cert_signer *s = NULL;
	struct dsp_cert_verifier *v = NULL;
	struct dsp_cert_result res;
	struct dsp_ledger *l;
	bool ok = false;

	(void)state;
	snprintf(run, sizeof(run), "%s", at("run3"));
	snprintf(out, sizeof(out), "%.500s/certificate.json", run);
	snprintf(prefix, sizeof(prefix), "%s", at("signer"));
	snprintf(crt, sizeof(crt), "%.500s.crt", prefix);
	snprintf(key, sizeof(key), "%.500s.key", prefix);
	dirs[0] = run;
	write_run_record(run, false);
	assert_int_equal(dsp_keygen(prefix, &ko, NULL, &why), 0);
	assert_int_equal(dsp_cert_signer_load(key, crt, NULL, NULL, &s, &why), 0);
	assert_int_equal(dsp_cert_certify(&bo, s, out, &ok, &why), 0);
	assert_true(ok);
	assert_int_equal(dsp_cert_verifier_new(crt, &v, &why), 0);
	memset(&res, 0, sizeof(res));
	assert_int_equal(dsp_cert_verify(v, out, &vo, &res), 0);
	assert_int_equal(res.outcome, DSP_CERT_VALID);
	assert_string_equal(res.kind, DSP_CERT_KIND_OK);
	dsp_cert_result_clear(&res);

	/* the record grew after the certificate: verify with the run directory says so */
	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_RESUME, &l), 0);
	ev(l, "run_resumed", "{}");
	dsp_ledger_close(l);
	memset(&res, 0, sizeof(res));
	assert_int_equal(dsp_cert_verify(v, out, &vo, &res), 0);
	assert_int_equal(res.outcome, DSP_CERT_INVALID);
	assert_non_null(strstr(res.reason, "the certificate states"));
	dsp_cert_result_clear(&res);

	dsp_cert_verifier_free(v);
	dsp_cert_signer_free(s);
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_run_record),
		cmocka_unit_test(test_build_run_record_planned_never_started),
		cmocka_unit_test(test_certify_and_verify_run_record),
		cmocka_unit_test(test_certify_and_verify_run_never_started),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
