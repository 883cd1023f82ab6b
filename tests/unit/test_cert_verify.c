/* SPDX-License-Identifier: MIT */
/* test_cert_verify.c - the signer (sign.c), the verifier's signature/chain steps (verify.c), consistency.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "tmpdir_helpers.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_make("test_cert_verify");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

static EVP_PKEY *new_ec(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* A self-signed certificate of k: ku NULL means no keyUsage extension; days from now. */
static void write_cert(const char *path, EVP_PKEY *k, const char *ku, long from_days, long to_days)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	FILE *f;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"unit signer", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	if (ku) {
		X509_EXTENSION *e;

		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		e = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
}

static void write_key(const char *path, EVP_PKEY *k, const char *pass)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, pass ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
					      (void *)pass), 1);
	fclose(f);
}

static void write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static int load(const char *key, const char *cert, const char *pass, char **why)
{
	struct dsp_cert_signer *s = NULL;
	int rc = dsp_cert_signer_load(key, cert, NULL, pass, &s, why);

	dsp_cert_signer_free(s);
	return rc;
}

static void test_signer_load_refuses(void **state)
{
	EVP_PKEY *k = new_ec(), *other = new_ec();
	char *why = NULL;

	(void)state;
	write_key(at("k.pem"), k, NULL);
	write_key(at("enc.pem"), k, "sesame");
	write_str(at("pass"), "sesame\n");
	write_str(at("badpass"), "open\n");
	write_cert(at("ok.crt"), k, "critical,digitalSignature", -1, 30);
	write_cert(at("other.crt"), other, "critical,digitalSignature", -1, 30);
	write_cert(at("noku.crt"), k, NULL, -1, 30);
	write_cert(at("nods.crt"), k, "critical,keyEncipherment", -1, 30);
	write_cert(at("old.crt"), k, "critical,digitalSignature", -60, -30);
	write_cert(at("later.crt"), k, "critical,digitalSignature", 10, 30);

	assert_int_equal(load(at("k.pem"), at("ok.crt"), NULL, &why), 0);
	assert_int_equal(load(at("enc.pem"), at("ok.crt"), at("pass"), &why), 0);
	assert_int_equal(load(at("k.pem"), at("other.crt"), NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "certificate does not match the key"));
	assert_int_equal(load(at("k.pem"), at("noku.crt"), NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "no keyUsage extension"));
	assert_int_equal(load(at("k.pem"), at("nods.crt"), NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "lacks digitalSignature"));
	assert_int_equal(load(at("k.pem"), at("old.crt"), NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "has expired"));
	assert_int_equal(load(at("k.pem"), at("later.crt"), NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "not yet valid"));
	assert_int_equal(load(at("enc.pem"), at("ok.crt"), NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "key is encrypted"));
	assert_int_equal(load(at("enc.pem"), at("ok.crt"), at("badpass"), &why), DSP_INVALID);
	assert_non_null(strstr(why, "cannot decrypt"));
	assert_int_equal(load(at("none.pem"), at("ok.crt"), NULL, &why), -ENOENT);
	assert_int_equal(load(at("ok.crt"), at("ok.crt"), NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "not a PEM private key"));
	free(why);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static const char doc_text[] = "{ \"not\": \"a certificate\" }\n";

static void test_sign_then_verify_steps(void **state)
{
	EVP_PKEY *k = new_ec();
	struct dsp_cert_signer *s = NULL;
	struct dsp_cert_verifier *none = NULL, *ca = NULL, *wrong = NULL;
	struct dsp_cert_result r;
	unsigned char *der = NULL, *big;
	size_t derlen = 0, len = strlen(doc_text);
	char *why = NULL, *tampered;

	(void)state;
	write_key(at("k.pem"), k, NULL);
	write_cert(at("ok.crt"), k, "critical,digitalSignature", -1, 30);
	{
		EVP_PKEY *o = new_ec();

		write_cert(at("other.crt"), o, "critical,digitalSignature", -1, 30);
		EVP_PKEY_free(o);
	}
	assert_int_equal(dsp_cert_signer_load(at("k.pem"), at("ok.crt"), NULL, NULL, &s, &why), 0);
	assert_int_equal(dsp_cert_sign(s, doc_text, len, &der, &derlen, &why), 0);
	assert_true(derlen > 100 && der[0] == 0x30);
	assert_int_equal(dsp_cert_verifier_new(NULL, &none, &why), 0);
	assert_int_equal(dsp_cert_verifier_new(at("ok.crt"), &ca, &why), 0);
	assert_int_equal(dsp_cert_verifier_new(at("other.crt"), &wrong, &why), 0);
	{
		struct dsp_cert_verifier *v = NULL;

		assert_int_equal(dsp_cert_verifier_new(at("k.pem"), &v, &why), DSP_INVALID);
		assert_null(v);
		assert_non_null(strstr(why, "no PEM certificate in it"));
	}

	/* no --ca: the signature is checked, then untrusted */
	assert_int_equal(dsp_cert_verify_mem(none, "x", doc_text, len, der, derlen, NULL, &r), 0);
	assert_int_equal(r.outcome, DSP_CERT_UNTRUSTED);
	assert_string_equal(r.reason, "signature valid, signer not trusted (no --ca)");
	assert_string_equal(r.signer, "CN=unit signer");
	assert_non_null(r.signing_time);
	dsp_cert_result_clear(&r);
	/* trusted: past signature and chain, the document itself is what fails */
	assert_int_equal(dsp_cert_verify_mem(ca, "x", doc_text, len, der, derlen, NULL, &r), 0);
	assert_int_equal(r.outcome, DSP_CERT_INVALID);
	assert_true(strncmp(r.reason, "certificate", 11) == 0 || strstr(r.reason, "schema") ||
		    strchr(r.reason, '$'));
	assert_null(strstr(r.reason, "signature"));
	dsp_cert_result_clear(&r);
	/* another CA: untrusted */
	assert_int_equal(dsp_cert_verify_mem(wrong, "x", doc_text, len, der, derlen, NULL, &r), 0);
	assert_int_equal(r.outcome, DSP_CERT_UNTRUSTED);
	dsp_cert_result_clear(&r);
	/* one changed byte of the document */
	tampered = strdup(doc_text);
	tampered[3] ^= 1;
	assert_int_equal(dsp_cert_verify_mem(ca, "x", tampered, len, der, derlen, NULL, &r), 0);
	assert_int_equal(r.outcome, DSP_CERT_INVALID);
	assert_string_equal(r.reason, "signature does not match the document");
	dsp_cert_result_clear(&r);
	free(tampered);
	/* a byte after the DER structure; an empty and a truncated signature */
	big = malloc(derlen + 1);
	memcpy(big, der, derlen);
	big[derlen] = 0;
	assert_int_equal(dsp_cert_verify_mem(ca, "x", doc_text, len, big, derlen + 1, NULL, &r), 0);
	assert_int_equal(r.outcome, DSP_CERT_INVALID);
	assert_string_equal(r.reason, "signature: 1 bytes after the CMS structure");
	dsp_cert_result_clear(&r);
	assert_int_equal(dsp_cert_verify_mem(ca, "x", doc_text, len, der, 0, NULL, &r), 0);
	assert_string_equal(r.reason, "signature: empty");
	dsp_cert_result_clear(&r);
	assert_int_equal(dsp_cert_verify_mem(ca, "x", doc_text, len, der, derlen - 1, NULL, &r), 0);
	assert_int_equal(r.outcome, DSP_CERT_INVALID);
	assert_string_equal(r.reason, "signature: not a DER CMS structure");
	dsp_cert_result_clear(&r);
	/* the SignedData version (offset of its value: after 30 82 xx xx 06 09 <oid> a0 82 xx xx 30 82 xx xx 02 01) */
	memcpy(big, der, derlen);
	assert_int_equal(big[23], 0x02);
	big[25] ^= 2;
	assert_int_equal(dsp_cert_verify_mem(ca, "x", doc_text, len, big, derlen, NULL, &r), 0);
	assert_string_equal(r.reason, "signature: SignedData version is not 1");
	dsp_cert_result_clear(&r);
	free(big);

	free(der);
	free(why);
	dsp_cert_signer_free(s);
	dsp_cert_verifier_free(none);
	dsp_cert_verifier_free(ca);
	dsp_cert_verifier_free(wrong);
	EVP_PKEY_free(k);
}

/* ---- consistency ---- */

static const char good_doc[] =
	"{ \"schema\": \"dispose-certificate/1\", \"kind\": \"certificate-of-sanitization\","
	"  \"summary\": { \"targets\": 1, \"succeeded\": 1, \"failed\": 0,"
	"    \"category_requested\": \"clear\", \"category_achieved\": \"clear\","
	"    \"backed_up\": \"no\", \"failures\": [] },"
	"  \"runs\": [ { \"head\": \"00\", \"events\": 3 } ],"
	"  \"backup\": { \"backed_up\": \"no\", \"archives\": [] },"
	"  \"targets\": [ { \"run\": 0, \"id\": \"t1\", \"path\": \"/dev/loop9\", \"kind\": \"block\","
	"    \"identity\": { \"size\": 4096, \"partition\": false },"
	"    \"nist\": { \"sanitization\": \"Clear\", \"technique\": \"overwrite\" },"
	"    \"passes\": [ { \"pass\": 1, \"bytes_written\": 4096, \"complete\": true } ],"
	"    \"verification\": { \"mode\": \"last\", \"mismatches\": 0, \"unreadable_bytes\": 0 },"
	"    \"bad_ranges\": [], \"bytes_written\": 4096, \"bytes_verified\": 4096,"
	"    \"result\": \"success\", \"category_requested\": \"clear\","
	"    \"category_achieved\": \"clear\", \"old_data_may_remain\": false } ] }";

static struct json_object *doc(void)
{
	struct json_object *d = json_tokener_parse(good_doc);

	assert_non_null(d);
	return d;
}

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t; t = strtok_r(NULL, ".", &save)) {
		struct json_object *v = NULL;

		if (json_object_is_type(o, json_type_array))
			v = json_object_array_get_idx(o, (size_t)atoi(t));
		else
			assert_true(json_object_object_get_ex(o, t, &v));
		o = v;
	}
	return o;
}

static void set(struct json_object *d, const char *parent, const char *key, struct json_object *v)
{
	json_object_object_add(get(d, parent), key, v);
}

/* doc with one change; the first fault's text must contain want (NULL: consistent). */
static void expect(struct json_object *d, const char *want)
{
	char *why = NULL;
	int rc = dsp_cert_check_consistency(d, &why);

	if (!want) {
		if (rc)
			fail_msg("unexpected: %s", why);
	} else {
		assert_int_equal(rc, DSP_INVALID);
		if (!strstr(why, want))
			fail_msg("'%s' does not say '%s'", why, want);
	}
	free(why);
	json_object_put(d);
}

static void set_summary_none(struct json_object *d)
{
	set(d, "summary", "category_achieved", json_object_new_string("none"));
	set(d, "summary", "category_requested", json_object_new_string("none"));
	set(d, "targets.0", "category_requested", json_object_new_string("none"));
	set(d, "targets.0", "category_achieved", json_object_new_string("none"));
	set(d, "targets.0.nist", "sanitization", json_object_new_string("none"));
}

static void test_consistency(void **state)
{
	struct json_object *d;

	(void)state;
	expect(doc(), NULL);

	d = doc();
	set(d, "summary", "targets", json_object_new_int(2));
	expect(d, "summary: targets is not the 1 target listed");

	/* a success its passes and read-back do not show (an edited, re-hashed record) */
	d = doc();
	set(d, "targets.0", "passes", json_object_new_array());
	expect(d, "category_achieved clear, but the record shows no overwrite pass");
	d = doc();
	set(d, "targets.0.passes.0", "complete", json_object_new_boolean(0));
	expect(d, "category_achieved clear, but the record shows an overwrite pass that did not complete");
	d = doc();
	set(d, "targets.0.passes.0", "bytes_written", json_object_new_int(512));
	expect(d, "category_achieved clear, but the record shows a pass that wrote less");
	d = doc();
	set(d, "targets.0", "bytes_verified", json_object_new_int(8192));
	expect(d, "category_achieved clear, but the record shows more bytes written or read back");
	d = doc();
	set(d, "targets.0", "bytes_verified", json_object_new_int(512));
	expect(d, "category_achieved clear, but the record shows a full read-back of fewer bytes");
	d = doc();
	set(d, "targets.0.passes.0", "complete", json_object_new_boolean(0));
	set(d, "targets.0", "category_achieved", json_object_new_string("none"));
	set(d, "targets.0.nist", "sanitization", json_object_new_string("none"));
	set(d, "summary", "category_achieved", json_object_new_string("none"));
	expect(d, "summary: succeeded is not 0");

	d = doc();
	set(d, "targets.0", "result", json_object_new_string("done"));
	expect(d, "target t1: has no result");

	d = doc();
	set(d, "targets.0", "run", json_object_new_int(1));
	expect(d, "target t1: run is not an index into runs");

	/* the medium caps the category */
	d = doc();
	set(d, "targets.0", "kind", json_object_new_string("file"));
	expect(d, "target t1: category_achieved clear, but not a whole block device");
	d = doc();
	set(d, "targets.0.identity", "partition", json_object_new_boolean(true));
	expect(d, "a partition, not the whole medium");
	d = doc();
	set(d, "targets.0", "category_achieved", json_object_new_string("purge"));
	set(d, "targets.0.nist", "sanitization", json_object_new_string("Purge"));
	expect(d, "category_achieved purge, but an overwrite allows at most clear");

	/* clear needs every byte written and verified clean */
	d = doc();
	set(d, "targets.0.verification", "mismatches", json_object_new_int(3));
	expect(d, "category_achieved clear, but verification found mismatches");
	d = doc();
	json_object_array_add(get(d, "targets.0.bad_ranges"), json_object_new_array());
	expect(d, "category_achieved clear, but it has bad ranges");
	d = doc();
	set(d, "targets.0.verification", "unreadable_bytes", json_object_new_int(512));
	expect(d, "category_achieved clear, but bytes were unreadable");
	d = doc();
	set(d, "targets.0.verification", "mode", json_object_new_string("none"));
	expect(d, "category_achieved clear, but it was not verified");
	d = doc();
	set(d, "targets.0", "result", json_object_new_string("interrupted"));
	expect(d, "category_achieved clear, but the result is not success");
	d = doc();
	set(d, "targets.0.nist", "sanitization", json_object_new_string("Purge"));
	expect(d, "nist.sanitization is not Clear");

	/* counts and the weakest-category summary */
	d = doc();
	set(d, "summary", "succeeded", json_object_new_int(0));
	expect(d, "summary: succeeded is not 1");
	d = doc();
	set(d, "summary", "failed", json_object_new_int(1));
	expect(d, "summary: failed is not 0");
	d = doc();
	set(d, "summary", "category_achieved", json_object_new_string("purge"));
	expect(d, "summary: category_achieved is not clear");
	d = doc();
	set(d, "summary", "category_requested", json_object_new_string("none"));
	expect(d, "summary: category_requested is not clear");

	/* kind against the results */
	d = doc();
	set_summary_none(d);
	set(d, "targets.0", "result", json_object_new_string("failed"));
	set(d, "summary", "succeeded", json_object_new_int(0));
	set(d, "summary", "failed", json_object_new_int(1));
	expect(d, "kind: certificate-of-sanitization, but target t1 is failed");
	d = doc();
	set(d, "targets.0", "old_data_may_remain", json_object_new_boolean(true));
	expect(d, "kind: certificate-of-sanitization, but target t1 is old data may remain");
	d = doc();
	set(d, "targets.0", "category_achieved", json_object_new_string("none"));
	set(d, "targets.0.nist", "sanitization", json_object_new_string("none"));
	set(d, "summary", "category_achieved", json_object_new_string("none"));
	expect(d, "but target t1 is achieved less than requested");
	d = doc();
	set(d, "", "kind", json_object_new_string(DSP_CERT_KIND_FAIL));
	expect(d, "kind: sanitization-failure-report, but every target succeeded");
	d = doc();
	set(d, "", "kind", json_object_new_string("certificate"));
	expect(d, "kind: unknown kind");
	d = doc();
	json_object_array_add(get(d, "summary.failures"), json_object_new_string("t1: no"));
	expect(d, "summary: failures listed in a certificate of sanitization");
	d = doc();
	set_summary_none(d);
	set(d, "targets.0", "result", json_object_new_string("failed"));
	set(d, "summary", "succeeded", json_object_new_int(0));
	set(d, "summary", "failed", json_object_new_int(1));
	set(d, "", "kind", json_object_new_string(DSP_CERT_KIND_FAIL));
	expect(d, "summary: failures empty in a failure report");
	d = doc();
	set(d, "summary", "backed_up", json_object_new_string("yes"));
	expect(d, "summary: backed_up differs from backup.backed_up");

	/* no target at all: never a certificate of sanitization */
	d = doc();
	set(d, "", "targets", json_object_new_array());
	set(d, "summary", "targets", json_object_new_int(0));
	set(d, "summary", "succeeded", json_object_new_int(0));
	set(d, "summary", "category_achieved", json_object_new_string("none"));
	set(d, "summary", "category_requested", json_object_new_string("none"));
	expect(d, "kind: certificate-of-sanitization, but it has no target");

	/* a finished target with nothing to write counts as verified (build.c's rule) */
	d = doc();
	set_summary_none(d);
	set(d, "targets.0", "bytes_written", json_object_new_int(0));
	set(d, "targets.0", "bytes_verified", json_object_new_int(0));
	set(d, "targets.0.identity", "size", NULL);
	expect(d, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signer_load_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_then_verify_steps, setup, teardown),
		cmocka_unit_test(test_consistency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
