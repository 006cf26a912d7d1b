/*
 * bench_rw_encode.c - the remote-write sender's CPU alone (issue 18): a
 * WAL written beforehand is tailed by one queue (remote/write.h: watcher,
 * series cache, shards, encoding, snappy, HTTP) and shipped to a receiver
 * running in another process, so this process's CPU is the sender's.
 *
 *   bench_rw_encode URL [SERIES] [ROUNDS] [v2]
 *
 * SERIES series (default 30000, bench_remote's shape with job="rwenc")
 * x ROUNDS samples (default 20), 15 s apart and ending now, logged as the
 * receiver logs a remote-write load: per 2000 series a series record
 * (first round) and a samples record, snappy-compressed. The queue starts
 * on an empty WAL (its position: the end), then the segments are copied
 * in; once prometheus_remote_storage_samples_total reaches the total the
 * CPU since the copy began (getrusage, all threads) and, where the kernel
 * lets us, the user-space instructions (perf_event_open, inherited by the
 * queue's threads) are printed, with samples per CPU-second.
 */
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "remote/write.h"
#include "tsdb/record.h"
#include "tsdb/wal.h"

#define PER_RECORD 2000

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int write_wal(const char *dir, long series, long rounds, int64_t end_ms)
{
	err e = {0};
	wal_opts wo = {.compress = true};
	wal *w = wal_open(dir, &wo, &e);
	if (!w) {
		fprintf(stderr, "bench_rw_encode: %s\n", e.msg);
		return -1;
	}
	record_series *rs = calloc(PER_RECORD, sizeof *rs);
	record_sample *sm = calloc(PER_RECORD, sizeof *sm);
	label *lv = calloc(PER_RECORD * 4, sizeof *lv);
	char(*str)[3][32] = calloc(PER_RECORD, sizeof *str);
	buf b;
	buf_init(&b);
	int rc = 0;
	for (long r = 0; r < rounds && !rc; r++)
		for (long i0 = 0; i0 < series && !rc; i0 += PER_RECORD) {
			long n = series - i0 < PER_RECORD ? series - i0 : PER_RECORD;
			if (r == 0) {
				for (long k = 0; k < n; k++) {
					long i = i0 + k;
					snprintf(str[k][0], 32, "bench_metric_%ld", i % 100);
					snprintf(str[k][1], 32, "host-%ld", i / 100 % 1000);
					snprintf(str[k][2], 32, "%ld", i);
					label *l = &lv[k * 4];
					l[0] = (label){"__name__", str[k][0]};
					l[1] = (label){"instance", str[k][1]};
					l[2] = (label){"job", "rwenc"};
					l[3] = (label){"series", str[k][2]};
					rs[k] = (record_series){(uint64_t)i + 1, {l, 4}};
				}
				buf_clear(&b);
				record_encode_series(&b, rs, (size_t)n);
				rc = wal_log1(w, b.p, b.len, &e);
			}
			for (long k = 0; k < n && !rc; k++) {
				long i = i0 + k;
				sm[k] = (record_sample){(uint64_t)i + 1, end_ms - (rounds - 1 - r) * 15000, (double)(i * 7 + r * 13)};
			}
			buf_clear(&b);
			record_encode_samples(&b, sm, (size_t)n);
			if (!rc)
				rc = wal_log1(w, b.p, b.len, &e);
		}
	if (wal_close(w, &e) && !rc)
		rc = -1;
	if (rc)
		fprintf(stderr, "bench_rw_encode: writing the WAL: %s\n", e.msg);
	buf_reset(&b);
	free(rs);
	free(sm);
	free(lv);
	free(str);
	return rc;
}

/* Append the bytes of file from to file to. */
static int append_file(const char *from, const char *to)
{
	buf b;
	buf_init(&b);
	err e = {0};
	int rc = buf_read_file(&b, from, &e);
	int fd = rc ? -1 : open(to, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0 || write(fd, b.p, b.len) != (ssize_t)b.len)
		rc = -1;
	if (fd >= 0)
		close(fd);
	buf_reset(&b);
	return rc;
}

static double shipped(remote_sender *s)
{
	buf b;
	buf_init(&b);
	remote_sender_metrics(s, &b);
	const char *p = strstr(buf_cstr(&b), "\nprometheus_remote_storage_samples_total{");
	double v = p ? strtod(strchr(p, '}') + 1, NULL) : 0;
	buf_reset(&b);
	return v;
}

static int perf_open(void)
{
	struct perf_event_attr a = {.type = PERF_TYPE_HARDWARE, .size = sizeof a, .config = PERF_COUNT_HW_INSTRUCTIONS,
				    .disabled = 1, .inherit = 1, .exclude_kernel = 1, .exclude_hv = 1};
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

int main(int argc, char **argv)
{
	if (argc < 2) { /* make bench runs every program bare: bench_rw_send.sh gives the receiver */
		printf("bench_rw_encode URL [SERIES] [ROUNDS] [v2]: run by bench/bench_rw_send.sh with a receiver\n");
		return 0;
	}
	long series = argc > 2 ? atol(argv[2]) : 30000, rounds = argc > 3 ? atol(argv[3]) : 20;
	bool v2 = argc > 4 && !strcmp(argv[4], "v2");
	if (series < 1 || rounds < 1)
		return 2;
	char tmp[] = "/tmp/flint-bench-rwenc.XXXXXX", src[256], dst[256], wal_dir[300], cfg_path[300];
	if (!mkdtemp(tmp))
		return 1;
	snprintf(src, sizeof src, "%s/src", tmp);
	snprintf(dst, sizeof dst, "%s/dst", tmp);
	mkdir(src, 0755);
	mkdir(dst, 0755);
	snprintf(wal_dir, sizeof wal_dir, "%s/wal", src);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (write_wal(wal_dir, series, rounds, (int64_t)ts.tv_sec * 1000))
		return 1;
	snprintf(wal_dir, sizeof wal_dir, "%s/wal", dst);
	mkdir(wal_dir, 0755);
	char seg[400];
	wal_segment_name(seg, sizeof seg, wal_dir, 0);
	close(open(seg, O_WRONLY | O_CREAT, 0644)); /* empty: the queue starts at its end */
	snprintf(cfg_path, sizeof cfg_path, "%s/p.yml", tmp);
	FILE *f = fopen(cfg_path, "w");
	fprintf(f, "remote_write:\n- url: %s\n  queue_config: {batch_send_deadline: 1s}\n%s", argv[1],
		v2 ? "  protobuf_message: io.prometheus.write.v2.Request\n" : "");
	fclose(f);
	err e = {0};
	scrape_config *c = scrape_config_load(cfg_path, &e);
	int pfd = perf_open();
	remote_sender_opts o = {.data_dir = dst, .flush_deadline_ms = 10000};
	remote_sender *s = c ? remote_sender_new(&o, &e) : NULL;
	if (!s || remote_sender_apply(s, c, &e)) {
		fprintf(stderr, "bench_rw_encode: %s\n", e.msg);
		return 1;
	}
	usleep(300000); /* the watcher has found the (empty) WAL's end */
	double c0 = cpu_s();
	if (pfd >= 0)
		ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0);
	int first, last;
	snprintf(src, sizeof src, "%s/src/wal", tmp);
	if (wal_segments(src, &first, &last, &e))
		return 1;
	for (int i = first; i <= last; i++) {
		char a[400];
		wal_segment_name(a, sizeof a, src, i);
		wal_segment_name(seg, sizeof seg, wal_dir, i);
		if (append_file(a, seg))
			return 1;
	}
	remote_sender_notify(s);
	double total = (double)series * (double)rounds, got = 0;
	for (int i = 0; i < 6000 && (got = shipped(s)) < total; i++)
		usleep(10000);
	if (pfd >= 0)
		ioctl(pfd, PERF_EVENT_IOC_DISABLE, 0);
	double cpu = cpu_s() - c0;
	long long ins = -1;
	if (pfd < 0 || read(pfd, &ins, sizeof ins) != sizeof ins)
		ins = -1;
	printf("bench_rw_encode: %.0f of %.0f samples shipped (%s), sender CPU %.3f s: %.0f samples/CPU-s", got, total,
	       v2 ? "2.0" : "1.0", cpu, got / (cpu > 0 ? cpu : 1e-3));
	if (ins >= 0)
		printf(", %.0f instructions/sample", (double)ins / (got > 0 ? got : 1));
	printf("\n");
	remote_sender_free(s);
	scrape_config_free(c);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd))
		return 1;
	return got >= total ? 0 : 1;
}
