/* SPDX-License-Identifier: MIT */
/*
 * device.h - the device module, the one owner of block device facts: its
 * identity (sysfs, VPD, udev), signatures (libblkid), what uses it (mounts,
 * swap, holders, loop backing files), its record identity (dsp_identity_*),
 * a user's name for it resolved once, and the erase lock; looked up by
 * device number (the dsp_blkdev_* forms taking a path stat() it once).
 */
#ifndef DISPOSE_DEVICE_H
#define DISPOSE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

/*
 * Where the system is read from. Every function below that reads /sys,
 * /proc/self/mountinfo or /proc/swaps has a dsp_device_* form taking root:
 * NULL or "" reads the running system; a directory reads a fake tree under
 * it, so that tests need no root and no devices. A fake root holds:
 *   ROOT/proc/self/mountinfo, ROOT/proc/swaps      (text as the kernel writes it)
 *   ROOT/sys/dev/block/M:m -> symlink whose last component is the kernel
 *                             name, its parent the disk's for a partition
 *                             (e.g. ../../class/block/sda/sda1)
 *   ROOT/sys/class/block/NAME/{dev,size,ro,removable,partition,start,
 *        queue/rotational,holders/,slaves/,loop/backing_file,loop/offset,
 *        device/{model,vendor,serial,wwid}}
 *                            (a partition NAME as ROOT/sys/class/block/DISK/NAME
 *                             with ROOT/sys/class/block/NAME linking to it)
 * /dev paths named in the fake files (swaps, mount sources, loop backing
 * files) are looked up by name in ROOT/sys/class/block; other paths are
 * stat()ed under ROOT. tests/unit/device_fake.h builds such trees.
 */

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
	bool read_only;		/* ro: write-protected or read-only mapping */
	uint32_t partno;	/* partition number, 0 for a disk */
	uint64_t start;		/* partition start in bytes, 0 for a disk */
	char dm_name[128];	/* device-mapper name (dm/name), e.g. vg-lv */
	/*
	 * udev's view, merged in by dsp_device_udev_merge: serial and wwn are
	 * then udev's (ID_SERIAL_SHORT, ID_WWN_WITH_EXTENSION: what lsblk and
	 * asset records show), and sysfs's own values are kept here when they
	 * differ ("" when equal or unknown).
	 */
	bool udev;		/* udev's database knew the device */
	char sysfs_serial[128], sysfs_wwn[128];
	char id_path[256];	/* ID_PATH, e.g. pci-0000:00:1f.2-ata-1 */
	char by_id[16][256];	/* DEVLINKS under /dev/disk/by-id/, sorted */
	unsigned nby_id;
};

/*
 * udev's properties of a device. Only the running system's udev is asked
 * (libudev); in a chroot or rescue system without a udev database, or
 * under a fake root, sysfs stays the only source.
 */
struct dsp_device_udev {
	bool present;		/* the database holds the device */
	char serial[128];	/* ID_SERIAL_SHORT */
	char wwn[128];		/* ID_WWN_WITH_EXTENSION, else ID_WWN */
	char model[128];	/* ID_MODEL_ENC decoded, else ID_MODEL */
	char id_path[256];	/* ID_PATH */
	char by_id[16][256];	/* DEVLINKS entries under /dev/disk/by-id/, sorted */
	unsigned nby_id;
};

/*
 * Parse udev properties given as "KEY=VALUE" strings (as libudev lists
 * them, or a test's fake list) into u; present is set by the caller.
 * Unknown keys are ignored, values too long are cut. Never fails.
 */
void dsp_device_udev_parse(const char *const *props, size_t n, struct dsp_device_udev *u);

/* udev's view of devno from libudev. 0, -ENOENT (no database or no entry), -errno. */
int dsp_device_udev_read(dev_t devno, struct dsp_device_udev *u);

/*
 * Merge udev's view into sysfs facts: udev's serial and wwn win when it has
 * them (sysfs's kept in sysfs_serial/sysfs_wwn when different), sysfs's
 * model stays unless empty; id_path and by_id copied. No-op unless present.
 */
void dsp_device_udev_merge(struct dsp_blkdev_info *info, const struct dsp_device_udev *u);

/* Identity of the block device at path (a /dev node). 0 or -errno. */
int dsp_blkdev_info(const char *path, struct dsp_blkdev_info *info);

/* Identity of the block device numbered devno, read under root. 0 or -errno. */
int dsp_device_info(const char *root, dev_t devno, struct dsp_blkdev_info *info);

/*
 * A device name as the user gave it, resolved once: a /dev node or any
 * symlink to one (/dev/disk/by-id/..., /dev/disk/by-path/..., an admin's
 * link). Open node (never given again), then dsp_device_recheck_fd.
 */
struct dsp_device_ref {
	char given[4096];	/* as given */
	char node[4096];	/* the device node it resolves to, e.g. /dev/sdb */
	dev_t devno;
	bool symlink;		/* given is or passes through a symlink */
};

/* 0; -ENOTBLK when given does not name a block device; -ENAMETOOLONG; -errno. */
int dsp_device_resolve(const char *given, struct dsp_device_ref *ref);

/*
 * Is fd (opened from ref->node, O_EXCL) the device resolved? 0, -ESTALE
 * when it is another device (a link or node swapped after the check), or
 * -errno from fstat.
 */
int dsp_device_recheck_fd(int fd, const struct dsp_device_ref *ref);

/*
 * Hold an exclusive BSD lock on an open whole disk while it is written, as
 * wipefs does: udev takes LOCK_SH|LOCK_NB before it probes and skips a
 * locked disk, so no probe or partition rescan runs mid-overwrite. Released
 * by close(). 0, -EBUSY (someone else holds it), or -errno.
 */
int dsp_device_lock(int fd);

/*
 * Why a device (or any of its partitions, or the disk it is part of, when
 * it is a partition) must not be written. Filled by dsp_blkdev_in_use.
 */
struct dsp_blkdev_use {
	bool mounted;		/* it or one of its partitions is mounted */
	char mountpoint[512];	/* the first mountpoint found */
	char mounted_dev[64];	/* which kernel name is mounted */
	bool holds_root;	/* / lives on it */
	char root_dev[64];	/* which kernel name (of it, its disk or partitions) */
	bool swap_active;
	char swap_dev[64];
	bool has_holders;	/* holders/ not empty (LVM, MD, dm-crypt), or a loop
				 * device is backed by it */
	char holder[64];	/* the first holder, e.g. dm-0 */
	char held_dev[64];	/* which kernel name it holds */
	char name[64];		/* kernel name of the device checked */
	char via[64];		/* "": the use is on the device's own tree; else the
				 * kernel name of another device on the same medium
				 * whose tree holds it (a loop's backing device, or
				 * another loop device over the same file) */
};

/*
 * Check the device at path against the safety rules, as an erase target:
 * dsp_blkdev_snap_check_medium on a fresh snapshot. Returns 0 and fills
 * use (the caller refuses if any flag is set), or -errno.
 */
int dsp_blkdev_in_use(const char *path, struct dsp_blkdev_use *use);

/*
 * Hold the rest of the medium of the block device at path open with O_EXCL
 * (read-only, no I/O) while it is erased: the devices it writes through to
 * and the other loop devices over the same file. Nothing can then mount
 * them or make them swap (the kernel claims devices exclusively for that);
 * the device itself is the caller's to open. 0 with *fds (malloc'ed, give
 * to dsp_blkdev_release) and *n; -EBUSY (in use since checked, or held
 * exclusively) or -errno, with busy naming the /dev node at fault.
 */
int dsp_blkdev_claim_medium(const char *path, int **fds, size_t *n, char *busy, size_t blen);
/* The same for the device numbered devno (the one held open): no name looked up again. */
int dsp_device_claim_medium(dev_t devno, int **fds, size_t *n, char *busy, size_t blen);
void dsp_blkdev_release(int *fds, size_t n);

/* A regular file an attached loop device reads and writes. */
struct dsp_blkdev_loopfile {
	char name[64];		/* kernel name, e.g. "loop3" */
	dev_t dev;		/* the backing file's st_dev and st_ino */
	ino_t ino;
};

/*
 * Every attached loop device backed by a regular file, identified as the
 * kernel sees it (LOOP_GET_STATUS64: the file it holds open, even when its
 * path was renamed, replaced or unlinked; sysfs and stat() when the ioctl
 * cannot be used): erasing such a file writes under a device someone may
 * use (or mount). *out is malloc'ed (free it), *n its length. 0 or -errno.
 */
int dsp_blkdev_loop_files(struct dsp_blkdev_loopfile **out, size_t *n);
int dsp_device_loop_files(const char *root, struct dsp_blkdev_loopfile **out, size_t *n);

/*
 * One line naming the first reason in use, e.g. "device is mounted on /srv"
 * (order: holds root, mounted, swap, holders), or with via set "device
 * shares its medium with /dev/loop5: /dev/loop5 is mounted on /srv"; ""
 * when nothing is set. Returns buf.
 */
const char *dsp_blkdev_use_reason(const struct dsp_blkdev_use *use, char *buf, size_t len);

/*
 * A snapshot of what uses block devices at one moment (mount table, active
 * swap, the root device, loop devices backed by block devices), so that a
 * scan of many devices reads /proc once. Not updated after creation.
 */
struct dsp_blkdev_snap;

/* 0 and *out, or -errno (an unreadable or malformed /proc file is an error). */
int dsp_blkdev_snap_new(struct dsp_blkdev_snap **out);
/* The same, under root (see the top of this file). */
int dsp_device_snap_new(const char *root, struct dsp_blkdev_snap **out);

/*
 * The erase target check of the device numbered devno under root:
 * dsp_blkdev_snap_check_medium on a fresh snapshot. 0 with use filled
 * (refuse if any flag is set), or -errno (-ENOENT: no such device).
 */
int dsp_device_check(const char *root, dev_t devno, struct dsp_blkdev_use *use);
void dsp_blkdev_snap_free(struct dsp_blkdev_snap *snap);

#define DSP_BLKDEV_TREE	0x01	/* also the whole disk and all its partitions */

/*
 * Check the device with kernel name (e.g. "sda1") and, recursively, every
 * device holding it (holders/, loop devices backed by it or by a file on
 * its filesystem). With DSP_BLKDEV_TREE, also its whole disk and every
 * partition of that disk. 0 or -errno.
 */
int dsp_blkdev_snap_check(const struct dsp_blkdev_snap *snap, const char *name,
			  unsigned flags, struct dsp_blkdev_use *use);

#define DSP_BLKDEV_MAX_LEVELS 9	/* loop devices stacked on each other, at most */

/*
 * The medium a block device writes to, found by device number at each
 * level: a partition is part of its disk; a loop device writes to what
 * backs it (a block device, recursively, or a regular file) at its offset.
 */
struct dsp_blkdev_medium {
	dev_t chain[2 * DSP_BLKDEV_MAX_LEVELS];	/* every device on the way down:
						 * the device, its disk, each
						 * backing device and its disk */
	unsigned nchain;
	char lower[DSP_BLKDEV_MAX_LEVELS][64];	/* kernel names of the backing
						 * devices below it, in order */
	unsigned nlower;
	bool file;			/* the bottom is a regular file ... */
	dev_t file_dev;			/* ... with this st_dev and st_ino */
	ino_t file_ino;
	dev_t bottom;			/* else this whole block device */
	char bottom_name[64];		/* its kernel name */
	uint64_t offset, size;		/* the device's bytes on the bottom */
};

/* The medium of kernel name. 0, -ELOOP (stacked too deep) or -errno. */
int dsp_blkdev_snap_medium(const struct dsp_blkdev_snap *snap, const char *name,
			   struct dsp_blkdev_medium *m);
/* The same for the block device at path, from a fresh snapshot. */
int dsp_blkdev_medium(const char *path, struct dsp_blkdev_medium *m);
/* The same for devno under root, from a fresh snapshot. */
int dsp_device_medium(const char *root, dev_t devno, struct dsp_blkdev_medium *m);

/* Do a and b reach overlapping bytes of one file or block device? */
bool dsp_blkdev_medium_overlap(const struct dsp_blkdev_medium *a,
			       const struct dsp_blkdev_medium *b);

/*
 * Among n block devices (device numbers), the first pair reaching
 * overlapping bytes of one medium (two loop devices over one file, a loop
 * device and what backs it, a partition and its disk): 1 with *a < *b,
 * 0 when there is none, or -errno with *a the device whose medium could
 * not be found.
 */
int dsp_blkdev_shared_medium(const dev_t *devs, size_t n, size_t *a, size_t *b);

/*
 * Check name as an erase target: its tree (DSP_BLKDEV_TREE); then the tree
 * of every device it writes through to (a loop device's backing device,
 * recursively: a loop over a mounted device, or over a partition of a disk
 * with a mounted partition, is in use); then, when a regular file is at the
 * bottom, the tree of every other loop device over that file. Loop devices
 * on its own way down are not holders. use->via names the device whose
 * tree the use was found on, when not its own. 0 or -errno.
 */
int dsp_blkdev_snap_check_medium(const struct dsp_blkdev_snap *snap, const char *name,
				 struct dsp_blkdev_use *use);

/* Call fn for each mountpoint of devno in the snapshot; a non-zero return stops. */
typedef int (*dsp_blkdev_mnt_fn)(const char *mountpoint, void *arg);
int dsp_blkdev_snap_mounts(const struct dsp_blkdev_snap *snap, dev_t devno,
			   dsp_blkdev_mnt_fn fn, void *arg);

/*
 * Call fn with the kernel name of each device directly stacked on name:
 * holders/ (dm, md, bcache) and loop devices backed by it. Non-zero stops.
 */
typedef int (*dsp_blkdev_name_fn)(const char *name, void *arg);
int dsp_blkdev_snap_holders(const struct dsp_blkdev_snap *snap, const char *name,
			    dsp_blkdev_name_fn fn, void *arg);

/* Whether devno is active swap (a swap partition, or holds a swap file). */
bool dsp_blkdev_snap_swap(const struct dsp_blkdev_snap *snap, dev_t devno);

/* Whether / lives directly on devno (holders are not followed). */
bool dsp_blkdev_snap_is_root(const struct dsp_blkdev_snap *snap, dev_t devno);

/*
 * Parsers of /proc/self/mountinfo and /proc/swaps text, exposed for tests
 * and the fuzzer. Octal escapes (\040) are decoded. fn is called per entry;
 * a non-zero return stops and is returned. A malformed line gives -EINVAL
 * (a mount we cannot read must not be ignored by a safety check).
 */
struct dsp_mountinfo_entry {
	unsigned major, minor;
	const char *root, *mountpoint, *fstype, *source;
};
typedef int (*dsp_mountinfo_fn)(const struct dsp_mountinfo_entry *e, void *arg);
int dsp_blkdev_parse_mountinfo(const char *text, size_t len,
			       dsp_mountinfo_fn fn, void *arg);

/* fn gets the swap file or device path and its type ("partition", "file"). */
typedef int (*dsp_swaps_fn)(const char *path, const char *type, void *arg);
int dsp_blkdev_parse_swaps(const char *text, size_t len, dsp_swaps_fn fn, void *arg);

/* Kernel name of devno and of its whole disk, from /sys/dev/block. 0 or -errno. */
int dsp_blkdev_name(dev_t devno, char *name, size_t nlen, char *disk, size_t dlen,
		    bool *is_partition);
int dsp_device_name(const char *root, dev_t devno, char *name, size_t nlen, char *disk,
		    size_t dlen, bool *is_partition);

/* The /dev path of a kernel name ("cciss!c0d0" -> "/dev/cciss/c0d0"). Returns buf. */
const char *dsp_blkdev_devpath(const char *name, char *buf, size_t len);

/* Identity from a kernel name (no /dev node needed). 0 or -errno. */
int dsp_blkdev_info_name(const char *name, struct dsp_blkdev_info *info);

/* The size in bytes the kernel reports now for devno (sysfs). 0 or -errno. */
int dsp_blkdev_size_now(dev_t devno, uint64_t *bytes);
int dsp_device_size_now(const char *root, dev_t devno, uint64_t *bytes);

/*
 * Kernel names of block devices under root's sysfs, in version order (sda2
 * before sda10): every block device (disk NULL), or the partitions of disk;
 * dsp_device_slaves: what name is stacked on (slaves/). NULL-terminated,
 * malloc'ed: free with dsp_device_names_free. 0 or -errno.
 */
int dsp_device_names(const char *root, const char *disk, char ***out);
int dsp_device_slaves(const char *root, const char *name, char ***out);
void dsp_device_names_free(char **v);

/* Signatures libblkid finds on a block device; "" where none. */
struct dsp_device_sig {
	char type[64], uuid[128], label[1024], version[64], usage[64];
	char pttype[32], ptuuid[128];	/* disks: the partition table */
	bool ambiguous;		/* two signatures contradict each other */
};

/*
 * Probe the device at path read-only (with disk, its partition table too).
 * 0; -EIO when the signatures could not be probed (the partition table may
 * still be filled); -errno when the device cannot be opened.
 */
int dsp_device_probe(const char *path, bool disk, struct dsp_device_sig *sig);

/* ---- record identity (what identifies the medium in the run record) ---- */
/*
 * The identity of the block device info describes, for the run record
 * (man/dispose-record.5, "Device identity"): name, model, serial, wwn,
 * sysfs_serial, sysfs_wwid, vendor, transport, id_path, backing_file
 * (strings, null when unknown; backing_dev "MAJ:MIN", backing_ino and
 * backing_size: the file at the bottom of a loop device, null otherwise; serial and wwn are udev's when its database
 * has them, sysfs_serial/sysfs_wwid are sysfs's own values when they differ
 * from those, else null), udev (whether udev's database was read), by_id
 * (array of /dev/disk/by-id links, null without udev), partition,
 * removable (null when unknown), size (bytes), and "medium", what it
 * writes to at the bottom of any loop devices (dsp_blkdev_medium), with the
 * device's first byte on it:
 *   {"kind":"file","dev":"MAJ:MIN","ino":N,"offset":N} a loop's backing file
 *   {"kind":"disk","serial":S,"wwn":W,"sysfs_serial":S2,"sysfs_wwid":W2,
 *    "model":M,"offset":N} a block device
 * "medium" is null when it cannot be found. NULL only without memory.
 */
struct json_object *dsp_identity_block(const struct dsp_blkdev_info *info);

/*
 * The regular file a loop device info describes writes to, below any other
 * loop devices: its st_dev and st_ino, and *size its st_size when its path
 * (backing_file) still names that file, else -1. 0, or -ENOENT when the
 * device is not backed by a file (or the file cannot be found).
 */
int dsp_device_backing(const struct dsp_blkdev_info *info, dev_t *dev, ino_t *ino, int64_t *size);

#define DSP_IDENTITY_NONE	1	/* the record identifies nothing */
#define DSP_IDENTITY_DIFFERS	2	/* something recorded differs now */

/*
 * Is now (dsp_identity_block of the device at hand, NULL if unknown) the
 * medium recorded (an identity from the record, NULL if none)? The record
 * must identify it: a backing file's device and inode, or a serial or WWN;
 * a device path, model or size alone do not. Then size, serial, wwn,
 * backing_file and medium must be equal, and model where both know it. A
 * missing member, null and "" are alike (records of older versions wrote
 * "" for unknown strings). Serial and WWN match when a recorded value
 * (udev's or sysfs's) equals either value now, so a record written with
 * or without udev's database is recognised by a run with or without it.
 * Returns 0, DSP_IDENTITY_NONE, or DSP_IDENTITY_DIFFERS with why set to
 * e.g. "size was 16777216, is 33554432".
 */
int dsp_identity_compare(struct json_object *recorded, struct json_object *now,
			 char *why, size_t len);

/*
 * Is the device at path (or numbered devno) still the medium checked
 * (checked: its identity then)? A loop device keeps its device number when
 * it is detached and attached to another image, so the number alone does
 * not tell. Compared as dsp_identity_compare does; an identity that
 * identifies nothing (a disk without serial or WWN) must be equal member
 * for member. 0, or DSP_IDENTITY_DIFFERS with why set.
 */
int dsp_identity_recheck(struct json_object *checked, const char *path, char *why, size_t len);
int dsp_identity_recheck_devno(struct json_object *checked, dev_t devno, char *why, size_t len);

#endif
