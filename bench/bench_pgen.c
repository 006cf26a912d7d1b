/*
 * bench_pgen.c - writes a data directory for bench/persist_scale.sh through
 * the db itself (appender, WAL, head chunks, head compaction), faster than
 * remote write at a million series and the same bytes a server would write:
 *
 *   bench_pgen DIR SERIES STEP_S START_MS END_MS
 *       SERIES series, one sample each every STEP_S seconds at times
 *       START_MS, START_MS + STEP_S, ... < END_MS, appended round by round
 *       (10,000 appends a commit, by cached ref). db_compact runs after every
 *       half hour of data, with the maximum block duration equal to the 2 h
 *       minimum: the head cuts level-1 2 h blocks as Prometheus's head does
 *       (when it spans 1.5 x 2 h) and no block is compacted further, so the
 *       directory ends as 2 h blocks, a head of the last 1-3 h (WAL,
 *       checkpoint, chunks_head/) and a clean WAL close. Prints what it wrote.
 *   bench_pgen
 *       (what `make bench` runs) says what it is for and exits.
 *
 * Series i: {__name__="bench_metric_<i % 100>", instance="host-<i / 100 % 1000>",
 *            job="bench", series="<i>"} (bench_remote's), value a counter.
 */
#include "lib/log.h"
#include "tsdb/db.h"
#include "bench/bench_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 10000
#define COMPACT_EVERY_MS (30 * 60 * 1000)


/* One round: a sample at t for each series (refs learned on the first). */
static int write_round(db *d, series_ref *refs, long n_series, int64_t t, long round, err *e)
{
	appender *a = NULL;
	for (long i = 0; i < n_series; i++) {
		if (!a && !(a = db_appender(d)))
			return err_set(e, FL_ENOMEM, "no appender");
		char name[32], inst[32], ser[24];
		snprintf(name, sizeof name, "bench_metric_%ld", i % 100);
		snprintf(inst, sizeof inst, "host-%ld", i / 100 % 1000);
		snprintf(ser, sizeof ser, "%ld", i);
		label lv[4] = {{"__name__", name}, {"instance", inst}, {"job", "bench"}, {"series", ser}};
		int rc = appender_append(a, refs[i], (labels){lv, 4}, t, (double)(round * (i % 7 + 1) + i % 13), &refs[i], e);
		if (rc) {
			appender_rollback(a);
			return rc;
		}
		if ((i + 1) % BATCH == 0 || i + 1 == n_series) {
			if ((rc = appender_commit(a, e)))
				return rc;
			a = NULL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 1) {
		printf("bench_pgen: the data generator of bench/persist_scale.sh (run there)\n");
		return 0;
	}
	if (argc != 6) {
		fprintf(stderr, "usage: bench_pgen DIR SERIES STEP_S START_MS END_MS\n");
		return 2;
	}
	const char *dir = argv[1];
	long n_series = strtol(argv[2], NULL, 10), step_ms = strtol(argv[3], NULL, 10) * 1000;
	int64_t start = strtoll(argv[4], NULL, 10), end = strtoll(argv[5], NULL, 10);
	if (n_series <= 0 || step_ms <= 0 || end <= start) {
		fprintf(stderr, "bench_pgen: bad arguments\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	err e;
	err_clear(&e);
	db_opts o;
	db_opts_default(&o);
	o.max_block_duration_ms = o.chunk_range_ms; /* level-1 blocks only: the servers compact them */
	series_ref *refs = calloc((size_t)n_series, sizeof *refs);
	db *d = refs ? db_open(dir, &o, &e) : NULL;
	if (!d) {
		fprintf(stderr, "bench_pgen: open %s: %s\n", dir, e.msg);
		return 1;
	}
	double t0 = now_s();
	long rounds = 0;
	int64_t next_compact = start + COMPACT_EVERY_MS;
	for (int64_t t = start; t < end; t += step_ms, rounds++) {
		if (write_round(d, refs, n_series, t, rounds, &e)) {
			fprintf(stderr, "bench_pgen: write at %" PRId64 ": %s\n", t, e.msg);
			return 1;
		}
		if (t >= next_compact) {
			next_compact += COMPACT_EVERY_MS;
			if (db_compact(d, &e)) {
				fprintf(stderr, "bench_pgen: compact: %s\n", e.msg);
				return 1;
			}
		}
	}
	if (db_compact(d, &e)) {
		fprintf(stderr, "bench_pgen: compact: %s\n", e.msg);
		return 1;
	}
	db_stats st;
	db_get_stats(d, &st);
	db_close(d);
	free(refs);
	printf("bench_pgen: %ld series x %ld samples (%ld s apart) in %.1f s: %" PRId64 " blocks, head of %" PRId64
	       " series from %" PRId64 " to %" PRId64 "\n",
	       n_series, rounds, step_ms / 1000, now_s() - t0, st.blocks_loaded, st.head_series, st.head_min_time,
	       st.head_max_time);
	return 0;
}
