/* SPDX-License-Identifier: MIT */
/* record.c - the run record's event builders and its one read-only reader */
#include "dispose/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "ledger_int.h"

/* ---- builders ---- */

const char *dsp_record_operator(void)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s && *s)
		return s;
	s = getenv("LOGNAME");
	if (s && *s)
		return s;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : NULL;
}

static struct json_object *argv_json(int argc, char *const argv[])
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; a && i < argc && argv && argv[i]; i++)
		json_object_array_add(a, dsp_json_bytes_value(argv[i]));
	return a;
}

/* host, operator, uid, argv: who ran what, where */
static struct json_object *who(int argc, char *const argv[])
{
	struct json_object *o = json_object_new_object();
	char host[256] = "";

	if (!o)
		return NULL;
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	dsp_json_add_bytes(o, "host", host[0] ? host : NULL);
	dsp_json_add_bytes(o, "operator", dsp_record_operator());
	json_object_object_add(o, "uid", json_object_new_int64((int64_t)getuid()));
	json_object_object_add(o, "argv", argv_json(argc, argv));
	return o;
}

struct json_object *dsp_record_run_start(const char *command, int argc, char *const argv[])
{
	struct json_object *o = json_object_new_object(), *w;

	if (!o || !(w = who(argc, argv))) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "schema", json_object_new_string(DSP_RECORD_SCHEMA));
	dsp_json_add_bytes(o, "command", command);
	json_object_object_add(o, "tool", json_object_new_string(DSP_TOOL_NAME));
	json_object_object_add(o, "version", json_object_new_string(DSP_VERSION));
	json_object_object_add(o, "gitrev", json_object_new_string(DSP_GITREV));
	json_object_object_foreach(w, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_put(w);
	return o;
}

struct json_object *dsp_record_run_resumed(int argc, char *const argv[])
{
	return who(argc, argv);
}

struct json_object *dsp_record_run_end(const char *status, int exit_code)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "exit", json_object_new_int(exit_code));
	return o;
}

struct json_object *dsp_record_target_start(const char *path, const char *kind,
					    struct json_object *identity)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	dsp_json_add_bytes(o, "path", path);
	json_object_object_add(o, "kind", kind ? json_object_new_string(kind) : NULL);
	json_object_object_add(o, "identity", identity);
	return o;
}

const char *dsp_record_status(int st)
{
	switch (st) {
	case 0: return "success";
	case DSP_PARTIAL: return "completed-with-errors";
	case DSP_MISMATCH: return "completed-with-errors";
	case DSP_INTERRUPTED: return "interrupted";
	default: return "failed";
	}
}

struct json_object *dsp_record_target_end(const char *status, int err, const char *why,
					  uint64_t written, uint64_t verified)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "status", json_object_new_string(status));
	if (why)
		dsp_json_add_bytes(o, "error", why);
	else if (err < 0)
		json_object_object_add(o, "error", json_object_new_string(strerror(-err)));
	json_object_object_add(o, "bytes_written", json_object_new_int64((int64_t)written));
	json_object_object_add(o, "bytes_verified", json_object_new_int64((int64_t)verified));
	return o;
}

/* ---- the reader ---- */

struct reader {
	struct dsp_record *rec;
	size_t cap, acap, vcap;
};

static int set_str(char **dst, const char *s)
{
	char *d = NULL;

	if (s && !(d = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* The owned, deep copy of o's member key (NULL when absent or null). */
static int keep(struct json_object **dst, struct json_object *o, const char *key)
{
	struct json_object *v, *c = NULL;

	if (json_object_object_get_ex(o, key, &v) && v &&
	    json_object_deep_copy(v, &c, NULL))
		return -ENOMEM;
	json_object_put(*dst);
	*dst = c;
	return 0;
}

/* keep(), but only when o says key (not null): a later event that does not say it keeps the earlier. */
static int keep_said(struct json_object **dst, struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	return keep(dst, o, key);
}

static int set_said(char **dst, struct json_object *o, const char *key)
{
	const char *s = dsp_json_str(o, key);

	return s ? set_str(dst, s) : 0;
}

/* The #13 fields a target or target_end event may carry. */
static int on_technique(struct dsp_record_target *t, struct json_object *ev)
{
	struct json_object *then;
	bool b;
	int r;

	if ((r = set_said(&t->technique, ev, "technique")) ||
	    (r = set_said(&t->action, ev, "action")) ||
	    (r = set_said(&t->category_requested, ev, "category_requested")) ||
	    (r = set_said(&t->auto_reason, ev, "auto_reason")) ||
	    (r = keep_said(&t->luks, ev, "luks")) ||
	    (r = keep_said(&t->header_backups, ev, "header_backups")) ||
	    (r = keep_said(&t->sanitize, ev, "sanitize")) ||
	    (r = keep_said(&t->health_before, ev, "health_before")) ||
	    (r = keep_said(&t->health_after, ev, "health_after")) ||
	    (r = keep_said(&t->hidden, ev, "hidden")))
		return r;
	if (!dsp_json_bool(ev, "dealloc", &b))
		t->dealloc = b;
	/* the volume as it was: the result's own copy is the fuller one */
	if (t->luks && json_object_object_get_ex(t->luks, "volume", NULL) &&
	    (r = keep_said(&t->luks_volume, t->luks, "volume")))
		return r;
	/* the target says the --then method; target_end what its passes did (then_end) */
	if (!json_object_object_get_ex(ev, "then", &then) || !then)
		return 0;
	if (!dsp_json_str(ev, "status"))
		return keep_said(&t->then, ev, "then");
	if ((r = keep_said(&t->then_end, ev, "then")))
		return r;
	if (!t->then && dsp_json_str(then, "method")) {
		/* only the end survives: the method by its name */
		if (!(t->then = json_object_new_object()) ||
		    json_object_object_add(t->then, "name",
					   json_object_new_string(dsp_json_str(then, "method"))))
			return -ENOMEM;
	}
	return 0;
}

static struct dsp_record_target *target_of(struct reader *rd, const char *id)
{
	struct dsp_record *rec = rd->rec;
	struct dsp_record_target *t;

	for (size_t i = rec->ntargets; i-- > 0;)
		if (!strcmp(rec->targets[i].id, id))
			return &rec->targets[i];
	if (rec->ntargets == rd->cap) {
		size_t nc = rd->cap ? rd->cap * 2 : 8;

		t = realloc(rec->targets, nc * sizeof(*t));
		if (!t)
			return NULL;
		rec->targets = t;
		rd->cap = nc;
	}
	t = &rec->targets[rec->ntargets];
	memset(t, 0, sizeof(*t));
	t->dealloc = t->sanitize_ok = -1;
	if (!(t->id = strdup(id)))
		return NULL;
	rec->ntargets++;
	return t;
}

static int on_target(struct dsp_record_target *t, struct json_object *ev, bool first)
{
	struct json_object *m;
	const char *s;
	char *p = NULL;
	size_t n = 0;
	int r;

	if (first && (s = dsp_json_str(ev, "kind")) && (r = set_str(&t->kind, s)))
		return r;
	/* the name it was started under (a resumed file may be under another now) */
	r = first ? dsp_json_bytes(ev, "path", &p, &n) : -ENOENT;
	if (r == -ENOMEM)
		return r;
	if (!r) {
		free(t->path);
		t->path = p;
		t->path_len = n;
	}
	if (first && !t->identity && (r = keep(&t->identity, ev, "identity")))
		return r;
	if (first && t->identity && dsp_json_restore_bytes(t->identity) == -ENOMEM)
		return -ENOMEM;
	if (first && !t->size && (r = keep(&t->size, ev, "size")))
		return r;
	/* the engine writes the method as an object, the tree walk by name */
	if ((s = dsp_json_str(ev, "method")) ||
	    (json_object_object_get_ex(ev, "method", &m) && (s = dsp_json_str(m, "name"))))
		if ((r = set_str(&t->method, s)))
			return r;
	if ((s = dsp_json_str(ev, "verify")) && (r = set_str(&t->verify, s)))
		return r;
	if (json_object_is_type(m = json_object_object_get(ev, "method"), json_type_object) &&
	    (r = keep(&t->method_json, ev, "method")))
		return r;
	return on_technique(t, ev);
}

static int on_pass_start(struct dsp_record_target *t, struct json_object *ev)
{
	struct json_object *p, *c = NULL;
	int64_t pass, np;

	if (!dsp_json_i64(ev, "npasses", &np) && np > 0 && np <= 4096)
		t->npasses = np;
	if (dsp_json_i64(ev, "pass", &pass) || pass < 1 || pass > 4096 ||
	    !json_object_object_get_ex(ev, "pattern", &p) || !p)
		return 0;
	if (!t->patterns && !(t->patterns = json_object_new_array()))
		return -ENOMEM;
	if (json_object_deep_copy(p, &c, NULL))
		return -ENOMEM;
	/* a resumed pass starts again with the same keys: the last one counts */
	if (json_object_array_put_idx(t->patterns, (size_t)pass - 1, c)) {
		json_object_put(c);
		return -ENOMEM;
	}
	return 0;
}

static int on_target_end(struct dsp_record_target *t, struct json_object *ev)
{
	struct json_object *c = NULL;
	int r;

	if ((r = set_str(&t->status, dsp_json_str(ev, "status"))) ||
	    (r = set_str(&t->category, dsp_json_str(ev, "nist_category"))) ||
	    (r = keep(&t->caveats, ev, "caveats")) ||
	    (r = keep(&t->bad_ranges, ev, "bad_ranges")))
		return r;
	t->bytes_written = t->bytes_verified = t->mismatches = 0;
	dsp_json_u64(ev, "bytes_written", &t->bytes_written);
	dsp_json_u64(ev, "bytes_verified", &t->bytes_verified);
	dsp_json_u64(ev, "mismatches", &t->mismatches);
	if (json_object_deep_copy(ev, &c, NULL))
		return -ENOMEM;
	json_object_put(t->end);
	t->end = c;
	return on_technique(t, ev);
}

/* crypto-luks' and sanitize's own events: what a target cut short still shows */
static int on_technique_event(struct dsp_record_target *t, const char *name,
			      struct json_object *ev)
{
	int r = 0;

	if (!strcmp(name, "luks_header")) {
		r = keep_said(&t->luks_volume, ev, "volume");
	} else if (!strcmp(name, "luks_destroyed")) {
		if (!(r = keep_said(&t->luks, ev, "result")) &&
		    !(r = keep_said(&t->luks_destroyed, ev, "result")) && t->luks &&
		    json_object_object_get_ex(t->luks, "volume", NULL))
			r = keep_said(&t->luks_volume, t->luks, "volume");
	} else if (!strcmp(name, "sanitize_sent")) {
		struct json_object *c = NULL;

		if (json_object_deep_copy(ev, &c, NULL))
			return -ENOMEM;
		json_object_put(t->sanitize_sent);
		json_object_put(t->sanitize_end);
		json_object_put(t->luks_destroyed);
		t->sanitize_sent = c;
		if (!t->health_before)
			r = keep_said(&t->health_before, ev, "health_before");
	} else if (!strcmp(name, "sanitize_end")) {
		bool ok;

		if (!dsp_json_bool(ev, "ok", &ok))
			t->sanitize_ok = ok;
		if (!(r = keep_said(&t->sanitize, ev, "result")) &&
		    !(r = keep_said(&t->sanitize_end, ev, "result")))
			r = keep_said(&t->health_after, ev, "health_after");
	}
	return r;
}

/* Append ev (an archive_created or archive_verified naming id) to *arr. */
static int on_archive(struct dsp_record_archive **arr, size_t *n, size_t *cap,
		      struct json_object *ev, const char *id)
{
	struct dsp_record_archive *a;
	int r;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;

		if (!(a = realloc(*arr, nc * sizeof(*a))))
			return -ENOMEM;
		*arr = a;
		*cap = nc;
	}
	a = &(*arr)[*n];
	memset(a, 0, sizeof(*a));
	(*n)++;
	if (set_str(&a->id, id) || json_object_deep_copy(ev, &a->event, NULL))
		return -ENOMEM;
	r = dsp_json_bytes(ev, "archive", &a->path, &a->path_len);
	return r == -ENOMEM ? r : 0;
}

static int visit(struct json_object *ev, void *arg)
{
	struct reader *rd = arg;
	struct dsp_record *rec = rd->rec;
	const char *name = dsp_json_str(ev, "event"), *id = dsp_json_str(ev, "target");
	struct dsp_record_target *t;
	bool b;
	int r = 0;

	if (!strcmp(name, "run_start")) {
		if (!rec->run_start) {
			/* names as bytes again; a damaged _hex stays as written */
			if (json_object_deep_copy(ev, &rec->run_start, NULL) ||
			    dsp_json_restore_bytes(rec->run_start) == -ENOMEM ||
			    set_str(&rec->schema, dsp_json_str(ev, "schema")) ||
			    set_str(&rec->command, dsp_json_str(ev, "command")))
				r = -ENOMEM;
		}
		rec->run_end = false;
	} else if (!strcmp(name, "run_resumed")) {
		rec->run_end = false;
	} else if (!strcmp(name, "erase_start")) {
		/* a pipeline's erase step: the last one is what a resume continues */
		json_object_put(rec->erase_start);
		rec->erase_start = NULL;
		if (json_object_deep_copy(ev, &rec->erase_start, NULL) ||
		    dsp_json_restore_bytes(rec->erase_start) == -ENOMEM)
			r = -ENOMEM;
		rec->erase_end = false;
	} else if (!strcmp(name, "erase_end")) {
		rec->erase_end = rec->erase_start != NULL;
	} else if (!strcmp(name, "run_end")) {
		rec->run_end = true;
		r = set_str(&rec->run_end_status, dsp_json_str(ev, "status"));
		rec->run_end_exit = 0;
		dsp_json_i64(ev, "exit", &rec->run_end_exit);
	} else if (!strcmp(name, "archive_created")) {
		struct json_object *bi;

		r = on_archive(&rec->archives, &rec->narchives, &rd->acap, ev,
			       json_object_object_get_ex(ev, "bag_info", &bi) ?
			       dsp_json_str(bi, "External-Identifier") : NULL);
	} else if (!strcmp(name, "archive_verified")) {
		r = on_archive(&rec->verified, &rec->nverified, &rd->vcap, ev,
			       dsp_json_str(ev, "external_identifier"));
	}
	if (r || !id)
		goto out;
	/* target_end of a target that could not be opened is its only event */
	if (!(t = target_of(rd, id))) {
		r = -ENOMEM;
		goto out;
	}
	if (!strcmp(name, "target") || !strcmp(name, "target_resumed")) {
		t->resumed |= !strcmp(name, "target_resumed");
		t->phase = DSP_RECORD_STARTED;
		r = on_target(t, ev, !strcmp(name, "target"));
	} else if (!strcmp(name, "pass_start")) {
		r = on_pass_start(t, ev);
	} else if (!strcmp(name, "pass_end")) {
		t->passes_ended++;
	} else if (!strcmp(name, "verify_end")) {
		if (!dsp_json_bool(ev, "complete", &b) && b)
			t->verified = true;
	} else if (!strcmp(name, "target_end")) {
		t->phase = DSP_RECORD_ENDED;
		r = on_target_end(t, ev);
	} else if (!strcmp(name, "file_removed")) {
		t->removed = true;
		t->phase = DSP_RECORD_REMOVED;
	} else if (!strcmp(name, "file_renamed") && dsp_json_str(ev, "to")) {
		r = set_str(&t->renamed_to, dsp_json_str(ev, "to"));
	} else {
		r = on_technique_event(t, name, ev);
	}
out:
	/* -errno stops the walk (a positive code would read as DSP_MISMATCH) */
	return r;
}

void dsp_record_free(struct dsp_record *rec)
{
	if (!rec)
		return;
	for (size_t i = 0; i < rec->ntargets; i++) {
		struct dsp_record_target *t = &rec->targets[i];

		free(t->id);
		free(t->kind);
		free(t->path);
		free(t->method);
		free(t->verify);
		free(t->status);
		free(t->category);
		json_object_put(t->identity);
		json_object_put(t->patterns);
		json_object_put(t->bad_ranges);
		json_object_put(t->caveats);
		json_object_put(t->end);
		json_object_put(t->size);
		free(t->renamed_to);
		free(t->technique);
		free(t->action);
		free(t->category_requested);
		free(t->auto_reason);
		json_object_put(t->method_json);
		json_object_put(t->then);
		json_object_put(t->then_end);
		json_object_put(t->luks);
		json_object_put(t->luks_volume);
		json_object_put(t->header_backups);
		json_object_put(t->sanitize);
		json_object_put(t->sanitize_sent);
		json_object_put(t->sanitize_end);
		json_object_put(t->luks_destroyed);
		json_object_put(t->health_before);
		json_object_put(t->health_after);
		json_object_put(t->hidden);
	}
	free(rec->targets);
	for (size_t i = 0; i < rec->narchives + rec->nverified; i++) {
		struct dsp_record_archive *a = i < rec->narchives ? &rec->archives[i] :
					       &rec->verified[i - rec->narchives];

		free(a->id);
		free(a->path);
		json_object_put(a->event);
	}
	free(rec->archives);
	free(rec->verified);
	free(rec->schema);
	free(rec->command);
	free(rec->run_end_status);
	json_object_put(rec->run_start);
	json_object_put(rec->erase_start);
	free(rec);
}

/* read-only: a reader never repairs, cuts or appends */
static int open_record(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int dsp_record_read_events(const char *dir, dsp_ledger_visit_fn fn, void *arg,
			   uint64_t *bad_line)
{
	char head[65];
	int fd = open_record(dir), r;

	if (fd < 0)
		return fd;
	r = ledger_walk_fd(fd, fn, arg, bad_line, NULL, head, NULL, NULL);
	close(fd);
	return r;
}

int dsp_record_read(const char *dir, struct dsp_record **out)
{
	struct reader rd = { 0 };
	int fd, r, torn = 0;

	*out = NULL;
	if ((fd = open_record(dir)) < 0)
		return fd;
	if (!(rd.rec = calloc(1, sizeof(*rd.rec)))) {
		close(fd);
		return -ENOMEM;
	}
	r = ledger_walk_fd(fd, visit, &rd, &rd.rec->bad_line, &rd.rec->events, rd.rec->head,
			   NULL, &torn);
	close(fd);
	if (r == DSP_MISMATCH) {
		rd.rec->chain = DSP_MISMATCH;
		r = 0;
	}
	if (r) {
		dsp_record_free(rd.rec);
		return r;
	}
	rd.rec->torn = torn;
	/* a record older than #13 erased by overwrite only */
	for (size_t i = 0; i < rd.rec->ntargets; i++)
		if (!rd.rec->targets[i].technique &&
		    !(rd.rec->targets[i].technique = strdup("overwrite"))) {
			dsp_record_free(rd.rec);
			return -ENOMEM;
		}
	if (!rd.rec->chain)
		rd.rec->bad_line = 0;
	*out = rd.rec;
	return 0;
}

const struct dsp_record_target *dsp_record_find(const struct dsp_record *rec, const char *id)
{
	for (size_t i = 0; rec && id && i < rec->ntargets; i++)
		if (!strcmp(rec->targets[i].id, id))
			return &rec->targets[i];
	return NULL;
}
