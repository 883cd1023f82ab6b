/* SPDX-License-Identifier: MIT */
/* aesctr.h - AES-128-CTR keystream on VAES/AVX-512 (module-internal) */
#ifndef DISPOSE_AESCTR_H
#define DISPOSE_AESCTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dsp_aesctr {
	uint8_t rk[11][16];	/* the expanded key */
};

/* Does this CPU (and OS) run the VAES code? When false, use EVP. */
bool dsp_aesctr_available(void);
void dsp_aesctr_init(struct dsp_aesctr *a, const uint8_t key[16]);
/*
 * nblocks whole blocks of keystream from counter block ctr (128-bit
 * big-endian, +1 per block, wrapping): out = in ^ keystream, or the
 * keystream itself when in is NULL. in and out may be the same.
 */
void dsp_aesctr_xor(const struct dsp_aesctr *a, const uint8_t ctr[16], const uint8_t *in,
		    uint8_t *out, size_t nblocks);
/* Is buf exactly the keystream? Reads buf once, writes nothing. */
bool dsp_aesctr_equal(const struct dsp_aesctr *a, const uint8_t ctr[16], const uint8_t *buf,
		      size_t nblocks);

#endif
