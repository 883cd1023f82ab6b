/* SPDX-License-Identifier: MIT */
/* test_pattern.c - pass resolution and the bytes a pass puts at any offset */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/pattern.h"

static const uint8_t key[16] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
};
/* near the 64-bit wrap so the 128-bit carry is exercised */
static const uint8_t iv[16] = {
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0,
};

/* Keystream computed independently: one EVP context from offset 0. */
static uint8_t *reference_stream(size_t n)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t *in = calloc(1, n), *out = malloc(n);
	int outl = 0;

	assert_non_null(ctx);
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out, &outl, in, (int)n), 1);
	assert_int_equal((size_t)outl, n);
	EVP_CIPHER_CTX_free(ctx);
	free(in);
	return out;
}

static struct dsp_pattern_gen *random_gen(void)
{
	struct dsp_pattern p = { .kind = DSP_PASS_RANDOM };
	struct dsp_pattern_gen *g;

	memcpy(p.key, key, 16);
	memcpy(p.iv, iv, 16);
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	return g;
}

static void test_pattern_fill_aes_ctr_vector(void **state)
{
	const uint64_t offs[] = { 0, 16, 17, 4096 + 5, 1000003 };
	size_t big = 1 << 21;
	uint8_t *ref = reference_stream(big);
	struct dsp_pattern_gen *g = random_gen();
	uint8_t buf[300];

	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(offs); i++) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(dsp_pattern_fill(g, offs[i], buf, sizeof(buf)), 0);
		assert_memory_equal(buf, ref + offs[i], sizeof(buf));
	}
	/* a 1-byte and a 15-byte fill inside one block */
	assert_int_equal(dsp_pattern_fill(g, 17, buf, 1), 0);
	assert_int_equal(buf[0], ref[17]);
	assert_int_equal(dsp_pattern_fill(g, 33, buf, 15), 0);
	assert_memory_equal(buf, ref + 33, 15);
	dsp_pattern_gen_free(g);
	free(ref);
}

/* pattern.c test hook: the EVP keystream, as on a CPU without VAES */
extern bool dsp_pattern_test_no_vaes;

static struct dsp_pattern_gen *gen_kiv(const uint8_t *k, const uint8_t *v, bool evp)
{
	struct dsp_pattern p = { .kind = DSP_PASS_RANDOM };
	struct dsp_pattern_gen *g;

	memcpy(p.key, k, 16);
	memcpy(p.iv, v, 16);
	dsp_pattern_test_no_vaes = evp;
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	dsp_pattern_test_no_vaes = false;
	return g;
}

/* NIST SP 800-38A F.5.1 (CTR-AES128.Encrypt): keystream = plaintext ^ ciphertext */
static void test_pattern_fill_sp800_38a_vector(void **state)
{
	static const uint8_t k[16] = {
		0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
		0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	};
	static const uint8_t v[16] = {
		0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
		0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
	};
	static const uint8_t pt[64] = {
		0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
		0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c, 0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
		0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11, 0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
		0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17, 0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10,
	};
	static const uint8_t ct[64] = {
		0x87, 0x4d, 0x61, 0x91, 0xb6, 0x20, 0xe3, 0x26, 0x1b, 0xef, 0x68, 0x64, 0x99, 0x0d, 0xb6, 0xce,
		0x98, 0x06, 0xf6, 0x6b, 0x79, 0x70, 0xfd, 0xff, 0x86, 0x17, 0x18, 0x7b, 0xb9, 0xff, 0xfd, 0xff,
		0x5a, 0xe4, 0xdf, 0x3e, 0xdb, 0xd5, 0xd3, 0x5e, 0x5b, 0x4f, 0x09, 0x02, 0x0d, 0xb0, 0x3e, 0xab,
		0x1e, 0x03, 0x1d, 0xda, 0x2f, 0xbe, 0x03, 0xd1, 0x79, 0x21, 0x70, 0xa0, 0xf3, 0x00, 0x9c, 0xee,
	};

	(void)state;
	for (int evp = 0; evp < 2; evp++) {
		struct dsp_pattern_gen *g = gen_kiv(k, v, evp);
		uint8_t buf[64];

		memcpy(buf, pt, sizeof(buf));
		assert_int_equal(dsp_pattern_xor(g, 0, buf, sizeof(buf)), 0);
		assert_memory_equal(buf, ct, sizeof(ct));
		/* an offset inside the second block */
		memcpy(buf, pt + 21, 40);
		assert_int_equal(dsp_pattern_xor(g, 21, buf, 40), 0);
		assert_memory_equal(buf, ct + 21, 40);
		dsp_pattern_gen_free(g);
	}
}

/*
 * The VAES generator gives EVP's bytes at every offset and length,
 * across the carry out of the low 64 counter bits and the wrap at 2^128.
 */
static void test_pattern_fill_vaes_matches_evp(void **state)
{
	static const uint8_t ivs[3][16] = {
		{ 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x03 },
		{ 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		  0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 },
	};
	const uint64_t offs[] = { 0, 1, 15, 16, 17, 255, 512, 4093, 65536 + 9, 1000003 };
	const size_t lens[] = { 1, 7, 16, 31, 511, 512, 513, 4096 + 5, 70001 };
	size_t max = 1000003 + 70001;
	uint8_t *a = malloc(max), *b = malloc(max);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (size_t i = 0; i < DSP_ARRAY_SIZE(ivs); i++) {
		struct dsp_pattern_gen *fast = gen_kiv(key, ivs[i], false);
		struct dsp_pattern_gen *evp = gen_kiv(key, ivs[i], true);

		for (size_t o = 0; o < DSP_ARRAY_SIZE(offs); o++)
			for (size_t l = 0; l < DSP_ARRAY_SIZE(lens); l++) {
				memset(a, 0x5a, lens[l]);
				memset(b, 0xa5, lens[l]);
				assert_int_equal(dsp_pattern_fill(fast, offs[o], a, lens[l]), 0);
				assert_int_equal(dsp_pattern_fill(evp, offs[o], b, lens[l]), 0);
				assert_memory_equal(a, b, lens[l]);
				assert_int_equal(dsp_pattern_xor(fast, offs[o], a, lens[l]), 0);
				for (size_t k = 0; k < lens[l]; k++)
					assert_int_equal(a[k], 0);
			}
		dsp_pattern_gen_free(fast);
		dsp_pattern_gen_free(evp);
	}
	free(a);
	free(b);
}

/* equal: 1 only for the exact bytes; any one changed byte, anywhere, is 0 */
static void test_pattern_equal_exact(void **state)
{
	const uint64_t offs[] = { 0, 5, 16, 1000003 };
	const size_t lens[] = { 1, 15, 16, 100, 4096, 65536 + 3 };
	uint8_t *buf = malloc(65536 + 3);

	(void)state;
	assert_non_null(buf);
	for (int evp = 0; evp < 2; evp++) {
		struct dsp_pattern_gen *g = gen_kiv(key, iv, evp);

		for (size_t o = 0; o < DSP_ARRAY_SIZE(offs); o++)
			for (size_t l = 0; l < DSP_ARRAY_SIZE(lens); l++) {
				size_t n = lens[l];
				size_t at[] = { 0, n / 2, n - 1 };

				assert_int_equal(dsp_pattern_fill(g, offs[o], buf, n), 0);
				assert_int_equal(dsp_pattern_equal(g, offs[o], buf, n), 1);
				/* the same bytes one offset off are not the pattern */
				assert_int_equal(dsp_pattern_equal(g, offs[o] + 1, buf, n), 0);
				for (size_t k = 0; k < DSP_ARRAY_SIZE(at); k++) {
					buf[at[k]] ^= 0x01;
					assert_int_equal(dsp_pattern_equal(g, offs[o], buf, n), 0);
					buf[at[k]] ^= 0x01;
				}
			}
		dsp_pattern_gen_free(g);
	}
	free(buf);
}

static void test_pattern_fill_random_access_consistent(void **state)
{
	size_t big = 3 << 20;
	uint8_t *all = malloc(big), *part = malloc(big);
	struct dsp_pattern_gen *g = random_gen();
	uint64_t off = 0;

	(void)state;
	assert_int_equal(dsp_pattern_fill(g, 0, all, big), 0);
	/* uneven slices in an odd order */
	while (off < big) {
		size_t n = (size_t)(off * 7 + 12345) % 200000 + 1;

		if (n > big - off)
			n = big - off;
		assert_int_equal(dsp_pattern_fill(g, off, part + off, n), 0);
		off += n;
	}
	assert_memory_equal(all, part, big);
	dsp_pattern_gen_free(g);
	free(all);
	free(part);
}

static void test_pattern_fill_gutmann_continuous(void **state)
{
	struct dsp_pattern p = { .kind = DSP_PASS_PATTERN, .bytes = { 0x92, 0x49, 0x24 }, .len = 3 };
	struct dsp_pattern_gen *g;
	uint8_t buf[4096], whole[8192];

	(void)state;
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	assert_int_equal(dsp_pattern_fill(g, 0, buf, 6), 0);
	assert_memory_equal(buf, ((uint8_t[]){ 0x92, 0x49, 0x24, 0x92, 0x49, 0x24 }), 6);
	assert_int_equal(dsp_pattern_fill(g, 512, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, ((uint8_t[]){ 0x24, 0x92, 0x49, 0x24 }), 4);
	assert_int_equal(dsp_pattern_fill(g, 0, whole, sizeof(whole)), 0);
	assert_memory_equal(buf, whole + 512, sizeof(buf));
	for (size_t i = 0; i < sizeof(whole); i++)
		assert_int_equal(whole[i], p.bytes[i % 3]);
	dsp_pattern_gen_free(g);
}

static void test_pattern_fill_constant(void **state)
{
	struct dsp_pattern p = { .kind = DSP_PASS_PATTERN, .bytes = { 0xaa }, .len = 1 };
	struct dsp_pattern_gen *g;
	uint8_t buf[1000];

	(void)state;
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	assert_int_equal(dsp_pattern_fill(g, 12345, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xaa);
	dsp_pattern_gen_free(g);
}

static void test_pattern_resolve_kinds(void **state)
{
	struct dsp_pass passes[4] = {
		{ .kind = DSP_PASS_RANDOM_BYTE },
		{ .kind = DSP_PASS_COMPLEMENT },
		{ .kind = DSP_PASS_RANDOM },
		{ .kind = DSP_PASS_PATTERN, .pattern = { 1, 2 }, .pattern_len = 2 },
	};
	struct dsp_method m = { .name = "t", .npasses = 4, .passes = passes };
	struct dsp_pattern r[4], r2;

	(void)state;
	assert_int_equal(dsp_pattern_resolve(&m, 0, NULL, &r[0]), 0);
	assert_int_equal(r[0].kind, DSP_PASS_PATTERN);
	assert_int_equal(r[0].len, 1);
	assert_int_equal(dsp_pattern_resolve(&m, 1, &r[0], &r[1]), 0);
	assert_int_equal(r[1].bytes[0], (uint8_t)~r[0].bytes[0]);
	assert_int_equal(dsp_pattern_resolve(&m, 2, &r[1], &r[2]), 0);
	assert_int_equal(r[2].kind, DSP_PASS_RANDOM);
	/* fresh key per pass */
	assert_int_equal(dsp_pattern_resolve(&m, 2, &r[1], &r2), 0);
	assert_memory_not_equal(r[2].key, r2.key, 16);
	assert_int_equal(dsp_pattern_resolve(&m, 3, &r[2], &r[3]), 0);
	assert_int_equal(r[3].len, 2);
	/* complement of a keystream is refused */
	assert_int_equal(dsp_pattern_resolve(&m, 1, &r[2], &r2), -EINVAL);
	assert_int_equal(dsp_pattern_resolve(&m, 4, NULL, &r2), -EINVAL);
}

static void test_pattern_json_roundtrip(void **state)
{
	struct dsp_pattern a = { .kind = DSP_PASS_RANDOM }, b;
	struct dsp_pattern c = { .kind = DSP_PASS_PATTERN, .bytes = { 0xdb, 0x6d, 0xb6 }, .len = 3 };
	struct json_object *o;

	(void)state;
	memcpy(a.key, key, 16);
	memcpy(a.iv, iv, 16);
	o = dsp_pattern_to_json(&a);
	assert_int_equal(dsp_pattern_from_json(o, &b), 0);
	assert_int_equal(b.kind, DSP_PASS_RANDOM);
	assert_memory_equal(b.key, key, 16);
	assert_memory_equal(b.iv, iv, 16);
	json_object_put(o);
	o = dsp_pattern_to_json(&c);
	assert_int_equal(dsp_pattern_from_json(o, &b), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.bytes, c.bytes, 3);
	json_object_put(o);
	o = json_tokener_parse("{\"kind\":\"random\",\"key\":\"zz\",\"iv\":\"00\"}");
	assert_int_equal(dsp_pattern_from_json(o, &b), DSP_INVALID);
	json_object_put(o);
	o = json_tokener_parse("{\"kind\":\"pattern\",\"bytes\":\"\"}");
	assert_int_equal(dsp_pattern_from_json(o, &b), DSP_INVALID);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_fill_aes_ctr_vector),
		cmocka_unit_test(test_pattern_fill_sp800_38a_vector),
		cmocka_unit_test(test_pattern_fill_vaes_matches_evp),
		cmocka_unit_test(test_pattern_equal_exact),
		cmocka_unit_test(test_pattern_fill_random_access_consistent),
		cmocka_unit_test(test_pattern_fill_gutmann_continuous),
		cmocka_unit_test(test_pattern_fill_constant),
		cmocka_unit_test(test_pattern_resolve_kinds),
		cmocka_unit_test(test_pattern_json_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
