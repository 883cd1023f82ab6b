/* SPDX-License-Identifier: MIT */
/* pipeline_steps.c - dispose run's inventory, plan, archive and verify steps */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/archive.h"
#include "dispose/common.h"
#include "dispose/device.h"
#include "dispose/erase.h"
#include "dispose/inventory.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/method.h"
#include "dispose/run.h"
#include "dispose/util.h"
#include "run_int.h"

/* ---- 1 inventory ---- */

static void inv_progress(const struct dsp_inv_progress *p, void *arg)
{
	run_progress(arg, p->path ? p->path : p->section, "scan", p->bytes, 0, 0);
}

/* --inventory FILE: its bytes become RUN_DIR/inventory.json (the run's own copy). */
static int copy_inventory(struct run *r)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = dsp_file_read(r->o->inventory, (size_t)1 << 34, 0, &buf, &len);

	if (rc) {
		run_fail(r, "%s: %s", r->o->inventory, strerror(-rc));
		return DSP_INVALID;
	}
	rc = dsp_file_write(r->inv, buf, len, 0600, 0);
	free(buf);
	if (rc)
		run_fail(r, "%s: %s", r->inv, strerror(-rc));
	return rc;
}

static int scan_inventory(struct run *r)
{
	const struct dsp_policy *p = r->pol;
	const char **roots = calloc(p->nroots + 1, sizeof(*roots));
	struct dsp_inv_opts io = {
		.what = (p->categories & (DSP_INV_SOFTWARE | DSP_INV_DATA | DSP_INV_KEYS |
					  DSP_INV_DEVICES)) | (p->hash ? DSP_INV_HASH : 0),
		.sysroot = p->sysroot && strcmp(p->sysroot, "/") ? p->sysroot : NULL,
		.log = r->o->log, .progress = inv_progress, .progress_arg = r,
	};
	FILE *f = NULL;
	int fd, rc;

	if (!roots)
		return -ENOMEM;
	for (size_t i = 0; i < p->nroots; i++)
		roots[i] = p->roots[i];
	io.roots = p->nroots ? roots : NULL;
	/* a step redone on resume writes it again */
	fd = open(r->inv, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		free(roots);
		run_fail(r, "%s: %s", r->inv, strerror(-rc));
		return rc;
	}
	rc = dsp_inv_write(f, &io);
	free(roots);
	if (fflush(f) || fsync(fileno(f)))
		rc = rc ? rc : -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (rc == 1) {
		run_fail(r, "%s: a whole category could not be scanned (see its errors)", r->inv);
		return DSP_PARTIAL;
	}
	if (rc)
		run_fail(r, "%s: %s", r->inv, strerror(rc < 0 ? -rc : EIO));
	return rc;
}

static int64_t count_of(struct json_object *doc, const char *k)
{
	struct json_object *a;

	return json_object_object_get_ex(doc, k, &a) && json_object_is_type(a, json_type_array) ?
	       (int64_t)json_object_array_length(a) : 0;
}

int run_step_inventory(struct run *r, struct json_object *end)
{
	struct json_object *doc;
	char sha[65];
	int rc = r->o->inventory ? copy_inventory(r) : scan_inventory(r);

	if (rc == -EINTR || (rc && run_stopped(r)))
		return DSP_INTERRUPTED;
	if (rc)
		return rc;
	if ((rc = run_sha256_file(r->inv, sha))) {
		run_fail(r, "%s: %s", r->inv, strerror(-rc));
		return rc;
	}
	json_object_object_add(end, "inventory", json_object_new_string("inventory.json"));
	json_object_object_add(end, "sha256", json_object_new_string(sha));
	doc = json_object_from_file(r->inv);
	if (!doc || !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		run_fail(r, "%s: not an inventory (JSON object)", r->o->inventory ?
			 r->o->inventory : r->inv);
		return DSP_INVALID;
	}
	json_object_object_add(end, "files", json_object_new_int64(count_of(doc, "files")));
	json_object_object_add(end, "keys", json_object_new_int64(count_of(doc, "keys")));
	json_object_object_add(end, "software", json_object_new_int64(count_of(doc, "software")));
	json_object_object_add(end, "devices", json_object_new_int64(count_of(doc, "devices")));
	json_object_put(doc);
	return 0;
}

/* ---- 2 plan ---- */

static struct json_object *plan_arr(struct run *r, const char *k)
{
	struct json_object *a;

	return r->plan && json_object_object_get_ex(r->plan, k, &a) &&
	       json_object_is_type(a, json_type_array) ? a : NULL;
}

/* Add p to the inputs when given. */
static void input(const char **in, size_t *n, size_t max, const char *p)
{
	if (p && p[0] && *n < max)
		in[(*n)++] = p;
}

const char **run_inputs(const struct run *r, size_t *n)
{
	const struct dsp_policy *p = r->pol;
	const struct dsp_policy_cert *c = &p->cert;
	size_t max = 11, k = 0;
	const char **in;
	static char exe[PATH_MAX];	/* R3 #2: the tool running the disposal */

	for (size_t i = 0; i < p->nretain; i++)
		max += p->retain[i].nrecipients;
	max += 2 * p->nerase;
	if (!(in = calloc(max, sizeof(*in))))
		return NULL;
	/* a shipped policy named by name is no file here */
	if (p->path && (strchr(p->path, '/') || strstr(p->path, ".json")))
		input(in, &k, max, p->path);
	if (r->o->policy && (strchr(r->o->policy, '/') || strstr(r->o->policy, ".json")))
		input(in, &k, max, r->o->policy);
	input(in, &k, max, r->o->inventory);
	input(in, &k, max, c->key);
	input(in, &k, max, c->cert);
	input(in, &k, max, c->chain);
	input(in, &k, max, c->passphrase_file);
	input(in, &k, max, c->ca);
	for (size_t i = 0; i < p->nretain; i++)
		for (size_t j = 0; j < p->retain[i].nrecipients; j++)
			input(in, &k, max, p->retain[i].recipients[j]);
	/* method files named by path */
	for (size_t i = 0; i < p->nerase; i++) {
		if (p->erase[i].method && strchr(p->erase[i].method, '/'))
			input(in, &k, max, p->erase[i].method);
		if (p->erase[i].then && strchr(p->erase[i].then, '/'))
			input(in, &k, max, p->erase[i].then);
	}
	if (!exe[0] && !realpath("/proc/self/exe", exe))
		exe[0] = '\0';
	input(in, &k, max, exe);
	input(in, &k, max, dsp_method_data_dir());
	input(in, &k, max, getenv("DISPOSE_METHODS_DIR"));
	*n = k;
	return in;
}

int run_plan_build(struct run *r, struct dsp_plan_opts *po)
{
	char *why = NULL;
	const char **in = run_inputs(r, &po->ninputs);
	int rc;

	if (!in)
		return -ENOMEM;
	po->inputs = in;
	rc = dsp_plan_build(r->pol, po, &r->plan, &why);
	free(in);
	po->inputs = NULL;
	if (rc)
		run_fail(r, "%s", why ? why : rc < 0 ? strerror(-rc) : "no plan");
	free(why);
	return rc;
}

int run_step_plan(struct run *r, struct json_object *end, bool confirm, int *declined)
{
	struct dsp_plan_opts po = { .inventory = r->inv, .run_dir = r->dir, .root = r->o->root,
				    .log = r->o->log };
	char sha[65], *why = NULL;
	struct json_object *a;
	int rc;

	json_object_put(r->plan);
	r->plan = NULL;
	/* the run's own inputs are kept, never erased */
	rc = run_plan_build(r, &po);
	if (rc)
		return rc;
	/* a step redone on resume replaces the plan it may have left */
	rc = dsp_plan_write(r->plan, r->plan_path, r->o->resume, sha, &why);
	if (rc) {
		run_fail(r, "%s", why ? why : strerror(rc < 0 ? -rc : EIO));
		free(why);
		return rc;
	}
	free(why);
	json_object_object_add(end, "plan", json_object_new_string("plan.json"));
	json_object_object_add(end, "sha256", json_object_new_string(sha));
	a = plan_arr(r, "targets");
	json_object_object_add(end, "targets", json_object_new_int64(a ? (int64_t)
					json_object_array_length(a) : 0));
	a = plan_arr(r, "archives");
	json_object_object_add(end, "archives", json_object_new_int64(a ? (int64_t)
					json_object_array_length(a) : 0));
	if (confirm && r->o->confirm) {
		int c = r->o->confirm(r->plan, r->o->arg);

		if (c) {
			r->exit = c;
			*declined = 1;
		}
	}
	return 0;
}

/* ---- 3 archive ---- */

/* A NULL-terminated array of an archive's string member (names as bytes); NULL: none. */
static char **strv(struct json_object *o, const char *k)
{
	struct json_object *a;
	char **v;
	size_t n;

	if (!json_object_object_get_ex(o, k, &a) || !json_object_is_type(a, json_type_array))
		return calloc(1, sizeof(char *));
	n = json_object_array_length(a);
	if (!(v = calloc(n + 1, sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (dsp_json_value_bytes(json_object_array_get_idx(a, i), &v[i], NULL)) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	return v;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* mkdir -p, 0700 for what it makes */
static int mkdirs(const char *dir)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * An archive_start without archive_created: what create left when it was
 * killed. Exactly NAME and its companions, nothing else: create never
 * replaces an archive (-EEXIST), and these were this run's.
 */
static void remove_leftovers(struct run *r, const char *name)
{
	static const char *const sfx[] = { "", DSP_ENV_SUFFIX, DSP_BAG_INFO_SUFFIX,
					   DSP_FAILED_SUFFIX, DSP_ENV_SUFFIX DSP_FAILED_SUFFIX };
	char p[PATH_MAX + 32];

	for (size_t i = 0; i < DSP_ARRAY_SIZE(sfx); i++) {
		snprintf(p, sizeof(p), "%s%s", name, sfx[i]);
		if (unlink(p) == 0)
			dsp_log(DSP_LOG_INFO, "%s: removed (left by the interrupted archive step)",
				p);
	}
}

struct arc_prog {
	struct run *r;
	const char *name;
};

static void arc_progress(const struct dsp_archive_progress *p, void *arg)
{
	struct arc_prog *ap = arg;

	run_progress(ap->r, ap->name, p->phase, p->done, p->total,
		     ap->r->step_base + (p->all_done ? p->all_done : p->done));
}

static int create_one(struct run *r, struct json_object *a, const char *id, const char *name,
		      struct dsp_archive_result *ar)
{
	char **roots = strv(a, "roots"), **ex = strv(a, "excludes"), **rcp = strv(a, "recipients");
	char dir[PATH_MAX];
	bool hold = false;
	struct arc_prog ap = { r, name };
	struct dsp_archive_opts ao = {
		.retain_until = dsp_json_str(a, "retain_until"),
		.series = dsp_json_str(a, "series"),
		.authority = dsp_json_str(a, "authority"),
		.organization = dsp_json_str(a, "organization"),
		.ledger = r->l,
		.stop = (const volatile int *)r->o->stop,
		.progress = arc_progress, .progress_arg = &ap,
	};
	struct json_object *ev;
	int rc = -ENOMEM;

	if (!roots || !ex || !rcp)
		goto out;
	dsp_json_bool(a, "legal_hold", &hold);
	ao.legal_hold = hold;
	ao.roots = (const char *const *)roots;
	ao.excludes = (const char *const *)ex;
	ao.recipients = rcp[0] ? (const char *const *)rcp : NULL;
	snprintf(dir, sizeof(dir), "%s", name);
	if ((rc = mkdirs(dirname(dir)))) {
		run_fail(r, "%s: cannot make the archive's directory: %s", name, strerror(-rc));
		goto out;
	}
	if (!(ev = json_object_new_object()))
		goto out;
	json_object_object_add(ev, "id", json_object_new_string(id));
	dsp_json_add_bytes(ev, "archive", name);
	if ((rc = run_append(r, "archive_start", ev)))
		goto out;
	rc = dsp_archive_create(name, &ao, ar);
	if (rc == -EINTR)
		rc = DSP_INTERRUPTED;
	else if (rc == DSP_PARTIAL)
		dsp_log(DSP_LOG_WARN, "%s: %llu file%s changed while archived: not retained, so "
			"not erased", name, (unsigned long long)ar->changed,
			ar->changed == 1 ? "" : "s");
	else if (rc)
		run_fail(r, "%s: archive %s not created: %s%s", name, id,
			 ar->bad_path[0] ? ar->bad_path : rc < 0 ? strerror(-rc) : "failed",
			 "; nothing retained is erased");
out:
	if (rc == -ENOMEM)
		run_fail(r, "%s: out of memory", name);
	strv_free(roots);
	strv_free(ex);
	strv_free(rcp);
	return rc;
}

int run_step_archive(struct run *r, struct json_object *end)
{
	struct json_object *arcs = plan_arr(r, "archives"), *out = json_object_new_array();
	int worst = 0;

	if (!out)
		return -ENOMEM;
	json_object_object_add(end, "archives", out);
	for (size_t i = 0; arcs && i < json_object_array_length(arcs); i++) {
		struct json_object *a = json_object_array_get_idx(arcs, i), *done, *e;
		struct dsp_archive_result ar = { 0 };
		const char *id = dsp_json_str(a, "id"), *sha = NULL;
		char *name = NULL;
		uint64_t bytes = 0;
		int rc;

		if (!id || dsp_json_bytes(a, "archive", &name, NULL)) {
			run_fail(r, "%s: archives[%zu]: no id or archive", r->plan_path, i);
			return DSP_INVALID;
		}
		if (json_object_object_get_ex(r->st.arc_created, name, &done)) {
			/* created before the interruption: never twice */
			sha = dsp_json_str(done, "sha256");
			rc = 0;
		} else {
			if (json_object_object_get_ex(r->st.arc_started, id, NULL))
				remove_leftovers(r, name);
			rc = create_one(r, a, id, name, &ar);
			sha = ar.sha256;
		}
		if (rc == DSP_INTERRUPTED || run_stopped(r)) {
			free(name);
			return DSP_INTERRUPTED;
		}
		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(id));
		dsp_json_add_bytes(e, "archive", name);
		json_object_object_add(e, "status", json_object_new_string(
			rc == DSP_PARTIAL ? "completed-with-errors" : rc ? "failed" : "success"));
		if (!rc || rc == DSP_PARTIAL)
			json_object_object_add(e, "sha256", json_object_new_string(sha ? sha : ""));
		json_object_array_add(out, e);
		free(name);
		dsp_json_u64(a, "bytes", &bytes);
		r->step_base += 2 * bytes;
		if (rc == DSP_PARTIAL) {
			worst = DSP_PARTIAL;
			continue;
		}
		if (rc)
			return rc == DSP_INVALID || rc == -EEXIST ? DSP_REFUSED : rc;
	}
	return worst;
}

/* ---- 4 verify ---- */

static int recipients_of(struct json_object *a)
{
	struct json_object *v;

	return json_object_object_get_ex(a, "recipients", &v) &&
	       json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0;
}

/* An encrypted archive with no key here: its files still as archive_created recorded them. */
static int check_encrypted(struct run *r, const char *id, const char *name,
			   struct json_object *out)
{
	struct json_object *ev = NULL, *o;
	const char *want = NULL, *want_env = NULL, *result = "ok";
	char sha[65] = "", esha[65] = "", env[PATH_MAX + 8];
	int rc;

	if (json_object_object_get_ex(r->st.arc_created, name, &ev)) {
		want = dsp_json_str(ev, "sha256");
		want_env = dsp_json_str(ev, "envelope_sha256");
	}
	snprintf(env, sizeof(env), "%s%s", name, DSP_ENV_SUFFIX);
	if (!want || !want_env) {
		result = "not in the record";
		rc = DSP_MISMATCH;
	} else if ((rc = run_sha256_file(name, sha)) || (rc = run_sha256_file(env, esha))) {
		result = "unreadable";
		rc = DSP_MISMATCH;
	} else if (strcmp(sha, want) || strcmp(esha, want_env)) {
		result = "mismatch";
		rc = DSP_MISMATCH;
	}
	if (!(o = json_object_new_object()))
		return -ENOMEM;
	json_object_object_add(o, "id", json_object_new_string(id));
	dsp_json_add_bytes(o, "archive", name);
	json_object_object_add(o, "result", json_object_new_string(result));
	json_object_object_add(o, "how", json_object_new_string(
		"encrypted, no key here: create's read-back stands; the ciphertext and envelope "
		"SHA-256 checked against archive_created"));
	if (sha[0])
		json_object_object_add(o, "sha256", json_object_new_string(sha));
	if (esha[0])
		json_object_object_add(o, "envelope_sha256", json_object_new_string(esha));
	if (run_append(r, "archive_checked", o))
		return -EIO;
	json_object_object_add(out, "result", json_object_new_string(result));
	if (rc)
		run_fail(r, "%s: archive %s: %s; nothing retained is erased", name, id, result);
	return rc;
}

int run_step_verify(struct run *r, struct json_object *end)
{
	struct json_object *arcs = plan_arr(r, "archives"), *out = json_object_new_array();
	struct dsp_archive_cover *cover = NULL;
	int worst = 0, rc;

	if (!out)
		return -ENOMEM;
	json_object_object_add(end, "archives", out);
	/* what the archive step recorded, this session's included */
	if ((rc = dsp_archive_cover_load(r->dir, &cover))) {
		run_fail(r, "%s: the record's archives cannot be read: %s", r->dir,
			 strerror(-rc));
		return DSP_MISMATCH;
	}
	dsp_archive_cover_free(cover);
	/* the archive_created events of this session too: read the record again */
	if ((rc = run_state_read(r)))
		return rc;
	for (size_t i = 0; arcs && i < json_object_array_length(arcs); i++) {
		struct json_object *a = json_object_array_get_idx(arcs, i), *e;
		struct dsp_archive_result ar = { 0 };
		const char *id = dsp_json_str(a, "id");
		char *name = NULL;

		if (!id || dsp_json_bytes(a, "archive", &name, NULL))
			return DSP_INVALID;
		if (!(e = json_object_new_object())) {
			free(name);
			return -ENOMEM;
		}
		json_object_object_add(e, "id", json_object_new_string(id));
		json_object_array_add(out, e);
		if (run_stopped(r)) {
			free(name);
			return DSP_INTERRUPTED;
		}
		run_progress(r, name, "verify", 0, 0, r->step_base);
		if (recipients_of(a)) {
			rc = check_encrypted(r, id, name, e);
		} else {
			rc = dsp_archive_verify(name, NULL, NULL, r->l, &ar);
			json_object_object_add(e, "result", json_object_new_string(
				rc == 0 ? "ok" : rc == DSP_MISMATCH ? "mismatch" : "failed"));
			if (rc)
				run_fail(r, "%s: archive %s does not verify: %s; nothing retained "
					 "is erased", name, id, ar.bad_path[0] ? ar.bad_path :
					 rc < 0 ? strerror(-rc) : "failed");
		}
		free(name);
		{
			uint64_t b = 0;

			dsp_json_u64(a, "bytes", &b);
			r->step_base += b;
		}
		if (rc) {
			/* a damaged archive is a verification mismatch, whatever the cause */
			worst = rc == DSP_MISMATCH || rc == DSP_INVALID ? DSP_MISMATCH : rc;
			break;
		}
	}
	return worst;
}

/* ---- 5 erase: the plan's targets as the session found them ---- */

/* The inventory's device entry (partitions too) whose path is path, or NULL. */
static struct json_object *inv_device(struct json_object *arr, const char *path)
{
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) &&
	     i < json_object_array_length(arr); i++) {
		struct json_object *d = json_object_array_get_idx(arr, i), *parts, *f;
		const char *p = dsp_json_str(d, "path");

		if (p && !strcmp(p, path))
			return d;
		if (json_object_object_get_ex(d, "partitions", &parts) &&
		    (f = inv_device(parts, path)))
			return f;
	}
	return NULL;
}

/*
 * An id the inventory recorded (udev's in key, sysfs's own in key2 when it
 * differed) that matches neither of the medium's now: another medium.
 */
static bool differs(struct json_object *d, const char *key, const char *key2, const char *now,
		    const char *now2)
{
	const char *was = dsp_json_str(d, key), *was2 = dsp_json_str(d, key2);

	if (!was || !was[0])
		return false;
	return strcmp(was, now) && strcmp(was, now2) && (!was2 || !was2[0] ||
							 (strcmp(was2, now) && strcmp(was2, now2)));
}

/*
 * Each block target must still be the medium the inventory recorded: a
 * disk swapped, or a loop device reattached to another image, between the
 * inventory and the erase is refused (exit 4), nothing written.
 */
int run_erase_expect(struct run *r, const struct dsp_erase_session *s)
{
	struct json_object *inv = json_object_from_file(r->inv), *devs = NULL;
	int rc = 0;

	if (inv)
		json_object_object_get_ex(inv, "devices", &devs);
	for (unsigned i = 0; i < dsp_erase_session_count(s); i++) {
		const struct dsp_erase_checked *t = dsp_erase_session_target(s, i, NULL);
		const struct dsp_blkdev_info *in = &t->info;
		struct json_object *d;
		int64_t size = -1;
		const char *what = NULL;

		if (!t || t->kind != DSP_ERASE_BLOCK)
			continue;
		d = t->have_info ? inv_device(devs, in->path) : NULL;
		if (!d && t->have_info && t->given)
			d = inv_device(devs, t->given);
		if (!d) {
			run_fail(r, "%s: not a device the inventory (%s) recorded: refused; nothing "
				 "erased", t->path, r->inv);
			rc = DSP_REFUSED;
			continue;
		}
		dsp_json_i64(d, "size", &size);
		if (size >= 0 && (uint64_t)size != in->size)
			what = "size";
		else if (differs(d, "serial", "sysfs_serial", in->serial, in->sysfs_serial))
			what = "serial";
		else if (differs(d, "wwn", "sysfs_wwid", in->wwn, in->sysfs_wwn))
			what = "WWN";
		else if (differs(d, "model", "model", in->model, in->model))
			what = "model";
		else if (dsp_json_str(d, "backing_file") &&
			 strcmp(dsp_json_str(d, "backing_file"), in->backing_file))
			what = "backing file";
		if (what) {
			run_fail(r, "%s: not the medium the inventory recorded (its %s differs): "
				 "another medium; refused; nothing erased", t->path, what);
			rc = DSP_REFUSED;
		}
	}
	json_object_put(inv);
	return rc;
}
