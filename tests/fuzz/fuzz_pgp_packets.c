/* SPDX-License-Identifier: MIT */
/* fuzz_pgp_packets.c - libFuzzer: OpenPGP secret key packets (binary, as dearmored), no detection in front */
/* Seeds (generated once, committed): gpg 2.2 secret keys (ed25519+cv25519, rsa, nistp256/384, brainpool, dsa+elgamal), secret material replaced by random bytes, and crafted v3/v5/v6 packets. */
#include <stddef.h>
#include <stdint.h>

#include "keys_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dsp_key_info ki;
	int r;

	key_info_init(&ki, "pgp-binary");
	r = dsp_keys_pgp_packets(data, size, &ki);
	check_key_info(r, &ki);
	/* a decoded v4 key always has its fingerprint and knows whether it is protected */
	CHECK(r != 1 || (ki.pgp_fingerprint[0] && ki.encrypted != -1));
	/* nothing is claimed about a key that was not decoded */
	CHECK(r != DSP_KEY_UNDECODED || (!ki.spki_sha256[0] && !ki.pgp_fingerprint[0]));
	return 0;
}
