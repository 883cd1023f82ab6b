/* SPDX-License-Identifier: MIT */
/* test_erase_luks.c - crypto-luks as an erase technique: check, destroy, record, label, --then, resume */
#include "erase_helpers.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dispose/device.h"
#include "dispose/json.h"
#include "dispose/luks.h"
#include "sh_util.h"

#define MiB (1024u * 1024u)
#define IMG_SIZE (32 * MiB)

#define FLASH_CAVEAT	"flash spare area: old key material may survive outside the LBA space; " \
			"follow with a device sanitize for Purge"
#define SAMPLE_CAVEAT	"crypto erase assumes every byte of the data area was written through the " \
			"cipher; a sample of 64 blocks looked like ciphertext or zeros (compressed " \
			"plaintext would look the same)"
#define DATA_CAVEAT	"the data area (ciphertext) was not overwritten: it stays unreadable only " \
			"while no copy of the destroyed key material survives"

static char tmpdir[64];
static char loops[4][64];
static int nloops;

static int group_setup(void **state)
{
	(void)state;
	dsp_log_set_syslog(0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dispose-eluks.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int cleanup(void **state)
{
	(void)state;
	for (int i = nloops - 1; i >= 0; i--)
		sh("losetup -d '%s' 2>/dev/null", loops[i]);
	nloops = 0;
	unsetenv(DSP_IO_FAULT_ENV);
	return 0;
}

static int group_teardown(void **state)
{
	cleanup(state);
	if (tmpdir[0])
		sh("rm -rf '%s'", tmpdir);
	return 0;
}

static void need_cryptsetup(void)
{
	if (sh("command -v cryptsetup >/dev/null"))
		skip();
}

static void need_root(void)
{
	need_cryptsetup();
	if (geteuid() != 0 || sh("command -v losetup >/dev/null && command -v blkid >/dev/null"))
		skip();
}

/* A LUKS image of IMG_SIZE bytes at tmpdir/name, its data area random. */
static void make_luks(const char *name, int version, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	assert_int_equal(sh("rm -f '%s' && truncate -s %u '%s'", path, IMG_SIZE, path), 0);
	assert_int_equal(sh("printf pw | cryptsetup luksFormat --batch-mode --type luks%d "
			    "--pbkdf pbkdf2 --pbkdf-force-iterations 1000 '%s' - >/dev/null",
			    version, path), 0);
	assert_int_equal(sh("head -c %u /dev/urandom | dd of='%s' bs=1M seek=%u oflag=seek_bytes "
			    "conv=notrunc status=none", IMG_SIZE - 16 * MiB, path, 16 * MiB), 0);
}

static int attach(const char *img, char *dev, size_t len)
{
	sh_out(dev, len, "losetup -f --show '%s' 2>/dev/null", img);
	if (strncmp(dev, "/dev/loop", 9))
		return -1;
	snprintf(loops[nloops++], sizeof(loops[0]), "%s", dev);
	return 0;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *b;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

static void sha_of(const char *path, uint64_t len, char *out, size_t olen)
{
	sh_out(out, olen, "head -c %llu '%s' | sha256sum | cut -d' ' -f1",
	       (unsigned long long)len, path);
}

/* No non-zero 4 KiB block of the old header area is anywhere in the new image. */
static void no_old_block_survives(const uint8_t *old, const uint8_t *now, size_t n, uint64_t end)
{
	static const uint8_t zero[4096];

	for (uint64_t b = 0; b < end; b += 4096) {
		if (!memcmp(old + b, zero, 4096))
			continue;
		for (size_t c = 0; c + 4096 <= n; c += 4096)
			if (!memcmp(old + b, now + c, 4096))
				fail_msg("old header block at %llu survives at %zu",
					 (unsigned long long)b, c);
	}
}

static struct dsp_method luks_method(enum dsp_category cat)
{
	struct dsp_method m = { .schema = 2, .technique = DSP_TECH_CRYPTO_LUKS, .category = cat,
				.verify = DSP_VERIFY_NONE };

	snprintf(m.name, sizeof(m.name), "crypto-luks");
	return m;
}

/* The names of every event of target t1, in order, joined by spaces. */
static int names_fn(struct json_object *ev, void *arg)
{
	const char *t = dsp_json_str(ev, "target"), *n = dsp_json_str(ev, "event");
	char *buf = arg;

	if (t && !strcmp(t, "t1") && strlen(buf) + strlen(n) + 2 < 1024) {
		if (buf[0])
			strcat(buf, " ");
		strcat(buf, n);
	}
	return 0;
}

static void event_names(struct fixture *fx, char buf[1024])
{
	buf[0] = '\0';
	assert_int_equal(dsp_record_read_events(fx->dir, names_fn, buf, NULL), 0);
}

static bool has_caveat(struct json_object *end, const char *s)
{
	struct json_object *a;

	assert_true(json_object_object_get_ex(end, "caveats", &a));
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

static bool has_caveat_part(struct json_object *end, const char *s)
{
	struct json_object *a;

	assert_true(json_object_object_get_ex(end, "caveats", &a));
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (strstr(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

/* The keys of o, in order, joined by spaces. */
static void keys_of(struct json_object *o, char *buf, size_t len)
{
	buf[0] = '\0';
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (strlen(buf) + strlen(k) + 2 < len) {
			if (buf[0])
				strcat(buf, " ");
			strcat(buf, k);
		}
	}
}

static struct json_object *member(struct json_object *o, const char *k)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

/* ---- inventory backups (no root) ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_backups_from_inventory(void **state)
{
	struct json_object *out = NULL, *e;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/inv.json", tmpdir);
	write_file(path, "{\"schema\":\"dispose-inventory/1\",\"keys\":["
		   "{\"path\":\"/srv/hdr.bak\",\"format\":\"luks\",\"luks_uuid\":\"1111-aa\"},"
		   "{\"path\":\"/srv/id_rsa\",\"format\":\"pem-rsa\",\"luks_uuid\":null},"
		   "{\"path\":\"/srv/bad.bak\",\"format\":\"luks\",\"luks_uuid\":null,\"decoded\":false},"
		   "{\"path\":\"/srv/\\\\xff.bak\",\"path_hex\":\"2f7372762fff2e62616b\",\"format\":\"luks\","
		   "\"luks_uuid\":\"2222-bb\"}]}\n");
	assert_int_equal(dsp_erase_luks_backups(path, &out), 0);
	assert_int_equal(json_object_array_length(out), 2);
	e = json_object_array_get_idx(out, 0);
	assert_string_equal(jstr(e, "path"), "/srv/hdr.bak");
	assert_string_equal(jstr(e, "uuid"), "1111-aa");
	e = json_object_array_get_idx(out, 1);
	assert_string_equal(jstr(e, "path_hex"), "2f7372762fff2e62616b");
	assert_string_equal(jstr(e, "uuid"), "2222-bb");
	json_object_put(out);
	/* no keys at all: an empty list */
	write_file(path, "{\"schema\":\"dispose-inventory/1\"}");
	assert_int_equal(dsp_erase_luks_backups(path, &out), 0);
	assert_int_equal(json_object_array_length(out), 0);
	json_object_put(out);
	/* not an inventory */
	static const char *const bad[] = {
		"{\"schema\":\"dispose-record/1\",\"keys\":[]}",
		"{\"schema\":\"dispose-inventory/1\",\"keys\":{}}",
		"{\"schema\":\"dispose-inventory/1\",\"keys\":[{\"path\":\"rel.bak\",\"format\":\"luks\","
		"\"luks_uuid\":\"1\"}]}",
		"{\"schema\":\"dispose-inventory/1\"} trailing",
		"not json",
		"[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i]);
		out = (struct json_object *)1;
		assert_int_equal(dsp_erase_luks_backups(path, &out), DSP_INVALID);
		assert_null(out);
	}
	snprintf(path, sizeof(path), "%s/none.json", tmpdir);
	assert_int_equal(dsp_erase_luks_backups(path, &out), -ENOENT);
	assert_int_equal(dsp_erase_luks_backups(tmpdir, &out), DSP_INVALID);
}

/* ---- crypto-erase of a loop device ---- */

static void destroy_on_loop(int version)
{
	struct fixture fx;
	struct dsp_method m = luks_method(DSP_CAT_PURGE);
	struct dsp_blkdev_info info;
	struct dsp_erase_result res;
	struct json_object *end = NULL, *ev, *v, *luks;
	struct dsp_io *io;
	char img[256], copy[300], dev[64], out[128], names[1024], keys[512], uuid[64], sha[80];
	uint8_t *old, *now;
	size_t on, nn;
	uint64_t hend;

	make_luks("loop.img", version, img, sizeof(img));
	snprintf(copy, sizeof(copy), "%s/loop.copy", tmpdir);
	assert_int_equal(sh("cp '%s' '%s'", img, copy), 0);
	sh_out(uuid, sizeof(uuid), "cryptsetup luksUUID '%s'", img);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(sh("printf pw | cryptsetup open --test-passphrase '%s' --key-file=-", dev), 0);
	fx_open(&fx);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	info.backing_file[0] = '\0';	/* a fake non-loop device: a loop reaches clear at most */
	info.rotational = 1;
	fx.o.method = &m;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.path = dev;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, &res), 0);
	dsp_io_close(io);

	/* what cryptsetup and blkid say now */
	assert_int_not_equal(sh("printf pw | cryptsetup open --test-passphrase '%s' --key-file=- "
				"2>/dev/null", dev), 0);
	assert_int_not_equal(sh("cryptsetup luksDump '%s' >/dev/null 2>&1", dev), 0);
	assert_int_not_equal(sh("cryptsetup isLuks '%s'", dev), 0);
	sh_out(out, sizeof(out), "blkid -p -o value -s TYPE '%s'", dev);
	assert_string_equal(out, "");

	/* the record: exactly these events, in this order */
	event_names(&fx, names);
	assert_string_equal(names, "target luks_header luks_destroyed target_end");
	ev = last_event(&fx, "target", "t1");
	assert_string_equal(jstr(ev, "technique"), "crypto-luks");
	assert_string_equal(jstr(ev, "category_requested"), "purge");
	assert_string_equal(jstr(ev, "kind"), "block");
	assert_int_equal(jint(ev, "size"), IMG_SIZE);
	assert_string_equal(jstr(member(ev, "method"), "name"), "crypto-luks");
	assert_false(json_object_object_get_ex(ev, "then", &v));
	assert_true(json_object_get_boolean(member(member(ev, "identity"), "rotational")));
	json_object_put(ev);
	ev = last_event(&fx, "luks_header", "t1");
	v = member(ev, "volume");
	assert_string_equal(jstr(v, "uuid"), uuid);
	assert_int_equal(jint(v, "version"), version);
	hend = (uint64_t)jint(v, "header_area_length");
	assert_int_equal(hend, version == 2 ? 16 * MiB : 2 * MiB);
	sha_of(copy, hend, sha, sizeof(sha));
	assert_string_equal(jstr(v, "header_area_sha256"), sha);
	json_object_put(ev);
	ev = last_event(&fx, "luks_destroyed", "t1");
	assert_string_equal(jstr(member(ev, "result"), "outcome"), "ok");
	json_object_put(ev);

	assert_non_null(end);
	keys_of(end, keys, sizeof(keys));
	assert_string_equal(keys, "status bytes_written bytes_verified technique "
			    "category_requested nist_category verification mismatches bad_ranges "
			    "old_data_may_remain caveats luks header_backups data_sample target");
	assert_string_equal(jstr(end, "status"), "success");
	assert_string_equal(jstr(end, "technique"), "crypto-luks");
	assert_string_equal(jstr(end, "category_requested"), "purge");
	assert_string_equal(jstr(end, "nist_category"), "purge");
	assert_int_equal(jint(end, "bytes_written"), hend);
	assert_int_equal(jint(end, "bytes_verified"), hend);
	assert_int_equal(jint(end, "mismatches"), 0);
	assert_false(json_object_get_boolean(member(end, "old_data_may_remain")));
	assert_int_equal(json_object_array_length(member(end, "header_backups")), 0);
	assert_true(has_caveat(end, DATA_CAVEAT));
	assert_true(has_caveat(end, SAMPLE_CAVEAT));
	v = member(end, "data_sample");
	assert_int_equal(jint(v, "blocks"), 64);
	/* make_luks leaves LUKS1's data area zeros below 16 MiB, random above */
	assert_int_equal(jint(v, "ciphertext_like") + jint(v, "zeros"), 64);
	assert_int_equal(jint(v, "zeros"), version == 2 ? 0 : 30);
	assert_int_equal(jint(v, "from"), version == 2 ? 16 * MiB : 2 * MiB);
	assert_int_equal(json_object_array_length(member(v, "offsets")), 64);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(member(v, "offsets"), 63)),
			 IMG_SIZE - 4096);
	assert_false(has_caveat_part(end, "a loop device"));	/* info says not a loop */
	assert_false(has_caveat(end, FLASH_CAVEAT));
	assert_non_null(strstr(jstr(end, "verification"), version == 2 ?
			       "verified: the LUKS2 header area (16777216 bytes: both header copies "
			       "and the keyslot area) overwritten with random data and read back" :
			       "verified: the LUKS1 header area (2097152 bytes: the header and every "
			       "keyslot's key material) overwritten with random data and read back"));
	luks = member(end, "luks");
	assert_string_equal(jstr(luks, "outcome"), "ok");
	assert_false(json_object_get_boolean(member(luks, "header_found_after")));
	assert_int_equal(jint(luks, "keyslots_destroyed"), 1);
	assert_string_equal(jstr(member(luks, "volume"), "uuid"), uuid);
	assert_string_equal(jstr(member(luks, "volume"), "header_area_sha256"), sha);
	assert_int_equal(res.bytes_written, hend);
	json_object_put(end);

	/* bytes: nothing of the old header area left anywhere, the data area untouched */
	old = slurp(copy, &on);
	now = slurp(img, &nn);
	assert_int_equal(on, nn);
	no_old_block_survives(old, now, nn, hend);
	assert_memory_equal(old + hend, now + hend, nn - hend);
	free(old);
	free(now);
	fx_close(&fx);
	cleanup(NULL);
}

static void test_luks2_loop(void **state)
{
	(void)state;
	need_root();
	destroy_on_loop(2);
}

static void test_luks1_loop(void **state)
{
	(void)state;
	need_root();
	destroy_on_loop(1);
}

/* ---- the check: flash, backups, an open volume, no LUKS ---- */

static void test_check(void **state)
{
	struct dsp_blkdev_info info;
	struct dsp_erase_why why;
	struct json_object *bk;
	struct dsp_io *io;
	char img[256], dev[64], upper[64], uuid[64], sbk[512];

	(void)state;
	need_root();
	make_luks("check.img", 2, img, sizeof(img));
	sh_out(uuid, sizeof(uuid), "cryptsetup luksUUID '%s'", img);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	info.backing_file[0] = '\0';	/* a fake non-loop device: a loop reaches clear at most */
	assert_int_equal(dsp_io_open(dev, 0, &io), 0);

	info.rotational = 1;
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, NULL, false, &why), 0);
	/* flash: purge not reachable, clear is */
	info.rotational = 0;
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, NULL, false, &why), DSP_UNSUPPORTED);
	assert_int_equal(why.code, DSP_UNSUPPORTED);
	assert_string_equal(why.thing, dev);
	assert_non_null(strstr(why.reason, "cannot reach purge here: flash medium"));
	assert_non_null(strstr(why.reason, "--category clear"));
	assert_non_null(strstr(why.reason, "sanitize"));
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, false, &why), 0);
	info.rotational = -1;
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, NULL, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "medium type unknown"));
	assert_int_equal(dsp_erase_luks_check(io, NULL, DSP_CAT_PURGE, NULL, false, &why), DSP_UNSUPPORTED);

	/* a loop device: its rotational flag says nothing of the medium under its file */
	info.rotational = 1;
	snprintf(info.backing_file, sizeof(info.backing_file), "%s", img);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, NULL, false, &why),
			 DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "a loop device: its medium is a file; the medium under "
			       "it was not examined"));
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, false, &why), 0);
	info.backing_file[0] = '\0';

	/* a header backup with the volume's UUID defeats purge, unless erased in the same run */
	info.rotational = 1;
	snprintf(sbk, sizeof(sbk), "[{\"path\":\"/srv/other.bak\",\"uuid\":\"0000\"},"
		 "{\"path\":\"/backup/hdr.bak\",\"uuid\":\"%s\"}]", uuid);
	bk = json_tokener_parse(sbk);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, bk, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "LUKS header backup /backup/hdr.bak has this volume's UUID"));
	assert_non_null(strstr(why.reason, "--category clear"));
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, bk, false, &why), 0);
	json_object_object_add(json_object_array_get_idx(bk, 1), "erased_in_run",
			       json_object_new_boolean(1));
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, bk, false, &why), 0);
	json_object_put(bk);
	/* marked, but with another hard link: erasing its name would leave it, so it survives */
	snprintf(sbk, sizeof(sbk), "%s/linked.hdr", tmpdir);
	assert_int_equal(sh("echo x >'%s' && ln -f '%s' '%s/linked.other'", sbk, sbk, tmpdir), 0);
	bk = json_object_new_array();
	json_object_array_add(bk, json_object_new_object());
	json_object_object_add(json_object_array_get_idx(bk, 0), "path", json_object_new_string(sbk));
	json_object_object_add(json_object_array_get_idx(bk, 0), "uuid", json_object_new_string(uuid));
	json_object_object_add(json_object_array_get_idx(bk, 0), "erased_in_run",
			       json_object_new_boolean(1));
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, bk, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "linked.hdr has this volume's UUID and survives"));
	assert_int_equal(sh("rm -f '%s/linked.other'", tmpdir), 0);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, bk, false, &why), 0);
	json_object_put(bk);

	/* an open volume: a device over it stands for the dm-crypt mapping */
	assert_int_equal(attach(dev, upper, sizeof(upper)), 0);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, false, &why), DSP_REFUSED);
	assert_non_null(strstr(why.reason, "an open LUKS volume (held by"));
	dsp_io_close(io);
	cleanup(NULL);

	/* no LUKS header */
	assert_int_equal(sh("dd if=/dev/zero of='%s' bs=1M count=17 conv=notrunc status=none", img), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_io_open(dev, 0, &io), 0);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "no LUKS header"));
	dsp_io_close(io);
	cleanup(NULL);

	/* a file is not a block device, LUKS or not */
	make_luks("check.img", 2, img, sizeof(img));
	assert_int_equal(dsp_io_open(img, 0, &io), 0);
	assert_int_equal(dsp_erase_luks_check(io, NULL, DSP_CAT_CLEAR, NULL, false, &why), DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "not a file"));
	dsp_io_close(io);
}

/*
 * The data area: plaintext under a LUKS header (luksFormat over old data) or
 * a detached header (data offset 0) is refused without --then, at the check
 * and at run time, nothing written; zeros are fine. A loop device reaches
 * clear at most.
 */
static void test_data_not_ciphertext(void **state)
{
	struct fixture fx;
	struct dsp_method m = luks_method(DSP_CAT_CLEAR);
	struct dsp_blkdev_info info;
	struct dsp_erase_why why;
	struct dsp_luks_info li;
	struct json_object *end = NULL;
	struct dsp_io *io;
	char img[256], dev[64], copy[300], a[80], b[80], txt[512];

	(void)state;
	need_root();
	make_luks("plain.img", 2, img, sizeof(img));
	/* 4 MiB of text at 20 MiB: old plaintext luksFormat left */
	assert_int_equal(sh("yes 'a plaintext line the volume never encrypted' | head -c %u | "
			    "dd of='%s' bs=1M seek=20 conv=notrunc status=none", 4 * MiB, img), 0);
	snprintf(copy, sizeof(copy), "%s/plain.copy", tmpdir);
	assert_int_equal(sh("cp '%s' '%s'", img, copy), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	info.backing_file[0] = '\0';
	info.rotational = 1;
	assert_int_equal(dsp_io_open(dev, 0, &io), 0);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, false, &why),
			 DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "the data area holds unencrypted data (offset "));
	assert_non_null(strstr(why.reason, " is not ciphertext): crypto erase would leave it; use an "
			       "overwrite method or --then METHOD"));
	assert_int_equal(dsp_luks_inspect_fd(io->fd, 0, &li), 0);
	assert_int_equal(dsp_erase_luks_plain(io, &li, txt, sizeof(txt)), 1);
	/* --then overwrites the data area: the check passes */
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, NULL, true, &why), 0);
	dsp_io_close(io);

	/* at run time as well: refused, nothing written */
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.path = dev;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	assert_non_null(end);
	assert_string_equal(jstr(end, "status"), "failed");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_non_null(strstr(jstr(end, "error"), "is not ciphertext"));
	assert_non_null(strstr(jstr(end, "error"), "nothing written"));
	assert_true(jint(member(end, "data_sample"), "first_not_ciphertext") >= 20 * MiB);
	json_object_put(end);
	end = NULL;
	fx_close(&fx);
	sha_of(img, IMG_SIZE, a, sizeof(a));
	sha_of(copy, IMG_SIZE, b, sizeof(b));
	assert_string_equal(a, b);
	cleanup(NULL);

	/* never-written zeros are no plaintext */
	assert_int_equal(sh("dd if=/dev/zero of='%s' bs=1M seek=16 count=16 conv=notrunc "
			    "status=none", img), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_io_open(dev, 0, &io), 0);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, false, &why), 0);
	/* a loop device (as the kernel reports it): clear, not purge */
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	assert_true(info.backing_file[0] != '\0');
	info.rotational = 1;
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_PURGE, NULL, false, &why),
			 DSP_UNSUPPORTED);
	dsp_io_close(io);
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.path = dev;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "nist_category"), "clear");
	assert_string_equal(jstr(end, "category_reason"),
			    "a loop device: its medium is a file; the medium under it was not examined");
	assert_int_equal(jint(member(end, "data_sample"), "zeros"), 64);
	assert_true(has_caveat_part(end, "medium type unknown"));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);
	cleanup(NULL);

	/* a detached header: data offset 0, the volume's data elsewhere */
	snprintf(img, sizeof(img), "%s/hdr.img", tmpdir);
	snprintf(copy, sizeof(copy), "%s/data.img", tmpdir);
	assert_int_equal(sh("rm -f '%s' '%s' && truncate -s %u '%s' '%s'", img, copy, IMG_SIZE, img,
			    copy), 0);
	assert_int_equal(sh("printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf "
			    "pbkdf2 --pbkdf-force-iterations 1000 --header '%s' '%s' - >/dev/null",
			    img, copy), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	info.backing_file[0] = '\0';
	assert_int_equal(dsp_io_open(dev, 0, &io), 0);
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, false, &why),
			 DSP_UNSUPPORTED);
	assert_non_null(strstr(why.reason, "holds a detached LUKS header: the rest of the device is "
			       "not this volume's ciphertext"));
	assert_int_equal(dsp_erase_luks_check(io, &info, DSP_CAT_CLEAR, NULL, true, &why), 0);
	dsp_io_close(io);
}

/*
 * The run's record of a file target (t0, the inode st) erased before the
 * volume: its target event, then event naming it by a relative path (as a
 * target named so is recorded): the inode decides, not the path.
 */
static void record_removal(struct fixture *fx, const char *event, const char *path,
			   const struct stat *st)
{
	struct json_object *f = json_object_new_object(), *id = json_object_new_object();
	const char *rel = strrchr(path, '/');

	json_object_object_add(id, "dev", json_object_new_int64((int64_t)st->st_dev));
	json_object_object_add(id, "ino", json_object_new_int64((int64_t)st->st_ino));
	json_object_object_add(f, "identity", id);
	json_object_object_add(f, "path", json_object_new_string(rel + 1));
	json_object_object_add(f, "target", json_object_new_string("t0"));
	assert_int_equal(dsp_ledger_append(fx->l, "target", f, 1), 0);
	json_object_put(f);
	f = json_object_new_object();
	json_object_object_add(f, "path", json_object_new_string(rel + 1));
	json_object_object_add(f, "target", json_object_new_string("t0"));
	if (strcmp(event, "file_removed")) {
		json_object_object_add(f, "dev", json_object_new_int64((int64_t)st->st_dev));
		json_object_object_add(f, "ino", json_object_new_int64((int64_t)st->st_ino));
	}
	assert_int_equal(dsp_ledger_append(fx->l, event, f, 1), 0);
	json_object_put(f);
}

/* At run time: flash or a surviving backup never reach purge; asked for it, nothing is written. */
static void test_run_flash_and_backup(void **state)
{
	struct dsp_method purge = luks_method(DSP_CAT_PURGE), clear = luks_method(DSP_CAT_CLEAR);
	struct dsp_blkdev_info info;
	struct fixture fx;
	struct json_object *end = NULL, *bk, *h;
	struct dsp_io *io;
	struct stat bst;
	char img[256], dev[64], uuid[64], bak[300], sbk[1024], before[80], after[80], names[1024];
	char c[512];

	(void)state;
	need_root();
	make_luks("run.img", 2, img, sizeof(img));
	sh_out(uuid, sizeof(uuid), "cryptsetup luksUUID '%s'", img);
	snprintf(bak, sizeof(bak), "%s/run.hdr", tmpdir);
	assert_int_equal(sh("rm -f '%s'; cryptsetup luksHeaderBackup '%s' --header-backup-file '%s'",
			    bak, img, bak), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	info.backing_file[0] = '\0';	/* a fake non-loop device: a loop reaches clear at most */

	/* flash, purge asked: failed, nothing written */
	info.rotational = 0;
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	sha_of(img, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	sha_of(img, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	event_names(&fx, names);
	assert_string_equal(names, "target target_end");
	assert_string_equal(jstr(end, "status"), "failed");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_non_null(strstr(jstr(end, "error"), "purge requested, at most clear reachable: flash "
			       "medium"));
	assert_non_null(strstr(jstr(end, "error"), "nothing written"));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);

	/* flash, clear asked: success with clear and the spare-area caveat */
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.requested = DSP_CAT_CLEAR;
	fx.o.device = &info;
	fx.o.end = &end;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "status"), "success");
	assert_string_equal(jstr(end, "category_requested"), "clear");
	assert_string_equal(jstr(end, "nist_category"), "clear");
	assert_non_null(strstr(jstr(end, "category_reason"), "flash medium"));
	assert_true(has_caveat(end, FLASH_CAVEAT));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);
	assert_int_not_equal(sh("cryptsetup isLuks '%s'", dev), 0);

	/* the backup: restored, it opens the volume again; rotational, clear asked */
	assert_int_equal(sh("cryptsetup luksHeaderRestore --batch-mode '%s' --header-backup-file '%s'",
			    dev, bak), 0);
	assert_int_equal(sh("printf pw | cryptsetup open --test-passphrase '%s' --key-file=-", dev), 0);
	info.rotational = 1;
	snprintf(sbk, sizeof(sbk), "[{\"path\":\"%s\",\"uuid\":\"%s\"}]", bak, uuid);
	bk = json_tokener_parse(sbk);
	fx_open(&fx);
	fx.o.method = &clear;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "status"), "success");
	assert_string_equal(jstr(end, "nist_category"), "clear");
	snprintf(c, sizeof(c), "LUKS header backup %s has this volume's UUID and survives: with it "
		 "and a passphrase the data can still be decrypted", bak);
	assert_true(has_caveat(end, c));
	h = member(end, "header_backups");
	assert_int_equal(json_object_array_length(h), 1);
	assert_string_equal(jstr(json_object_array_get_idx(h, 0), "path"), bak);
	assert_false(json_object_get_boolean(member(json_object_array_get_idx(h, 0), "erased_in_run")));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);

	/* marked erased in the run but still there: purge is not reached, nothing written */
	assert_int_equal(sh("cryptsetup luksHeaderRestore --batch-mode '%s' --header-backup-file '%s'",
			    dev, bak), 0);
	json_object_object_add(json_object_array_get_idx(bk, 0), "erased_in_run",
			       json_object_new_boolean(1));
	/* as the session marks it: the inode the check saw, the target holding it */
	assert_int_equal(lstat(bak, &bst), 0);
	json_object_object_add(json_object_array_get_idx(bk, 0), "dev",
			       json_object_new_int64((int64_t)bst.st_dev));
	json_object_object_add(json_object_array_get_idx(bk, 0), "ino",
			       json_object_new_int64((int64_t)bst.st_ino));
	json_object_object_add(json_object_array_get_idx(bk, 0), "target",
			       json_object_new_string("t0"));
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	sha_of(img, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	sha_of(img, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	assert_non_null(strstr(jstr(end, "error"), bak));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);
	/* gone, but only a name of it removed (its data kept under another): not erased */
	assert_int_equal(unlink(bak), 0);
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	record_removal(&fx, "file_removed", bak, &bst);
	record_removal(&fx, "link_removed", bak, &bst);
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	assert_int_equal(sh("cryptsetup isLuks '%s'", dev), 0);
	json_object_put(end);
	end = NULL;
	fx_close(&fx);
	/* gone, and not by this run: not erased either */
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	json_object_put(end);
	end = NULL;
	fx_close(&fx);
	/* overwritten and removed by this run (its record says so): purge */
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	record_removal(&fx, "file_removed", bak, &bst);
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "nist_category"), "purge");
	h = member(end, "header_backups");
	assert_true(json_object_get_boolean(member(json_object_array_get_idx(h, 0), "erased_in_run")));
	json_object_put(end);
	fx_close(&fx);
	json_object_put(bk);
	cleanup(NULL);
}

/* An open volume at run time: refused, nothing written. */
static void test_run_refuses_held(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_CLEAR);
	struct fixture fx;
	struct json_object *end = NULL;
	struct dsp_io *io;
	char img[256], dev[64], upper[64], before[80], after[80];

	(void)state;
	need_root();
	make_luks("held.img", 2, img, sizeof(img));
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(attach(dev, upper, sizeof(upper)), 0);
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.end = &end;
	sha_of(img, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_REFUSED);
	dsp_io_close(io);
	sha_of(img, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	assert_string_equal(jstr(end, "status"), "failed");
	assert_string_equal(jstr(end, "nist_category"), "none");
	json_object_put(end);
	fx_close(&fx);
	cleanup(NULL);
}

/* --then zero: every byte of the device zero, under the one target, verified. */
static void test_then_zero_loop(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_PURGE);
	struct dsp_blkdev_info info;
	struct fixture fx;
	struct json_object *end = NULL, *ev, *t;
	struct dsp_io *io;
	char img[256], dev[64], names[1024];
	uint8_t *now;
	size_t nn;

	(void)state;
	need_root();
	make_luks("then.img", 2, img, sizeof(img));
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	info.backing_file[0] = '\0';	/* a fake non-loop device: a loop reaches clear at most */
	info.rotational = 1;
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, (const uint8_t *)"\0", 1);
	snprintf(fx.m.name, sizeof(fx.m.name), "zero");
	fx.m.verify = DSP_VERIFY_LAST;
	fx.o.then = &fx.m;
	fx.o.method = &m;
	fx.o.device = &info;
	fx.o.end = &end;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	now = slurp(img, &nn);
	for (size_t i = 0; i < nn; i++)
		if (now[i])
			fail_msg("byte %zu is %u after --then zero", i, now[i]);
	free(now);
	event_names(&fx, names);
	assert_string_equal(names, "target luks_header luks_destroyed pass_start pass_end "
			    "verify_start verify_end target_end");
	ev = last_event(&fx, "target", "t1");
	assert_string_equal(jstr(member(ev, "then"), "name"), "zero");
	assert_int_equal(jint(member(ev, "then_area"), "offset"), 0);
	assert_int_equal(jint(member(ev, "then_area"), "length"), IMG_SIZE);
	assert_string_equal(jstr(ev, "verify"), "last");
	json_object_put(ev);
	assert_string_equal(jstr(end, "status"), "success");
	assert_string_equal(jstr(end, "nist_category"), "purge");
	assert_int_equal(jint(end, "bytes_written"), 16 * MiB + IMG_SIZE);
	assert_int_equal(jint(end, "bytes_verified"), 16 * MiB + IMG_SIZE);
	assert_false(has_caveat(end, DATA_CAVEAT));
	t = member(end, "then");
	assert_string_equal(jstr(t, "method"), "zero");
	assert_string_equal(jstr(t, "status"), "success");
	assert_string_equal(jstr(t, "nist_category"), "clear");
	assert_int_equal(jint(t, "bytes_written"), IMG_SIZE);
	assert_int_equal(jint(t, "bytes_verified"), IMG_SIZE);
	assert_non_null(strstr(jstr(end, "verification"), "; then zero: verified: every byte of the "
			       "last pass read back"));
	json_object_put(end);
	fx_close(&fx);
	cleanup(NULL);
}

/* --verify given for the run reads the --then passes back as it says (the method's own otherwise). */
static void test_then_verify_given(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_NONE);
	struct fixture fx;
	struct json_object *ev;
	struct dsp_io *io;
	char img[256];

	(void)state;
	need_cryptsetup();
	make_luks("thenv.img", 2, img, sizeof(img));
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, (const uint8_t *)"\0", 1);
	fx.m.verify = DSP_VERIFY_LAST;
	fx.o.then = &fx.m;
	fx.o.method = &m;
	fx.o.verify = DSP_VERIFY_SAMPLE;
	fx.o.sample_percent = 50;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	ev = last_event(&fx, "target", "t1");
	assert_string_equal(jstr(ev, "verify"), "sample");
	json_object_put(ev);
	ev = last_event(&fx, "verify_start", "t1");
	assert_string_equal(jstr(ev, "mode"), "sample");
	assert_string_equal(jstr(ev, "percent"), "50");
	json_object_put(ev);
	fx_close(&fx);
}

/* ---- faults and resume (image files: no root) ---- */

static int cancel_at(const struct dsp_erase_progress *p, void *arg)
{
	(void)arg;
	return p->done >= 8 * MiB;
}

static int count_events(struct fixture *fx, const char *name)
{
	struct json_object *a = events(fx, name, "t1");
	int n = (int)json_object_array_length(a);

	json_object_put(a);
	return n;
}

/* Interrupted in the --then passes: the resume never destroys again and finishes the passes. */
static void test_resume_then(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_NONE);
	struct fixture fx;
	struct json_object *end = NULL;
	struct dsp_io *io;
	char img[256];
	uint8_t *now;
	size_t nn;

	(void)state;
	need_cryptsetup();
	make_luks("resume.img", 2, img, sizeof(img));
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, (const uint8_t *)"\0", 1);
	fx.m.verify = DSP_VERIFY_LAST;
	fx.o.then = &fx.m;
	fx.o.method = &m;
	fx.o.end = &end;
	fx.o.progress = cancel_at;
	fx.o.progress_ms = -1;
	fx.o.checkpoint_bytes = 4 * MiB;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_INTERRUPTED);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "status"), "interrupted");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_string_equal(jstr(end, "category_reason"), "interrupted");
	assert_string_equal(jstr(member(end, "luks"), "outcome"), "ok");
	json_object_put(end);
	end = NULL;
	assert_int_not_equal(sh("cryptsetup isLuks '%s'", img), 0);

	fx_reopen(&fx);
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_int_equal(count_events(&fx, "luks_header"), 1);
	assert_int_equal(count_events(&fx, "luks_destroyed"), 1);
	assert_int_equal(count_events(&fx, "target_resumed"), 1);
	assert_int_equal(count_events(&fx, "target_end"), 2);
	assert_string_equal(jstr(end, "status"), "success");
	/* a file: no category, said why */
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_string_equal(jstr(end, "category_reason"), "not a block device");
	assert_string_equal(jstr(member(end, "then"), "status"), "success");
	assert_int_equal(jint(member(end, "then"), "bytes_written"), IMG_SIZE);
	now = slurp(img, &nn);
	for (size_t i = 0; i < nn; i++)
		if (now[i])
			fail_msg("byte %zu is %u after the resumed --then zero", i, now[i]);
	free(now);
	json_object_put(end);
	end = NULL;
	/* finished: a further resume is refused */
	fx_reopen(&fx);
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), -EALREADY);
	dsp_io_close(io);
	fx_close(&fx);
}

/* Cut short mid-destroy: the resume destroys a header still there, and says so when it is gone. */
static void test_resume_mid_destroy(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_NONE);
	struct fixture fx;
	struct json_object *end = NULL, *f;
	struct dsp_luks_info li;
	struct dsp_io *io;
	char img[256], other[256], before[80], after[80];

	(void)state;
	need_cryptsetup();
	/* the record holds a target and its luks_header, no luks_destroyed: a power cut */
	make_luks("mid.img", 2, img, sizeof(img));
	assert_int_equal(dsp_luks_inspect(img, 1, &li), 0);
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.end = &end;
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "size", json_object_new_int64(IMG_SIZE));
	assert_int_equal(dsp_ledger_append(fx.l, "target", f, 1), 0);
	json_object_put(f);
	f = json_object_new_object();
	json_object_object_add(f, "volume", dsp_luks_info_json(&li));
	json_object_object_add(f, "target", json_object_new_string("t1"));
	assert_int_equal(dsp_ledger_append(fx.l, "luks_header", f, 1), 0);
	json_object_put(f);
	fx.o.resume = true;

	/* another volume there now: nothing written */
	make_luks("other.img", 2, other, sizeof(other));
	sha_of(other, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_io_open(other, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), -ESTALE);
	dsp_io_close(io);
	sha_of(other, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	assert_string_equal(jstr(end, "status"), "failed");
	json_object_put(end);
	end = NULL;

	/* the header still there: destroyed now */
	fx_reopen(&fx);
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "status"), "success");
	assert_string_equal(jstr(member(end, "luks"), "outcome"), "ok");
	assert_int_not_equal(sh("cryptsetup isLuks '%s'", img), 0);
	json_object_put(end);
	end = NULL;
	fx_close(&fx);

	/* a write error mid-destroy: failed; the resume finds the header gone and claims nothing */
	make_luks("mid.img", 2, img, sizeof(img));
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.end = &end;
	setenv(DSP_IO_FAULT_ENV, "eio-write@0x800000", 1);
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	unsetenv(DSP_IO_FAULT_ENV);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), -EIO);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "status"), "failed");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_true(json_object_get_boolean(member(end, "old_data_may_remain")));
	assert_string_equal(jstr(member(end, "luks"), "outcome"), "error");
	assert_non_null(strstr(jstr(end, "error"), "destroying the LUKS header"));
	json_object_put(end);
	end = NULL;
	fx_reopen(&fx);
	fx.o.resume = true;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), -EIO);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "status"), "failed");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_non_null(strstr(jstr(end, "error"), "never verified"));
	assert_string_equal(jstr(member(end, "luks"), "outcome"), "not verified");
	assert_int_equal(count_events(&fx, "luks_destroyed"), 1);
	json_object_put(end);
	fx_close(&fx);
}

/* A volume mid-encryption holds plaintext no key protects: refused, nothing written. */
static void test_reencrypt_refused(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_NONE);
	struct fixture fx;
	struct json_object *end = NULL;
	struct dsp_luks_info li;
	char img[256], before[80], after[80];
	struct dsp_io *io;

	(void)state;
	need_cryptsetup();
	snprintf(img, sizeof(img), "%s/reenc.img", tmpdir);
	assert_int_equal(sh("rm -f '%s' && truncate -s 64M '%s'", img, img), 0);
	if (sh("printf pw | cryptsetup reencrypt --encrypt --init-only --type luks2 "
	       "--reduce-device-size 32M --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --batch-mode "
	       "'%s' --key-file=- >/dev/null 2>&1", img))
		skip();
	assert_int_equal(dsp_luks_inspect(img, 0, &li), 0);
	assert_true(li.reencrypt);
	sha_of(img, 64 * MiB, before, sizeof(before));
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.end = &end;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	sha_of(img, 64 * MiB, after, sizeof(after));
	assert_string_equal(before, after);
	assert_non_null(strstr(jstr(end, "error"), "online-reencrypt"));
	json_object_put(end);
	fx_close(&fx);
	/* a plain LUKS2 volume says none is under way */
	make_luks("plain2.img", 2, img, sizeof(img));
	assert_int_equal(dsp_luks_inspect(img, 0, &li), 0);
	assert_false(li.reencrypt);
}

/* Resumed after the destroy, the device holds a new volume: refused, nothing written. */
static void test_resume_new_volume(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_NONE);
	struct fixture fx;
	struct json_object *end = NULL;
	struct dsp_io *io;
	char img[256], before[80], after[80];

	(void)state;
	need_cryptsetup();
	make_luks("newvol.img", 2, img, sizeof(img));
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, (const uint8_t *)"\0", 1);
	fx.m.verify = DSP_VERIFY_LAST;
	fx.o.then = &fx.m;
	fx.o.method = &m;
	fx.o.end = &end;
	fx.o.progress = cancel_at;
	fx.o.progress_ms = -1;
	fx.o.checkpoint_bytes = 4 * MiB;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_INTERRUPTED);
	dsp_io_close(io);
	json_object_put(end);
	end = NULL;
	/* formatted again: another volume, its owner's data */
	assert_int_equal(sh("printf pw2 | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 "
			    "--pbkdf-force-iterations 1000 '%s' - >/dev/null", img), 0);
	sha_of(img, IMG_SIZE, before, sizeof(before));
	fx_reopen(&fx);
	fx.o.progress = NULL;
	fx.o.resume = true;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_REFUSED);
	dsp_io_close(io);
	sha_of(img, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	assert_string_equal(jstr(end, "status"), "failed");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_non_null(strstr(jstr(end, "error"), "made after this run destroyed volume"));
	assert_int_equal(count_events(&fx, "luks_destroyed"), 1);
	json_object_put(end);
	fx_close(&fx);
}

/* A lost write in the header area: a mismatch, never success; not LUKS: nothing written. */
static void test_mismatch_and_not_luks(void **state)
{
	struct dsp_method m = luks_method(DSP_CAT_NONE);
	struct fixture fx;
	struct json_object *end = NULL;
	struct dsp_erase_result res;
	struct dsp_io *io;
	char img[256], before[80], after[80];

	(void)state;
	need_cryptsetup();
	make_luks("mm.img", 2, img, sizeof(img));
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.end = &end;
	setenv(DSP_IO_FAULT_ENV, "drop-write@0x100000+4096", 1);
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	unsetenv(DSP_IO_FAULT_ENV);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, &res), DSP_MISMATCH);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "status"), "completed-with-errors");
	assert_string_equal(jstr(end, "nist_category"), "none");
	assert_string_equal(jstr(member(end, "luks"), "outcome"), "mismatch");
	assert_int_equal(res.mismatches, 1);
	assert_int_equal(res.first_mismatch, 0x100000);
	json_object_put(end);
	end = NULL;
	fx_close(&fx);

	snprintf(img, sizeof(img), "%s/plain.img", tmpdir);
	assert_int_equal(sh("head -c 4M /dev/urandom >'%s'", img), 0);
	sha_of(img, 4 * MiB, before, sizeof(before));
	fx_open(&fx);
	fx.o.method = &m;
	fx.o.end = &end;
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	sha_of(img, 4 * MiB, after, sizeof(after));
	assert_string_equal(before, after);
	assert_string_equal(jstr(end, "status"), "failed");
	assert_non_null(strstr(jstr(end, "error"), "no LUKS header"));
	json_object_put(end);
	fx_close(&fx);
}

static void append_text(struct fixture *fx, const char *event, const char *text)
{
	struct json_object *f = json_tokener_parse(text);

	assert_non_null(f);
	assert_int_equal(dsp_ledger_append(fx->l, event, f, 1), 0);
	json_object_put(f);
}

/*
 * (R3 #2) A header backup is the volume's when it holds one of the
 * volume's keyslots byte for byte, whatever its UUID (luksUUID changed it,
 * or a clone got a fresh one): purge refused, nothing written; clear names
 * it. Another volume's backup and an unreadable entry are no match (the
 * latter a caveat). After the destroy, a resume finds the keyslots in the
 * luks_header event.
 */
static void test_backup_key_material(void **state)
{
	struct dsp_method purge = luks_method(DSP_CAT_PURGE), clear = luks_method(DSP_CAT_CLEAR);
	struct dsp_blkdev_info info;
	struct dsp_luks_info vl, bl;
	struct fixture fx;
	struct json_object *end = NULL, *bk, *h;
	struct dsp_io *io;
	char img[256], other[256], dev[64], bak[300], obak[300], sbk[2048], before[80], after[80];
	char c[1024];
	const char *nu = "11111111-2222-3333-4444-555555555555";

	(void)state;
	need_root();
	make_luks("km.img", 2, img, sizeof(img));
	make_luks("km-other.img", 2, other, sizeof(other));
	snprintf(bak, sizeof(bak), "%s/km.hdr", tmpdir);
	snprintf(obak, sizeof(obak), "%s/km-other.hdr", tmpdir);
	assert_int_equal(sh("rm -f '%s' '%s'; cryptsetup luksHeaderBackup '%s' --header-backup-file "
			    "'%s' && cryptsetup luksHeaderBackup '%s' --header-backup-file '%s'",
			    bak, obak, img, bak, other, obak), 0);
	if (sh("cryptsetup luksUUID -q --uuid %s '%s'", nu, bak))
		skip();
	/* the same keyslot area in both, another volume's differs */
	assert_int_equal(dsp_luks_inspect(img, DSP_LUKS_HASH_KEYS, &vl), 0);
	assert_int_equal(dsp_luks_inspect(bak, DSP_LUKS_HASH_KEYS, &bl), 0);
	assert_string_not_equal(vl.uuid, bl.uuid);
	assert_int_equal(strlen(bl.slot[0].sha256), 64);
	assert_true(dsp_luks_has_key(&vl, bl.slot[0].sha256));
	assert_int_equal(dsp_luks_inspect(obak, DSP_LUKS_HASH_KEYS, &bl), 0);
	assert_false(dsp_luks_has_key(&vl, bl.slot[0].sha256));
	assert_int_equal(dsp_luks_inspect(img, 0, &bl), 0);
	assert_string_equal(bl.slot[0].sha256, "");

	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	info.backing_file[0] = '\0';	/* a fake rotational non-loop device */
	info.rotational = 1;
	/* another volume's backup, and an entry gone: no match, purge */
	snprintf(sbk, sizeof(sbk), "[{\"path\":\"%s\",\"uuid\":\"%s\"},"
		 "{\"path\":\"%s/gone.hdr\",\"uuid\":\"22222222-2222-3333-4444-555555555555\"}]",
		 obak, "33333333-2222-3333-4444-555555555555", tmpdir);
	bk = json_tokener_parse(sbk);
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	sha_of(img, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "nist_category"), "purge");
	assert_int_equal(json_object_array_length(member(end, "header_backups")), 0);
	snprintf(c, sizeof(c), "LUKS header backup %s/gone.hdr (UUID 22222222-2222-3333-4444-"
		 "555555555555) the inventory lists cannot be read (%s): its key material was not "
		 "compared with this volume's", tmpdir, strerror(ENOENT));
	assert_true(has_caveat(end, c));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);
	json_object_put(bk);

	/* the backup with the changed UUID: purge refused, nothing written */
	assert_int_equal(sh("cryptsetup luksHeaderRestore --batch-mode '%s' --header-backup-file '%s' "
			    "&& cryptsetup luksUUID -q --uuid %s '%s'", dev, bak, vl.uuid, dev), 0);
	snprintf(sbk, sizeof(sbk), "[{\"path\":\"%s\",\"uuid\":\"%s\"}]", bak, nu);
	bk = json_tokener_parse(sbk);
	fx_open(&fx);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	sha_of(img, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	sha_of(img, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	snprintf(c, sizeof(c), "LUKS header backup %s has this volume's key material (same key "
		 "material, UUID changed to %s) and survives", bak, nu);
	assert_non_null(strstr(jstr(end, "error"), c));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);

	/* clear asked: done, clear, the backup named and listed */
	fx_open(&fx);
	fx.o.method = &clear;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), 0);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "nist_category"), "clear");
	snprintf(c, sizeof(c), "LUKS header backup %s has this volume's key material (same key "
		 "material, UUID changed to %s) and survives: with it and a passphrase the data can "
		 "still be decrypted", bak, nu);
	assert_true(has_caveat(end, c));
	h = member(end, "header_backups");
	assert_int_equal(json_object_array_length(h), 1);
	assert_string_equal(jstr(json_object_array_get_idx(h, 0), "uuid"), nu);
	assert_false(json_object_get_boolean(member(json_object_array_get_idx(h, 0), "erased_in_run")));
	json_object_put(end);
	end = NULL;
	fx_close(&fx);

	/*
	 * A resume after a proven destroy (cut short before target_end): the
	 * header is gone, the luks_header event's keyslots still match the backup.
	 */
	fx_open(&fx);
	snprintf(sbk, sizeof(sbk), "{\"target\":\"t1\",\"path\":\"%s\",\"size\":%u}", dev,
		 IMG_SIZE);
	append_text(&fx, "target", sbk);
	snprintf(sbk, sizeof(sbk), "{\"target\":\"t1\",\"volume\":{\"uuid\":\"%s\"},"
		 "\"keyslots_sha256\":[\"%s\"]}", vl.uuid, vl.slot[0].sha256);
	append_text(&fx, "luks_header", sbk);
	snprintf(sbk, sizeof(sbk), "{\"target\":\"t1\",\"result\":{\"outcome\":\"ok\","
		 "\"volume\":{\"uuid\":\"%s\",\"version\":2}}}", vl.uuid);
	append_text(&fx, "luks_destroyed", sbk);
	fx.o.method = &purge;
	fx.o.device = &info;
	fx.o.end = &end;
	fx.o.luks_backups = bk;
	fx.o.resume = true;
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_luks_io(io, &fx.o, NULL), DSP_UNSUPPORTED);
	dsp_io_close(io);
	assert_string_equal(jstr(end, "nist_category"), "clear");
	assert_non_null(strstr(jstr(end, "error"), "has this volume's key material"));
	json_object_put(end);
	fx_close(&fx);
	json_object_put(bk);
	cleanup(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backups_from_inventory),
		cmocka_unit_test_teardown(test_luks2_loop, cleanup),
		cmocka_unit_test_teardown(test_luks1_loop, cleanup),
		cmocka_unit_test_teardown(test_check, cleanup),
		cmocka_unit_test_teardown(test_data_not_ciphertext, cleanup),
		cmocka_unit_test_teardown(test_run_flash_and_backup, cleanup),
		cmocka_unit_test_teardown(test_run_refuses_held, cleanup),
		cmocka_unit_test_teardown(test_then_zero_loop, cleanup),
		cmocka_unit_test_teardown(test_then_verify_given, cleanup),
		cmocka_unit_test_teardown(test_resume_then, cleanup),
		cmocka_unit_test_teardown(test_resume_mid_destroy, cleanup),
		cmocka_unit_test_teardown(test_reencrypt_refused, cleanup),
		cmocka_unit_test_teardown(test_resume_new_volume, cleanup),
		cmocka_unit_test_teardown(test_mismatch_and_not_luks, cleanup),
		cmocka_unit_test_teardown(test_backup_key_material, cleanup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
