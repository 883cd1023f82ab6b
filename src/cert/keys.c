/* SPDX-License-Identifier: MIT */
/* keys.c - certify --inventory: which keys of the inventory lay inside the erased targets */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/device.h"
#include "dispose/json.h"

#define INV_SCHEMA	"dispose-inventory/1"
#define INV_MAX		(512ull << 20)	/* an inventory of millions of files stays below */

struct key {
	char *path;			/* exact bytes */
	struct json_object *item;	/* the inventory's keys[] element (borrowed) */
	bool has_id;			/* dev/ino of the key's file, from files[] */
	dev_t dev;
	ino_t ino;
};

struct inv {
	const char *name;
	struct json_object *doc;
	struct json_object *files;	/* path bytes -> files[] element (borrowed) */
	struct json_object *devices;	/* devices[] or NULL */
	struct key *keys;
	size_t nkeys;
};

static int read_doc(const char *path, struct json_object **out, char **why)
{
	struct json_tokener *tok = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = cert_open_in(path), r = 0;	/* a FIFO: refused below, never waited for */

	*out = NULL;
	if (fd < 0)
		return cert_why(why, DSP_INVALID, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = cert_why(why, DSP_INVALID, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > INV_MAX) {
		r = cert_why(why, DSP_INVALID, "%s: larger than %llu MiB", path, INV_MAX >> 20);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = cert_why(why, DSP_INVALID, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	tok = json_tokener_new_ex(64);
	if (!tok) {
		r = -ENOMEM;
		goto out;
	}
	*out = json_tokener_parse_ex(tok, buf, (int)len);
	if (!*out || json_tokener_get_error(tok) != json_tokener_success) {
		r = cert_why(why, DSP_INVALID, "%s: not a JSON document", path);
		goto out;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
		if (!strchr(" \t\r\n", buf[i])) {
			r = cert_why(why, DSP_INVALID, "%s: text after the JSON document", path);
			goto out;
		}
	if (!json_object_is_type(*out, json_type_object) ||
	    !dsp_json_str(*out, "schema") || strcmp(dsp_json_str(*out, "schema"), INV_SCHEMA))
		r = cert_why(why, DSP_INVALID, "%s: not a %s document", path, INV_SCHEMA);
out:
	if (r) {
		json_object_put(*out);
		*out = NULL;
	}
	if (tok)
		json_tokener_free(tok);
	free(buf);
	close(fd);
	return r;
}

/* An array member, or none; another type is invalid. */
static int array_of(struct inv *v, const char *k, struct json_object **a, char **why)
{
	*a = NULL;
	if (!json_object_object_get_ex(v->doc, k, a) || !*a)
		return 0;
	if (!json_object_is_type(*a, json_type_array))
		return cert_why(why, DSP_INVALID, "%s: %s: not an array", v->name, k);
	return 0;
}

static bool get_dev_ino(struct json_object *o, dev_t *dev, ino_t *ino)
{
	int64_t d, i;

	if (dsp_json_i64(o, "dev", &d) || dsp_json_i64(o, "ino", &i) || d < 0 || i <= 0)
		return false;
	*dev = (dev_t)d;
	*ino = (ino_t)i;
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct key *)a)->path, ((const struct key *)b)->path);
}

static int load(struct inv *v, char **why)
{
	struct json_object *files, *keys;
	int r;

	if ((r = array_of(v, "files", &files, why)) || (r = array_of(v, "keys", &keys, why)) ||
	    (r = array_of(v, "devices", &v->devices, why)))
		return r;
	v->files = json_object_new_object();
	if (!v->files)
		return -ENOMEM;
	for (size_t i = 0; files && i < json_object_array_length(files); i++) {
		struct json_object *f = json_object_array_get_idx(files, i);
		char *p;

		if (dsp_json_bytes(f, "path", &p, NULL))
			continue;	/* a file without a usable path cannot be looked up */
		json_object_object_add(v->files, p, json_object_get(f));
		free(p);
	}
	if (!keys)
		return 0;
	v->keys = calloc(json_object_array_length(keys) + 1, sizeof(*v->keys));
	if (!v->keys)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i), *f;
		struct key *e = &v->keys[v->nkeys];

		r = dsp_json_bytes(k, "path", &e->path, NULL);
		if (r == -ENOMEM)
			return r;
		if (r || e->path[0] != '/') {
			free(e->path);
			e->path = NULL;
			return cert_why(why, DSP_INVALID, "%s: keys[%zu]: no absolute path", v->name, i);
		}
		e->item = k;
		if (json_object_object_get_ex(v->files, e->path, &f))
			e->has_id = get_dev_ino(f, &e->dev, &e->ino);
		v->nkeys++;
	}
	qsort(v->keys, v->nkeys, sizeof(*v->keys), key_cmp);
	return 0;
}

/* Is path dir itself or below it, component by component ("/a/bc" is not under "/a/b")? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

/* Does any directory above path have this dev/ino, as the inventory saw it? */
static bool ancestor_is(const struct inv *v, const char *path, dev_t dev, ino_t ino)
{
	char *p = strdup(path), *s;
	struct json_object *f;
	bool hit = false;
	dev_t d;
	ino_t i;

	if (!p)
		return false;
	while (!hit && (s = strrchr(p, '/'))) {
		s[s == p ? 1 : 0] = '\0';
		if (json_object_object_get_ex(v->files, p, &f) && get_dev_ino(f, &d, &i))
			hit = d == dev && i == ino;
		if (s == p)
			break;
	}
	free(p);
	return hit;
}

static bool devno_of(struct json_object *id, dev_t *out)
{
	const char *s = dsp_json_str(id, "devno");
	unsigned ma, mi;
	char c;

	if (!s || sscanf(s, "%u:%u%c", &ma, &mi, &c) != 2)
		return false;
	*out = makedev(ma, mi);
	return true;
}

/* A mountpoint of a devices[] entry (or one of its partitions) named as the target holds path. */
static bool on_device_mount(const struct inv *v, const char *name, const char *devpath,
			    const char *path)
{
	for (size_t i = 0; v->devices && i < json_object_array_length(v->devices); i++) {
		struct json_object *d = json_object_array_get_idx(v->devices, i), *parts, *mp;
		const char *dn = dsp_json_str(d, "name"), *dp = dsp_json_str(d, "path");
		size_t np;

		if (!((name && dn && !strcmp(name, dn)) || (devpath && dp && !strcmp(devpath, dp))))
			continue;
		parts = json_object_object_get(d, "partitions");
		np = json_object_is_type(parts, json_type_array) ? json_object_array_length(parts) : 0;
		for (size_t j = 0; j <= np; j++) {
			struct json_object *e = j ? json_object_array_get_idx(parts, j - 1) : d;

			mp = json_object_object_get(e, "mountpoints");
			for (size_t k = 0; json_object_is_type(mp, json_type_array) &&
					   k < json_object_array_length(mp); k++) {
				const char *m = json_object_get_string(json_object_array_get_idx(mp, k));

				if (json_object_is_type(json_object_array_get_idx(mp, k),
							json_type_string) && m[0] == '/' &&
				    under(path, m))
					return true;
			}
		}
	}
	return false;
}

static bool key_in_target(const struct inv *v, const struct key *k, struct json_object *t,
			  const char *tpath)
{
	const char *kind = dsp_json_str(t, "kind");
	struct json_object *id = json_object_object_get(t, "identity");
	dev_t dev, disk_dev;
	ino_t ino;

	if (!kind)
		return false;
	if (!strcmp(kind, "file"))
		return (tpath && !strcmp(k->path, tpath)) ||
		       (k->has_id && get_dev_ino(id, &dev, &ino) && dev == k->dev && ino == k->ino);
	if (!strcmp(kind, "tree"))
		return (tpath && under(k->path, tpath)) ||
		       (get_dev_ino(id, &dev, &ino) &&
			((k->has_id && k->dev == dev && k->ino == ino) ||
			 ancestor_is(v, k->path, dev, ino)));
	if (strcmp(kind, "block"))
		return false;
	/* a block device: the filesystem the key's file was on is it or one of its partitions */
	if (k->has_id && devno_of(id, &dev)) {
		char name[64], disk[64];
		bool part;

		if (k->dev == dev)
			return true;
		disk_dev = k->dev;
		if (dsp_device_name(NULL, disk_dev, name, sizeof(name), disk, sizeof(disk), &part) == 0 &&
		    part && dsp_json_str(id, "name") && !strcmp(disk, dsp_json_str(id, "name")))
			return true;
	}
	return on_device_mount(v, dsp_json_str(id, "name"), tpath, k->path);
}

/* The public-key fingerprint the inventory recorded: SPKI SHA-256, else SSH, else OpenPGP. */
static struct json_object *fingerprint(struct json_object *item)
{
	static const char *const ks[] = { "spki_sha256", "ssh_fingerprint", "pgp_fingerprint" };

	for (size_t i = 0; i < DSP_ARRAY_SIZE(ks); i++)
		if (dsp_json_str(item, ks[i]))
			return dsp_json_string(dsp_json_str(item, ks[i]), NULL);
	return NULL;
}

static int fill(const struct inv *v, struct json_object *t)
{
	struct json_object *arr = json_object_new_array();
	char *tpath = NULL;
	int r = dsp_json_bytes(t, "path", &tpath, NULL);

	if (r == -ENOMEM || !arr) {
		json_object_put(arr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v->nkeys; i++) {
		const struct key *k = &v->keys[i];
		struct json_object *o;

		if (!key_in_target(v, k, t, tpath))
			continue;
		o = json_object_new_object();
		if (!o || dsp_json_add_bytes(o, "path", k->path) ||
		    json_object_object_add(o, "type", dsp_json_string(dsp_json_str(k->item, "format"),
								       NULL)) ||
		    json_object_object_add(o, "fingerprint", fingerprint(k->item)) ||
		    json_object_array_add(arr, o)) {
			json_object_put(o);
			json_object_put(arr);
			free(tpath);
			return -ENOMEM;
		}
	}
	free(tpath);
	return json_object_object_add(t, "key_material", arr) ? -ENOMEM : 0;
}

int cert_inventory_keys(const char *inventory, struct json_object *targets, char **why)
{
	struct inv v = { .name = inventory };
	int r;

	if (!inventory || !json_object_is_type(targets, json_type_array))
		return -EINVAL;
	r = read_doc(inventory, &v.doc, why);
	if (!r)
		r = load(&v, why);
	for (size_t i = 0; !r && i < json_object_array_length(targets); i++)
		r = fill(&v, json_object_array_get_idx(targets, i));
	for (size_t i = 0; i < v.nkeys; i++)
		free(v.keys[i].path);
	free(v.keys);
	json_object_put(v.files);
	json_object_put(v.doc);
	return r;
}
