/* SPDX-License-Identifier: MIT */
/* crypto.c - crypto-luks as an erase technique: check, destroy, record, label */
#include "erase_int.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>


#include "dispose/device.h"
#include "dispose/inventory.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/luks.h"
#include "dispose/util.h"

#define INV_MAX		(512ull << 20)	/* as certify reads an inventory */

#define FLASH_CAVEAT	"flash spare area: old key material may survive outside the LBA space; " \
			"follow with a device sanitize for Purge"
#define REENCRYPT_WHY	"a LUKS2 volume whose encryption, decryption or reencryption is under way " \
			"or was cut short (requirement online-reencrypt): part of its data may be " \
			"plaintext that no key protects; finish it (cryptsetup reencrypt --resume-only) " \
			"or use an overwrite method"
#define LOOP_WHY	"a loop device: its medium is a file; the medium under it was not examined"
#define UNKNOWN_CAVEAT	"medium type unknown: if flash, old key material may survive outside " \
			"the LBA space; follow with a device sanitize for Purge"

/* ---- header backups an inventory lists ---- */

int dsp_erase_luks_backups(const char *inventory, struct json_object **out)
{
	struct json_tokener *tok = NULL;
	struct json_object *doc = NULL, *keys, *list = NULL;
	const char *schema;
	char *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	r = dsp_file_read(inventory, INV_MAX, 0, &buf, &len);
	if (r == -EINVAL || r == -EFBIG) {
		dsp_log(DSP_LOG_ERROR, "%s: %s", inventory, r == -EINVAL ? "not a regular file" :
			"larger than 512 MiB: not an inventory");
		return DSP_INVALID;
	}
	if (r < 0) {
		dsp_log(DSP_LOG_ERROR, "%s: %s", inventory, strerror(-r));
		return r;
	}
	r = DSP_INVALID;
	tok = json_tokener_new_ex(64);
	if (!tok) {
		r = -ENOMEM;
		goto out;
	}
	doc = json_tokener_parse_ex(tok, buf, (int)len);
	if (!doc || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) + strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n") != len) {
		dsp_log(DSP_LOG_ERROR, "%s: not a JSON document", inventory);
		goto out;
	}
	schema = dsp_json_str(doc, "schema");
	if (!json_object_is_type(doc, json_type_object) || !schema || strcmp(schema, DSP_INV_SCHEMA)) {
		dsp_log(DSP_LOG_ERROR, "%s: not a %s document", inventory, DSP_INV_SCHEMA);
		goto out;
	}
	list = json_object_new_array();
	if (!list) {
		r = -ENOMEM;
		goto out;
	}
	if (!json_object_object_get_ex(doc, "keys", &keys) || !keys) {
		r = 0;	/* an inventory that found no keys */
		goto out;
	}
	if (!json_object_is_type(keys, json_type_array)) {
		dsp_log(DSP_LOG_ERROR, "%s: keys: not an array", inventory);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i), *e;
		const char *fmt = dsp_json_str(k, "format"), *uuid = dsp_json_str(k, "luks_uuid");
		char *path = NULL;
		int q;

		if (!fmt || strcmp(fmt, "luks") || !uuid || !uuid[0])
			continue;	/* not a LUKS header, or one libcryptsetup could not read */
		q = dsp_json_bytes(k, "path", &path, NULL);
		if (q == -ENOMEM) {
			r = q;
			goto out;
		}
		if (q || path[0] != '/') {
			free(path);
			dsp_log(DSP_LOG_ERROR, "%s: keys[%zu]: a LUKS header backup without an "
				"absolute path", inventory, i);
			goto out;
		}
		e = json_object_new_object();
		if (!e || dsp_json_add_bytes(e, "path", path) ||
		    json_object_object_add(e, "uuid", json_object_new_string(uuid)) ||
		    json_object_array_add(list, e)) {
			json_object_put(e);
			free(path);
			r = -ENOMEM;
			goto out;
		}
		free(path);
	}
	r = 0;
out:
	if (r == 0) {
		*out = list;
		list = NULL;
	}
	json_object_put(list);
	json_object_put(doc);
	if (tok)
		json_tokener_free(tok);
	free(buf);
	return r;
}

/*
 * What this run's record says of files it erased, by inode ("dev:ino"),
 * never by the path as a target was named: gone maps an inode whose data
 * was overwritten before its name went (file_removed) to the target that
 * held it (a tree's file: the tree); kept holds inodes whose name alone
 * went, the data kept under other hard links (link_removed,
 * hard_links_remain). keys: the volume's keyslot digests its luks_header
 * event recorded (target's), for a resume after the header is gone.
 */
struct removed {
	const char *target;
	struct json_object *ids, *gone, *kept, *keys, *notes;
};

static bool inode_key(struct json_object *o, char *key, size_t len)
{
	int64_t dev, ino;

	if (dsp_json_i64(o, "dev", &dev) || dsp_json_i64(o, "ino", &ino) || ino <= 0)
		return false;
	snprintf(key, len, "%" PRId64 ":%" PRId64, dev, ino);
	return true;
}

static int removed_walk(struct json_object *ev, void *arg)
{
	struct removed *rm = arg;
	const char *name = dsp_json_str(ev, "event"), *t = dsp_json_str(ev, "target");
	struct json_object *id, *v;
	char key[64];

	if (!name || !t)
		return 0;
	if (!strcmp(name, "target") && json_object_object_get_ex(ev, "identity", &id) &&
	    inode_key(id, key, sizeof(key)) && (v = json_object_new_object())) {
		const char *parent = dsp_json_str(ev, "parent");

		json_object_object_add(v, "inode", json_object_new_string(key));
		json_object_object_add(v, "holder", json_object_new_string(parent ? parent : t));
		json_object_object_add(rm->ids, t, v);
	} else if (!strcmp(name, "file_removed") && json_object_object_get_ex(rm->ids, t, &v)) {
		const char *ino = dsp_json_str(v, "inode"), *holder = dsp_json_str(v, "holder");

		if (ino && holder)
			json_object_object_add(rm->gone, ino, json_object_new_string(holder));
	} else if ((!strcmp(name, "link_removed") || !strcmp(name, "hard_links_remain")) &&
		   inode_key(ev, key, sizeof(key))) {
		json_object_object_add(rm->kept, key, NULL);
	} else if (!strcmp(name, "luks_header") && rm->target && !strcmp(t, rm->target) &&
		   json_object_object_get_ex(ev, "keyslots_sha256", &v) &&
		   json_object_is_type(v, json_type_array)) {
		json_object_put(rm->keys);
		rm->keys = json_object_get(v);
	}
	return 0;
}

static void removed_load(struct removed *rm, const char *run_dir, const char *target)
{
	rm->target = target;
	rm->ids = json_object_new_object();
	rm->gone = json_object_new_object();
	rm->kept = json_object_new_object();
	/* other targets may be mid-line: what came before (the backups' erase, first) is read */
	if (rm->ids && rm->gone && rm->kept)
		dsp_record_read_events(run_dir, removed_walk, rm, NULL);
}

static void removed_free(struct removed *rm)
{
	json_object_put(rm->ids);
	json_object_put(rm->gone);
	json_object_put(rm->kept);
	json_object_put(rm->keys);
	json_object_put(rm->notes);
}

/* The volume's active keyslot digests, for the luks_header event. */
static struct json_object *keys_json(const struct dsp_luks_info *li)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; a && i < li->nslots; i++)
		if (li->slot[i].sha256[0])
			json_object_array_add(a, json_object_new_string(li->slot[i].sha256));
	return a;
}

/* Does backup bi hold a keyslot of the volume (vol's digests, or those recorded)? */
static bool same_keys(const struct dsp_luks_info *bi, const struct dsp_luks_info *vol,
		      const struct removed *rm)
{
	for (int i = 0; i < bi->nslots; i++) {
		const char *h = bi->slot[i].sha256;
		size_t n = rm && rm->keys ? json_object_array_length(rm->keys) : 0;

		if (!h[0])
			continue;
		if (vol && dsp_luks_has_key(vol, h))
			return true;
		for (size_t j = 0; j < n; j++) {
			const char *r = json_object_get_string(json_object_array_get_idx(rm->keys, j));

			if (r && !strcmp(r, h))
				return true;
		}
	}
	return false;
}

/*
 * Does a backup of the volume (vol: its UUID and keyslot digests) survive?
 * A backup is the volume's when its UUID is the volume's or when it holds
 * one of the volume's keyslots byte for byte (a UUID is a label: changed,
 * or a clone's, the keyslots still give the volume key): every entry is
 * read (dsp_luks_inspect, reads only); one that cannot be read is noted
 * (a log line at the check, rm->notes at run time), not a match. Its
 * readable description goes to which (the first one). An entry with
 * "erased_in_run" true is a target of the run, erased before the volume.
 * At the check (rm NULL) it counts as erased unless it has other hard
 * links (a tree erase only unlinks such a name). At run time (rm: this
 * run's record) only when its file no longer holds this volume's header and
 * the record shows its inode (dev, ino as the check saw it) overwritten by
 * the target that held it at the check before its name was removed, no
 * name of it kept. list, when not NULL, receives every matching entry as
 * {path, uuid, erased_in_run} for the record.
 */
static bool backup_survives(struct json_object *backups, const struct dsp_luks_info *vol,
			    struct removed *rm, char *which, size_t wlen,
			    struct json_object *list)
{
	size_t n = json_object_is_type(backups, json_type_array) ?
		   json_object_array_length(backups) : 0;
	const char *uuid = vol ? vol->uuid : "";
	bool any = false;

	if (which && wlen)
		which[0] = '\0';
	if (rm) {
		json_object_put(rm->notes);
		rm->notes = json_object_new_array();
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *b = json_object_array_get_idx(backups, i), *e;
		const char *bu = dsp_json_str(b, "uuid"), *shown = dsp_json_str(b, "path");
		bool marked = false, erased, by_uuid, by_keys = false;
		struct dsp_luks_info bi;
		struct stat st;
		char *path = NULL;
		bool exists;
		int q = -ENOENT;

		if (!bu || dsp_json_bytes(b, "path", &path, NULL))
			continue;
		shown = shown ? shown : path;
		dsp_json_bool(b, "erased_in_run", &marked);
		by_uuid = uuid[0] && !strcasecmp(bu, uuid);
		exists = lstat(path, &st) == 0;
		if (exists) {
			q = S_ISREG(st.st_mode) ? dsp_luks_inspect(path, DSP_LUKS_HASH_KEYS, &bi) :
			    -EINVAL;
			by_keys = q == 0 && same_keys(&bi, vol, rm);
		} else {
			q = -errno;
		}
		/* the check found its keys the volume's: so it stays once erased (gone) */
		if (!rm && by_keys)
			json_object_object_add(b, "key_material", json_object_new_boolean(true));
		else if (rm && marked && q && !by_keys)
			dsp_json_bool(b, "key_material", &by_keys);
		if (!by_uuid && !by_keys) {
			if (q && !marked) {
				char c[PATH_MAX + 256];

				snprintf(c, sizeof(c), "LUKS header backup %s (UUID %s) the inventory "
					 "lists cannot be read (%s): its key material was not compared "
					 "with this volume's", shown, bu, q == -EINVAL ?
					 "no longer a LUKS header" : strerror(-q));
				if (rm && rm->notes)
					json_object_array_add(rm->notes, json_object_new_string(c));
				else if (!rm)
					dsp_log(DSP_LOG_WARN, "%s", c);
			}
			free(path);
			continue;
		}
		erased = marked;
		if (marked && !rm) {
			erased = !exists ? q == -ENOENT : !S_ISREG(st.st_mode) || st.st_nlink <= 1;
		} else if (marked) {
			struct json_object *h;
			const char *holder = dsp_json_str(b, "target");
			char key[64];

			/* gone, or no longer this volume's header ... */
			erased = q != 0 || (strcasecmp(bi.uuid, uuid) && !by_keys);
			/* ... because this run overwrote that inode, not because a name went */
			erased = erased && rm->gone && rm->kept && holder &&
				 inode_key(b, key, sizeof(key)) &&
				 json_object_object_get_ex(rm->gone, key, &h) &&
				 !strcmp(json_object_get_string(h), holder) &&
				 !json_object_object_get_ex(rm->kept, key, NULL);
		}
		if (!erased && !any) {
			any = true;
			if (which && wlen)
				snprintf(which, wlen, by_uuid ? "%s has this volume's UUID" :
					 "%s has this volume's key material (same key material, UUID "
					 "changed to %s)", shown, bu);
		}
		if (list && (e = json_object_new_object())) {
			dsp_json_add_bytes(e, "path", path);
			json_object_object_add(e, "uuid", json_object_new_string(bu));
			json_object_object_add(e, "erased_in_run", json_object_new_boolean(erased));
			json_object_array_add(list, e);
		}
		free(path);
	}
	return any;
}

/*
 * The highest category a destroyed volume reaches here: purge on a
 * rotational whole medium with no surviving header backup; else clear
 * (why says what stands in the way); none for what is not a block device
 * or is a partition (not the medium: as for an overwrite, no category).
 */
static enum dsp_category reach(bool block, bool partition, bool loop, int rotational,
			       const char *survivor, char *why, size_t wlen)
{
	size_t k = 0;

	why[0] = '\0';
	if (!block) {
		snprintf(why, wlen, "not a block device");
		return DSP_CAT_NONE;
	}
	if (partition) {
		snprintf(why, wlen, "partition, not the whole medium: only this LUKS volume's key "
			 "material was destroyed");
		return DSP_CAT_NONE;
	}
	if (survivor && survivor[0])
		k = (size_t)snprintf(why, wlen, "LUKS header backup %s and survives", survivor);
	/* a loop's rotational flag is copied from anywhere: not evidence of the medium */
	if (loop && k < wlen)
		k += (size_t)snprintf(why + k, wlen - k, "%s%s", k ? "; " : "", LOOP_WHY);
	if ((loop ? rotational == 0 : rotational != 1) && k < wlen)
		snprintf(why + k, wlen - k, "%s%s", k ? "; " : "", rotational == 0 ?
			 "flash medium: old key material may survive in the spare area outside "
			 "the LBA space" :
			 "medium type unknown (rotational not reported): if flash, old key "
			 "material may survive in the spare area");
	return why[0] ? DSP_CAT_CLEAR : DSP_CAT_PURGE;
}

/* ---- is the data area ciphertext? ---- */

#define SAMPLE_BLOCKS	64
#define SAMPLE_SIZE	4096u
/*
 * Chi-square of a block's byte histogram against uniform: 255 degrees of
 * freedom, so a random 4 KiB block scores 255 on average, sd 22.6. 400 is
 * 6.4 sd above: a random block exceeds it with probability about 2e-8
 * (Wilson-Hilferty), a sample of 64 about 1e-6; text, tables and
 * filesystem structures score in the thousands.
 */
#define CHI2_MAX	400.0

struct data_sample {
	bool done, detached, plain;
	uint64_t start, first_plain;	/* bytes */
	unsigned blocks, zeros, cipher;
	uint64_t off[SAMPLE_BLOCKS];
};

static double chi2(const uint8_t *b, size_t n)
{
	unsigned h[256] = { 0 };
	double e = (double)n / 256, x = 0;

	for (size_t i = 0; i < n; i++)
		h[b[i]]++;
	for (int i = 0; i < 256; i++)
		x += (h[i] - e) * (h[i] - e) / e;
	return x;
}

/*
 * A crypto erase proves something only for what was written through the
 * cipher. Reads (through the seam) up to 64 blocks spread evenly over the
 * device after the header and the data offset, the first and last
 * included: each must be all zeros (never written) or look like
 * ciphertext. 0 or -errno.
 */
static int data_sample(struct dsp_io *io, const struct dsp_luks_info *li, struct data_sample *s)
{
	uint64_t start = li->data_offset > li->header_end ? li->data_offset : li->header_end, nblk;
	uint8_t *buf;
	unsigned n;
	int r = 0;

	memset(s, 0, sizeof(*s));
	s->done = true;
	s->detached = li->data_offset == 0;	/* the volume's data is on another device */
	start = (start + SAMPLE_SIZE - 1) / SAMPLE_SIZE * SAMPLE_SIZE;
	s->start = start;
	if (io->size < start + SAMPLE_SIZE)
		return 0;
	nblk = (io->size - start) / SAMPLE_SIZE;
	n = nblk < SAMPLE_BLOCKS ? (unsigned)nblk : SAMPLE_BLOCKS;
	buf = dsp_io_buf_alloc(SAMPLE_SIZE);
	if (!buf)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		uint64_t off = start + (n == 1 ? 0 : i * (nblk - 1) / (n - 1)) * SAMPLE_SIZE;
		bool zero = true;

		r = dsp_io_read(io, buf, SAMPLE_SIZE, off, NULL);
		if (r < 0)
			break;
		r = 0;
		for (unsigned j = 0; j < SAMPLE_SIZE && zero; j++)
			zero = !buf[j];
		s->off[s->blocks++] = off;
		if (zero)
			s->zeros++;
		else if (chi2(buf, SAMPLE_SIZE) <= CHI2_MAX)
			s->cipher++;
		else if (!s->plain) {
			s->plain = true;
			s->first_plain = off;
		}
	}
	dsp_io_buf_free(buf);
	return r;
}

/* Why the sample stands in the way of a crypto erase alone; "" if it does not. */
static const char *sample_why(const struct data_sample *s, char *why, size_t len)
{
	why[0] = '\0';
	if (s->detached)
		snprintf(why, len, "holds a detached LUKS header: the rest of the device is not this "
			 "volume's ciphertext; use an overwrite method or --then METHOD");
	else if (s->plain)
		snprintf(why, len, "the data area holds unencrypted data (offset %" PRIu64 " is not "
			 "ciphertext): crypto erase would leave it; use an overwrite method or "
			 "--then METHOD", s->first_plain);
	return why;
}

static struct json_object *sample_json(const struct data_sample *s)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return NULL;
	}
	for (unsigned i = 0; i < s->blocks; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)s->off[i]));
	json_object_object_add(o, "from", json_object_new_int64((int64_t)s->start));
	json_object_object_add(o, "block_size", json_object_new_int(SAMPLE_SIZE));
	json_object_object_add(o, "blocks", json_object_new_int((int)s->blocks));
	json_object_object_add(o, "spread", json_object_new_string(
		"evenly from the first to the last block after the header (no seed)"));
	json_object_object_add(o, "offsets", a);
	json_object_object_add(o, "zeros", json_object_new_int((int)s->zeros));
	json_object_object_add(o, "ciphertext_like", json_object_new_int((int)s->cipher));
	json_object_object_add(o, "chi2_max", json_object_new_double(CHI2_MAX));
	json_object_object_add(o, "detached_header", json_object_new_boolean(s->detached));
	if (s->plain)
		json_object_object_add(o, "first_not_ciphertext",
				       json_object_new_int64((int64_t)s->first_plain));
	return o;
}

int dsp_erase_luks_plain(struct dsp_io *io, const struct dsp_luks_info *li, char *why, size_t len)
{
	struct data_sample s;
	int r;

	if (len)
		why[0] = '\0';
	if (!io || !li || io->fd < 0)
		return -EINVAL;
	r = data_sample(io, li, &s);
	if (r < 0)
		return r;
	return sample_why(&s, why, len)[0] ? 1 : 0;
}

/* ---- check ---- */

static int check_why(struct dsp_erase_why *why, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int check_why(struct dsp_erase_why *why, int code, const char *fmt, ...)
{
	va_list ap;

	why->code = code;
	va_start(ap, fmt);
	vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
	va_end(ap);
	return code;
}

int dsp_erase_luks_check(struct dsp_io *io, const struct dsp_blkdev_info *dev,
			 enum dsp_category requested, struct json_object *backups, bool then,
			 struct dsp_erase_why *why)
{
	struct dsp_luks_info li;
	struct dsp_blkdev_use use;
	char survivor[PATH_MAX], reason[1024], buf[512];
	enum dsp_category max;
	int r;

	memset(why, 0, sizeof(*why));
	snprintf(why->thing, sizeof(why->thing), "%s", io && io->path ? io->path : "");
	if (!io || io->fd < 0)
		return check_why(why, -EINVAL, "not open");
	if (io->kind != DSP_IO_BLOCK)
		return check_why(why, DSP_UNSUPPORTED, "crypto-luks erases a LUKS volume on a block "
				 "device, not a file");
	r = dsp_luks_inspect_fd(io->fd, 0, &li);
	if (r == -EINVAL)
		return check_why(why, DSP_UNSUPPORTED, "no LUKS header (libcryptsetup finds no LUKS1 "
				 "or LUKS2 volume): crypto-luks cannot erase it; use an overwrite "
				 "method");
	if (r < 0)
		return check_why(why, r, "reading the LUKS header: %s", strerror(-r));
	if (li.reencrypt)
		return check_why(why, DSP_UNSUPPORTED, REENCRYPT_WHY);
	r = dsp_blkdev_in_use(io->path, &use);
	if (r < 0)
		return check_why(why, r, "cannot tell what uses it: %s", strerror(-r));
	if (use.has_holders)
		return check_why(why, DSP_REFUSED, "an open LUKS volume (held by %s): close it "
				 "first (cryptsetup close)", use.holder[0] ? use.holder : "a device");
	if (dsp_blkdev_use_reason(&use, buf, sizeof(buf))[0])
		return check_why(why, DSP_REFUSED, "%s", buf);
	/* with --then the overwrite covers the data area, whatever it holds */
	if (!then) {
		r = dsp_erase_luks_plain(io, &li, reason, sizeof(reason));
		if (r < 0)
			return check_why(why, r, "reading the data area: %s", strerror(-r));
		if (r)
			return check_why(why, DSP_UNSUPPORTED, "%s", reason);
	}
	/* the keyslots a backup is matched by, whatever its UUID */
	r = dsp_luks_hash_keys_io(io, &li);
	if (r < 0)
		return check_why(why, r, "reading the LUKS keyslots: %s", strerror(-r));
	backup_survives(backups, &li, NULL, survivor, sizeof(survivor), NULL);
	max = reach(true, dev && dev->is_partition, dev && dev->backing_file[0],
		    dev ? dev->rotational : -1, survivor, reason, sizeof(reason));
	/* a partition reaches no category, whatever is asked: recorded so, as an overwrite's */
	if (requested > max && !(dev && dev->is_partition))
		return check_why(why, DSP_UNSUPPORTED, "crypto-luks cannot reach %s here: %s; "
				 "ask for --category clear%s", dsp_category_name(requested), reason,
				 survivor[0] ? ", or name the backup as a target of the same run" :
				 ", or use a device sanitize (-m sanitize-crypto) for purge");
	return 0;
}

/* ---- run ---- */

struct luks_run {
	struct dsp_io *io;
	const struct dsp_erase_opts *o;
	const struct dsp_blkdev_info *dev;
	struct dsp_blkdev_info devbuf;
	bool block, partition, loop;
	int rotational;			/* 1, 0 flash, -1 unknown */
	enum dsp_category req;
	/* the record, on resume */
	bool seen, finished;
	int64_t size;			/* of the first target event; -1 none */
	struct json_object *volume;	/* the last luks_header's volume */
	struct json_object *result;	/* the luks_destroyed after it */
};

static int walk(struct json_object *ev, void *arg)
{
	struct luks_run *k = arg;
	const char *name = dsp_json_str(ev, "event"), *t = dsp_json_str(ev, "target");
	struct json_object *v;

	if (!name || !t || strcmp(t, k->o->target_id))
		return 0;
	if (!strcmp(name, "target") || !strcmp(name, "target_resumed")) {
		k->seen = true;
		k->finished = false;
		if (k->size < 0)
			dsp_json_i64(ev, "size", &k->size);
	} else if (!strcmp(name, "luks_header") && json_object_object_get_ex(ev, "volume", &v) &&
		   json_object_is_type(v, json_type_object)) {
		json_object_put(k->volume);
		json_object_put(k->result);
		k->volume = json_object_get(v);
		k->result = NULL;
	} else if (!strcmp(name, "luks_destroyed") && json_object_object_get_ex(ev, "result", &v) &&
		   json_object_is_type(v, json_type_object)) {
		json_object_put(k->result);
		k->result = json_object_get(v);
	} else if (!strcmp(name, "target_end")) {
		const char *st = dsp_json_str(ev, "status");

		/* a failed or interrupted target is taken up again */
		k->finished = !st || (strcmp(st, "interrupted") && strcmp(st, "failed"));
	}
	return 0;
}

static int event(struct luks_run *k, const char *name, struct json_object *f, int sync)
{
	int r;

	if (!f)
		return -ENOMEM;
	json_object_object_add(f, "target", json_object_new_string(k->o->target_id));
	r = dsp_ledger_append(k->o->ledger, name, f, sync);
	json_object_put(f);
	if (r < 0)
		erase_record_failed(k->o, r);
	return r;
}

/*
 * How the --then passes are read back: as --verify says (opts->verify other
 * than the crypto-luks method's own, which is none; on resume, as recorded),
 * else as the --then method says.
 */
static enum dsp_verify_mode then_verify(const struct dsp_erase_opts *o, double *pct)
{
	bool given = o->verify != o->method->verify;

	if (pct)
		*pct = given && o->sample_percent > 0 ? o->sample_percent : o->then->sample_percent;
	return given ? o->verify : o->then->verify;
}

static struct json_object *target_fields(struct luks_run *k)
{
	const struct dsp_erase_opts *o = k->o;
	struct dsp_io *io = k->io;
	struct json_object *f, *id = json_object_new_object();
	const char *kind = io->kind == DSP_IO_BLOCK ? "block" :
			   io->kind == DSP_IO_MEM ? "memory" : "file";

	f = dsp_record_target_start(io->path, kind, NULL);
	if (!f || !id) {
		json_object_put(f);
		json_object_put(id);
		return NULL;
	}
	json_object_object_add(f, "size", json_object_new_int64((int64_t)io->size));
	/* as the overwrite engine writes it: a resume and the certificate compare it */
	eng_target_identity(id, io, io->kind == DSP_IO_BLOCK, k->rotational, k->dev, o->identity);
	json_object_object_add(f, "identity", id);
	json_object_object_add(f, "method", dsp_method_to_json(o->method));
	json_object_object_add(f, "technique", json_object_new_string("crypto-luks"));
	json_object_object_add(f, "category_requested",
			       json_object_new_string(dsp_category_name(k->req)));
	if (o->auto_reason)
		json_object_object_add(f, "auto_reason", json_object_new_string(o->auto_reason));
	if (o->then) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(f, "then", dsp_method_to_json(o->then));
		/* the whole device, header area included: the last pass then covers every byte */
		json_object_object_add(a, "offset", json_object_new_int64(0));
		json_object_object_add(a, "length", json_object_new_int64((int64_t)io->size));
		json_object_object_add(a, "whole_device", json_object_new_boolean(1));
		json_object_object_add(f, "then_area", a);
		json_object_object_add(f, "verify", json_object_new_string(
			dsp_verify_mode_name(then_verify(o, NULL))));
		json_object_object_add(f, "readmode", json_object_new_string(
			dsp_io_readmode_name(io->readmode)));
		json_object_object_add(f, "direct_writes", json_object_new_boolean(io->direct));
	}
	if (k->seen)
		json_object_object_add(f, "resumed", json_object_new_boolean(1));
	return f;
}

/* A recorded luks_destroyed result that proved the volume gone. */
static bool result_ok(struct json_object *res)
{
	const char *oc = dsp_json_str(res, "outcome");

	return oc && !strcmp(oc, "ok");
}

static const char *volume_uuid(struct json_object *volume)
{
	const char *u = dsp_json_str(volume, "uuid");

	return u ? u : "";
}

/* What the record says of the destroy when this session did not run it. */
static struct json_object *unverified_result(struct json_object *volume, const char *outcome)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "volume", json_object_get(volume));
	json_object_object_add(o, "outcome", json_object_new_string(outcome));
	json_object_object_add(o, "header_found_after", json_object_new_boolean(0));
	return o;
}

/* The result of dsp_luks_destroy as the erase's: its code, and err for the record. */
static int destroy_outcome(int r, const struct dsp_luks_result *lr, char *err, size_t len,
			   bool *logged)
{
	*logged = r != 0 && r != -EINVAL;	/* luks.c said what failed */
	switch (r) {
	case 0:
		return 0;
	case -EBUSY:
		snprintf(err, len, "an open LUKS volume (it has a holder): nothing written");
		return DSP_REFUSED;
	case -EINVAL:
		*logged = false;
		snprintf(err, len, "no LUKS header found by the destroy: nothing written");
		return DSP_UNSUPPORTED;
	case DSP_LUKS_MISMATCH:
		snprintf(err, len, "the LUKS header area reads back different from what was written "
			 "at byte %" PRIu64, lr->verified);
		return DSP_MISMATCH;
	case DSP_LUKS_SURVIVED:
		snprintf(err, len, "a LUKS header is still found after the overwrite (libcryptsetup "
			 "or libblkid)");
		return -EIO;
	default:
		snprintf(err, len, "destroying the LUKS header: %s (%d keyslot%s destroyed, %" PRIu64
			 " bytes of the header area overwritten)", strerror(r < 0 ? -r : EIO),
			 lr->slots_destroyed, lr->slots_destroyed == 1 ? "" : "s", lr->written);
		return r < 0 ? r : -EIO;
	}
}

int dsp_erase_luks_io(struct dsp_io *io, const struct dsp_erase_opts *o,
		      struct dsp_erase_result *res)
{
	struct dsp_erase_result dummy, tres = { 0 };
	struct luks_run k = { .size = -1 };
	struct dsp_luks_info li;
	struct dsp_luks_result lr;
	struct erase_sub sub = { 0 };
	struct removed rm = { 0 };
	struct data_sample ds = { 0 };
	struct json_object *luks = NULL, *list = NULL, *cav = NULL, *f, *keep, *then = NULL;
	enum dsp_category max = DSP_CAT_NONE, got;
	char err[2048] = "", why[1024] = "", survivor[PATH_MAX] = "", uuid[64] = "";
	char vtext[1024] = "not verified: the LUKS header was not destroyed";
	uint64_t hw = 0, hv = 0;
	bool destroyed = false, ran_then = false, logged = false;
	int st = 0, version = 2, r;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!io || !o || !o->method || !o->ledger || !o->target_id ||
	    (o->then && (o->then->technique != DSP_TECH_OVERWRITE || !o->then->npasses)))
		return -EINVAL;
	k.io = io;
	k.o = o;
	k.block = io->kind == DSP_IO_BLOCK;
	if (k.block)
		k.dev = o->device ? o->device :
			dsp_device_info(NULL, io->rdev, &k.devbuf) == 0 ? &k.devbuf : NULL;
	k.rotational = k.dev ? k.dev->rotational : -1;
	k.partition = k.dev && k.dev->is_partition;
	k.loop = k.dev && k.dev->backing_file[0];
	k.req = o->requested != DSP_CAT_NONE ? o->requested : o->method->category;
	if (o->resume) {
		uint64_t bad = 0;

		r = dsp_record_read_events(dsp_ledger_dir(o->ledger), walk, &k, &bad);
		if (r) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: cannot resume target %s (line %llu)",
				io->path, o->target_id, (unsigned long long)bad);
			st = r > 0 ? -EINVAL : r;
			goto out;
		}
		if (k.finished) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: target %s already finished",
				io->path, o->target_id);
			st = -EALREADY;
			goto out;
		}
		if (k.size >= 0 && (uint64_t)k.size != io->size) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: target %s had size %lld, now %llu",
				io->path, o->target_id, (long long)k.size,
				(unsigned long long)io->size);
			st = -ESTALE;
			goto out;
		}
	}
	r = event(&k, k.seen ? "target_resumed" : "target", target_fields(&k), 0);
	if (r < 0) {
		st = r;
		goto out;
	}
	dsp_audit(DSP_AUDIT_NOTICE, "%s: %s crypto-luks erase with method %s%s%s, target %s",
		  io->path, k.seen ? "resuming" : "starting", o->method->name,
		  o->then ? ", then overwrite with method " : "", o->then ? o->then->name : "",
		  o->target_id);
	list = json_object_new_array();
	if (!list) {
		st = -ENOMEM;
		goto end;
	}

	if (k.result && result_ok(k.result)) {
		/* the header is gone, proven in an earlier session: never destroyed twice */
		struct json_object *v;
		int64_t n;

		luks = json_object_get(k.result);
		if (json_object_object_get_ex(k.result, "volume", &v)) {
			snprintf(uuid, sizeof(uuid), "%s", volume_uuid(v));
			if (!dsp_json_i64(v, "version", &n))
				version = (int)n;
		}
		if (!dsp_json_i64(k.result, "bytes_overwritten", &n) && n > 0)
			hw = (uint64_t)n;
		if (!dsp_json_i64(k.result, "bytes_verified", &n) && n > 0)
			hv = (uint64_t)n;
		/* a LUKS header there again: a volume formatted since, not this run's to touch */
		r = dsp_luks_inspect_fd(io->fd, 0, &li);
		if (r == 0 || (r < 0 && r != -EINVAL)) {
			if (r == 0)
				snprintf(err, sizeof(err), "holds LUKS volume %s, made after this run "
					 "destroyed volume %s: refused, nothing written", li.uuid, uuid);
			else
				snprintf(err, sizeof(err), "reading the LUKS header: %s", strerror(-r));
			st = r == 0 ? DSP_REFUSED : r;
			goto end;
		}
		destroyed = true;
		dsp_log(DSP_LOG_INFO, "%s: the LUKS header was destroyed and verified in an earlier "
			"session (run record)", io->path);
	} else {
		if (o->stop && *o->stop) {
			st = DSP_INTERRUPTED;
			goto end;
		}
		r = dsp_luks_inspect_fd(io->fd, 0, &li);
		if (r == -EINVAL && k.volume) {
			/* cut short mid-destroy (a power cut): what is there cannot be proven */
			luks = unverified_result(k.volume, "not verified");
			snprintf(uuid, sizeof(uuid), "%s", volume_uuid(k.volume));
			snprintf(err, sizeof(err), "the LUKS header the run record names (volume %s) is "
				 "gone, but its overwrite was cut short and never verified: the key "
				 "material may survive in part; overwrite the device (-m nist-clear)",
				 uuid);
			st = -EIO;
			goto end;
		}
		if (r == -EINVAL) {
			snprintf(err, sizeof(err), "no LUKS header (libcryptsetup finds no LUKS1 or "
				 "LUKS2 volume): nothing written");
			st = DSP_UNSUPPORTED;
			goto end;
		}
		if (r < 0) {
			snprintf(err, sizeof(err), "reading the LUKS header: %s", strerror(-r));
			st = r;
			goto end;
		}
		snprintf(uuid, sizeof(uuid), "%s", li.uuid);
		version = li.version;
		if (k.volume && strcasecmp(volume_uuid(k.volume), li.uuid)) {
			snprintf(err, sizeof(err), "holds LUKS volume %s, not volume %s the run record "
				 "names: nothing written", li.uuid, volume_uuid(k.volume));
			st = -ESTALE;
			goto end;
		}
		/* what stands in the way of the category asked for, before anything is written */
		if (li.reencrypt) {
			snprintf(err, sizeof(err), "%s: nothing written", REENCRYPT_WHY);
			st = DSP_UNSUPPORTED;
			goto end;
		}
		/* again, as at the check: the data area may have changed since */
		r = data_sample(io, &li, &ds);
		if (r < 0) {
			snprintf(err, sizeof(err), "reading the data area: %s", strerror(-r));
			st = r;
			goto end;
		}
		if (!o->then && sample_why(&ds, why, sizeof(why))[0]) {
			snprintf(err, sizeof(err), "%s; nothing written", why);
			why[0] = '\0';
			st = DSP_UNSUPPORTED;
			goto end;
		}
		r = dsp_luks_hash_keys_io(io, &li);
		if (r < 0) {
			snprintf(err, sizeof(err), "reading the LUKS keyslots: %s", strerror(-r));
			st = r;
			goto end;
		}
		removed_load(&rm, dsp_ledger_dir(o->ledger), o->target_id);
		backup_survives(o->luks_backups, &li, &rm, survivor, sizeof(survivor), list);
		max = reach(k.block, k.partition, k.loop, k.rotational, survivor, why, sizeof(why));
		if (k.req > max && !k.partition) {
			snprintf(err, sizeof(err), "%s requested, at most %s reachable: %s; nothing "
				 "written", dsp_category_name(k.req), dsp_category_name(max), why);
			st = DSP_UNSUPPORTED;
			goto end;
		}
		if (li.header_end <= io->size) {
			r = dsp_luks_hash_io(io, li.header_end, li.header_sha256);
			if (r < 0) {
				snprintf(err, sizeof(err), "reading the LUKS header area: %s",
					 strerror(-r));
				st = r;
				goto end;
			}
		}
		f = json_object_new_object();
		if (f) {
			json_object_object_add(f, "volume", dsp_luks_info_json(&li));
			/* a resume after the destroy still knows the keyslots a backup may hold */
			json_object_object_add(f, "keyslots_sha256", keys_json(&li));
		}
		/* synced before a byte is destroyed: the record keeps what the volume was */
		r = event(&k, "luks_header", f, 1);
		if (r < 0) {
			st = r;
			goto end;
		}
		r = dsp_luks_destroy(io, &lr);
		luks = dsp_luks_result_json(&lr, r);
		hw = lr.written;
		hv = lr.verified;
		st = destroy_outcome(r, &lr, err, sizeof(err), &logged);
		destroyed = r == 0;
		f = json_object_new_object();
		if (f)
			json_object_object_add(f, "result", json_object_get(luks));
		r = event(&k, "luks_destroyed", f, 1);
		if (r < 0 && st == 0)
			st = r;
		if (!destroyed || st)
			goto end;
	}
	if (!json_object_array_length(list)) {
		struct dsp_luks_info vol = li;	/* destroyed earlier: its UUID from the record */

		snprintf(vol.uuid, sizeof(vol.uuid), "%.39s", uuid);
		if (!rm.gone)
			removed_load(&rm, dsp_ledger_dir(o->ledger), o->target_id);
		backup_survives(o->luks_backups, &vol, &rm, survivor, sizeof(survivor), list);
	}
	max = reach(k.block, k.partition, k.loop, k.rotational, survivor, why, sizeof(why));
	snprintf(vtext, sizeof(vtext), "verified: the LUKS%d header area (%" PRIu64 " bytes: %s) "
		 "overwritten with random data and read back through the I/O seam; afterwards "
		 "libcryptsetup finds no header and libblkid no crypto_LUKS", version, hv,
		 version == 1 ? "the header and every keyslot's key material" :
		 "both header copies and the keyslot area");
	if (k.req > max && !k.partition) {	/* destroyed in an earlier session; in the way since */
		snprintf(err, sizeof(err), "%s requested, %s reached: %s", dsp_category_name(k.req),
			 dsp_category_name(max), why);
		st = DSP_UNSUPPORTED;
		goto end;
	}
	if (o->then) {
		struct dsp_erase_opts to = *o;

		if (o->stop && *o->stop) {
			st = DSP_INTERRUPTED;
			goto end;
		}
		to.method = o->then;
		to.verify = then_verify(o, &to.sample_percent);
		to.end = NULL;
		ran_then = true;
		st = erase_run_sub(io, &to, &tres, &sub);
		logged = true;	/* the engine said what went wrong */
	}
end:
	/* the label: what was proven, never more than the medium allows */
	got = destroyed ? max : DSP_CAT_NONE;
	if (st == DSP_INTERRUPTED) {
		got = DSP_CAT_NONE;
		snprintf(why, sizeof(why), "interrupted");
	} else if (!destroyed) {
		snprintf(why, sizeof(why), "%s", st == DSP_UNSUPPORTED || st == DSP_REFUSED ||
			 st == -ESTALE ? "not erased" : "the LUKS header was not destroyed and verified");
	} else if (k.req > got && !k.partition) {	/* never raised: failed instead */
		st = DSP_UNSUPPORTED;
		if (!err[0])
			snprintf(err, sizeof(err), "%s requested, %s reached: %s",
				 dsp_category_name(k.req), dsp_category_name(got), why);
	}
	cav = json_object_new_array();
	if (destroyed && cav) {
		if (k.rotational == 0)
			json_object_array_add(cav, json_object_new_string(FLASH_CAVEAT));
		else if ((k.rotational < 0 || k.loop) && k.block)
			json_object_array_add(cav, json_object_new_string(UNKNOWN_CAVEAT));
		if (survivor[0]) {
			char c[PATH_MAX + 256];

			snprintf(c, sizeof(c), "LUKS header backup %s and survives: with it and a "
				 "passphrase the data can still be decrypted", survivor);
			json_object_array_add(cav, json_object_new_string(c));
		}
		for (size_t i = 0; rm.notes && i < json_object_array_length(rm.notes); i++)
			json_object_array_add(cav, json_object_get(json_object_array_get_idx(rm.notes,
											      i)));
		if (k.dev && k.dev->is_partition)
			json_object_array_add(cav, json_object_new_string(
				"a partition: only this LUKS volume was erased, the rest of the medium "
				"was not addressed"));
		if (k.dev && k.dev->backing_file[0])
			json_object_array_add(cav, json_object_new_string(
				"a loop device: the header overwrite reached its backing file, a file on "
				"a filesystem; where that file's old blocks lie on the underlying medium "
				"(copy-on-write, snapshots, relocated blocks) was not addressed"));
		if (!o->then && ds.done) {
			char c[256];

			snprintf(c, sizeof(c), "crypto erase assumes every byte of the data area was "
				 "written through the cipher; a sample of %u blocks looked like ciphertext "
				 "or zeros (compressed plaintext would look the same)", ds.blocks);
			json_object_array_add(cav, json_object_new_string(c));
		}
		if (!o->then)
			json_object_array_add(cav, json_object_new_string(
				"the data area (ciphertext) was not overwritten: it stays unreadable only "
				"while no copy of the destroyed key material survives"));
		else if (ran_then && st)
			json_object_array_add(cav, json_object_new_string(
				"the --then overwrite did not complete: the category rests on the "
				"cryptographic erase alone"));
	}
	if (ran_then) {
		size_t n = strlen(vtext);

		snprintf(vtext + n, sizeof(vtext) - n, "; then %s: %s", o->then->name, sub.verification);
		then = json_object_new_object();
		if (then) {
			json_object_object_add(then, "method", json_object_new_string(o->then->name));
			json_object_object_add(then, "status", json_object_new_string(dsp_record_status(st)));
			json_object_object_add(then, "bytes_written",
					       json_object_new_int64((int64_t)tres.bytes_written));
			json_object_object_add(then, "bytes_verified",
					       json_object_new_int64((int64_t)tres.bytes_verified));
			json_object_object_add(then, "mismatches",
					       json_object_new_int64((int64_t)tres.mismatches));
			json_object_object_add(then, "bad_ranges", sub.bad_ranges ?
					       json_object_get(sub.bad_ranges) : json_object_new_array());
			json_object_object_add(then, "verification",
					       json_object_new_string(sub.verification));
			json_object_object_add(then, "nist_category", json_object_new_string(
				sub.category ? sub.category : "none"));
			if (sub.why)
				json_object_object_add(then, "category_reason",
						       json_object_new_string(sub.why));
			json_object_object_add(then, "caveats", sub.caveats ?
					       json_object_get(sub.caveats) : json_object_new_array());
		}
	}
	res->bytes_written = hw + tres.bytes_written;
	res->bytes_verified = hv + tres.bytes_verified;
	res->mismatches = tres.mismatches;
	res->first_mismatch = tres.first_mismatch;
	res->bad_bytes = tres.bad_bytes;
	res->bad_ranges = tres.bad_ranges;
	if (st == DSP_MISMATCH && !ran_then) {	/* the read-back stops at the first */
		res->mismatches = 1;
		res->first_mismatch = hv;
	}
	if (err[0] && !logged)
		dsp_log(DSP_LOG_ERROR, "%s: %s", io->path, err);
	f = dsp_record_target_end(dsp_record_status(st), st, err[0] ? err : NULL,
				  res->bytes_written, res->bytes_verified);
	if (!f) {
		json_object_put(then);
		st = st ? st : -ENOMEM;
		goto out;
	}
	json_object_object_add(f, "technique", json_object_new_string("crypto-luks"));
	json_object_object_add(f, "category_requested",
			       json_object_new_string(dsp_category_name(k.req)));
	json_object_object_add(f, "nist_category", json_object_new_string(dsp_category_name(got)));
	if (got < DSP_CAT_PURGE && why[0])
		json_object_object_add(f, "category_reason", json_object_new_string(why));
	json_object_object_add(f, "verification", json_object_new_string(vtext));
	json_object_object_add(f, "mismatches", json_object_new_int64((int64_t)res->mismatches));
	json_object_object_add(f, "bad_ranges", sub.bad_ranges ? json_object_get(sub.bad_ranges) :
			       json_object_new_array());
	json_object_object_add(f, "old_data_may_remain", json_object_new_boolean(!destroyed));
	json_object_object_add(f, "caveats", cav ? cav : json_object_new_array());
	cav = NULL;
	json_object_object_add(f, "luks", luks ? json_object_get(luks) : NULL);
	json_object_object_add(f, "header_backups", json_object_get(list));
	if (ds.done)
		json_object_object_add(f, "data_sample", sample_json(&ds));
	if (then)
		json_object_object_add(f, "then", then);
	if (sub.size_now)
		json_object_object_add(f, "size_now", json_object_new_int64((int64_t)sub.size_now));
	keep = json_object_get(f);
	r = event(&k, "target_end", f, 1);
	erase_keep_end(o, keep, r);
	if (r < 0 && st >= 0 && st != DSP_INTERRUPTED)
		st = r;
	if (st == DSP_INTERRUPTED)
		dsp_log(DSP_LOG_WARN, "%s: interrupted; resumable from the run record", io->path);
	else
		dsp_log(DSP_LOG_INFO, "%s: crypto-luks %s, %s (target %s)", io->path,
			dsp_record_status(st), dsp_category_name(got), o->target_id);
out:
	json_object_put(luks);
	json_object_put(list);
	json_object_put(cav);
	json_object_put(sub.caveats);
	json_object_put(sub.bad_ranges);
	json_object_put(k.volume);
	json_object_put(k.result);
	removed_free(&rm);
	return st;
}
