/* SPDX-License-Identifier: MIT */
/*
 * interlock.c - dispose run's erase step: nothing retained is erased unless
 * a verified archive of this run covers it, byte for byte, right before it
 * is overwritten.
 *
 * One digest, SHA-512, compared like with like: the bag's manifest (the
 * archive's own evidence, re-checkable with stock sha512sum inside the
 * bag), the archive's item list and dsp_archive_cover_has all use it, so
 * no mapping from the inventory's SHA-256 is needed or trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/archive.h"
#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/run.h"
#include "run_int.h"

/* A file whose overwrite began in an earlier session (the gate passed it then). */
struct begun {
	char *id, *path;
	uint64_t dev, ino;
	bool started;		/* a pass_start of its target id */
};

/* A plan archive as the gate sees it (why a file is not covered: is the archive still there?). */
struct garc {
	char *name;			/* the archive file (plan's "archive") */
	char *rule;			/* the retain rule it is of */
	char *sha, *env_sha;		/* archive_created's SHA-256 of it and its envelope */
	int state;			/* 0 not looked at yet, 1 as created, 2 gone, 3 damaged */
};

struct gate {
	struct run *r;
	struct garc *arcs;		/* the plan's archives */
	size_t narcs;
	pthread_mutex_t lock;		/* arcs[].state (worker threads) */
	struct begun *begun;		/* resume: every file target the record names */
	size_t nbegun;
	const struct dsp_archive_cover *cover;	/* NULL: nothing is covered */
	char **roots;			/* every archive's roots, as named and as their
					 * real paths: what is retained */
	size_t nroots;
	size_t *root_arc;		/* roots[i] is archive root_arc[i]'s */
	char **excl;			/* every archive's excludes (globs): not retained */
	size_t *excl_arc;		/* excl[i] is archive excl_arc[i]'s */
	size_t nexcl;
	char **archived;		/* sorted: retained files the plan archived */
	size_t narchived;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does archive arc leave path out? As the archive writer matches: the path or its base name. */
static bool excluded(const struct gate *g, size_t arc, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < g->nexcl; i++)
		if (g->excl_arc[i] == arc &&
		    (!fnmatch(g->excl[i], path, 0) || !fnmatch(g->excl[i], base, 0)))
			return true;
	return false;
}

/* The plan archive of a retain rule, or SIZE_MAX (the rule matched nothing then). */
static size_t arc_of_rule(const struct gate *g, const char *rule)
{
	for (size_t i = 0; rule && i < g->narcs; i++)
		if (g->arcs[i].rule && !strcmp(g->arcs[i].rule, rule))
			return i;
	return SIZE_MAX;
}

/* A retain paths glob as the plan matches it: "X/ **" (no space) is X and everything under it. */
static bool glob_matches(const char *glob, const char *path)
{
	size_t n = strlen(glob);
	char *base, *p;
	bool hit = false;

	if (n < 3 || strcmp(glob + n - 3, "/**"))
		return !fnmatch(glob, path, FNM_PATHNAME);
	if (!(base = strndup(glob, n - 3)))
		return true;	/* cannot tell: held */
	if (!base[0])
		hit = true;	/* "/ **": everything */
	if (!hit && !fnmatch(base, path, FNM_PATHNAME))
		hit = true;
	/* a leading directory of path matched by X */
	if (!hit && (p = strdup(path))) {
		for (char *c = strrchr(p, '/'); !hit && c && c > p; c = strrchr(p, '/')) {
			*c = '\0';
			hit = !fnmatch(base, p, FNM_PATHNAME);
		}
		free(p);
	} else if (!hit) {
		hit = true;
	}
	free(base);
	return hit;
}

/*
 * Is path (absolute) one of the retained roots or under one, or matched by
 * a retain rule's globs (a file that appeared after the archive too), and
 * not left out of that archive (key material under retain keys exclude)?
 */
static bool retained1(const struct gate *g, const char *path)
{
	const struct dsp_policy *pol = g->r ? g->r->pol : NULL;

	for (size_t i = 0; i < g->nroots; i++) {
		const char *root = g->roots[i];
		size_t n = strlen(root);

		if (!(n == 1 && root[0] == '/') &&
		    !(!strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/')))
			continue;
		if (!excluded(g, g->root_arc[i], path))
			return true;
	}
	for (size_t i = 0; pol && i < pol->nretain; i++) {
		const struct dsp_policy_rule *ru = &pol->retain[i];
		size_t arc = arc_of_rule(g, ru->name);

		for (size_t k = 0; k < ru->sel.npaths; k++)
			if (glob_matches(ru->sel.paths[k], path) &&
			    (arc == SIZE_MAX || !excluded(g, arc, path)))
				return true;
	}
	return false;
}

/* By its name (as the erase walks it) or its real path (what an archive through a link holds). */
static bool retained(const struct gate *g, const char *path, const char *real)
{
	return retained1(g, path) || (real && strcmp(real, path) && retained1(g, real));
}

/*
 * The real path of the open file: the kernel's name of the fd, else the
 * real path of its directory and its base name. NULL: unknown.
 */
static char *real_path(int fd, const char *path)
{
	char link[64], buf[PATH_MAX], *dir, *slash, *out = NULL;
	ssize_t n = -1;

	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, buf, sizeof(buf) - 1);
	}
	if (n > 0 && buf[0] == '/' && !strstr(buf, " (deleted)")) {
		buf[n] = '\0';
		return strdup(buf);
	}
	if (!(dir = strdup(path)) || !(slash = strrchr(dir, '/'))) {
		free(dir);
		return NULL;
	}
	*slash = '\0';
	if (realpath(dir[0] ? dir : "/", buf) &&
	    asprintf(&out, "%s/%s", strcmp(buf, "/") ? buf : "", slash + 1) < 0)
		out = NULL;
	free(dir);
	return out;
}

static bool was_archived(const struct gate *g, const char *path)
{
	return g->narchived && bsearch(&path, g->archived, g->narchived, sizeof(char *),
				       cmp_str) != NULL;
}

/*
 * On resume: the record shows this very file (path, device and inode) with
 * a pass begun, so the gate passed it before: its bytes now are ours.
 */
static bool overwrite_begun(const struct gate *g, const char *path, const struct stat *st)
{
	for (size_t i = 0; i < g->nbegun; i++) {
		const struct begun *b = &g->begun[i];

		if (b->started && st && b->dev == (uint64_t)st->st_dev &&
		    b->ino == (uint64_t)st->st_ino && !strcmp(b->path, path))
			return true;
	}
	return false;
}

/* Covered as it is now, by its real path or its name: 1, 0, or -errno. */
static int covered(const struct gate *g, const char *path, const char *real, const char *hex)
{
	int rc = real ? dsp_archive_cover_has(g->cover, real, hex) : 0;

	if (rc == 0 && (!real || strcmp(real, path)))
		rc = dsp_archive_cover_has(g->cover, path, hex);
	return rc;
}

/* Is archive a's file still as archive_created recorded it? 1 yes, 2 gone, 3 damaged. */
static int arc_state(struct gate *g, struct garc *a)
{
	char hex[65], env[PATH_MAX + 8];
	struct stat st;
	int s;

	pthread_mutex_lock(&g->lock);
	if (!(s = a->state)) {
		snprintf(env, sizeof(env), "%s%s", a->name, DSP_ENV_SUFFIX);
		if (lstat(a->name, &st) && errno == ENOENT)
			s = 2;
		else if (a->sha && (run_sha256_file(a->name, hex) || strcmp(hex, a->sha)))
			s = 3;
		else if (a->env_sha && (run_sha256_file(env, hex) || strcmp(hex, a->env_sha)))
			s = 3;
		else
			s = 1;
		a->state = s;
	}
	pthread_mutex_unlock(&g->lock);
	return s;
}

/* Why a retained file is not covered: its archive gone or damaged, or the file changed. */
static void why_not_covered(struct gate *g, const char *path, const char *real, char *reason,
			    size_t rlen)
{
	bool archived = was_archived(g, path) || (real && was_archived(g, real));

	for (size_t i = 0; archived && i < g->nroots; i++) {
		const char *root = g->roots[i];
		size_t n = strlen(root);
		int s;

		if (!(n == 1 && root[0] == '/') &&
		    !(!strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/')) &&
		    !(real && !strncmp(real, root, n) && (real[n] == '\0' || real[n] == '/')))
			continue;
		if (g->root_arc[i] >= g->narcs)
			continue;
		s = arc_state(g, &g->arcs[g->root_arc[i]]);
		if (s == 2 || s == 3) {
			snprintf(reason, rlen, "retained, its archive %s is %s: not covered",
				 g->arcs[g->root_arc[i]].name, s == 2 ? "gone" : "damaged "
				 "(not as it was created)");
			return;
		}
	}
	if (archived && g->cover)
		snprintf(reason, rlen, "retained, changed since it was archived");
	else
		snprintf(reason, rlen, "retained, not covered by a verified archive");
}

/* The erase's file gate (worker threads): a retained file must be covered as it is now. */
static int file_gate(int fd, const char *path, const struct stat *st, char *reason,
		     size_t rlen, void *arg)
{
	struct gate *g = arg;
	char hex[129], *real;
	int rc;

	if (!path || path[0] != '/') {
		snprintf(reason, rlen, "not an absolute path: cannot tell whether it is retained");
		return 1;
	}
	real = real_path(fd, path);
	if (!retained(g, path, real) || overwrite_begun(g, path, st)) {
		free(real);
		return 0;
	}
	if (!g->cover) {
		snprintf(reason, rlen, "retained, not covered by a verified archive");
		free(real);
		return 1;
	}
	if ((rc = run_sha512_fd(fd, hex))) {
		snprintf(reason, rlen, "retained, cannot be read to compare with its archive: %s",
			 strerror(-rc));
		free(real);
		return 1;
	}
	rc = covered(g, path, real, hex);
	if (rc == 1) {
		free(real);
		return 0;
	}
	if (rc < 0)
		snprintf(reason, rlen, "retained, cannot be compared with its archive: %s",
			 strerror(-rc));
	else
		why_not_covered(g, path, real, reason, rlen);
	free(real);
	return 1;
}

static int begun_visit(struct json_object *ev, void *arg)
{
	struct gate *g = arg;
	const char *e = dsp_json_str(ev, "event"), *id = dsp_json_str(ev, "target");
	struct json_object *idn;
	struct begun *nb;
	char *path = NULL;
	uint64_t dev, ino;

	if (e && !strcmp(e, "archive_created") && !dsp_json_bytes(ev, "archive", &path, NULL)) {
		const char *sha = dsp_json_str(ev, "sha256"), *esha = dsp_json_str(ev, "envelope_sha256");

		for (size_t i = 0; i < g->narcs; i++) {
			struct garc *a = &g->arcs[i];

			if (strcmp(a->name, path))
				continue;
			free(a->sha);
			free(a->env_sha);
			a->sha = sha ? strdup(sha) : NULL;
			a->env_sha = esha ? strdup(esha) : NULL;
		}
		free(path);
		return 0;
	}
	if (!e || !id)
		return 0;
	if (!strcmp(e, "pass_start")) {
		for (size_t i = 0; i < g->nbegun; i++)
			if (!strcmp(g->begun[i].id, id))
				g->begun[i].started = true;
		return 0;
	}
	if (strcmp(e, "target") || !json_object_object_get_ex(ev, "identity", &idn) ||
	    dsp_json_u64(idn, "dev", &dev) || dsp_json_u64(idn, "ino", &ino) ||
	    dsp_json_bytes(ev, "path", &path, NULL))
		return 0;
	if (!(nb = realloc(g->begun, (g->nbegun + 1) * sizeof(*nb))) || !(id = strdup(id))) {
		if (nb)
			g->begun = nb;
		free(path);
		return -ENOMEM;
	}
	g->begun = nb;
	nb[g->nbegun++] = (struct begun){ .id = (char *)id, .path = path, .dev = dev, .ino = ino };
	return 0;
}

static void gate_free(struct gate *g)
{
	for (size_t i = 0; i < g->nbegun; i++) {
		free(g->begun[i].id);
		free(g->begun[i].path);
	}
	free(g->begun);
	for (size_t i = 0; i < g->narcs; i++) {
		free(g->arcs[i].name);
		free(g->arcs[i].rule);
		free(g->arcs[i].sha);
		free(g->arcs[i].env_sha);
	}
	free(g->arcs);
	pthread_mutex_destroy(&g->lock);
	for (size_t i = 0; i < g->nroots; i++)
		free(g->roots[i]);
	free(g->roots);
	free(g->root_arc);
	for (size_t i = 0; i < g->nexcl; i++)
		free(g->excl[i]);
	free(g->excl);
	free(g->excl_arc);
	for (size_t i = 0; i < g->narchived; i++)
		free(g->archived[i]);
	free(g->archived);
}

static struct json_object *plan_arr(struct json_object *plan, const char *k)
{
	struct json_object *a;

	return plan && json_object_object_get_ex(plan, k, &a) &&
	       json_object_is_type(a, json_type_array) ? a : NULL;
}

static int add_str(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

/* add_str, and which archive s belongs to in arcs[] (n counted by add_str) */
static int add_arc_str(char ***v, size_t **arcs, size_t *n, char *s, size_t arc)
{
	size_t *na = realloc(*arcs, (*n + 1) * sizeof(**arcs));

	if (!na) {
		free(s);
		return -ENOMEM;
	}
	*arcs = na;
	na[*n] = arc;
	return add_str(v, n, s);
}

/* The retained roots (every archive's) and the files the plan retains and erases. */
static int gate_init(struct gate *g, struct json_object *plan)
{
	struct json_object *arcs = plan_arr(plan, "archives"), *items = plan_arr(plan, "items");
	int rc = 0;

	size_t na = arcs ? json_object_array_length(arcs) : 0;

	if (na && !(g->arcs = calloc(na, sizeof(*g->arcs))))
		return -ENOMEM;
	for (size_t i = 0; !rc && i < na; i++) {
		struct json_object *a = json_object_array_get_idx(arcs, i);
		struct json_object *ex = plan_arr(a, "excludes");
		/* the roots as the archive reads them (real paths) and as the policy named them */
		struct json_object *rr[2] = { plan_arr(a, "roots"), plan_arr(a, "roots_named") };
		const char *rule = dsp_json_str(a, "rule");

		if (dsp_json_bytes(a, "archive", &g->arcs[i].name, NULL) ||
		    (rule && !(g->arcs[i].rule = strdup(rule))))
			return -EINVAL;
		g->narcs = i + 1;
		for (size_t w = 0; w < 2; w++) {
			struct json_object *roots = rr[w];

			for (size_t k = 0; !rc && roots && k < json_object_array_length(roots); k++) {
				char *s = NULL, real[PATH_MAX];
				size_t len;

				if (dsp_json_value_bytes(json_object_array_get_idx(roots, k), &s,
							 &len))
					return -EINVAL;
				while (len > 1 && s[len - 1] == '/')
					s[--len] = '\0';
				/* a root through a symlink: the archive holds its target's files */
				if (realpath(s, real) && strcmp(real, s)) {
					char *d = strdup(real);

					if (!d || add_arc_str(&g->roots, &g->root_arc, &g->nroots, d,
							      i)) {
						free(s);
						return -ENOMEM;
					}
				}
				rc = add_arc_str(&g->roots, &g->root_arc, &g->nroots, s, i);
			}
		}
		/* what the archive leaves out (keys exclude) is not retained: erased uncovered */
		for (size_t k = 0; !rc && ex && k < json_object_array_length(ex); k++) {
			char *s = NULL;

			if (dsp_json_value_bytes(json_object_array_get_idx(ex, k), &s, NULL))
				return -EINVAL;
			rc = add_arc_str(&g->excl, &g->excl_arc, &g->nexcl, s, i);
		}
	}
	for (size_t i = 0; !rc && items && i < json_object_array_length(items); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		const char *d = dsp_json_str(it, "decision"), *k = dsp_json_str(it, "kind");
		char *s = NULL;

		if (!d || strcmp(d, "retain+erase") || (k && strcmp(k, "file")))
			continue;
		if (dsp_json_bytes(it, "path", &s, NULL))
			continue;
		rc = add_str(&g->archived, &g->narchived, s);
	}
	if (g->narchived)
		qsort(g->archived, g->narchived, sizeof(char *), cmp_str);
	return rc;
}

/*
 * The interlock event: the retained files under erase targets, how many the
 * verified archives cover as they are now (the gate checks each again right
 * before it is overwritten).
 */
static int interlock_event(struct run *r, const struct gate *g)
{
	struct json_object *o = json_object_new_object(), *nc = json_object_new_array();
	uint64_t ncovered = 0, bad = 0, gone = 0, begun = 0, links = 0;

	if (!o || !nc) {
		json_object_put(o);
		json_object_put(nc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->narchived; i++) {
		char hex[129], *real;
		struct stat st;
		int fd, ok = 0;

		/*
		 * A symlink (or other special file) is archived as what it is and
		 * removed, never followed: no bytes of it are erased, the gate
		 * never sees it. Counted apart.
		 */
		if (!lstat(g->archived[i], &st) && !S_ISREG(st.st_mode)) {
			links++;
			continue;
		}
		fd = open(g->archived[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
			  O_NONBLOCK);
		if (fd >= 0 && !fstat(fd, &st) && overwrite_begun(g, g->archived[i], &st)) {
			close(fd);
			begun++;	/* covered when its overwrite began, before a resume */
			continue;
		}
		if (fd >= 0) {
			real = real_path(fd, g->archived[i]);
			ok = g->cover && !run_sha512_fd(fd, hex) &&
			     covered(g, g->archived[i], real, hex) == 1;
			free(real);
			close(fd);
		} else if (errno == ENOENT) {
			gone++;	/* erased before a resume (the record says how) */
			continue;
		}
		if (ok) {
			ncovered++;
		} else {
			bad++;
			/* the first few by name; the gate records each one it refuses */
			if (json_object_array_length(nc) < 100)
				json_object_array_add(nc, dsp_json_bytes_value(g->archived[i]));
		}
	}
	json_object_object_add(o, "items", json_object_new_int64((int64_t)g->narchived));
	json_object_object_add(o, "covered", json_object_new_int64((int64_t)ncovered));
	/* symlinks and special files: removed, never followed, no bytes to cover */
	json_object_object_add(o, "links_removed", json_object_new_int64((int64_t)links));
	json_object_object_add(o, "gone", json_object_new_int64((int64_t)gone));
	json_object_object_add(o, "begun", json_object_new_int64((int64_t)begun));
	json_object_object_add(o, "digest", json_object_new_string("sha512"));
	json_object_object_add(o, "not_covered", nc);
	if (links)
		dsp_log(DSP_LOG_INFO, "%s: %llu retained symbolic link%s or special file%s: "
			"archived as %s, removed (never followed)", r->dir,
			(unsigned long long)links, links == 1 ? "" : "s", links == 1 ? "" : "s",
			links == 1 ? "it is" : "they are");
	if (bad)
		dsp_log(DSP_LOG_WARN, "%s: %llu retained file%s not covered by a verified archive "
			"as %s now: not erased", r->dir, (unsigned long long)bad,
			bad == 1 ? "" : "s", bad == 1 ? "it is" : "they are");
	return run_append(r, "interlock", o);
}

/* ---- the erase session over the plan's targets ---- */

static void on_report(const struct dsp_erase_why *w, void *arg)
{
	enum dsp_log_level lv = w->code == 0 ? DSP_LOG_INFO : DSP_LOG_ERROR;

	if (w->thing[0])
		dsp_log(lv, "%s: %s", w->thing, w->reason);
	else
		dsp_log(lv, "%s", w->reason);
}

static int on_exit_code(int result, void *arg)
{
	return run_exit_of(result, run_stopped(arg));
}

static int on_progress(unsigned idx, const struct dsp_erase_progress *p, void *arg)
{
	struct run *r = arg;

#ifdef DSP_TEST_HOOKS
	if (p->phase && !strcmp(p->phase, "write"))
		run_test_kill_bytes(p->done);
#endif
	uint64_t sum = 0;

	/* targets run at once: the step's work is the sum of theirs */
	if (idx < r->ntdone)
		__atomic_store_n(&r->tdone[idx], p->all_done, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < r->ntdone; i++)
		sum += __atomic_load_n(&r->tdone[i], __ATOMIC_RELAXED);
	run_progress(r, p->target, p->phase, p->done, p->total, sum);
	return 0;
}

/* The core result an exit code stands for. */
static int result_of(int ex)
{
	switch (ex) {
	case DSP_EXIT_OK: return 0;
	case DSP_EXIT_MISMATCH: return DSP_MISMATCH;
	case DSP_EXIT_REFUSED: return DSP_REFUSED;
	case DSP_EXIT_UNSUPPORTED: return DSP_UNSUPPORTED;
	case DSP_EXIT_USAGE: return DSP_INVALID;
	case DSP_EXIT_SIGINT: case DSP_EXIT_SIGTERM: case DSP_EXIT_SIGHUP:
		return DSP_INTERRUPTED;
	default: return DSP_PARTIAL;
	}
}

struct erase_ctx {
	struct dsp_erase_session_opts so;
	char **names;
	const char **methods;
	/* each target's own category, then and verify, as the plan says */
	enum dsp_category *cats;
	const char **thens, **verifies;
	enum dsp_erase_kind *kinds;	/* the plan's: a file never erased as a device */
	unsigned n;
	struct dsp_erase_session *s;
};

static int names_of(struct run *r, struct json_object *targets, struct erase_ctx *c)
{
	c->n = (unsigned)json_object_array_length(targets);
	c->names = calloc(c->n + 1, sizeof(*c->names));
	c->methods = calloc(c->n + 1, sizeof(*c->methods));
	c->cats = calloc(c->n + 1, sizeof(*c->cats));
	c->thens = calloc(c->n + 1, sizeof(*c->thens));
	c->verifies = calloc(c->n + 1, sizeof(*c->verifies));
	c->kinds = calloc(c->n + 1, sizeof(*c->kinds));
	if (!c->names || !c->methods || !c->cats || !c->thens || !c->verifies || !c->kinds)
		return -ENOMEM;
	for (unsigned i = 0; i < c->n; i++) {
		struct json_object *t = json_object_array_get_idx(targets, i);
		const char *cat, *kind;

		if (dsp_json_bytes(t, "path", &c->names[i], NULL) ||
		    !(c->methods[i] = dsp_json_str(t, "method"))) {
			run_fail(r, "%s: targets[%u]: no path or method", r->plan_path, i);
			return DSP_INVALID;
		}
		cat = dsp_json_str(t, "category");
		c->cats[i] = cat && !strcmp(cat, "purge") ? DSP_CAT_PURGE :
			     cat && !strcmp(cat, "clear") ? DSP_CAT_CLEAR : DSP_CAT_NONE;
		c->thens[i] = dsp_json_str(t, "then");
		c->verifies[i] = dsp_json_str(t, "verify");
		kind = dsp_json_str(t, "kind");
		if (!kind || (strcmp(kind, "block") && strcmp(kind, "file") && strcmp(kind, "tree"))) {
			run_fail(r, "%s: targets[%u]: no kind block, file or tree", r->plan_path, i);
			return DSP_INVALID;
		}
		c->kinds[i] = !strcmp(kind, "block") ? DSP_ERASE_BLOCK :
			      !strcmp(kind, "file") ? DSP_ERASE_FILE : DSP_ERASE_TREE;
	}
	return 0;
}

/* An erase that ended (erase_end) before its step_end was written: its outcome. */
static int ended_before(struct run *r, struct json_object *end)
{
	int64_t ex = 1;
	const char *st = dsp_json_str(r->st.erase_end, "status");

	dsp_json_i64(r->st.erase_end, "exit", &ex);
	json_object_object_add(end, "erase_status", json_object_new_string(st ? st : "failed"));
	json_object_object_add(end, "exit", json_object_new_int((int)ex));
	return result_of((int)ex);
}

int run_step_erase(struct run *r, struct json_object *end)
{
	struct json_object *targets = plan_arr(r->plan, "targets");
	struct dsp_archive_cover *cover = NULL;
	struct gate g = { .r = r, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct erase_ctx c = { 0 };
	const char *was = dsp_json_str(r->st.erase_end, "status");
	/* an erase interrupted (SIGINT...) ended its session resumable: it goes on */
	bool ended = r->st.erase_end && !(was && !strcmp(was, "interrupted"));
	bool resume = r->st.erase_start && !ended, ran = false;
	int rc, ex;

	if (r->st.erase_start && ended)
		return ended_before(r, end);
	if (!targets || !json_object_array_length(targets)) {
		json_object_object_add(end, "erase_status", json_object_new_string("success"));
		json_object_object_add(end, "exit", json_object_new_int(0));
		json_object_object_add(end, "targets", json_object_new_int(0));
		return 0;
	}
	if ((rc = gate_init(&g, r->plan))) {
		run_fail(r, "%s: the plan's archives or items cannot be read", r->plan_path);
		goto out;
	}
	/* the interlock: the covered set as the record and the archives are now */
	rc = dsp_archive_cover_load(r->dir, &cover);
	if (rc) {
		run_fail(r, "%s: the run's archives cannot be read (%s): nothing retained is "
			 "erased", r->dir, strerror(-rc));
		cover = NULL;
	}
	g.cover = cover;
	/* what archive_created recorded (why a file is not covered), and on resume what began */
	if ((rc = dsp_record_read_events(r->dir, begun_visit, &g, NULL))) {
		run_fail(r, "%s: the run record cannot be read: %s", r->dir,
			 rc < 0 ? strerror(-rc) : "damaged");
		goto out;
	}
	if ((rc = interlock_event(r, &g)))
		goto out;
	if ((rc = names_of(r, targets, &c)))
		goto out;
	c.so = (struct dsp_erase_session_opts){
		.run_dir = r->dir, .root = r->o->root,
		.methods = c.methods, .method = c.methods[0],
		.categories = c.cats, .thens = c.thens, .verifies = c.verifies,
		.kinds = c.kinds, .resume = resume, .argc = r->argc, .argv = r->argv,
		.stop = r->o->stop, .log = r->o->log, .ledger = r->l,
		.file_gate = file_gate, .gate_arg = &g,
		.report = on_report, .progress = on_progress,
		.exit_code = on_exit_code, .exit_worse = run_exit_worse, .arg = r,
	};
#ifdef DSP_TEST_HOOKS
	/* tests: checkpoints close together, so a kill mid-erase resumes from one */
	if (getenv("DISPOSE_TEST_RUN_CHECKPOINT"))
		c.so.checkpoint_bytes = strtoull(getenv("DISPOSE_TEST_RUN_CHECKPOINT"), NULL, 10);
#endif
	if (resume) {
		/* the session takes its targets, methods and settings from erase_start */
		c.so.method = c.so.then = c.so.verify = NULL;
		c.so.methods = NULL;
		c.so.categories = NULL;
		c.so.thens = c.so.verifies = NULL;
		c.so.kinds = NULL;	/* the session requires the kinds it recorded */
	}
	rc = dsp_erase_session_new(&c.so, resume ? NULL : c.names, resume ? 0 : c.n, &c.s);
	if (rc)
		goto out;
	r->ntdone = dsp_erase_session_count(c.s);
	if (!(r->tdone = calloc(r->ntdone + 1, sizeof(*r->tdone)))) {
		rc = -ENOMEM;
		goto out;
	}
	/* also a resume with nothing left: start and run write its erase_end */
	rc = dsp_erase_session_check(c.s);
	if (rc) {
		run_fail(r, "erase: refused by the target checks; nothing erased");
		goto out;
	}
	/* the session checks a resumed erase against its own record */
	if (!resume && (rc = run_erase_expect(r, c.s)))
		goto out;
	if ((rc = dsp_erase_session_start(c.s)))
		goto out;
	ran = true;
	ex = dsp_erase_session_run(c.s);
	json_object_object_add(end, "erase_status", json_object_new_string(
		ex == 0 ? "success" : result_of(ex) == DSP_INTERRUPTED ? "interrupted" :
		"completed-with-errors"));
	json_object_object_add(end, "exit", json_object_new_int(ex));
	rc = result_of(ex);
out:
	/* a setup error (-errno) is no verdict: the step stays open, a resume retries */
	if (rc < 0 && !ran)
		r->step_open = true;
	dsp_erase_session_free(c.s);
	free(r->tdone);
	r->tdone = NULL;
	r->ntdone = 0;
	for (unsigned i = 0; c.names && i < c.n; i++)
		free(c.names[i]);
	free(c.names);
	free(c.methods);
	free(c.cats);
	free(c.thens);
	free(c.verifies);
	free(c.kinds);
	dsp_archive_cover_free(cover);
	gate_free(&g);
	return rc;
}
