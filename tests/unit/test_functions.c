/*
 * test_functions.c - PromQL function calls (promql/functions.c and the
 * table in functions.def) through the engine's public face on memq.h:
 * every row of the table dispatches, and clamp* follow Go's math.Max/Min
 * (signed zeros by sign bit, NaN and infinities) as upstream does.
 */
#include "tests/unit/test.h"

#include "lib/buf.h"
#include "tests/unit/memq.h"

static mseries store[8];
static memq mem;

/* m{job="a"} .. with one sample each at t=0, values vs[] */
static void setup(const double *vs, size_t n)
{
	static const char *jobs[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
	memq_init(&mem, store);
	for (size_t i = 0; i < n; i++) {
		add_series(&mem, "m", jobs[i], 0, 0, 1);
		store[i].s[0].v = vs[i]; /* exactly: -0 stays -0 */
	}
}

/* The single value of an instant query returning one series. */
static double one(promql_engine *e, const char *q)
{
	promql_result r;
	err er;
	if (promql_query_instant(e, &mem.base, q, 0, NULL, &r, &er) != 0)
		test_fail(__FILE__, __LINE__, "%s: %s", q, er.msg);
	if (r.type != PT_VECTOR || r.n_series != 1 || r.series[0].n != 1)
		test_fail(__FILE__, __LINE__, "%s: want one sample, got %zu series", q, r.n_series);
	double x = r.series[0].samples[0].v;
	promql_result_free(&r);
	return x;
}

static void functions_clamp_signed_zero(void)
{
	promql_engine *e = memq_engine();
	double neg0[] = {-0.0};
	setup(neg0, 1);
	ASSERT_DBL_BITS_EQ(one(e, "clamp(m, 0, 50)"), 0.0); /* Max(+0, -0) = +0; fmax may give -0 */
	ASSERT_DBL_BITS_EQ(one(e, "clamp_min(m, 0)"), 0.0);
	ASSERT_DBL_BITS_EQ(one(e, "clamp_max(m, 0)"), -0.0); /* Min(+0, -0) = -0 */
	ASSERT_DBL_BITS_EQ(one(e, "clamp_max(m, 1)"), -0.0);
	ASSERT_DBL_BITS_EQ(one(e, "clamp_min(m, -1)"), -0.0);
	double pos0[] = {0.0};
	setup(pos0, 1);
	ASSERT_DBL_BITS_EQ(one(e, "clamp_max(m, -0)"), -0.0);
	ASSERT_DBL_BITS_EQ(one(e, "clamp(m, -0, -0)"), -0.0);
	ASSERT_DBL_BITS_EQ(one(e, "clamp_min(m, -0)"), 0.0);
	promql_engine_free(e);
}

static void functions_clamp_nan_inf(void)
{
	promql_engine *e = memq_engine();
	double nan[] = {NAN};
	setup(nan, 1);
	ASSERT_DBL_BITS_EQ(one(e, "clamp(m, 0, 1)"), NAN);
	ASSERT_DBL_BITS_EQ(one(e, "clamp_min(m, -Inf)"), NAN);
	ASSERT_DBL_BITS_EQ(one(e, "clamp_max(m, +Inf)"), NAN);
	double inf[] = {-INFINITY, INFINITY};
	setup(inf, 2);
	/* the infinity in the operation's direction beats a NaN bound */
	ASSERT_DBL_BITS_EQ(one(e, "clamp_max(m{job=\"a\"}, NaN)"), -INFINITY);
	ASSERT_DBL_BITS_EQ(one(e, "clamp_min(m{job=\"b\"}, NaN)"), INFINITY);
	ASSERT_DBL_BITS_EQ(one(e, "clamp(m{job=\"b\"}, NaN, 5)"), NAN);
	ASSERT_DBL_BITS_EQ(one(e, "clamp(m{job=\"a\"}, 1, NaN)"), 1); /* Max(1, Min(NaN, -Inf) = -Inf) */
	promql_result r;
	err er;
	ASSERT_EQ(promql_query_instant(e, &mem.base, "clamp(m, 2, 1)", 0, NULL, &r, &er), 0);
	ASSERT_EQ(r.n_series, 0); /* max < min: nothing */
	promql_result_free(&r);
	promql_engine_free(e);
}

/* Every row of functions.def evaluates through its impl (with arguments of
 * the declared types), in instant and range queries. */
static void functions_every_row_dispatches(void)
{
	double vs[] = {0.5, 2};
	setup(vs, 2);
	store[0].s[1] = (sample){60000, 1};
	store[0].n_s = 2;
	promql_engine_opts o;
	promql_engine_opts_default(&o);
	o.max_samples = 10000;
	o.enable_experimental_functions = true;
	promql_engine *e = promql_engine_new(&o);
	ASSERT(e);
	for (size_t i = 0; i < promql_n_functions; i++) {
		const promql_function *f = &promql_functions[i];
		ASSERT_EQ(f->id, (int)i);
		buf q;
		buf_init(&q);
		buf_printf(&q, "%s(", f->name);
		for (int k = 0; k < f->n_args; k++) {
			static const char *arg[] = {[PT_SCALAR] = "0.5", [PT_VECTOR] = "m", [PT_MATRIX] = "m[5m]",
						    [PT_STRING] = "\"x\""};
			buf_printf(&q, "%s%s", k ? ", " : "", arg[f->args[k]]);
		}
		buf_put_str(&q, ")");
		promql_result r;
		err er;
		int rc = promql_query_instant(e, &mem.base, buf_cstr(&q), 60000, NULL, &r, &er);
		if (rc)
			test_fail(__FILE__, __LINE__, "%s: %s", buf_cstr(&q), er.msg);
		ASSERT_EQ(r.type, f->ret);
		promql_result_free(&r);
		rc = promql_query_range(e, &mem.base, buf_cstr(&q), 0, 120000, 30000, NULL, &r, &er);
		if (rc)
			test_fail(__FILE__, __LINE__, "%s (range): %s", buf_cstr(&q), er.msg);
		promql_result_free(&r);
		buf_reset(&q);
	}
	promql_engine_free(e);
}

const struct test tests_functions[] = {
	{"functions_clamp_signed_zero", functions_clamp_signed_zero},
	{"functions_clamp_nan_inf", functions_clamp_nan_inf},
	{"functions_every_row_dispatches", functions_every_row_dispatches},
	{NULL, NULL},
};
