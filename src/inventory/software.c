/* SPDX-License-Identifier: MIT */
/* software.c - installed software: dpkg status + journal, rpm sqlite db, unpackaged trees */
#include "dispose/inventory.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose/common.h"
#include "dispose/util.h"

#define MAX_DB_SIZE	(512u << 20)	/* refuse absurd status files */

/* ---- small helpers ---- */

static const char *why(int e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0])
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static int emit_err(dsp_inv_emit_fn emit, void *arg, const char *source,
		    const char *path, int e)
{
	char b[128];

	return dsp_inv_error(emit, arg, source, path, why(e, b, sizeof(b)));
}

/* Whole file into a NUL-terminated buffer; a FIFO or other non-file is -EINVAL. */
static int slurp(const char *path, char **out, size_t *outlen)
{
	return dsp_file_read(path, MAX_DB_SIZE, 0, out, outlen);
}

/* ---- dpkg status parsing ---- */

struct stanza {
	const char *v[6];	/* views into the text */
	size_t n[6];
	int seen, bad;
};

enum { F_PACKAGE, F_VERSION, F_ARCH, F_STATUS, F_SIZE, F_MULTIARCH };
static const char *const fields[] = {
	"Package", "Version", "Architecture", "Status", "Installed-Size", "Multi-Arch",
};

struct dpkg_rec {
	char *name, *version, *arch, *status, *multiarch;
	uint64_t size;
	int installed;
};

typedef int (*stanza_fn)(const struct dpkg_rec *rec, void *arg);

static int status_installed(const char *s)
{
	/* "want eflag status": installed means the third word is "installed" */
	const char *p = strrchr(s, ' ');

	return p && !strcmp(p + 1, "installed");
}

static int status_valid(const char *s)
{
	int words = 0, in = 0;

	for (; *s; s++) {
		if (*s == ' ') {
			in = 0;
		} else if (!in) {
			in = 1;
			words++;
		}
	}
	return words == 3;
}

static void rec_free(struct dpkg_rec *r)
{
	free(r->name);
	free(r->version);
	free(r->arch);
	free(r->status);
	free(r->multiarch);
	memset(r, 0, sizeof(*r));
}

/* Turn a finished stanza into a record; -EBADMSG when it is malformed. */
static int stanza_finish(const struct stanza *st, stanza_fn fn, void *arg, int *bad)
{
	struct dpkg_rec r = { 0 };
	uint64_t kib = 0;
	int rc;

	if (!st->seen)
		return 0;
	if (st->bad || !st->v[F_PACKAGE] || !st->n[F_PACKAGE] || !st->v[F_STATUS]) {
		*bad = 1;
		return 0;
	}
	if (st->v[F_SIZE]) {
		for (size_t i = 0; i < st->n[F_SIZE]; i++) {
			unsigned d = (unsigned char)st->v[F_SIZE][i] - '0';

			if (d > 9 || kib > (UINT64_MAX / 1024 - 9) / 10) {
				*bad = 1;
				return 0;
			}
			kib = kib * 10 + d;
		}
	}
	r.name = strndup(st->v[F_PACKAGE], st->n[F_PACKAGE]);
	r.status = strndup(st->v[F_STATUS], st->n[F_STATUS]);
	r.version = strndup(st->v[F_VERSION] ? st->v[F_VERSION] : "", st->n[F_VERSION]);
	r.arch = strndup(st->v[F_ARCH] ? st->v[F_ARCH] : "", st->n[F_ARCH]);
	r.multiarch = strndup(st->v[F_MULTIARCH] ? st->v[F_MULTIARCH] : "", st->n[F_MULTIARCH]);
	if (!r.name || !r.status || !r.version || !r.arch || !r.multiarch) {
		rec_free(&r);
		return -ENOMEM;
	}
	/* an embedded NUL or a bad Status makes the stanza unusable */
	if (strlen(r.name) != st->n[F_PACKAGE] || !status_valid(r.status)) {
		rec_free(&r);
		*bad = 1;
		return 0;
	}
	r.size = kib * 1024;
	r.installed = status_installed(r.status);
	rc = fn(&r, arg);
	rec_free(&r);
	return rc;
}

/*
 * Parse deb822 text: every stanza goes to fn. Continuation lines (leading
 * space or tab) belong to the previous field and carry nothing we keep.
 */
static int dpkg_parse(const char *text, size_t len, stanza_fn fn, void *arg)
{
	const char *p = text, *end = text + len;
	struct stanza st = { 0 };
	int bad = 0, rc;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q, *colon;

		if (le > p && le[-1] == '\r')
			le--;
		for (q = p; q < le && (*q == ' ' || *q == '\t'); q++)
			;
		if (q == le) {
			/* blank line: end of stanza */
			if ((rc = stanza_finish(&st, fn, arg, &bad)))
				return rc;
			memset(&st, 0, sizeof(st));
		} else if (*p == ' ' || *p == '\t') {
			if (!st.seen)
				bad = 1;	/* continuation with nothing to continue */
		} else if (*p == '#' && !st.seen) {
			/* comment lines are allowed in deb822 */
		} else {
			colon = memchr(p, ':', (size_t)(le - p));
			st.seen = 1;
			if (!colon || colon == p) {
				st.bad = 1;
			} else {
				const char *v = colon + 1, *ve = le;

				while (v < ve && (*v == ' ' || *v == '\t'))
					v++;
				while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				for (size_t f = 0; f < DSP_ARRAY_SIZE(fields); f++) {
					size_t fl = strlen(fields[f]);

					if ((size_t)(colon - p) == fl &&
					    !strncasecmp(p, fields[f], fl)) {
						st.v[f] = v;
						st.n[f] = (size_t)(ve - v);
					}
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	if ((rc = stanza_finish(&st, fn, arg, &bad)))
		return rc;
	return bad ? -EBADMSG : 0;
}

struct public_ctx {
	dsp_dpkg_fn fn;
	void *arg;
};

static int public_cb(const struct dpkg_rec *r, void *arg)
{
	struct public_ctx *c = arg;
	struct dsp_dpkg_pkg p = {
		.name = r->name, .version = r->version, .arch = r->arch,
		.status = r->status, .installed_size = r->size,
	};

	if (!r->installed)
		return 0;
	return c->fn(&p, c->arg);
}

int dsp_dpkg_parse_status(const char *text, size_t len, dsp_dpkg_fn fn, void *arg)
{
	struct public_ctx c = { fn, arg };

	return dpkg_parse(text, len, public_cb, &c);
}

/* ---- the package table: status, then the updates/ journal over it ---- */

struct dpkg_db {
	struct dpkg_rec *v;
	size_t n, cap;
};

static int same_pkg(const struct dpkg_rec *a, const struct dpkg_rec *b)
{
	if (strcmp(a->name, b->name))
		return 0;
	if (!strcmp(a->arch, b->arch))
		return 1;
	/* only Multi-Arch: same packages exist once per architecture */
	return strcmp(a->multiarch, "same") && strcmp(b->multiarch, "same");
}

static int db_put(const struct dpkg_rec *r, void *arg)
{
	struct dpkg_db *db = arg;
	struct dpkg_rec copy = {
		.name = strdup(r->name), .version = strdup(r->version),
		.arch = strdup(r->arch), .status = strdup(r->status),
		.multiarch = strdup(r->multiarch), .size = r->size,
		.installed = r->installed,
	};

	if (!copy.name || !copy.version || !copy.arch || !copy.status || !copy.multiarch) {
		rec_free(&copy);
		return -ENOMEM;
	}
	for (size_t i = 0; i < db->n; i++) {
		if (same_pkg(&db->v[i], &copy)) {
			rec_free(&db->v[i]);
			db->v[i] = copy;
			return 0;
		}
	}
	if (db->n == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 1024;
		struct dpkg_rec *v = realloc(db->v, cap * sizeof(*v));

		if (!v) {
			rec_free(&copy);
			return -ENOMEM;
		}
		db->v = v;
		db->cap = cap;
	}
	db->v[db->n++] = copy;
	return 0;
}

static void db_free(struct dpkg_db *db)
{
	for (size_t i = 0; i < db->n; i++)
		rec_free(&db->v[i]);
	free(db->v);
}

static int numcmp(const void *a, const void *b)
{
	unsigned long long x = strtoull(*(char *const *)a, NULL, 10);
	unsigned long long y = strtoull(*(char *const *)b, NULL, 10);

	return x < y ? -1 : x > y;
}

/* Apply updates/[0-9]* in numeric order, as dpkg does. */
static int apply_journal(const char *admindir, struct dpkg_db *db,
			 dsp_inv_emit_fn emit, void *arg)
{
	char dir[4200], path[4500];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/updates", admindir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : emit_err(emit, arg, "dpkg", dir, errno);
	while ((de = readdir(d))) {
		const char *s = de->d_name;

		if (!*s || strspn(s, "0123456789") != strlen(s))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!v) {
				rc = -ENOMEM;
				goto out;
			}
			names = v;
			cap = cap ? cap * 2 : 16;
		}
		if (!(names[n] = strdup(s))) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), numcmp);
	for (size_t i = 0; i < n && !rc; i++) {
		char *text;
		size_t len;
		int r;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		r = slurp(path, &text, &len);
		if (r < 0) {
			rc = emit_err(emit, arg, "dpkg", path, -r);
			continue;
		}
		r = dpkg_parse(text, len, db_put, db);
		free(text);
		if (r == -EBADMSG)
			rc = dsp_inv_error(emit, arg, "dpkg", path,
					   "malformed stanza skipped");
		else if (r < 0)
			rc = r;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* ---- owned paths (for unpackaged detection) ---- */

struct pathset {
	char **slot;
	size_t cap, n;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int set_add(struct pathset *s, const char *p)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char **slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (size_t k = 0; k < s->cap; k++) {
			if (!s->slot[k])
				continue;
			for (i = fnv(s->slot[k]) & (cap - 1); slot[i]; i = (i + 1) & (cap - 1))
				;
			slot[i] = s->slot[k];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (i = fnv(p) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (!strcmp(s->slot[i], p))
			return 0;
	if (!(s->slot[i] = strdup(p)))
		return -ENOMEM;
	s->n++;
	return 0;
}

static int set_has(const struct pathset *s, const char *p)
{
	if (!s->cap)
		return 0;
	for (size_t i = fnv(p) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (!strcmp(s->slot[i], p))
			return 1;
	return 0;
}

static void set_free(struct pathset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}

const char *dsp_dpkg_canon_path(const char *path, char *buf, size_t len)
{
	/* merged /usr: .list files still say /bin/bash for /usr/bin/bash */
	static const char *const alias[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };

	for (size_t i = 0; i < DSP_ARRAY_SIZE(alias); i++) {
		size_t n = strlen(alias[i]);

		if (!strncmp(path, alias[i], n) && (path[n] == '/' || !path[n])) {
			if ((size_t)snprintf(buf, len, "/usr%s", path) >= len)
				return path;
			return buf;
		}
	}
	return path;
}

static int under_unpackaged_roots(const char *p)
{
	return !strncmp(p, "/opt", 4) ? (p[4] == '/' || !p[4]) :
	       !strncmp(p, "/usr/local", 10) ? (p[10] == '/' || !p[10]) : 0;
}

/* A regular file for reading, never blocking on a FIFO; NULL with errno. */
static FILE *open_list(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	if (!(f = fdopen(fd, "r"))) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

/*
 * Count the paths in info/<pkg>[:arch].list ("/." is not a path) and note
 * the ones under /opt and /usr/local. Returns the count or -errno.
 */
static int64_t read_list(const char *admindir, const struct dpkg_rec *r, int merged,
			 struct pathset *owned)
{
	char path[4200], canon[4200];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int64_t count = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/info/%s:%s.list", admindir, r->name, r->arch);
	f = open_list(path);
	if (!f && errno == ENOENT) {
		snprintf(path, sizeof(path), "%s/info/%s.list", admindir, r->name);
		f = open_list(path);
	}
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		const char *p;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || !strcmp(line, "/."))
			continue;
		count++;
		p = merged ? dsp_dpkg_canon_path(line, canon, sizeof(canon)) : line;
		if (under_unpackaged_roots(p) && set_add(owned, p) < 0) {
			count = -ENOMEM;
			break;
		}
	}
	free(line);
	fclose(f);
	return count;
}

static struct json_object *pkg_item(const char *manager, const char *name,
				    const char *version, const char *arch,
				    uint64_t size, int64_t files)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "manager", json_object_new_string(manager));
	json_object_object_add(o, "name", dsp_inv_string(name, NULL));
	json_object_object_add(o, "version", version ? dsp_inv_string(version, NULL) : NULL);
	json_object_object_add(o, "arch", arch ? dsp_inv_string(arch, NULL) : NULL);
	json_object_object_add(o, "installed_size", json_object_new_int64((int64_t)size));
	json_object_object_add(o, "files", files >= 0 ? json_object_new_int64(files) : NULL);
	return o;
}

static int emit_item(dsp_inv_emit_fn emit, void *arg, struct json_object *o)
{
	int rc;

	if (!o)
		return -ENOMEM;
	rc = emit(arg, "software", o);
	json_object_put(o);
	return rc;
}

struct sw {
	const struct dsp_inv_opts *opts;
	dsp_inv_emit_fn emit;
	void *arg;
	const char *sysroot;
	struct pathset owned;
	int merged;
};

/* 1 when dpkg was read, 0 when absent, -errno when present but unreadable, or emit's rc. */
static int scan_dpkg(struct sw *s, int *stop)
{
	char admindir[4096], path[4200];
	struct dpkg_db db = { 0 };
	char *text;
	size_t len;
	int r, rc = 0;

	snprintf(admindir, sizeof(admindir), "%s/var/lib/dpkg", s->sysroot);
	snprintf(path, sizeof(path), "%s/status", admindir);
	r = slurp(path, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		if ((*stop = emit_err(s->emit, s->arg, "dpkg", path, -r)))
			return *stop;
		return r;
	}
	r = dpkg_parse(text, len, db_put, &db);
	free(text);
	if (r == -EBADMSG) {
		if ((*stop = dsp_inv_error(s->emit, s->arg, "dpkg", path,
					   "malformed stanza skipped")))
			goto out;
	} else if (r < 0) {
		rc = r;
		goto out;
	}
	if ((*stop = apply_journal(admindir, &db, s->emit, s->arg)))
		goto out;
	for (size_t i = 0; i < db.n; i++) {
		const struct dpkg_rec *p = &db.v[i];
		int64_t files;

		if (!p->installed)
			continue;
		files = read_list(admindir, p, s->merged, &s->owned);
		if (files == -ENOMEM) {
			rc = -ENOMEM;
			goto out;
		}
		if (files < 0) {
			char lp[4200], b[192], e[128];

			snprintf(lp, sizeof(lp), "%s/info/%s.list", admindir, p->name);
			snprintf(b, sizeof(b), "file list: %s", why((int)-files, e, sizeof(e)));
			if ((*stop = dsp_inv_error(s->emit, s->arg, "dpkg", lp, b)))
				goto out;
		}
		if ((*stop = emit_item(s->emit, s->arg,
				       pkg_item("dpkg", p->name, p->version, p->arch,
						p->size, files))))
			goto out;
	}
	rc = 1;
out:
	db_free(&db);
	return *stop ? *stop : rc;
}

/* ---- rpm: the sqlite rpmdb, through libsqlite3 loaded at run time ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int dsp_rpm_parse_header(const uint8_t *blob, size_t len, struct dsp_rpm_pkg *pkg)
{
	uint32_t il, dl;
	const uint8_t *idx, *data;

	memset(pkg, 0, sizeof(*pkg));
	pkg->epoch = -1;
	if (len < 8)
		return -EBADMSG;
	il = be32(blob);
	dl = be32(blob + 4);
	if (il > 0x10000 || dl > 0x10000000 || (uint64_t)il * 16 + dl + 8 > len)
		return -EBADMSG;
	idx = blob + 8;
	data = idx + (size_t)il * 16;
	for (uint32_t i = 0; i < il; i++) {
		const uint8_t *e = idx + (size_t)i * 16;
		uint32_t tag = be32(e), type = be32(e + 4), off = be32(e + 8), cnt = be32(e + 12);
		const char **str = NULL;

		if (off >= dl)
			continue;
		switch (tag) {
		case 1000: str = &pkg->name; break;
		case 1001: str = &pkg->version; break;
		case 1002: str = &pkg->release; break;
		case 1022: str = &pkg->arch; break;
		case 1003:
			if (type == 4 && cnt >= 1 && (uint64_t)off + 4 <= dl)
				pkg->epoch = (int64_t)be32(data + off);
			break;
		case 1009:
			if (type == 4 && cnt >= 1 && (uint64_t)off + 4 <= dl && !pkg->size)
				pkg->size = be32(data + off);
			break;
		case 5009:
			if (type == 5 && cnt >= 1 && (uint64_t)off + 8 <= dl)
				pkg->size = (uint64_t)be32(data + off) << 32 | be32(data + off + 4);
			break;
		case 1117:
			if (type == 8)
				pkg->files = cnt;
			break;
		}
		/* strings must end inside the data area */
		if (str && (type == 6 || type == 9) &&
		    memchr(data + off, '\0', dl - off))
			*str = (const char *)(data + off);
	}
	return pkg->name ? 0 : -EBADMSG;
}

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
struct sqlite_api {
	void *dl;
	int (*open_v2)(const char *, sqlite3 **, int, const char *);
	int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
	int (*step)(sqlite3_stmt *);
	const void *(*column_blob)(sqlite3_stmt *, int);
	int (*column_bytes)(sqlite3_stmt *, int);
	int (*finalize)(sqlite3_stmt *);
	int (*close)(sqlite3 *);
	const char *(*errmsg)(sqlite3 *);
};
#define SQLITE_OPEN_READONLY	0x01
#define SQLITE_OPEN_READWRITE	0x02
#define SQLITE_OPEN_URI		0x40
#define SQLITE_ROW		100
#define SQLITE_DONE		101

static int sqlite_load(struct sqlite_api *a)
{
	a->dl = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!a->dl)
		return -ENOSYS;
	*(void **)&a->open_v2 = dlsym(a->dl, "sqlite3_open_v2");
	*(void **)&a->prepare_v2 = dlsym(a->dl, "sqlite3_prepare_v2");
	*(void **)&a->step = dlsym(a->dl, "sqlite3_step");
	*(void **)&a->column_blob = dlsym(a->dl, "sqlite3_column_blob");
	*(void **)&a->column_bytes = dlsym(a->dl, "sqlite3_column_bytes");
	*(void **)&a->finalize = dlsym(a->dl, "sqlite3_finalize");
	*(void **)&a->close = dlsym(a->dl, "sqlite3_close");
	*(void **)&a->errmsg = dlsym(a->dl, "sqlite3_errmsg");
	if (!a->open_v2 || !a->prepare_v2 || !a->step || !a->column_blob ||
	    !a->column_bytes || !a->finalize || !a->close || !a->errmsg) {
		dlclose(a->dl);
		return -ENOSYS;
	}
	return 0;
}

static int rpm_item(struct sw *s, const struct dsp_rpm_pkg *p)
{
	char ver[1024];

	if (p->epoch >= 0)
		snprintf(ver, sizeof(ver), "%lld:%s-%s", (long long)p->epoch,
			 p->version ? p->version : "", p->release ? p->release : "");
	else
		snprintf(ver, sizeof(ver), "%s-%s", p->version ? p->version : "",
			 p->release ? p->release : "");
	return emit_item(s->emit, s->arg,
			 pkg_item("rpm", p->name, ver, p->arch, p->size, p->files));
}

/* Copy the regular file src (not through a symlink) to the new file dst. 0 or -errno. */
static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), out = -1;
	char buf[65536];
	struct stat st;
	ssize_t n;
	int rc = 0;

	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(out, buf + o, (size_t)(n - o));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = -errno;
				goto out;
			}
			o += w;
		}
	}
out:
	if (out >= 0 && close(out) < 0 && !rc)
		rc = -errno;
	close(in);
	return rc;
}

static const char *const rpm_copy_names[] = {
	"rpmdb.sqlite", "rpmdb.sqlite-wal", "rpmdb.sqlite-shm", "rpmdb.sqlite-journal",
};

static void rpm_copy_remove(const char *dir)
{
	char p[4200];

	for (size_t i = 0; i < DSP_ARRAY_SIZE(rpm_copy_names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, rpm_copy_names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/*
 * rpm keeps its sqlite database in WAL mode: the last transactions may be
 * only in rpmdb.sqlite-wal. An immutable open does not read the log, and a
 * plain open would create -shm beside the target's database. So the database
 * and its log are copied into a private directory (dir, made here) and the
 * copy is opened: sqlite applies the log there. 0, or -errno (dir removed).
 */
static int rpm_copy(const char *path, char *dir, size_t dirlen, char *copy, size_t copylen)
{
	const char *tmp = getenv("TMPDIR");
	char wal[4210], dst[4310];
	int rc;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(dir, dirlen, "%s/dispose-rpmdb.XXXXXX", tmp) >= dirlen)
		return -ENAMETOOLONG;
	if (!mkdtemp(dir))
		return -errno;
	snprintf(copy, copylen, "%s/rpmdb.sqlite", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(dst, sizeof(dst), "%s-wal", copy);
	/* the log first: one checkpoint in between then loses nothing */
	if ((rc = copy_file(wal, dst)) || (rc = copy_file(path, copy)))
		rpm_copy_remove(dir);
	return rc;
}

/* "file:" URI of path, reserved characters percent-encoded. */
static int rpm_uri(const char *path, char *uri, size_t len)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(uri, len, "file:");

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (o + 4 >= len)
			return -ENAMETOOLONG;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/._-~", *p)) {
			uri[o++] = (char)*p;
		} else {
			uri[o++] = '%';
			uri[o++] = hx[*p >> 4];
			uri[o++] = hx[*p & 15];
		}
	}
	if (o + sizeof("?immutable=1") > len)
		return -ENAMETOOLONG;
	memcpy(uri + o, "?immutable=1", sizeof("?immutable=1"));
	return 0;
}

/* 1 when read, 0 when absent, -errno when present but not read, or emit's rc via *stop. */
static int scan_rpm(struct sw *s, int *stop)
{
	static const char *const dirs[] = { "/var/lib/rpm", "/usr/lib/sysimage/rpm" };
	static const char *const other[] = { "Packages", "Packages.db" };
	char path[4200], uri[12700], msg[512], wal[4210], dir[4200] = "", copy[4300];
	struct sqlite_api a;
	struct stat wst;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	const char *found = NULL;
	int r, bad = 0, ok;

	for (size_t i = 0; i < DSP_ARRAY_SIZE(dirs) && !found; i++) {
		snprintf(path, sizeof(path), "%s%s/rpmdb.sqlite", s->sysroot, dirs[i]);
		if (access(path, F_OK) == 0) {
			found = path;
			break;
		}
		for (size_t k = 0; k < DSP_ARRAY_SIZE(other); k++) {
			snprintf(path, sizeof(path), "%s%s/%s", s->sysroot, dirs[i], other[k]);
			if (access(path, F_OK) == 0) {
				/* Berkeley DB and ndb backends need their own reader */
				*stop = dsp_inv_error(s->emit, s->arg, "rpm", path,
						      "rpm database not read: only the sqlite backend is supported");
				return *stop ? *stop : -ENOTSUP;
			}
		}
	}
	if (!found)
		return 0;
	if (sqlite_load(&a) < 0) {
		*stop = dsp_inv_error(s->emit, s->arg, "rpm", path,
				      "rpm database not read: libsqlite3.so.0 is not available");
		return *stop ? *stop : -ENOSYS;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (lstat(wal, &wst) == 0 && S_ISREG(wst.st_mode) && wst.st_size > 0) {
		r = rpm_copy(path, dir, sizeof(dir), copy, sizeof(copy));
		if (r < 0) {
			char b[128];

			dir[0] = '\0';
			snprintf(msg, sizeof(msg), "write-ahead log not applied (copying the database: %s): "
				 "the last transactions may be missing", why(-r, b, sizeof(b)));
			if ((*stop = dsp_inv_error(s->emit, s->arg, "rpm", wal, msg))) {
				dlclose(a.dl);
				return *stop;
			}
		}
	}
	if (dir[0]) {
		/* the private copy: sqlite may write there (-shm, the checkpoint) */
		ok = a.open_v2(copy, &db, SQLITE_OPEN_READWRITE, NULL) == 0;
	} else {
		/* immutable: no locks, no -shm/-wal files created; we only read */
		ok = rpm_uri(path, uri, sizeof(uri)) == 0 &&
		     a.open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == 0;
	}
	if (!ok || a.prepare_v2(db, "SELECT blob FROM Packages", -1, &q, NULL) != 0) {
		snprintf(msg, sizeof(msg), "rpm database not read: %s",
			 db ? a.errmsg(db) : "cannot open");
		*stop = dsp_inv_error(s->emit, s->arg, "rpm", path, msg);
		a.close(db);
		if (dir[0])
			rpm_copy_remove(dir);
		dlclose(a.dl);
		return *stop ? *stop : -EBADMSG;
	}
	while ((r = a.step(q)) == SQLITE_ROW) {
		const uint8_t *blob = a.column_blob(q, 0);
		int n = a.column_bytes(q, 0);
		struct dsp_rpm_pkg p;

		if (!blob || n <= 0 || dsp_rpm_parse_header(blob, (size_t)n, &p) < 0) {
			bad++;
			continue;
		}
		if ((*stop = rpm_item(s, &p)))
			break;
	}
	if (!*stop && r != SQLITE_DONE && r != SQLITE_ROW) {
		snprintf(msg, sizeof(msg), "rpm database read stopped: %s", a.errmsg(db));
		*stop = dsp_inv_error(s->emit, s->arg, "rpm", path, msg);
	}
	if (!*stop && bad) {
		snprintf(msg, sizeof(msg), "%d corrupt package header(s) skipped", bad);
		*stop = dsp_inv_error(s->emit, s->arg, "rpm", path, msg);
	}
	a.finalize(q);
	a.close(db);
	if (dir[0])
		rpm_copy_remove(dir);
	dlclose(a.dl);
	return *stop ? *stop : 1;
}

/* ---- unpackaged trees under /opt and /usr/local ---- */

struct tree_sum {
	uint64_t size;
	int64_t files;
	dev_t dev;
};

/* A directory of the tree, without touching its access time (evidence) where permitted. */
static int open_dir_at(int dfd, const char *name)
{
	int fl = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(dfd, name, fl | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, fl);
	return fd;
}

/* Sum a tree through directory descriptors; never follows links or leaves the filesystem. */
static int tree_measure(struct sw *s, int dfd, char *path, size_t plen, size_t cap,
			struct tree_sum *t, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dfd);
		return emit_err(s->emit, s->arg, "unpackaged", path, errno);
	}
	while (!rc && (errno = 0, de = readdir(d))) {
		struct stat st;
		size_t nl = strlen(de->d_name), clen;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* the walk is by descriptor: a path too long to show is still counted */
		if (plen + nl + 2 <= cap) {
			path[plen] = '/';
			memcpy(path + plen + 1, de->d_name, nl + 1);
			clen = plen + 1 + nl;
		} else {
			clen = plen;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = emit_err(s->emit, s->arg, "unpackaged", path, errno);
		} else if (!S_ISDIR(st.st_mode)) {
			t->files++;
			if (S_ISREG(st.st_mode))
				t->size += (uint64_t)st.st_size;
		} else if (st.st_dev == t->dev && depth >= 256) {
			rc = dsp_inv_error(s->emit, s->arg, "unpackaged", path,
					   "too deep: not measured below");
		} else if (st.st_dev == t->dev) {
			cfd = open_dir_at(dirfd(d), de->d_name);
			if (cfd < 0)
				rc = emit_err(s->emit, s->arg, "unpackaged", path, errno);
			else
				rc = tree_measure(s, cfd, path, clen, cap, t, depth + 1);
		}
		path[plen] = '\0';
	}
	if (!rc && errno)
		rc = emit_err(s->emit, s->arg, "unpackaged", path, errno);
	closedir(d);
	return rc;
}

static int is_container(const char *p)
{
	static const char *const c[] = {
		"/opt", "/usr/local", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib",
		"/usr/local/lib64", "/usr/local/libexec", "/usr/local/share",
		"/usr/local/include", "/usr/local/etc", "/usr/local/games", "/usr/local/src",
		"/usr/local/man",
	};

	for (size_t i = 0; i < DSP_ARRAY_SIZE(c); i++)
		if (!strcmp(p, c[i]))
			return 1;
	return 0;
}

/* Descend through packaged or standard directories; report each unowned tree. */
static int scan_container(struct sw *s, const char *rel, int depth)
{
	char full[4200], child[4200];
	struct dirent *de;
	struct stat dst;
	DIR *d;
	int fd, rc = 0;

	snprintf(full, sizeof(full), "%s%s", s->sysroot, rel);
	fd = open_dir_at(AT_FDCWD, full);
	if (fd < 0)
		return errno == ENOENT ? 0 : emit_err(s->emit, s->arg, "unpackaged", rel, errno);
	if (fstat(fd, &dst) < 0 || !(d = fdopendir(fd))) {
		rc = emit_err(s->emit, s->arg, "unpackaged", rel, errno);
		close(fd);
		return rc;
	}
	while (!rc && (errno = 0, de = readdir(d))) {
		struct stat st;
		struct tree_sum t = { .dev = dst.st_dev };

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s/%s", rel, de->d_name) >= sizeof(child))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = emit_err(s->emit, s->arg, "unpackaged", child, errno);
			continue;
		}
		if (S_ISDIR(st.st_mode) && (set_has(&s->owned, child) || is_container(child))) {
			if (depth < 32 && st.st_dev == dst.st_dev)
				rc = scan_container(s, child, depth + 1);
			continue;
		}
		if (set_has(&s->owned, child))
			continue;
		if (S_ISDIR(st.st_mode)) {
			char buf[4200];
			int cfd;

			if (st.st_dev != dst.st_dev)
				continue;	/* a mount of its own, not software */
			cfd = open_dir_at(dirfd(d), de->d_name);
			if (cfd < 0) {
				rc = emit_err(s->emit, s->arg, "unpackaged", child, errno);
				continue;
			}
			snprintf(buf, sizeof(buf), "%s", child);
			rc = tree_measure(s, cfd, buf, strlen(buf), sizeof(buf), &t, 0);
			if (rc || t.files == 0)
				continue;
		} else {
			t.files = 1;
			t.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
		}
		rc = emit_item(s->emit, s->arg,
			       pkg_item("unpackaged", child, NULL, NULL, t.size, t.files));
	}
	if (!rc && errno)
		rc = emit_err(s->emit, s->arg, "unpackaged", rel, errno);
	closedir(d);
	return rc;
}

int dsp_inv_software(const struct dsp_inv_opts *opts, dsp_inv_emit_fn emit, void *arg)
{
	struct sw s = { .opts = opts, .emit = emit, .arg = arg,
			.sysroot = opts->sysroot ? opts->sysroot : "" };
	char bin[4200];
	struct stat st;
	int stop = 0, dpkg = 0, rpm = 0, rc;

	snprintf(bin, sizeof(bin), "%s/bin", s.sysroot);
	s.merged = lstat(bin, &st) == 0 && S_ISLNK(st.st_mode);

	dpkg = scan_dpkg(&s, &stop);
	if (stop)
		goto out;
	rpm = scan_rpm(&s, &stop);
	if (stop)
		goto out;
	if (dpkg == 0 && rpm == 0 &&
	    (stop = dsp_inv_error(emit, arg, "software", NULL,
				  "no package database found (dpkg, rpm)")))
		goto out;
	if ((stop = scan_container(&s, "/opt", 0)) || (stop = scan_container(&s, "/usr/local", 0)))
		goto out;
out:
	set_free(&s.owned);
	if (stop)
		return stop;
	/* the category failed when databases exist and none of them could be read */
	rc = (dpkg < 0 || rpm < 0) && dpkg <= 0 && rpm <= 0;
	return rc ? (dpkg < 0 ? dpkg : rpm) : 0;
}
