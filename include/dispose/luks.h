/* SPDX-License-Identifier: MIT */
/* luks.h - LUKS1/LUKS2 volumes through libcryptsetup: inspect, and crypto-erase (destroy) */
#ifndef DISPOSE_LUKS_H
#define DISPOSE_LUKS_H

#include <stdint.h>

#include <json-c/json.h>

#include "dispose/io.h"

#define DSP_LUKS_MAX_SLOTS	32
#define DSP_LUKS_MAX_TOKENS	32

/* A keyslot as it was: libcryptsetup's state and its area (bytes, 0/0 unknown). */
struct dsp_luks_slot {
	int state;		/* crypt_keyslot_info */
	uint64_t off, len;
	char sha256[65];	/* of its area (its key material) when hashed and
				   active; "" otherwise */
};

/*
 * What a LUKS header says, read by libcryptsetup (never by hand). Sizes
 * and offsets in bytes. header_end: every byte below it is header, its
 * second copy or keyslot area (max of the data offset, both metadata copies
 * plus the keyslots area, and every keyslot area); what destroy overwrites.
 */
struct dsp_luks_info {
	int version;			/* 1 or 2 */
	char uuid[40];
	char cipher[64];		/* "aes-xts-plain64" */
	int key_bits;			/* volume key size */
	int nslots;			/* crypt_keyslot_max */
	int active;			/* keyslots in use (active or unbound) */
	struct dsp_luks_slot slot[DSP_LUKS_MAX_SLOTS];
	int ntokens;
	int token_id[DSP_LUKS_MAX_TOKENS];
	char token_type[DSP_LUKS_MAX_TOKENS][48];
	uint64_t metadata_size;		/* LUKS2: one copy; LUKS1: 0 */
	uint64_t keyslots_size;		/* LUKS2: the keyslots area; LUKS1: 0 */
	uint64_t data_offset;
	uint64_t header_end;
	char header_sha256[65];		/* of the bytes [0, header_end); "" if not read */
	int reencrypt;			/* LUKS2: an encryption, decryption or reencryption
					   is under way or was cut short (requirement
					   online-reencrypt): part of the data may be
					   plaintext or under another key */
};

#define DSP_LUKS_HASH_HEADER	1	/* header_sha256 */
#define DSP_LUKS_HASH_KEYS	2	/* each active keyslot's sha256 */

/*
 * Read the LUKS header of the file or block device at path (or of an open
 * fd: dsp_luks_inspect_fd reads through /proc/self/fd, so it is the same
 * file) without writing anything: metadata locking is switched off for the
 * process (libcryptsetup cannot switch it back on), LUKS2 is read from its
 * secondary copy when the primary is gone, checksums are checked. With
 * hash & DSP_LUKS_HASH_HEADER, header_sha256 is filled from the bytes
 * [0, header_end) as far as the file holds them (a header backup); with
 * DSP_LUKS_HASH_KEYS, each active keyslot's sha256 from its area (a slot
 * whose area the file does not hold whole stays ""). Returns 0, -EINVAL
 * (no valid LUKS header), or -errno.
 */
int dsp_luks_inspect(const char *path, int hash, struct dsp_luks_info *info);
int dsp_luks_inspect_fd(int fd, int hash, struct dsp_luks_info *info);

/*
 * Fill info's keyslot sha256 (as DSP_LUKS_HASH_KEYS) reading the target
 * through the I/O seam. 0 or -errno.
 */
int dsp_luks_hash_keys_io(struct dsp_io *io, struct dsp_luks_info *info);
/* SHA-256 of [0, len) of io, read through the seam, as hex. 0 or -errno. */
int dsp_luks_hash_io(struct dsp_io *io, uint64_t len, char out[65]);

/*
 * Does info hold key material with this sha256 (an active keyslot's area
 * equal byte for byte: a copy of that keyslot, whatever the header's UUID)?
 */
int dsp_luks_has_key(const struct dsp_luks_info *info, const char *sha256);

/* The info for the record: uuid, version, cipher, key_bits, keyslots, tokens, areas, sha256. */
struct json_object *dsp_luks_info_json(const struct dsp_luks_info *info);

/* What destroy did; each step's outcome, for the record. */
struct dsp_luks_result {
	struct dsp_luks_info before;	/* the header as it was */
	int slots_destroyed;		/* crypt_keyslot_destroy succeeded */
	int slots_failed;
	uint64_t written;		/* bytes of [0, header_end) overwritten */
	uint64_t verified;		/* bytes read back equal */
	int loads_after;		/* 0: crypt_load found no header afterwards */
	char blkid_after[64];		/* libblkid's TYPE afterwards ("" none) */
	int blkid_ambiguous;
};

/*
 * The result for the record: "volume" (dsp_luks_info_json of the header as
 * it was), keyslots_destroyed, keyslots_failed, bytes_overwritten,
 * bytes_verified, header_found_after (crypt_load; null: not checked),
 * blkid_type_after (null: none), blkid_ambiguous_after, outcome (from rc:
 * "ok", "mismatch", "survived", "error" with "error": strerror).
 */
struct json_object *dsp_luks_result_json(const struct dsp_luks_result *res, int rc);

#define DSP_LUKS_MISMATCH	1	/* read-back differs from what was written */
#define DSP_LUKS_SURVIVED	2	/* crypt_load or libblkid still finds LUKS */

/*
 * Crypto-erase the LUKS volume on the target io (a block device or image
 * file opened for writing, io->fd >= 0): destroy every keyslot through
 * libcryptsetup, then overwrite [0, header_end) - both LUKS2 header copies,
 * the whole keyslot area, LUKS1 key material - with random data (AES-256-CTR
 * under a key that is discarded) through the I/O seam, flush, read it back
 * through the seam and compare, then check that crypt_load finds no header
 * and libblkid no LUKS. The data area is not touched.
 * Returns 0 (all done and proven); -EBUSY (the device has holders: an open
 * volume; nothing written); -EINVAL (no LUKS header; nothing written);
 * -ERANGE (the header area is beyond the target's end; nothing written);
 * -errno from a step (res says how far it got: keyslots may be destroyed
 * and the header area partly overwritten - the volume may be unusable
 * while its header is not proven gone); DSP_LUKS_MISMATCH; DSP_LUKS_SURVIVED.
 */
int dsp_luks_destroy(struct dsp_io *io, struct dsp_luks_result *res);

#endif
