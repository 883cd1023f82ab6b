/* SPDX-License-Identifier: MIT */
/* consistency.c - a certificate's claims against its own results (dispose-certificate(5)) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "cert_int.h"

/* purge > clear > none; -1: not a category */
static int cat_rank(const char *c)
{
	if (!c)
		return -1;
	if (!strcmp(c, "none"))
		return 0;
	if (!strcmp(c, "clear"))
		return 1;
	if (!strcmp(c, "purge"))
		return 2;
	return -1;
}

static const char *const cat_name[] = { "none", "clear", "purge" };
/* The NIST form's word for each category. */
static const char *const cat_form[] = { "none", "Clear", "Purge" };

static bool is_result(const char *r)
{
	static const char *const ok[] = { "success", "completed-with-errors", "failed",
					  "interrupted", "unfinished" };

	for (size_t i = 0; r && i < DSP_ARRAY_SIZE(ok); i++)
		if (!strcmp(r, ok[i]))
			return true;
	return false;
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static uint64_t u64_or(struct json_object *o, const char *key, uint64_t dflt)
{
	uint64_t v;

	return dsp_json_u64(o, key, &v) == 0 ? v : dflt;
}

/*
 * The doc's "verified" (as build.c decides it): a verification mode, and
 * bytes read back, or a finished target that had nothing to write.
 */
static bool target_verified(struct json_object *t)
{
	struct json_object *ver = member(t, "verification", json_type_object);
	struct json_object *id = member(t, "identity", json_type_object), *size = NULL;
	const char *mode = dsp_json_str(ver, "mode"), *res = dsp_json_str(t, "result");
	const char *tech = dsp_json_str(t, "technique");
	struct json_object *san = member(member(t, "evidence", json_type_object), "sanitize",
					 json_type_object);

	/* a device sanitize: the device's completion status, where nothing was read back */
	if (tech && !strcmp(tech, "sanitize") && u64_or(t, "bytes_verified", 0) == 0 &&
	    !strcmp(cert_san_completion(member(san, "status", json_type_object)), "success") &&
	    dsp_json_str(san, "completion") && !strcmp(dsp_json_str(san, "completion"), "success"))
		return true;
	if (!mode || !strcmp(mode, "none"))
		return false;
	if (u64_or(t, "bytes_verified", 0) > 0)
		return true;
	if (!res || !strcmp(res, "unfinished") || u64_or(t, "bytes_written", 1) != 0)
		return false;
	json_object_object_get_ex(id, "size", &size);
	return !size || (json_object_is_type(size, json_type_int) && json_object_get_int64(size) <= 0);
}

/*
 * A target the record calls a success must show it: every pass complete and
 * (size known, not a tree) each pass over the whole medium, no more read back
 * than was written, and a full read-back covering the medium.
 */
const char *cert_evidence_fault(struct json_object *t)
{
	struct json_object *passes = member(t, "passes", json_type_array);
	struct json_object *id = member(t, "identity", json_type_object);
	struct json_object *ver = member(t, "verification", json_type_object), *sz = NULL;
	struct json_object *ev = member(t, "evidence", json_type_object);
	const char *kind = dsp_json_str(t, "kind"), *mode = dsp_json_str(ver, "mode");
	const char *tech = dsp_json_str(t, "technique"), *f;
	uint64_t size, np = passes ? json_object_array_length(passes) : 0, bw, bv;
	bool tree = kind && !strcmp(kind, "tree"), complete;

	/* crypto-erase and sanitize: their own proof; a --then overwrite's passes complete */
	if (tech && !strcmp(tech, "crypto-luks") &&
	    (f = cert_luks_fault(member(ev, "luks", json_type_object))))
		return f;
	if (tech && !strcmp(tech, "sanitize") &&
	    (strcmp(cert_san_completion(member(member(ev, "sanitize", json_type_object), "status",
					       json_type_object)), "success") ||
	     !dsp_json_str(member(ev, "sanitize", json_type_object), "completion") ||
	     strcmp(dsp_json_str(member(ev, "sanitize", json_type_object), "completion"), "success")))
		return "the record does not show the device reporting the sanitize done";
	if (tech && strcmp(tech, "overwrite")) {
		for (size_t i = 0; i < np; i++) {
			struct json_object *p = json_object_array_get_idx(passes, i);
			if (dsp_json_bool(p, "complete", &complete) || !complete)
				return "the record shows an overwrite pass that did not complete";
		}
		return NULL;
	}
	if (!np && !tree)
		return "the record shows no overwrite pass";
	for (size_t i = 0; i < np; i++) {
		struct json_object *p = json_object_array_get_idx(passes, i);
		if (dsp_json_bool(p, "complete", &complete) || !complete)
			return "the record shows an overwrite pass that did not complete";
	}
	if (tree || !json_object_object_get_ex(id, "size", &sz) ||
	    !json_object_is_type(sz, json_type_int) || json_object_get_int64(sz) < 0)
		return NULL;
	size = (uint64_t)json_object_get_int64(sz);
	for (size_t i = 0; i < np; i++)
		if (u64_or(json_object_array_get_idx(passes, i), "bytes_written", 0) < size)
			return "the record shows a pass that wrote less than the medium's size";
	bw = u64_or(t, "bytes_written", UINT64_MAX);
	bv = u64_or(t, "bytes_verified", UINT64_MAX);
	if (bw == UINT64_MAX || bv == UINT64_MAX || (size && bw / size > np) || bv > bw)
		return "the record shows more bytes written or read back than its passes cover";
	if (mode && (!strcmp(mode, "all") || !strcmp(mode, "last")) && bv < size)
		return "the record shows a full read-back of fewer bytes than the medium's size";
	return NULL;
}

/* What caps a target's category: the medium (file, tree, partition) and the technique. */
static int target_max(struct json_object *t, const char **why)
{
	struct json_object *id = member(t, "identity", json_type_object);
	struct json_object *nist = member(t, "nist", json_type_object);
	const char *kind = dsp_json_str(t, "kind"), *tech = dsp_json_str(nist, "technique");
	struct json_object *then = NULL;
	bool part = false;

	if (!kind || strcmp(kind, "block")) {
		*why = "not a whole block device: a file-level overwrite allows none";
		return 0;
	}
	if (dsp_json_bool(id, "partition", &part) == 0 && part) {
		*why = "a partition, not the whole medium, allows none";
		return 0;
	}
	/* the form's words follow from the record's technique (absent before #13: overwrite) */
	json_object_object_get_ex(t, "then", &then);
	if (!tech || strcmp(tech, cert_technique_words(dsp_json_str(t, "technique"),
						       dsp_json_str(t, "action"), then != NULL))) {
		*why = "the technique is not one dispose records";
		return 0;
	}
	return cert_technique_cap(t, why);
}

/*
 * Clear needs every byte written and verified clean. NULL: it may be claimed.
 * A target that failed only because it reached less than was asked (#13:
 * crypto-luks on flash reaches clear, purge asked) keeps what it reached.
 */
static const char *clear_fault(struct json_object *t, const char *result, int ach, int req)
{
	struct json_object *ver = member(t, "verification", json_type_object);
	struct json_object *bad = member(t, "bad_ranges", json_type_array);
	const char *f;

	if (strcmp(result, "success") && !(!strcmp(result, "failed") && req > ach))
		return "the result is not success";
	if (!target_verified(t))
		return "it was not verified";
	if ((f = cert_evidence_fault(t)) != NULL)
		return f;
	if (u64_or(ver, "mismatches", 1) != 0)
		return "verification found mismatches";
	if (!bad || json_object_array_length(bad) != 0)
		return "it has bad ranges";
	if (u64_or(ver, "unreadable_bytes", 1) != 0)
		return "bytes were unreadable";
	return NULL;
}

/*
 * What a failure report may show not done besides its targets: a run that did
 * not end in success, an archive not verified, or (build.c) a target the run
 * planned but never started, named only in summary.failures as
 * "[run N ]ID PATH: never started", whose ID is no target of that run.
 */
static bool other_not_done(struct json_object *runs, struct json_object *targets,
			   struct json_object *archives, struct json_object *fails)
{
	static const char tail[] = ": never started";
	size_t nruns = json_object_array_length(runs);

	for (size_t i = 0; i < nruns; i++) {
		const char *st = dsp_json_str(json_object_array_get_idx(runs, i), "status");
		if (st && strcmp(st, "success"))
			return true;
	}
	for (size_t i = 0; archives && i < json_object_array_length(archives); i++) {
		bool v = false;
		if (dsp_json_bool(json_object_array_get_idx(archives, i), "verified", &v) || !v)
			return true;
	}
	for (size_t i = 0; i < json_object_array_length(fails); i++) {
		const char *line = json_object_get_string(json_object_array_get_idx(fails, i));
		size_t len = line ? strlen(line) : 0, run = 0;
		bool ran = false;
		int used = 0;

		if (!json_object_is_type(json_object_array_get_idx(fails, i), json_type_string) ||
		    len < sizeof(tail) - 1 || strcmp(line + len - (sizeof(tail) - 1), tail))
			continue;
		/* several runs: each line says which */
		if (nruns > 1 && (sscanf(line, "run %zu %n", &run, &used) != 1 || !used))
			continue;
		line += used;
		for (size_t k = 0; !ran && k < json_object_array_length(targets); k++) {
			struct json_object *t = json_object_array_get_idx(targets, k);
			const char *id = dsp_json_str(t, "id");
			uint64_t tr = 0;
			size_t n = id ? strlen(id) : 0;

			ran = id && !dsp_json_u64(t, "run", &tr) && tr == run &&
			      !strncmp(line, id, n) && line[n] == ' ';
		}
		if (!ran)
			return true;
	}
	return false;
}

int dsp_cert_check_consistency(struct json_object *doc, char **why)
{
	struct json_object *sum = member(doc, "summary", json_type_object);
	struct json_object *runs = member(doc, "runs", json_type_array);
	struct json_object *targets = member(doc, "targets", json_type_array);
	struct json_object *backup = member(doc, "backup", json_type_object);
	struct json_object *fails = member(sum, "failures", json_type_array);
	const char *kind = dsp_json_str(doc, "kind"), *bad_target = NULL, *bad_why = NULL;
	size_t n, nruns, succeeded = 0;
	int weakest = 2, strongest = 0;
	bool all_ok;
	uint64_t v;

	if (!sum || !runs || !targets || !fails || !kind)
		return cert_why(why, DSP_INVALID, "certificate: summary, runs, targets or kind missing");
	n = json_object_array_length(targets);
	nruns = json_object_array_length(runs);
	/* a policy, an inventory and a plan are what a dispose run's record holds, no other */
	for (size_t i = 0; i < nruns; i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);
		const char *c = dsp_json_str(r, "command");

		if ((json_object_object_get_ex(r, "policy", NULL) ||
		     json_object_object_get_ex(r, "inventory", NULL) ||
		     json_object_object_get_ex(r, "plan", NULL)) &&
		    (!c || strcmp(c, DSP_RECORD_CMD_RUN)))
			return cert_why(why, DSP_INVALID, "runs[%zu]: a policy, inventory or plan, but "
					"not the record of a run", i);
	}
	if (dsp_json_u64(sum, "targets", &v) || v != n)
		return cert_why(why, DSP_INVALID, "summary: targets is not the %zu target%s listed", n,
				n == 1 ? "" : "s");
	all_ok = n > 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(targets, i);
		const char *id = dsp_json_str(t, "id"), *res = dsp_json_str(t, "result");
		const char *capwhy, *cf, *ev;
		int ach = cat_rank(dsp_json_str(t, "category_achieved"));
		int req = cat_rank(dsp_json_str(t, "category_requested"));
		int cap;
		bool remain = true, verified, ok;
		char where[64];

		snprintf(where, sizeof(where), "target %s", id ? id : "?");
		if (!json_object_is_type(t, json_type_object) || !id)
			return cert_why(why, DSP_INVALID, "targets[%zu]: no id", i);
		if (dsp_json_u64(t, "run", &v) || v >= nruns)
			return cert_why(why, DSP_INVALID, "%s: run is not an index into runs", where);
		if (!is_result(res))
			return cert_why(why, DSP_INVALID, "%s: has no result", where);
		if (ach < 0 || req < 0)
			return cert_why(why, DSP_INVALID, "%s: category_requested or category_achieved "
					"is not purge, clear or none", where);
		cap = target_max(t, &capwhy);
		if (ach > cap)
			return cert_why(why, DSP_INVALID, "%s: category_achieved %s, but %s", where,
					cat_name[ach], capwhy);
		if (ach > 0 && (cf = clear_fault(t, res, ach, req)) != NULL)
			return cert_why(why, DSP_INVALID, "%s: category_achieved %s, but %s", where,
					cat_name[ach], cf);
		if (!dsp_json_str(member(t, "nist", json_type_object), "sanitization") ||
		    strcmp(dsp_json_str(member(t, "nist", json_type_object), "sanitization"),
			   cat_form[ach]))
			return cert_why(why, DSP_INVALID, "%s: nist.sanitization is not %s (its "
					"category_achieved)", where, cat_form[ach]);
		if (dsp_json_bool(t, "old_data_may_remain", &remain))
			return cert_why(why, DSP_INVALID, "%s: old_data_may_remain is not a boolean", where);
		verified = target_verified(t);
		ev = strcmp(res, "success") ? NULL : cert_evidence_fault(t);
		if (!strcmp(res, "success") && verified && !ev)
			succeeded++;
		ok = !strcmp(res, "success") && verified && !remain && ach >= req && !ev;
		if (!ok && !bad_target) {
			bad_target = id;
			bad_why = strcmp(res, "success") ? res : !verified ? "not verified" :
				  remain ? "old data may remain" : ev ? ev : "achieved less than requested";
		}
		all_ok = all_ok && ok;
		weakest = ach < weakest ? ach : weakest;
		strongest = req > strongest ? req : strongest;
	}
	if (n == 0)
		weakest = 0;
	if (dsp_json_u64(sum, "succeeded", &v) || v != succeeded)
		return cert_why(why, DSP_INVALID, "summary: succeeded is not %zu (targets with result "
				"success that were verified and show it)", succeeded);
	if (dsp_json_u64(sum, "failed", &v) || v != n - succeeded)
		return cert_why(why, DSP_INVALID, "summary: failed is not %zu", n - succeeded);
	if (cat_rank(dsp_json_str(sum, "category_achieved")) != weakest)
		return cert_why(why, DSP_INVALID, "summary: category_achieved is not %s, the weakest "
				"of its targets", cat_name[weakest]);
	if (cat_rank(dsp_json_str(sum, "category_requested")) != strongest)
		return cert_why(why, DSP_INVALID, "summary: category_requested is not %s, the strongest "
				"requested", cat_name[strongest]);
	if (!strcmp(kind, DSP_CERT_KIND_OK) && !all_ok) {
		if (!bad_target)
			return cert_why(why, DSP_INVALID, "kind: %s, but it has no target", kind);
		return cert_why(why, DSP_INVALID, "kind: %s, but target %s is %s", kind, bad_target,
				bad_why);
	}
	/* a failure report must show something not done: a tampering signal otherwise */
	if (!strcmp(kind, DSP_CERT_KIND_FAIL) && all_ok &&
	    !other_not_done(runs, targets, member(backup, "archives", json_type_array), fails))
		return cert_why(why, DSP_INVALID, "kind: %s, but every target succeeded", kind);
	if (strcmp(kind, DSP_CERT_KIND_OK) && strcmp(kind, DSP_CERT_KIND_FAIL))
		return cert_why(why, DSP_INVALID, "kind: unknown kind");
	if (!strcmp(kind, DSP_CERT_KIND_OK) != (json_object_array_length(fails) == 0))
		return cert_why(why, DSP_INVALID, "summary: failures %s",
				!strcmp(kind, DSP_CERT_KIND_OK) ?
				"listed in a certificate of sanitization" :
				"empty in a failure report");
	for (size_t i = 0; i < json_object_array_length(fails); i++)
		if (!json_object_is_type(json_object_array_get_idx(fails, i), json_type_string))
			return cert_why(why, DSP_INVALID, "summary: failures[%zu] is not a string", i);
	if (backup) {
		const char *a = dsp_json_str(sum, "backed_up"), *b = dsp_json_str(backup, "backed_up");

		if (!a || !b || strcmp(a, b))
			return cert_why(why, DSP_INVALID, "summary: backed_up differs from backup.backed_up");
	}
	return 0;
}
