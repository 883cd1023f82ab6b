/* SPDX-License-Identifier: MIT */
/* file.c - show --pdf / certify --pdf: a signed certificate, read once, checked, rendered to a new file */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "dispose/pdf.h"
#include "dispose/util.h"

#define JSON_MAX	(64u << 20)	/* as dispose show reads one */
#define P7S_MAX		(1u << 20)

static int say(char **why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char **why, int rc, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (!why)
		return rc;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(*why);
	*why = s;
	return s ? rc : -ENOMEM;
}

static const char *read_err(int rc)
{
	return rc == -EFBIG ? "too large for a certificate" :
	       rc == -EINVAL ? "not a regular file" : strerror(-rc);
}

struct out {
	int fd;
	int err;
};

static int out_write(void *arg, const void *buf, size_t len)
{
	struct out *o = arg;
	const char *p = buf;

	while (len) {
		ssize_t w = write(o->fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			o->err = errno;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void sync_dir_of(const char *path)
{
	char *c = strdup(path);
	int fd;

	if (!c)
		return;
	fd = open(dirname(c), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(c);
}

/*
 * Render json to out_pdf: into an unnamed file in its directory (O_TMPFILE:
 * a crash or a signal leaves nothing), or where the filesystem has none a
 * temporary name beside it (O_EXCL|O_NOFOLLOW), synced, then linked to
 * out_pdf, which link never replaces (-EEXIST). Nothing is left on failure.
 */
static int render_to(const char *out_pdf, const char *json, size_t len,
		     const struct dsp_pdf_opts *o, char **why)
{
	char tmp[PATH_MAX], proc[64], *dir, *c;
	unsigned char rnd[6];
	char hex[13];
	struct out w = { -1, 0 };
	struct stat st;
	bool named = false;
	int rc;

	/* say so before the work when the name is taken (the link below decides) */
	if (lstat(out_pdf, &st) == 0)
		return say(why, -EEXIST, "%s: exists", out_pdf);
	if (!(c = strdup(out_pdf)))
		return -ENOMEM;
	dir = dirname(c);
	w.fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (w.fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		rc = say(why, -errno, "%s: %s", out_pdf, strerror(errno));
		free(c);
		return rc;
	}
	if (w.fd < 0) {
		named = true;
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			free(c);
			return say(why, -EIO, "%s: no random bytes for a temporary name", out_pdf);
		}
		dsp_hex(rnd, sizeof(rnd), hex);
		rc = snprintf(tmp, sizeof(tmp), "%s/.dispose-pdf.%s.tmp", dir, hex);
		if (rc < 0 || rc >= (int)sizeof(tmp)) {
			free(c);
			return say(why, -ENAMETOOLONG, "%s: %s", out_pdf, strerror(ENAMETOOLONG));
		}
		w.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			    0644);
	}
	free(c);
	if (w.fd < 0)
		return say(why, -errno, "%s: %s", out_pdf, strerror(errno));
	rc = dsp_pdf_render(json, len, o, out_write, &w, why);
	if (rc == -EIO && w.err)
		rc = say(why, -w.err, "%s: %s", out_pdf, strerror(w.err));
	if (!rc && fsync(w.fd) < 0)
		rc = say(why, -errno, "%s: %s", out_pdf, strerror(errno));
	if (!rc) {
		int r;

		if (named) {
			r = link(tmp, out_pdf);
		} else {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w.fd);
			r = linkat(AT_FDCWD, proc, AT_FDCWD, out_pdf, AT_SYMLINK_FOLLOW);
			if (r < 0 && errno == ENOENT)	/* no /proc: needs CAP_DAC_READ_SEARCH */
				r = linkat(w.fd, "", AT_FDCWD, out_pdf, AT_EMPTY_PATH);
		}
		if (r < 0)
			rc = say(why, -errno, errno == EEXIST ? "%s: exists" : "%s: %s", out_pdf,
				 strerror(errno));
	}
	close(w.fd);
	if (named)
		unlink(tmp);
	if (!rc)
		sync_dir_of(out_pdf);
	return rc;
}

static bool names(const char *reason, const char *path)
{
	size_t n = strlen(path);

	return !strncmp(reason, path, n) && reason[n] == ':';
}

int dsp_pdf_certificate(const char *cert_path, const char *out_pdf, char **why)
{
	struct dsp_cert_result res = { 0 };
	struct dsp_cert_verifier *v = NULL;
	struct dsp_cert_verify_opts vo = { 0 };
	struct json_object *doc = NULL;
	struct dsp_pdf_opts o = { 0 };
	char *json = NULL, *p7s = NULL, *p7path = NULL, *base = NULL, *cwhy = NULL;
	size_t jlen = 0, plen = 0;
	int rc;

	if (why)
		*why = NULL;
	if ((rc = dsp_file_read(cert_path, JSON_MAX, 0, &json, &jlen)))
		return rc == -ENOMEM ? rc : say(why, DSP_INVALID, "%s: %s", cert_path, read_err(rc));
	if (asprintf(&p7path, "%s.p7s", cert_path) < 0) {
		p7path = NULL;
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = dsp_file_read(p7path, P7S_MAX, 0, &p7s, &plen))) {
		rc = rc == -ENOMEM ? rc : say(why, DSP_INVALID, "%s: %s", p7path, read_err(rc));
		goto out;
	}
	if ((rc = dsp_cert_verifier_new(NULL, &v, why)))
		goto out;
	if ((rc = dsp_cert_verify_mem(v, cert_path, json, jlen, p7s, plen, &vo, &res)))
		goto out;
	switch (res.outcome) {
	case DSP_CERT_VALID:
	case DSP_CERT_FAILURE_REPORT:
	case DSP_CERT_UNTRUSTED:
		break;
	case DSP_CERT_UNREADABLE:
	default:
		/* the reason names the file, or is said after its name */
		rc = res.outcome == DSP_CERT_UNREADABLE ? DSP_INVALID : DSP_MISMATCH;
		if (res.reason && names(res.reason, cert_path))
			rc = say(why, rc, "%s", res.reason);
		else
			rc = say(why, rc, "%s: %s", cert_path, res.reason ? res.reason : "invalid");
		goto out;
	}
	/* without a CA, verify stops at the untrusted signer: the document's own rules here */
	if (dsp_cert_parse(json, jlen, &doc, &cwhy) || dsp_cert_check_schema(doc, &cwhy) ||
	    dsp_cert_check_consistency(doc, &cwhy)) {
		rc = say(why, DSP_MISMATCH, "%s: document: %s", cert_path,
			 cwhy ? cwhy : "not a valid certificate");
		goto out;
	}
	if (!(base = strdup(cert_path))) {
		rc = -ENOMEM;
		goto out;
	}
	o.json_name = basename(base);
	o.signer = res.signer;
	o.signing_time = res.signing_time;
	rc = render_to(out_pdf, json, jlen, &o, why);
	if (rc == DSP_INVALID)	/* verified and parsed above: cannot be the document */
		rc = say(why, -EIO, "%s: cannot be rendered", cert_path);
out:
	dsp_cert_result_clear(&res);
	dsp_cert_verifier_free(v);
	json_object_put(doc);
	free(json);
	free(p7s);
	free(p7path);
	free(base);
	free(cwhy);
	return rc;
}
