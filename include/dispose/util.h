/* SPDX-License-Identifier: MIT */
/* util.h - small shared helpers: whole small files, hex */
#ifndef DISPOSE_UTIL_H
#define DISPOSE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- whole small files ---- */

#define DSP_FILE_NOFOLLOW 0x1	/* the last component may not be a symlink (-ELOOP) */
#define DSP_FILE_EXCL	  0x2	/* write: a new file only (-EEXIST), not a replacement */

/*
 * Read the whole regular file at path into a new NUL-terminated buffer
 * (*len, may be NULL, excludes the NUL), to EOF whatever its stat size
 * says (/proc, sysfs). Opened O_NONBLOCK|O_NOCTTY|O_CLOEXEC, so a FIFO
 * planted there does not hang the caller. Returns 0, -EINVAL (not a
 * regular file), -EFBIG (more than max bytes, also when it grew while
 * read), -ENOMEM or -errno; *out is NULL on error. Free with free().
 */
int dsp_file_read(const char *path, size_t max, unsigned flags, char **out, size_t *len);
/* The same from an open fd (read from its current offset; not closed). */
int dsp_file_read_fd(int fd, size_t max, char **out, size_t *len);
/*
 * Into buf: at most cap - 1 bytes and a NUL (a sysfs attribute, a status
 * file). Same returns; -EFBIG when the file holds cap bytes or more.
 */
int dsp_file_read_buf(const char *path, unsigned flags, char *buf, size_t cap, size_t *len);

/*
 * Write len bytes as the whole file at path with mode (umask applies),
 * never through a symlink, synced (file and directory) before returning.
 * By default the file is replaced atomically: written to a temporary name
 * in the same directory and renamed over path, so a reader or a crash sees
 * the old bytes or the new, never a part. DSP_FILE_EXCL: path must not
 * exist (-EEXIST). 0 or -errno; on error path is unchanged (EXCL: removed).
 */
int dsp_file_write(const char *path, const void *buf, size_t len, mode_t mode, unsigned flags);
/*
 * p made absolute (against the working directory), without empty or "."
 * components (".." is kept: links make it ambiguous); a new string, NULL
 * on ENOMEM or when the working directory is unknown.
 */
char *dsp_path_absolute(const char *p);
/*
 * Read into buf until cap bytes or EOF, retrying EINTR: at off (pread), or
 * from the current offset when off < 0. Bytes read or -errno.
 */
ssize_t dsp_read_full(int fd, void *buf, size_t cap, off_t off);

/* ---- hex ---- */

/* n bytes as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void dsp_hex(const void *buf, size_t n, char *out);
/* The SHA-256 of buf[len] as 64 lower-case hex digits and a NUL: 0 or -EIO. */
int dsp_sha256_hex(const void *buf, size_t len, char out[65]);
/* The same in a new buffer (free()); NULL when out of memory. */
char *dsp_hex_dup(const void *buf, size_t n);
/* A hex digit's value (either case), or -1. */
int dsp_hex_val(int c);
/*
 * Exactly slen hex digits (either case) into out (at most max bytes);
 * *n (may be NULL) gets slen / 2. 0, -EINVAL (odd length, not a digit)
 * or -E2BIG (more than max bytes).
 */
int dsp_unhex(const char *s, size_t slen, void *out, size_t max, size_t *n);

/* What `openssl x509 -noout -subject` prints after "subject=" (ONELINE); NULL on ENOMEM. */
typedef struct X509_name_st X509_NAME;
char *dsp_x509_name_text(const X509_NAME *name);

#endif
