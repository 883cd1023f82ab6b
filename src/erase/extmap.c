/* SPDX-License-Identifier: MIT */
/* extmap.c - did a file's overwrite land where its data was? (FIEMAP before and after) */
#include "erase_int.h"

#include <stdlib.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#define EXTMAP_MAX 512

struct extmap {
	struct fiemap *fm;	/* with EXTMAP_MAX extents after it */
};

/* The file's extents (synced first), or NULL when the filesystem won't say. */
struct extmap *erase_extmap_get(struct dsp_io *io)
{
	struct extmap *m = calloc(1, sizeof(*m));

	if (!m || !(m->fm = calloc(1, sizeof(struct fiemap) +
				      EXTMAP_MAX * sizeof(struct fiemap_extent)))) {
		free(m);
		return NULL;
	}
	m->fm->fm_start = 0;
	m->fm->fm_length = FIEMAP_MAX_OFFSET;
	m->fm->fm_flags = FIEMAP_FLAG_SYNC;
	m->fm->fm_extent_count = EXTMAP_MAX;
	if (dsp_io_ioctl(io, FS_IOC_FIEMAP, m->fm) < 0) {
		erase_extmap_free(m);
		return NULL;
	}
	return m;
}

void erase_extmap_free(struct extmap *m)
{
	if (m)
		free(m->fm);
	free(m);
}

static bool extmap_same(const struct extmap *a, const struct extmap *b)
{
	const struct fiemap_extent *x = a->fm->fm_extents, *y = b->fm->fm_extents;

	if (a->fm->fm_mapped_extents != b->fm->fm_mapped_extents)
		return false;
	for (uint32_t i = 0; i < a->fm->fm_mapped_extents; i++)
		if (x[i].fe_logical != y[i].fe_logical || x[i].fe_physical != y[i].fe_physical ||
		    x[i].fe_length != y[i].fe_length)
			return false;
	return true;
}

static uint32_t extmap_flags(const struct extmap *m)
{
	uint32_t f = 0;

	for (uint32_t i = 0; i < m->fm->fm_mapped_extents; i++)
		f |= m->fm->fm_extents[i].fe_flags;
	return f;
}

/*
 * Standards 5: say whether the filesystem wrote the overwrite in place.
 * Compared before truncation, after the passes were flushed.
 */
void erase_extmap_check(const struct erase_file_info *fi, struct json_object *f,
			struct json_object *cav)
{
	struct json_object *x = json_object_new_object();
	struct extmap *after = fi->before ? erase_extmap_get(fi->io) : NULL;
	const char *res;
	uint32_t fl = 0;

	if (!fi->before || !after) {
		res = "unknown";
		json_object_array_add(cav, json_object_new_string(
			"the filesystem does not report extents (FIEMAP): in-place overwrite not confirmed"));
	} else {
		fl = extmap_flags(fi->before) | extmap_flags(after);
		res = extmap_same(fi->before, after) ? "in-place" : "relocated";
		json_object_object_add(x, "count", json_object_new_int((int)after->fm->fm_mapped_extents));
		if (!strcmp(res, "relocated"))
			json_object_array_add(cav, json_object_new_string(
				"the filesystem wrote the overwrite to other blocks (FIEMAP before and "
				"after differ): the old data may remain on the medium"));
	}
	json_object_object_add(x, "result", json_object_new_string(res));
	json_object_object_add(x, "shared", json_object_new_boolean(!!(fl & FIEMAP_EXTENT_SHARED)));
	if (fl & FIEMAP_EXTENT_SHARED)
		json_object_array_add(cav, json_object_new_string(
			"extents shared with another file or snapshot (reflink): that copy keeps the old data"));
	if (fl & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL))
		json_object_array_add(cav, json_object_new_string(
			"data stored inline with metadata: copies in metadata blocks not addressed"));
	if (fl & FIEMAP_EXTENT_ENCODED)
		json_object_array_add(cav, json_object_new_string(
			"extents are compressed or encoded: the overwrite may not replace the stored bytes"));
	json_object_object_add(f, "extents", x);
	erase_extmap_free(after);
}
