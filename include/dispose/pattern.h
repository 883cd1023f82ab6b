/* SPDX-License-Identifier: MIT */
/* pattern.h - the bytes a pass writes at any offset, regenerated for verification */
#ifndef DISPOSE_PATTERN_H
#define DISPOSE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dispose/method.h"

#define DSP_PATTERN_KEY_LEN 16	/* AES-128 */

/*
 * A resolved pass: what was actually written. For random passes the key
 * (fresh per pass from the OpenSSL CSPRNG) is recorded in the run record so
 * the stream can be regenerated; it protects nothing. For random-byte
 * passes the chosen byte is recorded; complement passes are resolved to
 * the byte(s) they write.
 */
struct dsp_pattern {
	enum dsp_pass_kind kind;	/* PATTERN or RANDOM after resolution */
	uint8_t bytes[DSP_PATTERN_MAX];
	size_t len;
	uint8_t key[DSP_PATTERN_KEY_LEN];
	uint8_t iv[16];			/* AES-CTR nonce; block counter = offset / 16 */
};

/*
 * Resolve pass i of m into p. prev is the resolved previous pass (for
 * complement passes; NULL for the first). Draws fresh randomness for random
 * and random-byte passes. 0 or -errno (randomness unavailable).
 */
int dsp_pattern_resolve(const struct dsp_method *m, unsigned i,
			const struct dsp_pattern *prev, struct dsp_pattern *p);

/* Restore a resolved pattern from its record (hex key/iv/bytes). 0 or DSP_INVALID. */
struct json_object;
int dsp_pattern_from_json(struct json_object *o, struct dsp_pattern *p);
struct json_object *dsp_pattern_to_json(const struct dsp_pattern *p);

/*
 * Fill buf with the bytes the pass puts at device offsets [off, off+len).
 * Random access: any offset, any length. 0 or -EIO (cipher failure).
 */
struct dsp_pattern_gen;
int dsp_pattern_gen_new(const struct dsp_pattern *p, struct dsp_pattern_gen **out);
int dsp_pattern_fill(struct dsp_pattern_gen *g, uint64_t off, uint8_t *buf, size_t len);
/* buf ^= the pass's bytes at [off, off+len): all zero when buf matches. */
int dsp_pattern_xor(struct dsp_pattern_gen *g, uint64_t off, uint8_t *buf, size_t len);
/* Are buf's bytes exactly the pass's at [off, off+len)? 1 yes, 0 no, -EIO. */
int dsp_pattern_equal(struct dsp_pattern_gen *g, uint64_t off, const uint8_t *buf, size_t len);
/*
 * Is the keystream generated on VAES (faster than reading the medium back,
 * so a verification regenerates it instead of keeping chunk digests)?
 */
bool dsp_pattern_fast(const struct dsp_pattern_gen *g);
void dsp_pattern_gen_free(struct dsp_pattern_gen *g);

#endif
