/* SPDX-License-Identifier: MIT */
/* luks.c - LUKS headers read and destroyed through libcryptsetup; the overwrite goes through the I/O seam */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <libcryptsetup.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "dispose/device.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/luks.h"

#define CHUNK	(1u << 20)

static void cs_log(int level, const char *msg, void *arg)
{
	size_t n = strlen(msg);

	(void)arg;
	(void)level;
	/* libcryptsetup's own words, for -v: our callers say what failed */
	dsp_log(DSP_LOG_DEBUG, "libcryptsetup: %.*s", (int)(n && msg[n - 1] == '\n' ? n - 1 : n), msg);
}

/* Open the header at fdpath read-only; 0 or libcryptsetup's -errno. */
static int cs_load(const char *fdpath, struct crypt_device **cd)
{
	int r;

	*cd = NULL;
	/* no token plugins (systemd-tpm2 ...) loaded to look at a header: its JSON is recorded as is */
	crypt_token_external_disable();
	/* the library's messages, crypt_init's too, go to our log, never to stderr */
	crypt_set_log_callback(NULL, cs_log, NULL);
	r = crypt_init(cd, fdpath);
	if (r < 0)
		return r;
	crypt_set_log_callback(*cd, cs_log, NULL);
	r = crypt_load(*cd, CRYPT_LUKS, NULL);
	if (r < 0) {
		crypt_free(*cd);
		*cd = NULL;
	}
	return r;
}

static const char *slot_state(int st)
{
	switch (st) {
	case CRYPT_SLOT_INACTIVE: return "inactive";
	case CRYPT_SLOT_ACTIVE: return "active";
	case CRYPT_SLOT_ACTIVE_LAST: return "active";
	case CRYPT_SLOT_UNBOUND: return "unbound";
	default: return "invalid";
	}
}

static void fill_info(struct crypt_device *cd, struct dsp_luks_info *info)
{
	const char *type = crypt_get_type(cd), *s;
	uint64_t md = 0, ks = 0, end;
	int n;

	memset(info, 0, sizeof(*info));
	info->version = type && !strcmp(type, CRYPT_LUKS1) ? 1 : 2;
	if ((s = crypt_get_uuid(cd)))
		snprintf(info->uuid, sizeof(info->uuid), "%s", s);
	if (crypt_get_cipher(cd) && crypt_get_cipher_mode(cd))
		snprintf(info->cipher, sizeof(info->cipher), "%s-%s", crypt_get_cipher(cd),
			 crypt_get_cipher_mode(cd));
	n = crypt_get_volume_key_size(cd);
	info->key_bits = n > 0 ? n * 8 : 0;
	n = crypt_keyslot_max(type);
	info->nslots = n < 0 ? 0 : n > DSP_LUKS_MAX_SLOTS ? DSP_LUKS_MAX_SLOTS : n;
	if (info->version == 2 && !crypt_get_metadata_size(cd, &md, &ks)) {
		info->metadata_size = md;
		info->keyslots_size = ks;
	}
	info->data_offset = crypt_get_data_offset(cd) * 512;
	end = info->data_offset;
	if (2 * md + ks > end)
		end = 2 * md + ks;
	for (int i = 0; i < info->nslots; i++) {
		struct dsp_luks_slot *sl = &info->slot[i];

		sl->state = crypt_keyslot_status(cd, i);
		if (sl->state >= CRYPT_SLOT_ACTIVE)
			info->active++;
		if (crypt_keyslot_area(cd, i, &sl->off, &sl->len) < 0)
			sl->off = sl->len = 0;
		if (sl->off + sl->len > end)
			end = sl->off + sl->len;
	}
	if (info->version == 2) {
		uint32_t req = 0;

		info->reencrypt = crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_NONE ||
				  (!crypt_persistent_flags_get(cd, CRYPT_FLAGS_REQUIREMENTS, &req) &&
				   (req & CRYPT_REQUIREMENT_ONLINE_REENCRYPT));
	}
	/* LUKS1: the 592-byte header sits in the first 4 KiB in any case */
	info->header_end = end < 4096 ? 4096 : end;
	for (int t = 0; info->version == 2 && t < DSP_LUKS_MAX_TOKENS; t++) {
		const char *tt = NULL;
		crypt_token_info ti = crypt_token_status(cd, t, &tt);

		if (ti == CRYPT_TOKEN_INVALID || ti == CRYPT_TOKEN_INACTIVE)
			continue;
		info->token_id[info->ntokens] = t;
		snprintf(info->token_type[info->ntokens], sizeof(info->token_type[0]), "%s",
			 tt ? tt : "");
		info->ntokens++;
	}
}

/* SHA-256 of [0, len) read by rd; 0 or -errno. */
typedef int (*read_fn)(void *arg, void *buf, size_t len, uint64_t off);

static int hash_range(read_fn rd, void *arg, uint64_t len, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[32];
	uint8_t *buf = dsp_io_buf_alloc(CHUNK);
	int r = 0;

	if (!md || !buf || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		r = -ENOMEM;
		goto out;
	}
	for (uint64_t off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;

		r = rd(arg, buf, n, off);
		if (r < 0)
			goto out;
		EVP_DigestUpdate(md, buf, n);
	}
	EVP_DigestFinal_ex(md, dg, NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dg[i]);
out:
	EVP_MD_CTX_free(md);
	dsp_io_buf_free(buf);
	return r;
}

/* rd shifted by base: a keyslot area hashed with hash_range */
struct shifted {
	read_fn rd;
	void *arg;
	uint64_t base;
};

static int shifted_read(void *arg, void *buf, size_t len, uint64_t off)
{
	struct shifted *s = arg;

	return s->rd(s->arg, buf, len, s->base + off);
}

static int hash_slot(read_fn rd, void *arg, struct dsp_luks_slot *sl)
{
	struct shifted s = { rd, arg, sl->off };
	int r = hash_range(shifted_read, &s, sl->len, sl->sha256);

	if (r < 0)
		sl->sha256[0] = '\0';
	return r;
}

static int fd_read(void *arg, void *buf, size_t len, uint64_t off)
{
	int fd = *(int *)arg;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

static int io_read(void *arg, void *buf, size_t len, uint64_t off)
{
	return dsp_io_read(arg, buf, len, off, NULL);
}

/*
 * Each active keyslot's sha256 over its area, read by rd, as far as size
 * holds it: the key material a header backup or a clone copies verbatim.
 */
int dsp_luks_hash_io(struct dsp_io *io, uint64_t len, char out[65])
{
	return hash_range(io_read, io, len, out);
}

static int hash_slots(read_fn rd, void *arg, uint64_t size, struct dsp_luks_info *info)
{
	for (int i = 0; i < info->nslots; i++) {
		struct dsp_luks_slot *sl = &info->slot[i];

		sl->sha256[0] = '\0';
		if (sl->state < CRYPT_SLOT_ACTIVE || !sl->len || sl->off > size ||
		    sl->len > size - sl->off)
			continue;
		/* one slot we cannot read is not compared: the others still are */
		if (hash_slot(rd, arg, sl) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

int dsp_luks_hash_keys_io(struct dsp_io *io, struct dsp_luks_info *info)
{
	return hash_slots(io_read, io, io->size, info);
}

int dsp_luks_has_key(const struct dsp_luks_info *info, const char *sha256)
{
	if (!sha256 || !sha256[0])
		return 0;
	for (int i = 0; i < info->nslots; i++)
		if (info->slot[i].sha256[0] && !strcmp(info->slot[i].sha256, sha256))
			return 1;
	return 0;
}

int dsp_luks_inspect_fd(int fd, int hash, struct dsp_luks_info *info)
{
	struct crypt_device *cd;
	char fdpath[64];
	struct stat st;
	int r;

	memset(info, 0, sizeof(*info));
	if (fstat(fd, &st))
		return -errno;
	/* read-only: no lock files, no header repair (crypt_load never repairs) */
	crypt_metadata_locking(NULL, 0);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	r = cs_load(fdpath, &cd);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	fill_info(cd, info);
	crypt_free(cd);
	if ((hash & DSP_LUKS_HASH_HEADER) && S_ISREG(st.st_mode)) {
		/* a header backup holds [0, header_end) or less */
		uint64_t len = info->header_end < (uint64_t)st.st_size ? info->header_end
									  : (uint64_t)st.st_size;

		r = hash_range(fd_read, &fd, len, info->header_sha256);
	} else if (hash & DSP_LUKS_HASH_HEADER) {
		r = hash_range(fd_read, &fd, info->header_end, info->header_sha256);
	}
	if (!r && (hash & DSP_LUKS_HASH_KEYS))
		r = hash_slots(fd_read, &fd, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : UINT64_MAX,
			       info);
	return r;
}

int dsp_luks_inspect(const char *path, int hash, struct dsp_luks_info *info)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0) {
		memset(info, 0, sizeof(*info));
		return -errno;
	}
	r = dsp_luks_inspect_fd(fd, hash, info);
	close(fd);
	return r;
}

struct json_object *dsp_luks_info_json(const struct dsp_luks_info *info)
{
	struct json_object *o = json_object_new_object(), *ks = json_object_new_array(),
			   *tk = json_object_new_array();

	if (!o || !ks || !tk) {
		json_object_put(o);
		json_object_put(ks);
		json_object_put(tk);
		return NULL;
	}
	json_object_object_add(o, "version", json_object_new_int(info->version));
	/* header strings are whatever the header held: not always UTF-8 */
	dsp_json_add_bytes(o, "uuid", info->uuid);
	dsp_json_add_bytes(o, "cipher", info->cipher[0] ? info->cipher : NULL);
	json_object_object_add(o, "key_bits", json_object_new_int(info->key_bits));
	json_object_object_add(o, "keyslots_max", json_object_new_int(info->nslots));
	json_object_object_add(o, "keyslots_active", json_object_new_int(info->active));
	for (int i = 0; i < info->nslots; i++) {
		const struct dsp_luks_slot *sl = &info->slot[i];
		struct json_object *s;

		if (sl->state <= CRYPT_SLOT_INACTIVE && !sl->len)
			continue;	/* LUKS2: a slot that does not exist */
		s = json_object_new_object();
		json_object_object_add(s, "slot", json_object_new_int(i));
		json_object_object_add(s, "state", json_object_new_string(slot_state(sl->state)));
		json_object_object_add(s, "offset", json_object_new_int64((int64_t)sl->off));
		json_object_object_add(s, "length", json_object_new_int64((int64_t)sl->len));
		json_object_array_add(ks, s);
	}
	json_object_object_add(o, "keyslots", ks);
	for (int t = 0; t < info->ntokens; t++) {
		struct json_object *s = json_object_new_object();

		json_object_object_add(s, "token", json_object_new_int(info->token_id[t]));
		dsp_json_add_bytes(s, "type", info->token_type[t]);
		json_object_array_add(tk, s);
	}
	json_object_object_add(o, "tokens", tk);
	json_object_object_add(o, "metadata_size", json_object_new_int64((int64_t)info->metadata_size));
	json_object_object_add(o, "keyslots_size", json_object_new_int64((int64_t)info->keyslots_size));
	json_object_object_add(o, "data_offset", json_object_new_int64((int64_t)info->data_offset));
	json_object_object_add(o, "header_area_length", json_object_new_int64((int64_t)info->header_end));
	json_object_object_add(o, "header_area_sha256", info->header_sha256[0] ?
			       json_object_new_string(info->header_sha256) : NULL);
	return o;
}

struct json_object *dsp_luks_result_json(const struct dsp_luks_result *res, int rc)
{
	struct json_object *o = json_object_new_object(), *v = dsp_luks_info_json(&res->before);
	const char *oc = rc == 0 ? "ok" : rc == DSP_LUKS_MISMATCH ? "mismatch" :
			 rc == DSP_LUKS_SURVIVED ? "survived" : "error";

	if (!o || !v) {
		json_object_put(o);
		json_object_put(v);
		return NULL;
	}
	json_object_object_add(o, "volume", v);
	json_object_object_add(o, "keyslots_destroyed", json_object_new_int(res->slots_destroyed));
	json_object_object_add(o, "keyslots_failed", json_object_new_int(res->slots_failed));
	json_object_object_add(o, "bytes_overwritten", json_object_new_int64((int64_t)res->written));
	json_object_object_add(o, "bytes_verified", json_object_new_int64((int64_t)res->verified));
	json_object_object_add(o, "header_found_after", res->loads_after < 0 ? NULL :
			       json_object_new_boolean(res->loads_after));
	json_object_object_add(o, "blkid_type_after", res->blkid_after[0] ?
			       json_object_new_string(res->blkid_after) : NULL);
	json_object_object_add(o, "blkid_ambiguous_after", json_object_new_boolean(res->blkid_ambiguous));
	json_object_object_add(o, "outcome", json_object_new_string(oc));
	if (rc < 0)
		json_object_object_add(o, "error", json_object_new_string(strerror(-rc)));
	return o;
}

/* AES-256-CTR keystream for [off, off+len) (off a multiple of 16) into buf. */
static int keystream(const uint8_t key[32], uint64_t off, uint8_t *buf, size_t len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t iv[16] = { 0 };
	uint64_t blk = off / 16;
	int outl, ok;

	for (int i = 0; i < 8; i++)
		iv[15 - i] = (uint8_t)(blk >> (8 * i));
	memset(buf, 0, len);
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, key, iv) &&
	     EVP_EncryptUpdate(c, buf, &outl, buf, (int)len);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -ENOMEM;
}

int dsp_luks_destroy(struct dsp_io *io, struct dsp_luks_result *res)
{
	struct dsp_luks_info *info = &res->before;
	struct crypt_device *cd = NULL;
	struct dsp_device_sig sig;
	uint8_t key[32], *wbuf = NULL, *rbuf = NULL;
	char fdpath[64];
	uint64_t end, off;
	int r;

	memset(res, 0, sizeof(*res));
	res->loads_after = -1;
	if (io->fd < 0)
		return -EBADF;
	if (io->kind == DSP_IO_BLOCK) {
		struct dsp_blkdev_use u;

		r = dsp_blkdev_in_use(io->path, &u);
		if (r < 0)
			return r;
		if (u.has_holders || u.mounted || u.swap_active || u.holds_root) {
			dsp_log(DSP_LOG_ERROR, "%s: in use%s%s: an open LUKS volume is not erased",
				io->path, u.has_holders ? ", held by " : "", u.holder);
			return -EBUSY;
		}
	}
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", io->fd);
	r = cs_load(fdpath, &cd);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	fill_info(cd, info);
	end = info->header_end;
	if (end > io->size) {
		crypt_free(cd);
		return -ERANGE;
	}
	/* the old header's digest for the record, read through the seam */
	r = hash_range(io_read, io, end, info->header_sha256);
	if (r < 0) {
		crypt_free(cd);
		return r;
	}
	/* libcryptsetup's own keyslot wipe first: if the overwrite fails, the keys are gone */
	for (int i = 0; i < info->nslots; i++) {
		int st = crypt_keyslot_status(cd, i);

		if (st < CRYPT_SLOT_ACTIVE)
			continue;
		if (crypt_keyslot_destroy(cd, i) < 0)
			res->slots_failed++;
		else
			res->slots_destroyed++;
	}
	crypt_free(cd);
	cd = NULL;

	wbuf = dsp_io_buf_alloc(CHUNK);
	rbuf = dsp_io_buf_alloc(CHUNK);
	if (!wbuf || !rbuf || RAND_bytes(key, sizeof(key)) != 1) {
		r = -ENOMEM;
		goto out;
	}
	for (off = 0; off < end; off += CHUNK) {
		size_t n = end - off < CHUNK ? (size_t)(end - off) : CHUNK, done = 0;

		r = keystream(key, off, wbuf, n);
		if (!r)
			r = dsp_io_write(io, wbuf, n, off, &done);
		res->written += done;
		if (r < 0) {
			dsp_log(DSP_LOG_ERROR, "%s: overwriting the LUKS header area at byte %llu: %s",
				io->path, (unsigned long long)(off + done), strerror(-r));
			goto out;
		}
	}
	r = dsp_io_flush(io);
	if (!r)
		r = dsp_io_drop_cache(io, 0, end);
	if (r < 0) {
		dsp_log(DSP_LOG_ERROR, "%s: flushing the LUKS header area: %s", io->path, strerror(-r));
		goto out;
	}
	for (off = 0; off < end; off += CHUNK) {
		size_t n = end - off < CHUNK ? (size_t)(end - off) : CHUNK;

		r = keystream(key, off, wbuf, n);
		if (!r)
			r = dsp_io_read(io, rbuf, n, off, NULL);
		if (r < 0) {
			dsp_log(DSP_LOG_ERROR, "%s: reading back the LUKS header area at byte %llu: %s",
				io->path, (unsigned long long)off, strerror(-r));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if (wbuf[i] != rbuf[i]) {
				res->verified += i;
				dsp_log(DSP_LOG_ERROR, "%s: LUKS header area reads back different at byte %llu",
					io->path, (unsigned long long)(off + i));
				r = DSP_LUKS_MISMATCH;
				goto out;
			}
		}
		res->verified += n;
	}
	/* proof: neither libcryptsetup nor libblkid finds the volume any more */
	res->loads_after = cs_load(fdpath, &cd) == 0;
	crypt_free(cd);
	r = dsp_device_probe(fdpath, false, &sig);
	if (r < 0 && r != -EIO)
		goto out;
	snprintf(res->blkid_after, sizeof(res->blkid_after), "%s", sig.type);
	res->blkid_ambiguous = sig.ambiguous || r == -EIO;
	r = 0;
	if (res->loads_after || !strcmp(sig.type, "crypto_LUKS") || res->blkid_ambiguous) {
		dsp_log(DSP_LOG_ERROR, "%s: a LUKS header is still found after the overwrite", io->path);
		r = DSP_LUKS_SURVIVED;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	dsp_io_buf_free(wbuf);
	dsp_io_buf_free(rbuf);
	return r;
}
