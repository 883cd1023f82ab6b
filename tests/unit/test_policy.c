/* SPDX-License-Identifier: MIT */
/* test_policy.c - dispose-policy/1: shipped policies, variables, dates, the bad-policy corpus */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/method.h"
#include "dispose/run.h"
#include "dispose/util.h"

static char srcdir[PATH_MAX];

static int setup(void **state)
{
	const char *s = getenv("DISPOSE_SRCDIR");

	(void)state;
	snprintf(srcdir, sizeof(srcdir), "%s", s ? s : ".");
	unsetenv("DISPOSE_METHODS_DIR");
	return 0;
}

/* Parse text; on failure the message is returned in *why (caller frees). */
static int parse(const char *text, const char *const *set, size_t nset, struct dsp_policy **p,
		 char **why)
{
	return dsp_policy_parse(text, strlen(text), "t.json", set, nset, p, why);
}

/* text must be rejected with exactly DSP_INVALID and a message holding want. */
static void reject(const char *text, const char *const *set, size_t nset, const char *want)
{
	struct dsp_policy *p = (struct dsp_policy *)1;
	char *why = NULL;
	int rc = parse(text, set, nset, &p, &why);

	if (rc != DSP_INVALID || !why || !strstr(why, want))
		fail_msg("rc %d, message \"%s\", want DSP_INVALID and \"%s\"", rc,
			 why ? why : "(none)", want);
	assert_null(p);
	assert_int_equal(strncmp(why, "t.json: ", 8), 0);
	assert_null(strchr(why, '\n'));
	free(why);
}

static struct dsp_policy *accept_policy(const char *text, const char *const *set, size_t nset)
{
	struct dsp_policy *p = NULL;
	char *why = NULL;
	int rc = parse(text, set, nset, &p, &why);

	if (rc)
		fail_msg("rc %d: %s", rc, why ? why : "(no message)");
	assert_non_null(p);
	assert_null(why);
	return p;
}

static const char *var(const struct dsp_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nvars; i++)
		if (!strcmp(p->vars[i].name, name))
			return p->vars[i].value;
	return NULL;
}

static void test_dsp_policy_find_server_decommission(void **state)
{
	struct dsp_policy *p = NULL;
	char *why = NULL;
	const struct dsp_policy_rule *disks;

	(void)state;
	assert_int_equal(dsp_policy_find("server-decommission", NULL, 0, &p, &why), 0);
	assert_null(why);
	assert_string_equal(p->name, "server-decommission");
	assert_non_null(strstr(p->path, "/profiles/policies/server-decommission.json"));
	assert_int_equal(strlen(p->sha256), 64);
	assert_true(p->keep_running_system);
	assert_int_equal(p->categories, DSP_POLICY_SOFTWARE | DSP_POLICY_DATA | DSP_POLICY_KEYS |
			 DSP_POLICY_DEVICES);
	/* retain /etc and /var/log for 7 years: a duration, resolved by the plan */
	assert_int_equal(p->nretain, 1);
	assert_string_equal(p->retain[0].sel.paths[0], "/etc/**");
	assert_string_equal(p->retain[0].sel.paths[1], "/var/log/**");
	assert_string_equal(p->retain[0].retain_for, "7y");
	assert_null(p->retain[0].retain_until);
	assert_false(p->retain[0].keys_include);	/* host and TLS keys are never archived */
	/* data roots, all keys, unpackaged software, devices only when named */
	assert_int_equal(p->nerase, 4);
	assert_string_equal(p->erase[0].sel.paths[0], "/srv/**");
	assert_string_equal(p->erase[1].sel.key_formats[0], "any");
	assert_string_equal(p->erase[2].sel.unpackaged[0], "any");
	disks = &p->erase[3];
	assert_string_equal(disks->name, "disks");
	assert_int_equal(disks->index, 3);
	assert_int_equal(disks->sel.ndevices, 0);	/* "${DISKS}" empty: none named */
	assert_true(disks->if_present);
	assert_string_equal(disks->method, "auto");
	/* certificate fields whose variable is empty are not given */
	assert_null(p->cert.operator_name);
	assert_null(p->cert.media_destination);
	assert_string_equal(p->cert.key, "/etc/dispose/signing-key.pem");
	assert_string_equal(var(p, "DISKS"), "");
	dsp_policy_free(p);
}

static void test_dsp_policy_find_server_decommission_disks_named(void **state)
{
	const char *set[] = { "DISKS=/dev//sdb/, /dev/disk/by-id/wwn-0x5000c500a1b2c3d4,serial:Z1X2",
			      "OPERATOR=Ann Doe" };
	struct dsp_policy *p = NULL;
	char *why = NULL;
	const struct dsp_policy_rule *disks;

	(void)state;
	assert_int_equal(dsp_policy_find("server-decommission", set, 2, &p, &why), 0);
	disks = &p->erase[3];
	/* one element expanding to a comma list: split, trimmed */
	assert_int_equal(disks->sel.ndevices, 3);
	assert_string_equal(disks->sel.devices[0], "/dev/sdb");
	assert_string_equal(disks->sel.devices[1], "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4");
	assert_string_equal(disks->sel.devices[2], "serial:Z1X2");
	assert_string_equal(p->cert.operator_name, "Ann Doe");
	assert_string_equal(var(p, "DISKS"), set[0] + 6);
	assert_string_equal(var(p, "OPERATOR"), "Ann Doe");
	dsp_policy_free(p);
}

static void test_dsp_policy_find_records_archive(void **state)
{
	struct dsp_policy *p = NULL;
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_policy_find("records-archive", NULL, 0, &p, &why), 0);
	assert_int_equal(p->nerase, 0);
	assert_int_equal(p->nretain, 2);
	assert_string_equal(p->retain[0].sel.paths[0], "/srv/records/**");
	assert_string_equal(p->retain[0].series, "records");
	assert_null(p->retain[0].authority);	/* "${AUTHORITY}" left empty */
	/* keys too: found to be left out of the archives (retain keys exclude) */
	assert_int_equal(p->categories, DSP_POLICY_DATA | DSP_POLICY_KEYS);
	assert_false(p->retain[1].keys_include);
	assert_true(p->hash);
	dsp_policy_free(p);
}

static const char *const demo_set[] = {
	"SERVER=/tmp/demo/server/", "DATA_DISK=/dev/loop7", "LUKS_DISK=/dev/loop8",
	"KEY=/tmp/demo/key.pem", "CERT=/tmp/demo/cert.pem",
};

static void test_dsp_policy_find_demo(void **state)
{
	struct dsp_policy *p = NULL;
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_policy_find("demo", demo_set, 5, &p, &why), 0);
	/* a trailing slash in SERVER: normalized */
	assert_string_equal(p->roots[0], "/tmp/demo/server");
	assert_string_equal(p->sysroot, "/tmp/demo/server");
	assert_string_equal(p->retain[0].sel.paths[2], "/tmp/demo/server/srv/records/**");
	assert_string_equal(p->retain[0].series, "DEMO-1");
	assert_string_equal(p->retain[0].retain_for, "7y");
	/* the interlock case: records retained inside an erased tree */
	assert_string_equal(p->erase[0].sel.paths[0], "/tmp/demo/server/srv/**");
	assert_string_equal(p->erase[0].method, "zero");
	assert_string_equal(p->erase[0].verify, "last");
	assert_string_equal(p->erase[2].sel.unpackaged[0], "/tmp/demo/server/opt/app");
	assert_string_equal(p->erase[3].sel.devices[0], "/dev/loop7");
	assert_string_equal(p->erase[4].sel.devices[0], "/dev/loop8");
	assert_string_equal(p->erase[4].method, "crypto-luks");
	assert_string_equal(p->erase[4].category, "clear");
	assert_string_equal(p->cert.key, "/tmp/demo/key.pem");
	assert_string_equal(p->cert.operator_name, "Demo Operator");
	assert_string_equal(p->cert.media_destination, "internal-reuse");
	/* the record keeps the values used, sorted by name */
	assert_int_equal(p->nvars, 5);
	assert_string_equal(p->vars[0].name, "CERT");
	assert_string_equal(p->vars[4].name, "SERVER");
	assert_string_equal(p->vars[4].value, "/tmp/demo/server/");
	dsp_policy_free(p);
}

/* The demo never falls back to the real /srv: SERVER has no default. */
static void test_dsp_policy_find_demo_unset(void **state)
{
	struct dsp_policy *p = NULL;
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_policy_find("demo", demo_set + 1, 4, &p, &why), DSP_INVALID);
	assert_null(p);
	assert_non_null(strstr(why, "/profiles/policies/demo.json: inventory.roots[0]: "
			       "${SERVER} is not set; use --set SERVER=..."));
	free(why);
}

static void test_dsp_policy_find_by_path_and_unknown(void **state)
{
	struct dsp_policy *p = NULL;
	char *why = NULL, path[PATH_MAX + 64];

	(void)state;
	snprintf(path, sizeof(path), "%s/profiles/policies/records-archive.json", srcdir);
	assert_int_equal(dsp_policy_find(path, NULL, 0, &p, &why), 0);
	assert_string_equal(p->path, path);
	dsp_policy_free(p);
	p = NULL;
	assert_int_equal(dsp_policy_find("nosuch", NULL, 0, &p, &why), -ENOENT);
	assert_null(p);
	assert_int_equal(strncmp(why, "nosuch: unknown policy", 22), 0);
	free(why);
	why = NULL;
	/* ".json": a path, looked up as given */
	assert_int_equal(dsp_policy_find("nosuch.json", NULL, 0, &p, &why), -ENOENT);
	assert_string_equal(why, "nosuch.json: No such file or directory");
	free(why);
	why = NULL;
	assert_int_equal(dsp_policy_find("Bad Name", NULL, 0, &p, &why), DSP_INVALID);
	assert_non_null(strstr(why, "not a valid policy name"));
	free(why);
	assert_non_null(dsp_policy_shipped_dir());
}

static void test_dsp_policy_load_not_regular(void **state)
{
	struct dsp_policy *p = NULL;
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_policy_load("/dev/null", NULL, 0, &p, &why), DSP_INVALID);
	assert_string_equal(why, "/dev/null: file: not a regular file");
	free(why);
}

static void test_dsp_policy_parse_sha256_and_defaults(void **state)
{
	const char *t = "{\"schema\": \"dispose-policy/1\", \"name\": \"min\"}";
	unsigned char md[32];
	char hex[65];
	unsigned int n = 0;
	struct dsp_policy *p;

	(void)state;
	p = accept_policy(t, NULL, 0);
	assert_true(EVP_Digest(t, strlen(t), md, &n, EVP_sha256(), NULL));
	dsp_hex(md, 32, hex);
	assert_string_equal(p->sha256, hex);
	assert_string_equal(p->path, "t.json");
	assert_true(p->keep_running_system);
	assert_false(p->hash);
	assert_int_equal(p->nroots, 1);
	assert_string_equal(p->roots[0], "/");
	assert_null(p->sysroot);
	assert_int_equal(p->nretain + p->nerase + p->nkeep + p->nvars, 0);
	dsp_policy_free(p);
}

/* Expansion works on parsed values: a value with quotes stays one string. */
static void test_dsp_policy_parse_expansion_not_textual(void **state)
{
	const char *t = "{\"schema\": \"dispose-policy/1\", \"name\": \"x\",\n"
			"\"vars\": {\"D\": \"/data\"},\n"
			"\"description\": \"costs $$5 for ${WHO}\",\n"
			"\"erase\": [{\"name\": \"e\", \"paths\": [\"${D}/**\"], \"method\": \"zero\"}]}";
	const char *set[] = { "WHO=\"x\", \"name\": \"evil\" }", "D=/srv/a b" };
	struct dsp_policy *p;

	(void)state;
	p = accept_policy(t, set, 2);
	assert_string_equal(p->name, "x");
	assert_string_equal(p->description, "costs $5 for \"x\", \"name\": \"evil\" }");
	/* --set wins over the default */
	assert_string_equal(p->erase[0].sel.paths[0], "/srv/a b/**");
	assert_string_equal(var(p, "D"), "/srv/a b");
	dsp_policy_free(p);
}

static void test_dsp_policy_parse_rule_fields(void **state)
{
	const char *t =
		"{\"schema\": \"dispose-policy/1\", \"name\": \"x\",\n"
		"\"retain\": [{\"paths\": [\"/etc/**\"], \"keys\": [\"openssh\", \"pem-pkcs8\"],"
		" \"retain_until\": \"2033-12-31\", \"legal_hold\": true,"
		" \"destination\": \"/var/backups/dispose/\","
		" \"recipients\": [\"/etc/dispose/records.pem\"], \"series\": null}],\n"
		"\"erase\": [{\"devices\": [\"all-except-system\"], \"method\": \"crypto-luks\","
		" \"then\": \"zero\", \"category\": \"purge\", \"verify\": \"sample:2.5\"},"
		" {\"packages\": [\"nginx*\"], \"method\": \"auto\", \"then\": null}],\n"
		"\"keep\": [{\"name\": \"os\", \"paths\": [\"/etc/dispose/**\"]}],\n"
		"\"keep_running_system\": false,\n"
		"\"inventory\": {\"roots\": [\"/srv\", \"/home\"], \"categories\": [\"keys\", \"data\"],"
		" \"hash\": true, \"sysroot\": \"/mnt/old\"},\n"
		"\"certificate\": {\"media_destination\": \"other:shredded on site\", \"chain\": null}}";
	struct dsp_policy *p;

	(void)state;
	p = accept_policy(t, NULL, 0);
	assert_string_equal(p->retain[0].name, "retain[0]");
	assert_string_equal(p->retain[0].retain_until, "2033-12-31");
	assert_null(p->retain[0].retain_for);
	assert_true(p->retain[0].legal_hold);
	assert_string_equal(p->retain[0].destination, "/var/backups/dispose");
	assert_int_equal(p->retain[0].nrecipients, 1);
	assert_int_equal(p->retain[0].sel.nkey_formats, 2);
	assert_null(p->retain[0].series);
	assert_string_equal(p->erase[0].then, "zero");
	assert_string_equal(p->erase[0].category, "purge");
	assert_string_equal(p->erase[0].verify, "sample:2.5");
	assert_string_equal(p->erase[0].sel.devices[0], "all-except-system");
	assert_string_equal(p->erase[1].sel.packages[0], "nginx*");
	assert_null(p->erase[1].then);
	assert_string_equal(p->keep[0].name, "os");
	assert_false(p->keep_running_system);
	assert_int_equal(p->categories, DSP_POLICY_KEYS | DSP_POLICY_DATA);
	assert_int_equal(p->nroots, 2);
	assert_string_equal(p->sysroot, "/mnt/old");
	assert_string_equal(p->cert.media_destination, "other:shredded on site");
	assert_null(p->cert.chain);
	dsp_policy_free(p);
}

/* retain keys: exclude by default; include (or a keys selector) only with recipients */
static void test_dsp_policy_parse_retain_keys(void **state)
{
	struct dsp_policy *p;

	(void)state;
	p = accept_policy("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"retain\": "
			  "[{\"paths\": [\"/etc/**\"], \"retain_until\": \"7y\"}, "
			  "{\"paths\": [\"/var/**\"], \"retain_until\": \"7y\", "
			  "\"keys\": \"exclude\"}, "
			  "{\"paths\": [\"/srv/**\"], \"retain_until\": \"7y\", "
			  "\"keys\": \"include\", \"recipients\": [\"/etc/r.pem\"]}]}", NULL, 0);
	assert_false(p->retain[0].keys_include);	/* the default */
	assert_false(p->retain[1].keys_include);
	assert_int_equal(p->retain[1].sel.nkey_formats, 0);	/* a key policy, not a selector */
	assert_true(p->retain[2].keys_include);
	dsp_policy_free(p);
	/* keys exclude makes the inventory look for keys */
	p = accept_policy("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"inventory\": "
			  "{\"categories\": [\"data\"]}, \"retain\": [{\"paths\": [\"/etc/**\"], "
			  "\"retain_until\": \"7y\"}]}", NULL, 0);
	assert_int_equal(p->categories, DSP_POLICY_DATA | DSP_POLICY_KEYS);
	dsp_policy_free(p);
	p = accept_policy("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"inventory\": "
			  "{\"categories\": [\"data\"]}, \"retain\": [{\"paths\": [\"/etc/**\"], "
			  "\"retain_until\": \"7y\", \"keys\": \"include\", "
			  "\"recipients\": [\"/etc/r.pem\"]}]}", NULL, 0);
	assert_int_equal(p->categories, DSP_POLICY_DATA);
	dsp_policy_free(p);
	reject("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"retain\": "
	       "[{\"paths\": [\"/etc/**\"], \"retain_until\": \"7y\", \"keys\": \"include\"}]}",
	       NULL, 0, "retain[0].keys: include needs recipients: private keys are archived only "
	       "encrypted");
	reject("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"retain\": "
	       "[{\"paths\": [\"/etc/**\"], \"retain_until\": \"7y\", \"keys\": [\"any\"]}]}",
	       NULL, 0, "retain[0].keys: selecting keys needs recipients");
	reject("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"retain\": "
	       "[{\"paths\": [\"/etc/**\"], \"retain_until\": \"7y\", \"keys\": \"all\"}]}",
	       NULL, 0, "retain[0].keys: \"all\": unknown, expected \"exclude\" or \"include\"");
	/* a key policy alone selects nothing */
	reject("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"retain\": "
	       "[{\"retain_until\": \"7y\", \"keys\": \"exclude\"}]}", NULL, 0,
	       "retain[0]: selects nothing");
	/* erase rules keep "keys" as a selector only */
	reject("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"erase\": "
	       "[{\"keys\": \"exclude\", \"method\": \"zero\"}]}", NULL, 0,
	       "erase[0].keys: expected an array of strings");
}

static void test_dsp_policy_parse_size_limit(void **state)
{
	const char *head = "{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"description\": \"";
	size_t n = DSP_POLICY_FILE_MAX + 1;
	char *big = malloc(n + 1);
	struct dsp_policy *p = NULL;
	char *why = NULL;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, head, strlen(head));
	memcpy(big + n - 2, "\"}", 2);
	big[n] = '\0';
	assert_int_equal(dsp_policy_parse(big, n, "big.json", NULL, 0, &p, &why), DSP_INVALID);
	assert_string_equal(why, "big.json: file: larger than 1048576 bytes");
	free(why);
	why = NULL;
	/* at the limit it parses */
	memcpy(big + n - 3, "\"}", 2);
	assert_int_equal(dsp_policy_parse(big, n - 1, "big.json", NULL, 0, &p, &why), 0);
	dsp_policy_free(p);
	free(big);
}

/* A hostile file at the size limit is refused at the bounds, not after a quadratic scan. */
static void test_dsp_policy_parse_bounds(void **state)
{
	size_t cap = 200000, o = 0;
	char *t = malloc(cap);
	struct dsp_policy *p;

	(void)state;
	assert_non_null(t);
	o += (size_t)snprintf(t + o, cap - o, "{\"schema\": \"dispose-policy/1\", \"name\": \"x\", "
			      "\"keep\": [{\"paths\": [");
	for (int i = 0; i < 10001; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\"/%d\"", i ? "," : "", i);
	snprintf(t + o, cap - o, "]}]}");
	reject(t, NULL, 0, "t.json: keep[0].paths: 10001 elements, expected at most 10000");
	/* 10000 distinct paths are fine */
	memcpy(strstr(t, ",\"/10000\""), "]}]}", 5);
	p = accept_policy(t, NULL, 0);
	assert_int_equal(p->keep[0].sel.npaths, 10000);
	dsp_policy_free(p);
	free(t);
}

static void test_dsp_policy_parse_variables(void **state)
{
	const char *base = "{\"schema\": \"dispose-policy/1\", \"name\": \"x\", "
			   "\"vars\": {\"A\": \"/a\"}, \"keep\": [{\"paths\": [\"${A}/**\"]}]}";
	const char *unused[] = { "B=1" };
	const char *bad[] = { "1B=1" };
	const char *dflt[] = { "A=/b" };
	struct dsp_policy *p;

	(void)state;
	reject(base, unused, 1, "t.json: --set B: the policy never uses ${B}");
	reject(base, bad, 1, "t.json: --set 1B: not a variable name");
	p = accept_policy(base, dflt, 1);
	assert_string_equal(p->keep[0].sel.paths[0], "/b/**");
	dsp_policy_free(p);
	/* a default nobody uses is not an error, and not recorded */
	p = accept_policy("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", "
			  "\"vars\": {\"A\": \"/a\"}}", NULL, 0);
	assert_int_equal(p->nvars, 0);
	dsp_policy_free(p);
	reject("{\"schema\": \"dispose-policy/1\", \"name\": \"x\", \"description\": \"${}\"}",
	       NULL, 0, "t.json: description: ${}: not a variable name");
}

static void test_dsp_policy_resolve_date(void **state)
{
	char out[11];

	(void)state;
	assert_int_equal(dsp_policy_resolve_date("7y", "2026-12-06", out), 0);
	assert_string_equal(out, "2033-12-06");
	assert_int_equal(dsp_policy_resolve_date("1y", "2024-02-29", out), 0);
	assert_string_equal(out, "2025-02-28");
	assert_int_equal(dsp_policy_resolve_date("4y", "2024-02-29", out), 0);
	assert_string_equal(out, "2028-02-29");
	assert_int_equal(dsp_policy_resolve_date("18m", "2025-08-31", out), 0);
	assert_string_equal(out, "2027-02-28");
	assert_int_equal(dsp_policy_resolve_date("1m", "2025-12-15", out), 0);
	assert_string_equal(out, "2026-01-15");
	assert_int_equal(dsp_policy_resolve_date("90d", "2026-12-06", out), 0);
	assert_string_equal(out, "2027-03-06");
	assert_int_equal(dsp_policy_resolve_date("2w", "2028-02-20", out), 0);
	assert_string_equal(out, "2028-03-05");
	assert_int_equal(dsp_policy_resolve_date("2033-12-31", "2026-01-01", out), 0);
	assert_string_equal(out, "2033-12-31");
	assert_int_equal(dsp_policy_resolve_date("2000-02-29", NULL, out), 0);
	assert_int_equal(dsp_policy_resolve_date("1900-02-29", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("2023-02-29", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("2023-13-01", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("2023-1-01", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("0y", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("7", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("7Y", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("-7y", NULL, out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("7y", "2026-02-30", out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("7999y", "2026-01-01", out), DSP_INVALID);
	assert_int_equal(dsp_policy_resolve_date("99999d", "2026-01-01", out), 0);
	assert_string_equal(out, "2299-10-16");
	/* no date given: from today, and later than it */
	assert_int_equal(dsp_policy_resolve_date("1d", NULL, out), 0);
	assert_int_equal(strlen(out), 10);
}

/* Read a small text file (the .expect and .set of a corpus entry); NULL when absent. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;

	if (dsp_file_read(path, 65536, 0, &buf, &len))
		return NULL;
	return buf;
}

/*
 * tests/data/policies-bad/NN-what.json: each rejected with DSP_INVALID and
 * one line "<file>: <key path>: <what>" holding NN-what.expect's text
 * (NN-what.set: --set NAME=VALUE lines). t_policy_bad.sh runs the same
 * corpus through `dispose plan`.
 */
static void test_dsp_policy_load_bad_corpus(void **state)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 300];
	struct dirent *de;
	unsigned seen = 0;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/tests/data/policies-bad", srcdir);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), nset = 0;
		char *expect, *sets, *why = NULL, *save = NULL;
		const char *set[16];
		struct dsp_policy *p = (struct dsp_policy *)1;
		int rc;

		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		seen++;
		snprintf(path, sizeof(path), "%s/%.*s.expect", dir, (int)(l - 5), de->d_name);
		expect = slurp(path);
		if (!expect)
			fail_msg("%s: no .expect file", de->d_name);
		expect[strcspn(expect, "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/%.*s.set", dir, (int)(l - 5), de->d_name);
		sets = slurp(path);
		for (char *tok = sets ? strtok_r(sets, "\n", &save) : NULL; tok && nset < 16;
		     tok = strtok_r(NULL, "\n", &save))
			set[nset++] = tok;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rc = dsp_policy_load(path, set, nset, &p, &why);
		if (rc != DSP_INVALID || !why)
			fail_msg("%s: rc %d (%s), want DSP_INVALID", de->d_name, rc,
				 why ? why : "no message");
		assert_null(p);
		/* the file first, then the key path and what is wrong, on one line */
		if (strncmp(why, path, strlen(path)) || strncmp(why + strlen(path), ": ", 2) ||
		    !strstr(why, expect) || strchr(why, '\n'))
			fail_msg("%s: message \"%s\", want \"%s: ...%s...\"", de->d_name, why,
				 path, expect);
		free(why);
		free(expect);
		free(sets);
	}
	closedir(d);
	assert_true(seen >= 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_policy_find_server_decommission),
		cmocka_unit_test(test_dsp_policy_find_server_decommission_disks_named),
		cmocka_unit_test(test_dsp_policy_find_records_archive),
		cmocka_unit_test(test_dsp_policy_find_demo),
		cmocka_unit_test(test_dsp_policy_find_demo_unset),
		cmocka_unit_test(test_dsp_policy_find_by_path_and_unknown),
		cmocka_unit_test(test_dsp_policy_load_not_regular),
		cmocka_unit_test(test_dsp_policy_parse_sha256_and_defaults),
		cmocka_unit_test(test_dsp_policy_parse_expansion_not_textual),
		cmocka_unit_test(test_dsp_policy_parse_rule_fields),
		cmocka_unit_test(test_dsp_policy_parse_retain_keys),
		cmocka_unit_test(test_dsp_policy_parse_size_limit),
		cmocka_unit_test(test_dsp_policy_parse_bounds),
		cmocka_unit_test(test_dsp_policy_parse_variables),
		cmocka_unit_test(test_dsp_policy_resolve_date),
		cmocka_unit_test(test_dsp_policy_load_bad_corpus),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
