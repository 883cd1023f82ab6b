/* SPDX-License-Identifier: MIT */
/* cmd_run.c - dispose run: options, confirmation, progress and the closing words over dsp_run */
#include "cli.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/run.h"
#include "progress.h"

struct run_ctl {
	struct dsp_run_opts o;
	const char **set;
	size_t nset;
	enum progress_mode mode;
	int verbose, quiet, yes, progress_set;
	struct progress *prog;
	/* --progress json: the last line's time and step, so lines come once a second */
	pthread_mutex_t lock;
	double last, t0;
	int last_step;
	char label[PATH_MAX + 64];
};

enum { O_POLICY = CHAR_MAX + 1, O_SET, O_RUN_DIR, O_INVENTORY, O_RESUME, O_PROGRESS };

static const struct option longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "inventory", required_argument, NULL, O_INVENTORY },
	{ "policy", required_argument, NULL, O_POLICY },
	{ "progress", required_argument, NULL, O_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "resume", no_argument, NULL, O_RESUME },
	{ "run-dir", required_argument, NULL, O_RUN_DIR },
	{ "set", required_argument, NULL, O_SET },
	{ "verbose", no_argument, NULL, 'v' },
	{ "yes", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs("Usage:\n"
	      " dispose run --policy NAME|FILE [--set NAME=VALUE]... [--run-dir DIR]\n"
	      "             [--inventory FILE] [--yes] [--dry-run]\n"
	      "             [--progress auto|bar|lines|json|none] [-q|-v]\n"
	      " dispose run --resume --run-dir DIR [--policy NAME|FILE] [--yes]\n"
	      "\n"
	      "Inventory, plan, archive what is retained, verify the archives, erase,\n"
	      "and certify the whole machine in one run directory with one record.\n"
	      "Nothing retained is erased unless a verified archive of the run covers\n"
	      "it as it is right before the erase.\n"
	      "\n"
	      "Options:\n"
	      "     --policy NAME|FILE  the policy (dispose-policy(5)); a shipped one by\n"
	      "                         name, e.g. server-decommission\n"
	      "     --set NAME=VALUE    a policy variable (${NAME}); repeatable\n"
	      "     --run-dir DIR       the run directory (made if missing; default:\n"
	      "                         /var/lib/dispose/runs/<UTC time>-<host>)\n"
	      "     --inventory FILE    use this inventory instead of scanning\n"
	      " -y, --yes               do not ask for confirmation\n"
	      " -n, --dry-run           show the inventory's plan; write nothing\n"
	      "     --resume            continue the interrupted run in --run-dir\n"
	      "     --progress MODE     auto, bar, lines, json (on stdout) or none\n"
	      " -q, --quiet             no progress (unless --progress is given)\n"
	      " -v, --verbose           also show informational messages and every item\n"
	      " -h, --help              display this help\n"
	      "\n"
	      "For more details see dispose(8) and dispose-policy(5).\n", stdout);
}

#define usage_error(...) cli_usage_error("run", __VA_ARGS__)

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* core messages go around the progress display */
static void run_log(enum dsp_log_level level, const char *msg, void *arg)
{
	struct run_ctl *ctl = arg;

	if ((level == DSP_LOG_DEBUG && ctl->verbose < 2) ||
	    (level == DSP_LOG_INFO && ctl->verbose < 1))
		return;
	progress_message(ctl->prog, "%s%s", level == DSP_LOG_WARN ? "warning: " : "", msg);
}

/* ---- the confirmation: the plan, then the host's name typed ---- */

static int confirm(struct json_object *plan, void *arg)
{
	struct run_ctl *ctl = arg;
	char host[256] = "", prompt[512];

	if (cli_need_tty("nothing archived or erased", "run"))
		return DSP_EXIT_REFUSED;
	progress_free(ctl->prog);	/* the prompt needs the terminal */
	ctl->prog = NULL;
	dsp_plan_print(stderr, plan, ctl->verbose > 0);
	gethostname(host, sizeof(host) - 1);
	fprintf(stderr, "WARNING: what the plan marks erase will be destroyed on this machine.\n");
	snprintf(prompt, sizeof(prompt), "Type the host name '%s' to run this plan: ", host);
	if (!cli_confirm_typed(prompt, host)) {
		cli_err("%s: not confirmed; nothing archived or erased", host);
		return DSP_EXIT_REFUSED;
	}
	ctl->prog = ctl->mode == PROGRESS_NONE || ctl->mode == PROGRESS_JSON ? NULL :
		    progress_new(ctl->mode, 1);
	return 0;
}

/* ---- progress: step i/N, what, the whole run's ETA ---- */

static void on_step(enum dsp_run_step s, const char *status, void *arg)
{
	struct run_ctl *ctl = arg;
	struct json_object *o;

	if (ctl->mode == PROGRESS_JSON) {
		if (!(o = json_object_new_object()))
			return;
		json_object_object_add(o, "event", json_object_new_string("step"));
		json_object_object_add(o, "step", json_object_new_string(dsp_run_step_name(s)));
		json_object_object_add(o, "step_index", json_object_new_int((int)s + 1));
		json_object_object_add(o, "steps", json_object_new_int(DSP_STEP_COUNT));
		json_object_object_add(o, "status", json_object_new_string(status ? status :
									   "started"));
		progress_json_print(o);
		return;
	}
	if (ctl->quiet || ctl->mode == PROGRESS_NONE)
		return;
	if (!status)
		progress_message(ctl->prog, "step %d/%d: %s", (int)s + 1, DSP_STEP_COUNT,
				 dsp_run_step_name(s));
	else if (strcmp(status, "success"))
		progress_message(ctl->prog, "step %d/%d: %s: %s", (int)s + 1, DSP_STEP_COUNT,
				 dsp_run_step_name(s), status);
}

static void on_progress(const struct dsp_run_progress *p, void *arg)
{
	struct run_ctl *ctl = arg;
	double t = now_secs();

	pthread_mutex_lock(&ctl->lock);
	if (!ctl->t0)
		ctl->t0 = t;
	if (ctl->mode == PROGRESS_JSON) {
		struct json_object *o;

		if ((int)p->step == ctl->last_step && t - ctl->last < 1.0) {
			pthread_mutex_unlock(&ctl->lock);
			return;
		}
		ctl->last = t;
		ctl->last_step = (int)p->step;
		if ((o = json_object_new_object())) {
			json_object_object_add(o, "event", json_object_new_string("progress"));
			json_object_object_add(o, "step", json_object_new_string(
				dsp_run_step_name(p->step)));
			json_object_object_add(o, "step_index", json_object_new_int((int)p->step + 1));
			json_object_object_add(o, "steps", json_object_new_int(DSP_STEP_COUNT));
			dsp_json_add_bytes(o, "what", p->what);
			json_object_object_add(o, "phase", p->phase ?
					       json_object_new_string(p->phase) : NULL);
			json_object_object_add(o, "done", json_object_new_uint64(p->done));
			json_object_object_add(o, "total", json_object_new_uint64(p->total));
			json_object_object_add(o, "all_done", json_object_new_uint64(p->all_done));
			json_object_object_add(o, "all_total", json_object_new_uint64(p->all_total));
			/* the whole run's rate so far; null: not known yet */
			double el = t - ctl->t0, eta = -1;

			if (p->all_total && p->all_done && el > 0.5)
				eta = (double)(p->all_total - p->all_done) * el / (double)p->all_done;
			json_object_object_add(o, "eta", eta < 0 ? NULL :
					       json_object_new_int64((int64_t)(eta + 0.5)));
			progress_json_print(o);
		}
	} else if (ctl->prog) {
		struct progress_state s = {
			.phase = p->phase ? p->phase : dsp_run_step_name(p->step),
			.done = p->done, .total = p->total,
			.all_done = p->all_done, .all_total = p->all_total,
		};
		char id[16], label[PATH_MAX + 64];

		const char *w = p->what ? strrchr(p->what, '/') : NULL;

		/* the bar's label is short: the step first, then the item's last name */
		w = w && w[1] ? w + 1 : p->what;
		snprintf(id, sizeof(id), "%d/%d", (int)p->step + 1, DSP_STEP_COUNT);
		snprintf(label, sizeof(label), "%s %s%s%.4000s", id, dsp_run_step_name(p->step),
			 w ? " " : "", w ? w : "");
		if (strcmp(label, ctl->label)) {
			snprintf(ctl->label, sizeof(ctl->label), "%s", label);
			progress_target(ctl->prog, 0, id, label);
		}
		progress_set(ctl->prog, 0, &s);
	}
	pthread_mutex_unlock(&ctl->lock);
}

/* ---- the command ---- */

static int parse_args(struct run_ctl *ctl, int argc, char **argv)
{
	int c;

	while ((c = cli_getopt(argc, argv, "hnqvy", longopts, "run")) != -1) {
		switch (c) {
		case CLI_OPT_ERROR:
			return DSP_EXIT_USAGE;
		case 'h':
			usage();
			return -1;
		case 'n':
			ctl->o.dry_run = true;
			break;
		case 'q':
			ctl->quiet = 1;
			ctl->verbose = 0;
			break;
		case 'v':
			ctl->verbose++;
			ctl->quiet = 0;
			break;
		case 'y':
			ctl->yes = 1;
			break;
		case O_POLICY:
			ctl->o.policy = optarg;
			break;
		case O_SET:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage_error("--set: %s: expected NAME=VALUE", optarg);
			ctl->set[ctl->nset++] = optarg;
			break;
		case O_RUN_DIR:
			ctl->o.run_dir = optarg;
			break;
		case O_INVENTORY:
			ctl->o.inventory = optarg;
			break;
		case O_RESUME:
			ctl->o.resume = true;
			break;
		case O_PROGRESS:
			if (progress_mode_parse(optarg, &ctl->mode))
				return usage_error("--progress: %s: expected " PROGRESS_MODES, optarg);
			ctl->progress_set = 1;
			break;
		}
	}
	if (optind < argc)
		return usage_error("%s: unexpected argument", argv[optind]);
	if (ctl->quiet && !ctl->progress_set)
		ctl->mode = PROGRESS_NONE;
	if (ctl->o.resume && !ctl->o.run_dir)
		return usage_error("--resume: needs --run-dir DIR");
	if (ctl->o.resume && ctl->o.dry_run)
		return usage_error("--dry-run: cannot be combined with --resume");
	if (ctl->o.resume && ctl->o.inventory)
		return usage_error("--inventory: cannot change on --resume");
	if (ctl->o.resume && ctl->nset)
		return usage_error("--set: cannot change on --resume (the recorded values are used)");
	if (!ctl->o.resume && !ctl->o.policy)
		return usage_error("--policy: missing");
	if (ctl->o.inventory && cli_need_input(ctl->o.inventory, 0))
		return DSP_EXIT_USAGE;
	if (ctl->o.resume && cli_need_input(ctl->o.run_dir, 1))
		return DSP_EXIT_USAGE;
	return 0;
}

static void print_result(const struct run_ctl *ctl, const struct dsp_run_result *res, int ex)
{
	if (ctl->mode == PROGRESS_JSON) {
		struct json_object *o = json_object_new_object();

		if (!o)
			return;
		json_object_object_add(o, "event", json_object_new_string("result"));
		json_object_object_add(o, "status", json_object_new_string(res->status));
		json_object_object_add(o, "exit", json_object_new_int(ex));
		dsp_json_add_bytes(o, "run_dir", res->run_dir[0] ? res->run_dir : NULL);
		dsp_json_add_bytes(o, "certificate", res->certificate[0] ? res->certificate : NULL);
		json_object_object_add(o, "certificate_ok",
				       json_object_new_boolean(res->certificate_ok));
		dsp_json_add_bytes(o, "verify_cmd", res->verify_cmd[0] ? res->verify_cmd : NULL);
		progress_json_print(o);
		return;
	}
	/* a run that never opened (a refused --resume) said its one line already */
	if (!res->run_dir[0] || !res->status[0])
		return;
	printf("run directory: %s (%s)\n", res->run_dir, res->status);
	if (res->nothing_to_erase) {
		printf("nothing to erase: no disposal certificate; the archives and their "
		       "verification are in the record %s/events.jsonl\n", res->run_dir);
	} else if (res->certificate[0]) {
		printf("certificate: %s (%s)\n", res->certificate, res->certificate_ok ?
		       "certificate of sanitization" : "sanitization failure report");
		printf("verify it with: %s\n", res->verify_cmd);
	} else if (strcmp(res->status, "interrupted")) {
		printf("no certificate: certify later with: dispose certify --run-dir %s "
		       "--key KEY --cert CERT -o NAME.json\n", res->run_dir);
	}
}

int cmd_run(int argc, char **argv)
{
	struct run_ctl ctl = {
		.o = { .argc = argc, .argv = argv, .stop = &cli_stop_sig },
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.last_step = -1,
	};
	struct dsp_run_result res;
	struct dsp_log_sink sink;
	/* getopt reorders what it parses: the record keeps argv as typed */
	char **pa = calloc((size_t)argc + 1, sizeof(*pa));
	int rc;

	cli_log_init(0);
	progress_mode_parse("auto", &ctl.mode);
	ctl.set = calloc((size_t)argc + 1, sizeof(*ctl.set));
	if (!pa || !ctl.set) {
		free(pa);
		free(ctl.set);
		cli_err("run: out of memory");
		return DSP_EXIT_FAILED;
	}
	memcpy(pa, argv, (size_t)argc * sizeof(*pa));
	rc = parse_args(&ctl, argc, pa);
	if (rc) {
		free(pa);
		free(ctl.set);
		return rc < 0 ? DSP_EXIT_OK : rc;
	}
	cli_log_init(ctl.verbose);
	/* asked before anything is scanned or written: there is no one to ask */
	if (!ctl.yes && !ctl.o.dry_run && !ctl.o.resume &&
	    cli_need_tty("nothing archived or erased", "run")) {
		free(pa);
		free(ctl.set);
		return DSP_EXIT_REFUSED;
	}
	ctl.o.set = ctl.set;
	ctl.o.nset = ctl.nset;
	ctl.o.confirm = ctl.yes ? NULL : confirm;
	ctl.o.progress = on_progress;
	ctl.o.step = on_step;
	ctl.o.arg = &ctl;
	/* without --yes the display starts after the confirmation */
	if (!ctl.o.dry_run && ctl.mode != PROGRESS_NONE && ctl.mode != PROGRESS_JSON &&
	    (ctl.yes || ctl.o.resume))
		ctl.prog = progress_new(ctl.mode, 1);
	sink = (struct dsp_log_sink){ run_log, &ctl };
	ctl.o.log = &sink;
	cli_catch_stop(0);
	dsp_run(&ctl.o, &res);
	progress_free(ctl.prog);
	ctl.prog = NULL;
	rc = res.exit_code;
	if (ctl.o.dry_run && res.plan) {
		FILE *f = ctl.mode == PROGRESS_JSON ? stderr : stdout;

		dsp_plan_print(f, res.plan, ctl.verbose > 0);
		fprintf(f, "dry run: nothing archived, erased or written\n");
	}
	if (!ctl.o.dry_run)
		print_result(&ctl, &res, rc);
	dsp_run_result_clear(&res);
	free(pa);
	free(ctl.set);
	return rc;
}
