/* SPDX-License-Identifier: MIT */
/* test_luks.c - LUKS inspect and destroy against cryptsetup on image files and loop devices */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispose/io.h"
#include "dispose/luks.h"
#include "sh_util.h"

#define MiB (1024u * 1024u)
#define IMG_SIZE (32 * MiB)

static char tmpdir[64];
static char loops[4][64];
static int nloops;

static int group_setup(void **state)
{
	(void)state;
	if (sh("command -v cryptsetup >/dev/null"))
		return 0;	/* each test skips */
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dispose-luks.XXXXXX");
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
	if (!tmpdir[0])
		skip();
}

static void need_root(void)
{
	need_cryptsetup();
	if (geteuid() != 0 || sh("command -v losetup >/dev/null && command -v blkid >/dev/null"))
		skip();
}

/* A LUKS image of IMG_SIZE bytes at tmpdir/name, its data area filled with random bytes. */
static void make_luks(const char *name, int version, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	assert_int_equal(sh("rm -f '%s' && truncate -s %u '%s'", path, IMG_SIZE, path), 0);
	assert_int_equal(sh("printf pw | cryptsetup luksFormat --batch-mode --type luks%d "
			    "--pbkdf pbkdf2 --pbkdf-force-iterations 1000 '%s' - >/dev/null",
			    version, path), 0);
}

static void fill_data(const char *path, uint64_t from)
{
	assert_int_equal(sh("head -c %llu /dev/urandom | dd of='%s' bs=1M seek=%llu "
			    "oflag=seek_bytes conv=notrunc status=none",
			    (unsigned long long)(IMG_SIZE - from), path,
			    (unsigned long long)from), 0);
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

static void uuid_of(const char *path, char *uuid, size_t len)
{
	sh_out(uuid, len, "cryptsetup luksUUID '%s' 2>/dev/null", path);
}

static void sha_of(const char *path, uint64_t len, char *out, size_t olen)
{
	sh_out(out, olen, "head -c %llu '%s' | sha256sum | cut -d' ' -f1",
	       (unsigned long long)len, path);
}

static void check_info(const char *path, const struct dsp_luks_info *li, int version)
{
	char uuid[64], sha[80];

	uuid_of(path, uuid, sizeof(uuid));
	assert_int_equal(li->version, version);
	assert_string_equal(li->uuid, uuid);
	assert_string_equal(li->cipher, "aes-xts-plain64");
	assert_int_equal(li->key_bits, 512);
	assert_int_equal(li->active, 1);
	assert_true(li->slot[0].state > 0 && li->slot[0].len > 0);
	if (version == 2) {
		assert_int_equal(li->nslots, 32);
		assert_int_equal(li->metadata_size, 16384);
		assert_int_equal(li->data_offset, 16 * MiB);
		assert_int_equal(li->header_end, 16 * MiB);
		assert_int_equal(2 * li->metadata_size + li->keyslots_size, 16 * MiB);
	} else {
		assert_int_equal(li->nslots, 8);
		assert_int_equal(li->data_offset, 2 * MiB);
		assert_int_equal(li->header_end, 2 * MiB);
		/* key material of every slot lies under the data offset */
		for (int i = 0; i < 8; i++)
			assert_true(li->slot[i].len && li->slot[i].off + li->slot[i].len <= 2 * MiB);
	}
	sha_of(path, li->header_end, sha, sizeof(sha));
	assert_string_equal(li->header_sha256, sha);
}

static void test_inspect_luks2_and_luks1(void **state)
{
	struct dsp_luks_info li;
	char img[256];
	struct json_object *j, *v;

	(void)state;
	need_cryptsetup();
	for (int ver = 1; ver <= 2; ver++) {
		make_luks("inspect.img", ver, img, sizeof(img));
		assert_int_equal(dsp_luks_inspect(img, 1, &li), 0);
		check_info(img, &li, ver);
		j = dsp_luks_info_json(&li);
		assert_non_null(j);
		assert_true(json_object_object_get_ex(j, "keyslots", &v));
		assert_int_equal(json_object_array_length(v), ver == 2 ? 1 : 8);
		assert_true(json_object_object_get_ex(j, "header_area_sha256", &v));
		assert_string_equal(json_object_get_string(v), li.header_sha256);
		json_object_put(j);
	}
}

/* Read-only: a LUKS2 image whose primary header is gone is read from the secondary, and not repaired. */
static void test_inspect_secondary_only_never_writes(void **state)
{
	struct dsp_luks_info li;
	char img[256], uuid[64], before[80], after[80];

	(void)state;
	need_cryptsetup();
	make_luks("secondary.img", 2, img, sizeof(img));
	uuid_of(img, uuid, sizeof(uuid));
	assert_int_equal(sh("dd if=/dev/zero of='%s' bs=4096 count=1 conv=notrunc status=none", img), 0);
	sha_of(img, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_luks_inspect(img, 1, &li), 0);
	assert_string_equal(li.uuid, uuid);
	assert_int_equal(li.version, 2);
	assert_int_equal(li.active, 1);
	sha_of(img, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	/* a luksHeaderBackup file: the header alone */
	assert_int_equal(sh("rm -f '%s/hdr.bak'; cryptsetup luksHeaderBackup '%s/inspect.img' "
			    "--header-backup-file '%s/hdr.bak'", tmpdir, tmpdir, tmpdir), 0);
	snprintf(img, sizeof(img), "%s/hdr.bak", tmpdir);
	uuid_of(img, uuid, sizeof(uuid));
	assert_int_equal(dsp_luks_inspect(img, 1, &li), 0);
	assert_string_equal(li.uuid, uuid);
	/* not LUKS, a corrupt JSON checksum: no header */
	snprintf(img, sizeof(img), "%s/zero.img", tmpdir);
	assert_int_equal(sh("head -c 1M /dev/zero >'%s'", img), 0);
	assert_int_equal(dsp_luks_inspect(img, 1, &li), -EINVAL);
	make_luks("badsum.img", 2, img, sizeof(img));
	/* both copies' JSON changed: the checksums fail */
	assert_int_equal(sh("printf X | dd of='%s' bs=1 seek=%d conv=notrunc status=none; "
			    "printf X | dd of='%s' bs=1 seek=%d conv=notrunc status=none",
			    img, 4096 + 2, img, 16384 + 4096 + 2), 0);
	assert_int_equal(dsp_luks_inspect(img, 0, &li), -EINVAL);
}

/* Tokens (TPM2, FIDO2, Clevis enrolments) and a non-default metadata size are recorded. */
static void test_inspect_tokens_metadata_size(void **state)
{
	struct dsp_luks_info li;
	char img[256];

	(void)state;
	need_cryptsetup();
	snprintf(img, sizeof(img), "%s/tokens.img", tmpdir);
	assert_int_equal(sh("rm -f '%s' && truncate -s %u '%s' && printf pw | cryptsetup luksFormat "
			    "--batch-mode --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "
			    "--luks2-metadata-size 64k --luks2-keyslots-size 2m '%s' - >/dev/null",
			    img, IMG_SIZE, img, img), 0);
	assert_int_equal(sh("printf '%%s' '{\"type\":\"clevis\",\"keyslots\":[\"0\"]}' | "
			    "cryptsetup token import --token-id 3 '%s'", img), 0);
	assert_int_equal(dsp_luks_inspect(img, 0, &li), 0);
	assert_int_equal(li.metadata_size, 65536);
	assert_int_equal(li.keyslots_size, 2 * MiB);
	/* the data offset (16 MiB by default alignment) bounds the area: it covers both */
	assert_true(li.header_end >= 2 * 65536 + 2 * MiB);
	assert_int_equal(li.header_end, li.data_offset);
	assert_int_equal(li.ntokens, 1);
	assert_int_equal(li.token_id[0], 3);
	assert_string_equal(li.token_type[0], "clevis");
	assert_string_equal(li.header_sha256, "");
}

static int attach(const char *img, char *dev, size_t len)
{
	sh_out(dev, len, "losetup -f --show '%s' 2>/dev/null", img);
	if (strncmp(dev, "/dev/loop", 9))
		return -1;
	snprintf(loops[nloops++], sizeof(loops[0]), "%s", dev);
	return 0;
}

/* No non-zero 4 KiB block of the old header area is anywhere in the new image. */
static void no_old_block_survives(const uint8_t *old, const uint8_t *now, size_t n, uint64_t end)
{
	for (uint64_t b = 0; b < end; b += 4096) {
		static const uint8_t zero[4096];

		if (!memcmp(old + b, zero, 4096))
			continue;
		for (size_t c = 0; c + 4096 <= n; c += 4096)
			if (!memcmp(old + b, now + c, 4096))
				fail_msg("old header block at %llu survives at %zu",
					 (unsigned long long)b, c);
	}
}

static void destroy_on_loop(int version)
{
	struct dsp_luks_result res;
	struct dsp_io *io;
	char img[256], copy[300], dev[64], out[128];
	struct json_object *j, *v;
	uint8_t *old, *now;
	size_t on, nn;
	uint64_t end;

	make_luks("loop.img", version, img, sizeof(img));
	fill_data(img, version == 2 ? 16 * MiB : 2 * MiB);
	snprintf(copy, sizeof(copy), "%s/loop.copy", tmpdir);
	assert_int_equal(sh("cp '%s' '%s'", img, copy), 0);
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	assert_int_equal(sh("printf pw | cryptsetup open --test-passphrase '%s' --key-file=-", dev), 0);
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL | DSP_IO_DIRECT, &io), 0);
	assert_int_equal(dsp_luks_destroy(io, &res), 0);
	dsp_io_close(io);
	end = res.before.header_end;
	check_info(copy, &res.before, version);
	assert_int_equal(res.slots_destroyed, 1);
	assert_int_equal(res.slots_failed, 0);
	j = dsp_luks_result_json(&res, 0);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "outcome", &v));
	assert_string_equal(json_object_get_string(v), "ok");
	assert_true(json_object_object_get_ex(j, "header_found_after", &v));
	assert_true(json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v));
	json_object_put(j);
	assert_int_equal(res.written, end);
	assert_int_equal(res.verified, end);
	assert_int_equal(res.loads_after, 0);
	assert_string_not_equal(res.blkid_after, "crypto_LUKS");
	/* what cryptsetup and blkid say now */
	assert_int_not_equal(sh("printf pw | cryptsetup open --test-passphrase '%s' --key-file=- "
				"2>/dev/null", dev), 0);
	assert_int_not_equal(sh("cryptsetup luksDump '%s' >/dev/null 2>&1", dev), 0);
	sh_out(out, sizeof(out), "blkid -p -o value -s TYPE '%s'", dev);
	assert_string_equal(out, "");
	/* bytes: nothing of the old header area left, the data area untouched */
	old = slurp(copy, &on);
	now = slurp(img, &nn);
	assert_int_equal(on, nn);
	no_old_block_survives(old, now, nn, end);
	assert_memory_equal(old + end, now + end, nn - end);
	free(old);
	free(now);
	cleanup(NULL);
}

static void test_destroy_luks2_loop(void **state)
{
	(void)state;
	need_root();
	destroy_on_loop(2);
}

static void test_destroy_luks1_loop(void **state)
{
	(void)state;
	need_root();
	destroy_on_loop(1);
}

/* Secondary copy only, and a luksHeaderBackup file: both destroyed, nothing found after. */
static void test_destroy_secondary_only_and_backup(void **state)
{
	struct dsp_luks_result res;
	struct dsp_io *io;
	char img[256], bak[300];

	(void)state;
	need_cryptsetup();
	make_luks("sec.img", 2, img, sizeof(img));
	snprintf(bak, sizeof(bak), "%s/sec.bak", tmpdir);
	assert_int_equal(sh("rm -f '%s'; cryptsetup luksHeaderBackup '%s' --header-backup-file '%s'",
			    bak, img, bak), 0);
	assert_int_equal(sh("dd if=/dev/zero of='%s' bs=4096 count=1 conv=notrunc status=none", img), 0);
	for (int i = 0; i < 2; i++) {
		const char *p = i ? bak : img;

		assert_int_equal(sh("cryptsetup isLuks '%s'", p), 0);
		assert_int_equal(dsp_io_open(p, DSP_IO_WRITE, &io), 0);
		assert_int_equal(dsp_luks_destroy(io, &res), 0);
		dsp_io_close(io);
		assert_int_equal(res.before.header_end, 16 * MiB);
		assert_int_equal(res.verified, 16 * MiB);
		assert_int_not_equal(sh("cryptsetup isLuks '%s'", p), 0);
		assert_int_not_equal(sh("printf pw | cryptsetup open --test-passphrase '%s' "
					"--key-file=- 2>/dev/null", p), 0);
	}
}

/* An open volume (a device holds the device) is refused before anything is written. */
static void test_destroy_refuses_held(void **state)
{
	struct dsp_luks_result res;
	struct dsp_io *io;
	char img[256], dev[64], upper[64], before[80], after[80];

	(void)state;
	need_root();
	make_luks("held.img", 2, img, sizeof(img));
	assert_int_equal(attach(img, dev, sizeof(dev)), 0);
	/* a loop device over it stands for a dm-crypt mapping (device-mapper is not available) */
	assert_int_equal(attach(dev, upper, sizeof(upper)), 0);
	sha_of(img, IMG_SIZE, before, sizeof(before));
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_luks_destroy(io, &res), -EBUSY);
	dsp_io_close(io);
	sha_of(img, IMG_SIZE, after, sizeof(after));
	assert_string_equal(before, after);
	cleanup(NULL);
}

/* A fault mid-overwrite is reported with how far it got; never "done". */
static void test_destroy_eio_midway(void **state)
{
	struct json_object *j, *v;
	struct dsp_luks_result res;
	struct dsp_io *io;
	char img[256];

	(void)state;
	need_cryptsetup();
	make_luks("eio.img", 2, img, sizeof(img));
	setenv(DSP_IO_FAULT_ENV, "eio-write@0x800000", 1);
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	unsetenv(DSP_IO_FAULT_ENV);
	assert_int_equal(dsp_luks_destroy(io, &res), -EIO);
	dsp_io_close(io);
	j = dsp_luks_result_json(&res, -EIO);
	assert_true(json_object_object_get_ex(j, "outcome", &v));
	assert_string_equal(json_object_get_string(v), "error");
	assert_true(json_object_object_get_ex(j, "header_found_after", &v));
	assert_null(v);
	json_object_put(j);
	assert_int_equal(res.written, 8 * MiB);
	assert_int_equal(res.verified, 0);
	assert_int_equal(res.loads_after, -1);
	/* the keyslot was destroyed first: the passphrase no longer opens it */
	assert_int_equal(res.slots_destroyed, 1);
	assert_int_not_equal(sh("printf pw | cryptsetup open --test-passphrase '%s' --key-file=- "
				"2>/dev/null", img), 0);
}

/* A write that is lost, or a byte that reads back different: a mismatch, not success. */
static void test_destroy_readback_mismatch(void **state)
{
	static const char *const faults[] = { "drop-write@0x100000+4096", "flip-read@0x5000" };
	struct dsp_luks_result res;
	struct dsp_io *io;
	char img[256];

	(void)state;
	need_cryptsetup();
	for (size_t i = 0; i < 2; i++) {
		make_luks("mismatch.img", 1 + (int)i, img, sizeof(img));
		setenv(DSP_IO_FAULT_ENV, faults[i], 1);
		assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
		unsetenv(DSP_IO_FAULT_ENV);
		assert_int_equal(dsp_luks_destroy(io, &res), DSP_LUKS_MISMATCH);
		dsp_io_close(io);
		assert_int_equal(res.written, res.before.header_end);
		assert_true(res.verified < res.before.header_end);
	}
}

/* Not LUKS, or a header area past the target's end: nothing is written. */
static void test_destroy_not_luks(void **state)
{
	struct dsp_luks_result res;
	struct dsp_io *io;
	char img[256], before[80], after[80];

	(void)state;
	need_cryptsetup();
	snprintf(img, sizeof(img), "%s/plain.img", tmpdir);
	assert_int_equal(sh("head -c 4M /dev/urandom >'%s'", img), 0);
	sha_of(img, 4 * MiB, before, sizeof(before));
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_luks_destroy(io, &res), -EINVAL);
	dsp_io_close(io);
	sha_of(img, 4 * MiB, after, sizeof(after));
	assert_string_equal(before, after);
	/* cut short of the area its header describes: libcryptsetup finds no volume */
	make_luks("short.img", 2, img, sizeof(img));
	assert_int_equal(sh("truncate -s 8M '%s'", img), 0);
	sha_of(img, 8 * MiB, before, sizeof(before));
	assert_int_equal(dsp_io_open(img, DSP_IO_WRITE, &io), 0);
	assert_int_equal(dsp_luks_destroy(io, &res), -EINVAL);
	dsp_io_close(io);
	sha_of(img, 8 * MiB, after, sizeof(after));
	assert_string_equal(before, after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inspect_luks2_and_luks1),
		cmocka_unit_test(test_inspect_secondary_only_never_writes),
		cmocka_unit_test(test_inspect_tokens_metadata_size),
		cmocka_unit_test_teardown(test_destroy_luks2_loop, cleanup),
		cmocka_unit_test_teardown(test_destroy_luks1_loop, cleanup),
		cmocka_unit_test_teardown(test_destroy_refuses_held, cleanup),
		cmocka_unit_test_teardown(test_destroy_secondary_only_and_backup, cleanup),
		cmocka_unit_test_teardown(test_destroy_eio_midway, cleanup),
		cmocka_unit_test_teardown(test_destroy_readback_mismatch, cleanup),
		cmocka_unit_test_teardown(test_destroy_not_luks, cleanup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
