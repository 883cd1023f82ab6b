/* SPDX-License-Identifier: MIT */
/* test_nvme.c - sanitize: NVMe Identify, Sanitize, Format NVM and log pages against a fake at the ioctl boundary */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/sanitize.h"
#include "sanitize_fake.h"

#define CAP DSP_SAN_CAP

/* A namespace node of a controller described by the captured pages. */
static struct fake_dev *nvme_dev(const char *ctrl, const char *ns)
{
	struct fake_dev *d = fake_dev_new();
	char rel[128];

	d->nvme = true;
	snprintf(rel, sizeof(rel), "nvme/%s", ctrl);
	fake_load(d->id_ctrl, sizeof(d->id_ctrl), rel);
	if (ns) {
		snprintf(rel, sizeof(rel), "nvme/%s", ns);
		fake_load(d->id_ns, sizeof(d->id_ns), rel);
		d->nsid = 1;
	}
	return d;
}

static void caps_of(const char *ctrl, struct dsp_san_caps *caps)
{
	uint8_t page[4096];
	char rel[128];

	snprintf(rel, sizeof(rel), "nvme/%s", ctrl);
	fake_load(page, sizeof(page), rel);
	memset(caps, 0, sizeof(*caps));
	dsp_nvme_parse_id_ctrl(page, caps);
	caps->nvme_nsid = 1;
	caps->nvme_active_ns = 1;
}

static struct dsp_san_opts opts_for(struct fake_dev *d, enum dsp_san_action a)
{
	struct dsp_san_opts o;

	memset(&o, 0, sizeof(o));
	o.action = a;
	o.sleep_ms = fake_sleep;
	o.sleep_arg = d;
	o.progress = fake_progress;
	o.progress_arg = d;
	return o;
}

/* How many admin commands with opcode op the device saw. */
static unsigned count_op(const struct fake_dev *d, uint8_t op)
{
	unsigned i, n = 0;

	for (i = 0; i < d->ncmds; i++)
		n += d->cmds[i].req == NVME_IOCTL_ADMIN_CMD && d->cmds[i].nvme.opcode == op;
	return n;
}

static void assert_cmd(const struct fake_cmd *c, uint8_t op, uint32_t nsid, uint32_t cdw10,
		       uint32_t cdw11, uint32_t data_len)
{
	assert_int_equal(c->req, NVME_IOCTL_ADMIN_CMD);
	assert_int_equal(c->nvme.opcode, op);
	assert_int_equal(c->nvme.flags, 0);
	assert_int_equal(c->nvme.nsid, nsid);
	assert_int_equal(c->nvme.cdw2, 0);
	assert_int_equal(c->nvme.cdw3, 0);
	assert_int_equal(c->nvme.metadata, 0);
	assert_int_equal(c->nvme.metadata_len, 0);
	assert_int_equal(c->nvme.cdw10, cdw10);
	assert_int_equal(c->nvme.cdw11, cdw11);
	assert_int_equal(c->nvme.cdw12, 0);
	assert_int_equal(c->nvme.cdw13, 0);
	assert_int_equal(c->nvme.cdw14, 0);
	assert_int_equal(c->nvme.cdw15, 0);
	assert_int_equal(c->nvme.data_len, data_len);
	if (data_len)
		assert_true(c->nvme.addr != 0);
	else
		assert_int_equal(c->nvme.addr, 0);
}

/* the sanitize status log: LID 81h, 512 bytes = 128 dwords (NUMDL 127), every namespace */
static void assert_sanlog_cmd(const struct fake_cmd *c)
{
	assert_cmd(c, 0x02, 0xffffffff, 0x007f0081, 0, 512);
}

static void test_nvme_parse_id_ctrl_crypto_block(void **state)
{
	struct dsp_san_caps caps;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	assert_int_equal(caps.bus, DSP_SAN_BUS_NVME);
	assert_int_equal(caps.actions, CAP(DSP_SAN_CRYPTO) | CAP(DSP_SAN_BLOCK) |
			 CAP(DSP_SAN_EXIT_FAILURE) | CAP(DSP_SAN_FORMAT_USER) |
			 CAP(DSP_SAN_FORMAT_CRYPTO));
	assert_int_equal(caps.nvme_sanicap, 0x40000003);
	assert_int_equal(caps.nvme_fna, 0x05);
	assert_int_equal(caps.nvme_oacs, 0x005f);
	assert_int_equal(caps.nvme_nodmmas, 1);
	assert_true(caps.no_dealloc);
	assert_int_equal(caps.nvme_vid, 0x144d);
	assert_string_equal(caps.vendor, "0x144d");
	assert_string_equal(caps.serial, "S64ANS0T512345");
	assert_string_equal(caps.model, "DISPOSE TEST NVME CRYPTO BLOCK");
	assert_string_equal(caps.firmware, "GDC5302Q");
	assert_string_equal(caps.reason, "");
}

static void test_nvme_parse_id_ctrl_all_ndi(void **state)
{
	struct dsp_san_caps caps;

	(void)state;
	caps_of("id-ctrl-all-ndi.bin", &caps);
	assert_int_equal(caps.actions, CAP(DSP_SAN_CRYPTO) | CAP(DSP_SAN_BLOCK) |
			 CAP(DSP_SAN_OVERWRITE) | CAP(DSP_SAN_EXIT_FAILURE) |
			 CAP(DSP_SAN_FORMAT_USER) | CAP(DSP_SAN_FORMAT_CRYPTO));
	assert_false(caps.no_dealloc);		/* NDI */
	assert_int_equal(caps.nvme_nodmmas, 2);
	assert_string_equal(caps.firmware, "0106");
}

static void test_nvme_parse_id_ctrl_none(void **state)
{
	struct dsp_san_caps caps;

	(void)state;
	caps_of("id-ctrl-none.bin", &caps);
	assert_int_equal(caps.actions, 0);
	assert_false(caps.no_dealloc);
	assert_string_equal(caps.reason, "no sanitize (SANICAP 0x00000000), no Format NVM (OACS)");
	assert_string_equal(caps.firmware, "1.0");
}

/* QEMU: Format NVM only; FNA 0 says no cryptographic erase, whatever SES 2 does there */
static void test_nvme_parse_id_ctrl_qemu(void **state)
{
	struct dsp_san_caps caps;

	(void)state;
	caps_of("id-ctrl-qemu.bin", &caps);
	assert_int_equal(caps.actions, CAP(DSP_SAN_FORMAT_USER));
	assert_int_equal(caps.nvme_vid, 0x1b36);
	assert_string_equal(caps.model, "QEMU NVMe Ctrl");
	assert_string_equal(caps.serial, "dispose1");
	assert_string_equal(caps.firmware, "10.0.2");
	assert_string_equal(caps.reason, "no sanitize (SANICAP 0x00000000), no cryptographic format (FNA)");
}

static void test_nvme_identify_commands(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf17-pi.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;

	(void)state;
	d->active_ns = 3;
	assert_int_equal(dsp_nvme_identify(io, &caps), 0);
	assert_int_equal(d->ncmds, 4);
	assert_cmd(&d->cmds[0], 0x06, 0, 0x01, 0, 4096);	/* CNS 01h controller */
	assert_int_equal(d->cmds[1].req, NVME_IOCTL_ID);
	assert_cmd(&d->cmds[2], 0x06, 1, 0x00, 0, 4096);	/* CNS 00h namespace 1 */
	assert_cmd(&d->cmds[3], 0x06, 0, 0x02, 0, 4096);	/* CNS 02h active list */
	assert_int_equal(caps.nvme_nsid, 1);
	assert_int_equal(caps.nvme_flbas, 0x31);
	assert_int_equal(caps.nvme_dps, 0x09);
	assert_int_equal(caps.nvme_active_ns, 3);
	assert_string_equal(caps.serial, "S64ANS0T512345");
	assert_string_equal(caps.wwn, "eui.6479a74c8a2b0c1d002538b111b22c34");	/* NGUID first */
	dsp_io_close(io);

	d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	io = fake_dev_io(d);
	assert_int_equal(dsp_nvme_identify(io, &caps), 0);
	assert_string_equal(caps.wwn, "eui.002538b111b22c33");
	dsp_io_close(io);
}

/* a controller node (no namespace), and a controller without the active list */
static void test_nvme_identify_controller_node(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-none.bin", NULL);
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;

	(void)state;
	d->no_cns2 = true;
	assert_int_equal(dsp_nvme_identify(io, &caps), 0);
	assert_int_equal(d->ncmds, 3);
	assert_int_equal(caps.nvme_nsid, 0);
	assert_int_equal(caps.nvme_active_ns, UINT32_MAX);
	dsp_io_close(io);
}

static void test_nvme_identify_not_nvme(void **state)
{
	struct fake_dev *d = fake_dev_new();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct json_object *h = (void *)1;

	(void)state;
	assert_int_equal(dsp_nvme_identify(io, &caps), DSP_UNSUPPORTED);
	assert_string_equal(caps.reason, "not an NVMe device");
	assert_int_equal(dsp_nvme_health(io, &h), DSP_UNSUPPORTED);
	assert_null(h);
	dsp_io_close(io);
}

static void test_nvme_sanitize_crypto_polled(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->san_steps = 4;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	/* status first, then Sanitize: opcode 84h, NSID 0, SANACT 100b, nothing else */
	assert_int_equal(d->ncmds, 6);
	assert_sanlog_cmd(&d->cmds[0]);
	assert_cmd(&d->cmds[1], 0x84, 0, 0x00000004, 0, 0);
	assert_int_equal(d->cmds[1].nvme.timeout_ms, 0);
	assert_sanlog_cmd(&d->cmds[2]);
	assert_sanlog_cmd(&d->cmds[5]);
	assert_int_equal(res.polls, 4);
	assert_int_equal(d->sleeps, 3);
	assert_int_equal(res.sstat, 0x0101);	/* completed, Global Data Erased */
	assert_int_equal(res.sprog, 0xffff);
	assert_int_equal(res.scdw10, 4);
	assert_int_equal(res.nvme_cdw10, 4);
	assert_int_equal(res.nvme_status, 0);
	assert_true(res.dealloc);
	assert_false(res.resumed);
	/* progress: 1/4, 2/4, 3/4 while running, then done */
	assert_int_equal(d->progress_calls, 4);
	assert_int_equal(d->last_progress, 65536);
	assert_string_equal(res.reason, "");
	dsp_io_close(io);
}

static void test_nvme_sanitize_block_ause_no_dealloc(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_BLOCK);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	o.ause = true;
	o.no_dealloc = true;
	o.pattern = 0x12345678;		/* only overwrite sends it */
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	/* SANACT 010b, AUSE bit 3, NDAS bit 9 */
	assert_cmd(&d->cmds[1], 0x84, 0, 0x0000020a, 0, 0);
	assert_false(res.dealloc);
	dsp_io_close(io);
}

static void test_nvme_sanitize_overwrite_fields(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-all-ndi.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_OVERWRITE);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-all-ndi.bin", &caps);
	o.passes = 16;			/* OWPASS 0h means 16 */
	o.invert = true;		/* OIPBP bit 8 */
	o.pattern = 0xdeadbeef;		/* CDW11 OVRPAT */
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	assert_cmd(&d->cmds[1], 0x84, 0, 0x00000103, 0xdeadbeef, 0);

	o.passes = 3;
	o.invert = false;
	o.pattern = 0;
	d->ncmds = 0;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	assert_cmd(&d->cmds[1], 0x84, 0, 0x00000033, 0, 0);

	o.passes = 17;
	d->ncmds = 0;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), -EINVAL);
	assert_int_equal(d->ncmds, 0);
	dsp_io_close(io);
}

/* what the device does not offer is refused before anything is sent */
static void test_nvme_sanitize_unsupported(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-none.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-none.bin", &caps);
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "the device does not support sanitize crypto (SANICAP 0x00000000)");
	o.action = DSP_SAN_FORMAT_USER;
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "the device does not support Format NVM (OACS 0x0004)");

	caps_of("id-ctrl-crypto-block.bin", &caps);
	o.action = DSP_SAN_OVERWRITE;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "the device does not support sanitize overwrite (SANICAP 0x40000003)");

	caps_of("id-ctrl-all-ndi.bin", &caps);
	o.action = DSP_SAN_CRYPTO;
	o.no_dealloc = true;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason,
			    "the device inhibits No-Deallocate After Sanitize (SANICAP 0xa0000007)");
	assert_int_equal(d->ncmds, 0);
	dsp_io_close(io);
}

/* the identify data said yes, the device says invalid opcode: unsupported, status kept */
static void test_nvme_sanitize_device_refuses(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->nvme_status[0x84] = 0x4001;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_int_equal(res.nvme_status, 0x4001);
	assert_int_equal(res.ioctl_ret, 0x4001);
	assert_string_equal(res.reason, "sanitize: invalid command opcode (status 0x4001)");
	dsp_io_close(io);
}

/* a failed completion is recorded raw and fails */
static void test_nvme_sanitize_failed_status_raw(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;
	struct json_object *j, *v;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->nvme_status[0x84] = 0x6006;		/* internal error, DNR, More */
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), -EIO);
	assert_int_equal(res.nvme_status, 0x6006);
	assert_string_equal(res.reason, "sanitize: internal error (status 0x6006)");
	j = dsp_san_result_json(&res);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "status", &v));
	assert_string_equal(json_object_get_string(v), "0x6006");
	assert_true(json_object_object_get_ex(j, "cdw10", &v));
	assert_string_equal(json_object_get_string(v), "0x00000004");
	assert_true(json_object_object_get_ex(j, "bus", &v));
	assert_string_equal(json_object_get_string(v), "nvme");
	assert_true(json_object_object_get_ex(j, "estimated_s", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "[0,0,0]");
	json_object_put(j);

	/* the ioctl itself failing is -errno, not unsupported */
	d->nvme_status[0x84] = 0;
	d->nvme_errno[0x84] = EIO;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), -EIO);
	assert_int_equal(res.ioctl_ret, -EIO);
	dsp_io_close(io);
}

/* the sanitize ran and the log says it failed */
static void test_nvme_sanitize_failed_in_log(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_BLOCK);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->san_steps = 2;
	d->san_final = 3;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), -EIO);
	assert_int_equal(res.sstat & 7, 3);
	assert_int_equal(res.sstat & 0x100, 0);	/* no Global Data Erased */
	assert_string_equal(res.reason, "the sanitize failed (SSTAT 0x0003); "
			    "the device refuses I/O until a sanitize succeeds");
	assert_int_equal(d->last_progress, 32768);

	/* exit failure mode: SANACT 001b with AUSE, not polled */
	o.action = DSP_SAN_EXIT_FAILURE;
	o.ause = true;
	d->ncmds = 0;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	assert_int_equal(d->ncmds, 2);
	assert_cmd(&d->cmds[1], 0x84, 0, 0x00000009, 0, 0);
	dsp_io_close(io);
}

/*
 * Interrupted (polling cancelled), then the power fails: the device restarts
 * the sanitize and its log says "in progress". A new run polls it and sends
 * nothing; the outcome is the device's.
 */
static void test_nvme_sanitize_power_cycle_resumed(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->san_steps = 8;
	d->cancel_after = 2;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_INTERRUPTED);
	assert_int_equal(res.sstat & 7, 2);
	assert_int_equal(res.sprog, 16384);
	assert_string_equal(res.reason, "stopped polling at 16384/65536; the device continues the sanitize");
	assert_int_equal(count_op(d, 0x84), 1);

	fake_power_cycle(d);
	assert_int_equal(dsp_nvme_sanitize_status(io, &res), 0);
	assert_int_equal(res.sstat & 7, 2);	/* still in progress, from the start */
	assert_int_equal(res.scdw10, 4);

	d->cancel_after = 0;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	assert_true(res.resumed);
	assert_int_equal(count_op(d, 0x84), 1);	/* not sent again */
	assert_int_equal(res.sstat, 0x0101);
	assert_int_equal(res.nvme_cdw10, 4);
	dsp_io_close(io);
}

/* after a power cycle the log says the sanitize failed: a new one is sent and must succeed */
static void test_nvme_sanitize_power_cycle_failed(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->sstat = 0x0003;
	d->scdw10 = 4;
	d->est[0] = 7200;
	d->est[1] = 0xffffffff;
	d->est[2] = 2;
	assert_int_equal(dsp_nvme_sanitize_status(io, &res), 0);
	assert_int_equal(res.sstat, 3);
	assert_int_equal(res.nvme_est_s[0], 7200);
	assert_int_equal(res.nvme_est_s[1], 0xffffffff);
	assert_int_equal(res.nvme_est_s[2], 2);
	d->san_steps = 1;
	d->ncmds = 0;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	assert_false(res.resumed);
	assert_int_equal(count_op(d, 0x84), 1);
	assert_int_equal(res.sstat, 0x0101);
	dsp_io_close(io);
}

/* success from the command, but the log still shows the previous sanitize: never claimed */
static void test_nvme_sanitize_log_not_ours(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->sstat = 0x0101;
	d->scdw10 = 2;		/* an earlier block erase, completed */
	d->san_ignore = true;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), -EIO);
	assert_string_equal(res.reason, "the sanitize log shows no sanitize started by this command "
			    "(SSTAT 0x0101, SCDW10 0x00000002)");
	assert_int_equal(d->last_progress, 0);
	dsp_io_close(io);
}

/* a different sanitize running: polled to its end, then ours */
static void test_nvme_sanitize_other_running(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->sstat = 2;
	d->scdw10 = 2;		/* a block erase */
	d->san_steps = d->san_left = 2;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	assert_false(res.resumed);
	assert_int_equal(count_op(d, 0x84), 1);
	assert_int_equal(res.scdw10, 4);
	dsp_io_close(io);
}

static void test_nvme_sanitize_stop_and_timeout(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;
	volatile sig_atomic_t stop = 1;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	d->san_steps = 100;
	o.stop = &stop;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_INTERRUPTED);
	assert_int_equal(d->sleeps, 0);

	stop = 0;
	o.poll_ms = 500;
	o.timeout_s = 2;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), -ETIMEDOUT);
	assert_int_equal(d->sleeps, 4);
	assert_true(res.resumed);
	assert_int_equal(res.sstat & 7, 2);
	dsp_io_close(io);
}

/* sanitize erases every namespace: refused on a shared controller unless the caller says all */
static void test_nvme_sanitize_scope(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	caps_of("id-ctrl-crypto-block.bin", &caps);
	caps.nvme_active_ns = 2;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_REFUSED);
	assert_string_equal(res.reason,
			    "sanitize erases all 2 namespaces of the controller, not only this one");
	/* FNA bit 0: the format too */
	o.action = DSP_SAN_FORMAT_CRYPTO;
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), DSP_REFUSED);
	caps.nvme_active_ns = UINT32_MAX;
	o.action = DSP_SAN_CRYPTO;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), DSP_REFUSED);
	assert_string_equal(res.reason,
			    "sanitize erases every namespace of the controller, whose count is unknown");
	assert_int_equal(d->ncmds, 0);
	o.all_namespaces = true;
	assert_int_equal(dsp_nvme_sanitize(io, &caps, &o, &res), 0);
	assert_int_equal(count_op(d, 0x84), 1);
	dsp_io_close(io);
}

static void test_nvme_format_keeps_lbaf(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf17-pi.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_FORMAT_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_nvme_identify(io, &caps), 0);
	d->ncmds = 0;
	/* LBAF 17 = 0x11: bits 3:0 = 1, LBAFU bits 13:12 = 1; MSET bit 4; PI 001b bits 7:5;
	   PIL bit 8; SES 010b bits 11:9 */
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), 0);
	assert_int_equal(d->ncmds, 1);
	assert_cmd(&d->cmds[0], 0x80, 1, 0x00001531, 0, 0);
	assert_int_equal(d->cmds[0].nvme.timeout_ms, 3600000);
	assert_int_equal(res.nvme_cdw10, 0x1531);
	assert_true(res.dealloc);
	assert_int_equal(d->last_progress, 65536);
	dsp_io_close(io);

	d = nvme_dev("id-ctrl-qemu.bin", "id-ns-lbaf1.bin");
	io = fake_dev_io(d);
	o = opts_for(d, DSP_SAN_FORMAT_CRYPTO);
	assert_int_equal(dsp_nvme_identify(io, &caps), 0);
	d->ncmds = 0;
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "the device does not support a cryptographic format (FNA 0x00)");
	assert_int_equal(d->ncmds, 0);
	o.action = DSP_SAN_FORMAT_USER;
	o.format_timeout_ms = 120000;
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), 0);
	assert_cmd(&d->cmds[0], 0x80, 1, 0x00000201, 0, 0);	/* LBAF 1, SES 001b */
	assert_int_equal(d->cmds[0].nvme.timeout_ms, 120000);
	/* not a format action */
	o.action = DSP_SAN_CRYPTO;
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), -EINVAL);
	dsp_io_close(io);
}

static void test_nvme_format_failures(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", NULL);
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_FORMAT_USER);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_nvme_identify(io, &caps), 0);
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "Format NVM needs a namespace device, not the controller");
	caps.nvme_nsid = 1;
	d->nvme_status[0x80] = 0x410a;		/* command specific: invalid format */
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), -EIO);
	assert_int_equal(res.nvme_status, 0x410a);
	assert_string_equal(res.reason, "format: invalid format (status 0x410a)");
	d->nvme_status[0x80] = 0x401d;
	assert_int_equal(dsp_nvme_format(io, &caps, &o, &res), -EIO);
	assert_string_equal(res.reason, "format: sanitize in progress (status 0x401d)");
	dsp_io_close(io);
}

static uint64_t jget_u64(struct json_object *o, const char *k)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_uint64(v);
}

static bool jget_bool(struct json_object *o, const char *k)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return json_object_get_boolean(v);
}

static void test_nvme_health(void **state)
{
	struct fake_dev *d = nvme_dev("id-ctrl-crypto-block.bin", "id-ns-lbaf1.bin");
	struct dsp_io *io = fake_dev_io(d);
	struct json_object *h, *w;

	(void)state;
	fake_load(d->health, sizeof(d->health), "nvme/health-ok.bin");
	assert_int_equal(dsp_nvme_health(io, &h), 0);
	assert_int_equal(d->ncmds, 1);
	assert_cmd(&d->cmds[0], 0x02, 0xffffffff, 0x007f0002, 0, 512);
	assert_int_equal(jget_u64(h, "critical_warning"), 0);
	assert_int_equal(jget_u64(h, "temperature_k"), 308);
	assert_int_equal(jget_u64(h, "available_spare"), 100);
	assert_int_equal(jget_u64(h, "percentage_used"), 3);
	assert_int_equal(jget_u64(h, "power_on_hours"), 8123);
	assert_int_equal(jget_u64(h, "power_cycles"), 412);
	assert_int_equal(jget_u64(h, "unsafe_shutdowns"), 17);
	assert_int_equal(jget_u64(h, "media_errors"), 0);
	assert_int_equal(jget_u64(h, "data_units_read"), 1234567);
	assert_int_equal(jget_u64(h, "num_err_log_entries"), 2);
	assert_false(jget_bool(h, "failing"));
	assert_false(jget_bool(h, "worn_out"));
	json_object_put(h);

	fake_load(d->health, sizeof(d->health), "nvme/health-failing.bin");
	assert_int_equal(dsp_nvme_health(io, &h), 0);
	assert_int_equal(jget_u64(h, "critical_warning"), 5);
	assert_true(json_object_object_get_ex(h, "critical_warnings", &w));
	assert_string_equal(json_object_to_json_string_ext(w, JSON_C_TO_STRING_PLAIN),
			    "[\"spare\",\"reliability\"]");
	assert_int_equal(jget_u64(h, "percentage_used"), 103);
	assert_int_equal(jget_u64(h, "media_errors"), 1337);
	assert_int_equal(jget_u64(h, "power_on_hours"), 43800);
	assert_true(jget_u64(h, "data_units_read") == UINT64_MAX);	/* 2^64 + 5, saturated */
	assert_true(jget_bool(h, "failing"));
	assert_true(jget_bool(h, "worn_out"));
	json_object_put(h);

	d->nvme_status[0x02] = 0x4109;
	assert_int_equal(dsp_nvme_health(io, &h), -EIO);
	assert_null(h);
	dsp_io_close(io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme_parse_id_ctrl_crypto_block),
		cmocka_unit_test(test_nvme_parse_id_ctrl_all_ndi),
		cmocka_unit_test(test_nvme_parse_id_ctrl_none),
		cmocka_unit_test(test_nvme_parse_id_ctrl_qemu),
		cmocka_unit_test(test_nvme_identify_commands),
		cmocka_unit_test(test_nvme_identify_controller_node),
		cmocka_unit_test(test_nvme_identify_not_nvme),
		cmocka_unit_test(test_nvme_sanitize_crypto_polled),
		cmocka_unit_test(test_nvme_sanitize_block_ause_no_dealloc),
		cmocka_unit_test(test_nvme_sanitize_overwrite_fields),
		cmocka_unit_test(test_nvme_sanitize_unsupported),
		cmocka_unit_test(test_nvme_sanitize_device_refuses),
		cmocka_unit_test(test_nvme_sanitize_failed_status_raw),
		cmocka_unit_test(test_nvme_sanitize_failed_in_log),
		cmocka_unit_test(test_nvme_sanitize_power_cycle_resumed),
		cmocka_unit_test(test_nvme_sanitize_power_cycle_failed),
		cmocka_unit_test(test_nvme_sanitize_log_not_ours),
		cmocka_unit_test(test_nvme_sanitize_other_running),
		cmocka_unit_test(test_nvme_sanitize_stop_and_timeout),
		cmocka_unit_test(test_nvme_sanitize_scope),
		cmocka_unit_test(test_nvme_format_keeps_lbaf),
		cmocka_unit_test(test_nvme_format_failures),
		cmocka_unit_test(test_nvme_health),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
