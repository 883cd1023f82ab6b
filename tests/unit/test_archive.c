/* SPDX-License-Identifier: MIT */
/* test_archive.c - unit tests for the archive module (bag parsing, create/verify/extract, status, interlock) */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "dispose/archive.h"
#include "dispose/common.h"
#include "dispose/envelope.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/util.h"
#include "../../src/archive/archive_int.h"

#include <openssl/evp.h>
#include <openssl/params.h>
#include <xxhash.h>

static char tmpdir[256];

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_archive.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	sh("mkdir -p %s/src/sub && printf 'hello\\n' > %s/src/a.txt && : > %s/src/empty"
	   " && head -c 300000 /dev/urandom > %s/src/sub/big && ln %s/src/a.txt %s/src/sub/hard"
	   " && ln -s ../a.txt %s/src/sub/link && truncate -s 10M %s/src/sparse",
	   tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	return 0;
}

static int teardown(void **state)
{
	sh("rm -rf %s", tmpdir);
	return 0;
}

/* --- bag-info ----------------------------------------------------------------- */

struct tags {
	int n;
	char last_label[64], last_value[256];
};

static int tag_cb(void *arg, const char *label, const char *value)
{
	struct tags *t = arg;

	t->n++;
	snprintf(t->last_label, sizeof(t->last_label), "%s", label);
	snprintf(t->last_value, sizeof(t->last_value), "%s", value);
	return 0;
}

static void test_dsp_bag_info_parse_valid(void **state)
{
	const char txt[] = "Source-Organization: Records Office\n"
			   "Bagging-Date: 2026-11-28\n"
			   "Payload-Oxum: 1234.5\n"
			   "Retain-Until: 2031-12-31\n"
			   "Records-Series: HR\n"
			   "Legal-Hold: true\n"
			   "External-Description: first part\n"
			   "   second part\r\n";
	struct dsp_bag_meta m;
	struct tags t = { 0 };

	assert_int_equal(dsp_bag_info_parse(txt, sizeof(txt) - 1, &m, tag_cb, &t), 0);
	assert_int_equal(t.n, 7);
	assert_string_equal(t.last_label, "External-Description");
	assert_string_equal(t.last_value, "first part second part");
	assert_string_equal(m.organization, "Records Office");
	assert_string_equal(m.retain_until, "2031-12-31");
	assert_string_equal(m.series, "HR");
	assert_int_equal(m.legal_hold, 1);
	assert_int_equal(m.has_oxum, 1);
	assert_int_equal(m.oxum_bytes, 1234);
	assert_int_equal(m.oxum_files, 5);
}

static void test_dsp_bag_info_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"no colon\n",
		"  continuation first\n",
		": empty label\n",
		"Retain-Until: 2026-02-30\n",
		"Retain-Until: tomorrow\n",
		"Payload-Oxum: 12\n",
		"Payload-Oxum: -1.2\n",
		"Legal-Hold: maybe\n",
	};
	struct dsp_bag_meta m;

	for (size_t i = 0; i < DSP_ARRAY_SIZE(bad); i++)
		assert_int_equal(dsp_bag_info_parse(bad[i], strlen(bad[i]), &m, NULL, NULL),
				 DSP_INVALID);
	assert_int_equal(dsp_bag_info_parse("A: b\0c\n", 7, &m, NULL, NULL), DSP_INVALID);
}

/* --- manifest ----------------------------------------------------------------- */

struct lines {
	int n;
	char path[256];
	uint8_t d0;
};

static int line_cb(void *arg, const char *path, const uint8_t *digest)
{
	struct lines *l = arg;

	l->n++;
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->d0 = digest[0];
	return 0;
}

static void test_dsp_bag_manifest_parse_valid(void **state)
{
	char txt[1024], h[129];
	struct lines l = { 0 };

	memset(h, 'a', 128);
	h[0] = 'F';
	h[1] = 'f';
	h[128] = '\0';
	snprintf(txt, sizeof(txt), "%s  data/x y.txt\n\n%s  data/odd%%25name%%0Aline%%41\n",
		 h, h);
	assert_int_equal(dsp_bag_manifest_parse(txt, strlen(txt), 64, line_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.path, "data/odd%name\nline%41");
	assert_int_equal(l.d0, 0xff);
}

static void test_dsp_bag_manifest_parse_malformed(void **state)
{
	char h[129], txt[512];
	struct lines l = { 0 };

	memset(h, '0', 128);
	h[128] = '\0';
	snprintf(txt, sizeof(txt), "%s\n", h);	/* no path */
	assert_int_equal(dsp_bag_manifest_parse(txt, strlen(txt), 64, line_cb, &l), DSP_INVALID);
	snprintf(txt, sizeof(txt), "%sdata/x\n", h);	/* no blank */
	assert_int_equal(dsp_bag_manifest_parse(txt, strlen(txt), 64, line_cb, &l), DSP_INVALID);
	h[5] = 'g';
	snprintf(txt, sizeof(txt), "%s  data/x\n", h);	/* not hex */
	assert_int_equal(dsp_bag_manifest_parse(txt, strlen(txt), 64, line_cb, &l), DSP_INVALID);
	assert_int_equal(dsp_bag_manifest_parse("ab  data/x\n", 11, 64, line_cb, &l), DSP_INVALID);
	assert_int_equal(l.n, 0);
}

static void test_dsp_bag_path_encode_roundtrip(void **state)
{
	char enc[64], small[4], txt[256], h[129];
	struct lines l = { 0 };

	assert_int_equal(dsp_bag_path_encode("data/a%b\nc\rd", enc, sizeof(enc)), 0);
	assert_string_equal(enc, "data/a%25b%0Ac%0Dd");
	assert_int_equal(dsp_bag_path_encode("data/abc", small, sizeof(small)), -ENAMETOOLONG);
	memset(h, '1', 128);
	h[128] = '\0';
	snprintf(txt, sizeof(txt), "%s  %s\n", h, enc);
	assert_int_equal(dsp_bag_manifest_parse(txt, strlen(txt), 64, line_cb, &l), 0);
	assert_string_equal(l.path, "data/a%b\nc\rd");
}

static void test_dsp_bag_date_valid_calendar(void **state)
{
	assert_true(dsp_bag_date_valid("2024-02-29"));
	assert_false(dsp_bag_date_valid("2023-02-29"));
	assert_false(dsp_bag_date_valid("1900-02-29"));
	assert_true(dsp_bag_date_valid("2000-02-29"));
	assert_false(dsp_bag_date_valid("2026-13-01"));
	assert_false(dsp_bag_date_valid("2026-1-01"));
	assert_false(dsp_bag_date_valid(""));
}

static void test_dsp_archive_retention_states(void **state)
{
	struct dsp_bag_meta m = { 0 };

	assert_int_equal(dsp_archive_retention(&m, "2026-01-01"), DSP_RET_RETAINED);
	strcpy(m.retain_until, "2026-01-01");
	assert_int_equal(dsp_archive_retention(&m, "2026-01-01"), DSP_RET_RETAINED);
	assert_int_equal(dsp_archive_retention(&m, "2026-01-02"), DSP_RET_ELIGIBLE);
	assert_int_equal(dsp_archive_retention(&m, "2025-12-31"), DSP_RET_RETAINED);
	m.legal_hold = 1;
	assert_int_equal(dsp_archive_retention(&m, "2030-01-02"), DSP_RET_HELD);
	assert_string_equal(dsp_archive_retention_name(DSP_RET_ELIGIBLE), "eligible");
	assert_string_equal(dsp_archive_retention_name(DSP_RET_HELD), "held");
	assert_string_equal(dsp_archive_retention_name(DSP_RET_RETAINED), "retained");
}

/* --- create / verify / extract -------------------------------------------------- */

static int make_archive(const char *name, const char *retain, int hold,
			struct dsp_ledger *l, struct dsp_archive_result *r)
{
	char root[300];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots, .retain_until = retain,
				      .legal_hold = hold, .series = "Test", .ledger = l };

	snprintf(root, sizeof(root), "%s/src", tmpdir);
	return dsp_archive_create(name, &o, r);
}

static void test_dsp_archive_create_roundtrip(void **state)
{
	struct dsp_archive_result r;
	char name[400], dir[300];

	snprintf(name, sizeof(name), "%s/rt.tar.zst", tmpdir);
	assert_int_equal(make_archive(name, "2030-01-01", 0, NULL, &r), 0);
	assert_int_equal(r.files, 5);	/* a.txt empty big hard sparse */
	assert_int_equal(r.payload_bytes, 6 + 300000 + 6 + 10 * 1024 * 1024);
	assert_string_equal(r.bag, "rt");
	assert_int_equal(strlen(r.sha256), 64);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), 0);
	assert_int_equal(r.files, 5);

	snprintf(dir, sizeof(dir), "%s/out", tmpdir);
	sh("mkdir %s", dir);
	assert_int_equal(dsp_archive_extract(name, dir, NULL, NULL, 0, &r), 0);
	sh("cmp %s/src/sub/big %s/rt/data%s/src/sub/big", tmpdir, dir, tmpdir);
	sh("test \"$(stat -c %%i %s/rt/data%s/src/a.txt)\" = \"$(stat -c %%i %s/rt/data%s/src/sub/hard)\"",
	   dir, tmpdir, dir, tmpdir);
	sh("test \"$(readlink %s/rt/data%s/src/sub/link)\" = ../a.txt", dir, tmpdir);
	/* a second extract into the same place is refused */
	assert_int_equal(dsp_archive_extract(name, dir, NULL, NULL, 0, &r), -EEXIST);
}

/* --- progress ---------------------------------------------------------------------- */

#define MAX_PROG 4096
static struct dsp_archive_progress prog[MAX_PROG];
static size_t nprog;

static void on_prog(const struct dsp_archive_progress *p, void *arg)
{
	(void)arg;
	if (nprog < MAX_PROG)
		prog[nprog++] = *p;
}

/* every report of one run: the phases given, passes in order, nothing going back */
static void check_prog(const char *const *phases, unsigned npasses)
{
	unsigned pass = 1;

	assert_true(nprog >= 2);
	for (size_t i = 0; i < nprog; i++) {
		const struct dsp_archive_progress *p = &prog[i];

		assert_int_equal(p->npasses, npasses);
		assert_true(p->pass == pass || p->pass == pass + 1);
		pass = p->pass;
		assert_string_equal(p->phase, phases[p->pass - 1]);
		assert_true(!p->total || p->done <= p->total);
		if (i) {
			assert_true(p->all_done >= prog[i - 1].all_done);
			if (p->pass == prog[i - 1].pass)
				assert_true(p->files >= prog[i - 1].files);
		}
	}
	assert_int_equal(pass, npasses);
}

static void test_dsp_archive_progress_passes(void **state)
{
	static const char *const write[] = { "write" }, *const verify[] = { "verify" },
			  *const extract[] = { "verify", "extract" };
	struct dsp_archive_result r;
	struct dsp_archive_read_opts ro = { .progress = on_prog };
	char name[400], dir[300], root[300];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots, .progress = on_prog };
	struct stat st;
	const struct dsp_archive_progress *last;

	snprintf(root, sizeof(root), "%s/src", tmpdir);
	snprintf(name, sizeof(name), "%s/pg.tar.zst", tmpdir);
	nprog = 0;
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	check_prog(write, 1);
	last = &prog[nprog - 1];
	/* payload read as it went, no total known; the hard link counts as a file */
	assert_int_equal(last->total, 0);
	assert_int_equal(last->all_total, 0);
	assert_int_equal(last->files, r.files);
	assert_true(last->done >= 300000 + 6 && last->done <= r.payload_bytes);
	assert_int_equal(stat(name, &st), 0);

	nprog = 0;
	assert_int_equal(dsp_archive_verify_with(name, &ro, &r), 0);
	check_prog(verify, 1);
	last = &prog[nprog - 1];
	assert_int_equal(prog[0].done, 0);
	assert_int_equal(last->total, (uint64_t)st.st_size);
	assert_int_equal(last->done, last->total);
	assert_int_equal(last->all_done, last->all_total);
	assert_int_equal(last->files, 5);
	assert_int_equal(last->bytes, r.payload_bytes);

	snprintf(dir, sizeof(dir), "%s/pgout", tmpdir);
	sh("mkdir %s", dir);
	nprog = 0;
	assert_int_equal(dsp_archive_extract_with(name, dir, &ro, &r), 0);
	check_prog(extract, 2);
	last = &prog[nprog - 1];
	assert_int_equal(last->all_total, 2 * (uint64_t)st.st_size);
	assert_int_equal(last->all_done, last->all_total);
	assert_int_equal(last->files, 5);
	sh("cmp %s/src/sub/big %s/pg/data%s/src/sub/big", tmpdir, dir, tmpdir);
	/* without a callback: the same result, nothing reported */
	nprog = 0;
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), 0);
	assert_int_equal(nprog, 0);
}

/* An encrypted archive of several volumes: extract decrypts first, every volume counted. */
static void test_dsp_archive_progress_encrypted(void **state)
{
	static const char *const extract[] = { "decrypt", "verify", "extract" };
	struct dsp_archive_result r;
	char name[400], dir[300], root[300], key[300], cert[300];
	const char *roots[] = { root, NULL }, *certs[] = { cert, NULL };
	struct dsp_archive_opts o = { .roots = roots, .recipients = certs };
	struct dsp_archive_read_opts ro = { .key = key, .cert = cert, .progress = on_prog };
	uint64_t pass_total[3] = { 0 };

	snprintf(cert, sizeof(cert), "%s/pg.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/pg.key", tmpdir);
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout %s"
	   " -out %s -subj /CN=pg -days 2 2>/dev/null", key, cert);
	snprintf(root, sizeof(root), "%s/src", tmpdir);
	snprintf(name, sizeof(name), "%s/pge.tar.zst.enc", tmpdir);
	dsp_env_set_volume_max(64u << 10);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	dsp_env_set_volume_max(0);
	snprintf(dir, sizeof(dir), "%s/pgeout", tmpdir);
	sh("mkdir %s", dir);
	nprog = 0;
	assert_int_equal(dsp_archive_extract_with(name, dir, &ro, &r), 0);
	check_prog(extract, 3);
	for (size_t i = 0; i < nprog; i++)
		pass_total[prog[i].pass - 1] = prog[i].total;
	/* the ciphertext of every volume is as long as the stream it decrypts to */
	assert_true(pass_total[0] > (64u << 10));
	assert_int_equal(pass_total[0], pass_total[1]);
	assert_int_equal(pass_total[1], pass_total[2]);
	assert_int_equal(prog[nprog - 1].all_done, 3 * pass_total[0]);
	assert_int_equal(prog[nprog - 1].files, 5);
}

static void test_dsp_archive_create_overlapping_roots(void **state)
{
	struct dsp_archive_result r;
	char a[300], b[300], name[400];
	const char *roots[] = { a, b, a, NULL };
	struct dsp_archive_opts o = { .roots = roots };

	/* the output lies inside a root: it must not archive itself */
	sh("cp -a %s/src %s/src2", tmpdir, tmpdir);
	snprintf(a, sizeof(a), "%s/src2", tmpdir);
	snprintf(b, sizeof(b), "%s/src2/sub", tmpdir);
	snprintf(name, sizeof(name), "%s/src2/self.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	assert_int_equal(r.files, 5);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), 0);
}

static void test_dsp_archive_create_exists(void **state)
{
	struct dsp_archive_result r;
	char name[300];

	snprintf(name, sizeof(name), "%s/dup.tar.zst", tmpdir);
	sh("touch %s", name);
	assert_int_equal(make_archive(name, NULL, 0, NULL, &r), -EEXIST);
}

static void test_dsp_archive_create_bad_date(void **state)
{
	struct dsp_archive_result r;
	char name[300];

	snprintf(name, sizeof(name), "%s/bad.tar.zst", tmpdir);
	assert_int_equal(make_archive(name, "2026-02-31", 0, NULL, &r), DSP_INVALID);
	assert_int_equal(access(name, F_OK), -1);
}

static void test_dsp_archive_verify_not_ours(void **state)
{
	struct dsp_archive_result r;
	char name[300];

	snprintf(name, sizeof(name), "%s/junk", tmpdir);
	sh("head -c 5000 /dev/urandom > %s", name);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), DSP_INVALID);
	/* a tar of ours without its bag files */
	snprintf(name, sizeof(name), "%s/plain.tar.zst", tmpdir);
	sh("cd %s && bsdtar --zstd -cf %s src", tmpdir, name);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), DSP_INVALID);
}

static void test_dsp_archive_verify_truncated(void **state)
{
	struct dsp_archive_result r;
	char name[300];

	snprintf(name, sizeof(name), "%s/tr.tar.zst", tmpdir);
	assert_int_equal(make_archive(name, NULL, 0, NULL, &r), 0);
	sh("truncate -s 100000 %s", name);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), DSP_MISMATCH);
	assert_true(r.bad_path[0] != '\0');
}

struct st_rows {
	int n;
	char status[8][16];
};

static int st_cb(void *arg, const char *name, const struct dsp_bag_meta *m, int enc)
{
	struct st_rows *s = arg;

	assert_non_null(m);
	assert_false(enc);
	snprintf(s->status[s->n++], 16, "%s",
		 dsp_archive_retention_name(dsp_archive_retention(m, NULL)));
	return 0;
}

static void test_dsp_archive_status_states(void **state)
{
	struct dsp_archive_result r;
	struct st_rows s = { 0 };
	char name[400], dir[300];

	snprintf(dir, sizeof(dir), "%s/st", tmpdir);
	sh("mkdir %s", dir);
	snprintf(name, sizeof(name), "%s/a-past.tar.zst", dir);
	assert_int_equal(make_archive(name, "2001-01-01", 0, NULL, &r), 0);
	snprintf(name, sizeof(name), "%s/b-future.tar.zst", dir);
	assert_int_equal(make_archive(name, "2999-01-01", 0, NULL, &r), 0);
	snprintf(name, sizeof(name), "%s/c-held.tar.zst", dir);
	assert_int_equal(make_archive(name, "2001-01-01", 1, NULL, &r), 0);
	assert_int_equal(dsp_archive_status(dir, st_cb, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.status[0], "eligible");
	assert_string_equal(s.status[1], "retained");
	assert_string_equal(s.status[2], "held");
}

static void test_dsp_archive_covers_ledger(void **state)
{
	struct dsp_archive_result r;
	struct dsp_ledger *l;
	char name[400], run[300], path[300], hex[129];
	FILE *p;
	int rc;

	snprintf(run, sizeof(run), "%s/run", tmpdir);
	rc = dsp_ledger_open(run, DSP_LEDGER_CREATE, &l);
	if (rc == -ENOSYS)
		skip();	/* the ledger module is not in this build yet */
	assert_int_equal(rc, 0);
	snprintf(name, sizeof(name), "%s/cov.tar.zst", tmpdir);
	assert_int_equal(make_archive(name, NULL, 0, l, &r), 0);
	dsp_ledger_close(l);

	snprintf(path, sizeof(path), "%s/src/sub/big", tmpdir);
	snprintf(name, sizeof(name), "sha512sum %s", path);
	p = popen(name, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%128s", hex), 1);
	pclose(p);
	assert_int_equal(dsp_archive_covers(run, path, hex), 1);
	char c0 = hex[0];

	hex[0] = c0 == '0' ? '1' : '0';
	assert_int_equal(dsp_archive_covers(run, path, hex), 0);
	hex[0] = c0;
	snprintf(path, sizeof(path), "%s/src/not-there", tmpdir);
	assert_int_equal(dsp_archive_covers(run, path, hex), 0);
	assert_int_equal(dsp_archive_covers(run, path, "abc"), -EINVAL);

	/* batch form; upper-case hex is the same digest */
	struct dsp_archive_cover *c;

	snprintf(path, sizeof(path), "%s/src/sub/big", tmpdir);
	assert_int_equal(dsp_archive_cover_load(run, &c), 0);
	for (char *x = hex; *x; x++)
		if (*x >= 'a' && *x <= 'f')
			*x -= 32;
	assert_int_equal(dsp_archive_cover_has(c, path, hex), 1);
	assert_int_equal(dsp_archive_cover_has(c, "/elsewhere", hex), 0);
	dsp_archive_cover_free(c);
	snprintf(path, sizeof(path), "%s/no-run", tmpdir);
	assert_int_not_equal(dsp_archive_covers(path, path, hex), 1);

	/* the item list is bound to the record: an edited list breaks it */
	snprintf(path, sizeof(path), "%s/src/sub/big", tmpdir);
	sh("cd %s && f=$(ls archive-items-*.jsonl) && sed -i 's/\\/a.txt\"/\\/b.txt\"/' $f"
	   " && grep -q /b.txt $f", run);
	assert_int_equal(dsp_archive_covers(run, path, hex), -EBADMSG);
	sh("cd %s && rm archive-items-*.jsonl", run);
	assert_int_equal(dsp_archive_covers(run, path, hex), -EBADMSG);
	/* an edited record line: broken, never "covered" */
	sh("sed -i 's/\"Test\"/\"Tesx\"/' %s/events.jsonl && grep -q Tesx %s/events.jsonl",
	   run, run);
	assert_int_equal(dsp_archive_covers(run, path, hex), -EBADMSG);
}

/*
 * An archive cut into several volumes: the readback-only recipient is
 * removed from every volume's envelope, not only the first, and the record
 * holds the digests of the envelopes as they are left on disk.
 */
static void test_dsp_archive_volumes_lose_readback_recipient(void **state)
{
	struct dsp_archive_result r;
	struct dsp_ledger *l;
	char name[400], run[300], cmd[2000];
	const char *certs[2] = { NULL, NULL };
	char cert[300], key[300];
	char root[300];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots, .series = "Test", .recipients = certs };
	int nvol = 0;

	(void)state;
	snprintf(cert, sizeof(cert), "%s/r.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/r.key", tmpdir);
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout %s"
	   " -out %s -subj /CN=vol -days 2 2>/dev/null", key, cert);
	certs[0] = cert;
	snprintf(root, sizeof(root), "%s/src", tmpdir);
	snprintf(run, sizeof(run), "%s/volrun", tmpdir);
	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	o.ledger = l;
	snprintf(name, sizeof(name), "%s/vol.tar.zst", tmpdir);
	dsp_env_set_volume_max(64u << 10);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	dsp_env_set_volume_max(0);
	dsp_ledger_close(l);
	for (unsigned k = 1;; k++) {
		char env[450];
		FILE *p;
		int n = -1;

		if (k == 1)
			snprintf(env, sizeof(env), "%s.cms", name);
		else
			snprintf(env, sizeof(env), "%s.%03u.cms", name, k);
		if (access(env, F_OK))
			break;
		nvol++;
		snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform DER -in %s"
			 " | grep -c 'd.kari:'", env);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_int_equal(fscanf(p, "%d", &n), 1);
		pclose(p);
		if (n != 1)
			fail_msg("%s: %d recipients, want 1", env, n);
		/* the record's digest is that of the envelope left on disk */
		snprintf(cmd, sizeof(cmd), "sha256sum %s | cut -c1-64 > %s/h && grep -q \"$(cat %s/h)\" %s/events.jsonl",
			 env, tmpdir, tmpdir, run);
		sh("%s", cmd);
	}
	assert_true(nvol > 1);
	assert_int_equal(dsp_archive_verify(name, key, cert, NULL, &r), 0);
}

/*
 * A read-back kept short of room (8 queued records): the writer waits for
 * it and neither side stalls, plain and encrypted over several volumes,
 * and the run's item list still names every file in archive order.
 */
static void test_dsp_archive_create_paced_readback(void **state)
{
	struct dsp_archive_result r;
	struct dsp_ledger *l;
	char name[400], run[300], root[300], cert[300], key[300];
	const char *roots[] = { root, NULL };
	const char *certs[2] = { cert, NULL };
	struct dsp_archive_opts o = { .roots = roots };

	(void)state;
	snprintf(root, sizeof(root), "%s/tiny", tmpdir);
	snprintf(cert, sizeof(cert), "%s/p.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/p.key", tmpdir);
	/* 4 KiB each, incompressible: 12 MiB, past the 8 MiB of slack */
	sh("mkdir %s && cd %s && for d in 0 1 2 3 4 5 6 7 8 9; do mkdir d$d; "
	   "for f in $(seq 300); do head -c 4096 /dev/urandom > d$d/f$f; done; done",
	   root, root);
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout %s"
	   " -out %s -subj /CN=pace -days 2 2>/dev/null", key, cert);
	arc_items_set_qmax(8, 0);	/* plain: nothing sits unwritten */
	snprintf(run, sizeof(run), "%s/pacerun", tmpdir);
	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	o.ledger = l;
	snprintf(name, sizeof(name), "%s/pace.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	assert_int_equal(r.files, 3000);
	o.recipients = certs;
	arc_items_set_qmax(8, 8u << 20);	/* the envelope holds up to 4 MiB */
	dsp_env_set_volume_max(1u << 20);
	snprintf(name, sizeof(name), "%s/pace-enc.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	dsp_env_set_volume_max(0);
	arc_items_set_qmax(0, 0);
	dsp_ledger_close(l);
	assert_int_equal(r.files, 3000);
	assert_int_equal(dsp_archive_verify(name, key, cert, NULL, &r), 0);
	assert_int_equal(r.files, 3000);
	/* two item lists, 3000 lines each, same order as the manifests */
	sh("test $(cat %s/archive-items-*.jsonl | wc -l) = 6000", run);
	sh("test -z \"$(ls -a %s | grep '^\\.archive-items')\"", run);
}

/*
 * A sparse file's SHA-512 comes from a second read (side.c): the manifest
 * digest is the file's, and a second read that differs from the bytes
 * archived (the file changed between the reads) fails the create.
 */
static void test_dsp_archive_create_sparse_side_hash(void **state)
{
	struct dsp_archive_result r;
	char name[400], root[300], out[300];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots };

	(void)state;
	snprintf(root, sizeof(root), "%s/sp", tmpdir);
	sh("mkdir %s && truncate -s 40M %s/img && printf head | dd of=%s/img conv=notrunc 2>/dev/null"
	   " && head -c 3000000 /dev/urandom | dd of=%s/img bs=1M seek=17 conv=notrunc 2>/dev/null",
	   root, root, root, root);
	snprintf(name, sizeof(name), "%s/sp.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	snprintf(out, sizeof(out), "%s/spout", tmpdir);
	sh("mkdir %s && cd %s && zstd -dcq %s | bsdtar -xf - && cd sp && "
	   "test \"$(grep img manifest-sha512.txt | cut -c1-128)\" = "
	   "\"$(sha512sum < %s/img | cut -c1-128)\"", out, out, name, root);
	setenv("DISPOSE_TEST_ARCHIVE_SIDE_CHANGE", "1", 1);
	snprintf(name, sizeof(name), "%s/sp2.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), -ESTALE);
	unsetenv("DISPOSE_TEST_ARCHIVE_SIDE_CHANGE");
	assert_non_null(strstr(r.bad_path, "img: file changed as we read it"));
	assert_int_equal(access(name, F_OK), -1);
}

/*
 * Verify keeps payload entries in a file with an index (pstore.c) and
 * reads them back in order for manifests in archive order: a manifest in
 * any other order must verify the same, and what is wrong with it still
 * be found (a file listed twice, a file missing, a wrong digest).
 */
static void test_dsp_archive_verify_manifest_any_order(void **state)
{
	struct dsp_archive_result r;
	char name[400];
	const char *mk =
		"cd %s && rm -rf hb && mkdir -p hb/data/d && "
		"printf 'BagIt-Version: 1.0\\nTag-File-Character-Encoding: UTF-8\\n' > hb/bagit.txt && "
		"printf 'Bagging-Date: 2026-01-01\\n' > hb/bag-info.txt && "
		"for i in 1 2 3 4 5 6 7 8 9; do echo $i > hb/data/d/f$i; done && "
		"ln hb/data/d/f1 hb/data/d/link && "
		"(cd hb && sha512sum data/d/* | %s > manifest-sha512.txt && "
		"sha512sum bagit.txt bag-info.txt manifest-sha512.txt > tagmanifest-sha512.txt) && "
		"bsdtar --format pax -cf - hb | zstd -q > %s";

	(void)state;
	snprintf(name, sizeof(name), "%s/hb.tar.zst", tmpdir);
	sh(mk, tmpdir, "sort -r -k2", name);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), 0);
	assert_int_equal(r.files, 10);
	unlink(name);
	sh(mk, tmpdir, "awk '{print} NR==4{print}'", name);	/* a line twice */
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), DSP_INVALID);
	assert_non_null(strstr(r.bad_path, "listed twice"));
	unlink(name);
	sh(mk, tmpdir, "grep -v f7", name);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), DSP_MISMATCH);
	assert_non_null(strstr(r.bad_path, "data/d/f7: not in the manifest"));
	unlink(name);
	sh(mk, tmpdir, "sort -r -k2 | awk 'NR==3{$0=(substr($0,1,1)==\"0\"?\"1\":\"0\") "
	   "substr($0,2)} {print}'", name);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), DSP_MISMATCH);
	assert_non_null(strstr(r.bad_path, "checksum mismatch"));
}

/*
 * A difference the read-back finds early stops the writing: the output is
 * kept (.failed) but far shorter than the whole archive, and the report
 * names a file. The writer is kept close to the read-back (8 records), but
 * compression still runs a job or two (a few MiB) ahead of what is on disk.
 */
static void test_dsp_archive_create_stops_on_early_difference(void **state)
{
	struct dsp_archive_result r;
	char name[400], failed[420], root[300];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots };
	struct stat full, part;

	(void)state;
	snprintf(root, sizeof(root), "%s/early", tmpdir);
	/* 8192 files of 4 KiB: a few compression jobs longer than the lag they allow */
	sh("mkdir %s && cd %s && head -c 32M /dev/urandom | split -a 4 -b 4096 - f", root, root);
	snprintf(name, sizeof(name), "%s/early-full.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	assert_int_equal(stat(name, &full), 0);
	arc_items_set_qmax(8, 0);
	setenv("DISPOSE_TEST_ARCHIVE_FLIP", "60000", 1);
	snprintf(name, sizeof(name), "%s/early.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), DSP_MISMATCH);
	unsetenv("DISPOSE_TEST_ARCHIVE_FLIP");
	arc_items_set_qmax(0, 0);
	assert_non_null(strstr(r.bad_path, "data/"));
	snprintf(failed, sizeof(failed), "%s%s", name, DSP_FAILED_SUFFIX);
	assert_int_equal(stat(failed, &part), 0);
	if (part.st_size * 2 > full.st_size)
		fail_msg("wrote %lld of %lld bytes after the difference", (long long)part.st_size,
			 (long long)full.st_size);
}

/* The hash threads: items packed into slots, holes as zeros, odd sizes. */
static void test_arc_hasher_mixed_items_match_one_shot(void **state)
{
	enum { N = 300 };
	static uint8_t got512[N][64], gotxx[N][16];
	static char data[3 << 20], zero[64 << 10];
	struct arc_hasher *h;
	size_t len[N];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 2654435761u >> 13);
	assert_int_equal(arc_hasher_start(&h, ARC_HASH_SHA512 | ARC_HASH_XXH3), 0);
	for (int i = 0; i < N; i++) {
		/* empty, tiny, > a slot, and long zero runs fed in 64 KiB pieces */
		len[i] = i == 0 ? 0 : i % 50 == 7 ? sizeof(data) : (size_t)(i * 37);
		if (i % 100 == 3) {
			for (int k = 0; k < 40; k++)
				arc_hasher_feed(h, NULL, sizeof(zero));
			len[i] = 40 * sizeof(zero);
		} else {
			arc_hasher_feed(h, data, len[i]);
		}
		arc_hasher_end_item(h, got512[i], gotxx[i]);
	}
	arc_hasher_drain(h);
	for (int i = 0; i < N; i++) {
		uint8_t want[64];
		const void *src = i % 100 == 3 ? NULL : data;
		char *z = src ? NULL : calloc(1, len[i]);

		assert_true(EVP_Digest(src ? src : z, len[i], want, NULL, EVP_sha512(), NULL));
		assert_memory_equal(got512[i], want, 64);
		{
			XXH128_canonical_t cn;

			XXH128_canonicalFromHash(&cn, XXH3_128bits(src ? src : z, len[i]));
			assert_memory_equal(gotxx[i], cn.digest, 16);
		}
		free(z);
	}
	arc_hasher_stop(h);
}

/* --- h2: the run record, files changed while read, the run directory (issue #9) --- */

/* The whole file, NUL-terminated (tests only). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0, r;

	assert_non_null(f);
	do {
		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			b = realloc(b, cap);
			assert_non_null(b);
		}
		r = fread(b + n, 1, 65536, f);
		n += r;
	} while (r);
	fclose(f);
	b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

/* The record of run, byte for byte, must equal before. */
static void assert_record_unchanged(const char *run, const char *before)
{
	char p[400], *now;

	snprintf(p, sizeof(p), "%s/events.jsonl", run);
	now = slurp(p, NULL);
	assert_string_equal(now, before);
	free(now);
}

static char *record_of(const char *run)
{
	char p[400];

	snprintf(p, sizeof(p), "%s/events.jsonl", run);
	return slurp(p, NULL);
}

static void sha512_of(const char *path, char hex[129])
{
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha512sum %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%128s", hex), 1);
	pclose(p);
}

/*
 * Verify against a run record that never saw the archive (another run's,
 * e.g. an erase run's) is refused and appends nothing; against its own
 * record it passes, wherever the archive was moved to (matched by its
 * External-Identifier), and a byte added to it is caught.
 */
static void test_dsp_archive_verify_record_must_hold_the_archive(void **state)
{
	struct dsp_archive_result r;
	struct dsp_ledger *l, *other;
	char name[400], forged[400], moved[400], run[300], orun[300], *before, *obefore;

	(void)state;
	snprintf(run, sizeof(run), "%s/mrun", tmpdir);
	snprintf(orun, sizeof(orun), "%s/morun", tmpdir);
	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	assert_int_equal(dsp_ledger_open(orun, DSP_LEDGER_CREATE, &other), 0);
	assert_int_equal(dsp_ledger_append(other, "erase_started", NULL, 1), 0);
	snprintf(name, sizeof(name), "%s/m.tar.zst", tmpdir);
	assert_int_equal(make_archive(name, NULL, 0, l, &r), 0);
	snprintf(forged, sizeof(forged), "%s/mforged.tar.zst", tmpdir);
	assert_int_equal(make_archive(forged, NULL, 0, NULL, &r), 0);

	obefore = record_of(orun);
	assert_int_equal(dsp_archive_verify(forged, NULL, NULL, other, &r), DSP_REFUSED);
	assert_int_equal(r.record_refused, DSP_REFUSED);
	assert_non_null(strstr(r.bad_path, orun));
	assert_non_null(strstr(r.bad_path, "holds no archive_created of this archive"));
	/* a real archive, but another run's */
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, other, &r), DSP_REFUSED);
	assert_int_equal(r.record_refused, DSP_REFUSED);
	assert_record_unchanged(orun, obefore);

	before = record_of(run);
	assert_int_equal(dsp_archive_verify(forged, NULL, NULL, l, &r), DSP_REFUSED);
	assert_record_unchanged(run, before);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, l, &r), 0);
	free(before);
	before = record_of(run);
	assert_non_null(strstr(before, "\"archive_verified\""));
	snprintf(moved, sizeof(moved), "%s/m-moved.tar.zst", tmpdir);
	sh("cp %s %s", name, moved);
	assert_int_equal(dsp_archive_verify(moved, NULL, NULL, l, &r), 0);
	/* recompressed: the same tar, entries and identifier, other bytes */
	sh("zstd -dcq %s | zstd -q -19 -c > %s", name, moved);
	free(before);
	before = record_of(run);
	assert_int_equal(dsp_archive_verify(moved, NULL, NULL, NULL, &r), 0);
	assert_int_equal(dsp_archive_verify(moved, NULL, NULL, l, &r), DSP_MISMATCH);
	assert_false(r.record_refused);
	assert_non_null(strstr(r.bad_path, "SHA-256 differs from the one recorded"));
	assert_record_unchanged(run, before);
	/* an envelope beside an archive recorded as plain */
	sh("cp %s %s && : > %s.cms", name, moved, moved);
	assert_int_not_equal(dsp_archive_verify(moved, NULL, NULL, l, &r), 0);
	assert_record_unchanged(run, before);
	free(before);
	free(obefore);
	dsp_ledger_close(l);
	dsp_ledger_close(other);
}

/*
 * One run directory holds one command's record: create writes its own
 * run_start and run_end and refuses a directory that holds a record; verify
 * writes only to an archive create's record, even one that holds the
 * archive's archive_created (as an erase's record did when both commands
 * shared a default directory), and refuses before reading the archive a
 * record that is missing, damaged or another command's.
 */
static void test_dsp_archive_run_record_of_its_own(void **state)
{
	struct dsp_archive_result r;
	struct dsp_ledger *l, *e;
	struct dsp_record *rec;
	char run[300], erun[300], name[400], why[4200], *before;
	char *argv[] = { "archive", "create", "--root", "x", NULL };
	char root[300];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots };

	(void)state;
	snprintf(root, sizeof(root), "%s/rrec", tmpdir);
	sh("mkdir -p %s && echo own > %s/f", root, root);
	snprintf(run, sizeof(run), "%s/rrec-run", tmpdir);
	snprintf(erun, sizeof(erun), "%s/rrec-erun", tmpdir);
	snprintf(name, sizeof(name), "%s/rrec.tar.zst", tmpdir);
	/* the check: nothing written, a usage error leaves no directory */
	o.retain_until = "2020-02-30";
	assert_int_equal(dsp_archive_create_check(name, &o, run, &r), DSP_INVALID);
	o.retain_until = NULL;
	assert_int_equal(dsp_archive_create_check(name, &o, root, &r), DSP_INVALID);
	assert_non_null(strstr(r.bad_path, "inside the run directory"));
	assert_int_equal(dsp_archive_create_check(name, &o, run, &r), 0);
	assert_int_equal(access(run, F_OK), -1);

	assert_int_equal(dsp_archive_run_start(run, 4, argv, &l, why, sizeof(why)), 0);
	o.ledger = l;
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	assert_int_equal(dsp_archive_run_end(l, 0, 0), 0);
	assert_int_equal(dsp_record_read(run, &rec), 0);
	assert_int_equal(rec->chain, 0);
	assert_string_equal(rec->command, "archive create");
	assert_string_equal(rec->schema, "dispose-record/1");
	assert_true(rec->run_end);
	assert_string_equal(rec->run_end_status, "success");
	dsp_record_free(rec);
	before = record_of(run);
	assert_non_null(strstr(before, "\"argv\":[\"archive\",\"create\",\"--root\",\"x\"]"));
	/* a second create into it is refused, the record unchanged */
	assert_int_equal(dsp_archive_run_start(run, 4, argv, &l, why, sizeof(why)), DSP_REFUSED);
	assert_non_null(strstr(why, "holds a run record already (of archive create)"));
	assert_record_unchanged(run, before);
	free(before);

	/* an erase's record that holds this archive's archive_created (old mixed runs) */
	assert_int_equal(dsp_ledger_open(erun, DSP_LEDGER_CREATE, &e), 0);
	{
		struct json_object *st = dsp_record_run_start("erase", 1, argv);

		assert_int_equal(dsp_ledger_append(e, "run_start", st, 1), 0);
		json_object_put(st);
	}
	o.ledger = e;
	snprintf(name, sizeof(name), "%s/rrec2.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	before = record_of(erun);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, e, &r), DSP_REFUSED);
	assert_int_equal(r.record_refused, DSP_REFUSED);
	assert_non_null(strstr(r.bad_path, "the run record of erase, not of an archive create"));
	assert_int_equal(dsp_archive_record_check(erun, &r), DSP_REFUSED);
	assert_int_equal(r.record_refused, DSP_REFUSED);
	assert_record_unchanged(erun, before);
	dsp_ledger_close(e);
	assert_int_equal(dsp_archive_run_start(erun, 4, argv, &l, why, sizeof(why)), DSP_REFUSED);
	assert_non_null(strstr(why, "(of erase)"));
	assert_record_unchanged(erun, before);
	free(before);

	assert_int_equal(dsp_archive_record_check(run, &r), 0);
	snprintf(name, sizeof(name), "%s/rrec-none", tmpdir);
	assert_int_equal(dsp_archive_record_check(name, &r), DSP_INVALID);
	assert_int_equal(r.record_refused, DSP_INVALID);
	assert_non_null(strstr(r.bad_path, "no run record there"));
	/* a damaged record: refused, not repaired */
	sh("cp -r %s %s/rrec-bad && sed -i '2s/\"seq\":2/\"seq\":9/' %s/rrec-bad/events.jsonl",
	   run, tmpdir, tmpdir);
	snprintf(name, sizeof(name), "%s/rrec-bad", tmpdir);
	before = record_of(name);
	assert_int_equal(dsp_archive_record_check(name, &r), DSP_INVALID);
	assert_non_null(strstr(r.bad_path, "run record is damaged"));
	assert_record_unchanged(name, before);
	free(before);
}

/*
 * dispose run's record (command "run") is an archive's record as archive
 * create's is: verify appends archive_verified to it, and every
 * archive_created in it (one per retain rule) covers its files, until a
 * file changes. Another command's record is still refused.
 */
static void append_ev(struct dsp_ledger *l, const char *event, const char *json)
{
	struct json_object *o = json ? json_tokener_parse(json) : NULL;

	assert_true(!json || o);
	assert_int_equal(dsp_ledger_append(l, event, o, 1), 0);
	json_object_put(o);
}

static void test_dsp_archive_run_record_accepted(void **state)
{
	struct dsp_archive_result r;
	struct dsp_archive_cover *c;
	struct dsp_ledger *l, *e;
	char run[300], erun[300], ra[300], rb[300], na[400], nb[400], fa[400], fb[400];
	char ha[129], hb[129], hb2[129], *before;
	char *argv[] = { "dispose", "run", "--policy", "demo", NULL };
	const char *roots[] = { NULL, NULL };
	struct dsp_archive_opts o = { .roots = roots, .series = "Run" };
	struct json_object *st;

	(void)state;
	snprintf(run, sizeof(run), "%s/runrec", tmpdir);
	snprintf(erun, sizeof(erun), "%s/runrec-erase", tmpdir);
	snprintf(ra, sizeof(ra), "%s/runrec-a", tmpdir);
	snprintf(rb, sizeof(rb), "%s/runrec-b", tmpdir);
	sh("mkdir -p %s %s && echo alpha > %s/f && echo beta > %s/g", ra, rb, ra, rb);
	snprintf(fa, sizeof(fa), "%s/f", ra);
	snprintf(fb, sizeof(fb), "%s/g", rb);
	snprintf(na, sizeof(na), "%s/runrec-a.tar.zst", tmpdir);
	snprintf(nb, sizeof(nb), "%s/runrec-b.tar.zst", tmpdir);

	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	st = dsp_record_run_start(DSP_RECORD_CMD_RUN, 4, argv);
	assert_non_null(st);
	json_object_object_add(st, "policy", json_tokener_parse(
		"{\"name\":\"demo\",\"path\":\"/p/demo.json\",\"sha256\":\"" HEX64 "\"}"));
	assert_int_equal(dsp_ledger_append(l, "run_start", st, 1), 0);
	json_object_put(st);
	append_ev(l, "step_start", "{\"step\":\"archive\",\"index\":3,\"of\":6}");
	/* one archive per retain rule, both in the one record */
	append_ev(l, "archive_start", "{\"id\":\"a1\",\"archive\":\"a\"}");
	o.ledger = l;
	roots[0] = ra;
	assert_int_equal(dsp_archive_create(na, &o, &r), 0);
	append_ev(l, "archive_start", "{\"id\":\"a2\",\"archive\":\"b\"}");
	roots[0] = rb;
	assert_int_equal(dsp_archive_create(nb, &o, &r), 0);
	append_ev(l, "step_end", "{\"step\":\"archive\",\"status\":\"success\"}");

	assert_int_equal(dsp_archive_record_check(run, &r), 0);
	assert_false(r.record_refused);
	assert_int_equal(dsp_archive_verify(na, NULL, NULL, l, &r), 0);
	assert_false(r.record_refused);
	assert_int_equal(dsp_archive_verify(nb, NULL, NULL, l, &r), 0);
	before = record_of(run);
	{
		const char *p = before;
		int n = 0;

		while ((p = strstr(p, "\"event\":\"archive_verified\""))) {
			n++;
			p++;
		}
		assert_int_equal(n, 2);
	}
	free(before);

	sha512_of(fa, ha);
	sha512_of(fb, hb);
	assert_int_equal(dsp_archive_cover_load(run, &c), 0);
	assert_int_equal(dsp_archive_cover_has(c, fa, ha), 1);
	assert_int_equal(dsp_archive_cover_has(c, fb, hb), 1);
	assert_int_equal(dsp_archive_cover_has(c, fa, hb), 0);
	dsp_archive_cover_free(c);
	assert_int_equal(dsp_archive_covers(run, fb, hb), 1);
	/* the file changes after archiving: its new content is covered by nothing */
	sh("echo changed >> %s", fb);
	sha512_of(fb, hb2);
	assert_int_equal(dsp_archive_covers(run, fb, hb2), 0);
	assert_int_equal(dsp_archive_covers(run, fa, ha), 1);

	/* an erase's record holding an archive_created: still refused */
	assert_int_equal(dsp_ledger_open(erun, DSP_LEDGER_CREATE, &e), 0);
	st = dsp_record_run_start("erase", 4, argv);
	assert_int_equal(dsp_ledger_append(e, "run_start", st, 1), 0);
	json_object_put(st);
	snprintf(na, sizeof(na), "%s/runrec-e.tar.zst", tmpdir);
	o.ledger = e;
	assert_int_equal(dsp_archive_create(na, &o, &r), 0);
	before = record_of(erun);
	assert_int_equal(dsp_archive_record_check(erun, &r), DSP_REFUSED);
	assert_non_null(strstr(r.bad_path, "the run record of erase, not of an archive create"));
	assert_int_equal(dsp_archive_verify(na, NULL, NULL, e, &r), DSP_REFUSED);
	assert_int_equal(r.record_refused, DSP_REFUSED);
	assert_record_unchanged(erun, before);
	free(before);
	dsp_ledger_close(e);
	dsp_ledger_close(l);
}

struct membuf {
	unsigned char *p;
	size_t len;
};

static int mem_sink(void *arg, const void *buf, size_t len)
{
	struct membuf *m = arg;

	m->p = realloc(m->p, m->len + len);
	assert_non_null(m->p);
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

/* Encrypt data to cert as one detached volume ct + env (a stranger's re-encryption). */
static void encrypt_volume(const char *cert, const unsigned char *data, size_t len,
			   const char *ct, const char *env)
{
	const char *recips[] = { cert, NULL };
	struct dsp_env_writer *w;

	unlink(ct);
	unlink(env);
	assert_int_equal(dsp_env_writer_open(recips, ct, env, &w), 0);
	assert_int_equal(dsp_env_write(w, data, len), 0);
	assert_int_equal(dsp_env_writer_close(w, NULL, NULL), 0);
}

static unsigned count_volumes(const char *name)
{
	unsigned n = 1;
	char p[450];

	for (;; n++) {
		snprintf(p, sizeof(p), "%s.%03u", name, n + 1);
		if (access(p, F_OK))
			return n;
	}
}

/*
 * A multi-volume encrypted archive: a volume replaced by a re-encryption
 * (the same plaintext, so decryption alone cannot tell, or another one) and
 * an extra stray volume are caught against the record, which stays as it
 * was; the interlock counts the archive only while every volume is the one
 * recorded, and finds it again where it was last verified.
 */
static void test_dsp_archive_verify_record_every_volume(void **state)
{
	struct dsp_archive_result r;
	struct dsp_ledger *l;
	char name[400], run[300], root[300], key[300], cert[300], ct3[450], env3[450];
	char stray[450], strayenv[460], moved[400], big[300], hex[129], *before;
	const char *roots[] = { root, NULL };
	const char *certs[] = { cert, NULL };
	struct dsp_archive_opts o = { .roots = roots, .recipients = certs, .key = key,
				      .cert = cert };
	struct membuf pt = { 0 };
	unsigned n;

	(void)state;
	snprintf(root, sizeof(root), "%s/src", tmpdir);
	snprintf(key, sizeof(key), "%s/mv.key", tmpdir);
	snprintf(cert, sizeof(cert), "%s/mv.crt", tmpdir);
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout %s"
	   " -out %s -subj /CN=mvol -days 2 2>/dev/null", key, cert);
	snprintf(run, sizeof(run), "%s/mvrun", tmpdir);
	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	o.ledger = l;
	snprintf(name, sizeof(name), "%s/mv.tar.zst", tmpdir);
	dsp_env_set_volume_max(48u << 10);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	dsp_env_set_volume_max(0);
	n = count_volumes(name);
	assert_true(n >= 4);
	assert_int_equal(dsp_archive_verify(name, key, cert, l, &r), 0);
	snprintf(big, sizeof(big), "%s/src/sub/big", tmpdir);
	sha512_of(big, hex);
	assert_int_equal(dsp_archive_covers(run, big, hex), 1);

	/* volume 3 re-encrypted, same plaintext */
	snprintf(ct3, sizeof(ct3), "%s.003", name);
	snprintf(env3, sizeof(env3), "%s.003.cms", name);
	assert_int_equal(dsp_env_decrypt(env3, ct3, key, cert, mem_sink, &pt), 0);
	assert_true(pt.len > 0);
	sh("cp %s %s.keep && cp %s %s.keep", ct3, ct3, env3, env3);
	encrypt_volume(cert, pt.p, pt.len, ct3, env3);
	sh("! cmp -s %s %s.keep", ct3, ct3);
	assert_int_equal(dsp_archive_verify(name, key, cert, NULL, &r), 0);	/* alone: fine */
	before = record_of(run);
	assert_int_equal(dsp_archive_verify(name, key, cert, l, &r), DSP_MISMATCH);
	assert_non_null(strstr(r.bad_path, "SHA-256 of volume 3 differs"));
	assert_non_null(strstr(r.bad_path, run));
	assert_record_unchanged(run, before);
	assert_int_equal(dsp_archive_covers(run, big, hex), 0);
	/* another plaintext */
	pt.p[pt.len / 2] ^= 0x55;
	encrypt_volume(cert, pt.p, pt.len, ct3, env3);
	assert_int_equal(dsp_archive_verify(name, key, cert, l, &r), DSP_MISMATCH);
	assert_record_unchanged(run, before);
	sh("mv %s.keep %s && mv %s.keep %s", ct3, ct3, env3, env3);
	assert_int_equal(dsp_archive_covers(run, big, hex), 1);

	/* a stray volume after the last: a zstd frame of zeros reads as nothing */
	snprintf(stray, sizeof(stray), "%s.%03u", name, n + 1);
	snprintf(strayenv, sizeof(strayenv), "%s.cms", stray);
	sh("head -c 4096 /dev/zero | zstd -qc > %s/zeros.zst", tmpdir);
	{
		char zp[320];
		size_t zl;
		char *z;

		snprintf(zp, sizeof(zp), "%s/zeros.zst", tmpdir);
		z = slurp(zp, &zl);
		encrypt_volume(cert, (unsigned char *)z, zl, stray, strayenv);
		free(z);
	}
	assert_int_equal(dsp_archive_verify(name, key, cert, NULL, &r), 0);	/* alone: fine */
	free(before);
	before = record_of(run);
	assert_int_equal(dsp_archive_verify(name, key, cert, l, &r), DSP_MISMATCH);
	assert_non_null(strstr(r.bad_path, "is not in the record"));
	assert_record_unchanged(run, before);
	assert_int_equal(dsp_archive_covers(run, big, hex), 0);
	unlink(stray);
	unlink(strayenv);
	assert_int_equal(dsp_archive_covers(run, big, hex), 1);

	/* moved: not where it was created; found again once verified there */
	snprintf(moved, sizeof(moved), "%s/mv-moved.tar.zst", tmpdir);
	sh("cd %s && for f in mv.tar.zst*; do mv \"$f\" \"mv-moved.tar.zst${f#mv.tar.zst}\"; done",
	   tmpdir);
	assert_int_equal(dsp_archive_covers(run, big, hex), 0);
	assert_int_equal(dsp_archive_verify(moved, key, cert, l, &r), 0);
	assert_int_equal(dsp_archive_covers(run, big, hex), 1);
	free(before);
	free(pt.p);
	dsp_ledger_close(l);
}

/* An archive_created without the digests that pin its files covers nothing. */
static void test_dsp_archive_covers_needs_a_complete_record(void **state)
{
	struct dsp_ledger *l;
	struct json_object *f, *bi;
	char run[300], list[400], line[1024], hex[129], lsha[65], p[300], ash[65];
	uint8_t d[32];

	(void)state;
	snprintf(run, sizeof(run), "%s/incrun", tmpdir);
	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	snprintf(p, sizeof(p), "%s/src/sub/big", tmpdir);
	sha512_of(p, hex);
	snprintf(line, sizeof(line), "{\"path\":\"%s\",\"size\":300000,\"sha512\":\"%s\"}\n", p, hex);
	snprintf(list, sizeof(list), "%s/archive-items-x.jsonl", run);
	{
		FILE *lf = fopen(list, "w");

		assert_non_null(lf);
		fputs(line, lf);
		fclose(lf);
	}
	EVP_Digest(line, strlen(line), d, NULL, EVP_sha256(), NULL);
	dsp_hex(d, 32, lsha);
	/* the "archive" it names: any plain file, pinned by its SHA-256 */
	snprintf(list, sizeof(list), "%s/src/a.txt", tmpdir);
	assert_int_equal(arc_file_sha256(list, ash), 0);
	f = json_object_new_object();
	bi = json_object_new_object();
	json_object_object_add(bi, "External-Identifier", json_object_new_string("urn:uuid:x"));
	json_object_object_add(f, "archive", json_object_new_string(list));
	json_object_object_add(f, "encrypted", json_object_new_boolean(0));
	json_object_object_add(f, "bag_info", bi);
	json_object_object_add(f, "files", json_object_new_int64(1));
	json_object_object_add(f, "payload_bytes", json_object_new_int64(300000));
	json_object_object_add(f, "verified", json_object_new_boolean(1));
	json_object_object_add(f, "items_file", json_object_new_string("archive-items-x.jsonl"));
	json_object_object_add(f, "items_sha256", json_object_new_string(lsha));
	assert_int_equal(dsp_ledger_append(l, "archive_created", f, 1), 0);
	assert_int_equal(dsp_archive_covers(run, p, hex), 0);	/* no sha256 */
	json_object_object_add(f, "sha256", json_object_new_string(ash));
	json_object_object_add(f, "files", json_object_new_int64(2));
	assert_int_equal(dsp_ledger_append(l, "archive_created", f, 1), 0);
	/* a list that does not hold the files the event counts: a broken record */
	assert_int_equal(dsp_archive_covers(run, p, hex), -EBADMSG);
	json_object_put(f);
	dsp_ledger_close(l);
}

/* The archive's payload entry for path (tests: plain archives only). */
static void manifest_digest(const char *archive, const char *path, char hex[129])
{
	char cmd[1200];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "zstd -dcq %s | bsdtar -xOf - '*/manifest-sha512.txt' | "
		 "grep '  data%s$' | cut -c1-128", archive, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%128s", hex), 1);
	pclose(p);
}

/*
 * A file that changes while it is read (test hook between the reads and
 * the last fstat, or before them): create keeps a whole archive that
 * verifies, returns DSP_PARTIAL, records archive_file_changed, and that
 * file covers nothing while its neighbour does.
 */
static void test_dsp_archive_create_file_changed_as_read(void **state)
{
	static const char *const modes[][2] = {
		{ "grow", "grew" }, { "rewrite", "modified" }, { "shrink", "shrank" },
		{ "remove", "removed" }, { "replace", "replaced" },
	};
	struct dsp_archive_result r;
	struct dsp_ledger *l;
	char root[300], run[300], name[400], tgt[400], keep[400], hex[129], khex[129], want[200];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots };
	char *rec;

	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(modes); i++) {
		snprintf(root, sizeof(root), "%s/chg-%s", tmpdir, modes[i][0]);
		snprintf(run, sizeof(run), "%s/chgrun-%s", tmpdir, modes[i][0]);
		snprintf(name, sizeof(name), "%s/chg-%s.tar.zst", tmpdir, modes[i][0]);
		snprintf(tgt, sizeof(tgt), "%s/target", root);
		snprintf(keep, sizeof(keep), "%s/keep", root);
		sh("mkdir %s && head -c 102400 /dev/urandom > %s && cp %s %s.orig && echo kept > %s",
		   root, tgt, tgt, tgt, keep);
		assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
		o.ledger = l;
		snprintf(want, sizeof(want), "%s:target", modes[i][0]);
		setenv("DISPOSE_TEST_ARCHIVE_CHANGE", want, 1);
		assert_int_equal(dsp_archive_create(name, &o, &r), DSP_PARTIAL);
		unsetenv("DISPOSE_TEST_ARCHIVE_CHANGE");
		dsp_ledger_close(l);
		assert_int_equal(r.changed, 1);
		assert_int_equal(r.files, 3);	/* target, target.orig, keep */
		/* a whole archive all the same */
		assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), 0);
		rec = record_of(run);
		snprintf(want, sizeof(want), "\"event\":\"archive_file_changed\"");
		assert_non_null(strstr(rec, want));
		snprintf(want, sizeof(want), "\"change\":\"%s\"", modes[i][1]);
		assert_non_null(strstr(rec, want));
		assert_non_null(strstr(rec, "\"changed_files\":1"));
		assert_null(strstr(rec, "archive_failed"));
		free(rec);
		sh("grep -q '/target\",.*\"changed\":true' %s/archive-items-*.jsonl", run);
		manifest_digest(name, tgt, hex);
		sha512_of(keep, khex);
		assert_int_equal(dsp_archive_covers(run, tgt, hex), 0);
		assert_int_equal(dsp_archive_covers(run, keep, khex), 1);
		if (!strcmp(modes[i][0], "shrink")) {
			char exp[400], ehex[129];

			/* what was there, then zeros: the size the header promised */
			snprintf(exp, sizeof(exp), "%s/expect", tmpdir);
			sh("head -c 51200 %s/target.orig > %s && head -c 51200 /dev/zero >> %s",
			   root, exp, exp);
			sha512_of(exp, ehex);
			assert_string_equal(hex, ehex);
		}
	}
	/* control: nothing changes, nothing is reported */
	snprintf(name, sizeof(name), "%s/chg-none.tar.zst", tmpdir);
	o.ledger = NULL;
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	assert_int_equal(r.changed, 0);
	/*
	 * A sparse file hashed by a second read (side.c), cut inside its data
	 * (at 20 MiB): its SHA-512 cannot be that of the bytes archived, so
	 * create fails.
	 */
	snprintf(root, sizeof(root), "%s/chg-sparse", tmpdir);
	sh("mkdir %s && truncate -s 40M %s/img && head -c 3000000 /dev/urandom | "
	   "dd of=%s/img bs=1M seek=18 conv=notrunc 2>/dev/null", root, root, root);
	snprintf(name, sizeof(name), "%s/chg-sparse.tar.zst", tmpdir);
	setenv("DISPOSE_TEST_ARCHIVE_CHANGE", "shrink:img", 1);
	assert_int_equal(dsp_archive_create(name, &o, &r), -ESTALE);
	unsetenv("DISPOSE_TEST_ARCHIVE_CHANGE");
	assert_non_null(strstr(r.bad_path, "img: file changed as we read it"));
	assert_int_equal(access(name, F_OK), -1);
	/* cut in a hole only: both reads agree, the file is kept and reported */
	sh("truncate -s 17M %s/img && truncate -s 40M %s/img && "
	   "head -c 1000000 /dev/urandom | dd of=%s/img bs=1M seek=1 conv=notrunc 2>/dev/null",
	   root, root, root);
	setenv("DISPOSE_TEST_ARCHIVE_CHANGE", "shrink:img", 1);
	assert_int_equal(dsp_archive_create(name, &o, &r), DSP_PARTIAL);
	unsetenv("DISPOSE_TEST_ARCHIVE_CHANGE");
	assert_int_equal(r.changed, 1);
	assert_int_equal(dsp_archive_verify(name, NULL, NULL, NULL, &r), 0);
}

/*
 * A run directory and an output inside the root: neither the record, the
 * item list being written, nor any volume of the archive is archived; a
 * root that is (or lies in) the run directory is refused.
 */
static void test_dsp_archive_create_leaves_out_its_own_files(void **state)
{
	struct dsp_archive_result r;
	struct dsp_ledger *l;
	char root[300], run[300], name[400], key[300], cert[300], sub[320];
	const char *roots[] = { root, NULL };
	const char *certs[] = { cert, NULL };
	struct dsp_archive_opts o = { .roots = roots };

	(void)state;
	snprintf(root, sizeof(root), "%s/own", tmpdir);
	snprintf(run, sizeof(run), "%s/own/run", tmpdir);
	snprintf(key, sizeof(key), "%s/own.key", tmpdir);
	snprintf(cert, sizeof(cert), "%s/own.crt", tmpdir);
	sh("mkdir %s && head -c 65536 /dev/urandom > %s/data.bin", root, root);
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout %s"
	   " -out %s -subj /CN=own -days 2 2>/dev/null", key, cert);
	assert_int_equal(dsp_ledger_open(run, DSP_LEDGER_CREATE, &l), 0);
	assert_int_equal(dsp_ledger_append(l, "erase_started", NULL, 1), 0);
	o.ledger = l;
	snprintf(name, sizeof(name), "%s/plain.tar.zst", root);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	assert_int_equal(r.files, 1);
	assert_int_equal(r.payload_bytes, 65536);
	sh("test -z \"$(zstd -dcq %s | bsdtar -tf - | grep -e /run -e plain.tar)\"", name);
	/* encrypted, in volumes written while the walk runs */
	o.recipients = certs;
	o.key = key;
	o.cert = cert;
	dsp_env_set_volume_max(8192);
	snprintf(name, sizeof(name), "%s/enc.tar.zst", root);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	dsp_env_set_volume_max(0);
	assert_true(count_volumes(name) > 3);
	/* plain.tar.zst, its bag-info copy and data.bin: nothing of the run, no volume */
	assert_int_equal(r.files, 3);
	assert_int_equal(dsp_archive_verify(name, key, cert, l, &r), 0);
	o.recipients = NULL;
	o.key = o.cert = NULL;
	/* a root that is the run directory, or inside it */
	snprintf(name, sizeof(name), "%s/in-run.tar.zst", tmpdir);
	roots[0] = run;
	assert_int_equal(dsp_archive_create(name, &o, &r), DSP_INVALID);
	assert_non_null(strstr(r.bad_path, "inside the run directory"));
	snprintf(sub, sizeof(sub), "%s/sub", run);
	sh("mkdir %s", sub);
	roots[0] = sub;
	assert_int_equal(dsp_archive_create(name, &o, &r), DSP_INVALID);
	assert_int_equal(access(name, F_OK), -1);
	dsp_ledger_close(l);
}

/* --- h1: what verify reads is what extract writes (issue #9) ------------------- */

static const char *srcdir(void)
{
	const char *d = getenv("DISPOSE_SRCDIR");

	return d && d[0] ? d : ".";
}

/* A hostile bag from tests/data/craft_bag.py (a plain .tar.zst). */
static void craft(const char *out, const char *kind)
{
	sh("python3 %s/tests/data/craft_bag.py %s %s", srcdir(), out, kind);
}

/* Encrypt the file plain to cert as archive name (+ name.cms), as create would. */
static void encrypt_to(const char *plain, const char *name, const char *cert)
{
	const char *recips[] = { cert, NULL };
	struct dsp_env_writer *w;
	char env[600], buf[65536];
	FILE *f = fopen(plain, "rb");
	size_t n;

	assert_non_null(f);
	snprintf(env, sizeof(env), "%s%s", name, DSP_ENV_SUFFIX);
	assert_int_equal(dsp_env_writer_open(recips, name, env, &w), 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(dsp_env_write(w, buf, n), 0);
	fclose(f);
	assert_int_equal(dsp_env_writer_close(w, NULL, NULL), 0);
}

/* Replace the one occurrence of from by to (same length) in the tar inside src. */
static void patch_archive(const char *src, const char *dst, const char *from, const char *to)
{
	assert_int_equal(strlen(from), strlen(to));
	sh("zstd -dcq %s | python3 -c 'import sys; d = sys.stdin.buffer.read(); "
	   "a, b = sys.argv[1].encode(), sys.argv[2].encode(); assert d.count(a) == 1, d.count(a); "
	   "sys.stdout.buffer.write(d.replace(a, b))' '%s' '%s' | zstd -q -o %s",
	   src, from, to, dst);
}

static void test_dsp_bag_info_parse_repeated_label(void **state)
{
	static const char *const twice[] = {
		"Legal-Hold: true\nLegal-Hold: false\n",
		"Legal-Hold: false\nlegal-hold: true\n",
		"Retain-Until: 2031-12-31\nRetain-Until: 2001-01-01\n",
		"Records-Series: HR\nSource-Host: h\nRecords-Series: FIN\n",
		"Disposal-Authority: A\nDisposal-Authority: A\n",
		"Payload-Oxum: 1.1\nPayload-Oxum: 1.1\n",
		"External-Identifier: urn:uuid:1\nExternal-Identifier: urn:uuid:2\n",
	};
	const char ok[] = "Contact-Name: a\nContact-Name: b\nLegal-Hold: true\n";
	struct dsp_bag_meta m;
	struct tags t = { 0 };

	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(twice); i++) {
		assert_int_equal(dsp_bag_info_parse(twice[i], strlen(twice[i]), &m, NULL, NULL),
				 DSP_INVALID);
		assert_int_equal(dsp_bag_info_parse(twice[i], strlen(twice[i]), NULL, NULL, NULL),
				 DSP_INVALID);
	}
	/* labels dispose does not read may repeat, as BagIt allows */
	assert_int_equal(dsp_bag_info_parse(ok, sizeof(ok) - 1, &m, tag_cb, &t), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(m.legal_hold, 1);
}

static void test_arc_siphash24_matches_openssl(void **state)
{
	uint8_t key[16], in[64], out[8];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	size_t sz = 8, ol;

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t)i;
	/* the first vector of the SipHash paper's reference list */
	assert_true(arc_siphash24(key, in, 0) == 0x726fdb47dd0e0e31ULL);
	assert_non_null(mac);
	for (size_t len = 0; len <= sizeof(in); len++) {
		EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
		OSSL_PARAM par[] = { OSSL_PARAM_construct_size_t("size", &sz),
				     OSSL_PARAM_construct_end() };
		uint64_t v = arc_siphash24(key, in, len);

		assert_non_null(c);
		assert_true(EVP_MAC_init(c, key, sizeof(key), par));
		assert_true(EVP_MAC_update(c, in, len));
		assert_true(EVP_MAC_final(c, out, &ol, sizeof(out)));
		assert_int_equal(ol, 8);
		for (int i = 0; i < 8; i++)
			assert_int_equal(out[i], (uint8_t)(v >> (8 * i)));
		EVP_MAC_CTX_free(c);
	}
	EVP_MAC_free(mac);
}

/*
 * Names anyone can pick so that the old fixed hash (XXH3-64 of the path)
 * put them all at one slot of the index: with linear probing each one
 * walked past all the others, N^2/2 probes. Keyed per store, they spread.
 */
static void test_arc_pstore_colliding_names_stay_linear(void **state)
{
	enum { N = 2000 };
	static char names[N][24];
	struct arc_pstore *p;
	struct arc_prec r;
	uint8_t md[64] = { 1 };
	uint64_t i = 0, probes;
	int n = 0;

	(void)state;
	while (n < N) {	/* 2000 entries end in 4096 slots: collide in 12 bits */
		snprintf(names[n], sizeof(names[n]), "data/%016llx", (unsigned long long)i++);
		if ((XXH3_64bits(names[n], strlen(names[n])) & 4095) == 0)
			n++;
	}
	assert_int_equal(arc_pstore_open(&p), 0);
	for (n = 0; n < N; n++)
		assert_int_equal(arc_pstore_add(p, names[n], ARC_PS_PAYLOAD, (uint64_t)n, md), 0);
	probes = arc_pstore_probes(p);
	if (probes > 20 * N)
		fail_msg("%llu probes for %d names", (unsigned long long)probes, N);
	for (n = 0; n < N; n++) {
		assert_int_equal(arc_pstore_find(p, names[n], &r), 0);
		assert_int_equal(r.size, (uint64_t)n);
		assert_int_equal(r.kind, ARC_PS_PAYLOAD);
	}
	assert_int_equal(arc_pstore_add(p, names[7], ARC_PS_DIR, 0, NULL), DSP_INVALID);
	assert_int_equal(arc_pstore_find(p, "data/none", &r), -ENOENT);
	probes = arc_pstore_probes(p) - probes;
	if (probes > 20 * N)
		fail_msg("%llu probes to find %d names", (unsigned long long)probes, N);
	arc_pstore_free(p);
}

/*
 * A plain archive whose bag-info.txt was edited (the retention date) with
 * the tag manifest left as it was: verify and extract must fail.
 */
static void test_dsp_archive_verify_tag_manifest_compared(void **state)
{
	struct dsp_archive_result r;
	char name[400], bad[400], dir[300];

	(void)state;
	snprintf(name, sizeof(name), "%s/tm.tar.zst", tmpdir);
	snprintf(bad, sizeof(bad), "%s/tm-bad.tar.zst", tmpdir);
	assert_int_equal(make_archive(name, "2030-01-01", 0, NULL, &r), 0);
	patch_archive(name, bad, "Retain-Until: 2030-01-01", "Retain-Until: 2001-01-01");
	assert_int_equal(dsp_archive_verify(bad, NULL, NULL, NULL, &r), DSP_MISMATCH);
	assert_string_equal(r.bad_path, "bag-info.txt: checksum mismatch");
	snprintf(dir, sizeof(dir), "%s/tm-out", tmpdir);
	sh("mkdir %s", dir);
	assert_int_equal(dsp_archive_extract(bad, dir, NULL, NULL, 0, &r), DSP_MISMATCH);
	sh("test -z \"$(ls -A %s)\"", dir);
}

/* The first payload file with other bytes of the same size: named, never passed. */
static void test_dsp_archive_verify_first_payload_compared(void **state)
{
	struct dsp_archive_result r;
	char root[300], name[400], bad[400], cmd[1024], first[64], from[128], to[128], *b;
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots };
	FILE *p;

	(void)state;
	snprintf(root, sizeof(root), "%s/mut", tmpdir);
	sh("mkdir %s && for f in m1 m2 m3; do echo MUTANT-$f-AAAA > %s/$f; done", root, root);
	snprintf(name, sizeof(name), "%s/mut.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	/* the file the manifest lists first (the archive's first payload entry too) */
	snprintf(cmd, sizeof(cmd), "zstd -dcq %s | bsdtar -xOf - mut/manifest-sha512.txt | "
		 "head -1 | sed 's/.*\\///'", name);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(first, sizeof(first), p));
	pclose(p);
	first[strcspn(first, "\n")] = '\0';
	assert_int_equal(strlen(first), 2);
	snprintf(from, sizeof(from), "MUTANT-%s-AAAA", first);
	snprintf(to, sizeof(to), "MUTANT-%s-BBBB", first);
	snprintf(bad, sizeof(bad), "%s/mut-bad.tar.zst", tmpdir);
	patch_archive(name, bad, from, to);
	assert_int_equal(dsp_archive_verify(bad, NULL, NULL, NULL, &r), DSP_MISMATCH);
	b = strstr(r.bad_path, "/mut/");
	assert_non_null(b);
	snprintf(to, sizeof(to), "/mut/%s: checksum mismatch", first);
	assert_string_equal(b, to);
}

/*
 * A pax hard link with a body: verify used to record the target's digest
 * and never read the body, extract wrote it through the link over the file
 * just verified. Plain and encrypted alike: refused, nothing written.
 */
static void hardlink_with_data(const char *kind, const char *what)
{
	struct dsp_archive_result r;
	char plain[400], enc[400], dir[400], cert[300], key[300];

	snprintf(plain, sizeof(plain), "%s/%s.tar.zst", tmpdir, kind);
	craft(plain, kind);
	assert_int_equal(dsp_archive_verify(plain, NULL, NULL, NULL, &r), DSP_MISMATCH);
	assert_string_equal(r.bad_path, what);
	snprintf(dir, sizeof(dir), "%s/x-%s", tmpdir, kind);
	sh("mkdir %s", dir);
	assert_int_equal(dsp_archive_extract(plain, dir, NULL, NULL, 0, &r), DSP_MISMATCH);
	sh("test -z \"$(ls -A %s)\"", dir);

	snprintf(cert, sizeof(cert), "%s/h1.crt", tmpdir);
	snprintf(key, sizeof(key), "%s/h1.key", tmpdir);
	if (access(cert, F_OK))
		sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout %s"
		   " -out %s -subj /CN=h1 -days 2 2>/dev/null", key, cert);
	snprintf(enc, sizeof(enc), "%s/%s-enc.tar.zst", tmpdir, kind);
	encrypt_to(plain, enc, cert);
	assert_int_equal(dsp_archive_verify(enc, key, cert, NULL, &r), DSP_MISMATCH);
	assert_string_equal(r.bad_path, what);
	assert_int_equal(dsp_archive_extract(enc, dir, key, cert, 0, &r), DSP_MISMATCH);
	sh("test -z \"$(ls -A %s)\"", dir);	/* no temporary left either */
}

static void test_dsp_archive_hardlink_with_data_refused(void **state)
{
	(void)state;
	hardlink_with_data("hardlink-data",
			   "bag/data/link.txt: hard link carries data that no manifest covers");
	hardlink_with_data("hardlink-data-tag",
			   "bag/zz: hard link carries data that no manifest covers");
}

/*
 * Extract's second pass checks every entry against what verify kept: an
 * archive rewritten after it was verified (test hook) gets no byte on disk
 * that verify did not hash; the file that differs is removed again.
 */
static void test_dsp_archive_extract_second_pass_checked(void **state)
{
	struct dsp_archive_result r;
	char root[300], name[400], other[400], dir[300];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots };

	(void)state;
	snprintf(root, sizeof(root), "%s/sw", tmpdir);
	sh("mkdir %s && echo SWAP-ONE > %s/one && echo SWAP-TWO > %s/two", root, root, root);
	snprintf(name, sizeof(name), "%s/sw.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);
	snprintf(other, sizeof(other), "%s/sw-other.tar.zst", tmpdir);
	patch_archive(name, other, "SWAP-TWO", "EVIL-TWO");
	snprintf(dir, sizeof(dir), "%s/sw-out", tmpdir);
	sh("mkdir %s", dir);
	setenv("DISPOSE_TEST_EXTRACT_SWAP", other, 1);
	assert_int_equal(dsp_archive_extract(name, dir, NULL, NULL, 0, &r), DSP_MISMATCH);
	unsetenv("DISPOSE_TEST_EXTRACT_SWAP");
	assert_non_null(strstr(r.bad_path, "/sw/two: differs from what was verified"));
	sh("! grep -r EVIL %s", dir);
	sh("test ! -e %s/sw/data%s/two", dir, root);
	/* an entry verify never saw: nothing of it is written */
	sh("rm -rf %s/sw", dir);
	snprintf(other, sizeof(other), "%s/sw-extra.tar.zst", tmpdir);
	sh("cd %s && mkdir -p sw2/sw/data && echo EVIL > sw2/sw/data/extra && "
	   "zstd -dcq %s > sw2/t.tar && cd sw2 && python3 -c 'import sys; d = open(\"t.tar\", \"rb\").read();"
	   " sys.stdout.buffer.write(d.rstrip(b\"\\0\"))' > t2.tar; truncate -s %%512 t2.tar 2>/dev/null;"
	   " true", tmpdir, name);
	sh("cd %s/sw2 && bsdtar --format pax -cf extra.tar sw/data/extra && "
	   "python3 -c 'import sys; a = open(\"t.tar\", \"rb\").read(); b = open(\"extra.tar\", \"rb\").read();"
	   " i = len(a.rstrip(b\"\\0\")); i += -i %% 512; sys.stdout.buffer.write(a[:i] + b)' | zstd -q -o %s",
	   tmpdir, other);
	setenv("DISPOSE_TEST_EXTRACT_SWAP", other, 1);
	assert_int_equal(dsp_archive_extract(name, dir, NULL, NULL, 0, &r), DSP_MISMATCH);
	unsetenv("DISPOSE_TEST_EXTRACT_SWAP");
	assert_non_null(strstr(r.bad_path, "sw/data/extra: archive changed since it was verified"));
	sh("! grep -r EVIL %s", dir);
}

/*
 * As root, extract gives files to the extracting user and drops setuid,
 * setgid and file capabilities unless asked: an archive needs no
 * signature to be encrypted to you.
 */
static void test_dsp_archive_extract_privileges_only_when_asked(void **state)
{
	struct dsp_archive_result r;
	char root[300], name[400], d0[300], d1[300], p[1024];
	const char *roots[] = { root, NULL };
	struct dsp_archive_opts o = { .roots = roots };
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(root, sizeof(root), "%s/priv", tmpdir);
	sh("mkdir -m 2775 %s && cd %s && echo s > suid && chmod 4755 suid && "
	   "echo f > foreign && chown 12345:12345 foreign && chmod 2750 foreign && "
	   "cp suid cap && chmod 0755 cap && setcap cap_net_raw+ep cap", root, root);
	snprintf(name, sizeof(name), "%s/priv.tar.zst", tmpdir);
	assert_int_equal(dsp_archive_create(name, &o, &r), 0);

	snprintf(d0, sizeof(d0), "%s/priv-default", tmpdir);
	sh("mkdir %s", d0);
	assert_int_equal(dsp_archive_extract(name, d0, NULL, NULL, 0, &r), 0);
	snprintf(p, sizeof(p), "%s/priv/data%s/suid", d0, root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_uid, 0);
	snprintf(p, sizeof(p), "%s/priv/data%s/foreign", d0, root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
	snprintf(p, sizeof(p), "%s/priv/data%s", d0, root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0775);
	sh("! getfattr -n security.capability %s/priv/data%s/cap 2>/dev/null", d0, root);

	snprintf(d1, sizeof(d1), "%s/priv-asked", tmpdir);
	sh("mkdir %s", d1);
	assert_int_equal(dsp_archive_extract(name, d1, NULL, NULL,
					     DSP_EXTRACT_SAME_OWNER | DSP_EXTRACT_PERMS, &r), 0);
	snprintf(p, sizeof(p), "%s/priv/data%s/suid", d1, root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_int_equal(st.st_uid, 0);
	snprintf(p, sizeof(p), "%s/priv/data%s/foreign", d1, root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 02750);
	assert_int_equal(st.st_uid, 12345);
	assert_int_equal(st.st_gid, 12345);
	snprintf(p, sizeof(p), "%s/priv/data%s", d1, root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 02775);
	sh("getcap %s/priv/data%s/cap | grep -q cap_net_raw", d1, root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_bag_info_parse_valid),
		cmocka_unit_test(test_dsp_bag_info_parse_malformed),
		cmocka_unit_test(test_dsp_bag_manifest_parse_valid),
		cmocka_unit_test(test_dsp_bag_manifest_parse_malformed),
		cmocka_unit_test(test_dsp_bag_path_encode_roundtrip),
		cmocka_unit_test(test_dsp_bag_date_valid_calendar),
		cmocka_unit_test(test_dsp_archive_retention_states),
		cmocka_unit_test(test_dsp_archive_create_roundtrip),
		cmocka_unit_test(test_dsp_archive_create_overlapping_roots),
		cmocka_unit_test(test_dsp_archive_create_exists),
		cmocka_unit_test(test_dsp_archive_create_bad_date),
		cmocka_unit_test(test_dsp_archive_verify_not_ours),
		cmocka_unit_test(test_dsp_archive_verify_truncated),
		cmocka_unit_test(test_dsp_archive_status_states),
		cmocka_unit_test(test_dsp_archive_covers_ledger),
		cmocka_unit_test(test_dsp_archive_volumes_lose_readback_recipient),
		cmocka_unit_test(test_dsp_archive_create_paced_readback),
		cmocka_unit_test(test_dsp_archive_create_sparse_side_hash),
		cmocka_unit_test(test_dsp_archive_verify_manifest_any_order),
		cmocka_unit_test(test_dsp_archive_create_stops_on_early_difference),
		cmocka_unit_test(test_arc_hasher_mixed_items_match_one_shot),
		/* h2 */
		cmocka_unit_test(test_dsp_archive_verify_record_must_hold_the_archive),
		cmocka_unit_test(test_dsp_archive_run_record_of_its_own),
		cmocka_unit_test(test_dsp_archive_run_record_accepted),
		cmocka_unit_test(test_dsp_archive_verify_record_every_volume),
		cmocka_unit_test(test_dsp_archive_covers_needs_a_complete_record),
		cmocka_unit_test(test_dsp_archive_create_file_changed_as_read),
		cmocka_unit_test(test_dsp_archive_create_leaves_out_its_own_files),
		/* h1 */
		cmocka_unit_test(test_dsp_bag_info_parse_repeated_label),
		cmocka_unit_test(test_arc_siphash24_matches_openssl),
		cmocka_unit_test(test_arc_pstore_colliding_names_stay_linear),
		cmocka_unit_test(test_dsp_archive_verify_tag_manifest_compared),
		cmocka_unit_test(test_dsp_archive_verify_first_payload_compared),
		cmocka_unit_test(test_dsp_archive_hardlink_with_data_refused),
		cmocka_unit_test(test_dsp_archive_extract_second_pass_checked),
		cmocka_unit_test(test_dsp_archive_extract_privileges_only_when_asked),
		cmocka_unit_test(test_dsp_archive_progress_passes),
		cmocka_unit_test(test_dsp_archive_progress_encrypted),
	};

	dsp_log_set_syslog(0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
