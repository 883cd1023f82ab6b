/* SPDX-License-Identifier: MIT */
/* plan_int.h - shared by plan.c (decisions, the document), plan_inv.c (the inventory, selectors), plan_out.c */
#ifndef DISPOSE_PLAN_INT_H
#define DISPOSE_PLAN_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "dispose/run.h"

/* Files erased per second, devices per second: the plan's estimates (dispose(8) PLAN). */
#define PLAN_FILE_RATE	300000000ull
#define PLAN_DEV_RATE	500000000ull

/*
 * Paths ordered component by component ('/' sorts before every other
 * byte), so that everything under a directory follows it directly.
 */
int plan_pathcmp(const char *a, const char *b);
/* path is dir or under it. */
bool plan_path_within(const char *path, const char *dir);

enum tkind { TK_FILE, TK_TREE, TK_BLOCK };

/* An inventory file or directory (sorted by plan_pathcmp). */
struct ent {
	char *path;
	const char *type;	/* the inventory's: file, dir, symlink ... */
	uint64_t size;
	bool dir, reg;
	bool outside;		/* not under the policy's roots: never selected by paths */
};

/* What stays: a keep rule's match, the run directory, the running system. */
struct kept {
	char *path;
	char *except;		/* not kept at or under this (/usr/local), or NULL */
	bool node;		/* only the path itself, not what is under it */
	char *rule, *reason;
};

struct target {
	char *path;
	enum tkind kind;
	size_t rule;		/* erase[rule] */
	char *selected;		/* what selected it: "paths", "key openssh", "package nginx" ... */
	uint64_t bytes, files, retained;
	bool have_size;
};

struct archive {
	size_t rule;		/* retain[rule] */
	char **roots;		/* real paths (symlinks resolved), sorted, none inside another */
	size_t nroots;
	char **named;		/* the paths as matched, sorted, none inside another */
	size_t nnamed;
	char **excl;		/* key files under the roots left out (keys exclude), strcmp-sorted */
	size_t nexcl;
	uint64_t files, bytes;
};

/* A directory an erase match was split at: it holds something kept. */
struct split {
	char *path;
	size_t rule;
	char *because;
};

/* One device of the inventory (disks and partitions). */
struct dev {
	struct json_object *o;
	const char *path, *name, *disk;	/* disk: the whole disk's kernel name */
	int target;			/* -1: none */
	char *keep;			/* why it is kept, or NULL */
	int keep_rule;			/* erase rule that selected it, or -1 */
	const char *keep_name;		/* the keep rule that keeps it, or NULL */
};

struct pl {
	const struct dsp_policy *p;
	const struct dsp_plan_opts *o;
	char **why;
	const char *policy_name;	/* in messages: the policy's path, else its name */
	char sysroot[PATH_MAX];		/* "" for "/" */
	struct json_object *inv;
	char inv_sha256[65];
	char today[11];
	struct ent *ents;
	size_t nents;
	struct kept *kept;
	size_t nkept;
	struct target *tg;		/* in creation order: ids t1, t2 ... */
	size_t ntg, ctg;
	size_t *tsort;			/* indices of file and tree targets by path */
	size_t nts;
	struct archive *ar;
	size_t nar;
	struct split *sp;
	size_t nsp;
	struct dev *devs;
	size_t ndevs;
	struct json_object *keep_out;	/* the plan's keep[] */
};

struct match {
	const char *path;
	enum tkind kind;
	bool special;		/* a symlink, device node, FIFO...: no target of its own */
	const char *selected;
	struct dev *dev;	/* TK_BLOCK */
	uint64_t size;		/* when not in the inventory */
	uint64_t files;
	bool have_size;
};

typedef int (*match_fn)(struct pl *s, const struct match *m, void *arg);

/* One line into *s->why (the first said wins); returns rc. */
int plan_fail(struct pl *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline void *xrealloc(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return realloc(p, n * size > 0 ? n * size : 1);
}

/* path is strictly under dir */
static inline bool under(const char *path, const char *dir)
{
	return plan_path_within(path, dir) && strcmp(path, dir) && !(dir[0] == '/' && !dir[1] &&
								     !path[1]);
}

/* ---- plan_inv.c ---- */

/* Read o->inventory, or scan now with the policy's roots and categories: s->inv, s->inv_sha256. */
int plan_inv_load(struct pl *s);
/* The inventory's array member key, or NULL. */
struct json_object *plan_inv_array(struct pl *s, const char *key);
/* s->ents: the inventory's files and directories, sorted by plan_pathcmp, one per path. */
int plan_ents_load(struct pl *s);
struct ent *plan_ent_find(struct pl *s, const char *path);
/* [*lo, *hi): path itself (when listed) and every entry under it. */
void plan_ent_range(struct pl *s, const char *path, size_t *lo, size_t *hi);
/* s->devs: the inventory's disks and partitions. */
int plan_devs_load(struct pl *s);
bool plan_has_glob(const char *p);
/* Absolute, without ".", ".." or empty components ("/" is). */
bool plan_path_clean(const char *p);
/* Under one of the policy's roots (none: true). */
bool plan_under_roots(struct pl *s, const char *path);
/* Why device d must not be erased (a new string), or NULL: the inventory's view and now's. */
char *plan_dev_in_use(struct pl *s, struct dev *d);
/*
 * fn for every match of a rule's selectors, in selector order; *n counts
 * them; *named: false when every selector expanded to nothing.
 */
int plan_select(struct pl *s, const struct dsp_policy_select *sel, match_fn fn, void *arg,
		size_t *n, bool *named);

#endif
