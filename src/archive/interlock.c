/* SPDX-License-Identifier: MIT */
/*
 * interlock.c - an archive as the run record knows it: verify's match of an
 * archive against its archive_created, and the erase interlock (is a
 * retained item covered by a verified archive that is still there?)
 */
/* Archive files used (no cycles, see common.c): common, envelope */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/util.h"
#include "archive_int.h"

/* --- an archive as its archive_created event records it ----------------------- */

/*
 * Everything that identifies the archive's files: its External-Identifier,
 * whether it is encrypted, its counts, and the SHA-256 of every volume's
 * ciphertext (or of the plain file) and envelope, in order. An event that
 * lacks any of them identifies nothing.
 */
struct arc_rec {
	char id[64];
	char *path;		/* where create wrote it */
	int encrypted;
	int64_t files, payload_bytes;
	unsigned nvol;
	char (*ct)[65], (*env)[65];
	char *items_file;	/* its item list (NULL: listed inline, old records) */
	char items_sha[65];
	struct json_object *items;	/* inline list (a reference), or NULL */
};

static void rec_free(struct arc_rec *r)
{
	if (!r)
		return;
	free(r->path);
	free(r->ct);
	free(r->env);
	free(r->items_file);
	json_object_put(r->items);
	memset(r, 0, sizeof(*r));
}

#define str_field(o, k) dsp_json_str(o, k)

static int is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* A count or size: 0, or -1 when absent, not an integer or negative. */
static int int_field(struct json_object *o, const char *k, int64_t *out)
{
	return dsp_json_i64(o, k, out) || *out < 0 ? -1 : 0;
}

/* The External-Identifier an archive_created names, or NULL. */
static const char *created_id(struct json_object *ev)
{
	struct json_object *bi;
	const char *event = str_field(ev, "event");

	if (!event || strcmp(event, "archive_created") ||
	    !json_object_object_get_ex(ev, "bag_info", &bi))
		return NULL;
	return str_field(bi, "External-Identifier");
}

/*
 * Parse an archive_created event strictly: 0, or DSP_MISMATCH with *why
 * saying what is missing or inconsistent; -ENOMEM.
 */
static int rec_parse(struct json_object *ev, struct arc_rec *r, const char **why)
{
	struct json_object *v, *vols = NULL;
	const char *id = created_id(ev), *p, *sha = str_field(ev, "sha256"),
		   *esha = str_field(ev, "envelope_sha256");
	size_t n = 1;

	memset(r, 0, sizeof(*r));
	*why = "no External-Identifier";
	if (!id || !id[0] || strlen(id) >= sizeof(r->id))
		return DSP_MISMATCH;
	snprintf(r->id, sizeof(r->id), "%s", id);
	*why = "not marked verified";
	if (!json_object_object_get_ex(ev, "verified", &v) ||
	    !json_object_is_type(v, json_type_boolean) || !json_object_get_boolean(v))
		return DSP_MISMATCH;
	*why = "no archive path";
	if (!(p = str_field(ev, "archive")) || !p[0])
		return DSP_MISMATCH;
	*why = "no encrypted flag";
	if (!json_object_object_get_ex(ev, "encrypted", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return DSP_MISMATCH;
	r->encrypted = json_object_get_boolean(v);
	*why = "no file or byte count";
	if (int_field(ev, "files", &r->files) || int_field(ev, "payload_bytes", &r->payload_bytes))
		return DSP_MISMATCH;
	*why = "no SHA-256 of the archive or its envelope";
	if (!is_hex64(sha) || (r->encrypted && !is_hex64(esha)))
		return DSP_MISMATCH;
	if (json_object_object_get_ex(ev, "volumes", &vols)) {
		*why = "a volume list where there can be none, or one of fewer than 2 volumes";
		if (!r->encrypted || !json_object_is_type(vols, json_type_array) ||
		    (n = json_object_array_length(vols)) < 2 || n > 100000)
			return DSP_MISMATCH;
	}
	if (!(r->path = strdup(p)) || !(r->ct = calloc(n, sizeof(*r->ct))) ||
	    !(r->env = calloc(n, sizeof(*r->env))))
		return -ENOMEM;
	r->nvol = (unsigned)n;
	snprintf(r->ct[0], 65, "%s", sha);
	if (r->encrypted)
		snprintf(r->env[0], 65, "%s", esha);
	for (size_t k = 0; vols && k < n; k++) {
		struct json_object *vo = json_object_array_get_idx(vols, k);
		const char *c = str_field(vo, "sha256"), *e = str_field(vo, "envelope_sha256");
		int64_t idx;

		*why = "a volume without its index or digests, or out of order";
		if (int_field(vo, "index", &idx) || idx != (int64_t)k + 1 ||
		    !is_hex64(c) || !is_hex64(e))
			return DSP_MISMATCH;
		/* volume 1 is the archive itself */
		*why = "volume 1 differs from the archive's own digests";
		if (k == 0 && (strcmp(c, r->ct[0]) || strcmp(e, r->env[0])))
			return DSP_MISMATCH;
		snprintf(r->ct[k], 65, "%s", c);
		snprintf(r->env[k], 65, "%s", e);
	}
	if ((p = str_field(ev, "items_file"))) {
		*why = "no digest of its item list";
		if (!is_hex64(str_field(ev, "items_sha256")))
			return DSP_MISMATCH;
		if (!(r->items_file = strdup(p)))
			return -ENOMEM;
		snprintf(r->items_sha, sizeof(r->items_sha), "%s", str_field(ev, "items_sha256"));
	} else if (json_object_object_get_ex(ev, "items", &v) &&
		   json_object_is_type(v, json_type_array)) {
		r->items = json_object_get(v);
	}
	return 0;
}

/* SHA-256 of path (symbolic links followed, as verify reads it). */
static int file_sha256(const char *path, char hex[65])
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return -errno;
	return arc_file_sha256(real, hex);
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? 1 : errno == ENOENT ? 0 : -errno;
}

/*
 * The files of archive NAME must be those r records: every volume's
 * ciphertext and envelope with the SHA-256 recorded, and no volume more
 * (nor an envelope beside a plain archive). plain_sha, when not NULL, is
 * the SHA-256 of a plain NAME as it was just verified: used instead of
 * reading the file again. 0; DSP_MISMATCH with why (the file and what);
 * -errno when a file cannot be read.
 */
static int rec_check_files(const struct arc_rec *r, const char *name, const char *plain_sha,
			   char *why, size_t wlen)
{
	char env1[PATH_MAX + 8], h[65];
	int rc = 0;

	if ((size_t)snprintf(env1, sizeof(env1), "%s%s", name, DSP_ENV_SUFFIX) >= sizeof(env1))
		return -ENAMETOOLONG;
	if (!r->encrypted) {
		if (plain_sha && plain_sha[0])
			snprintf(h, sizeof(h), "%s", plain_sha);
		else if ((rc = file_sha256(name, h)))
			goto io;
		if (strcmp(h, r->ct[0])) {
			snprintf(why, wlen, "%.2000s: SHA-256 differs from the one recorded", name);
			return DSP_MISMATCH;
		}
		if ((rc = exists(env1)) != 0) {
			if (rc < 0)
				goto io;
			snprintf(why, wlen, "%.1400s: recorded as plain, but %.1400s exists", name, env1);
			return DSP_MISMATCH;
		}
		return 0;
	}
	for (unsigned k = 1; k <= r->nvol + 1; k++) {
		char *c = dsp_env_volume_ct_path(name, k), *e = dsp_env_volume_env_path(env1, k);

		if (!c || !e) {
			rc = -ENOMEM;
		} else if (k > r->nvol) {
			/* the set of volumes, exactly: decryption would go on into a stray one */
			int ce = exists(c), ee = exists(e);

			rc = ce < 0 ? ce : ee < 0 ? ee : 0;
			if (!rc && (ce || ee)) {
				snprintf(why, wlen, "%.2000s: volume %u is not in the record (it holds %u)",
					 ce ? c : e, k, r->nvol);
				rc = DSP_MISMATCH;
			}
		} else {
			for (int f = 0; f < 2 && !rc; f++) {
				const char *path = f ? e : c;

				rc = file_sha256(path, h);
				if (rc == -ENOENT) {
					snprintf(why, wlen, "%.2000s: volume %u of %u is missing", path,
						 k, r->nvol);
					rc = DSP_MISMATCH;
				} else if (!rc && strcmp(h, f ? r->env[k - 1] : r->ct[k - 1])) {
					snprintf(why, wlen, "%.2000s: SHA-256 of volume %u differs from "
						 "the one recorded", path, k);
					rc = DSP_MISMATCH;
				} else if (rc < 0) {
					snprintf(why, wlen, "%.2000s: %s", path, strerror(-rc));
				}
			}
		}
		free(c);
		free(e);
		if (rc)
			return rc;
	}
	return 0;
io:
	snprintf(why, wlen, "%.2000s: %s", name, strerror(-rc));
	return rc;
}

/* --- verify: the archive against the run record -------------------------------- */

/* A record whose archive events verify may add to: archive create's, or dispose run's. */
static int archive_cmd(const char *c)
{
	return c && (!strcmp(c, DSP_ARCHIVE_CREATE_CMD) || !strcmp(c, DSP_RECORD_CMD_RUN));
}

struct match {
	const char *id;
	struct arc_rec rec;
	int found, rc;
	char other[64];		/* the command of a record of another command */
	const char *why;
};

static void match_find(const struct dsp_record *rec, struct match *m)
{
	const char *c = rec->command;

	/* one run directory holds one command's record: verify writes only to create's or a run's */
	if (rec->run_start && !archive_cmd(c))
		snprintf(m->other, sizeof(m->other), "%s", c ? c : "an unnamed command");
	/* the last one recorded for this identifier wins */
	for (size_t i = rec->narchives; i-- > 0;) {
		const struct dsp_record_archive *a = &rec->archives[i];

		if (a->id && !strcmp(a->id, m->id)) {
			m->found = 1;
			m->rc = rec_parse(a->event, &m->rec, &m->why);
			return;
		}
	}
}

/* Not this archive's record: refused, and said with the run directory first. */
static int refuse(struct dsp_archive_result *res, const char *run_dir, const char *other)
{
	res->record_refused = DSP_REFUSED;
	if (other)
		snprintf(res->bad_path, sizeof(res->bad_path), "%.2000s: the run record of %.100s, "
			 "not of an archive create or a run: archive_verified not recorded",
			 run_dir, other);
	else
		snprintf(res->bad_path, sizeof(res->bad_path), "%.2000s: the run record holds no "
			 "archive_created of this archive (External-Identifier %s): "
			 "archive_verified not recorded", run_dir, res->external_id);
	return DSP_REFUSED;
}

int dsp_archive_record_check(const char *run_dir, struct dsp_archive_result *res)
{
	struct dsp_record *rec;
	int rc = dsp_record_read(run_dir, &rec);

	memset(res, 0, sizeof(*res));
	if (rc == -ENOENT || rc == -ENOTDIR) {
		res->record_refused = DSP_INVALID;
		snprintf(res->bad_path, sizeof(res->bad_path), "%.2000s: no run record there",
			 run_dir);
		return DSP_INVALID;
	}
	if (rc)
		return rc;
	if (rec->chain || rec->torn) {
		res->record_refused = DSP_INVALID;
		snprintf(res->bad_path, sizeof(res->bad_path), "%.2000s: run record is damaged (%s "
			 "at line %llu): archive_verified not recorded", run_dir,
			 rec->torn ? "a torn last line" : "hash chain broken",
			 (unsigned long long)(rec->torn ? rec->events + 1 : rec->bad_line));
		rc = DSP_INVALID;
	} else if (rec->command && !archive_cmd(rec->command)) {
		rc = refuse(res, run_dir, rec->command);
		dsp_audit(DSP_AUDIT_WARNING, "archive verify refused: %s", res->bad_path);
	}
	dsp_record_free(rec);
	return rc;
}

int arc_record_match(const char *run_dir, const char *name, struct dsp_archive_result *res)
{
	struct match m = { .id = res->external_id };
	struct dsp_record *rec;
	char why[3000];
	int rc;

	if (!res->external_id[0]) {
		snprintf(res->bad_path, sizeof(res->bad_path),
			 "run record %.2000s: the archive has no External-Identifier to find it by",
			 run_dir);
		return DSP_MISMATCH;
	}
	if ((rc = dsp_record_read(run_dir, &rec)) < 0)
		return rc;
	match_find(rec, &m);
	rc = rec->chain || rec->torn ? DSP_MISMATCH : m.rc < 0 ? m.rc : 0;
	dsp_record_free(rec);
	if (rc < 0) {
		rec_free(&m.rec);
		return rc;
	}
	if (rc) {
		snprintf(why, sizeof(why), "hash chain broken");
		rc = DSP_MISMATCH;
	} else if (m.other[0] || !m.found) {
		rec_free(&m.rec);
		return refuse(res, run_dir, m.other[0] ? m.other : NULL);
	} else if ((rc = m.rc)) {
		snprintf(why, sizeof(why), "its archive_created of %s is incomplete: %s",
			 res->external_id, m.why);
	} else if (m.rec.encrypted != res->encrypted) {
		snprintf(why, sizeof(why), "records the archive as %s, but it is %s",
			 m.rec.encrypted ? "encrypted" : "plain",
			 res->encrypted ? "encrypted" : "plain");
		rc = DSP_MISMATCH;
	} else if ((uint64_t)m.rec.files != res->files ||
		   (uint64_t)m.rec.payload_bytes != res->payload_bytes) {
		snprintf(why, sizeof(why), "records %lld files of %lld bytes, the archive holds "
			 "%llu of %llu", (long long)m.rec.files, (long long)m.rec.payload_bytes,
			 (unsigned long long)res->files, (unsigned long long)res->payload_bytes);
		rc = DSP_MISMATCH;
	} else {
		rc = rec_check_files(&m.rec, name, res->encrypted ? NULL : res->sha256,
				     why, sizeof(why));
	}
	if (rc == 0) {
		/* just read and found equal: archive_verified need not hash them again */
		snprintf(res->sha256, sizeof(res->sha256), "%s", m.rec.ct[0]);
		if (res->encrypted)
			snprintf(res->env_sha256, sizeof(res->env_sha256), "%s", m.rec.env[0]);
	}
	rec_free(&m.rec);
	if (rc)
		snprintf(res->bad_path, sizeof(res->bad_path), "run record %.1000s: %s",
			 run_dir, why);
	return rc;
}

/* --- the interlock ------------------------------------------------------------- */

struct dsp_archive_cover {
	char **keys;		/* "sha512 path", sorted */
	size_t n, cap;
};

static char *make_key(const char *sha512, const char *path)
{
	size_t ls = strlen(sha512), lp = strlen(path);
	char *k = malloc(ls + 1 + lp + 1);

	if (!k)
		return NULL;
	for (size_t i = 0; i < ls; i++)	/* hex compares case-insensitively */
		k[i] = (sha512[i] >= 'A' && sha512[i] <= 'F') ? sha512[i] + 32 : sha512[i];
	k[ls] = ' ';
	memcpy(k + ls + 1, path, lp + 1);
	return k;
}

/* c NULL: only count. A file that changed while it was read is not covered. */
static int add_item(struct dsp_archive_cover *c, struct json_object *it,
		    int64_t *files, int64_t *bytes)
{
	const char *h = str_field(it, "sha512");
	struct json_object *v;
	int64_t size = 0;
	char *p = NULL;
	int rc = 0;

	(*files)++;
	if (!int_field(it, "size", &size))
		*bytes += size;
	if (!c || !h || strlen(h) != 128)
		return 0;
	if (json_object_object_get_ex(it, "changed", &v) && json_object_get_boolean(v))
		return 0;
	/* the exact bytes of the name (path_hex when it is not UTF-8), as the erase walk has it */
	if (dsp_json_bytes(it, "path", &p, NULL))
		return 0;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 256;
		char **nk = realloc(c->keys, nc * sizeof(*nk));

		if (!nk) {
			free(p);
			return -ENOMEM;
		}
		c->keys = nk;
		c->cap = nc;
	}
	if (!(c->keys[c->n] = make_key(h, p)))
		rc = -ENOMEM;
	else
		c->n++;
	free(p);
	return rc;
}

/*
 * The item list in its own file of the run directory, bound by the
 * event's SHA-256: a file that differs, or one that lists other counts than
 * the event, breaks the record (DSP_MISMATCH). c NULL: check only.
 */
static int load_items_file(struct dsp_archive_cover *c, const char *dir,
			   const struct arc_rec *r)
{
	char path[PATH_MAX], *line = NULL, hex[65];
	const char *name = r->items_file;
	size_t cap = 0;
	ssize_t len;
	uint8_t d[32];
	int64_t files = 0, bytes = 0;
	EVP_MD_CTX *md;
	FILE *fp;
	int fd, rc = 0;

	if (!name[0] || name[0] == '.' || strchr(name, '/'))
		return DSP_MISMATCH;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? DSP_MISMATCH : -errno;
	if (!(fp = fdopen(fd, "r"))) {
		close(fd);
		return -errno;
	}
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		struct json_object *it;

		EVP_DigestUpdate(md, line, (size_t)len);
		it = json_tokener_parse(line);
		rc = it ? add_item(c, it, &files, &bytes) : 0;
		json_object_put(it);
		if (rc)
			goto out;
	}
	if (ferror(fp)) {
		rc = -EIO;
		goto out;
	}
	EVP_DigestFinal_ex(md, d, NULL);
	dsp_hex(d, 32, hex);
	if (strcmp(hex, r->items_sha) || files != r->files || bytes != r->payload_bytes)
		rc = DSP_MISMATCH;
out:
	free(line);
	EVP_MD_CTX_free(md);
	fclose(fp);
	return rc;
}

static int load_items(struct dsp_archive_cover *c, const char *dir, const struct arc_rec *r)
{
	int64_t files = 0, bytes = 0;
	size_t n;

	if (r->items_file)
		return load_items_file(c, dir, r);
	if (!r->items)	/* records written before the item list had a file of its own */
		return 0;
	n = json_object_array_length(r->items);
	for (size_t i = 0; i < n; i++) {
		int rc = add_item(c, json_object_array_get_idx(r->items, i), &files, &bytes);

		if (rc)
			return rc;
	}
	return 0;
}

/* Where an archive was last verified (archive_verified), by identifier. */
struct seen {
	char id[64];
	char *path;
};

struct cover_walk {
	struct arc_rec *recs;
	size_t nrec, rcap;
	struct seen *seen;
	size_t nseen, scap;
	const char *dir;
};

static int note_verified(struct cover_walk *w, struct json_object *ev)
{
	const char *id = str_field(ev, "external_identifier"), *p = str_field(ev, "archive"),
		   *res = str_field(ev, "result");
	size_t i;

	if (!id || !id[0] || strlen(id) >= sizeof(w->seen->id) || !p || !p[0] ||
	    !res || strcmp(res, "ok"))
		return 0;
	for (i = 0; i < w->nseen && strcmp(w->seen[i].id, id); i++)
		;
	if (i == w->nseen) {
		if (w->nseen == w->scap) {
			size_t nc = w->scap ? w->scap * 2 : 8;
			struct seen *ns = realloc(w->seen, nc * sizeof(*ns));

			if (!ns)
				return -ENOMEM;
			w->seen = ns;
			w->scap = nc;
		}
		snprintf(w->seen[i].id, sizeof(w->seen[i].id), "%s", id);
		w->seen[i].path = NULL;
		w->nseen++;
	}
	free(w->seen[i].path);	/* the latest location wins */
	return (w->seen[i].path = strdup(p)) ? 0 : -ENOMEM;
}

static int visit(struct json_object *ev, void *arg)
{
	struct cover_walk *w = arg;
	const char *event = str_field(ev, "event"), *why;
	struct json_object *v;
	struct arc_rec r;
	int rc;

	if (!event)
		return 0;
	if (!strcmp(event, "archive_verified"))
		return note_verified(w, ev);
	if (strcmp(event, "archive_created"))
		return 0;
	/* written only after the read-back passed; say so explicitly anyway */
	if (!json_object_object_get_ex(ev, "verified", &v) || !json_object_get_boolean(v))
		return 0;
	rc = rec_parse(ev, &r, &why);
	if (rc) {
		if (rc > 0)
			dsp_log(DSP_LOG_WARN, "%s: an archive_created without %s covers nothing",
				w->dir, why);
		rec_free(&r);
		return rc < 0 ? rc : 0;
	}
	if (w->nrec == w->rcap) {
		size_t nc = w->rcap ? w->rcap * 2 : 8;
		struct arc_rec *nr = realloc(w->recs, nc * sizeof(*nr));

		if (!nr) {
			rec_free(&r);
			return -ENOMEM;
		}
		w->recs = nr;
		w->rcap = nc;
	}
	w->recs[w->nrec++] = r;
	return 0;
}

/*
 * Is the archive r records still there, every file as recorded? It is
 * looked for where it was last verified, then where it was created.
 */
static int rec_present(const struct cover_walk *w, const struct arc_rec *r)
{
	const char *where[2] = { NULL, r->path };
	char why[3000] = "";
	int rc = 0;

	for (size_t i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i].id, r->id))
			where[0] = w->seen[i].path;
	for (int i = 0; i < 2; i++) {
		if (!where[i] || (i == 1 && where[0] && !strcmp(where[0], where[1])))
			continue;
		rc = rec_check_files(r, where[i], NULL, why, sizeof(why));
		if (rc == 0)
			return 1;
	}
	dsp_log(DSP_LOG_WARN, "%s: archive %s covers nothing: %s", w->dir, r->id,
		why[0] ? why : strerror(-rc));
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dsp_archive_cover_load(const char *run_dir, struct dsp_archive_cover **out)
{
	struct dsp_archive_cover *c = calloc(1, sizeof(*c));
	struct cover_walk w = { .dir = run_dir };
	struct dsp_record *rec;
	int rc;

	*out = NULL;
	if (!run_dir) {
		free(c);
		return -EINVAL;
	}
	if (!c)
		return -ENOMEM;
	rc = dsp_record_read(run_dir, &rec);
	/* where each archive was verified, and what each archive_created records */
	for (size_t i = 0; rc == 0 && i < rec->nverified + rec->narchives; i++)
		rc = visit(i < rec->nverified ? rec->verified[i].event :
			   rec->archives[i - rec->nverified].event, &w);
	if (rc == 0 && (rec->chain || rec->torn))
		rc = DSP_MISMATCH;
	dsp_record_free(rec);
	/* every archive's list must match the record; only archives still there count */
	for (size_t i = 0; rc == 0 && i < w.nrec; i++)
		rc = load_items(rec_present(&w, &w.recs[i]) ? c : NULL, run_dir, &w.recs[i]);
	for (size_t i = 0; i < w.nrec; i++)
		rec_free(&w.recs[i]);
	free(w.recs);
	for (size_t i = 0; i < w.nseen; i++)
		free(w.seen[i].path);
	free(w.seen);
	/* never a positive code: 1 would read as "covered" to dsp_archive_covers' callers */
	if (rc == DSP_MISMATCH)
		rc = -EBADMSG;
	if (rc) {
		dsp_archive_cover_free(c);
		return rc > 0 ? -EBADMSG : rc;
	}
	if (c->n)
		qsort(c->keys, c->n, sizeof(*c->keys), key_cmp);
	*out = c;
	return 0;
}

int dsp_archive_cover_has(const struct dsp_archive_cover *c, const char *path,
			  const char *sha512_hex)
{
	char *k;
	int found;

	if (!c || !path || !sha512_hex || strlen(sha512_hex) != 128)
		return -EINVAL;
	if (!(k = make_key(sha512_hex, path)))
		return -ENOMEM;
	found = c->n && bsearch(&k, c->keys, c->n, sizeof(*c->keys), key_cmp) != NULL;
	free(k);
	return found;
}

void dsp_archive_cover_free(struct dsp_archive_cover *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->keys[i]);
	free(c->keys);
	free(c);
}

int dsp_archive_covers(const char *run_dir, const char *path, const char *sha512_hex)
{
	struct dsp_archive_cover *c;
	int rc;

	if (!run_dir || !path || !sha512_hex || strlen(sha512_hex) != 128)
		return -EINVAL;
	if ((rc = dsp_archive_cover_load(run_dir, &c)))
		return rc;
	rc = dsp_archive_cover_has(c, path, sha512_hex);
	dsp_archive_cover_free(c);
	return rc;
}
