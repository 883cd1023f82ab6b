/* SPDX-License-Identifier: MIT */
/* identity.c - a block device's identity for the run record, and whether --resume has the same medium */
#include "dispose/device.h"
#include "dispose/common.h"
#include "dispose/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* A string, or null when unknown (never ""). */
static struct json_object *str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static void add_ids(struct json_object *o, const struct dsp_blkdev_info *in)
{
	json_object_object_add(o, "serial", str_or_null(in->serial));
	json_object_object_add(o, "wwn", str_or_null(in->wwn));
	json_object_object_add(o, "sysfs_serial", str_or_null(in->sysfs_serial));
	json_object_object_add(o, "sysfs_wwid", str_or_null(in->sysfs_wwn));
	json_object_object_add(o, "model", str_or_null(in->model));
}

static struct json_object *medium_json(const struct dsp_blkdev_info *info)
{
	struct dsp_blkdev_medium m;
	struct dsp_blkdev_info bi;
	struct json_object *o;
	char dev[32];

	if (dsp_device_medium(NULL, info->devno, &m) < 0)
		return NULL;
	o = json_object_new_object();
	if (m.file) {
		snprintf(dev, sizeof(dev), "%u:%u", major(m.file_dev), minor(m.file_dev));
		json_object_object_add(o, "kind", json_object_new_string("file"));
		json_object_object_add(o, "dev", json_object_new_string(dev));
		json_object_object_add(o, "ino", json_object_new_int64((int64_t)m.file_ino));
	} else {
		/* the disk at the bottom names it; its kernel name may change */
		if (dsp_device_info(NULL, m.bottom, &bi) < 0) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, "kind", json_object_new_string("disk"));
		add_ids(o, &bi);
	}
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)m.offset));
	return o;
}

int dsp_device_backing(const struct dsp_blkdev_info *info, dev_t *dev, ino_t *ino, int64_t *size)
{
	struct dsp_blkdev_medium m;
	struct stat st;

	*size = -1;
	if (!info->backing_file[0] || dsp_device_medium(NULL, info->devno, &m) < 0 || !m.file)
		return -ENOENT;
	*dev = m.file_dev;
	*ino = m.file_ino;
	/* the path may name another file now: its size only when it is that file */
	if (stat(info->backing_file, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == m.file_dev &&
	    st.st_ino == m.file_ino)
		*size = (int64_t)st.st_size;
	return 0;
}

/* backing_dev, backing_ino, backing_size: the file a loop device writes to, null otherwise. */
static void add_backing(struct json_object *o, const struct dsp_blkdev_info *info)
{
	char dev[32];
	dev_t d;
	ino_t i;
	int64_t size;
	bool have = dsp_device_backing(info, &d, &i, &size) == 0;

	if (have)
		snprintf(dev, sizeof(dev), "%u:%u", major(d), minor(d));
	json_object_object_add(o, "backing_dev", have ? json_object_new_string(dev) : NULL);
	json_object_object_add(o, "backing_ino", have ? json_object_new_int64((int64_t)i) : NULL);
	json_object_object_add(o, "backing_size", size >= 0 ? json_object_new_int64(size) : NULL);
}

struct json_object *dsp_identity_block(const struct dsp_blkdev_info *info)
{
	struct json_object *o = json_object_new_object(), *a = NULL;

	if (!o)
		return NULL;
	json_object_object_add(o, "name", str_or_null(info->name));
	add_ids(o, info);
	json_object_object_add(o, "vendor", str_or_null(info->vendor));
	json_object_object_add(o, "transport", str_or_null(info->transport));
	json_object_object_add(o, "udev", json_object_new_boolean(info->udev));
	json_object_object_add(o, "id_path", str_or_null(info->id_path));
	if (info->udev) {
		a = json_object_new_array();
		for (unsigned i = 0; a && i < info->nby_id; i++)
			json_object_array_add(a, json_object_new_string(info->by_id[i]));
	}
	json_object_object_add(o, "by_id", a);
	json_object_object_add(o, "backing_file", str_or_null(info->backing_file));
	add_backing(o, info);
	json_object_object_add(o, "partition", json_object_new_boolean(info->is_partition));
	json_object_object_add(o, "removable", info->removable < 0 ? NULL :
			       json_object_new_boolean(info->removable > 0));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)info->size));
	json_object_object_add(o, "medium", medium_json(info));
	return o;
}

/* A string member, "" when absent, null or not a string. */
static const char *sval(struct json_object *o, const char *key)
{
	const char *v = dsp_json_str(o, key);

	return v ? v : "";
}

/* A member, NULL when absent, null or "" (the unknown value of older records). */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	if (json_object_is_type(v, json_type_string) && !json_object_get_string_len(v))
		return NULL;
	return v;
}

static const char *text(struct json_object *v)
{
	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "none";
}

/* What the record must hold for a device to be recognised again. */
static bool identifies(struct json_object *rec)
{
	struct json_object *m, *v;

	if (sval(rec, "serial")[0] || sval(rec, "wwn")[0] || sval(rec, "sysfs_serial")[0] ||
	    sval(rec, "sysfs_wwid")[0])
		return true;
	m = member(rec, "medium");
	if (!m)
		return false;
	if (!strcmp(sval(m, "kind"), "file"))
		return sval(m, "dev")[0] && json_object_object_get_ex(m, "ino", &v) &&
		       json_object_is_type(v, json_type_int);
	return sval(m, "serial")[0] || sval(m, "wwn")[0] || sval(m, "sysfs_serial")[0] ||
	       sval(m, "sysfs_wwid")[0];
}

static bool in(const char *v, const char *a, const char *b)
{
	return v[0] && (!strcmp(v, a) || !strcmp(v, b));
}

/*
 * serial (or wwn) with its sysfs form alt: known on neither side, or a
 * recorded value equal to one now. 0, or DSP_IDENTITY_DIFFERS with why.
 */
static int ids_match(struct json_object *rec, struct json_object *now, const char *prefix,
		     const char *key, const char *alt, char *why, size_t len)
{
	const char *r1 = sval(rec, key), *r2 = sval(rec, alt);
	const char *n1 = sval(now, key), *n2 = sval(now, alt);

	if (!r1[0] && !r2[0] ? !n1[0] && !n2[0] : in(r1, n1, n2) || in(r2, n1, n2))
		return 0;
	snprintf(why, len, "%s%s was \"%s\", is \"%s\"", prefix, key, r1[0] ? r1 : r2,
		 n1[0] ? n1 : n2);
	return DSP_IDENTITY_DIFFERS;
}

/* model: compared only where both sides know it (it identifies nothing alone). */
static int model_match(struct json_object *rec, struct json_object *now, const char *prefix,
		       char *why, size_t len)
{
	const char *a = sval(rec, "model"), *b = sval(now, "model");

	if (!a[0] || !b[0] || !strcmp(a, b))
		return 0;
	snprintf(why, len, "%smodel was \"%s\", is \"%s\"", prefix, a, b);
	return DSP_IDENTITY_DIFFERS;
}

static bool special(const char *k)
{
	static const char *const keys[] = { "serial", "wwn", "sysfs_serial", "sysfs_wwid", "model" };

	for (size_t i = 0; i < DSP_ARRAY_SIZE(keys); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

static int medium_match(struct json_object *a, struct json_object *b, char *why, size_t len)
{
	int r;

	if (!b || !json_object_is_type(a, json_type_object) ||
	    !json_object_is_type(b, json_type_object)) {
		snprintf(why, len, "medium was %s, is %s", text(a), text(b));
		return DSP_IDENTITY_DIFFERS;
	}
	r = ids_match(a, b, "medium ", "serial", "sysfs_serial", why, len);
	if (!r)
		r = ids_match(a, b, "medium ", "wwn", "sysfs_wwid", why, len);
	if (!r)
		r = model_match(a, b, "medium ", why, len);
	if (r)
		return r;
	/* name the first other member that differs, both ways */
	json_object_object_foreach(a, k, v) {
		struct json_object *w = member(b, k);

		v = member(a, k);
		if (special(k) || (!v && !w))
			continue;
		if (!v || !w || !json_object_equal(v, w)) {
			snprintf(why, len, "medium %s was %s, is %s", k, text(v), text(w));
			return DSP_IDENTITY_DIFFERS;
		}
	}
	json_object_object_foreach(b, k2, v2) {
		v2 = member(b, k2);
		if (!special(k2) && v2 && !member(a, k2)) {
			snprintf(why, len, "medium %s was none, is %s", k2, text(v2));
			return DSP_IDENTITY_DIFFERS;
		}
	}
	return 0;
}

int dsp_identity_compare(struct json_object *rec, struct json_object *now,
			 char *why, size_t len)
{
	struct json_object *a, *b;
	int r;

	if (len)
		why[0] = '\0';
	if (!rec || !identifies(rec))
		return DSP_IDENTITY_NONE;
	if (!now) {
		snprintf(why, len, "its identity cannot be read now");
		return DSP_IDENTITY_DIFFERS;
	}
	if (json_object_object_get_ex(rec, "size", &a)) {
		b = json_object_object_get(now, "size");
		if (!b || !json_object_is_type(a, json_type_int) ||
		    json_object_get_int64(a) != json_object_get_int64(b)) {
			snprintf(why, len, "size was %s, is %s", text(a), text(b));
			return DSP_IDENTITY_DIFFERS;
		}
	}
	r = model_match(rec, now, "", why, len);
	if (!r)
		r = ids_match(rec, now, "", "serial", "sysfs_serial", why, len);
	if (!r)
		r = ids_match(rec, now, "", "wwn", "sysfs_wwid", why, len);
	if (!r && strcmp(sval(rec, "backing_file"), sval(now, "backing_file"))) {
		snprintf(why, len, "backing_file was \"%s\", is \"%s\"", sval(rec, "backing_file"),
			 sval(now, "backing_file"));
		r = DSP_IDENTITY_DIFFERS;
	}
	if (r)
		return r;
	a = member(rec, "medium");
	if (a)
		return medium_match(a, member(now, "medium"), why, len);
	return 0;
}

int dsp_identity_recheck_devno(struct json_object *checked, dev_t devno, char *why, size_t len)
{
	struct dsp_blkdev_info info;
	struct json_object *now;
	int r;

	if (len)
		why[0] = '\0';
	r = dsp_device_info(NULL, devno, &info);
	if (r < 0) {
		snprintf(why, len, "its identity cannot be read now: %s", strerror(-r));
		return DSP_IDENTITY_DIFFERS;
	}
	now = dsp_identity_block(&info);
	r = dsp_identity_compare(checked, now, why, len);
	if (r == DSP_IDENTITY_NONE) {
		/* nothing identifying: at least nothing may have changed */
		r = checked && now && json_object_equal(checked, now) ? 0 : DSP_IDENTITY_DIFFERS;
		if (r)
			snprintf(why, len, "was %s, is %s", text(checked), text(now));
	}
	json_object_put(now);
	return r;
}

int dsp_identity_recheck(struct json_object *checked, const char *path, char *why, size_t len)
{
	struct stat st;

	if (len)
		why[0] = '\0';
	if (stat(path, &st) < 0) {
		snprintf(why, len, "its identity cannot be read now: %s", strerror(errno));
		return DSP_IDENTITY_DIFFERS;
	}
	if (!S_ISBLK(st.st_mode)) {
		snprintf(why, len, "its identity cannot be read now: %s", strerror(ENOTBLK));
		return DSP_IDENTITY_DIFFERS;
	}
	return dsp_identity_recheck_devno(checked, st.st_rdev, why, len);
}
