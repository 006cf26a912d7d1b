/*
 * test_api_value.c - web/api_value.c: API answers decoded as client_golang
 * decodes them and printed as promtool prints them (expected texts taken
 * from promtool runs against tests/e2e/api_canned.py), and lib/godur.c.
 */
#include "tests/unit/test.h"

#include "lib/godur.h"
#include "web/api_value.h"

/* decode data as type, print both ways */
static void check(const char *data, api_vtype type, const char *promql, const char *json)
{
	arena a;
	arena_init(&a);
	api_value v;
	err e;
	err_clear(&e);
	int rc = api_value_decode(data, strlen(data), type, &a, &v, &e);
	if (rc)
		test_fail(__FILE__, __LINE__, "decode %s: %s", data, e.msg);
	buf b;
	buf_init(&b);
	api_value_print_promql(&b, &v);
	ASSERT_STR_EQ(buf_cstr(&b), promql);
	buf_clear(&b);
	api_value_print_json(&b, &v);
	ASSERT_STR_EQ(buf_cstr(&b), json);
	buf_reset(&b);
	arena_reset(&a);
}

static void api_value_vector_forms(void)
{
	check("{\"resultType\":\"vector\",\"result\":["
	      "{\"metric\":{\"__name__\":\"m\",\"a1\":\"x\",\"a\":\"2\"},\"value\":[1435781451.781,\"+Inf\"]},"
	      "{\"metric\":{\"z\":\"1\"},\"value\":[0.001,\"-Inf\"]},"
	      "{\"metric\":{},\"value\":[-1.5,\"1e-07\"]},"
	      "{\"metric\":{\"__name__\":\"only\"},\"value\":[1000000000,\"1e+21\"]},"
	      "{\"metric\":{\"__name__\":\"dup\",\"k\":\"first\",\"k\":\"second\"},\"value\":[1,\"NaN\"]}]}",
	      API_V_VECTOR,
	      /* Metric.String sorts `k="v"` strings: a1="x" before a="2" */
	      "m{a1=\"x\", a=\"2\"} => +Inf @[1435781451.781]\n"
	      "{z=\"1\"} => -Inf @[0.001]\n"
	      "{} => 0.0000001 @[-1.5]\n"
	      "only => 1000000000000000000000 @[1000000000]\n"
	      "dup{k=\"second\"} => NaN @[1]\n",
	      "[{\"metric\":{\"__name__\":\"m\",\"a\":\"2\",\"a1\":\"x\"},\"value\":[1435781451.781,\"+Inf\"]},"
	      "{\"metric\":{\"z\":\"1\"},\"value\":[0.001,\"-Inf\"]},"
	      "{\"metric\":{},\"value\":[-1.5,\"0.0000001\"]},"
	      "{\"metric\":{\"__name__\":\"only\"},\"value\":[1000000000,\"1000000000000000000000\"]},"
	      "{\"metric\":{\"__name__\":\"dup\",\"k\":\"second\"},\"value\":[1,\"NaN\"]}]\n");
	check("{\"resultType\":\"vector\",\"result\":[]}", API_V_VECTOR, "\n", "[]\n");
}

static void api_value_matrix_sorted_by_before(void)
{
	check("{\"result\":["
	      "{\"metric\":{\"__name__\":\"b\",\"x\":\"1\",\"y\":\"1\"},\"values\":[[1,\"1\"],[2.5,\"2\"]]},"
	      "{\"metric\":{\"__name__\":\"a\",\"x\":\"2\"},\"values\":[[1,\"3\"]]},"
	      "{\"metric\":{\"__name__\":\"a\",\"x\":\"1\"},\"values\":[[1.001,\"4\"]]},"
	      "{\"metric\":{\"__name__\":\"a\",\"w\":\"9\",\"y\":\"1\"},\"values\":[[3,\"7\"]]}],"
	      "\"resultType\":\"matrix\"}",
	      API_V_MATRIX,
	      "a{x=\"1\"} =>\n4 @[1.001]\n"
	      "a{x=\"2\"} =>\n3 @[1]\n"
	      "a{w=\"9\", y=\"1\"} =>\n7 @[3]\n"
	      "b{x=\"1\", y=\"1\"} =>\n1 @[1]\n2 @[2.5]\n",
	      "[{\"metric\":{\"__name__\":\"b\",\"x\":\"1\",\"y\":\"1\"},\"values\":[[1,\"1\"],[2.5,\"2\"]]},"
	      "{\"metric\":{\"__name__\":\"a\",\"x\":\"2\"},\"values\":[[1,\"3\"]]},"
	      "{\"metric\":{\"__name__\":\"a\",\"x\":\"1\"},\"values\":[[1.001,\"4\"]]},"
	      "{\"metric\":{\"__name__\":\"a\",\"w\":\"9\",\"y\":\"1\"},\"values\":[[3,\"7\"]]}]\n");
}

static void api_value_scalar_series_values(void)
{
	check("{\"resultType\":\"scalar\",\"result\":[1.5,\"42\"]}", API_V_SCALAR, "scalar: 42 @[1.5]\n", "[1.5,\"42\"]\n");
	check("[{\"job\":\"a\\\"b\",\"__name__\":\"up\"},{}]", API_V_SERIES, "{__name__=\"up\", job=\"a\\\"b\"}\n{}\n",
	      "[{\"__name__\":\"up\",\"job\":\"a\\\"b\"},{}]\n");
	check("[\"z\",\"a b\",\"<x>\"]", API_V_VALUES, "z\na b\n<x>\n", "[\"z\",\"a b\",\"\\u003cx\\u003e\"]\n");
	check("null", API_V_VALUES, "", "null\n");
}

static void api_value_errors(void)
{
	static const struct {
		const char *data;
		api_vtype type;
		const char *msg;
	} cases[] = {
		{"{\"resultType\":\"string\",\"result\":[1,\"x\"]}", API_V_VECTOR, "unexpected value type \"string\""},
		{"{\"resultType\":\"scalar\",\"result\":[1,\"x\"]}", API_V_VECTOR,
		 "error parsing sample value: strconv.ParseFloat: parsing \"x\": invalid syntax"},
		{"{\"resultType\":\"vector\",\"result\":[{\"value\":[1,2]}]}", API_V_VECTOR, "sample value must be a quoted string"},
		{"[1]", API_V_VALUES, NULL},
		{"{", API_V_VECTOR, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		arena a;
		arena_init(&a);
		api_value v;
		err e;
		err_clear(&e);
		ASSERT(api_value_decode(cases[i].data, strlen(cases[i].data), cases[i].type, &a, &v, &e) < 0);
		ASSERT(e.msg[0]);
		if (cases[i].msg)
			ASSERT_STR_EQ(e.msg, cases[i].msg);
		arena_reset(&a);
	}
}

static void api_value_envelope(void)
{
	static const char body[] = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"boom\","
				   "\"warnings\":[\"w1\"],\"data\": {\"x\":[1,2]} }";
	arena a;
	arena_init(&a);
	api_response r;
	err e;
	ASSERT_EQ(api_response_decode(body, sizeof body - 1, &a, &r, &e), 0);
	ASSERT_STR_EQ(r.status, "error");
	ASSERT_STR_EQ(r.error_type, "bad_data");
	ASSERT_STR_EQ(r.error, "boom");
	ASSERT_EQ(r.n_warnings, 1);
	ASSERT_STR_EQ(r.warnings[0], "w1");
	ASSERT_EQ(r.data_len, 11);
	ASSERT(!memcmp(r.data, "{\"x\":[1,2]}", 11));
	ASSERT(api_response_decode("nope", 4, &a, &r, &e) < 0);
	arena_reset(&a);
}

static void godur_parse_and_format(void)
{
	static const struct {
		const char *in;
		int64_t ns;
		const char *out;
	} cases[] = {
		{"1h", 3600000000000, "1h0m0s"}, {"90s", 90000000000, "1m30s"}, {"1.5s", 1500000000, "1.5s"},
		{"300ms", 300000000, "300ms"}, {"0", 0, "0s"}, {"-2m", -120000000000, "-2m0s"},
		{"1us", 1000, "1\xc2\xb5s"}, {"2h45m", 9900000000000, "2h45m0s"}, {"15ns", 15, "15ns"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ns;
		err e;
		ASSERT_EQ(godur_parse(cases[i].in, &ns, &e), 0);
		ASSERT_EQ(ns, cases[i].ns);
		buf b;
		buf_init(&b);
		godur_format(&b, ns);
		ASSERT_STR_EQ(buf_cstr(&b), cases[i].out);
		buf_reset(&b);
	}
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{"x", "time: invalid duration \"x\""}, {"1", "time: missing unit in duration \"1\""},
		{"1d", "time: unknown unit \"d\" in duration \"1d\""}, {"", "time: invalid duration \"\""},
		{"99999999999h", "time: invalid duration \"99999999999h\""},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ns;
		err e;
		err_clear(&e);
		ASSERT(godur_parse(bad[i].in, &ns, &e) < 0);
		ASSERT_STR_EQ(e.msg, bad[i].msg);
	}
}

const struct test tests_api_value[] = {
	{"api_value_vector_forms", api_value_vector_forms},
	{"api_value_matrix_sorted_by_before", api_value_matrix_sorted_by_before},
	{"api_value_scalar_series_values", api_value_scalar_series_values},
	{"api_value_errors", api_value_errors},
	{"api_value_envelope", api_value_envelope},
	{"godur_parse_and_format", godur_parse_and_format},
	{NULL, NULL},
};
