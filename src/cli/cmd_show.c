/* SPDX-License-Identifier: MIT */
/* cmd_show.c - dispose show: a certificate as a person reads it (the work is dsp_cert_show_file) */
#include "cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"
#include "dispose/log.h"
#include "dispose/pdf.h"

static void show_usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose show [options] CERT.json\n"
		" dispose show --pdf -o NAME.pdf CERT.json\n\n"
		"Show a disposal certificate as a person reads it: what it is (a\n"
		"certificate of sanitization or a failure report), whether its\n"
		"signature (CERT.json.p7s) is valid, the NIST SP 800-88 form's sections,\n"
		"then every detail of the evidence. The signer is not checked against\n"
		"a CA: that is dispose verify --ca.\n\n"
		"Options:\n"
		" -J, --json          the document with a \"signature\" member, as one JSON object\n"
		"     --pdf           write the certificate as an A4 PDF to -o NAME.pdf (a new\n"
		"                     file): the NIST form, a page per target, the archives;\n"
		"                     every page names the id and SHA-256 of CERT.json and\n"
		"                     carries them in a QR code\n"
		" -o, --output FILE   the PDF to write (with --pdf); never replaced\n"
		" -h, --help          display this help\n\n"
		"Exit status: 0 shown (a failure report too) or PDF written; 1 the PDF\n"
		"exists or cannot be written; 2 not readable or not JSON; 3 shown, but\n"
		"the signature or the document is invalid (with --pdf: nothing written).\n"
		"\nFor more details see dispose(8) and dispose-certificate(5).\n");
}

/* show --pdf: 0 written; 3 the signature or document is invalid; 2 unreadable; 1 exists, cannot write */
static int show_pdf(const char *cert, const char *out)
{
	char *why = NULL, *t;
	int rc = dsp_pdf_certificate(cert, out, &why);

	if (!rc) {
		char *o = dsp_log_text(out), *c = dsp_log_text(cert);

		printf("%s: written from %s\n", o ? o : out, c ? c : cert);
		free(o);
		free(c);
		free(why);
		return fflush(stdout) ? DSP_EXIT_FAILED : DSP_EXIT_OK;
	}
	t = dsp_log_text(why ? why : rc < 0 ? strerror(-rc) : "cannot write the PDF");
	cli_err("%s", t ? t : out);
	free(t);
	free(why);
	if (rc == DSP_MISMATCH)
		return DSP_EXIT_MISMATCH;
	return rc == DSP_INVALID ? DSP_EXIT_USAGE : DSP_EXIT_FAILED;
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "pdf", no_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, pdf = false;
	const char *out = NULL;
	char *why = NULL;
	int c, rc;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "Jo:h", opts, "show")) != -1) {
		switch (c) {
		case 'J':
			json = true;
			break;
		case 'P':
			pdf = true;
			break;
		case 'o':
			out = optarg;
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
	if (pdf && json)
		return cli_usage_error("show", "--pdf and --json: one or the other");
	if (pdf && !out)
		return cli_usage_error("show", "--pdf: -o NAME.pdf is required");
	if (out && !pdf)
		return cli_usage_error("show", "-o: only with --pdf");
	if ((rc = cli_nonempty("show", "CERT.json", argv[optind])) ||
	    (rc = cli_need_input(argv[optind], 0)))
		return rc;
	cli_log_init(0);
	if (pdf)
		return show_pdf(argv[optind], out);
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
