/* SPDX-License-Identifier: MIT */
/* hidden.c - ATA hidden areas (HPA, DCO) of an overwrite target: probe, and --restore-hidden */
#include "erase_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dispose/device.h"
#include "dispose/json.h"
#include "dispose/log.h"

/* An ATA drive behind a SAT (libata says vendor "ATA"): its IDENTIFY. DSP_UNSUPPORTED: not one. */
static int ata_drive(struct dsp_io *io, struct dsp_ata_identity *id, struct dsp_san_result *res)
{
	struct dsp_san_caps caps;
	int r = dsp_scsi_identify(io, &caps);

	if (r == -ENOMEM)
		return r;
	if (r || strcmp(caps.vendor, "ATA"))
		return DSP_UNSUPPORTED;
	memset(res, 0, sizeof(*res));
	return dsp_ata_identify(io, id, NULL, res);
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

/* Put dsp_ata_hidden_json's fields, "examined" and "hidden_sectors" into o (replacing). */
static int hidden_fields(struct json_object *o, const struct dsp_ata_identity *id,
			 const struct dsp_ata_hidden *h)
{
	struct json_object *j = dsp_ata_hidden_json(h);
	bool examined = h->native && (!id->dco || h->dco_max);

	if (!j)
		return -ENOMEM;
	json_object_object_foreach(j, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_put(j);
	json_object_object_add(o, "examined", json_object_new_boolean(examined));
	json_object_object_add(o, "hidden_sectors", json_object_new_int64(
		(int64_t)(max3(h->accessible, h->native, h->dco_max) - h->accessible)));
	return 0;
}

int dsp_erase_hidden_probe(struct dsp_io *io, struct json_object **hidden)
{
	struct dsp_ata_identity id;
	struct dsp_ata_hidden h;
	struct dsp_san_result res;
	struct json_object *o;
	int r;

	*hidden = NULL;
	memset(&res, 0, sizeof(res));
	r = ata_drive(io, &id, &res);
	if (r == -ENOMEM)
		return r;
	if (r == DSP_UNSUPPORTED && !res.bus)
		return 0;	/* not an ATA drive */
	if (!(o = json_object_new_object()))
		return -ENOMEM;
	if (r) {	/* an ATA drive that would not say: nothing known */
		json_object_object_add(o, "examined", json_object_new_boolean(0));
		json_object_object_add(o, "reason", json_object_new_string(
			res.reason[0] ? res.reason : "IDENTIFY DEVICE failed"));
		*hidden = o;
		return 0;
	}
	memset(&res, 0, sizeof(res));
	r = dsp_ata_hidden(io, &id, &h, &res);
	if (r == -ENOMEM) {
		json_object_put(o);
		return r;
	}
	if (r) {	/* a failed command: the area is not known */
		memset(&h, 0, sizeof(h));
		h.accessible = id.sectors;
		snprintf(h.reason, sizeof(h.reason), "%s", res.reason[0] ? res.reason : strerror(-r));
	}
	if (hidden_fields(o, &id, &h)) {
		json_object_put(o);
		return -ENOMEM;
	}
	*hidden = o;
	return 0;
}

/* IDENTIFY and the hidden area again, after a command changed them. */
static int reread(struct dsp_io *io, struct dsp_ata_identity *id, struct dsp_ata_hidden *h,
		  struct dsp_san_result *res)
{
	int r;

	memset(res, 0, sizeof(*res));
	r = dsp_ata_identify(io, id, NULL, res);
	if (!r) {
		memset(res, 0, sizeof(*res));
		r = dsp_ata_hidden(io, id, h, res);
	}
	return r;
}

static const char *max_cmd(const struct dsp_ata_identity *id)
{
	if (!id->hpa)
		return "GET NATIVE MAX ADDRESS EXT, SET ACCESSIBLE MAX ADDRESS EXT";
	return id->lba48 ? "READ NATIVE MAX ADDRESS EXT, SET MAX ADDRESS EXT (volatile)" :
			   "READ NATIVE MAX ADDRESS, SET MAX ADDRESS (volatile)";
}

int dsp_erase_hidden_restore(struct dsp_io *io, struct json_object *hidden)
{
	struct dsp_ata_identity id;
	struct dsp_ata_hidden h;
	struct dsp_san_result res;
	struct json_object *cmds = json_object_new_array(), *rst = json_object_new_object();
	char err[256] = "";
	uint64_t before = 0;
	bool known = false;
	int r;

	if (!cmds || !rst) {
		json_object_put(cmds);
		json_object_put(rst);
		return -ENOMEM;
	}
	memset(&res, 0, sizeof(res));
	r = ata_drive(io, &id, &res);
	if (r == DSP_UNSUPPORTED && !res.bus)
		snprintf(res.reason, sizeof(res.reason), "not an ATA drive");
	if (!r) {
		before = id.sectors;
		memset(&res, 0, sizeof(res));
		r = dsp_ata_hidden(io, &id, &h, &res);
		known = !r;
	}
	/* the HPA first: the drive aborts DEVICE CONFIGURATION RESTORE while one is set */
	for (int step = 0; !r && step < 3; step++) {
		if (h.hpa || !h.native) {
			json_object_array_add(cmds, json_object_new_string(max_cmd(&id)));
			r = dsp_ata_restore_max(io, &id, &h, &res);
		} else if (h.dco) {
			json_object_array_add(cmds, json_object_new_string("DEVICE CONFIGURATION RESTORE"));
			r = dsp_ata_dco_restore(io, &id, &h, &res);
		} else {
			break;
		}
		if (!r && (r = reread(io, &id, &h, &res)))
			known = false;
	}
	if (!r && (h.hpa || h.dco)) {
		snprintf(res.reason, sizeof(res.reason), "the drive still hides sectors after the restore");
		r = DSP_UNSUPPORTED;
	}
	if (r) {
		snprintf(err, sizeof(err), "%s", res.reason[0] ? res.reason :
			 r < 0 ? strerror(-r) : "not restored");
		/* what the drive says now, after the failed step */
		if (known && reread(io, &id, &h, &res))
			known = false;
	}
	if (known && hidden_fields(hidden, &id, &h))
		r = -ENOMEM;
	json_object_object_add(rst, "commands", cmds);
	json_object_object_add(rst, "accessible_before", before ?
			       json_object_new_int64((int64_t)before) : NULL);
	json_object_object_add(rst, "accessible_after", known ?
			       json_object_new_int64((int64_t)id.sectors) : NULL);
	json_object_object_add(rst, "error", err[0] ? json_object_new_string(err) : NULL);
	json_object_object_add(hidden, "restore", rst);
	if (r > 0 && r != DSP_REFUSED)
		r = DSP_UNSUPPORTED;
	return r;
}

/*
 * The overwrite engine's: opts->hidden (else a probe of io, reads only),
 * restored first when opts->restore_hidden asks and sectors are hidden;
 * then, unless resuming, io->size is the kernel's size now when it grew.
 * *hidden: a reference (put it) or NULL. 0, or -ENOMEM.
 */
int erase_hidden_prepare(struct dsp_io *io, const struct dsp_erase_opts *o,
			 struct json_object **hidden)
{
	struct json_object *h = NULL;
	uint64_t left = 0, now;
	int r;

	*hidden = NULL;
	if (o->hidden)
		h = json_object_get(o->hidden);
	else if ((r = dsp_erase_hidden_probe(io, &h)) < 0)
		return r;
	if (!h)
		return 0;
	*hidden = h;
	dsp_json_u64(h, "hidden_sectors", &left);
	if (!o->restore_hidden || !left || json_object_object_get_ex(h, "restore", NULL))
		return 0;
	r = dsp_erase_hidden_restore(io, h);
	if (r == -ENOMEM)
		return r;
	if (r) {
		dsp_log(DSP_LOG_WARN, "%s: hidden area (HPA/DCO) not restored: %s", io->path,
			dsp_json_str(json_object_object_get(h, "restore"), "error") ?
			dsp_json_str(json_object_object_get(h, "restore"), "error") : strerror(EIO));
		return 0;
	}
	dsp_log(DSP_LOG_INFO, "%s: hidden area (HPA/DCO) restored: %" PRIu64 " sectors", io->path, left);
	if (!o->resume && io->kind == DSP_IO_BLOCK && dsp_blkdev_size_now(io->rdev, &now) == 0 &&
	    now > io->size)
		io->size = now;
	return 0;
}
