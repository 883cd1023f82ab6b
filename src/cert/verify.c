/* SPDX-License-Identifier: MIT */
/* verify.c - a certificate and its detached CMS signature, checked in the order of dispose-certificate(5) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/util.h"
#include "cert_int.h"

#define P7S_MAX		(1u << 20)
#define JSON_MAX	(64u << 20)
/* A signingTime this far ahead of our clock is still "not in the future" (clock skew). */
#define SKEW_SECONDS	300

struct dsp_cert_verifier {
	X509_STORE *store;	/* NULL: no --ca, every signer is untrusted */
};

void dsp_cert_verifier_free(struct dsp_cert_verifier *v)
{
	if (!v)
		return;
	X509_STORE_free(v->store);
	free(v);
}

int dsp_cert_verifier_new(const char *cafile, struct dsp_cert_verifier **out, char **why)
{
	struct dsp_cert_verifier *v = calloc(1, sizeof(*v));
	BIO *b;
	X509 *x;
	int n = 0, rc = 0;

	*out = NULL;
	if (!v)
		return cert_why(why, -ENOMEM, "verify: out of memory");
	if (!cafile) {
		*out = v;
		return 0;
	}
	errno = 0;
	b = cert_bio_in(cafile);
	if (!b) {
		int e = errno ? errno : ENOENT;

		free(v);
		ERR_clear_error();
		return cert_why(why, -e, "%s: %s", cafile, strerror(e));
	}
	v->store = X509_STORE_new();
	if (!v->store)
		rc = cert_why(why, -ENOMEM, "verify: out of memory");
	while (!rc && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(v->store, x) != 1)
			rc = cert_why(why, DSP_INVALID, "%s: cannot add a CA certificate", cafile);
		X509_free(x);
		n++;
	}
	BIO_free(b);
	ERR_clear_error();
	if (!rc && n == 0)
		rc = cert_why(why, DSP_INVALID, "%s: no PEM certificate in it", cafile);
	if (rc) {
		dsp_cert_verifier_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int dsp_cert_verifier_new_pinned(const char *certfile, struct dsp_cert_verifier **out,
				 char **why)
{
	int rc;

	if (!certfile)
		return cert_why(why, DSP_INVALID, "verify: no signer certificate to trust");
	if ((rc = dsp_cert_verifier_new(certfile, out, why)))
		return rc;
	/* a leaf in the store is an anchor: without this only a self-signed one is */
	if (X509_STORE_set_flags((*out)->store, X509_V_FLAG_PARTIAL_CHAIN) != 1) {
		dsp_cert_verifier_free(*out);
		*out = NULL;
		return cert_why(why, -ENOMEM, "verify: out of memory");
	}
	return 0;
}

void dsp_cert_result_clear(struct dsp_cert_result *res)
{
	if (!res)
		return;
	free(res->reason);
	free(res->certificate_id);
	free(res->kind);
	free(res->signer);
	free(res->signing_time);
	free(res->category);
	free(res->signer_sha256);
	json_object_put(res->redacted);
	json_object_put(res->device);
	memset(res, 0, sizeof(*res));
}

/* The verdict: outcome and reason "<name>: <reason>" without the name (the CLI adds it). */
static int verdict(struct dsp_cert_result *res, enum dsp_cert_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int verdict(struct dsp_cert_result *res, enum dsp_cert_outcome o, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	ERR_clear_error();
	if (!s)
		return -ENOMEM;
	free(res->reason);
	res->reason = s;
	res->outcome = o;
	return 0;
}

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *name_line(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s = NULL;
	long len;

	if (!b)
		return NULL;
	/* one line, UTF-8 kept, control characters escaped */
	if (X509_NAME_print_ex(b, n, 0, (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_SPC_EQ) |
			       ASN1_STRFLGS_UTF8_CONVERT) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0)
		s = strndup(p, (size_t)len);
	BIO_free(b);
	return s;
}

static int signing_time(CMS_SignerInfo *si, time_t *t, const char **why_s)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *ty;
	struct tm tm;

	if (idx < 0) {
		*why_s = "no signingTime attribute";
		return -1;
	}
	if (CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, idx) >= 0) {
		*why_s = "more than one signingTime attribute";
		return -1;
	}
	a = CMS_signed_get_attr(si, idx);
	if (X509_ATTRIBUTE_count(a) != 1 || !(ty = X509_ATTRIBUTE_get0_type(a, 0)) ||
	    (ty->type != V_ASN1_UTCTIME && ty->type != V_ASN1_GENERALIZEDTIME) ||
	    !ASN1_TIME_to_tm((ASN1_TIME *)ty->value.asn1_string, &tm)) {
		*why_s = "signingTime is not one time";
		return -1;
	}
	*t = timegm(&tm);
	return 0;
}

static bool digest_is_sha256(CMS_SignerInfo *si)
{
	X509_ALGOR *dig = NULL, *sig = NULL;
	const ASN1_OBJECT *obj;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	if (!dig)
		return false;
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	return OBJ_obj2nid(obj) == NID_sha256;
}

/* One DER TLV at *p (< end): single-byte tag, definite length. 0, or -1. */
static int der_tlv(const unsigned char **p, const unsigned char *end, unsigned char *tag,
		   const unsigned char **val, size_t *len)
{
	const unsigned char *q = *p;
	size_t n;

	if (end - q < 2 || (q[0] & 0x1f) == 0x1f)
		return -1;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		unsigned k = n & 0x7f;

		if (k == 0 || k > 4 || (size_t)(end - q) < k)
			return -1;
		for (n = 0; k--; )
			n = (n << 8) | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*val = q;
	*len = n;
	*p = q + n;
	return 0;
}

/*
 * What OpenSSL does not look at, and dispose writes one way: SignedData
 * version 1, digestAlgorithms exactly { sha256 }, SignerInfo version 1
 * (issuerAndSerialNumber). The stock recipe accepts other values there.
 * der: a whole ContentInfo already known to be DER. NULL, or what differs.
 */
static const char *der_fixed_fields(const unsigned char *der, size_t len)
{
	static const unsigned char sha256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
						0x04, 0x02, 0x01 };
	const unsigned char *p = der, *end = der + len, *v, *sd, *sdend, *alg, *si;
	unsigned char tag;
	size_t n;

	if (der_tlv(&p, end, &tag, &v, &n) || tag != 0x30)	/* ContentInfo */
		return "not a ContentInfo";
	p = v;
	end = v + n;
	if (der_tlv(&p, end, &tag, &v, &n) || tag != 0x06 ||	/* contentType */
	    der_tlv(&p, end, &tag, &v, &n) || tag != 0xa0)	/* [0] content */
		return "not a ContentInfo";
	p = v;
	end = v + n;
	if (der_tlv(&p, end, &tag, &sd, &n) || tag != 0x30)
		return "not a SignedData";
	sdend = sd + n;
	p = sd;
	if (der_tlv(&p, sdend, &tag, &v, &n) || tag != 0x02 || n != 1 || v[0] != 1)
		return "SignedData version is not 1";
	if (der_tlv(&p, sdend, &tag, &v, &n) || tag != 0x31)
		return "no digestAlgorithms";
	{
		const unsigned char *q = v, *qend = v + n;

		if (der_tlv(&q, qend, &tag, &alg, &n) || tag != 0x30 || q != qend)
			return "digestAlgorithms is not exactly one algorithm";
		if (!(n == sizeof(sha256) && !memcmp(alg, sha256, n)) &&
		    !(n == sizeof(sha256) + 2 && !memcmp(alg, sha256, sizeof(sha256)) &&
		      alg[n - 2] == 0x05 && alg[n - 1] == 0x00))
			return "digestAlgorithms is not SHA-256";
	}
	if (der_tlv(&p, sdend, &tag, &v, &n) || tag != 0x30)	/* encapContentInfo */
		return "no encapContentInfo";
	if (p < sdend && *p == 0xa0 && der_tlv(&p, sdend, &tag, &v, &n))	/* certificates */
		return "bad certificates";
	if (p < sdend && *p == 0xa1)
		return "it carries CRLs";
	if (der_tlv(&p, sdend, &tag, &v, &n) || tag != 0x31 || p != sdend)
		return "no signerInfos";
	end = v + n;
	p = v;
	if (der_tlv(&p, end, &tag, &si, &n) || tag != 0x30)
		return "no SignerInfo";
	p = si;
	if (der_tlv(&p, si + n, &tag, &v, &n) || tag != 0x02 || n != 1 || v[0] != 1)
		return "SignerInfo version is not 1";
	return NULL;
}

/* The signature algorithm the signer's key makes (the recipe ignores the field for EC). */
static bool sigalg_matches(CMS_SignerInfo *si, X509 *signer)
{
	X509_ALGOR *sig = NULL;
	const ASN1_OBJECT *obj;
	int ptype, nid;
	EVP_PKEY *pk = X509_get0_pubkey(signer);

	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &sig);
	if (!sig || !pk)
		return false;
	X509_ALGOR_get0(&obj, &ptype, NULL, sig);
	nid = OBJ_obj2nid(obj);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_EC:
		return nid == NID_ecdsa_with_SHA256 && ptype == V_ASN1_UNDEF;
	case EVP_PKEY_RSA:
		return (nid == NID_rsaEncryption || nid == NID_sha256WithRSAEncryption) &&
		       (ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF);
	default:
		return false;
	}
}

/* Untrusted, not invalid: the chain reached no CA of --ca. */
static bool untrusted_err(int e)
{
	return e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	       e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	       e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
	       e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
	       e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

/* Fill id, kind and category from a best-effort parse (for the line an untrusted result gets). */
static void fill_doc(struct dsp_cert_result *res, struct json_object *doc)
{
	struct json_object *sum = NULL;

	if (!doc)
		return;
	json_object_object_get_ex(doc, "summary", &sum);
	if (!res->certificate_id)
		res->certificate_id = dupstr(dsp_json_str(doc, "certificate_id"));
	if (!res->kind)
		res->kind = dupstr(dsp_json_str(doc, "kind"));
	if (!res->category)
		res->category = dupstr(dsp_json_str(sum, "category_achieved"));
	/* #15: a redacted copy, or the full certificate that has one */
	if (!res->redacted) {
		struct json_object *r = NULL, *o;
		bool copy = json_object_object_get_ex(doc, "redacted", &r);

		if (!copy && !json_object_object_get_ex(doc, "redaction", &r))
			return;
		if (!json_object_is_type(r, json_type_object) || !(o = json_object_new_object()))
			return;
		json_object_object_add(o, "copy", json_object_new_boolean(copy));
		json_object_object_add(o, "fields", json_object_get(json_object_object_get(r, "fields")));
		if (copy) {
			json_object_object_add(o, "original_id",
					       json_object_get(json_object_object_get(r, "original_id")));
			json_object_object_add(o, "original_sha256", json_object_get(
						       json_object_object_get(r, "original_sha256")));
		} else {
			json_object_object_add(o, "redacted_copy", json_object_get(
						       json_object_object_get(r, "redacted_copy")));
		}
		res->redacted = o;
	}
}

static int check_run_dirs(struct json_object *doc, const struct dsp_cert_verify_opts *o,
			  struct dsp_cert_result *res, bool *bad)
{
	struct json_object *runs = NULL;

	*bad = true;
	if (!json_object_object_get_ex(doc, "runs", &runs) || !json_object_is_type(runs, json_type_array))
		return verdict(res, DSP_CERT_INVALID, "runs: missing");
	for (size_t i = 0; i < o->nrun_dirs; i++) {
		const char *dir = o->run_dirs[i];
		struct dsp_record *rec = NULL;
		char *real = realpath(dir, NULL), *sd = NULL, *dtext;
		struct json_object *match = NULL;
		int rc = dsp_record_read(dir, &rec);

		dtext = dsp_json_escape_text(dir, strlen(dir));
		if (rc == -ENOMEM || !dtext) {
			free(real);
			free(dtext);
			dsp_record_free(rec);
			return -ENOMEM;
		}
		if (rc < 0) {
			free(real);
			rc = verdict(res, DSP_CERT_INVALID, "run directory %s: cannot read its record: %s",
				     dtext, strerror(-rc));
			free(dtext);
			return rc;
		}
		if (rec->chain || rec->torn) {
			rc = rec->chain ?
			     verdict(res, DSP_CERT_INVALID, "run directory %s: its record was edited (the hash "
				     "chain breaks at line %llu)", dtext, (unsigned long long)rec->bad_line) :
			     verdict(res, DSP_CERT_INVALID, "run directory %s: its record ends in a torn line",
				     dtext);
			goto out_one;
		}
		for (size_t k = 0; k < json_object_array_length(runs) && !match; k++) {
			struct json_object *r = json_object_array_get_idx(runs, k);
			const char *head = dsp_json_str(r, "head");

			if (dsp_json_bytes(r, "run_dir", &sd, NULL) == 0 && real && !strcmp(sd, real))
				match = r;
			else if (head && !strcmp(head, rec->head))
				match = r;
			free(sd);
			sd = NULL;
		}
		if (!match) {
			rc = verdict(res, DSP_CERT_INVALID, "run directory %s: not one of the certificate's "
				     "runs (neither its path nor its chain head)", dtext);
			goto out_one;
		}
		{
			const char *head = dsp_json_str(match, "head");
			uint64_t ev;

			if (!head || strcmp(head, rec->head) || dsp_json_u64(match, "events", &ev) ||
			    ev != rec->events) {
				rc = verdict(res, DSP_CERT_INVALID, "run directory %s: its record ends in %.12s "
					     "after %llu events, the certificate states %.12s after %lld",
					     dtext, rec->head, (unsigned long long)rec->events,
					     head ? head : "nothing",
					     dsp_json_u64(match, "events", &ev) ? -1LL : (long long)ev);
				goto out_one;
			}
		}
		free(real);
		free(dtext);
		dsp_record_free(rec);
		continue;
out_one:
		free(real);
		free(dtext);
		dsp_record_free(rec);
		return rc;
	}
	*bad = false;
	return 0;
}

/*
 * b. to h. of dispose-certificate(5) VERIFICATION; a.: the caller read the
 * bytes. Returns 0 (res filled) or -ENOMEM.
 */
static int verify_bytes(struct dsp_cert_verifier *v, const void *json, size_t jlen, const void *p7s,
			size_t plen, const struct dsp_cert_verify_opts *o, struct dsp_cert_result *res)
{
	const unsigned char *p = p7s;
	unsigned char *re = NULL;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *certs = NULL, *signers = NULL;
	CMS_SignerInfo *si;
	X509_STORE_CTX *ctx = NULL;
	X509 *signer;
	BIO *content = NULL;
	struct json_object *doc = NULL, *loose = NULL;
	char *why = NULL, tbuf[32];
	const char *why_s = NULL;
	time_t st;
	struct tm tm;
	int rc = 0, n;
	uint32_t xf;
	bool bad;

	/* b. DER, exactly: one ContentInfo, nothing after it, encoded as DER encodes it */
	if (plen == 0 || plen > P7S_MAX)
		return verdict(res, DSP_CERT_INVALID, "signature: %s", plen ? "too large" : "empty");
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)plen);
	if (!cms)
		return verdict(res, DSP_CERT_INVALID, "signature: not a DER CMS structure");
	if ((size_t)(p - (const unsigned char *)p7s) != plen) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: %zu bytes after the CMS structure",
			     plen - (size_t)(p - (const unsigned char *)p7s));
		goto out;
	}
	n = i2d_CMS_ContentInfo(cms, &re);
	if (n <= 0 || (size_t)n != plen || memcmp(re, p7s, plen)) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: not in DER form (re-encoding differs)");
		goto out;
	}
	if ((why_s = der_fixed_fields(p7s, plen)) != NULL) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: %s", why_s);
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: not CMS SignedData");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sk_CMS_SignerInfo_num(sis) != 1) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: %d signers, not one",
			     sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_is_detached(cms) != 1) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: not detached (it holds content)");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: content type is not data");
		goto out;
	}
	if (!digest_is_sha256(si)) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: digest is not SHA-256");
		goto out;
	}
	if (CMS_signed_get_attr_count(si) <= 0) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: no signed attributes (no signingTime)");
		goto out;
	}

	/* c. the signature over the exact bytes, before any question of trust */
	if (jlen > INT_MAX) {
		rc = verdict(res, DSP_CERT_INVALID, "certificate: too large");
		goto out;
	}
	content = BIO_new_mem_buf(jlen ? json : "", (int)jlen);
	if (!content) {
		rc = -ENOMEM;
		goto out;
	}
	if (CMS_verify(cms, NULL, NULL, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
		unsigned long e = ERR_peek_last_error();

		if (ERR_GET_REASON(e) == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND)
			rc = verdict(res, DSP_CERT_INVALID, "signature: the signer's certificate is not in it");
		else if (ERR_GET_REASON(e) == CMS_R_VERIFICATION_FAILURE ||
			 ERR_GET_REASON(e) == CMS_R_CONTENT_VERIFY_ERROR)
			rc = verdict(res, DSP_CERT_INVALID, "signature does not match the document");
		else
			rc = verdict(res, DSP_CERT_INVALID, "signature does not match the document (%s)",
				     ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "CMS");
		goto out;
	}
	signers = CMS_get0_signers(cms);
	signer = sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL;
	sk_X509_free(signers);
	if (!signer) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: no signer certificate");
		goto out;
	}
	res->signer = name_line(X509_get_subject_name(signer));
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdl = 0;

		if (X509_digest(signer, EVP_sha256(), md, &mdl) == 1 && mdl == 32 &&
		    (res->signer_sha256 = malloc(65)))
			dsp_hex(md, 32, res->signer_sha256);
	}
	if (!sigalg_matches(si, signer)) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: its algorithm is not the one of the "
			     "signer's key (ecdsa-with-SHA256 or RSA PKCS#1 v1.5)");
		goto out;
	}
	if (signing_time(si, &st, &why_s)) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: %s", why_s);
		goto out;
	}
	gmtime_r(&st, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	res->signing_time = strdup(tbuf);
	if (st > time(NULL) + SKEW_SECONDS) {
		rc = verdict(res, DSP_CERT_INVALID, "signature: signingTime %s is in the future", tbuf);
		goto out;
	}
	if (dsp_cert_parse(json, jlen, &loose, NULL) == 0)
		fill_doc(res, loose);

	/* d. the chain to --ca at signing time; then the signer's own key usage */
	if (!v->store) {
		rc = verdict(res, DSP_CERT_UNTRUSTED, "signature valid, signer not trusted (no --ca)");
		goto out;
	}
	certs = CMS_get1_certs(cms);
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, v->store, signer, certs)) {
		rc = -ENOMEM;
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), st);
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx), depth = X509_STORE_CTX_get_error_depth(ctx);
		const char *es = X509_verify_cert_error_string(e);

		if (untrusted_err(e))
			rc = verdict(res, DSP_CERT_UNTRUSTED, "signature valid, signer not trusted (%s)", es);
		else if (depth == 0 && e == X509_V_ERR_CERT_HAS_EXPIRED)
			rc = verdict(res, DSP_CERT_INVALID, "signer certificate had expired at signing "
				     "time %s", tbuf);
		else if (depth == 0 && e == X509_V_ERR_CERT_NOT_YET_VALID)
			rc = verdict(res, DSP_CERT_INVALID, "signer certificate was not yet valid at "
				     "signing time %s", tbuf);
		else
			rc = verdict(res, DSP_CERT_INVALID, "signer chain: %s (certificate %d of the "
				     "chain, at signing time %s)", es, depth, tbuf);
		goto out;
	}
	/* Every certificate carried must be one of the chain: a changed spare one is a changed byte. */
	{
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);

		for (int i = 0; i < sk_X509_num(certs); i++) {
			bool found = false;

			for (int k = 0; k < sk_X509_num(chain) && !found; k++)
				found = X509_cmp(sk_X509_value(certs, i), sk_X509_value(chain, k)) == 0;
			if (!found) {
				char *nm = name_line(X509_get_subject_name(sk_X509_value(certs, i)));

				rc = verdict(res, DSP_CERT_INVALID, "signature: it carries a certificate "
					     "that is not in the signer's chain (%s)", nm ? nm : "?");
				free(nm);
				goto out;
			}
		}
	}
	xf = X509_get_extension_flags(signer);
	if (!(xf & EXFLAG_KUSAGE)) {
		rc = verdict(res, DSP_CERT_INVALID, "signer certificate has no keyUsage extension "
			     "(digitalSignature is required)");
		goto out;
	}
	if (!(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE)) {
		rc = verdict(res, DSP_CERT_INVALID, "signer certificate keyUsage lacks digitalSignature");
		goto out;
	}
	if ((why_s = cert_signer_key_fault(signer)) != NULL) {
		rc = verdict(res, DSP_CERT_INVALID, "signer certificate: %s", why_s);
		goto out;
	}

	/* e. the document: canonical, schema, its own consistency */
	if ((rc = dsp_cert_parse(json, jlen, &doc, &why)) != 0 ||
	    (rc = dsp_cert_check_schema(doc, &why)) != 0 ||
	    (rc = dsp_cert_check_consistency(doc, &why)) != 0) {
		if (rc == -ENOMEM)
			goto out;
		rc = verdict(res, DSP_CERT_INVALID, "%s", why ? why : "certificate: not a valid document");
		goto out;
	}
	fill_doc(res, doc);

	/* f. the run records it names */
	if (o && o->nrun_dirs) {
		if ((rc = check_run_dirs(doc, o, res, &bad)) != 0 || bad)
			goto out;
	}

	/* g. the device, still attached */
	if (o && o->device) {
		free(why);
		why = NULL;
		rc = dsp_cert_check_device(doc, o->device, o->sample_percent, &res->device, &why);
		if (rc == -ENOMEM)
			goto out;
		if (rc == DSP_REFUSED) {
			res->refused = true;
			rc = verdict(res, DSP_CERT_INVALID, "%s", why ? why : "device: another device");
			goto out;
		}
		if (rc) {
			rc = verdict(res, rc < 0 ? DSP_CERT_UNREADABLE : DSP_CERT_INVALID, "%s",
				     why ? why : "device: does not match the certificate");
			goto out;
		}
	}

	/* h. valid as signed: a sanitization, or a report of one that failed */
	if (!strcmp(dsp_json_str(doc, "kind"), DSP_CERT_KIND_FAIL)) {
		struct json_object *sum = NULL, *f = NULL;
		size_t len = 0;
		char *list;
		FILE *m = open_memstream(&list, &len);

		if (!m) {
			rc = -ENOMEM;
			goto out;
		}
		json_object_object_get_ex(doc, "summary", &sum);
		json_object_object_get_ex(sum, "failures", &f);
		for (size_t i = 0; i < json_object_array_length(f); i++) {
			char *t = dsp_log_text(json_object_get_string(json_object_array_get_idx(f, i)));

			fprintf(m, "%s%s", i ? "; " : "", t ? t : "?");
			free(t);
		}
		fclose(m);
		rc = verdict(res, DSP_CERT_FAILURE_REPORT, "valid as signed, but a sanitization failure "
			     "report: %s", list ? list : "");
		free(list);
		goto out;
	}
	rc = verdict(res, DSP_CERT_VALID, "valid");
out:
	free(why);
	json_object_put(doc);
	json_object_put(loose);
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(content);
	OPENSSL_free(re);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc < 0 ? rc : 0;
}

/*
 * What the issue allows a signer: an end entity (not a CA it issued) with an ECDSA
 * P-256 or an RSA key of at least 2048 bits. NULL when it is one.
 */
const char *cert_signer_key_fault(X509 *x)
{
	uint32_t xf = X509_get_extension_flags(x);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64] = "";

	/* self-signed, the signer is its own anchor (openssl req -x509 sets CA:TRUE) */
	if ((xf & EXFLAG_BCONS) && (xf & EXFLAG_CA) && !(xf & EXFLAG_SS))
		return "it is a CA certificate (basicConstraints CA:TRUE), not an end entity";
	if (!pk)
		return "its public key cannot be read";
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		return EVP_PKEY_get_bits(pk) < 2048 ? "its RSA key is shorter than 2048 bits" : NULL;
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return "its key is neither ECDSA P-256 nor RSA";
	if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) ||
	    strcmp(group, "prime256v1"))
		return "its EC key is not on the P-256 curve";
	return NULL;
}

int dsp_cert_verify_mem(struct dsp_cert_verifier *v, const char *name, const void *json,
			size_t jlen, const void *p7s, size_t plen,
			const struct dsp_cert_verify_opts *o, struct dsp_cert_result *res)
{
	int rc;

	(void)name;
	memset(res, 0, sizeof(*res));
	res->outcome = DSP_CERT_INVALID;
	rc = verify_bytes(v, json, jlen, p7s, plen, o, res);
	if (rc == 0 && !res->reason)
		rc = -ENOMEM;
	return rc;
}

/* The whole file, at most max bytes (more: -EFBIG). */
static int slurp(const char *path, size_t max, char **buf, size_t *len)
{
	/* O_NONBLOCK: a FIFO named as a certificate must not hang the batch */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat sb;
	size_t cap, n = 0;
	char *b;

	*buf = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		int e = fstat(fd, &sb) ? errno : S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;

		close(fd);
		return -e;
	}
	cap = (size_t)sb.st_size + 1;
	if (cap > max + 1)
		cap = max + 1;
	b = malloc(cap + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, b + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			free(b);
			close(fd);
			return -EFBIG;
		}
		if (n == cap) {
			char *nb = realloc(b, (cap *= 2) + 1);

			if (!nb) {
				free(b);
				close(fd);
				return -ENOMEM;
			}
			b = nb;
		}
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* dsp_cert_verify, keeping the document's bytes verified (*keep, when not NULL; free()). */
static int verify_path(struct dsp_cert_verifier *v, const char *json_path,
		       const struct dsp_cert_verify_opts *o, struct dsp_cert_result *res,
		       char **keep, size_t *keeplen)
{
	char *json = NULL, *p7s = NULL, *sig_path = NULL;
	size_t jlen = 0, plen = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (asprintf(&sig_path, "%s.p7s", json_path) < 0)
		return -ENOMEM;
	/* a. both files, or unreadable */
	rc = slurp(json_path, JSON_MAX, &json, &jlen);
	if (rc == 0) {
		rc = slurp(sig_path, P7S_MAX, &p7s, &plen);
		if (rc < 0 && rc != -ENOMEM)
			rc = verdict(res, DSP_CERT_UNREADABLE, "%s: %s", sig_path,
				     rc == -EFBIG ? "too large" : rc == -EINVAL ?
				     "not a regular file" : strerror(-rc)) ? -ENOMEM : 1;
	} else if (rc != -ENOMEM) {
		rc = verdict(res, DSP_CERT_UNREADABLE, "%s",
			     rc == -EFBIG ? "too large" : rc == -EINVAL ? "not a regular file" :
			     strerror(-rc)) ? -ENOMEM : 1;
	}
	if (rc == 0)
		rc = dsp_cert_verify_mem(v, json_path, json, jlen, p7s, plen, o, res);
	else if (rc == 1)
		rc = 0;
	if (keep && json && res->outcome != DSP_CERT_UNREADABLE) {
		*keep = json;
		*keeplen = jlen;
		json = NULL;
	}
	free(json);
	free(p7s);
	free(sig_path);
	return rc;
}

int dsp_cert_verify(struct dsp_cert_verifier *v, const char *json_path,
		    const struct dsp_cert_verify_opts *o, struct dsp_cert_result *res)
{
	return verify_path(v, json_path, o, res, NULL, NULL);
}

/* The outcomes that leave a document whose signature holds (trusted or not). */
static bool signed_ok(const struct dsp_cert_result *r)
{
	return r->outcome == DSP_CERT_VALID || r->outcome == DSP_CERT_FAILURE_REPORT ||
	       r->outcome == DSP_CERT_UNTRUSTED;
}

int dsp_cert_verify_original(struct dsp_cert_verifier *v, const char *full_path,
			     const char *copy_path, struct dsp_cert_result *full_res,
			     struct dsp_cert_result *copy_res, size_t *nvalues, char **why)
{
	struct json_object *full = NULL, *copy = NULL;
	char *fb = NULL, *cb = NULL;
	size_t fl = 0, cl = 0;
	int rc;

	*nvalues = 0;
	memset(copy_res, 0, sizeof(*copy_res));
	/* the bytes compared are the bytes verified: each file read once */
	if ((rc = verify_path(v, full_path, NULL, full_res, &fb, &fl)) ||
	    (rc = verify_path(v, copy_path, NULL, copy_res, &cb, &cl)))
		goto out;
	if (!signed_ok(full_res) || !signed_ok(copy_res) || !fb || !cb) {
		rc = cert_why(why, DSP_MISMATCH, "%s does not verify",
			      !signed_ok(full_res) || !fb ? full_path : copy_path);
		goto out;
	}
	if (!full_res->signer_sha256 || !copy_res->signer_sha256 ||
	    strcmp(full_res->signer_sha256, copy_res->signer_sha256)) {
		rc = cert_why(why, DSP_MISMATCH, "not signed by the same certificate");
		goto out;
	}
	if ((rc = dsp_cert_parse(fb, fl, &full, why)) || (rc = dsp_cert_parse(cb, cl, &copy, why)) ||
	    (rc = dsp_cert_check_schema(full, why)) || (rc = dsp_cert_check_schema(copy, why))) {
		if (rc != -ENOMEM)
			rc = DSP_MISMATCH;
		goto out;
	}
	rc = cert_redact_compare(full, fb, fl, copy, nvalues, why);
out:
	json_object_put(full);
	json_object_put(copy);
	free(fb);
	free(cb);
	return rc;
}
