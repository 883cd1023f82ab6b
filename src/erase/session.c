/* SPDX-License-Identifier: MIT */
/* session.c - one erase run: resume, checks, opening devices, the record, the workers */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/device.h"
#include "dispose/erase.h"
#include "dispose/io.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/method.h"
#include "erase_int.h"

struct item {
	struct dsp_erase_checked c;
	char id[16];
	struct dsp_io *io;		/* block devices, opened O_EXCL before the run */
	int *claims;			/* block devices: the rest of its medium, held O_EXCL */
	size_t nclaims;
	int open_err;			/* -errno when opening failed after the checks */
	unsigned idx;
	struct dsp_erase_session *s;
	/* its method */
	char *marg;			/* as named: a name, or a method file's path */
	char *rec_sha;			/* resume: the method file's sha256 as recorded */
	char *rec_chosen;		/* resume: what auto chose, as recorded */
	char *rec_chosen_sha;		/* ... and its method file's sha256 */
	struct dsp_method *m;		/* loaded from marg (auto stays auto) */
	struct dsp_method *chosen;	/* auto: the method it chose at the check */
	bool m_borrowed, chosen_borrowed;	/* another target's (the same file, loaded once) */
	char reason[256];		/* auto: why */
	enum dsp_verify_mode verify;
	double pct;
	bool verify_fixed;		/* resume: this target's verification as recorded */
	char *varg;			/* its --verify, or NULL: its method's */
	/* its own category and --then (opts categories/thens, else the run's) */
	enum dsp_category req;		/* DSP_CAT_NONE: its method's */
	bool req_rec;			/* resume: req as recorded for it */
	char *tharg;			/* its --then, or NULL */
	char *rec_then_sha;		/* resume: that method file's sha256 as recorded */
	struct dsp_method *then;	/* loaded from tharg */
	bool then_borrowed, then_own;	/* then_own: given for this target alone */
	bool started;			/* resume: the record has its target event */
	int want_kind;			/* the kind it must be (opts->kinds, or recorded), or -1 */
	bool all_ns;			/* every namespace of its NVMe controller is a target */
	bool first;			/* holds a LUKS header backup: erased before the rest */
	/* outcome */
	int rc;
	int exit_code;
	const char *status;
	struct dsp_erase_result res;
	struct json_object *end;	/* its last target_end, as recorded */
	struct json_object *verdict;	/* dsp_erase_verdict of it */
};

struct dsp_erase_session {
	struct dsp_erase_session_opts o;
	char dirbuf[PATH_MAX];
	const char *run_dir;
	const char *method_arg;
	const char *verify_arg;
	struct dsp_method *method;	/* the first target's (borrowed from it) */
	const char *then_arg;		/* --then */
	struct dsp_method *then;
	enum dsp_category requested;	/* --category; DSP_CAT_NONE: each method's */
	struct json_object *backups;	/* --inventory's LUKS header backups (our copy) */
	struct dsp_ledger *ledger;
	struct item *t;
	unsigned nt;
	pthread_mutex_t lock;		/* next */
	unsigned next, lim;		/* the workers take order[next..lim) */
	unsigned *order;		/* LUKS header backups that are targets first */
	char *owned[3];			/* resume: method, verify and --then from the record */
	struct json_object *idents;	/* resume: target id -> recorded identity */
	struct json_object *renamed;	/* resume: target id -> last file_renamed "to" */
	struct json_object *gone;	/* resume: file id -> [path, final name], found unlinked */
	int lock_fd;			/* flock on the run directory, or -1 */
	bool default_dir;		/* no --run-dir: a new one is made at the start */
	bool made_dir;			/* ... and was: removed again if nothing is recorded */
	int record_err;			/* the first failed append to the record: said once */
};

/* Syslog every refusal: monitoring alerts on them (a dry run says it was one). */
static void audit_refusal(const struct dsp_erase_session *s, const struct dsp_erase_why *w)
{
	if (w->code == DSP_REFUSED)
		dsp_audit(DSP_AUDIT_WARNING, "erase refused%s: %s%s%s", s->o.dry_run ?
			  " (dry run)" : "", w->thing, w->thing[0] ? ": " : "", w->reason);
}

static int say(const struct dsp_erase_session *s, int code, const char *thing,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int say(const struct dsp_erase_session *s, int code, const char *thing,
	       const char *fmt, ...)
{
	struct dsp_erase_why w = { .code = code };
	va_list ap;

	snprintf(w.thing, sizeof(w.thing), "%s", thing ? thing : "");
	va_start(ap, fmt);
	vsnprintf(w.reason, sizeof(w.reason), fmt, ap);
	va_end(ap);
	audit_refusal(s, &w);
	s->o.report(&w, s->o.arg);
	return code;
}

static int usage(const struct dsp_erase_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage(const struct dsp_erase_session *s, const char *fmt, ...)
{
	struct dsp_erase_why w = { .code = DSP_INVALID, .usage = true };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w.reason, sizeof(w.reason), fmt, ap);
	va_end(ap);
	s->o.report(&w, s->o.arg);
	return DSP_INVALID;
}

static const char *shown(const struct item *t)
{
	return t->c.given ? t->c.given : t->c.path;
}

/* The status the record gives a result. */
static const char *status_of(int rc)
{
	switch (rc) {
	case 0: return "success";
	case DSP_PARTIAL: return "completed-with-errors";
	case DSP_MISMATCH: return "verification-mismatch";
	case DSP_INTERRUPTED: return "interrupted";
	case DSP_UNSUPPORTED: return "unsupported";
	case DSP_REFUSED: return "refused";
	case DSP_INVALID: return "invalid";
	default: return "failed";
	}
}

static void set_outcome(struct item *t, int rc)
{
	t->rc = rc;
	t->status = status_of(rc);
	t->exit_code = t->s->o.exit_code(rc, t->s->o.arg);
	/* what the terminal says comes from what the record says */
	json_object_put(t->verdict);
	t->verdict = dsp_erase_verdict(t->end, dsp_record_status(rc));
	if (t->verdict && !t->end) {	/* what was done although the record lacks its end */
		json_object_object_add(t->verdict, "bytes_written",
				       json_object_new_uint64(t->res.bytes_written));
		json_object_object_add(t->verdict, "bytes_verified",
				       json_object_new_uint64(t->res.bytes_verified));
	}
}

/* ---- who and where ---- */

/* mkdir -p of the parent of dir, mode 0700 (the ledger makes dir itself) */
static int make_parents(const char *dir)
{
	char buf[PATH_MAX];
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	s = strrchr(buf, '/');
	if (!s || s == buf)
		return 0;
	*s = '\0';
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- method and verify mode ---- */

/* Load one method by name or path; each refusal said as the CLI shows it. */
static int load_one(const struct dsp_erase_session *s, const char *name, struct dsp_method **out)
{
	char err[1024] = "";
	int r = dsp_method_find(name, out, err, sizeof(err));

	if (r == 0)
		return 0;
	*out = NULL;
	if (r == DSP_INVALID)
		return say(s, DSP_INVALID, NULL, "%s", err[0] ? err : name);
	if (r == -ENOENT && !strchr(name, '/'))
		return say(s, DSP_INVALID, name, "unknown method (see 'dispose methods')");
	if (err[0])
		return say(s, DSP_INVALID, NULL, "%s", err);
	return say(s, DSP_INVALID, name, "cannot load method: %s", strerror(r < 0 ? -r : EINVAL));
}

/*
 * A method another target already loaded under this name (a file is read
 * once per run: one sha256, one warning about a shadowed name), else NULL.
 */
static struct dsp_method *loaded(const struct dsp_erase_session *s, const char *name)
{
	for (unsigned i = 0; i < s->nt; i++) {
		const struct item *t = &s->t[i];

		if (t->m && t->marg && !strcmp(t->marg, name))
			return t->m;
		if (t->chosen && !strcmp(t->chosen->name, name) && !strchr(name, '/'))
			return t->chosen;
	}
	return NULL;
}

/* Load name for a target: another target's copy (*borrowed), else from its file. */
static int get_method(const struct dsp_erase_session *s, const char *name, struct dsp_method **out,
		      bool *borrowed)
{
	*out = loaded(s, name);
	*borrowed = *out != NULL;
	return *out ? 0 : load_one(s, name, out);
}

/* The method target t runs: what auto chose, else the one named. */
static const struct dsp_method *run_method(const struct item *t)
{
	return t->chosen ? t->chosen : t->m;
}

/* The category target t asks for: its own (or --category), else the method as named (auto: auto's). */
static enum dsp_category requested(const struct dsp_erase_session *s, const struct item *t)
{
	(void)s;
	return t->req != DSP_CAT_NONE ? t->req : t->m->category;
}

/* Target t's --then: the run's (s->then), another target's of that name, else loaded. */
static int load_then(struct dsp_erase_session *s, struct item *t)
{
	int r;

	if (!t->tharg)
		return 0;
	if (s->then && s->then_arg && !strcmp(t->tharg, s->then_arg)) {
		t->then = s->then;
		t->then_borrowed = true;
		return 0;
	}
	for (unsigned i = 0; i < s->nt; i++) {
		if (&s->t[i] != t && s->t[i].then && !strcmp(s->t[i].tharg, t->tharg)) {
			t->then = s->t[i].then;
			t->then_borrowed = true;
			return 0;
		}
	}
	r = load_one(s, t->tharg, &t->then);
	if (r)
		return r;
	if (t->then->technique != DSP_TECH_OVERWRITE)
		return usage(s, "%s: then %s: not an overwrite method (technique %s)",
			     t->c.path, t->tharg, dsp_technique_name(t->then->technique));
	return 0;
}

/* Each target's method (one named for several targets is loaded once: they share it). */
static int load_methods(struct dsp_erase_session *s)
{
	struct dsp_method *dflt = NULL;
	char err[1024];
	int r;

	if (!s->method_arg) {
		r = dsp_method_find("nist-clear", &dflt, err, sizeof(err));
		s->method_arg = r == 0 ? "nist-clear" : "zero";
		if (r)
			dflt = NULL;
	}
	for (unsigned i = 0; i < s->nt; i++) {
		struct item *t = &s->t[i];

		if (!t->marg) {
			const char *a = s->o.methods && !s->o.resume && s->o.methods[i] ?
					s->o.methods[i] : s->method_arg;

			t->marg = strdup(a);
			if (!t->marg) {
				dsp_method_free(dflt);
				return -ENOMEM;
			}
		}
		if (dflt && !strcmp(t->marg, s->method_arg)) {
			t->m = dflt;
			dflt = NULL;
			r = 0;
		} else {
			r = get_method(s, t->marg, &t->m, &t->m_borrowed);
		}
		/* resume: auto's choice as recorded, never chosen again midway */
		if (!r && t->rec_chosen)
			r = get_method(s, t->rec_chosen, &t->chosen, &t->chosen_borrowed);
		if (r) {
			dsp_method_free(dflt);
			return r;
		}
	}
	dsp_method_free(dflt);
	s->method = s->nt ? s->t[0].m : NULL;
	if (s->then_arg) {
		r = load_one(s, s->then_arg, &s->then);
		if (r)
			return r;
		if (s->then->technique != DSP_TECH_OVERWRITE)
			return usage(s, "--then: %s: not an overwrite method (technique %s)",
				     s->then_arg, dsp_technique_name(s->then->technique));
	}
	for (unsigned i = 0; i < s->nt; i++) {
		r = load_then(s, &s->t[i]);
		if (r)
			return r;
	}
	return 0;
}

/* Target t's verification: --verify (or as recorded on resume), else its method's. */
static int set_verify(struct dsp_erase_session *s, struct item *t, const char *arg)
{
	const struct dsp_method *m = run_method(t);

	if (t->verify_fixed)
		return 0;
	t->verify = m->verify;
	t->pct = m->sample_percent > 0 ? m->sample_percent : 10;
	if (!arg)
		return 0;
	if (dsp_verify_mode_parse(arg, &t->verify, &t->pct) != 0) {
		if (!strncmp(arg, "sample:", 7))
			return usage(s, "--verify: %s: PERCENT must be a number in (0, 100]", arg);
		return usage(s, "--verify: %s: expected none, last, all or sample[:PERCENT]", arg);
	}
	if (t->verify == DSP_VERIFY_SAMPLE && (t->pct <= 0 || t->pct > 100))
		return usage(s, "--verify: %s: percent must be in (0, 100]", arg);
	return 0;
}

static int set_verify_all(struct dsp_erase_session *s)
{
	for (unsigned i = 0; i < s->nt; i++) {
		int r = set_verify(s, &s->t[i], s->t[i].varg);

		if (r)
			return r;
	}
	return 0;
}

/* ---- the run record ---- */

/* The command line as run: the tool's name, then the command's own argv. */
static char **full_argv(const struct dsp_erase_session *s)
{
	char **a = calloc((size_t)s->o.argc + 2, sizeof(*a));

	if (!a)
		return NULL;
	a[0] = (char *)DSP_TOOL_NAME;
	for (int i = 0; i < s->o.argc; i++)
		a[i + 1] = s->o.argv[i];
	return a;
}

/*
 * Device identity for the record (what --resume compares); the engine adds
 * geometry. The one taken at the check is reused (a new reference): the
 * held device was compared equal to it after the open, and each build
 * takes a fresh snapshot of every loop device.
 */
static struct json_object *identity_json(const struct item *t)
{
	struct json_object *id = NULL;

	if (t->c.identity)
		id = json_object_get(t->c.identity);
	else if (t->c.have_info)
		id = dsp_identity_block(&t->c.info);
	/* named through a symlink (/dev/disk/by-id/...): that name too */
	if (id && t->c.given && !json_object_object_get_ex(id, "given", NULL)) {
		struct json_object *copy = NULL;

		if (json_object_deep_copy(id, &copy, NULL) == 0) {
			json_object_put(id);
			id = copy;
			dsp_json_add_bytes(id, "given", t->c.given);
		}
	}
	return id;
}

/* What --resume reloads: the name, or a method file's absolute path. */
static const char *method_ref(const char *a, char *buf)
{
	size_t n = strlen(a);

	if ((strchr(a, '/') || (n > 5 && !strcmp(a + n - 5, ".json"))) && realpath(a, buf))
		return buf;
	return a;
}

/* A target's method in run_start's targets: what --resume loads and compares. */
static void add_target_method(struct json_object *o, const struct item *t)
{
	char abspath[PATH_MAX];

	dsp_json_add_bytes(o, "method_arg", method_ref(t->marg, abspath));
	json_object_object_add(o, "method_sha256", json_object_new_string(t->m->sha256));
	json_object_object_add(o, "technique",
			       json_object_new_string(dsp_technique_name(run_method(t)->technique)));
	if (t->chosen) {
		json_object_object_add(o, "chosen", json_object_new_string(t->chosen->name));
		json_object_object_add(o, "chosen_sha256",
				       json_object_new_string(t->chosen->sha256));
		json_object_object_add(o, "auto_reason", json_object_new_string(t->reason));
	}
	json_object_object_add(o, "verify", json_object_new_string(dsp_verify_mode_name(t->verify)));
	json_object_object_add(o, "sample_percent", dsp_json_new_decimal(t->pct));
	json_object_object_add(o, "category_requested",
			       json_object_new_string(dsp_category_name(requested(t->s, t))));
	/* its own --category and --then (what --resume restores for it) */
	if (t->req != DSP_CAT_NONE)
		json_object_object_add(o, "category",
				       json_object_new_string(dsp_category_name(t->req)));
	if (t->then) {
		dsp_json_add_bytes(o, "then_arg", method_ref(t->tharg, abspath));
		json_object_object_add(o, "then_sha256",
				       json_object_new_string(t->then->sha256));
	}
}

static struct json_object *targets_json(const struct dsp_erase_session *s)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < s->nt; i++) {
		const struct item *t = &s->t[i];
		struct json_object *o = json_object_new_object(), *id;

		json_object_object_add(o, "id", json_object_new_string(t->id));
		dsp_json_add_bytes(o, "path", t->c.path);
		if (t->c.given)
			dsp_json_add_bytes(o, "given", t->c.given);
		json_object_object_add(o, "kind",
				       json_object_new_string(dsp_erase_kind_name(t->c.kind)));
		/* what --resume compares, also for a target never started */
		if (t->c.kind == DSP_ERASE_BLOCK) {
			id = identity_json(t);
		} else {
			id = json_object_new_object();
			json_object_object_add(id, "dev", json_object_new_int64((int64_t)t->c.dev));
			json_object_object_add(id, "ino", json_object_new_int64((int64_t)t->c.ino));
		}
		if (id)
			json_object_object_add(o, "identity", id);
		add_target_method(o, t);
		json_object_array_add(a, o);
	}
	return a;
}

static int append(struct dsp_erase_session *s, const char *event, struct json_object *o)
{
	int none = 0, r = __atomic_load_n(&s->record_err, __ATOMIC_SEQ_CST);

	/* once an append failed the record takes nothing more: said once */
	if (r) {
		json_object_put(o);
		return r;
	}
	r = dsp_ledger_append(s->ledger, event, o, 1);
	json_object_put(o);
	if (r < 0 && __atomic_compare_exchange_n(&s->record_err, &none, r, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		say(s, r, dsp_ledger_dir(s->ledger), "cannot write the run record: %s",
		    strerror(-r));
	return r;
}

/*
 * run_start, or in a pipeline's record (opts.ledger) erase_start: the same
 * erase fields without the command's header (the pipeline's run_start has it).
 */
static int write_run_start(struct dsp_erase_session *s)
{
	char **argv = s->o.ledger ? NULL : full_argv(s);
	struct json_object *o = s->o.ledger ? json_object_new_object() :
				argv ? dsp_record_run_start("erase", s->o.argc + 1, argv) : NULL;
	char abspath[PATH_MAX];

	free(argv);
	if (!o)
		return -ENOMEM;
	/* relative target paths mean this directory, also on --resume */
	if (getcwd(abspath, sizeof(abspath)))
		dsp_json_add_bytes(o, "cwd", abspath);
	json_object_object_add(o, "targets", targets_json(s));
	/* the first target's method, as before per-target methods (each target has its own) */
	json_object_object_add(o, "method_name", json_object_new_string(s->method->name));
	dsp_json_add_bytes(o, "method_arg", method_ref(s->t[0].marg, abspath));
	json_object_object_add(o, "method", dsp_method_to_json(s->method));
	json_object_object_add(o, "verify",
			       json_object_new_string(dsp_verify_mode_name(s->t[0].verify)));
	json_object_object_add(o, "sample_percent", dsp_json_new_decimal(s->t[0].pct));
	json_object_object_add(o, "jobs", json_object_new_int64(s->o.jobs));
	json_object_object_add(o, "erase_shared_inodes",
			       json_object_new_boolean(s->o.erase_shared_inodes));
	if (s->requested != DSP_CAT_NONE)
		json_object_object_add(o, "category",
				       json_object_new_string(dsp_category_name(s->requested)));
	if (s->then) {
		dsp_json_add_bytes(o, "then_arg", method_ref(s->then_arg, abspath));
		json_object_object_add(o, "then", dsp_method_to_json(s->then));
	}
	if (s->o.restore_hidden)
		json_object_object_add(o, "restore_hidden", json_object_new_boolean(true));
	if (s->backups)
		json_object_object_add(o, "luks_backups", json_object_get(s->backups));
	return append(s, s->o.ledger ? "erase_start" : "run_start", o);
}

/* run_resumed, or erase_resumed (targets, jobs) in a pipeline's record */
static int write_run_resumed(struct dsp_erase_session *s)
{
	char **argv = s->o.ledger ? NULL : full_argv(s);
	struct json_object *o = s->o.ledger ? json_object_new_object() :
				argv ? dsp_record_run_resumed(s->o.argc + 1, argv) : NULL;
	struct json_object *ids = json_object_new_array();

	free(argv);
	if (!o) {
		json_object_put(ids);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < s->nt; i++)
		json_object_array_add(ids, json_object_new_string(s->t[i].id));
	json_object_object_add(o, "targets", ids);
	json_object_object_add(o, "jobs", json_object_new_int64(s->o.jobs));
	return append(s, s->o.ledger ? "erase_resumed" : "run_resumed", o);
}

static const char *overall_status(const struct dsp_erase_session *s)
{
	unsigned ok = 0, failed = 0;

	for (unsigned i = 0; i < s->nt; i++) {
		if (!strcmp(s->t[i].status, "interrupted"))
			return "interrupted";
		if (!strcmp(s->t[i].status, "success"))
			ok++;
		else if (!strcmp(s->t[i].status, "failed"))
			failed++;
	}
	if (ok == s->nt)
		return "success";
	if (failed == s->nt)
		return "failed";
	return "completed-with-errors";
}

static void write_run_end(struct dsp_erase_session *s, int code)
{
	struct json_object *o = dsp_record_run_end(overall_status(s), code);
	struct json_object *a = json_object_new_array();

	if (!o) {
		json_object_put(a);
		return;
	}
	for (unsigned i = 0; i < s->nt; i++) {
		struct json_object *e = json_object_new_object();
		const struct item *t = &s->t[i];

		json_object_object_add(e, "id", json_object_new_string(t->id));
		dsp_json_add_bytes(e, "path", t->c.path);
		json_object_object_add(e, "status", json_object_new_string(t->status));
		json_object_object_add(e, "exit", json_object_new_int(t->exit_code));
		json_object_object_add(e, "bytes_written",
				       json_object_new_int64((int64_t)t->res.bytes_written));
		json_object_object_add(e, "bytes_verified",
				       json_object_new_int64((int64_t)t->res.bytes_verified));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "targets", a);
	append(s, s->o.ledger ? "erase_end" : "run_end", o);
}

/* A target that could not be opened still gets a target_end in the record. */
static void record_open_failure(struct dsp_erase_session *s, struct item *t)
{
	struct json_object *o = dsp_record_target_end("failed", t->open_err, NULL, 0, 0);

	if (!o)
		return;
	json_object_object_add(o, "target", json_object_new_string(t->id));
	dsp_json_add_bytes(o, "path", t->c.path);
	json_object_object_add(o, "kind", json_object_new_string(dsp_erase_kind_name(t->c.kind)));
	json_object_object_add(o, "errno", json_object_new_int(-t->open_err));
	json_object_object_add(o, "nist_category", json_object_new_string("none"));
	json_object_object_add(o, "category_reason", json_object_new_string("not erased"));
	json_object_get(o);
	if (append(s, "target_end", o) == 0)
		t->end = o;
	else
		json_object_put(o);
}

/* ---- resume: what the interrupted run was doing ---- */

/* A string member of o, else NULL (strict: the record is outside input on resume). */
#define jstr(o, key) dsp_json_str(o, key)

/* id -> the last name each file was renamed to */
static struct json_object *resume_renames(const struct dsp_record *rec)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; o && rec && i < rec->ntargets; i++)
		if (rec->targets[i].renamed_to)
			json_object_object_add(o, rec->targets[i].id,
					       json_object_new_string(rec->targets[i].renamed_to));
	return o;
}

/*
 * Each target's identity: from its first target event, else (never
 * started) as checked at run_start; older records keep the size beside it.
 */
static struct json_object *resume_idents(const struct dsp_record *rec, struct json_object *targets)
{
	struct json_object *idents = json_object_new_object(), *x, *c;

	for (size_t i = 0; idents && i < json_object_array_length(targets); i++) {
		struct json_object *o = json_object_array_get_idx(targets, i);
		const char *id = jstr(o, "id");
		const struct dsp_record_target *rt = id ? dsp_record_find(rec, id) : NULL;

		x = rt && rt->identity ? rt->identity : NULL;
		if (!x && (!json_object_object_get_ex(o, "identity", &x) ||
			   !json_object_is_type(x, json_type_object)))
			continue;
		c = NULL;
		if (json_object_deep_copy(x, &c, NULL) != 0)
			continue;
		if (rt && rt->identity && rt->size && !json_object_object_get_ex(c, "size", NULL))
			json_object_object_add(c, "size", json_object_get(rt->size));
		json_object_object_add(idents, id, c);
	}
	return idents;
}

/* The method, verification and shared-inode choice are the run's; they cannot change midway. */
static int resume_settings(struct dsp_erase_session *s, struct json_object *run_start)
{
	struct json_object *x;
	const char *v;
	bool was;

	if (s->method_arg || s->verify_arg || s->o.methods || s->o.verifies)
		return usage(s, "%s", "--method and --verify cannot change on --resume");
	if (s->then_arg || s->requested != DSP_CAT_NONE || s->o.restore_hidden || s->backups ||
	    s->o.categories || s->o.thens)
		return usage(s, "%s", "--then, --category, --inventory and --restore-hidden "
			     "cannot change on --resume");
	/* the run's own: --then, --category, the backups found, --restore-hidden */
	v = jstr(run_start, "then_arg");
	if (v && !(s->then_arg = s->owned[2] = strdup(v)))
		return -ENOMEM;
	v = jstr(run_start, "category");
	s->requested = v && !strcmp(v, "purge") ? DSP_CAT_PURGE :
		       v && !strcmp(v, "clear") ? DSP_CAT_CLEAR : DSP_CAT_NONE;
	s->o.restore_hidden = json_object_object_get_ex(run_start, "restore_hidden", &x) &&
			      json_object_get_boolean(x);
	if (json_object_object_get_ex(run_start, "luks_backups", &x) &&
	    json_object_is_type(x, json_type_array))
		s->backups = json_object_get(x);
	v = jstr(run_start, "method_arg");
	s->method_arg = s->owned[0] = strdup(v ? v : "");
	v = jstr(run_start, "verify");
	if (v && !strcmp(v, "sample")) {
		char buf[64];
		double pct;

		/* as the record spells it (a decimal string; a number in older records) */
		if (!dsp_json_decimal(run_start, "sample_percent", &pct)) {
			struct json_object *d = dsp_json_new_decimal(pct);

			snprintf(buf, sizeof(buf), "sample:%s", d ? json_object_get_string(d) : "");
			json_object_put(d);
			s->owned[1] = strdup(buf);
		}
	} else if (v) {
		s->owned[1] = strdup(v);
	}
	s->verify_arg = s->owned[1];
	was = json_object_object_get_ex(run_start, "erase_shared_inodes", &x) &&
	      json_object_get_boolean(x);
	if (s->o.erase_shared_inodes && !was)
		return usage(s, "%s", "--erase-shared-inodes cannot change on --resume");
	s->o.erase_shared_inodes = was;
	return s->method_arg ? 0 : -ENOMEM;
}

/*
 * A target's own method and verification from run_start's entry o (older
 * records: none there, the run's method_arg and verify apply).
 */
static int resume_method(struct item *t, struct json_object *o)
{
	const char *a = jstr(o, "method_arg"), *c = jstr(o, "chosen"), *v = jstr(o, "verify");
	const char *sha = jstr(o, "method_sha256"), *why = jstr(o, "auto_reason");
	const char *cat = jstr(o, "category");
	double pct = 10;

	if (a && !(t->marg = strdup(a)))
		return -ENOMEM;
	/* its own category and --then; older records: none here, the run's apply */
	if (cat) {
		t->req = !strcmp(cat, "purge") ? DSP_CAT_PURGE :
			 !strcmp(cat, "clear") ? DSP_CAT_CLEAR : DSP_CAT_NONE;
		t->req_rec = true;
	}
	a = jstr(o, "then_arg");
	if (a && !(t->tharg = strdup(a)))
		return -ENOMEM;
	a = jstr(o, "then_sha256");
	if (a && !(t->rec_then_sha = strdup(a)))
		return -ENOMEM;
	if (sha && !(t->rec_sha = strdup(sha)))
		return -ENOMEM;
	if (c && !(t->rec_chosen = strdup(c)))
		return -ENOMEM;
	c = jstr(o, "chosen_sha256");
	if (c && !(t->rec_chosen_sha = strdup(c)))
		return -ENOMEM;
	if (why)
		snprintf(t->reason, sizeof(t->reason), "%s", why);

	if (v && dsp_verify_mode_parse(v, &t->verify, &pct) == 0) {
		if (dsp_json_decimal(o, "sample_percent", &t->pct) != 0)
			t->pct = pct;
		t->verify_fixed = t->verify != DSP_VERIFY_SAMPLE || (t->pct > 0 && t->pct <= 100);
	}
	return 0;
}

/* Add target id (at path p of the record) to the session, as the engine knows it now. */
static int resume_add(struct dsp_erase_session *s, const char *id, const char *src,
		      const char *cwd, struct json_object *o, bool started)
{
	struct item *t = &s->t[s->nt];
	int r;

	snprintf(t->id, sizeof(t->id), "%s", id);
	t->started = started;
	/* the kind it was started as: a file is never resumed as a device */
	t->want_kind = -1;
	for (int k = DSP_ERASE_BLOCK; jstr(o, "kind") && k <= DSP_ERASE_TREE; k++)
		if (!strcmp(jstr(o, "kind"), dsp_erase_kind_name((enum dsp_erase_kind)k)))
			t->want_kind = k;
	r = resume_method(t, o);
	if (r) {
		s->nt++;
		return r;
	}
	/* relative to where the run started, not to where it is resumed */
	if (src[0] != '/' && cwd && cwd[0] == '/') {
		if (asprintf(&t->c.path, "%s/%s", cwd, src) < 0)
			t->c.path = NULL;
	} else {
		t->c.path = strdup(src);
	}
	s->nt++;
	return t->c.path ? 0 : -ENOMEM;
}

/*
 * Does name, given to --resume, name run_start's target o? Its path, or
 * the symlink it was named by: compared as text, never resolved again, so
 * a link repointed since leads nowhere but to the recorded device.
 */
static bool names_target(struct json_object *o, const char *name)
{
	const char *p = jstr(o, "path"), *g = jstr(o, "given");

	return (p && !strcmp(p, name)) || (g && !strcmp(g, name));
}

/*
 * A block device named through a symlink (a by-id name) may come back
 * under another node after a reboot. When the recorded node is no longer
 * the recorded medium, the name is followed once more, and its device is
 * taken only if it is that medium (the check compares it again).
 */
static bool moved_node(const struct dsp_erase_session *s, const char *id, const char *node,
		       const char *given, char *out, size_t len)
{
	struct json_object *ident;
	char real[PATH_MAX], why[256];
	struct stat st;

	if (!given || !s->idents || !json_object_object_get_ex(s->idents, id, &ident) ||
	    dsp_identity_recheck(ident, node, why, sizeof(why)) == 0 ||
	    !realpath(given, real) || stat(real, &st) < 0 || !S_ISBLK(st.st_mode) ||
	    !strcmp(real, node) || dsp_identity_recheck(ident, real, why, sizeof(why)) != 0)
		return false;
	snprintf(out, len, "%s", real);
	return true;
}

/* Fill s->t with the run's unfinished targets (or the named ones). */
static int resume_targets(struct dsp_erase_session *s, char *const *names, unsigned nnames)
{
	struct dsp_record *rec = NULL;
	struct json_object *targets, *run_start = NULL, *start;
	char path[PATH_MAX], node[PATH_MAX], mname[128];
	const char *cwd;
	int r, rc = 0;
	size_t n;

	/* read only: the open for resume has already repaired a torn line */
	r = dsp_record_read(s->run_dir, &rec);
	if (r == 0 && rec->chain == 0 && rec->torn)
		r = DSP_MISMATCH;
	if (r != 0) {
		rc = say(s, DSP_INVALID, s->run_dir, "cannot read the run record: %s",
			 strerror(r < 0 ? -r : EINVAL));
		goto out;
	}
	if (rec->chain) {
		rc = say(s, DSP_INVALID, s->run_dir, "run record is damaged at line %llu",
			 (unsigned long long)rec->bad_line);
		goto out;
	}
	/* a pipeline's record: the settings of its last erase step */
	start = s->o.ledger ? rec->erase_start : rec->run_start;
	if (start && json_object_deep_copy(start, &run_start, NULL) != 0)
		run_start = NULL;
	/* names as the run had them: the record escapes bytes that are not UTF-8 */
	if (run_start && dsp_json_restore_bytes(run_start) < 0) {
		rc = say(s, DSP_INVALID, s->run_dir, "run record: the hex of a name is damaged");
		goto out;
	}
	if (!run_start || !json_object_object_get_ex(run_start, "targets", &targets) ||
	    !json_object_is_type(targets, json_type_array) ||
	    (!s->o.ledger && (!jstr(run_start, "command") ||
			      strcmp(jstr(run_start, "command"), "erase")))) {
		rc = say(s, DSP_INVALID, s->run_dir, s->o.ledger ? "the run record holds no erase "
			 "step (erase_start)" : "not the record of an erase run");
		goto out;
	}
	s->idents = resume_idents(rec, targets);
	s->gone = json_object_new_object();
	if (!s->idents || dsp_json_restore_bytes(s->idents) < 0) {
		rc = say(s, DSP_INVALID, s->run_dir, "run record: the hex of a name is damaged");
		goto out;
	}
	rc = resume_settings(s, run_start);
	if (rc)
		goto out;
	cwd = jstr(run_start, "cwd");
	n = json_object_array_length(targets);
	s->t = calloc(n ? n : 1, sizeof(*s->t));
	if (!s->t) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct json_object *o = json_object_array_get_idx(targets, i);
		const char *id = jstr(o, "id"), *p = jstr(o, "path"), *src;
		const struct dsp_record_target *rt;
		bool pending, wanted = nnames == 0;

		if (!id || !p)
			continue;
		for (unsigned k = 0; k < nnames; k++)
			if (names_target(o, names[k]))
				wanted = true;
		r = dsp_erase_pending(s->run_dir, id, path, sizeof(path), mname, sizeof(mname));
		if (r < 0) {
			rc = say(s, DSP_INVALID, s->run_dir, "%s: cannot read its state: %s", p,
				 strerror(-r));
			goto out;
		}
		/* 0 means finished or never started: the record tells which */
		rt = dsp_record_find(rec, id);
		pending = r == 1 || !rt || !rt->status || !strcmp(rt->status, "interrupted") ||
			  !strcmp(rt->status, "failed");
		if (!wanted)
			continue;
		if (!pending) {
			if (nnames)
				say(s, 0, p, "already finished in this run; skipped");
			continue;
		}
		/* the engine knows where a file target is now (it may be renamed) */
		src = r == 1 && path[0] ? path : p;
		/* killed after its unlink: its removal is recorded, nothing done to it */
		if (r == 1 && rt && rt->kind && !strcmp(rt->kind, "file") && s->gone) {
			char fin[NAME_MAX + 1], *abs = NULL;
			int g;

			if (src[0] != '/' && cwd && cwd[0] == '/')
				g = asprintf(&abs, "%s/%s", cwd, src) < 0 ? -ENOMEM :
				    erase_file_gone(s->run_dir, id, abs, fin, sizeof(fin));
			else
				g = erase_file_gone(s->run_dir, id, src, fin, sizeof(fin));
			if (g > 0) {
				struct json_object *x = json_object_new_array();

				json_object_array_add(x, json_object_new_string(abs ? abs : src));
				json_object_array_add(x, json_object_new_string(fin));
				json_object_object_add(s->gone, id, x);
			}
			free(abs);
			if (g < 0) {
				rc = say(s, DSP_INVALID, p, "cannot read its state: %s",
					 strerror(-g));
				goto out;
			}
			if (g)
				continue;
		}
		if (moved_node(s, id, src, jstr(o, "given"), node, sizeof(node))) {
			say(s, 0, jstr(o, "given"), "the recorded medium is now %s (was %s)",
			    node, src);
			src = node;
		}
		rc = resume_add(s, id, src, cwd, o, rt != NULL);
	}
	for (unsigned k = 0; k < nnames && !rc; k++) {
		bool found = false;

		for (size_t i = 0; i < n; i++)
			if (names_target(json_object_array_get_idx(targets, i), names[k]))
				found = true;
		if (!found)
			rc = say(s, DSP_INVALID, names[k], "not a target of the run in %s",
				 s->run_dir);
	}
out:
	json_object_put(run_start);
	s->renamed = resume_renames(rec);
	dsp_record_free(rec);
	return rc;
}

/* Killed between rename and unlink: the file is under its last recorded name. */
static void resume_renamed(struct dsp_erase_session *s, struct item *t)
{
	struct json_object *to;
	struct stat st;
	const char *slash;
	int dl;

	if (!s->renamed || lstat(t->c.path, &st) == 0 || errno != ENOENT ||
	    !json_object_object_get_ex(s->renamed, t->id, &to))
		return;
	slash = strrchr(t->c.path, '/');
	dl = slash ? (int)(slash - t->c.path) + 1 : 0;
	if (asprintf(&t->c.cur, "%.*s%s", dl, t->c.path, json_object_get_string(to)) < 0)
		t->c.cur = NULL;
}

/*
 * On resume the path must still name what the run started on: a loop
 * device reattached to another image, or a disk renamed after a reboot,
 * would otherwise be overwritten in its place. Checked before any write.
 */
static int resume_identity(const struct dsp_erase_session *s)
{
	for (unsigned i = 0; i < s->nt; i++) {
		const struct item *t = &s->t[i];
		struct json_object *id = NULL, *v;
		int64_t dev, ino;

		if (t->c.kind == DSP_ERASE_BLOCK) {
			/* no identity recorded identifies nothing: refused below */
			struct json_object *now = identity_json(t);
			char why[1024];
			int r;

			if (s->idents)
				json_object_object_get_ex(s->idents, t->id, &id);
			r = dsp_identity_compare(id, now, why, sizeof(why));
			json_object_put(now);
			if (r == DSP_IDENTITY_NONE)
				return say(s, DSP_REFUSED, shown(t), "the run record holds nothing "
					   "that identifies the medium (no serial, WWN or backing "
					   "file); cannot resume on it; nothing written");
			if (r)
				return say(s, DSP_REFUSED, shown(t), "not the device this run started "
					   "on (%s); nothing written", why);
			continue;
		}
		if (!s->idents || !json_object_object_get_ex(s->idents, t->id, &id))
			continue;	/* never started: nothing to compare */
		dev = json_object_object_get_ex(id, "dev", &v) ? json_object_get_int64(v) : -1;
		ino = json_object_object_get_ex(id, "ino", &v) ? json_object_get_int64(v) : -1;
		if (dev != (int64_t)t->c.dev || ino != (int64_t)t->c.ino)
			return say(s, DSP_REFUSED, t->c.path, "not the %s this run started on "
				   "(device and inode differ); nothing written",
				   dsp_erase_kind_name(t->c.kind));
	}
	return 0;
}

static bool sha_differs(const char *rec, const struct dsp_method *m)
{
	return rec && *rec && m && m->sha256[0] && strcmp(rec, m->sha256);
}

/* Each target's method file (and --then's) as the run started: one run, one method per target. */
static int method_unchanged(struct dsp_erase_session *s)
{
	struct dsp_record *rec = NULL;
	struct json_object *m, *start;
	const char *run_sha = NULL;
	int rc = 0;

	/* the run's own run_start (erase_start), read without touching the record */
	if (dsp_record_read(s->run_dir, &rec) == 0 &&
	    (start = s->o.ledger ? rec->erase_start : rec->run_start)) {
		if (json_object_object_get_ex(start, "method", &m))
			run_sha = jstr(m, "sha256");
		if (json_object_object_get_ex(start, "then", &m) &&
		    sha_differs(jstr(m, "sha256"), s->then))
			rc = say(s, DSP_INVALID, s->then_arg,
				 "method file changed since the run started");
	}
	for (unsigned i = 0; i < s->nt && !rc; i++) {
		const struct item *t = &s->t[i];

		/* older records: the run's one method */
		if (sha_differs(t->rec_sha ? t->rec_sha : run_sha, t->m))
			rc = say(s, DSP_INVALID, t->marg, "method file changed since the run started");
		else if (sha_differs(t->rec_chosen_sha, t->chosen))
			rc = say(s, DSP_INVALID, t->chosen->name,
				 "method file changed since the run started (auto chose it)");
		else if (sha_differs(t->rec_then_sha, t->then))
			rc = say(s, DSP_INVALID, t->tharg,
				 "method file changed since the run started");
	}
	dsp_record_free(rec);
	return rc;
}

/*
 * One process per run directory: a --resume started while the run still
 * goes on (in tmux after the ssh session dropped) would erase the same
 * files twice at once and interleave the record's lines, breaking its
 * chain. The lock lives as long as the session (fd kept open, CLOEXEC).
 */
static int lock_run_dir(struct dsp_erase_session *s)
{
	int fd = open(s->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;	/* no directory yet: opening the record says why */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		close(fd);
		return say(s, DSP_REFUSED, s->run_dir, "another dispose is using this run "
			   "directory; nothing written");
	}
	s->lock_fd = fd;
	return 0;
}

static int open_ledger(struct dsp_erase_session *s)
{
	int r = dsp_ledger_open_cmd(s->run_dir, s->o.resume ? DSP_LEDGER_RESUME :
				    DSP_LEDGER_CREATE, "erase", &s->ledger);

	if (r == 0)
		return 0;
	s->ledger = NULL;
	if (r == DSP_REFUSED)
		return DSP_REFUSED;	/* another command's record: the ledger said why */
	if (r == -EEXIST)
		return say(s, DSP_INVALID, s->run_dir, "already holds a run record; use --resume "
			   "or another --run-dir");
	if (r == DSP_MISMATCH)
		return say(s, DSP_INVALID, s->run_dir, "run record is damaged (hash chain broken)");
	/* an unusable run directory is invalid input whatever the errno (EACCES, EROFS...) */
	return say(s, DSP_INVALID, s->run_dir, "cannot open the run record: %s",
		   strerror(r < 0 ? -r : EINVAL));
}

/*
 * Where dsp_ledger_default_dir makes run directories. Until the start the
 * checks guard it: the new directory is made only once nothing can be
 * refused any more, so a usage error or a refusal leaves none behind.
 */
#define DEFAULT_RUNS "/var/lib/dispose/runs"

/* The run directory of a new run: --run-dir (its parents made), else a new default one. */
static int make_run_dir(struct dsp_erase_session *s)
{
	int r;

	if (!s->default_dir) {
		r = make_parents(s->run_dir);
		return r < 0 ? say(s, DSP_INVALID, s->run_dir, "cannot create: %s", strerror(-r)) : 0;
	}
	r = dsp_ledger_default_dir(s->dirbuf, sizeof(s->dirbuf));
	if (r < 0)
		return say(s, DSP_INVALID, NULL, "cannot make a run directory in %s: %s",
			   DEFAULT_RUNS, strerror(-r));
	s->run_dir = s->dirbuf;
	s->made_dir = true;
	return 0;
}

/* ---- the session ---- */

static int session_init(struct dsp_erase_session *s, char *const *names, unsigned n);
static int then_wanted(struct dsp_erase_session *s, bool chosen);

static int session_start(struct dsp_erase_session *s);

int dsp_erase_session_new(const struct dsp_erase_session_opts *opts, char *const *names,
			  unsigned n, struct dsp_erase_session **out)
{
	struct dsp_erase_session *s = calloc(1, sizeof(*s));
	struct dsp_log_sink prev;
	int rc;

	*out = s;
	if (!s)
		return -ENOMEM;
	s->o = *opts;
	prev = dsp_log_use(opts->log);
	rc = session_init(s, names, n);
	dsp_log_use(&prev);
	return rc;
}

static int session_init(struct dsp_erase_session *s, char *const *names, unsigned n)
{
	int rc = 0;

	s->lock_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->run_dir = s->o.run_dir;
	/* a pipeline's record, open and locked by its owner: borrowed, never closed here */
	if (s->o.ledger) {
		s->ledger = s->o.ledger;
		s->run_dir = dsp_ledger_dir(s->o.ledger);
	}
	s->method_arg = s->o.method;
	s->verify_arg = s->o.verify;
	s->then_arg = s->o.then;
	s->requested = s->o.category;
	/* our copy: the check marks the backups this run erases */
	if (s->o.luks_backups && json_object_deep_copy(s->o.luks_backups, &s->backups, NULL))
		return -ENOMEM;
	if (s->o.resume) {
		/* opening first repairs a line torn by a crash, so the walk can read it */
		rc = s->o.ledger ? 0 : lock_run_dir(s);
		if (!rc && !s->o.ledger)
			rc = open_ledger(s);
		if (!rc)
			rc = resume_targets(s, names, n);
		/* only files found unlinked were left: their removal ends the run here */
		if (!rc && !s->nt && !s->o.ledger && s->gone && json_object_object_length(s->gone)) {
			rc = session_start(s);
			if (!rc)
				write_run_end(s, 0);
		}
		if (rc || s->nt == 0)
			return rc;
	} else {
		s->t = calloc(n ? n : 1, sizeof(*s->t));
		if (!s->t)
			return -ENOMEM;
		for (unsigned i = 0; i < n; i++) {
			snprintf(s->t[i].id, sizeof(s->t[i].id), "t%u", i + 1);
			s->t[i].want_kind = s->o.kinds ? (int)s->o.kinds[i] : -1;
			s->t[i].c.path = strdup(names[i]);
			s->nt++;
			if (!s->t[i].c.path)
				return -ENOMEM;
		}
	}
	for (unsigned i = 0; i < s->nt; i++) {
		struct item *t = &s->t[i];
		const char *th = s->o.thens && !s->o.resume ? s->o.thens[i] : NULL;
		const char *v = s->o.verifies && !s->o.resume ? s->o.verifies[i] : NULL;

		t->idx = i;
		t->s = s;
		t->status = "not-started";
		/* its own settings, else the run's (resume: as recorded for it, else the run's) */
		if (!t->req_rec)
			t->req = s->o.categories && !s->o.resume &&
				 s->o.categories[i] != DSP_CAT_NONE ? s->o.categories[i] : s->requested;
		t->then_own = th != NULL;
		if (!th && !t->tharg)
			th = s->then_arg;
		if (th && !(t->tharg = strdup(th)))
			return -ENOMEM;
		if (!v)
			v = s->verify_arg;
		if (v && !(t->varg = strdup(v)))
			return -ENOMEM;
	}
	if (!s->o.jobs)
		s->o.jobs = s->nt;
	rc = load_methods(s);
	if (!rc && s->o.resume)
		rc = method_unchanged(s);
	if (!rc)
		rc = set_verify_all(s);
	if (!rc && !s->o.resume)
		rc = then_wanted(s, false);
	s->default_dir = !s->run_dir && !s->o.dry_run;
	return rc;
}

static void report_checks(const struct dsp_erase_why *w, void *arg)
{
	const struct dsp_erase_session *s = arg;

	audit_refusal(s, w);
	s->o.report(w, s->o.arg);
}

/*
 * --then runs after crypto-luks only: with none among the methods (at the
 * check: among what auto chose) it would silently do nothing.
 */
static int then_wanted(struct dsp_erase_session *s, bool chosen)
{
	/* a target's own then: on a crypto-luks (or auto) target only */
	for (unsigned i = 0; !chosen && i < s->nt; i++) {
		const struct item *t = &s->t[i];
		enum dsp_technique k = t->m->technique;

		if (t->then_own && k != DSP_TECH_CRYPTO_LUKS && k != DSP_TECH_AUTO)
			return usage(s, "%s: then %s: its method %s is not crypto-luks (nor auto)",
				     t->c.path, t->tharg, t->m->name);
	}
	if (!s->then)
		return 0;
	for (unsigned i = 0; i < s->nt; i++) {
		enum dsp_technique k = chosen ? run_method(&s->t[i])->technique :
				       s->t[i].m->technique;

		if (k == DSP_TECH_CRYPTO_LUKS || (!chosen && k == DSP_TECH_AUTO))
			return 0;
	}
	return usage(s, "--then: %s: no target's method is crypto-luks%s", s->then_arg,
		     chosen ? " (auto chose none)" : "");
}

/* Of two results, the one whose exit code is worse. */
static int worse(const struct dsp_erase_session *s, int a, int b)
{
	int ea, eb;

	if (!a || !b)
		return a ? a : b;
	ea = s->o.exit_code(a, s->o.arg);
	eb = s->o.exit_code(b, s->o.arg);
	return s->o.exit_worse(ea, eb) == ea ? a : b;
}

/* "maj:min\n" of a sysfs dev file as a dev_t; 0 when unreadable. */
static dev_t sysfs_devno(const char *path)
{
	unsigned ma, mi;
	FILE *f = fopen(path, "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	return n == 2 ? makedev(ma, mi) : 0;
}

/*
 * An NVMe namespace (nvmeXnY): is every namespace of controller X in
 * /sys/block a block target of this run? A sanitize acts on all of them.
 */
static bool all_namespaces(const struct dsp_erase_session *s, const struct item *t)
{
	char sys[PATH_MAX], p[PATH_MAX + 300], pre[32];
	unsigned ctl, ns;
	int end = 0;
	struct dirent *e;
	bool all = true;
	DIR *d;

	if (!t->c.have_info || sscanf(t->c.info.name, "nvme%un%u%n", &ctl, &ns, &end) != 2 ||
	    t->c.info.name[end])
		return false;
	snprintf(pre, sizeof(pre), "nvme%un", ctl);
	snprintf(sys, sizeof(sys), "%s/sys/block", s->o.root ? s->o.root : "");
	d = opendir(sys);
	if (!d)
		return false;
	while (all && (e = readdir(d))) {
		dev_t dev;
		bool found = false;

		if (strncmp(e->d_name, pre, strlen(pre)) ||
		    strspn(e->d_name + strlen(pre), "0123456789") != strlen(e->d_name + strlen(pre)))
			continue;
		snprintf(p, sizeof(p), "%s/%s/dev", sys, e->d_name);
		dev = sysfs_devno(p);
		for (unsigned i = 0; i < s->nt && dev; i++)
			found |= s->t[i].c.kind == DSP_ERASE_BLOCK && s->t[i].c.dev == dev;
		all = found;
	}
	closedir(d);
	return all;
}

/* Say a technique check's refusal, naming the target when the check did not. */
static int check_said(const struct dsp_erase_session *s, const struct item *t, int r,
		      struct dsp_erase_why *w)
{
	if (!r)
		return 0;
	w->code = r;
	if (!w->thing[0])
		snprintf(w->thing, sizeof(w->thing), "%s", shown(t));
	if (!w->reason[0])
		snprintf(w->reason, sizeof(w->reason), "%s: %s", run_method(t)->name,
			 r == DSP_UNSUPPORTED ? "not supported by this device" :
			 r == DSP_REFUSED ? "refused" : r < 0 ? strerror(-r) : "invalid target");
	audit_refusal(s, w);
	s->o.report(w, s->o.arg);
	return r;
}

/* Auto chose name (on a file or tree: nist-clear); load it. */
static int auto_load(struct dsp_erase_session *s, struct item *t, const char *name)
{
	int r = get_method(s, name, &t->chosen, &t->chosen_borrowed);

	if (r)
		return r;
	if (t->chosen->technique == DSP_TECH_AUTO)	/* never a loop */
		return say(s, DSP_INVALID, shown(t), "auto chose %s, itself auto", name);
	return set_verify(s, t, t->varg);
}

/*
 * Target t's technique, before anything is written: reads only (a block
 * device opened read-only for its check).
 */
static int check_technique(struct dsp_erase_session *s, struct item *t)
{
	struct dsp_erase_why w = { 0 };
	const struct dsp_blkdev_info *dev = t->c.have_info ? &t->c.info : NULL;
	enum dsp_technique k = t->m->technique;
	char name[64];
	struct dsp_io *io = NULL;
	int r;

	if (t->c.kind != DSP_ERASE_BLOCK) {
		if (k == DSP_TECH_CRYPTO_LUKS || k == DSP_TECH_SANITIZE)
			return say(s, DSP_UNSUPPORTED, t->c.path, "method %s (technique %s) needs a "
				   "block device, not a %s; nothing written", t->m->name,
				   dsp_technique_name(k), t->c.kind == DSP_ERASE_FILE ?
				   "regular file" : "directory tree");
		if (k == DSP_TECH_AUTO && !t->chosen) {
			snprintf(t->reason, sizeof(t->reason), "%s", t->c.kind == DSP_ERASE_FILE ?
				 "a file: overwrite" : "a directory tree: overwrite");
			r = auto_load(s, t, "nist-clear");
			if (r)
				return r;
		}
	} else if (k == DSP_TECH_OVERWRITE) {
		/* TODO(D): the ATA hidden-area probe (HPA/DCO) of overwrite targets */
	} else if (!(s->o.resume && t->started)) {
		/* a target the run started on is past its preconditions: its technique resumes */
		r = dsp_io_open(t->c.path, 0, &io);
		if (r < 0)
			return say(s, r, shown(t), "cannot open to check it: %s", strerror(-r));
		if (k == DSP_TECH_AUTO && !t->chosen) {
			r = dsp_erase_auto_choose(io, dev, name, sizeof(name), t->reason,
						  sizeof(t->reason));
			if (r < 0)
				r = say(s, r, shown(t), "auto cannot choose: %s", strerror(-r));
			else
				r = auto_load(s, t, name);
			if (r) {
				dsp_io_close(io);
				return r;
			}
		}
		switch (run_method(t)->technique) {
		case DSP_TECH_CRYPTO_LUKS:
			r = dsp_erase_luks_check(io, dev, requested(s, t), s->backups,
						 t->then != NULL, &w);
			break;
		case DSP_TECH_SANITIZE:
			t->all_ns = all_namespaces(s, t);
			r = dsp_erase_sanitize_check(io, t->c.path, dev, run_method(t), requested(s, t),
						     t->all_ns, &w);
			break;
		default:
			r = 0;
			break;
		}
		dsp_io_close(io);
		if (r)
			return check_said(s, t, r, &w);
	}
	/* an overwrite reaches clear at most: purge asked for cannot be met */
	if (run_method(t)->technique == DSP_TECH_OVERWRITE && requested(s, t) == DSP_CAT_PURGE)
		return say(s, DSP_UNSUPPORTED, shown(t), "method %s overwrites: NIST Clear at most, "
			   "Purge asked for; nothing written", run_method(t)->name);
	/* a file's or tree's overwrite is labelled no category: asked for, it cannot be met */
	if (t->c.kind != DSP_ERASE_BLOCK && t->req == DSP_CAT_CLEAR)
		return say(s, DSP_UNSUPPORTED, t->c.path, "an overwrite of a %s reaches no NIST "
			   "category (the filesystem may keep old copies); Clear asked for "
			   "(--category clear); nothing written", t->c.kind == DSP_ERASE_FILE ?
			   "file" : "directory tree");
	return 0;
}

/*
 * Is the directory open at fd, or one above it, the directory (dev, ino)?
 * Walks up by "..", so no name (relative, a symlink in it) decides. fd is
 * consumed.
 */
static bool dir_within(int fd, dev_t dev, ino_t ino)
{
	struct stat st, up;

	for (int depth = 0; fd >= 0 && depth < 4096; depth++) {
		int pfd;

		if (fstat(fd, &st) < 0)
			break;
		if (st.st_dev == dev && st.st_ino == ino) {
			close(fd);
			return true;
		}
		pfd = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = pfd;
		/* "/" is its own parent */
		if (fd < 0 || fstat(fd, &up) < 0 || (up.st_dev == st.st_dev && up.st_ino == st.st_ino))
			break;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/*
 * An inventory's LUKS header backup that is itself a target of this run (a
 * file, or inside a tree) is "erased_in_run": its target goes first, and a
 * crypto-luks label counts it erased only when it is gone (the technique's).
 * Matched by device and inode as the check holds the targets, never by the
 * path a target was named by: the backup's own (lstat: a symlink is not
 * followed) against a file target's, or the directories above it against
 * a tree's root. The entry records that inode (dev, ino) and the target
 * (its id) whose record events prove it erased at run time.
 */
static void mark_backups(struct dsp_erase_session *s)
{
	for (size_t k = 0; s->backups && k < json_object_array_length(s->backups); k++) {
		struct json_object *b = json_object_array_get_idx(s->backups, k);
		const char *p = jstr(b, "path");
		char dir[PATH_MAX], *slash;
		struct stat st;

		if (!p || p[0] != '/' || lstat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;	/* gone (a resume): as the record says */
		snprintf(dir, sizeof(dir), "%s", p);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		json_object_object_add(b, "dev", json_object_new_int64((int64_t)st.st_dev));
		json_object_object_add(b, "ino", json_object_new_int64((int64_t)st.st_ino));
		for (unsigned i = 0; i < s->nt; i++) {
			struct item *t = &s->t[i];
			bool in = false;

			if (t->c.kind == DSP_ERASE_FILE)
				in = t->c.dev == st.st_dev && t->c.ino == st.st_ino;
			else if (t->c.kind == DSP_ERASE_TREE)
				in = dir_within(open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC),
						t->c.dev, t->c.ino);
			if (!in)
				continue;
			t->first = true;
			json_object_object_add(b, "erased_in_run", json_object_new_boolean(true));
			json_object_object_add(b, "target", json_object_new_string(t->id));
			break;
		}
	}
}

static int check_techniques(struct dsp_erase_session *s)
{
	int rc = 0;

	mark_backups(s);

	for (unsigned i = 0; i < s->nt; i++)
		rc = worse(s, rc, check_technique(s, &s->t[i]));
	/* on resume the crypto-luks target may be finished: --then is the run's */
	if (!rc && !s->o.resume)
		rc = then_wanted(s, true);
	return rc;
}

static const char *kind_words(int k)
{
	return k == DSP_ERASE_BLOCK ? "block device" : k == DSP_ERASE_FILE ? "file" : "directory";
}

static int session_check(struct dsp_erase_session *s)
{
	struct dsp_erase_check_opts co = {
		.root = s->o.root,
		/* a dry run without --run-dir refuses what the real run would */
		.run_dir = s->run_dir ? s->run_dir : DEFAULT_RUNS,
		.erase_shared_inodes = s->o.erase_shared_inodes,
	};
	struct dsp_erase_checked *c = calloc(s->nt ? s->nt : 1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	for (unsigned i = 0; i < s->nt; i++) {
		if (s->o.resume)
			resume_renamed(s, &s->t[i]);
		c[i] = s->t[i].c;
	}
	rc = dsp_erase_check_targets(&co, c, s->nt, report_checks, s);
	for (unsigned i = 0; i < s->nt; i++)
		s->t[i].c = c[i];
	free(c);
	for (unsigned i = 0; i < s->nt && !rc; i++) {
		const struct item *t = &s->t[i];

		if (t->want_kind >= 0 && (int)t->c.kind != t->want_kind)
			rc = say(s, DSP_REFUSED, shown(t), "%s as a %s, now a %s; nothing written",
				 s->o.resume && !s->o.ledger ? "recorded" : "planned",
				 kind_words(t->want_kind), kind_words((int)t->c.kind));
	}
	if (!rc && s->o.resume)
		rc = resume_identity(s);
	if (!rc)
		rc = check_techniques(s);
	return rc;
}

/* Files and trees: still what was checked and confirmed (dev+ino)? */
static int recheck_paths(const struct dsp_erase_session *s)
{
	for (unsigned i = 0; i < s->nt; i++) {
		const struct item *t = &s->t[i];

		if (t->c.kind == DSP_ERASE_BLOCK)
			continue;
		/* the path must still lead, without a symlink, to the object held */
		if (dsp_erase_target_recheck(t->c.ft) != 0)
			return say(s, DSP_REFUSED, t->c.path, "is no longer the %s that was checked; "
				   "nothing written", t->c.kind == DSP_ERASE_FILE ? "file" : "directory");
	}
	return 0;
}

/* A block device named through a symlink: does the name still lead to the node checked? */
static bool link_moved(const struct item *t)
{
	char node[PATH_MAX];
	struct stat st;

	if (!t->c.given)
		return false;
	return !realpath(t->c.given, node) || strcmp(node, t->c.path) ||
	       stat(t->c.given, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != t->c.dev;
}

/*
 * flock(LOCK_EX) on a whole disk (dsp_device_lock, as wipefs --lock). udev
 * holds a shared lock for a moment while it probes (just after losetup,
 * say): wait for that, not for a lock someone keeps. 0 or -EBUSY.
 */
static int lock_disk(int fd)
{
	int r = dsp_device_lock(fd);

	for (int i = 0; i < 100 && r == -EBUSY; i++) {
		struct timespec ts = { 0, 50 * 1000000L };

		nanosleep(&ts, NULL);
		r = dsp_device_lock(fd);
	}
	return r == -EBUSY ? r : 0;
}

/* Open one block device exclusively; 0, DSP_REFUSED, or 0 with t->open_err set. */
static int open_device(struct dsp_erase_session *s, struct item *t)
{
	char busy[PATH_MAX], why[1024];
	int r = dsp_io_open(t->c.path, DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &t->io);

	/* the node, or the symlink naming it, was replaced while the operator confirmed */
	if (r == 0 && (t->io->rdev != t->c.dev || link_moved(t)))
		return say(s, DSP_REFUSED, shown(t), "is no longer the device that was checked; "
			   "nothing written");
	/* same number, other medium: a loop device reattached meanwhile (held now) */
	if (r == 0 && t->c.identity &&
	    dsp_identity_recheck_devno(t->c.identity, t->c.dev, why, sizeof(why)))
		return say(s, DSP_REFUSED, shown(t), "is no longer the medium that was checked "
			   "(%s); nothing written", why);
	if (r == -EBUSY)
		return say(s, DSP_REFUSED, shown(t), "device is busy (in use or open exclusively "
			   "elsewhere); nothing written");
	if (r < 0) {
		/* not a safety rule: this target fails, the others go on */
		say(s, 0, shown(t), "cannot open for writing: %s", strerror(-r));
		t->open_err = r;
		t->io = NULL;
		return 0;
	}
	/* a whole disk: udev and others probing it wait until it is erased (as wipefs) */
	if (!(t->c.have_info && t->c.info.is_partition) && lock_disk(t->io->fd) == -EBUSY)
		return say(s, DSP_REFUSED, shown(t), "device is locked by another program "
			   "(flock); nothing written");
	/* its aliases, too: none may be mounted while it is overwritten */
	r = dsp_device_claim_medium(t->c.dev, &t->claims, &t->nclaims, busy, sizeof(busy));
	if (r == -EBUSY)
		return say(s, DSP_REFUSED, shown(t), "%s reaches the same medium and is busy (in "
			   "use or open exclusively elsewhere); nothing written", busy);
	if (r < 0)
		return say(s, DSP_REFUSED, shown(t), "cannot hold %s, which reaches the same "
			   "medium: %s; nothing written",
			   busy[0] ? busy : "the rest of its medium", strerror(-r));
	return 0;
}

static void close_devices(struct dsp_erase_session *s)
{
	for (unsigned i = 0; i < s->nt; i++) {
		if (s->t[i].io)
			dsp_io_close(s->t[i].io);
		s->t[i].io = NULL;
		dsp_blkdev_release(s->t[i].claims, s->t[i].nclaims);
		s->t[i].claims = NULL;
		s->t[i].nclaims = 0;
	}
}

/* The run directory as syslog names it: absolute, so it names one place whatever the cwd. */
static const char *audit_dir(const struct dsp_erase_session *s, char *buf)
{
	return s->run_dir && realpath(s->run_dir, buf) ? buf : s->run_dir;
}

/* A method as syslog names it: a file by path with a shipped name is not that method. */
static void audit_method(FILE *f, const struct item *t)
{
	const struct dsp_method *m = run_method(t);
	char shipped[PATH_MAX + 80];

	if (dsp_method_shadows_shipped(m, shipped, sizeof(shipped)))
		fprintf(f, "%s from %s, not the shipped one", m->name, m->path);
	else
		fprintf(f, "%s", m->name);
	if (t->chosen)
		fprintf(f, " (auto: %s)", t->reason);
}

static void audit_start(const struct dsp_erase_session *s)
{
	char dir[PATH_MAX];
	const char *who = dsp_record_operator();
	char *tlist = NULL, *mname = NULL;
	size_t tlen = 0, mlen = 0;
	FILE *tf = open_memstream(&tlist, &tlen), *mf;
	bool same = true;

	if (tf) {
		for (unsigned i = 0; i < s->nt; i++)
			fprintf(tf, "%s%s", i ? " " : "", s->t[i].c.path);
		fclose(tf);
	}
	for (unsigned i = 1; i < s->nt; i++)
		same &= run_method(&s->t[i]) == run_method(&s->t[0]) &&
			s->t[i].verify == s->t[0].verify;
	mf = open_memstream(&mname, &mlen);
	if (mf && !s->nt) {
		/* a resume with nothing left (a pipeline's erase step that ended) */
		fputs("nothing left to erase", mf);
	} else if (mf && same) {
		fputs("method ", mf);
		audit_method(mf, &s->t[0]);
		fprintf(mf, ", verify %s", dsp_verify_mode_name(s->t[0].verify));
	} else if (mf) {
		/* each target its own: "methods t1 zero verify last, t2 ..." */
		fputs("methods", mf);
		for (unsigned i = 0; i < s->nt; i++) {
			fprintf(mf, "%s %s ", i ? "," : "", s->t[i].id);
			audit_method(mf, &s->t[i]);
			fprintf(mf, " verify %s", dsp_verify_mode_name(s->t[i].verify));
		}
	}
	if (mf)
		fclose(mf);
	dsp_audit(DSP_AUDIT_NOTICE, "erase %s by %s: target%s %s, %s, run %s",
		  s->o.resume ? "resumed" : "started", who ? who : "unknown", s->nt == 1 ? "" : "s",
		  tlist ? tlist : "?", mname ? mname : "method ?", audit_dir(s, dir));
	free(tlist);
	free(mname);
}

static int session_start(struct dsp_erase_session *s)
{
	int r = recheck_paths(s);

	for (unsigned i = 0; i < s->nt && !r; i++)
		if (s->t[i].c.kind == DSP_ERASE_BLOCK)
			r = open_device(s, &s->t[i]);
	if (r)
		return r;
	if (!s->o.resume && !s->o.ledger && ((r = make_run_dir(s)) != 0 ||
					     (r = open_ledger(s)) != 0 ||
					     (r = lock_run_dir(s)) != 0)) {
		/* a directory made for a record never opened goes again */
		if (s->made_dir && !s->ledger)
			rmdir(s->run_dir);
		return r;
	}
	r = s->o.resume ? write_run_resumed(s) : write_run_start(s);
	/* nothing written to a target yet: a record that takes no line (full, EIO) is unusable */
	if (r < 0)
		return DSP_INVALID;
	if (s->gone) {
		json_object_object_foreach(s->gone, gid, gx) {
			const char *gp = json_object_get_string(json_object_array_get_idx(gx, 0));

			say(s, 0, gp, "found removed (killed after its unlink); its removal "
			    "is recorded");
			if (erase_file_gone_record(s->ledger, gid, gp, json_object_get_string(
				json_object_array_get_idx(gx, 1))) < 0)
				return DSP_INVALID;
		}
	}
	audit_start(s);
	return 0;
}

/* ---- running ---- */

static int on_progress(const struct dsp_erase_progress *p, void *arg)
{
	struct item *t = arg;

	return t->s->o.progress ? t->s->o.progress(t->idx, p, t->s->o.arg) : 0;
}

static void finished(struct item *t, int rc)
{
	set_outcome(t, rc);
	if (t->s->o.finished)
		t->s->o.finished(t->idx, t->status, t->s->o.arg);
}

/*
 * A target's end in syslog: the verdict the terminal shows (result with its
 * reason, category, verification), at the priority of the outcome; a success
 * that is not verified or may leave old data is a warning.
 */
static enum dsp_audit_level target_level(const struct item *t)
{
	const char *res = dsp_json_str(t->verdict, "result");
	bool remain = false;

	dsp_json_bool(t->verdict, "old_data_may_remain", &remain);
	if (t->rc == 0 && ((res && strcmp(res, "success")) || remain))
		return DSP_AUDIT_WARNING;
	return dsp_audit_level_of(t->rc);
}

static void audit_target(const struct item *t)
{
	struct json_object *v = t->verdict;
	const char *res = dsp_json_str(v, "result"), *cat = dsp_json_str(v, "category");
	const char *ver = dsp_json_str(v, "verification");
	enum dsp_audit_level lv = target_level(t);
	char why[1024] = "", tree[64] = "";
	int rec = __atomic_load_n(&t->s->record_err, __ATOMIC_SEQ_CST);
	size_t k;

	if (!res)	/* no verdict (out of memory): the status and the error */
		snprintf(why, sizeof(why), "%s%s%s", t->status, t->rc < 0 ? ": " : "",
			 t->rc < 0 ? strerror(-t->rc) : "");
	else
		snprintf(why, sizeof(why), "%s%s%s%s%s", res, cat ? "; " : "", cat ? cat : "",
			 ver ? "; " : "", ver ? ver : "");
	k = strlen(why);
	/* no end because the record stopped taking lines: say why, as the terminal did */
	if (!t->end && rec < 0 && k < sizeof(why))
		snprintf(why + k, sizeof(why) - k, "; the run record could not be written: %s",
			 strerror(-rec));
	if (t->c.kind == DSP_ERASE_TREE)
		snprintf(tree, sizeof(tree), ", %u file%s, %u director%s", t->res.files,
			 t->res.files == 1 ? "" : "s", t->res.dirs, t->res.dirs == 1 ? "y" : "ies");
	dsp_audit(lv, "%s: erase %s (target %s%s)", shown(t), why, t->id, tree);
}

static void run_target(struct dsp_erase_session *s, struct item *t)
{
	const struct dsp_method *m = run_method(t);
	struct dsp_erase_opts opts = {
		.method = m,
		.verify = t->verify,
		.sample_percent = t->pct,
		.ledger = s->ledger,
		.target_id = t->id,
		.progress = on_progress,
		.progress_arg = t,
		.stop = s->o.stop,
		.checkpoint_bytes = s->o.checkpoint_bytes,
		.resume = s->o.resume,
		.erase_shared_inodes = s->o.erase_shared_inodes,
		.record_err = &s->record_err,
		.progress_ms = s->o.progress_ms,
		.end = &t->end,
		.path = t->c.path,
		.requested = requested(s, t),
		.then = m->technique == DSP_TECH_CRYPTO_LUKS ? t->then : NULL,
		.auto_reason = t->chosen ? t->reason : NULL,
		.luks_backups = s->backups,
		.all_namespaces = t->all_ns,
		.restore_hidden = s->o.restore_hidden,
	};
	int r;

	if (t->open_err) {
		record_open_failure(s, t);
		finished(t, t->open_err);
		audit_target(t);
		return;
	}
	switch (t->c.kind) {
	case DSP_ERASE_BLOCK:
		opts.identity = identity_json(t);
		opts.device = t->c.have_info ? &t->c.info : NULL;
		switch (m->technique) {
		case DSP_TECH_OVERWRITE:
			r = dsp_erase_io(t->io, &opts, &t->res);
			break;
		case DSP_TECH_CRYPTO_LUKS:
			r = dsp_erase_luks_io(t->io, &opts, &t->res);
			break;
		case DSP_TECH_SANITIZE:
			r = dsp_erase_sanitize_io(t->io, &opts, &t->res);
			break;
		default:	/* auto chooses at the check: never reached */
			r = DSP_UNSUPPORTED;
			break;
		}
		json_object_put(opts.identity);
		dsp_io_close(t->io);
		t->io = NULL;
		break;
	case DSP_ERASE_FILE:
		/* the handle checked before the confirmation, not the path again */
		opts.file_gate = s->o.file_gate;
		opts.gate_arg = s->o.gate_arg;
		r = dsp_erase_file_at(t->c.ft, &opts, &t->res);
		break;
	case DSP_ERASE_TREE:
	default:
		opts.file_gate = s->o.file_gate;
		opts.gate_arg = s->o.gate_arg;
		r = dsp_erase_tree_at(t->c.ft, &opts, &t->res);
		break;
	}
	/* a record that stopped taking lines was said once, by the core */
	if (r < 0 && r != __atomic_load_n(&s->record_err, __ATOMIC_SEQ_CST))
		say(s, r, shown(t), "erase failed: %s", strerror(-r));
	else if (r == DSP_MISMATCH)
		say(s, r, shown(t), "verification found %llu mismatching bytes",
		    (unsigned long long)t->res.mismatches);
	finished(t, r);
	audit_target(t);
}

static void *worker(void *arg)
{
	struct dsp_erase_session *s = arg;

	for (;;) {
		struct item *t;
		int err;

		pthread_mutex_lock(&s->lock);
		t = s->next >= s->lim ? NULL : s->order ? &s->t[s->order[s->next++]] :
		    &s->t[s->next++];
		pthread_mutex_unlock(&s->lock);
		if (!t)
			return NULL;
		err = __atomic_load_n(&s->record_err, __ATOMIC_SEQ_CST);
		if (s->o.stop && *s->o.stop)
			finished(t, DSP_INTERRUPTED);	/* never started: resumable */
		else if (err)
			finished(t, err);	/* nothing more can be recorded: not started */
		else
			run_target(s, t);
	}
}

/* The run's end: its run id and the record's chain head, an anchor for the chain outside it. */
static void audit_end(const struct dsp_erase_session *s, int code)
{
	const char *st = overall_status(s);
	char head[65] = "", dir[PATH_MAX];
	enum dsp_audit_level lv = !strcmp(st, "success") ? DSP_AUDIT_NOTICE :
				  !strcmp(st, "interrupted") ? DSP_AUDIT_WARNING : DSP_AUDIT_ERR;
	unsigned ok = 0;

	for (unsigned i = 0; i < s->nt; i++) {
		ok += !strcmp(s->t[i].status, "success");
		/* a success with a caveat (not verified, old data may remain) warns here too */
		if (lv == DSP_AUDIT_NOTICE && s->t[i].verdict &&
		    target_level(&s->t[i]) == DSP_AUDIT_WARNING)
			lv = DSP_AUDIT_WARNING;
	}
	if (s->ledger)
		dsp_ledger_head(s->ledger, head);
	dsp_audit(lv,
		  "erase ended: %s, %u of %u target%s erased, exit %d, run %s, record head %s",
		  st, ok, s->nt, s->nt == 1 ? "" : "s", code, audit_dir(s, dir), head[0] ? head : "none");
}

/* Erase order[next..lim) with up to jobs workers. */
static void run_phase(struct dsp_erase_session *s, unsigned lim)
{
	unsigned n = s->o.jobs < lim - s->next ? s->o.jobs : lim - s->next, started = 0;
	pthread_t *th = calloc(n ? n : 1, sizeof(*th));

	s->lim = lim;
	if (th) {
		for (; started < n; started++)
			if (dsp_thread_create(&th[started], worker, s) != 0)
				break;
	}
	if (started == 0)
		worker(s);	/* no threads: do them one by one here */
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
}

static int session_run(struct dsp_erase_session *s)
{
	unsigned nfirst = 0;
	int rc = 0;

	/*
	 * A target holding a LUKS header backup goes first, the others once
	 * it is done: a crypto-luks target then finds it erased (or not).
	 */
	s->order = calloc(s->nt ? s->nt : 1, sizeof(*s->order));
	for (unsigned i = 0; i < s->nt && s->order; i++)
		if (s->t[i].first)
			s->order[nfirst++] = i;
	for (unsigned i = 0, k = nfirst; i < s->nt && s->order; i++)
		if (!s->t[i].first)
			s->order[k++] = i;
	s->next = 0;
	if (nfirst)
		run_phase(s, nfirst);
	run_phase(s, s->nt);
	for (unsigned i = 0; i < s->nt; i++)
		rc = s->o.exit_worse(rc, s->t[i].exit_code);
	write_run_end(s, rc);
	audit_end(s, rc);
	return rc;
}

void dsp_erase_session_free(struct dsp_erase_session *s)
{
	if (!s)
		return;
	if (s->ledger && !s->o.ledger)
		dsp_ledger_close(s->ledger);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	close_devices(s);
	for (unsigned i = 0; i < s->nt && s->t; i++) {
		free(s->t[i].c.path);
		free(s->t[i].c.given);
		free(s->t[i].c.cur);
		free(s->t[i].marg);
		free(s->t[i].rec_sha);
		free(s->t[i].rec_chosen);
		free(s->t[i].rec_chosen_sha);
		free(s->t[i].varg);
		free(s->t[i].tharg);
		free(s->t[i].rec_then_sha);
		if (!s->t[i].then_borrowed)
			dsp_method_free(s->t[i].then);
		if (!s->t[i].m_borrowed)
			dsp_method_free(s->t[i].m);
		if (!s->t[i].chosen_borrowed)
			dsp_method_free(s->t[i].chosen);
		json_object_put(s->t[i].end);
		json_object_put(s->t[i].verdict);
		dsp_erase_checked_release(&s->t[i].c);
	}
	free(s->t);
	free(s->order);
	dsp_method_free(s->then);
	json_object_put(s->backups);
	free(s->owned[0]);
	free(s->owned[1]);
	free(s->owned[2]);
	json_object_put(s->idents);
	json_object_put(s->renamed);
	json_object_put(s->gone);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

unsigned dsp_erase_session_count(const struct dsp_erase_session *s)
{
	return s ? s->nt : 0;
}

const struct dsp_erase_checked *dsp_erase_session_target(const struct dsp_erase_session *s,
							 unsigned i, const char **id)
{
	if (id)
		*id = s->t[i].id;
	return &s->t[i].c;
}

const char *dsp_erase_session_status(const struct dsp_erase_session *s, unsigned i,
				     const struct dsp_erase_result **res)
{
	if (res)
		*res = &s->t[i].res;
	return s->t[i].status;
}

struct json_object *dsp_erase_session_verdict(const struct dsp_erase_session *s, unsigned i)
{
	return i < s->nt ? s->t[i].verdict : NULL;
}

const struct dsp_method *dsp_erase_session_method(const struct dsp_erase_session *s,
						  enum dsp_verify_mode *verify, double *percent)
{
	if (!s->nt)
		return NULL;
	return dsp_erase_session_target_method(s, 0, NULL, NULL, verify, percent, NULL);
}

const struct dsp_method *dsp_erase_session_target_method(const struct dsp_erase_session *s,
							 unsigned i, const struct dsp_method **req,
							 const char **reason,
							 enum dsp_verify_mode *verify, double *percent,
							 enum dsp_category *category)
{
	const struct item *t = &s->t[i];

	if (req)
		*req = t->m;
	if (reason)
		*reason = t->chosen ? t->reason : NULL;
	if (verify)
		*verify = t->verify;
	if (percent)
		*percent = t->pct;
	if (category)
		*category = requested(s, t);
	return run_method(t);
}

const struct dsp_method *dsp_erase_session_then(const struct dsp_erase_session *s)
{
	return s->then;
}

const char *dsp_erase_session_run_dir(const struct dsp_erase_session *s)
{
	return s->run_dir;
}

int dsp_erase_session_check(struct dsp_erase_session *s)
{
	struct dsp_log_sink prev = dsp_log_use(s->o.log);
	int rc = session_check(s);

	dsp_log_use(&prev);
	return rc;
}

int dsp_erase_session_start(struct dsp_erase_session *s)
{
	struct dsp_log_sink prev = dsp_log_use(s->o.log);
	int rc = session_start(s);

	dsp_log_use(&prev);
	return rc;
}

int dsp_erase_session_run(struct dsp_erase_session *s)
{
	struct dsp_log_sink prev = dsp_log_use(s->o.log);
	int rc = session_run(s);

	dsp_log_use(&prev);
	return rc;
}
