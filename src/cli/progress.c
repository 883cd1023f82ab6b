/* SPDX-License-Identifier: MIT */
/* progress.c - thread-safe progress display: ANSI bars, periodic lines or JSON */
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dispose/json.h"

#define BAR_REDRAW_SECS	0.1	/* a terminal redraw at most this often */
#define LINE_SECS	5.0	/* plain lines: one per target this often */
#define JSON_SECS	1.0

struct prog_target {
	char id[16];
	char *label;		/* the path shown, exact bytes (never NULL once named) */
	char phase[16];
	unsigned pass, npasses;
	uint64_t done, total, all_done, all_total;
	double first_t;		/* first update: for the overall rate */
	uint64_t first_all;
	double phase_t;		/* start of this phase and pass: for MB/s */
	uint64_t phase_done;
	double last_out;	/* lines/JSON: last printed */
	char status[32];	/* set when finished */
	bool seen;
};

#define LABEL(t)	((t)->label ? (t)->label : "")

struct progress {
	enum progress_mode mode;
	unsigned n;
	unsigned drawn;		/* bar lines currently on the terminal */
	double last_draw;
	pthread_mutex_t lock;
	struct prog_target t[];
};

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int progress_mode_parse(const char *s, enum progress_mode *mode)
{
	static const struct { const char *name; enum progress_mode mode; } modes[] = {
		{ "bar", PROGRESS_BAR }, { "json", PROGRESS_JSON }, { "none", PROGRESS_NONE },
	};

	if (!strcmp(s, "auto")) {
		*mode = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_LINES;
		return 0;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, modes[i].name)) {
			*mode = modes[i].mode;
			return 0;
		}
	return -EINVAL;
}

struct progress *progress_new(enum progress_mode mode, unsigned n)
{
	struct progress *p = calloc(1, sizeof(*p) + n * sizeof(p->t[0]));

	if (!p)
		return NULL;
	p->mode = mode;
	p->n = n;
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void progress_target(struct progress *p, unsigned i, const char *id, const char *label)
{
	if (!p || i >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	snprintf(p->t[i].id, sizeof(p->t[i].id), "%s", id);
	free(p->t[i].label);
	p->t[i].label = strdup(label ? label : "");
	snprintf(p->t[i].phase, sizeof(p->t[i].phase), "waiting");
	pthread_mutex_unlock(&p->lock);
}

/* bytes/s of the current phase and pass */
static double phase_rate(const struct prog_target *t, double now)
{
	double dt = now - t->phase_t;

	if (dt < 0.05 || t->done < t->phase_done)
		return 0;
	return (double)(t->done - t->phase_done) / dt;
}

/* seconds left for every phase, from the rate since the first update; -1 unknown */
static double eta_secs(const struct prog_target *t, double now)
{
	double dt = now - t->first_t, rate;

	if (t->all_total && t->all_total <= t->all_done)
		return 0;
	if (dt < 0.2 || t->all_done <= t->first_all)
		return -1;
	rate = (double)(t->all_done - t->first_all) / dt;
	return (double)(t->all_total - t->all_done) / rate;
}

static void fmt_eta(double s, char *buf, size_t len)
{
	unsigned long v;

	if (s < 0) {
		snprintf(buf, len, "--:--");
		return;
	}
	v = s > 359999999 ? 359999999UL : (unsigned long)(s + 0.5);
	if (v >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", v / 3600, v / 60 % 60, v % 60);
	else
		snprintf(buf, len, "%lu:%02lu", v / 60, v % 60);
}

static int percent(const struct prog_target *t)
{
	if (!t->total)
		return t->status[0] ? 100 : 0;
	return (int)(t->done * 100 / t->total);
}

static unsigned term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

/* one bar line, at most width - 1 columns */
static void bar_line(const struct prog_target *t, double now, unsigned width)
{
	char eta[32], head[96], tail[96], bar[128];
	int pct = percent(t);
	unsigned barw, fill, i;

	snprintf(head, sizeof(head), "%-18.18s %-6.6s %2u/%-2u ", LABEL(t),
		 t->phase, t->pass, t->npasses);
	char info[64];

	if (t->status[0]) {
		snprintf(info, sizeof(info), "%s", t->status);
	} else {
		fmt_eta(eta_secs(t, now), eta, sizeof(eta));
		snprintf(info, sizeof(info), "%7.1f MB/s ETA %s",
			 phase_rate(t, now) / 1e6, eta);
	}
	/* fixed width, so the bars of all targets line up */
	snprintf(tail, sizeof(tail), " %3d%% %-24.24s", pct, info);
	barw = width - 1 > strlen(head) + strlen(tail) + 2 ?
	       (unsigned)(width - 1 - strlen(head) - strlen(tail) - 2) : 0;
	if (barw > sizeof(bar) - 1)
		barw = sizeof(bar) - 1;
	fill = (unsigned)((uint64_t)barw * (unsigned)pct / 100);
	for (i = 0; i < barw; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[barw] = '\0';
	fprintf(stderr, "\r\033[2K%s[%s]%s\n", head, bar, tail);
}

static void bar_redraw(struct progress *p, double now)
{
	unsigned w = term_width();

	if (p->drawn)
		fprintf(stderr, "\033[%uA", p->drawn);
	for (unsigned i = 0; i < p->n; i++)
		bar_line(&p->t[i], now, w);
	p->drawn = p->n;
	p->last_draw = now;
	fflush(stderr);
}

static void text_line(const struct prog_target *t, double now)
{
	char eta[32];

	if (t->status[0]) {
		fprintf(stderr, "dispose: %s: %s\n", LABEL(t), t->status);
		return;
	}
	fmt_eta(eta_secs(t, now), eta, sizeof(eta));
	fprintf(stderr, "dispose: %s: %s pass %u/%u %d%% %.1f MB/s ETA %s\n",
		LABEL(t), t->phase, t->pass, t->npasses, percent(t),
		phase_rate(t, now) / 1e6, eta);
}

/* Whole numbers only: a rate or ETA that is not finite (no data yet) is 0. */
static int64_t whole(double v)
{
	return isfinite(v) && v > 0 && v < 9e18 ? (int64_t)(v + 0.5) : 0;
}

/*
 * One JSON object a line (o is consumed). Names go in with dsp_json_add_bytes,
 * as in the record: valid UTF-8 as they are, else readable text plus the
 * exact bytes in "<key>_hex".
 */
void progress_json_print(struct json_object *o)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;

	if (s)
		printf("%s\n", s);
	fflush(stdout);
	json_object_put(o);
}

static void json_line(const struct prog_target *t, double now)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return;
	json_object_object_add(o, "id", json_object_new_string(t->id));
	dsp_json_add_bytes(o, "target", LABEL(t));
	json_object_object_add(o, "phase", json_object_new_string(t->status[0] ? "end" :
								 t->phase));
	json_object_object_add(o, "pass", json_object_new_int64(t->pass));
	json_object_object_add(o, "npasses", json_object_new_int64(t->npasses));
	json_object_object_add(o, "done", json_object_new_uint64(t->done));
	json_object_object_add(o, "total", json_object_new_uint64(t->total));
	json_object_object_add(o, "rate",
			       json_object_new_int64(t->status[0] ? 0 : whole(phase_rate(t, now))));
	json_object_object_add(o, "eta",
			       json_object_new_int64(t->status[0] ? 0 : whole(eta_secs(t, now))));
	if (t->status[0])
		json_object_object_add(o, "status", json_object_new_string(t->status));
	progress_json_print(o);
}

void progress_update(struct progress *p, unsigned i, const struct dsp_erase_progress *ev)
{
	struct prog_target *t;
	double now = now_secs();
	bool changed;

	if (!p || i >= p->n || p->mode == PROGRESS_NONE)
		return;
	pthread_mutex_lock(&p->lock);
	t = &p->t[i];
	changed = !t->seen || t->pass != ev->pass ||
		  strncmp(t->phase, ev->phase ? ev->phase : "", sizeof(t->phase));
	if (!t->seen) {
		t->first_t = now;
		t->first_all = ev->all_done;
		t->last_out = now;	/* first plain line after LINE_SECS, with a rate */
		t->seen = true;
	}
	if (changed) {
		snprintf(t->phase, sizeof(t->phase), "%s", ev->phase ? ev->phase : "");
		t->phase_t = now;
		t->phase_done = ev->done;
	}
	t->pass = ev->pass;
	t->npasses = ev->npasses;
	t->done = ev->done;
	t->total = ev->total;
	t->all_done = ev->all_done;
	t->all_total = ev->all_total;
	switch (p->mode) {
	case PROGRESS_BAR:
		if (changed || now - p->last_draw >= BAR_REDRAW_SECS)
			bar_redraw(p, now);
		break;
	case PROGRESS_LINES:
		if (now - t->last_out >= LINE_SECS) {
			text_line(t, now);
			t->last_out = now;
		}
		break;
	case PROGRESS_JSON:
		if (changed || now - t->last_out >= JSON_SECS || ev->done == ev->total) {
			json_line(t, now);
			t->last_out = now;
		}
		break;
	case PROGRESS_NONE:
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_finish(struct progress *p, unsigned i, const char *status)
{
	struct prog_target *t;
	double now = now_secs();

	if (!p || i >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	t = &p->t[i];
	snprintf(t->status, sizeof(t->status), "%s", status);
	if (t->total && !strcmp(status, "success"))
		t->done = t->total;
	switch (p->mode) {
	case PROGRESS_BAR:
		bar_redraw(p, now);
		break;
	case PROGRESS_LINES:
		break;	/* the summary at the end says it */
	case PROGRESS_JSON:
		json_line(t, now);
		break;
	case PROGRESS_NONE:
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_message(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	if (p)
		pthread_mutex_lock(&p->lock);
	if (p && p->mode == PROGRESS_BAR && p->drawn)
		fprintf(stderr, "\033[%uA\033[J", p->drawn);
	va_start(ap, fmt);
	fputs("dispose: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (p && p->mode == PROGRESS_BAR && p->drawn) {
		p->drawn = 0;
		bar_redraw(p, now_secs());
	}
	if (p)
		pthread_mutex_unlock(&p->lock);
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	fflush(stderr);
	pthread_mutex_destroy(&p->lock);
	for (unsigned i = 0; i < p->n; i++)
		free(p->t[i].label);
	free(p);
}
