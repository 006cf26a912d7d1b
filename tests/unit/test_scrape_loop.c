/* test_scrape_loop.c - scrape/loop.c and scrape/cache.c through loop.h: the
 * bytes of a page go in (no HTTP), a bare head takes the appends, a querier
 * reads back what Prometheus's scrape loop would have stored: the report
 * series, target labels and honor_labels, staleness (a series leaving the
 * page, a failed scrape, a target going away, explicit timestamps), the
 * limits with Prometheus's error texts, the cache's refs; and the
 * manager's pure parts (offset, Accept header). */
#include "scrape/loop.h"
#include "scrape/manager.h"
#include "tsdb/head.h"
#include "tsdb/matcher.h"
#include "tsdb/relabel.h"
#include "tests/unit/test.h"

#define OM "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define L(...) ((labels){(const label[]){__VA_ARGS__}, sizeof((const label[]){__VA_ARGS__}) / sizeof(label)})

typedef struct fix {
	head *h;
	scrape_job_config j;
	scrape_counters ctr;
	scrape_sink sink;
	scrape_loop *l;
} fix;

static appender *fix_appender(void *ctx) { return head_appender(ctx); }

static void fix_open(fix *f)
{
	err e;
	head_opts o = {0};
	memset(f, 0, sizeof *f);
	f->h = head_open(&o, &e);
	ASSERT(f->h != NULL);
	f->j.job_name = "job1";
	f->j.honor_timestamps = true;
	f->j.enable_compression = true;
	f->sink = (scrape_sink){fix_appender, f->h, NULL, NULL, &f->ctr};
	scrape_target_def t = {
		.labels = L({"instance", "h:1"}, {"job", "job1"}),
		.all = L({"__address__", "h:1"}, {"instance", "h:1"}, {"job", "job1"}),
		.discovered = L({"__address__", "h:1"}),
		.url = "http://h:1/metrics",
		.interval_ms = 15000,
		.timeout_ms = 10000,
		.hash = 42,
	};
	f->l = scrape_loop_new(&t, &f->j);
	ASSERT(f->l != NULL);
}

static void fix_close(fix *f)
{
	scrape_loop_free(f->l);
	head_close(f->h);
}

static scrape_result scrape(fix *f, const char *body, int64_t t)
{
	scrape_result r;
	ASSERT_EQ(scrape_loop_scrape(f->l, &f->sink, body, strlen(body), OM, NULL, (int64_t)strlen(body), t,
				     scrape_mono_ns(), &r),
		  0);
	return r;
}

/* The samples of the one series selected by name (+ label=value), into
 * ts/vs; returns their count (0 when no such series). */
static size_t series(fix *f, const char *name, const char *lname, const char *lval, int64_t *ts, double *vs,
		     size_t cap)
{
	err e;
	querier *q = queryable_querier(head_queryable(f->h), INT64_MIN, INT64_MAX, &e);
	ASSERT(q != NULL);
	matcher ms[2];
	size_t nm = 1;
	ASSERT_EQ(matcher_init(&ms[0], MATCH_EQ, "__name__", name, &e), 0);
	if (lname) {
		ASSERT_EQ(matcher_init(&ms[1], MATCH_EQ, lname, lval, &e), 0);
		nm = 2;
	}
	series_set *ss = querier_select(q, true, NULL, ms, nm);
	size_t n = 0, ns = 0;
	sample_iter *it = NULL;
	while (series_set_next(ss)) {
		ns++;
		it = series_set_iter(ss, it);
		while (sample_iter_next(it) == VAL_FLOAT) {
			if (n < cap)
				sample_iter_at(it, &ts[n], &vs[n]);
			n++;
		}
	}
	ASSERT(ns <= 1);
	sample_iter_close(it);
	series_set_close(ss);
	for (size_t i = 0; i < nm; i++)
		matcher_reset(&ms[i]);
	querier_close(q);
	return n;
}

static double last_value(fix *f, const char *name)
{
	int64_t ts[64];
	double vs[64];
	size_t n = series(f, name, NULL, NULL, ts, vs, 64);
	ASSERT(n > 0 && n <= 64);
	return vs[n - 1];
}

static void report_values(void)
{
	fix f;
	fix_open(&f);
	scrape_result r = scrape(&f, "# TYPE a gauge\na 1\nb{x=\"y\"} 2\n# EOF\n", 1000);
	ASSERT_EQ(r.up, 1);
	ASSERT_EQ(r.scraped, 2);
	ASSERT_EQ(r.added, 2);
	ASSERT_EQ(r.series_added, 2);
	ASSERT_DBL_EQ(last_value(&f, "up"), 1);
	ASSERT_DBL_EQ(last_value(&f, "scrape_samples_scraped"), 2);
	ASSERT_DBL_EQ(last_value(&f, "scrape_samples_post_metric_relabeling"), 2);
	ASSERT_DBL_EQ(last_value(&f, "scrape_series_added"), 2);
	ASSERT(last_value(&f, "scrape_duration_seconds") >= 0);
	int64_t ts[4];
	double vs[4];
	ASSERT_EQ(series(&f, "b", "job", "job1", ts, vs, 4), 1); /* target labels added */
	ASSERT_EQ(series(&f, "b", "instance", "h:1", ts, vs, 4), 1);
	ASSERT_EQ(ts[0], 1000);
	ASSERT_EQ(series(&f, "scrape_timeout_seconds", NULL, NULL, ts, vs, 4), 0); /* no extra metrics */
	r = scrape(&f, "# TYPE a gauge\na 1\nb{x=\"y\"} 3\n# EOF\n", 2000);
	ASSERT_EQ(r.series_added, 0); /* known: from the cache */
	ASSERT_DBL_EQ(last_value(&f, "b"), 3);
	ASSERT_EQ(scrape_cache_len(&f.l->cache), 2);
	fix_close(&f);
}

static void extra_scrape_metrics(void)
{
	fix f;
	fix_open(&f);
	f.j.extra_scrape_metrics = true;
	f.j.sample_limit = 100;
	const char *body = "a 1\n# EOF\n";
	scrape(&f, body, 1000);
	ASSERT_DBL_EQ(last_value(&f, "scrape_timeout_seconds"), 10);
	ASSERT_DBL_EQ(last_value(&f, "scrape_sample_limit"), 100);
	ASSERT_DBL_EQ(last_value(&f, "scrape_body_size_bytes"), (double)strlen(body));
	/* a failed fetch reports 0, one over body_size_limit -1 */
	ASSERT_EQ(scrape_loop_scrape(f.l, &f.sink, NULL, 0, NULL, "server returned HTTP status 500 Internal Server Error",
				     0, 2000, scrape_mono_ns(), NULL),
		  0);
	ASSERT_DBL_EQ(last_value(&f, "scrape_body_size_bytes"), 0);
	ASSERT_EQ(scrape_loop_scrape(f.l, &f.sink, NULL, 0, NULL, "body size limit exceeded", -1, 3000, scrape_mono_ns(),
				     NULL),
		  0);
	ASSERT_DBL_EQ(last_value(&f, "scrape_body_size_bytes"), -1);
	ASSERT_STR_EQ(f.l->last_error, "body size limit exceeded");
	fix_close(&f);
}

/* A series that leaves the page gets StaleNaN at the next scrape's time. */
static void stale_when_series_leaves(void)
{
	fix f;
	fix_open(&f);
	scrape(&f, "a 1\nb 2\n# EOF\n", 1000);
	scrape(&f, "a 1\n# EOF\n", 2000);
	int64_t ts[4];
	double vs[4];
	ASSERT_EQ(series(&f, "b", NULL, NULL, ts, vs, 4), 2);
	ASSERT_EQ(ts[1], 2000);
	ASSERT(is_stale_nan(vs[1]));
	scrape(&f, "a 1\n# EOF\n", 3000); /* once only */
	ASSERT_EQ(series(&f, "b", NULL, NULL, ts, vs, 4), 2);
	scrape(&f, "a 1\nb 5\n# EOF\n", 4000); /* back: a new series entry, not stale */
	ASSERT_DBL_EQ(last_value(&f, "b"), 5);
	fix_close(&f);
}

/* Explicit timestamps: no stale marker, unless track_timestamps_staleness. */
static void stale_explicit_timestamps(void)
{
	for (int track = 0; track < 2; track++) {
		fix f;
		fix_open(&f);
		f.j.track_timestamps_staleness = track;
		scrape(&f, "a 1\nb 2 0.5\n# EOF\n", 1000);
		scrape(&f, "a 1\n# EOF\n", 2000);
		int64_t ts[4];
		double vs[4];
		size_t n = series(&f, "b", NULL, NULL, ts, vs, 4);
		ASSERT_EQ(ts[0], 500);
		ASSERT_EQ(n, track ? 2 : 1);
		if (track)
			ASSERT(is_stale_nan(vs[1]));
		fix_close(&f);
	}
}

/* A failed scrape: up 0, the previous series stale, nothing else. */
static void failed_scrape_writes_up0_and_stale(void)
{
	fix f;
	fix_open(&f);
	scrape(&f, "a 1\n# EOF\n", 1000);
	scrape_result r;
	ASSERT_EQ(scrape_loop_scrape(f.l, &f.sink, NULL, 0, NULL, "Get \"http://h:1/metrics\": context deadline exceeded", 0,
				     2000, scrape_mono_ns(), &r),
		  0);
	ASSERT_EQ(r.up, 0);
	ASSERT_DBL_EQ(last_value(&f, "up"), 0);
	ASSERT_DBL_EQ(last_value(&f, "scrape_samples_scraped"), 0);
	ASSERT(is_stale_nan(last_value(&f, "a")));
	ASSERT_STR_EQ(f.l->last_error, "Get \"http://h:1/metrics\": context deadline exceeded");
	ASSERT_EQ(f.l->health, -1);
	/* a parse error fails the whole scrape (rolled back); a series read
	 * before the error counts as seen, so it is not marked stale (as
	 * Prometheus: it was tracked in seriesCur before the rollback) */
	scrape(&f, "a 1\n# EOF\n", 3000);
	r = scrape(&f, "a 7\nthis is not a metric\n# EOF\n", 4000);
	ASSERT_EQ(r.up, 0);
	ASSERT_DBL_EQ(last_value(&f, "a"), 1);
	ASSERT(f.l->last_error[0] != 0);
	scrape(&f, "b 1\n# EOF\n", 5000); /* gone at the next good scrape */
	ASSERT(is_stale_nan(last_value(&f, "a")));
	fix_close(&f);
}

/* The target went away: every series and the report series stale. */
static void end_of_run_staleness(void)
{
	fix f;
	fix_open(&f);
	scrape(&f, "a 1\nb 2\n# EOF\n", 1000);
	ASSERT_EQ(scrape_loop_stale_all(f.l, &f.sink, 5000), 0);
	ASSERT(is_stale_nan(last_value(&f, "a")));
	ASSERT(is_stale_nan(last_value(&f, "b")));
	ASSERT(is_stale_nan(last_value(&f, "up")));
	ASSERT(is_stale_nan(last_value(&f, "scrape_series_added")));
	fix_close(&f);
}

static void honor_labels(void)
{
	for (int honor = 0; honor < 2; honor++) {
		fix f;
		fix_open(&f);
		f.j.honor_labels = honor;
		scrape(&f, "a{job=\"mine\",exported_job=\"x\"} 1\n# EOF\n", 1000);
		int64_t ts[2];
		double vs[2];
		if (honor) {
			ASSERT_EQ(series(&f, "a", "job", "mine", ts, vs, 2), 1);
			ASSERT_EQ(series(&f, "a", "instance", "h:1", ts, vs, 2), 1); /* missing ones still added */
		} else {
			ASSERT_EQ(series(&f, "a", "job", "job1", ts, vs, 2), 1);
			/* exported_job is taken: the exposed job becomes exported_exported_job */
			ASSERT_EQ(series(&f, "a", "exported_exported_job", "mine", ts, vs, 2), 1);
			ASSERT_EQ(series(&f, "a", "exported_job", "x", ts, vs, 2), 1);
		}
		fix_close(&f);
	}
}

static void sample_limit(void)
{
	fix f;
	fix_open(&f);
	f.j.sample_limit = 2;
	scrape_result r = scrape(&f, "a 1\nb 2\n# EOF\n", 1000);
	ASSERT_EQ(r.up, 1);
	r = scrape(&f, "a 1\nb 2\nc 3\n# EOF\n", 2000);
	ASSERT_EQ(r.up, 0);
	ASSERT_EQ(r.scraped, 3); /* parsing went on to count them */
	ASSERT_STR_EQ(f.l->last_error, "sample limit exceeded");
	ASSERT_EQ(atomic_load(&f.ctr.exceeded_sample_limit), 1);
	int64_t ts[4];
	double vs[4];
	ASSERT_EQ(series(&f, "c", NULL, NULL, ts, vs, 4), 0); /* rolled back */
	ASSERT_EQ(series(&f, "a", NULL, NULL, ts, vs, 4), 1);
	fix_close(&f);
}

static void label_limits(void)
{
	static const struct {
		int64_t label_limit, name_len, value_len;
		const char *want;
	} cases[] = {
		{3, 0, 0, "label_limit exceeded (metric: a, number of labels: 4, limit: 3)"},
		{0, 4, 0, "label_name_length_limit exceeded (metric: a, label name: __name__, length: 8, limit: 4)"},
		{0, 0, 3, "label_value_length_limit exceeded (metric: a, label name: job, value: \"job1\", length: 4, limit: 3)"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		fix f;
		fix_open(&f);
		f.j.label_limit = cases[i].label_limit;
		f.j.label_name_length_limit = cases[i].name_len;
		f.j.label_value_length_limit = cases[i].value_len;
		scrape_result r = scrape(&f, "a{x=\"long\"} 1\n# EOF\n", 1000);
		ASSERT_EQ(r.up, 0);
		ASSERT_STR_EQ(f.l->last_error, cases[i].want);
		ASSERT_EQ(atomic_load(&f.ctr.exceeded_label_limits), 1);
		fix_close(&f);
	}
}

/* The same series twice in one page: the second is a duplicate. */
static void duplicate_in_one_scrape(void)
{
	fix f;
	fix_open(&f);
	scrape(&f, "a 1\n# EOF\n", 1000);
	scrape_result r = scrape(&f, "a 2\na 3\n# EOF\n", 2000);
	ASSERT_EQ(r.up, 1);
	ASSERT_EQ(r.added, 2);
	ASSERT_EQ(atomic_load(&f.ctr.sample_duplicate), 1);
	ASSERT_DBL_EQ(last_value(&f, "a"), 2);
	fix_close(&f);
}

/* The cache follows the previous page's order as a hint: reordered,
 * grown and shrunk pages still find every series, nothing goes stale that
 * is there, and a new series is counted once. */
static void cache_page_order(void)
{
	fix f;
	fix_open(&f);
	static const struct {
		const char *page;
		int64_t series_added;
	} steps[] = {
		{"a 1\nb 2\nc 3\n# EOF\n", 3},
		{"a 1\nb 2\nc 3\n# EOF\n", 0},
		{"c 3\na 1\nb 2\n# EOF\n", 0},
		{"x 9\na 1\nb 2\nc 3\n# EOF\n", 1},
		{"a 1\nc 3\n# EOF\n", 0},
		{"a 1\nb 2\nc 3\nx 9\n# EOF\n", 2},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(steps); i++) {
		scrape_result r = scrape(&f, steps[i].page, 1000 * (int64_t)(i + 1));
		ASSERT_EQ(r.up, 1);
		ASSERT_EQ(r.series_added, steps[i].series_added);
	}
	int64_t ts[8];
	double vs[8];
	ASSERT_EQ(series(&f, "a", NULL, NULL, ts, vs, 8), 6); /* never stale */
	for (int k = 0; k < 6; k++)
		ASSERT_DBL_EQ(vs[k], 1);
	ASSERT_EQ(series(&f, "b", NULL, NULL, ts, vs, 8), 6); /* 4 values, stale at step 5, back */
	ASSERT(is_stale_nan(vs[4]));
	ASSERT_DBL_EQ(vs[5], 2);
	fix_close(&f);
}

/* Refs forgotten (the head removed series): appends go by labels again. */
static void cache_forget_refs(void)
{
	fix f;
	fix_open(&f);
	scrape(&f, "a 1\n# EOF\n", 1000);
	bool already;
	scrape_centry *e = scrape_cache_get(&f.l->cache, (slice){"a", 1}, &already);
	ASSERT(e != NULL && e->ref != 0);
	e->seen = 0; /* the look-up above counted as this scrape's */
	uint64_t other = e->ref + 1;
	scrape_cache_forget_refs(&f.l->cache, &other, 1); /* another series removed: this ref stays */
	ASSERT(e->ref != 0);
	uint64_t mine = e->ref;
	scrape_cache_forget_refs(&f.l->cache, &mine, 1);
	ASSERT_EQ(e->ref, 0);
	scrape(&f, "a 1.5\n# EOF\n", 1500);
	ASSERT(e->ref != 0);
	scrape_cache_forget_refs(&f.l->cache, NULL, 0); /* every ref */
	ASSERT_EQ(e->ref, 0);
	scrape(&f, "a 2\n# EOF\n", 2000);
	ASSERT(e->ref != 0);
	int64_t ts[4];
	double vs[4];
	ASSERT_EQ(series(&f, "a", NULL, NULL, ts, vs, 4), 3);
	fix_close(&f);
}

/* A scrape with an unknown Content-Type and no fallback fails; with
 * fallback_scrape_protocol it parses. */
static void content_type_fallback(void)
{
	fix f;
	fix_open(&f);
	scrape_result r;
	const char *body = "a 1\n# EOF\n";
	ASSERT_EQ(scrape_loop_scrape(f.l, &f.sink, body, strlen(body), "application/json", NULL, 10, 1000,
				     scrape_mono_ns(), &r),
		  0);
	ASSERT_EQ(r.up, 0);
	ASSERT_STR_EQ(f.l->last_error, "received unsupported Content-Type \"application/json\" and no fallback_scrape_protocol specified for target");
	f.j.fallback_scrape_protocol = "OpenMetricsText1.0.0";
	ASSERT_EQ(scrape_loop_scrape(f.l, &f.sink, body, strlen(body), NULL, NULL, 10, 2000, scrape_mono_ns(), &r), 0);
	ASSERT_EQ(r.up, 1);
	fix_close(&f);
}

static void metadata_learned(void)
{
	fix f;
	fix_open(&f);
	scrape(&f, "# HELP a The a.\n# UNIT a_seconds seconds\n# TYPE a_seconds gauge\na_seconds 1\n# EOF\n", 1000);
	arena a;
	arena_init(&a);
	scrape_meta *m;
	size_t n = scrape_cache_metadata(&f.l->cache, &a, &m);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(m[0].name, "a");
	ASSERT_STR_EQ(m[0].help, "The a.");
	ASSERT_STR_EQ(m[1].name, "a_seconds");
	ASSERT_STR_EQ(m[1].unit, "seconds");
	arena_reset(&a);
	fix_close(&f);
}

/* metric_relabel_configs: a dropped series is counted as scraped, not as
 * added, and remembered as dropped by the cache. */
static void metric_relabel_drop(void)
{
	fix f;
	fix_open(&f);
	relabel_config rc = {0};
	relabel_config_defaults(&rc);
	const char *src[] = {"__name__"};
	rc.source_labels = src;
	rc.n_source_labels = 1;
	rc.regex = "b.*";
	rc.action = RELABEL_DROP;
	err e;
	ASSERT_EQ(relabel_compile(&rc, &e), 0);
	f.j.metric_relabel_configs = &rc;
	f.j.n_metric_relabel_configs = 1;
	for (int i = 0; i < 2; i++) {
		scrape_result r = scrape(&f, "a 1\nb 2\nbb 3\n# EOF\n", 1000 + i * 1000);
		ASSERT_EQ(r.up, 1);
		ASSERT_EQ(r.scraped, 3);
		ASSERT_EQ(r.added, 1);
		ASSERT_DBL_EQ(last_value(&f, "scrape_samples_post_metric_relabeling"), 1);
	}
	int64_t ts[2];
	double vs[2];
	ASSERT_EQ(series(&f, "b", NULL, NULL, ts, vs, 2), 0);
	bool already;
	scrape_centry *ce = scrape_cache_get(&f.l->cache, (slice){"bb", 2}, &already);
	ASSERT(ce != NULL && ce->dropped);
	relabel_config_free(&rc);
	fix_close(&f);
}

/* A label value that is not UTF-8 fails the scrape. */
static void invalid_utf8_fails(void)
{
	fix f;
	fix_open(&f);
	scrape_result r = scrape(&f, "a{x=\"\xff\xfe\"} 1\n# EOF\n", 1000);
	ASSERT_EQ(r.up, 0);
	ASSERT(f.l->last_error[0] != 0);
	fix_close(&f);
}

/* The previous page's keys guide the parser only for the format that made
 * them: a text 0.0.4 key with a blank is no OpenMetrics series, and a
 * steady page then a changed one store what a fresh parse would. */
static void cache_keys_guide_same_format(void)
{
	fix f;
	fix_open(&f);
	const char *page = "foo {a=\"b\"} 1\nbar 2\n";
	scrape_result r;
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(scrape_loop_scrape(f.l, &f.sink, page, strlen(page), "text/plain; version=0.0.4", NULL,
					     (int64_t)strlen(page), 1000 + i * 1000, scrape_mono_ns(), &r),
			  0);
		ASSERT_EQ(r.up, 1);
		ASSERT_EQ(r.scraped, 2);
	}
	ASSERT_EQ(scrape_loop_scrape(f.l, &f.sink, page, strlen(page), OM, NULL, (int64_t)strlen(page), 3000,
				     scrape_mono_ns(), &r),
		  0);
	ASSERT_EQ(r.up, 0); /* OpenMetrics has no blank before '{' */
	/* OpenMetrics pages: steady, then a series renamed by one byte, one
	 * gone and one new (a guess that is a prefix of the line) */
	r = scrape(&f, "foo{a=\"b\"} 1\nbar 2\nbaz 3\n# EOF\n", 4000);
	ASSERT_EQ(r.up, 1);
	r = scrape(&f, "foo{a=\"b\"} 1\nbar 2\nbaz 3\n# EOF\n", 5000);
	ASSERT_EQ(r.series_added, 0);
	r = scrape(&f, "foo{a=\"c\"} 4\nbarx 5\nbaz 6\n# EOF\n", 6000);
	ASSERT_EQ(r.up, 1);
	ASSERT_EQ(r.series_added, 2);
	int64_t ts[8];
	double vs[8];
	ASSERT_EQ(series(&f, "barx", NULL, NULL, ts, vs, 8), 1);
	ASSERT_DBL_EQ(vs[0], 5);
	ASSERT_EQ(series(&f, "foo", "a", "c", ts, vs, 8), 1);
	ASSERT_DBL_EQ(vs[0], 4);
	/* 2 at 1000, 2000, 4000 and 5000; stale markers at 3000 and 6000 */
	ASSERT_EQ(series(&f, "bar", NULL, NULL, ts, vs, 8), 6);
	ASSERT(is_stale_nan(vs[2]) && ts[2] == 3000);
	ASSERT(is_stale_nan(vs[5]) && ts[5] == 6000);
	ASSERT_DBL_EQ(vs[4], 2);
	fix_close(&f);
}

/* scrape/target.go offset: (hash ^ seed) % interval after the next boundary. */
static void offsets(void)
{
	int64_t iv = 15000000000LL;
	ASSERT_EQ(scrape_offset_ns(0, 0, iv, 0), iv);                      /* base = interval, offset 0 */
	ASSERT_EQ(scrape_offset_ns(5, 0, iv, 0), 5);                       /* wrapped once */
	ASSERT_EQ(scrape_offset_ns(0, 0, iv, 1000), iv - 1000);
	ASSERT_EQ(scrape_offset_ns(7, 2, iv, 10), iv - 10 + (7 ^ 2));
	for (uint64_t h = 1; h < 1000000; h = h * 7 + 3) {
		int64_t o = scrape_offset_ns(h * 0x9e3779b97f4a7c15ULL, 0xabcdef, iv, 123456789);
		ASSERT(o > 0 && o <= iv);
	}
	/* the seed: FNV-1a of hostname + external labels' String() */
	ASSERT_U64_EQ(scrape_offset_seed("host", L({"a", "b"})), 12248317712508974199ULL);
	ASSERT(scrape_offset_seed("a", (labels){0}) != scrape_offset_seed("b", (labels){0}));
}

static void accept_header(void)
{
	scrape_job_config j = {0};
	buf b;
	buf_init(&b);
	scrape_accept_header(&j, &b);
	ASSERT_STR_EQ(buf_cstr(&b), "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
				    "application/openmetrics-text;version=0.0.1;q=0.5,"
				    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
				    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2");
	const char *ps[] = {"PrometheusText0.0.4"};
	j.scrape_protocols = ps;
	j.n_scrape_protocols = 1;
	scrape_accept_header(&j, &b);
	ASSERT_STR_EQ(buf_cstr(&b), "text/plain;version=0.0.4;q=0.6,*/*;q=0.5");
	buf_reset(&b);
}

const struct test tests_scrape_loop[] = {
	{"report_values", report_values},
	{"extra_scrape_metrics", extra_scrape_metrics},
	{"stale_when_series_leaves", stale_when_series_leaves},
	{"stale_explicit_timestamps", stale_explicit_timestamps},
	{"failed_scrape_writes_up0_and_stale", failed_scrape_writes_up0_and_stale},
	{"end_of_run_staleness", end_of_run_staleness},
	{"honor_labels", honor_labels},
	{"sample_limit", sample_limit},
	{"label_limits", label_limits},
	{"duplicate_in_one_scrape", duplicate_in_one_scrape},
	{"cache_page_order", cache_page_order},
	{"cache_forget_refs", cache_forget_refs},
	{"content_type_fallback", content_type_fallback},
	{"metadata_learned", metadata_learned},
	{"metric_relabel_drop", metric_relabel_drop},
	{"invalid_utf8_fails", invalid_utf8_fails},
	{"cache_keys_guide_same_format", cache_keys_guide_same_format},
	{"offsets", offsets},
	{"accept_header", accept_header},
	{NULL, NULL},
};
