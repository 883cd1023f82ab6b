/* SPDX-License-Identifier: MIT */
/* sign.c - the certificate's signer: load key + X.509 (+ chain), detached CMS over exact bytes */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dispose/common.h"
#include "dispose/util.h"
#include "cert_int.h"

struct dsp_cert_signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
};

static int sign_why(char **why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sign_why(char **why, int rc, const char *fmt, ...)
{
	if (why) {
		va_list ap;
		char *s = NULL;

		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) < 0)
			s = NULL;
		va_end(ap);
		free(*why);
		*why = s;
	}
	ERR_clear_error();
	return rc;
}

/* The passphrase: the file's first line, as `openssl -passin file:` takes it. */
struct pass {
	char buf[1024];
	size_t len;
	bool have;
	bool asked;
};

/*
 * A file opened to read, never waiting for a FIFO's writer (a FIFO without
 * one reads as empty; a pipe such as <(...) is read as it comes).
 */
int cert_open_in(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), fl;

	if (fd >= 0 && ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* BIO over cert_open_in(path), or NULL with errno. */
BIO *cert_bio_in(const char *path)
{
	int fd = cert_open_in(path);
	BIO *b;

	if (fd < 0)
		return NULL;
	if (!(b = BIO_new_fd(fd, BIO_CLOSE))) {
		close(fd);
		errno = ENOMEM;
	}
	return b;
}

static int read_pass(const char *path, struct pass *p, char **why)
{
	int fd = cert_open_in(path);
	ssize_t n;

	if (fd < 0)
		return sign_why(why, -errno, "%s: %s", path, strerror(errno));
	n = read(fd, p->buf, sizeof(p->buf) - 1);
	if (n < 0) {
		int e = errno;

		close(fd);
		return sign_why(why, -e, "%s: %s", path, strerror(e));
	}
	close(fd);
	p->len = (size_t)n;
	/* up to the first '\n' only, as openssl and dispose keygen: a CRLF file's '\r' is kept */
	for (size_t i = 0; i < p->len; i++)
		if (p->buf[i] == '\n') {
			p->len = i;
			break;
		}
	if (p->len == 0) {
		OPENSSL_cleanse(p->buf, sizeof(p->buf));
		return sign_why(why, DSP_INVALID, "%s: empty passphrase file", path);
	}
	p->have = true;
	return 0;
}

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass *p = u;

	(void)rwflag;
	p->asked = true;
	if (!p->have || (int)p->len > size)
		return -1;	/* never prompt */
	memcpy(buf, p->buf, p->len);
	return (int)p->len;
}

static BIO *open_in(const char *path, char **why, int *rc)
{
	BIO *b = cert_bio_in(path);

	if (!b) {
		int e = errno ? errno : ENOENT;

		*rc = sign_why(why, -e, "%s: %s", path, strerror(e));
	}
	return b;
}

static int load_key(const char *path, const char *passfile, EVP_PKEY **key, char **why)
{
	struct pass p = { .have = false };
	BIO *b;
	int rc = 0;

	if (passfile && (rc = read_pass(passfile, &p, why)) != 0)
		return rc;
	errno = 0;
	b = open_in(path, why, &rc);
	if (!b)
		goto out;
	*key = PEM_read_bio_PrivateKey(b, NULL, pass_cb, &p);
	BIO_free(b);
	if (!*key) {
		if (p.asked && !p.have)
			rc = sign_why(why, DSP_INVALID, "%s: key is encrypted (give --passphrase-file)", path);
		else if (p.asked)
			rc = sign_why(why, DSP_INVALID, "%s: cannot decrypt the key (wrong passphrase?)", path);
		else
			rc = sign_why(why, DSP_INVALID, "%s: not a PEM private key", path);
		goto out;
	}
	if (EVP_PKEY_base_id(*key) != EVP_PKEY_EC && EVP_PKEY_base_id(*key) != EVP_PKEY_RSA) {
		rc = sign_why(why, DSP_UNSUPPORTED, "%s: key type %s cannot sign CMS here (use EC P-256 or RSA)",
			      path, OBJ_nid2sn(EVP_PKEY_base_id(*key)));
		EVP_PKEY_free(*key);
		*key = NULL;
	}
out:
	OPENSSL_cleanse(&p, sizeof(p));
	return rc;
}

/* Every certificate of a PEM file (at least one). */
static int load_certs(const char *path, STACK_OF(X509) **out, char **why)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b;
	X509 *x;
	int rc = 0;

	if (!sk)
		return sign_why(why, -ENOMEM, "%s: out of memory", path);
	errno = 0;
	b = open_in(path, why, &rc);
	if (!b) {
		sk_X509_free(sk);
		return rc;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			rc = sign_why(why, -ENOMEM, "%s: out of memory", path);
			break;
		}
	BIO_free(b);
	if (rc == 0 && sk_X509_num(sk) == 0)
		rc = sign_why(why, DSP_INVALID, "%s: no PEM certificate in it", path);
	if (rc) {
		sk_X509_pop_free(sk, X509_free);
		return rc;
	}
	ERR_clear_error();	/* the end-of-file "no start line" */
	*out = sk;
	return 0;
}

void dsp_cert_signer_free(struct dsp_cert_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	free(s);
}

/*
 * verify refuses a signature carrying a certificate that is not in the
 * signer's verified chain, so certify refuses to embed one: from the
 * signer, each issuer (name and signature) among the given certificates,
 * up to a self-signed one or none more; every other one is refused.
 * nfirst: how many of s->chain came from the CERT file (the rest: chain).
 */
static int check_chain(const struct dsp_cert_signer *s, int nfirst, const char *cert,
		       const char *chain, char **why)
{
	int n = sk_X509_num(s->chain), rc = 0;
	bool *used = calloc((size_t)n + 1, sizeof(*used));
	X509 *cur = s->cert;

	if (!used)
		return sign_why(why, -ENOMEM, "signer: out of memory");
	for (int steps = 0; steps < n && X509_check_issued(cur, cur) != X509_V_OK; steps++) {
		int next = -1;

		for (int i = 0; i < n && next < 0; i++) {
			X509 *x = sk_X509_value(s->chain, i);

			if (!used[i] && X509_check_issued(x, cur) == X509_V_OK &&
			    X509_verify(cur, X509_get0_pubkey(x)) == 1)
				next = i;
		}
		if (next < 0)
			break;
		used[next] = true;
		cur = sk_X509_value(s->chain, next);
	}
	for (int i = 0; i < n && !rc; i++) {
		X509 *x = sk_X509_value(s->chain, i);
		bool in = used[i] || !X509_cmp(x, s->cert);

		/* the same certificate given twice is embedded once */
		for (int k = 0; k < n && !in; k++)
			in = used[k] && !X509_cmp(x, sk_X509_value(s->chain, k));
		if (!in) {
			char *nm = dsp_x509_name_text(X509_get_subject_name(x));
			char *sn = dsp_x509_name_text(X509_get_subject_name(s->cert));

			rc = sign_why(why, DSP_INVALID, "%s: certificate %s is not in the chain of the "
				      "signer %s (verify would reject every certificate signed so)",
				      i < nfirst ? cert : chain, nm ? nm : "?", sn ? sn : "?");
			free(nm);
			free(sn);
		}
	}
	free(used);
	ERR_clear_error();
	return rc;
}

int dsp_cert_signer_load(const char *key, const char *cert, const char *chain,
			 const char *passphrase_file, struct dsp_cert_signer **out, char **why)
{
	struct dsp_cert_signer *s;
	STACK_OF(X509) *certs = NULL;
	uint32_t flags;
	int rc, nfirst;

	*out = NULL;
	if (!key || !cert)
		return sign_why(why, DSP_INVALID, "signer: a key and a certificate are needed");
	s = calloc(1, sizeof(*s));
	if (!s)
		return sign_why(why, -ENOMEM, "signer: out of memory");
	if ((rc = load_key(key, passphrase_file, &s->key, why)) != 0)
		goto fail;
	if ((rc = load_certs(cert, &certs, why)) != 0)
		goto fail;
	s->cert = sk_X509_shift(certs);
	/* Extra certificates after the first in CERT join the chain. */
	s->chain = certs;
	certs = NULL;
	nfirst = sk_X509_num(s->chain);
	if (chain) {
		STACK_OF(X509) *more = NULL;

		if ((rc = load_certs(chain, &more, why)) != 0)
			goto fail;
		while (sk_X509_num(more) > 0) {
			X509 *x = sk_X509_shift(more);

			if (!sk_X509_push(s->chain, x)) {
				X509_free(x);
				sk_X509_pop_free(more, X509_free);
				rc = sign_why(why, -ENOMEM, "%s: out of memory", chain);
				goto fail;
			}
		}
		sk_X509_free(more);
	}
	if (X509_check_private_key(s->cert, s->key) != 1) {
		rc = sign_why(why, DSP_INVALID, "%s: certificate does not match the key %s", cert, key);
		goto fail;
	}
	if ((rc = check_chain(s, nfirst, cert, chain, why)) != 0)
		goto fail;
	/* verify refuses a signer without digitalSignature; so does signing. */
	flags = X509_get_extension_flags(s->cert);
	if (flags & EXFLAG_INVALID) {
		rc = sign_why(why, DSP_INVALID, "%s: certificate has invalid extensions", cert);
		goto fail;
	}
	if (!(flags & EXFLAG_KUSAGE)) {
		rc = sign_why(why, DSP_INVALID, "%s: certificate has no keyUsage extension (needs digitalSignature)",
			      cert);
		goto fail;
	}
	if (!(X509_get_key_usage(s->cert) & KU_DIGITAL_SIGNATURE)) {
		rc = sign_why(why, DSP_INVALID, "%s: certificate keyUsage lacks digitalSignature", cert);
		goto fail;
	}
	/* nor a weak or other key, nor a CA issued by another: verify rejects them */
	if (cert_signer_key_fault(s->cert)) {
		rc = sign_why(why, DSP_INVALID, "%s: certificate cannot sign certificates: %s", cert,
			      cert_signer_key_fault(s->cert));
		goto fail;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(s->cert)) >= 0) {
		rc = sign_why(why, DSP_INVALID, "%s: certificate is not yet valid", cert);
		goto fail;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(s->cert)) <= 0) {
		rc = sign_why(why, DSP_INVALID, "%s: certificate has expired", cert);
		goto fail;
	}
	ERR_clear_error();
	*out = s;
	return 0;
fail:
	sk_X509_pop_free(certs, X509_free);
	dsp_cert_signer_free(s);
	return rc;
}

int dsp_cert_sign(struct dsp_cert_signer *s, const void *buf, size_t len,
		  unsigned char **der, size_t *derlen, char **why)
{
	const unsigned flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL;
	CMS_ContentInfo *cms = NULL;
	BIO *in = NULL;
	unsigned char *out = NULL;
	int n, rc = 0;

	*der = NULL;
	*derlen = 0;
	if (len > INT_MAX)
		return sign_why(why, -EFBIG, "sign: document too large");
	in = BIO_new_mem_buf(len ? buf : "", (int)len);
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (!in || !cms) {
		rc = sign_why(why, -ENOMEM, "sign: out of memory");
		goto out;
	}
	/* signingTime is added by CMS_final, as verify requires. */
	if (!CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags)) {
		rc = sign_why(why, DSP_INVALID, "sign: cannot add the signer: %s",
			      ERR_reason_error_string(ERR_peek_last_error()));
		goto out;
	}
	for (int i = 0; i < sk_X509_num(s->chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(s->chain, i))) {
			/* the same certificate given twice is not an error */
			ERR_clear_error();
		}
	if (!CMS_final(cms, in, NULL, flags & ~CMS_PARTIAL)) {
		rc = sign_why(why, DSP_INVALID, "sign: signing failed: %s",
			      ERR_reason_error_string(ERR_peek_last_error()));
		goto out;
	}
	n = i2d_CMS_ContentInfo(cms, &out);
	if (n <= 0) {
		rc = sign_why(why, -ENOMEM, "sign: cannot encode the signature");
		goto out;
	}
	*der = malloc((size_t)n);
	if (!*der) {
		rc = sign_why(why, -ENOMEM, "sign: out of memory");
		goto out;
	}
	memcpy(*der, out, (size_t)n);
	*derlen = (size_t)n;
out:
	OPENSSL_free(out);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	ERR_clear_error();
	return rc;
}

/* ---- #15: a redacted copy's signer must not name the host it hides ---- */

/* w (the host name, or its first label) in s as a whole word, ignoring case */
static bool names_word(const char *s, const char *w, size_t wl)
{
	size_t n = s ? strlen(s) : 0;

	if (wl == 0)
		return false;
	for (size_t i = 0; i + wl <= n; i++)
		if (!strncasecmp(s + i, w, wl) && (!i || !isalnum((unsigned char)s[i - 1])) &&
		    (i + wl == n || !isalnum((unsigned char)s[i + wl])))
			return true;
	return false;
}

/* The signer's subject or a SAN names host h (its FQDN, or its first label as a word). */
static bool names_host(const char *subject, GENERAL_NAMES *san, const char *h)
{
	size_t full = h ? strlen(h) : 0, label = h ? strcspn(h, ".") : 0;

	if (!full)
		return false;
	if (names_word(subject, h, full) || names_word(subject, h, label))
		return true;
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		ASN1_IA5STRING *t = NULL;
		char buf[512];
		int l;

		if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI)
			t = g->d.ia5;
		if (!t || (l = ASN1_STRING_length(t)) <= 0)
			continue;
		snprintf(buf, sizeof(buf), "%.*s", l > 511 ? 511 : l,
			 (const char *)ASN1_STRING_get0_data(t));
		if (names_word(buf, h, full) || names_word(buf, h, label))
			return true;
	}
	return false;
}

int cert_redact_signer_check(struct json_object *doc, struct dsp_cert_signer *s, char **why)
{
	struct json_object *host = NULL, *runs = NULL, *v;
	GENERAL_NAMES *san;
	char *subject;
	const char *hit = NULL;
	int rc = 0;

	if (!s || !s->cert)
		return 0;
	subject = dsp_x509_name_text(X509_get_subject_name(s->cert));
	san = X509_get_ext_d2i(s->cert, NID_subject_alt_name, NULL, NULL);
	json_object_object_get_ex(doc, "host", &host);
	if (json_object_object_get_ex(host, "hostname", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    names_host(subject, san, json_object_get_string(v)))
		hit = json_object_get_string(v);
	json_object_object_get_ex(doc, "runs", &runs);
	for (size_t i = 0; !hit && json_object_is_type(runs, json_type_array) &&
			   i < json_object_array_length(runs); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(runs, i), "host", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    names_host(subject, san, json_object_get_string(v)))
			hit = json_object_get_string(v);
	if (hit)
		rc = cert_why(why, DSP_REFUSED, "signer %s: names this host, which the redacted copy "
			      "hides (its signature would show it): sign with a certificate that names "
			      "the organisation, e.g. dispose keygen --subject \"/CN=disposal signer/"
			      "O=Example\"", subject ? subject : "?");
	GENERAL_NAMES_free(san);
	free(subject);
	return rc;
}

int dsp_cert_redact_signer_host(struct dsp_cert_signer *s, char **why)
{
	struct json_object *doc = json_object_new_object(), *host = cert_host_identity();
	int rc;

	if (!doc || !host) {
		json_object_put(doc);
		json_object_put(host);
		return -ENOMEM;
	}
	json_object_object_add(doc, "host", host);
	rc = cert_redact_signer_check(doc, s, why);
	json_object_put(doc);
	return rc;
}
