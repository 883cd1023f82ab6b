/* SPDX-License-Identifier: MIT */
/* cmd_plan.c - dispose plan: what a policy would retain, erase and keep (changes nothing) */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dispose/run.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n dispose plan --policy FILE [--set NAME=VALUE]... [--inventory FILE]\n"
		"              [--run-dir DIR] [-J] [-o FILE] [-v]\n\n"
		"Show what a policy would do with every item of the inventory: retain\n"
		"(into which archive, until when), erase (method, passes, estimated time),\n"
		"keep, and the rule that says so. Scans the machine unless --inventory is\n"
		"given. Changes nothing: it writes only the plan, when asked to.\n\n"
		"Options:\n"
		"     --policy FILE       the policy: a file, or a shipped policy's name\n"
		"     --set NAME=VALUE    set a variable of the policy (repeatable)\n"
		"     --inventory FILE    use this dispose-inventory/1 document\n"
		"     --run-dir DIR       write DIR/plan.json (never replaced); archives\n"
		"                         default to DIR/archives\n"
		" -J, --json              print the dispose-plan/1 document\n"
		" -o, --output FILE       also write the document to FILE (replaced)\n"
		" -v, --verbose           list every item and its decision\n"
		" -h, --help              display this help\n\n"
		"For more details see dispose(8), PLAN, and dispose-policy(5).\n");
}

/* Exit code of a policy or plan result (-ENOENT: a policy that is not there is bad input). */
static int plan_exit(int rc)
{
	return rc == -ENOENT ? DSP_EXIT_USAGE : cli_exit_code(rc, 0);
}

static int write_plan(struct json_object *plan, const char *path, bool replace)
{
	char sha[65], *why = NULL;
	struct stat st;
	int rc;

	/* a report is no reason to replace a device node, a directory or a link */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		cli_err("%s: not a regular file; not replaced", path);
		return DSP_EXIT_USAGE;
	}
	rc = dsp_plan_write(plan, path, replace, sha, &why);
	if (rc) {
		if (why)
			cli_err("%s", why);
		else
			cli_err("%s: %s", path, strerror(rc < 0 ? -rc : EIO));
		free(why);
		return DSP_EXIT_FAILED;
	}
	fprintf(stderr, "dispose: plan written to %s (sha256 %s)\n", path, sha);
	return 0;
}

int cmd_plan(int argc, char **argv)
{
	enum { O_POLICY = 256, O_SET, O_INVENTORY, O_RUN_DIR };
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, O_POLICY },
		{ "set", required_argument, NULL, O_SET },
		{ "inventory", required_argument, NULL, O_INVENTORY },
		{ "run-dir", required_argument, NULL, O_RUN_DIR },
		{ "json", no_argument, NULL, 'J' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dsp_plan_opts po = { 0 };
	struct dsp_policy *pol = NULL;
	struct json_object *plan = NULL;
	const char *policy = NULL, *output = NULL;
	const char **set;
	size_t nset = 0;
	char *why = NULL, *dst = NULL;
	int c, json = 0, verbose = 0, rc, ret = DSP_EXIT_OK;

	if (!(set = calloc((size_t)argc + 1, sizeof(*set)))) {
		cli_err("plan: out of memory");
		return DSP_EXIT_FAILED;
	}
	optind = 1;
	while ((c = cli_getopt(argc, argv, "Jo:vh", longopts, "plan")) != -1) {
		switch (c) {
		case CLI_OPT_ERROR:
			ret = DSP_EXIT_USAGE;
			goto out;
		case O_POLICY:
			if (policy) {
				ret = cli_usage_error("plan", "--policy: given twice");
				goto out;
			}
			policy = optarg;
			break;
		case O_SET: {
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg) {
				ret = cli_usage_error("plan", "--set: %s: expected NAME=VALUE", optarg);
				goto out;
			}
			set[nset++] = optarg;
			break;
		}
		case O_INVENTORY:
			if ((ret = cli_need_input(optarg, 0)))
				goto out;
			po.inventory = optarg;
			break;
		case O_RUN_DIR: po.run_dir = optarg; break;
		case 'J': json = 1; break;
		case 'o': output = optarg; break;
		case 'v': verbose++; break;
		case 'h':
			usage(stdout);
			goto out;
		}
	}
	if (optind < argc) {
		ret = cli_usage_error("plan", "%s: unexpected argument", argv[optind]);
		goto out;
	}
	if (!policy) {
		ret = cli_usage_error("plan", "--policy: needed");
		goto out;
	}
	cli_log_init(verbose > 1 ? verbose - 1 : 0);
	if (po.run_dir) {
		struct stat st;

		/* a directory, or none yet: made only once there is a plan to write into it */
		errno = 0;
		if (stat(po.run_dir, &st) == 0 ? !S_ISDIR(st.st_mode) : errno != ENOENT) {
			cli_err("%s: %s", po.run_dir, errno ? strerror(errno) : "not a directory");
			ret = DSP_EXIT_USAGE;
			goto out;
		}
	}
	rc = dsp_policy_find(policy, set, nset, &pol, &why);
	if (rc) {
		if (why)
			cli_err("%s", why);
		else
			cli_err("%s: %s", policy, rc == DSP_INVALID ? "invalid policy" :
				strerror(rc < 0 ? -rc : EINVAL));
		ret = plan_exit(rc);
		goto out;
	}
	rc = dsp_plan_build(pol, &po, &plan, &why);
	if (rc) {
		if (why)
			cli_err("%s", why);
		else
			cli_err("plan: %s", rc < 0 ? strerror(-rc) : "failed");
		ret = plan_exit(rc);
		goto out;
	}
	if (json) {
		fputs(json_object_to_json_string_ext(plan, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
		fputc('\n', stdout);
	} else if (dsp_plan_print(stdout, plan, verbose > 0)) {
		cli_err("plan: standard output: %s", strerror(errno ? errno : EIO));
		ret = DSP_EXIT_FAILED;
		goto out;
	}
	fflush(stdout);
	if (po.run_dir) {
		if (mkdir(po.run_dir, 0700) < 0 && errno != EEXIST) {
			cli_err("%s: %s", po.run_dir, strerror(errno));
			ret = DSP_EXIT_FAILED;
			goto out;
		}
		if (asprintf(&dst, "%s/plan.json", po.run_dir) < 0) {
			dst = NULL;
			cli_err("plan: out of memory");
			ret = DSP_EXIT_FAILED;
			goto out;
		}
		if ((ret = write_plan(plan, dst, false)))
			goto out;
	}
	if (output && (ret = write_plan(plan, output, true)))
		goto out;
out:
	free(dst);
	free(why);
	json_object_put(plan);
	dsp_policy_free(pol);
	free(set);
	return ret;
}
