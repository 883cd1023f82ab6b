/* SPDX-License-Identifier: MIT */
/* keys_int.h - shared internals of the key-material scanner (src/inventory/keys*.c) */
#ifndef DISPOSE_KEYS_INT_H
#define DISPOSE_KEYS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

/* What one examined file turned out to hold; strings empty = JSON null. */
struct dsp_key_info {
	const char *format;
	char algorithm[48];
	int bits;			/* 0 = unknown */
	int encrypted;			/* 0, 1, or -1 = unknown */
	char spki_sha256[65];
	char ssh_fingerprint[64];
	char luks_uuid[41];
	char pgp_fingerprint[41];
	char principal[256];		/* keytab: first principal (not secret) */
	char reason[96];		/* why a key was listed without being decoded */
};

/*
 * Handlers return 1 for a decoded key, 0 for "not key material" (a
 * truststore, a smartcard stub, a placeholder), or DSP_KEY_UNDECODED for
 * key material they recognise but cannot decode (reason may say why): it is
 * listed with null fields, never dropped.
 */
#define DSP_KEY_UNDECODED	2

/* Bounded reader over bytes that may be hostile. */
struct kcur {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

int kcur_u8(struct kcur *c, uint8_t *v);
int kcur_be16(struct kcur *c, uint16_t *v);
int kcur_be32(struct kcur *c, uint32_t *v);
/* Advance past n bytes and return where they started, or NULL. */
const uint8_t *kcur_take(struct kcur *c, size_t n);
/* SSH wire "string": uint32 length + bytes. */
const uint8_t *kcur_sshstr(struct kcur *c, size_t *n);

/*
 * Decode base64 text, skipping whitespace, stopping at '=' or the first
 * other non-base64 byte. Returns a malloc'd buffer the caller must cleanse
 * and free, or NULL when nothing valid was decoded.
 */
uint8_t *dsp_keys_b64dec(const char *s, size_t n, size_t *outlen);

/* Fill algorithm, bits, spki_sha256 and (for SSH key types) ssh_fingerprint. */
void dsp_keys_from_pkey(EVP_PKEY *pk, struct dsp_key_info *ki);
/* SHA256:<base64 nopad> of an SSH public key blob. */
void dsp_keys_ssh_fp(const uint8_t *blob, size_t n, char out[64]);
/*
 * Fill info from an SSH public key blob: algorithm, bits, ssh_fingerprint,
 * and spki_sha256 where OpenSSL can represent the key.
 */
void dsp_keys_from_ssh_blob(const uint8_t *blob, size_t n, struct dsp_key_info *ki);
/* Build a public EVP_PKEY from parts (NULL on failure). */
EVP_PKEY *dsp_keys_rsa_pub(const uint8_t *n, size_t nl, const uint8_t *e, size_t el);
EVP_PKEY *dsp_keys_ec_pub(const char *group, const uint8_t *q, size_t ql);
EVP_PKEY *dsp_keys_dsa_pub(const uint8_t *p, size_t pl, const uint8_t *q, size_t ql,
			   const uint8_t *g, size_t gl, const uint8_t *y, size_t yl);

/* Format handlers over the whole (bounded) file; 1 key, 0 not a key. */
int dsp_keys_openssh(const char *text, size_t n, struct dsp_key_info *ki);
/* The decoded openssh-key-v1 container (what the PEM body holds); fuzzed directly. */
int dsp_keys_openssh_bin(const uint8_t *d, size_t n, struct dsp_key_info *ki);
int dsp_keys_putty(const char *text, size_t n, struct dsp_key_info *ki);
int dsp_keys_pgp_armor(const char *text, size_t n, struct dsp_key_info *ki);
int dsp_keys_pgp_packets(const uint8_t *p, size_t n, struct dsp_key_info *ki);
int dsp_keys_gnupg(const char *text, size_t n, struct dsp_key_info *ki);
int dsp_keys_jks(const uint8_t *p, size_t n, struct dsp_key_info *ki);
/* partial: p is only the start of the file; stop quietly at its end */
int dsp_keys_keytab(const uint8_t *p, size_t n, int partial, struct dsp_key_info *ki);
/* A LUKS header or header backup in the open file fd, read by libcryptsetup. */
int dsp_keys_luks(int fd, struct dsp_key_info *ki);
const char *dsp_keys_wg_find(const char *t, size_t n);
int dsp_keys_wireguard(const char *t, size_t n, struct dsp_key_info *ki);

#endif
