/* SPDX-License-Identifier: MIT */
/* sanitize.h - the device's own sanitize (NVMe, ATA, SCSI, eMMC), encoded here, sent through the I/O seam */
#ifndef DISPOSE_SANITIZE_H
#define DISPOSE_SANITIZE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "dispose/io.h"

/*
 * Every command is built byte for byte by this module and sent with
 * dsp_io_ioctl (NVME_IOCTL_ADMIN_CMD, SG_IO, BLKSECDISCARD), so a test
 * answers it from a fake device at the ioctl boundary. No libnvme or
 * sg3_utils call: they issue their own ioctls.
 *
 * Return convention of every call: 0 done; DSP_UNSUPPORTED the device
 * cannot do it (res->reason says why, nothing was started); DSP_INTERRUPTED
 * polling was cancelled (the device may still be sanitizing: sanitize runs
 * on inside the drive, across power cycles, until it completes); -EIO the
 * device reported failure (raw status and reason in res); other -errno:
 * the ioctl itself failed. res is always filled as far as it got.
 */

enum dsp_san_bus {
	DSP_SAN_BUS_NONE = 0,
	DSP_SAN_BUS_NVME,
	DSP_SAN_BUS_ATA,
	DSP_SAN_BUS_SCSI,
	DSP_SAN_BUS_MMC,	/* BLKSECDISCARD */
};

enum dsp_san_action {
	DSP_SAN_NONE = 0,
	DSP_SAN_CRYPTO,		/* NVMe SANACT 4, ATA CRYPTO SCRAMBLE EXT, SCSI crypto erase */
	DSP_SAN_BLOCK,		/* NVMe SANACT 2, ATA BLOCK ERASE EXT, SCSI block erase */
	DSP_SAN_OVERWRITE,	/* NVMe SANACT 3, ATA OVERWRITE EXT, SCSI overwrite */
	DSP_SAN_FORMAT_USER,	/* NVMe Format NVM SES 1 (user data erase) */
	DSP_SAN_FORMAT_CRYPTO,	/* NVMe Format NVM SES 2 (cryptographic erase) */
	DSP_SAN_SECURITY_ERASE,	/* ATA SECURITY ERASE UNIT (normal) */
	DSP_SAN_SECURITY_ERASE_ENH, /* ATA SECURITY ERASE UNIT (enhanced) */
	DSP_SAN_SECDISCARD,	/* BLKSECDISCARD over the whole device (eMMC) */
	DSP_SAN_EXIT_FAILURE,	/* NVMe SANACT 1 / SCSI 1Fh / ATA SANITIZE STATUS clear: leave failure mode */
};

/* Bits of dsp_san_caps.actions: 1u << action */
#define DSP_SAN_CAP(a)	(1u << (unsigned)(a))

/* What the device said it can do, read before anything is sent. */
struct dsp_san_caps {
	enum dsp_san_bus bus;
	unsigned actions;	/* DSP_SAN_CAP(DSP_SAN_*) the device reports */
	char vendor[41];	/* NVMe: PCI vendor id "0x1b36"; SCSI/ATA: as reported, trimmed */
	char model[41];
	char serial[41];
	char firmware[17];
	char wwn[64];		/* SCSI "naa.5000c500a1b2c3d4"; NVMe "eui." NGUID or EUI-64; else "" */
	bool no_dealloc;	/* NVMe: No-Deallocate After Sanitize may be asked (NDI clear) */
	bool media_verification; /* the read-back after a purge sees the media (NVMe EMVS), not deallocation */
	/* NVMe */
	uint16_t nvme_vid;
	uint16_t nvme_oacs;	/* Identify Controller bytes 257:256 */
	uint32_t nvme_sanicap;	/* bytes 331:328, raw */
	uint8_t nvme_fna;	/* byte 524, raw */
	uint8_t nvme_nodmmas;	/* SANICAP bits 31:30 */
	uint32_t nvme_nsid;	/* namespace of the target (NVME_IOCTL_ID), 0 unknown */
	uint32_t nvme_active_ns; /* active namespaces on the controller (Identify CNS 02h) */
	uint8_t nvme_flbas;	/* Identify Namespace byte 26 (kept by Format NVM) */
	uint8_t nvme_dps;	/* Identify Namespace byte 29 (kept by Format NVM) */
	/* SCSI */
	bool scsi_rsoc;		/* REPORT SUPPORTED OPERATION CODES answered: actions is known;
				   else actions is 0, support unknown, and dsp_scsi_sanitize
				   tries (ILLEGAL REQUEST is then DSP_UNSUPPORTED) */
	/* ATA (S2): see the ATA block below */
	bool frozen;		/* ATA security frozen: what to do is in reason */
	bool locked;		/* ATA security locked */
	char reason[256];	/* empty, or why an action is not available (operator hint) */
};

/* The outcome of one command or one sanitize, as the device reported it. */
struct dsp_san_result {
	enum dsp_san_bus bus;
	enum dsp_san_action action;
	int ioctl_ret;		/* what dsp_io_ioctl returned for the command */
	/* NVMe: completion status field (SC | SCT << 8 | CRD << 11 | M << 13 | DNR << 14) and dword 0 */
	uint16_t nvme_status;
	uint32_t nvme_result;
	uint32_t nvme_cdw10;	/* the Sanitize / Format command's dword 10 as sent */
	/* NVMe sanitize status log after the run */
	uint16_t sstat, sprog;
	uint32_t scdw10;
	uint32_t nvme_est_s[3];	/* estimated seconds: overwrite, block, crypto; UINT32_MAX none */
	/* SCSI / ATA pass-through: SAM status, host/driver status, sense as returned */
	uint8_t scsi_status;
	uint16_t host_status, driver_status;
	uint8_t sense[32];
	uint8_t sense_len;
	uint8_t sense_key, asc, ascq;
	/* ATA (S2): status and error registers from the return descriptor */
	uint8_t ata_status, ata_error;
	uint16_t ata_count;	/* COUNT and LBA outputs (SANITIZE STATUS, native max) */
	uint64_t ata_lba;
	/* polling */
	bool resumed;		/* a sanitize was already running when we looked: not started again */
	bool dealloc;		/* the device deallocated: read-back shows deallocation, not media */
	unsigned polls;
	uint32_t progress;	/* last progress seen, of 65536 */
	char reason[256];	/* human text: why unsupported or failed ("" when ok) */
};

/*
 * Progress while polling: done of 65536 (0 when the device gives none).
 * Return non-zero to stop polling (the device continues on its own):
 * the call returns DSP_INTERRUPTED.
 */
typedef int (*dsp_san_progress_fn)(uint32_t done, void *arg);

struct dsp_san_opts {
	enum dsp_san_action action;
	/* overwrite */
	unsigned passes;	/* 1..16 NVMe (16 is sent as 0), 1..31 SCSI, ATA count; 0 = 1 */
	uint32_t pattern;	/* overwrite pattern */
	bool invert;		/* invert the pattern between passes (OIPBP / INVERT) */
	bool ause;		/* allow unrestricted sanitize exit (after a failure) */
	bool no_dealloc;	/* NVMe NDAS: ask not to deallocate, when caps allow */
	bool all_namespaces;	/* NVMe: the caller made sure every namespace of the
				   controller is a target: sanitize (always) and Format
				   NVM (FNA bits 0/1) erase them all; without it a
				   controller with more than one namespace is refused */
	/* polling: interval and a sleep that tests replace */
	unsigned poll_ms;	/* 0 = 1000 */
	unsigned timeout_s;	/* stop polling after this long: 0 = never */
	int (*sleep_ms)(unsigned ms, void *arg); /* NULL = nanosleep */
	void *sleep_arg;
	dsp_san_progress_fn progress;	/* may be NULL */
	void *progress_arg;
	volatile sig_atomic_t *stop;	/* set by a signal handler; may be NULL */
	unsigned format_timeout_ms;	/* NVMe Format NVM command timeout: 0 = 1 h */
};

const char *dsp_san_action_name(enum dsp_san_action a);	/* "crypto", "block", ... */
const char *dsp_san_bus_name(enum dsp_san_bus b);	/* "nvme", "ata", "scsi", "mmc" */

/* The result as a JSON object for the record (raw status, sense, log fields). NULL on ENOMEM. */
struct json_object *dsp_san_result_json(const struct dsp_san_result *res);

/* ---- NVMe (admin passthrough on the namespace or controller node) ---- */

/*
 * Identify Controller (and Identify Namespace when the target is a
 * namespace): SANICAP, FNA, OACS, vendor, model, serial, firmware.
 * 0 or -errno; DSP_UNSUPPORTED when the target answers no NVMe admin command.
 */
int dsp_nvme_identify(struct dsp_io *io, struct dsp_san_caps *caps);
/* Parse a 4096-byte Identify Controller page into caps (no I/O). */
void dsp_nvme_parse_id_ctrl(const uint8_t page[4096], struct dsp_san_caps *caps);

/*
 * Sanitize (DSP_SAN_CRYPTO/BLOCK/OVERWRITE/EXIT_FAILURE) and poll the
 * sanitize status log to completion. When a sanitize is already in
 * progress, nothing is sent: it is polled (res->resumed). Destructive: on
 * any return other than DSP_UNSUPPORTED, user data may be partly or wholly
 * gone; a failed sanitize leaves the device in a failure state in which it
 * refuses I/O until a sanitize succeeds (or exit failure mode with AUSE).
 * Sanitize acts on the whole NVM subsystem: with more than one active
 * namespace and no o->all_namespaces, DSP_REFUSED and nothing is sent.
 */
int dsp_nvme_sanitize(struct dsp_io *io, const struct dsp_san_caps *caps,
		      const struct dsp_san_opts *o, struct dsp_san_result *res);
/*
 * Format NVM of the target's namespace with SES 1 (DSP_SAN_FORMAT_USER) or
 * 2 (DSP_SAN_FORMAT_CRYPTO), keeping its LBA format, metadata and PI
 * settings. Synchronous. On failure the namespace may be partly erased or
 * unusable until formatted again.
 */
int dsp_nvme_format(struct dsp_io *io, const struct dsp_san_caps *caps,
		    const struct dsp_san_opts *o, struct dsp_san_result *res);
/* Read the sanitize status log into res (sstat, sprog, scdw10). 0 or -errno. */
int dsp_nvme_sanitize_status(struct dsp_io *io, struct dsp_san_result *res);
/*
 * The SMART / health log as a JSON object: critical_warning,
 * temperature_k, available_spare, percentage_used, power_on_hours,
 * media_errors, unsafe_shutdowns, power_cycles, data_units_read/written,
 * num_err_log_entries. 0 or -errno.
 */
int dsp_nvme_health(struct dsp_io *io, struct json_object **out);
/* Parse a 512-byte health log page (no I/O). NULL on ENOMEM. */
struct json_object *dsp_nvme_parse_health(const uint8_t page[512]);

/* ---- SCSI (SG_IO) ---- */

/*
 * Standard INQUIRY, VPD 0x80 (serial) and 0x83 (NAA WWN), and REPORT
 * SUPPORTED OPERATION CODES for SANITIZE's service actions.
 * 0 or -errno; DSP_UNSUPPORTED when the target answers no SG_IO.
 */
int dsp_scsi_identify(struct dsp_io *io, struct dsp_san_caps *caps);
/*
 * SANITIZE with IMMED, then REQUEST SENSE polled to completion and a TEST
 * UNIT READY for the outcome. Unsupported (ILLEGAL REQUEST) is
 * DSP_UNSUPPORTED with the sense decoded in res->reason. When the device
 * already reports "sanitize in progress" nothing is sent and that one is
 * polled (res->resumed): SCSI does not say which action it is, so the
 * caller's record must. Destructive as dsp_nvme_sanitize.
 */
int dsp_scsi_sanitize(struct dsp_io *io, const struct dsp_san_caps *caps,
		      const struct dsp_san_opts *o, struct dsp_san_result *res);
/*
 * Is a SANITIZE in progress (REQUEST SENSE: not ready, 04h/1Bh; unit
 * attentions skipped)? *progress of 65536 when the device says. Sends
 * nothing else. 0 or as the module's convention.
 */
int dsp_scsi_sanitize_status(struct dsp_io *io, bool *running, uint32_t *progress,
			     struct dsp_san_result *res);
/* Text for ASC/ASCQ when known ("logical unit not ready, sanitize in progress"), else the sense key's. Never NULL. */
const char *dsp_scsi_sense_text(uint8_t key, uint8_t asc, uint8_t ascq);

/* ---- eMMC ---- */

/*
 * BLKSECDISCARD over [0, io->size) in steps, with progress. -EOPNOTSUPP
 * from the kernel is DSP_UNSUPPORTED. Needs io opened for writing. On
 * failure a prefix of the device is discarded.
 */
int dsp_mmc_secdiscard(struct dsp_io *io, const struct dsp_san_opts *o,
		       struct dsp_san_result *res);

/* ---- ATA (ATA PASS-THROUGH(16) over SG_IO; register values per ACS-3) ---- */

#define DSP_ATA_PAGE 512

/* IDENTIFY DEVICE, parsed. Word numbers are ACS-3's. */
struct dsp_ata_identity {
	uint8_t raw[DSP_ATA_PAGE];	/* the page as read (for the record's hash) */
	char model[41];			/* words 27-46 */
	char serial[21];		/* words 10-19 */
	char firmware[9];		/* words 23-26 */
	uint64_t wwn;			/* words 108-111 (NAA 5); 0 when not reported */
	uint64_t sectors;		/* user addressable: words 100-103 if 48-bit, else 60-61 */
	uint32_t sectors28;		/* words 60-61 */
	bool lba48;			/* word 83 bit 10 */
	bool sanitize;			/* word 59 bit 12: Sanitize Device feature set */
	bool san_crypto, san_block, san_overwrite; /* word 59 bits 13, 15, 14 */
	bool san_antifreeze;		/* word 59 bit 10 */
	bool security;			/* word 128 bit 0 (and word 82 bit 1) */
	bool sec_enabled, sec_locked, sec_frozen, sec_count_expired, sec_enhanced; /* 128 bits 1-5 */
	bool hpa;			/* word 82 bit 10: Host Protected Area */
	bool amac;			/* word 119 bit 8: Accessible Max Address Configuration */
	bool dco;			/* word 83 bit 11: Device Configuration Overlay */
	bool smart, smart_enabled;	/* word 82 bit 0, word 85 bit 0 */
	unsigned erase_min, enhanced_erase_min;	/* words 89, 90: minutes, 0 not reported */
	bool erase_min_more, enhanced_erase_min_more; /* the value is a floor ("more than") */
	uint16_t rotation;		/* word 217: 1 non-rotating, 0401h-FFFEh rpm, 0 unknown */
	bool integrity;			/* word 255 carried signature A5h (and its sum was zero) */
};

/*
 * Parse a 512-byte IDENTIFY DEVICE page (no I/O). DSP_INVALID (reason
 * says why) when word 255 has signature A5h and the bytes do not sum to
 * zero, carries another signature, or word 0 says it is not an ATA device.
 */
int dsp_ata_parse_identify(const uint8_t page[DSP_ATA_PAGE], struct dsp_ata_identity *id,
			   char *reason, size_t reason_len);
/* The identity as caps (bus, actions, strings, wwn "naa.5...", frozen, locked, reason). */
void dsp_ata_caps(const struct dsp_ata_identity *id, struct dsp_san_caps *caps);
/*
 * IDENTIFY DEVICE (ECh, PIO data-in) then parse; caps may be NULL.
 * DSP_UNSUPPORTED when the target has no ATA pass-through; DSP_INVALID
 * for a page that fails its checksum.
 */
int dsp_ata_identify(struct dsp_io *io, struct dsp_ata_identity *id, struct dsp_san_caps *caps,
		     struct dsp_san_result *res);
/* The identity for the record (strings through json.h). NULL on ENOMEM. */
struct json_object *dsp_ata_identity_json(const struct dsp_ata_identity *id);

/* SANITIZE STATUS EXT (B4h/0000h) as the device answered it. */
struct dsp_ata_san_status {
	bool completed_ok;	/* COUNT bit 15: last sanitize completed without error */
	bool in_progress;	/* COUNT bit 14 */
	bool frozen;		/* COUNT bit 13: SANITIZE FREEZE LOCK until power cycle */
	bool antifreeze;	/* COUNT bit 12 */
	bool failed;		/* the command was aborted: the last sanitize failed */
	uint8_t reason;		/* then LBA 7:0: 1 unsuccessful, 2 unsupported, 3 frozen, 4 antifreeze */
	uint16_t progress;	/* LBA 15:0, of 65536, while in progress */
};
/*
 * Send SANITIZE STATUS EXT (clear_failed: COUNT bit 0, leave the failure
 * state of a sanitize started with failure mode). 0 (st filled, failed
 * too); -EPROTO when the kernel returned fixed-format sense that lost
 * COUNT 15:8 (res->reason); other results as the module's convention.
 */
int dsp_ata_sanitize_status(struct dsp_io *io, bool clear_failed, struct dsp_ata_san_status *st,
			    struct dsp_san_result *res);
/*
 * SANITIZE CRYPTO SCRAMBLE EXT / BLOCK ERASE EXT / OVERWRITE EXT (o->action
 * DSP_SAN_CRYPTO, _BLOCK, _OVERWRITE; o->ause sets FAILURE MODE; overwrite
 * takes o->pattern, o->passes 1..16, o->invert), or DSP_SAN_EXIT_FAILURE,
 * then SANITIZE STATUS EXT polled to completion. A sanitize already running
 * is polled, not started again (res->resumed). Sanitize frozen or not in
 * id: DSP_UNSUPPORTED. Destructive: on any other return user data may be
 * partly or wholly gone, and a failed sanitize leaves the drive refusing
 * media access until a sanitize succeeds.
 */
int dsp_ata_sanitize(struct dsp_io *io, const struct dsp_ata_identity *id,
		     const struct dsp_san_opts *o, struct dsp_san_result *res);

/* A temporary user password "dispose-" + 16 hex digits into buf (>= 25 bytes). 0 or -errno. */
int dsp_ata_temp_password(char *buf, size_t len);
/* The operator's unlock recipe for dev and password (hdparm). 0, or -ENOSPC. */
int dsp_ata_unlock_recipe(const char *dev, const char *password, char *buf, size_t len);
/*
 * SECURITY SET PASSWORD (user, high) with password, SECURITY ERASE PREPARE,
 * SECURITY ERASE UNIT (enhanced when asked and word 128 bit 5 says so,
 * res->action tells which), then IDENTIFY again to see security disabled.
 * Record password and the unlock recipe BEFORE calling: a power failure
 * after the password is set leaves the drive locked with it. Not
 * supported / frozen / count expired: DSP_UNSUPPORTED; locked, or a
 * password already set: DSP_REFUSED (nothing sent). On a failure after the
 * password was set, SECURITY DISABLE PASSWORD is tried and res->reason says
 * whether the password is still set. timeout_s 0: from words 89/90.
 */
int dsp_ata_security_erase(struct dsp_io *io, const struct dsp_ata_identity *id,
			   const char *password, bool enhanced, unsigned timeout_s,
			   struct dsp_san_result *res);
/*
 * Resume after a power failure mid-erase: the drive is locked (or enabled)
 * with the password an earlier run recorded. SECURITY ERASE PREPARE and
 * UNIT with it (allowed while locked), no SET PASSWORD; then as above.
 * DSP_REFUSED when security is not enabled (nothing of ours to resume).
 */
int dsp_ata_security_erase_resume(struct dsp_io *io, const struct dsp_ata_identity *id,
				  const char *password, bool enhanced, unsigned timeout_s,
				  struct dsp_san_result *res);

/* Native against accessible capacity (sectors; 0 = not known). */
struct dsp_ata_hidden {
	uint64_t accessible;	/* IDENTIFY's user addressable sectors */
	uint64_t native;	/* READ NATIVE MAX ADDRESS (EXT) / GET NATIVE MAX ADDRESS EXT + 1 */
	uint64_t dco_max;	/* DCO IDENTIFY words 3-6 + 1 */
	bool hpa;		/* native > accessible */
	bool dco;		/* dco_max > native */
	char reason[256];	/* why a value is not known */
};
/* Read both (no change to the drive). 0, or -errno of a failed command. */
int dsp_ata_hidden(struct dsp_io *io, const struct dsp_ata_identity *id, struct dsp_ata_hidden *h,
		   struct dsp_san_result *res);
struct json_object *dsp_ata_hidden_json(const struct dsp_ata_hidden *h);
/*
 * Make the HPA's sectors accessible again (--restore-hidden): READ NATIVE
 * MAX ADDRESS (EXT) and at once SET MAX ADDRESS (EXT) to it with VV clear
 * (volatile: the drive brings its HPA back at the next power-on), or on an
 * Accessible Max Address drive GET NATIVE MAX ADDRESS EXT and SET
 * ACCESSIBLE MAX ADDRESS EXT (ACS-3: kept across power cycles). h is
 * dsp_ata_hidden's reading; the native max read now must still be
 * h->native (else -ESTALE, nothing set). 0, also when nothing is hidden
 * (nothing sent); DSP_UNSUPPORTED: no HPA/AMAC feature or native max not
 * known (nothing sent), or the drive aborted (locked or frozen max
 * address); DSP_REFUSED: security locked (nothing sent); -errno. Only the
 * accessible size changes: no user data is written.
 */
int dsp_ata_restore_max(struct dsp_io *io, const struct dsp_ata_identity *id,
			const struct dsp_ata_hidden *h, struct dsp_san_result *res);
/*
 * DEVICE CONFIGURATION RESTORE (B1h/C0h): the drive's factory
 * configuration, the sectors a DCO hides included; permanent. Nothing sent
 * with DSP_UNSUPPORTED (no DCO feature) or DSP_REFUSED (an HPA still set,
 * h->hpa: the drive would abort; or security locked). The drive aborting
 * (DCO frozen) is DSP_UNSUPPORTED. Re-read IDENTIFY afterwards.
 */
int dsp_ata_dco_restore(struct dsp_io *io, const struct dsp_ata_identity *id,
			const struct dsp_ata_hidden *h, struct dsp_san_result *res);

/*
 * SMART RETURN STATUS and SMART READ DATA as JSON: status "passed" /
 * "failing" / "unknown", attributes [{id, value, worst, raw}], and
 * reallocated_sectors (5), pending_sectors (197), power_on_hours (9, raw
 * bits 31:0) or null. SMART absent or disabled: DSP_UNSUPPORTED.
 */
int dsp_ata_smart(struct dsp_io *io, const struct dsp_ata_identity *id, struct json_object **out,
		  struct dsp_san_result *res);
/* Parse a SMART READ DATA page (no I/O); DSP_INVALID on a bad checksum. */
int dsp_ata_parse_smart(const uint8_t page[DSP_ATA_PAGE], const char *status, struct json_object **out);

#endif
