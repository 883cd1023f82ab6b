/* SPDX-License-Identifier: MIT */
/* keygen.c - dispose keygen: a signing key and its self-signed certificate or CSR */
#include "cert_int.h"
#include "dispose/common.h"
#include "dispose/json.h"
#include "dispose/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define SUBJECT_MAX	4096
#define DAYS_DEFAULT	825
#define DAYS_MAX	36500
/* openssl's -passin file: reads one line of at most 1023 bytes (APP_PASS_LEN) */
#define PASS_MAX	1023

static int kg_why(char **why, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int kg_why(char **why, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why && !*why) {
		va_start(ap, fmt);
		if (vasprintf(why, fmt, ap) < 0)
			*why = NULL;
		va_end(ap);
	}
	return rc;
}

/* OpenSSL's first queued error as text (for the one line), and clear the queue. */
static const char *ossl_text(char *buf, size_t n)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (r)
		snprintf(buf, n, "%s", r);
	else if (e)
		ERR_error_string_n(e, buf, n);
	else
		snprintf(buf, n, "unknown error");
	ERR_clear_error();
	return buf;
}

/* --- the subject ---------------------------------------------------------------- */

/*
 * "/K=V/K=V": one attribute per component, in order. Only "\/" and "\\"
 * escape; no multi-valued RDN ('+' is literal). The why names the
 * component as typed (shortened), never bytes that are not UTF-8.
 */
static int subject_parse(const char *s, X509_NAME **out, char **why)
{
	X509_NAME *name = NULL;
	size_t len = s ? strlen(s) : 0;
	char *buf = NULL, *val;
	int rc = DSP_INVALID;

	*out = NULL;
	if (!len)
		return kg_why(why, DSP_INVALID, "empty");
	if (len > SUBJECT_MAX)
		return kg_why(why, DSP_INVALID, "longer than %d bytes", SUBJECT_MAX);
	if (!dsp_utf8_valid(s, len))
		return kg_why(why, DSP_INVALID, "not UTF-8");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return kg_why(why, DSP_INVALID, "holds a control character");
	if (s[0] != '/')
		return kg_why(why, DSP_INVALID, "must start with '/' (\"/CN=name/O=org\")");
	if (!(buf = malloc(len + 1)) || !(name = X509_NAME_new())) {
		rc = -ENOMEM;
		goto out;
	}
	for (const char *p = s + 1;;) {
		const char *start = p;
		size_t n = 0, klen;
		char *eq;

		/* unescape one component into buf */
		while (*p && *p != '/') {
			if (*p == '\\') {
				if (p[1] != '/' && p[1] != '\\') {
					kg_why(why, DSP_INVALID, "%.*s: '\\' escapes only '/' and '\\'",
					       (int)(strcspn(start, "/") > 64 ? 64 : strcspn(start, "/")),
					       start);
					goto out;
				}
				p++;
			}
			buf[n++] = *p++;
		}
		buf[n] = 0;
		klen = (size_t)(p - start) > 64 ? 64 : (size_t)(p - start);
		if (!n) {
			kg_why(why, DSP_INVALID, "empty attribute (\"//\" or a final '/')");
			goto out;
		}
		eq = memchr(buf, '=', n);
		if (!eq || eq == buf) {
			kg_why(why, DSP_INVALID, "%.*s: not KEY=VALUE", (int)klen, start);
			goto out;
		}
		*eq = 0;
		val = eq + 1;
		if (!*val) {
			kg_why(why, DSP_INVALID, "%s: empty value", buf);
			goto out;
		}
		/* only names OpenSSL knows (short, long or dotted): no made-up OID */
		if (strlen(buf) > 64 || OBJ_txt2nid(buf) == NID_undef) {
			kg_why(why, DSP_INVALID, "%.64s: unknown attribute", buf);
			goto out;
		}
		if (!X509_NAME_add_entry_by_txt(name, buf, MBSTRING_UTF8,
						(const unsigned char *)val, -1, -1, 0)) {
			char eb[256];

			kg_why(why, DSP_INVALID, "%s: value not accepted (%s)", buf,
			       ossl_text(eb, sizeof(eb)));
			goto out;
		}
		if (!*p)
			break;
		p++;
	}
	*out = name;
	name = NULL;
	rc = 0;
out:
	X509_NAME_free(name);
	free(buf);
	ERR_clear_error();
	return rc;
}

int dsp_keygen_subject(const char *subject, char **oneline, char **why)
{
	X509_NAME *name;
	int rc = subject_parse(subject, &name, why);

	if (rc)
		return rc;
	if (oneline && !(*oneline = dsp_x509_name_text(name)))
		rc = -ENOMEM;
	X509_NAME_free(name);
	return rc;
}

/* "/CN=<hostname> dispose signer", built directly: a hostname is no subject syntax. */
static int default_name(X509_NAME **out)
{
	char host[256] = "", cn[300];

	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	/* a CN holds at most 64 characters */
	snprintf(cn, sizeof(cn), "%.*s dispose signer", 49, host);
	if (!(*out = X509_NAME_new()) ||
	    !X509_NAME_add_entry_by_txt(*out, "CN", MBSTRING_UTF8, (unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(*out);
		*out = NULL;
		ERR_clear_error();
		return -ENOMEM;
	}
	return 0;
}

/* --- files ------------------------------------------------------------------------- */

struct made {
	char *path;
	dev_t dev;
	ino_t ino;
};

/* Create path new (never through a symlink, never replacing anything) with exactly mode. */
static int create_new(const char *path, mode_t mode, struct made *m, char **why)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0) {
		int e = errno;

		if (e == EEXIST && !lstat(path, &st) && S_ISLNK(st.st_mode))
			return kg_why(why, -EEXIST, "%s: is a symbolic link (never replaced)", path);
		if (e == EEXIST)
			return kg_why(why, -EEXIST, "%s: exists (never replaced)", path);
		return kg_why(why, -e, "%s: %s", path, strerror(e));
	}
	/* the umask may have taken bits away; exactly mode, not more or less */
	if (fchmod(fd, mode) < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return kg_why(why, -e, "%s: %s", path, strerror(e));
	}
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	if (!(m->path = strdup(path))) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	return fd;
}

/* Remove what this call made, only if the name still is that file. */
static void unmake(struct made *m)
{
	struct stat st;

	if (m->path && !lstat(m->path, &st) && st.st_dev == m->dev && st.st_ino == m->ino)
		unlink(m->path);
	free(m->path);
	m->path = NULL;
}

/* Write what fn puts in a memory BIO to fd, then fsync. */
static int write_bio(int fd, BIO *b, const char *path, char **why)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);
	size_t off = 0;

	while (n > 0 && off < (size_t)n) {
		ssize_t w = write(fd, p + off, (size_t)n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return kg_why(why, w < 0 ? -errno : -EIO, "%s: %s", path,
				      strerror(w < 0 ? errno : EIO));
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		return kg_why(why, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static void sync_dir_of(const char *path)
{
	char *d = strdup(path), *s;
	int fd;

	if (!d)
		return;
	s = strrchr(d, '/');
	if (!s)
		strcpy(d, ".");
	else if (s == d)
		d[1] = 0;
	else
		*s = 0;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(d);
}

/*
 * The passphrase: the file's first line without its newline (as
 * `openssl -passin file:` reads it). The file must be a regular file or a
 * pipe that neither group nor others may read: a secret others can read
 * is no secret, so it is refused rather than used.
 */
static int read_passphrase(const char *path, char **pass, char **why)
{
	char buf[PASS_MAX + 2];
	struct stat st;
	size_t n = 0, line;
	char *nl;
	int fd, rc = 0;

	*pass = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return kg_why(why, errno == ENOENT || errno == ENOTDIR ? DSP_INVALID : -errno,
			      "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = kg_why(why, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		rc = kg_why(why, DSP_INVALID, "%s: not a regular file or pipe", path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = kg_why(why, DSP_REFUSED, "%s: group or others may read it (chmod 600 %s)",
			    path, path);
		goto out;
	}
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = kg_why(why, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n))
			break;
	}
	nl = memchr(buf, '\n', n);
	line = nl ? (size_t)(nl - buf) : n;
	buf[line] = 0;
	if (line > PASS_MAX)
		rc = kg_why(why, DSP_INVALID, "%s: passphrase longer than %d bytes", path, PASS_MAX);
	else if (strlen(buf) != line)
		rc = kg_why(why, DSP_INVALID, "%s: the passphrase holds a NUL byte", path);
	else if (!line)
		rc = kg_why(why, DSP_INVALID, "%s: empty passphrase", path);
	else if (!(*pass = strdup(buf)))
		rc = -ENOMEM;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* --- the key and its certificate ------------------------------------------------- */

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

static char *fingerprint(const unsigned char *md, unsigned n)
{
	char *r = malloc(n * 3 + 1);

	if (!r)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		sprintf(r + 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
	r[n ? n * 3 - 1 : 0] = 0;
	return r;
}

static char *asn1_time_rfc3339(const ASN1_TIME *t)
{
	struct tm tm;
	char *r;

	if (!ASN1_TIME_to_tm(t, &tm))
		return NULL;
	if (asprintf(&r, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec) < 0)
		return NULL;
	return r;
}

/* A self-signed X.509 v3 signing certificate; fills info's fingerprint and not_after. */
static X509 *make_cert(EVP_PKEY *pk, X509_NAME *name, unsigned days, struct dsp_keygen_info *info)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	X509V3_CTX ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	/* random, positive, 159 bits at most: within RFC 5280's 20 octets */
	if (!x || !bn || !BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    (BN_is_zero(bn) && !BN_one(bn)) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !X509_set_pubkey(x, pk))
		goto fail;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
	    !X509_sign(x, pk, EVP_sha256()) || !X509_digest(x, EVP_sha256(), md, &mdlen) ||
	    !(info->fingerprint = fingerprint(md, mdlen)) ||
	    !(info->not_after = asn1_time_rfc3339(X509_get0_notAfter(x))))
		goto fail;
	BN_free(bn);
	return x;
fail:
	BN_free(bn);
	X509_free(x);
	return NULL;
}

static X509_REQ *make_csr(EVP_PKEY *pk, X509_NAME *name, struct dsp_keygen_info *info)
{
	X509_REQ *r = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ku = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage,
						 "critical,digitalSignature");
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int dlen;

	if (!r || !exts || !ku || !sk_X509_EXTENSION_push(exts, ku))
		goto fail;
	ku = NULL;
	if (!X509_REQ_set_version(r, X509_REQ_VERSION_1) || !X509_REQ_set_subject_name(r, name) ||
	    !X509_REQ_set_pubkey(r, pk) || !X509_REQ_add_extensions(r, exts) ||
	    !X509_REQ_sign(r, pk, EVP_sha256()) || (dlen = i2d_PUBKEY(pk, &der)) <= 0 ||
	    !EVP_Digest(der, (size_t)dlen, md, &mdlen, EVP_sha256(), NULL) ||
	    !(info->fingerprint = fingerprint(md, mdlen)))
		goto fail;
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
fail:
	OPENSSL_free(der);
	X509_EXTENSION_free(ku);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(r);
	return NULL;
}

void dsp_keygen_info_clear(struct dsp_keygen_info *info)
{
	if (!info)
		return;
	free(info->key_path);
	free(info->out_path);
	free(info->subject);
	free(info->fingerprint);
	free(info->not_after);
	memset(info, 0, sizeof(*info));
}

int dsp_keygen(const char *prefix, const struct dsp_keygen_opts *o,
	       struct dsp_keygen_info *info, char **why)
{
	struct dsp_keygen_info local = { 0 };
	struct made mk = { 0 }, mo = { 0 };
	unsigned days = o->days ? o->days : DAYS_DEFAULT;
	char *keyp = NULL, *outp = NULL, *pass = NULL, eb[256];
	X509_NAME *name = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_REQ *req = NULL;
	BIO *kb = NULL, *ob = NULL;
	sigset_t stop, old;
	bool masked = false;
	int rc, kfd = -1, ofd = -1;

	if (info)
		memset(info, 0, sizeof(*info));
	if (!prefix || !prefix[0])
		return kg_why(why, DSP_INVALID, "-o: empty prefix");
	{
		/* "dir/", "." or "..": the files would be the hidden dir/.key and dir/.crt */
		const char *base = strrchr(prefix, '/') ? strrchr(prefix, '/') + 1 : prefix;

		if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
			return kg_why(why, DSP_INVALID, "-o: %s: names a directory, not a file name "
				      "prefix (as in -o %s%ssigner)", prefix, prefix,
				      *base ? "/" : "");
	}
	if (days > DAYS_MAX)
		return kg_why(why, DSP_INVALID, "--days %u: more than %d", days, DAYS_MAX);
	if (o->type != DSP_KEYGEN_EC_P256 && o->type != DSP_KEYGEN_RSA_3072)
		return kg_why(why, DSP_INVALID, "--type: unknown key type");
	if (asprintf(&keyp, "%s.key", prefix) < 0 || asprintf(&outp, "%s.%s", prefix,
							       o->csr ? "csr" : "crt") < 0) {
		free(keyp);
		return -ENOMEM;
	}
	if (strlen(outp) >= PATH_MAX) {
		rc = kg_why(why, DSP_INVALID, "%.64s...: name too long", prefix);
		goto out;
	}
	/* everything that can be wrong with the input, before anything is made */
	if (o->subject) {
		char *w = NULL;

		rc = subject_parse(o->subject, &name, &w);
		if (rc) {
			kg_why(why, rc, "subject: %s", w ? w : strerror(ENOMEM));
			free(w);
			goto out;
		}
	} else if ((rc = default_name(&name))) {
		goto out;
	}
	if (o->passphrase_file && (rc = read_passphrase(o->passphrase_file, &pass, why)))
		goto out;
	if (!(local.subject = dsp_x509_name_text(name))) {
		rc = -ENOMEM;
		goto out;
	}

	pk = o->type == DSP_KEYGEN_EC_P256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
					     EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	if (!pk) {
		rc = kg_why(why, -EIO, "key generation: %s", ossl_text(eb, sizeof(eb)));
		goto out;
	}
	if (o->csr)
		req = make_csr(pk, name, &local);
	else
		x = make_cert(pk, name, days, &local);
	kb = BIO_new(BIO_s_mem());
	ob = BIO_new(BIO_s_mem());
	if ((!x && !req) || !kb || !ob ||
	    !PEM_write_bio_PrivateKey(kb, pk, pass ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
				      pass) ||
	    !(x ? PEM_write_bio_X509(ob, x) : PEM_write_bio_X509_REQ(ob, req))) {
		rc = kg_why(why, -EIO, "%s: %s", o->csr ? "certificate request" : "certificate",
			    ossl_text(eb, sizeof(eb)));
		goto out;
	}

	/*
	 * From the first file to the last close, SIGINT/SIGTERM/SIGHUP wait:
	 * an interruption must not leave half a key or a key without its
	 * certificate. They are delivered once this call has finished or
	 * cleaned up.
	 */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	masked = pthread_sigmask(SIG_BLOCK, &stop, &old) == 0;
	if ((kfd = create_new(keyp, 0600, &mk, why)) < 0) {
		rc = kfd;
		goto out;
	}
	if ((ofd = create_new(outp, 0644, &mo, why)) < 0) {
		rc = ofd;
		goto out;
	}
	if ((rc = write_bio(kfd, kb, keyp, why)) || (rc = write_bio(ofd, ob, outp, why)))
		goto out;
	/* both closed whatever happens; an error of either (NFS) fails the call */
	rc = close(kfd) < 0 ? -errno : 0;
	if (close(ofd) < 0 && !rc)
		rc = -errno;
	kfd = ofd = -1;
	if (rc) {
		kg_why(why, rc, "%s: %s", prefix, strerror(-rc));
		goto out;
	}
	sync_dir_of(keyp);
	local.key_path = mk.path;
	local.out_path = mo.path;
	mk.path = mo.path = NULL;
	rc = 0;
out:
	if (kfd >= 0)
		close(kfd);
	if (ofd >= 0)
		close(ofd);
	unmake(&mk);
	unmake(&mo);
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (kb) {
		char *p;
		long n = BIO_get_mem_data(kb, &p);

		/* the unencrypted key's text: wiped, not just freed */
		if (n > 0)
			OPENSSL_cleanse(p, (size_t)n);
		BIO_free(kb);
	}
	BIO_free(ob);
	X509_free(x);
	X509_REQ_free(req);
	EVP_PKEY_free(pk);
	X509_NAME_free(name);
	if (pass) {
		OPENSSL_cleanse(pass, strlen(pass));
		free(pass);
	}
	free(keyp);
	free(outp);
	ERR_clear_error();
	if (rc == 0 && info)
		*info = local;
	else
		dsp_keygen_info_clear(&local);
	return rc;
}
