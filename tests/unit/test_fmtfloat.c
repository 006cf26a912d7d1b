/* test_fmtfloat.c - lib/fmtfloat.c and lib/goquote.c against Go's output
 * (strconv.FormatFloat, Prometheus's API marshalling, strconv.Quote). */
#include "lib/fmtfloat.h"
#include "tests/unit/test.h"

static double bits(uint64_t b)
{
	double d;
	memcpy(&d, &b, 8);
	return d;
}

static const char *g(double v)
{
	static char out[FMT_FLOAT_MAX];
	fmt_go_g(out, v);
	return out;
}

static const char *api(double v)
{
	static char out[FMT_FLOAT_MAX];
	fmt_api_float(out, v);
	return out;
}

static const char *tm(int64_t ms)
{
	static char out[FMT_FLOAT_MAX];
	fmt_api_time(out, ms);
	return out;
}

/* The examples from conformance/tsdb/README.md (promtool's dump values). */
static void go_g_readme(void)
{
	ASSERT_STR_EQ(g(0), "0");
	ASSERT_STR_EQ(g(-0.0), "-0");
	ASSERT_STR_EQ(g(42), "42");
	ASSERT_STR_EQ(g(123456), "123456");
	ASSERT_STR_EQ(g(1e6), "1e+06");
	ASSERT_STR_EQ(g(8.102914513208708e+09), "8.102914513208708e+09");
	ASSERT_STR_EQ(g(0.1 + 0.2), "0.30000000000000004");
	ASSERT_STR_EQ(g(1e-5), "1e-05");
	ASSERT_STR_EQ(g(5e-324), "5e-324");
	ASSERT_STR_EQ(g(NAN), "NaN");
	ASSERT_STR_EQ(g(bits(0x7ff0000000000002ull)), "NaN");
	ASSERT_STR_EQ(g(INFINITY), "+Inf");
	ASSERT_STR_EQ(g(-INFINITY), "-Inf");
}

static void go_g_more(void)
{
	ASSERT_STR_EQ(g(0.0001), "0.0001");
	ASSERT_STR_EQ(g(0.00012345), "0.00012345");
	ASSERT_STR_EQ(g(999999), "999999");
	ASSERT_STR_EQ(g(1234567), "1.234567e+06");
	ASSERT_STR_EQ(g(-1e18), "-1e+18");
	ASSERT_STR_EQ(g(9007199254740993.0), "9.007199254740992e+15");
	ASSERT_STR_EQ(g(1.7976931348623157e308), "1.7976931348623157e+308");
	ASSERT_STR_EQ(g(2.2250738585072014e-308), "2.2250738585072014e-308");
	ASSERT_STR_EQ(g(1e100), "1e+100");
	ASSERT_STR_EQ(g(0.1), "0.1");
	ASSERT_STR_EQ(g(-2.5), "-2.5");
	ASSERT_STR_EQ(g(100.5), "100.5");
	/* powers of two where the nearest 16-digit decimal falls outside the
	 * (asymmetric) rounding interval but the other neighbour is inside */
	ASSERT_STR_EQ(g(8.209073602596753e-289), "8.209073602596753e-289");
	ASSERT_STR_EQ(g(5.641232424577593e-278), "5.641232424577593e-278");
	/* subnormals */
	ASSERT_STR_EQ(g(1e-320), "1e-320");
	ASSERT_STR_EQ(g(bits(0x000fffffffffffffull)), "2.225073858507201e-308");
}

static void api_float(void)
{
	ASSERT_STR_EQ(api(1e21), "1e+21");
	ASSERT_STR_EQ(api(1.5e-7), "1.5e-07");
	ASSERT_STR_EQ(api(1e-6), "0.000001");
	ASSERT_STR_EQ(api(0), "0");
	ASSERT_STR_EQ(api(-0.0), "-0");
	ASSERT_STR_EQ(api(1e20), "100000000000000000000");
	ASSERT_STR_EQ(api(1234567.5), "1234567.5");
	ASSERT_STR_EQ(api(0.30000000000000004), "0.30000000000000004");
	ASSERT_STR_EQ(api(-3.25e25), "-3.25e+25");
	ASSERT_STR_EQ(api(NAN), "NaN");
	ASSERT_STR_EQ(api(INFINITY), "+Inf");
	ASSERT_STR_EQ(api(-INFINITY), "-Inf");
	ASSERT_STR_EQ(api(5e-324), "5e-324");
}

static void api_time(void)
{
	ASSERT_STR_EQ(tm(1435781451500), "1435781451.500");
	ASSERT_STR_EQ(tm(1435781451000), "1435781451");
	ASSERT_STR_EQ(tm(1435781451007), "1435781451.007");
	ASSERT_STR_EQ(tm(1435781451070), "1435781451.070");
	ASSERT_STR_EQ(tm(0), "0");
	ASSERT_STR_EQ(tm(-1500), "-1.500");
	ASSERT_STR_EQ(tm(INT64_MIN), "-9223372036854775.808");
}

static const char *q(const char *s, size_t n)
{
	static buf b;
	buf_reset(&b);
	fmt_go_quote(&b, s, n);
	return buf_cstr(&b);
}
#define Q(s) q(s, sizeof(s) - 1)

static void go_quote(void)
{
	ASSERT_STR_EQ(Q("plain"), "\"plain\"");
	ASSERT_STR_EQ(Q("say \"hi\""), "\"say \\\"hi\\\"\"");
	ASSERT_STR_EQ(Q("a\\b"), "\"a\\\\b\"");
	ASSERT_STR_EQ(Q("line1\nline2"), "\"line1\\nline2\"");
	ASSERT_STR_EQ(Q("\t\r\a\b\f\v"), "\"\\t\\r\\a\\b\\f\\v\"");
	ASSERT_STR_EQ(Q("\x01\x7f"), "\"\\x01\\x7f\"");
	ASSERT_STR_EQ(Q("\xff" "a"), "\"\\xffa\"");        /* invalid byte */
	ASSERT_STR_EQ(Q("\xc0\xaf"), "\"\\xc0\\xaf\"");     /* overlong '/' */
	ASSERT_STR_EQ(Q("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\""); /* surrogate */
	ASSERT_STR_EQ(Q("\xe2\x9c"), "\"\\xe2\\x9c\"");     /* truncated */
	ASSERT_STR_EQ(Q("서울"), "\"서울\"");
	ASSERT_STR_EQ(Q("✓ ok 🚀"), "\"✓ ok 🚀\"");
	ASSERT_STR_EQ(Q("e\xcc\x81"), "\"e\xcc\x81\"");     /* combining accent */
	ASSERT_STR_EQ(Q("\xc2\xa0"), "\"\\u00a0\"");        /* no-break space */
	ASSERT_STR_EQ(Q("\xe2\x80\x8b"), "\"\\u200b\"");    /* zero-width space */
	ASSERT_STR_EQ(Q("\xc2\x85"), "\"\\u0085\"");        /* C1 control */
	ASSERT_STR_EQ(Q("\xf3\xb0\x80\x80"), "\"\\U000f0000\""); /* private use */
	ASSERT_STR_EQ(q("a\0b", 3), "\"a\\x00b\"");
}

/* m * 10^e as a double (strtod, correctly rounded). */
static double dec(unsigned long long m, int e)
{
	char s[48];
	snprintf(s, sizeof s, "%llue%d", m, e);
	return strtod(s, NULL);
}

/* The correctly rounded n-digit decimal of a as m * 10^e. */
static void rounded(double a, int n, unsigned long long *m, int *e)
{
	char s[48], *p = s, d[24];
	int k = 0;
	snprintf(s, sizeof s, "%.*e", n - 1, a);
	for (; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			d[k++] = *p;
	d[k] = 0;
	*m = strtoull(d, NULL, 10);
	*e = atoi(p + 1) - (n - 1);
}

/* Shortest-digit properties on one value: round-trips; no decimal with one
 * digit fewer round-trips (nearest and both neighbours checked); when the
 * nearest decimal with as many digits round-trips, it is the one chosen. */
static void check_shortest(double a)
{
	char digs[18];
	int dp, nd = fmt_shortest_digits(a, digs, &dp);
	if (nd < 1 || nd > 17)
		test_fail(__FILE__, __LINE__, "%a: %d digits", a, nd);
	char d[24];
	memcpy(d, digs, (size_t)nd);
	d[nd] = 0;
	unsigned long long m = strtoull(d, NULL, 10), rm;
	int e = dp - nd, re;
	if (dec(m, e) != a)
		test_fail(__FILE__, __LINE__, "%a: %se%d does not round-trip", a, d, e);
	if (nd > 1) {
		rounded(a, nd - 1, &rm, &re);
		if (dec(rm, re) == a || dec(rm + 1, re) == a || (rm > 1 && dec(rm - 1, re) == a))
			test_fail(__FILE__, __LINE__, "%a: %se%d is not shortest (%llue%d)", a, d, e, rm, re);
	}
	rounded(a, nd, &rm, &re);
	while (rm % 10 == 0 && rm) {
		rm /= 10;
		re++;
	}
	if (dec(rm, re) == a && (rm != m || re != e))
		test_fail(__FILE__, __LINE__, "%a: chose %se%d, nearest is %llue%d", a, d, e, rm, re);
}

static void shortest_properties(void)
{
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 60000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		double a = fabs(bits(x));
		if (isfinite(a) && a != 0)
			check_shortest(a);
		check_shortest((double)(x % 1000000) / 1000 + 0.001); /* short decimals */
		check_shortest((double)(x % 100000) * 1e-9 + 1e-12);
		check_shortest(ldexp(1.0, (int)(x % 2098) - 1074)); /* powers of two */
	}
}

/* Values like rate() results (17 significant digits, magnitudes 1e-9 to
 * 1e12, where the fast round-trip check is taken) against strtod. */
static void shortest_rates(void)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 60000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		double base = (double)(x % 1000000007) / (double)(x % 997 + 1) / 60.0;
		check_shortest(base);
		check_shortest(base * 1e-9 + 1e-12);
		check_shortest(base * 1e5);
		check_shortest(nextafter(base, 0) + 1e-3);
	}
	char s[FMT_FLOAT_MAX];
	fmt_api_float(s, 1.0 / 3.0);
	ASSERT_STR_EQ(s, "0.3333333333333333");
	fmt_api_float(s, 2.0 / 3.0);
	ASSERT_STR_EQ(s, "0.6666666666666666");
	fmt_api_float(s, 0.1 + 0.2);
	ASSERT_STR_EQ(s, "0.30000000000000004");
	fmt_api_float(s, 123456.789 / 7);
	ASSERT_STR_EQ(s, "17636.684142857142");
}

/* strconv.FormatFloat(v, 'f', -1, 64) */
static void go_f(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0, "0"}, {-0.0, "-0"}, {1.5, "1.5"}, {1e21, "1000000000000000000000"}, {1e-7, "0.0000001"},
		{-123.25, "-123.25"}, {0.1 + 0.2, "0.30000000000000004"}, {NAN, "NaN"}, {INFINITY, "+Inf"},
		{-INFINITY, "-Inf"},
	};
	char out[FMT_FLOAT_F_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fmt_go_f(out, cases[i].v);
		ASSERT_STR_EQ(out, cases[i].want);
	}
	ASSERT_EQ(fmt_go_f(out, 1e300), 301);
	ASSERT_EQ(fmt_go_f(out, -1.7976931348623157e308), 310);
	ASSERT_EQ(out[0], '-');
}

const struct test tests_fmtfloat[] = {
	{"go_f", go_f},
	{"shortest_rates", shortest_rates},
	{"shortest_properties", shortest_properties},
	{"go_g_readme", go_g_readme},
	{"go_g_more", go_g_more},
	{"api_float", api_float},
	{"api_time", api_time},
	{"go_quote", go_quote},
	{NULL, NULL},
};
