/* SPDX-License-Identifier: MIT */
/* test_cert_redact.c - the redacted copy: the walk (whole fields, substrings longest first, names that are not UTF-8), its rules, --original */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/util.h"
#include "../../src/cert/cert_int.h"

#define SALT "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* A document with the members the walk looks at (not a whole certificate). */
static const char *const FULL =
	"{\"schema\": \"dispose-certificate/1\", \"certificate_id\": \"11111111-2222-8333-8444-555555555555\","
	" \"host\": {\"hostname\": \"web01\", \"machine_id\": \"0123456789abcdef0123456789abcdef\","
	"  \"dmi\": {\"sys_vendor\": \"ACME\", \"product_name\": null, \"product_serial\": \"SN-77\","
	"   \"product_uuid\": null, \"chassis_serial\": null, \"chassis_asset_tag\": null,"
	"   \"board_serial\": \"ab\"}},"
	" \"runs\": [{\"run_dir\": \"/srv/web01/run\", \"host\": \"web01\","
	"   \"head\": \"aa0FCBA1bb\"}],"
	" \"backup\": {\"archives\": [{\"path\": \"/srv/web01/run/a.tar\","
	"   \"recipients\": [{\"subject\": \"CN = escrow\", \"serial\": \"0FCBA1\","
	"     \"sha256\": \"" SALT "\"}]}]},"
	" \"targets\": [{\"id\": \"t1\", \"path\": \"/srv/web01/run/data\", \"kind\": \"web01\","
	"   \"method\": {\"name\": \"web01\", \"source\": \"ACME\"},"
	"   \"identity\": {\"serial\": \"SN-77\", \"wwn\": null, \"backing_file\": null, \"model\": \"ACME disk\","
	"    \"name\": \"loop5\"},"
	"   \"nist\": {\"serial\": \"SN-77\", \"model\": \"ACME disk\"},"
	"   \"passes\": [{\"pass\": 1, \"pattern\": {\"kind\": \"random\", \"key\": \"web01web01\"}}],"
	"   \"caveats\": [\"loop over /srv/web01/run/data and /srv/web01/run\", \"host web01 said ab\", \"ab\","
	"                 \"about\", \"records-ab-2026\", \"never /opt/never\"],"
	"   \"key_material\": [{\"path\": \"/srv/web01/run/data/k\", \"fingerprint\": \"SHA256:kFp\"}],"
	"   \"evidence\": {\"luks\": null, \"header_backups\": [], \"sanitize\": {\"status\": {\"serial\": \"SN-77\"}},"
	"     \"health_before\": {\"info\": {\"wwn\": \"5000c5\"}}, \"health_after\": null, \"hidden\": null}},"
	"  {\"id\": \"t2\", \"path\": \"/srv/a\\\\xff\", \"path_hex\": \"2f7372762f61ff\","
	"   \"identity\": {}, \"nist\": {}, \"caveats\": [\"t2 /srv/a\\\\xff: failed\"]}],"
	" \"summary\": {\"failures\": [\"t1 /srv/web01/run/data: interrupted\"]},"
	" \"redaction\": {\"salt\": \"" SALT "\", \"fields\": [\"serials\", \"host\", \"paths\"],"
	"   \"paths\": [{\"path\": \"/opt/never\"}], \"redacted_copy\": null}}";

static struct json_object *parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

/* "redacted:" + hex(SHA-256(salt || v[0..n))) */
static const char *tok(const void *v, size_t n)
{
	static char out[8][80];
	static unsigned k;
	unsigned char salt[32], md[32];
	unsigned int mdl = 0;
	size_t sl = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char *o = out[k++ % 8];

	assert_int_equal(dsp_unhex(SALT, 64, salt, 32, &sl), 0);
	assert_true(EVP_DigestInit_ex(c, EVP_sha256(), NULL) && EVP_DigestUpdate(c, salt, 32) &&
		    EVP_DigestUpdate(c, v, n) && EVP_DigestFinal_ex(c, md, &mdl));
	EVP_MD_CTX_free(c);
	strcpy(o, "redacted:");
	dsp_hex(md, 32, o + 9);
	return o;
}
#define TOK(s) tok(s, strlen(s))

static const char *at(struct json_object *o, const char *path)
{
	/* "targets.0.caveats.1" */
	char buf[256], *save = NULL, *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(p));
		else
			o = json_object_object_get(o, p);
	}
	return json_object_get_string(o);
}

static char *cat2(const char *a, const char *b)
{
	char *s = NULL;

	assert_true(asprintf(&s, "%s%s", a, b) > 0);
	return s;
}

static void test_redact_parse_words(void **state)
{
	unsigned m = 0;
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_cert_redact_parse("serials,host,paths", &m, NULL), 0);
	assert_int_equal(m, DSP_CERT_REDACT_ALL);
	assert_int_equal(dsp_cert_redact_parse("paths", &m, NULL), 0);
	assert_int_equal(m, DSP_CERT_REDACT_PATHS);
	assert_string_equal(dsp_cert_redact_words(DSP_CERT_REDACT_SERIALS | DSP_CERT_REDACT_PATHS),
			    "serials, paths");
	assert_int_equal(dsp_cert_redact_parse("serials,hostname", &m, &why), DSP_INVALID);
	assert_non_null(strstr(why, "'hostname'"));
	free(why);
	why = NULL;
	assert_int_equal(dsp_cert_redact_parse("host,", &m, &why), DSP_INVALID);
	free(why);
	assert_int_equal(dsp_cert_redact_parse("", &m, NULL), DSP_INVALID);
	assert_true(dsp_cert_is_token(TOK("x")));
	assert_false(dsp_cert_is_token("redacted:ABCDEF"));
}

static void test_redact_walk_whole_and_longest_first(void **state)
{
	struct json_object *full = parse(FULL), *copy = NULL;
	size_t n = 0;
	char *s;

	(void)state;
	assert_int_equal(dsp_cert_redact(full, NULL, 0, &copy, &n, NULL), 0);
	/* whole fields */
	assert_string_equal(at(copy, "host.hostname"), TOK("web01"));
	assert_string_equal(at(copy, "runs.0.host"), TOK("web01"));
	assert_string_equal(at(copy, "host.machine_id"), TOK("0123456789abcdef0123456789abcdef"));
	assert_string_equal(at(copy, "host.dmi.sys_vendor"), TOK("ACME"));
	assert_string_equal(at(copy, "host.dmi.product_serial"), TOK("SN-77"));
	assert_string_equal(at(copy, "host.dmi.board_serial"), TOK("ab"));
	assert_string_equal(at(copy, "runs.0.run_dir"), TOK("/srv/web01/run"));
	assert_string_equal(at(copy, "backup.archives.0.path"), TOK("/srv/web01/run/a.tar"));
	assert_string_equal(at(copy, "backup.archives.0.recipients.0.serial"), TOK("0FCBA1"));
	assert_string_equal(at(copy, "targets.0.path"), TOK("/srv/web01/run/data"));
	assert_string_equal(at(copy, "targets.0.identity.serial"), TOK("SN-77"));
	assert_string_equal(at(copy, "targets.0.nist.serial"), TOK("SN-77"));
	assert_string_equal(at(copy, "targets.0.key_material.0.path"), TOK("/srv/web01/run/data/k"));
	assert_string_equal(at(copy, "targets.0.evidence.sanitize.status.serial"), TOK("SN-77"));
	assert_string_equal(at(copy, "targets.0.evidence.health_before.info.wwn"), TOK("5000c5"));
	/* substrings, the longest value first: the path, not the run directory + "/data" */
	s = NULL;
	assert_true(asprintf(&s, "loop over %s and %s", TOK("/srv/web01/run/data"),
			     TOK("/srv/web01/run")) > 0);
	assert_string_equal(at(copy, "targets.0.caveats.0"), s);
	free(s);
	/* a short value: replaced where it is a whole word, not inside words */
	s = cat2("host ", TOK("web01"));
	{
		char *t = cat2(s, " said "), *u = cat2(t, TOK("ab"));
		assert_string_equal(at(copy, "targets.0.caveats.1"), u);
		free(t);
		free(u);
	}
	free(s);
	assert_string_equal(at(copy, "targets.0.caveats.2"), TOK("ab"));
	assert_string_equal(at(copy, "targets.0.caveats.3"), "about");
	s = cat2("records-", TOK("ab"));
	{
		char *t = cat2(s, "-2026");
		assert_string_equal(at(copy, "targets.0.caveats.4"), t);
		free(t);
	}
	free(s);
	/* a path the records name outside targets[] (never started): hidden in text too */
	s = cat2("never ", TOK("/opt/never"));
	assert_string_equal(at(copy, "targets.0.caveats.5"), s);
	free(s);
	/* dispose's own words stay, even equal to a hidden value */
	assert_string_equal(at(copy, "targets.0.kind"), "web01");
	assert_string_equal(at(copy, "targets.0.method.name"), "web01");
	assert_string_equal(at(copy, "targets.0.method.source"), "ACME");
	/* a key's fingerprint (host), the device name (paths), a recipient's SHA-256 (serials) */
	assert_string_equal(at(copy, "targets.0.key_material.0.fingerprint"), TOK("SHA256:kFp"));
	assert_string_equal(at(copy, "targets.0.identity.name"), TOK("loop5"));
	assert_string_equal(at(copy, "backup.archives.0.recipients.0.sha256"), TOK(SALT));
	/* a vendor inside a model: hidden there too */
	s = cat2(TOK("ACME"), " disk");
	assert_string_equal(at(copy, "targets.0.identity.model"), s);
	free(s);
	s = cat2("t1 ", TOK("/srv/web01/run/data"));
	{
		char *t = cat2(s, ": interrupted");
		assert_string_equal(at(copy, "summary.failures.0"), t);
		free(t);
	}
	free(s);
	/* digests and key material: untouched */
	assert_string_equal(at(copy, "runs.0.head"), "aa0FCBA1bb");
	assert_string_equal(at(copy, "targets.0.passes.0.pattern.key"), "web01web01");
	/* the salt stays in the full certificate only; the copy says what it is */
	assert_null(json_object_object_get(copy, "redaction"));
	assert_string_equal(at(copy, "redacted.original_id"), "11111111-2222-8333-8444-555555555555");
	assert_string_equal(at(copy, "redacted.scheme"), "sha256(salt || value)");
	assert_true(json_object_is_type(json_object_object_get(
		json_object_object_get(copy, "redacted"), "original_sha256"), json_type_null));
	assert_int_not_equal(strcmp(at(copy, "certificate_id"), at(full, "certificate_id")), 0);
	assert_true(n >= 20);
	json_object_put(copy);
	json_object_put(full);
}

static void test_redact_walk_not_utf8_path_hex(void **state)
{
	struct json_object *full = parse(FULL), *copy = NULL;
	const unsigned char bytes[] = { '/', 's', 'r', 'v', '/', 'a', 0xff };
	const char *t = tok(bytes, sizeof(bytes));
	char *want = NULL;

	(void)state;
	assert_int_equal(dsp_cert_redact(full, NULL, 0, &copy, NULL, NULL), 0);
	/* the token is of the exact bytes; the text and its hex both hold it */
	assert_string_equal(at(copy, "targets.1.path"), t);
	assert_string_equal(at(copy, "targets.1.path_hex"), t);
	assert_int_not_equal(strcmp(t, TOK("/srv/a\\xff")), 0);
	/* the escaped text elsewhere gets the same token */
	assert_true(asprintf(&want, "t2 %s: failed", t) > 0);
	assert_string_equal(at(copy, "targets.1.caveats.0"), want);
	free(want);
	json_object_put(copy);
	json_object_put(full);
}

static void test_redact_only_fields_asked(void **state)
{
	struct json_object *full = parse(FULL), *copy = NULL, *f;

	(void)state;
	f = json_object_new_array();
	json_object_array_add(f, json_object_new_string("serials"));
	json_object_object_add(json_object_object_get(full, "redaction"), "fields", f);
	assert_int_equal(dsp_cert_redact(full, NULL, 0, &copy, NULL, NULL), 0);
	assert_string_equal(at(copy, "host.hostname"), "web01");
	assert_string_equal(at(copy, "targets.0.path"), "/srv/web01/run/data");
	assert_string_equal(at(copy, "targets.0.identity.serial"), TOK("SN-77"));
	assert_int_equal(cert_check_redaction(copy, NULL), 0);
	json_object_put(copy);
	/* no redaction member: not made with --redact */
	json_object_object_del(full, "redaction");
	assert_int_equal(dsp_cert_redact(full, NULL, 0, &copy, NULL, NULL), DSP_INVALID);
	assert_null(copy);
	json_object_put(full);
}

static void test_redact_rules(void **state)
{
	struct json_object *full = parse(FULL), *copy = NULL, *t;
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_cert_redact(full, NULL, 0, &copy, NULL, NULL), 0);
	assert_int_equal(cert_check_redaction(copy, NULL), 0);
	assert_int_equal(cert_check_redaction(full, NULL), 0);
	/* a malformed token */
	t = json_object_object_get(json_object_array_get_idx(json_object_object_get(copy, "targets"), 0),
				   "caveats");
	json_object_array_put_idx(t, 3, json_object_new_string("x redacted:12ab y"));
	assert_int_equal(cert_check_redaction(copy, &why), DSP_INVALID);
	assert_non_null(strstr(why, "$.targets[0].caveats[3]: malformed redaction token"));
	free(why);
	why = NULL;
	json_object_array_put_idx(t, 3, json_object_new_string("about"));
	/* path_hex: not the path's token */
	t = json_object_array_get_idx(json_object_object_get(copy, "targets"), 1);
	json_object_object_add(t, "path_hex", json_object_new_string(TOK("other")));
	assert_int_equal(cert_check_redaction(copy, &why), DSP_INVALID);
	assert_non_null(strstr(why, "$.targets[1].path_hex: not the token"));
	free(why);
	why = NULL;
	json_object_object_add(t, "path_hex", json_object_new_string(at(t, "path")));
	assert_int_equal(cert_check_redaction(copy, NULL), 0);
	/* a token in a field of a category the copy does not list */
	{
		struct json_object *f = json_object_new_array();

		json_object_array_add(f, json_object_new_string("serials"));
		json_object_array_add(f, json_object_new_string("host"));
		json_object_object_add(json_object_object_get(copy, "redacted"), "fields", f);
	}
	assert_int_equal(cert_check_redaction(copy, &why), DSP_INVALID);
	assert_non_null(strstr(why, "redacted.fields does not list paths"));
	free(why);
	why = NULL;
	/* fields out of order or repeated, both members, a token in a full certificate's _hex */
	{
		struct json_object *f = json_object_new_array();

		json_object_array_add(f, json_object_new_string("host"));
		json_object_array_add(f, json_object_new_string("serials"));
		json_object_object_add(json_object_object_get(copy, "redacted"), "fields", f);
		assert_int_equal(cert_check_redaction(copy, NULL), DSP_INVALID);
	}
	json_object_object_add(full, "redacted", json_object_get(json_object_object_get(copy, "redacted")));
	assert_int_equal(cert_check_redaction(full, NULL), DSP_INVALID);
	json_object_object_del(full, "redacted");
	t = json_object_array_get_idx(json_object_object_get(full, "targets"), 1);
	json_object_object_add(t, "path_hex", json_object_new_string(TOK("x")));
	assert_int_equal(cert_check_redaction(full, &why), DSP_INVALID);
	assert_non_null(strstr(why, "not a redacted copy"));
	free(why);
	json_object_put(copy);
	json_object_put(full);
}

static void test_redact_compare_original(void **state)
{
	struct json_object *full = parse(FULL), *copy = NULL, *c2 = NULL;
	char *buf = NULL, *why = NULL;
	size_t len = 0, n = 0, nt = 0;

	(void)state;
	/* the full names its copy's id (dsp_cert_build does this) */
	assert_int_equal(dsp_cert_redact(full, NULL, 0, &copy, NULL, NULL), 0);
	json_object_object_add(json_object_object_get(full, "redaction"), "redacted_copy",
			       json_object_get(json_object_object_get(copy, "certificate_id")));
	json_object_put(copy);
	assert_int_equal(dsp_cert_canonical(full, &buf, &len), 0);
	assert_int_equal(dsp_cert_redact(full, buf, len, &copy, &nt, NULL), 0);
	assert_int_equal(strlen(at(copy, "redacted.original_sha256")), 64);
	assert_int_equal(cert_redact_compare(full, buf, len, copy, &n, NULL), 0);
	assert_int_equal(n, nt);
	/* one token that is not of the full's value */
	assert_int_equal(json_object_deep_copy(copy, &c2, NULL), 0);
	json_object_object_add(json_object_object_get(c2, "host"), "hostname",
			       json_object_new_string(TOK("web02")));
	assert_int_equal(cert_redact_compare(full, buf, len, c2, &n, &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "$.host.hostname: differs"));
	free(why);
	why = NULL;
	json_object_put(c2);
	/* other bytes than the full's */
	buf[0] = ' ';
	assert_int_equal(cert_redact_compare(full, buf, len, copy, &n, &why), DSP_MISMATCH);
	assert_non_null(strstr(why, "original_sha256"));
	free(why);
	free(buf);
	json_object_put(copy);
	json_object_put(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_parse_words),
		cmocka_unit_test(test_redact_walk_whole_and_longest_first),
		cmocka_unit_test(test_redact_walk_not_utf8_path_hex),
		cmocka_unit_test(test_redact_only_fields_asked),
		cmocka_unit_test(test_redact_rules),
		cmocka_unit_test(test_redact_compare_original),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
