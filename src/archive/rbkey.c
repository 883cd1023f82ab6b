/* SPDX-License-Identifier: MIT */
/* rbkey.c - the readback-only recipient: an in-memory key that lets create decrypt its own output */
/* Archive files used (no cycles, see common.c): common */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "archive_int.h"

/* --- readback-only recipient ------------------------------------------------- */

/*
 * The creator normally holds no recipient key, but the archive must be read
 * back decrypted: add a recipient whose P-256 key and self-signed
 * certificate exist only in memory files (memfd) and are gone when create
 * returns, so that recipient can never be used again.
 */
static int memfd_pem(const char *nm, int *fd, char *path, size_t plen)
{
	*fd = memfd_create(nm, MFD_CLOEXEC);
	if (*fd < 0)
		return -errno;
	snprintf(path, plen, "/proc/self/fd/%d", *fd);
	return 0;
}

int arc_rb_key_make(struct arc_rb_key *k)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = NULL;
	int rc = -EIO;
	long n;
	char *p;

	k->key_fd = k->cert_fd = -1;
	if (!pk || !x)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"dispose readback (key destroyed)",
				   -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (!X509_sign(x, pk, EVP_sha256()))
		goto out;
	if (memfd_pem("dispose-rb-key", &k->key_fd, k->key_path, sizeof(k->key_path)) ||
	    memfd_pem("dispose-rb-cert", &k->cert_fd, k->cert_path, sizeof(k->cert_path)))
		goto out;
	b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL))
		goto out;
	n = BIO_get_mem_data(b, &p);
	if (arc_write_full(k->key_fd, p, (size_t)n))
		goto out;
	OPENSSL_cleanse(p, (size_t)n);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_X509(b, x))
		goto out;
	n = BIO_get_mem_data(b, &p);
	if (arc_write_full(k->cert_fd, p, (size_t)n))
		goto out;
	rc = 0;
out:
	BIO_free(b);
	EVP_PKEY_free(pk);
	X509_free(x);
	return rc;
}

void arc_rb_key_destroy(struct arc_rb_key *k)
{
	/* overwrite the key's pages before the memfd is released */
	if (k->key_fd >= 0) {
		struct stat st;

		if (!fstat(k->key_fd, &st) && st.st_size > 0) {
			char z[4096] = { 0 };

			for (off_t o = 0; o < st.st_size; o += (off_t)sizeof(z))
				if (pwrite(k->key_fd, z, sizeof(z), o) < 0)
					break;
		}
		close(k->key_fd);
	}
	if (k->cert_fd >= 0)
		close(k->cert_fd);
	k->key_fd = k->cert_fd = -1;
}

/*
 * CMS does not authenticate RecipientInfos, so a damaged entry for a
 * recipient nobody holds would go unnoticed: once the read-back passed,
 * remove the readback recipient from the envelope. The content, IV and
 * tag are untouched. OpenSSL has no RecipientInfo_free, so the entry is
 * put back before the structure is freed.
 */
int arc_rb_env_drop(const struct arc_rb_key *k, const char *env_path,
		    size_t expect_left)
{
	char tmp[PATH_MAX + 8];
	BIO *in = NULL, *out = NULL;
	CMS_ContentInfo *cms = NULL;
	X509 *x = NULL;
	STACK_OF(CMS_RecipientInfo) *ris;
	CMS_RecipientInfo *drop = NULL;
	int idx = -1, rc = -EIO, fd = -1;

	in = BIO_new_file(k->cert_path, "r");
	if (!in || !(x = PEM_read_bio_X509(in, NULL, NULL, NULL)))
		goto out;
	BIO_free(in);
	in = BIO_new_file(env_path, "rb");
	if (!in || !(cms = d2i_CMS_bio(in, NULL)))
		goto out;
	ris = CMS_get0_RecipientInfos(cms);
	for (int i = 0; ris && i < sk_CMS_RecipientInfo_num(ris) && idx < 0; i++) {
		CMS_RecipientInfo *ri = sk_CMS_RecipientInfo_value(ris, i);
		STACK_OF(CMS_RecipientEncryptedKey) *reks;

		if (CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS &&
		    CMS_RecipientInfo_ktri_cert_cmp(ri, x) == 0)
			idx = i;
		if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_AGREE)
			continue;
		reks = CMS_RecipientInfo_kari_get0_reks(ri);
		if (reks && sk_CMS_RecipientEncryptedKey_num(reks) == 1 &&
		    CMS_RecipientEncryptedKey_cert_cmp(
			    sk_CMS_RecipientEncryptedKey_value(reks, 0), x) == 0)
			idx = i;
	}
	if (idx < 0 || sk_CMS_RecipientInfo_num(ris) != (int)expect_left + 1) {
		rc = -EPROTO;
		goto out;
	}
	drop = sk_CMS_RecipientInfo_delete(ris, idx);
	snprintf(tmp, sizeof(tmp), "%s.tmp", env_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	out = BIO_new_fd(fd, BIO_NOCLOSE);
	if (!out || i2d_CMS_bio(out, cms) != 1 || BIO_flush(out) != 1 || fsync(fd)) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, env_path)) {
		rc = -errno;
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (drop)
		sk_CMS_RecipientInfo_insert(ris, drop, idx);
	if (fd >= 0)
		close(fd);
	BIO_free(in);
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	X509_free(x);
	return rc;
}
