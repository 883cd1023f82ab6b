/* SPDX-License-Identifier: MIT */
/* test_identity.c - a block device's recorded identity and --resume's comparison */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dispose/identity.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dsp_identity_compare_same),
		cmocka_unit_test(test_dsp_identity_compare_replaced_file),
		cmocka_unit_test(test_dsp_identity_compare_resized),
		cmocka_unit_test(test_dsp_identity_compare_fields_differ),
		cmocka_unit_test(test_dsp_identity_compare_nothing_recorded),
		cmocka_unit_test(test_dsp_identity_block_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
