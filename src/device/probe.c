/* SPDX-License-Identifier: MIT */
/* probe.c - signatures on a block device (filesystem, container, partition table) with libblkid */
#include "dispose/device.h"

#include <blkid.h>
#include <errno.h>
#include <string.h>

static void take(blkid_probe pr, const char *name, char *dst, size_t len)
{
	const char *v = NULL;
	size_t l;

	dst[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &v, NULL) || !v)
		return;
	l = strnlen(v, len - 1);
	memcpy(dst, v, l);
	dst[l] = '\0';
}

int dsp_device_probe(const char *path, bool disk, struct dsp_device_sig *sig)
{
	blkid_probe pr;
	int r, pr_r;

	memset(sig, 0, sizeof(*sig));
	errno = 0;
	/* libblkid's low-level probe opens the device read-only */
	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return errno ? -errno : -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_LABEL | BLKID_SUBLKS_VERSION |
					  BLKID_SUBLKS_USAGE);
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		take(pr, "TYPE", sig->type, sizeof(sig->type));
		take(pr, "UUID", sig->uuid, sizeof(sig->uuid));
		take(pr, "LABEL", sig->label, sizeof(sig->label));
		take(pr, "VERSION", sig->version, sizeof(sig->version));
		take(pr, "USAGE", sig->usage, sizeof(sig->usage));
	}
	/* two signatures that contradict each other: named, not guessed */
	sig->ambiguous = r == -2;
	if (disk) {
		/* the partition table, as a second pass over the same reader */
		blkid_probe_enable_superblocks(pr, 0);
		blkid_probe_enable_partitions(pr, 1);
		pr_r = blkid_do_safeprobe(pr);
		if (pr_r == 0) {
			take(pr, "PTTYPE", sig->pttype, sizeof(sig->pttype));
			take(pr, "PTUUID", sig->ptuuid, sizeof(sig->ptuuid));
		}
	}
	blkid_free_probe(pr);
	return r == -1 ? -EIO : 0;
}
