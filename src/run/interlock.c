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

struct gate {
	struct run *r;
	struct begun *begun;		/* resume: every file target the record names */
	size_t nbegun;
	const struct dsp_archive_cover *cover;	/* NULL: nothing is covered */
	char **roots;			/* every archive's roots: what is retained */
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

/*
 * Is path (absolute) one of the retained roots or under one, and not left
 * out of that root's archive (key material under retain keys exclude)?
 */
static bool retained(const struct gate *g, const char *path)
{
	for (size_t i = 0; i < g->nroots; i++) {
		const char *root = g->roots[i];
		size_t n = strlen(root);

		if (!(n == 1 && root[0] == '/') &&
		    !(!strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/')))
			continue;
		if (!excluded(g, g->root_arc[i], path))
			return true;
	}
	return false;
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

/* The erase's file gate (worker threads): a retained file must be covered as it is now. */
static int file_gate(int fd, const char *path, const struct stat *st, char *reason,
		     size_t rlen, void *arg)
{
	const struct gate *g = arg;
	char hex[129];
	int rc;

	if (!path || path[0] != '/') {
		snprintf(reason, rlen, "not an absolute path: cannot tell whether it is retained");
		return 1;
	}
	if (!retained(g, path) || overwrite_begun(g, path, st))
		return 0;
	if (!g->cover) {
		snprintf(reason, rlen, "retained, not covered by a verified archive");
		return 1;
	}
	if ((rc = run_sha512_fd(fd, hex))) {
		snprintf(reason, rlen, "retained, cannot be read to compare with its archive: %s",
			 strerror(-rc));
		return 1;
	}
	rc = dsp_archive_cover_has(g->cover, path, hex);
	if (rc == 1)
		return 0;
	if (rc < 0)
		snprintf(reason, rlen, "retained, cannot be compared with its archive: %s",
			 strerror(-rc));
	else if (was_archived(g, path))
		snprintf(reason, rlen, "retained, changed since it was archived");
	else
		snprintf(reason, rlen, "retained, not covered by a verified archive");
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

	for (size_t i = 0; !rc && arcs && i < json_object_array_length(arcs); i++) {
		struct json_object *roots = plan_arr(json_object_array_get_idx(arcs, i), "roots");
		struct json_object *ex = plan_arr(json_object_array_get_idx(arcs, i), "excludes");

		for (size_t k = 0; !rc && roots && k < json_object_array_length(roots); k++) {
			char *s = NULL;
			size_t len;

			if (dsp_json_value_bytes(json_object_array_get_idx(roots, k), &s, &len))
				return -EINVAL;
			while (len > 1 && s[len - 1] == '/')
				s[--len] = '\0';
			rc = add_arc_str(&g->roots, &g->root_arc, &g->nroots, s, i);
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
	uint64_t covered = 0, bad = 0, gone = 0, begun = 0;

	if (!o || !nc) {
		json_object_put(o);
		json_object_put(nc);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->narchived; i++) {
		char hex[129];
		int fd = open(g->archived[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
			      O_NONBLOCK), ok = 0;

		struct stat st;

		if (fd >= 0 && !fstat(fd, &st) && overwrite_begun(g, g->archived[i], &st)) {
			close(fd);
			begun++;	/* covered when its overwrite began, before a resume */
			continue;
		}
		if (fd >= 0) {
			ok = g->cover && !run_sha512_fd(fd, hex) &&
			     dsp_archive_cover_has(g->cover, g->archived[i], hex) == 1;
			close(fd);
		} else if (errno == ENOENT) {
			gone++;	/* erased before a resume (the record says how) */
			continue;
		}
		if (ok) {
			covered++;
		} else {
			bad++;
			/* the first few by name; the gate records each one it refuses */
			if (json_object_array_length(nc) < 100)
				json_object_array_add(nc, dsp_json_bytes_value(g->archived[i]));
		}
	}
	json_object_object_add(o, "items", json_object_new_int64((int64_t)g->narchived));
	json_object_object_add(o, "covered", json_object_new_int64((int64_t)covered));
	json_object_object_add(o, "gone", json_object_new_int64((int64_t)gone));
	json_object_object_add(o, "begun", json_object_new_int64((int64_t)begun));
	json_object_object_add(o, "digest", json_object_new_string("sha512"));
	json_object_object_add(o, "not_covered", nc);
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
	if (!c->names || !c->methods || !c->cats || !c->thens || !c->verifies)
		return -ENOMEM;
	for (unsigned i = 0; i < c->n; i++) {
		struct json_object *t = json_object_array_get_idx(targets, i);
		const char *cat;

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
	struct gate g = { .r = r };
	struct erase_ctx c = { 0 };
	const char *was = dsp_json_str(r->st.erase_end, "status");
	/* an erase interrupted (SIGINT...) ended its session resumable: it goes on */
	bool ended = r->st.erase_end && !(was && !strcmp(was, "interrupted"));
	bool resume = r->st.erase_start && !ended;
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
	if (resume && (rc = dsp_record_read_events(r->dir, begun_visit, &g, NULL))) {
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
		.resume = resume, .argc = r->argc, .argv = r->argv,
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
	if ((rc = dsp_erase_session_start(c.s)))
		goto out;
	ex = dsp_erase_session_run(c.s);
	json_object_object_add(end, "erase_status", json_object_new_string(
		ex == 0 ? "success" : result_of(ex) == DSP_INTERRUPTED ? "interrupted" :
		"completed-with-errors"));
	json_object_object_add(end, "exit", json_object_new_int(ex));
	rc = result_of(ex);
out:
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
	dsp_archive_cover_free(cover);
	gate_free(&g);
	return rc;
}
