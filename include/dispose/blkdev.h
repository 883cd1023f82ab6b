/* SPDX-License-Identifier: MIT */
/* blkdev.h - facts about a block device from sysfs and /proc: identity and use */
#ifndef DISPOSE_BLKDEV_H
#define DISPOSE_BLKDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct dsp_blkdev_info {
	char path[256];		/* /dev/NAME */
	char name[64];		/* kernel name, e.g. loop3, sda1 */
	char disk[64];		/* whole-disk kernel name (== name for a disk) */
	dev_t devno;
	bool is_partition;
	uint64_t size;		/* bytes */
	uint32_t logical_sector, physical_sector;
	int rotational;		/* 1, 0, or -1 unknown */
	int removable;
	char model[128], serial[128], wwn[128], vendor[64], transport[32];
	char backing_file[512];	/* loop devices */
};

/* Identity of the block device at path (a /dev node). 0 or -errno. */
int dsp_blkdev_info(const char *path, struct dsp_blkdev_info *info);

/*
 * Why a device (or any of its partitions, or the disk it is part of, when
 * it is a partition) must not be written. Filled by dsp_blkdev_in_use.
 */
struct dsp_blkdev_use {
	bool mounted;		/* it or one of its partitions is mounted */
	char mountpoint[512];	/* the first mountpoint found */
	char mounted_dev[64];	/* which kernel name is mounted */
	bool holds_root;	/* / lives on it */
	bool swap_active;
	char swap_dev[64];
	bool has_holders;	/* holders/ not empty (LVM, MD, dm-crypt) */
	char holder[64];
};

/*
 * Check the device at path against the safety rules. Returns 0 and fills
 * use (the caller refuses if any flag is set), or -errno.
 */
int dsp_blkdev_in_use(const char *path, struct dsp_blkdev_use *use);

/* One line naming the first reason in use, e.g. "device is mounted on /srv". */
const char *dsp_blkdev_use_reason(const struct dsp_blkdev_use *use, char *buf, size_t len);

#endif
