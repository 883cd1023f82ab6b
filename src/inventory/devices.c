/* SPDX-License-Identifier: MIT */
/* devices.c - inventory of block devices: sysfs identity, libblkid signatures, use */
#include "dispose/inventory.h"
#include "dispose/blkdev.h"
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

static struct json_object *str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static int add_mount(const char *mountpoint, void *arg)
{
	return json_object_array_add(arg, json_object_new_string(mountpoint)) ? -ENOMEM : 0;
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
static int probe(struct scan *sc, const char *path, struct json_object *o)
{
	const char *type = NULL, *uuid = NULL, *label = NULL, *version = NULL;
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
		inv_err(sc, path, why);
		return r;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
					  BLKID_SUBLKS_LABEL | BLKID_SUBLKS_VERSION);
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
		blkid_probe_lookup_value(pr, "UUID", &uuid, NULL);
		blkid_probe_lookup_value(pr, "LABEL", &label, NULL);
		blkid_probe_lookup_value(pr, "VERSION", &version, NULL);
	}
	json_object_object_add(o, "type", str_or_null(type));
	json_object_object_add(o, "uuid", str_or_null(uuid));
	json_object_object_add(o, "label", str_or_null(label));
	if (version && version[0])
		json_object_object_add(o, "version", json_object_new_string(version));
	/* two signatures that contradict each other: name it, do not guess */
	if (r == -2)
		json_object_object_add(o, "ambiguous", json_object_new_boolean(1));
	blkid_free_probe(pr);
	if (r == -1)
		inv_err(sc, path, "cannot probe signatures");
	return r == -1 ? -EIO : 0;
}

static struct json_object *holders_of(const char *name)
{
	struct json_object *a = json_object_new_array();
	char path[PATH_MAX], dev[PATH_MAX];
	char **v;
	int err;
	size_t i;

	if (!a)
		return NULL;
	snprintf(path, sizeof(path), SYS_BLOCK "/%s/holders", name);
	v = list_dir(path, NULL, &err);
	for (i = 0; v && v[i]; i++) {
		snprintf(dev, sizeof(dev), "/dev/%s", v[i]);
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
	if (in->backing_file[0])
		json_object_object_add(o, "backing_file",
				       json_object_new_string(in->backing_file));
	probe(sc, in->path, o);

	mps = json_object_new_array();
	dsp_blkdev_snap_mounts(sc->snap, in->devno, add_mount, mps);
	json_object_object_add(o, "mountpoints", mps);
	json_object_object_add(o, "holders", holders_of(in->name));
	json_object_object_add(o, "swap_active",
			       json_object_new_boolean(dsp_blkdev_snap_swap(sc->snap, in->devno)));

	/*
	 * holds_root: / is on this device or on something stacked on it (for a
	 * disk, on any of its partitions). in_use: why erase would refuse it,
	 * which for a partition includes the rest of its disk.
	 */
	r = dsp_blkdev_snap_check(sc->snap, in->name,
				  in->is_partition ? 0 : DSP_BLKDEV_TREE, &use);
	json_object_object_add(o, "holds_root",
			       json_object_new_boolean(!r && use.holds_root));
	if (in->is_partition && !r)
		r = dsp_blkdev_snap_check(sc->snap, in->name, DSP_BLKDEV_TREE, &use);
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

		snprintf(path, sizeof(path), "/dev/%s", name);
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
			snprintf(path, sizeof(path), "/dev/%s", v[i]);
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
