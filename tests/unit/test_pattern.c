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
		cmocka_unit_test(test_pattern_fill_random_access_consistent),
		cmocka_unit_test(test_pattern_fill_gutmann_continuous),
		cmocka_unit_test(test_pattern_fill_constant),
		cmocka_unit_test(test_pattern_resolve_kinds),
		cmocka_unit_test(test_pattern_json_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
