/* SPDX-License-Identifier: MIT */
/*
 * ata_hidden_fake.h - the fake ATA drive of ata_fake.h with the commands
 * that change its hidden areas: READ NATIVE MAX ADDRESS (F8h, 28-bit), SET
 * MAX ADDRESS (EXT) (F9h/37h, only right after the matching READ NATIVE
 * MAX), GET NATIVE MAX / SET ACCESSIBLE MAX ADDRESS EXT (78h/0000h, 0001h)
 * and DEVICE CONFIGURATION RESTORE (B1h/C0h: the DCO's max becomes native
 * and accessible; aborted while an HPA is set). Everything else goes to
 * ata_fake_fn.
 *
 *	struct ata_hidden_fake x = {0};
 *	fake_load(x.f.identify, 512, "ata/hdd-hpa.bin");
 *	d->ata = ata_hidden_fake_fn; d->ata_arg = &x;	(x.f first: ata_fake_of works)
 */
#ifndef DISPOSE_TEST_ATA_HIDDEN_FAKE_H
#define DISPOSE_TEST_ATA_HIDDEN_FAKE_H

#include "ata_fake.h"

struct ata_hidden_fake {
	struct ata_fake f;		/* first */
	uint8_t last_cmd;		/* the command before this one */
	bool amac;			/* answers 78h */
	bool max_frozen;		/* SET MAX (FREEZE LOCK) / FREEZE ACCESSIBLE MAX: abort */
	bool dco_frozen;		/* DEVICE CONFIGURATION FREEZE LOCK: abort the restore */
	unsigned set_max, dco_restores;	/* commands that changed the drive */
};

/* Words 60-61 and 100-103: the accessible sectors; checksum renewed. */
static __attribute__((unused)) void ata_hidden_set_accessible(uint8_t *id, uint64_t sectors)
{
	uint64_t s28 = sectors > 0x0fffffff ? 0x0fffffff : sectors;

	ata_fake_set_word(id, 60, (uint16_t)s28);
	ata_fake_set_word(id, 61, (uint16_t)(s28 >> 16));
	for (unsigned i = 0; i < 4; i++)
		ata_fake_set_word(id, 100 + i, (uint16_t)(sectors >> (16 * i)));
	ata_fake_sum(id);
}

static __attribute__((unused)) uint64_t ata_hidden_accessible(const uint8_t *id)
{
	if (ata_fake_word(id, 83) & (1u << 10))
		return (uint64_t)ata_fake_word(id, 100) | (uint64_t)ata_fake_word(id, 101) << 16 |
		       (uint64_t)ata_fake_word(id, 102) << 32 | (uint64_t)ata_fake_word(id, 103) << 48;
	return (uint64_t)ata_fake_word(id, 60) | (uint64_t)ata_fake_word(id, 61) << 16;
}

static __attribute__((unused)) int ata_hidden_fake_fn(struct fake_dev *d, struct sg_io_hdr *h)
{
	struct ata_hidden_fake *x = d->ata_arg;
	struct ata_fake *f = &x->f;
	const uint8_t *c = h->cmdp;
	bool ext = c[1] & 1, ck = c[2] & 0x20;
	uint16_t feature = (uint16_t)(c[3] << 8 | c[4]);
	uint64_t lba = (uint64_t)c[8] | (uint64_t)c[10] << 8 | (uint64_t)c[12] << 16 |
		       (uint64_t)c[7] << 24 | (uint64_t)c[9] << 32 | (uint64_t)c[11] << 40;
	uint8_t cmd = c[14], last = x->last_cmd;

	x->last_cmd = cmd;
	if (f->no_passthrough || c[0] != 0x85 || cmd == f->abort_cmd)
		return ata_fake_fn(d, h);
	switch (cmd) {
	case 0xf8:	/* READ NATIVE MAX ADDRESS: LBA 27:24 in DEVICE 3:0 */
		if (!ck || f->no_regs)
			return ata_fake_ok(f, h, false, ck, 0, 0);
		return ata_fake_reply(f, h, false, 0x01, 0x50, 0, 0, f->native_max & 0xffffff,
				      (uint8_t)(0x40 | (f->native_max >> 24 & 0x0f)));
	case 0x27:
		return ata_fake_fn(d, h);
	case 0x37:
	case 0xf9:
		if (!ext && cmd == 0xf9)
			lba = (lba & 0xffffff) | (uint64_t)(c[13] & 0x0f) << 24;
		if (x->max_frozen || last != (cmd == 0x37 ? 0x27 : 0xf8) || lba > f->native_max)
			return ata_fake_abort(f, h, ext, 0);
		x->set_max++;
		ata_hidden_set_accessible(f->identify, lba + 1);
		return ata_fake_ok(f, h, ext, ck, 0, 0);
	case 0x78:
		if (!x->amac)
			return ata_fake_abort(f, h, true, 0);
		if (feature == 0x0000)
			return ata_fake_ok(f, h, true, ck, 0, f->native_max);
		if (feature != 0x0001 || x->max_frozen || lba > f->native_max)
			return ata_fake_abort(f, h, true, 0);
		x->set_max++;
		ata_hidden_set_accessible(f->identify, lba + 1);
		return ata_fake_ok(f, h, true, ck, 0, 0);
	case 0xb1:
		if (feature != 0x00c0)
			return ata_fake_fn(d, h);	/* DCO IDENTIFY */
		if (x->dco_frozen || ata_hidden_accessible(f->identify) < f->native_max + 1)
			return ata_fake_abort(f, h, false, 0);
		x->dco_restores++;
		f->native_max = (uint64_t)ata_fake_word(f->dco, 3) | (uint64_t)ata_fake_word(f->dco, 4) << 16 |
				(uint64_t)ata_fake_word(f->dco, 5) << 32 | (uint64_t)ata_fake_word(f->dco, 6) << 48;
		ata_hidden_set_accessible(f->identify, f->native_max + 1);
		return ata_fake_ok(f, h, false, ck, 0, 0);
	}
	return ata_fake_fn(d, h);
}

#endif
