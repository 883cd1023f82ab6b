/* SPDX-License-Identifier: MIT */
/* archive.h - retention archives: BagIt bags in pax+zstd, optionally CMS-encrypted */
#ifndef DISPOSE_ARCHIVE_H
#define DISPOSE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

struct dsp_ledger;

/*
 * An archive NAME is a pax tar, zstd-compressed, holding one BagIt 1.0 bag
 * (top directory BAG = basename of NAME without .tar.zst.enc/.tar.zst/
 * .tzst/.zst/.tar). Names (dispose-archive(5) "Names"): a plain archive is
 * BASE.tar.zst; an encrypted one is BASE.tar.zst.enc (ciphertext) +
 * BASE.tar.zst.enc.cms (detached AuthEnvelopedData), volumes k >= 2
 * NAME.00k + NAME.00k.cms. NAME.bag-info.txt is a plain copy of the bag's
 * bag-info.txt so `status` can read retention labels without a key.
 * Archives of older versions (any NAME) still verify and extract.
 */
#define DSP_ARCHIVE_SUFFIX ".tar.zst"
#define DSP_ARCHIVE_ENC_SUFFIX ".tar.zst.enc"
#define DSP_BAG_INFO_SUFFIX ".bag-info.txt"
#define DSP_ENV_SUFFIX ".cms"
#define DSP_FAILED_SUFFIX ".failed"

/*
 * The naming rule for a new archive: NAME must end in .tar.zst (plain) or
 * .tar.zst.enc (encrypted), after a base name of its own. 0, or
 * DSP_INVALID with why ("NAME: ...: use -o RIGHT-NAME").
 */
int dsp_archive_name_check(const char *name, int encrypted, char *why, size_t wlen);

/*
 * name is an encrypted archive by its name (NAME.tar.zst.enc, not a zstd
 * stream) whose envelope NAME.cms is not there: 1 with the envelope's path
 * in env; else 0. Read as plain, it would only be "not an archive of ours".
 */
int dsp_archive_envelope_missing(const char *name, char *env, size_t len);

/*
 * path is one of an archive's other files (its envelope NAME.cms, volume
 * NAME.00k or its envelope, NAME.bag-info.txt) and that archive is there:
 * 1 with the archive's name in archive and what path is in what ("the
 * encrypted envelope"); else 0.
 */
int dsp_archive_member_of(const char *path, char *archive, size_t len,
			  char *what, size_t wlen);

/*
 * How far create, verify or extract got: at most every 100 ms, and at the
 * start and end of each pass. Called on the thread that called the entry
 * point.
 */
struct dsp_archive_progress {
	const char *phase;		/* "write" (create), "decrypt", "verify", "extract" */
	unsigned pass, npasses;		/* 1-based: verify 1; extract 2, 3 when it decrypts first */
	uint64_t files, bytes;		/* payload files and their bytes so far, this pass */
	uint64_t done, total;		/* archive bytes of this pass (create: payload bytes
					   read); total 0: not known (create) */
	uint64_t all_done, all_total;	/* every pass, for an ETA; all_total 0: not known */
};
typedef void (*dsp_archive_progress_fn)(const struct dsp_archive_progress *p, void *arg);

struct dsp_archive_opts {
	const char *const *roots;	/* NULL-terminated; absolute after realpath */
	const char *const *excludes;	/* fnmatch(3) globs on absolute paths */
	const char *const *recipients;	/* PEM certificate paths; NULL/empty = plain */
	const char *retain_until;	/* YYYY-MM-DD or NULL */
	const char *series;		/* Records-Series */
	const char *authority;		/* Disposal-Authority */
	const char *organization;	/* Source-Organization */
	int legal_hold;
	/* read back with this key (when encrypted); NULL = a readback-only
	 * recipient whose key lives in memory and is destroyed afterwards */
	const char *key, *cert;
	struct dsp_ledger *ledger;	/* archive_created goes here; may be NULL */
	/*
	 * Set nonzero (from a signal handler) to stop: create then removes
	 * what it wrote, records archive_failed "interrupted" and returns
	 * -EINTR. May be NULL.
	 */
	const volatile int *stop;
	dsp_archive_progress_fn progress;	/* may be NULL */
	void *progress_arg;
};

struct dsp_archive_result {
	char sha256[65];		/* of NAME (ciphertext when encrypted) */
	char env_sha256[65];		/* of NAME.cms; "" when plain */
	char bag[256];			/* bag directory name */
	char external_id[64];
	uint64_t files;			/* payload files in the manifest */
	uint64_t payload_bytes;
	uint64_t archive_bytes;
	int encrypted;
	uint64_t changed;		/* create: files that changed while read */
	char bad_path[4096];		/* first failing payload path, or the reason */
	int bad_said;			/* bad_path is a whole message naming its file */
	/*
	 * verify: the run record is not this archive's (bad_path says why;
	 * nothing appended): DSP_INVALID none there or damaged, DSP_REFUSED
	 * another command's or without this archive; else 0
	 */
	int record_refused;
};

/*
 * Write archive NAME from opts->roots, read it back and compare every entry
 * with the manifest. The run directory (opts->ledger) and every file of the
 * archive itself are left out of the walk. Returns 0; DSP_PARTIAL when the
 * archive is complete and read back but res->changed files changed while
 * they were read (each logged as "PATH: file changed as we read it",
 * recorded as archive_file_changed and marked "changed" in the item list,
 * so they cover nothing); DSP_MISMATCH when the read-back differs
 * (NAME, NAME.cms are renamed with a .failed suffix, res->bad_path says
 * what); DSP_INVALID for bad options (res->bad_path says which, e.g. a root
 * inside the run directory); -EEXIST when NAME exists; -errno otherwise
 * (partial outputs are removed).
 */
int dsp_archive_create(const char *name, const struct dsp_archive_opts *opts,
		       struct dsp_archive_result *res);

/*
 * What create can check before anything is written, run directory included:
 * options, that every root exists and none lies in run_dir (when given), that
 * NAME and its companions do not exist. Same returns as dsp_archive_create
 * (DSP_INVALID, -EEXIST, -errno; res->bad_path says what). So a usage error
 * leaves no run directory behind.
 */
int dsp_archive_create_check(const char *name, const struct dsp_archive_opts *opts,
			     const char *run_dir, struct dsp_archive_result *res);

/*
 * archive create's own run record (dispose-record(5)). One run directory
 * holds one command's record: run_dir must hold none yet (DSP_REFUSED, why
 * says whose it holds) and no other dispose may hold it (DSP_REFUSED, logged,
 * why empty); NULL makes a new default directory. Writes run_start
 * (command DSP_ARCHIVE_CREATE_CMD, tool version, host, operator, argv) and
 * returns the open record in *out for opts->ledger. 0, DSP_REFUSED or -errno
 * (why, wlen bytes, says what).
 */
#define DSP_ARCHIVE_CREATE_CMD "archive create"
int dsp_archive_run_start(const char *run_dir, int argc, char *const argv[],
			  struct dsp_ledger **out, char *why, size_t wlen);
/* run_end: the status create's rc gives, and the exit code; closes l. 0 or -errno. */
int dsp_archive_run_end(struct dsp_ledger *l, int rc, int exit_code);

/*
 * Before verify writes to the record of run_dir (read only, nothing
 * appended): it must be an intact record of archive create or of dispose
 * run (DSP_RECORD_CMD_RUN), or one without run_start, as create wrote
 * before dispose-record/1. 0; DSP_INVALID (no
 * record there, a broken chain or torn line) or DSP_REFUSED (another
 * command's record), with res->record_refused set the same and
 * res->bad_path saying why; -errno.
 */
int dsp_archive_record_check(const char *run_dir, struct dsp_archive_result *res);

/*
 * Check every payload file against manifest-sha512.txt, the tag files
 * against tagmanifest-sha512.txt and the Payload-Oxum. key/cert are needed
 * when NAME.cms exists. Returns 0; DSP_MISMATCH (res->bad_path names the
 * first bad file, or what failed: decryption, truncation); DSP_INVALID
 * when NAME is not an archive of ours; DSP_REFUSED when an entry has an
 * unsafe path (absolute, .., outside the bag, through a symlink or file);
 * DSP_MISMATCH also for an entry carrying data no manifest covers; -errno.
 * With ledger != NULL, the ledger must hold this archive (its last
 * archive_created with the same External-Identifier, every recorded digest
 * of every volume and envelope matching and no volume more) and be archive
 * create's or a run's (DSP_RECORD_CMD_RUN) record: one that holds no
 * archive_created of it, or that is another command's, gives DSP_REFUSED
 * with res->record_refused; a digest
 * or count that differs, DSP_MISMATCH. Either way nothing is appended; an
 * archive_verified event is appended on success.
 */
int dsp_archive_verify(const char *name, const char *key, const char *cert,
		       struct dsp_ledger *ledger, struct dsp_archive_result *res);

/*
 * Before verify or extract of an encrypted NAME: the key and certificate
 * are a pair and the certificate is one of the envelope's recipients.
 * 0 (also for a plain NAME, or an envelope decryption will call damaged);
 * DSP_INVALID with res->bad_path the one line to print ("KEY: key does not
 * match the certificate CERT", "KEY: not a key of NAME: ..."), or with
 * res->bad_path empty when the problem (unreadable, not a key) was logged;
 * -errno (logged).
 */
int dsp_archive_key_check(const char *name, const char *key, const char *cert,
			  struct dsp_archive_result *res);

/*
 * What extract restores only when asked: anyone holding the recipient's
 * certificate can make an archive, so by default files belong to the
 * extracting user and lose setuid/setgid bits and file capabilities.
 */
#define DSP_EXTRACT_SAME_OWNER	1u	/* owners and groups as stored */
#define DSP_EXTRACT_PERMS	2u	/* setuid/setgid bits, security.capability */
/* no manifest covers these: an archive could make files immutable or readable by others */
#define DSP_EXTRACT_XATTRS	4u	/* extended attributes but capabilities and ACLs */
#define DSP_EXTRACT_ACLS	8u	/* POSIX ACLs (also as system.posix_acl_* xattrs) */
#define DSP_EXTRACT_FFLAGS	16u	/* file flags: immutable, append-only, nodump ... */

/*
 * Verify fully (decrypting into an unlinked temporary file under dir when
 * encrypted), then make dir/BAG and restore the bag into it with modes,
 * times, symlinks, hard links and holes (owners, privileged bits, xattrs,
 * ACLs and file flags as flags say). Nothing is written to dir unless
 * verification passed, and every byte written is a byte verified: each
 * entry is checked again against what verify kept (a file that differs is
 * removed, DSP_MISMATCH).
 * Same returns as dsp_archive_verify; -EEXIST when dir/BAG exists. Changes
 * the working directory while extracting (not thread safe).
 */
int dsp_archive_extract(const char *name, const char *dir, const char *key,
			const char *cert, unsigned flags,
			struct dsp_archive_result *res);

/* Verify and extract with their options in one place, progress included. */
struct dsp_archive_read_opts {
	const char *key, *cert;		/* when NAME is encrypted */
	struct dsp_ledger *ledger;	/* verify: as dsp_archive_verify's; may be NULL */
	unsigned flags;			/* extract: DSP_EXTRACT_* */
	dsp_archive_progress_fn progress;	/* may be NULL */
	void *progress_arg;
};
/* dsp_archive_verify and dsp_archive_extract (same returns) with o. */
int dsp_archive_verify_with(const char *name, const struct dsp_archive_read_opts *o,
			    struct dsp_archive_result *res);
int dsp_archive_extract_with(const char *name, const char *dir,
			     const struct dsp_archive_read_opts *o,
			     struct dsp_archive_result *res);

/* Metadata from bag-info.txt that dispose uses. */
struct dsp_bag_meta {
	char retain_until[16];		/* YYYY-MM-DD or "" */
	char bagging_date[16];
	char series[256];
	char authority[512];
	char organization[256];
	char external_id[64];
	char source_host[256];
	int legal_hold;			/* 1 when Legal-Hold: true */
	int has_oxum;
	uint64_t oxum_bytes, oxum_files;
};

/*
 * Parse bag-info.txt text (labels, "Label: value", continuation lines
 * starting with blanks). fn (may be NULL) gets every label/value (value
 * unfolded); meta (may be NULL) is filled with the known labels.
 * Returns 0, DSP_INVALID on a malformed file (also when a label of
 * struct dsp_bag_meta is given twice: never the last one wins), or fn's
 * non-zero return.
 */
typedef int (*dsp_bag_tag_fn)(void *arg, const char *label, const char *value);
int dsp_bag_info_parse(const char *text, size_t len, struct dsp_bag_meta *meta,
		       dsp_bag_tag_fn fn, void *arg);

/*
 * Parse a manifest ("<hex>  <path>" lines, path percent-decoded for %0D
 * %0A %25). digest_len is the digest size in bytes (64 for sha512).
 * Returns 0, DSP_INVALID on a malformed line, or fn's non-zero return.
 */
typedef int (*dsp_manifest_fn)(void *arg, const char *path,
			       const uint8_t *digest);
int dsp_bag_manifest_parse(const char *text, size_t len, size_t digest_len,
			   dsp_manifest_fn fn, void *arg);

/* Encode a path for a manifest line (% CR LF); 0 or -ENAMETOOLONG. */
int dsp_bag_path_encode(const char *path, char *out, size_t outlen);

/* 1 when s is a valid YYYY-MM-DD calendar date, else 0. */
int dsp_bag_date_valid(const char *s);

enum dsp_retention {
	DSP_RET_ELIGIBLE,	/* retain-until passed, no hold */
	DSP_RET_RETAINED,	/* retain-until not passed (or none given) */
	DSP_RET_HELD,		/* legal hold */
};
/* Decide for today (YYYY-MM-DD; NULL = the current UTC date). */
enum dsp_retention dsp_archive_retention(const struct dsp_bag_meta *m,
					 const char *today);
const char *dsp_archive_retention_name(enum dsp_retention r);

/*
 * For every archive in dir (each NAME with a NAME.bag-info.txt), call fn
 * with its path and metadata, in name order. Returns 0, -errno, or fn's
 * non-zero return; an unreadable bag-info is passed as meta == NULL.
 */
typedef int (*dsp_archive_status_fn)(void *arg, const char *name,
				     const struct dsp_bag_meta *meta,
				     int encrypted);
int dsp_archive_status(const char *dir, dsp_archive_status_fn fn, void *arg);

/*
 * Interlock: 1 when the ledger of run_dir records a verified archive
 * (any archive_created of the record, e.g. one of each retain rule of a
 * run, read back, with every digest) whose item list holds
 * path with this SHA-512 (hex, as in the bag's manifest), not marked as
 * changed while read, and that archive is still there: where it was last
 * verified (archive_verified of its External-Identifier) or created, every
 * volume's ciphertext and envelope with the SHA-256 recorded and no volume
 * more. 0 when none does, -errno: -EBADMSG when the record is broken (the
 * chain, or an item list file that differs from the digest or the counts
 * the record holds for it).
 */
int dsp_archive_covers(const char *run_dir, const char *path,
		       const char *sha512_hex);

/*
 * The same for many items: load the run's covered (path, SHA-512) pairs
 * once (0, or -errno with -EBADMSG for a broken record), then ask per item
 * (1 covered, 0 not, -EINVAL). The set does not follow later appends.
 */
struct dsp_archive_cover;
int dsp_archive_cover_load(const char *run_dir, struct dsp_archive_cover **out);
int dsp_archive_cover_has(const struct dsp_archive_cover *c, const char *path,
			  const char *sha512_hex);
void dsp_archive_cover_free(struct dsp_archive_cover *c);

#endif
