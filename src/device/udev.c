/* SPDX-License-Identifier: MIT */
/* udev.c - udev's view of a block device (serial, WWN, path, by-id links) beside sysfs */
#include "dispose/device.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libudev.h>

static void copy(char *dst, size_t n, const char *src, size_t l)
{
	if (l > n - 1)
		l = n - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

/* Does prop ("KEY=VALUE") have key? Then its value. */
static const char *value_of(const char *prop, const char *key)
{
	size_t l = strlen(key);

	return !strncmp(prop, key, l) && prop[l] == '=' ? prop + l + 1 : NULL;
}

/* udev's \xHH encoding (ID_MODEL_ENC) decoded; other bytes kept, controls dropped. */
static void decode_enc(char *dst, size_t n, const char *src)
{
	size_t j = 0;

	while (*src && j + 1 < n) {
		if (src[0] == '\\' && src[1] == 'x' && isxdigit((unsigned char)src[2]) &&
		    isxdigit((unsigned char)src[3])) {
			char hex[3] = { src[2], src[3], 0 };
			char c = (char)strtoul(hex, NULL, 16);

			if (c && !iscntrl((unsigned char)c))
				dst[j++] = c;
			src += 4;
			continue;
		}
		if (!iscntrl((unsigned char)*src))
			dst[j++] = *src;
		src++;
	}
	/* udev pads with blanks as the device reports them */
	while (j && dst[j - 1] == ' ')
		j--;
	dst[j] = '\0';
}

static int cmp_link(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void add_links(struct dsp_device_udev *u, const char *v)
{
	static const char pre[] = "/dev/disk/by-id/";

	while (*v) {
		size_t l;

		while (*v == ' ')
			v++;
		l = strcspn(v, " ");
		if (l > sizeof(pre) - 1 && !strncmp(v, pre, sizeof(pre) - 1) &&
		    l < sizeof(u->by_id[0]) && u->nby_id < sizeof(u->by_id) / sizeof(u->by_id[0]))
			copy(u->by_id[u->nby_id++], sizeof(u->by_id[0]), v, l);
		v += l;
	}
}

void dsp_device_udev_parse(const char *const *props, size_t n, struct dsp_device_udev *u)
{
	char model_enc[128] = "", wwn[128] = "";
	const char *v;
	bool present = u->present;

	memset(u, 0, sizeof(*u));
	u->present = present;
	for (size_t i = 0; i < n; i++) {
		const char *p = props[i];

		if (!p)
			continue;
		if ((v = value_of(p, "ID_SERIAL_SHORT")))
			copy(u->serial, sizeof(u->serial), v, strlen(v));
		else if ((v = value_of(p, "ID_WWN_WITH_EXTENSION")))
			copy(u->wwn, sizeof(u->wwn), v, strlen(v));
		else if ((v = value_of(p, "ID_WWN")))
			copy(wwn, sizeof(wwn), v, strlen(v));
		else if ((v = value_of(p, "ID_MODEL_ENC")))
			decode_enc(model_enc, sizeof(model_enc), v);
		else if ((v = value_of(p, "ID_MODEL")))
			copy(u->model, sizeof(u->model), v, strlen(v));
		else if ((v = value_of(p, "ID_PATH")))
			copy(u->id_path, sizeof(u->id_path), v, strlen(v));
		else if ((v = value_of(p, "DEVLINKS")))
			add_links(u, v);
	}
	if (!u->wwn[0])
		copy(u->wwn, sizeof(u->wwn), wwn, strlen(wwn));
	if (model_enc[0])
		copy(u->model, sizeof(u->model), model_enc, strlen(model_enc));
	qsort(u->by_id, u->nby_id, sizeof(u->by_id[0]), cmp_link);
}

int dsp_device_udev_read(dev_t devno, struct dsp_device_udev *u)
{
	struct udev_list_entry *e;
	struct udev_device *d;
	const char **props = NULL, **np;
	char **owned = NULL, **no;
	size_t n = 0;
	struct udev *udev;
	int r = 0;

	memset(u, 0, sizeof(*u));
	udev = udev_new();
	if (!udev)
		return -ENOMEM;
	errno = 0;
	d = udev_device_new_from_devnum(udev, 'b', devno);
	if (!d) {
		r = errno ? -errno : -ENOENT;
		udev_unref(udev);
		return r;
	}
	/* without a database (chroot, rescue system) udev knows only the uevent */
	if (udev_device_get_is_initialized(d) <= 0) {
		udev_device_unref(d);
		udev_unref(udev);
		return -ENOENT;
	}
	udev_list_entry_foreach(e, udev_device_get_properties_list_entry(d)) {
		const char *k = udev_list_entry_get_name(e), *v = udev_list_entry_get_value(e);
		size_t l;

		if (!k || !v)
			continue;
		np = realloc(props, (n + 1) * sizeof(*props));
		if (np)
			props = np;
		no = realloc(owned, (n + 1) * sizeof(*owned));
		if (no)
			owned = no;
		if (!np || !no) {
			r = -ENOMEM;
			break;
		}
		l = strlen(k) + strlen(v) + 2;
		owned[n] = malloc(l);
		if (!owned[n]) {
			r = -ENOMEM;
			break;
		}
		strcpy(owned[n], k);
		strcat(owned[n], "=");
		strcat(owned[n], v);
		props[n] = owned[n];
		n++;
	}
	if (!r) {
		u->present = true;
		dsp_device_udev_parse(props, n, u);
	}
	while (n)
		free(owned[--n]);
	free(owned);
	free(props);
	udev_device_unref(d);
	udev_unref(udev);
	return r;
}

void dsp_device_udev_merge(struct dsp_blkdev_info *in, const struct dsp_device_udev *u)
{
	if (!u->present)
		return;
	in->udev = true;
	if (u->serial[0]) {
		if (in->serial[0] && strcmp(in->serial, u->serial))
			copy(in->sysfs_serial, sizeof(in->sysfs_serial), in->serial, strlen(in->serial));
		copy(in->serial, sizeof(in->serial), u->serial, strlen(u->serial));
	}
	if (u->wwn[0]) {
		if (in->wwn[0] && strcmp(in->wwn, u->wwn))
			copy(in->sysfs_wwn, sizeof(in->sysfs_wwn), in->wwn, strlen(in->wwn));
		copy(in->wwn, sizeof(in->wwn), u->wwn, strlen(u->wwn));
	}
	if (!in->model[0] && u->model[0])
		copy(in->model, sizeof(in->model), u->model, strlen(u->model));
	copy(in->id_path, sizeof(in->id_path), u->id_path, strlen(u->id_path));
	memcpy(in->by_id, u->by_id, sizeof(in->by_id));
	in->nby_id = u->nby_id;
}
