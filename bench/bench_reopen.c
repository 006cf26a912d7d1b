/*
 * bench_reopen.c - restart time on an existing data directory: time
 * db_open (blocks loaded, head chunks read, WAL replayed), print what the
 * replay did, close. Opening writes (a new WAL segment, head chunks cut
 * during replay), so run it on a copy:
 *
 *   bench_reopen DIR     (e.g. a directory bench_pgen wrote, copied with cp -a)
 *   bench_reopen         (what `make bench` runs) says what it is for and exits.
 *
 * Prints the wall and CPU time of the open and the replay's own time
 * (db_stats.replay_ms), series and samples replayed, and RSS after.
 */
#include "lib/log.h"
#include "tsdb/db.h"
#include "bench/bench_clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		printf("bench_reopen DIR: times db_open (restart) on a copy of a data directory (see bench_pgen)\n");
		return 0;
	}
	log_set_level(LOG_WARN);
	db_opts o;
	db_opts_default(&o);
	o.maintenance_interval_ms = 0;
	err e;
	err_clear(&e);
	double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	db *d = db_open(argv[1], &o, &e);
	double w1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	if (!d) {
		fprintf(stderr, "bench_reopen: %s\n", e.msg);
		return 1;
	}
	db_stats s;
	db_get_stats(d, &s);
	printf("bench_reopen: open %.2f s wall, %.2f s CPU; replay %.2f s: %" PRId64 " series, %" PRId64
	       " samples, %" PRId64 " in m-mapped chunks; head %" PRId64 " series %" PRId64 " chunks; %" PRId64
	       " blocks; RSS %ld MiB\n",
	       w1 - w0, c1 - c0, (double)s.replay_ms / 1000, s.replay_series, s.replay_samples, s.replay_in_mmapped,
	       s.head_series, s.head_chunks, s.blocks_loaded, rss_kb() / 1024);
	db_close(d);
	return 0;
}
