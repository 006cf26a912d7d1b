/*
 * bench_replay.c - WAL replay speed at open: write a WAL of N series with
 * S samples each through the db (one commit per BATCH appends, as remote
 * write would), close it cleanly, then time db_open, which replays it.
 *
 * Default 1,000,000 series x 10 samples (10M samples). Environment:
 *   BENCH_REPLAY_SERIES   series (default 1000000)
 *   BENCH_REPLAY_SAMPLES  samples per series (default 10)
 *   BENCH_DIR             scratch directory (default a fresh /tmp dir)
 * Prints the write and replay times (wall, and the replay's CPU time, which
 * is steadier on a shared machine) and seconds per million series.
 * Prometheus takes minutes to replay a WAL of a few million series.
 */
#include "lib/log.h"
#include "tsdb/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BATCH 10000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 10) : def;
}

/* Append one round of samples (one per series) at time t. */
static int write_round(db *d, series_ref *refs, long n_series, int64_t t, int round, err *e)
{
	appender *a = NULL;
	for (long i = 0; i < n_series; i++) {
		if (!a && !(a = db_appender(d)))
			return err_set(e, FL_ENOMEM, "no appender");
		char inst[32], ser[32];
		snprintf(inst, sizeof inst, "host-%ld:9100", i % 1000);
		snprintf(ser, sizeof ser, "%ld", i);
		label lv[4] = {{"__name__", "bench_replay_metric"}, {"instance", inst}, {"job", "bench"}, {"series", ser}};
		labels ls = {lv, 4};
		series_ref out = 0;
		int rc = appender_append(a, refs[i], ls, t, (double)(round * 7 + i % 13), &out, e);
		if (rc) {
			appender_rollback(a);
			return rc;
		}
		refs[i] = out;
		if ((i + 1) % BATCH == 0 || i + 1 == n_series) {
			if ((rc = appender_commit(a, e)))
				return rc;
			a = NULL;
		}
	}
	return 0;
}

int main(void)
{
	long n_series = env_long("BENCH_REPLAY_SERIES", 1000000);
	long n_samples = env_long("BENCH_REPLAY_SAMPLES", 10);
	char tmpl[] = "/tmp/flint-bench-replay.XXXXXX";
	const char *dir = getenv("BENCH_DIR");
	if (!dir && !(dir = mkdtemp(tmpl))) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(LOG_WARN);
	err e;
	err_clear(&e);
	db_opts o;
	db_opts_default(&o);
	series_ref *refs = calloc((size_t)n_series, sizeof *refs);
	db *d = refs ? db_open(dir, &o, &e) : NULL;
	if (!d) {
		fprintf(stderr, "bench_replay: open %s: %s\n", dir, e.msg);
		return 1;
	}
	double t0 = now_s(), c0 = cpu_s();
	int64_t base = 1700000000000;
	for (long r = 0; r < n_samples; r++)
		if (write_round(d, refs, n_series, base + r * 15000, (int)r, &e)) {
			fprintf(stderr, "bench_replay: write: %s\n", e.msg);
			return 1;
		}
	db_close(d);
	double t1 = now_s(), c1 = cpu_s();
	d = db_open(dir, &o, &e);
	double t2 = now_s(), c2 = cpu_s();
	if (!d) {
		fprintf(stderr, "bench_replay: reopen: %s\n", e.msg);
		return 1;
	}
	db_stats st;
	db_get_stats(d, &st);
	db_close(d);
	char cmd[4200];
	if (!getenv("BENCH_DIR")) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_replay: could not remove %s\n", dir);
	}
	free(refs);
	double replay = t2 - t1;
	double mser = (double)n_series / 1e6;
	printf("wal write:  %ld series x %ld samples through the db: %.2f s wall, %.2f s CPU (%.0f samples/CPU-s)\n",
	       n_series, n_samples, t1 - t0, c1 - c0, (double)(n_series * n_samples) / (c1 - c0));
	printf("wal replay: %" PRId64 " series, %" PRId64 " samples (+ %" PRId64 " in m-mapped chunks_head/ chunks): "
	       "%.2f s wall, %.2f s CPU\n",
	       st.head_series, st.replay_samples, st.replay_in_mmapped, replay, c2 - c1);
	printf("  per million series: %.2f s wall, %.2f s CPU (aim < 10 s; Prometheus: minutes at this scale)\n",
	       replay / mser, (c2 - c1) / mser);
	/* every WAL sample is replayed or already in an m-mapped head chunk */
	if (st.head_series != n_series || st.replay_samples + st.replay_in_mmapped != n_series * n_samples) {
		fprintf(stderr, "bench_replay: replayed %" PRId64 " series, %" PRId64 " samples; want %ld, %ld\n",
			st.head_series, st.replay_samples + st.replay_in_mmapped, n_series, n_series * n_samples);
		return 1;
	}
	return 0;
}
