/* SPDX-License-Identifier: MIT */
/* keys_pgp.c - OpenPGP secret keys (armored, binary) and GnuPG private-keys-v1.d entries */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "keys_int.h"

static const char arm_begin[] = "-----BEGIN PGP PRIVATE KEY BLOCK-----";
static const char arm_end[] = "-----END PGP PRIVATE KEY BLOCK-----";

int dsp_keys_pgp_armor(const char *t, size_t n, struct dsp_key_info *ki)
{
	const char *b = memmem(t, n, arm_begin, sizeof(arm_begin) - 1), *e, *blank;
	uint8_t *d;
	size_t dl = 0;
	int r;

	if (!b)
		return 0;
	e = memmem(b, n - (size_t)(b - t), arm_end, sizeof(arm_end) - 1);
	if (!e)
		return 0;
	/* armor headers end at the first empty line */
	blank = memmem(b, (size_t)(e - b), "\n\n", 2);
	if (!blank) {
		blank = memmem(b, (size_t)(e - b), "\n\r\n", 3);
		if (!blank)
			return 0;
	}
	d = dsp_keys_b64dec(blank, (size_t)(e - blank), &dl);
	if (!d)
		return 0;
	r = dsp_keys_pgp_packets(d, dl, ki);
	OPENSSL_cleanse(d, dl);
	free(d);
	return r;
}

static const uint8_t *mpi(struct kcur *c, size_t *n)
{
	uint16_t bits;
	const uint8_t *p;

	if (kcur_be16(c, &bits))
		return NULL;
	*n = ((size_t)bits + 7) / 8;
	p = kcur_take(c, *n);
	/* strip leading zeros some writers leave */
	while (p && *n > 1 && *p == 0) {
		p++;
		(*n)--;
	}
	return p;
}

static const struct {
	uint8_t len;
	uint8_t oid[10];
	const char *ossl;	/* OpenSSL group, or "ED25519" / "X25519" */
} pgp_curves[] = {
	{ 9, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01 }, "ED25519" },
	{ 10, { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01 }, "X25519" },
	{ 8, { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 }, "prime256v1" },
	{ 5, { 0x2b, 0x81, 0x04, 0x00, 0x22 }, "secp384r1" },
	{ 5, { 0x2b, 0x81, 0x04, 0x00, 0x23 }, "secp521r1" },
};

static EVP_PKEY *ecc_pub(const uint8_t *oid, size_t ol, const uint8_t *q, size_t ql)
{
	for (size_t i = 0; i < sizeof(pgp_curves) / sizeof(pgp_curves[0]); i++) {
		if (ol != pgp_curves[i].len || memcmp(oid, pgp_curves[i].oid, ol))
			continue;
		if (!strcmp(pgp_curves[i].ossl, "ED25519") || !strcmp(pgp_curves[i].ossl, "X25519")) {
			/* native form: 0x40 prefix + 32 bytes */
			if (ql != 33 || q[0] != 0x40)
				return NULL;
			return EVP_PKEY_new_raw_public_key(
				!strcmp(pgp_curves[i].ossl, "ED25519") ? EVP_PKEY_ED25519 : EVP_PKEY_X25519,
				NULL, q + 1, 32);
		}
		return dsp_keys_ec_pub(pgp_curves[i].ossl, q, ql);
	}
	return NULL;
}

/* Public-key algorithms of RFC 9580 (and 2, 3: RSA encrypt/sign only). */
static int pgp_algo_known(uint8_t a)
{
	return (a >= 1 && a <= 3) || (a >= 16 && a <= 19) || a == 22 || (a >= 25 && a <= 28);
}

/*
 * A v3, v5 or v6 secret key packet (c after the version octet), or a v4 one
 * of an algorithm the v4 parser does not know: not decoded, but checked to be
 * one before it is listed, so random bytes are not.
 */
static int pgp_undecoded(struct kcur *c, uint8_t ver, struct dsp_key_info *ki)
{
	uint32_t ctime, ml;
	uint16_t valid;
	uint8_t algo, usage;
	size_t l;

	if (kcur_be32(c, &ctime) || (ver == 3 && kcur_be16(c, &valid)) || kcur_u8(c, &algo) ||
	    !pgp_algo_known(algo))
		return 0;
	if (ver == 3) {
		/* RSA only: n and e */
		if (algo > 3 || !mpi(c, &l) || !mpi(c, &l))
			return 0;
	} else if (ver == 5 || ver == 6) {
		/* the public key material carries its own length */
		if (kcur_be32(c, &ml) || ml < 32 || !kcur_take(c, ml))
			return 0;
	} else {
		return 0;
	}
	/* S2K usage, then at least a 32-byte secret */
	if (kcur_u8(c, &usage) || (ver != 3 && usage != 0 && usage < 253) ||
	    c->len - c->off < 32)
		return 0;
	snprintf(ki->reason, sizeof(ki->reason), "OpenPGP v%u key packet: not supported", ver);
	return DSP_KEY_UNDECODED;
}

/*
 * Parse the first packet: a v4 secret key (tag 5) or subkey (7) is decoded
 * (1); a secret key packet of another version is DSP_KEY_UNDECODED.
 */
int dsp_keys_pgp_packets(const uint8_t *p, size_t n, struct dsp_key_info *ki)
{
	struct kcur c = { p, n, 0, 0 };
	uint8_t hdr, ver, algo, usage, b1;
	size_t blen, pubstart, pubend, l1, l2, l3, l4;
	const uint8_t *a, *b, *g, *y;
	EVP_PKEY *pk = NULL;
	uint32_t ctime;
	int tag;

	if (kcur_u8(&c, &hdr) || !(hdr & 0x80))
		return 0;
	if (hdr & 0x40) {		/* new format */
		tag = hdr & 0x3f;
		if (kcur_u8(&c, &b1))
			return 0;
		if (b1 < 192) {
			blen = b1;
		} else if (b1 < 224) {
			uint8_t b2;

			if (kcur_u8(&c, &b2))
				return 0;
			blen = ((size_t)(b1 - 192) << 8) + b2 + 192;
		} else if (b1 == 255) {
			uint32_t l;

			if (kcur_be32(&c, &l))
				return 0;
			blen = l;
		} else {
			return 0;	/* partial lengths are not used for keys */
		}
	} else {
		tag = (hdr >> 2) & 0x0f;
		switch (hdr & 3) {
		case 0: { uint8_t l; if (kcur_u8(&c, &l)) return 0; blen = l; break; }
		case 1: { uint16_t l; if (kcur_be16(&c, &l)) return 0; blen = l; break; }
		case 2: { uint32_t l; if (kcur_be32(&c, &l)) return 0; blen = l; break; }
		default: return 0;
		}
	}
	if ((tag != 5 && tag != 7) || blen > n - c.off || blen < 12)
		return 0;
	c.len = c.off + blen;
	pubstart = c.off;
	if (kcur_u8(&c, &ver))
		return 0;
	if (ver != 4)
		return pgp_undecoded(&c, ver, ki);
	if (kcur_be32(&c, &ctime) || kcur_u8(&c, &algo))
		return 0;
	switch (algo) {
	case 1: case 2: case 3:
		a = mpi(&c, &l1);
		b = mpi(&c, &l2);
		if (a && b)
			pk = dsp_keys_rsa_pub(a, l1, b, l2);
		break;
	case 17:
		a = mpi(&c, &l1);
		b = mpi(&c, &l2);
		g = mpi(&c, &l3);
		y = mpi(&c, &l4);
		if (a && b && g && y)
			pk = dsp_keys_dsa_pub(a, l1, b, l2, g, l3, y, l4);
		break;
	case 16:
		a = mpi(&c, &l1);
		if (mpi(&c, &l2) && mpi(&c, &l3) && a) {
			snprintf(ki->algorithm, sizeof(ki->algorithm), "elgamal");
			ki->bits = (int)l1 * 8;
		}
		break;
	case 18: case 19: case 22: {
		uint8_t ol;

		if (kcur_u8(&c, &ol) || ol == 0 || ol == 255)
			return 0;
		a = kcur_take(&c, ol);
		b = mpi(&c, &l2);
		if (algo == 18) {	/* ECDH KDF parameters */
			uint8_t kl;

			if (kcur_u8(&c, &kl) || !kcur_take(&c, kl))
				return 0;
		}
		if (a && b) {
			/* mpi() stripped nothing here: q starts 0x40 or 0x04 */
			pk = ecc_pub(a, ol, b, l2);
		}
		break;
	}
	case 25: case 26: case 27: case 28: {
		/* RFC 9580 native X25519, X448, Ed25519, Ed448 in a v4 key */
		static const uint8_t klen[4] = { 32, 56, 32, 57 };
		uint8_t usage2;

		if (!kcur_take(&c, klen[algo - 25]) || kcur_u8(&c, &usage2) ||
		    c.len - c.off < klen[algo - 25])
			return 0;
		snprintf(ki->reason, sizeof(ki->reason),
			 "OpenPGP v4 key of algorithm %u: not supported", algo);
		return DSP_KEY_UNDECODED;
	}
	default:
		return 0;
	}
	pubend = c.off;
	if (c.bad || kcur_u8(&c, &usage)) {
		EVP_PKEY_free(pk);
		return 0;
	}
	ki->encrypted = usage != 0;
	if (pk) {
		dsp_keys_from_pkey(pk, ki);
		EVP_PKEY_free(pk);
	} else if (!ki->algorithm[0]) {
		snprintf(ki->algorithm, sizeof(ki->algorithm), "pgp-%u", algo);
	}
	{
		/* v4 fingerprint: SHA-1 over 0x99, two-byte length, public body */
		size_t pl = pubend - pubstart;
		uint8_t pre[3] = { 0x99, (uint8_t)(pl >> 8), (uint8_t)pl }, md[20];
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		static const char hx[] = "0123456789ABCDEF";

		if (m && pl < 65536 && EVP_DigestInit_ex(m, EVP_sha1(), NULL) &&
		    EVP_DigestUpdate(m, pre, 3) && EVP_DigestUpdate(m, p + pubstart, pl) &&
		    EVP_DigestFinal_ex(m, md, NULL)) {
			for (int i = 0; i < 20; i++) {
				ki->pgp_fingerprint[2 * i] = hx[md[i] >> 4];
				ki->pgp_fingerprint[2 * i + 1] = hx[md[i] & 15];
			}
			ki->pgp_fingerprint[40] = '\0';
		}
		EVP_MD_CTX_free(m);
	}
	return 1;
}

/*
 * Find "(name VALUE" in a GnuPG S-expression, advanced (#hex#, tokens) or
 * canonical (len:bytes) form. Copies the value to out; returns its length
 * or -1.
 */
static long sx_get(const char *t, size_t n, const char *name, uint8_t *out, size_t cap)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < n; i++) {
		size_t j = i + 1, len = 0, o = 0;

		if (t[i] != '(')
			continue;
		while (j < n && (t[j] == ' ' || t[j] == '\n' || t[j] == '\t' || t[j] == '\r'))
			j++;
		if (j < n && t[j] >= '0' && t[j] <= '9') {
			while (j < n && t[j] >= '0' && t[j] <= '9' && len < 100000)
				len = len * 10 + (size_t)(t[j++] - '0');
			if (j >= n || t[j] != ':' || len != nl || n - j - 1 < len ||
			    memcmp(t + j + 1, name, nl))
				continue;
			j += 1 + nl;
		} else {
			if (n - j < nl || memcmp(t + j, name, nl) || j + nl >= n ||
			    !(t[j + nl] == ' ' || t[j + nl] == '\n' || t[j + nl] == '\t' ||
			      t[j + nl] == '#' || t[j + nl] == '\r'))
				continue;
			j += nl;
		}
		while (j < n && (t[j] == ' ' || t[j] == '\n' || t[j] == '\t' || t[j] == '\r'))
			j++;
		if (j >= n)
			return -1;
		if (t[j] == '#') {
			int hi = -1;

			for (j++; j < n && t[j] != '#'; j++) {
				int v;

				if (t[j] >= '0' && t[j] <= '9')
					v = t[j] - '0';
				else if (t[j] >= 'A' && t[j] <= 'F')
					v = t[j] - 'A' + 10;
				else if (t[j] >= 'a' && t[j] <= 'f')
					v = t[j] - 'a' + 10;
				else
					continue;	/* line breaks inside the value */
				if (hi < 0) {
					hi = v;
				} else {
					if (o >= cap)
						return -1;
					out[o++] = (uint8_t)(hi << 4 | v);
					hi = -1;
				}
			}
			return (long)o;
		}
		if (t[j] >= '0' && t[j] <= '9') {
			len = 0;
			while (j < n && t[j] >= '0' && t[j] <= '9' && len < 100000)
				len = len * 10 + (size_t)(t[j++] - '0');
			if (j >= n || t[j] != ':' || n - j - 1 < len || len > cap)
				return -1;
			memcpy(out, t + j + 1, len);
			return (long)len;
		}
		while (j < n && t[j] != ')' && o < cap) {
			if (t[j] != '"')
				out[o++] = (uint8_t)t[j];
			j++;
		}
		while (o && (out[o - 1] == ' ' || out[o - 1] == '\n'))
			o--;
		return (long)o;
	}
	return -1;
}

static int has_head(const char *t, size_t n, const char *adv, const char *canon)
{
	return memmem(t, n, adv, strlen(adv)) || memmem(t, n, canon, strlen(canon));
}

int dsp_keys_gnupg(const char *t, size_t n, struct dsp_key_info *ki)
{
	uint8_t a[1100], b[1100], cv[64];
	long al, bl, cl;
	EVP_PKEY *pk = NULL;

	if (has_head(t, n, "(shadowed-private-key", "(20:shadowed-private-key"))
		return 0;	/* a stub: the secret is on a smartcard */
	if (has_head(t, n, "(protected-private-key", "(21:protected-private-key"))
		ki->encrypted = 1;
	else if (has_head(t, n, "(private-key", "(11:private-key"))
		ki->encrypted = 0;
	else
		return 0;
	if ((memmem(t, n, "(rsa", 4) || memmem(t, n, "3:rsa", 5)) &&
	    (al = sx_get(t, n, "n", a, sizeof(a))) > 0 &&
	    (bl = sx_get(t, n, "e", b, sizeof(b))) > 0) {
		pk = dsp_keys_rsa_pub(a, (size_t)al, b, (size_t)bl);
	} else if ((cl = sx_get(t, n, "curve", cv, sizeof(cv) - 1)) > 0 &&
		   (al = sx_get(t, n, "q", a, sizeof(a))) > 0) {
		cv[cl] = '\0';
		if (!strcmp((char *)cv, "Ed25519") && al == 33 && a[0] == 0x40)
			pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a + 1, 32);
		else if ((!strcmp((char *)cv, "Curve25519") || !strcmp((char *)cv, "cv25519")) &&
			 al == 33 && a[0] == 0x40)
			pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, a + 1, 32);
		else if (!strcmp((char *)cv, "NIST P-256") || !strcmp((char *)cv, "nistp256"))
			pk = dsp_keys_ec_pub("prime256v1", a, (size_t)al);
		else if (!strcmp((char *)cv, "NIST P-384") || !strcmp((char *)cv, "nistp384"))
			pk = dsp_keys_ec_pub("secp384r1", a, (size_t)al);
		else if (!strcmp((char *)cv, "NIST P-521") || !strcmp((char *)cv, "nistp521"))
			pk = dsp_keys_ec_pub("secp521r1", a, (size_t)al);
		else
			snprintf(ki->algorithm, sizeof(ki->algorithm), "ecc-%.40s", (char *)cv);
	} else if (memmem(t, n, "(dsa", 4) || memmem(t, n, "3:dsa", 5)) {
		snprintf(ki->algorithm, sizeof(ki->algorithm), "dsa");
	} else if (memmem(t, n, "(elg", 4) || memmem(t, n, "3:elg", 5)) {
		snprintf(ki->algorithm, sizeof(ki->algorithm), "elgamal");
	}
	if (pk) {
		dsp_keys_from_pkey(pk, ki);
		EVP_PKEY_free(pk);
	}
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return 1;
}
