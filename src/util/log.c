/* SPDX-License-Identifier: MIT */
/* log.c - log callback and syslog audit trail */
#include "dispose/log.h"

#include <stdio.h>
#include <syslog.h>
#include <pthread.h>

static dsp_log_fn log_fn;
static void *log_arg;
static int use_syslog = 1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void dsp_log_set_handler(dsp_log_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_arg = arg;
	pthread_mutex_unlock(&log_lock);
}

void dsp_log_set_syslog(int on)
{
	use_syslog = on;
}

static void vlog(enum dsp_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pthread_mutex_lock(&log_lock);
	if (log_fn)
		log_fn(level, msg, log_arg);
	pthread_mutex_unlock(&log_lock);
}

void dsp_log(enum dsp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void dsp_audit(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dsp_log(DSP_LOG_INFO, "%s", msg);
	if (use_syslog) {
		openlog("dispose", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", msg);
	}
}
