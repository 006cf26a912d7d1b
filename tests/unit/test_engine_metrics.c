/*
 * test_engine_metrics.c - prometheus_engine_query_duration_seconds on
 * /metrics (web/query_durations.c, web/self_metrics.c): after N queries
 * through the query handler every slice counts N, the quantile lines carry
 * numbers, the neighbouring engine gauges are there, and `promtool check
 * metrics` (when installed) finds nothing to say about the page.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/test.h"
#include "tsdb/head.h"
#include "web/web.h"

static head *em_seed(web_env *env)
{
	head_opts ho = {0};
	head *h = head_open(&ho, NULL);
	ASSERT(h != NULL);
	appender *a = head_appender(h);
	label l[2] = {{"__name__", "up"}, {"job", "a"}};
	labels ls = {l, 2};
	series_ref ref;
	ASSERT_EQ(appender_append(a, 0, ls, 1000, 1, &ref, NULL), 0);
	ASSERT_EQ(appender_commit(a, NULL), 0);
	ASSERT_EQ(web_env_init(env, NULL, NULL), 0);
	env->queryable = head_queryable(h);
	promql_engine_opts eo;
	promql_engine_opts_default(&eo);
	env->engine = promql_engine_new(&eo);
	env->engine_opts = eo;
	return h;
}

static void em_call(web_env *env, http_handler fn, http_param *ps, size_t n, http_resp *w)
{
	arena a;
	arena_init(&a);
	http_req r;
	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.path = "/x";
	r.params = ps;
	r.n_params = n;
	r.arena = &a;
	memset(w, 0, sizeof *w);
	w->status = 200;
	buf_init(&w->body);
	fn(env, &r, w);
	arena_reset(&a);
}

/* The value after "line " at the start of a line of m, or NAN with *found false. */
static double em_value(const char *m, const char *line, bool *found)
{
	char pat[256];
	snprintf(pat, sizeof pat, "\n%s ", line);
	const char *p = strstr(m, pat);
	*found = p != NULL;
	return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* promtool check metrics < page: 0 when clean or promtool is absent. */
static int em_promtool(const char *m, char *out, size_t cap)
{
	if (system("command -v promtool >/dev/null 2>&1"))
		return 0;
	char path[512], cmd[1200];
	snprintf(path, sizeof path, "%s/metrics.txt", test_tmpdir());
	FILE *f = fopen(path, "w");
	ASSERT(f != NULL);
	fputs(m, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
	FILE *p = popen(cmd, "r");
	ASSERT(p != NULL);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	int st = pclose(p);
	return st || n ? 1 : 0;
}

static void engine_query_duration_summary(void)
{
	web_env env;
	head *h = em_seed(&env);
	http_resp w;
	enum { N = 7 };
	for (int i = 0; i < N; i++) {
		http_param q[] = {{"query", i % 2 ? "sum(up)" : "up"}, {"time", "1.5"}};
		em_call(&env, api_query_handler, q, 2, &w);
		ASSERT_EQ(w.status, 200);
		buf_reset(&w.body);
	}
	em_call(&env, self_metrics_handler, NULL, 0, &w);
	const char *m = buf_cstr(&w.body);
	ASSERT(strstr(m, "\n# HELP prometheus_engine_query_duration_seconds Query timings\n"
			 "# TYPE prometheus_engine_query_duration_seconds summary\n") != NULL);
	static const char *const slices[] = {"inner_eval", "prepare_time", "queue_time", "result_sort"};
	static const char *const qs[] = {"0.5", "0.9", "0.99"};
	for (size_t s = 0; s < FL_ARRAY_LEN(slices); s++) {
		char line[160];
		bool found;
		snprintf(line, sizeof line, "prometheus_engine_query_duration_seconds_count{slice=\"%s\"}", slices[s]);
		ASSERT_EQ(em_value(m, line, &found), N);
		ASSERT(found);
		snprintf(line, sizeof line, "prometheus_engine_query_duration_seconds_sum{slice=\"%s\"}", slices[s]);
		double sum = em_value(m, line, &found);
		ASSERT(found && sum >= 0 && sum < 10);
		double prev = 0;
		for (size_t q = 0; q < FL_ARRAY_LEN(qs); q++) {
			snprintf(line, sizeof line, "prometheus_engine_query_duration_seconds{slice=\"%s\",quantile=\"%s\"}",
				 slices[s], qs[q]);
			double v = em_value(m, line, &found);
			ASSERT(found && isfinite(v) && v >= prev && v <= sum);
			prev = v;
		}
	}
	ASSERT(strstr(m, "\nprometheus_engine_queries 0\n") != NULL);
	ASSERT(strstr(m, "\nprometheus_engine_queries_concurrent_max ") != NULL);
	ASSERT(strstr(m, "\n# TYPE prometheus_engine_query_log_enabled gauge\nprometheus_engine_query_log_enabled 0\n") != NULL);
	/* families in name order, as client_golang gathers them */
	const char *a = strstr(m, "# TYPE prometheus_engine_queries_concurrent_max ");
	const char *b = strstr(m, "# TYPE prometheus_engine_query_duration_seconds ");
	const char *c = strstr(m, "# TYPE prometheus_engine_query_log_enabled ");
	ASSERT(a && b && c && a < b && b < c);
	char out[4096];
	if (em_promtool(m, out, sizeof out))
		test_fail(__FILE__, __LINE__, "promtool check metrics: %s", out);
	buf_reset(&w.body);
	promql_engine_free(env.engine);
	web_env_destroy(&env);
	head_close(h);
}

/* An empty recorder writes NaN quantiles and zero sum/count for every slice. */
static void engine_query_duration_empty(void)
{
	static query_durations qd;
	buf b;
	buf_init(&b);
	qd_write(&qd, &b);
	const char *m = buf_cstr(&b);
	ASSERT(strstr(m, "prometheus_engine_query_duration_seconds{slice=\"result_sort\",quantile=\"0.99\"} NaN\n") != NULL);
	ASSERT(strstr(m, "prometheus_engine_query_duration_seconds_count{slice=\"queue_time\"} 0\n") != NULL);
	for (int i = 1; i <= 1000; i++)
		qd_observe(&qd, QD_INNER_EVAL, i / 1000.0);
	buf_reset(&b);
	qd_write(&qd, &b);
	m = buf_cstr(&b);
	/* the ring keeps the last 512: 0.489 .. 1.0 */
	ASSERT(strstr(m, "prometheus_engine_query_duration_seconds{slice=\"inner_eval\",quantile=\"0.5\"} 0.744\n") != NULL);
	ASSERT(strstr(m, "prometheus_engine_query_duration_seconds_sum{slice=\"inner_eval\"} 500.5") != NULL);
	ASSERT(strstr(m, "prometheus_engine_query_duration_seconds_count{slice=\"inner_eval\"} 1000\n") != NULL);
	buf_reset(&b);
}

const struct test tests_engine_metrics[] = {
	{"engine_query_duration_summary", engine_query_duration_summary},
	{"engine_query_duration_empty", engine_query_duration_empty},
	{NULL, NULL},
};
