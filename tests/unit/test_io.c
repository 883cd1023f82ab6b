/* SPDX-License-Identifier: MIT */
/* test_io.c - util: the I/O layer (retries, short transfers, faults, fault lists), small files, hex, log sinks */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/io.h"
#include "dispose/log.h"
#include "dispose/util.h"

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

static void test_io_mem_flip_range_across_reads(void **state)
{
	struct dsp_io *io;
	struct dsp_io_fault flip = { DSP_FAULT_FLIP_READ, 1022, 4, 0 };
	uint8_t buf[2048];

	(void)state;
	assert_int_equal(dsp_io_mem_new(4096, 512, &io), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &flip), 0);
	/* a read ending inside the range flips only its own bytes */
	assert_int_equal(dsp_io_read(io, buf, 1024, 0, NULL), 0);
	assert_int_equal(buf[1021], 0);
	assert_int_equal(buf[1022], 0xff);
	assert_int_equal(buf[1023], 0xff);
	assert_int_equal(dsp_io_read(io, buf, 1024, 1024, NULL), 0);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[1], 0xff);
	assert_int_equal(buf[2], 0);
	/* count 0: every read */
	assert_int_equal(dsp_io_read(io, buf, sizeof(buf), 0, NULL), 0);
	assert_int_equal(buf[1022] & buf[1023] & buf[1024] & buf[1025], 0xff);
	assert_int_equal(buf[1026] | buf[1021], 0);
	dsp_io_close(io);
}

static void test_io_fault_parse_list(void **state)
{
	struct dsp_io_fault f[4];

	(void)state;
	assert_int_equal(dsp_io_fault_parse("flip-read@1M+3,eio-write@0x200000*1,eio-flush", f, 4), 3);
	assert_int_equal(f[0].kind, DSP_FAULT_FLIP_READ);
	assert_int_equal(f[0].off, 1 << 20);
	assert_int_equal(f[0].len, 3);
	assert_int_equal(f[0].count, 0);
	assert_int_equal(f[1].kind, DSP_FAULT_EIO_WRITE);
	assert_int_equal(f[1].off, 0x200000);
	assert_int_equal(f[1].len, 0);
	assert_int_equal(f[1].count, 1);
	assert_int_equal(f[2].kind, DSP_FAULT_FLUSH);
	assert_int_equal(dsp_io_fault_parse("short-write@4k*2,drop-write@1G+512,eintr-read@7,"
					    "eio-read@512+512", f, 4), 4);
	assert_int_equal(f[0].kind, DSP_FAULT_SHORT_WRITE);
	assert_int_equal(f[0].off, 4096);
	assert_int_equal(f[0].count, 2);
	assert_int_equal(f[1].kind, DSP_FAULT_DROP_WRITE);
	assert_int_equal(f[1].off, 1ull << 30);
	assert_int_equal(f[2].kind, DSP_FAULT_EINTR_READ);
	assert_int_equal(f[3].kind, DSP_FAULT_EIO_READ);
	assert_int_equal(dsp_io_fault_parse("", f, 4), 0);
	for (int k = DSP_FAULT_EIO_WRITE; k <= DSP_FAULT_DROP_WRITE; k++) {
		char spec[64];

		snprintf(spec, sizeof(spec), "%s@9", dsp_io_fault_name((enum dsp_io_fault_kind)k));
		assert_int_equal(dsp_io_fault_parse(spec, f, 4), 1);
		assert_int_equal(f[0].kind, k);
	}
	assert_null(dsp_io_fault_name((enum dsp_io_fault_kind)99));
}

static void test_io_fault_parse_rejects_junk(void **state)
{
	static const char *const bad[] = {
		"bogus@1", "flip-read", "flip-read@", "flip-read@x", "flip-read@1x",
		"flip-read@1,", ",flip-read@1", "flip-read@1,,eio-read@2", "flip-read@1+0",
		"flip-read@1*0", "flip-read@-1", "flip-read@ 1", "flip-read@1+",
		"flip-read@99999999999999999999", "flip-read@17179869184G",
		"flip-read@18446744073709551615+2", "eio-flush@", "eio-flush*", "FLIP-READ@1",
		"flip-read@1*2*3", "eio-write@1*1000001",
		"flip-read@1,flip-read@2,flip-read@3,flip-read@4,flip-read@5",	/* > max */
	};
	struct dsp_io_fault f[4];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dsp_io_fault_parse(bad[i], f, 4) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
	}
	assert_int_equal(dsp_io_fault_parse(NULL, f, 4), -EINVAL);
}

#ifdef DSP_TEST_HOOKS
/* The real backend of a test build takes faults from $DISPOSE_TEST_FAULT. */
static void test_io_real_backend_env_faults(void **state)
{
	char path[] = "/tmp/dsp-io-f-XXXXXX";
	int fd = mkstemp(path);
	struct dsp_io *io;
	uint8_t *buf, back[16384];
	size_t done = 0;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 16384), 0);
	close(fd);
	buf = dsp_io_buf_alloc(16384);
	memset(buf, 0x3c, 16384);
	setenv(DSP_IO_FAULT_ENV, "eio-write@8200*1,flip-read@5000+2,eio-flush*1,eio-read@12288", 1);
	assert_int_equal(dsp_io_open(path, DSP_IO_WRITE, &io), 0);
	unsetenv(DSP_IO_FAULT_ENV);
	/* the first write touching 8200 fails; nothing of it reaches the file */
	assert_int_equal(dsp_io_write(io, buf, 8192, 8192, &done), -EIO);
	assert_int_equal(done, 0);
	assert_int_equal(dsp_io_write(io, buf, 16384, 0, NULL), 0);
	assert_int_equal(dsp_io_flush(io), -EIO);
	assert_int_equal(dsp_io_flush(io), 0);
	memset(back, 0, sizeof(back));
	assert_int_equal(dsp_io_read(io, back, 8192, 0, NULL), 0);
	assert_int_equal(back[4999], 0x3c);
	assert_int_equal(back[5000], 0xc3);
	assert_int_equal(back[5001], 0xc3);
	assert_int_equal(back[5002], 0x3c);
	assert_int_equal(dsp_io_read(io, back, 4096, 12288, &done), -EIO);
	assert_int_equal(done, 0);
	dsp_io_close(io);
	/* on the medium, every byte is what was written */
	f = fopen(path, "rb");
	assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(back));
	fclose(f);
	assert_memory_equal(back, buf, sizeof(back));

	/* unset: no faults */
	assert_int_equal(dsp_io_open(path, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_io_read(io, back, 8192, 0, NULL), 0);
	assert_int_equal(back[5000], 0x3c);
	dsp_io_close(io);

	/* a typo fails the open instead of running without faults */
	setenv(DSP_IO_FAULT_ENV, "flip-raed@5000", 1);
	assert_int_equal(dsp_io_open(path, DSP_IO_WRITE, &io), -EINVAL);
	unsetenv(DSP_IO_FAULT_ENV);
	dsp_io_buf_free(buf);
	unlink(path);
}

/* Short and lost writes on a real file: the loop goes on, the lost one is lost. */
static void test_io_real_backend_short_and_dropped(void **state)
{
	char path[] = "/tmp/dsp-io-s-XXXXXX";
	int fd = mkstemp(path);
	struct dsp_io *io;
	uint8_t buf[8192], back[8192];
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	close(fd);
	memset(buf, 0x11, sizeof(buf));
	setenv(DSP_IO_FAULT_ENV, "short-write@3000*1,drop-write@6000+10*1,eintr-write@100*1", 1);
	assert_int_equal(dsp_io_open(path, DSP_IO_WRITE, &io), 0);
	unsetenv(DSP_IO_FAULT_ENV);
	assert_int_equal(dsp_io_write(io, buf, 4096, 0, NULL), 0);
	assert_int_equal(dsp_io_write(io, buf, 4096, 4096, NULL), 0);
	dsp_io_close(io);
	f = fopen(path, "rb");
	assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(back));
	fclose(f);
	assert_memory_equal(back, buf, 4096);
	/* the dropped write was the whole second call */
	for (size_t i = 4096; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	unlink(path);
}
/* The calls that move no data, on a real file, from the same fault list. */
static void test_io_real_backend_call_faults(void **state)
{
	char path[] = "/tmp/dsp-io-c-XXXXXX";
	int fd = mkstemp(path), bsz = 0;
	const char *slash = strrchr(path, '/');
	char dir[32], name[32], *nn;
	struct dsp_io *io;
	struct stat st;
	int dfd;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	close(fd);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	snprintf(name, sizeof(name), "%s", slash + 1);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	setenv(DSP_IO_FAULT_ENV, "eio-truncate@0,eio-ioctl@2*1,eio-rename@0*1,eio-unlink@0", 1);
	assert_int_equal(dsp_io_open(path, DSP_IO_WRITE, &io), 0);
	unsetenv(DSP_IO_FAULT_ENV);
	assert_int_equal(dsp_io_ioctl(io, FIGETBSZ, &bsz), -EIO);	/* FIGETBSZ is 2 */
	assert_int_equal(dsp_io_ioctl(io, FIGETBSZ, &bsz), 0);
	assert_true(bsz > 0);
	assert_int_equal(dsp_io_truncate(io, 0), -EIO);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8192);
	assert_int_equal(dsp_io_truncate(io, 10), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 10);
	nn = name + 1;	/* a new name in the same directory */
	assert_int_equal(dsp_io_rename(io, dfd, name, nn), -EIO);
	assert_int_equal(dsp_io_rename(io, dfd, name, nn), 0);
	assert_int_equal(dsp_io_unlink(io, dfd, nn, 0), -EIO);
	assert_int_equal(dsp_io_unlink(io, dfd, nn, 0), 0);
	assert_int_equal(fstatat(dfd, nn, &st, 0), -1);
	dsp_io_close(io);
	close(dfd);
}
#endif

/* ---- calls that move no data: truncate, ioctl, rename, unlink ---- */

static void test_io_fault_parse_call_kinds(void **state)
{
	struct dsp_io_fault f[5];

	(void)state;
	assert_int_equal(dsp_io_fault_parse("eio-truncate@0,eio-ioctl@0x80081272*1,eio-rename@1,"
					    "eio-unlink,eio-ioctl", f, 5), 5);
	assert_int_equal(f[0].kind, DSP_FAULT_EIO_TRUNCATE);
	assert_int_equal(f[0].off, 0);
	assert_int_equal(f[0].len, 0);
	assert_int_equal(f[1].kind, DSP_FAULT_EIO_IOCTL);
	assert_int_equal(f[1].off, BLKGETSIZE64);
	assert_int_equal(f[1].count, 1);
	assert_int_equal(f[2].kind, DSP_FAULT_EIO_RENAME);
	assert_int_equal(f[2].off, 1);
	/* without "@": every call */
	assert_int_equal(f[3].kind, DSP_FAULT_EIO_UNLINK);
	assert_int_equal(f[3].len, UINT64_MAX);
	assert_int_equal(f[4].kind, DSP_FAULT_EIO_IOCTL);
	assert_string_equal(dsp_io_fault_name(DSP_FAULT_EIO_UNLINK), "eio-unlink");
	assert_int_equal(dsp_io_fault_parse("eio-rename@", f, 5), -EINVAL);
	assert_int_equal(dsp_io_fault_parse("eio-renam", f, 5), -EINVAL);
	assert_int_equal(dsp_io_fault_parse("eio-unlink*0", f, 5), -EINVAL);
}

static void test_io_mem_truncate_and_ioctl_faults(void **state)
{
	struct dsp_io *io;
	struct dsp_io_fault t0 = { DSP_FAULT_EIO_TRUNCATE, 0, 0, 1 };
	struct dsp_io_fault sz = { DSP_FAULT_EIO_IOCTL, BLKGETSIZE64, 0, 1 };
	uint64_t size = 0;
	int lss = 0;
	unsigned int pss = 0;

	(void)state;
	assert_int_equal(dsp_io_mem_new(8192, 4096, &io), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &t0), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &sz), 0);
	memset(dsp_io_mem_data(io), 0x77, 8192);
	/* only the request and the length named fail, and only once */
	assert_int_equal(dsp_io_ioctl(io, BLKSSZGET, &lss), 0);
	assert_int_equal(lss, 4096);
	assert_int_equal(dsp_io_ioctl(io, BLKGETSIZE64, &size), -EIO);
	assert_int_equal(size, 0);
	assert_int_equal(dsp_io_ioctl(io, BLKGETSIZE64, &size), 0);
	assert_int_equal(size, 8192);
	assert_int_equal(dsp_io_ioctl(io, BLKPBSZGET, &pss), 0);
	assert_int_equal(pss, 4096);
	assert_int_equal(dsp_io_ioctl(io, BLKDISCARD, NULL), -ENOTTY);
	assert_int_equal(dsp_io_truncate(io, 4096), 0);
	assert_int_equal(io->size, 4096);
	assert_int_equal(dsp_io_truncate(io, 0), -EIO);
	assert_int_equal(io->size, 4096);	/* unchanged on error */
	assert_int_equal(dsp_io_read(io, &lss, 1, 4096, NULL), -ENODATA);
	assert_int_equal(dsp_io_truncate(io, 0), 0);
	assert_int_equal(io->size, 0);
	assert_int_equal(dsp_io_ioctl(io, BLKGETSIZE64, &size), 0);
	assert_int_equal(size, 0);
	/* grown again: zeros, not the old bytes */
	assert_int_equal(dsp_io_truncate(io, 100), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(dsp_io_mem_data(io)[i], 0);
	dsp_io_close(io);
}

static size_t count_dir(const char *dir)
{
	char cmd[128];
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%zu", &n), 1);
	pclose(f);
	return n;
}

static bool present(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Names: the memory target fails the call counted, and acts on a real directory. */
static void test_io_mem_rename_unlink_faults(void **state)
{
	char dir[] = "/tmp/dsp-io-n-XXXXXX";
	struct dsp_io *io;
	struct dsp_io_fault rn = { DSP_FAULT_EIO_RENAME, 1, 0, 0 };
	struct dsp_io_fault ul = { DSP_FAULT_EIO_UNLINK, 0, 0, 1 };
	int dfd, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	fd = openat(dfd, "a", O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = openat(dfd, "c", O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(dsp_io_mem_new(4096, 512, &io), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &rn), 0);
	assert_int_equal(dsp_io_mem_add_fault(io, &ul), 0);
	assert_int_equal(dsp_io_rename(io, dfd, "a", "b"), 0);		/* call 0 */
	assert_true(present(dfd, "b") && !present(dfd, "a"));
	assert_int_equal(dsp_io_rename(io, dfd, "b", "d"), -EIO);	/* call 1 */
	assert_true(present(dfd, "b") && !present(dfd, "d"));
	/* never over an existing name */
	assert_int_equal(dsp_io_rename(io, dfd, "b", "c"), -EEXIST);	/* call 2 */
	assert_true(present(dfd, "b") && present(dfd, "c"));
	assert_int_equal(dsp_io_unlink(io, dfd, "b", 0), -EIO);
	assert_true(present(dfd, "b"));
	assert_int_equal(dsp_io_unlink(io, dfd, "b", 0), 0);
	assert_false(present(dfd, "b"));
	/* no directory: the memory target's names are only counted */
	assert_int_equal(dsp_io_rename(io, -1, "x", "y"), 0);
	dsp_io_close(io);
	/* no target: the plain call */
	assert_int_equal(dsp_io_unlink(NULL, dfd, "c", 0), 0);
	assert_int_equal(dsp_io_unlink(NULL, dfd, "c", 0), -ENOENT);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- whole small files and hex ---- */

static void test_util_file_write_read_roundtrip(void **state)
{
	char dir[] = "/tmp/dsp-fu-XXXXXX", p[64], q[64], *buf = NULL, small[8];
	static const char text[] = "line one\nline two\n";
	struct stat st;
	size_t len = 99;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/f", dir);
	assert_int_equal(dsp_file_write(p, text, strlen(text), 0600, DSP_FILE_EXCL), 0);
	assert_int_equal(dsp_file_write(p, "x", 1, 0600, DSP_FILE_EXCL), -EEXIST);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dsp_file_read(p, 1024, 0, &buf, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_string_equal(buf, text);
	free(buf);
	/* exactly max is fine, one byte less is too big */
	assert_int_equal(dsp_file_read(p, strlen(text), 0, &buf, NULL), 0);
	free(buf);
	assert_int_equal(dsp_file_read(p, strlen(text) - 1, 0, &buf, NULL), -EFBIG);
	assert_null(buf);
	assert_int_equal(dsp_file_read_buf(p, 0, small, sizeof(small), &len), -EFBIG);
	/* replaced whole, no temporary left */
	assert_int_equal(dsp_file_write(p, "new", 3, 0644, 0), 0);
	assert_int_equal(dsp_file_read_buf(p, 0, small, sizeof(small), &len), 0);
	assert_string_equal(small, "new");
	assert_int_equal(len, 3);
	assert_int_equal(count_dir(dir), 1);
	/* a symlink is neither followed nor replaced */
	snprintf(q, sizeof(q), "%s/l", dir);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(dsp_file_read(q, 1024, DSP_FILE_NOFOLLOW, &buf, NULL), -ELOOP);
	assert_int_equal(dsp_file_write(q, "z", 1, 0600, 0), -ELOOP);
	assert_int_equal(dsp_file_write(q, "z", 1, 0600, DSP_FILE_EXCL), -EEXIST);
	assert_int_equal(dsp_file_read(q, 1024, 0, &buf, NULL), 0);	/* followed when asked */
	assert_string_equal(buf, "new");
	free(buf);
	/* not a regular file: a directory, a FIFO (never waited on) */
	assert_int_equal(dsp_file_read(dir, 1024, 0, &buf, NULL), -EINVAL);
	snprintf(q, sizeof(q), "%s/fifo", dir);
	assert_int_equal(mkfifo(q, 0600), 0);
	assert_int_equal(dsp_file_read(q, 1024, 0, &buf, NULL), -EINVAL);
	assert_int_equal(dsp_file_read_buf(q, 0, small, sizeof(small), NULL), -EINVAL);
	unlink(q);
	snprintf(q, sizeof(q), "%s/l", dir);
	unlink(q);
	/* an empty file */
	fd = open(p, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(dsp_file_read(p, 0, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	unlink(p);
	assert_int_equal(rmdir(dir), 0);
}

/* /proc files say size 0: read to EOF anyway, and larger than the stat size. */
static void test_util_file_read_proc(void **state)
{
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(dsp_file_read("/proc/self/mountinfo", 1 << 24, 0, &buf, &len), 0);
	assert_true(len > 0);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, " / "));
	free(buf);
	assert_int_equal(dsp_file_read("/proc/self/mountinfo", 10, 0, &buf, &len), -EFBIG);
	assert_int_equal(dsp_file_read("/nonexistent/x", 10, 0, &buf, &len), -ENOENT);
}

static void test_util_hex(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
	char out[13], *d;
	uint8_t back[8];
	size_t n = 0;

	(void)state;
	dsp_hex(b, sizeof(b), out);
	assert_string_equal(out, "00017f80abff");
	d = dsp_hex_dup(b, sizeof(b));
	assert_string_equal(d, out);
	free(d);
	dsp_hex(b, 0, out);
	assert_string_equal(out, "");
	assert_int_equal(dsp_unhex("00017F80abFF", 12, back, sizeof(back), &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(back, b, 6);
	assert_int_equal(dsp_unhex("abc", 3, back, sizeof(back), NULL), -EINVAL);
	assert_int_equal(dsp_unhex("0g", 2, back, sizeof(back), NULL), -EINVAL);
	assert_int_equal(dsp_unhex(" 0", 2, back, sizeof(back), NULL), -EINVAL);
	assert_int_equal(dsp_unhex("000000000000000000", 18, back, sizeof(back), NULL), -E2BIG);
	assert_int_equal(dsp_hex_val('F'), 15);
	assert_int_equal(dsp_hex_val('g'), -1);
	assert_int_equal(dsp_hex_val(0), -1);
}

/* ---- log sinks: per thread, inherited by dsp_thread_create, never a swapped global ---- */

struct logbuf {
	char text[512];
};

static void log_into(enum dsp_log_level level, const char *msg, void *arg)
{
	struct logbuf *b = arg;
	size_t n = strlen(b->text);

	(void)level;
	snprintf(b->text + n, sizeof(b->text) - n, "%s;", msg);
}

static void *log_thread(void *arg)
{
	dsp_log(DSP_LOG_ERROR, "%s", (const char *)arg);
	return NULL;
}

static void test_log_sink_per_thread_and_inherited(void **state)
{
	struct logbuf def = { "" }, mine = { "" }, other = { "" };
	struct dsp_log_sink s = { log_into, &mine }, o = { log_into, &other }, prev, back;
	pthread_t th;

	(void)state;
	dsp_log_set_handler(log_into, &def);
	dsp_log(DSP_LOG_ERROR, "a");
	prev = dsp_log_use(&s);
	assert_null(prev.fn);
	dsp_log(DSP_LOG_ERROR, "b");
	/* started through the core's helper: the caller's sink */
	assert_int_equal(dsp_thread_create(&th, log_thread, "c"), 0);
	pthread_join(th, NULL);
	/* a bare thread has none of its own: the process default */
	assert_int_equal(pthread_create(&th, NULL, log_thread, "d"), 0);
	pthread_join(th, NULL);
	/* nested: an inner entry point with its own sink, then restored */
	back = dsp_log_use(&o);
	assert_ptr_equal(back.arg, &mine);
	dsp_log(DSP_LOG_ERROR, "e");
	dsp_log_use(&back);
	dsp_log(DSP_LOG_ERROR, "f");
	assert_ptr_equal(dsp_log_current().arg, &mine);
	dsp_log_use(&prev);
	dsp_log(DSP_LOG_ERROR, "g");
	dsp_log_set_handler(NULL, NULL);
	dsp_log(DSP_LOG_ERROR, "dropped");
	assert_string_equal(def.text, "a;d;g;");
	assert_string_equal(mine.text, "b;c;f;");
	assert_string_equal(other.text, "e;");
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
		cmocka_unit_test(test_io_mem_flip_range_across_reads),
		cmocka_unit_test(test_io_fault_parse_list),
		cmocka_unit_test(test_io_fault_parse_rejects_junk),
		cmocka_unit_test(test_io_fault_parse_call_kinds),
		cmocka_unit_test(test_io_mem_truncate_and_ioctl_faults),
		cmocka_unit_test(test_io_mem_rename_unlink_faults),
		cmocka_unit_test(test_util_file_write_read_roundtrip),
		cmocka_unit_test(test_util_file_read_proc),
		cmocka_unit_test(test_util_hex),
		cmocka_unit_test(test_log_sink_per_thread_and_inherited),
#ifdef DSP_TEST_HOOKS
		cmocka_unit_test(test_io_real_backend_env_faults),
		cmocka_unit_test(test_io_real_backend_short_and_dropped),
		cmocka_unit_test(test_io_real_backend_call_faults),
#endif
	};
	return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
