/* SPDX-License-Identifier: MIT */
/* test_inventory.c - dpkg parsing, journal, rpm headers, the walk and the document */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "dispose/inventory.h"

/* ---- helpers ---- */

static char *slurp(const char *rel, size_t *len)
{
	const char *src = getenv("DISPOSE_SRCDIR");
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct pkgs {
	int n;
	char line[16][160];
};

static int collect_pkg(const struct dsp_dpkg_pkg *p, void *arg)
{
	struct pkgs *c = arg;

	if (c->n < 16)
		snprintf(c->line[c->n], sizeof(c->line[0]), "%s|%s|%s|%s|%llu", p->name,
			 p->arch, p->version, p->status, (unsigned long long)p->installed_size);
	c->n++;
	return 0;
}

/* Items of one section, serialized, one per line, plus the count of each section. */
struct sink {
	char *text;
	size_t len, cap;
	int count[5];
	int markers[5];
};

static int sect(const char *s)
{
	static const char *const n[] = { "software", "files", "keys", "devices", "errors" };

	for (int i = 0; i < 5; i++)
		if (!strcmp(s, n[i]))
			return i;
	return -1;
}

static int sink_emit(void *arg, const char *section, struct json_object *item)
{
	struct sink *s = arg;
	int i = sect(section);
	const char *j;
	size_t n;

	assert_true(i >= 0);
	if (!item) {
		s->markers[i]++;
		return 0;
	}
	s->count[i]++;
	j = json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(j) + strlen(section) + 3;
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->cap + n + 1) * 2;
		s->text = realloc(s->text, s->cap);
		assert_non_null(s->text);
	}
	s->len += (size_t)sprintf(s->text + s->len, "%s %s\n", section, j);
	return 0;
}

static char *fixture_root(void)
{
	const char *src = getenv("DISPOSE_SRCDIR");
	static char root[4096];

	snprintf(root, sizeof(root), "%s/tests/data/dpkg/root", src ? src : ".");
	return root;
}

/* ---- dpkg status parsing ---- */

static void test_dsp_dpkg_parse_status_odd_cases(void **state)
{
	struct pkgs c = { 0 };
	size_t len;
	char *text = slurp("tests/data/dpkg/status-odd", &len);

	(void)state;
	assert_int_equal(dsp_dpkg_parse_status(text, len, collect_pkg, &c), 0);
	/* both multi-arch copies, hold counts as installed; half-installed,
	 * config-files and unpacked do not; continuation lines are not fields */
	assert_int_equal(c.n, 4);
	assert_string_equal(c.line[0], "libssl3|amd64|3.0.11-1~deb12u2|install ok installed|6144000");
	assert_string_equal(c.line[1], "libssl3|i386|3.0.11-1~deb12u2|install ok installed|5939200");
	assert_string_equal(c.line[2], "lowercase-fields|all|1:0.9+dfsg-2|hold ok installed|1024");
	assert_string_equal(c.line[3], "no-size|all|7|install ok installed|0");
	free(text);
}

static void test_dsp_dpkg_parse_status_crlf_and_no_final_newline(void **state)
{
	static const char t[] = "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n"
				"\r\nPackage: b\nStatus: install ok installed\nInstalled-Size: 2";
	struct pkgs c = { 0 };

	(void)state;
	assert_int_equal(dsp_dpkg_parse_status(t, sizeof(t) - 1, collect_pkg, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.line[0], "a||1|install ok installed|0");
	assert_string_equal(c.line[1], "b|||install ok installed|2048");
}

static void test_dsp_dpkg_parse_status_malformed_is_reported(void **state)
{
	static const char t[] = "Package: good\nStatus: install ok installed\n\n"
				"no colon here\nPackage: bad\nStatus: install ok installed\n\n"
				"Package: nostatus\n\n"
				"Package: badsize\nStatus: install ok installed\nInstalled-Size: 12x\n\n"
				"Package: twowords\nStatus: ok installed\n";
	struct pkgs c = { 0 };

	(void)state;
	assert_int_equal(dsp_dpkg_parse_status(t, sizeof(t) - 1, collect_pkg, &c), -EBADMSG);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.line[0], "good|||install ok installed|0");
}

static void test_dsp_dpkg_parse_status_embedded_nul(void **state)
{
	static const char t[] = "Package: a\0b\nStatus: install ok installed\n";
	struct pkgs c = { 0 };

	(void)state;
	assert_int_equal(dsp_dpkg_parse_status(t, sizeof(t) - 1, collect_pkg, &c), -EBADMSG);
	assert_int_equal(c.n, 0);
}

static int stop_at_first(const struct dsp_dpkg_pkg *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 42;
}

static void test_dsp_dpkg_parse_status_callback_stops(void **state)
{
	static const char t[] = "Package: a\nStatus: install ok installed\n\n"
				"Package: b\nStatus: install ok installed\n";
	int calls = 0;

	(void)state;
	assert_int_equal(dsp_dpkg_parse_status(t, sizeof(t) - 1, stop_at_first, &calls), 42);
	assert_int_equal(calls, 1);
	assert_int_equal(dsp_dpkg_parse_status("", 0, stop_at_first, &calls), 0);
	assert_int_equal(calls, 1);
}

static void test_dsp_dpkg_canon_path_merged_usr(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(dsp_dpkg_canon_path("/bin/bash", b, sizeof(b)), "/usr/bin/bash");
	assert_string_equal(dsp_dpkg_canon_path("/lib64/ld.so", b, sizeof(b)), "/usr/lib64/ld.so");
	assert_string_equal(dsp_dpkg_canon_path("/sbin", b, sizeof(b)), "/usr/sbin");
	assert_string_equal(dsp_dpkg_canon_path("/binaries/x", b, sizeof(b)), "/binaries/x");
	assert_string_equal(dsp_dpkg_canon_path("/usr/bin/ls", b, sizeof(b)), "/usr/bin/ls");
	assert_string_equal(dsp_dpkg_canon_path("/opt/x", b, sizeof(b)), "/opt/x");
}

/* ---- the software scanner on a fixture admindir ---- */

static void test_dsp_inv_software_journal_overrides(void **state)
{
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE, .sysroot = fixture_root() };
	struct sink s = { 0 };

	(void)state;
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	assert_non_null(s.text);
	/* updates/ applied numerically: 2, 0003, 10 (10 wins over 2; bar removed) */
	assert_string_equal(s.text,
		"software {\"manager\":\"dpkg\",\"name\":\"foo\",\"version\":\"3.0-1\",\"arch\":\"amd64\",\"installed_size\":12288,\"files\":4}\n"
		"software {\"manager\":\"dpkg\",\"name\":\"baz\",\"version\":\"0.1\",\"arch\":\"amd64\",\"installed_size\":30720,\"files\":3}\n"
		"software {\"manager\":\"dpkg\",\"name\":\"qux\",\"version\":\"9\",\"arch\":\"all\",\"installed_size\":0,\"files\":1}\n"
		"software {\"manager\":\"unpackaged\",\"name\":\"/opt/pkgdir/loose-file\",\"version\":null,\"arch\":null,\"installed_size\":6,\"files\":1}\n"
		"software {\"manager\":\"unpackaged\",\"name\":\"/opt/vendor-app\",\"version\":null,\"arch\":null,\"installed_size\":26,\"files\":2}\n");
	assert_int_equal(s.count[4], 0);
	free(s.text);
}

static void test_dsp_inv_software_no_database_is_an_error_entry(void **state)
{
	char dir[] = "/tmp/dsp-inv-XXXXXX";
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	o.sysroot = dir;
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	assert_int_equal(s.count[0], 0);
	assert_int_equal(s.count[4], 1);
	assert_non_null(strstr(s.text, "no package database found"));
	free(s.text);
	rmdir(dir);
}

static void test_dsp_inv_software_unreadable_status_fails_category(void **state)
{
	char dir[] = "/tmp/dsp-inv-XXXXXX", p[256];
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/var", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/lib", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/lib/dpkg", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/lib/dpkg/status", dir);
	assert_int_equal(mkdir(p, 0755), 0);	/* a directory where the file should be */
	o.sysroot = dir;
	assert_true(dsp_inv_software(&o, sink_emit, &s) < 0);
	assert_int_equal(s.count[4], 1);
	assert_non_null(strstr(s.text, "/var/lib/dpkg/status"));
	free(s.text);
	rmdir(p);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

/* A FIFO in the package database is an error entry, never a blocking open. */
static void test_dsp_inv_software_fifo_does_not_hang(void **state)
{
	char dir[] = "/tmp/dsp-inv-XXXXXX", p[256];
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "mkdir -p '%s/var/lib/dpkg/info'", dir);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/var/lib/dpkg/status", dir);
	assert_non_null(f = fopen(p, "w"));
	fputs("Package: foo\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/var/lib/dpkg/info/foo.list", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	o.sysroot = dir;
	alarm(20);	/* a blocking open fails the test instead of hanging it */
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	assert_int_equal(s.count[0], 1);
	assert_int_equal(s.count[4], 1);
	assert_non_null(strstr(s.text, "foo.list"));
	free(s.text);
	memset(&s, 0, sizeof(s));
	unlink(p);
	snprintf(p, sizeof(p), "%s/var/lib/dpkg/status", dir);
	unlink(p);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_true(dsp_inv_software(&o, sink_emit, &s) < 0);
	assert_int_equal(s.count[4], 1);
	assert_non_null(strstr(s.text, "/var/lib/dpkg/status"));
	alarm(0);
	free(s.text);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
}

/* Measuring unpackaged trees reads their directories without touching atimes. */
static void test_dsp_inv_software_keeps_atimes(void **state)
{
	char dir[] = "/tmp/dsp-inv-XXXXXX", cmd[512], p[256];
	static const char *const sub[] = { "/opt", "/opt/app", "/opt/app/sub" };
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/opt/app/sub' && echo x >'%s/opt/app/sub/f' && "
		 "touch -a -d @1577836800 '%s/opt' '%s/opt/app' '%s/opt/app/sub'",
		 dir, dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	o.sysroot = dir;
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	assert_non_null(strstr(s.text, "\"name\":\"/opt/app\""));
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", dir, sub[i]);
		assert_int_equal(lstat(p, &st), 0);
		assert_int_equal(st.st_atime, 1577836800);
	}
	free(s.text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A file deeper than the displayable path is still counted in its tree. */
static void test_dsp_inv_software_long_paths_counted(void **state)
{
	char dir[] = "/tmp/dsp-inv-XXXXXX", cmd[1024], name[251];
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };
	int fd, nfd;

	(void)state;
	assert_non_null(mkdtemp(dir));

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/opt/app' && printf abc >'%s/opt/app/a'", dir, dir);
	assert_int_equal(system(cmd), 0);
	/* 20 levels of 250-byte names: past the 4200-byte path buffer */
	memset(name, 'x', 250);
	name[250] = '\0';
	snprintf(cmd, sizeof(cmd), "%s/opt/app", dir);
	assert_true((fd = open(cmd, O_RDONLY | O_DIRECTORY)) >= 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		assert_true((nfd = openat(fd, name, O_RDONLY | O_DIRECTORY)) >= 0);
		close(fd);
		fd = nfd;
	}
	assert_true((nfd = openat(fd, "f", O_WRONLY | O_CREAT, 0644)) >= 0);
	assert_int_equal(write(nfd, "12345", 5), 5);
	close(nfd);
	close(fd);
	o.sysroot = dir;
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	assert_non_null(strstr(s.text, "\"name\":\"/opt/app\",\"version\":null,\"arch\":null,"
			       "\"installed_size\":8,\"files\":2}"));
	free(s.text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- rpm headers ---- */

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

static void test_dsp_rpm_parse_header_fields(void **state)
{
	/* tags: NAME, VERSION, RELEASE, ARCH, EPOCH, SIZE, BASENAMES(3) */
	static const char strs[] = "bash\0" "5.1.8\0" "6.el9\0" "x86_64\0" "a\0b\0c\0";
	uint8_t blob[512] = { 0 }, *e;
	size_t dl = sizeof(strs) - 1 + 3 /* pad */ + 8, off_int = sizeof(strs) - 1 + 3;
	struct dsp_rpm_pkg p;
	const uint32_t ent[7][4] = {
		{ 1000, 6, 0, 1 }, { 1001, 6, 5, 1 }, { 1002, 6, 11, 1 }, { 1022, 6, 17, 1 },
		{ 1003, 4, (uint32_t)off_int, 1 }, { 1009, 4, (uint32_t)off_int + 4, 1 },
		{ 1117, 8, 24, 3 },
	};

	(void)state;
	put32(blob, 7);
	put32(blob + 4, (uint32_t)dl);
	e = blob + 8;
	for (int i = 0; i < 7; i++)
		for (int k = 0; k < 4; k++)
			e += put32(e, ent[i][k]);
	memcpy(e, strs, sizeof(strs) - 1);
	put32(e + off_int, 2);
	put32(e + off_int + 4, 7654321);
	assert_int_equal(dsp_rpm_parse_header(blob, 8 + 7 * 16 + dl, &p), 0);
	assert_string_equal(p.name, "bash");
	assert_string_equal(p.version, "5.1.8");
	assert_string_equal(p.release, "6.el9");
	assert_string_equal(p.arch, "x86_64");
	assert_int_equal(p.epoch, 2);
	assert_int_equal(p.size, 7654321);
	assert_int_equal(p.files, 3);
	/* truncated: the data area no longer fits */
	assert_int_equal(dsp_rpm_parse_header(blob, 8 + 7 * 16 + dl - 1, &p), -EBADMSG);
	assert_int_equal(dsp_rpm_parse_header(blob, 4, &p), -EBADMSG);
}

static void test_dsp_inv_software_rpm_sqlite(void **state)
{
	char dir[] = "/tmp/dsp-rpm-XXXXXX", cmd[2048];
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };

	(void)state;
	if (system("python3 -c 'import sqlite3' 2>/dev/null") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/var/lib/rpm && python3 - %s/var/lib/rpm/rpmdb.sqlite <<'PY'\n"
		 "import sqlite3, struct, sys\n"
		 "def hdr(e, data):\n"
		 "    b = struct.pack('>II', len(e), len(data))\n"
		 "    for x in e: b += struct.pack('>IIII', *x)\n"
		 "    return b + data\n"
		 "s = b'openssl\\0' b'3.0.7\\0' b'27.el9\\0' b'x86_64\\0' b'a\\0b\\0'\n"
		 "d = s + bytes(4 - len(s) %% 4) + struct.pack('>I', 1) + struct.pack('>II', 1, 5)\n"
		 "o = len(s) + 4 - len(s) %% 4\n"
		 "e = [(1000,6,0,1),(1001,6,8,1),(1002,6,14,1),(1022,6,21,1),(1003,4,o,1),(5009,5,o+4,1),(1117,8,28,2)]\n"
		 "db = sqlite3.connect(sys.argv[1])\n"
		 "db.execute('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)')\n"
		 "db.execute('INSERT INTO Packages (blob) VALUES (?)', (hdr(e, d),))\n"
		 "db.execute('INSERT INTO Packages (blob) VALUES (?)', (b'garbage',))\n"
		 "db.commit()\n"
		 "PY", dir, dir);
	assert_int_equal(system(cmd), 0);
	o.sysroot = dir;
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	assert_int_equal(s.count[0], 1);
	assert_int_equal(s.count[4], 1);
	assert_non_null(strstr(s.text,
		"software {\"manager\":\"rpm\",\"name\":\"openssl\",\"version\":\"1:3.0.7-27.el9\","
		"\"arch\":\"x86_64\",\"installed_size\":4294967301,\"files\":2}\n"));
	assert_non_null(strstr(s.text, "1 corrupt package header(s) skipped"));
	free(s.text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * An rpmdb.sqlite in WAL mode whose last transaction is only in -wal: the
 * writer is killed before any checkpoint, and -shm is removed.
 */
static void make_wal_rpmdb(const char *dir)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/var/lib/rpm && python3 - %s/var/lib/rpm/rpmdb.sqlite <<'PY'\n"
		 "import os, sqlite3, struct, sys\n"
		 "def hdr(name):\n"
		 "    s = name + b'\\0' b'1.0\\0' b'1.el9\\0' b'noarch\\0'\n"
		 "    e = [(1000,6,0,1),(1001,6,len(name)+1,1),(1002,6,len(name)+5,1),(1022,6,len(name)+11,1)]\n"
		 "    b = struct.pack('>II', len(e), len(s))\n"
		 "    for x in e: b += struct.pack('>IIII', *x)\n"
		 "    return b + s\n"
		 "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
		 "assert db.execute('PRAGMA journal_mode=WAL').fetchone()[0] == 'wal'\n"
		 "db.execute('PRAGMA wal_autocheckpoint=0')\n"
		 "db.execute('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)')\n"
		 "db.execute('INSERT INTO Packages (blob) VALUES (?)', (hdr(b'in-main-db'),))\n"
		 "db.execute('PRAGMA wal_checkpoint(TRUNCATE)')\n"
		 "db.execute('INSERT INTO Packages (blob) VALUES (?)', (hdr(b'only-in-wal'),))\n"
		 "assert os.path.getsize(sys.argv[1] + '-wal') > 0\n"
		 "os.unlink(sys.argv[1] + '-shm')\n"
		 "os._exit(0)  # no close: no checkpoint\n"
		 "PY", dir, dir);
	assert_int_equal(system(cmd), 0);
}

/* What the target's rpm directory holds: names, sizes, mtimes. */
static void rpm_dir_state(const char *dir, char *out, size_t len)
{
	char cmd[512];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "cd %s/var/lib/rpm && stat -c '%%n %%s %%Y' * | sort", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

static void test_dsp_inv_software_rpm_wal_applied(void **state)
{
	char dir[] = "/tmp/dsp-rpm-XXXXXX", cmd[512], before[1024], after[1024], tmp[64];
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };
	char *old;

	(void)state;
	if (system("python3 -c 'import sqlite3' 2>/dev/null") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	make_wal_rpmdb(dir);
	rpm_dir_state(dir, before, sizeof(before));
	assert_non_null(strstr(before, "rpmdb.sqlite-wal "));
	o.sysroot = dir;
	/* the private copy goes under TMPDIR, and is gone afterwards */
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	assert_int_equal(mkdir(tmp, 0700), 0);
	old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	setenv("TMPDIR", tmp, 1);
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	assert_int_equal(rmdir(tmp), 0);	/* empty */
	assert_int_equal(s.count[4], 0);
	assert_int_equal(s.count[0], 2);
	assert_non_null(strstr(s.text, "\"name\":\"in-main-db\""));
	assert_non_null(strstr(s.text, "\"name\":\"only-in-wal\""));
	/* nothing written beside the target's database: no -shm, same sizes and times */
	rpm_dir_state(dir, after, sizeof(after));
	assert_string_equal(before, after);
	free(s.text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* No room for the private copy: the database is still read, the gap is an error. */
static void test_dsp_inv_software_rpm_wal_copy_fails_is_reported(void **state)
{
	char dir[] = "/tmp/dsp-rpm-XXXXXX", cmd[512];
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };
	char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;

	(void)state;
	if (system("python3 -c 'import sqlite3' 2>/dev/null") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	make_wal_rpmdb(dir);
	o.sysroot = dir;
	setenv("TMPDIR", "/nonexistent/dispose-tmp", 1);
	assert_int_equal(dsp_inv_software(&o, sink_emit, &s), 0);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	assert_int_equal(s.count[0], 1);
	assert_non_null(strstr(s.text, "\"name\":\"in-main-db\""));
	assert_int_equal(s.count[4], 1);
	assert_non_null(strstr(s.text, "rpmdb.sqlite-wal\",\"source\":\"rpm\",\"reason\":"
			       "\"write-ahead log not applied (copying the database: "
			       "no such file or directory): the last transactions may be missing\""));
	free(s.text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_dsp_inv_software_rpm_bdb_not_read(void **state)
{
	char dir[] = "/tmp/dsp-rpm-XXXXXX", cmd[512];
	struct dsp_inv_opts o = { .what = DSP_INV_SOFTWARE };
	struct sink s = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/var/lib/rpm && head -c 4096 /dev/zero > %s/var/lib/rpm/Packages",
		 dir, dir);
	assert_int_equal(system(cmd), 0);
	o.sysroot = dir;
	/* the only package database could not be read: the category failed */
	assert_true(dsp_inv_software(&o, sink_emit, &s) < 0);
	assert_int_equal(s.count[0], 0);
	assert_non_null(strstr(s.text, "rpm database not read"));
	free(s.text);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- strings and time ---- */

static void test_dsp_inv_string_invalid_utf8(void **state)
{
	struct json_object *j;
	int lossy;

	(void)state;
	j = dsp_inv_string("caf\xc3\xa9", &lossy);
	assert_int_equal(lossy, 0);
	assert_string_equal(json_object_get_string(j), "caf\xc3\xa9");
	json_object_put(j);
	j = dsp_inv_string("a\xff" "b\xc0\xaf", &lossy);
	assert_int_equal(lossy, 1);
	assert_string_equal(json_object_get_string(j),
			    "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(j);
	j = dsp_inv_string("\xed\xa0\x80", &lossy);	/* a surrogate */
	assert_int_equal(lossy, 1);
	json_object_put(j);
}

static void test_dsp_inv_time_rfc3339(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(dsp_inv_time(0, b, sizeof(b)), "1970-01-01T00:00:00Z");
	assert_string_equal(dsp_inv_time(1700000000, b, sizeof(b)), "2023-11-14T22:13:20Z");
}

static void test_dsp_inv_error_fields(void **state)
{
	struct sink s = { 0 };

	(void)state;
	assert_int_equal(dsp_inv_error(sink_emit, &s, "walk", "/x", "gone"), 0);
	assert_int_equal(dsp_inv_error(sink_emit, &s, "devices", NULL, "no sysfs"), 0);
	assert_string_equal(s.text,
		"errors {\"path\":\"/x\",\"source\":\"walk\",\"reason\":\"gone\"}\n"
		"errors {\"path\":null,\"source\":\"devices\",\"reason\":\"no sysfs\"}\n");
	free(s.text);
}

/* ---- the walk ---- */

static char tree[64];

static void mkfile(const char *rel, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int tree_setup(void **state)
{
	char p[256];

	(void)state;
	snprintf(tree, sizeof(tree), "/tmp/dsp-walk-XXXXXX");
	if (!mkdtemp(tree))
		return -1;
	snprintf(p, sizeof(p), "%s/sub", tree);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/sub/deeper", tree);
	mkdir(p, 0700);
	mkfile("top.txt", "abc");
	mkfile("sub/deeper/x", "");
	snprintf(p, sizeof(p), "%s/out", tree);
	if (symlink("/etc", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/loop", tree);
	if (symlink("loop", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/fifo", tree);
	if (mkfifo(p, 0600) < 0)
		return -1;
	return 0;
}

static int tree_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_dsp_inv_walk_symlinks_not_followed(void **state)
{
	const char *roots[] = { tree, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA | DSP_INV_HASH, .roots = roots };
	struct sink s = { 0 };
	char want[256];

	(void)state;
	assert_int_equal(dsp_inv_walk(&o, sink_emit, &s), 0);
	/* root, sub, sub/deeper, x, top.txt, out, loop, fifo */
	assert_int_equal(s.count[1], 8);
	assert_int_equal(s.count[4], 0);
	assert_null(strstr(s.text, "/etc/passwd"));
	assert_non_null(strstr(s.text, "\"type\":\"symlink\""));
	assert_non_null(strstr(s.text, "\"target\":\"/etc\""));
	assert_non_null(strstr(s.text, "\"type\":\"fifo\""));
	snprintf(want, sizeof(want), "\"path\":\"%s/top.txt\",\"type\":\"file\",\"size\":3", tree);
	assert_non_null(strstr(s.text, want));
	assert_non_null(strstr(s.text,
		"\"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\""));
	assert_non_null(strstr(s.text,
		"\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""));
	free(s.text);
}

static void test_dsp_inv_walk_missing_root_fails(void **state)
{
	const char *roots[] = { "/nonexistent/dispose-test-root", NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA, .roots = roots };
	struct sink s = { 0 };

	(void)state;
	assert_int_equal(dsp_inv_walk(&o, sink_emit, &s), -ENOENT);
	assert_int_equal(s.count[1], 0);
	assert_int_equal(s.count[4], 1);
	assert_non_null(strstr(s.text, "\"path\":\"/nonexistent/dispose-test-root\""));
	free(s.text);
}

static void test_dsp_inv_walk_one_bad_root_of_two_is_not_fatal(void **state)
{
	const char *roots[] = { "/nonexistent/dispose-test-root", tree, tree, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA, .roots = roots };
	struct sink s = { 0 };

	(void)state;
	assert_int_equal(dsp_inv_walk(&o, sink_emit, &s), 0);
	assert_int_equal(s.count[1], 8);	/* the duplicate root is walked once */
	assert_int_equal(s.count[4], 1);
	free(s.text);
}

static void test_dsp_inv_walk_nested_root_walked_once(void **state)
{
	char sub[128];
	const char *roots[] = { tree, sub, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA, .roots = roots };
	struct sink s = { 0 };

	(void)state;
	snprintf(sub, sizeof(sub), "%s/sub/", tree);
	assert_int_equal(dsp_inv_walk(&o, sink_emit, &s), 0);
	assert_int_equal(s.count[1], 8);
	free(s.text);
}

/*
 * The sparse digest, computed independently by python3 reading every byte
 * (no SEEK_DATA): 4096-byte blocks from 0, runs of non-zero blocks.
 */
static const char sparse_py[] =
	"import hashlib, sys\n"
	"for p in sys.argv[1:]:\n"
	"    d = open(p, 'rb').read()\n"
	"    top = hashlib.sha256(b'dispose-sparse-v1 %d\\n' % len(d))\n"
	"    runs, start = [], None\n"
	"    for o in range(0, len(d), 4096):\n"
	"        z = d[o:o + 4096].count(0) == len(d[o:o + 4096])\n"
	"        if z and start is not None: runs.append((start, o)); start = None\n"
	"        if not z and start is None: start = o\n"
	"    if start is not None: runs.append((start, len(d)))\n"
	"    for a, b in runs:\n"
	"        top.update(b'%d %d %s\\n' % (a, b - a, hashlib.sha256(d[a:b]).hexdigest().encode()))\n"
	"    print(top.hexdigest(), hashlib.sha256(d).hexdigest(), len(runs))\n";

static void put_at(int fd, off_t off, int byte, size_t n)
{
	char b[8192];

	assert_true(n <= sizeof(b));
	memset(b, byte, n);
	assert_int_equal(pwrite(fd, b, n, off), (ssize_t)n);
}

/* Files with 64 MiB of holes or more get sha256_sparse; others keep sha256. */
static void test_dsp_inv_walk_sparse_file_digest(void **state)
{
	const char *roots[] = { tree, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA | DSP_INV_HASH, .roots = roots };
	struct sink s = { 0 };
	char big[128], small[128], cmd[4096], want[256], sparse_hex[65], plain_hex[65];
	char small_plain[65], dummy[65];
	int fd, runs = 0, small_runs = 0;
	FILE *p;

	(void)state;
	snprintf(big, sizeof(big), "%s/sparse.img", tree);
	snprintf(small, sizeof(small), "%s/small-holes.img", tree);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	put_at(fd, 0, 'x', 4096);		/* block 0 */
	put_at(fd, 4096, 0, 4096);		/* block 1: written zeros end the run */
	put_at(fd, 9000, 'y', 100);		/* block 2, not at its start */
	put_at(fd, (100 << 20) + 100, 'z', 5000);	/* after a 100 MiB hole, two blocks */
	put_at(fd, (200 << 20) + 120, 'e', 3);	/* the last block is short */
	close(fd);
	fd = open(small, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	put_at(fd, 0, 'a', 10);
	put_at(fd, 1 << 20, 'b', 10);		/* a 1 MiB hole: too small to matter */
	close(fd);

	snprintf(cmd, sizeof(cmd), "python3 - %s %s <<'PY'\n%sPY", big, small, sparse_py);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%64s %64s %d %64s %64s %d", sparse_hex, plain_hex, &runs,
				dummy, small_plain, &small_runs), 6);
	assert_int_equal(pclose(p), 0);
	/* x | written zeros | y | 100 MiB hole | z | hole | e: four runs */
	assert_int_equal(runs, 4);

	assert_int_equal(dsp_inv_walk(&o, sink_emit, &s), 0);
	assert_int_equal(s.count[4], 0);
	snprintf(want, sizeof(want), "\"path\":\"%s\",", big);
	assert_non_null(strstr(s.text, want));
	snprintf(want, sizeof(want), "\"sha256_sparse\":\"%s\"", sparse_hex);
	assert_non_null(strstr(s.text, want));
	/* the plain digest of the 200 MiB file is not computed (it is not given) */
	snprintf(want, sizeof(want), "\"sha256\":\"%s\"", plain_hex);
	assert_null(strstr(s.text, want));
	snprintf(want, sizeof(want), "\"sha256\":\"%s\"", small_plain);
	assert_non_null(strstr(s.text, want));
	free(s.text);
	unlink(big);
	unlink(small);
}

/* ---- the scan driver and the writer ---- */

static void test_dsp_inv_scan_section_markers(void **state)
{
	const char *roots[] = { tree, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA | DSP_INV_KEYS, .roots = roots };
	struct sink s = { 0 };

	(void)state;
	assert_int_equal(dsp_inv_scan(&o, sink_emit, &s), 0);
	assert_int_equal(s.markers[0], 0);
	assert_int_equal(s.markers[1], 1);
	assert_int_equal(s.markers[2], 1);
	assert_int_equal(s.markers[3], 0);
	assert_int_equal(s.markers[4], 1);
	free(s.text);
}

#define MAX_PROG 1024
static struct dsp_inv_progress prog[MAX_PROG];
static char prog_path[MAX_PROG][128];
static size_t nprog;

static void on_prog(const struct dsp_inv_progress *p, void *arg)
{
	(void)arg;
	if (nprog == MAX_PROG)
		return;
	prog[nprog] = *p;
	snprintf(prog_path[nprog], sizeof(prog_path[0]), "%s", p->path ? p->path : "");
	nprog++;
}

static void test_dsp_inv_scan_reports_progress(void **state)
{
	const char *roots[] = { tree, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA | DSP_INV_KEYS | DSP_INV_HASH,
				  .roots = roots, .progress = on_prog };
	struct sink s = { 0 };
	const struct dsp_inv_progress *last;
	char big[128];
	uint64_t got = 0;
	int fd, total;

	(void)state;
	snprintf(big, sizeof(big), "%s/big.bin", tree);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (off_t off = 0; off < 3 << 20; off += 8192)
		put_at(fd, off, 'b', 8192);
	close(fd);
	/* the walk alone: what it read of the file it hashes, as it reads */
	nprog = 0;
	assert_int_equal(dsp_inv_walk(&o, sink_emit, &s), 0);
	for (size_t i = 0; i < nprog; i++) {
		if (strcmp(prog_path[i], big))
			continue;
		assert_true(prog[i].bytes > got && prog[i].bytes <= 3u << 20);
		got = prog[i].bytes;
	}
	assert_int_equal(got, 3u << 20);
	free(s.text);
	memset(&s, 0, sizeof(s));

	/* the scan: sections in order, and at the end every item and byte counted */
	nprog = 0;
	assert_int_equal(dsp_inv_scan(&o, sink_emit, &s), 0);
	assert_true(nprog >= 2);
	assert_string_equal(prog[0].section, "files");
	assert_int_equal(prog[0].items, 0);
	for (size_t i = 1; i < nprog; i++)
		assert_true(prog[i].items >= prog[i - 1].items);
	last = &prog[nprog - 1];
	assert_string_equal(last->section, "keys");
	total = s.count[0] + s.count[1] + s.count[2] + s.count[3] + s.count[4];
	assert_int_equal(last->items, total);
	assert_int_equal(last->files, 3);	/* top.txt, sub/deeper/x, big.bin */
	assert_int_equal(last->bytes, 3 + (3u << 20));
	assert_null(last->path);
	free(s.text);
	unlink(big);
}

static int stop_on_files(void *arg, const char *section, struct json_object *item)
{
	int *seen = arg;

	if (item && !strcmp(section, "files")) {
		(*seen)++;
		return -EPIPE;
	}
	return 0;
}

static void test_dsp_inv_scan_stops_when_emit_fails(void **state)
{
	const char *roots[] = { tree, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA | DSP_INV_DEVICES, .roots = roots };
	int seen = 0;

	(void)state;
	assert_int_equal(dsp_inv_scan(&o, stop_on_files, &seen), -EPIPE);
	assert_int_equal(seen, 1);
}

static void test_dsp_inv_write_valid_json(void **state)
{
	const char *roots[] = { "/nonexistent/dispose-test-root", tree, NULL };
	struct dsp_inv_opts o = { .what = DSP_INV_DATA | DSP_INV_KEYS | DSP_INV_SOFTWARE,
				  .roots = roots, .sysroot = fixture_root() };
	struct json_object *doc, *v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(dsp_inv_write(f, &o), 0);
	fclose(f);
	assert_true(len > 0 && buf[len - 1] == '\n');
	doc = json_tokener_parse(buf);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "schema", &v));
	assert_string_equal(json_object_get_string(v), "dispose-inventory/1");
	assert_true(json_object_object_get_ex(doc, "created", &v));
	assert_int_equal(strlen(json_object_get_string(v)), 20);
	assert_true(json_object_object_get_ex(doc, "host", &v));
	assert_true(json_object_object_get_ex(v, "hostname", &v));
	assert_true(json_object_object_get_ex(doc, "software", &v));
	assert_int_equal(json_object_array_length(v), 5);
	assert_true(json_object_object_get_ex(doc, "files", &v));
	assert_int_equal(json_object_array_length(v), 8);
	assert_true(json_object_object_get_ex(doc, "keys", &v));
	assert_int_equal(json_object_array_length(v), 0);
	assert_false(json_object_object_get_ex(doc, "devices", &v));
	assert_true(json_object_object_get_ex(doc, "errors", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_true(json_object_object_get_ex(doc, "complete", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(doc);
	free(buf);
}

/* ---- log sink: the scan's messages go to the sink in its options ---- */

static void inv_log_into(enum dsp_log_level level, const char *msg, void *arg)
{
	char *buf = arg;
	size_t n = strlen(buf);

	(void)level;
	snprintf(buf + n, 1024 - n, "%s\n", msg);
}

static void test_dsp_inv_scan_logs_to_its_sink(void **state)
{
	char dir[] = "/tmp/dsp-inv-log-XXXXXX", path[64], mine[1024] = "", def[1024] = "";
	const char *roots[] = { dir, NULL };
	struct dsp_log_sink sink = { inv_log_into, mine };
	struct dsp_inv_opts o = { .what = DSP_INV_KEYS, .roots = roots, .log = &sink };
	struct sink s = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/broken.key", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "-----BEGIN PRIVATE KEY-----\n");
	for (int i = 0; i < 4; i++)
		fprintf(f, "%s\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	fprintf(f, "-----END PRIVATE KEY-----\n");
	fclose(f);
	dsp_log_set_handler(inv_log_into, def);
	assert_true(dsp_inv_scan(&o, sink_emit, &s) >= 0);
	dsp_log_set_handler(NULL, NULL);
	assert_non_null(strstr(mine, "broken.key"));
	assert_string_equal(def, "");
	/* the caller's own sink is back */
	assert_null(dsp_log_current().fn);
	free(s.text);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_inv_scan_logs_to_its_sink),
		cmocka_unit_test(test_dsp_dpkg_parse_status_odd_cases),
		cmocka_unit_test(test_dsp_dpkg_parse_status_crlf_and_no_final_newline),
		cmocka_unit_test(test_dsp_dpkg_parse_status_malformed_is_reported),
		cmocka_unit_test(test_dsp_dpkg_parse_status_embedded_nul),
		cmocka_unit_test(test_dsp_dpkg_parse_status_callback_stops),
		cmocka_unit_test(test_dsp_dpkg_canon_path_merged_usr),
		cmocka_unit_test(test_dsp_inv_software_journal_overrides),
		cmocka_unit_test(test_dsp_inv_software_no_database_is_an_error_entry),
		cmocka_unit_test(test_dsp_inv_software_unreadable_status_fails_category),
		cmocka_unit_test(test_dsp_inv_software_fifo_does_not_hang),
		cmocka_unit_test(test_dsp_inv_software_keeps_atimes),
		cmocka_unit_test(test_dsp_inv_software_long_paths_counted),
		cmocka_unit_test(test_dsp_rpm_parse_header_fields),
		cmocka_unit_test(test_dsp_inv_software_rpm_sqlite),
		cmocka_unit_test(test_dsp_inv_software_rpm_wal_applied),
		cmocka_unit_test(test_dsp_inv_software_rpm_wal_copy_fails_is_reported),
		cmocka_unit_test(test_dsp_inv_software_rpm_bdb_not_read),
		cmocka_unit_test(test_dsp_inv_string_invalid_utf8),
		cmocka_unit_test(test_dsp_inv_time_rfc3339),
		cmocka_unit_test(test_dsp_inv_error_fields),
		cmocka_unit_test_setup_teardown(test_dsp_inv_walk_symlinks_not_followed,
						tree_setup, tree_teardown),
		cmocka_unit_test(test_dsp_inv_walk_missing_root_fails),
		cmocka_unit_test_setup_teardown(test_dsp_inv_walk_one_bad_root_of_two_is_not_fatal,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_dsp_inv_walk_nested_root_walked_once,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_dsp_inv_walk_sparse_file_digest,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_dsp_inv_scan_section_markers,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_dsp_inv_scan_stops_when_emit_fails,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_dsp_inv_scan_reports_progress,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_dsp_inv_write_valid_json,
						tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
