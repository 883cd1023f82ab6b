/* SPDX-License-Identifier: MIT */
/* test_envelope.c - CMS envelope: round trips, tampering, stock openssl recipe, volumes */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "dispose/envelope.h"
#include "dispose/log.h"
#include "sh_util.h"

static char dir[64];
static char path_buf[8][512];
static int path_i;

/* A path inside the test directory (rotating static buffers). */
static const char *P(const char *fmt, ...)
{
	char name[256];
	va_list ap;
	char *b = path_buf[path_i++ % 8];

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

static char last_log[1024];

static void capture(enum dsp_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

static int setup_all(void **state)
{
	(void)state;
	dsp_log_set_syslog(0);
	dsp_log_set_handler(capture, NULL);
	snprintf(dir, sizeof(dir), "/tmp/dsp-env-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* recipients: EC P-256, RSA-3072, a stranger, and odd keys */
	if (sh("cd %s && "
	       "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
	       "-keyout ec.key -out ec.crt -subj /CN=ec -days 2 2>/dev/null && "
	       "openssl req -x509 -newkey rsa:3072 -noenc "
	       "-keyout rsa.key -out rsa.crt -subj /CN=rsa -days 2 2>/dev/null && "
	       "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
	       "-keyout other.key -out other.crt -subj /CN=other -days 2 2>/dev/null && "
	       "openssl req -x509 -newkey rsa:2048 -noenc "
	       "-keyout orsa.key -out orsa.crt -subj /CN=orsa -days 2 2>/dev/null && "
	       "openssl req -x509 -newkey ed25519 -noenc "
	       "-keyout ed.key -out ed.crt -subj /CN=ed -days 2 2>/dev/null && "
	       "openssl pkey -in ec.key -aes256 -passout pass:secret -out enc.key",
	       dir))
		return -1;
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	dsp_env_set_volume_max(0);
	sh("rm -rf %s", dir);
	return 0;
}

/* Deterministic test data that does not compress to nothing. */
static unsigned char *mkdata(size_t len, unsigned seed)
{
	unsigned char *d = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		d[i] = (unsigned char)x;
	}
	return d;
}

struct vols {
	unsigned n;
	char ct_sha[16][65];
	uint64_t bytes[16];
};

static int on_volume(void *arg, unsigned index, const char *ct_path,
		     const char *env_path, uint64_t bytes, const char *ct_sha256,
		     const char *env_sha256)
{
	struct vols *v = arg;

	(void)ct_path;
	(void)env_path;
	(void)env_sha256;
	if (index != v->n + 1 || index > 16)
		return -EPROTO;
	snprintf(v->ct_sha[v->n], 65, "%s", ct_sha256);
	v->bytes[v->n] = bytes;
	v->n++;
	return 0;
}

/* Encrypt data in uneven pieces; fills the hashes of volume 1. */
static int encrypt_to(const char *const *recips, const char *name,
		      const unsigned char *data, size_t len, char ct_sha[65],
		      char env_sha[65], struct vols *vols)
{
	struct dsp_env_writer *w;
	char ct[512], env[512];
	size_t off = 0, step = 1;
	int rc;

	snprintf(ct, sizeof(ct), "%s/%s", dir, name);
	snprintf(env, sizeof(env), "%s/%s.cms", dir, name);
	rc = dsp_env_writer_open(recips, ct, env, &w);
	if (rc)
		return rc;
	if (vols)
		dsp_env_writer_set_volume_cb(w, on_volume, vols);
	while (off < len) {
		size_t n = len - off < step ? len - off : step;

		rc = dsp_env_write(w, data + off, n);
		if (rc) {
			dsp_env_writer_abort(w);
			return rc;
		}
		off += n;
		step = step * 7 + 3;
		if (step > 3u << 20)
			step = 1;
	}
	return dsp_env_writer_close(w, ct_sha, env_sha);
}

struct buf {
	unsigned char *p;
	size_t len, cap;
	int fail_after;	/* > 0: sink fails on that call */
	int calls;
};

static int sink(void *arg, const void *data, size_t len)
{
	struct buf *b = arg;

	if (b->fail_after && ++b->calls == b->fail_after)
		return -ENOSPC;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			return -ENOMEM;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static int decrypt_from(const char *name, const char *key, const char *crt,
			struct buf *out)
{
	char ct[512], env[512], k[512], c[512];

	snprintf(ct, sizeof(ct), "%s/%s", dir, name);
	snprintf(env, sizeof(env), "%s/%s.cms", dir, name);
	snprintf(k, sizeof(k), "%s/%s", dir, key);
	snprintf(c, sizeof(c), "%s/%s", dir, crt ? crt : "");
	out->len = 0;
	return dsp_env_decrypt(env, ct, k, crt ? c : NULL, sink, out);
}

static void file_sha256(const char *path, char hexout[65])
{
	unsigned char md[32];
	unsigned char buf[65536];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(c, buf, n);
	fclose(f);
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 32; i++)
		sprintf(hexout + 2 * i, "%02x", md[i]);
}

static void assert_file_equals(const char *path, const unsigned char *d,
			       size_t len)
{
	struct buf b = { 0 };
	unsigned char tmp[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		assert_int_equal(sink(&b, tmp, n), 0);
	fclose(f);
	assert_int_equal(b.len, len);
	if (len)
		assert_memory_equal(b.p, d, len);
	free(b.p);
}

static off_t fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void flip(const char *path, off_t at, unsigned char mask)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= mask;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);
}

static const char *ec_only[2];
static const char *rsa_only[2];

static void init_recips(void)
{
	static char ec[512], rsa[512];

	snprintf(ec, sizeof(ec), "%s/ec.crt", dir);
	snprintf(rsa, sizeof(rsa), "%s/rsa.crt", dir);
	ec_only[0] = ec;
	rsa_only[0] = rsa;
}

static void test_dsp_env_decrypt_roundtrip_small(void **state)
{
	static const unsigned char msg[] = "retain until 2033-12-31";
	char cs[65], es[65], h[65];
	struct buf out = { 0 };

	(void)state;
	init_recips();
	assert_int_equal(encrypt_to(ec_only, "small", msg, sizeof(msg), cs, es,
				    NULL), 0);
	assert_int_equal(fsize(P("small")), sizeof(msg));
	file_sha256(P("small"), h);
	assert_string_equal(cs, h);
	file_sha256(P("small.cms"), h);
	assert_string_equal(es, h);
	assert_int_equal(decrypt_from("small", "ec.key", "ec.crt", &out), 0);
	assert_int_equal(out.len, sizeof(msg));
	assert_memory_equal(out.p, msg, sizeof(msg));
	/* without a certificate every recipient is tried */
	assert_int_equal(decrypt_from("small", "ec.key", NULL, &out), 0);
	assert_memory_equal(out.p, msg, sizeof(msg));
	/* ciphertext is not the plaintext */
	assert_int_equal(sh("cmp -s %s/small %s/small.ref 2>/dev/null", dir, dir) == 0, 0);
	free(out.p);
}

static void test_dsp_env_decrypt_roundtrip_empty(void **state)
{
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "empty", NULL, 0, cs, es, NULL), 0);
	assert_int_equal(fsize(P("empty")), 0);
	assert_int_equal(decrypt_from("empty", "ec.key", "ec.crt", &out), 0);
	assert_int_equal(out.len, 0);
	free(out.p);
}

static void test_dsp_env_decrypt_roundtrip_multi_mib_rsa(void **state)
{
	size_t len = (5u << 20) + 12345;
	unsigned char *d = mkdata(len, 1);
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(rsa_only, "big", d, len, cs, es, NULL), 0);
	assert_int_equal(fsize(P("big")), (off_t)len);
	assert_int_equal(decrypt_from("big", "rsa.key", "rsa.crt", &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.p, d, len);
	free(out.p);
	free(d);
}

static void test_dsp_env_decrypt_multiple_recipients(void **state)
{
	const char *both[3] = { ec_only[0], rsa_only[0], NULL };
	size_t len = 300000;
	unsigned char *d = mkdata(len, 2);
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(both, "two", d, len, cs, es, NULL), 0);
	assert_int_equal(decrypt_from("two", "ec.key", "ec.crt", &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.p, d, len);
	assert_int_equal(decrypt_from("two", "rsa.key", "rsa.crt", &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.p, d, len);
	assert_int_equal(decrypt_from("two", "rsa.key", NULL, &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.p, d, len);
	assert_int_equal(decrypt_from("two", "other.key", "other.crt", &out),
			 DSP_MISMATCH);
	/* missing files are I/O errors, not mismatches */
	assert_int_equal(decrypt_from("nonexistent", "rsa.key", NULL, &out),
			 -ENOENT);
	/* stock openssl, each recipient */
	assert_int_equal(sh("cd %s && openssl cms -decrypt -binary -inform DER "
			    "-in two.cms -content two -recip rsa.crt -inkey rsa.key "
			    "-out two.rsa.out && openssl cms -decrypt -binary "
			    "-inform DER -in two.cms -content two -recip ec.crt "
			    "-inkey ec.key -out two.ec.out", dir), 0);
	assert_file_equals(P("two.rsa.out"), d, len);
	assert_file_equals(P("two.ec.out"), d, len);
	free(out.p);
	free(d);
}

static void test_dsp_env_writer_open_key_parameters(void **state)
{
	const char *both[3] = { ec_only[0], rsa_only[0], NULL };
	char cs[65], es[65];

	(void)state;
	assert_int_equal(encrypt_to(both, "params", (const unsigned char *)"x",
				    1, cs, es, NULL), 0);
	/* RSA-OAEP with SHA-256, ECDH with the SHA-256 KDF, AES-256-GCM */
	assert_int_equal(sh("cd %s && openssl cms -cmsout -print -inform DER "
			    "-in params.cms > params.txt", dir), 0);
	assert_int_equal(sh("grep -q 'algorithm: rsaesOaep' %s/params.txt", dir), 0);
	assert_int_equal(sh("grep -q 'OBJECT *:sha256' %s/params.txt", dir), 0);
	assert_int_equal(sh("grep -q 'OBJECT *:mgf1' %s/params.txt", dir), 0);
	assert_int_equal(sh("grep -q 'id-aes256-wrap' %s/params.txt", dir), 0);
	assert_int_equal(sh("grep -q 'dhSinglePass-stdDH-sha256kdf-scheme' "
			    "%s/params.txt", dir), 0);
	assert_int_equal(sh("grep -q 'aes-256-gcm' %s/params.txt", dir), 0);
	assert_int_equal(sh("grep -q 'sha1kdf\\|rsaEncryption (1.2' %s/params.txt",
			    dir), 1);
}

static void test_dsp_env_decrypt_wrong_key(void **state)
{
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "wk", (const unsigned char *)"data",
				    4, cs, es, NULL), 0);
	assert_int_equal(decrypt_from("wk", "other.key", "other.crt", &out),
			 DSP_MISMATCH);
	assert_int_equal(decrypt_from("wk", "other.key", NULL, &out),
			 DSP_MISMATCH);
	/* RSA stranger, with and without certificate (random-key defence) */
	assert_int_equal(encrypt_to(rsa_only, "wkr", (const unsigned char *)"data",
				    4, cs, es, NULL), 0);
	assert_int_equal(decrypt_from("wkr", "orsa.key", "orsa.crt", &out),
			 DSP_MISMATCH);
	assert_int_equal(decrypt_from("wkr", "orsa.key", NULL, &out),
			 DSP_MISMATCH);
	assert_int_equal(decrypt_from("wkr", "rsa.key", NULL, &out), 0);
	/* an RSA key when only EC recipients exist */
	assert_int_equal(decrypt_from("wk", "rsa.key", NULL, &out),
			 DSP_MISMATCH);
	assert_int_equal(out.len, 0);
	/* key of one recipient with the certificate of another: bad input */
	assert_int_equal(decrypt_from("wk", "rsa.key", "ec.crt", &out),
			 DSP_INVALID);
	assert_non_null(strstr(last_log, "does not match"));
	free(out.p);
}

static void test_dsp_env_decrypt_encrypted_key(void **state)
{
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "ek", (const unsigned char *)"data",
				    4, cs, es, NULL), 0);
	/* refused without prompting, even on a terminal */
	assert_int_equal(decrypt_from("ek", "enc.key", "ec.crt", &out),
			 DSP_INVALID);
	assert_non_null(strstr(last_log, "passphrase-protected"));
	assert_int_equal(decrypt_from("ek", "ec.crt", "ec.crt", &out),
			 DSP_INVALID);
	assert_int_equal(decrypt_from("ek", "nonexistent.key", "ec.crt", &out),
			 -ENOENT);
	free(out.p);
}

static void test_dsp_env_decrypt_flipped_ciphertext(void **state)
{
	size_t len = 9u << 20;	/* three read-ahead buffers */
	unsigned char *d = mkdata(len, 3);
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "flip", d, len, cs, es, NULL), 0);
	flip(P("flip"), 2000000, 0x01);
	assert_int_equal(decrypt_from("flip", "ec.key", "ec.crt", &out),
			 DSP_MISMATCH);
	flip(P("flip"), 2000000, 0x01);
	assert_int_equal(decrypt_from("flip", "ec.key", "ec.crt", &out), 0);
	flip(P("flip"), (off_t)len - 1, 0x80);
	assert_int_equal(decrypt_from("flip", "ec.key", "ec.crt", &out),
			 DSP_MISMATCH);
	/* stock openssl refuses too */
	assert_int_not_equal(sh("cd %s && openssl cms -decrypt -binary -inform DER "
				"-in flip.cms -content flip -recip ec.crt -inkey "
				"ec.key -out /dev/null 2>/dev/null", dir), 0);
	free(out.p);
	free(d);
}

static void test_dsp_env_decrypt_truncated_ciphertext(void **state)
{
	size_t len = 100000;
	unsigned char *d = mkdata(len, 4);
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "trunc", d, len, cs, es, NULL), 0);
	assert_int_equal(truncate(P("trunc"), (off_t)len - 1), 0);
	assert_int_equal(decrypt_from("trunc", "ec.key", "ec.crt", &out),
			 DSP_MISMATCH);
	assert_int_equal(truncate(P("trunc"), 0), 0);
	assert_int_equal(decrypt_from("trunc", "ec.key", "ec.crt", &out),
			 DSP_MISMATCH);
	/* appended bytes */
	assert_int_equal(encrypt_to(ec_only, "ext", d, len, cs, es, NULL), 0);
	assert_int_equal(sh("printf x >> %s/ext", dir), 0);
	assert_int_equal(decrypt_from("ext", "ec.key", "ec.crt", &out),
			 DSP_MISMATCH);
	free(out.p);
	free(d);
}

static void test_dsp_env_decrypt_flipped_envelope(void **state)
{
	size_t len = 5000;
	unsigned char *d = mkdata(len, 5);
	char cs[65], es[65];
	struct buf out = { 0 };
	off_t elen;
	int rc, fails = 0;

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "fenv", d, len, cs, es, NULL), 0);
	elen = fsize(P("fenv.cms"));
	assert_true(elen > 100);
	/* the GCM tag is the last field */
	flip(P("fenv.cms"), elen - 3, 0x10);
	assert_int_equal(decrypt_from("fenv", "ec.key", "ec.crt", &out),
			 DSP_MISMATCH);
	flip(P("fenv.cms"), elen - 3, 0x10);
	/* outer SEQUENCE tag: not CMS at all */
	flip(P("fenv.cms"), 0, 0x01);
	assert_int_equal(decrypt_from("fenv", "ec.key", "ec.crt", &out),
			 DSP_INVALID);
	flip(P("fenv.cms"), 0, 0x01);
	/*
	 * Every single-bit flip anywhere in the envelope either fails or
	 * (where DER carries no meaning, e.g. a version number) yields the
	 * exact plaintext; never other bytes with success.
	 */
	for (off_t at = 0; at < elen; at++) {
		unsigned char mask = (unsigned char)(1u << (at % 8));

		flip(P("fenv.cms"), at, mask);
		rc = decrypt_from("fenv", "ec.key", "ec.crt", &out);
		flip(P("fenv.cms"), at, mask);
		if (rc == 0) {
			assert_int_equal(out.len, len);
			assert_memory_equal(out.p, d, len);
		} else {
			assert_true(rc == DSP_MISMATCH || rc == DSP_INVALID);
			fails++;
		}
	}
	assert_true(fails > elen * 9 / 10);
	assert_int_equal(decrypt_from("fenv", "ec.key", "ec.crt", &out), 0);
	free(out.p);
	free(d);
}

/* Rewrite a definite DER length in place by delta (same length-of-length). */
static size_t adjust_len(unsigned char *b, size_t off, int delta)
{
	unsigned char l = b[off + 1];
	size_t n, v = 0;

	if (!(l & 0x80)) {
		b[off + 1] = (unsigned char)(l + delta);
		return 2;
	}
	n = l & 0x7f;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | b[off + 2 + i];
	v = (size_t)((long)v + delta);
	for (size_t i = n; i > 0; i--) {
		b[off + 1 + i] = (unsigned char)v;
		v >>= 8;
	}
	return 2 + n;
}

static void test_dsp_env_decrypt_short_tag(void **state)
{
	size_t len = 4000;
	unsigned char *d = mkdata(len, 11);
	unsigned char env[4096];
	char cs[65], es[65];
	struct buf out = { 0 };
	size_t n, off;
	FILE *f;

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "tag", d, len, cs, es, NULL), 0);
	f = fopen(P("tag.cms"), "rb");
	assert_non_null(f);
	n = fread(env, 1, sizeof(env), f);
	fclose(f);
	/* the mac is the last TLV: 04 10 <16 bytes>; keep only 4 bytes of it */
	assert_int_equal(env[n - 18], 0x04);
	assert_int_equal(env[n - 17], 0x10);
	env[n - 17] = 0x04;
	n -= 12;
	off = adjust_len(env, 0, -12);			/* ContentInfo */
	off += 2 + env[off + 1];			/* contentType OID */
	off += adjust_len(env, off, -12);		/* [0] */
	adjust_len(env, off, -12);			/* AuthEnvelopedData */
	f = fopen(P("tag.cms"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(env, 1, n, f), n);
	fclose(f);
	/* a 4-byte tag would make forgeries cheap: refused, not checked */
	assert_int_equal(dsp_env_check(env, n), DSP_INVALID);
	assert_int_equal(decrypt_from("tag", "ec.key", "ec.crt", &out),
			 DSP_INVALID);
	free(out.p);
	free(d);
}

static void test_dsp_env_decrypt_not_an_envelope(void **state)
{
	char cs[65], es[65];
	struct buf out = { 0 };

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "nae", (const unsigned char *)"abc",
				    3, cs, es, NULL), 0);
	/* text, an attached envelope, a CBC EnvelopedData (no integrity) */
	assert_int_equal(sh("cd %s && echo hello > nae.cms", dir), 0);
	assert_int_equal(decrypt_from("nae", "ec.key", "ec.crt", &out),
			 DSP_INVALID);
	assert_int_equal(sh("cd %s && printf abc > plain && openssl cms -encrypt "
			    "-binary -aes-256-gcm -outform DER -in plain -out nae.cms "
			    "ec.crt", dir), 0);
	assert_int_equal(decrypt_from("nae", "ec.key", "ec.crt", &out),
			 DSP_INVALID);
	assert_int_equal(sh("cd %s && openssl cms -encrypt -binary -aes-256-cbc "
			    "-outform DER -in plain -out nae.cms ec.crt", dir), 0);
	assert_int_equal(decrypt_from("nae", "ec.key", "ec.crt", &out),
			 DSP_INVALID);
	assert_int_equal(dsp_env_check("\x30\x03\x02\x01\x00", 5), DSP_INVALID);
	assert_int_equal(dsp_env_check(NULL, 0), DSP_INVALID);
	free(out.p);
}

/*
 * An envelope file cut short (empty, inside its header, inside the
 * recipient infos, without the tag, short of the tag's last byte) is a
 * damaged envelope: DSP_MISMATCH and a message about the envelope, never
 * "not an envelope" (DSP_INVALID); the same for a later volume's.
 */
static void test_dsp_env_decrypt_truncated_envelope(void **state)
{
	size_t len = 6000;
	unsigned char *d = mkdata(len, 12);
	char cs[65], es[65];
	struct buf out = { 0 };
	struct vols vols = { 0 };
	off_t elen, cuts[8];
	int rc;

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "tenv", d, len, cs, es, NULL), 0);
	assert_int_equal(sh("cp %s/tenv.cms %s/tenv.good", dir, dir), 0);
	elen = fsize(P("tenv.cms"));
	assert_true(elen > 100);
	/* 0: empty; 1, 3: in the ContentInfo header; then recipient infos, no tag, tag short */
	cuts[0] = 0, cuts[1] = 1, cuts[2] = 3, cuts[3] = 12, cuts[4] = elen / 2;
	cuts[5] = elen - 18, cuts[6] = elen - 1, cuts[7] = -1;
	for (int i = 0; cuts[i] >= 0; i++) {
		assert_int_equal(sh("head -c %lld %s/tenv.good > %s/tenv.cms", (long long)cuts[i],
				    dir, dir), 0);
		last_log[0] = '\0';
		rc = decrypt_from("tenv", "ec.key", "ec.crt", &out);
		if (rc != DSP_MISMATCH)
			fail_msg("envelope cut at %lld: %d, want DSP_MISMATCH", (long long)cuts[i], rc);
		assert_int_equal(out.len, 0);
		if (!strstr(last_log, "tenv.cms: envelope"))
			fail_msg("envelope cut at %lld: log \"%s\"", (long long)cuts[i], last_log);
		assert_non_null(strstr(last_log, cuts[i] ? "truncated" : "empty"));
	}
	/* volume 2 of 3 */
	dsp_env_set_volume_max(2000);
	assert_int_equal(encrypt_to(ec_only, "tvol", d, len, cs, es, &vols), 0);
	dsp_env_set_volume_max(0);
	assert_int_equal(vols.n, 3);
	assert_int_equal(truncate(P("tvol.002.cms"), fsize(P("tvol.002.cms")) - 5), 0);
	assert_int_equal(decrypt_from("tvol", "ec.key", "ec.crt", &out), DSP_MISMATCH);
	assert_non_null(strstr(last_log, "tvol.002.cms: envelope truncated"));
	/* whole but not ours is still DSP_INVALID */
	assert_int_equal(sh("printf '\\060\\003\\002\\001\\000' > %s/tenv.cms", dir), 0);
	assert_int_equal(decrypt_from("tenv", "ec.key", "ec.crt", &out), DSP_INVALID);
	assert_int_equal(sh("cp %s/tenv.good %s/tenv.cms", dir, dir), 0);
	assert_int_equal(decrypt_from("tenv", "ec.key", "ec.crt", &out), 0);
	assert_int_equal(out.len, len);
	free(out.p);
	free(d);
}

/*
 * Key wraps dispose never writes are refused before OpenSSL unwraps
 * anything: AES key wrap with padding (OpenSSL 3.0.19 writes 8 bytes past a
 * heap buffer when such an unwrap fails; fuzz_envelope found it).
 */
static void test_dsp_env_decrypt_foreign_key_wrap_refused(void **state)
{
	static const unsigned char wrap256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
						 0x03, 0x04, 0x01, 0x2d };
	unsigned char env[4096], *at;
	char cs[65], es[65];
	struct buf out = { 0 };
	size_t n;
	FILE *f;

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "wrap", (const unsigned char *)"abc", 3, cs, es,
				    NULL), 0);
	f = fopen(P("wrap.cms"), "rb");
	assert_non_null(f);
	n = fread(env, 1, sizeof(env), f);
	fclose(f);
	assert_int_equal(dsp_env_check(env, n), 0);
	at = memmem(env, n, wrap256, sizeof(wrap256));
	assert_non_null(at);
	at[sizeof(wrap256) - 1] = 0x30;	/* id-aes256-wrap-pad */
	assert_int_equal(dsp_env_check(env, n), DSP_INVALID);
	f = fopen(P("wrap.cms"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(env, 1, n, f), n);
	fclose(f);
	assert_int_equal(decrypt_from("wrap", "ec.key", "ec.crt", &out), DSP_INVALID);
	assert_int_equal(out.len, 0);
	at[sizeof(wrap256) - 1] = 0x2d;
	assert_int_equal(dsp_env_check(env, n), 0);
	free(out.p);
}

static void test_dsp_env_check_valid(void **state)
{
	char cs[65], es[65];
	unsigned char buf[4096];
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "chk", (const unsigned char *)"abc",
				    3, cs, es, NULL), 0);
	f = fopen(P("chk.cms"), "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_int_equal(dsp_env_check(buf, n), 0);
	assert_int_equal(dsp_env_check(buf, n - 1), DSP_INVALID);
	/* also seeds the fuzz corpus when asked */
	if (getenv("DSP_ENV_SEED_OUT")) {
		f = fopen(getenv("DSP_ENV_SEED_OUT"), "wb");
		if (f) {
			fwrite(buf, 1, n, f);
			fclose(f);
		}
	}
}

static void test_dsp_env_decrypt_stock_recipe(void **state)
{
	size_t len = (2u << 20) + 77;
	unsigned char *d = mkdata(len, 6);
	char cs[65], es[65];

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "stock", d, len, cs, es, NULL), 0);
	assert_int_equal(sh("cd %s && openssl cms -decrypt -binary -inform DER "
			    "-in stock.cms -content stock -recip ec.crt -inkey ec.key "
			    "-out stock.out", dir), 0);
	assert_file_equals(P("stock.out"), d, len);
	free(d);
}

static void test_dsp_env_decrypt_stock_pipeline(void **state)
{
	struct dsp_env_writer *w;
	unsigned char buf[65536];
	char cs[65], es[65];
	FILE *f;
	size_t n;

	(void)state;
	/* tar | zstd made elsewhere, encrypted by us, opened by the recipe */
	assert_int_equal(sh("cd %s && mkdir -p tree/sub && printf 'record\\n' > "
			    "tree/sub/a.txt && head -c 100000 /dev/urandom > "
			    "tree/b.bin && bsdtar -cf - tree | zstd -q -c > "
			    "tree.tar.zst", dir), 0);
	assert_int_equal(dsp_env_writer_open(rsa_only, P("pipe"), P("pipe.cms"),
					     &w), 0);
	f = fopen(P("tree.tar.zst"), "rb");
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(dsp_env_write(w, buf, n), 0);
	fclose(f);
	assert_int_equal(dsp_env_writer_close(w, cs, es), 0);
	assert_int_equal(sh("cd %s && mkdir out && openssl cms -decrypt -binary "
			    "-inform DER -in pipe.cms -content pipe -recip rsa.crt "
			    "-inkey rsa.key | zstd -dc | (cd out && bsdtar -xf -) "
			    "&& cmp tree/b.bin out/tree/b.bin && cmp "
			    "tree/sub/a.txt out/tree/sub/a.txt", dir), 0);

	/* split into 32 KiB volumes: the loop over volumes is the recipe */
	dsp_env_set_volume_max(32u << 10);
	assert_int_equal(dsp_env_writer_open(ec_only, P("pv"), P("pv.cms"), &w), 0);
	f = fopen(P("tree.tar.zst"), "rb");
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(dsp_env_write(w, buf, n), 0);
	fclose(f);
	assert_true(dsp_env_writer_volumes(w) >= 3);
	assert_int_equal(dsp_env_writer_close(w, cs, es), 0);
	dsp_env_set_volume_max(0);
	assert_int_equal(sh("cd %s && mkdir out2 && for v in pv pv.[0-9][0-9][0-9]; do "
			    "openssl cms -decrypt -binary -inform DER -in $v.cms "
			    "-content $v -recip ec.crt -inkey ec.key || exit 1; done "
			    "| zstd -dc | (cd out2 && bsdtar -xf -) && cmp tree/b.bin "
			    "out2/tree/b.bin", dir), 0);
}

static void test_dsp_env_writer_volume_split(void **state)
{
	size_t len = (3u << 20) + (1u << 19) + 5;	/* 3.5 MiB + 5 */
	unsigned char *d = mkdata(len, 7);
	char cs[65], es[65], h[65];
	struct vols v = { 0 };
	struct buf out = { 0 };
	unsigned nvol = 0;

	(void)state;
	dsp_env_set_volume_max(1u << 20);
	assert_int_equal(encrypt_to(ec_only, "vol", d, len, cs, es, &v), 0);
	dsp_env_set_volume_max(0);
	assert_int_equal(v.n, 4);
	assert_int_equal(v.bytes[0], 1u << 20);
	assert_int_equal(v.bytes[3], (1u << 19) + 5);
	/* documented names */
	assert_int_equal(fsize(P("vol")), 1 << 20);
	assert_int_equal(fsize(P("vol.002")), 1 << 20);
	assert_int_equal(fsize(P("vol.003")), 1 << 20);
	assert_int_equal(fsize(P("vol.004")), (1 << 19) + 5);
	assert_true(fsize(P("vol.004.cms")) > 0);
	assert_int_equal(fsize(P("vol.005")), -1);
	file_sha256(P("vol"), h);
	assert_string_equal(cs, h);
	assert_string_equal(v.ct_sha[0], h);
	file_sha256(P("vol.003"), h);
	assert_string_equal(v.ct_sha[2], h);

	assert_int_equal(dsp_env_decrypt_volumes(P("vol.cms"), P("vol"),
						 P("ec.key"), P("ec.crt"), sink,
						 &out, &nvol), 0);
	assert_int_equal(nvol, 4);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.p, d, len);

	/* each volume with the stock recipe; concatenated = the stream */
	assert_int_equal(sh("cd %s && for v in vol vol.002 vol.003 vol.004; do "
			    "openssl cms -decrypt -binary -inform DER -in $v.cms "
			    "-content $v -recip ec.crt -inkey ec.key || exit 1; "
			    "done > vol.out", dir), 0);
	assert_file_equals(P("vol.out"), d, len);

	/* a tampered middle volume fails the whole stream */
	flip(P("vol.002"), 10, 0x04);
	assert_int_equal(decrypt_from("vol", "ec.key", "ec.crt", &out),
			 DSP_MISMATCH);
	flip(P("vol.002"), 10, 0x04);
	/* a volume without its envelope is an error, not the end */
	assert_int_equal(rename(P("vol.003.cms"), P("vol.003.bak")), 0);
	assert_int_equal(decrypt_from("vol", "ec.key", "ec.crt", &out), -ENOENT);
	assert_int_equal(rename(P("vol.003.bak"), P("vol.003.cms")), 0);
	free(out.p);
	free(d);
}

static void test_dsp_env_writer_volume_exact_limit(void **state)
{
	size_t len = 2u << 20;
	unsigned char *d = mkdata(len, 8);
	char cs[65], es[65];
	struct vols v = { 0 };
	struct buf out = { 0 };

	(void)state;
	dsp_env_set_volume_max(1u << 20);
	assert_int_equal(encrypt_to(ec_only, "exact", d, len, cs, es, &v), 0);
	dsp_env_set_volume_max(0);
	assert_int_equal(v.n, 2);	/* no empty third volume */
	assert_int_equal(fsize(P("exact.003")), -1);
	assert_int_equal(decrypt_from("exact", "ec.key", "ec.crt", &out), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.p, d, len);
	free(out.p);
	free(d);
}

static void test_dsp_env_volume_path_names(void **state)
{
	char *s;

	(void)state;
	s = dsp_env_volume_ct_path("/a/b.pax.zst", 1);
	assert_string_equal(s, "/a/b.pax.zst");
	free(s);
	s = dsp_env_volume_ct_path("/a/b.pax.zst", 2);
	assert_string_equal(s, "/a/b.pax.zst.002");
	free(s);
	s = dsp_env_volume_ct_path("b", 1234);
	assert_string_equal(s, "b.1234");
	free(s);
	s = dsp_env_volume_env_path("/a/b.pax.zst.cms", 12);
	assert_string_equal(s, "/a/b.pax.zst.012.cms");
	free(s);
	s = dsp_env_volume_env_path("/a/env.der", 2);
	assert_string_equal(s, "/a/env.der.002");
	free(s);
}

static void test_dsp_env_writer_abort_removes_outputs(void **state)
{
	struct dsp_env_writer *w;
	unsigned char *d = mkdata(3u << 20, 9);

	(void)state;
	dsp_env_set_volume_max(1u << 20);
	assert_int_equal(dsp_env_writer_open(ec_only, P("ab"), P("ab.cms"), &w), 0);
	assert_int_equal(dsp_env_write(w, d, (2u << 20) + 1), 0);
	assert_int_equal(dsp_env_writer_volumes(w), 3);
	dsp_env_writer_abort(w);
	dsp_env_set_volume_max(0);
	assert_int_equal(sh("ls %s | grep -q '^ab'", dir), 1);
	free(d);
}

/* --- read-back beside the writer (dsp_env_writer_tail) --- */

struct tail_run {
	struct dsp_env_writer *w;
	const char *key, *cert;
	struct buf out;
	int rc;
	int hold, held, release;	/* hold the sink's first call */
	size_t first_len;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
};

static int tail_sink(void *arg, const void *b, size_t len)
{
	struct tail_run *t = arg;

	pthread_mutex_lock(&t->mu);
	if (t->hold && !t->held) {
		t->held = 1;
		t->first_len = len;
		pthread_cond_broadcast(&t->cv);
		while (!t->release)
			pthread_cond_wait(&t->cv, &t->mu);
	}
	pthread_mutex_unlock(&t->mu);
	return sink(&t->out, b, len);
}

static void *tail_thr(void *arg)
{
	struct tail_run *t = arg;

	t->rc = dsp_env_writer_tail(t->w, P(t->key), P(t->cert), tail_sink, t);
	return NULL;
}

static void tail_begin(struct tail_run *t, const char *name, const char *key,
		       const char *cert, int hold)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->key = key;
	t->cert = cert;
	t->hold = hold;
	t->rc = 12345;
	assert_int_equal(dsp_env_writer_open(ec_only, P("%s", name),
					     P("%s.cms", name), &t->w), 0);
	dsp_env_writer_tail_expect(t->w, 1);
	assert_int_equal(pthread_create(&t->th, NULL, tail_thr, t), 0);
}

static void tail_wait_held(struct tail_run *t)
{
	pthread_mutex_lock(&t->mu);
	while (!t->held)
		pthread_cond_wait(&t->cv, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

static void tail_release(struct tail_run *t)
{
	pthread_mutex_lock(&t->mu);
	t->release = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static int tail_end(struct tail_run *t)
{
	pthread_join(t->th, NULL);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t->out.p);
	return t->rc;
}

static void test_dsp_env_writer_tail_reads_every_volume(void **state)
{
	size_t len = (3u << 20) + (1u << 19) + 5;
	unsigned char *d = mkdata(len, 21);
	struct tail_run t;
	char cs[65], es[65];

	(void)state;
	dsp_env_set_volume_max(1u << 20);
	tail_begin(&t, "tl", "ec.key", "ec.crt", 0);
	for (size_t off = 0; off < len; off += 300000)
		assert_int_equal(dsp_env_write(t.w, d + off, len - off < 300000 ?
					       len - off : 300000), 0);
	assert_int_equal(dsp_env_writer_close(t.w, cs, es), 0);
	dsp_env_set_volume_max(0);
	pthread_join(t.th, NULL);
	t.th = pthread_self();
	assert_int_equal(t.rc, 0);
	assert_int_equal(t.out.len, len);
	assert_memory_equal(t.out.p, d, len);
	assert_int_equal(fsize(P("tl.004")), (1 << 19) + 5);
	free(t.out.p);
	pthread_mutex_destroy(&t.mu);
	pthread_cond_destroy(&t.cv);
	free(d);
}

/* A ciphertext byte changed on disk after writing, before it is read back. */
static void test_dsp_env_writer_tail_catches_changed_ciphertext(void **state)
{
	size_t len = 12u << 20;
	unsigned char *d = mkdata(len, 22);
	struct tail_run t;

	(void)state;
	tail_begin(&t, "tc", "ec.key", "ec.crt", 1);
	assert_int_equal(dsp_env_write(t.w, d, len), 0);
	dsp_env_writer_volumes(t.w);	/* all of it encrypted and written */
	tail_wait_held(&t);
	assert_true(t.first_len <= (4u << 20));
	flip(P("tc"), (10 << 20) + 3, 0x20);
	tail_release(&t);
	assert_int_equal(dsp_env_writer_close(t.w, NULL, NULL), 0);
	assert_int_equal(tail_end(&t), DSP_MISMATCH);
	assert_non_null(strstr(last_log, "authentication failed on read-back"));
	free(d);
}

/* Volume 1's envelope altered on disk (its mac): caught though the data is fine. */
static void test_dsp_env_writer_tail_catches_changed_envelope(void **state)
{
	size_t len = 3u << 20;
	unsigned char *d = mkdata(len, 23);
	struct tail_run t;

	(void)state;
	dsp_env_set_volume_max(1u << 20);
	tail_begin(&t, "te", "ec.key", "ec.crt", 1);
	assert_int_equal(dsp_env_write(t.w, d, len), 0);
	assert_true(dsp_env_writer_volumes(t.w) >= 2);	/* volume 1 finished */
	tail_wait_held(&t);
	flip(P("te.cms"), fsize(P("te.cms")) - 1, 0x01);	/* the mac ends it */
	tail_release(&t);
	assert_int_equal(dsp_env_writer_close(t.w, NULL, NULL), 0);
	dsp_env_set_volume_max(0);
	assert_int_equal(tail_end(&t), DSP_MISMATCH);
	assert_non_null(strstr(last_log, "envelope differs"));
	free(d);
}

/* The read-back key must open the envelope. */
static void test_dsp_env_writer_tail_needs_a_recipient_key(void **state)
{
	unsigned char *d = mkdata(1000, 24);
	struct tail_run t;

	(void)state;
	tail_begin(&t, "tk", "rsa.key", "rsa.crt", 0);
	assert_int_equal(dsp_env_write(t.w, d, 1000), 0);
	assert_int_equal(dsp_env_writer_close(t.w, NULL, NULL), 0);
	assert_int_equal(tail_end(&t), DSP_MISMATCH);
	free(d);
}

/* abort wakes a waiting read-back and waits for it before freeing */
static void test_dsp_env_writer_tail_abort(void **state)
{
	unsigned char *d = mkdata(5u << 20, 25);
	struct tail_run t;

	(void)state;
	tail_begin(&t, "abt", "ec.key", "ec.crt", 1);
	assert_int_equal(dsp_env_write(t.w, d, 5u << 20), 0);
	tail_wait_held(&t);
	tail_release(&t);
	dsp_env_writer_abort(t.w);
	assert_int_equal(tail_end(&t), -ECANCELED);
	assert_int_equal(sh("ls %s | grep -q '^abt'", dir), 1);
	free(d);
}

/*
 * Relative names, and the caller's directory changes while writing (as
 * libarchive's disk walk does): later volumes and the read-back still go
 * to the files the names meant at open.
 */
static void test_dsp_env_writer_relative_names_survive_chdir(void **state)
{
	size_t len = (2u << 20) + 7;
	unsigned char *d = mkdata(len, 26);
	struct tail_run t;
	char cwd[512];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	dsp_env_set_volume_max(1u << 20);
	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&t.mu, NULL);
	pthread_cond_init(&t.cv, NULL);
	t.key = "ec.key";
	t.cert = "ec.crt";
	assert_int_equal(dsp_env_writer_open(ec_only, "rel", "rel.cms", &t.w), 0);
	dsp_env_writer_tail_expect(t.w, 1);
	assert_int_equal(pthread_create(&t.th, NULL, tail_thr, &t), 0);
	assert_int_equal(mkdir("elsewhere", 0700), 0);
	assert_int_equal(chdir("elsewhere"), 0);
	assert_int_equal(dsp_env_write(t.w, d, len), 0);
	assert_int_equal(dsp_env_writer_close(t.w, NULL, NULL), 0);
	dsp_env_set_volume_max(0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(tail_end(&t), 0);
	assert_int_equal(fsize(P("rel.003")), 7);
	assert_true(fsize(P("rel.002.cms")) > 0);
	assert_int_equal(fsize(P("elsewhere/rel.002")), -1);
	free(d);
}

static void test_dsp_env_writer_open_refuses(void **state)
{
	struct dsp_env_writer *w = (void *)1;
	const char *ed[2] = { NULL, NULL };
	const char *none[1] = { NULL };
	const char *missing[2] = { "/nonexistent/x.crt", NULL };
	const char *notcert[2] = { NULL, NULL };

	(void)state;
	/* never overwrites, leaves nothing behind */
	assert_int_equal(sh("cd %s && echo keep > exists", dir), 0);
	assert_int_equal(dsp_env_writer_open(ec_only, P("exists"), P("exists.cms"),
					     &w), -EEXIST);
	assert_null(w);
	assert_int_equal(fsize(P("exists.cms")), -1);
	assert_int_equal(sh("cd %s && echo keep > e2.cms", dir), 0);
	assert_int_equal(dsp_env_writer_open(ec_only, P("e2"), P("e2.cms"), &w),
			 -EEXIST);
	assert_int_equal(fsize(P("e2")), -1);
	/* symlinks are not followed */
	assert_int_equal(sh("cd %s && ln -s exists link", dir), 0);
	assert_true(dsp_env_writer_open(ec_only, P("link"), P("link.cms"), &w) < 0);
	assert_int_equal(fsize(P("link.cms")), -1);

	ed[0] = P("ed.crt");
	assert_int_equal(dsp_env_writer_open(ed, P("ed"), P("ed.cms"), &w),
			 DSP_UNSUPPORTED);
	assert_int_equal(fsize(P("ed")), -1);
	assert_int_equal(dsp_env_writer_open(none, P("n"), P("n.cms"), &w), -EINVAL);
	assert_int_equal(dsp_env_writer_open(missing, P("m"), P("m.cms"), &w),
			 -ENOENT);
	notcert[0] = P("ec.key");
	assert_int_equal(dsp_env_writer_open(notcert, P("nc"), P("nc.cms"), &w),
			 DSP_INVALID);
	assert_int_equal(fsize(P("nc")), -1);
}

static void test_dsp_env_decrypt_sink_error(void **state)
{
	size_t len = 10u << 20;	/* several sink calls */
	unsigned char *d = mkdata(len, 10);
	char cs[65], es[65];
	struct buf out = { .fail_after = 2 };

	(void)state;
	assert_int_equal(encrypt_to(ec_only, "se", d, len, cs, es, NULL), 0);
	assert_int_equal(decrypt_from("se", "ec.key", "ec.crt", &out), -ENOSPC);
	free(out.p);
	free(d);
}

static void test_dsp_env_write_io_error(void **state)
{
	struct dsp_env_writer *w;
	unsigned char *d = mkdata(16u << 20, 12);
	struct rlimit old, lim;
	int rc = 0;

	(void)state;
	/* EFBIG from the worker thread surfaces in write or close */
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim.rlim_cur = 1u << 20;	/* soft limit only: it can be raised back */
	lim.rlim_max = old.rlim_max;
	assert_int_equal(dsp_env_writer_open(ec_only, P("efbig"), P("efbig.cms"),
					     &w), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (int i = 0; i < 16 && !rc; i++)
		rc = dsp_env_write(w, d + ((size_t)i << 20), 1u << 20);
	if (rc) {
		assert_int_equal(rc, -EFBIG);
		dsp_env_writer_abort(w);
	} else {
		assert_int_equal(dsp_env_writer_close(w, NULL, NULL), -EFBIG);
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(fsize(P("efbig")), -1);
	assert_int_equal(fsize(P("efbig.cms")), -1);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_env_decrypt_roundtrip_small),
		cmocka_unit_test(test_dsp_env_decrypt_roundtrip_empty),
		cmocka_unit_test(test_dsp_env_decrypt_roundtrip_multi_mib_rsa),
		cmocka_unit_test(test_dsp_env_decrypt_multiple_recipients),
		cmocka_unit_test(test_dsp_env_writer_open_key_parameters),
		cmocka_unit_test(test_dsp_env_decrypt_wrong_key),
		cmocka_unit_test(test_dsp_env_decrypt_encrypted_key),
		cmocka_unit_test(test_dsp_env_decrypt_flipped_ciphertext),
		cmocka_unit_test(test_dsp_env_decrypt_truncated_ciphertext),
		cmocka_unit_test(test_dsp_env_decrypt_flipped_envelope),
		cmocka_unit_test(test_dsp_env_decrypt_short_tag),
		cmocka_unit_test(test_dsp_env_decrypt_not_an_envelope),
		cmocka_unit_test(test_dsp_env_decrypt_truncated_envelope),
		cmocka_unit_test(test_dsp_env_decrypt_foreign_key_wrap_refused),
		cmocka_unit_test(test_dsp_env_check_valid),
		cmocka_unit_test(test_dsp_env_decrypt_stock_recipe),
		cmocka_unit_test(test_dsp_env_decrypt_stock_pipeline),
		cmocka_unit_test(test_dsp_env_writer_volume_split),
		cmocka_unit_test(test_dsp_env_writer_volume_exact_limit),
		cmocka_unit_test(test_dsp_env_volume_path_names),
		cmocka_unit_test(test_dsp_env_writer_abort_removes_outputs),
		cmocka_unit_test(test_dsp_env_writer_tail_reads_every_volume),
		cmocka_unit_test(test_dsp_env_writer_tail_catches_changed_ciphertext),
		cmocka_unit_test(test_dsp_env_writer_tail_catches_changed_envelope),
		cmocka_unit_test(test_dsp_env_writer_tail_needs_a_recipient_key),
		cmocka_unit_test(test_dsp_env_writer_tail_abort),
		cmocka_unit_test(test_dsp_env_writer_relative_names_survive_chdir),
		cmocka_unit_test(test_dsp_env_writer_open_refuses),
		cmocka_unit_test(test_dsp_env_decrypt_sink_error),
		cmocka_unit_test(test_dsp_env_write_io_error),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
