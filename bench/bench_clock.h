/*
 * bench_clock.h - the clocks and the memory gauge the in-process benchmarks
 * read: wall time, process and thread CPU time, and resident set size.
 */
#ifndef FL_BENCH_CLOCK_H
#define FL_BENCH_CLOCK_H

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static inline double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time (monotonic), seconds. */
static inline double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of the whole process (user + system, every thread), seconds. */
static inline double proc_cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }
/* CPU time of the calling thread, seconds: robust to a busy machine. */
static inline double thread_cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

/* Resident set size in bytes (/proc/self/statm), 0 when unreadable. */
static inline long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

#endif
