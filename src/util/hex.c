/* SPDX-License-Identifier: MIT */
/* hex.c - bytes to hex and back (digests, patterns, exact names) */
#include "dispose/util.h"

#include <errno.h>
#include <stdlib.h>
#include <openssl/evp.h>

static const char digits[] = "0123456789abcdef";

void dsp_hex(const void *buf, size_t n, char *out)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

char *dsp_hex_dup(const void *buf, size_t n)
{
	char *s;

	if (n > (SIZE_MAX - 1) / 2 || !(s = malloc(2 * n + 1)))
		return NULL;
	dsp_hex(buf, n, s);
	return s;
}

int dsp_hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dsp_unhex(const char *s, size_t slen, void *out, size_t max, size_t *n)
{
	uint8_t *p = out;

	if (slen % 2)
		return -EINVAL;
	if (slen / 2 > max)
		return -E2BIG;
	for (size_t i = 0; i < slen / 2; i++) {
		int a = dsp_hex_val((unsigned char)s[2 * i]), b = dsp_hex_val((unsigned char)s[2 * i + 1]);

		if (a < 0 || b < 0)
			return -EINVAL;
		p[i] = (uint8_t)(a << 4 | b);
	}
	if (n)
		*n = slen / 2;
	return 0;
}

int dsp_sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	dsp_hex(md, 32, out);
	return 0;
}
