/* SPDX-License-Identifier: MIT */
/* keys.c - find private/secret key material by content: detector, PEM/DER/PKCS#12 decoding, keys[] items */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "dispose/common.h"
#include "dispose/keys.h"
#include "dispose/log.h"
#include "dispose/util.h"
#include "keys_int.h"

#define FIRST_CHUNK	4096		/* what every file costs: one page */
#define TEXT_MAX	(1u << 20)	/* PEM bundles are scanned this far */
#define STORE_MAX	(64u << 20)	/* PKCS#12, JKS, keytabs */
#define LUKS_HDR_MAX	(4u << 20)	/* LUKS2 metadata area upper bound */
#define MIN_SIZE	24		/* an Ed25519 PKCS#8 DER is 48 bytes */

/* ---------- detection over the first bytes (pure; the fuzz target) ---------- */

static const struct {
	const char *label, *format;
} pem_labels[] = {
	{ "PRIVATE KEY", "pem-pkcs8" },
	{ "ENCRYPTED PRIVATE KEY", "pem-pkcs8-encrypted" },
	{ "RSA PRIVATE KEY", "pem-pkcs1" },
	{ "EC PRIVATE KEY", "pem-sec1" },
	{ "DSA PRIVATE KEY", "pem-dsa" },
	{ "SM2 PRIVATE KEY", "pem-sm2" },
	{ "OPENSSH PRIVATE KEY", "openssh" },
	{ "PGP PRIVATE KEY BLOCK", "pgp-armored" },
	{ "TSS2 PRIVATE KEY", "tpm2-tss" },
	{ "TSS2 KEY BLOB", "tpm2-tss" },
	{ "OpenVPN Static key V1", "openvpn-static" },
	{ "OpenVPN tls-crypt-v2 server key", "openvpn-tls-crypt-v2" },
	{ "OpenVPN tls-crypt-v2 client key", "openvpn-tls-crypt-v2" },
};

static int is_b64(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * After a BEGIN line: a key block goes on with armor headers ("Name: v")
 * or base64/hex. Prose quoting a header does not. The end of the buffer
 * counts as plausible: examine reads further and decodes.
 */
static int body_plausible(const uint8_t *p, size_t n)
{
	size_t i = 0, run = 0;

	while (i < n && (is_ws(p[i]) || p[i] == '\n'))
		i++;
	if (i == n)
		return 1;
	if (p[i] == '#')		/* OpenVPN static key comments */
		return 1;
	/* an armor header: Proc-Type:, DEK-Info:, Version:, Comment: */
	for (size_t j = i; j < n && j - i < 32; j++) {
		if (p[j] == ':')
			return j > i;
		if (!((p[j] >= 'A' && p[j] <= 'Z') || (p[j] >= 'a' && p[j] <= 'z') ||
		      (p[j] >= '0' && p[j] <= '9') || p[j] == '-'))
			break;
	}
	for (; i < n && p[i] != '\n'; i++) {
		if (!is_b64(p[i]) && !is_ws(p[i]))
			return 0;
		run++;
	}
	return run >= 16 || i == n;
}

/* Same for a block inside a quoted string: base64 or a header up to the next \n. */
static int esc_plausible(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 64; i++) {
		if (p[i] == '\\' || (p[i] == ':' && i > 0))
			return p[i] == ':' || i >= 16;
		if (!is_b64(p[i]) && p[i] != '-')
			return 0;
	}
	return i == n || i >= 16;
}

/*
 * The format of the first private PEM block at a line start, or NULL.
 * *seen tells whether any PEM block (a certificate, say) was there at all.
 */
static const char *pem_scan(const uint8_t *buf, size_t len, int *seen)
{
	const uint8_t *p = buf, *end = buf + len;

	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11))) {
		const uint8_t *q = p, *lab = p + 11, *le;
		int esc;

		*seen = 1;
		p += 11;
		/* at a line start, allowing indentation (YAML) ... */
		while (q > buf && is_ws(q[-1]))
			q--;
		/* ... or opening a quoted string with \n escapes (JSON, source code) */
		esc = q > buf && (q[-1] == '"' || q[-1] == '\'');
		if (q > buf && q[-1] != '\n' && !esc)
			continue;
		le = memmem(lab, (size_t)(end - lab), "-----", 5);
		if (!le || le - lab > 40)
			continue;
		if (esc && end - le >= 7 && !memcmp(le + 5, "\\n", 2)) {
			for (size_t i = 0; i < DSP_ARRAY_SIZE(pem_labels); i++)
				if (strlen(pem_labels[i].label) == (size_t)(le - lab) &&
				    !memcmp(lab, pem_labels[i].label, (size_t)(le - lab)) &&
				    esc_plausible(le + 7, (size_t)(end - le - 7)))
					return pem_labels[i].format;
			continue;
		}
		for (size_t i = 0; i < DSP_ARRAY_SIZE(pem_labels); i++) {
			const uint8_t *nl;

			if (strlen(pem_labels[i].label) != (size_t)(le - lab) ||
			    memcmp(lab, pem_labels[i].label, (size_t)(le - lab)))
				continue;
			nl = memchr(le, '\n', (size_t)(end - le));
			if (!nl || body_plausible(nl + 1, (size_t)(end - nl - 1)))
				return pem_labels[i].format;
		}
	}
	/* ssh.com / RFC 4716 private keys: four dashes */
	p = memmem(buf, len, "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", 42);
	if (p && (p == buf || p[-1] == '\n'))
		return "ssh2-private";
	return NULL;
}

/*
 * Base64 of a whole PEM file, as kubeconfig client-key-data and Kubernetes
 * Secrets hold it: "LS0tLS1CRUdJTi" is "-----BEGIN". Returns the inner
 * format of the first private block, and where its base64 run starts.
 */
static const char *b64pem_scan(const uint8_t *buf, size_t len, int *seen, const uint8_t **at)
{
	const uint8_t *p = buf, *end = buf + len;

	while ((p = memmem(p, (size_t)(end - p), "LS0tLS1CRUdJTi", 14))) {
		uint8_t *d;
		size_t dl = 0, run = 0;
		const char *f = NULL;
		int inner = 0;

		*seen = 1;
		/* the label and the first body line fit in 96 base64 characters */
		while (run < 96 && p + run < end && is_b64(p[run]) && p[run] != '=')
			run++;
		d = dsp_keys_b64dec((const char *)p, run - run % 4, &dl);
		if (d) {
			f = pem_scan(d, dl, &inner);
			OPENSSL_cleanse(d, dl);
			free(d);
		}
		if (f) {
			if (at)
				*at = p;
			return f;
		}
		p += 14;
	}
	return NULL;
}

/* DER TLV header; returns header length or 0. */
static size_t der_hdr(const uint8_t *p, size_t n, uint8_t *tag, uint64_t *len)
{
	size_t k;

	if (n < 2)
		return 0;
	*tag = p[0];
	if (!(p[1] & 0x80)) {
		*len = p[1];
		return 2;
	}
	k = p[1] & 0x7f;
	if (k == 0 || k > 4 || n < 2 + k)
		return 0;
	*len = 0;
	for (size_t i = 0; i < k; i++)
		*len = *len << 8 | p[2 + i];
	return 2 + k;
}

static const uint8_t pbe_oid_pkcs5[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05 };
static const uint8_t pbe_oid_pkcs12[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01 };
static const uint8_t oid_p7data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };

static const char *der_detect(const uint8_t *b, size_t n, uint64_t size)
{
	uint8_t t, t2;
	uint64_t l, l2, v;
	size_t h, i, h2;
	int ints = 0;

	h = der_hdr(b, n, &t, &l);
	if (!h || t != 0x30 || h + l != size)
		return NULL;	/* a key file is exactly one DER object */
	i = h;
	h2 = der_hdr(b + i, n - i, &t2, &l2);
	if (!h2)
		return NULL;
	if (t2 == 0x30) {
		/* EncryptedPrivateKeyInfo: SEQ { SEQ { OID pbe, params }, OCTET STRING } */
		const uint8_t *o = b + i + h2;
		size_t left = n - i - h2;

		if (left < 2 + sizeof(pbe_oid_pkcs12) || o[0] != 0x06 || o[1] < 8)
			return NULL;
		if (!memcmp(o + 2, pbe_oid_pkcs5, sizeof(pbe_oid_pkcs5)) ||
		    !memcmp(o + 2, pbe_oid_pkcs12, sizeof(pbe_oid_pkcs12))) {
			if (i + h2 + l2 < n && b[i + h2 + l2] != 0x04)
				return NULL;
			return "der-pkcs8-encrypted";
		}
		return NULL;
	}
	if (t2 != 0x02 || l2 != 1 || i + h2 + 1 > n)
		return NULL;
	v = b[i + h2];
	i += h2 + 1;
	h2 = der_hdr(b + i, n - i, &t2, &l2);
	if (!h2)
		return NULL;
	if (v == 3 && t2 == 0x30) {
		const uint8_t *o = b + i + h2;

		if (n - i - h2 >= 2 + sizeof(oid_p7data) && o[0] == 0x06 && o[1] == 9 &&
		    !memcmp(o + 2, oid_p7data, 8))	/* pkcs7-data or -signedData */
			return "pkcs12";
		return NULL;
	}
	if ((v == 0 || v == 1) && t2 == 0x30) {
		const uint8_t *o = b + i + h2;

		/* PrivateKeyInfo: AlgorithmIdentifier starts with an OID */
		if (n - i - h2 < 2 || o[0] != 0x06)
			return NULL;
		if (i + h2 + l2 < n && b[i + h2 + l2] != 0x04)
			return NULL;
		return "der-pkcs8";
	}
	if (v == 1 && t2 == 0x04)
		return "der-sec1";
	if ((v == 0 || v == 1) && t2 == 0x02) {
		/* PKCS#1 RSA and DSA share their start: count the INTEGERs */
		ints = 1;
		while (i < n) {
			h2 = der_hdr(b + i, n - i, &t2, &l2);
			if (!h2 || t2 != 0x02 || l2 > n)
				break;
			ints++;
			i += h2 + l2;
		}
		if (i >= n && h + l <= n)
			return ints == 6 ? "der-dsa" : ints >= 9 ? "der-pkcs1" : NULL;
		return ints >= 6 ? "der-pkcs1" : NULL;	/* only the start was read */
	}
	return NULL;
}

static int starts(const uint8_t *b, size_t n, const char *s)
{
	size_t l = strlen(s);

	return n >= l && !memcmp(b, s, l);
}

/* GnuPG extended key format: "Name: value" lines with a Key: (…private-key */
static int gnupg_ext(const uint8_t *b, size_t n)
{
	const uint8_t *p = b;
	size_t i;

	/* the first line must be "Name:" too: prose is rejected without a scan */
	for (i = 0; i < n && i < 64; i++)
		if (!((b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' && b[i] <= 'z') ||
		      (i > 0 && ((b[i] >= '0' && b[i] <= '9') || b[i] == '-'))))
			break;
	if (i == 0 || i >= n || b[i] != ':')
		return 0;
	while ((p = memmem(p, n - (size_t)(p - b), "Key:", 4))) {
		const uint8_t *q = p + 4;

		if (p > b && p[-1] != '\n') {
			p += 4;
			continue;
		}
		while (q < b + n && (is_ws(*q) || *q == '\n'))
			q++;
		if (starts(q, (size_t)(b + n - q), "(private-key") ||
		    starts(q, (size_t)(b + n - q), "(protected-private-key"))
			return 1;
		p += 4;
	}
	return 0;
}

static const char *detect(const uint8_t *buf, size_t len, uint64_t file_size, int *pem_seen)
{
	struct dsp_key_info scratch;
	const uint8_t *p;
	const char *f;
	size_t head;

	if (!buf || len < 4 || file_size < len)
		return NULL;
	if (!memcmp(buf, "\x7f" "ELF", 4))
		return NULL;
	if (len >= 8 && !memcmp(buf, "LUKS\xba\xbe", 6) && buf[6] == 0 &&
	    (buf[7] == 1 || buf[7] == 2))
		return "luks";
	if (len >= 12 && (!memcmp(buf, "\xfe\xed\xfe\xed", 4) || !memcmp(buf, "\xce\xce\xce\xce", 4)) &&
	    buf[4] == 0 && buf[5] == 0 && buf[6] == 0 && (buf[7] == 1 || buf[7] == 2))
		return buf[0] == 0xfe ? "jks" : "jceks";
	if (len >= 8 && !memcmp(buf, "\x03\xd9\xa2\x9a", 4) &&
	    (!memcmp(buf + 4, "\x67\xfb\x4b\xb5", 4) || !memcmp(buf + 4, "\x65\xfb\x4b\xb5", 4)))
		return "keepass";
	/* 0x30 is also ASCII '0': a text file may go on to the text checks */
	if (buf[0] == 0x30 && (f = der_detect(buf, len, file_size)))
		return f;
	memset(&scratch, 0, sizeof(scratch));
	if (buf[0] == 5 && (buf[1] == 1 || buf[1] == 2))
		return dsp_keys_keytab(buf, len, len < file_size, &scratch) ? "krb5-keytab" : NULL;
	if (buf[0] == 0x94 || buf[0] == 0x95 || buf[0] == 0xc5) {
		int r = dsp_keys_pgp_packets(buf, len, &scratch);

		OPENSSL_cleanse(&scratch, sizeof(scratch));
		return r ? "pgp-binary" : NULL;
	}
	if (starts(buf, len, "PuTTY-User-Key-File-"))
		return "putty";
	if (starts(buf, len, "(11:private-key") || starts(buf, len, "(21:protected-private-key") ||
	    gnupg_ext(buf, len))
		return "gnupg-private-key";
	if (starts(buf, len, "== ed25519v1-secret: type") || starts(buf, len, "== c25519v1: onion =="))
		return "tor";
	if (starts(buf, len, "Private-key-format: v1."))
		return "dnssec-private";
	if (starts(buf, len, "untrusted comment: ")) {
		const uint8_t *nl = memchr(buf, '\n', len);

		if (nl && nl - buf >= 29 && !memcmp(nl - 10, "secret key", 10))
			return "signify";
	}
	if (memchr(buf, 0, len))
		return NULL;	/* binary: no text formats to look for */
	/* age identities: two comment lines, then the key */
	head = len < 1024 ? len : 1024;
	p = buf;
	while ((p = memmem(p, head - (size_t)(p - buf), "AGE-SECRET-KEY-1", 16))) {
		if (p == buf || p[-1] == '\n')
			return "age";
		p += 16;
	}
	/* WireGuard: INI-style files (wg-quick, networkd .netdev, NetworkManager) */
	if ((buf[0] == '[' || buf[0] == '#' || buf[0] == ';') &&
	    dsp_keys_wg_find((const char *)buf, len))
		return "wireguard";
	if ((f = pem_scan(buf, len, pem_seen)))
		return f;
	return b64pem_scan(buf, len, pem_seen, NULL) ? "base64-pem" : NULL;
}

const char *dsp_keys_detect(const uint8_t *buf, size_t len, uint64_t file_size)
{
	int seen = 0;

	return detect(buf, len, file_size, &seen);
}

/* ---------- decoding the whole file ---------- */

struct refuse {
	int asked;
};

/* Passphrase callback that refuses: never NULL, which would prompt on a tty. */
static int refuse_cb(char *pass, size_t size, size_t *len, const OSSL_PARAM params[], void *arg)
{
	(void)pass;
	(void)size;
	(void)params;
	*len = 0;
	((struct refuse *)arg)->asked = 1;
	return 0;
}

/* Decode one private key; 1 ok, 0 not decodable; *asked when a passphrase was wanted. */
static int decode_pkey(const uint8_t *d, size_t n, const char *input, struct dsp_key_info *ki,
		       int *asked)
{
	EVP_PKEY *pk = NULL;
	struct refuse rf = { 0 };
	OSSL_DECODER_CTX *ctx = OSSL_DECODER_CTX_new_for_pkey(&pk, input, NULL, NULL,
							      EVP_PKEY_KEYPAIR, NULL, NULL);
	const unsigned char *p = d;
	size_t left = n;
	int ok = 0;

	if (ctx && OSSL_DECODER_CTX_set_passphrase_cb(ctx, refuse_cb, &rf) &&
	    OSSL_DECODER_from_data(ctx, &p, &left) && pk) {
		dsp_keys_from_pkey(pk, ki);
		ki->encrypted = 0;
		ok = 1;
	}
	EVP_PKEY_free(pk);
	OSSL_DECODER_CTX_free(ctx);
	ERR_clear_error();
	*asked = rf.asked;
	return ok;
}

/* Copy one PEM block (BEGIN..END of label), each line's indentation removed. */
static char *pem_block(const char *t, size_t n, const char *label, size_t *outlen)
{
	char begin[80], endl[80];
	const char *b, *e, *s;
	char *out;
	size_t o = 0;

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	snprintf(endl, sizeof(endl), "-----END %s-----", label);
	for (b = t; (b = memmem(b, n - (size_t)(b - t), begin, strlen(begin))); b++) {
		const char *q = b;

		while (q > t && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		if (q == t || q[-1] == '\n' || q[-1] == '"' || q[-1] == '\'')
			break;
	}
	if (!b)
		return NULL;
	e = memmem(b, n - (size_t)(b - t), endl, strlen(endl));
	if (!e)
		return NULL;
	e += strlen(endl);
	out = malloc((size_t)(e - b) + 2);
	if (!out)
		return NULL;
	for (s = b; s < e;) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		const char *le = nl ? nl : e;

		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		while (le > s && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		memcpy(out + o, s, (size_t)(le - s));
		o += (size_t)(le - s);
		out[o++] = '\n';
		s = nl ? nl + 1 : e;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* A PEM block inside a quoted string with \n escapes, unescaped. */
static char *pem_block_escaped(const char *t, size_t n, const char *label, size_t *outlen)
{
	char begin[80], endl[80], *out, *e;
	const char *b;
	size_t o = 0, i;

	snprintf(begin, sizeof(begin), "-----BEGIN %s-----\\n", label);
	snprintf(endl, sizeof(endl), "-----END %s-----", label);
	for (b = t; (b = memmem(b, n - (size_t)(b - t), begin, strlen(begin))); b++)
		if (b > t && (b[-1] == '"' || b[-1] == '\''))
			break;
	if (!b)
		return NULL;
	out = malloc(n - (size_t)(b - t) + 2);
	if (!out)
		return NULL;
	for (i = (size_t)(b - t); i < n && t[i] != '"' && t[i] != '\''; i++) {
		if (t[i] == '\\' && i + 1 < n) {
			i++;
			if (t[i] == 'n')
				out[o++] = '\n';
			else if (t[i] == '/')
				out[o++] = '/';
			/* \r and others: dropped */
			continue;
		}
		out[o++] = t[i];
	}
	out[o] = '\0';
	e = memmem(out, o, endl, strlen(endl));
	if (!e) {
		OPENSSL_cleanse(out, o);
		free(out);
		return NULL;
	}
	o = (size_t)(e - out) + strlen(endl);
	out[o++] = '\n';
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Base64 body of a normalised PEM block (after the armor headers). */
static uint8_t *pem_body(const char *blk, size_t n, size_t *dl)
{
	const char *s = memchr(blk, '\n', n), *e, *hdr;

	if (!s)
		return NULL;
	s++;
	/* skip "Name: value" headers (Proc-Type, DEK-Info) and the blank line */
	hdr = memchr(s, ':', n - (size_t)(s - blk));
	e = memmem(s, n - (size_t)(s - blk), "-----END ", 9);
	if (!e)
		return NULL;
	if (hdr && hdr < e) {
		const char *blank = memmem(s, (size_t)(e - s), "\n\n", 2);

		if (!blank)
			return NULL;
		s = blank + 2;
	}
	return dsp_keys_b64dec(s, (size_t)(e - s), dl);
}

/* The first block of any label that maps to format: a normalised copy. */
static char *format_block(const char *t, size_t n, const char *format, size_t *bl)
{
	for (size_t i = 0; i < DSP_ARRAY_SIZE(pem_labels); i++) {
		const char *label = pem_labels[i].label;
		char *blk;

		if (strcmp(pem_labels[i].format, format))
			continue;
		blk = pem_block(t, n, label, bl);
		if (blk && memmem(blk, *bl, "\\n", 2)) {
			/* a quoted string with \n escapes, not lines */
			OPENSSL_cleanse(blk, *bl);
			free(blk);
			blk = NULL;
		}
		if (!blk)
			blk = pem_block_escaped(t, n, label, bl);
		if (blk)
			return blk;
	}
	return NULL;
}

/* An EncryptedPrivateKeyInfo, exactly: the body of an encrypted PKCS#8 key. */
static int encrypted_p8_ok(const uint8_t *d, size_t n)
{
	const unsigned char *q = d;
	X509_SIG *sig = d2i_X509_SIG(NULL, &q, (long)n);
	int ok = sig && q == d + n;

	X509_SIG_free(sig);
	ERR_clear_error();
	return ok;
}

/*
 * A PrivateKeyInfo OpenSSL cannot load (an algorithm it does not know):
 * still key material; the algorithm is named by its OID.
 */
static int unknown_p8(const uint8_t *d, size_t n, struct dsp_key_info *ki)
{
	const unsigned char *q = d;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &q, (long)n);
	const ASN1_OBJECT *obj = NULL;
	int ok = p8 && q == d + n && PKCS8_pkey_get0(&obj, NULL, NULL, NULL, p8) && obj;

	if (ok) {
		OBJ_obj2txt(ki->algorithm, sizeof(ki->algorithm), obj, 1);
		ki->encrypted = 0;
	}
	/* the private key octets are cleared when the structure is freed */
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return ok;
}

static int pem_examine(const char *t, size_t n, const char *format, struct dsp_key_info *ki)
{
	uint8_t *der = NULL;
	size_t bl = 0, dl = 0;
	char *blk = format_block(t, n, format, &bl);
	int r = 0, asked = 0;

	if (!blk)
		return 0;
	if (!strcmp(format, "openssh")) {
		r = dsp_keys_openssh(blk, bl, ki);
	} else if (!strcmp(format, "pgp-armored")) {
		r = dsp_keys_pgp_armor(blk, bl, ki);
	} else if (!strcmp(format, "openvpn-static")) {
		size_t hex = 0;

		for (size_t i = 0; i < bl; i++)
			hex += (blk[i] >= '0' && blk[i] <= '9') || (blk[i] >= 'a' && blk[i] <= 'f');
		if (hex >= 256) {
			snprintf(ki->algorithm, sizeof(ki->algorithm), "openvpn-static");
			ki->bits = 2048;
			ki->encrypted = 0;
			r = 1;
		}
	} else if (!strncmp(format, "pem-", 4) && decode_pkey((const uint8_t *)blk, bl, "PEM", ki, &asked)) {
		r = 1;
	} else if (!strncmp(format, "pem-", 4) && (der = pem_body(blk, bl, &dl))) {
		/* not decodable: keep only what is visible, after checking the body is real */
		if (!strcmp(format, "pem-pkcs8-encrypted")) {
			r = encrypted_p8_ok(der, dl);
			ki->encrypted = 1;
		} else if (asked) {
			/* legacy Proc-Type/DEK-Info encryption: whole cipher blocks */
			r = dl >= 64 && dl % 8 == 0;
			snprintf(ki->algorithm, sizeof(ki->algorithm), "%s",
				 !strcmp(format, "pem-pkcs1") ? "rsa" :
				 !strcmp(format, "pem-sec1") ? "ec" :
				 !strcmp(format, "pem-dsa") ? "dsa" : "");
			ki->encrypted = 1;
		} else if (!strcmp(format, "pem-pkcs8")) {
			r = unknown_p8(der, dl, ki);
		}
	} else if (!strcmp(format, "tpm2-tss") || !strcmp(format, "openvpn-tls-crypt-v2")) {
		der = pem_body(blk, bl, &dl);
		r = der && dl >= 32;
		ki->encrypted = !strcmp(format, "tpm2-tss");	/* sealed by the TPM */
	}
	if (der) {
		OPENSSL_cleanse(der, dl);
		free(der);
	}
	OPENSSL_cleanse(blk, bl);
	free(blk);
	ERR_clear_error();
	return r;
}

/* ssh.com private key: magic 3f6ff9eb, then key type and cipher names. */
static int ssh2_examine(const char *t, size_t n, struct dsp_key_info *ki)
{
	const char *b = memmem(t, n, "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", 42), *e, *s;
	uint8_t *d;
	size_t dl = 0, tl, cl;
	const uint8_t *ty, *ci;
	struct kcur c;
	uint32_t magic, total;
	int r = 0;

	if (!b || !(e = memmem(b, n - (size_t)(b - t), "---- END SSH2 ENCRYPTED PRIVATE KEY ----", 40)))
		return 0;
	/* skip headers: lines with ':' and their '\' continuations */
	s = memchr(b, '\n', (size_t)(e - b));
	while (s && s < e) {
		const char *nl = memchr(s + 1, '\n', (size_t)(e - s - 1));
		const char *le = nl ? nl : e;

		if (!memchr(s + 1, ':', (size_t)(le - s - 1)) && !(le > s + 1 && le[-1] == '\\'))
			break;
		s = nl;
	}
	if (!s || s >= e)
		return 0;
	d = dsp_keys_b64dec(s, (size_t)(e - s), &dl);
	if (!d)
		return 0;
	c = (struct kcur){ d, dl, 0, 0 };
	if (!kcur_be32(&c, &magic) && magic == 0x3f6ff9eb && !kcur_be32(&c, &total) &&
	    (ty = kcur_sshstr(&c, &tl)) && (ci = kcur_sshstr(&c, &cl))) {
		ki->encrypted = !(cl == 4 && !memcmp(ci, "none", 4));
		if (memmem(ty, tl, "rsa", 3))
			snprintf(ki->algorithm, sizeof(ki->algorithm), "rsa");
		else if (memmem(ty, tl, "dl-modp", 7))
			snprintf(ki->algorithm, sizeof(ki->algorithm), "dsa");
		r = 1;
	}
	OPENSSL_cleanse(d, dl);
	free(d);
	return r;
}

/* Key bags visible without a password: 1 key seen, 0 none and nothing hidden, -1 unknown. */
static int p12_visible_keys(PKCS12 *p12)
{
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
	int hidden = 0, keys = 0;

	if (!safes)
		return -1;
	for (int i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags;

		if (OBJ_obj2nid(p7->type) != NID_pkcs7_data) {
			hidden = 1;
			continue;
		}
		bags = PKCS12_unpack_p7data(p7);
		for (int k = 0; bags && k < sk_PKCS12_SAFEBAG_num(bags); k++) {
			int nid = PKCS12_SAFEBAG_get_nid(sk_PKCS12_SAFEBAG_value(bags, k));

			if (nid == NID_keyBag || nid == NID_pkcs8ShroudedKeyBag || nid == NID_secretBag)
				keys = 1;
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	ERR_clear_error();
	return keys ? 1 : hidden ? -1 : 0;
}

static int p12_examine(const uint8_t *d, size_t n, struct dsp_key_info *ki)
{
	const unsigned char *q = d;
	PKCS12 *p12 = d2i_PKCS12(NULL, &q, (long)n);
	EVP_PKEY *pk = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	int r = 0;

	if (!p12) {
		r = DSP_KEY_UNDECODED;	/* the structure matched, the DER does not parse */
		goto out;
	}
	/* an empty password is not a protection; try it both ways */
	if (PKCS12_parse(p12, "", &pk, &cert, &ca) || PKCS12_parse(p12, NULL, &pk, &cert, &ca)) {
		if (pk) {
			dsp_keys_from_pkey(pk, ki);
			ki->encrypted = 0;
			r = 1;
		}
		/* no key: a truststore */
	} else {
		r = p12_visible_keys(p12) != 0;
		ki->encrypted = 1;
	}
out:
	EVP_PKEY_free(pk);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	PKCS12_free(p12);
	ERR_clear_error();
	return r;
}

/* ---------- the file ---------- */

static ssize_t pread_full(int fd, uint8_t *buf, size_t n, off_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static void sfree(uint8_t *p, size_t n)
{
	if (p) {
		OPENSSL_cleanse(p, n);
		free(p);
	}
}

static struct json_object *jstr(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t l = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
		   (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (!l || l > n || (l == 2 && s[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < l; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return l;
}

/*
 * JSON strings must be UTF-8: a path that is not gets U+FFFD for each bad
 * byte in "path" and its exact bytes in "path_hex".
 */
static void add_path(struct json_object *o, const char *path)
{
	const unsigned char *p = (const unsigned char *)path;
	size_t n = strlen(path), o_len = 0, l;
	char *fixed, *hex;
	int lossy = 0;

	for (size_t i = 0; i < n; i += l ? l : 1)
		if (!(l = utf8_len(p + i, n - i)))
			lossy = 1;
	if (!lossy) {
		json_object_object_add(o, "path", json_object_new_string(path));
		return;
	}
	fixed = malloc(n * 3 + 1);
	hex = dsp_hex_dup(p, n);
	if (fixed && hex) {
		for (size_t i = 0; i < n; i += l ? l : 1) {
			l = utf8_len(p + i, n - i);
			if (l) {
				memcpy(fixed + o_len, p + i, l);
				o_len += l;
			} else {
				memcpy(fixed + o_len, "\xef\xbf\xbd", 3);
				o_len += 3;
			}
		}
		fixed[o_len] = '\0';
		json_object_object_add(o, "path", json_object_new_string(fixed));
		json_object_object_add(o, "path_hex", json_object_new_string(hex));
	}
	free(fixed);
	free(hex);
}

static struct json_object *to_json(const char *path, const struct stat *st,
				   const struct dsp_key_info *ki, int undecoded)
{
	struct json_object *o = json_object_new_object();
	char mode[8];

	if (!o)
		return NULL;
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	add_path(o, path);
	json_object_object_add(o, "format", json_object_new_string(ki->format));
	json_object_object_add(o, "algorithm", jstr(ki->algorithm));
	json_object_object_add(o, "bits", ki->bits > 0 ? json_object_new_int(ki->bits) : NULL);
	json_object_object_add(o, "encrypted",
			       ki->encrypted < 0 ? NULL : json_object_new_boolean(ki->encrypted));
	json_object_object_add(o, "spki_sha256", jstr(ki->spki_sha256));
	json_object_object_add(o, "ssh_fingerprint", jstr(ki->ssh_fingerprint));
	json_object_object_add(o, "luks_uuid", jstr(ki->luks_uuid));
	if (ki->pgp_fingerprint[0])
		json_object_object_add(o, "pgp_fingerprint", jstr(ki->pgp_fingerprint));
	if (ki->principal[0])
		json_object_object_add(o, "principal", jstr(ki->principal));
	json_object_object_add(o, "decoded", json_object_new_boolean(!undecoded));
	if (undecoded)
		json_object_object_add(o, "reason",
				       json_object_new_string(ki->reason[0] ? ki->reason :
							      "does not decode"));
	json_object_object_add(o, "mode", json_object_new_string(mode));
	json_object_object_add(o, "uid", json_object_new_int64((int64_t)st->st_uid));
	return o;
}

/* Formats whose text fits a NUL-terminated string decode. */
static int is_text_format(const char *f)
{
	return !strncmp(f, "pem-", 4) || !strcmp(f, "openssh") || !strcmp(f, "pgp-armored") ||
	       !strncmp(f, "tpm2", 4) || !strncmp(f, "openvpn", 7) || !strcmp(f, "ssh2-private") ||
	       !strcmp(f, "putty") || !strcmp(f, "gnupg-private-key") || !strcmp(f, "age") ||
	       !strcmp(f, "signify") || !strcmp(f, "tor") || !strcmp(f, "dnssec-private") ||
	       !strcmp(f, "wireguard") || !strcmp(f, "base64-pem");
}

/* Decode the base64 run that wraps a PEM file and examine the PEM inside. */
static int b64pem_examine(const uint8_t *d, size_t n, struct dsp_key_info *ki)
{
	const uint8_t *at = NULL;
	const char *inner;
	uint8_t *pem;
	size_t pl = 0;
	int seen = 0, r = 0;

	inner = b64pem_scan(d, n, &seen, &at);
	if (!inner)
		return 0;
	/*
	 * The decoder skips line breaks (wrapped base64) and stops at '=' or
	 * the first other character; whatever follows END is ignored.
	 */
	pem = dsp_keys_b64dec((const char *)at, n - (size_t)(at - d), &pl);
	if (!pem)
		return 0;
	r = pem_examine((const char *)pem, pl, inner, ki);
	OPENSSL_cleanse(pem, pl);
	free(pem);
	return r;
}

static int examine_whole(const uint8_t *d, size_t n, struct dsp_key_info *ki)
{
	const char *f = ki->format, *t = (const char *)d;

	if (!strcmp(f, "base64-pem"))
		return b64pem_examine(d, n, ki);
	if (!strncmp(f, "pem-", 4) || !strcmp(f, "openssh") || !strcmp(f, "pgp-armored") ||
	    !strncmp(f, "tpm2", 4) || !strncmp(f, "openvpn", 7))
		return pem_examine(t, n, f, ki);
	if (!strcmp(f, "ssh2-private"))
		return ssh2_examine(t, n, ki);
	if (!strcmp(f, "putty"))
		return dsp_keys_putty(t, n, ki);
	if (!strcmp(f, "wireguard"))
		return dsp_keys_wireguard(t, n, ki);
	if (!strcmp(f, "gnupg-private-key"))
		return dsp_keys_gnupg(t, n, ki);
	if (!strcmp(f, "pgp-binary"))
		return dsp_keys_pgp_packets(d, n, ki);
	if (!strncmp(f, "der-", 4)) {
		int asked = 0;

		if (decode_pkey(d, n, "DER", ki, &asked))
			return 1;
		if (!strcmp(f, "der-pkcs8-encrypted")) {
			ki->encrypted = 1;
			return encrypted_p8_ok(d, n);
		}
		if (!strcmp(f, "der-pkcs8"))
			return unknown_p8(d, n, ki);
		return 0;
	}
	if (!strcmp(f, "pkcs12"))
		return p12_examine(d, n, ki);
	if (!strcmp(f, "jks") || !strcmp(f, "jceks"))
		return dsp_keys_jks(d, n, ki);
	if (!strcmp(f, "krb5-keytab"))
		return dsp_keys_keytab(d, n, 0, ki);
	if (!strcmp(f, "keepass") || !strcmp(f, "age") || !strcmp(f, "signify") ||
	    !strcmp(f, "tor") || !strcmp(f, "dnssec-private")) {
		/* symmetric or exotic: recorded by presence, never hashed */
		ki->encrypted = !strcmp(f, "keepass") ? 1 :
				(!strcmp(f, "signify") && memmem(d, n, "encrypted", 9)) ? 1 : -1;
		if (!strcmp(f, "age") || !strcmp(f, "dnssec-private") || !strcmp(f, "tor"))
			ki->encrypted = 0;
		return 1;
	}
	return 0;
}

/* ---------- key material that does not decode ---------- */

/*
 * Bytes of base64 (hex: hex digits) body in the lines after a BEGIN line,
 * p just past it: armor headers and '#' comments first, then lines of body
 * only, up to END, EOF (a truncated file), a blank line or anything else.
 * esc: the lines end in the two characters "\n" (a JSON string).
 */
static size_t body_bytes(const char *p, const char *end, int esc, int hex)
{
	size_t chars = 0;
	int in_body = 0;

	while (p < end) {
		const char *le = esc ? memmem(p, (size_t)(end - p), "\\n", 2) :
				       memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = le ? le : end;

		while (s < e && is_ws(*s))
			s++;
		while (e > s && is_ws(e[-1]))
			e--;
		if (s == e) {
			if (in_body)
				break;
		} else if (!in_body && (*s == '#' || memchr(s, ':', (size_t)(e - s)))) {
			/* Proc-Type:, Version:, Comment: ... */
		} else {
			for (const char *q = s; q < e; q++)
				if (hex ? !isxdigit((unsigned char)*q) : !is_b64((unsigned char)*q))
					return hex ? chars / 2 : chars / 4 * 3;
			chars += (size_t)(e - s);
			in_body = 1;
		}
		if (!le)
			break;
		p = le + (esc ? 2 : 1);
	}
	return hex ? chars / 2 : chars / 4 * 3;
}

/*
 * A block of format's labels with a real body: a BEGIN line where pem_scan
 * looks for one (line start, or opening a quoted string) and at least 32
 * bytes of body after it. END is not needed: a truncated key still counts.
 */
static int pem_evidence(const char *t, size_t n, const char *format)
{
	const char *end = t + n;
	int hex = !strcmp(format, "openvpn-static");

	if (!strcmp(format, "ssh2-private")) {
		const char *b = memmem(t, n, "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", 42);
		const char *s = b ? memchr(b, '\n', (size_t)(end - b)) : NULL, *le;
		int cont = 0;

		if (!s)
			return 0;
		/* headers: "Name: value" lines and their '\' continuations */
		for (s++; s < end && (le = memchr(s, '\n', (size_t)(end - s))); s = le + 1) {
			int bs = le > s && (le[-1] == '\\' || (le - s > 1 && le[-1] == '\r' && le[-2] == '\\'));

			if (!cont && !bs && !memchr(s, ':', (size_t)(le - s)))
				break;
			cont = bs;
		}
		return s < end && body_bytes(s, end, 0, 0) >= 32;
	}
	for (size_t i = 0; i < DSP_ARRAY_SIZE(pem_labels); i++) {
		char begin[80];
		size_t bl;
		const char *b = t;

		if (strcmp(pem_labels[i].format, format))
			continue;
		bl = (size_t)snprintf(begin, sizeof(begin), "-----BEGIN %s-----", pem_labels[i].label);
		while ((b = memmem(b, (size_t)(end - b), begin, bl))) {
			const char *q = b, *after = b + bl;
			int esc;

			b = after;
			while (q > t && is_ws(q[-1]))
				q--;
			esc = q > t && (q[-1] == '"' || q[-1] == '\'');
			if (q > t && q[-1] != '\n' && !esc)
				continue;
			if (esc && !(end - after >= 2 && !memcmp(after, "\\n", 2)))
				esc = 0;
			if (body_bytes(after, end, esc, hex) >= 32)
				return 1;
		}
	}
	return 0;
}

/* One DER object filling n exactly, whose elements all parse: not random bytes. */
static int der_wellformed(const uint8_t *d, size_t n)
{
	uint8_t t;
	uint64_t l;
	size_t h = der_hdr(d, n, &t, &l), i, kids = 0;

	if (!h || t != 0x30 || h + l != n)
		return 0;
	for (i = h; i < n; kids++) {
		size_t h2 = der_hdr(d + i, n - i, &t, &l);

		if (!h2 || l > n - i - h2)
			return 0;
		i += h2 + (size_t)l;
	}
	return kids >= 2;
}

/*
 * A candidate the handler could not decode: DSP_KEY_UNDECODED when it still
 * is key material by its structure, 0 when it is not (prose quoting a PEM
 * header, a placeholder, a smartcard stub).
 */
static int undecodable(const uint8_t *d, size_t n, const char *f)
{
	if (!strcmp(f, "base64-pem")) {
		const uint8_t *at = NULL;
		const char *inner;
		uint8_t *pem;
		size_t pl = 0;
		int seen = 0, r = 0;

		inner = b64pem_scan(d, n, &seen, &at);
		if (!inner || !(pem = dsp_keys_b64dec((const char *)at, n - (size_t)(at - d), &pl)))
			return 0;
		r = pem_evidence((const char *)pem, pl, inner);
		OPENSSL_cleanse(pem, pl);
		free(pem);
		return r ? DSP_KEY_UNDECODED : 0;
	}
	if (!strncmp(f, "pem-", 4) || !strcmp(f, "openssh") || !strcmp(f, "pgp-armored") ||
	    !strncmp(f, "tpm2", 4) || !strncmp(f, "openvpn", 7) || !strcmp(f, "ssh2-private"))
		return pem_evidence((const char *)d, n, f) ? DSP_KEY_UNDECODED : 0;
	if (!strncmp(f, "der-", 4))
		return der_wellformed(d, n) ? DSP_KEY_UNDECODED : 0;
	/* the header was their magic: a damaged one is still one */
	if (!strcmp(f, "putty") || !strcmp(f, "krb5-keytab") || !strcmp(f, "luks"))
		return DSP_KEY_UNDECODED;
	return 0;
}

/* How many bytes of the file the format needs. */
static uint64_t need_bytes(const char *f, const uint8_t *first, size_t n, uint64_t size)
{
	if (!strcmp(f, "luks")) {
		uint64_t hs = 0;

		if (n >= 16 && first[7] == 2)
			for (int i = 8; i < 16; i++)
				hs = hs << 8 | first[i];
		else
			hs = 4096;
		if (hs < 4096 || hs > LUKS_HDR_MAX)
			hs = 4096;
		return hs < size ? hs : size;
	}
	if (is_text_format(f))
		return size < TEXT_MAX ? size : TEXT_MAX;
	return size;
}

/*
 * LUKS2 keeps a second header copy at hdr_size (16 KiB .. 4 MiB): a backup
 * or an image whose first copy was wiped still holds the keyslots. Returns
 * the offset, 0 when there is none, -errno.
 */
static off_t luks2_secondary(int fd, uint64_t size)
{
	for (off_t off = 0x4000; off <= (off_t)LUKS_HDR_MAX; off *= 2) {
		uint8_t m[8];
		ssize_t n;

		if ((uint64_t)off + 4096 > size)
			return 0;
		n = pread_full(fd, m, sizeof(m), off);
		if (n < 0)
			return n;
		if (n == 8 && !memcmp(m, "SKUL\xba\xbe\x00\x02", 8))
			return off;
	}
	return 0;
}

int dsp_keys_examine(int fd, const char *path, const struct stat *st,
		     struct json_object **out)
{
	struct dsp_key_info ki;
	uint64_t size, want;
	uint8_t buf[FIRST_CHUNK], *all = NULL;
	size_t bl, al = 0;
	ssize_t n;
	off_t base = 0;
	int r = 0, pem_seen = 0;

	*out = NULL;
	if (!S_ISREG(st->st_mode) || st->st_size < MIN_SIZE)
		return 0;
	size = (uint64_t)st->st_size;
	bl = size < FIRST_CHUNK ? (size_t)size : FIRST_CHUNK;
	n = pread_full(fd, buf, bl, 0);
	if (n < 0)
		return (int)n;
	bl = (size_t)n;
	ki.format = detect(buf, bl, size, &pem_seen);
	if (!ki.format && !pem_seen) {
		/* the common case: not key material, nothing secret was read */
		if (bl < FIRST_CHUNK || buf[0] || memcmp(buf, buf + 1, bl - 1))
			return 0;
		/* zeroed start: a LUKS2 header whose primary copy was wiped? */
		base = luks2_secondary(fd, size);
		if (base <= 0)
			return (int)base;
		ki.format = "luks";
		n = pread_full(fd, buf, bl, base);
		if (n < 0)
			return (int)n;
		bl = (size_t)n;
	}
	memset(&ki.algorithm, 0, sizeof(ki) - offsetof(struct dsp_key_info, algorithm));
	ki.encrypted = -1;
	if (!ki.format && pem_seen && size > bl) {
		/* a PEM bundle: the key may follow certificates */
		want = size < TEXT_MAX ? size : TEXT_MAX;
		all = malloc((size_t)want + 1);
		if (!all) {
			r = -ENOMEM;
			goto out;
		}
		n = pread_full(fd, all, (size_t)want, 0);
		if (n < 0) {
			r = (int)n;
			goto out;
		}
		al = (size_t)n;
		ki.format = detect(all, al, size, &pem_seen);
	}
	if (!ki.format)
		goto out;
	want = need_bytes(ki.format, buf, bl, size - (uint64_t)base);
	if (want > STORE_MAX) {
		/* the structure matched: list it unexamined rather than drop it */
		/* listed in the document and counted by the summary: a note, not a warning */
		dsp_log(DSP_LOG_INFO, "%s: %s too large to examine, listed unverified",
			path, ki.format);
		snprintf(ki.reason, sizeof(ki.reason), "too large to examine");
		*out = to_json(path, st, &ki, 1);
		r = *out ? 1 : -ENOMEM;
		goto out;
	}
	if (al < want) {
		sfree(all, al);
		all = malloc((size_t)want + 1);
		al = 0;
		if (!all) {
			r = -ENOMEM;
			goto out;
		}
		n = pread_full(fd, all, (size_t)want, base);
		if (n < 0) {
			r = (int)n;
			goto out;
		}
		al = (size_t)n;
	}
	all[al] = '\0';
	/* LUKS: libcryptsetup reads the file itself (the LUKS2 copies, checksums) */
	r = strcmp(ki.format, "luks") ? examine_whole(all, al, &ki) : dsp_keys_luks(fd, &ki);
	if (r < 0)
		goto out;
	if (r == 0)
		r = undecodable(all, al, ki.format);
	if (r == DSP_KEY_UNDECODED) {
		/* listed with its format only: nothing a handler half-read is claimed */
		char why[sizeof(ki.reason)];

		memcpy(why, ki.reason, sizeof(why));
		memset(&ki.algorithm, 0, sizeof(ki) - offsetof(struct dsp_key_info, algorithm));
		memcpy(ki.reason, why, sizeof(why));
		ki.encrypted = -1;
		dsp_log(DSP_LOG_INFO, "%s: %s does not decode, listed unverified", path, ki.format);
		*out = to_json(path, st, &ki, 1);
		r = *out ? 1 : -ENOMEM;
	} else if (r == 1) {
		*out = to_json(path, st, &ki, 0);
		if (!*out)
			r = -ENOMEM;
	} else {
		dsp_log(DSP_LOG_DEBUG, "%s: looks like %s but is not key material", path, ki.format);
	}
out:
	sfree(all, al ? al + 1 : 0);
	OPENSSL_cleanse(buf, bl);
	OPENSSL_cleanse(&ki, sizeof(ki));
	return r;
}
