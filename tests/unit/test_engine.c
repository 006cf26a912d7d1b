/*
 * test_engine.c - the PromQL engine (promql/engine.c and friends) through
 * its public face, on the small in-memory queryable of memq.h (so these
 * tests need neither the head nor the db), plus the numeric kernels
 * (quantile.c) through value.h.
 */
#include "tests/unit/test.h"

#include "tests/unit/memq.h"

static mseries store[16];
static memq mem;

static void setup(void)
{
	memq_init(&mem, store);
	add_series(&mem, "req_total", "a", 0, 10, 11);
	add_series(&mem, "req_total", "b", 0, 20, 11);
}

static promql_engine *engine(void) { return memq_engine(); }

static void engine_sum_rate_instant(void)
{
	setup();
	promql_engine *e = engine();
	promql_result r;
	err er;
	ASSERT_EQ(promql_query_instant(e, &mem.base, "sum(rate(req_total[5m]))", 600000, NULL, &r, &er), 0);
	ASSERT_EQ(r.type, PT_VECTOR);
	ASSERT_EQ(r.n_series, 1);
	ASSERT_DBL_EQ(r.series[0].samples[0].v, 0.5);
	promql_result_free(&r);
	promql_engine_free(e);
}

static void engine_range_binop_and_names(void)
{
	setup();
	promql_engine *e = engine();
	promql_result r;
	err er;
	ASSERT_EQ(promql_query_range(e, &mem.base, "req_total * 2", 0, 120000, 60000, NULL, &r, &er), 0);
	ASSERT_EQ(r.type, PT_MATRIX);
	ASSERT_EQ(r.n_series, 2);
	ASSERT_EQ(r.series[0].n, 3);
	ASSERT(labels_get(r.series[0].metric, "__name__") == NULL); /* dropped at the end */
	ASSERT_DBL_EQ(r.series[1].samples[2].v, 80);
	promql_result_free(&r);
	/* comparison keeps the name and filters */
	ASSERT_EQ(promql_query_instant(e, &mem.base, "req_total > 150", 600000, NULL, &r, &er), 0);
	ASSERT_EQ(r.n_series, 1);
	ASSERT_STR_EQ(labels_get(r.series[0].metric, "__name__"), "req_total");
	promql_result_free(&r);
	promql_engine_free(e);
}

static void engine_same_labelset_error(void)
{
	setup();
	add_series(&mem, "other_total", "a", 0, 1, 11);
	promql_engine *e = engine();
	promql_result r;
	err er;
	ASSERT(promql_query_instant(e, &mem.base, "-{job=\"a\"}", 60000, NULL, &r, &er) != 0);
	ASSERT_STR_EQ(er.msg, "vector cannot contain metrics with the same labelset");
	promql_result_free(&r);
	promql_engine_free(e);
}

static void engine_max_samples(void)
{
	setup();
	promql_engine_opts o;
	promql_engine_opts_default(&o);
	o.max_samples = 5;
	promql_engine *e = promql_engine_new(&o);
	promql_result r;
	err er;
	ASSERT(promql_query_instant(e, &mem.base, "sum_over_time(req_total[10m])", 600000, NULL, &r, &er) != 0);
	ASSERT_EQ(r.errtype, PE_EXECUTION);
	ASSERT_STR_EQ(er.msg, "query processing would load too many samples into memory in query execution");
	promql_result_free(&r);
	promql_engine_free(e);
}

static void engine_too_many_steps_and_cancel(void)
{
	setup();
	promql_engine *e = engine();
	promql_result r;
	err er;
	ASSERT(promql_query_range(e, &mem.base, "1", 0, 11001 * 1000LL, 1000, NULL, &r, &er) != 0);
	ASSERT_EQ(r.errtype, PE_BAD_DATA);
	promql_result_free(&r);
	promql_cancel c = {1};
	ASSERT(promql_query_instant(e, &mem.base, "req_total", 0, &c, &r, &er) != 0);
	ASSERT_EQ(r.errtype, PE_CANCELED);
	promql_result_free(&r);
	promql_engine_free(e);
}

static void engine_subquery_alignment(void)
{
	setup();
	promql_engine *e = engine();
	promql_result r;
	err er;
	/* samples at 0..10m; [5m:1m] at 10m sees 6m..10m: five points */
	ASSERT_EQ(promql_query_instant(e, &mem.base, "count_over_time(req_total{job=\"a\"}[5m:1m])", 600000, NULL,
				       &r, &er),
		  0);
	ASSERT_EQ(r.n_series, 1);
	ASSERT_DBL_EQ(r.series[0].samples[0].v, 5);
	promql_result_free(&r);
	promql_engine_free(e);
}

static void engine_topk_small_k_order(void)
{
	setup();
	mem.n = 0;
	static const char *jobs[] = {"j0", "j1", "j2", "j3", "j4", "j5", "j6", "j7", "j8", "j9", "j10", "j11"};
	static const double v0[] = {5, 9, 1, 7, 9, 3, 8, 2, 6, 0, 4, NAN};
	for (size_t i = 0; i < 12; i++)
		add_series(&mem, "m", jobs[i], v0[i], 0, 1);
	promql_engine *e = engine();
	promql_result r;
	err er;
	ASSERT_EQ(promql_query_instant(e, &mem.base, "topk(2, m)", 0, NULL, &r, &er), 0);
	ASSERT(r.ordered);
	ASSERT_EQ(r.n_series, 2);
	/* tied 9s: upstream's heap ends [j4, j1] and its sort moves nothing past
	 * an equal value (test_eval_agg.c works this through) */
	ASSERT_STR_EQ(labels_get(r.series[0].metric, "job"), "j4");
	ASSERT_STR_EQ(labels_get(r.series[1].metric, "job"), "j1");
	promql_result_free(&r);
	ASSERT_EQ(promql_query_instant(e, &mem.base, "bottomk(2, m)", 0, NULL, &r, &er), 0);
	ASSERT_EQ(r.n_series, 2);
	ASSERT_DBL_EQ(r.series[0].samples[0].v, 0);
	ASSERT_DBL_EQ(r.series[1].samples[0].v, 1);
	promql_result_free(&r);
	promql_engine_free(e);
}

static void kernel_quantile(void)
{
	double v[] = {4, 1, 3, 2};
	ASSERT_DBL_EQ(pq_quantile(0.5, v, 4), 2.5);
	double w[] = {1};
	ASSERT_DBL_EQ(pq_quantile(-1, w, 1), -INFINITY);
	ASSERT_DBL_EQ(pq_quantile(2, w, 1), INFINITY);
	ASSERT(isnan(pq_quantile(NAN, w, 1)));
}

static void kernel_bucket_quantile(void)
{
	pq_bucket b[] = {{INFINITY, 100}, {1, 50}, {2, 100}};
	bool forced, fixed;
	ASSERT_DBL_EQ(pq_bucket_quantile(NULL, 0.5, b, 3, &forced, &fixed), 1);
	pq_bucket c[] = {{1, 10}, {2, 5}, {INFINITY, 20}};
	double q = pq_bucket_quantile(NULL, 0.5, c, 3, &forced, &fixed);
	ASSERT(forced);
	ASSERT_DBL_EQ(q, 1);
	pq_bucket d[] = {{1, 10}, {2, 20}};
	ASSERT(isnan(pq_bucket_quantile(NULL, 0.5, d, 2, &forced, &fixed))); /* no +Inf bucket */
}

const struct test tests_engine[] = {
	{"engine_sum_rate_instant", engine_sum_rate_instant},
	{"engine_range_binop_and_names", engine_range_binop_and_names},
	{"engine_same_labelset_error", engine_same_labelset_error},
	{"engine_max_samples", engine_max_samples},
	{"engine_too_many_steps_and_cancel", engine_too_many_steps_and_cancel},
	{"engine_subquery_alignment", engine_subquery_alignment},
	{"engine_topk_small_k_order", engine_topk_small_k_order},
	{"kernel_quantile", kernel_quantile},
	{"kernel_bucket_quantile", kernel_bucket_quantile},
	{NULL, NULL},
};
