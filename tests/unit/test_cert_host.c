/* SPDX-License-Identifier: MIT */
/* test_cert_host.c - the certificate's host identity (DMI through the test hook) and build id */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir_helpers.h"
#include "../../src/cert/cert_int.h"
#include "dispose/json.h"

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	if (tmpdir_make("test_cert_host"))
		return -1;
	setenv("DISPOSE_TEST_DMI_DIR", dir, 1);
	setenv("DISPOSE_TEST_MACHINE_ID", at("machine-id"), 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("DISPOSE_TEST_DMI_DIR");
	unsetenv("DISPOSE_TEST_MACHINE_ID");
	return tmpdir_remove();
}

static const char *dmi(struct json_object *host, const char *key)
{
	struct json_object *d = NULL, *v = NULL;

	assert_true(json_object_object_get_ex(host, "dmi", &d));
	assert_true(json_object_object_get_ex(d, key, &v));	/* present, maybe null */
	return v ? json_object_get_string(v) : NULL;
}

static void test_host_fields_read_and_trimmed(void **state)
{
	struct json_object *h, *v;
	char hn[256];

	(void)state;
	put("machine-id", "0123456789abcdef0123456789abcdef\n");
	put("sys_vendor", "  ACME Corp \n");
	put("product_name", "Box 9000\n");
	put("product_serial", "SN-42\n");
	put("product_uuid", "4c4c4544-0042-3510-8052-b4c04f4e3432\n");
	put("chassis_serial", "CH-7\n");
	put("chassis_asset_tag", "Asset 1\n");
	put("board_serial", "caf\xe9\n");	/* not UTF-8: readable text + _hex */
	h = cert_host_identity();
	assert_non_null(h);
	assert_int_equal(gethostname(hn, sizeof(hn)), 0);
	assert_string_equal(dsp_json_str(h, "hostname"), hn);
	assert_string_equal(dsp_json_str(h, "machine_id"), "0123456789abcdef0123456789abcdef");
	assert_string_equal(dmi(h, "sys_vendor"), "ACME Corp");
	assert_string_equal(dmi(h, "product_name"), "Box 9000");
	assert_string_equal(dmi(h, "product_serial"), "SN-42");
	assert_string_equal(dmi(h, "product_uuid"), "4c4c4544-0042-3510-8052-b4c04f4e3432");
	assert_string_equal(dmi(h, "chassis_serial"), "CH-7");
	assert_string_equal(dmi(h, "chassis_asset_tag"), "Asset 1");
	assert_string_equal(dmi(h, "board_serial"), "caf\\xe9");
	assert_true(json_object_object_get_ex(json_object_object_get(h, "dmi"), "board_serial_hex", &v));
	assert_string_equal(json_object_get_string(v), "636166e9");
	json_object_put(h);
}

static void test_host_placeholders_and_missing_null(void **state)
{
	struct json_object *h;
	char want[512];

	(void)state;
	put("machine-id", "uninitialized\n");
	put("sys_vendor", "To be filled by O.E.M.\n");
	put("product_name", "Default string\n");
	put("product_serial", "Not Specified\n");
	put("product_uuid", "00000000-0000-0000-0000-000000000000\n");
	put("chassis_serial", "   \n");
	put("board_serial", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n");
	unlink(at("chassis_asset_tag"));
	h = cert_host_identity();
	assert_non_null(h);
	assert_null(dsp_json_str(h, "machine_id"));
	assert_true(json_object_object_get_ex(h, "machine_id", NULL));
	assert_null(dmi(h, "sys_vendor"));
	assert_null(dmi(h, "product_name"));
	assert_null(dmi(h, "product_serial"));
	assert_null(dmi(h, "product_uuid"));
	assert_null(dmi(h, "chassis_serial"));
	assert_null(dmi(h, "chassis_asset_tag"));
	assert_null(dmi(h, "board_serial"));
	/* doc order: hostname, machine_id, dmi */
	snprintf(want, sizeof(want),
		 "{\"hostname\":%s,\"machine_id\":null,\"dmi\":{\"sys_vendor\":null,"
		 "\"product_name\":null,\"product_serial\":null,\"product_uuid\":null,"
		 "\"chassis_serial\":null,\"chassis_asset_tag\":null,\"board_serial\":null}}",
		 json_object_to_json_string_ext(json_object_object_get(h, "hostname"),
						JSON_C_TO_STRING_PLAIN));
	assert_string_equal(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN), want);
	json_object_put(h);
}

static void test_build_id_is_hex(void **state)
{
	const char *id = cert_build_id();

	(void)state;
	/* gcc links with --build-id by default on this system (sha1: 40 hex digits) */
	assert_non_null(id);
	assert_true(strlen(id) >= 16 && strlen(id) % 2 == 0);
	for (const char *p = id; *p; p++)
		assert_true(isxdigit((unsigned char)*p) && !isupper((unsigned char)*p));
	assert_ptr_equal(cert_build_id(), id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_fields_read_and_trimmed),
		cmocka_unit_test(test_host_placeholders_and_missing_null),
		cmocka_unit_test(test_build_id_is_hex),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
