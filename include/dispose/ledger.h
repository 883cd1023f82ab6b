/* SPDX-License-Identifier: MIT */
/* ledger.h - the run directory and its hash-chained event log (events.jsonl) */
#ifndef DISPOSE_LEDGER_H
#define DISPOSE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/*
 * events.jsonl: one JSON object a line. Every line starts with
 *   "seq" (from 1), "time" (RFC 3339 UTC), "event", "prev"
 * where prev is the lowercase hex SHA-256 of the previous line's bytes
 * without its newline (64 zeros for the first line), then the event's
 * own fields. The certificate (a later step) is built from this file only,
 * so everything that was done, and everything that went wrong, goes here.
 */

struct dsp_ledger;

#define DSP_LEDGER_CREATE	0x1	/* create dir (0700) and events.jsonl */
#define DSP_LEDGER_RESUME	0x2	/* open an existing run, verify chain, append */
/* with CREATE or RESUME: flock the run directory until close (taken: DSP_REFUSED, logged) */
#define DSP_LEDGER_LOCK		0x4

#define DSP_LEDGER_FILE "events.jsonl"

/*
 * Open a run directory. With CREATE the directory may exist but must not
 * hold events.jsonl already (-EEXIST). With RESUME a torn last line (a crash
 * mid-write) is cut off and recorded as a "ledger_repaired" event.
 * Returns 0, -errno, or DSP_MISMATCH when the existing chain is broken.
 */
int dsp_ledger_open(const char *dir, unsigned flags, struct dsp_ledger **out);

/*
 * Append one event. fields may be NULL; its members are copied after the
 * four header fields and the caller keeps ownership. Thread safe.
 * sync != 0 makes the line durable (fdatasync) before returning: use it for
 * checkpoints and for every event a resume or certificate depends on.
 * Returns 0 or -errno.
 *
 * A failed append makes the ledger refuse every later append with the same
 * -errno (dsp_ledger_error says which): once an event is missing, nothing
 * may be recorded after it as if the record were complete. What the failure
 * leaves in events.jsonl:
 *   write(2) failed (ENOSPC, EFBIG, EIO, short write): the bytes of the line
 *     that went through are cut off again, so the file ends with the last
 *     complete line; if even that cut fails, the torn piece stays and the
 *     next RESUME open cuts it (a "ledger_repaired" event);
 *   fdatasync failed: the whole line is in the file and in the chain, but
 *     it and earlier lines may not be on the medium.
 * Either way the chain stays valid, and a RESUME open continues it.
 */
int dsp_ledger_append(struct dsp_ledger *l, const char *event,
		      struct json_object *fields, int sync);
/* 0 while appends work, else the -errno of the append that failed. */
int dsp_ledger_error(struct dsp_ledger *l);

const char *dsp_ledger_dir(const struct dsp_ledger *l);
/* Hex SHA-256 of the last line written (the chain head). */
void dsp_ledger_head(struct dsp_ledger *l, char hex[65]);
uint64_t dsp_ledger_seq(struct dsp_ledger *l);
void dsp_ledger_close(struct dsp_ledger *l);

/*
 * Test builds (-DDSP_TEST_HOOKS) only: make the append of line seq (0: the
 * next one) fail. The line's write(2) stops after write_after bytes and
 * fails with write_err; or, with write_err 0, the line is written and
 * fdatasync fails with sync_err (on that append even when it did not ask
 * for sync). truncate_err makes the cut of a partial line fail too. One-shot.
 */
struct dsp_ledger_fault {
	uint64_t seq;
	int write_err;
	size_t write_after;
	int sync_err;
	int truncate_err;
};
#ifdef DSP_TEST_HOOKS
void dsp_ledger_test_fault(struct dsp_ledger *l, const struct dsp_ledger_fault *f);
#endif

/*
 * A new default run directory, /var/lib/dispose/runs/<UTC time>-<hostname>
 * (then -2, -3 ... when taken): it is created here (0700, mkdir never
 * reuses one), so two commands started in one second never share a record.
 * The caller removes it (rmdir) when it then writes no record after all.
 */
int dsp_ledger_default_dir(char *buf, size_t len);

/*
 * dsp_ledger_open for one command ("erase", "archive create" ...), which
 * RESUME checks against the record: a record whose run_start names another
 * command, or one that has a run_end but no run_start, is refused
 * (DSP_REFUSED, the reason logged): one run directory holds one command's
 * record, and after its run_end only a --resume of that command appends.
 * command NULL is dsp_ledger_open (no check).
 */
int dsp_ledger_open_cmd(const char *dir, unsigned flags, const char *command,
			struct dsp_ledger **out);

/* ---- the record: its schema, event builders and the one read-only reader ---- */

#define DSP_RECORD_SCHEMA "dispose-record/1"
/*
 * The command of `dispose run`'s record (run.h's DSP_RUN_CMD): one record
 * holding archive and erase events, which the archive and certificate
 * modules read as they read archive create's and erase's.
 */
#define DSP_RECORD_CMD_RUN "run"

/*
 * Builders return a new object (NULL on ENOMEM) holding the fields every
 * writer of that event must give; the caller adds its own and appends it.
 * Strings that are not UTF-8 are escaped reversibly (dispose/json.h).
 *
 * run_start: schema, command, tool, version, gitrev, host, operator, uid,
 * argv (each element exactly as given).
 */
struct json_object *dsp_record_run_start(const char *command, int argc, char *const argv[]);
/* run_resumed: host, operator, uid, argv. */
struct json_object *dsp_record_run_resumed(int argc, char *const argv[]);
/* run_end: status, exit. */
struct json_object *dsp_record_run_end(const char *status, int exit_code);
/* target (a target's start): path (exact bytes), kind, identity (null when unknown). */
struct json_object *dsp_record_target_start(const char *path, const char *kind,
					    struct json_object *identity);
/*
 * target_end: status; error when err < 0 (strerror) or why is given;
 * bytes_written, bytes_verified. status is one of dsp_record_status's words.
 */
struct json_object *dsp_record_target_end(const char *status, int err, const char *why,
					  uint64_t written, uint64_t verified);
/* Who runs this: $SUDO_USER, $LOGNAME or the uid's name; NULL when none is known. */
const char *dsp_record_operator(void);
/* 0 success, DSP_PARTIAL/DSP_MISMATCH completed-with-errors, DSP_INTERRUPTED interrupted, else failed. */
const char *dsp_record_status(int st);

#define DSP_RECORD_STARTED	1
#define DSP_RECORD_ENDED	2
#define DSP_RECORD_REMOVED	3

/* What the record says of one target, as the last of its events left it. */
struct dsp_record_target {
	char *id;
	char *kind;			/* "block", "file", "tree"; NULL when not said */
	char *path;			/* exact bytes (path_hex honoured) of its last target
					 * event; NULL when not said */
	size_t path_len;
	struct json_object *identity;	/* of its first target event, names as bytes
					 * (dsp_json_restore_bytes); NULL when none or null */
	char *method;			/* method name */
	char *verify;			/* verification mode */
	int64_t npasses;		/* from pass_start; 0 when none started */
	int64_t passes_ended;		/* pass_end events (over all sessions) */
	struct json_object *patterns;	/* array, index pass-1: each pass's last pattern (keys) */
	bool verified;			/* a complete verify_end */
	uint64_t bytes_written, bytes_verified, mismatches;	/* from target_end */
	struct json_object *bad_ranges;	/* from target_end; NULL when none said */
	char *status;			/* last target_end's status; NULL: none (unfinished) */
	char *category;			/* nist_category of the last target_end */
	struct json_object *caveats;	/* of the last target_end */
	bool removed;			/* file_removed */
	bool resumed;			/* target_resumed seen */
	int phase;			/* which came last: DSP_RECORD_STARTED (target,
					 * target_resumed), _ENDED (target_end), _REMOVED */
	struct json_object *end;	/* the last target_end event itself */
	struct json_object *size;	/* "size" of its first target event that has one
					 * (older records keep it beside the identity) */
	char *renamed_to;		/* "to" of its last file_renamed; NULL: none */
	/*
	 * Techniques beyond overwrite (#13). Each from the last target_end that
	 * says it, else from the target event (or the technique's own events);
	 * NULL / -1 when the record does not say.
	 */
	char *technique;		/* "overwrite", "crypto-luks", "sanitize"; a
					 * record that says none (older) reads "overwrite" */
	char *action;			/* sanitize: the device action ("crypto", ...) */
	char *category_requested;	/* "clear", "purge"; NULL: older record */
	char *auto_reason;		/* why auto chose this method */
	struct json_object *method_json; /* the target event's method object */
	struct json_object *then;	/* the --then method object */
	struct json_object *then_end;	/* target_end's then: what its passes did
					 * (status, nist_category, caveats ...) */
	struct json_object *luks;	/* dsp_luks_result_json: target_end's, else
					 * luks_destroyed's result */
	struct json_object *luks_volume; /* the volume as it was: luks.volume, else
					 * luks_header's volume (synced before destroy) */
	struct json_object *header_backups; /* [{path, uuid, erased_in_run}] */
	struct json_object *sanitize;	/* dsp_san_result_json: target_end's, else
					 * sanitize_end's result */
	struct json_object *luks_destroyed; /* luks_destroyed's own result (what the
					 * destroy recorded when it ended) */
	struct json_object *sanitize_sent; /* the sanitize_sent event (the command) */
	struct json_object *sanitize_end; /* sanitize_end's own result */
	int sanitize_ok;		/* sanitize_end's ok: 1, 0, -1 not said */
	struct json_object *health_before, *health_after;
	int dealloc;			/* 1, 0, -1 not said */
	struct json_object *hidden;	/* dsp_ata_hidden_json */
};

/* An archive_created or archive_verified event, in record order. */
struct dsp_record_archive {
	char *id;			/* External-Identifier (bag_info's, or
					 * external_identifier); NULL when not said */
	char *path;			/* "archive", exact bytes; NULL when not said */
	size_t path_len;
	struct json_object *event;	/* the event itself, as written */
};

struct dsp_record {
	char head[65];			/* chain head: hash of the last good line */
	uint64_t events;		/* good lines */
	int chain;			/* 0, or DSP_MISMATCH: line bad_line breaks the chain */
	uint64_t bad_line;
	bool torn;			/* a last line without newline (not counted) */
	char *schema;			/* run_start's; NULL before dispose-record/1 */
	char *command;			/* run_start's; NULL when none */
	struct json_object *run_start;	/* the first run_start event, names as bytes
					 * (argv, cwd, targets' paths); NULL when none */
	struct json_object *erase_start; /* the last erase_start (a pipeline's erase step),
					 * names as bytes; NULL when none */
	bool erase_end;			/* an erase_end follows that erase_start */
	bool run_end;			/* the last run event is a run_end */
	char *run_end_status;		/* its status */
	int64_t run_end_exit;
	struct dsp_record_target *targets;	/* in order of first appearance */
	size_t ntargets;
	struct dsp_record_archive *archives;	/* each archive_created */
	size_t narchives;
	struct dsp_record_archive *verified;	/* each archive_verified */
	size_t nverified;
};

/*
 * Read the record of run directory dir without changing anything (the file
 * is opened read-only; a torn line is reported, not cut). A broken chain is
 * not an error: rec->chain says so, and what came before it is read.
 * Returns 0 (*out set, free with dsp_record_free), -errno (-ENOENT: no
 * record) or -ENOMEM.
 */
int dsp_record_read(const char *dir, struct dsp_record **out);
void dsp_record_free(struct dsp_record *rec);
const struct dsp_record_target *dsp_record_find(const struct dsp_record *rec, const char *id);

/*
 * Every event of dir's record in order, through the same read-only path as
 * dsp_record_read (for callers that need more than struct dsp_record keeps:
 * a target's checkpoints, its I/O errors). fn must not keep ev; a non-zero
 * return stops the walk and is returned. Stricter than dsp_record_read: a
 * broken chain, bad seq, malformed or torn line is DSP_MISMATCH (*bad_line
 * says which, when not NULL), after fn saw the events before it. Else 0 or
 * -errno.
 */
typedef int (*dsp_ledger_visit_fn)(struct json_object *ev, void *arg);
int dsp_record_read_events(const char *dir, dsp_ledger_visit_fn fn, void *arg,
			   uint64_t *bad_line);

/* RFC 3339 UTC timestamp of now, e.g. 2026-11-28T12:00:00.123Z */
void dsp_time_rfc3339(char buf[32]);

#endif
