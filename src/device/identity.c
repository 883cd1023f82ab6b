/* SPDX-License-Identifier: MIT */
/* identity.c - a block device's identity for the run record, and whether --resume has the same medium */
#include "dispose/device.h"
#include "dispose/common.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

static struct json_object *medium_json(const struct dsp_blkdev_info *info)
{
	struct dsp_blkdev_medium m;
	struct dsp_blkdev_info bi;
	struct json_object *o;
	char dev[32];

	if (dsp_blkdev_medium(info->path, &m) < 0)
		return NULL;
	o = json_object_new_object();
	if (m.file) {
		snprintf(dev, sizeof(dev), "%u:%u", major(m.file_dev), minor(m.file_dev));
		json_object_object_add(o, "kind", json_object_new_string("file"));
		json_object_object_add(o, "dev", json_object_new_string(dev));
		json_object_object_add(o, "ino", json_object_new_int64((int64_t)m.file_ino));
	} else {
		/* the disk at the bottom names it; its kernel name may change */
		if (dsp_blkdev_info_name(m.bottom_name, &bi) < 0) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, "kind", json_object_new_string("disk"));
		json_object_object_add(o, "serial", json_object_new_string(bi.serial));
		json_object_object_add(o, "wwn", json_object_new_string(bi.wwn));
		json_object_object_add(o, "model", json_object_new_string(bi.model));
	}
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)m.offset));
	return o;
}

struct json_object *dsp_identity_block(const struct dsp_blkdev_info *info)
{
	struct json_object *o = json_object_new_object(), *m;
	const struct {
		const char *key, *val;
	} f[] = {
		{ "name", info->name }, { "model", info->model },
		{ "serial", info->serial }, { "wwn", info->wwn },
		{ "vendor", info->vendor }, { "transport", info->transport },
		{ "backing_file", info->backing_file },
	};

	if (!o)
		return NULL;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(f); i++)
		if (f[i].val[0])
			json_object_object_add(o, f[i].key, json_object_new_string(f[i].val));
	json_object_object_add(o, "partition", json_object_new_boolean(info->is_partition));
	if (info->removable >= 0)
		json_object_object_add(o, "removable", json_object_new_boolean(info->removable > 0));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)info->size));
	m = medium_json(info);
	if (m)
		json_object_object_add(o, "medium", m);
	return o;
}

/* A string member, "" when absent or not a string. */
static const char *sval(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static const char *text(struct json_object *v)
{
	return v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "none";
}

/* What the record must hold for a device to be recognised again. */
static bool identifies(struct json_object *rec)
{
	struct json_object *m, *v;

	if (sval(rec, "serial")[0] || sval(rec, "wwn")[0])
		return true;
	if (!json_object_object_get_ex(rec, "medium", &m))
		return false;
	if (!strcmp(sval(m, "kind"), "file"))
		return sval(m, "dev")[0] && json_object_object_get_ex(m, "ino", &v) &&
		       json_object_is_type(v, json_type_int);
	return sval(m, "serial")[0] || sval(m, "wwn")[0];
}

int dsp_identity_compare(struct json_object *rec, struct json_object *now,
			 char *why, size_t len)
{
	static const char *const strs[] = { "model", "serial", "wwn", "backing_file" };
	struct json_object *a, *b;

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
	for (size_t i = 0; i < DSP_ARRAY_SIZE(strs); i++)
		if (strcmp(sval(rec, strs[i]), sval(now, strs[i]))) {
			snprintf(why, len, "%s was \"%s\", is \"%s\"", strs[i],
				 sval(rec, strs[i]), sval(now, strs[i]));
			return DSP_IDENTITY_DIFFERS;
		}
	if (json_object_object_get_ex(rec, "medium", &a)) {
		b = json_object_object_get(now, "medium");
		if (!b || !json_object_is_type(a, json_type_object)) {
			snprintf(why, len, "medium was %s, is %s", text(a), text(b));
			return DSP_IDENTITY_DIFFERS;
		}
		/* name the first member that differs, both ways */
		json_object_object_foreach(a, k, v) {
			struct json_object *w = json_object_object_get(b, k);

			if (!w || !json_object_equal(v, w)) {
				snprintf(why, len, "medium %s was %s, is %s", k, text(v), text(w));
				return DSP_IDENTITY_DIFFERS;
			}
		}
		json_object_object_foreach(b, k2, v2) {
			if (!json_object_object_get_ex(a, k2, NULL)) {
				snprintf(why, len, "medium %s was none, is %s", k2, text(v2));
				return DSP_IDENTITY_DIFFERS;
			}
		}
	}
	return 0;
}

int dsp_identity_recheck(struct json_object *checked, const char *path, char *why, size_t len)
{
	struct dsp_blkdev_info info;
	struct json_object *now;
	int r;

	if (len)
		why[0] = '\0';
	r = dsp_blkdev_info(path, &info);
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
