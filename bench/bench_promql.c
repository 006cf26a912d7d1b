/*
 * bench_promql.c - PromQL engine figures for `make bench` (printed, not
 * asserted). A head holds N series (BENCH_PROMQL_SERIES, default 10,000) of
 * 2h at 15s: `x_total{lbl="l<i%20>", inst="<i>"}` counters, plus classic
 * histogram buckets `lat_bucket{le=...,inst=...}` for N/10 instances x 10
 * buckets. Each query runs as a range query over the last 1h at 15s steps
 * (241 steps); for each: CPU time (best of BENCH_PROMQL_RUNS, default 3),
 * samples loaded per second, peak samples held and the result arena size.
 *
 * BENCH_PROMQL_SET=compare loads bench/compare.sh's data instead (the series
 * bench_remote pushes: N series x BENCH_PROMQL_ROUNDS, default 960, samples
 * at 15s, 100 metric names) and runs compare.sh's five queries over it with
 * its grid (the whole span, about 100 steps), so the query set can be
 * profiled in-process (callgrind, perf) without the HTTP server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promql/engine.h"
#include "tsdb/head.h"
#include "bench/bench_clock.h"

#define STEP_MS 15000
#define SPAN_MS (2 * 3600 * 1000)


/* the engine runs on the calling thread: its CPU time, not the wall's */

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 10) : def;
}

static int commit(appender *a)
{
	err e;
	if (appender_commit(a, &e)) {
		fprintf(stderr, "bench_promql: commit: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int fill(head *h, long n)
{
	static const char *const les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "5", "+Inf"};
	long nh = n / 10;
	series_ref *refs = calloc((size_t)(n + nh * 10), sizeof *refs);
	if (!refs)
		return -1;
	err e;
	for (int64_t t = 0; t < SPAN_MS; t += STEP_MS) {
		appender *a = head_appender(h);
		char lbl[16], inst[16], le[16];
		for (long i = 0; i < n; i++) {
			snprintf(lbl, sizeof lbl, "l%ld", i % 20);
			snprintf(inst, sizeof inst, "%ld", i);
			label l[3] = {{"__name__", "x_total"}, {"inst", inst}, {"lbl", lbl}};
			labels ls = {l, 3};
			double v = (double)(t / STEP_MS) * (double)(1 + i % 7);
			if (appender_append(a, refs[i], ls, t, v, &refs[i], &e))
				return -1;
		}
		for (long i = 0; i < nh * 10; i++) {
			snprintf(inst, sizeof inst, "%ld", i / 10);
			snprintf(le, sizeof le, "%s", les[i % 10]);
			label l[3] = {{"__name__", "lat_bucket"}, {"inst", inst}, {"le", le}};
			labels ls = {l, 3};
			double v = (double)(t / STEP_MS) * (double)(1 + i % 10);
			if (appender_append(a, refs[n + i], ls, t, v, &refs[n + i], &e))
				return -1;
		}
		if (commit(a))
			return -1;
	}
	free(refs);
	return 0;
}

/* compare.sh's series i at round k (bench_remote's labels and values) */
static int fill_compare(head *h, long n, long rounds)
{
	series_ref *refs = calloc((size_t)n, sizeof *refs);
	if (!refs)
		return -1;
	err e;
	for (long k = 0; k < rounds; k++) {
		appender *a = head_appender(h);
		char name[32], inst[32], ser[32];
		for (long i = 0; i < n; i++) {
			snprintf(name, sizeof name, "bench_metric_%ld", i % 100);
			snprintf(inst, sizeof inst, "host-%ld", i / 100 % 1000);
			snprintf(ser, sizeof ser, "%ld", i);
			label l[4] = {{"__name__", name}, {"instance", inst}, {"job", "bench"}, {"series", ser}};
			labels ls = {l, 4};
			double v = (double)(k * (i % 7 + 1) + i % 13);
			if (appender_append(a, refs[i], ls, k * STEP_MS, v, &refs[i], &e))
				return -1;
		}
		if (commit(a))
			return -1;
	}
	free(refs);
	return 0;
}

/* the query grid: [start, end] at step (ms) */
static int64_t g_start, g_end, g_step;

static void run(promql_engine *eng, queryable *q, const char *query, int runs)
{
	double best = 1e30;
	promql_result r;
	err e;
	int64_t end = g_end, start = g_start;
	size_t arena_bytes = 0, n_series = 0;
	int64_t loaded = 0, peak = 0;
	for (int i = 0; i < runs; i++) {
		double t0 = thread_cpu_s();
		int rc = promql_query_range(eng, q, query, start, end, g_step, NULL, &r, &e);
		double dt = thread_cpu_s() - t0;
		if (rc) {
			printf("  %-58s error: %s\n", query, e.msg);
			promql_result_free(&r);
			return;
		}
		if (dt < best)
			best = dt;
		arena_bytes = r.arena.used;
		n_series = r.n_series;
		loaded = r.total_samples;
		peak = r.peak_samples;
		promql_result_free(&r);
	}
	printf("  %-58s %8.1f ms CPU  %6.1f M samples/s  peak %8lld samples  arena %6.1f MB  %zu series\n", query,
	       best * 1e3, (double)loaded / best / 1e6, (long long)peak, (double)arena_bytes / 1048576.0, n_series);
}

int main(void)
{
	long n = env_long("BENCH_PROMQL_SERIES", 10000);
	int runs = (int)env_long("BENCH_PROMQL_RUNS", 3);
	err e;
	head_opts ho = {0};
	head *h = head_open(&ho, &e);
	if (!h) {
		fprintf(stderr, "bench_promql: %s\n", e.msg);
		return 1;
	}
	double t0 = now_s();
	const char *set = getenv("BENCH_PROMQL_SET");
	if (set && !strcmp(set, "compare")) {
		long rounds = env_long("BENCH_PROMQL_ROUNDS", 960);
		if (fill_compare(h, n, rounds)) {
			fprintf(stderr, "bench_promql: loading the head failed\n");
			head_close(h);
			return 1;
		}
		/* compare.sh: start = end - rounds x 15 s, step = span / 100 + 1 (s), at .5 s */
		g_end = (rounds - 1) * STEP_MS + 500;
		g_start = g_end - rounds * STEP_MS;
		g_step = (rounds * STEP_MS / 1000 / 100 + 1) * 1000;
		printf("bench_promql: compare.sh's set, %ld series x %ld samples at 15s, loaded in %.1f s\n", n, rounds,
		       now_s() - t0);
		promql_engine_opts o;
		promql_engine_opts_default(&o);
		promql_engine *eng = promql_engine_new(&o);
		queryable *q = head_queryable(h);
		double c0 = thread_cpu_s();
		run(eng, q, "sum(bench_metric_1)", runs);
		run(eng, q, "sum by (instance) (rate(bench_metric_2[5m]))", runs);
		run(eng, q, "count({job=\"bench\"})", runs);
		run(eng, q, "bench_metric_3{series=\"303\"}", runs);
		run(eng, q, "max_over_time(bench_metric_4[10m])", runs);
		printf("  query CPU, all runs: %.3f s\n", thread_cpu_s() - c0);
		promql_engine_free(eng);
		head_close(h);
		return 0;
	}
	g_end = SPAN_MS - STEP_MS;
	g_start = g_end - 3600 * 1000;
	g_step = STEP_MS;
	if (fill(h, n)) {
		fprintf(stderr, "bench_promql: loading the head failed\n");
		head_close(h);
		return 1;
	}
	printf("bench_promql: %ld series + %ld bucket series, 2h at 15s, loaded in %.1f s; range queries over 1h at 15s\n",
	       n, n / 10 * 10, now_s() - t0);
	promql_engine_opts o;
	promql_engine_opts_default(&o);
	promql_engine *eng = promql_engine_new(&o);
	queryable *q = head_queryable(h);
	run(eng, q, "count(x_total)", runs);
	run(eng, q, "count(rate(x_total[5m]))", runs);
	run(eng, q, "sum by (lbl) (rate(x_total[5m]))", runs);
	run(eng, q, "topk(5, rate(x_total[5m]))", runs);
	run(eng, q, "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))", runs);
	run(eng, q, "count(x_total{inst=~\"1.*5\"})", runs);
	run(eng, q, "max_over_time(sum by (lbl) (x_total)[10m:1m])", runs);
	run(eng, q, "x_total / on (inst) group_left x_total * 2 + 1 > bool 0", runs);
	run(eng, q, "sum by (lbl) (x_total) or sum by (lbl) (x_total)", runs);
	promql_engine_free(eng);
	head_close(h);
	return 0;
}
