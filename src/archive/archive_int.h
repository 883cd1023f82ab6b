/* SPDX-License-Identifier: MIT */
/* archive_int.h - shared between the archive module's own files only */
#ifndef DISPOSE_ARCHIVE_INT_H
#define DISPOSE_ARCHIVE_INT_H

#include <stdatomic.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dispose/archive.h"
#include "dispose/envelope.h"

#define ARC_BLOCK (1u << 20)

/*
 * Progress of one create, verify or extract (reader.c): the caller's
 * callback, the counts it is given, and its rate limit.
 */
struct arc_progress {
	dsp_archive_progress_fn fn;	/* NULL: none */
	void *arg;
	struct dsp_archive_progress p;
	uint64_t base;			/* archive bytes of the passes before */
	struct timespec last;
};
/* Start pass p.pass + 1 of npasses: phase, its total bytes (0: not known); reported. */
void arc_progress_pass(struct arc_progress *pg, const char *phase, unsigned npasses,
		       uint64_t total);
/* Report pg->p (all_done from base and done), at most every 100 ms unless force. */
void arc_progress_report(struct arc_progress *pg, int force);

struct arc_verify {
	const char *key, *cert;	/* for encrypted archives */
	struct arc_progress *pg;	/* verify and extract: progress, or NULL */
	/*
	 * Streaming (create's read-back): every payload entry goes to entry_fn
	 * in archive order as it is read, with its XXH3-128 (regular file) or
	 * the bag path of its hard link target (hard link, digest NULL; the
	 * callback sets *size to the linked file's size, for Payload-Oxum).
	 * Nothing is kept per entry and the manifest is only hashed: memory
	 * does not grow with the number of files. XXH3-128, not SHA-512: the
	 * archive file itself is pinned by SHA-256 (and the GCM tag), so the
	 * comparison only has to catch a decoding that differs, not an
	 * attacker; the manifest's own bytes are compared through
	 * manifest_sha512.
	 */
	int (*entry_fn)(void *arg, const char *bagpath, const uint8_t xxh[16],
			uint64_t *size, const char *link);
	uint8_t manifest_sha512[64];	/* out */
	void *arg;		/* for entry_fn */
	char sha256[65];	/* out: SHA-256 of NAME as read (plain only) */
	char bag_info[8192];	/* out: bag-info.txt text (truncated) */
	struct dsp_bag_meta meta;	/* out */
};

/* Full verification of NAME; see dsp_archive_verify for the returns. */
int arc_verify(const char *name, struct arc_verify *v,
	       struct dsp_archive_result *res);
/* The same of a plain archive open at fd (read from where it stands; the fuzz target's way in). */
int arc_verify_plain_fd(int fd, struct arc_verify *v, struct dsp_archive_result *res);

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
/* The reader already stopped on a difference (or error): 1. */
int arc_feed_failed(struct arc_feed *f);

/*
 * Create's payload items (items.c), streamed in archive order: each goes,
 * once its digests are in, to the manifest (a temporary file beside the
 * archive), the run's item list and a queue that the read-back compares
 * entry by entry.
 */
struct arc_link {	/* digests shared by the links of one inode */
	uint8_t sha512[64], xxh[16];
	uint64_t size;
};
struct arc_item {
	struct arc_item *next;
	char *bagpath;		/* "data/<absolute path>" */
	char *link;		/* hard link: bag path of the first link */
	struct arc_link *lk;	/* nlink > 1 */
	uint64_t size, hseq;
	int hashed;		/* went through the hasher as its item hseq */
	int changed;		/* changed while it was read: listed as such */
	uint8_t sha512[64], xxh[16];	/* written by the hash threads */
	/* sparse file: SHA-512 from side.c, its XXH3 must equal xxh */
	int side;
	_Atomic int side_state;	/* 0 running, 1 done, -errno */
	uint8_t side_xxh[16];
};
struct arc_items;
int arc_items_open(struct arc_items **out, const char *archive,
		   const char *run_dir, const char *uuid,
		   struct dsp_archive_result *res);
struct arc_item *arc_items_add(struct arc_items *s, const char *bagpath,
			       const char *link, struct arc_link *lk);
/* it's data is being hashed: call right before arc_hasher_end_item */
void arc_items_hashed(struct arc_items *s, struct arc_item *it);
/*
 * Pass on the items done (done = arc_hasher_items_done()); 0 or -errno.
 * Waits while the read-back is far behind: produced is how many archive
 * bytes the writer has handed on, arc_items_consumed() what the read-back
 * took (gone: it stopped taking).
 */
int arc_items_flush(struct arc_items *s, uint64_t done, uint64_t produced);
void arc_items_consumed(struct arc_items *s, size_t n, int gone);
/* Tests only: records queued before the writer waits, and the slack (0: defaults). */
void arc_items_set_qmax(size_t n, uint64_t slack);
uint64_t arc_items_files(const struct arc_items *s);
uint64_t arc_items_bytes(const struct arc_items *s);
/* After the last flush: the manifest's length and SHA-512, its bytes to put. */
int arc_items_manifest(struct arc_items *s, uint64_t *len, uint8_t sha512[64],
		       int (*put)(void *arg, const void *buf, size_t n), void *arg);
/* No more items: a read-back waiting for one gets a difference. */
void arc_items_close_queue(struct arc_items *s);
/* The read-back's entry_fn (arg: the arc_items). */
int arc_items_entry(void *arg, const char *bagpath, const uint8_t xxh[16],
		    uint64_t *size, const char *link);
/* DSP_MISMATCH when items written were never read back. */
int arc_items_all_read(struct arc_items *s);
/* Keep the run's item list under its name; its SHA-256. */
int arc_items_keep_list(struct arc_items *s, char name[96], char sha_hex[65]);
void arc_items_free(struct arc_items *s);

/* SHA-512 of sparse files on threads of their own (side.c). */
struct arc_region {
	uint64_t off, len;
};
struct arc_side;
/* stop: a flag that, once nonzero, ends the jobs with -EINTR (or NULL) */
int arc_side_start(struct arc_side **out, const volatile int *stop);
/*
 * Hash size bytes of fd (taken over), regions reg[nreg] (taken over) and
 * zeros between them, into it->sha512 and it->side_xxh; it->side_state
 * says when. Waits while four jobs are queued.
 */
int arc_side_submit(struct arc_side *s, int fd, struct arc_region *reg,
		    unsigned nreg, uint64_t size, struct arc_item *it);
void arc_side_drain(struct arc_side *s);
void arc_side_stop(struct arc_side *s);	/* finishes queued jobs first */

/*
 * Verify's entries (pstore.c): records in a temporary file, an index in
 * memory (about 40 bytes an entry), keyed by a per-store random SipHash key.
 */
enum {
	ARC_PS_PAYLOAD,		/* regular file in data/ */
	ARC_PS_LINK,		/* hard link in data/ (size, digest of its target) */
	ARC_PS_TAG,		/* regular file outside data/ */
	ARC_PS_DIR,		/* directory, stored or implied by an entry below it */
	ARC_PS_SYMLINK,
	ARC_PS_FIFO,
};
struct arc_prec {
	uint64_t id, size;
	uint8_t sha512[64];
	unsigned kind;
};
struct arc_pstore;
FILE *arc_tmpfile_in(const char *dir);	/* unlinked, read-write */
FILE *arc_tmpfile(void);	/* the same in $TMPDIR, /var/tmp or /tmp */
int arc_pstore_open(struct arc_pstore **out);
/* DSP_INVALID when path was added before (any kind); sha512 may be NULL; -errno */
int arc_pstore_add(struct arc_pstore *p, const char *path, unsigned kind,
		   uint64_t size, const uint8_t sha512[64]);
/* -ENOENT when absent; tries the manifest record read ahead first */
int arc_pstore_find(struct arc_pstore *p, const char *path, struct arc_prec *r);
int arc_pstore_read_ahead(struct arc_pstore *p);
int arc_pstore_list(struct arc_pstore *p, uint64_t id);	/* 1: listed before */
/* 1 and the path of the first record of a kind in kinds (1u << kind) not listed */
int arc_pstore_unlisted(struct arc_pstore *p, unsigned kinds, char *path, size_t len);
uint64_t arc_pstore_count(const struct arc_pstore *p);
uint64_t arc_pstore_probes(const struct arc_pstore *p);	/* index slots visited (tests) */
uint64_t arc_siphash24(const uint8_t key[16], const void *in, size_t len);
void arc_pstore_free(struct arc_pstore *p);

/*
 * interlock.c: the run record of run_dir must hold archive NAME as res
 * (filled by its verification) describes it: the last archive_created with
 * its External-Identifier, complete, with the same encryption, counts, and
 * the SHA-256 of every volume's ciphertext and envelope, and no volume
 * more. res->sha256 of a plain archive is taken as its digest. 0;
 * DSP_MISMATCH (res->bad_path names the run directory and why); -errno.
 */
int arc_record_match(const char *run_dir, const char *name, struct dsp_archive_result *res);

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
/* The threads in mask pass over the next item (its end_item resets this). */
void arc_hasher_item_skip(struct arc_hasher *h, unsigned mask);
/* How many items (end_item calls) have all their digests written, in order. */
uint64_t arc_hasher_items_done(struct arc_hasher *h);
void arc_hasher_stop(struct arc_hasher *h);

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
