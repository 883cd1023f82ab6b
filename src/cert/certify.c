/* SPDX-License-Identifier: MIT */
/* certify.c - build, canonicalise, sign and write NAME.json and NAME.json.p7s */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"
#include "dispose/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A new file, synced (dsp_file_write: never an existing one, never through a symlink). */
static int write_new(const char *path, const void *buf, size_t len, char **why)
{
	int rc = dsp_file_write(path, buf, len, 0644, DSP_FILE_EXCL | DSP_FILE_NOFOLLOW);

	if (rc == -EEXIST)
		return cert_why(why, rc, "%s: already exists; not replaced", path);
	if (rc)
		return cert_why(why, rc, "%s: %s", path, strerror(-rc));
	return 0;
}

/* NAME.json -> NAME.redacted.json */
static char *copy_name(const struct dsp_cert_build_opts *o, const char *out_json)
{
	char *p = NULL;

	if (o->redacted_output)
		return strdup(o->redacted_output);
	if (asprintf(&p, "%.*s.redacted.json", (int)(strlen(out_json) - 5), out_json) < 0)
		return NULL;
	return p;
}

/* Canonical bytes of doc, checked as verify checks them, signed. */
static int seal(struct json_object *doc, struct dsp_cert_signer *s, const char *name, char **buf,
		size_t *len, unsigned char **der, size_t *derlen, char **why)
{
	bool copy = dsp_cert_is_redacted(doc);
	char *w = NULL;
	int rc;

	/* never sign what verify would reject: an edited record may claim more than it earned */
	if ((rc = dsp_cert_check_schema(doc, &w)) || (rc = dsp_cert_check_consistency(doc, &w))) {
		if (rc != -ENOMEM)
			rc = cert_why(why, DSP_INVALID, copy ? "%s: not written: the redacted copy "
				      "would not verify (%s)" : "%s: not written: the run records do not "
				      "make a valid certificate (%s)", name, w ? w : "?");
		free(w);
		return rc;
	}
	if ((rc = dsp_cert_canonical(doc, buf, len)))
		return cert_why(why, rc, "%s: cannot make the canonical form: %s", name,
				strerror(-rc));
	return dsp_cert_sign(s, *buf, *len, der, derlen, why);
}

int dsp_cert_certify(const struct dsp_cert_build_opts *o, struct dsp_cert_signer *s,
		     const char *out_json, bool *kind_ok, char **why)
{
	struct json_object *doc = NULL, *copy = NULL;
	unsigned char *der = NULL, *cder = NULL;
	char *buf = NULL, *p7s = NULL, *cbuf = NULL, *cname = NULL, *cp7s = NULL;
	size_t len = 0, derlen = 0, clen = 0, cderlen = 0, n = out_json ? strlen(out_json) : 0;
	int rc;
	bool made[4] = { false, false, false, false };
	const char *names[4] = { NULL, NULL, NULL, NULL };

	if (kind_ok)
		*kind_ok = false;
	if (n < 6 || strcmp(out_json + n - 5, ".json"))
		return cert_why(why, DSP_INVALID, "%s: the output name must end in \".json\"",
				out_json ? out_json : "-o");
	if (asprintf(&p7s, "%s.p7s", out_json) < 0)
		return -ENOMEM;
	if (o->redact) {
		if (!(cname = copy_name(o, out_json)) || asprintf(&cp7s, "%s.p7s", cname) < 0) {
			cp7s = NULL;
			rc = -ENOMEM;
			goto out;
		}
		n = strlen(cname);
		if (n < 6 || strcmp(cname + n - 5, ".json") || !strcmp(cname, out_json)) {
			rc = cert_why(why, DSP_INVALID, "%s: the redacted copy's name must end in "
				      "\".json\" and differ from the certificate's", cname);
			goto out;
		}
	}
	names[0] = out_json;
	names[1] = p7s;
	names[2] = cname;
	names[3] = cp7s;
	if ((rc = cert_build(o, &doc, o->redact ? &copy : NULL, why)))
		goto out;
	/* a copy that hides the host, signed by a certificate that names it: nothing written */
	if ((o->redact & DSP_CERT_REDACT_HOST) && (rc = cert_redact_signer_check(doc, s, why)))
		goto out;
	if ((rc = seal(doc, s, out_json, &buf, &len, &der, &derlen, why)))
		goto out;
	/* the copy (made once by the build): its original_sha256 is of the full's bytes as signed */
	if (o->redact) {
		if (!copy) {
			rc = cert_why(why, DSP_INVALID, "%s: no redacted copy", cname);
			goto out;
		}
		if ((rc = cert_redact_original(copy, buf, len)))
			goto out;
		if ((rc = seal(copy, s, cname, &cbuf, &clen, &cder, &cderlen, why)))
			goto out;
	}
	if ((rc = write_new(out_json, buf, len, why)))
		goto out;
	made[0] = true;
	if ((rc = write_new(p7s, der, derlen, why)))
		goto out;
	made[1] = true;
	if (o->redact) {
		if ((rc = write_new(cname, cbuf, clen, why)))
			goto out;
		made[2] = true;
		if ((rc = write_new(cp7s, cder, cderlen, why)))
			goto out;
		made[3] = true;
	}
	if (kind_ok)
		*kind_ok = !strcmp(dsp_json_str(doc, "kind"), DSP_CERT_KIND_OK);
	dsp_audit(DSP_AUDIT_NOTICE, "certify: wrote %s %s %s", out_json, dsp_json_str(doc, "kind"),
		  json_object_get_string(json_object_object_get(doc, "certificate_id")));
	if (copy)
		dsp_audit(DSP_AUDIT_NOTICE, "certify: wrote %s redacted copy %s (%s)", cname,
			  json_object_get_string(json_object_object_get(copy, "certificate_id")),
			  dsp_cert_redact_words(o->redact));
	rc = 0;
out:
	if (rc) {
		/* a failure leaves no file (dsp_file_write removed its own) */
		for (int i = 3; i >= 0; i--)
			if (made[i])
				unlink(names[i]);
		dsp_audit(DSP_AUDIT_ERR, "certify: %s: %s", out_json,
			  why && *why ? *why : rc < 0 ? strerror(-rc) : "failed");
	}
	free(der);
	free(buf);
	free(p7s);
	free(cder);
	free(cbuf);
	free(cname);
	free(cp7s);
	json_object_put(doc);
	json_object_put(copy);
	return rc;
}

int dsp_cert_redact_file(const char *full_json, struct dsp_cert_signer *s, const char *copy_json,
			 char **why)
{
	struct json_object *full = NULL, *copy = NULL;
	unsigned char *der = NULL;
	char *fb = NULL, *cb = NULL, *p7s = NULL;
	size_t fl = 0, cl = 0, derlen = 0;
	bool made = false;
	int rc;

	if (asprintf(&p7s, "%s.p7s", copy_json) < 0)
		return -ENOMEM;
	if ((rc = dsp_file_read(full_json, 64u << 20, DSP_FILE_NOFOLLOW, &fb, &fl))) {
		rc = cert_why(why, rc == -ENOMEM ? rc : DSP_INVALID, "%s: %s", full_json,
			      strerror(-rc));
		goto out;
	}
	if ((rc = dsp_cert_parse(fb, fl, &full, why)) ||
	    (rc = dsp_cert_redact(full, fb, fl, &copy, NULL, why)) ||
	    (rc = seal(copy, s, copy_json, &cb, &cl, &der, &derlen, why)))
		goto out;
	if ((rc = write_new(copy_json, cb, cl, why)))
		goto out;
	made = true;
	if ((rc = write_new(p7s, der, derlen, why)))
		goto out;
	dsp_audit(DSP_AUDIT_NOTICE, "certify: wrote %s redacted copy %s of %s", copy_json,
		  json_object_get_string(json_object_object_get(copy, "certificate_id")), full_json);
out:
	if (rc && made)
		unlink(copy_json);
	json_object_put(full);
	json_object_put(copy);
	free(der);
	free(fb);
	free(cb);
	free(p7s);
	return rc;
}
