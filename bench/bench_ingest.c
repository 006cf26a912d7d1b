/*
 * bench_ingest.c - the remote-write receive path in one process, for
 * `make bench` and for instruction counts that a loaded machine does not
 * disturb (valgrind --tool=callgrind --toggle-collect=remote_write_handler):
 * SERIES series x ROUNDS requests rounds of remote write 1.0 (one sample a
 * series a round, 2000 series a request, as bench_remote load sends them)
 * go through remote_write_handler into a db with its WAL in a temporary
 * directory. Prints samples per CPU-second of the handler alone (thread
 * CPU time around each call; building the requests is not counted), and
 * the same for each round (the first creates every series, the others
 * append to known series) on stderr.
 *
 *   bench_ingest [SERIES [ROUNDS]]   (default 10000 x 120)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/fsutil.h"
#include "remote/codec.h"
#include "tsdb/db.h"
#include "web/remote.h"

#define BATCH 2000

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *no_header(const http_req *r, const char *name) { return NULL; }

typedef struct lbl {
	char name[32], inst[32], ser[24];
	label l[4];
} lbl;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000, rounds = argc > 2 ? atol(argv[2]) : 120;
	if (n < 1 || rounds < 1) {
		fprintf(stderr, "usage: bench_ingest [SERIES [ROUNDS]]\n");
		return 2;
	}
	char dir[] = "/tmp/flint-bench-ingest.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	err e;
	db_opts o;
	db_opts_default(&o);
	db *d = db_open(dir, &o, &e);
	web_env env;
	if (!d || web_env_init(&env, NULL, &e)) {
		fprintf(stderr, "bench_ingest: %s\n", e.msg);
		return 1;
	}
	env.db = d;
	env.queryable = db_queryable(d);
	env.opts.enable_remote_write_receiver = true;
	long batch = n < BATCH ? n : BATCH;
	lbl *lb = malloc(sizeof *lb * (size_t)batch);
	rw_series *rs = malloc(sizeof *rs * (size_t)batch);
	sample *sm = malloc(sizeof *sm * (size_t)batch);
	buf pb, body;
	buf_init(&pb);
	buf_init(&body);
	int64_t t0 = (remote_now_ms() / 15000 - rounds) * 15000;
	double cpu = 0;
	long sent = 0, failed = 0;
	for (long r = 0; r < rounds; r++) {
		double round_cpu = cpu;
		for (long off = 0; off < n; off += batch) {
			long k = n - off < batch ? n - off : batch;
			for (long j = 0; j < k; j++) {
				long i = off + j;
				snprintf(lb[j].name, sizeof lb[j].name, "bench_metric_%ld", i % 100);
				snprintf(lb[j].inst, sizeof lb[j].inst, "host-%ld", i / 100 % 1000);
				snprintf(lb[j].ser, sizeof lb[j].ser, "%ld", i);
				lb[j].l[0] = (label){"__name__", lb[j].name};
				lb[j].l[1] = (label){"instance", lb[j].inst};
				lb[j].l[2] = (label){"job", "bench"};
				lb[j].l[3] = (label){"series", lb[j].ser};
				sm[j] = (sample){t0 + r * 15000, (double)(r * (i % 7 + 1) + i % 13)};
				rs[j] = (rw_series){.labels = lb[j].l, .n_labels = 4, .samples = &sm[j], .n_samples = 1};
			}
			rw_request rq = {.version = RW_V1, .series = rs, .n_series = (size_t)k};
			buf_clear(&pb);
			buf_clear(&body);
			if (rw_encode(&rq, &pb, &e) || remote_snappy_encode(pb.p, pb.len, &body))
				return 1;
			arena a;
			arena_init(&a);
			http_req hr = {.method = "POST", .path = "/api/v1/write", .body = body.p, .body_len = body.len,
				       .header = no_header, .arena = &a};
			http_resp w = {.status = 200};
			buf_init(&w.body);
			double c0 = thread_cpu_s();
			remote_write_handler(&env, &hr, &w);
			cpu += thread_cpu_s() - c0;
			if (w.status == 204)
				sent += k;
			else
				failed++;
			buf_reset(&w.body);
			arena_reset(&a);
		}
		fprintf(stderr, "round %ld: %.0f samples per CPU-s\n", r + 1, (double)n / (cpu - round_cpu));
	}
	printf("remote write 1.0 in process, %ld series x %ld rounds (%d a request, WAL on): %.0f samples per CPU-s "
	       "of the handler (%.2f CPU-s), %ld failed requests\n",
	       n, rounds, BATCH, (double)sent / cpu, cpu, failed);
	buf_reset(&pb);
	buf_reset(&body);
	free(lb);
	free(rs);
	free(sm);
	web_env_destroy(&env);
	db_close(d);
	fsutil_remove_all(dir, &e);
	return failed ? 1 : 0;
}
