/* SPDX-License-Identifier: MIT */
/* devices.c - inventory of block devices: sysfs identity, libblkid signatures, use */
#include "dispose/inventory.h"
#include "dispose/device.h"
#include "dispose/common.h"

#include <blkid.h>
#include <dirent.h>
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
 *   read_only transport vendor model serial wwn [backing_file] [dm_name]
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

static int cmp_str(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Entries of a sysfs directory, sorted in version order (sda2 < sda10) so the
 * output is stable; keep(name, ctx) filters. NULL-terminated, or NULL.
 */
static char **list_dir(const char *path, int (*keep)(const char *dir, const char *name),
		       int *err)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;
	DIR *dir;

	*err = 0;
	dir = opendir(path);
	if (!dir) {
		*err = -errno;
		return NULL;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || (keep && !keep(path, de->d_name)))
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto nomem;
		v[++n] = NULL;
	}
	closedir(dir);
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v)
			*err = -ENOMEM;
		return v;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
nomem:
	closedir(dir);
	while (n)
		free(v[--n]);
	free(v);
	*err = -ENOMEM;
	return NULL;
}

static void free_list(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int is_partition_dir(const char *dir, const char *name)
{
	char path[600];

	if (snprintf(path, sizeof(path), "%s/%s/partition", dir, name) >= (int)sizeof(path))
		return 0;
	return access(path, F_OK) == 0;
}

/*
 * Filesystem / container signature with libblkid's low-level probe, which
 * opens the device read-only. Adds type, uuid, label (and version).
 */
static int probe(struct scan *sc, const char *path, bool disk, struct json_object *o)
{
	const char *type = NULL, *uuid = NULL, *label = NULL, *version = NULL;
	const char *usage = NULL, *pttype = NULL, *ptuuid = NULL;
	blkid_probe pr;
	char why[160];
	int r;

	errno = 0;
	pr = blkid_new_probe_from_filename(path);
	if (!pr) {
		r = errno ? -errno : -EIO;
		snprintf(why, sizeof(why), "cannot open for probing: %s", strerror(-r));
		json_object_object_add(o, "type", NULL);
		json_object_object_add(o, "uuid", NULL);
		json_object_object_add(o, "label", NULL);
		if (disk)
			json_object_object_add(o, "pttype", NULL);
		inv_err(sc, path, why);
		return r;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_LABEL | BLKID_SUBLKS_VERSION |
					  BLKID_SUBLKS_USAGE);
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
		blkid_probe_lookup_value(pr, "UUID", &uuid, NULL);
		blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
		blkid_probe_lookup_value(pr, "VERSION", &version, NULL);
		blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
	}
	json_object_object_add(o, "type", str_or_null(type));
	json_object_object_add(o, "uuid", str_or_null(uuid));
	json_object_object_add(o, "label", str_or_null(label));
	if (version && version[0])
		json_object_object_add(o, "version", json_object_new_string(version));
	if (usage && usage[0])
		json_object_object_add(o, "usage", json_object_new_string(usage));
	/* two signatures that contradict each other: name it, do not guess */
	if (r == -2)
		json_object_object_add(o, "ambiguous", json_object_new_boolean(1));
	if (r == -1)
		inv_err(sc, path, "cannot probe signatures");

	/* A disk's partition table, as a second pass over the same reader. */
	if (disk) {
		int pr_r;

		blkid_probe_enable_superblocks(pr, 0);
		blkid_probe_enable_partitions(pr, 1);
		pr_r = blkid_do_safeprobe(pr);
		if (pr_r == 0) {
			blkid_probe_lookup_value(pr, "PTTYPE", &pttype, NULL);
			blkid_probe_lookup_value(pr, "PTUUID", &ptuuid, NULL);
		}
		json_object_object_add(o, "pttype", str_or_null(pttype));
		if (ptuuid && ptuuid[0])
			json_object_object_add(o, "ptuuid", json_object_new_string(ptuuid));
	}
	blkid_free_probe(pr);
	return r == -1 ? -EIO : 0;
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

/* /dev paths of the entries of a sysfs link directory (slaves/: below it). */
static struct json_object *links_of(const char *name, const char *which)
{
	struct json_object *a = json_object_new_array();
	char path[PATH_MAX], dev[PATH_MAX];
	char **v;
	int err;
	size_t i;

	if (!a)
		return NULL;
	snprintf(path, sizeof(path), SYS_BLOCK "/%s/%s", name, which);
	v = list_dir(path, NULL, &err);
	for (i = 0; v && v[i]; i++) {
		dsp_blkdev_devpath(v[i], dev, sizeof(dev));
		json_object_array_add(a, json_object_new_string(dev));
	}
	free_list(v);
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
	json_object_object_add(o, "slaves", links_of(in->name, "slaves"));
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
	char dir[PATH_MAX], why[160];
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
	snprintf(dir, sizeof(dir), SYS_BLOCK "/%s", name);
	v = list_dir(dir, is_partition_dir, &err);
	if (!v) {
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
	free_list(v);
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
	v = list_dir(SYS_BLOCK, NULL, &err);
	if (!v) {
		snprintf(why, sizeof(why), "cannot list block devices: %s", strerror(-err));
		dsp_inv_error(emit, arg, SRC, SYS_BLOCK, why);
		dsp_blkdev_snap_free(sc.snap);
		return err;
	}
	r = 0;
	for (i = 0; v[i] && !r; i++)
		r = scan_disk(&sc, v[i]);
	free_list(v);
	dsp_blkdev_snap_free(sc.snap);
	return r;
}
