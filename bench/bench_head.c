/*
 * bench_head.c - head figures for `make bench` (printed, not asserted):
 *   1. new-series append rate: N series created through the appender by
 *      labels, 1000 per commit (a scrape's worth);
 *   2. append throughput into existing series: rounds of one sample per
 *      series through cached refs (the scrape path), samples per CPU-second
 *      (getrusage user+sys), beside Prometheus's published figures;
 *   3. head memory per active series: RSS growth over phases 1-2 / N;
 *   4. one more round appended by labels (remote write's path);
 *   5. BENCH_HEAD_FULL_ROUNDS (default 130) more rounds, so that every
 *      series cuts a full chunk into chunks_head/ (a temporary directory):
 *      RSS per series with the full chunks mmapped (issue 15; Prometheus
 *      2.42 measured ~3.9 KB here, the aim is <= 450 B): just after the
 *      cut (the open chunks' high-water mark) and after
 *      head_release_memory, which the db's maintenance runs every minute;
 *      and how much of it the head's slab pool holds (tsdb/head_mem.c).
 * N = BENCH_HEAD_SERIES (default 1,000,000), rounds = BENCH_HEAD_ROUNDS
 * (default 20). Label sets look like node_exporter targets: 200 metric
 * names x N/200 instances, 6 labels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tsdb/head.h"
#include "bench/bench_clock.h"




static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 10) : def;
}

/* The labels of series i (strings in bufs, valid until the next call). */
static labels series_labels(long i, label *l, char bufs[2][48])
{
	static const char *regions[] = {"eu-west-1", "eu-central-1", "us-east-1", "us-west-2",
					"ap-south-1", "ap-northeast-1", "sa-east-1", "ca-central-1"};
	long host = i / 200;
	snprintf(bufs[0], 48, "node_metric_%ld_total", i % 200);
	snprintf(bufs[1], 48, "host-%ld.example.net:9100", host);
	l[0] = (label){"__name__", bufs[0]};
	l[1] = (label){"env", host % 3 ? "prod" : "staging"};
	l[2] = (label){"instance", bufs[1]};
	l[3] = (label){"job", "node"};
	l[4] = (label){"region", regions[host % 8]};
	l[5] = (label){"team", host % 2 ? "infra" : "platform"};
	return (labels){l, 6};
}

/* Rounds [from, to) of one sample per series by cached ref, 15 s apart,
 * 1000 per commit (the scrape path). 0, or 1 after printing the error. */
static int append_rounds(head *h, const series_ref *refs, long n, long from, long to, int64_t t0)
{
	err e;
	for (long r = from; r < to; r++) {
		appender *a = head_appender(h);
		for (long i = 0; i < n; i++) {
			if (appender_append(a, refs[i], (labels){NULL, 0}, t0 + r * 15000, (double)(i + r), NULL, &e)) {
				fprintf(stderr, "bench_head: append by ref: %s\n", e.msg);
				return 1;
			}
			if (i % 1000 == 999) {
				appender_commit(a, &e);
				a = head_appender(h);
			}
		}
		appender_commit(a, &e);
	}
	return 0;
}

int main(void)
{
	long n = env_long("BENCH_HEAD_SERIES", 1000000), rounds = env_long("BENCH_HEAD_ROUNDS", 20);
	long full_rounds = env_long("BENCH_HEAD_FULL_ROUNDS", 130);
	err e;
	char cdir[] = "/tmp/flint-bench-head.XXXXXX";
	if (!mkdtemp(cdir)) {
		perror("bench_head: mkdtemp");
		return 1;
	}
	long rss0 = rss_bytes();
	head_opts o = {.chunks_dir = cdir};
	head *h = head_open(&o, &e);
	series_ref *refs = malloc((size_t)n * sizeof *refs);
	if (!h || !refs) {
		fprintf(stderr, "bench_head: %s\n", h ? "out of memory" : e.msg);
		return 1;
	}
	int64_t t0 = 1700000000000;

	double w0 = now_s(), cc0 = proc_cpu_s();
	appender *a = head_appender(h);
	for (long i = 0; i < n; i++) {
		label l[6];
		char bufs[2][48];
		if (appender_append(a, 0, series_labels(i, l, bufs), t0, (double)i, &refs[i], &e)) {
			fprintf(stderr, "bench_head: append: %s\n", e.msg);
			return 1;
		}
		if (i % 1000 == 999) {
			appender_commit(a, &e);
			a = head_appender(h);
		}
	}
	appender_commit(a, &e);
	double create_s = now_s() - w0, create_cpu = proc_cpu_s() - cc0;

	double c0 = proc_cpu_s();
	w0 = now_s();
	if (append_rounds(h, refs, n, 1, rounds + 1, t0))
		return 1;
	double app_cpu = proc_cpu_s() - c0, app_wall = now_s() - w0;
	long rss1 = rss_bytes();
	double heap1 = (double)fl_alloc_bytes() / (double)n;

	/* One more round by labels, as remote write appends (no ref cache). */
	double l0 = proc_cpu_s();
	a = head_appender(h);
	for (long i = 0; i < n; i++) {
		label l[6];
		char bufs[2][48];
		if (appender_append(a, 0, series_labels(i, l, bufs), t0 + (rounds + 1) * 15000, 1, NULL, &e)) {
			fprintf(stderr, "bench_head: append by labels: %s\n", e.msg);
			return 1;
		}
		if (i % 1000 == 999) {
			appender_commit(a, &e);
			a = head_appender(h);
		}
	}
	appender_commit(a, &e);
	double lab_cpu = proc_cpu_s() - l0;
	head_stats st;
	head_get_stats(h, &st);
	int64_t samples4 = st.samples_appended, chunks4 = st.chunks;

	/* 5. rounds until every series has cut a full chunk to chunks_head/ */
	if (append_rounds(h, refs, n, rounds + 2, rounds + 2 + full_rounds, t0))
		return 1;
	long rss2 = rss_bytes();
	double heap2 = (double)fl_alloc_bytes() / (double)n;
	/* what the db's maintenance does every round (head.h) */
	double tr0 = now_s();
	head_release_memory(h);
	double trim_s = now_s() - tr0;
	long rss3 = rss_bytes();
	head_stats st2;
	head_get_stats(h, &st2);

	double per_series = (double)(rss1 - rss0) / (double)n;
	double sps = (double)(n * rounds) / app_cpu;
	printf("head: %ld series, %ld samples each (%lld samples, %lld chunks)\n", n, rounds + 2,
	       (long long)samples4, (long long)chunks4);
	printf("  new series:        %10.0f series/CPU-s    (%.2f s CPU, %.2f s wall)\n", (double)n / create_cpu,
	       create_cpu, create_s);
	printf("  append (by ref):   %10.0f samples/CPU-s   (%.2f s CPU, %.2f s wall)\n", sps, app_cpu, app_wall);
	printf("    vs Prometheus 3.x ~175k (%.1fx), 2.42 ~330k (%.1fx), Prom++ ~670k (%.1fx); aim >= 1M\n",
	       sps / 175e3, sps / 330e3, sps / 670e3);
	printf("  append (by labels):%10.0f samples/CPU-s   (remote write's path; %.2f s CPU)\n", (double)n / lab_cpu,
	       lab_cpu);
	printf("  memory:            %10.0f B/series (RSS growth %.1f MiB; fl heap %.0f B/series)\n", per_series,
	       (double)(rss1 - rss0) / 1048576.0, heap1);
	printf("    vs Prometheus 3.x ~2.8 KiB (%.1fx less), Prom++ 478-493 B; aim < 500 B\n", 2867.0 / per_series);
	double per_full = (double)(rss2 - rss0) / (double)n;
	printf("  with full chunks:  %10.0f B/series after %ld samples each (fl heap %.0f B/series; %lld chunks, "
	       "%.1f per series, %.1f MiB in chunks_head/ mmapped)\n",
	       per_full, rounds + 2 + full_rounds, heap2, (long long)st2.chunks, (double)st2.chunks / (double)n,
	       (double)st2.chunks_disk_bytes / 1048576.0);
	double per_trim = (double)(rss3 - rss0) / (double)n;
	printf("    after head_release_memory (the db's maintenance, every minute): %.0f B/series (took %.3f s)\n",
	       per_trim, trim_s);
	printf("    of which the head's slabs (series, open-chunk buffers, closed-chunk lists): %.0f B/series "
	       "(%.0f B of objects), %.1f MiB of empty slabs kept\n",
	       (double)st2.mem_slab_bytes / (double)n, (double)st2.mem_live_bytes / (double)n,
	       (double)st2.mem_empty_bytes / 1048576.0);
	printf("    vs Prometheus 2.42 ~3.9 KB (%.1fx less); aim <= 450 B\n", 3900.0 / per_trim);
	head_close(h);
	free(refs);
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf %s", cdir);
	if (system(rm) != 0)
		fprintf(stderr, "bench_head: could not remove %s\n", cdir);
	return 0;
}
