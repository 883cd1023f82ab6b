/* SPDX-License-Identifier: MIT */
/* plan.c - policy + inventory -> dispose-plan/1: what is retained, erased, kept, and why */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dispose/common.h"
#include "dispose/inventory.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/run.h"
#include "dispose/util.h"
#include "plan_int.h"

static const char *const tkind_name[] = { "file", "tree", "block" };

/* ---- small helpers ---- */

int plan_fail(struct pl *s, int rc, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	if (s->why && !*s->why) {
		va_start(ap, fmt);
		if (vasprintf(&m, fmt, ap) < 0)
			m = NULL;
		va_end(ap);
		*s->why = m;
	}
	return rc;
}

int plan_pathcmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; *x && *x == *y; x++, y++)
		;
	if (*x == *y)
		return 0;
	if (!*x)
		return -1;
	if (!*y)
		return 1;
	if (*x == '/')
		return -1;
	if (*y == '/')
		return 1;
	return *x < *y ? -1 : 1;
}

bool plan_path_within(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	while (l > 1 && dir[l - 1] == '/')
		l--;
	if (l == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, l) && (path[l] == '/' || !path[l]);
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

static void fmt_date(char out[11], int y, int m, int d)
{
	char t[48];

	snprintf(t, sizeof(t), "%04d-%02d-%02d", y, m, d);
	snprintf(out, 11, "%.10s", t);
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	char tail;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3 ||
	    s[4] != '-' || s[7] != '-' || *y < 1970 || *m < 1 || *m > 12 || *d < 1 ||
	    *d > mdays(*y, *m))
		return -EINVAL;
	return 0;
}
/* ---- what is kept ---- */

static int kept_add(struct pl *s, const char *path, const char *except, bool node,
		    const char *rule, const char *reason)
{
	struct kept *k = xrealloc(s->kept, s->nkept + 1, sizeof(*s->kept));

	if (!k)
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	s->kept = k;
	k = &s->kept[s->nkept];
	*k = (struct kept){ .path = strdup(path), .except = except ? strdup(except) : NULL,
			    .node = node, .rule = strdup(rule), .reason = strdup(reason) };
	if (!k->path || !k->rule || !k->reason || (except && !k->except)) {
		free(k->path), free(k->except), free(k->rule), free(k->reason);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	s->nkept++;
	return 0;
}

/* The keep entry that keeps path itself, or NULL. */
static const struct kept *kept_of(struct pl *s, const char *path)
{
	for (size_t i = 0; i < s->nkept; i++) {
		const struct kept *k = &s->kept[i];

		if (k->node ? !strcmp(path, k->path) :
		    plan_path_within(path, k->path) && !(k->except && plan_path_within(path, k->except)))
			return k;
	}
	return NULL;
}

/* Something kept strictly under dir (or dir itself only as a node): the first such. */
static const struct kept *kept_below(struct pl *s, const char *dir)
{
	for (size_t i = 0; i < s->nkept; i++) {
		const struct kept *k = &s->kept[i];

		if (under(k->path, dir) || (k->node && !strcmp(k->path, dir)))
			return k;
		/* dir is kept, but not all of it */
		if (!k->node && k->except && plan_path_within(dir, k->path) &&
		    under(k->except, dir))
			return k;
	}
	return NULL;
}

static int keep_out(struct pl *s, const char *path, const char *rule, const char *reason)
{
	struct json_object *o = json_object_new_object();

	if (!o || dsp_json_add_bytes(o, "path", path) ||
	    json_object_object_add(o, "rule", rule ? json_object_new_string(rule) : NULL) ||
	    json_object_object_add(o, "reason", json_object_new_string(reason)) ||
	    json_object_array_add(s->keep_out, o)) {
		json_object_put(o);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	return 0;
}

/* ---- targets ---- */

static size_t ts_lower(struct pl *s, const char *path)
{
	size_t lo = 0, hi = s->nts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (plan_pathcmp(s->tg[s->tsort[mid]].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The file or tree target holding path, or -1 (targets never overlap). */
static int target_of(struct pl *s, const char *path)
{
	size_t i = ts_lower(s, path);

	if (i < s->nts && !strcmp(s->tg[s->tsort[i]].path, path))
		return (int)s->tsort[i];
	if (i == 0)
		return -1;
	/* the one before: an ancestor when any is (everything under a path follows it) */
	i--;
	return plan_path_within(path, s->tg[s->tsort[i]].path) ? (int)s->tsort[i] : -1;
}

/* A target strictly under dir, or -1. */
static int target_below(struct pl *s, const char *dir)
{
	size_t i = ts_lower(s, dir);

	if (i < s->nts && !strcmp(s->tg[s->tsort[i]].path, dir))
		i++;
	return i < s->nts && under(s->tg[s->tsort[i]].path, dir) ? (int)s->tsort[i] : -1;
}

static int target_new(struct pl *s, const struct match *m, size_t rule)
{
	struct target *t;

	if (s->ntg == s->ctg) {
		size_t c = s->ctg ? 2 * s->ctg : 16;
		struct target *ng = xrealloc(s->tg, c, sizeof(*s->tg));
		size_t *ns;

		if (!ng)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		s->tg = ng;
		if (!(ns = xrealloc(s->tsort, c, sizeof(*s->tsort))))
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		s->tsort = ns;
		s->ctg = c;
	}
	t = &s->tg[s->ntg];
	*t = (struct target){ .path = strdup(m->path), .kind = m->kind, .rule = rule,
			      .selected = strdup(m->selected) };
	if (!t->path || !t->selected) {
		free(t->path), free(t->selected);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	if (m->have_size) {
		t->bytes = m->size;
		t->files = m->files;
		t->have_size = true;
	}
	if (m->kind != TK_BLOCK) {
		size_t i = ts_lower(s, m->path);

		memmove(s->tsort + i + 1, s->tsort + i, (s->nts - i) * sizeof(*s->tsort));
		s->tsort[i] = s->ntg;
		s->nts++;
	}
	s->ntg++;
	return 0;
}

static int split_add(struct pl *s, const char *path, size_t rule, const char *because)
{
	struct split *sp = xrealloc(s->sp, s->nsp + 1, sizeof(*s->sp));

	if (!sp)
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	s->sp = sp;
	sp = &s->sp[s->nsp];
	*sp = (struct split){ .path = strdup(path), .rule = rule, .because = strdup(because) };
	if (!sp->path || !sp->because) {
		free(sp->path), free(sp->because);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	s->nsp++;
	return 0;
}

static const struct split *split_of(struct pl *s, const char *path)
{
	for (size_t i = 0; i < s->nsp; i++)
		if (!strcmp(s->sp[i].path, path))
			return &s->sp[i];
	return NULL;
}

static const char *erase_name(struct pl *s, size_t rule)
{
	return s->p->erase[rule].name;
}

/* A file or tree matched by erase[rule]: a target, dropped, or split around what stays. */
static int add_path(struct pl *s, const struct match *m, size_t rule, int depth)
{
	const struct kept *k;
	char *why = NULL;	/* not on the stack: this recurses once per directory level */
	int rc;

	if (target_of(s, m->path) >= 0)
		return 0;	/* inside an earlier target: it is erased there */
	/* the erase opens regular files and directories only, never through a link */
	if (m->special) {
		static const char why_special[] = "not a regular file or directory: left in place";
		int r2 = split_add(s, m->path, rule, why_special);

		return r2 ? r2 : keep_out(s, m->path, erase_name(s, rule), why_special);
	}
	k = kept_of(s, m->path);
	/* kept: dropped, unless only part of it is (a node, an exception under it): split */
	if (k && !(k->node || (k->except && under(k->except, m->path)))) {
		if (asprintf(&why, "kept (%s: %s)", k->rule, k->reason) < 0)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		rc = keep_out(s, m->path, erase_name(s, rule), why);
		free(why);
		return rc;
	}
	/*
	 * Whatever the inventory calls it: a "file" with something kept or
	 * targeted under its name is a directory by the time it is erased (the
	 * erase looks at what is there), so it is split all the same.
	 */
	{
		const struct kept *kb = kept_below(s, m->path);
		int tb = target_below(s, m->path);

		if (kb || tb >= 0) {
			size_t lo, hi;

			if (depth > 2048)
				return plan_fail(s, DSP_INVALID, "%s: too deep", m->path);
			if (kb ? asprintf(&why, "holds %s, kept (%s)", kb->path, kb->rule) < 0 :
			    asprintf(&why, "holds target %s", s->tg[tb].path) < 0)
				return plan_fail(s, -ENOMEM, "plan: out of memory");
			rc = split_add(s, m->path, rule, why);
			if (!rc)
				rc = keep_out(s, m->path, erase_name(s, rule), why);
			free(why);
			if (rc)
				return rc;
			/* its other entries, one by one */
			plan_ent_range(s, m->path, &lo, &hi);
			for (size_t i = lo; i < hi; i++) {
				struct ent *e = &s->ents[i];
				const char *rest = e->path + strlen(m->path) + (m->path[1] != '\0');

				if (!under(e->path, m->path) || strchr(rest, '/'))
					continue;
				struct match c = { .path = e->path, .kind = e->dir ? TK_TREE : TK_FILE,
						   .special = !e->dir && !e->reg,
						   .selected = m->selected };

				if ((rc = add_path(s, &c, rule, depth + 1)))
					return rc;
			}
			return 0;
		}
	}
	return target_new(s, m, rule);
}

struct erase_arg {
	size_t rule;
};

static const struct archive *archive_of(struct pl *s, const char *path);

/*
 * A loop device whose backing file must stay (kept, retained, inside an
 * erase target): *keep says why. The inventory's backing_file and the one
 * sysfs shows now are both checked.
 */
static int loop_backing_kept(struct pl *s, struct dev *d, char **keep)
{
	const char *disk = d->disk ? d->disk : d->name;
	struct json_object *o = d->o;
	char p[PATH_MAX], now[PATH_MAX] = "", *why = NULL;
	const char *files[2];

	for (size_t i = 0; i < s->ndevs; i++)	/* a partition: its disk's file */
		if (s->devs[i].name && disk && !strcmp(s->devs[i].name, disk))
			o = s->devs[i].o;
	files[0] = dsp_json_str(o, "backing_file");
	files[1] = NULL;
	if (disk && !strchr(disk, '/')) {
		snprintf(p, sizeof(p), "%s/sys/class/block/%s/loop/backing_file",
			 s->o->root ? s->o->root : "", disk);
		if (!dsp_file_read_buf(p, 0, now, sizeof(now), NULL)) {
			now[strcspn(now, "\n")] = '\0';
			files[1] = now;
		}
	}
	for (size_t i = 0; i < 2 && !why; i++) {
		const char *f = files[i];
		char *real;
		const struct kept *k;
		const struct archive *a;
		int t;

		if (!f || !f[0])
			continue;
		if (!(real = realpath(f, NULL)) && !(real = strdup(f)))
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		if ((k = kept_of(s, real)) || (k = kept_of(s, f))) {
			if (asprintf(&why, "backing file %s is kept (%s: %s)", f, k->rule,
				     k->reason) < 0)
				why = NULL;
		} else if ((a = archive_of(s, real)) || (a = archive_of(s, f))) {
			if (asprintf(&why, "backing file %s is retained (%s)", f,
				     s->p->retain[a->rule].name) < 0)
				why = NULL;
		} else if ((t = target_of(s, real)) >= 0 || (t = target_of(s, f)) >= 0) {
			if (asprintf(&why, "backing file %s lies inside target t%d (%s)", f, t + 1,
				     s->tg[t].path) < 0)
				why = NULL;
		} else {
			free(real);
			continue;
		}
		free(real);
		if (!why)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	/* R3 #1: a second name (hard link) of a kept file passes the path compare */
	for (size_t i = 0; i < 2 && !why; i++) {
		struct stat st, kst;

		if (!files[i] || !files[i][0] || stat(files[i], &st))
			continue;
		if (st.st_nlink > 1) {
			why = strdup("its backing file has other names (hard links): one may be kept");
		} else {
			for (size_t j = 0; j < s->nkept && !why; j++)
				if (!stat(s->kept[j].path, &kst) && S_ISREG(kst.st_mode) &&
				    kst.st_dev == st.st_dev && kst.st_ino == st.st_ino &&
				    asprintf(&why, "backing file %s is kept (%s: %s)", files[i],
					     s->kept[j].rule, s->kept[j].reason) < 0)
					why = NULL;
			for (size_t j = 0; j < s->nar && !why; j++)
				for (size_t r = 0; r < s->ar[j].nroots && !why; r++)
					if (!stat(s->ar[j].roots[r], &kst) && S_ISREG(kst.st_mode) &&
					    kst.st_dev == st.st_dev && kst.st_ino == st.st_ino &&
					    asprintf(&why, "backing file %s is retained (%s)", files[i],
						     s->p->retain[s->ar[j].rule].name) < 0)
						why = NULL;
			continue;
		}
		if (!why)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	*keep = why;
	return 0;
}

static int erase_match(struct pl *s, const struct match *m, void *arg)
{
	struct erase_arg *a = arg;
	struct dev *d = m->dev;
	char why[512];
	int rc;

	if (m->kind != TK_BLOCK)
		return add_path(s, m, a->rule, 0);
	if (d->target >= 0 || d->keep)
		return 0;	/* selected before */
	/* a partition of a disk erased whole is erased with it */
	for (size_t i = 0; i < s->ndevs; i++) {
		struct dev *o = &s->devs[i];

		if (o == d || o->target < 0)
			continue;
		if (d->disk != d->name && o->name && !strcmp(o->name, d->disk))
			return 0;
		if (d->disk == d->name && d->name && o->disk != o->name && !strcmp(o->disk, d->name))
			return plan_fail(s, DSP_INVALID, "%s: erase[%u] (%s): %s overlaps target t%d (%s)",
				    s->policy_name, s->p->erase[a->rule].index, erase_name(s, a->rule),
				    d->path, o->target + 1, o->path);
	}
	d->keep = plan_dev_in_use(s, d);
	if (!d->keep && (rc = loop_backing_kept(s, d, &d->keep)))
		return rc;
	if (d->keep) {
		d->keep_rule = (int)a->rule;
		snprintf(why, sizeof(why), "in use: %s", d->keep);
		return keep_out(s, d->path, erase_name(s, a->rule), why);
	}
	if (s->ntg >= INT_MAX)
		return plan_fail(s, -E2BIG, "plan: too many targets");
	d->target = (int)s->ntg;
	struct match bm = *m;
	uint64_t size = 0;

	bm.have_size = !dsp_json_u64(d->o, "size", &size);
	bm.size = size;
	return target_new(s, &bm, a->rule);
}

/* ---- archives ---- */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A key file the archive leaves out (retain keys exclude). */
static bool archive_excludes(const struct archive *a, const char *path)
{
	return a->nexcl && bsearch(&path, a->excl, a->nexcl, sizeof(char *), str_cmp);
}

static bool archive_covers(const struct archive *a, const char *path)
{
	for (size_t k = 0; k < a->nroots; k++)
		if (plan_path_within(path, a->roots[k]))
			return true;
	return false;
}

static const struct archive *archive_of(struct pl *s, const char *path)
{
	for (size_t i = 0; i < s->nar; i++)
		if (archive_covers(&s->ar[i], path) && !archive_excludes(&s->ar[i], path))
			return &s->ar[i];
	return NULL;
}

/* The archive whose roots hold path but that leaves it out as key material, or NULL. */
static const struct archive *archive_left_out(struct pl *s, const char *path)
{
	for (size_t i = 0; i < s->nar; i++)
		if (archive_excludes(&s->ar[i], path) && archive_covers(&s->ar[i], path))
			return &s->ar[i];
	return NULL;
}

/*
 * keys exclude (the default): every inventory key (any format) under the
 * archive's roots is left out of it, so that no private key lands in a
 * retention archive the policy did not ask for (and encrypt).
 */
static int archive_keys_out(struct pl *s, struct archive *a)
{
	struct json_object *keys = plan_inv_array(s, "keys");
	size_t w = 0;

	if (s->p->retain[a->rule].keys_include)
		return 0;
	if (!keys)
		return plan_fail(s, DSP_INVALID, "%s: retain[%u] (%s): the inventory did not look "
				 "for keys (no keys section): key material cannot be left out of "
				 "the archive (dispose inventory --keys)",
				 s->o->inventory ? s->o->inventory : "inventory",
				 s->p->retain[a->rule].index, s->p->retain[a->rule].name);
	for (size_t i = 0; keys && i < json_object_array_length(keys); i++) {
		char *path = NULL, **v;

		if (dsp_json_bytes(json_object_array_get_idx(keys, i), "path", &path, NULL))
			continue;
		if (!archive_covers(a, path)) {
			free(path);
			continue;
		}
		if (!(v = xrealloc(a->excl, a->nexcl + 1, sizeof(*v)))) {
			free(path);
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		}
		a->excl = v;
		a->excl[a->nexcl++] = path;
	}
	if (!a->nexcl)
		return 0;
	qsort(a->excl, a->nexcl, sizeof(char *), str_cmp);
	for (size_t i = 0; i < a->nexcl; i++) {
		if (w && !strcmp(a->excl[i], a->excl[w - 1])) {
			free(a->excl[i]);	/* one key file in two formats */
			continue;
		}
		a->excl[w++] = a->excl[i];
	}
	a->nexcl = w;
	return 0;
}

/* path as an fnmatch(3) glob that matches only itself */
static struct json_object *glob_literal(const char *path)
{
	size_t n = strlen(path), o = 0;
	char *g = malloc(2 * n + 1);
	struct json_object *v;

	if (!g)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strchr("*?[]\\", path[i]))
			g[o++] = '\\';
		g[o++] = path[i];
	}
	g[o] = '\0';
	v = dsp_json_bytes_value(g);
	free(g);
	return v;
}

static int retain_match(struct pl *s, const struct match *m, void *arg)
{
	struct archive *a = arg;
	char **r;

	if (m->kind == TK_BLOCK)
		return plan_fail(s, DSP_INVALID, "%s: retain[%u] (%s): devices are not archived",
			    s->policy_name, s->p->retain[a->rule].index, s->p->retain[a->rule].name);
	/* the archive step follows links: the plan works on the real paths (the name kept too) */
	char *real = realpath(m->path, NULL);

	if (!real && !(real = strdup(m->path)))
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	if (!(r = xrealloc(a->named, a->nnamed + 1, sizeof(*r))) || (a->named = r, 0) ||
	    !(r[a->nnamed] = strdup(m->path))) {
		free(real);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	a->nnamed++;
	for (size_t i = 0; i < a->nroots; i++)
		if (plan_path_within(real, a->roots[i])) {
			free(real);
			return 0;
		}
	if (!(r = xrealloc(a->roots, a->nroots + 1, sizeof(*r)))) {
		free(real);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	a->roots = r;
	r[a->nroots++] = real;
	return 0;
}

static int root_cmp(const void *a, const void *b)
{
	return plan_pathcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, and none inside another. */
static void paths_tidy(char **v, size_t *n)
{
	size_t w = 0;

	qsort(v, *n, sizeof(*v), root_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (w && plan_path_within(v[i], v[w - 1])) {
			free(v[i]);
			continue;
		}
		v[w++] = v[i];
	}
	*n = w;
}

static void roots_tidy(struct archive *a)
{
	paths_tidy(a->roots, &a->nroots);
	paths_tidy(a->named, &a->nnamed);
}

/* ---- the document ---- */

static struct json_object *jstr_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *jbytes_array(char **v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_object_array_add(a, dsp_json_bytes_value(v[i]))) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static void hostname_of(struct pl *s, char *out, size_t len)
{
	struct json_object *host;
	const char *h = NULL;

	if (json_object_object_get_ex(s->inv, "host", &host))
		h = dsp_json_str(host, "hostname");
	if (!h || !h[0]) {
		if (gethostname(out, len) || !out[0])
			snprintf(out, len, "host");
		out[len - 1] = '\0';
	} else {
		snprintf(out, len, "%s", h);
	}
	/* a file name: nothing that could be a separator or an option */
	for (char *c = out; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_'))
			*c = '_';
	if (out[0] == '.' || out[0] == '-')
		out[0] = '_';
}

static int build_archives(struct pl *s, struct json_object *arr, const char *run_dir)
{
	char host[256], ymd[9];

	hostname_of(s, host, sizeof(host));
	snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", s->today, s->today + 5, s->today + 8);
	for (size_t i = 0; i < s->nar; i++) {
		struct archive *a = &s->ar[i];
		const struct dsp_policy_rule *r = &s->p->retain[a->rule];
		struct json_object *o = json_object_new_object(), *ex;
		char until[11] = "", *path = NULL, *name = NULL, id[32];
		const char *spec = r->retain_for ? r->retain_for : r->retain_until;
		int rc = 0;

		if (!o)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		json_object_array_add(arr, o);
		if (spec) {
			rc = dsp_policy_resolve_date(spec, s->today, until);
			if (rc)
				return plan_fail(s, DSP_INVALID, "%s: retain[%u] (%s): retain_until: "
					    "%s: not a date or duration", s->policy_name, r->index,
					    r->name, spec);
		}
		/* relative without a run directory: to the run directory it will have */
		if (asprintf(&name, "%s-%s-%s", r->name, host, ymd) < 0) {
			name = NULL;
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		}
		if (asprintf(&path, "%s%s%s/%s.tar.zst%s",
			     r->destination ? r->destination : run_dir ? run_dir : "",
			     !r->destination && run_dir ? "/" : "", r->destination ? "" : "archives",
			     name, r->nrecipients ? ".enc" : "") < 0) {
			free(name);
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		}
		/* the files it holds: the inventory's regular files under its roots */
		for (size_t k = 0; k < a->nroots; k++) {
			size_t lo, hi;

			plan_ent_range(s, a->roots[k], &lo, &hi);
			for (size_t e = lo; e < hi; e++)
				if (s->ents[e].reg && !archive_excludes(a, s->ents[e].path)) {
					a->files++;
					a->bytes += s->ents[e].size;
				}
		}
		ex = json_object_new_array();
		for (size_t k = 0; ex && k < a->nexcl; k++) {
			struct json_object *g = glob_literal(a->excl[k]);

			if (!g || json_object_array_add(ex, g)) {
				json_object_put(g);
				json_object_put(ex);
				ex = NULL;
			}
		}
		if (!ex) {
			free(name);
			free(path);
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		}
		/* never the run directory into its own archive */
		if (ex && run_dir)
			for (size_t k = 0; k < a->nroots; k++)
				if (under(run_dir, a->roots[k])) {
					json_object_array_add(ex, dsp_json_bytes_value(run_dir));
					break;
				}
		snprintf(id, sizeof(id), "a%zu", i + 1);
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "rule", json_object_new_string(r->name));
		json_object_object_add(o, "name", json_object_new_string(name));
		free(name);
		rc = dsp_json_add_bytes(o, "archive", path);
		free(path);
		json_object_object_add(o, "roots", jbytes_array(a->roots, a->nroots));
		json_object_object_add(o, "roots_named", jbytes_array(a->named, a->nnamed));
		json_object_object_add(o, "excludes", ex);
		json_object_object_add(o, "retain_until", until[0] ? json_object_new_string(until) :
				       NULL);
		json_object_object_add(o, "retain_for", jstr_or_null(r->retain_for));
		json_object_object_add(o, "series", jstr_or_null(r->series));
		json_object_object_add(o, "authority", jstr_or_null(r->authority));
		json_object_object_add(o, "organization", jstr_or_null(r->organization));
		json_object_object_add(o, "legal_hold", json_object_new_boolean(r->legal_hold));
		json_object_object_add(o, "recipients", jbytes_array(r->recipients, r->nrecipients));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)a->files));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)a->bytes));
		if (rc)
			return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	return 0;
}

static int build_targets(struct pl *s, struct json_object *arr, uint64_t *bytes, uint64_t *secs)
{
	struct dsp_method **ms = calloc(s->p->nerase ? s->p->nerase : 1, sizeof(*ms));
	int rc = 0;

	if (!ms)
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	for (size_t i = 0; i < s->ntg && !rc; i++) {
		struct target *t = &s->tg[i];
		const struct dsp_policy_rule *r = &s->p->erase[t->rule];
		struct json_object *o = json_object_new_object(), *passes;
		char id[32], err[1024] = "", reason[600];
		unsigned np = 1;
		bool verified;
		uint64_t rate, est, k;

		if (!o) {
			rc = plan_fail(s, -ENOMEM, "plan: out of memory");
			break;
		}
		json_object_array_add(arr, o);
		if (!ms[t->rule]) {
			int mr = dsp_method_find(r->method ? r->method : "auto", &ms[t->rule], err,
						 sizeof(err));

			if (mr) {
				rc = plan_fail(s, DSP_INVALID, "%s: erase[%u].method: %s", s->policy_name,
					  r->index, err[0] ? err : strerror(mr < 0 ? -mr : EINVAL));
				break;
			}
		}
		const struct dsp_method *m = ms[t->rule];

		/* sizes of trees: the inventory's files under them */
		if (!t->have_size && t->kind != TK_BLOCK) {
			size_t lo, hi;

			plan_ent_range(s, t->path, &lo, &hi);
			for (size_t e = lo; e < hi; e++)
				if (s->ents[e].reg) {
					t->files++;
					t->bytes += s->ents[e].size;
				}
		}
		/* files an archive must cover before they are erased */
		if (t->kind == TK_TREE) {
			size_t lo, hi;

			plan_ent_range(s, t->path, &lo, &hi);
			for (size_t e = lo; e < hi; e++)
				if (s->ents[e].reg && archive_of(s, s->ents[e].path))
					t->retained++;
		} else if (t->kind == TK_FILE && archive_of(s, t->path)) {
			t->retained = 1;
		}
		if (m->technique == DSP_TECH_OVERWRITE) {
			np = m->npasses;
			passes = json_object_new_int64(np);
		} else if (m->technique == DSP_TECH_AUTO) {
			passes = json_object_new_string("auto");
		} else {
			passes = json_object_new_int64(1);
		}
		/* auto's last resort, an overwrite, is verified */
		verified = r->verify ? strcmp(r->verify, "none") != 0 :
			   m->verify != DSP_VERIFY_NONE || m->technique == DSP_TECH_AUTO;
		rate = t->kind == TK_BLOCK ? PLAN_DEV_RATE : PLAN_FILE_RATE;
		k = np + (verified ? 1 : 0);
		est = t->bytes / rate * k + ((t->bytes % rate) * k + rate - 1) / rate;
		*bytes += t->bytes;
		*secs += est;
		snprintf(id, sizeof(id), "t%zu", i + 1);
		snprintf(reason, sizeof(reason), "erase[%u] (%s): %s", r->index, r->name, t->selected);
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "rule", json_object_new_string(r->name));
		rc = dsp_json_add_bytes(o, "path", t->path);
		json_object_object_add(o, "kind", json_object_new_string(tkind_name[t->kind]));
		json_object_object_add(o, "method", json_object_new_string(r->method ? r->method :
									   "auto"));
		json_object_object_add(o, "then", jstr_or_null(r->then));
		json_object_object_add(o, "category", jstr_or_null(r->category));
		json_object_object_add(o, "verify", jstr_or_null(r->verify));
		json_object_object_add(o, "passes", passes);
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)t->bytes));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)t->files));
		json_object_object_add(o, "retained", json_object_new_int64((int64_t)t->retained));
		json_object_object_add(o, "estimate_secs", json_object_new_int64((int64_t)est));
		json_object_object_add(o, "reason", json_object_new_string(reason));
		if (rc)
			rc = plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	for (size_t i = 0; i < s->p->nerase; i++)
		dsp_method_free(ms[i]);
	free(ms);
	return rc;
}

struct counts {
	uint64_t items, retain, erase, both, keep, none;
};

static int item_add(struct pl *s, struct json_object *items, struct counts *c, const char *path,
		    const char *kind, const char *decision, const char *rule, int target,
		    const struct archive *a, const char *reason)
{
	struct json_object *o = json_object_new_object();
	char id[32];

	if (!o || dsp_json_add_bytes(o, "path", path)) {
		json_object_put(o);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "decision", json_object_new_string(decision));
	json_object_object_add(o, "rule", jstr_or_null(rule));
	snprintf(id, sizeof(id), "t%d", target + 1);
	json_object_object_add(o, "target", target >= 0 ? json_object_new_string(id) : NULL);
	snprintf(id, sizeof(id), "a%zu", a ? (size_t)(a - s->ar) + 1 : 0);
	json_object_object_add(o, "archive", a ? json_object_new_string(id) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(reason));
	if (json_object_array_add(items, o)) {
		json_object_put(o);
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	}
	c->items++;
	if (!strcmp(decision, "retain"))
		c->retain++;
	else if (!strcmp(decision, "erase"))
		c->erase++;
	else if (!strcmp(decision, "retain+erase"))
		c->both++;
	else if (!strcmp(decision, "keep"))
		c->keep++;
	else
		c->none++;
	return 0;
}

/* The decision for a file, directory, key or unpackaged tree at path. */
static int item_path(struct pl *s, struct json_object *items, struct counts *c, const char *path,
		     const char *kind)
{
	int t = target_of(s, path);
	const struct archive *a = archive_of(s, path);
	const struct archive *lo = a ? NULL : archive_left_out(s, path);
	const struct kept *k = kept_of(s, path);
	const struct split *sp = split_of(s, path);
	char reason[800], out[200] = "";
	const char *rule = NULL, *decision;

	if (lo)
		snprintf(out, sizeof(out), "key material: not archived (retain[%u].keys exclude)",
			 s->p->retain[lo->rule].index);

	if (t >= 0) {
		const struct dsp_policy_rule *r = &s->p->erase[s->tg[t].rule];

		decision = a ? "retain+erase" : "erase";
		rule = r->name;
		if (a)
			snprintf(reason, sizeof(reason), "archived by retain[%u] (%s), then erased by "
				 "erase[%u] (%s, %s)", s->p->retain[a->rule].index,
				 s->p->retain[a->rule].name, r->index, r->name,
				 r->method ? r->method : "auto");
		else
			snprintf(reason, sizeof(reason), "erase[%u] (%s, %s)%s%s", r->index, r->name,
				 r->method ? r->method : "auto", lo ? "; " : "", out);
	} else if (a) {
		decision = "retain";
		rule = s->p->retain[a->rule].name;
		snprintf(reason, sizeof(reason), "retain[%u] (%s)%s%s", s->p->retain[a->rule].index,
			 rule, k ? ", kept: " : "", k ? k->reason : "");
	} else if (sp) {
		decision = "keep";
		rule = erase_name(s, sp->rule);
		snprintf(reason, sizeof(reason), "not erased itself: %s%s%s", sp->because,
			 lo ? "; " : "", out);
	} else if (k) {
		decision = "keep";
		rule = k->rule;
		snprintf(reason, sizeof(reason), "%s%s%s", k->reason, lo ? "; " : "", out);
	} else if (lo) {
		decision = "none";
		rule = s->p->retain[lo->rule].name;
		snprintf(reason, sizeof(reason), "%s", out);
	} else {
		decision = "none";
		snprintf(reason, sizeof(reason), "no rule");
	}
	return item_add(s, items, c, path, kind, decision, rule, t, a, reason);
}

static int build_items(struct pl *s, struct json_object *items, struct counts *c)
{
	struct json_object *keys = plan_inv_array(s, "keys"), *sw = plan_inv_array(s, "software");
	int rc = 0;

	for (size_t i = 0; i < s->nents && !rc; i++)
		rc = item_path(s, items, c, s->ents[i].path, s->ents[i].dir ? "dir" : "file");
	for (size_t i = 0; keys && i < json_object_array_length(keys) && !rc; i++) {
		char *path = NULL;

		if (dsp_json_bytes(json_object_array_get_idx(keys, i), "path", &path, NULL))
			continue;
		rc = item_path(s, items, c, path, "key");
		free(path);
	}
	for (size_t i = 0; sw && i < json_object_array_length(sw) && !rc; i++) {
		struct json_object *o = json_object_array_get_idx(sw, i);
		const char *mgr = dsp_json_str(o, "manager");
		char *name = NULL, full[PATH_MAX], reason[600];
		const char *rule = NULL, *decision = "none";
		int t = -1;

		if (!mgr || dsp_json_bytes(o, "name", &name, NULL))
			continue;
		if (!strcmp(mgr, "unpackaged")) {
			if (!plan_path_clean(name)) {	/* never a target (plan_inv.c) */
				free(name);
				continue;
			}
			snprintf(full, sizeof(full), "%s%s", s->sysroot, name);
			free(name);
			rc = item_path(s, items, c, full, "unpackaged");
			continue;
		}
		/* a package: erased when a rule selected it (its files are the targets) */
		snprintf(reason, sizeof(reason), "no rule");
		for (size_t r = 0; r < s->p->nerase && !rule; r++)
			for (size_t g = 0; g < s->p->erase[r].sel.npackages; g++)
				if (!fnmatch(s->p->erase[r].sel.packages[g], name, 0)) {
					char sel[320];

					rule = s->p->erase[r].name;
					snprintf(sel, sizeof(sel), "package %s", name);
					for (size_t k = 0; k < s->ntg && t < 0; k++)
						if (!strcmp(s->tg[k].selected, sel))
							t = (int)k;
					decision = t >= 0 ? "erase" : "keep";
					snprintf(reason, sizeof(reason), t >= 0 ?
						 "erase[%u] (%s): its files" :
						 "erase[%u] (%s): no file of its own to erase "
						 "(shared, kept or gone)", s->p->erase[r].index, rule);
					break;
				}
		rc = item_add(s, items, c, name, "package", decision, rule, t, NULL, reason);
		free(name);
	}
	for (size_t i = 0; i < s->ndevs && !rc; i++) {
		struct dev *d = &s->devs[i];
		char reason[600];
		const char *decision = "none", *rule = NULL;

		snprintf(reason, sizeof(reason), "no rule");
		if (d->target >= 0) {
			const struct dsp_policy_rule *r = &s->p->erase[s->tg[d->target].rule];

			decision = "erase";
			rule = r->name;
			snprintf(reason, sizeof(reason), "erase[%u] (%s, %s)", r->index, r->name,
				 r->method ? r->method : "auto");
		} else if (d->keep && d->keep_name) {
			decision = "keep";
			rule = d->keep_name;
			snprintf(reason, sizeof(reason), "%s", d->keep);
		} else if (d->keep) {
			decision = "keep";
			rule = d->keep_rule >= 0 ? erase_name(s, (size_t)d->keep_rule) : NULL;
			snprintf(reason, sizeof(reason), "in use: %s", d->keep);
		} else {
			/* a partition of a disk erased whole */
			for (size_t k = 0; k < s->ndevs; k++)
				if (s->devs[k].target >= 0 && d->disk != d->name && s->devs[k].name &&
				    !strcmp(s->devs[k].name, d->disk)) {
					decision = "erase";
					rule = erase_name(s, s->tg[s->devs[k].target].rule);
					snprintf(reason, sizeof(reason), "on %s, erased whole",
						 s->devs[k].path);
				}
		}
		rc = item_add(s, items, c, d->path, "device", decision, rule,
			      d->target >= 0 ? d->target : -1, NULL, reason);
	}
	return rc;
}

/* A directory kept by the name given and, when it exists, by its real path (links on the way). */
static int kept_add_real(struct pl *s, const char *path, const char *rule, const char *reason)
{
	char *real = realpath(path, NULL);
	int rc = kept_add(s, path, NULL, false, rule, reason);

	if (!rc && real && strcmp(real, path))
		rc = kept_add(s, real, NULL, false, rule, reason);
	free(real);
	return rc;
}

static int keep_input(struct pl *s, const char *path)
{
	char *abs;
	int rc;

	if (!path || !path[0] || (path[0] != '/' && !strchr(path, '/') && !strstr(path, ".json") &&
				  path == s->p->path))
		return 0;	/* a shipped policy named by name: found elsewhere */
	if (!(abs = dsp_path_absolute(path)))
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	rc = kept_add_real(s, abs, "run-input", "an input of the run");
	free(abs);
	return rc;
}

static int build_keep(struct pl *s, const char *run_dir)
{
	static const char *const os_trees[] = {
		"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
		"/run", "/sbin", "/sys", "/var/lib/dpkg", "/var/lib/rpm",
	};
	int rc = 0;

	if (run_dir && (rc = kept_add_real(s, run_dir, "run-dir", "the run directory")))
		return rc;
	/* the run's own inputs: erasing them would leave a run that can never finish */
	{
		const struct dsp_policy_cert *c = &s->p->cert;
		const char *own[] = { s->p->path, c->key, c->cert, c->chain, c->passphrase_file,
				      c->ca, s->o->inventory };

		for (size_t i = 0; i < DSP_ARRAY_SIZE(own) && !rc; i++)
			rc = keep_input(s, own[i]);
		for (size_t i = 0; i < s->p->nretain && !rc; i++)
			for (size_t k = 0; k < s->p->retain[i].nrecipients && !rc; k++)
				rc = keep_input(s, s->p->retain[i].recipients[k]);
		for (size_t i = 0; s->o->inputs && i < s->o->ninputs && !rc; i++)
			rc = keep_input(s, s->o->inputs[i]);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < s->p->nretain && !rc; i++)
		if (s->p->retain[i].destination)
			rc = kept_add_real(s, s->p->retain[i].destination, s->p->retain[i].name,
					   "an archive destination");
	if (!rc && s->p->keep_running_system) {
		rc = kept_add(s, "/", NULL, true, "running-system", "the running system");
		for (size_t i = 0; i < DSP_ARRAY_SIZE(os_trees) && !rc; i++)
			rc = kept_add(s, os_trees[i], NULL, false, "running-system",
				      "the running system");
		if (!rc)
			rc = kept_add(s, "/usr", "/usr/local", false, "running-system",
				      "the running system");
	}
	return rc;
}

struct keep_arg {
	size_t rule;
};

static int keep_match(struct pl *s, const struct match *m, void *arg)
{
	struct keep_arg *a = arg;
	const struct dsp_policy_rule *r = &s->p->keep[a->rule];
	char why[300];

	snprintf(why, sizeof(why), "keep[%u] (%s)", r->index, r->name);
	if (m->kind == TK_BLOCK) {
		if (!m->dev->keep && !(m->dev->keep = strdup(why)))
			return plan_fail(s, -ENOMEM, "plan: out of memory");
		m->dev->keep_rule = -1;
		m->dev->keep_name = r->name;
		return 0;
	}
	/* by name and by real path: a link to it does not let an erase reach it */
	return kept_add_real(s, m->path, r->name, why);
}

static struct json_object *cert_json(const struct dsp_policy_cert *c)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "key", dsp_json_string(c->key, NULL));
	json_object_object_add(o, "cert", dsp_json_string(c->cert, NULL));
	json_object_object_add(o, "chain", dsp_json_string(c->chain, NULL));
	json_object_object_add(o, "passphrase_file", dsp_json_string(c->passphrase_file, NULL));
	json_object_object_add(o, "ca", dsp_json_string(c->ca, NULL));
	json_object_object_add(o, "operator_name", jstr_or_null(c->operator_name));
	json_object_object_add(o, "operator_title", jstr_or_null(c->operator_title));
	json_object_object_add(o, "organization", jstr_or_null(c->organization));
	json_object_object_add(o, "location", jstr_or_null(c->location));
	json_object_object_add(o, "contact", jstr_or_null(c->contact));
	json_object_object_add(o, "verifier", jstr_or_null(c->verifier));
	json_object_object_add(o, "validator", jstr_or_null(c->validator));
	json_object_object_add(o, "media_destination", jstr_or_null(c->media_destination));
	json_object_object_add(o, "property_number", jstr_or_null(c->property_number));
	json_object_object_add(o, "classification", jstr_or_null(c->classification));
	return o;
}

static void pl_free(struct pl *s)
{
	for (size_t i = 0; i < s->nents; i++)
		free(s->ents[i].path);
	free(s->ents);
	for (size_t i = 0; i < s->nkept; i++) {
		free(s->kept[i].path), free(s->kept[i].except);
		free(s->kept[i].rule), free(s->kept[i].reason);
	}
	free(s->kept);
	for (size_t i = 0; i < s->ntg; i++)
		free(s->tg[i].path), free(s->tg[i].selected);
	free(s->tg);
	free(s->tsort);
	for (size_t i = 0; i < s->nar; i++) {
		for (size_t k = 0; k < s->ar[i].nroots; k++)
			free(s->ar[i].roots[k]);
		free(s->ar[i].roots);
		for (size_t k = 0; k < s->ar[i].nnamed; k++)
			free(s->ar[i].named[k]);
		free(s->ar[i].named);
		for (size_t k = 0; k < s->ar[i].nexcl; k++)
			free(s->ar[i].excl[k]);
		free(s->ar[i].excl);
	}
	free(s->ar);
	for (size_t i = 0; i < s->nsp; i++)
		free(s->sp[i].path), free(s->sp[i].because);
	free(s->sp);
	for (size_t i = 0; i < s->ndevs; i++)
		free(s->devs[i].keep);
	free(s->devs);
	json_object_put(s->keep_out);
	json_object_put(s->inv);
}

static int plan_run(struct pl *s, struct json_object *plan)
{
	const struct dsp_policy *p = s->p;
	struct json_object *arr, *o;
	struct counts c = { 0 };
	uint64_t ebytes = 0, secs = 0, abytes = 0;
	char *run_dir = NULL, created[32];
	int rc;

	if (s->o->run_dir && !(run_dir = dsp_path_absolute(s->o->run_dir)))
		return plan_fail(s, -ENOMEM, "plan: out of memory");
	if ((rc = plan_inv_load(s)) || (rc = plan_ents_load(s)) || (rc = plan_devs_load(s)) ||
	    (rc = build_keep(s, run_dir)))
		goto out;
	for (size_t i = 0; i < p->nkeep && !rc; i++) {
		struct keep_arg ka = { i };
		size_t n = 0;
		bool named;

		rc = plan_select(s, &p->keep[i].sel, keep_match, &ka, &n, &named);
		/* a literal path kept though not listed (yet): it stays all the same */
		for (size_t k = 0; !rc && k < p->keep[i].sel.npaths; k++) {
			const char *pt = p->keep[i].sel.paths[k];
			size_t l = strlen(pt);
			char *base = strndup(pt, l >= 3 && !strcmp(pt + l - 3, "/**") ? l - 3 : l);
			char why[300];

			if (!base)
				rc = plan_fail(s, -ENOMEM, "plan: out of memory");
			else if (base[0] && !plan_has_glob(base) && !plan_ent_find(s, base)) {
				snprintf(why, sizeof(why), "keep[%u] (%s)", p->keep[i].index,
					 p->keep[i].name);
				rc = kept_add_real(s, base, p->keep[i].name, why);
			}
			free(base);
		}
	}
	for (size_t i = 0; i < s->nkept && !rc; i++)
		rc = keep_out(s, s->kept[i].path, s->kept[i].rule, s->kept[i].reason);
	/* retain: one archive per rule */
	if (!rc && p->nretain && !(s->ar = calloc(p->nretain, sizeof(*s->ar))))
		rc = plan_fail(s, -ENOMEM, "plan: out of memory");
	for (size_t i = 0; i < p->nretain && !rc; i++) {
		struct archive *a = &s->ar[s->nar];
		size_t n = 0;
		bool named;

		a->rule = i;
		rc = plan_select(s, &p->retain[i].sel, retain_match, a, &n, &named);
		if (!rc && !a->nroots && !p->retain[i].if_present)
			rc = plan_fail(s, DSP_INVALID, "%s: retain[%u] (%s): matches nothing",
				  s->policy_name, p->retain[i].index, p->retain[i].name);
		if (!rc && a->nroots) {
			roots_tidy(a);
			s->nar++;
			rc = archive_keys_out(s, a);
		}
	}
	/* erase: targets in rule order */
	for (size_t i = 0; i < p->nerase && !rc; i++) {
		struct erase_arg ea = { i };
		size_t n = 0;
		bool named;

		rc = plan_select(s, &p->erase[i].sel, erase_match, &ea, &n, &named);
		if (!rc && !named) {
			/* every selector expanded to nothing: skipped, and said */
			rc = keep_out(s, "", p->erase[i].name,
				      "no device named (--set a variable to name one)");
		} else if (!rc && !n && !p->erase[i].if_present) {
			rc = plan_fail(s, DSP_INVALID, "%s: erase[%u] (%s): matches nothing",
				  s->policy_name, p->erase[i].index, p->erase[i].name);
		}
	}
	/* a loop device planned before the target that holds its backing file: refused */
	for (size_t i = 0; i < s->ndevs && !rc; i++) {
		struct dev *d = &s->devs[i];
		char *why = NULL;
		int t = d->target;

		if (t < 0)
			continue;
		if (!(rc = loop_backing_kept(s, d, &why)) && why) {
			rc = plan_fail(s, DSP_REFUSED, "%s: erase[%u] (%s): %s: %s",
				       s->policy_name, p->erase[s->tg[t].rule].index,
				       erase_name(s, s->tg[t].rule), d->path, why);
		}
		free(why);
	}
	if (rc)
		goto out;

	json_object_object_add(plan, "schema", json_object_new_string(DSP_PLAN_SCHEMA));
	json_object_object_add(plan, "created",
			       json_object_new_string(dsp_inv_time(time(NULL), created,
								   sizeof(created))));
	o = json_object_new_object();
	json_object_object_add(plan, "policy", o);
	json_object_object_add(o, "name", jstr_or_null(p->name));
	json_object_object_add(o, "path", dsp_json_string(p->path, NULL));
	json_object_object_add(o, "sha256", p->sha256[0] ? json_object_new_string(p->sha256) :
			       NULL);
	o = json_object_new_object();
	json_object_object_add(plan, "inventory", o);
	json_object_object_add(o, "path", dsp_json_string(s->o->inventory, NULL));
	json_object_object_add(o, "sha256", json_object_new_string(s->inv_sha256));
	o = json_object_new_object();
	json_object_object_add(plan, "vars", o);
	for (size_t i = 0; o && i < p->nvars; i++)
		json_object_object_add(o, p->vars[i].name, dsp_json_string(p->vars[i].value, NULL));
	json_object_object_add(plan, "run_dir", dsp_json_string(run_dir, NULL));
	json_object_object_add(plan, "today", json_object_new_string(s->today));
	arr = json_object_new_array();
	json_object_object_add(plan, "archives", arr);
	if ((rc = build_archives(s, arr, run_dir)))
		goto out;
	arr = json_object_new_array();
	json_object_object_add(plan, "targets", arr);
	if ((rc = build_targets(s, arr, &ebytes, &secs)))
		goto out;
	arr = json_object_new_array();
	json_object_object_add(plan, "items", arr);
	if ((rc = build_items(s, arr, &c)))
		goto out;
	json_object_object_add(plan, "keep", s->keep_out);
	s->keep_out = NULL;
	for (size_t i = 0; i < s->nar; i++)
		abytes += s->ar[i].bytes;
	o = json_object_new_object();
	json_object_object_add(plan, "counts", o);
	json_object_object_add(o, "items", json_object_new_int64((int64_t)c.items));
	json_object_object_add(o, "retain", json_object_new_int64((int64_t)c.retain));
	json_object_object_add(o, "erase", json_object_new_int64((int64_t)c.erase));
	json_object_object_add(o, "retain_erase", json_object_new_int64((int64_t)c.both));
	json_object_object_add(o, "keep", json_object_new_int64((int64_t)c.keep));
	json_object_object_add(o, "none", json_object_new_int64((int64_t)c.none));
	json_object_object_add(o, "targets", json_object_new_int64((int64_t)s->ntg));
	json_object_object_add(o, "archives", json_object_new_int64((int64_t)s->nar));
	json_object_object_add(o, "bytes_to_erase", json_object_new_int64((int64_t)ebytes));
	json_object_object_add(o, "bytes_to_archive", json_object_new_int64((int64_t)abytes));
	json_object_object_add(o, "estimate_secs", json_object_new_int64((int64_t)secs));
	json_object_object_add(plan, "certificate", cert_json(&p->cert));
out:
	free(run_dir);
	return rc;
}

int dsp_plan_build(const struct dsp_policy *p, const struct dsp_plan_opts *o,
		   struct json_object **plan, char **why)
{
	static const struct dsp_plan_opts none = { 0 };
	struct pl s = { .p = p, .o = o ? o : &none, .why = why };
	struct dsp_log_sink prev = { 0 };
	int rc, y, m, d;

	*plan = NULL;
	if (why)
		*why = NULL;
	if (s.o->log)
		prev = dsp_log_use(s.o->log);
	s.policy_name = p->path ? p->path : p->name ? p->name : "policy";
	if (p->sysroot && strcmp(p->sysroot, "/"))
		snprintf(s.sysroot, sizeof(s.sysroot), "%s", p->sysroot);
	if (s.o->today) {
		if (parse_date(s.o->today, &y, &m, &d)) {
			rc = plan_fail(&s, DSP_INVALID, "%s: not a date (YYYY-MM-DD)", s.o->today);
			goto out;
		}
		snprintf(s.today, sizeof(s.today), "%s", s.o->today);
	} else {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		fmt_date(s.today, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	}
	if (!(s.keep_out = json_object_new_array()) || !(*plan = json_object_new_object())) {
		rc = plan_fail(&s, -ENOMEM, "plan: out of memory");
		goto out;
	}
	rc = plan_run(&s, *plan);
	if (rc) {
		json_object_put(*plan);
		*plan = NULL;
	}
out:
	pl_free(&s);
	if (s.o->log)
		dsp_log_use(&prev);
	return rc;
}
