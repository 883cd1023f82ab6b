/* SPDX-License-Identifier: MIT */
/* keys_pub.c - public-key fingerprints: SPKI SHA-256 and OpenSSH SHA256:, from any key form */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/err.h>

#include "dispose/util.h"
#include "keys_int.h"

int kcur_u8(struct kcur *c, uint8_t *v)
{
	if (c->bad || c->len - c->off < 1)
		return c->bad = 1, -1;
	*v = c->p[c->off++];
	return 0;
}

int kcur_be16(struct kcur *c, uint16_t *v)
{
	if (c->bad || c->len - c->off < 2)
		return c->bad = 1, -1;
	*v = (uint16_t)(c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return 0;
}

int kcur_be32(struct kcur *c, uint32_t *v)
{
	if (c->bad || c->len - c->off < 4)
		return c->bad = 1, -1;
	*v = (uint32_t)c->p[c->off] << 24 | (uint32_t)c->p[c->off + 1] << 16 |
	     (uint32_t)c->p[c->off + 2] << 8 | c->p[c->off + 3];
	c->off += 4;
	return 0;
}

const uint8_t *kcur_take(struct kcur *c, size_t n)
{
	const uint8_t *r;

	if (c->bad || c->len - c->off < n) {
		c->bad = 1;
		return NULL;
	}
	r = c->p + c->off;
	c->off += n;
	return r;
}

const uint8_t *kcur_sshstr(struct kcur *c, size_t *n)
{
	uint32_t l;

	if (kcur_be32(c, &l))
		return NULL;
	*n = l;
	return kcur_take(c, l);
}

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

uint8_t *dsp_keys_b64dec(const char *s, size_t n, size_t *outlen)
{
	uint8_t *out = malloc(n / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0) {
			if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
				continue;
			break;
		}
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	acc = 0;
	if (o == 0) {
		free(out);
		return NULL;
	}
	*outlen = o;
	return out;
}

void dsp_keys_ssh_fp(const uint8_t *blob, size_t n, char out[64])
{
	uint8_t md[32];
	char b64[48];
	int l;

	EVP_Digest(blob, n, md, NULL, EVP_sha256(), NULL);
	l = EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
	while (l > 0 && b64[l - 1] == '=')
		l--;
	b64[l] = '\0';
	snprintf(out, 64, "SHA256:%s", b64);
}

static void spki_of(EVP_PKEY *pk, struct dsp_key_info *ki)
{
	unsigned char *der = NULL;
	uint8_t md[32];
	int n = i2d_PUBKEY(pk, &der);

	if (n <= 0) {
		ERR_clear_error();
		return;
	}
	EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	dsp_hex(md, sizeof(md), ki->spki_sha256);
}

/* SSH wire buffer, growing; public data only. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static void w_put(struct wbuf *w, const void *d, size_t n)
{
	if (w->bad)
		return;
	if (w->len + n > w->cap) {
		size_t c = (w->len + n) * 2 + 64;
		uint8_t *q = realloc(w->p, c);

		if (!q) {
			w->bad = 1;
			return;
		}
		w->p = q;
		w->cap = c;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void w_str(struct wbuf *w, const void *d, size_t n)
{
	uint8_t l[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };

	w_put(w, l, 4);
	w_put(w, d, n);
}

static void w_mpint(struct wbuf *w, EVP_PKEY *pk, const char *name)
{
	BIGNUM *bn = NULL;
	uint8_t buf[2048];
	int n;

	if (!EVP_PKEY_get_bn_param(pk, name, &bn) || BN_num_bytes(bn) > (int)sizeof(buf) - 1) {
		BN_free(bn);
		w->bad = 1;
		return;
	}
	buf[0] = 0;
	n = BN_bn2bin(bn, buf + 1);
	BN_free(bn);
	/* mpint: leading zero byte only when the top bit is set */
	if (n > 0 && (buf[1] & 0x80))
		w_str(w, buf, (size_t)n + 1);
	else
		w_str(w, buf + 1, (size_t)n);
}

static const struct {
	const char *ossl, *ssh, *bits_name;
	int bits;
} curves[] = {
	{ "prime256v1", "nistp256", "P-256", 256 },
	{ "secp384r1", "nistp384", "P-384", 384 },
	{ "secp521r1", "nistp521", "P-521", 521 },
};

/* The OpenSSH public blob of pk, for the key types OpenSSH knows. */
static void ssh_blob_of(EVP_PKEY *pk, struct wbuf *w)
{
	char grp[64], t[64];
	uint8_t raw[64];
	size_t n = sizeof(raw);

	if (EVP_PKEY_is_a(pk, "RSA")) {
		w_str(w, "ssh-rsa", 7);
		w_mpint(w, pk, OSSL_PKEY_PARAM_RSA_E);
		w_mpint(w, pk, OSSL_PKEY_PARAM_RSA_N);
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		if (!EVP_PKEY_get_raw_public_key(pk, raw, &n) || n != 32) {
			w->bad = 1;
			return;
		}
		w_str(w, "ssh-ed25519", 11);
		w_str(w, raw, n);
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		uint8_t q[160];
		size_t ql = 0;

		if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, grp,
						    sizeof(grp), NULL)) {
			w->bad = 1;
			return;
		}
		for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
			if (strcmp(grp, curves[i].ossl))
				continue;
			if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
							     q, sizeof(q), &ql))
				break;
			snprintf(t, sizeof(t), "ecdsa-sha2-%s", curves[i].ssh);
			w_str(w, t, strlen(t));
			w_str(w, curves[i].ssh, strlen(curves[i].ssh));
			w_str(w, q, ql);
			return;
		}
		w->bad = 1;
	} else if (EVP_PKEY_is_a(pk, "DSA")) {
		w_str(w, "ssh-dss", 7);
		w_mpint(w, pk, OSSL_PKEY_PARAM_FFC_P);
		w_mpint(w, pk, OSSL_PKEY_PARAM_FFC_Q);
		w_mpint(w, pk, OSSL_PKEY_PARAM_FFC_G);
		w_mpint(w, pk, OSSL_PKEY_PARAM_PUB_KEY);
	} else {
		w->bad = 1;
	}
}

void dsp_keys_from_pkey(EVP_PKEY *pk, struct dsp_key_info *ki)
{
	struct wbuf w = { 0 };
	const char *name = EVP_PKEY_get0_type_name(pk);
	char grp[64];

	if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) {
		snprintf(ki->algorithm, sizeof(ki->algorithm), "%s",
			 EVP_PKEY_is_a(pk, "RSA") ? "rsa" : "rsa-pss");
	} else if (EVP_PKEY_is_a(pk, "EC") &&
		   EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, grp,
						  sizeof(grp), NULL)) {
		const char *c = grp;

		for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
			if (!strcmp(grp, curves[i].ossl))
				c = curves[i].bits_name;
		snprintf(ki->algorithm, sizeof(ki->algorithm), "ec-%.40s", c);
	} else if (name) {
		snprintf(ki->algorithm, sizeof(ki->algorithm), "%s", name);
		for (char *p = ki->algorithm; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	/* OpenSSL says 253 for Ed25519; ssh-keygen and users say 256 */
	if (EVP_PKEY_is_a(pk, "ED25519") || EVP_PKEY_is_a(pk, "X25519"))
		ki->bits = 256;
	else if (EVP_PKEY_is_a(pk, "ED448") || EVP_PKEY_is_a(pk, "X448"))
		ki->bits = 448;
	else
		ki->bits = EVP_PKEY_get_bits(pk);
	spki_of(pk, ki);
	ssh_blob_of(pk, &w);
	if (!w.bad && w.len)
		dsp_keys_ssh_fp(w.p, w.len, ki->ssh_fingerprint);
	free(w.p);
	ERR_clear_error();
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *b)
{
	OSSL_PARAM *params = b ? OSSL_PARAM_BLD_to_param(b) : NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if (params && (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) &&
	    EVP_PKEY_fromdata_init(ctx) > 0)
		if (EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
			pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	ERR_clear_error();
	return pk;
}

/* A zero (or empty) parameter is no key: OpenSSL would still build one. */
static int bld_bn(OSSL_PARAM_BLD *b, const char *k, const uint8_t *d, size_t n, BIGNUM **keep)
{
	*keep = BN_bin2bn(d, (int)n, NULL);
	return *keep && !BN_is_zero(*keep) && OSSL_PARAM_BLD_push_BN(b, k, *keep);
}

EVP_PKEY *dsp_keys_rsa_pub(const uint8_t *n, size_t nl, const uint8_t *e, size_t el)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *bn[2] = { 0 };
	EVP_PKEY *pk = NULL;

	if (b && nl && el && nl <= 2048 && el <= 2048 &&
	    bld_bn(b, OSSL_PKEY_PARAM_RSA_N, n, nl, &bn[0]) &&
	    bld_bn(b, OSSL_PKEY_PARAM_RSA_E, e, el, &bn[1])) {
		pk = from_params("RSA", b);
		b = NULL;
	}
	OSSL_PARAM_BLD_free(b);
	BN_free(bn[0]);
	BN_free(bn[1]);
	return pk;
}

EVP_PKEY *dsp_keys_dsa_pub(const uint8_t *p, size_t pl, const uint8_t *q, size_t ql,
			   const uint8_t *g, size_t gl, const uint8_t *y, size_t yl)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *bn[4] = { 0 };
	EVP_PKEY *pk = NULL;

	if (b && pl <= 2048 && ql <= 2048 && gl <= 2048 && yl <= 2048 &&
	    bld_bn(b, OSSL_PKEY_PARAM_FFC_P, p, pl, &bn[0]) &&
	    bld_bn(b, OSSL_PKEY_PARAM_FFC_Q, q, ql, &bn[1]) &&
	    bld_bn(b, OSSL_PKEY_PARAM_FFC_G, g, gl, &bn[2]) &&
	    bld_bn(b, OSSL_PKEY_PARAM_PUB_KEY, y, yl, &bn[3])) {
		pk = from_params("DSA", b);
		b = NULL;
	}
	OSSL_PARAM_BLD_free(b);
	for (int i = 0; i < 4; i++)
		BN_free(bn[i]);
	return pk;
}

EVP_PKEY *dsp_keys_ec_pub(const char *group, const uint8_t *q, size_t ql)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();

	if (!b || !ql || !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, q, ql)) {
		OSSL_PARAM_BLD_free(b);
		return NULL;
	}
	return from_params("EC", b);
}

void dsp_keys_from_ssh_blob(const uint8_t *blob, size_t n, struct dsp_key_info *ki)
{
	struct kcur c = { blob, n, 0, 0 };
	const uint8_t *t, *a, *b, *d, *e;
	size_t tl, al, bl, dl, el;
	EVP_PKEY *pk = NULL;

	t = kcur_sshstr(&c, &tl);
	if (!t || tl == 0 || tl >= 40)
		return;
	dsp_keys_ssh_fp(blob, n, ki->ssh_fingerprint);
	if (tl == 7 && !memcmp(t, "ssh-rsa", 7)) {
		a = kcur_sshstr(&c, &al);	/* e */
		b = kcur_sshstr(&c, &bl);	/* n */
		if (a && b)
			pk = dsp_keys_rsa_pub(b, bl, a, al);
	} else if (tl == 11 && !memcmp(t, "ssh-ed25519", 11)) {
		a = kcur_sshstr(&c, &al);
		if (a && al == 32)
			pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, al);
	} else if (tl > 11 && !memcmp(t, "ecdsa-sha2-", 11)) {
		a = kcur_sshstr(&c, &al);	/* curve name */
		b = kcur_sshstr(&c, &bl);	/* Q */
		for (size_t i = 0; a && b && i < sizeof(curves) / sizeof(curves[0]); i++)
			if (al == strlen(curves[i].ssh) && !memcmp(a, curves[i].ssh, al))
				pk = dsp_keys_ec_pub(curves[i].ossl, b, bl);
	} else if (tl == 7 && !memcmp(t, "ssh-dss", 7)) {
		a = kcur_sshstr(&c, &al);
		b = kcur_sshstr(&c, &bl);
		d = kcur_sshstr(&c, &dl);
		e = kcur_sshstr(&c, &el);
		if (a && b && d && e)
			pk = dsp_keys_dsa_pub(a, al, b, bl, d, dl, e, el);
	}
	if (pk) {
		char fp[64];

		/* keep the blob's own fingerprint: it is what ssh-keygen prints */
		memcpy(fp, ki->ssh_fingerprint, sizeof(fp));
		dsp_keys_from_pkey(pk, ki);
		memcpy(ki->ssh_fingerprint, fp, sizeof(fp));
		EVP_PKEY_free(pk);
	} else {
		/* sk-* (FIDO) and other types: name only, no SPKI */
		snprintf(ki->algorithm, sizeof(ki->algorithm), "%.*s", (int)tl, (const char *)t);
	}
	ERR_clear_error();
}
