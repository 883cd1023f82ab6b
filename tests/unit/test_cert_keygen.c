/* SPDX-License-Identifier: MIT */
/* test_cert_keygen.c - dsp_keygen and its --subject parser (keygen.c) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dispose/cert.h"
#include "dispose/common.h"
#include "tmpdir_helpers.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_make("test_cert_keygen");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove();
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void write_text(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_dsp_keygen_subject_accepts(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "/CN=signer", "CN = signer" },
		{ "/CN=a\\/b/O=Org", "CN = a/b, O = Org" },
		{ "/CN=a\\\\b", "CN = a\\\\b" },
		{ "/O=A+B=c/CN=x", "O = \"A+B=c\", CN = x" },
		{ "/CN=caf\xc3\xa9", "CN = caf\\C3\\A9" },
		{ "/commonName=long/organizationalUnitName=u", "CN = long, OU = u" },
		{ "/2.5.4.3=oid", "CN = oid" },
		{ "/C=DE/emailAddress=a@b.example", "C = DE, emailAddress = a@b.example" },
	};
	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(ok); i++) {
		char *line = NULL, *why = NULL;

		assert_int_equal(dsp_keygen_subject(ok[i].in, &line, &why), 0);
		assert_null(why);
		assert_string_equal(line, ok[i].out);
		free(line);
	}
	assert_int_equal(dsp_keygen_subject("/CN=x", NULL, NULL), 0);
}

static void test_dsp_keygen_subject_rejects(void **state)
{
	static const struct { const char *in, *why; } bad[] = {
		{ "", "empty" },
		{ "CN=x", "must start with '/' (\"/CN=name/O=org\")" },
		{ "/", "empty attribute (\"//\" or a final '/')" },
		{ "/CN=x/", "empty attribute (\"//\" or a final '/')" },
		{ "//CN=x", "empty attribute (\"//\" or a final '/')" },
		{ "/CN", "CN: not KEY=VALUE" },
		{ "/=x", "=x: not KEY=VALUE" },
		{ "/CN=", "CN: empty value" },
		{ "/XYZ=1", "XYZ: unknown attribute" },
		{ "/1.2.3.4=x", "1.2.3.4: unknown attribute" },
		{ "/CN=a\\q", "CN=a\\q: '\\' escapes only '/' and '\\'" },
		{ "/CN=a\\", "CN=a\\: '\\' escapes only '/' and '\\'" },
		{ "/CN=\xff", "not UTF-8" },
		{ "/CN=\xc0\xaf", "not UTF-8" },
		{ "/CN=a\tb", "holds a control character" },
		{ "/CN=a\x7f", "holds a control character" },
		{ "/C=USA", "C: value not accepted (string too long)" },
	};
	(void)state;
	for (size_t i = 0; i < DSP_ARRAY_SIZE(bad); i++) {
		char *line = NULL, *why = NULL;

		assert_int_equal(dsp_keygen_subject(bad[i].in, &line, &why), DSP_INVALID);
		assert_null(line);
		assert_non_null(why);
		assert_string_equal(why, bad[i].why);
		free(why);
	}
	assert_int_equal(dsp_keygen_subject(NULL, NULL, NULL), DSP_INVALID);
}

static void test_dsp_keygen_ec_writes_a_signing_certificate(void **state)
{
	struct dsp_keygen_opts o = { .type = DSP_KEYGEN_EC_P256, .subject = "/CN=unit/O=Test" };
	struct dsp_keygen_info info;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	char *why = NULL, fp[200] = "";
	struct stat st;
	EVP_PKEY *pk;
	X509 *x;
	FILE *f;
	BIGNUM *bn;
	int crit = -1, days = 0, secs = 0;
	ASN1_BIT_STRING *ku;
	BASIC_CONSTRAINTS *bc;

	(void)state;
	assert_int_equal(dsp_keygen(at("ec"), &o, &info, &why), 0);
	assert_null(why);
	assert_string_equal(info.key_path, at("ec.key"));
	assert_string_equal(info.out_path, at("ec.crt"));
	assert_string_equal(info.subject, "CN = unit, O = Test");
	assert_int_equal(stat(at("ec.key"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(at("ec.crt"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	assert_non_null(f = fopen(at("ec.key"), "r"));
	assert_non_null(pk = PEM_read_PrivateKey(f, NULL, NULL, (void *)""));
	fclose(f);
	assert_non_null(f = fopen(at("ec.crt"), "r"));
	assert_non_null(x = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	assert_int_equal(X509_check_private_key(x, pk), 1);
	assert_int_equal(X509_verify(x, pk), 1);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(EVP_PKEY_get_bits(pk), 256);
	/* the serial: positive, at most 159 bits */
	assert_non_null(bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL));
	assert_false(BN_is_negative(bn));
	assert_false(BN_is_zero(bn));
	assert_true(BN_num_bits(bn) <= 159);
	BN_free(bn);
	/* 825 days, from now */
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
					X509_get0_notAfter(x)), 1);
	assert_int_equal(days, 825);
	assert_int_equal(secs, 0);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) <= 0);
	/* keyUsage digitalSignature only, critical; CA:FALSE, critical; SKI = AKI */
	assert_non_null(ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL));
	assert_int_equal(crit, 1);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	ASN1_BIT_STRING_free(ku);
	assert_non_null(bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL));
	assert_int_equal(crit, 1);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(x),
					       X509_get0_authority_key_id(x)), 0);
	/* the fingerprint printed is the certificate's */
	assert_int_equal(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(fp + strlen(fp), "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
	assert_string_equal(info.fingerprint, fp);
	assert_non_null(info.not_after);
	X509_free(x);
	EVP_PKEY_free(pk);
	dsp_keygen_info_clear(&info);
	assert_null(info.key_path);
}

static void test_dsp_keygen_existing_cert_leaves_no_key(void **state)
{
	struct dsp_keygen_opts o = { .type = DSP_KEYGEN_EC_P256 };
	struct dsp_keygen_info info;
	char *why = NULL, buf[16] = "";
	FILE *f;

	(void)state;
	write_text(at("x.crt"), "mine\n", 5, 0644);
	assert_int_equal(dsp_keygen(at("x"), &o, &info, &why), -EEXIST);
	assert_non_null(why);
	assert_non_null(strstr(why, "x.crt: exists (never replaced)"));
	free(why);
	assert_null(info.key_path);
	assert_false(exists(at("x.key")));
	assert_non_null(f = fopen(at("x.crt"), "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "mine\n");

	/* a symlink is refused as well, and its target is not created */
	assert_int_equal(symlink(at("nowhere"), at("y.key")), 0);
	why = NULL;
	assert_int_equal(dsp_keygen(at("y"), &o, NULL, &why), -EEXIST);
	assert_non_null(strstr(why, "y.key: is a symbolic link (never replaced)"));
	free(why);
	assert_false(exists(at("nowhere")));
	assert_false(exists(at("y.crt")));
}

static void test_dsp_keygen_passphrase_file_rules(void **state)
{
	struct dsp_keygen_opts o = { .type = DSP_KEYGEN_EC_P256, .csr = true };
	char *why = NULL, pass[1100];
	EVP_PKEY *pk;
	FILE *f;

	(void)state;
	o.passphrase_file = at("nul.pw");
	write_text(o.passphrase_file, "ab\0cd\n", 6, 0600);
	assert_int_equal(dsp_keygen(at("p1"), &o, NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "holds a NUL byte"));
	free(why), why = NULL;
	assert_false(exists(at("p1.key")));

	o.passphrase_file = at("long.pw");
	memset(pass, 'p', sizeof(pass));
	write_text(o.passphrase_file, pass, 1024, 0600);
	assert_int_equal(dsp_keygen(at("p2"), &o, NULL, &why), DSP_INVALID);
	assert_non_null(strstr(why, "longer than 1023 bytes"));
	free(why), why = NULL;

	o.passphrase_file = at("group.pw");
	write_text(o.passphrase_file, "secret\n", 7, 0640);
	assert_int_equal(dsp_keygen(at("p3"), &o, NULL, &why), DSP_REFUSED);
	assert_non_null(strstr(why, "group or others may read it"));
	free(why), why = NULL;
	assert_false(exists(at("p3.key")));
	assert_false(exists(at("p3.csr")));

	/* 1023 bytes and no newline: the whole file is the passphrase */
	o.passphrase_file = at("max.pw");
	write_text(o.passphrase_file, pass, 1023, 0600);
	assert_int_equal(dsp_keygen(at("p4"), &o, NULL, &why), 0);
	assert_non_null(f = fopen(at("p4.key"), "r"));
	pass[1023] = 0;
	assert_non_null(pk = PEM_read_PrivateKey(f, NULL, NULL, pass));
	EVP_PKEY_free(pk);
	rewind(f);
	assert_null(pk = PEM_read_PrivateKey(f, NULL, NULL, (void *)"wrong"));
	fclose(f);
	assert_true(exists(at("p4.csr")));
	assert_false(exists(at("p4.crt")));
}

static void test_dsp_keygen_refuses_bad_input_before_making_files(void **state)
{
	struct dsp_keygen_opts o = { .type = DSP_KEYGEN_EC_P256, .days = 36501 };
	char *why = NULL;

	(void)state;
	assert_int_equal(dsp_keygen(at("d"), &o, NULL, &why), DSP_INVALID);
	assert_string_equal(why, "--days 36501: more than 36500");
	free(why), why = NULL;
	o.days = 0;
	o.subject = "/CN=x/";
	assert_int_equal(dsp_keygen(at("d"), &o, NULL, &why), DSP_INVALID);
	assert_string_equal(why, "subject: empty attribute (\"//\" or a final '/')");
	free(why), why = NULL;
	o.subject = NULL;
	o.type = (enum dsp_keygen_type)7;
	assert_int_equal(dsp_keygen(at("d"), &o, NULL, &why), DSP_INVALID);
	free(why);
	assert_false(exists(at("d.key")));
	assert_false(exists(at("d.crt")));
}

/* "-o dir/" (or "dir/.", "dir/..") would make the hidden dir/.key and dir/.crt: refused */
static void test_dsp_keygen_refuses_a_directory_prefix(void **state)
{
	static const char *const names[] = { "", ".", "..", "sub/", "sub/." };
	struct dsp_keygen_opts o = { .type = DSP_KEYGEN_EC_P256 };

	(void)state;
	assert_int_equal(mkdir(at("sub"), 0700), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *why = NULL;

		assert_int_equal(dsp_keygen(at(names[i]), &o, NULL, &why), DSP_INVALID);
		assert_non_null(strstr(why, "names a directory, not a file name prefix"));
		free(why);
	}
	assert_false(exists(at(".key")));
	assert_false(exists(at(".crt")));
	assert_false(exists(at("sub/.key")));
	assert_false(exists(at("sub/.crt")));
	assert_false(exists(at("..key")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_keygen_subject_accepts),
		cmocka_unit_test(test_dsp_keygen_subject_rejects),
		cmocka_unit_test(test_dsp_keygen_ec_writes_a_signing_certificate),
		cmocka_unit_test(test_dsp_keygen_existing_cert_leaves_no_key),
		cmocka_unit_test(test_dsp_keygen_passphrase_file_rules),
		cmocka_unit_test(test_dsp_keygen_refuses_bad_input_before_making_files),
		cmocka_unit_test(test_dsp_keygen_refuses_a_directory_prefix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
