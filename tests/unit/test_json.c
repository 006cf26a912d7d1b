/* test_json.c - lib/json.c: nesting, commas, escaping, numbers. */
#include "lib/json.h"
#include "tests/unit/test.h"

static void json_nesting_and_commas(void)
{
	buf b;
	buf_init(&b);
	json_w j;
	json_init(&j, &b);
	json_obj_open(&j);
	json_kstr(&j, "status", "success");
	json_key(&j, "data");
	json_arr_open(&j);
	json_int(&j, 1);
	json_obj_open(&j);
	json_obj_close(&j);
	json_arr_open(&j);
	json_arr_close(&j);
	json_bool(&j, true);
	json_null(&j);
	json_arr_close(&j);
	json_kint(&j, "n", -5);
	json_obj_close(&j);
	ASSERT_STR_EQ(buf_cstr(&b), "{\"status\":\"success\",\"data\":[1,{},[],true,null],\"n\":-5}");
	buf_reset(&b);
}

static void json_escaping_like_prometheus(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{"plain", "\"plain\""},
		{"q\"b\\", "\"q\\\"b\\\\\""},
		{"a\nb\rc\td", "\"a\\nb\\rc\\td\""},
		{"\x01\x1f", "\"\\u0001\\u001f\""},
		{"<a&b>", "\"\\u003ca\\u0026b\\u003e\""},
		{"\xe2\x80\xa8", "\"\\u2028\""},
		{"caf\xc3\xa9", "\"caf\xc3\xa9\""},
		{"bad\xff", "\"bad\\ufffd\""},
		{"\xc3", "\"\\ufffd\""},
		{"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* surrogate half is invalid UTF-8 */
		{"\xf0\x9f\x94\xa5", "\"\xf0\x9f\x94\xa5\""},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		buf b;
		buf_init(&b);
		json_put_string(&b, cases[i].in, strlen(cases[i].in));
		ASSERT_STR_EQ(buf_cstr(&b), cases[i].out);
		buf_reset(&b);
	}
}

static void json_numbers_like_go(void)
{
	static const struct { double v; const char *out; } cases[] = {
		{0, "0"}, {1, "1"}, {-2.5, "-2.5"}, {0.1, "0.1"}, {1e20, "100000000000000000000"},
		{1e21, "1e+21"}, {1e-7, "1e-7"}, {0.000001, "0.000001"}, {123456789.125, "123456789.125"},
		{NAN, "null"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		buf b;
		buf_init(&b);
		json_w j;
		json_init(&j, &b);
		json_num(&j, cases[i].v);
		ASSERT_STR_EQ(buf_cstr(&b), cases[i].out);
		buf_reset(&b);
	}
}

const struct test tests_json[] = {
	{"json_nesting_and_commas", json_nesting_and_commas},
	{"json_escaping_like_prometheus", json_escaping_like_prometheus},
	{"json_numbers_like_go", json_numbers_like_go},
	{NULL, NULL},
};
