/* SPDX-License-Identifier: MIT */
/* pstore.c - verify's entries on disk, an index of them in memory */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "dispose/common.h"
#include "archive_int.h"

/*
 * The manifest comes last in the tar, so verify must keep every entry's
 * path, kind, size and SHA-512 until it arrives (and extract checks each
 * entry against them again). They go to a temporary file; memory holds an
 * open-addressing index by a 64-bit hash of the path (names compared
 * exactly on a hit), the records' offsets and a bit per entry for
 * "listed": about 40 bytes an entry instead of half a kilobyte.
 * Our manifests list files in archive order, so the manifest is checked
 * against a sequential read of the file, with the index for any other order.
 *
 * The names come from whoever made the archive (anyone holding the
 * recipient's certificate): the hash is SipHash-2-4 under a key drawn per
 * store, so nobody can pick names that pile up in one probe chain.
 */
struct rec_head {
	uint64_t size;
	uint8_t sha512[64];
	uint32_t pathlen;
	uint32_t kind;
};

struct arc_pstore {
	FILE *f;		/* records, appended */
	int dirty;		/* written since the last flush */
	uint64_t end;		/* file length */
	uint64_t *off;		/* record id -> offset | kind << 56 */
	uint8_t *listed;	/* bit per id */
	uint64_t n, cap;
	uint64_t *key, *val;	/* index: hash -> id + 1 (0: empty) */
	uint64_t slots;
	uint64_t sipkey[2];
	uint64_t probes;	/* slots visited, for tests */
	/* sequential reader for in-order manifests */
	FILE *r;
	uint64_t rpos;		/* r's position */
	uint64_t next;		/* id of the record read ahead, if have */
	int have;
	struct rec_head rh;
	char rpath[PATH_MAX + 1];
};

/* --- SipHash-2-4 (Aumasson, Bernstein) ------------------------------------------------ */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define OFF(p, id) ((p)->off[id] & ((1ULL << 56) - 1))
#define KIND(p, id) ((unsigned)((p)->off[id] >> 56))

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND							\
	do {								\
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;			\
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;			\
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t siphash(const uint64_t k[2], const void *in, size_t len)
{
	const uint8_t *p = in;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0], v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0], v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, end = len & ~(size_t)7;

	for (i = 0; i < end; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[end + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t arc_siphash24(const uint8_t key[16], const void *in, size_t len)
{
	uint64_t k[2] = { le64(key), le64(key + 8) };

	return siphash(k, in, len);
}

FILE *arc_tmpfile_in(const char *dir)
{
	FILE *f;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {	/* filesystems without O_TMPFILE */
		char t[PATH_MAX + 32];

		snprintf(t, sizeof(t), "%s/.dispose-tmp.XXXXXX", dir);
		fd = mkostemp(t, O_CLOEXEC);
		if (fd >= 0)
			unlink(t);
	}
	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "w+")))
		close(fd);
	return f;
}

FILE *arc_tmpfile(void)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", "/tmp" };

	for (size_t i = 0; i < DSP_ARRAY_SIZE(dirs); i++) {
		FILE *f;

		if (dirs[i] && dirs[i][0] && (f = arc_tmpfile_in(dirs[i])))
			return f;
	}
	return NULL;
}

int arc_pstore_open(struct arc_pstore **out)
{
	struct arc_pstore *p = calloc(1, sizeof(*p));
	uint8_t k[16];

	*out = NULL;
	if (!p)
		return -ENOMEM;
	if (RAND_bytes(k, sizeof(k)) != 1) {
		free(p);
		return -EIO;
	}
	p->sipkey[0] = le64(k);
	p->sipkey[1] = le64(k + 8);
	OPENSSL_cleanse(k, sizeof(k));
	p->f = arc_tmpfile();
	if (!p->f) {
		free(p);
		return -errno ? -errno : -EIO;
	}
	*out = p;
	return 0;
}

static int read_rec(struct arc_pstore *p, uint64_t id, struct rec_head *h,
		    char path[PATH_MAX + 1])
{
	int fd = fileno(p->f);

	if (p->dirty) {
		if (fflush(p->f))
			return -errno;
		p->dirty = 0;
	}
	if (pread(fd, h, sizeof(*h), (off_t)OFF(p, id)) != (ssize_t)sizeof(*h) ||
	    h->pathlen > PATH_MAX ||
	    pread(fd, path, h->pathlen, (off_t)(OFF(p, id) + sizeof(*h))) != (ssize_t)h->pathlen)
		return -EIO;
	path[h->pathlen] = '\0';
	return 0;
}

static uint64_t hash_of(const struct arc_pstore *p, const char *path)
{
	return siphash(p->sipkey, path, strlen(path));
}

/* Slot of path's id, or of the empty slot where it would go; id + 1 or 0 in *found. */
static int probe(struct arc_pstore *p, const char *path, uint64_t k, uint64_t *slot,
		 uint64_t *found)
{
	struct rec_head h;
	char buf[PATH_MAX + 1];
	int rc;

	*found = 0;
	for (uint64_t i = k & (p->slots - 1);; i = (i + 1) & (p->slots - 1)) {
		p->probes++;
		if (!p->val[i]) {
			*slot = i;
			return 0;
		}
		if (p->key[i] != k)
			continue;
		if ((rc = read_rec(p, p->val[i] - 1, &h, buf)))
			return rc;
		if (!strcmp(buf, path)) {
			*slot = i;
			*found = p->val[i];
			return 0;
		}
	}
}

static int grow(struct arc_pstore *p)
{
	uint64_t ns = p->slots ? p->slots * 2 : 1024;
	uint64_t *nk = calloc(ns, sizeof(*nk)), *nv = calloc(ns, sizeof(*nv));

	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < p->slots; i++) {
		uint64_t j;

		if (!p->val[i])
			continue;
		for (j = p->key[i] & (ns - 1); nv[j]; j = (j + 1) & (ns - 1))
			p->probes++;
		nk[j] = p->key[i];
		nv[j] = p->val[i];
	}
	free(p->key);
	free(p->val);
	p->key = nk;
	p->val = nv;
	p->slots = ns;
	return 0;
}

int arc_pstore_add(struct arc_pstore *p, const char *path, unsigned kind,
		   uint64_t size, const uint8_t sha512[64])
{
	struct rec_head h = { .size = size, .kind = kind };
	size_t l = strlen(path);
	uint64_t k = hash_of(p, path), slot, found;
	int rc;

	if (l > PATH_MAX)
		return -ENAMETOOLONG;
	if (kind > 255 || p->end >= 1ULL << 56)
		return -EOVERFLOW;
	if ((p->n + 1) * 2 > p->slots && (rc = grow(p)))
		return rc;
	if ((rc = probe(p, path, k, &slot, &found)))
		return rc;
	if (found)
		return DSP_INVALID;	/* stored twice */
	if (p->n == p->cap) {
		uint64_t nc = p->cap ? p->cap * 2 : 1024;
		uint64_t *no = realloc(p->off, nc * sizeof(*no));
		uint8_t *nl;

		if (!no)
			return -ENOMEM;
		p->off = no;
		nl = realloc(p->listed, nc / 8);
		if (!nl)
			return -ENOMEM;
		memset(nl + p->cap / 8, 0, (nc - p->cap) / 8);
		p->listed = nl;
		p->cap = nc;
	}
	if (sha512)
		memcpy(h.sha512, sha512, 64);
	h.pathlen = (uint32_t)l;
	if (fwrite(&h, sizeof(h), 1, p->f) != 1 || fwrite(path, 1, l, p->f) != l)
		return -EIO;
	p->dirty = 1;
	p->off[p->n] = p->end | (uint64_t)kind << 56;
	p->end += sizeof(h) + l;
	p->key[slot] = k;
	p->val[slot] = ++p->n;
	return 0;
}

static void to_rec(const struct rec_head *h, uint64_t id, struct arc_prec *r)
{
	r->id = id;
	r->size = h->size;
	r->kind = h->kind;
	memcpy(r->sha512, h->sha512, 64);
}

static int in_manifest(unsigned kind)
{
	return kind == ARC_PS_PAYLOAD || kind == ARC_PS_LINK;
}

int arc_pstore_find(struct arc_pstore *p, const char *path, struct arc_prec *r)
{
	struct rec_head h;
	char buf[PATH_MAX + 1];
	uint64_t slot, found;
	int rc;

	if (!p->n)
		return -ENOENT;
	/* the manifest in archive order: the next record read ahead */
	if (p->have && !strcmp(p->rpath, path)) {
		to_rec(&p->rh, p->next, r);
		p->have = 0;
		p->next++;
		return 0;
	}
	if ((rc = probe(p, path, hash_of(p, path), &slot, &found)))
		return rc;
	if (!found)
		return -ENOENT;
	if ((rc = read_rec(p, found - 1, &h, buf)))
		return rc;
	to_rec(&h, found - 1, r);
	return 0;
}

/* Read the next manifest record (payload file or link) ahead for arc_pstore_find. */
int arc_pstore_read_ahead(struct arc_pstore *p)
{
	if (p->have)
		return 0;
	for (; p->next < p->n; p->next++) {
		if (!in_manifest(KIND(p, p->next)))
			continue;
		if (!p->r) {
			char fdp[64];

			if (p->dirty && fflush(p->f))
				return -errno;
			p->dirty = 0;
			/* a file description of its own: buffered reads, offset apart */
			snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fileno(p->f));
			p->r = fopen(fdp, "re");
			if (!p->r) {	/* no /proc: every line through the index */
				p->next = p->n;
				return 0;
			}
			p->rpos = 0;
		}
		if (p->rpos != OFF(p, p->next) &&
		    fseeko(p->r, (off_t)OFF(p, p->next), SEEK_SET))
			return -EIO;
		if (fread(&p->rh, sizeof(p->rh), 1, p->r) != 1 || p->rh.pathlen > PATH_MAX ||
		    fread(p->rpath, 1, p->rh.pathlen, p->r) != p->rh.pathlen)
			return -EIO;
		p->rpath[p->rh.pathlen] = '\0';
		p->rpos = OFF(p, p->next) + sizeof(p->rh) + p->rh.pathlen;
		p->have = 1;
		return 0;
	}
	return 0;
}

/* 1 when id was listed already (now it is). */
int arc_pstore_list(struct arc_pstore *p, uint64_t id)
{
	uint8_t m = (uint8_t)(1u << (id & 7));
	int was = (p->listed[id >> 3] & m) != 0;

	p->listed[id >> 3] |= m;
	return was;
}

/* The first entry of a kind in kinds (bit 1 << kind) not listed: 1 and its path, or 0. */
int arc_pstore_unlisted(struct arc_pstore *p, unsigned kinds, char *path, size_t len)
{
	struct rec_head h;
	char buf[PATH_MAX + 1];

	for (uint64_t id = 0; id < p->n; id++) {
		if ((p->listed[id >> 3] & (1u << (id & 7))) || !(kinds & (1u << KIND(p, id))))
			continue;
		if (read_rec(p, id, &h, buf))
			snprintf(path, len, "entry %llu", (unsigned long long)id);
		else
			snprintf(path, len, "%s", buf);
		return 1;
	}
	return 0;
}

uint64_t arc_pstore_count(const struct arc_pstore *p)
{
	return p->n;
}

uint64_t arc_pstore_probes(const struct arc_pstore *p)
{
	return p->probes;
}

void arc_pstore_free(struct arc_pstore *p)
{
	if (!p)
		return;
	if (p->f)
		fclose(p->f);
	if (p->r)
		fclose(p->r);
	free(p->off);
	free(p->listed);
	free(p->key);
	free(p->val);
	OPENSSL_cleanse(p->sipkey, sizeof(p->sipkey));
	free(p);
}
