/* SPDX-License-Identifier: MIT */
/* keys_wg.c - WireGuard private keys in wg-quick, systemd-networkd and NetworkManager files */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "keys_int.h"

static int b64c(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * "PrivateKey = <44 base64>" (or private-key=) at a line start. Returns the
 * value, or NULL. PrivateKeyFile= is a reference, not a key, and does not match.
 */
const char *dsp_keys_wg_find(const char *t, size_t n)
{
	static const char *const names[] = { "PrivateKey", "private-key" };
	const char *p = t;

	/* memmem for the rare "rivate" keeps ordinary text cheap */
	while ((p = memmem(p, n - (size_t)(p - t), "rivate", 6))) {
		size_t i, j, k, nl = 0;

		if (p == t) {
			p += 6;
			continue;
		}
		i = (size_t)(p - 1 - t);	/* where "Private" starts */
		p += 6;
		if (i && t[i - 1] != '\n')
			continue;
		for (k = 0; k < 2; k++) {
			nl = strlen(names[k]);
			if (n - i > nl && !strncasecmp(t + i, names[k], nl))
				break;
		}
		if (k == 2)
			continue;
		j = i + nl;
		while (j < n && (t[j] == ' ' || t[j] == '\t'))
			j++;
		if (j >= n || t[j] != '=')
			continue;
		j++;
		while (j < n && (t[j] == ' ' || t[j] == '\t'))
			j++;
		if (n - j < 44)
			continue;
		for (k = 0; k < 43 && b64c((unsigned char)t[j + k]); k++)
			;
		if (k == 43 && t[j + 43] == '=' &&
		    (n - j == 44 || t[j + 44] == '\n' || t[j + 44] == '\r' || t[j + 44] == ' '))
			return t + j;
	}
	return NULL;
}

int dsp_keys_wireguard(const char *t, size_t n, struct dsp_key_info *ki)
{
	const char *v = dsp_keys_wg_find(t, n);
	uint8_t *raw;
	size_t rl = 0;
	EVP_PKEY *pk;

	if (!v || !(raw = dsp_keys_b64dec(v, 44, &rl)))
		return 0;
	if (rl != 32) {
		OPENSSL_cleanse(raw, rl);
		free(raw);
		return 0;
	}
	/* the public key is what peers know it by; derive it, publish only that */
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw, rl);
	OPENSSL_cleanse(raw, rl);
	free(raw);
	if (pk) {
		dsp_keys_from_pkey(pk, ki);
		EVP_PKEY_free(pk);
	}
	ERR_clear_error();
	ki->encrypted = 0;
	return 1;
}
