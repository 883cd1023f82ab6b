/* SPDX-License-Identifier: MIT */
/* envelope.c - detached CMS AuthEnvelopedData (AES-256-GCM): stream writer, volumes, decrypter */
#include "dispose/envelope.h"
#include "dispose/log.h"
#include "dispose/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/*
 * Data is encrypted in 1 MiB steps. The cipher context is the one
 * CMS_dataInit() set up (key, IV, recipients, expected tag), but we drive
 * EVP directly instead of going through BIO_f_cipher, which works in 4 KiB
 * pieces with a syscall each; the bytes and the tag are identical.
 */
#define CHUNK		(1u << 20)
#define MAX_CERT	(1u << 20)

static uint64_t volume_max = DSP_ENV_VOLUME_MAX;

void dsp_env_set_volume_max(uint64_t bytes)
{
	if (bytes == 0 || bytes > DSP_ENV_VOLUME_MAX)
		bytes = DSP_ENV_VOLUME_MAX;
	volume_max = bytes;
}

/* Log the newest OpenSSL error after "<thing>: <what>" and clear the queue. */
static void log_ossl(const char *thing, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char reason[256] = "";

	if (e)
		ERR_error_string_n(e, reason, sizeof(reason));
	if (reason[0])
		dsp_log(DSP_LOG_ERROR, "%s: %s (%s)", thing, what, reason);
	else
		dsp_log(DSP_LOG_ERROR, "%s: %s", thing, what);
	ERR_clear_error();
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Slurp a small file (certificate, key, envelope); refuses more than max. */
static int read_small(const char *path, size_t max, unsigned char **out,
		      size_t *outlen)
{
	/* O_NONBLOCK: a FIFO given as a key or certificate must not hang us */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	unsigned char *buf;
	size_t size;
	ssize_t n;
	int rc;

	if (fd < 0) {
		rc = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		dsp_log(DSP_LOG_ERROR, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		dsp_log(DSP_LOG_ERROR, "%s: not a regular file of at most %zu bytes",
			path, max);
		return DSP_INVALID;
	}
	size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = dsp_read_full(fd, buf, size + 1, -1);
	close(fd);
	if (n < 0 || (size_t)n != size) {
		OPENSSL_clear_free(buf, size + 1);
		rc = n < 0 ? (int)n : -EAGAIN;
		dsp_log(DSP_LOG_ERROR, "%s: %s", path, n < 0 ?
			strerror(-rc) : "file changed while being read");
		return rc;
	}
	buf[size] = 0;
	*out = buf;
	*outlen = size;
	return 0;
}

static int load_cert(const char *path, X509 **out)
{
	unsigned char *buf;
	size_t len;
	const unsigned char *p;
	X509 *x = NULL;
	BIO *b;
	int rc = read_small(path, MAX_CERT, &buf, &len);

	if (rc)
		return rc;
	b = BIO_new_mem_buf(buf, (int)len);
	if (b) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (!x) {
		ERR_clear_error();
		p = buf;
		x = d2i_X509(NULL, &p, (long)len);
	}
	free(buf);
	if (!x) {
		log_ossl(path, "not an X.509 certificate (PEM or DER)");
		return DSP_INVALID;
	}
	*out = x;
	return 0;
}

/* Never NULL as callback: OpenSSL would prompt on the terminal. */
static int refuse_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int load_key(const char *path, EVP_PKEY **out)
{
	unsigned char *buf;
	size_t len;
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	BIO *b;
	int rc = read_small(path, MAX_CERT, &buf, &len);

	if (rc)
		return rc;
	b = BIO_new_mem_buf(buf, (int)len);
	if (b) {
		pk = PEM_read_bio_PrivateKey(b, NULL, refuse_passphrase, NULL);
		BIO_free(b);
	}
	if (!pk) {
		ERR_clear_error();
		p = buf;
		pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	if (!pk) {
		if (memmem(buf, len, "ENCRYPTED", 9)) {
			ERR_clear_error();
			dsp_log(DSP_LOG_ERROR, "%s: private key is passphrase-protected; "
				"decrypt it first (openssl pkey -in KEY -out PLAIN)", path);
		} else {
			log_ossl(path, "not a private key (PEM or DER)");
		}
		rc = DSP_INVALID;
	}
	OPENSSL_clear_free(buf, len + 1);
	*out = pk;
	return rc;
}

/* RSA >= 2048 bit or EC on a NIST prime curve: what CMS 3.0 can wrap to. */
static int check_recipient_key(const char *path, X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	char group[64] = "";

	if (!pk) {
		log_ossl(path, "certificate has no usable public key");
		return DSP_INVALID;
	}
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) < 2048) {
			dsp_log(DSP_LOG_ERROR, "%s: RSA key of %d bits is too small "
				"(2048 at least)", path, EVP_PKEY_get_bits(pk));
			return DSP_UNSUPPORTED;
		}
		return 0;
	}
	if (EVP_PKEY_is_a(pk, "EC")) {
		if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
						    group, sizeof(group), NULL))
			group[0] = '\0';
		if (!strcmp(group, "prime256v1") || !strcmp(group, "secp384r1") ||
		    !strcmp(group, "secp521r1"))
			return 0;
		ERR_clear_error();
		dsp_log(DSP_LOG_ERROR, "%s: EC curve %s not supported "
			"(P-256, P-384 or P-521)", path, group[0] ? group : "(explicit)");
		return DSP_UNSUPPORTED;
	}
	dsp_log(DSP_LOG_ERROR, "%s: %s keys cannot receive CMS envelopes "
		"(RSA or EC P-256)", path, EVP_PKEY_get0_type_name(pk) ?
		EVP_PKEY_get0_type_name(pk) : "this type of");
	return DSP_UNSUPPORTED;
}

char *dsp_env_volume_ct_path(const char *ct_path, unsigned k)
{
	char *s;

	if (k <= 1)
		return strdup(ct_path);
	if (asprintf(&s, "%s.%03u", ct_path, k) < 0)
		return NULL;
	return s;
}

char *dsp_env_volume_env_path(const char *env_path, unsigned k)
{
	size_t n = strlen(env_path);
	char *s;
	int r;

	if (k <= 1)
		return strdup(env_path);
	if (n > 4 && !strcmp(env_path + n - 4, ".cms"))
		r = asprintf(&s, "%.*s.%03u.cms", (int)(n - 4), env_path, k);
	else
		r = asprintf(&s, "%s.%03u", env_path, k);
	return r < 0 ? NULL : s;
}

static void fsync_parent(const char *path)
{
	char *d = strdup(path);
	char *slash;
	int fd;

	if (!d)
		return;
	slash = strrchr(d, '/');
	if (!slash)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(d);
}

/* ---------------------------------------------------------------- writer */

/*
 * The writer is a two-stage pipeline: the caller's thread encrypts
 * plaintext into one of two QBUF buffers (the encryption is the copy the
 * hand-over needs anyway) while a worker thread hashes the ciphertext of
 * the other and writes it. A job never spans volumes: the caller hands over
 * at a volume's end and starts the next volume itself once the worker is
 * idle. Volume callbacks run on the caller's thread.
 */
#define QBUF		(4u << 20)

struct vol {
	char *ct_path, *env_path;
	int ct_fd, env_fd;
	int ct_made, env_made;
	CMS_ContentInfo *cms;
	BIO *sink;		/* BIO_s_null under the cipher BIO */
	BIO *chain;		/* what CMS_dataInit returned */
	EVP_CIPHER_CTX *ctx;	/* owned by the cipher BIO in chain */
	EVP_MD_CTX *md;		/* SHA-256 of the ciphertext */
	uint64_t bytes;
	unsigned index;
};

/*
 * What a read-back beside the writing (dsp_env_writer_tail) needs of each
 * volume: a decrypting copy of its fresh GCM context, how far the file is
 * written, and the tag once the volume is finished.
 */
struct tailvol {
	EVP_CIPHER_CTX *dctx;
	uint64_t written;
	int final;
	unsigned char tag[16];
};

struct done_vol {
	unsigned index;
	char *ct_path, *env_path;
	uint64_t bytes;
	char ct_hex[65], env_hex[65];
};

struct dsp_env_writer {
	STACK_OF(X509) *certs;
	struct dsp_env_cert_id *ids;	/* of certs, made before the worker starts */
	EVP_CIPHER *cipher;
	char *ct_path, *env_path;
	struct vol v;		/* worker-owned while the worker runs */
	unsigned nvol;		/* volumes started; under mu */
	uint64_t vmax;
	int failed;		/* caller side: sticky */
	char ct1[65], env1[65];
	dsp_env_volume_fn fn;
	void *fn_arg;

	pthread_t thr;
	int thr_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *qbuf[2];
	unsigned fill_i;	/* buffer the caller fills */
	size_t fill_len;
	uint64_t cbytes;	/* encrypted into the current volume */
	unsigned job_i;		/* buffer handed to the worker */
	size_t job_len;
	int has_job, stop, err;	/* under mu */
	struct done_vol *done;	/* finished volumes, callbacks pending; mu */
	size_t ndone;

	struct { dev_t dev; ino_t ino; } *own;	/* every file made; under mu */
	size_t nown, owncap;

	struct tailvol *tv;	/* volume k at k - 1; under mu */
	unsigned ntv;
	int closed;		/* the last volume is finished; under mu */
	int tail_expect, tail_done;	/* under mu */
	pthread_cond_t tcv;	/* tail: more written, finished, closed, err */
};

/* Free the CMS chain without touching the files. */
static void vol_free(struct vol *v)
{
	BIO *b = v->chain;

	while (b && b != v->sink) {
		BIO *next = BIO_pop(b);

		BIO_free(b);
		b = next;
	}
	BIO_free(v->sink);
	CMS_ContentInfo_free(v->cms);
	EVP_MD_CTX_free(v->md);
	if (v->ct_fd >= 0)
		close(v->ct_fd);
	if (v->env_fd >= 0)
		close(v->env_fd);
	v->chain = v->sink = NULL;
	v->cms = NULL;
	v->md = NULL;
	v->ctx = NULL;
	v->ct_fd = v->env_fd = -1;
}

static void vol_remove(struct vol *v)
{
	if (v->ct_made && v->ct_path)
		unlink(v->ct_path);
	if (v->env_made && v->env_path)
		unlink(v->env_path);
	v->ct_made = v->env_made = 0;
	free(v->ct_path);
	free(v->env_path);
	v->ct_path = v->env_path = NULL;
}

static int set_key_params(CMS_RecipientInfo *ri, X509 *x)
{
	EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
	EVP_PKEY *pk = X509_get0_pubkey(x);

	if (!pctx)
		return 0;
	if (EVP_PKEY_is_a(pk, "RSA"))
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
		       EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) > 0 &&
		       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
	return EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) > 0;
}

static void set_nvol(struct dsp_env_writer *w, unsigned k)
{
	pthread_mutex_lock(&w->mu);
	w->nvol = k;
	pthread_mutex_unlock(&w->mu);
}

/*
 * Keep a decrypting copy of volume v's context before any data went
 * through it: same key, same IV. The GCM provider switches direction on
 * a re-init without key or IV.
 */
static int tail_add(struct dsp_env_writer *w, struct vol *v)
{
	EVP_CIPHER_CTX *d = EVP_CIPHER_CTX_new();
	struct tailvol *n;

	if (!d || !EVP_CIPHER_CTX_copy(d, v->ctx) ||
	    !EVP_DecryptInit_ex2(d, NULL, NULL, NULL, NULL)) {
		EVP_CIPHER_CTX_free(d);
		log_ossl(v->ct_path, "cannot copy the cipher context");
		return -EIO;
	}
	pthread_mutex_lock(&w->mu);
	n = realloc(w->tv, v->index * sizeof(*n));
	if (n) {
		w->tv = n;
		memset(&n[v->index - 1], 0, sizeof(*n));
		n[v->index - 1].dctx = d;
		w->ntv = v->index;
		pthread_cond_broadcast(&w->tcv);
	}
	pthread_mutex_unlock(&w->mu);
	if (!n) {
		EVP_CIPHER_CTX_free(d);
		return -ENOMEM;
	}
	return 0;
}

static void tail_written(struct dsp_env_writer *w, const struct vol *v,
			 const unsigned char *tag)
{
	pthread_mutex_lock(&w->mu);
	w->tv[v->index - 1].written = v->bytes;
	if (tag) {
		memcpy(w->tv[v->index - 1].tag, tag, 16);
		w->tv[v->index - 1].final = 1;
	}
	pthread_cond_broadcast(&w->tcv);
	pthread_mutex_unlock(&w->mu);
}

/* Remember a file this writer made, so that a walk can leave it out. */
static int note_own(struct dsp_env_writer *w, int fd)
{
	struct stat st;
	int rc = 0;

	if (fstat(fd, &st))
		return -errno;
	pthread_mutex_lock(&w->mu);
	if (w->nown == w->owncap) {
		size_t nc = w->owncap ? w->owncap * 2 : 8;
		void *n = realloc(w->own, nc * sizeof(*w->own));

		if (n) {
			w->own = n;
			w->owncap = nc;
		} else {
			rc = -ENOMEM;
		}
	}
	if (!rc) {
		w->own[w->nown].dev = st.st_dev;
		w->own[w->nown].ino = st.st_ino;
		w->nown++;
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int dsp_env_writer_owns(struct dsp_env_writer *w, uint64_t dev, uint64_t ino)
{
	int found = 0;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->nown && !found; i++)
		found = (uint64_t)w->own[i].dev == dev && (uint64_t)w->own[i].ino == ino;
	pthread_mutex_unlock(&w->mu);
	return found;
}

static int vol_open(struct dsp_env_writer *w, unsigned k)
{
	struct vol *v = &w->v;
	BIO *cb;
	int rc;

	memset(v, 0, sizeof(*v));
	v->ct_fd = v->env_fd = -1;
	v->ct_path = dsp_env_volume_ct_path(w->ct_path, k);
	v->env_path = dsp_env_volume_env_path(w->env_path, k);
	if (!v->ct_path || !v->env_path)
		return -ENOMEM;
	v->ct_fd = open(v->ct_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, 0600);
	if (v->ct_fd < 0) {
		rc = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: %s", v->ct_path, strerror(-rc));
		return rc;
	}
	v->ct_made = 1;
	v->env_fd = open(v->env_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			 O_CLOEXEC, 0600);
	if (v->env_fd < 0) {
		rc = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: %s", v->env_path, strerror(-rc));
		return rc;
	}
	v->env_made = 1;
	if ((rc = note_own(w, v->ct_fd)) || (rc = note_own(w, v->env_fd)))
		return rc;

	/* AEAD cipher => AuthEnvelopedData; recipients added with key params */
	v->cms = CMS_encrypt(NULL, NULL, w->cipher,
			     CMS_BINARY | CMS_DETACHED | CMS_PARTIAL);
	if (!v->cms)
		goto ossl;
	for (int i = 0; i < sk_X509_num(w->certs); i++) {
		X509 *x = sk_X509_value(w->certs, i);
		CMS_RecipientInfo *ri = CMS_add1_recipient_cert(v->cms, x,
								CMS_KEY_PARAM);

		if (!ri || !set_key_params(ri, x))
			goto ossl;
	}
	v->sink = BIO_new(BIO_s_null());
	if (!v->sink)
		goto ossl;
	/* wraps the content key for every recipient, sets key and IV */
	v->chain = CMS_dataInit(v->cms, v->sink);
	if (!v->chain)
		goto ossl;
	cb = BIO_find_type(v->chain, BIO_TYPE_CIPHER);
	if (!cb || !BIO_get_cipher_ctx(cb, &v->ctx) || !v->ctx)
		goto ossl;
	v->md = EVP_MD_CTX_new();
	if (!v->md || !EVP_DigestInit_ex(v->md, EVP_sha256(), NULL))
		goto ossl;
	v->index = k;
	if ((rc = tail_add(w, v)))
		return rc;
	set_nvol(w, k);
	return 0;
ossl:
	log_ossl(v->env_path, "cannot set up CMS envelope");
	return -EIO;
}

/* Finish the current volume: tag, envelope, fsync; queue its callback. */
static int vol_finish(struct dsp_env_writer *w, unsigned index)
{
	struct vol *v = &w->v;
	unsigned char md[EVP_MAX_MD_SIZE], fin[EVP_MAX_BLOCK_LENGTH];
	unsigned char *der = NULL, *p;
	unsigned int mdlen;
	struct done_vol d = { .index = index, .bytes = v->bytes };
	unsigned char tag[16];
	int outl = 0, len, rc;

	if (!EVP_EncryptFinal_ex(v->ctx, fin, &outl))
		goto ossl;
	if (outl > 0) {	/* nothing for GCM; kept for safety */
		if (!EVP_DigestUpdate(v->md, fin, (size_t)outl))
			goto ossl;
		rc = write_full(v->ct_fd, fin, (size_t)outl);
		if (rc)
			goto io;
	}
	if (!CMS_dataFinal(v->cms, v->chain) ||	/* stores the GCM tag */
	    EVP_CIPHER_CTX_ctrl(v->ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) <= 0)
		goto ossl;
	if (!EVP_DigestFinal_ex(v->md, md, &mdlen))
		goto ossl;
	hex(md, mdlen, d.ct_hex);

	len = i2d_CMS_ContentInfo(v->cms, NULL);
	if (len <= 0 || !(der = OPENSSL_malloc((size_t)len)))
		goto ossl;
	p = der;
	if (i2d_CMS_ContentInfo(v->cms, &p) != len)
		goto ossl;
	if (!EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL))
		goto ossl;
	hex(md, mdlen, d.env_hex);
	rc = write_full(v->env_fd, der, (size_t)len);
	OPENSSL_free(der);
	der = NULL;
	if (rc)
		goto io;
	if (fsync(v->ct_fd) < 0 || fsync(v->env_fd) < 0) {
		rc = -errno;
		goto io;
	}
	rc = close(v->ct_fd) < 0 ? -errno : 0;
	v->ct_fd = -1;
	if (!rc)
		rc = close(v->env_fd) < 0 ? -errno : 0;
	v->env_fd = -1;
	if (rc)
		goto io;
	fsync_parent(v->ct_path);
	fsync_parent(v->env_path);
	tail_written(w, v, tag);

	d.ct_path = strdup(v->ct_path);
	d.env_path = strdup(v->env_path);
	pthread_mutex_lock(&w->mu);
	{
		struct done_vol *n = realloc(w->done, (w->ndone + 1) * sizeof(*n));

		if (n && d.ct_path && d.env_path) {
			w->done = n;
			w->done[w->ndone++] = d;
			rc = 0;
		} else {
			if (n)
				w->done = n;
			free(d.ct_path);
			free(d.env_path);
			rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
ossl:
	OPENSSL_free(der);
	log_ossl(v->env_path, "cannot finish CMS envelope");
	return -EIO;
io:
	dsp_log(DSP_LOG_ERROR, "%s: %s", v->ct_path, strerror(-rc));
	return rc;
}

/* Close the current volume and open the next (caller, worker idle). */
static int rotate(struct dsp_env_writer *w)
{
	unsigned next = w->nvol + 1;
	int rc = vol_finish(w, w->nvol);

	vol_free(&w->v);
	if (rc)
		return rc;
	/* the finished volume is complete on disk; forget its names */
	free(w->v.ct_path);
	free(w->v.env_path);
	w->v.ct_path = w->v.env_path = NULL;
	w->v.ct_made = w->v.env_made = 0;
	set_nvol(w, next);	/* abort must also remove a half-made next one */
	return vol_open(w, next);
}

/* Hash and write a job's ciphertext, publishing progress to a read-back. */
static int write_buf(struct dsp_env_writer *w, unsigned char *buf, size_t len)
{
	struct vol *v = &w->v;
	int rc;

	while (len) {
		size_t n = len > CHUNK ? CHUNK : len;

		if (!EVP_DigestUpdate(v->md, buf, n))
			return -EIO;
		rc = write_full(v->ct_fd, buf, n);
		if (rc) {
			dsp_log(DSP_LOG_ERROR, "%s: %s", v->ct_path, strerror(-rc));
			return rc;
		}
		v->bytes += n;
		tail_written(w, v, NULL);
		buf += n;
		len -= n;
	}
	return 0;
}

static void *worker(void *arg)
{
	struct dsp_env_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		unsigned char *buf;
		size_t len;
		int rc;

		while (!w->has_job && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->has_job)
			break;
		buf = w->qbuf[w->job_i];
		len = w->job_len;
		rc = w->err;
		pthread_mutex_unlock(&w->mu);
		if (!rc)
			rc = write_buf(w, buf, len);
		pthread_mutex_lock(&w->mu);
		if (rc && !w->err)
			w->err = rc;
		w->has_job = 0;
		pthread_cond_broadcast(&w->cv);
		if (rc)
			pthread_cond_broadcast(&w->tcv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Run queued volume callbacks on the caller's thread. */
static int run_callbacks(struct dsp_env_writer *w)
{
	struct done_vol *d;
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	d = w->done;
	n = w->ndone;
	w->done = NULL;
	w->ndone = 0;
	pthread_mutex_unlock(&w->mu);
	for (size_t i = 0; i < n; i++) {
		if (d[i].index == 1) {
			memcpy(w->ct1, d[i].ct_hex, 65);
			memcpy(w->env1, d[i].env_hex, 65);
		}
		if (!rc && w->fn) {
			rc = w->fn(w->fn_arg, d[i].index, d[i].ct_path,
				   d[i].env_path, d[i].bytes, d[i].ct_hex,
				   d[i].env_hex);
			if (rc > 0)
				rc = -ECANCELED;
		}
		free(d[i].ct_path);
		free(d[i].env_path);
	}
	free(d);
	return rc;
}

/* Hand the filled buffer to the worker (waiting for the previous one). */
static int handoff(struct dsp_env_writer *w)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->has_job && !w->err)
		pthread_cond_wait(&w->cv, &w->mu);
	rc = w->err;
	if (!rc && w->fill_len) {
		w->job_i = w->fill_i;
		w->job_len = w->fill_len;
		w->has_job = 1;
		w->fill_i ^= 1;
		w->fill_len = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	if (!rc)
		rc = run_callbacks(w);
	return rc;
}

/* Stop the worker after the queued job; returns its sticky error. */
static int stop_worker(struct dsp_env_writer *w)
{
	int rc;

	if (!w->thr_up)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thr, NULL);
	w->thr_up = 0;
	rc = w->err;
	return rc;
}

/* Volumes already finished stay on disk until close/abort; remove them. */
static void remove_finished(struct dsp_env_writer *w, unsigned upto)
{
	for (unsigned k = 1; k <= upto; k++) {
		char *c = dsp_env_volume_ct_path(w->ct_path, k);
		char *e = dsp_env_volume_env_path(w->env_path, k);

		if (c)
			unlink(c);
		if (e)
			unlink(e);
		free(c);
		free(e);
	}
}

static void writer_free(struct dsp_env_writer *w)
{
	vol_free(&w->v);
	free(w->v.ct_path);
	free(w->v.env_path);
	for (size_t i = 0; i < w->ndone; i++) {
		free(w->done[i].ct_path);
		free(w->done[i].env_path);
	}
	free(w->done);
	for (unsigned k = 0; k < w->ntv; k++)
		EVP_CIPHER_CTX_free(w->tv[k].dctx);
	free(w->tv);
	free(w->own);
	for (int i = 0; w->ids && i < sk_X509_num(w->certs); i++) {
		free(w->ids[i].subject);
		free(w->ids[i].issuer);
		free(w->ids[i].serial);
	}
	free(w->ids);
	sk_X509_pop_free(w->certs, X509_free);
	EVP_CIPHER_free(w->cipher);
	for (int i = 0; i < 2; i++)
		if (w->qbuf[i])
			OPENSSL_clear_free(w->qbuf[i], QBUF);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->tcv);
	pthread_mutex_destroy(&w->mu);
	free(w->ct_path);
	free(w->env_path);
	free(w);
}

/* A read-back beside the writing uses w until it returns. */
static void wait_tail(struct dsp_env_writer *w)
{
	pthread_mutex_lock(&w->mu);
	while (w->tail_expect && !w->tail_done)
		pthread_cond_wait(&w->tcv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void dsp_env_writer_abort(struct dsp_env_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->err = w->err ? w->err : -ECANCELED;	/* skip a queued job */
	pthread_cond_broadcast(&w->tcv);
	pthread_mutex_unlock(&w->mu);
	stop_worker(w);
	wait_tail(w);
	vol_free(&w->v);
	vol_remove(&w->v);
	if (w->nvol > 1)
		remove_finished(w, w->nvol - 1);
	writer_free(w);
}

/* path made absolute against the current directory; malloc'd */
static char *abs_path(const char *path)
{
	char cwd[PATH_MAX], *r;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) ||
	    asprintf(&r, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) < 0)
		return NULL;
	return r;
}

/* The recipient's identity, recorded in archive_created (dispose-record(5)). */
static int cert_id(X509 *x, struct dsp_env_cert_id *id)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	/* serial as -serial prints it: the INTEGER's octets in upper-case hex */
	if (b && i2a_ASN1_INTEGER(b, X509_get0_serialNumber(x)) > 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 && (id->serial = malloc((size_t)n + 1))) {
		memcpy(id->serial, p, (size_t)n);
		id->serial[n] = 0;
	}
	BIO_free(b);
	id->subject = dsp_x509_name_text(X509_get_subject_name(x));
	id->issuer = dsp_x509_name_text(X509_get_issuer_name(x));
	if (!id->serial || !id->subject || !id->issuer ||
	    !X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32) {
		ERR_clear_error();
		return -ENOMEM;
	}
	dsp_hex(md, mdlen, id->sha256);
	return 0;
}

const struct dsp_env_cert_id *dsp_env_writer_recipient(struct dsp_env_writer *w, size_t i)
{
	return w->ids && i < (size_t)sk_X509_num(w->certs) ? &w->ids[i] : NULL;
}

int dsp_env_writer_open(const char *const *recipients, const char *ct_path,
			const char *env_path, struct dsp_env_writer **out)
{
	struct dsp_env_writer *w;
	sigset_t all, old;
	int rc;

	*out = NULL;
	if (!recipients || !recipients[0] || !ct_path || !env_path ||
	    !strcmp(ct_path, env_path)) {
		dsp_log(DSP_LOG_ERROR, "envelope: need recipients and two "
			"distinct output paths");
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->tcv, NULL);
	w->v.ct_fd = w->v.env_fd = -1;
	w->vmax = volume_max;
#ifdef DSP_TEST_HOOKS
	/* tests only: volumes of a few KiB from the command line */
	if (getenv("DISPOSE_TEST_ENV_VOLUME_MAX"))
		w->vmax = strtoull(getenv("DISPOSE_TEST_ENV_VOLUME_MAX"), NULL, 0);
	if (!w->vmax || w->vmax > DSP_ENV_VOLUME_MAX)
		w->vmax = volume_max;
#endif
	/*
	 * Absolute from here on: the worker opens later volumes, and a read-back
	 * thread opens them too, while the caller may be inside a directory walk
	 * (libarchive's disk reader fchdir()s through the tree).
	 */
	w->ct_path = abs_path(ct_path);
	w->env_path = abs_path(env_path);
	w->certs = sk_X509_new_null();
	w->qbuf[0] = OPENSSL_malloc(QBUF);
	w->qbuf[1] = OPENSSL_malloc(QBUF);
	if (!w->ct_path || !w->env_path || !w->certs || !w->qbuf[0] ||
	    !w->qbuf[1]) {
		rc = -ENOMEM;
		goto fail;
	}
	w->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!w->cipher) {
		log_ossl("AES-256-GCM", "cipher not available");
		rc = DSP_UNSUPPORTED;
		goto fail;
	}
	for (size_t i = 0; recipients[i]; i++) {
		X509 *x;

		rc = load_cert(recipients[i], &x);
		if (rc)
			goto fail;
		rc = check_recipient_key(recipients[i], x);
		if (rc || !sk_X509_push(w->certs, x)) {
			X509_free(x);
			if (!rc)
				rc = -ENOMEM;
			goto fail;
		}
	}
	w->ids = calloc((size_t)sk_X509_num(w->certs), sizeof(*w->ids));
	for (int i = 0; w->ids && i < sk_X509_num(w->certs); i++)
		if (cert_id(sk_X509_value(w->certs, i), &w->ids[i])) {
			rc = -ENOMEM;
			goto fail;
		}
	if (!w->ids) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = vol_open(w, 1);
	if (rc) {
		dsp_env_writer_abort(w);
		return rc;
	}
	/* the worker takes no signals: they stay with the caller's threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -dsp_thread_create(&w->thr, worker, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		dsp_log(DSP_LOG_ERROR, "envelope: cannot start thread: %s",
			strerror(-rc));
		dsp_env_writer_abort(w);
		return rc;
	}
	w->thr_up = 1;
	*out = w;
	return 0;
fail:
	writer_free(w);
	return rc;
}

void dsp_env_writer_set_volume_cb(struct dsp_env_writer *w,
				  dsp_env_volume_fn fn, void *arg)
{
	w->fn = fn;
	w->fn_arg = arg;
}

unsigned dsp_env_writer_volumes(struct dsp_env_writer *w)
{
	unsigned n;

	if (!w->failed && handoff(w))
		w->failed = 1;
	pthread_mutex_lock(&w->mu);
	while (w->has_job)
		pthread_cond_wait(&w->cv, &w->mu);
	n = w->nvol;
	pthread_mutex_unlock(&w->mu);
	return n;
}

/* Wait until the worker has written every job handed over. */
static int wait_idle(struct dsp_env_writer *w)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->has_job && !w->err)
		pthread_cond_wait(&w->cv, &w->mu);
	rc = w->err;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int dsp_env_write(struct dsp_env_writer *w, const void *buf, size_t len)
{
	const unsigned char *in = buf;
	int rc = 0;

	if (w->failed)
		return -EIO;
	while (len) {
		size_t n = QBUF - w->fill_len;
		int outl;

		if (w->cbytes == w->vmax) {
			/* full: its last bytes out, then the next volume */
			if ((rc = handoff(w)) || (rc = wait_idle(w)) || (rc = rotate(w)))
				break;
			w->cbytes = 0;
			continue;
		}
		if (n > len)
			n = len;
		if (n > w->vmax - w->cbytes)
			n = (size_t)(w->vmax - w->cbytes);
		if (n > INT_MAX)
			n = INT_MAX;
		if (!EVP_EncryptUpdate(w->v.ctx, w->qbuf[w->fill_i] + w->fill_len, &outl,
				       in, (int)n) || (size_t)outl != n) {
			log_ossl(w->v.ct_path, "encryption failed");
			rc = -EIO;
			break;
		}
		w->fill_len += n;
		w->cbytes += n;
		in += n;
		len -= n;
		if ((w->fill_len == QBUF || w->cbytes == w->vmax) && (rc = handoff(w)))
			break;
	}
	if (rc)
		w->failed = 1;
	return rc;
}

int dsp_env_writer_close(struct dsp_env_writer *w, char ct_sha256[65],
			 char env_sha256[65])
{
	int rc = w->failed ? -EIO : 0;

	if (!rc)
		rc = handoff(w);
	if (!rc)
		rc = stop_worker(w);
	if (!rc)
		rc = run_callbacks(w);
	if (!rc)
		rc = vol_finish(w, w->nvol);	/* the worker is gone */
	if (!rc)
		rc = run_callbacks(w);
	if (rc) {
		dsp_env_writer_abort(w);
		return rc;
	}
	pthread_mutex_lock(&w->mu);
	w->closed = 1;
	pthread_cond_broadcast(&w->tcv);
	pthread_mutex_unlock(&w->mu);
	wait_tail(w);
	if (ct_sha256)
		memcpy(ct_sha256, w->ct1, 65);
	if (env_sha256)
		memcpy(env_sha256, w->env1, 65);
	writer_free(w);
	return 0;
}

/* ------------------------------------------------------------- decrypter */

/*
 * OpenSSL takes the GCM tag length from the envelope and accepts 1..16
 * bytes, so an altered envelope with a 1-byte mac would make forging
 * ciphertext a 1-in-256 guess. Walk the DER and demand the full 16 bytes:
 * ContentInfo { OID, [0] AuthEnvelopedData { ..., mac OCTET STRING, ... } }
 * where the mac is the only universal OCTET STRING directly inside.
 */
static const unsigned char *env_mac(const unsigned char *buf, size_t len)
{
	const unsigned char *p = buf, *end = buf + len, *inner_end, *mac = NULL;
	long l;
	int tag, cls, r, count = 0;
	long maclen = 0;

	/* ContentInfo SEQUENCE, contentType, [0] EXPLICIT, AuthEnvelopedData */
	r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
	if (r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
		return NULL;
	r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
	if (r != 0 || tag != V_ASN1_OBJECT)
		return NULL;
	p += l;
	r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
	if (r != V_ASN1_CONSTRUCTED || cls != V_ASN1_CONTEXT_SPECIFIC || tag != 0)
		return NULL;
	r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
	if (r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
		return NULL;
	inner_end = p + l;
	while (p < inner_end) {
		r = ASN1_get_object(&p, &l, &tag, &cls, inner_end - p);
		if (r & 0x81)	/* error or indefinite length */
			return NULL;
		if (r == 0 && cls == V_ASN1_UNIVERSAL && tag == V_ASN1_OCTET_STRING) {
			count++;
			maclen = l;
			mac = p;
		}
		p += l;
	}
	return count == 1 && maclen == 16 ? mac : NULL;
}

/*
 * Only the recipient infos dispose writes: RSA key transport (OAEP, or
 * PKCS#1 v1.5), and ECDH (stdDH with an X9.63 KDF) with plain AES key wrap.
 * Anything else is never handed to OpenSSL's unwrapping: OpenSSL 3.0.19
 * writes 8 bytes past a heap buffer when an AES key wrap with padding
 * (RFC 5649) fails in CRYPTO_128_unwrap_pad (found by fuzz_envelope),
 * and password and KEK recipients have had their own bugs.
 */
static int ri_ours(CMS_RecipientInfo *ri)
{
	X509_ALGOR *alg = NULL, *wrap;
	ASN1_OCTET_STRING *ukm;
	const ASN1_OBJECT *oid;
	const ASN1_STRING *seq;
	const unsigned char *p;
	const void *pval;
	int nid, ptype, ok;

	switch (CMS_RecipientInfo_type(ri)) {
	case CMS_RECIPINFO_TRANS:
		if (!CMS_RecipientInfo_ktri_get0_algs(ri, NULL, NULL, &alg) || !alg)
			return 0;
		nid = OBJ_obj2nid(alg->algorithm);
		return nid == NID_rsaesOaep || nid == NID_rsaEncryption;
	case CMS_RECIPINFO_AGREE:
		if (!CMS_RecipientInfo_kari_get0_alg(ri, &alg, &ukm) || !alg)
			return 0;
		nid = OBJ_obj2nid(alg->algorithm);
		if (nid != NID_dhSinglePass_stdDH_sha1kdf_scheme &&
		    nid != NID_dhSinglePass_stdDH_sha224kdf_scheme &&
		    nid != NID_dhSinglePass_stdDH_sha256kdf_scheme &&
		    nid != NID_dhSinglePass_stdDH_sha384kdf_scheme &&
		    nid != NID_dhSinglePass_stdDH_sha512kdf_scheme)
			return 0;
		/* its parameter: the key wrap AlgorithmIdentifier */
		X509_ALGOR_get0(&oid, &ptype, &pval, alg);
		if (ptype != V_ASN1_SEQUENCE || !(seq = pval))
			return 0;
		p = ASN1_STRING_get0_data(seq);
		wrap = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(seq));
		if (!wrap)
			return 0;
		nid = OBJ_obj2nid(wrap->algorithm);
		ok = nid == NID_id_aes128_wrap || nid == NID_id_aes192_wrap ||
		     nid == NID_id_aes256_wrap;
		X509_ALGOR_free(wrap);
		return ok;
	default:
		return 0;
	}
}

static int parse_env(const unsigned char *buf, size_t len, CMS_ContentInfo **out)
{
	const unsigned char *p = buf;
	CMS_ContentInfo *cms;
	ASN1_OCTET_STRING **pos;
	STACK_OF(CMS_RecipientInfo) *ris;

	*out = NULL;
	if (len == 0 || len > LONG_MAX)
		return DSP_INVALID;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms)
		return DSP_INVALID;
	if (p != buf + len || !env_mac(buf, len) ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_id_smime_ct_authEnvelopedData)
		goto bad;
	pos = CMS_get0_content(cms);
	if (!pos || *pos)	/* content must be detached */
		goto bad;
	ris = CMS_get0_RecipientInfos(cms);
	if (!ris || sk_CMS_RecipientInfo_num(ris) < 1)
		goto bad;
	for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); i++)
		if (!ri_ours(sk_CMS_RecipientInfo_value(ris, i)))
			goto bad;
	*out = cms;
	return 0;
bad:
	CMS_ContentInfo_free(cms);
	return DSP_INVALID;
}

int dsp_env_check(const void *buf, size_t len)
{
	CMS_ContentInfo *cms;
	int rc = parse_env(buf, len, &cms);

	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

struct dec {
	EVP_PKEY *pkey;
	X509 *cert;
	unsigned char *buf[2];
	size_t cap;		/* of each buf; decrypt: per volume, at most QBUF */
	int whole;		/* decrypt: the volume fits in one buf */
	int (*sink)(void *arg, const void *buf, size_t len);
	void *arg;
};

/*
 * Decryption mirrors the writer: a worker thread reads and decrypts into
 * one QBUF buffer (in place) while the caller's thread hands the other to
 * the sink (decompression, hashing), so read-back uses both cores.
 */
struct dpipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char **buf;
	size_t len[2];
	int full[2];
	int done, stop, rc;	/* rc: worker's result once done */
	int fd;
	size_t cap;
	EVP_CIPHER_CTX *ctx;
	const char *ct_path;
};

/*
 * Read the next piece of ciphertext into buf and decrypt it in place: 0
 * with *len its length, or *len 0 at the end once the GCM tag checked out;
 * DSP_MISMATCH or -errno.
 */
static int dec_step(int fd, EVP_CIPHER_CTX *ctx, const char *ct_path,
		    unsigned char *buf, size_t cap, size_t *len)
{
	ssize_t n = dsp_read_full(fd, buf, cap, -1);
	int outl;

	*len = 0;
	if (n < 0) {
		dsp_log(DSP_LOG_ERROR, "%s: %s", ct_path, strerror((int)-n));
		return (int)n;
	}
	if (n == 0) {
		unsigned char fin[EVP_MAX_BLOCK_LENGTH];

		/* the GCM tag is checked here, after all the data */
		if (EVP_DecryptFinal_ex(ctx, fin, &outl) <= 0 || outl) {
			ERR_clear_error();
			dsp_log(DSP_LOG_ERROR, "%s: authentication failed: "
				"ciphertext or envelope altered, truncated, "
				"or wrong key", ct_path);
			return DSP_MISMATCH;
		}
		return 0;
	}
	if (!EVP_DecryptUpdate(ctx, buf, &outl, buf, (int)n) || outl != (int)n) {
		log_ossl(ct_path, "decryption failed");
		return DSP_MISMATCH;
	}
	*len = (size_t)n;
	return 0;
}

static void *dworker(void *arg)
{
	struct dpipe *p = arg;
	unsigned i = 0;
	int rc = 0;

	for (;;) {
		size_t n;
		int stop;

		pthread_mutex_lock(&p->mu);
		while (p->full[i] && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		rc = dec_step(p->fd, p->ctx, p->ct_path, p->buf[i], p->cap, &n);
		if (rc || n == 0)
			break;
		pthread_mutex_lock(&p->mu);
		p->len[i] = (size_t)n;
		p->full[i] = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		i ^= 1;
	}
	pthread_mutex_lock(&p->mu);
	p->rc = rc;
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int stream_decrypt(struct dec *d, int fd, EVP_CIPHER_CTX *ctx,
			  const char *ct_path)
{
	struct dpipe p = { .buf = d->buf, .fd = fd, .cap = d->cap, .ctx = ctx,
			   .ct_path = ct_path };
	sigset_t all, old;
	pthread_t thr;
	unsigned i = 0;
	int rc;

	/* one buffer holds the whole volume: no use for a second thread */
	if (d->whole) {
		size_t n;

		while (!(rc = dec_step(fd, ctx, ct_path, d->buf[0], d->cap, &n)) && n)
			if ((rc = d->sink(d->arg, d->buf[0], n)))
				break;
		return rc;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -dsp_thread_create(&thr, dworker, &p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		dsp_log(DSP_LOG_ERROR, "envelope: cannot start thread: %s",
			strerror(-rc));
		goto out;
	}
	for (;;) {
		pthread_mutex_lock(&p.mu);
		while (!p.full[i] && !p.done)
			pthread_cond_wait(&p.cv, &p.mu);
		if (p.done && (p.rc || !p.full[i])) {
			rc = p.rc;	/* failed, or every byte passed on */
			pthread_mutex_unlock(&p.mu);
			break;
		}
		pthread_mutex_unlock(&p.mu);
		rc = d->sink(d->arg, p.buf[i], p.len[i]);
		pthread_mutex_lock(&p.mu);
		p.full[i] = 0;
		if (rc)
			p.stop = 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		if (rc)
			break;
		i ^= 1;
	}
	pthread_join(thr, NULL);
out:
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

/* Free what CMS_dataInit() stacked on sink, then sink. */
static void free_chain(BIO *chain, BIO *sink)
{
	while (chain && chain != sink) {
		BIO *next = BIO_pop(chain);

		BIO_free(chain);
		chain = next;
	}
	BIO_free(sink);
}

/*
 * An envelope file cut short: empty, or ending before the length its outer
 * DER SEQUENCE (ContentInfo) announces. Beside a ciphertext that is a
 * damaged envelope of an encrypted archive, not something else: 1, with
 * *want the length announced (0 when not even that is there).
 */
static int env_truncated(const unsigned char *buf, size_t len, size_t *want)
{
	size_t hdr = 2, n;

	*want = 0;
	if (len == 0)
		return 1;
	if (buf[0] != 0x30)	/* not a SEQUENCE: no envelope at all */
		return 0;
	if (len < 2)
		return 1;
	if (buf[1] == 0x80 || buf[1] > 0x84)	/* indefinite (BER) or absurd */
		return 0;
	n = buf[1];
	if (buf[1] & 0x80) {
		unsigned k = buf[1] & 0x7f;

		if (len < 2 + k)
			return 1;
		n = 0;
		for (unsigned i = 0; i < k; i++)
			n = n << 8 | buf[2 + i];
		hdr += k;
	}
	*want = hdr + n;
	return n > len - hdr;
}

static int decrypt_one(struct dec *d, const char *env_path, const char *ct_path)
{
	struct stat cst;
	unsigned char *buf = NULL;
	size_t len, want;
	CMS_ContentInfo *cms = NULL;
	BIO *null = NULL, *chain = NULL, *cb;
	EVP_CIPHER_CTX *ctx = NULL;
	int fd = -1, rc;

	rc = read_small(env_path, DSP_ENV_MAX_ENVELOPE, &buf, &len);
	if (rc)
		return rc;
	if (env_truncated(buf, len, &want)) {
		free(buf);
		if (!len)
			dsp_log(DSP_LOG_ERROR, "%s: envelope is empty", env_path);
		else if (want)
			dsp_log(DSP_LOG_ERROR, "%s: envelope truncated (%zu of %zu bytes)",
				env_path, len, want);
		else
			dsp_log(DSP_LOG_ERROR, "%s: envelope truncated (%zu byte%s, inside "
				"its first header)", env_path, len, len == 1 ? "" : "s");
		return DSP_MISMATCH;
	}
	rc = parse_env(buf, len, &cms);
	free(buf);
	if (rc) {
		ERR_clear_error();
		dsp_log(DSP_LOG_ERROR, "%s: not a detached CMS AuthEnvelopedData",
			env_path);
		return rc;
	}
	fd = open(ct_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: %s", ct_path, strerror(-rc));
		goto out;
	}
	/* a FIFO or device in the ciphertext's place is not read (nor waited on) */
	if (fstat(fd, &cst) < 0 || !S_ISREG(cst.st_mode)) {
		dsp_log(DSP_LOG_ERROR, "%s: not a regular file", ct_path);
		rc = DSP_INVALID;
		goto out;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (!CMS_decrypt_set1_pkey_and_peer(cms, d->pkey, d->cert, NULL)) {
		log_ossl(env_path, d->cert ? "cannot unwrap the content key: "
			 "not a recipient, or envelope damaged" :
			 "cannot unwrap the content key");
		rc = DSP_MISMATCH;
		goto out;
	}
	null = BIO_new(BIO_s_null());
	if (!null) {
		rc = -ENOMEM;
		goto out;
	}
	/* sets key, IV and the expected GCM tag on the cipher context */
	chain = CMS_dataInit(cms, null);
	cb = chain ? BIO_find_type(chain, BIO_TYPE_CIPHER) : NULL;
	if (!cb || !BIO_get_cipher_ctx(cb, &ctx) || !ctx) {
		log_ossl(env_path, "cannot set up decryption (envelope damaged)");
		rc = DSP_MISMATCH;
		goto out;
	}
	/*
	 * Buffers only once there is something to decrypt, no larger than the
	 * volume: small archives (and garbage that never gets this far) do not
	 * pay for two 4 MiB buffers.
	 */
	{
		struct stat st;

		d->cap = fstat(fd, &st) || (uint64_t)st.st_size >= QBUF ? QBUF :
			 st.st_size < 4096 ? 4096 : (size_t)st.st_size;
		d->whole = d->cap < QBUF;
	}
	d->buf[0] = OPENSSL_malloc(d->cap);
	d->buf[1] = d->whole ? NULL : OPENSSL_malloc(d->cap);	/* whole: one buffer, no thread */
	rc = d->buf[0] && (d->whole || d->buf[1]) ? stream_decrypt(d, fd, ctx, ct_path) : -ENOMEM;
	for (int i = 0; i < 2; i++) {
		OPENSSL_clear_free(d->buf[i], d->cap);
		d->buf[i] = NULL;
	}
out:
	free_chain(chain, null);
	CMS_ContentInfo_free(cms);
	if (fd >= 0)
		close(fd);
	ERR_clear_error();
	return rc;
}

/* 1 when x is named by one of the envelope's recipient infos (issuer and serial, or key id). */
static int cert_is_recipient(CMS_ContentInfo *cms, X509 *x, int *count)
{
	STACK_OF(CMS_RecipientInfo) *ris = CMS_get0_RecipientInfos(cms);
	int found = 0;

	*count = 0;
	for (int i = 0; ris && i < sk_CMS_RecipientInfo_num(ris); i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);
		STACK_OF(CMS_RecipientEncryptedKey) *reks;

		switch (CMS_RecipientInfo_type(ri)) {
		case CMS_RECIPINFO_TRANS:
			++*count;
			found |= CMS_RecipientInfo_ktri_cert_cmp(ri, x) == 0;
			break;
		case CMS_RECIPINFO_AGREE:
			reks = CMS_RecipientInfo_kari_get0_reks(ri);
			for (int j = 0; reks && j < sk_CMS_RecipientEncryptedKey_num(reks); j++) {
				++*count;
				found |= CMS_RecipientEncryptedKey_cert_cmp(
					sk_CMS_RecipientEncryptedKey_value(reks, j), x) == 0;
			}
			break;
		default:
			break;
		}
	}
	ERR_clear_error();
	return found;
}

int dsp_env_key_check(const char *env_path, const char *key_path,
		      const char *cert_path, const char *archive, char *why, size_t wlen)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	CMS_ContentInfo *cms = NULL;
	unsigned char *buf = NULL;
	size_t len;
	int rc, n;

	why[0] = '\0';
	/* their own one-line messages: unreadable, not a key, passphrase-protected */
	if ((rc = load_key(key_path, &pk)))
		goto out;
	if (!cert_path)
		goto out;
	if ((rc = load_cert(cert_path, &x)))
		goto out;
	if (X509_check_private_key(x, pk) != 1) {
		snprintf(why, wlen, "%s: key does not match the certificate %s", key_path,
			 cert_path);
		rc = DSP_INVALID;
		goto out;
	}
	if ((rc = read_small(env_path, DSP_ENV_MAX_ENVELOPE, &buf, &len)))
		goto out;
	/* a damaged envelope is decryption's to report */
	if (parse_env(buf, len, &cms))
		goto out;
	if (!cert_is_recipient(cms, x, &n)) {
		snprintf(why, wlen, "%s: not a key of %s: its envelope has %d recipient%s, "
			 "none with the certificate %s", key_path, archive, n, n == 1 ? "" : "s",
			 cert_path);
		rc = DSP_INVALID;
	}
out:
	CMS_ContentInfo_free(cms);
	free(buf);
	X509_free(x);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return rc;
}

struct why_buf {
	char *buf;
	size_t len;
};

/* The first message said while checking becomes why; nothing is printed. */
static void why_fn(enum dsp_log_level level, const char *msg, void *arg)
{
	struct why_buf *w = arg;

	(void)level;
	if (!w->buf[0])
		snprintf(w->buf, w->len, "%s", msg);
}

int dsp_env_readback_check(const char *key_path, const char *cert_path,
			   const char *const *recipients, char *why, size_t wlen)
{
	struct why_buf wb = { why, wlen };
	struct dsp_log_sink mine = { why_fn, &wb }, prev;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int rc, found = 0;

	why[0] = '\0';
	prev = dsp_log_use(&mine);
	rc = load_key(key_path, &pk);
	if (!rc)
		rc = load_cert(cert_path, &x);
	for (const char *const *r = recipients; !rc && r && *r && !found; r++) {
		X509 *y = NULL;

		/* an unreadable recipient is create's own check to report */
		if (load_cert(*r, &y) == 0)
			found = X509_cmp(x, y) == 0;
		X509_free(y);
	}
	dsp_log_use(&prev);
	if (rc) {
		if (!why[0])
			snprintf(why, wlen, "%s: cannot be read", pk ? cert_path : key_path);
		rc = DSP_INVALID;
	} else if (X509_check_private_key(x, pk) != 1) {
		snprintf(why, wlen, "%s: key does not match the certificate %s", key_path,
			 cert_path);
		rc = DSP_INVALID;
	} else if (!found) {
		snprintf(why, wlen, "%s: not one of the --recipient certificates: the read-back "
			 "with --key %s could not open the archive", cert_path, key_path);
		rc = DSP_INVALID;
	}
	X509_free(x);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return rc;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? 1 : (errno == ENOENT ? 0 : -errno);
}

int dsp_env_decrypt_volumes(const char *env_path, const char *ct_path,
			    const char *key_path, const char *cert_path,
			    int (*sink)(void *arg, const void *buf, size_t len),
			    void *arg, unsigned *nvolumes)
{
	struct dec d = { .sink = sink, .arg = arg };
	unsigned k;
	int rc;

	if (nvolumes)
		*nvolumes = 0;
	rc = load_key(key_path, &d.pkey);
	if (rc)
		goto out;
	if (cert_path) {
		rc = load_cert(cert_path, &d.cert);
		if (rc)
			goto out;
		if (X509_check_private_key(d.cert, d.pkey) != 1) {
			ERR_clear_error();
			dsp_log(DSP_LOG_ERROR, "%s: private key does not match "
				"certificate %s", key_path, cert_path);
			rc = DSP_INVALID;
			goto out;
		}
	}
	for (k = 1;; k++) {
		char *c = dsp_env_volume_ct_path(ct_path, k);
		char *e = dsp_env_volume_env_path(env_path, k);
		int ce = 1, ee = 1;

		if (!c || !e) {
			free(c);
			free(e);
			rc = -ENOMEM;
			break;
		}
		if (k > 1) {
			ce = exists(c);
			ee = exists(e);
		}
		if (ce < 0 || ee < 0) {
			rc = ce < 0 ? ce : ee;
		} else if (!ce && !ee) {
			free(c);
			free(e);
			break;		/* no more volumes */
		} else if (!ce || !ee) {
			dsp_log(DSP_LOG_ERROR, "%s: volume %u incomplete",
				ce ? e : c, k);
			rc = -ENOENT;
		} else {
			rc = decrypt_one(&d, e, c);
		}
		free(c);
		free(e);
		if (rc)
			break;
		if (nvolumes)
			*nvolumes = k;
	}
out:
	EVP_PKEY_free(d.pkey);
	X509_free(d.cert);
	ERR_clear_error();
	return rc;
}

int dsp_env_decrypt(const char *env_path, const char *ct_path,
		    const char *key_path, const char *cert_path,
		    int (*sink)(void *arg, const void *buf, size_t len),
		    void *arg)
{
	return dsp_env_decrypt_volumes(env_path, ct_path, key_path, cert_path,
				       sink, arg, NULL);
}

/* ------------------------------------------------------- read-back beside */

/*
 * The envelope on disk must open, for the read-back recipient, to the key
 * and IV the data was encrypted with, and carry the tag the data was just
 * authenticated with: decrypt the volume's first bytes through it and
 * compare with what the read-back decrypted, and compare the macs.
 */
static int probe_envelope(struct dec *d, const char *env_path, int ct_fd,
			  const unsigned char *pt, size_t n,
			  const unsigned char tag[16])
{
	unsigned char *buf = NULL, probe[4096];
	const unsigned char *mac;
	size_t len;
	CMS_ContentInfo *cms = NULL;
	BIO *null = NULL, *chain = NULL, *cb;
	EVP_CIPHER_CTX *ctx = NULL;
	int rc, outl;

	rc = read_small(env_path, DSP_ENV_MAX_ENVELOPE, &buf, &len);
	if (rc)
		return rc;
	rc = DSP_MISMATCH;
	if (parse_env(buf, len, &cms) || !(mac = env_mac(buf, len)) ||
	    CRYPTO_memcmp(mac, tag, 16)) {
		dsp_log(DSP_LOG_ERROR, "%s: envelope differs from what was written",
			env_path);
		goto out;
	}
	if (!CMS_decrypt_set1_pkey_and_peer(cms, d->pkey, d->cert, NULL) ||
	    !(null = BIO_new(BIO_s_null())) ||
	    !(chain = CMS_dataInit(cms, null)) ||
	    !(cb = BIO_find_type(chain, BIO_TYPE_CIPHER)) ||
	    !BIO_get_cipher_ctx(cb, &ctx) || !ctx) {
		log_ossl(env_path, "envelope does not open for the read-back key");
		goto out;
	}
	if (dsp_read_full(ct_fd, probe, n, 0) != (ssize_t)n ||
	    !EVP_DecryptUpdate(ctx, probe, &outl, probe, (int)n) ||
	    outl != (int)n || CRYPTO_memcmp(probe, pt, n)) {
		dsp_log(DSP_LOG_ERROR, "%s: envelope opens to another key or IV",
			env_path);
		goto out;
	}
	rc = 0;
out:
	free_chain(chain, null);
	CMS_ContentInfo_free(cms);
	free(buf);
	ERR_clear_error();
	return rc;
}

/* Wait for volume k to start; 1 when it did, 0 when there is none, -err. */
static int tail_wait_volume(struct dsp_env_writer *w, unsigned k,
			    EVP_CIPHER_CTX **dctx)
{
	int rc;

	pthread_mutex_lock(&w->mu);
	while (w->ntv < k && !w->closed && !w->err)
		pthread_cond_wait(&w->tcv, &w->mu);
	rc = w->err ? -ECANCELED : w->ntv >= k;
	if (rc == 1)
		*dctx = w->tv[k - 1].dctx;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/*
 * Decrypt n bytes at pos of the file into out. Mapped rather than read:
 * the cipher reads the page cache directly, one copy less.
 */
static int tail_decrypt(int fd, const char *ct, uint64_t pos, size_t n,
			EVP_CIPHER_CTX *dctx, unsigned char *out)
{
	static long page;
	struct stat st;
	size_t delta;
	void *m;
	int outl, ok;

	if (!page)
		page = sysconf(_SC_PAGESIZE);
	delta = (size_t)(pos % (uint64_t)page);
	/* a file cut shorter than written would fault under the mapping */
	if (fstat(fd, &st) || (uint64_t)st.st_size < pos + n) {
		dsp_log(DSP_LOG_ERROR, "%s: shorter on read-back than written", ct);
		return DSP_MISMATCH;
	}
	m = mmap(NULL, n + delta, PROT_READ, MAP_SHARED | MAP_POPULATE, fd,
		 (off_t)(pos - delta));
	if (m == MAP_FAILED) {
		/* filesystems without mmap: read it */
		if (dsp_read_full(fd, out, n, (off_t)pos) != (ssize_t)n) {
			dsp_log(DSP_LOG_ERROR, "%s: shorter on read-back than written", ct);
			return DSP_MISMATCH;
		}
		ok = EVP_DecryptUpdate(dctx, out, &outl, out, (int)n);
	} else {
		ok = EVP_DecryptUpdate(dctx, out, &outl, (unsigned char *)m + delta,
				       (int)n);
		munmap(m, n + delta);
	}
	if (!ok || outl != (int)n) {
		log_ossl(ct, "decryption failed");
		return DSP_MISMATCH;
	}
	return 0;
}

/* Read back one volume as it is written: decrypt, pass on, check the tag. */
static int tail_volume(struct dsp_env_writer *w, struct dec *d, unsigned k,
		       EVP_CIPHER_CTX *dctx)
{
	char *ct = dsp_env_volume_ct_path(w->ct_path, k);
	char *env = dsp_env_volume_env_path(w->env_path, k);
	unsigned char first[4096], tag[16], fin[EVP_MAX_BLOCK_LENGTH];
	size_t nfirst = 0;
	uint64_t pos = 0;
	struct stat st;
	int fd = -1, rc = 0, outl;

	if (!ct || !env) {
		rc = -ENOMEM;
		goto out;
	}
	fd = open(ct, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		dsp_log(DSP_LOG_ERROR, "%s: %s", ct, strerror(-rc));
		goto out;
	}
	for (;;) {
		uint64_t avail;
		int final;
		ssize_t n;

		pthread_mutex_lock(&w->mu);
		while (!w->err && w->tv[k - 1].written == pos && !w->tv[k - 1].final)
			pthread_cond_wait(&w->tcv, &w->mu);
		avail = w->tv[k - 1].written;
		final = w->tv[k - 1].final;
		memcpy(tag, w->tv[k - 1].tag, 16);
		rc = w->err ? -ECANCELED : 0;
		pthread_mutex_unlock(&w->mu);
		if (rc)
			goto out;
		if (pos == avail && final)
			break;
		n = (ssize_t)(avail - pos > QBUF ? QBUF : avail - pos);
		if ((rc = tail_decrypt(fd, ct, pos, (size_t)n, dctx, d->buf[0])))
			goto out;
		if (nfirst < sizeof(first)) {
			size_t c = sizeof(first) - nfirst < (size_t)n ?
				sizeof(first) - nfirst : (size_t)n;

			memcpy(first + nfirst, d->buf[0], c);
			nfirst += c;
		}
		if ((rc = d->sink(d->arg, d->buf[0], (size_t)n)))
			goto out;
		pos += (uint64_t)n;
	}
	if (EVP_CIPHER_CTX_ctrl(dctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) <= 0 ||
	    EVP_DecryptFinal_ex(dctx, fin, &outl) <= 0 || outl) {
		ERR_clear_error();
		dsp_log(DSP_LOG_ERROR, "%s: authentication failed on read-back: "
			"ciphertext changed on disk", ct);
		rc = DSP_MISMATCH;
		goto out;
	}
	if (fstat(fd, &st) || (uint64_t)st.st_size != pos) {
		dsp_log(DSP_LOG_ERROR, "%s: not the size that was written", ct);
		rc = DSP_MISMATCH;
		goto out;
	}
	dsp_log(DSP_LOG_DEBUG, "%s: read back %llu bytes", ct, (unsigned long long)pos);
	rc = probe_envelope(d, env, fd, first, nfirst, tag);
out:
	if (fd >= 0)
		close(fd);
	free(ct);
	free(env);
	return rc;
}

void dsp_env_writer_tail_expect(struct dsp_env_writer *w, int on)
{
	pthread_mutex_lock(&w->mu);
	w->tail_expect = on;
	pthread_cond_broadcast(&w->tcv);
	pthread_mutex_unlock(&w->mu);
}

int dsp_env_writer_tail(struct dsp_env_writer *w, const char *key_path,
			const char *cert_path,
			int (*sink)(void *arg, const void *buf, size_t len),
			void *arg)
{
	struct dec d = { .sink = sink, .arg = arg };
	int rc;

	rc = load_key(key_path, &d.pkey);
	if (rc == 0 && cert_path)
		rc = load_cert(cert_path, &d.cert);
	if (rc == 0 && !(d.buf[0] = OPENSSL_malloc(QBUF)))
		rc = -ENOMEM;
	for (unsigned k = 1; rc == 0; k++) {
		EVP_CIPHER_CTX *dctx = NULL;

		rc = tail_wait_volume(w, k, &dctx);
		if (rc <= 0)
			break;
		rc = tail_volume(w, &d, k, dctx);
	}
	if (d.buf[0])
		OPENSSL_clear_free(d.buf[0], QBUF);
	EVP_PKEY_free(d.pkey);
	X509_free(d.cert);
	ERR_clear_error();
	pthread_mutex_lock(&w->mu);
	w->tail_done = 1;
	pthread_cond_broadcast(&w->tcv);
	pthread_mutex_unlock(&w->mu);
	return rc;
}
