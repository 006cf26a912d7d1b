/*
 * test_remote_write.c - the remote-write receiver (web/remote_write.c)
 * through web/http.h on a real db in a temporary directory: Content-Type
 * and encoding negotiation, 1.0 all-or-nothing with Prometheus's messages,
 * skipped invalid series, 2.0 partial writes and written-count headers,
 * metadata, the future-timestamp bound, /metrics and /federate on the
 * written data, the series cache by label bytes (hits, invalid series
 * never cached, a cached series removed by head truncation).
 */
#include "tests/unit/test.h"

#include <strings.h>

#include "web/metadata.h"
#include "web/remote.h"
#include "remote/codec.h"
#include "tsdb/head.h"
#include "tsdb/refcache.h"

typedef struct wfix {
	db *d;
	web_env env;
	int64_t now; /* a recent timestamp, on the 15s grid */
} wfix;

static void wfix_init(wfix *f)
{
	err e;
	db_opts o;
	db_opts_default(&o);
	f->d = db_open(test_tmpdir(), &o, &e);
	if (!f->d)
		test_fail(__FILE__, __LINE__, "db_open: %s", e.msg);
	ASSERT_EQ(web_env_init(&f->env, NULL, &e), 0);
	f->env.db = f->d;
	f->env.queryable = db_queryable(f->d);
	f->env.opts.enable_remote_write_receiver = true;
	f->now = remote_now_ms() / 15000 * 15000 - 60000;
}

static void wfix_free(wfix *f)
{
	web_env_destroy(&f->env);
	db_close(f->d);
}

typedef struct hdrs {
	const char *ct, *enc;
} hdrs;

static const char *hdr(const http_req *r, const char *name)
{
	const hdrs *h = r->conn;
	if (!strcasecmp(name, "Content-Type"))
		return h->ct;
	if (!strcasecmp(name, "Content-Encoding"))
		return h->enc;
	return NULL;
}

/* POST body (already compressed) with the given headers; w must be freed. */
static void post(wfix *f, const char *ct, const char *enc, const uint8_t *body, size_t n, http_resp *w)
{
	hdrs h = {ct, enc};
	arena a;
	arena_init(&a);
	http_req r = {.method = "POST", .path = "/api/v1/write", .body = body, .body_len = n, .header = hdr,
		      .conn = &h, .arena = &a};
	memset(w, 0, sizeof *w);
	w->status = 200;
	buf_init(&w->body);
	remote_write_handler(&f->env, &r, w);
	/* header values live in the request arena: copy what tests read */
	static char vals[HTTP_MAX_HEADERS][64];
	for (int i = 0; i < w->n_hdr; i++) {
		snprintf(vals[i], sizeof vals[i], "%s", w->hdr_value[i]);
		w->hdr_value[i] = vals[i];
	}
	arena_reset(&a);
}

static void post_req(wfix *f, const rw_request *rq, const char *ct, http_resp *w)
{
	buf pb, body;
	buf_init(&pb);
	buf_init(&body);
	err e;
	ASSERT_EQ(rw_encode(rq, &pb, &e), 0);
	ASSERT_EQ(remote_snappy_encode(pb.p, pb.len, &body), 0);
	post(f, ct, "snappy", body.p, body.len, w);
	buf_reset(&pb);
	buf_reset(&body);
}

static const char *resp_hdr(const http_resp *w, const char *name)
{
	for (int i = 0; i < w->n_hdr; i++)
		if (!strcasecmp(w->hdr_name[i], name))
			return w->hdr_value[i];
	return NULL;
}

/* Value of the single sample of series `sel` (name=value of one label) at t. */
static int count_samples(wfix *f, const char *name, const char *value, double *last)
{
	err e;
	querier *q = queryable_querier(f->env.queryable, 0, INT64_MAX, &e);
	ASSERT(q != NULL);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, name, value, &e), 0);
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	int n = 0;
	sample_iter *it = NULL;
	while (series_set_next(ss)) {
		it = series_set_iter(ss, it);
		while (sample_iter_next(it) == VAL_FLOAT) {
			int64_t t;
			sample_iter_at(it, &t, last);
			n++;
		}
	}
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&m);
	querier_close(q);
	return n;
}

static void write_v1_and_negotiation(void)
{
	wfix f;
	wfix_init(&f);
	label l[] = {{"job", "g"}, {"__name__", "rule:x"}, {"instance", "a"}};
	sample s[] = {{f.now, 1}, {f.now + 15000, 2}};
	rw_metadata md = {RW_TYPE_GAUGE, "rule:x", "A rule.", ""};
	rw_series rs = {.labels = l, .n_labels = 3, .samples = s, .n_samples = 2};
	rw_request rq = {.version = RW_V1, .series = &rs, .n_series = 1, .md = &md, .n_md = 1};
	http_resp w;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 204);
	ASSERT(resp_hdr(&w, "X-Prometheus-Remote-Write-Samples-Written") == NULL);
	buf_reset(&w.body);
	double last = 0;
	ASSERT_EQ(count_samples(&f, "__name__", "rule:x", &last), 2);
	ASSERT_DBL_EQ(last, 2);
	metadata_entry *v;
	size_t n = metadata_store_snapshot(f.env.metadata, &v);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(v[0].type, "gauge");
	ASSERT_STR_EQ(v[0].help, "A rule.");
	metadata_snapshot_free(v, n);
	/* explicit 1.0 proto parameter, no Content-Type at all: both 1.0 */
	s[0].t = f.now + 30000;
	rs.n_samples = 1;
	post_req(&f, &rq, "application/x-protobuf;proto=prometheus.WriteRequest", &w);
	ASSERT_EQ(w.status, 204);
	buf_reset(&w.body);
	s[0].t = f.now + 45000;
	post_req(&f, &rq, NULL, &w);
	ASSERT_EQ(w.status, 204);
	buf_reset(&w.body);
	ASSERT_EQ(count_samples(&f, "__name__", "rule:x", &last), 4);
	/* 415s and 400s */
	post_req(&f, &rq, "text/plain", &w);
	ASSERT_EQ(w.status, 415);
	ASSERT(strstr(buf_cstr(&w.body), "expected application/x-protobuf as the first (media) part") != NULL);
	buf_reset(&w.body);
	post_req(&f, &rq, "application/x-protobuf;proto=foo.Bar", &w);
	ASSERT_EQ(w.status, 415);
	buf_reset(&w.body);
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
	post(&f, "application/x-protobuf", "gzip", junk, sizeof junk, &w);
	ASSERT_EQ(w.status, 415);
	ASSERT_STR_EQ(buf_cstr(&w.body), "gzip encoding (compression) is not accepted by this server; only snappy is acceptable\n");
	buf_reset(&w.body);
	post(&f, "application/x-protobuf", "snappy", junk, sizeof junk, &w);
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	wfix_free(&f);
}

static void write_v1_duplicate_rolls_back(void)
{
	wfix f;
	wfix_init(&f);
	label a[] = {{"__name__", "a"}}, b[] = {{"__name__", "b"}}, bad[] = {{"job", "noname"}};
	sample s1[] = {{f.now, 1}}, s2[] = {{f.now, 5}};
	rw_series rs[3] = {{.labels = a, .n_labels = 1, .samples = s1, .n_samples = 1}};
	rw_request rq = {.version = RW_V1, .series = rs, .n_series = 1};
	http_resp w;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 204);
	buf_reset(&w.body);
	/* b is fine, the nameless series is skipped, a's value changes at the same time */
	rs[0] = (rw_series){.labels = b, .n_labels = 1, .samples = s1, .n_samples = 1};
	rs[1] = (rw_series){.labels = bad, .n_labels = 1, .samples = s1, .n_samples = 1};
	rs[2] = (rw_series){.labels = a, .n_labels = 1, .samples = s2, .n_samples = 1};
	rq.n_series = 3;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 400);
	/* 3.x wording: "duplicate sample for timestamp T; overrides not allowed: ..." */
	ASSERT(!strncmp(buf_cstr(&w.body), "duplicate sample for timestamp", 30));
	buf_reset(&w.body);
	double last;
	ASSERT_EQ(count_samples(&f, "__name__", "b", &last), 0); /* all or nothing */
	/* without the duplicate: b written, the nameless series skipped, 204 */
	rq.n_series = 2;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 204);
	buf_reset(&w.body);
	ASSERT_EQ(count_samples(&f, "__name__", "b", &last), 1);
	ASSERT_EQ(count_samples(&f, "job", "noname", &last), 0);
	/* too far in the future */
	sample fut[] = {{remote_now_ms() + 11 * 60 * 1000, 1}};
	rs[0] = (rw_series){.labels = b, .n_labels = 1, .samples = fut, .n_samples = 1};
	rq.n_series = 1;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 400);
	ASSERT_STR_EQ(buf_cstr(&w.body), "out of bounds: timestamp is too far in the future\n");
	buf_reset(&w.body);
	wfix_free(&f);
}

static void write_v2_partial(void)
{
	wfix f;
	wfix_init(&f);
	label good[] = {{"__name__", "v2_good"}, {"job", "x"}}, noname[] = {{"job", "x"}};
	sample s[] = {{f.now, 1}, {f.now + 15000, 2}}, old[] = {{f.now - 15000, 9}};
	rw_series rs[3] = {
		{.labels = good, .n_labels = 2, .samples = s, .n_samples = 2, .has_metadata = true,
		 .md = {RW_TYPE_COUNTER, "", "Good things.", "things"}},
		{.labels = noname, .n_labels = 1, .samples = s, .n_samples = 1},
	};
	rw_request rq = {.version = RW_V2, .series = rs, .n_series = 2};
	const char *ct = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
	http_resp w;
	post_req(&f, &rq, ct, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT_STR_EQ(buf_cstr(&w.body), "invalid metric name or labels, got {job=\"x\"}\n");
	ASSERT_STR_EQ(resp_hdr(&w, "X-Prometheus-Remote-Write-Samples-Written"), "2");
	ASSERT_STR_EQ(resp_hdr(&w, "X-Prometheus-Remote-Write-Histograms-Written"), "0");
	ASSERT_STR_EQ(resp_hdr(&w, "X-Prometheus-Remote-Write-Exemplars-Written"), "0");
	buf_reset(&w.body);
	double last;
	ASSERT_EQ(count_samples(&f, "__name__", "v2_good", &last), 2);
	metadata_entry *v;
	size_t n = metadata_store_snapshot(f.env.metadata, &v);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(v[0].metric, "v2_good");
	ASSERT_STR_EQ(v[0].unit, "things");
	metadata_snapshot_free(v, n);
	/* an out-of-order sample: reason per sample, the rest written */
	rs[0] = (rw_series){.labels = good, .n_labels = 2, .samples = old, .n_samples = 1};
	sample nw[] = {{f.now + 30000, 3}};
	label other[] = {{"__name__", "v2_other"}};
	rs[1] = (rw_series){.labels = other, .n_labels = 1, .samples = nw, .n_samples = 1};
	post_req(&f, &rq, ct, &w);
	ASSERT_EQ(w.status, 400);
	ASSERT_STR_EQ(buf_cstr(&w.body), "out of order sample for series {__name__=\"v2_good\", job=\"x\"}\n");
	ASSERT_STR_EQ(resp_hdr(&w, "X-Prometheus-Remote-Write-Samples-Written"), "1");
	buf_reset(&w.body);
	ASSERT_EQ(count_samples(&f, "__name__", "v2_other", &last), 1);
	/* all good: 204 with the headers */
	nw[0].t += 15000;
	rq.series = &rs[1];
	rq.n_series = 1;
	post_req(&f, &rq, ct, &w);
	ASSERT_EQ(w.status, 204);
	ASSERT_STR_EQ(resp_hdr(&w, "X-Prometheus-Remote-Write-Samples-Written"), "1");
	buf_reset(&w.body);
	wfix_free(&f);
}

static void write_disabled_404(void)
{
	wfix f;
	wfix_init(&f);
	f.env.opts.enable_remote_write_receiver = false;
	http_resp w;
	post(&f, NULL, NULL, (const uint8_t *)"", 0, &w);
	ASSERT_EQ(w.status, 404);
	ASSERT_STR_EQ(buf_cstr(&w.body), "remote write receiver needs to be enabled with --web.enable-remote-write-receiver\n");
	buf_reset(&w.body);
	wfix_free(&f);
}

static void metrics_and_federate(void)
{
	wfix f;
	wfix_init(&f);
	label l[] = {{"__name__", "fed_m"}, {"job", "j"}, {"path", "a\"b\\c"}};
	sample s[] = {{f.now, 1.5}, {f.now + 15000, 1e21}};
	rw_series rs = {.labels = l, .n_labels = 3, .samples = s, .n_samples = 2};
	rw_request rq = {.version = RW_V1, .series = &rs, .n_series = 1};
	http_resp w;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 204);
	buf_reset(&w.body);
	arena a;
	arena_init(&a);
	http_req r = {.method = "GET", .path = "/metrics", .header = hdr, .conn = &(hdrs){NULL, NULL}, .arena = &a};
	memset(&w, 0, sizeof w);
	buf_init(&w.body);
	self_metrics_handler(&f.env, &r, &w);
	const char *m = buf_cstr(&w.body);
	ASSERT(strstr(m, "\nprometheus_tsdb_head_series 1\n") != NULL);
	ASSERT(strstr(m, "\nflint_remote_write_samples_written_total 2\n") != NULL);
	ASSERT(strstr(m, "# TYPE process_cpu_seconds_total counter\n") != NULL);
	ASSERT(strstr(m, "prometheus_tsdb_head_samples_appended_total{type=\"float\"} 2\n") != NULL);
	buf_reset(&w.body);
	http_param p[] = {{"match[]", "fed_m"}};
	r.path = "/federate";
	r.params = p;
	r.n_params = 1;
	memset(&w, 0, sizeof w);
	buf_init(&w.body);
	federate_handler(&f.env, &r, &w);
	ASSERT_EQ(w.status, 200);
	char want[256];
	snprintf(want, sizeof want, "# TYPE fed_m untyped\nfed_m{job=\"j\",path=\"a\\\"b\\\\c\",instance=\"\"} 1e+21 %lld\n",
		 (long long)(f.now + 15000));
	ASSERT_STR_EQ(buf_cstr(&w.body), want);
	buf_reset(&w.body);
	arena_reset(&a);
	wfix_free(&f);
}

static series_ref grab_raw(void *ctx, const uint8_t *raw, size_t n)
{
	buf *b = ctx; /* the first series' bytes */
	if (!b->len)
		buf_put(b, raw, n);
	return 0;
}

/* The series cache: a repeated series is found by its label bytes (unsorted
 * and with an empty label as sent), an invalid one is never cached, and a
 * cached ref whose series head truncation removed falls back to the labels. */
static void write_v1_series_cache(void)
{
	wfix f;
	wfix_init(&f);
	refcache *c = db_refcache(f.d);
	label l[] = {{"job", "j"}, {"__name__", "cached"}, {"empty", ""}}, bad[] = {{"job", "noname"}};
	sample s[] = {{f.now, 1}}, s2[] = {{f.now, 7}};
	rw_series rs[2] = {{.labels = l, .n_labels = 3, .samples = s, .n_samples = 1},
			   {.labels = bad, .n_labels = 1, .samples = s2, .n_samples = 1}};
	rw_request rq = {.version = RW_V1, .series = rs, .n_series = 2};
	http_resp w;
	for (int i = 0; i < 3; i++) {
		s[0] = (sample){f.now + i * 15000, i};
		s2[0].t = s[0].t;
		post_req(&f, &rq, "application/x-protobuf", &w);
		ASSERT_EQ(w.status, 204);
		buf_reset(&w.body);
		ASSERT_EQ(refcache_len(c), 1); /* the valid series only */
	}
	double last = 0;
	ASSERT_EQ(count_samples(&f, "__name__", "cached", &last), 3);
	ASSERT_DBL_EQ(last, 2);
	ASSERT_EQ(count_samples(&f, "job", "noname", &last), 0);
	/* a cached duplicate with another value still rolls back with 400 */
	s[0].v = 99;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 400);
	buf_reset(&w.body);
	/* remove the series: the cache is cleared; put its old ref back by hand */
	buf pb, raw;
	buf_init(&pb);
	buf_init(&raw);
	err e;
	ASSERT_EQ(rw_encode(&rq, &pb, &e), 0);
	arena a;
	arena_init(&a);
	rw_request dec;
	ASSERT_EQ(rw_decode_v1_known(pb.p, pb.len, &a, grab_raw, &raw, &dec, &e), 0);
	uint32_t old_ref = refcache_get(c, raw.p, raw.len);
	ASSERT(old_ref != 0);
	ASSERT(head_truncate(db__head(f.d), f.now + 10 * 60000) >= 1);
	ASSERT_EQ(refcache_len(c), 0);
	refcache_put(c, raw.p, raw.len, old_ref);
	s[0] = (sample){f.now + 11 * 60000, 5};
	s2[0].t = s[0].t;
	post_req(&f, &rq, "application/x-protobuf", &w);
	ASSERT_EQ(w.status, 204);
	buf_reset(&w.body);
	uint32_t new_ref = refcache_get(c, raw.p, raw.len);
	ASSERT(new_ref != 0 && new_ref != old_ref);
	ASSERT_EQ(count_samples(&f, "__name__", "cached", &last), 1);
	ASSERT_DBL_EQ(last, 5);
	arena_reset(&a);
	buf_reset(&pb);
	buf_reset(&raw);
	wfix_free(&f);
}

const struct test tests_remote_write[] = {
	{"write_v1_series_cache", write_v1_series_cache},
	{"write_v1_and_negotiation", write_v1_and_negotiation},
	{"write_v1_duplicate_rolls_back", write_v1_duplicate_rolls_back},
	{"write_v2_partial", write_v2_partial},
	{"write_disabled_404", write_disabled_404},
	{"metrics_and_federate", metrics_and_federate},
	{NULL, NULL},
};
