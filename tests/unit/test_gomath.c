/*
 * test_gomath.c - lib/gomath.h: Go's math.Max/math.Min rules (infinities,
 * then NaN, then signed zeros) and Prometheus's util/almost.Equal. Zeros
 * are checked by sign bit: -0 == +0 compares equal.
 */
#include "tests/unit/test.h"

#include "lib/gomath.h"

static void gomath_signed_zeros(void)
{
	ASSERT_DBL_BITS_EQ(go_max(0.0, -0.0), 0.0);
	ASSERT_DBL_BITS_EQ(go_max(-0.0, 0.0), 0.0);
	ASSERT_DBL_BITS_EQ(go_max(-0.0, -0.0), -0.0);
	ASSERT_DBL_BITS_EQ(go_min(0.0, -0.0), -0.0);
	ASSERT_DBL_BITS_EQ(go_min(-0.0, 0.0), -0.0);
	ASSERT_DBL_BITS_EQ(go_min(0.0, 0.0), 0.0);
	ASSERT_DBL_BITS_EQ(go_max(-1, -0.0), -0.0);
	ASSERT_DBL_BITS_EQ(go_min(1, -0.0), -0.0);
}

static void gomath_nan_and_inf(void)
{
	ASSERT_DBL_BITS_EQ(go_max(1, NAN), NAN); /* fmax would say 1 */
	ASSERT_DBL_BITS_EQ(go_max(NAN, 1), NAN);
	ASSERT_DBL_BITS_EQ(go_min(1, NAN), NAN);
	ASSERT_DBL_BITS_EQ(go_min(NAN, -1), NAN);
	/* the infinity in the operation's direction beats NaN */
	ASSERT_DBL_BITS_EQ(go_max(NAN, INFINITY), INFINITY);
	ASSERT_DBL_BITS_EQ(go_max(INFINITY, NAN), INFINITY);
	ASSERT_DBL_BITS_EQ(go_min(NAN, -INFINITY), -INFINITY);
	ASSERT_DBL_BITS_EQ(go_min(-INFINITY, NAN), -INFINITY);
	/* the other infinity does not */
	ASSERT_DBL_BITS_EQ(go_max(NAN, -INFINITY), NAN);
	ASSERT_DBL_BITS_EQ(go_min(NAN, INFINITY), NAN);
	ASSERT_DBL_BITS_EQ(go_max(-INFINITY, -0.0), -0.0);
	ASSERT_DBL_BITS_EQ(go_min(INFINITY, 3), 3);
	ASSERT_DBL_BITS_EQ(go_max(2, 3), 3);
	ASSERT_DBL_BITS_EQ(go_min(2, 3), 2);
}

static void gomath_almost_equal(void)
{
	ASSERT(go_almost_equal(NAN, NAN, 1e-12));
	ASSERT(!go_almost_equal(NAN, 1, 1e-12));
	ASSERT(go_almost_equal(1, 1 + 1e-13, 1e-12));
	ASSERT(!go_almost_equal(1, 1 + 1e-11, 1e-12));
	ASSERT(!go_almost_equal(0, 1e-300, 1e-12)); /* near zero: absolute, scaled by the smallest normal */
	ASSERT(go_almost_equal(0, 4.9e-324, 0.5)); /* one subnormal step: < 0.5 * min normal */
	ASSERT(!go_almost_equal(1e-310, 2e-310, 1e-12));
	/* |a| + |b| overflows: relative to MaxFloat64, not to +Inf */
	ASSERT(!go_almost_equal(1.7e308, -1.7e308, 1e-12));
	ASSERT(go_almost_equal(INFINITY, INFINITY, 1e-12));
}

const struct test tests_gomath[] = {
	{"gomath_signed_zeros", gomath_signed_zeros},
	{"gomath_nan_and_inf", gomath_nan_and_inf},
	{"gomath_almost_equal", gomath_almost_equal},
	{NULL, NULL},
};
