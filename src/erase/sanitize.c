/* SPDX-License-Identifier: MIT */
/* sanitize.c - the device's own sanitize as an erase technique: check, send, poll, record, label */
#include "erase_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dispose/json.h"
#include "dispose/log.h"

#define NVME_SANICAP_NDI (1u << 29)

/* What the device is and what it offers, read the same way at check and run time. */
struct san_dev {
	enum dsp_san_bus bus;
	struct dsp_san_caps caps;
	struct dsp_ata_identity ata;	/* bus ATA */
	char name[64];			/* kernel name: nvme0n1, sda, mmcblk0, loop3 */
	bool loop;
};

static void why_set(struct dsp_erase_why *why, int code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void why_set(struct dsp_erase_why *why, int code, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	why->code = code;
	snprintf(why->thing, sizeof(why->thing), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(why->reason, sizeof(why->reason), fmt, ap);
	va_end(ap);
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p ? p : "";
}

/*
 * Which bus answers, and its capabilities: NVMe admin Identify first, then
 * eMMC by name, then SCSI INQUIRY (vendor "ATA": IDENTIFY DEVICE through
 * SAT). Reads only. 0, DSP_UNSUPPORTED (nothing answers: *reason says
 * why), or -errno / DSP_INVALID of a command that answered wrongly.
 */
static int san_probe(struct dsp_io *io, const char *path, const struct dsp_blkdev_info *dev,
		     struct san_dev *sd, char *reason, size_t rlen)
{
	struct dsp_san_result res;
	int r;

	memset(sd, 0, sizeof(*sd));
	snprintf(sd->name, sizeof(sd->name), "%s", dev && dev->name[0] ? dev->name : base_name(path));
	sd->loop = !strncmp(sd->name, "loop", 4) || (dev && dev->backing_file[0]);
	reason[0] = '\0';

	r = dsp_nvme_identify(io, &sd->caps);
	if (r == 0) {
		sd->bus = DSP_SAN_BUS_NVME;
		return 0;
	}
	if (r != DSP_UNSUPPORTED) {
		snprintf(reason, rlen, "NVMe identify: %s", sd->caps.reason[0] ? sd->caps.reason :
			 strerror(-r));
		return r;
	}
	if (!strncmp(sd->name, "mmcblk", 6)) {
		memset(&sd->caps, 0, sizeof(sd->caps));
		sd->bus = sd->caps.bus = DSP_SAN_BUS_MMC;
		sd->caps.actions = DSP_SAN_CAP(DSP_SAN_SECDISCARD);
		return 0;
	}
	r = dsp_scsi_identify(io, &sd->caps);
	if (r == DSP_UNSUPPORTED) {
		memset(&sd->caps, 0, sizeof(sd->caps));
		snprintf(reason, rlen, "no device sanitize (%s): use an overwrite method or auto",
			 sd->loop ? "a loop device" : "the device answers no NVMe, SCSI or ATA command");
		return r;
	}
	if (r) {
		snprintf(reason, rlen, "SCSI identify: %s", sd->caps.reason[0] ? sd->caps.reason :
			 strerror(-r));
		return r;
	}
	sd->bus = DSP_SAN_BUS_SCSI;
	if (strcmp(sd->caps.vendor, "ATA"))
		return 0;
	/* an ATA drive behind a SCSI/ATA translator (libata, a USB bridge) */
	memset(&res, 0, sizeof(res));
	r = dsp_ata_identify(io, &sd->ata, &sd->caps, &res);
	if (r) {
		snprintf(reason, rlen, "ATA IDENTIFY DEVICE: %s", res.reason[0] ? res.reason :
			 strerror(r < 0 ? -r : EIO));
		return r == DSP_UNSUPPORTED ? r : r < 0 ? r : -EIO;
	}
	sd->bus = DSP_SAN_BUS_ATA;
	return 0;
}

/* The method's action as the sanitize module's (ATA SECURITY ERASE: enhanced when offered). */
static enum dsp_san_action san_action(enum dsp_method_action a, const struct san_dev *sd)
{
	switch (a) {
	case DSP_ACT_CRYPTO: return DSP_SAN_CRYPTO;
	case DSP_ACT_BLOCK: return DSP_SAN_BLOCK;
	case DSP_ACT_OVERWRITE: return DSP_SAN_OVERWRITE;
	case DSP_ACT_FORMAT_USER: return DSP_SAN_FORMAT_USER;
	case DSP_ACT_FORMAT_CRYPTO: return DSP_SAN_FORMAT_CRYPTO;
	case DSP_ACT_SECDISCARD: return DSP_SAN_SECDISCARD;
	case DSP_ACT_ATA_SECURITY_ERASE:
		return sd->bus == DSP_SAN_BUS_ATA && sd->ata.security && sd->ata.sec_enhanced ?
		       DSP_SAN_SECURITY_ERASE_ENH : DSP_SAN_SECURITY_ERASE;
	case DSP_ACT_NONE: break;
	}
	return DSP_SAN_NONE;
}

/* The action in words, for messages. */
static const char *action_words(enum dsp_method_action a)
{
	switch (a) {
	case DSP_ACT_CRYPTO: return "sanitize crypto erase";
	case DSP_ACT_BLOCK: return "sanitize block erase";
	case DSP_ACT_OVERWRITE: return "sanitize overwrite";
	case DSP_ACT_FORMAT_USER: return "Format NVM user data erase";
	case DSP_ACT_FORMAT_CRYPTO: return "Format NVM cryptographic erase";
	case DSP_ACT_SECDISCARD: return "secure discard";
	case DSP_ACT_ATA_SECURITY_ERASE: return "ATA SECURITY ERASE UNIT";
	case DSP_ACT_NONE: break;
	}
	return "no sanitize action";
}

/* Which capability register said no, for the message ("SANICAP 0", "IDENTIFY word 59"). */
static void cap_words(const struct san_dev *sd, enum dsp_method_action a, char *buf, size_t len)
{
	const struct dsp_san_caps *c = &sd->caps;

	buf[0] = '\0';
	switch (sd->bus) {
	case DSP_SAN_BUS_NVME:
		if (a == DSP_ACT_FORMAT_USER)
			snprintf(buf, len, " (OACS %#x)", c->nvme_oacs);
		else if (a == DSP_ACT_FORMAT_CRYPTO)
			snprintf(buf, len, " (FNA %#x)", c->nvme_fna);
		else if (a <= DSP_ACT_OVERWRITE)
			snprintf(buf, len, " (SANICAP %#x)", c->nvme_sanicap);
		break;
	case DSP_SAN_BUS_ATA:
		if (a == DSP_ACT_ATA_SECURITY_ERASE)
			snprintf(buf, len, " (IDENTIFY word 128)");
		else if (a <= DSP_ACT_OVERWRITE)
			snprintf(buf, len, " (IDENTIFY word 59)");
		break;
	case DSP_SAN_BUS_SCSI:
		if (a <= DSP_ACT_OVERWRITE && c->scsi_rsoc)
			snprintf(buf, len, " (REPORT SUPPORTED OPERATION CODES)");
		break;
	case DSP_SAN_BUS_MMC:
	case DSP_SAN_BUS_NONE:
		break;
	}
}

/* Shipped methods whose action this device offers: "sanitize-block or auto". */
static void suggest(const struct san_dev *sd, char *buf, size_t len)
{
	static const struct { enum dsp_san_action a; const char *m; } tab[] = {
		{ DSP_SAN_CRYPTO, "sanitize-crypto" }, { DSP_SAN_BLOCK, "sanitize-block" },
		{ DSP_SAN_OVERWRITE, "sanitize-overwrite" },
		{ DSP_SAN_FORMAT_CRYPTO, "format-crypto" },
		{ DSP_SAN_FORMAT_USER, "format-user-data" },
	};
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < DSP_ARRAY_SIZE(tab); i++) {
		if (!(sd->caps.actions & DSP_SAN_CAP(tab[i].a)) ||
		    (tab[i].a >= DSP_SAN_FORMAT_USER && sd->bus != DSP_SAN_BUS_NVME))
			continue;
		if (k < len)
			k += (size_t)snprintf(buf + k, len - k, "%s, ", tab[i].m);
	}
	if (k < len)
		snprintf(buf + k, len - k, "auto");
	/* "a, b, auto" -> "a, b or auto" */
	char *c = strrchr(buf, ',');

	if (c && (size_t)(c - buf) + 8 < len) {
		memmove(c + 3, c + 1, strlen(c + 1) + 1);
		memcpy(c, " or", 3);
	}
}

/* The medium is rotational: the device module's fact, else ATA word 217. -1 unknown. */
static int medium_rotational(const struct san_dev *sd, const struct dsp_blkdev_info *dev)
{
	if (sd->bus == DSP_SAN_BUS_ATA && sd->ata.rotation == 1)
		return 0;
	if (sd->bus == DSP_SAN_BUS_ATA && sd->ata.rotation >= 0x401 && sd->ata.rotation != 0xffff)
		return 1;
	return dev ? dev->rotational : -1;
}

/*
 * The highest category the action can reach on this medium (never raised
 * later): the device's sanitize and a cryptographic format purge; a user
 * data format, secure discard and ATA SECURITY ERASE on flash clear (their
 * reach into the spare area is not defined). *why says why not purge.
 */
static enum dsp_category action_reach(enum dsp_san_action a, int rotational, const char **why)
{
	*why = NULL;
	switch (a) {
	case DSP_SAN_CRYPTO:
	case DSP_SAN_BLOCK:
	case DSP_SAN_OVERWRITE:
	case DSP_SAN_FORMAT_CRYPTO:
		return DSP_CAT_PURGE;
	case DSP_SAN_SECURITY_ERASE:
	case DSP_SAN_SECURITY_ERASE_ENH:
		if (rotational == 1)
			return DSP_CAT_PURGE;
		*why = rotational == 0 ? "ATA SECURITY ERASE on flash is Clear: it need not reach the spare area"
				       : "ATA SECURITY ERASE on a medium not known to be rotational is Clear";
		return DSP_CAT_CLEAR;
	case DSP_SAN_FORMAT_USER:
		*why = "a Format NVM user data erase is Clear: the device need not erase the spare area "
		       "(format-crypto or sanitize-crypto for Purge)";
		return DSP_CAT_CLEAR;
	case DSP_SAN_SECDISCARD:
		*why = "secure discard is Clear: it acts on mapped blocks, not the whole medium";
		return DSP_CAT_CLEAR;
	default:
		break;
	}
	*why = "no sanitize action";
	return DSP_CAT_NONE;
}

/* Where the kernel lists block devices; test builds may point elsewhere. */
static const char *sys_block(void)
{
#ifdef DSP_TEST_HOOKS
	const char *d = getenv("DISPOSE_TEST_SYS_BLOCK");

	if (d && *d)
		return d;
#endif
	return "/sys/block";
}

/*
 * The namespaces of target name's controller that have a block device
 * (nvme0n1 -> nvme0n1, nvme0n2 ...): how many, the target included; the
 * others' names into buf.
 */
static unsigned ns_block_devices(const char *name, char *buf, size_t len)
{
	char prefix[64];
	const char *n = strrchr(name, 'n');
	size_t k = 0;
	unsigned count = 0;
	struct dirent *e;
	DIR *d;

	buf[0] = '\0';
	if (strncmp(name, "nvme", 4) || !n || n == name + 3)
		return 0;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(n - name + 1), name);
	d = opendir(sys_block());
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		const char *s = e->d_name + strlen(prefix);

		if (strncmp(e->d_name, prefix, strlen(prefix)) || !*s || strspn(s, "0123456789") != strlen(s))
			continue;
		count++;
		if (!strcmp(e->d_name, name))
			continue;
		if (k < len)
			k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? ", " : "", e->d_name);
	}
	closedir(d);
	return count;
}

/* The device's sanitize state now: the running check, and sanitize_sent's "status_before". */
struct san_state {
	bool known;			/* read (NVMe log, ATA SANITIZE STATUS EXT, SCSI sense) */
	bool running;
	uint32_t progress;		/* of 65536, while running (0: not said) */
	uint16_t sstat;			/* NVMe */
	uint32_t scdw10;
	uint16_t ata_count;		/* ATA: the COUNT output */
	bool completed_ok, failed;	/* ATA: COUNT bit 15; the status command aborted */
};

/*
 * Read it without changing anything. 0 (st->known false where there is no
 * such status: eMMC, ATA SECURITY ERASE, an NVMe format without the
 * sanitize log), or the error of a read the action needs, why in reason.
 */
static int san_state(struct dsp_io *io, const struct san_dev *sd, enum dsp_san_action a,
		     struct san_state *st, char *reason, size_t len)
{
	struct dsp_ata_san_status as;
	struct dsp_san_result res;
	int r;

	memset(st, 0, sizeof(*st));
	memset(&res, 0, sizeof(res));
	reason[0] = '\0';
	switch (sd->bus) {
	case DSP_SAN_BUS_NVME:
		r = dsp_nvme_sanitize_status(io, &res);
		if (r && (a == DSP_SAN_FORMAT_USER || a == DSP_SAN_FORMAT_CRYPTO))
			return 0;
		break;
	case DSP_SAN_BUS_ATA:
		if (a == DSP_SAN_SECURITY_ERASE || a == DSP_SAN_SECURITY_ERASE_ENH)
			return 0;
		r = dsp_ata_sanitize_status(io, false, &as, &res);
		if (!r) {
			st->running = as.in_progress;
			st->progress = as.progress;
			st->completed_ok = as.completed_ok;
			st->failed = as.failed;
			st->ata_count = res.ata_count;
		}
		break;
	case DSP_SAN_BUS_SCSI:
		r = dsp_scsi_sanitize_status(io, &st->running, &st->progress, &res);
		break;
	default:
		return 0;
	}
	if (r) {
		snprintf(reason, len, "the device's sanitize status cannot be read: %s",
			 res.reason[0] ? res.reason : strerror(r < 0 ? -r : EIO));
		return r == -EPROTO ? DSP_UNSUPPORTED : r;
	}
	if (sd->bus == DSP_SAN_BUS_NVME) {
		st->sstat = res.sstat;
		st->scdw10 = res.scdw10;
		st->running = (res.sstat & 7) == 2;
		st->progress = res.sprog;
	}
	st->known = true;
	return 0;
}

/* sanitize_sent's "status_before": what a resume compares the device's status with. */
static struct json_object *state_json(const struct san_dev *sd, const struct san_state *st)
{
	struct json_object *o = json_object_new_object();
	char hex[16];

	json_object_object_add(o, "in_progress", json_object_new_boolean(st->running));
	if (sd->bus == DSP_SAN_BUS_NVME) {
		snprintf(hex, sizeof(hex), "0x%04x", st->sstat);
		json_object_object_add(o, "sstat", json_object_new_string(hex));
		snprintf(hex, sizeof(hex), "0x%08x", st->scdw10);
		json_object_object_add(o, "scdw10", json_object_new_string(hex));
		json_object_object_add(o, "global_data_erased",
				       json_object_new_boolean(st->sstat & 1u << 8));
	} else if (sd->bus == DSP_SAN_BUS_ATA) {
		snprintf(hex, sizeof(hex), "0x%04x", st->ata_count);
		json_object_object_add(o, "count", json_object_new_string(hex));
		json_object_object_add(o, "completed_ok", json_object_new_boolean(st->completed_ok));
		json_object_object_add(o, "failed", json_object_new_boolean(st->failed));
	}
	return o;
}

/* A running sanitize, in words: "40% done" */
static void running_words(const struct san_state *st, char *buf, size_t len)
{
	if (st->progress && st->progress < 65536)
		snprintf(buf, len, "%u%% done", (unsigned)((uint64_t)st->progress * 100 / 65536));
	else
		snprintf(buf, len, "progress not reported");
}

/*
 * At run time, a running NVMe sanitize with our action on a controller whose
 * every namespace is a target of this run: another namespace's target of the
 * same run sent it (the check, before any target started, refused one
 * already running), so it is polled, not refused.
 */
static bool ours_running(const struct san_dev *sd, enum dsp_san_action a, bool all_ns,
			 const struct san_state *st)
{
	uint32_t sanact = a == DSP_SAN_BLOCK ? 2 : a == DSP_SAN_OVERWRITE ? 3 : 4;

	return sd->bus == DSP_SAN_BUS_NVME && a <= DSP_SAN_OVERWRITE && all_ns &&
	       sd->caps.nvme_active_ns > 1 && (st->scdw10 & 7) == sanact;
}

/*
 * Can the action run on this device now: offered, not frozen or locked,
 * every namespace a target. 0, DSP_UNSUPPORTED or DSP_REFUSED with why.
 * Reads only (ATA SANITIZE STATUS EXT without clearing anything).
 */
static int san_support(struct dsp_io *io, const char *path, const struct dsp_blkdev_info *dev,
		       const struct san_dev *sd, const struct dsp_method *m,
		       enum dsp_category requested, bool all_ns, bool run, struct dsp_erase_why *why)
{
	enum dsp_san_action a = san_action(m->action, sd);
	const struct dsp_san_caps *c = &sd->caps;
	enum dsp_category want = requested != DSP_CAT_NONE ? requested : m->category;
	char capw[64], alt[160];
	const char *cw;

	cap_words(sd, m->action, capw, sizeof(capw));
	suggest(sd, alt, sizeof(alt));
	if (a == DSP_SAN_NONE) {
		why_set(why, DSP_UNSUPPORTED, path, "method %s has no sanitize action", m->name);
		return DSP_UNSUPPORTED;
	}
	/* actions of one bus only */
	if ((a == DSP_SAN_FORMAT_USER || a == DSP_SAN_FORMAT_CRYPTO) && sd->bus != DSP_SAN_BUS_NVME) {
		why_set(why, DSP_UNSUPPORTED, path, "%s needs an NVMe namespace, this is a %s device; try %s",
			action_words(m->action), dsp_san_bus_name(sd->bus), alt);
		return DSP_UNSUPPORTED;
	}
	if ((a == DSP_SAN_SECURITY_ERASE || a == DSP_SAN_SECURITY_ERASE_ENH) && sd->bus != DSP_SAN_BUS_ATA) {
		why_set(why, DSP_UNSUPPORTED, path, "%s needs an ATA drive, this is a %s device; try %s",
			action_words(m->action), dsp_san_bus_name(sd->bus), alt);
		return DSP_UNSUPPORTED;
	}
	if (a == DSP_SAN_SECDISCARD && sd->bus != DSP_SAN_BUS_MMC) {
		why_set(why, DSP_UNSUPPORTED, path, "secure discard is for eMMC devices, this is a %s device; try %s",
			dsp_san_bus_name(sd->bus), alt);
		return DSP_UNSUPPORTED;
	}
	if (sd->bus == DSP_SAN_BUS_MMC && a != DSP_SAN_SECDISCARD) {
		why_set(why, DSP_UNSUPPORTED, path, "an eMMC device offers only secure discard (method "
			"secdiscard), not %s", action_words(m->action));
		return DSP_UNSUPPORTED;
	}
	/* a locked drive holds someone's password: refused whatever the action */
	if (sd->bus == DSP_SAN_BUS_ATA && c->locked) {
		why_set(why, DSP_REFUSED, path, "%s", c->reason);
		return DSP_REFUSED;
	}
	if (!(c->actions & DSP_SAN_CAP(a)) && !(sd->bus == DSP_SAN_BUS_SCSI && !c->scsi_rsoc)) {
		why_set(why, DSP_UNSUPPORTED, path, "the device does not support %s%s; try %s",
			action_words(m->action), capw, alt);
		return DSP_UNSUPPORTED;
	}
	if (a == DSP_SAN_FORMAT_USER || a == DSP_SAN_FORMAT_CRYPTO) {
		if (!c->nvme_nsid) {
			why_set(why, DSP_UNSUPPORTED, path, "Format NVM needs a namespace device "
				"(/dev/nvmeXnY), not the controller");
			return DSP_UNSUPPORTED;
		}
	}
	/* NVMe sanitize erases the subsystem, a format with FNA bit 0/1 every namespace */
	if (sd->bus == DSP_SAN_BUS_NVME && c->nvme_active_ns > 1 &&
	    (a <= DSP_SAN_OVERWRITE || (c->nvme_fna & 3))) {
		char others[512];
		unsigned nodes = ns_block_devices(sd->name, others, sizeof(others));

		if (c->nvme_active_ns == UINT32_MAX)
			why_set(why, DSP_REFUSED, path, "%s erases every namespace of the controller, "
				"whose count is unknown: refused", action_words(m->action));
		else if (all_ns && nodes == c->nvme_active_ns)
			goto scope_ok;
		else if (all_ns)
			/* a namespace without a block device (ngXnY only) cannot be named */
			why_set(why, DSP_REFUSED, path, "%s erases all %u active namespaces of the "
				"controller, but the targets of this run are its %u namespace block "
				"device%s (%s%s%s): a namespace without one cannot be named as a "
				"target; refused", action_words(m->action), c->nvme_active_ns, nodes,
				nodes == 1 ? "" : "s", sd->name, others[0] ? ", " : "", others);
		else
			why_set(why, DSP_REFUSED, path, "%s erases all %u namespaces of the controller; "
				"%s%s%s not a target of this run: name every namespace as a target%s",
				action_words(m->action), c->nvme_active_ns,
				others[0] ? "the others (" : "the others are", others,
				others[0] ? ") are" : "",
				a <= DSP_SAN_OVERWRITE && (c->actions & DSP_SAN_CAP(DSP_SAN_FORMAT_USER)) &&
				!(c->nvme_fna & 3) ? ", or use format-user-data (this namespace only)" : "");
		return DSP_REFUSED;
	}
scope_ok:
	if (sd->bus == DSP_SAN_BUS_ATA) {
		if (a == DSP_SAN_SECURITY_ERASE || a == DSP_SAN_SECURITY_ERASE_ENH) {
			if (sd->ata.sec_enabled) {
				why_set(why, DSP_REFUSED, path, "a security password is already set on the "
					"drive; dispose erases only with a password it sets itself (disable "
					"it with hdparm --security-disable first)");
				return DSP_REFUSED;
			}
			if (c->frozen) {
				why_set(why, DSP_UNSUPPORTED, path, "%s", c->reason);
				return DSP_UNSUPPORTED;
			}
			if (sd->ata.sec_count_expired) {
				why_set(why, DSP_UNSUPPORTED, path, "security password attempt counter "
					"expired: power-cycle the drive, then run again");
				return DSP_UNSUPPORTED;
			}
		} else {
			struct dsp_ata_san_status st;
			struct dsp_san_result res;
			int r;

			memset(&res, 0, sizeof(res));
			r = dsp_ata_sanitize_status(io, false, &st, &res);
			if (r == -EPROTO) {
				/* never start a sanitize whose progress cannot be read */
				why_set(why, DSP_UNSUPPORTED, path, "%s", res.reason);
				return DSP_UNSUPPORTED;
			}
			if (r) {
				why_set(why, r, path, "SANITIZE STATUS EXT: %s", res.reason[0] ?
					res.reason : strerror(r < 0 ? -r : EIO));
				return r < 0 ? r : DSP_UNSUPPORTED;
			}
			if (st.frozen) {
				why_set(why, DSP_UNSUPPORTED, path, "sanitize frozen (SANITIZE FREEZE LOCK "
					"since power-on): power-cycle the drive (hot-plug it or power "
					"the machine off and on), then run again");
				return DSP_UNSUPPORTED;
			}
			if (st.in_progress) {
				struct san_state ss = { .running = true, .progress = st.progress };

				running_words(&ss, alt, sizeof(alt));
				why_set(why, DSP_REFUSED, path, "a sanitize is already running on the "
					"device (%s), not started by this run: wait for it to end, then "
					"run again", alt);
				return DSP_REFUSED;
			}
		}
	} else {
		struct san_state ss;
		char reason[300];
		int r = san_state(io, sd, a, &ss, reason, sizeof(reason));

		if (r) {
			why_set(why, r == DSP_UNSUPPORTED || r == DSP_REFUSED ? r : DSP_UNSUPPORTED,
				path, "%s", reason);
			return r == DSP_REFUSED ? r : DSP_UNSUPPORTED;
		}
		/* a sanitize someone else started: what it does is not what this run records */
		if (ss.running && !(run && ours_running(sd, a, all_ns, &ss))) {
			running_words(&ss, alt, sizeof(alt));
			why_set(why, DSP_REFUSED, path, "a sanitize is already running on the device "
				"(%s), not started by this run: wait for it to end, then run again", alt);
			return DSP_REFUSED;
		}
	}
	/* the category asked for (--category, else the method's): one the action cannot reach fails now */
	if (action_reach(a, medium_rotational(sd, dev), &cw) < want) {
		if (requested != DSP_CAT_NONE && requested != m->category)
			why_set(why, DSP_UNSUPPORTED, path, "%s requested, but %s; nothing written",
				dsp_category_name(want), cw);
		else
			why_set(why, DSP_UNSUPPORTED, path, "method %s asks for %s, but %s", m->name,
				dsp_category_name(m->category), cw);
		return DSP_UNSUPPORTED;
	}
	return 0;
}

int dsp_erase_sanitize_check(struct dsp_io *io, const char *path, const struct dsp_blkdev_info *dev,
			     const struct dsp_method *method, enum dsp_category requested,
			     bool all_namespaces, struct dsp_erase_why *why)
{
	struct san_dev sd;
	char reason[320];
	int r;

	if (!path)
		path = io && io->path ? io->path : "";
	if (!io || !method || method->technique != DSP_TECH_SANITIZE) {
		why_set(why, -EINVAL, path, "not a sanitize method");
		return -EINVAL;
	}
	if (dev && dev->is_partition) {
		why_set(why, DSP_UNSUPPORTED, path, "a device sanitize erases the whole device, not a "
			"partition: name the disk (%s)", dev->disk);
		return DSP_UNSUPPORTED;
	}
	r = san_probe(io, path, dev, &sd, reason, sizeof(reason));
	if (r) {
		why_set(why, r, path, "%s", reason);
		return r;
	}
	return san_support(io, path, dev, &sd, method, requested, all_namespaces, false, why);
}

/* ---- run time ---- */

/* The record of this target so far (resume). */
struct san_rec {
	const char *id;
	bool seen;			/* a target event */
	struct json_object *sent;	/* the last sanitize_sent (a reference) */
	struct json_object *end;	/* the sanitize_end after it, or NULL */
	bool finished;			/* a target_end after it, not "interrupted" */
};

static int rec_visit(struct json_object *ev, void *arg)
{
	struct san_rec *s = arg;
	const char *name = dsp_json_str(ev, "event"), *t = dsp_json_str(ev, "target");

	if (!name || !t || strcmp(t, s->id))
		return 0;
	if (!strcmp(name, "target") || !strcmp(name, "target_resumed")) {
		s->seen = true;
	} else if (!strcmp(name, "sanitize_sent")) {
		json_object_put(s->sent);
		json_object_put(s->end);
		s->sent = json_object_get(ev);
		s->end = NULL;
		s->finished = false;
	} else if (!strcmp(name, "sanitize_end")) {
		json_object_put(s->end);
		s->end = json_object_get(ev);
	} else if (!strcmp(name, "target_end")) {
		const char *st = dsp_json_str(ev, "status");

		s->finished = !st || strcmp(st, "interrupted");
	}
	return 0;
}

struct san_run {
	struct dsp_io *io;
	const struct dsp_erase_opts *o;
	struct eng e;			/* for the shared event and progress helpers */
	struct san_dev sd;
	enum dsp_san_action act;
	struct dsp_san_result res;
	struct json_object *result;	/* what the record says of the outcome (sanitize_end) */
	struct json_object *health_before, *health_after, *hidden;
	struct json_object *caveats;
	char password[40];		/* ATA SECURITY ERASE */
	int rotational;
	bool resumed_poll;		/* the sanitize was sent before: polled, not sent */
};

static int san_progress(uint32_t done, void *arg)
{
	struct san_run *s = arg;
	uint64_t size = s->io->size;

	s->e.all_done = size / 65536 * done;
	return eng_progress(&s->e, "sanitize", 1, s->e.all_done, size, done >= 65536);
}

static struct dsp_san_opts san_opts(struct san_run *s)
{
	struct dsp_san_opts o;

	if (s->o->san)
		o = *s->o->san;
	else
		memset(&o, 0, sizeof(o));
	o.action = s->act;
	o.all_namespaces = s->o->all_namespaces;
	/* No-Deallocate where offered: the read-back then sees the media */
	o.no_dealloc = s->sd.bus == DSP_SAN_BUS_NVME && s->act <= DSP_SAN_OVERWRITE && s->sd.caps.no_dealloc;
	if (!o.stop)
		o.stop = s->o->stop;
	if (!o.progress) {
		o.progress = san_progress;
		o.progress_arg = s;
	}
	return o;
}

static struct json_object *caps_json(const struct san_dev *sd)
{
	const struct dsp_san_caps *c = &sd->caps;
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	char hex[16];

	for (unsigned i = DSP_SAN_CRYPTO; i <= DSP_SAN_SECDISCARD; i++)
		if (c->actions & DSP_SAN_CAP(i))
			json_object_array_add(a, json_object_new_string(dsp_san_action_name(i)));
	json_object_object_add(o, "bus", json_object_new_string(dsp_san_bus_name(sd->bus)));
	json_object_object_add(o, "actions", a);
	dsp_json_add_bytes(o, "vendor", c->vendor);
	dsp_json_add_bytes(o, "model", c->model);
	dsp_json_add_bytes(o, "serial", c->serial);
	dsp_json_add_bytes(o, "firmware", c->firmware);
	dsp_json_add_bytes(o, "wwn", c->wwn);
	json_object_object_add(o, "no_dealloc", json_object_new_boolean(c->no_dealloc));
	json_object_object_add(o, "media_verification", json_object_new_boolean(c->media_verification));
	if (sd->bus == DSP_SAN_BUS_NVME) {
		snprintf(hex, sizeof(hex), "0x%08x", c->nvme_sanicap);
		json_object_object_add(o, "sanicap", json_object_new_string(hex));
		snprintf(hex, sizeof(hex), "0x%02x", c->nvme_fna);
		json_object_object_add(o, "fna", json_object_new_string(hex));
		snprintf(hex, sizeof(hex), "0x%04x", c->nvme_oacs);
		json_object_object_add(o, "oacs", json_object_new_string(hex));
		json_object_object_add(o, "nsid", json_object_new_int64(c->nvme_nsid));
		json_object_object_add(o, "active_namespaces", c->nvme_active_ns == UINT32_MAX ? NULL :
				       json_object_new_int64(c->nvme_active_ns));
	}
	if (sd->bus == DSP_SAN_BUS_SCSI)
		json_object_object_add(o, "reports_commands", json_object_new_boolean(c->scsi_rsoc));
	if (sd->bus == DSP_SAN_BUS_ATA) {
		json_object_object_add(o, "ata", dsp_ata_identity_json(&sd->ata));
		json_object_object_add(o, "frozen", json_object_new_boolean(c->frozen));
		json_object_object_add(o, "locked", json_object_new_boolean(c->locked));
	}
	return o;
}

static void hexs(char *buf, size_t len, const uint8_t *b, size_t n)
{
	size_t k = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && k + 3 < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%02x", i ? " " : "", b[i]);
}

/*
 * The command as the sanitize module encodes it (NVMe dwords, the ATA
 * PASS-THROUGH(16) or SCSI CDB), for sanitize_sent: what was asked of the
 * device is on record before it is asked.
 */
static void command_text(const struct san_run *s, const struct dsp_san_opts *o, char *buf, size_t len)
{
	const struct dsp_san_caps *c = &s->sd.caps;
	static const uint8_t sa[] = { [DSP_SAN_OVERWRITE] = 1, [DSP_SAN_BLOCK] = 2, [DSP_SAN_CRYPTO] = 3 };
	uint8_t cdb[16];
	char hex[64];

	switch (s->act) {
	case DSP_SAN_CRYPTO:
	case DSP_SAN_BLOCK:
	case DSP_SAN_OVERWRITE:
		if (s->sd.bus == DSP_SAN_BUS_NVME) {
			uint32_t sanact = s->act == DSP_SAN_BLOCK ? 2 : s->act == DSP_SAN_OVERWRITE ? 3 : 4;
			uint32_t cdw10 = sanact | (s->act == DSP_SAN_OVERWRITE ? 1u << 4 : 0) |
					 (o->no_dealloc ? 1u << 9 : 0);

			snprintf(buf, len, "nvme admin opcode 0x84 (Sanitize) nsid 0 cdw10 0x%08x cdw11 0x%08x",
				 cdw10, 0u);
		} else if (s->sd.bus == DSP_SAN_BUS_ATA) {
			static const uint16_t feat[] = { [DSP_SAN_CRYPTO] = 0x11, [DSP_SAN_BLOCK] = 0x12,
							 [DSP_SAN_OVERWRITE] = 0x14 };
			uint64_t lba = s->act == DSP_SAN_CRYPTO ? 0x43727970u : s->act == DSP_SAN_BLOCK ?
				       0x426b4572u : (uint64_t)0x4f57u << 32;

			memset(cdb, 0, sizeof(cdb));
			cdb[0] = 0x85;
			cdb[1] = 3 << 1 | 1;
			cdb[2] = 0x20;
			cdb[4] = (uint8_t)feat[s->act];
			cdb[6] = s->act == DSP_SAN_OVERWRITE ? 1 : 0;
			cdb[7] = (uint8_t)(lba >> 24);
			cdb[8] = (uint8_t)lba;
			cdb[9] = (uint8_t)(lba >> 32);
			cdb[10] = (uint8_t)(lba >> 8);
			cdb[11] = (uint8_t)(lba >> 40);
			cdb[12] = (uint8_t)(lba >> 16);
			cdb[13] = 0x40;
			cdb[14] = 0xb4;
			hexs(hex, sizeof(hex), cdb, 16);
			snprintf(buf, len, "ATA PASS-THROUGH(16) %s (SANITIZE %s)", hex,
				 dsp_san_action_name(s->act));
		} else {
			memset(cdb, 0, sizeof(cdb));
			cdb[0] = 0x48;
			cdb[1] = (uint8_t)(0x80 | sa[s->act]);
			cdb[8] = s->act == DSP_SAN_OVERWRITE ? 8 : 0;
			hexs(hex, sizeof(hex), cdb, 10);
			snprintf(buf, len, "SCSI CDB %s (SANITIZE, IMMED)", hex);
		}
		break;
	case DSP_SAN_FORMAT_USER:
	case DSP_SAN_FORMAT_CRYPTO: {
		uint32_t ses = s->act == DSP_SAN_FORMAT_USER ? 1 : 2;
		uint32_t lbaf = (c->nvme_flbas & 0xfu) | ((c->nvme_flbas >> 5) & 3u) << 4;
		uint32_t cdw10 = (lbaf & 0xfu) | ((c->nvme_flbas >> 4) & 1u) << 4 | (c->nvme_dps & 7u) << 5 |
				 ((c->nvme_dps >> 3) & 1u) << 8 | ses << 9 | (lbaf >> 4) << 12;

		snprintf(buf, len, "nvme admin opcode 0x80 (Format NVM) nsid %u cdw10 0x%08x",
			 c->nvme_nsid, cdw10);
		break;
	}
	case DSP_SAN_SECURITY_ERASE:
	case DSP_SAN_SECURITY_ERASE_ENH:
		snprintf(buf, len, "ATA SECURITY SET PASSWORD (f1h, user, high), SECURITY ERASE PREPARE "
			 "(f3h), SECURITY ERASE UNIT (f4h, control %04xh)",
			 s->act == DSP_SAN_SECURITY_ERASE_ENH ? 0x0002 : 0x0000);
		break;
	case DSP_SAN_SECDISCARD:
		snprintf(buf, len, "BLKSECDISCARD [0, %" PRIu64 ") in 1 GiB steps", s->io->size);
		break;
	default:
		snprintf(buf, len, "none");
	}
}

/* Health through the same path as the sanitize: NVMe health log, ATA SMART; NULL: none. */
static struct json_object *read_health(struct san_run *s)
{
	struct json_object *h = NULL, *o;
	struct dsp_san_result res;
	int r;

	memset(&res, 0, sizeof(res));
	if (s->sd.bus == DSP_SAN_BUS_NVME)
		r = dsp_nvme_health(s->io, &h);
	else if (s->sd.bus == DSP_SAN_BUS_ATA)
		r = dsp_ata_smart(s->io, &s->sd.ata, &h, &res);
	else
		return NULL;
	if (r == 0)
		return h;
	o = json_object_new_object();
	json_object_object_add(o, "unavailable", json_object_new_string(
		res.reason[0] ? res.reason : r == DSP_UNSUPPORTED ? "not supported by the device" :
		strerror(r < 0 ? -r : EIO)));
	return o;
}

/* Does a health object report failure? NVMe: "failing"; ATA SMART: status "failing". */
static bool health_failing(struct json_object *h, char *what, size_t len)
{
	struct json_object *w;
	bool f = false;

	if (!h)
		return false;
	if (dsp_json_bool(h, "failing", &f) == 0 && f) {
		what[0] = '\0';
		if (json_object_object_get_ex(h, "critical_warnings", &w))
			snprintf(what, len, "NVMe critical warning %s", json_object_to_json_string_ext(
					 w, JSON_C_TO_STRING_PLAIN));
		return true;
	}
	if (dsp_json_str(h, "status") && !strcmp(dsp_json_str(h, "status"), "failing")) {
		snprintf(what, len, "ATA SMART status failing");
		return true;
	}
	return false;
}

static void add_caveat(struct san_run *s, const char *c)
{
	struct json_object *one = json_object_new_array();

	json_object_array_add(one, json_object_new_string(c));
	erase_caveats_union(s->caveats, one, NULL);
	json_object_put(one);
}

static int san_event(struct san_run *s, const char *name, struct json_object *f, int sync)
{
	return eng_event(&s->e, name, f, sync);
}

static struct json_object *target_fields(struct san_run *s)
{
	const struct dsp_erase_opts *o = s->o;
	struct dsp_io *io = s->io;
	struct json_object *f = dsp_record_target_start(io->path, "block", NULL);
	struct json_object *id = json_object_new_object();
	enum dsp_category req = o->requested != DSP_CAT_NONE ? o->requested : o->method->category;

	json_object_object_add(f, "size", json_object_new_int64((int64_t)io->size));
	eng_target_identity(id, io, true, s->rotational, o->device, o->identity);
	json_object_object_add(f, "identity", id);
	json_object_object_add(f, "method", dsp_method_to_json(o->method));
	json_object_object_add(f, "technique", json_object_new_string("sanitize"));
	json_object_object_add(f, "category_requested", json_object_new_string(dsp_category_name(req)));
	if (o->auto_reason)
		json_object_object_add(f, "auto_reason", json_object_new_string(o->auto_reason));
	json_object_object_add(f, "verify", json_object_new_string(erase_verify_name(o->verify)));
	if (o->verify == DSP_VERIFY_SAMPLE)
		json_object_object_add(f, "sample_percent", dsp_json_new_decimal(s->e.pct));
	json_object_object_add(f, "readmode", json_object_new_string(dsp_io_readmode_name(io->readmode)));
	json_object_object_add(f, "device", caps_json(&s->sd));
	return f;
}

/* Is the device the one checked (and recorded)? Its serial against the device module's. */
static bool same_device(const struct san_run *s, char *why, size_t len)
{
	const struct dsp_blkdev_info *d = s->o->device;
	const char *want = NULL, *alt = NULL;

	if (d) {
		want = d->serial[0] ? d->serial : NULL;
		alt = d->sysfs_serial[0] ? d->sysfs_serial : NULL;
	}
	if (!want && s->o->identity)
		want = dsp_json_str(s->o->identity, "serial");
	if (!want || !*want || !s->sd.caps.serial[0] || s->sd.bus == DSP_SAN_BUS_MMC)
		return true;	/* nothing to compare: the device module's identity check stands */
	if (!strcmp(want, s->sd.caps.serial) || (alt && !strcmp(alt, s->sd.caps.serial)))
		return true;
	snprintf(why, len, "the device answers with serial \"%s\", the target checked has \"%s\": "
		 "refused", s->sd.caps.serial, want);
	return false;
}

/*
 * Read back what the device left and compare it with zeros where the action
 * defines them: every byte (last/all) or the NIST sample. Returns 0,
 * DSP_MISMATCH, DSP_PARTIAL (unreadable), DSP_INTERRUPTED or -errno; the
 * words go to text.
 */
static bool zeros_defined(const struct san_run *s)
{
	switch (s->act) {
	case DSP_SAN_OVERWRITE:		/* our pattern: 0 */
	case DSP_SAN_FORMAT_USER:	/* erased blocks read as the device's deallocated value */
	case DSP_SAN_FORMAT_CRYPTO:
	case DSP_SAN_SECURITY_ERASE:	/* normal mode writes zeros (ACS-3 7.50) */
		return true;
	case DSP_SAN_CRYPTO:
	case DSP_SAN_BLOCK:
		return s->sd.bus == DSP_SAN_BUS_NVME && s->res.dealloc;
	default:
		return false;
	}
}

static int verify_zeros(struct san_run *s, char *text, size_t tlen)
{
	struct dsp_io *io = s->io;
	struct ranges ext = { 0 };
	uint64_t strata = 0, ends = 0, seed = 0, off, total = 0, done = 0, first = 0;
	const size_t chunk = 1u << 20;
	uint8_t *buf;
	int r = 0;

	s->e.res->bytes_verified = 0;
	if (s->o->verify == DSP_VERIFY_NONE) {
		snprintf(text, tlen, "not read back: the device's completion status is the evidence");
		return 0;
	}
	if (!zeros_defined(s)) {
		snprintf(text, tlen, "not read back: what the device returns after %s is not defined",
			 dsp_san_action_name(s->act));
		return 0;
	}
	if (s->o->verify == DSP_VERIFY_SAMPLE) {
		if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
			return -EIO;
		r = erase_sample_extents(io->size, io->logical_sector ? io->logical_sector : 512,
					 s->e.pct, seed, &ext, &strata, &ends);
	} else {
		r = ranges_add(&ext, 0, io->size);
	}
	if (r < 0) {
		ranges_free(&ext);
		return r;
	}
	for (size_t i = 0; i < ext.n; i++)
		total += ext.v[i].len;
	buf = dsp_io_buf_alloc(chunk);
	if (!buf) {
		ranges_free(&ext);
		return -ENOMEM;
	}
	/* the page cache may still hold what was there before */
	dsp_io_drop_cache(io, 0, io->size);
	for (size_t i = 0; i < ext.n && !r; i++) {
		for (off = ext.v[i].off; off < ext.v[i].off + ext.v[i].len; off += chunk) {
			size_t n = (size_t)(ext.v[i].off + ext.v[i].len - off < chunk ?
					    ext.v[i].off + ext.v[i].len - off : chunk);

			r = dsp_io_read(io, buf, n, off, NULL);
			if (r < 0)
				break;
			for (size_t k = 0; k < n; k++)
				if (buf[k]) {
					if (!s->e.res->mismatches)
						first = off + k;
					s->e.res->mismatches++;
				}
			done += n;
			s->e.res->bytes_verified = done;
			if (eng_progress(&s->e, "verify", 1, done, total, false) || eng_stopped(&s->e)) {
				r = DSP_INTERRUPTED;
				break;
			}
		}
	}
	dsp_io_buf_free(buf);
	ranges_free(&ext);
	s->e.res->first_mismatch = first;
	if (r == DSP_INTERRUPTED) {
		snprintf(text, tlen, "read-back interrupted after %" PRIu64 " bytes", done);
		return r;
	}
	if (r < 0) {
		snprintf(text, tlen, "read-back failed at byte %" PRIu64 ": %s", done, strerror(-r));
		return r;
	}
	if (s->o->verify == DSP_VERIFY_SAMPLE)
		snprintf(text, tlen, "read back a NIST SP 800-88r1 sample (sampled-800-88r1, %g%%, seed "
			 "%016" PRIx64 ", %" PRIu64 " bytes) and compared it with zeros", s->e.pct, seed, done);
	else
		snprintf(text, tlen, "read back every byte (%" PRIu64 ") and compared it with zeros", done);
	if (s->e.res->mismatches) {
		size_t k = strlen(text);

		snprintf(text + k, tlen - k, ": %" PRIu64 " bytes differ, the first at %" PRIu64,
			 s->e.res->mismatches, first);
		return DSP_MISMATCH;
	}
	return 0;
}

/* sanitize_sent's status_before as recorded; false when it holds none for this bus. */
static bool recorded_state(struct json_object *sent, enum dsp_san_bus bus, struct san_state *st)
{
	struct json_object *b;
	const char *a, *c;

	memset(st, 0, sizeof(*st));
	if (!json_object_object_get_ex(sent, "status_before", &b) || !json_object_is_type(b, json_type_object))
		return false;
	dsp_json_bool(b, "in_progress", &st->running);
	if (bus == DSP_SAN_BUS_NVME) {
		a = dsp_json_str(b, "sstat");
		c = dsp_json_str(b, "scdw10");
		if (!a || !c)
			return false;
		st->sstat = (uint16_t)strtoul(a, NULL, 16);
		st->scdw10 = (uint32_t)strtoul(c, NULL, 16);
	} else if (bus == DSP_SAN_BUS_ATA) {
		if (dsp_json_bool(b, "completed_ok", &st->completed_ok))
			return false;
		dsp_json_bool(b, "failed", &st->failed);
	} else {
		return false;
	}
	st->known = true;
	return true;
}

/* A resume that cannot tell this run's sanitize from an older one: claims nothing. */
static int cannot_tell(struct san_run *s, struct json_object *sent, const char *detail)
{
	const char *t = dsp_json_str(sent, "time");

	snprintf(s->res.reason, sizeof(s->res.reason), "cannot tell whether the sanitize sent at %s "
		 "ran (%s): run the method again", t ? t : "an unknown time", detail);
	return -EIO;
}

/* Between two polls: 0 to poll again, DSP_INTERRUPTED, -ETIMEDOUT or the sleep's -errno. */
static int poll_wait(const struct dsp_san_opts *o, uint32_t progress, unsigned ms,
		     uint64_t *elapsed)
{
	int r;

	if ((o->stop && *o->stop) || (o->progress && o->progress(progress, o->progress_arg)))
		return DSP_INTERRUPTED;
	if (o->timeout_s && *elapsed >= (uint64_t)o->timeout_s * 1000)
		return -ETIMEDOUT;
	r = o->sleep_ms ? o->sleep_ms(ms, o->sleep_arg) : 0;
	if (!o->sleep_ms) {
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	if (r < 0)
		return r;
	*elapsed += ms;
	return 0;
}

/*
 * Poll a sanitize a run before sent (resume): never send it again. NVMe and
 * ATA SANITIZE: the status log until it is no longer running; ATA SECURITY
 * ERASE: again with the recorded password (the drive is locked with it);
 * SCSI cannot say afterwards which sanitize ran: reported, not resent.
 */
static int resume_poll(struct san_run *s, struct json_object *sent)
{
	struct dsp_san_opts o = san_opts(s);
	struct dsp_san_result *res = &s->res;
	struct san_state pre;
	uint64_t elapsed = 0;
	unsigned ms = o.poll_ms ? o.poll_ms : 1000;
	bool seen = false;	/* seen running: started after sanitize_sent (refused before it) */
	int r;

	memset(res, 0, sizeof(*res));
	res->bus = s->sd.bus;
	res->action = s->act;
	res->resumed = true;
	switch (s->sd.bus) {
	case DSP_SAN_BUS_NVME:
		if (s->act == DSP_SAN_FORMAT_USER || s->act == DSP_SAN_FORMAT_CRYPTO) {
			snprintf(res->reason, sizeof(res->reason), "the record shows a Format NVM sent "
				 "without its outcome, and NVMe keeps no log of it: run the erase again");
			return -EIO;
		}
		for (;;) {
			r = dsp_nvme_sanitize_status(s->io, res);
			if (r)
				return r;
			res->polls++;
			if ((res->sstat & 7) != 2)
				break;
			seen = true;
			res->progress = res->sprog;
			r = poll_wait(&o, res->sprog, ms, &elapsed);
			if (r)
				return r;
		}
		{
			uint32_t want = s->act == DSP_SAN_BLOCK ? 2 : s->act == DSP_SAN_OVERWRITE ? 3 : 4;

			res->nvme_cdw10 = res->scdw10;
			if ((res->scdw10 & 7) != want || !(res->sstat & 7)) {
				snprintf(res->reason, sizeof(res->reason), "the sanitize log shows no "
					 "sanitize %s (SSTAT 0x%04x, SCDW10 0x%08x): not sent again; run "
					 "the erase again", dsp_san_action_name(s->act), res->sstat, res->scdw10);
				return -EIO;
			}
			if ((res->sstat & 7) == 3) {
				snprintf(res->reason, sizeof(res->reason), "the sanitize failed (SSTAT "
					 "0x%04x); the device refuses I/O until a sanitize succeeds", res->sstat);
				return -EIO;
			}
			/* ours only if seen running, or the log changed as only a new sanitize
			   changes it; and nothing written since (Global Data Erased) */
			if (!recorded_state(sent, DSP_SAN_BUS_NVME, &pre))
				return cannot_tell(s, sent, "the record holds no sanitize log from before it");
			if (!seen && (pre.sstat & 7) == (res->sstat & 7) && pre.scdw10 == res->scdw10 &&
			    ((pre.sstat & 1u << 8) || !(res->sstat & 1u << 8))) {
				char d[128];

				snprintf(d, sizeof(d), "the sanitize log shows SSTAT 0x%04x, SCDW10 0x%08x, "
					 "as before it was sent", res->sstat, res->scdw10);
				return cannot_tell(s, sent, d);
			}
			if (!(res->sstat & 1u << 8))
				return cannot_tell(s, sent, "the sanitize log's Global Data Erased is "
						   "clear: written to since the last sanitize");
			res->dealloc = (res->sstat & 7) == 4 || !(res->scdw10 & 1u << 9);
			return 0;
		}
	case DSP_SAN_BUS_ATA:
		if (s->act == DSP_SAN_SECURITY_ERASE || s->act == DSP_SAN_SECURITY_ERASE_ENH) {
			const char *pw = dsp_json_str(sent, "ata_password");

			if (!pw || !s->sd.ata.sec_enabled) {
				snprintf(res->reason, sizeof(res->reason), "security is not enabled on the "
					 "drive: either the erase completed or the password was never set; "
					 "dispose cannot tell which, so it claims nothing: run the erase again");
				return -EIO;
			}
			return dsp_ata_security_erase_resume(s->io, &s->sd.ata, pw,
							     s->act == DSP_SAN_SECURITY_ERASE_ENH, 0, res);
		}
		for (;;) {
			struct dsp_ata_san_status st;

			r = dsp_ata_sanitize_status(s->io, false, &st, res);
			if (r)
				return r;
			res->polls++;
			if (st.failed) {
				snprintf(res->reason, sizeof(res->reason), "the sanitize failed "
					 "(SANITIZE STATUS EXT aborted, reason %u)", st.reason);
				return -EIO;
			}
			if (!st.in_progress) {
				if (!st.completed_ok) {
					snprintf(res->reason, sizeof(res->reason), "the drive reports no "
						 "sanitize completed without error: not sent again; run the "
						 "erase again");
					return -EIO;
				}
				/* the status names no action: ours only if seen running, or
				   "completed without error" is new since sanitize_sent */
				if (!recorded_state(sent, DSP_SAN_BUS_ATA, &pre))
					return cannot_tell(s, sent, "the record holds no SANITIZE STATUS "
							   "from before it");
				if (!seen && pre.completed_ok && !pre.failed)
					return cannot_tell(s, sent, "SANITIZE STATUS EXT says completed "
							   "without error, as it did before it was sent");
				res->dealloc = s->act != DSP_SAN_OVERWRITE;
				return 0;
			}
			seen = true;
			res->progress = st.progress;
			r = poll_wait(&o, st.progress, ms, &elapsed);
			if (r)
				return r;
		}
	case DSP_SAN_BUS_MMC:
		/* the host discards step by step: nothing runs on in the device; do it again */
		res->resumed = false;
		return dsp_mmc_secdiscard(s->io, &o, res);
	default:
		snprintf(res->reason, sizeof(res->reason), "a SCSI device cannot tell afterwards whether "
			 "the sanitize sent completed: not sent again; run the erase again");
		return -EIO;
	}
}

/* Send the action and poll it to its end. */
static int send_action(struct san_run *s)
{
	struct dsp_san_opts o = san_opts(s);

	memset(&s->res, 0, sizeof(s->res));
	switch (s->sd.bus) {
	case DSP_SAN_BUS_NVME:
		if (s->act == DSP_SAN_FORMAT_USER || s->act == DSP_SAN_FORMAT_CRYPTO)
			return dsp_nvme_format(s->io, &s->sd.caps, &o, &s->res);
		return dsp_nvme_sanitize(s->io, &s->sd.caps, &o, &s->res);
	case DSP_SAN_BUS_ATA:
		if (s->act == DSP_SAN_SECURITY_ERASE || s->act == DSP_SAN_SECURITY_ERASE_ENH)
			return dsp_ata_security_erase(s->io, &s->sd.ata, s->password,
						      s->act == DSP_SAN_SECURITY_ERASE_ENH, 0, &s->res);
		return dsp_ata_sanitize(s->io, &s->sd.ata, &o, &s->res);
	case DSP_SAN_BUS_SCSI:
		return dsp_scsi_sanitize(s->io, &s->sd.caps, &o, &s->res);
	case DSP_SAN_BUS_MMC:
		return dsp_mmc_secdiscard(s->io, &o, &s->res);
	default:
		return DSP_UNSUPPORTED;
	}
}

/* After the device changed every block: the kernel rereads partitions and the size. */
static void after_sanitize(struct san_run *s, uint64_t *size_now)
{
	uint64_t sz = 0;

	dsp_io_ioctl(s->io, BLKRRPART, NULL);	/* EINVAL/ENOTTY: no partition table support */
	*size_now = 0;
	if (dsp_io_ioctl(s->io, BLKGETSIZE64, &sz) == 0 && sz != s->io->size)
		*size_now = sz;
}

/* The target's end: the verdict's one source. */
static int san_target_end(struct san_run *s, int st, const char *error, bool refused,
			  enum dsp_category achieved, const char *cat_why, const char *vtext,
			  uint64_t size_now)
{
	enum dsp_category req = s->o->requested != DSP_CAT_NONE ? s->o->requested :
				s->o->method->category;
	struct json_object *f, *keep;
	int r;

	f = dsp_record_target_end(dsp_record_status(st), st < 0 ? st : 0, error, 0,
				  s->e.res->bytes_verified);
	if (refused)
		json_object_object_add(f, "refused", json_object_new_boolean(1));
	json_object_object_add(f, "technique", json_object_new_string("sanitize"));
	json_object_object_add(f, "action", json_object_new_string(dsp_san_action_name(s->act)));
	json_object_object_add(f, "category_requested", json_object_new_string(dsp_category_name(req)));
	json_object_object_add(f, "nist_category", json_object_new_string(dsp_category_name(achieved)));
	if (cat_why)
		json_object_object_add(f, "category_reason", json_object_new_string(cat_why));
	json_object_object_add(f, "mismatches", json_object_new_int64((int64_t)s->e.res->mismatches));
	if (s->e.res->mismatches)
		json_object_object_add(f, "first_mismatch",
				       json_object_new_int64((int64_t)s->e.res->first_mismatch));
	json_object_object_add(f, "verification", json_object_new_string(vtext ? vtext : "not read back"));
	if (size_now)
		json_object_object_add(f, "size_now", json_object_new_int64((int64_t)size_now));
	json_object_object_add(f, "old_data_may_remain", json_object_new_boolean(st != 0));
	json_object_object_add(f, "caveats", json_object_get(s->caveats));
	json_object_object_add(f, "sanitize", s->result ? json_object_get(s->result) : NULL);
	json_object_object_add(f, "health_before", json_object_get(s->health_before));
	json_object_object_add(f, "health_after", json_object_get(s->health_after));
	json_object_object_add(f, "dealloc", json_object_new_boolean(s->res.dealloc));
	if (s->hidden)
		json_object_object_add(f, "hidden", json_object_get(s->hidden));
	keep = json_object_get(f);
	r = san_event(s, "target_end", f, 1);
	erase_keep_end(s->o, keep, r);
	return r;
}

/* Which category the outcome reached, and why not more: never above the action's reach. */
static enum dsp_category achieved_category(struct san_run *s, int st, const char **why)
{
	enum dsp_category reach = action_reach(s->act, s->rotational, why);

	if (st == DSP_MISMATCH) {
		*why = "the read-back found bytes the erase should have zeroed";
		return DSP_CAT_NONE;
	}
	if (st) {
		*why = "the sanitize did not complete successfully";
		return DSP_CAT_NONE;
	}
	return reach;
}

int dsp_erase_sanitize_io(struct dsp_io *io, const struct dsp_erase_opts *opts,
			  struct dsp_erase_result *res)
{
	struct dsp_erase_result dummy;
	struct san_run s;
	struct san_rec rec = { 0 };
	struct json_object *f;
	enum dsp_category req, reach, got;
	const char *path, *cw = NULL;
	char reason[320], vtext[400] = "not read back", err[1100], recipe[512];
	uint64_t size_now = 0;
	int r, st = 0;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	if (!io || !opts || !opts->method || !opts->ledger || !opts->target_id ||
	    opts->method->technique != DSP_TECH_SANITIZE)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.io = io;
	s.o = opts;
	s.e.io = io;
	s.e.o = opts;
	s.e.id = opts->target_id;
	s.e.res = res;
	s.e.np = 1;
	s.e.all_total = io->size;
	s.e.pct = opts->sample_percent > 0 ? opts->sample_percent : 10.0;
	if (s.e.pct > 100)
		s.e.pct = 100;
	s.caveats = json_object_new_array();
	if (!s.caveats)
		return -ENOMEM;
	path = opts->path ? opts->path : io->path;
	req = opts->requested != DSP_CAT_NONE ? opts->requested : opts->method->category;

	if (opts->resume) {
		rec.id = opts->target_id;
		r = dsp_record_read_events(dsp_ledger_dir(opts->ledger), rec_visit, &rec, NULL);
		if (r < 0 && r != -ENOENT) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: %s", path, strerror(-r));
			st = r;
			goto out;
		}
		if (rec.finished) {
			dsp_log(DSP_LOG_ERROR, "%s: run record: target %s already finished", path,
				opts->target_id);
			st = -EALREADY;
			goto out;
		}
	}

	/* the device again: the one checked, still offering the action */
	r = san_probe(io, path, opts->device, &s.sd, reason, sizeof(reason));
	s.act = r ? DSP_SAN_NONE : san_action(opts->method->action, &s.sd);
	s.rotational = medium_rotational(&s.sd, opts->device);
	f = target_fields(&s);
	if (rec.seen)
		json_object_object_add(f, "resumed", json_object_new_boolean(1));
	{
		int w = san_event(&s, rec.seen ? "target_resumed" : "target", f, 0);

		if (w < 0) {
			st = w;
			goto out;
		}
	}
	if (r) {
		st = r;
		snprintf(err, sizeof(err), "%s", reason);
		goto refuse;
	}
	if (!same_device(&s, err, sizeof(err))) {
		st = DSP_REFUSED;
		goto refuse;
	}
	if (!rec.sent) {
		struct dsp_erase_why why;

		memset(&why, 0, sizeof(why));
		r = san_support(io, path, opts->device, &s.sd, opts->method, opts->requested,
				opts->all_namespaces, true, &why);
		if (r) {
			st = r;
			snprintf(err, sizeof(err), "%s", why.reason);
			goto refuse;
		}
	}
	/* a request this action cannot meet fails before anything is sent */
	reach = action_reach(s.act, s.rotational, &cw);
	if (reach < req) {
		st = DSP_UNSUPPORTED;
		snprintf(err, sizeof(err), "%s requested, but %s", dsp_category_name(req), cw);
		goto refuse;
	}

	s.health_before = read_health(&s);
	if (s.sd.bus == DSP_SAN_BUS_ATA) {
		struct dsp_ata_hidden h;
		struct dsp_san_result hr;

		memset(&hr, 0, sizeof(hr));
		if (dsp_ata_hidden(io, &s.sd.ata, &h, &hr) == 0)
			s.hidden = dsp_ata_hidden_json(&h);
	}

	if (rec.sent && rec.end) {
		/* sent and ended before (interrupted after): the recorded outcome stands */
		bool ok = false;
		struct json_object *v;

		dsp_json_bool(rec.end, "ok", &ok);
		if (json_object_object_get_ex(rec.end, "result", &v))
			s.result = json_object_get(v);
		dsp_json_bool(s.result, "deallocated", &s.res.dealloc);
		st = ok ? 0 : -EIO;
		s.resumed_poll = true;
		if (!ok)
			snprintf(err, sizeof(err), "%s", dsp_json_str(rec.end, "error") ?
				 dsp_json_str(rec.end, "error") : "the sanitize failed");
	} else {
		if (rec.sent) {
			s.resumed_poll = true;
			dsp_audit(DSP_AUDIT_NOTICE, "%s: resuming: polling the %s sent before "
				  "(target %s), not sending it again", path,
				  dsp_san_action_name(s.act), opts->target_id);
			r = resume_poll(&s, rec.sent);
		} else {
			struct dsp_san_opts o = san_opts(&s);
			struct san_state pre;
			char cmd[256];

			/* the status before: a resume tells this sanitize from an older one by it */
			r = san_state(io, &s.sd, s.act, &pre, err, sizeof(err));
			if (!r && pre.running && !ours_running(&s.sd, s.act, opts->all_namespaces, &pre)) {
				running_words(&pre, reason, sizeof(reason));
				snprintf(err, sizeof(err), "a sanitize is already running on the device (%s), "
					 "not started by this run: wait for it to end, then run again", reason);
				r = DSP_REFUSED;
			}
			if (r) {
				st = r == DSP_REFUSED ? r : DSP_UNSUPPORTED;
				goto refuse;
			}
			f = json_object_new_object();
			command_text(&s, &o, cmd, sizeof(cmd));
			json_object_object_add(f, "bus", json_object_new_string(dsp_san_bus_name(s.sd.bus)));
			json_object_object_add(f, "action", json_object_new_string(dsp_san_action_name(s.act)));
			json_object_object_add(f, "command", json_object_new_string(cmd));
			json_object_object_add(f, "caps", caps_json(&s.sd));
			json_object_object_add(f, "health_before", json_object_get(s.health_before));
			if (pre.known)
				json_object_object_add(f, "status_before", state_json(&s.sd, &pre));
			if (s.act == DSP_SAN_SECURITY_ERASE || s.act == DSP_SAN_SECURITY_ERASE_ENH) {
				r = dsp_ata_temp_password(s.password, sizeof(s.password));
				if (!r)
					r = dsp_ata_unlock_recipe(path, s.password, recipe, sizeof(recipe));
				if (r) {
					json_object_put(f);
					st = r;
					snprintf(err, sizeof(err), "temporary password: %s", strerror(-r));
					goto refuse;
				}
				json_object_object_add(f, "ata_password", json_object_new_string(s.password));
				json_object_object_add(f, "unlock_recipe", json_object_new_string(recipe));
			}
			/* on the medium before the device is asked: a resume must know it was */
			r = san_event(&s, "sanitize_sent", f, 1);
			if (r < 0) {
				st = r;
				snprintf(err, sizeof(err), "the run record cannot take sanitize_sent: %s",
					 strerror(-r));
				goto refuse;
			}
			if (s.password[0])
				dsp_log(DSP_LOG_WARN, "%s: ATA SECURITY ERASE sets the temporary password %s; "
					"if the power fails before it ends, unlock the drive with: %s",
					path, s.password, recipe);
			dsp_audit(DSP_AUDIT_NOTICE, "%s: starting sanitize %s (%s, method %s), target %s",
				  path, dsp_san_action_name(s.act), dsp_san_bus_name(s.sd.bus),
				  opts->method->name, opts->target_id);
			r = send_action(&s);
			/* a sanitize found running and polled is not ours (NVMe: unless a namespace
			   of this run sent it, ours_running): it is not claimed */
			pre.scdw10 = s.res.scdw10;	/* what the log said while it ran */
			if (s.res.resumed && !ours_running(&s.sd, s.act, opts->all_namespaces, &pre)) {
				snprintf(s.res.reason, sizeof(s.res.reason), "a sanitize not started by this "
					 "run was running on the device: it was polled, this run's %s was "
					 "not sent; run the method again", dsp_san_action_name(s.act));
				if (r == 0 || r == DSP_INTERRUPTED)
					r = DSP_REFUSED;
			}
		}
		if (r == DSP_INTERRUPTED) {
			/* the device goes on; the record claims nothing */
			st = DSP_INTERRUPTED;
			snprintf(err, sizeof(err), "%s", s.res.reason[0] ? s.res.reason :
				 "stopped polling; the device continues the sanitize");
			s.result = dsp_san_result_json(&s.res);
			r = san_target_end(&s, st, err, false, DSP_CAT_NONE,
					   "interrupted: the device's outcome is not known yet", vtext, 0);
			dsp_log(DSP_LOG_WARN, "%s: interrupted while the device sanitizes; "
				"--resume polls it (it is not sent again)", path);
			goto out;
		}
		st = r == 0 ? 0 : r == DSP_UNSUPPORTED || r == DSP_REFUSED ? r : r < 0 ? r : -EIO;
		if (st)
			snprintf(err, sizeof(err), "%s", s.res.reason[0] ? s.res.reason : strerror(st < 0 ? -st : EIO));
		s.result = dsp_san_result_json(&s.res);
		s.health_after = read_health(&s);
		f = json_object_new_object();
		json_object_object_add(f, "result", json_object_get(s.result));
		json_object_object_add(f, "ok", json_object_new_boolean(st == 0));
		if (st)
			json_object_object_add(f, "error", json_object_new_string(err));
		json_object_object_add(f, "health_after", json_object_get(s.health_after));
		r = san_event(&s, "sanitize_end", f, 1);
		if (r < 0 && !st)
			st = r;
	}
	if (!s.health_after)
		s.health_after = read_health(&s);
	after_sanitize(&s, &size_now);

	if (st == 0) {
		char what[160];

		if (size_now) {
			snprintf(err, sizeof(err), "the device's size changed from %" PRIu64 " to %" PRIu64
				 " bytes", io->size, size_now);
			add_caveat(&s, err);
			err[0] = '\0';
		}
		if (s.res.dealloc && !s.sd.caps.media_verification)
			add_caveat(&s, "read-back after a deallocating purge is not evidence of the media state");
		if (health_failing(s.health_before, what, sizeof(what)) ||
		    health_failing(s.health_after, what, sizeof(what))) {
			char c[256];

			snprintf(c, sizeof(c), "the drive reports failing health (%s): blocks it retired "
				 "may hold data no command reaches", what);
			add_caveat(&s, c);
		}
		r = verify_zeros(&s, vtext, sizeof(vtext));
		if (r == DSP_INTERRUPTED) {
			st = DSP_INTERRUPTED;
			snprintf(err, sizeof(err), "interrupted during the read-back");
		} else if (r) {
			st = r;
			snprintf(err, sizeof(err), "%s", vtext);
		}
	}
	got = achieved_category(&s, st, &cw);
	if (st == 0 && got < req) {
		/* never raised: a request not met is a failure */
		st = DSP_UNSUPPORTED;
		snprintf(err, sizeof(err), "%s requested, %s reached: %s", dsp_category_name(req),
			 dsp_category_name(got), cw ? cw : "");
	}
	r = san_target_end(&s, st, st ? err : NULL, false, got, st == DSP_INTERRUPTED ?
			   "interrupted: the read-back did not finish" : cw, vtext, size_now);
	if (r < 0 && (st == 0 || st == DSP_INTERRUPTED))
		st = r;
	dsp_log(st ? DSP_LOG_ERROR : DSP_LOG_INFO, "%s: sanitize %s %s%s%s (target %s)", path,
		dsp_san_action_name(s.act), dsp_record_status(st), st ? ": " : "", st ? err : "",
		opts->target_id);
	goto out;

refuse:
	/* nothing was sent: the target is recorded as failed (refused) */
	r = san_target_end(&s, st, err, st == DSP_REFUSED, DSP_CAT_NONE, "nothing was sent to the device",
			   "not read back", 0);
	dsp_log(DSP_LOG_ERROR, "%s: %s", path, err);
	if (r < 0 && !st)
		st = r;
out:
	explicit_bzero(s.password, sizeof(s.password));
	json_object_put(rec.sent);
	json_object_put(rec.end);
	json_object_put(s.result);
	json_object_put(s.health_before);
	json_object_put(s.health_after);
	json_object_put(s.hidden);
	json_object_put(s.caveats);
	return st;
}
