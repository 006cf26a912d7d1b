/*
 * test_promqltest.c - the .test script runner (promql/promqltest.c):
 * series notation, expectations, tolerance, known-failure accounting, on
 * small scripts held in memory (the runner uses a real head).
 */
#include "tests/unit/test.h"

#include "promql/promqltest.h"

typedef struct run {
	promqltest_stats st;
	char *out;
	size_t len;
	int rc;
} run;

static run script(const char *text, const promqltest_known *k)
{
	run r;
	memset(&r, 0, sizeof r);
	FILE *f = open_memstream(&r.out, &r.len);
	err e;
	r.rc = promqltest_run_string("t.test", text, k, f, &r.st, &e);
	fclose(f);
	return r;
}

static void notation_expands(void)
{
	run r = script("load 1m\n"
		       "  a{x=\"1\"} 1+2x3 _ stale -1-1x1 _x2 Inf\n"
		       "  b 0x3\n"
		       "\n"
		       "eval range from 0 to 9m step 1m a\n"
		       "  a{x=\"1\"} 1 3 5 7 7 _ -1 -2 -2 -2\n" /* lookback fills gaps; stale ends */
		       "\n"
		       "eval instant at 10m a\n"
		       "  a{x=\"1\"} +Inf\n"
		       "\n"
		       "eval range from 0 to 3m step 1m b\n"
		       "  b 0 0 0 0\n",
		       NULL);
	ASSERT_EQ(r.rc, 0);
	if (r.st.failed)
		test_fail(__FILE__, __LINE__, "%s", r.out);
	ASSERT_EQ(r.st.passed, 3);
	free(r.out);
}

static void expectations(void)
{
	run r = script("load 5m\n"
		       "  m{job=\"a\"} 1 2\n"
		       "  n{job=\"a\"} 3 4\n"
		       "\n"
		       "# a comment ends nothing but is skipped\n"
		       "eval instant at 5m -{job=\"a\"}\n"
		       "  expect fail msg: vector cannot contain metrics with the same labelset\n"
		       "\n"
		       "eval_fail instant at 5m m{\n"
		       "\n"
		       "eval instant at 5m sort_desc({job=\"a\"})\n"
		       "  expect ordered\n"
		       "  n{job=\"a\"} 4\n"
		       "  m{job=\"a\"} 2.0000000001\n"
		       "\n"
		       "eval instant at 5m quantile(2, m)\n"
		       "  expect warn msg: PromQL warning: quantile value should be between 0 and 1, got 2\n"
		       "  {} +Inf\n"
		       "\n"
		       "eval instant at 5m scalar(m)\n"
		       "  2\n"
		       "\n"
		       "eval instant at 5m \"s\"\n"
		       "  expect string \"s\"\n",
		       NULL);
	ASSERT_EQ(r.rc, 0);
	if (r.st.failed)
		test_fail(__FILE__, __LINE__, "%s", r.out);
	ASSERT_EQ(r.st.passed, 6);
	free(r.out);
}

static void wrong_values_fail(void)
{
	run r = script("load 1m\n"
		       "  m 1\n"
		       "\n"
		       "eval instant at 0 m\n"
		       "  m 1.1\n"
		       "\n"
		       "eval instant at 0 m\n"
		       "  expect no_warn\n"
		       "  m 1\n"
		       "  other 1\n"
		       "\n"
		       "eval instant at 0 nope\n"
		       "  expect fail\n",
		       NULL);
	ASSERT_EQ(r.rc, 0);
	ASSERT_EQ(r.st.failed, 3);
	ASSERT(strstr(r.out, "t.test:4: FAIL m") != NULL);
	ASSERT(strstr(r.out, "want 1.1000000000000001, got 1") != NULL);
	free(r.out);
}

static void known_list_counts(void)
{
	char *keys[] = {"t.test:4", "t.test:7"};
	char *reasons[] = {"broken on purpose", "passes now"};
	bool hit[2] = {false, false};
	promqltest_known k = {keys, reasons, hit, 2};
	run r = script("load 1m\n"
		       "  m 1\n"
		       "\n"
		       "eval instant at 0 m\n"
		       "  m 2\n"
		       "\n"
		       "eval instant at 0 m\n"
		       "  m 1\n",
		       &k);
	ASSERT_EQ(r.st.failed, 0);
	ASSERT_EQ(r.st.known, 1);
	ASSERT_EQ(r.st.passed, 1);
	ASSERT_EQ(r.st.known_passed, 1);
	ASSERT(strstr(r.out, "known failure now passes") != NULL);
	free(r.out);
}

static void clear_and_bad_lines(void)
{
	run r = script("load 1m\n"
		       "  m 1\n"
		       "\n"
		       "clear\n"
		       "\n"
		       "eval instant at 0 m\n"
		       "\n"
		       "frobnicate\n",
		       NULL);
	ASSERT(r.rc != 0); /* unknown command */
	ASSERT_EQ(r.st.passed, 1);
	free(r.out);
}

const struct test tests_promqltest[] = {
	{"notation_expands", notation_expands},
	{"expectations", expectations},
	{"wrong_values_fail", wrong_values_fail},
	{"known_list_counts", known_list_counts},
	{"clear_and_bad_lines", clear_and_bad_lines},
	{NULL, NULL},
};
