/* SPDX-License-Identifier: MIT */
/* test_erase.c - the overwrite engine on the fault-injecting memory backend */
#include "erase_helpers.h"
#include "dispose/json.h"

#include <time.h>

#define SZ (3u << 20)

/* pattern.c test hook: the EVP keystream, as on a CPU without VAES */
extern bool dsp_pattern_test_no_vaes;

static const uint8_t zero = 0x00, ff = 0xff;
static const uint8_t gut[3] = { 0x92, 0x49, 0x24 };

static struct dsp_io *mem(uint64_t size, uint8_t fill)
{
	struct dsp_io *io;

	assert_int_equal(dsp_io_mem_new(size, 512, &io), 0);
	memset(dsp_io_mem_data(io), fill, size);
	return io;
}

static void assert_all(const uint8_t *d, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] != v)
			fail_msg("byte %zu is %02x, want %02x", i, d[i], v);
}

static void test_erase_io_zero_pass_writes_every_byte(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ + 512, 0xab);	/* not a multiple of the buffer */
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), 0);
	assert_all(dsp_io_mem_data(io), SZ + 512, 0);
	assert_int_equal(res.bytes_written, SZ + 512);
	assert_int_equal(res.bytes_verified, SZ + 512);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "success");
	assert_string_equal(jstr(e, "nist_category"), "none");	/* memory, not a device */
	json_object_put(e);
	e = last_event(&fx, "pass_end", "t1");
	assert_string_equal(json_object_to_json_string_ext(
		json_object_object_get(e, "covered"), JSON_C_TO_STRING_PLAIN), "[[0,3146240]]");
	json_object_put(e);
	e = last_event(&fx, "verify_start", "t1");
	assert_string_equal(jstr(e, "readmode"), "memory");
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_gutmann_pattern_device_continuous(void **state)
{
	struct fixture fx;
	struct dsp_io *io = mem(SZ + 1024, 0);
	const uint8_t *d;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, gut, 3);
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), 0);
	d = dsp_io_mem_data(io);
	assert_memory_equal(d + 512, ((uint8_t[]){ 0x24, 0x92, 0x49 }), 3);
	for (size_t i = 0; i < SZ + 1024; i++)
		if (d[i] != gut[i % 3])
			fail_msg("byte %zu", i);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_random_pass_matches_recorded_key(void **state)
{
	struct fixture fx;
	struct dsp_io *io = mem(SZ, 0);
	uint8_t *want = malloc(SZ);

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), 0);
	expected_bytes(&fx, "t1", 1, want, SZ);
	assert_memory_equal(dsp_io_mem_data(io), want, SZ);
	free(want);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_multipass_verify_all(void **state)
{
	struct fixture fx;
	struct dsp_io *io = mem(SZ, 0x11);
	struct json_object *a, *p1, *p2;
	struct dsp_pattern a1, a2;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM_BYTE, NULL, 0);
	fx_pass(&fx, DSP_PASS_COMPLEMENT, NULL, 0);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx_pass(&fx, DSP_PASS_PATTERN, &ff, 1);
	fx.o.verify = DSP_VERIFY_ALL;
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), 0);
	assert_all(dsp_io_mem_data(io), SZ, 0xff);
	a = events(&fx, "verify_end", "t1");
	assert_int_equal(json_object_array_length(a), 4);
	json_object_put(a);
	a = events(&fx, "pass_start", "t1");
	p1 = json_object_object_get(json_object_array_get_idx(a, 0), "pattern");
	p2 = json_object_object_get(json_object_array_get_idx(a, 1), "pattern");
	assert_int_equal(dsp_pattern_from_json(p1, &a1), 0);
	assert_int_equal(dsp_pattern_from_json(p2, &a2), 0);
	assert_int_equal(a2.bytes[0], (uint8_t)~a1.bytes[0]);
	json_object_put(a);
	dsp_io_close(io);
	fx_close(&fx);
}

/* A persistent EIO on one 4 KiB block: isolated to exactly that block. */
static void eio_at(uint64_t off)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	struct dsp_io_fault f = { DSP_FAULT_EIO_WRITE, off, 4096, 0 };
	struct json_object *a, *e;
	const uint8_t *d;

	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_PARTIAL);
	assert_int_equal(res.bad_ranges, 1);
	assert_int_equal(res.bad_bytes, 4096);
	assert_int_equal(res.bytes_written, SZ - 4096);
	assert_int_equal(res.mismatches, 0);
	d = dsp_io_mem_data(io);
	for (size_t i = 0; i < SZ; i++)
		if (d[i] != (i >= off && i < off + 4096 ? 0xab : 0))
			fail_msg("byte %zu is %02x", i, d[i]);
	a = events(&fx, "io_error", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	e = json_object_array_get_idx(a, 0);
	assert_int_equal(jint(e, "offset"), off);
	assert_int_equal(jint(e, "length"), 4096);
	assert_string_equal(jstr(e, "phase"), "write");
	json_object_put(a);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "completed-with-errors");
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_eio_first_block(void **state)
{
	(void)state;
	eio_at(0);
}

static void test_erase_io_eio_middle_block(void **state)
{
	(void)state;
	eio_at(SZ / 2 + 4096 * 3);
}

static void test_erase_io_eio_last_block(void **state)
{
	(void)state;
	eio_at(SZ - 4096);
}

static void test_erase_io_short_write_and_eintr(void **state)
{
	struct fixture fx;
	struct dsp_io *io = mem(SZ, 0xab);
	struct dsp_io_fault s = { DSP_FAULT_SHORT_WRITE, 100000, 1, 1 };
	struct dsp_io_fault i = { DSP_FAULT_EINTR_WRITE, 200000, 1, 1 };
	uint64_t w;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, gut, 3);
	assert_int_equal(dsp_io_mem_add_fault(io, &s), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &i), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), 0);
	for (size_t k = 0; k < SZ; k++)
		if (dsp_io_mem_data(io)[k] != gut[k % 3])
			fail_msg("byte %zu", k);
	dsp_io_mem_counts(io, &w, NULL, NULL);
	assert_true(w >= SZ / (64 << 10) + 2);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_flush_failure_is_error(void **state)
{
	struct fixture fx;
	struct dsp_io *io = mem(SZ, 0xab);
	struct dsp_io_fault f = { DSP_FAULT_FLUSH, 0, 0, 0 };
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), -EIO);
	e = last_event(&fx, "io_error", "t1");
	assert_string_equal(jstr(e, "phase"), "flush");
	json_object_put(e);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "failed");
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

/* A target that failed (the flush) is taken up again by --resume. */
static void test_erase_io_failed_target_resumes(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	struct dsp_io_fault f = { DSP_FAULT_FLUSH, 0, 0, 1 };
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), -EIO);
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 1);
	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), 0);
	assert_all(dsp_io_mem_data(io), SZ, 0);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "success");
	json_object_put(e);
	e = last_event(&fx, "target_resumed", "t1");
	assert_non_null(e);
	json_object_put(e);
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 0);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_flipped_byte_mismatch(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0);
	struct dsp_io_fault f = { DSP_FAULT_FLIP_READ, 1234567, 1, 0 };
	struct json_object *e, *a;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	assert_int_equal(res.mismatches, 1);
	assert_int_equal(res.first_mismatch, 1234567);
	e = last_event(&fx, "verify_end", "t1");
	a = json_object_object_get(e, "mismatch_offsets");
	assert_int_equal(json_object_array_length(a), 1);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(a, 0)), 1234567);
	json_object_put(e);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "completed-with-errors");
	assert_string_equal(jstr(e, "nist_category"), "none");
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

/*
 * Without VAES, a random pass is checked chunk by chunk against digests of
 * what was generated: a chunk that reads back differently is
 * byte-compared, so the offset is exact, and the other chunks are not
 * regenerated.
 */
static void test_erase_io_random_digest_locates_flip(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	uint64_t size = (9u << 20) + 512;	/* the last chunk is short */
	struct dsp_io *io = mem(size, 0);
	struct dsp_io_fault f = { DSP_FAULT_FLIP_READ, (6u << 20) + 77, 1, 0 };
	struct json_object *e;

	(void)state;
	dsp_pattern_test_no_vaes = true;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	assert_int_equal(res.mismatches, 1);
	assert_int_equal(res.first_mismatch, (6u << 20) + 77);
	assert_int_equal(res.bytes_verified, size);
	e = last_event(&fx, "verify_start", "t1");
	assert_string_equal(jstr(e, "compare"), "chunk-digest+stream");
	json_object_put(e);
	e = last_event(&fx, "verify_end", "t1");
	assert_int_equal(jint(e, "bytes_by_digest"), size - fx.o.bufsize);
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
	dsp_pattern_test_no_vaes = false;
}

/* The digest is of what was generated, not of what the device kept. */
static void test_erase_io_random_digest_catches_lost_write(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(8u << 20, 0);
	struct dsp_io_fault f = { DSP_FAULT_DROP_WRITE, 5u << 20, 4096, 1 };
	struct json_object *e;

	(void)state;
	dsp_pattern_test_no_vaes = true;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	/* the whole lost write still holds zeros: (almost) every byte differs */
	assert_true(res.mismatches > fx.o.bufsize - 1024 && res.mismatches <= fx.o.bufsize);
	assert_true(res.first_mismatch >= 5u << 20 && res.first_mismatch < (5u << 20) + 64);
	e = last_event(&fx, "verify_end", "t1");
	assert_int_equal(jint(e, "bytes_by_digest"), (8u << 20) - fx.o.bufsize);
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
	dsp_pattern_test_no_vaes = false;
}

/*
 * With VAES the keystream is regenerated faster than it is read back, so
 * no digests are kept: every chunk is compared byte-exact against the
 * stream (what the record then says), and a flipped bit is located.
 */
static void test_erase_io_random_stream_locates_flip(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	uint64_t size = (9u << 20) + 512;	/* the last chunk is short */
	struct dsp_io *io = mem(size, 0);
	struct dsp_io_fault f = { DSP_FAULT_FLIP_READ, (6u << 20) + 77, 1, 0 };
	struct json_object *e;
	struct dsp_pattern p = { .kind = DSP_PASS_RANDOM };
	struct dsp_pattern_gen *g;
	bool vaes;

	(void)state;
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	vaes = dsp_pattern_fast(g);
	dsp_pattern_gen_free(g);
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	assert_int_equal(res.mismatches, 1);
	assert_int_equal(res.first_mismatch, (6u << 20) + 77);
	assert_int_equal(res.bytes_verified, size);
	e = last_event(&fx, "verify_start", "t1");
	assert_string_equal(jstr(e, "compare"), vaes ? "stream" : "chunk-digest+stream");
	json_object_put(e);
	e = last_event(&fx, "verify_end", "t1");
	assert_int_equal(jint(e, "bytes_by_digest"), vaes ? 0 : size - fx.o.bufsize);
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

/* A lost write under the stream compare: every byte that differs is counted. */
static void test_erase_io_random_stream_catches_lost_write(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(8u << 20, 0);
	struct dsp_io_fault f = { DSP_FAULT_DROP_WRITE, 5u << 20, 4096, 1 };
	uint8_t *d;
	uint64_t diff = 0, first = UINT64_MAX;
	struct dsp_pattern_gen *g;
	struct json_object *e, *pat;
	struct dsp_pattern p;
	uint8_t *want = malloc(8u << 20);

	(void)state;
	assert_non_null(want);
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	/* the count is the exact number of bytes the medium got wrong */
	e = last_event(&fx, "pass_start", "t1");
	pat = json_object_object_get(e, "pattern");
	assert_int_equal(dsp_pattern_from_json(pat, &p), 0);
	json_object_put(e);
	assert_int_equal(dsp_pattern_gen_new(&p, &g), 0);
	assert_int_equal(dsp_pattern_fill(g, 0, want, 8u << 20), 0);
	dsp_pattern_gen_free(g);
	d = dsp_io_mem_data(io);
	for (uint64_t k = 0; k < 8u << 20; k++)
		if (d[k] != want[k]) {
			diff++;
			if (first == UINT64_MAX)
				first = k;
		}
	assert_true(diff > 0);
	assert_int_equal(res.mismatches, diff);
	assert_int_equal(res.first_mismatch, first);
	free(want);
	dsp_io_close(io);
	fx_close(&fx);
}

/* Sampled verification reads extents, not chunks: no digests claimed. */
static void test_erase_io_random_sample_compares_stream(void **state)
{
	struct fixture fx;
	struct json_object *e;
	struct dsp_io *io = mem(8u << 20, 0);

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx.o.verify = DSP_VERIFY_SAMPLE;
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), 0);
	e = last_event(&fx, "verify_start", "t1");
	assert_string_equal(jstr(e, "compare"), "stream");
	json_object_put(e);
	e = last_event(&fx, "verify_end", "t1");
	assert_int_equal(jint(e, "bytes_by_digest"), 0);
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_dropped_write_caught(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0);
	struct dsp_io_fault f = { DSP_FAULT_DROP_WRITE, 2 << 20, 1, 1 };

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &ff, 1);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	/* the whole lost 64 KiB write */
	assert_int_equal(res.mismatches, 64 << 10);
	assert_int_equal(res.first_mismatch, 2 << 20);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_verify_unreadable_partial(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0);
	struct dsp_io_fault f = { DSP_FAULT_EIO_READ, 70000, 1, 0 };
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &ff, 1);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_PARTIAL);
	assert_int_equal(res.bad_bytes, 512);
	e = last_event(&fx, "io_error", "t1");
	assert_string_equal(jstr(e, "phase"), "verify");
	assert_int_equal(jint(e, "offset"), 70000 - 70000 % 512);
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

struct cancel {
	uint64_t at;
	int calls;
};

static int cancel_cb(const struct dsp_erase_progress *p, void *arg)
{
	struct cancel *c = arg;

	c->calls++;
	assert_true(p->done <= p->total);
	return !strcmp(p->phase, "write") && p->pass == 2 && p->done >= c->at;
}

static void test_erase_io_cancel_then_resume(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	struct cancel c = { 1 << 20, 0 };
	struct json_object *a, *e;
	uint8_t *want = malloc(SZ);

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx.o.progress = cancel_cb;
	fx.o.progress_arg = &c;
	fx.o.progress_ms = -1;
	fx.o.checkpoint_bytes = 256 << 10;
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_INTERRUPTED);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "interrupted");
	json_object_put(e);
	e = last_event(&fx, "checkpoint", "t1");
	assert_int_equal(jint(e, "pass"), 2);
	assert_int_equal(jint(e, "offset"), 1 << 20);
	json_object_put(e);
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 1);

	/* resume in a new session: the pass-2 key is reused, pass 1 skipped */
	fx_reopen(&fx);
	fx.o.progress = NULL;
	fx.o.resume = true;
	memset(dsp_io_mem_data(io) + (2 << 20), 0xcd, 4096); /* after the checkpoint */
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), 0);
	assert_int_equal(res.bytes_written, 3ull * SZ);
	expected_bytes(&fx, "t1", 3, want, SZ);
	assert_memory_equal(dsp_io_mem_data(io), want, SZ);
	a = events(&fx, "pass_start", "t1");
	assert_int_equal(json_object_array_length(a), 4);	/* 1, 2, 2 again, 3 */
	{
		struct json_object *s1 = json_object_array_get_idx(a, 1);
		struct json_object *s2 = json_object_array_get_idx(a, 2);

		assert_int_equal(jint(s2, "pass"), 2);
		assert_int_equal(jint(s2, "offset"), 1 << 20);
		assert_string_equal(jstr(json_object_object_get(s1, "pattern"), "key"),
				    jstr(json_object_object_get(s2, "pattern"), "key"));
	}
	json_object_put(a);
	a = events(&fx, "pass_end", "t1");
	assert_int_equal(json_object_array_length(a), 3);
	for (size_t k = 0; k < 3; k++)
		assert_string_equal(json_object_to_json_string_ext(json_object_object_get(
			json_object_array_get_idx(a, k), "covered"), JSON_C_TO_STRING_PLAIN),
			"[[0,3145728]]");
	json_object_put(a);
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(jstr(e, "status"), "success");
	json_object_put(e);
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 0);
	/* a finished target is not run again */
	fx.o.resume = true;
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), -EALREADY);
	free(want);
	dsp_io_close(io);
	fx_close(&fx);
}

static int cancel_pass1(const struct dsp_erase_progress *p, void *arg)
{
	(void)arg;
	return !strcmp(p->phase, "write") && p->done >= (1u << 20);
}

/*
 * A record whose target was removed after its last session (file_removed, no
 * final target_end after it) is finished, as dsp_erase_pending says: resume
 * writes nothing (found by fuzz_record: success with no byte written).
 */
static void test_erase_io_removed_target_not_resumed(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	struct json_object *f, *a;
	uint64_t w0, w1;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &ff, 1);
	fx.o.progress = cancel_pass1;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_INTERRUPTED);
	f = json_object_new_object();
	json_object_object_add(f, "path", json_object_new_string("/x"));
	json_object_object_add(f, "target", json_object_new_string("t1"));
	assert_int_equal(dsp_ledger_append(fx.l, "file_removed", f, 1), 0);
	json_object_put(f);
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 0);
	fx_reopen(&fx);
	fx.o.progress = NULL;
	fx.o.resume = true;
	dsp_io_mem_counts(io, &w0, NULL, NULL);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), -EALREADY);
	dsp_io_mem_counts(io, &w1, NULL, NULL);
	assert_int_equal(w1, w0);
	a = events(&fx, "target_resumed", "t1");
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	dsp_io_close(io);
	fx_close(&fx);
}

/*
 * Pass events of the target before any "target" event of it are no record
 * we wrote: resume refuses, never counts them as passes done (found by
 * fuzz_record: success with no byte written).
 */
static void test_erase_io_passes_before_target_not_resumed(void **state)
{
	static const char *const evs[][2] = {
		{ "pass_start", "{\"pass\":1,\"npasses\":1,\"label\":\"0xFF\",\"pattern\":"
		  "{\"kind\":\"pattern\",\"bytes\":\"ff\",\"phase\":\"byte at offset o = "
		  "bytes[o mod len]\"},\"offset\":0,\"target\":\"t1\"}" },
		{ "pass_end", "{\"pass\":1,\"bytes_written\":3145728,\"bad_bytes\":0,"
		  "\"covered\":[[0,3145728]],\"complete\":true,\"target\":\"t1\"}" },
	};
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	struct json_object *a;
	uint64_t w;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &ff, 1);
	for (size_t i = 0; i < 2; i++) {
		struct json_object *f = json_tokener_parse(evs[i][1]);
		assert_non_null(f);
		assert_int_equal(dsp_ledger_append(fx.l, evs[i][0], f, 1), 0);
		json_object_put(f);
	}
	assert_int_equal(dsp_erase_pending(fx.dir, "t1", NULL, 0, NULL, 0), 0);
	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), -EINVAL);
	dsp_io_mem_counts(io, &w, NULL, NULL);
	assert_int_equal(w, 0);
	a = events(&fx, "target_end", "t1");
	assert_int_equal(json_object_array_length(a), 0);
	json_object_put(a);
	dsp_io_close(io);
	fx_close(&fx);
}

/* A bad range found before the interruption is still reported at the end. */
static void test_erase_io_bad_range_survives_resume(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	struct dsp_io_fault f = { DSP_FAULT_EIO_WRITE, 512 << 10, 1024, 0 };
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &ff, 1);
	fx.o.progress = cancel_pass1;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_INTERRUPTED);
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_PARTIAL);
	assert_int_equal(res.bad_ranges, 1);
	assert_int_equal(res.bad_bytes, 1024);
	assert_int_equal(res.bytes_written, SZ - 1024);
	assert_int_equal(res.mismatches, 0);	/* the bad range is not compared */
	e = last_event(&fx, "target_end", "t1");
	assert_string_equal(json_object_to_json_string_ext(json_object_object_get(e, "bad_ranges"),
		JSON_C_TO_STRING_PLAIN), "[{\"offset\":524288,\"length\":1024}]");
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

static int stop_cb(const struct dsp_erase_progress *p, void *arg)
{
	volatile sig_atomic_t *stop = arg;

	if (!strcmp(p->phase, "verify") && p->done > 0)
		*stop = 1;
	return 0;
}

static void stop_verify_resume(enum dsp_verify_mode mode)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	volatile sig_atomic_t stop = 0;
	struct json_object *a, *v1, *v2;
	struct dsp_io_fault f = { DSP_FAULT_FLIP_READ, 100, 1, 1 };
	uint64_t r0, r1;

	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx.o.verify = mode;
	fx.o.stop = &stop;
	fx.o.progress = stop_cb;
	fx.o.progress_arg = (void *)&stop;
	fx.o.progress_ms = -1;
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);	/* seen before the stop */
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), DSP_INTERRUPTED);
	stop = 0;
	fx.o.progress = NULL;
	fx.o.resume = true;
	fx_reopen(&fx);
	dsp_io_mem_counts(io, NULL, &r0, NULL);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	dsp_io_mem_counts(io, NULL, &r1, NULL);
	assert_int_equal(res.mismatches, 1);
	assert_int_equal(res.first_mismatch, 100);
	a = events(&fx, "pass_start", "t1");
	assert_int_equal(json_object_array_length(a), 1);	/* not rewritten */
	json_object_put(a);
	a = events(&fx, "verify_start", "t1");
	assert_int_equal(json_object_array_length(a), 2);
	v1 = json_object_array_get_idx(a, 0);
	v2 = json_object_array_get_idx(a, 1);
	assert_int_equal(jint(v1, "offset"), 0);
	assert_true(jint(v2, "offset") > 0);
	if (mode == DSP_VERIFY_SAMPLE)
		assert_string_equal(jstr(v1, "seed"), jstr(v2, "seed"));
	else	/* the second session read only what was left */
		assert_int_equal(r1 - r0, (SZ - (uint64_t)jint(v2, "offset")) / (64 << 10));
	json_object_put(a);
	a = events(&fx, "verify_end", "t1");
	assert_int_equal(json_object_array_length(a), 1);
	v1 = json_object_array_get_idx(a, 0);
	assert_true(json_object_get_boolean(json_object_object_get(v1, "complete")));
	assert_int_equal(jint(v1, "bytes_read"), jint(v1, "bytes_compared"));
	if (mode == DSP_VERIFY_LAST)
		assert_int_equal(jint(v1, "bytes_read"), SZ);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(
		json_object_object_get(v1, "mismatch_offsets"), 0)), 100);
	json_object_put(a);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_stop_during_verify_resumes_verify(void **state)
{
	(void)state;
	stop_verify_resume(DSP_VERIFY_LAST);
}

static void test_erase_io_stop_during_sample_resumes_same_seed(void **state)
{
	(void)state;
	stop_verify_resume(DSP_VERIFY_SAMPLE);
}

static void test_erase_io_sample_covers_ends_and_percent(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(8u << 20, 0);
	struct dsp_io_fault f0 = { DSP_FAULT_FLIP_READ, 0, 1, 0 };
	struct dsp_io_fault f1 = { DSP_FAULT_FLIP_READ, (8u << 20) - 1, 1, 0 };
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx.o.verify = DSP_VERIFY_SAMPLE;
	fx.o.sample_percent = 10;
	assert_int_equal(dsp_io_mem_add_fault(io, &f0), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f1), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), DSP_MISMATCH);
	assert_int_equal(res.mismatches, 2);
	assert_int_equal(res.first_mismatch, 0);
	assert_true(res.bytes_verified >= (8u << 20) / 10);
	assert_true(res.bytes_verified < (8u << 20) / 2);
	e = last_event(&fx, "verify_start", "t1");
	assert_int_equal(jint(e, "strata"), 1000);
	assert_string_equal(jstr(e, "prng"), "splitmix64");
	assert_int_equal(strlen(jstr(e, "seed")), 16);
	json_object_put(e);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_io_tiny_device_sample_strata(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(64 * 512, 0);
	struct json_object *e;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &ff, 1);
	fx.o.verify = DSP_VERIFY_SAMPLE;
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), 0);
	e = last_event(&fx, "verify_start", "t1");
	assert_int_equal(jint(e, "strata"), 64);
	json_object_put(e);
	assert_int_equal(res.bytes_verified, 64 * 512);
	dsp_io_close(io);
	fx_close(&fx);
}

static int count_cb(const struct dsp_erase_progress *p, void *arg)
{
	int *n = arg;

	(void)p;
	(*n)++;
	return 0;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Time-gated: a phase start and end, plus at most ~10 a second. */
static void test_erase_io_progress_rate_limited(void **state)
{
	struct fixture fx;
	struct dsp_io *io = mem(8u << 20, 0);
	int calls = 0;
	double t;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.o.bufsize = 4096;	/* 2048 chunks a pass */
	fx.o.progress = count_cb;
	fx.o.progress_arg = &calls;
	t = mono();
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), 0);
	t = mono() - t;
	assert_true(calls >= 2);
	assert_true(calls <= 6 + (int)(t * 10) + 1);
	dsp_io_close(io);
	fx_close(&fx);
}

static void test_erase_check_rereads_last_pass(void **state)
{
	struct fixture fx;
	struct dsp_erase_result res;
	struct dsp_io *io = mem(SZ, 0xab);
	uint64_t r0, r1;

	(void)state;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx_pass(&fx, DSP_PASS_RANDOM, NULL, 0);
	fx.o.verify = DSP_VERIFY_NONE;
	assert_int_equal(dsp_erase_io(io, &fx.o, NULL), 0);
	dsp_io_mem_counts(io, NULL, &r0, NULL);
	assert_int_equal(r0, 0);
	assert_int_equal(dsp_erase_check(io, fx.dir, "t1", 10, &res), 0);
	assert_true(res.bytes_verified >= SZ / 10);
	assert_true(res.bytes_verified < SZ);
	/* a byte changed after the erase: a full check finds it */
	dsp_io_mem_data(io)[SZ - 7] ^= 1;
	assert_int_equal(dsp_erase_check(io, fx.dir, "t1", 100, &res), DSP_MISMATCH);
	assert_int_equal(res.first_mismatch, SZ - 7);
	assert_int_equal(res.bytes_verified, SZ);
	dsp_io_mem_counts(io, &r1, NULL, NULL);
	assert_int_equal(dsp_erase_check(io, fx.dir, "nope", 100, &res), -ENOENT);
	dsp_io_mem_counts(io, &r0, NULL, NULL);
	assert_int_equal(r0, r1);	/* read-only */
	dsp_io_close(io);
	fx_close(&fx);
}

/* The verdict says what the target_end says, in words; nothing it lacks. */
static void test_erase_verdict_from_record(void **state)
{
	struct json_object *end, *v;
	bool remain = false;

	(void)state;
	end = json_tokener_parse("{\"status\":\"success\",\"bytes_written\":4096,"
				 "\"bytes_verified\":0,\"nist_category\":\"none\","
				 "\"category_reason\":\"not verified\","
				 "\"verification\":\"not verified: no read-back\","
				 "\"caveats\":[\"a\",\"b\",\"a\"]}");
	v = dsp_erase_verdict(end, "success");
	assert_string_equal(jstr(v, "result"), "written, not verified");
	assert_string_equal(jstr(v, "category"), "no NIST category: not verified");
	assert_int_equal(json_object_array_length(json_object_object_get(v, "caveats")), 2);
	json_object_put(v);
	json_object_put(end);

	end = json_tokener_parse("{\"status\":\"completed-with-errors\",\"bytes_written\":1,"
				 "\"bytes_verified\":1,\"nist_category\":\"none\","
				 "\"category_reason\":\"file-level overwrite\","
				 "\"old_data_may_remain\":true,\"mismatches\":0,\"caveats\":[]}");
	v = dsp_erase_verdict(end, "completed-with-errors");
	assert_string_equal(jstr(v, "result"),
			    "completed with errors: the old data may remain on the medium");
	assert_int_equal(dsp_json_bool(v, "old_data_may_remain", &remain), 0);
	assert_true(remain);
	json_object_put(v);
	json_object_put(end);

	end = json_tokener_parse("{\"status\":\"success\",\"nist_category\":\"clear\","
				 "\"verification\":\"verified: sampled 10% of the last pass\"}");
	v = dsp_erase_verdict(end, "success");
	assert_string_equal(jstr(v, "result"), "success");
	assert_string_equal(jstr(v, "category"), "NIST SP 800-88 Clear");
	json_object_put(v);
	json_object_put(end);

	/* never started, or its end not recorded: claims nothing */
	v = dsp_erase_verdict(NULL, "interrupted");
	assert_string_equal(jstr(v, "result"), "interrupted before it started (resumable with --resume)");
	json_object_put(v);
	v = dsp_erase_verdict(NULL, "failed");
	assert_string_equal(jstr(v, "result"), "failed: no end in the run record");
	assert_string_equal(jstr(v, "category"), "no NIST category: no end in the run record");
	json_object_put(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_erase_io_zero_pass_writes_every_byte),
		cmocka_unit_test(test_erase_io_gutmann_pattern_device_continuous),
		cmocka_unit_test(test_erase_io_random_pass_matches_recorded_key),
		cmocka_unit_test(test_erase_io_multipass_verify_all),
		cmocka_unit_test(test_erase_io_eio_first_block),
		cmocka_unit_test(test_erase_io_eio_middle_block),
		cmocka_unit_test(test_erase_io_eio_last_block),
		cmocka_unit_test(test_erase_io_short_write_and_eintr),
		cmocka_unit_test(test_erase_io_flush_failure_is_error),
		cmocka_unit_test(test_erase_io_failed_target_resumes),
		cmocka_unit_test(test_erase_io_flipped_byte_mismatch),
		cmocka_unit_test(test_erase_io_random_digest_locates_flip),
		cmocka_unit_test(test_erase_io_random_digest_catches_lost_write),
		cmocka_unit_test(test_erase_io_random_stream_locates_flip),
		cmocka_unit_test(test_erase_io_random_stream_catches_lost_write),
		cmocka_unit_test(test_erase_io_random_sample_compares_stream),
		cmocka_unit_test(test_erase_io_dropped_write_caught),
		cmocka_unit_test(test_erase_io_verify_unreadable_partial),
		cmocka_unit_test(test_erase_io_cancel_then_resume),
		cmocka_unit_test(test_erase_io_removed_target_not_resumed),
		cmocka_unit_test(test_erase_io_passes_before_target_not_resumed),
		cmocka_unit_test(test_erase_io_stop_during_verify_resumes_verify),
		cmocka_unit_test(test_erase_io_stop_during_sample_resumes_same_seed),
		cmocka_unit_test(test_erase_io_bad_range_survives_resume),
		cmocka_unit_test(test_erase_io_sample_covers_ends_and_percent),
		cmocka_unit_test(test_erase_io_tiny_device_sample_strata),
		cmocka_unit_test(test_erase_io_progress_rate_limited),
		cmocka_unit_test(test_erase_check_rereads_last_pass),
		cmocka_unit_test(test_erase_verdict_from_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
