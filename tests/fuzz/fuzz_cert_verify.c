/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cert_verify.c - libFuzzer target over dispose verify's path
 * (dsp_cert_verify_mem): the input is a certificate's JSON, the separator
 * SEP, then its detached .p7s (DER). Two fixed verifiers: none (every signer
 * untrusted) and one that trusts the test CA beside the corpus
 * (tests/fuzz/corpus/fuzz_cert_verify.ca.pem, the seeds' signer's issuer;
 * none when it is not found). Whatever the bytes, verify returns a verdict
 * with a reason; a certificate it calls valid parses, passes its own rules,
 * and is a certificate of sanitization; without a CA nothing is trusted.
 * Then the JSON half, when it is a certificate's canonical bytes, is signed
 * afresh with the test signer (key and certificate beside the corpus), so
 * that mutated documents reach the schema and consistency checks behind
 * a good signature: trusted, such a document is valid (or a valid failure
 * report) exactly when it passes dsp_cert_check_schema and
 * dsp_cert_check_consistency.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"

#define SEP	"\0P7S\0"	/* a certificate's JSON holds no NUL byte */
#define SEPLEN	5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dsp_cert_verifier *none, *ca;
static struct dsp_cert_signer *signer;

static void quiet(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static void done(void)
{
	dsp_cert_verifier_free(none);
	dsp_cert_verifier_free(ca);
	dsp_cert_signer_free(signer);
}

static void init(void)
{
	const char *dir = getenv("DISPOSE_SRCDIR");
	char path[4096];

	dsp_log_set_syslog(0);
	dsp_log_set_handler(quiet, NULL);
	if (dsp_cert_verifier_new(NULL, &none, NULL))
		abort();
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/fuzz_cert_verify.ca.pem", dir ? dir : ".");
	if (dsp_cert_verifier_new(path, &ca, NULL)) {
		ca = NULL;	/* run from elsewhere: the untrusted path only */
		fprintf(stderr, "fuzz_cert_verify: no test CA at %s: trusted path not fuzzed\n", path);
	}
	{
		char key[4096], crt[4096];

		snprintf(key, sizeof(key), "%s/tests/fuzz/corpus/fuzz_cert_verify.signer.key",
			 dir ? dir : ".");
		snprintf(crt, sizeof(crt), "%s/tests/fuzz/corpus/fuzz_cert_verify.signer.crt",
			 dir ? dir : ".");
		if (dsp_cert_signer_load(key, crt, NULL, NULL, &signer, NULL))
			signer = NULL;
	}
	atexit(done);
}

static void check(struct dsp_cert_verifier *v, const char *json, size_t jlen, const void *p7s,
		  size_t plen)
{
	struct dsp_cert_result res;
	int r = dsp_cert_verify_mem(v, "fuzz.json", json, jlen, p7s, plen, NULL, &res);

	if (r == -ENOMEM)
		return;
	if (r != 0 || !res.reason || (unsigned)res.outcome > DSP_CERT_UNREADABLE)
		__builtin_trap();
	if (v == none && (res.outcome == DSP_CERT_VALID || res.outcome == DSP_CERT_FAILURE_REPORT))
		__builtin_trap();
	if (res.outcome == DSP_CERT_VALID || res.outcome == DSP_CERT_FAILURE_REPORT) {
		struct json_object *doc = NULL;
		const char *kind;

		if (dsp_cert_parse(json, jlen, &doc, NULL) || dsp_cert_check_schema(doc, NULL) ||
		    dsp_cert_check_consistency(doc, NULL))
			__builtin_trap();
		kind = dsp_json_str(doc, "kind");
		if (!kind || strcmp(kind, res.outcome == DSP_CERT_VALID ? DSP_CERT_KIND_OK :
				    DSP_CERT_KIND_FAIL))
			__builtin_trap();
		json_object_put(doc);
	}
	dsp_cert_result_clear(&res);
}

/* A strictly parsed document, signed here: verify's verdict must be its rules' verdict. */
static void resigned(const char *json, size_t jlen)
{
	struct json_object *doc = NULL;
	struct dsp_cert_result res;
	unsigned char *der = NULL;
	size_t dlen = 0;
	bool good;
	int r;

	if (!signer || !ca || dsp_cert_parse(json, jlen, &doc, NULL))
		return;
	good = !dsp_cert_check_schema(doc, NULL) && !dsp_cert_check_consistency(doc, NULL);
	if (dsp_cert_sign(signer, json, jlen, &der, &dlen, NULL))
		abort();
	r = dsp_cert_verify_mem(ca, "fuzz.json", json, jlen, der, dlen, NULL, &res);
	if (r == 0) {
		if (good != (res.outcome == DSP_CERT_VALID || res.outcome == DSP_CERT_FAILURE_REPORT))
			__builtin_trap();
		if (!good && res.outcome != DSP_CERT_INVALID)
			__builtin_trap();
		dsp_cert_result_clear(&res);
	} else if (r != -ENOMEM) {
		__builtin_trap();
	}
	free(der);
	json_object_put(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memmem(data, size, SEP, SEPLEN);
	size_t jlen = sep ? (size_t)(sep - data) : size;
	const uint8_t *p7s = sep ? sep + SEPLEN : data + size;
	size_t plen = size - jlen - (sep ? SEPLEN : 0);

	if (!none)
		init();
	check(none, (const char *)data, jlen, p7s, plen);
	if (ca)
		check(ca, (const char *)data, jlen, p7s, plen);
	resigned((const char *)data, jlen);
	/* whatever object the JSON half holds, in canonical form (as fuzz_cert_parse) */
	{
		struct json_tokener *tok = json_tokener_new();
		struct json_object *o;
		char *c = NULL;
		size_t clen;

		if (!tok)
			abort();
		o = json_tokener_parse_ex(tok, (const char *)data, (int)jlen);
		json_tokener_free(tok);
		if (json_object_is_type(o, json_type_object) && dsp_json_is_utf8(o) &&
		    dsp_cert_canonical(o, &c, &clen) == 0 && (clen != jlen || memcmp(c, data, jlen)))
			resigned(c, clen);
		free(c);
		json_object_put(o);
	}
	return 0;
}
