/* SPDX-License-Identifier: MIT */
/* test_io.c - the I/O layer: retries, short transfers, faults, real files */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/io.h"

static void test_io_write_eintr_retried(void **state)
{
	struct dsp_io *io;
	struct dsp_io_fault f = { DSP_FAULT_EINTR_WRITE, 4096, 1, 1 };
	uint8_t buf[8192];
	uint64_t w;
	size_t done = 0;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(dsp_io_mem_new(65536, 512, &io), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_io_write(io, buf, sizeof(buf), 0, &done), 0);
	assert_int_equal(done, sizeof(buf));
	assert_memory_equal(dsp_io_mem_data(io), buf, sizeof(buf));
	dsp_io_mem_counts(io, &w, NULL, NULL);
	assert_int_equal(w, 2);
	dsp_io_close(io);
}

static void test_io_write_short_continues(void **state)
{
	struct dsp_io *io;
	struct dsp_io_fault f = { DSP_FAULT_SHORT_WRITE, 3000, 1, 1 };
	uint8_t buf[8192];
	uint64_t w;

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(dsp_io_mem_new(65536, 512, &io), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_io_write(io, buf, sizeof(buf), 1024, NULL), 0);
	assert_memory_equal(dsp_io_mem_data(io) + 1024, buf, sizeof(buf));
	dsp_io_mem_counts(io, &w, NULL, NULL);
	assert_int_equal(w, 2);
	dsp_io_close(io);
}

static void test_io_write_eio_reports_done(void **state)
{
	struct dsp_io *io;
	struct dsp_io_fault f = { DSP_FAULT_EIO_WRITE, 0, 512, 0 };
	uint8_t buf[1024] = { 0 };
	size_t done = 99;

	(void)state;
	assert_int_equal(dsp_io_mem_new(4096, 512, &io), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &f), 0);
	assert_int_equal(dsp_io_write(io, buf, sizeof(buf), 0, &done), -EIO);
	assert_int_equal(done, 0);
	/* past the end: no space */
	assert_int_equal(dsp_io_write(io, buf, sizeof(buf), 4096, NULL), -ENOSPC);
	dsp_io_close(io);
}

static void test_io_read_flip_and_flush_fault(void **state)
{
	struct dsp_io *io;
	struct dsp_io_fault flip = { DSP_FAULT_FLIP_READ, 700, 1, 1 };
	struct dsp_io_fault fl = { DSP_FAULT_FLUSH, 0, 0, 1 };
	uint8_t buf[1024];

	(void)state;
	assert_int_equal(dsp_io_mem_new(4096, 512, &io), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &flip), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &fl), 0);
	assert_int_equal(dsp_io_read(io, buf, sizeof(buf), 0, NULL), 0);
	assert_int_equal(buf[700], 0xff);
	assert_int_equal(buf[699], 0);
	assert_int_equal(dsp_io_read(io, buf, sizeof(buf), 0, NULL), 0);
	assert_int_equal(buf[700], 0);	/* fired once */
	assert_int_equal(dsp_io_flush(io), -EIO);
	assert_int_equal(dsp_io_flush(io), 0);
	dsp_io_close(io);
}

static void test_io_open_file_unaligned_tail(void **state)
{
	char path[] = "/tmp/dsp-io-XXXXXX";
	int fd = mkstemp(path);
	struct dsp_io *io;
	uint8_t *buf, back[10000];
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 10000), 0);
	close(fd);
	assert_int_equal(dsp_io_open(path, DSP_IO_WRITE | DSP_IO_DIRECT, &io), 0);
	assert_int_equal(io->kind, DSP_IO_FILE);
	assert_int_equal(io->size, 10000);
	buf = dsp_io_buf_alloc(16384);
	memset(buf, 0x77, 16384);
	/* aligned head, then a tail that O_DIRECT cannot take */
	assert_int_equal(dsp_io_write(io, buf, 8192, 0, NULL), 0);
	assert_int_equal(dsp_io_write(io, buf, 10000 - 8192, 8192, NULL), 0);
	assert_int_equal(dsp_io_flush(io), 0);
	assert_int_equal(dsp_io_drop_cache(io, 0, 10000), 0);
	dsp_io_close(io);
	f = fopen(path, "rb");
	assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(back));
	fclose(f);
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0x77);
	dsp_io_buf_free(buf);
	unlink(path);
}

static void test_io_open_refuses_symlink_and_fifo(void **state)
{
	struct dsp_io *io;
	char d[] = "/tmp/dsp-io-d-XXXXXX";
	char l[64], p[64];

	(void)state;
	assert_non_null(mkdtemp(d));
	snprintf(l, sizeof(l), "%s/link", d);
	snprintf(p, sizeof(p), "%s/fifo", d);
	assert_int_equal(symlink("/etc/passwd", l), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(dsp_io_open(l, DSP_IO_WRITE, &io), -ELOOP);
	assert_int_equal(dsp_io_open(p, DSP_IO_WRITE, &io), -EINVAL);
	assert_int_equal(dsp_io_open("/nonexistent/x", 0, &io), -ENOENT);
	unlink(l);
	unlink(p);
	rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_write_eintr_retried),
		cmocka_unit_test(test_io_write_short_continues),
		cmocka_unit_test(test_io_write_eio_reports_done),
		cmocka_unit_test(test_io_read_flip_and_flush_fault),
		cmocka_unit_test(test_io_open_file_unaligned_tail),
		cmocka_unit_test(test_io_open_refuses_symlink_and_fifo),
	};
	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
