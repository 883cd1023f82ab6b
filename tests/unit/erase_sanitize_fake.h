/* SPDX-License-Identifier: MIT */
/*
 * erase_sanitize_fake.h - the fixture of the sanitize technique's tests
 * (test_erase_sanitize.c, test_i13_audit.c): a fake device (sanitize_fake.h,
 * ata_fake.h) with its ledger and erase options, and readers of its record.
 * Include after cmocka.h.
 */
#ifndef DISPOSE_TEST_ERASE_SANITIZE_FAKE_H
#define DISPOSE_TEST_ERASE_SANITIZE_FAKE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#endif
