/* SPDX-License-Identifier: MIT */
/* erase_int.h - shared state of the overwrite engine (not a public header) */
#ifndef DISPOSE_ERASE_INT_H
#define DISPOSE_ERASE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/io.h"
#include "dispose/pattern.h"

#define ERASE_DEFAULT_BUF	(4u << 20)
#define ERASE_DEFAULT_CKPT	(256ull << 20)
#define ERASE_DEFAULT_CKPT_S	10
/*
 * Double buffering: one buffer is filled while the other is written. More
 * buffers only push freshly generated data out of cache before the kernel
 * copies it (a random pass on a disk-backed loop: 0.80 s with 4, 0.77 s
 * with 2, a zero pass 0.73 s).
 */
#define ERASE_RING		2
#define ERASE_MAX_MISMATCH_LOG	64

struct range {
	uint64_t off, len;
};

struct ranges {
	struct range *v;
	size_t n, cap;
};

int ranges_add(struct ranges *r, uint64_t off, uint64_t len);
void ranges_free(struct ranges *r);
uint64_t ranges_bytes(const struct ranges *r);
/* Sort and merge overlapping/adjacent ranges. */
void ranges_normalize(struct ranges *r);
/* Does [off, off+len) intersect r? (r normalized or not) */
bool ranges_hit(const struct ranges *r, uint64_t off);
struct json_object *ranges_json(const struct ranges *r, bool pairs);

struct pass_state {
	bool started, ended, verified;
	struct dsp_pattern pat;
	uint64_t resume_off;		/* where this session starts writing */
	uint64_t sess_start;		/* record walk: start of the open session */
	struct ranges covered;		/* written ranges, all sessions */
	struct ranges bad;		/* unwritable ranges, all sessions */
	/* verification of this pass, from the record (resume mid-verify) */
	bool vstarted;
	uint64_t vseed, voff, vread, vcompared, vmism;
	struct ranges vruns, vunread;
};

struct erase_file_info {
	const char *kind;		/* "file" */
	uint64_t dev, ino, nlink;
	const char *fstype;
	const char *parent;		/* tree target id, or NULL */
	struct json_object *caveats;	/* borrowed; strings added to target_end */
	int fd;
	struct dsp_io *io;		/* for the FIEMAP check after the overwrite */
	struct extmap *before;		/* extents before the overwrite, or NULL */
};

/*
 * engine.c: a failed append to the record: logged once for the run (naming
 * the run directory) and kept in opts->record_err; no file is erased after.
 */
void erase_record_failed(const struct dsp_erase_opts *o, int r);
bool erase_record_broken(const struct dsp_erase_opts *o);
struct dsp_ledger;
/* file.c: resume of a file target killed after its unlink, before file_removed */
int erase_file_gone(const char *run_dir, const char *id, const char *path, char *final,
		    size_t len);
int erase_file_gone_record(struct dsp_ledger *l, const char *id, const char *path,
			   const char *final);

/* extmap.c: did the overwrite land where the data was? (FIEMAP before/after) */
struct extmap;
struct extmap *erase_extmap_get(struct dsp_io *io);
void erase_extmap_free(struct extmap *m);
/*
 * Adds "extents" to target_end fields f and caveats to cav; true when the
 * old data may remain (an old extent not under the new map, shared, encoded).
 */
bool erase_extmap_check(const struct erase_file_info *fi, bool resumed, struct json_object *f,
			struct json_object *cav);
/* Bytes of before (normalized) that after (normalized) does not cover. */
uint64_t erase_extmap_uncovered(const struct ranges *before, const struct ranges *after);

/* digest.c: digests of a random pass's chunks, checked on its read-back */
struct chunk_digest;
struct chunk_digests {
	struct chunk_digest *d;
	uint8_t *ok;		/* chunk i was generated whole in this session */
	uint64_t n, size, seed;
	size_t chunk;
	unsigned pass;
};
int cdig_begin(struct chunk_digests *c, unsigned pass, uint64_t size, size_t chunk);
void cdig_put(struct chunk_digests *c, uint64_t off, const void *buf, size_t len);
/* 1 same, 0 differs, -1 no digest for this chunk of this pass */
int cdig_check(const struct chunk_digests *c, unsigned pass, uint64_t off, const void *buf,
	       size_t len);
bool cdig_has(const struct chunk_digests *c, unsigned pass);
void cdig_free(struct chunk_digests *c);
struct cdig_worker;
struct cdig_worker *cdig_worker_start(struct chunk_digests *c);	/* NULL: none */
void cdig_worker_post(struct cdig_worker *w, uint64_t off, const void *buf, size_t len);
void cdig_worker_wait(struct cdig_worker *w);
void cdig_worker_stop(struct cdig_worker *w);

struct eng {
	struct dsp_io *io;
	const struct dsp_erase_opts *o;
	const char *id;
	const struct erase_file_info *fi;
	unsigned np;
	struct pass_state *ps;
	size_t bufsize;
	enum dsp_verify_mode vmode;
	double pct;
	const struct dsp_blkdev_info *dev;	/* block devices: the device module's facts */
	int rotational;			/* 1, 0 (flash), -1 unknown */
	bool partition;			/* a partition: not the whole medium */
	bool finished_before;		/* record has a final target_end or file_removed */
	bool seen_before;		/* record has this target */

	/* ring buffers, kept across passes (no page faults per pass) */
	uint8_t *pool[ERASE_RING];
	struct chunk_digests dig;	/* the random pass written last */

	/* progress */
	struct timespec last_prog;
	uint64_t all_done, all_total;

	/* results */
	struct dsp_erase_result *res;
	struct ranges unreadable;	/* verify phase, all passes */
	bool verify_failed_io;
	uint64_t verified_bytes;
	uint64_t mismatches;
	uint64_t first_mismatch;
	uint64_t size_now;		/* block device: size at the end, when it changed */
	bool vsampled;			/* a sampled verification ran (vseed: its seed) */
	uint64_t vseed;
};

/*
 * Durability of the record: checkpoints, io_errors and target_end are
 * synced; the other events ride on the next sync (the file is append-only,
 * so an fdatasync covers every earlier line). Losing an unsynced
 * pass_start or pass_end to a power cut only makes a resume redo work.
 */
/* overwrite.c */
int erase_run(struct dsp_io *io, const struct dsp_erase_opts *opts,
	      struct dsp_erase_result *res, const struct erase_file_info *fi);
/*
 * opts->method's passes as a step of another technique (crypto-luks
 * --then): under opts->target_id, with the record's pass events (resume
 * too), but no target/target_resumed event and no target_end: the caller
 * writes both, from sub. Returns as erase_run.
 */
struct erase_sub {
	const char *category, *why;	/* erase_category's: "clear" or "none", why none */
	char verification[320];		/* erase_verification_text */
	struct json_object *caveats;	/* the overwrite's caveats; the caller puts it */
	struct json_object *bad_ranges;	/* [{offset,length}]; the caller puts it */
	uint64_t size_now;		/* the device's size at the end when it changed */
};
int erase_run_sub(struct dsp_io *io, const struct dsp_erase_opts *opts,
		  struct dsp_erase_result *res, struct erase_sub *sub);

/*
 * hidden.c: an ATA drive's hidden area for an overwrite: opts->hidden or a
 * probe, restored first with opts->restore_hidden (io->size then grows to
 * the kernel's new size, unless resuming). *hidden: a reference or NULL.
 * 0 or -ENOMEM.
 */
int erase_hidden_prepare(struct dsp_io *io, const struct dsp_erase_opts *o,
			 struct json_object **hidden);

/* engine.c: shared by overwrite, verify and resume (no technique calls another's helpers) */
int eng_pool(struct eng *e);
int eng_event(struct eng *e, const char *name, struct json_object *f, int sync);
int eng_progress(struct eng *e, const char *phase, unsigned pass, uint64_t done,
		 uint64_t total, bool force);
bool eng_stopped(struct eng *e);
double eng_now(void);
const char *erase_verify_name(enum dsp_verify_mode v);
/*
 * Fill a target_start's identity as every technique records it (a resume and the certificate
 * compare it): io's numbers (io NULL: none, a file's), devno and the device module's identity
 * of dev when block and no identity is given, then given's fields. rotational < 0: unknown.
 */
void eng_target_identity(struct json_object *id, const struct dsp_io *io, bool block,
			 int rotational, const struct dsp_blkdev_info *dev,
			 struct json_object *given);

/* verify.c */
int eng_verify_pass(struct eng *e, unsigned i);
uint64_t eng_verify_estimate(const struct eng *e);
int erase_sample_extents(uint64_t size, uint32_t sector, double pct, uint64_t seed,
			 struct ranges *out, uint64_t *strata, uint64_t *ends);

/* resume.c */
int eng_load_record(struct eng *e);

/* category.c */
const char *erase_fstype_name(long f_type);
bool erase_fstype_cow(const char *name);
/* The caveats of a target_end; *remain set when one says the old data may remain. */
struct json_object *erase_caveats(const struct eng *e, bool *remain);
/* "clear" or "none"; *why: the reason for none (the record's category_reason). */
const char *erase_category(const struct eng *e, int status, const char **why);
/* How the target was verified, in words (the record's "verification"). */
void erase_verification_text(const struct eng *e, char *buf, size_t len);
/*
 * After appending a target_end (keep: a reference to it; r: the append's
 * result), hand it to opts->end when it was recorded; else drop it.
 */
void erase_keep_end(const struct dsp_erase_opts *o, struct json_object *keep, int r);
/* Add the caveat strings of a (array) to set (array) that it lacks; skip may be NULL. */
void erase_caveats_union(struct json_object *set, struct json_object *a, const char *skip);

/* ring of aligned buffers between a producer thread and the caller */
struct ring;
typedef int (*ring_fill_fn)(struct ring *r, unsigned slot, uint64_t off, size_t len);
struct ring_slot {
	uint8_t *buf;
	uint64_t off;
	size_t len;
	int err;
	struct ranges bad;	/* reader: unreadable pieces (zero-filled) */
};
struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	bool running, quit, done;
	struct ring_slot slot[ERASE_RING];
	uint64_t head, tail;
	const struct range *ext;	/* jobs: extents cut into chunk-sized pieces */
	size_t n_ext;
	size_t next_ext;
	uint64_t next_off;
	size_t chunk;
	ring_fill_fn fill;
	void *arg;
};
/* bufs: ERASE_RING aligned buffers of chunk bytes, owned by the caller */
int ring_start(struct ring *r, const struct range *ext, size_t n_ext, size_t chunk,
	       ring_fill_fn fill, void *arg, uint8_t *const *bufs);
/* Next filled slot in job order, or NULL at the end. */
struct ring_slot *ring_take(struct ring *r);
void ring_release(struct ring *r);
void ring_stop(struct ring *r);

#endif
