/* SPDX-License-Identifier: MIT */
/* extmap.c - did a file's overwrite land where its data was? (FIEMAP before and after) */
#include "erase_int.h"

#include <stdlib.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#define EXTMAP_BATCH	512
#define EXTMAP_MAX	(1u << 20)	/* extents kept; more and the check says unknown */

struct extmap {
	struct ranges phys;	/* physical ranges of the extents that hold data */
	struct ranges unwr;	/* unwritten (preallocated, zeroed) extents: the file
				   reads zeros there, the blocks may hold its old bytes */
	uint32_t flags;		/* every extent's fe_flags, or'ed */
	uint64_t count;		/* extents */
	bool unknown;		/* an extent without a known location, or too many */
};

static void extmap_add(struct extmap *m, const struct fiemap_extent *x)
{
	m->flags |= x->fe_flags;
	m->count++;
	if (x->fe_flags & FIEMAP_EXTENT_UNKNOWN) {
		m->unknown = true;
		return;
	}
	if (m->phys.n + m->unwr.n >= EXTMAP_MAX ||
	    ranges_add(x->fe_flags & FIEMAP_EXTENT_UNWRITTEN ? &m->unwr : &m->phys,
		       x->fe_physical, x->fe_length) < 0)
		m->unknown = true;
}

/*
 * The file's extents (synced first), every one of them (FIEMAP in batches),
 * or NULL when the filesystem won't say.
 */
struct extmap *erase_extmap_get(struct dsp_io *io)
{
	struct extmap *m = calloc(1, sizeof(*m));
	struct fiemap *fm = calloc(1, sizeof(*fm) + EXTMAP_BATCH * sizeof(struct fiemap_extent));
	uint64_t start = 0;
	bool last = false;

	if (!m || !fm)
		goto fail;
	while (!last) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = FIEMAP_MAX_OFFSET - start;
		fm->fm_flags = start ? 0 : FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = EXTMAP_BATCH;
		if (dsp_io_ioctl(io, FS_IOC_FIEMAP, fm) < 0)
			goto fail;
		if (!fm->fm_mapped_extents)
			break;
		for (uint32_t i = 0; i < fm->fm_mapped_extents; i++) {
			const struct fiemap_extent *x = &fm->fm_extents[i];

			extmap_add(m, x);
			last = x->fe_flags & FIEMAP_EXTENT_LAST;
			start = x->fe_logical + x->fe_length;
		}
		/* a batch that was not full was the end, LAST flag or not */
		if (fm->fm_mapped_extents < EXTMAP_BATCH)
			break;
		if (m->unknown && m->phys.n + m->unwr.n >= EXTMAP_MAX)
			break;
	}
	free(fm);
	ranges_normalize(&m->phys);
	ranges_normalize(&m->unwr);
	return m;
fail:
	free(fm);
	erase_extmap_free(m);
	return NULL;
}

void erase_extmap_free(struct extmap *m)
{
	if (m) {
		ranges_free(&m->phys);
		ranges_free(&m->unwr);
	}
	free(m);
}

/*
 * Bytes of the old physical ranges that no range of the new map covers:
 * where the old data may still lie. Both normalized (sorted, merged).
 * Filling a sparse file's holes adds ranges; it uncovers none.
 */
uint64_t erase_extmap_uncovered(const struct ranges *before, const struct ranges *after)
{
	uint64_t left = 0;
	size_t j = 0;

	for (size_t i = 0; i < before->n; i++) {
		uint64_t a = before->v[i].off, b = a + before->v[i].len;

		while (a < b) {
			/* the first new range that ends after a */
			while (j < after->n && after->v[j].off + after->v[j].len <= a)
				j++;
			if (j == after->n || after->v[j].off >= b) {
				left += b - a;
				break;
			}
			if (after->v[j].off > a)
				left += after->v[j].off - a;
			a = after->v[j].off + after->v[j].len;
		}
	}
	return left;
}

/*
 * Standards 5: did the overwrite land where the old data was? Each old
 * extent's physical range must lie under the new map (every byte of which
 * the overwrite wrote); compared before truncation, after the passes were
 * flushed (resumed: the map before the first session is not known).
 * Returns true when the old data may remain on the medium.
 */
bool erase_extmap_check(const struct erase_file_info *fi, bool resumed, struct json_object *f,
			struct json_object *cav)
{
	struct json_object *x = json_object_new_object();
	struct extmap *after = fi->before ? erase_extmap_get(fi->io) : NULL;
	const char *res;
	uint32_t fl = 0;
	bool remain = false;

	if (resumed) {
		/* the map taken now is not the one before the first session's writes */
		res = "unknown";
		json_object_array_add(cav, json_object_new_string(
			"resumed: the extents before the first session are not known: in-place "
			"overwrite not confirmed"));
	} else if (!fi->before || !after || fi->before->unknown || after->unknown) {
		res = "unknown";
		json_object_array_add(cav, json_object_new_string(
			"the filesystem does not report every extent's location (FIEMAP): in-place "
			"overwrite not confirmed"));
	} else {
		/* the new map's written extents are what the overwrite wrote; old
		 * unwritten ones count too, they may hold bytes the file once had */
		uint64_t left = erase_extmap_uncovered(&fi->before->phys, &after->phys) +
				erase_extmap_uncovered(&fi->before->unwr, &after->phys);

		fl = fi->before->flags | after->flags;
		res = left ? "relocated" : "in-place";
		json_object_object_add(x, "count", json_object_new_int64((int64_t)after->count));
		json_object_object_add(x, "count_before", json_object_new_int64((int64_t)fi->before->count));
		json_object_object_add(x, "uncovered_bytes", json_object_new_int64((int64_t)left));
		if (left) {
			remain = true;
			json_object_array_add(cav, json_object_new_string(
				"the filesystem wrote the overwrite to other blocks (FIEMAP: old extents "
				"not under the new ones): the old data may remain on the medium"));
		}
	}
	json_object_object_add(x, "result", json_object_new_string(res));
	json_object_object_add(x, "shared", json_object_new_boolean(!!(fl & FIEMAP_EXTENT_SHARED)));
	if (fl & FIEMAP_EXTENT_SHARED) {
		remain = true;
		json_object_array_add(cav, json_object_new_string(
			"extents shared with another file or snapshot (reflink): that copy keeps the "
			"old data, which may remain on the medium"));
	}
	if (fl & (FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_DATA_TAIL))
		json_object_array_add(cav, json_object_new_string(
			"data stored inline with metadata: copies in metadata blocks not addressed"));
	if (fl & FIEMAP_EXTENT_ENCODED) {
		remain = true;
		json_object_array_add(cav, json_object_new_string(
			"extents are compressed or encoded: the overwrite may not replace the stored "
			"bytes, and the old data may remain on the medium"));
	}
	json_object_object_add(f, "extents", x);
	erase_extmap_free(after);
	return remain;
}
