/* SPDX-License-Identifier: MIT */
/* pipeline.c - dispose run: one run directory, one record, six steps, resumable */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/run.h"
#include "dispose/util.h"
#include "run_int.h"

const char *dsp_run_step_name(enum dsp_run_step s)
{
	static const char *const n[] = { "inventory", "plan", "archive", "verify", "erase",
					 "certify" };

	return s < DSP_STEP_COUNT ? n[s] : "?";
}

/* ---- small shared helpers ---- */

int run_exit_of(int rc, int sig)
{
	return dsp_exit_code(rc, sig);
}

int run_exit_worse(int a, int b)
{
	return dsp_exit_worse(a, b);
}

void run_fail(struct run *r, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	dsp_log(DSP_LOG_ERROR, "%s", msg);
	if (!r->res->why)
		r->res->why = msg;
	else
		free(msg);
}

int run_stopped(const struct run *r)
{
	return r->o->stop ? (int)*r->o->stop : 0;
}

void run_progress(struct run *r, const char *what, const char *phase, uint64_t done,
		  uint64_t total, uint64_t step_done)
{
	struct dsp_run_progress p = {
		.step = r->cur, .what = what, .phase = phase, .done = done, .total = total,
		.all_total = r->all_total,
	};

	/* an estimate of the step's work is never let to run past it */
	if (step_done > r->work[r->cur])
		step_done = r->work[r->cur];
	p.all_done = r->all_done + step_done;
	if (p.all_total && p.all_done > p.all_total)
		p.all_done = p.all_total;
	if (r->o->progress)
		r->o->progress(&p, r->o->arg);
}

int run_append(struct run *r, const char *event, struct json_object *fields)
{
	int rc;

	if (!fields)
		return -ENOMEM;
	rc = dsp_ledger_append(r->l, event, fields, 1);
	json_object_put(fields);
	if (rc)
		run_fail(r, "%s: cannot write the run record (%s): %s", r->dir, event,
			 strerror(-rc));
	return rc;
}

static int hash_fd(int fd, const EVP_MD *md, char *hex)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], out[EVP_MAX_MD_SIZE];
	unsigned olen = 0;
	off_t off = 0;
	ssize_t n;
	int rc = 0;

	if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL)) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	/* pread: the gate reads a descriptor the erase holds, its offset untouched */
	while ((n = dsp_read_full(fd, buf, sizeof(buf), off)) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		off += n;
	}
	if (n < 0)
		rc = (int)n;
	else if (!EVP_DigestFinal_ex(ctx, out, &olen))
		rc = -EIO;
	EVP_MD_CTX_free(ctx);
	if (!rc)
		dsp_hex(out, olen, hex);
	return rc;
}

int run_sha512_fd(int fd, char hex[129])
{
	return hash_fd(fd, EVP_sha512(), hex);
}

int run_sha256_file(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY), rc;

	if (fd < 0)
		return -errno;
	rc = hash_fd(fd, EVP_sha256(), hex);
	close(fd);
	return rc;
}

#ifdef DSP_TEST_HOOKS
void run_test_kill(const char *step, const char *when)
{
	const char *k = getenv("DISPOSE_TEST_RUN_KILL");
	size_t n = strlen(step);

	if (k && !strncmp(k, step, n) && k[n] == ':' && !strcmp(k + n + 1, when))
		raise(SIGKILL);
}

void run_test_kill_bytes(uint64_t done)
{
	static int sent;
	const char *k = getenv("DISPOSE_TEST_RUN_KILL");
	char *end;
	unsigned long long at;

	if (!k || strncmp(k, "erase:write:", 12))
		return;
	at = strtoull(k + 12, &end, 10);
	if (done < at)
		return;
	/* ":INT": a signal the run handles (stop flag), once; else SIGKILL */
	if (!strcmp(end, ":INT")) {
		if (!__atomic_exchange_n(&sent, 1, __ATOMIC_RELAXED))
			raise(SIGINT);
		return;
	}
	raise(SIGKILL);
}
#endif

/* ---- the record: what it says (resume) ---- */

static void state_clear(struct run_state *st)
{
	for (int i = 0; i < DSP_STEP_COUNT; i++)
		json_object_put(st->step_end[i]);
	json_object_put(st->arc_started);
	json_object_put(st->arc_created);
	json_object_put(st->erase_end);
	json_object_put(st->run_start);
	memset(st, 0, sizeof(*st));
}

static int step_of(const char *name)
{
	for (int i = 0; name && i < DSP_STEP_COUNT; i++)
		if (!strcmp(name, dsp_run_step_name((enum dsp_run_step)i)))
			return i;
	return -1;
}

static int visit(struct json_object *ev, void *arg)
{
	struct run_state *st = arg;
	const char *e = dsp_json_str(ev, "event"), *s;
	char *path = NULL;
	int i;

	if (!e)
		return 0;
	if (!strcmp(e, "run_start")) {
		if (!st->run_start && json_object_deep_copy(ev, &st->run_start, NULL))
			return -ENOMEM;
		if (st->run_start)
			dsp_json_restore_bytes(st->run_start);
	} else if (!strcmp(e, "run_resumed")) {
		st->run_end = false;
	} else if (!strcmp(e, "run_end")) {
		int64_t x = 0;

		st->run_end = true;
		s = dsp_json_str(ev, "status");
		snprintf(st->run_end_status, sizeof(st->run_end_status), "%s", s ? s : "");
		dsp_json_i64(ev, "exit", &x);
		st->run_end_exit = x;
	} else if (!strcmp(e, "step_start") && (i = step_of(dsp_json_str(ev, "step"))) >= 0) {
		st->started[i] = true;
		st->ended[i] = false;
	} else if (!strcmp(e, "step_end") && (i = step_of(dsp_json_str(ev, "step"))) >= 0) {
		st->ended[i] = true;
		json_object_put(st->step_end[i]);
		st->step_end[i] = json_object_get(ev);
	} else if (!strcmp(e, "archive_start")) {
		s = dsp_json_str(ev, "id");
		if (s && !dsp_json_bytes(ev, "archive", &path, NULL))
			json_object_object_add(st->arc_started, s, json_object_new_string(path));
	} else if (!strcmp(e, "archive_created")) {
		if (!dsp_json_bytes(ev, "archive", &path, NULL))
			json_object_object_add(st->arc_created, path, json_object_get(ev));
	} else if (!strcmp(e, "erase_start")) {
		st->erase_start = true;
		json_object_put(st->erase_end);
		st->erase_end = NULL;
	} else if (!strcmp(e, "erase_end")) {
		json_object_put(st->erase_end);
		st->erase_end = json_object_get(ev);
	}
	free(path);
	return 0;
}

int run_state_read(struct run *r)
{
	uint64_t bad = 0;
	int rc;

	state_clear(&r->st);
	r->st.arc_started = json_object_new_object();
	r->st.arc_created = json_object_new_object();
	if (!r->st.arc_started || !r->st.arc_created)
		return -ENOMEM;
	rc = dsp_record_read_events(r->dir, visit, &r->st, &bad);
	if (rc == DSP_MISMATCH) {
		run_fail(r, "%s: the run record is damaged at line %llu", r->dir,
			 (unsigned long long)bad);
		return DSP_INVALID;
	}
	if (rc < 0)	/* R3 #3b: a system error (EMFILE) must say its line too */
		run_fail(r, "%s: cannot read the run record: %s", r->dir, strerror(-rc));
	return rc;
}

/* ---- opening: a new run, or the one to resume ---- */

static int full_argv(struct run *r)
{
	const struct dsp_run_opts *o = r->o;

	r->argv = calloc((size_t)o->argc + 2, sizeof(*r->argv));
	if (!r->argv)
		return -ENOMEM;
	r->argv[0] = (char *)DSP_TOOL_NAME;
	for (int i = 0; i < o->argc; i++)
		r->argv[i + 1] = o->argv[i];
	r->argc = o->argc + 1;
	return 0;
}

static struct json_object *vars_json(const struct dsp_policy *p)
{
	struct json_object *v = json_object_new_object();

	for (size_t i = 0; v && i < p->nvars; i++)
		dsp_json_add_bytes(v, p->vars[i].name, p->vars[i].value);
	return v;
}

static int load_policy(struct run *r, const char *name, const char *const *set, size_t nset)
{
	char *why = NULL;
	int rc = dsp_policy_find(name, set, nset, &r->pol, &why);

	if (rc) {
		if (why)
			run_fail(r, "%s", why);
		else
			run_fail(r, "%s: %s", name, rc < 0 ? strerror(-rc) : "invalid policy");
		free(why);
		/* a policy that cannot be read or parsed: nothing done */
		return rc == -ENOMEM ? rc : DSP_INVALID;
	}
	free(why);
	if (!realpath(r->pol->path, r->policy_abs))
		snprintf(r->policy_abs, sizeof(r->policy_abs), "%s", r->pol->path);
	return 0;
}

static int write_run_start(struct run *r)
{
	struct json_object *o = dsp_record_run_start(DSP_RUN_CMD, r->argc, r->argv);
	struct json_object *pol = json_object_new_object(), *steps = json_object_new_array();
	char cwd[PATH_MAX];

	if (!o || !pol || !steps) {
		json_object_put(o);
		json_object_put(pol);
		json_object_put(steps);
		return -ENOMEM;
	}
	json_object_object_add(pol, "name", json_object_new_string(r->pol->name ? r->pol->name :
								      ""));
	dsp_json_add_bytes(pol, "path", r->policy_abs);
	json_object_object_add(pol, "sha256", json_object_new_string(r->pol->sha256));
	json_object_object_add(o, "policy", pol);
	json_object_object_add(o, "vars", vars_json(r->pol));
	if (getcwd(cwd, sizeof(cwd)))
		dsp_json_add_bytes(o, "cwd", cwd);
	for (int i = 0; i < DSP_STEP_COUNT; i++)
		json_object_array_add(steps, json_object_new_string(
			dsp_run_step_name((enum dsp_run_step)i)));
	json_object_object_add(o, "steps", steps);
	return run_append(r, "run_start", o);
}

/* 1: an empty directory, 0: it holds something, -errno. */
/* A step started and never ended (a setup error left it open): a resume redoes it. */
static bool step_left_open(const struct run_state *st)
{
	for (int i = 0; i < DSP_STEP_CERTIFY; i++)
		if (st->started[i] && !st->ended[i])
			return true;
	return false;
}

static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

/* A run record: the ledger's own open says "use --resume" for it. */
static bool has_record(const char *dir)
{
	char p[PATH_MAX + 16];
	struct stat st;

	snprintf(p, sizeof(p), "%s/events.jsonl", dir);
	return lstat(p, &st) == 0;
}

static int open_new(struct run *r)
{
	const struct dsp_run_opts *o = r->o;
	char buf[PATH_MAX];
	int rc;

	if (o->run_dir) {
		if (mkdir(o->run_dir, 0700) == 0)
			r->made_dir = true;
		else if (errno != EEXIST) {
			run_fail(r, "%s: cannot make the run directory: %s", o->run_dir,
				 strerror(errno));
			return DSP_INVALID;
		} else if ((rc = dir_empty(o->run_dir)) <= 0 && !has_record(o->run_dir)) {
			/* never write over the operator's files */
			run_fail(r, "%s: %s", o->run_dir, rc == 0 ? "holds files already; use an "
				 "empty directory or --resume" : strerror(-rc));
			return DSP_INVALID;
		}
		snprintf(buf, sizeof(buf), "%s", o->run_dir);
	} else {
		rc = dsp_ledger_default_dir(buf, sizeof(buf));
		if (rc) {
			run_fail(r, "/var/lib/dispose/runs: cannot make a run directory: %s",
				 strerror(-rc));
			return rc;
		}
		r->made_dir = true;
	}
	if (!realpath(buf, r->dir)) {
		run_fail(r, "%s: %s", buf, strerror(errno));
		return DSP_INVALID;
	}
	rc = dsp_ledger_open_cmd(r->dir, DSP_LEDGER_CREATE | DSP_LEDGER_LOCK, DSP_RUN_CMD, &r->l);
	if (rc == -EEXIST) {
		run_fail(r, "%s: holds a run record already: use --resume, or another --run-dir",
			 r->dir);
		return DSP_INVALID;
	}
	if (rc) {
		if (rc != DSP_REFUSED)
			run_fail(r, "%s: cannot open the run record: %s", r->dir,
				 rc < 0 ? strerror(-rc) : "refused");
		else
			run_fail(r, "%s: in use by another dispose", r->dir);
		if (r->made_dir)
			rmdir(r->dir);
		return rc == DSP_REFUSED ? DSP_REFUSED : DSP_INVALID;
	}
	return write_run_start(r);
}

/* The recorded vars as NAME=VALUE strings for the policy parser. */
static int recorded_set(struct run *r, char ***set, size_t *nset)
{
	struct json_object *vars;
	size_t n = 0;

	*set = NULL;
	*nset = 0;
	if (!json_object_object_get_ex(r->st.run_start, "vars", &vars) ||
	    !json_object_is_type(vars, json_type_object))
		return 0;
	*set = calloc((size_t)json_object_object_length(vars) + 1, sizeof(**set));
	if (!*set)
		return -ENOMEM;
	json_object_object_foreach(vars, k, v) {
		if (asprintf(&(*set)[n], "%s=%s", k, json_object_get_string(v)) < 0)
			return -ENOMEM;
		*nset = ++n;
	}
	return 0;
}

/* A log sink: the first error is kept (open_resume says it once, as its own), the rest passed on. */
struct kept {
	char said[1024];
	struct dsp_log_sink prev;
};

static void keep_error(enum dsp_log_level level, const char *msg, void *arg)
{
	struct kept *k = arg;

	if (level == DSP_LOG_ERROR && !k->said[0])
		snprintf(k->said, sizeof(k->said), "%s", msg);
	else if (k->prev.fn)
		k->prev.fn(level, msg, k->prev.arg);
}

static int open_resume(struct run *r)
{
	const struct dsp_run_opts *o = r->o;
	struct kept k = { .said = "" };
	struct dsp_log_sink sink = { keep_error, &k };
	char *said = k.said;
	struct json_object *pol = NULL;
	const char *rec_path, *rec_sha;
	char **set = NULL;
	size_t nset = 0;
	int rc;

	if (!realpath(o->run_dir, r->dir)) {
		run_fail(r, "%s: %s", o->run_dir, strerror(errno));
		return DSP_INVALID;
	}
	/* the record's own refusal becomes our one line */
	k.prev = dsp_log_use(&sink);
	rc = dsp_ledger_open_cmd(r->dir, DSP_LEDGER_RESUME | DSP_LEDGER_LOCK, DSP_RUN_CMD, &r->l);
	dsp_log_use(&k.prev);
	if (!rc && said[0] && k.prev.fn)
		k.prev.fn(DSP_LOG_ERROR, said, k.prev.arg);
	if (rc) {
		size_t dl = strlen(r->dir);

		if (!strncmp(said, r->dir, dl) && !strncmp(said + dl, "/events.jsonl: ", 15))
			memmove(said + dl, said + dl + 13, strlen(said + dl + 13) + 1);
		if (rc == -ENOENT)
			run_fail(r, "%s: no run record to resume", r->dir);
		else if (said[0])
			run_fail(r, "%s", said);
		else if (rc == DSP_REFUSED)
			run_fail(r, "%s: not a run record of dispose run, or in use", r->dir);
		else
			run_fail(r, "%s: cannot resume: %s", r->dir,
				 rc == DSP_MISMATCH ? "the record's hash chain is broken" :
				 rc < 0 ? strerror(-rc) : "refused");
		return rc == -ENOMEM ? rc : rc == DSP_REFUSED ? DSP_REFUSED : DSP_INVALID;
	}
	if ((rc = run_state_read(r)))
		return rc;
	if (!r->st.run_start || !json_object_object_get_ex(r->st.run_start, "policy", &pol) ||
	    !(rec_path = dsp_json_str(pol, "path")) || !(rec_sha = dsp_json_str(pol, "sha256"))) {
		run_fail(r, "%s: the run record names no policy", r->dir);
		return DSP_INVALID;
	}
	if ((rc = recorded_set(r, &set, &nset)) == 0)
		rc = load_policy(r, o->policy ? o->policy : rec_path, (const char *const *)set,
				 nset);
	for (size_t i = 0; i < nset; i++)
		free(set[i]);
	free(set);
	if (rc)
		return rc;
	if (strcmp(r->pol->sha256, rec_sha)) {
		run_fail(r, "%s: not the policy this run started with (sha256 %.12s..., recorded "
			 "%.12s...): nothing done", r->pol->path, r->pol->sha256, rec_sha);
		return DSP_INVALID;
	}
	return 0;
}

/* A new run the operator did not confirm, or whose plan was invalid: nothing done, nothing kept. */
static void discard_new(struct run *r)
{
	char p[PATH_MAX + 32];

	dsp_ledger_close(r->l);
	r->l = NULL;
	unlink(r->plan_path);
	unlink(r->inv);
	snprintf(p, sizeof(p), "%s/%s", r->dir, DSP_LEDGER_FILE);
	unlink(p);
	if (r->made_dir)
		rmdir(r->dir);
}

/* ---- the steps ---- */

static void audit_step(struct run *r, enum dsp_run_step s, const char *status, int rc)
{
	if (!status)
		dsp_audit(DSP_AUDIT_NOTICE, "run %s: step %d/%d %s started", r->dir, (int)s + 1,
			  DSP_STEP_COUNT, dsp_run_step_name(s));
	else
		dsp_audit(dsp_audit_level_of(rc), "run %s: step %d/%d %s: %s", r->dir,
			  (int)s + 1, DSP_STEP_COUNT, dsp_run_step_name(s), status);
}

static int step_start(struct run *r, enum dsp_run_step s)
{
	struct json_object *o = json_object_new_object();
	int rc;

	r->cur = s;
	if (o) {
		json_object_object_add(o, "step", json_object_new_string(dsp_run_step_name(s)));
		json_object_object_add(o, "index", json_object_new_int((int)s + 1));
		json_object_object_add(o, "of", json_object_new_int(DSP_STEP_COUNT));
	}
	if ((rc = run_append(r, "step_start", o)))
		return rc;
	audit_step(r, s, NULL, 0);
#ifdef DSP_TEST_HOOKS
	run_test_kill(dsp_run_step_name(s), "start");
#endif
	if (r->o->step)
		r->o->step(s, NULL, r->o->arg);
	r->step_base = 0;
	run_progress(r, NULL, NULL, 0, 0, 0);
	return 0;
}

static const char *status_of(int rc)
{
	return rc == DSP_REFUSED ? "refused" : dsp_record_status(rc);
}

static int step_end(struct run *r, enum dsp_run_step s, int result, struct json_object *f)
{
	const char *status = status_of(result);
	struct json_object *o = json_object_new_object();
	int rc;

	/* step and status first, then what the step says of itself */
	if (o) {
		json_object_object_add(o, "step", json_object_new_string(dsp_run_step_name(s)));
		json_object_object_add(o, "status", json_object_new_string(status));
		json_object_object_foreach(f, k, v)
			json_object_object_add(o, k, json_object_get(v));
	}
	if ((rc = run_append(r, "step_end", o)))
		return rc;
	r->step_status[s] = status;
	audit_step(r, s, status, result);
#ifdef DSP_TEST_HOOKS
	run_test_kill(dsp_run_step_name(s), "end");
#endif
	if (r->o->step)
		r->o->step(s, status, r->o->arg);
	return 0;
}

/* The work a step has (bytes), for the whole run's ETA. */
static uint64_t plan_count(struct run *r, const char *k)
{
	struct json_object *c;
	uint64_t v = 0;

	if (r->plan && json_object_object_get_ex(r->plan, "counts", &c))
		dsp_json_u64(c, k, &v);
	return v;
}

static void plan_totals(struct run *r)
{
	struct json_object *t = NULL;
	uint64_t a = plan_count(r, "bytes_to_archive"), e = 0;

	/* archive: read and read back; verify: read; erase: each pass, and the read-back */
	if (r->plan && json_object_object_get_ex(r->plan, "targets", &t) &&
	    json_object_is_type(t, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(t); i++) {
			struct json_object *x = json_object_array_get_idx(t, i);
			const char *v = dsp_json_str(x, "verify");
			uint64_t b = 0, n = 1;

			dsp_json_u64(x, "bytes", &b);
			dsp_json_u64(x, "passes", &n);
			e += b * (n + (v && !strcmp(v, "none") ? 0 : 1));
		}
	}
	r->work[DSP_STEP_ARCHIVE] = 2 * a;
	r->work[DSP_STEP_VERIFY] = a;
	r->work[DSP_STEP_ERASE] = e;
	r->all_total = 3 * a + e;
}

/* A plan from a step that ended before (resume): plan.json as the step_end's digest says. */
static int load_plan(struct run *r)
{
	const char *want = dsp_json_str(r->st.step_end[DSP_STEP_PLAN], "sha256");
	char sha[65];
	int rc = run_sha256_file(r->plan_path, sha);

	if (rc) {
		run_fail(r, "%s: %s", r->plan_path, strerror(-rc));
		return DSP_INVALID;
	}
	if (!want || strcmp(want, sha)) {
		run_fail(r, "%s: changed since the plan step ended (sha256 %.12s..., recorded "
			 "%.12s...): nothing done", r->plan_path, sha, want ? want : "none");
		return DSP_MISMATCH;
	}
	r->plan = json_object_from_file(r->plan_path);
	if (!r->plan) {
		run_fail(r, "%s: not a plan", r->plan_path);
		return DSP_INVALID;
	}
	dsp_json_restore_bytes(r->plan);
	return 0;
}

/* The inventory a redone plan step reads: still the bytes its step_end recorded. */
static int check_inventory(struct run *r)
{
	const char *want = dsp_json_str(r->st.step_end[DSP_STEP_INVENTORY], "sha256");
	char sha[65];
	int rc = run_sha256_file(r->inv, sha);

	if (rc) {
		run_fail(r, "%s: %s", r->inv, strerror(-rc));
		return DSP_INVALID;
	}
	if (!want || strcmp(want, sha)) {
		run_fail(r, "%s: changed since the inventory step ended (sha256 %.12s..., "
			 "recorded %.12s...): nothing done", r->inv, sha, want ? want : "none");
		return DSP_MISMATCH;
	}
	return 0;
}

static void run_end(struct run *r, int exit_code, const char *status)
{
	struct json_object *o = dsp_record_run_end(status, exit_code);
	struct json_object *steps = json_object_new_object();

	for (int i = 0; steps && i < DSP_STEP_CERTIFY; i++) {
		const char *s = r->step_status[i];

		if (!s && r->st.ended[i])
			s = dsp_json_str(r->st.step_end[i], "status");
		json_object_object_add(steps, dsp_run_step_name((enum dsp_run_step)i),
				       json_object_new_string(s ? s : "not run"));
	}
	if (o)
		json_object_object_add(o, "steps", steps);
	else
		json_object_put(steps);
	run_append(r, "run_end", o);
	dsp_audit(exit_code ? DSP_AUDIT_WARNING : DSP_AUDIT_NOTICE, "run %s: ended %s, exit %d",
		  r->dir, status, exit_code);
}

typedef int (*step_fn)(struct run *r, struct json_object *end);

/*
 * One step: skipped when the record has its step_end; else step_start, the
 * work, step_end. An interrupted step gets no step_end: a resume redoes it.
 * Returns the step's core result.
 */
static int do_step(struct run *r, enum dsp_run_step s, step_fn fn)
{
	struct json_object *end;
	int rc, w;

	if (r->st.ended[s]) {
		r->cur = s;
		r->all_done += r->work[s];
		if (r->o->step)
			r->o->step(s, "already done", r->o->arg);
		return 0;
	}
	if (run_stopped(r))
		return DSP_INTERRUPTED;
	if ((rc = step_start(r, s)))
		return rc;
	if (!(end = json_object_new_object()))
		return -ENOMEM;
	rc = fn(r, end);
	if (rc == DSP_INTERRUPTED || (rc == -EINTR && run_stopped(r))) {
		json_object_put(end);
		r->step_status[s] = "interrupted";	/* run_end says so */
		return DSP_INTERRUPTED;
	}
	if (r->step_open) {
		/* a setup error that may pass (the erase session): a resume retries */
		json_object_put(end);
		r->step_open = false;
		r->step_status[s] = "not finished";
		return rc;
	}
	w = step_end(r, s, rc, end);
	json_object_put(end);
	r->all_done += r->work[s];
	return w ? w : rc;
}

static int plan_step(struct run *r, struct json_object *end)
{
	int declined = 0;
	/* also when a resume redoes it: the operator may never have answered */
	int rc = run_step_plan(r, end, true, &declined);

	if (declined)
		return -ECANCELED;
	return rc;
}

/* Does a step's result stop the run before the erase? */
static bool fatal(enum dsp_run_step s, int rc)
{
	if (rc == 0)
		return false;
	/* files that changed while archived cover nothing: the gate refuses them */
	if (s == DSP_STEP_ARCHIVE && rc == DSP_PARTIAL)
		return false;
	return true;
}

static int pipeline(struct run *r)
{
	static const step_fn fns[] = { run_step_inventory, plan_step, run_step_archive,
				       run_step_verify, run_step_erase };
	int rc = 0, ex = DSP_EXIT_OK, sig;
	const char *status = "success";

	for (int i = 0; i < DSP_STEP_CERTIFY; i++) {
		enum dsp_run_step s = (enum dsp_run_step)i;

		if ((s == DSP_STEP_PLAN && r->st.ended[DSP_STEP_INVENTORY] &&
		     !r->st.ended[DSP_STEP_PLAN] && (rc = check_inventory(r))) ||
		    (s == DSP_STEP_ARCHIVE && r->st.ended[DSP_STEP_PLAN] && !r->plan &&
		     (rc = load_plan(r)))) {
			/* what an earlier step left was changed: nothing more is done */
			ex = run_exit_worse(ex, run_exit_of(rc, 0));
			break;
		}
		if (s == DSP_STEP_ARCHIVE)
			plan_totals(r);
		rc = do_step(r, s, fns[i]);
		if (rc == -ECANCELED)
			return rc;
		if (!r->step_status[s] && r->st.ended[s] && r->st.step_end[s]) {
			/* a step of an earlier session: its outcome counts */
			const char *st = dsp_json_str(r->st.step_end[s], "status");

			if (st && strcmp(st, "success"))
				ex = run_exit_worse(ex, DSP_EXIT_FAILED);
		}
		if (rc == DSP_INTERRUPTED)
			break;
		ex = run_exit_worse(ex, run_exit_of(rc, 0));
		if (fatal(s, rc))
			break;
	}
	sig = run_stopped(r);
	if (rc == DSP_INTERRUPTED) {
		ex = run_exit_of(DSP_INTERRUPTED, sig);
		status = "interrupted";
		run_fail(r, "%s: interrupted; resume with: dispose run --resume --run-dir %s",
			 r->dir, r->dir);
	} else if (ex != DSP_EXIT_OK) {
		const char *es = r->step_status[DSP_STEP_ERASE];

		status = (es && strcmp(es, "not finished")) || r->st.ended[DSP_STEP_ERASE] ?
			 "completed-with-errors" : "failed";
	}
	r->exit = ex;
	snprintf(r->res->status, sizeof(r->res->status), "%s", status);
	if (!dsp_ledger_error(r->l))
		run_end(r, ex, status);
	return rc;
}

/* ---- dry run: inventory and plan, nothing written ---- */

static int dry_run(struct run *r)
{
	struct dsp_plan_opts po = { .inventory = r->o->inventory, .run_dir = r->o->run_dir,
				    .root = r->o->root, .log = r->o->log };
	int rc = run_plan_build(r, &po);

	if (rc)
		return rc;
	r->res->plan = json_object_get(r->plan);
	snprintf(r->res->status, sizeof(r->res->status), "dry-run");
	return 0;
}

/* Does the run's plan name no erase target? (the plan, else its step_end's count) */
static bool no_targets(struct run *r)
{
	struct json_object *t;
	int64_t n = -1;

	if (r->plan && json_object_object_get_ex(r->plan, "targets", &t))
		n = (int64_t)json_object_array_length(t);
	else if (r->st.ended[DSP_STEP_PLAN])
		dsp_json_i64(r->st.step_end[DSP_STEP_PLAN], "targets", &n);
	return n == 0;
}

int dsp_run(const struct dsp_run_opts *o, struct dsp_run_result *res)
{
	struct run r = { .o = o, .res = res };
	struct dsp_log_sink prev = dsp_log_use(o->log);
	int rc;

	memset(res, 0, sizeof(*res));
	res->exit_code = DSP_EXIT_FAILED;
	if ((rc = full_argv(&r)))
		goto out;
	if (o->resume && !o->run_dir) {
		run_fail(&r, "--resume: needs the run directory");
		rc = DSP_INVALID;
		goto out;
	}
	if (o->resume && o->nset) {
		run_fail(&r, "--set: cannot change on --resume (the recorded values are used)");
		rc = DSP_INVALID;
		goto out;
	}
	if (!o->resume && !o->policy) {
		run_fail(&r, "--policy: missing");
		rc = DSP_INVALID;
		goto out;
	}
	if (!o->resume && (rc = load_policy(&r, o->policy, o->set, o->nset)))
		goto out;
	if (o->dry_run) {
		rc = dry_run(&r);
		res->exit_code = run_exit_of(rc, 0);
		goto out;
	}
	/* a signing key that cannot sign is said before anything is done */
	if (!o->resume && (rc = run_signer_load(&r)))
		goto out;
	rc = o->resume ? open_resume(&r) : open_new(&r);
	if (!rc && o->resume)
		rc = run_signer_load(&r);
	snprintf(res->run_dir, sizeof(res->run_dir), "%s", r.dir);
	if (rc)
		goto out;
	snprintf(r.inv, sizeof(r.inv), "%s/inventory.json", r.dir);
	snprintf(r.plan_path, sizeof(r.plan_path), "%s/plan.json", r.dir);
	if (o->resume && r.st.run_end && strcmp(r.st.run_end_status, "interrupted") &&
	    !step_left_open(&r.st)) {
		/* the run ended: only the certificate is left */
		r.exit = (int)r.st.run_end_exit;
		snprintf(res->status, sizeof(res->status), "%s", r.st.run_end_status);
		rc = 0;
	} else {
		if (o->resume) {
			if ((rc = run_append(&r, "run_resumed",
					     dsp_record_run_resumed(r.argc, r.argv))))
				goto out;
			dsp_audit(DSP_AUDIT_NOTICE, "run %s: resumed", r.dir);
		}
		rc = pipeline(&r);
		if (rc == -ECANCELED) {
			/* not confirmed: nothing archived or erased; a new run keeps no record */
			rc = 0;
			res->exit_code = r.exit ? r.exit : DSP_EXIT_REFUSED;
			snprintf(res->status, sizeof(res->status), "not confirmed");
			if (!o->resume) {
				res->run_dir[0] = '\0';
				discard_new(&r);
			}
			goto done;
		}
		if (rc == DSP_INVALID && !o->resume && !r.step_status[DSP_STEP_ARCHIVE]) {
			/*
			 * a policy the plan refuses (a rule that matches nothing), an
			 * inventory that is none: nothing done, nothing kept
			 */
			res->exit_code = DSP_EXIT_USAGE;
			res->run_dir[0] = '\0';
			discard_new(&r);
			goto done;
		}
	}
	res->exit_code = r.exit;
	/* nothing sanitized: no disposal certificate (the record holds the archives) */
	res->nothing_to_erase = no_targets(&r);
	if (strcmp(res->status, "interrupted") && !res->nothing_to_erase) {
		int c = run_certify(&r);

		if (c && res->exit_code == DSP_EXIT_OK)
			res->exit_code = c;
	}
	rc = 0;
	goto done;
out:
	if (rc && res->exit_code == DSP_EXIT_FAILED && !o->dry_run)
		res->exit_code = run_exit_of(rc, 0);
	else if (rc && o->dry_run)
		res->exit_code = run_exit_of(rc, 0);
	if (rc && !res->status[0]) {
		/* never opened (a refused --resume): its one line is said, no run to name */
		res->run_dir[0] = '\0';
		snprintf(res->status, sizeof(res->status), "%s",
			 res->exit_code == DSP_EXIT_REFUSED ? "refused" : "failed");
	}
done:
	if (rc == -ENOMEM && !res->why)
		res->why = strdup("out of memory");
	dsp_ledger_close(r.l);
	dsp_cert_signer_free(r.signer);
	json_object_put(r.plan);
	dsp_policy_free(r.pol);
	state_clear(&r.st);
	free(r.argv);
	dsp_log_use(&prev);
	return rc;
}

void dsp_run_result_clear(struct dsp_run_result *res)
{
	free(res->why);
	res->why = NULL;
	json_object_put(res->plan);
	res->plan = NULL;
}
