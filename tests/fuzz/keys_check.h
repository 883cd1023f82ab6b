/* SPDX-License-Identifier: MIT */
/* keys_check.h - what every key parser's output must satisfy, for the fuzz_ssh_* and fuzz_pgp_* targets */
#ifndef DISPOSE_FUZZ_KEYS_CHECK_H
#define DISPOSE_FUZZ_KEYS_CHECK_H

#include <string.h>
#include <openssl/evp.h>

#include "../../src/inventory/keys_int.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static inline void check_terminated(const char *s, size_t cap)
{
	CHECK(memchr(s, '\0', cap) != NULL);
}

/* empty, or exactly n hex digits of one case */
static inline void check_hex(const char *s, size_t n, int upper)
{
	size_t l = strlen(s);

	CHECK(l == 0 || l == n);
	for (size_t i = 0; i < l; i++)
		CHECK((s[i] >= '0' && s[i] <= '9') ||
		      (upper ? (s[i] >= 'A' && s[i] <= 'F') : (s[i] >= 'a' && s[i] <= 'f')));
}

/* "SHA256:" and 43 characters of unpadded base64, as ssh-keygen -l prints */
static inline void check_ssh_fp(const char *s)
{
	size_t l = strlen(s);

	if (!l)
		return;
	CHECK(l == 7 + 43 && !memcmp(s, "SHA256:", 7));
	for (size_t i = 7; i < l; i++)
		CHECK((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/');
}

static inline void key_info_init(struct dsp_key_info *ki, const char *format)
{
	memset(ki, 0, sizeof(*ki));
	ki->format = format;
	ki->encrypted = -1;
}

/* A parser's result: 0, 1 or DSP_KEY_UNDECODED, and well-formed fields. */
static inline void check_key_info(int r, const struct dsp_key_info *ki)
{
	CHECK(r == 0 || r == 1 || r == DSP_KEY_UNDECODED);
	CHECK(ki->encrypted >= -1 && ki->encrypted <= 1);
	CHECK(ki->bits >= 0);
	check_terminated(ki->algorithm, sizeof(ki->algorithm));
	check_terminated(ki->spki_sha256, sizeof(ki->spki_sha256));
	check_terminated(ki->ssh_fingerprint, sizeof(ki->ssh_fingerprint));
	check_terminated(ki->luks_uuid, sizeof(ki->luks_uuid));
	check_terminated(ki->pgp_fingerprint, sizeof(ki->pgp_fingerprint));
	check_terminated(ki->principal, sizeof(ki->principal));
	check_terminated(ki->reason, sizeof(ki->reason));
	check_hex(ki->spki_sha256, 64, 0);
	check_hex(ki->pgp_fingerprint, 40, 1);
	check_ssh_fp(ki->ssh_fingerprint);
	CHECK(r != DSP_KEY_UNDECODED || ki->reason[0]);
}

#endif
