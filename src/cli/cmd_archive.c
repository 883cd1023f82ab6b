/* SPDX-License-Identifier: MIT */
/* cmd_archive.c - dispose archive create|verify|extract|status */
#include "cli.h"
#include "table.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "dispose/archive.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "progress.h"

#define MAXLIST 64

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose archive create -r DIR... -o NAME [options]\n"
		" dispose archive verify [options] NAME\n"
		" dispose archive extract -C DIR [options] NAME\n"
		" dispose archive status [options] DIR\n"
		"\n"
		"Archive retained records as a verified, optionally encrypted BagIt bag.\n"
		"\n"
		"Options:\n"
		" -h, --help  display this help\n"
		"\n"
		"Run 'dispose archive <subcommand> --help' for a subcommand's options.\n"
		"Exit status: 0 ok, 1 failed, 2 usage or invalid input (a missing file,\n"
		"not an archive of ours), 3 verification mismatch, 4 refused.\n"
		"See dispose-archive(5).\n");
}

/* The options every subcommand takes, in each one's --help. */
#define COMMON_HELP \
	" -q, --quiet                 print only the result, warnings and errors\n" \
	" -v, --verbose               also show informational messages\n" \
	" -h, --help                  display this help\n"
#define PROGRESS_HELP \
	"     --progress MODE         auto, bar, lines, json (on stderr) or none\n"
#define KEY_HELP \
	"     --key KEY.pem           a recipient's private key (with --cert)\n" \
	"     --cert CERT.pem         that recipient's certificate (with --key)\n"

static void usage_create(void)
{
	fputs("Usage:\n"
	      " dispose archive create -r DIR... -o NAME [--exclude GLOB]...\n"
	      "        [--retain-until YYYY-MM-DD] [--series NAME] [--authority TEXT]\n"
	      "        [--organization TEXT] [--legal-hold] [--recipient CERT.pem]...\n"
	      "        [--key KEY.pem --cert CERT.pem] [--run-dir DIR] [-q|-v]\n"
	      "        [--progress MODE]\n"
	      "\n"
	      "Write the files under each root into a BagIt bag in a compressed pax\n"
	      "archive (encrypted to each --recipient), then read it back and check\n"
	      "every entry against the manifest.\n"
	      "\n"
	      "Options:\n"
	      " -r, --root DIR              a directory to archive (repeatable)\n"
	      " -o, --output NAME           the archive to write (never overwritten):\n"
	      "                             BASE.tar.zst, encrypted BASE.tar.zst.enc\n"
	      "     --exclude GLOB          leave out matching paths (repeatable)\n"
	      "     --retain-until DATE     Retain-Until date, YYYY-MM-DD\n"
	      "     --series NAME           Records-Series\n"
	      "     --authority TEXT        Disposal-Authority\n"
	      "     --organization TEXT     Source-Organization\n"
	      "     --legal-hold            Legal-Hold: true\n"
	      "     --recipient CERT.pem    encrypt to this certificate (repeatable)\n"
	      KEY_HELP
	      "                             (to read an encrypted archive back)\n"
	      "     --run-dir DIR           write a new run record in DIR\n"
	      PROGRESS_HELP
	      COMMON_HELP
	      "\n"
	      "See dispose-archive(5).\n", stdout);
}

static void usage_verify(void)
{
	fputs("Usage:\n"
	      " dispose archive verify [--key KEY.pem --cert CERT.pem] [--run-dir DIR]\n"
	      "        [-J] [-q|-v] [--progress MODE] NAME\n"
	      "\n"
	      "Check every file of archive NAME against its bag's manifests.\n"
	      "\n"
	      "Options:\n"
	      KEY_HELP
	      "     --run-dir DIR           append the result to the record of NAME's create\n"
	      " -J, --json                  print the result as JSON\n"
	      PROGRESS_HELP
	      COMMON_HELP
	      "\n"
	      "See dispose-archive(5).\n", stdout);
}

static void usage_extract(void)
{
	fputs("Usage:\n"
	      " dispose archive extract -C DIR [--key KEY.pem --cert CERT.pem]\n"
	      "        [--same-owner] [--preserve-permissions] [--xattrs] [--acls]\n"
	      "        [--fflags] [-q|-v] [--progress MODE] NAME\n"
	      "\n"
	      "Verify archive NAME and extract its bag into DIR. Files are given to\n"
	      "the user running it, without setuid/setgid bits, file capabilities,\n"
	      "extended attributes, ACLs or file flags unless asked for.\n"
	      "\n"
	      "Options:\n"
	      " -C, --directory DIR         the existing directory to extract into\n"
	      KEY_HELP
	      "     --same-owner            restore owners and groups\n"
	      "     --preserve-permissions  restore setuid/setgid bits and capabilities\n"
	      "     --xattrs                restore extended attributes\n"
	      "     --acls                  restore POSIX ACLs\n"
	      "     --fflags                restore file flags (immutable, append-only)\n"
	      PROGRESS_HELP
	      COMMON_HELP
	      "\n"
	      "See dispose-archive(5).\n", stdout);
}

/* archive status's columns; the ST_* are their indexes */
enum { ST_ARCHIVE, ST_SERIES, ST_RETAIN, ST_HOLD, ST_ENCRYPTED, ST_STATUS, ST_BAGGED,
       ST_AUTHORITY, ST_ORG, ST_EXTID, ST_HOST, ST_FILES, ST_BYTES };
static const struct cli_column status_cols[] = {
	[ST_ARCHIVE] = { "ARCHIVE", 0.3, 0, "the archive (its path)" },
	[ST_SERIES] = { "SERIES", 0.15, CLI_COL_TRUNC, "its series" },
	[ST_RETAIN] = { "RETAIN-UNTIL", 10, 0, "retention date (YYYY-MM-DD)" },
	[ST_HOLD] = { "HOLD", 4, CLI_COL_BOOL, "under legal hold" },
	[ST_ENCRYPTED] = { "ENCRYPTED", 3, CLI_COL_BOOL, "has an encryption envelope" },
	[ST_STATUS] = { "STATUS", 8, 0, "eligible (for disposal), retained or held" },
	[ST_BAGGED] = { "BAGGED", 10, CLI_COL_HIDDEN, "bagging date" },
	[ST_AUTHORITY] = { "AUTHORITY", 0.2, CLI_COL_HIDDEN | CLI_COL_TRUNC, "retention authority" },
	[ST_ORG] = { "ORGANIZATION", 0.15, CLI_COL_HIDDEN | CLI_COL_TRUNC, "source organization" },
	[ST_EXTID] = { "EXTERNAL-ID", 0.1, CLI_COL_HIDDEN, "external identifier" },
	[ST_HOST] = { "SOURCE-HOST", 0.1, CLI_COL_HIDDEN, "host it was made on" },
	[ST_FILES] = { "FILES", 5, CLI_COL_HIDDEN | CLI_COL_NUMBER, "files in the payload" },
	[ST_BYTES] = { "BYTES", 5, CLI_COL_HIDDEN | CLI_COL_SIZE, "payload size" },
};

static void usage_status(void)
{
	fputs("Usage:\n"
	      " dispose archive status [-J] [--columns LIST] [--raw] [--noheadings] [-q|-v] DIR\n"
	      "\n"
	      "List the archives in DIR with their series, retention date, legal hold\n"
	      "and whether they may be disposed of.\n"
	      "\n"
	      "Options:\n"
	      " -J, --json                  print the list as JSON\n"
	      "     --columns LIST          print these columns (comma-separated; +LIST adds)\n"
	      "     --raw                   use the raw output format\n"
	      "     --noheadings            don't print headings\n"
	      COMMON_HELP, stdout);
	cli_table_help_columns(stdout, status_cols, DSP_ARRAY_SIZE(status_cols));
	fputs("\nSee dispose-archive(5).\n", stdout);
}

enum { O_ROOT = 256, O_EXCLUDE, O_RETAIN, O_SERIES, O_AUTH, O_ORG, O_HOLD,
       O_RECIP, O_KEY, O_CERT, O_RUNDIR, O_SAME_OWNER, O_PERMS, O_XATTRS, O_ACLS,
       O_FFLAGS, O_PROGRESS };

static const struct option longopts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "exclude", required_argument, NULL, O_EXCLUDE },
	{ "retain-until", required_argument, NULL, O_RETAIN },
	{ "series", required_argument, NULL, O_SERIES },
	{ "authority", required_argument, NULL, O_AUTH },
	{ "organization", required_argument, NULL, O_ORG },
	{ "legal-hold", no_argument, NULL, O_HOLD },
	{ "recipient", required_argument, NULL, O_RECIP },
	{ "key", required_argument, NULL, O_KEY },
	{ "cert", required_argument, NULL, O_CERT },
	{ "run-dir", required_argument, NULL, O_RUNDIR },
	{ "same-owner", no_argument, NULL, O_SAME_OWNER },
	{ "preserve-permissions", no_argument, NULL, O_PERMS },
	{ "xattrs", no_argument, NULL, O_XATTRS },
	{ "acls", no_argument, NULL, O_ACLS },
	{ "fflags", no_argument, NULL, O_FFLAGS },
	{ "output", required_argument, NULL, 'o' },
	{ "directory", required_argument, NULL, 'C' },
	{ "progress", required_argument, NULL, O_PROGRESS },
	{ "json", no_argument, NULL, 'J' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	CLI_TABLE_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *roots[MAXLIST + 1], *excludes[MAXLIST + 1], *recips[MAXLIST + 1];
	int nroots, nexcl, nrecip;
	struct dsp_archive_opts o;
	const char *run_dir, *out, *dir, *key, *cert;
	int verbose;		/* -1 with --quiet */
	int json;		/* -J: the report as JSON */
	struct cli_table_opts table;	/* status: --columns, --raw, --noheadings */
	unsigned xflags;	/* DSP_EXTRACT_* */
	enum progress_mode progress;	/* --progress (default auto) */
	int progress_given;
};

static int push(const char **list, int *n, const char *v, const char *what)
{
	if (*n == MAXLIST) {
		cli_err("%s: at most %d may be given", what, MAXLIST);
		return -1;
	}
	list[(*n)++] = v;
	list[*n] = NULL;
	return 0;
}

/* One bit per option that only some subcommands take (-q, -v and -h go everywhere). */
static unsigned opt_bit(int c)
{
	switch (c) {
	case 'r': return 1u << 0;
	case 'o': return 1u << 16;
	case 'C': return 1u << 17;
	case 'J': return 1u << 18;
	case O_PROGRESS: return 1u << 20;
	case CLI_OPT_COLUMNS: case CLI_OPT_RAW: case CLI_OPT_NOHEADINGS: return 1u << 19;
	}
	return c > O_ROOT && c <= O_FFLAGS ? 1u << (c - O_ROOT) : 0;
}

#define B(c) opt_bit(c)
#define ALLOW_CREATE (B('r') | B(O_EXCLUDE) | B(O_RETAIN) | B(O_SERIES) | B(O_AUTH) | \
		      B(O_ORG) | B(O_HOLD) | B(O_RECIP) | B(O_KEY) | B(O_CERT) | \
		      B(O_RUNDIR) | B('o') | B(O_PROGRESS))
#define ALLOW_VERIFY (B(O_KEY) | B(O_CERT) | B(O_RUNDIR) | B('J') | B(O_PROGRESS))
#define ALLOW_EXTRACT (B(O_KEY) | B(O_CERT) | B(O_SAME_OWNER) | B(O_PERMS) | B(O_XATTRS) | \
		       B(O_ACLS) | B(O_FFLAGS) | B('C') | B(O_PROGRESS))
#define ALLOW_STATUS (B('J') | B(CLI_OPT_RAW))

static int parse(int argc, char **argv, struct args *a, unsigned allowed,
		 void (*help)(void))
{
	char cmd[32];
	int c;

	snprintf(cmd, sizeof(cmd), "archive %s", argv[0]);
	progress_mode_parse("auto", &a->progress);
	optind = 1;
	while ((c = cli_getopt(argc, argv, "r:o:C:Jqvh", longopts, cmd)) != -1) {
		if (c == CLI_OPT_ERROR)
			return DSP_EXIT_USAGE;
		if (opt_bit(c) & ~allowed)
			/* silently ignoring it would let a mistake pass for a success */
			return cli_usage_error(cmd, "%s: not an option of %s", cli_optname(), cmd);
		switch (c) {
		case 'r':
			if (push(a->roots, &a->nroots, optarg, "--root"))
				return DSP_EXIT_USAGE;
			break;
		case O_EXCLUDE:
			if (push(a->excludes, &a->nexcl, optarg, "--exclude"))
				return DSP_EXIT_USAGE;
			break;
		case O_RECIP:
			if (push(a->recips, &a->nrecip, optarg, "--recipient"))
				return DSP_EXIT_USAGE;
			break;
		case O_RETAIN:
			if (!dsp_bag_date_valid(optarg))
				return cli_usage_error(cmd, "--retain-until: %s: not a date "
						       "(YYYY-MM-DD)", optarg);
			a->o.retain_until = optarg;
			break;
		case O_SERIES: a->o.series = optarg; break;
		case O_AUTH: a->o.authority = optarg; break;
		case O_ORG: a->o.organization = optarg; break;
		case O_HOLD: a->o.legal_hold = 1; break;
		case O_KEY: a->key = optarg; break;
		case O_CERT: a->cert = optarg; break;
		case O_RUNDIR: a->run_dir = optarg; break;
		case O_SAME_OWNER: a->xflags |= DSP_EXTRACT_SAME_OWNER; break;
		case O_PERMS: a->xflags |= DSP_EXTRACT_PERMS; break;
		case O_XATTRS: a->xflags |= DSP_EXTRACT_XATTRS; break;
		case O_ACLS: a->xflags |= DSP_EXTRACT_ACLS; break;
		case O_FFLAGS: a->xflags |= DSP_EXTRACT_FFLAGS; break;
		case 'o': a->out = optarg; break;
		case 'C': a->dir = optarg; break;
		case 'J': a->json = 1; break;
		case O_PROGRESS:
			if (progress_mode_parse(optarg, &a->progress))
				return cli_usage_error(cmd, "--progress: %s: expected "
						       PROGRESS_MODES, optarg);
			a->progress_given = 1;
			break;
		case CLI_OPT_COLUMNS: case CLI_OPT_RAW: case CLI_OPT_NOHEADINGS:
			cli_table_opt(&a->table, c, optarg);
			break;
		case 'q': a->verbose = -1; break;
		case 'v': a->verbose = a->verbose < 0 ? 1 : a->verbose + 1; break;
		case 'h':
			help();
			return -1;
		}
	}
	if ((a->key == NULL) != (a->cert == NULL))
		return cli_usage_error(cmd, "%s: needs %s too", a->key ? "--key" : "--cert",
				       a->key ? "--cert" : "--key");
	if (a->verbose < 0 && !a->progress_given)
		a->progress = PROGRESS_NONE;	/* -q: none unless asked for */
	cli_log_init(a->verbose > 0 ? a->verbose : 0);
	return 0;
}

/* The one NAME (or DIR) after the options: 0 or a usage error. */
static int one_arg(const char *cmd, const char *what, int argc, char **argv)
{
	if (optind >= argc)
		return cli_usage_error(cmd, "%s: missing", what);
	if (optind < argc - 1)
		return cli_usage_error(cmd, "%s: unexpected argument (one %s only)",
				       argv[optind + 1], what);
	return cli_nonempty(cmd, what, argv[optind]);
}

/* verify's and extract's inputs: the archive, and --key/--cert when given. */
static int inputs(const struct args *a, const char *name)
{
	int rc = cli_need_input(name, 0);

	if (!rc && a->key)
		rc = cli_need_input(a->key, 0);
	if (!rc && a->cert)
		rc = cli_need_input(a->cert, 0);
	return rc;
}

/* ---- --progress: one display for create, verify and extract ---- */

struct arc_prog {
	struct progress *p;
	struct dsp_log_sink sink, prev;
};

static void on_arc_progress(const struct dsp_archive_progress *ap, void *arg)
{
	/* one pass is shown without pass numbers */
	struct progress_state s = {
		.phase = ap->phase, .pass = ap->npasses > 1 ? ap->pass : 0,
		.npasses = ap->npasses > 1 ? ap->npasses : 0,
		.done = ap->done, .total = ap->total,
		.all_done = ap->all_done, .all_total = ap->all_total,
		.count = ap->files, .count_name = "files",
	};

	progress_set(arg, 0, &s);
}

/*
 * Start the display for NAME (nothing with --progress none); the core's
 * messages go around it until arc_prog_end. JSON lines go to stderr: the
 * report is on stdout.
 */
static void arc_prog_start(struct arc_prog *ap, const struct args *a, const char *name,
			   dsp_archive_progress_fn *fn, void **arg)
{
	ap->p = a->progress == PROGRESS_NONE ? NULL : progress_new(a->progress, 1);
	if (!ap->p)
		return;
	progress_json_stream(ap->p, stderr);
	progress_target(ap->p, 0, "archive", name);
	ap->sink = progress_log_sink(ap->p, a->verbose > 0 ? a->verbose : 0);
	ap->prev = dsp_log_use(&ap->sink);
	*fn = on_arc_progress;
	*arg = ap->p;
}

static void arc_prog_end(struct arc_prog *ap, int rc)
{
	if (!ap->p)
		return;
	dsp_log_use(&ap->prev);
	progress_finish(ap->p, 0, rc == 0 ? "success" : rc == DSP_PARTIAL ?
			"completed-with-errors" : rc == DSP_MISMATCH ? "mismatch" :
			rc == -EINTR ? "interrupted" : "failed");
	progress_free(ap->p);
	ap->p = NULL;
}

/* verify appends to the record of the archive's create, never to another command's */
static int open_record(const char *run_dir, struct dsp_ledger **l)
{
	int rc = dsp_ledger_open_cmd(run_dir, DSP_LEDGER_RESUME | DSP_LEDGER_LOCK,
				     DSP_ARCHIVE_CREATE_CMD, l);

	if (rc == 0)
		return 0;
	*l = NULL;
	if (rc == DSP_REFUSED)	/* the ledger said why: in use, or not one run's record */
		return DSP_EXIT_REFUSED;
	cli_err("%s: cannot open the run record: %s", run_dir,
		rc < 0 ? strerror(-rc) : "hash chain broken");
	/* damaged or unusable (EACCES, EROFS, ENOSPC...): one code, whatever the errno */
	return DSP_EXIT_USAGE;
}

/* s as one shell word, so the recipe can be pasted whatever the name holds */
static void put_word(const char *s, const char *suffix)
{
	if (!s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			 "@%+=:,./_-")]) {
		printf("%s%s", s, suffix);
		return;
	}
	putchar('\'');
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	printf("%s'", suffix);
}

static void print_recipe(const char *name, const struct dsp_archive_result *r)
{
	printf("Recovery with stock tools:\n");
	if (r->encrypted) {
		printf("  openssl cms -decrypt -binary -inform DER -in ");
		put_word(name, DSP_ENV_SUFFIX);
		printf(" -content ");
		put_word(name, "");
		printf(" -recip CERT.pem -inkey KEY.pem | zstd -dc | bsdtar -xpf -\n");
	} else {
		printf("  zstd -dc ");
		put_word(name, "");
		printf(" | bsdtar -xpf -\n");
	}
	printf("  cd ");
	put_word(r->bag, "");
	printf(" && sha512sum -c tagmanifest-sha512.txt && sha512sum -c manifest-sha512.txt\n");
}

/* One line naming NAME once and the reason once, whatever bad_path already says. */
static void create_err(const char *name, const char *bad, int rc)
{
	const char *why = rc < 0 ? strerror(-rc) : "failed";
	size_t nl = strlen(name), bl = strlen(bad), wl = strlen(why);

	if (!strncmp(bad, name, nl) && !strncmp(bad + nl, ": ", 2))
		bad += nl + 2;
	bl = strlen(bad);
	if (bl > wl + 2 && !strcmp(bad + bl - wl, why) && !strncmp(bad + bl - wl - 2, ": ", 2))
		cli_err("%s: %s", name, bad);
	else
		cli_err("%s: %s: %s", name, bad, why);
}

/* What create's rc means to the user: the message, and the exit code. */
static int create_verdict(const char *name, int rc, const struct dsp_archive_result *r)
{
	switch (rc) {
	case 0:
	case DSP_PARTIAL:	/* kept: the files that changed are named above */
		return cli_exit_code(rc, 0);
	case -EINTR:
		cli_err("%s: interrupted; nothing of it was kept", name);
		return cli_exit_code(DSP_INTERRUPTED, cli_stop_sig);
	case DSP_INVALID:
		cli_err("%s", r->bad_path);	/* it names the option or file at fault */
		return cli_exit_code(rc, 0);
	case DSP_MISMATCH:
		cli_err("%s: read-back verification failed: %s", name, r->bad_path);
		cli_err("%s: left as %s%s", name, name, DSP_FAILED_SUFFIX);
		return cli_exit_code(rc, 0);
	default:
		if (rc == -EEXIST && r->bad_path[0])
			cli_err("%s", r->bad_path);	/* it names the file */
		else if (rc == -EEXIST)
			cli_err("%s: exists (or its %s / %s does)", name, DSP_ENV_SUFFIX,
				DSP_BAG_INFO_SUFFIX);
		else if (rc == -ENOSYS)
			cli_err("%s: encryption is not available in this build", name);
		else if (r->bad_path[0])
			create_err(name, r->bad_path, rc);
		else
			cli_err("%s: %s", name, rc < 0 ? strerror(-rc) : "failed");
		return DSP_EXIT_FAILED;
	}
}

static int do_create(int argc, char **argv, int full_argc, char **full_argv)
{
	struct args a = { 0 };
	struct dsp_archive_result r;
	struct dsp_ledger *l = NULL;
	char buf[32], run[4096] = "", why[4200];
	int rc, ex;

	if ((rc = parse(argc, argv, &a, ALLOW_CREATE, usage_create)))
		return rc < 0 ? DSP_EXIT_OK : rc;
	if (optind != argc)
		return cli_usage_error("archive create", "%s: unexpected argument (roots are "
				       "given with --root)", argv[optind]);
	if (!a.out || !a.nroots)
		return cli_usage_error("archive create", "%s: missing", a.out ? "--root DIR" :
				       "-o NAME");
	/* a root may be a single file too */
	for (int i = 0; i < a.nroots; i++)
		if ((rc = cli_need_input(a.roots[i], 0)))
			return rc;
	for (int i = 0; i < a.nrecip; i++)
		if ((rc = cli_need_input(a.recips[i], 0)))
			return rc;
	if ((a.key && (rc = cli_need_input(a.key, 0))) ||
	    (a.cert && (rc = cli_need_input(a.cert, 0))))
		return rc;
	/* one naming rule: an encrypted archive never looks like a plain tar.zst */
	if (dsp_archive_name_check(a.out, a.nrecip > 0, why, sizeof(why))) {
		cli_err("%s", why);
		return DSP_EXIT_USAGE;
	}
	/* before a run record is opened for nothing */
	if (!access(a.out, F_OK)) {
		cli_err("%s: exists", a.out);
		return DSP_EXIT_FAILED;
	}
	a.o.roots = a.roots;
	a.o.excludes = a.excludes;
	a.o.recipients = a.nrecip ? a.recips : NULL;
	a.o.key = a.key;
	a.o.cert = a.cert;
	/* a usage error leaves no run directory behind */
	if ((rc = dsp_archive_create_check(a.out, &a.o, a.run_dir, &r)))
		return create_verdict(a.out, rc, &r);
	/*
	 * Stop cleanly: nothing half-written is left to pass for an archive,
	 * and a record once started gets its run_end. Restarted system calls:
	 * the core polls cli_stop_sig between files.
	 */
	cli_catch_stop(SA_RESTART);
	/* the whole command line, as erase records it: argv[0] is "dispose" */
	char **fa = calloc((size_t)full_argc + 2, sizeof(*fa));

	if (!fa) {
		cli_err("archive create: %s", strerror(ENOMEM));
		return DSP_EXIT_FAILED;
	}
	fa[0] = (char *)DSP_TOOL_NAME;
	memcpy(fa + 1, full_argv, (size_t)full_argc * sizeof(*fa));
	rc = dsp_archive_run_start(a.run_dir, full_argc + 1, fa, &l, why, sizeof(why));
	free(fa);
	if (rc) {
		if (why[0])
			cli_err("%s", why);
		/* in use, holds a record, or unusable whatever the errno: all 2 */
		return DSP_EXIT_USAGE;
	}
	snprintf(run, sizeof(run), "%s", dsp_ledger_dir(l));
	a.o.ledger = l;
	a.o.stop = &cli_stop_sig;
	struct arc_prog ap = { 0 };

	arc_prog_start(&ap, &a, a.out, &a.o.progress, &a.o.progress_arg);
	rc = dsp_archive_create(a.out, &a.o, &r);
	arc_prog_end(&ap, rc);
	ex = create_verdict(a.out, rc, &r);
	if (dsp_archive_run_end(l, rc, ex) && ex == DSP_EXIT_OK) {
		cli_err("%s: cannot write the run record's run_end", run);
		ex = DSP_EXIT_FAILED;
	}
	if (rc != 0 && rc != DSP_PARTIAL)
		return ex;
	printf("archive: %s (%llu file%s, %s payload", a.out,
	       (unsigned long long)r.files, CLI_S(r.files), cli_human_size(r.payload_bytes, buf, sizeof(buf)));
	printf(", %s written)\n", cli_human_size(r.archive_bytes, buf, sizeof(buf)));
	printf("sha256: %s\n", r.sha256);
	if (r.encrypted)
		printf("envelope: %s%s sha256: %s\n", a.out, DSP_ENV_SUFFIX, r.env_sha256);
	printf("bag: %s, External-Identifier: %s\n", r.bag, r.external_id);
	printf("read back: every entry matches the manifest\n");
	printf("run record: %s\n", run);
	print_recipe(a.out, &r);
	if (rc == DSP_PARTIAL) {
		/* as GNU tar: the archive is kept, the run is not clean */
		cli_err("%s: %llu file%s changed as %s read: archived as read, but not "
			"counted as retained", a.out, (unsigned long long)r.changed,
			r.changed == 1 ? "" : "s", r.changed == 1 ? "it was" : "they were");
	}
	return ex;
}

static int verdict(const char *name, int rc, const struct dsp_archive_result *r,
		   int refused_exit)
{
	switch (rc) {
	case 0:
		return DSP_EXIT_OK;
	case DSP_MISMATCH:
		if (r->bad_said)	/* it names the file at fault itself */
			cli_err("%s", r->bad_path);
		else
			cli_err("%s: %s", name, r->bad_path[0] ? r->bad_path : "mismatch");
		return DSP_EXIT_MISMATCH;
	case DSP_INVALID:
		if (r->bad_said)
			cli_err("%s", r->bad_path);
		else
			cli_err("%s: not an archive of ours: %s", name, r->bad_path);
		return DSP_EXIT_USAGE;
	case DSP_REFUSED:
		cli_err("%s: refused: %s", name, r->bad_path);
		return refused_exit;
	case DSP_PARTIAL:
		cli_err("%s: extracted with warnings (see above)", name);
		return DSP_EXIT_FAILED;
	case -ENOSYS:
		cli_err("%s: decryption is not available in this build", name);
		return DSP_EXIT_FAILED;
	case -EEXIST:
		cli_err("%s: %s", name, r->bad_path[0] ? r->bad_path : "target exists");
		return DSP_EXIT_REFUSED;
	default:
		if (r->bad_said)
			cli_err("%s", r->bad_path);
		else if (r->bad_path[0])
			cli_err("%s: %s", name, r->bad_path);
		else
			cli_err("%s: %s", name, rc < 0 ? strerror(-rc) : "failed");
		return DSP_EXIT_FAILED;
	}
}

/*
 * Before NAME is read, one line each: another file of an archive given
 * instead of it gets a hint; an encrypted archive without --key, or with a
 * key that cannot open it, says so plainly rather than "not ours".
 */
static int need_key(const char *name, const struct args *a)
{
	char env[4200], arc[4200], what[64];
	struct dsp_archive_result r;
	int rc;

	if (dsp_archive_member_of(name, arc, sizeof(arc), what, sizeof(what))) {
		cli_err("%s: this is %s of archive %s; pass %s", name, what, arc, arc);
		return DSP_EXIT_USAGE;
	}
	if (dsp_archive_envelope_missing(name, env, sizeof(env))) {
		cli_err("%s: an encrypted archive without its envelope: %s is missing", name, env);
		return DSP_EXIT_USAGE;
	}
	if (a->key) {
		if (!(rc = dsp_archive_key_check(name, a->key, a->cert, &r)))
			return 0;
		if (r.bad_path[0])
			cli_err("%s", r.bad_path);
		return rc == DSP_INVALID || rc == -ENOENT ? DSP_EXIT_USAGE : DSP_EXIT_FAILED;
	}
	if ((size_t)snprintf(env, sizeof(env), "%s%s", name, DSP_ENV_SUFFIX) >= sizeof(env) ||
	    access(env, F_OK))
		return 0;
	cli_err("%s: encrypted (%s exists): --key and --cert are needed", name, env);
	return DSP_EXIT_USAGE;
}

/*
 * A record verify may not write to: none there or damaged is invalid
 * input (2, as for erase); another command's, or one without this archive,
 * is refused (4, as erase --resume refuses another command's record).
 */
static int record_exit(const struct dsp_archive_result *r)
{
	return r->record_refused == DSP_REFUSED ? DSP_EXIT_REFUSED : DSP_EXIT_USAGE;
}

/* verify -J: the verdict as one JSON object (a mismatch too: it is the result). */
static int verify_json(const char *name, int ex, const struct dsp_archive_result *r)
{
	struct json_object *o = json_object_new_object();
	const char *js;

	if (!o || dsp_json_add_bytes(o, "archive", name)) {
		json_object_put(o);
		cli_err("archive verify: %s", strerror(ENOMEM));
		return DSP_EXIT_FAILED;
	}
	json_object_object_add(o, "result", json_object_new_string(ex == DSP_EXIT_OK ? "ok" :
								   "mismatch"));
	if (ex == DSP_EXIT_OK) {
		json_object_object_add(o, "files", json_object_new_int64((int64_t)r->files));
		json_object_object_add(o, "payload_bytes",
				       json_object_new_int64((int64_t)r->payload_bytes));
		dsp_json_add_bytes(o, "bag", r->bag);
	} else {
		dsp_json_add_bytes(o, "reason", r->bad_path[0] ? r->bad_path : "mismatch");
	}
	json_object_object_add(o, "encrypted", json_object_new_boolean(r->encrypted));
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_NOSLASHESCAPE);
	puts(js ? js : "{}");
	json_object_put(o);
	return ex;
}

static int do_verify(int argc, char **argv)
{
	struct args a = { 0 };
	struct dsp_archive_result r;
	struct dsp_ledger *l = NULL;
	char buf[32];
	int rc;

	if ((rc = parse(argc, argv, &a, ALLOW_VERIFY, usage_verify)))
		return rc < 0 ? DSP_EXIT_OK : rc;
	if ((rc = one_arg("archive verify", "NAME", argc, argv)) ||
	    (rc = inputs(&a, argv[optind])))
		return rc;
	if ((rc = need_key(argv[optind], &a)))
		return rc;
	if (a.run_dir) {
		/* before the archive is read: a record that is not one is refused at once */
		rc = dsp_archive_record_check(a.run_dir, &r);
		if (r.record_refused) {
			cli_err("%s", r.bad_path);
			return record_exit(&r);
		}
		if (rc) {
			/* an unusable run directory is invalid input, whatever the errno */
			cli_err("%s: cannot read the run record: %s", a.run_dir, strerror(-rc));
			return DSP_EXIT_USAGE;
		}
		if ((rc = open_record(a.run_dir, &l)))
			return rc;
	}
	struct dsp_archive_read_opts ro = { .key = a.key, .cert = a.cert, .ledger = l };
	struct arc_prog ap = { 0 };

	arc_prog_start(&ap, &a, argv[optind], &ro.progress, &ro.progress_arg);
	rc = dsp_archive_verify_with(argv[optind], &ro, &r);
	arc_prog_end(&ap, rc);
	dsp_ledger_close(l);
	if (rc && r.record_refused) {
		cli_err("%s", r.bad_path);
		return record_exit(&r);
	}
	/* an archive with unsafe paths is not one of ours */
	rc = verdict(argv[optind], rc, &r, DSP_EXIT_USAGE);
	if (a.json && (rc == DSP_EXIT_OK || rc == DSP_EXIT_MISMATCH))
		return verify_json(argv[optind], rc, &r);
	if (rc == DSP_EXIT_OK)
		printf("%s: ok (%llu file%s, %s payload, bag %s)\n", argv[optind],
		       (unsigned long long)r.files, CLI_S(r.files),
		       cli_human_size(r.payload_bytes, buf, sizeof(buf)), r.bag);
	return rc;
}

static int do_extract(int argc, char **argv)
{
	struct args a = { 0 };
	struct dsp_archive_result r;
	struct stat st;
	int rc;

	if ((rc = parse(argc, argv, &a, ALLOW_EXTRACT, usage_extract)))
		return rc < 0 ? DSP_EXIT_OK : rc;
	if ((rc = one_arg("archive extract", "NAME", argc, argv)))
		return rc;
	if (!a.dir)
		return cli_usage_error("archive extract", "-C DIR: missing");
	if ((rc = inputs(&a, argv[optind])) || (rc = cli_need_input(a.dir, 1)))
		return rc;
	if ((rc = need_key(argv[optind], &a)))
		return rc;
	/* otherwise a missing DIR would be reported against NAME */
	if (stat(a.dir, &st) < 0) {
		cli_err("%s: %s", a.dir, strerror(errno));
		return DSP_EXIT_FAILED;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_err("%s: not a directory", a.dir);
		return DSP_EXIT_FAILED;
	}
	struct dsp_archive_read_opts ro = { .key = a.key, .cert = a.cert, .flags = a.xflags };
	struct arc_prog ap = { 0 };

	arc_prog_start(&ap, &a, argv[optind], &ro.progress, &ro.progress_arg);
	rc = dsp_archive_extract_with(argv[optind], a.dir, &ro, &r);
	arc_prog_end(&ap, rc);
	rc = verdict(argv[optind], rc, &r, DSP_EXIT_REFUSED);
	if (rc == DSP_EXIT_OK)
		printf("%s: verified and extracted to %s/%s (%llu file%s)\n",
		       argv[optind], a.dir, r.bag, (unsigned long long)r.files, CLI_S(r.files));
	return rc;
}

/* Control characters (C0, DEL, C1) of str as '?' into buf: names come from the disk. */
static const char *vis(const char *str, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t o = 0;

	for (; *p && o + 1 < len; p++) {
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf[o++] = '?';
			p++;
		} else {
			buf[o++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
		}
	}
	buf[o] = '\0';
	return buf;
}

struct status_ctx {
	struct cli_table *t;
	int bad;
};

static int status_row(void *arg, const char *name, const struct dsp_bag_meta *m,
		      int encrypted)
{
	char vn[4200];
	struct stat st;
	struct status_ctx *x = arg;
	struct cli_row *r;
	int rc = 0;

	vis(name, vn, sizeof(vn));
	/* a tag copy left behind must not pass for an archive */
	if (lstat(name, &st) < 0 && errno == ENOENT) {
		cli_err("%s: missing (only its %s is left)", vn, DSP_BAG_INFO_SUFFIX);
		x->bad = 1;
		return 0;
	}
	if (!m) {
		cli_err("%s%s: unreadable or malformed", vn, DSP_BAG_INFO_SUFFIX);
		x->bad = 1;
		return 0;
	}
	/* the table shows names safely (json.h's text), the JSON keeps their bytes */
	if (!(r = cli_table_row(x->t, NULL)))
		return -ENOMEM;
	rc |= cli_cell(r, ST_ARCHIVE, name);
	rc |= cli_cell(r, ST_SERIES, m->series);
	rc |= cli_cell(r, ST_RETAIN, m->retain_until);
	rc |= cli_cell_bool(r, ST_HOLD, m->legal_hold);
	rc |= cli_cell(r, ST_STATUS, dsp_archive_retention_name(dsp_archive_retention(m, NULL)));
	rc |= cli_cell_bool(r, ST_ENCRYPTED, encrypted);
	rc |= cli_cell(r, ST_BAGGED, m->bagging_date);
	rc |= cli_cell(r, ST_AUTHORITY, m->authority);
	rc |= cli_cell(r, ST_ORG, m->organization);
	rc |= cli_cell(r, ST_EXTID, m->external_id);
	rc |= cli_cell(r, ST_HOST, m->source_host);
	if (m->has_oxum) {
		rc |= cli_cell_u64(r, ST_FILES, m->oxum_files);
		rc |= cli_cell_u64(r, ST_BYTES, m->oxum_bytes);
	}
	return rc ? -ENOMEM : 0;
}

static int do_status(int argc, char **argv)
{
	struct args a = { 0 };
	struct status_ctx x = { 0 };
	int rc;

	if ((rc = parse(argc, argv, &a, ALLOW_STATUS, usage_status)))
		return rc < 0 ? DSP_EXIT_OK : rc;
	/* nothing printed for a DIR that is none or a bad --columns */
	if ((rc = one_arg("archive status", "DIR", argc, argv)) ||
	    (rc = cli_need_input(argv[optind], 1)))
		return rc;
	a.table.json = a.json;
	if ((rc = cli_table_new(&x.t, "archive status", "archives", status_cols,
				DSP_ARRAY_SIZE(status_cols), &a.table)))
		return rc;
	/* the whole table at the end: its column widths depend on every row */
	rc = dsp_archive_status(argv[optind], status_row, &x);
	if (!rc)
		rc = cli_table_print(x.t, stdout);
	cli_table_free(x.t);
	if (rc) {
		cli_err("%s: %s", argv[optind], strerror(-rc));
		return DSP_EXIT_FAILED;
	}
	return x.bad ? DSP_EXIT_FAILED : DSP_EXIT_OK;
}

int cmd_archive(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("archive", "archive: needs a subcommand (create, verify, "
				       "extract or status)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return DSP_EXIT_OK;
	}
	if (!strcmp(argv[1], "create"))
		return do_create(argc - 1, argv + 1, argc, argv);
	if (!strcmp(argv[1], "verify"))
		return do_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "extract"))
		return do_extract(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return do_status(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		return cli_usage_error("archive", "%s: unknown option", argv[1]);
	if (!argv[1][0])
		return cli_usage_error("archive", "SUBCOMMAND: empty argument");
	return cli_usage_error("archive", "%s: unknown subcommand", argv[1]);
}
