/* SPDX-License-Identifier: MIT */
/*
 * sanitize_fake.h - a fake device at the ioctl boundary for the sanitize
 * module: a dsp_io whose ioctl op answers NVME_IOCTL_ADMIN_CMD,
 * NVME_IOCTL_ID, SG_IO, BLKSECDISCARD and the size ioctls from scripted
 * state, and records every command as it was sent, for byte-exact asserts.
 *
 *	struct fake_dev *d = fake_dev_new();
 *	d->nvme = true; fake_load(d->id_ctrl, 4096, "nvme/id-ctrl-crypto-block.bin");
 *	d->san_steps = 3;
 *	struct dsp_io *io = fake_dev_io(d);
 *	dsp_nvme_sanitize(io, ...);	-> d->cmds[i].nvme holds each command
 *	dsp_io_close(io);		(frees d too)
 *
 * ATA (S2): SG_IO with CDB opcode 0x85 (ATA PASS-THROUGH(16)) or 0xa1 goes to
 * d->ata when set, else it is refused as an unknown opcode.
 */
#ifndef DISPOSE_TEST_SANITIZE_FAKE_H
#define DISPOSE_TEST_SANITIZE_FAKE_H

#include <errno.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/io.h"

#define FAKE_MAX_CMDS 128

/* One command as the device saw it. */
struct fake_cmd {
	unsigned long req;
	struct nvme_admin_cmd nvme;	/* NVME_IOCTL_ADMIN_CMD: the whole command */
	uint8_t cdb[32];		/* SG_IO */
	unsigned cdb_len;
	int dxfer_direction;
	unsigned dxfer_len, timeout;
	uint8_t data_out[512];		/* SG_IO to the device / NVMe data out */
	unsigned data_out_len;
	uint64_t range[2];		/* BLKSECDISCARD */
};

struct fake_dev;
/* ATA hook (S2): answer h as the device would; return what the ioctl returns. */
typedef int (*fake_ata_fn)(struct fake_dev *d, struct sg_io_hdr *h);

struct fake_dev {
	uint64_t size;			/* BLKGETSIZE64, bytes */
	/* ---- NVMe ---- */
	bool nvme;			/* answers NVMe admin commands */
	uint32_t nsid;			/* NVME_IOCTL_ID: 0 = controller node (-ENOTTY) */
	uint32_t active_ns;		/* Identify CNS 02h lists 1..active_ns (default 1) */
	bool no_cns2;			/* CNS 02h: invalid field (an NVMe 1.0 controller) */
	uint8_t id_ctrl[4096], id_ns[4096], health[512];
	uint16_t nvme_status[256];	/* per opcode: answer this status instead (0 = normal) */
	int nvme_errno[256];		/* per opcode: the ioctl fails with -errno */
	/* sanitize status log state: the sanitize runs for san_steps log reads */
	uint16_t sstat, sprog;
	uint32_t scdw10;
	uint32_t est[6];		/* estimated times, log bytes 8..31 */
	unsigned san_steps, san_left;
	bool san_ignore;		/* Sanitize completes with success and starts nothing */
	uint16_t san_final;		/* SSTAT low bits at the end: 1 ok (default), 3 failed, 4 */
	unsigned format_count;
	uint32_t format_cdw10;
	/* ---- SCSI ---- */
	bool scsi;			/* answers SG_IO */
	uint8_t inquiry[96];
	uint8_t vpd80[64], vpd83[64], vpd00[16];
	bool rsoc_illegal;		/* REPORT SUPPORTED OPERATION CODES: ILLEGAL REQUEST */
	uint8_t sa_support[32];		/* SANITIZE service action -> SUPPORT field (3 = yes) */
	uint8_t sanitize_sense[3];	/* answer SANITIZE with CHECK CONDITION key/asc/ascq */
	bool desc_sense;		/* sense in descriptor format */
	unsigned scsi_steps, scsi_left;
	bool scsi_running, scsi_failed, scsi_fail_end;
	bool scsi_ua;			/* a unit attention (power on, 29/00) is pending */
	/* ---- eMMC ---- */
	int secdiscard_errno;		/* BLKSECDISCARD fails with it (EOPNOTSUPP) */
	uint64_t discarded;		/* bytes */
	/* ---- ATA (S2) ---- */
	fake_ata_fn ata;
	void *ata_arg;
	/* ---- reads: every byte reads as read_byte (0: zeros) ---- */
	uint8_t read_byte;
	/* called with each NVMe admin or SG_IO command as the device sees it (may be NULL) */
	void (*on_cmd)(struct fake_dev *d, const struct fake_cmd *c);
	void *on_cmd_arg;
	/* ---- log ---- */
	struct fake_cmd cmds[FAKE_MAX_CMDS];
	unsigned ncmds;
	unsigned sleeps;		/* fake_sleep calls */
	int cancel_after;		/* fake_progress: cancel at this call (0 = never) */
	unsigned progress_calls;
	uint32_t last_progress;
};

static __attribute__((unused)) struct fake_dev *fake_dev_new(void)
{
	struct fake_dev *d = calloc(1, sizeof(*d));

	if (!d)
		abort();
	d->size = 1ull << 30;
	d->san_final = 1;
	d->sprog = 0xffff;
	d->active_ns = 1;
	return d;
}

/* Read tests/data/<rel> (from $DISPOSE_SRCDIR or .) into buf: exactly len bytes or abort. */
static __attribute__((unused)) void fake_load(uint8_t *buf, size_t len, const char *rel)
{
	const char *src = getenv("DISPOSE_SRCDIR");
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", rel);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fake_load: %s: %s\n", path, strerror(errno));
		abort();
	}
	n = fread(buf, 1, len, f);
	if (n != len || fgetc(f) != EOF) {
		fprintf(stderr, "fake_load: %s: not %zu bytes\n", path, len);
		abort();
	}
	fclose(f);
}

static __attribute__((unused)) struct fake_cmd *fake_log(struct fake_dev *d, unsigned long req)
{
	struct fake_cmd *c;

	if (d->ncmds >= FAKE_MAX_CMDS)
		abort();
	c = &d->cmds[d->ncmds++];
	memset(c, 0, sizeof(*c));
	c->req = req;
	return c;
}

/* ---- NVMe ---- */

static __attribute__((unused)) void fake_nvme_sanlog(struct fake_dev *d, uint8_t *log)
{
	unsigned i;

	/* a running sanitize advances one step per log read */
	if ((d->sstat & 7) == 2) {
		if (d->san_left)
			d->san_left--;
		if (!d->san_left) {
			d->sstat = (uint16_t)((d->sstat & ~7u) | d->san_final);
			if (d->san_final == 1 || d->san_final == 4)
				d->sstat |= 1u << 8;	/* GDE */
			d->sprog = 0xffff;
		} else {
			d->sprog = (uint16_t)((uint64_t)(d->san_steps - d->san_left) * 65536 / d->san_steps);
		}
	}
	memset(log, 0, 512);
	log[0] = (uint8_t)d->sprog;
	log[1] = (uint8_t)(d->sprog >> 8);
	log[2] = (uint8_t)d->sstat;
	log[3] = (uint8_t)(d->sstat >> 8);
	for (i = 0; i < 4; i++)
		log[4 + i] = (uint8_t)(d->scdw10 >> (8 * i));
	for (i = 0; i < 24; i++)
		log[8 + i] = (uint8_t)(d->est[i / 4] >> (8 * (i % 4)));
}

/* A power cycle during a sanitize: it restarts from 0 and still reports "in progress". */
static __attribute__((unused)) void fake_power_cycle(struct fake_dev *d)
{
	if ((d->sstat & 7) == 2) {
		d->sprog = 0;
		d->san_left = d->san_steps;
	}
	if (d->scsi_running)
		d->scsi_left = d->scsi_steps;
	d->scsi_ua = d->scsi;
}

static __attribute__((unused)) int fake_nvme_admin(struct fake_dev *d, struct nvme_admin_cmd *cmd)
{
	struct fake_cmd *c = fake_log(d, NVME_IOCTL_ADMIN_CMD);
	void *data = (void *)(uintptr_t)cmd->addr;
	uint8_t op = cmd->opcode;

	c->nvme = *cmd;
	if (d->on_cmd)
		d->on_cmd(d, c);
	if (!d->nvme)
		return -ENOTTY;
	if (d->nvme_errno[op])
		return -d->nvme_errno[op];
	if (d->nvme_status[op])
		return d->nvme_status[op];
	cmd->result = 0;
	switch (op) {
	case 0x06: /* Identify */
		if (!data || cmd->data_len != 4096)
			return 0x4002;	/* invalid field, DNR */
		if ((cmd->cdw10 & 0xff) == 1)
			memcpy(data, d->id_ctrl, 4096);
		else if ((cmd->cdw10 & 0xff) == 0 && cmd->nsid == d->nsid && d->nsid)
			memcpy(data, d->id_ns, 4096);
		else if ((cmd->cdw10 & 0xff) == 2 && !d->no_cns2) {
			uint8_t *p = data;
			uint32_t i;

			memset(p, 0, 4096);
			for (i = 0; i < d->active_ns && i < 1024; i++) {
				p[4 * i] = (uint8_t)(i + 1);
				p[4 * i + 1] = (uint8_t)((i + 1) >> 8);
			}
		} else if ((cmd->cdw10 & 0xff) == 2)
			return 0x4002;
		else
			return 0x400b;	/* invalid namespace or format */
		return 0;
	case 0x02: { /* Get Log Page */
		uint8_t log[512];
		uint32_t len = (((cmd->cdw10 >> 16) | (cmd->cdw11 & 0xffff) << 16) + 1) * 4;

		if (!data || len != cmd->data_len || len > sizeof(log))
			return 0x4002;
		if ((cmd->cdw10 & 0xff) == 0x81)
			fake_nvme_sanlog(d, log);
		else if ((cmd->cdw10 & 0xff) == 0x02)
			memcpy(log, d->health, sizeof(log));
		else
			return 0x4009;	/* invalid log page */
		memcpy(data, log, len);
		return 0;
	}
	case 0x84: /* Sanitize */
		if ((d->sstat & 7) == 2)
			return 0x401d;	/* sanitize in progress */
		if (d->san_ignore)
			return 0;
		d->scdw10 = cmd->cdw10;
		d->sstat = (uint16_t)(d->sstat & ~(7u | 1u << 8)) | 2;
		d->sprog = 0;
		d->san_left = d->san_steps;
		if (!d->san_steps) {
			d->sstat = (uint16_t)((d->sstat & ~7u) | d->san_final);
			d->sprog = 0xffff;
		}
		return 0;
	case 0x80: /* Format NVM */
		if ((d->sstat & 7) == 2)
			return 0x401d;
		d->format_count++;
		d->format_cdw10 = cmd->cdw10;
		return 0;
	}
	return 0x4001;	/* invalid command opcode, DNR */
}

/* ---- SCSI ---- */

static __attribute__((unused)) void fake_sense(struct fake_dev *d, uint8_t *s, unsigned *len, uint8_t key, uint8_t asc,
		       uint8_t ascq, bool sksv, uint16_t prog)
{
	memset(s, 0, 18);
	if (d->desc_sense) {
		s[0] = 0x72;
		s[1] = key;
		s[2] = asc;
		s[3] = ascq;
		if (sksv) {
			s[7] = 8;
			s[8] = 0x02;	/* sense key specific descriptor */
			s[9] = 6;
			s[12] = 0x80;
			s[13] = (uint8_t)(prog >> 8);
			s[14] = (uint8_t)prog;
			*len = 16;
		} else {
			*len = 8;
		}
		return;
	}
	s[0] = 0x70;
	s[2] = key;
	s[7] = 10;
	s[12] = asc;
	s[13] = ascq;
	if (sksv) {
		s[15] = 0x80;
		s[16] = (uint8_t)(prog >> 8);
		s[17] = (uint8_t)prog;
	}
	*len = 18;
}

static __attribute__((unused)) int fake_check(struct fake_dev *d, struct sg_io_hdr *h, uint8_t key, uint8_t asc, uint8_t ascq)
{
	uint8_t s[32];
	unsigned n;

	fake_sense(d, s, &n, key, asc, ascq, false, 0);
	h->status = 0x02;
	h->masked_status = 0x01;
	h->driver_status = 0x08;	/* DRIVER_SENSE */
	if (n > h->mx_sb_len)
		n = h->mx_sb_len;
	if (h->sbp)
		memcpy(h->sbp, s, n);
	h->sb_len_wr = (uint8_t)n;
	return 0;
}

static __attribute__((unused)) int fake_data_in(struct sg_io_hdr *h, const void *src, unsigned n)
{
	if (n > h->dxfer_len)
		n = h->dxfer_len;
	memcpy(h->dxferp, src, n);
	h->resid = (int)(h->dxfer_len - n);
	return 0;
}

static __attribute__((unused)) uint16_t fake_scsi_progress(struct fake_dev *d)
{
	return (uint16_t)((uint64_t)(d->scsi_steps - d->scsi_left) * 65536 / (d->scsi_steps ? d->scsi_steps : 1));
}

static __attribute__((unused)) int fake_sg_io(struct fake_dev *d, struct sg_io_hdr *h)
{
	struct fake_cmd *c = fake_log(d, SG_IO);
	const uint8_t *cdb = h->cmdp;

	if (h->interface_id != 'S' || !cdb || h->cmd_len > sizeof(c->cdb))
		return -EINVAL;
	memcpy(c->cdb, cdb, h->cmd_len);
	c->cdb_len = h->cmd_len;
	c->dxfer_direction = h->dxfer_direction;
	c->dxfer_len = h->dxfer_len;
	c->timeout = h->timeout;
	if (h->dxfer_direction == SG_DXFER_TO_DEV && h->dxferp) {
		c->data_out_len = h->dxfer_len < sizeof(c->data_out) ? h->dxfer_len : sizeof(c->data_out);
		memcpy(c->data_out, h->dxferp, c->data_out_len);
	}
	if (d->on_cmd)
		d->on_cmd(d, c);
	if ((cdb[0] == 0x85 || cdb[0] == 0xa1) && d->ata)
		return d->ata(d, h);
	if (!d->scsi)
		return -ENOTTY;
	h->status = 0;
	h->masked_status = 0;
	h->host_status = 0;
	h->driver_status = 0;
	h->sb_len_wr = 0;
	h->resid = 0;
	switch (cdb[0]) {
	case 0x12: /* INQUIRY */
		if (!(cdb[1] & 1))
			return fake_data_in(h, d->inquiry, sizeof(d->inquiry));
		if (cdb[2] == 0x00 && d->vpd00[3])
			return fake_data_in(h, d->vpd00, 4u + d->vpd00[3]);
		if (cdb[2] == 0x80 && d->vpd80[3])
			return fake_data_in(h, d->vpd80, 4u + d->vpd80[3]);
		if (cdb[2] == 0x83 && d->vpd83[3])
			return fake_data_in(h, d->vpd83, 4u + d->vpd83[3]);
		return fake_check(d, h, 0x05, 0x24, 0x00);
	case 0xa3: /* MAINTENANCE IN */
		if ((cdb[1] & 0x1f) != 0x0c || d->rsoc_illegal)
			return fake_check(d, h, 0x05, 0x20, 0x00);
		if ((cdb[2] & 7) == 2 && cdb[3] == 0x48) {
			uint8_t r[14] = {0};
			unsigned sa = (unsigned)cdb[4] << 8 | cdb[5];

			r[1] = sa < 32 ? d->sa_support[sa] & 7 : 1;
			r[3] = 10;
			r[4] = 0x48;
			r[5] = (uint8_t)sa;
			return fake_data_in(h, r, (r[1] & 7) == 3 ? 14 : 4);
		}
		return fake_check(d, h, 0x05, 0x24, 0x00);
	case 0x48: /* SANITIZE */
		if (d->sanitize_sense[0])
			return fake_check(d, h, d->sanitize_sense[0], d->sanitize_sense[1],
					  d->sanitize_sense[2]);
		if (d->scsi_running)
			return fake_check(d, h, 0x02, 0x04, 0x1b);
		d->scsi_running = true;
		d->scsi_failed = false;
		d->scsi_left = d->scsi_steps;
		if (!d->scsi_steps) {
			d->scsi_running = false;
			d->scsi_failed = d->scsi_fail_end;
		}
		return 0;
	case 0x03: { /* REQUEST SENSE: sense as data, status GOOD */
		uint8_t s[32];
		unsigned n;
		bool desc = d->desc_sense;

		d->desc_sense = desc || (cdb[1] & 1);
		if (d->scsi_ua) {	/* reported once, then cleared */
			d->scsi_ua = false;
			fake_sense(d, s, &n, 0x06, 0x29, 0x00, false, 0);
			d->desc_sense = desc;
			return fake_data_in(h, s, n);
		}
		if (d->scsi_running) {
			if (d->scsi_left)
				d->scsi_left--;
			if (!d->scsi_left) {
				d->scsi_running = false;
				d->scsi_failed = d->scsi_fail_end;
			}
		}
		if (d->scsi_running)
			fake_sense(d, s, &n, 0x02, 0x04, 0x1b, true, fake_scsi_progress(d));
		else
			fake_sense(d, s, &n, 0x00, 0x00, 0x00, false, 0);
		d->desc_sense = desc;
		return fake_data_in(h, s, n);
	}
	case 0x00: /* TEST UNIT READY */
		if (d->scsi_ua) {
			d->scsi_ua = false;
			return fake_check(d, h, 0x06, 0x29, 0x00);
		}
		if (d->scsi_running)
			return fake_check(d, h, 0x02, 0x04, 0x1b);
		if (d->scsi_failed)
			return fake_check(d, h, 0x03, 0x31, 0x03);
		return 0;
	}
	return fake_check(d, h, 0x05, 0x20, 0x00);	/* invalid command operation code */
}

/* ---- the dsp_io ---- */

static __attribute__((unused)) int fake_ioctl(void *ctx, unsigned long req, void *arg)
{
	struct fake_dev *d = ctx;

	switch (req) {
	case NVME_IOCTL_ADMIN_CMD:
		return fake_nvme_admin(d, arg);
	case NVME_IOCTL_ID:
		fake_log(d, req);
		return d->nvme && d->nsid ? (int)d->nsid : -ENOTTY;
	case SG_IO:
		return fake_sg_io(d, arg);
	case BLKSECDISCARD: {
		struct fake_cmd *c = fake_log(d, req);

		memcpy(c->range, arg, sizeof(c->range));
		if (d->secdiscard_errno)
			return -d->secdiscard_errno;
		d->discarded += c->range[1];
		return 0;
	}
	case BLKGETSIZE64:
		*(uint64_t *)arg = d->size;
		return 0;
	case BLKSSZGET:
		*(int *)arg = 512;
		return 0;
	}
	return -ENOTTY;
}

static __attribute__((unused)) ssize_t fake_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct fake_dev *d = ctx;

	memset(buf, d->read_byte, len);
	return (ssize_t)len;
}

static __attribute__((unused)) ssize_t fake_pwrite(void *ctx, const void *buf, size_t len, uint64_t off)
{
	return (ssize_t)len;
}

static __attribute__((unused)) int fake_flush(void *ctx)
{
	return 0;
}

static __attribute__((unused)) void fake_close(void *ctx)
{
	free(ctx);
}

static const struct dsp_io_ops fake_ops = {
	.pread = fake_pread,
	.pwrite = fake_pwrite,
	.flush = fake_flush,
	.close = fake_close,
	.ioctl = fake_ioctl,
};

/* A target for d; dsp_io_close frees d. */
static __attribute__((unused)) struct dsp_io *fake_dev_io(struct fake_dev *d)
{
	struct dsp_io *io = calloc(1, sizeof(*io));

	if (!io || !(io->path = strdup("/dev/fake")))
		abort();
	io->ops = &fake_ops;
	io->ctx = d;
	io->kind = DSP_IO_BLOCK;
	io->readmode = DSP_IO_READ_MEMORY;
	io->size = d->size;
	io->logical_sector = io->physical_sector = io->align = 512;
	io->fd = -1;
	return io;
}

/* sleep_ms for dsp_san_opts: counts, never sleeps */
static __attribute__((unused)) int fake_sleep(unsigned ms, void *arg)
{
	struct fake_dev *d = arg;

	d->sleeps++;
	return 0;
}

/* progress for dsp_san_opts (arg: the fake_dev): cancels at call cancel_after */
static __attribute__((unused)) int fake_progress(uint32_t done, void *arg)
{
	struct fake_dev *d = arg;

	d->progress_calls++;
	d->last_progress = done;
	return d->cancel_after && (int)d->progress_calls >= d->cancel_after;
}

#endif
