/* SPDX-License-Identifier: MIT */
/* pattern.c - resolve passes and generate their bytes at any device offset */
#include "dispose/pattern.h"
#include "dispose/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "aesctr.h"

/* Input for the keystream: small enough to stay in cache while encrypting. */
#define ZCHUNK 65536
static const uint8_t zeros[ZCHUNK];

#ifdef DSP_TEST_HOOKS
/* tests run the EVP path (what a CPU without VAES runs) by setting this */
bool dsp_pattern_test_no_vaes;
#define VAES_OK() (!dsp_pattern_test_no_vaes && dsp_aesctr_available())
#else
#define VAES_OK() dsp_aesctr_available()
#endif

struct dsp_pattern_gen {
	struct dsp_pattern p;
	EVP_CIPHER_CTX *ctx;
	struct dsp_aesctr *fast;	/* VAES keystream, or NULL: EVP */
};

int dsp_pattern_resolve(const struct dsp_method *m, unsigned i,
			const struct dsp_pattern *prev, struct dsp_pattern *p)
{
	const struct dsp_pass *ps;

	if (!m || i >= m->npasses)
		return -EINVAL;
	ps = &m->passes[i];
	memset(p, 0, sizeof(*p));
	switch (ps->kind) {
	case DSP_PASS_PATTERN:
		if (ps->pattern_len == 0 || ps->pattern_len > DSP_PATTERN_MAX)
			return -EINVAL;
		p->kind = DSP_PASS_PATTERN;
		memcpy(p->bytes, ps->pattern, ps->pattern_len);
		p->len = ps->pattern_len;
		return 0;
	case DSP_PASS_RANDOM:
		p->kind = DSP_PASS_RANDOM;
		if (RAND_bytes(p->key, sizeof(p->key)) != 1 ||
		    RAND_bytes(p->iv, sizeof(p->iv)) != 1)
			return -EIO;
		return 0;
	case DSP_PASS_RANDOM_BYTE:
		p->kind = DSP_PASS_PATTERN;
		p->len = 1;
		return RAND_bytes(p->bytes, 1) == 1 ? 0 : -EIO;
	case DSP_PASS_COMPLEMENT:
		/* a complement of a keystream is not a defined pass */
		if (!prev || prev->kind != DSP_PASS_PATTERN || prev->len == 0)
			return -EINVAL;
		p->kind = DSP_PASS_PATTERN;
		p->len = prev->len;
		for (size_t k = 0; k < prev->len; k++)
			p->bytes[k] = (uint8_t)~prev->bytes[k];
		return 0;
	}
	return -EINVAL;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int unhex(const char *s, uint8_t *b, size_t max, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 || len / 2 > max)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
			return -1;
		b[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

struct json_object *dsp_pattern_to_json(const struct dsp_pattern *p)
{
	struct json_object *o = json_object_new_object();
	char buf[2 * DSP_PATTERN_MAX + 1];

	if (!o)
		return NULL;
	if (p->kind == DSP_PASS_RANDOM) {
		json_object_object_add(o, "kind", json_object_new_string("random"));
		json_object_object_add(o, "cipher", json_object_new_string("aes-128-ctr"));
		hex(p->key, sizeof(p->key), buf);
		json_object_object_add(o, "key", json_object_new_string(buf));
		hex(p->iv, sizeof(p->iv), buf);
		json_object_object_add(o, "iv", json_object_new_string(buf));
		json_object_object_add(o, "counter",
				       json_object_new_string("iv + offset/16, big-endian"));
	} else {
		json_object_object_add(o, "kind", json_object_new_string("pattern"));
		hex(p->bytes, p->len, buf);
		json_object_object_add(o, "bytes", json_object_new_string(buf));
		json_object_object_add(o, "phase",
				       json_object_new_string("byte at offset o = bytes[o mod len]"));
	}
	return o;
}

int dsp_pattern_from_json(struct json_object *o, struct dsp_pattern *p)
{
	struct json_object *k, *v;
	const char *kind;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (!o || !json_object_object_get_ex(o, "kind", &k) ||
	    !json_object_is_type(k, json_type_string))
		return DSP_INVALID;
	kind = json_object_get_string(k);
	if (!strcmp(kind, "random")) {
		p->kind = DSP_PASS_RANDOM;
		if (!json_object_object_get_ex(o, "key", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    unhex(json_object_get_string(v), p->key, sizeof(p->key), &n) ||
		    n != sizeof(p->key))
			return DSP_INVALID;
		if (!json_object_object_get_ex(o, "iv", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    unhex(json_object_get_string(v), p->iv, sizeof(p->iv), &n) ||
		    n != sizeof(p->iv))
			return DSP_INVALID;
		return 0;
	}
	if (!strcmp(kind, "pattern")) {
		p->kind = DSP_PASS_PATTERN;
		if (!json_object_object_get_ex(o, "bytes", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    unhex(json_object_get_string(v), p->bytes, sizeof(p->bytes), &n) ||
		    n == 0)
			return DSP_INVALID;
		p->len = n;
		return 0;
	}
	return DSP_INVALID;
}

int dsp_pattern_gen_new(const struct dsp_pattern *p, struct dsp_pattern_gen **out)
{
	struct dsp_pattern_gen *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->p = *p;
	if (p->kind == DSP_PASS_RANDOM && VAES_OK() &&
	    (g->fast = malloc(sizeof(*g->fast)))) {
		dsp_aesctr_init(g->fast, p->key);
	} else if (p->kind == DSP_PASS_RANDOM) {
		g->ctx = EVP_CIPHER_CTX_new();
		if (!g->ctx || EVP_EncryptInit_ex(g->ctx, EVP_aes_128_ctr(), NULL,
						  p->key, p->iv) != 1) {
			dsp_pattern_gen_free(g);
			return -EIO;
		}
	} else if (p->len == 0 || p->len > DSP_PATTERN_MAX) {
		free(g);
		return -EINVAL;
	}
	*out = g;
	return 0;
}

/* 128-bit big-endian iv + blocks: the counter block for offset blocks*16. */
static void ctr_at(const uint8_t iv[16], uint64_t blocks, uint8_t out[16])
{
	unsigned carry = 0;

	for (int i = 15; i >= 0; i--) {
		unsigned add = (unsigned)(blocks & 0xff) + carry + iv[i];

		out[i] = (uint8_t)add;
		carry = add >> 8;
		blocks >>= 8;
	}
}

static int crypt_zeros(EVP_CIPHER_CTX *ctx, uint8_t *buf, size_t len)
{
	while (len) {
		int n = (int)(len < ZCHUNK ? len : ZCHUNK), outl = 0;

		if (EVP_EncryptUpdate(ctx, buf, &outl, zeros, n) != 1 || outl != n)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The VAES keystream at any offset: whole blocks straight into buf, a
 * partial first or last block through blk. in NULL: the keystream itself;
 * else buf = in ^ keystream. With eq, nothing is written: *eq says whether
 * in is exactly the keystream.
 */
static void fast_run(struct dsp_pattern_gen *g, uint64_t off, const uint8_t *in, uint8_t *buf,
		     size_t len, bool *eq)
{
	uint8_t ctr[16], blk[16];
	size_t skip = (size_t)(off % 16), n;

	ctr_at(g->p.iv, off / 16, ctr);
	if (eq)
		*eq = true;
	if (skip || len < 16) {
		n = 16 - skip < len ? 16 - skip : len;
		dsp_aesctr_xor(g->fast, ctr, NULL, blk, 1);
		for (size_t k = 0; k < n; k++) {
			uint8_t v = blk[skip + k] ^ (in ? in[k] : 0);

			if (eq)
				*eq = *eq && !v;
			else
				buf[k] = v;
		}
		if (in)
			in += n;
		if (buf)
			buf += n;
		len -= n;
		off += n;
		ctr_at(g->p.iv, off / 16, ctr);
	}
	n = len / 16;
	if (n && eq)
		*eq = *eq && dsp_aesctr_equal(g->fast, ctr, in, n);
	else if (n)
		dsp_aesctr_xor(g->fast, ctr, in, buf, n);
	if (len % 16) {
		size_t w = n * 16;

		ctr_at(g->p.iv, (off + w) / 16, ctr);
		dsp_aesctr_xor(g->fast, ctr, NULL, blk, 1);
		for (size_t k = 0; k < len % 16; k++) {
			uint8_t v = blk[k] ^ (in ? in[w + k] : 0);

			if (eq)
				*eq = *eq && !v;
			else
				buf[w + k] = v;
		}
	}
	OPENSSL_cleanse(blk, sizeof(blk));
}

int dsp_pattern_fill(struct dsp_pattern_gen *g, uint64_t off, uint8_t *buf, size_t len)
{
	if (!len)
		return 0;
	if (g->fast) {
		fast_run(g, off, NULL, buf, len, NULL);
		return 0;
	}
	if (g->p.kind == DSP_PASS_RANDOM) {
		uint8_t ctr[16], blk[16];
		size_t skip = (size_t)(off % 16);

		ctr_at(g->p.iv, off / 16, ctr);
		if (EVP_EncryptInit_ex(g->ctx, NULL, NULL, NULL, ctr) != 1)
			return -EIO;
		if (skip) {
			size_t n = 16 - skip < len ? 16 - skip : len;

			if (crypt_zeros(g->ctx, blk, 16))
				return -EIO;
			memcpy(buf, blk + skip, n);
			OPENSSL_cleanse(blk, sizeof(blk));
			buf += n;
			len -= n;
		}
		return crypt_zeros(g->ctx, buf, len);
	}
	if (g->p.len == 1) {
		memset(buf, g->p.bytes[0], len);
		return 0;
	}
	/* device-continuous: seed one period at the right phase, then double */
	{
		size_t plen = g->p.len, ph = (size_t)(off % plen), have;

		have = len < plen ? len : plen;
		for (size_t i = 0; i < have; i++)
			buf[i] = g->p.bytes[(ph + i) % plen];
		while (have < len) {
			size_t n = have < len - have ? have : len - have;

			memcpy(buf + have, buf, n);
			have += n;
		}
	}
	return 0;
}

int dsp_pattern_xor(struct dsp_pattern_gen *g, uint64_t off, uint8_t *buf, size_t len)
{
	if (!len)
		return 0;
	if (g->fast) {
		fast_run(g, off, buf, buf, len, NULL);
		return 0;
	}
	if (g->p.kind == DSP_PASS_RANDOM) {
		uint8_t ctr[16], blk[16] = { 0 };
		size_t skip = (size_t)(off % 16);
		int outl;

		ctr_at(g->p.iv, off / 16, ctr);
		if (EVP_EncryptInit_ex(g->ctx, NULL, NULL, NULL, ctr) != 1)
			return -EIO;
		if (skip) {
			size_t n = 16 - skip < len ? 16 - skip : len;

			if (crypt_zeros(g->ctx, blk, 16))
				return -EIO;
			for (size_t k = 0; k < n; k++)
				buf[k] ^= blk[skip + k];
			buf += n;
			len -= n;
		}
		/* CTR in place: buf ^ keystream */
		while (len) {
			int n = len < (1u << 30) ? (int)len : 1 << 30;

			if (EVP_EncryptUpdate(g->ctx, buf, &outl, buf, n) != 1 || outl != n)
				return -EIO;
			buf += n;
			len -= (size_t)n;
		}
		return 0;
	}
	for (size_t k = 0, ph = (size_t)(off % g->p.len); k < len; k++) {
		buf[k] ^= g->p.bytes[ph];
		if (++ph == g->p.len)
			ph = 0;
	}
	return 0;
}

int dsp_pattern_equal(struct dsp_pattern_gen *g, uint64_t off, const uint8_t *buf, size_t len)
{
	uint8_t tmp[4096];
	bool eq;
	int r;

	if (g->fast) {
		fast_run(g, off, buf, NULL, len, &eq);
		return eq;
	}
	for (size_t k = 0; k < len; k += sizeof(tmp)) {
		size_t n = len - k < sizeof(tmp) ? len - k : sizeof(tmp);

		r = dsp_pattern_fill(g, off + k, tmp, n);
		if (r < 0)
			return r;
		if (memcmp(tmp, buf + k, n))
			return 0;
	}
	return 1;
}

bool dsp_pattern_fast(const struct dsp_pattern_gen *g)
{
	return g->fast != NULL;
}

void dsp_pattern_gen_free(struct dsp_pattern_gen *g)
{
	if (!g)
		return;
	if (g->fast)
		OPENSSL_cleanse(g->fast, sizeof(*g->fast));
	free(g->fast);
	EVP_CIPHER_CTX_free(g->ctx);
	OPENSSL_cleanse(&g->p, sizeof(g->p));
	free(g);
}
