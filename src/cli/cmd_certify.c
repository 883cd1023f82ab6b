/* SPDX-License-Identifier: MIT */
/* cmd_certify.c - dispose certify: a signed certificate (or failure report) from run records */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/cert.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/pdf.h"
#include "dispose/util.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose certify --run-dir DIR [--run-dir DIR...] --key KEY --cert CERT\n"
		"                 [options] -o NAME.json\n\n"
		"Write NAME.json, the disposal certificate of every target of the run records\n"
		"(dispose-certificate(5)), and NAME.json.p7s, its detached CMS signature.\n"
		"A run that failed, was interrupted or was not verified gives a signed\n"
		"sanitization-failure-report instead (exit 3). Existing files are never replaced.\n\n"
		"Options:\n"
		" -o, --output NAME.json     the certificate (and NAME.json.p7s)\n"
		"     --run-dir DIR          a run record (repeat: one certificate per machine)\n"
		"     --inventory FILE       dispose-inventory/1 JSON: keys that lay in the targets\n"
		"     --key KEY              the signing key (PEM)\n"
		"     --cert CERT            its certificate (PEM)\n"
		"     --chain PEM            intermediate certificates to embed\n"
		"     --passphrase-file F    the key's passphrase (first line of F)\n"
		"     --time TIME            the created time, e.g. 2026-12-06T10:00:00Z (UTC)\n"
		"     --redact LIST          also a signed redacted copy: LIST of serials,host,paths\n"
		"                            replaced by salted SHA-256 (NAME.redacted.json)\n"
		"     --redacted-output FILE the redacted copy's name (and FILE.p7s)\n"
		"     --pdf NAME.pdf         also the certificate as an A4 PDF (a new file; a\n"
		"                            PDF that cannot be made: exit 1, the JSON stays)\n"
		"Attested by the operator (recorded as said, not checked):\n"
		"     --operator NAME        --operator-title T   --organization O\n"
		"     --location L           --contact C\n"
		"     --verifier NAME        --validator NAME\n"
		"     --media-destination internal-reuse|external-reuse|recycling|\n"
		"                            manufacturer|other:TEXT\n"
		"     --property-number N    --classification TEXT\n"
		" -q, --quiet                print nothing\n"
		" -h, --help                 display this help\n\n"
		"For more details see dispose(8) and dispose-certificate(5).\n");
}

/* "NAME.json: KIND ID, N targets, weakest: Clear[; failures: 1) ... 2) ...]", read back from NAME.json. */
static int report(const char *out, int rc)
{
	struct json_object *doc = NULL, *sum, *fails;
	char *buf = NULL, *line = NULL, *text;
	size_t len = 0, n;
	int64_t targets = 0;
	FILE *f, *m;
	const char *ach;

	if (!(f = fopen(out, "re"))) {
		cli_err("%s: cannot read back: %s", out, strerror(errno));
		return DSP_EXIT_FAILED;
	}
	if (!(m = open_memstream(&buf, &len))) {
		fclose(f);
		return DSP_EXIT_FAILED;
	}
	{
		char chunk[65536];
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
	}
	fclose(f);
	fclose(m);
	if (dsp_cert_parse(buf, len, &doc, NULL)) {
		free(buf);
		cli_err("%s: written, but does not read back as a certificate", out);
		return DSP_EXIT_FAILED;
	}
	free(buf);
	sum = json_object_object_get(doc, "summary");
	dsp_json_i64(sum, "targets", &targets);
	ach = dsp_json_str(sum, "category_achieved");
	if (!(m = open_memstream(&line, &len))) {
		json_object_put(doc);
		return DSP_EXIT_FAILED;
	}
	fprintf(m, "%s: %s %s, %lld target%s, weakest: %s", out, dsp_json_str(doc, "kind"),
		dsp_json_str(doc, "certificate_id"), (long long)targets, CLI_S(targets),
		!ach ? "?" : !strcmp(ach, "clear") ? "Clear" : !strcmp(ach, "purge") ? "Purge" : "none");
	fails = json_object_object_get(sum, "failures");
	for (size_t i = 0; i < json_object_array_length(fails); i++)
		fprintf(m, "%s%zu) %s", i ? " " : "; failures: ", i + 1,
			json_object_get_string(json_object_array_get_idx(fails, i)));
	fclose(m);
	text = dsp_log_text(line);
	printf("%s\n", text ? text : line);
	free(text);
	free(line);
	json_object_put(doc);
	return rc;
}

/* "COPY.json: redacted copy ID of ID (serials, host, paths)", read back from COPY.json. */
static int report_copy(const char *out, const char *given, unsigned mask, int rc)
{
	struct json_object *doc = NULL, *red;
	char *name = NULL, *buf = NULL, *text;
	size_t len = 0;

	if (given)
		name = strdup(given);
	else if (asprintf(&name, "%.*s.redacted.json", (int)(strlen(out) - 5), out) < 0)
		name = NULL;
	if (!name)
		return DSP_EXIT_FAILED;
	if (dsp_file_read(name, 64u << 20, 0, &buf, &len) || dsp_cert_parse(buf, len, &doc, NULL)) {
		cli_err("%s: written, but does not read back as a certificate", name);
		free(buf);
		free(name);
		return DSP_EXIT_FAILED;
	}
	red = json_object_object_get(doc, "redacted");
	text = dsp_log_text(name);
	printf("%s: redacted copy %s of %s (%s)\n", text ? text : name,
	       dsp_json_str(doc, "certificate_id"), dsp_json_str(red, "original_id"),
	       dsp_cert_redact_words(mask));
	free(text);
	free(buf);
	free(name);
	json_object_put(doc);
	return rc;
}

int cmd_certify(int argc, char **argv)
{
	enum {
		O_RUN = 256, O_INV, O_KEY, O_CERT, O_CHAIN, O_PASS, O_TIME, O_OPER, O_OTITLE,
		O_ORG, O_LOC, O_CONTACT, O_VERIFIER, O_VALIDATOR, O_DEST, O_PROP, O_CLASS,
		O_REDACT, O_REDOUT, O_PDF,
	};
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "run-dir", required_argument, NULL, O_RUN },
		{ "inventory", required_argument, NULL, O_INV },
		{ "key", required_argument, NULL, O_KEY },
		{ "cert", required_argument, NULL, O_CERT },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "passphrase-file", required_argument, NULL, O_PASS },
		{ "time", required_argument, NULL, O_TIME },
		{ "operator", required_argument, NULL, O_OPER },
		{ "operator-title", required_argument, NULL, O_OTITLE },
		{ "organization", required_argument, NULL, O_ORG },
		{ "location", required_argument, NULL, O_LOC },
		{ "contact", required_argument, NULL, O_CONTACT },
		{ "verifier", required_argument, NULL, O_VERIFIER },
		{ "validator", required_argument, NULL, O_VALIDATOR },
		{ "media-destination", required_argument, NULL, O_DEST },
		{ "property-number", required_argument, NULL, O_PROP },
		{ "classification", required_argument, NULL, O_CLASS },
		{ "redact", required_argument, NULL, O_REDACT },
		{ "redacted-output", required_argument, NULL, O_REDOUT },
		{ "pdf", required_argument, NULL, O_PDF },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dsp_cert_attest a = { 0 };
	struct dsp_cert_build_opts o = { .attest = &a };
	struct dsp_cert_signer *signer = NULL;
	const char **dirs = NULL, *out = NULL, *key = NULL, *cert = NULL, *chain = NULL,
		   *pass = NULL, *pdf = NULL;
	char *why = NULL;
	struct stat pst;
	size_t ndirs = 0;
	bool kind_ok = false;
	int c, rc, quiet = 0;

	if (!(dirs = calloc((size_t)argc + 1, sizeof(*dirs)))) {
		cli_err("certify: %s", strerror(ENOMEM));
		return DSP_EXIT_FAILED;
	}
	optind = 1;
	while ((c = cli_getopt(argc, argv, "o:qh", longopts, "certify")) != -1) {
		switch (c) {
		case CLI_OPT_ERROR: rc = DSP_EXIT_USAGE; goto out;
		case 'o': out = optarg; break;
		case O_RUN: dirs[ndirs++] = optarg; break;
		case O_INV: o.inventory = optarg; break;
		case O_KEY: key = optarg; break;
		case O_CERT: cert = optarg; break;
		case O_CHAIN: chain = optarg; break;
		case O_PASS: pass = optarg; break;
		case O_TIME: o.time = optarg; break;
		case O_OPER: a.operator_name = optarg; break;
		case O_OTITLE: a.operator_title = optarg; break;
		case O_ORG: a.organization = optarg; break;
		case O_LOC: a.location = optarg; break;
		case O_CONTACT: a.contact = optarg; break;
		case O_VERIFIER: a.verifier = optarg; break;
		case O_VALIDATOR: a.validator = optarg; break;
		case O_DEST: a.media_destination = optarg; break;
		case O_PROP: a.property_number = optarg; break;
		case O_CLASS: a.classification = optarg; break;
		case O_REDACT:
			if (dsp_cert_redact_parse(optarg, &o.redact, &why)) {
				rc = cli_usage_error("certify", "%s", why ? why : "--redact");
				goto out;
			}
			break;
		case O_REDOUT: o.redacted_output = optarg; break;
		case O_PDF: pdf = optarg; break;
		case 'q': quiet = 1; break;
		case 'h':
			usage(stdout);
			rc = DSP_EXIT_OK;
			goto out;
		}
	}
	rc = DSP_EXIT_USAGE;
	if (optind < argc) {
		cli_usage_error("certify", "%s: unexpected argument", argv[optind]);
		goto out;
	}
	if (!ndirs) {
		cli_usage_error("certify", "--run-dir DIR is required");
		goto out;
	}
	if (!key || !cert) {
		cli_usage_error("certify", "--key KEY and --cert CERT are required");
		goto out;
	}
	if (!out) {
		cli_usage_error("certify", "-o NAME.json is required");
		goto out;
	}
	if (strlen(out) < 6 || strcmp(out + strlen(out) - 5, ".json")) {
		cli_usage_error("certify", "%s: the output name must end in \".json\"", out);
		goto out;
	}
	if (o.redacted_output && !o.redact) {
		cli_usage_error("certify", "--redacted-output: only with --redact");
		goto out;
	}
	if (o.redacted_output && (strlen(o.redacted_output) < 6 ||
	    strcmp(o.redacted_output + strlen(o.redacted_output) - 5, ".json") ||
	    !strcmp(o.redacted_output, out))) {
		cli_usage_error("certify", "%s: the redacted copy's name must end in \".json\" and "
				"differ from -o", o.redacted_output);
		goto out;
	}
	/* said before anything is written: the PDF is never a replacement */
	/* lstat: a dangling symbolic link is a taken name too */
	if (pdf && (!*pdf || !lstat(pdf, &pst) || errno != ENOENT)) {
		int e = !*pdf ? 0 : !lstat(pdf, &pst) ? EEXIST : errno;

		cli_usage_error("certify", "--pdf: %s: %s", pdf, !*pdf ? "empty name" :
				e == EEXIST ? "exists" : strerror(e));
		goto out;
	}
	for (size_t i = 0; i < ndirs; i++)
		if (cli_need_input(dirs[i], 1))
			goto out;
	if (cli_need_input(key, 0) || cli_need_input(cert, 0) ||
	    (chain && cli_need_input(chain, 0)) || (pass && cli_need_input(pass, 0)) ||
	    (o.inventory && cli_need_input(o.inventory, 0)))
		goto out;
	o.run_dirs = dirs;
	o.nrun_dirs = ndirs;

	if ((rc = dsp_cert_signer_load(key, cert, chain, pass, &signer, &why))) {
		cli_err("%s", why ? why : strerror(rc < 0 ? -rc : EINVAL));
		rc = rc < 0 && rc != -ENOMEM ? DSP_EXIT_USAGE : cli_exit_code(rc, 0);
		goto out;
	}
	rc = dsp_cert_certify(&o, signer, out, &kind_ok, &why);
	if (rc) {
		cli_err("%s", why ? why : rc < 0 ? strerror(-rc) : "certify failed");
		/* an output that exists or cannot be created there: invalid input */
		if (rc == -EEXIST || rc == -ENOENT || rc == -ENOTDIR || rc == -ELOOP ||
		    rc == -EISDIR || rc == -EACCES)
			rc = DSP_EXIT_USAGE;
		else
			rc = cli_exit_code(rc, 0);
		goto out;
	}
	rc = kind_ok ? DSP_EXIT_OK : DSP_EXIT_MISMATCH;
	if (!quiet)
		rc = report(out, rc);
	if (!quiet && o.redact)
		rc = report_copy(out, o.redacted_output, o.redact, rc);
	if (pdf) {
		int prc = dsp_pdf_certificate(out, pdf, &why);
		char *t;

		if (!prc && !quiet) {
			char *p = dsp_log_text(pdf), *j = dsp_log_text(out);

			printf("%s: written from %s\n", p ? p : pdf, j ? j : out);
			free(p);
			free(j);
		} else if (prc) {
			/* the signed JSON is the evidence: it stays */
			t = dsp_log_text(why ? why : prc < 0 ? strerror(-prc) : "cannot render");
			cli_err("%s (%s is written)", t ? t : pdf, out);
			free(t);
			rc = cli_exit_worse(rc, DSP_EXIT_FAILED);
		}
	}
out:
	dsp_cert_signer_free(signer);
	free(why);
	free(dirs);
	return rc;
}
