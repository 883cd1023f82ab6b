/* SPDX-License-Identifier: MIT */
/* test_ata.c - ATA commands byte for byte, IDENTIFY parsing, and a fake drive's states at the SG_IO boundary */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/sanitize.h"
#include "sanitize_fake.h"
#include "ata_fake.h"
#include "ata_hidden_fake.h"
#include "../../src/sanitize/sanitize_int.h"

struct rig {
	struct fake_dev *d;
	struct ata_fake f;
	struct dsp_io *io;
	struct dsp_ata_identity id;
	struct dsp_san_result res;
};

static struct rig *rig_new(const char *page)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->d = fake_dev_new();
	r->d->ata = ata_fake_fn;
	r->d->ata_arg = &r->f;
	if (page)
		fake_load(r->f.identify, 512, page);
	r->f.smart_lba = 0xc24f;
	r->io = fake_dev_io(r->d);
	return r;
}

static void rig_identify(struct rig *r)
{
	assert_int_equal(dsp_ata_identify(r->io, &r->id, NULL, &r->res), 0);
	r->d->ncmds = 0;
	memset(&r->res, 0, sizeof(r->res));
}

static void rig_free(struct rig *r)
{
	dsp_io_close(r->io);
	free(r);
}

static void assert_cdb(const struct fake_cmd *c, const uint8_t *want)
{
	assert_int_equal(c->req, SG_IO);
	assert_int_equal(c->cdb_len, 16);
	assert_memory_equal(c->cdb, want, 16);
}

static struct dsp_san_opts opts(struct rig *r, enum dsp_san_action a)
{
	struct dsp_san_opts o = { .action = a, .sleep_ms = fake_sleep, .sleep_arg = r->d,
				  .progress = fake_progress, .progress_arg = r->d };

	return o;
}

/* ---- IDENTIFY ---- */

static void test_identify_cdb_and_ssd_fields(void **state)
{
	static const uint8_t cdb[16] = { 0x85, 0x08, 0x0e, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xec, 0 };
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_san_caps caps;

	assert_int_equal(dsp_ata_identify(r->io, &r->id, &caps, &r->res), 0);
	assert_int_equal(r->d->ncmds, 1);
	assert_cdb(&r->d->cmds[0], cdb);
	assert_int_equal(r->d->cmds[0].dxfer_direction, SG_DXFER_FROM_DEV);
	assert_int_equal(r->d->cmds[0].dxfer_len, 512);

	assert_string_equal(r->id.model, "FAKE SATA SSD 480GB");
	assert_string_equal(r->id.serial, "S2FAKE0000000001");
	assert_string_equal(r->id.firmware, "FW01");
	assert_true(r->id.wwn == 0x5002538e40a1b2c3ull);
	assert_true(r->id.sectors == 937703088ull);
	assert_int_equal(r->id.sectors28, 0x0fffffff);
	assert_true(r->id.lba48);
	assert_true(r->id.sanitize && r->id.san_crypto && r->id.san_block && r->id.san_antifreeze);
	assert_false(r->id.san_overwrite);
	assert_true(r->id.security && r->id.sec_enhanced);
	assert_false(r->id.sec_enabled || r->id.sec_locked || r->id.sec_frozen || r->id.sec_count_expired);
	assert_int_equal(r->id.erase_min, 2);
	assert_int_equal(r->id.enhanced_erase_min, 2);
	assert_int_equal(r->id.rotation, 1);
	assert_true(r->id.integrity && r->id.smart_enabled && r->id.hpa && r->id.dco);

	assert_int_equal(caps.bus, DSP_SAN_BUS_ATA);
	assert_int_equal(caps.actions, DSP_SAN_CAP(DSP_SAN_CRYPTO) | DSP_SAN_CAP(DSP_SAN_BLOCK) |
			 DSP_SAN_CAP(DSP_SAN_SECURITY_ERASE) | DSP_SAN_CAP(DSP_SAN_SECURITY_ERASE_ENH));
	assert_string_equal(caps.wwn, "naa.5002538e40a1b2c3");
	assert_string_equal(caps.serial, "S2FAKE0000000001");
	assert_false(caps.frozen || caps.locked);
	assert_string_equal(caps.reason, "");
	rig_free(r);
}

static void test_identify_hdd_fields(void **state)
{
	struct rig *r = rig_new("ata/hdd-hpa.bin");
	struct json_object *j;

	rig_identify(r);
	assert_string_equal(r->id.model, "FAKE HDD 2TB 7200RPM");
	assert_string_equal(r->id.serial, "Z1FAKE02");
	assert_int_equal(r->id.rotation, 7200);
	assert_false(r->id.sanitize || r->id.san_crypto || r->id.san_block || r->id.san_overwrite);
	assert_int_equal(r->id.erase_min, 360);
	assert_int_equal(r->id.enhanced_erase_min, 380);
	assert_false(r->id.erase_min_more);
	assert_true(r->id.sectors == 3906000000ull);
	j = dsp_ata_identity_json(&r->id);
	assert_non_null(j);
	assert_string_equal(json_object_get_string(json_object_object_get(j, "wwn")), "naa.5000c500a1b2c3d4");
	assert_int_equal(json_object_get_int(json_object_object_get(j, "rotation_rate")), 7200);
	assert_int_equal(json_object_get_int(json_object_object_get(j, "enhanced_erase_minutes")), 380);
	json_object_put(j);
	rig_free(r);
}

static void test_identify_frozen_locked_none(void **state)
{
	uint8_t p[512];
	struct dsp_ata_identity id;
	struct dsp_san_caps caps;
	char why[128];

	fake_load(p, 512, "ata/frozen.bin");
	assert_int_equal(dsp_ata_parse_identify(p, &id, why, sizeof(why)), 0);
	assert_true(id.security && id.sec_frozen && !id.sec_locked);
	assert_true(id.san_overwrite);
	assert_int_equal(id.erase_min, 2);	/* word 89 extended format 8001h */
	dsp_ata_caps(&id, &caps);
	assert_true(caps.frozen);
	assert_non_null(strstr(caps.reason, "suspend and resume"));

	fake_load(p, 512, "ata/locked.bin");
	assert_int_equal(dsp_ata_parse_identify(p, &id, why, sizeof(why)), 0);
	assert_true(id.sec_enabled && id.sec_locked);
	dsp_ata_caps(&id, &caps);
	assert_true(caps.locked);
	assert_non_null(strstr(caps.reason, "locked"));

	fake_load(p, 512, "ata/none.bin");
	assert_int_equal(dsp_ata_parse_identify(p, &id, why, sizeof(why)), 0);
	assert_false(id.integrity || id.lba48 || id.sanitize || id.security || id.smart || id.hpa || id.dco);
	assert_true(id.sectors == 78165360ull);
	assert_true(id.wwn == 0);
	assert_string_equal(id.model, "FAKE OLD PATA 40GB");
	dsp_ata_caps(&id, &caps);
	assert_int_equal(caps.actions, 0);
	assert_string_equal(caps.wwn, "");
}

static void test_identify_checksum_refused(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_ata_identity id;
	char why[128];
	uint8_t p[512];

	memcpy(p, r->f.identify, 512);
	p[2 * 128] ^= 0x08;	/* a frozen bit that was never there */
	assert_int_equal(dsp_ata_parse_identify(p, &id, why, sizeof(why)), DSP_INVALID);
	assert_non_null(strstr(why, "checksum"));
	p[2 * 128] ^= 0x08;
	p[510] = 0x5a;		/* another signature */
	assert_int_equal(dsp_ata_parse_identify(p, &id, why, sizeof(why)), DSP_INVALID);
	assert_non_null(strstr(why, "signature"));

	r->f.identify[2 * 27] ^= 1;	/* the drive sends a damaged page */
	assert_int_equal(dsp_ata_identify(r->io, &r->id, NULL, &r->res), DSP_INVALID);
	assert_non_null(strstr(r->res.reason, "checksum"));
	rig_free(r);
}

static void test_no_passthrough_unsupported(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct fake_dev *d = fake_dev_new();
	struct dsp_io *io = fake_dev_io(d);	/* no ATA, no SCSI: SG_IO is ENOTTY */
	struct dsp_san_result res;

	r->f.no_passthrough = true;
	assert_int_equal(dsp_ata_identify(r->io, &r->id, NULL, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "ATA pass-through"));
	memset(&res, 0, sizeof(res));
	assert_int_equal(dsp_ata_identify(io, &r->id, NULL, &res), DSP_UNSUPPORTED);
	assert_string_not_equal(res.reason, "");
	dsp_io_close(io);
	rig_free(r);
}

/* ---- SANITIZE ---- */

static const uint8_t cdb_status[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xb4, 0 };

static void test_sanitize_crypto_polled(void **state)
{
	/* CRYPTO SCRAMBLE EXT: FEATURE 0011h, LBA 31:0 "Cryp" 43727970h, DEVICE 40h, B4h */
	static const uint8_t cdb[16] = { 0x85, 0x07, 0x20, 0x00, 0x11, 0x00, 0x00,
					 0x43, 0x70, 0x00, 0x79, 0x00, 0x72, 0x40, 0xb4, 0x00 };
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_san_opts o = opts(r, DSP_SAN_CRYPTO);

	rig_identify(r);
	r->f.san_steps = 4;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), 0);
	assert_cdb(&r->d->cmds[0], cdb_status);
	assert_int_equal(r->d->cmds[0].dxfer_direction, SG_DXFER_NONE);
	assert_cdb(&r->d->cmds[1], cdb);
	assert_int_equal(r->d->cmds[1].dxfer_direction, SG_DXFER_NONE);
	for (unsigned i = 2; i < r->d->ncmds; i++)
		assert_cdb(&r->d->cmds[i], cdb_status);
	assert_int_equal(r->d->ncmds, 2 + 4);	/* 3 in progress, the 4th completed */
	assert_int_equal(r->res.polls, 4);
	assert_int_equal(r->d->progress_calls, 3);
	assert_int_equal(r->d->last_progress, 3 * 65536 / 4);
	assert_int_equal(r->d->sleeps, 3);
	assert_int_equal(r->res.progress, 65536);
	assert_false(r->res.resumed);
	assert_true(r->res.dealloc);
	assert_int_equal(r->res.ata_status, 0x50);
	assert_int_equal(r->res.ata_count, 0x8000);	/* completed without error */
	assert_string_equal(r->res.reason, "");
	rig_free(r);
}

static void test_sanitize_block_overwrite_cdbs(void **state)
{
	/* BLOCK ERASE EXT: 0012h, "BkEr" 426B4572h */
	static const uint8_t blk[16] = { 0x85, 0x07, 0x20, 0x00, 0x12, 0x00, 0x10,
					 0x42, 0x72, 0x00, 0x45, 0x00, 0x6b, 0x40, 0xb4, 0x00 };
	/* OVERWRITE EXT: 0014h, LBA 47:32 "OW" 4F57h, 31:0 the pattern; COUNT INVERT 80h | 3 passes */
	static const uint8_t ow[16] = { 0x85, 0x07, 0x20, 0x00, 0x14, 0x00, 0x83,
					0xde, 0xef, 0x57, 0xbe, 0x4f, 0xad, 0x40, 0xb4, 0x00 };
	/* 16 passes are sent as 0 */
	static const uint8_t ow16[16] = { 0x85, 0x07, 0x20, 0x00, 0x14, 0x00, 0x00,
					  0x00, 0x00, 0x57, 0x00, 0x4f, 0x00, 0x40, 0xb4, 0x00 };
	struct rig *r = rig_new("ata/frozen.bin");	/* its security is frozen, sanitize is not */
	struct dsp_san_opts o = opts(r, DSP_SAN_BLOCK);

	rig_identify(r);
	o.ause = true;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), 0);
	assert_cdb(&r->d->cmds[1], blk);
	assert_int_equal(r->d->ncmds, 3);

	r->d->ncmds = 0;
	o = opts(r, DSP_SAN_OVERWRITE);
	o.pattern = 0xdeadbeef;
	o.passes = 3;
	o.invert = true;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), 0);
	assert_cdb(&r->d->cmds[1], ow);
	assert_false(r->res.dealloc);

	r->d->ncmds = 0;
	o = opts(r, DSP_SAN_OVERWRITE);
	o.passes = 16;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), 0);
	assert_cdb(&r->d->cmds[1], ow16);

	r->d->ncmds = 0;
	o.passes = 17;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), -EINVAL);
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);
}

static void test_sanitize_unsupported_sends_nothing(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_san_opts o = opts(r, DSP_SAN_OVERWRITE);	/* word 59 bit 14 clear */

	rig_identify(r);
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "does not support SANITIZE overwrite"));
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);

	r = rig_new("ata/hdd-hpa.bin");
	o = opts(r, DSP_SAN_CRYPTO);
	rig_identify(r);
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), DSP_UNSUPPORTED);
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);
}

static void test_sanitize_frozen_refused_by_drive(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_san_opts o = opts(r, DSP_SAN_CRYPTO);

	rig_identify(r);
	r->f.san_frozen = true;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "power-cycle"));
	assert_int_equal(r->d->ncmds, 1);	/* the status, no sanitize */
	assert_cdb(&r->d->cmds[0], cdb_status);

	/* the drive itself refuses: reason 3 (frozen) is unsupported, 1 a failure */
	r->f.san_frozen = false;
	r->f.san_refuse = 3;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "frozen"));
	r->f.san_refuse = 1;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), -EIO);
	assert_int_equal(r->res.ata_status, 0x51);
	assert_int_equal(r->res.ata_error, 0x04);
	rig_free(r);
}

static void test_sanitize_failed(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_san_opts o = opts(r, DSP_SAN_BLOCK);
	struct dsp_ata_san_status st;
	static const uint8_t clear[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 0xb4, 0 };

	rig_identify(r);
	r->f.san_steps = 2;
	r->f.san_fail_end = true;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), -EIO);
	assert_non_null(strstr(r->res.reason, "sanitize command unsuccessful"));
	assert_int_equal(r->res.ata_error, 0x04);

	/* the failure stays until cleared (or a sanitize succeeds) */
	assert_int_equal(dsp_ata_sanitize_status(r->io, false, &st, &r->res), 0);
	assert_true(st.failed);
	assert_int_equal(st.reason, 1);
	r->d->ncmds = 0;
	o = opts(r, DSP_SAN_EXIT_FAILURE);
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), 0);
	assert_cdb(&r->d->cmds[0], clear);
	assert_int_equal(dsp_ata_sanitize_status(r->io, false, &st, &r->res), 0);
	assert_false(st.failed || st.in_progress);
	rig_free(r);
}

static void test_sanitize_power_cycle(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_san_opts o = opts(r, DSP_SAN_CRYPTO);
	struct dsp_ata_san_status st;
	unsigned sent = 0;

	rig_identify(r);
	r->f.san_steps = 6;
	r->d->cancel_after = 2;	/* the operator stops us; the drive goes on */
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), DSP_INTERRUPTED);
	assert_true(r->f.san_running);

	/* power cycle: the sanitize resumes from the start on power-on and says so */
	r->f.san_left = r->f.san_steps;
	r->f.prepared = false;
	assert_int_equal(dsp_ata_sanitize_status(r->io, false, &st, &r->res), 0);
	assert_true(st.in_progress);
	assert_false(st.completed_ok || st.failed);
	assert_int_equal(st.progress, 65536 / 6);

	/* run again: polled, not started a second time */
	r->d->cancel_after = 0;
	memset(&r->res, 0, sizeof(r->res));
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), 0);
	assert_true(r->res.resumed);
	for (unsigned i = 0; i < r->d->ncmds; i++)
		sent += r->d->cmds[i].cdb[4] == 0x11;
	assert_int_equal(sent, 1);

	/* a drive whose sanitize failed across the power cycle reports it, never "done" */
	r->f.san_running = false;
	r->f.san_ok = false;
	r->f.san_failed = true;
	assert_int_equal(dsp_ata_sanitize_status(r->io, false, &st, &r->res), 0);
	assert_true(st.failed);
	assert_false(st.completed_ok);
	rig_free(r);
}

static void test_sanitize_fixed_sense(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_ata_san_status st;
	struct ata_tf t;
	bool upper;
	/* fixed sense with every upper byte zero keeps all the registers */
	static const uint8_t fx[18] = { 0xf0, 0, 0x01, 0x00, 0x50, 0x40, 0x05, 10,
					0x80, 0x34, 0x12, 0x56, 0, 0, 0, 0, 0, 0 };
	uint8_t s[18];

	rig_identify(r);
	r->f.fixed_sense = true;
	r->f.san_ok = true;	/* COUNT 8000h: lost in fixed format */
	assert_int_equal(dsp_ata_sanitize_status(r->io, false, &st, &r->res), -EPROTO);
	assert_non_null(strstr(r->res.reason, "fixed-format"));

	memcpy(s, fx, sizeof(s));
	s[12] = 0x00;
	s[13] = 0x1d;
	assert_true(ata_sense_regs(s, sizeof(s), &t, &upper));
	assert_true(upper);
	assert_int_equal(t.command, 0x50);
	assert_int_equal(t.count, 5);
	assert_true(t.lba == 0x561234);
	s[8] |= 0x20;	/* LBA UPPER NONZERO */
	assert_true(ata_sense_regs(s, sizeof(s), &t, &upper));
	assert_false(upper);
	s[13] = 0x00;	/* not ATA pass-through information */
	assert_false(ata_sense_regs(s, sizeof(s), &t, &upper));
	rig_free(r);
}

static void test_no_registers_never_guessed(void **state)
{
	struct rig *r = rig_new("ata/hdd-hpa.bin");
	struct dsp_ata_san_status st;
	struct dsp_ata_hidden h;
	struct json_object *j;

	rig_identify(r);
	fake_load(r->f.dco, 512, "ata/hdd-dco.bin");
	fake_load(r->f.smart, 512, "ata/smart.bin");
	r->f.no_regs = true;
	r->f.native_max = 3907029167ull;
	assert_int_equal(dsp_ata_sanitize_status(r->io, false, &st, &r->res), -EPROTO);
	assert_non_null(strstr(r->res.reason, "no ATA registers"));
	assert_int_equal(dsp_ata_hidden(r->io, &r->id, &h, &r->res), 0);
	assert_true(h.native == 0);
	assert_false(h.hpa || h.dco);
	assert_true(h.dco_max == 3907029168ull);
	assert_non_null(strstr(h.reason, "returned no registers"));
	assert_int_equal(dsp_ata_smart(r->io, &r->id, &j, &r->res), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(j, "status")), "unknown");
	json_object_put(j);
	rig_free(r);
}

static void test_sanitize_not_started_unwatched(void **state)
{
	struct rig *r = rig_new("ata/ssd-sanitize.bin");
	struct dsp_san_opts o = opts(r, DSP_SAN_CRYPTO);

	rig_identify(r);
	/* a status it cannot read: nothing is started that could not be watched */
	r->f.fixed_sense = true;
	r->f.san_ok = true;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), -EPROTO);
	assert_int_equal(r->d->ncmds, 1);
	assert_cdb(&r->d->cmds[0], cdb_status);
	assert_false(r->f.san_running);

	/* a device fault on the status: an error with the registers, no sanitize */
	r->f.fixed_sense = false;
	r->f.fault_cmd = 0xb4;
	r->d->ncmds = 0;
	assert_int_equal(dsp_ata_sanitize(r->io, &r->id, &o, &r->res), -EREMOTEIO);
	assert_int_equal(r->d->ncmds, 1);
	assert_int_equal(r->res.ata_status, 0x61);
	assert_non_null(strstr(r->res.reason, "device fault"));
	rig_free(r);
}

/* ---- SECURITY ERASE ---- */

static void test_security_erase_enhanced(void **state)
{
	static const uint8_t setpw[16] = { 0x85, 0x0a, 0x06, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xf1, 0 };
	static const uint8_t prep[16] = { 0x85, 0x06, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf3, 0 };
	static const uint8_t unit[16] = { 0x85, 0x0a, 0x06, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xf4, 0 };
	static const uint8_t ident[16] = { 0x85, 0x08, 0x0e, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xec, 0 };
	struct rig *r = rig_new("ata/hdd-hpa.bin");
	uint8_t blk[512] = {0};
	char pw[32];

	rig_identify(r);
	assert_int_equal(dsp_ata_temp_password(pw, sizeof(pw)), 0);
	assert_int_equal(strlen(pw), 24);
	assert_memory_equal(pw, "dispose-", 8);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, pw, true, 0, &r->res), 0);
	assert_int_equal(r->res.action, DSP_SAN_SECURITY_ERASE_ENH);
	assert_int_equal(r->d->ncmds, 4);
	assert_cdb(&r->d->cmds[0], setpw);
	assert_int_equal(r->d->cmds[0].dxfer_direction, SG_DXFER_TO_DEV);
	assert_int_equal(r->d->cmds[0].dxfer_len, 512);
	memcpy(blk + 2, pw, strlen(pw));	/* word 0: user, high; words 1-16: password */
	assert_memory_equal(r->d->cmds[0].data_out, blk, 512);
	assert_cdb(&r->d->cmds[1], prep);
	assert_cdb(&r->d->cmds[2], unit);
	blk[0] = 0x02;	/* enhanced, user password */
	assert_memory_equal(r->d->cmds[2].data_out, blk, 512);
	assert_int_equal(r->d->cmds[2].timeout, (2 * 380 + 30) * 60u * 1000);	/* word 90 */
	assert_cdb(&r->d->cmds[3], ident);
	assert_int_equal(r->f.erases, 1);
	assert_int_equal(r->f.erase_control, 0x0002);
	assert_int_equal(ata_fake_word(r->f.identify, 128) & 2, 0);
	rig_free(r);
}

static void test_security_erase_normal_when_no_enhanced(void **state)
{
	struct rig *r = rig_new("ata/hdd-hpa.bin");

	ata_fake_set_word(r->f.identify, 128, 0x0001);	/* supported, no enhanced */
	ata_fake_sum(r->f.identify);
	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "dispose-test", true, 0, &r->res), 0);
	assert_int_equal(r->res.action, DSP_SAN_SECURITY_ERASE);
	assert_int_equal(r->f.erase_control, 0x0000);
	assert_int_equal(r->d->cmds[2].timeout, (2 * 360 + 30) * 60u * 1000);
	rig_free(r);
}

static void test_security_erase_timeouts(void **state)
{
	struct rig *r = rig_new("ata/hdd-hpa.bin");

	ata_fake_set_word(r->f.identify, 89, 0x00ff);	/* more than 508 minutes: a day */
	ata_fake_sum(r->f.identify);
	rig_identify(r);
	assert_true(r->id.erase_min_more);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "p", false, 0, &r->res), 0);
	assert_int_equal(r->d->cmds[2].cdb[14], 0xf4);
	assert_int_equal(r->d->cmds[2].timeout, 24u * 3600 * 1000);
	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "p", false, 90, &r->res), 0);
	assert_int_equal(r->d->cmds[2].timeout, 90u * 1000);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "", false, 0, &r->res), -EINVAL);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "123456789012345678901234567890123", false, 0,
						&r->res), -EINVAL);
	rig_free(r);
}

static void test_security_erase_refusals(void **state)
{
	struct rig *r = rig_new("ata/frozen.bin");

	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "x", true, 0, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "suspend and resume"));
	assert_non_null(strstr(r->res.reason, "replug"));
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);

	r = rig_new("ata/locked.bin");
	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "x", true, 0, &r->res), DSP_REFUSED);
	assert_non_null(strstr(r->res.reason, "locked"));
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);

	r = rig_new("ata/hdd-hpa.bin");
	ata_fake_set_word(r->f.identify, 128, 0x0023);	/* enabled: someone's password */
	ata_fake_sum(r->f.identify);
	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "x", true, 0, &r->res), DSP_REFUSED);
	ata_fake_set_word(r->f.identify, 128, 0x0031);	/* count expired */
	ata_fake_sum(r->f.identify);
	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "x", true, 0, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "power-cycle"));
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);

	r = rig_new("ata/none.bin");
	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "x", true, 0, &r->res), DSP_UNSUPPORTED);
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);
}

static void test_security_erase_failure_disables_password(void **state)
{
	struct rig *r = rig_new("ata/hdd-hpa.bin");

	rig_identify(r);
	r->f.erase_fails = true;
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "dispose-0123", false, 0, &r->res), -EIO);
	assert_int_equal(r->d->ncmds, 4);
	assert_int_equal(r->d->cmds[3].cdb[14], 0xf6);
	assert_memory_equal(r->d->cmds[3].data_out + 2, "dispose-0123", 12);
	assert_non_null(strstr(r->res.reason, "password was removed"));
	assert_int_equal(r->res.ata_status, 0x51);
	assert_int_equal(ata_fake_word(r->f.identify, 128) & 2, 0);

	/* the disable fails too: the message says the password is still set */
	r->d->ncmds = 0;
	r->f.disable_fails = true;
	assert_int_equal(dsp_ata_security_erase(r->io, &r->id, "dispose-0123", false, 0, &r->res), -EIO);
	assert_non_null(strstr(r->res.reason, "STILL SET"));
	assert_int_equal(ata_fake_word(r->f.identify, 128) & 2, 2);
	rig_free(r);
}

static void test_security_erase_resume_locked(void **state)
{
	struct rig *r = rig_new("ata/locked.bin");

	rig_identify(r);
	/* power failed mid-erase: the drive is locked with the password the run recorded */
	memset(r->f.password, 0, sizeof(r->f.password));
	memcpy(r->f.password, "dispose-0011223344556677", 24);
	assert_int_equal(dsp_ata_security_erase_resume(r->io, &r->id, "dispose-0011223344556677", true, 0,
						       &r->res), 0);
	assert_int_equal(r->d->ncmds, 3);	/* PREPARE, UNIT, IDENTIFY: no SET PASSWORD */
	assert_int_equal(r->d->cmds[0].cdb[14], 0xf3);
	assert_int_equal(r->d->cmds[1].cdb[14], 0xf4);
	assert_int_equal(r->d->cmds[2].cdb[14], 0xec);
	assert_int_equal(r->f.erase_control, 0x0002);
	assert_int_equal(ata_fake_word(r->f.identify, 128) & 2, 0);
	rig_free(r);

	/* another password: the drive aborts, the message says it is still set */
	r = rig_new("ata/locked.bin");
	rig_identify(r);
	memcpy(r->f.password, "owner", 5);
	assert_int_equal(dsp_ata_security_erase_resume(r->io, &r->id, "dispose-0011223344556677", true, 0,
						       &r->res), -EIO);
	assert_non_null(strstr(r->res.reason, "STILL SET"));
	rig_free(r);

	/* nothing to resume */
	r = rig_new("ata/hdd-hpa.bin");
	rig_identify(r);
	assert_int_equal(dsp_ata_security_erase_resume(r->io, &r->id, "p", true, 0, &r->res), DSP_REFUSED);
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);
}

static void test_unlock_recipe(void **state)
{
	char buf[256];

	assert_int_equal(dsp_ata_unlock_recipe("/dev/sdb", "dispose-00112233aabbccdd", buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "hdparm --user-master u --security-unlock dispose-00112233aabbccdd /dev/sdb && "
			    "hdparm --user-master u --security-disable dispose-00112233aabbccdd /dev/sdb");
	assert_int_equal(dsp_ata_unlock_recipe("/dev/sdb", "p", buf, 20), -ENOSPC);
}

/* ---- HPA / DCO ---- */

static void test_hidden_hpa_dco(void **state)
{
	static const uint8_t native[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x27, 0 };
	static const uint8_t dco[16] = { 0x85, 0x08, 0x0e, 0, 0xc2, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xb1, 0 };
	struct rig *r = rig_new("ata/hdd-hpa.bin");
	struct dsp_ata_hidden h;
	struct json_object *j;

	rig_identify(r);
	fake_load(r->f.dco, 512, "ata/hdd-dco.bin");
	r->f.native_max = 3907029167ull;
	assert_int_equal(dsp_ata_hidden(r->io, &r->id, &h, &r->res), 0);
	assert_cdb(&r->d->cmds[0], native);
	assert_cdb(&r->d->cmds[1], dco);
	assert_true(h.accessible == 3906000000ull);
	assert_true(h.native == 3907029168ull);
	assert_true(h.dco_max == 3907029168ull);
	assert_true(h.hpa);
	assert_false(h.dco);
	j = dsp_ata_hidden_json(&h);
	assert_non_null(j);
	assert_true(json_object_get_int64(json_object_object_get(j, "native_sectors")) == 3907029168ll);
	assert_true(json_object_get_boolean(json_object_object_get(j, "hpa")));
	json_object_put(j);

	/* no HPA, but DCO hides more */
	r->f.native_max = 3906000000ull - 1;
	ata_fake_set_word(r->f.dco, 3, (uint16_t)(4000000000ull - 1));
	ata_fake_set_word(r->f.dco, 4, (uint16_t)((4000000000ull - 1) >> 16));
	ata_fake_sum(r->f.dco);
	assert_int_equal(dsp_ata_hidden(r->io, &r->id, &h, &r->res), 0);
	assert_false(h.hpa);
	assert_true(h.dco);
	assert_true(h.dco_max == 4000000000ull);

	/* a damaged DCO page gives no number, with the reason */
	r->f.dco[6] ^= 1;
	assert_int_equal(dsp_ata_hidden(r->io, &r->id, &h, &r->res), 0);
	assert_true(h.dco_max == 0 && !h.dco);
	assert_non_null(strstr(h.reason, "checksum"));

	/* fixed-format sense loses LBA 47:24 of a 2 TB drive: unknown, never "no HPA" proven */
	r->f.fixed_sense = true;
	r->f.native_max = 3907029167ull;
	assert_int_equal(dsp_ata_hidden(r->io, &r->id, &h, &r->res), 0);
	assert_true(h.native == 0);
	assert_false(h.hpa);
	assert_non_null(strstr(h.reason, "fixed-format"));
	rig_free(r);
}

/* ---- HPA / DCO restore (--restore-hidden) ---- */

struct hrig {
	struct fake_dev *d;
	struct ata_hidden_fake *x;
	struct dsp_io *io;
	struct dsp_ata_identity id;
	struct dsp_ata_hidden h;
	struct dsp_san_result res;
};

/* hdd-hpa.bin: 3906000000 accessible of 3907029168 native; its DCO page hides no more */
static struct hrig *hrig_new(const char *page, void (*patch)(uint8_t *id))
{
	struct hrig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	assert_non_null(r->x = calloc(1, sizeof(*r->x)));
	r->d = fake_dev_new();
	r->d->ata = ata_hidden_fake_fn;
	r->d->ata_arg = r->x;
	fake_load(r->x->f.identify, 512, page);
	fake_load(r->x->f.dco, 512, "ata/hdd-dco.bin");
	if (patch) {
		patch(r->x->f.identify);
		ata_fake_sum(r->x->f.identify);
	}
	r->x->f.native_max = 3907029167ull;
	r->io = fake_dev_io(r->d);
	return r;
}

/* IDENTIFY and the hidden area as the drive says now; the command log emptied. */
static void hrig_read(struct hrig *r)
{
	assert_int_equal(dsp_ata_identify(r->io, &r->id, NULL, &r->res), 0);
	assert_int_equal(dsp_ata_hidden(r->io, &r->id, &r->h, &r->res), 0);
	r->d->ncmds = 0;
	memset(&r->res, 0, sizeof(r->res));
}

static void hrig_free(struct hrig *r)
{
	dsp_io_close(r->io);
	free(r->x);
	free(r);
}

static void test_restore_max_ext_cdbs(void **state)
{
	/* READ NATIVE MAX ADDRESS EXT, then at once SET MAX ADDRESS EXT to LBA E8E088AFh, VV clear */
	static const uint8_t rnm[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x27, 0 };
	static const uint8_t set[16] = { 0x85, 0x07, 0x00, 0, 0, 0, 0, 0xe8, 0xaf, 0, 0x88, 0, 0xe0,
					 0x40, 0x37, 0 };
	struct hrig *r = hrig_new("ata/hdd-hpa.bin", NULL);

	hrig_read(r);
	assert_true(r->h.hpa);
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), 0);
	assert_int_equal(r->d->ncmds, 2);
	assert_cdb(&r->d->cmds[0], rnm);
	assert_cdb(&r->d->cmds[1], set);
	assert_int_equal(r->d->cmds[1].dxfer_direction, SG_DXFER_NONE);
	assert_int_equal(r->x->set_max, 1);
	hrig_read(r);
	assert_true(r->id.sectors == 3907029168ull);
	assert_false(r->h.hpa || r->h.dco);

	/* nothing hidden now: nothing sent */
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), 0);
	assert_int_equal(r->d->ncmds, 0);
	hrig_free(r);
}

static void patch_28bit(uint8_t *id)
{
	ata_fake_set_word(id, 83, ata_fake_word(id, 83) & ~(1u << 10));
	ata_fake_set_word(id, 86, ata_fake_word(id, 86) & ~(1u << 10));
	ata_fake_set_word(id, 60, 0x0000);
	ata_fake_set_word(id, 61, 0x0ff0);	/* 267386880 sectors */
}

static void test_restore_max_28bit_cdbs(void **state)
{
	/* READ NATIVE MAX ADDRESS (F8h); SET MAX ADDRESS (F9h) LBA 0FFFFFEh: 27:24 in DEVICE 3:0 */
	static const uint8_t rnm[16] = { 0x85, 0x06, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0xf8, 0 };
	static const uint8_t set[16] = { 0x85, 0x06, 0x00, 0, 0, 0, 0, 0, 0xfe, 0, 0xff, 0, 0xff,
					 0x4f, 0xf9, 0 };
	struct hrig *r = hrig_new("ata/hdd-hpa.bin", patch_28bit);

	r->x->f.native_max = 0x0ffffffe;
	hrig_read(r);
	assert_false(r->id.lba48);
	assert_true(r->h.native == 0x0fffffffull && r->h.hpa);
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), 0);
	assert_int_equal(r->d->ncmds, 2);
	assert_cdb(&r->d->cmds[0], rnm);
	assert_cdb(&r->d->cmds[1], set);
	hrig_read(r);
	assert_true(r->id.sectors == 0x0fffffffull);
	hrig_free(r);
}

static void patch_amac(uint8_t *id)
{
	ata_fake_set_word(id, 82, ata_fake_word(id, 82) & ~(1u << 10));
	ata_fake_set_word(id, 119, ata_fake_word(id, 119) | (1u << 8));
}

static void test_restore_accessible_max_cdbs(void **state)
{
	/* ACS-3: GET NATIVE MAX ADDRESS EXT (78h/0000h), SET ACCESSIBLE MAX ADDRESS EXT (78h/0001h) */
	static const uint8_t get[16] = { 0x85, 0x07, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x78, 0 };
	static const uint8_t set[16] = { 0x85, 0x07, 0x00, 0, 0x01, 0, 0, 0xe8, 0xaf, 0, 0x88, 0, 0xe0,
					 0x40, 0x78, 0 };
	struct hrig *r = hrig_new("ata/hdd-hpa.bin", patch_amac);

	r->x->amac = true;
	hrig_read(r);
	assert_true(r->id.amac && !r->id.hpa && r->h.hpa);
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), 0);
	assert_int_equal(r->d->ncmds, 2);
	assert_cdb(&r->d->cmds[0], get);
	assert_cdb(&r->d->cmds[1], set);
	hrig_read(r);
	assert_true(r->id.sectors == 3907029168ull);
	hrig_free(r);
}

/* The DCO page's max LBA (words 3-6) to lba. */
static void dco_max(struct hrig *r, uint64_t lba)
{
	for (unsigned i = 0; i < 4; i++)
		ata_fake_set_word(r->x->f.dco, 3 + i, (uint16_t)(lba >> (16 * i)));
	ata_fake_sum(r->x->f.dco);
}

static void test_dco_restore_cdb(void **state)
{
	static const uint8_t cdb[16] = { 0x85, 0x06, 0x00, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xb1, 0 };
	struct hrig *r = hrig_new("ata/hdd-hpa.bin", NULL);

	dco_max(r, 3907029167ull + 1000);
	r->x->f.native_max = 3906000000ull - 1;	/* no HPA; the DCO hides 1000 sectors */
	hrig_read(r);
	assert_true(!r->h.hpa && r->h.dco);
	assert_int_equal(dsp_ata_dco_restore(r->io, &r->id, &r->h, &r->res), 0);
	assert_int_equal(r->d->ncmds, 1);
	assert_cdb(&r->d->cmds[0], cdb);
	assert_int_equal(r->d->cmds[0].dxfer_direction, SG_DXFER_NONE);
	hrig_read(r);
	assert_true(r->id.sectors == 3907030168ull);
	assert_false(r->h.hpa || r->h.dco);
	hrig_free(r);
}

static void patch_locked(uint8_t *id)
{
	ata_fake_set_word(id, 128, ata_fake_word(id, 128) | 0x0006);
}

static void test_hidden_restore_refusals(void **state)
{
	struct hrig *r = hrig_new("ata/none.bin", NULL);

	/* no HPA, AMAC or DCO feature: nothing sent */
	hrig_read(r);
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "no HPA or Accessible Max Address"));
	assert_int_equal(dsp_ata_dco_restore(r->io, &r->id, &r->h, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "no Device Configuration Overlay"));
	assert_int_equal(r->d->ncmds, 0);
	hrig_free(r);

	/* the native max not known (fixed-format sense lost its upper bytes): nothing set */
	r = hrig_new("ata/hdd-hpa.bin", NULL);
	r->x->f.fixed_sense = true;
	hrig_read(r);
	assert_true(r->h.native == 0);
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), DSP_UNSUPPORTED);
	assert_non_null(strstr(r->res.reason, "native max address not known"));
	assert_int_equal(r->d->ncmds, 0);
	r->x->f.fixed_sense = false;

	/* the native max changed between the probe and the restore: read, nothing set */
	hrig_read(r);
	r->x->f.native_max = 3907029167ull - 8;
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), -ESTALE);
	assert_int_equal(r->d->ncmds, 1);
	assert_int_equal(r->x->set_max, 0);
	r->x->f.native_max = 3907029167ull;

	/* an HPA still set: DCO RESTORE would abort, so it is not sent */
	hrig_read(r);
	assert_int_equal(dsp_ata_dco_restore(r->io, &r->id, &r->h, &r->res), DSP_REFUSED);
	assert_int_equal(r->d->ncmds, 0);

	/* SET MAX frozen by the drive: aborted, said */
	r->x->max_frozen = true;
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), DSP_UNSUPPORTED);
	assert_int_equal(r->d->ncmds, 2);
	assert_non_null(strstr(r->res.reason, "locked or frozen"));
	assert_int_equal(r->x->set_max, 0);
	hrig_free(r);

	/* DCO frozen: aborted, said */
	r = hrig_new("ata/hdd-hpa.bin", NULL);
	dco_max(r, 3907029167ull + 1000);
	r->x->f.native_max = 3906000000ull - 1;
	r->x->dco_frozen = true;
	hrig_read(r);
	assert_int_equal(dsp_ata_dco_restore(r->io, &r->id, &r->h, &r->res), DSP_UNSUPPORTED);
	assert_int_equal(r->d->ncmds, 1);
	assert_non_null(strstr(r->res.reason, "DCO is frozen"));
	assert_int_equal(r->x->dco_restores, 0);
	hrig_free(r);

	/* security locked: neither is sent */
	r = hrig_new("ata/hdd-hpa.bin", patch_locked);
	hrig_read(r);
	assert_true(r->id.sec_locked && r->h.hpa);
	assert_int_equal(dsp_ata_restore_max(r->io, &r->id, &r->h, &r->res), DSP_REFUSED);
	r->h.hpa = false;
	assert_int_equal(dsp_ata_dco_restore(r->io, &r->id, &r->h, &r->res), DSP_REFUSED);
	assert_int_equal(r->d->ncmds, 0);
	hrig_free(r);
}

/* ---- SMART ---- */

static void test_smart(void **state)
{
	static const uint8_t status[16] = { 0x85, 0x06, 0x20, 0, 0xda, 0, 0, 0, 0, 0, 0x4f, 0, 0xc2, 0, 0xb0, 0 };
	static const uint8_t read[16] = { 0x85, 0x08, 0x0e, 0, 0xd0, 0, 0x01, 0, 0, 0, 0x4f, 0, 0xc2, 0, 0xb0, 0 };
	struct rig *r = rig_new("ata/hdd-hpa.bin");
	struct json_object *j, *a;

	rig_identify(r);
	fake_load(r->f.smart, 512, "ata/smart.bin");
	assert_int_equal(dsp_ata_smart(r->io, &r->id, &j, &r->res), 0);
	assert_cdb(&r->d->cmds[0], status);
	assert_cdb(&r->d->cmds[1], read);
	assert_string_equal(json_object_get_string(json_object_object_get(j, "status")), "passed");
	assert_int_equal(json_object_get_int(json_object_object_get(j, "reallocated_sectors")), 12);
	assert_int_equal(json_object_get_int(json_object_object_get(j, "pending_sectors")), 3);
	assert_int_equal(json_object_get_int(json_object_object_get(j, "power_on_hours")), 20000);
	a = json_object_object_get(j, "attributes");
	assert_int_equal(json_object_array_length(a), 6);
	assert_int_equal(json_object_get_int(json_object_object_get(json_object_array_get_idx(a, 3), "worst")), 55);
	json_object_put(j);

	r->f.smart_lba = 0x2cf4;	/* threshold exceeded */
	assert_int_equal(dsp_ata_smart(r->io, &r->id, &j, &r->res), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(j, "status")), "failing");
	json_object_put(j);

	r->f.smart[100] ^= 1;
	assert_int_equal(dsp_ata_smart(r->io, &r->id, &j, &r->res), DSP_INVALID);
	assert_null(j);
	rig_free(r);

	r = rig_new("ata/none.bin");
	rig_identify(r);
	assert_int_equal(dsp_ata_smart(r->io, &r->id, &j, &r->res), DSP_UNSUPPORTED);
	assert_int_equal(r->d->ncmds, 0);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identify_cdb_and_ssd_fields),
		cmocka_unit_test(test_identify_hdd_fields),
		cmocka_unit_test(test_identify_frozen_locked_none),
		cmocka_unit_test(test_identify_checksum_refused),
		cmocka_unit_test(test_no_passthrough_unsupported),
		cmocka_unit_test(test_sanitize_crypto_polled),
		cmocka_unit_test(test_sanitize_block_overwrite_cdbs),
		cmocka_unit_test(test_sanitize_unsupported_sends_nothing),
		cmocka_unit_test(test_sanitize_frozen_refused_by_drive),
		cmocka_unit_test(test_sanitize_failed),
		cmocka_unit_test(test_sanitize_power_cycle),
		cmocka_unit_test(test_sanitize_fixed_sense),
		cmocka_unit_test(test_no_registers_never_guessed),
		cmocka_unit_test(test_sanitize_not_started_unwatched),
		cmocka_unit_test(test_security_erase_enhanced),
		cmocka_unit_test(test_security_erase_normal_when_no_enhanced),
		cmocka_unit_test(test_security_erase_timeouts),
		cmocka_unit_test(test_security_erase_refusals),
		cmocka_unit_test(test_security_erase_failure_disables_password),
		cmocka_unit_test(test_security_erase_resume_locked),
		cmocka_unit_test(test_unlock_recipe),
		cmocka_unit_test(test_hidden_hpa_dco),
		cmocka_unit_test(test_restore_max_ext_cdbs),
		cmocka_unit_test(test_restore_max_28bit_cdbs),
		cmocka_unit_test(test_restore_accessible_max_cdbs),
		cmocka_unit_test(test_dco_restore_cdb),
		cmocka_unit_test(test_hidden_restore_refusals),
		cmocka_unit_test(test_smart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
