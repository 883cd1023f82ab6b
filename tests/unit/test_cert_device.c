/* SPDX-License-Identifier: MIT */
/*
 * test_cert_device.c - dsp_erase_check_pattern, the re-read behind
 * verify --device, on the memory backend: a constant and a random final
 * pass, the sample's size and seed, a changed byte, bytes never written,
 * unreadable sectors, another size; and dsp_cert_check_device's refusals
 * that need no device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/io.h"
#include "dispose/pattern.h"

#define SIZE	(8u << 20)

static struct json_object *zero_pattern(void)
{
	return json_tokener_parse("{\"kind\":\"pattern\",\"bytes\":\"00\"}");
}

static struct json_object *random_pattern(void)
{
	return json_tokener_parse("{\"kind\":\"random\",\"cipher\":\"aes-128-ctr\","
				  "\"key\":\"000102030405060708090a0b0c0d0e0f\","
				  "\"iv\":\"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\"}");
}

/* A memory device holding what pattern writes. */
static struct dsp_io *device(struct json_object *pattern)
{
	struct dsp_pattern p;
	struct dsp_pattern_gen *g;
	struct dsp_io *io;

	assert_int_equal(dsp_io_mem_new(SIZE, 512, &io), 0);
	assert_int_equal(dsp_pattern_from_json(pattern, &p), 0);
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	assert_int_equal(dsp_pattern_fill(g, 0, dsp_io_mem_data(io), SIZE), 0);
	dsp_pattern_gen_free(g);
	return io;
}

static void test_check_pattern_matches_and_names_seed(void **state)
{
	struct json_object *pats[2] = { zero_pattern(), random_pattern() };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct dsp_io *io = device(pats[i]);
		struct dsp_erase_sample s = { .seed_given = true, .seed = 0xc4 }, t = s;

		assert_int_equal(dsp_erase_check_pattern(io, pats[i], SIZE, NULL, 0, 1, &s), 0);
		assert_int_equal(s.seed, 0xc4);
		assert_true(s.bytes_read >= SIZE / 100 && s.bytes_read < SIZE);
		assert_int_equal(s.bytes_read % 512, 0);
		assert_int_equal(s.mismatches, 0);
		assert_int_equal(s.unreadable_bytes, 0);
		/* the same seed reads the same sample */
		assert_int_equal(dsp_erase_check_pattern(io, pats[i], SIZE, NULL, 0, 1, &t), 0);
		assert_int_equal(t.bytes_read, s.bytes_read);
		/* 100 %: every byte */
		assert_int_equal(dsp_erase_check_pattern(io, pats[i], SIZE, NULL, 0, 100, &s), 0);
		assert_int_equal(s.bytes_read, SIZE);
		/* no seed given: one is drawn */
		s.seed_given = false;
		s.seed = 0;
		assert_int_equal(dsp_erase_check_pattern(io, pats[i], SIZE, NULL, 0, 1, &s), 0);
		dsp_io_close(io);
		json_object_put(pats[i]);
	}
}

static void test_check_pattern_changed_byte(void **state)
{
	struct json_object *pat = random_pattern();
	struct dsp_io *io = device(pat);
	struct dsp_erase_sample s = { .seed_given = true, .seed = 1 };
	uint64_t bad[1][2] = { { 5000000, 512 } };

	(void)state;
	dsp_io_mem_data(io)[5000001] ^= 0x40;
	assert_int_equal(dsp_erase_check_pattern(io, pat, SIZE, NULL, 0, 100, &s), DSP_MISMATCH);
	assert_int_equal(s.mismatches, 1);
	assert_int_equal(s.first_mismatch, 5000001);
	/* a byte the erase recorded as never written is not compared */
	assert_int_equal(dsp_erase_check_pattern(io, pat, SIZE, (const uint64_t (*)[2])bad, 1, 100,
						 &s), 0);
	/* the last MiB is always in the sample */
	dsp_io_mem_data(io)[SIZE - 3] ^= 1;
	assert_int_equal(dsp_erase_check_pattern(io, pat, SIZE, (const uint64_t (*)[2])bad, 1, 1,
						 &s), DSP_MISMATCH);
	assert_int_equal(s.first_mismatch, SIZE - 3);
	dsp_io_close(io);
	json_object_put(pat);
}

static void test_check_pattern_unreadable_and_size(void **state)
{
	struct json_object *pat = zero_pattern(), *junk = json_tokener_parse("{\"kind\":\"x\"}");
	struct dsp_io *io = device(pat);
	struct dsp_io_fault f = { .kind = DSP_FAULT_EIO_READ, .off = 4096, .len = 1 };
	struct dsp_erase_sample s = { .seed_given = true };
	uint64_t writes, reads, flushes;

	(void)state;
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_check_pattern(io, pat, SIZE, NULL, 0, 1, &s), DSP_PARTIAL);
	assert_int_equal(s.unreadable_bytes, 512);
	assert_int_equal(s.mismatches, 0);
	assert_int_equal(dsp_erase_check_pattern(io, pat, SIZE * 2, NULL, 0, 1, &s), -ESTALE);
	assert_int_equal(dsp_erase_check_pattern(io, junk, SIZE, NULL, 0, 1, &s), DSP_INVALID);
	/* read-only */
	dsp_io_mem_counts(io, &writes, &reads, &flushes);
	assert_int_equal(writes, 0);
	dsp_io_close(io);
	json_object_put(pat);
	json_object_put(junk);
}

static void test_check_device_refusals_without_a_device(void **state)
{
	struct json_object *doc = json_tokener_parse("{\"targets\":[{\"id\":\"t1\",\"kind\":\"file\"}]}");
	struct json_object *rep = NULL;
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_cert_check_device(doc, "/dev/null", 1, &rep, &why), DSP_INVALID);
	assert_non_null(why);
	assert_string_equal(why, "/dev/null: not a block device");
	assert_null(rep);
	free(why);
	why = NULL;
	assert_int_equal(dsp_cert_check_device(doc, "/nonexistent/dev", 1, &rep, &why), DSP_INVALID);
	assert_non_null(strstr(why, "/nonexistent/dev: "));
	free(why);
	json_object_put(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_pattern_matches_and_names_seed),
		cmocka_unit_test(test_check_pattern_changed_byte),
		cmocka_unit_test(test_check_pattern_unreadable_and_size),
		cmocka_unit_test(test_check_device_refusals_without_a_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
