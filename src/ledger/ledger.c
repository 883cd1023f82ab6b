/* SPDX-License-Identifier: MIT */
/* ledger.c - run directory and hash-chained, append-only events.jsonl */
#include "dispose/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "ledger_int.h"

struct dsp_ledger {
	char *dir;
	int fd;
	int dir_fd;		/* DSP_LEDGER_LOCK: the flock'ed run directory, or -1 */
	uint64_t seq;
	off_t end;		/* length of the complete lines */
	int err;		/* the first failed append's -errno: no more appends */
	char head[65];
	pthread_mutex_t lock;
#ifdef DSP_TEST_HOOKS
	struct dsp_ledger_fault fault;
	bool fault_armed;
#endif
};

static const char zero_hash[65] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static void sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

void dsp_time_rfc3339(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	char tmp[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, 32, "%.19s.%03dZ", tmp, (int)(ts.tv_nsec / 1000000) % 1000);
}

static int mkdir_p(const char *path, mode_t mode);

int dsp_ledger_default_dir(char *buf, size_t len)
{
	char host[256] = "localhost";
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32], parent[] = "/var/lib/dispose/runs";
	int r;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	/* a host name with a slash would make another path */
	for (char *p = host; *p; p++)
		if (*p == '/')
			*p = '_';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	r = mkdir_p(parent, 0755);
	if (r)
		return r;
	/* mkdir is the lock: a name another command took is never reused */
	for (unsigned k = 1; k < 10000; k++) {
		int n = k == 1 ? snprintf(buf, len, "%s/%s-%s", parent, stamp, host) :
			snprintf(buf, len, "%s/%s-%s-%u", parent, stamp, host, k);

		if (n < 0 || (size_t)n >= len)
			return -ENAMETOOLONG;
		if (mkdir(buf, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Check one line against the chain; fills *ev (caller puts it). */
static int check_line(const char *line, size_t len, uint64_t want_seq,
		      const char *want_prev, struct json_object **ev)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *v;
	int r = DSP_MISMATCH;

	*ev = NULL;
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object))
		goto out;
	if (!json_object_object_get_ex(o, "seq", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (uint64_t)json_object_get_int64(v) != want_seq)
		goto out;
	if (!json_object_object_get_ex(o, "prev", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), want_prev))
		goto out;
	if (!json_object_object_get_ex(o, "event", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(o, "time", &v))
		goto out;
	*ev = o;
	o = NULL;
	r = 0;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

/*
 * Walk the open file from the start. *valid_len gets the length of the
 * prefix made of complete, chained lines; a trailing line without newline
 * is reported through *torn rather than as a break in the chain.
 */
int ledger_walk_fd(int fd, dsp_ledger_visit_fn fn, void *arg, uint64_t *bad_line,
		   uint64_t *nlines, char head[65], off_t *valid_len, int *torn)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t seq = 0;
	off_t pos = 0;
	int r = 0;
	int dfd = dup(fd);

	if (dfd < 0)
		return -errno;
	if (lseek(dfd, 0, SEEK_SET) < 0 || !(f = fdopen(dfd, "r"))) {
		r = -errno;
		close(dfd);
		return r;
	}
	memcpy(head, zero_hash, 65);
	if (torn)
		*torn = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		struct json_object *ev;
		size_t len = (size_t)n;

		if (line[len - 1] != '\n') {
			if (torn) {
				*torn = 1;
				break;
			}
			r = DSP_MISMATCH;
			if (bad_line)
				*bad_line = seq + 1;
			break;
		}
		len--;
		r = check_line(line, len, seq + 1, head, &ev);
		if (r) {
			if (bad_line)
				*bad_line = seq + 1;
			break;
		}
		seq++;
		sha256_hex(line, len, head);
		pos += n;
		if (fn)
			r = fn(ev, arg);
		json_object_put(ev);
		if (r)
			break;
	}
	if (!r && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	if (nlines)
		*nlines = seq;
	if (valid_len)
		*valid_len = pos;
	return r;
}

/* What a RESUME open checks: whose record it is, and whether its run ended. */
struct run_state {
	char *command;		/* of the first run_start */
	bool started, ended;
	unsigned starts;	/* more than one: several runs' events in one file */
};

static int run_visit(struct json_object *ev, void *arg)
{
	struct run_state *rs = arg;
	const char *name = dsp_json_str(ev, "event");

	if (!strcmp(name, "run_start")) {
		const char *c = dsp_json_str(ev, "command");

		if (!rs->started && c && !(rs->command = strdup(c)))
			return -ENOMEM;
		rs->started = true;
		rs->starts++;
		rs->ended = false;
	} else if (!strcmp(name, "run_resumed")) {
		rs->ended = false;
	} else if (!strcmp(name, "run_end")) {
		rs->ended = true;
	}
	return 0;
}

/* One run directory holds one command's record. */
static int run_check(const char *path, const struct run_state *rs, const char *command)
{
	if (!command)
		return 0;
	if (rs->started && (!rs->command || strcmp(rs->command, command))) {
		dsp_log(DSP_LOG_ERROR, "%s: the record of another command (%s), not of %s",
			path, rs->command ? rs->command : "unnamed", command);
		return DSP_REFUSED;
	}
	if (rs->starts > 1) {
		dsp_log(DSP_LOG_ERROR, "%s: %u run_start events: the records of several runs, "
			"no %s appends to it", path, rs->starts, command);
		return DSP_REFUSED;
	}
	if (!rs->started && rs->ended) {
		dsp_log(DSP_LOG_ERROR, "%s: a finished record without run_start: no %s appends to it",
			path, command);
		return DSP_REFUSED;
	}
	return 0;
}

int dsp_ledger_open(const char *dir, unsigned flags, struct dsp_ledger **out)
{
	return dsp_ledger_open_cmd(dir, flags, NULL, out);
}

int dsp_ledger_open_cmd(const char *dir, unsigned flags, const char *command,
			struct dsp_ledger **out)
{
	struct dsp_ledger *l;
	struct run_state rs = { 0 };
	char path[PATH_MAX];
	int r, torn = 0;
	off_t valid = 0;
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE) >= sizeof(path))
		return -ENAMETOOLONG;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->dir = strdup(dir))) {
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	memcpy(l->head, zero_hash, 65);
	l->dir_fd = -1;
	if ((flags & DSP_LEDGER_CREATE) && (r = mkdir_p(dir, 0700)))
		goto fail;
	/* two writers would each chain from the same head: the second line breaks the chain */
	if ((flags & DSP_LEDGER_LOCK) &&
	    (l->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 &&
	    flock(l->dir_fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? DSP_REFUSED : -errno;
		if (r == DSP_REFUSED)
			dsp_log(DSP_LOG_ERROR, "%s: another dispose is using this run directory; "
				"nothing written", dir);
		goto fail;
	}
	if (flags & DSP_LEDGER_CREATE) {
		l->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (l->fd < 0) {
			r = -errno;
			goto fail;
		}
		*out = l;
		return 0;
	}
	l->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (l->fd < 0) {
		r = -errno;
		goto fail;
	}
	r = ledger_walk_fd(l->fd, run_visit, &rs, NULL, &l->seq, l->head, &valid, &torn);
	if (!r)
		r = run_check(path, &rs, command);
	free(rs.command);
	if (r) {
		close(l->fd);
		goto fail;
	}
	l->end = valid;
	if (fstat(l->fd, &st) == 0 && st.st_size > valid) {
		/* a crash cut the last line short: drop it, and say so */
		uint64_t dropped = (uint64_t)(st.st_size - valid);

		if (ftruncate(l->fd, valid) < 0 || fdatasync(l->fd) < 0) {
			r = -errno;
			close(l->fd);
			goto fail;
		}
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "dropped_bytes", json_object_new_int64((int64_t)dropped));
		json_object_object_add(f, "reason", json_object_new_string("torn last line after a crash"));
		r = dsp_ledger_append(l, "ledger_repaired", f, 1);
		json_object_put(f);
		if (r) {
			close(l->fd);
			goto fail;
		}
		dsp_log(DSP_LOG_WARN, "%s: cut %llu bytes of a torn last line", path,
			(unsigned long long)dropped);
	}
	*out = l;
	return 0;
fail:
	if (l->dir_fd >= 0)
		close(l->dir_fd);
	pthread_mutex_destroy(&l->lock);
	free(l->dir);
	free(l);
	return r;
}

/* The fault for this append (test builds), disarmed; NULL when none. */
static const struct dsp_ledger_fault *take_fault(struct dsp_ledger *l)
{
#ifdef DSP_TEST_HOOKS
	if (l->fault_armed && (!l->fault.seq || l->fault.seq == l->seq + 1)) {
		l->fault_armed = false;
		return &l->fault;
	}
#endif
	(void)l;
	return NULL;
}

static int line_write(struct dsp_ledger *l, const struct dsp_ledger_fault *fx,
		      const char *buf, size_t len)
{
	if (fx && fx->write_err) {
		int r = write_all(l->fd, buf, fx->write_after < len ? fx->write_after : len);

		return r ? r : -fx->write_err;
	}
	return write_all(l->fd, buf, len);
}

/* Cut what a failed write left of a line, so the file ends with a whole one. */
static void cut_partial(struct dsp_ledger *l, const struct dsp_ledger_fault *fx)
{
	int r = 0;

	if (fx && fx->truncate_err)
		r = -fx->truncate_err;
	else if (ftruncate(l->fd, l->end) < 0)
		r = -errno;
	if (r)
		dsp_log(DSP_LOG_WARN, "%s/%s: cannot cut a partly written line: %s "
			"(a resume cuts it)", l->dir, DSP_LEDGER_FILE, strerror(-r));
}

int dsp_ledger_append(struct dsp_ledger *l, const char *event,
		      struct json_object *fields, int sync)
{
	const struct dsp_ledger_fault *fx;
	struct json_object *o = json_object_new_object();
	char now[32];
	const char *s;
	char *buf = NULL;
	size_t len;
	int r;

	dsp_time_rfc3339(now);
	pthread_mutex_lock(&l->lock);
	if (l->err) {
		r = l->err;
		goto out;
	}
	fx = take_fault(l);
	if (!o) {
		r = -ENOMEM;
		goto fail;
	}
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)(l->seq + 1)));
	json_object_object_add(o, "time", json_object_new_string(now));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "prev", json_object_new_string(l->head));
	if (fields) {
		json_object_object_foreach(fields, k, v) {
			if (!strcmp(k, "seq") || !strcmp(k, "time") ||
			    !strcmp(k, "event") || !strcmp(k, "prev"))
				continue;
			json_object_object_add(o, k, json_object_get(v));
		}
	}
	/* the one choke point: no line that is not UTF-8, whoever built it */
	if (!dsp_json_is_utf8(o)) {
		struct json_object *c = NULL;

		if (json_object_deep_copy(o, &c, NULL) || dsp_json_make_utf8(c) < 0) {
			json_object_put(c);
			r = -ENOMEM;
			goto fail;
		}
		json_object_put(o);
		o = c;
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	len = s ? strlen(s) : 0;
	if (!s || !(buf = malloc(len + 1))) {
		r = -ENOMEM;
		goto fail;
	}
	memcpy(buf, s, len);
	buf[len] = '\n';
	/* one write(2) per line: a crash leaves at most one torn line */
	r = line_write(l, fx, buf, len + 1);
	if (r) {
		cut_partial(l, fx);
		goto fail;
	}
	l->seq++;
	l->end += (off_t)len + 1;
	sha256_hex(buf, len, l->head);
	if (fx && fx->sync_err) {
		r = -fx->sync_err;
		goto fail;
	}
	if (sync && fdatasync(l->fd) < 0) {
		r = -errno;
		goto fail;
	}
	goto out;
fail:
	l->err = r;
out:
	pthread_mutex_unlock(&l->lock);
	free(buf);
	json_object_put(o);
	return r;
}

int dsp_ledger_error(struct dsp_ledger *l)
{
	int r;

	pthread_mutex_lock(&l->lock);
	r = l->err;
	pthread_mutex_unlock(&l->lock);
	return r;
}

#ifdef DSP_TEST_HOOKS
void dsp_ledger_test_fault(struct dsp_ledger *l, const struct dsp_ledger_fault *f)
{
	pthread_mutex_lock(&l->lock);
	l->fault = *f;
	l->fault_armed = true;
	pthread_mutex_unlock(&l->lock);
}
#endif

const char *dsp_ledger_dir(const struct dsp_ledger *l)
{
	return l->dir;
}

void dsp_ledger_head(struct dsp_ledger *l, char hex[65])
{
	pthread_mutex_lock(&l->lock);
	memcpy(hex, l->head, 65);
	pthread_mutex_unlock(&l->lock);
}

uint64_t dsp_ledger_seq(struct dsp_ledger *l)
{
	uint64_t s;

	pthread_mutex_lock(&l->lock);
	s = l->seq;
	pthread_mutex_unlock(&l->lock);
	return s;
}

void dsp_ledger_close(struct dsp_ledger *l)
{
	if (!l)
		return;
	fdatasync(l->fd);
	close(l->fd);
	if (l->dir_fd >= 0)
		close(l->dir_fd);
	pthread_mutex_destroy(&l->lock);
	free(l->dir);
	free(l);
}
