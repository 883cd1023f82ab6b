/* SPDX-License-Identifier: MIT */
/* cmd_verify.c - dispose verify: check signed certificates (one verifier for the batch) */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "dispose/cert.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/pdf.h"

static void verify_usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" dispose verify [--ca CAFILE] [--run-dir DIR]... [--device DEV [--sample PERCENT]]\n"
		"                [-J|--json] [-q] CERT.json...\n"
		" dispose verify [options] --pdf NAME.pdf CERT.json\n"
		" dispose verify [--ca CAFILE] [-J] --original FULL.json COPY.json\n\n"
		"Check signed disposal certificates: the detached signature CERT.json.p7s over\n"
		"the exact bytes of CERT.json, the signer's chain to CAFILE at signing time, its\n"
		"key usage, the document's schema and consistency, and optionally the run\n"
		"records and the still-attached device. One line per certificate.\n\n"
		"Options:\n"
		"     --ca CAFILE      trusted CA certificates (PEM); without it no signer is trusted\n"
		"     --run-dir DIR    the record of DIR must end where the certificate says\n"
		"     --device DEV     re-read a sample of DEV and compare with the final pass\n"
		"     --sample PERCENT with --device: how much to re-read (default 1)\n"
		"     --pdf NAME.pdf   NAME.pdf must be, byte for byte, the PDF of CERT.json\n"
		"     --original FULL.json  COPY.json must be the redacted copy of FULL.json\n"
		" -J, --json           print one JSON document\n"
		" -q, --quiet          print only certificates that are not valid\n"
		" -h, --help           display this help\n\n"
		"Exit 0 only when every certificate is valid; 3 when one is invalid, untrusted\n"
		"or a failure report, or NAME.pdf does not render it; 4 when --device names\n"
		"another device; 2 for unreadable input. For more details see dispose(8) and\n"
		"dispose-certificate(5).\n");
}

static const char *const outcome_word[] = {
	[DSP_CERT_VALID] = "valid",
	[DSP_CERT_FAILURE_REPORT] = "failure report",
	[DSP_CERT_UNTRUSTED] = "untrusted",
	[DSP_CERT_INVALID] = "invalid",
	[DSP_CERT_UNREADABLE] = "unreadable",
};
static const char *const outcome_json[] = {
	[DSP_CERT_VALID] = "valid",
	[DSP_CERT_FAILURE_REPORT] = "failure-report",
	[DSP_CERT_UNTRUSTED] = "untrusted",
	[DSP_CERT_INVALID] = "invalid",
	[DSP_CERT_UNREADABLE] = "unreadable",
};

static int outcome_exit(const struct dsp_cert_result *r)
{
	if (r->refused)
		return DSP_EXIT_REFUSED;
	switch (r->outcome) {
	case DSP_CERT_VALID:
		return DSP_EXIT_OK;
	case DSP_CERT_UNREADABLE:
		return DSP_EXIT_USAGE;
	default:
		return DSP_EXIT_MISMATCH;
	}
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? dsp_json_string(s, NULL) : NULL);
}

static struct json_object *result_json(const char *file, const struct dsp_cert_result *r)
{
	struct json_object *o = json_object_new_object();

	dsp_json_add_bytes(o, "file", file);
	json_object_object_add(o, "outcome", json_object_new_string(outcome_json[r->outcome]));
	add_str(o, "reason", r->reason);
	add_str(o, "certificate_id", r->certificate_id);
	add_str(o, "kind", r->kind);
	add_str(o, "signer", r->signer);
	add_str(o, "signing_time", r->signing_time);
	add_str(o, "category", r->category);
	json_object_object_add(o, "device_refused", json_object_new_boolean(r->refused));
	json_object_object_add(o, "device", json_object_get(r->device));
	json_object_object_add(o, "redacted", json_object_get(r->redacted));
	return o;
}

/* "; device DEV (target t1): N bytes read, sample P %, seed S, M mismatching", or nothing */
static void print_device(struct json_object *d)
{
	const char *dev = dsp_json_str(d, "device");
	char *shown = dsp_log_text(dev ? dev : "?");
	const char *t = dsp_json_str(d, "target"), *pct = dsp_json_str(d, "percent");
	const char *seed = dsp_json_str(d, "seed");
	int64_t n = -1, bad = -1;

	dsp_json_i64(d, "bytes_read", &n);
	dsp_json_i64(d, "mismatches", &bad);
	printf("; device %s (target %s): %lld bytes read, sample %s %%, seed %s, %lld mismatching",
	       shown ? shown : "?", t ? t : "?", (long long)n, pct ? pct : "?", seed ? seed : "?",
	       (long long)bad);
	free(shown);
}

static void print_line(const char *file, const struct dsp_cert_result *r)
{
	char *f = dsp_log_text(file), *reason = dsp_log_text(r->reason ? r->reason : "?");

	if (r->outcome == DSP_CERT_VALID) {
		char *s = dsp_log_text(r->signer ? r->signer : "?");

		printf("%s: valid: %s %s, signer %s, signed %s, weakest category %s", f ? f : file,
		       r->kind ? r->kind : "?", r->certificate_id ? r->certificate_id : "?",
		       s ? s : "?", r->signing_time ? r->signing_time : "?",
		       r->category ? r->category : "?");
		free(s);
		fputs(dsp_cert_redaction_note(r), stdout);
	} else if (r->outcome == DSP_CERT_FAILURE_REPORT) {
		/* the reason starts "valid as signed, but ..." */
		printf("%s: failure report: %s%s", f ? f : file, reason ? reason : "?",
		       dsp_cert_redaction_note(r));
	} else {
		printf("%s: %s: %s", f ? f : file, outcome_word[r->outcome], reason ? reason : "?");
	}
	/* what was re-read, as --json reports it: the seed makes the sample repeatable */
	if (r->device)
		print_device(r->device);
	putchar('\n');
	free(f);
	free(reason);
}

/* verify --pdf: the PDF's line (or one error line), its JSON member; the exit code */
static int pdf_report(const char *pdf, const char *cert, const struct dsp_cert_result *r,
		      const char *sha, int prc, const char *why, int quiet, struct json_object *jr)
{
	const char *w = why ? why : prc < 0 ? strerror(-prc) : "?";
	size_t n = strlen(pdf);
	int ex = prc == 0 ? DSP_EXIT_OK : prc == DSP_MISMATCH ? DSP_EXIT_MISMATCH :
		 prc == DSP_INVALID ? DSP_EXIT_USAGE : cli_exit_code(prc, 0);

	if (r->outcome == DSP_CERT_UNREADABLE)
		return DSP_EXIT_USAGE;	/* said with the certificate: nothing compared */
	/* the core's reasons start with the PDF's name: said once */
	if (why && !strncmp(why, pdf, n) && !strncmp(why + n, ": ", 2))
		w = why + n + 2;
	if (jr) {
		struct json_object *o = json_object_new_object();

		dsp_json_add_bytes(o, "file", pdf);
		json_object_object_add(o, "outcome", json_object_new_string(
			prc == 0 ? "renders" : prc == DSP_MISMATCH ? "mismatch" :
			prc == DSP_INVALID ? "unreadable" : "error"));
		add_str(o, "reason", prc ? w : NULL);
		add_str(o, "certificate_id", r->certificate_id);
		add_str(o, "sha256", sha[0] ? sha : NULL);
		json_object_object_add(jr, "pdf", o);
	} else if (prc == 0 || prc == DSP_MISMATCH) {
		char *p = dsp_log_text(pdf), *c = dsp_log_text(cert), *t = dsp_log_text(w);

		if (prc == 0 && !quiet)
			printf("%s: renders %s (%s, sha256 %s)\n", p ? p : pdf, c ? c : cert,
			       r->certificate_id ? r->certificate_id : "?", sha);
		else if (prc)
			printf("%s: does not render %s: %s\n", p ? p : pdf, c ? c : cert, t ? t : w);
		free(p);
		free(c);
		free(t);
	} else {
		cli_err("%s: %s", pdf, w);
	}
	if (prc)
		dsp_audit(DSP_AUDIT_WARNING, "verify: %s: does not render %s: %s", pdf, cert, w);
	return ex;
}

/* verify --original FULL COPY: both lines, then the correspondence; the exit code */
static int verify_original(struct dsp_cert_verifier *v, const char *full, const char *copy,
			   int json, int quiet)
{
	struct dsp_cert_result fr = { 0 }, cr = { 0 };
	size_t n = 0;
	char *why = NULL;
	int rc = dsp_cert_verify_original(v, full, copy, &fr, &cr, &n, &why), ex;

	if (rc < 0 && rc != -ENOMEM && !why && !fr.reason) {
		cli_err("%s: %s", full, strerror(-rc));
		return cli_exit_code(rc, 0);
	}
	ex = rc == 0 ? DSP_EXIT_OK : rc == -ENOMEM ? cli_exit_code(rc, 0) : DSP_EXIT_MISMATCH;
	if (fr.reason)
		ex = cli_exit_worse(ex, outcome_exit(&fr));
	if (cr.reason)
		ex = cli_exit_worse(ex, outcome_exit(&cr));
	if (json) {
		struct json_object *all = json_object_new_object(), *l = json_object_new_array();
		struct json_object *o = json_object_new_object();

		json_object_object_add(all, "certificates", l);
		if (fr.reason)
			json_object_array_add(l, result_json(full, &fr));
		if (cr.reason)
			json_object_array_add(l, result_json(copy, &cr));
		dsp_json_add_bytes(o, "original", full);
		dsp_json_add_bytes(o, "copy", copy);
		json_object_object_add(o, "match", json_object_new_boolean(rc == 0));
		json_object_object_add(o, "values", json_object_new_int64((int64_t)n));
		add_str(o, "reason", rc ? (why ? why : strerror(rc < 0 ? -rc : EINVAL)) : NULL);
		json_object_object_add(all, "original", o);
		json_object_object_add(all, "exit", json_object_new_int(ex));
		puts(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(all);
	} else {
		char *f = dsp_log_text(full), *c = dsp_log_text(copy), *w = dsp_log_text(why ? why : "?");

		if (fr.reason && (!quiet || fr.outcome != DSP_CERT_VALID))
			print_line(full, &fr);
		if (cr.reason && (!quiet || cr.outcome != DSP_CERT_VALID))
			print_line(copy, &cr);
		if (rc == 0 && !quiet)
			printf("%s: redacted copy of %s: %zu value%s match\n", c ? c : copy,
			       f ? f : full, n, n == 1 ? "" : "s");
		else if (rc)
			printf("%s: not the redacted copy of %s: %s\n", c ? c : copy, f ? f : full,
			       w ? w : "?");
		free(f);
		free(c);
		free(w);
	}
	if (rc)
		dsp_audit(DSP_AUDIT_WARNING, "verify: %s: not the redacted copy of %s: %s", copy, full,
			  why ? why : "?");
	dsp_cert_result_clear(&fr);
	dsp_cert_result_clear(&cr);
	free(why);
	if (fflush(stdout) != 0) {
		cli_err("stdout: %s", strerror(errno));
		ex = cli_exit_worse(ex, DSP_EXIT_FAILED);
	}
	return ex;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "device", required_argument, NULL, 'd' },
		{ "sample", required_argument, NULL, 's' },
		{ "pdf", required_argument, NULL, 'p' },
		{ "original", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dsp_cert_verify_opts vo = { 0 };
	struct dsp_cert_verifier *v = NULL;
	const char *ca = NULL, **dirs = NULL, *pdf = NULL, *original = NULL;
	int npdf = 0;
	struct json_object *all = NULL, *list = NULL;
	size_t count[DSP_CERT_UNREADABLE + 1] = { 0 };
	int c, json = 0, quiet = 0, rc, worst = DSP_EXIT_OK, ncert;
	char *why = NULL, *end;

	optind = 1;
	dirs = calloc((size_t)argc, sizeof(*dirs));
	if (!dirs)
		return cli_exit_code(-ENOMEM, 0);
	while ((c = cli_getopt(argc, argv, "Jqh", opts, "verify")) != -1) {
		switch (c) {
		case 'a':
			ca = optarg;
			break;
		case 'r':
			dirs[vo.nrun_dirs++] = optarg;
			break;
		case 'd':
			vo.device = optarg;
			break;
		case 's':
			errno = 0;
			vo.sample_percent = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(vo.sample_percent > 0) ||
			    vo.sample_percent > 100) {
				free(dirs);
				return cli_usage_error("verify", "--sample: %s: expected a percentage "
						       "above 0, at most 100", optarg);
			}
			break;
		case 'O':
			original = optarg;
			break;
		case 'p':
			pdf = optarg;
			npdf++;
			break;
		case 'J':
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			free(dirs);
			verify_usage(stdout);
			return DSP_EXIT_OK;
		default:
			free(dirs);
			return DSP_EXIT_USAGE;	/* cli_getopt said why */
		}
	}
	vo.run_dirs = dirs;
	ncert = argc - optind;
	rc = 0;
	if (ncert < 1)
		rc = cli_usage_error("verify", "needs at least one CERT.json");
	else if (vo.sample_percent > 0 && !vo.device)
		rc = cli_usage_error("verify", "--sample: only with --device");
	else if (vo.device && ncert > 1)
		rc = cli_usage_error("verify", "--device: with one certificate only (the one of "
				     "that device)");
	else if (original && (ncert != 1 || pdf || vo.device || vo.nrun_dirs))
		rc = cli_usage_error("verify", "--original FULL.json: with exactly one COPY.json, "
				     "without --pdf, --device or --run-dir");
	else if (original)
		rc = cli_nonempty("verify", "--original", original);
	else if (npdf > 1)
		rc = cli_usage_error("verify", "--pdf: once only (one NAME.pdf, one CERT.json)");
	else if (pdf && ncert != 1)
		rc = cli_usage_error("verify", "--pdf: with exactly one CERT.json (the one "
				     "NAME.pdf renders)");
	else if (pdf)
		rc = cli_nonempty("verify", "--pdf", pdf);
	for (int i = optind; !rc && i < argc; i++)
		rc = cli_nonempty("verify", "CERT.json", argv[i]);
	if (!rc && ca)
		rc = cli_need_input(ca, 0);
	for (size_t i = 0; !rc && i < vo.nrun_dirs; i++)
		rc = cli_need_input(dirs[i], 1);
	if (!rc && vo.device) {
		struct stat st;

		/* a wrong --device is the caller's mistake, not an invalid certificate */
		rc = cli_need_input(vo.device, 0);
		if (!rc && stat(vo.device, &st) == 0 && !S_ISBLK(st.st_mode))
			rc = cli_usage_error("verify", "--device: %s: not a block device", vo.device);
	}
	if (rc) {
		free(dirs);
		return rc;
	}
	cli_log_init(0);
	rc = dsp_cert_verifier_new(ca, &v, &why);
	if (rc) {
		cli_err("%s", why ? why : strerror(-rc));
		free(why);
		free(dirs);
		return cli_exit_code(rc, 0);
	}
	if (original) {
		worst = verify_original(v, original, argv[optind], json, quiet);
		dsp_cert_verifier_free(v);
		free(dirs);
		return worst;
	}
	if (json) {
		all = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(all, "certificates", list);
	}
	for (int i = optind; i < argc; i++) {
		struct dsp_cert_result r;
		struct json_object *jr = NULL;
		char sha[65] = "", *pwhy = NULL;
		int prc = 0;

		if (pdf)
			rc = dsp_pdf_verify(v, argv[i], &vo, pdf, &r, sha, &prc, &pwhy);
		else
			rc = dsp_cert_verify(v, argv[i], &vo, &r);
		if (rc) {
			cli_err("%s: %s", argv[i], strerror(-rc));
			worst = cli_exit_worse(worst, cli_exit_code(rc, 0));
			free(pwhy);
			continue;
		}
		count[r.outcome]++;
		worst = cli_exit_worse(worst, outcome_exit(&r));
		if (r.outcome != DSP_CERT_VALID)
			dsp_audit(DSP_AUDIT_WARNING, "verify: %s: %s: %s", argv[i],
				  outcome_word[r.outcome], r.reason ? r.reason : "?");
		if (json)
			json_object_array_add(list, (jr = result_json(argv[i], &r)));
		else if (r.outcome == DSP_CERT_UNREADABLE)
			cli_err("%s: %s", argv[i], r.reason ? r.reason : "cannot read");
		else if (!quiet || r.outcome != DSP_CERT_VALID)
			print_line(argv[i], &r);
		if (pdf)
			worst = cli_exit_worse(worst, pdf_report(pdf, argv[i], &r, sha, prc, pwhy,
								 quiet, jr));
		free(pwhy);
		dsp_cert_result_clear(&r);
	}
	{
		char sum[256];
		int n = snprintf(sum, sizeof(sum), "%d certificate%s: %zu valid", ncert, CLI_S(ncert),
				 count[DSP_CERT_VALID]);
		static const enum dsp_cert_outcome more[] = { DSP_CERT_INVALID, DSP_CERT_UNTRUSTED,
							      DSP_CERT_FAILURE_REPORT,
							      DSP_CERT_UNREADABLE };

		for (size_t k = 0; k < DSP_ARRAY_SIZE(more); k++)
			if (count[more[k]] && n > 0 && (size_t)n < sizeof(sum))
				n += snprintf(sum + n, sizeof(sum) - (size_t)n, ", %zu %s%s",
					      count[more[k]], outcome_word[more[k]],
					      more[k] == DSP_CERT_FAILURE_REPORT &&
					      count[more[k]] != 1 ? "s" : "");
		dsp_audit(DSP_AUDIT_NOTICE, "verify: %s", sum);
		if (json) {
			struct json_object *s = json_object_new_object();

			json_object_object_add(s, "certificates", json_object_new_int(ncert));
			for (int k = 0; k <= DSP_CERT_UNREADABLE; k++)
				json_object_object_add(s, outcome_json[k],
						       json_object_new_int64((int64_t)count[k]));
			json_object_object_add(s, "exit", json_object_new_int(worst));
			json_object_object_add(all, "summary", s);
			puts(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(all);
		} else if (ncert > 1 && !quiet) {
			printf("%s\n", sum);
		}
	}
	dsp_cert_verifier_free(v);
	free(dirs);
	if (fflush(stdout) != 0) {
		cli_err("stdout: %s", strerror(errno));
		worst = cli_exit_worse(worst, DSP_EXIT_FAILED);
	}
	return worst;
}
