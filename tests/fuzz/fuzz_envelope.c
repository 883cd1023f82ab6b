/* SPDX-License-Identifier: MIT */
/*
 * fuzz_envelope.c - bytes as a CMS envelope and its ciphertext: parse, unwrap
 * with a recipient key and decrypt (AES-GCM, tag check), and with a stranger's.
 *
 * Input: a DER envelope (its length from the outer TLV) followed by the
 * ciphertext. The seeds (corpus/fuzz_envelope/seed-*) are real envelopes to
 * the fixed test recipient below, so mutations reach the key unwrap, the GCM
 * decryption and its tag check; every seed encrypts the same pattern, so a
 * success that hands on other bytes is a forgery and aborts. Regenerate the
 * seeds with: FUZZ_ENVELOPE_SEEDS=DIR fuzz_envelope
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dispose/common.h"
#include "dispose/envelope.h"

/* A test recipient, public on purpose: it protects nothing. */
static const char recip_key[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZ3zB1FewV4qx8Pcb\n"
	"GI5/WsDiygnLfi1pgwmH5mFkAb2hRANCAARwHV4Est/qslOWQ3LqC0rGihNQVnu4\n"
	"E9AX/KSjeFM0zaMKw74LwzqaQJtlenapCAyLf+e7iRrI0be70AJ4W1u5\n"
	"-----END PRIVATE KEY-----\n";
static const char recip_crt[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBwDCCAWWgAwIBAgIUUXwZldWAbJiu4x+vXMPSB388O4AwCgYIKoZIzj0EAwIw\n"
	"NDEyMDAGA1UEAwwpZGlzcG9zZSBmdXp6IHJlY2lwaWVudCAodGVzdCBrZXksIHB1\n"
	"YmxpYykwIBcNMjYxMjA1MjM0OTU3WhgPMjEyNjExMTEyMzQ5NTdaMDQxMjAwBgNV\n"
	"BAMMKWRpc3Bvc2UgZnV6eiByZWNpcGllbnQgKHRlc3Qga2V5LCBwdWJsaWMpMFkw\n"
	"EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcB1eBLLf6rJTlkNy6gtKxooTUFZ7uBPQ\n"
	"F/yko3hTNM2jCsO+C8M6mkCbZXp2qQgMi3/nu4kayNG3u9ACeFtbuaNTMFEwHQYD\n"
	"VR0OBBYEFHwOruDLh3FzkFJOsgj5rmCBB0YZMB8GA1UdIwQYMBaAFHwOruDLh3Fz\n"
	"kFJOsgj5rmCBB0YZMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh\n"
	"AIXqY67cEP/2G11O/9WHkMl0tegb8tZTcCl9GoNrPCEQAiEAh6jX3SMpYacQ9Enf\n"
	"7gSHtWEFoLCUHOt3bGeMyBsmvfk=\n"
	"-----END CERTIFICATE-----\n";
/* A second recipient (RSA), for envelopes with two recipient infos. */
static const char second_crt[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIDMzCCAhugAwIBAgIUQ6GsZdFG1aaCfGp7KZ3XDWPYGSQwDQYJKoZIhvcNAQEL\n"
	"BQAwKDEmMCQGA1UEAwwdZGlzcG9zZSBmdXp6IHNlY29uZCByZWNpcGllbnQwIBcN\n"
	"MjYxMjA1MjM0OTU3WhgPMjEyNjExMTEyMzQ5NTdaMCgxJjAkBgNVBAMMHWRpc3Bv\n"
	"c2UgZnV6eiBzZWNvbmQgcmVjaXBpZW50MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n"
	"MIIBCgKCAQEAjHp6mjTjdFkQkc9Vmip7gZhqh0m1HOMkgrQumbvUvqZ5DA9561o3\n"
	"EnW+YioZUp/uuVdtQq3LatBpCkOI64D8+vlftBwEv+6IgLVJFDR6ZCR4r/zhWTjr\n"
	"M4we/A3CbzWyQCD0YsWSH5VFys1Jp6pf4I7GR9lVxqn8UyDYyEZno8AUhQppxZKn\n"
	"5FY+Sx5XDOmioNDdRc8654ggElheXrlNBYWnKXNGbZGXCX6RUbVrCTDcAN3StH8v\n"
	"qPw+rMeepy2yxIj5ESPwhMHfQL1jJcJ295M9X4+MVn9YQVku9X+yvZYmXA/sTkiZ\n"
	"HMlVF1ys/Ad56G0zBf9PbNUkpa7ehwxRWQIDAQABo1MwUTAdBgNVHQ4EFgQUmmRC\n"
	"Req5k01y7POrr4QdB9IWRvowHwYDVR0jBBgwFoAUmmRCReq5k01y7POrr4QdB9IW\n"
	"RvowDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEATRy1M8f3WfFf\n"
	"Jp6MPRF8Zi5LWAj20RxaFBZclmOAILvBBGqIIocmnsXy6Ra0Ax4MBiCvCpRSrIrd\n"
	"KxaaRABPZVQwpYD/dzQlGrIpdnNiUIyHVcHxEbocteNfWdC2VKxpqebSBt3l0rI4\n"
	"2NEXKEWY81R/I1Z1yQ8TZaOJA1QB/RzkPjJ0pbN8TmQhG/5NoAk4meCPjQpv3Uvp\n"
	"NvJDnj3d9ywfiRQW/jXa9rcf8hvA8J35i0K8M7Ox+tHJNKsMp98+L2i0JAhV1lsC\n"
	"ueiQl5/DoHLFW7LrR5fU88+ca6RQXg/38eYaAvwROmWo4JzDldCMzkKmkR0SHiv3\n"
	"EFcqoOj7vQ==\n"
	"-----END CERTIFICATE-----\n";

/* The plaintext of every seed: byte i of the stream, and the lengths used. */
static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 131u + (i >> 8) * 7u + 1u);
}

static const size_t seed_len[] = { 0, 1, 33, 1000, 5000 };

static char key_path[64], crt_path[64], second_path[64], stranger_path[64];

static void memfd_text(const char *name, const char *text, char *path, size_t plen)
{
	int fd = memfd_create(name, 0);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	snprintf(path, plen, "/proc/self/fd/%d", fd);
}

/* A key no envelope is made for, in a memfd. */
static void make_stranger(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	int fd = memfd_create("fuzz-stranger", 0);
	FILE *f;

	if (!pk || fd < 0)
		abort();
	f = fdopen(dup(fd), "w");
	if (!f || !PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL))
		abort();
	fclose(f);
	EVP_PKEY_free(pk);
	snprintf(stranger_path, sizeof(stranger_path), "/proc/self/fd/%d", fd);
}

static void setup(void)
{
	memfd_text("fuzz-key", recip_key, key_path, sizeof(key_path));
	memfd_text("fuzz-crt", recip_crt, crt_path, sizeof(crt_path));
	memfd_text("fuzz-crt2", second_crt, second_path, sizeof(second_path));
	make_stranger();
}

/* Length of a DER TLV at the start of buf (definite length), or 0. */
static size_t der_len(const uint8_t *buf, size_t len)
{
	size_t hdr = 2, n;

	if (len < 2 || buf[1] == 0x80 || buf[1] > 0x84)
		return 0;
	n = buf[1];
	if (buf[1] & 0x80) {
		unsigned k = buf[1] & 0x7f;

		if (len < 2 + k)
			return 0;
		n = 0;
		for (unsigned i = 0; i < k; i++)
			n = n << 8 | buf[2 + i];
		hdr += k;
	}
	return n > len - hdr ? 0 : hdr + n;
}

static int file_of(const char *name, const void *buf, size_t len, char *path, size_t plen)
{
	int fd = memfd_create(name, 0);

	if (fd < 0 || (len && write(fd, buf, len) != (ssize_t)len))
		abort();
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

struct seen {
	size_t n;
	int bad;	/* a byte that is not the pattern's */
};

static int sink(void *arg, const void *buf, size_t len)
{
	struct seen *s = arg;
	const uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		s->bad |= b[i] != pat(s->n + i);
	s->n += len;
	return 0;
}

static int known_len(size_t n)
{
	for (size_t i = 0; i < DSP_ARRAY_SIZE(seed_len); i++)
		if (seed_len[i] == n)
			return 1;
	return 0;
}

/*
 * Check, then decrypt data (an envelope, then its ciphertext) as the
 * recipient and as a stranger; abort on any result that must not be.
 * Returns the recipient's result.
 */
static int decrypt(const uint8_t *data, size_t size)
{
	char env_path[64], ct_path[64];
	size_t elen = der_len(data, size);
	struct seen s = { 0 };
	int efd, cfd, rc, ours;

	if (!elen)
		elen = size;	/* not even a TLV: all of it is the envelope */
	rc = dsp_env_check(data, elen);
	if (rc != 0 && rc != DSP_INVALID)
		abort();
	efd = file_of("fuzz-env", data, elen, env_path, sizeof(env_path));
	cfd = file_of("fuzz-ct", data + elen, size - elen, ct_path, sizeof(ct_path));
	/* the recipient: unwrap, decrypt, check the tag */
	rc = ours = dsp_env_decrypt(env_path, ct_path, key_path, crt_path, sink, &s);
	if (rc > 0 && rc != DSP_MISMATCH && rc != DSP_INVALID)
		abort();
	if (rc == 0 && (s.bad || !known_len(s.n)))
		abort();	/* authenticated, but not what any seed encrypted */
	if (rc == 0 || dsp_env_check(data, elen) == 0) {
		/* a stranger (every recipient info tried) must never authenticate */
		rc = dsp_env_decrypt(env_path, ct_path, stranger_path, NULL, sink, &s);
		if (rc == 0 || (rc > 0 && rc != DSP_MISMATCH && rc != DSP_INVALID))
			abort();
	}
	close(efd);
	close(cfd);
	return ours;
}

/* FUZZ_ENVELOPE_SEEDS=DIR: write the seed corpus (real envelopes) and exit. */
static void make_seeds(const char *dir)
{
	const char *sets[][3] = {
		{ crt_path, NULL, NULL }, { crt_path, second_path, NULL },
		{ second_path, crt_path, NULL },
	};
	static const char *const set_name[] = { "ec", "ec-rsa", "rsa-ec" };
	char tmp[] = "/tmp/fuzz-env-XXXXXX", ct[64], env[64], out[4096];
	uint8_t *pt = malloc(5000), *buf = malloc(70000);

	if (!pt || !buf || !mkdtemp(tmp))
		abort();
	for (size_t i = 0; i < 5000; i++)
		pt[i] = pat(i);
	for (size_t s = 0; s < DSP_ARRAY_SIZE(sets); s++) {
		for (size_t l = 0; l < DSP_ARRAY_SIZE(seed_len); l++) {
			struct dsp_env_writer *w;
			FILE *f;
			size_t n = 0, r;

			/* the two-recipient sets once, at a middle length */
			if (s && seed_len[l] != 1000)
				continue;
			snprintf(ct, sizeof(ct), "%s/ct", tmp);
			snprintf(env, sizeof(env), "%s/ct.cms", tmp);
			if (dsp_env_writer_open(sets[s], ct, env, &w) ||
			    (seed_len[l] && dsp_env_write(w, pt, seed_len[l])) ||
			    dsp_env_writer_close(w, NULL, NULL))
				abort();
			/* the envelope, then the ciphertext */
			for (int k = 0; k < 2; k++) {
				f = fopen(k ? ct : env, "rb");
				if (!f)
					abort();
				r = fread(buf + n, 1, 70000 - n, f);
				fclose(f);
				n += r;
			}
			unlink(ct);
			unlink(env);
			/* a seed the recipient cannot open would reach nothing */
			if (decrypt(buf, n) != 0)
				abort();
			snprintf(out, sizeof(out), "%s/seed-%s-%zu", dir, set_name[s], seed_len[l]);
			f = fopen(out, "wb");
			if (!f || fwrite(buf, 1, n, f) != n || fclose(f))
				abort();
		}
	}
	rmdir(tmp);
	free(pt);
	free(buf);
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setup();
	if (getenv("FUZZ_ENVELOPE_SEEDS"))
		make_seeds(getenv("FUZZ_ENVELOPE_SEEDS"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decrypt(data, size);
	return 0;
}
