/* SPDX-License-Identifier: MIT */
/* file.c - erase files in place (then truncate, rename, unlink) and whole trees */
#include "erase_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/fs.h>
#include <unistd.h>
#include <openssl/rand.h>
#include <signal.h>

#include "dispose/json.h"
#include "dispose/log.h"
#include "target_int.h"

#define ERASE_RENAMES	3
#define TREE_MAX_DEPTH	256	/* each level holds a directory fd */

#ifdef DSP_TEST_HOOKS
void (*dsp_erase_test_before_open)(int dirfd, const char *name);
#define BEFORE_OPEN(d, n) do { if (dsp_erase_test_before_open) dsp_erase_test_before_open(d, n); } while (0)
void (*dsp_erase_test_after_check)(int dirfd, const char *name);
#define AFTER_CHECK(d, n) do { if (dsp_erase_test_after_check) dsp_erase_test_after_check(d, n); } while (0)
/* $DISPOSE_TEST_ERASE_KILL=renamed|unlinked: SIGKILL before or after a file's unlink */
static void test_kill(const char *when)
{
	const char *k = getenv("DISPOSE_TEST_ERASE_KILL");

	if (k && !strcmp(k, when))
		raise(SIGKILL);
}
#define TEST_KILL(w) test_kill(w)
#else
#define TEST_KILL(w) do { } while (0)
#define BEFORE_OPEN(d, n) do { } while (0)
#define AFTER_CHECK(d, n) do { } while (0)
#endif

static int event(const struct dsp_erase_opts *o, const char *id, const char *name,
		 struct json_object *f, int sync)
{
	int r;

	if (erase_record_broken(o)) {
		json_object_put(f);
		return *o->record_err;
	}
	json_object_object_add(f, "target", json_object_new_string(id));
	r = dsp_ledger_append(o->ledger, name, f, sync);
	json_object_put(f);
	if (r < 0)
		erase_record_failed(o, r);
	return r;
}

/* A random name of exactly len characters, so the entry's size says nothing. */
static int random_name(char *buf, size_t len)
{
	static const char cs[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[NAME_MAX];

	if (len > NAME_MAX || RAND_bytes(rnd, (int)len) != 1)
		return -EIO;
	for (size_t i = 0; i < len; i++)
		buf[i] = cs[rnd[i] % (sizeof(cs) - 1)];
	buf[len] = 0;
	/* "." and ".." are not names we can use */
	if (buf[0] == '.')
		buf[0] = 'x';
	return 0;
}

static int rank(int st)
{
	if (st == 0)
		return 0;
	if (st == DSP_PARTIAL)
		return 1;
	if (st == DSP_MISMATCH)
		return 2;
	if (st == DSP_INTERRUPTED)
		return 4;
	return 3;
}

static int worst(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}

static const char *fs_name(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return "unknown";
	return erase_fstype_name((long)sf.f_type);
}

/* Does dirfd still hold st under name? (checked before renaming or removing it) */
static bool same_entry(int dirfd, const char *name, const struct stat *st)
{
	struct stat x;

	return fstatat(dirfd, name, &x, AT_SYMLINK_NOFOLLOW) == 0 && x.st_dev == st->st_dev &&
	       x.st_ino == st->st_ino;
}

/*
 * Open the regular file name in dirfd for writing, never through a symlink:
 * the file opened must be the file lstat'ed (device and inode). Returns
 * the fd, -ELOOP (a symlink now), -ESTALE (replaced), -EINVAL (not a
 * regular file) or -errno.
 */
static int open_entry(int dirfd, const char *name, struct stat *st)
{
	struct stat lst;
	char proc[64];
	int fd, pfd, r;

	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(lst.st_mode))
		return -ELOOP;
	if (!S_ISREG(lst.st_mode))
		return -EINVAL;
	BEFORE_OPEN(dirfd, name);
	/*
	 * O_PATH first: opening a FIFO or a device node swapped in meanwhile
	 * can act (a watchdog arms, a tape rewinds); only the regular file
	 * checked is then opened for writing, through its handle.
	 */
	pfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, st) < 0 || st->st_dev != lst.st_dev || st->st_ino != lst.st_ino ||
	    !S_ISREG(st->st_mode)) {
		r = fstat(pfd, st) == 0 && S_ISLNK(st->st_mode) ? -ELOOP : -ESTALE;
		close(pfd);
		return r;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)	/* no /proc: by name, checked again below */
		fd = openat(dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	r = fd < 0 ? -errno : 0;
	close(pfd);
	if (r)
		return r;
	if (fstat(fd, st) < 0 || st->st_dev != lst.st_dev || st->st_ino != lst.st_ino ||
	    !S_ISREG(st->st_mode)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/*
 * The caller's gate (#14's interlock) on the open file fd, right before its
 * first byte is overwritten: 0 go on; 1 it stays, why says so.
 */
static int gate_refuses(const struct dsp_erase_opts *o, int fd, const char *display,
			const struct stat *st, char *why, size_t len)
{
	if (!o->file_gate)
		return 0;
	why[0] = '\0';
	if (!o->file_gate(fd, display, st, why, len, o->gate_arg))
		return 0;
	if (!why[0])
		snprintf(why, len, "refused by the caller's gate");
	return 1;
}

/* A file the gate kept: "skipped" {path, reason, gate: true}. */
static int gate_skipped(const struct dsp_erase_opts *o, const char *display, const char *why)
{
	struct json_object *f = json_object_new_object();

	if (!f)
		return -ENOMEM;
	dsp_json_add_bytes(f, "path", display);
	json_object_object_add(f, "reason", json_object_new_string(why));
	json_object_object_add(f, "gate", json_object_new_boolean(1));
	return event(o, o->target_id, "skipped", f, 0);
}

/* What the record says of an earlier session of a file (resume). */
struct file_prior {
	int done_status;	/* the overwrite's result; -1: not finished */
	bool step_failed;	/* a truncate, rename or unlink failed after it */
	uint64_t written, verified;	/* the overwrite's, from its target_end */
	struct json_object *end;	/* that target_end (owned), or NULL */
};

/* What a later target_end of a file repeats from its overwrite's: the verdict's facts. */
static void copy_verdict(struct json_object *f, struct json_object *ow)
{
	static const char *const keys[] = { "nist_category", "category_reason", "verification",
					    "old_data_may_remain", "extents", "caveats" };
	struct json_object *v;

	for (size_t i = 0; i < DSP_ARRAY_SIZE(keys); i++)
		if (ow && json_object_object_get_ex(ow, keys[i], &v))
			json_object_object_add(f, keys[i], json_object_get(v));
	if (!json_object_object_get_ex(f, "nist_category", NULL))
		json_object_object_add(f, "nist_category", json_object_new_string("none"));
	if (!json_object_object_get_ex(f, "category_reason", NULL))
		json_object_object_add(f, "category_reason",
				       json_object_new_string("file-level overwrite"));
}

/*
 * The target's last word after its overwrite's target_end: a step after it
 * failed (step, err: "failed", or "completed-with-errors" when status >= 0:
 * resume takes the file up and does the steps again, not the overwrite), or
 * (step NULL) a resume finished those steps. written/verified: the overwrite's.
 */
static int end_after(const struct dsp_erase_opts *o, const char *display, const char *step,
		     int err, int status, uint64_t written, uint64_t verified,
		     struct json_object *ow)
{
	struct json_object *f, *keep;
	char why[128];
	int r;

	if (step)
		snprintf(why, sizeof(why), "%s: %s", step, strerror(-err));
	f = dsp_record_target_end(status < 0 ? "failed" : status == 0 ? "success" :
				  "completed-with-errors", 0, step ? why : NULL, written, verified);
	if (!f)
		return -ENOMEM;
	dsp_json_add_bytes(f, "path", display);
	json_object_object_add(f, "kind", json_object_new_string("file"));
	if (step) {
		json_object_object_add(f, "errno", json_object_new_int(-err));
		json_object_object_add(f, "failed_step", json_object_new_string(step));
	} else {
		json_object_object_add(f, "removal_resumed", json_object_new_boolean(1));
	}
	/* the last target_end is the target's result: it keeps the overwrite's caveats */
	copy_verdict(f, ow);
	keep = json_object_get(f);
	r = event(o, o->target_id, "target_end", f, 1);
	erase_keep_end(o, keep, r);
	return r;
}

/*
 * Rename name in dirfd several times, then unlink it, each step only while
 * the name still holds st, each through io's seam. Every step is recorded;
 * a failed append stops. A failed rename or unlink is recorded when it
 * happens (end_after; status: the overwrite's); after a failed rename the
 * unlink is still done and the result is DSP_PARTIAL. end_again: the
 * record's last target_end is such a failure; a new one goes before
 * file_removed, which stays the last word on a removed file.
 */
static int remove_names(struct dsp_io *io, int dirfd, const char *name, const struct stat *st,
			const char *display, const struct dsp_erase_opts *o, const char *parent,
			int status, uint64_t written, uint64_t verified, bool end_again,
			struct json_object *ow)
{
	struct json_object *renames, *f;
	char cur[NAME_MAX + 1], nn[NAME_MAX + 1];
	size_t len = strlen(name);
	int r, rename_err = 0;

	renames = json_object_new_array();
	snprintf(cur, sizeof(cur), "%s", name);
	for (int k = 0; k < ERASE_RENAMES; k++) {
		int tries = 0;

		if (!same_entry(dirfd, cur, st)) {
			dsp_log(DSP_LOG_ERROR, "%s: replaced during the erase; name %s left alone",
				display, cur);
			json_object_put(renames);
			return -ESTALE;
		}
		do {
			r = random_name(nn, len);
			if (!r)
				r = dsp_io_rename(io, dirfd, cur, nn);
		} while (r == -EEXIST && ++tries < 16);
		if (r < 0) {
			dsp_log(DSP_LOG_ERROR, "%s: rename: %s", display, strerror(-r));
			rename_err = r;
			/* before the unlink, so that a resume after a crash still ends it */
			r = end_after(o, display, "rename", r, worst(status, DSP_PARTIAL), written,
				      verified, ow);
			if (r < 0) {
				json_object_put(renames);
				return r;
			}
			break;
		}
		f = json_object_new_object();
		json_object_object_add(f, "path", json_object_new_string(display));
		json_object_object_add(f, "from", json_object_new_string(cur));
		json_object_object_add(f, "to", json_object_new_string(nn));
		/* a lone file's resume looks for it by these names; a tree re-walks */
		r = event(o, o->target_id, "file_renamed", f, !parent);
		if (r < 0) {
			/* the record cannot say where it went: back under a name it knows */
			if (dsp_io_rename(io, dirfd, nn, cur) < 0)
				dsp_log(DSP_LOG_ERROR, "%s: left under the unrecorded name %s", display, nn);
			json_object_put(renames);
			return r;
		}
		json_object_array_add(renames, json_object_new_string(nn));
		snprintf(cur, sizeof(cur), "%s", nn);
	}
	if (fsync(dirfd) < 0)
		dsp_log(DSP_LOG_WARN, "%s: fsync of directory: %s", display, strerror(errno));
	if (!same_entry(dirfd, cur, st)) {
		dsp_log(DSP_LOG_ERROR, "%s: replaced during the erase; name %s left alone",
			display, cur);
		json_object_put(renames);
		return -ESTALE;
	}
	TEST_KILL("renamed");
	r = dsp_io_unlink(io, dirfd, cur, 0);
	if (r < 0) {
		dsp_log(DSP_LOG_ERROR, "%s: unlink %s: %s", display, cur, strerror(-r));
		json_object_put(renames);
		end_after(o, display, "unlink", r, r, written, verified, ow);
		return r;
	}
	if (fsync(dirfd) < 0)
		dsp_log(DSP_LOG_WARN, "%s: fsync of directory: %s", display, strerror(errno));
	TEST_KILL("unlinked");
	if (end_again && !rename_err) {
		r = end_after(o, display, NULL, 0, status, written, verified, ow);
		if (r < 0) {
			json_object_put(renames);
			return r;
		}
	}
	f = json_object_new_object();
	json_object_object_add(f, "path", json_object_new_string(display));
	json_object_object_add(f, "renames", renames);
	if (rename_err)
		json_object_object_add(f, "rename_error", json_object_new_string(strerror(-rename_err)));
	json_object_object_add(f, "final_name", json_object_new_string(cur));
	json_object_object_add(f, "nlink", json_object_new_int64((int64_t)st->st_nlink));
	if (st->st_nlink > 1)
		json_object_object_add(f, "hard_links_remain", json_object_new_int64((int64_t)st->st_nlink - 1));
	if (parent)
		json_object_object_add(f, "parent", json_object_new_string(parent));
	r = event(o, o->target_id, "file_removed", f, 1);
	if (r < 0)
		return r;
	return rename_err ? DSP_PARTIAL : 0;
}

/*
 * Erase the open regular file fd (st), named name in dirfd: overwrite
 * (unless prior says an earlier session finished it), truncate, then
 * rename and unlink, all through the I/O seam. fd is consumed. A failed
 * truncate, rename or unlink ends the target with another target_end.
 */
static int erase_fd(int fd, const struct stat *st, int dirfd, const char *name,
		    const char *display, const struct dsp_erase_opts *o, const char *parent,
		    struct dsp_erase_result *res, const struct file_prior *prior)
{
	struct erase_file_info fi = { .kind = "file" };
	struct json_object *cav = NULL, *ow = NULL;
	struct dsp_erase_opts oo = *o;
	struct dsp_io *io = NULL;
	int r, status, done_status = prior ? prior->done_status : -1;
	uint64_t written, verified;

	if (strlen(name) > NAME_MAX) {
		close(fd);
		return -ENAMETOOLONG;
	}
	fi.dev = (uint64_t)st->st_dev;
	fi.ino = (uint64_t)st->st_ino;
	fi.nlink = (uint64_t)st->st_nlink;
	fi.fstype = fs_name(fd);
	if (parent) {
		cav = json_object_new_array();
		json_object_array_add(cav, json_object_new_string("part of a tree erase"));
	}
	fi.caveats = cav;
	fi.parent = parent;
	fi.fd = fd;
	if (st->st_nlink > 1)
		dsp_log(DSP_LOG_WARN, "%s: has %ju hard links: their data is overwritten too",
			display, (uintmax_t)st->st_nlink);
	r = dsp_io_open_fd(fd, display, DSP_IO_WRITE | DSP_IO_DIRECT, &io);
	if (r < 0) {
		json_object_put(cav);
		return r;
	}
	/* the extents, as every ioctl on a target, through the seam */
	fi.io = io;
	fi.before = done_status >= 0 ? NULL : erase_extmap_get(io);
	/* done_status >= 0: a killed session finished the overwrite already */
	oo.end = &ow;
	status = done_status >= 0 ? done_status : erase_run(io, &oo, res, &fi);
	if (done_status >= 0 && prior->end)
		ow = json_object_get(prior->end);
	json_object_put(cav);
	erase_extmap_free(fi.before);
	/* the overwrite's end is the target's, unless a later step writes another */
	if (o->end && ow) {
		json_object_put(*o->end);
		*o->end = json_object_get(ow);
	}
	if (status < 0 || status == DSP_INTERRUPTED) {
		json_object_put(ow);
		dsp_io_close(io);
		return status;
	}
	written = done_status >= 0 ? prior->written : res->bytes_written;
	verified = done_status >= 0 ? prior->verified : res->bytes_verified;
	/* the content is overwritten: now the size, then the name */
	r = dsp_io_truncate(io, 0);
	if (r < 0) {
		dsp_log(DSP_LOG_ERROR, "%s: truncate: %s", display, strerror(-r));
		dsp_io_close(io);
		end_after(o, display, "truncate", r, r, written, verified, ow);
		json_object_put(ow);
		return r;
	}
	/* the record's last target_end may say a step failed: now they are done */
	r = remove_names(io, dirfd, name, st, display, o, parent, status, written, verified,
			 done_status >= 0 && prior->step_failed, ow);
	json_object_put(ow);
	dsp_io_close(io);
	return r < 0 ? r : worst(status, r);
}

struct rec_walk {
	const char *id;
	char last[NAME_MAX + 1];
	bool removed;
	struct file_prior prior;
	bool have_id;		/* identity of the first target event */
	int64_t dev, ino;
	struct ino_tab *tab;	/* trees: shared files met by earlier sessions */
	struct sub_file {	/* trees: files earlier sessions started and did not remove */
		char id[96];
		int64_t dev, ino;
		bool removed;
	} *subs;
	size_t nsubs;
};

/* the record is outside input on resume: members only with their exact type */
static bool jint64(struct json_object *o, const char *k, int64_t *v)
{
	return dsp_json_i64(o, k, v) == 0;
}

static const char *jstr_of(struct json_object *o, const char *k)
{
	return dsp_json_str(o, k);
}

/* A tree's earlier sessions: names removed from shared files, files erased. */
static void visit_tree_files(struct rec_walk *w, struct json_object *ev, const char *ev_name,
			     const char *target)
{
	struct json_object *id;
	struct ino_ent *e;
	const char *parent;
	int64_t dev, ino, links;

	if (!strcmp(target, w->id) && (!strcmp(ev_name, "link_removed") ||
				       !strcmp(ev_name, "hard_links_remain"))) {
		if (!jint64(ev, "dev", &dev) || !jint64(ev, "ino", &ino) || ino <= 0 ||
		    !(e = ino_get(w->tab, (uint64_t)dev, (uint64_t)ino, true)))
			return;
		if (!strcmp(ev_name, "hard_links_remain")) {
			e->state |= INO_REPORTED;
			return;
		}
		e->state |= INO_PENDING;
		if (jint64(ev, "links_left", &links))
			e->links = (uint64_t)links;
		/* its exact bytes: path_hex when the name is not UTF-8 */
		if (!e->path)
			dsp_json_bytes(ev, "path", &e->path, NULL);
	} else if (!strcmp(ev_name, "target") && (parent = jstr_of(ev, "parent")) &&
		   !strcmp(parent, w->id) && json_object_object_get_ex(ev, "identity", &id) &&
		   jint64(id, "dev", &dev) && jint64(id, "ino", &ino)) {
		struct sub_file *v = realloc(w->subs, (w->nsubs + 1) * sizeof(*v));

		if (v && strlen(target) < sizeof(v->id)) {
			w->subs = v;
			snprintf(v[w->nsubs].id, sizeof(v->id), "%s", target);
			v[w->nsubs].dev = dev;
			v[w->nsubs].ino = ino;
			v[w->nsubs++].removed = false;
		} else if (v) {
			w->subs = v;
		}
		if ((e = ino_get(w->tab, (uint64_t)dev, (uint64_t)ino, false)))
			e->state |= INO_ERASED;
	} else if (!strcmp(ev_name, "file_removed") && jstr_of(ev, "parent") &&
		   !strcmp(jstr_of(ev, "parent"), w->id)) {
		for (size_t k = 0; k < w->nsubs; k++)
			if (!strcmp(w->subs[k].id, target))
				w->subs[k].removed = true;
	}
}

/* A file of the tree an earlier session started and did not remove: its id, or NULL. */
static const char *sub_started(const struct rec_walk *w, const struct stat *st)
{
	for (size_t k = w->nsubs; k-- > 0;)
		if (!w->subs[k].removed && w->subs[k].dev == (int64_t)st->st_dev &&
		    w->subs[k].ino == (int64_t)st->st_ino)
			return w->subs[k].id;
	return NULL;
}

static int visit_record(struct json_object *ev, void *arg)
{
	struct rec_walk *w = arg;
	struct json_object *v;
	const char *ev_name = jstr_of(ev, "event"), *target = jstr_of(ev, "target");

	/* typed: the record is outside input on resume */
	if (!ev_name || !target)
		return 0;
	if (w->tab)
		visit_tree_files(w, ev, ev_name, target);
	if (strcmp(target, w->id))
		return 0;
	if (!strcmp(ev_name, "file_renamed") && jstr_of(ev, "to"))
		snprintf(w->last, sizeof(w->last), "%s", jstr_of(ev, "to"));
	else if (!strcmp(ev_name, "file_removed"))
		w->removed = true;
	else if (!strcmp(ev_name, "target") || !strcmp(ev_name, "target_resumed"))
		w->prior.done_status = -1;
	else if (!strcmp(ev_name, "target_end") && jstr_of(ev, "failed_step")) {
		/* a step after the overwrite failed: the overwrite's result stands */
		w->prior.step_failed = true;
	} else if (!strcmp(ev_name, "target_end") && jstr_of(ev, "status")) {
		const char *st = jstr_of(ev, "status");
		int64_t m = 0, n;
		bool mism = jint64(ev, "mismatches", &m) && m > 0;

		/* as the finished session would have exited: 3 for a mismatch */
		w->prior.done_status = !strcmp(st, "success") ? 0 :
				       !strcmp(st, "completed-with-errors") ?
				       (mism ? DSP_MISMATCH : DSP_PARTIAL) : -1;
		w->prior.step_failed = false;
		if (!w->tab) {	/* a file's; a tree's own is not needed */
			json_object_put(w->prior.end);
			w->prior.end = json_object_get(ev);
		}
		w->prior.written = jint64(ev, "bytes_written", &n) && n > 0 ? (uint64_t)n : 0;
		w->prior.verified = jint64(ev, "bytes_verified", &n) && n > 0 ? (uint64_t)n : 0;
	}
	if (!strcmp(ev_name, "target") && !w->have_id && json_object_object_get_ex(ev, "identity", &v) &&
	    jint64(v, "dev", &w->dev) && jint64(v, "ino", &w->ino))
		w->have_id = true;
	return 0;
}

/*
 * A safety rule stops this target before anything is written: say why,
 * and record it as failed (a resume checks it again).
 */
static int refuse(const struct dsp_erase_opts *o, const struct dsp_erase_target *t,
		  const char *why)
{
	struct json_object *f = dsp_record_target_end("failed", 0, why, 0, 0), *keep;

	dsp_log(DSP_LOG_ERROR, "%s: %s; not erased", t->display, why);
	json_object_object_add(f, "path", json_object_new_string(t->display));
	json_object_object_add(f, "kind", json_object_new_string(t->info.dir ? "tree" : "file"));
	json_object_object_add(f, "refused", json_object_new_boolean(1));
	json_object_object_add(f, "nist_category", json_object_new_string("none"));
	json_object_object_add(f, "category_reason", json_object_new_string("refused"));
	keep = json_object_get(f);
	erase_keep_end(o, keep, event(o, o->target_id, "target_end", f, 1));
	return DSP_REFUSED;
}

/*
 * The caller's gate kept this file target: left in place, nothing written.
 * Not a refusal: the run goes on and completes with errors (exit 1), as
 * when the gate keeps a file inside a tree (dispose(8) RUN).
 */
static int gate_kept(const struct dsp_erase_opts *o, const struct dsp_erase_target *t,
		     const char *why)
{
	/* "failed": a resume must not take it for an overwrite that completed */
	struct json_object *f = dsp_record_target_end("failed", 0, why, 0, 0), *keep;

	dsp_log(DSP_LOG_ERROR, "%s: %s; left in place, nothing written", t->display, why);
	json_object_object_add(f, "path", json_object_new_string(t->display));
	json_object_object_add(f, "kind", json_object_new_string("file"));
	json_object_object_add(f, "gate", json_object_new_boolean(1));
	json_object_object_add(f, "nist_category", json_object_new_string("none"));
	json_object_object_add(f, "category_reason", json_object_new_string("kept by the gate"));
	keep = json_object_get(f);
	erase_keep_end(o, keep, event(o, o->target_id, "target_end", f, 1));
	return DSP_PARTIAL;
}

/* Is the held target still what path leads to? Else refuse it. */
static int still_there(const struct dsp_erase_opts *o, const struct dsp_erase_target *t)
{
	int r = dsp_erase_target_recheck(t);

	if (r == -ESTALE || r == -ELOOP)
		return refuse(o, t, t->info.dir ? "is no longer the directory that was checked" :
				    "is no longer the file that was checked");
	if (r < 0)
		dsp_log(DSP_LOG_ERROR, "%s: %s", t->display, strerror(-r));
	return r;
}

/* The held file, opened for writing: the very inode held (device and inode checked). */
static int reopen_rw(const struct dsp_erase_target *t, struct stat *st)
{
	char proc[64];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", t->fd);
	fd = open(proc, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)	/* no /proc: by name in the held directory */
		fd = openat(t->dirfd, t->name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || st->st_dev != t->st.st_dev || st->st_ino != t->st.st_ino ||
	    !S_ISREG(st->st_mode)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static int file_at(struct dsp_erase_target *t, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res, struct rec_walk *wp);

int dsp_erase_file_at(struct dsp_erase_target *t, const struct dsp_erase_opts *opts,
		      struct dsp_erase_result *res)
{
	struct rec_walk w = { .prior.done_status = -1 };
	int r = file_at(t, opts, res, &w);

	json_object_put(w.prior.end);
	return r;
}

static int file_at(struct dsp_erase_target *t, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res, struct rec_walk *wp)
{
	struct dsp_erase_result dummy;
	struct stat st;
	char why[160], gwhy[512];
	int fd, r;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!t || !opts || !opts->ledger || !opts->target_id)
		return -EINVAL;
	if (t->info.dir || t->dirfd < 0)
		return -EISDIR;
	wp->id = opts->target_id;
	if (opts->resume) {
		/* killed after the overwrite or while renaming: the record says
		 * what is done; and it must be the file the run started on */
		r = dsp_record_read_events(dsp_ledger_dir(opts->ledger), visit_record, wp, NULL);
		if (r)
			return r > 0 ? -EINVAL : r;
		if (wp->removed)
			return -EALREADY;
		if (wp->have_id && (wp->dev != (int64_t)t->st.st_dev || wp->ino != (int64_t)t->st.st_ino))
			return refuse(opts, t, "not the file this run started on (device and inode differ)");
	}
	r = still_there(opts, t);
	if (r)
		return r;
	{
		struct dsp_erase_guard g;

		/* another name of the run's own record (a hard link, a bind mount) */
		if (dsp_erase_guard_load(dsp_ledger_dir(opts->ledger), &g) == 0 &&
		    dsp_erase_guard_has(&g, &t->st))
			return refuse(opts, t, "is a file of the run directory");
	}
	fd = reopen_rw(t, &st);
	if (fd == -ESTALE)
		return refuse(opts, t, "is no longer the file that was checked");
	if (fd < 0)
		return fd;
	/* also when the record says the overwrite is done: truncating would hurt them */
	if (st.st_nlink > 1 && !opts->erase_shared_inodes) {
		close(fd);
		snprintf(why, sizeof(why), "has %ju other names (hard links) whose data would be "
			 "destroyed too", (uintmax_t)st.st_nlink - 1);
		return refuse(opts, t, why);
	}
	/* the gate sees the file about to be overwritten (not one whose overwrite is done) */
	if (wp->prior.done_status < 0 &&
	    gate_refuses(opts, fd, t->display, &st, gwhy, sizeof(gwhy))) {
		close(fd);
		r = gate_skipped(opts, t->display, gwhy);
		return r < 0 ? r : gate_kept(opts, t, gwhy);
	}
	r = erase_fd(fd, &st, t->dirfd, t->name, t->display, opts, NULL, res, &wp->prior);
	if (r >= 0)
		res->files = 1;
	return r;
}

/*
 * Resume of file target id (path as the run named it): killed after its
 * unlink, before file_removed. Only when the record shows the overwrite
 * ended a success (every pass complete, verified; no step failed after) and a
 * rename, and neither the path nor the last recorded name exists: then
 * *final is that name and 1 is returned; else 0 (the file is resumed as
 * usual), or -errno.
 */
int erase_file_gone(const char *run_dir, const char *id, const char *path, char *final,
		    size_t len)
{
	struct rec_walk w = { .id = id, .prior.done_status = -1 };
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *alt = NULL;
	int r = dsp_record_read_events(run_dir, visit_record, &w, NULL), gone;

	json_object_put(w.prior.end);
	if (r)
		return r > 0 ? -EINVAL : r;
	if (w.removed || !w.last[0] || w.prior.done_status != 0 || w.prior.step_failed ||
	    lstat(path, &st) == 0 || errno != ENOENT)
		return 0;
	if (asprintf(&alt, "%.*s%s", slash ? (int)(slash - path) + 1 : 0, path, w.last) < 0)
		return -ENOMEM;
	gone = lstat(alt, &st) < 0 && errno == ENOENT;
	free(alt);
	if (gone)
		snprintf(final, len, "%s", w.last);
	return gone;
}

/* ... and its file_removed, saying it was found removed (no rename or unlink done now). */
int erase_file_gone_record(struct dsp_ledger *l, const char *id, const char *path,
			   const char *final)
{
	struct dsp_erase_opts o = { .ledger = l };
	struct json_object *f = json_object_new_object();

	if (!f)
		return -ENOMEM;
	dsp_json_add_bytes(f, "path", path);
	json_object_object_add(f, "final_name", json_object_new_string(final));
	json_object_object_add(f, "found_removed", json_object_new_boolean(1));
	json_object_object_add(f, "note", json_object_new_string(
		"found removed on resume: killed after its unlink, before this event"));
	return event(&o, id, "file_removed", f, 1);
}

int dsp_erase_file(const char *path, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res)
{
	struct dsp_erase_target *t = NULL;
	char *alt = NULL;
	struct stat st;
	int r;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!path || !opts || !opts->ledger || !opts->target_id)
		return -EINVAL;
	if (opts->resume) {
		/* killed while renaming: the file is under its last recorded name */
		struct rec_walk w = { .id = opts->target_id, .prior.done_status = -1 };
		const char *slash = strrchr(path, '/');

		r = dsp_record_read_events(dsp_ledger_dir(opts->ledger), visit_record, &w, NULL);
		json_object_put(w.prior.end);
		if (r)
			return r > 0 ? -EINVAL : r;
		if (w.removed)
			return -EALREADY;
		if (w.last[0] && lstat(path, &st) < 0 && errno == ENOENT &&
		    asprintf(&alt, "%.*s%s", slash ? (int)(slash - path) + 1 : 0, path, w.last) < 0)
			return -ENOMEM;
	}
	r = dsp_erase_target_open(alt ? alt : path, path, &t, NULL, 0);
	free(alt);
	if (r == -ELOOP)
		dsp_log(DSP_LOG_ERROR, "%s: is a symbolic link: refused", path);
	if (r < 0)
		return r;
	r = dsp_erase_file_at(t, opts, res);
	dsp_erase_target_close(t);
	return r;
}

struct frame {
	DIR *d;
	int fd;
	char *path;	/* display path */
	char *name;	/* entry name in the parent */
	struct stat st;
	bool kept;	/* something inside was left (skipped or failed) */
};

/* An entry's event; one left in place (skipped, failed) is counted for the tree's end. */
static int tree_event(const struct dsp_erase_opts *o, struct dsp_erase_result *res,
		      const char *name, const char *path, const char *why)
{
	struct json_object *f = json_object_new_object();

	if (!strcmp(name, "skipped") || !strcmp(name, "file_failed") || !strcmp(name, "dir_kept"))
		res->left++;

	json_object_object_add(f, "path", json_object_new_string(path));
	if (why)
		json_object_object_add(f, "reason", json_object_new_string(why));
	return event(o, o->target_id, name, f, 0);
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

/*
 * A file of the tree with other names: remove this name only. Its data is
 * overwritten when the walk meets its last name (st_nlink 1 then), or
 * stays, reported, because the other names are outside the tree.
 */
static int shared_name(struct ino_tab *tab, int fd, const struct stat *st, int dirfd,
		       const char *name, const char *display, const struct dsp_erase_opts *o)
{
	struct ino_ent *e = ino_get(tab, st->st_dev, st->st_ino, true);
	struct json_object *f;
	struct stat now;
	int r;

	if (!e) {
		close(fd);
		return -ENOMEM;
	}
	if (!same_entry(dirfd, name, st)) {
		close(fd);
		return -ESTALE;
	}
	r = dsp_io_unlink(NULL, dirfd, name, 0);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (fstat(fd, &now) < 0)
		now.st_nlink = st->st_nlink - 1;
	close(fd);
	if (!e->names++) {
		e->path = strdup(display);
		e->size = (uint64_t)st->st_size;
		e->nlink = (uint64_t)st->st_nlink;
	}
	e->links = (uint64_t)now.st_nlink;
	e->state |= INO_PENDING;
	f = json_object_new_object();
	json_object_object_add(f, "path", json_object_new_string(display));
	json_object_object_add(f, "dev", json_object_new_int64((int64_t)st->st_dev));
	json_object_object_add(f, "ino", json_object_new_int64((int64_t)st->st_ino));
	json_object_object_add(f, "nlink", json_object_new_int64((int64_t)st->st_nlink));
	json_object_object_add(f, "links_left", json_object_new_int64((int64_t)now.st_nlink));
	r = event(o, o->target_id, "link_removed", f, 0);
	if (r < 0)
		return r;
	if (!now.st_nlink) {
		/* its other names went away meanwhile: the data is unnamed, not overwritten */
		dsp_log(DSP_LOG_ERROR, "%s: its other names were removed meanwhile; data not "
			"overwritten", display);
		return DSP_PARTIAL;
	}
	return 0;
}

/* Shared files whose other names lie outside the tree: recorded once each. */
static int report_shared(struct ino_tab *tab, const struct dsp_erase_opts *o,
			 struct dsp_erase_result *res, int *status)
{
	for (size_t k = 0; k < tab->cap; k++) {
		struct ino_ent *e = &tab->v[k];
		struct json_object *f;
		int r;

		if (!e->ino || !(e->state & INO_PENDING) || (e->state & INO_ERASED))
			continue;
		res->shared_kept++;
		*status = worst(*status, DSP_PARTIAL);
		if (e->state & INO_REPORTED)
			continue;
		dsp_log(DSP_LOG_ERROR, "%s: has %ju hard link%s outside the tree: name removed, data "
			"not overwritten", e->path ? e->path : "?", (uintmax_t)e->links,
			e->links == 1 ? "" : "s");
		f = json_object_new_object();
		dsp_json_add_bytes(f, "path", e->path);
		json_object_object_add(f, "dev", json_object_new_int64((int64_t)e->dev));
		json_object_object_add(f, "ino", json_object_new_int64((int64_t)e->ino));
		json_object_object_add(f, "size", json_object_new_int64((int64_t)e->size));
		json_object_object_add(f, "links", json_object_new_int64((int64_t)e->links));
		r = event(o, o->target_id, "hard_links_remain", f, 0);
		if (r < 0)
			return r;
		e->state |= INO_REPORTED;
	}
	return 0;
}

static const char *skip_reason(int r)
{
	return r == -ELOOP ? "replaced by a symbolic link after it was checked: not followed" :
	       r == -ESTALE || r == -EINVAL ? "replaced after it was checked" : NULL;
}

/*
 * A resumed tree: its files' ends from earlier sessions (before seq0). A
 * file erased then is not met again, so its mismatches, bad bytes, old data
 * and caveats must reach this session's end; an interrupted one was redone.
 */
struct prior_fold {
	const char *id;
	size_t idlen;
	uint64_t seq0;
	struct json_object *cav;	/* union of their caveats */
	bool remain;
	uint64_t mismatches, bad_bytes, written, verified;
	unsigned files;
};

static int fold_prior(struct json_object *ev, void *arg)
{
	struct prior_fold *pf = arg;
	const char *name = jstr_of(ev, "event"), *target = jstr_of(ev, "target");
	const char *st = jstr_of(ev, "status");
	struct json_object *c;
	int64_t seq = 0, v;
	bool b = false;

	if (!name || !target || !st || strcmp(name, "target_end") || !jint64(ev, "seq", &seq) ||
	    (uint64_t)seq > pf->seq0 || strncmp(target, pf->id, pf->idlen) ||
	    target[pf->idlen] != '.' || !strcmp(st, "interrupted"))
		return 0;
	if (jint64(ev, "mismatches", &v) && v > 0)
		pf->mismatches += (uint64_t)v;
	if (jint64(ev, "bad_bytes", &v) && v > 0)
		pf->bad_bytes += (uint64_t)v;
	if (jint64(ev, "bytes_written", &v) && v > 0)
		pf->written += (uint64_t)v;
	if (jint64(ev, "bytes_verified", &v) && v > 0)
		pf->verified += (uint64_t)v;
	if (dsp_json_bool(ev, "old_data_may_remain", &b) == 0 && b)
		pf->remain = true;
	if (json_object_object_get_ex(ev, "caveats", &c))
		erase_caveats_union(pf->cav, c, "part of a tree erase");
	if (!strcmp(st, "success") || !strcmp(st, "completed-with-errors"))
		pf->files++;
	return 0;
}

int dsp_erase_tree_at(struct dsp_erase_target *t, const struct dsp_erase_opts *opts,
		      struct dsp_erase_result *res)
{
	struct dsp_erase_result dummy;
	struct dsp_erase_opts o;
	struct ino_tab tab = { 0 };
	struct rec_walk w = { .prior.done_status = -1, .tab = &tab };
	struct dsp_erase_guard guard;
	struct frame *stack = NULL;
	struct json_object *f, *cav, *fcav = NULL, *keep;
	struct stat st;
	dev_t root_dev;
	uint64_t root_mnt, mid;
	size_t n = 0;
	int pfd, rfd, r, status = 0, rec_local = 0;
	const char *fstype;
	bool cancelled = false, remain = false;
	uint64_t seq0 = 0;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!t || !opts || !opts->ledger || !opts->target_id || !opts->method)
		return -EINVAL;
	if (!t->info.dir)
		return -ENOTDIR;
	o = *opts;
	/* a failed append stops this walk even when the caller does not share one */
	if (!o.record_err)
		o.record_err = &rec_local;
	w.id = o.target_id;
	if (t->info.fs_root || t->dirfd < 0)
		return refuse(&o, t, "is the root directory");
	if (o.resume) {
		r = dsp_record_read_events(dsp_ledger_dir(o.ledger), visit_record, &w, NULL);
		if (r) {
			ino_free(&tab);
			free(w.subs);
			return r > 0 ? -EINVAL : r;
		}
		if (w.have_id && (w.dev != (int64_t)t->st.st_dev || w.ino != (int64_t)t->st.st_ino)) {
			ino_free(&tab);
			free(w.subs);
			return refuse(&o, t, "not the directory this run started on (device and inode "
				      "differ)");
		}
		seq0 = dsp_ledger_seq(o.ledger);
	}
	r = still_there(&o, t);
	if (r) {
		ino_free(&tab);
		free(w.subs);
		return r;
	}
	/* the run's own record is never part of a tree, whatever name reaches it */
	if (dsp_erase_guard_load(dsp_ledger_dir(o.ledger), &guard) < 0)
		guard.n = 0;
	if (dsp_erase_guard_has(&guard, &t->st)) {
		ino_free(&tab);
		free(w.subs);
		return refuse(&o, t, "holds the run directory");
	}
	pfd = t->dirfd;
	rfd = openat(t->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || fstat(rfd, &st) < 0) {
		r = -errno;
		if (rfd >= 0)
			close(rfd);
		ino_free(&tab);
		free(w.subs);
		return r;
	}
	root_dev = st.st_dev;
	root_mnt = mnt_id_at(rfd, "");
	fstype = fs_name(rfd);

	f = dsp_record_target_start(t->display, "tree", NULL);
	{
		struct json_object *id = json_object_new_object();

		json_object_object_add(id, "dev", json_object_new_int64((int64_t)st.st_dev));
		json_object_object_add(id, "ino", json_object_new_int64((int64_t)st.st_ino));
		json_object_object_add(id, "fstype", json_object_new_string(fstype));
		json_object_object_add(f, "identity", id);
	}
	json_object_object_add(f, "method", json_object_new_string(o.method->name));
	json_object_object_add(f, "verify", json_object_new_string(erase_verify_name(o.verify)));
	json_object_object_add(f, "erase_shared_inodes", json_object_new_boolean(o.erase_shared_inodes));
	r = event(&o, o.target_id, "target", f, 1);
	if (r < 0) {
		close(rfd);
		ino_free(&tab);
		free(w.subs);
		return r;
	}
	dsp_audit(DSP_AUDIT_NOTICE, "%s: starting tree erase with method %s, target %s", t->display,
		  o.method->name, o.target_id);

	stack = calloc(TREE_MAX_DEPTH, sizeof(*stack));
	if (!stack) {
		close(rfd);
		status = -ENOMEM;
		goto done;
	}
	stack[0].fd = rfd;
	stack[0].d = fdopendir(rfd);
	stack[0].path = strdup(t->display);
	stack[0].name = strdup(t->name);
	stack[0].st = st;
	if (!stack[0].d || !stack[0].path || !stack[0].name) {
		status = -ENOMEM;
		if (!stack[0].d)
			close(rfd);
		else
			closedir(stack[0].d);
		free(stack[0].path);
		free(stack[0].name);
		goto done;
	}
	n = 1;
	while (n) {
		struct frame *top = &stack[n - 1];
		struct dirent *de;
		char *child;

		/* between files too: a tree of empty files never reaches a write loop */
		if (!cancelled && o.stop && *o.stop) {
			cancelled = true;
			status = worst(status, DSP_INTERRUPTED);
		}
		/* what is destroyed from now on could not be recorded: stop */
		if (!cancelled && erase_record_broken(&o))
			cancelled = true;
		errno = 0;
		de = cancelled ? NULL : readdir(top->d);
		if (!de) {
			/* directory done: remove it from its parent, bottom-up */
			int parent = n > 1 ? stack[n - 2].fd : pfd;
			bool kept = top->kept;

			if (errno)
				kept = true;
			if (!kept && !cancelled) {
				if (!same_entry(parent, top->name, &top->st)) {
					dsp_log(DSP_LOG_ERROR, "%s: replaced during the erase; left alone",
						top->path);
					tree_event(&o, res, "dir_kept", top->path, "replaced during the erase");
					kept = true;
					status = worst(status, DSP_PARTIAL);
				} else if ((r = dsp_io_unlink(NULL, parent, top->name,
							      AT_REMOVEDIR)) < 0) {
					dsp_log(DSP_LOG_ERROR, "%s: rmdir: %s", top->path, strerror(-r));
					tree_event(&o, res, "dir_kept", top->path, strerror(-r));
					kept = true;
					status = worst(status, DSP_PARTIAL);
				} else if (tree_event(&o, res, "dir_removed", top->path, NULL) == 0) {
					res->dirs++;
					fsync(parent);
				}
			}
			closedir(top->d);
			free(top->path);
			free(top->name);
			n--;
			if (n && kept)
				stack[n - 1].kept = true;
			continue;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = join(top->path, de->d_name);
		if (!child) {
			status = worst(status, -ENOMEM);
			top->kept = true;
			continue;
		}
		if (fstatat(top->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) {	/* ENOENT: one of our renamed files */
				dsp_log(DSP_LOG_ERROR, "%s: %s; left alone", child, strerror(errno));
				tree_event(&o, res, "skipped", child, strerror(errno));
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
			}
			free(child);
			continue;
		}
		/* st_dev catches other filesystems, the mount id bind mounts too */
		mid = root_mnt ? mnt_id_at(top->fd, de->d_name) : 0;
		if (st.st_dev != root_dev || (mid && mid != root_mnt)) {
			dsp_log(DSP_LOG_WARN, "%s: on another filesystem: not crossed", child);
			tree_event(&o, res, "skipped", child, "mount point: other filesystem");
			top->kept = true;
			status = worst(status, DSP_PARTIAL);
		} else if (dsp_erase_guard_has(&guard, &st)) {
			dsp_log(DSP_LOG_ERROR, "%s: is the run directory or a file of it: left alone",
				child);
			tree_event(&o, res, "skipped", child, "the run record");
			top->kept = true;
			status = worst(status, DSP_PARTIAL);
		} else if (S_ISLNK(st.st_mode) || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
			/* never followed: the link (or node) itself goes */
			if ((r = dsp_io_unlink(NULL, top->fd, de->d_name, 0)) < 0) {
				dsp_log(DSP_LOG_ERROR, "%s: unlink: %s", child, strerror(-r));
				tree_event(&o, res, "skipped", child, strerror(-r));
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
			} else {
				tree_event(&o, res, S_ISLNK(st.st_mode) ? "symlink_removed" :
					   "special_removed", child, NULL);
			}
		} else if (S_ISDIR(st.st_mode)) {
			int cfd = -1;
			struct stat cst;
			DIR *d = NULL;
			const char *why;

			if (n >= TREE_MAX_DEPTH) {
				dsp_log(DSP_LOG_ERROR, "%s: nested too deep; left alone", child);
				tree_event(&o, res, "skipped", child, "too deep");
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
				free(child);
				continue;
			}
			BEFORE_OPEN(top->fd, de->d_name);
			cfd = openat(top->fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0 && errno == ENOTDIR) {
				/* no longer a directory; O_NOFOLLOW on a symlink says so too */
				errno = fstatat(top->fd, de->d_name, &cst, AT_SYMLINK_NOFOLLOW) == 0 &&
					S_ISLNK(cst.st_mode) ? ELOOP : ESTALE;
			} else if (cfd >= 0 && (fstat(cfd, &cst) < 0 || cst.st_ino != st.st_ino ||
						cst.st_dev != st.st_dev ||
						(root_mnt && mnt_id_at(cfd, "") != root_mnt))) {
				close(cfd);
				cfd = -1;
				errno = ESTALE;
			}
			if (cfd >= 0)
				d = fdopendir(cfd);
			if (!d) {
				why = skip_reason(-errno);
				if (why)
					dsp_log(DSP_LOG_ERROR, "%s: %s", child, why);
				tree_event(&o, res, "skipped", child, why ? why : strerror(errno));
				if (cfd >= 0)
					close(cfd);
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
				free(child);
				continue;
			}
			stack[n].d = d;
			stack[n].fd = cfd;
			stack[n].path = child;
			stack[n].name = strdup(de->d_name);
			stack[n].st = cst;
			stack[n].kept = false;
			if (!stack[n].name) {
				closedir(d);
				free(child);
				top->kept = true;
				status = worst(status, -ENOMEM);
				continue;
			}
			n++;
			continue;	/* child owned by the frame */
		} else {
			struct dsp_erase_opts fo = o;
			struct dsp_erase_result fr = { 0 };
			struct json_object *fend = NULL, *fc;
			struct rec_walk pw;
			struct stat fst;
			const char *why, *old;
			bool done;
			char id[96], gwhy[512];
			int fd;

			AFTER_CHECK(top->fd, de->d_name);
			fd = open_entry(top->fd, de->d_name, &fst);
			/*
			 * The file opened must be the one whose mount was checked:
			 * a file bind-mounted over the name since then is another's
			 */
			if (fd >= 0 && (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino ||
					(root_mnt && mnt_id_at(fd, "") != root_mnt))) {
				close(fd);
				fd = -ESTALE;
			}
			if (fd < 0) {
				r = fd;
				why = skip_reason(r);
				if (r != -ENOENT) {	/* ENOENT: gone meanwhile */
					dsp_log(DSP_LOG_ERROR, "%s: %s", child, why ? why : strerror(-r));
					tree_event(&o, res, why ? "skipped" : "file_failed", child,
						   why ? why : strerror(-r));
					top->kept = true;
					status = worst(status, why ? DSP_PARTIAL : r);
				}
				free(child);
				continue;
			}
			/* started by an earlier session: resumed under its id, not redone */
			old = o.resume ? sub_started(&w, &fst) : NULL;
			pw = (struct rec_walk){ .id = old, .prior.done_status = -1 };
			if (old && dsp_record_read_events(dsp_ledger_dir(o.ledger), visit_record,
							  &pw, NULL) != 0) {
				json_object_put(pw.prior.end);
				pw.prior.end = NULL;
				old = NULL;
			}
			done = old && pw.prior.done_status >= 0;
			/* before anything of it changes, a shared name's unlink included;
			 * not on one already overwritten (as a file target's resume) */
			if (!done && gate_refuses(&o, fd, child, &fst, gwhy, sizeof(gwhy))) {
				struct ino_ent *e = tab.n ? ino_get(&tab, fst.st_dev, fst.st_ino,
								    false) : NULL;

				close(fd);
				dsp_log(DSP_LOG_ERROR, "%s: %s; left in place, nothing written", child,
					gwhy);
				/* its last name, kept here: no name outside to report */
				if (e && fst.st_nlink == 1)
					e->state |= INO_ERASED;
				res->left++;
				top->kept = true;
				status = worst(status, DSP_PARTIAL);
				gate_skipped(&o, child, gwhy);
				json_object_put(pw.prior.end);
				free(child);
				continue;
			}
			if (fst.st_nlink > 1 && !o.erase_shared_inodes) {
				json_object_put(pw.prior.end);
				r = shared_name(&tab, fd, &fst, top->fd, de->d_name, child, &o);
				if (r < 0 && !erase_record_broken(&o)) {
					why = skip_reason(r);
					dsp_log(DSP_LOG_ERROR, "%s: %s", child, why ? why : strerror(-r));
					tree_event(&o, res, why ? "skipped" : "file_failed", child,
						   why ? why : strerror(-r));
					top->kept = true;
					r = why ? DSP_PARTIAL : r;
				}
				status = worst(status, r);
				free(child);
				continue;
			}
			if (tab.n) {
				struct ino_ent *e = ino_get(&tab, fst.st_dev, fst.st_ino, false);

				/* the last name of a shared file: all others were in the tree */
				if (e)
					e->state |= INO_ERASED;
			}
			/* unique across sessions: the record's sequence number */
			if (old)
				snprintf(id, sizeof(id), "%s", old);
			else
				snprintf(id, sizeof(id), "%s.%" PRIu64, o.target_id,
					 dsp_ledger_seq(o.ledger) + 1);
			fo.target_id = id;
			/* a resumed tree re-walks what is left; a file it had started goes on
			 * from its checkpoint, one overwritten only loses its names */
			fo.resume = old && !done;
			fo.end = &fend;		/* its caveats go into the tree's end */
			r = erase_fd(fd, &fst, top->fd, de->d_name, child, &fo, o.target_id, &fr,
				     done ? &pw.prior : NULL);
			json_object_put(pw.prior.end);
			if (fend) {
				bool rm = false;

				if (!fcav)
					fcav = json_object_new_array();
				if (fcav && json_object_object_get_ex(fend, "caveats", &fc))
					erase_caveats_union(fcav, fc, "part of a tree erase");
				if (dsp_json_bool(fend, "old_data_may_remain", &rm) == 0 && rm)
					remain = true;
				json_object_put(fend);
			}
			res->bytes_written += fr.bytes_written;
			res->bytes_verified += fr.bytes_verified;
			res->mismatches += fr.mismatches;
			res->bad_bytes += fr.bad_bytes;
			res->bad_ranges += fr.bad_ranges;
			if (r == DSP_INTERRUPTED) {
				cancelled = true;
				top->kept = true;
			} else if (r < 0 && erase_record_broken(&o)) {
				top->kept = true;	/* said once, by the append that failed */
			} else if (r < 0) {
				why = skip_reason(r);
				dsp_log(DSP_LOG_ERROR, "%s: %s", child, why ? why : strerror(-r));
				tree_event(&o, res, "file_failed", child, why ? why : strerror(-r));
				top->kept = true;
			} else if (!done) {	/* an earlier end of it is counted by fold_prior */
				res->files++;
			}
			status = worst(status, r);
		}
		free(child);
	}
done:
	free(stack);
	if (seq0 && !erase_record_broken(&o)) {
		/* resumed: what the files erased by earlier sessions left */
		struct prior_fold pf = { .id = o.target_id, .idlen = strlen(o.target_id),
					 .seq0 = seq0, .cav = json_object_new_array() };

		if (pf.cav && dsp_record_read_events(dsp_ledger_dir(o.ledger), fold_prior, &pf,
						     NULL) == 0) {
			if (!fcav)
				fcav = json_object_new_array();
			if (fcav)
				erase_caveats_union(fcav, pf.cav, NULL);
			remain = remain || pf.remain;
			res->mismatches += pf.mismatches;
			res->bad_bytes += pf.bad_bytes;
			res->bytes_written += pf.written;
			res->bytes_verified += pf.verified;
			res->files += pf.files;
			if (pf.mismatches)
				status = worst(status, DSP_MISMATCH);
			else if (pf.bad_bytes || pf.remain)
				status = worst(status, DSP_PARTIAL);
		}
		json_object_put(pf.cav);
	}
	if (!cancelled)
		report_shared(&tab, &o, res, &status);
	else if (!erase_record_broken(&o))
		for (size_t k = 0; k < tab.cap; k++)	/* counted, reported when finished */
			if (tab.v[k].ino && (tab.v[k].state & INO_PENDING) &&
			    !(tab.v[k].state & INO_ERASED))
				res->shared_kept++;
	ino_free(&tab);
	free(w.subs);
	if (erase_record_broken(&o)) {
		/* nothing more can be recorded: the run stops here, said once */
		json_object_put(fcav);
		return *o.record_err;
	}
	/* a tree: any positive result short of interrupted is completed-with-errors */
	f = dsp_record_target_end(status == 0 ? "success" : status == DSP_INTERRUPTED ?
				  "interrupted" : status < 0 ? "failed" : "completed-with-errors",
				  status, NULL, res->bytes_written, res->bytes_verified);
	json_object_object_add(f, "files", json_object_new_int((int)res->files));
	json_object_object_add(f, "dirs", json_object_new_int((int)res->dirs));
	json_object_object_add(f, "mismatches", json_object_new_int64((int64_t)res->mismatches));
	json_object_object_add(f, "bad_bytes", json_object_new_int64((int64_t)res->bad_bytes));
	json_object_object_add(f, "hard_links_remain", json_object_new_int((int)res->shared_kept));
	json_object_object_add(f, "entries_left", json_object_new_int((int)res->left));
	json_object_object_add(f, "nist_category", json_object_new_string("none"));
	json_object_object_add(f, "category_reason", json_object_new_string("file-level overwrite"));
	{
		char v[160];
		double pct = o.sample_percent > 0 ? o.sample_percent :
			     o.method->sample_percent > 0 ? o.method->sample_percent : 10.0;

		/* each file's verify_start names its own seed */
		if (o.verify == DSP_VERIFY_NONE)
			snprintf(v, sizeof(v), "not verified: no read-back");
		else if (o.verify == DSP_VERIFY_SAMPLE)
			snprintf(v, sizeof(v), "each file: sampled %g%% of the last pass read back "
				 "(sampled-800-88r1; each file's seed in its verify_start)",
				 pct > 100 ? 100 : pct);
		else
			snprintf(v, sizeof(v), "each file: every byte of %s read back",
				 o.verify == DSP_VERIFY_ALL ? "every pass" : "the last pass");
		/* a file's bad ranges were not all read back: "every byte" must not stand alone */
		if (o.verify != DSP_VERIFY_NONE && res->bad_bytes)
			snprintf(v + strlen(v), sizeof(v) - strlen(v), ", except %" PRIu64
				 " bytes in bad ranges", (uint64_t)res->bad_bytes);
		json_object_object_add(f, "verification", json_object_new_string(v));
	}
	json_object_object_add(f, "old_data_may_remain", json_object_new_boolean(remain));
	cav = json_object_new_array();
	json_object_array_add(cav, json_object_new_string(
		"file-level overwrite is partial sanitization (NIST SP 800-88r2 4.2), not a NIST "
		"Clear, Purge or Destroy of any medium; copies in journals, snapshots, backups, "
		"flash spare areas or replicas are not addressed"));
	if (erase_fstype_cow(fstype))
		json_object_array_add(cav, json_object_new_string(
			"copy-on-write/log-structured filesystem (btrfs, zfs, f2fs, nilfs): the "
			"overwrite is written to new blocks and the old data may remain"));
	if (res->shared_kept)
		json_object_array_add(cav, json_object_new_string(
			"files with hard links outside the tree were unlinked from it but not "
			"overwritten: their data remains under the other names (hard_links_remain "
			"events; --erase-shared-inodes overwrites them)"));
	/* the union of its files' caveats: the tree's end hides none of them */
	if (fcav)
		erase_caveats_union(cav, fcav, NULL);
	json_object_put(fcav);
	json_object_object_add(f, "caveats", cav);
	keep = json_object_get(f);
	r = event(&o, o.target_id, "target_end", f, 1);
	erase_keep_end(&o, keep, r);
	if (r < 0)
		return r;
	/* the session's audit line gives the target's end, with its reason */
	dsp_log(DSP_LOG_INFO, "%s: tree erase %s (%u file%s, %u director%s), target %s", t->display,
		status == 0 ? "success" : "completed with errors", res->files,
		res->files == 1 ? "" : "s", res->dirs, res->dirs == 1 ? "y" : "ies", o.target_id);
	return status;
}

int dsp_erase_tree(const char *path, const struct dsp_erase_opts *opts,
		   struct dsp_erase_result *res)
{
	struct dsp_erase_target *t;
	int r;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!path || !opts || !opts->ledger || !opts->target_id || !opts->method)
		return -EINVAL;
	r = dsp_erase_target_open(path, NULL, &t, NULL, 0);
	if (r < 0)
		return r;
	r = dsp_erase_tree_at(t, opts, res);
	dsp_erase_target_close(t);
	return r;
}
