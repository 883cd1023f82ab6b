/* SPDX-License-Identifier: MIT */
/* build.c - the certificate document (dispose-certificate/1), built only from run records */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOTICE "The signature of this document attests its bytes, produced by dispose from " \
	"the run records it names; it does not attest any person. Fields under \"attested\" " \
	"are the operator's statements, not checked by dispose."

/* ---- small helpers ---- */

static struct json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

/* A new reference to o[k] (NULL when absent or null). */
static struct json_object *jref(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !v)
		return NULL;
	return json_object_get(v);
}

/* o[k] copied when it has type t, else null. */
static struct json_object *jtyped(struct json_object *o, const char *k, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
		return NULL;
	return json_object_get(v);
}

static int64_t i64_or(struct json_object *o, const char *k, int64_t dflt)
{
	int64_t v;

	return dsp_json_i64(o, k, &v) ? dflt : v;
}

static int64_t i64_max(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int cat_rank(const char *c)
{
	if (c && !strcmp(c, "purge"))
		return 2;
	if (c && !strcmp(c, "clear"))
		return 1;
	return 0;
}

static const char *cat_name(int r)
{
	return r == 2 ? "purge" : r == 1 ? "clear" : "none";
}

/* ---- times ---- */

/* "YYYY-MM-DDTHH:MM:SSZ", a real UTC date and time. */
static bool rfc3339_valid(const char *s)
{
	struct tm tm = { 0 };
	char back[32];
	const char *end;
	time_t t;

	if (strlen(s) != 20)
		return false;
	for (int i = 0; i < 20; i++) {
		char c = s[i];
		bool digit = c >= '0' && c <= '9';
		switch (i) {
		case 4: case 7: if (c != '-') return false; break;
		case 10: if (c != 'T') return false; break;
		case 13: case 16: if (c != ':') return false; break;
		case 19: if (c != 'Z') return false; break;
		default: if (!digit) return false;
		}
	}
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return false;
	if ((t = timegm(&tm)) == (time_t)-1)
		return false;
	if (!gmtime_r(&t, &tm) || !strftime(back, sizeof(back), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return false;
	return !strcmp(back, s);	/* 2026-02-30 and 25:00 do not come back */
}

static void now_rfc3339(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- attested ---- */

static const char *const destinations[] = {
	"internal-reuse", "external-reuse", "recycling", "manufacturer",
};

static int parse_destination(const char *d, struct json_object **out, char **why)
{
	struct json_object *o = json_object_new_object();

	*out = o;
	if (!o)
		return -ENOMEM;
	if (!d) {
		add(o, "type", NULL);
		add(o, "details", NULL);
		return 0;
	}
	for (size_t i = 0; i < DSP_ARRAY_SIZE(destinations); i++)
		if (!strcmp(d, destinations[i])) {
			add(o, "type", jstr(d));
			add(o, "details", NULL);
			return 0;
		}
	if (!strncmp(d, "other:", 6) && d[6] && dsp_utf8_valid(d + 6, strlen(d + 6))) {
		add(o, "type", jstr("other"));
		add(o, "details", jstr(d + 6));
		return 0;
	}
	return cert_why(why, DSP_INVALID,
			"--media-destination: '%s' is not one of internal-reuse, external-reuse, "
			"recycling, manufacturer, other:TEXT", d);
}

/* An attested string: given text must be UTF-8 (it is a statement, not a name on disk). */
static int attest_str(struct json_object *o, const char *k, const char *opt, const char *v,
		      char **why)
{
	if (v && !dsp_utf8_valid(v, strlen(v)))
		return cert_why(why, DSP_INVALID, "%s: not UTF-8 text", opt);
	add(o, k, jstr(v));
	return 0;
}

static int build_attested(const struct dsp_cert_attest *a, struct json_object **out,
			  struct json_object **dest, char **why)
{
	static const struct dsp_cert_attest none;
	struct json_object *o = json_object_new_object(), *s, *v, *l;
	int rc;

	*out = o;
	if (!a)
		a = &none;
	s = json_object_new_object();
	add(o, "sanitization", s);
	if ((rc = attest_str(s, "name", "--operator", a->operator_name, why)) ||
	    (rc = attest_str(s, "title", "--operator-title", a->operator_title, why)) ||
	    (rc = attest_str(s, "organization", "--organization", a->organization, why)) ||
	    (rc = attest_str(s, "location", "--location", a->location, why)) ||
	    (rc = attest_str(s, "contact", "--contact", a->contact, why)))
		return rc;
	v = json_object_new_object();
	add(o, "verification", v);
	if ((rc = attest_str(v, "name", "--verifier", a->verifier, why)))
		return rc;
	l = json_object_new_object();
	add(o, "validation", l);
	if ((rc = attest_str(l, "name", "--validator", a->validator, why)) ||
	    (rc = attest_str(o, "property_number", "--property-number", a->property_number, why)) ||
	    (rc = attest_str(o, "classification", "--classification", a->classification, why)))
		return rc;
	if ((rc = parse_destination(a->media_destination, dest, why)))
		return rc;
	add(o, "media_destination", json_object_get(*dest));
	return 0;
}

/* ---- what the events say beyond struct dsp_record ---- */

struct agg {
	struct json_object *targets;	/* id -> {started, ended, parent, passes{}, ...} */
	char *run_started, *run_ended;
	/* dispose run: the SHA-256 its inventory and plan steps recorded (the last step_end) */
	char *inventory_sha256, *plan_sha256;
	/* dispose run: why its steps did not succeed, one line each (a failure report says it) */
	struct json_object *step_lines;
	bool erase_refused;		/* its erase step ended refused (by the target checks) */
};

static bool hex64(const char *s)
{
	size_t n = 0;

	for (; s && ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')); n++)
		;
	return s && n == 64 && !s[n];
}

/* One line of what a run's step did not do (raw bytes escaped: the record is outside input). */
static int step_line(struct agg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int step_line(struct agg *g, const char *fmt, ...)
{
	char *line = NULL, *e;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	e = dsp_json_escape_text(line, (size_t)n);
	free(line);
	if (!e)
		return -ENOMEM;
	json_object_array_add(g->step_lines, json_object_new_string(e));
	free(e);
	return 0;
}

static bool ok_word(const char *s)
{
	return s && (!strcmp(s, "success") || !strcmp(s, "ok") || !strcmp(s, "verified"));
}

/* A step of dispose run that did not succeed: the archives it names that failed, or itself. */
static int step_failed(struct agg *g, struct json_object *ev, const char *step, const char *st)
{
	struct json_object *arr = NULL;
	bool named = false;
	int rc;

	if (!strcmp(step, "erase")) {
		/* its targets say what failed; refused before erase_start: nothing did */
		g->erase_refused = !strcmp(st, "refused");
		return 0;
	}
	if (json_object_object_get_ex(ev, "archives", &arr) &&
	    json_object_is_type(arr, json_type_array))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *a = json_object_array_get_idx(arr, i);
			const char *id = dsp_json_str(a, "id"), *path = dsp_json_str(a, "archive");
			const char *res = dsp_json_str(a, "status") ?: dsp_json_str(a, "result");

			if (ok_word(res))
				continue;
			named = true;
			if ((rc = step_line(g, "archive %s%s%s: %s %s", id ? id : "?", path ? " " : "",
					    path ? path : "", !strcmp(step, "verify") ?
					    "verification" : "creation", res ? res : "failed")))
				return rc;
		}
	return named ? 0 : step_line(g, "step %s: %s", step, st);
}

/*
 * A step_end of dispose run: the inventory and plan steps' digest of the
 * file each wrote; a step that did not succeed, why (as lines).
 */
static int on_step_end(struct agg *g, struct json_object *ev)
{
	const char *step = dsp_json_str(ev, "step"), *sha = dsp_json_str(ev, "sha256");
	const char *st = dsp_json_str(ev, "status");
	char **slot = !step ? NULL : !strcmp(step, "inventory") ? &g->inventory_sha256 :
		      !strcmp(step, "plan") ? &g->plan_sha256 : NULL;
	int rc;

	if (step && st && !ok_word(st) && (rc = step_failed(g, ev, step, st)))
		return rc;
	if (!slot || !hex64(sha))
		return 0;
	free(*slot);
	return (*slot = strdup(sha)) ? 0 : -ENOMEM;
}

static struct json_object *agg_of(struct agg *g, const char *id)
{
	struct json_object *a;

	if (json_object_object_get_ex(g->targets, id, &a))
		return a;
	a = json_object_new_object();
	add(a, "passes", json_object_new_object());
	add(a, "bytes_read", jint(0));
	add(a, "unreadable_bytes", jint(0));
	json_object_object_add(g->targets, id, a);
	return a;
}

static void bump(struct json_object *a, const char *k, int64_t by)
{
	add(a, k, jint(i64_or(a, k, 0) + by));
}

static int visit(struct json_object *ev, void *arg)
{
	struct agg *g = arg;
	const char *name = dsp_json_str(ev, "event"), *tm = dsp_json_str(ev, "time");
	const char *id = dsp_json_str(ev, "target");
	struct json_object *a, *passes, *p;
	char key[24];
	int64_t n;

	if (!name)
		return 0;
	if (!strcmp(name, "run_start") && !g->run_started && tm)
		g->run_started = strdup(tm);
	if (!strcmp(name, "run_end") && tm) {
		free(g->run_ended);
		g->run_ended = strdup(tm);
	}
	if (!strcmp(name, "step_end"))
		return on_step_end(g, ev);
	if (!strcmp(name, "archive_failed")) {
		const char *ar = dsp_json_str(ev, "archive"), *res = dsp_json_str(ev, "result");
		const char *err = dsp_json_str(ev, "error"), *why = dsp_json_str(ev, "reason");

		return step_line(g, "archive %s: %s%s%s%s%s%s", ar ? ar : "?", res ? res : "failed",
				 err ? ": " : "", err ? err : "", why ? " (" : "", why ? why : "",
				 why ? ")" : "");
	}
	if (!id)
		return 0;
	a = agg_of(g, id);
	if (!strcmp(name, "target") || !strcmp(name, "target_resumed")) {
		if (!json_object_object_get_ex(a, "started", NULL))
			add(a, "started", jstr(tm));
		if (dsp_json_str(ev, "parent") && !json_object_object_get_ex(a, "parent", NULL))
			add(a, "parent", jstr(dsp_json_str(ev, "parent")));
	} else if (!strcmp(name, "target_end")) {
		add(a, "ended", jstr(tm));
	} else if (!strcmp(name, "pass_start") || !strcmp(name, "pass_end") ||
		   !strcmp(name, "checkpoint")) {
		if (dsp_json_i64(ev, "pass", &n) || n < 1)
			return 0;
		snprintf(key, sizeof(key), "%lld", (long long)n);
		json_object_object_get_ex(a, "passes", &passes);
		if (!json_object_object_get_ex(passes, key, &p)) {
			p = json_object_new_object();
			add(p, "pass", jint(n));
			add(p, "label", NULL);
			add(p, "pattern", NULL);
			add(p, "bytes_written", jint(0));
			add(p, "complete", json_object_new_boolean(0));
			json_object_object_add(passes, key, p);
		}
		if (!strcmp(name, "pass_start")) {
			add(p, "label", jtyped(ev, "label", json_type_string));
			add(p, "pattern", jtyped(ev, "pattern", json_type_object));
		} else if (!strcmp(name, "checkpoint")) {
			/* a pass cut short has no pass_end: what its checkpoints say is written */
			int64_t off = i64_or(ev, "offset", 0);
			if (off > i64_or(p, "checkpointed", 0))
				add(p, "checkpointed", jint(off));
		} else {
			/* a resumed pass's end counts what earlier sessions covered too */
			add(p, "bytes_written", jint(i64_or(ev, "bytes_written", 0)));
			add(p, "complete", json_object_new_boolean(
				    json_object_get_boolean(json_object_object_get(ev, "complete"))));
		}
	} else if (!strcmp(name, "verify_start")) {
		const char *mode = dsp_json_str(ev, "mode");
		if (mode && !strcmp(mode, "sample")) {
			add(a, "sample_method", jtyped(ev, "method", json_type_string));
			add(a, "sample_seed", jtyped(ev, "seed", json_type_string));
			add(a, "sample_percent", jtyped(ev, "percent", json_type_string));
		}
	} else if (!strcmp(name, "verify_end")) {
		/* per pass the last verify_end (a resumed read-back counts on); summed over passes */
		struct json_object *vp, *e;
		int64_t rd = 0, un = 0;
		if (dsp_json_i64(ev, "pass", &n))
			n = 0;
		snprintf(key, sizeof(key), "%lld", (long long)n);
		if (!json_object_object_get_ex(a, "verify_passes", &vp)) {
			vp = json_object_new_object();
			json_object_object_add(a, "verify_passes", vp);
		}
		e = json_object_new_object();
		add(e, "bytes_read", jint(i64_or(ev, "bytes_read", 0)));
		add(e, "unreadable_bytes", jint(i64_or(ev, "unreadable_bytes", 0)));
		json_object_object_add(vp, key, e);
		json_object_object_foreach(vp, k, x) {
			(void)k;
			rd += i64_or(x, "bytes_read", 0);
			un += i64_or(x, "unreadable_bytes", 0);
		}
		add(a, "bytes_read", jint(rd));
		add(a, "unreadable_bytes", jint(un));
	}
	return 0;
}

/* ---- one run ---- */

struct run {
	char *dir;			/* realpath */
	struct dsp_record *rec;
	struct agg agg;
};

static void run_free(struct run *r)
{
	free(r->dir);
	dsp_record_free(r->rec);
	json_object_put(r->agg.targets);
	json_object_put(r->agg.step_lines);
	free(r->agg.run_started);
	free(r->agg.run_ended);
	free(r->agg.inventory_sha256);
	free(r->agg.plan_sha256);
}

static int run_load(const char *dir, struct run *r, char **why)
{
	uint64_t bad = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!(r->dir = realpath(dir, NULL)))
		return cert_why(why, errno == ENOMEM ? -ENOMEM : DSP_INVALID, "%s: %s", dir,
				strerror(errno));
	rc = dsp_record_read(r->dir, &r->rec);
	if (rc == -ENOENT)
		return cert_why(why, DSP_INVALID, "%s: no run record (%s)", dir, DSP_LEDGER_FILE);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		return cert_why(why, DSP_INVALID, "%s: run record unreadable: %s", dir, strerror(-rc));
	if (r->rec->chain)
		return cert_why(why, DSP_INVALID, "%s: run record's hash chain is broken at line %llu",
				dir, (unsigned long long)r->rec->bad_line);
	if (r->rec->torn)
		return cert_why(why, DSP_INVALID, "%s: run record ends in a torn line", dir);
	if (!r->rec->schema)
		return cert_why(why, DSP_INVALID, "%s: run record has no schema (older than %s)",
				dir, DSP_RECORD_SCHEMA);
	if (strcmp(r->rec->schema, DSP_RECORD_SCHEMA))
		return cert_why(why, DSP_INVALID, "%s: unknown run record schema '%s'", dir,
				r->rec->schema);
	if (!r->rec->run_end)
		return cert_why(why, DSP_INVALID, "%s: run has no run_end (still running, or cut short)",
				dir);
	if (!(r->agg.targets = json_object_new_object()) ||
	    !(r->agg.step_lines = json_object_new_array()))
		return -ENOMEM;
	rc = dsp_record_read_events(r->dir, visit, &r->agg, &bad);
	if (rc == DSP_MISMATCH)
		return cert_why(why, DSP_INVALID, "%s: run record is broken at line %llu", dir,
				(unsigned long long)bad);
	if (rc)
		return rc == -ENOMEM ? rc : cert_why(why, DSP_INVALID, "%s: run record unreadable: %s",
						     dir, strerror(-rc));
	return 0;
}

static struct json_object *run_doc(const struct run *r)
{
	struct json_object *o = json_object_new_object(), *rs = r->rec->run_start;

	dsp_json_add_bytes(o, "run_dir", r->dir);
	add(o, "command", jstr(r->rec->command));
	add(o, "schema", jstr(r->rec->schema));
	add(o, "version", jtyped(rs, "version", json_type_string));
	add(o, "gitrev", jtyped(rs, "gitrev", json_type_string));
	dsp_json_add_bytes(o, "host", dsp_json_str(rs, "host"));
	dsp_json_add_bytes(o, "operator", dsp_json_str(rs, "operator"));
	add(o, "started", jstr(r->agg.run_started));
	add(o, "ended", jstr(r->agg.run_ended));
	add(o, "status", jstr(r->rec->run_end_status));
	add(o, "exit", jint(r->rec->run_end_exit));
	add(o, "events", jint((int64_t)r->rec->events));
	add(o, "head", jstr(r->rec->head));
	/* dispose run: which policy, inventory and plan it carried out (only when recorded) */
	if (json_object_is_type(json_object_object_get(rs, "policy"), json_type_object)) {
		struct json_object *p = json_object_new_object(), *rp;
		const char *sha;

		json_object_object_get_ex(rs, "policy", &rp);
		sha = dsp_json_str(rp, "sha256");
		add(p, "name", jtyped(rp, "name", json_type_string));
		add(p, "sha256", hex64(sha) ? jstr(sha) : NULL);
		add(o, "policy", p);
	}
	if (r->agg.inventory_sha256) {
		struct json_object *i = json_object_new_object();

		add(i, "sha256", jstr(r->agg.inventory_sha256));
		add(o, "inventory", i);
	}
	if (r->agg.plan_sha256) {
		struct json_object *p = json_object_new_object();

		add(p, "sha256", jstr(r->agg.plan_sha256));
		add(o, "plan", p);
	}
	return o;
}

/* ---- archives ---- */

static struct json_object *recipient_doc(struct json_object *e)
{
	struct json_object *o = json_object_new_object();
	static const char *const keys[] = { "subject", "issuer", "serial", "sha256" };

	for (size_t i = 0; i < DSP_ARRAY_SIZE(keys); i++) {
		char *b = NULL;
		/* a recipient named only by its PEM path (older records): identity unknown */
		if (json_object_is_type(e, json_type_object) && !dsp_json_bytes(e, keys[i], &b, NULL))
			dsp_json_add_bytes(o, keys[i], b);
		else
			add(o, keys[i], NULL);
		free(b);
	}
	return o;
}

static struct json_object *archive_doc(size_t run, const struct dsp_record_archive *ar,
				       bool verified_event)
{
	struct json_object *o = json_object_new_object(), *ev = ar->event, *rcp, *arr, *bi;
	bool encrypted = false, verified = false;
	const char *res;

	add(o, "run", jint((int64_t)run));
	dsp_json_add_bytes(o, "path", ar->path);
	add(o, "external_identifier", jstr(ar->id));
	add(o, "bytes", jtyped(ev, verified_event ? "payload_bytes" : "bytes", json_type_int));
	add(o, "sha256", jtyped(ev, "sha256", json_type_string));
	dsp_json_bool(ev, "encrypted", &encrypted);
	add(o, "encrypted", json_object_new_boolean(encrypted));
	add(o, "envelope_sha256", jtyped(ev, "envelope_sha256", json_type_string));
	arr = json_object_new_array();
	if ((json_object_object_get_ex(ev, "recipient_certificates", &rcp) ||
	     json_object_object_get_ex(ev, "recipients", &rcp)) &&
	    json_object_is_type(rcp, json_type_array))
		for (size_t i = 0; i < json_object_array_length(rcp); i++)
			json_object_array_add(arr, recipient_doc(json_object_array_get_idx(rcp, i)));
	add(o, "recipients", arr);
	if (verified_event) {
		res = dsp_json_str(ev, "result");
		verified = res && (!strcmp(res, "ok") || !strcmp(res, "success") ||
				   !strcmp(res, "verified"));
	} else {
		dsp_json_bool(ev, "verified", &verified);
	}
	add(o, "verified", json_object_new_boolean(verified));
	bi = NULL;
	json_object_object_get_ex(ev, "bag_info", &bi);
	add(o, "retain_until", jtyped(ev, "retain_until", json_type_string) ?:
				       jtyped(bi, "Retain-Until", json_type_string));
	return o;
}

/* ---- targets ---- */

static const char *const ident_keys[] = {
	"vendor", "model", "serial", "wwn", "size", "logical_sector", "physical_sector",
	"rotational", "transport", "devno", "dev", "ino", "fstype",
	"name", "partition", "backing_file", "backing_dev", "backing_ino", "backing_size",
};

static struct json_object *identity_doc(const struct dsp_record_target *t)
{
	struct json_object *o = json_object_new_object(), *id = t->identity, *v;

	for (size_t i = 0; i < DSP_ARRAY_SIZE(ident_keys); i++) {
		const char *k = ident_keys[i];
		v = id && json_object_object_get_ex(id, k, &v) ? v : NULL;
		if (!strcmp(k, "size") && !v)
			v = t->size;
		if (json_object_is_type(v, json_type_string))
			dsp_json_add_bytes(o, k, json_object_get_string(v));
		else if (json_object_is_type(v, json_type_int) ||
			 json_object_is_type(v, json_type_boolean))
			add(o, k, json_object_get(v));
		else
			add(o, k, NULL);
	}
	return o;
}

/* What the technique aims at: only a whole block device can be cleared. */
static const char *requested_of(const struct dsp_record_target *t)
{
	bool part = false;

	if (!t->kind || strcmp(t->kind, "block"))
		return "none";
	dsp_json_bool(t->identity, "partition", &part);
	return part ? "none" : "clear";
}

static const char *nist_word(const char *cat)
{
	return !strcmp(cat, "purge") ? "Purge" : !strcmp(cat, "clear") ? "Clear" : "none";
}

static const char *media_type_of(const struct dsp_record_target *t)
{
	bool rot;

	if (!t->kind)
		return NULL;
	if (!strcmp(t->kind, "file"))
		return "file";
	if (!strcmp(t->kind, "tree"))
		return "directory tree";
	if (strcmp(t->kind, "block"))
		return NULL;
	bool loop = t->identity &&
		    json_object_get_type(json_object_object_get(t->identity, "backing_file")) ==
			    json_type_string;

	/* a loop's rotational flag says nothing of the medium under its backing file */
	if (dsp_json_bool(t->identity, "rotational", &rot))
		return loop ? "loop device backed by a file (medium type unknown)" :
			      "block device (medium type unknown)";
	if (loop)
		return rot ? "loop device backed by a file (the kernel reports it rotational; the "
			     "medium holding that file was not examined)" :
			     "loop device backed by a file (the kernel reports it non-rotational; the "
			     "medium holding that file was not examined)";
	return rot ? "block device, magnetic (the kernel reports it rotational)" :
		     "block device, flash or other non-rotational (the kernel reports it non-rotational)";
}

/* Passes of id, or of the files of tree id summed pass by pass. */
static struct json_object *passes_doc(const struct run *r, const char *id, bool tree)
{
	struct json_object *out = json_object_new_array(), *sum = json_object_new_object();
	struct json_object *ps, *pat;

	json_object_object_foreach(r->agg.targets, tid, a) {
		const char *parent = dsp_json_str(a, "parent");
		if (tree ? !(parent && !strcmp(parent, id)) : strcmp(tid, id))
			continue;
		json_object_object_get_ex(a, "passes", &ps);
		json_object_object_foreach(ps, k, p) {
			struct json_object *s;
			if (!json_object_object_get_ex(sum, k, &s)) {
				json_object_object_add(sum, k, json_object_get(p));
				continue;
			}
			/* the tree's files: sizes add up; a random key differs per file */
			if (s == p)
				continue;
			s = json_object_get(s);
			{
				struct json_object *c = NULL;
				json_object_deep_copy(s, &c, NULL);
				json_object_put(s);
				s = c;
			}
			bump(s, "bytes_written", i64_or(p, "bytes_written", 0));
			add(s, "complete", json_object_new_boolean(
				    json_object_get_boolean(json_object_object_get(s, "complete")) &&
				    json_object_get_boolean(json_object_object_get(p, "complete"))));
			pat = json_object_object_get(s, "pattern");
			if (pat && !json_object_equal(pat, json_object_object_get(p, "pattern")))
				add(s, "pattern", NULL);
			json_object_object_add(sum, k, s);
		}
	}
	/* in pass order */
	for (int64_t n = 1;; n++) {
		char key[24];
		struct json_object *p, *e;
		snprintf(key, sizeof(key), "%lld", (long long)n);
		if (!json_object_object_get_ex(sum, key, &p))
			break;
		e = json_object_new_object();
		add(e, "pass", jint(n));
		add(e, "label", jref(p, "label"));
		add(e, "pattern", jref(p, "pattern"));
		add(e, "bytes_written", jint(json_object_get_boolean(json_object_object_get(p, "complete")) ?
					    i64_or(p, "bytes_written", 0) :
					    i64_max(i64_or(p, "bytes_written", 0),
						    i64_or(p, "checkpointed", 0))));
		add(e, "complete", jref(p, "complete"));
		json_object_array_add(out, e);
	}
	json_object_put(sum);
	return out;
}

/* Sum of a per-target counter over id (or tree id's files); the first string of k. */
static int64_t agg_sum(const struct run *r, const char *id, bool tree, const char *k)
{
	int64_t s = 0;

	json_object_object_foreach(r->agg.targets, tid, a) {
		const char *parent = dsp_json_str(a, "parent");
		if (tree ? (parent && !strcmp(parent, id)) : !strcmp(tid, id))
			s += i64_or(a, k, 0);
	}
	return s;
}

static const char *agg_str(const struct run *r, const char *id, bool tree, const char *k)
{
	const char *first = NULL;

	json_object_object_foreach(r->agg.targets, tid, a) {
		const char *parent = dsp_json_str(a, "parent"), *v;
		if (!(tree ? (parent && !strcmp(parent, id)) : !strcmp(tid, id)))
			continue;
		if (!(v = dsp_json_str(a, k)))
			continue;
		if (first && strcmp(first, v))
			return NULL;	/* the files of a tree differ: no one value */
		first = v;
	}
	return first;
}

/* [[offset, length], ...] from the record's {offset, length} objects (or pairs). */
static struct json_object *ranges_doc(struct json_object *r)
{
	struct json_object *out = json_object_new_array();

	for (size_t i = 0; json_object_is_type(r, json_type_array) &&
			   i < json_object_array_length(r); i++) {
		struct json_object *e = json_object_array_get_idx(r, i), *pair;
		int64_t off, len;
		if (json_object_is_type(e, json_type_array) && json_object_array_length(e) == 2) {
			off = json_object_get_int64(json_object_array_get_idx(e, 0));
			len = json_object_get_int64(json_object_array_get_idx(e, 1));
		} else if (dsp_json_i64(e, "offset", &off) || dsp_json_i64(e, "length", &len)) {
			continue;
		}
		pair = json_object_new_array();
		json_object_array_add(pair, jint(off));
		json_object_array_add(pair, jint(len));
		json_object_array_add(out, pair);
	}
	return out;
}

/*
 * What erase's run_start says of its targets (planned targets, the method):
 * in dispose run's record its erase step's erase_start says it.
 */
static struct json_object *erase_fields(const struct run *r)
{
	const char *c = r->rec->command;

	return c && !strcmp(c, DSP_RECORD_CMD_RUN) ? r->rec->erase_start : r->rec->run_start;
}

/* The path run_start planned for target id (exact bytes), or NULL. */
static char *planned_path(struct json_object *run_start, const char *id)
{
	struct json_object *arr;
	char *p = NULL;

	if (!json_object_object_get_ex(run_start, "targets", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *eid = dsp_json_str(e, "id");
		if (eid && !strcmp(eid, id) && !dsp_json_bytes(e, "path", &p, NULL))
			return p;
	}
	return NULL;
}

struct tstate {
	const char *requested, *achieved, *result;
	bool verified, old_data, ok;
	const char *evidence;	/* a success the passes do not show (an edited record) */
	char *why;		/* why it fails, "; "-joined; NULL when it does not */
};

static void why_add(struct tstate *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_add(struct tstate *s, const char *fmt, ...)
{
	char *part = NULL, *joined = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&part, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (s->why) {
		if (asprintf(&joined, "%s; %s", s->why, part) < 0)
			joined = NULL;
		free(s->why);
		free(part);
		s->why = joined;
	} else {
		s->why = part;
	}
}

static struct json_object *target_doc(const struct run *r, size_t ri,
				      const struct dsp_record_target *t, const char *dest_text,
				      const char *attested_property, const char *attested_class,
				      struct tstate *st)
{
	struct json_object *o = json_object_new_object(), *nist, *m, *v, *a = NULL, *rs;
	struct json_object *end = t->end, *verdict = NULL, *cav;
	bool tree = t->kind && !strcmp(t->kind, "tree");
	const char *mode = t->verify, *tool_v, *tool_g;
	char tool[128];
	int64_t size = -1;
	bool cat_fail, dev_verified;
	struct json_object *evidence;

	memset(st, 0, sizeof(*st));
	json_object_object_get_ex(r->agg.targets, t->id, &a);
	rs = r->rec->run_start;

	add(o, "run", jint((int64_t)ri));
	add(o, "id", jstr(t->id));
	if (t->path) {
		dsp_json_add_bytes(o, "path", t->path);
	} else {
		/* a target refused before it was opened: its name as planned */
		char *planned = planned_path(erase_fields(r), t->id);
		dsp_json_add_bytes(o, "path", planned);
		free(planned);
	}
	add(o, "kind", jstr(t->kind));
	add(o, "started", jref(a, "started"));
	add(o, "ended", jref(a, "ended"));
	add(o, "identity", identity_doc(t));

	st->result = t->status ? t->status : "unfinished";
	st->achieved = t->status ? cat_name(cat_rank(t->category)) : "none";
	/*
	 * the record says what was asked (#13); older records: what the technique aims
	 * at. A file, tree or partition reaches no category whatever its method's says
	 * (erase refuses --category there): it asks for none, as before.
	 */
	st->requested = t->category_requested && strcmp(requested_of(t), "none") ?
			cat_name(cat_rank(t->category_requested)) : requested_of(t);
	if (!mode)
		mode = "none";
	/* a cryptographic erase reads back every byte of the header area it overwrote
	 * (evidence.luks); the recorded mode is that of --then's passes */
	if (!strcmp(mode, "none") && t->technique && !strcmp(t->technique, "crypto-luks")) {
		uint64_t ow = 0, rb = 0;
		if (!dsp_json_u64(t->luks, "bytes_overwritten", &ow) &&
		    !dsp_json_u64(t->luks, "bytes_verified", &rb) && ow && rb >= ow)
			mode = "all";
	}
	st->old_data = !t->status;	/* unfinished: whatever was not reached remains */
	if (end)
		dsp_json_bool(end, "old_data_may_remain", &st->old_data);
	/* failed only for reaching less than asked (#13): the erase ran to its end */
	cat_fail = !strcmp(st->result, "failed") && cat_rank(st->achieved) > 0 &&
		   cat_rank(st->achieved) < cat_rank(st->requested);
	/* an overwrite that did not run to its end left old data, whatever the end says */
	if (strcmp(st->result, "success") && strcmp(st->result, "completed-with-errors") && !cat_fail)
		st->old_data = true;
	if (json_object_is_type(t->size, json_type_int))
		size = json_object_get_int64(t->size);
	st->verified = strcmp(mode, "none") && (t->bytes_verified > 0 ||
		(t->status && t->bytes_written == 0 && size <= 0));
	/* a device sanitize whose content is not defined (crypto) is verified by the
	 * device's completion status (NIST SP 800-88r1 4.7), said as such */
	evidence = cert_evidence_doc(t);
	{
		const char *c = dsp_json_str(json_object_object_get(evidence, "sanitize"),
					     "completion");
		dev_verified = !st->verified && t->technique && !strcmp(t->technique, "sanitize") &&
			       c && !strcmp(c, "success");
	}
	st->verified |= dev_verified;

	tool_v = dsp_json_str(rs, "version");
	tool_g = dsp_json_str(rs, "gitrev");
	snprintf(tool, sizeof(tool), "dispose %s (%s)", tool_v ? tool_v : "?", tool_g ? tool_g : "?");
	nist = json_object_new_object();
	add(nist, "manufacturer", jref(json_object_object_get(o, "identity"), "vendor"));
	add(nist, "model", jref(json_object_object_get(o, "identity"), "model"));
	add(nist, "serial", jref(json_object_object_get(o, "identity"), "serial"));
	add(nist, "property_number", jstr(attested_property));
	add(nist, "media_type", jstr(media_type_of(t)));
	add(nist, "media_source", NULL);
	add(nist, "classification_pre", jstr(attested_class));
	add(nist, "classification_post", NULL);
	add(nist, "sanitization", jstr(nist_word(st->achieved)));
	add(nist, "technique", jstr(cert_technique_words(t->technique, t->action, t->then != NULL)));
	add(nist, "tool", jstr(tool));
	add(nist, "verification_method", jstr(!st->verified ? "none" : dev_verified ?
					     "device status" : !strcmp(mode, "sample") ? "sampling" :
					     "full"));
	add(nist, "destination", jstr(dest_text));
	add(nist, "backup", NULL);	/* filled once the archives are known */
	add(o, "nist", nist);

	m = json_object_new_object();
	{
		struct json_object *meth = t->method_json;
		/* each target's own method (#13), else the run's one */
		if (!meth)
			json_object_object_get_ex(erase_fields(r), "method", &meth);
		add(m, "name", jstr(t->method ? t->method : dsp_json_str(meth, "name")));
		add(m, "variant", jtyped(meth, "variant", json_type_string));
		add(m, "sha256", jtyped(meth, "sha256", json_type_string));
		add(m, "source", jtyped(meth, "source", json_type_string));
	}
	add(o, "method", m);
	add(o, "technique", jstr(t->technique ? t->technique : "overwrite"));
	add(o, "action", jstr(t->action));
	add(o, "auto_reason", jstr(t->auto_reason));
	if (json_object_is_type(t->then, json_type_object)) {
		struct json_object *th = json_object_new_object();
		add(th, "name", jtyped(t->then, "name", json_type_string));
		add(th, "variant", jtyped(t->then, "variant", json_type_string));
		add(th, "sha256", jtyped(t->then, "sha256", json_type_string));
		add(th, "source", jtyped(t->then, "source", json_type_string));
		add(o, "then", th);
	} else {
		add(o, "then", NULL);
	}
	add(o, "passes", passes_doc(r, t->id, tree));

	v = json_object_new_object();
	add(v, "mode", jstr(mode));
	add(v, "text", jtyped(end, "verification", json_type_string));
	add(v, "percent", jstr(agg_str(r, t->id, tree, "sample_percent")));
	add(v, "seed", jstr(agg_str(r, t->id, tree, "sample_seed")));
	add(v, "sampling", jstr(agg_str(r, t->id, tree, "sample_method")));
	{
		/* a cryptographic erase's header read-back has no verify_end of its own */
		uint64_t hb = 0;
		if (t->technique && !strcmp(t->technique, "crypto-luks"))
			dsp_json_u64(t->luks, "bytes_verified", &hb);
		add(v, "bytes_read", jint(agg_sum(r, t->id, tree, "bytes_read") + (int64_t)hb));
	}
	add(v, "mismatches", jint((int64_t)t->mismatches));
	add(v, "unreadable_bytes", jint(agg_sum(r, t->id, tree, "unreadable_bytes")));
	add(o, "verification", v);
	add(o, "bad_ranges", ranges_doc(t->bad_ranges));
	/* bytes left unwritten in a bad range keep what they held */
	if (json_object_array_length(json_object_object_get(o, "bad_ranges")))
		st->old_data = true;
	add(o, "bytes_written", jint((int64_t)t->bytes_written));
	add(o, "bytes_verified", jint((int64_t)t->bytes_verified));
	add(o, "result", jstr(st->result));
	if (end && (verdict = dsp_erase_verdict(end, t->status)))
		add(o, "result_text", jref(verdict, "result"));
	else
		add(o, "result_text", jstr(t->status ? t->status :
					    "unfinished: the record has no end for this target"));
	json_object_put(verdict);
	add(o, "category_requested", jstr(st->requested));
	add(o, "category_achieved", jstr(st->achieved));
	add(o, "category_reason", jtyped(end, "category_reason", json_type_string));
	add(o, "old_data_may_remain", json_object_new_boolean(st->old_data));
	cav = json_object_new_array();
	for (size_t i = 0; json_object_is_type(t->caveats, json_type_array) &&
			   i < json_object_array_length(t->caveats); i++)
		json_object_array_add(cav, json_object_get(json_object_array_get_idx(t->caveats, i)));
	/* a --then overwrite's own caveats are the record's too: every one appears, named */
	{
		struct json_object *tc = NULL;
		const char *tn = dsp_json_str(t->then, "name");
		json_object_object_get_ex(t->then_end, "caveats", &tc);
		for (size_t i = 0; json_object_is_type(tc, json_type_array) &&
				   i < json_object_array_length(tc); i++) {
			const char *c = json_object_get_string(json_object_array_get_idx(tc, i));
			char *line = NULL;
			if (!json_object_is_type(json_object_array_get_idx(tc, i), json_type_string) ||
			    asprintf(&line, "--then %s: %s", tn ? tn : "?", c) < 0)
				continue;
			json_object_array_add(cav, json_object_new_string(line));
			free(line);
		}
	}
	add(o, "caveats", cav);
	add(o, "removed", json_object_new_boolean(t->removed));
	add(o, "key_material", json_object_new_array());
	add(o, "evidence", evidence);

	/* the honesty rules (dispose-certificate(5)) */
	if (!strcmp(st->result, "success") && (st->evidence = cert_evidence_fault(o)) != NULL) {
		why_add(st, "%s", st->evidence);
		st->achieved = "none";
		add(o, "category_achieved", jstr("none"));
		add(nist, "sanitization", jstr(nist_word("none")));
	} else if (cat_fail && cert_evidence_fault(o)) {
		/* what it reached must show in its evidence too */
		st->achieved = "none";
		add(o, "category_achieved", jstr("none"));
		add(nist, "sanitization", jstr(nist_word("none")));
	}
	if (strcmp(st->result, "success")) {
		const char *err = dsp_json_str(end, "error");
		if (err)
			why_add(st, "%s: %s", st->result, err);
		else
			why_add(st, "%s", st->result);
	}
	if (!st->verified)
		why_add(st, "%s", strcmp(mode, "none") ? "nothing was read back" : "not verified");
	if (st->old_data)
		why_add(st, "the old data may remain on the medium");
	if (cat_rank(st->achieved) < cat_rank(st->requested)) {
		const char *reason = dsp_json_str(end, "category_reason");
		why_add(st, "category %s, requested %s%s%s", st->achieved, st->requested,
			reason ? ": " : "", reason ? reason : "");
	}
	st->ok = !st->why;
	return o;
}

/* One line of summary.failures: "[run N ]ID PATH: WHY". 0 or -ENOMEM. */
static int add_failure(struct json_object *failures, bool several, size_t run, const char *id,
		       const char *path, const char *why)
{
	char *line = NULL, pre[32] = "";
	struct json_object *s;

	if (several)
		snprintf(pre, sizeof(pre), "run %zu ", run);
	if (asprintf(&line, "%s%s %s: %s", pre, id ? id : "?", path ? path : "?",
		     why ? why : "failed") < 0)
		return -ENOMEM;
	s = json_object_new_string(line);
	free(line);
	if (!s || json_object_array_add(failures, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

/* One line of summary.failures as it is ("[run N ]TEXT"). 0 or -ENOMEM. */
static int add_line(struct json_object *failures, bool several, size_t run, const char *text)
{
	char *line = NULL;
	struct json_object *s;

	if (several ? asprintf(&line, "run %zu %s", run, text) < 0 : !(line = strdup(text)))
		return -ENOMEM;
	s = json_object_new_string(line);
	free(line);
	if (!s || json_object_array_add(failures, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

/* ---- the whole document ---- */

int cert_set_id(struct json_object *doc)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char id[40], *buf;
	size_t len;
	int rc;

	add(doc, "certificate_id", NULL);
	if ((rc = dsp_cert_canonical(doc, &buf, &len)))
		return rc;
	rc = EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) ? 0 : -ENOMEM;
	free(buf);
	if (rc)
		return rc;
	md[6] = (md[6] & 0x0f) | 0x80;	/* RFC 9562 version 8 */
	md[8] = (md[8] & 0x3f) | 0x80;	/* variant 10 */
	snprintf(id, sizeof(id),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
	add(doc, "certificate_id", jstr(id));
	return 0;
}

/*
 * --redact: the salt of the tokens, kept only here ("redacted_copy" is
 * filled once the copy's id is known; the full's id is computed with it null).
 */
static int add_redaction(struct json_object *doc, unsigned mask, struct json_object *named,
			 struct json_object *targets, char **why)
{
	struct json_object *paths = NULL, *listed = NULL;
	unsigned char salt[32];
	char hex[65];
	struct json_object *r, *f;
	static const char *const words[] = { "serials", "host", "paths" };

	if (mask & ~DSP_CERT_REDACT_ALL)
		return cert_why(why, DSP_INVALID, "--redact: unknown field");
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return cert_why(why, -EIO, "--redact: no random salt (OpenSSL RAND_bytes failed)");
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", salt[i]);
	OPENSSL_cleanse(salt, sizeof(salt));
	if (!(r = json_object_new_object()) || !(f = json_object_new_array())) {
		json_object_put(r);
		return -ENOMEM;
	}
	add(r, "salt", jstr(hex));
	for (unsigned i = 0; i < 3; i++)
		if (mask & (1u << i))
			json_object_array_add(f, jstr(words[i]));
	add(r, "fields", f);
	/* the paths of targets that are not in targets[] (never started): hidden in the copy too */
	if ((mask & DSP_CERT_REDACT_PATHS) && json_object_object_length(named)) {
		if (!(paths = json_object_new_array()) || !(listed = json_object_new_object())) {
			json_object_put(paths);
			json_object_put(r);
			return -ENOMEM;
		}
		for (size_t i = 0; i < json_object_array_length(targets); i++) {
			const char *tp = dsp_json_str(json_object_array_get_idx(targets, i), "path");

			if (tp)
				json_object_object_add(listed, tp, NULL);
		}
		json_object_object_foreach(named, k, v) {
			(void)k;
			if (!json_object_object_get_ex(listed, dsp_json_str(v, "path"), NULL))
				json_object_array_add(paths, json_object_get(v));
		}
		json_object_put(listed);
		if (json_object_array_length(paths))
			add(r, "paths", paths);
		else
			json_object_put(paths);
	}
	add(r, "redacted_copy", NULL);
	add(doc, "redaction", r);
	return 0;
}

/* ---- the inventory a run recorded ---- */

/* SHA-256 (hex) of the regular file at path: 0, DSP_INVALID (*why) or -ENOMEM. */
static int file_sha256(const char *path, char hex[65], char **why)
{
	unsigned char buf[65536], md[32];
	unsigned int mdl = 0;
	EVP_MD_CTX *ctx = NULL;
	struct stat st;
	int fd = cert_open_in(path), rc = 0;	/* a FIFO: refused, never waited for */
	ssize_t n;

	if (fd < 0)
		return cert_why(why, DSP_INVALID, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cert_why(why, DSP_INVALID, "%s: not a regular file", path);
	}
	if (!(ctx = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		rc = -ENOMEM;
	while (!rc && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = cert_why(why, DSP_INVALID, "%s: %s", path, strerror(errno));
		else if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			rc = -ENOMEM;
	}
	if (!rc && (!EVP_DigestFinal_ex(ctx, md, &mdl) || mdl != 32))
		rc = -ENOMEM;
	for (unsigned i = 0; !rc && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

/* The inventory step's digest of dispose run's record, or NULL (other records, none recorded). */
static const char *recorded_inventory(const struct run *r)
{
	const char *c = r->rec->command;

	return c && !strcmp(c, DSP_RECORD_CMD_RUN) ? r->agg.inventory_sha256 : NULL;
}

/*
 * The inventory to read key material from: --inventory, which must be the
 * one every dispose run record among rs recorded (its SHA-256), else
 * DSP_MISMATCH; without it, one run's RUN_DIR/inventory.json when its
 * digest is the recorded one (else none, as for any other record).
 * *path is a new string or NULL; hex the digest read.
 */
static int pick_inventory(const char *given, const struct run *rs, size_t n, char **path,
			  char hex[65], char **why)
{
	const char *want = NULL;
	int rc;

	*path = NULL;
	if (!given) {
		char *p = NULL;

		if (n != 1 || !(want = recorded_inventory(&rs[0])))
			return 0;
		if (asprintf(&p, "%s/inventory.json", rs[0].dir) < 0)
			return -ENOMEM;
		if (!file_sha256(p, hex, NULL) && !strcmp(hex, want)) {
			*path = p;
			return 0;
		}
		if (!access(p, F_OK))
			dsp_log(DSP_LOG_WARN, "%s: not the inventory this run recorded (sha256 %s); "
				"its key material is not stated", p, want);
		free(p);
		return 0;
	}
	if ((rc = file_sha256(given, hex, why)))
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((want = recorded_inventory(&rs[i])) && strcmp(hex, want))
			return cert_why(why, DSP_MISMATCH, "%s: not the inventory this run recorded "
					"(sha256 %s; %s/%s records %s)", given, hex, rs[i].dir,
					DSP_LEDGER_FILE, want);
	return (*path = strdup(given)) ? 0 : -ENOMEM;
}

/* A path the records name (any target, started or not), as bytes: hidden in the copy too. */
static int note_path(struct json_object *paths, const char *p)
{
	struct json_object *e;

	if (!paths || !p || !*p || json_object_object_get_ex(paths, p, NULL))
		return 0;
	if (!(e = json_object_new_object()) || dsp_json_add_bytes(e, "path", p)) {
		json_object_put(e);
		return -ENOMEM;
	}
	json_object_object_add(paths, p, e);
	return 0;
}

/*
 * dispose run whose erase never started (no erase_start): the targets of its
 * plan.json, when its SHA-256 is the one the plan step recorded, each
 * "ID PATH: never started"; else a line saying the plan is not that one.
 */
static int planned_never_started(const struct run *r, struct json_object *failures, bool several,
				 size_t ri, struct json_object *named)
{
	struct json_object *plan = NULL, *arr = NULL;
	unsigned char md[32];
	unsigned int mdl = 0;
	char *p = NULL, *buf = NULL, hex[65] = "";
	size_t len = 0;
	int rc = 0;

	if (!r->agg.plan_sha256 || r->rec->erase_start)
		return 0;
	if (asprintf(&p, "%s/plan.json", r->dir) < 0)
		return -ENOMEM;
	if (!dsp_file_read(p, 256u << 20, 0, &buf, &len) &&
	    EVP_Digest(buf, len, md, &mdl, EVP_sha256(), NULL) && mdl == 32)
		for (unsigned i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, r->agg.plan_sha256) || !(plan = json_tokener_parse(buf)) ||
	    !json_object_object_get_ex(plan, "targets", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		char *e = dsp_json_escape_text(p, strlen(p));

		rc = !e ? -ENOMEM : add_failure(failures, several, ri, "plan", e,
						"not the plan this run recorded: its targets are not "
						"listed");
		free(e);
		goto out;
	}
	for (size_t k = 0; !rc && k < json_object_array_length(arr); k++) {
		struct json_object *pt = json_object_array_get_idx(arr, k);
		const char *id = dsp_json_str(pt, "id"), *pp = dsp_json_str(pt, "path");
		char *e = pp ? dsp_json_escape_text(pp, strlen(pp)) : NULL;

		rc = pp && !e ? -ENOMEM : add_failure(failures, several, ri, id, e, "never started");
		if (!rc)
			rc = note_path(named, pp);
		free(e);
	}
out:
	json_object_put(plan);
	free(buf);
	free(p);
	return rc;
}

/* A record of erase targets: erase's, or dispose run's (its erase step's, in the one record). */
static bool is_erase(const struct run *r)
{
	return r->rec->command && (!strcmp(r->rec->command, "erase") ||
				   !strcmp(r->rec->command, DSP_RECORD_CMD_RUN));
}

/* A top-level target (a tree's files are part of it, not targets of their own). */
static bool top_level(const struct run *r, const struct dsp_record_target *t)
{
	struct json_object *a;

	return !(json_object_object_get_ex(r->agg.targets, t->id, &a) && dsp_json_str(a, "parent"));
}

int dsp_cert_build(const struct dsp_cert_build_opts *o, struct json_object **out, char **why)
{
	return cert_build(o, out, NULL, why);
}

int cert_build(const struct dsp_cert_build_opts *o, struct json_object **out,
	       struct json_object **copy_out, char **why)
{
	struct json_object *named = o && o->redact ? json_object_new_object() : NULL;
	struct json_object *doc = NULL, *summary, *tool, *attested = NULL, *dest = NULL, *runs;
	struct json_object *backup, *archives, *targets, *failures, *host;
	struct run *rs = NULL;
	char created[32], *dest_text = NULL, *inv = NULL, inv_sha[65] = "";
	const char *bid;
	size_t n = o ? o->nrun_dirs : 0, ntargets = 0, nok = 0;
	int req = 0, ach = 2, rc;
	bool backed_up = false;

	*out = NULL;
	if (copy_out)
		*copy_out = NULL;
	if (o && o->redact && !named)
		return -ENOMEM;
	if (!n) {
		json_object_put(named);
		return cert_why(why, DSP_INVALID, "certify: no run directory");
	}
	if (o->time) {
		if (!rfc3339_valid(o->time))
			return json_object_put(named), cert_why(why, DSP_INVALID,
					"--time: '%s' is not an RFC 3339 UTC time such as "
					"2026-12-06T10:00:00Z", o->time);
		snprintf(created, sizeof(created), "%s", o->time);
	} else {
		now_rfc3339(created);
	}
	if ((rc = build_attested(o->attest, &attested, &dest, why)))
		goto out;
	if (dsp_json_str(dest, "type")) {
		const char *d = dsp_json_str(dest, "details");
		if (asprintf(&dest_text, d ? "%s: %s" : "%s%s", dsp_json_str(dest, "type"),
			     d ? d : "") < 0) {
			dest_text = NULL;
			rc = -ENOMEM;
			goto out;
		}
	}
	if (!(rs = calloc(n, sizeof(*rs)))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = run_load(o->run_dirs[i], &rs[i], why)))
			goto out;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(rs[i].dir, rs[j].dir) || !strcmp(rs[i].rec->head, rs[j].rec->head)) {
				rc = cert_why(why, DSP_INVALID, "%s: the same run record as %s",
					      o->run_dirs[i], o->run_dirs[j]);
				goto out;
			}
	}

	if ((rc = pick_inventory(o->inventory, rs, n, &inv, inv_sha, why)))
		goto out;

	doc = json_object_new_object();
	add(doc, "schema", jstr(DSP_CERT_SCHEMA));
	add(doc, "kind", NULL);
	add(doc, "certificate_id", NULL);
	add(doc, "created", jstr(created));
	add(doc, "notice", jstr(NOTICE));
	summary = json_object_new_object();
	add(doc, "summary", summary);
	tool = json_object_new_object();
	add(tool, "name", jstr(DSP_TOOL_NAME));
	add(tool, "version", jstr(DSP_VERSION));
	add(tool, "gitrev", jstr(DSP_GITREV));
	bid = cert_build_id();
	add(tool, "build_id", jstr(bid));
	add(doc, "tool", tool);
	if (!(host = cert_host_identity())) {
		rc = -ENOMEM;
		goto out;
	}
	add(doc, "host", host);
	add(doc, "attested", attested);
	attested = NULL;
	runs = json_object_new_array();
	add(doc, "runs", runs);
	backup = json_object_new_object();
	add(doc, "backup", backup);
	archives = json_object_new_array();
	add(backup, "backed_up", NULL);		/* filled below, in this key order */
	add(backup, "archives", archives);
	targets = json_object_new_array();
	add(doc, "targets", targets);
	failures = json_object_new_array();
	for (const char *const *k = (const char *const[]){ "targets", "succeeded", "failed",
			"category_requested", "category_achieved", "backed_up", NULL }; *k; k++)
		add(summary, *k, NULL);
	add(summary, "failures", failures);
	if (!archives || !targets || !failures) {
		rc = -ENOMEM;
		goto out;
	}

	for (size_t i = 0; i < n; i++) {
		const struct dsp_record *rec = rs[i].rec;
		json_object_array_add(runs, run_doc(&rs[i]));
		for (size_t k = 0; k < rec->narchives; k++)
			json_object_array_add(archives, archive_doc(i, &rec->archives[k], false));
		/* archive verify appends to the archive create's record: the same archive,
		 * whose latest verification counts */
		for (size_t k = 0; k < rec->nverified; k++) {
			struct json_object *v = archive_doc(i, &rec->verified[k], true), *same = NULL;
			const char *sha = dsp_json_str(v, "sha256");
			for (size_t a = 0; sha && a < json_object_array_length(archives); a++) {
				struct json_object *e = json_object_array_get_idx(archives, a);
				const char *esha = dsp_json_str(e, "sha256");
				int64_t run = -1;
				dsp_json_i64(e, "run", &run);
				if (run == (int64_t)i && esha && !strcmp(esha, sha))
					same = e;
			}
			if (same) {
				json_object_object_add(same, "verified", jref(v, "verified"));
				json_object_put(v);
			} else {
				json_object_array_add(archives, v);
			}
		}
	}
	for (size_t k = 0; k < json_object_array_length(archives); k++)
		backed_up |= json_object_get_boolean(
			json_object_object_get(json_object_array_get_idx(archives, k), "verified"));
	add(backup, "backed_up", jstr(backed_up ? "yes" : "no"));

	for (size_t i = 0; i < n; i++) {
		const struct dsp_record *rec = rs[i].rec;
		struct json_object *planned = NULL;
		/* dispose run: why a step did not succeed (an archive, the erase's checks) */
		for (size_t k = 0; k < json_object_array_length(rs[i].agg.step_lines); k++)
			if ((rc = add_line(failures, n > 1, i, json_object_get_string(
				json_object_array_get_idx(rs[i].agg.step_lines, k)))))
				goto out;
		if (rs[i].agg.erase_refused && !rec->erase_start &&
		    (rc = add_line(failures, n > 1, i, "erase: refused by the target checks; nothing "
				   "written")))
			goto out;
		if (rec->command && !strcmp(rec->command, DSP_RECORD_CMD_RUN) &&
		    (rc = planned_never_started(&rs[i], failures, n > 1, i, named)))
			goto out;
		if (!is_erase(&rs[i]))
			continue;
		for (size_t k = 0; k < rec->ntargets; k++) {
			const struct dsp_record_target *t = &rec->targets[k];
			struct tstate st;
			struct json_object *td;
			if ((rc = note_path(named, t->path)))
				goto out;
			if (!top_level(&rs[i], t))
				continue;
			td = target_doc(&rs[i], i, t, dest_text, o->attest ? o->attest->property_number
					: NULL, o->attest ? o->attest->classification : NULL, &st);
			add(json_object_object_get(td, "nist"), "backup",
			    jstr(backed_up ? "yes" : "no"));
			json_object_array_add(targets, td);
			ntargets++;
			req = cat_rank(st.requested) > req ? cat_rank(st.requested) : req;
			ach = cat_rank(st.achieved) < ach ? cat_rank(st.achieved) : ach;
			if (!strcmp(st.result, "success") && st.verified && !st.evidence)
				nok++;
			if (!st.ok && !rc)
				rc = add_failure(failures, n > 1, i, t->id, dsp_json_str(td, "path"),
						 st.why);
			free(st.why);
			if (rc)
				goto out;
		}
		/* a planned target the record never started is a failure too */
		if (json_object_object_get_ex(erase_fields(&rs[i]), "targets", &planned) &&
		    json_object_is_type(planned, json_type_array))
			for (size_t k = 0; k < json_object_array_length(planned); k++) {
				struct json_object *pt = json_object_array_get_idx(planned, k);
				const char *id = dsp_json_str(pt, "id"), *pp = dsp_json_str(pt, "path");
				char *p;
				if (!id || dsp_record_find(rec, id))
					continue;
				p = pp ? dsp_json_escape_text(pp, strlen(pp)) : NULL;
				rc = pp && !p ? -ENOMEM :
				     add_failure(failures, n > 1, i, id, p, "never started");
				if (!rc)
					rc = note_path(named, pp);
				free(p);
				if (rc)
					goto out;
			}
	}
	if (!ntargets) {
		json_object_array_add(failures, jstr("no target: the run records erased nothing"));
		ach = 0;
	}
	add(summary, "targets", jint((int64_t)ntargets));
	add(summary, "succeeded", jint((int64_t)nok));
	add(summary, "failed", jint((int64_t)(ntargets - nok)));
	add(summary, "category_requested", jstr(cat_name(req)));
	add(summary, "category_achieved", jstr(cat_name(ach)));
	add(summary, "backed_up", jstr(backed_up ? "yes" : "no"));
	add(doc, "kind", jstr(json_object_array_length(failures) ? DSP_CERT_KIND_FAIL :
			      DSP_CERT_KIND_OK));

	if (inv && (rc = cert_inventory_keys(inv, targets, why)))
		goto out;
	/* the bytes read are the bytes whose digest was compared */
	if (inv) {
		char again[65];

		if ((rc = file_sha256(inv, again, why)))
			goto out;
		if (strcmp(again, inv_sha)) {
			rc = cert_why(why, DSP_MISMATCH, "%s: changed while it was read", inv);
			goto out;
		}
	}
	/* the records' texts are UTF-8 already; this only guards what slipped through */
	if ((rc = dsp_json_make_utf8(doc)) < 0)
		goto out;
	if (o->redact && (rc = add_redaction(doc, o->redact, named, targets, why)))
		goto out;
	if ((rc = cert_set_id(doc)))
		goto out;
	/* the full certificate names its copy, whose id follows from the full's content */
	if (o->redact) {
		struct json_object *copy = NULL;

		if ((rc = dsp_cert_redact(doc, NULL, 0, &copy, NULL, why)))
			goto out;
		add(json_object_object_get(doc, "redaction"), "redacted_copy",
		    jref(copy, "certificate_id"));
		if (copy_out)
			*copy_out = copy;
		else
			json_object_put(copy);
	}
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	json_object_put(named);
	json_object_put(doc);
	json_object_put(attested);
	json_object_put(dest);
	free(dest_text);
	free(inv);
	if (rs)
		for (size_t i = 0; i < n; i++)
			run_free(&rs[i]);
	free(rs);
	return rc;
}
