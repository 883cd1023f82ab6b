/* SPDX-License-Identifier: MIT */
/* common.c - names, polling, the result as JSON, BLKSECDISCARD: shared by every bus */
#include "sanitize_int.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const action_names[] = {
	[DSP_SAN_NONE] = "none",
	[DSP_SAN_CRYPTO] = "crypto",
	[DSP_SAN_BLOCK] = "block",
	[DSP_SAN_OVERWRITE] = "overwrite",
	[DSP_SAN_FORMAT_USER] = "format-user-data",
	[DSP_SAN_FORMAT_CRYPTO] = "format-crypto",
	[DSP_SAN_SECURITY_ERASE] = "security-erase",
	[DSP_SAN_SECURITY_ERASE_ENH] = "security-erase-enhanced",
	[DSP_SAN_SECDISCARD] = "secure-discard",
	[DSP_SAN_EXIT_FAILURE] = "exit-failure-mode",
};

const char *dsp_san_action_name(enum dsp_san_action a)
{
	return (unsigned)a < DSP_ARRAY_SIZE(action_names) && action_names[a] ? action_names[a] : "?";
}

const char *dsp_san_bus_name(enum dsp_san_bus b)
{
	switch (b) {
	case DSP_SAN_BUS_NVME: return "nvme";
	case DSP_SAN_BUS_ATA: return "ata";
	case DSP_SAN_BUS_SCSI: return "scsi";
	case DSP_SAN_BUS_MMC: return "mmc";
	case DSP_SAN_BUS_NONE: break;
	}
	return "none";
}

void san_copy_ascii(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t a = 0, b, i, k = 0;

	if (!dstlen)
		return;
	for (b = 0; b < n && src[b]; b++)
		;
	while (a < b && src[a] == ' ')
		a++;
	while (b > a && src[b - 1] == ' ')
		b--;
	for (i = a; i < b && k + 1 < dstlen; i++)
		dst[k++] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	dst[k] = '\0';
}

void san_reason(char *reason, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, len, fmt, ap);
	va_end(ap);
}

static int real_sleep(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	/* a signal cuts the sleep short: the caller's stop flag is seen next */
	return nanosleep(&ts, NULL) < 0 && errno != EINTR ? -errno : 0;
}

int san_poll_wait(const struct dsp_san_opts *o, uint32_t done, uint64_t *elapsed_ms)
{
	unsigned ms = o->poll_ms ? o->poll_ms : 1000;
	int r;

	if (o->stop && *o->stop)
		return DSP_INTERRUPTED;
	if (o->progress && o->progress(done, o->progress_arg))
		return DSP_INTERRUPTED;
	if (o->timeout_s && *elapsed_ms >= (uint64_t)o->timeout_s * 1000)
		return -ETIMEDOUT;
	r = o->sleep_ms ? o->sleep_ms(ms, o->sleep_arg) : real_sleep(ms);
	if (r < 0)
		return r;
	*elapsed_ms += ms;
	return o->stop && *o->stop ? DSP_INTERRUPTED : 0;
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_hex(struct json_object *o, const char *k, uint32_t v, int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%0*x", width, v);
	json_object_object_add(o, k, json_object_new_string(buf));
}

struct json_object *dsp_san_result_json(const struct dsp_san_result *res)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "bus", json_object_new_string(dsp_san_bus_name(res->bus)));
	json_object_object_add(o, "action", json_object_new_string(dsp_san_action_name(res->action)));
	add_int(o, "ioctl", res->ioctl_ret);
	switch (res->bus) {
	case DSP_SAN_BUS_NVME:
		add_hex(o, "status", res->nvme_status, 4);
		add_hex(o, "result", res->nvme_result, 8);
		add_hex(o, "cdw10", res->nvme_cdw10, 8);
		add_hex(o, "sstat", res->sstat, 4);
		add_hex(o, "sprog", res->sprog, 4);
		add_hex(o, "scdw10", res->scdw10, 8);
		{
			struct json_object *e = json_object_new_array();
			unsigned i;

			/* overwrite, block, crypto; null where the device gives no estimate */
			for (i = 0; e && i < 3; i++)
				json_object_array_add(e, res->nvme_est_s[i] == UINT32_MAX ? NULL :
						      json_object_new_int64(res->nvme_est_s[i]));
			json_object_object_add(o, "estimated_s", e);
		}
		break;
	case DSP_SAN_BUS_ATA:
		add_hex(o, "ata_status", res->ata_status, 2);
		add_hex(o, "ata_error", res->ata_error, 2);
		/* ATA pass-through is SG_IO too */
		__attribute__((fallthrough));
	case DSP_SAN_BUS_SCSI: {
		char hex[2 * sizeof(res->sense) + 1];
		unsigned i;

		for (i = 0; i < res->sense_len && i < sizeof(res->sense); i++)
			snprintf(hex + 2 * i, 3, "%02x", res->sense[i]);
		hex[2 * i] = '\0';
		add_hex(o, "scsi_status", res->scsi_status, 2);
		add_hex(o, "host_status", res->host_status, 4);
		add_hex(o, "driver_status", res->driver_status, 4);
		json_object_object_add(o, "sense", json_object_new_string(hex));
		break;
	}
	case DSP_SAN_BUS_MMC:
	case DSP_SAN_BUS_NONE:
		break;
	}
	json_object_object_add(o, "resumed", json_object_new_boolean(res->resumed));
	json_object_object_add(o, "deallocated", json_object_new_boolean(res->dealloc));
	add_int(o, "polls", res->polls);
	if (res->reason[0])
		json_object_object_add(o, "reason", json_object_new_string(res->reason));
	return o;
}

/* eMMC: BLKSECDISCARD in steps, so progress and cancel are seen between them */
#define SECDISCARD_STEP (1ull << 30)

int dsp_mmc_secdiscard(struct dsp_io *io, const struct dsp_san_opts *o, struct dsp_san_result *res)
{
	uint64_t off = 0;
	int r = 0;

	memset(res, 0, sizeof(*res));
	res->bus = DSP_SAN_BUS_MMC;
	res->action = DSP_SAN_SECDISCARD;
	if (io->size % 512) {
		san_reason(res->reason, sizeof(res->reason), "size %llu is not a multiple of 512",
			   (unsigned long long)io->size);
		return -EINVAL;
	}
	while (off < io->size) {
		uint64_t range[2] = { off, io->size - off };

		if (range[1] > SECDISCARD_STEP)
			range[1] = SECDISCARD_STEP;
		r = dsp_io_ioctl(io, BLKSECDISCARD, range);
		res->ioctl_ret = r;
		if (r == -EOPNOTSUPP || r == -ENOTTY) {
			if (!off) {
				san_reason(res->reason, sizeof(res->reason),
					   "the device does not support secure discard");
				return DSP_UNSUPPORTED;
			}
			san_reason(res->reason, sizeof(res->reason),
				   "secure discard refused at byte %llu", (unsigned long long)off);
			return -EIO;
		}
		if (r < 0) {
			san_reason(res->reason, sizeof(res->reason), "secure discard at byte %llu: %s",
				   (unsigned long long)off, strerror(-r));
			return r;
		}
		off += range[1];
		res->progress = (uint32_t)(off * 65536 / io->size);
		if (o && o->stop && *o->stop)
			return DSP_INTERRUPTED;
		if (o && o->progress && off < io->size && o->progress(res->progress, o->progress_arg))
			return DSP_INTERRUPTED;
	}
	res->dealloc = true;
	return 0;
}
