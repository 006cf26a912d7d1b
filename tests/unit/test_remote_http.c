/*
 * test_remote_http.c - the remote read handler (web/remote_read.c) driven
 * through web/http.h with a head as the queryable: SAMPLES and
 * STREAMED_XOR_CHUNKS answers decoded back to samples, frame splitting,
 * the sample limit, negotiation and bad bodies.
 */
#include "tests/unit/test.h"

#include <strings.h>

#include "tsdb/chunk.h"
#include "scrape/config.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "web/remote.h"
#include "remote/codec.h"

typedef struct fake_hdrs {
	const char *names[4];
	const char *values[4];
} fake_hdrs;

static const char *fake_header(const http_req *r, const char *name)
{
	const fake_hdrs *h = r->conn;
	for (int i = 0; i < 4 && h->names[i]; i++)
		if (!strcasecmp(h->names[i], name))
			return h->values[i];
	return NULL;
}

typedef struct fixture {
	head *h;
	web_env env;
	arena a;
} fixture;

/* 3 series m{i="0..2"} and one other{}, 300 samples each, 15s apart. */
static void fixture_init(fixture *f)
{
	err e;
	head_opts ho = {0};
	f->h = head_open(&ho, &e);
	ASSERT(f->h != NULL);
	ASSERT_EQ(web_env_init(&f->env, NULL, &e), 0);
	f->env.queryable = head_queryable(f->h);
	arena_init(&f->a);
	appender *app = head_appender(f->h);
	const char *names[] = {"m", "m", "m", "other"};
	const char *is[] = {"0", "1", "2", "0"};
	for (int s = 0; s < 4; s++) {
		label l[] = {{"__name__", names[s]}, {"i", is[s]}};
		series_ref ref = 0;
		for (int k = 0; k < 300; k++)
			ASSERT_EQ(appender_append(app, ref, (labels){l, 2}, 1000000 + k * 15000, s * 1000 + k, &ref, &e), 0);
	}
	ASSERT_EQ(appender_commit(app, &e), 0);
}

static void fixture_free(fixture *f)
{
	web_env_destroy(&f->env);
	head_close(f->h);
	arena_reset(&f->a);
}

/* POST a read request with query q; returns the response. */
static void do_read_query(fixture *f, rr_query q, const int *accepted, size_t n_acc, http_resp *w)
{
	rr_request rq = {.queries = &q, .n_queries = 1, .accepted = (int *)accepted, .n_accepted = n_acc};
	buf pb, body;
	buf_init(&pb);
	buf_init(&body);
	err e;
	ASSERT_EQ(rr_encode(&rq, &pb, &e), 0);
	ASSERT_EQ(remote_snappy_encode(pb.p, pb.len, &body), 0);
	static fake_hdrs h = {{"Content-Encoding", "Content-Type"}, {"snappy", "application/x-protobuf"}};
	arena ra;
	arena_init(&ra);
	http_req r = {.method = "POST", .path = "/api/v1/read", .body = body.p, .body_len = body.len,
		      .header = fake_header, .conn = &h, .arena = &ra};
	memset(w, 0, sizeof *w);
	w->status = 200;
	buf_init(&w->body);
	remote_read_handler(&f->env, &r, w);
	arena_reset(&ra);
	buf_reset(&pb);
	buf_reset(&body);
}

/* POST a read request for m{} over the whole range; returns the response. */
static void do_read(fixture *f, const int *accepted, size_t n_acc, http_resp *w)
{
	static rr_matcher m[] = {{MATCH_EQ, "__name__", "m"}};
	do_read_query(f, (rr_query){.start_ms = 0, .end_ms = 10000000, .matchers = m, .n_matchers = 1}, accepted,
		      n_acc, w);
}

typedef struct seen {
	int series;
	int frames;
	long samples;
	char order[64];
	double last_v;
} seen;

static int seen_samples(void *ctx, size_t q, labels ls, const sample *v, size_t n)
{
	seen *s = ctx;
	s->series++;
	s->samples += (long)n;
	strcat(s->order, labels_get(ls, "i"));
	s->last_v = n ? v[n - 1].v : 0;
	return 0;
}

static int seen_samples_count(void *ctx, size_t q, labels ls, const sample *v, size_t n)
{
	((seen *)ctx)->samples += (long)n;
	return 0;
}

static void read_samples(void)
{
	fixture f;
	fixture_init(&f);
	http_resp w;
	do_read(&f, NULL, 0, &w);
	ASSERT_EQ(w.status, 200);
	ASSERT_STR_EQ(w.content_type, "application/x-protobuf");
	buf d;
	buf_init(&d);
	err e;
	ASSERT_EQ(remote_snappy_decode(w.body.p, w.body.len, REMOTE_MAX_DECODED, &d, &e), 0);
	seen s = {0};
	ASSERT_EQ(rr_samples_decode(d.p, d.len, &f.a, seen_samples, &s, &e), 0);
	ASSERT_EQ(s.series, 3);
	ASSERT_EQ(s.samples, 900);
	ASSERT_STR_EQ(s.order, "012");
	ASSERT_DBL_EQ(s.last_v, 2299);
	buf_reset(&d);
	buf_reset(&w.body);
	/* the sample limit */
	f.env.opts.remote_read_sample_limit = 100;
	do_read(&f, NULL, 0, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT_STR_EQ(buf_cstr(&w.body), "exceeded sample limit (100)\n");
	buf_reset(&w.body);
	fixture_free(&f);
}

static int seen_chunks(void *ctx, int64_t q, labels ls, const rr_chunk *c, size_t n)
{
	seen *s = ctx;
	s->frames++;
	size_t len = strlen(s->order);
	if (!len || s->order[len - 1] != labels_get(ls, "i")[0]) {
		s->series++;
		strcat(s->order, labels_get(ls, "i"));
	}
	for (size_t k = 0; k < n; k++) {
		xor_iter it;
		xor_iter_init(&it, c[k].data, c[k].len, 0);
		int64_t t = 0;
		while (xor_iter_next(&it)) {
			xor_iter_at(&it, &t, &s->last_v);
			s->samples++;
		}
		if (it.err || t != c[k].max_ms)
			return FL_ECORRUPT;
	}
	return 0;
}

static void read_streamed_chunks(void)
{
	fixture f;
	fixture_init(&f);
	static const int acc[] = {7, RR_STREAMED_XOR_CHUNKS, RR_SAMPLES};
	http_resp w;
	do_read(&f, acc, 3, &w);
	ASSERT_EQ(w.status, 200);
	ASSERT_STR_EQ(w.content_type, "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse");
	err e;
	seen s = {0};
	ASSERT_EQ(rr_frames_decode(w.body.p, w.body.len, &f.a, seen_chunks, &s, &e), 0);
	ASSERT_EQ(s.series, 3);
	ASSERT_EQ(s.frames, 3); /* 3 chunks of 120/120/60 fit one 1 MiB frame */
	ASSERT_EQ(s.samples, 900);
	ASSERT_STR_EQ(s.order, "012");
	buf_reset(&w.body);
	/* a small frame budget splits each series after every chunk */
	f.env.opts.remote_read_max_bytes_in_frame = 64;
	do_read(&f, acc, 3, &w);
	ASSERT_EQ(w.status, 200);
	memset(&s, 0, sizeof s);
	ASSERT_EQ(rr_frames_decode(w.body.p, w.body.len, &f.a, seen_chunks, &s, &e), 0);
	ASSERT_EQ(s.frames, 9);
	ASSERT_EQ(s.samples, 900);
	ASSERT_DBL_EQ(s.last_v, 2299);
	buf_reset(&w.body);
	fixture_free(&f);
}

static void read_bad_requests(void)
{
	fixture f;
	fixture_init(&f);
	static const int acc[] = {5};
	http_resp w;
	do_read(&f, acc, 1, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT(strstr(buf_cstr(&w.body), "server does not support any of the requested response types") != NULL);
	buf_reset(&w.body);
	static fake_hdrs h = {{NULL}, {NULL}};
	static const uint8_t junk[] = "not snappy";
	arena ra;
	arena_init(&ra);
	http_req r = {.method = "POST", .path = "/api/v1/read", .body = junk, .body_len = sizeof junk,
		      .header = fake_header, .conn = &h, .arena = &ra};
	memset(&w, 0, sizeof w);
	buf_init(&w.body);
	remote_read_handler(&f.env, &r, &w);
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	arena_reset(&ra);
	fixture_free(&f);
}

static int seen_ext(void *ctx, size_t q, labels ls, const sample *v, size_t n)
{
	seen *s = ctx;
	s->series++;
	s->samples += (long)n;
	/* external labels merged in label order; the stored label wins */
	buf b;
	buf_init(&b);
	labels_format(&b, ls);
	snprintf(s->order, sizeof s->order, "%s", buf_cstr(&b));
	buf_reset(&b);
	return 0;
}

/* External labels: an equality matcher on one with its value matches the
 * stored series (which lack it), and returned series carry them. */
static void read_external_labels(void)
{
	fixture f;
	fixture_init(&f);
	static const char yml[] = "global:\n  external_labels:\n    region: eu\n    i: x\n";
	err e;
	scrape_config *c = scrape_config_parse(yml, sizeof yml - 1, "test.yml", &e);
	if (!c)
		test_fail(__FILE__, __LINE__, "config: %s", e.msg);
	web_env_set_config(&f.env, c);
	rr_matcher m[] = {{MATCH_EQ, "__name__", "other"}, {MATCH_EQ, "region", "eu"}};
	rr_query q = {.start_ms = 0, .end_ms = 10000000, .matchers = m, .n_matchers = 2};
	rr_request rq = {.queries = &q, .n_queries = 1};
	buf pb, body, d;
	buf_init(&pb);
	buf_init(&body);
	buf_init(&d);
	ASSERT_EQ(rr_encode(&rq, &pb, &e), 0);
	ASSERT_EQ(remote_snappy_encode(pb.p, pb.len, &body), 0);
	static fake_hdrs h = {{NULL}, {NULL}};
	arena ra;
	arena_init(&ra);
	http_req r = {.method = "POST", .path = "/api/v1/read", .body = body.p, .body_len = body.len,
		      .header = fake_header, .conn = &h, .arena = &ra};
	http_resp w;
	memset(&w, 0, sizeof w);
	w.status = 200; /* the server's default */
	buf_init(&w.body);
	remote_read_handler(&f.env, &r, &w);
	ASSERT_EQ(w.status, 200);
	ASSERT_EQ(remote_snappy_decode(w.body.p, w.body.len, REMOTE_MAX_DECODED, &d, &e), 0);
	seen s = {0};
	ASSERT_EQ(rr_samples_decode(d.p, d.len, &f.a, seen_ext, &s, &e), 0);
	ASSERT_EQ(s.series, 1);
	ASSERT_EQ(s.samples, 300);
	ASSERT_STR_EQ(s.order, "{__name__=\"other\", i=\"0\", region=\"eu\"}");
	buf_reset(&w.body);
	/* /federate appends the external labels after the series' own */
	http_param p[] = {{"match[]", "other"}};
	http_req fr = {.method = "GET", .path = "/federate", .params = p, .n_params = 1, .header = fake_header,
		       .conn = &h, .arena = &ra};
	memset(&w, 0, sizeof w);
	buf_init(&w.body);
	f.env.opts.lookback_ms = INT64_MAX / 4; /* the fixture's samples are old */
	federate_handler(&f.env, &fr, &w);
	ASSERT_EQ(w.status, 200);
	ASSERT(strstr(buf_cstr(&w.body), "other{i=\"0\",region=\"eu\",instance=\"\"} 3299 5485000\n") != NULL);
	buf_reset(&w.body);
	arena_reset(&ra);
	buf_reset(&pb);
	buf_reset(&body);
	buf_reset(&d);
	fixture_free(&f);
}

static void read_gate(void)
{
	web_env env;
	err e;
	ASSERT_EQ(web_env_init(&env, NULL, &e), 0);
	remote_state *s = remote_state_get(&env);
	ASSERT(s == &env.remote_st);
	ASSERT_EQ(remote_read_gate_enter(s, 1, 1000), 0);
	ASSERT_EQ(remote_read_gate_load(s), 1);
	ASSERT_EQ(remote_read_gate_enter(s, 1, 30), FL_ETIMEOUT);
	ASSERT_EQ(remote_read_gate_load(s), 1);
	ASSERT_EQ(remote_read_gate_enter(s, 0, 0), 0); /* no limit */
	remote_read_gate_leave(s);
	remote_read_gate_leave(s);
	ASSERT_EQ(remote_read_gate_enter(s, 1, 30), 0);
	remote_read_gate_leave(s);
	ASSERT_EQ(remote_read_gate_load(s), 0);
	web_env_destroy(&env);
}

block *test_block_open_golden(const char *ulid); /* test_block.c */

/* What a streamed answer held, series by series: labels and chunks as sent. */
typedef struct got_chunks {
	labels ls[64];        /* series, in order (frames of one series merged) */
	buf bytes[64];        /* concatenated chunk bytes of each */
	int64_t t0[64], t1[64]; /* first chunk's min, last chunk's max */
	size_t n;             /* series */
	long samples;         /* decoded */
} got_chunks;

static int got_cb(void *ctx, int64_t q, labels ls, const rr_chunk *c, size_t n)
{
	got_chunks *g = ctx;
	if (!g->n || labels_compare(g->ls[g->n - 1], ls) != 0) {
		if (g->n == 64)
			return FL_ELIMIT;
		g->ls[g->n] = ls;
		buf_init(&g->bytes[g->n]);
		g->t0[g->n] = n ? c[0].min_ms : 0;
		g->n++;
	}
	for (size_t k = 0; k < n; k++) {
		buf_put(&g->bytes[g->n - 1], c[k].data, c[k].len);
		g->t1[g->n - 1] = c[k].max_ms;
		xor_iter it;
		xor_iter_init(&it, c[k].data, c[k].len, 0);
		while (xor_iter_next(&it))
			g->samples++;
	}
	return 0;
}

/* STREAMED_XOR_CHUNKS over a block sends the block's chunks byte for byte
 * (the chunk view, not decoded and re-encoded); a range that cuts chunks
 * re-encodes only those, and the samples equal the SAMPLES answer's. */
static void read_streamed_block_chunks_as_stored(void)
{
	err e;
	block *b = test_block_open_golden("01M85ZJJW0Q48HSX1F1SJXQXMD");
	const block_meta *bm = block_meta_get(b);
	fixture f;
	fixture_init(&f);
	f.env.queryable = block_queryable(b);
	static const int acc[] = {RR_STREAMED_XOR_CHUNKS};
	static rr_matcher m[] = {{MATCH_RE, "__name__", ".+"}};
	http_resp w;
	do_read_query(&f, (rr_query){.start_ms = bm->min_time, .end_ms = bm->max_time, .matchers = m, .n_matchers = 1},
		      acc, 1, &w);
	ASSERT_EQ(w.status, 200);
	got_chunks *g = fl_calloc(1, sizeof *g);
	ASSERT_EQ(rr_frames_decode(w.body.p, w.body.len, &f.a, got_cb, g, &e), 0);
	/* the block's own series and chunk bytes, in order */
	uint32_t *refs = NULL;
	size_t n_refs = 0, n_chks = 0, cap_chks = 0;
	chunk_meta *chks = NULL;
	ASSERT_EQ(index_select(block_index(b), NULL, 0, &refs, &n_refs, &e), 0);
	ASSERT_EQ(g->n, n_refs);
	long n_chunks = 0;
	for (size_t i = 0; i < n_refs; i++) {
		labels ls;
		n_chks = 0;
		ASSERT_EQ(index_series(block_index(b), refs[i], &f.a, &ls, &chks, &n_chks, &cap_chks, &e), 0);
		ASSERT_EQ(labels_compare(ls, g->ls[i]), 0);
		buf want;
		buf_init(&want);
		for (size_t k = 0; k < n_chks; k++) {
			uint8_t enc;
			const uint8_t *data;
			size_t len;
			ASSERT_EQ(chunks_get(block_chunks(b), chks[k].ref, false, &enc, &data, &len, &e), 0);
			buf_put(&want, data, len);
			n_chunks++;
		}
		ASSERT_EQ(want.len, g->bytes[i].len);
		ASSERT(memcmp(want.p, g->bytes[i].p, want.len) == 0);
		ASSERT_EQ(g->t0[i], chks[0].mint);
		ASSERT_EQ(g->t1[i], chks[n_chks - 1].maxt);
		buf_reset(&want);
		buf_reset(&g->bytes[i]);
	}
	ASSERT(n_chunks > 20);
	buf_reset(&w.body);
	/* a range cutting the block in the middle: the samples equal SAMPLES' */
	int64_t mid0 = bm->min_time + (bm->max_time - bm->min_time) / 3, mid1 = bm->max_time - (bm->max_time - bm->min_time) / 3;
	rr_query q = {.start_ms = mid0, .end_ms = mid1, .matchers = m, .n_matchers = 1};
	long streamed;
	memset(g, 0, sizeof *g);
	do_read_query(&f, q, acc, 1, &w);
	ASSERT_EQ(rr_frames_decode(w.body.p, w.body.len, &f.a, got_cb, g, &e), 0);
	streamed = g->samples;
	for (size_t i = 0; i < g->n; i++) {
		ASSERT(g->t0[i] >= mid0 && g->t1[i] <= mid1);
		buf_reset(&g->bytes[i]);
	}
	buf_reset(&w.body);
	do_read_query(&f, q, NULL, 0, &w);
	buf d;
	buf_init(&d);
	ASSERT_EQ(remote_snappy_decode(w.body.p, w.body.len, REMOTE_MAX_DECODED, &d, &e), 0);
	seen s = {0};
	ASSERT_EQ(rr_samples_decode(d.p, d.len, &f.a, seen_samples_count, &s, &e), 0);
	ASSERT(streamed > 0);
	ASSERT_EQ(streamed, s.samples);
	buf_reset(&d);
	buf_reset(&w.body);
	fl_free(g);
	fl_free(refs);
	fl_free(chks);
	fixture_free(&f);
	block_close(b);
}

const struct test tests_remote_http[] = {
	{"read_streamed_block_chunks_as_stored", read_streamed_block_chunks_as_stored},
	{"read_gate", read_gate},
	{"read_external_labels", read_external_labels},
	{"read_samples", read_samples},
	{"read_streamed_chunks", read_streamed_chunks},
	{"read_bad_requests", read_bad_requests},
	{NULL, NULL},
};
