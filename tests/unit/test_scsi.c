/* SPDX-License-Identifier: MIT */
/* test_scsi.c - sanitize: SCSI INQUIRY/VPD/REPORT SUPPORTED OPERATION CODES, SANITIZE polled by REQUEST SENSE, BLKSECDISCARD, against a fake at the ioctl boundary */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/common.h"
#include "dispose/sanitize.h"
#include "sanitize_fake.h"

#define CAP DSP_SAN_CAP

/* A SAS disk as SPC-5 lays out its pages: standard INQUIRY, VPD 80h and 83h. */
static struct fake_dev *scsi_dev(void)
{
	static const uint8_t vpd83[] = {
		0x00, 0x83, 0x00, 0x24,
		/* T10 vendor id, ASCII, logical unit: not chosen */
		0x02, 0x01, 0x00, 0x08, 'S', 'E', 'A', 'G', 'A', 'T', 'E', ' ',
		/* NAA 5, binary, logical unit */
		0x01, 0x03, 0x00, 0x08, 0x50, 0x00, 0xc5, 0x00, 0xa1, 0xb2, 0xc3, 0xd4,
		/* NAA of the target port (association 01b): not the disk's */
		0x61, 0x93, 0x00, 0x08, 0x50, 0x00, 0xc5, 0x00, 0xa1, 0xb2, 0xc3, 0xd5,
	};
	struct fake_dev *d = fake_dev_new();

	d->scsi = true;
	d->inquiry[0] = 0x00;		/* direct access block device */
	d->inquiry[2] = 0x07;		/* SPC-5 */
	d->inquiry[3] = 0x12;
	d->inquiry[4] = 91;
	memcpy(d->inquiry + 8, "SEAGATE ST4000NM0025    E004", 28);
	memcpy(d->vpd80, "\x00\x80\x00\x0c" "    ZC1234AB", 16);
	memcpy(d->vpd83, vpd83, sizeof(vpd83));
	d->sa_support[0x01] = 3;	/* overwrite */
	d->sa_support[0x02] = 1;	/* block erase: not supported */
	d->sa_support[0x03] = 3;	/* crypto erase */
	d->sa_support[0x1f] = 3;	/* exit failure mode */
	return d;
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

static void assert_cdb(const struct fake_cmd *c, const uint8_t *cdb, unsigned len, int dir,
		       unsigned dxfer_len)
{
	assert_int_equal(c->req, SG_IO);
	assert_int_equal(c->cdb_len, len);
	assert_memory_equal(c->cdb, cdb, len);
	assert_int_equal(c->dxfer_direction, dir);
	assert_int_equal(c->dxfer_len, dxfer_len);
}

static unsigned count_cdb(const struct fake_dev *d, uint8_t op)
{
	unsigned i, n = 0;

	for (i = 0; i < d->ncmds; i++)
		n += d->cmds[i].req == SG_IO && d->cmds[i].cdb[0] == op;
	return n;
}

static const uint8_t cdb_request_sense[6] = { 0x03, 0x00, 0x00, 0x00, 0xfc, 0x00 };
static const uint8_t cdb_tur[6] = { 0 };

static void test_scsi_identify(void **state)
{
	static const uint8_t inq[6] = { 0x12, 0x00, 0x00, 0x00, 0x60, 0x00 };
	static const uint8_t vpd80[6] = { 0x12, 0x01, 0x80, 0x00, 0xfc, 0x00 };
	static const uint8_t vpd83[6] = { 0x12, 0x01, 0x83, 0x00, 0xfc, 0x00 };
	/* REPORT SUPPORTED OPERATION CODES, one command with service action, 20 bytes */
	static const uint8_t rsoc[12] = { 0xa3, 0x0c, 0x02, 0x48, 0x00, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00 };
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	assert_int_equal(d->ncmds, 7);
	assert_cdb(&d->cmds[0], inq, 6, SG_DXFER_FROM_DEV, 96);
	assert_cdb(&d->cmds[1], vpd80, 6, SG_DXFER_FROM_DEV, 252);
	assert_cdb(&d->cmds[2], vpd83, 6, SG_DXFER_FROM_DEV, 252);
	assert_cdb(&d->cmds[3], rsoc, 12, SG_DXFER_FROM_DEV, 20);
	assert_int_equal(d->cmds[4].cdb[5], 0x02);
	assert_int_equal(d->cmds[5].cdb[5], 0x03);
	assert_int_equal(d->cmds[6].cdb[5], 0x1f);
	assert_int_equal(d->cmds[3].timeout, 60000);
	assert_int_equal(caps.bus, DSP_SAN_BUS_SCSI);
	assert_true(caps.scsi_rsoc);
	assert_int_equal(caps.actions, CAP(DSP_SAN_OVERWRITE) | CAP(DSP_SAN_CRYPTO) |
			 CAP(DSP_SAN_EXIT_FAILURE));
	assert_string_equal(caps.vendor, "SEAGATE");
	assert_string_equal(caps.model, "ST4000NM0025");
	assert_string_equal(caps.firmware, "E004");
	assert_string_equal(caps.serial, "ZC1234AB");
	assert_string_equal(caps.wwn, "naa.5000c500a1b2c3d4");
	assert_string_equal(caps.reason, "");
	dsp_io_close(io);
}

static void test_scsi_identify_not_scsi(void **state)
{
	struct fake_dev *d = fake_dev_new();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), DSP_UNSUPPORTED);
	assert_string_equal(caps.reason, "no SCSI generic access (SG_IO)");
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "no SCSI generic access (SG_IO)");
	dsp_io_close(io);
}

/* no REPORT SUPPORTED OPERATION CODES: unknown, SANITIZE is tried; ILLEGAL REQUEST = unsupported */
static void test_scsi_no_rsoc_tries(void **state)
{
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_BLOCK);
	struct dsp_san_result res;
	static const uint8_t fixed[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00 };

	(void)state;
	d->rsoc_illegal = true;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	assert_false(caps.scsi_rsoc);
	assert_int_equal(caps.actions, 0);
	assert_string_equal(caps.reason, "the device does not report its commands: SANITIZE support is unknown");

	d->sanitize_sense[0] = 0x05;
	d->sanitize_sense[1] = 0x20;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "the device does not support SANITIZE block: "
			    "sense 05/20/00 (invalid command operation code)");
	/* the raw sense is kept for the record */
	assert_int_equal(res.scsi_status, 0x02);
	assert_int_equal(res.sense_len, 18);
	assert_memory_equal(res.sense, fixed, 18);

	d->sanitize_sense[0] = 0;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), 0);
	assert_int_equal(count_cdb(d, 0x48), 2);
	dsp_io_close(io);
}

static void test_scsi_sanitize_crypto_polled(void **state)
{
	static const uint8_t san[10] = { 0x48, 0x83, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00 };
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;
	struct json_object *j, *v;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	d->ncmds = 0;
	d->scsi_steps = 3;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), 0);
	/* REQUEST SENSE first, SANITIZE with IMMED, polled, then TEST UNIT READY */
	assert_int_equal(d->ncmds, 6);
	assert_cdb(&d->cmds[0], cdb_request_sense, 6, SG_DXFER_FROM_DEV, 252);
	assert_cdb(&d->cmds[1], san, 10, SG_DXFER_NONE, 0);
	assert_cdb(&d->cmds[2], cdb_request_sense, 6, SG_DXFER_FROM_DEV, 252);
	assert_cdb(&d->cmds[4], cdb_request_sense, 6, SG_DXFER_FROM_DEV, 252);
	assert_cdb(&d->cmds[5], cdb_tur, 6, SG_DXFER_NONE, 0);
	assert_int_equal(res.polls, 3);
	assert_int_equal(d->sleeps, 2);
	assert_int_equal(d->progress_calls, 3);	/* 1/3, 2/3, done */
	assert_int_equal(d->last_progress, 65536);
	assert_true(res.dealloc);
	assert_false(res.resumed);
	assert_string_equal(res.reason, "");
	j = dsp_san_result_json(&res);
	assert_true(json_object_object_get_ex(j, "bus", &v));
	assert_string_equal(json_object_get_string(v), "scsi");
	assert_true(json_object_object_get_ex(j, "scsi_status", &v));
	assert_string_equal(json_object_get_string(v), "0x00");
	json_object_put(j);
	dsp_io_close(io);
}

static void test_scsi_sanitize_overwrite_parameters(void **state)
{
	/* IMMED, AUSE, service action 01h; parameter list length 8 */
	static const uint8_t san[10] = { 0x48, 0xa1, 0, 0, 0, 0, 0, 0x00, 0x08, 0x00 };
	/* INVERT, count 3; pattern length 4; the pattern */
	static const uint8_t param[8] = { 0x83, 0x00, 0x00, 0x04, 0xa5, 0x5a, 0x0f, 0xf0 };
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_OVERWRITE);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	d->ncmds = 0;
	o.passes = 3;
	o.invert = true;
	o.ause = true;
	o.pattern = 0xa55a0ff0;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), 0);
	assert_cdb(&d->cmds[1], san, 10, SG_DXFER_TO_DEV, 8);
	assert_int_equal(d->cmds[1].data_out_len, 8);
	assert_memory_equal(d->cmds[1].data_out, param, 8);
	assert_false(res.dealloc);

	o.passes = 32;
	d->ncmds = 0;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), -EINVAL);
	assert_int_equal(d->ncmds, 0);

	/* exit failure mode: service action 1Fh, not polled */
	o = opts_for(d, DSP_SAN_EXIT_FAILURE);
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), 0);
	assert_int_equal(d->ncmds, 2);
	assert_int_equal(d->cmds[1].cdb[1], 0x9f);
	dsp_io_close(io);
}

static void test_scsi_sanitize_unsupported_by_caps(void **state)
{
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_BLOCK);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	d->ncmds = 0;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "the device does not support SANITIZE block");
	assert_int_equal(d->ncmds, 0);
	o.action = DSP_SAN_FORMAT_CRYPTO;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), -EINVAL);
	dsp_io_close(io);
}

/* the sanitize completes in failure: TEST UNIT READY says MEDIUM ERROR, sanitize command failed */
static void test_scsi_sanitize_failed(void **state)
{
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	d->scsi_steps = 2;
	d->scsi_fail_end = true;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), -EIO);
	assert_string_equal(res.reason, "the sanitize failed (sense 03/31/03 (sanitize command failed)); "
			    "the device refuses I/O until a sanitize succeeds");
	assert_int_equal(res.scsi_status, 0x02);
	assert_int_equal(res.sense[0], 0x70);
	assert_int_equal(res.sense[2], 0x03);
	assert_int_equal(res.sense[12], 0x31);
	assert_int_equal(res.sense[13], 0x03);
	/* another SANITIZE is what leaves the failure state */
	d->scsi_fail_end = false;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), 0);
	dsp_io_close(io);
}

/* progress read from descriptor-format sense (sense key specific descriptor) */
static void test_scsi_sanitize_descriptor_sense(void **state)
{
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	d->desc_sense = true;
	d->scsi_steps = 4;
	d->cancel_after = 2;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), DSP_INTERRUPTED);
	assert_int_equal(res.progress, 32768);
	assert_int_equal(d->last_progress, 32768);
	assert_string_equal(res.reason, "stopped polling at 32768/65536; the device continues the sanitize");
	dsp_io_close(io);
}

/* polling stopped, power cycled: the device still sanitizes; a new run polls it and sends nothing */
static void test_scsi_sanitize_power_cycle_resumed(void **state)
{
	struct fake_dev *d = scsi_dev();
	struct dsp_io *io = fake_dev_io(d);
	struct dsp_san_caps caps;
	struct dsp_san_opts o = opts_for(d, DSP_SAN_CRYPTO);
	struct dsp_san_result res;

	(void)state;
	assert_int_equal(dsp_scsi_identify(io, &caps), 0);
	d->scsi_steps = 5;
	d->cancel_after = 1;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), DSP_INTERRUPTED);
	fake_power_cycle(d);	/* and a unit attention, reported first */
	assert_true(d->scsi_ua);
	d->cancel_after = 0;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), 0);
	assert_false(d->scsi_ua);
	assert_true(res.resumed);
	assert_int_equal(count_cdb(d, 0x48), 1);
	assert_int_equal(d->last_progress, 65536);

	/* timeout while it runs */
	d->scsi_steps = 50;
	o.poll_ms = 1000;
	o.timeout_s = 3;
	assert_int_equal(dsp_scsi_sanitize(io, &caps, &o, &res), -ETIMEDOUT);
	assert_string_equal(res.reason, "sanitize still in progress (5242/65536) after 3 s");
	dsp_io_close(io);
}

static void test_scsi_sense_text(void **state)
{
	(void)state;
	assert_string_equal(dsp_scsi_sense_text(0x02, 0x04, 0x1b),
			    "logical unit not ready, sanitize in progress");
	assert_string_equal(dsp_scsi_sense_text(0x03, 0x31, 0x03), "sanitize command failed");
	assert_string_equal(dsp_scsi_sense_text(0x05, 0x99, 0x01), "illegal request");
	assert_string_equal(dsp_scsi_sense_text(0x06, 0x00, 0x00), "unit attention");
	assert_string_equal(dsp_scsi_sense_text(0x00, 0x00, 0x00), "no additional sense information");
}

static void test_mmc_secdiscard(void **state)
{
	struct fake_dev *d = fake_dev_new();
	struct dsp_io *io;
	struct dsp_san_opts o;
	struct dsp_san_result res;

	(void)state;
	d->size = (3ull << 30) + 4096;
	io = fake_dev_io(d);
	o = opts_for(d, DSP_SAN_SECDISCARD);
	assert_int_equal(dsp_mmc_secdiscard(io, &o, &res), 0);
	assert_int_equal(d->ncmds, 4);
	assert_int_equal(d->cmds[0].req, BLKSECDISCARD);
	assert_true(d->cmds[0].range[0] == 0 && d->cmds[0].range[1] == 1ull << 30);
	assert_true(d->cmds[2].range[0] == 2ull << 30 && d->cmds[2].range[1] == 1ull << 30);
	assert_true(d->cmds[3].range[0] == 3ull << 30 && d->cmds[3].range[1] == 4096);
	assert_true(d->discarded == d->size);
	assert_int_equal(d->progress_calls, 3);
	assert_true(res.dealloc);

	/* cancelled between steps */
	d->ncmds = 0;
	d->progress_calls = 0;
	d->cancel_after = 2;
	assert_int_equal(dsp_mmc_secdiscard(io, &o, &res), DSP_INTERRUPTED);
	assert_int_equal(d->ncmds, 2);

	/* the kernel says the device cannot */
	d->ncmds = 0;
	d->secdiscard_errno = EOPNOTSUPP;
	assert_int_equal(dsp_mmc_secdiscard(io, &o, &res), DSP_UNSUPPORTED);
	assert_string_equal(res.reason, "the device does not support secure discard");
	assert_int_equal(res.ioctl_ret, -EOPNOTSUPP);
	d->secdiscard_errno = EIO;
	assert_int_equal(dsp_mmc_secdiscard(io, &o, &res), -EIO);
	assert_string_equal(res.reason, "secure discard at byte 0: Input/output error");
	dsp_io_close(io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scsi_identify),
		cmocka_unit_test(test_scsi_identify_not_scsi),
		cmocka_unit_test(test_scsi_no_rsoc_tries),
		cmocka_unit_test(test_scsi_sanitize_crypto_polled),
		cmocka_unit_test(test_scsi_sanitize_overwrite_parameters),
		cmocka_unit_test(test_scsi_sanitize_unsupported_by_caps),
		cmocka_unit_test(test_scsi_sanitize_failed),
		cmocka_unit_test(test_scsi_sanitize_descriptor_sense),
		cmocka_unit_test(test_scsi_sanitize_power_cycle_resumed),
		cmocka_unit_test(test_scsi_sense_text),
		cmocka_unit_test(test_mmc_secdiscard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
