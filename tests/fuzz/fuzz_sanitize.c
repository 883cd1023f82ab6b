/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sanitize.c - whatever an NVMe controller or a SCSI device answers,
 * through the NVMe and SCSI paths of the sanitize module: Identify pages,
 * log pages, completion statuses, INQUIRY/VPD data, REPORT SUPPORTED
 * OPERATION CODES, sense data in either format.
 *
 * Input: the device's answers in the order the commands come. Each answer
 * is one selector byte, then: NVMe: selector 0 = success and data for the
 * command, else a status (selector and the next byte) and no data. SG_IO: bit 0 of
 * the selector = CHECK CONDITION with (next byte % 33) bytes of sense,
 * else GOOD with data. Once the input is used up every command fails
 * (-EIO), so polling ends. Seeds: the pages of tests/data/nvme.
 */
#include <errno.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "dispose/common.h"
#include "dispose/io.h"
#include "dispose/sanitize.h"

struct stream {
	const uint8_t *p;
	size_t n;
};

static int take(struct stream *s)
{
	if (!s->n)
		return -1;
	s->n--;
	return *s->p++;
}

static void fill(struct stream *s, void *buf, size_t len)
{
	size_t k = len < s->n ? len : s->n;

	if (!buf)
		return;
	memset(buf, 0, len);
	if (k)
		memcpy(buf, s->p, k);
	s->p += k;
	s->n -= k;
}

static int f_ioctl(void *ctx, unsigned long req, void *arg)
{
	struct stream *s = ctx;
	int sel;

	if (req == NVME_IOCTL_ID)
		return 1;
	if (req == BLKSECDISCARD)
		return s->n ? 0 : -EOPNOTSUPP;
	sel = take(s);
	if (sel < 0)
		return -EIO;
	if (req == NVME_IOCTL_ADMIN_CMD) {
		struct nvme_admin_cmd *c = arg;
		int hi = sel ? take(s) : 0;

		if (!sel && c->addr && c->data_len)
			fill(s, (void *)(uintptr_t)c->addr, c->data_len);
		c->result = 0;
		return sel ? (sel | (hi < 0 ? 0 : hi) << 8) & 0x7fff : 0;
	}
	if (req == SG_IO) {
		struct sg_io_hdr *h = arg;

		h->status = h->host_status = h->driver_status = 0;
		h->sb_len_wr = 0;
		if (sel & 1) {
			int n = take(s);
			size_t len = n < 0 ? 0 : (size_t)n % 33;

			if (len > h->mx_sb_len)
				len = h->mx_sb_len;
			fill(s, h->sbp, len);
			h->sb_len_wr = (unsigned char)len;
			h->status = 0x02;
			h->driver_status = 0x08;
			return 0;
		}
		if (h->dxfer_direction == SG_DXFER_FROM_DEV && h->dxferp)
			fill(s, h->dxferp, h->dxfer_len);
		return 0;
	}
	return -ENOTTY;
}

static void f_close(void *ctx)
{
	(void)ctx;
}

static const struct dsp_io_ops ops = { .ioctl = f_ioctl, .close = f_close };

static int no_sleep(unsigned ms, void *arg)
{
	(void)ms;
	(void)arg;
	return 0;
}

static void check_string(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

static void check_caps(const struct dsp_san_caps *c)
{
	check_string(c->vendor, sizeof(c->vendor));
	check_string(c->model, sizeof(c->model));
	check_string(c->serial, sizeof(c->serial));
	check_string(c->firmware, sizeof(c->firmware));
	check_string(c->wwn, sizeof(c->wwn));
	if (strnlen(c->reason, sizeof(c->reason)) == sizeof(c->reason))
		abort();
}

static void check_result(const struct dsp_san_result *r)
{
	struct json_object *j;

	if (strnlen(r->reason, sizeof(r->reason)) == sizeof(r->reason) || r->sense_len > sizeof(r->sense))
		abort();
	j = dsp_san_result_json(r);
	json_object_put(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dsp_san_action acts[] = { DSP_SAN_CRYPTO, DSP_SAN_BLOCK, DSP_SAN_OVERWRITE,
						    DSP_SAN_FORMAT_USER, DSP_SAN_FORMAT_CRYPTO };
	struct stream s = { data, size };
	struct dsp_io io = { .ops = &ops, .ctx = &s, .kind = DSP_IO_BLOCK, .fd = -1, .size = 1 << 20 };
	struct dsp_san_opts o = { .sleep_ms = no_sleep, .poll_ms = 1000, .timeout_s = 4,
				  .all_namespaces = true, .passes = 2 };
	struct dsp_san_caps caps;
	struct dsp_san_result res;
	struct json_object *h = NULL;
	unsigned i;

	if (dsp_nvme_identify(&io, &caps) == 0) {
		check_caps(&caps);
		if (dsp_nvme_health(&io, &h) == 0 && !h)
			abort();
		json_object_put(h);
		for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
			o.action = acts[i];
			if (acts[i] == DSP_SAN_FORMAT_USER || acts[i] == DSP_SAN_FORMAT_CRYPTO)
				dsp_nvme_format(&io, &caps, &o, &res);
			else
				dsp_nvme_sanitize(&io, &caps, &o, &res);
			check_result(&res);
		}
	}
	if (dsp_scsi_identify(&io, &caps) == 0) {
		check_caps(&caps);
		for (i = 0; i < 3; i++) {
			o.action = acts[i];
			dsp_scsi_sanitize(&io, &caps, &o, &res);
			check_result(&res);
		}
	}
	o.action = DSP_SAN_SECDISCARD;
	dsp_mmc_secdiscard(&io, &o, &res);
	check_result(&res);
	return 0;
}
