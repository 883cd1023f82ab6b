/* SPDX-License-Identifier: MIT */
/* check.c - every safety rule on erase targets, checked before anything is written */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inttypes.h>
#include <openssl/rand.h>

#include "dispose/common.h"
#include "dispose/device.h"
#include "dispose/erase.h"
#include "dispose/pattern.h"
#include "erase_int.h"

/* What one check run loads once: the loop devices' backing files, the run's own files. */
struct check_ctx {
	const struct dsp_erase_check_opts *o;
	dsp_erase_report_fn report;
	void *arg;
	struct dsp_blkdev_loopfile *loopfiles;
	size_t nloopfiles;
	struct dsp_erase_guard guard;
	const struct dsp_erase_checked *t;	/* the target being scanned */
};

static const char *const kind_names[] = { "block", "file", "tree" };

const char *dsp_erase_kind_name(enum dsp_erase_kind k)
{
	return (unsigned)k < DSP_ARRAY_SIZE(kind_names) ? kind_names[k] : "unknown";
}

static int say(const struct check_ctx *c, int code, const char *hint, const char *thing,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int say(const struct check_ctx *c, int code, const char *hint, const char *thing,
	       const char *fmt, ...)
{
	struct dsp_erase_why w = { .code = code, .hint = hint };
	va_list ap;

	snprintf(w.thing, sizeof(w.thing), "%s", thing ? thing : "");
	va_start(ap, fmt);
	vsnprintf(w.reason, sizeof(w.reason), fmt, ap);
	va_end(ap);
	if (c->report)
		c->report(&w, c->arg);
	return code;
}

/* Of two check results, the one that decides: a refusal, then invalid input, then errors. */
static int check_worse(int a, int b)
{
	static const int rank[] = { DSP_REFUSED, DSP_INVALID };

	for (size_t i = 0; i < DSP_ARRAY_SIZE(rank); i++)
		if (a == rank[i] || b == rank[i])
			return rank[i];
	return a ? a : b;
}

static const struct dsp_blkdev_loopfile *backs_loop(const struct check_ctx *c,
						    const struct stat *sb)
{
	for (size_t i = 0; i < c->nloopfiles; i++)
		if (c->loopfiles[i].dev == sb->st_dev && c->loopfiles[i].ino == sb->st_ino)
			return &c->loopfiles[i];
	return NULL;
}

/* A tree's file that backs an attached loop device or is the run record stops the check. */
static int scan_file(const char *path, const struct stat *st, unsigned names, void *arg)
{
	const struct check_ctx *c = arg;
	const struct dsp_blkdev_loopfile *lf = backs_loop(c, st);

	if (dsp_erase_guard_has(&c->guard, st)) {
		say(c, DSP_REFUSED, NULL, c->t->path,
		    "holds %s, another name of a file of the run directory %s", path,
		    c->o->run_dir);
		return 1;
	}
	if (!lf)
		return 0;
	say(c, DSP_REFUSED, NULL, c->t->path, "holds %s, the backing file of /dev/%s; detach it first",
	    path, lf->name);
	return 1;
}

/*
 * Files and trees: open the target once. Everything checked from here on,
 * and the erase, use this handle, never the path again.
 */
static int hold_target(const struct check_ctx *c, struct dsp_erase_checked *t,
		       const struct stat *st)
{
	const char *open_path = t->cur ? t->cur : t->path;
	const struct dsp_erase_target_info *in;
	char link[PATH_MAX];
	int r = dsp_erase_target_open(open_path, t->path, &t->ft, link, sizeof(link));

	if (r == -ELOOP && link[0] && strcmp(link, open_path))
		return say(c, DSP_REFUSED, NULL, t->path,
			   "%s is a symbolic link; name the path without it", link);
	if (r == -ELOOP)
		return say(c, DSP_REFUSED, NULL, t->path,
			   "is a symbolic link; name its target instead");
	if (r < 0)
		return say(c, DSP_INVALID, NULL, t->path, "%s", strerror(-r));
	in = dsp_erase_target_info(t->ft);
	if (in->dev != st->st_dev || in->ino != st->st_ino)
		return say(c, DSP_REFUSED, NULL, t->path,
			   "changed while it was being checked; nothing written");
	return 0;
}

/*
 * Canonical form of a path that may not exist yet (a new run directory):
 * the deepest existing ancestor resolved, the missing rest appended.
 */
static bool resolve_loose(const char *path, char *out)
{
	char buf[PATH_MAX], head[PATH_MAX];
	const char *rest = "";
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return false;
	for (;;) {
		if (realpath(buf[0] ? buf : ".", head))
			break;
		if (errno != ENOENT || !buf[0])
			return false;
		s = strrchr(buf, '/');
		if (!s) {
			rest = path;
			buf[0] = '\0';
		} else {
			rest = path + (s - buf) + 1;
			/* "/x" -> "/", "a/b" -> "a" */
			s[s == buf ? 1 : 0] = '\0';
		}
	}
	while (*rest == '/')
		rest++;
	return snprintf(out, PATH_MAX, "%s%s%s", head, *rest && strcmp(head, "/") ? "/" : "",
			rest) < PATH_MAX;
}

/* Is inner (canonical) outer (canonical) or below it? */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	if (!strcmp(outer, "/"))
		return true;
	return !strncmp(inner, outer, n) && (inner[n] == '/' || inner[n] == '\0');
}

/*
 * Does the held tree or file contain or equal the run directory? 1 or 0;
 * -errno when run_dir cannot be looked at (ENOTDIR, ENAMETOOLONG...): that
 * run directory is unusable, said as such rather than as this target's fault.
 * The run directory need not exist yet: it is made inside the tree later.
 */
static int holds_run_dir(const struct dsp_erase_checked *t, const char *run_dir)
{
	char a[PATH_MAX], b[PATH_MAX];
	int r;

	if (!run_dir)
		return 0;
	/* by device and inode too: a bind mount or a hard link is no other place */
	if ((r = dsp_erase_target_holds_run(t->ft, run_dir)) != 0)
		return r;
	if (dsp_erase_target_realpath(t->ft, a, sizeof(a)) < 0)
		return 0;
	if (!resolve_loose(run_dir, b))
		return 0;
	return path_within(b, a);
}

/* A --run-dir that cannot be used, whatever the errno: invalid input (exit 2). */
static int bad_run_dir(const struct check_ctx *c, int r)
{
	return say(c, DSP_INVALID, NULL, c->o->run_dir, "unusable run directory: %s",
		   strerror(-r));
}

/*
 * A symlink named as a target: only one to a block device is taken (the
 * /dev/disk/by-id names admins pick disks by), resolved here once; from
 * now on the target is that node and its device number.
 */
static int resolve_block_link(const struct check_ctx *c, struct dsp_erase_checked *t,
			      struct stat *st)
{
	struct dsp_device_ref ref;

	if (dsp_device_resolve(t->path, &ref) < 0)
		return say(c, DSP_REFUSED, NULL, t->path,
			   "is a symbolic link; name its target instead");
	if (lstat(ref.node, st) < 0 || !S_ISBLK(st->st_mode) || st->st_rdev != ref.devno)
		return say(c, DSP_REFUSED, NULL, t->path,
			   "changed while it was being checked; nothing written");
	t->given = t->path;
	t->path = strdup(ref.node);
	if (!t->path) {
		t->path = t->given;
		t->given = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int check_block(const struct check_ctx *c, struct dsp_erase_checked *t,
		       const struct stat *st)
{
	const char *name = t->given ? t->given : t->path;
	struct dsp_blkdev_use use;
	char why[512];
	int r;

	t->kind = DSP_ERASE_BLOCK;
	t->dev = st->st_rdev;
	t->ino = 0;
	r = dsp_device_check(c->o->root, t->dev, &use);
	if (r < 0)
		return say(c, DSP_REFUSED, NULL, name,
			   "cannot check whether the device is in use: %s", strerror(-r));
	if (use.mounted || use.holds_root || use.swap_active || use.has_holders)
		return say(c, DSP_REFUSED, NULL, name, "%s",
			   dsp_blkdev_use_reason(&use, why, sizeof(why)));
	r = dsp_device_info(c->o->root, t->dev, &t->info);
	if (r == 0) {
		/* the node it was checked by, as dsp_blkdev_info keeps it */
		snprintf(t->info.path, sizeof(t->info.path), "%s", t->path);
		t->have_info = true;
		t->identity = dsp_identity_block(&t->info);
		t->size = t->info.size;
		/* a card reader without a card: "erased" would be a lie */
		if (!t->size)
			return say(c, DSP_INVALID, NULL, name,
				   "device has size 0 (no medium?); nothing to erase");
	}
	return 0;
}

static int check_file(struct check_ctx *c, struct dsp_erase_checked *t, const struct stat *st)
{
	const struct dsp_blkdev_loopfile *lf = backs_loop(c, st);
	const struct dsp_erase_target_info *in;
	int r;

	t->kind = DSP_ERASE_FILE;
	r = hold_target(c, t, st);
	if (r)
		return r;
	in = dsp_erase_target_info(t->ft);
	t->size = in->size;
	if (lf)
		return say(c, DSP_REFUSED, NULL, t->path,
			   "is the backing file of /dev/%s; detach it first", lf->name);
	/* a file bind-mounted over this name belongs to another tree */
	if (in->mount_root)
		return say(c, DSP_REFUSED, NULL, t->path, "is a mount point; refusing to erase it");
	if ((r = holds_run_dir(t, c->o->run_dir)) < 0)
		return bad_run_dir(c, r);
	if (r)
		return say(c, DSP_REFUSED, NULL, t->path, "is a file of the run directory %s",
			   c->o->run_dir);
	/* its other names may be anywhere: their data would go too */
	if (in->nlink > 1 && !c->o->erase_shared_inodes) {
		uint64_t other = in->nlink - 1;

		return say(c, DSP_REFUSED, "Use --erase-shared-inodes to overwrite it anyway.",
			   t->path, "has %llu other hard link%s whose data would be overwritten too",
			   (unsigned long long)other, other == 1 ? "" : "s");
	}
	return 0;
}

static int check_tree(struct check_ctx *c, struct dsp_erase_checked *t, const struct stat *st)
{
	const struct dsp_erase_target_info *in;
	int r;

	t->kind = DSP_ERASE_TREE;
	r = hold_target(c, t, st);
	if (r)
		return r;
	in = dsp_erase_target_info(t->ft);
	if (in->fs_root)
		return say(c, DSP_REFUSED, NULL, t->path, "refusing to erase the root directory");
	if (in->mount_root)
		return say(c, DSP_REFUSED, NULL, t->path, "is a mount point; refusing to erase it");
	if ((r = holds_run_dir(t, c->o->run_dir)) < 0)
		return bad_run_dir(c, r);
	if (r)
		return say(c, DSP_REFUSED, NULL, t->path, "holds the run directory %s",
			   c->o->run_dir);
	/* from the held directory, as the erase will walk it */
	c->t = t;
	r = dsp_erase_tree_scan(t->ft, scan_file, NULL, c, &t->scan);
	c->t = NULL;
	if (r == 1)
		return DSP_REFUSED;
	if (r < 0)
		return say(c, DSP_INVALID, NULL, t->path, "cannot walk the tree: %s", strerror(-r));
	/* files kept for their outside names are not written */
	t->size = t->scan.bytes - (c->o->erase_shared_inodes ? 0 : t->scan.shared_bytes);
	return 0;
}

static int check_one(struct check_ctx *c, struct dsp_erase_checked *t)
{
	struct stat st;
	int r;

	if (lstat(t->cur ? t->cur : t->path, &st) < 0)
		return say(c, DSP_INVALID, NULL, t->path, "%s", strerror(errno));
	if (t->cur && !S_ISREG(st.st_mode))
		return say(c, DSP_REFUSED, NULL, t->path, "%s is not the renamed file", t->cur);
	if (S_ISLNK(st.st_mode) && !t->cur) {
		r = resolve_block_link(c, t, &st);
		if (r)
			return r;
	}
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	if (S_ISBLK(st.st_mode))
		return check_block(c, t, &st);
	if (S_ISREG(st.st_mode))
		return check_file(c, t, &st);
	if (S_ISDIR(st.st_mode))
		return check_tree(c, t, &st);
	return say(c, DSP_INVALID, NULL, t->path,
		   "not a block device, regular file or directory");
}

/* The name the operator knows a target by. */
static const char *shown(const struct dsp_erase_checked *t)
{
	return t->given ? t->given : t->path;
}

/*
 * Two names of one medium (loop devices over one file, a loop device and
 * the device it is backed by) are one target named twice.
 */
static int check_shared_medium(const struct check_ctx *c, const struct dsp_erase_checked *t,
			       size_t nt)
{
	struct dsp_blkdev_medium *m = calloc(nt ? nt : 1, sizeof(*m));
	size_t n = 0;
	int r, rc = 0;

	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < nt; i++)
		n += t[i].kind == DSP_ERASE_BLOCK;
	/* one device reaches no other: no lookup */
	for (size_t i = 0; i < nt && n > 1 && !rc; i++) {
		if (t[i].kind != DSP_ERASE_BLOCK)
			continue;
		r = dsp_device_medium(c->o->root, t[i].dev, &m[i]);
		if (r < 0) {
			rc = say(c, DSP_REFUSED, NULL, shown(&t[i]),
				 "cannot tell which medium the device reaches: %s", strerror(-r));
			break;
		}
		for (size_t j = 0; j < i && !rc; j++)
			if (t[j].kind == DSP_ERASE_BLOCK && dsp_blkdev_medium_overlap(&m[j], &m[i]))
				rc = say(c, DSP_INVALID, NULL, shown(&t[i]),
					 "reaches the same medium as %s, also named", shown(&t[j]));
	}
	free(m);
	return rc;
}

/* One file with names in two targets: the walks' order would decide its fate. */
static int check_shared_inodes(const struct check_ctx *c, const struct dsp_erase_checked *t,
			       size_t nt)
{
	struct dsp_erase_target **ft = calloc(nt ? nt : 1, sizeof(*ft));
	size_t ia = 0, ib = 0, held = 0;
	char *a, *b;
	int r;

	if (!ft)
		return -ENOMEM;
	for (size_t i = 0; i < nt; i++) {
		ft[i] = t[i].kind == DSP_ERASE_BLOCK ? NULL : t[i].ft;
		held += !!ft[i];
	}
	/* one file or tree shares with nothing: no second walk */
	r = held < 2 ? 0 : dsp_erase_targets_share(ft, nt, &ia, &a, &ib, &b);
	free(ft);
	if (r == 1) {
		say(c, DSP_REFUSED, "Use --erase-shared-inodes to overwrite it anyway.", b,
		    "is a hard link of %s, in %s, also named", a, t[ia].path);
		free(a);
		free(b);
		return DSP_REFUSED;
	}
	if (r < 0)
		return say(c, DSP_REFUSED, NULL, t[ib].path,
			   "cannot walk the targets for shared files: %s", strerror(-r));
	return 0;
}

static int check_overlaps(const struct check_ctx *c, const struct dsp_erase_checked *t, size_t nt)
{
	int rc = 0;

	/* a file or tree inside a tree also named would be erased twice, concurrently */
	for (size_t i = 0; i < nt && rc == 0; i++) {
		char a[PATH_MAX], b[PATH_MAX];

		if (t[i].kind == DSP_ERASE_BLOCK || !realpath(t[i].path, a))
			continue;
		for (size_t j = 0; j < nt && rc == 0; j++) {
			if (j == i || t[j].kind != DSP_ERASE_TREE || !realpath(t[j].path, b))
				continue;
			if (path_within(a, b))
				rc = say(c, DSP_INVALID, NULL, t[i].path, "is inside %s, also named",
					 t[j].path);
		}
	}
	/* a partition and its disk at once would be overwritten twice, concurrently */
	for (size_t i = 0; i < nt && rc == 0; i++) {
		const struct dsp_erase_checked *p = &t[i];

		if (p->kind != DSP_ERASE_BLOCK || !p->have_info || !p->info.is_partition)
			continue;
		for (size_t j = 0; j < nt; j++) {
			const struct dsp_erase_checked *d = &t[j];

			if (d->kind == DSP_ERASE_BLOCK && d->have_info && !d->info.is_partition &&
			    !strcmp(d->info.name, p->info.disk))
				rc = say(c, DSP_INVALID, NULL, shown(p), "is a partition of %s, also named",
					 shown(d));
		}
	}
	return rc;
}

int dsp_erase_check_targets(const struct dsp_erase_check_opts *o, struct dsp_erase_checked *t,
			    size_t n, dsp_erase_report_fn report, void *arg)
{
	struct check_ctx c = { .o = o, .report = report, .arg = arg };
	int rc = 0;

	if (dsp_erase_guard_load(o->run_dir, &c.guard) < 0)
		memset(&c.guard, 0, sizeof(c.guard));
	if (dsp_device_loop_files(o->root, &c.loopfiles, &c.nloopfiles) < 0) {
		c.loopfiles = NULL;	/* no sysfs: no loop devices to protect */
		c.nloopfiles = 0;
	}
	for (size_t i = 0; i < n; i++) {
		rc = check_worse(rc, check_one(&c, &t[i]));
		for (size_t j = 0; j < i && rc == 0; j++)
			if (t[j].kind == t[i].kind && t[j].dev == t[i].dev && t[j].ino == t[i].ino)
				rc = say(&c, DSP_INVALID, NULL, shown(&t[i]), "named twice (also as %s)",
					 shown(&t[j]));
	}
	if (rc == 0)
		rc = check_overlaps(&c, t, n);
	if (rc == 0)
		rc = check_shared_medium(&c, t, n);
	if (rc == 0 && !o->erase_shared_inodes)
		rc = check_shared_inodes(&c, t, n);
	free(c.loopfiles);
	return rc;
}

void dsp_erase_checked_release(struct dsp_erase_checked *t)
{
	dsp_erase_target_close(t->ft);
	t->ft = NULL;
	json_object_put(t->identity);
	t->identity = NULL;
}

/* ---- the re-check of a certificate's target (dispose verify --device) ---- */

#define RECHECK_CHUNK	(1u << 20)

static int draw_seed(struct dsp_erase_sample *s)
{
	if (s->seed_given)
		return 0;
#ifdef DSP_TEST_HOOKS
	{
		const char *t = getenv("DISPOSE_TEST_SEED");
		char *end;

		if (t && *t) {
			errno = 0;
			s->seed = strtoull(t, &end, 16);
			if (!errno && !*end)
				return 0;
		}
	}
#endif
	return RAND_bytes((unsigned char *)&s->seed, sizeof(s->seed)) == 1 ? 0 : -EIO;
}

static bool in_bad(const uint64_t (*bad)[2], size_t nbad, uint64_t o)
{
	for (size_t i = 0; i < nbad; i++)
		if (o >= bad[i][0] && o - bad[i][0] < bad[i][1])
			return true;
	return false;
}

/* Read [off, off+len) into buf; sectors that cannot be read are zeroed and added to unread. */
static int recheck_read(struct dsp_io *io, uint8_t *buf, size_t len, uint64_t off, uint32_t sec,
			struct ranges *unread)
{
	size_t done = 0;
	int r = dsp_io_read(io, buf, len, off, &done);

	if (r != -EIO)
		return r;
	for (size_t pos = done - done % sec; pos < len; pos += sec) {
		size_t n = len - pos < sec ? len - pos : sec;

		r = dsp_io_read(io, buf + pos, n, off + pos, NULL);
		if (r == -EIO) {
			memset(buf + pos, 0, n);
			if (ranges_add(unread, off + pos, n) < 0)
				return -ENOMEM;
		} else if (r < 0) {
			return r;
		}
	}
	return 0;
}

static bool in_ranges(const struct ranges *r, uint64_t o)
{
	for (size_t i = 0; i < r->n; i++)
		if (o >= r->v[i].off && o - r->v[i].off < r->v[i].len)
			return true;
	return false;
}

int dsp_erase_check_pattern(struct dsp_io *io, struct json_object *pattern, uint64_t size,
			    const uint64_t (*bad)[2], size_t nbad, double percent,
			    struct dsp_erase_sample *s)
{
	struct dsp_erase_sample dummy = { 0 };
	struct ranges ext = { 0 }, unread = { 0 };
	struct dsp_pattern pat;
	struct dsp_pattern_gen *g = NULL;
	uint8_t *buf = NULL, *exp = NULL;
	uint32_t sec;
	uint64_t strata, ends;
	int r;

	if (!s)
		s = &dummy;
	s->bytes_read = s->mismatches = s->first_mismatch = s->unreadable_bytes = 0;
	if (!io || !pattern)
		return -EINVAL;
	if (dsp_pattern_from_json(pattern, &pat))
		return DSP_INVALID;
	if (io->size != size)
		return -ESTALE;
	sec = io->logical_sector ? io->logical_sector : 512;
	r = draw_seed(s);
	if (r < 0)
		return r;
	r = percent >= 100 || percent <= 0 ? ranges_add(&ext, 0, size) :
	    erase_sample_extents(size, sec, percent, s->seed, &ext, &strata, &ends);
	if (r < 0)
		goto out;
	/* the bytes must come from the medium, not the page cache */
	r = dsp_io_drop_cache(io, 0, size);
	if (r < 0)
		goto out;
	r = dsp_pattern_gen_new(&pat, &g);
	if (r < 0)
		goto out;
	buf = dsp_io_buf_alloc(RECHECK_CHUNK);
	exp = malloc(RECHECK_CHUNK);
	if (!buf || !exp) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ext.n; i++) {
		for (uint64_t off = ext.v[i].off, end = ext.v[i].off + ext.v[i].len; off < end;) {
			size_t n = end - off < RECHECK_CHUNK ? (size_t)(end - off) : RECHECK_CHUNK;

			r = recheck_read(io, buf, n, off, sec, &unread);
			if (r < 0)
				goto out;
			s->bytes_read += n;
			r = dsp_pattern_fill(g, off, exp, n);
			if (r < 0)
				goto out;
			if (memcmp(buf, exp, n))
				for (size_t k = 0; k < n; k++)
					if (buf[k] != exp[k] && !in_bad(bad, nbad, off + k) &&
					    !in_ranges(&unread, off + k)) {
						if (!s->mismatches)
							s->first_mismatch = off + k;
						s->mismatches++;
					}
			off += n;
		}
	}
	s->unreadable_bytes = ranges_bytes(&unread);
	r = s->mismatches ? DSP_MISMATCH : s->unreadable_bytes ? DSP_PARTIAL : 0;
out:
	dsp_pattern_gen_free(g);
	dsp_io_buf_free(buf);
	free(exp);
	ranges_free(&ext);
	ranges_free(&unread);
	explicit_bzero(&pat, sizeof(pat));
	return r;
}
