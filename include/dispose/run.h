/* SPDX-License-Identifier: MIT */
/* run.h - policies (dispose-policy(5)), plans, and the one pipeline of `dispose run` */
#ifndef DISPOSE_RUN_H
#define DISPOSE_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>
#include "dispose/log.h"
#include "dispose/method.h"

/*
 * Errors: every function that can fail on input writes one line to *why
 * (a new string, free()) when why is not NULL: "<file>: <key path>: <what
 * is wrong>", the key path as JSON Pointer-like text: "erase[2].paths[0]".
 * Returns 0, DSP_INVALID (bad input: exit 2), DSP_REFUSED (a safety rule:
 * exit 4), DSP_UNSUPPORTED, DSP_MISMATCH, DSP_PARTIAL, DSP_INTERRUPTED or
 * -errno.
 */

/* ---- policies (policy.c) ---- */

#define DSP_POLICY_SCHEMA	"dispose-policy/1"
#define DSP_POLICY_FILE_MAX	(1u << 20)

/* Variables: "${NAME}" in any string value, from --set NAME=VALUE, else the policy's "vars". */
struct dsp_policy_var {
	char *name, *value;
};

/* What a retain or erase rule selects (any mix; at least one selector). */
struct dsp_policy_select {
	char **paths;		/* absolute globs after ${} expansion: fnmatch(3) with
				 * FNM_PATHNAME, and a final "/ **" (no space) means the
				 * directory and everything under it */
	size_t npaths;
	char **key_formats;	/* "any", or inventory key formats ("openssh", "pem-pkcs8"...) */
	size_t nkey_formats;
	char **packages;	/* fnmatch globs on package names (dpkg/rpm) */
	size_t npackages;
	char **unpackaged;	/* unpackaged trees (absolute globs), or "any" */
	size_t nunpackaged;
	char **devices;		/* device selectors: a /dev path or /dev/disk/by-* name,
				 * "serial:S", "wwn:W", "all-except-system"; an element
				 * expanding to a comma-separated list is split, one
				 * expanding to "" is dropped */
	size_t ndevices;
};

struct dsp_policy_rule {
	unsigned index;		/* within its section: messages say "erase[2]" */
	char *name;		/* "name", or "<section>[<index>]" */
	struct dsp_policy_select sel;
	bool if_present;	/* matching nothing is not an error */
	/* retain */
	char *retain_until;	/* YYYY-MM-DD (a duration "7y", "18m", "90d" is resolved
				 * from the run's start date: dsp_policy_resolve_date) */
	char *retain_for;	/* the duration as written, or NULL */
	char *series, *authority, *organization;
	bool legal_hold;
	char *destination;	/* directory for the archive; NULL: RUN_DIR/archives */
	char **recipients;	/* PEM certificates: encrypted when any */
	size_t nrecipients;
	bool keys_include;	/* "keys": "include" (or a keys selector): key material under
				 * its paths is archived (recipients required); default
				 * false: every inventory key under them is excluded */
	/* erase */
	char *method;		/* a method name or file (profiles/methods), "auto" too */
	char *then;		/* crypto-luks: an overwrite afterwards, or NULL */
	char *category;		/* "clear" | "purge" | NULL */
	char *verify;		/* none|last|all|sample[:P], or NULL: the method's */
};

struct dsp_policy_cert {
	char *key, *cert, *chain, *passphrase_file, *ca;	/* NULL: not given */
	char *operator_name, *operator_title, *organization, *location, *contact;
	char *verifier, *validator, *media_destination, *property_number, *classification;
	unsigned redact;	/* "redact": DSP_CERT_REDACT_* (0: no redacted copy) */
};

#define DSP_POLICY_SOFTWARE	0x01	/* as DSP_INV_* */
#define DSP_POLICY_DATA		0x02
#define DSP_POLICY_KEYS		0x04
#define DSP_POLICY_DEVICES	0x08

struct dsp_policy {
	char *path;		/* as given */
	char sha256[65];	/* of the file's bytes */
	char *name, *description;
	/* inventory */
	char **roots;		/* absolute, after expansion */
	size_t nroots;
	unsigned categories;	/* DSP_POLICY_* */
	bool hash;
	char *sysroot;		/* dpkg/rpm databases and unpackaged trees under it; NULL: "/" */
	/* rules, in file order */
	struct dsp_policy_rule *retain, *erase, *keep;
	size_t nretain, nerase, nkeep;
	bool keep_running_system;	/* default true: the running OS's paths and devices */
	struct dsp_policy_cert cert;
	struct dsp_policy_var *vars;	/* the values used (defaults and --set), for the record */
	size_t nvars;
};

/*
 * Parse a policy document with the method files' strict JSON checks (UTF-8,
 * no duplicate key, size limit, every key known, every type checked),
 * expanding ${NAME} from set[] (NAME=VALUE strings, nset of them) before the
 * policy's own "vars" defaults. origin names the file in messages. A
 * variable used but not set, a set variable the policy never uses, an
 * unknown method (dsp_method_find), a relative path, a bad date or duration,
 * an empty rule: DSP_INVALID with *why. The policy's own "sha256" is of text.
 */
int dsp_policy_parse(const char *text, size_t len, const char *origin,
		     const char *const *set, size_t nset, struct dsp_policy **out, char **why);
/* Read (regular file, at most DSP_POLICY_FILE_MAX bytes) and parse. -errno: unreadable (said). */
int dsp_policy_load(const char *path, const char *const *set, size_t nset,
		    struct dsp_policy **out, char **why);
/*
 * A policy by name ("demo": the shipped profiles/policies/demo.json, found as
 * methods are, dsp_method_shipped_dir's sibling) or by path (a '/' or .json).
 */
int dsp_policy_find(const char *name_or_path, const char *const *set, size_t nset,
		    struct dsp_policy **out, char **why);
void dsp_policy_free(struct dsp_policy *p);
/* A date or duration ("7y", "18m", "90d", "2w") from today (YYYY-MM-DD) into out. 0 or DSP_INVALID. */
int dsp_policy_resolve_date(const char *spec, const char *today, char out[11]);
/* The shipped policies directory (realpath), or NULL. */
const char *dsp_policy_shipped_dir(void);

/* ---- plans (plan.c) ---- */

#define DSP_PLAN_SCHEMA		"dispose-plan/1"

struct dsp_plan_opts {
	const char *inventory;		/* dispose-inventory/1 file to read; NULL: scan now */
	const char *run_dir;		/* default archive destination RUN_DIR/archives; the run
					 * directory itself is always kept; may be NULL */
	const char *today;		/* YYYY-MM-DD for durations; NULL: the UTC date */
	const char *root;		/* tests: fake sys/proc root for device lookups (device.h) */
	const struct dsp_log_sink *log;
	const char *const *inputs;	/* more files the run reads (kept, never erased): ninputs;
					 * the policy's own (its file, certificate files,
					 * recipients) and inventory are kept without them */
	size_t ninputs;
};

/*
 * The decision for every item of the inventory, as a dispose-plan/1
 * document (dispose-plan(5) in dispose-policy(5)): a new object.
 *   schema, created, policy {name, path, sha256}, inventory {path, sha256},
 *   vars {NAME: VALUE},
 *   archives [{id "a1", rule, name, archive (path of NAME.tar.zst[.enc]),
 *     roots [..], excludes [..], retain_until, retain_for, series, authority,
 *     organization, legal_hold, recipients [..], files, bytes}],
 *   targets [{id "t1", rule, path, kind block|file|tree, method, then,
 *     category, verify, passes, bytes, files, retained (files under it that
 *     an archive must cover first), estimate_secs, reason}],
 *   items [{path, kind file|dir|key|package|unpackaged|device, decision
 *     retain|erase|retain+erase|keep|none, rule, target, archive, reason}],
 *   keep [{path, rule, reason}],
 *   counts {items, retain, erase, keep, none, targets, archives, bytes_to_erase,
 *     bytes_to_archive, estimate_secs},
 *   certificate {the policy's certificate section}.
 * Targets never overlap and never hold a kept item: an erase path holding a
 * kept one is split into its other entries. Names as bytes (dispose/json.h).
 * A rule that matches nothing (and is not if_present) is DSP_INVALID:
 * "<policy>: erase[1]: matches nothing".
 */
int dsp_plan_build(const struct dsp_policy *p, const struct dsp_plan_opts *o,
		   struct json_object **plan, char **why);
/* The plan as a person reads it (dispose plan): grouped by target and archive, then counts. */
int dsp_plan_print(FILE *out, struct json_object *plan, bool verbose);
/* Write plan (dsp_cert_canonical-like bytes, 0600, O_EXCL unless replace) and its SHA-256. */
int dsp_plan_write(struct json_object *plan, const char *path, bool replace, char sha256[65],
		   char **why);

/* ---- the pipeline (pipeline.c) ---- */

#define DSP_RUN_CMD		"run"

enum dsp_run_step {
	DSP_STEP_INVENTORY, DSP_STEP_PLAN, DSP_STEP_ARCHIVE, DSP_STEP_VERIFY,
	DSP_STEP_ERASE, DSP_STEP_CERTIFY, DSP_STEP_COUNT
};
/* "inventory", "plan", "archive", "verify", "erase", "certify" */
const char *dsp_run_step_name(enum dsp_run_step s);

struct dsp_run_progress {
	enum dsp_run_step step;		/* step+1 of DSP_STEP_COUNT */
	const char *what;		/* the current target, archive or file; may be NULL */
	const char *phase;		/* "scan", "write", "verify", "read" ...; may be NULL */
	uint64_t done, total;		/* this step's bytes (total 0: not known) */
	uint64_t all_done, all_total;	/* the whole run's bytes, for an overall ETA */
};

struct dsp_run_opts {
	const char *policy;		/* name or path */
	const char *const *set;		/* NAME=VALUE, nset */
	size_t nset;
	const char *run_dir;		/* NULL: a new default directory */
	const char *inventory;		/* use this inventory instead of scanning; NULL: scan */
	bool dry_run, resume;
	const char *root;		/* tests: fake sys/proc root (device.h) */
	int argc;
	char **argv;
	volatile sig_atomic_t *stop;	/* set by a signal handler; may be NULL */
	const struct dsp_log_sink *log;
	/*
	 * After the plan, before anything is archived or erased: show it and ask.
	 * Return 0 to go on, else the exit code (nothing done, no record kept).
	 * NULL: go on (--yes). Not called on --resume past the plan, nor in a dry run.
	 */
	int (*confirm)(struct json_object *plan, void *arg);
	void (*progress)(const struct dsp_run_progress *p, void *arg);
	/* a step began or ended (status NULL: began); may be NULL */
	void (*step)(enum dsp_run_step s, const char *status, void *arg);
	void *arg;
};

struct dsp_run_result {
	char run_dir[4096];
	char certificate[4096];		/* RUN_DIR/certificate.json, or "" when none */
	char verify_cmd[8192];		/* the stock openssl command that verifies it */
	bool certificate_ok;		/* a certificate of sanitization (not a failure report) */
	bool nothing_to_erase;		/* the plan has no erase target: no certificate is made */
	int exit_code;			/* DSP_EXIT_* */
	char status[32];		/* the run's status word */
	char *why;			/* one line when it failed, or NULL; dsp_run_result_clear */
	struct json_object *plan;	/* a dry run's plan (names as bytes), or NULL;
					 * dsp_run_result_clear */
};

/*
 * inventory -> plan -> archive -> verify -> erase -> certify in one run
 * directory with one record (command "run"). See dispose(8) RUN. The exit code is in res.
 */
int dsp_run(const struct dsp_run_opts *o, struct dsp_run_result *res);
void dsp_run_result_clear(struct dsp_run_result *res);

#endif
