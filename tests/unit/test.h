/*
 * test.h - the unit-test harness. Each tests/unit/test_<file>.c defines
 *   const struct test tests_<file>[] = { {"name", fn}, ..., {NULL, NULL} };
 * The Makefile generates the table of tables; runner.c forks each test with
 * an alarm() timeout and prints `ok name` or `FAIL name: file:line: ...`,
 * ending with `N passed, N failed`.
 *
 * Tests find shared fixtures through test_shared_dir() ("../shared" unless
 * FLINT_SHARED is set) and scratch space through test_tmpdir().
 */
#ifndef FL_TEST_H
#define FL_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test {
	const char *name;  /* unique within its file */
	void (*fn)(void);  /* fails through test_fail (exits the forked child) */
};

void test_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
const char *test_shared_dir(void);
/* A fresh empty directory for this test, removed after it ends. */
const char *test_tmpdir(void);

#define ASSERT(c)                                                   \
	do {                                                        \
		if (!(c))                                           \
			test_fail(__FILE__, __LINE__, "%s", #c);    \
	} while (0)
#define ASSERT_EQ(a, b)                                                                                  \
	do {                                                                                             \
		long long _a = (long long)(a), _b = (long long)(b);                                      \
		if (_a != _b)                                                                            \
			test_fail(__FILE__, __LINE__, "%s == %s (got %lld, want %lld)", #a, #b, _a, _b); \
	} while (0)
#define ASSERT_U64_EQ(a, b)                                                                              \
	do {                                                                                             \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                                         \
		if (_a != _b)                                                                            \
			test_fail(__FILE__, __LINE__, "%s == %s (got %" PRIu64 ", want %" PRIu64 ")", #a, #b, _a, _b); \
	} while (0)
#define ASSERT_STR_EQ(a, b)                                                                              \
	do {                                                                                             \
		const char *_a = (a), *_b = (b);                                                         \
		if (!_a || !_b || strcmp(_a, _b))                                                        \
			test_fail(__FILE__, __LINE__, "%s == %s (got \"%s\", want \"%s\")", #a, #b,      \
				  _a ? _a : "(null)", _b ? _b : "(null)");                               \
	} while (0)
#define ASSERT_DBL_EQ(a, b)                                                                              \
	do {                                                                                             \
		double _a = (a), _b = (b);                                                               \
		if (!(_a == _b || (isnan(_a) && isnan(_b))))                                             \
			test_fail(__FILE__, __LINE__, "%s == %s (got %.17g, want %.17g)", #a, #b, _a, _b); \
	} while (0)
/* a is exactly b down to the sign of a zero (-0 == +0 otherwise); NaN matches NaN */
#define ASSERT_DBL_BITS_EQ(a, b)                                                                         \
	do {                                                                                             \
		double _a = (a), _b = (b);                                                               \
		if (!((isnan(_a) && isnan(_b)) || (_a == _b && !signbit(_a) == !signbit(_b))))           \
			test_fail(__FILE__, __LINE__, "%s == %s (got %g, want %g)", #a, #b, _a, _b);     \
	} while (0)

#endif
