/* test_rw_queue.c - the remote-write sender's pieces that stand alone:
 * Prometheus's calculateDesiredShards, the backoff and Retry-After, the
 * position file's text and order, and the WAL watcher over a real WAL
 * (series and samples in order, the live segment as it grows, a record
 * cut by the end of the file, the next segment, a restart from a
 * position inside a record, a truncation onto a checkpoint). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote/write_int.h"
#include "tests/unit/test.h"
#include "tsdb/wal.h"

static void rw_queue_desired_shards(void)
{
	double d = 0;
	/* no data out yet: keep */
	ASSERT_EQ(rw_desired_shards(3, 1, 50, 100, 0, 0, 0, 0, &d), 3);
	/* 1000 samples/s in and out, each taking 10 ms of send time per s -> 1 shard's worth */
	ASSERT_EQ(rw_desired_shards(1, 1, 50, 1000, 1000, 0, 0.01, 0, &d), 1);
	/* sends take 4 s per second of data: 4 shards */
	ASSERT_EQ(rw_desired_shards(1, 1, 50, 1000, 1000, 0, 4.0, 0, &d), 4);
	ASSERT_DBL_EQ(d, 4.0);
	/* within 30% of the current number: keep */
	ASSERT_EQ(rw_desired_shards(4, 1, 50, 1000, 1000, 0, 4.8, 0, &d), 4);
	/* capped by max_shards, floored by min_shards */
	ASSERT_EQ(rw_desired_shards(1, 1, 5, 1000, 1000, 0, 40.0, 0, &d), 5);
	ASSERT_EQ(rw_desired_shards(10, 2, 50, 1000, 1000, 0, 0.001, 0, &d), 2);
	/* no downsharding while more than 10 s behind */
	ASSERT_EQ(rw_desired_shards(10, 1, 50, 1000, 1000, 0, 0.001, 60, &d), 10);
	/* a backlog adds 5% of the pending samples: 100 s behind at 1000/s */
	ASSERT_EQ(rw_desired_shards(1, 1, 50, 1000, 1000, 0, 1.0, 100, &d), 6);
}

static void rw_queue_backoff_and_retry_after(void)
{
	ASSERT_EQ(rw_next_backoff(30, 5000), 60);
	ASSERT_EQ(rw_next_backoff(4000, 5000), 5000);
	ASSERT_EQ(rw_next_backoff(5000, 5000), 5000);
	ASSERT_EQ(rw_retry_after_ms(" 3\r\n", 0), 3000);
	ASSERT_EQ(rw_retry_after_ms("0", 0), 0);
	ASSERT_EQ(rw_retry_after_ms("soon", 0), 0);
	ASSERT_EQ(rw_retry_after_ms(NULL, 0), 0);
	/* an HTTP date 90 s ahead */
	ASSERT_EQ(rw_retry_after_ms(" Thu, 01 Jan 1970 00:01:30 GMT\r\n", 0), 90000);
	ASSERT_EQ(rw_retry_after_ms("Thu, 01 Jan 1970 00:01:30 GMT", 100000), 0);
}

static void rw_queue_response_headers(void)
{
	rw_resp r = {0};
	const char *lines[] = {"HTTP/1.1 100 Continue\r\n", "X-Prometheus-Remote-Write-Samples-Written: 3\r\n",
			       "HTTP/1.1 204 No Content\r\n", "x-prometheus-remote-write-samples-written: 7\r\n",
			       "X-Prometheus-Remote-Write-Exemplars-Written: 2\r\n", "Retry-After: 4\r\n"};
	for (size_t i = 0; i < 6; i++)
		rw_response_header(lines[i], strlen(lines[i]), 0, &r);
	ASSERT(r.confirmed);
	ASSERT_EQ(r.written, 9); /* the 100 Continue's count is forgotten */
	ASSERT_EQ(r.retry_after_ms, 4000);
	rw_resp z = {0};
	const char *empty = "X-Prometheus-Remote-Write-Samples-Written: \r\n"; /* empty: unconfirmed zero */
	rw_response_header(empty, strlen(empty), 0, &z);
	ASSERT(!z.confirmed && z.written == 0);
	const char *zero = "X-Prometheus-Remote-Write-Samples-Written: 0\r\n"; /* confirmed zero: a failure */
	rw_response_header(zero, strlen(zero), 0, &z);
	ASSERT(z.confirmed && z.written == 0);
}

static void rw_queue_positions(void)
{
	rw_pos p;
	ASSERT_EQ(rw_pos_parse("3 4096 1 0\n", &p), 0);
	ASSERT(p.seg == 3 && p.off == 4096 && p.skip && p.idx == 0);
	ASSERT_EQ(rw_pos_parse("3 4096 0\n", &p), 0); /* idx optional */
	ASSERT(!p.skip && p.idx == 0);
	ASSERT_EQ(rw_pos_parse("3 4096 2 0", &p), -1);
	ASSERT_EQ(rw_pos_parse("-1 0 0 0", &p), -1);
	ASSERT_EQ(rw_pos_parse("garbage", &p), -1);
	/* the whole file: the lowest position, then one per shard */
	rw_pos sh[3] = {{1, 10, false, 2}, {1, 20, true, 0}, {2, 0, false, 0}}, back[RW_POS_SHARDS], q;
	char text[512];
	int n;
	rw_pos_file_format(text, sizeof text, sh[0], sh, 3);
	ASSERT_STR_EQ(text, "1 10 0 2\nshards 3\n1 10 0 2\n1 20 1 0\n2 0 0 0\n");
	ASSERT_EQ(rw_pos_file_parse(text, &q, back, &n), 0);
	ASSERT_EQ(n, 3);
	ASSERT(q.seg == 1 && q.off == 10 && q.idx == 2);
	ASSERT(back[1].skip && back[1].off == 20 && back[2].seg == 2);
	ASSERT_EQ(rw_pos_file_parse("1 10 0 2\n", &q, back, &n), 0); /* one line: no shards */
	ASSERT_EQ(n, 0);
	ASSERT_EQ(rw_pos_file_parse("1 10 0 2\nshards 3\n1 10 0 2\n", &q, back, &n), 0); /* cut: ignored */
	ASSERT_EQ(n, 0);
	ASSERT_EQ(rw_pos_file_parse("1 10 0 2\nshards 9999\n", &q, back, &n), 0);
	ASSERT_EQ(n, 0);
	rw_pos a = {1, 100, false, 0}, b = {1, 100, false, 5}, c = {1, 100, true, 0}, d = {2, 0, false, 0};
	ASSERT(rw_pos_before(a, b) && !rw_pos_before(b, a));
	ASSERT(rw_pos_before(b, c) && !rw_pos_before(c, b));
	ASSERT(rw_pos_before(c, d));
	ASSERT(!rw_pos_before(a, a));
	ASSERT(rw_pos_reached(c, 1, 101) && !rw_pos_reached(c, 1, 100) && rw_pos_reached(a, 1, 100));
	ASSERT(rw_pos_reached(a, 2, 0) && !rw_pos_reached(a, 0, 5000));
}

/* ---- the watcher ---- */

typedef struct sink_log {
	int series, resets, last_reset;
	int64_t samples[64]; /* timestamps received, in order */
	int n;
	rw_pos last;
} sink_log;

static void s_series(void *ctx, const record_series *s, size_t n, int seg)
{
	(void)s, (void)seg;
	((sink_log *)ctx)->series += (int)n;
}

static bool s_samples(void *ctx, const record_sample *s, size_t n, rw_pos at)
{
	sink_log *l = ctx;
	for (size_t i = 0; i < n && l->n < 64; i++)
		l->samples[l->n++] = s[i].t;
	l->last = at;
	return true;
}

static void s_reset(void *ctx, int idx)
{
	sink_log *l = ctx;
	l->resets++;
	l->last_reset = idx;
}

static void log_series(wal *w, uint64_t ref)
{
	label lv[1] = {{"__name__", "m"}};
	record_series s = {ref, {lv, 1}};
	buf b;
	buf_init(&b);
	record_encode_series(&b, &s, 1);
	err e;
	ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
	buf_reset(&b);
}

/* Samples t0.. t0+n-1 of series 1 in one record. */
static void log_samples(wal *w, int64_t t0, int n)
{
	record_sample s[16];
	for (int i = 0; i < n; i++)
		s[i] = (record_sample){1, t0 + i, (double)i};
	buf b;
	buf_init(&b);
	record_encode_samples(&b, s, (size_t)n);
	err e;
	ASSERT_EQ(wal_log1(w, b.p, b.len, &e), 0);
	buf_reset(&b);
}

static int steps(wal_watcher *ww)
{
	int any = 0;
	for (int i = 0; i < 20; i++) {
		int rc = wal_watcher_step(ww);
		if (rc <= 0)
			return any;
		any = 1;
	}
	return any;
}

static void rw_queue_watcher_tails(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/rwwal", test_tmpdir());
	err e;
	wal_opts wo = {0};
	wal *w = wal_open(dir, &wo, &e);
	ASSERT(w != NULL);
	log_series(w, 1);
	log_samples(w, 100, 3); /* before the watcher starts: not sent */
	sink_log l = {0};
	wal_watcher_sink sink = {&l, s_series, s_samples, s_reset};
	wal_watcher ww;
	wal_watcher_init(&ww, dir, (rw_pos){-1, 0, false, 0}, &sink);
	steps(&ww);
	ASSERT_EQ(l.series, 1); /* series before the start are read */
	ASSERT_EQ(l.n, 0);
	log_samples(w, 200, 2);
	ASSERT_EQ(wal_watcher_step(&ww), 1);
	ASSERT_EQ(l.n, 2);
	ASSERT_EQ(l.samples[0], 200);
	ASSERT_EQ(wal_watcher_step(&ww), 0); /* nothing new */
	/* a record cut by the end of the file (the writer is mid-write): not
	 * an error, read whole once the rest is there */
	char seg[1100];
	wal_segment_name(seg, sizeof seg, dir, 0);
	struct stat sb;
	ASSERT_EQ(stat(seg, &sb), 0);
	log_samples(w, 300, 4);
	buf whole;
	buf_init(&whole);
	ASSERT_EQ(buf_read_file(&whole, seg, &e), 0);
	ASSERT(whole.len > (size_t)sb.st_size + 10);
	ASSERT_EQ(truncate(seg, sb.st_size + 10), 0);
	ASSERT_EQ(wal_watcher_step(&ww), 0);
	ASSERT_EQ(l.n, 2);
	int fd = open(seg, O_WRONLY);
	ASSERT(fd >= 0);
	ASSERT_EQ(pwrite(fd, whole.p, whole.len, 0), (ssize_t)whole.len);
	close(fd);
	buf_reset(&whole);
	ASSERT_EQ(wal_watcher_step(&ww), 1);
	ASSERT_EQ(l.n, 6);
	ASSERT_EQ(l.samples[5], 303);
	wal_close(w, &e);
	/* on into the next segment */
	w = wal_open(dir, &wo, &e);
	ASSERT(w != NULL);
	log_samples(w, 400, 2);
	steps(&ww);
	ASSERT_EQ(l.n, 8);
	ASSERT_EQ(l.samples[6], 400);
	ASSERT_EQ(l.last.seg, 1);
	/* restart inside a record: from its second sample */
	rw_pos from = l.last;
	from.idx = 1;
	sink_log l2 = {0};
	wal_watcher_sink sink2 = {&l2, s_series, s_samples, s_reset};
	wal_watcher w2;
	wal_watcher_init(&w2, dir, from, &sink2);
	steps(&w2);
	ASSERT_EQ(l2.series, 1);
	ASSERT_EQ(l2.n, 1);
	ASSERT_EQ(l2.samples[0], 401);
	wal_watcher_free(&w2);
	wal_watcher_free(&ww);
	wal_close(w, &e);
}

/* The segment a watcher is in goes away: it continues after the newest
 * checkpoint, whose series it reads (and resets the older ones). */
static void rw_queue_watcher_truncation(void)
{
	char dir[1024], cp[1100];
	snprintf(dir, sizeof dir, "%s/rwwal2", test_tmpdir());
	err e;
	wal_opts wo = {0};
	wal *w = wal_open(dir, &wo, &e);
	ASSERT(w != NULL);
	log_series(w, 1);
	sink_log l = {0};
	wal_watcher_sink sink = {&l, s_series, s_samples, s_reset};
	wal_watcher ww;
	wal_watcher_init(&ww, dir, (rw_pos){0, 0, false, 0}, &sink);
	steps(&ww);
	ASSERT_EQ(l.series, 1);
	ASSERT_EQ(wal_next_segment(w, &e), 1);
	ASSERT_EQ(wal_next_segment(w, &e), 2);
	log_samples(w, 500, 1);
	/* a checkpoint 00000001 holding the series, segments 0 and 1 gone */
	snprintf(cp, sizeof cp, "%s/checkpoint.00000001", dir);
	wal *c = wal_open(cp, &wo, &e);
	ASSERT(c != NULL);
	log_series(c, 1);
	wal_close(c, &e);
	char seg[1100];
	wal_segment_name(seg, sizeof seg, dir, 0);
	ASSERT_EQ(unlink(seg), 0);
	wal_segment_name(seg, sizeof seg, dir, 1);
	ASSERT_EQ(unlink(seg), 0);
	steps(&ww);
	ASSERT_EQ(l.resets, 1);
	ASSERT_EQ(l.last_reset, 1);
	ASSERT_EQ(l.series, 2);
	ASSERT_EQ(l.n, 1);
	ASSERT_EQ(l.samples[0], 500);
	ASSERT_EQ(l.last.seg, 2);
	wal_watcher_free(&ww);
	wal_close(w, &e);
}

static long pick_last(long n) { return n - 1; }
static long pick_first(long n) { (void)n; return 0; }

/* round_robin_dns: a name resolves to a CONNECT_TO entry with one of its
 * addresses; an IP literal or a name that does not resolve gives none. */
static void rw_queue_round_robin_target(void)
{
	char out[256];
	ASSERT(rw_round_robin_target("http://localhost:9201/api/v1/write", pick_first, out, sizeof out));
	ASSERT(!strcmp(out, "localhost:9201:127.0.0.1:9201") || !strcmp(out, "localhost:9201:[::1]:9201"));
	ASSERT(rw_round_robin_target("https://localhost/w", pick_last, out, sizeof out));
	ASSERT(!strcmp(out, "localhost:443:127.0.0.1:443") || !strcmp(out, "localhost:443:[::1]:443"));
	strcpy(out, "untouched");
	ASSERT(!rw_round_robin_target("http://127.0.0.1:9/w", pick_first, out, sizeof out));
	ASSERT(!rw_round_robin_target("http://[::1]:9/w", pick_first, out, sizeof out));
	ASSERT(!rw_round_robin_target("http://no-such-host.invalid:9/w", pick_first, out, sizeof out));
	ASSERT(!rw_round_robin_target("not a url", pick_first, out, sizeof out));
	ASSERT(!rw_round_robin_target("http://localhost:9/w", pick_first, out, 8)); /* too small */
	ASSERT(!strcmp(out, "untouched") || strlen(out) < 8);
}

const struct test tests_rw_queue[] = {
	{"rw_queue_round_robin_target", rw_queue_round_robin_target},
	{"rw_queue_desired_shards", rw_queue_desired_shards},
	{"rw_queue_backoff_and_retry_after", rw_queue_backoff_and_retry_after},
	{"rw_queue_response_headers", rw_queue_response_headers},
	{"rw_queue_positions", rw_queue_positions},
	{"rw_queue_watcher_tails", rw_queue_watcher_tails},
	{"rw_queue_watcher_truncation", rw_queue_watcher_truncation},
	{NULL, NULL},
};
