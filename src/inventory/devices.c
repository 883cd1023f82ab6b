/* SPDX-License-Identifier: MIT */
/* devices.c - inventory of block devices: the device module's facts (identity, signatures, use) as JSON */
#include "dispose/inventory.h"
#include "dispose/device.h"
#include "dispose/common.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * One "devices" item per whole disk (ram, zram and detached loops skipped):
 *   path name size logical_sector physical_sector rotational removable
 *   read_only transport vendor model serial wwn sysfs_serial sysfs_wwid id_path
 *   by_id[] (serial and wwn udev's when its database has them: dsp_device_udev_merge)
 *   [backing_file] [dm_name]
 *   type uuid label [version] [usage] [ambiguous] pttype [ptuuid]
 *   mountpoints[] holders[] slaves[] swap_active holds_root in_use partitions[]
 * Partitions have the same shape plus partition_number and start (bytes),
 * without pttype and partitions[]. Unknown strings are null. in_use is the
 * reason `erase` would refuse the device (null when free); for a partition it
 * covers its whole disk and sibling partitions too.
 */
#define SYS_BLOCK "/sys/class/block"
#define SRC "devices"

struct scan {
	struct dsp_blkdev_snap *snap;
	dsp_inv_emit_fn emit;
	void *arg;
	int stop;	/* the emit callback asked to stop */
};

/* Record an error item; remember a request to stop. */
static void inv_err(struct scan *sc, const char *path, const char *why)
{
	int r;

	if (sc->stop)
		return;
	r = dsp_inv_error(sc->emit, sc->arg, SRC, path, why);
	if (r)
		sc->stop = r;
}

/* Labels, models and paths are outside bytes: keep the document valid UTF-8. */
static struct json_object *str_or_null(const char *s)
{
	return s && s[0] ? dsp_inv_string(s, NULL) : NULL;
}

static int add_mount(const char *mountpoint, void *arg)
{
	return json_object_array_add(arg, dsp_inv_string(mountpoint, NULL)) ? -ENOMEM : 0;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strverscmp(json_object_get_string(*(struct json_object *const *)a),
			  json_object_get_string(*(struct json_object *const *)b));
}

/* Filesystem / container signature and, for a disk, partition table (device module, libblkid). */
static int probe(struct scan *sc, const char *path, bool disk, struct json_object *o)
{
	struct dsp_device_sig sig;
	char why[160];
	int r;

	r = dsp_device_probe(path, disk, &sig);
	if (r < 0 && r != -EIO) {
		snprintf(why, sizeof(why), "cannot open for probing: %s", strerror(-r));
		json_object_object_add(o, "type", NULL);
		json_object_object_add(o, "uuid", NULL);
		json_object_object_add(o, "label", NULL);
		if (disk)
			json_object_object_add(o, "pttype", NULL);
		inv_err(sc, path, why);
		return r;
	}
	json_object_object_add(o, "type", str_or_null(sig.type));
	json_object_object_add(o, "uuid", str_or_null(sig.uuid));
	json_object_object_add(o, "label", str_or_null(sig.label));
	if (sig.version[0])
		json_object_object_add(o, "version", json_object_new_string(sig.version));
	if (sig.usage[0])
		json_object_object_add(o, "usage", json_object_new_string(sig.usage));
	if (sig.ambiguous)
		json_object_object_add(o, "ambiguous", json_object_new_boolean(1));
	if (r == -EIO)
		inv_err(sc, path, "cannot probe signatures");
	if (disk) {
		json_object_object_add(o, "pttype", str_or_null(sig.pttype));
		if (sig.ptuuid[0])
			json_object_object_add(o, "ptuuid", json_object_new_string(sig.ptuuid));
	}
	return r;
}

static int add_holder(const char *name, void *arg)
{
	char dev[PATH_MAX];

	dsp_blkdev_devpath(name, dev, sizeof(dev));
	return json_object_array_add(arg, json_object_new_string(dev)) ? -ENOMEM : 0;
}

/* What is stacked on it: holders/ and loop devices backed by it, sorted. */
static struct json_object *holders_of(struct scan *sc, const char *name)
{
	struct json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	if (dsp_blkdev_snap_holders(sc->snap, name, add_holder, a) == 0)
		json_object_array_sort(a, cmp_json_str);
	return a;
}

/* /dev paths of what name is stacked on (slaves/), sorted. */
static struct json_object *slaves_of(const char *name)
{
	struct json_object *a = json_object_new_array();
	char dev[PATH_MAX];
	char **v = NULL;
	size_t i;

	if (!a)
		return NULL;
	dsp_device_slaves(NULL, name, &v);
	for (i = 0; v && v[i]; i++) {
		dsp_blkdev_devpath(v[i], dev, sizeof(dev));
		json_object_array_add(a, json_object_new_string(dev));
	}
	dsp_device_names_free(v);
	return a;
}

/* One device (disk or partition) as an object; NULL only without memory. */
static struct json_object *device_obj(struct scan *sc, const struct dsp_blkdev_info *in)
{
	struct json_object *o, *mps;
	struct dsp_blkdev_use use;
	char reason[600];
	int r;

	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "path", json_object_new_string(in->path));
	json_object_object_add(o, "name", json_object_new_string(in->name));
	json_object_object_add(o, "size", json_object_new_uint64(in->size));
	json_object_object_add(o, "logical_sector", json_object_new_int64(in->logical_sector));
	json_object_object_add(o, "physical_sector",
			       json_object_new_int64(in->physical_sector));
	json_object_object_add(o, "rotational", in->rotational < 0 ? NULL :
			       json_object_new_boolean(in->rotational));
	json_object_object_add(o, "removable", json_object_new_boolean(in->removable));
	json_object_object_add(o, "transport", str_or_null(in->transport));
	json_object_object_add(o, "vendor", str_or_null(in->vendor));
	json_object_object_add(o, "model", str_or_null(in->model));
	json_object_object_add(o, "serial", str_or_null(in->serial));
	json_object_object_add(o, "wwn", str_or_null(in->wwn));
	json_object_object_add(o, "sysfs_serial", str_or_null(in->sysfs_serial));
	json_object_object_add(o, "sysfs_wwid", str_or_null(in->sysfs_wwn));
	json_object_object_add(o, "id_path", str_or_null(in->id_path));
	if (in->udev) {
		struct json_object *ids = json_object_new_array();

		for (unsigned i = 0; ids && i < in->nby_id; i++)
			json_object_array_add(ids, json_object_new_string(in->by_id[i]));
		json_object_object_add(o, "by_id", ids);
	} else {
		json_object_object_add(o, "by_id", NULL);
	}
	json_object_object_add(o, "read_only", json_object_new_boolean(in->read_only));
	if (in->is_partition) {
		json_object_object_add(o, "partition_number", json_object_new_int64(in->partno));
		json_object_object_add(o, "start", json_object_new_uint64(in->start));
	}
	if (!in->is_partition && in->backing_file[0])
		json_object_object_add(o, "backing_file",
				       dsp_inv_string(in->backing_file, NULL));
	if (in->dm_name[0])
		json_object_object_add(o, "dm_name", dsp_inv_string(in->dm_name, NULL));
	probe(sc, in->path, !in->is_partition, o);

	mps = json_object_new_array();
	dsp_blkdev_snap_mounts(sc->snap, in->devno, add_mount, mps);
	json_object_object_add(o, "mountpoints", mps);
	json_object_object_add(o, "holders", holders_of(sc, in->name));
	json_object_object_add(o, "slaves", slaves_of(in->name));
	json_object_object_add(o, "swap_active",
			       json_object_new_boolean(dsp_blkdev_snap_swap(sc->snap, in->devno)));

	/*
	 * holds_root: / is on this device or on something stacked on it (for a
	 * disk, on any of its partitions). in_use: why erase would refuse it,
	 * which for a partition includes the rest of its disk, and every alias
	 * of its medium (the same check erase makes).
	 */
	r = dsp_blkdev_snap_check(sc->snap, in->name,
				  in->is_partition ? 0 : DSP_BLKDEV_TREE, &use);
	json_object_object_add(o, "holds_root",
			       json_object_new_boolean(!r && use.holds_root));
	if (!r)
		r = dsp_blkdev_snap_check_medium(sc->snap, in->name, &use);
	if (r) {
		/* unknown use counts as in use: never let a planner think it is free */
		snprintf(reason, sizeof(reason), "cannot check use: %s", strerror(-r));
		inv_err(sc, in->path, reason);
	} else {
		dsp_blkdev_use_reason(&use, reason, sizeof(reason));
	}
	json_object_object_add(o, "in_use", str_or_null(reason));
	return o;
}

/* Memory-backed disks hold nothing to dispose of; unattached loops are empty. */
static bool skip_disk(const struct dsp_blkdev_info *in)
{
	if (!strncmp(in->name, "ram", 3) || !strncmp(in->name, "zram", 4))
		return true;
	if (!strncmp(in->name, "loop", 4) && in->size == 0)
		return true;
	return false;
}

static int scan_disk(struct scan *sc, const char *name)
{
	struct json_object *o, *parts, *p;
	struct dsp_blkdev_info in, pin;
	char why[160];
	char **v;
	size_t i;
	int r, err;

	r = dsp_blkdev_info_name(name, &in);
	if (r < 0) {
		char path[PATH_MAX];

		dsp_blkdev_devpath(name, path, sizeof(path));
		snprintf(why, sizeof(why), "cannot read sysfs: %s", strerror(-r));
		inv_err(sc, path, why);
		return sc->stop;
	}
	if (in.is_partition || skip_disk(&in))
		return 0;
	o = device_obj(sc, &in);
	if (!o)
		return -ENOMEM;

	parts = json_object_new_array();
	err = dsp_device_names(NULL, name, &v);
	if (err) {
		snprintf(why, sizeof(why), "cannot list partitions: %s", strerror(-err));
		inv_err(sc, in.path, why);
	}
	for (i = 0; v && v[i]; i++) {
		r = dsp_blkdev_info_name(v[i], &pin);
		if (r < 0) {
			char path[PATH_MAX];

			/* a partition removed while we looked */
			dsp_blkdev_devpath(v[i], path, sizeof(path));
			snprintf(why, sizeof(why), "cannot read sysfs: %s", strerror(-r));
			inv_err(sc, path, why);
			continue;
		}
		p = device_obj(sc, &pin);
		if (p)
			json_object_array_add(parts, p);
	}
	dsp_device_names_free(v);
	json_object_object_add(o, "partitions", parts);
	r = sc->stop ? sc->stop : sc->emit(sc->arg, "devices", o);
	json_object_put(o);
	return r;
}

int dsp_inv_devices(dsp_inv_emit_fn emit, void *arg)
{
	struct scan sc = { .emit = emit, .arg = arg };
	char why[160];
	char **v;
	size_t i;
	int r, err;

	r = dsp_blkdev_snap_new(&sc.snap);
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot read mounts and swap: %s", strerror(-r));
		dsp_inv_error(emit, arg, SRC, "/proc/self/mountinfo", why);
		return r;
	}
	err = dsp_device_names(NULL, NULL, &v);
	if (err) {
		snprintf(why, sizeof(why), "cannot list block devices: %s", strerror(-err));
		dsp_inv_error(emit, arg, SRC, SYS_BLOCK, why);
		dsp_blkdev_snap_free(sc.snap);
		return err;
	}
	r = 0;
	for (i = 0; v[i] && !r; i++)
		r = scan_disk(&sc, v[i]);
	dsp_device_names_free(v);
	dsp_blkdev_snap_free(sc.snap);
	return r;
}
