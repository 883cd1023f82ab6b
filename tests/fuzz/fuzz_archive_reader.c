/* SPDX-License-Identifier: MIT */
/*
 * fuzz_archive_reader.c - bytes as a plain archive, through archive verify:
 * the tar reader's entries, path checks, the entry index, hashing, the bag
 * files (bag-info, manifests, tag manifest) and Payload-Oxum.
 *
 * Input: one mode byte, then the archive. Mode 0: the bytes are the
 * archive as stored (pax tar in zstd). Any other mode: the bytes are the
 * tar itself, compressed here, so that mutations reach the tar and bag
 * logic instead of failing zstd's frame checks. Seeds: archives dispose
 * archive create made, and the hostile bags of tests/data/craft_bag.py,
 * both ways.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <archive.h>
#include <archive_entry.h>

#include "dispose/archive.h"
#include "dispose/common.h"
#include "../../src/archive/archive_int.h"

/*
 * Verify hashes a sparse file's holes as zeros, and zstd expands without
 * bound: a few bytes can ask for hours of work, which is the input's right
 * (create hashes holes the same way), not a bug to find. Such inputs are
 * passed over.
 */
#define MAX_TAR (8u << 20)
#define MAX_ENTRY (1u << 20)

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static la_ssize_t buf_write(struct archive *a, void *arg, const void *data, size_t n)
{
	struct buf *b = arg;

	(void)a;
	if (b->len + n > b->cap) {
		size_t nc = (b->len + n) * 2;
		unsigned char *np = realloc(b->p, nc);

		if (!np)
			return -1;
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return (la_ssize_t)n;
}

/* The tar inside data (zstd or not) into out, at most MAX_TAR bytes: 0 or -1. */
static int untar(const uint8_t *data, size_t size, struct buf *out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const void *blk;
	size_t len;
	la_int64_t off;
	int r, rc = -1;

	if (!a)
		return -1;
	archive_read_support_filter_zstd(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, data, size) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		goto out;
	for (;;) {
		r = archive_read_data_block(a, &blk, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK || out->len + len > MAX_TAR ||
		    buf_write(NULL, out, blk, len) < 0)
			goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

/* Every entry's size (a sparse file's whole size) within MAX_ENTRY: 1. */
static int sizes_ok(const struct buf *tar)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r, ok = 1;

	if (!a)
		return 0;
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, tar->p, tar->len) != ARCHIVE_OK) {
		archive_read_free(a);
		return 1;	/* verify says why */
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (archive_entry_size(e) > MAX_ENTRY) {
			ok = 0;
			break;
		}
	archive_read_free(a);
	return ok;
}

/* tar in zstd (the fastest level: only the tar matters here), into out. */
static int zstd(const struct buf *tar, struct buf *out)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	if (!a || !e)
		goto out;
	archive_write_add_filter_zstd(a);
	archive_write_set_filter_option(a, "zstd", "compression-level", "1");
	archive_write_set_format_raw(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open(a, out, NULL, buf_write, NULL) != ARCHIVE_OK)
		goto out;
	archive_entry_set_pathname(e, "tar");
	archive_entry_set_filetype(e, AE_IFREG);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (tar->len && archive_write_data(a, tar->p, tar->len) != (la_ssize_t)tar->len) ||
	    archive_write_close(a) != ARCHIVE_OK)
		goto out;
	rc = 0;
out:
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf tar = { 0 }, z = { 0 };
	const uint8_t *arc;
	size_t alen;
	int fd = -1;

	if (size < 1)
		return 0;
	if (data[0] == 0) {
		arc = data + 1;
		alen = size - 1;
		if (untar(arc, alen, &tar) || !sizes_ok(&tar))
			goto out;
	} else {
		tar.p = malloc(size);
		if (!tar.p)
			goto out;
		memcpy(tar.p, data + 1, size - 1);
		tar.len = size - 1;
		if (!sizes_ok(&tar) || zstd(&tar, &z))
			goto out;
		arc = z.p;
		alen = z.len;
	}
	fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd < 0 || write(fd, arc, alen) != (ssize_t)alen || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	{
		struct arc_verify v;
		struct dsp_archive_result res;
		struct arc_locale loc;
		int rc;

		memset(&v, 0, sizeof(v));
		arc_locale_enter(&loc);
		rc = arc_verify_plain_fd(fd, &v, &res);
		arc_locale_leave(&loc);
		/* every verdict is one of the documented ones, with a reason when not 0 */
		if (rc > 0 && ((rc != DSP_MISMATCH && rc != DSP_INVALID && rc != DSP_REFUSED) ||
			       !res.bad_path[0]))
			abort();
		if (rc == 0 && v.meta.has_oxum && res.files != v.meta.oxum_files)
			abort();
	}
out:
	if (fd >= 0)
		close(fd);
	free(tar.p);
	free(z.p);
	return 0;
}
