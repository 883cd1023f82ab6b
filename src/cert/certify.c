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

int dsp_cert_certify(const struct dsp_cert_build_opts *o, struct dsp_cert_signer *s,
		     const char *out_json, bool *kind_ok, char **why)
{
	struct json_object *doc = NULL;
	unsigned char *der = NULL;
	char *buf = NULL, *p7s = NULL;
	size_t len = 0, derlen = 0, n = out_json ? strlen(out_json) : 0;
	int rc;
	bool made_j = false;

	if (kind_ok)
		*kind_ok = false;
	if (n < 6 || strcmp(out_json + n - 5, ".json"))
		return cert_why(why, DSP_INVALID, "%s: the output name must end in \".json\"",
				out_json ? out_json : "-o");
	if (asprintf(&p7s, "%s.p7s", out_json) < 0)
		return -ENOMEM;
	if ((rc = dsp_cert_build(o, &doc, why)))
		goto out;
	/* never sign what verify would reject: an edited record may claim more than it earned */
	{
		char *w = NULL;

		if ((rc = dsp_cert_check_schema(doc, &w)) || (rc = dsp_cert_check_consistency(doc, &w))) {
			if (rc != -ENOMEM)
				rc = cert_why(why, DSP_INVALID, "%s: not written: the run records do not "
					      "make a valid certificate (%s)", out_json, w ? w : "?");
			free(w);
			goto out;
		}
	}
	if ((rc = dsp_cert_canonical(doc, &buf, &len))) {
		rc = cert_why(why, rc, "%s: cannot make the canonical form: %s", out_json,
			      strerror(-rc));
		goto out;
	}
	if ((rc = dsp_cert_sign(s, buf, len, &der, &derlen, why)))
		goto out;
	if ((rc = write_new(out_json, buf, len, why)))
		goto out;
	made_j = true;
	if ((rc = write_new(p7s, der, derlen, why)))
		goto out;
	if (kind_ok)
		*kind_ok = !strcmp(dsp_json_str(doc, "kind"), DSP_CERT_KIND_OK);
	dsp_audit(DSP_AUDIT_NOTICE, "certify: wrote %s %s %s", out_json, dsp_json_str(doc, "kind"),
		  json_object_get_string(json_object_object_get(doc, "certificate_id")));
	rc = 0;
out:
	if (rc) {
		/* a failure leaves neither file (dsp_file_write removed its own) */
		if (made_j)
			unlink(out_json);
		dsp_audit(DSP_AUDIT_ERR, "certify: %s: %s", out_json,
			  why && *why ? *why : rc < 0 ? strerror(-rc) : "failed");
	}
	free(der);
	free(buf);
	free(p7s);
	json_object_put(doc);
	return rc;
}
