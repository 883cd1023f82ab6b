/* SPDX-License-Identifier: MIT */
/* test_json.c - reversible UTF-8-safe strings for byte names, strict getters */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispose/json.h"

static const char *plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void test_utf8_valid_rejects_bad_forms(void **state)
{
	(void)state;
	assert_true(dsp_utf8_valid("", 0));
	assert_true(dsp_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	assert_false(dsp_utf8_valid("\xe9", 1));		/* latin-1 */
	assert_false(dsp_utf8_valid("\xc0\xaf", 2));		/* overlong '/' */
	assert_false(dsp_utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	assert_false(dsp_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(dsp_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(dsp_utf8_valid("\xc3", 1));		/* cut short */
	assert_false(dsp_utf8_valid("\xff", 1));
}

static void test_json_string_valid_unchanged(void **state)
{
	int esc = 7;
	struct json_object *o = dsp_json_string("a\nb \"q\\ caf\xc3\xa9", &esc);

	(void)state;
	assert_int_equal(esc, 0);
	assert_string_equal(json_object_get_string(o), "a\nb \"q\\ caf\xc3\xa9");
	assert_string_equal(plain(o), "\"a\\nb \\\"q\\\\ caf\xc3\xa9\"");
	json_object_put(o);
	assert_null(dsp_json_string(NULL, &esc));
}

static void test_json_string_invalid_escaped(void **state)
{
	int esc = 0;
	struct json_object *o = dsp_json_string("latin1-\xe9-\xff\\x.bin", &esc);

	(void)state;
	assert_int_equal(esc, 1);
	/* each bad byte is \xHH, a backslash doubled: the text alone is reversible */
	assert_string_equal(json_object_get_string(o), "latin1-\\xe9-\\xff\\\\x.bin");
	json_object_put(o);
}

static void roundtrip(const char *name)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array(), *back;
	char *b = NULL;
	size_t n = 0;
	const char *s;

	assert_int_equal(dsp_json_add_bytes(o, "path", name), 0);
	json_object_array_add(a, dsp_json_bytes_value(name));
	json_object_object_add(o, "argv", a);
	s = plain(o);
	assert_true(dsp_utf8_valid(s, strlen(s)));
	back = json_tokener_parse(s);
	assert_non_null(back);
	assert_int_equal(dsp_json_bytes(back, "path", &b, &n), 0);
	assert_int_equal(n, strlen(name));
	assert_memory_equal(b, name, n);
	free(b);
	assert_int_equal(dsp_json_value_bytes(json_object_array_get_idx(
		json_object_object_get(back, "argv"), 0), &b, &n), 0);
	assert_int_equal(n, strlen(name));
	assert_memory_equal(b, name, n);
	free(b);
	json_object_put(back);
	json_object_put(o);
}

static void test_json_bytes_roundtrip(void **state)
{
	(void)state;
	roundtrip("plain.txt");
	roundtrip("latin1-\xe9-\xff.bin");
	roundtrip("a\nb");
	roundtrip("q\"uote\\");
	roundtrip("\\xe9 literal and \xe9 byte");
	roundtrip("\xc3");
	roundtrip("\xed\xa0\x80 surrogate");
}

static void test_json_add_bytes_hex_only_when_needed(void **state)
{
	struct json_object *o = json_object_new_object();

	(void)state;
	assert_int_equal(dsp_json_add_bytes(o, "path", "ok"), 0);
	assert_int_equal(dsp_json_add_bytes(o, "old", "\xe9"), 0);
	assert_int_equal(dsp_json_add_bytes(o, "none", NULL), 0);
	assert_string_equal(plain(o),
			    "{\"path\":\"ok\",\"old\":\"\\\\xe9\",\"old_hex\":\"e9\",\"none\":null}");
	json_object_put(o);
}

static void test_json_bytes_refuses_bad(void **state)
{
	struct json_object *o = json_tokener_parse(
		"{\"a\":\"x\",\"a_hex\":\"6\",\"b\":\"x\",\"b_hex\":\"zz\",\"c\":\"x\",\"c_hex\":\"6100\","
		"\"d\":1,\"e\":null,\"f\":\"x\",\"f_hex\":\"C3a9\"}");
	char *b = NULL;

	(void)state;
	assert_int_equal(dsp_json_bytes(o, "a", &b, NULL), -EINVAL);
	assert_int_equal(dsp_json_bytes(o, "b", &b, NULL), -EINVAL);
	assert_int_equal(dsp_json_bytes(o, "c", &b, NULL), -EINVAL);	/* NUL byte */
	assert_int_equal(dsp_json_bytes(o, "d", &b, NULL), -EINVAL);
	assert_int_equal(dsp_json_bytes(o, "e", &b, NULL), -ENOENT);
	assert_int_equal(dsp_json_bytes(o, "missing", &b, NULL), -ENOENT);
	assert_null(b);
	assert_int_equal(dsp_json_bytes(o, "f", &b, NULL), 0);
	assert_string_equal(b, "\xc3\xa9");
	free(b);
	assert_int_equal(dsp_json_value_bytes(json_object_object_get(o, "d"), &b, NULL), -EINVAL);
	json_object_put(o);
}

static void test_json_make_utf8_recursive(void **state)
{
	struct json_object *o = json_object_new_object(), *in = json_object_new_object();
	struct json_object *a = json_object_new_array();
	char *b;
	const char *s;

	(void)state;
	json_object_object_add(o, "path", json_object_new_string("x\xe9"));
	json_object_object_add(o, "ok", json_object_new_string("fine"));
	json_object_object_add(in, "name", json_object_new_string("\xff"));
	json_object_object_add(o, "inner", in);
	json_object_array_add(a, json_object_new_string("\xfe"));
	json_object_array_add(a, json_object_new_int(3));
	json_object_object_add(o, "argv", a);
	json_object_object_add(o, "k\xe9y", json_object_new_int(1));
	assert_false(dsp_json_is_utf8(o));
	assert_int_equal(dsp_json_make_utf8(o), 4);
	assert_true(dsp_json_is_utf8(o));
	s = plain(o);
	assert_true(dsp_utf8_valid(s, strlen(s)));
	assert_int_equal(dsp_json_bytes(o, "path", &b, NULL), 0);
	assert_string_equal(b, "x\xe9");
	free(b);
	assert_int_equal(dsp_json_bytes(in, "name", &b, NULL), 0);
	assert_string_equal(b, "\xff");
	free(b);
	assert_int_equal(dsp_json_value_bytes(json_object_array_get_idx(a, 0), &b, NULL), 0);
	assert_string_equal(b, "\xfe");
	free(b);
	assert_string_equal(dsp_json_str(o, "ok"), "fine");
	assert_int_equal(json_object_get_int(json_object_object_get(o, "k\\xe9y")), 1);
	assert_int_equal(dsp_json_make_utf8(o), 0);
	json_object_put(o);
}

static void test_json_getters_strict(void **state)
{
	struct json_object *o = json_tokener_parse(
		"{\"s\":\"x\",\"i\":-5,\"u\":18446744073709551615,\"b\":true,\"n\":null,\"d\":1.5}");
	int64_t i = 0;
	uint64_t u = 0;
	bool b = false;

	(void)state;
	assert_string_equal(dsp_json_str(o, "s"), "x");
	assert_null(dsp_json_str(o, "i"));
	assert_null(dsp_json_str(o, "n"));
	assert_null(dsp_json_str(NULL, "s"));
	assert_int_equal(dsp_json_i64(o, "i", &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(dsp_json_i64(o, "d", &i), -EINVAL);
	assert_int_equal(dsp_json_i64(o, "n", &i), -ENOENT);
	assert_int_equal(dsp_json_i64(o, "none", &i), -ENOENT);
	assert_int_equal(dsp_json_u64(o, "u", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(dsp_json_u64(o, "i", &u), -EINVAL);
	assert_int_equal(dsp_json_u64(o, "s", &u), -EINVAL);
	assert_int_equal(dsp_json_bool(o, "b", &b), 0);
	assert_true(b);
	assert_int_equal(dsp_json_bool(o, "i", &b), -EINVAL);
	assert_int_equal(dsp_json_bool(o, "n", &b), -ENOENT);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid_rejects_bad_forms),
		cmocka_unit_test(test_json_string_valid_unchanged),
		cmocka_unit_test(test_json_string_invalid_escaped),
		cmocka_unit_test(test_json_bytes_roundtrip),
		cmocka_unit_test(test_json_add_bytes_hex_only_when_needed),
		cmocka_unit_test(test_json_bytes_refuses_bad),
		cmocka_unit_test(test_json_make_utf8_recursive),
		cmocka_unit_test(test_json_getters_strict),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
