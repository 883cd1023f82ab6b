/* SPDX-License-Identifier: MIT */
/* test_keys.c - key-material detection and fingerprints against openssl/ssh-keygen on a generated corpus */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "dispose/keys.h"

static char corpus[64];

static int gen_corpus(void **state)
{
	const char *src = getenv("DISPOSE_SRCDIR");
	char cmd[512];

	(void)state;
	snprintf(corpus, sizeof(corpus), "/tmp/dispose-keys.XXXXXX");
	if (!mkdtemp(corpus))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash %s/tests/integration/keys-corpus.sh %s",
		 src ? src : ".", corpus);
	if (system(cmd) != 0) {
		fprintf(stderr, "corpus generation failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

static int rm_corpus(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", corpus);
	return system(cmd) == 0 ? 0 : -1;
}

/* Examine a file the way the inventory walk does. */
static int examine(const char *path, struct json_object **out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	r = dsp_keys_examine(fd, path, &st, out);
	close(fd);
	return r;
}

static const char *jget(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

/* '-' = must be null, '*' = not checked, else equal */
static int field_ok(struct json_object *o, const char *k, const char *want, const char *file)
{
	const char *got = jget(o, k);

	if (!strcmp(want, "*"))
		return 1;
	if (!strcmp(want, "-") ? got == NULL : (got && !strcmp(got, want)))
		return 1;
	fprintf(stderr, "%s: %s: got %s, want %s\n", file, k, got ? got : "null", want);
	return 0;
}

static void test_dsp_keys_examine_corpus_matches_tools(void **state)
{
	char path[512], line[2048];
	FILE *f;
	int n = 0, bad = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/expected.tsv", corpus);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok[16];
		int nt = 0, r;
		struct json_object *o = NULL;

		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, "\t", &save); t && nt < 16; t = strtok_r(NULL, "\t", &save))
			tok[nt++] = t;
		assert_true(nt >= 5);
		snprintf(path, sizeof(path), "%s/k/%s", corpus, tok[0]);
		r = examine(path, &o);
		n++;
		if (r != 1) {
			fprintf(stderr, "%s: examine returned %d, want 1\n", tok[0], r);
			bad++;
			continue;
		}
		bad += !field_ok(o, "path", path, tok[0]);
		bad += !field_ok(o, "format", tok[1], tok[0]);
		bad += !field_ok(o, "encrypted", tok[2], tok[0]);
		bad += !field_ok(o, "spki_sha256", tok[3], tok[0]);
		bad += !field_ok(o, "ssh_fingerprint", tok[4], tok[0]);
		int dec = 0;

		for (int i = 5; i < nt; i++) {
			char *eq = strchr(tok[i], '=');

			assert_non_null(eq);
			*eq = '\0';
			bad += !field_ok(o, tok[i], eq + 1, tok[0]);
			dec |= !strcmp(tok[i], "decoded");
		}
		/* every other key decoded: listed without a reason */
		if (!dec)
			bad += !field_ok(o, "decoded", "true", tok[0]) + !field_ok(o, "reason", "-", tok[0]);
		bad += !field_ok(o, "uid", "0", tok[0]) && getuid() == 0;
		json_object_put(o);
	}
	fclose(f);
	assert_true(n >= 54);
	assert_int_equal(bad, 0);
}

static int decoy_bad;

static int decoy_cb(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	struct json_object *o = NULL;
	int r;

	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	r = examine(p, &o);
	if (r != 0) {
		fprintf(stderr, "decoy %s: examine returned %d (%s)\n", p, r,
			o ? json_object_to_json_string(o) : "");
		decoy_bad++;
	}
	json_object_put(o);
	return 0;
}

static void test_dsp_keys_examine_decoys_not_flagged(void **state)
{
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/d", corpus);
	decoy_bad = 0;
	assert_int_equal(nftw(path, decoy_cb, 8, FTW_PHYS), 0);
	assert_int_equal(decoy_bad, 0);
}

/* Every generated key file has an expected line, so none is silently untested. */
static int listed_missing;

static int listed_cb(const char *p, const struct stat *sb, int type, struct FTW *ftw)
{
	char want[600], line[2048], path[512];
	FILE *f;
	int found = 0;

	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	snprintf(path, sizeof(path), "%s/expected.tsv", corpus);
	snprintf(want, sizeof(want), "%s\t", p + strlen(corpus) + 3);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, strlen(want));
	fclose(f);
	if (!found) {
		fprintf(stderr, "%s: not in expected.tsv\n", p);
		listed_missing++;
	}
	return 0;
}

static void test_dsp_keys_examine_corpus_complete(void **state)
{
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/k", corpus);
	listed_missing = 0;
	assert_int_equal(nftw(path, listed_cb, 8, FTW_PHYS), 0);
	assert_int_equal(listed_missing, 0);
}

/* Secret bytes never reach the item: no line of the key body appears in it. */
static void test_dsp_keys_examine_no_secret_in_output(void **state)
{
	char path[512], line[256];
	struct json_object *o = NULL;
	const char *js;
	FILE *f;
	int lines = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/k/rsa.p1.pem", corpus);
	assert_int_equal(examine(path, &o), 1);
	js = json_object_to_json_string(o);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '-' || strlen(line) < 16)
			continue;
		/* any 16-character piece of the body would be a leak */
		line[16] = '\0';
		assert_null(strstr(js, line));
		lines++;
	}
	fclose(f);
	assert_true(lines > 10);
	json_object_put(o);
}

static void test_dsp_keys_examine_mode_and_uid(void **state)
{
	char path[512];
	struct json_object *o = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/k/id_rsa", corpus);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(examine(path, &o), 1);
	assert_string_equal(jget(o, "mode"), "0640");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "uid")), (int)getuid());
	json_object_put(o);
}

/* A store too big to read is listed with its format, never silently dropped. */
static void test_dsp_keys_examine_huge_store_listed_unverified(void **state)
{
	static const uint8_t jks[12] = { 0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1 };
	struct json_object *o = NULL;
	char path[512];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/huge.jks", corpus);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, jks, sizeof(jks)), (int)sizeof(jks));
	assert_int_equal(ftruncate(fd, 70 << 20), 0);	/* sparse */
	close(fd);
	assert_int_equal(examine(path, &o), 1);
	assert_string_equal(jget(o, "format"), "jks");
	assert_null(jget(o, "encrypted"));
	assert_null(jget(o, "spki_sha256"));
	assert_string_equal(jget(o, "decoded"), "false");
	assert_string_equal(jget(o, "reason"), "too large to examine");
	json_object_put(o);
	unlink(path);
}

/* A file name that is not UTF-8 still gives valid JSON, with the exact bytes in path_hex. */
static void test_dsp_keys_examine_non_utf8_path(void **state)
{
	char src[512], dst[512], cmd[1200];
	struct json_object *o = NULL, *parsed;
	const char *hex;

	(void)state;
	snprintf(src, sizeof(src), "%s/k/id_ed25519", corpus);
	snprintf(dst, sizeof(dst), "%s/key\xff\xfe", corpus);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(examine(dst, &o), 1);
	assert_non_null(strstr(jget(o, "path"), "key\xef\xbf\xbd\xef\xbf\xbd"));
	hex = jget(o, "path_hex");
	assert_non_null(hex);
	assert_int_equal(strlen(hex), 2 * strlen(dst));
	assert_string_equal(hex + strlen(hex) - 10, "6b6579fffe");
	parsed = json_tokener_parse(json_object_to_json_string(o));
	assert_non_null(parsed);
	json_object_put(parsed);
	json_object_put(o);
	unlink(dst);
}

static void test_dsp_keys_examine_not_regular(void **state)
{
	struct json_object *o = NULL;
	struct stat st;
	int fd = open(corpus, O_RDONLY | O_DIRECTORY);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(dsp_keys_examine(fd, corpus, &st, &o), 0);
	assert_null(o);
	close(fd);
}

static void test_dsp_keys_examine_read_error(void **state)
{
	struct json_object *o = NULL;
	char path[512];
	struct stat st;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/k/rsa.p8.pem", corpus);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	/* a closed descriptor: the read fails and the error comes back */
	assert_int_equal(dsp_keys_examine(fd, path, &st, &o), -EBADF);
	assert_null(o);
}

struct dcase {
	const char *name;
	const uint8_t *b;
	size_t n;
	const char *want;
};

#define S(s) (const uint8_t *)(s), sizeof(s) - 1

static void test_dsp_keys_detect_synthetic(void **state)
{
	static const uint8_t ed_der[48] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03,
					    0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, 1, 2, 3 };
	static const uint8_t ed_spki[44] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
					     0x03, 0x21, 0x00, 9, 9, 9 };
	static const uint8_t luks[16] = { 'L', 'U', 'K', 'S', 0xba, 0xbe, 0, 2 };
	static const uint8_t luks3[16] = { 'L', 'U', 'K', 'S', 0xba, 0xbe, 0, 3 };
	static const uint8_t jks[16] = { 0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 1 };
	static const uint8_t jceks[16] = { 0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2, 0, 0, 0, 1 };
	static const uint8_t kdbx[12] = { 0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5 };
	static const uint8_t elf[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	/* v2 keytab, one entry: alice@EX, aes128 (17), 16-byte key */
	static const uint8_t kt[] = { 5, 2, 0, 0, 0, 0x2d, 0, 1, 0, 2, 'E', 'X', 0, 5, 'a', 'l',
				      'i', 'c', 'e', 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 17, 0, 16,
				      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				      0, 0, 0, 1 };
	const struct dcase c[] = {
		{ "ed25519 pkcs8 der", ed_der, sizeof(ed_der), "der-pkcs8" },
		{ "ed25519 spki der", ed_spki, sizeof(ed_spki), NULL },
		{ "luks2", luks, sizeof(luks), "luks" },
		{ "luks v3", luks3, sizeof(luks3), NULL },
		{ "jks", jks, sizeof(jks), "jks" },
		{ "jceks", jceks, sizeof(jceks), "jceks" },
		{ "keepass", kdbx, sizeof(kdbx), "keepass" },
		{ "elf", elf, sizeof(elf), NULL },
		{ "keytab", kt, sizeof(kt), "krb5-keytab" },
		{ "pkcs8 pem", S("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"), "pem-pkcs8" },
		{ "after text", S("# my key\n\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIDxxxxxxxxxxxxxxxx\n"), "pem-sec1" },
		{ "dek-info", S("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n"), "pem-pkcs1" },
		{ "openssh", S("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"), "openssh" },
		{ "pgp", S("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlFgEZ2xxxxxxxxxxxxxxxxxxxxxxx\n"), "pgp-armored" },
		{ "prose", S("The file starts with -----BEGIN RSA PRIVATE KEY----- and ends.\n"), NULL },
		{ "quoted", S("    -----BEGIN RSA PRIVATE KEY-----\n    ...\n    -----END RSA PRIVATE KEY-----\n"), NULL },
		{ "public", S("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAxxxxxxxxxxxxxxxxxxxxxxx\n"), NULL },
		{ "cert", S("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUxxxxxxxxxxxx\n"), NULL },
		{ "putty", S("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n"), "putty" },
		{ "gnupg canonical", S("(11:private-key(3:ecc(5:curve7:Ed25519)"), "gnupg-private-key" },
		{ "gnupg extended", S("Created: 20260101T000000\nKey: (protected-private-key (rsa (n #00#)"), "gnupg-private-key" },
		{ "gnupg shadowed text", S("Created: 20260101T000000\nKey: (shadowed-private-key (rsa"), NULL },
		{ "ssh2", S("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: x\n"), "ssh2-private" },
		{ "age", S("# created: 2026\n# public key: age1xyz\nAGE-SECRET-KEY-1QQQQ\n"), "age" },
		{ "json escaped", S("{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n\"}"), "pem-pkcs8" },
		{ "python string", S("KEY = b\"\"\"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIDxxxxxxxxxxxxxxxx\n"), "pem-sec1" },
		{ "code building pem", S("s = '-----BEGIN RSA PRIVATE KEY-----\\n'\ns += b64encode(der)\n"), NULL },
		{ "text starting with 0", S("0 4 * * * root backup\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"), "pem-pkcs8" },
		{ "wireguard", S("[Interface]\nPrivateKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), "wireguard" },
		{ "networkmanager wireguard", S("[connection]\nid=wg0\ntype=wireguard\n\n[wireguard]\nprivate-key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), "wireguard" },
		{ "wireguard key file", S("[WireGuard]\nPrivateKeyFile=/etc/wireguard/wg0.key\n"), NULL },
		{ "base64 pem", S("    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3dJQkFBS0NBUUVBdmZUZHYrM2ZndlZUS1JuUC9IVk5HODFjcjhUclVQCg==\n"), "base64-pem" },
		{ "base64 certificate", S("    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUVvd0lCQUFLQ0FRRUF2ZlRkdiszZmd2VlRLUm5QL0hWTkc4MWNyOFRyVVAK\n"), NULL },
		{ "tiny", S("-----"), NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *got = dsp_keys_detect(c[i].b, c[i].n, c[i].n);

		if (!c[i].want ? got != NULL : (!got || strcmp(got, c[i].want))) {
			fprintf(stderr, "%s: got %s, want %s\n", c[i].name, got ? got : "NULL",
				c[i].want ? c[i].want : "NULL");
			fail();
		}
	}
	/* OpenPGP v6 secret key packets: listed only when the packet is one */
	{
		uint8_t v6[81] = { 0xc5, 0xff, 0, 0, 0, 75, 6, 0x65, 0x5c, 0, 0, 27, 0, 0, 0, 32 };

		memset(v6 + 16, 0xaa, 32);	/* public key */
		v6[48] = 0;			/* S2K usage: none */
		memset(v6 + 49, 0x55, 32);	/* secret */
		assert_string_equal(dsp_keys_detect(v6, sizeof(v6), sizeof(v6)), "pgp-binary");
		v6[11] = 99;			/* no such algorithm */
		assert_null(dsp_keys_detect(v6, sizeof(v6), sizeof(v6)));
		v6[11] = 27;
		v6[14] = 1;			/* key material longer than the packet */
		assert_null(dsp_keys_detect(v6, sizeof(v6), sizeof(v6)));
		v6[14] = 0;
		v6[48] = 7;			/* an S2K usage v6 does not have */
		assert_null(dsp_keys_detect(v6, sizeof(v6), sizeof(v6)));
		v6[48] = 0;
		v6[6] = 9;			/* no such version */
		assert_null(dsp_keys_detect(v6, sizeof(v6), sizeof(v6)));
	}
	/* DER must be exactly the file: the same bytes inside a larger file are not a key */
	assert_null(dsp_keys_detect(ed_der, sizeof(ed_der), 4096));
	assert_null(dsp_keys_detect(NULL, 0, 0));
}

int main(void)
{
	const struct CMUnitTest detect[] = {
		cmocka_unit_test(test_dsp_keys_detect_synthetic),
	};
	const struct CMUnitTest corpus_tests[] = {
		cmocka_unit_test(test_dsp_keys_examine_corpus_matches_tools),
		cmocka_unit_test(test_dsp_keys_examine_decoys_not_flagged),
		cmocka_unit_test(test_dsp_keys_examine_corpus_complete),
		cmocka_unit_test(test_dsp_keys_examine_no_secret_in_output),
		cmocka_unit_test(test_dsp_keys_examine_mode_and_uid),
		cmocka_unit_test(test_dsp_keys_examine_huge_store_listed_unverified),
		cmocka_unit_test(test_dsp_keys_examine_non_utf8_path),
		cmocka_unit_test(test_dsp_keys_examine_not_regular),
		cmocka_unit_test(test_dsp_keys_examine_read_error),
	};
	int r = cmocka_run_group_tests_name("keys_detect", detect, NULL, NULL);

	return r | cmocka_run_group_tests_name("keys_corpus", corpus_tests, gen_corpus, rm_corpus);
}
