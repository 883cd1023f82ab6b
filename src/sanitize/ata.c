/* SPDX-License-Identifier: MIT */
/* ata.c - ATA IDENTIFY, SANITIZE, SECURITY ERASE, HPA/DCO, SMART over ATA PASS-THROUGH(16) and SG_IO */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "dispose/json.h"
#include "sanitize_int.h"

#define ATA_CMD_IDENTIFY	0xec
#define ATA_CMD_SANITIZE	0xb4
#define ATA_CMD_SEC_SET_PASS	0xf1
#define ATA_CMD_SEC_ERASE_PREP	0xf3
#define ATA_CMD_SEC_ERASE_UNIT	0xf4
#define ATA_CMD_SEC_DISABLE	0xf6
#define ATA_CMD_READ_NATIVE_EXT	0x27
#define ATA_CMD_READ_NATIVE	0xf8
#define ATA_CMD_SET_MAX_EXT	0x37
#define ATA_CMD_SET_MAX		0xf9
#define ATA_CMD_AMAC		0x78	/* feature 0000h: GET NATIVE MAX ADDRESS EXT, 0001h: SET ACCESSIBLE MAX ADDRESS EXT */
#define ATA_CMD_DCO		0xb1	/* feature C2h: DCO IDENTIFY, C0h: DEVICE CONFIGURATION RESTORE */
#define ATA_CMD_SMART		0xb0	/* feature D0h READ DATA, DAh RETURN STATUS */

#define SAN_STATUS_EXT		0x0000
#define SAN_CRYPTO_EXT		0x0011
#define SAN_BLOCK_EXT		0x0012
#define SAN_OVERWRITE_EXT	0x0014
#define SAN_KEY_CRYPTO		0x43727970u	/* "Cryp" */
#define SAN_KEY_BLOCK		0x426b4572u	/* "BkEr" */
#define SAN_KEY_OVERWRITE	0x4f57u		/* "OW", LBA 47:32 */

#define ATA_STAT_ERR	0x01
#define ATA_STAT_DF	0x20
#define ATA_ERR_ABRT	0x04
#define ATA_DEV_LBA	0x40
#define SMART_LBA	0xc24f00u	/* LBA mid 4Fh, high C2h */

#define TMO_CMD_MS	(60u * 1000)

void ata_cdb16(uint8_t cdb[16], const struct ata_tf *tf, enum ata_proto proto, bool ext, bool ck_cond)
{
	memset(cdb, 0, 16);
	cdb[0] = 0x85;
	cdb[1] = (uint8_t)(proto << 1 | (ext ? 1 : 0));
	if (ck_cond)
		cdb[2] |= 0x20;
	if (proto != ATA_PROTO_NONDATA)	/* BYTE_BLOCK 1, T_LENGTH 2: COUNT blocks of 512 */
		cdb[2] |= 0x04 | 0x02 | (proto == ATA_PROTO_PIO_IN ? 0x08 : 0);
	cdb[3] = (uint8_t)(tf->feature >> 8);
	cdb[4] = (uint8_t)tf->feature;
	cdb[5] = (uint8_t)(tf->count >> 8);
	cdb[6] = (uint8_t)tf->count;
	cdb[7] = (uint8_t)(tf->lba >> 24);
	cdb[8] = (uint8_t)tf->lba;
	cdb[9] = (uint8_t)(tf->lba >> 32);
	cdb[10] = (uint8_t)(tf->lba >> 8);
	cdb[11] = (uint8_t)(tf->lba >> 40);
	cdb[12] = (uint8_t)(tf->lba >> 16);
	cdb[13] = tf->device;
	cdb[14] = tf->command;
	if (!ext) {	/* 28-bit: the upper bytes must be zero */
		cdb[3] = cdb[5] = cdb[7] = cdb[9] = cdb[11] = 0;
	}
}

bool ata_sense_regs(const uint8_t *s, size_t len, struct ata_tf *out, bool *upper)
{
	uint8_t rc;

	memset(out, 0, sizeof(*out));
	*upper = true;
	if (len < 8)
		return false;
	rc = s[0] & 0x7f;
	if (rc == 0x72 || rc == 0x73) {
		size_t end = 8 + (size_t)s[7], i = 8;

		if (end > len)
			end = len;
		while (i + 2 <= end) {
			const uint8_t *d = s + i;

			if (d[0] == 0x09 && d[1] >= 0x0c && i + 14 <= end) {
				bool ext = d[2] & 1;

				out->feature = d[3];
				out->count = (uint16_t)(d[5] | (ext ? d[4] << 8 : 0));
				out->lba = (uint64_t)d[7] | (uint64_t)d[9] << 8 | (uint64_t)d[11] << 16;
				if (ext)
					out->lba |= (uint64_t)d[6] << 24 | (uint64_t)d[8] << 32 |
						    (uint64_t)d[10] << 40;
				out->device = d[12];
				out->command = d[13];
				return true;
			}
			i += 2 + (size_t)d[1];
		}
		return false;
	}
	if ((rc == 0x70 || rc == 0x71) && len >= 14 && s[12] == 0x00 && s[13] == 0x1d) {
		/* SAT-4 fixed format: INFORMATION = ERROR, STATUS, DEVICE, COUNT 7:0 */
		out->feature = s[3];
		out->command = s[4];
		out->device = s[5];
		out->count = s[6];
		out->lba = (uint64_t)s[9] | (uint64_t)s[10] << 8 | (uint64_t)s[11] << 16;
		*upper = !(s[8] & 0x60);	/* COUNT UPPER / LBA UPPER NONZERO: lost */
		return true;
	}
	return false;
}

/*
 * One ATA command. 0: completed without ERR/DF; -EREMOTEIO: the device
 * reported ERR or DF (out, res->ata_error say which); DSP_UNSUPPORTED:
 * no SG_IO, or the translator refused ATA PASS-THROUGH; -EIO otherwise.
 */
static int ata_exec(struct dsp_io *io, const struct ata_tf *tf, enum ata_proto proto, bool ext,
		    bool ck_cond, void *buf, unsigned len, unsigned timeout_ms,
		    struct ata_tf *out, bool *upper, struct dsp_san_result *res)
{
	uint8_t cdb[16];
	struct ata_tf o;
	bool up = true, have;
	int dir = proto == ATA_PROTO_NONDATA ? SG_DXFER_NONE :
		  proto == ATA_PROTO_PIO_IN ? SG_DXFER_FROM_DEV : SG_DXFER_TO_DEV;
	int r;

	ata_cdb16(cdb, tf, proto, ext, ck_cond);
	res->bus = DSP_SAN_BUS_ATA;
	r = san_sg_io(io, cdb, sizeof(cdb), dir, buf, len, timeout_ms, res);
	if (r == DSP_UNSUPPORTED) {
		san_reason(res->reason, sizeof(res->reason),
			   "no SCSI generic access (SG_IO): not an ATA or SCSI disk");
		return r;
	}
	if (r < 0 && r != -EIO)
		return r;
	have = res->sense_len && ata_sense_regs(res->sense, res->sense_len, &o, &up);
	if (!have) {
		if (r == 0 && ck_cond) {	/* asked for the registers, got none */
			san_reason(res->reason, sizeof(res->reason),
				   "ATA command %02xh: the translator returned no ATA registers", tf->command);
			return -EPROTO;
		} else if (r == 0) {	/* GOOD without registers: a data command that worked */
			memset(&o, 0, sizeof(o));
			o.command = 0x50;
		} else if (res->scsi_status == 0x02 && res->sense_key == 0x05) {
			san_reason(res->reason, sizeof(res->reason),
				   "no ATA pass-through: the device or its bridge refused ATA PASS-THROUGH(16) (sense %02x/%02x/%02x)",
				   res->sense_key, res->asc, res->ascq);
			return DSP_UNSUPPORTED;
		} else {
			san_reason(res->reason, sizeof(res->reason),
				   "ATA command %02xh: SCSI status %02xh, host %04xh, driver %04xh, sense %02x/%02x/%02x",
				   tf->command, res->scsi_status, res->host_status, res->driver_status,
				   res->sense_key, res->asc, res->ascq);
			return -EIO;
		}
	}
	if (res->host_status || (res->driver_status & ~0x08)) {
		san_reason(res->reason, sizeof(res->reason), "ATA command %02xh: transport error (host %04xh, driver %04xh)",
			   tf->command, res->host_status, res->driver_status);
		return -EIO;
	}
	res->ata_status = o.command;
	res->ata_error = (uint8_t)o.feature;
	res->ata_count = o.count;
	res->ata_lba = o.lba;
	if (out)
		*out = o;
	if (upper)
		*upper = up;
	if (o.command & (ATA_STAT_ERR | ATA_STAT_DF)) {	/* callers say more where they can */
		san_reason(res->reason, sizeof(res->reason), "ATA command %02xh failed: status %02xh, error %02xh%s",
			   tf->command, o.command, (unsigned)o.feature, (o.command & ATA_STAT_DF) ? " (device fault)" : "");
		return -EREMOTEIO;
	}
	return 0;
}

/* ---- IDENTIFY ---- */

static uint16_t w(const uint8_t *p, unsigned word)
{
	return san_le16(p + 2 * word);
}

/* ATA strings: two characters a word, the first in the high byte. */
static void ata_string(char *dst, size_t dstlen, const uint8_t *p, unsigned first, unsigned words)
{
	uint8_t tmp[40];
	unsigned i;

	for (i = 0; i < words && 2 * i + 1 < sizeof(tmp); i++) {
		tmp[2 * i] = p[2 * (first + i) + 1];
		tmp[2 * i + 1] = p[2 * (first + i)];
	}
	san_copy_ascii(dst, dstlen, tmp, 2 * i);
}

/* Words 89/90: bit 15 set: 14:0 are the time / 2 min (7FFFh: more); else 7:0 (FFh: more). */
static void erase_time(uint16_t v, unsigned *min, bool *more)
{
	unsigned t = (v & 0x8000) ? (v & 0x7fffu) : (v & 0xffu);

	*more = (v & 0x8000) ? t == 0x7fff : t == 0xff;
	*min = 2 * t;
}

/* Words 82-87 are valid when bit 14 is one and bit 15 zero. */
static bool valid_word(uint16_t v)
{
	return (v & 0xc000) == 0x4000;
}

int dsp_ata_parse_identify(const uint8_t p[DSP_ATA_PAGE], struct dsp_ata_identity *id,
			   char *reason, size_t reason_len)
{
	uint16_t w82, w83, w84, w85, w119, w128;
	uint8_t sig = p[510];

	memset(id, 0, sizeof(*id));
	memcpy(id->raw, p, DSP_ATA_PAGE);
	if (sig == 0xa5) {
		uint8_t sum = 0;

		for (unsigned i = 0; i < DSP_ATA_PAGE; i++)
			sum = (uint8_t)(sum + p[i]);
		if (sum) {
			san_reason(reason, reason_len, "IDENTIFY DEVICE data fails its checksum (word 255)");
			return DSP_INVALID;
		}
		id->integrity = true;
	} else if (sig) {
		san_reason(reason, reason_len, "IDENTIFY DEVICE word 255 has signature %02xh, not A5h", sig);
		return DSP_INVALID;
	}
	if (w(p, 0) & 0x8000) {
		san_reason(reason, reason_len, "IDENTIFY DEVICE word 0: not an ATA device");
		return DSP_INVALID;
	}
	ata_string(id->serial, sizeof(id->serial), p, 10, 10);
	ata_string(id->firmware, sizeof(id->firmware), p, 23, 4);
	ata_string(id->model, sizeof(id->model), p, 27, 20);

	w82 = w(p, 82), w83 = w(p, 83), w84 = w(p, 84), w85 = w(p, 85);
	w119 = w(p, 119), w128 = w(p, 128);
	if (!valid_word(w83))
		w82 = w83 = 0;
	if (!valid_word(w84))
		w84 = 0;
	if (!valid_word(w(p, 87)))
		w85 = 0;
	if (!valid_word(w119))
		w119 = 0;

	id->sectors28 = (uint32_t)w(p, 60) | (uint32_t)w(p, 61) << 16;
	id->lba48 = w83 & (1u << 10);
	id->sectors = id->sectors28;
	if (id->lba48) {
		uint64_t s48 = (uint64_t)w(p, 100) | (uint64_t)w(p, 101) << 16 |
			       (uint64_t)w(p, 102) << 32 | (uint64_t)w(p, 103) << 48;
		if (s48)
			id->sectors = s48;
	}
	if ((w84 & (1u << 8)) && (w(p, 108) >> 12) == 5)
		id->wwn = (uint64_t)w(p, 108) << 48 | (uint64_t)w(p, 109) << 32 |
			  (uint64_t)w(p, 110) << 16 | (uint64_t)w(p, 111);

	id->sanitize = w(p, 59) & (1u << 12);
	if (id->sanitize) {
		id->san_crypto = w(p, 59) & (1u << 13);
		id->san_overwrite = w(p, 59) & (1u << 14);
		id->san_block = w(p, 59) & (1u << 15);
		id->san_antifreeze = w(p, 59) & (1u << 10);
	}
	id->security = (w128 & 1) && (w82 & (1u << 1));
	if (id->security) {
		id->sec_enabled = w128 & (1u << 1);
		id->sec_locked = w128 & (1u << 2);
		id->sec_frozen = w128 & (1u << 3);
		id->sec_count_expired = w128 & (1u << 4);
		id->sec_enhanced = w128 & (1u << 5);
		erase_time(w(p, 89), &id->erase_min, &id->erase_min_more);
		if (id->sec_enhanced)
			erase_time(w(p, 90), &id->enhanced_erase_min, &id->enhanced_erase_min_more);
	}
	id->hpa = w82 & (1u << 10);
	id->dco = w83 & (1u << 11);
	id->amac = w119 & (1u << 8);
	id->smart = w82 & 1;
	id->smart_enabled = id->smart && (w85 & 1);
	id->rotation = w(p, 217);
	return 0;
}

void dsp_ata_caps(const struct dsp_ata_identity *id, struct dsp_san_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->bus = DSP_SAN_BUS_ATA;
	snprintf(caps->model, sizeof(caps->model), "%s", id->model);
	snprintf(caps->serial, sizeof(caps->serial), "%s", id->serial);
	snprintf(caps->firmware, sizeof(caps->firmware), "%s", id->firmware);
	if (id->wwn)
		snprintf(caps->wwn, sizeof(caps->wwn), "naa.%016" PRIx64, id->wwn);
	if (id->san_crypto)
		caps->actions |= DSP_SAN_CAP(DSP_SAN_CRYPTO);
	if (id->san_block)
		caps->actions |= DSP_SAN_CAP(DSP_SAN_BLOCK);
	if (id->san_overwrite)
		caps->actions |= DSP_SAN_CAP(DSP_SAN_OVERWRITE);
	if (id->security) {
		caps->actions |= DSP_SAN_CAP(DSP_SAN_SECURITY_ERASE);
		if (id->sec_enhanced)
			caps->actions |= DSP_SAN_CAP(DSP_SAN_SECURITY_ERASE_ENH);
	}
	/* The read-back after BLOCK ERASE / CRYPTO SCRAMBLE sees whatever the drive maps. */
	caps->media_verification = false;
	caps->frozen = id->security && id->sec_frozen;
	caps->locked = id->security && id->sec_locked;
	if (caps->locked)
		san_reason(caps->reason, sizeof(caps->reason),
			   "security locked: the drive holds a password set before; dispose refuses it (unlock it with its owner's password first)");
	else if (caps->frozen)
		san_reason(caps->reason, sizeof(caps->reason),
			   "security frozen (the firmware froze it at boot): suspend and resume the machine (rtcwake -m mem -s 10) or unplug and replug the drive, then run again");
}

int dsp_ata_identify(struct dsp_io *io, struct dsp_ata_identity *id, struct dsp_san_caps *caps,
		     struct dsp_san_result *res)
{
	struct ata_tf tf = { .count = 1, .command = ATA_CMD_IDENTIFY };
	uint8_t page[DSP_ATA_PAGE];
	int r;

	memset(page, 0, sizeof(page));
	r = ata_exec(io, &tf, ATA_PROTO_PIO_IN, false, false, page, sizeof(page), TMO_CMD_MS,
		     NULL, NULL, res);
	if (r == -EREMOTEIO) {
		san_reason(res->reason, sizeof(res->reason),
			   "IDENTIFY DEVICE aborted (status %02xh, error %02xh): not an ATA disk",
			   res->ata_status, res->ata_error);
		return DSP_UNSUPPORTED;
	}
	if (r)
		return r;
	r = dsp_ata_parse_identify(page, id, res->reason, sizeof(res->reason));
	if (r)
		return r;
	if (caps)
		dsp_ata_caps(id, caps);
	return 0;
}

static int jadd(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v && k)
		return -ENOMEM;
	return json_object_object_add(o, k, v) ? -ENOMEM : 0;
}

struct json_object *dsp_ata_identity_json(const struct dsp_ata_identity *id)
{
	struct json_object *o = json_object_new_object();
	char wwn[32];
	int r = 0;

	if (!o)
		return NULL;
	snprintf(wwn, sizeof(wwn), "naa.%016" PRIx64, id->wwn);
	r |= dsp_json_add_bytes(o, "model", id->model);
	r |= dsp_json_add_bytes(o, "serial", id->serial);
	r |= dsp_json_add_bytes(o, "firmware", id->firmware);
	r |= json_object_object_add(o, "wwn", id->wwn ? json_object_new_string(wwn) : NULL);
	r |= jadd(o, "sectors", json_object_new_int64((int64_t)id->sectors));
	r |= jadd(o, "rotation_rate", json_object_new_int(id->rotation));
	r |= jadd(o, "sanitize", json_object_new_boolean(id->sanitize));
	r |= jadd(o, "sanitize_crypto", json_object_new_boolean(id->san_crypto));
	r |= jadd(o, "sanitize_block", json_object_new_boolean(id->san_block));
	r |= jadd(o, "sanitize_overwrite", json_object_new_boolean(id->san_overwrite));
	r |= jadd(o, "security", json_object_new_boolean(id->security));
	r |= jadd(o, "security_enabled", json_object_new_boolean(id->sec_enabled));
	r |= jadd(o, "security_locked", json_object_new_boolean(id->sec_locked));
	r |= jadd(o, "security_frozen", json_object_new_boolean(id->sec_frozen));
	r |= jadd(o, "security_count_expired", json_object_new_boolean(id->sec_count_expired));
	r |= jadd(o, "security_enhanced", json_object_new_boolean(id->sec_enhanced));
	r |= jadd(o, "erase_minutes", json_object_new_int((int)id->erase_min));
	r |= jadd(o, "enhanced_erase_minutes", json_object_new_int((int)id->enhanced_erase_min));
	r |= jadd(o, "hpa", json_object_new_boolean(id->hpa));
	r |= jadd(o, "dco", json_object_new_boolean(id->dco));
	r |= jadd(o, "smart", json_object_new_boolean(id->smart_enabled));
	r |= jadd(o, "integrity_word", json_object_new_boolean(id->integrity));
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- SANITIZE ---- */

static const char *san_reason_text(uint8_t r)
{
	switch (r) {
	case 1: return "sanitize command unsuccessful";
	case 2: return "invalid or unsupported sanitize feature";
	case 3: return "device is in the sanitize frozen state";
	case 4: return "SANITIZE FREEZE LOCK EXT refused (antifreeze lock)";
	}
	return "reason not given";
}

int dsp_ata_sanitize_status(struct dsp_io *io, bool clear_failed, struct dsp_ata_san_status *st,
			    struct dsp_san_result *res)
{
	struct ata_tf tf = { .feature = SAN_STATUS_EXT, .count = clear_failed ? 1 : 0,
			     .device = ATA_DEV_LBA, .command = ATA_CMD_SANITIZE };
	struct ata_tf o;
	bool upper = true;
	int r;

	memset(st, 0, sizeof(*st));
	r = ata_exec(io, &tf, ATA_PROTO_NONDATA, true, true, NULL, 0, TMO_CMD_MS, &o, &upper, res);
	if (r == -EREMOTEIO && (o.feature & ATA_ERR_ABRT)) {
		st->failed = true;
		st->reason = (uint8_t)o.lba;
		r = 0;
	}
	if (r)
		return r;
	if (!upper) {
		san_reason(res->reason, sizeof(res->reason),
			   "SANITIZE STATUS EXT: the kernel returned fixed-format sense, which loses the status bits (COUNT 15:8)");
		return -EPROTO;
	}
	if (st->failed)
		return 0;
	st->completed_ok = o.count & 0x8000;
	st->in_progress = o.count & 0x4000;
	st->frozen = o.count & 0x2000;
	st->antifreeze = o.count & 0x1000;
	st->progress = (uint16_t)o.lba;
	return 0;
}

int dsp_ata_sanitize(struct dsp_io *io, const struct dsp_ata_identity *id,
		     const struct dsp_san_opts *o, struct dsp_san_result *res)
{
	struct ata_tf tf = { .device = ATA_DEV_LBA, .command = ATA_CMD_SANITIZE };
	struct dsp_ata_san_status st;
	uint64_t elapsed = 0;
	bool have;
	int r;

	res->bus = DSP_SAN_BUS_ATA;
	res->action = o->action;
	switch (o->action) {
	case DSP_SAN_CRYPTO:
		have = id->san_crypto;
		tf.feature = SAN_CRYPTO_EXT;
		tf.lba = SAN_KEY_CRYPTO;
		break;
	case DSP_SAN_BLOCK:
		have = id->san_block;
		tf.feature = SAN_BLOCK_EXT;
		tf.lba = SAN_KEY_BLOCK;
		break;
	case DSP_SAN_OVERWRITE:
		have = id->san_overwrite;
		if (o->passes > 16) {
			san_reason(res->reason, sizeof(res->reason), "ATA OVERWRITE EXT takes 1 to 16 passes");
			return -EINVAL;
		}
		tf.feature = SAN_OVERWRITE_EXT;
		tf.lba = (uint64_t)SAN_KEY_OVERWRITE << 32 | o->pattern;
		tf.count = (uint16_t)((o->passes ? o->passes : 1) & 0x0f);	/* 16 is sent as 0 */
		if (o->invert)
			tf.count |= 0x80;
		break;
	case DSP_SAN_EXIT_FAILURE:
		r = dsp_ata_sanitize_status(io, true, &st, res);
		if (!r && st.failed) {
			san_reason(res->reason, sizeof(res->reason), "failure state not cleared: %s",
				   san_reason_text(st.reason));
			return -EIO;
		}
		return r;
	default:
		san_reason(res->reason, sizeof(res->reason), "not an ATA sanitize action");
		return -EINVAL;
	}
	if (!id->sanitize || !have) {
		san_reason(res->reason, sizeof(res->reason), "the drive does not support SANITIZE %s (IDENTIFY word 59)",
			   dsp_san_action_name(o->action));
		return DSP_UNSUPPORTED;
	}
	if (o->ause)
		tf.count |= 0x10;	/* FAILURE MODE: SANITIZE STATUS EXT may clear a failure */

	r = dsp_ata_sanitize_status(io, false, &st, res);
	if (r)
		return r;
	if (st.frozen) {
		san_reason(res->reason, sizeof(res->reason),
			   "sanitize frozen (SANITIZE FREEZE LOCK since power-on): power-cycle the drive (hot-plug it or power the machine off and on), then run again");
		return DSP_UNSUPPORTED;
	}
	if (st.in_progress) {
		res->resumed = true;
	} else {
		r = ata_exec(io, &tf, ATA_PROTO_NONDATA, true, true, NULL, 0, TMO_CMD_MS, NULL, NULL, res);
		if (r == -EREMOTEIO) {
			uint8_t why = (uint8_t)res->ata_lba;

			san_reason(res->reason, sizeof(res->reason), "SANITIZE %s refused (status %02xh, error %02xh): %s",
				   dsp_san_action_name(o->action), res->ata_status, res->ata_error,
				   san_reason_text(why));
			return why == 2 || why == 3 ? DSP_UNSUPPORTED : -EIO;
		}
		if (r)
			return r;
	}
	for (;;) {
		r = dsp_ata_sanitize_status(io, false, &st, res);
		res->polls++;
		if (r)
			return r;
		if (st.failed) {
			san_reason(res->reason, sizeof(res->reason), "sanitize failed: %s (error %02xh)",
				   san_reason_text(st.reason), res->ata_error);
			return -EIO;
		}
		if (!st.in_progress)
			break;
		res->progress = st.progress;
		r = san_poll_wait(o, st.progress, &elapsed);
		if (r)
			return r;
	}
	if (!st.completed_ok) {
		san_reason(res->reason, sizeof(res->reason),
			   "sanitize ended without 'completed without error' (SANITIZE STATUS COUNT %04xh)",
			   res->ata_count);
		return -EIO;
	}
	res->progress = 65536;
	/* after BLOCK ERASE or CRYPTO SCRAMBLE a read shows what the drive maps, not the media */
	res->dealloc = o->action != DSP_SAN_OVERWRITE;
	res->reason[0] = '\0';
	return 0;
}

/* ---- SECURITY ERASE ---- */

int dsp_ata_temp_password(char *buf, size_t len)
{
	uint8_t rnd[8];

	if (len < 25)
		return -ENOSPC;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -errno ? -errno : -EIO;
	snprintf(buf, len, "dispose-%02x%02x%02x%02x%02x%02x%02x%02x",
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	return 0;
}

int dsp_ata_unlock_recipe(const char *dev, const char *password, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "hdparm --user-master u --security-unlock %s %s && hdparm --user-master u --security-disable %s %s",
			 password, dev, password, dev);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* The 512-byte block of SET PASSWORD / ERASE UNIT / DISABLE: word 0 control, words 1-16 password. */
static void sec_block(uint8_t blk[DSP_ATA_PAGE], uint16_t control, const char *password)
{
	size_t n = strlen(password);

	memset(blk, 0, DSP_ATA_PAGE);
	blk[0] = (uint8_t)control;
	blk[1] = (uint8_t)(control >> 8);
	memcpy(blk + 2, password, n > 32 ? 32 : n);
}

static int sec_cmd(struct dsp_io *io, uint8_t cmd, uint16_t control, const char *password,
		   unsigned timeout_ms, struct dsp_san_result *res)
{
	struct ata_tf tf = { .count = 1, .command = cmd };
	uint8_t blk[DSP_ATA_PAGE];
	int r;

	sec_block(blk, control, password);
	r = ata_exec(io, &tf, ATA_PROTO_PIO_OUT, false, false, blk, sizeof(blk), timeout_ms,
		     NULL, NULL, res);
	explicit_bzero(blk, sizeof(blk));
	return r;
}

static int sec_erase(struct dsp_io *io, const struct dsp_ata_identity *id, const char *password,
		     bool enhanced, unsigned timeout_s, bool resume, struct dsp_san_result *res)
{
	struct ata_tf prep = { .command = ATA_CMD_SEC_ERASE_PREP };
	struct dsp_ata_identity after;
	unsigned min, tmo_ms;
	bool more;
	int r, d;

	res->bus = DSP_SAN_BUS_ATA;
	enhanced = enhanced && id->sec_enhanced;
	res->action = enhanced ? DSP_SAN_SECURITY_ERASE_ENH : DSP_SAN_SECURITY_ERASE;
	if (!password || !*password || strlen(password) > 32)
		return -EINVAL;
	if (!id->security) {
		san_reason(res->reason, sizeof(res->reason), "the drive has no ATA Security feature set (IDENTIFY word 128)");
		return DSP_UNSUPPORTED;
	}
	if (resume && !id->sec_enabled) {
		san_reason(res->reason, sizeof(res->reason),
			   "no security password is set on the drive: no interrupted erase to resume");
		return DSP_REFUSED;
	}
	if (!resume && id->sec_locked) {
		san_reason(res->reason, sizeof(res->reason),
			   "security locked: the drive holds a password set before; dispose refuses it (unlock it with its owner's password first)");
		return DSP_REFUSED;
	}
	if (!resume && id->sec_enabled) {
		san_reason(res->reason, sizeof(res->reason),
			   "a security password is already set on the drive; dispose erases only with a password it sets itself (disable it with hdparm --security-disable first)");
		return DSP_REFUSED;
	}
	if (id->sec_frozen) {
		san_reason(res->reason, sizeof(res->reason),
			   "security frozen (the firmware froze it at boot): suspend and resume the machine (rtcwake -m mem -s 10) or unplug and replug the drive, then run again");
		return DSP_UNSUPPORTED;
	}
	if (id->sec_count_expired) {
		san_reason(res->reason, sizeof(res->reason),
			   "security password attempt counter expired: power-cycle the drive, then run again");
		return DSP_UNSUPPORTED;
	}
	min = enhanced ? id->enhanced_erase_min : id->erase_min;
	more = enhanced ? id->enhanced_erase_min_more : id->erase_min_more;
	if (timeout_s)
		tmo_ms = timeout_s > 4000000 ? 4000000000u : timeout_s * 1000;
	else if (!min || more)
		tmo_ms = 24u * 3600 * 1000;	/* unknown: a day */
	else
		tmo_ms = (2 * min + 30) * 60u * 1000;

	r = resume ? 0 : sec_cmd(io, ATA_CMD_SEC_SET_PASS, 0x0000, password, TMO_CMD_MS, res);
	if (r == -EREMOTEIO) {
		san_reason(res->reason, sizeof(res->reason), "SECURITY SET PASSWORD refused (status %02xh, error %02xh)",
			   res->ata_status, res->ata_error);
		return -EIO;
	}
	if (r)
		return r;
	r = ata_exec(io, &prep, ATA_PROTO_NONDATA, false, false, NULL, 0, TMO_CMD_MS, NULL, NULL, res);
	if (!r)
		r = sec_cmd(io, ATA_CMD_SEC_ERASE_UNIT, enhanced ? 0x0002 : 0x0000, password, tmo_ms, res);
	if (!r) {
		struct dsp_san_result ir;

		memset(&ir, 0, sizeof(ir));
		r = dsp_ata_identify(io, &after, NULL, &ir);
		if (r) {
			san_reason(res->reason, sizeof(res->reason),
				   "SECURITY ERASE UNIT completed but IDENTIFY after it failed: %s", ir.reason);
			return r < 0 ? r : -EIO;
		}
		if (after.sec_enabled) {
			san_reason(res->reason, sizeof(res->reason),
				   "SECURITY ERASE UNIT completed but the password is still set (security enabled)");
			return -EIO;
		}
		res->reason[0] = '\0';
		return 0;
	}
	{
		uint8_t st = res->ata_status, er = res->ata_error;
		struct dsp_san_result dr;

		memset(&dr, 0, sizeof(dr));
		d = sec_cmd(io, ATA_CMD_SEC_DISABLE, 0x0000, password, TMO_CMD_MS, &dr);
		san_reason(res->reason, sizeof(res->reason), "SECURITY ERASE failed (status %02xh, error %02xh); %s",
			   st, er, d ? "the temporary password is STILL SET: unlock the drive with the recorded recipe"
				     : "the temporary password was removed");
		res->ata_status = st;
		res->ata_error = er;
	}
	return r == -EREMOTEIO ? -EIO : r;
}

int dsp_ata_security_erase(struct dsp_io *io, const struct dsp_ata_identity *id,
			   const char *password, bool enhanced, unsigned timeout_s,
			   struct dsp_san_result *res)
{
	return sec_erase(io, id, password, enhanced, timeout_s, false, res);
}

int dsp_ata_security_erase_resume(struct dsp_io *io, const struct dsp_ata_identity *id,
				  const char *password, bool enhanced, unsigned timeout_s,
				  struct dsp_san_result *res)
{
	return sec_erase(io, id, password, enhanced, timeout_s, true, res);
}

/* ---- HPA / DCO ---- */

/* Append to h->reason: both the native max and the DCO may be unknown. */
static void __attribute__((format(printf, 2, 3))) hidden_why(struct dsp_ata_hidden *h, const char *fmt, ...)
{
	size_t n = strlen(h->reason);
	va_list ap;

	if (n && n + 2 < sizeof(h->reason)) {
		memcpy(h->reason + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(h->reason + n, sizeof(h->reason) - n, fmt, ap);
	va_end(ap);
}

int dsp_ata_hidden(struct dsp_io *io, const struct dsp_ata_identity *id, struct dsp_ata_hidden *h,
		   struct dsp_san_result *res)
{
	struct ata_tf tf = { .device = ATA_DEV_LBA }, o;
	bool ext = id->lba48, upper = true;
	int r;

	memset(h, 0, sizeof(*h));
	h->accessible = id->sectors;
	if (id->hpa) {
		tf.command = ext ? ATA_CMD_READ_NATIVE_EXT : ATA_CMD_READ_NATIVE;
	} else if (id->amac) {
		tf.command = ATA_CMD_AMAC;	/* feature 0: GET NATIVE MAX ADDRESS EXT */
		ext = true;
	} else {
		hidden_why(h, "no HPA or Accessible Max Address feature: no hidden area possible");
		h->native = h->accessible;
	}
	if (tf.command) {
		r = ata_exec(io, &tf, ATA_PROTO_NONDATA, ext, true, NULL, 0, TMO_CMD_MS, &o, &upper, res);
		if (r == -EREMOTEIO || r == -EPROTO) {
			hidden_why(h, "native max address: command %02xh %s (error %02xh)", tf.command,
				   r == -EPROTO ? "returned no registers" : "aborted", res->ata_error);
		} else if (r) {
			return r;
		} else if (!upper) {
			hidden_why(h,
				   "native max address: fixed-format sense lost LBA 47:24");
		} else {
			uint64_t lba = o.lba;

			if (!ext)	/* 28-bit: LBA 27:24 in DEVICE 3:0 */
				lba = (lba & 0xffffff) | (uint64_t)(o.device & 0x0f) << 24;
			h->native = lba + 1;
		}
	}
	if (id->dco) {
		struct ata_tf dco = { .feature = 0xc2, .count = 1, .command = ATA_CMD_DCO };
		uint8_t page[DSP_ATA_PAGE], sum = 0;

		memset(page, 0, sizeof(page));
		r = ata_exec(io, &dco, ATA_PROTO_PIO_IN, false, false, page, sizeof(page), TMO_CMD_MS,
			     NULL, NULL, res);
		if (r == -EREMOTEIO) {
			hidden_why(h,
				   "DCO IDENTIFY aborted (error %02xh): DCO frozen or not available", res->ata_error);
		} else if (r) {
			return r;
		} else {
			for (unsigned i = 0; i < sizeof(page); i++)
				sum = (uint8_t)(sum + page[i]);
			if (page[510] == 0xa5 && sum) {
				hidden_why(h, "DCO IDENTIFY data fails its checksum");
			} else {
				h->dco_max = ((uint64_t)w(page, 3) | (uint64_t)w(page, 4) << 16 |
					      (uint64_t)w(page, 5) << 32 | (uint64_t)w(page, 6) << 48) + 1;
			}
		}
	}
	h->hpa = h->native > h->accessible;
	h->dco = h->dco_max && h->native && h->dco_max > h->native;
	return 0;
}

static struct json_object *num_or_null(uint64_t v)
{
	return v ? json_object_new_int64((int64_t)v) : NULL;
}

struct json_object *dsp_ata_hidden_json(const struct dsp_ata_hidden *h)
{
	struct json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= jadd(o, "accessible_sectors", json_object_new_int64((int64_t)h->accessible));
	r |= json_object_object_add(o, "native_sectors", num_or_null(h->native));
	r |= json_object_object_add(o, "dco_sectors", num_or_null(h->dco_max));
	r |= jadd(o, "hpa", json_object_new_boolean(h->hpa));
	r |= jadd(o, "dco", json_object_new_boolean(h->dco));
	r |= json_object_object_add(o, "reason", h->reason[0] ? json_object_new_string(h->reason) : NULL);
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * The native max LBA, read at once before SET MAX (the drive takes SET MAX
 * ADDRESS (EXT) only right after READ NATIVE MAX ADDRESS (EXT)). 0, or
 * DSP_UNSUPPORTED (aborted, or the registers lost: reason), or -errno.
 */
static int native_max_lba(struct dsp_io *io, const struct dsp_ata_identity *id, uint64_t *lba,
			  struct dsp_san_result *res)
{
	struct ata_tf tf = { .device = ATA_DEV_LBA }, o;
	bool ext = id->lba48, upper = true;
	int r;

	if (id->hpa) {
		tf.command = ext ? ATA_CMD_READ_NATIVE_EXT : ATA_CMD_READ_NATIVE;
	} else {
		tf.command = ATA_CMD_AMAC;	/* feature 0: GET NATIVE MAX ADDRESS EXT */
		ext = true;
	}
	r = ata_exec(io, &tf, ATA_PROTO_NONDATA, ext, true, NULL, 0, TMO_CMD_MS, &o, &upper, res);
	if (r == -EREMOTEIO || r == -EPROTO) {
		san_reason(res->reason, sizeof(res->reason), "native max address: command %02xh %s",
			   tf.command, r == -EPROTO ? "returned no registers" : "aborted");
		return DSP_UNSUPPORTED;
	}
	if (r)
		return r;
	if (!upper) {
		san_reason(res->reason, sizeof(res->reason),
			   "native max address: fixed-format sense lost LBA 47:24");
		return DSP_UNSUPPORTED;
	}
	*lba = ext ? o.lba : (o.lba & 0xffffff) | (uint64_t)(o.device & 0x0f) << 24;
	return 0;
}

int dsp_ata_restore_max(struct dsp_io *io, const struct dsp_ata_identity *id,
			const struct dsp_ata_hidden *h, struct dsp_san_result *res)
{
	struct ata_tf tf = { .device = ATA_DEV_LBA };
	bool ext;
	uint64_t lba;
	int r;

	res->bus = DSP_SAN_BUS_ATA;
	if (!id->hpa && !id->amac) {
		san_reason(res->reason, sizeof(res->reason),
			   "no HPA or Accessible Max Address feature (IDENTIFY words 82, 119): nothing to restore");
		return DSP_UNSUPPORTED;
	}
	if (!h->native) {
		san_reason(res->reason, sizeof(res->reason), "native max address not known%s%s",
			   h->reason[0] ? ": " : "", h->reason);
		return DSP_UNSUPPORTED;
	}
	if (h->native <= id->sectors)
		return 0;	/* nothing hidden by an HPA: nothing sent */
	if (id->security && id->sec_locked) {
		san_reason(res->reason, sizeof(res->reason),
			   "security locked: the drive aborts SET MAX while locked (unlock it with its owner's password first)");
		return DSP_REFUSED;
	}
	if (!id->lba48 && id->hpa && h->native > (1ull << 28)) {
		san_reason(res->reason, sizeof(res->reason), "native max beyond 28-bit addressing");
		return DSP_UNSUPPORTED;
	}
	r = native_max_lba(io, id, &lba, res);
	if (r)
		return r;
	if (lba + 1 != h->native) {
		san_reason(res->reason, sizeof(res->reason),
			   "native max address changed since it was read (%" PRIu64 " sectors, now %" PRIu64 "): nothing set",
			   h->native, lba + 1);
		return -ESTALE;
	}
	if (id->hpa) {
		/* SET MAX ADDRESS (EXT), COUNT bit 0 (VV) clear: volatile, the HPA is back at power-on */
		ext = id->lba48;
		tf.command = ext ? ATA_CMD_SET_MAX_EXT : ATA_CMD_SET_MAX;
		tf.lba = ext ? lba : lba & 0xffffff;
		if (!ext)
			tf.device |= (uint8_t)(lba >> 24 & 0x0f);
	} else {
		/* SET ACCESSIBLE MAX ADDRESS EXT: ACS-3 keeps it across power cycles */
		ext = true;
		tf.command = ATA_CMD_AMAC;
		tf.feature = 0x0001;
		tf.lba = lba;
	}
	r = ata_exec(io, &tf, ATA_PROTO_NONDATA, ext, false, NULL, 0, TMO_CMD_MS, NULL, NULL, res);
	if (r == -EREMOTEIO) {
		san_reason(res->reason, sizeof(res->reason),
			   "%s aborted (error %02xh): the max address is locked or frozen (SET MAX LOCK / FREEZE LOCK, FREEZE ACCESSIBLE MAX ADDRESS) until a power cycle",
			   id->hpa ? "SET MAX ADDRESS" : "SET ACCESSIBLE MAX ADDRESS EXT", res->ata_error);
		return DSP_UNSUPPORTED;
	}
	return r;
}

int dsp_ata_dco_restore(struct dsp_io *io, const struct dsp_ata_identity *id,
			const struct dsp_ata_hidden *h, struct dsp_san_result *res)
{
	struct ata_tf tf = { .feature = 0xc0, .command = ATA_CMD_DCO };
	int r;

	res->bus = DSP_SAN_BUS_ATA;
	if (!id->dco) {
		san_reason(res->reason, sizeof(res->reason),
			   "no Device Configuration Overlay feature (IDENTIFY word 83 bit 11)");
		return DSP_UNSUPPORTED;
	}
	if (h->hpa) {
		san_reason(res->reason, sizeof(res->reason),
			   "a host protected area is set: the drive aborts DEVICE CONFIGURATION RESTORE (restore the max address first)");
		return DSP_REFUSED;
	}
	if (id->security && id->sec_locked) {
		san_reason(res->reason, sizeof(res->reason),
			   "security locked: the drive aborts DEVICE CONFIGURATION RESTORE while locked");
		return DSP_REFUSED;
	}
	r = ata_exec(io, &tf, ATA_PROTO_NONDATA, false, false, NULL, 0, TMO_CMD_MS, NULL, NULL, res);
	if (r == -EREMOTEIO) {
		san_reason(res->reason, sizeof(res->reason),
			   "DEVICE CONFIGURATION RESTORE aborted (error %02xh): the DCO is frozen (DEVICE CONFIGURATION FREEZE LOCK) until a power cycle",
			   res->ata_error);
		return DSP_UNSUPPORTED;
	}
	return r;
}

/* ---- SMART ---- */

int dsp_ata_parse_smart(const uint8_t p[DSP_ATA_PAGE], const char *status, struct json_object **out)
{
	struct json_object *o, *a;
	int64_t realloc = -1, pending = -1, hours = -1;
	uint8_t sum = 0;
	int r = 0;

	*out = NULL;
	for (unsigned i = 0; i < DSP_ATA_PAGE; i++)
		sum = (uint8_t)(sum + p[i]);
	if (sum)
		return DSP_INVALID;
	o = json_object_new_object();
	a = json_object_new_array();
	if (!o || !a) {
		json_object_put(o);
		json_object_put(a);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < 30; i++) {
		const uint8_t *e = p + 2 + 12 * i;
		uint64_t raw = 0;
		struct json_object *x;

		if (!e[0])
			continue;
		for (int b = 5; b >= 0; b--)
			raw = raw << 8 | e[5 + b];
		if (e[0] == 5)
			realloc = (int64_t)(raw & 0xffffffff);
		else if (e[0] == 197)
			pending = (int64_t)(raw & 0xffffffff);
		else if (e[0] == 9)
			hours = (int64_t)(raw & 0xffffffff);
		x = json_object_new_object();
		if (!x || jadd(x, "id", json_object_new_int(e[0])) ||
		    jadd(x, "value", json_object_new_int(e[3])) ||
		    jadd(x, "worst", json_object_new_int(e[4])) ||
		    jadd(x, "raw", json_object_new_int64((int64_t)raw)) ||
		    json_object_array_add(a, x)) {
			json_object_put(x);
			r = -ENOMEM;
			break;
		}
	}
	if (!r) {
		r |= jadd(o, "status", json_object_new_string(status ? status : "unknown"));
		r |= json_object_object_add(o, "reallocated_sectors", realloc < 0 ? NULL : json_object_new_int64(realloc));
		r |= json_object_object_add(o, "pending_sectors", pending < 0 ? NULL : json_object_new_int64(pending));
		r |= json_object_object_add(o, "power_on_hours", hours < 0 ? NULL : json_object_new_int64(hours));
		if (!r)
			r = json_object_object_add(o, "attributes", a) ? -ENOMEM : 0;
		else
			json_object_put(a);
	} else {
		json_object_put(a);
	}
	if (r) {
		json_object_put(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

int dsp_ata_smart(struct dsp_io *io, const struct dsp_ata_identity *id, struct json_object **out,
		  struct dsp_san_result *res)
{
	struct ata_tf st = { .feature = 0xda, .lba = SMART_LBA, .command = ATA_CMD_SMART };
	struct ata_tf rd = { .feature = 0xd0, .count = 1, .lba = SMART_LBA, .command = ATA_CMD_SMART };
	struct ata_tf o;
	uint8_t page[DSP_ATA_PAGE];
	const char *status = "unknown";
	int r;

	*out = NULL;
	res->bus = DSP_SAN_BUS_ATA;
	if (!id->smart || !id->smart_enabled) {
		san_reason(res->reason, sizeof(res->reason), id->smart ? "SMART is disabled on the drive"
									: "the drive has no SMART feature set");
		return DSP_UNSUPPORTED;
	}
	r = ata_exec(io, &st, ATA_PROTO_NONDATA, false, true, NULL, 0, TMO_CMD_MS, &o, NULL, res);
	if (r && r != -EREMOTEIO && r != -EPROTO)
		return r;
	if (!r && ((o.lba >> 8) & 0xffff) == 0xc24f)
		status = "passed";
	else if (!r && ((o.lba >> 8) & 0xffff) == 0x2cf4)
		status = "failing";
	memset(page, 0, sizeof(page));
	r = ata_exec(io, &rd, ATA_PROTO_PIO_IN, false, false, page, sizeof(page), TMO_CMD_MS,
		     NULL, NULL, res);
	if (r == -EREMOTEIO) {
		san_reason(res->reason, sizeof(res->reason), "SMART READ DATA aborted (error %02xh)", res->ata_error);
		return -EIO;
	}
	if (r)
		return r;
	r = dsp_ata_parse_smart(page, status, out);
	if (r == DSP_INVALID)
		san_reason(res->reason, sizeof(res->reason), "SMART data fails its checksum");
	return r;
}
