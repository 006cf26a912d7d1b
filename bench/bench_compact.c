/*
 * bench_compact.c - one block compaction in a process of its own, for
 * measuring the compaction's own memory and CPU (bench/persist_scale.sh
 * measures it inside the server, beside the head):
 *
 *   bench_compact OUT BLOCK...
 *       opens the blocks, compacts them into one new block under OUT
 *       (compact_blocks, what the db's compaction runs) and prints the
 *       RSS before, the peak RSS during (VmHWM, reset just before), its
 *       rise, the CPU seconds and the new block's stats; a thread samples
 *       RssAnon and RssFile every 5 ms, so the peaks of the heap and of
 *       the mapped input files are also printed apart.
 *   bench_compact
 *       (what `make bench` runs) says what it is for and exits.
 */
#include "lib/log.h"
#include "tsdb/compact.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The value of "Key:" in /proc/self/status, in KiB (0 if absent). */
static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = 0;
	size_t n = strlen(key);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static volatile int sampling = 1;
static long peak_anon, peak_file;

static void *sampler(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 5 * 1000 * 1000};
	while (sampling) {
		long a = status_kb("RssAnon"), f = status_kb("RssFile");
		peak_anon = a > peak_anon ? a : peak_anon;
		peak_file = f > peak_file ? f : peak_file;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	if (argc == 1) {
		printf("bench_compact: compacts blocks given on its command line (run by hand)\n");
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: bench_compact OUT BLOCK...\n");
		return 2;
	}
	log_set_level(LOG_WARN);
	size_t n = (size_t)argc - 2;
	block **bs = calloc(n, sizeof *bs);
	err e;
	err_clear(&e);
	for (size_t i = 0; bs && i < n; i++)
		if (!(bs[i] = block_open(argv[i + 2], &e))) {
			fprintf(stderr, "bench_compact: %s: %s\n", argv[i + 2], e.msg);
			return 1;
		}
	if (!bs)
		return 1;
	long rss0 = status_kb("VmRSS");
	FILE *cr = fopen("/proc/self/clear_refs", "w");
	if (cr) {
		fputs("5", cr); /* VmHWM := VmRSS */
		fclose(cr);
	}
	long anon0 = status_kb("RssAnon"), file0 = status_kb("RssFile");
	pthread_t th;
	bool have_th = pthread_create(&th, NULL, sampler, NULL) == 0;
	double c0 = cpu_s();
	block_meta m;
	int rc = compact_blocks(bs, n, argv[1], &m, &e);
	double c1 = cpu_s();
	long hwm = status_kb("VmHWM");
	sampling = 0;
	if (have_th)
		pthread_join(th, NULL);
	for (size_t i = 0; i < n; i++)
		block_close(bs[i]);
	free(bs);
	if (rc) {
		fprintf(stderr, "bench_compact: %s\n", e.msg);
		return 1;
	}
	printf("bench_compact: %s: %" PRIu64 " series, %" PRIu64 " chunks, %" PRIu64 " samples\n", m.ulid,
	       m.num_series, m.num_chunks, m.num_samples);
	printf("bench_compact: RSS before %ld MiB, peak %ld MiB, rise %ld MiB, CPU %.2f s\n", rss0 / 1024, hwm / 1024,
	       (hwm - rss0) / 1024, c1 - c0);
	printf("bench_compact: sampled peaks: heap (RssAnon) %ld -> %ld MiB, mapped files (RssFile) %ld -> %ld MiB\n",
	       anon0 / 1024, peak_anon / 1024, file0 / 1024, peak_file / 1024);
	return 0;
}
