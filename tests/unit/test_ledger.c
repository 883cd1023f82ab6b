/* SPDX-License-Identifier: MIT */
/* test_ledger.c - hash chain, resume after a torn line, tamper detection, failed appends */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/dsp-ledger-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *read_file(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf = calloc(1, 1 << 20);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

static void append_n(struct dsp_ledger *l, int n)
{
	for (int i = 0; i < n; i++) {
		struct json_object *f = json_object_new_object();

		json_object_object_add(f, "i", json_object_new_int(i));
		json_object_object_add(f, "path", json_object_new_string("/dev/x"));
		assert_int_equal(dsp_ledger_append(l, "test", f, i == n - 1), 0);
		json_object_put(f);
	}
}

struct count { int n; int last_i; };

static int visit(struct json_object *ev, void *arg)
{
	struct count *c = arg;
	struct json_object *v;

	c->n++;
	if (json_object_object_get_ex(ev, "i", &v))
		c->last_i = json_object_get_int(v);
	return 0;
}

static void test_ledger_append_chain_first_prev_is_zero(void **state)
{
	struct dsp_ledger *l;
	size_t len;
	char *buf;
	unsigned char md[32];
	unsigned mdlen;
	char hex[65], want[80];

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	append_n(l, 3);
	dsp_ledger_head(l, hex);
	assert_int_equal(dsp_ledger_seq(l), 3);
	dsp_ledger_close(l);
	buf = read_file(DSP_LEDGER_FILE, &len);
	assert_non_null(strstr(buf, "{\"seq\":1,\"time\":\""));
	assert_non_null(strstr(buf, "\"event\":\"test\",\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\""));
	assert_non_null(strstr(buf, "\"path\":\"/dev/x\""));	/* no \/ escapes */
	/* line 2's prev is the SHA-256 of line 1 without its newline */
	char *nl = strchr(buf, '\n');
	EVP_Digest(buf, (size_t)(nl - buf), md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(want + 2 * i, "%02x", md[i]);
	assert_non_null(strstr(nl + 1, want));
	/* the head is the hash of the last line */
	char *last = buf + len - 2;
	while (last > buf && *last != '\n')
		last--;
	EVP_Digest(last + 1, (size_t)(buf + len - 1 - (last + 1)), md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(want + 2 * i, "%02x", md[i]);
	assert_string_equal(hex, want);
	free(buf);
}

static void test_ledger_open_create_refuses_existing(void **state)
{
	struct dsp_ledger *l;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	dsp_ledger_close(l);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), -EEXIST);
}

static void test_ledger_walk_detects_tamper(void **state)
{
	struct dsp_ledger *l;
	struct count c = { 0, -1 };
	uint64_t bad = 0;
	char path[256];
	size_t len;
	char *buf;
	FILE *f;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	append_n(l, 5);
	dsp_ledger_close(l);
	assert_int_equal(dsp_record_read_events(dir, visit, &c, &bad), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.last_i, 4);

	/* edit one value in line 3: line 4's prev no longer matches */
	buf = read_file(DSP_LEDGER_FILE, &len);
	char *p = strstr(buf, "\"i\":2");
	assert_non_null(p);
	p[4] = '7';
	snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE);
	f = fopen(path, "w");
	fwrite(buf, 1, len, f);
	fclose(f);
	free(buf);
	c.n = 0;
	assert_int_equal(dsp_record_read_events(dir, visit, &c, &bad), DSP_MISMATCH);
	assert_int_equal(bad, 4);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), DSP_MISMATCH);
}

static void test_ledger_resume_cuts_torn_line(void **state)
{
	struct dsp_ledger *l;
	struct count c = { 0, -1 };
	char path[256];
	int fd;
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	append_n(l, 2);
	dsp_ledger_close(l);
	snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(write(fd, "{\"seq\":3,\"ti", 12) == 12);
	close(fd);
	assert_int_equal(dsp_record_read_events(dir, visit, &c, NULL), DSP_MISMATCH);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	assert_int_equal(dsp_ledger_seq(l), 3);	/* the repair event is seq 3 */
	append_n(l, 1);
	dsp_ledger_close(l);
	c.n = 0;
	assert_int_equal(dsp_record_read_events(dir, visit, &c, NULL), 0);
	assert_int_equal(c.n, 4);
	buf = read_file(DSP_LEDGER_FILE, &len);
	assert_non_null(strstr(buf, "\"event\":\"ledger_repaired\""));
	assert_non_null(strstr(buf, "\"dropped_bytes\":12"));
	free(buf);
}

static void test_ledger_append_reserved_fields_not_overridden(void **state)
{
	struct dsp_ledger *l;
	struct json_object *f = json_object_new_object();
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	json_object_object_add(f, "seq", json_object_new_int(99));
	json_object_object_add(f, "prev", json_object_new_string("x"));
	assert_int_equal(dsp_ledger_append(l, "e", f, 1), 0);
	json_object_put(f);
	dsp_ledger_close(l);
	buf = read_file(DSP_LEDGER_FILE, &len);
	/* a bare "99" can occur in any hash or time on the line */
	assert_null(strstr(buf, "\"seq\":99"));
	assert_null(strstr(buf, "\"prev\":\"x\""));
	assert_non_null(strstr(buf, "\"seq\":1,"));
	assert_int_equal(dsp_record_read_events(dir, NULL, NULL, NULL), 0);
	free(buf);
}

static off_t file_size(void)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static int append_one(struct dsp_ledger *l, int i, int sync)
{
	struct json_object *f = json_object_new_object();
	int r;

	json_object_object_add(f, "i", json_object_new_int(i));
	r = dsp_ledger_append(l, "test", f, sync);
	json_object_put(f);
	return r;
}

/*
 * After a failed append: the file ends with a whole line, the chain walks,
 * a RESUME open continues it (repair iff torn) and appends work again.
 */
static void check_resumes(int want_lines, int want_repair)
{
	struct dsp_ledger *l;
	struct count c = { 0, -1 };
	size_t len;
	char *buf;

	assert_int_equal(dsp_record_read_events(dir, visit, &c, NULL), want_repair ? DSP_MISMATCH : 0);
	if (!want_repair)
		assert_int_equal(c.n, want_lines);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	assert_int_equal(dsp_ledger_error(l), 0);
	assert_int_equal(dsp_ledger_seq(l), (uint64_t)(want_lines + want_repair));
	assert_int_equal(append_one(l, 100, 1), 0);
	dsp_ledger_close(l);
	c.n = 0;
	assert_int_equal(dsp_record_read_events(dir, visit, &c, NULL), 0);
	assert_int_equal(c.n, want_lines + want_repair + 1);
	assert_int_equal(c.last_i, 100);
	buf = read_file(DSP_LEDGER_FILE, &len);
	assert_int_equal(strstr(buf, "\"event\":\"ledger_repaired\"") != NULL, want_repair);
	free(buf);
}

/* A real short write: the file size limit lets part of the line through, then EFBIG. */
static void test_ledger_append_short_write_cut_and_refused(void **state)
{
	struct dsp_ledger *l;
	struct rlimit old, lim;
	void (*oldsig)(int);
	off_t before;
	char head[65], head2[65];
	int r;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	append_n(l, 3);
	before = file_size();
	dsp_ledger_head(l, head);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 20;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r = append_one(l, 3, 1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(r, -EFBIG);
	/* the 20 bytes that went through are gone again */
	assert_int_equal(file_size(), before);
	assert_int_equal(dsp_ledger_seq(l), 3);
	dsp_ledger_head(l, head2);
	assert_string_equal(head, head2);
	/* the limit is gone, but the record has a gap now: refused */
	assert_int_equal(dsp_ledger_error(l), -EFBIG);
	assert_int_equal(append_one(l, 4, 0), -EFBIG);
	assert_int_equal(file_size(), before);
	dsp_ledger_close(l);
	check_resumes(3, 0);
}

#ifdef DSP_TEST_HOOKS
static void test_ledger_append_enospc_cut_and_refused(void **state)
{
	struct dsp_ledger *l;
	struct dsp_ledger_fault f = { .seq = 3, .write_err = ENOSPC, .write_after = 37 };
	off_t before;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	dsp_ledger_test_fault(l, &f);
	append_n(l, 2);		/* seq 1 and 2 are not hit */
	before = file_size();
	assert_int_equal(append_one(l, 2, 0), -ENOSPC);
	assert_int_equal(file_size(), before);
	assert_int_equal(dsp_ledger_error(l), -ENOSPC);
	/* every later append, synced or not, fails the same way and writes nothing */
	assert_int_equal(append_one(l, 3, 0), -ENOSPC);
	assert_int_equal(append_one(l, 4, 1), -ENOSPC);
	assert_int_equal(file_size(), before);
	assert_int_equal(dsp_ledger_seq(l), 2);
	dsp_ledger_close(l);
	check_resumes(2, 0);
}

/* The first line itself fails: the file is empty again, and resumable. */
static void test_ledger_append_first_line_fails(void **state)
{
	struct dsp_ledger *l;
	struct dsp_ledger_fault f = { .write_err = EIO, .write_after = 5 };

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	dsp_ledger_test_fault(l, &f);
	assert_int_equal(append_one(l, 0, 1), -EIO);
	assert_int_equal(file_size(), 0);
	dsp_ledger_close(l);
	check_resumes(0, 0);
}

/* The cut fails too: the torn piece stays, and a resume cuts it and says so. */
static void test_ledger_append_cut_fails_resume_repairs(void **state)
{
	struct dsp_ledger *l;
	struct dsp_ledger_fault f = { .seq = 4, .write_err = ENOSPC, .write_after = 11,
				      .truncate_err = EIO };
	off_t before;
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	append_n(l, 3);
	before = file_size();
	dsp_ledger_test_fault(l, &f);
	assert_int_equal(append_one(l, 3, 1), -ENOSPC);
	assert_int_equal(file_size(), before + 11);
	/* nothing lands after the torn piece, so it stays the last line */
	assert_int_equal(append_one(l, 4, 1), -ENOSPC);
	assert_int_equal(file_size(), before + 11);
	dsp_ledger_close(l);
	check_resumes(3, 1);
	buf = read_file(DSP_LEDGER_FILE, &len);
	assert_non_null(strstr(buf, "\"dropped_bytes\":11"));
	free(buf);
}

/* fdatasync fails: the line stays (whole, chained); nothing more is appended. */
static void test_ledger_append_fsync_eio_refused(void **state)
{
	struct dsp_ledger *l;
	struct dsp_ledger_fault f = { .seq = 2, .sync_err = EIO };
	off_t after;
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	dsp_ledger_test_fault(l, &f);
	assert_int_equal(append_one(l, 0, 1), 0);
	assert_int_equal(append_one(l, 1, 1), -EIO);
	assert_int_equal(dsp_ledger_seq(l), 2);
	after = file_size();
	assert_int_equal(append_one(l, 2, 1), -EIO);
	assert_int_equal(append_one(l, 3, 0), -EIO);
	assert_int_equal(file_size(), after);
	assert_int_equal(dsp_ledger_error(l), -EIO);
	dsp_ledger_close(l);
	buf = read_file(DSP_LEDGER_FILE, &len);
	assert_int_equal((off_t)len, after);
	assert_non_null(strstr(buf, "\"i\":1}\n"));
	assert_null(strstr(buf, "\"i\":2"));
	free(buf);
	check_resumes(2, 0);
}

/* Concurrent appenders while one append fails: no line after the failure. */
struct thr { struct dsp_ledger *l; int base, ok, refused; };

static void *appender(void *arg)
{
	struct thr *t = arg;

	for (int i = 0; i < 200; i++) {
		int r = append_one(t->l, t->base + i, 0);

		if (r == 0)
			t->ok++;
		else if (r == -ENOSPC)
			t->refused++;
	}
	return NULL;
}

static void test_ledger_append_fail_concurrent(void **state)
{
	struct dsp_ledger *l;
	struct dsp_ledger_fault f = { .seq = 150, .write_err = ENOSPC, .write_after = 40 };
	struct thr t[4];
	pthread_t th[4];
	struct count c = { 0, -1 };

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	dsp_ledger_test_fault(l, &f);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ l, 1000 * i, 0, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, appender, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(t[0].ok + t[1].ok + t[2].ok + t[3].ok, 149);
	assert_int_equal(t[0].refused + t[1].refused + t[2].refused + t[3].refused, 800 - 149);
	dsp_ledger_close(l);
	assert_int_equal(dsp_record_read_events(dir, visit, &c, NULL), 0);
	assert_int_equal(c.n, 149);
}
#endif

/* The choke point: a caller that forgot the helper still gets a UTF-8 line, bytes kept. */
static void test_ledger_append_escapes_non_utf8(void **state)
{
	struct dsp_ledger *l;
	struct json_object *f = json_object_new_object(), *in = json_object_new_object();
	struct json_object *a = json_object_new_array(), *ev;
	size_t len;
	char *buf, *b;

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	json_object_object_add(f, "path", json_object_new_string("latin1-\xe9-\xff\n.bin"));
	json_object_object_add(in, "name", json_object_new_string("q\"\\\xfe"));
	json_object_object_add(f, "identity", in);
	json_object_array_add(a, json_object_new_string("-x\xe9"));
	json_object_object_add(f, "argv", a);
	assert_int_equal(dsp_ledger_append(l, "test", f, 1), 0);
	/* the caller's object is left as it was */
	assert_string_equal(json_object_get_string(json_object_object_get(f, "path")),
			    "latin1-\xe9-\xff\n.bin");
	json_object_put(f);
	dsp_ledger_close(l);
	buf = read_file(DSP_LEDGER_FILE, &len);
	assert_true(dsp_utf8_valid(buf, len));
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', len - 1));
	buf[len - 1] = '\0';
	ev = json_tokener_parse(buf);
	assert_non_null(ev);
	assert_int_equal(dsp_json_bytes(ev, "path", &b, NULL), 0);
	assert_string_equal(b, "latin1-\xe9-\xff\n.bin");
	free(b);
	assert_int_equal(dsp_json_bytes(json_object_object_get(ev, "identity"), "name", &b, NULL), 0);
	assert_string_equal(b, "q\"\\\xfe");
	free(b);
	assert_int_equal(dsp_json_value_bytes(json_object_array_get_idx(
		json_object_object_get(ev, "argv"), 0), &b, NULL), 0);
	assert_string_equal(b, "-x\xe9");
	free(b);
	json_object_put(ev);
	free(buf);
	assert_int_equal(dsp_record_read_events(dir, NULL, NULL, NULL), 0);
}

/* A record as the writers build it, through the builders. */
static void write_record(const char *path_bytes, int end)
{
	struct dsp_ledger *l;
	struct json_object *f, *p;
	char *argv[] = { "dispose", "erase", "--yes", (char *)path_bytes, NULL };

	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	f = dsp_record_run_start("erase", 4, argv);
	assert_int_equal(dsp_ledger_append(l, "run_start", f, 1), 0);
	json_object_put(f);
	f = dsp_record_target_start(path_bytes, "file", NULL);
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "method", json_object_new_string("zero"));
	json_object_object_add(f, "verify", json_object_new_string("last"));
	assert_int_equal(dsp_ledger_append(l, "target", f, 1), 0);
	json_object_put(f);
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "pass", json_object_new_int(1));
	json_object_object_add(f, "npasses", json_object_new_int(1));
	p = json_object_new_object();
	json_object_object_add(p, "kind", json_object_new_string("pattern"));
	json_object_object_add(p, "bytes", json_object_new_string("00"));
	json_object_object_add(f, "pattern", p);
	assert_int_equal(dsp_ledger_append(l, "pass_start", f, 0), 0);
	json_object_put(f);
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "pass", json_object_new_int(1));
	assert_int_equal(dsp_ledger_append(l, "pass_end", f, 0), 0);
	json_object_put(f);
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "complete", json_object_new_boolean(1));
	assert_int_equal(dsp_ledger_append(l, "verify_end", f, 0), 0);
	json_object_put(f);
	if (end) {
		f = dsp_record_target_end(dsp_record_status(DSP_PARTIAL), 0, NULL, 4096, 4096);
		json_object_object_add(f, "target", json_object_new_string("t1"));
		json_object_object_add(f, "nist_category", json_object_new_string("none"));
		json_object_object_add(f, "caveats", json_object_new_array());
		json_object_object_add(f, "bad_ranges", json_object_new_array());
		json_object_object_add(f, "mismatches", json_object_new_int64(0));
		assert_int_equal(dsp_ledger_append(l, "target_end", f, 1), 0);
		json_object_put(f);
		f = dsp_record_run_end("completed-with-errors", 1);
		assert_int_equal(dsp_ledger_append(l, "run_end", f, 1), 0);
		json_object_put(f);
	}
	dsp_ledger_close(l);
}

static void test_record_read_targets_and_run(void **state)
{
	static const char name[] = "/srv/latin1-\xe9-\xff\n\"q\\.bin";
	struct dsp_record *r;
	const struct dsp_record_target *t;
	struct dsp_ledger *l;
	char head[65];

	(void)state;
	write_record(name, 1);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	dsp_ledger_head(l, head);
	dsp_ledger_close(l);
	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_int_equal(r->chain, 0);
	assert_int_equal(r->bad_line, 0);
	assert_false(r->torn);
	assert_int_equal(r->events, 7);
	assert_string_equal(r->head, head);
	assert_string_equal(r->schema, "dispose-record/1");
	assert_string_equal(r->command, "erase");
	assert_non_null(r->run_start);
	assert_true(r->run_end);
	assert_string_equal(r->run_end_status, "completed-with-errors");
	assert_int_equal(r->run_end_exit, 1);
	assert_int_equal(r->ntargets, 1);
	t = dsp_record_find(r, "t1");
	assert_non_null(t);
	assert_null(dsp_record_find(r, "t2"));
	assert_int_equal(t->path_len, strlen(name));
	assert_memory_equal(t->path, name, t->path_len);
	assert_string_equal(t->kind, "file");
	assert_null(t->identity);		/* written as null: unknown */
	assert_string_equal(t->method, "zero");
	assert_string_equal(t->verify, "last");
	assert_int_equal(t->npasses, 1);
	assert_int_equal(t->passes_ended, 1);
	assert_int_equal(json_object_array_length(t->patterns), 1);
	assert_string_equal(dsp_json_str(json_object_array_get_idx(t->patterns, 0), "bytes"), "00");
	assert_true(t->verified);
	assert_string_equal(t->status, "completed-with-errors");
	assert_string_equal(t->category, "none");
	assert_int_equal(t->bytes_written, 4096);
	assert_int_equal(t->bytes_verified, 4096);
	assert_non_null(t->caveats);
	assert_non_null(t->end);
	/* a record without technique (older than #13): an overwrite, nothing asked */
	assert_string_equal(t->technique, "overwrite");
	assert_null(t->category_requested);
	assert_null(t->luks);
	assert_null(t->sanitize);
	assert_int_equal(t->dealloc, -1);
	/* argv keeps the exact bytes of the name */
	{
		struct json_object *a = json_object_object_get(r->run_start, "argv");
		char *b;

		assert_int_equal(dsp_json_value_bytes(json_object_array_get_idx(a, 3), &b, NULL), 0);
		assert_string_equal(b, name);
		free(b);
		/* the reader gives run_start with its names as bytes */
		assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 3)), name);
	}
	dsp_record_free(r);
}

static void append_json(struct dsp_ledger *l, const char *ev, const char *json)
{
	struct json_object *f = json_tokener_parse(json);

	assert_non_null(f);
	assert_int_equal(dsp_ledger_append(l, ev, f, 0), 0);
	json_object_put(f);
}

/* #13: what crypto-luks and sanitize write, read back per target; a cut-short target keeps its events' facts. */
static void test_record_read_techniques(void **state)
{
	struct dsp_record *r;
	const struct dsp_record_target *t;
	struct dsp_ledger *l;
	struct json_object *f;
	char *argv[] = { "dispose", "erase", NULL };

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	f = dsp_record_run_start("erase", 2, argv);
	assert_int_equal(dsp_ledger_append(l, "run_start", f, 0), 0);
	json_object_put(f);
	append_json(l, "target", "{\"target\": \"t1\", \"path\": \"/dev/sdb\", \"kind\": \"block\","
		    " \"method\": {\"name\": \"crypto-luks\", \"technique\": \"crypto-luks\"},"
		    " \"technique\": \"crypto-luks\", \"category_requested\": \"purge\","
		    " \"auto_reason\": \"a LUKS volume\", \"then\": {\"name\": \"zero\"}}");
	append_json(l, "luks_header", "{\"target\": \"t1\", \"volume\": {\"uuid\": \"u-1\"}}");
	append_json(l, "luks_destroyed", "{\"target\": \"t1\", \"result\": {\"outcome\": \"ok\","
		    " \"volume\": {\"uuid\": \"u-1\", \"key_bits\": 512}}}");
	append_json(l, "target", "{\"target\": \"t2\", \"path\": \"/dev/nvme0n1\", \"kind\": \"block\","
		    " \"technique\": \"sanitize\", \"category_requested\": \"purge\"}");
	append_json(l, "sanitize_sent", "{\"target\": \"t2\", \"bus\": \"nvme\", \"action\": \"crypto\","
		    " \"command\": \"84\", \"health_before\": {\"power_on_hours\": 7}}");
	append_json(l, "sanitize_end", "{\"target\": \"t2\", \"result\": {\"sstat\": \"0x0001\"}, \"ok\": false,"
		    " \"health_after\": {\"power_on_hours\": 8}}");
	append_json(l, "target_end", "{\"target\": \"t1\", \"status\": \"success\","
		    " \"technique\": \"crypto-luks\", \"category_requested\": \"purge\","
		    " \"nist_category\": \"clear\", \"caveats\": [\"flash spare area\"],"
		    " \"luks\": {\"outcome\": \"ok\", \"keyslots_failed\": 0,"
		    " \"volume\": {\"uuid\": \"u-1\", \"key_bits\": 512, \"cipher\": \"aes\"}},"
		    " \"header_backups\": [{\"path\": \"/b\", \"uuid\": \"u-1\", \"erased_in_run\": false}],"
		    " \"then\": {\"method\": \"zero\", \"status\": \"success\", \"caveats\": [\"c\"]}}");
	append_json(l, "target_end", "{\"target\": \"t3\", \"status\": \"failed\","
		    " \"technique\": \"sanitize\", \"action\": \"block\", \"dealloc\": false,"
		    " \"hidden\": {\"hpa\": true}}");
	dsp_ledger_close(l);

	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_int_equal(r->ntargets, 3);
	t = dsp_record_find(r, "t1");
	assert_string_equal(t->technique, "crypto-luks");
	assert_string_equal(t->category_requested, "purge");
	assert_string_equal(t->category, "clear");
	assert_string_equal(t->auto_reason, "a LUKS volume");
	/* the target's then is the method; the end's what its passes did */
	assert_string_equal(dsp_json_str(t->then, "name"), "zero");
	assert_string_equal(dsp_json_str(t->then_end, "status"), "success");
	assert_string_equal(dsp_json_str(t->method_json, "technique"), "crypto-luks");
	assert_string_equal(dsp_json_str(t->luks, "outcome"), "ok");
	/* what the destroy itself recorded stays apart from the end's copy */
	assert_string_equal(dsp_json_str(t->luks_destroyed, "outcome"), "ok");
	assert_null(json_object_object_get(t->luks_destroyed, "keyslots_failed"));
	/* the volume as the end says it, fuller than luks_header's */
	assert_string_equal(dsp_json_str(t->luks_volume, "cipher"), "aes");
	assert_int_equal(json_object_array_length(t->header_backups), 1);
	assert_null(t->sanitize);
	assert_int_equal(t->dealloc, -1);
	assert_int_equal(t->sanitize_ok, -1);

	/* cut short: no target_end, the sanitize's own events say what the device did */
	t = dsp_record_find(r, "t2");
	assert_null(t->status);
	assert_string_equal(t->technique, "sanitize");
	assert_null(t->action);
	assert_string_equal(dsp_json_str(t->sanitize, "sstat"), "0x0001");
	assert_string_equal(dsp_json_str(t->sanitize_sent, "command"), "84");
	assert_int_equal(t->sanitize_ok, 0);
	assert_string_equal(dsp_json_str(t->sanitize_end, "sstat"), "0x0001");
	assert_non_null(json_object_object_get(t->health_before, "power_on_hours"));
	assert_int_equal(json_object_get_int(json_object_object_get(t->health_after,
								    "power_on_hours")), 8);

	/* a target refused at check time: its end is all */
	t = dsp_record_find(r, "t3");
	assert_string_equal(t->technique, "sanitize");
	assert_string_equal(t->action, "block");
	assert_int_equal(t->dealloc, 0);
	assert_true(json_object_get_boolean(json_object_object_get(t->hidden, "hpa")));
	dsp_record_free(r);
}

/*
 * A pipeline's record (#14): the reader keeps its last erase_start, names
 * as bytes, and erase_end only when one follows that erase_start.
 */
static void test_record_read_erase_start(void **state)
{
	struct dsp_record *r;
	struct dsp_ledger *l;
	struct json_object *f, *x;
	char *argv[] = { "dispose", "run", NULL };

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	f = dsp_record_run_start("run", 2, argv);
	assert_int_equal(dsp_ledger_append(l, "run_start", f, 0), 0);
	json_object_put(f);
	append_json(l, "erase_start", "{\"targets\": [{\"id\": \"t1\", \"path\": \"/old\"}]}");
	append_json(l, "erase_end", "{\"status\": \"interrupted\", \"exit\": 130}");
	f = json_object_new_object();
	dsp_json_add_bytes(f, "cwd", "/srv/caf\xe9");
	json_object_object_add(f, "targets", json_tokener_parse("[{\"id\": \"t1\"}]"));
	assert_int_equal(dsp_ledger_append(l, "erase_start", f, 0), 0);
	json_object_put(f);
	dsp_ledger_close(l);

	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_string_equal(r->command, "run");
	assert_non_null(r->erase_start);
	assert_false(r->erase_end);	/* the erase_end before it is the first one's */
	assert_string_equal(dsp_json_str(r->erase_start, "cwd"), "/srv/caf\xe9");
	assert_true(json_object_object_get_ex(r->erase_start, "targets", &x));
	assert_null(dsp_json_str(json_object_array_get_idx(x, 0), "path"));
	assert_false(r->run_end);
	dsp_record_free(r);

	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	append_json(l, "erase_end", "{\"status\": \"success\", \"exit\": 0}");
	dsp_ledger_close(l);
	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_true(r->erase_end);
	assert_false(r->run_end);
	dsp_record_free(r);
}

/* What interlock, resume and the certificate read: archives, a file's size and last name. */
static void test_record_read_archives_size_renamed(void **state)
{
	static const char arc[] = "/srv/arc-\xe9.tar";
	struct dsp_ledger *l;
	struct dsp_record *r;
	const struct dsp_record_target *t;
	struct json_object *f, *bi;
	const char *ids[] = { "A", "B", "A" };

	(void)state;
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_CREATE, &l), 0);
	for (int i = 0; i < 3; i++) {
		f = json_object_new_object();
		bi = json_object_new_object();
		json_object_object_add(bi, "External-Identifier", json_object_new_string(ids[i]));
		json_object_object_add(f, "bag_info", bi);
		dsp_json_add_bytes(f, "archive", i == 1 ? arc : "/srv/a.tar");
		json_object_object_add(f, "files", json_object_new_int(i));
		assert_int_equal(dsp_ledger_append(l, "archive_created", f, 0), 0);
		json_object_put(f);
	}
	f = json_object_new_object();
	json_object_object_add(f, "external_identifier", json_object_new_string("B"));
	dsp_json_add_bytes(f, "archive", arc);
	json_object_object_add(f, "result", json_object_new_string("ok"));
	assert_int_equal(dsp_ledger_append(l, "archive_verified", f, 0), 0);
	json_object_put(f);
	for (int i = 0; i < 2; i++) {
		f = dsp_record_target_start("/srv/f", "file", NULL);
		json_object_object_add(f, "target", json_object_new_string("t1"));
		json_object_object_add(f, "size", json_object_new_int(100 + i));
		assert_int_equal(dsp_ledger_append(l, "target", f, 0), 0);
		json_object_put(f);
		f = json_object_new_object();
		json_object_object_add(f, "target", json_object_new_string("t1"));
		json_object_object_add(f, "to", json_object_new_string(i ? "/srv/y" : "/srv/x"));
		assert_int_equal(dsp_ledger_append(l, "file_renamed", f, 0), 0);
		json_object_put(f);
	}
	dsp_ledger_close(l);
	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_int_equal(r->narchives, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(r->archives[i].id, ids[i]);
		assert_int_equal(json_object_get_int(json_object_object_get(r->archives[i].event,
									    "files")), i);
	}
	assert_int_equal(r->archives[1].path_len, strlen(arc));
	assert_memory_equal(r->archives[1].path, arc, sizeof(arc));
	assert_string_equal(r->archives[2].path, "/srv/a.tar");
	assert_int_equal(r->nverified, 1);
	assert_string_equal(r->verified[0].id, "B");
	assert_memory_equal(r->verified[0].path, arc, sizeof(arc));
	assert_string_equal(dsp_json_str(r->verified[0].event, "result"), "ok");
	t = dsp_record_find(r, "t1");
	assert_non_null(t);
	assert_int_equal(json_object_get_int(t->size), 100);	/* the first */
	assert_string_equal(t->renamed_to, "/srv/y");		/* the last */
	dsp_record_free(r);
}

static char *slurp(size_t *len)
{
	return read_file(DSP_LEDGER_FILE, len);
}

static void put(const char *buf, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void test_record_read_broken_chain_read_only(void **state)
{
	struct dsp_record *r;
	char path[256], *buf, *after, *p;
	size_t len, len2;

	(void)state;
	write_record("/srv/x", 1);
	buf = slurp(&len);
	p = strstr(buf, "\"npasses\":1");
	assert_non_null(p);
	p[10] = '2';		/* line 3 edited: line 4's prev no longer matches */
	put(buf, len);
	snprintf(path, sizeof(path), "%s/%s", dir, DSP_LEDGER_FILE);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_int_equal(r->chain, DSP_MISMATCH);
	assert_int_equal(r->bad_line, 4);
	assert_int_equal(r->events, 3);
	assert_false(r->run_end);
	assert_int_equal(r->ntargets, 1);
	assert_null(r->targets[0].status);	/* its target_end is past the break */
	assert_int_equal(r->targets[0].npasses, 2);
	dsp_record_free(r);
	after = slurp(&len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, after, len);
	free(after);
	free(buf);
}

static void test_record_read_torn_and_malformed(void **state)
{
	struct dsp_record *r;
	char *buf, *after;
	size_t len, len2;

	(void)state;
	write_record("/srv/x", 0);
	buf = slurp(&len);
	buf = realloc(buf, len + 32);
	memcpy(buf + len, "{\"seq\":6,\"ti", 12);
	put(buf, len + 12);
	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_int_equal(r->chain, 0);
	assert_true(r->torn);
	assert_int_equal(r->events, 5);
	assert_false(r->run_end);
	assert_null(r->targets[0].status);
	dsp_record_free(r);
	/* the torn line is reported, never cut: that is a RESUME open's job */
	after = slurp(&len2);
	assert_int_equal(len2, len + 12);
	free(after);
	/* a line that is not JSON breaks the chain where it is */
	memcpy(buf + len, "not json\n", 9);
	put(buf, len + 9);
	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_int_equal(r->chain, DSP_MISMATCH);
	assert_int_equal(r->bad_line, 6);
	assert_int_equal(r->events, 5);
	dsp_record_free(r);
	free(buf);
	/* null and wrongly typed fields are "not said", never a crash */
	put("", 0);
	{
		struct dsp_ledger *l;
		struct json_object *f = json_tokener_parse(
			"{\"target\":\"t9\",\"path\":null,\"kind\":7,\"identity\":null,\"method\":{\"name\":null},"
			"\"status\":null,\"bytes_written\":-1,\"caveats\":null,\"nist_category\":null}");

		assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
		assert_int_equal(dsp_ledger_append(l, "target", f, 0), 0);
		assert_int_equal(dsp_ledger_append(l, "target_end", f, 0), 0);
		dsp_ledger_close(l);
		json_object_put(f);
	}
	assert_int_equal(dsp_record_read(dir, &r), 0);
	assert_int_equal(r->ntargets, 1);
	assert_null(r->targets[0].path);
	assert_null(r->targets[0].kind);
	assert_null(r->targets[0].method);
	assert_null(r->targets[0].status);
	assert_int_equal(r->targets[0].bytes_written, 0);
	assert_null(r->schema);
	assert_null(r->command);
	dsp_record_free(r);
	assert_int_equal(dsp_record_read("/nonexistent-dispose-dir", &r), -ENOENT);
	assert_null(r);
}

/* One run directory holds one command's record. */
static void test_ledger_open_cmd_refuses_other_command(void **state)
{
	struct dsp_ledger *l;
	char *buf, *after;
	size_t len, len2;

	(void)state;
	write_record("/srv/x", 1);
	buf = slurp(&len);
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME, "archive create", &l),
			 DSP_REFUSED);
	after = slurp(&len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, after, len);
	free(after);
	free(buf);
	/* the same command resumes it, after its run_end too */
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME, "erase", &l), 0);
	dsp_ledger_close(l);
	/* a finished record that names no command takes no command's events */
	put("", 0);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	assert_int_equal(dsp_ledger_append(l, "run_end", NULL, 1), 0);
	dsp_ledger_close(l);
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME, "erase", &l), DSP_REFUSED);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	dsp_ledger_close(l);
}

/* Two run_start in one file (an old shared directory, or an edit): no command appends. */
static void test_ledger_open_cmd_refuses_two_runs(void **state)
{
	struct dsp_ledger *l;
	struct json_object *f;
	char *buf, *after;
	size_t len, len2;
	char *const argv[] = { "dispose", "erase", "x", NULL };

	(void)state;
	write_record("/srv/x", 1);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	f = dsp_record_run_start("erase", 3, argv);
	assert_int_equal(dsp_ledger_append(l, "run_start", f, 1), 0);
	json_object_put(f);
	dsp_ledger_close(l);
	buf = slurp(&len);
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME, "erase", &l), DSP_REFUSED);
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME, "archive create", &l),
			 DSP_REFUSED);
	after = slurp(&len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, after, len);
	free(after);
	free(buf);
}

/* DSP_LEDGER_LOCK: one writer per run directory, until it closes. */
static void test_ledger_lock_one_writer(void **state)
{
	struct dsp_ledger *a, *b;
	char *buf, *after;
	size_t len, len2;

	(void)state;
	write_record("/srv/x", 1);
	buf = slurp(&len);
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME | DSP_LEDGER_LOCK, "erase",
					     &a), 0);
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME | DSP_LEDGER_LOCK, "erase",
					     &b), DSP_REFUSED);
	after = slurp(&len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, after, len);
	free(after);
	free(buf);
	dsp_ledger_close(a);
	assert_int_equal(dsp_ledger_open_cmd(dir, DSP_LEDGER_RESUME | DSP_LEDGER_LOCK, "erase",
					     &b), 0);
	dsp_ledger_close(b);
}

/* Three commands in one second: three directories. */
static void test_ledger_default_dir_unique(void **state)
{
	char a[4096], b[4096], c[4096];
	struct stat st;

	(void)state;
	if (access("/var/lib", W_OK) != 0)
		skip();
	assert_int_equal(dsp_ledger_default_dir(a, sizeof(a)), 0);
	assert_int_equal(dsp_ledger_default_dir(b, sizeof(b)), 0);
	assert_int_equal(dsp_ledger_default_dir(c, sizeof(c)), 0);
	assert_string_not_equal(a, b);
	assert_string_not_equal(b, c);
	assert_string_not_equal(a, c);
	assert_int_equal(stat(a, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(strncmp(a, "/var/lib/dispose/runs/", 22), 0);
	rmdir(a);
	rmdir(b);
	rmdir(c);
}

static void test_time_rfc3339_format(void **state)
{
	char t[32];

	(void)state;
	dsp_time_rfc3339(t);
	assert_int_equal(strlen(t), 24);
	assert_int_equal(t[4], '-');
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[23], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ledger_append_chain_first_prev_is_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_open_create_refuses_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_walk_detects_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_resume_cuts_torn_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_append_reserved_fields_not_overridden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_append_short_write_cut_and_refused, setup, teardown),
#ifdef DSP_TEST_HOOKS
		cmocka_unit_test_setup_teardown(test_ledger_append_enospc_cut_and_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_append_first_line_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_append_cut_fails_resume_repairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_append_fsync_eio_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_append_fail_concurrent, setup, teardown),
#endif
		cmocka_unit_test_setup_teardown(test_ledger_append_escapes_non_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_read_targets_and_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_read_archives_size_renamed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_read_techniques, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_read_erase_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_read_broken_chain_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_read_torn_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_open_cmd_refuses_other_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_open_cmd_refuses_two_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_lock_one_writer, setup, teardown),
		cmocka_unit_test(test_ledger_default_dir_unique),
		cmocka_unit_test(test_time_rfc3339_format),
	};
	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
