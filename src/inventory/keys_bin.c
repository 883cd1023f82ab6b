/* SPDX-License-Identifier: MIT */
/* keys_bin.c - binary key stores: Java JKS/JCEKS, Kerberos keytabs, LUKS header backups */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/x509.h>
#include <openssl/err.h>
#include <json-c/json.h>

#include "dispose/luks.h"
#include "keys_int.h"

static int skip_utf(struct kcur *c)
{
	uint16_t l;

	return kcur_be16(c, &l) || !kcur_take(c, l) ? -1 : 0;
}

/* Certificate bytes of a JKS certificate slot. */
static const uint8_t *jks_cert(struct kcur *c, uint32_t ver, uint32_t *len)
{
	if (ver == 2 && skip_utf(c))
		return NULL;
	if (kcur_be32(c, len))
		return NULL;
	return kcur_take(c, *len);
}

int dsp_keys_jks(const uint8_t *p, size_t n, struct dsp_key_info *ki)
{
	struct kcur c = { p, n, 0, 0 };
	uint32_t magic, ver, count, tag, l, chain;
	const uint8_t *cert = NULL;
	uint32_t certlen = 0;
	int found = 0, whole = 0;

	if (kcur_be32(&c, &magic) || kcur_be32(&c, &ver) || kcur_be32(&c, &count) ||
	    (magic != 0xfeedfeed && magic != 0xcececece) || (ver != 1 && ver != 2))
		return 0;
	for (uint32_t i = 0; i < count && !c.bad; i++) {
		if (kcur_be32(&c, &tag) || skip_utf(&c) || !kcur_take(&c, 8))
			break;
		if (tag == 1) {
			if (kcur_be32(&c, &l) || !kcur_take(&c, l) || kcur_be32(&c, &chain))
				break;
			found = 1;
			for (uint32_t k = 0; k < chain && !c.bad; k++) {
				const uint8_t *x = jks_cert(&c, ver, &l);

				if (x && k == 0 && !cert) {
					cert = x;
					certlen = l;
				}
			}
		} else if (tag == 2) {
			if (!jks_cert(&c, ver, &l))
				break;
		} else if (tag == 3) {
			/* JCEKS sealed secret key: a Java serialised object, no length to skip */
			found = 1;
			if (!ki->algorithm[0])
				snprintf(ki->algorithm, sizeof(ki->algorithm), "secret");
			break;
		} else {
			break;
		}
		whole = i + 1 == count && !c.bad;
	}
	if (count == 0)
		whole = 1;
	if (!found && whole && !c.bad)
		return 0;	/* trusted certificates only: a truststore */
	if (!found)
		return DSP_KEY_UNDECODED;	/* cut short or corrupt: it may hold keys */
	ki->encrypted = 1;
	if (cert) {
		const unsigned char *q = cert;
		X509 *x = d2i_X509(NULL, &q, certlen);
		EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;

		if (pk) {
			ki->algorithm[0] = '\0';
			dsp_keys_from_pkey(pk, ki);
		}
		X509_free(x);
		ERR_clear_error();
	}
	return 1;
}

static const char *enctype_name(unsigned t)
{
	switch (t) {
	case 1: return "des-cbc-crc";
	case 3: return "des-cbc-md5";
	case 16: return "des3-cbc-sha1";
	case 17: return "aes128-cts-hmac-sha1-96";
	case 18: return "aes256-cts-hmac-sha1-96";
	case 19: return "aes128-cts-hmac-sha256-128";
	case 20: return "aes256-cts-hmac-sha384-192";
	case 23: return "rc4-hmac";
	case 24: return "rc4-hmac-exp";
	case 25: return "camellia128-cts-cmac";
	case 26: return "camellia256-cts-cmac";
	default: return NULL;
	}
}

static int printable(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Parse one keytab entry body; fills ki on the first good one. */
static int keytab_entry(const uint8_t *p, size_t n, int v1, struct dsp_key_info *ki)
{
	struct kcur c = { p, n, 0, 0 };
	uint16_t ncomp, rl, cl, et, kl;
	const uint8_t *realm, *comp;
	char princ[256] = "";
	size_t pl = 0;
	uint8_t vno;
	uint32_t nt, ts;
	const char *en;

	if (kcur_be16(&c, &ncomp) || kcur_be16(&c, &rl) || rl == 0 || rl > 255)
		return 0;
	if (v1 && ncomp > 0)
		ncomp--;	/* v1 counts the realm */
	if (ncomp == 0 || ncomp > 8)
		return 0;
	realm = kcur_take(&c, rl);
	if (!realm || !printable(realm, rl))
		return 0;
	for (uint16_t i = 0; i < ncomp; i++) {
		if (kcur_be16(&c, &cl) || cl == 0 || !(comp = kcur_take(&c, cl)) ||
		    !printable(comp, cl))
			return 0;
		if (pl + cl + 2 < sizeof(princ)) {
			if (i)
				princ[pl++] = '/';
			memcpy(princ + pl, comp, cl);
			pl += cl;
		}
	}
	if ((!v1 && kcur_be32(&c, &nt)) || kcur_be32(&c, &ts) || kcur_u8(&c, &vno) ||
	    kcur_be16(&c, &et) || kcur_be16(&c, &kl) || kl == 0 || kl > 64 || !kcur_take(&c, kl))
		return 0;
	if (!ki->principal[0]) {
		snprintf(ki->principal, sizeof(ki->principal), "%.*s@%.*s", (int)pl, princ,
			 (int)rl, (const char *)realm);
		en = enctype_name(et);
		if (en)
			snprintf(ki->algorithm, sizeof(ki->algorithm), "%s", en);
		else
			snprintf(ki->algorithm, sizeof(ki->algorithm), "enctype-%u", et);
		ki->bits = kl * 8;
	}
	return 1;
}

int dsp_keys_keytab(const uint8_t *p, size_t n, int partial, struct dsp_key_info *ki)
{
	struct kcur c = { p, n, 2, 0 };
	int good = 0;

	if (n < 2 || p[0] != 5 || (p[1] != 1 && p[1] != 2))
		return 0;
	while (c.len - c.off >= 4) {
		uint32_t u;
		int32_t sz;
		const uint8_t *e;

		kcur_be32(&c, &u);
		sz = (int32_t)u;
		if (sz == 0)
			break;
		if (sz < 0) {		/* a hole left by a deleted entry */
			if (sz == INT32_MIN)
				return 0;
			if (!kcur_take(&c, (size_t)-(int64_t)sz)) {
				if (partial)
					break;
				return 0;
			}
			continue;
		}
		if (partial && c.len - c.off < (size_t)sz && good)
			break;	/* the rest of the file was not read */
		e = kcur_take(&c, (size_t)sz);
		if (!e || !keytab_entry(e, (size_t)sz, p[1] == 1, ki))
			return 0;
		good++;
	}
	if (!good)
		return 0;
	ki->encrypted = 0;
	return 1;
}

int dsp_keys_luks(int fd, struct dsp_key_info *ki)
{
	struct dsp_luks_info li;
	int r;

	/* libcryptsetup, not a hand parser: both LUKS2 copies, checksums, LUKS1 */
	r = dsp_luks_inspect_fd(fd, 0, &li);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(ki->reason, sizeof(ki->reason), "libcryptsetup finds no valid LUKS header");
		return 0;
	}
	if (!printable((const uint8_t *)li.uuid, strlen(li.uuid)) || !li.uuid[0])
		return 0;
	snprintf(ki->luks_uuid, sizeof(ki->luks_uuid), "%s", li.uuid);
	if (printable((const uint8_t *)li.cipher, strlen(li.cipher)))
		snprintf(ki->algorithm, sizeof(ki->algorithm), "%.47s", li.cipher);
	ki->bits = li.key_bits > 0 && li.key_bits <= 4096 ? li.key_bits : 0;
	ki->encrypted = 1;
	return 1;
}
