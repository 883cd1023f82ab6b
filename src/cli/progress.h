/* SPDX-License-Identifier: MIT */
/* progress.h - progress of long commands (erase, inventory, archive): bars, lines or JSON */
#ifndef DISPOSE_CLI_PROGRESS_H
#define DISPOSE_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>
#include "dispose/erase.h"
#include "dispose/log.h"

enum progress_mode {
	PROGRESS_NONE,
	PROGRESS_BAR,	/* one redrawn line per target on a terminal (stderr) */
	PROGRESS_LINES,	/* a plain line per running target every LINE_SECS (stderr) */
	PROGRESS_JSON,	/* one JSON object a line (stdout, or the stream set) */
};

/* For messages: what progress_mode_parse takes. */
#define PROGRESS_MODES "auto, bar, lines, json or none"

struct progress;

/* --progress MODE: auto (a bar on a terminal, else lines), bar, lines, json, none. 0 or -EINVAL. */
int progress_mode_parse(const char *s, enum progress_mode *mode);

/*
 * What one target has done so far. Erase fills it from the engine's
 * report; inventory and archive from theirs.
 */
struct progress_state {
	const char *phase;		/* "write", "verify", "files", ... */
	unsigned pass, npasses;		/* npasses 0: no passes shown */
	uint64_t done, total;		/* bytes of this phase; total 0: not known */
	uint64_t all_done, all_total;	/* every phase: overall percentage and ETA (0: not known) */
	uint64_t count;			/* files or items so far */
	const char *count_name;		/* "files", "items"; NULL: no count */
};

/* A display for n targets; every call below is thread safe. NULL: no memory. */
struct progress *progress_new(enum progress_mode mode, unsigned n);
/* JSON lines go to f instead of stdout (commands whose report is on stdout). */
void progress_json_stream(struct progress *p, FILE *f);
/* Name target i (id "t1", label: the path shown). */
void progress_target(struct progress *p, unsigned i, const char *id, const char *label);
/* Target i's state now; drawn at most as often as the mode says. */
void progress_set(struct progress *p, unsigned i, const struct progress_state *s);
/* An erase engine callback; never cancels (the stop flag does that). */
void progress_update(struct progress *p, unsigned i, const struct dsp_erase_progress *ev);
/* Target i finished with status (e.g. "success"); draws its final state. */
void progress_finish(struct progress *p, unsigned i, const char *status);
/* Print a message without tearing the bars (stderr). */
void progress_message(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A log sink for the core's messages while p draws: printed through
 * progress_message, INFO only with verbose >= 1, DEBUG with verbose >= 2.
 */
struct dsp_log_sink progress_log_sink(struct progress *p, int verbose);
/* Print o as one JSON line on stdout and put it (names added with dsp_json_add_bytes). */
void progress_json_print(struct json_object *o);

/* Leave the terminal below the bars; frees p. */
void progress_free(struct progress *p);

#endif
