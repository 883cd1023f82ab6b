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
 * file_size the whole size). Returns a format name or NULL when it is not
 * key material. Pure function over bytes: the fuzz target drives it.
 *
 * Formats: pem-pkcs8, pem-pkcs8-encrypted, pem-pkcs1, pem-sec1, pem-dsa,
 * pem-sm2, openssh, ssh2-private (ssh.com), pgp-armored, pgp-binary,
 * tpm2-tss, openvpn-static, openvpn-tls-crypt-v2, der-pkcs8,
 * der-pkcs8-encrypted, der-pkcs1, der-sec1, der-dsa, pkcs12, jks, jceks,
 * putty, gnupg-private-key (private-keys-v1.d), krb5-keytab, luks (header
 * backup or image), keepass, age, signify (also minisign), tor,
 * dnssec-private, wireguard (spki_sha256 of the derived X25519 public key),
 * base64-pem (a whole PEM file in base64: kubeconfig client-key-data,
 * Kubernetes Secrets; the fields are those of the key inside). PEM blocks count at a line start (indentation allowed)
 * or opening a quoted string, with "\n" escapes (JSON service accounts).
 * A match is a candidate: dsp_keys_examine() decodes before it reports.
 */
const char *dsp_keys_detect(const uint8_t *buf, size_t len, uint64_t file_size);

/*
 * Examine an open regular file. Reads one page first and more only for a
 * detected format (PEM text up to 1 MiB, stores up to 64 MiB, the LUKS
 * header area). On key material sets *out to the keys[] item and returns
 * 1; returns 0 when the file is not key material (public keys,
 * certificates, CSRs, truststores, prose quoting a PEM header), -errno when
 * it could not be read. Key material that cannot be decoded (a store over
 * 64 MiB, a damaged or truncated key, an OpenPGP v5/v6 key) is never
 * dropped: its item has "decoded": false, a "reason", and null fields.
 *
 * Item: path, format, algorithm ("rsa", "ec-P-256", "ed25519", "dsa",
 * LUKS cipher, keytab enctype; null if unknown), bits, encrypted (null if
 * unknown), spki_sha256 (lowercase hex SHA-256 of the DER
 * SubjectPublicKeyInfo, = `openssl pkey -pubout -outform DER | sha256sum`;
 * null when the public key cannot be derived without a passphrase),
 * ssh_fingerprint ("SHA256:..." as ssh-keygen -l prints, for every key of
 * a type OpenSSH can use), luks_uuid, mode ("0600"), uid; and when known
 * pgp_fingerprint (OpenPGP v4, as gpg prints) and principal (keytab);
 * decoded (boolean) and, when false, reason.
 * Keys are decoded through OpenSSL with a passphrase callback that refuses;
 * secret bytes never leave this function; buffers that held them are
 * cleansed (OPENSSL_cleanse).
 */
int dsp_keys_examine(int fd, const char *path, const struct stat *st,
		     struct json_object **out);

#endif
