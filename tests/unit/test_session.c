/* SPDX-License-Identifier: MIT */
/* test_session.c - the erase session without the CLI: run, refusals, resume, the run-directory lock */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "tmpdir_helpers.h"

struct said {
	unsigned n, usage;
	char last[2 * PATH_MAX];
};

static void collect(const struct dsp_erase_why *w, void *arg)
{
	struct said *s = arg;

	s->n++;
	s->usage += w->usage;
	snprintf(s->last, sizeof(s->last), "%s: %s", w->thing, w->reason);
}

/* A test's own mapping, as the CLI's: only the codes these tests meet. */
static int exit_code(int result, void *arg)
{
	(void)arg;
	return result == 0 ? 0 : result == DSP_INTERRUPTED ? 130 : result == DSP_REFUSED ? 4 : 1;
}

static int exit_worse(int a, int b)
{
	return b > a ? b : a;
}

static volatile sig_atomic_t stop;

static int setup(void **state)
{
	(void)state;
	dsp_log_set_syslog(0);
	stop = 0;
	return tmpdir_make("dsp-session");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* The run directory: a buffer of its own (at() reuses its buffers). */
static const char *run_dir(void)
{
	static char run[PATH_MAX];

	snprintf(run, sizeof(run), "%s/run", dir);
	return run;
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static struct dsp_erase_session_opts opts(struct said *s, const char *run_dir)
{
	static char *argv[] = { "erase", NULL };
	struct dsp_erase_session_opts o = {
		.run_dir = run_dir,
		.method = "zero",
		.argc = 1,
		.argv = argv,
		.stop = &stop,
		.report = collect,
		.exit_code = exit_code,
		.exit_worse = exit_worse,
		.arg = s,
	};

	memset(s, 0, sizeof(*s));
	return o;
}

/* The record's events named ev, as one string of the lines (for strstr). */
static char *events(const char *run, const char *ev)
{
	char path[PATH_MAX], line[65536], key[64];
	char *out = calloc(1, 1 << 20);
	size_t used = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run, DSP_LEDGER_FILE);
	snprintf(key, sizeof(key), "\"event\":\"%s\"", ev);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(out);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, key) && used + strlen(line) < (1 << 20)) {
			strcpy(out + used, line);
			used += strlen(line);
		}
	fclose(f);
	return out;
}

static void test_session_erases_file_and_tree_and_records(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	char *names[2], *ev;

	(void)state;
	make_file(at("f"), 5000);
	assert_int_equal(mkdir(at("tree"), 0700), 0);
	make_file(at("tree/a"), 3000);
	names[0] = (char *)at("f");
	names[1] = (char *)at("tree");
	o.run_dir = run_dir();
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_int_equal(dsp_erase_session_count(se), 2);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_false(exists(at("run")));	/* nothing made before the start */
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	assert_string_equal(dsp_erase_session_status(se, 0, NULL), "success");
	assert_string_equal(dsp_erase_session_status(se, 1, NULL), "success");
	dsp_erase_session_free(se);
	assert_int_equal(s.n, 0);
	assert_false(exists(at("f")));
	assert_false(exists(at("tree")));
	ev = events(at("run"), "run_start");
	assert_non_null(strstr(ev, "\"schema\":\"dispose-record/1\""));
	assert_non_null(strstr(ev, "\"command\":\"erase\""));
	assert_non_null(strstr(ev, "\"argv\":[\"dispose\",\"erase\"]"));
	free(ev);
	ev = events(at("run"), "run_end");
	assert_non_null(strstr(ev, "\"status\":\"success\""));
	assert_non_null(strstr(ev, "\"exit\":0"));
	free(ev);
}

/* A refusal at the check, or a usage error: said, and no run directory made. */
static void test_session_refusal_and_usage_make_nothing(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	char *names[1];

	(void)state;
	make_file(at("f"), 100);
	assert_int_equal(symlink(at("f"), at("link")), 0);
	names[0] = (char *)at("link");
	o.run_dir = run_dir();
	assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), DSP_REFUSED);
	dsp_erase_session_free(se);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.last, "is a symbolic link; name its target instead"));
	o.verify = "bogus";
	names[0] = (char *)at("f");
	assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), DSP_INVALID);
	dsp_erase_session_free(se);
	assert_int_equal(s.usage, 1);
	assert_false(exists(at("run")));
	assert_true(exists(at("f")));
}

/* Stopped before its targets ran: all resumable; the resume does them; then nothing is left. */
static void test_session_resume_picks_unfinished(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	char *names[2];
	int r;

	(void)state;
	make_file(at("a"), 4096);
	make_file(at("b"), 4096);
	names[0] = (char *)at("a");
	names[1] = (char *)at("b");
	o.run_dir = run_dir();
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	stop = SIGINT;
	assert_int_equal(dsp_erase_session_run(se), 130);
	assert_string_equal(dsp_erase_session_status(se, 1, NULL), "interrupted");
	dsp_erase_session_free(se);
	assert_true(exists(at("a")) && exists(at("b")));

	stop = 0;
	o.resume = true;
	o.method = NULL;	/* the run's own */
	r = dsp_erase_session_new(&o, NULL, 0, &se);
	if (r)
		fail_msg("resume: %d: %s", r, s.last);
	assert_int_equal(dsp_erase_session_count(se), 2);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	assert_false(exists(at("a")) || exists(at("b")));

	r = dsp_erase_session_new(&o, NULL, 0, &se);
	if (r)
		fail_msg("second resume: %d: %s", r, s.last);
	assert_int_equal(dsp_erase_session_count(se), 0);
	dsp_erase_session_free(se);
}

/* One process per run directory: a resume while the run goes on is refused. */
static void test_session_run_dir_locked(void **state)
{
	struct said s, s2;
	struct dsp_erase_session_opts o = opts(&s, NULL), o2 = opts(&s2, NULL);
	struct dsp_erase_session *se, *se2;
	char *names[1];
	char want[PATH_MAX + 64];

	(void)state;
	make_file(at("a"), 4096);
	names[0] = (char *)at("a");
	o.run_dir = run_dir();
	assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	o2.run_dir = run_dir();
	o2.resume = true;
	o2.method = NULL;
	assert_int_equal(dsp_erase_session_new(&o2, NULL, 0, &se2), DSP_REFUSED);
	dsp_erase_session_free(se2);
	snprintf(want, sizeof(want), "%s: another dispose is using this run directory; "
		 "nothing written", at("run"));
	assert_string_equal(s2.last, want);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
}

/* The line number of the first event ev of target id in text, or -1. */
static int line_of(const char *text, const char *ev, const char *id)
{
	char e[64], t[64];
	int n = 0;

	snprintf(e, sizeof(e), "\"event\":\"%s\"", ev);
	snprintf(t, sizeof(t), "\"target\":\"%s\"", id);
	for (const char *l = text; l && *l; n++) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char *line = strndup(l, len);

		assert_non_null(line);
		if (strstr(line, e) && strstr(line, t)) {
			free(line);
			return n;
		}
		free(line);
		l = nl ? nl + 1 : NULL;
	}
	return -1;
}

/* The record's events as one string, in order (for ordering checks). */
static char *all_events(const char *run)
{
	char path[PATH_MAX];
	char *out = calloc(1, 1 << 20);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", run, DSP_LEDGER_FILE);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(out);
	n = fread(out, 1, (1 << 20) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

/*
 * Each target its own method; stopped before they ran, the resume takes
 * each target's method from the record (none given) and its target event
 * names it.
 */
static void test_session_per_target_methods_resume(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	const char *methods[2] = { "zero", "one" };
	const struct dsp_method *m, *req;
	char *names[2], *ev;
	const char *why;
	enum dsp_category cat;
	int r;

	(void)state;
	make_file(at("a"), 4096);
	make_file(at("b"), 4096);
	names[0] = (char *)at("a");
	names[1] = (char *)at("b");
	o.run_dir = run_dir();
	o.method = NULL;
	o.methods = methods;
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	m = dsp_erase_session_target_method(se, 0, &req, &why, NULL, NULL, &cat);
	assert_string_equal(m->name, "zero");
	assert_ptr_equal(m, req);
	assert_null(why);
	assert_int_equal(cat, DSP_CAT_CLEAR);
	assert_string_equal(dsp_erase_session_target_method(se, 1, NULL, NULL, NULL, NULL,
							    NULL)->name, "one");
	assert_string_equal(dsp_erase_session_method(se, NULL, NULL)->name, "zero");
	assert_int_equal(dsp_erase_session_start(se), 0);
	stop = SIGINT;
	assert_int_equal(dsp_erase_session_run(se), 130);
	dsp_erase_session_free(se);
	ev = events(at("run"), "run_start");
	assert_non_null(strstr(ev, "\"method_arg\":\"zero\""));
	assert_non_null(strstr(ev, "\"method_arg\":\"one\""));
	free(ev);

	/* --method on resume: a usage error */
	stop = 0;
	o.resume = true;
	r = dsp_erase_session_new(&o, NULL, 0, &se);
	assert_int_equal(r, DSP_INVALID);
	assert_int_equal(s.usage, 1);
	dsp_erase_session_free(se);
	o.methods = NULL;
	r = dsp_erase_session_new(&o, NULL, 0, &se);
	if (r)
		fail_msg("resume: %d: %s", r, s.last);
	assert_int_equal(dsp_erase_session_count(se), 2);
	assert_string_equal(dsp_erase_session_target_method(se, 0, NULL, NULL, NULL, NULL,
							    NULL)->name, "zero");
	assert_string_equal(dsp_erase_session_target_method(se, 1, NULL, NULL, NULL, NULL,
							    NULL)->name, "one");
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	assert_false(exists(at("a")) || exists(at("b")));
	ev = events(at("run"), "target");
	assert_non_null(strstr(ev, "\"target\":\"t1\""));
	assert_non_null(strstr(ev, "\"target\":\"t2\""));
	/* each target event names its own method */
	for (char *line = strtok(ev, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strstr(line, "\"event\":\"target\""))
			continue;
		if (strstr(line, "\"target\":\"t1\""))
			assert_non_null(strstr(line, "\"name\":\"zero\""));
		else
			assert_non_null(strstr(line, "\"name\":\"one\""));
	}
	free(ev);
}

/*
 * crypto-luks or sanitize on a file: DSP_UNSUPPORTED at the check, the file
 * as it was, no run directory; auto on a file: nist-clear, with the reason.
 */
static void test_session_technique_needs_block_device(void **state)
{
	static const char *const techs[] = { "crypto-luks", "sanitize-crypto" };
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	const struct dsp_method *m, *req;
	char *names[1], f[PATH_MAX];
	const char *why;
	struct stat st;

	(void)state;
	make_file(at("f"), 8192);
	snprintf(f, sizeof(f), "%s", at("f"));	/* at() reuses its buffers */
	names[0] = f;
	o.run_dir = run_dir();
	for (size_t i = 0; i < 2; i++) {
		o.method = techs[i];
		assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), 0);
		assert_int_equal(dsp_erase_session_check(se), DSP_UNSUPPORTED);
		dsp_erase_session_free(se);
		assert_non_null(strstr(s.last, "needs a block device, not a regular file"));
		assert_int_equal(stat(at("f"), &st), 0);
		assert_int_equal(st.st_size, 8192);
		assert_false(exists(at("run")));
	}
	o.method = "auto";
	assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	m = dsp_erase_session_target_method(se, 0, &req, &why, NULL, NULL, NULL);
	assert_string_equal(m->name, "nist-clear");
	assert_string_equal(req->name, "auto");
	assert_string_equal(why, "a file: overwrite");
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	assert_false(exists(at("f")));
}

/* --then: an overwrite method, and some target's method crypto-luks; else a usage error. */
static void test_session_then_usage(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	char *names[1];

	(void)state;
	make_file(at("f"), 100);
	names[0] = (char *)at("f");
	o.then = "sanitize-block";
	o.method = "crypto-luks";
	assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), DSP_INVALID);
	dsp_erase_session_free(se);
	assert_int_equal(s.usage, 1);
	assert_non_null(strstr(s.last, "--then: sanitize-block: not an overwrite method"));
	o.then = "zero";
	o.method = "zero";
	assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), DSP_INVALID);
	dsp_erase_session_free(se);
	assert_int_equal(s.usage, 2);
	assert_non_null(strstr(s.last, "no target's method is crypto-luks"));
	assert_true(exists(at("f")));
}

/*
 * An inventory's LUKS header backup that is a target of the run: recorded
 * erased_in_run, and erased before the other targets (ended first).
 */
static void test_session_backup_target_first(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	struct json_object *b = json_object_new_array(), *e = json_object_new_object();
	char *names[2], *ev;

	(void)state;
	make_file(at("a"), 4096);
	make_file(at("hdr.img"), 4096);
	json_object_object_add(e, "path", json_object_new_string(at("hdr.img")));
	json_object_object_add(e, "uuid", json_object_new_string("0f2d0c4e-aaaa-bbbb-cccc-1234567890ab"));
	json_object_array_add(b, e);
	names[0] = (char *)at("a");
	names[1] = (char *)at("hdr.img");
	o.run_dir = run_dir();
	o.luks_backups = b;
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	/* the caller's array is not changed */
	assert_false(json_object_object_get_ex(e, "erased_in_run", NULL));
	json_object_put(b);
	ev = events(at("run"), "run_start");
	assert_non_null(strstr(ev, "\"erased_in_run\":true"));
	free(ev);
	ev = all_events(at("run"));
	/* t2, the backup, ended before t1 started */
	assert_true(line_of(ev, "target_end", "t2") >= 0);
	assert_true(line_of(ev, "target", "t1") > line_of(ev, "target_end", "t2"));
	free(ev);
}

/* A pipeline's record (dispose run): open and locked by its owner, holding its own events. */
static struct dsp_ledger *pipeline_ledger(const char *run, unsigned flags)
{
	static char *argv[] = { "dispose", "run", NULL };
	struct dsp_ledger *l = NULL;
	struct json_object *o;

	assert_int_equal(dsp_ledger_open(run, flags | DSP_LEDGER_LOCK, &l), 0);
	if (flags & DSP_LEDGER_CREATE) {
		o = dsp_record_run_start("run", 2, argv);
		assert_non_null(o);
		assert_int_equal(dsp_ledger_append(l, "run_start", o, 1), 0);
		json_object_put(o);
		o = json_object_new_object();
		json_object_object_add(o, "step", json_object_new_string("erase"));
		assert_int_equal(dsp_ledger_append(l, "step_start", o, 1), 0);
		json_object_put(o);
	}
	return l;
}

/* How many lines of text hold needle. */
static unsigned lines_with(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * opts.ledger: the session writes erase_start / erase_end into the
 * pipeline's record (which it neither makes nor closes), never a
 * run_start or run_end of its own; the reader finds that erase_start.
 */
static void test_session_in_pipeline_record(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	struct dsp_ledger *l;
	struct dsp_record *rec;
	char *names[2], *ev;
	struct json_object *x;

	(void)state;
	make_file(at("f"), 5000);
	assert_int_equal(mkdir(at("tree"), 0700), 0);
	make_file(at("tree/a"), 3000);
	names[0] = (char *)at("f");
	names[1] = (char *)at("tree");
	l = pipeline_ledger(run_dir(), DSP_LEDGER_CREATE);
	o.ledger = l;
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_string_equal(dsp_erase_session_run_dir(se), run_dir());
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	if (s.n)
		fail_msg("said: %s", s.last);
	assert_false(exists(at("f")) || exists(at("tree")));
	/* still the pipeline's, open: it appends after the erase step */
	x = json_object_new_object();
	json_object_object_add(x, "step", json_object_new_string("erase"));
	assert_int_equal(dsp_ledger_append(l, "step_end", x, 1), 0);
	json_object_put(x);
	dsp_ledger_close(l);

	ev = all_events(run_dir());
	assert_int_equal(lines_with(ev, "\"event\":\"run_start\""), 1);
	assert_int_equal(lines_with(ev, "\"command\":"), 1);	/* the pipeline's "run" */
	assert_non_null(strstr(ev, "\"command\":\"run\""));
	assert_null(strstr(ev, "\"event\":\"run_end\""));
	assert_null(strstr(ev, "\"event\":\"run_resumed\""));
	assert_int_equal(lines_with(ev, "\"event\":\"erase_start\""), 1);
	assert_int_equal(lines_with(ev, "\"event\":\"erase_end\""), 1);
	/* in order: the pipeline's step_start, erase_start, the targets, erase_end, step_end */
	assert_true(strstr(ev, "\"event\":\"step_start\"") < strstr(ev, "\"event\":\"erase_start\""));
	assert_true(strstr(ev, "\"event\":\"erase_start\"") < strstr(ev, "\"event\":\"target\""));
	assert_true(strstr(ev, "\"event\":\"target_end\"") < strstr(ev, "\"event\":\"erase_end\""));
	assert_true(strstr(ev, "\"event\":\"erase_end\"") < strstr(ev, "\"event\":\"step_end\""));
	free(ev);
	ev = events(run_dir(), "erase_start");
	assert_non_null(strstr(ev, "\"method_name\":\"zero\""));
	assert_non_null(strstr(ev, "\"targets\":[{\"id\":\"t1\""));
	assert_non_null(strstr(ev, "\"cwd\":"));
	assert_non_null(strstr(ev, "\"jobs\":2"));
	assert_null(strstr(ev, "\"argv\""));
	assert_null(strstr(ev, "\"host\""));
	free(ev);
	ev = events(run_dir(), "erase_end");
	assert_non_null(strstr(ev, "\"status\":\"success\""));
	assert_non_null(strstr(ev, "\"exit\":0"));
	assert_non_null(strstr(ev, "\"id\":\"t2\""));
	free(ev);

	assert_int_equal(dsp_record_read(run_dir(), &rec), 0);
	assert_int_equal(rec->chain, 0);
	assert_string_equal(rec->command, "run");
	assert_non_null(rec->erase_start);
	assert_true(rec->erase_end);
	assert_false(rec->run_end);
	assert_true(json_object_object_get_ex(rec->erase_start, "targets", &x));
	assert_int_equal(json_object_array_length(x), 2);
	assert_string_equal(dsp_record_find(rec, "t1")->status, "success");
	dsp_record_free(rec);
}

static int cancel_half(unsigned idx, const struct dsp_erase_progress *p, void *arg)
{
	(void)idx;
	(void)arg;
	return !strcmp(p->phase, "write") && p->done >= p->total / 2;
}

/*
 * A pipeline's erase step interrupted in the middle of a file: a resume
 * with opts.ledger takes the targets and settings from the record's
 * erase_start (its run_start is the pipeline's "run") and continues that
 * file from its checkpoint, writing erase_resumed and erase_end.
 */
static void test_session_in_pipeline_resume(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	struct dsp_ledger *l;
	struct dsp_record *rec;
	char *names[1], *ev, *cut;
	int r;

	(void)state;
	make_file(at("big"), 12u << 20);	/* three 4 MiB chunks */
	names[0] = (char *)at("big");
	l = pipeline_ledger(run_dir(), DSP_LEDGER_CREATE);
	o.ledger = l;
	o.progress = cancel_half;
	o.progress_ms = -1;
	o.method = "one";
	assert_int_equal(dsp_erase_session_new(&o, names, 1, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 130);
	assert_string_equal(dsp_erase_session_status(se, 0, NULL), "interrupted");
	dsp_erase_session_free(se);
	dsp_ledger_close(l);
	assert_true(exists(at("big")));

	/* the pipeline's resume: its record reopened, the session's targets from erase_start */
	l = pipeline_ledger(run_dir(), DSP_LEDGER_RESUME);
	o.ledger = l;
	o.resume = true;
	o.method = NULL;
	o.progress = NULL;
	r = dsp_erase_session_new(&o, NULL, 0, &se);
	if (r)
		fail_msg("resume: %d: %s", r, s.last);
	assert_int_equal(dsp_erase_session_count(se), 1);
	assert_string_equal(dsp_erase_session_target_method(se, 0, NULL, NULL, NULL, NULL,
							    NULL)->name, "one");
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	dsp_ledger_close(l);
	assert_false(exists(at("big")));

	ev = all_events(run_dir());
	assert_int_equal(lines_with(ev, "\"event\":\"run_start\""), 1);
	assert_int_equal(lines_with(ev, "\"event\":\"erase_start\""), 1);
	assert_int_equal(lines_with(ev, "\"event\":\"erase_resumed\""), 1);
	assert_int_equal(lines_with(ev, "\"event\":\"erase_end\""), 2);
	assert_null(strstr(ev, "\"event\":\"run_end\""));
	assert_null(strstr(ev, "\"event\":\"run_resumed\""));
	/* after erase_resumed: t1 continued from its checkpoint, not started over */
	cut = strstr(ev, "\"event\":\"erase_resumed\"");
	assert_non_null(cut);
	assert_non_null(strstr(cut, "\"event\":\"target_resumed\""));
	assert_non_null(strstr(cut, "\"event\":\"pass_start\""));
	assert_non_null(strstr(cut, "\"offset\":8388608,\"resumed\":true"));
	free(ev);
	assert_int_equal(dsp_record_read(run_dir(), &rec), 0);
	assert_true(rec->erase_end);
	assert_string_equal(dsp_record_find(rec, "t1")->status, "success");
	dsp_record_free(rec);

	/* resumed again after erase_end: nothing left; start and run record an empty step */
	l = pipeline_ledger(run_dir(), DSP_LEDGER_RESUME);
	o.ledger = l;
	assert_int_equal(dsp_erase_session_new(&o, NULL, 0, &se), 0);
	assert_int_equal(dsp_erase_session_count(se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	dsp_ledger_close(l);

	/* without opts.ledger the pipeline's record is another command's: refused */
	o.ledger = NULL;
	o.run_dir = run_dir();
	r = dsp_erase_session_new(&o, NULL, 0, &se);
	dsp_erase_session_free(se);
	assert_int_equal(r, DSP_REFUSED);
}

/* A gate refusing names that end in "keep" (the pipeline's interlock, as the session passes it). */
static int gate_keep(int fd, const char *path, const struct stat *st, char *reason, size_t rlen,
		     void *arg)
{
	unsigned *calls = arg;
	size_t n = strlen(path);

	(void)fd;
	(void)st;
	(*calls)++;
	if (n >= 4 && !strcmp(path + n - 4, "keep")) {
		snprintf(reason, rlen, "not covered by the archive");
		return 1;
	}
	return 0;
}

/* Bytes of path all c, len of them. */
static bool all_bytes(const char *path, size_t len, char c)
{
	char b[8192];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(b, 1, sizeof(b), f) : 0;

	if (f)
		fclose(f);
	if (n != len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b[i] != c)
			return false;
	return true;
}

/*
 * opts.file_gate reaches every file and tree target: a refused file of a
 * tree stays (the tree completed with errors), and so does a refused file
 * target (completed with errors too: exit 1, as dispose(8) RUN says; not a
 * safety refusal), their bytes intact; the rest is erased.
 */
static void test_session_file_gate(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	unsigned calls = 0;
	char *names[2], *ev;

	(void)state;
	assert_int_equal(mkdir(at("tree"), 0700), 0);
	make_file(at("tree/keep"), 3000);
	make_file(at("tree/x"), 3000);
	make_file(at("fkeep"), 2000);
	names[0] = strdup(at("tree"));
	names[1] = strdup(at("fkeep"));
	o.run_dir = run_dir();
	o.file_gate = gate_keep;
	o.gate_arg = &calls;
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 1);
	assert_string_equal(dsp_erase_session_status(se, 0, NULL), "completed-with-errors");
	assert_string_equal(dsp_erase_session_status(se, 1, NULL), "completed-with-errors");
	dsp_erase_session_free(se);
	free(names[0]);
	free(names[1]);
	assert_int_equal(calls, 3);
	assert_true(all_bytes(at("tree/keep"), 3000, 'x'));
	assert_true(all_bytes(at("fkeep"), 2000, 'x'));
	assert_false(exists(at("tree/x")));
	ev = events(run_dir(), "skipped");
	assert_int_equal(lines_with(ev, "\"gate\":true"), 2);
	free(ev);
}

/*
 * Per-target category, then and verify (a policy's rules, each its own):
 * a file asking for clear is refused alone, naming it; a then given to a
 * target that is not crypto-luks or auto is a usage error naming it; each
 * target's then and verify are recorded in erase_start and a resume takes
 * them back per target.
 */
static void test_session_per_target_settings(void **state)
{
	struct said s;
	struct dsp_erase_session_opts o = opts(&s, NULL);
	struct dsp_erase_session *se;
	struct dsp_ledger *l;
	const char *methods[2] = { "zero", "auto" };
	const char *thens[2] = { NULL, "zero" };
	const char *bad_thens[2] = { "zero", NULL };
	const char *verifies[2] = { "none", "all" };
	const enum dsp_category cats[2] = { DSP_CAT_CLEAR, DSP_CAT_NONE };
	enum dsp_verify_mode v;
	char *names[2], *ev, *t1, *t2;
	int r;

	(void)state;
	make_file(at("a"), 8192);
	make_file(at("b"), 8192);
	names[0] = strdup(at("a"));
	names[1] = strdup(at("b"));
	o.run_dir = run_dir();
	o.method = NULL;
	o.methods = methods;

	/* clear asked for the file a only: a refused (named), b not */
	o.categories = cats;
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), DSP_UNSUPPORTED);
	dsp_erase_session_free(se);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.last, names[0]));
	assert_non_null(strstr(s.last, "Clear asked for"));
	o.categories = NULL;

	/* a then for a target whose method is zero: a usage error naming it */
	o.thens = bad_thens;
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), DSP_INVALID);
	dsp_erase_session_free(se);
	assert_int_equal(s.usage, 1);
	assert_non_null(strstr(s.last, names[0]));
	assert_non_null(strstr(s.last, "not crypto-luks"));

	/* each its own then and verify: recorded per target, stopped before they ran */
	o.thens = thens;
	o.verifies = verifies;
	l = pipeline_ledger(run_dir(), DSP_LEDGER_CREATE);
	o.ledger = l;
	o.run_dir = NULL;
	assert_int_equal(dsp_erase_session_new(&o, names, 2, &se), 0);
	assert_int_equal(dsp_erase_session_check(se), 0);
	dsp_erase_session_target_method(se, 0, NULL, NULL, &v, NULL, NULL);
	assert_int_equal(v, DSP_VERIFY_NONE);
	dsp_erase_session_target_method(se, 1, NULL, NULL, &v, NULL, NULL);
	assert_int_equal(v, DSP_VERIFY_ALL);
	assert_int_equal(dsp_erase_session_start(se), 0);
	stop = SIGINT;
	assert_int_equal(dsp_erase_session_run(se), 130);
	dsp_erase_session_free(se);
	dsp_ledger_close(l);
	ev = events(run_dir(), "erase_start");
	t1 = strstr(ev, "\"id\":\"t1\"");
	t2 = strstr(ev, "\"id\":\"t2\"");
	assert_non_null(t1);
	assert_non_null(t2);
	assert_true(t1 < t2);
	*t2 = 0;	/* t1's entry, then t2's */
	assert_null(strstr(t1, "\"then_arg\""));
	assert_non_null(strstr(t1, "\"verify\":\"none\""));
	assert_non_null(strstr(t2 + 1, "\"then_arg\":\"zero\""));
	assert_non_null(strstr(t2 + 1, "\"then_sha256\""));
	assert_non_null(strstr(t2 + 1, "\"verify\":\"all\""));
	assert_null(strstr(ev, "\"then_arg\":\"zero\",\"then\""));	/* no run-wide then */
	free(ev);

	/* the arrays cannot change on resume */
	stop = 0;
	l = pipeline_ledger(run_dir(), DSP_LEDGER_RESUME);
	o.ledger = l;
	o.resume = true;
	o.methods = NULL;
	r = dsp_erase_session_new(&o, NULL, 0, &se);
	assert_int_equal(r, DSP_INVALID);
	dsp_erase_session_free(se);
	/* resumed: each target's verify as recorded for it */
	o.thens = o.verifies = NULL;
	r = dsp_erase_session_new(&o, NULL, 0, &se);
	if (r)
		fail_msg("resume: %d: %s", r, s.last);
	assert_int_equal(dsp_erase_session_count(se), 2);
	assert_int_equal(dsp_erase_session_check(se), 0);
	dsp_erase_session_target_method(se, 0, NULL, NULL, &v, NULL, NULL);
	assert_int_equal(v, DSP_VERIFY_NONE);
	dsp_erase_session_target_method(se, 1, NULL, NULL, &v, NULL, NULL);
	assert_int_equal(v, DSP_VERIFY_ALL);
	assert_int_equal(dsp_erase_session_start(se), 0);
	assert_int_equal(dsp_erase_session_run(se), 0);
	dsp_erase_session_free(se);
	dsp_ledger_close(l);
	assert_false(exists(at("a")) || exists(at("b")));
	ev = events(run_dir(), "verify_end");
	/* b read back (all), a not (none) */
	assert_non_null(strstr(ev, "\"target\":\"t2\""));
	assert_null(strstr(ev, "\"target\":\"t1\""));
	free(ev);
	free(names[0]);
	free(names[1]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_session_erases_file_and_tree_and_records),
		T(test_session_refusal_and_usage_make_nothing),
		T(test_session_resume_picks_unfinished),
		T(test_session_run_dir_locked),
		T(test_session_per_target_methods_resume),
		T(test_session_technique_needs_block_device),
		T(test_session_then_usage),
		T(test_session_backup_target_first),
		T(test_session_in_pipeline_record),
		T(test_session_in_pipeline_resume),
		T(test_session_file_gate),
		T(test_session_per_target_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
