/* SPDX-License-Identifier: MIT */
/* io.h - the one I/O layer every target-touching read and write goes through */
#ifndef DISPOSE_IO_H
#define DISPOSE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A target is an ops table plus facts. The real backend (io.c) makes the
 * syscalls; the memory backend (io_mem.c) lets tests inject faults at any
 * offset. Erase and verify use only dsp_io_* calls, never the fd.
 */
struct dsp_io_ops {
	ssize_t (*pread)(void *ctx, void *buf, size_t len, uint64_t off);
	ssize_t (*pwrite)(void *ctx, const void *buf, size_t len, uint64_t off);
	int (*flush)(void *ctx);				/* fdatasync */
	int (*drop_cache)(void *ctx, uint64_t off, uint64_t len); /* may be NULL */
	void (*close)(void *ctx);
	/* 0 or -errno; see dsp_io_truncate and the calls after it */
	int (*truncate)(void *ctx, uint64_t len);
	int (*ioctl)(void *ctx, unsigned long req, void *arg);
	int (*rename)(void *ctx, int dirfd, const char *from, const char *to);
	int (*unlink)(void *ctx, int dirfd, const char *name, int flags);
};

enum dsp_io_kind { DSP_IO_BLOCK, DSP_IO_FILE, DSP_IO_MEM };

/* How reads bypass the page cache, recorded in the run record. */
enum dsp_io_readmode {
	DSP_IO_READ_DIRECT,	/* O_DIRECT */
	DSP_IO_READ_FADVISE,	/* fdatasync + posix_fadvise(DONTNEED) first */
	DSP_IO_READ_MEMORY,	/* test backend */
};

struct dsp_io {
	const struct dsp_io_ops *ops;
	void *ctx;
	char *path;
	enum dsp_io_kind kind;
	enum dsp_io_readmode readmode;
	uint64_t size;			/* bytes */
	uint32_t logical_sector;	/* bad-range isolation granularity */
	uint32_t physical_sector;
	uint32_t align;			/* buffer/offset/length alignment for direct I/O */
	bool direct;			/* writes use O_DIRECT */
	int fd;				/* -1 for the memory backend */
	dev_t st_dev;			/* file: device and inode, for identity checks */
	ino_t st_ino;
	dev_t rdev;			/* block device number */
};

#define DSP_IO_WRITE	0x1	/* open for writing (erase) */
#define DSP_IO_EXCL	0x2	/* block devices: O_EXCL (refuses if mounted/held) */
#define DSP_IO_DIRECT	0x4	/* try O_DIRECT; fall back to fadvise and record it */

/*
 * Open a block device or regular file. Always O_NOFOLLOW|O_CLOEXEC.
 * Returns 0, or -errno (-EBUSY: O_EXCL refused; -ELOOP: a symlink;
 * -EINVAL: neither block device nor regular file).
 */
int dsp_io_open(const char *path, unsigned flags, struct dsp_io **out);
/* Same for an already open fd (ownership passes to io; closed on error too). */
int dsp_io_open_fd(int fd, const char *path, unsigned flags, struct dsp_io **out);
void dsp_io_close(struct dsp_io *io);

/*
 * Write/read exactly len bytes at off: retries EINTR, continues after short
 * transfers. Unaligned pieces on a direct fd are done through the cache
 * and then flushed. Returns 0 or -errno; *done (may be NULL) says how many
 * bytes were transferred before the error. On error the range may be
 * partly written.
 */
int dsp_io_write(struct dsp_io *io, const void *buf, size_t len, uint64_t off, size_t *done);
int dsp_io_read(struct dsp_io *io, void *buf, size_t len, uint64_t off, size_t *done);
/* fdatasync. 0 or -errno (-EIO: earlier writes may not be on the medium). */
int dsp_io_flush(struct dsp_io *io);
/* Make the next reads of the range come from the medium (no-op for direct). */
int dsp_io_drop_cache(struct dsp_io *io, uint64_t off, uint64_t len);

/*
 * Cut the target to len bytes and make that durable (ftruncate, fsync).
 * 0 or -errno: on error the size may be either.
 */
int dsp_io_truncate(struct dsp_io *io, uint64_t len);
/*
 * An ioctl on the target (device geometry, sanitize). Returns ioctl's
 * result (>= 0) or -errno; -ENOTTY where the backend has no such request.
 */
int dsp_io_ioctl(struct dsp_io *io, unsigned long req, void *arg);
/*
 * The target's names: rename from to to inside dirfd without replacing an
 * existing to (RENAME_NOREPLACE; where the filesystem lacks it, a check
 * first: -EEXIST), and unlink name in dirfd (flags 0 or AT_REMOVEDIR).
 * io is the target the name belongs to, so its fault schedule applies;
 * NULL for a name of no open target (a tree's directories, links and
 * nodes): the plain syscall. 0 or -errno; on error the name is unchanged.
 */
int dsp_io_rename(struct dsp_io *io, int dirfd, const char *from, const char *to);
int dsp_io_unlink(struct dsp_io *io, int dirfd, const char *name, int flags);

/* Buffers aligned for direct I/O (4096). Freed buffers are not cleansed. */
void *dsp_io_buf_alloc(size_t len);
void dsp_io_buf_free(void *buf);

const char *dsp_io_readmode_name(enum dsp_io_readmode m);

/*
 * ---- fault schedules (tests) ----
 * The memory backend always takes one. The real backend takes one only in
 * test builds (-DDSP_TEST_HOOKS: the sanitizer, fuzz and tsan builds): it is
 * read from $DISPOSE_TEST_FAULT whenever a target is opened, and applies to
 * every target the process opens. The release build never reads that variable.
 */
enum dsp_io_fault_kind {
	DSP_FAULT_EIO_WRITE,	/* pwrite touching [off, off+len) fails EIO */
	DSP_FAULT_EIO_READ,	/* pread touching the range fails EIO */
	DSP_FAULT_SHORT_WRITE,	/* pwrite covering off transfers only up to off */
	DSP_FAULT_EINTR_WRITE,	/* pwrite covering off fails EINTR */
	DSP_FAULT_EINTR_READ,
	DSP_FAULT_FLUSH,	/* flush fails EIO (off and len ignored) */
	DSP_FAULT_FLIP_READ,	/* the byte at off reads back inverted */
	DSP_FAULT_DROP_WRITE,	/* pwrite of the range "succeeds" but is lost */
	/* calls that move no data: OFFSET keys them, omitted = every call */
	DSP_FAULT_EIO_TRUNCATE,	/* truncate to a length in the range fails EIO */
	DSP_FAULT_EIO_IOCTL,	/* ioctl with a request number in the range fails EIO */
	DSP_FAULT_EIO_RENAME,	/* the target's rename number OFFSET (from 0) fails EIO */
	DSP_FAULT_EIO_UNLINK,	/* the target's unlink number OFFSET fails EIO */
};

struct dsp_io_fault {
	enum dsp_io_fault_kind kind;
	uint64_t off, len;	/* len 0 = 1; off 0 and len UINT64_MAX = any */
	int count;		/* times it fires; 0 = every time */
};

#define DSP_IO_MAX_FAULTS 32
#define DSP_IO_FAULT_ENV "DISPOSE_TEST_FAULT"

/*
 * Parse a fault list: items "KIND@OFFSET[+LENGTH][*COUNT]" separated by
 * ','. KIND is eio-write, eio-read, short-write, eintr-write, eintr-read,
 * flip-read or drop-write (OFFSET a byte offset), or one whose "@OFFSET"
 * may be left out (then it matches every call): eio-flush (OFFSET ignored),
 * eio-rename and eio-unlink (OFFSET counts that call on the target, from 0),
 * eio-truncate (the new length), eio-ioctl (the request number, e.g.
 * BLKGETSIZE64).
 * OFFSET and LENGTH are decimal or 0x hex with an optional K, M or G
 * (1024-based) suffix; LENGTH defaults to 1, COUNT to 0 (every time).
 * Example: "flip-read@1M+3,eio-write@0x200000*1,eio-rename@1". Fills out[0..max).
 * Returns the number of faults, or -EINVAL (bad syntax, or more than max).
 */
int dsp_io_fault_parse(const char *spec, struct dsp_io_fault *out, int max);
/* The fault's kind as spelled in a fault list ("flip-read"), or NULL. */
const char *dsp_io_fault_name(enum dsp_io_fault_kind kind);

/* ---- memory backend (tests) ---- */
/* A zero-filled memory target of size bytes with the given sector size. */
int dsp_io_mem_new(uint64_t size, uint32_t sector, struct dsp_io **out);
int dsp_io_mem_add_fault(struct dsp_io *io, const struct dsp_io_fault *f);
/* The backing bytes (for assertions). */
uint8_t *dsp_io_mem_data(struct dsp_io *io);
/* How many times pwrite/pread/flush were called. */
void dsp_io_mem_counts(struct dsp_io *io, uint64_t *writes, uint64_t *reads, uint64_t *flushes);
/*
 * The memory target answers BLKGETSIZE64, BLKSSZGET and BLKPBSZGET from
 * its facts (other requests: -ENOTTY) and truncates its bytes. It has no
 * name of its own: rename and unlink act on dirfd's entries when dirfd is
 * a directory (>= 0) and do nothing else, after its faults.
 */

#endif
