/* SPDX-License-Identifier: MIT */
/* reader.c - verify an archive against its bag manifests, and extract it once verified */
/* Archive files used (no cycles, see common.c): common, pstore, bag, envelope, interlock */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <xxhash.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xxh_x86dispatch.h>	/* the AVX2/AVX-512 code paths, picked at run time */
#endif

#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/util.h"
#include "archive_int.h"

#define TAG_MAX (64u << 10)

struct tagfile {
	const char *name;
	size_t max;
	char *buf;
	size_t len;
	int seen, listed;
	uint8_t sha512[64];
};

enum { TAG_BAGIT, TAG_INFO, TAG_MANIFEST, TAG_TAGMANIFEST, TAG_N };

struct vstate {
	char top[256];
	struct arc_pstore *ps;	/* every entry (verify) */
	FILE *man;		/* the manifest's bytes (verify) */
	struct tagfile tag[TAG_N];
	struct dsp_archive_result *res;
	EVP_MD_CTX *h;
	char *buf;
	int payload_xxh;
	XXH3_state_t *xx;	/* read-back: payload XXH3-128, inline (cheaper than a copy) */
	struct arc_verify *stream;	/* streaming read-back (entry_fn), else NULL */
	uint64_t files, bytes;	/* payload counted while streaming */
	uint64_t entries;	/* every entry seen */
	struct archive *ext;	/* extract: hashed data is written here too */
	struct arc_progress *pg;	/* or NULL */
	int xpass;		/* extract's pass: pg counts its own files */
	/* the parent directory of the last entry, known to be one */
	char par[PATH_MAX + 1];
	size_t par_len;
	int par_ok;
};

static int bad(struct dsp_archive_result *res, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct dsp_archive_result *res, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!res->bad_path[0]) {
		va_start(ap, fmt);
		vsnprintf(res->bad_path, sizeof(res->bad_path), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void vstate_init(struct vstate *vs, struct dsp_archive_result *res)
{
	static const char *const names[TAG_N] = {
		"bagit.txt", "bag-info.txt", "manifest-sha512.txt",
		"tagmanifest-sha512.txt"
	};
	static const size_t max[TAG_N] = { 4096, TAG_MAX, 0, TAG_MAX };

	memset(vs, 0, sizeof(*vs));
	for (int i = 0; i < TAG_N; i++) {
		vs->tag[i].name = names[i];
		vs->tag[i].max = max[i];
	}
	vs->res = res;
}

static void vstate_free(struct vstate *vs)
{
	XXH3_freeState(vs->xx);
	arc_pstore_free(vs->ps);
	if (vs->man)
		fclose(vs->man);
	for (int i = 0; i < TAG_N; i++)
		free(vs->tag[i].buf);
	EVP_MD_CTX_free(vs->h);
	free(vs->buf);
	memset(vs, 0, sizeof(*vs));
}

/* --- path safety -------------------------------------------------------------- */

/*
 * An entry of ours lies below the bag's one top directory, has no absolute
 * path and no "." or ".." component. (That it does not pass through a
 * symlink or a file stored earlier is checked against the entries kept,
 * see parents_ok.)
 */
static int check_path(struct vstate *vs, const char *p, const char *what)
{
	char buf[PATH_MAX + 1];
	size_t l = strlen(p), tl;

	if (l == 0 || l >= sizeof(buf))
		return bad(vs->res, DSP_REFUSED, "%s: unsafe %s (empty or too long)", p, what);
	if (p[0] == '/')
		return bad(vs->res, DSP_REFUSED, "%s: unsafe %s (absolute)", p, what);
	memcpy(buf, p, l + 1);
	while (l > 1 && buf[l - 1] == '/')
		buf[--l] = '\0';
	for (char *c = buf, *e; c && *c; c = e ? e + 1 : NULL) {
		e = strchr(c, '/');
		size_t cl = e ? (size_t)(e - c) : strlen(c);

		if ((cl == 2 && !strncmp(c, "..", 2)) || (cl == 1 && c[0] == '.') ||
		    cl == 0)
			return bad(vs->res, DSP_REFUSED, "%s: unsafe %s (. or .. or //)",
				   p, what);
	}
	tl = strcspn(buf, "/");
	if (!vs->top[0]) {
		if (tl >= sizeof(vs->top))
			return bad(vs->res, DSP_REFUSED, "%s: unsafe %s", p, what);
		memcpy(vs->top, buf, tl);
		vs->top[tl] = '\0';
	} else if (tl != strlen(vs->top) || strncmp(buf, vs->top, tl)) {
		return bad(vs->res, DSP_REFUSED, "%s: %s outside the bag directory %s",
			   p, what, vs->top);
	}
	return 0;
}

/* name's path below the top directory, without trailing slashes, into out */
static void bag_rel(const struct vstate *vs, const char *name, char out[PATH_MAX + 1])
{
	size_t tl = strlen(vs->top), l;

	snprintf(out, PATH_MAX + 1, "%s", name[tl] ? name + tl + 1 : "");
	l = strlen(out);
	while (l && out[l - 1] == '/')
		out[--l] = '\0';
}

/*
 * Every directory above rel is one: stored as a directory, or implied by an
 * entry below it (and then never stored as anything else). A symlink or a
 * file above an entry would let extract write somewhere else than verify
 * looked, or fail half way.
 */
static int parents_ok(struct vstate *vs, const char *name, const char *rel)
{
	const char *last = strrchr(rel, '/');
	size_t pl = last ? (size_t)(last - rel) : 0, i = 0;
	char buf[PATH_MAX + 1];
	struct arc_prec r;
	int rc;

	if (!rel[0])
		return 0;	/* the top directory itself */
	if (vs->par_ok && vs->par_len == pl && !memcmp(vs->par, rel, pl))
		return 0;	/* the same directory as the entry before */
	vs->par_ok = 0;
	for (;;) {
		memcpy(buf, rel, i);
		buf[i] = '\0';
		rc = arc_pstore_find(vs->ps, buf, &r);
		if (rc == -ENOENT)
			rc = arc_pstore_add(vs->ps, buf, ARC_PS_DIR, 0, NULL);
		else if (rc == 0 && r.kind != ARC_PS_DIR)
			return bad(vs->res, DSP_REFUSED, "%s: unsafe path (through a %s)", name,
				   r.kind == ARC_PS_SYMLINK ? "symlink" : "file");
		if (rc)
			return rc;
		if (i == pl)
			break;
		const char *s = i ? memchr(rel + i + 1, '/', pl - i - 1) : memchr(rel, '/', pl);

		i = s ? (size_t)(s - rel) : pl;
	}
	memcpy(vs->par, rel, pl);
	vs->par_len = pl;
	vs->par_ok = 1;
	return 0;
}

/* Keep an entry (verify): each path once, directories excepted, below directories only. */
static int note_entry(struct vstate *vs, const char *name, const char *rel, unsigned kind,
		      uint64_t size, const uint8_t *md)
{
	struct arc_prec r;
	int rc;

	if ((rc = parents_ok(vs, name, rel)))
		return rc;
	rc = arc_pstore_add(vs->ps, rel, kind, size, md);
	if (rc != DSP_INVALID)
		return rc;
	if (kind == ARC_PS_DIR && arc_pstore_find(vs->ps, rel, &r) == 0 &&
	    r.kind == ARC_PS_DIR)
		return 0;
	return bad(vs->res, DSP_INVALID, "%s: stored twice", name);
}

/* --- one pass over the tar ------------------------------------------------------ */

/*
 * Decrypted bytes reach the reader without a pipe: the decrypting thread
 * lends its buffer and waits until libarchive asks for the next block
 * (libarchive keeps a block only until then), while the decryption of the
 * following buffer goes on. No copies through the kernel, two wake-ups per
 * 4 MiB instead of one per 64 KiB pipe load.
 */
struct chan {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const void *buf;	/* lent by the sink, NULL when none */
	size_t len;
	int eof;		/* the decryption ended (rc in dec) */
	int drain;		/* the reader stopped: sink returns at once */
};

static void chan_init(struct chan *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
}

static void chan_destroy(struct chan *c)
{
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
}

/* Sink side: lend buf until the reader has moved past it. */
static int chan_put(struct chan *c, const void *buf, size_t len)
{
	pthread_mutex_lock(&c->mu);
	if (!c->drain && len) {
		c->buf = buf;
		c->len = len;
		pthread_cond_broadcast(&c->cv);
		while (c->buf && !c->drain)
			pthread_cond_wait(&c->cv, &c->mu);
		c->buf = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	return 0;
}

static void chan_end(struct chan *c)
{
	pthread_mutex_lock(&c->mu);
	c->eof = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Reader side: stop lending (the reader is done or gave up). */
static void chan_drain(struct chan *c)
{
	pthread_mutex_lock(&c->mu);
	c->drain = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

struct src {
	int fd;
	struct vstate *vs;	/* for progress */
	struct chan *ch;	/* instead of fd: blocks from the decrypter */
	int held;		/* ch->buf is ours until the next read */
	EVP_MD_CTX *sha;	/* SHA-256 of the raw bytes read, or NULL */
	char *buf;
	int err;
	uint8_t head[4];	/* the first bytes: zstd magic or not */
	size_t nhead;
};

static int src_zstd(const struct src *s)
{
	static const uint8_t magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	return s->nhead == 4 && !memcmp(s->head, magic, 4);
}

static la_ssize_t src_read(struct archive *a, void *arg, const void **out)
{
	struct src *s = arg;
	const char *p = s->buf;
	ssize_t r;

	if (s->ch) {
		pthread_mutex_lock(&s->ch->mu);
		if (s->held) {	/* libarchive is done with the last block */
			s->ch->buf = NULL;
			s->held = 0;
			pthread_cond_broadcast(&s->ch->cv);
		}
		while (!s->ch->buf && !s->ch->eof)
			pthread_cond_wait(&s->ch->cv, &s->ch->mu);
		r = 0;
		if (s->ch->buf) {
			p = s->ch->buf;
			r = (ssize_t)s->ch->len;
			s->held = 1;
		}
		pthread_mutex_unlock(&s->ch->mu);
	} else {
		do
			r = read(s->fd, s->buf, ARC_BLOCK);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			s->err = -errno;
			archive_set_error(a, errno, "read: %s", strerror(errno));
			return -1;
		}
	}
	if (s->sha && r > 0)
		EVP_DigestUpdate(s->sha, p, (size_t)r);
	if (s->vs && s->vs->pg && r > 0) {
		struct arc_progress *pg = s->vs->pg;

		pg->p.done += (uint64_t)r;
		if (!s->vs->xpass) {
			pg->p.files = s->vs->files;
			pg->p.bytes = s->vs->bytes;
		}
		arc_progress_report(pg, 0);
	}
	for (ssize_t i = 0; i < r && s->nhead < sizeof(s->head); i++)
		s->head[s->nhead++] = (uint8_t)p[i];
	*out = p;
	return r;
}

static struct archive *open_reader(struct src *s)
{
	struct archive *ra = archive_read_new();

	if (!ra)
		return NULL;
	/* only what we write: pax (tar) in zstd */
	archive_read_support_filter_zstd(ra);
	archive_read_support_format_tar(ra);
	if (archive_read_open2(ra, s, NULL, src_read, NULL, NULL) != ARCHIVE_OK) {
		archive_read_free(ra);
		return NULL;
	}
	return ra;
}

/* One hash for an entry: XXH3-128 for create's read-back, else SHA-512. */
static void entry_update(struct vstate *vs, XXH3_state_t *xx, const void *buf, size_t len)
{
	if (xx)
		XXH3_128bits_update(xx, buf, len);
	else
		EVP_DigestUpdate(vs->h, buf, len);
}

/* Hash the current entry's data (holes as zeros); keep it when it is a tag file. */
static int hash_entry(struct archive *ra, struct vstate *vs, const char *name,
		      uint64_t size, uint8_t sha512[64], struct tagfile *tag)
{
	static const char zeros[65536];
	const void *buf;
	size_t len;
	la_int64_t off;
	uint64_t pos = 0;
	int r;

	/* the manifest is never held: hashed, and written to vs->man by verify */
	int keep = tag && tag != &vs->tag[TAG_MANIFEST];
	FILE *spill = tag && !keep ? vs->man : NULL;

	if (keep) {
		if (size > tag->max)
			return bad(vs->res, DSP_INVALID, "%s: too large", name);
		tag->buf = malloc(size + 1);
		if (!tag->buf)
			return -ENOMEM;
	}
	/* create's read-back compares payload with the XXH3-128 taken while writing */
	XXH3_state_t *xx = !tag ? vs->xx : NULL;

	if (xx)
		XXH3_128bits_reset(xx);
	else
		EVP_DigestInit_ex(vs->h, EVP_sha512(), NULL);
	for (;;) {
		r = archive_read_data_block(ra, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return bad(vs->res, DSP_MISMATCH, "%s: archive damaged: %s", name,
				   archive_error_string(ra));
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off + len > size)
			return bad(vs->res, DSP_MISMATCH, "%s: archive damaged (bad offsets)",
				   name);
		while (pos < (uint64_t)off) {
			size_t z = (uint64_t)off - pos > sizeof(zeros) ? sizeof(zeros) :
				(size_t)((uint64_t)off - pos);

			entry_update(vs, xx, zeros, z);
			if (keep)
				memset(tag->buf + pos, 0, z);
			if (spill && fwrite(zeros, 1, z, spill) != z)
				return -EIO;
			pos += z;
		}
		entry_update(vs, xx, buf, len);
		/* extract: exactly the bytes hashed go to disk */
		if (vs->ext && len &&
		    archive_write_data_block(vs->ext, buf, len, off) != ARCHIVE_OK)
			return bad(vs->res, -EIO, "%s: %s", name, archive_error_string(vs->ext));
		if (keep && len)
			memcpy(tag->buf + pos, buf, len);
		if (spill && len && fwrite(buf, 1, len, spill) != len)
			return -EIO;
		pos += len;
	}
	while (pos < size) {
		size_t z = size - pos > sizeof(zeros) ? sizeof(zeros) : (size_t)(size - pos);

		entry_update(vs, xx, zeros, z);
		if (keep)
			memset(tag->buf + pos, 0, z);
		if (spill && fwrite(zeros, 1, z, spill) != z)
			return -EIO;
		pos += z;
	}
	if (xx) {
		XXH128_canonical_t cn;

		XXH128_canonicalFromHash(&cn, XXH3_128bits_digest(xx));
		memset(sha512, 0, 64);
		memcpy(sha512, cn.digest, sizeof(cn.digest));
		return 0;
	}
	EVP_DigestFinal_ex(vs->h, sha512, NULL);
	if (tag) {
		if (keep)
			tag->buf[size] = '\0';
		tag->len = size;
		tag->seen = 1;
		memcpy(tag->sha512, sha512, 64);
	}
	return 0;
}

/* A payload entry (verify): kept on disk, counted for Payload-Oxum. */
static int add_payload(struct vstate *vs, const char *name, const char *rel,
		       unsigned kind, uint64_t size, const uint8_t md[64])
{
	int rc = note_entry(vs, name, rel, kind, size, md);

	if (rc)
		return rc;
	vs->files++;
	vs->bytes += size;
	return 0;
}

static const char *kind_name(mode_t type, const char *hl)
{
	return hl ? "hard link" : type == AE_IFDIR ? "directory" :
	       type == AE_IFLNK ? "symlink" : type == AE_IFIFO ? "FIFO" : "entry";
}

/*
 * Only regular files have data, and it is all hashed. Anything else that
 * libarchive hands back with a size or bytes (a pax hard link with a body,
 * which extract would write through the link over a file verified before;
 * a directory with a GNU dumpdir body; a type taken from the mode field)
 * carries bytes no manifest covers.
 */
static int no_data(struct archive *ra, struct vstate *vs, struct archive_entry *e,
		   const char *name, const char *hl)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	if (archive_entry_size_is_set(e) && archive_entry_size(e) != 0)
		goto carries;
	for (;;) {
		r = archive_read_data_block(ra, &buf, &len, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return bad(vs->res, DSP_MISMATCH, "%s: archive damaged: %s", name,
				   archive_error_string(ra));
		if (len)
			goto carries;
	}
carries:
	return bad(vs->res, DSP_MISMATCH, "%s: %s carries data that no manifest covers",
		   name, kind_name(archive_entry_filetype(e), hl));
}

static int scan_entry(struct archive *ra, struct vstate *vs, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	char rel[PATH_MAX + 1];
	size_t tl;
	int rc;

	if (!name)
		return bad(vs->res, DSP_INVALID, "entry without a name");
	if ((rc = check_path(vs, name, "path")))
		return rc;
	vs->entries++;
	tl = strlen(vs->top);
	bag_rel(vs, name, rel);
	if ((hl || type != AE_IFREG) && (rc = no_data(ra, vs, e, name, hl)))
		return rc;
	if (hl) {
		if ((rc = check_path(vs, hl, "hard link target")))
			return rc;
		if (vs->stream) {
			/* the caller knows what each link points to */
			if (strncmp(rel, "data/", 5))
				return 0;
			if (strncmp(hl, vs->top, tl) || hl[tl] != '/')
				return bad(vs->res, DSP_INVALID, "%s: hard link out of the bag",
					   name);
			uint64_t lsize = 0;

			vs->files++;
			rc = vs->stream->entry_fn(vs->stream->arg, rel, NULL, &lsize,
						  hl + tl + 1);
			vs->bytes += lsize;
			return rc;
		}
		/* links join payload files only: the target is one stored before */
		char hrel[PATH_MAX + 1];
		struct arc_prec r;

		bag_rel(vs, hl, hrel);
		rc = strncmp(hrel, "data/", 5) || strncmp(rel, "data/", 5) ? -ENOENT :
			arc_pstore_find(vs->ps, hrel, &r);
		if (rc && rc != -ENOENT)
			return rc;
		if (rc || (r.kind != ARC_PS_PAYLOAD && r.kind != ARC_PS_LINK))
			return bad(vs->res, DSP_INVALID,
				   "%s: hard link to %s, not a payload file stored before",
				   name, hl);
		return add_payload(vs, name, rel, ARC_PS_LINK, r.size, r.sha512);
	}
	switch (type) {
	case AE_IFDIR:
		return vs->stream ? 0 : note_entry(vs, name, rel, ARC_PS_DIR, 0, NULL);
	case AE_IFIFO:
		return vs->stream ? 0 : note_entry(vs, name, rel, ARC_PS_FIFO, 0, NULL);
	case AE_IFLNK:
		/* streaming: nothing is extracted, no escapes to track */
		return vs->stream ? 0 : note_entry(vs, name, rel, ARC_PS_SYMLINK, 0, NULL);
	case AE_IFREG:
		break;
	default:
		return bad(vs->res, DSP_REFUSED, "%s: device or socket entry refused", name);
	}
	if (archive_entry_size(e) < 0)
		return bad(vs->res, DSP_INVALID, "%s: no size", name);
	uint64_t size = (uint64_t)archive_entry_size(e);
	uint8_t md[64];

	if (vs->stream && !strncmp(rel, "data/", 5)) {
		if ((rc = hash_entry(ra, vs, name, size, md, NULL)))
			return rc;
		vs->files++;
		vs->bytes += size;
		return vs->stream->entry_fn(vs->stream->arg, rel, md, &size, NULL);
	}
	if (!strncmp(rel, "data/", 5)) {
		if ((rc = hash_entry(ra, vs, name, size, md, NULL)))
			return rc;
		return add_payload(vs, name, rel, ARC_PS_PAYLOAD, size, md);
	}
	/* a tag file: ours are kept, all must be in the tag manifest */
	struct tagfile *tag = NULL;

	for (int i = 0; i < TAG_N; i++)
		if (!strcmp(rel, vs->tag[i].name))
			tag = &vs->tag[i];
	if (tag && tag->seen)
		return bad(vs->res, DSP_INVALID, "%s: stored twice", name);
	if (vs->stream && !tag)
		return 0;
	if ((rc = hash_entry(ra, vs, name, size, md, tag)))
		return rc;
	return vs->stream ? 0 : note_entry(vs, name, rel, ARC_PS_TAG, size, md);
}

/* Read every entry; positive DSP_* or -errno on the first problem. */
static int scan(struct archive *ra, struct vstate *vs, struct src *s)
{
	struct archive_entry *e;
	int r, rc, first = 1;

	for (;;) {
		r = archive_read_next_header(ra, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			/* zstd that does not decode is damaged; anything else is not ours */
			if (first && !src_zstd(s))
				return bad(vs->res, DSP_INVALID, "not a pax/zstd archive: %s",
					   archive_error_string(ra));
			return bad(vs->res, DSP_MISMATCH, "archive damaged: %s",
				   archive_error_string(ra));
		}
		if (first && archive_filter_code(ra, 0) != ARCHIVE_FILTER_ZSTD)
			return bad(vs->res, DSP_INVALID, "not zstd-compressed");
		first = 0;
		if ((rc = scan_entry(ra, vs, e)))
			return rc;
	}
	if (first)
		return bad(vs->res, DSP_INVALID, "empty archive");
	return 0;
}

/* --- after the pass: the bag's own checks ------------------------------------------ */

static int tagm_cb(void *arg, const char *path, const uint8_t *digest)
{
	struct vstate *vs = arg;
	struct arc_prec r;
	int rc;

	for (int i = 0; i < TAG_N; i++)
		if (!strcmp(path, vs->tag[i].name))
			vs->tag[i].listed = 1;
	if (vs->ps) {	/* verify: every tag file kept */
		rc = arc_pstore_find(vs->ps, path, &r);
		if (rc && rc != -ENOENT)
			return rc;
		if (rc || r.kind != ARC_PS_TAG)
			return bad(vs->res, DSP_MISMATCH,
				   "%s: listed in the tag manifest but missing", path);
		if (arc_pstore_list(vs->ps, r.id))
			return bad(vs->res, DSP_INVALID, "%s: listed twice in the tag manifest",
				   path);
		if (memcmp(r.sha512, digest, 64))
			return bad(vs->res, DSP_MISMATCH, "%s: checksum mismatch", path);
		return 0;
	}
	for (int i = 0; i < TAG_N; i++) {
		if (strcmp(path, vs->tag[i].name))
			continue;
		if (!vs->tag[i].seen)
			return bad(vs->res, DSP_MISMATCH, "%s: listed in the tag manifest but missing",
				   path);
		if (memcmp(vs->tag[i].sha512, digest, 64))
			return bad(vs->res, DSP_MISMATCH, "%s: checksum mismatch", path);
		return 0;
	}
	return 0;	/* read-back: other tag files are not ours */
}

static int manifest_cb(void *arg, const char *path, const uint8_t *digest)
{
	struct vstate *vs = arg;
	struct arc_prec r;
	int rc;

	if ((rc = arc_pstore_read_ahead(vs->ps)))
		return rc;
	rc = arc_pstore_find(vs->ps, path, &r);
	if (rc == -ENOENT || (!rc && r.kind != ARC_PS_PAYLOAD && r.kind != ARC_PS_LINK))
		return bad(vs->res, DSP_MISMATCH, "%s: in the manifest but missing", path);
	if (rc)
		return rc;
	if (arc_pstore_list(vs->ps, r.id))
		return bad(vs->res, DSP_INVALID, "%s: listed twice in the manifest", path);
	if (memcmp(r.sha512, digest, 64))
		return bad(vs->res, DSP_MISMATCH, "%s: checksum mismatch", path);
	return 0;
}

/* Parse the spilled manifest in pieces that end at a line's end. */
static int parse_manifest(struct vstate *vs)
{
	size_t cap = 1u << 20, have = 0;
	char *buf = malloc(cap);
	int rc = 0;

	if (!buf)
		return -ENOMEM;
	if (fflush(vs->man) || fseeko(vs->man, 0, SEEK_SET)) {
		free(buf);
		return -errno;
	}
	for (;;) {
		size_t r = fread(buf + have, 1, cap - have, vs->man), use;
		char *nl;

		have += r;
		if (have == 0)
			break;
		if (r == 0) {	/* the end: the last line may lack its newline */
			use = have;
		} else {
			nl = memrchr(buf, '\n', have);
			if (!nl) {
				if (have < cap)
					continue;
				rc = DSP_INVALID;	/* a line longer than any path */
				break;
			}
			use = (size_t)(nl - buf) + 1;
		}
		rc = dsp_bag_manifest_parse(buf, use, 64, manifest_cb, vs);
		if (rc)
			break;
		memmove(buf, buf + use, have - use);
		have -= use;
	}
	free(buf);
	return rc;
}

static int check_bag(struct vstate *vs, struct arc_verify *v)
{
	struct dsp_bag_meta *m = &v->meta;
	uint64_t bytes = 0, nfiles;
	int rc;

	if (!vs->tag[TAG_BAGIT].seen ||
	    strncmp(vs->tag[TAG_BAGIT].buf, "BagIt-Version: ", 15))
		return bad(vs->res, DSP_INVALID, "no bagit.txt: not a bag");
	if (!vs->tag[TAG_MANIFEST].seen)
		return bad(vs->res, DSP_INVALID, "no manifest-sha512.txt: not a bag of ours");
	/* it pins bag-info.txt (retention, legal hold): never optional */
	if (!vs->tag[TAG_TAGMANIFEST].seen)
		return bad(vs->res, DSP_INVALID, "no tagmanifest-sha512.txt: not a bag of ours");
	rc = dsp_bag_manifest_parse(vs->tag[TAG_TAGMANIFEST].buf,
				    vs->tag[TAG_TAGMANIFEST].len, 64, tagm_cb, vs);
	if (rc == DSP_INVALID && !vs->res->bad_path[0])
		return bad(vs->res, DSP_MISMATCH, "tagmanifest-sha512.txt: malformed");
	if (rc)
		return rc;
	for (int i = 0; i < TAG_N; i++)
		if (i != TAG_TAGMANIFEST && vs->tag[i].seen && !vs->tag[i].listed)
			return bad(vs->res, DSP_MISMATCH, "%s: not in the tag manifest",
				   vs->tag[i].name);
	if (vs->ps) {
		char path[PATH_MAX];
		struct arc_prec r;

		if ((rc = arc_pstore_find(vs->ps, vs->tag[TAG_TAGMANIFEST].name, &r)))
			return rc;
		arc_pstore_list(vs->ps, r.id);
		if (arc_pstore_unlisted(vs->ps, 1u << ARC_PS_TAG, path, sizeof(path)))
			return bad(vs->res, DSP_MISMATCH, "%s: not in the tag manifest", path);
	}
	if (vs->tag[TAG_INFO].seen) {
		rc = dsp_bag_info_parse(vs->tag[TAG_INFO].buf, vs->tag[TAG_INFO].len,
					m, NULL, NULL);
		if (rc)
			return bad(vs->res, rc < 0 ? rc : DSP_MISMATCH,
				   "bag-info.txt: malformed");
		snprintf(v->bag_info, sizeof(v->bag_info), "%s", vs->tag[TAG_INFO].buf);
	}
	nfiles = vs->files;
	bytes = vs->bytes;
	if (vs->stream)
		goto counted;
	rc = parse_manifest(vs);
	if (rc == DSP_INVALID && !vs->res->bad_path[0])
		return bad(vs->res, DSP_MISMATCH, "manifest-sha512.txt: malformed");
	if (rc)
		return rc;
	{
		char path[PATH_MAX];

		if (arc_pstore_unlisted(vs->ps, 1u << ARC_PS_PAYLOAD | 1u << ARC_PS_LINK, path,
					sizeof(path)))
			return bad(vs->res, DSP_MISMATCH, "%s: not in the manifest", path);
	}
counted:
	if (m->has_oxum && (m->oxum_bytes != bytes || m->oxum_files != nfiles))
		return bad(vs->res, DSP_MISMATCH,
			   "Payload-Oxum %llu.%llu does not match %llu.%llu",
			   (unsigned long long)m->oxum_bytes,
			   (unsigned long long)m->oxum_files,
			   (unsigned long long)bytes, (unsigned long long)nfiles);
	vs->res->files = (size_t)nfiles;
	vs->res->payload_bytes = bytes;
	snprintf(vs->res->bag, sizeof(vs->res->bag), "%s", vs->top);
	snprintf(vs->res->external_id, sizeof(vs->res->external_id), "%s",
		 m->external_id);
	memcpy(v->manifest_sha512, vs->tag[TAG_MANIFEST].sha512, 64);
	return 0;
}

/*
 * Verify the plain pax+zstd stream readable from fd. With keep, the state
 * (every entry verify saw) is left there for extract; the caller frees it.
 */
static int verify_fd(int fd, struct chan *ch, struct arc_verify *v,
		     struct dsp_archive_result *res, int hash_raw, struct vstate *keep)
{
	struct vstate local, *vs = keep ? keep : &local;
	struct src s = { .fd = fd, .ch = ch };
	struct archive *ra = NULL;
	int rc;

	vstate_init(vs, res);
	vs->stream = v->entry_fn ? v : NULL;
	vs->pg = v->pg;
	s.vs = vs;
	if (!vs->stream) {
		if ((rc = arc_pstore_open(&vs->ps)))
			goto out;
		if (!(vs->man = arc_tmpfile())) {
			rc = -errno;
			goto out;
		}
	}
	vs->payload_xxh = v->entry_fn != NULL;
	if (vs->payload_xxh && !(vs->xx = XXH3_createState())) {
		rc = -ENOMEM;
		goto out;
	}
	vs->h = EVP_MD_CTX_new();
	s.buf = malloc(ARC_BLOCK);
	if (hash_raw)
		s.sha = EVP_MD_CTX_new();
	if (!vs->h || !s.buf || (hash_raw && (!s.sha ||
	    !EVP_DigestInit_ex(s.sha, EVP_sha256(), NULL)))) {
		rc = -ENOMEM;
		goto out;
	}
	ra = open_reader(&s);
	if (!ra) {
		if (s.err)
			rc = s.err;
		else if (src_zstd(&s))
			rc = bad(res, DSP_MISMATCH, "archive damaged: cannot be decompressed");
		else
			rc = bad(res, DSP_INVALID, "not a pax/zstd archive");
		goto out;
	}
	rc = scan(ra, vs, &s);
	if (rc == 0 && s.err)
		rc = s.err;
	if (rc == 0)
		rc = check_bag(vs, v);
	if (rc == 0 && hash_raw) {
		uint8_t md[32];

		/* the rest (end-of-archive padding) counts for the file hash */
		for (;;) {
			ssize_t r = read(fd, s.buf, ARC_BLOCK);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			EVP_DigestUpdate(s.sha, s.buf, (size_t)r);
		}
		EVP_DigestFinal_ex(s.sha, md, NULL);
		dsp_hex(md, 32, v->sha256);
	}
out:
	if (ra)
		archive_read_free(ra);
	free(s.buf);
	EVP_MD_CTX_free(s.sha);
	if (!keep)
		vstate_free(vs);
	return rc;
}

int arc_verify_plain_fd(int fd, struct arc_verify *v, struct dsp_archive_result *res)
{
	memset(res, 0, sizeof(*res));
	return verify_fd(fd, NULL, v, res, 0, NULL);
}

/* --- decryption ------------------------------------------------------------------- */

/*
 * What decryption said: its first error is kept as the verdict (one line:
 * "NAME.cms: envelope truncated ...", not that and a generic second line);
 * other messages go where they would have gone, once the sink is put back.
 */
#define SAID_MAX 8

struct said {
	struct dsp_log_sink prev;
	char first[1024];
	unsigned n;
	enum dsp_log_level lvl[SAID_MAX];
	char msg[SAID_MAX][1024];
};

static void said_fn(enum dsp_log_level level, const char *msg, void *arg)
{
	struct said *s = arg;

	if (level == DSP_LOG_ERROR && !s->first[0]) {
		snprintf(s->first, sizeof(s->first), "%s", msg);
		return;
	}
	if (s->n < SAID_MAX) {
		s->lvl[s->n] = level;
		snprintf(s->msg[s->n++], sizeof(s->msg[0]), "%s", msg);
	}
}

static int decrypt_said(struct said *s, const char *env, const char *ct, const char *key,
			const char *cert, int (*sink)(void *arg, const void *buf, size_t len),
			void *arg)
{
	struct dsp_log_sink mine = { said_fn, s };
	int rc;

	memset(s, 0, sizeof(*s));
	s->prev = dsp_log_use(&mine);
	rc = dsp_env_decrypt(env, ct, key, cert, sink, arg);
	dsp_log_use(&s->prev);
	for (unsigned i = 0; i < s->n; i++)
		dsp_log(s->lvl[i], "%s", s->msg[i]);
	return rc;
}

struct dec {
	const char *env, *ct, *key, *cert;
	struct chan *ch;
	int rc;
	struct said said;
};

static int fd_sink(void *arg, const void *buf, size_t len)
{
	return arc_write_full(*(int *)arg, buf, len);
}

static int chan_sink(void *arg, const void *buf, size_t len)
{
	return chan_put(((struct dec *)arg)->ch, buf, len);
}

static void *dec_main(void *arg)
{
	struct dec *d = arg;

	d->rc = decrypt_said(&d->said, d->env, d->ct, d->key, d->cert, chan_sink, d);
	chan_end(d->ch);
	return NULL;
}

static int dec_verdict(int rc, const struct said *said, struct dsp_archive_result *res)
{
	if (rc == 0)
		return 0;
	if (rc == -ENOSYS)
		return rc;
	if (said->first[0]) {
		/* it names the file at fault (envelope or ciphertext) and why */
		snprintf(res->bad_path, sizeof(res->bad_path), "%s", said->first);
		res->bad_said = 1;
		return rc;
	}
	if (rc == -ENOENT || rc == -EACCES || rc == -ENOMEM || rc == -EIO)
		return rc;
	if (rc == DSP_INVALID)
		return bad(res, DSP_INVALID, "envelope: not a CMS envelope of ours");
	res->bad_path[0] = '\0';	/* the reader's view of garbage does not matter */
	return bad(res, DSP_MISMATCH,
		   "decryption failed: wrong key, or ciphertext or envelope damaged");
}

static int is_encrypted(const char *name, char *env_path, size_t len)
{
	snprintf(env_path, len, "%s%s", name, DSP_ENV_SUFFIX);
	return access(env_path, F_OK) == 0;
}

/* A FIFO or device given as NAME must not block or be read: regular files only. */
static int open_regular(const char *name)
{
	struct stat st;
	int fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int arc_verify(const char *name, struct arc_verify *v, struct dsp_archive_result *res)
{
	char env_path[PATH_MAX + 8];
	int rc;

	if (!is_encrypted(name, env_path, sizeof(env_path))) {
		int fd = open_regular(name);

		if (fd == -EINVAL)
			return bad(res, DSP_INVALID, "not a regular file");
		if (fd < 0)
			return fd;
		rc = verify_fd(fd, NULL, v, res, 1, NULL);
		close(fd);
		return rc;
	}
	res->encrypted = 1;
	if (!v->key || !v->cert)
		return bad(res, DSP_INVALID, "%s: encrypted: --key and --cert are needed",
			   name);
	if (access(name, R_OK))
		return -errno;
	struct chan ch;
	struct dec d = { .env = env_path, .ct = name, .key = v->key, .cert = v->cert, .ch = &ch };
	pthread_t th;

	chan_init(&ch);
	if ((rc = dsp_thread_create(&th, dec_main, &d))) {
		chan_destroy(&ch);
		return -rc;
	}
	/*
	 * No SHA-256 of the decrypted stream: v->sha256 is for plain archives
	 * only (GCM authenticates the ciphertext, whose hash the writer took).
	 */
	rc = verify_fd(-1, &ch, v, res, 0, NULL);
	/* let the decryption run to the tag and give its verdict */
	chan_drain(&ch);
	pthread_join(th, NULL);
	chan_destroy(&ch);
	/* authentication (the GCM tag at the end) decides first */
	if (d.rc)
		return dec_verdict(d.rc, &d.said, res);
	return rc;
}

/* --- read-back fed while writing ------------------------------------------------------ */

struct arc_feed {
	struct chan ch;
	struct arc_verify *v;
	struct dsp_archive_result *res;
	pthread_t th;
	int rc;
	atomic_int failed;	/* the reader stopped on a difference or error */
};

static void *feed_main(void *arg)
{
	struct arc_feed *f = arg;

	f->rc = verify_fd(-1, &f->ch, f->v, f->res, 0, NULL);
	if (f->rc)
		atomic_store(&f->failed, 1);
	chan_drain(&f->ch);	/* a producer still sending returns at once */
	return NULL;
}

int arc_feed_failed(struct arc_feed *f)
{
	return f && atomic_load(&f->failed);
}

int arc_feed_start(struct arc_verify *v, struct dsp_archive_result *res,
		   struct arc_feed **out)
{
	struct arc_feed *f = calloc(1, sizeof(*f));
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	chan_init(&f->ch);
	f->v = v;
	f->res = res;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = dsp_thread_create(&f->th, feed_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		chan_destroy(&f->ch);
		free(f);
		return -rc;
	}
	*out = f;
	return 0;
}

int arc_feed_sink(void *arg, const void *buf, size_t len)
{
	return chan_put(&((struct arc_feed *)arg)->ch, buf, len);
}

int arc_feed_end(struct arc_feed *f, int producer_rc)
{
	struct dsp_archive_result *res = f->res;
	int rc;

	chan_end(&f->ch);
	pthread_join(f->th, NULL);
	chan_destroy(&f->ch);
	rc = f->rc;
	free(f);
	/* the bytes on disk decide first: the reader may only have seen them cut short */
	if (producer_rc == DSP_MISMATCH) {
		res->bad_path[0] = '\0';
		return bad(res, DSP_MISMATCH,
			   "read-back: ciphertext or envelope differs from what was written");
	}
	return producer_rc ? producer_rc : rc;
}

/* --- progress ----------------------------------------------------------------------- */

#define PROGRESS_MS 100

void arc_progress_report(struct arc_progress *pg, int force)
{
	struct timespec now;

	if (!pg || !pg->fn)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && (now.tv_sec - pg->last.tv_sec) * 1000 +
	    (now.tv_nsec - pg->last.tv_nsec) / 1000000 < PROGRESS_MS)
		return;
	pg->last = now;
	pg->p.all_done = pg->base + (pg->p.total && pg->p.done > pg->p.total ? pg->p.total :
				     pg->p.done);
	pg->fn(&pg->p, pg->arg);
}

void arc_progress_pass(struct arc_progress *pg, const char *phase, unsigned npasses,
		       uint64_t total)
{
	if (!pg || !pg->fn)
		return;
	if (pg->p.pass)
		pg->base += pg->p.total;
	pg->p.phase = phase;
	pg->p.pass++;
	pg->p.npasses = npasses;
	pg->p.files = pg->p.bytes = pg->p.done = 0;
	pg->p.total = total;
	/* the passes still to come are about as long as this one */
	pg->p.all_total = total ? pg->base + total * (npasses - pg->p.pass + 1) : 0;
	arc_progress_report(pg, 1);
}

/* What a pass over NAME reads: its bytes, or every volume's ciphertext. */
static uint64_t archive_bytes(const char *name, int encrypted)
{
	struct stat st;
	uint64_t n = 0;

	if (stat(name, &st) == 0)
		n = (uint64_t)st.st_size;
	for (unsigned k = 2; encrypted; k++) {
		char *vol = dsp_env_volume_ct_path(name, k);
		int there = vol && stat(vol, &st) == 0;

		free(vol);
		if (!there)
			break;
		n += (uint64_t)st.st_size;
	}
	return n;
}

/* --- public entry points ---------------------------------------------------------- */

static int ledger_verified(struct dsp_ledger *l, const char *name,
			   struct arc_verify *v, struct dsp_archive_result *res)
{
	struct json_object *f = json_object_new_object();
	char abs[PATH_MAX], env[PATH_MAX + 8];
	int rc;

	if (!f)
		return -ENOMEM;
	if (!realpath(name, abs))
		snprintf(abs, sizeof(abs), "%s", name);
	dsp_json_add_bytes(f, "archive", abs);
	/* the record check has just read them and set both digests */
	if (res->sha256[0] || arc_file_sha256(name, res->sha256) == 0)
		json_object_object_add(f, "sha256", json_object_new_string(res->sha256));
	if (res->encrypted) {
		snprintf(env, sizeof(env), "%s%s", name, DSP_ENV_SUFFIX);
		if (res->env_sha256[0] || arc_file_sha256(env, res->env_sha256) == 0)
			json_object_object_add(f, "envelope_sha256",
					       json_object_new_string(res->env_sha256));
	}
	json_object_object_add(f, "encrypted", json_object_new_boolean(res->encrypted));
	dsp_json_add_bytes(f, "external_identifier", v->meta.external_id);
	json_object_object_add(f, "files", json_object_new_int64((int64_t)res->files));
	json_object_object_add(f, "payload_bytes",
			       json_object_new_int64((int64_t)res->payload_bytes));
	json_object_object_add(f, "result", json_object_new_string("ok"));
	rc = dsp_ledger_append(l, "archive_verified", f, 1);
	json_object_put(f);
	return rc;
}

/*
 * CMS leaves parts of an envelope unauthenticated (other recipients'
 * entries, some version fields), and volumes are authenticated one by one:
 * the run record must hold this very archive, every file byte for byte
 * (interlock.c).
 */
static int check_run_record(struct dsp_ledger *l, const char *name,
			    struct dsp_archive_result *res)
{
	return arc_record_match(dsp_ledger_dir(l), name, res);
}

/* Syslog: the result, with its reason; with a record, its chain head after archive_verified. */
static void audit_verify(const char *name, int rc, struct dsp_ledger *l,
			 const struct dsp_archive_result *r)
{
	const char *why = r->bad_path[0] ? r->bad_path : rc < 0 ? strerror(-rc) : "failed";
	char head[65] = "", dir[PATH_MAX];
	const char *run = l ? dsp_ledger_dir(l) : "";

	if (rc == 0 && l)
		dsp_ledger_head(l, head);
	if (l && realpath(run, dir))	/* absolute: one place whatever the cwd */
		run = dir;
	if (rc == 0)
		dsp_audit(DSP_AUDIT_NOTICE, "archive verify %s: ok, %llu file%s, %llu payload bytes%s"
			  "%s%s%s", name, (unsigned long long)r->files, r->files == 1 ? "" : "s",
			  (unsigned long long)r->payload_bytes, l ? ", run " : "",
			  run, l ? ", record head " : "", head);
	else if (rc == DSP_REFUSED)
		dsp_audit(DSP_AUDIT_WARNING, "archive verify %s refused: %s", name, why);
	else if (rc == DSP_MISMATCH)
		dsp_audit(DSP_AUDIT_ERR, "archive verify %s failed: mismatch: %s", name, why);
	else if (rc == DSP_INVALID)
		dsp_audit(DSP_AUDIT_ERR, "archive verify %s failed: not an archive of ours: %s",
			  name, why);
	else
		dsp_audit(DSP_AUDIT_ERR, "archive verify %s failed: %s", name, why);
}

int dsp_archive_verify(const char *name, const char *key, const char *cert,
		       struct dsp_ledger *ledger, struct dsp_archive_result *res)
{
	struct dsp_archive_read_opts o = { .key = key, .cert = cert, .ledger = ledger };

	return dsp_archive_verify_with(name, &o, res);
}

int dsp_archive_verify_with(const char *name, const struct dsp_archive_read_opts *o,
			    struct dsp_archive_result *res)
{
	struct arc_progress pg = { .fn = o->progress, .arg = o->progress_arg };
	struct arc_verify v = { .key = o->key, .cert = o->cert, .pg = o->progress ? &pg : NULL };
	struct dsp_ledger *ledger = o->ledger;
	char env[PATH_MAX + 8];
	struct arc_locale loc;
	int rc;

	memset(res, 0, sizeof(*res));
	arc_progress_pass(v.pg, "verify", 1,
			  archive_bytes(name, is_encrypted(name, env, sizeof(env))));
	arc_locale_enter(&loc);
	rc = arc_verify(name, &v, res);
	arc_locale_leave(&loc);
	if (rc == 0) {
		/* the end padding is read past the reader, the last entry's count after it */
		pg.p.done = pg.p.total;
		pg.p.files = res->files;
		pg.p.bytes = res->payload_bytes;
	}
	arc_progress_report(v.pg, 1);
	if (rc == 0 && !res->encrypted)
		snprintf(res->sha256, sizeof(res->sha256), "%s", v.sha256);
	if (rc == 0 && ledger)
		rc = check_run_record(ledger, name, res);
	if (rc == 0 && ledger)
		rc = ledger_verified(ledger, name, &v, res);
	audit_verify(name, rc, ledger, res);
	return rc;
}

static int changed(struct vstate *vs, const char *name)
{
	return bad(vs->res, DSP_MISMATCH, "%s: archive changed since it was verified",
		   name ? name : "entry without a name");
}

/* Which of an entry's xattrs flags let through: capabilities and ACLs have options of their own. */
static int xattr_wanted(const char *n, unsigned flags)
{
	if (!strcmp(n, "security.capability"))
		return !!(flags & DSP_EXTRACT_PERMS);
	if (!strncmp(n, "system.posix_acl_", 17))
		return !!(flags & DSP_EXTRACT_ACLS);
	return !!(flags & DSP_EXTRACT_XATTRS);
}

/*
 * No manifest covers extended attributes, ACLs or file flags (immutable,
 * append-only): each reaches the disk only when flags ask for it, and
 * extract_fd does not ask libarchive for it otherwise. Without
 * DSP_EXTRACT_PERMS: no setuid or setgid bit, no file capability.
 */
static int tame_entry(struct archive_entry *e, unsigned flags)
{
	struct archive_entry *c;
	const char *xn;
	const void *xv;
	size_t xl;
	int drop = 0;

	if (!(flags & DSP_EXTRACT_ACLS))
		archive_entry_acl_clear(e);
	if (!(flags & DSP_EXTRACT_FFLAGS))
		archive_entry_set_fflags(e, 0, 0);
	if (!(flags & DSP_EXTRACT_PERMS))
		archive_entry_set_perm(e, archive_entry_perm(e) & ~(mode_t)(S_ISUID | S_ISGID));
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &xn, &xv, &xl) == ARCHIVE_OK)
		drop |= !xattr_wanted(xn, flags);
	if (!drop)
		return 0;
	if (!(c = archive_entry_clone(e)))
		return -ENOMEM;
	archive_entry_xattr_clear(e);
	archive_entry_xattr_reset(c);
	while (archive_entry_xattr_next(c, &xn, &xv, &xl) == ARCHIVE_OK)
		if (xattr_wanted(xn, flags))
			archive_entry_xattr_add_entry(e, xn, xv, xl);
	archive_entry_free(c);
	return 0;
}

static int finish(struct archive *ext, struct vstate *vs, const char *name, int r,
		  int *warned)
{
	if (r == ARCHIVE_WARN) {
		dsp_log(DSP_LOG_WARN, "%s: %s", name, archive_error_string(ext));
		*warned = 1;
	} else if (r != ARCHIVE_OK) {
		return bad(vs->res, -EIO, "%s: %s", name, archive_error_string(ext));
	}
	return 0;
}

/*
 * One entry of the second pass: it must be the entry verify kept under
 * that path (kind, size, link target's digest); only a regular file's
 * data is written, hashed on the way, and a file whose bytes are not the
 * ones verified is removed again.
 */
static int extract_entry(struct archive *ra, struct archive *ext, struct vstate *vs,
			 struct archive_entry *e, unsigned flags, struct archive_entry **top,
			 int *warned)
{
	const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	int plain = !hl && type == AE_IFREG, rc;
	char rel[PATH_MAX + 1], full[PATH_MAX + 1];
	struct arc_prec r, t;
	uint8_t md[64];
	unsigned want;

	if (!name)
		return changed(vs, NULL);
	/* name is about to be rewritten: keep it for messages */
	snprintf(full, sizeof(full), "%s", name);
	name = full;
	if ((rc = check_path(vs, name, "path")) ||
	    (hl && (rc = check_path(vs, hl, "hard link target"))))
		return rc;
	bag_rel(vs, name, rel);
	want = hl ? ARC_PS_LINK : type == AE_IFDIR ? ARC_PS_DIR :
	       type == AE_IFLNK ? ARC_PS_SYMLINK : type == AE_IFIFO ? ARC_PS_FIFO :
	       !plain ? ~0u : !strncmp(rel, "data/", 5) ? ARC_PS_PAYLOAD : ARC_PS_TAG;
	rc = arc_pstore_find(vs->ps, rel, &r);
	if (rc && rc != -ENOENT)
		return rc;
	if (rc || r.kind != want ||
	    (uint64_t)archive_entry_size(e) != (plain ? r.size : 0))
		return changed(vs, name);
	if (hl) {
		char hrel[PATH_MAX + 1];

		bag_rel(vs, hl, hrel);
		rc = arc_pstore_find(vs->ps, hrel, &t);
		if (rc && rc != -ENOENT)
			return rc;
		if (rc || (t.kind != ARC_PS_PAYLOAD && t.kind != ARC_PS_LINK) ||
		    memcmp(t.sha512, r.sha512, 64))
			return changed(vs, name);
		archive_entry_set_hardlink(e, hrel);
	}
	if ((rc = tame_entry(e, flags)))
		return rc;
	/* the bag directory is ours already (extract made it): its metadata at the end */
	if (!rel[0]) {
		archive_entry_free(*top);
		return (*top = archive_entry_clone(e)) ? 0 : -ENOMEM;
	}
	archive_entry_set_pathname(e, rel);
	if ((rc = finish(ext, vs, name, archive_write_header(ext, e), warned)))
		return rc;
	if (vs->pg && (want == ARC_PS_PAYLOAD || want == ARC_PS_LINK)) {
		vs->pg->p.files++;
		vs->pg->p.bytes += r.size;
	}
	if (plain) {
		vs->ext = ext;
		rc = hash_entry(ra, vs, name, r.size, md, NULL);
		vs->ext = NULL;
		if (!rc && memcmp(md, r.sha512, 64))
			rc = bad(vs->res, DSP_MISMATCH, "%s: differs from what was verified", name);
		if (rc) {
			archive_write_finish_entry(ext);
			if (unlink(rel) && errno != ENOENT)
				dsp_log(DSP_LOG_ERROR, "%s: cannot remove: %s", name,
					strerror(errno));
			return rc;
		}
	}
	return finish(ext, vs, name, archive_write_finish_entry(ext), warned);
}

/*
 * The bag directory's own entry, applied through its descriptor: mode
 * (setuid/setgid only with DSP_EXTRACT_PERMS), times, and with
 * DSP_EXTRACT_SAME_OWNER its owner.
 */
static int restore_top(struct archive *ext, int bagfd, struct archive_entry *top,
		       unsigned xflags)
{
	mode_t keep = xflags & DSP_EXTRACT_PERMS ? 07777 : 01777;
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };

	if (!top)
		return 0;
	if (xflags & DSP_EXTRACT_SAME_OWNER) {
		la_int64_t u = archive_write_disk_uid(ext, archive_entry_uname(top),
						      archive_entry_uid(top));
		la_int64_t g = archive_write_disk_gid(ext, archive_entry_gname(top),
						      archive_entry_gid(top));

		if (fchown(bagfd, (uid_t)u, (gid_t)g))
			return -errno;
	}
	if (fchmod(bagfd, archive_entry_perm(top) & keep))
		return -errno;
	if (archive_entry_atime_is_set(top)) {
		ts[0].tv_sec = archive_entry_atime(top);
		ts[0].tv_nsec = archive_entry_atime_nsec(top);
	}
	if (archive_entry_mtime_is_set(top)) {
		ts[1].tv_sec = archive_entry_mtime(top);
		ts[1].tv_nsec = archive_entry_mtime_nsec(top);
	}
	return futimens(bagfd, ts) ? -errno : 0;
}

/*
 * Restore every entry below bagfd, the bag directory extract made: paths
 * are taken relative to it, so whoever else can write to the extract
 * directory cannot move or replace it under a running extract.
 */
static int extract_fd(int fd, int bagfd, struct vstate *vs, unsigned xflags,
		      struct dsp_archive_result *res)
{
	struct src s = { .fd = fd };
	struct archive *ra = NULL, *ext = NULL;
	struct archive_entry *e, *top = NULL;
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
		    ARCHIVE_EXTRACT_SPARSE | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
		    ARCHIVE_EXTRACT_NO_OVERWRITE;
	int cwd = -1, rc = 0, warned = 0, r;
	uint64_t entries = 0;

	/* anyone can encrypt an archive to you: owners only when asked for */
	if (xflags & DSP_EXTRACT_SAME_OWNER)
		flags |= ARCHIVE_EXTRACT_OWNER;
	/* and what no manifest covers (tame_entry drops it from each entry too) */
	if (xflags & (DSP_EXTRACT_XATTRS | DSP_EXTRACT_ACLS | DSP_EXTRACT_PERMS))
		flags |= ARCHIVE_EXTRACT_XATTR;
	if (xflags & DSP_EXTRACT_ACLS)
		flags |= ARCHIVE_EXTRACT_ACL;
	if (xflags & DSP_EXTRACT_FFLAGS)
		flags |= ARCHIVE_EXTRACT_FFLAGS;
	s.buf = malloc(ARC_BLOCK);
	s.vs = vs;
	vs->xpass = 1;
	ext = archive_write_disk_new();
	if (!s.buf || !ext) {
		rc = -ENOMEM;
		goto out;
	}
	archive_write_disk_set_options(ext, flags);
	archive_write_disk_set_standard_lookup(ext);
	if (lseek(fd, 0, SEEK_SET) < 0) {
		rc = -errno;
		goto out;
	}
	ra = open_reader(&s);
	if (!ra) {
		rc = -EIO;
		goto out;
	}
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || fchdir(bagfd)) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		r = archive_read_next_header(ra, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = bad(res, DSP_MISMATCH, "archive changed since it was verified");
			goto out;
		}
		entries++;
		if ((rc = extract_entry(ra, ext, vs, e, xflags, &top, &warned)))
			goto out;
	}
	if (entries != vs->entries) {
		rc = bad(res, DSP_MISMATCH, "archive changed since it was verified");
		goto out;
	}
	/* directory times and modes are set here */
	if (archive_write_close(ext) != ARCHIVE_OK) {
		dsp_log(DSP_LOG_WARN, "%s", archive_error_string(ext));
		warned = 1;
	}
	if ((r = restore_top(ext, bagfd, top, xflags))) {
		dsp_log(DSP_LOG_WARN, "%s: %s", vs->top, strerror(-r));
		warned = 1;
	}
out:
	archive_entry_free(top);
	if (cwd >= 0) {
		if (fchdir(cwd))
			rc = rc ? rc : -errno;
		close(cwd);
	}
	if (ra)
		archive_read_free(ra);
	if (ext)
		archive_write_free(ext);
	free(s.buf);
	return rc ? rc : (warned ? DSP_PARTIAL : 0);
}

static int tmpfile_in(int dirfd)
{
	char tmpl[] = ".dispose-extract-XXXXXX";
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd < 0 ? -errno : fd;
	/* filesystems without O_TMPFILE: create and unlink at once */
	for (int i = 0; i < 100; i++) {
		char n[sizeof(tmpl)];

		memcpy(n, tmpl, sizeof(tmpl));
		for (int j = 17; j < 23; j++)
			n[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[random() % 36];
		fd = openat(dirfd, n, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			unlinkat(dirfd, n, 0);
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

/* Decrypted bytes to the temporary file, counted for progress. */
struct pg_sink {
	int fd;
	struct arc_progress *pg;
};

static int pg_fd_sink(void *arg, const void *buf, size_t len)
{
	struct pg_sink *k = arg;

	if (k->pg) {
		k->pg->p.done += len;
		arc_progress_report(k->pg, 0);
	}
	return fd_sink(&k->fd, buf, len);
}

static int extract(const char *name, const char *dir, const char *key,
		   const char *cert, unsigned flags, struct arc_progress *pg,
		   struct dsp_archive_result *res)
{
	struct arc_verify v = { .key = key, .cert = cert, .pg = pg };
	char env_path[PATH_MAX + 8];
	int dirfd, fd = -1, bagfd = -1, rc;
	unsigned npasses = 2;
	struct vstate vs;
	struct stat st;

	memset(res, 0, sizeof(*res));
	vstate_init(&vs, res);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	if (is_encrypted(name, env_path, sizeof(env_path))) {
		res->encrypted = 1;
		if (!key || !cert) {
			rc = bad(res, DSP_INVALID, "%s: encrypted: --key and --cert are needed",
				 name);
			goto out;
		}
		/* plaintext goes to an unlinked file: nothing visible before it is authenticated */
		fd = tmpfile_in(dirfd);
		if (fd < 0) {
			rc = fd;
			goto out;
		}
		struct pg_sink k = { fd, pg };
		struct said said;

		npasses = 3;
		arc_progress_pass(pg, "decrypt", npasses, archive_bytes(name, 1));
		rc = decrypt_said(&said, env_path, name, key, cert, pg_fd_sink, &k);
		if (rc) {
			rc = dec_verdict(rc, &said, res);
			goto out;
		}
		if (lseek(fd, 0, SEEK_SET) < 0) {
			rc = -errno;
			goto out;
		}
	} else {
		fd = open_regular(name);
		if (fd < 0) {
			rc = fd == -EINVAL ? bad(res, DSP_INVALID, "not a regular file") : fd;
			goto out;
		}
	}
	struct stat before, after;

	if (fstat(fd, &before)) {
		rc = -errno;
		goto out;
	}
	arc_progress_pass(pg, "verify", npasses, (uint64_t)before.st_size);
	rc = verify_fd(fd, NULL, &v, res, 0, &vs);
	if (rc)
		goto out;
	/* the second pass must read what the first one verified */
	if (fstat(fd, &after)) {
		rc = -errno;
		goto out;
	}
	if (before.st_size != after.st_size ||
	    before.st_ctim.tv_sec != after.st_ctim.tv_sec ||
	    before.st_ctim.tv_nsec != after.st_ctim.tv_nsec) {
		rc = bad(res, DSP_MISMATCH, "%s: changed while being verified", name);
		goto out;
	}
	/*
	 * DIR/BAG is made here, empty and ours alone (0700 until the end), and
	 * used by its descriptor: one made by someone else in between, or a
	 * rename of ours, cannot take the records elsewhere.
	 */
	if (mkdirat(dirfd, vs.top, 0700)) {
		rc = errno == EEXIST ? bad(res, -EEXIST, "%s/%s: exists", dir, vs.top) : -errno;
		goto out;
	}
	bagfd = openat(dirfd, vs.top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bagfd < 0 || fstat(bagfd, &st) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		rc = bagfd < 0 ? -errno : bad(res, -EEXIST, "%s/%s: replaced as it was made",
					      dir, vs.top);
		goto out;
	}
	if (fchmod(bagfd, 0700)) {	/* whatever the umask */
		rc = -errno;
		goto out;
	}
#ifdef DSP_TEST_HOOKS
	/* tests: the second pass reads another file, as if NAME were rewritten in between */
	const char *swap = getenv("DISPOSE_TEST_EXTRACT_SWAP");
	int sfd = swap ? open(swap, O_RDONLY | O_CLOEXEC) : -1;

	if (sfd >= 0) {
		dup2(sfd, fd);
		close(sfd);
	}
#endif
	arc_progress_pass(pg, "extract", npasses, (uint64_t)before.st_size);
	rc = extract_fd(fd, bagfd, &vs, flags, res);
out:
	vstate_free(&vs);
	if (bagfd >= 0)
		close(bagfd);
	if (fd >= 0)
		close(fd);
	close(dirfd);
	return rc;
}

int dsp_archive_extract(const char *name, const char *dir, const char *key,
			const char *cert, unsigned flags, struct dsp_archive_result *res)
{
	struct dsp_archive_read_opts o = { .key = key, .cert = cert, .flags = flags };

	return dsp_archive_extract_with(name, dir, &o, res);
}

int dsp_archive_extract_with(const char *name, const char *dir,
			     const struct dsp_archive_read_opts *o,
			     struct dsp_archive_result *res)
{
	struct arc_progress pg = { .fn = o->progress, .arg = o->progress_arg };
	struct arc_locale l;
	int rc;

	arc_locale_enter(&l);
	rc = extract(name, dir, o->key, o->cert, o->flags, o->progress ? &pg : NULL, res);
	arc_locale_leave(&l);
	if (rc == 0 || rc == DSP_PARTIAL)
		pg.p.done = pg.p.total;
	if (pg.p.pass)
		arc_progress_report(&pg, 1);
	return rc;
}
