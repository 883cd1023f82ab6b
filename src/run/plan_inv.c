/* SPDX-License-Identifier: MIT */
/* plan_inv.c - the plan's inventory (read or scanned) and what a rule's selectors match in it */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dispose/common.h"
#include "dispose/device.h"
#include "dispose/inventory.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/run.h"
#include "dispose/util.h"
#include "plan_int.h"

/* Inventory documents read whole: large enough for millions of files. */
#define INV_MAX		((size_t)4 << 30)

/* ---- the inventory ---- */

static int inv_parse(struct pl *s, const char *text, size_t len, const char *name)
{
	struct json_tokener *tok;
	enum json_tokener_error e;
	const char *schema;

	if (dsp_sha256_hex(text, len, s->inv_sha256))
		return plan_fail(s, -EIO, "%s: cannot hash", name);
	if (!(tok = json_tokener_new_ex(64)))
		return plan_fail(s, -ENOMEM, "%s: out of memory", name);
	s->inv = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	if (s->inv && (size_t)json_tokener_get_parse_end(tok) < len &&
	    strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
	    len - json_tokener_get_parse_end(tok))
		e = json_tokener_error_parse_unexpected;
	json_tokener_free(tok);
	if (e != json_tokener_success || !s->inv)
		return plan_fail(s, DSP_INVALID, "%s: not JSON: %s", name,
			    json_tokener_error_desc(e == json_tokener_continue ?
						    json_tokener_error_parse_eof : e));
	schema = dsp_json_str(s->inv, "schema");
	if (!schema || strcmp(schema, DSP_INV_SCHEMA))
		return plan_fail(s, DSP_INVALID, "%s: schema: not %s", name, DSP_INV_SCHEMA);
	return 0;
}

int plan_inv_load(struct pl *s)
{
	const struct dsp_policy *p = s->p;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (s->o->inventory) {
		rc = dsp_file_read(s->o->inventory, INV_MAX, 0, &text, &len);
		if (rc)
			return plan_fail(s, rc == -EINVAL || rc == -EFBIG ? DSP_INVALID : rc, "%s: %s",
				    s->o->inventory, rc == -EINVAL ? "not a regular file" :
				    strerror(-rc));
		rc = inv_parse(s, text, len, s->o->inventory);
		free(text);
		return rc;
	}

	/* scan now, as `dispose inventory` with the policy's roots and categories */
	struct dsp_inv_opts io = { .log = s->o->log };
	const char **roots = calloc(p->nroots + 1, sizeof(*roots));
	FILE *f;

	if (!roots)
		return plan_fail(s, -ENOMEM, "inventory: out of memory");
	for (size_t i = 0; i < p->nroots; i++)
		roots[i] = p->roots[i];
	io.roots = p->nroots ? roots : NULL;
	io.what = p->categories & (DSP_INV_SOFTWARE | DSP_INV_DATA | DSP_INV_KEYS | DSP_INV_DEVICES);
	if (!io.what)
		io.what = DSP_INV_SOFTWARE | DSP_INV_DATA | DSP_INV_KEYS | DSP_INV_DEVICES;
	if (p->hash)
		io.what |= DSP_INV_HASH | DSP_INV_DATA;
	io.sysroot = s->sysroot[0] ? s->sysroot : NULL;
	f = open_memstream(&text, &len);
	if (!f) {
		free(roots);
		return plan_fail(s, -errno, "inventory: %s", strerror(errno));
	}
	rc = dsp_inv_write(f, &io);
	free(roots);
	if (fclose(f) && rc >= 0)
		rc = -errno;
	if (rc < 0) {
		free(text);
		return plan_fail(s, rc, "inventory: %s", strerror(-rc));
	}
	if (rc > 0) {
		free(text);
		return plan_fail(s, -EIO, "inventory: a whole category could not be read");
	}
	rc = inv_parse(s, text, len, "inventory");
	free(text);
	return rc;
}

struct json_object *plan_inv_array(struct pl *s, const char *key)
{
	struct json_object *a;

	if (json_object_object_get_ex(s->inv, key, &a) && json_object_is_type(a, json_type_array))
		return a;
	return NULL;
}

static int ent_cmp(const void *a, const void *b)
{
	return plan_pathcmp(((const struct ent *)a)->path, ((const struct ent *)b)->path);
}

int plan_ents_load(struct pl *s)
{
	struct json_object *files = plan_inv_array(s, "files");
	size_t n = files ? json_object_array_length(files) : 0;

	s->ents = calloc(n ? n : 1, sizeof(*s->ents));
	if (!s->ents)
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(files, i);
		struct ent *e = &s->ents[s->nents];
		char *path = NULL;
		int rc = dsp_json_bytes(f, "path", &path, NULL);

		if (rc == -ENOMEM)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		if (rc || path[0] != '/') {
			free(path);
			return plan_fail(s, DSP_INVALID, "%s: files[%zu].path: not an absolute path",
				    s->o->inventory ? s->o->inventory : "inventory", i);
		}
		if (!plan_path_clean(path)) {
			dsp_log(DSP_LOG_WARN, "%s: files[%zu].path: %s: not a normalized path "
				"(\".\", \"..\" or an empty component): ignored",
				s->o->inventory ? s->o->inventory : "inventory", i, path);
			free(path);
			continue;
		}
		e->path = path;
		e->type = dsp_json_str(f, "type");
		if (!e->type)
			e->type = "other";
		e->dir = !strcmp(e->type, "dir");
		e->reg = !strcmp(e->type, "file");
		e->outside = !plan_under_roots(s, path);
		if (dsp_json_u64(f, "size", &e->size))
			e->size = 0;
		s->nents++;	/* counted as it is loaded: freed on an error too */
	}
	qsort(s->ents, s->nents, sizeof(*s->ents), ent_cmp);
	/* one entry per path (two roots may list one tree twice) */
	for (size_t i = 1, w = 1; i <= s->nents; i++) {
		if (i == s->nents) {
			s->nents = w;
			break;
		}
		if (!strcmp(s->ents[i].path, s->ents[w - 1].path))
			free(s->ents[i].path);
		else
			s->ents[w++] = s->ents[i];
	}
	return 0;
}

/* The first entry not before path (plan_pathcmp), or nents. */
static size_t ent_lower(struct pl *s, const char *path)
{
	size_t lo = 0, hi = s->nents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (plan_pathcmp(s->ents[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct ent *plan_ent_find(struct pl *s, const char *path)
{
	size_t i = ent_lower(s, path);

	return i < s->nents && !strcmp(s->ents[i].path, path) ? &s->ents[i] : NULL;
}

/* [*lo, *hi): path itself (when listed) and every entry under it. */
void plan_ent_range(struct pl *s, const char *path, size_t *lo, size_t *hi)
{
	size_t i = ent_lower(s, path);

	*lo = i;
	while (i < s->nents && plan_path_within(s->ents[i].path, path))
		i++;
	*hi = i;
}

/* ---- selectors ---- */

bool plan_has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

bool plan_path_clean(const char *p)
{
	if (p[0] != '/')
		return false;
	if (!p[1])
		return true;
	for (const char *c = p; *c; ) {
		size_t l;

		c++;	/* past the '/' */
		l = strcspn(c, "/");
		if (!l || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += l;
	}
	return true;
}

/* Under one of the policy's roots (no roots: the inventory's default, everything). */
bool plan_under_roots(struct pl *s, const char *path)
{
	if (!s->p->nroots)
		return true;
	for (size_t i = 0; i < s->p->nroots; i++)
		if (plan_path_within(path, s->p->roots[i]))
			return true;
	return false;
}

/* A policy path: a glob, "X/ **" (no space): X and everything under it. */
static int sel_paths(struct pl *s, const char *pat, match_fn fn, void *arg, size_t *n)
{
	size_t l = strlen(pat), lo = 0, hi = s->nents;
	size_t bl = l >= 3 && !strcmp(pat + l - 3, "/**") ? l - 3 : l;
	char *base = malloc(bl + 2);	/* room for "/" (a pattern of "/" and two stars) */
	const char *lit;
	int rc = 0;

	if (!base)
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	memcpy(base, pat, bl);
	base[bl] = '\0';
	if (!base[0])
		strcpy(base, "/");
	/* only entries under the pattern's literal directory can match */
	lit = base;
	if (plan_has_glob(base)) {
		char *dir = strndup(base, strcspn(base, "*?["));

		if (!dir) {
			free(base);
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		}
		*(strrchr(dir, '/') ? strrchr(dir, '/') + (strrchr(dir, '/') == dir) : dir) = '\0';
		if (dir[0])
			plan_ent_range(s, dir, &lo, &hi);
		free(dir);
		for (size_t i = lo; i < hi && !rc; i++) {
			if (s->ents[i].outside || fnmatch(base, s->ents[i].path, FNM_PATHNAME))
				continue;
			struct match m = { .path = s->ents[i].path,
					   .kind = s->ents[i].dir ? TK_TREE : TK_FILE,
					   .special = !s->ents[i].dir && !s->ents[i].reg,
					   .selected = "paths" };
			(*n)++;
			rc = fn(s, &m, arg);
		}
	} else {
		struct ent *e = plan_ent_find(s, lit);

		if (e && e->outside)
			dsp_log(DSP_LOG_WARN, "%s: not under the policy's roots: not selected", e->path);
		else if (e) {
			struct match m = { .path = e->path, .kind = e->dir ? TK_TREE : TK_FILE,
					   .special = !e->dir && !e->reg, .selected = "paths" };
			(*n)++;
			rc = fn(s, &m, arg);
		}
	}
	free(base);
	return rc;
}

static int sel_keys(struct pl *s, const char *fmt, match_fn fn, void *arg, size_t *n)
{
	struct json_object *keys = plan_inv_array(s, "keys");
	int rc = 0;

	for (size_t i = 0; keys && i < json_object_array_length(keys) && !rc; i++) {
		struct json_object *k = json_object_array_get_idx(keys, i);
		const char *f = dsp_json_str(k, "format");
		char *path = NULL, sel[160];

		if (!f || (strcmp(fmt, "any") && strcmp(fmt, f)))
			continue;
		if (dsp_json_bytes(k, "path", &path, NULL) || path[0] != '/') {
			free(path);
			continue;	/* a key inside a container, by another name */
		}
		snprintf(sel, sizeof(sel), "key %s", f);
		struct match m = { .path = path, .kind = TK_FILE, .selected = sel };
		struct ent *e = plan_ent_find(s, path);
		struct stat st;

		/* the inventory is outside input: where and what the file is, is checked now */
		if (!plan_path_clean(path) || !plan_under_roots(s, path)) {
			dsp_log(DSP_LOG_WARN, "key %s: %s: not selected", path,
				plan_path_clean(path) ? "not under the policy's roots" :
				"not a normalized path");
			free(path);
			continue;
		}
		if (lstat(path, &st) || !S_ISREG(st.st_mode)) {
			dsp_log(DSP_LOG_WARN, "key %s: %s: not selected", path,
				lstat(path, &st) ? "gone" : "not a regular file now");
			free(path);
			continue;
		}
		if (!e) {
			m.size = (uint64_t)st.st_size;
			m.files = 1;
			m.have_size = true;
		}
		(*n)++;
		rc = fn(s, &m, arg);
		free(path);
	}
	return rc;
}

/* Every regular file a dpkg package owns (its .list under SYSROOT/var/lib/dpkg/info). */
static int pkg_files(struct pl *s, const char *name, const char *arch, const char *sel,
		     match_fn fn, void *arg, size_t *n)
{
	char lp[PATH_MAX], bin[PATH_MAX], canon[PATH_MAX], full[PATH_MAX];
	char *text = NULL, *line, *save = NULL;
	struct stat st;
	bool merged;
	int rc;

	if ((size_t)snprintf(lp, sizeof(lp), "%s/var/lib/dpkg/info/%s:%s.list", s->sysroot, name,
			     arch ? arch : "") >= sizeof(lp))
		return 0;
	rc = arch ? dsp_file_read(lp, 64u << 20, DSP_FILE_NOFOLLOW, &text, NULL) : -ENOENT;
	if (rc == -ENOENT) {
		if ((size_t)snprintf(lp, sizeof(lp), "%s/var/lib/dpkg/info/%s.list", s->sysroot,
				     name) >= sizeof(lp))
			return 0;
		rc = dsp_file_read(lp, 64u << 20, DSP_FILE_NOFOLLOW, &text, NULL);
	}
	if (rc == -ENOENT)
		return 0;	/* no file list: nothing owned */
	if (rc)
		return plan_fail(s, rc == -ENOMEM ? rc : -EIO, "%s: %s", lp, strerror(-rc));
	if ((size_t)snprintf(bin, sizeof(bin), "%s/bin", s->sysroot) >= sizeof(bin))
		bin[0] = '\0';
	merged = lstat(bin, &st) == 0 && S_ISLNK(st.st_mode);
	rc = 0;
	for (line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;

		if (p[0] != '/' || !strcmp(p, "/."))
			continue;
		if (merged)
			p = dsp_dpkg_canon_path(p, canon, sizeof(canon));
		/* a hostile or damaged list: nothing may lead out of the sysroot */
		if (!p || !plan_path_clean(p)) {
			dsp_log(DSP_LOG_WARN, "%s: %s: not a normalized path: not selected", lp, line);
			continue;
		}
		if ((size_t)snprintf(full, sizeof(full), "%s%s", s->sysroot, p) >= sizeof(full))
			continue;
		if (lstat(full, &st) || !S_ISREG(st.st_mode))
			continue;	/* directories are shared; links and gone files are not data */
		struct match m = { .path = full, .kind = TK_FILE, .selected = sel,
				   .size = (uint64_t)st.st_size, .files = 1, .have_size = true };
		(*n)++;
		rc = fn(s, &m, arg);
	}
	free(text);
	return rc;
}

static int sel_packages(struct pl *s, const char *glob, match_fn fn, void *arg, size_t *n,
			size_t *npkg)
{
	struct json_object *sw = plan_inv_array(s, "software");
	int rc = 0;

	for (size_t i = 0; sw && i < json_object_array_length(sw) && !rc; i++) {
		struct json_object *o = json_object_array_get_idx(sw, i);
		const char *mgr = dsp_json_str(o, "manager"), *name = dsp_json_str(o, "name");
		char sel[320];
		size_t before = *n;

		if (!mgr || !name || !strcmp(mgr, "unpackaged") || fnmatch(glob, name, 0))
			continue;
		(*npkg)++;
		snprintf(sel, sizeof(sel), "package %s", name);
		if (!strcmp(mgr, "dpkg"))
			rc = pkg_files(s, name, dsp_json_str(o, "arch"), sel, fn, arg, n);
		if (!rc && *n == before)
			dsp_log(DSP_LOG_INFO, "package %s: no file of its own to erase", name);
	}
	return rc;
}

static int sel_unpackaged(struct pl *s, const char *glob, match_fn fn, void *arg, size_t *n)
{
	struct json_object *sw = plan_inv_array(s, "software");
	int rc = 0;

	for (size_t i = 0; sw && i < json_object_array_length(sw) && !rc; i++) {
		struct json_object *o = json_object_array_get_idx(sw, i);
		const char *mgr = dsp_json_str(o, "manager");
		char *name = NULL, full[PATH_MAX];
		struct stat st;
		uint64_t v;

		if (!mgr || strcmp(mgr, "unpackaged") || dsp_json_bytes(o, "name", &name, NULL))
			continue;
		if (!plan_path_clean(name)) {
			dsp_log(DSP_LOG_WARN, "unpackaged %s: not a normalized path: not selected",
				name);
			free(name);
			continue;
		}
		if ((size_t)snprintf(full, sizeof(full), "%s%s", s->sysroot, name) >= sizeof(full) ||
		    (strcmp(glob, "any") && fnmatch(glob, full, FNM_PATHNAME))) {
			free(name);
			continue;
		}
		/* no sysroot and roots that are not "/": only trees under the roots (dispose-policy(5)) */
		if (!strcmp(glob, "any") && !s->sysroot[0] && !plan_under_roots(s, full)) {
			free(name);
			continue;
		}
		struct ent *e = plan_ent_find(s, full);
		struct match m = { .path = full, .selected = "unpackaged" };

		if (e) {
			m.kind = e->dir ? TK_TREE : TK_FILE;
			m.special = !e->dir && !e->reg;
		} else {
			bool ok = lstat(full, &st) == 0;

			m.kind = ok && S_ISDIR(st.st_mode) ? TK_TREE : TK_FILE;
			m.special = !ok || (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode));
		}
		if (!dsp_json_u64(o, "installed_size", &v)) {
			m.size = v;
			m.have_size = true;
		}
		if (!dsp_json_u64(o, "files", &v))
			m.files = v;
		(*n)++;
		rc = fn(s, &m, arg);
		free(name);
	}
	return rc;
}

/* ---- devices ---- */

static int devs_add(struct pl *s, struct json_object *o, const char *disk)
{
	struct dev *d = xrealloc(s->devs, s->ndevs + 1, sizeof(*s->devs));

	if (!d)
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	s->devs = d;
	d = &s->devs[s->ndevs++];
	*d = (struct dev){ .o = o, .path = dsp_json_str(o, "path"), .name = dsp_json_str(o, "name"),
			   .target = -1, .keep_rule = -1 };
	d->disk = disk ? disk : d->name;
	return 0;
}

int plan_devs_load(struct pl *s)
{
	struct json_object *devs = plan_inv_array(s, "devices"), *parts;
	int rc = 0;

	for (size_t i = 0; devs && i < json_object_array_length(devs) && !rc; i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);

		if (!dsp_json_str(d, "path"))
			continue;
		rc = devs_add(s, d, NULL);
		if (!rc && json_object_object_get_ex(d, "partitions", &parts) &&
		    json_object_is_type(parts, json_type_array))
			for (size_t k = 0; k < json_object_array_length(parts) && !rc; k++) {
				struct json_object *p = json_object_array_get_idx(parts, k);

				if (dsp_json_str(p, "path"))
					rc = devs_add(s, p, dsp_json_str(d, "name"));
			}
	}
	return rc;
}

static bool jtrue(struct json_object *o, const char *key)
{
	bool b = false;

	return !dsp_json_bool(o, key, &b) && b;
}

/*
 * Why a device must not be erased, or NULL: what the inventory saw, and
 * what the device module sees now (o->root: a fake system for tests).
 */
char *plan_dev_in_use(struct pl *s, struct dev *d)
{
	char p[PATH_MAX], buf[160], reason[512];
	struct dsp_blkdev_use use;
	unsigned ma, mi;
	dev_t devno;
	int rc;

	if (dsp_json_str(d->o, "in_use"))
		return strdup(dsp_json_str(d->o, "in_use"));
	if (jtrue(d->o, "holds_root"))
		return strdup("device holds the root filesystem");
	if (jtrue(d->o, "swap_active"))
		return strdup("device is active swap");
	if (!d->name || strchr(d->name, '/'))
		return strdup("device has no kernel name in the inventory");
	snprintf(p, sizeof(p), "%s/sys/class/block/%s/dev", s->o->root ? s->o->root : "", d->name);
	if (dsp_file_read_buf(p, 0, buf, sizeof(buf), NULL) || sscanf(buf, "%u:%u", &ma, &mi) != 2) {
		snprintf(reason, sizeof(reason), "device %s is not present now", d->name);
		return strdup(reason);
	}
	devno = makedev(ma, mi);
	rc = dsp_device_check(s->o->root, devno, &use);
	if (rc) {
		snprintf(reason, sizeof(reason), "device cannot be checked: %s", strerror(-rc));
		return strdup(reason);
	}
	if (use.mounted || use.holds_root || use.swap_active || use.has_holders)
		return strdup(dsp_blkdev_use_reason(&use, reason, sizeof(reason)));
	return NULL;
}

static bool jarray_has(struct json_object *o, const char *key, const char *v)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (json_object_is_type(e, json_type_string) && !strcmp(json_object_get_string(e), v))
			return true;
	}
	return false;
}

static bool jeq(struct json_object *o, const char *key, const char *v)
{
	const char *x = dsp_json_str(o, key);

	return x && x[0] && !strcmp(x, v);
}

static int sel_device(struct pl *s, const char *sel, match_fn fn, void *arg, size_t *n)
{
	char real[PATH_MAX] = "", what[300];
	bool all = !strcmp(sel, "all-except-system");
	int rc = 0;

	if (!all && !strncmp(sel, "/dev/", 5) && !realpath(sel, real))
		real[0] = '\0';
	snprintf(what, sizeof(what), "device %s", sel);
	for (size_t i = 0; i < s->ndevs && !rc; i++) {
		struct dev *d = &s->devs[i];
		bool hit;

		if (all) {
			uint64_t size = 0;

			/* every whole disk that has a medium and can be written */
			hit = d->disk == d->name && !dsp_json_u64(d->o, "size", &size) && size &&
			      !jtrue(d->o, "read_only");
			/* loop devices are files, not physical media: only by name */
			if (hit && (dsp_json_str(d->o, "backing_file") ||
				    (d->name && !strncmp(d->name, "loop", 4))))
				hit = false;
		}
		else if (!strncmp(sel, "serial:", 7))
			hit = jeq(d->o, "serial", sel + 7) || jeq(d->o, "sysfs_serial", sel + 7);
		else if (!strncmp(sel, "wwn:", 4))
			hit = jeq(d->o, "wwn", sel + 4) || jeq(d->o, "sysfs_wwid", sel + 4);
		else
			hit = !strcmp(d->path, sel) || (real[0] && !strcmp(d->path, real)) ||
			      jarray_has(d->o, "by_id", sel);
		if (!hit)
			continue;
		struct match m = { .path = d->path, .kind = TK_BLOCK, .selected = what, .dev = d };

		(*n)++;
		rc = fn(s, &m, arg);
	}
	return rc;
}

/*
 * Every match of a rule's selectors, in selector order; *n: how many.
 * *none_named: a devices selector that named nothing (all "" after expansion).
 */
int plan_select(struct pl *s, const struct dsp_policy_select *sel, match_fn fn,
		       void *arg, size_t *n, bool *named)
{
	int rc = 0;
	size_t npkg = 0;

	*named = sel->npaths || sel->nkey_formats || sel->npackages || sel->nunpackaged;
	for (size_t i = 0; i < sel->npaths && !rc; i++)
		rc = sel_paths(s, sel->paths[i], fn, arg, n);
	for (size_t i = 0; i < sel->nkey_formats && !rc; i++)
		rc = sel_keys(s, sel->key_formats[i], fn, arg, n);
	for (size_t i = 0; i < sel->npackages && !rc; i++)
		rc = sel_packages(s, sel->packages[i], fn, arg, n, &npkg);
	for (size_t i = 0; i < sel->nunpackaged && !rc; i++)
		rc = sel_unpackaged(s, sel->unpackaged[i], fn, arg, n);
	for (size_t i = 0; i < sel->ndevices && !rc; i++) {
		char *list = strdup(sel->devices[i]), *tok, *save = NULL;

		if (!list)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		for (tok = strtok_r(list, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
			*named = true;
			rc = sel_device(s, tok, fn, arg, n);
		}
		free(list);
	}
	/* a package that owns nothing erasable still matched */
	if (!rc && npkg && !*n)
		*n = npkg;
	return rc;
}
