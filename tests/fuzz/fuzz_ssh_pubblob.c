/* SPDX-License-Identifier: MIT */
/* fuzz_ssh_pubblob.c - libFuzzer: the SSH public key blob parser (RFC 4253 wire form) behind OpenSSH and PuTTY keys */
/* Seeds (generated once, committed): the public blobs of those keys, their certificates, a PuTTY key, gpg --export-ssh-key, and sk-* blobs built from real public keys. */
#include <stddef.h>
#include <stdint.h>

#include "keys_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_key_info ki;
	char fp[64];

	key_info_init(&ki, "openssh");
	dsp_keys_from_ssh_blob(data, size, &ki);
	check_key_info(0, &ki);
	/* the fingerprint is always that of the blob itself, as ssh-keygen computes it */
	if (ki.ssh_fingerprint[0]) {
		dsp_keys_ssh_fp(data, size, fp);
		CHECK(!strcmp(fp, ki.ssh_fingerprint));
	}
	/* a public key OpenSSL accepted has a size */
	CHECK(!ki.spki_sha256[0] || ki.bits > 0);
	return 0;
}
