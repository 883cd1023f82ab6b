/* SPDX-License-Identifier: MIT */
/* run_int.h - the pipeline's own parts (pipeline*.c, interlock.c): never outside src/run */
#ifndef DISPOSE_RUN_INT_H
#define DISPOSE_RUN_INT_H

#include <limits.h>
#include <stdbool.h>
#include <json-c/json.h>
#include "dispose/ledger.h"
#include "dispose/run.h"

/* What the record of a run directory says (resume), read once after the open. */
struct run_state {
	bool started[DSP_STEP_COUNT], ended[DSP_STEP_COUNT];
	struct json_object *step_end[DSP_STEP_COUNT];	/* the last step_end of each */
	struct json_object *arc_started;	/* id -> archive path of archive_start */
	struct json_object *arc_created;	/* archive path -> its last archive_created */
	struct json_object *erase_end;		/* the last erase_end after erase_start */
	bool erase_start;
	bool run_end;				/* the last run event is a run_end */
	char run_end_status[32];
	int64_t run_end_exit;
	struct json_object *run_start;		/* names as bytes */
};

struct dsp_cert_signer;

struct run {
	const struct dsp_run_opts *o;
	struct dsp_cert_signer *signer;	/* the policy's key, loaded first; NULL: none */
	struct dsp_run_result *res;
	struct dsp_policy *pol;
	char dir[PATH_MAX];		/* absolute */
	bool made_dir;			/* this run made it (a new run may take it away again) */
	struct dsp_ledger *l;
	struct json_object *plan;
	char inv[PATH_MAX + 32], plan_path[PATH_MAX + 32];
	char policy_abs[PATH_MAX];
	struct run_state st;
	int argc;			/* "dispose" and the command's arguments */
	char **argv;
	int exit;			/* the worst exit code so far */
	const char *step_status[DSP_STEP_COUNT];
	uint64_t all_done, all_total;	/* the whole run's work, for the ETA: the steps
					 * ended before this one, and all of them */
	uint64_t work[DSP_STEP_COUNT];	/* each step's work (bytes) as the plan has it */
	uint64_t step_base;		/* this step: work of its items already done */
	uint64_t *tdone;		/* erase: each target's bytes so far (atomic) */
	unsigned ntdone;
	enum dsp_run_step cur;
	bool step_open;			/* the step ends without step_end: a resume redoes it */
};

/* Exit code of a core result (dispose(8) EXIT STATUS); sig: the signal that stopped us. */
int run_exit_of(int rc, int sig);
int run_exit_worse(int a, int b);
/* Set res->why (first one wins) and log it as an error. */
void run_fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The signal that stopped the run, or 0. */
int run_stopped(const struct run *r);
/* Report progress of the current step: its item (done of total), the step's work so far. */
void run_progress(struct run *r, const char *what, const char *phase, uint64_t done,
		  uint64_t total, uint64_t step_done);
/* (Re)read r->st from the record in r->dir. 0, DSP_INVALID (damaged, said) or -errno. */
int run_state_read(struct run *r);
/* Append an event (synced); 0 or -errno (said). */
int run_append(struct run *r, const char *event, struct json_object *fields);

/* SHA-256 / SHA-512 of a file by path, or of an open fd with pread. */
int run_sha256_file(const char *path, char hex[65]);
int run_sha512_fd(int fd, char hex[129]);

/* The steps (pipeline_steps.c, interlock.c). Each returns 0 or a core result; fields for step_end. */
int run_step_inventory(struct run *r, struct json_object *end);
int run_step_plan(struct run *r, struct json_object *end, bool confirm, int *declined);
int run_step_archive(struct run *r, struct json_object *end);
int run_step_verify(struct run *r, struct json_object *end);
int run_step_erase(struct run *r, struct json_object *end);
struct dsp_erase_session;
/* The files the run reads (policy, --inventory, certificate files, recipients, method files): a new array of n borrowed names for the plan to keep. */
const char **run_inputs(const struct run *r, size_t *n);
/* r->plan from the policy and po, the run's inputs kept: 0, or the error (said). */
int run_plan_build(struct run *r, struct dsp_plan_opts *po);
/* Each block target is still the medium the inventory recorded: 0 or DSP_REFUSED (said). */
int run_erase_expect(struct run *r, const struct dsp_erase_session *s);
/* The policy's signing key, before anything is done: 0, or DSP_INVALID (said). */
int run_signer_load(struct run *r);
/* After run_end: the certificate (pipeline_cert.c). */
int run_certify(struct run *r);

#ifdef DSP_TEST_HOOKS
/* DISPOSE_TEST_RUN_KILL=<step>:<start|end>: SIGKILL right after that event is written. */
void run_test_kill(const char *step, const char *when);
/* DISPOSE_TEST_RUN_KILL=erase:write:BYTES[:INT]: SIGKILL (or SIGINT) once a target has BYTES written. */
void run_test_kill_bytes(uint64_t done);
#endif

#endif
