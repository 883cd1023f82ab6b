/* SPDX-License-Identifier: MIT */
/* cmd_methods.c - dispose methods: list, show and check overwrite methods */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "dispose/method.h"

static void methods_usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose methods [--json]\n"
		" dispose methods [--json] NAME|FILE\n"
		" dispose methods --check FILE|NAME...\n\n"
		"List the overwrite methods with their passes and default verification,\n"
		"show one in detail, or check method files.\n\n"
		"Options:\n"
		" -j, --json     print JSON\n"
		" -c, --check    only validate; print \"<file>: ok\" per valid method\n"
		" -h, --help     display this help\n\n"
		"Methods are searched in $DISPOSE_METHODS_DIR, the profiles/methods\n"
		"directory beside the binary, then " DSP_DATADIR "/methods.\n"
		"For more details see dispose-methods(5).\n");
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

/* "random x4, 0x55, 0xAA, ..." - runs of the same label folded. */
static void pass_summary(const struct dsp_method *m, FILE *out)
{
	for (unsigned i = 0; i < m->npasses;) {
		unsigned j = i + 1;

		while (j < m->npasses && !strcmp(m->passes[j].label, m->passes[i].label))
			j++;
		fprintf(out, "%s%s", i ? ", " : "", m->passes[i].label);
		if (j - i > 1)
			fprintf(out, " x%u", j - i);
		i = j;
	}
}

static const char *verify_text(const struct dsp_method *m, char *buf, size_t n)
{
	if (m->verify == DSP_VERIFY_SAMPLE)
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

static struct json_object *full_json(const struct dsp_method *m)
{
	struct json_object *o = dsp_method_to_json(m), *a;

	if (!o)
		return NULL;
	json_object_object_add(o, "description", json_object_new_string(m->description));
	json_object_object_add(o, "path", json_object_new_string(m->path));
	json_object_object_add(o, "npasses", json_object_new_int((int)m->npasses));
	a = json_object_new_array();
	for (unsigned i = 0; a && i < m->npasses; i++) {
		const struct dsp_pass *p = &m->passes[i];
		struct json_object *po = json_object_new_object();

		json_object_object_add(po, "type",
				       json_object_new_string(dsp_pass_kind_name(p->kind)));
		if (p->kind == DSP_PASS_PATTERN) {
			char hex[2 * DSP_PATTERN_MAX + 1];

			for (size_t k = 0; k < p->pattern_len; k++)
				snprintf(hex + 2 * k, 3, "%02x", p->pattern[k]);
			hex[2 * p->pattern_len] = '\0';
			json_object_object_add(po, "pattern", json_object_new_string(hex));
		}
		json_object_object_add(po, "label", json_object_new_string(p->label));
		json_object_array_add(a, po);
	}
	json_object_object_add(o, "pass_list", a);
	return o;
}

static void show(const struct dsp_method *m)
{
	char vb[32];

	printf("name:        %s\n", m->name);
	printf("variant:     %s\n", m->variant);
	if (m->description[0])
		printf("description: %s\n", m->description);
	printf("source:      %s\n", m->source);
	printf("verify:      %s (%s)\n", verify_text(m, vb, sizeof(vb)),
	       verify_meaning(m->verify));
	printf("file:        %s\n", m->path[0] ? m->path : "-");
	printf("sha256:      %s\n", m->sha256);
	printf("passes:      %u\n", m->npasses);
	for (unsigned i = 0; i < m->npasses; i++) {
		const struct dsp_pass *p = &m->passes[i];

		printf("  %3u  %-11s  %s\n", i + 1, dsp_pass_kind_name(p->kind), p->label);
	}
}

static int list(int json)
{
	struct json_object *arr = NULL;
	char **names;
	size_t n;
	int rc, worst = DSP_EXIT_OK;

	rc = dsp_method_names(&names, &n);
	if (rc) {
		cli_err("methods: no method directory found (set DISPOSE_METHODS_DIR)");
		return DSP_EXIT_FAILED;
	}
	if (json)
		arr = json_object_new_array();
	else
		printf("%-20s %6s  %-8s %s\n", "NAME", "PASSES", "VERIFY", "PASS LIST");
	for (size_t i = 0; i < n; i++) {
		struct dsp_method *m;
		char vb[32];

		rc = load(names[i], &m);
		if (rc) {
			worst = cli_exit_worse(worst, rc);
			continue;
		}
		if (json) {
			json_object_array_add(arr, full_json(m));
		} else {
			printf("%-20s %6u  %-8s ", m->name, m->npasses,
			       verify_text(m, vb, sizeof(vb)));
			pass_summary(m, stdout);
			putchar('\n');
		}
		dsp_method_free(m);
	}
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	dsp_method_names_free(names, n);
	return worst;
}

int cmd_methods(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, json = 0, check = 0, rc, worst = DSP_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jch", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'c':
			check = 1;
			break;
		case 'h':
			methods_usage(stdout);
			return DSP_EXIT_OK;
		default:
			methods_usage(stderr);
			return DSP_EXIT_USAGE;
		}
	}
	if (check) {
		if (optind >= argc) {
			cli_err("methods: --check needs at least one FILE or NAME");
			return DSP_EXIT_USAGE;
		}
		for (int i = optind; i < argc; i++) {
			struct dsp_method *m;

			rc = load(argv[i], &m);
			if (rc) {
				if (rc > worst)
					worst = rc;
				continue;
			}
			printf("%s: ok (%s, %u passes, sha256 %s)\n", argv[i], m->name,
			       m->npasses, m->sha256);
			dsp_method_free(m);
		}
		return worst;
	}
	if (optind == argc)
		return list(json);
	if (argc - optind > 1) {
		cli_err("methods: too many arguments (one NAME or FILE)");
		return DSP_EXIT_USAGE;
	}

	struct dsp_method *m;

	rc = load(argv[optind], &m);
	if (rc)
		return rc;
	if (json) {
		struct json_object *o = full_json(m);

		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		show(m);
	}
	dsp_method_free(m);
	return DSP_EXIT_OK;
}
