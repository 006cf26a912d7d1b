/*
 * bench_agent.c - agent storage figures for `make bench` (printed, not
 * asserted): N series (BENCH_AGENT_SERIES, default 200,000; node_exporter-
 * like label sets, 6 labels) created by labels, 1000 per commit, then
 * BENCH_AGENT_ROUNDS (default 20) rounds of one sample per series through
 * cached refs (the scrape path), 1000 per commit:
 *   1. new-series rate and append throughput (samples per CPU-second,
 *      getrusage user+sys);
 *   2. memory per tracked series (RSS growth / N) and WAL bytes per sample;
 *   3. restart: replay of that WAL (seconds, series per second).
 * The WAL is snappy-compressed (the agent's default), in a temporary
 * directory removed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "tsdb/agent.h"
#include "bench/bench_clock.h"




static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? atol(v) : dflt;
}

static agent_db *open_or_die(const char *dir)
{
	agent_opts o = {.wal_compression = true, .no_truncate_thread = true};
	err e;
	agent_db *a = agent_open(dir, &o, &e);
	if (!a) {
		fprintf(stderr, "bench_agent: %s\n", e.msg);
		exit(1);
	}
	return a;
}

int main(void)
{
	long n = env_long("BENCH_AGENT_SERIES", 200000), rounds = env_long("BENCH_AGENT_ROUNDS", 20);
	char dir[] = "/tmp/bench_agent.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	series_ref *refs = calloc((size_t)n, sizeof *refs);
	if (!refs)
		return 1;
	double rss0 = rss_bytes();
	agent_db *a = open_or_die(dir);
	err e;
	double t0 = now_s(), c0 = proc_cpu_s();
	appender *app = NULL;
	for (long i = 0; i < n; i++) {
		char name[32], inst[32];
		snprintf(name, sizeof name, "node_metric_%ld", i % 200);
		snprintf(inst, sizeof inst, "10.0.%ld.%ld:9100", (i / 200) / 250, (i / 200) % 250);
		label l[6] = {{"__name__", name}, {"cluster", "bench"}, {"env", "prod"},
			      {"instance", inst}, {"job", "node"}, {"region", "eu-west-1"}};
		if (!app)
			app = agent_appender(a);
		if (appender_append(app, 0, (labels){l, 6}, 1000, (double)i, &refs[i], &e))
			return fprintf(stderr, "bench_agent: %s\n", e.msg), 1;
		if (i % 1000 == 999 || i == n - 1) {
			appender_commit(app, &e);
			app = NULL;
		}
	}
	double t_new = now_s() - t0, c_new = proc_cpu_s() - c0;
	t0 = now_s(), c0 = proc_cpu_s();
	for (long r = 1; r <= rounds; r++)
		for (long i = 0; i < n; i++) {
			if (!app)
				app = agent_appender(a);
			appender_append(app, refs[i], (labels){0}, 1000 + r * 15000, (double)(i + r), NULL, &e);
			if (i % 1000 == 999 || i == n - 1) {
				appender_commit(app, &e);
				app = NULL;
			}
		}
	double t_app = now_s() - t0, c_app = proc_cpu_s() - c0;
	double per_series = (rss_bytes() - rss0) / (double)n;
	agent_stats st;
	agent_get_stats(a, &st);
	agent_close(a);
	char waldir[64];
	snprintf(waldir, sizeof waldir, "%s/wal", dir);
	double wal = (double)fsutil_dir_size(waldir);
	double samples = (double)n * (double)(rounds + 1);
	t0 = now_s();
	a = open_or_die(dir);
	double t_replay = now_s() - t0;
	agent_close(a);
	printf("agent: %ld new series in %.2f s (%.0f series/CPU-s)\n", n, t_new, (double)n / c_new);
	printf("agent: %ld rounds x %ld series by ref: %.2f s, %.2f M samples/CPU-s\n", rounds, n, t_app,
	       (double)n * (double)rounds / c_app / 1e6);
	printf("agent: RSS per tracked series %.0f B; WAL %.2f B per sample (%.1f MB, %lld series)\n", per_series,
	       wal / samples, wal / 1e6, (long long)st.active_series);
	printf("agent: replay of that WAL %.2f s (%.0f k series/s)\n", t_replay, (double)n / t_replay / 1e3);
	fsutil_remove_all(dir, NULL);
	free(refs);
	return 0;
}
