/* test_load_notation.c - the load notation exported by promql/promqltest.c
 * for promtool's rule unit tests (flinttool test rules), and fmt_go_e,
 * promtool's sample value format ('E' = 'e' upper-cased). */
#include <math.h>

#include "lib/fmtfloat.h"
#include "promql/promqltest.h"
#include "tests/unit/test.h"

static void series_selectors(void)
{
	arena a;
	arena_init(&a);
	labels ls;
	ASSERT(promqltest_parse_series(" up{job=\"a\", instance=\"b:9\"} ", &a, &ls));
	ASSERT_EQ(ls.n, 3);
	ASSERT_STR_EQ(labels_get(ls, "__name__"), "up");
	ASSERT_STR_EQ(labels_get(ls, "instance"), "b:9");
	ASSERT(promqltest_parse_series("{__name__=\"x\"}", &a, &ls));
	ASSERT_STR_EQ(labels_get(ls, "__name__"), "x");
	ASSERT(!promqltest_parse_series("up{job=\"a\", instance=\"b\" 0", &a, &ls)); /* bad-input-series.yml */
	ASSERT(!promqltest_parse_series("up trailing", &a, &ls));
	ASSERT(!promqltest_parse_series("", &a, &ls));
	arena_reset(&a);
}

static void values_expand(void)
{
	double *v;
	bool *m;
	size_t n;
	ASSERT(promqltest_parse_values("1+2x3 _ stale 5x1 _x2 -1-1x1", &v, &m, &n));
	ASSERT_EQ(n, 12);
	double want[] = {1, 3, 5, 7, 0, 0, 5, 5, 0, 0, -1, -2};
	bool miss[] = {0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(m[i], miss[i]);
		if (i == 5)
			ASSERT(isnan(v[i])); /* stale marker */
		else if (!m[i])
			ASSERT(v[i] == want[i]);
	}
	fl_free(v);
	fl_free(m);
	ASSERT(promqltest_parse_values("", &v, &m, &n));
	ASSERT_EQ(n, 0);
	ASSERT(!promqltest_parse_values("1+x", &v, &m, &n));
	ASSERT(!promqltest_parse_values("{{schema:1 sum:1 count:1}}", &v, &m, &n)); /* histograms: not expanded */
}

static const char *e(double v)
{
	static char out[FMT_FLOAT_MAX];
	fmt_go_e(out, v);
	return out;
}

static void go_e(void)
{
	ASSERT_STR_EQ(e(0), "0e+00");
	ASSERT_STR_EQ(e(-0.0), "-0e+00");
	ASSERT_STR_EQ(e(1), "1e+00");
	ASSERT_STR_EQ(e(2.9999999999999996), "2.9999999999999996e+00");
	ASSERT_STR_EQ(e(9218880000), "9.21888e+09");
	ASSERT_STR_EQ(e(1.5e-7), "1.5e-07");
	ASSERT_STR_EQ(e(1e300), "1e+300");
	ASSERT_STR_EQ(e(NAN), "NaN");
	ASSERT_STR_EQ(e(-INFINITY), "-Inf");
}

const struct test tests_load_notation[] = {
	{"series_selectors", series_selectors},
	{"values_expand", values_expand},
	{"go_e", go_e},
	{NULL, NULL},
};
