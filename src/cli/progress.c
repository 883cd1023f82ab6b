/* SPDX-License-Identifier: MIT */
/* progress.c - thread-safe progress display: ANSI bars, periodic lines or JSON */
#include "progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BAR_REDRAW_SECS	0.1	/* a terminal redraw at most this often */
#define LINE_SECS	5.0	/* plain lines: one per target this often */
#define JSON_SECS	1.0

struct prog_target {
	char id[16];
	char label[256];
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
	snprintf(p->t[i].label, sizeof(p->t[i].label), "%s", label);
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

	snprintf(head, sizeof(head), "%-18.18s %-6.6s %2u/%-2u ", t->label,
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
		fprintf(stderr, "dispose: %s: %s\n", t->label, t->status);
		return;
	}
	fmt_eta(eta_secs(t, now), eta, sizeof(eta));
	fprintf(stderr, "dispose: %s: %s pass %u/%u %d%% %.1f MB/s ETA %s\n",
		t->label, t->phase, t->pass, t->npasses, percent(t),
		phase_rate(t, now) / 1e6, eta);
}

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t k = 1; k < n; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if (n == 3) {	/* overlong or a surrogate */
		cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6;
		if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	} else if (n == 4) {	/* overlong or past U+10FFFF */
		cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12;
		if (cp < 0x10000 || cp > 0x10ffff)
			return 0;
	}
	return n;
}

/*
 * A JSON string. Paths are bytes, JSON is UTF-8: a byte that is not part
 * of valid UTF-8 (a Latin-1 file name, a label cut mid-character) is
 * written as \u00XX so every line still parses.
 */
void progress_json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s);
		} else if (*s < 0x20 || *s == 0x7f || !n) {
			fprintf(f, "\\u%04x", *s);
		} else {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', f);
}

static void json_line(const struct prog_target *t, double now)
{
	double eta = t->status[0] ? 0 : eta_secs(t, now);

	fputs("{\"id\":", stdout);
	progress_json_str(stdout, t->id);
	fputs(",\"target\":", stdout);
	progress_json_str(stdout, t->label);
	fputs(",\"phase\":", stdout);
	progress_json_str(stdout, t->status[0] ? "end" : t->phase);
	printf(",\"pass\":%u,\"npasses\":%u,\"done\":%llu,\"total\":%llu,"
	       "\"rate\":%.0f,\"eta\":%.0f", t->pass, t->npasses,
	       (unsigned long long)t->done, (unsigned long long)t->total,
	       t->status[0] ? 0.0 : phase_rate(t, now), eta);
	if (t->status[0]) {
		fputs(",\"status\":", stdout);
		progress_json_str(stdout, t->status);
	}
	fputs("}\n", stdout);
	fflush(stdout);
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
	free(p);
}
