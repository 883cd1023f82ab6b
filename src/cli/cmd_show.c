/* SPDX-License-Identifier: MIT */
/* cmd_show.c - dispose show: a certificate as a person reads it (the work is dsp_cert_show_file) */
#include "cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"
#include "dispose/log.h"

static void show_usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose show [options] CERT.json\n\n"
		"Show a disposal certificate as a person reads it: what it is (a\n"
		"certificate of sanitization or a failure report), whether its\n"
		"signature (CERT.json.p7s) is valid, the NIST SP 800-88 form's sections,\n"
		"then every detail of the evidence. The signer is not checked against\n"
		"a CA: that is dispose verify --ca.\n\n"
		"Options:\n"
		" -J, --json          the document with a \"signature\" member, as one JSON object\n"
		" -h, --help          display this help\n\n"
		"Exit status: 0 shown (a failure report too); 2 not readable or not JSON;\n"
		"3 shown, but the signature or the document is invalid.\n"
		"\nFor more details see dispose(8) and dispose-certificate(5).\n");
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	char *why = NULL;
	int c, rc;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "Jh", opts, "show")) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'h':
			show_usage(stdout);
			return DSP_EXIT_OK;
		default:
			return DSP_EXIT_USAGE;	/* cli_getopt said why */
		}
	}
	if (optind == argc)
		return cli_usage_error("show", "CERT.json: missing");
	if (argc - optind > 1)
		return cli_usage_error("show", "%s: one certificate at a time", argv[optind + 1]);
	if ((rc = cli_nonempty("show", "CERT.json", argv[optind])) ||
	    (rc = cli_need_input(argv[optind], 0)))
		return rc;
	cli_log_init(0);
	rc = dsp_cert_show_file(stdout, argv[optind], json, &why);
	if (rc == DSP_INVALID || rc < 0) {
		char *t = dsp_log_text(why ? why : strerror(-rc));

		cli_err("%s", t ? t : argv[optind]);
		free(t);
	}
	free(why);
	if (rc == DSP_MISMATCH)
		return DSP_EXIT_MISMATCH;
	return rc == DSP_INVALID ? DSP_EXIT_USAGE : cli_exit_code(rc, 0);
}
