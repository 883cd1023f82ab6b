/* SPDX-License-Identifier: MIT */
/* envelope.h - CMS encryption envelope for archives (detached AES-256-GCM) */
#ifndef DISPOSE_ENVELOPE_H
#define DISPOSE_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "dispose/common.h"

/*
 * Format. The ciphertext and its envelope are two files: NAME holds the raw
 * AES-256-GCM ciphertext (same length as the plaintext), NAME.cms holds a
 * DER CMS AuthEnvelopedData (RFC 5083) with the content detached: recipient
 * infos, IV and GCM tag, a few hundred bytes. RSA recipients get RSAES-OAEP
 * with SHA-256 (MGF1-SHA-256); EC recipients (P-256/384/521) get ECDH
 * dhSinglePass-stdDH-sha256kdf with AES key wrap. A records manager opens it
 * with stock tools:
 *
 *   openssl cms -decrypt -binary -inform DER -in NAME.cms -content NAME \
 *       -recip CERT -inkey KEY | zstd -dc | bsdtar -xf -
 *
 * Volumes. GCM in OpenSSL refuses more than 2^36-32 bytes per message, so a
 * stream longer than the volume limit (DSP_ENV_VOLUME_MAX, 32 GiB) is split.
 * Volume 1 is ct_path / env_path exactly as given. Volume k >= 2 is
 * ct_path + ".%03u" (NAME.002, NAME.003, ... NAME.1000) and env_path with
 * ".%03u" inserted before a trailing ".cms" (NAME.002.cms), or appended when
 * env_path does not end in ".cms". Every volume is a complete, independent
 * envelope; concatenating the decrypted volumes in order gives the stream:
 *
 *   for v in NAME NAME.[0-9][0-9][0-9]; do openssl cms -decrypt -binary \
 *       -inform DER -in $v.cms -content $v -recip CERT -inkey KEY || exit 1
 *   done | zstd -dc | bsdtar -xf -
 *
 * A volume is only started when data beyond the limit arrives, so a stream
 * of exactly the limit is one volume.
 */
#define DSP_ENV_VOLUME_MAX	((uint64_t)32 << 30)

/* Largest envelope file accepted when decrypting (many recipients fit). */
#define DSP_ENV_MAX_ENVELOPE	(1u << 20)

struct dsp_env_writer;

/*
 * Called once per finished volume (index from 1), on the caller's thread
 * from within dsp_env_write() or dsp_env_writer_close(), with the paths
 * written and the lowercase hex SHA-256 of both files, so the caller can
 * record every volume in its signed manifest. Returning nonzero fails the
 * write. Volumes are authenticated one by one: their order and number are
 * only protected by such a signed list.
 */
typedef int (*dsp_env_volume_fn)(void *arg, unsigned index,
				 const char *ct_path, const char *env_path,
				 uint64_t bytes, const char *ct_sha256,
				 const char *env_sha256);

/*
 * Start encrypting a stream to recipients: a NULL-terminated array of paths
 * to X.509 certificates (PEM, or DER), each with an RSA (>= 2048 bit) or EC
 * P-256/384/521 key. ct_path and env_path are created new (O_EXCL,
 * O_NOFOLLOW, mode 0600); existing files are never overwritten.
 * Returns 0 and *out, -errno (e.g. -EEXIST), DSP_INVALID for an unreadable
 * certificate, or DSP_UNSUPPORTED for a key type CMS cannot encrypt to
 * (X25519, Ed25519, DSA, small RSA). On failure nothing is left behind.
 */
int dsp_env_writer_open(const char *const *recipients, const char *ct_path,
			const char *env_path, struct dsp_env_writer **out);

/*
 * A recipient certificate's identity, as `openssl x509 -noout` prints it:
 * subject and issuer (-subject/-issuer after "subject="/"issuer=", the
 * default one-line form), serial (-serial after "serial=", upper-case
 * hex), and the SHA-256 of its DER encoding (lower-case hex).
 */
struct dsp_env_cert_id {
	char *subject, *issuer, *serial;
	char sha256[65];
};

/*
 * The identity of the i-th certificate this writer encrypts to (in the
 * order given to open), taken from the certificate it loaded; NULL past
 * the last. Valid until w is closed or aborted.
 */
const struct dsp_env_cert_id *dsp_env_writer_recipient(struct dsp_env_writer *w, size_t i);

/* Register a per-volume callback (optional; call right after open). */
void dsp_env_writer_set_volume_cb(struct dsp_env_writer *w,
				  dsp_env_volume_fn fn, void *arg);

/*
 * Encrypt and write len bytes. 0 or -errno. Data is buffered (8 MiB) and
 * encrypted, hashed and written by a worker thread, so an I/O error may be
 * reported by a later call or by close. After a failure the writer is
 * unusable: call dsp_env_writer_abort(). Not thread-safe: one caller.
 */
int dsp_env_write(struct dsp_env_writer *w, const void *buf, size_t len);

/*
 * Finish the last volume: write its envelope, fsync every file and the
 * directory, and free w. ct_sha256/env_sha256 (may be NULL) receive the
 * hex SHA-256 of volume 1 (the files named at open); use the volume
 * callback for the others. Returns 0 or -errno; on failure all outputs
 * are removed and w is freed all the same.
 */
int dsp_env_writer_close(struct dsp_env_writer *w, char ct_sha256[65],
			 char env_sha256[65]);

/* Give up: remove every file this writer created (all volumes), free w. */
void dsp_env_writer_abort(struct dsp_env_writer *w);

/*
 * Number of volumes started so far (1 after open). Waits until everything
 * written so far is encrypted (the writer works in a background thread).
 */
unsigned dsp_env_writer_volumes(struct dsp_env_writer *w);

/*
 * 1 when dev/ino is a file this writer created (any volume's ciphertext or
 * envelope), else 0: a walk that writes into its own tree leaves them out.
 */
int dsp_env_writer_owns(struct dsp_env_writer *w, uint64_t dev, uint64_t ino);

/*
 * Read-back beside the writing. Another thread calls dsp_env_writer_tail:
 * it reads every volume's ciphertext from disk as the writer's worker
 * writes it, decrypts it with a copy of the writer's own GCM context and
 * hands the plaintext to sink; at the end of each volume it checks the
 * GCM tag against the bytes read, the file's size, and that the envelope
 * on disk opens for key_path/cert_path (a recipient) to the same key and
 * IV and carries the same tag. It returns once the writer is closed and
 * everything was read back (0), on the first difference (DSP_MISMATCH),
 * when sink returns nonzero (that value), or -ECANCELED when the writer
 * failed or was aborted. Call dsp_env_writer_tail_expect(w, 1) before
 * starting that thread (0 if it could not start): close and abort then
 * wait for the read-back to return before freeing the writer.
 * As with dsp_env_decrypt, plaintext is unauthenticated until 0.
 */
void dsp_env_writer_tail_expect(struct dsp_env_writer *w, int on);
int dsp_env_writer_tail(struct dsp_env_writer *w, const char *key_path,
			const char *cert_path,
			int (*sink)(void *arg, const void *buf, size_t len),
			void *arg);

/*
 * Tests only: change the volume limit for writers opened afterwards
 * (0 restores DSP_ENV_VOLUME_MAX). Values above the default are clamped.
 */
void dsp_env_set_volume_max(uint64_t bytes);

/*
 * Decrypt env_path + ct_path with the recipient's private key (PEM,
 * unencrypted: a passphrase-protected key is refused with DSP_INVALID and
 * a message, never prompted for) and certificate (PEM; selects the
 * recipient info; NULL tries every recipient). Follows volumes 2, 3, ...
 * while NAME.k exists. Plaintext goes to sink in chunks of up to 4 MiB,
 * always from the caller's thread (a worker thread reads and decrypts
 * ahead); memory use (about 10 MiB) does not depend on the archive size. A sink returning
 * nonzero stops decryption and that value is returned.
 *
 * WARNING: plaintext handed to sink is UNAUTHENTICATED until this function
 * returns 0. GCM checks its tag only at the end of each volume; a tampered
 * or truncated file is detected then, after its bytes were passed on.
 * Callers must treat (and discard) everything on any nonzero result.
 *
 * Returns 0 when every volume authenticated; DSP_MISMATCH when
 * authentication failed (tampered or truncated ciphertext or envelope,
 * an empty envelope file, or this key/certificate is not a recipient);
 * DSP_INVALID when env_path is whole but not a detached CMS
 * AuthEnvelopedData, or the key is unreadable,
 * encrypted, or does not match the certificate; -errno for I/O errors
 * (-ENOENT when volume k's ciphertext exists but its envelope does not).
 */
int dsp_env_decrypt(const char *env_path, const char *ct_path,
		    const char *key_path, const char *cert_path,
		    int (*sink)(void *arg, const void *buf, size_t len),
		    void *arg);

/* As dsp_env_decrypt; *nvolumes (if not NULL) gets the volumes processed. */
int dsp_env_decrypt_volumes(const char *env_path, const char *ct_path,
			    const char *key_path, const char *cert_path,
			    int (*sink)(void *arg, const void *buf, size_t len),
			    void *arg, unsigned *nvolumes);

/*
 * Parse and check an envelope held in memory (the parser the fuzz target
 * drives): 0 when it is a detached AuthEnvelopedData with at least one
 * recipient, DSP_INVALID otherwise.
 */
int dsp_env_check(const void *buf, size_t len);

/*
 * Before an encrypted create writes anything: the read-back key and
 * certificate load, are a pair, and the certificate is one of recipients
 * (else the read-back could not open the envelope, and a whole archive
 * would be written for nothing). 0, or DSP_INVALID with why (one line
 * naming the file: "KEY: key does not match the certificate CERT").
 */
int dsp_env_readback_check(const char *key_path, const char *cert_path,
			   const char *const *recipients, char *why, size_t wlen);

/*
 * Before decrypting, so that a wrong key is one clear error: load the key
 * (and the certificate, when given), check that they are a pair and that
 * the certificate is one of env_path's recipients. 0 when so, or when the
 * envelope cannot be parsed (decryption reports that); DSP_INVALID with why
 * ("KEY: key does not match the certificate CERT", "KEY: not a key of
 * ARCHIVE: ...") or, for a key or certificate that is unreadable or not
 * one, DSP_INVALID or -errno already logged (why empty).
 */
int dsp_env_key_check(const char *env_path, const char *key_path,
		      const char *cert_path, const char *archive, char *why, size_t wlen);

/* Volume k's file name (k >= 1) under the naming above; malloc'd or NULL. */
char *dsp_env_volume_ct_path(const char *ct_path, unsigned k);
char *dsp_env_volume_env_path(const char *env_path, unsigned k);

#endif
