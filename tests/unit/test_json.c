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
#include "dispose/log.h"

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

static void test_json_decimal_exact_strings(void **state)
{
	static const double v[] = { 10, 12.5, 0.001, 99.99, 100, 1e-7, 33.333333333333336 };
	struct json_object *o = json_object_new_object();
	double d;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct json_object *j = dsp_json_new_decimal(v[i]);

		assert_true(json_object_is_type(j, json_type_string));
		assert_null(strchr(json_object_get_string(j), 'e'));
		json_object_object_add(o, "p", j);
		assert_int_equal(dsp_json_decimal(o, "p", &d), 0);
		assert_true(d == v[i]);
	}
	json_object_object_add(o, "p", dsp_json_new_decimal(12.5));
	assert_string_equal(json_object_get_string(json_object_object_get(o, "p")), "12.5");
	json_object_object_add(o, "p", dsp_json_new_decimal(0.001));
	assert_string_equal(json_object_get_string(json_object_object_get(o, "p")), "0.001");
	json_object_object_add(o, "p", dsp_json_new_decimal(1e-7));
	assert_string_equal(json_object_get_string(json_object_object_get(o, "p")), "0.0000001");
	json_object_object_add(o, "p", json_object_new_double(7.5));	/* an older record */
	assert_int_equal(dsp_json_decimal(o, "p", &d), 0);
	assert_true(d == 7.5);
	json_object_object_add(o, "p", json_object_new_string("inf"));
	assert_int_equal(dsp_json_decimal(o, "p", &d), -EINVAL);
	json_object_object_add(o, "p", json_object_new_string("1e3"));
	assert_int_equal(dsp_json_decimal(o, "p", &d), -EINVAL);
	assert_int_equal(dsp_json_decimal(o, "none", &d), -ENOENT);
	json_object_put(o);
}

/* A reader gets the names back as bytes in memory, whatever was escaped. */
static void test_json_restore_bytes_inverse(void **state)
{
	struct json_object *o = json_object_new_object(), *t = json_object_new_array();
	struct json_object *in = json_object_new_object(), *back;
	const char *s;

	(void)state;
	json_object_object_add(in, "id", json_object_new_string("t1"));
	json_object_object_add(in, "path", json_object_new_string("/srv/x\xe9\ny"));
	json_object_array_add(t, in);
	json_object_object_add(o, "targets", t);
	json_object_object_add(o, "cwd", json_object_new_string("/home/\xff"));
	json_object_object_add(o, "ok", json_object_new_string("plain"));
	json_object_object_add(o, "argv", json_object_new_array());
	json_object_array_add(json_object_object_get(o, "argv"), json_object_new_string("-\xfe"));
	assert_int_equal(dsp_json_make_utf8(o), 3);
	s = plain(o);
	back = json_tokener_parse(s);
	assert_int_equal(dsp_json_restore_bytes(back), 3);
	assert_string_equal(dsp_json_str(back, "cwd"), "/home/\xff");
	assert_false(json_object_object_get_ex(back, "cwd_hex", NULL));
	assert_string_equal(dsp_json_str(json_object_array_get_idx(
		json_object_object_get(back, "targets"), 0), "path"), "/srv/x\xe9\ny");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
		json_object_object_get(back, "argv"), 0)), "-\xfe");
	assert_string_equal(dsp_json_str(back, "ok"), "plain");
	assert_int_equal(dsp_json_restore_bytes(back), 0);
	json_object_put(back);
	json_object_put(o);
	/* hex that is not hex: left alone, said */
	back = json_tokener_parse("{\"p\":\"x\",\"p_hex\":\"zz\"}");
	assert_int_equal(dsp_json_restore_bytes(back), -EINVAL);
	assert_string_equal(dsp_json_str(back, "p"), "x");
	json_object_put(back);
}

/* dsp_log_text: one line a terminal may show, whatever a name holds */
static void test_log_text_escapes_controls(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain \xc3\xa9t\xc3\xa9", "plain \xc3\xa9t\xc3\xa9" },	/* UTF-8 kept */
		{ "a\nb", "a\\x0ab" },
		{ "\x1b]0;t\x07\x1b[2J", "\\x1b]0;t\\x07\\x1b[2J" },
		{ "c1\xc2\x9b!", "c1\\xc2\\x9b!" },			/* CSI as C1 */
		{ "bad\xff\\", "bad\\xff\\\\" },			/* not UTF-8: json.h's text */
		{ "del\x7f", "del\\x7f" },
		/* bidi overrides and line separators: they reorder or break a line */
		{ "CN=a\xe2\x80\xaegnp.exe", "CN=a\\xe2\\x80\\xaegnp.exe" },	/* RLO */
		{ "\xe2\x81\xa6i\xe2\x81\xa9\xe2\x80\x8f", "\\xe2\\x81\\xa6i\\xe2\\x81\\xa9\\xe2\\x80\\x8f" },
		{ "l\xe2\x80\xa8p\xe2\x80\xa9\xd8\x9c", "l\\xe2\\x80\\xa8p\\xe2\\x80\\xa9\\xd8\\x9c" },
		{ "\xe2\x80\xae\xe2\x80\xae\xe2\x80\xae\xe2\x80\xae", "\\xe2\\x80\\xae\\xe2\\x80\\xae\\xe2\\x80\\xae\\xe2\\x80\\xae" },
		{ "dash \xe2\x80\x94 ok", "dash \xe2\x80\x94 ok" },		/* other U+20xx kept */
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = dsp_log_text(cases[i].in);

		assert_non_null(t);
		assert_string_equal(t, cases[i].out);
		assert_null(strpbrk(t, "\n\r\x1b\x07"));
		free(t);
	}
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
		cmocka_unit_test(test_json_decimal_exact_strings),
		cmocka_unit_test(test_json_restore_bytes_inverse),
		cmocka_unit_test(test_log_text_escapes_controls),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
