/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ata.c - what an ATA drive or its translator sends back, through the
 * ATA parsers: IDENTIFY DEVICE pages, SMART READ DATA pages and the sense
 * data that carries the ATA output registers.
 *
 * Input: one mode byte, then the bytes. Kind (mode & 127) % 3 == 0: an IDENTIFY page
 * (zero-padded or cut to 512 bytes); with bit 7 its integrity word is
 * fixed first so mutations get past the checksum. 1: a SMART page, the
 * same. 2: sense data. Seeds: the pages of tests/data/ata and sense in
 * both formats.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/sanitize.h"
#include "../../src/sanitize/sanitize_int.h"

static void fix_sum(uint8_t *p, bool sig)
{
	uint8_t sum = 0;

	if (sig)
		p[510] = 0xa5;
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + p[i]);
	p[511] = (uint8_t)-sum;
}

static void check_string(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();	/* not terminated */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t page[DSP_ATA_PAGE] = {0};
	uint8_t mode, kind;

	if (size < 1)
		return 0;
	mode = data[0];
	kind = (uint8_t)((mode & 0x7f) % 3);
	data++, size--;
	if (kind == 2) {
		struct ata_tf tf;
		bool upper;

		if (ata_sense_regs(data, size, &tf, &upper) && (tf.lba >> 48))
			abort();	/* 48 bits at most */
		return 0;
	}
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));
	if (mode & 0x80)
		fix_sum(page, kind == 0);
	if (kind == 0) {
		struct dsp_ata_identity id;
		struct dsp_san_caps caps;
		struct json_object *j;
		char why[256];
		int r = dsp_ata_parse_identify(page, &id, why, sizeof(why));

		if (r != 0 && r != DSP_INVALID)
			abort();
		if (r)
			return 0;
		check_string(id.model, sizeof(id.model));
		check_string(id.serial, sizeof(id.serial));
		check_string(id.firmware, sizeof(id.firmware));
		if ((id.san_crypto || id.san_block || id.san_overwrite) && !id.sanitize)
			abort();
		if ((id.sec_enabled || id.sec_locked || id.sec_frozen) && !id.security)
			abort();
		dsp_ata_caps(&id, &caps);
		j = dsp_ata_identity_json(&id);
		if (!j)
			abort();
		json_object_put(j);
	} else {
		struct json_object *j = NULL;
		int r = dsp_ata_parse_smart(page, "unknown", &j);

		if ((r == 0) != (j != NULL) || (r != 0 && r != DSP_INVALID))
			abort();
		json_object_put(j);
	}
	return 0;
}
