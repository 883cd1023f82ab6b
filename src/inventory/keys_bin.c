/* SPDX-License-Identifier: MIT */
/* keys_bin.c - binary key stores: Java JKS/JCEKS, Kerberos keytabs, LUKS header backups */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/x509.h>
#include <openssl/err.h>
#include <json-c/json.h>

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

int dsp_keys_luks(const uint8_t *p, size_t n, struct dsp_key_info *ki)
{
	uint16_t ver;

	if (n < 512 || (memcmp(p, "LUKS\xba\xbe", 6) && memcmp(p, "SKUL\xba\xbe", 6)))
		return 0;
	ver = (uint16_t)(p[6] << 8 | p[7]);
	if ((ver != 1 && ver != 2) || (p[0] == 'S' && ver != 2))
		return 0;	/* only LUKS2 has a secondary header (SKUL) */
	/* the UUID sits at byte 168 in both versions */
	if (!printable(p + 168, strnlen((const char *)p + 168, 40)))
		return 0;
	snprintf(ki->luks_uuid, sizeof(ki->luks_uuid), "%.*s", 40, (const char *)p + 168);
	ki->encrypted = 1;
	if (ver == 1) {
		const char *cn = (const char *)p + 8, *cm = (const char *)p + 40;
		uint32_t kb = (uint32_t)p[108] << 24 | (uint32_t)p[109] << 16 |
			      (uint32_t)p[110] << 8 | p[111];

		if (printable(p + 8, strnlen(cn, 32)) && printable(p + 40, strnlen(cm, 32)))
			snprintf(ki->algorithm, sizeof(ki->algorithm), "%.*s-%.*s",
				 (int)strnlen(cn, 32), cn, (int)strnlen(cm, 32), cm);
		if (kb <= 512)
			ki->bits = (int)kb * 8;
	} else if (n > 4096) {
		struct json_tokener *tok = json_tokener_new();
		size_t jl = strnlen((const char *)p + 4096, n - 4096);
		struct json_object *j = tok ? json_tokener_parse_ex(tok, (const char *)p + 4096,
								    (int)jl) : NULL;
		struct json_object *o, *s0, *ks;

		if (j && json_object_object_get_ex(j, "segments", &o) &&
		    json_object_object_get_ex(o, "0", &s0) &&
		    json_object_object_get_ex(s0, "encryption", &o) &&
		    json_object_is_type(o, json_type_string))
			snprintf(ki->algorithm, sizeof(ki->algorithm), "%s", json_object_get_string(o));
		if (j && json_object_object_get_ex(j, "keyslots", &ks) &&
		    json_object_is_type(ks, json_type_object)) {
			json_object_object_foreach(ks, k, v) {
				(void)k;
				if (json_object_object_get_ex(v, "key_size", &o)) {
					int64_t b = json_object_get_int64(o);

					if (b > 0 && b <= 512)
						ki->bits = (int)b * 8;
					break;
				}
			}
		}
		json_object_put(j);
		if (tok)
			json_tokener_free(tok);
	}
	return 1;
}
