/* SPDX-License-Identifier: MIT */
/* test_erase_auto.c - auto's choice per capability set (fakes at the ioctl boundary), ATA hidden areas and their category rule */
#include "erase_helpers.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "dispose/json.h"
#include "dispose/sanitize.h"
#include "sanitize_fake.h"
#include "ata_fake.h"
#include "ata_hidden_fake.h"
#include "sh_util.h"

#define UUID "1234abcd-0000-4000-8000-00000000d15e"

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dsp-auto-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return sh("rm -rf '%s'", tmpdir) ? -1 : 0;
}

/* Every command sent was one that reads: auto and the hidden probe change nothing. */
static void assert_read_only(const struct fake_dev *d)
{
	for (unsigned i = 0; i < d->ncmds; i++) {
		const struct fake_cmd *c = &d->cmds[i];

		if (c->req == NVME_IOCTL_ADMIN_CMD) {
			if (c->nvme.opcode != 0x06 && c->nvme.opcode != 0x02)
				fail_msg("command %u: NVMe admin opcode %02xh", i, c->nvme.opcode);
		} else if (c->req == SG_IO) {
			const uint8_t *b = c->cdb;
			uint16_t feature = (uint16_t)(b[3] << 8 | b[4]), count = (uint16_t)(b[5] << 8 | b[6]);
			bool ok = b[0] == 0x12 || b[0] == 0xa3 ||
				  (b[0] == 0x85 && (b[14] == 0xec || b[14] == 0x27 || b[14] == 0xf8 ||
						    (b[14] == 0x78 && feature == 0) ||
						    (b[14] == 0xb1 && feature == 0xc2) ||
						    (b[14] == 0xb4 && feature == 0 && !(count & 1))));

			if (!ok)
				fail_msg("command %u: CDB %02x ... command %02xh feature %04xh", i, b[0],
					 b[14], feature);
		} else if (c->req != NVME_IOCTL_ID) {
			fail_msg("command %u: ioctl %lx", i, c->req);
		}
	}
}

static void choose(struct dsp_io *io, const struct dsp_blkdev_info *dev, const char *want_method,
		   const char *want_reason)
{
	char method[64], reason[512];

	assert_int_equal(dsp_erase_auto_choose(io, dev, method, sizeof(method), reason,
					       sizeof(reason)), 0);
	assert_string_equal(method, want_method);
	assert_string_equal(reason, want_reason);
}

static struct dsp_blkdev_info disk(const char *name, int rotational)
{
	struct dsp_blkdev_info d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.disk, sizeof(d.disk), "%s", name);
	snprintf(d.path, sizeof(d.path), "/dev/%s", name);
	d.rotational = rotational;
	d.logical_sector = d.physical_sector = 512;
	return d;
}

static struct fake_dev *nvme(const char *page)
{
	struct fake_dev *d = fake_dev_new();
	char rel[64];

	d->nvme = true;
	d->nsid = 1;
	snprintf(rel, sizeof(rel), "nvme/%s", page);
	fake_load(d->id_ctrl, 4096, rel);
	fake_load(d->id_ns, 4096, "nvme/id-ns-lbaf1.bin");
	return d;
}

/* A SATA drive behind libata: INQUIRY says "ATA", the rest is ATA PASS-THROUGH. */
static struct fake_dev *ata(struct ata_hidden_fake *x, const char *page)
{
	struct fake_dev *d = fake_dev_new();

	memset(x, 0, sizeof(*x));
	d->scsi = true;
	memcpy(d->inquiry + 8, "ATA     FAKE SATA DRIVE     FW01", 32);
	d->ata = ata_hidden_fake_fn;
	d->ata_arg = x;
	if (page)
		fake_load(x->f.identify, 512, page);
	return d;
}

static struct fake_dev *scsi(void)
{
	struct fake_dev *d = fake_dev_new();

	d->scsi = true;
	memcpy(d->inquiry + 8, "SEAGATE ST4000NM0025     0004", 29);
	return d;
}

/* ---- auto, device by device ---- */

static void test_auto_nvme(void **state)
{
	struct dsp_blkdev_info dev = disk("nvme0n1", 0);
	struct fake_dev *d = nvme("id-ctrl-crypto-block.bin");
	struct dsp_io *io = fake_dev_io(d);

	choose(io, &dev, "sanitize-crypto", "NVMe controller offers Sanitize crypto erase (SANICAP bit 0)");
	assert_true(d->ncmds > 0);
	assert_read_only(d);

	d->id_ctrl[328] = 0x02;	/* block erase only */
	choose(io, &dev, "sanitize-block",
	       "NVMe controller offers Sanitize block erase (SANICAP bit 1), not crypto erase");
	assert_read_only(d);

	d->active_ns = 2;	/* a sanitize would erase the other namespace too */
	choose(io, &dev, "nist-clear",
	       "no device sanitize (NVMe Sanitize erases all 2 namespaces of the controller; "
	       "-m sanitize-block naming each of them does that): overwrite with verification");
	d->id_ctrl[328] = 0x03;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (NVMe Sanitize erases all 2 namespaces of the controller; "
	       "-m sanitize-crypto naming each of them does that): overwrite with verification");
	d->no_cns2 = true;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (NVMe Sanitize erases every namespace of the controller, which "
	       "does not list them): overwrite with verification");
	assert_read_only(d);
	dsp_io_close(io);

	d = nvme("id-ctrl-none.bin");
	io = fake_dev_io(d);
	choose(io, &dev, "nist-clear",
	       "no device sanitize (NVMe controller: SANICAP 0x00000000 offers neither crypto nor "
	       "block erase): overwrite with verification");
	/* a failing probe is "not offered", never an error */
	d->nvme_errno[0x06] = EIO;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (NVMe Identify failed: Input/output error): overwrite with verification");
	dsp_io_close(io);
}

static void test_auto_ata(void **state)
{
	struct dsp_blkdev_info dev = disk("sda", 0);
	struct ata_hidden_fake x;
	struct fake_dev *d = ata(&x, "ata/ssd-sanitize.bin");
	struct dsp_io *io = fake_dev_io(d);

	choose(io, &dev, "sanitize-crypto",
	       "ATA drive offers SANITIZE CRYPTO SCRAMBLE EXT (IDENTIFY word 59 bit 13)");
	assert_read_only(d);
	ata_fake_set_word(x.f.identify, 59, ata_fake_word(x.f.identify, 59) & ~(1u << 13));
	ata_fake_sum(x.f.identify);
	choose(io, &dev, "sanitize-block",
	       "ATA drive offers SANITIZE BLOCK ERASE EXT (IDENTIFY word 59 bit 15), not CRYPTO "
	       "SCRAMBLE EXT");
	dsp_io_close(io);

	/* security frozen by the BIOS: sanitize is not a security command */
	d = ata(&x, "ata/frozen.bin");
	io = fake_dev_io(d);
	choose(io, &dev, "sanitize-crypto",
	       "ATA drive offers SANITIZE CRYPTO SCRAMBLE EXT (IDENTIFY word 59 bit 13)");
	/* SANITIZE FREEZE LOCK: only the status says it */
	x.f.san_frozen = true;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (ATA drive: SANITIZE frozen (SANITIZE FREEZE LOCK) until the next "
	       "power cycle): overwrite with verification");
	assert_read_only(d);
	dsp_io_close(io);

	d = ata(&x, "ata/hdd-hpa.bin");
	io = fake_dev_io(d);
	dev.rotational = 1;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (ATA drive without SANITIZE CRYPTO SCRAMBLE or BLOCK ERASE "
	       "(IDENTIFY word 59)): overwrite with verification");
	dsp_io_close(io);

	/* the bridge refuses ATA PASS-THROUGH: not offered, said */
	d = ata(&x, "ata/ssd-sanitize.bin");
	x.f.no_passthrough = true;
	io = fake_dev_io(d);
	choose(io, &dev, "nist-clear",
	       "no device sanitize (ATA drive: IDENTIFY DEVICE failed: no ATA pass-through: the "
	       "device or its bridge refused ATA PASS-THROUGH(16) (sense 05/20/00)): overwrite with "
	       "verification");
	dsp_io_close(io);
}

static void test_auto_scsi(void **state)
{
	struct dsp_blkdev_info dev = disk("sdb", 1);
	struct fake_dev *d = scsi();
	struct dsp_io *io = fake_dev_io(d);

	d->sa_support[3] = 3;	/* CRYPTOGRAPHIC ERASE */
	d->sa_support[2] = 3;	/* BLOCK ERASE */
	choose(io, &dev, "sanitize-crypto",
	       "SCSI device offers SANITIZE CRYPTOGRAPHIC ERASE (REPORT SUPPORTED OPERATION CODES)");
	d->sa_support[3] = 0;
	choose(io, &dev, "sanitize-block",
	       "SCSI device offers SANITIZE BLOCK ERASE (REPORT SUPPORTED OPERATION CODES), not "
	       "CRYPTOGRAPHIC ERASE");
	d->sa_support[2] = 0;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (SCSI device without SANITIZE cryptographic or block erase): "
	       "overwrite with verification");
	d->rsoc_illegal = true;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (SCSI device does not report its commands: SANITIZE support "
	       "unknown): overwrite with verification");
	assert_read_only(d);
	dsp_io_close(io);
}

static void test_auto_nothing_loop_partition_file(void **state)
{
	struct dsp_blkdev_info dev = disk("vdz", -1);
	struct fake_dev *d = fake_dev_new();
	struct dsp_io *io = fake_dev_io(d);

	choose(io, &dev, "nist-clear",
	       "no device sanitize (no NVMe, SCSI or ATA command answered): overwrite with verification");
	choose(io, NULL, "nist-clear",
	       "no device sanitize (no NVMe, SCSI or ATA command answered): overwrite with verification");
	dsp_io_close(io);

	/* a loop device and a partition are not asked at all */
	d = nvme("id-ctrl-crypto-block.bin");
	io = fake_dev_io(d);
	dev = disk("loop3", 1);
	choose(io, &dev, "nist-clear", "no device sanitize (loop device): overwrite with verification");
	dev = disk("nvme0n1p2", 0);
	dev.is_partition = true;
	choose(io, &dev, "nist-clear",
	       "no device sanitize (a partition: a device sanitize would erase the whole disk): "
	       "overwrite with verification");
	assert_int_equal(d->ncmds, 0);
	dsp_io_close(io);

	choose(NULL, NULL, "nist-clear", "a file: overwrite");
}

/* ---- auto and LUKS (libcryptsetup on an image file) ---- */

static void need_cryptsetup(void)
{
	if (sh("command -v cryptsetup >/dev/null"))
		skip();
}

static void make_luks(int version, char *path, size_t len)
{
	snprintf(path, len, "%s/luks%d.img", tmpdir, version);
	assert_int_equal(sh("rm -f '%s' && truncate -s 20M '%s' && printf pw | cryptsetup luksFormat "
			    "--batch-mode --type luks%d --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "
			    "--uuid " UUID " '%s' - >/dev/null", path, path, version, path), 0);
}

/* The image as a loop-like block device: no ioctl answers, the header read through io->fd. */
static struct dsp_io *image(const char *path)
{
	struct dsp_io *io;

	assert_int_equal(dsp_io_open(path, 0, &io), 0);
	io->kind = DSP_IO_BLOCK;
	return io;
}

static void test_auto_luks_loop(void **state)
{
	struct dsp_blkdev_info dev = disk("loop7", 1);
	char path[128];
	struct dsp_io *io;

	need_cryptsetup();
	make_luks(2, path, sizeof(path));
	snprintf(dev.backing_file, sizeof(dev.backing_file), "%s", path);
	io = image(path);
	choose(io, &dev, "crypto-luks", "LUKS2 volume " UUID " on a rotational medium");
	dev.rotational = 0;
	choose(io, &dev, "crypto-luks",
	       "LUKS2 volume " UUID " on flash: Clear, old key material may survive in the spare "
	       "area; no device sanitize (loop device)");
	dev.rotational = -1;
	choose(io, &dev, "crypto-luks",
	       "LUKS2 volume " UUID " on a medium of unknown type: Clear, old key material may "
	       "survive in the spare area; no device sanitize (loop device)");
	dsp_io_close(io);

	make_luks(1, path, sizeof(path));
	dev.rotational = 1;
	io = image(path);
	choose(io, &dev, "crypto-luks", "LUKS1 volume " UUID " on a rotational medium");
	dsp_io_close(io);

	/* no header: the overwrite */
	assert_int_equal(sh("truncate -s 1M '%s/plain.img'", tmpdir), 0);
	snprintf(path, sizeof(path), "%s/plain.img", tmpdir);
	io = image(path);
	choose(io, &dev, "nist-clear", "no device sanitize (loop device): overwrite with verification");
	dsp_io_close(io);
}

static void test_auto_luks_nvme(void **state)
{
	struct dsp_blkdev_info dev = disk("nvme0n1", 0);
	char path[128];
	struct fake_dev *d;
	struct dsp_io *io;

	need_cryptsetup();
	make_luks(2, path, sizeof(path));
	d = nvme("id-ctrl-crypto-block.bin");
	io = fake_dev_io(d);
	io->fd = open(path, O_RDONLY | O_CLOEXEC);	/* the header, read by libcryptsetup */
	assert_true(io->fd >= 0);

	/* the device's crypto erase covers the whole drive, spare area included */
	choose(io, &dev, "sanitize-crypto", "NVMe controller offers Sanitize crypto erase (SANICAP bit 0)");
	dev.rotational = 1;
	choose(io, &dev, "sanitize-crypto", "NVMe controller offers Sanitize crypto erase (SANICAP bit 0)");
	/* without it: crypto-luks reaches Purge on a rotational medium ... */
	d->id_ctrl[328] = 0x02;
	choose(io, &dev, "crypto-luks", "LUKS2 volume " UUID " on a rotational medium");
	/* ... only Clear on flash, where a block erase reaches Purge */
	dev.rotational = 0;
	choose(io, &dev, "sanitize-block",
	       "LUKS2 volume " UUID " on flash: crypto-luks reaches only Clear there; NVMe controller "
	       "offers Sanitize block erase (SANICAP bit 1), not crypto erase");
	d->id_ctrl[328] = 0x00;
	choose(io, &dev, "crypto-luks",
	       "LUKS2 volume " UUID " on flash: Clear, old key material may survive in the spare area; "
	       "no device sanitize (NVMe controller: SANICAP 0x40000000 offers neither crypto nor "
	       "block erase)");
	/* a partition holding a LUKS volume: never a device sanitize */
	d->id_ctrl[328] = 0x03;
	d->ncmds = 0;
	dev.is_partition = true;
	choose(io, &dev, "crypto-luks",
	       "LUKS2 volume " UUID " on flash: Clear, old key material may survive in the spare area; "
	       "no device sanitize (a partition: a device sanitize would erase the whole disk)");
	assert_int_equal(d->ncmds, 0);
	assert_read_only(d);
	close(io->fd);
	io->fd = -1;
	dsp_io_close(io);
}

/* ---- ATA hidden areas: probe, restore, and the category of an overwrite ---- */

/* hdd-hpa.bin shrunk: 2048 accessible sectors, native max LBA 4095, the DCO's max dco_lba. */
static struct fake_dev *small_hpa_drive(struct ata_hidden_fake *x, uint64_t dco_lba)
{
	struct fake_dev *d = ata(x, "ata/hdd-hpa.bin");

	ata_hidden_set_accessible(x->f.identify, 2048);
	x->f.native_max = 4095;
	fake_load(x->f.dco, 512, "ata/hdd-dco.bin");
	for (unsigned i = 0; i < 4; i++)
		ata_fake_set_word(x->f.dco, 3 + i, (uint16_t)(dco_lba >> (16 * i)));
	ata_fake_sum(x->f.dco);
	d->size = 2048 * 512;
	return d;
}

static const char *js(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
}

static void test_hidden_probe(void **state)
{
	struct ata_hidden_fake x;
	struct fake_dev *d = small_hpa_drive(&x, 4095);
	struct dsp_io *io = fake_dev_io(d);
	struct json_object *h;

	assert_int_equal(dsp_erase_hidden_probe(io, &h), 0);
	assert_non_null(h);
	assert_string_equal(js(h), "{\"accessible_sectors\":2048,\"native_sectors\":4096,"
			    "\"dco_sectors\":4096,\"hpa\":true,\"dco\":false,\"reason\":null,"
			    "\"examined\":true,\"hidden_sectors\":2048}");
	assert_read_only(d);
	assert_int_equal(x.set_max + x.dco_restores, 0);
	json_object_put(h);

	/* DCO frozen: what the DCO hides is not known, said */
	x.f.abort_cmd = 0xb1;
	assert_int_equal(dsp_erase_hidden_probe(io, &h), 0);
	assert_false(json_object_get_boolean(json_object_object_get(h, "examined")));
	assert_non_null(strstr(dsp_json_str(h, "reason"), "DCO IDENTIFY aborted"));
	json_object_put(h);
	dsp_io_close(io);

	/* not ATA: nothing */
	d = nvme("id-ctrl-crypto-block.bin");
	io = fake_dev_io(d);
	assert_int_equal(dsp_erase_hidden_probe(io, &h), 0);
	assert_null(h);
	h = json_object_new_object();
	assert_int_equal(dsp_erase_hidden_restore(io, h), DSP_UNSUPPORTED);
	assert_string_equal(dsp_json_str(json_object_object_get(h, "restore"), "error"),
			    "not an ATA drive");
	json_object_put(h);
	dsp_io_close(io);
}

static void test_hidden_restore(void **state)
{
	struct ata_hidden_fake x;
	struct fake_dev *d = small_hpa_drive(&x, 8191);	/* the DCO hides more than the HPA */
	struct dsp_io *io = fake_dev_io(d);
	struct json_object *h;

	assert_int_equal(dsp_erase_hidden_probe(io, &h), 0);
	assert_int_equal(json_object_get_int64(json_object_object_get(h, "hidden_sectors")), 6144);
	assert_int_equal(dsp_erase_hidden_restore(io, h), 0);
	assert_int_equal(x.set_max, 1);
	assert_int_equal(x.dco_restores, 1);
	assert_string_equal(js(h), "{\"accessible_sectors\":8192,\"native_sectors\":8192,"
			    "\"dco_sectors\":8192,\"hpa\":false,\"dco\":false,\"reason\":null,"
			    "\"examined\":true,\"hidden_sectors\":0,\"restore\":{\"commands\":["
			    "\"READ NATIVE MAX ADDRESS EXT, SET MAX ADDRESS EXT (volatile)\","
			    "\"DEVICE CONFIGURATION RESTORE\"],\"accessible_before\":2048,"
			    "\"accessible_after\":8192,\"error\":null}}");
	/* nothing hidden any more: nothing sent */
	d->ncmds = 0;
	assert_int_equal(dsp_erase_hidden_restore(io, h), 0);
	assert_read_only(d);
	json_object_put(h);
	dsp_io_close(io);

	/* the DCO frozen: the HPA comes back, the DCO's sectors stay hidden, said */
	d = small_hpa_drive(&x, 8191);
	x.dco_frozen = true;
	io = fake_dev_io(d);
	assert_int_equal(dsp_erase_hidden_probe(io, &h), 0);
	assert_int_equal(dsp_erase_hidden_restore(io, h), DSP_UNSUPPORTED);
	assert_int_equal(json_object_get_int64(json_object_object_get(h, "accessible_sectors")), 4096);
	assert_int_equal(json_object_get_int64(json_object_object_get(h, "hidden_sectors")), 4096);
	assert_non_null(strstr(dsp_json_str(json_object_object_get(h, "restore"), "error"),
			       "DCO is frozen"));
	json_object_put(h);
	dsp_io_close(io);
}

/* Overwrite the fake drive (reads back zeros) with zeros: the target_end. */
static struct json_object *overwrite_opts(struct dsp_io *io, struct json_object *hidden,
					  bool restore, struct json_object **target)
{
	static const uint8_t zero;
	struct dsp_blkdev_info dev = disk("sdh", 1);
	struct dsp_erase_result res;
	struct json_object *end, *t;
	struct fixture fx;

	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.m.category = DSP_CAT_CLEAR;
	fx.o.device = &dev;
	fx.o.hidden = hidden;
	fx.o.restore_hidden = restore;
	fx.o.auto_reason = "no device sanitize (test): overwrite with verification";
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), 0);
	end = last_event(&fx, "target_end", "t1");
	t = last_event(&fx, "target", "t1");
	/* the #13 fields: technique, category asked for, auto's reason */
	assert_string_equal(jstr(t, "technique"), "overwrite");
	assert_string_equal(jstr(t, "category_requested"), "clear");
	assert_string_equal(jstr(t, "auto_reason"), fx.o.auto_reason);
	assert_string_equal(jstr(end, "technique"), "overwrite");
	assert_string_equal(jstr(end, "category_requested"), "clear");
	if (hidden) {	/* both events carry it, as it was */
		assert_string_equal(js(json_object_object_get(t, "hidden")), js(hidden));
		assert_string_equal(js(json_object_object_get(end, "hidden")), js(hidden));
	}
	if (target)
		*target = t;
	else
		json_object_put(t);
	fx_close(&fx);
	return end;
}

static struct json_object *overwrite(struct dsp_io *io, struct json_object *hidden)
{
	return overwrite_opts(io, hidden, false, NULL);
}

static bool has_caveat(struct json_object *end, const char *s)
{
	struct json_object *a = json_object_object_get(end, "caveats");

	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

static void test_hidden_category(void **state)
{
	static const char *hpa_cav = "host protected area / device configuration overlay: 2048 "
				     "sectors beyond the size the kernel reports were not overwritten";
	static const char *old_cav = "host protected area / device configuration overlay not "
				     "examined: the overwrite covers the size the kernel reports";
	struct ata_hidden_fake x;
	struct fake_dev *d = small_hpa_drive(&x, 4095);
	struct dsp_io *io = fake_dev_io(d);
	struct json_object *h, *end;

	/* the HPA not restored: none, with the number and the flag */
	assert_int_equal(dsp_erase_hidden_probe(io, &h), 0);
	end = overwrite(io, h);
	assert_string_equal(jstr(end, "status"), "success");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_string_equal(jstr(end, "category_reason"),
			    "the drive hides 2048 sectors (HPA/DCO) that were not overwritten; "
			    "--restore-hidden restores them");
	assert_true(has_caveat(end, hpa_cav));
	assert_false(has_caveat(end, old_cav));
	json_object_put(end);

	/* restored, but the kernel still has the old size: none, and why */
	assert_int_equal(dsp_erase_hidden_restore(io, h), 0);
	end = overwrite(io, h);
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_string_equal(jstr(end, "category_reason"),
			    "2048 sectors restored from the drive's hidden area (HPA/DCO) were not "
			    "overwritten: the kernel still reports the size from before (rescan the "
			    "disk, then erase again)");
	json_object_put(end);

	/* restored and overwritten to the native max: clear */
	io->size = 4096 * 512;
	end = overwrite(io, h);
	assert_string_equal(jstr(end, "nist_category"), "clear");
	assert_false(json_object_object_get_ex(end, "category_reason", NULL));
	assert_false(has_caveat(end, hpa_cav));
	assert_false(has_caveat(end, old_cav));
	json_object_put(end);
	json_object_put(h);

	/* a restore that failed: none, with its error */
	h = json_tokener_parse("{\"accessible_sectors\":4096,\"native_sectors\":4096,"
			       "\"dco_sectors\":6144,\"hpa\":false,\"dco\":true,\"examined\":true,"
			       "\"restore\":{\"error\":\"DCO frozen\"}}");
	end = overwrite(io, h);
	assert_string_equal(jstr(end, "category_reason"),
			    "the drive hides 2048 sectors (HPA/DCO) that were not overwritten; "
			    "--restore-hidden could not restore them: DCO frozen");
	json_object_put(end);
	json_object_put(h);

	/* not examined: clear as before, with what is not known */
	h = json_tokener_parse("{\"accessible_sectors\":4096,\"native_sectors\":null,"
			       "\"examined\":false,\"reason\":\"native max address: command 27h aborted\"}");
	end = overwrite(io, h);
	assert_string_equal(jstr(end, "nist_category"), "clear");
	assert_true(has_caveat(end, "host protected area / device configuration overlay not fully "
				    "examined (native max address: command 27h aborted): the "
				    "overwrite covers the size the kernel reports"));
	json_object_put(end);
	json_object_put(h);

	dsp_io_close(io);

	/* not ATA: as before */
	io = fake_dev_io(fake_dev_new());
	end = overwrite_opts(io, NULL, false, &h);
	assert_false(json_object_object_get_ex(h, "hidden", NULL));
	assert_string_equal(jstr(end, "nist_category"), "clear");
	assert_true(has_caveat(end, old_cav));
	json_object_put(end);
	json_object_put(h);
	dsp_io_close(io);
}

/* The engine probes an ATA drive itself, and restores it when asked (opts.restore_hidden). */
static void test_hidden_engine(void **state)
{
	struct ata_hidden_fake x;
	struct fake_dev *d = small_hpa_drive(&x, 4095);
	struct dsp_io *io = fake_dev_io(d);
	struct json_object *t, *end;

	end = overwrite_opts(io, NULL, false, &t);
	assert_string_equal(js(json_object_object_get(t, "hidden")),
			    "{\"accessible_sectors\":2048,\"native_sectors\":4096,"
			    "\"dco_sectors\":4096,\"hpa\":true,\"dco\":false,\"reason\":null,"
			    "\"examined\":true,\"hidden_sectors\":2048}");
	assert_string_equal(jstr(end, "category_reason"),
			    "the drive hides 2048 sectors (HPA/DCO) that were not overwritten; "
			    "--restore-hidden restores them");
	assert_int_equal(x.set_max, 0);
	json_object_put(t);
	json_object_put(end);

	/* --restore-hidden: SET MAX before the first write, recorded in target */
	end = overwrite_opts(io, NULL, true, &t);
	assert_int_equal(x.set_max, 1);
	assert_string_equal(js(json_object_object_get(json_object_object_get(t, "hidden"), "restore")),
			    "{\"commands\":[\"READ NATIVE MAX ADDRESS EXT, SET MAX ADDRESS EXT "
			    "(volatile)\"],\"accessible_before\":2048,\"accessible_after\":4096,"
			    "\"error\":null}");
	/* the fake's kernel size stays 2048 sectors: not overwritten, said */
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_non_null(strstr(jstr(end, "category_reason"), "rescan the disk"));
	json_object_put(t);
	json_object_put(end);

	/* the drive restored, the size read again: clear */
	io->size = 4096 * 512;
	end = overwrite_opts(io, NULL, true, NULL);
	assert_int_equal(x.set_max, 1);	/* nothing hidden: nothing sent again */
	assert_string_equal(jstr(end, "nist_category"), "clear");
	json_object_put(end);
	dsp_io_close(io);
}

/* The verdict of a purge says Purge, without a "why none". */
static void test_verdict_purge(void **state)
{
	struct json_object *end = json_tokener_parse("{\"status\":\"success\",\"nist_category\":"
						     "\"purge\",\"verification\":\"v\"}");
	struct json_object *v = dsp_erase_verdict(end, NULL);

	assert_string_equal(jstr(v, "category"), "NIST SP 800-88 Purge");
	assert_string_equal(jstr(v, "nist_category"), "purge");
	json_object_put(v);
	json_object_put(end);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auto_nvme),
		cmocka_unit_test(test_auto_ata),
		cmocka_unit_test(test_auto_scsi),
		cmocka_unit_test(test_auto_nothing_loop_partition_file),
		cmocka_unit_test(test_auto_luks_loop),
		cmocka_unit_test(test_auto_luks_nvme),
		cmocka_unit_test(test_hidden_probe),
		cmocka_unit_test(test_hidden_restore),
		cmocka_unit_test(test_hidden_category),
		cmocka_unit_test(test_hidden_engine),
		cmocka_unit_test(test_verdict_purge),
	};

	dsp_log_set_syslog(0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
