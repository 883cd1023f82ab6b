/* SPDX-License-Identifier: MIT */
/* test_plan.c - dsp_plan_build/print/write: decisions, splitting around kept items, no overlap */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/run.h"
#include "dispose/util.h"
#include "device_fake.h"
#include "tmpdir_helpers.h"

/* ---- a scratch server and its hand-made inventory ---- */

static struct json_object *files_arr;

static int list_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct json_object *o = json_object_new_object();

	(void)flag;
	(void)ftw;
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "type", json_object_new_string(S_ISDIR(st->st_mode) ? "dir" :
								 S_ISREG(st->st_mode) ? "file" :
								 "symlink"));
	json_object_object_add(o, "size", json_object_new_int64(st->st_size));
	json_object_array_add(files_arr, o);
	return 0;
}

/*
 * dir/inv.json: every file and directory under dir/srvroot as files[],
 * and extra members (keys, software, devices) given as JSON text.
 */
static const char *inventory(const char *extra_keys, const char *extra_sw, const char *extra_dev)
{
	struct json_object *inv = json_object_new_object();
	char text[4096];

	files_arr = json_object_new_array();
	assert_int_equal(nftw(at("srv"), list_one, 16, FTW_PHYS), 0);
	json_object_object_add(inv, "schema", json_object_new_string("dispose-inventory/1"));
	json_object_object_add(inv, "host", json_tokener_parse("{\"hostname\":\"box\"}"));
	json_object_object_add(inv, "files", files_arr);
	snprintf(text, sizeof(text), "[%s]", extra_keys ? extra_keys : "");
	json_object_object_add(inv, "keys", json_tokener_parse(text));
	snprintf(text, sizeof(text), "[%s]", extra_sw ? extra_sw : "");
	json_object_object_add(inv, "software", json_tokener_parse(text));
	snprintf(text, sizeof(text), "[%s]", extra_dev ? extra_dev : "");
	json_object_object_add(inv, "devices", json_tokener_parse(text));
	assert_int_equal(json_object_to_file(at("inv.json"), inv), 0);
	json_object_put(inv);
	return at("inv.json");
}

static void mkd(const char *rel)
{
	assert_int_equal(mkdir(at(rel), 0755), 0);
}

/* The scratch server: srv/{etc/conf, var/log/syslog, data/{a,b,keep/k}, home/u/.ssh/id} */
static int setup(void **state)
{
	(void)state;
	if (tmpdir_make("dsp-plan"))
		return -1;
	mkd("srv");
	mkd("srv/etc");
	mkd("srv/var");
	mkd("srv/var/log");
	mkd("srv/data");
	mkd("srv/data/keep");
	mkd("srv/home");
	mkd("srv/home/u");
	mkd("srv/home/u/.ssh");
	make_file(at("srv/etc/conf"), 10);
	make_file(at("srv/var/log/syslog"), 20);
	make_file(at("srv/data/a"), 1000);
	make_file(at("srv/data/b"), 2000);
	make_file(at("srv/data/keep/k"), 30);
	make_file(at("srv/data/.hidden"), 40);
	make_file(at("srv/home/u/.ssh/id"), 400);
	if (symlink("a", at("srv/data/ln")))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

/* ---- a hand-made policy ---- */

struct pol {
	struct dsp_policy p;
	struct dsp_policy_rule retain[4], erase[6], keep[2];
	char *paths[12][4];		/* owned strings of the selectors */
	size_t np;
};

static void pol_init(struct pol *t)
{
	memset(t, 0, sizeof(*t));
	t->p.path = (char *)"/etc/dispose/test.json";
	t->p.name = (char *)"test";
	t->p.keep_running_system = true;
	t->p.retain = t->retain;
	t->p.erase = t->erase;
	t->p.keep = t->keep;
}

static void pol_free(struct pol *t)
{
	for (size_t i = 0; i < 12; i++)
		for (size_t k = 0; k < 4; k++)
			free(t->paths[i][k]);
}

/* A selector array of up to 3 strings; a leading '@' is dir/ (the scratch directory). */
static char **strs(struct pol *t, size_t *n, const char *a, const char *b, const char *c)
{
	const char *v[3] = { a, b, c };
	char **out = t->paths[t->np++];

	*n = 0;
	for (size_t i = 0; i < 3 && v[i]; i++) {
		if (v[i][0] == '@')
			assert_true(asprintf(&out[i], "%s/%s", dir, v[i] + 1) > 0);
		else
			out[i] = strdup(v[i]);
		(*n)++;
	}
	return out;
}

static struct dsp_policy_rule *rule(struct pol *t, const char *section, const char *name)
{
	struct dsp_policy_rule *r;

	if (!strcmp(section, "retain"))
		r = &t->retain[t->p.nretain], r->index = (unsigned)t->p.nretain++;
	else if (!strcmp(section, "erase"))
		r = &t->erase[t->p.nerase], r->index = (unsigned)t->p.nerase++;
	else
		r = &t->keep[t->p.nkeep], r->index = (unsigned)t->p.nkeep++;
	r->name = (char *)name;
	r->method = (char *)"zero";
	return r;
}

/* ---- reading the plan ---- */

static struct json_object *arr(struct json_object *o, const char *key)
{
	struct json_object *a = NULL;

	assert_true(json_object_object_get_ex(o, key, &a));
	assert_true(json_object_is_type(a, json_type_array));
	return a;
}

/* The member of the element of array key whose path is dir/rel (rel "@..." as above). */
static struct json_object *by_path(struct json_object *plan, const char *key, const char *rel)
{
	struct json_object *a = arr(plan, key);
	char want[4200];

	snprintf(want, sizeof(want), "%s/%s", dir, rel);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *p = dsp_json_str(e, "path");

		if (p && !strcmp(p, rel[0] == '/' ? rel : want))
			return e;
	}
	return NULL;
}

/* The item of that kind named name (a package) or at dir/name. */
static struct json_object *item_kind(struct json_object *plan, const char *name, const char *kind)
{
	struct json_object *a = arr(plan, "items");
	char want[4200];

	snprintf(want, sizeof(want), "%s/%s", dir, name);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *p = dsp_json_str(e, "path"), *k = dsp_json_str(e, "kind");

		if (p && k && !strcmp(k, kind) && (!strcmp(p, name) || !strcmp(p, want)))
			return e;
	}
	return NULL;
}

static const char *decision(struct json_object *plan, const char *rel)
{
	struct json_object *it = by_path(plan, "items", rel);

	assert_non_null(it);
	return dsp_json_str(it, "decision");
}

static int64_t num(struct json_object *o, const char *key)
{
	int64_t v = -1;

	assert_int_equal(dsp_json_i64(o, key, &v), 0);
	return v;
}

/* No file or tree target is another or inside another; none holds a kept path. */
static void assert_no_overlap(struct json_object *plan)
{
	struct json_object *t = arr(plan, "targets"), *k = arr(plan, "keep");

	for (size_t i = 0; i < json_object_array_length(t); i++) {
		const char *a = dsp_json_str(json_object_array_get_idx(t, i), "path");
		size_t la = strlen(a);

		for (size_t j = 0; j < json_object_array_length(t); j++) {
			const char *b = dsp_json_str(json_object_array_get_idx(t, j), "path");

			if (i == j)
				continue;
			assert_false(!strncmp(b, a, la) && (b[la] == '/' || !b[la]));
		}
		for (size_t j = 0; j < json_object_array_length(k); j++) {
			const char *b = dsp_json_str(json_object_array_get_idx(k, j), "path");
			const char *r = dsp_json_str(json_object_array_get_idx(k, j), "reason");

			/* a kept path strictly under a target */
			if (strncmp(r, "holds", 5) && strncmp(r, "kept", 4))
				assert_false(!strncmp(b, a, la) && b[la] == '/');
		}
	}
}

/* ---- tests ---- */

static void test_plan_decisions_split_around_kept(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-02-28" };
	struct json_object *plan = NULL, *tg, *ar;
	char *why = NULL;

	(void)state;
	pol_init(&t);
	r = rule(&t, "retain", "records");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/etc/**", "@srv/data/a", NULL);
	r->retain_for = (char *)"7y";
	r = rule(&t, "erase", "data");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/**", NULL, NULL);
	r->method = (char *)"nist-clear";
	r = rule(&t, "erase", "keys");
	r->sel.key_formats = strs(&t, &r->sel.nkey_formats, "any", NULL, NULL);
	r = rule(&t, "keep", "precious");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/keep/**", NULL, NULL);
	char key[4300];

	snprintf(key, sizeof(key), "{\"path\":\"%s/srv/home/u/.ssh/id\",\"format\":\"openssh\"}",
		 dir);
	o.inventory = inventory(key, NULL, NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_null(why);

	/* srv/data holds a kept directory: split into its other entries */
	assert_null(by_path(plan, "targets", "srv/data"));
	assert_non_null(tg = by_path(plan, "targets", "srv/data/a"));
	assert_string_equal(dsp_json_str(tg, "kind"), "file");
	assert_string_equal(dsp_json_str(tg, "method"), "nist-clear");
	assert_int_equal(num(tg, "bytes"), 1000);
	assert_int_equal(num(tg, "retained"), 1);
	assert_non_null(tg = by_path(plan, "targets", "srv/data/b"));
	assert_int_equal(num(tg, "retained"), 0);
	assert_non_null(by_path(plan, "targets", "srv/data/.hidden"));
	assert_null(by_path(plan, "targets", "srv/data/keep"));
	assert_null(by_path(plan, "targets", "srv/data/keep/k"));
	assert_non_null(tg = by_path(plan, "targets", "srv/home/u/.ssh/id"));
	assert_string_equal(dsp_json_str(tg, "rule"), "keys");
	assert_int_equal(json_object_array_length(arr(plan, "targets")), 4);
	assert_no_overlap(plan);

	assert_string_equal(decision(plan, "srv/data/a"), "retain+erase");
	assert_string_equal(decision(plan, "srv/data/b"), "erase");
	assert_string_equal(decision(plan, "srv/data/keep/k"), "keep");
	assert_string_equal(decision(plan, "srv/data/keep"), "keep");
	assert_string_equal(decision(plan, "srv/data"), "keep");	/* the directory stays */
	/* a symlink is no target of its own (the erase never opens one) */
	assert_null(by_path(plan, "targets", "srv/data/ln"));
	assert_string_equal(decision(plan, "srv/data/ln"), "keep");
	assert_string_equal(decision(plan, "srv/etc/conf"), "retain");
	assert_string_equal(decision(plan, "srv/var/log/syslog"), "none");

	/* one archive for the retain rule, until today + 7 years */
	ar = json_object_array_get_idx(arr(plan, "archives"), 0);
	assert_non_null(ar);
	assert_string_equal(dsp_json_str(ar, "retain_until"), "2033-02-28");
	assert_string_equal(dsp_json_str(ar, "archive"), "archives/records-box-20260228.tar.zst");
	assert_string_equal(dsp_json_str(ar, "name"), "records-box-20260228");
	assert_int_equal(num(ar, "files"), 2);
	assert_int_equal(num(ar, "bytes"), 1010);
	assert_int_equal(json_object_array_length(arr(ar, "roots")), 2);
	assert_string_equal(dsp_json_str(plan, "schema"), "dispose-plan/1");
	json_object_put(plan);
	pol_free(&t);
}

static void test_plan_matches_nothing_is_invalid(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01" };
	struct json_object *plan = NULL;
	char *why = NULL;

	(void)state;
	pol_init(&t);
	rule(&t, "erase", "data")->sel.paths = strs(&t, &t.erase[0].sel.npaths, "@srv/data/**",
						     NULL, NULL);
	r = rule(&t, "erase", "ghost");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/nothing/**", NULL, NULL);
	o.inventory = inventory(NULL, NULL, NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), DSP_INVALID);
	assert_null(plan);
	assert_non_null(why);
	assert_string_equal(why, "/etc/dispose/test.json: erase[1] (ghost): matches nothing");
	free(why);
	why = NULL;

	/* if_present: nothing to do is fine */
	r->if_present = true;
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_int_equal(json_object_array_length(arr(plan, "targets")), 1);
	json_object_put(plan);
	pol_free(&t);
}

static void test_plan_targets_never_overlap(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01" };
	struct json_object *plan = NULL, *tg;
	char *why = NULL;

	(void)state;
	pol_init(&t);
	/* an inner file first, the tree holding it after: the tree is split around it */
	r = rule(&t, "erase", "one");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/b", NULL, NULL);
	r = rule(&t, "erase", "all");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/**", NULL, NULL);
	r->method = (char *)"one";
	/* a match inside an earlier target is dropped */
	r = rule(&t, "erase", "again");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/keep/k", NULL, NULL);
	o.inventory = inventory(NULL, NULL, NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_no_overlap(plan);
	assert_non_null(tg = by_path(plan, "targets", "srv/data/b"));
	assert_string_equal(dsp_json_str(tg, "rule"), "one");
	assert_non_null(tg = by_path(plan, "targets", "srv/data/keep"));
	assert_string_equal(dsp_json_str(tg, "kind"), "tree");
	assert_string_equal(dsp_json_str(tg, "rule"), "all");
	assert_int_equal(num(tg, "files"), 1);
	assert_null(by_path(plan, "targets", "srv/data/keep/k"));
	assert_null(by_path(plan, "targets", "srv/data"));
	assert_int_equal(json_object_array_length(arr(plan, "targets")), 4);	/* b, .hidden, a, keep */
	assert_string_equal(decision(plan, "srv/data/keep/k"), "erase");
	json_object_put(plan);
	pol_free(&t);
}

static void test_plan_run_dir_and_system_kept(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01" };
	struct json_object *plan = NULL, *ar;
	char *why = NULL, run[4200];

	(void)state;
	pol_init(&t);
	mkd("srv/data/run");
	make_file(at("srv/data/run/events.jsonl"), 5);
	/* named through a link: kept by its real path too */
	assert_int_equal(symlink("srv/data/run", at("runlink")), 0);
	snprintf(run, sizeof(run), "%s/runlink", dir);
	o.run_dir = run;
	r = rule(&t, "retain", "logs");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/var/log/**", NULL, NULL);
	r->retain_until = (char *)"2030-12-31";
	r->recipients = strs(&t, &r->nrecipients, "/etc/dispose/r.pem", NULL, NULL);
	r = rule(&t, "erase", "data");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/**", NULL, NULL);
	/* the running system's own /etc: kept whatever a rule says */
	r = rule(&t, "erase", "os");
	r->sel.paths = strs(&t, &r->sel.npaths, "/etc/hostname", NULL, NULL);
	r->if_present = true;
	o.inventory = inventory(NULL, NULL, NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_null(by_path(plan, "targets", "srv/data"));
	assert_null(by_path(plan, "targets", "srv/data/run"));
	assert_null(by_path(plan, "targets", "srv/data/run/events.jsonl"));
	assert_string_equal(decision(plan, "srv/data/run/events.jsonl"), "keep");
	assert_non_null(by_path(plan, "targets", "srv/data/keep"));
	assert_no_overlap(plan);
	ar = json_object_array_get_idx(arr(plan, "archives"), 0);
	assert_string_equal(dsp_json_str(ar, "retain_until"), "2030-12-31");
	char want[4300];

	snprintf(want, sizeof(want), "%s/archives/logs-box-20260101.tar.zst.enc", run);
	assert_string_equal(dsp_json_str(ar, "archive"), want);
	json_object_put(plan);
	assert_int_equal(unlink(at("runlink")), 0);
	assert_int_equal(unlink(at("srv/data/run/events.jsonl")), 0);
	assert_int_equal(rmdir(at("srv/data/run")), 0);
	pol_free(&t);
}

static void test_plan_packages_and_unpackaged(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01" };
	struct json_object *plan = NULL, *tg;
	char *why = NULL, sysroot[4200];
	FILE *f;

	(void)state;
	pol_init(&t);
	mkd("srv/usr");
	mkd("srv/usr/bin");
	mkd("srv/opt");
	mkd("srv/opt/app");
	mkd("srv/var/lib");
	mkd("srv/var/lib/dpkg");
	mkd("srv/var/lib/dpkg/info");
	make_file(at("srv/usr/bin/foo"), 7);
	make_file(at("srv/opt/app/run"), 8);
	assert_non_null(f = fopen(at("srv/var/lib/dpkg/info/foo:amd64.list"), "w"));
	fputs("/.\n/usr\n/usr/bin\n/usr/bin/foo\n/usr/bin/gone\n", f);
	fclose(f);
	snprintf(sysroot, sizeof(sysroot), "%s/srv", dir);
	t.p.sysroot = sysroot;
	r = rule(&t, "erase", "software");
	r->sel.packages = strs(&t, &r->sel.npackages, "fo*", NULL, NULL);
	r->sel.unpackaged = strs(&t, &r->sel.nunpackaged, "any", NULL, NULL);
	/* keep the dpkg database of the scratch server, as an administrator would */
	r = rule(&t, "keep", "db");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/var/lib/dpkg/**", NULL, NULL);
	o.inventory = inventory(NULL,
				"{\"manager\":\"dpkg\",\"name\":\"foo\",\"arch\":\"amd64\"},"
				"{\"manager\":\"dpkg\",\"name\":\"bar\",\"arch\":\"amd64\"},"
				"{\"manager\":\"unpackaged\",\"name\":\"/opt/app\"}", NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_non_null(tg = by_path(plan, "targets", "srv/usr/bin/foo"));
	assert_string_equal(dsp_json_str(tg, "kind"), "file");
	assert_int_equal(num(tg, "bytes"), 7);
	assert_non_null(tg = by_path(plan, "targets", "srv/opt/app"));
	assert_string_equal(dsp_json_str(tg, "kind"), "tree");
	assert_int_equal(json_object_array_length(arr(plan, "targets")), 2);
	assert_string_equal(decision(plan, "srv/opt/app/run"), "erase");
	assert_string_equal(decision(plan, "srv/var/lib/dpkg/info/foo:amd64.list"), "keep");
	assert_string_equal(decision(plan, "srv/usr/bin"), "none");
	assert_string_equal(decision(plan, "srv/usr/bin/foo"), "erase");
	/* the packages: foo's files erased, bar not selected */
	assert_non_null(tg = item_kind(plan, "srv/opt/app", "unpackaged"));
	assert_string_equal(dsp_json_str(tg, "decision"), "erase");
	assert_non_null(tg = item_kind(plan, "foo", "package"));
	assert_string_equal(dsp_json_str(tg, "decision"), "erase");
	assert_non_null(tg = item_kind(plan, "bar", "package"));
	assert_string_equal(dsp_json_str(tg, "decision"), "none");
	json_object_put(plan);
	pol_free(&t);
	assert_int_equal(unlink(at("srv/var/lib/dpkg/info/foo:amd64.list")), 0);
	assert_int_equal(unlink(at("srv/usr/bin/foo")), 0);
	assert_int_equal(unlink(at("srv/opt/app/run")), 0);
	assert_int_equal(rmdir(at("srv/var/lib/dpkg/info")), 0);
	assert_int_equal(rmdir(at("srv/var/lib/dpkg")), 0);
	assert_int_equal(rmdir(at("srv/var/lib")), 0);
	assert_int_equal(rmdir(at("srv/opt/app")), 0);
	assert_int_equal(rmdir(at("srv/opt")), 0);
	assert_int_equal(rmdir(at("srv/usr/bin")), 0);
	assert_int_equal(rmdir(at("srv/usr")), 0);
}

static void test_plan_devices_in_use_kept(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01" };
	struct json_object *plan = NULL, *tg, *it;
	char *why = NULL, root[64];

	(void)state;
	fake_root_new(root, sizeof(root));
	fake_disk(root, "sdx", 8, 16, 1 << 30);
	fake_disk(root, "sdy", 8, 32, 1 << 20);
	fake_part(root, "sdy", "sdy1", 8, 33, 1, 1 << 19, 1 << 19);
	fake_mount(root, 8, 33, "/srv");
	o.root = root;
	pol_init(&t);
	r = rule(&t, "erase", "disks");
	r->sel.devices = strs(&t, &r->sel.ndevices, "serial:S-X", "/dev/sdy", "");
	r->method = (char *)"auto";
	o.inventory = inventory(NULL, NULL,
				"{\"path\":\"/dev/sdx\",\"name\":\"sdx\",\"size\":1073741824,"
				"\"serial\":\"S-X\",\"in_use\":null,\"partitions\":[]},"
				"{\"path\":\"/dev/sdy\",\"name\":\"sdy\",\"size\":1048576,"
				"\"serial\":\"S-Y\",\"in_use\":null,\"partitions\":"
				"[{\"path\":\"/dev/sdy1\",\"name\":\"sdy1\",\"size\":524288}]},"
				"{\"path\":\"/dev/sdz\",\"name\":\"sdz\",\"size\":0,"
				"\"partitions\":[]}");
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_non_null(tg = by_path(plan, "targets", "/dev/sdx"));
	assert_string_equal(dsp_json_str(tg, "kind"), "block");
	assert_string_equal(dsp_json_str(tg, "passes"), "auto");
	assert_int_equal(num(tg, "bytes"), 1 << 30);
	/* 1 GiB at 500 MB/s, one pass and the verification */
	assert_int_equal(num(tg, "estimate_secs"), 5);
	assert_null(by_path(plan, "targets", "/dev/sdy"));
	assert_non_null(it = by_path(plan, "items", "/dev/sdy"));
	assert_string_equal(dsp_json_str(it, "decision"), "keep");
	assert_non_null(strstr(dsp_json_str(it, "reason"), "mounted on /srv"));
	assert_string_equal(decision(plan, "/dev/sdx"), "erase");
	json_object_put(plan);

	/* every whole disk but the system's: not one in use, not one without a medium */
	free(t.paths[0][0]);
	t.paths[0][0] = strdup("all-except-system");
	r->sel.ndevices = 1;
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_int_equal(json_object_array_length(arr(plan, "targets")), 1);
	assert_non_null(by_path(plan, "targets", "/dev/sdx"));
	assert_string_equal(decision(plan, "/dev/sdy"), "keep");
	assert_string_equal(decision(plan, "/dev/sdz"), "none");
	json_object_put(plan);

	/* a device selector naming nothing (an empty variable): the rule is skipped, said */
	free(t.paths[0][0]);
	t.paths[0][0] = strdup("");
	r->sel.ndevices = 1;
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_int_equal(json_object_array_length(arr(plan, "targets")), 0);
	assert_non_null(strstr(json_object_to_json_string(arr(plan, "keep")), "no device named"));
	json_object_put(plan);
	pol_free(&t);
	fake_root_free(root);
}

static void test_plan_write_and_print(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01" };
	struct json_object *plan = NULL;
	char *why = NULL, sha[65], sha2[65], *text = NULL, *out = NULL;
	unsigned char md[32];
	unsigned int mdl;
	size_t len, olen;
	struct stat st;
	FILE *f;

	(void)state;
	pol_init(&t);
	r = rule(&t, "erase", "data");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/**", NULL, NULL);
	r = rule(&t, "keep", "precious");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/keep/**", NULL, NULL);
	o.inventory = inventory(NULL, NULL, NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_int_equal(dsp_plan_write(plan, at("plan.json"), false, sha, &why), 0);
	assert_int_equal(stat(at("plan.json"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dsp_file_read(at("plan.json"), 1 << 24, 0, &text, &len), 0);
	assert_true(len > 2 && text[len - 1] == '\n' && text[len - 2] != '\n');
	EVP_Digest(text, len, md, &mdl, EVP_sha256(), NULL);
	dsp_hex(md, 32, sha2);
	assert_string_equal(sha, sha2);
	free(text);
	/* never replaced unless asked; never through a link */
	assert_int_equal(dsp_plan_write(plan, at("plan.json"), false, sha, &why), -EEXIST);
	assert_non_null(why);
	free(why);
	why = NULL;
	assert_int_equal(symlink(at("elsewhere"), at("link.json")), 0);
	assert_true(dsp_plan_write(plan, at("link.json"), true, sha, &why) < 0);
	free(why);
	why = NULL;
	assert_int_equal(access(at("elsewhere"), F_OK), -1);
	assert_int_equal(dsp_plan_write(plan, at("plan.json"), true, sha, &why), 0);

	assert_non_null(f = open_memstream(&out, &olen));
	assert_int_equal(dsp_plan_print(f, plan, true), 0);
	fclose(f);
	assert_non_null(strstr(out, "targets (3)"));
	assert_non_null(strstr(out, "  t1  "));
	assert_non_null(strstr(out, "holds"));
	assert_non_null(strstr(out, "keep         dir        "));
	assert_non_null(strstr(out, "items:     17 (retain 0, erase 3, retain+erase 0, keep 4, "
			       "no rule 10)"));
	free(out);
	unlink(at("plan.json"));
	unlink(at("link.json"));
	json_object_put(plan);
	pol_free(&t);
}

static void test_plan_scan_now(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01" };
	struct json_object *plan = NULL, *inv;
	char *why = NULL, *roots[1];

	(void)state;
	pol_init(&t);
	assert_true(asprintf(&roots[0], "%s/srv", dir) > 0);
	t.p.roots = roots;
	t.p.nroots = 1;
	t.p.categories = DSP_POLICY_DATA | DSP_POLICY_KEYS;
	r = rule(&t, "erase", "data");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/b", NULL, NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_non_null(by_path(plan, "targets", "srv/data/b"));
	assert_string_equal(decision(plan, "srv/etc/conf"), "none");
	assert_true(json_object_object_get_ex(plan, "inventory", &inv));
	assert_null(dsp_json_str(inv, "path"));
	assert_int_equal(strlen(dsp_json_str(inv, "sha256")), 64);
	json_object_put(plan);
	free(roots[0]);
	pol_free(&t);
}

/* A stale or hostile inventory calls a directory a file: what is kept under it still splits it. */
static void test_plan_file_holding_kept_split(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-01-01", .inventory = at("stale.json") };
	struct json_object *plan = NULL;
	char *why = NULL;
	FILE *f;

	(void)state;
	assert_non_null(f = fopen(at("stale.json"), "w"));
	fprintf(f, "{\"schema\":\"dispose-inventory/1\",\"files\":["
		"{\"path\":\"%s/srv/data\",\"type\":\"file\",\"size\":1},"
		"{\"path\":\"%s/srv/data/keep\",\"type\":\"dir\"},"
		"{\"path\":\"%s/srv/data/a\",\"type\":\"file\",\"size\":1000}]}", dir, dir, dir);
	fclose(f);
	pol_init(&t);
	r = rule(&t, "erase", "data");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data", NULL, NULL);
	r = rule(&t, "keep", "precious");
	r->sel.paths = strs(&t, &r->sel.npaths, "@srv/data/keep/**", NULL, NULL);
	assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
	assert_null(by_path(plan, "targets", "srv/data"));
	assert_non_null(by_path(plan, "targets", "srv/data/a"));
	assert_int_equal(json_object_array_length(arr(plan, "targets")), 1);
	assert_string_equal(decision(plan, "srv/data/keep"), "keep");
	json_object_put(plan);
	pol_free(&t);
	unlink(at("stale.json"));
}

/* retain keys exclude (the default): no inventory key under a retain root goes into the archive */
static void test_plan_keys_not_archived(void **state)
{
	struct pol t;
	struct dsp_policy_rule *r;
	struct dsp_plan_opts o = { .today = "2026-02-28" };
	struct json_object *plan = NULL, *ar, *ex, *it, *tg;
	char *why = NULL, keys[9000], want[4300];
	static char *rcp[] = { (char *)"/etc/dispose/records.pem" };

	(void)state;
	mkd("srv/etc/ssl");
	make_file(at("srv/etc/ssl/k[1]*?\\.pem"), 50);
	for (int include = 0; include < 2; include++) {
		pol_init(&t);
		r = rule(&t, "retain", "records");
		r->sel.paths = strs(&t, &r->sel.npaths, "@srv/etc/**", NULL, NULL);
		r->retain_for = (char *)"7y";
		if (include) {
			r->keys_include = true;
			r->recipients = rcp;
			r->nrecipients = 1;
		}
		r = rule(&t, "erase", "keys");
		r->sel.key_formats = strs(&t, &r->sel.nkey_formats, "any", NULL, NULL);
		/* one key file found in two formats, and a key outside the retain root */
		snprintf(keys, sizeof(keys), "{\"path\":\"%s/srv/etc/ssl/k[1]*?\\\\.pem\","
			 "\"format\":\"pem-pkcs8\"},{\"path\":\"%s/srv/etc/ssl/k[1]*?\\\\.pem\","
			 "\"format\":\"base64-pem\"},{\"path\":\"%s/srv/home/u/.ssh/id\","
			 "\"format\":\"openssh\"}", dir, dir, dir);
		o.inventory = inventory(keys, NULL, NULL);
		assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), 0);
		assert_null(why);
		ar = json_object_array_get_idx(arr(plan, "archives"), 0);
		assert_non_null(ar);
		ex = arr(ar, "excludes");
		it = item_kind(plan, "srv/etc/ssl/k[1]*?\\.pem", "key");
		assert_non_null(it);
		assert_non_null(tg = by_path(plan, "targets", "srv/etc/ssl/k[1]*?\\.pem"));
		if (!include) {
			/* once, escaped: matches only that file */
			assert_int_equal(json_object_array_length(ex), 1);
			snprintf(want, sizeof(want), "%s/srv/etc/ssl/k\\[1\\]\\*\\?\\\\.pem", dir);
			assert_string_equal(json_object_get_string(json_object_array_get_idx(ex, 0)),
					    want);
			assert_int_equal(num(ar, "files"), 1);	/* etc/conf only */
			assert_int_equal(num(ar, "bytes"), 10);
			assert_string_equal(dsp_json_str(it, "decision"), "erase");
			assert_non_null(strstr(dsp_json_str(it, "reason"),
					       "key material: not archived (retain[0].keys exclude)"));
			assert_null(dsp_json_str(it, "archive"));
			assert_string_equal(decision(plan, "srv/etc/ssl/k[1]*?\\.pem"), "erase");
			assert_int_equal(num(tg, "retained"), 0);
		} else {
			/* keys include (with recipients): archived, encrypted, then erased */
			assert_int_equal(json_object_array_length(ex), 0);
			assert_int_equal(num(ar, "files"), 2);
			assert_string_equal(dsp_json_str(it, "decision"), "retain+erase");
			assert_null(strstr(dsp_json_str(it, "reason"), "not archived"));
			assert_int_equal(num(tg, "retained"), 1);
		}
		assert_string_equal(decision(plan, "srv/etc/conf"), "retain");
		assert_string_equal(decision(plan, "srv/home/u/.ssh/id"), "erase");
		json_object_put(plan);
		plan = NULL;
		pol_free(&t);
	}
	/* an inventory that did not look for keys cannot leave them out: refused */
	{
		struct json_object *inv = json_object_from_file(at("inv.json"));

		assert_non_null(inv);
		json_object_object_del(inv, "keys");
		assert_int_equal(json_object_to_file(at("inv.json"), inv), 0);
		json_object_put(inv);
		pol_init(&t);
		r = rule(&t, "retain", "records");
		r->sel.paths = strs(&t, &r->sel.npaths, "@srv/etc/**", NULL, NULL);
		r->retain_for = (char *)"7y";
		assert_int_equal(dsp_plan_build(&t.p, &o, &plan, &why), DSP_INVALID);
		assert_non_null(why);
		assert_non_null(strstr(why, "retain[0] (records): the inventory did not look for keys"));
		free(why);
		pol_free(&t);
	}
	unlink(at("srv/etc/ssl/k[1]*?\\.pem"));
	rmdir(at("srv/etc/ssl"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_decisions_split_around_kept),
		cmocka_unit_test(test_plan_matches_nothing_is_invalid),
		cmocka_unit_test(test_plan_targets_never_overlap),
		cmocka_unit_test(test_plan_run_dir_and_system_kept),
		cmocka_unit_test(test_plan_packages_and_unpackaged),
		cmocka_unit_test(test_plan_devices_in_use_kept),
		cmocka_unit_test(test_plan_write_and_print),
		cmocka_unit_test(test_plan_scan_now),
		cmocka_unit_test(test_plan_file_holding_kept_split),
		cmocka_unit_test(test_plan_keys_not_archived),
	};

	dsp_log_set_syslog(0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
