/* SPDX-License-Identifier: MIT */
/* erase.h - overwrite block devices, files and trees; verify by reading back */
#ifndef DISPOSE_ERASE_H
#define DISPOSE_ERASE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include "dispose/device.h"
#include "dispose/io.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/method.h"
#include "dispose/sanitize.h"

/*
 * Events written to the run record (events.jsonl) for each target; every
 * event carries "target" (the target id). A certificate is built from
 * these alone, so they are complete and never claim more than was done:
 *   target       path, kind (block|file|tree|memory), size, identity (devno,
 *                rotational, logical/physical sector, plus opts->identity |
 *                dev, ino, fstype, nlink), parent (tree id, for files of a
 *                tree), method {name,variant,source,sha256,technique,
 *                category (requested),verify,passes},
 *                verify mode, sample_percent, readmode, direct_writes, bufsize,
 *                hidden (an ATA drive's HPA/DCO: opts->hidden; in target_end too),
 *                technique "overwrite", category_requested (opts->requested,
 *                else the method's; in target_end too), auto_reason
 *   target_resumed  the same, when opts->resume continues a recorded target
 *   pass_start   pass (1-based), npasses, label, pattern (dsp_pattern_to_json:
 *                key/iv for random passes), offset (non-zero when resumed),
 *                resumed
 *   checkpoint   pass, offset (bytes durable below it, after fdatasync)
 *   io_error     pass, phase (write|verify|flush), offset, length, errno, error
 *   io_retry     pass, phase, offset, length: an EIO that a sector-wise retry
 *                fully recovered (no bad range)
 *   pass_end     pass, bytes_written, bad_bytes, covered [[start,end),...]
 *                (union over every session of the pass), complete (covered
 *                == [[0,size]]), bad_ranges
 *   verify_start pass, mode, readmode, bytes (planned), offset and resumed
 *                (a verification continued from its checkpoint); sampling adds method
 *                "sampled-800-88r1", prng "splitmix64", seed (hex), percent,
 *                strata, extents_per_stratum, ends_bytes, extents
 *   verify_checkpoint  pass, offset (every planned byte below it compared),
 *                bytes_read, bytes_compared, mismatches, mismatch_offsets,
 *                unreadable: a resume continues the verification from here
 *   verify_end   pass, mode, readmode, bytes_read, bytes_compared, complete,
 *                mismatches (bytes), mismatch_offsets (first 64 runs),
 *                mismatch_ranges, unreadable_bytes, unreadable [ranges]
 *   target_end   status ("success"|"completed-with-errors"|"failed"|
 *                "interrupted"), error, bytes_written, bytes_verified,
 *                bad_ranges [{offset,length}], mismatches, first_mismatch,
 *                nist_category ("clear"|"none"), category_reason (why none),
 *                verification (how it was read back, in words: a sample
 *                names its method, percent and seed), old_data_may_remain
 *                (a file whose old extents are not all under the new map,
 *                shared or encoded extents, a copy-on-write filesystem: the
 *                status is then at best completed-with-errors), caveats
 *                [strings]; a file's extents {result in-place|relocated|
 *                unknown, count, count_before, uncovered_bytes, shared}
 *   file_renamed path, from, to (synced: a resume can find the file)
 *   file_removed path, renames [names], final_name, nlink, hard_links_remain,
 *                parent
 *   tree erase (target = the tree id): dir_removed, dir_kept, symlink_removed,
 *                special_removed, skipped {path, reason} (other filesystem,
 *                too deep, unreadable, replaced after it was checked),
 *                file_failed; link_removed {path, dev, ino, nlink,
 *                links_left}: a name of a file with other names, removed
 *                without overwriting (its data goes with its last name in
 *                the tree); hard_links_remain {path, dev, ino, size, links}:
 *                such a file whose other names lie outside the tree, data
 *                kept; each file is its own target "<tree id>.<seq>" with
 *                "parent"; the tree's target_end has files, dirs,
 *                bytes_written, bytes_verified, mismatches, bad_bytes,
 *                hard_links_remain (count), and the
 *                union of its files' caveats and old_data_may_remain.
 *   a file or tree refused when its turn comes: target_end with status
 *                "failed", refused true, error.
 * Write checkpoints, io_error and target_end are synced; the other events become
 * durable with the next sync (losing one to a power cut only redoes work).
 */

struct dsp_erase_progress {
	const char *target;	/* display path */
	const char *phase;	/* "write" or "verify" */
	unsigned pass, npasses;	/* 1-based */
	uint64_t done, total;	/* bytes of this phase */
	uint64_t all_done, all_total;	/* bytes of every phase, for ETA */
};
/* Return non-zero to cancel: the engine checkpoints and returns DSP_INTERRUPTED. */
typedef int (*dsp_erase_progress_fn)(const struct dsp_erase_progress *p, void *arg);

struct dsp_erase_opts {
	const struct dsp_method *method;
	enum dsp_verify_mode verify;	/* from --verify or the method */
	double sample_percent;		/* DSP_VERIFY_SAMPLE */
	struct dsp_ledger *ledger;	/* required */
	const char *target_id;		/* stable id in the record, e.g. "t1" */
	dsp_erase_progress_fn progress;	/* may be NULL */
	void *progress_arg;
	volatile sig_atomic_t *stop;	/* set by a signal handler; may be NULL */
	uint64_t checkpoint_bytes;	/* 0 = 256 MiB */
	unsigned checkpoint_secs;	/* 0 = 10 s */
	size_t bufsize;			/* 0 = 4 MiB */
	bool resume;			/* continue from the record's last checkpoint */
	int progress_ms;		/* min ms between progress calls: 0 = 100, <0 = every chunk */
	struct json_object *identity;	/* may be NULL: extra identity fields for the
					   target event (model, serial, wwn, ...); borrowed */
	const struct dsp_blkdev_info *device;	/* block devices, may be NULL: the facts
					   the device module read at the check (rotational,
					   partition, identity), so the engine reads none itself */
	bool erase_shared_inodes;	/* files and trees: also overwrite a file that has
					   names outside the target (hard links) */
	int *record_err;		/* may be NULL; shared by every target of a run: the
					   first failed append to the record stores its -errno
					   here and is logged once (naming the run directory);
					   from then on no file or tree erase starts another
					   file, since what it destroyed could not be recorded */
	struct json_object **end;	/* may be NULL: receives a reference to the target's
					   last target_end as recorded (the verdict's one
					   source); the caller puts it */
	/* techniques other than overwrite (block devices; see below) */
	const char *path;		/* the device node: messages, the ATA unlock recipe */
	enum dsp_category requested;	/* the category asked for; DSP_CAT_NONE: the method's */
	const struct dsp_method *then;	/* crypto-luks: overwrite the data area afterwards */
	const char *auto_reason;	/* the method was chosen by auto: why (recorded) */
	struct json_object *luks_backups; /* LUKS header backups an inventory found:
					   [{"path","uuid"}]; borrowed, may be NULL */
	bool all_namespaces;		/* sanitize: every namespace of the NVMe
					   controller is a target of the run */
	const struct dsp_san_opts *san;	/* tests: polling and sleep; NULL: defaults */
	struct json_object *hidden;	/* ATA overwrite: dsp_erase_hidden_probe's (NULL: the
					   engine probes a whole block device itself; with
					   restore_hidden it restores first); recorded in
					   target and target_end; a hidden area the overwrite
					   did not reach makes the category none. Borrowed */
	bool restore_hidden;		/* ATA overwrite: restore native max first */
	/*
	 * Files and trees (#14's interlock): called with the file's open
	 * descriptor (read it with pread; never write) right before its first
	 * byte is overwritten, also on resume before a pass continues. 0: go
	 * on. Non-zero: nothing of that file is written; it is left in place
	 * under its name and recorded as "skipped" {path, reason, gate: true}
	 * (a tree goes on with its other files, its result at best
	 * DSP_PARTIAL; a file target ends failed, DSP_REFUSED). May be NULL.
	 * Called from worker threads.
	 */
	int (*file_gate)(int fd, const char *path, const struct stat *st, char *reason,
			 size_t rlen, void *arg);
	void *gate_arg;
};

struct dsp_erase_result {
	uint64_t bytes_written;
	uint64_t bytes_verified;
	uint64_t mismatches;
	uint64_t first_mismatch;	/* offset, valid when mismatches > 0 */
	uint64_t bad_bytes;		/* isolated unwritable/unreadable bytes */
	unsigned bad_ranges;
	unsigned files, dirs;		/* tree erase */
	unsigned shared_kept;		/* files and trees: files whose data stays because
					   they have names outside the target */
	unsigned left;			/* tree: entries skipped or failed, left in place */
};

/*
 * Overwrite every byte of an open target with the method's passes, then
 * verify as asked. Returns
 *   0                 every pass written and flushed, verification clean;
 *   DSP_PARTIAL       done, but bad ranges were isolated (recorded);
 *   DSP_MISMATCH      verification read back other bytes (offsets recorded);
 *   DSP_INTERRUPTED   stopped (signal or progress cancel) after a checkpoint:
 *                     the record allows --resume;
 *   -errno            failed (e.g. -EIO on flush): the target may be partly
 *                     overwritten; the record says how far it got.
 * With opts->resume, passes and offsets already checkpointed in the record
 * for target_id are skipped and their patterns reused.
 */
int dsp_erase_io(struct dsp_io *io, const struct dsp_erase_opts *opts,
		 struct dsp_erase_result *res);

/* ---- files and trees: opened once, checked, and held until erased ---- */

struct dsp_erase_target;

struct dsp_erase_target_info {
	bool dir;		/* a directory (tree), else a regular file */
	dev_t dev;
	ino_t ino;
	uint64_t nlink;
	uint64_t size;		/* a file's size */
	bool fs_root;		/* the root directory */
	bool mount_root;	/* the root of a mount (bind mounts too), also a file
				   bind-mounted over the name */
};

/*
 * Open a file or directory target once, for its checks and its erase. No
 * symbolic link is followed in any component of path (openat2 with
 * RESOLVE_NO_SYMLINKS, else an O_NOFOLLOW walk component by component): the
 * object checked is the object erased, whatever happens to the path later.
 * display (NULL: path) names it in the record and in messages; a resumed
 * file renamed by the run opens its recorded name and displays the original.
 * Returns 0, -ELOOP (a symbolic link: link, when not NULL, receives the
 * component that is one, path itself when it is the last), -EINVAL (neither
 * a regular file nor a directory), -ENOTDIR, or -errno. Writes nothing.
 */
int dsp_erase_target_open(const char *path, const char *display,
			  struct dsp_erase_target **out, char *link, size_t linklen);
void dsp_erase_target_close(struct dsp_erase_target *t);
const struct dsp_erase_target_info *dsp_erase_target_info(const struct dsp_erase_target *t);
/* The canonical path of the object held (for overlap checks). 0 or -errno. */
int dsp_erase_target_realpath(const struct dsp_erase_target *t, char *buf, size_t len);
/*
 * Does the path still lead, without a symbolic link, to the object held,
 * and does its parent still hold it under its name? 0, -ESTALE (something
 * else is there now, or nothing), -ELOOP (a component is a symlink now), or
 * -errno. The erase functions below call it first and refuse on failure.
 */
int dsp_erase_target_recheck(const struct dsp_erase_target *t);

/*
 * The run record's own objects: the run directory and the regular files in
 * it (events.jsonl first), by device and inode, so that no other name of
 * them (a hard link, a bind mount, a symlinked parent) lets a file or tree
 * erase destroy the evidence of the run. A run directory not made yet
 * guards nothing. 0 or -errno.
 */
#define DSP_ERASE_GUARD_MAX 64
struct dsp_erase_guard {
	size_t n;
	struct { dev_t dev; ino_t ino; bool dir; } obj[DSP_ERASE_GUARD_MAX];
};
int dsp_erase_guard_load(const char *run_dir, struct dsp_erase_guard *g);
/* Is st one of the guarded objects? */
bool dsp_erase_guard_has(const struct dsp_erase_guard *g, const struct stat *st);
/*
 * Does the held target reach the run record: a directory that is run_dir or
 * holds it (compared by device and inode up the ".." chain from run_dir, or
 * from its deepest existing ancestor when it is not made yet), or a file
 * that is one of the run directory's files? 1 yes, 0 no, or -errno.
 */
int dsp_erase_target_holds_run(const struct dsp_erase_target *t, const char *run_dir);

/* What a tree erase would meet (read-only walk from the held directory). */
struct dsp_erase_scan {
	uint64_t files, bytes, dirs;	/* files: names; bytes: each file once */
	uint64_t shared, shared_bytes;	/* files with names outside the tree */
	uint64_t skipped;		/* mount points, too deep, unreadable */
};
/*
 * file_fn is called for every regular file, shared_fn (once the walk is
 * done) for every file with more names than the tree holds: names is how
 * many are inside, st->st_nlink how many there are. Either may be NULL; a
 * non-zero return stops the scan and is returned. The walk never follows a
 * symbolic link nor crosses a mount point. Returns 0, that value, or -errno.
 */
typedef int (*dsp_erase_scan_fn)(const char *path, const struct stat *st, unsigned names,
				 void *arg);
int dsp_erase_tree_scan(const struct dsp_erase_target *t, dsp_erase_scan_fn file_fn,
			dsp_erase_scan_fn shared_fn, void *arg, struct dsp_erase_scan *out);
/*
 * The entries of the held tree the erase walk will not cross or cannot
 * open (other filesystems and bind mounts, too deep, unreadable), each
 * with the reason its "skipped" event will give: what --dry-run shows.
 * A non-zero return of fn stops and is returned. 0 or -errno.
 */
typedef int (*dsp_erase_skip_fn)(const char *path, const char *reason, void *arg);
int dsp_erase_tree_skips(const struct dsp_erase_target *t, dsp_erase_skip_fn fn, void *arg);

/*
 * Do two of the held targets t[0..n) (files and trees; NULL entries are
 * skipped) reach one file by hard links? Without --erase-shared-inodes the
 * run refuses them: each walk would decide alone, so one could record the
 * data kept while another overwrites it, or two concurrent walks could both
 * only unlink it and leave it unnamed and never overwritten. Returns 1 with
 * *ia < *ib the two targets and *a, *b (malloc'd, the caller frees) a name
 * of the file in each, 0 when none is shared, or -errno (*ib: the target
 * whose walk failed). Read-only.
 */
int dsp_erase_targets_share(struct dsp_erase_target *const *t, size_t n, size_t *ia,
			    char **a, size_t *ib, char **b);

/*
 * Erase the held regular file: overwrite as above, truncate, rename several
 * times to random names in the same directory, fsync the directory, unlink.
 * DSP_REFUSED (nothing written, recorded as failed) when the path no longer
 * leads to the file checked, when on resume it is not the file the record
 * names (device and inode), or when it has other names (st_nlink > 1) and
 * opts->erase_shared_inodes is off: overwriting would destroy the data of
 * those names too. Other returns as dsp_erase_io; on error the file is left
 * in place (renamed files are named in the record).
 */
int dsp_erase_file_at(struct dsp_erase_target *t, const struct dsp_erase_opts *opts,
		      struct dsp_erase_result *res);

/*
 * Erase the held directory tree: each regular file as above, symlinks
 * removed (never followed), never crossing a mount point, every directory
 * opened from its checked parent's descriptor, directories removed
 * bottom-up, the root last (only if its name still holds it). A file with
 * names outside the tree is, unless opts->erase_shared_inodes, not
 * overwritten: its names in the tree are removed (link_removed), the data
 * is overwritten with its last name inside the tree, and a file whose other
 * names lie outside is recorded as hard_links_remain (result at best
 * DSP_PARTIAL). An entry swapped after it was checked is skipped and
 * recorded as an error. Errors on one file are recorded and the walk goes
 * on, except a failed append to the record, which stops it. DSP_REFUSED as
 * for files. The worst result is returned.
 */
int dsp_erase_tree_at(struct dsp_erase_target *t, const struct dsp_erase_opts *opts,
		      struct dsp_erase_result *res);

/* The same by path: open, erase, close (the record's last name on resume). */
int dsp_erase_file(const char *path, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res);
int dsp_erase_tree(const char *path, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res);

/* ---- target checks and the erase session (what erase, crypto-erase and run share) ---- */

/*
 * A refusal or error of the checks or the session, said by the CLI as
 * "dispose: <thing>: <reason>" (just the reason when thing is empty).
 */
struct dsp_erase_why {
	int code;		/* DSP_REFUSED, DSP_INVALID, -errno; 0: a notice */
	bool usage;		/* a usage error: the CLI adds its --help hint */
	const char *hint;	/* a line naming the flag that changes it, or NULL */
	char thing[PATH_MAX];
	char reason[1024];
};
/* Each refusal, error or notice as it happens (checks go on after one). */
typedef void (*dsp_erase_report_fn)(const struct dsp_erase_why *why, void *arg);

enum dsp_erase_kind { DSP_ERASE_BLOCK, DSP_ERASE_FILE, DSP_ERASE_TREE };
/* "block", "file" or "tree": the record's kind. */
const char *dsp_erase_kind_name(enum dsp_erase_kind k);

/* One named target, as the checks found it; held open until freed. */
struct dsp_erase_checked {
	char *path;		/* in: the name given (a block device: its /dev node once
				   checked, when the name was a symlink to it) */
	char *given;		/* a symlink named as a block device target, else NULL */
	char *cur;		/* in (resume): a file's last recorded name, or NULL */
	enum dsp_erase_kind kind;
	uint64_t size;		/* bytes the erase writes per pass */
	struct dsp_erase_scan scan;	/* trees: what the walk will meet */
	struct dsp_erase_target *ft;	/* files and trees: the object held */
	dev_t dev;		/* block devices: st_rdev; else st_dev ... */
	ino_t ino;		/* ... and st_ino */
	struct dsp_blkdev_info info;	/* block devices */
	bool have_info;
	struct json_object *identity;	/* block devices: identity when checked */
};

struct dsp_erase_check_opts {
	const char *root;	/* NULL: the running system; tests: a fake root holding
				   sys/ and proc/ (see device.h) */
	const char *run_dir;	/* never erased, nor anything holding it; may be NULL */
	bool erase_shared_inodes;
};

/*
 * Every safety rule, on every target, before anything is written: block
 * devices mounted, holding root, active swap, held (LVM, MD, dm-crypt),
 * partitions of such a disk, two names of one medium; files backing a loop
 * device or bind-mounted over the name, with hard links; the root
 * directory, mount points, trees holding such files; the run directory
 * inside a target; one target named twice or inside another; two targets
 * sharing a file (without erase_shared_inodes). Symbolic links are refused
 * except one naming a block device, which is resolved once (t->given
 * keeps the name). Files and trees are opened and held (t->ft). Each
 * refusal goes to report; the worst is returned: 0, DSP_REFUSED,
 * DSP_INVALID (no such target, not a device, file or directory; named
 * twice), or -errno. Writes nothing.
 */
int dsp_erase_check_targets(const struct dsp_erase_check_opts *o, struct dsp_erase_checked *t,
			    size_t n, dsp_erase_report_fn report, void *arg);
/* Release what the check holds (t->ft, t->identity); keeps the names. */
void dsp_erase_checked_release(struct dsp_erase_checked *t);

struct dsp_erase_session;

struct dsp_erase_session_opts {
	const char *run_dir;	/* NULL: a new default directory (not in a dry run) */
	const char *root;	/* as dsp_erase_check_opts.root */
	const char *method;	/* name or file; NULL: nist-clear if installed, else zero */
	const char *const *methods;	/* NULL, or one per name: that target's method
					   (NULL entries: method above); an item's method
					   is its own (loaded and checked per target) */
	const char *then;	/* crypto-luks targets: an overwrite method run afterwards */
	enum dsp_category category;	/* asked for; DSP_CAT_NONE: each method's */
	/*
	 * NULL, or one per name: that target's own category (DSP_CAT_NONE
	 * entries: category above), --then (NULL entries: then above; given
	 * to a target whose method is neither crypto-luks nor auto: a usage
	 * error naming it) and --verify (NULL entries: verify above). Each is
	 * checked, recorded (run_start's targets) and resumed per target.
	 */
	const enum dsp_category *categories;
	const char *const *thens;
	const char *const *verifies;
	/*
	 * NULL, or one per name: the kind the target must be (a plan's); any
	 * other is refused (DSP_REFUSED, nothing written). On resume the kind
	 * recorded for each target is required.
	 */
	const enum dsp_erase_kind *kinds;
	struct json_object *luks_backups;	/* from --inventory: [{"path","uuid"}];
					   borrowed, may be NULL (recorded in run_start) */
	bool restore_hidden;	/* ATA drives with HPA/DCO: restore native max first */
	const char *verify;	/* none|last|all|sample[:PERCENT]; NULL: the method's */
	unsigned jobs;		/* targets erased at once; 0: all */
	uint64_t checkpoint_bytes;	/* 0: the engine's default */
	int progress_ms;	/* as dsp_erase_opts */
	bool dry_run, resume, erase_shared_inodes;
	int argc;		/* the command line, for the record */
	char **argv;
	volatile sig_atomic_t *stop;	/* set by a signal handler; may be NULL */
	const struct dsp_log_sink *log;	/* the core's messages (and its threads'); may be NULL */
	/*
	 * The pipeline's record (dispose run), open and locked by its owner;
	 * run_dir must be its directory. The session then never makes, opens,
	 * locks or closes a record: it writes "erase_start" (run_start's erase
	 * fields: targets, methods, verify, then, category ...), "erase_resumed"
	 * and "erase_end" (run_end's fields) instead of run_start, run_resumed
	 * and run_end, and --resume reads its targets from the record's last
	 * erase_start (struct dsp_record.erase_start). NULL: its own record.
	 */
	struct dsp_ledger *ledger;
	/* each file's and tree's dsp_erase_opts.file_gate / gate_arg; may be NULL */
	int (*file_gate)(int fd, const char *path, const struct stat *st, char *reason,
			 size_t rlen, void *arg);
	void *gate_arg;
	dsp_erase_report_fn report;	/* required */
	/* target idx's progress; target idx finished with status; may be NULL */
	int (*progress)(unsigned idx, const struct dsp_erase_progress *p, void *arg);
	void (*finished)(unsigned idx, const char *status, void *arg);
	/* the exit code a result stands for (it is recorded); required */
	int (*exit_code)(int result, void *arg);
	/* of two exit codes, the one to report; required */
	int (*exit_worse)(int a, int b);
	void *arg;		/* for the callbacks */
};

/*
 * A session over names (or, with opts->resume, the unfinished targets of
 * the run in opts->run_dir, the names choosing among them): loads the
 * method, locks and reads the run record when resuming. No directory is
 * made. 0, or DSP_INVALID / DSP_REFUSED / -errno, said through report.
 * Usage errors: --then with a method that is not an overwrite, or with no
 * target whose method is crypto-luks (or auto). *out is set either way (free it).
 */
int dsp_erase_session_new(const struct dsp_erase_session_opts *opts, char *const *names,
			  unsigned n, struct dsp_erase_session **out);
/*
 * Check every target (dsp_erase_check_targets; on resume: still the same
 * medium), then each target's technique (reads only; each block device
 * opened read-only): crypto-luks and sanitize need a block device (a file
 * or tree: DSP_UNSUPPORTED), their checks run on it; auto chooses (a file
 * or tree: nist-clear) and the chosen method's check runs. Every target is
 * checked and each refusal reported; the worst is returned (DSP_UNSUPPORTED,
 * DSP_REFUSED, DSP_INVALID, -errno). Writes nothing.
 */
int dsp_erase_session_check(struct dsp_erase_session *s);
/*
 * After the confirmation: recheck files and trees, open block devices
 * (O_EXCL, their medium claimed, a whole disk flock'ed), make the run
 * directory, lock it, write run_start (or run_resumed). Returns as above.
 * On failure nothing has been written to a target.
 */
int dsp_erase_session_start(struct dsp_erase_session *s);
/* Erase every target (opts->jobs at once), then write run_end. The worst exit code. */
int dsp_erase_session_run(struct dsp_erase_session *s);
void dsp_erase_session_free(struct dsp_erase_session *s);

/* ---- techniques beyond overwrite: crypto-luks, sanitize, auto (block devices only) ---- */

/*
 * crypto-luks, before anything is written (reads only): the open target
 * is a block device holding a LUKS1/LUKS2 header (libcryptsetup), has no
 * holder and no other use (an open volume is refused), and the requested
 * category (DSP_CAT_NONE: none asked) is reachable: purge needs a
 * rotational medium (dev->rotational 1; NULL or unknown is not) and no
 * header backup in backups ([{"path","uuid","erased_in_run"}], may be NULL)
 * with the volume's UUID, except one marked erased_in_run (a target of the
 * same run, erased first) and no other hard link (a tree erase would only
 * unlink that name). A partition reaches no category (as an overwrite of
 * one): not refused for it, recorded as none. 0, or DSP_UNSUPPORTED (a
 * file, no LUKS header, a LUKS2 reencryption under way or cut short: part
 * of the data may be plaintext; the category not reachable: the reason
 * names the backup or the medium and what to do), DSP_REFUSED (in use),
 * -errno; why says it.
 */
int dsp_erase_luks_check(struct dsp_io *io, const struct dsp_blkdev_info *dev,
			 enum dsp_category requested, struct json_object *backups, bool then,
			 struct dsp_erase_why *why);
/*
 * Without then (--then), dsp_erase_luks_check and dsp_erase_luks_io also
 * refuse (DSP_UNSUPPORTED) a volume whose data area is not all ciphertext:
 * 64 blocks of 4 KiB spread over the device after the header must each be
 * zeros or look like ciphertext, and a detached header (data offset 0)
 * never is. This is that test (reads only): 1 (why says it), 0, -errno.
 */
struct dsp_luks_info;
int dsp_erase_luks_plain(struct dsp_io *io, const struct dsp_luks_info *li, char *why,
			 size_t len);
/*
 * crypto-luks: target event (technique, category_requested, then and
 * then_area), the header as it was (luks_header, synced), dsp_luks_destroy,
 * its outcome (luks_destroyed, synced), then with opts->then that method's
 * passes over the WHOLE device (header area included, so its last pass is
 * what the whole medium holds) under the same target id, read back as
 * opts->verify says when it differs from the crypto-luks method's own
 * (none: --verify was given, or recorded), else as opts->then says; and target_end:
 * nist_category purge only when the destroy was proven, the medium is
 * rotational and no backup in opts->luks_backups with the volume's UUID
 * survives (one marked erased_in_run counts as erased only when its file
 * no longer holds that header and this run's record shows it overwritten
 * and removed, no name of it kept); else clear with caveats (flash spare
 * area, the surviving backup), none when not destroyed or a partition. A
 * reencryption under way is refused as at the check. The requested category
 * (opts->requested, else the method's) is checked before anything is
 * written: not reachable is DSP_UNSUPPORTED, status failed, nothing
 * written. Resume: a destroy recorded as proven is never run again (the
 * --then passes continue from their checkpoint, unless a LUKS header is
 * found there again: a new volume, DSP_REFUSED, nothing written); a luks_header without a
 * proven luks_destroyed is inspected again: the same volume is destroyed,
 * a header gone is failed (-EIO, never verified), another volume -ESTALE.
 * Returns 0, DSP_MISMATCH (header read-back or --then verification),
 * DSP_PARTIAL, DSP_INTERRUPTED (resumable), DSP_REFUSED (an open volume),
 * DSP_UNSUPPORTED, -EIO (a header still found afterwards), -errno.
 */
int dsp_erase_luks_io(struct dsp_io *io, const struct dsp_erase_opts *opts,
		      struct dsp_erase_result *res);
/*
 * The LUKS header backups the inventory file (dispose inventory's output)
 * lists: a new array [{"path","uuid"}] of its keys with format "luks" and a
 * luks_uuid (path's exact bytes kept as path_hex when not UTF-8). 0 (an
 * empty array when there are none), DSP_INVALID (not an inventory: said
 * through dsp_log as "<file>: <what is wrong>"), or -errno (also said).
 */
int dsp_erase_luks_backups(const char *inventory, struct json_object **out);

/*
 * sanitize, before anything is written (reads only, through io's ioctl
 * entry): which bus, the capabilities, and whether method's action can run
 * (supported, not frozen or locked, no sanitize already running, every
 * NVMe namespace a target: all_namespaces, and as many namespace block
 * devices as the controller has active namespaces) and reach requested
 * (DSP_CAT_NONE: the method's category). 0, or DSP_UNSUPPORTED /
 * DSP_REFUSED / -errno, why says it and what the operator can do.
 */
int dsp_erase_sanitize_check(struct dsp_io *io, const char *path, const struct dsp_blkdev_info *dev,
			     const struct dsp_method *method, enum dsp_category requested,
			     bool all_namespaces, struct dsp_erase_why *why);
/*
 * sanitize: the device identified again (its serial must be the checked
 * one's, else DSP_REFUSED), health before, a synced "sanitize_sent" event
 * (an ATA password and its unlock recipe included) before the command,
 * the command polled to completion, "sanitize_end" (raw status, health
 * after), BLKRRPART, opts->verify's read-back of zeros where the action
 * defines them, target_end with the label. On resume a sent command is
 * polled (NVMe, ATA sanitize) or the ATA erase repeated with the recorded
 * password, never sent again; what cannot be told is reported, not
 * claimed. Returns as dsp_erase_io, plus DSP_UNSUPPORTED (the action or
 * the requested category cannot be had: nothing sent, or the device
 * refused it) and DSP_REFUSED (another device, locked); -EIO: the device
 * reported failure. DSP_INTERRUPTED: polling stopped, the device goes on.
 */
int dsp_erase_sanitize_io(struct dsp_io *io, const struct dsp_erase_opts *opts,
			  struct dsp_erase_result *res);

/*
 * auto: the strongest technique the target supports (io: the block device
 * opened read-only; NULL for a file or tree): a shipped method name into
 * method ("sanitize-crypto", "crypto-luks", "sanitize-block", "nist-clear")
 * and why into reason (one line, for the plan and --dry-run). Reads only.
 * 0 or -errno.
 */
int dsp_erase_auto_choose(struct dsp_io *io, const struct dsp_blkdev_info *dev,
			  char *method, size_t mlen, char *reason, size_t rlen);

/*
 * ATA hidden areas (HPA, DCO), for an overwrite of a whole ATA drive (SAT
 * INQUIRY vendor "ATA"). Probe (reads only): *hidden = a new object,
 * dsp_ata_hidden_json's fields (accessible_sectors, native_sectors,
 * dco_sectors, hpa, dco, reason) plus "examined" (both the native max and,
 * where the drive has a DCO, its max were read) and "hidden_sectors" (how
 * many lie beyond the accessible size); NULL for a drive that is not ATA.
 * A probe command that fails is in "reason", never an error: 0, or -ENOMEM.
 */
int dsp_erase_hidden_probe(struct dsp_io *io, struct json_object **hidden);
/*
 * --restore-hidden (io open for writing, before the overwrite): SET MAX
 * ADDRESS (EXT) to the native max (volatile) when an HPA hides sectors,
 * then DEVICE CONFIGURATION RESTORE when a DCO does (permanent), then
 * IDENTIFY and the probe again; hidden is updated in place to what the
 * drive says now, with "restore" {commands [names sent], accessible_before,
 * accessible_after, error}. The caller re-reads the device's size: the
 * kernel may still report the old one until the disk is rescanned (the
 * category rule compares the overwrite's size with accessible_sectors).
 * 0 (also when nothing was hidden: nothing sent); DSP_UNSUPPORTED (not an
 * ATA drive, native max unknown, max address or DCO frozen: "error" says
 * it); DSP_REFUSED (security locked); -errno. No user data is written.
 */
int dsp_erase_hidden_restore(struct dsp_io *io, struct json_object *hidden);

/* What the CLI shows (dry run, confirmation, summary). */
unsigned dsp_erase_session_count(const struct dsp_erase_session *s);
const struct dsp_erase_checked *dsp_erase_session_target(const struct dsp_erase_session *s,
							 unsigned i, const char **id);
/* After run: status ("success", ...), exit code and result of target i. */
const char *dsp_erase_session_status(const struct dsp_erase_session *s, unsigned i,
				     const struct dsp_erase_result **res);
/* After run: target i's verdict (dsp_erase_verdict of its recorded end); borrowed, may be NULL. */
struct json_object *dsp_erase_session_verdict(const struct dsp_erase_session *s, unsigned i);
/* The first target's method (its verification), or the run's default without targets. */
const struct dsp_method *dsp_erase_session_method(const struct dsp_erase_session *s,
						  enum dsp_verify_mode *verify, double *percent);
/*
 * Target i's method as it will run (auto: the method it chose; then
 * *reason says why, else NULL), its verification and the category asked
 * for (DSP_CAT_NONE: none; the method's when the run asks for none).
 * requested: the method as named (auto stays auto). Any out may be NULL.
 */
const struct dsp_method *dsp_erase_session_target_method(const struct dsp_erase_session *s,
							 unsigned i, const struct dsp_method **requested,
							 const char **reason,
							 enum dsp_verify_mode *verify, double *percent,
							 enum dsp_category *category);
/* The run's --then method (crypto-luks targets), or NULL. */
const struct dsp_method *dsp_erase_session_then(const struct dsp_erase_session *s);
const char *dsp_erase_session_run_dir(const struct dsp_erase_session *s);

#ifdef DSP_TEST_HOOKS
/* Test builds only: called in a tree walk between an entry's lstat and its open. */
extern void (*dsp_erase_test_before_open)(int dirfd, const char *name);
/* Test builds only: called in a tree walk after an entry's checks (mount, record). */
extern void (*dsp_erase_test_after_check)(int dirfd, const char *name);
/* Test builds only: resolve paths component by component, as without openat2. */
extern int dsp_erase_test_no_openat2;
#endif

/*
 * Resume support: does the record in opts->ledger's directory hold an
 * unfinished target with this id? Fills path and method name (for the CLI
 * to reopen it). 1 yes, 0 no (finished or never started), -errno.
 */
int dsp_erase_pending(const char *run_dir, const char *target_id,
		      char *path, size_t pathlen, char *method, size_t methodlen);

/*
 * The auditor's re-check (dispose verify): read a sample of percent (>= 100:
 * every byte) of a still attached target back and compare it with the last
 * pass the record in run_dir holds for target_id. Read-only: nothing is
 * written to the target or the record. Returns 0 (matches), DSP_MISMATCH,
 * DSP_PARTIAL (unreadable sectors), -ENOENT (no finished last pass in the
 * record), -ESTALE (size differs), or -errno. res: bytes_verified,
 * mismatches, first_mismatch, bad_bytes.
 */
int dsp_erase_check(struct dsp_io *io, const char *run_dir, const char *target_id,
		    double percent, struct dsp_erase_result *res);

/* What dsp_erase_check_pattern read and found. */
struct dsp_erase_sample {
	bool seed_given;		/* in: use seed; else one is drawn */
	uint64_t seed;			/* in/out: the sample's seed */
	uint64_t bytes_read;		/* bytes read back (unreadable ones included) */
	uint64_t mismatches;		/* bytes that differ */
	uint64_t first_mismatch;	/* offset, valid when mismatches > 0 */
	uint64_t unreadable_bytes;
};

/*
 * The same re-check from a certificate instead of a run directory
 * (dispose verify --device): pattern is the final pass as recorded (the
 * record's pass_start "pattern"), size the target's recorded size (io must
 * be that big: -ESTALE otherwise), bad[nbad] the [offset, length] ranges
 * never written (not compared). Reads percent (>= 100: every byte) of io
 * with the erase's own NIST SP 800-88r1 sampler (strata, splitmix64 from
 * the seed: s->seed when s->seed_given, else from the CSPRNG; test builds
 * take $DISPOSE_TEST_SEED, 16 hex digits, first). Read-only. Returns 0,
 * DSP_MISMATCH, DSP_PARTIAL (unreadable sectors), DSP_INVALID (pattern),
 * -ESTALE, or -errno; s is filled in every case it was read.
 */
int dsp_erase_check_pattern(struct dsp_io *io, struct json_object *pattern, uint64_t size,
			    const uint64_t (*bad)[2], size_t nbad, double percent,
			    struct dsp_erase_sample *s);

/*
 * A target's verdict from its last target_end (as recorded; NULL: it never
 * started, status says how it ended): a new object with status, result (in
 * words: "success", "written, not verified", "completed with errors: the
 * old data may remain on the medium", ...), nist_category, category
 * ("NIST SP 800-88 Clear" or "no NIST category: <reason>"), verification,
 * old_data_may_remain, bytes_written, bytes_verified and every caveat;
 * a purge's category is "NIST SP 800-88 Purge".
 * NULL on ENOMEM.
 */
struct json_object *dsp_erase_verdict(struct json_object *end, const char *status);

#endif
