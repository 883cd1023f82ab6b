/* SPDX-License-Identifier: MIT */
/* test_ledger.c - hash chain, resume after a torn line, tamper detection */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "dispose/common.h"
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
	assert_int_equal(dsp_ledger_walk(dir, visit, &c, &bad), 0);
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
	assert_int_equal(dsp_ledger_walk(dir, visit, &c, &bad), DSP_MISMATCH);
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
	assert_int_equal(dsp_ledger_walk(dir, visit, &c, NULL), DSP_MISMATCH);
	assert_int_equal(dsp_ledger_open(dir, DSP_LEDGER_RESUME, &l), 0);
	assert_int_equal(dsp_ledger_seq(l), 3);	/* the repair event is seq 3 */
	append_n(l, 1);
	dsp_ledger_close(l);
	c.n = 0;
	assert_int_equal(dsp_ledger_walk(dir, visit, &c, NULL), 0);
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
	assert_null(strstr(buf, "99"));
	assert_int_equal(dsp_ledger_walk(dir, NULL, NULL, NULL), 0);
	free(buf);
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
		cmocka_unit_test(test_time_rfc3339_format),
	};
	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
