/* SPDX-License-Identifier: MIT */
/* identity.h - what identifies a block device's medium in the run record, and --resume's check */
#ifndef DISPOSE_IDENTITY_H
#define DISPOSE_IDENTITY_H

#include <stddef.h>
#include <json-c/json.h>

#include "dispose/blkdev.h"

/*
 * The identity of the block device info describes, for the run record:
 * name, model, serial, wwn, vendor, transport, backing_file (non-empty
 * strings only), partition, removable, size (bytes), and "medium", what it
 * writes to at the bottom of any loop devices (dsp_blkdev_medium), with
 * the device's first byte on it:
 *   {"kind":"file","dev":"MAJ:MIN","ino":N,"offset":N} a loop's backing file
 *   {"kind":"disk","serial":S,"wwn":W,"model":M,"offset":N} a block device
 * "medium" is left out when it cannot be found. NULL only without memory.
 */
struct json_object *dsp_identity_block(const struct dsp_blkdev_info *info);

#define DSP_IDENTITY_NONE	1	/* the record identifies nothing */
#define DSP_IDENTITY_DIFFERS	2	/* something recorded differs now */

/*
 * Is now (dsp_identity_block of the device at hand, NULL if unknown) the
 * medium recorded (an identity from the record, NULL if none)? The record
 * must identify it: a backing file's device and inode, or a serial or WWN;
 * a device path, model or size alone do not. Then size, model, serial,
 * wwn, backing_file and medium must be equal (fields the record lacks are
 * not compared, except that a missing string means ""). Returns 0,
 * DSP_IDENTITY_NONE, or DSP_IDENTITY_DIFFERS with why set to e.g.
 * "size was 16777216, is 33554432".
 */
int dsp_identity_compare(struct json_object *recorded, struct json_object *now,
			 char *why, size_t len);

/*
 * Is the device at path still the medium checked (checked: its identity
 * then)? A loop device keeps its device number when it is detached and
 * attached to another image, so the number alone does not tell. Compared
 * as dsp_identity_compare does; an identity that identifies nothing (a disk
 * without serial or WWN) must be equal member for member. 0, or
 * DSP_IDENTITY_DIFFERS with why set.
 */
int dsp_identity_recheck(struct json_object *checked, const char *path, char *why, size_t len);

#endif
