/*
 * bench_wal.c - WAL throughput: writing samples records of 1,000 samples
 * (encode + fragment + CRC + write, snappy off and on) and reading them
 * back (read + CRC + decompress + decode). A few seconds at most; the data
 * goes to a temporary directory that is removed at the end. Each line gives
 * rates per wall second and, in brackets, per CPU second.
 *
 *   build/rel/bench/bench_wal
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tsdb/record.h"
#include "tsdb/wal.h"
#include "bench/bench_clock.h"

#define SAMPLES_PER_REC 1000
#define MAX_BYTES (64 << 20) /* per mode: bounded disk use */
#define MAX_SECONDS 1.0


static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU seconds of this process: the machine may be shared, so rates are
 * also given per CPU second (user + system, the write syscalls included). */
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* One scrape-like batch: 1,000 series, same timestamp, gauge-ish values. */
static void make_samples(record_sample *s, int round)
{
	for (int i = 0; i < SAMPLES_PER_REC; i++) {
		s[i].ref = (uint64_t)(i + 1);
		s[i].t = 1700000000000 + (int64_t)round * 15000;
		s[i].v = (i % 3 == 0) ? (double)(round * 10 + i) : 1000.0 / (i + round + 1);
	}
}

static int bench_write(const char *dir, bool compress, int *n_recs)
{
	wal_opts o = {.compress = compress};
	err e;
	wal *w = wal_open(dir, &o, &e);
	if (!w) {
		fprintf(stderr, "bench_wal: %s\n", e.msg);
		return 1;
	}
	record_sample s[SAMPLES_PER_REC];
	buf b;
	buf_init(&b);
	size_t in_bytes = 0;
	int n = 0;
	double t0 = now(), c0 = cpu(), el = 0;
	while (in_bytes < MAX_BYTES && (el = now() - t0) < MAX_SECONDS) {
		make_samples(s, n);
		buf_clear(&b);
		record_encode_samples(&b, s, SAMPLES_PER_REC);
		if (wal_log1(w, b.p, b.len, &e)) {
			fprintf(stderr, "bench_wal: %s\n", e.msg);
			return 1;
		}
		in_bytes += b.len;
		n++;
	}
	wal_stats st;
	wal_get_stats(w, &st);
	wal_close(w, &e);
	el = now() - t0;
	double ce = cpu() - c0;
	printf("wal write %-6s %5d records of %d samples: %6.1f MB/s in (%6.1f/cpu-s), %6.1f MB/s to disk, "
	       "%7.0f records/s (%7.0f/cpu-s), %5.2fM samples/s (%5.2fM/cpu-s)\n",
	       compress ? "snappy" : "plain", n, SAMPLES_PER_REC, in_bytes / el / 1e6, in_bytes / ce / 1e6,
	       st.bytes_written / el / 1e6, n / el, n / ce, (double)n * SAMPLES_PER_REC / el / 1e6,
	       (double)n * SAMPLES_PER_REC / ce / 1e6);
	buf_reset(&b);
	*n_recs = n;
	return 0;
}

static int bench_read(const char *dir, bool compress, int want)
{
	err e;
	wal_segment_range g = {dir, -1, -1};
	double t0 = now(), c0 = cpu();
	wal_reader *r = wal_reader_open(&g, 1, &e);
	if (!r)
		return 1;
	arena a;
	arena_init(&a);
	const uint8_t *rec;
	size_t len, n;
	long long samples = 0, bytes = 0;
	int recs = 0, rc;
	while ((rc = wal_reader_next(r, &rec, &len, &e)) == 1) {
		record_sample *s;
		if (record_decode_samples(rec, len, &a, &s, &n, &e))
			break;
		samples += (long long)n;
		bytes += (long long)len;
		recs++;
		arena_reset(&a);
	}
	double el = now() - t0, ce = cpu() - c0;
	wal_reader_close(r);
	if (rc != 0 || recs != want) {
		fprintf(stderr, "bench_wal: read %d of %d records: %s\n", recs, want, e.msg);
		return 1;
	}
	printf("wal read  %-6s %5d records, decoded: %6.1f MB/s out (%6.1f/cpu-s), %5.2fM samples/s (%5.2fM/cpu-s)\n",
	       compress ? "snappy" : "plain", recs, bytes / el / 1e6, bytes / ce / 1e6, samples / el / 1e6,
	       samples / ce / 1e6);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/flint-bench-wal-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	int rc = 0;
	for (int c = 0; c < 2 && rc == 0; c++) {
		char sub[64];
		snprintf(sub, sizeof sub, "%s/%s", dir, c ? "snappy" : "plain");
		int n = 0;
		rc = bench_write(sub, c, &n);
		if (rc == 0)
			rc = bench_read(sub, c, n);
	}
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
