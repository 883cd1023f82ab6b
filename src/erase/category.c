/* SPDX-License-Identifier: MIT */
/* category.c - what a result may claim (NIST SP 800-88 category) and its caveats */
#include "erase_int.h"

#include <string.h>

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
 * Whole block device, everything written, verified, nothing bad: Clear;
 * else none. A partition is not the medium (standards 8 rule 3).
 */
const char *erase_category(const struct eng *e, int status)
{
	if (e->fi || e->io->kind != DSP_IO_BLOCK || e->partition || !e->io->size)
		return "none";
	if (status != 0 || e->vmode == DSP_VERIFY_NONE)
		return "none";
	for (unsigned i = 0; i < e->np; i++)
		if (!e->ps[i].ended || e->ps[i].bad.n)
			return "none";
	return e->mismatches || e->unreadable.n ? "none" : "clear";
}

const char *dsp_erase_category(const struct dsp_io *io, int status, bool rotational_known_flash)
{
	(void)rotational_known_flash;	/* flash is still Clear at most, with a caveat */
	if (!io || io->kind != DSP_IO_BLOCK || status != 0)
		return "none";
	return "clear";
}

static void add(struct json_object *a, const char *s)
{
	json_object_array_add(a, json_object_new_string(s));
}

struct json_object *erase_caveats(const struct eng *e, const char *category)
{
	struct json_object *a = json_object_new_array();

	if (e->fi) {
		const char *fs = e->fi->fstype;

		add(a, "file-level overwrite is partial sanitization (NIST SP 800-88r2 4.2), not a "
		       "NIST Clear, Purge or Destroy of any medium; copies in journals, snapshots, "
		       "backups, flash spare areas or replicas are not addressed");
		if (erase_fstype_cow(fs))
			add(a, "copy-on-write/log-structured filesystem (btrfs, zfs, f2fs, nilfs): the "
			       "overwrite is written to new blocks and the old data may remain");
		else if (!strcmp(fs, "ext4") || !strcmp(fs, "xfs"))
			add(a, "journaling filesystem: data=journal mode or the journal may hold copies");
		else if (!strcmp(fs, "tmpfs"))
			add(a, "tmpfs: pages may have been written to swap");
		else if (!strcmp(fs, "nfs") || !strcmp(fs, "cifs") || !strcmp(fs, "fuse") ||
			 !strcmp(fs, "overlayfs"))
			add(a, "network/stacked filesystem: the overwrite may not reach the storage in place");
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
			add(a, "host protected area / device configuration overlay not examined: the "
			       "overwrite covers the size the kernel reports");
		add(a, "host overwrite is never Purge (NIST SP 800-88)");
	}
	if (e->vmode == DSP_VERIFY_NONE)
		add(a, "not verified: no read-back");
	else if (e->vmode == DSP_VERIFY_SAMPLE)
		add(a, "sampled verification detects systematic failure, not isolated unwritten blocks");
	if (strcmp(category, "clear") && !e->fi && e->io->kind == DSP_IO_BLOCK && !e->partition)
		add(a, "no NIST category: not every byte was written and verified clean");
	return a;
}
