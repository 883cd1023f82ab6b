/* SPDX-License-Identifier: MIT */
/* keys_ssh.c - OpenSSH (openssh-key-v1) and PuTTY private keys: public half read from the clear header */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <openssl/crypto.h>

#include "keys_int.h"

static const char oss_begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
static const char oss_end[] = "-----END OPENSSH PRIVATE KEY-----";

int dsp_keys_openssh_bin(const uint8_t *d, size_t dl, struct dsp_key_info *ki)
{
	const uint8_t *cipher, *kdf, *pub;
	size_t cl, kl, ol, pl;
	struct kcur c = { d, dl, 0, 0 };
	uint32_t nkeys;

	if (!kcur_take(&c, 15) || memcmp(d, "openssh-key-v1", 15))
		return 0;
	cipher = kcur_sshstr(&c, &cl);
	kdf = kcur_sshstr(&c, &kl);
	if (!kcur_sshstr(&c, &ol) || kcur_be32(&c, &nkeys) || !cipher || !kdf ||
	    nkeys < 1 || nkeys > 64)
		return 0;
	pub = kcur_sshstr(&c, &pl);
	if (!pub || pl < 8)
		return 0;
	/* a private section must follow: otherwise it is not a private key */
	if (!kcur_sshstr(&c, &ol) || ol == 0)
		return 0;
	ki->encrypted = !(cl == 4 && !memcmp(cipher, "none", 4));
	dsp_keys_from_ssh_blob(pub, pl, ki);
	if (!ki->ssh_fingerprint[0]) {
		snprintf(ki->reason, sizeof(ki->reason), "public key blob does not parse");
		return DSP_KEY_UNDECODED;
	}
	return 1;
}

int dsp_keys_openssh(const char *text, size_t n, struct dsp_key_info *ki)
{
	const char *b = memmem(text, n, oss_begin, sizeof(oss_begin) - 1), *e;
	size_t dl = 0;
	uint8_t *d;
	int r;

	if (!b)
		return 0;
	b += sizeof(oss_begin) - 1;
	e = memmem(b, n - (size_t)(b - text), oss_end, sizeof(oss_end) - 1);
	if (!e)
		return 0;
	d = dsp_keys_b64dec(b, (size_t)(e - b), &dl);
	if (!d)
		return 0;
	r = dsp_keys_openssh_bin(d, dl, ki);
	OPENSSL_cleanse(d, dl);
	free(d);
	return r;
}

/* Value of "Name: value" at line start in a PuTTY file, NUL-terminated copy. */
static int ppk_field(const char *t, size_t n, const char *name, char *out, size_t outsz,
		     const char **after)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl < n; i++) {
		size_t j;

		if ((i && t[i - 1] != '\n') || memcmp(t + i, name, nl))
			continue;
		i += nl;
		while (i < n && t[i] == ' ')
			i++;
		for (j = 0; i + j < n && t[i + j] != '\n' && t[i + j] != '\r'; j++)
			;
		if (j >= outsz)
			return -1;
		memcpy(out, t + i, j);
		out[j] = '\0';
		if (after)
			*after = t + i + j;
		return 0;
	}
	return -1;
}

int dsp_keys_putty(const char *t, size_t n, struct dsp_key_info *ki)
{
	char alg[64], enc[64], lines[16];
	const char *p, *end = t + n, *s;
	uint8_t *blob;
	size_t bl = 0;
	long nlines;

	if (n < 22 || memcmp(t, "PuTTY-User-Key-File-", 20) ||
	    ppk_field(t, n, "PuTTY-User-Key-File-", alg, sizeof(alg), NULL) ||
	    ppk_field(t, n, "Encryption:", enc, sizeof(enc), NULL) ||
	    ppk_field(t, n, "Public-Lines:", lines, sizeof(lines), &p) ||
	    !memmem(t, n, "\nPrivate-Lines:", 15))
		return 0;
	nlines = strtol(lines, NULL, 10);
	if (nlines < 1 || nlines > 512)
		return 0;
	/* the public blob is the next nlines lines */
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	s = p;
	for (long i = 0; i < nlines && p < end; i++) {
		const char *nlp = memchr(p, '\n', (size_t)(end - p));

		p = nlp ? nlp + 1 : end;
	}
	blob = dsp_keys_b64dec(s, (size_t)(p - s), &bl);
	if (!blob)
		return 0;
	ki->encrypted = strcmp(enc, "none") != 0;
	dsp_keys_from_ssh_blob(blob, bl, ki);
	free(blob);
	if (!ki->ssh_fingerprint[0]) {
		snprintf(ki->reason, sizeof(ki->reason), "public key blob does not parse");
		return DSP_KEY_UNDECODED;
	}
	return 1;
}
