/* SPDX-License-Identifier: MIT */
/* ledger.h - the run directory and its hash-chained event log (events.jsonl) */
#ifndef DISPOSE_LEDGER_H
#define DISPOSE_LEDGER_H

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
 * Walk events.jsonl of dir, checking the chain; fn is called for each event
 * in order (it must not keep ev) and may stop the walk by returning non-zero,
 * which is then returned. Returns 0, -errno, or DSP_MISMATCH (broken chain,
 * bad seq, malformed line: *bad_line says which, when not NULL).
 */
typedef int (*dsp_ledger_visit_fn)(struct json_object *ev, void *arg);
int dsp_ledger_walk(const char *dir, dsp_ledger_visit_fn fn, void *arg,
		    uint64_t *bad_line);

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

/* Default run directory: /var/lib/dispose/runs/<UTC time>-<hostname>. */
int dsp_ledger_default_dir(char *buf, size_t len);

/* RFC 3339 UTC timestamp of now, e.g. 2026-11-28T12:00:00.123Z */
void dsp_time_rfc3339(char buf[32]);

#endif
