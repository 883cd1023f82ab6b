/* SPDX-License-Identifier: MIT */
/* cmd_erase.c - dispose erase: options, confirmation and printing over the erase session */
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispose/erase.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/method.h"
#include "progress.h"

/* Dry-run time estimates assume this throughput; they say so. */
#define NOMINAL_BPS	(200.0 * 1000 * 1000)

struct erase_ctl {
	struct dsp_erase_session_opts so;
	enum progress_mode progress_mode;
	unsigned delay_ms;		/* hidden, for tests: slows progress callbacks */
	unsigned int yes : 1,
		     verbose : 1,
		     quiet : 1,		/* -q: no progress unless --progress asks */
		     progress_set : 1;	/* --progress given */
	struct dsp_erase_session *s;
	struct progress *prog;
	/* each --method as given, in order: its argument and where it stood */
	const char **marg;
	int *mpos;
	unsigned nm;
	const char **methods;		/* per target, for the session */
	const char *inventory;
};

/* core messages go around the progress bars */
static void erase_log(enum dsp_log_level level, const char *msg, void *arg)
{
	struct erase_ctl *ctl = arg;

	if (level == DSP_LOG_DEBUG || (level == DSP_LOG_INFO && !ctl->verbose))
		return;
	progress_message(ctl->prog, "%s%s", level == DSP_LOG_WARN ? "warning: " : "", msg);
}

enum {
	OPT_VERIFY = CHAR_MAX + 1,
	OPT_RUN_DIR,
	OPT_RESUME,
	OPT_PROGRESS,
	OPT_CHECKPOINT,
	OPT_DELAY,
	OPT_SHARED,
	OPT_THEN,
	OPT_CATEGORY,
	OPT_INVENTORY,
	OPT_RESTORE_HIDDEN,
};

static const struct option longopts[] = {
	{ "category", required_argument, NULL, OPT_CATEGORY },
	{ "checkpoint-interval", required_argument, NULL, OPT_CHECKPOINT },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "erase-shared-inodes", no_argument, NULL, OPT_SHARED },
	{ "help", no_argument, NULL, 'h' },
	{ "inventory", required_argument, NULL, OPT_INVENTORY },
	{ "jobs", required_argument, NULL, 'j' },
	{ "method", required_argument, NULL, 'm' },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "restore-hidden", no_argument, NULL, OPT_RESTORE_HIDDEN },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "test-delay-ms", required_argument, NULL, OPT_DELAY },
	{ "then", required_argument, NULL, OPT_THEN },
	{ "verbose", no_argument, NULL, 'v' },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "yes", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs("Usage:\n"
	      " dispose erase [--method NAME|FILE] [--verify none|last|all|sample[:PERCENT]]\n"
	      "               [--then METHOD] [--category clear|purge] [--inventory FILE]\n"
	      "               [--restore-hidden]\n"
	      "               [--yes] [--dry-run] [--run-dir DIR] [--resume]\n"
	      "               [--erase-shared-inodes] [--checkpoint-interval SIZE]\n"
	      "               [--progress auto|bar|lines|json|none] [--jobs N] [-q|-v]\n"
	      "               TARGET...\n"
	      "\n"
	      "Overwrite block devices, regular files or directory trees (files are\n"
	      "removed after overwriting) and verify by reading back.\n"
	      "\n"
	      "Options:\n"
	      " -m, --method NAME|FILE  method (default: nist-clear if installed, else\n"
	      "                         zero); see 'dispose methods'. Given several\n"
	      "                         times, each applies to the targets after it\n"
	      "     --then METHOD       crypto-luks targets: overwrite the data area\n"
	      "                         with METHOD afterwards\n"
	      "     --category clear|purge\n"
	      "                         the NIST category asked for (default: each\n"
	      "                         method's); not reached: the target fails\n"
	      "     --inventory FILE    an inventory from 'dispose inventory': its LUKS\n"
	      "                         header backups defeat a crypto-luks Purge\n"
	      "     --restore-hidden    ATA drives with HPA/DCO: restore the native\n"
	      "                         size before an overwrite\n"
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
	      "     --checkpoint-interval SIZE\n"
	      "                         record progress every SIZE bytes written\n"
	      "                         (e.g. 1G; default: the engine's)\n"
	      "     --progress MODE     auto, bar, lines, json (on stdout) or none\n"
	      " -j, --jobs N            targets erased at once (default: all)\n"
	      " -q, --quiet             no progress (unless --progress is given);\n"
	      "                         results, warnings and errors only\n"
	      " -v, --verbose           also show informational messages\n"
	      " -h, --help              display this help\n"
	      "\n"
	      "For more details see dispose(8).\n", stdout);
}

#define usage_error(...) cli_usage_error("erase", __VA_ARGS__)

/* ---- what the session says and asks ---- */

static void report(const struct dsp_erase_why *w, void *arg)
{
	struct erase_ctl *ctl = arg;
	char *th, *re;

	if (w->usage) {
		usage_error("%s", w->reason);
		return;
	}
	/* a name in it (a tree's file, a backing file) must not drive the terminal */
	th = dsp_log_text(w->thing);
	re = dsp_log_text(w->reason);
	if (th && th[0])
		progress_message(ctl->prog, "%s: %s", th, re ? re : "?");
	else
		progress_message(ctl->prog, "%s", re ? re : "?");
	free(th);
	free(re);
	if (w->hint)
		fprintf(stderr, "%s\n", w->hint);
}

static int exit_code(int result, void *arg)
{
	return cli_exit_code(result, cli_stop_sig);
}

static int on_progress(unsigned idx, const struct dsp_erase_progress *p, void *arg)
{
	struct erase_ctl *ctl = arg;

	progress_update(ctl->prog, idx, p);
	if (ctl->delay_ms) {
		struct timespec ts = { ctl->delay_ms / 1000, (long)(ctl->delay_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	return 0;
}

static void on_finished(unsigned idx, const char *status, void *arg)
{
	struct erase_ctl *ctl = arg;

	progress_finish(ctl->prog, idx, status);
}

/* ---- describing targets (dry run, confirmation) ---- */

static void put_safe(FILE *f, const char *s);

/* One line of text with names in it (a tree's files, a device's serial), shown safely. */
static void put_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_line(FILE *f, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	put_safe(f, line);
	fputc('\n', f);
	free(line);
}

static void describe(FILE *f, const struct erase_ctl *ctl, unsigned i)
{
	const char *id;
	const struct dsp_erase_checked *t = dsp_erase_session_target(ctl->s, i, &id);
	const char *name = t->given ? t->given : t->path;
	char sz[32], *line = NULL;
	size_t len = 0;
	FILE *out = f;

	/* a model, serial or name may hold anything: the line is shown safely */
	f = open_memstream(&line, &len);
	if (!f)
		return;
	cli_human_size(t->size, sz, sizeof(sz));
	switch (t->kind) {
	case DSP_ERASE_BLOCK:
		fprintf(f, "%s %s: block device, %s", id, name, sz);
		if (t->given)
			fprintf(f, ", node %s", t->path);
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
	case DSP_ERASE_FILE:
		fprintf(f, "%s %s: regular file, %s", id, t->path, sz);
		break;
	case DSP_ERASE_TREE:
		fprintf(f, "%s %s: directory tree, %lu file%s, %s", id, t->path,
			(unsigned long)t->scan.files, t->scan.files == 1 ? "" : "s", sz);
		if (t->scan.shared)
			fprintf(f, ", %lu with hard links outside the tree",
				(unsigned long)t->scan.shared);
		break;
	}
	fclose(f);
	put_safe(out, line);
	fputc('\n', out);
	free(line);
}

/* A method in one line: name (whose file), passes or technique, verification. */
static void method_text(FILE *f, const struct dsp_method *m, enum dsp_verify_mode verify,
			double pct)
{
	char shipped[PATH_MAX + 80];

	fputs(m->name, f);
	/* a file named by path with a shipped name is not that method: say whose it is */
	if (dsp_method_shadows_shipped(m, shipped, sizeof(shipped))) {
		fputs(" from ", f);
		put_safe(f, m->path);
		fprintf(f, ", not the shipped %s", m->name);
	}
	if (m->technique == DSP_TECH_OVERWRITE) {
		fprintf(f, " (%u pass%s:", m->npasses, m->npasses == 1 ? "" : "es");
		for (unsigned i = 0; i < m->npasses; i++)
			fprintf(f, " %s", m->passes[i].label);
		fputc(')', f);
	} else if (m->technique == DSP_TECH_SANITIZE) {
		fprintf(f, " (technique sanitize, action %s)", dsp_method_action_name(m->action));
	} else {
		fprintf(f, " (technique %s)", dsp_technique_name(m->technique));
	}
	fprintf(f, ", verify: %s", dsp_verify_mode_name(verify));
	if (verify == DSP_VERIFY_SAMPLE)
		fprintf(f, " %g%%", pct);
}

/* Do all targets run one method (one "method:" line above them)? */
static bool one_method(const struct erase_ctl *ctl)
{
	unsigned n = dsp_erase_session_count(ctl->s);
	enum dsp_verify_mode v0, v;
	double p0, p;
	const struct dsp_method *m0, *r;

	if (!n)
		return true;
	m0 = dsp_erase_session_target_method(ctl->s, 0, &r, NULL, &v0, &p0, NULL);
	if (r != m0)	/* auto: what it chose, per target */
		return false;
	for (unsigned i = 1; i < n; i++)
		if (dsp_erase_session_target_method(ctl->s, i, &r, NULL, &v, &p, NULL) != m0 ||
		    r != m0 || v != v0 || p != p0)
			return false;
	return true;
}

static void method_line(FILE *f, const struct erase_ctl *ctl)
{
	enum dsp_verify_mode verify;
	double pct;
	const struct dsp_method *m = dsp_erase_session_method(ctl->s, &verify, &pct);

	if (!one_method(ctl))
		return;		/* each target says its own */
	fputs("method: ", f);
	method_text(f, m, verify, pct);
	fputc('\n', f);
}

/*
 * Below a target: its method when targets differ, auto's choice and why,
 * the technique and the category asked for, --then.
 */
static void target_method(FILE *f, const struct erase_ctl *ctl, unsigned i)
{
	enum dsp_verify_mode verify;
	enum dsp_category cat;
	double pct;
	const char *reason;
	const struct dsp_method *req, *then = dsp_erase_session_then(ctl->s);
	const struct dsp_method *m = dsp_erase_session_target_method(ctl->s, i, &req, &reason,
								     &verify, &pct, &cat);
	char *line = NULL;
	size_t len = 0;
	FILE *mf;

	if (!one_method(ctl)) {
		mf = open_memstream(&line, &len);
		if (!mf)
			return;
		fputs("   method: ", mf);
		if (req != m)
			fprintf(mf, "%s chose ", req->name);
		method_text(mf, m, verify, pct);
		fclose(mf);
		put_line(f, "%s", line);
		free(line);
	}
	if (reason)
		put_line(f, "   reason: %s", reason);
	fprintf(f, "   technique: %s", dsp_technique_name(m->technique));
	if (m->technique == DSP_TECH_SANITIZE)
		fprintf(f, " (%s)", dsp_method_action_name(m->action));
	fprintf(f, ", category asked for: %s\n", dsp_category_name(cat));
	if (then && m->technique == DSP_TECH_CRYPTO_LUKS) {
		line = NULL;
		mf = open_memstream(&line, &len);
		if (!mf)
			return;
		fputs("   then: ", mf);
		method_text(mf, then, verify, pct);
		fclose(mf);
		put_line(f, "%s", line);
		free(line);
	}
}

/* The dry run's words: stdout, or stderr when --progress json keeps stdout JSON. */
static FILE *plan_out(const struct erase_ctl *ctl)
{
	return ctl->progress_mode == PROGRESS_JSON ? stderr : stdout;
}

/* Dry run: a file of a tree with names outside it, and what will happen to it. */
static int dry_shared(const char *path, const struct stat *st, unsigned names, void *arg)
{
	const struct erase_ctl *ctl = arg;
	unsigned long long out = (unsigned long long)st->st_nlink - names;
	FILE *f = plan_out(ctl);

	if (ctl->so.erase_shared_inodes)
		put_line(f, "   %s: has %llu hard link%s outside the tree: overwritten anyway "
			 "(--erase-shared-inodes)", path, out, out == 1 ? "" : "s");
	else
		put_line(f, "   %s: has %llu hard link%s outside the tree: would be unlinked, "
			 "not overwritten (hard_links_remain)", path, out, out == 1 ? "" : "s");
	return 0;
}

/* Dry run: what the walk will not cross; the real run records it as "skipped". */
static int dry_skip(const char *path, const char *reason, void *arg)
{
	put_line(plan_out(arg), "   %s: would be skipped (%s): completed-with-errors", path, reason);
	return 0;
}

static void dry_run(const struct erase_ctl *ctl)
{
	const struct dsp_method *then = dsp_erase_session_then(ctl->s);
	char w[32], r[32];
	FILE *f = plan_out(ctl);

	fprintf(f, "dry run: nothing will be written\n");
	method_line(f, ctl);
	for (unsigned i = 0; i < dsp_erase_session_count(ctl->s); i++) {
		const struct dsp_erase_checked *t = dsp_erase_session_target(ctl->s, i, NULL);
		enum dsp_verify_mode verify;
		double pct;
		const struct dsp_method *m = dsp_erase_session_target_method(ctl->s, i, NULL, NULL,
									     &verify, &pct, NULL);
		/* the passes we write: the method's, or --then's after crypto-luks */
		const struct dsp_method *ow = m->technique == DSP_TECH_OVERWRITE ? m :
					      m->technique == DSP_TECH_CRYPTO_LUKS ? then : NULL;
		unsigned np = ow ? ow->npasses : 0;
		uint64_t wr = t->size * np, rd = 0;
		unsigned long s;

		switch (verify) {
		case DSP_VERIFY_NONE: rd = 0; break;
		case DSP_VERIFY_LAST: rd = t->size; break;
		case DSP_VERIFY_ALL: rd = np > 1 ? wr : t->size; break;
		case DSP_VERIFY_SAMPLE: rd = (uint64_t)((double)t->size * pct / 100); break;
		}
		describe(f, ctl, i);
		target_method(f, ctl, i);
		if (m->technique == DSP_TECH_CRYPTO_LUKS)
			fprintf(f, "   would destroy every keyslot and both LUKS header copies and "
				"read them back\n");
		if (m->technique == DSP_TECH_SANITIZE)
			fprintf(f, "   would send the device's sanitize (%s), poll it to completion "
				"and read back %s\n", dsp_method_action_name(m->action),
				cli_human_size(rd, r, sizeof(r)));
		if (!ow) {
			fprintf(f, "   estimated time: %s\n", m->technique == DSP_TECH_SANITIZE ?
				"the device's (it reports its own)" : "seconds (the key material only)");
			continue;
		}
		fprintf(f, "   %swould write %s in %u pass%s and read back %s\n",
		       ow != m ? "then " : "",
		       cli_human_size(wr, w, sizeof(w)), np, np == 1 ? "" : "es",
		       cli_human_size(rd, r, sizeof(r)));
		if (t->kind != DSP_ERASE_BLOCK)
			fprintf(f, "   then remove the %s\n",
			       t->kind == DSP_ERASE_FILE ? "file" : "files and directories");
		if (t->kind == DSP_ERASE_TREE && t->scan.shared)
			dsp_erase_tree_scan(t->ft, NULL, dry_shared, (void *)ctl, NULL);
		if (t->kind == DSP_ERASE_TREE && t->scan.skipped)
			dsp_erase_tree_skips(t->ft, dry_skip, (void *)ctl);
		if (t->kind == DSP_ERASE_FILE && dsp_erase_target_info(t->ft)->nlink > 1)
			fprintf(f, "   its other %llu hard link(s) lose their data too "
			       "(--erase-shared-inodes)\n",
			       (unsigned long long)dsp_erase_target_info(t->ft)->nlink - 1);
		s = (unsigned long)((double)(wr + rd) / NOMINAL_BPS + 0.5);
		fprintf(f, "   estimated time: %lu:%02lu:%02lu (an estimate at a nominal 200 MB/s)\n",
		       s / 3600, s / 60 % 60, s % 60);
	}
}

/* Without --yes: the operator types each target's name on the terminal. */
static int confirm(const struct erase_ctl *ctl)
{
	unsigned n = dsp_erase_session_count(ctl->s);
	char prompt[PATH_MAX + 128];
	bool all_ow = true;

	if (ctl->yes)
		return 0;
	if (cli_need_tty("nothing written", "erase"))
		return DSP_EXIT_REFUSED;
	for (unsigned i = 0; i < n; i++)
		all_ow &= dsp_erase_session_target_method(ctl->s, i, NULL, NULL, NULL, NULL,
							  NULL)->technique == DSP_TECH_OVERWRITE;
	fprintf(stderr, "WARNING: %s:\n", all_ow ? "every byte of the following will be "
		"overwritten" : "the data on the following will be destroyed");
	method_line(stderr, ctl);
	for (unsigned i = 0; i < n; i++) {
		describe(stderr, ctl, i);
		target_method(stderr, ctl, i);
	}
	for (unsigned i = 0; i < n; i++) {
		const struct dsp_erase_checked *t = dsp_erase_session_target(ctl->s, i, NULL);
		const char *name = t->given ? t->given : t->path;

		snprintf(prompt, sizeof(prompt), "Type '%s' to erase it: ", name);
		if (!cli_confirm_typed(prompt, name)) {
			cli_err("%s: not confirmed; nothing written", name);
			return DSP_EXIT_REFUSED;
		}
	}
	return 0;
}

/* ---- the command ---- */

/*
 * Where an argument stood on the command line as typed (getopt reorders its
 * copy, never the strings): the element holding p, or -1.
 */
static int arg_index(char *const *argv0, int argc, const char *p)
{
	for (int i = 0; i < argc; i++)
		if ((uintptr_t)p >= (uintptr_t)argv0[i] &&
		    (uintptr_t)p <= (uintptr_t)argv0[i] + strlen(argv0[i]))
			return i;
	return -1;
}

/*
 * Several --method: each applies to the targets named after it (a target
 * before the first has none: a usage error). One applies to every target.
 */
static int target_methods(struct erase_ctl *ctl, char *const *argv0, int argc, char **targets,
			  int n)
{
	if (ctl->nm < 2 || ctl->so.resume)
		return 0;
	ctl->methods = calloc(n ? (size_t)n : 1, sizeof(*ctl->methods));
	if (!ctl->methods) {
		cli_err("erase: out of memory");
		return DSP_EXIT_FAILED;
	}
	for (int i = 0; i < n; i++) {
		int at = arg_index(argv0, argc, targets[i]);

		for (unsigned k = 0; k < ctl->nm; k++)
			if (ctl->mpos[k] >= 0 && ctl->mpos[k] < at)
				ctl->methods[i] = ctl->marg[k];
		if (!ctl->methods[i])
			return usage_error("%s: named before the first --method (with several, "
					   "each applies to the targets after it)", targets[i]);
	}
	/* a --method followed by no target before the next one would be ignored */
	for (unsigned k = 0; k < ctl->nm; k++) {
		bool used = false;

		for (int i = 0; i < n && !used; i++) {
			int at = arg_index(argv0, argc, targets[i]);

			used = at > ctl->mpos[k] && (k + 1 == ctl->nm || at < ctl->mpos[k + 1]);
		}
		if (!used)
			return usage_error("--method: %s: no target named after it (with several, "
					   "each applies to the targets after it)", ctl->marg[k]);
	}
	ctl->so.methods = ctl->methods;
	return 0;
}

static int parse_args(struct erase_ctl *ctl, int argc, char **argv, char *const *argv0)
{
	uint64_t v;
	int c;

	while ((c = cli_getopt(argc, argv, "hj:m:nqvy", longopts, "erase")) != -1) {
		switch (c) {
		case CLI_OPT_ERROR:
			return DSP_EXIT_USAGE;
		case 'h':
			usage();
			return -1;
		case 'j':
			if (cli_parse_count(optarg, 1, 1024, &v) != 0)	/* "1K" is no count */
				return usage_error("--jobs: %s: expected a number from 1 to 1024",
						   optarg);
			ctl->so.jobs = (unsigned)v;
			break;
		case 'm': {
			const char **ma = realloc(ctl->marg, (ctl->nm + 1) * sizeof(*ma));
			int *mp = realloc(ctl->mpos, (ctl->nm + 1) * sizeof(*mp));

			if (ma)
				ctl->marg = ma;
			if (mp)
				ctl->mpos = mp;
			if (!ma || !mp) {
				cli_err("erase: out of memory");
				return DSP_EXIT_FAILED;
			}
			ctl->marg[ctl->nm] = optarg;
			ctl->mpos[ctl->nm++] = arg_index(argv0, argc, optarg);
			ctl->so.method = optarg;
			break;
		}
		case 'n':
			ctl->so.dry_run = true;
			break;
		case 'q':
			ctl->quiet = 1;
			ctl->verbose = 0;
			break;
		case 'v':
			ctl->verbose = 1;
			ctl->quiet = 0;
			break;
		case 'y':
			ctl->yes = 1;
			break;
		case OPT_VERIFY:
			ctl->so.verify = optarg;
			break;
		case OPT_RUN_DIR:
			ctl->so.run_dir = optarg;
			break;
		case OPT_RESUME:
			ctl->so.resume = true;
			break;
		case OPT_SHARED:
			ctl->so.erase_shared_inodes = true;
			break;
		case OPT_THEN:
			ctl->so.then = optarg;
			break;
		case OPT_CATEGORY:
			if (!strcmp(optarg, "clear"))
				ctl->so.category = DSP_CAT_CLEAR;
			else if (!strcmp(optarg, "purge"))
				ctl->so.category = DSP_CAT_PURGE;
			else
				return usage_error("--category: %s: expected clear or purge", optarg);
			break;
		case OPT_INVENTORY:
			ctl->inventory = optarg;
			break;
		case OPT_RESTORE_HIDDEN:
			ctl->so.restore_hidden = true;
			break;
		case OPT_PROGRESS:
			if (progress_mode_parse(optarg, &ctl->progress_mode))
				return usage_error("--progress: %s: expected " PROGRESS_MODES,
						   optarg);
			ctl->progress_set = 1;
			break;
		case OPT_CHECKPOINT:
			if (cli_parse_size(optarg, &ctl->so.checkpoint_bytes) != 0)
				return usage_error("--checkpoint-interval: %s: not a size", optarg);
			/* 0 would silently mean the engine's default */
			if (!ctl->so.checkpoint_bytes)
				return usage_error("--checkpoint-interval: %s: must be more than 0",
						   optarg);
			break;
		case OPT_DELAY:
			if (cli_parse_count(optarg, 0, 10000, &v) != 0)
				return usage_error("--test-delay-ms: %s: not a number", optarg);
			ctl->delay_ms = (unsigned)v;
			break;
		}
	}
	if (ctl->quiet && !ctl->progress_set)
		ctl->progress_mode = PROGRESS_NONE;
	if (ctl->so.resume && !ctl->so.run_dir)
		return usage_error("--resume: needs --run-dir DIR");
	if (ctl->so.resume && ctl->so.dry_run)
		return usage_error("--dry-run: cannot be combined with --resume");
	if (!ctl->so.resume && optind >= argc)
		return usage_error("TARGET: missing");
	for (int i = optind; i < argc; i++)
		if (cli_nonempty("erase", "TARGET", argv[i]))
			return DSP_EXIT_USAGE;
	return target_methods(ctl, argv0, argc, argv + optind, argc - optind);
}

/*
 * Text for the terminal: readable text for bytes that are not UTF-8 (json.h),
 * and \xHH for control characters (C0, DEL, C1), so a name never moves the
 * cursor or forges a line.
 */
static void put_safe(FILE *f, const char *s)
{
	char *t = dsp_json_escape_text(s, strlen(s));
	const unsigned char *p = (const unsigned char *)(t ? t : "?");

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fprintf(f, "\\xc2\\x%02x", *++p);
		else
			fputc(*p, f);
	}
	free(t);
}

/*
 * Each target's verdict, one line on stderr (--progress json: one object on
 * stdout), from what the record says: result, NIST category or why none,
 * how it was verified, every caveat.
 */
static void print_summary(const struct erase_ctl *ctl, const char *dir)
{
	char w[32], v[32], *line = NULL;
	size_t len = 0;

	for (unsigned i = 0; i < dsp_erase_session_count(ctl->s); i++) {
		const char *id;
		const struct dsp_erase_checked *t = dsp_erase_session_target(ctl->s, i, &id);
		const char *name = t->given ? t->given : t->path;
		struct json_object *vd = dsp_erase_session_verdict(ctl->s, i), *cav;
		uint64_t wr = 0, ve = 0;
		FILE *f;

		if (!vd)
			continue;
		if (ctl->progress_mode == PROGRESS_JSON) {
			struct json_object *o = json_object_new_object();

			if (o) {
				json_object_object_add(o, "event", json_object_new_string("verdict"));
				json_object_object_add(o, "id", json_object_new_string(id));
				dsp_json_add_bytes(o, "target", name);
				json_object_object_foreach(vd, k, x)
					json_object_object_add(o, k, json_object_get(x));
			}
			progress_json_print(o);
			continue;
		}
		dsp_json_u64(vd, "bytes_written", &wr);
		dsp_json_u64(vd, "bytes_verified", &ve);
		f = open_memstream(&line, &len);
		if (!f)
			continue;
		fprintf(f, "%s %s: %s (written %s, verified %s); %s; %s", id, name,
			dsp_json_str(vd, "result"), cli_human_size(wr, w, sizeof(w)),
			cli_human_size(ve, v, sizeof(v)), dsp_json_str(vd, "category"),
			dsp_json_str(vd, "verification"));
		if (json_object_object_get_ex(vd, "caveats", &cav) &&
		    json_object_array_length(cav)) {
			fputs("; caveats:", f);
			for (size_t k = 0; k < json_object_array_length(cav); k++)
				fprintf(f, " %zu) %s%s", k + 1, json_object_get_string(
					json_object_array_get_idx(cav, k)),
					k + 1 < json_object_array_length(cav) ? ";" : "");
		}
		fclose(f);
		put_safe(stderr, line);
		fputc('\n', stderr);
		free(line);
		line = NULL;
	}
	if (ctl->progress_mode == PROGRESS_JSON) {
		struct json_object *o = json_object_new_object();

		if (o)
			dsp_json_add_bytes(o, "run_dir", dir);
		progress_json_print(o);
	} else {
		printf("run record: %s\n", dir);
	}
}

static void nothing_to_resume_json(const char *dir)
{
	struct json_object *o = json_object_new_object();
	char abs[PATH_MAX];

	cli_err("%s: every target of this run is finished; nothing to resume", dir);
	if (o)
		dsp_json_add_bytes(o, "run_dir", realpath(dir, abs) ? abs : dir);
	progress_json_print(o);
}

/* --inventory: the LUKS header backups it found, for crypto-luks targets. */
static int load_inventory(struct erase_ctl *ctl)
{
	if (ctl->so.resume)
		return usage_error("--inventory: cannot change on --resume");
	int r = dsp_erase_luks_backups(ctl->inventory, &ctl->so.luks_backups);

	/* the core said why (the file, what is wrong with it) */
	return r ? cli_exit_code(DSP_INVALID, 0) : 0;
}

/* Check, confirm, start, run: the exit code. */
static int erase(struct erase_ctl *ctl)
{
	char abs[PATH_MAX];
	const char *d;
	unsigned n = dsp_erase_session_count(ctl->s);
	int rc = dsp_erase_session_check(ctl->s);

	if (rc) {
		if (rc == DSP_REFUSED)
			cli_err("refused; nothing written");
		return cli_exit_code(rc, 0);
	}
	if (ctl->so.dry_run) {
		dry_run(ctl);
		return DSP_EXIT_OK;
	}
	rc = confirm(ctl);
	if (rc)
		return rc;
	rc = dsp_erase_session_start(ctl->s);
	if (rc)
		return cli_exit_code(rc, 0);
	ctl->prog = progress_new(ctl->progress_mode, n);
	for (unsigned i = 0; i < n; i++) {
		const char *id;
		const struct dsp_erase_checked *t = dsp_erase_session_target(ctl->s, i, &id);

		progress_target(ctl->prog, i, id, t->given ? t->given : t->path);
	}
	cli_catch_stop(0);
	rc = dsp_erase_session_run(ctl->s);
	progress_free(ctl->prog);
	ctl->prog = NULL;
	/* absolute: the hint must work from any directory */
	d = realpath(dsp_erase_session_run_dir(ctl->s), abs) ? abs :
	    dsp_erase_session_run_dir(ctl->s);
	print_summary(ctl, d);
	if (rc == DSP_EXIT_SIGINT || rc == DSP_EXIT_SIGTERM || rc == DSP_EXIT_SIGHUP)
		fprintf(stderr, "dispose: interrupted; resume with: dispose erase "
			"--resume --run-dir %s\n", d);
	return rc;
}

int cmd_erase(int argc, char **argv)
{
	struct erase_ctl ctl = {
		.so = {
			.argc = argc,
			.argv = argv,
			.stop = &cli_stop_sig,
			.report = report,
			.progress = on_progress,
			.finished = on_finished,
			.exit_code = exit_code,
			.exit_worse = cli_exit_worse,
		},
	};
	struct dsp_log_sink sink = { erase_log, &ctl };
	/* getopt reorders what it parses: the record keeps argv as typed */
	char **pa = calloc((size_t)argc + 1, sizeof(*pa));
	int rc;

	cli_log_init(0);
	progress_mode_parse("auto", &ctl.progress_mode);
	if (!pa) {
		cli_err("erase: out of memory");
		return DSP_EXIT_FAILED;
	}
	memcpy(pa, argv, (size_t)argc * sizeof(*pa));
	rc = parse_args(&ctl, argc, pa, argv);
	if (!rc && ctl.inventory)
		rc = load_inventory(&ctl);
	if (rc) {
		free(pa);
		free(ctl.marg);
		free(ctl.mpos);
		free(ctl.methods);
		return rc < 0 ? DSP_EXIT_OK : rc;
	}
	ctl.so.arg = &ctl;
	ctl.so.log = &sink;
	/* the test delay only slows anything when every chunk reports */
	ctl.so.progress_ms = ctl.delay_ms ? -1 : 0;
	rc = dsp_erase_session_new(&ctl.so, pa + optind, (unsigned)(argc - optind), &ctl.s);
	if (rc)
		rc = cli_exit_code(rc, 0);
	else if (dsp_erase_session_count(ctl.s) == 0 && ctl.progress_mode == PROGRESS_JSON)
		/* stdout holds JSON objects only: the run's last object, the words on stderr */
		nothing_to_resume_json(ctl.so.run_dir);
	else if (dsp_erase_session_count(ctl.s) == 0)
		printf("%s: every target of this run is finished; nothing to resume\n",
		       ctl.so.run_dir);
	else
		rc = erase(&ctl);
	dsp_erase_session_free(ctl.s);
	json_object_put(ctl.so.luks_backups);
	free(pa);
	free(ctl.marg);
	free(ctl.mpos);
	free(ctl.methods);
	return rc;
}
