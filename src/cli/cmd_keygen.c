/* SPDX-License-Identifier: MIT */
/* cmd_keygen.c - dispose keygen: a certificate-signing key and its certificate or CSR */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/cert.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose keygen [options] -o PREFIX\n\n"
		"Make the key that signs disposal certificates: PREFIX.key (PKCS#8 PEM,\n"
		"mode 0600) and a self-signed PREFIX.crt, or PREFIX.csr for a CA.\n"
		"Existing files are never replaced.\n\n"
		"Options:\n"
		" -o, --output PREFIX        write PREFIX.key and PREFIX.crt (or .csr)\n"
		"     --type TYPE            ec-p256 (default) or rsa-3072\n"
		"     --subject /K=V/K=V     the subject, \"\\/\" for a slash in a value\n"
		"                            (default \"/CN=<hostname> dispose signer\")\n"
		"     --days N               validity of PREFIX.crt, 1..36500 (default 825)\n"
		"     --csr                  write PREFIX.csr instead of PREFIX.crt\n"
		"     --passphrase-file F    encrypt PREFIX.key (AES-256-CBC) with F's first\n"
		"                            line; F must not be readable by group or others\n"
		" -q, --quiet                print nothing\n"
		" -h, --help                 display this help\n\n"
		"For more details see dispose(8).\n");
}

/* What the core said, with the exit code dispose(8) gives it. */
static int fail(int rc, char *why)
{
	cli_err("%s", why ? why : rc < 0 ? strerror(-rc) : "keygen failed");
	free(why);
	/* an output name that exists, is a symlink or lies in no directory: invalid input */
	if (rc == -EEXIST || rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP || rc == -EISDIR)
		return DSP_EXIT_USAGE;
	return cli_exit_code(rc, 0);
}

int cmd_keygen(int argc, char **argv)
{
	enum { O_TYPE = 256, O_SUBJECT, O_DAYS, O_CSR, O_PASS };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "type", required_argument, NULL, O_TYPE },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "days", required_argument, NULL, O_DAYS },
		{ "csr", no_argument, NULL, O_CSR },
		{ "passphrase-file", required_argument, NULL, O_PASS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dsp_keygen_opts o = { .type = DSP_KEYGEN_EC_P256 };
	struct dsp_keygen_info info;
	const char *prefix = NULL;
	char *why = NULL;
	int c, rc, quiet = 0, days_given = 0;
	uint64_t v;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "o:qh", longopts, "keygen")) != -1) {
		switch (c) {
		case CLI_OPT_ERROR:
			return DSP_EXIT_USAGE;
		case 'o':
			prefix = optarg;
			break;
		case O_TYPE:
			if (!strcmp(optarg, "ec-p256"))
				o.type = DSP_KEYGEN_EC_P256;
			else if (!strcmp(optarg, "rsa-3072"))
				o.type = DSP_KEYGEN_RSA_3072;
			else
				return cli_usage_error("keygen", "--type: %s: expected ec-p256 or "
						       "rsa-3072", optarg);
			break;
		case O_SUBJECT:
			o.subject = optarg;
			break;
		case O_DAYS:
			if (cli_parse_count(optarg, 1, 36500, &v))
				return cli_usage_error("keygen", "--days: %s: expected a number of "
						       "days from 1 to 36500", optarg);
			o.days = (unsigned)v;
			days_given = 1;
			break;
		case O_CSR:
			o.csr = true;
			break;
		case O_PASS:
			o.passphrase_file = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return DSP_EXIT_OK;
		}
	}
	if (optind < argc)
		return cli_usage_error("keygen", "%s: unexpected argument", argv[optind]);
	if (!prefix)
		return cli_usage_error("keygen", "-o PREFIX is required");
	if (o.csr && days_given)
		return cli_usage_error("keygen", "--days: not with --csr (the CA sets the validity)");
	if (o.subject && (rc = dsp_keygen_subject(o.subject, NULL, &why))) {
		if (rc != DSP_INVALID)
			return fail(rc, why);
		rc = cli_usage_error("keygen", "--subject: %s", why ? why : "invalid");
		free(why);
		return rc;
	}
	if (o.passphrase_file && (rc = cli_need_input(o.passphrase_file, 0)))
		return rc;

	rc = dsp_keygen(prefix, &o, &info, &why);
	if (rc)
		return fail(rc, why);
	if (!quiet) {
		printf("key:         %s (%s%s)\n", info.key_path,
		       o.type == DSP_KEYGEN_EC_P256 ? "EC P-256" : "RSA 3072",
		       o.passphrase_file ? ", encrypted" : "");
		if (o.csr)
			printf("request:     %s\n", info.out_path);
		else
			printf("certificate: %s (self-signed, until %s)\n", info.out_path,
			       info.not_after);
		printf("subject:     %s\n", info.subject);
		if (o.csr)
			printf("public key sha256 Fingerprint=%s\n", info.fingerprint);
		else
			printf("sha256 Fingerprint=%s\n", info.fingerprint);
	}
	dsp_keygen_info_clear(&info);
	return DSP_EXIT_OK;
}
