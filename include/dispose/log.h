/* SPDX-License-Identifier: MIT */
/* log.h - the core's only way to say something: a sink the caller passes */
#ifndef DISPOSE_LOG_H
#define DISPOSE_LOG_H

#include <pthread.h>
#include <stdarg.h>

enum dsp_log_level {
	DSP_LOG_DEBUG,
	DSP_LOG_INFO,
	DSP_LOG_WARN,
	DSP_LOG_ERROR,
};

typedef void (*dsp_log_fn)(enum dsp_log_level level, const char *msg, void *arg);

/* Where messages go: a callback and its argument (fn NULL: no sink). */
struct dsp_log_sink {
	dsp_log_fn fn;
	void *arg;
};

/*
 * The process default, for threads that have no sink of their own: the CLI
 * sets it once at start (NULL: drop everything). Commands do not swap it;
 * they pass a sink to the core entry point instead.
 */
void dsp_log_set_handler(dsp_log_fn fn, void *arg);

/*
 * Make sink (copied; NULL: none) current for the calling thread and return
 * the one it replaces, to be put back with dsp_log_use(&prev) on return.
 * A core entry point that takes a sink in its options does this on entry;
 * the threads it starts through dsp_thread_create inherit it. dsp_log()
 * goes to the thread's sink, else to the process default.
 */
struct dsp_log_sink dsp_log_use(const struct dsp_log_sink *sink);
/* The calling thread's sink (fn NULL: none). */
struct dsp_log_sink dsp_log_current(void);
/* pthread_create (default attributes) whose thread starts with the caller's sink. */
int dsp_thread_create(pthread_t *th, void *(*fn)(void *), void *arg);

/* Messages follow "<thing>: <what is wrong>"; the CLI adds "dispose: ". */
void dsp_log(enum dsp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The syslog priority of an audit line follows the outcome it reports:
 * NOTICE a start or a success, WARNING a refusal, an interruption or a
 * caveat, ERR a failure.
 */
enum dsp_audit_level {
	DSP_AUDIT_NOTICE,
	DSP_AUDIT_WARNING,
	DSP_AUDIT_ERR,
};

/* The level of a result code: 0 NOTICE; DSP_REFUSED, DSP_INTERRUPTED WARNING; else ERR. */
enum dsp_audit_level dsp_audit_level_of(int rc);

/*
 * Record an operations event (start, end, refusal, failure): goes to the
 * log handler at INFO and to syslog (LOG_AUTHPRIV: it names operators and
 * devices; tag "dispose", priority from level) so monitoring can alert on
 * it. The syslog copy is one line: bytes that are not UTF-8 are written as
 * \xHH (json.h's readable text), control characters too.
 * dsp_log_set_syslog(0) turns the syslog copy off (unit tests).
 */
void dsp_audit(enum dsp_audit_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dsp_log_set_syslog(int on);

/*
 * msg as one line a terminal or a log may show (malloc'd; NULL on ENOMEM):
 * bytes that are not UTF-8 as json.h's readable text, control characters
 * (C0, DEL, C1) as \xHH. dsp_log hands its sinks this text; so does
 * dsp_audit to syslog.
 */
char *dsp_log_text(const char *msg);

#endif
