/* SPDX-License-Identifier: MIT */
/* test_identity.c - a block device's recorded identity and --resume's comparison */
#include "erase_helpers.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispose/device.h"

static struct json_object *parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

static int cmp(const char *rec, const char *now, char *why, size_t len)
{
	struct json_object *a = rec ? parse(rec) : NULL, *b = now ? parse(now) : NULL;
	int r = dsp_identity_compare(a, b, why, len);

	json_object_put(a);
	json_object_put(b);
	return r;
}

#define LOOP_ID(ino, size) \
	"{\"name\":\"loop3\",\"transport\":\"loop\",\"backing_file\":\"/srv/a.img\"," \
	"\"size\":" #size ",\"medium\":{\"kind\":\"file\",\"dev\":\"254:0\",\"ino\":" #ino "," \
	"\"offset\":0}}"

static void test_dsp_identity_compare_same(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(LOOP_ID(42, 16777216), LOOP_ID(42, 16777216), why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* the kernel name may change (another loop device, a disk after a reboot) */
	assert_int_equal(cmp(LOOP_ID(42, 16777216),
			     "{\"name\":\"loop7\",\"transport\":\"loop\",\"backing_file\":"
			     "\"/srv/a.img\",\"size\":16777216,\"medium\":{\"kind\":\"file\","
			     "\"dev\":\"254:0\",\"ino\":42,\"offset\":0}}", why, sizeof(why)), 0);
	/* a disk with a serial */
	assert_int_equal(cmp("{\"serial\":\"S1\",\"model\":\"M\",\"size\":100}",
			     "{\"serial\":\"S1\",\"model\":\"M\",\"size\":100,\"wwn\":\"\"}",
			     why, sizeof(why)), 0);
}

/* The same path and size over a replaced file (new inode) is another medium. */
static void test_dsp_identity_compare_replaced_file(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(LOOP_ID(42, 16777216), LOOP_ID(43, 16777216), why, sizeof(why)),
			 DSP_IDENTITY_DIFFERS);
	assert_string_equal(why, "medium ino was 42, is 43");
}

static void test_dsp_identity_compare_resized(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(LOOP_ID(42, 16777216), LOOP_ID(42, 33554432), why, sizeof(why)),
			 DSP_IDENTITY_DIFFERS);
	assert_string_equal(why, "size was 16777216, is 33554432");
}

static void test_dsp_identity_compare_fields_differ(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp("{\"serial\":\"S1\"}", "{\"serial\":\"S2\"}", why, sizeof(why)),
			 DSP_IDENTITY_DIFFERS);
	assert_string_equal(why, "serial was \"S1\", is \"S2\"");
	/* a missing string is "" */
	assert_int_equal(cmp("{\"wwn\":\"W\"}", "{\"wwn\":\"W\",\"serial\":\"S\"}",
			     why, sizeof(why)), DSP_IDENTITY_DIFFERS);
	assert_string_equal(why, "serial was \"\", is \"S\"");
	/* medium recorded, none now */
	assert_int_equal(cmp(LOOP_ID(42, 16777216), "{\"size\":16777216,\"transport\":\"loop\","
			     "\"name\":\"loop3\",\"backing_file\":\"/srv/a.img\"}",
			     why, sizeof(why)), DSP_IDENTITY_DIFFERS);
	assert_non_null(strstr(why, "medium was {"));
	/* a member the record lacks */
	assert_int_equal(cmp("{\"serial\":\"S\",\"medium\":{\"kind\":\"disk\",\"serial\":\"S\"}}",
			     "{\"serial\":\"S\",\"medium\":{\"kind\":\"disk\",\"serial\":\"S\","
			     "\"offset\":512}}", why, sizeof(why)), DSP_IDENTITY_DIFFERS);
	assert_string_equal(why, "medium offset was none, is 512");
	/* unreadable now */
	assert_int_equal(cmp(LOOP_ID(42, 1), NULL, why, sizeof(why)), DSP_IDENTITY_DIFFERS);
}

/* A record without serial, WWN or backing file identity proves nothing. */
static void test_dsp_identity_compare_nothing_recorded(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(NULL, LOOP_ID(42, 1), why, sizeof(why)), DSP_IDENTITY_NONE);
	/* what older records hold for a loop device: a path is no identity */
	assert_int_equal(cmp("{\"name\":\"loop3\",\"model\":\"\",\"serial\":\"\",\"wwn\":\"\","
			     "\"backing_file\":\"/srv/a.img\",\"size\":1}",
			     "{\"name\":\"loop3\",\"backing_file\":\"/srv/a.img\",\"size\":1}",
			     why, sizeof(why)), DSP_IDENTITY_NONE);
	/* a disk with empty model, serial and WWN */
	assert_int_equal(cmp("{\"size\":1,\"medium\":{\"kind\":\"disk\",\"serial\":\"\","
			     "\"wwn\":\"\",\"model\":\"\",\"offset\":0}}",
			     "{\"size\":1,\"medium\":{\"kind\":\"disk\",\"serial\":\"\","
			     "\"wwn\":\"\",\"model\":\"\",\"offset\":0}}",
			     why, sizeof(why)), DSP_IDENTITY_NONE);
	/* a file medium without its inode */
	assert_int_equal(cmp("{\"medium\":{\"kind\":\"file\",\"dev\":\"254:0\"}}",
			     "{\"medium\":{\"kind\":\"file\",\"dev\":\"254:0\"}}",
			     why, sizeof(why)), DSP_IDENTITY_NONE);
}

/* Records of older versions wrote "" for unknown strings; now they are null. */
static void test_dsp_identity_compare_null_like_empty(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp("{\"serial\":\"S1\",\"wwn\":\"\",\"model\":\"M\",\"vendor\":\"\","
			     "\"size\":100,\"medium\":{\"kind\":\"disk\",\"serial\":\"S1\","
			     "\"wwn\":\"\",\"model\":\"M\",\"offset\":0}}",
			     "{\"serial\":\"S1\",\"wwn\":null,\"sysfs_serial\":null,"
			     "\"sysfs_wwid\":null,\"model\":\"M\",\"vendor\":null,\"size\":100,"
			     "\"medium\":{\"kind\":\"disk\",\"serial\":\"S1\",\"wwn\":null,"
			     "\"sysfs_serial\":null,\"sysfs_wwid\":null,\"model\":\"M\","
			     "\"offset\":0}}", why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* and the other way round, a null medium is no medium */
	assert_int_equal(cmp("{\"serial\":\"S1\",\"wwn\":null,\"size\":1,\"medium\":null}",
			     "{\"serial\":\"S1\",\"wwn\":\"\",\"size\":1}", why, sizeof(why)), 0);
	/* an empty disk identity with nulls identifies nothing, as with "" */
	assert_int_equal(cmp("{\"size\":1,\"serial\":null,\"medium\":{\"kind\":\"disk\","
			     "\"serial\":null,\"wwn\":null,\"offset\":0}}",
			     "{\"size\":1}", why, sizeof(why)), DSP_IDENTITY_NONE);
}

/*
 * A record written with sysfs's WWN form (naa.) is recognised by a run that
 * reads udev's (0x...) and keeps sysfs's beside it, and the other way round
 * (a rescue system without udev resuming a record written with it).
 */
static void test_dsp_identity_compare_udev_and_sysfs(void **state)
{
	static const char sysfs[] = "{\"serial\":\"\",\"wwn\":\"naa.5000c500a1b2c3d4\","
				    "\"model\":\"ST4000\",\"size\":4096}";
	static const char udev[] = "{\"serial\":\"ZC1A2B3C\",\"wwn\":\"0x5000c500a1b2c3d4\","
				   "\"sysfs_serial\":null,\"sysfs_wwid\":\"naa.5000c500a1b2c3d4\","
				   "\"model\":\"ST4000\",\"size\":4096}";
	char why[256];

	(void)state;
	assert_int_equal(cmp(sysfs, udev, why, sizeof(why)), DSP_IDENTITY_DIFFERS);
	/* sysfs had no serial, udev has one: the serial itself does not match ... */
	assert_string_equal(why, "serial was \"\", is \"ZC1A2B3C\"");
	/* ... but where sysfs knew the serial too, both forms are recognised */
	assert_int_equal(cmp("{\"serial\":\"ZC1A2B3C\",\"wwn\":\"naa.5000c500a1b2c3d4\",\"size\":4096}",
			     udev, why, sizeof(why)), 0);
	assert_int_equal(cmp(udev, "{\"serial\":\"ZC1A2B3C\",\"wwn\":\"naa.5000c500a1b2c3d4\","
			     "\"model\":\"ST4000\",\"size\":4096}", why, sizeof(why)), 0);
	/* another disk */
	assert_int_equal(cmp(udev, "{\"serial\":\"ZC1A2B3C\",\"wwn\":\"0x5000c500ffffffff\","
			     "\"sysfs_wwid\":\"naa.5000c500ffffffff\",\"size\":4096}",
			     why, sizeof(why)), DSP_IDENTITY_DIFFERS);
	assert_string_equal(why, "wwn was \"0x5000c500a1b2c3d4\", is \"0x5000c500ffffffff\"");
	/* the same in the medium of a loop device over the disk */
	assert_int_equal(cmp("{\"size\":1,\"medium\":{\"kind\":\"disk\",\"serial\":\"\","
			     "\"wwn\":\"naa.5000c500a1b2c3d4\",\"model\":\"ST4000\",\"offset\":0}}",
			     "{\"size\":1,\"medium\":{\"kind\":\"disk\",\"serial\":null,"
			     "\"wwn\":\"0x5000c500a1b2c3d4\",\"sysfs_serial\":null,"
			     "\"sysfs_wwid\":\"naa.5000c500a1b2c3d4\",\"model\":\"ST4000\","
			     "\"offset\":0}}", why, sizeof(why)), 0);
}

/* Unknown fields are null, never "". */
static void test_dsp_identity_block_nulls(void **state)
{
	struct dsp_blkdev_info info;
	struct json_object *o, *v;
	static const char *const keys[] = { "model", "serial", "wwn", "sysfs_serial", "sysfs_wwid",
					    "vendor", "transport", "id_path", "by_id",
					    "backing_file", "removable", "medium" };

	(void)state;
	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "sdz");
	info.size = 512;
	info.removable = -1;
	o = dsp_identity_block(&info);
	assert_non_null(o);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		assert_true(json_object_object_get_ex(o, keys[i], &v));
		assert_null(v);
	}
	assert_true(json_object_object_get_ex(o, "udev", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "partition", &v));
	assert_false(json_object_get_boolean(v));
	assert_false(json_object_object_get_ex(o, "is_partition", NULL));
	assert_null(strstr(json_object_to_json_string(o), "\"\""));
	json_object_put(o);
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	return r == -1 ? -1 : WEXITSTATUS(r);
}

/* On a real loop device: the medium is the image's inode, at offset 0. */
static void test_dsp_identity_block_loop(void **state)
{
	char dir[] = "/tmp/dispose-ident.XXXXXX", img[64], cmd[256], dev[64] = "", want[32];
	struct dsp_blkdev_info info;
	struct json_object *o, *m, *v;
	struct stat st;
	FILE *p;

	(void)state;
	if (geteuid() != 0 || sh("command -v losetup >/dev/null"))
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/a.img", dir);
	snprintf(cmd, sizeof(cmd), "truncate -s 8M %s && losetup -f --show %s", img, img);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(dev, sizeof(dev), p))
		dev[0] = '\0';
	pclose(p);
	dev[strcspn(dev, "\n")] = '\0';
	assert_int_equal(strncmp(dev, "/dev/loop", 9), 0);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);
	o = dsp_identity_block(&info);
	snprintf(cmd, sizeof(cmd), "losetup -d %s; rm -rf %s", dev, dir);
	sh(cmd);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "size", &v));
	assert_int_equal(json_object_get_int64(v), 8 << 20);
	assert_true(json_object_object_get_ex(o, "medium", &m));
	assert_true(json_object_object_get_ex(m, "kind", &v));
	assert_string_equal(json_object_get_string(v), "file");
	assert_true(json_object_object_get_ex(m, "ino", &v));
	assert_true((ino_t)json_object_get_int64(v) == st.st_ino);
	assert_true(json_object_object_get_ex(m, "dev", &v));
	snprintf(want, sizeof(want), "%u:%u", major(st.st_dev), minor(st.st_dev));
	assert_string_equal(json_object_get_string(v), want);
	assert_true(json_object_object_get_ex(m, "offset", &v));
	assert_int_equal(json_object_get_int64(v), 0);
	json_object_put(o);
}

/* Attach an 8 MiB image of 0xab bytes; dev and img filled. 0 or -1. */
static int ab_loop(char *dir, char *img, size_t ilen, char *dev, size_t dlen)
{
	char cmd[512];
	FILE *p;

	snprintf(img, ilen, "%s/a.img", dir);
	snprintf(cmd, sizeof(cmd), "head -c 8388608 /dev/zero | tr '\\0' '\\253' >%s &&"
		 " losetup -f --show %s", img, img);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(dev, (int)dlen, p))
		dev[0] = '\0';
	pclose(p);
	dev[strcspn(dev, "\n")] = '\0';
	return strncmp(dev, "/dev/loop", 9) ? -1 : 0;
}

static bool all_ab(const char *img)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(img, "rb");
	size_t n, total = 0;
	bool ok = f != NULL;

	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (size_t i = 0; i < n; i++)
			ok = ok && buf[i] == 0xab;
		total += n;
	}
	if (f)
		fclose(f);
	return ok && total == 8 << 20;
}

/*
 * The engine's own guard: a block target resumed on another medium than
 * its "target" event recorded is not written (-ESTALE), whatever the caller
 * checked; on the recorded medium the resume goes on.
 */
static char g_dir[64], g_dev[64];

/* Detach and remove what the test made, also after a failed assertion. */
static int loop_teardown(void **state)
{
	char cmd[256];

	(void)state;
	if (g_dev[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", g_dev);
		sh(cmd);
	}
	if (g_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
		sh(cmd);
	}
	g_dev[0] = g_dir[0] = '\0';
	return 0;
}

static void test_eng_resume_other_medium(void **state)
{
	char *dir = g_dir, *dev = g_dev, img[128];
	struct dsp_blkdev_info info;
	struct dsp_erase_result res;
	struct json_object *f, *id, *m;
	struct fixture fx;
	struct dsp_io *io;
	const uint8_t zero = 0;

	(void)state;
	if (geteuid() != 0 || sh("command -v losetup >/dev/null"))
		skip();
	snprintf(g_dir, sizeof(g_dir), "/tmp/dispose-ident.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(ab_loop(dir, img, sizeof(img), dev, sizeof(g_dev)), 0);
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.o.verify = DSP_VERIFY_NONE;
	fx.o.resume = true;
	assert_int_equal(dsp_blkdev_info(dev, &info), 0);

	/* recorded: the same device, but another inode under it */
	id = dsp_identity_block(&info);
	assert_true(json_object_object_get_ex(id, "medium", &m));
	json_object_object_add(m, "ino", json_object_new_int64(1));
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "path", json_object_new_string(dev));
	json_object_object_add(f, "kind", json_object_new_string("block"));
	json_object_object_add(f, "size", json_object_new_int64(8 << 20));
	json_object_object_add(f, "identity", id);
	assert_int_equal(dsp_ledger_append(fx.l, "target", f, 1), 0);
	json_object_put(f);
	fx_reopen(&fx);
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), -ESTALE);
	dsp_io_close(io);
	assert_int_equal(res.bytes_written, 0);
	assert_true(all_ab(img));
	fx_close(&fx);

	/* recorded as it is: resumed and written */
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.o.verify = DSP_VERIFY_NONE;
	fx.o.resume = true;
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "size", json_object_new_int64(8 << 20));
	json_object_object_add(f, "identity", dsp_identity_block(&info));
	assert_int_equal(dsp_ledger_append(fx.l, "target", f, 1), 0);
	json_object_put(f);
	fx_reopen(&fx);
	assert_int_equal(dsp_io_open(dev, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), 0);
	dsp_io_close(io);
	assert_int_equal(res.bytes_written, 8 << 20);
	assert_false(all_ab(img));
	fx_close(&fx);
}

/*
 * The guard reads the device held open, by its number, not what its path
 * names now: a node repointed to the recorded device after the open must
 * not let the resume write the other device (the base read the path).
 */
static char g_dir2[64], g_dev2[64];

static int loops_teardown(void **state)
{
	char cmd[256];

	if (g_dev2[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", g_dev2);
		sh(cmd);
	}
	if (g_dir2[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir2);
		sh(cmd);
	}
	g_dev2[0] = g_dir2[0] = '\0';
	return loop_teardown(state);
}

static void test_eng_resume_device_held_not_path(void **state)
{
	char img_a[128], img_b[128], node[128];
	struct dsp_blkdev_info a;
	struct dsp_erase_result res;
	struct json_object *f;
	struct fixture fx;
	struct dsp_io *io;
	struct stat sa, sb;
	const uint8_t zero = 0;

	(void)state;
	if (geteuid() != 0 || sh("command -v losetup >/dev/null"))
		skip();
	snprintf(g_dir, sizeof(g_dir), "/tmp/dispose-ident.XXXXXX");
	snprintf(g_dir2, sizeof(g_dir2), "/tmp/dispose-ident.XXXXXX");
	assert_non_null(mkdtemp(g_dir));
	assert_non_null(mkdtemp(g_dir2));
	assert_int_equal(ab_loop(g_dir, img_a, sizeof(img_a), g_dev, sizeof(g_dev)), 0);
	assert_int_equal(ab_loop(g_dir2, img_b, sizeof(img_b), g_dev2, sizeof(g_dev2)), 0);
	assert_int_equal(stat(g_dev, &sa), 0);
	assert_int_equal(stat(g_dev2, &sb), 0);
	assert_int_equal(dsp_blkdev_info(g_dev, &a), 0);

	/* the record: the target on device a */
	fx_open(&fx);
	fx_pass(&fx, DSP_PASS_PATTERN, &zero, 1);
	fx.o.verify = DSP_VERIFY_NONE;
	fx.o.resume = true;
	f = json_object_new_object();
	json_object_object_add(f, "target", json_object_new_string("t1"));
	json_object_object_add(f, "size", json_object_new_int64(8 << 20));
	json_object_object_add(f, "identity", dsp_identity_block(&a));
	assert_int_equal(dsp_ledger_append(fx.l, "target", f, 1), 0);
	json_object_put(f);
	fx_reopen(&fx);
	/* device b opened through a node that then names a */
	snprintf(node, sizeof(node), "%s/disk", g_dir);
	assert_int_equal(mknod(node, S_IFBLK | 0600, sb.st_rdev), 0);
	assert_int_equal(dsp_io_open(node, DSP_IO_WRITE | DSP_IO_EXCL, &io), 0);
	assert_int_equal(unlink(node), 0);
	assert_int_equal(mknod(node, S_IFBLK | 0600, sa.st_rdev), 0);
	assert_int_equal(dsp_erase_io(io, &fx.o, &res), -ESTALE);
	dsp_io_close(io);
	assert_int_equal(res.bytes_written, 0);
	assert_true(all_ab(img_b));
	assert_true(all_ab(img_a));
	fx_close(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_identity_compare_same),
		cmocka_unit_test(test_dsp_identity_compare_replaced_file),
		cmocka_unit_test(test_dsp_identity_compare_resized),
		cmocka_unit_test(test_dsp_identity_compare_fields_differ),
		cmocka_unit_test(test_dsp_identity_compare_nothing_recorded),
		cmocka_unit_test(test_dsp_identity_compare_null_like_empty),
		cmocka_unit_test(test_dsp_identity_compare_udev_and_sysfs),
		cmocka_unit_test(test_dsp_identity_block_nulls),
		cmocka_unit_test(test_dsp_identity_block_loop),
		cmocka_unit_test_teardown(test_eng_resume_other_medium, loop_teardown),
		cmocka_unit_test_teardown(test_eng_resume_device_held_not_path, loops_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
