/*
 * test_eval_agg.c - aggregation operators (promql/eval_agg.c) through the
 * engine on memq.h. topk/bottomk must choose and order tied and NaN values
 * exactly as upstream's per-group heap does (engine.go aggregationK over
 * container/heap, output after sort.Sort(sort.Reverse(heap))); expected
 * answers below were worked through that algorithm by hand.
 */
#include "tests/unit/test.h"

#include "tests/unit/memq.h"

static mseries store[16];
static memq mem;

/* m{job="j00"}, m{job="j01"}, ... (label order = input order), one sample
 * each at t=0 */
static void setup(const double *vs, size_t n)
{
	static const char *jobs[] = {"j00", "j01", "j02", "j03", "j04", "j05", "j06", "j07",
				     "j08", "j09", "j10", "j11", "j12", "j13", "j14", "j15"};
	memq_init(&mem, store);
	for (size_t i = 0; i < n; i++) {
		add_series(&mem, "m", jobs[i], 0, 0, 1);
		store[i].s[0].v = vs[i];
	}
}

/* Run an instant query at 0; its jobs in result order, comma-separated. */
static const char *jobs_of(const char *q)
{
	static char out[256];
	promql_engine *e = memq_engine();
	promql_result r;
	err er;
	if (promql_query_instant(e, &mem.base, q, 0, NULL, &r, &er) != 0)
		test_fail(__FILE__, __LINE__, "%s: %s", q, er.msg);
	ASSERT(r.ordered);
	out[0] = 0;
	for (size_t i = 0; i < r.n_series; i++) {
		const char *j = labels_get(r.series[i].metric, "job");
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", j ? j : "?");
	}
	promql_result_free(&r);
	promql_engine_free(e);
	return out;
}

static void agg_topk_ties_follow_the_heap(void)
{
	/* the root (j00) is evicted by j05's 2, not j01: not "first k among ties" */
	double v[] = {1, 1, 1, 0, 0, 2, 0};
	setup(v, 7);
	ASSERT_STR_EQ(jobs_of("topk(2, m)"), "j05,j01");
	double b[] = {1, 1, 1, 1, 1, 1, 0};
	setup(b, 7);
	ASSERT_STR_EQ(jobs_of("bottomk(2, m)"), "j06,j01");
	double z[] = {0, 0, 0, 0, 0};
	setup(z, 5);
	ASSERT_STR_EQ(jobs_of("topk(2, m)"), "j00,j01"); /* all tied: never replaced */
	ASSERT_STR_EQ(jobs_of("bottomk(2, m)"), "j00,j01");
	/* two tied maxima: the heap [j04, j01] comes out as is (insertion sort
	 * moves nothing past an equal value) */
	double w[] = {5, 9, 1, 7, 9, 3, 8, 2, 6, 0, 4, NAN};
	setup(w, 12);
	ASSERT_STR_EQ(jobs_of("topk(2, m)"), "j04,j01");
	ASSERT_STR_EQ(jobs_of("bottomk(2, m)"), "j09,j02");
}

static void agg_topk_nan(void)
{
	/* a NaN root is replaced by any number, never by another NaN; NaN sorts last */
	double v[] = {NAN, 1, NAN, 0};
	setup(v, 4);
	ASSERT_STR_EQ(jobs_of("topk(2, m)"), "j01,j03");
	ASSERT_STR_EQ(jobs_of("bottomk(2, m)"), "j03,j01");
	double n[] = {NAN, NAN, NAN};
	setup(n, 3);
	ASSERT_STR_EQ(jobs_of("topk(2, m)"), "j00,j01");
	double k[] = {3, NAN, 5};
	setup(k, 3);
	ASSERT_STR_EQ(jobs_of("topk(5, m)"), "j02,j00,j01"); /* k larger than the group */
	ASSERT_STR_EQ(jobs_of("bottomk(5, m)"), "j00,j02,j01");
}

static void agg_topk_k_edges(void)
{
	double v[] = {1, 2, 3};
	setup(v, 3);
	ASSERT_STR_EQ(jobs_of("topk(0, m)"), "");
	ASSERT_STR_EQ(jobs_of("topk(-1, m)"), "");
	ASSERT_STR_EQ(jobs_of("topk(1.9, m)"), "j02"); /* k truncates */
	ASSERT_STR_EQ(jobs_of("bottomk(1, m)"), "j00");
	ASSERT_STR_EQ(jobs_of("topk(3, m)"), "j02,j01,j00");
	/* limitk keeps the first k, listed in its heap's order (3.x) */
	double w[] = {3, 1, 2};
	setup(w, 3);
	ASSERT_STR_EQ(jobs_of("limitk(2, m)"), "j01,j00");
}

static void agg_topk_range_query_per_step(void)
{
	/* in a range query each step chooses on its own: j01 joins only where it
	 * is strictly greater than the kept j00 */
	memq_init(&mem, store);
	add_series(&mem, "m", "j00", 1, 0, 3);
	add_series(&mem, "m", "j01", 0, 1, 3); /* 0, 1, 2 */
	promql_engine *e = memq_engine();
	promql_result r;
	err er;
	ASSERT_EQ(promql_query_range(e, &mem.base, "topk(1, m)", 0, 120000, 60000, NULL, &r, &er), 0);
	ASSERT_EQ(r.n_series, 2);
	ASSERT_STR_EQ(labels_get(r.series[0].metric, "job"), "j00");
	ASSERT_EQ(r.series[0].n, 2); /* t=0 (1 > 0) and t=60 (1 == 1: the kept one stays) */
	ASSERT_EQ(r.series[1].n, 1); /* t=120 */
	ASSERT_EQ(r.series[1].samples[0].t, 120000);
	promql_result_free(&r);
	promql_engine_free(e);
}

const struct test tests_eval_agg[] = {
	{"agg_topk_ties_follow_the_heap", agg_topk_ties_follow_the_heap},
	{"agg_topk_nan", agg_topk_nan},
	{"agg_topk_k_edges", agg_topk_k_edges},
	{"agg_topk_range_query_per_step", agg_topk_range_query_per_step},
	{NULL, NULL},
};
