/* SPDX-License-Identifier: MIT */
/* nvme.c - NVMe Identify, Sanitize, Format NVM and log pages by admin passthrough (NVMe 2.0 base spec) */
#include "sanitize_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OPC_GET_LOG	0x02
#define OPC_IDENTIFY	0x06
#define OPC_FORMAT	0x80
#define OPC_SANITIZE	0x84

#define CNS_NS		0x00
#define CNS_CTRL	0x01
#define CNS_NS_ACTIVE	0x02

#define LID_HEALTH	0x02
#define LID_SANITIZE	0x81

#define NSID_ALL	0xffffffffu

/* SANICAP (Identify Controller bytes 331:328) */
#define SANICAP_CES	(1u << 0)
#define SANICAP_BES	(1u << 1)
#define SANICAP_OWS	(1u << 2)
#define SANICAP_NDI	(1u << 29)
/* FNA (byte 524) */
#define FNA_FNS		(1u << 0)	/* format applies to all namespaces */
#define FNA_SENS	(1u << 1)	/* secure erase applies to all namespaces */
#define FNA_CRYES	(1u << 2)	/* cryptographic erase supported */
#define OACS_FORMAT	(1u << 1)

/* Sanitize Status (log 81h bytes 3:2) bits 2:0 */
enum { SSTAT_NEVER = 0, SSTAT_OK = 1, SSTAT_RUNNING = 2, SSTAT_FAILED = 3, SSTAT_OK_DEALLOC = 4 };

static int nvme_admin(struct dsp_io *io, struct nvme_admin_cmd *c, struct dsp_san_result *res)
{
	int r = dsp_io_ioctl(io, NVME_IOCTL_ADMIN_CMD, c);

	if (res) {
		res->ioctl_ret = r;
		res->nvme_status = r > 0 ? (uint16_t)r : 0;
		res->nvme_result = r >= 0 ? c->result : 0;
	}
	return r;
}

/* Status code type and code: bits 10:8 and 7:0 of the status field */
#define SCT(s)	(((unsigned)(s) >> 8) & 7)
#define SC(s)	((unsigned)(s) & 0xff)

static const char *status_text(unsigned s)
{
	if (SCT(s) == 0) {
		switch (SC(s)) {
		case 0x01: return "invalid command opcode";
		case 0x02: return "invalid field in command";
		case 0x04: return "data transfer error";
		case 0x06: return "internal error";
		case 0x0b: return "invalid namespace or format";
		case 0x1c: return "sanitize failed";
		case 0x1d: return "sanitize in progress";
		case 0x23: return "sanitize prohibited while persistent memory region is enabled";
		}
	} else if (SCT(s) == 1) {
		switch (SC(s)) {
		case 0x0a: return "invalid format";
		case 0x09: return "invalid log page";
		case 0x15: return "namespace is write protected";	/* 2.0: command specific list */
		}
	} else if (SCT(s) == 2) {
		return "media or data integrity error";
	} else if (SCT(s) == 3) {
		return "path related error";
	}
	return "command failed";
}

/* The device refused what it does not implement: unsupported, not a failure. */
static bool status_unsupported(unsigned s)
{
	return SCT(s) == 0 && (SC(s) == 0x01 || SC(s) == 0x02);
}

/* A failed ioctl: -ENOTTY / -EINVAL where the target is no NVMe node */
static bool not_nvme(int r)
{
	return r == -ENOTTY || r == -EINVAL || r == -EOPNOTSUPP;
}

static int nvme_identify_page(struct dsp_io *io, uint32_t nsid, uint8_t cns, uint8_t *page,
			      struct dsp_san_result *res)
{
	struct nvme_admin_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = OPC_IDENTIFY;
	c.nsid = nsid;
	c.addr = (uint64_t)(uintptr_t)page;
	c.data_len = 4096;
	c.cdw10 = cns;
	return nvme_admin(io, &c, res);
}

/* Get Log Page of len bytes (a multiple of 4): NUMD is 0's based, split in NUMDL/NUMDU */
static int nvme_get_log(struct dsp_io *io, uint8_t lid, uint8_t *buf, uint32_t len,
			struct dsp_san_result *res)
{
	struct nvme_admin_cmd c;
	uint32_t numd = len / 4 - 1;

	memset(&c, 0, sizeof(c));
	c.opcode = OPC_GET_LOG;
	c.nsid = NSID_ALL;
	c.addr = (uint64_t)(uintptr_t)buf;
	c.data_len = len;
	c.cdw10 = lid | (numd & 0xffff) << 16;
	c.cdw11 = numd >> 16;
	return nvme_admin(io, &c, res);
}

void dsp_nvme_parse_id_ctrl(const uint8_t page[4096], struct dsp_san_caps *caps)
{
	uint32_t sc;

	caps->bus = DSP_SAN_BUS_NVME;
	caps->nvme_vid = san_le16(page + 0);
	snprintf(caps->vendor, sizeof(caps->vendor), "0x%04x", caps->nvme_vid);
	san_copy_ascii(caps->serial, sizeof(caps->serial), page + 4, 20);
	san_copy_ascii(caps->model, sizeof(caps->model), page + 24, 40);
	san_copy_ascii(caps->firmware, sizeof(caps->firmware), page + 64, 8);
	caps->nvme_oacs = san_le16(page + 256);
	caps->nvme_sanicap = sc = san_le32(page + 328);
	caps->nvme_fna = page[524];
	caps->nvme_nodmmas = (uint8_t)(sc >> 30);
	caps->actions = 0;
	if (sc & SANICAP_CES)
		caps->actions |= DSP_SAN_CAP(DSP_SAN_CRYPTO);
	if (sc & SANICAP_BES)
		caps->actions |= DSP_SAN_CAP(DSP_SAN_BLOCK);
	if (sc & SANICAP_OWS)
		caps->actions |= DSP_SAN_CAP(DSP_SAN_OVERWRITE);
	if (sc & (SANICAP_CES | SANICAP_BES | SANICAP_OWS))
		caps->actions |= DSP_SAN_CAP(DSP_SAN_EXIT_FAILURE);
	/* NDI set: a No-Deallocate request is inhibited (aborted or ignored, per NDRM) */
	caps->no_dealloc = (sc & (SANICAP_CES | SANICAP_BES | SANICAP_OWS)) && !(sc & SANICAP_NDI);
	if (caps->nvme_oacs & OACS_FORMAT) {
		caps->actions |= DSP_SAN_CAP(DSP_SAN_FORMAT_USER);
		if (caps->nvme_fna & FNA_CRYES)
			caps->actions |= DSP_SAN_CAP(DSP_SAN_FORMAT_CRYPTO);
	}
	caps->media_verification = false;
	if (!(sc & (SANICAP_CES | SANICAP_BES | SANICAP_OWS)))
		san_reason(caps->reason, sizeof(caps->reason),
			   "no sanitize (SANICAP 0x%08x)%s", sc,
			   !(caps->nvme_oacs & OACS_FORMAT) ? ", no Format NVM (OACS)"
			   : !(caps->nvme_fna & FNA_CRYES) ? ", no cryptographic format (FNA)" : "");
}

/* NGUID (bytes 119:104), else EUI-64 (127:120), written as the kernel's wwid (which prefers a UUID from CNS 03h) */
static void ns_wwn(const uint8_t *ns, char *wwn, size_t len)
{
	static const uint8_t zero[16];
	const uint8_t *id = memcmp(ns + 104, zero, 16) ? ns + 104 : ns + 120;
	size_t n = id == ns + 104 ? 16 : 8, k, o;

	wwn[0] = '\0';
	if (!memcmp(id, zero, n))
		return;
	o = (size_t)snprintf(wwn, len, "eui.");
	for (k = 0; k < n && o + 3 <= len; k++)
		o += (size_t)snprintf(wwn + o, len - o, "%02x", id[k]);
}

int dsp_nvme_identify(struct dsp_io *io, struct dsp_san_caps *caps)
{
	struct dsp_san_result res;
	uint8_t *page = dsp_io_buf_alloc(4096);
	int r, nsid;
	unsigned i;

	memset(caps, 0, sizeof(*caps));
	caps->bus = DSP_SAN_BUS_NVME;
	if (!page)
		return -ENOMEM;
	memset(page, 0, 4096);
	r = nvme_identify_page(io, 0, CNS_CTRL, page, &res);
	if (r < 0) {
		if (not_nvme(r)) {
			san_reason(caps->reason, sizeof(caps->reason), "not an NVMe device");
			r = DSP_UNSUPPORTED;
		}
		goto out;
	}
	if (r > 0) {
		san_reason(caps->reason, sizeof(caps->reason), "identify controller: %s (status 0x%04x)",
			   status_text((unsigned)r), (unsigned)r);
		r = status_unsupported((unsigned)r) ? DSP_UNSUPPORTED : -EIO;
		goto out;
	}
	dsp_nvme_parse_id_ctrl(page, caps);

	/* the namespace of a namespace node; a controller node has none */
	nsid = dsp_io_ioctl(io, NVME_IOCTL_ID, NULL);
	if (nsid > 0) {
		caps->nvme_nsid = (uint32_t)nsid;
		memset(page, 0, 4096);
		r = nvme_identify_page(io, caps->nvme_nsid, CNS_NS, page, &res);
		if (r != 0) {
			san_reason(caps->reason, sizeof(caps->reason), "identify namespace %u: %s",
				   caps->nvme_nsid, r < 0 ? strerror(-r) : status_text((unsigned)r));
			r = r < 0 ? r : -EIO;
			goto out;
		}
		caps->nvme_flbas = page[26];
		caps->nvme_dps = page[29];
		ns_wwn(page, caps->wwn, sizeof(caps->wwn));
	}

	/* sanitize (and some formats) erase every namespace: count them */
	memset(page, 0, 4096);
	r = nvme_identify_page(io, 0, CNS_NS_ACTIVE, page, &res);
	if (r == 0) {
		for (i = 0; i < 1024 && san_le32(page + 4 * i); i++)
			;
		caps->nvme_active_ns = i;
	} else if (r < 0) {
		goto out;
	} else {
		/* NVMe 1.0 controllers lack CNS 02h: unknown, treated as many */
		caps->nvme_active_ns = UINT32_MAX;
	}
	r = 0;
out:
	dsp_io_buf_free(page);
	return r;
}

int dsp_nvme_sanitize_status(struct dsp_io *io, struct dsp_san_result *res)
{
	uint8_t *log = dsp_io_buf_alloc(512);
	int r;

	if (!log)
		return -ENOMEM;
	memset(log, 0, 512);
	r = nvme_get_log(io, LID_SANITIZE, log, 512, res);
	if (r == 0) {
		res->sprog = san_le16(log + 0);
		res->sstat = san_le16(log + 2);
		res->scdw10 = san_le32(log + 4);
		res->nvme_est_s[0] = san_le32(log + 8);
		res->nvme_est_s[1] = san_le32(log + 12);
		res->nvme_est_s[2] = san_le32(log + 16);
	} else if (r > 0) {
		san_reason(res->reason, sizeof(res->reason), "sanitize status log: %s (status 0x%04x)",
			   status_text((unsigned)r), (unsigned)r);
		r = status_unsupported((unsigned)r) ? DSP_UNSUPPORTED : -EIO;
	} else {
		san_reason(res->reason, sizeof(res->reason), "sanitize status log: %s", strerror(-r));
	}
	dsp_io_buf_free(log);
	return r;
}

/* More than one namespace, or an unknown count: a subsystem-wide erase needs the caller's word */
static int check_scope(const struct dsp_san_caps *caps, const struct dsp_san_opts *o,
		       struct dsp_san_result *res, const char *what)
{
	if (caps->nvme_active_ns <= 1 || o->all_namespaces)
		return 0;
	if (caps->nvme_active_ns == UINT32_MAX)
		san_reason(res->reason, sizeof(res->reason),
			   "%s erases every namespace of the controller, whose count is unknown", what);
	else
		san_reason(res->reason, sizeof(res->reason),
			   "%s erases all %u namespaces of the controller, not only this one", what,
			   caps->nvme_active_ns);
	return DSP_REFUSED;
}

/* Poll the sanitize log until the running sanitize ends. */
static int poll_sanitize(struct dsp_io *io, const struct dsp_san_opts *o, struct dsp_san_result *res)
{
	uint64_t elapsed = 0;
	int r;

	for (;;) {
		r = dsp_nvme_sanitize_status(io, res);
		if (r)
			return r;
		res->polls++;
		if ((res->sstat & 7) != SSTAT_RUNNING)
			return 0;
		res->progress = res->sprog;
		r = san_poll_wait(o, res->sprog, &elapsed);
		if (r == DSP_INTERRUPTED) {
			san_reason(res->reason, sizeof(res->reason),
				   "stopped polling at %u/65536; the device continues the sanitize",
				   res->sprog);
			return r;
		}
		if (r == -ETIMEDOUT) {
			san_reason(res->reason, sizeof(res->reason),
				   "sanitize still in progress (%u/65536) after %u s", res->sprog,
				   o->timeout_s);
			return r;
		}
		if (r)
			return r;
	}
}

int dsp_nvme_sanitize(struct dsp_io *io, const struct dsp_san_caps *caps,
		      const struct dsp_san_opts *o, struct dsp_san_result *res)
{
	struct nvme_admin_cmd c;
	uint32_t sanact, cdw10, passes = o->passes ? o->passes : 1;
	int r;

	memset(res, 0, sizeof(*res));
	res->bus = DSP_SAN_BUS_NVME;
	res->action = o->action;
	switch (o->action) {
	case DSP_SAN_EXIT_FAILURE: sanact = 1; break;
	case DSP_SAN_BLOCK: sanact = 2; break;
	case DSP_SAN_OVERWRITE: sanact = 3; break;
	case DSP_SAN_CRYPTO: sanact = 4; break;
	default:
		san_reason(res->reason, sizeof(res->reason), "%s is not an NVMe sanitize action",
			   dsp_san_action_name(o->action));
		return -EINVAL;
	}
	if (!(caps->actions & DSP_SAN_CAP(o->action))) {
		san_reason(res->reason, sizeof(res->reason),
			   "the device does not support sanitize %s (SANICAP 0x%08x)",
			   dsp_san_action_name(o->action), caps->nvme_sanicap);
		return DSP_UNSUPPORTED;
	}
	if (o->no_dealloc && !caps->no_dealloc) {
		san_reason(res->reason, sizeof(res->reason),
			   "the device inhibits No-Deallocate After Sanitize (SANICAP 0x%08x)",
			   caps->nvme_sanicap);
		return DSP_UNSUPPORTED;
	}
	if (o->action == DSP_SAN_OVERWRITE && passes > 16) {
		san_reason(res->reason, sizeof(res->reason), "%u overwrite passes: NVMe allows 1 to 16",
			   passes);
		return -EINVAL;
	}
	r = check_scope(caps, o, res, "sanitize");
	if (r)
		return r;

	cdw10 = sanact;
	if (o->ause)
		cdw10 |= 1u << 3;
	if (o->action == DSP_SAN_OVERWRITE) {
		cdw10 |= (passes & 0xf) << 4;	/* 16 passes are sent as 0 */
		if (o->invert)
			cdw10 |= 1u << 8;
	}
	if (o->no_dealloc && o->action != DSP_SAN_EXIT_FAILURE)
		cdw10 |= 1u << 9;

	/* one already running (we were interrupted, or the power failed): poll it */
	r = dsp_nvme_sanitize_status(io, res);
	if (r)
		return r;
	if ((res->sstat & 7) == SSTAT_RUNNING) {
		bool same = (res->scdw10 & 7) == sanact;

		/* resumed: the record says so even when polling stops again */
		res->resumed = same;
		if (same)
			res->nvme_cdw10 = cdw10 = res->scdw10;
		r = poll_sanitize(io, o, res);
		if (r)
			return r;
		if (same)
			goto done;
	}

	memset(&c, 0, sizeof(c));
	c.opcode = OPC_SANITIZE;
	c.cdw10 = cdw10;
	c.cdw11 = o->action == DSP_SAN_OVERWRITE ? o->pattern : 0;
	res->nvme_cdw10 = cdw10;
	r = nvme_admin(io, &c, res);
	if (r < 0) {
		san_reason(res->reason, sizeof(res->reason), "sanitize: %s", strerror(-r));
		return not_nvme(r) ? DSP_UNSUPPORTED : r;
	}
	if (r > 0) {
		san_reason(res->reason, sizeof(res->reason), "sanitize: %s (status 0x%04x)",
			   status_text((unsigned)r), (unsigned)r);
		return status_unsupported((unsigned)r) ? DSP_UNSUPPORTED : -EIO;
	}
	if (o->action == DSP_SAN_EXIT_FAILURE)
		return 0;	/* no sanitize runs: the log keeps the failed one */
	r = poll_sanitize(io, o, res);
	if (r)
		return r;
	/* the log must describe the sanitize we sent, not an older one */
	if ((res->scdw10 & 7) != sanact) {
		san_reason(res->reason, sizeof(res->reason),
			   "the sanitize log shows no sanitize started by this command "
			   "(SSTAT 0x%04x, SCDW10 0x%08x)", res->sstat, res->scdw10);
		return -EIO;
	}
done:
	switch (res->sstat & 7) {
	case SSTAT_OK:
		/* without NDAS the device deallocated; with it, it did not */
		res->dealloc = !(cdw10 & 1u << 9);
		break;
	case SSTAT_OK_DEALLOC:
		res->dealloc = true;
		break;
	case SSTAT_FAILED:
		san_reason(res->reason, sizeof(res->reason),
			   "the sanitize failed (SSTAT 0x%04x); the device refuses I/O until a sanitize succeeds",
			   res->sstat);
		return -EIO;
	default:
		san_reason(res->reason, sizeof(res->reason),
			   "the sanitize log reports no completed sanitize (SSTAT 0x%04x)", res->sstat);
		return -EIO;
	}
	res->progress = 65536;
	if (o->progress)
		o->progress(65536, o->progress_arg);
	return 0;
}

int dsp_nvme_format(struct dsp_io *io, const struct dsp_san_caps *caps,
		    const struct dsp_san_opts *o, struct dsp_san_result *res)
{
	struct nvme_admin_cmd c;
	uint32_t ses, lbaf, cdw10;
	int r;

	memset(res, 0, sizeof(*res));
	res->bus = DSP_SAN_BUS_NVME;
	res->action = o->action;
	if (o->action == DSP_SAN_FORMAT_USER) {
		ses = 1;
	} else if (o->action == DSP_SAN_FORMAT_CRYPTO) {
		ses = 2;
	} else {
		san_reason(res->reason, sizeof(res->reason), "%s is not a Format NVM action",
			   dsp_san_action_name(o->action));
		return -EINVAL;
	}
	if (!(caps->actions & DSP_SAN_CAP(o->action))) {
		san_reason(res->reason, sizeof(res->reason),
			   ses == 2 ? "the device does not support a cryptographic format (FNA 0x%02x)"
				    : "the device does not support Format NVM (OACS 0x%04x)",
			   ses == 2 ? caps->nvme_fna : caps->nvme_oacs);
		return DSP_UNSUPPORTED;
	}
	if (!caps->nvme_nsid) {
		san_reason(res->reason, sizeof(res->reason),
			   "Format NVM needs a namespace device, not the controller");
		return DSP_UNSUPPORTED;
	}
	if (caps->nvme_fna & (FNA_FNS | FNA_SENS)) {
		r = check_scope(caps, o, res, "Format NVM on this controller");
		if (r)
			return r;
	}
	/* keep the namespace's LBA format (FLBAS bits 3:0 and 6:5), metadata and PI settings */
	lbaf = (caps->nvme_flbas & 0xfu) | ((caps->nvme_flbas >> 5) & 3u) << 4;
	cdw10 = (lbaf & 0xfu) | ((caps->nvme_flbas >> 4) & 1u) << 4 | (caps->nvme_dps & 7u) << 5 |
		((caps->nvme_dps >> 3) & 1u) << 8 | ses << 9 | (lbaf >> 4) << 12;

	memset(&c, 0, sizeof(c));
	c.opcode = OPC_FORMAT;
	c.nsid = caps->nvme_nsid;
	c.cdw10 = cdw10;
	c.timeout_ms = o->format_timeout_ms ? o->format_timeout_ms : 3600u * 1000u;
	res->nvme_cdw10 = cdw10;
	if (o->progress && o->progress(0, o->progress_arg))
		return DSP_INTERRUPTED;
	r = nvme_admin(io, &c, res);
	if (r < 0) {
		san_reason(res->reason, sizeof(res->reason), "format: %s", strerror(-r));
		return not_nvme(r) ? DSP_UNSUPPORTED : r;
	}
	if (r > 0) {
		san_reason(res->reason, sizeof(res->reason), "format: %s (status 0x%04x)",
			   status_text((unsigned)r), (unsigned)r);
		return status_unsupported((unsigned)r) ? DSP_UNSUPPORTED : -EIO;
	}
	/* reads after a format show what the controller returns for erased blocks */
	res->dealloc = true;
	res->progress = 65536;
	if (o->progress)
		o->progress(65536, o->progress_arg);
	return 0;
}

/* 16-byte counters: the low 8 bytes, saturated when the high ones are set */
static uint64_t le128_sat(const uint8_t *p)
{
	return san_le64(p + 8) ? UINT64_MAX : san_le64(p);
}

struct json_object *dsp_nvme_parse_health(const uint8_t page[512])
{
	static const char *const warn[] = { "spare", "temperature", "reliability", "read-only",
					    "volatile-backup", "pmr-read-only" };
	struct json_object *o = json_object_new_object(), *bits = json_object_new_array();
	uint8_t cw = page[0];
	unsigned i;

	if (!o || !bits) {
		json_object_put(o);
		json_object_put(bits);
		return NULL;
	}
	for (i = 0; i < DSP_ARRAY_SIZE(warn); i++)
		if (cw & (1u << i))
			json_object_array_add(bits, json_object_new_string(warn[i]));
	json_object_object_add(o, "critical_warning", json_object_new_int(cw));
	json_object_object_add(o, "critical_warnings", bits);
	json_object_object_add(o, "temperature_k", json_object_new_int(san_le16(page + 1)));
	json_object_object_add(o, "available_spare", json_object_new_int(page[3]));
	json_object_object_add(o, "available_spare_threshold", json_object_new_int(page[4]));
	json_object_object_add(o, "percentage_used", json_object_new_int(page[5]));
	json_object_object_add(o, "data_units_read", json_object_new_uint64(le128_sat(page + 32)));
	json_object_object_add(o, "data_units_written", json_object_new_uint64(le128_sat(page + 48)));
	json_object_object_add(o, "host_read_commands", json_object_new_uint64(le128_sat(page + 64)));
	json_object_object_add(o, "host_write_commands", json_object_new_uint64(le128_sat(page + 80)));
	json_object_object_add(o, "power_cycles", json_object_new_uint64(le128_sat(page + 112)));
	json_object_object_add(o, "power_on_hours", json_object_new_uint64(le128_sat(page + 128)));
	json_object_object_add(o, "unsafe_shutdowns", json_object_new_uint64(le128_sat(page + 144)));
	json_object_object_add(o, "media_errors", json_object_new_uint64(le128_sat(page + 160)));
	json_object_object_add(o, "num_err_log_entries", json_object_new_uint64(le128_sat(page + 176)));
	/* a failing drive gets a caveat in the record: every warning but temperature */
	json_object_object_add(o, "failing", json_object_new_boolean((cw & ~0x02u) != 0));
	json_object_object_add(o, "worn_out", json_object_new_boolean(page[5] >= 100));
	return o;
}

int dsp_nvme_health(struct dsp_io *io, struct json_object **out)
{
	struct dsp_san_result res;
	uint8_t *log = dsp_io_buf_alloc(512);
	int r;

	*out = NULL;
	if (!log)
		return -ENOMEM;
	memset(log, 0, 512);
	memset(&res, 0, sizeof(res));
	r = nvme_get_log(io, LID_HEALTH, log, 512, &res);
	if (r > 0)
		r = status_unsupported((unsigned)r) ? DSP_UNSUPPORTED : -EIO;
	else if (r < 0 && not_nvme(r))
		r = DSP_UNSUPPORTED;
	else if (r == 0 && !(*out = dsp_nvme_parse_health(log)))
		r = -ENOMEM;
	dsp_io_buf_free(log);
	return r;
}
