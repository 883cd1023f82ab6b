/* SPDX-License-Identifier: MIT */
/*
 * ata_fake.h - a fake ATA drive behind a SAT (libata-like), for the ATA
 * hook of sanitize_fake.h: it answers ATA PASS-THROUGH(16) from struct
 * ata_fake (IDENTIFY page, SANITIZE state machine, security password and
 * erase, native max, DCO and SMART pages), with the output registers in
 * descriptor sense (ATA Status Return descriptor) or, when asked, in fixed
 * sense as SAT-4 allows (upper register bytes then lost).
 *
 *	struct ata_fake f = {0};
 *	fake_load(f.identify, 512, "ata/ssd-sanitize.bin");
 *	d->ata = ata_fake_fn; d->ata_arg = &f;
 */
#ifndef DISPOSE_TEST_ATA_FAKE_H
#define DISPOSE_TEST_ATA_FAKE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <scsi/sg.h>

#include "sanitize_fake.h"

struct ata_fake {
	uint8_t identify[512], dco[512], smart[512];
	bool fixed_sense;		/* sense in fixed format (upper register bytes lost) */
	bool no_passthrough;		/* the bridge refuses ATA PASS-THROUGH(16) */
	bool no_regs;			/* the bridge ignores CK_COND: GOOD, no registers */
	uint8_t abort_cmd;		/* answer this command with ABRT */
	uint8_t fault_cmd;		/* answer this command with DF (device fault) */
	/* sanitize */
	bool san_running, san_failed, san_ok, san_frozen, san_fail_end;
	unsigned san_steps, san_left;
	uint8_t san_refuse;		/* refuse the sanitize command with this reason */
	/* security */
	char password[33];
	bool prepared, erase_fails, disable_fails;
	uint16_t erase_control;
	unsigned erases;
	/* HPA */
	uint64_t native_max;		/* READ NATIVE MAX ADDRESS EXT answer (an LBA) */
	uint16_t smart_lba;		/* SMART RETURN STATUS LBA 23:8 answer */
};

static __attribute__((unused)) struct ata_fake *ata_fake_of(struct fake_dev *d)
{
	return d->ata_arg;
}

static __attribute__((unused)) void ata_fake_sum(uint8_t *p)
{
	uint8_t sum = 0;

	p[510] = 0xa5;
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + p[i]);
	p[511] = (uint8_t)-sum;
}

static __attribute__((unused)) void ata_fake_set_word(uint8_t *p, unsigned word, uint16_t v)
{
	p[2 * word] = (uint8_t)v;
	p[2 * word + 1] = (uint8_t)(v >> 8);
}

static __attribute__((unused)) uint16_t ata_fake_word(const uint8_t *p, unsigned word)
{
	return (uint16_t)(p[2 * word] | p[2 * word + 1] << 8);
}

/* CHECK CONDITION carrying the ATA output registers, as libata builds it. */
static __attribute__((unused)) int ata_fake_reply(struct ata_fake *f, struct sg_io_hdr *h, bool ext, uint8_t key,
		     uint8_t status, uint8_t error, uint16_t count, uint64_t lba, uint8_t device)
{
	uint8_t s[32] = {0};
	unsigned n;

	if (f->fixed_sense) {
		s[0] = 0x70 | 0x80;
		s[2] = key;
		s[3] = error;
		s[4] = status;
		s[5] = device;
		s[6] = (uint8_t)count;
		s[7] = 10;
		s[8] = (uint8_t)((ext ? 0x80 : 0) | ((count >> 8) ? 0x40 : 0) | ((lba >> 24) ? 0x20 : 0));
		s[9] = (uint8_t)lba;
		s[10] = (uint8_t)(lba >> 8);
		s[11] = (uint8_t)(lba >> 16);
		s[12] = 0x00;
		s[13] = 0x1d;
		n = 18;
	} else {
		s[0] = 0x72;
		s[1] = key;
		s[2] = 0x00;
		s[3] = 0x1d;
		s[7] = 14;
		s[8] = 0x09;
		s[9] = 0x0c;
		s[10] = ext ? 1 : 0;
		s[11] = error;
		s[12] = (uint8_t)(count >> 8);
		s[13] = (uint8_t)count;
		s[14] = (uint8_t)(lba >> 24);
		s[15] = (uint8_t)lba;
		s[16] = (uint8_t)(lba >> 32);
		s[17] = (uint8_t)(lba >> 8);
		s[18] = (uint8_t)(lba >> 40);
		s[19] = (uint8_t)(lba >> 16);
		s[20] = device;
		s[21] = status;
		n = 22;
	}
	h->status = 0x02;
	h->masked_status = 0x01;
	h->driver_status = 0x08;
	h->host_status = 0;
	if (n > h->mx_sb_len)
		n = h->mx_sb_len;
	memcpy(h->sbp, s, n);
	h->sb_len_wr = (uint8_t)n;
	return 0;
}

static __attribute__((unused)) int ata_fake_ok(struct ata_fake *f, struct sg_io_hdr *h, bool ext, bool ck, uint16_t count, uint64_t lba)
{
	if (!ck || f->no_regs) {
		h->status = 0;
		h->masked_status = 0;
		h->driver_status = 0;
		h->host_status = 0;
		h->sb_len_wr = 0;
		return 0;
	}
	return ata_fake_reply(f, h, ext, 0x01, 0x50, 0, count, lba, 0x40);
}

static __attribute__((unused)) int ata_fake_abort(struct ata_fake *f, struct sg_io_hdr *h, bool ext, uint64_t lba)
{
	return ata_fake_reply(f, h, ext, 0x0b, 0x51, 0x04, 0, lba, 0x40);
}

static __attribute__((unused)) int ata_fake_data_in(struct sg_io_hdr *h, const uint8_t *src)
{
	if (h->dxfer_direction != SG_DXFER_FROM_DEV || h->dxfer_len != 512 || !h->dxferp)
		return -EINVAL;	/* the test sees the ioctl fail */
	memcpy(h->dxferp, src, 512);
	h->resid = 0;
	return 0;
}

static __attribute__((unused)) int ata_fake_fn(struct fake_dev *d, struct sg_io_hdr *h)
{
	struct ata_fake *f = ata_fake_of(d);
	const uint8_t *c = h->cmdp;
	bool ext = c[1] & 1, ck = c[2] & 0x20;
	uint16_t feature = (uint16_t)(c[3] << 8 | c[4]);
	uint16_t count = (uint16_t)(c[5] << 8 | c[6]);
	uint64_t lba = (uint64_t)c[8] | (uint64_t)c[10] << 8 | (uint64_t)c[12] << 16 |
		       (uint64_t)c[7] << 24 | (uint64_t)c[9] << 32 | (uint64_t)c[11] << 40;
	uint8_t cmd = c[14];

	if (f->no_passthrough)
		return fake_check(d, h, 0x05, 0x20, 0x00);
	if (cmd == f->abort_cmd)
		return ata_fake_abort(f, h, ext, 0);
	if (cmd == f->fault_cmd)
		return ata_fake_reply(f, h, ext, 0x0b, 0x61, 0x00, 0, 0, 0x40);
	switch (cmd) {
	case 0xec:
		return ata_fake_data_in(h, f->identify);
	case 0xb4:	/* SANITIZE */
		if (feature == 0x0000) {
			uint16_t st = 0;

			if (f->san_running) {
				if (f->san_left)
					f->san_left--;
				if (!f->san_left) {
					f->san_running = false;
					f->san_failed = f->san_fail_end;
					f->san_ok = !f->san_fail_end;
				}
			}
			if (f->san_failed && !(count & 1))
				return ata_fake_abort(f, h, true, 1);
			if (count & 1)
				f->san_failed = false;
			st = (uint16_t)((f->san_ok ? 0x8000 : 0) | (f->san_running ? 0x4000 : 0) |
					(f->san_frozen ? 0x2000 : 0));
			return ata_fake_ok(f, h, true, ck, st, f->san_running ?
				      (uint64_t)(f->san_steps - f->san_left) * 65536 / f->san_steps : 0);
		}
		if (f->san_refuse)
			return ata_fake_abort(f, h, true, f->san_refuse);
		if ((feature == 0x11 && (uint32_t)lba != 0x43727970u) ||
		    (feature == 0x12 && (uint32_t)lba != 0x426b4572u) ||
		    (feature == 0x14 && (lba >> 32) != 0x4f57u))
			return ata_fake_abort(f, h, true, 2);	/* a wrong key: unsupported value */
		if (f->san_running)
			return ata_fake_abort(f, h, true, 1);
		f->san_running = f->san_steps > 0;
		f->san_left = f->san_steps;
		f->san_ok = !f->san_running && !f->san_fail_end;
		f->san_failed = !f->san_running && f->san_fail_end;
		return ata_fake_ok(f, h, true, ck, 0, 0);
	case 0xf1:	/* SET PASSWORD */
		memcpy(f->password, (uint8_t *)h->dxferp + 2, 32);
		ata_fake_set_word(f->identify, 128, ata_fake_word(f->identify, 128) | 0x0002);
		ata_fake_sum(f->identify);
		return ata_fake_ok(f, h, false, ck, 0, 0);
	case 0xf3:
		f->prepared = true;
		return ata_fake_ok(f, h, false, ck, 0, 0);
	case 0xf4:
		f->erases++;
		f->erase_control = ata_fake_word(h->dxferp, 0);
		if (!f->prepared || f->erase_fails || memcmp(f->password, (uint8_t *)h->dxferp + 2, 32))
			return ata_fake_abort(f, h, false, 0);
		f->prepared = false;
		ata_fake_set_word(f->identify, 128, ata_fake_word(f->identify, 128) & ~0x0002);
		ata_fake_sum(f->identify);
		return ata_fake_ok(f, h, false, ck, 0, 0);
	case 0xf6:	/* DISABLE PASSWORD */
		if (f->disable_fails || memcmp(f->password, (uint8_t *)h->dxferp + 2, 32))
			return ata_fake_abort(f, h, false, 0);
		ata_fake_set_word(f->identify, 128, ata_fake_word(f->identify, 128) & ~0x0002);
		ata_fake_sum(f->identify);
		return ata_fake_ok(f, h, false, ck, 0, 0);
	case 0x27:
		return ata_fake_ok(f, h, true, ck, 0, f->native_max);
	case 0xb1:
		return ata_fake_data_in(h, f->dco);
	case 0xb0:
		if (feature == 0xda)
			return ata_fake_ok(f, h, false, ck, 0, (uint64_t)f->smart_lba << 8);
		return ata_fake_data_in(h, f->smart);
	}
	return ata_fake_abort(f, h, ext, 0);
}

#endif
