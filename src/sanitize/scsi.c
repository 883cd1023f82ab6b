/* SPDX-License-Identifier: MIT */
/* scsi.c - SG_IO, sense decoding, INQUIRY / VPD, REPORT SUPPORTED OPERATION CODES, SANITIZE (SBC-4) polled by REQUEST SENSE */
#include "sanitize_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SAM_GOOD		0x00
#define DRIVER_SENSE		0x08
#define SG_TIMEOUT_MS		60000u

#define KEY_NO_SENSE		0x0
#define KEY_NOT_READY		0x2
#define KEY_MEDIUM_ERROR	0x3
#define KEY_ILLEGAL_REQUEST	0x5
#define KEY_UNIT_ATTENTION	0x6

#define OP_TEST_UNIT_READY	0x00
#define OP_REQUEST_SENSE	0x03
#define OP_INQUIRY		0x12
#define OP_SANITIZE		0x48
#define OP_MAINTENANCE_IN	0xa3
#define SA_RSOC			0x0c

int san_sg_io(struct dsp_io *io, const uint8_t *cdb, unsigned cdb_len, int dir,
	      void *buf, unsigned len, unsigned timeout_ms, struct dsp_san_result *res)
{
	struct sg_io_hdr h;
	uint8_t sense[sizeof(res->sense)];
	bool sksv;
	uint16_t prog;
	int r;

	memset(&h, 0, sizeof(h));
	memset(sense, 0, sizeof(sense));
	h.interface_id = 'S';
	h.dxfer_direction = len ? dir : SG_DXFER_NONE;
	h.cmd_len = (unsigned char)cdb_len;
	h.mx_sb_len = sizeof(sense);
	h.dxfer_len = len;
	h.dxferp = len ? buf : NULL;
	h.cmdp = (unsigned char *)cdb;
	h.sbp = sense;
	h.timeout = timeout_ms ? timeout_ms : SG_TIMEOUT_MS;
	r = dsp_io_ioctl(io, SG_IO, &h);
	res->ioctl_ret = r;
	res->scsi_status = 0;
	res->host_status = res->driver_status = 0;
	res->sense_len = 0;
	res->sense_key = res->asc = res->ascq = 0;
	if (r < 0)
		return r == -ENOTTY || r == -EINVAL ? DSP_UNSUPPORTED : r;
	res->scsi_status = h.status;
	res->host_status = h.host_status;
	res->driver_status = h.driver_status;
	res->sense_len = h.sb_len_wr < sizeof(sense) ? h.sb_len_wr : sizeof(sense);
	memcpy(res->sense, sense, res->sense_len);
	if (res->sense_len)
		san_sense_decode(res->sense, res->sense_len, &res->sense_key, &res->asc, &res->ascq,
				 &sksv, &prog);
	if (h.status == SAM_GOOD && !h.host_status && !(h.driver_status & ~DRIVER_SENSE))
		return 0;
	return -EIO;
}

bool san_sense_decode(const uint8_t *s, size_t len, uint8_t *key, uint8_t *asc, uint8_t *ascq,
		      bool *sksv, uint16_t *progress)
{
	uint8_t rc = len ? s[0] & 0x7f : 0;

	*key = *asc = *ascq = 0;
	*sksv = false;
	*progress = 0;
	if ((rc == 0x70 || rc == 0x71) && len >= 3) {
		*key = s[2] & 0xf;
		if (len >= 14) {
			*asc = s[12];
			*ascq = s[13];
		}
		if (len >= 18 && (s[15] & 0x80)) {
			*sksv = true;
			*progress = san_be16(s + 16);
		}
		return true;
	}
	if ((rc == 0x72 || rc == 0x73) && len >= 4) {
		size_t end = len >= 8 ? 8u + s[7] : len, i = 8;

		*key = s[1] & 0xf;
		*asc = s[2];
		*ascq = s[3];
		if (end > len)
			end = len;
		/* descriptors: type, additional length, body; 02h is sense key specific */
		while (i + 2 <= end && i + 2u + s[i + 1] <= end) {
			if (s[i] == 0x02 && s[i + 1] >= 6 && (s[i + 4] & 0x80)) {
				*sksv = true;
				*progress = san_be16(s + i + 5);
			}
			i += 2u + s[i + 1];
		}
		return true;
	}
	return false;
}

const char *dsp_scsi_sense_text(uint8_t key, uint8_t asc, uint8_t ascq)
{
	static const struct { uint8_t asc, ascq; const char *text; } codes[] = {
		{ 0x00, 0x00, "no additional sense information" },
		{ 0x00, 0x1d, "ATA pass through information available" },
		{ 0x04, 0x00, "logical unit not ready, cause not reportable" },
		{ 0x04, 0x04, "logical unit not ready, format in progress" },
		{ 0x04, 0x1b, "logical unit not ready, sanitize in progress" },
		{ 0x20, 0x00, "invalid command operation code" },
		{ 0x24, 0x00, "invalid field in cdb" },
		{ 0x26, 0x00, "invalid field in parameter list" },
		{ 0x27, 0x00, "write protected" },
		{ 0x29, 0x00, "power on, reset, or bus device reset occurred" },
		{ 0x2c, 0x00, "command sequence error" },
		{ 0x31, 0x00, "medium format corrupted" },
		{ 0x31, 0x03, "sanitize command failed" },
		{ 0x3a, 0x00, "medium not present" },
	};
	static const char *const keys[16] = {
		"no sense", "recovered error", "not ready", "medium error", "hardware error",
		"illegal request", "unit attention", "data protect", "blank check", "vendor specific",
		"copy aborted", "aborted command", "reserved", "volume overflow", "miscompare",
		"completed",
	};
	unsigned i;

	for (i = 0; i < DSP_ARRAY_SIZE(codes); i++)
		if (codes[i].asc == asc && codes[i].ascq == ascq && (asc || !key))
			return codes[i].text;
	return keys[key & 0xf];
}

/* "sense 05/20/00 (invalid command operation code)" into buf */
static void sense_str(char *buf, size_t len, const struct dsp_san_result *res)
{
	if (res->scsi_status == 0x02 || res->sense_len)
		snprintf(buf, len, "sense %02x/%02x/%02x (%s)", res->sense_key, res->asc, res->ascq,
			 dsp_scsi_sense_text(res->sense_key, res->asc, res->ascq));
	else
		snprintf(buf, len, "status %02xh, host %04xh, driver %04xh", res->scsi_status,
			 res->host_status, res->driver_status);
}

static bool illegal_request(const struct dsp_san_result *res)
{
	return res->scsi_status == 0x02 && res->sense_key == KEY_ILLEGAL_REQUEST &&
	       (res->asc == 0x20 || res->asc == 0x24 || res->asc == 0x26);
}

static int inquiry(struct dsp_io *io, bool evpd, uint8_t page, uint8_t *buf, uint16_t len,
		   struct dsp_san_result *res)
{
	uint8_t cdb[6] = { OP_INQUIRY, evpd ? 1 : 0, evpd ? page : 0, 0, 0, 0 };

	san_put_be16(cdb + 3, len);
	memset(buf, 0, len);
	return san_sg_io(io, cdb, sizeof(cdb), SG_DXFER_FROM_DEV, buf, len, 0, res);
}

/* VPD 83h: the first NAA, else EUI-64, designator of the logical unit */
static void parse_vpd83(const uint8_t *p, size_t n, char *wwn, size_t len)
{
	static const char *const prefix[] = { [2] = "eui.", [3] = "naa." };
	size_t end = 4u + san_be16(p + 2), i = 4;
	int best = 0;

	if (end > n)
		end = n;
	while (i + 4 <= end && i + 4u + p[i + 3] <= end) {
		unsigned type = p[i + 1] & 0xf, assoc = (p[i + 1] >> 4) & 3, dl = p[i + 3];
		int rank = type == 3 ? 2 : type == 2 ? 1 : 0;

		if ((p[i] & 0xf) == 1 && assoc == 0 && rank > best && dl) {
			size_t k, o = 0;

			o = (size_t)snprintf(wwn, len, "%s", prefix[type]);
			for (k = 0; k < dl && o + 3 <= len; k++)
				o += (size_t)snprintf(wwn + o, len - o, "%02x", p[i + 4 + k]);
			best = rank;
		}
		i += 4u + dl;
	}
}

static const uint8_t sanitize_sa[] = {
	[DSP_SAN_OVERWRITE] = 0x01, [DSP_SAN_BLOCK] = 0x02, [DSP_SAN_CRYPTO] = 0x03,
	[DSP_SAN_EXIT_FAILURE] = 0x1f,
};

int dsp_scsi_identify(struct dsp_io *io, struct dsp_san_caps *caps)
{
	static const enum dsp_san_action acts[] = { DSP_SAN_OVERWRITE, DSP_SAN_BLOCK, DSP_SAN_CRYPTO,
						    DSP_SAN_EXIT_FAILURE };
	struct dsp_san_result res;
	uint8_t buf[252];
	char s[96];
	unsigned i;
	int r;

	memset(caps, 0, sizeof(*caps));
	memset(&res, 0, sizeof(res));
	caps->bus = DSP_SAN_BUS_SCSI;
	r = inquiry(io, false, 0, buf, 96, &res);
	if (r == DSP_UNSUPPORTED) {
		san_reason(caps->reason, sizeof(caps->reason), "no SCSI generic access (SG_IO)");
		return r;
	}
	if (r) {
		sense_str(s, sizeof(s), &res);
		san_reason(caps->reason, sizeof(caps->reason), "INQUIRY: %s", r == -EIO ? s : strerror(-r));
		return r;
	}
	san_copy_ascii(caps->vendor, sizeof(caps->vendor), buf + 8, 8);
	san_copy_ascii(caps->model, sizeof(caps->model), buf + 16, 16);
	san_copy_ascii(caps->firmware, sizeof(caps->firmware), buf + 32, 4);
	/* VPD pages are optional: a refusal leaves the field empty */
	if (!inquiry(io, true, 0x80, buf, sizeof(buf), &res) && buf[1] == 0x80)
		san_copy_ascii(caps->serial, sizeof(caps->serial), buf + 4,
			       san_be16(buf + 2) < sizeof(buf) - 4 ? san_be16(buf + 2) : sizeof(buf) - 4);
	if (!inquiry(io, true, 0x83, buf, sizeof(buf), &res) && buf[1] == 0x83)
		parse_vpd83(buf, sizeof(buf), caps->wwn, sizeof(caps->wwn));

	caps->scsi_rsoc = true;
	for (i = 0; i < DSP_ARRAY_SIZE(acts); i++) {
		uint8_t cdb[12] = { OP_MAINTENANCE_IN, SA_RSOC, 0x02, OP_SANITIZE, 0, 0, 0, 0, 0, 0, 0, 0 };

		cdb[5] = sanitize_sa[acts[i]];
		san_put_be32(cdb + 6, 20);
		memset(buf, 0, 20);
		r = san_sg_io(io, cdb, sizeof(cdb), SG_DXFER_FROM_DEV, buf, 20, 0, &res);
		if (r == -EIO && illegal_request(&res)) {
			/* no REPORT SUPPORTED OPERATION CODES: support unknown */
			caps->scsi_rsoc = false;
			caps->actions = 0;
			san_reason(caps->reason, sizeof(caps->reason),
				   "the device does not report its commands: SANITIZE support is unknown");
			return 0;
		}
		if (r)
			return r < 0 ? r : -EIO;
		/* SUPPORT 011b: as the standard says; 101b: vendor specific */
		if ((buf[1] & 7) == 3 || (buf[1] & 7) == 5)
			caps->actions |= DSP_SAN_CAP(acts[i]);
	}
	if (!(caps->actions & (DSP_SAN_CAP(DSP_SAN_CRYPTO) | DSP_SAN_CAP(DSP_SAN_BLOCK) |
			       DSP_SAN_CAP(DSP_SAN_OVERWRITE))))
		san_reason(caps->reason, sizeof(caps->reason), "the device does not support SANITIZE");
	return 0;
}

/* REQUEST SENSE: the pending sense as data. 0 with key/asc/ascq/progress set, or an error. */
static int request_sense(struct dsp_io *io, struct dsp_san_result *res, uint8_t *key, uint8_t *asc,
			 uint8_t *ascq, bool *sksv, uint16_t *prog)
{
	uint8_t cdb[6] = { OP_REQUEST_SENSE, 0, 0, 0, 252, 0 };
	uint8_t buf[252];
	int r;

	memset(buf, 0, sizeof(buf));
	r = san_sg_io(io, cdb, sizeof(cdb), SG_DXFER_FROM_DEV, buf, sizeof(buf), 0, res);
	if (r)
		return r;
	san_sense_decode(buf, sizeof(buf), key, asc, ascq, sksv, prog);
	return 0;
}

static bool sanitizing(uint8_t key, uint8_t asc, uint8_t ascq)
{
	return key == KEY_NOT_READY && asc == 0x04 && ascq == 0x1b;
}

int dsp_scsi_sanitize_status(struct dsp_io *io, bool *running, uint32_t *progress,
			     struct dsp_san_result *res)
{
	uint8_t key = 0, asc = 0, ascq = 0;
	bool sksv = false;
	uint16_t prog = 0;
	int r = 0;

	*running = false;
	*progress = 0;
	/* a unit attention (a power cycle's) comes first and hides the state */
	for (int i = 0; i < 4; i++) {
		r = request_sense(io, res, &key, &asc, &ascq, &sksv, &prog);
		if (r || key != KEY_UNIT_ATTENTION)
			break;
	}
	if (r) {
		san_reason(res->reason, sizeof(res->reason), "REQUEST SENSE: %s",
			   r == DSP_UNSUPPORTED ? "no SCSI generic access (SG_IO)" : strerror(r < 0 ? -r : EIO));
		return r;
	}
	*running = sanitizing(key, asc, ascq);
	if (*running && sksv)
		*progress = prog;
	return 0;
}

/* Poll REQUEST SENSE while the device says "sanitize in progress". */
static int poll_sense(struct dsp_io *io, const struct dsp_san_opts *o, struct dsp_san_result *res,
		      uint64_t *elapsed)
{
	uint8_t key, asc, ascq;
	bool sksv;
	uint16_t prog;
	int r, ua = 0;

	for (;;) {
		r = request_sense(io, res, &key, &asc, &ascq, &sksv, &prog);
		if (r) {
			char s[96];

			sense_str(s, sizeof(s), res);
			san_reason(res->reason, sizeof(res->reason), "REQUEST SENSE: %s",
				   r == -EIO ? s : strerror(-r));
			return r == DSP_UNSUPPORTED ? -EIO : r;
		}
		res->polls++;
		if (key == KEY_UNIT_ATTENTION && ++ua <= 8)
			continue;	/* reported once, then the state shows */
		if (!sanitizing(key, asc, ascq))
			return 0;
		if (sksv)
			res->progress = prog;
		r = san_poll_wait(o, res->progress, elapsed);
		if (r == DSP_INTERRUPTED) {
			san_reason(res->reason, sizeof(res->reason),
				   "stopped polling at %u/65536; the device continues the sanitize",
				   res->progress);
			return r;
		}
		if (r == -ETIMEDOUT)
			san_reason(res->reason, sizeof(res->reason),
				   "sanitize still in progress (%u/65536) after %u s", res->progress,
				   o->timeout_s);
		if (r)
			return r;
	}
}

/* The outcome: TEST UNIT READY after the sanitize (a unit attention or two first is normal). */
static int outcome(struct dsp_io *io, const struct dsp_san_opts *o, struct dsp_san_result *res,
		   uint64_t *elapsed)
{
	uint8_t cdb[6] = { OP_TEST_UNIT_READY, 0, 0, 0, 0, 0 };
	char s[96];
	int r, tries;

	for (tries = 0; tries < 8; tries++) {
		r = san_sg_io(io, cdb, sizeof(cdb), SG_DXFER_NONE, NULL, 0, 0, res);
		if (r == 0)
			return 0;
		if (r != -EIO)
			return r == DSP_UNSUPPORTED ? -EIO : r;
		if (res->sense_key == KEY_UNIT_ATTENTION)
			continue;
		if (sanitizing(res->sense_key, res->asc, res->ascq)) {
			r = poll_sense(io, o, res, elapsed);
			if (r)
				return r;
			continue;
		}
		sense_str(s, sizeof(s), res);
		if (res->sense_key == KEY_MEDIUM_ERROR && res->asc == 0x31 && res->ascq == 0x03)
			san_reason(res->reason, sizeof(res->reason),
				   "the sanitize failed (%s); the device refuses I/O until a sanitize succeeds", s);
		else
			san_reason(res->reason, sizeof(res->reason), "after the sanitize: %s", s);
		return -EIO;
	}
	sense_str(s, sizeof(s), res);
	san_reason(res->reason, sizeof(res->reason), "after the sanitize: %s", s);
	return -EIO;
}

int dsp_scsi_sanitize(struct dsp_io *io, const struct dsp_san_caps *caps,
		      const struct dsp_san_opts *o, struct dsp_san_result *res)
{
	uint8_t cdb[10] = { OP_SANITIZE, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t param[8];
	unsigned passes = o->passes ? o->passes : 1, plen = 0;
	uint64_t elapsed = 0;
	uint8_t key, asc, ascq;
	bool sksv;
	uint16_t prog;
	char s[96];
	int r;

	memset(res, 0, sizeof(*res));
	res->bus = DSP_SAN_BUS_SCSI;
	res->action = o->action;
	if ((unsigned)o->action >= DSP_ARRAY_SIZE(sanitize_sa) || !sanitize_sa[o->action]) {
		san_reason(res->reason, sizeof(res->reason), "%s is not a SCSI sanitize action",
			   dsp_san_action_name(o->action));
		return -EINVAL;
	}
	if (caps->scsi_rsoc && !(caps->actions & DSP_SAN_CAP(o->action))) {
		san_reason(res->reason, sizeof(res->reason), "the device does not support SANITIZE %s",
			   dsp_san_action_name(o->action));
		return DSP_UNSUPPORTED;
	}
	if (o->action == DSP_SAN_OVERWRITE) {
		if (passes > 31) {
			san_reason(res->reason, sizeof(res->reason),
				   "%u overwrite passes: SCSI allows 1 to 31", passes);
			return -EINVAL;
		}
		/* INVERT, OVERWRITE COUNT; a 4-byte initialization pattern */
		param[0] = (uint8_t)((o->invert ? 0x80 : 0) | passes);
		param[1] = 0;
		san_put_be16(param + 2, 4);
		san_put_be32(param + 4, o->pattern);
		plen = sizeof(param);
	}

	/* one already running (interrupted, power cycled): poll it, send nothing.
	   A unit attention (the power cycle's) comes first and hides it. */
	for (int i = 0; i < 4; i++) {
		r = request_sense(io, res, &key, &asc, &ascq, &sksv, &prog);
		if (r || key != KEY_UNIT_ATTENTION)
			break;
	}
	if (r == DSP_UNSUPPORTED) {
		san_reason(res->reason, sizeof(res->reason), "no SCSI generic access (SG_IO)");
		return r;
	}
	if (r == 0 && sanitizing(key, asc, ascq) && o->action != DSP_SAN_EXIT_FAILURE) {
		/* SCSI does not say which sanitize runs: the caller knows whether it sent one */
		res->resumed = true;
		goto poll;
	}

	cdb[1] = (uint8_t)(0x80 | (o->ause ? 0x20 : 0) | sanitize_sa[o->action]);	/* IMMED */
	san_put_be16(cdb + 7, (uint16_t)plen);
	r = san_sg_io(io, cdb, sizeof(cdb), plen ? SG_DXFER_TO_DEV : SG_DXFER_NONE,
		      plen ? param : NULL, plen, 0, res);
	if (r == DSP_UNSUPPORTED) {
		san_reason(res->reason, sizeof(res->reason), "no SCSI generic access (SG_IO)");
		return r;
	}
	if (r == -EIO && illegal_request(res)) {
		sense_str(s, sizeof(s), res);
		san_reason(res->reason, sizeof(res->reason), "the device does not support SANITIZE %s: %s",
			   dsp_san_action_name(o->action), s);
		return DSP_UNSUPPORTED;
	}
	if (r == -EIO && sanitizing(res->sense_key, res->asc, res->ascq)) {
		res->resumed = true;
		goto poll;
	}
	if (r) {
		sense_str(s, sizeof(s), res);
		san_reason(res->reason, sizeof(res->reason), "SANITIZE: %s", r == -EIO ? s : strerror(-r));
		return r;
	}
	if (o->action == DSP_SAN_EXIT_FAILURE)
		return 0;
poll:
	r = poll_sense(io, o, res, &elapsed);
	if (r)
		return r;
	r = outcome(io, o, res, &elapsed);
	if (r)
		return r;
	/* after block or crypto erase, reads show what the device returns, not the media */
	res->dealloc = o->action != DSP_SAN_OVERWRITE;
	res->progress = 65536;
	if (o->progress)
		o->progress(65536, o->progress_arg);
	return 0;
}
