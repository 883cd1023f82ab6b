/* SPDX-License-Identifier: MIT */
/* certify.c - build, canonicalise, sign and write NAME.json and NAME.json.p7s */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A new file (never an existing one, never through a symlink). */
static int create_new(const char *path, char **why)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0) {
		int e = errno;
		if (e == EEXIST)
			return cert_why(why, -e, "%s: already exists; not replaced", path);
		return cert_why(why, -e, "%s: %s", path, strerror(e));
	}
	return fd;
}

static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	if (fsync(fd) && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

int dsp_cert_certify(const struct dsp_cert_build_opts *o, struct dsp_cert_signer *s,
		     const char *out_json, bool *kind_ok, char **why)
{
	struct json_object *doc = NULL;
	unsigned char *der = NULL;
	char *buf = NULL, *p7s = NULL;
	size_t len = 0, derlen = 0, n = out_json ? strlen(out_json) : 0;
	int fj = -1, fp = -1, rc;
	bool made_j = false, made_p = false;

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
	/* both names are claimed before either is written */
	if ((fj = create_new(out_json, why)) < 0) {
		rc = fj;
		goto out;
	}
	made_j = true;
	if ((fp = create_new(p7s, why)) < 0) {
		rc = fp;
		goto out;
	}
	made_p = true;
	if ((rc = write_all(fj, buf, len)) || (rc = fsync(fj) ? -errno : 0)) {
		cert_why(why, rc, "%s: %s", out_json, strerror(-rc));
		goto out;
	}
	if ((rc = write_all(fp, der, derlen)) || (rc = fsync(fp) ? -errno : 0)) {
		cert_why(why, rc, "%s: %s", p7s, strerror(-rc));
		goto out;
	}
	if (close(fj)) {
		fj = -1;
		rc = cert_why(why, -errno, "%s: %s", out_json, strerror(errno));
		goto out;
	}
	fj = -1;
	if (close(fp)) {
		fp = -1;
		rc = cert_why(why, -errno, "%s: %s", p7s, strerror(errno));
		goto out;
	}
	fp = -1;
	if ((rc = sync_dir_of(out_json))) {
		cert_why(why, rc, "%s: directory not synced: %s", out_json, strerror(-rc));
		goto out;
	}
	if (kind_ok)
		*kind_ok = !strcmp(dsp_json_str(doc, "kind"), DSP_CERT_KIND_OK);
	dsp_audit(DSP_AUDIT_NOTICE, "certify: wrote %s %s %s", out_json, dsp_json_str(doc, "kind"),
		  json_object_get_string(json_object_object_get(doc, "certificate_id")));
	rc = 0;
out:
	if (fj >= 0)
		close(fj);
	if (fp >= 0)
		close(fp);
	if (rc) {
		/* a failure leaves neither file */
		if (made_j)
			unlink(out_json);
		if (made_p)
			unlink(p7s);
		dsp_audit(DSP_AUDIT_ERR, "certify: %s: %s", out_json,
			  why && *why ? *why : rc < 0 ? strerror(-rc) : "failed");
	}
	free(der);
	free(buf);
	free(p7s);
	json_object_put(doc);
	return rc;
}
