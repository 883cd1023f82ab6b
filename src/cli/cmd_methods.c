/* SPDX-License-Identifier: MIT */
/* cmd_methods.c - dispose methods: list, show and check erase methods */
#include "cli.h"
#include "table.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dispose/method.h"

enum { COL_NAME, COL_TECHNIQUE, COL_PASSES, COL_VERIFY, COL_ORIGIN, COL_PASS_LIST,
       COL_VARIANT, COL_CATEGORY, COL_FILE, COL_SHA256 };

static const struct cli_column cols[] = {
	[COL_NAME] = { "NAME", 0.15, 0, "method name (what --method takes)" },
	[COL_TECHNIQUE] = { "TECHNIQUE", 11, 0,
			    "overwrite, crypto-luks, sanitize or auto" },
	[COL_PASSES] = { "PASSES", 6, CLI_COL_NUMBER, "number of passes" },
	[COL_VERIFY] = { "VERIFY", 8, 0, "default verification" },
	[COL_ORIGIN] = { "ORIGIN", 7, 0, "shipped, or user ($DISPOSE_METHODS_DIR)" },
	[COL_PASS_LIST] = { "PASS-LIST", 0.5, CLI_COL_WRAP, "what each pass writes" },
	[COL_VARIANT] = { "VARIANT", 0.3, CLI_COL_HIDDEN | CLI_COL_TRUNC,
			  "which reading of the standard" },
	[COL_CATEGORY] = { "CATEGORY", 8, CLI_COL_HIDDEN,
			   "NIST SP 800-88 category asked for: clear, purge, none" },
	[COL_FILE] = { "FILE", 0.3, CLI_COL_HIDDEN, "the method file" },
	[COL_SHA256] = { "SHA256", 64, CLI_COL_HIDDEN, "SHA-256 of the file (as in the run record)" },
};

static void methods_usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose methods [options]\n"
		" dispose methods [-J] NAME|FILE\n"
		" dispose methods --check [-q] NAME|FILE...\n\n"
		"List the erase methods with their technique, passes and default verification,\n"
		"show one in detail (-J: as a method file), or check method files.\n\n"
		"Options:\n"
		" -J, --json          print JSON (with NAME: the method document)\n"
		" -c, --check         only validate; print \"<arg>: ok ...\" per valid method\n"
		" -q, --quiet         with --check, print nothing for a valid method\n"
		" -v, --verbose       say which directories are searched\n"
		CLI_TABLE_HELP
		" -h, --help          display this help\n\n"
		"A name means a shipped method; $DISPOSE_METHODS_DIR adds methods of\n"
		"other names. A user file with a shipped method's name is not used by\n"
		"name (give its path). An argument with a '/' or ending in .json is a file.\n");
	cli_table_help_columns(out, cols, DSP_ARRAY_SIZE(cols));
	fprintf(out, "\nFor more details see dispose-methods(5).\n");
}

/* Exit code for a failed find/load: a name that leads to no method file is invalid input. */
static int load_exit(int rc)
{
	return cli_exit_code(rc == -ENOENT || rc == -ENOTDIR || rc == -EISDIR ? DSP_INVALID : rc, 0);
}

static int load(const char *what, struct dsp_method **m)
{
	char err[1024];
	int rc = dsp_method_find(what, m, err, sizeof(err));

	if (rc) {
		cli_err("%s", err[0] ? err : what);
		return load_exit(rc);
	}
	return DSP_EXIT_OK;
}

/* What a method without passes does, in words. */
static const char *technique_text(const struct dsp_method *m)
{
	switch (m->technique) {
	case DSP_TECH_OVERWRITE:
		break;
	case DSP_TECH_CRYPTO_LUKS:
		return "LUKS keyslots and header copies destroyed";
	case DSP_TECH_SANITIZE:
		return "the device's own sanitize";
	case DSP_TECH_AUTO:
		return "the strongest technique the medium supports";
	}
	return "";
}

/* "random x4, 0x55, 0xAA, ..." - runs of the same label folded. */
static char *pass_summary(const struct dsp_method *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	if (m->technique == DSP_TECH_SANITIZE)
		fprintf(out, "%s: %s", technique_text(m), dsp_method_action_name(m->action));
	else if (m->technique != DSP_TECH_OVERWRITE)
		fprintf(out, "%s", technique_text(m));
	for (unsigned i = 0; i < m->npasses;) {
		unsigned j = i + 1;

		while (j < m->npasses && !strcmp(m->passes[j].label, m->passes[i].label))
			j++;
		fprintf(out, "%s%s", i ? ", " : "", m->passes[i].label);
		if (j - i > 1)
			fprintf(out, " x%u", j - i);
		i = j;
	}
	if (fclose(out) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static const char *verify_text(const struct dsp_method *m, char *buf, size_t n)
{
	if (m->technique != DSP_TECH_OVERWRITE)
		snprintf(buf, n, "-");	/* no passes to read back */
	else if (m->verify == DSP_VERIFY_SAMPLE)
		snprintf(buf, n, "sample:%g", m->sample_percent);
	else
		snprintf(buf, n, "%s", dsp_verify_mode_name(m->verify));
	return buf;
}

static const char *verify_meaning(enum dsp_verify_mode v)
{
	switch (v) {
	case DSP_VERIFY_NONE:
		return "no read-back";
	case DSP_VERIFY_LAST:
		return "every byte of the last pass read back";
	case DSP_VERIFY_ALL:
		return "every byte of every pass read back";
	case DSP_VERIFY_SAMPLE:
		return "NIST SP 800-88r1 stratified sample of the last pass";
	}
	return "";
}

static void show(const struct dsp_method *m)
{
	char vb[32];

	printf("name:        %s\n", m->name);
	printf("variant:     %s\n", m->variant);
	if (m->description[0])
		printf("description: %s\n", m->description);
	printf("source:      %s\n", m->source);
	printf("technique:   %s", dsp_technique_name(m->technique));
	if (m->technique == DSP_TECH_SANITIZE)
		printf(" (action %s)", dsp_method_action_name(m->action));
	if (m->technique != DSP_TECH_OVERWRITE)
		printf(": %s", technique_text(m));
	printf("\ncategory:    %s (asked for)\n", dsp_category_name(m->category));
	if (m->technique == DSP_TECH_OVERWRITE)
		printf("verify:      %s (%s)\n", verify_text(m, vb, sizeof(vb)),
		       verify_meaning(m->verify));
	printf("file:        %s\n", m->path[0] ? m->path : "-");
	printf("sha256:      %s\n", m->sha256);
	if (m->technique != DSP_TECH_OVERWRITE)
		return;
	printf("passes:      %u\n", m->npasses);
	for (unsigned i = 0; i < m->npasses; i++) {
		const struct dsp_pass *p = &m->passes[i];

		printf("  %3u  %-11s  %s\n", i + 1, dsp_pass_kind_name(p->kind), p->label);
	}
}

static int add_row(struct cli_table *t, const struct dsp_method_entry *e)
{
	const struct dsp_method *m = e->method;
	struct cli_row *r = cli_table_row(t, NULL);
	char vb[32], *passes = pass_summary(m);
	int rc = r && passes ? 0 : -ENOMEM;

	if (!rc)
		rc = cli_cell(r, COL_NAME, m->name) ||
		     cli_cell(r, COL_TECHNIQUE, dsp_technique_name(m->technique)) ||
		     cli_cell(r, COL_CATEGORY, dsp_category_name(m->category)) ||
		     cli_cell_u64(r, COL_PASSES, m->npasses) ||
		     cli_cell(r, COL_VERIFY, verify_text(m, vb, sizeof(vb))) ||
		     cli_cell(r, COL_ORIGIN, e->origin == DSP_METHOD_SHIPPED ? "shipped" : "user") ||
		     cli_cell(r, COL_PASS_LIST, passes) || cli_cell(r, COL_VARIANT, m->variant) ||
		     cli_cell(r, COL_FILE, m->path) || cli_cell(r, COL_SHA256, m->sha256) ?
		     -ENOMEM : 0;
	free(passes);
	return rc;
}

/*
 * The shipped and the user's methods in one table; a file that is no
 * usable method is one line on stderr and the rest are still listed
 * (exit 1: listed with errors).
 */
static int list(const struct cli_table_opts *topts)
{
	struct dsp_method_entry *v;
	struct cli_table *t;
	size_t n;
	int rc, worst = DSP_EXIT_OK;

	rc = cli_table_new(&t, "methods", "methods", cols, DSP_ARRAY_SIZE(cols), topts);
	if (rc)
		return rc;
	rc = dsp_method_list(&v, &n);
	if (rc) {
		cli_table_free(t);
		if (rc == -ENOENT)
			cli_err("methods: no method directory found (no shipped methods; "
				"DISPOSE_METHODS_DIR not set or not a directory)");
		else
			cli_err("methods: %s", strerror(-rc));
		return DSP_EXIT_FAILED;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].rc) {
			cli_err("%s", v[i].err);
			worst = DSP_EXIT_FAILED;
			continue;
		}
		if (add_row(t, &v[i])) {
			cli_err("methods: %s", strerror(ENOMEM));
			worst = DSP_EXIT_FAILED;
			break;
		}
	}
	dsp_method_list_free(v, n);
	rc = cli_table_print(t, stdout);
	cli_table_free(t);
	if (rc) {
		cli_err("standard output: %s", strerror(-rc));
		return DSP_EXIT_FAILED;
	}
	return worst;
}

static int print_json(struct json_object *o)
{
	if (!o) {
		cli_err("methods: %s", strerror(ENOMEM));
		return DSP_EXIT_FAILED;
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_PRETTY_TAB | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return DSP_EXIT_OK;
}

static int check(int argc, char **argv, int quiet)
{
	int rc, worst = DSP_EXIT_OK;

	for (int i = 0; i < argc; i++) {
		struct dsp_method *m;

		rc = load(argv[i], &m);
		if (rc) {
			worst = cli_exit_worse(worst, rc);
			continue;
		}
		if (quiet)
			;
		else if (m->technique != DSP_TECH_OVERWRITE)
			printf("%s: ok (%s, technique %s, sha256 %s)\n", argv[i], m->name,
			       dsp_technique_name(m->technique), m->sha256);
		else
			printf("%s: ok (%s, %u pass%s, sha256 %s)\n", argv[i], m->name,
			       m->npasses, m->npasses == 1 ? "" : "es", m->sha256);
		dsp_method_free(m);
	}
	return worst;
}

int cmd_methods(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "check", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TABLE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_table_opts topts = { 0 };
	int c, docheck = 0, quiet = 0, verbose = 0, table_opt = 0, rc;
	struct dsp_method *m;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "Jcqvh", opts, "methods")) != -1) {
		switch (c) {
		case 'J':
			topts.json = 1;
			break;
		case 'c':
			docheck = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			methods_usage(stdout);
			return DSP_EXIT_OK;
		case CLI_OPT_COLUMNS:
		case CLI_OPT_RAW:
		case CLI_OPT_NOHEADINGS:
			cli_table_opt(&topts, c, optarg);
			table_opt = 1;
			break;
		default:
			return DSP_EXIT_USAGE;	/* cli_getopt said why */
		}
	}
	if (docheck && (topts.json || table_opt))
		return cli_usage_error("methods", "--check: cannot be combined with --json or "
				       "the table options");
	if (optind < argc && table_opt)
		return cli_usage_error("methods", "--columns, --raw, --noheadings: for the listing "
				       "only, not with a NAME or FILE");
	for (int i = optind; i < argc; i++)
		if ((rc = cli_nonempty("methods", "NAME|FILE", argv[i])))
			return rc;
	cli_log_init(verbose);
	if (verbose) {
		const char *s = dsp_method_shipped_dir(), *u = dsp_method_user_dir();

		cli_err("methods: shipped %s; user %s", s ? s : "(none)",
			u ? u : "(none: DISPOSE_METHODS_DIR not set)");
	}
	if (docheck) {
		if (optind >= argc)
			return cli_usage_error("methods", "--check: needs at least one NAME or FILE");
		return check(argc - optind, argv + optind, quiet);
	}
	if (optind == argc)
		return list(&topts);
	if (argc - optind > 1)
		return cli_usage_error("methods", "%s: unexpected argument (one NAME or FILE)",
				       argv[optind + 1]);

	rc = load(argv[optind], &m);
	if (rc)
		return rc;
	if (topts.json)
		rc = print_json(dsp_method_to_document(m));
	else
		show(m);
	dsp_method_free(m);
	return rc;
}
