/* SPDX-License-Identifier: MIT */
/*
 * test_i13_audit.c - reviewer R2 of #13: a sanitize outcome the run did not
 * cause must not be claimed (a stale completion status read on resume, a
 * sanitize already running that this run never sent). Fixture as in
 * test_erase_sanitize.c.
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
#include "sanitize_fake.h"
#include "ata_fake.h"

struct fx {
	char dir[64];
	struct dsp_ledger *l;
	struct dsp_method m;
	struct dsp_erase_opts o;
	struct dsp_san_opts san;
	struct dsp_blkdev_info dev;
	struct fake_dev *d;
	struct dsp_io *io;
	struct ata_fake ata;
	/* on_cmd: destructive commands seen, and whether sanitize_sent was on record each time */
	unsigned destructive, sent_before;
};

static void fx_method(struct fx *f, const char *name, enum dsp_method_action a, enum dsp_category c)
{
	memset(&f->m, 0, sizeof(f->m));
	snprintf(f->m.name, sizeof(f->m.name), "%s", name);
	f->m.schema = 2;
	f->m.technique = DSP_TECH_SANITIZE;
	f->m.action = a;
	f->m.category = c;
	f->m.verify = DSP_VERIFY_NONE;
	f->m.sample_percent = 10;
}

static int count_event(const char *dir, const char *name);

/* The device sees a destructive command: the record must already say it was sent. */
static void on_cmd(struct fake_dev *d, const struct fake_cmd *c)
{
	struct fx *f = d->on_cmd_arg;
	bool destructive = false;

	if (c->req == NVME_IOCTL_ADMIN_CMD)
		destructive = c->nvme.opcode == 0x84 || c->nvme.opcode == 0x80;
	else if (c->req == SG_IO && c->cdb[0] == 0x85)
		destructive = (c->cdb[14] == 0xb4 && c->cdb[4] != 0) || c->cdb[14] == 0xf1 ||
			      c->cdb[14] == 0xf4;
	else if (c->req == SG_IO && c->cdb[0] == 0x48)
		destructive = true;
	if (!destructive)
		return;
	f->destructive++;
	if (count_event(f->dir, "sanitize_sent") > 0)
		f->sent_before++;
}

static struct fx *fx_new(const char *name)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/dsp-san-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(dsp_ledger_open(f->dir, DSP_LEDGER_CREATE, &f->l), 0);
	f->d = fake_dev_new();
	f->d->size = 8u << 20;
	f->d->on_cmd = on_cmd;
	f->d->on_cmd_arg = f;
	f->san.poll_ms = 1;
	f->san.sleep_ms = fake_sleep;
	f->san.sleep_arg = f->d;
	f->san.progress = fake_progress;
	f->san.progress_arg = f->d;
	snprintf(f->dev.name, sizeof(f->dev.name), "%s", name);
	snprintf(f->dev.disk, sizeof(f->dev.disk), "%s", name);
	snprintf(f->dev.path, sizeof(f->dev.path), "/dev/%s", name);
	f->dev.rotational = 0;
	f->o.ledger = f->l;
	f->o.target_id = "t1";
	f->o.method = &f->m;
	f->o.verify = DSP_VERIFY_NONE;
	f->o.path = f->dev.path;
	f->o.device = &f->dev;
	f->o.san = &f->san;
	dsp_log_set_syslog(0);
	return f;
}

/* The io is made once the fake is set up (it copies the size). */
static struct dsp_io *fx_io(struct fx *f)
{
	if (!f->io) {
		f->io = fake_dev_io(f->d);
		free(f->io->path);
		f->io->path = strdup(f->dev.path);
	}
	return f->io;
}

static void fx_free(struct fx *f)
{
	char cmd[128];

	if (f->io)
		dsp_io_close(f->io);	/* frees d */
	else
		free(f->d);
	dsp_ledger_close(f->l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

static void fx_nvme(struct fx *f, const char *ctrl)
{
	char rel[128];

	f->d->nvme = true;
	snprintf(rel, sizeof(rel), "nvme/%s", ctrl);
	fake_load(f->d->id_ctrl, sizeof(f->d->id_ctrl), rel);
	fake_load(f->d->id_ns, sizeof(f->d->id_ns), "nvme/id-ns-lbaf1.bin");
	fake_load(f->d->health, sizeof(f->d->health), "nvme/health-ok.bin");
	f->d->nsid = 1;
}

static void fx_ata(struct fx *f, const char *page)
{
	char rel[128];

	f->d->scsi = true;
	memcpy(f->d->inquiry + 8, "ATA     ", 8);
	memcpy(f->d->inquiry + 16, "FAKE SATA SSD   ", 16);
	snprintf(rel, sizeof(rel), "ata/%s", page);
	fake_load(f->ata.identify, 512, rel);
	fake_load(f->ata.smart, 512, "ata/smart.bin");
	f->ata.smart_lba = 0xc24f;
	f->d->ata = ata_fake_fn;
	f->d->ata_arg = &f->ata;
}

static void fx_scsi(struct fx *f)
{
	f->d->scsi = true;
	f->d->desc_sense = true;
	memcpy(f->d->inquiry + 8, "FAKEVNDR", 8);
	memcpy(f->d->inquiry + 16, "FAKE SAS SSD    ", 16);
	f->d->vpd80[1] = 0x80;
	f->d->vpd80[3] = 8;
	memcpy(f->d->vpd80 + 4, "SAS00001", 8);
}

static __attribute__((unused)) int check(struct fx *f, bool all_ns, struct dsp_erase_why *why)
{
	memset(why, 0, sizeof(*why));
	return dsp_erase_sanitize_check(fx_io(f), f->dev.path, &f->dev, &f->m, DSP_CAT_NONE, all_ns, why);
}

/* ---- the record ---- */

struct collect {
	const char *name;	/* NULL: every event of t1, names into list */
	char list[1024];
	int count;
	struct json_object *last;
};

static int collect_fn(struct json_object *ev, void *arg)
{
	struct collect *c = arg;
	const char *n = dsp_json_str(ev, "event"), *t = dsp_json_str(ev, "target");

	if (!n || !t || strcmp(t, "t1"))
		return 0;
	if (!c->name) {
		size_t k = strlen(c->list);

		snprintf(c->list + k, sizeof(c->list) - k, "%s%s", k ? "," : "", n);
		return 0;
	}
	if (strcmp(n, c->name))
		return 0;
	c->count++;
	json_object_put(c->last);
	c->last = NULL;
	json_object_deep_copy(ev, &c->last, NULL);
	return 0;
}

static int count_event(const char *dir, const char *name)
{
	struct collect c = { .name = name };

	assert_int_equal(dsp_record_read_events(dir, collect_fn, &c, NULL), 0);
	json_object_put(c.last);
	return c.count;
}

/* The last event name of t1 (a new reference; the caller puts it). */
static struct json_object *last_event(struct fx *f, const char *name)
{
	struct collect c = { .name = name };

	assert_int_equal(dsp_record_read_events(f->dir, collect_fn, &c, NULL), 0);
	assert_non_null(c.last);
	return c.last;
}

static __attribute__((unused)) void assert_events(struct fx *f, const char *want)
{
	struct collect c = { 0 };

	assert_int_equal(dsp_record_read_events(f->dir, collect_fn, &c, NULL), 0);
	assert_string_equal(c.list, want);
}

static __attribute__((unused)) bool has_caveat(struct json_object *end, const char *prefix)
{
	struct json_object *a;

	if (!json_object_object_get_ex(end, "caveats", &a))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strncmp(json_object_get_string(json_object_array_get_idx(a, i)), prefix,
			     strlen(prefix)))
			return true;
	return false;
}

static unsigned count_op(const struct fake_dev *d, uint8_t op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->ncmds; i++)
		n += d->cmds[i].req == NVME_IOCTL_ADMIN_CMD && d->cmds[i].nvme.opcode == op;
	return n;
}

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
