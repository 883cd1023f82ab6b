/* SPDX-License-Identifier: MIT */
/* cmd_erase.c - dispose erase: safety checks, confirmation, run record, one thread per target */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "dispose/device.h"
#include "dispose/erase.h"
#include "dispose/io.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/method.h"
#include "progress.h"

/* Dry-run time estimates assume this throughput; they say so. */
#define NOMINAL_BPS	(200.0 * 1000 * 1000)

enum target_kind { T_BLOCK, T_FILE, T_TREE };

static const char *const kind_name[] = { "block", "file", "tree" };

struct erase_ctl;

struct target {
	char id[16];
	char *path;
	char *cur;			/* resume: a file's last recorded name, if renamed */
	enum target_kind kind;
	uint64_t size;
	unsigned long nfiles;		/* trees */
	unsigned long nshared;		/* trees: files with hard links outside */
	struct dsp_erase_target *ft;	/* files and trees: held from the check to the erase */
	dev_t dev;			/* identity, to catch a target named twice */
	ino_t ino;
	struct dsp_blkdev_info info;	/* block devices */
	bool have_info;
	struct json_object *checked_id;	/* block devices: identity when checked */
	struct dsp_io *io;		/* block devices, opened O_EXCL before the run */
	int *claims;			/* block devices: the rest of its medium, held O_EXCL */
	size_t nclaims;
	int open_err;			/* -errno when opening failed after the checks */
	unsigned idx;
	struct erase_ctl *ctl;
	/* outcome */
	int rc;
	int exit_code;
	const char *status;
	bool started;
	struct dsp_erase_result res;
};

struct erase_ctl {
	const char *method_arg;
	const char *verify_arg;
	const char *run_dir;
	enum progress_mode progress_mode;
	unsigned jobs;
	uint64_t checkpoint_bytes;	/* hidden, for tests */
	unsigned delay_ms;		/* hidden, for tests: slows progress callbacks */
	unsigned int yes : 1,
		     dry_run : 1,
		     resume : 1,
		     verbose : 1,
		     erase_shared : 1;

	struct dsp_method *method;
	enum dsp_verify_mode verify;
	double sample_percent;
	struct dsp_ledger *ledger;
	struct progress *prog;
	struct target *t;
	unsigned nt;
	pthread_mutex_t lock;		/* next */
	unsigned next;
	int argc;
	char **argv;
	char *owned[2];			/* resume: method and verify from the record */
	struct json_object *idents;	/* resume: target id -> recorded identity */
	struct json_object *renamed;	/* resume: target id -> last file_renamed "to" */
	int lock_fd;			/* flock on the run directory, or -1 */
	int record_err;			/* the first failed append to the record: said once */
};

static volatile sig_atomic_t stop_flag;	/* the signal number that stopped us */

static void on_signal(int sig)
{
	stop_flag = sig;
}

static struct progress *log_prog;

/* core messages go around the progress bars */
static void erase_log(enum dsp_log_level level, const char *msg, void *arg)
{
	struct erase_ctl *ctl = arg;

	if (level == DSP_LOG_DEBUG || (level == DSP_LOG_INFO && !ctl->verbose))
		return;
	progress_message(log_prog, "%s%s",
			 level == DSP_LOG_WARN ? "warning: " : "", msg);
}

enum {
	OPT_VERIFY = CHAR_MAX + 1,
	OPT_RUN_DIR,
	OPT_RESUME,
	OPT_PROGRESS,
	OPT_CHECKPOINT,
	OPT_DELAY,
	OPT_SHARED,
};

static const struct option longopts[] = {
	{ "checkpoint-interval", required_argument, NULL, OPT_CHECKPOINT },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "erase-shared-inodes", no_argument, NULL, OPT_SHARED },
	{ "help", no_argument, NULL, 'h' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "method", required_argument, NULL, 'm' },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "test-delay-ms", required_argument, NULL, OPT_DELAY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "yes", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs("Usage:\n"
	      " dispose erase [--method NAME|FILE] [--verify none|last|all|sample[:PERCENT]]\n"
	      "               [--yes] [--dry-run] [--run-dir DIR] [--resume]\n"
	      "               [--erase-shared-inodes]\n"
	      "               [--progress auto|bar|json|none] [--jobs N] TARGET...\n"
	      "\n"
	      "Overwrite block devices, regular files or directory trees (files are\n"
	      "removed after overwriting) and verify by reading back.\n"
	      "\n"
	      "Options:\n"
	      " -m, --method NAME|FILE  overwrite method (default: nist-clear if\n"
	      "                         installed, else zero); see 'dispose methods'\n"
	      "     --verify MODE       none, last, all or sample[:PERCENT]\n"
	      "                         (default: the method's)\n"
	      "     --erase-shared-inodes\n"
	      "                         also overwrite files with hard links outside\n"
	      "                         the target (default: refuse such a file; in a\n"
	      "                         tree, remove only its name)\n"
	      " -y, --yes               do not ask for confirmation\n"
	      " -n, --dry-run           show what would be done; write nothing\n"
	      "     --run-dir DIR       run record directory (default:\n"
	      "                         /var/lib/dispose/runs/<UTC time>-<host>)\n"
	      "     --resume            continue the interrupted run in --run-dir\n"
	      "     --progress MODE     auto, bar, json (on stdout) or none\n"
	      " -j, --jobs N            targets erased at once (default: all)\n"
	      " -v, --verbose           also show informational messages\n"
	      " -h, --help              display this help\n"
	      "\n"
	      "For more details see dispose(8).\n", stdout);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("dispose: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'dispose erase --help' for more information.\n", stderr);
	return DSP_EXIT_USAGE;
}

/* ---- exit codes ---- */

/*
 * Several targets: the worst code wins. A refusal (4) happens before
 * anything is written and stops the whole run; once writing, an
 * interruption dominates (the run must be resumed), then 3 > 5 > 2 > 1 > 0.
 */
static int exit_rank(int code)
{
	switch (code) {
	case DSP_EXIT_OK: return 0;
	case DSP_EXIT_FAILED: return 1;
	case DSP_EXIT_USAGE: return 2;
	case DSP_EXIT_UNSUPPORTED: return 3;
	case DSP_EXIT_MISMATCH: return 4;
	case DSP_EXIT_REFUSED: return 5;
	case DSP_EXIT_SIGHUP: return 6;
	case DSP_EXIT_SIGTERM: return 7;
	case DSP_EXIT_SIGINT: return 8;
	default: return 1;
	}
}

static int worse(int a, int b)
{
	return exit_rank(b) > exit_rank(a) ? b : a;
}

static int interrupted_exit(void)
{
	if (stop_flag == SIGHUP)
		return DSP_EXIT_SIGHUP;
	return stop_flag == SIGTERM ? DSP_EXIT_SIGTERM : DSP_EXIT_SIGINT;
}

static void set_outcome(struct target *t, int rc)
{
	t->rc = rc;
	switch (rc) {
	case 0:
		t->status = "success";
		t->exit_code = DSP_EXIT_OK;
		break;
	case DSP_PARTIAL:
		t->status = "completed-with-errors";
		t->exit_code = DSP_EXIT_FAILED;
		break;
	case DSP_MISMATCH:
		t->status = "verification-mismatch";
		t->exit_code = DSP_EXIT_MISMATCH;
		break;
	case DSP_INTERRUPTED:
		t->status = "interrupted";
		t->exit_code = interrupted_exit();
		break;
	case DSP_UNSUPPORTED:
		t->status = "unsupported";
		t->exit_code = DSP_EXIT_UNSUPPORTED;
		break;
	case DSP_REFUSED:
		t->status = "refused";
		t->exit_code = DSP_EXIT_REFUSED;
		break;
	case DSP_INVALID:
		t->status = "invalid";
		t->exit_code = DSP_EXIT_USAGE;
		break;
	default:
		t->status = "failed";
		t->exit_code = DSP_EXIT_FAILED;
		break;
	}
}

/* ---- who and where ---- */

static const char *operator_name(void)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s && *s)
		return s;
	s = getenv("LOGNAME");
	if (s && *s)
		return s;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

static void host_name(char *buf, size_t len)
{
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "unknown");
	buf[len - 1] = '\0';
}

/* mkdir -p of the parent of dir, mode 0700 (the ledger makes dir itself) */
static int make_parents(const char *dir)
{
	char buf[PATH_MAX];
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	s = strrchr(buf, '/');
	if (!s || s == buf)
		return 0;
	*s = '\0';
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- target checks: everything is checked before anything is written ---- */

/* files that back attached loop devices: in use, never erased */
static struct dsp_blkdev_loopfile *loopfiles;
static size_t nloopfiles;

static const struct dsp_blkdev_loopfile *backs_loop(const struct stat *sb)
{
	for (size_t i = 0; i < nloopfiles; i++)
		if (loopfiles[i].dev == sb->st_dev && loopfiles[i].ino == sb->st_ino)
			return &loopfiles[i];
	return NULL;
}

/* the run directory and its files (a resumed run's record): never erased */
static struct dsp_erase_guard run_guard;

/* A tree's file that backs an attached loop device or is the run record stops the check. */
static int scan_file(const char *path, const struct stat *st, unsigned names, void *arg)
{
	const struct target *t = arg;
	const struct dsp_blkdev_loopfile *lf = backs_loop(st);

	if (dsp_erase_guard_has(&run_guard, st)) {
		cli_err("%s: holds %s, another name of a file of the run directory %s",
			t->path, path, t->ctl->run_dir);
		return 1;
	}
	if (!lf)
		return 0;
	cli_err("%s: holds %s, the backing file of /dev/%s; detach it first", t->path, path,
		lf->name);
	return 1;
}

/*
 * Files and trees: open the target once. Everything checked from here on,
 * and the erase, use this handle, never the path again.
 */
static int hold_target(struct target *t, const struct stat *st)
{
	const char *open_path = t->cur ? t->cur : t->path;
	const struct dsp_erase_target_info *in;
	char link[PATH_MAX];
	int r = dsp_erase_target_open(open_path, t->path, &t->ft, link, sizeof(link));

	if (r == -ELOOP && link[0] && strcmp(link, open_path)) {
		cli_err("%s: %s is a symbolic link; name the path without it", t->path, link);
		return DSP_EXIT_REFUSED;
	}
	if (r == -ELOOP) {
		cli_err("%s: is a symbolic link; name its target instead", t->path);
		return DSP_EXIT_REFUSED;
	}
	if (r < 0) {
		cli_err("%s: %s", t->path, strerror(-r));
		return DSP_EXIT_USAGE;
	}
	in = dsp_erase_target_info(t->ft);
	if (in->dev != st->st_dev || in->ino != st->st_ino) {
		cli_err("%s: changed while it was being checked; nothing written", t->path);
		return DSP_EXIT_REFUSED;
	}
	return 0;
}

/* Is the held directory the root, or a mount point (bind mounts too)? */
static int dir_refusal(const struct target *t, char *why, size_t len)
{
	const struct dsp_erase_target_info *in = dsp_erase_target_info(t->ft);

	if (in->fs_root) {
		snprintf(why, len, "refusing to erase the root directory");
		return DSP_EXIT_REFUSED;
	}
	if (in->mount_root) {
		snprintf(why, len, "is a mount point; refusing to erase it");
		return DSP_EXIT_REFUSED;
	}
	return 0;
}

/*
 * Canonical form of a path that may not exist yet (a new run directory):
 * the deepest existing ancestor resolved, the missing rest appended.
 */
static bool resolve_loose(const char *path, char *out)
{
	char buf[PATH_MAX], head[PATH_MAX];
	const char *rest = "";
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return false;
	for (;;) {
		if (realpath(buf[0] ? buf : ".", head))
			break;
		if (errno != ENOENT || !buf[0])
			return false;
		s = strrchr(buf, '/');
		if (!s) {
			rest = path;
			buf[0] = '\0';
		} else {
			rest = path + (s - buf) + 1;
			/* "/x" -> "/", "a/b" -> "a" */
			s[s == buf ? 1 : 0] = '\0';
		}
	}
	while (*rest == '/')
		rest++;
	return snprintf(out, PATH_MAX, "%s%s%s", head, *rest && strcmp(head, "/") ? "/" : "",
			rest) < PATH_MAX;
}

/* Is inner (canonical) outer (canonical) or below it? */
static bool path_within(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	if (!strcmp(outer, "/"))
		return true;
	return !strncmp(inner, outer, n) && (inner[n] == '/' || inner[n] == '\0');
}

/*
 * Does the held tree or file contain or equal the run directory?
 * The run directory need not exist yet: it is made inside the tree later.
 */
static bool holds_run_dir(const struct target *t, const char *run_dir)
{
	char a[PATH_MAX], b[PATH_MAX];

	if (!run_dir)
		return false;
	/* by device and inode too: a bind mount or a hard link is no other place */
	if (dsp_erase_target_holds_run(t->ft, run_dir) != 0)
		return true;
	if (dsp_erase_target_realpath(t->ft, a, sizeof(a)) < 0)
		return false;
	if (!resolve_loose(run_dir, b))
		return false;
	return path_within(b, a);
}

static int check_target(struct erase_ctl *ctl, struct target *t)
{
	struct dsp_blkdev_use use;
	struct json_object *to;
	struct stat st;
	char why[512];
	int r;

	/* killed between rename and unlink: the file is under its last name */
	if (ctl->resume && lstat(t->path, &st) < 0 && errno == ENOENT && ctl->renamed &&
	    json_object_object_get_ex(ctl->renamed, t->id, &to)) {
		const char *slash = strrchr(t->path, '/');
		int dl = slash ? (int)(slash - t->path) + 1 : 0;

		if (asprintf(&t->cur, "%.*s%s", dl, t->path, json_object_get_string(to)) < 0)
			t->cur = NULL;
	}
	if (lstat(t->cur ? t->cur : t->path, &st) < 0) {
		cli_err("%s: %s", t->path, strerror(errno));
		return DSP_EXIT_USAGE;
	}
	if (t->cur && !S_ISREG(st.st_mode)) {
		cli_err("%s: %s is not the renamed file", t->path, t->cur);
		return DSP_EXIT_REFUSED;
	}
	if (S_ISLNK(st.st_mode)) {
		cli_err("%s: is a symbolic link; name its target instead", t->path);
		return DSP_EXIT_REFUSED;
	}
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	if (S_ISBLK(st.st_mode)) {
		t->kind = T_BLOCK;
		t->dev = st.st_rdev;
		t->ino = 0;
		r = dsp_blkdev_in_use(t->path, &use);
		if (r < 0) {
			cli_err("%s: cannot check whether the device is in use: %s",
				t->path, strerror(-r));
			return DSP_EXIT_REFUSED;
		}
		if (use.mounted || use.holds_root || use.swap_active || use.has_holders) {
			cli_err("%s: %s", t->path,
				dsp_blkdev_use_reason(&use, why, sizeof(why)));
			return DSP_EXIT_REFUSED;
		}
		r = dsp_blkdev_info(t->path, &t->info);
		if (r == 0) {
			t->have_info = true;
			t->checked_id = dsp_identity_block(&t->info);
			t->size = t->info.size;
			/* a card reader without a card: "erased" would be a lie */
			if (!t->size) {
				cli_err("%s: device has size 0 (no medium?); nothing to erase",
					t->path);
				return DSP_EXIT_USAGE;
			}
		}
	} else if (S_ISREG(st.st_mode)) {
		const struct dsp_blkdev_loopfile *lf = backs_loop(&st);

		t->kind = T_FILE;
		r = hold_target(t, &st);
		if (r)
			return r;
		t->size = dsp_erase_target_info(t->ft)->size;
		if (lf) {
			cli_err("%s: is the backing file of /dev/%s; detach it first",
				t->path, lf->name);
			return DSP_EXIT_REFUSED;
		}
		/* a file bind-mounted over this name belongs to another tree */
		if (dsp_erase_target_info(t->ft)->mount_root) {
			cli_err("%s: is a mount point; refusing to erase it", t->path);
			return DSP_EXIT_REFUSED;
		}
		if (holds_run_dir(t, ctl->run_dir)) {
			cli_err("%s: is a file of the run directory %s", t->path, ctl->run_dir);
			return DSP_EXIT_REFUSED;
		}
		/* its other names may be anywhere: their data would go too */
		if (dsp_erase_target_info(t->ft)->nlink > 1 && !ctl->erase_shared) {
			uint64_t other = dsp_erase_target_info(t->ft)->nlink - 1;

			cli_err("%s: has %llu other hard link%s whose data would be overwritten too",
				t->path, (unsigned long long)other, other == 1 ? "" : "s");
			fprintf(stderr, "Use --erase-shared-inodes to overwrite it anyway.\n");
			return DSP_EXIT_REFUSED;
		}
	} else if (S_ISDIR(st.st_mode)) {
		struct dsp_erase_scan sc;

		t->kind = T_TREE;
		r = hold_target(t, &st);
		if (r)
			return r;
		r = dir_refusal(t, why, sizeof(why));
		if (r) {
			cli_err("%s: %s", t->path, why);
			return r;
		}
		if (holds_run_dir(t, ctl->run_dir)) {
			cli_err("%s: holds the run directory %s", t->path, ctl->run_dir);
			return DSP_EXIT_REFUSED;
		}
		/* from the held directory, as the erase will walk it */
		r = dsp_erase_tree_scan(t->ft, scan_file, NULL, t, &sc);
		if (r == 1)
			return DSP_EXIT_REFUSED;
		if (r < 0) {
			cli_err("%s: cannot walk the tree: %s", t->path, strerror(-r));
			return DSP_EXIT_USAGE;
		}
		/* files kept for their outside names are not written */
		t->size = sc.bytes - (ctl->erase_shared ? 0 : sc.shared_bytes);
		t->nfiles = (unsigned long)sc.files;
		t->nshared = (unsigned long)sc.shared;
	} else {
		cli_err("%s: not a block device, regular file or directory", t->path);
		return DSP_EXIT_USAGE;
	}
	return 0;
}

/*
 * Two names of one medium (loop devices over one file, a loop device and
 * the device it is backed by) are one target named twice.
 */
static int check_shared_medium(const struct erase_ctl *ctl)
{
	unsigned *idx = calloc(ctl->nt, sizeof(*idx));
	dev_t *devs = calloc(ctl->nt, sizeof(*devs));
	size_t n = 0, a = 0, b = 0;
	int r, rc = 0;

	if (!idx || !devs) {
		free(idx);
		free(devs);
		return DSP_EXIT_FAILED;
	}
	for (unsigned i = 0; i < ctl->nt; i++)
		if (ctl->t[i].kind == T_BLOCK) {
			idx[n] = i;
			devs[n++] = ctl->t[i].dev;
		}
	r = dsp_blkdev_shared_medium(devs, n, &a, &b);
	if (r == 1) {
		cli_err("%s: reaches the same medium as %s, also named",
			ctl->t[idx[b]].path, ctl->t[idx[a]].path);
		rc = DSP_EXIT_USAGE;
	} else if (r < 0) {
		cli_err("%s: cannot tell which medium the device reaches: %s",
			ctl->t[idx[a]].path, strerror(-r));
		rc = DSP_EXIT_REFUSED;
	}
	free(idx);
	free(devs);
	return rc;
}

/* One file with names in two targets: the walks' order would decide its fate. */
static int check_shared_inodes(const struct erase_ctl *ctl)
{
	struct dsp_erase_target **ft = calloc(ctl->nt, sizeof(*ft));
	size_t ia = 0, ib = 0;
	unsigned held = 0;
	char *a, *b;
	int r;

	if (!ft)
		return DSP_EXIT_FAILED;
	for (unsigned i = 0; i < ctl->nt; i++) {
		ft[i] = ctl->t[i].kind == T_BLOCK ? NULL : ctl->t[i].ft;
		held += !!ft[i];
	}
	/* one file or tree shares with nothing: no second walk */
	r = held < 2 ? 0 : dsp_erase_targets_share(ft, ctl->nt, &ia, &a, &ib, &b);
	free(ft);
	if (r == 1) {
		cli_err("%s: is a hard link of %s, in %s, also named", b, a, ctl->t[ia].path);
		fprintf(stderr, "Use --erase-shared-inodes to overwrite it anyway.\n");
		free(a);
		free(b);
		return DSP_EXIT_REFUSED;
	}
	if (r < 0) {
		cli_err("%s: cannot walk the targets for shared files: %s", ctl->t[ib].path,
			strerror(-r));
		return DSP_EXIT_REFUSED;
	}
	return 0;
}

static int check_all(struct erase_ctl *ctl)
{
	int rc = 0;

	if (dsp_erase_guard_load(ctl->run_dir, &run_guard) < 0)
		memset(&run_guard, 0, sizeof(run_guard));
	free(loopfiles);
	if (dsp_blkdev_loop_files(&loopfiles, &nloopfiles) < 0) {
		loopfiles = NULL;	/* no sysfs: no loop devices to protect */
		nloopfiles = 0;
	}

	for (unsigned i = 0; i < ctl->nt; i++) {
		struct target *t = &ctl->t[i];

		rc = worse(rc, check_target(ctl, t));
		for (unsigned j = 0; j < i && rc == 0; j++) {
			if (ctl->t[j].kind == t->kind && ctl->t[j].dev == t->dev &&
			    ctl->t[j].ino == t->ino) {
				cli_err("%s: named twice (also as %s)", t->path,
					ctl->t[j].path);
				rc = DSP_EXIT_USAGE;
			}
		}
	}
	/* a file or tree inside a tree also named would be erased twice, concurrently */
	for (unsigned i = 0; i < ctl->nt && rc == 0; i++) {
		char a[PATH_MAX], b[PATH_MAX];

		if (ctl->t[i].kind == T_BLOCK || !realpath(ctl->t[i].path, a))
			continue;
		for (unsigned j = 0; j < ctl->nt && rc == 0; j++) {
			if (j == i || ctl->t[j].kind != T_TREE || !realpath(ctl->t[j].path, b))
				continue;
			if (path_within(a, b)) {
				cli_err("%s: is inside %s, also named", ctl->t[i].path,
					ctl->t[j].path);
				rc = DSP_EXIT_USAGE;
			}
		}
	}
	/* a partition and its disk at once would be overwritten twice, concurrently */
	for (unsigned i = 0; i < ctl->nt && rc == 0; i++) {
		const struct target *p = &ctl->t[i];

		if (p->kind != T_BLOCK || !p->have_info || !p->info.is_partition)
			continue;
		for (unsigned j = 0; j < ctl->nt; j++) {
			const struct target *d = &ctl->t[j];

			if (d->kind == T_BLOCK && d->have_info && !d->info.is_partition &&
			    !strcmp(d->info.name, p->info.disk)) {
				cli_err("%s: is a partition of %s, also named", p->path, d->path);
				rc = DSP_EXIT_USAGE;
			}
		}
	}
	if (rc == 0)
		rc = check_shared_medium(ctl);
	if (rc == 0 && !ctl->erase_shared)
		rc = check_shared_inodes(ctl);
	return rc;
}

/* ---- describing targets (dry run, confirmation) ---- */

static void describe(FILE *f, const struct target *t)
{
	char sz[32];

	cli_human_size(t->size, sz, sizeof(sz));
	switch (t->kind) {
	case T_BLOCK:
		fprintf(f, "%s %s: block device, %s", t->id, t->path, sz);
		if (t->have_info) {
			if (t->info.model[0])
				fprintf(f, ", model \"%s\"", t->info.model);
			if (t->info.serial[0])
				fprintf(f, ", serial \"%s\"", t->info.serial);
			if (t->info.wwn[0])
				fprintf(f, ", wwn %s", t->info.wwn);
			if (t->info.backing_file[0])
				fprintf(f, ", backing file %s", t->info.backing_file);
		}
		break;
	case T_FILE:
		fprintf(f, "%s %s: regular file, %s", t->id, t->path, sz);
		break;
	case T_TREE:
		fprintf(f, "%s %s: directory tree, %lu files, %s", t->id, t->path,
			t->nfiles, sz);
		if (t->nshared)
			fprintf(f, ", %lu with hard links outside the tree", t->nshared);
		break;
	}
	fputc('\n', f);
}

static void method_line(FILE *f, const struct erase_ctl *ctl)
{
	const struct dsp_method *m = ctl->method;

	fprintf(f, "method: %s (%u pass%s:", m->name, m->npasses,
		m->npasses == 1 ? "" : "es");
	for (unsigned i = 0; i < m->npasses; i++)
		fprintf(f, " %s", m->passes[i].label);
	fprintf(f, "), verify: %s", dsp_verify_mode_name(ctl->verify));
	if (ctl->verify == DSP_VERIFY_SAMPLE)
		fprintf(f, " %g%%", ctl->sample_percent);
	fputc('\n', f);
}

/* Dry run: a file of a tree with names outside it, and what will happen to it. */
static int dry_shared(const char *path, const struct stat *st, unsigned names, void *arg)
{
	const struct erase_ctl *ctl = arg;
	unsigned long long out = (unsigned long long)st->st_nlink - names;

	if (ctl->erase_shared)
		printf("   %s: has %llu hard link%s outside the tree: overwritten anyway "
		       "(--erase-shared-inodes)\n", path, out, out == 1 ? "" : "s");
	else
		printf("   %s: has %llu hard link%s outside the tree: would be unlinked, "
		       "not overwritten (hard_links_remain)\n", path, out, out == 1 ? "" : "s");
	return 0;
}

static void dry_run(const struct erase_ctl *ctl)
{
	const struct dsp_method *m = ctl->method;
	char w[32], r[32];

	printf("dry run: nothing will be written\n");
	method_line(stdout, ctl);
	for (unsigned i = 0; i < ctl->nt; i++) {
		const struct target *t = &ctl->t[i];
		uint64_t wr = t->size * m->npasses, rd = 0;
		double secs;
		unsigned long s;

		switch (ctl->verify) {
		case DSP_VERIFY_NONE: rd = 0; break;
		case DSP_VERIFY_LAST: rd = t->size; break;
		case DSP_VERIFY_ALL: rd = wr; break;
		case DSP_VERIFY_SAMPLE:
			rd = (uint64_t)((double)t->size * ctl->sample_percent / 100);
			break;
		}
		describe(stdout, t);
		printf("   would write %s in %u pass%s and read back %s\n",
		       cli_human_size(wr, w, sizeof(w)), m->npasses,
		       m->npasses == 1 ? "" : "es", cli_human_size(rd, r, sizeof(r)));
		if (t->kind != T_BLOCK)
			printf("   then remove the %s\n",
			       t->kind == T_FILE ? "file" : "files and directories");
		if (t->kind == T_TREE && t->nshared)
			dsp_erase_tree_scan(t->ft, NULL, dry_shared, (void *)ctl, NULL);
		if (t->kind == T_FILE && dsp_erase_target_info(t->ft)->nlink > 1)
			printf("   its other %llu hard link(s) lose their data too "
			       "(--erase-shared-inodes)\n",
			       (unsigned long long)dsp_erase_target_info(t->ft)->nlink - 1);
		secs = (double)(wr + rd) / NOMINAL_BPS;
		s = (unsigned long)(secs + 0.5);
		printf("   estimated time: %lu:%02lu:%02lu (an estimate at a nominal 200 MB/s)\n",
		       s / 3600, s / 60 % 60, s % 60);
	}
}

/* Without --yes: the operator types each target's name on the terminal. */
static int confirm(const struct erase_ctl *ctl)
{
	char prompt[PATH_MAX + 128];

	if (ctl->yes)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		cli_err("no terminal to confirm on; nothing written");
		fprintf(stderr, "Use --yes to erase without confirmation.\n");
		return DSP_EXIT_REFUSED;
	}
	fprintf(stderr, "WARNING: every byte of the following will be overwritten:\n");
	method_line(stderr, ctl);
	for (unsigned i = 0; i < ctl->nt; i++)
		describe(stderr, &ctl->t[i]);
	for (unsigned i = 0; i < ctl->nt; i++) {
		snprintf(prompt, sizeof(prompt), "Type '%s' to erase it: ",
			 ctl->t[i].path);
		if (!cli_confirm_typed(prompt, ctl->t[i].path)) {
			cli_err("%s: not confirmed; nothing written", ctl->t[i].path);
			return DSP_EXIT_REFUSED;
		}
	}
	return 0;
}

/* Open every block device exclusively before the first write. */
static int open_devices(struct erase_ctl *ctl)
{
	for (unsigned i = 0; i < ctl->nt; i++) {
		struct target *t = &ctl->t[i];
		int r;

		if (t->kind != T_BLOCK)
			continue;
		r = dsp_io_open(t->path, DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &t->io);
		if (r == 0 && t->io->rdev != t->dev) {
			/* the node was replaced while the operator confirmed */
			cli_err("%s: is no longer the device that was checked; nothing written",
				t->path);
			return DSP_EXIT_REFUSED;
		}
		/* same number, other medium: a loop device reattached meanwhile (held now) */
		if (r == 0 && t->checked_id) {
			char why[1024];

			if (dsp_identity_recheck(t->checked_id, t->path, why, sizeof(why))) {
				cli_err("%s: is no longer the medium that was checked (%s); "
					"nothing written", t->path, why);
				return DSP_EXIT_REFUSED;
			}
		}
		if (r == -EBUSY) {
			cli_err("%s: device is busy (in use or open exclusively "
				"elsewhere); nothing written", t->path);
			return DSP_EXIT_REFUSED;
		}
		if (r < 0) {
			/* not a safety rule: this target fails, the others go on */
			cli_err("%s: cannot open for writing: %s", t->path, strerror(-r));
			t->open_err = r;
			t->io = NULL;
			continue;
		}
		/* its aliases, too: none may be mounted while it is overwritten */
		{
			char busy[PATH_MAX];

			r = dsp_blkdev_claim_medium(t->path, &t->claims, &t->nclaims, busy,
						    sizeof(busy));
			if (r == -EBUSY) {
				cli_err("%s: %s reaches the same medium and is busy (in use "
					"or open exclusively elsewhere); nothing written",
					t->path, busy);
				return DSP_EXIT_REFUSED;
			}
			if (r < 0) {
				cli_err("%s: cannot hold %s, which reaches the same medium: %s; "
					"nothing written", t->path,
					busy[0] ? busy : "the rest of its medium", strerror(-r));
				return DSP_EXIT_REFUSED;
			}
		}
	}
	return 0;
}

/* Files and trees: still what was checked and confirmed (dev+ino)? */
static int recheck_paths(const struct erase_ctl *ctl)
{
	for (unsigned i = 0; i < ctl->nt; i++) {
		const struct target *t = &ctl->t[i];

		if (t->kind == T_BLOCK)
			continue;
		/* the path must still lead, without a symlink, to the object held */
		if (dsp_erase_target_recheck(t->ft) != 0) {
			cli_err("%s: is no longer the %s that was checked; nothing written",
				t->path, t->kind == T_FILE ? "file" : "directory");
			return DSP_EXIT_REFUSED;
		}
	}
	return 0;
}

static void close_devices(struct erase_ctl *ctl)
{
	for (unsigned i = 0; i < ctl->nt; i++) {
		if (ctl->t[i].io)
			dsp_io_close(ctl->t[i].io);
		ctl->t[i].io = NULL;
		dsp_blkdev_release(ctl->t[i].claims, ctl->t[i].nclaims);
		ctl->t[i].claims = NULL;
		ctl->t[i].nclaims = 0;
	}
}

/* ---- the run record ---- */

static struct json_object *argv_json(int argc, char **argv)
{
	struct json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(DSP_TOOL_NAME));
	for (int i = 0; i < argc; i++)
		json_object_array_add(a, json_object_new_string(argv[i]));
	return a;
}

static struct json_object *identity_json(const struct target *t);

static struct json_object *targets_json(const struct erase_ctl *ctl)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < ctl->nt; i++) {
		const struct target *t = &ctl->t[i];
		struct json_object *o = json_object_new_object(), *id;

		json_object_object_add(o, "id", json_object_new_string(t->id));
		json_object_object_add(o, "path", json_object_new_string(t->path));
		json_object_object_add(o, "kind", json_object_new_string(kind_name[t->kind]));
		/* what --resume compares, also for a target never started */
		if (t->kind == T_BLOCK) {
			id = identity_json(t);
		} else {
			id = json_object_new_object();
			json_object_object_add(id, "dev", json_object_new_int64((int64_t)t->dev));
			json_object_object_add(id, "ino", json_object_new_int64((int64_t)t->ino));
		}
		if (id)
			json_object_object_add(o, "identity", id);
		json_object_array_add(a, o);
	}
	return a;
}

static int append(struct erase_ctl *ctl, const char *event, struct json_object *o)
{
	int none = 0, r = __atomic_load_n(&ctl->record_err, __ATOMIC_SEQ_CST);

	/* once an append failed the record takes nothing more: said once */
	if (r) {
		json_object_put(o);
		return r;
	}
	r = dsp_ledger_append(ctl->ledger, event, o, 1);
	json_object_put(o);
	if (r < 0 && __atomic_compare_exchange_n(&ctl->record_err, &none, r, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		cli_err("%s: cannot write the run record: %s",
			dsp_ledger_dir(ctl->ledger), strerror(-r));
	return r;
}

/* What --resume reloads: the name, or a method file's absolute path. */
static const char *method_ref(const struct erase_ctl *ctl, char *buf)
{
	const char *a = ctl->method_arg;
	size_t n = strlen(a);

	if ((strchr(a, '/') || (n > 5 && !strcmp(a + n - 5, ".json"))) &&
	    realpath(a, buf))
		return buf;
	return a;
}

static int write_run_start(struct erase_ctl *ctl, const char *host)
{
	struct json_object *o = json_object_new_object();
	char abspath[PATH_MAX];

	json_object_object_add(o, "command", json_object_new_string("erase"));
	json_object_object_add(o, "tool", json_object_new_string(DSP_TOOL_NAME));
	json_object_object_add(o, "version", json_object_new_string(DSP_VERSION));
	json_object_object_add(o, "gitrev", json_object_new_string(DSP_GITREV));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "operator", json_object_new_string(operator_name()));
	json_object_object_add(o, "uid", json_object_new_int64((int64_t)getuid()));
	json_object_object_add(o, "argv", argv_json(ctl->argc, ctl->argv));
	/* relative target paths mean this directory, also on --resume */
	if (getcwd(abspath, sizeof(abspath)))
		json_object_object_add(o, "cwd", json_object_new_string(abspath));
	json_object_object_add(o, "targets", targets_json(ctl));
	json_object_object_add(o, "method_name", json_object_new_string(ctl->method->name));
	json_object_object_add(o, "method_arg", json_object_new_string(method_ref(ctl, abspath)));
	json_object_object_add(o, "method", dsp_method_to_json(ctl->method));
	json_object_object_add(o, "verify",
			       json_object_new_string(dsp_verify_mode_name(ctl->verify)));
	json_object_object_add(o, "sample_percent",
			       json_object_new_double(ctl->sample_percent));
	json_object_object_add(o, "jobs", json_object_new_int64(ctl->jobs));
	json_object_object_add(o, "erase_shared_inodes", json_object_new_boolean(ctl->erase_shared));
	return append(ctl, "run_start", o);
}

static int write_run_resumed(struct erase_ctl *ctl, const char *host)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ids = json_object_new_array();

	for (unsigned i = 0; i < ctl->nt; i++)
		json_object_array_add(ids, json_object_new_string(ctl->t[i].id));
	json_object_object_add(o, "host", json_object_new_string(host));
	json_object_object_add(o, "operator", json_object_new_string(operator_name()));
	json_object_object_add(o, "uid", json_object_new_int64((int64_t)getuid()));
	json_object_object_add(o, "argv", argv_json(ctl->argc, ctl->argv));
	json_object_object_add(o, "targets", ids);
	json_object_object_add(o, "jobs", json_object_new_int64(ctl->jobs));
	return append(ctl, "run_resumed", o);
}

static const char *overall_status(const struct erase_ctl *ctl)
{
	unsigned ok = 0, failed = 0;

	for (unsigned i = 0; i < ctl->nt; i++) {
		if (!strcmp(ctl->t[i].status, "interrupted"))
			return "interrupted";
		if (!strcmp(ctl->t[i].status, "success"))
			ok++;
		else if (!strcmp(ctl->t[i].status, "failed"))
			failed++;
	}
	if (ok == ctl->nt)
		return "success";
	if (failed == ctl->nt)
		return "failed";
	return "completed-with-errors";
}

static void write_run_end(struct erase_ctl *ctl, int code)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < ctl->nt; i++) {
		struct json_object *e = json_object_new_object();
		const struct target *t = &ctl->t[i];

		json_object_object_add(e, "id", json_object_new_string(t->id));
		json_object_object_add(e, "path", json_object_new_string(t->path));
		json_object_object_add(e, "status", json_object_new_string(t->status));
		json_object_object_add(e, "exit", json_object_new_int(t->exit_code));
		json_object_object_add(e, "bytes_written",
				       json_object_new_int64((int64_t)t->res.bytes_written));
		json_object_object_add(e, "bytes_verified",
				       json_object_new_int64((int64_t)t->res.bytes_verified));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "targets", a);
	json_object_object_add(o, "status", json_object_new_string(overall_status(ctl)));
	json_object_object_add(o, "exit", json_object_new_int(code));
	append(ctl, "run_end", o);
}

/* A target that could not be opened still gets a target_end in the record. */
static void record_open_failure(struct erase_ctl *ctl, struct target *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "target", json_object_new_string(t->id));
	json_object_object_add(o, "path", json_object_new_string(t->path));
	json_object_object_add(o, "kind", json_object_new_string(kind_name[t->kind]));
	json_object_object_add(o, "status", json_object_new_string("failed"));
	json_object_object_add(o, "error", json_object_new_string(strerror(-t->open_err)));
	json_object_object_add(o, "errno", json_object_new_int(-t->open_err));
	json_object_object_add(o, "bytes_written", json_object_new_int64(0));
	json_object_object_add(o, "bytes_verified", json_object_new_int64(0));
	append(ctl, "target_end", o);
}

/* ---- running ---- */

static int on_progress(const struct dsp_erase_progress *p, void *arg)
{
	struct target *t = arg;

	progress_update(t->ctl->prog, t->idx, p);
	if (t->ctl->delay_ms) {
		struct timespec ts = { t->ctl->delay_ms / 1000,
				       (long)(t->ctl->delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	return 0;
}

/*
 * Device identity for the record (what --resume compares); the engine adds
 * geometry. The one taken at the check is reused (a new reference): the
 * held device was compared equal to it after the open, and each build
 * takes a fresh snapshot of every loop device.
 */
static struct json_object *identity_json(const struct target *t)
{
	if (t->checked_id)
		return json_object_get(t->checked_id);
	return t->have_info ? dsp_identity_block(&t->info) : NULL;
}

static void run_target(struct erase_ctl *ctl, struct target *t)
{
	struct dsp_erase_opts opts = {
		.method = ctl->method,
		.verify = ctl->verify,
		.sample_percent = ctl->sample_percent,
		.ledger = ctl->ledger,
		.target_id = t->id,
		.progress = on_progress,
		.progress_arg = t,
		.stop = &stop_flag,
		.checkpoint_bytes = ctl->checkpoint_bytes,
		.resume = ctl->resume,
		.erase_shared_inodes = ctl->erase_shared,
		.record_err = &ctl->record_err,
		/* the test delay only slows anything when every chunk reports */
		.progress_ms = ctl->delay_ms ? -1 : 0,
	};
	int r;

	t->started = true;
	if (t->open_err) {
		record_open_failure(ctl, t);
		set_outcome(t, t->open_err);
		progress_finish(ctl->prog, t->idx, t->status);
		return;
	}
	switch (t->kind) {
	case T_BLOCK:
		opts.identity = identity_json(t);
		r = dsp_erase_io(t->io, &opts, &t->res);
		json_object_put(opts.identity);
		dsp_io_close(t->io);
		t->io = NULL;
		break;
	case T_FILE:
		/* the handle checked before the confirmation, not the path again */
		r = dsp_erase_file_at(t->ft, &opts, &t->res);
		break;
	case T_TREE:
	default:
		r = dsp_erase_tree_at(t->ft, &opts, &t->res);
		break;
	}
	set_outcome(t, r);
	/* a record that stopped taking lines was said once, by the core */
	if (r < 0 && r != __atomic_load_n(&ctl->record_err, __ATOMIC_SEQ_CST))
		progress_message(ctl->prog, "%s: erase failed: %s", t->path, strerror(-r));
	else if (r == DSP_MISMATCH)
		progress_message(ctl->prog, "%s: verification found %llu mismatching bytes",
				 t->path, (unsigned long long)t->res.mismatches);
	progress_finish(ctl->prog, t->idx, t->status);
}

static void *worker(void *arg)
{
	struct erase_ctl *ctl = arg;

	for (;;) {
		struct target *t;

		pthread_mutex_lock(&ctl->lock);
		t = ctl->next < ctl->nt ? &ctl->t[ctl->next++] : NULL;
		pthread_mutex_unlock(&ctl->lock);
		if (!t)
			return NULL;
		if (stop_flag) {
			/* never started: resumable like the others */
			set_outcome(t, DSP_INTERRUPTED);
			progress_finish(ctl->prog, t->idx, t->status);
			continue;
		}
		if (__atomic_load_n(&ctl->record_err, __ATOMIC_SEQ_CST)) {
			/* nothing more can be recorded: not started */
			set_outcome(t, ctl->record_err);
			progress_finish(ctl->prog, t->idx, t->status);
			continue;
		}
		run_target(ctl, t);
	}
}

static void run_all(struct erase_ctl *ctl)
{
	unsigned n = ctl->jobs < ctl->nt ? ctl->jobs : ctl->nt;
	pthread_t *th = calloc(n, sizeof(*th));
	unsigned started = 0;

	if (th) {
		for (; started < n; started++)
			if (pthread_create(&th[started], NULL, worker, ctl) != 0)
				break;
	}
	if (started == 0)
		worker(ctl);	/* no threads: do them one by one here */
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	free(th);
}

/* ---- method and verify mode ---- */

static int load_method(struct erase_ctl *ctl)
{
	char err[1024] = "";
	const char *name = ctl->method_arg;
	int r;

	if (!name) {
		r = dsp_method_find("nist-clear", &ctl->method, err, sizeof(err));
		name = r == 0 ? "nist-clear" : "zero";
		if (r != 0) {
			err[0] = '\0';
			r = dsp_method_find("zero", &ctl->method, err, sizeof(err));
		}
		ctl->method_arg = name;
	} else {
		r = dsp_method_find(name, &ctl->method, err, sizeof(err));
	}
	if (r == 0)
		return 0;
	if (r == DSP_INVALID)
		cli_err("%s", err[0] ? err : name);
	else if (r == -ENOENT && !strchr(name, '/'))
		cli_err("%s: unknown method (see 'dispose methods')", name);
	else if (err[0])
		cli_err("%s", err);
	else
		cli_err("%s: cannot load method: %s", name, strerror(r < 0 ? -r : EINVAL));
	ctl->method = NULL;
	return DSP_EXIT_USAGE;
}

static int set_verify(struct erase_ctl *ctl, const char *arg)
{
	ctl->verify = ctl->method->verify;
	ctl->sample_percent = ctl->method->sample_percent > 0 ?
			      ctl->method->sample_percent : 10;
	if (!arg)
		return 0;
	if (dsp_verify_mode_parse(arg, &ctl->verify, &ctl->sample_percent) != 0) {
		if (!strncmp(arg, "sample:", 7))
			return usage_error("--verify: %s: PERCENT must be a number in (0, 100]",
					   arg);
		return usage_error("--verify: %s: expected none, last, all or "
				   "sample[:PERCENT]", arg);
	}
	if (ctl->verify == DSP_VERIFY_SAMPLE &&
	    (ctl->sample_percent <= 0 || ctl->sample_percent > 100))
		return usage_error("--verify: %s: percent must be in (0, 100]", arg);
	return 0;
}

/* ---- resume: what the interrupted run was doing ---- */

struct resume_scan {
	struct json_object *run_start;	/* owned copy */
	struct json_object *ends;	/* id -> last target_end status */
	struct json_object *idents;	/* id -> identity of its first target event */
	struct json_object *renamed;	/* id -> the last name a file was renamed to */
};

/* A string member of o, else NULL: the record is outside input on resume. */
static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int scan_event(struct json_object *ev, void *arg)
{
	struct resume_scan *s = arg;
	const char *e = jstr(ev, "event"), *id = jstr(ev, "target"), *st;
	struct json_object *x;

	if (!e)
		return 0;
	if (!strcmp(e, "run_start") && !s->run_start) {
		json_object_deep_copy(ev, &s->run_start, NULL);
	} else if (!id) {
		return 0;
	} else if (!strcmp(e, "target_end") && (st = jstr(ev, "status"))) {
		json_object_object_add(s->ends, id, json_object_new_string(st));
	} else if (s->idents && !strcmp(e, "target") &&
		   !json_object_object_get_ex(s->idents, id, NULL) &&
		   json_object_object_get_ex(ev, "identity", &x)) {
		struct json_object *sz;

		/* older records keep the size beside the identity only */
		if (!json_object_object_get_ex(x, "size", NULL) &&
		    json_object_object_get_ex(ev, "size", &sz))
			json_object_object_add(x, "size", json_object_get(sz));
		json_object_object_add(s->idents, id, json_object_get(x));
	} else if (s->renamed && !strcmp(e, "file_renamed") && (st = jstr(ev, "to"))) {
		json_object_object_add(s->renamed, id, json_object_new_string(st));
	}
	return 0;
}

/* Fill ctl->t with the run's unfinished targets (or the named ones). */
static int resume_targets(struct erase_ctl *ctl, char **names, unsigned nnames)
{
	struct resume_scan s = { NULL, json_object_new_object(), json_object_new_object(),
				 json_object_new_object() };
	struct json_object *targets, *ends;
	char path[PATH_MAX], mname[128];
	uint64_t bad = 0;
	const char *v, *cwd, *src;
	int r, rc = 0;
	size_t n;

	r = dsp_ledger_walk(ctl->run_dir, scan_event, &s, &bad);
	if (r != 0) {
		if (r == DSP_MISMATCH)
			cli_err("%s: run record is damaged at line %llu", ctl->run_dir,
				(unsigned long long)bad);
		else
			cli_err("%s: cannot read the run record: %s", ctl->run_dir,
				strerror(r < 0 ? -r : EINVAL));
		rc = DSP_EXIT_USAGE;
		goto out;
	}
	if (!s.run_start || !json_object_object_get_ex(s.run_start, "targets", &targets) ||
	    !json_object_is_type(targets, json_type_array) ||
	    !jstr(s.run_start, "command") || strcmp(jstr(s.run_start, "command"), "erase")) {
		cli_err("%s: not the record of an erase run", ctl->run_dir);
		rc = DSP_EXIT_USAGE;
		goto out;
	}
	/* the method and verification are the run's; they cannot change midway */
	if (ctl->method_arg || ctl->verify_arg) {
		rc = usage_error("--method and --verify cannot change on --resume");
		goto out;
	}
	v = jstr(s.run_start, "method_arg");
	ctl->method_arg = ctl->owned[0] = strdup(v ? v : "");
	v = jstr(s.run_start, "verify");
	if (v && !strcmp(v, "sample")) {
		struct json_object *pct;
		char buf[64];

		if (json_object_object_get_ex(s.run_start, "sample_percent", &pct)) {
			snprintf(buf, sizeof(buf), "sample:%g", json_object_get_double(pct));
			ctl->owned[1] = strdup(buf);
		}
	} else if (v) {
		ctl->owned[1] = strdup(v);
	}
	ctl->verify_arg = ctl->owned[1];
	{
		struct json_object *x;
		bool was = json_object_object_get_ex(s.run_start, "erase_shared_inodes", &x) &&
			   json_object_get_boolean(x);

		if (ctl->erase_shared && !was) {
			rc = usage_error("--erase-shared-inodes cannot change on --resume");
			goto out;
		}
		ctl->erase_shared = was;
	}
	if (!ctl->method_arg) {
		rc = DSP_EXIT_FAILED;
		goto out;
	}
	ends = s.ends;
	cwd = jstr(s.run_start, "cwd");
	n = json_object_array_length(targets);
	ctl->t = calloc(n ? n : 1, sizeof(*ctl->t));
	if (!ctl->t) {
		rc = DSP_EXIT_FAILED;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(targets, i);
		const char *id = jstr(o, "id"), *p = jstr(o, "path");
		struct json_object *end;
		bool pending, wanted = nnames == 0;

		if (!id || !p)
			continue;
		/* a target never started: its identity as checked at run_start */
		if (json_object_object_get_ex(o, "identity", &end) &&
		    !json_object_object_get_ex(s.idents, id, NULL))
			json_object_object_add(s.idents, id, json_object_get(end));
		for (unsigned k = 0; k < nnames; k++)
			if (!strcmp(names[k], p))
				wanted = true;
		r = dsp_erase_pending(ctl->run_dir, id, path, sizeof(path), mname, sizeof(mname));
		if (r < 0) {
			cli_err("%s: %s: cannot read its state: %s", ctl->run_dir, p,
				strerror(-r));
			rc = DSP_EXIT_USAGE;
			goto out;
		}
		/* 0 means finished or never started: the record tells which */
		pending = r == 1 || !json_object_object_get_ex(ends, id, &end) ||
			  !strcmp(json_object_get_string(end), "interrupted") ||
			  !strcmp(json_object_get_string(end), "failed");
		if (!wanted)
			continue;
		if (!pending) {
			if (nnames)
				cli_warn("%s: already finished in this run; skipped", p);
			continue;
		}
		snprintf(ctl->t[ctl->nt].id, sizeof(ctl->t[0].id), "%s", id);
		/* the engine knows where a file target is now (it may be renamed) */
		src = r == 1 && path[0] ? path : p;
		/* relative to where the run started, not to where it is resumed */
		if (src[0] != '/' && cwd && cwd[0] == '/') {
			if (asprintf(&ctl->t[ctl->nt].path, "%s/%s", cwd, src) < 0)
				ctl->t[ctl->nt].path = NULL;
		} else {
			ctl->t[ctl->nt].path = strdup(src);
		}
		ctl->nt++;
	}
	for (unsigned k = 0; k < nnames; k++) {
		bool found = false;

		for (size_t i = 0; i < n; i++) {
			const char *p = jstr(json_object_array_get_idx(targets, i), "path");

			if (p && !strcmp(p, names[k]))
				found = true;
		}
		if (!found) {
			cli_err("%s: not a target of the run in %s", names[k], ctl->run_dir);
			rc = DSP_EXIT_USAGE;
			goto out;
		}
	}
out:
	json_object_put(s.run_start);
	json_object_put(s.ends);
	ctl->idents = s.idents;
	ctl->renamed = s.renamed;
	return rc;
}

/*
 * On resume the path must still name what the run started on: a loop
 * device reattached to another image, or a disk renamed after a reboot,
 * would otherwise be overwritten in its place. Checked before any write.
 */
static int resume_identity(const struct erase_ctl *ctl)
{
	for (unsigned i = 0; i < ctl->nt; i++) {
		const struct target *t = &ctl->t[i];
		struct json_object *id = NULL, *v;

		if (t->kind == T_BLOCK) {
			/* no identity recorded identifies nothing: refused below */
			struct json_object *now = identity_json(t);
			char why[1024];
			int r;

			if (ctl->idents)
				json_object_object_get_ex(ctl->idents, t->id, &id);
			r = dsp_identity_compare(id, now, why, sizeof(why));
			json_object_put(now);
			if (r == DSP_IDENTITY_NONE) {
				cli_err("%s: the run record holds nothing that identifies the "
					"medium (no serial, WWN or backing file); cannot resume "
					"on it; nothing written", t->path);
				return DSP_EXIT_REFUSED;
			}
			if (r) {
				cli_err("%s: not the device this run started on (%s); "
					"nothing written", t->path, why);
				return DSP_EXIT_REFUSED;
			}
			continue;
		}
		if (!ctl->idents || !json_object_object_get_ex(ctl->idents, t->id, &id))
			continue;	/* never started: nothing to compare */
		{
			int64_t dev = json_object_object_get_ex(id, "dev", &v) ?
				      json_object_get_int64(v) : -1;
			int64_t ino = json_object_object_get_ex(id, "ino", &v) ?
				      json_object_get_int64(v) : -1;

			if (dev != (int64_t)t->dev || ino != (int64_t)t->ino) {
				cli_err("%s: not the %s this run started on (device and inode "
					"differ); nothing written", t->path, kind_name[t->kind]);
				return DSP_EXIT_REFUSED;
			}
		}
	}
	return 0;
}

static int method_unchanged(struct erase_ctl *ctl)
{
	struct resume_scan s = { NULL, json_object_new_object(), NULL, NULL };
	struct json_object *m = NULL;
	const char *sha;
	int rc = 0;

	dsp_ledger_walk(ctl->run_dir, scan_event, &s, NULL);
	if (s.run_start && json_object_object_get_ex(s.run_start, "method", &m)) {
		sha = jstr(m, "sha256");
		if (sha && *sha && ctl->method->sha256[0] &&
		    strcmp(sha, ctl->method->sha256)) {
			cli_err("%s: method file changed since the run started",
				ctl->method_arg);
			rc = DSP_EXIT_USAGE;
		}
	}
	json_object_put(s.run_start);
	json_object_put(s.ends);
	return rc;
}

/*
 * One process per run directory: a --resume started while the run still
 * goes on (in tmux after the ssh session dropped) would erase the same
 * files twice at once and interleave the record's lines, breaking its
 * chain. The lock lives as long as the process (fd kept open, CLOEXEC).
 */
static int lock_run_dir(struct erase_ctl *ctl)
{
	int fd = open(ctl->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return 0;	/* no directory yet: opening the record says why */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		cli_err("%s: another dispose is using this run directory; "
			"nothing written", ctl->run_dir);
		close(fd);
		return DSP_EXIT_REFUSED;
	}
	ctl->lock_fd = fd;	/* held until the command returns */
	return 0;
}

static int open_ledger(struct erase_ctl *ctl)
{
	int r = dsp_ledger_open(ctl->run_dir, ctl->resume ? DSP_LEDGER_RESUME :
				DSP_LEDGER_CREATE, &ctl->ledger);

	if (r == 0)
		return 0;
	ctl->ledger = NULL;
	if (r == -EEXIST)
		cli_err("%s: already holds a run record; use --resume or "
			"another --run-dir", ctl->run_dir);
	else if (r == DSP_MISMATCH)
		cli_err("%s: run record is damaged (hash chain broken)", ctl->run_dir);
	else
		cli_err("%s: cannot open the run record: %s", ctl->run_dir,
			strerror(r < 0 ? -r : EINVAL));
	return r == -EEXIST || r == DSP_MISMATCH || r == -ENOENT ?
	       DSP_EXIT_USAGE : DSP_EXIT_FAILED;
}

/* ---- the command ---- */

static int parse_args(struct erase_ctl *ctl, int argc, char **argv)
{
	uint64_t v;
	int c;

	/* ':' first: our own one-line messages, not getopt's "erase: ..." */
	while ((c = getopt_long(argc, argv, ":hj:m:nvy", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage();
			return -1;
		case 'j':
			if (cli_parse_size(optarg, &v) != 0 || v == 0 || v > 1024)
				return usage_error("--jobs: %s: expected a number from 1 to 1024",
						   optarg);
			ctl->jobs = (unsigned)v;
			break;
		case 'm':
			ctl->method_arg = optarg;
			break;
		case 'n':
			ctl->dry_run = 1;
			break;
		case 'v':
			ctl->verbose = 1;
			break;
		case 'y':
			ctl->yes = 1;
			break;
		case OPT_VERIFY:
			ctl->verify_arg = optarg;
			break;
		case OPT_RUN_DIR:
			ctl->run_dir = optarg;
			break;
		case OPT_RESUME:
			ctl->resume = 1;
			break;
		case OPT_SHARED:
			ctl->erase_shared = 1;
			break;
		case OPT_PROGRESS:
			if (!strcmp(optarg, "auto"))
				ctl->progress_mode = isatty(STDERR_FILENO) ?
						     PROGRESS_BAR : PROGRESS_LINES;
			else if (!strcmp(optarg, "bar"))
				ctl->progress_mode = PROGRESS_BAR;
			else if (!strcmp(optarg, "json"))
				ctl->progress_mode = PROGRESS_JSON;
			else if (!strcmp(optarg, "none"))
				ctl->progress_mode = PROGRESS_NONE;
			else
				return usage_error("--progress: %s: expected auto, bar, json or none",
						   optarg);
			break;
		case OPT_CHECKPOINT:
			if (cli_parse_size(optarg, &ctl->checkpoint_bytes) != 0)
				return usage_error("--checkpoint-interval: %s: not a size", optarg);
			break;
		case OPT_DELAY:
			if (cli_parse_size(optarg, &v) != 0 || v > 10000)
				return usage_error("--test-delay-ms: %s: not a number", optarg);
			ctl->delay_ms = (unsigned)v;
			break;
		case ':':
			return usage_error("%s: option needs an argument", argv[optind - 1]);
		default:
			if (optopt && optopt < CHAR_MAX)
				return usage_error("-%c: unknown option", optopt);
			return usage_error("%s: unknown option", argv[optind - 1]);
		}
	}
	if (ctl->resume && !ctl->run_dir)
		return usage_error("--resume needs --run-dir DIR");
	if (ctl->resume && ctl->dry_run)
		return usage_error("--resume and --dry-run cannot be combined");
	if (!ctl->resume && optind >= argc)
		return usage_error("no target given");
	return 0;
}

static void print_summary(const struct erase_ctl *ctl, const char *dir)
{
	char w[32], v[32];

	for (unsigned i = 0; i < ctl->nt; i++) {
		const struct target *t = &ctl->t[i];

		if (ctl->progress_mode == PROGRESS_JSON)
			continue;	/* progress_finish printed it as JSON */
		printf("%s %s: %s (written %s, verified %s)\n", t->id, t->path,
		       t->status, cli_human_size(t->res.bytes_written, w, sizeof(w)),
		       cli_human_size(t->res.bytes_verified, v, sizeof(v)));
	}
	if (ctl->progress_mode == PROGRESS_JSON) {
		printf("{\"run_dir\":");
		progress_json_str(stdout, dir);
		printf("}\n");
	} else {
		printf("run record: %s\n", dir);
	}
}

int cmd_erase(int argc, char **argv)
{
	struct erase_ctl ctl = {
		.progress_mode = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_LINES,
		.argc = argc,
		.argv = argv,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.lock_fd = -1,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	char dirbuf[PATH_MAX], host[256], *tlist = NULL;
	size_t tlen = 0;
	FILE *tf;
	int rc, r;

	cli_log_init(0);
	rc = parse_args(&ctl, argc, argv);
	if (rc)
		return rc < 0 ? DSP_EXIT_OK : rc;
	dsp_log_set_handler(erase_log, &ctl);
	host_name(host, sizeof(host));

	if (ctl.resume) {
		/* opening first repairs a line torn by a crash, so the walk can read it */
		rc = lock_run_dir(&ctl);
		if (rc)
			goto out;
		rc = open_ledger(&ctl);
		if (rc)
			goto out;
		rc = resume_targets(&ctl, argv + optind, (unsigned)(argc - optind));
		if (rc)
			goto out;
		if (ctl.nt == 0) {
			printf("%s: every target of this run is finished; nothing to resume\n",
			       ctl.run_dir);
			goto out;
		}
	} else {
		ctl.nt = (unsigned)(argc - optind);
		ctl.t = calloc(ctl.nt, sizeof(*ctl.t));
		if (!ctl.t) {
			rc = DSP_EXIT_FAILED;
			goto out;
		}
		for (unsigned i = 0; i < ctl.nt; i++) {
			snprintf(ctl.t[i].id, sizeof(ctl.t[i].id), "t%u", i + 1);
			ctl.t[i].path = strdup(argv[optind + (int)i]);
		}
	}
	for (unsigned i = 0; i < ctl.nt; i++) {
		ctl.t[i].idx = i;
		ctl.t[i].ctl = &ctl;
		ctl.t[i].status = "not-started";
		if (!ctl.t[i].path) {
			rc = DSP_EXIT_FAILED;
			goto out;
		}
	}
	if (!ctl.jobs)
		ctl.jobs = ctl.nt;

	rc = load_method(&ctl);
	if (rc)
		goto out;
	if (ctl.resume && (rc = method_unchanged(&ctl)) != 0)
		goto out;
	rc = set_verify(&ctl, ctl.verify_arg);
	if (rc)
		goto out;

	if (!ctl.run_dir && !ctl.dry_run) {
		r = dsp_ledger_default_dir(dirbuf, sizeof(dirbuf));
		if (r < 0) {
			cli_err("cannot name a run directory: %s", strerror(-r));
			rc = DSP_EXIT_FAILED;
			goto out;
		}
		/* two runs started in the same second get their own directories */
		size_t base = strlen(dirbuf);

		for (unsigned k = 2; k < 100 && base + 4 < sizeof(dirbuf); k++) {
			char probe[PATH_MAX + 32];

			snprintf(probe, sizeof(probe), "%s/%s", dirbuf, DSP_LEDGER_FILE);
			if (access(probe, F_OK) != 0)
				break;
			snprintf(dirbuf + base, sizeof(dirbuf) - base, "-%u", k);
		}
		ctl.run_dir = dirbuf;
	}

	/* every target is checked before anything is written */
	rc = check_all(&ctl);
	if (!rc && ctl.resume)
		rc = resume_identity(&ctl);
	if (rc) {
		if (rc == DSP_EXIT_REFUSED)
			cli_err("refused; nothing written");
		goto out;
	}
	if (ctl.dry_run) {
		dry_run(&ctl);
		goto out;
	}
	rc = confirm(&ctl);
	if (rc)
		goto out;
	rc = recheck_paths(&ctl);
	if (rc)
		goto out;
	rc = open_devices(&ctl);
	if (rc)
		goto out;

	if (!ctl.resume && (r = make_parents(ctl.run_dir)) < 0) {
		cli_err("%s: cannot create: %s", ctl.run_dir, strerror(-r));
		rc = DSP_EXIT_FAILED;
		goto out;
	}
	if (!ctl.resume && (rc = open_ledger(&ctl)) != 0)
		goto out;
	if (!ctl.resume && (rc = lock_run_dir(&ctl)) != 0)
		goto out;
	r = ctl.resume ? write_run_resumed(&ctl, host) : write_run_start(&ctl, host);
	if (r < 0) {
		rc = DSP_EXIT_FAILED;
		goto out;
	}

	tf = open_memstream(&tlist, &tlen);
	if (tf) {
		for (unsigned i = 0; i < ctl.nt; i++)
			fprintf(tf, "%s%s", i ? " " : "", ctl.t[i].path);
		fclose(tf);
	}
	dsp_audit("erase %s by %s: targets %s, method %s, verify %s, run %s",
		  ctl.resume ? "resumed" : "started", operator_name(),
		  tlist ? tlist : "?", ctl.method->name,
		  dsp_verify_mode_name(ctl.verify), ctl.run_dir);

	ctl.prog = progress_new(ctl.progress_mode, ctl.nt);
	log_prog = ctl.prog;
	for (unsigned i = 0; i < ctl.nt; i++)
		progress_target(ctl.prog, i, ctl.t[i].id, ctl.t[i].path);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a dropped ssh session: checkpoint and stop rather than die mid-pass */
	sigaction(SIGHUP, &sa, NULL);

	run_all(&ctl);

	rc = DSP_EXIT_OK;
	for (unsigned i = 0; i < ctl.nt; i++)
		rc = worse(rc, ctl.t[i].exit_code);
	write_run_end(&ctl, rc);
	log_prog = NULL;
	progress_free(ctl.prog);
	ctl.prog = NULL;
	dsp_audit("erase %s: %s, run %s", overall_status(&ctl),
		  rc == DSP_EXIT_OK ? "ok" : "see the run record", ctl.run_dir);
	{
		/* absolute: the hint must work from any directory */
		char abs[PATH_MAX];
		const char *d = realpath(ctl.run_dir, abs) ? abs : ctl.run_dir;

		print_summary(&ctl, d);
		if (rc == DSP_EXIT_SIGINT || rc == DSP_EXIT_SIGTERM ||
		    rc == DSP_EXIT_SIGHUP)
			fprintf(stderr, "dispose: interrupted; resume with: dispose erase "
				"--resume --run-dir %s\n", d);
	}
out:
	if (ctl.ledger)
		dsp_ledger_close(ctl.ledger);
	if (ctl.lock_fd >= 0)
		close(ctl.lock_fd);
	close_devices(&ctl);
	for (unsigned i = 0; i < ctl.nt && ctl.t; i++) {
		free(ctl.t[i].path);
		free(ctl.t[i].cur);
		json_object_put(ctl.t[i].checked_id);
		dsp_erase_target_close(ctl.t[i].ft);
	}
	free(ctl.t);
	free(tlist);
	if (ctl.method)
		dsp_method_free(ctl.method);
	free(ctl.owned[0]);
	free(ctl.owned[1]);
	json_object_put(ctl.idents);
	json_object_put(ctl.renamed);
	free(loopfiles);
	loopfiles = NULL;
	nloopfiles = 0;
	dsp_log_set_handler(NULL, NULL);
	cli_log_init(0);
	return rc;
}
