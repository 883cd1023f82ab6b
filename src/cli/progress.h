/* SPDX-License-Identifier: MIT */
/* progress.h - per-target progress display for erase (bar, lines or JSON) */
#ifndef DISPOSE_CLI_PROGRESS_H
#define DISPOSE_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>
#include "dispose/erase.h"

enum progress_mode {
	PROGRESS_NONE,
	PROGRESS_BAR,	/* one redrawn line per target on a terminal (stderr) */
	PROGRESS_LINES,	/* a plain line every 5 s per target (stderr) */
	PROGRESS_JSON,	/* one JSON object a line on stdout */
};

struct progress;

/* --progress MODE: auto (a bar on a terminal, else lines), bar, json, none. 0 or -EINVAL. */
int progress_mode_parse(const char *s, enum progress_mode *mode);

/* A display for n targets; every call below is thread safe. NULL: no memory. */
struct progress *progress_new(enum progress_mode mode, unsigned n);
/* Name target i (id "t1", label: the path shown). */
void progress_target(struct progress *p, unsigned i, const char *id, const char *label);
/* An engine callback; never cancels (the stop flag does that). */
void progress_update(struct progress *p, unsigned i, const struct dsp_erase_progress *ev);
/* Target i finished with status (e.g. "success"); draws its final state. */
void progress_finish(struct progress *p, unsigned i, const char *status);
/* Print a message without tearing the bars (stderr). */
void progress_message(struct progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print o as one JSON line on stdout and put it (names added with dsp_json_add_bytes). */
void progress_json_print(struct json_object *o);

/* Leave the terminal below the bars; frees p. */
void progress_free(struct progress *p);

#endif
