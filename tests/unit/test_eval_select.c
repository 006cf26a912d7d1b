/* test_eval_select.c - promql/eval_select.c: the range the engine opens its
 * querier over (pq_query_range, Prometheus FindMinMaxTime) and the hints
 * each select carries, recorded by a counting queryable and checked against
 * Prometheus 3.x's rules (getTimeRangesForSelector, subqueryTimes):
 *   vector selector  [ref - lookback + 1, ref]    (ref = t - offset, or @)
 *   matrix selector  [ref - range + 1, ref]
 *   subquery         its inner grid is [ref(start) - range, ref(end)]
 * and the querier spans the union; [0, 0] when nothing is selected. */
#include "tests/unit/test.h"
#include "promql/engine.h"

#define LB 300000 /* default lookback, 5m */
#define MAX_SEL 8

typedef struct cq {
	queryable base; /* must be first */
	int n_open;     /* queriers opened */
	int64_t mint, maxt; /* range of the last one */
	select_hints h[MAX_SEL]; /* hints of each select, in order */
	int n_sel;
} cq;

typedef struct cq_querier {
	querier base; /* must be first */
	cq *owner;
} cq_querier;

static series_set *cq_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n)
{
	cq *c = ((cq_querier *)q)->owner;
	if (c->n_sel < MAX_SEL)
		c->h[c->n_sel] = *h;
	c->n_sel++;
	return series_set_empty();
}

static int cq_names(querier *q, const matcher *ms, size_t n, strlist *out, err *e)
{
	return strlist_take_sorted(out, NULL, 0, e);
}

static int cq_values(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	return strlist_take_sorted(out, NULL, 0, e);
}

static void cq_close(querier *q) { fl_free(q); }

static const struct querier_ops cq_ops = {cq_select, cq_names, cq_values, cq_close};

static querier *cq_open(queryable *self, int64_t mint, int64_t maxt, err *e)
{
	cq *c = (cq *)self;
	cq_querier *q = fl_calloc(1, sizeof *q);
	ASSERT(q != NULL);
	q->base.ops = &cq_ops;
	q->base.mint = mint;
	q->base.maxt = maxt;
	q->owner = c;
	c->n_open++;
	c->mint = mint;
	c->maxt = maxt;
	return &q->base;
}

typedef struct rcase {
	const char *q;
	int64_t start, end, step; /* step 0: instant at start */
	int64_t mint, maxt;       /* querier range */
	int64_t h0_start, h0_end; /* hints of the first select */
	int64_t h0_range;
} rcase;

#define T 10000000 /* an evaluation time (ms) */
#define M 60000    /* a minute */

static const rcase rcases[] = {
	{"foo", T, T, 0, T - LB + 1, T, T - LB + 1, T, 0},
	{"rate(foo[5m])", T, T, 0, T - 5 * M + 1, T, T - 5 * M + 1, T, 5 * M},
	{"foo offset 10m", T, T, 0, T - 10 * M - LB + 1, T - 10 * M, T - 10 * M - LB + 1, T - 10 * M, 0},
	{"foo offset -10m", T, T, 0, T + 10 * M - LB + 1, T + 10 * M, T + 10 * M - LB + 1, T + 10 * M, 0},
	{"foo @ 500", T, T, 0, 500000 - LB + 1, 500000, 500000 - LB + 1, 500000, 0},
	{"rate(foo[1h] @ 7200 offset 1h)", T, T, 0, 3600000 - 60 * M + 1, 3600000, 3600000 - 60 * M + 1, 3600000,
	 60 * M},
	/* range query: the grid widens the window */
	{"foo", T, T + 60 * M, M, T - LB + 1, T + 60 * M, T - LB + 1, T + 60 * M, 0},
	{"foo @ end()", T, T + 60 * M, M, T + 60 * M - LB + 1, T + 60 * M, T + 60 * M - LB + 1, T + 60 * M, 0},
	{"foo @ start()", T, T + 60 * M, M, T - LB + 1, T, T - LB + 1, T, 0},
	/* union of two selectors: the first select's hints are its own */
	{"foo + bar offset 1h", T, T, 0, T - 60 * M - LB + 1, T, T - LB + 1, T, 0},
	{"sum(rate(foo[2m])) / sum(rate(foo[10m] offset -5m))", T, T, 0, T - 5 * M + 1, T + 5 * M, T - 2 * M + 1, T,
	 2 * M},
	/* subqueries: the inner grid starts one subquery range earlier */
	{"max_over_time(foo[30m:1m])", T, T, 0, T - 30 * M - LB + 1, T, -1, -1, 0},
	{"max_over_time(rate(foo[5m])[30m:1m] offset 1h)", T, T, 0, T - 60 * M - 30 * M - 5 * M + 1, T - 60 * M, -1,
	 -1, 5 * M},
	{"max_over_time(foo[1h:1m] @ 7200)", T, T, 0, 7200000 - 60 * M - LB + 1, 7200000, -1, -1, 0},
	{"max_over_time(foo[1h:1m] @ 7200 offset 1h)", T, T, 0, 3600000 - 60 * M - LB + 1, 3600000, -1, -1, 0},
	{"max_over_time((foo offset 1h)[1h:1m] @ 7200)", T, T, 0, 3600000 - 60 * M - LB + 1, 3600000, -1, -1, 0},
	/* info() reads its info series like a vector selector at each step */
	{"info(rate(foo[1m]))", T, T, 0, T - LB + 1, T, T - M + 1, T, M},
	/* nothing selected */
	{"vector(1) + 2", T, T, 0, 0, 0, -1, -1, 0},
};

static void eval_select_querier_range_find_min_max(void)
{
	promql_engine_opts o;
	promql_engine_opts_default(&o);
	o.enable_experimental_functions = true;
	promql_engine *eng = promql_engine_new(&o);
	ASSERT(eng != NULL);
	for (size_t i = 0; i < sizeof rcases / sizeof *rcases; i++) {
		const rcase *c = &rcases[i];
		cq q;
		memset(&q, 0, sizeof q);
		q.base.querier = cq_open;
		promql_result r;
		err e;
		int rc = c->step ? promql_query_range(eng, &q.base, c->q, c->start, c->end, c->step, NULL, &r, &e)
				 : promql_query_instant(eng, &q.base, c->q, c->start, NULL, &r, &e);
		if (rc)
			test_fail(__FILE__, __LINE__, "%s: %s", c->q, e.msg);
		promql_result_free(&r);
		ASSERT_EQ(q.n_open, 1);
		if (q.mint != c->mint || q.maxt != c->maxt)
			test_fail(__FILE__, __LINE__, "%s: querier [%lld, %lld], want [%lld, %lld]", c->q,
				  (long long)q.mint, (long long)q.maxt, (long long)c->mint, (long long)c->maxt);
		if (c->h0_start == -1)
			continue;
		ASSERT(q.n_sel >= 1);
		if (q.h[0].start_ms != c->h0_start || q.h[0].end_ms != c->h0_end || q.h[0].range_ms != c->h0_range)
			test_fail(__FILE__, __LINE__, "%s: hints [%lld, %lld] range %lld, want [%lld, %lld] range %lld",
				  c->q, (long long)q.h[0].start_ms, (long long)q.h[0].end_ms, (long long)q.h[0].range_ms,
				  (long long)c->h0_start, (long long)c->h0_end, (long long)c->h0_range);
		/* every select's hints lie inside the querier's range */
		for (int k = 0; k < q.n_sel && k < MAX_SEL; k++)
			ASSERT(q.h[k].start_ms >= q.mint && q.h[k].end_ms <= q.maxt);
	}
	promql_engine_free(eng);
}

const struct test tests_eval_select[] = {
	{"eval_select_querier_range_find_min_max", eval_select_querier_range_find_min_max},
	{NULL, NULL},
};
