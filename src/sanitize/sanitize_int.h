/* SPDX-License-Identifier: MIT */
/* sanitize_int.h - helpers shared by the sanitize module's files (nvme.c, scsi.c, ata.c, common.c) */
#ifndef DISPOSE_SANITIZE_INT_H
#define DISPOSE_SANITIZE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>

#include "dispose/common.h"
#include "dispose/sanitize.h"

/* little / big endian fields of device pages */
static inline uint16_t san_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t san_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t san_le64(const uint8_t *p) { return san_le32(p) | (uint64_t)san_le32(p + 4) << 32; }
static inline uint16_t san_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t san_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void san_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void san_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Copy an ASCII field of n bytes, stopping at NUL, trimming spaces both ends; non-printable -> '?'. */
void san_copy_ascii(char *dst, size_t dstlen, const uint8_t *src, size_t n);
/* printf into res->reason (or caps->reason) */
void san_reason(char *reason, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * One wait between polls: checks o->stop and the progress callback
 * (done of 65536), sleeps o->poll_ms through o->sleep_ms, counts elapsed
 * time against o->timeout_s. 0 to go on; DSP_INTERRUPTED (stop or
 * cancel); -ETIMEDOUT.
 */
int san_poll_wait(const struct dsp_san_opts *o, uint32_t done, uint64_t *elapsed_ms);

/*
 * SG_IO with a CDB of cdb_len bytes. dir is SG_DXFER_NONE/_FROM_DEV/_TO_DEV.
 * Fills res's scsi_status, host/driver status, sense and its decoded key,
 * ASC, ASCQ. Returns 0 when the command completed GOOD; DSP_UNSUPPORTED
 * when the target has no SG_IO (-ENOTTY, -EINVAL); -EIO on CHECK CONDITION
 * or another status (res tells which); other -errno from the ioctl.
 */
int san_sg_io(struct dsp_io *io, const uint8_t *cdb, unsigned cdb_len, int dir,
	      void *buf, unsigned len, unsigned timeout_ms, struct dsp_san_result *res);

/*
 * Decode fixed (0x70/0x71) or descriptor (0x72/0x73) sense. *progress is
 * the sense-key-specific progress indication (of 65536) when *sksv.
 * False when the buffer holds no sense data.
 */
bool san_sense_decode(const uint8_t *s, size_t len, uint8_t *key, uint8_t *asc, uint8_t *ascq,
		      bool *sksv, uint16_t *progress);

/* ---- ATA (ata.c) ---- */
/* An ATA register set: in, or out (feature = ERROR, command = STATUS). */
struct ata_tf {
	uint16_t feature, count;
	uint64_t lba;		/* 48 bits */
	uint8_t device, command;
};
enum ata_proto { ATA_PROTO_NONDATA = 3, ATA_PROTO_PIO_IN = 4, ATA_PROTO_PIO_OUT = 5 };
/*
 * ATA PASS-THROUGH(16) (SAT-4 85h). Data commands move 512-byte blocks
 * with the length in COUNT; ck_cond asks for the output registers.
 */
void ata_cdb16(uint8_t cdb[16], const struct ata_tf *tf, enum ata_proto proto, bool ext, bool ck_cond);
/*
 * The output registers from descriptor sense (ATA Status Return
 * descriptor 09h) or fixed sense (ASC/ASCQ 00h/1Dh). *upper false when
 * fixed format lost nonzero COUNT 15:8 or LBA 47:24. False when s holds
 * no ATA return.
 */
bool ata_sense_regs(const uint8_t *s, size_t len, struct ata_tf *out, bool *upper);

#endif
