/*
 * test_startts.c - start timestamps (Prometheus ST, flint issue 10): the
 * head keeping them beside the chunks for the series that receive them
 * (appender_append_st / sample_iter_at_st on the storage seam), the @st
 * load notation of the .test runner, and rate/increase/irate/resets using
 * them as upstream 3.14 does.
 */
#include "tests/unit/test.h"

#include "promql/promqltest.h"
#include "tsdb/head.h"

#define L(...) ((labels){(const label[]){__VA_ARGS__}, sizeof((const label[]){__VA_ARGS__}) / sizeof(label)})

/* The (t, st) pairs of the single series matching name, within [mint, maxt]. */
static size_t read_st(head *h, const char *name, int64_t mint, int64_t maxt, int64_t *ts, int64_t *sts, size_t cap)
{
	err e;
	querier *q = queryable_querier(head_queryable(h), mint, maxt, &e);
	ASSERT(q != NULL);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", name, &e), 0);
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	size_t n = 0;
	ASSERT(series_set_next(ss));
	sample_iter *it = series_set_iter(ss, NULL);
	for (int vt = sample_iter_next(it); vt != VAL_NONE; vt = sample_iter_next(it)) {
		double v;
		ASSERT(n < cap);
		sample_iter_at(it, &ts[n], &v);
		sts[n++] = sample_iter_at_st(it);
	}
	ASSERT(!series_set_next(ss));
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&m);
	querier_close(q);
	return n;
}

static head *open_head(void)
{
	err e;
	head_opts o = {0};
	head *h = head_open(&o, &e);
	ASSERT(h != NULL);
	return h;
}

static void head_keeps_st(void)
{
	err e;
	head *h = open_head();
	appender *a = head_appender(h);
	series_ref ref = 0;
	for (int64_t t = 1000; t <= 5000; t += 1000) {
		/* the third sample has no start time */
		ASSERT_EQ(appender_append_st(a, ref, L({"__name__", "c"}), t == 3000 ? 0 : t - 500, t, 1, &ref, &e), 0);
		ASSERT_EQ(appender_append(a, 0, L({"__name__", "plain"}), t, 1, NULL, &e), 0);
	}
	ASSERT_EQ(appender_commit(a, &e), 0);
	int64_t ts[8], sts[8];
	ASSERT_EQ(read_st(h, "c", 0, 10000, ts, sts, 8), 5);
	for (size_t i = 0; i < 5; i++) {
		ASSERT_EQ(ts[i], 1000 * (int64_t)(i + 1));
		ASSERT_EQ(sts[i], i == 2 ? 0 : ts[i] - 500);
	}
	/* a narrower querier, and a seek past the first samples */
	ASSERT_EQ(read_st(h, "c", 2500, 4000, ts, sts, 8), 2);
	ASSERT_EQ(ts[0], 3000);
	ASSERT_EQ(sts[0], 0);
	ASSERT_EQ(sts[1], 3500);
	ASSERT_EQ(read_st(h, "plain", 0, 10000, ts, sts, 8), 5);
	for (size_t i = 0; i < 5; i++)
		ASSERT_EQ(sts[i], 0);
	/* a rolled back start time leaves nothing behind */
	a = head_appender(h);
	ASSERT_EQ(appender_append_st(a, 0, L({"__name__", "c"}), 5900, 6000, 1, NULL, &e), 0);
	appender_rollback(a);
	ASSERT_EQ(read_st(h, "c", 0, 10000, ts, sts, 8), 5);
	head_close(h);
}

/* Truncation drops the start times with the chunks and keeps the rest
 * matched to their samples. */
static void head_truncate_st(void)
{
	err e;
	head *h = open_head();
	appender *a = head_appender(h);
	series_ref ref = 0;
	for (int64_t t = 1000; t <= 400000; t += 1000)
		ASSERT_EQ(appender_append_st(a, ref, L({"__name__", "c"}), t - 7, t, 1, &ref, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
	head_truncate(h, 250000);
	static int64_t ts[400], sts[400];
	size_t n = read_st(h, "c", 0, 1000000, ts, sts, 400);
	ASSERT(n > 150 && n < 400); /* whole chunks went */
	ASSERT_EQ(ts[n - 1], 400000);
	for (size_t i = 0; i < n; i++)
		ASSERT_EQ(sts[i], ts[i] - 7);
	head_close(h);
}

typedef struct run {
	promqltest_stats st;
	char *out;
	size_t len;
	int rc;
} run;

static run script(const char *text)
{
	run r;
	memset(&r, 0, sizeof r);
	FILE *f = open_memstream(&r.out, &r.len);
	err e;
	r.rc = promqltest_run_string("t.test", text, NULL, f, &r.st, &e);
	fclose(f);
	return r;
}

static void check(const char *text, int passed)
{
	run r = script(text);
	ASSERT_EQ(r.rc, 0);
	if (r.st.failed)
		test_fail(__FILE__, __LINE__, "%s", r.out);
	ASSERT_EQ(r.st.passed, passed);
	free(r.out);
}

/* Deltas (start = previous sample's time): every sample is a restart. */
static void delta_rate(void)
{
	check("load 1m\n"
	      "  d{t=\"st\"}@st _ -1mx5\n"
	      "  d{t=\"st\"} _ 60x5\n"
	      "  d{t=\"none\"} _ 60x5\n"
	      "\n"
	      "eval instant at 5m increase(d[3m])\n"
	      "  {t=\"st\"} 180\n"
	      "  {t=\"none\"} 0\n"
	      "\n"
	      "eval instant at 5m irate(d[3m])\n"
	      "  {t=\"st\"} 1\n"
	      "  {t=\"none\"} 0\n"
	      "\n"
	      "eval instant at 5m resets(d[3m])\n"
	      "  {t=\"st\"} 2\n"
	      "  {t=\"none\"} 0\n"
	      "\n"
	      "eval instant at 5m increase(d[3m:1m])\n"
	      "  {t=\"st\"} 0\n"
	      "  {t=\"none\"} 0\n",
	      4);
}

/* A start inside the range replaces left extrapolation (one sample is then
 * enough); an unknown-start cumulative (previous sample without start) is
 * no restart; a start reaching before the previous sample warns. */
static void first_sample_and_overlap(void)
{
	check("load 1m\n"
	      "  s{t=\"one\"}@st _ _ -30s\n"
	      "  s{t=\"one\"} _ _ 3\n"
	      "  u@st _ _ _ -1m\n"
	      "  u _ _ 1 1\n"
	      "\n"
	      "eval instant at 3m increase(s[2m])\n"
	      "  {t=\"one\"} 3\n"
	      "\n"
	      "eval instant at 3m increase(u[1m1ms])\n"
	      "  {} 0\n",
	      2);
	check("load 1m\n"
	      "  o_total@st _ _ -2m -2m -2m\n"
	      "  o_total _ _ 60 120 180\n"
	      "\n"
	      "eval instant at 4m rate(o_total[3m])\n"
	      "  {} 1\n"
	      "  expect warn msg: PromQL warning: sample has start time that overlaps with previous sample timestamp for "
	      "metric \"o_total\"\n",
	      1);
}

static void bad_st_line(void)
{
	run r = script("load 1m\n"
		       "  a@st 5q\n"
		       "  a 1 2\n"
		       "\n"
		       "eval instant at 1m a\n"
		       "  a 2\n");
	ASSERT_EQ(r.rc, 0);
	ASSERT_EQ(r.st.passed, 1);
	ASSERT(strstr(r.out, "series not loaded") != NULL);
	free(r.out);
}

const struct test tests_startts[] = {
	{"head_keeps_st", head_keeps_st},
	{"head_truncate_st", head_truncate_st},
	{"delta_rate", delta_rate},
	{"first_sample_and_overlap", first_sample_and_overlap},
	{"bad_st_line", bad_st_line},
	{NULL, NULL},
};
