/* SPDX-License-Identifier: MIT */
/* test_erase_sanitize.c - the sanitize technique (check, run, record, labels, resume) against fake devices */
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

/* ---- check: NVMe ---- */

static void test_check_nvme_unsupported_message(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct dsp_erase_why why;

	(void)state;
	fx_nvme(f, "id-ctrl-qemu.bin");
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_int_equal(why.code, DSP_UNSUPPORTED);
	assert_string_equal(why.thing, "/dev/nvme0n1");
	assert_string_equal(why.reason, "the device does not support sanitize crypto erase (SANICAP 0); "
			    "try format-user-data or auto");
	/* format-crypto: FNA 0 */
	fx_method(f, "format-crypto", DSP_ACT_FORMAT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_string_equal(why.reason, "the device does not support Format NVM cryptographic erase "
			    "(FNA 0); try format-user-data or auto");
	/* no format at all: only auto is left */
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	assert_int_equal(check(f, false, &why), 0);
	fx_free(f);

	f = fx_new("nvme0n1");
	fx_nvme(f, "id-ctrl-none.bin");
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_string_equal(why.reason, "the device does not support Format NVM user data erase (OACS 0x4); "
			    "try auto");
	/* an ATA-only action on NVMe */
	fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_CLEAR);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "needs an ATA drive, this is a nvme device"));
	/* nothing was sent but identify and log reads */
	assert_int_equal(count_op(f->d, 0x84) + count_op(f->d, 0x80), 0);
	fx_free(f);
}

/* A fake /sys/block holding the block devices named (DISPOSE_TEST_SYS_BLOCK points to it). */
static void sys_block(char *dir, size_t len, const char *names)
{
	char cmd[512];

	snprintf(dir, len, "/tmp/dsp-sysblock-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir %s", dir, names);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(setenv("DISPOSE_TEST_SYS_BLOCK", dir, 1), 0);
}

static void sys_block_free(const char *dir)
{
	char cmd[128];

	unsetenv("DISPOSE_TEST_SYS_BLOCK");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_check_nvme_namespaces(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct dsp_erase_why why;
	char dir[64];

	(void)state;
	sys_block(dir, sizeof(dir), "nvme0n1 nvme0n2 nvme0n3 nvme1n1 sda");
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->active_ns = 3;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_REFUSED);
	assert_non_null(strstr(why.reason, "sanitize crypto erase erases all 3 namespaces of the controller"));
	assert_non_null(strstr(why.reason, "name every namespace as a target"));
	assert_int_equal(check(f, true, &why), 0);
	/* FNA bit 0: a format erases every namespace too */
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	assert_int_equal(check(f, false, &why), DSP_REFUSED);
	assert_int_equal(check(f, true, &why), 0);
	sys_block_free(dir);

	/* 3 active namespaces, 2 with a block device (the third only ng0n3): every block
	   device a target is not every namespace; refused, the count named */
	sys_block(dir, sizeof(dir), "nvme0n1 nvme0n2 nvme1n1");
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, true, &why), DSP_REFUSED);
	assert_string_equal(why.reason, "sanitize crypto erase erases all 3 active namespaces of the "
			    "controller, but the targets of this run are its 2 namespace block devices "
			    "(nvme0n1, nvme0n2): a namespace without one cannot be named as a target; refused");
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	assert_int_equal(check(f, true, &why), DSP_REFUSED);
	/* and at run time: nothing sent, nothing recorded as sent */
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	f->o.all_namespaces = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_REFUSED);
	assert_int_equal(count_op(f->d, 0x84) + count_op(f->d, 0x80), 0);
	assert_int_equal(count_event(f->dir, "sanitize_sent"), 0);
	sys_block_free(dir);

	/* unknown count (NVMe 1.0): refused, even with every block device a target */
	f->d->no_cns2 = true;
	fx_method(f, "sanitize-block", DSP_ACT_BLOCK, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_REFUSED);
	assert_non_null(strstr(why.reason, "whose count is unknown"));
	assert_int_equal(check(f, true, &why), DSP_REFUSED);
	assert_non_null(strstr(why.reason, "whose count is unknown"));
	fx_free(f);
}

/* --category above what the action reaches: refused at the check (exit 5), nothing sent. */
static void test_check_requested_category(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct dsp_erase_why why;

	(void)state;
	fx_nvme(f, "id-ctrl-qemu.bin");
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	memset(&why, 0, sizeof(why));
	assert_int_equal(dsp_erase_sanitize_check(fx_io(f), f->dev.path, &f->dev, &f->m, DSP_CAT_PURGE,
						  false, &why), DSP_UNSUPPORTED);
	assert_string_equal(why.reason, "purge requested, but a Format NVM user data erase is Clear: "
			    "the device need not erase the spare area (format-crypto or sanitize-crypto "
			    "for Purge); nothing written");
	/* clear asked for, or none: the method's clear stands */
	assert_int_equal(dsp_erase_sanitize_check(fx_io(f), f->dev.path, &f->dev, &f->m, DSP_CAT_CLEAR,
						  false, &why), 0);
	assert_int_equal(check(f, false, &why), 0);
	assert_int_equal(count_op(f->d, 0x80), 0);
	fx_free(f);
}

/*
 * A sanitize already running, not started by this run (ATA, NVMe, SCSI):
 * refused at the check and at run time before sanitize_sent (exit 4),
 * nothing sent, the progress named.
 */
static void test_already_running_refused(void **state)
{
	struct dsp_erase_why why;
	struct json_object *end;
	bool refused = false;
	struct fx *f = fx_new("sda");

	(void)state;
	fx_ata(f, "ssd-sanitize.bin");
	f->ata.san_running = true;
	f->ata.san_steps = 8;
	f->ata.san_left = 7;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_REFUSED);
	assert_string_equal(why.reason, "a sanitize is already running on the device (25% done), not "
			    "started by this run: wait for it to end, then run again");
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_REFUSED);
	assert_int_equal(f->destructive, 0);
	assert_int_equal(count_event(f->dir, "sanitize_sent"), 0);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "failed");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	assert_int_equal(dsp_json_bool(end, "refused", &refused), 0);
	assert_true(refused);
	assert_non_null(strstr(dsp_json_str(end, "error"), "a sanitize is already running on the device"));
	json_object_put(end);
	fx_free(f);

	f = fx_new("nvme0n1");
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->sstat = 2;
	f->d->sprog = 0x8000;
	f->d->scdw10 = 0x204;
	f->d->san_steps = 50;
	f->d->san_left = 50;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_REFUSED);
	assert_non_null(strstr(why.reason, "a sanitize is already running on the device ("));
	/* even with every namespace a target: before the run, nothing of it was sent */
	assert_int_equal(check(f, true, &why), DSP_REFUSED);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_REFUSED);
	assert_int_equal(count_op(f->d, 0x84), 0);
	assert_int_equal(count_event(f->dir, "sanitize_sent"), 0);
	fx_free(f);

	f = fx_new("sde");
	fx_scsi(f);
	f->d->sa_support[3] = 3;
	f->d->scsi_running = true;
	f->d->scsi_steps = 4;
	f->d->scsi_left = 4;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_REFUSED);
	assert_non_null(strstr(why.reason, "a sanitize is already running on the device ("));
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_REFUSED);
	assert_int_equal(f->destructive, 0);
	assert_int_equal(count_event(f->dir, "sanitize_sent"), 0);
	fx_free(f);
}

/*
 * Two namespaces of one controller, both targets: the second target's run
 * finds the sanitize the first one sent running (the same action) and polls
 * it: both succeed, one Sanitize command sent.
 */
static void test_run_nvme_namespaces_share(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *sent, *v;
	char dir[64];

	(void)state;
	sys_block(dir, sizeof(dir), "nvme0n1 nvme0n2");
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->active_ns = 2;
	f->d->san_steps = 6;
	f->d->cancel_after = 1;
	f->o.all_namespaces = true;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	/* the first namespace's target sends it (and stops watching) */
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_INTERRUPTED);
	assert_int_equal(count_op(f->d, 0x84), 1);
	/* the second's, while it runs */
	f->d->cancel_after = 0;
	f->o.target_id = "t2";
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	assert_int_equal(count_op(f->d, 0x84), 1);
	f->o.target_id = "t1";
	sent = last_event(f, "sanitize_sent");
	/* t1's status before: nothing ran */
	assert_true(json_object_object_get_ex(sent, "status_before", &v));
	assert_string_equal(dsp_json_str(v, "sstat"), "0x0000");
	json_object_put(sent);
	sys_block_free(dir);
	fx_free(f);
}

static void test_check_loop_and_partition(void **state)
{
	struct fx *f = fx_new("loop3");
	struct dsp_erase_why why;

	(void)state;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_string_equal(why.thing, "/dev/loop3");
	assert_string_equal(why.reason, "no device sanitize (a loop device): use an overwrite method or auto");
	fx_free(f);

	f = fx_new("nvme0n1p1");
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->dev.is_partition = true;
	snprintf(f->dev.disk, sizeof(f->dev.disk), "nvme0n1");
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "not a partition: name the disk (nvme0n1)"));
	fx_free(f);
}

/* ---- check: ATA, SCSI, eMMC ---- */

static void test_check_ata(void **state)
{
	struct fx *f = fx_new("sda");
	struct dsp_erase_why why;

	(void)state;
	fx_ata(f, "frozen.bin");
	fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_CLEAR);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "security frozen"));
	assert_non_null(strstr(why.reason, "suspend and resume the machine"));
	/* its sanitize is not frozen */
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), 0);
	/* SANITIZE FREEZE LOCK */
	f->ata.san_frozen = true;
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "sanitize frozen"));
	assert_non_null(strstr(why.reason, "power-cycle the drive"));
	fx_free(f);

	f = fx_new("sdb");
	fx_ata(f, "locked.bin");
	fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_REFUSED);
	assert_non_null(strstr(why.reason, "security locked"));
	fx_free(f);

	f = fx_new("sdc");
	fx_ata(f, "hdd-hpa.bin");
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_string_equal(why.reason, "the device does not support sanitize crypto erase (IDENTIFY word 59); "
			    "try auto");
	/* a rotational drive: security erase can reach purge */
	fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), 0);
	fx_free(f);

	/* on flash it cannot: the method's purge is refused before anything is sent */
	f = fx_new("sdd");
	fx_ata(f, "ssd-sanitize.bin");
	fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "asks for purge, but ATA SECURITY ERASE on flash is Clear"));
	assert_int_equal(f->ata.erases, 0);
	assert_int_equal(f->ata.password[0], 0);
	fx_free(f);
}

static void test_check_scsi_mmc(void **state)
{
	struct fx *f = fx_new("sde");
	struct dsp_erase_why why;

	(void)state;
	fx_scsi(f);
	f->d->sa_support[2] = 3;	/* block erase only */
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_string_equal(why.reason, "the device does not support sanitize crypto erase (REPORT SUPPORTED "
			    "OPERATION CODES); try sanitize-block or auto");
	fx_method(f, "sanitize-block", DSP_ACT_BLOCK, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), 0);
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	fx_free(f);

	f = fx_new("mmcblk0");
	fx_method(f, "secdiscard", DSP_ACT_SECDISCARD, DSP_CAT_CLEAR);
	assert_int_equal(check(f, false, &why), 0);
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(check(f, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "offers only secure discard"));
	fx_free(f);
}

/* ---- run: NVMe ---- */

static void test_run_nvme_crypto_success(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct dsp_erase_result res;
	struct json_object *sent, *end, *v;

	(void)state;
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->san_steps = 3;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	snprintf(f->dev.serial, sizeof(f->dev.serial), "S64ANS0T512345");
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, &res), 0);
	assert_events(f, "target,sanitize_sent,sanitize_end,target_end");
	/* the record held sanitize_sent when the device saw the Sanitize command */
	assert_int_equal(count_op(f->d, 0x84), 1);
	assert_int_equal(f->destructive, 1);
	assert_int_equal(f->sent_before, 1);
	sent = last_event(f, "sanitize_sent");
	assert_string_equal(dsp_json_str(sent, "bus"), "nvme");
	assert_string_equal(dsp_json_str(sent, "action"), "crypto");
	/* NDI clear: No-Deallocate asked (bit 9), and the record says the dwords the device saw */
	assert_int_equal(f->d->scdw10, 0x204);
	assert_non_null(strstr(dsp_json_str(sent, "command"), "cdw10 0x00000204"));
	assert_true(json_object_object_get_ex(sent, "health_before", &v) && v);
	/* the sanitize log before the command: a resume compares with it */
	assert_true(json_object_object_get_ex(sent, "status_before", &v));
	assert_string_equal(dsp_json_str(v, "sstat"), "0x0000");
	assert_string_equal(dsp_json_str(v, "scdw10"), "0x00000000");
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "success");
	assert_string_equal(dsp_json_str(end, "technique"), "sanitize");
	assert_string_equal(dsp_json_str(end, "action"), "crypto");
	assert_string_equal(dsp_json_str(end, "category_requested"), "purge");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	assert_true(json_object_object_get_ex(end, "health_before", &v) &&
		    json_object_is_type(v, json_type_object));
	assert_true(json_object_object_get_ex(end, "health_after", &v) &&
		    json_object_is_type(v, json_type_object));
	assert_true(json_object_object_get_ex(end, "sanitize", &v));
	assert_string_equal(dsp_json_str(v, "sstat"), "0x0101");
	/* No-Deallocate: no deallocation caveat */
	assert_false(has_caveat(end, "read-back after a deallocating purge"));
	json_object_put(sent);
	json_object_put(end);
	fx_free(f);
}

static void test_run_nvme_dealloc_and_failing_health(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *end;

	(void)state;
	fx_nvme(f, "id-ctrl-all-ndi.bin");	/* NDI: the device deallocates */
	fake_load(f->d->health, sizeof(f->d->health), "nvme/health-failing.bin");
	fx_method(f, "sanitize-block", DSP_ACT_BLOCK, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	assert_true(has_caveat(end, "read-back after a deallocating purge is not evidence of the media state"));
	assert_true(has_caveat(end, "the drive reports failing health"));
	json_object_put(end);
	fx_free(f);
}

static void test_run_nvme_failed(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *end;

	(void)state;
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->san_steps = 2;
	f->d->san_final = 3;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), -EIO);
	assert_events(f, "target,sanitize_sent,sanitize_end,target_end");
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "failed");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	assert_non_null(strstr(dsp_json_str(end, "error"), "the sanitize failed"));
	json_object_put(end);
	fx_free(f);
}

static void test_run_nvme_interrupted_then_resumed(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *end;

	(void)state;
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->san_steps = 6;
	f->d->cancel_after = 2;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_INTERRUPTED);
	assert_events(f, "target,sanitize_sent,target_end");
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "interrupted");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	json_object_put(end);

	/* the power fails; the drive restarts its sanitize and reports it in progress */
	fake_power_cycle(f->d);
	f->d->cancel_after = 0;
	dsp_ledger_close(f->l);
	assert_int_equal(dsp_ledger_open(f->dir, DSP_LEDGER_RESUME, &f->l), 0);
	f->o.ledger = f->l;
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	/* polled, never sent again */
	assert_int_equal(count_op(f->d, 0x84), 1);
	assert_events(f, "target,sanitize_sent,target_end,target_resumed,sanitize_end,target_end");
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "success");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	json_object_put(end);
	/* finished: a second resume refuses */
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), -EALREADY);
	assert_int_equal(count_op(f->d, 0x84), 1);
	fx_free(f);
}

static void test_run_nvme_resume_finished_unseen(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *end;

	(void)state;
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->san_steps = 6;
	f->d->cancel_after = 1;
	fx_method(f, "sanitize-block", DSP_ACT_BLOCK, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_INTERRUPTED);
	/* the device finished while nobody watched */
	f->d->san_left = 1;
	f->d->cancel_after = 0;
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	assert_int_equal(count_op(f->d, 0x84), 1);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	json_object_put(end);
	fx_free(f);

	/* a record saying "sent" where the device shows no such sanitize: reported, not resent */
	f = fx_new("nvme0n1");
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->san_steps = 6;
	f->d->cancel_after = 1;
	fx_method(f, "sanitize-block", DSP_ACT_BLOCK, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_INTERRUPTED);
	f->d->sstat = 0;
	f->d->scdw10 = 0;
	f->d->cancel_after = 0;
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), -EIO);
	assert_int_equal(count_op(f->d, 0x84), 1);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "failed");
	assert_non_null(strstr(dsp_json_str(end, "error"), "not sent again"));
	json_object_put(end);
	fx_free(f);
}

/*
 * What a run cut off by a power failure between sanitize_sent and the
 * command left on record: the target, and sanitize_sent with the status
 * before as dsp_erase_sanitize_io records it (status_before: a JSON text).
 */
static void record_sent(struct fx *f, const char *bus, const char *action, const char *before)
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
	json_object_object_add(ev, "status_before", json_tokener_parse(before));
	assert_int_equal(dsp_ledger_append(f->l, "sanitize_sent", ev, 1), 0);
	json_object_put(ev);
}

/*
 * The power failed between sanitize_sent and the command: the device's
 * status is the one recorded before it (an older sanitize, completed). The
 * resume cannot tell: failed, nothing claimed, nothing sent. A status that
 * changed as only a new sanitize changes it is this run's.
 */
static void test_run_resume_status_unchanged(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *end;
	unsigned sends = 0;

	(void)state;
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->sstat = 0x0101;		/* an earlier crypto erase, nothing written since */
	f->d->scdw10 = 0x204;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	record_sent(f, "nvme", "crypto", "{\"in_progress\":false,\"sstat\":\"0x0101\","
		    "\"scdw10\":\"0x00000204\",\"global_data_erased\":true}");
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), -EIO);
	assert_int_equal(count_op(f->d, 0x84), 0);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "failed");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	assert_non_null(strstr(dsp_json_str(end, "error"), "cannot tell whether the sanitize sent at 20"));
	assert_non_null(strstr(dsp_json_str(end, "error"), "as before it was sent): run the method again"));
	json_object_put(end);
	fx_free(f);

	/* the same log, but before the command data had been written (GDE clear): changed */
	f = fx_new("nvme0n1");
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	f->d->sstat = 0x0101;
	f->d->scdw10 = 0x204;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	record_sent(f, "nvme", "crypto", "{\"in_progress\":false,\"sstat\":\"0x0001\","
		    "\"scdw10\":\"0x00000204\",\"global_data_erased\":false}");
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	json_object_put(end);
	fx_free(f);

	/* ATA: "completed without error" before and after, never seen running */
	f = fx_new("sda");
	fx_ata(f, "ssd-sanitize.bin");
	f->ata.san_ok = true;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	record_sent(f, "ata", "crypto", "{\"in_progress\":false,\"count\":\"0x8000\","
		    "\"completed_ok\":true,\"failed\":false}");
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), -EIO);
	for (unsigned i = 0; i < f->d->ncmds; i++)
		sends += f->d->cmds[i].cdb[0] == 0x85 && f->d->cmds[i].cdb[14] == 0xb4 &&
			 f->d->cmds[i].cdb[4] != 0;
	assert_int_equal(sends, 0);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "failed");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	assert_non_null(strstr(dsp_json_str(end, "error"), "completed without error, as it did before"));
	json_object_put(end);
	fx_free(f);

	/* ATA: not completed before, completed now: only this run's sanitize explains it */
	f = fx_new("sda");
	fx_ata(f, "ssd-sanitize.bin");
	f->ata.san_ok = true;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	record_sent(f, "ata", "crypto", "{\"in_progress\":false,\"count\":\"0x0000\","
		    "\"completed_ok\":false,\"failed\":false}");
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	json_object_put(end);
	fx_free(f);
}

static void test_run_nvme_format_user_clear(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct dsp_erase_result res;
	struct json_object *end;

	(void)state;
	fx_nvme(f, "id-ctrl-qemu.bin");
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	f->o.verify = DSP_VERIFY_LAST;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, &res), 0);
	assert_int_equal(f->d->format_count, 1);
	assert_int_equal(f->sent_before, 1);
	/* SES 1, LBA format 1 kept */
	assert_int_equal(f->d->format_cdw10, 1u << 9 | 1);
	assert_int_equal(res.bytes_verified, 8u << 20);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "success");
	assert_string_equal(dsp_json_str(end, "action"), "format-user-data");
	assert_string_equal(dsp_json_str(end, "nist_category"), "clear");
	assert_string_equal(dsp_json_str(end, "verification"),
			    "read back every byte (8388608) and compared it with zeros");
	json_object_put(end);
	fx_free(f);

	/* a NIST sample instead: named with its percent and seed, fewer bytes */
	f = fx_new("nvme0n1");
	fx_nvme(f, "id-ctrl-qemu.bin");
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	f->o.verify = DSP_VERIFY_SAMPLE;
	f->o.sample_percent = 10;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, &res), 0);
	assert_true(res.bytes_verified > 0 && res.bytes_verified < 8u << 20);
	end = last_event(f, "target_end");
	assert_non_null(strstr(dsp_json_str(end, "verification"), "sampled-800-88r1, 10%, seed "));
	assert_string_equal(dsp_json_str(end, "nist_category"), "clear");
	json_object_put(end);
	fx_free(f);
}

static void test_run_nvme_format_mismatch(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct dsp_erase_result res;
	struct json_object *end;

	(void)state;
	fx_nvme(f, "id-ctrl-qemu.bin");
	f->d->read_byte = 0xa5;	/* the namespace still reads old bytes */
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	f->o.verify = DSP_VERIFY_LAST;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, &res), DSP_MISMATCH);
	assert_int_equal(res.mismatches, 8u << 20);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "completed-with-errors");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	json_object_put(end);
	fx_free(f);
}

static void test_run_requested_not_reachable(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *end;

	(void)state;
	fx_nvme(f, "id-ctrl-qemu.bin");
	fx_method(f, "format-user-data", DSP_ACT_FORMAT_USER, DSP_CAT_CLEAR);
	f->o.requested = DSP_CAT_PURGE;	/* --category purge */
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_UNSUPPORTED);
	assert_int_equal(f->d->format_count, 0);
	assert_int_equal(count_event(f->dir, "sanitize_sent"), 0);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "failed");
	assert_string_equal(dsp_json_str(end, "category_requested"), "purge");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	assert_non_null(strstr(dsp_json_str(end, "error"), "purge requested, but"));
	json_object_put(end);
	fx_free(f);
}

static void test_run_other_device_refused(void **state)
{
	struct fx *f = fx_new("nvme0n1");
	struct json_object *end;
	bool refused = false;

	(void)state;
	fx_nvme(f, "id-ctrl-crypto-block.bin");
	snprintf(f->dev.serial, sizeof(f->dev.serial), "SOMEOTHERDISK");
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_REFUSED);
	assert_int_equal(f->destructive, 0);
	end = last_event(f, "target_end");
	assert_int_equal(dsp_json_bool(end, "refused", &refused), 0);
	assert_true(refused);
	assert_non_null(strstr(dsp_json_str(end, "error"), "SOMEOTHERDISK"));
	json_object_put(end);
	fx_free(f);
}

/* ---- run: ATA ---- */

static void test_run_ata_security_erase_flash(void **state)
{
	struct fx *f = fx_new("sda");
	struct json_object *sent, *end;
	char want[256];

	(void)state;
	fx_ata(f, "ssd-sanitize.bin");
	fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_CLEAR);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	/* SET PASSWORD and ERASE UNIT: both with the password on record first */
	assert_int_equal(f->destructive, 2);
	assert_int_equal(f->sent_before, 2);
	assert_int_equal(f->ata.erases, 1);
	assert_int_equal(f->ata.erase_control, 0x0002);	/* enhanced, offered by word 128 */
	sent = last_event(f, "sanitize_sent");
	assert_string_equal(dsp_json_str(sent, "action"), "security-erase-enhanced");
	assert_memory_equal(dsp_json_str(sent, "ata_password"), f->ata.password, 24);
	snprintf(want, sizeof(want), "hdparm --user-master u --security-unlock %s /dev/sda && "
		 "hdparm --user-master u --security-disable %s /dev/sda",
		 dsp_json_str(sent, "ata_password"), dsp_json_str(sent, "ata_password"));
	assert_string_equal(dsp_json_str(sent, "unlock_recipe"), want);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "success");
	/* on flash: clear, and why not purge */
	assert_string_equal(dsp_json_str(end, "nist_category"), "clear");
	assert_non_null(strstr(dsp_json_str(end, "category_reason"), "on flash is Clear"));
	assert_true(json_object_object_get_ex(end, "hidden", NULL));
	assert_string_equal(dsp_json_str(json_object_object_get(end, "health_before"), "status"), "passed");
	json_object_put(sent);
	json_object_put(end);
	fx_free(f);
}

/* Power failed mid-erase: the drive is locked with the recorded password; resume erases with it. */
static void test_run_ata_security_erase_resume_locked(void **state)
{
	struct fx *f = fx_new("sda");
	struct json_object *ev, *end;
	const char *pw = "dispose-00112233aabbccdd";
	unsigned setpw = 0;

	(void)state;
	fx_ata(f, "hdd-hpa.bin");
	memset(f->ata.password, 0, sizeof(f->ata.password));
	memcpy(f->ata.password, pw, strlen(pw));
	ata_fake_set_word(f->ata.identify, 128, ata_fake_word(f->ata.identify, 128) | 0x0006);
	ata_fake_sum(f->ata.identify);
	fx_method(f, "ata-se", DSP_ACT_ATA_SECURITY_ERASE, DSP_CAT_PURGE);
	/* what the interrupted run recorded */
	ev = json_object_new_object();
	json_object_object_add(ev, "target", json_object_new_string("t1"));
	json_object_object_add(ev, "path", json_object_new_string("/dev/sda"));
	assert_int_equal(dsp_ledger_append(f->l, "target", ev, 1), 0);
	json_object_put(ev);
	ev = json_object_new_object();
	json_object_object_add(ev, "target", json_object_new_string("t1"));
	json_object_object_add(ev, "action", json_object_new_string("security-erase-enhanced"));
	json_object_object_add(ev, "ata_password", json_object_new_string(pw));
	assert_int_equal(dsp_ledger_append(f->l, "sanitize_sent", ev, 1), 0);
	json_object_put(ev);
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	for (unsigned i = 0; i < f->d->ncmds; i++)
		setpw += f->d->cmds[i].cdb[0] == 0x85 && f->d->cmds[i].cdb[14] == 0xf1;
	assert_int_equal(setpw, 0);
	assert_int_equal(f->ata.erases, 1);
	assert_int_equal(f->ata.erase_control, 0x0002);
	assert_int_equal(count_event(f->dir, "sanitize_sent"), 1);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "success");
	/* a rotational drive (7200 rpm): security erase is purge */
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	json_object_put(end);
	fx_free(f);
}

static void test_run_ata_sanitize_power_cycle(void **state)
{
	struct fx *f = fx_new("sda");
	struct json_object *end;
	unsigned sends = 0;

	(void)state;
	fx_ata(f, "ssd-sanitize.bin");
	f->ata.san_steps = 5;
	f->d->cancel_after = 2;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), DSP_INTERRUPTED);
	assert_int_equal(f->destructive, 1);
	assert_int_equal(f->sent_before, 1);
	/* power cycle: the drive restarts the sanitize */
	f->ata.san_left = f->ata.san_steps;
	f->d->cancel_after = 0;
	f->o.resume = true;
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	for (unsigned i = 0; i < f->d->ncmds; i++)
		sends += f->d->cmds[i].cdb[0] == 0x85 && f->d->cmds[i].cdb[14] == 0xb4 &&
			 f->d->cmds[i].cdb[4] == 0x11;
	assert_int_equal(sends, 1);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "success");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	assert_true(has_caveat(end, "read-back after a deallocating purge"));
	json_object_put(end);
	fx_free(f);
}

static void test_run_ata_sanitize_failed(void **state)
{
	struct fx *f = fx_new("sda");
	struct json_object *end;

	(void)state;
	fx_ata(f, "ssd-sanitize.bin");
	f->ata.san_steps = 2;
	f->ata.san_fail_end = true;
	fx_method(f, "sanitize-block", DSP_ACT_BLOCK, DSP_CAT_PURGE);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), -EIO);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "status"), "failed");
	assert_string_equal(dsp_json_str(end, "nist_category"), "none");
	json_object_put(end);
	fx_free(f);
}

/* ---- run: SCSI, eMMC ---- */

static void test_run_scsi_and_mmc(void **state)
{
	struct fx *f = fx_new("sde");
	struct json_object *end, *sent;

	(void)state;
	fx_scsi(f);
	f->d->sa_support[3] = 3;
	f->d->scsi_steps = 3;
	fx_method(f, "sanitize-crypto", DSP_ACT_CRYPTO, DSP_CAT_PURGE);
	f->o.verify = DSP_VERIFY_LAST;	/* asked, but nothing is defined to compare with */
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	assert_int_equal(f->destructive, 1);
	assert_int_equal(f->sent_before, 1);
	sent = last_event(f, "sanitize_sent");
	assert_non_null(strstr(dsp_json_str(sent, "command"), "48 83 00 00 00 00 00 00 00 00"));
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "nist_category"), "purge");
	assert_string_equal(dsp_json_str(end, "verification"),
			    "not read back: what the device returns after crypto is not defined");
	json_object_put(sent);
	json_object_put(end);
	fx_free(f);

	f = fx_new("mmcblk0");
	fx_method(f, "secdiscard", DSP_ACT_SECDISCARD, DSP_CAT_CLEAR);
	assert_int_equal(dsp_erase_sanitize_io(fx_io(f), &f->o, NULL), 0);
	assert_int_equal(f->d->discarded, 8u << 20);
	end = last_event(f, "target_end");
	assert_string_equal(dsp_json_str(end, "action"), "secure-discard");
	assert_string_equal(dsp_json_str(end, "nist_category"), "clear");
	json_object_put(end);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_nvme_unsupported_message),
		cmocka_unit_test(test_check_nvme_namespaces),
		cmocka_unit_test(test_check_requested_category),
		cmocka_unit_test(test_already_running_refused),
		cmocka_unit_test(test_run_nvme_namespaces_share),
		cmocka_unit_test(test_run_resume_status_unchanged),
		cmocka_unit_test(test_check_loop_and_partition),
		cmocka_unit_test(test_check_ata),
		cmocka_unit_test(test_check_scsi_mmc),
		cmocka_unit_test(test_run_nvme_crypto_success),
		cmocka_unit_test(test_run_nvme_dealloc_and_failing_health),
		cmocka_unit_test(test_run_nvme_failed),
		cmocka_unit_test(test_run_nvme_interrupted_then_resumed),
		cmocka_unit_test(test_run_nvme_resume_finished_unseen),
		cmocka_unit_test(test_run_nvme_format_user_clear),
		cmocka_unit_test(test_run_nvme_format_mismatch),
		cmocka_unit_test(test_run_requested_not_reachable),
		cmocka_unit_test(test_run_other_device_refused),
		cmocka_unit_test(test_run_ata_security_erase_flash),
		cmocka_unit_test(test_run_ata_security_erase_resume_locked),
		cmocka_unit_test(test_run_ata_sanitize_power_cycle),
		cmocka_unit_test(test_run_ata_sanitize_failed),
		cmocka_unit_test(test_run_scsi_and_mmc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
