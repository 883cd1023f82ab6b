/* SPDX-License-Identifier: MIT */
/* fuzz_envelope.c - arbitrary bytes as a CMS envelope: parse, then try to unwrap and decrypt */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dispose/envelope.h"

static char key_path[64];

/* One EC P-256 key for the whole run, in a memfd: no files left behind. */
static void make_key(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	int fd = memfd_create("fuzz-key", 0);
	FILE *f;

	if (!pk || fd < 0)
		abort();
	f = fdopen(dup(fd), "w");
	if (!f || !PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL))
		abort();
	fclose(f);
	EVP_PKEY_free(pk);
	snprintf(key_path, sizeof(key_path), "/proc/self/fd/%d", fd);
}

static int sink(void *arg, const void *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char env_path[64];
	int fd, rc;

	if (!key_path[0])
		make_key();
	rc = dsp_env_check(data, size);
	if (rc != 0 && rc != DSP_INVALID)
		abort();
	if (rc)
		return 0;
	/* a parseable envelope: unwrap with a stranger's key, decrypt nothing */
	fd = memfd_create("fuzz-env", 0);
	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(env_path, sizeof(env_path), "/proc/self/fd/%d", fd);
	rc = dsp_env_decrypt(env_path, "/dev/null", key_path, NULL, sink, NULL);
	if (rc == 0 || (rc != DSP_MISMATCH && rc != DSP_INVALID && rc >= 0))
		abort();	/* a stranger's key must never authenticate */
	close(fd);
	return 0;
}
