/* SPDX-License-Identifier: MIT */
/* auto.c - the strongest technique a target supports, and why */
#include "erase_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dispose/luks.h"

/*
 * The order (issue #13): sanitize-crypto or crypto-luks, then
 * sanitize-block, then nist-clear. Between the first two: a device crypto
 * sanitize reaches Purge on any medium and covers the whole device, spare
 * area included, so it wins; crypto-luks reaches Purge only on a rotational
 * medium. On flash (or a medium of unknown type) crypto-luks is Clear, so a
 * device block erase (Purge) is preferred to it; without one, crypto-luks
 * (Clear, seconds) is still chosen over an overwrite (Clear, hours): the
 * overwrite reaches no more of the spare area than it does.
 * A device sanitize acts on the whole device (an NVMe Sanitize on every
 * namespace of the controller): never chosen for a partition, nor for a
 * namespace with others beside it (auto does not know they are targets).
 */

/* What the device offers, each in words for the reason. */
struct offer {
	char crypto[160];	/* a crypto sanitize offered: what said so */
	char block[160];	/* a block erase offered */
	char none[400];		/* neither: why */
};

static void nvme_offers(const struct dsp_san_caps *c, struct offer *o)
{
	bool crypto = c->actions & DSP_SAN_CAP(DSP_SAN_CRYPTO);
	bool block = c->actions & DSP_SAN_CAP(DSP_SAN_BLOCK);

	if ((crypto || block) && c->nvme_active_ns > 1) {
		if (c->nvme_active_ns == UINT32_MAX)
			snprintf(o->none, sizeof(o->none), "NVMe Sanitize erases every namespace of "
				 "the controller, which does not list them");
		else
			snprintf(o->none, sizeof(o->none), "NVMe Sanitize erases all %u namespaces of "
				 "the controller; -m sanitize-%s naming each of them does that",
				 c->nvme_active_ns, crypto ? "crypto" : "block");
		return;
	}
	if (crypto)
		snprintf(o->crypto, sizeof(o->crypto),
			 "NVMe controller offers Sanitize crypto erase (SANICAP bit 0)");
	if (block)
		snprintf(o->block, sizeof(o->block), "NVMe controller offers Sanitize block erase "
			 "(SANICAP bit 1)%s", crypto ? "" : ", not crypto erase");
	if (!crypto && !block)
		snprintf(o->none, sizeof(o->none), "NVMe controller: SANICAP 0x%08x offers neither "
			 "crypto nor block erase", c->nvme_sanicap);
}

static void scsi_offers(const struct dsp_san_caps *c, struct offer *o)
{
	bool crypto = c->actions & DSP_SAN_CAP(DSP_SAN_CRYPTO);
	bool block = c->actions & DSP_SAN_CAP(DSP_SAN_BLOCK);

	if (crypto)
		snprintf(o->crypto, sizeof(o->crypto), "SCSI device offers SANITIZE CRYPTOGRAPHIC "
			 "ERASE (REPORT SUPPORTED OPERATION CODES)");
	if (block)
		snprintf(o->block, sizeof(o->block), "SCSI device offers SANITIZE BLOCK ERASE (REPORT "
			 "SUPPORTED OPERATION CODES)%s", crypto ? "" : ", not CRYPTOGRAPHIC ERASE");
	if (!c->scsi_rsoc)
		snprintf(o->none, sizeof(o->none), "SCSI device does not report its commands: "
			 "SANITIZE support unknown");
	else if (!crypto && !block)
		snprintf(o->none, sizeof(o->none), "SCSI device without SANITIZE cryptographic or "
			 "block erase");
}

static int ata_offers(struct dsp_io *io, struct offer *o)
{
	struct dsp_ata_identity id;
	struct dsp_ata_san_status st;
	struct dsp_san_result res;
	int r;

	memset(&res, 0, sizeof(res));
	r = dsp_ata_identify(io, &id, NULL, &res);
	if (r) {
		if (r == -ENOMEM)
			return r;
		snprintf(o->none, sizeof(o->none), "ATA drive: IDENTIFY DEVICE failed: %s",
			 res.reason[0] ? res.reason : strerror(r < 0 ? -r : EIO));
		return 0;
	}
	if (!id.sanitize || !(id.san_crypto || id.san_block)) {
		snprintf(o->none, sizeof(o->none), "ATA drive without SANITIZE CRYPTO SCRAMBLE or "
			 "BLOCK ERASE (IDENTIFY word 59)");
		return 0;
	}
	if (id.security && id.sec_locked) {
		snprintf(o->none, sizeof(o->none), "ATA drive: security locked");
		return 0;
	}
	/* SANITIZE FREEZE LOCK shows only in the status (a security freeze does not stop sanitize) */
	memset(&res, 0, sizeof(res));
	r = dsp_ata_sanitize_status(io, false, &st, &res);
	if (r == -ENOMEM)
		return r;
	if (!r && st.frozen) {
		snprintf(o->none, sizeof(o->none), "ATA drive: SANITIZE frozen (SANITIZE FREEZE LOCK) "
			 "until the next power cycle");
		return 0;
	}
	if (r) {
		snprintf(o->none, sizeof(o->none), "ATA drive: SANITIZE STATUS EXT failed: %s",
			 res.reason[0] ? res.reason : strerror(r < 0 ? -r : EIO));
		return 0;
	}
	if (id.san_crypto)
		snprintf(o->crypto, sizeof(o->crypto),
			 "ATA drive offers SANITIZE CRYPTO SCRAMBLE EXT (IDENTIFY word 59 bit 13)");
	if (id.san_block)
		snprintf(o->block, sizeof(o->block), "ATA drive offers SANITIZE BLOCK ERASE EXT "
			 "(IDENTIFY word 59 bit 15)%s", id.san_crypto ? "" : ", not CRYPTO SCRAMBLE EXT");
	return 0;
}

/* Ask the device (reads only). A failing probe is "not offered"; only -ENOMEM is returned. */
static int device_offers(struct dsp_io *io, const struct dsp_blkdev_info *dev, struct offer *o)
{
	struct dsp_san_caps caps;
	int r;

	if (dev && dev->is_partition) {
		snprintf(o->none, sizeof(o->none), "a partition: a device sanitize would erase the "
			 "whole disk");
		return 0;
	}
	if (dev && (dev->backing_file[0] || !strncmp(dev->name, "loop", 4))) {
		snprintf(o->none, sizeof(o->none), "loop device");
		return 0;
	}
	r = dsp_nvme_identify(io, &caps);
	if (r == -ENOMEM)
		return r;
	if (!r) {
		nvme_offers(&caps, o);
		return 0;
	}
	if (r != DSP_UNSUPPORTED) {	/* an NVMe device that did not answer */
		snprintf(o->none, sizeof(o->none), "NVMe Identify failed: %s",
			 caps.reason[0] ? caps.reason : strerror(r < 0 ? -r : EIO));
		return 0;
	}
	r = dsp_scsi_identify(io, &caps);
	if (r == -ENOMEM)
		return r;
	if (!r && !strcmp(caps.vendor, "ATA"))
		return ata_offers(io, o);
	if (!r) {
		scsi_offers(&caps, o);
		return 0;
	}
	if (r != DSP_UNSUPPORTED)
		snprintf(o->none, sizeof(o->none), "SCSI INQUIRY failed: %s",
			 caps.reason[0] ? caps.reason : strerror(r < 0 ? -r : EIO));
	else
		snprintf(o->none, sizeof(o->none), "no NVMe, SCSI or ATA command answered");
	return 0;
}

static const char *medium(int rotational)
{
	return rotational > 0 ? "a rotational medium" : rotational == 0 ? "flash" :
	       "a medium of unknown type";
}

int dsp_erase_auto_choose(struct dsp_io *io, const struct dsp_blkdev_info *dev,
			  char *method, size_t mlen, char *reason, size_t rlen)
{
	struct dsp_luks_info luks;
	struct offer o;
	bool have_luks = false;
	char plain[512] = "";
	int rot = dev ? dev->rotational : -1, r;

	memset(&o, 0, sizeof(o));
	if (!io || io->kind != DSP_IO_BLOCK) {
		snprintf(method, mlen, "nist-clear");
		snprintf(reason, rlen, "a file: overwrite");
		return 0;
	}
	/* a LUKS header, read-only through libcryptsetup; anything but one is "no LUKS" */
	if (io->fd >= 0) {
		r = dsp_luks_inspect_fd(io->fd, 0, &luks);
		if (r == -ENOMEM)
			return r;
		have_luks = r == 0;
		if (have_luks) {
			r = dsp_erase_luks_plain(io, &luks, plain, sizeof(plain));
			if (r < 0)
				return r;
			if (!r)
				plain[0] = '\0';
			else if (strstr(plain, "; use "))	/* the advice is for crypto-luks */
				*strstr(plain, "; use ") = '\0';
		}
	}
	r = device_offers(io, dev, &o);
	if (r)
		return r;

	if (o.crypto[0]) {
		snprintf(method, mlen, "sanitize-crypto");
		snprintf(reason, rlen, "%s", o.crypto);
	} else if (have_luks && plain[0]) {
		/* a crypto erase would leave what was never encrypted */
		snprintf(method, mlen, "%s", o.block[0] ? "sanitize-block" : "nist-clear");
		snprintf(reason, rlen, "LUKS%d volume %s: %s%s", luks.version, luks.uuid, plain,
			 o.block[0] ? "; a device block erase covers it" :
			 ": overwrite with verification");
	} else if (have_luks && rot > 0) {
		snprintf(method, mlen, "crypto-luks");
		snprintf(reason, rlen, "LUKS%d volume %s on a rotational medium", luks.version,
			 luks.uuid);
	} else if (have_luks && o.block[0]) {
		snprintf(method, mlen, "sanitize-block");
		snprintf(reason, rlen, "LUKS%d volume %s on %s: crypto-luks reaches only Clear there; %s",
			 luks.version, luks.uuid, medium(rot), o.block);
	} else if (have_luks) {
		snprintf(method, mlen, "crypto-luks");
		snprintf(reason, rlen, "LUKS%d volume %s on %s: Clear, old key material may survive in "
			 "the spare area; no device sanitize (%s)", luks.version, luks.uuid,
			 medium(rot), o.none);
	} else if (o.block[0]) {
		snprintf(method, mlen, "sanitize-block");
		snprintf(reason, rlen, "%s", o.block);
	} else {
		snprintf(method, mlen, "nist-clear");
		snprintf(reason, rlen, "no device sanitize (%s): overwrite with verification", o.none);
	}
	return 0;
}
