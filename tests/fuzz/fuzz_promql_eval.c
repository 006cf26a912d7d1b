/*
 * fuzz_promql_eval.c - parse-then-evaluate arbitrary query text on a small
 * head (a few series, stale markers, NaN/Inf values), as an instant query
 * and as a short range query. Only crashes, sanitizer reports and leaks
 * count; errors are expected. The engine runs with a small sample budget
 * and a timeout so pathological inputs end quickly.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promql/engine.h"
#include "tsdb/head.h"

static head *small_head(void)
{
	err e;
	head_opts o = {0};
	head *h = head_open(&o, &e);
	if (!h)
		return NULL;
	appender *a = head_appender(h);
	static const char *const names[] = {"up", "req_total", "lat_bucket"};
	static const char *const les[] = {"0.1", "1", "+Inf"};
	for (int s = 0; s < 6; s++) {
		label l[3] = {{"__name__", names[s % 3]}, {"job", s < 3 ? "a" : "b"}, {"le", les[s % 3]}};
		labels ls = {l, s % 3 == 2 ? 3u : 2u};
		series_ref ref = 0;
		for (int i = 0; i < 20; i++) {
			double v = i == 7 ? stale_nan() : i == 11 ? NAN : i == 13 ? INFINITY : (double)(i * (s + 1));
			appender_append(a, ref, ls, (int64_t)i * 15000, v, &ref, &e);
		}
	}
	if (appender_commit(a, &e)) {
		head_close(h);
		return NULL;
	}
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static head *h;
	static promql_engine *eng;
	if (!h) {
		h = small_head();
		promql_engine_opts o;
		promql_engine_opts_default(&o);
		o.max_samples = 20000;
		o.timeout_ms = 2000;
		eng = promql_engine_new(&o);
	}
	if (!h || !eng || size > 4096)
		return 0;
	char *q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = 0;
	promql_result r;
	err e;
	promql_query_instant(eng, head_queryable(h), q, 200000, NULL, &r, &e);
	promql_result_free(&r);
	promql_query_range(eng, head_queryable(h), q, 0, 300000, 30000, NULL, &r, &e);
	promql_result_free(&r);
	free(q);
	return 0;
}
