/* SPDX-License-Identifier: MIT */
/* log.h - the core's only way to say something: a callback the CLI sets */
#ifndef DISPOSE_LOG_H
#define DISPOSE_LOG_H

#include <stdarg.h>

enum dsp_log_level {
	DSP_LOG_DEBUG,
	DSP_LOG_INFO,
	DSP_LOG_WARN,
	DSP_LOG_ERROR,
};

typedef void (*dsp_log_fn)(enum dsp_log_level level, const char *msg, void *arg);

/* Install the handler (NULL restores the default: drop everything). */
void dsp_log_set_handler(dsp_log_fn fn, void *arg);

/* Messages follow "<thing>: <what is wrong>"; the CLI adds "dispose: ". */
void dsp_log(enum dsp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Record a destructive action: goes to the log handler at INFO and to
 * syslog (LOG_AUTHPRIV|LOG_NOTICE, tag "dispose") so monitoring sees it.
 * dsp_log_set_syslog(0) turns the syslog copy off (unit tests).
 */
void dsp_audit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dsp_log_set_syslog(int on);

#endif
