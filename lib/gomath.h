/*
 * gomath.h - Go's float rules where C's differ, for answers that match
 * Prometheus bit for bit.
 *
 * go_max/go_min are Go's math.Max/math.Min (src/math/dim.go). C's fmax and
 * fmin treat NaN as missing data (fmax(1, NaN) == 1) and may return either
 * zero for (+0, -0); Go's rules, checked in this order, are:
 *   1. an infinity in the direction of the operation wins:
 *      Max(x, +Inf) = +Inf, Min(x, -Inf) = -Inf, even when x is NaN;
 *   2. otherwise NaN wins: Max(x, NaN) = Min(x, NaN) = NaN;
 *   3. signed zeros: Max(+0, -0) = +0, Min(+0, -0) = -0;
 *   4. otherwise the larger (smaller) value.
 * Prometheus uses them in clamp/clamp_min/clamp_max, the vector quantile's
 * index bounds, min_of/max_of in duration expressions and util/almost.
 *
 * go_almost_equal is Prometheus's util/almost.Equal (without its StaleNaN
 * case: evaluated values never hold the staleness marker): equal, both
 * NaN, or differing by less than epsilon relative to |a| + |b| (absolutely,
 * scaled by the smallest normal, near zero).
 */
#ifndef FL_GOMATH_H
#define FL_GOMATH_H

#include <math.h>
#include <stdbool.h>

static inline double go_max(double x, double y)
{
	if (x == INFINITY || y == INFINITY)
		return INFINITY;
	if (isnan(x) || isnan(y))
		return NAN;
	if (x == 0 && x == y)
		return signbit(x) ? y : x;
	return x > y ? x : y;
}

static inline double go_min(double x, double y)
{
	if (x == -INFINITY || y == -INFINITY)
		return -INFINITY;
	if (isnan(x) || isnan(y))
		return NAN;
	if (x == 0 && x == y)
		return signbit(x) ? x : y;
	return x < y ? x : y;
}

static inline bool go_almost_equal(double a, double b, double epsilon)
{
	const double min_normal = 2.2250738585072014e-308; /* math.Float64frombits(0x0010000000000000) */
	if (isnan(a) && isnan(b))
		return true;
	if (a == b)
		return true;
	double sum = fabs(a) + fabs(b), diff = fabs(a - b);
	if (a == 0 || b == 0 || sum < min_normal)
		return diff < epsilon * min_normal;
	return diff / go_min(sum, 1.7976931348623157e308) < epsilon; /* math.MaxFloat64 */
}

#endif
