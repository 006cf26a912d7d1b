/* test_timeparse.c - lib/timeparse.c: the API's time and duration grammars. */
#include "lib/timeparse.h"
#include "tests/unit/test.h"

static void timeparse_float_seconds(void)
{
	static const struct { const char *in; int64_t ms; } cases[] = {
		{"4", 4000}, {"1795498040.686", 1795498040686LL}, {"1795494435", 1795494435000LL},
		{"-1.5", -1500}, {"0.0005", 1}, {"0.0004", 0}, {"1435781451.781", 1435781451781LL},
		{"1e3", 1000000}, {"+2", 2000}, {"1795496240724", 1795496240724000LL},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		int64_t ms = 0;
		ASSERT_EQ(timeparse_time(cases[i].in, &ms, NULL), 0);
		ASSERT_EQ(ms, cases[i].ms);
	}
}

static void timeparse_rfc3339_forms(void)
{
	static const struct { const char *in; int64_t ms; } cases[] = {
		{"2015-07-01T20:10:51.781Z", 1435781451781LL},
		{"2015-07-01T20:10:51Z", 1435781451000LL},
		{"2015-07-01T22:10:51.7819+02:00", 1435781451781LL},
		{"1970-01-01T00:00:00-01:00", 3600000},
		{"1969-12-31T23:59:59.5Z", -500},
		{"2024-02-29T00:00:00Z", 1709164800000LL},
		{"-292273086-05-16T16:47:06Z", TIME_API_MIN_MS},
		{"292277026596-12-04T15:30:07.999999999Z", TIME_API_MAX_MS},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		int64_t ms = 0;
		ASSERT_EQ(timeparse_time(cases[i].in, &ms, NULL), 0);
		ASSERT_EQ(ms, cases[i].ms);
	}
	static const char *bad[] = {"", "abc", "2015-07-01", "2015-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
				    "2015-07-01T24:00:00Z", "2015-07-01T20:10:51", "2015-07-01 20:10:51Z", " 1",
				    "0x10", "nan(1)", "1_000"};
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		int64_t ms;
		err e;
		ASSERT_EQ(timeparse_time(bad[i], &ms, &e), FL_EINVAL);
	}
	err e;
	int64_t ms;
	timeparse_time("foo", &ms, &e);
	ASSERT_STR_EQ(e.msg, "cannot parse \"foo\" to a valid timestamp");
}

static void timeparse_durations(void)
{
	static const struct { const char *in; int64_t ns; } cases[] = {
		{"15", 15000000000LL}, {"0.5", 500000000}, {"30s", 30000000000LL}, {"1m30s", 90000000000LL},
		{"1h", 3600000000000LL}, {"1d", 86400000000000LL}, {"1w", 604800000000000LL}, {"5ms", 5000000},
		{"0", 0}, {"-1", -1000000000LL}, {"1y", 365LL * 86400000000000LL},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		int64_t ns = 0;
		ASSERT_EQ(timeparse_duration(cases[i].in, &ns, NULL), 0);
		ASSERT_EQ(ns, cases[i].ns);
	}
	static const char *bad[] = {"", "1x", "m", "1m1h", "1h1h", "5 m", "1.5m"};
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		int64_t ns;
		ASSERT_EQ(timeparse_duration(bad[i], &ns, NULL), FL_EINVAL);
	}
	err e;
	int64_t ns, ms;
	timeparse_duration("1x", &ns, &e);
	ASSERT_STR_EQ(e.msg, "cannot parse \"1x\" to a valid duration");
	timeparse_duration("1e300", &ns, &e);
	ASSERT_STR_EQ(e.msg, "cannot parse \"1e300\" to a valid duration. It overflows int64");
	ASSERT_EQ(timeparse_model_duration("15q", 3, &ms, &e), FL_EINVAL);
	ASSERT_STR_EQ(e.msg, "not a valid duration string: \"15q\"");
	ASSERT_EQ(timeparse_model_duration("", 0, &ms, &e), FL_EINVAL);
	ASSERT_STR_EQ(e.msg, "empty duration string");
	ASSERT_EQ(timeparse_model_duration("999999999999y", 13, &ms, &e), FL_EINVAL);
	ASSERT_STR_EQ(e.msg, "duration out of range");
	ASSERT_EQ(timeparse_model_duration("1h30m", 5, &ms, NULL), 0);
	ASSERT_EQ(ms, 5400000);
}

static void timeparse_formatting(void)
{
	static const struct { int64_t ms; const char *out; } cases[] = {
		{0, "1970-01-01T00:00:00Z"}, {1435781451781LL, "2015-07-01T20:10:51.781Z"},
		{1435781451500LL, "2015-07-01T20:10:51.5Z"}, {-500, "1969-12-31T23:59:59.5Z"},
		{TIME_API_MIN_MS, "-292273086-05-16T16:47:06Z"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		buf b;
		buf_init(&b);
		timeparse_format_rfc3339(&b, cases[i].ms);
		ASSERT_STR_EQ(buf_cstr(&b), cases[i].out);
		buf_reset(&b);
	}
	static const struct { int64_t ms; const char *out; } durs[] = {
		{0, "0s"}, {5400000, "1h30m"}, {15LL * 86400000, "15d"}, {14LL * 86400000, "2w"}, {1500, "1s500ms"},
		{86400000, "1d"}, {365LL * 86400000, "1y"}, {90LL * 86400000, "90d"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(durs); i++) {
		buf b;
		buf_init(&b);
		timeparse_format_duration(&b, durs[i].ms);
		ASSERT_STR_EQ(buf_cstr(&b), durs[i].out);
		buf_reset(&b);
	}
}

const struct test tests_timeparse[] = {
	{"timeparse_float_seconds", timeparse_float_seconds},
	{"timeparse_rfc3339_forms", timeparse_rfc3339_forms},
	{"timeparse_durations", timeparse_durations},
	{"timeparse_formatting", timeparse_formatting},
	{NULL, NULL},
};
