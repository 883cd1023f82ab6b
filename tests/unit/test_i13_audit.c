/* SPDX-License-Identifier: MIT */
/*
 * test_i13_audit.c - reviewer R2 of #13: a sanitize outcome the run did not
 * cause must not be claimed (a stale completion status read on resume, a
 * sanitize already running that this run never sent). Fixture in
 * erase_sanitize_fake.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "dispose/common.h"
#include "dispose/erase.h"
#include "dispose/json.h"
#include "dispose/ledger.h"
#include "dispose/log.h"
#include "erase_sanitize_fake.h"

/* What a run cut off by a power failure left on record: the target and its sanitize_sent, synced
   before the command; the power failed before the command reached the device. */
static void record_sent_only(struct fx *f, const char *bus, const char *action)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "target", json_object_new_string("t1"));
	json_object_object_add(ev, "path", json_object_new_string(f->dev.path));
	json_object_object_add(ev, "kind", json_object_new_string("block"));
	json_object_object_add(ev, "technique", json_object_new_string("sanitize"));
	assert_int_equal(dsp_ledger_append(f->l, "target", ev, 1), 0);
	json_object_put(ev);
	ev = json_object_new_object();
	json_object_object_add(ev, "target", json_object_new_string("t1"));
	json_object_object_add(ev, "bus", json_object_new_string(bus));
	json_object_object_add(ev, "action", json_object_new_string(action));
	assert_int_equal(dsp_ledger_append(f->l, "sanitize_sent", ev, 1), 0);
	json_object_put(ev);
}

/*
 * The verdict may not say the device erased: not success, not purge or
 * clear. The fixture is freed first (a failure then leaks nothing).
 */
static void assert_no_claim_free(struct fx *f)
{
	struct json_object *end = last_event(f, "target_end");
	char got[128];
	bool claims;

	snprintf(got, sizeof(got), "%s / %s", dsp_json_str(end, "status"),
		 dsp_json_str(end, "nist_category"));
	claims = !strcmp(dsp_json_str(end, "status"), "success") ||
		 strcmp(dsp_json_str(end, "nist_category"), "none");
	json_object_put(end);
	fx_free(f);
	if (claims)
		fail_msg("target_end claims %s for a sanitize this run never caused", got);
}

/* Sent, or claims nothing: a success for a command never sent is a hole. Frees f. */
static void assert_sent_or_no_claim_free(struct fx *f, unsigned sends)
{
	struct json_object *end = last_event(f, "target_end");
	char got[160];
	bool hole;

	snprintf(got, sizeof(got), "%s, action %s, %s", dsp_json_str(end, "status"),
		 dsp_json_str(end, "action"), dsp_json_str(end, "nist_category"));
	hole = !sends && !strcmp(dsp_json_str(end, "status"), "success");
	json_object_put(end);
	fx_free(f);
	if (hole)
		fail_msg("the sanitize command was never sent, yet target_end says %s", got);
}

/*
 * ATA: the power failed after sanitize_sent was synced, before SANITIZE
 * CRYPTO SCRAMBLE EXT reached the drive. The drive's SANITIZE STATUS EXT
 * still says "completed without error" from a sanitize of long ago (any
 * action: the status does not name one). The resume must not read that as
 * this run's crypto scramble: nothing was erased.
 */
static void test_audit_ata_resume_stale_completion(void **state)
{
	struct fx *f = fx_new("sda");
	unsigned sends = 0;

	(void)state;
	fx_ata(f, "ssd-sanitize.bin");
	f->ata.san_ok = true;		/* an earlier sanitize, before this run */
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	record_sent_only(f, "ata", "crypto");
	f->o.resume = true;
	(void)dsp_erase_sanitize_io(fx_io(f), &f->o, NULL);
	for (unsigned i = 0; i < f->d->ncmds; i++)
		sends += f->d->cmds[i].cdb[0] == 0x85 && f->d->cmds[i].cdb[14] == 0xb4 &&
			 f->d->cmds[i].cdb[4] == 0x11;
	assert_int_equal(sends, 0);	/* never resent: right */
	assert_no_claim_free(f);	/* but nothing may be claimed either */
}

/*
 * NVMe: the same power failure. The sanitize log names a crypto erase
 * completed (SSTAT 1) before this run, and Global Data Erased (SSTAT bit 8)
 * is clear: data was written since that sanitize. The resume must not read
 * it as this run's sanitize.
 */
static void test_audit_nvme_resume_stale_log(void **state)
{
	struct fx *f = fx_new("nvme0n1");

	(void)state;
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->sstat = 0x0001;		/* completed; GDE 0: written to since */
	f->d->scdw10 = 0x204;		/* a crypto erase, as this run would send it */
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	record_sent_only(f, "nvme", "crypto");
	f->o.resume = true;
	(void)dsp_erase_sanitize_io(fx_io(f), &f->o, NULL);
	assert_int_equal(count_op(f->d, 0x84), 0);
	assert_no_claim_free(f);
}

/*
 * ATA, first run: a sanitize is already running when the run starts (begun
 * by someone else; SANITIZE STATUS EXT cannot say which action). The run
 * records sanitize_sent with CRYPTO SCRAMBLE EXT, never sends it, polls the
 * other sanitize and claims its crypto scramble. Either it sends its own
 * command after the other ends, or it claims nothing.
 */
static void test_audit_ata_already_running(void **state)
{
	struct fx *f = fx_new("sda");
	unsigned sends = 0;

	(void)state;
	fx_ata(f, "ssd-sanitize.bin");
	f->ata.san_running = true;
	f->ata.san_steps = 3;
	f->ata.san_left = 3;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	(void)dsp_erase_sanitize_io(fx_io(f), &f->o, NULL);
	for (unsigned i = 0; i < f->d->ncmds; i++)
		sends += f->d->cmds[i].cdb[0] == 0x85 && f->d->cmds[i].cdb[14] == 0xb4 &&
			 f->d->cmds[i].cdb[4] == 0x11;
	assert_sent_or_no_claim_free(f, sends);
}

/* SCSI, first run: the same with a SANITIZE already in progress (sense 02/04/1b). */
static void test_audit_scsi_already_running(void **state)
{
	struct fx *f = fx_new("sde");
	unsigned sends = 0;

	(void)state;
	fx_scsi(f);
	f->d->sa_support[3] = 3;
	f->d->scsi_running = true;
	f->d->scsi_steps = 3;
	f->d->scsi_left = 3;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	(void)dsp_erase_sanitize_io(fx_io(f), &f->o, NULL);
	for (unsigned i = 0; i < f->d->ncmds; i++)
		sends += f->d->cmds[i].req == SG_IO && f->d->cmds[i].cdb[0] == 0x48;
	assert_sent_or_no_claim_free(f, sends);
}

/*
 * A guard (passes today): ATA SECURITY ERASE when the run record cannot take
 * sanitize_sent (ENOSPC on its write, or EIO on its fdatasync): the drive
 * never sees SET PASSWORD, so no password can be lost.
 */
static void test_audit_ata_password_record_fails(void **state)
{
	static const struct { int write_err, sync_err; } cases[] = { { ENOSPC, 0 }, { 0, EIO } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *f = fx_new("sda");
		struct dsp_ledger_fault fault = { .seq = 2, .write_err = cases[i].write_err,
						  .write_after = 10, .sync_err = cases[i].sync_err };
		unsigned setpw = 0, destructive;
		int r;

		fx_ata(f, "hdd-hpa.bin");
		fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_PURGE);
		dsp_ledger_test_fault(f->l, &fault);	/* line 1 target, line 2 sanitize_sent */
		r = dsp_erase_sanitize_io(fx_io(f), &f->o, NULL);
		for (unsigned k = 0; k < f->d->ncmds; k++)
			setpw += f->d->cmds[k].cdb[0] == 0x85 && f->d->cmds[k].cdb[14] == 0xf1;
		destructive = f->destructive;
		/* the fault hit sanitize_sent, not the target line before it (a failed
		   fdatasync leaves the line written, not known durable) */
		assert_int_equal(count_event(f->dir, "target"), 1);
		if (cases[i].write_err)
			assert_int_equal(count_event(f->dir, "sanitize_sent"), 0);
		fx_free(f);
		assert_true(r < 0);
		assert_int_equal(setpw, 0);
		assert_int_equal(destructive, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_ata_resume_stale_completion),
		cmocka_unit_test(test_audit_nvme_resume_stale_log),
		cmocka_unit_test(test_audit_ata_already_running),
		cmocka_unit_test(test_audit_scsi_already_running),
		cmocka_unit_test(test_audit_ata_password_record_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
