/* SPDX-License-Identifier: MIT */
/* log.c - log sinks (per thread, inherited by the threads it starts) and the syslog audit trail */
#include "dispose/log.h"

#include "dispose/common.h"
#include "dispose/json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* the process default: the CLI sets it once; a thread's own sink comes first */
static struct dsp_log_sink def_sink;
static int use_syslog = 1;
/* one message at a time: handlers draw around progress bars */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct dsp_log_sink cur_sink;

void dsp_log_set_handler(dsp_log_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	def_sink.fn = fn;
	def_sink.arg = arg;
	pthread_mutex_unlock(&log_lock);
}

void dsp_log_set_syslog(int on)
{
	use_syslog = on;
}

struct dsp_log_sink dsp_log_use(const struct dsp_log_sink *sink)
{
	struct dsp_log_sink prev = cur_sink;

	if (sink)
		cur_sink = *sink;
	else
		cur_sink = (struct dsp_log_sink){ 0 };
	return prev;
}

struct dsp_log_sink dsp_log_current(void)
{
	return cur_sink;
}

struct thread_start {
	void *(*fn)(void *);
	void *arg;
	struct dsp_log_sink sink;
};

static void *thread_main(void *p)
{
	struct thread_start s = *(struct thread_start *)p;

	free(p);
	cur_sink = s.sink;
	return s.fn(s.arg);
}

int dsp_thread_create(pthread_t *th, void *(*fn)(void *), void *arg)
{
	struct thread_start *s = malloc(sizeof(*s));
	int r;

	if (!s)
		return ENOMEM;
	s->fn = fn;
	s->arg = arg;
	s->sink = cur_sink;
	r = pthread_create(th, NULL, thread_main, s);
	if (r)
		free(s);
	return r;
}

static void vlog(enum dsp_log_level level, const char *fmt, va_list ap)
{
	char *msg = NULL, *t;

	/* whole, however long the paths in it: a cut line loses its reason */
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	/* sinks draw on terminals: a name in the message must not drive one */
	t = msg ? dsp_log_text(msg) : NULL;
	free(msg);
	pthread_mutex_lock(&log_lock);
	if (cur_sink.fn)
		cur_sink.fn(level, t ? t : "(message lost: out of memory)", cur_sink.arg);
	else if (def_sink.fn)
		def_sink.fn(level, t ? t : "(message lost: out of memory)", def_sink.arg);
	pthread_mutex_unlock(&log_lock);
	free(t);
}

void dsp_log(enum dsp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

enum dsp_audit_level dsp_audit_level_of(int rc)
{
	if (rc == 0)
		return DSP_AUDIT_NOTICE;
	if (rc == DSP_REFUSED || rc == DSP_INTERRUPTED || rc == -EINTR)
		return DSP_AUDIT_WARNING;
	return DSP_AUDIT_ERR;
}

/*
 * Bytes of an invisible character that reorders or breaks what a terminal
 * (or a log viewer) shows: ALM U+061C, LRM/RLM U+200E/F, LINE/PARAGRAPH
 * SEPARATOR U+2028/9, the embeddings and overrides U+202A..E and the
 * isolates U+2066..9. 0 when p starts none (t is valid UTF-8 here).
 */
static size_t bidi_len(const unsigned char *p)
{
	if (p[0] == 0xd8 && p[1] == 0x9c)
		return 2;
	if (p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xa8 && p[2] <= 0xae)))
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
		return 3;
	return 0;
}

/*
 * One line whatever a path holds: json.h's readable text for bytes that are
 * not UTF-8, and \xHH for control characters (C0, DEL, and C1 as \xc2\xHH)
 * and for the bytes of bidi overrides and line separators (bidi_len), so a
 * newline, an escape sequence or a right-to-left override in a file name or
 * a certificate's subject can neither forge a line, drive a terminal nor
 * reorder a verdict.
 */
char *dsp_log_text(const char *msg)
{
	size_t n = strlen(msg), k = 0, b;
	char *t = dsp_json_escape_text(msg, n), *o;
	const unsigned char *p;

	if (!t)
		return NULL;
	for (p = (const unsigned char *)t; *p; p++)
		k += *p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		     bidi_len(p);
	if (!k)
		return t;
	/* at most 9 more bytes each: three bytes as \xHH\xHH\xHH */
	o = malloc(strlen(t) + 9 * k + 1);
	if (o) {
		char *q = o;

		for (p = (const unsigned char *)t; *p; p++) {
			if (*p < 0x20 || *p == 0x7f) {
				q += sprintf(q, "\\x%02x", *p);
			} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
				q += sprintf(q, "\\xc2\\x%02x", *++p);
			} else if ((b = bidi_len(p)) != 0) {
				for (size_t i = 0; i < b; i++)
					q += sprintf(q, "\\x%02x", p[i]);
				p += b - 1;
			} else {
				*q++ = (char)*p;
			}
		}
		*q = '\0';
	}
	free(t);
	return o;
}

static void open_syslog(void)
{
	openlog("dispose", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void dsp_audit(enum dsp_audit_level level, const char *fmt, ...)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static const int prio[] = {
		[DSP_AUDIT_NOTICE] = LOG_NOTICE,
		[DSP_AUDIT_WARNING] = LOG_WARNING,
		[DSP_AUDIT_ERR] = LOG_ERR,
	};
	va_list ap;
	char *msg = NULL, *t;
	int r;

	/* whole: a long path must not cut the verdict off the line */
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	dsp_log(DSP_LOG_INFO, "%s", msg ? msg : "(out of memory)");
	if (use_syslog) {
		pthread_once(&once, open_syslog);
		t = msg ? dsp_log_text(msg) : NULL;
		syslog(LOG_AUTHPRIV | prio[level <= DSP_AUDIT_ERR ? level : DSP_AUDIT_ERR], "%s",
		       t ? t : "(out of memory)");
		free(t);
	}
	free(msg);
}
