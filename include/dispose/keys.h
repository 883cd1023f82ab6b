/* SPDX-License-Identifier: MIT */
/* keys.h - find private/secret key material by content and fingerprint it */
#ifndef DISPOSE_KEYS_H
#define DISPOSE_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <json-c/json.h>

/*
 * Classify a buffer (the first bytes of a file; len is what was read,
 * file_size the whole size). Returns a format name ("pem-pkcs8",
 * "openssh", "pkcs12", "jks", ...) or NULL when it is not key material.
 * Pure function over bytes: the fuzz target drives it.
 */
const char *dsp_keys_detect(const uint8_t *buf, size_t len, uint64_t file_size);

/*
 * Examine an open regular file. Reads only as much as the format needs.
 * On key material sets *out to the keys[] item (path, format, algorithm,
 * bits, encrypted, spki_sha256, ssh_fingerprint, luks_uuid, mode, uid) and
 * returns 1; returns 0 when the file is not key material, -errno when it
 * could not be read. Secret bytes never leave this function; buffers that
 * held them are cleansed.
 */
int dsp_keys_examine(int fd, const char *path, const struct stat *st,
		     struct json_object **out);

#endif
