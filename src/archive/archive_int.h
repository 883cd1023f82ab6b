/* SPDX-License-Identifier: MIT */
/* archive_int.h - shared between the archive module's own files only */
#ifndef DISPOSE_ARCHIVE_INT_H
#define DISPOSE_ARCHIVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dispose/archive.h"
#include "dispose/envelope.h"

#define ARC_BLOCK (1u << 20)

/*
 * Called by the verifier for each payload file it hashed (bag-relative
 * path): SHA-512, or XXH3-128 in the first 16 bytes with payload_xxh.
 */
typedef int (*arc_payload_fn)(void *arg, const char *bagpath,
			      const uint8_t digest[64], uint64_t size);

struct arc_verify {
	const char *key, *cert;	/* for encrypted archives */
	/*
	 * Hash payload with XXH3-128 and leave its comparison to fn (create's
	 * read-back against the digests taken from the same bytes as the
	 * manifest's SHA-512 while writing: the archive file itself is pinned
	 * by SHA-256, so the comparison only has to catch a decoding that
	 * differs, not an attacker; the manifest's own bytes are compared
	 * through manifest_sha512).
	 */
	int payload_xxh;
	uint8_t manifest_sha512[64];	/* out */
	arc_payload_fn fn;	/* optional */
	void *arg;
	char sha256[65];	/* out: SHA-256 of NAME as read (plain only) */
	char bag_info[8192];	/* out: bag-info.txt text (truncated) */
	struct dsp_bag_meta meta;	/* out */
};

/* Full verification of NAME; see dsp_archive_verify for the returns. */
int arc_verify(const char *name, struct arc_verify *v,
	       struct dsp_archive_result *res);

/*
 * The same verification of a plain stream that a producer hands over in
 * pieces (create's read-back beside the writing): a thread runs it while
 * arc_feed_sink() calls (producer side, one thread) deliver the bytes.
 * arc_feed_end() ends the stream, waits and returns the verdict; a
 * producer_rc other than 0 wins over what the reader found.
 */
struct arc_feed;
int arc_feed_start(struct arc_verify *v, struct dsp_archive_result *res,
		   struct arc_feed **out);
int arc_feed_sink(void *feed, const void *buf, size_t len);
int arc_feed_end(struct arc_feed *f, int producer_rc);

/* Bag name for archive NAME: basename without .tar.zst/.tzst/.zst/.tar. */
void arc_bag_name(const char *name, char *out, size_t len);

/* The readback-only recipient (rbkey.c): key and certificate in memfds. */
struct arc_rb_key {
	int key_fd, cert_fd;
	char key_path[64], cert_path[64];
};
int arc_rb_key_make(struct arc_rb_key *k);
void arc_rb_key_destroy(struct arc_rb_key *k);
/* Remove that recipient from env_path once the read-back passed. */
int arc_rb_env_drop(const struct arc_rb_key *k, const char *env_path,
		    size_t expect_left);

/* Payload hashing on two threads (hasher.c). buf NULL = len zero bytes. */
struct arc_hasher;
#define ARC_HASH_SHA512 1u
#define ARC_HASH_XXH3 2u
int arc_hasher_start(struct arc_hasher **out, unsigned mask);
void arc_hasher_feed(struct arc_hasher *h, const void *buf, size_t len);
/*
 * Zero-copy feeding: up to *room bytes may be written at the returned
 * space, then arc_hasher_commit(h, n <= room) hashes them. They stay valid
 * for the caller until it next asks for space or feeds.
 */
char *arc_hasher_space(struct arc_hasher *h, size_t *room);
void arc_hasher_commit(struct arc_hasher *h, size_t len);
/* Digests are written to these when the threads get there: drain first. */
void arc_hasher_end_item(struct arc_hasher *h, uint8_t sha512[64], uint8_t xxh[16]);
void arc_hasher_drain(struct arc_hasher *h);
void arc_hasher_stop(struct arc_hasher *h);

/* Hex helpers */
void arc_hex(const uint8_t *d, size_t n, char *out);

/* SHA-256 of a whole file into hex; 0 or -errno. */
int arc_file_sha256(const char *path, char hex[65]);

int arc_write_full(int fd, const void *buf, size_t len);

/*
 * Names are stored as UTF-8 in pax headers whatever the caller's locale:
 * run libarchive under C.UTF-8 for this thread. Returns the previous
 * locale for arc_locale_leave (0 when C.UTF-8 is missing).
 */
#include <locale.h>
struct arc_locale {
	locale_t loc, old;
};
void arc_locale_enter(struct arc_locale *l);
void arc_locale_leave(struct arc_locale *l);

#endif
