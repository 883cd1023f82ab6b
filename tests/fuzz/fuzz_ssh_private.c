/* SPDX-License-Identifier: MIT */
/* fuzz_ssh_private.c - libFuzzer: the OpenSSH private-key container (openssh-key-v1, decoded), no detection or base64 in front */
/* Seeds (generated once, committed): ssh-keygen 9.2 keys (ed25519, rsa, ecdsa 256/384/521, dsa; plain and passphrase-protected), decoded, private sections replaced by random bytes. */
#include <stddef.h>
#include <stdint.h>

#include "keys_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_key_info ki;
	int r;

	key_info_init(&ki, "openssh");
	r = dsp_keys_openssh_bin(data, size, &ki);
	check_key_info(r, &ki);
	/* a container is a private key only with its public blob: it is fingerprinted */
	CHECK(r != 1 || ki.ssh_fingerprint[0] || ki.algorithm[0]);
	CHECK(r != 1 || ki.encrypted != -1);
	return 0;
}
