/*
 * bench_remote.c - flint's remote-write load generator and codec benchmark.
 *
 *   bench_remote
 *       codec micro-benchmark (what `make bench` runs by itself): encode,
 *       snappy-compress, decompress and decode a 10,000-series 1.0 request,
 *       print samples/s for the receive path's CPU work.
 *   bench_remote load URL SERIES ROUNDS [THREADS] [END_MS] [BATCH] [v2]
 *       push ROUNDS samples for each of SERIES series to URL with remote
 *       write 1.0 (or 2.0), THREADS senders (default 2) over keep-alive
 *       connections, BATCH series per request (default 2000, Prometheus
 *       3.x's max_samples_per_send). Round k has timestamp
 *       END_MS - (ROUNDS - k) * 15s (END_MS defaults to now), so every run
 *       with the same arguments sends the same data. Series are split among
 *       senders by index, so each series' samples arrive in time order.
 *       Prints `sent N samples in S s: R samples/s, E errors` and exits 1 on
 *       any non-2xx answer.
 *
 * Series i: {__name__="bench_metric_<i % 100>", instance="host-<i / 100 % 1000>",
 *            job="$BENCH_JOB" (default "bench"), series="<i>"}; value: a
 *            deterministic counter. With BENCH_SHAPE=node: node_exporter-like
 *            series instead (bench/node_shape.h), for the rule benchmark.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/node_shape.h"
#include "remote/codec.h"
#include "bench/bench_clock.h"

#define STEP_MS 15000

/* The job label of every series (env BENCH_JOB, default "bench"), so that
 * several generators can feed one server without colliding. */
static const char *job = "bench";
static int node_shape; /* BENCH_SHAPE=node */

typedef struct gen {
	long series;      /* total series */
	long rounds;      /* samples per series */
	int threads;      /* senders */
	long batch;       /* series per request */
	int64_t end_ms;   /* last round's timestamp + step */
	rw_version ver;   /* protocol */
	const char *url;  /* target */
} gen;

typedef struct sender {
	const gen *g;
	int id;           /* thread index */
	long sent;        /* samples sent */
	long errors;      /* non-2xx answers or transport errors */
	char last_err[256];
} sender;


/* Label storage for one series (names static, values in the struct). */
typedef struct series_lbl {
	char name[32], inst[32], ser[24];
	label l[4];
	size_t n;
	node_series node;
} series_lbl;

static void series_labels(long i, series_lbl *s)
{
	if (node_shape) {
		node_series_of(i, &s->node);
		s->n = s->node.n;
		return;
	}
	s->n = 4;
	snprintf(s->name, sizeof s->name, "bench_metric_%ld", i % 100);
	snprintf(s->inst, sizeof s->inst, "host-%ld", i / 100 % 1000);
	snprintf(s->ser, sizeof s->ser, "%ld", i);
	s->l[0] = (label){"__name__", s->name};
	s->l[1] = (label){"instance", s->inst};
	s->l[2] = (label){"job", job};
	s->l[3] = (label){"series", s->ser};
}

static double series_value(const series_lbl *s, long i, long round)
{
	return node_shape ? node_value(&s->node, round) : (double)(round * (i % 7 + 1) + i % 13);
}

/* Build request body (snappy) for series [from, to) step k, stride. */
static int build(const gen *g, const long *idx, long n, long round, series_lbl *lb, rw_series *rs, sample *sm, buf *pb,
		 buf *out)
{
	for (long j = 0; j < n; j++) {
		series_labels(idx[j], &lb[j]);
		sm[j] = (sample){g->end_ms - (g->rounds - round) * STEP_MS, series_value(&lb[j], idx[j], round)};
		rs[j] = (rw_series){.labels = node_shape ? lb[j].node.l : lb[j].l, .n_labels = lb[j].n, .samples = &sm[j],
				    .n_samples = 1};
	}
	rw_request r = {.version = g->ver, .series = rs, .n_series = (size_t)n};
	buf_clear(pb);
	buf_clear(out);
	err e;
	if (rw_encode(&r, pb, &e))
		return -1;
	return remote_snappy_encode(pb->p, pb->len, out);
}

static size_t discard(char *p, size_t sz, size_t n, void *u) { return sz * n; }

static void *send_main(void *arg)
{
	sender *s = arg;
	const gen *g = s->g;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Encoding: snappy");
	h = curl_slist_append(h, g->ver == RW_V2 ? "Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request"
						 : "Content-Type: application/x-protobuf");
	h = curl_slist_append(h, g->ver == RW_V2 ? "X-Prometheus-Remote-Write-Version: 2.0.0"
						 : "X-Prometheus-Remote-Write-Version: 0.1.0");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, g->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	long mine = 0;
	for (long i = s->id; i < g->series; i += g->threads)
		mine++;
	long *idx = malloc(sizeof *idx * (size_t)(mine ? mine : 1));
	long k = 0;
	for (long i = s->id; i < g->series; i += g->threads)
		idx[k++] = i;
	long cap = g->batch < mine ? g->batch : mine;
	series_lbl *lb = malloc(sizeof *lb * (size_t)(cap ? cap : 1));
	rw_series *rs = malloc(sizeof *rs * (size_t)(cap ? cap : 1));
	sample *sm = malloc(sizeof *sm * (size_t)(cap ? cap : 1));
	buf pb, body;
	buf_init(&pb);
	buf_init(&body);
	for (long round = 0; round < g->rounds; round++)
		for (long off = 0; off < mine; off += cap) {
			long n = mine - off < cap ? mine - off : cap;
			if (build(g, idx + off, n, round, lb, rs, sm, &pb, &body)) {
				s->errors++;
				continue;
			}
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
			CURLcode rc = curl_easy_perform(c);
			long code = 0;
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			if (rc != CURLE_OK || code / 100 != 2) {
				if (!s->errors)
					snprintf(s->last_err, sizeof s->last_err, "%s (HTTP %ld)", curl_easy_strerror(rc), code);
				s->errors++;
			} else
				s->sent += n;
		}
	buf_reset(&pb);
	buf_reset(&body);
	free(idx);
	free(lb);
	free(rs);
	free(sm);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static int load(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: bench_remote load URL SERIES ROUNDS [THREADS] [END_MS] [BATCH] [v2]\n");
		return 2;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	gen g = {.url = argv[2], .series = atol(argv[3]), .rounds = atol(argv[4]), .threads = 2, .batch = 2000,
		 .end_ms = (int64_t)ts.tv_sec * 1000, .ver = RW_V1};
	if (argc > 5)
		g.threads = atoi(argv[5]);
	if (argc > 6 && atoll(argv[6]) > 0)
		g.end_ms = atoll(argv[6]);
	if (argc > 7)
		g.batch = atol(argv[7]);
	if (argc > 8 && !strcmp(argv[8], "v2"))
		g.ver = RW_V2;
	if (g.threads < 1 || g.threads > 64 || g.batch < 1 || g.series < 1 || g.rounds < 1) {
		fprintf(stderr, "bench_remote: bad arguments\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sender *s = calloc((size_t)g.threads, sizeof *s);
	pthread_t *t = calloc((size_t)g.threads, sizeof *t);
	double t0 = now_s();
	for (int i = 0; i < g.threads; i++) {
		s[i] = (sender){.g = &g, .id = i};
		pthread_create(&t[i], NULL, send_main, &s[i]);
	}
	long sent = 0, errors = 0;
	for (int i = 0; i < g.threads; i++) {
		pthread_join(t[i], NULL);
		sent += s[i].sent;
		errors += s[i].errors;
		if (s[i].errors)
			fprintf(stderr, "sender %d: %ld errors, first: %s\n", i, s[i].errors, s[i].last_err);
	}
	double dt = now_s() - t0;
	printf("sent %ld samples in %.3f s: %.0f samples/s, %ld errors\n", sent, dt, (double)sent / dt, errors);
	free(s);
	free(t);
	curl_global_cleanup();
	return errors ? 1 : 0;
}

/* Receive-path CPU work without the network: decode what a sender sends. */
static int codec(void)
{
	const long n = 10000, rounds = 20;
	gen g = {.series = n, .rounds = rounds, .threads = 1, .batch = n, .end_ms = 1700000000000, .ver = RW_V1};
	long *idx = malloc(sizeof *idx * (size_t)n);
	for (long i = 0; i < n; i++)
		idx[i] = i;
	series_lbl *lb = malloc(sizeof *lb * (size_t)n);
	rw_series *rs = malloc(sizeof *rs * (size_t)n);
	sample *sm = malloc(sizeof *sm * (size_t)n);
	buf pb, body, dec;
	buf_init(&pb);
	buf_init(&body);
	buf_init(&dec);
	double enc_s = 0, dec_s = 0;
	int rc = 0;
	for (int v = RW_V1; v <= RW_V2 && !rc; v++) {
		g.ver = (rw_version)v;
		enc_s = dec_s = 0;
		for (long r = 0; r < rounds && !rc; r++) {
			double t0 = now_s();
			rc = build(&g, idx, n, r, lb, rs, sm, &pb, &body);
			double t1 = now_s();
			arena a;
			arena_init(&a);
			err e;
			rw_request req;
			if (!rc)
				rc = remote_snappy_decode(body.p, body.len, REMOTE_MAX_DECODED, &dec, &e);
			if (!rc)
				rc = rw_decode((rw_version)v, dec.p, dec.len, &a, &req, &e);
			if (!rc && req.n_series != (size_t)n)
				rc = -1;
			arena_reset(&a);
			dec_s += now_s() - t1;
			enc_s += t1 - t0;
		}
		printf("remote write %s codec, %ld series x %ld requests (%zu bytes snappy each): encode %.0f samples/s, "
		       "decode (snappy + protobuf) %.0f samples/s\n",
		       v == RW_V1 ? "1.0" : "2.0", n, rounds, body.len, (double)(n * rounds) / enc_s,
		       (double)(n * rounds) / dec_s);
	}
	buf_reset(&pb);
	buf_reset(&body);
	buf_reset(&dec);
	free(idx);
	free(lb);
	free(rs);
	free(sm);
	if (rc)
		fprintf(stderr, "bench_remote: codec round trip failed\n");
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (getenv("BENCH_JOB") && *getenv("BENCH_JOB"))
		job = getenv("BENCH_JOB");
	node_shape = getenv("BENCH_SHAPE") && !strcmp(getenv("BENCH_SHAPE"), "node");
	if (argc > 1 && !strcmp(argv[1], "load"))
		return load(argc, argv);
	if (argc > 1) {
		fprintf(stderr, "usage: bench_remote [load URL SERIES ROUNDS [THREADS] [END_MS] [BATCH] [v2]]\n");
		return 2;
	}
	return codec();
}
