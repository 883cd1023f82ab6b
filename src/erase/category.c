/* SPDX-License-Identifier: MIT */
/* category.c - what a result may claim (NIST SP 800-88 category) and its caveats */
#include "erase_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dispose/json.h"

static const struct {
	long magic;
	const char *name;
} fstypes[] = {
	{ 0xEF53, "ext4" },		/* ext2/3/4 share the magic */
	{ 0x58465342, "xfs" },
	{ 0x9123683E, "btrfs" },
	{ 0x01021994, "tmpfs" },
	{ 0x858458f6, "ramfs" },
	{ 0x2fc12fc1, "zfs" },
	{ 0xF2F52010, "f2fs" },
	{ 0x3434, "nilfs" },
	{ 0xca451a4e, "bcachefs" },
	{ 0x6969, "nfs" },
	{ 0xFF534D42, "cifs" },
	{ 0x794c7630, "overlayfs" },
	{ 0x65735546, "fuse" },
	{ 0x4d44, "vfat" },
	{ 0x2011BAB0, "exfat" },
	{ 0x5346544e, "ntfs" },
	{ 0x73717368, "squashfs" },
	{ 0x52654973, "reiserfs" },
	{ 0x3153464a, "jfs" },
	{ 0x9fa0, "proc" },
	{ 0x62656572, "sysfs" },
};

const char *erase_fstype_name(long f_type)
{
	for (size_t i = 0; i < DSP_ARRAY_SIZE(fstypes); i++)
		if ((unsigned long)fstypes[i].magic == ((unsigned long)f_type & 0xffffffffUL))
			return fstypes[i].name;
	return "unknown";
}

/* Copy-on-write or log-structured: an overwrite lands in new blocks. */
bool erase_fstype_cow(const char *name)
{
	static const char *const cow[] = { "btrfs", "zfs", "f2fs", "nilfs", "bcachefs" };

	for (size_t i = 0; i < DSP_ARRAY_SIZE(cow); i++)
		if (!strcmp(name, cow[i]))
			return true;
	return false;
}

/*
 * Sectors of an ATA drive's hidden area (opts->hidden: HPA/DCO) beyond what
 * the overwrite covered: the largest of the accessible, native and DCO max
 * against the size written, in logical sectors. 0: none, or not known.
 */
static uint64_t hidden_left(const struct eng *e)
{
	struct json_object *h = e->o->hidden;
	uint64_t a = 0, n = 0, d = 0, lss = e->io->logical_sector ? e->io->logical_sector : 512;
	uint64_t covered = e->io->size / lss;

	if (!h || e->fi || e->io->kind != DSP_IO_BLOCK || e->partition)
		return 0;
	dsp_json_u64(h, "accessible_sectors", &a);
	dsp_json_u64(h, "native_sectors", &n);
	dsp_json_u64(h, "dco_sectors", &d);
	a = a > n ? a : n;
	a = a > d ? a : d;
	return a > covered ? a - covered : 0;
}

/* The category reason for a hidden area left (one per thread: targets run in threads). */
static const char *hidden_reason(const struct eng *e, uint64_t left)
{
	static _Thread_local char buf[400];
	struct json_object *rst = NULL;
	const char *err;

	json_object_object_get_ex(e->o->hidden, "restore", &rst);
	err = dsp_json_str(rst, "error");
	if (!rst)
		snprintf(buf, sizeof(buf), "the drive hides %" PRIu64 " sectors (HPA/DCO) that were "
			 "not overwritten; --restore-hidden restores them", left);
	else if (err)
		snprintf(buf, sizeof(buf), "the drive hides %" PRIu64 " sectors (HPA/DCO) that were "
			 "not overwritten; --restore-hidden could not restore them: %s", left, err);
	else
		snprintf(buf, sizeof(buf), "%" PRIu64 " sectors restored from the drive's hidden area "
			 "(HPA/DCO) were not overwritten: the kernel still reports the size from before "
			 "(rescan the disk, then erase again)", left);
	return buf;
}

/*
 * Clear: a whole block device, every byte of every pass written with no
 * bad range, read back (all, the last pass, or a NIST SP 800-88r1 sample of
 * it) with no mismatch and nothing unreadable. Else none, and *why says
 * which condition failed. A partition is not the medium (standards 8 rule 3).
 */
const char *erase_category(const struct eng *e, int status, const char **why)
{
	const char *w = NULL;

	if (e->fi)
		w = "file-level overwrite";
	else if (e->io->kind != DSP_IO_BLOCK)
		w = "not a block device";
	else if (e->partition)
		w = "partition, not the whole medium";
	else if (!e->io->size)
		w = "nothing to overwrite (size 0)";
	else if (status == DSP_INTERRUPTED)
		w = "interrupted";
	else if (status < 0)
		w = "failed";
	else if (status == DSP_MISMATCH || e->mismatches)
		w = "verification found mismatches";
	else if (e->vmode == DSP_VERIFY_NONE)
		w = "not verified";
	else if (status != 0 || e->unreadable.n)
		w = "not every byte was written and verified";
	for (unsigned i = 0; !w && i < e->np; i++)
		if (!e->ps[i].ended || e->ps[i].bad.n)
			w = "not every byte was written and verified";
	if (!w && hidden_left(e))	/* an ATA drive's HPA/DCO: sectors the overwrite never saw */
		w = hidden_reason(e, hidden_left(e));
	if (why)
		*why = w;
	return w ? "none" : "clear";
}

void erase_verification_text(const struct eng *e, char *buf, size_t len)
{
	const struct pass_state *last = e->np ? &e->ps[e->np - 1] : NULL;
	uint64_t unread = 0;
	size_t k;

	for (size_t i = 0; i < e->unreadable.n; i++)
		unread += e->unreadable.v[i].len;
	if (e->vmode == DSP_VERIFY_NONE)
		snprintf(buf, len, "not verified: no read-back");
	else if (!e->verified_bytes && e->io->size)
		snprintf(buf, len, "not verified: the read-back did not run to its end");
	else if (e->vmode == DSP_VERIFY_ALL)
		snprintf(buf, len, "verified: every byte of every pass read back");
	else if (e->vmode == DSP_VERIFY_LAST)
		snprintf(buf, len, "verified: every byte of the last pass read back");
	else
		snprintf(buf, len, "verified: sampled %g%% of the last pass read back "
			 "(sampled-800-88r1: 2 pseudorandom extents in each of up to 1000 strata, "
			 "the first and last MiB; splitmix64 seed %016" PRIx64 ")", e->pct,
			 e->vsampled ? e->vseed : last ? last->vseed : 0);
	/* "every byte" must not stand when some could not be read back */
	k = strlen(buf);
	if (unread && e->vmode != DSP_VERIFY_NONE && k < len)
		snprintf(buf + k, len - k, ", except %" PRIu64 " unreadable byte%s (not verified)",
			 unread, unread == 1 ? "" : "s");
}

static void add(struct json_object *a, const char *s)
{
	json_object_array_add(a, json_object_new_string(s));
}

/* What is known of an ATA drive's hidden area (HPA/DCO), as a caveat; nothing when none is left. */
static void hidden_caveat(const struct eng *e, struct json_object *a)
{
	struct json_object *h = e->o->hidden;
	uint64_t left = hidden_left(e);
	bool examined = false;
	char buf[400];

	if (!h) {
		add(a, "host protected area / device configuration overlay not examined: the "
		       "overwrite covers the size the kernel reports");
		return;
	}
	dsp_json_bool(h, "examined", &examined);
	if (left) {
		snprintf(buf, sizeof(buf), "host protected area / device configuration overlay: %"
			 PRIu64 " sectors beyond the size the kernel reports were not overwritten", left);
		add(a, buf);
	} else if (!examined) {
		const char *why = dsp_json_str(h, "reason");

		snprintf(buf, sizeof(buf), "host protected area / device configuration overlay not "
			 "fully examined (%s): the overwrite covers the size the kernel reports",
			 why ? why : "the drive did not say");
		add(a, buf);
	}
}

/* Said of old data that may still be on the medium: the verdict's "old_data_may_remain". */
#define COW_CAVEAT "copy-on-write/log-structured filesystem (btrfs, zfs, f2fs, nilfs): the " \
		   "overwrite is written to new blocks and the old data may remain"

struct json_object *erase_caveats(const struct eng *e, bool *remain)
{
	struct json_object *a = json_object_new_array();

	*remain = false;
	if (e->fi) {
		const char *fs = e->fi->fstype;

		add(a, "file-level overwrite is partial sanitization (NIST SP 800-88r2 4.2), not a "
		       "NIST Clear, Purge or Destroy of any medium; copies in journals, snapshots, "
		       "backups, flash spare areas or replicas are not addressed");
		if (erase_fstype_cow(fs)) {
			add(a, COW_CAVEAT);
			*remain = true;
		} else if (!strcmp(fs, "ext4") || !strcmp(fs, "xfs")) {
			add(a, "journaling filesystem: data=journal mode or the journal may hold copies");
		} else if (!strcmp(fs, "tmpfs")) {
			add(a, "tmpfs: pages may have been written to swap");
		} else if (!strcmp(fs, "nfs") || !strcmp(fs, "cifs") || !strcmp(fs, "fuse") ||
			 !strcmp(fs, "overlayfs")) {
			add(a, "network/stacked filesystem: the overwrite may not reach the storage in place");
		}
		if (e->fi->nlink > 1)
			add(a, "hard-linked file: other names of this inode remained until unlink");
		if (e->fi->caveats) {
			size_t n = json_object_array_length(e->fi->caveats);

			for (size_t i = 0; i < n; i++)
				json_object_array_add(a, json_object_get(
					json_object_array_get_idx(e->fi->caveats, i)));
		}
	} else {
		if (e->rotational == 0)
			add(a, "flash: over-provisioned/spare areas not addressed");
		else if (e->rotational < 0 && e->io->kind == DSP_IO_BLOCK)
			add(a, "medium type unknown: if flash, over-provisioned/spare areas not addressed");
		if (e->partition)
			add(a, "a partition, not the whole device: the rest of the medium (other "
			       "partitions, partition table, unpartitioned space) was not addressed");
		else if (e->io->kind == DSP_IO_BLOCK)
			hidden_caveat(e, a);
		if (e->dev && e->dev->backing_file[0])
			add(a, "a loop device: the overwrite reached its backing file, a file on a "
			       "filesystem; where that file's data lies on the underlying medium "
			       "(copy-on-write, snapshots, relocated blocks) was not addressed");
		add(a, "host overwrite is never Purge (NIST SP 800-88)");
	}
	if (e->vmode == DSP_VERIFY_NONE)
		add(a, "not verified: no read-back");
	else if (e->vmode == DSP_VERIFY_SAMPLE)
		add(a, "sampled verification detects systematic failure, not isolated unwritten blocks");
	return a;
}

void erase_keep_end(const struct dsp_erase_opts *o, struct json_object *keep, int r)
{
	if (r < 0 || !o->end) {
		json_object_put(keep);
		return;
	}
	json_object_put(*o->end);
	*o->end = keep;
}

static bool has_string(struct json_object *a, const char *s)
{
	size_t n = json_object_array_length(a);

	for (size_t i = 0; i < n; i++) {
		const char *x = json_object_get_string(json_object_array_get_idx(a, i));

		if (x && !strcmp(x, s))
			return true;
	}
	return false;
}

void erase_caveats_union(struct json_object *set, struct json_object *a, const char *skip)
{
	size_t n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(a, i);
		const char *s = json_object_is_type(c, json_type_string) ?
				json_object_get_string(c) : NULL;

		if (s && (!skip || strcmp(s, skip)) && !has_string(set, s))
			add(set, s);
	}
}

/* ---- the verdict: a target_end in words ---- */

/* A block device's or file's bad bytes: the sum of its bad_ranges' lengths. */
static uint64_t bad_range_bytes(struct json_object *end)
{
	struct json_object *a;
	uint64_t sum = 0, n;

	if (!end || !json_object_object_get_ex(end, "bad_ranges", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (dsp_json_u64(json_object_array_get_idx(a, i), "length", &n) == 0)
			sum += n;
	return sum;
}

static const char *result_words(struct json_object *end, const char *status, char *buf,
				size_t len)
{
	const char *v = dsp_json_str(end, "verification"), *err = dsp_json_str(end, "error");
	uint64_t n = 0;
	bool remain = false;

	dsp_json_bool(end, "old_data_may_remain", &remain);
	if (!strcmp(status, "success"))
		return v && !strncmp(v, "not verified", 12) ? "written, not verified" : "success";
	if (!strcmp(status, "interrupted") && !end)
		return "interrupted before it started (resumable with --resume)";
	if (!strcmp(status, "completed-with-errors") || !strcmp(status, "interrupted")) {
		/* every reason the record gives, not only the first; an interruption's so far */
		bool intr = !strcmp(status, "interrupted");
		size_t k = (size_t)snprintf(buf, len, intr ? "interrupted (resumable with --resume)" :
					    "completed with errors");
		const char *sep = intr ? "; so far: " : ": ";

#define WHY(...)	do { \
			if (k < len) \
				k += (size_t)snprintf(buf + k, len - k, "%s", sep); \
			if (k < len) \
				k += (size_t)snprintf(buf + k, len - k, __VA_ARGS__); \
			sep = ", "; \
		} while (0)
		if (dsp_json_u64(end, "mismatches", &n) == 0 && n)
			WHY("%" PRIu64 " byte%s read back differently", n, n == 1 ? "" : "s");
		if (remain)
			WHY("the old data may remain on the medium");
		if (dsp_json_u64(end, "hard_links_remain", &n) == 0 && n)
			WHY("%" PRIu64 " file%s with hard links outside the tree not overwritten",
			    n, n == 1 ? "" : "s");
		if ((dsp_json_u64(end, "bad_bytes", &n) == 0 && n) || (n = bad_range_bytes(end)))
			WHY("%" PRIu64 " byte%s in bad ranges not erased", n, n == 1 ? "" : "s");
		if (dsp_json_u64(end, "entries_left", &n) == 0 && n)
			WHY("%" PRIu64 " entr%s of the tree skipped or failed, left in place",
			    n, n == 1 ? "y" : "ies");
		if (err && !intr)	/* a step after the overwrite (rename, unlink) */
			WHY("%s", err);
#undef WHY
		return buf;
	}
	if (!end)	/* the record could not take it: say so, claim nothing */
		snprintf(buf, len, "%s: no end in the run record", status);
	else
		snprintf(buf, len, "%s%s%s", status, err ? ": " : "", err ? err : "");
	return buf;
}

struct json_object *dsp_erase_verdict(struct json_object *end, const char *status)
{
	struct json_object *o = json_object_new_object(), *cav = NULL, *v;
	const char *st = dsp_json_str(end, "status"), *cat = dsp_json_str(end, "nist_category");
	const char *why = dsp_json_str(end, "category_reason");
	char buf[512], cw[160];
	bool remain = false;
	uint64_t n;

	if (!o)
		return NULL;
	st = st ? st : status ? status : "failed";
	cat = cat ? cat : "none";
	if (!why && strcmp(cat, "clear") && strcmp(cat, "purge")) {
		bool refused = false;

		dsp_json_bool(end, "refused", &refused);
		why = refused ? "refused" : !end ? "no end in the run record" :
		      strcmp(st, "success") ? "not erased" : "not said in the record";
	}
	dsp_json_bool(end, "old_data_may_remain", &remain);
	json_object_object_add(o, "status", json_object_new_string(st));
	json_object_object_add(o, "result", json_object_new_string(result_words(end, st, buf,
										sizeof(buf))));
	json_object_object_add(o, "nist_category", json_object_new_string(cat));
	if (!strcmp(cat, "clear"))
		snprintf(cw, sizeof(cw), "NIST SP 800-88 Clear");
	else if (!strcmp(cat, "purge"))
		snprintf(cw, sizeof(cw), "NIST SP 800-88 Purge");
	else
		snprintf(cw, sizeof(cw), "no NIST category: %s", why);
	json_object_object_add(o, "category", json_object_new_string(cw));
	json_object_object_add(o, "verification", json_object_new_string(
		dsp_json_str(end, "verification") ? dsp_json_str(end, "verification") :
		end ? "not verified" : "verification: no end in the run record"));
	json_object_object_add(o, "old_data_may_remain", json_object_new_boolean(remain));
	n = 0;
	dsp_json_u64(end, "bytes_written", &n);
	json_object_object_add(o, "bytes_written", json_object_new_uint64(n));
	n = 0;
	dsp_json_u64(end, "bytes_verified", &n);
	json_object_object_add(o, "bytes_verified", json_object_new_uint64(n));
	cav = json_object_new_array();
	if (end && json_object_object_get_ex(end, "caveats", &v))
		erase_caveats_union(cav, v, NULL);
	json_object_object_add(o, "caveats", cav);
	return o;
}
