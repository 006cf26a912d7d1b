/*
 * test_fuzz_regress.c - one test per bug the libFuzzer campaign found
 * (tests/fuzz/fuzz_X.c), pinning the fixed behaviour in the unit runner; the
 * minimized input also sits in the target's corpus as regress-<what>.
 */
#include "tests/unit/test.h"

#include <math.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/timeparse.h"
#include "promql/ast.h"

/* fuzz_promql_expr: 2e222 prints as 223 digits (FormatFloat 'f'), which
 * the parser refused ("invalid syntax") past 127 characters. */
static void test_promql_long_number_literal(void)
{
	promql_expr x, y;
	err e;
	ASSERT_EQ(promql_parse("2e222", &x, &e), 0);
	buf b;
	buf_init(&b);
	promql_print(&b, x.root);
	ASSERT(b.len > 200);
	ASSERT_EQ(promql_parse(buf_cstr(&b), &y, &e), 0);
	buf b2;
	buf_init(&b2);
	promql_print(&b2, y.root);
	ASSERT_STR_EQ(buf_cstr(&b2), buf_cstr(&b));
	promql_expr_free(&x);
	promql_expr_free(&y);
	buf_reset(&b);
	buf_reset(&b2);
	/* and still the Go errors for what ParseFloat refuses */
	ASSERT(promql_parse("1e999", &x, &e) != 0);
	ASSERT(strstr(e.msg, "value out of range"));
}

/* fuzz_small_parsers: a zone offset cut short ("-2") read past the end of
 * the string (the minutes were taken before the length was known). */
static void test_rfc3339_short_zone_offset(void)
{
	int64_t ms = 42;
	const char *cut[] = {"2026-11-25T13:45:01.1022311-2", "2026-11-25T13:45:01+02", "2026-11-25T13:45:01-02:0",
			     "2026-11-25T13:45:01+02:000"};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		char *s = strdup(cut[i]); /* exact-size heap copy, so ASan sees an overread */
		ASSERT(timeparse_rfc3339(s, &ms) != 0);
		free(s);
	}
	ASSERT_EQ(ms, 42);
	ASSERT_EQ(timeparse_rfc3339("2026-11-25T13:45:01.123+02:00", &ms), 0);
	ASSERT_EQ(ms, 1795607101123LL);
	ASSERT_EQ(timeparse_rfc3339("2026-11-25T13:45:01-00:30", &ms), 0);
	ASSERT_EQ(ms, 1795616101000LL);
}

const struct test tests_fuzz_regress[] = {
	{"promql_long_number_literal", test_promql_long_number_literal},
	{"rfc3339_short_zone_offset", test_rfc3339_short_zone_offset},
	{NULL, NULL},
};
