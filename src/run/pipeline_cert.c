/* SPDX-License-Identifier: MIT */
/* pipeline_cert.c - dispose run's last step: the signed certificate of the whole run */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "dispose/pdf.h"
#include "dispose/run.h"
#include "run_int.h"

#define CERT_NAME "certificate.json"
#define REDACTED_NAME "certificate.redacted.json"

/* The stock recipe: anyone with openssl and the CA checks the certificate. */
static void verify_cmd(struct run *r, const char *cert)
{
	const struct dsp_policy_cert *c = &r->pol->cert;
	const char *ca = c->ca ? c->ca : c->cert;

	snprintf(r->res->verify_cmd, sizeof(r->res->verify_cmd),
		 "openssl cms -verify -binary -inform DER -in %.2000s.p7s -content %.2000s "
		 "-CAfile %.2000s -purpose any -out /dev/null", cert, cert, ca ? ca : "CA.pem");
}

/* Move a certificate that is not this run's aside (never deleted): NAME.stale-N. */
static int move_aside(const char *path)
{
	char to[PATH_MAX + 96];

	if (access(path, F_OK))
		return 0;
	for (unsigned n = 1; n < 10000; n++) {
		snprintf(to, sizeof(to), "%s.stale-%u", path, n);
		if (!access(to, F_OK) || errno != ENOENT)
			continue;
		if (rename(path, to))
			return -errno;
		dsp_log(DSP_LOG_WARN, "%s: moved aside to %s", path, to);
		return 0;
	}
	return -EEXIST;
}

/*
 * A certificate a resume finds: done only when it verifies as this run's
 * (the policy's CA or certificate, this run directory's chain head and
 * count): a certificate of sanitization or a failure report. One signed by
 * anyone else (untrusted), about another run, or cut short is moved aside
 * and made again.
 */
static int existing(struct run *r, const char *cert, bool *kind_ok)
{
	const struct dsp_policy_cert *c = &r->pol->cert;
	struct dsp_cert_verifier *v = NULL;
	struct dsp_cert_result res = { 0 };
	const char *dirs[1] = { r->dir };
	struct dsp_cert_verify_opts vo = { .run_dirs = dirs, .nrun_dirs = 1 };
	char p7s[PATH_MAX + 64], *why = NULL;
	int rc, ok = 0;

	snprintf(p7s, sizeof(p7s), "%s.p7s", cert);
	if (access(cert, F_OK) && access(p7s, F_OK))
		return 0;	/* none: make it */
	/* no CA: the policy's signer certificate itself is the anchor, CA-issued or not */
	rc = c->ca ? dsp_cert_verifier_new(c->ca, &v, &why) :
		     dsp_cert_verifier_new_pinned(c->cert, &v, &why);
	free(why);
	if (!rc && !dsp_cert_verify(v, cert, &vo, &res))
		ok = res.outcome == DSP_CERT_VALID || res.outcome == DSP_CERT_FAILURE_REPORT;
	*kind_ok = res.outcome == DSP_CERT_VALID;
	if (!ok)
		dsp_log(DSP_LOG_WARN, "%s: not this run's certificate (%s): made again", cert,
			res.reason ? res.reason : "does not verify");
	dsp_cert_result_clear(&res);
	dsp_cert_verifier_free(v);
	if (ok)
		return 1;
	if ((rc = move_aside(cert)) || (rc = move_aside(p7s)))
		return rc;
	/* its redacted copy (#15) is made again with it */
	snprintf(p7s, sizeof(p7s), "%s/%s", r->dir, REDACTED_NAME);
	if ((rc = move_aside(p7s)))
		return rc;
	snprintf(p7s, sizeof(p7s), "%s/%s.p7s", r->dir, REDACTED_NAME);
	return move_aside(p7s);
}

/*
 * The certificate as a PDF beside it (#15): a reader's copy of the signed
 * JSON, so one that cannot be made is a warning, never a failed run. On
 * --resume a PDF that renders this JSON is kept; another is moved aside.
 */
static void run_pdf(struct run *r, const char *json, const char *pdf)
{
	const struct dsp_policy_cert *c = &r->pol->cert;
	char *why = NULL;
	int rc;

	if (!access(pdf, F_OK)) {
		struct dsp_cert_verifier *v = NULL;
		struct dsp_cert_result res = { 0 };
		char sha[65];
		int prc = DSP_INVALID;

		if (!(c->ca ? dsp_cert_verifier_new(c->ca, &v, &why) :
			      dsp_cert_verifier_new_pinned(c->cert, &v, &why)) &&
		    !dsp_pdf_verify(v, json, NULL, pdf, &res, sha, &prc, &why) && !prc) {
			dsp_cert_result_clear(&res);
			dsp_cert_verifier_free(v);
			free(why);
			return;
		}
		dsp_log(DSP_LOG_WARN, "%s: does not render %s (%s): made again", pdf, json,
			why ? why : "cannot check");
		dsp_cert_result_clear(&res);
		dsp_cert_verifier_free(v);
		free(why);
		why = NULL;
		if ((rc = move_aside(pdf))) {
			dsp_log(DSP_LOG_WARN, "%s: cannot be moved aside (%s): no new PDF", pdf,
				strerror(-rc));
			return;
		}
	}
	if ((rc = dsp_pdf_certificate(json, pdf, &why))) {
		dsp_log(DSP_LOG_WARN, "%s: no PDF (%s); the signed %s is the certificate", pdf,
			why ? why : rc < 0 ? strerror(-rc) : "cannot render", json);
		dsp_audit(DSP_AUDIT_WARNING, "run %s: certify: %s: no PDF", r->dir, pdf);
	}
	free(why);
}

/* The redacted copy a resume finds is the copy of this certificate (verify --original). */
static bool copy_is_ours(struct run *r, const char *cert, const char *redacted)
{
	const struct dsp_policy_cert *c = &r->pol->cert;
	struct dsp_cert_verifier *v = NULL;
	struct dsp_cert_result fr = { 0 }, cr = { 0 };
	char *why = NULL;
	size_t n = 0;
	bool ok = false;

	if (!(c->ca ? dsp_cert_verifier_new(c->ca, &v, &why) :
		      dsp_cert_verifier_new_pinned(c->cert, &v, &why)) &&
	    !dsp_cert_verify_original(v, cert, redacted, &fr, &cr, &n, &why))
		ok = (cr.outcome == DSP_CERT_VALID || cr.outcome == DSP_CERT_FAILURE_REPORT);
	if (!ok)
		dsp_log(DSP_LOG_WARN, "%s: not the redacted copy of %s (%s): made again", redacted,
			cert, why ? why : cr.reason ? cr.reason : "does not verify");
	dsp_cert_result_clear(&fr);
	dsp_cert_result_clear(&cr);
	dsp_cert_verifier_free(v);
	free(why);
	return ok;
}

/*
 * A resume's certificate: its redacted copy is kept only when it is the
 * copy of this certificate; another (or one without its .p7s, or none) is
 * moved aside with its PDF and made again from the certificate (the salt is
 * there). A warning when it cannot be made.
 */
static void copy_again(struct run *r, const char *cert, const char *redacted)
{
	const struct dsp_policy_cert *c = &r->pol->cert;
	struct dsp_cert_signer *s = r->signer;
	char *why = NULL, aside[PATH_MAX + 64];
	int rc = 0;

	snprintf(aside, sizeof(aside), "%s.p7s", redacted);
	if ((!access(redacted, F_OK) || !access(aside, F_OK)) && copy_is_ours(r, cert, redacted))
		return;
	if (!(rc = move_aside(redacted)) && !(rc = move_aside(aside))) {
		snprintf(aside, sizeof(aside), "%s/certificate.redacted.pdf", r->dir);
		rc = move_aside(aside);
	}
	if (rc) {
		dsp_log(DSP_LOG_WARN, "%s: cannot be moved aside (%s): the redacted copy is not made "
			"again", redacted, strerror(-rc));
		return;
	}
	if (!s)
		rc = dsp_cert_signer_load(c->key, c->cert, c->chain, c->passphrase_file, &s, &why);
	if (!rc)
		rc = dsp_cert_redact_file(cert, s, redacted, &why);
	if (s != r->signer)
		dsp_cert_signer_free(s);
	if (rc)
		dsp_log(DSP_LOG_WARN, "%s: the redacted copy cannot be made: %s", redacted,
			why ? why : rc < 0 ? strerror(-rc) : "failed");
	else
		dsp_log(DSP_LOG_INFO, "%s: the redacted copy, made again from %s", redacted, cert);
	free(why);
}

int run_signer_load(struct run *r)
{
	const struct dsp_policy_cert *c = &r->pol->cert;
	char *why = NULL;
	int rc;

	if (!c->key || !c->cert)
		return 0;
	rc = dsp_cert_signer_load(c->key, c->cert, c->chain, c->passphrase_file, &r->signer,
				  &why);
	if (rc) {
		run_fail(r, "%s: certificate: %s; nothing done", r->pol->path,
			 why ? why : rc < 0 ? strerror(-rc) : "cannot sign");
		free(why);
		return rc == -ENOMEM ? rc : DSP_INVALID;
	}
	/* a redacted copy hides the host: its signature must not name it (#15) */
	if ((c->redact & DSP_CERT_REDACT_HOST) &&
	    (rc = dsp_cert_redact_signer_host(r->signer, &why))) {
		run_fail(r, "%s: certificate: %s; nothing done", r->pol->path,
			 why ? why : rc < 0 ? strerror(-rc) : "refused");
		free(why);
		return rc == -ENOMEM ? rc : DSP_REFUSED;
	}
	return 0;
}

/* The digests the record's last inventory and plan step_end give their files. */
struct recorded {
	char inv[65], plan[65];
};

static int recorded_visit(struct json_object *ev, void *arg)
{
	struct recorded *d = arg;
	const char *e = dsp_json_str(ev, "event"), *step = dsp_json_str(ev, "step");
	const char *h = dsp_json_str(ev, "sha256");

	if (!e || strcmp(e, "step_end") || !step)
		return 0;
	if (!strcmp(step, "inventory"))
		snprintf(d->inv, sizeof(d->inv), "%s", h ? h : "");
	else if (!strcmp(step, "plan"))
		snprintf(d->plan, sizeof(d->plan), "%s", h ? h : "");
	return 0;
}

/* One file against its recorded digest: 0 the same (or none recorded), else said. */
static int same_as_recorded(struct run *r, const char *path, const char *want,
			    const char *step)
{
	char hex[65];
	int rc;

	if (!want[0])
		return 0;
	if ((rc = run_sha256_file(path, hex))) {
		run_fail(r, "%s: cannot be read (%s): not the one the %s step recorded; "
			 "no certificate", path, strerror(-rc), step);
		return DSP_MISMATCH;
	}
	if (strcmp(hex, want)) {
		run_fail(r, "%s: changed since the %s step recorded it (sha256 %s, recorded %s); "
			 "no certificate", path, step, hex, want);
		return DSP_MISMATCH;
	}
	return 0;
}

/* The certificate states what the record holds: inventory.json and plan.json as recorded. */
static int inputs_as_recorded(struct run *r)
{
	struct recorded d = { "", "" };
	int rc = dsp_record_read_events(r->dir, recorded_visit, &d, NULL);

	if (rc) {
		run_fail(r, "%s: the run record cannot be read: %s; no certificate", r->dir,
			 rc < 0 ? strerror(-rc) : "damaged");
		return rc;
	}
	if ((rc = same_as_recorded(r, r->inv, d.inv, "inventory")))
		return rc;
	return same_as_recorded(r, r->plan_path, d.plan, "plan");
}

int run_certify(struct run *r)
{
	const struct dsp_policy_cert *c = &r->pol->cert;
	struct dsp_cert_attest a = {
		.operator_name = c->operator_name, .operator_title = c->operator_title,
		.organization = c->organization, .location = c->location, .contact = c->contact,
		.verifier = c->verifier, .validator = c->validator,
		.media_destination = c->media_destination, .property_number = c->property_number,
		.classification = c->classification,
	};
	const char *dirs[1] = { r->dir };
	struct dsp_cert_build_opts bo = { .run_dirs = dirs, .nrun_dirs = 1, .attest = &a };
	struct dsp_cert_signer *s = NULL;
	char cert[PATH_MAX + 32], redacted[PATH_MAX + 48], *why = NULL;
	bool kind_ok = false;
	int rc;

	r->cur = DSP_STEP_CERTIFY;
	if (r->o->step)
		r->o->step(DSP_STEP_CERTIFY, NULL, r->o->arg);
	if (!c->key || !c->cert) {
		dsp_log(DSP_LOG_WARN, "%s: the policy names no signing key: no certificate "
			"(dispose certify --run-dir %s --key KEY --cert CERT -o NAME.json)",
			r->pol->path, r->dir);
		if (r->o->step)
			r->o->step(DSP_STEP_CERTIFY, "skipped", r->o->arg);
		return 0;
	}
	snprintf(cert, sizeof(cert), "%s/%s", r->dir, CERT_NAME);
	if ((rc = inputs_as_recorded(r))) {
		dsp_audit(DSP_AUDIT_ERR, "run %s: step %d/%d certify: failed", r->dir,
			  DSP_STEP_CERTIFY + 1, DSP_STEP_COUNT);
		if (r->o->step)
			r->o->step(DSP_STEP_CERTIFY, "failed", r->o->arg);
		return rc == DSP_MISMATCH ? DSP_EXIT_MISMATCH : DSP_EXIT_FAILED;
	}
	if (!access(r->inv, R_OK))
		bo.inventory = r->inv;
	/* the policy's "redact": also certificate.redacted.json, hiding those fields */
	bo.redact = c->redact;
	snprintf(redacted, sizeof(redacted), "%s/%s", r->dir, REDACTED_NAME);
	bo.redacted_output = c->redact ? redacted : NULL;
	dsp_audit(DSP_AUDIT_NOTICE, "run %s: step %d/%d certify started", r->dir,
		  DSP_STEP_CERTIFY + 1, DSP_STEP_COUNT);
	if ((rc = existing(r, cert, &kind_ok)) > 0) {
		rc = 0;
		/* its redacted copy: kept when it is this certificate's, else made again */
		if (c->redact)
			copy_again(r, cert, redacted);
	} else if (rc < 0) {
		why = NULL;
	} else if (!(s = r->signer)) {
		rc = dsp_cert_signer_load(c->key, c->cert, c->chain, c->passphrase_file, &s, &why);
		if (!rc)
			rc = dsp_cert_certify(&bo, s, cert, &kind_ok, &why);
		dsp_cert_signer_free(s);
	} else {
		rc = dsp_cert_certify(&bo, s, cert, &kind_ok, &why);
	}
	if (rc) {
		run_fail(r, "%s: no certificate: %s", r->dir, why ? why : rc < 0 ?
			 strerror(-rc) : "certify failed");
		free(why);
		dsp_audit(DSP_AUDIT_ERR, "run %s: step %d/%d certify: failed", r->dir,
			  DSP_STEP_CERTIFY + 1, DSP_STEP_COUNT);
		if (r->o->step)
			r->o->step(DSP_STEP_CERTIFY, "failed", r->o->arg);
		return DSP_EXIT_FAILED;
	}
	free(why);
	snprintf(r->res->certificate, sizeof(r->res->certificate), "%.4000s", cert);
	r->res->certificate_ok = kind_ok;
	verify_cmd(r, cert);
	{
		char pdf[PATH_MAX + 64], copy[PATH_MAX + 64];

		snprintf(pdf, sizeof(pdf), "%s/certificate.pdf", r->dir);
		run_pdf(r, cert, pdf);
		/* and of the redacted copy, when the policy asked for one */
		snprintf(copy, sizeof(copy), "%s/certificate.redacted.json", r->dir);
		snprintf(pdf, sizeof(pdf), "%s/certificate.redacted.pdf", r->dir);
		if (!access(copy, F_OK))
			run_pdf(r, copy, pdf);
	}
	dsp_audit(kind_ok ? DSP_AUDIT_NOTICE : DSP_AUDIT_WARNING, "run %s: step %d/%d certify: %s "
		  "%s", r->dir, DSP_STEP_CERTIFY + 1, DSP_STEP_COUNT, cert,
		  kind_ok ? DSP_CERT_KIND_OK : DSP_CERT_KIND_FAIL);
	if (r->o->step)
		r->o->step(DSP_STEP_CERTIFY, kind_ok ? "success" : "failure-report", r->o->arg);
	/* a failure report: the run did not sanitize everything */
	return kind_ok ? 0 : DSP_EXIT_FAILED;
}
