/*
 * test_remote.c - remote/codec.c: snappy bounds, remote write 1.0 and
 * 2.0 decoding (label sorting, symbol table, validation messages), remote
 * read request/response and STREAMED_XOR_CHUNKS frames; web/metadata.c.
 */
#include "tests/unit/test.h"

#include "lib/hash.h"
#include "web/metadata.h"
#include "remote/codec.h"

static buf read_corpus(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "tests/fuzz/corpus/fuzz_remote_write/%s", name);
	FILE *f = fopen(path, "rb");
	ASSERT(f != NULL);
	buf b;
	buf_init(&b);
	uint8_t tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_put(&b, tmp, n);
	fclose(f);
	return b;
}

static void snappy_roundtrip(void)
{
	buf in, c, d;
	buf_init(&in);
	buf_init(&c);
	buf_init(&d);
	for (int i = 0; i < 10000; i++)
		buf_printf(&in, "sample %d ", i % 37);
	ASSERT_EQ(remote_snappy_encode(in.p, in.len, &c), 0);
	ASSERT(c.len < in.len / 4);
	err e;
	ASSERT_EQ(remote_snappy_decode(c.p, c.len, in.len, &d, &e), 0);
	ASSERT_EQ(d.len, in.len);
	ASSERT(memcmp(d.p, in.p, in.len) == 0);
	/* one byte under the decoded size: refused before decoding */
	ASSERT_EQ(remote_snappy_decode(c.p, c.len, in.len - 1, &d, &e), FL_ELIMIT);
	ASSERT(strstr(e.msg, "exceeds") != NULL);
	buf_reset(&in);
	buf_reset(&c);
	buf_reset(&d);
}

static void snappy_bomb_and_garbage(void)
{
	buf d;
	buf_init(&d);
	err e;
	/* header announces 2 GiB: refused without allocating it */
	buf bomb = read_corpus("snappy_bomb.bin");
	ASSERT_EQ(remote_snappy_decode(bomb.p, bomb.len, REMOTE_MAX_DECODED, &d, &e), FL_ELIMIT);
	ASSERT(d.cap < 1024);
	buf_reset(&bomb);
	static const uint8_t garbage[] = {0x10, 0xff, 0xff, 0xff, 0x01, 0x02};
	ASSERT_EQ(remote_snappy_decode(garbage, sizeof garbage, REMOTE_MAX_DECODED, &d, &e), FL_ECORRUPT);
	ASSERT_STR_EQ(e.msg, "snappy: corrupt input");
	/* truncated: announces 16 bytes, carries a literal of 3 */
	static const uint8_t trunc[] = {0x10, 0x08, 'a', 'b', 'c'};
	ASSERT(remote_snappy_decode(trunc, sizeof trunc, REMOTE_MAX_DECODED, &d, &e) < 0);
	buf_reset(&d);
}

/* The first request of send-remote-write.py (12 series, labels sorted). */
static void v1_decode_real_request(void)
{
	buf c = read_corpus("v1_send_remote_write_1.bin"), d;
	buf_init(&d);
	err e;
	ASSERT_EQ(remote_snappy_decode(c.p, c.len, REMOTE_MAX_DECODED, &d, &e), 0);
	arena a;
	arena_init(&a);
	rw_request r;
	ASSERT_EQ(rw_decode(RW_V1, d.p, d.len, &a, &r, &e), 0);
	ASSERT_EQ(r.n_series, 12);
	ASSERT_EQ(r.n_md, 0);
	const rw_series *s = &r.series[0];
	ASSERT_EQ(s->n_labels, 4);
	ASSERT_STR_EQ(s->labels[0].name, "__name__");
	ASSERT_STR_EQ(s->labels[0].value, "rw_requests_total");
	ASSERT_STR_EQ(s->labels[1].name, "instance");
	ASSERT_STR_EQ(s->labels[1].value, "host-0:9100");
	ASSERT_STR_EQ(s->labels[3].name, "shard");
	ASSERT_EQ(s->n_samples, 1);
	ASSERT(s->samples[0].t % 15000 == 0);
	ASSERT_EQ(rw_series_check(s, &e), 0);
	/* a 1.0 body read as 2.0 has only reserved fields: empty, not an error */
	ASSERT_EQ(rw_decode(RW_V2, d.p, d.len, &a, &r, &e), 0);
	ASSERT_EQ(r.n_series, 0);
	arena_reset(&a);
	buf_reset(&c);
	buf_reset(&d);
}

/* The hand-written 1.0 decoder and protobuf-c's agree, including on
 * unknown fields of every wire type and repeated scalars (last wins), and
 * both refuse a known field with the wrong wire type. */
static void v1_fast_matches_reference(void)
{
	/* timeseries { label b=x + unknown varint 3 and fixed32 4; label a=y, a=z
	 * + unknown fixed64 5; sample timestamp 5 then 6; unknown LEN 5 },
	 * metadata { counter "m" }, unknown LEN field 12 */
	static const uint8_t msg[] = {
		0x0a, 0x2b, 0x0a, 0x0d, 0x0a, 0x01, 0x62, 0x12, 0x01, 0x78, 0x18, 0x07, 0x25, 0x01, 0x02, 0x03,
		0x04, 0x0a, 0x12, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x79, 0x12, 0x01, 0x7a, 0x29, 0x01, 0x02, 0x03,
		0x04, 0x05, 0x06, 0x07, 0x08, 0x12, 0x04, 0x10, 0x05, 0x10, 0x06, 0x2a, 0x00, 0x1a, 0x05, 0x08,
		0x01, 0x12, 0x01, 0x6d, 0x62, 0x02, 0x68, 0x69,
	};
	arena a;
	arena_init(&a);
	rw_request f, r;
	err e;
	int rcf = rw_decode(RW_V1, msg, sizeof msg, &a, &f, &e);
	int rcr = rw_decode_reference(RW_V1, msg, sizeof msg, &a, &r, &e);
	ASSERT_EQ(rcr, 0);
	ASSERT_EQ(rcf, 0);
	ASSERT(rw_request_equal(&f, &r));
	ASSERT_EQ(f.n_series, 1);
	ASSERT_STR_EQ(f.series[0].labels[0].name, "a");
	ASSERT_STR_EQ(f.series[0].labels[0].value, "z");
	ASSERT_EQ(f.series[0].samples[0].t, 6);
	ASSERT_STR_EQ(f.md[0].family, "m");
	/* a label sent as a varint: both refuse */
	static const uint8_t wrong[] = {0x0a, 0x02, 0x08, 0x01};
	ASSERT_EQ(rw_decode(RW_V1, wrong, sizeof wrong, &a, &f, &e), FL_ECORRUPT);
	ASSERT(rw_decode_reference(RW_V1, wrong, sizeof wrong, &a, &r, &e) < 0);
	/* the real sender's requests */
	for (int i = 1; i <= 3; i++) {
		char name[64];
		snprintf(name, sizeof name, "v1_send_remote_write_%d.bin", i);
		buf c = read_corpus(name), d;
		buf_init(&d);
		ASSERT_EQ(remote_snappy_decode(c.p, c.len, REMOTE_MAX_DECODED, &d, &e), 0);
		ASSERT_EQ(rw_decode(RW_V1, d.p, d.len, &a, &f, &e), 0);
		ASSERT_EQ(rw_decode_reference(RW_V1, d.p, d.len, &a, &r, &e), 0);
		ASSERT(rw_request_equal(&f, &r));
		buf_reset(&c);
		buf_reset(&d);
	}
	arena_reset(&a);
}

/* Grafana sends labels in map order, with duplicates possible. */
static void v1_unsorted_duplicate_and_empty_labels(void)
{
	label in[] = {{"job", "g"}, {"__name__", "rule:x"}, {"empty", ""}, {"a", "1"}};
	sample sm[] = {{1000, 1.0}, {2000, -0.0}};
	rw_series s = {.labels = in, .n_labels = 4, .samples = sm, .n_samples = 2};
	rw_metadata md = {RW_TYPE_COUNTER, "rule:x", "Help text.", "seconds"};
	rw_request r = {.version = RW_V1, .series = &s, .n_series = 1, .md = &md, .n_md = 1};
	buf b;
	buf_init(&b);
	err e;
	ASSERT_EQ(rw_encode(&r, &b, &e), 0);
	arena a;
	arena_init(&a);
	rw_request o;
	ASSERT_EQ(rw_decode(RW_V1, b.p, b.len, &a, &o, &e), 0);
	ASSERT_EQ(o.n_series, 1);
	ASSERT_EQ(o.series[0].n_labels, 3);
	ASSERT_STR_EQ(o.series[0].labels[0].name, "__name__");
	ASSERT_STR_EQ(o.series[0].labels[1].name, "a");
	ASSERT_STR_EQ(o.series[0].labels[2].name, "job");
	ASSERT(o.series[0].dup_name == NULL);
	ASSERT_EQ(o.series[0].n_samples, 2);
	ASSERT(signbit(o.series[0].samples[1].v));
	ASSERT_EQ(o.n_md, 1);
	ASSERT_EQ(o.md[0].type, RW_TYPE_COUNTER);
	ASSERT_STR_EQ(o.md[0].family, "rule:x");
	ASSERT_STR_EQ(o.md[0].help, "Help text.");
	ASSERT_STR_EQ(o.md[0].unit, "seconds");

	label dup[] = {{"__name__", "m"}, {"b", "1"}, {"b", "2"}};
	s = (rw_series){.labels = dup, .n_labels = 3};
	r.n_md = 0;
	buf_clear(&b);
	ASSERT_EQ(rw_encode(&r, &b, &e), 0);
	ASSERT_EQ(rw_decode(RW_V1, b.p, b.len, &a, &o, &e), 0);
	ASSERT_STR_EQ(o.series[0].dup_name, "b");
	ASSERT_EQ(rw_series_check(&o.series[0], &e), FL_EINVAL);
	ASSERT_STR_EQ(e.msg, "invalid labels for series, labels {__name__=\"m\", b=\"1\", b=\"2\"}, duplicated label b");
	arena_reset(&a);
	buf_reset(&b);
}

static void series_check_messages(void)
{
	err e;
	label noname[] = {{"job", "x"}};
	rw_series s = {.labels = noname, .n_labels = 1};
	ASSERT_EQ(rw_series_check(&s, &e), FL_EINVAL);
	ASSERT_STR_EQ(e.msg, "invalid metric name or labels, got {job=\"x\"}");
	label badutf[] = {{"__name__", "m"}, {"x", "\xff\xfe"}};
	s = (rw_series){.labels = badutf, .n_labels = 2};
	ASSERT_EQ(rw_series_check(&s, &e), FL_EINVAL);
	label utf[] = {{"__name__", "m"}, {"city", "서울"}, {"service.name", "✓ ok 🚀"}};
	s = (rw_series){.labels = utf, .n_labels = 3};
	ASSERT_EQ(rw_series_check(&s, &e), 0);
	label surrogate[] = {{"__name__", "m"}, {"x", "\xed\xa0\x80"}};
	s = (rw_series){.labels = surrogate, .n_labels = 2};
	ASSERT_EQ(rw_series_check(&s, &e), FL_EINVAL);
}

static void v2_roundtrip_with_metadata(void)
{
	label l1[] = {{"__name__", "http_requests_total"}, {"job", "api"}};
	label l2[] = {{"job", "api"}, {"__name__", "temp_celsius"}};
	sample s1[] = {{1700000000000, 10}, {1700000015000, 12}};
	sample s2[] = {{1700000000000, 21.5}};
	rw_series ss[2] = {
		{.labels = l1, .n_labels = 2, .samples = s1, .n_samples = 2, .created_ms = 1699999990000,
		 .has_metadata = true, .md = {RW_TYPE_COUNTER, "", "Requests served.", ""}},
		{.labels = l2, .n_labels = 2, .samples = s2, .n_samples = 1,
		 .has_metadata = true, .md = {RW_TYPE_GAUGE, "", "", "celsius"}},
	};
	rw_request r = {.version = RW_V2, .series = ss, .n_series = 2};
	buf b;
	buf_init(&b);
	err e;
	ASSERT_EQ(rw_encode(&r, &b, &e), 0);
	arena a;
	arena_init(&a);
	rw_request o;
	ASSERT_EQ(rw_decode(RW_V2, b.p, b.len, &a, &o, &e), 0);
	ASSERT_EQ(o.n_series, 2);
	ASSERT_STR_EQ(o.series[0].labels[0].value, "http_requests_total");
	ASSERT_EQ(o.series[0].n_samples, 2);
	ASSERT_EQ(o.series[0].samples[1].t, 1700000015000);
	ASSERT_EQ(o.series[0].created_ms, 1699999990000);
	ASSERT(o.series[0].has_metadata);
	ASSERT_EQ(o.series[0].md.type, RW_TYPE_COUNTER);
	ASSERT_STR_EQ(o.series[0].md.family, "http_requests_total");
	ASSERT_STR_EQ(o.series[0].md.help, "Requests served.");
	/* labels of the second series were sent unsorted */
	ASSERT_STR_EQ(o.series[1].labels[0].name, "__name__");
	ASSERT_STR_EQ(o.series[1].md.unit, "celsius");
	ASSERT_STR_EQ(rw_metric_type_name(o.series[1].md.type), "gauge");
	/* read as 1.0 (wrong Content-Type): the reserved-field trick gives an
	 * empty request rather than garbage */
	ASSERT_EQ(rw_decode(RW_V1, b.p, b.len, &a, &o, &e), 0);
	ASSERT_EQ(o.n_series, 0);
	arena_reset(&a);
	buf_reset(&b);
}

static void v2_real_seed_and_bad_refs(void)
{
	buf c = read_corpus("v2_request.bin"), d;
	buf_init(&d);
	err e;
	ASSERT_EQ(remote_snappy_decode(c.p, c.len, REMOTE_MAX_DECODED, &d, &e), 0);
	arena a;
	arena_init(&a);
	rw_request r;
	ASSERT_EQ(rw_decode(RW_V2, d.p, d.len, &a, &r, &e), 0);
	ASSERT_EQ(r.n_series, 3);
	ASSERT_STR_EQ(r.series[2].labels[1].name, "instance");
	ASSERT_DBL_EQ(r.series[2].samples[0].v, 3.5);
	ASSERT_STR_EQ(r.series[0].md.help, "Requests.");
	/* symbols = [""], one series referring to symbol 5 */
	static const uint8_t bad[] = {0x22, 0x00, 0x2a, 0x04, 0x0a, 0x02, 0x05, 0x00};
	ASSERT_EQ(rw_decode(RW_V2, bad, sizeof bad, &a, &r, &e), FL_EINVAL);
	ASSERT(strstr(e.msg, "out of range") != NULL);
	static const uint8_t odd[] = {0x22, 0x00, 0x2a, 0x03, 0x0a, 0x01, 0x00};
	ASSERT_EQ(rw_decode(RW_V2, odd, sizeof odd, &a, &r, &e), FL_EINVAL);
	static const uint8_t trunc[] = {0x0a, 0x10, 0x0a};
	ASSERT_EQ(rw_decode(RW_V1, trunc, sizeof trunc, &a, &r, &e), FL_ECORRUPT);
	arena_reset(&a);
	buf_reset(&c);
	buf_reset(&d);
}

/* 1 MiB of empty TimeSeries fields with a tight arena: a clean error. */
static void protobuf_amplification_bounded(void)
{
	size_t n = 1 << 20;
	uint8_t *p = fl_malloc(n);
	for (size_t i = 0; i < n; i += 2) {
		p[i] = 0x0a;
		p[i + 1] = 0x00;
	}
	arena a;
	arena_init(&a);
	a.limit = 16u << 20;
	rw_request r;
	err e;
	ASSERT_EQ(rw_decode(RW_V1, p, n, &a, &r, &e), FL_ELIMIT);
	ASSERT_EQ(a.limit, 16u << 20);
	arena_reset(&a);
	fl_free(p);
}

static void read_request_roundtrip(void)
{
	rr_matcher m[] = {{MATCH_RE, "__name__", "rw.*"}, {MATCH_EQ, "job", "rw"}};
	rr_query q = {.start_ms = 1000, .end_ms = 5000, .matchers = m, .n_matchers = 2, .has_hints = true,
		      .hints = {.start_ms = 1000, .end_ms = 5000, .step_ms = 15, .func = "rate"}};
	int acc[] = {RR_STREAMED_XOR_CHUNKS, RR_SAMPLES};
	rr_request r = {.queries = &q, .n_queries = 1, .accepted = acc, .n_accepted = 2};
	buf b;
	buf_init(&b);
	err e;
	ASSERT_EQ(rr_encode(&r, &b, &e), 0);
	arena a;
	arena_init(&a);
	rr_request o;
	ASSERT_EQ(rr_decode(b.p, b.len, &a, &o, &e), 0);
	ASSERT_EQ(o.n_queries, 1);
	ASSERT_EQ(o.queries[0].start_ms, 1000);
	ASSERT_EQ(o.queries[0].end_ms, 5000);
	ASSERT_EQ(o.queries[0].n_matchers, 2);
	ASSERT_EQ(o.queries[0].matchers[0].type, MATCH_RE);
	ASSERT_STR_EQ(o.queries[0].matchers[0].value, "rw.*");
	ASSERT(o.queries[0].has_hints);
	ASSERT_STR_EQ(o.queries[0].hints.func, "rate");
	ASSERT_EQ(o.n_accepted, 2);
	ASSERT_EQ(o.accepted[0], RR_STREAMED_XOR_CHUNKS);
	buf_reset(&b);
	/* the python seed */
	buf c = read_corpus("read_request.bin"), d;
	buf_init(&d);
	ASSERT_EQ(remote_snappy_decode(c.p, c.len, REMOTE_MAX_DECODED, &d, &e), 0);
	ASSERT_EQ(rr_decode(d.p, d.len, &a, &o, &e), 0);
	ASSERT_EQ(o.queries[0].hints.step_ms, 15000);
	ASSERT_EQ(o.accepted[1], RR_SAMPLES);
	arena_reset(&a);
	buf_reset(&c);
	buf_reset(&d);
}

typedef struct got {
	int n;
	char last[256];
	int64_t q;
	size_t n_items;
	double v0;
} got;

static int samples_cb(void *ctx, size_t q, labels ls, const sample *v, size_t n)
{
	got *g = ctx;
	g->n++;
	g->q = (int64_t)q;
	g->n_items = n;
	g->v0 = n ? v[0].v : 0;
	snprintf(g->last, sizeof g->last, "%s=%s", ls.v[0].name, ls.v[0].value);
	return 0;
}

static void read_samples_response(void)
{
	arena a;
	arena_init(&a);
	rr_samples *s = rr_samples_new(&a, 2);
	label l[] = {{"__name__", "up"}, {"job", "x"}};
	sample v[] = {{1000, 1}, {2000, 0}};
	ASSERT_EQ(rr_samples_add(s, 1, (labels){l, 2}, v, 2), 0);
	buf b;
	buf_init(&b);
	err e;
	ASSERT_EQ(rr_samples_finish(s, &b, &e), 0);
	got g = {0};
	ASSERT_EQ(rr_samples_decode(b.p, b.len, &a, samples_cb, &g, &e), 0);
	ASSERT_EQ(g.n, 1);
	ASSERT_EQ(g.q, 1);
	ASSERT_EQ(g.n_items, 2);
	ASSERT_STR_EQ(g.last, "__name__=up");
	arena_reset(&a);
	buf_reset(&b);
}

static int chunks_cb(void *ctx, int64_t q, labels ls, const rr_chunk *c, size_t n)
{
	got *g = ctx;
	g->n++;
	g->q = q;
	g->n_items = n;
	g->v0 = n ? (double)c[0].len : 0;
	snprintf(g->last, sizeof g->last, "%s=%s", ls.v[ls.n - 1].name, ls.v[ls.n - 1].value);
	return 0;
}

static void read_frames(void)
{
	label l[] = {{"__name__", "up"}, {"job", "x"}};
	static const uint8_t data[] = {0x00, 0x01, 0x02, 0x03};
	rr_chunk c[] = {{1000, 2000, data, 4}, {3000, 4000, data, 2}};
	buf b;
	buf_init(&b);
	err e;
	ASSERT_EQ(rr_frame_append(&b, 3, (labels){l, 2}, c, 2, &e), 0);
	ASSERT_EQ(rr_frame_append(&b, 3, (labels){l, 1}, c, 1, &e), 0);
	/* frame 1 layout: uvarint size, then big-endian CRC32C of the message */
	uint64_t n;
	int k = uvarint_get(b.p, b.len, &n);
	ASSERT(k == 1);
	ASSERT_EQ(be32(b.p + 1), crc32c(0, b.p + 5, n));
	/* the size we budget frames with equals the encoded chunk message */
	ASSERT_EQ(rr_chunk_pb_size(&c[0]), 3 + 3 + 2 + 1 + 1 + 4);
	ASSERT_EQ(rr_labels_pb_size((labels){l, 1}), 2 + 8 + 2 + 2);
	arena a;
	arena_init(&a);
	got g = {0};
	ASSERT_EQ(rr_frames_decode(b.p, b.len, &a, chunks_cb, &g, &e), 0);
	ASSERT_EQ(g.n, 2);
	ASSERT_EQ(g.q, 3);
	ASSERT_EQ(g.n_items, 1);
	ASSERT_STR_EQ(g.last, "__name__=up");
	b.p[b.len - 1] ^= 1;
	ASSERT_EQ(rr_frames_decode(b.p, b.len, &a, chunks_cb, &g, &e), FL_ECORRUPT);
	ASSERT(strstr(e.msg, "crc mismatch") != NULL);
	ASSERT_EQ(rr_frames_decode(b.p, 3, &a, chunks_cb, &g, &e), FL_ECORRUPT);
	arena_reset(&a);
	buf_reset(&b);
}

static void metadata_store_basics(void)
{
	metadata_store *m = metadata_store_new();
	ASSERT(m != NULL);
	metadata_store_set(m, "http_requests_total", RW_TYPE_COUNTER, "Requests.", "");
	metadata_store_set(m, "temp", RW_TYPE_GAUGE, "Temperature.", "celsius");
	metadata_store_set(m, "http_requests_total", RW_TYPE_COUNTER, "Requests served.", "");
	metadata_store_set(m, "", RW_TYPE_GAUGE, "x", "");
	ASSERT_EQ(metadata_store_len(m), 2);
	metadata_entry *v;
	size_t n = metadata_store_snapshot(m, &v);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(v[0].metric, "http_requests_total");
	ASSERT_STR_EQ(v[0].type, "counter");
	ASSERT_STR_EQ(v[0].help, "Requests served.");
	ASSERT_STR_EQ(v[1].metric, "temp");
	ASSERT_STR_EQ(v[1].unit, "celsius");
	metadata_snapshot_free(v, n);
	metadata_store_free(m);
	metadata_store_free(NULL);
}

/* Issue 14 campaign (fuzz_remote_write, clang UBSan): an empty 1.0 message
 * given as (NULL, 0), as an empty snappy block or an empty encoding yields,
 * made the fast decoder compute NULL + 0. It decodes to no series. */
static void issue_14_remote_write_empty_null(void)
{
	arena a;
	arena_init(&a);
	err e;
	rw_request r;
	ASSERT_EQ(rw_decode(RW_V1, NULL, 0, &a, &r, &e), 0);
	ASSERT_EQ(r.n_series, 0);
	ASSERT_EQ(rw_decode_reference(RW_V1, NULL, 0, &a, &r, &e), 0);
	ASSERT_EQ(r.n_series, 0);
	arena_reset(&a);
}

/* Enough families to grow the table a few times; each keeps its own help. */
static void metadata_store_many(void)
{
	metadata_store *m = metadata_store_new();
	ASSERT(m != NULL);
	char name[32], help[32];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 500; i++) {
			snprintf(name, sizeof name, "m%03d", i);
			snprintf(help, sizeof help, "h%d.%d", i, round);
			ASSERT_EQ(metadata_store_set(m, name, RW_TYPE_GAUGE, help, ""), 0);
		}
	ASSERT_EQ(metadata_store_len(m), 500);
	metadata_entry *v;
	size_t n = metadata_store_snapshot(m, &v);
	ASSERT_EQ(n, 500);
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof name, "m%03d", i);
		snprintf(help, sizeof help, "h%d.1", i);
		ASSERT_STR_EQ(v[i].metric, name);
		ASSERT_STR_EQ(v[i].help, help);
	}
	metadata_snapshot_free(v, n);
	metadata_store_free(m);
}

const struct test tests_remote[] = {
	{"issue_14_remote_write_empty_null", issue_14_remote_write_empty_null},
	{"snappy_roundtrip", snappy_roundtrip},
	{"snappy_bomb_and_garbage", snappy_bomb_and_garbage},
	{"v1_decode_real_request", v1_decode_real_request},
	{"v1_fast_matches_reference", v1_fast_matches_reference},
	{"v1_unsorted_duplicate_and_empty_labels", v1_unsorted_duplicate_and_empty_labels},
	{"series_check_messages", series_check_messages},
	{"v2_roundtrip_with_metadata", v2_roundtrip_with_metadata},
	{"v2_real_seed_and_bad_refs", v2_real_seed_and_bad_refs},
	{"protobuf_amplification_bounded", protobuf_amplification_bounded},
	{"read_request_roundtrip", read_request_roundtrip},
	{"read_samples_response", read_samples_response},
	{"read_frames", read_frames},
	{"metadata_store_basics", metadata_store_basics},
	{"metadata_store_many", metadata_store_many},
	{NULL, NULL},
};
