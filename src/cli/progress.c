/* SPDX-License-Identifier: MIT */
/* progress.c - thread-safe progress display: ANSI bars, periodic lines or JSON */
#include "progress.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dispose/json.h"

#define BAR_REDRAW_SECS	0.1	/* a terminal redraw at most this often */
/* plain lines: one per running target this often, from a timer of their own,
   so a device that takes minutes per chunk still gets its line (10 s promised) */
#define LINE_SECS	5.0
#define JSON_SECS	1.0

struct prog_target {
	char id[16];
	char *label;		/* the path, exact bytes (never NULL once named): JSON */
	char *show;		/* the same for a terminal or a log: readable, no controls */
	char phase[16];
	char count_name[16];	/* "" no count */
	unsigned pass, npasses;
	uint64_t done, total, all_done, all_total, count;
	double first_t;		/* first update: for the average rate */
	uint64_t first_all;
	double phase_t;		/* start of this phase and pass: for MB/s */
	uint64_t phase_done;
	double last_out;	/* JSON: last printed */
	double line_t;		/* lines: last printed, for the current rate */
	uint64_t line_all;
	char status[32];	/* set when finished */
	bool seen;
};

#define LABEL(t)	((t)->label ? (t)->label : "")
#define SHOW(t)		((t)->show ? (t)->show : "")

/*
 * A name as a terminal or a log may show it: json.h's readable text (\xHH
 * for bytes that are not UTF-8), control characters (C0, DEL, C1) as '?',
 * so that a crafted file name cannot drive the terminal.
 */
static char *show_text(const char *s)
{
	char *t = dsp_json_escape_text(s, strlen(s));
	unsigned char *p = (unsigned char *)t, *o = p;

	if (!t)
		return NULL;
	for (; *p; p++) {
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			*o++ = '?';
			p++;
		} else {
			*o++ = *p < 0x20 || *p == 0x7f ? '?' : *p;
		}
	}
	*o = '\0';
	return t;
}

struct progress {
	enum progress_mode mode;
	unsigned n;
	unsigned drawn;		/* bar lines currently on the terminal */
	double last_draw;
	FILE *json;		/* where JSON lines go */
	int verbose;		/* for progress_log_sink */
	pthread_mutex_t lock;
	pthread_cond_t cv;	/* wakes the line timer to quit */
	pthread_t ticker;
	bool ticking, quit;
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
		{ "bar", PROGRESS_BAR }, { "lines", PROGRESS_LINES },
		{ "json", PROGRESS_JSON }, { "none", PROGRESS_NONE },
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

/* bytes/s of the current phase and pass */
static double phase_rate(const struct prog_target *t, double now)
{
	double dt = now - t->phase_t;

	if (dt < 0.05 || t->done < t->phase_done)
		return 0;
	return (double)(t->done - t->phase_done) / dt;
}

/* bytes/s of every phase since the first update */
static double avg_rate(const struct prog_target *t, double now)
{
	double dt = now - t->first_t;

	if (dt < 0.05 || t->all_done < t->first_all)
		return 0;
	return (double)(t->all_done - t->first_all) / dt;
}

/* seconds left for every phase, from the rate since the first update; -1 unknown */
static double eta_secs(const struct prog_target *t, double now)
{
	double dt = now - t->first_t, rate;

	if (!t->all_total)
		return -1;
	if (t->all_total <= t->all_done)
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

static int pct_of(uint64_t done, uint64_t total)
{
	if (!total)
		return 0;
	if (done >= total)
		return 100;
	return (int)((double)done * 100 / (double)total);
}

/* this phase's percentage */
static int percent(const struct prog_target *t)
{
	if (!t->total)
		return t->status[0] ? 100 : 0;
	return pct_of(t->done, t->total);
}

/* "1.2 GB": decimal, as the rates are */
static const char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)b;
	unsigned u = 0;

	while (v >= 1000 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static unsigned term_width(void)
{
	struct winsize ws;

	/* a narrow terminal too: a line that wraps breaks the redraw (one row a target) */
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 2)
		return ws.ws_col;
	return 80;
}

/* Print one bar row cut to width - 1 columns (a code point one column). */
static void put_row(const char *line, unsigned width)
{
	size_t i = 0;
	unsigned cols = 0;

	while (line[i] && cols < width - 1) {
		i++;
		while ((line[i] & 0xc0) == 0x80)	/* rest of a UTF-8 character */
			i++;
		cols++;
	}
	fprintf(stderr, "\r\033[2K%.*s\n", (int)i, line);
}

#define LABEL_W 18

/* A label for LABEL_W columns: a long path by its end, where names differ. */
static const char *short_label(const struct prog_target *t, char *buf, size_t len)
{
	const char *l = SHOW(t);
	size_t n = strlen(l);

	if (n <= LABEL_W)
		return l;
	l += n - (LABEL_W - 3);
	while ((*l & 0xc0) == 0x80)	/* not in the middle of a UTF-8 character */
		l++;
	snprintf(buf, len, "...%s", l);
	return buf;
}

/* one bar line, at most width - 1 columns */
static void bar_line(const struct prog_target *t, double now, unsigned width)
{
	char eta[32], head[96], tail[96], bar[128], info[64], b[32], lb[32], row[512];
	const char *label = short_label(t, lb, sizeof(lb));
	int pct = percent(t);
	unsigned barw, fill, i;

	if (!t->seen) {
		/* not started yet (--jobs), or ended before it started: no phase, no passes */
		snprintf(row, sizeof(row), "%-18.18s %s", label,
			 t->status[0] ? t->status : "waiting");
		put_row(row, width);
		return;
	}
	if (t->npasses)
		snprintf(head, sizeof(head), "%-18.18s %-7.7s %2u/%-2u ", label,
			 t->phase, t->pass, t->npasses);
	else
		snprintf(head, sizeof(head), "%-18.18s %-7.7s ", label, t->phase);
	if (!t->total) {
		/* nothing to measure a bar against: what was done, and how fast */
		if (t->count_name[0])
			snprintf(info, sizeof(info), "%llu %s, ", (unsigned long long)t->count,
				 t->count_name);
		else
			info[0] = '\0';
		if (t->status[0])
			snprintf(tail, sizeof(tail), "%s", t->status);
		else
			snprintf(tail, sizeof(tail), "%.1f MB/s", phase_rate(t, now) / 1e6);
		snprintf(row, sizeof(row), "%s%s%s, %s", head, info,
			 fmt_bytes(t->done, b, sizeof(b)), tail);
		put_row(row, width);
		return;
	}
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
	snprintf(row, sizeof(row), "%s[%s]%s", head, bar, tail);
	put_row(row, width);
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

/*
 * "dispose: /dev/sdb: 45%, write pass 16/35 3%, 120.3 MB/s now,
 * 118.0 MB/s average, ETA 1:02:03": the overall percentage first (every
 * pass), the rate since the last line and since the start. Without a
 * known total, what was done instead of percentages and ETA.
 */
static void text_line(struct prog_target *t, double now)
{
	char line[512], eta[32], b[32];
	double dt = now - t->line_t;
	double cur = dt > 0.05 && t->all_done >= t->line_all ?
		     (double)(t->all_done - t->line_all) / dt : 0;
	size_t o = 0;

#define ADD(...) (o += (size_t)snprintf(line + o, o < sizeof(line) ? sizeof(line) - o : 0, \
					  __VA_ARGS__))
	if (t->all_total)
		ADD("%d%%, ", pct_of(t->all_done, t->all_total));
	ADD("%s", t->phase);
	if (t->npasses)
		ADD(" pass %u/%u", t->pass, t->npasses);
	if (t->total)
		ADD(" %d%%", percent(t));
	if (t->count_name[0])
		ADD(", %llu %s", (unsigned long long)t->count, t->count_name);
	if (!t->all_total)
		ADD(", %s", fmt_bytes(t->done, b, sizeof(b)));
	ADD(", %.1f MB/s now, %.1f MB/s average", cur / 1e6, avg_rate(t, now) / 1e6);
	if (t->all_total) {
		fmt_eta(eta_secs(t, now), eta, sizeof(eta));
		ADD(", ETA %s", eta);
	}
#undef ADD
	fprintf(stderr, "dispose: %s: %s\n", SHOW(t), line);
	t->line_t = now;
	t->line_all = t->all_done;
}

/* Whole numbers only: a rate or ETA that is not finite (no data yet) is 0. */
static int64_t whole(double v)
{
	return isfinite(v) && v > 0 && v < 9e18 ? (int64_t)(v + 0.5) : 0;
}

static void json_put(FILE *f, struct json_object *o)
{
	const char *s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;

	/* one call: a whole line, never torn by another thread's message */
	if (s)
		fprintf(f, "%s\n", s);
	fflush(f);
	json_object_put(o);
}

/*
 * One JSON object a line (o is consumed). Names go in with dsp_json_add_bytes,
 * as in the record: valid UTF-8 as they are, else readable text plus the
 * exact bytes in "<key>_hex".
 */
void progress_json_print(struct json_object *o)
{
	json_put(stdout, o);
}

static void json_line(const struct progress *p, const struct prog_target *t, double now)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return;
	/* the report may share the stream: progress says what it is */
	json_object_object_add(o, "event", json_object_new_string("progress"));
	json_object_object_add(o, "id", json_object_new_string(t->id));
	dsp_json_add_bytes(o, "target", LABEL(t));
	json_object_object_add(o, "phase", json_object_new_string(t->status[0] ? "end" :
								 t->phase));
	json_object_object_add(o, "pass", json_object_new_int64(t->pass));
	json_object_object_add(o, "npasses", json_object_new_int64(t->npasses));
	json_object_object_add(o, "done", json_object_new_uint64(t->done));
	json_object_object_add(o, "total", json_object_new_uint64(t->total));
	json_object_object_add(o, "all_done", json_object_new_uint64(t->all_done));
	json_object_object_add(o, "all_total", json_object_new_uint64(t->all_total));
	if (t->count_name[0])
		json_object_object_add(o, t->count_name, json_object_new_uint64(t->count));
	json_object_object_add(o, "rate",
			       json_object_new_int64(t->status[0] ? 0 : whole(phase_rate(t, now))));
	/* null: not known yet (0 would read as finished) */
	double eta = t->status[0] ? 0 : eta_secs(t, now);
	json_object_object_add(o, "eta", eta < 0 || !isfinite(eta) ? NULL :
					json_object_new_int64(whole(eta)));
	if (t->status[0])
		json_object_object_add(o, "status", json_object_new_string(t->status));
	json_put(p->json, o);
}

/* Plain lines on a timer: a stalled device or a long file still gets its line. */
static void *ticker_main(void *arg)
{
	struct progress *p = arg;
	double next;

	pthread_mutex_lock(&p->lock);
	next = now_secs() + LINE_SECS;
	while (!p->quit) {
		struct timespec ts = { (time_t)next, (long)((next - (double)(time_t)next) * 1e9) };
		double now;

		pthread_cond_timedwait(&p->cv, &p->lock, &ts);
		now = now_secs();
		if (p->quit || now < next)
			continue;
		for (unsigned i = 0; i < p->n; i++)
			if (p->t[i].seen && !p->t[i].status[0])
				text_line(&p->t[i], now);
		fflush(stderr);
		next += LINE_SECS;
		if (next <= now)
			next = now + LINE_SECS;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct progress *progress_new(enum progress_mode mode, unsigned n)
{
	struct progress *p = calloc(1, sizeof(*p) + n * sizeof(p->t[0]));
	pthread_condattr_t ca;

	if (!p)
		return NULL;
	p->mode = mode;
	p->n = n;
	p->json = stdout;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (mode == PROGRESS_LINES) {
		sigset_t all, old;

		/* signals stay with the threads that act on them */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		p->ticking = pthread_create(&p->ticker, NULL, ticker_main, p) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return p;
}

void progress_json_stream(struct progress *p, FILE *f)
{
	if (p)
		p->json = f;
}

void progress_target(struct progress *p, unsigned i, const char *id, const char *label)
{
	if (!p || i >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	snprintf(p->t[i].id, sizeof(p->t[i].id), "%s", id);
	free(p->t[i].label);
	free(p->t[i].show);
	p->t[i].label = strdup(label ? label : "");
	p->t[i].show = show_text(label ? label : "");
	snprintf(p->t[i].phase, sizeof(p->t[i].phase), "waiting");
	pthread_mutex_unlock(&p->lock);
}

void progress_set(struct progress *p, unsigned i, const struct progress_state *s)
{
	struct prog_target *t;
	double now;
	bool changed;

	if (!p || i >= p->n || p->mode == PROGRESS_NONE)
		return;
	now = now_secs();
	pthread_mutex_lock(&p->lock);
	t = &p->t[i];
	changed = !t->seen || t->pass != s->pass ||
		  strncmp(t->phase, s->phase ? s->phase : "", sizeof(t->phase));
	if (!t->seen) {
		t->first_t = now;
		t->first_all = s->all_done;
		t->line_t = now;
		t->line_all = s->all_done;
		t->last_out = now;
		t->seen = true;
	}
	if (changed) {
		snprintf(t->phase, sizeof(t->phase), "%s", s->phase ? s->phase : "");
		t->phase_t = now;
		t->phase_done = s->done;
	}
	t->pass = s->pass;
	t->npasses = s->npasses;
	t->done = s->done;
	t->total = s->total;
	t->all_done = s->all_done;
	t->all_total = s->all_total;
	t->count = s->count;
	snprintf(t->count_name, sizeof(t->count_name), "%s", s->count_name ? s->count_name : "");
	switch (p->mode) {
	case PROGRESS_BAR:
		if (changed || now - p->last_draw >= BAR_REDRAW_SECS)
			bar_redraw(p, now);
		break;
	case PROGRESS_JSON:
		if (changed || now - t->last_out >= JSON_SECS || (s->total && s->done == s->total)) {
			json_line(p, t, now);
			t->last_out = now;
		}
		break;
	case PROGRESS_LINES:	/* the timer prints */
	case PROGRESS_NONE:
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_update(struct progress *p, unsigned i, const struct dsp_erase_progress *ev)
{
	struct progress_state s = {
		.phase = ev->phase, .pass = ev->pass, .npasses = ev->npasses,
		.done = ev->done, .total = ev->total,
		.all_done = ev->all_done, .all_total = ev->all_total,
	};

	progress_set(p, i, &s);
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
	if (t->total && !strcmp(status, "success")) {
		t->done = t->total;
		if (t->all_total)
			t->all_done = t->all_total;
	}
	switch (p->mode) {
	case PROGRESS_BAR:
		bar_redraw(p, now);
		break;
	case PROGRESS_LINES:
		break;	/* the summary at the end says it */
	case PROGRESS_JSON:
		json_line(p, t, now);
		break;
	case PROGRESS_NONE:
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

static void vmessage(struct progress *p, const char *fmt, va_list ap)
{
	if (p)
		pthread_mutex_lock(&p->lock);
	if (p && p->mode == PROGRESS_BAR && p->drawn)
		fprintf(stderr, "\033[%uA\033[J", p->drawn);
	fputs("dispose: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (p && p->mode == PROGRESS_BAR && p->drawn) {
		p->drawn = 0;
		bar_redraw(p, now_secs());
	}
	if (p)
		pthread_mutex_unlock(&p->lock);
}

void progress_message(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(p, fmt, ap);
	va_end(ap);
}

static void log_fn(enum dsp_log_level level, const char *msg, void *arg)
{
	struct progress *p = arg;

	if ((level == DSP_LOG_DEBUG && p->verbose < 2) ||
	    (level == DSP_LOG_INFO && p->verbose < 1))
		return;
	progress_message(p, "%s%s", level == DSP_LOG_WARN ? "warning: " : "", msg);
}

struct dsp_log_sink progress_log_sink(struct progress *p, int verbose)
{
	p->verbose = verbose;
	return (struct dsp_log_sink){ log_fn, p };
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	if (p->ticking) {
		pthread_mutex_lock(&p->lock);
		p->quit = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->ticker, NULL);
	}
	fflush(stderr);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->lock);
	for (unsigned i = 0; i < p->n; i++) {
		free(p->t[i].label);
		free(p->t[i].show);
	}
	free(p);
}
