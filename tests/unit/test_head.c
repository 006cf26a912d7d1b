/* test_head.c - tsdb/head*.c through head.h and the storage seam: append and
 * query round trips, Prometheus's rejection wording, rollback, commit
 * atomicity under a concurrent reader, chunk cut points (against the chunks
 * real Prometheus cut in conformance/tsdb/wal-remote-write), replay. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#include "lib/buf.h"
#include "tsdb/chunk.h"
#include "tsdb/head.h"
#include "tests/unit/test.h"

#define L(...) ((labels){(const label[]){__VA_ARGS__}, sizeof((const label[]){__VA_ARGS__}) / sizeof(label)})

static head *open_head(void)
{
	err e;
	head_opts o = {0};
	head *h = head_open(&o, &e);
	ASSERT(h != NULL);
	return h;
}

static void append_ok(head *h, labels ls, int64_t t, double v)
{
	appender *a = head_appender(h);
	err e;
	err_clear(&e);
	ASSERT_EQ(appender_append(a, 0, ls, t, v, NULL, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
}

/* Samples of the series q selects with ms, into ts/vs (up to cap);
 * returns the count of all samples. */
static size_t scan(querier *q, const matcher *ms, size_t nm, int64_t *ts, double *vs, size_t cap, size_t *n_series)
{
	err e;
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
		ASSERT_EQ(sample_iter_err(it, &e), 0);
	}
	ASSERT_EQ(series_set_err(ss, &e), 0);
	sample_iter_close(it);
	series_set_close(ss);
	if (n_series)
		*n_series = ns;
	return n;
}

/* scan over a querier of [mint, maxt] with one matcher. */
static size_t select_one(head *h, int64_t mint, int64_t maxt, match_type mt, const char *name, const char *val,
			 int64_t *ts, double *vs, size_t cap, size_t *n_series)
{
	err e;
	querier *q = queryable_querier(head_queryable(h), mint, maxt, &e);
	ASSERT(q != NULL);
	matcher m;
	ASSERT_EQ(matcher_init(&m, mt, name, val, &e), 0);
	size_t n = scan(q, &m, 1, ts, vs, cap, n_series);
	matcher_reset(&m);
	querier_close(q);
	return n;
}

static void roundtrip(void)
{
	head *h = open_head();
	appender *a = head_appender(h);
	err e;
	series_ref r1, r2;
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "up"}, {"job", "b"}), 1000, 1, &r1, &e), 0);
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "up"}, {"job", "a"}), 1000, 2, &r2, &e), 0);
	ASSERT_EQ(r1, 1);
	ASSERT_EQ(r2, 2);
	ASSERT_EQ(appender_append(a, r1, L({"x", "ignored"}), 2000, 3, NULL, &e), 0);
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "up"}, {"job", "a"}), 2000, stale_nan(), NULL, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);

	querier *q = queryable_querier(head_queryable(h), 0, 10000, &e);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", "up", &e), 0);
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	ASSERT(series_set_next(ss));
	ASSERT_STR_EQ(labels_get(series_set_labels(ss), "job"), "a"); /* sorted by labels */
	sample_iter *it = series_set_iter(ss, NULL);
	int64_t t;
	double v;
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 1000);
	ASSERT_DBL_EQ(v, 2);
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT(is_stale_nan(v)); /* bits preserved */
	ASSERT_EQ(sample_iter_next(it), VAL_NONE);
	ASSERT(series_set_next(ss));
	ASSERT_STR_EQ(labels_get(series_set_labels(ss), "job"), "b");
	it = series_set_iter(ss, it);
	ASSERT_EQ(sample_iter_seek(it, 1500), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 2000);
	ASSERT_DBL_EQ(v, 3);
	ASSERT_EQ(sample_iter_seek(it, 100), VAL_FLOAT); /* never moves back */
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 2000);
	ASSERT_EQ(sample_iter_seek(it, 2001), VAL_NONE);
	ASSERT(!series_set_next(ss));
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&m);

	strlist sl;
	ASSERT_EQ(querier_label_values(q, "job", NULL, 0, &sl, &e), 0);
	ASSERT_EQ(sl.n, 2);
	ASSERT_STR_EQ(sl.v[0], "a");
	ASSERT_STR_EQ(sl.v[1], "b");
	strlist_free(&sl);
	ASSERT_EQ(querier_label_names(q, NULL, 0, &sl, &e), 0);
	ASSERT_EQ(sl.n, 2);
	ASSERT_STR_EQ(sl.v[0], "__name__");
	ASSERT_STR_EQ(sl.v[1], "job");
	strlist_free(&sl);
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "job", "b", &e), 0);
	ASSERT_EQ(querier_label_values(q, "job", &m, 1, &sl, &e), 0);
	ASSERT_EQ(sl.n, 1);
	ASSERT_STR_EQ(sl.v[0], "b");
	strlist_free(&sl);
	matcher_reset(&m);
	querier_close(q);

	/* time range honoured */
	int64_t ts[8];
	double vs[8];
	ASSERT_EQ(select_one(h, 1500, 1999, MATCH_EQ, "job", "b", ts, vs, 8, NULL), 0);
	ASSERT_EQ(select_one(h, 1500, 2000, MATCH_EQ, "job", "b", ts, vs, 8, NULL), 1);
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.series, 2);
	ASSERT_EQ(st.samples_appended, 4);
	ASSERT_EQ(st.min_time, 1000);
	ASSERT_EQ(st.max_time, 2000);
	head_close(h);
}

static void rejection_wording(void)
{
	head *h = open_head();
	labels ls = L({"__name__", "x"});
	append_ok(h, ls, 10000000, 1);
	appender *a = head_appender(h);
	err e;
	err_clear(&e);
	ASSERT_EQ(appender_append(a, 0, ls, 9999999, 1, NULL, &e), FL_EOUT_OF_ORDER);
	ASSERT_STR_EQ(e.msg, "out of order sample");
	ASSERT_EQ(appender_append(a, 0, ls, 10000000, 2, NULL, &e), FL_EDUPLICATE);
	ASSERT_STR_EQ(e.msg, "duplicate sample for timestamp 10000000; overrides not allowed: existing 1, new value 2");
	ASSERT_EQ(appender_append(a, 0, ls, 10000000, 1, NULL, &e), 0); /* exact duplicate: no-op */
	/* head max 10000000, range 2h: min valid = max - 1h */
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "y"}), 10000000 - 3600000 - 1, 1, NULL, &e), FL_ETOO_OLD);
	ASSERT_STR_EQ(e.msg, "out of bounds");
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "y"}), 10000000 - 3600000, 1, NULL, &e), 0);
	ASSERT_EQ(appender_append(a, 0, (labels){NULL, 0}, 10000001, 1, NULL, &e), FL_EINVAL);
	ASSERT_EQ(appender_append(a, 0, L({"b", "1"}, {"a", "2"}), 10000001, 1, NULL, &e), FL_EINVAL);
	ASSERT_EQ(a->ops->append_histogram(a, 0, ls, 10000001, NULL, NULL, &e), FL_EUNSUPPORTED);
	ASSERT_EQ(appender_commit(a, &e), 0);
	/* An appender opened before a compaction raised the bound: its commit
	 * is refused whole, never logged and then dropped (issue 15). */
	appender *old = head_appender(h);
	ASSERT_EQ(appender_append(old, 0, ls, 10000002, 3, NULL, &e), 0);
	head_set_min_valid_time(h, 10000000 + 5);
	ASSERT_EQ(appender_commit(old, &e), FL_ETOO_OLD);
	ASSERT_STR_EQ(e.msg, "out of bounds");
	a = head_appender(h);
	ASSERT_EQ(appender_append(a, 0, ls, 10000001, 1, NULL, &e), FL_ETOO_OLD);
	appender_rollback(a);
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.samples_appended, 2);
	ASSERT_EQ(st.out_of_order, 1);
	head_close(h);
}

static void rollback_drops(void)
{
	head *h = open_head();
	appender *a = head_appender(h);
	err e;
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "x"}), 1000, 1, NULL, &e), 0);
	appender_rollback(a);
	int64_t ts[4];
	double vs[4];
	size_t ns;
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "x", ts, vs, 4, &ns), 0);
	ASSERT_EQ(ns, 0);
	append_ok(h, L({"__name__", "x"}), 500, 2); /* nothing of the rollback remains */
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "x", ts, vs, 4, &ns), 1);
	ASSERT_EQ(ts[0], 500);
	head_close(h);
}

/* The log hook sees series first, then samples; its failure fails the commit. */
typedef struct logrec {
	int calls;
	size_t series, samples;
	uint64_t first_ref;
	char first_name[32];
	bool fail;
} logrec;

static int log_hook(void *ctx, const head_log_batch *b, err *e)
{
	logrec *r = ctx;
	r->calls++;
	r->series += b->n_series;
	r->samples += b->n_samples;
	if (b->n_series) {
		r->first_ref = b->series[0].ref;
		snprintf(r->first_name, sizeof r->first_name, "%s", labels_get(b->series[0].ls, "__name__"));
	}
	if (r->fail)
		return err_set(e, FL_EIO, "disk full");
	return 0;
}

static void log_hook_and_failure(void)
{
	logrec r = {0};
	head_opts o = {.log = log_hook, .log_ctx = &r};
	err e;
	head *h = head_open(&o, &e);
	append_ok(h, L({"__name__", "a"}), 1, 1);
	ASSERT_EQ(r.calls, 1);
	ASSERT_EQ(r.series, 1);
	ASSERT_EQ(r.samples, 1);
	ASSERT_EQ(r.first_ref, 1);
	ASSERT_STR_EQ(r.first_name, "a");
	r.fail = true;
	appender *a = head_appender(h);
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "a"}), 2, 1, NULL, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), FL_EIO);
	ASSERT(strstr(e.msg, "disk full") != NULL);
	int64_t ts[4];
	double vs[4];
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "a", ts, vs, 4, NULL), 1);
	r.fail = false;
	a = head_appender(h);
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "b"}), 2, 1, NULL, &e), 0);
	appender_rollback(a); /* series record still logged */
	ASSERT_EQ(r.series, 2);
	ASSERT_EQ(r.first_ref, 2);
	head_close(h);
}

static size_t count_series(head *h, const matcher *ms, size_t n)
{
	err e;
	querier *q = queryable_querier(head_queryable(h), INT64_MIN, INT64_MAX, &e);
	series_set *ss = querier_select(q, true, NULL, ms, n);
	size_t c = 0;
	while (series_set_next(ss))
		c++;
	series_set_close(ss);
	querier_close(q);
	return c;
}

/* ---- commit atomicity ---- */

typedef struct race {
	head *h;
	_Atomic int done;
	int rounds;
} race;

static void *writer(void *p)
{
	race *r = p;
	err e;
	for (int i = 1; i <= r->rounds; i++) {
		appender *a = head_appender(r->h);
		for (int k = 0; k < 8; k++) {
			char v[8];
			snprintf(v, sizeof v, "%d", k);
			label l[] = {{"__name__", "m"}, {"k", v}};
			labels ls = {l, 2};
			if (appender_append(a, 0, ls, (int64_t)i * 1000, i, NULL, &e))
				abort();
		}
		if (appender_commit(a, &e))
			abort();
	}
	atomic_store(&r->done, 1);
	return NULL;
}

/* Last sample time and count of every series matched by m, through q. */
static void last_times(querier *q, const char *re, int64_t *last, size_t *count, size_t *ns)
{
	err e;
	matcher m[2];
	matcher_init(&m[0], MATCH_EQ, "__name__", "m", &e);
	matcher_init(&m[1], MATCH_RE, "k", re, &e);
	series_set *ss = querier_select(q, true, NULL, m, 2);
	sample_iter *it = NULL;
	while (series_set_next(ss)) {
		it = series_set_iter(ss, it);
		int64_t t = -1, tt;
		double v;
		size_t c = 0;
		while (sample_iter_next(it) == VAL_FLOAT)
			sample_iter_at(it, &tt, &v), t = tt, c++;
		if (*last == -1) {
			*last = t;
			*count = c;
		}
		ASSERT_EQ(t, *last); /* every series ends at the same commit */
		ASSERT_EQ(c, *count);
		(*ns)++;
	}
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&m[0]);
	matcher_reset(&m[1]);
}

static void commit_atomic_under_reader(void)
{
	race r = {open_head(), 0, 400};
	pthread_t th;
	pthread_create(&th, NULL, writer, &r);
	int checks = 0;
	while (!atomic_load(&r.done) || checks < 5) {
		err e;
		querier *q = queryable_querier(head_queryable(r.h), INT64_MIN, INT64_MAX, &e);
		int64_t last = -1;
		size_t count = 0, ns = 0;
		/* two selects of one querier see the same commits */
		last_times(q, "[0-3]", &last, &count, &ns);
		sched_yield();
		last_times(q, "[4-7]", &last, &count, &ns);
		ASSERT(ns == 0 || ns == 8);
		querier_close(q);
		checks++;
	}
	pthread_join(th, NULL);
	head_close(r.h);
}

static void querier_snapshot_stable(void)
{
	head *h = open_head();
	append_ok(h, L({"__name__", "a"}), 1000, 1);
	err e;
	querier *q1 = queryable_querier(head_queryable(h), INT64_MIN, INT64_MAX, &e);
	append_ok(h, L({"__name__", "a"}), 2000, 2);
	querier *q2 = queryable_querier(head_queryable(h), INT64_MIN, INT64_MAX, &e);
	for (int64_t t = 3000; t <= 400 * 1000; t += 1000) /* several chunks */
		append_ok(h, L({"__name__", "a"}), t, 3);
	append_ok(h, L({"__name__", "b"}), 5000, 3); /* new series after both */
	matcher m;
	matcher_init(&m, MATCH_RE, "__name__", "a|b", &e);
	querier *qs[2] = {q1, q2};
	for (int i = 0; i < 2; i++) {
		series_set *ss = querier_select(qs[i], true, NULL, &m, 1);
		ASSERT(series_set_next(ss));
		sample_iter *it = series_set_iter(ss, NULL);
		size_t n = 0;
		while (sample_iter_next(it) == VAL_FLOAT)
			n++;
		ASSERT_EQ(n, (size_t)i + 1);
		ASSERT(!series_set_next(ss)); /* b is not visible */
		sample_iter_close(it);
		series_set_close(ss);
	}
	querier_close(q1);
	querier_close(q2);
	append_ok(h, L({"__name__", "a"}), 500 * 1000, 4); /* history dropped now */
	querier *q3 = queryable_querier(head_queryable(h), INT64_MIN, INT64_MAX, &e);
	ASSERT_EQ(count_series(h, &m, 1), 2);
	querier_close(q3);
	matcher_reset(&m);
	head_close(h);
}

/* Threads creating the same series concurrently get one series each. */
typedef struct creator {
	head *h;
	int id;
} creator;

static void *create_many(void *p)
{
	creator *c = p;
	err e;
	for (int round = 0; round < 3; round++) {
		appender *a = head_appender(c->h);
		for (int k = 0; k < 500; k++) {
			char v[16];
			snprintf(v, sizeof v, "%d", k);
			label l[] = {{"__name__", "c"}, {"k", v}};
			/* each thread its own timestamps: some collide as out of order */
			if (appender_append(a, 0, (labels){l, 2}, (int64_t)(round * 10 + c->id) * 1000, c->id, NULL, &e) &&
			    e.code != FL_EOUT_OF_ORDER && e.code != FL_EDUPLICATE)
				abort();
		}
		if (appender_commit(a, &e))
			abort();
	}
	return NULL;
}

static void concurrent_series_creation(void)
{
	head *h = open_head();
	pthread_t th[4];
	creator c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (creator){h, i};
		pthread_create(&th[i], NULL, create_many, &c[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.series, 500);
	err e;
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "__name__", "c", &e), 0);
	ASSERT_EQ(count_series(h, &m, 1), 500);
	matcher_reset(&m);
	/* every series' samples are strictly increasing */
	querier *q = queryable_querier(head_queryable(h), INT64_MIN, INT64_MAX, &e);
	ASSERT_EQ(matcher_init(&m, MATCH_RE, "k", ".+", &e), 0);
	series_set *ss = querier_select(q, false, NULL, &m, 1);
	sample_iter *it = NULL;
	size_t total = 0;
	while (series_set_next(ss)) {
		it = series_set_iter(ss, it);
		int64_t prev = INT64_MIN, t;
		double v;
		while (sample_iter_next(it) == VAL_FLOAT) {
			sample_iter_at(it, &t, &v);
			ASSERT(t > prev);
			prev = t;
			total++;
		}
	}
	ASSERT_EQ(total, (size_t)st.samples_appended);
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&m);
	querier_close(q);
	head_close(h);
}

/* ---- chunk cutting ---- */

typedef struct chunk_list {
	size_t n;
	int64_t mint[4096], maxt[4096];
	uint32_t len[4096];
	uint16_t count[4096];
	uint8_t *bytes[4096];
} chunk_list;

static int collect(void *ctx, uint64_t ref, labels ls, const head_chunk_meta *c, size_t n)
{
	chunk_list *cl = ctx;
	for (size_t i = 0; i < n && cl->n < 4096; i++) {
		cl->mint[cl->n] = c[i].mint;
		cl->maxt[cl->n] = c[i].maxt;
		cl->len[cl->n] = (uint32_t)c[i].len;
		cl->count[cl->n] = xor_chunk_count(c[i].b, c[i].len);
		cl->bytes[cl->n] = malloc(c[i].len);
		memcpy(cl->bytes[cl->n], c[i].b, c[i].len);
		cl->n++;
	}
	return 0;
}

static void chunk_list_free(chunk_list *cl)
{
	for (size_t i = 0; i < cl->n; i++)
		free(cl->bytes[i]);
	free(cl);
}

static void chunk_cut_aligned_15s(void)
{
	/* From a range boundary: at 30 samples (t=435000) the predicted end is
	 * 0 + 7200000/floor(7200000/(435001*4)) = 1800000: 4 chunks of 120. */
	head *h = open_head();
	for (int64_t t = 0; t < 3 * 7200000; t += 15000)
		append_ok(h, L({"__name__", "x"}), t, (double)t);
	chunk_list *cl = calloc(1, sizeof *cl);
	ASSERT_EQ(head_for_each_series(h, collect, cl), 0);
	ASSERT_EQ(cl->n, 12);
	for (size_t i = 0; i < cl->n; i++) {
		ASSERT_EQ(cl->count[i], 120);
		ASSERT_EQ(cl->mint[i], (int64_t)i * 1800000);
	}
	chunk_list_free(cl);
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.chunks, 12);

	/* 30 samples 60s apart predict one chunk for the whole range; then
	 * samples 1s apart: cut at 240 samples; never across a 2h boundary. */
	head *h2 = open_head();
	int64_t t = 0;
	for (; t < 30 * 60000; t += 60000)
		append_ok(h2, L({"__name__", "y"}), t, 1);
	for (; t < 7200000 + 10 * 1000; t += 1000)
		append_ok(h2, L({"__name__", "y"}), t, 1);
	cl = calloc(1, sizeof *cl);
	ASSERT_EQ(head_for_each_series(h2, collect, cl), 0);
	ASSERT(cl->n > 3);
	ASSERT_EQ(cl->count[0], 240);
	for (size_t i = 0; i < cl->n; i++)
		ASSERT_EQ(cl->mint[i] / 7200000, cl->maxt[i] / 7200000);
	ASSERT_EQ(cl->mint[cl->n - 1], 7200000);
	ASSERT_EQ(cl->count[cl->n - 1], 10);
	chunk_list_free(cl);
	head_close(h);
	head_close(h2);
}

/* head_release_memory trims only when chunks were cut since its last call
 * (the db's maintenance calls it every minute), and the head reads the same
 * after it. */
static void release_memory_after_cuts(void)
{
	head *h = open_head();
	ASSERT(!head_release_memory(h)); /* nothing cut yet */
	for (int64_t t = 0; t < 7200000; t += 15000)
		append_ok(h, L({"__name__", "x"}), t, (double)t);
#ifdef __GLIBC__
	ASSERT(head_release_memory(h));
#endif
	ASSERT(!head_release_memory(h)); /* no cut since */
	append_ok(h, L({"__name__", "x"}), 7200000, 1); /* a 2h boundary: a cut */
#ifdef __GLIBC__
	ASSERT(head_release_memory(h));
#endif
	size_t n_series;
	int64_t ts[500];
	double vs[500];
	ASSERT_EQ(select_one(h, 0, 7200000, MATCH_EQ, "__name__", "x", ts, vs, 500, &n_series), 481);
	ASSERT_EQ(n_series, 1);
	for (size_t i = 0; i < 480; i++)
		ASSERT_EQ(ts[i], (int64_t)i * 15000);
	head_close(h);
}

/* Parse `{a="b", c="d"} value ts` (no escapes in this data). */
static bool parse_sent(char *line, label *l, size_t *n, double *v, int64_t *t)
{
	char *p = strchr(line, '{'), *end = strchr(line, '}');
	if (!p || !end)
		return false;
	*end = 0;
	p++;
	*n = 0;
	while (p < end && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		char *eq = strchr(p, '=');
		*eq = 0;
		l[*n].name = p;
		char *q = eq + 2, *qe = strchr(q, '"');
		*qe = 0;
		l[(*n)++].value = q;
		p = qe + 1;
	}
	char *rest = end + 2;
	if (!strncmp(rest, "stale", 5)) {
		*v = stale_nan();
		rest += 5;
	} else {
		*v = strtod(rest, &rest);
	}
	*t = strtoll(rest, NULL, 10);
	return true;
}

/* Feed sent.txt into a head, one commit per timestamp. */
static head *load_sent(int max_chunk_bytes)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/tsdb/wal-remote-write/sent.txt", test_shared_dir());
	FILE *f = fopen(path, "r");
	ASSERT(f != NULL);
	head_opts o = {.max_chunk_bytes = max_chunk_bytes};
	err e;
	head *h = head_open(&o, &e);
	char line[512];
	appender *a = NULL;
	int64_t cur_t = INT64_MIN;
	while (fgets(line, sizeof line, f)) {
		label l[8];
		size_t n;
		double v;
		int64_t t;
		ASSERT(parse_sent(line, l, &n, &v, &t));
		if (t != cur_t) {
			if (a)
				ASSERT_EQ(appender_commit(a, &e), 0);
			a = head_appender(h);
			cur_t = t;
		}
		ASSERT_EQ(appender_append(a, 0, (labels){l, n}, t, v, NULL, &e), 0);
	}
	ASSERT_EQ(appender_commit(a, &e), 0);
	fclose(f);
	return h;
}

static void chunks_match_prometheus(void)
{
	head *h = load_sent(0);
	char path[1024];
	FILE *f;
	chunk_list *cl = calloc(1, sizeof *cl);
	ASSERT_EQ(head_for_each_series(h, collect, cl), 0);

	snprintf(path, sizeof path, "%s/conformance/tsdb/wal-remote-write/data-sigterm/chunks_head/000001",
		 test_shared_dir());
	f = fopen(path, "rb");
	ASSERT(f != NULL);
	static uint8_t file[131072];
	size_t size = fread(file, 1, sizeof file, f);
	fclose(f);
	size_t off = 8, golden = 0, matched = 0;
	while (off + 25 < size) {
		uint64_t ref = be64(file + off);
		int64_t mint = (int64_t)be64(file + off + 8), maxt = (int64_t)be64(file + off + 16);
		if (!ref && !mint && !maxt)
			break;
		uint64_t len;
		int k = uvarint_get(file + off + 25, size - off - 25, &len);
		ASSERT(k > 0);
		const uint8_t *b = file + off + 25 + k;
		golden++;
		for (size_t i = 0; i < cl->n; i++)
			if (cl->mint[i] == mint && cl->maxt[i] == maxt && cl->len[i] == len &&
			    !memcmp(cl->bytes[i], b, len)) {
				matched++;
				break;
			}
		off += 25 + (size_t)k + len + 4;
	}
	ASSERT_EQ(golden, 198);
	ASSERT_EQ(matched, 198); /* same cut points, byte-identical chunks */
	chunk_list_free(cl);
	head_close(h);
}

static void chunk_byte_limit_3x(void)
{
	head *h = load_sent(1024);
	chunk_list *cl = calloc(1, sizeof *cl);
	ASSERT_EQ(head_for_each_series(h, collect, cl), 0);
	size_t big = 0;
	for (size_t i = 0; i < cl->n; i++) {
		ASSERT(cl->len[i] <= 1024);
		big += cl->len[i] > 1005;
	}
	ASSERT(big > 0); /* some chunks end between 1005 and 1024 bytes */
	chunk_list_free(cl);
	head_close(h);
}

static void replay_paths(void)
{
	head *h = open_head();
	err e;
	ASSERT_EQ(head_replay_series(h, 7, L({"__name__", "a"}), &e), 0);
	ASSERT_EQ(head_replay_series(h, 9, L({"__name__", "a"}), &e), 0); /* alias */
	ASSERT_EQ(head_replay_sample(h, 7, 100, 1), 0);
	ASSERT_EQ(head_replay_sample(h, 9, 200, 2), 0);
	ASSERT_EQ(head_replay_sample(h, 9, 150, 2), FL_EOUT_OF_ORDER);
	ASSERT_EQ(head_replay_sample(h, 8, 300, 2), FL_ENOTFOUND);
	head_set_min_valid_time(h, 250);
	ASSERT_EQ(head_replay_sample(h, 7, 240, 2), FL_ETOO_OLD);
	int64_t ts[4];
	double vs[4];
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "a", ts, vs, 4, NULL), 2);
	/* new refs continue above replayed ones */
	series_ref r;
	appender *a = head_appender(h);
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "b"}), 400, 1, &r, &e), 0);
	ASSERT_EQ(r, 10);
	appender_commit(a, &e);
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.series, 2);
	ASSERT_EQ(st.replay_unknown_refs, 1);
	head_close(h);
}

/* PostingsForMatchers semantics through select. */

static void matcher_semantics(void)
{
	head *h = open_head();
	append_ok(h, L({"__name__", "m"}, {"a", "1"}), 1, 1);
	append_ok(h, L({"__name__", "m"}, {"a", "2"}, {"b", "x"}), 1, 1);
	append_ok(h, L({"__name__", "m"}, {"b", "y"}), 1, 1);
	append_ok(h, L({"__name__", "n"}, {"a", "1"}), 1, 1);
	static const struct {
		match_type t;
		const char *name, *value;
		size_t want;
	} cases[] = {
		{MATCH_EQ, "a", "1", 2},   {MATCH_EQ, "a", "", 1},    {MATCH_NEQ, "a", "1", 2},  {MATCH_NEQ, "a", "", 3},
		{MATCH_RE, "a", "1|2", 3}, {MATCH_RE, "a", "|1", 3},  {MATCH_NRE, "a", "1", 2},  {MATCH_NRE, "a", ".*", 0},
		{MATCH_RE, "a", ".*", 4},  {MATCH_RE, "a", ".+", 3},  {MATCH_RE, "b", "x.*", 1}, {MATCH_NRE, "zz", "x", 4},
		{MATCH_EQ, "zz", "x", 0},  {MATCH_RE, "a", "[12]", 3},
	};
	err e;
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		matcher ms[2];
		ASSERT_EQ(matcher_init(&ms[0], MATCH_RE, "__name__", ".+", &e), 0);
		ASSERT_EQ(matcher_init(&ms[1], cases[i].t, cases[i].name, cases[i].value, &e), 0);
		size_t got = count_series(h, ms, 2);
		if (got != cases[i].want)
			test_fail(__FILE__, __LINE__, "case %zu {%s%s\"%s\"}: got %zu series, want %zu", i, cases[i].name,
				  matcher_op_str(cases[i].t), cases[i].value, got, cases[i].want);
		matcher_reset(&ms[0]);
		matcher_reset(&ms[1]);
	}
	matcher m[2];
	matcher_init(&m[0], MATCH_EQ, "__name__", "m", &e);
	matcher_init(&m[1], MATCH_NEQ, "b", "x", &e);
	ASSERT_EQ(count_series(h, m, 2), 2);
	matcher_reset(&m[0]);
	matcher_reset(&m[1]);
	head_close(h);
}

/* ---- truncation ---- */

typedef struct trunc_arg {
	head *h;
	int64_t mint;
	_Atomic int done;
} trunc_arg;

static void *do_truncate(void *p)
{
	trunc_arg *t = p;
	head_truncate(t->h, t->mint);
	atomic_store(&t->done, 1);
	return NULL;
}

/* Samples of {__name__="a"} through q; *first = the earliest time. */
static size_t count_samples(querier *q, int64_t *first)
{
	static int64_t ts[1 << 15];
	static double vs[1 << 15];
	err e;
	matcher m;
	matcher_init(&m, MATCH_EQ, "__name__", "a", &e);
	size_t n = scan(q, &m, 1, ts, vs, 1 << 15, NULL);
	matcher_reset(&m);
	*first = INT64_MAX;
	for (size_t i = 0; i < n && i < (1 << 15); i++)
		if (ts[i] < *first)
			*first = ts[i];
	return n;
}

static void truncate_drops_old_chunks(void)
{
	head *h = open_head();
	const int64_t H = 3600 * 1000, T = 4 * H;
	for (int64_t t = 0; t < 6 * H; t += 15000) {
		append_ok(h, L({"__name__", "a"}), t, 1);
		if (t == 4 * H)
			append_ok(h, L({"__name__", "stale"}), 4 * H + 5, 1);
		if (t == 5 * H)
			append_ok(h, L({"__name__", "old"}), 5 * H + 1, 1);
	}
	head_stats st0;
	head_get_stats(h, &st0);
	err e;
	querier *hi = queryable_querier(head_queryable(h), 5 * H, INT64_MAX, &e);
	int64_t first;
	size_t n_hi = count_samples(hi, &first);
	querier *lo = queryable_querier(head_queryable(h), 0, INT64_MAX, &e);
	trunc_arg ta = {h, T, 0};
	pthread_t th;
	pthread_create(&th, NULL, do_truncate, &ta);
	usleep(100 * 1000);
	ASSERT_EQ(atomic_load(&ta.done), 0); /* waits for the querier reading below T */
	ASSERT_EQ(count_samples(lo, &first), 6 * H / 15000);
	querier_close(lo);
	pthread_join(th, NULL);
	ASSERT_EQ(atomic_load(&ta.done), 1);
	ASSERT_EQ(count_samples(hi, &first), n_hi); /* untouched by the truncation */
	querier_close(hi);

	head_stats st;
	head_get_stats(h, &st);
	ASSERT(st.chunks < st0.chunks);
	ASSERT_EQ(st.min_time, T);
	querier *q = queryable_querier(head_queryable(h), 0, INT64_MAX, &e);
	ASSERT_EQ(count_samples(q, &first), (6 * H - T) / 15000); /* starts at T */
	ASSERT_EQ(first, T);
	querier_close(q);
	chunk_list *cl = calloc(1, sizeof *cl);
	ASSERT_EQ(head_for_each_series(h, collect, cl), 0);
	for (size_t i = 0; i < cl->n; i++)
		ASSERT(cl->maxt[i] >= T);
	chunk_list_free(cl);

	appender *a = head_appender(h);
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "x"}), T - 1, 1, NULL, &e), FL_ETOO_OLD);
	ASSERT_EQ(appender_append(a, 0, L({"__name__", "old"}), 6 * H, 2, NULL, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
	head_truncate(h, 5 * H + 2); /* "old" keeps its new chunk, "stale" loses its open one */
	int64_t ts[4];
	double vs[4];
	size_t ns;
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "old", ts, vs, 4, NULL), 1);
	ASSERT_EQ(ts[0], 6 * H);
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "stale", ts, vs, 4, &ns), 0);
	ASSERT_EQ(ns, 0);
	append_ok(h, L({"__name__", "stale"}), 6 * H + 1, 7);
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "stale", ts, vs, 4, &ns), 1);
	ASSERT_EQ(ts[0], 6 * H + 1);
	ASSERT_DBL_EQ(vs[0], 7);
	head_close(h);
}

/* ---- randomized model check ---- */

#define MODEL_SERIES 6
#define MODEL_MAX 3000

typedef struct model {
	int64_t trunc; /* head_truncate point */
	int64_t t[MODEL_SERIES][MODEL_MAX];
	double v[MODEL_SERIES][MODEL_MAX];
	size_t n[MODEL_SERIES];
} model;

static uint64_t mrng = 0x9E3779B97F4A7C15ull;
static uint32_t mrand(void)
{
	mrng ^= mrng << 13;
	mrng ^= mrng >> 7;
	mrng ^= mrng << 17;
	return (uint32_t)mrng;
}

static labels model_labels(int i, label *l, char *buf)
{
	snprintf(buf, 8, "%d", i);
	l[0] = (label){"__name__", "m"};
	l[1] = (label){"i", buf};
	return (labels){l, 2};
}

/* One batch: random samples (some out of order, duplicates, exact repeats),
 * committed or rolled back; the model follows the expected outcome. */
static void model_batch(head *h, model *m, int64_t *clock)
{
	appender *a = head_appender(h);
	err e;
	int64_t pend_last[MODEL_SERIES];
	size_t n_add[MODEL_SERIES] = {0};
	int64_t at[MODEL_SERIES][64];
	double av[MODEL_SERIES][64];
	for (int i = 0; i < MODEL_SERIES; i++)
		pend_last[i] = m->n[i] ? m->t[i][m->n[i] - 1] : INT64_MIN;
	int k = (int)(mrand() % 20);
	for (int j = 0; j < k; j++) {
		int i = (int)(mrand() % MODEL_SERIES);
		*clock += (int64_t)(mrand() % 40000);
		int64_t t = *clock;
		double v = (double)(mrand() % 100);
		uint32_t r = mrand() % 10;
		if (r == 0 && m->n[i]) { /* out of order */
			t = m->t[i][m->n[i] - 1] - 1 - (int64_t)(mrand() % 1000);
		} else if (r == 1 && m->n[i]) { /* exact repeat of the committed last */
			t = m->t[i][m->n[i] - 1];
			v = m->v[i][m->n[i] - 1];
		}
		label l[2];
		char buf[8];
		int rc = appender_append(a, 0, model_labels(i, l, buf), t, v, NULL, &e);
		int64_t committed_last = m->n[i] ? m->t[i][m->n[i] - 1] : INT64_MIN;
		if (r == 0 && m->n[i]) {
			ASSERT(rc == FL_EOUT_OF_ORDER || rc == FL_ETOO_OLD);
		} else if (r == 1 && m->n[i]) {
			ASSERT(rc == 0 || rc == FL_ETOO_OLD);
		} else if (rc == 0 && t > pend_last[i] && t > committed_last && n_add[i] < 64) {
			at[i][n_add[i]] = t;
			av[i][n_add[i]] = v;
			n_add[i]++;
			pend_last[i] = t;
		} else {
			ASSERT(rc == 0 || rc == FL_ETOO_OLD);
		}
	}
	if (mrand() % 5 == 0) {
		appender_rollback(a);
		return;
	}
	ASSERT_EQ(appender_commit(a, &e), 0);
	for (int i = 0; i < MODEL_SERIES; i++)
		for (size_t j = 0; j < n_add[i] && m->n[i] < MODEL_MAX; j++) {
			m->t[i][m->n[i]] = at[i][j];
			m->v[i][m->n[i]] = av[i][j];
			m->n[i]++;
		}
}

static void model_query(head *h, const model *m, int64_t clock)
{
	int64_t mint = (int64_t)(mrand() % (uint32_t)(clock + 1)), maxt = mint + (int64_t)(mrand() % 3000000);
	err e;
	querier *q = queryable_querier(head_queryable(h), mint, maxt, &e);
	if (mint < m->trunc)
		mint = m->trunc; /* the head has nothing below */
	matcher mt;
	matcher_init(&mt, MATCH_EQ, "__name__", "m", &e);
	series_set *ss = querier_select(q, true, NULL, &mt, 1);
	sample_iter *it = NULL;
	int seen = 0;
	while (series_set_next(ss)) {
		int i = atoi(labels_get(series_set_labels(ss), "i"));
		it = series_set_iter(ss, it);
		int64_t seek = mint + (int64_t)(mrand() % 200000);
		size_t j = 0;
		while (j < m->n[i] && m->t[i][j] < seek)
			j++;
		bool use_seek = mrand() % 2;
		int vt = use_seek ? sample_iter_seek(it, seek) : sample_iter_next(it);
		if (!use_seek)
			for (j = 0; j < m->n[i] && m->t[i][j] < mint; j++)
				;
		for (; vt == VAL_FLOAT; vt = sample_iter_next(it), j++) {
			int64_t t;
			double v;
			sample_iter_at(it, &t, &v);
			ASSERT(j < m->n[i]);
			ASSERT_EQ(t, m->t[i][j]);
			ASSERT_DBL_EQ(v, m->v[i][j]);
		}
		ASSERT(j >= m->n[i] || m->t[i][j] > maxt);
		seen |= 1 << i;
	}
	for (int i = 0; i < MODEL_SERIES; i++) {
		bool any = false;
		for (size_t j = 0; j < m->n[i]; j++)
			any |= m->t[i][j] >= mint && m->t[i][j] <= maxt;
		if (any)
			ASSERT(seen & (1 << i));
	}
	sample_iter_close(it);
	series_set_close(ss);
	matcher_reset(&mt);
	querier_close(q);
}

static void random_model(void)
{
	head *h = open_head();
	model *m = calloc(1, sizeof *m);
	int64_t clock = 0;
	for (int round = 0; round < 1500; round++) {
		model_batch(h, m, &clock);
		if (round % 10 == 0)
			model_query(h, m, clock);
		if (round % 300 == 299 && clock - 3600000 > m->trunc) {
			m->trunc = clock - 3600000;
			head_truncate(h, m->trunc);
		}
	}
	size_t total = 0;
	for (int i = 0; i < MODEL_SERIES; i++)
		total += m->n[i];
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.samples_appended, total);
	ASSERT(total > 5000);
	ASSERT(m->trunc > 0);
	free(m);
	head_close(h);
}

/* ---- cardinality statistics (head_stats.c) ---- */

/* The list as "name:value,name:value". */
static const char *fmt(const head_card_list *l, char *b, size_t cap)
{
	size_t n = 0;
	b[0] = 0;
	for (size_t i = 0; i < l->n && n < cap; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s%s:%llu", i ? "," : "", l->v[i].name,
				      (unsigned long long)l->v[i].value);
	return b;
}

static void cardinality_lists(void)
{
	head *h = open_head();
	append_ok(h, L({"__name__", "up"}, {"instance", "x"}, {"job", "a"}), 1000, 1);
	append_ok(h, L({"__name__", "up"}, {"instance", "y"}, {"job", "a"}), 1000, 1);
	append_ok(h, L({"__name__", "up"}, {"instance", "x"}, {"job", "b"}), 1000, 1);
	append_ok(h, L({"__name__", "http"}, {"code", "200"}, {"job", "a"}), 1000, 1);
	append_ok(h, L({"__name__", "http"}, {"code", "500"}, {"job", "a"}), 1000, 1);
	append_ok(h, L({"__name__", "z"}, {"job", "a"}), 1000, 1);
	arena a;
	arena_init(&a);
	head_cardinality c;
	err e;
	err_clear(&e);
	char b[1024];
	ASSERT_EQ(head_cardinality_get(h, 10, &a, &c, &e), 0);
	ASSERT_EQ(c.num_series, 6);
	ASSERT_EQ(c.num_label_pairs, 9);
	ASSERT_EQ(c.chunk_count, 6);
	ASSERT_EQ(c.min_time, 1000);
	ASSERT_EQ(c.max_time, 1000);
	ASSERT_STR_EQ(fmt(&c.by_metric, b, sizeof b), "up:3,http:2,z:1");
	ASSERT_STR_EQ(fmt(&c.values_by_name, b, sizeof b), "__name__:3,code:2,instance:2,job:2");
	ASSERT_STR_EQ(fmt(&c.bytes_by_name, b, sizeof b), "__name__:7,code:6,instance:2,job:2");
	ASSERT_STR_EQ(fmt(&c.by_pair, b, sizeof b),
		      "job=a:5,__name__=up:3,__name__=http:2,instance=x:2,"
		      "__name__=z:1,code=200:1,code=500:1,instance=y:1,job=b:1");
	ASSERT_EQ(head_cardinality_get(h, 2, &a, &c, &e), 0);
	ASSERT_STR_EQ(fmt(&c.by_metric, b, sizeof b), "up:3,http:2");
	ASSERT_STR_EQ(fmt(&c.by_pair, b, sizeof b), "job=a:5,__name__=up:3");
	ASSERT_STR_EQ(fmt(&c.values_by_name, b, sizeof b), "__name__:3,code:2");
	arena_reset(&a);
	head_close(h);
}

static void cardinality_empty_head(void)
{
	head *h = open_head();
	arena a;
	arena_init(&a);
	head_cardinality c;
	ASSERT_EQ(head_cardinality_get(h, 10, &a, &c, NULL), 0);
	ASSERT_EQ(c.num_series, 0);
	ASSERT_EQ(c.num_label_pairs, 0);
	ASSERT_EQ(c.min_time, INT64_MAX);
	ASSERT_EQ(c.max_time, INT64_MIN);
	ASSERT_EQ(c.by_metric.n + c.values_by_name.n + c.bytes_by_name.n + c.by_pair.n, 0);
	arena_reset(&a);
	head_close(h);
}

/* The bounded heap keeps exactly the first k of the full ranking, for
 * every k, with many ties (counts drawn from a small range). */
static void cardinality_topk_matches_full_sort(void)
{
	head *h = open_head();
	unsigned seed = 7;
	for (int i = 0; i < 400; i++) {
		char m[16], x[16], y[16], id[16];
		seed = seed * 1103515245u + 12345u;
		snprintf(m, sizeof m, "m%u", seed >> 16 & 31);
		snprintf(x, sizeof x, "x%u", seed >> 8 & 7);
		snprintf(y, sizeof y, "%u", seed >> 4 & 63);
		snprintf(id, sizeof id, "%d", i);
		append_ok(h, L({"__name__", m}, {"id", id}, {"x", x}, {"y", y}), 1000, 1);
	}
	arena a;
	arena_init(&a);
	head_cardinality full, part;
	ASSERT_EQ(head_cardinality_get(h, 1000000, &a, &full, NULL), 0);
	ASSERT_EQ(full.by_pair.n, (size_t)full.num_label_pairs);
	for (size_t k = 1; k < 40; k += 3) {
		ASSERT_EQ(head_cardinality_get(h, k, &a, &part, NULL), 0);
		const head_card_list *fl[] = {&full.by_metric, &full.values_by_name, &full.bytes_by_name, &full.by_pair};
		const head_card_list *pl[] = {&part.by_metric, &part.values_by_name, &part.bytes_by_name, &part.by_pair};
		for (size_t l = 0; l < 4; l++) {
			ASSERT_EQ(pl[l]->n, FL_MIN(k, fl[l]->n));
			for (size_t i = 0; i < pl[l]->n; i++) {
				ASSERT_STR_EQ(pl[l]->v[i].name, fl[l]->v[i].name);
				ASSERT_EQ(pl[l]->v[i].value, fl[l]->v[i].value);
			}
		}
	}
	arena_reset(&a);
	head_close(h);
}

/* ---- garbage collection (issue 15) ---- */

typedef struct removed_log {
	uint64_t refs[64];
	size_t n, calls;
} removed_log;

static void on_removed(void *ctx, const uint64_t *refs, size_t n)
{
	removed_log *r = ctx;
	r->calls++;
	for (size_t i = 0; i < n && r->n < 64; i++)
		r->refs[r->n++] = refs[i];
}

static size_t label_values_n(head *h, const char *name)
{
	err e;
	querier *q = queryable_querier(head_queryable(h), INT64_MIN, INT64_MAX, &e);
	strlist sl;
	ASSERT_EQ(querier_label_values(q, name, NULL, 0, &sl, &e), 0);
	size_t n = sl.n;
	strlist_free(&sl);
	querier_close(q);
	return n;
}

/* Series whose samples are all truncated are removed with their postings
 * and reported; others keep theirs; a stale ref appends to a new series;
 * the head-chunk files before the truncation point are deleted. */
static void truncate_gc_series(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/chunks_head", test_tmpdir());
	removed_log rl = {0};
	err e;
	head_opts o = {.chunks_dir = dir, .series_removed = on_removed, .series_removed_ctx = &rl};
	head *h = head_open(&o, &e);
	ASSERT(h);
	const int64_t H = 3600 * 1000;
	series_ref old_ref = 0;
	for (int64_t t = 0; t < 6 * H; t += 15000) {
		appender *a = head_appender(h);
		if (t < 3 * H) /* "gone" stops at 3h, with 8 label values of its own */
			for (int i = 0; i < 8; i++) {
				char v[8];
				snprintf(v, sizeof v, "g%d", i);
				ASSERT_EQ(appender_append(a, 0, L({"__name__", "gone"}, {"i", v}), t, 1, i ? NULL : &old_ref, &e), 0);
			}
		ASSERT_EQ(appender_append(a, 0, L({"__name__", "kept"}, {"i", "k"}), t, 2, NULL, &e), 0);
		ASSERT_EQ(appender_commit(a, &e), 0);
	}
	head_stats st;
	head_get_stats(h, &st);
	ASSERT_EQ(st.series, 9);
	ASSERT_EQ(label_values_n(h, "i"), 9);
	char f1[1100];
	snprintf(f1, sizeof f1, "%s/000001", dir);
	ASSERT(access(f1, F_OK) == 0);
	err fe;
	ASSERT_EQ(head_truncate(h, 4 * H), 8);
	ASSERT_EQ(rl.calls, 1);
	ASSERT_EQ(rl.n, 8);
	ASSERT_EQ(rl.refs[0], old_ref);
	ASSERT(!head_series_alive(h, old_ref));
	head_get_stats(h, &st);
	ASSERT_EQ(st.series, 1);
	ASSERT_EQ(st.series_removed, 8);
	ASSERT_EQ(st.truncations, 1);
	ASSERT_EQ(label_values_n(h, "i"), 1);
	ASSERT_EQ(label_values_n(h, "__name__"), 1);
	size_t ns;
	int64_t ts[4];
	double vs[4];
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "gone", ts, vs, 4, &ns), 0);
	ASSERT_EQ(ns, 0);
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "kept", ts, vs, 4, &ns), (6 * H - 4 * H) / 15000);
	/* the stale ref: its labels make a new series */
	appender *a = head_appender(h);
	series_ref nref = 0;
	ASSERT_EQ(appender_append(a, old_ref, L({"__name__", "gone"}, {"i", "g0"}), 6 * H, 5, &nref, &e), 0);
	ASSERT(nref != old_ref && nref != 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
	ASSERT_EQ(select_one(h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "gone", ts, vs, 4, &ns), 1);
	/* everything before 6h truncated: "kept" (last sample 6h - 15s) goes
	 * too, and so does the chunk file nothing references any more */
	ASSERT_EQ(head_truncate(h, 6 * H - 1), 1);
	ASSERT(access(f1, F_OK) != 0);
	(void)fe;
	head_close(h);
}

/* Truncation and GC while appenders add and queriers read (bounded): no
 * crash, no lost committed sample of a live series, ASan-clean. */
typedef struct gc_race {
	head *h;
	_Atomic int stop;
	_Atomic int64_t clock; /* newest time appended */
} gc_race;

static void *gc_appender(void *p)
{
	gc_race *g = p;
	series_ref refs[50] = {0};
	for (int64_t t = 1; t <= 6000 && !atomic_load(&g->stop); t++) {
		appender *a = head_appender(g->h);
		err e;
		for (int i = 0; i < 50; i++) {
			char v[8];
			snprintf(v, sizeof v, "%d", i);
			/* series i gets samples every (i % 5 + 1) rounds; 40-49 stop at
			 * 1500 (removed), 30-39 pause from 1500 to 3000 (removed, then
			 * appended to through their stale refs: new series) */
			if ((t % (i % 5 + 1) && t > 100) || (i >= 40 && t > 1500) || (i >= 30 && t > 1500 && t < 3000))
				continue;
			series_ref out = 0;
			int rc = appender_append(a, refs[i], L({"__name__", "r"}, {"i", v}), t * 1000, (double)t, &out, &e);
			ASSERT(rc == 0 || rc == FL_ETOO_OLD || rc == FL_EOUT_OF_ORDER);
			if (out)
				refs[i] = out;
		}
		ASSERT_EQ(appender_commit(a, &e), 0);
		atomic_store(&g->clock, t * 1000);
		if (t % 10 == 0)
			usleep(200); /* let truncations interleave (~120 ms in all) */
	}
	return NULL;
}

static void *gc_reader(void *p)
{
	gc_race *g = p;
	static int64_t ts[1 << 14];
	static double vs[1 << 14];
	for (int k = 0; k < 2000 && !atomic_load(&g->stop); k++) {
		size_t ns;
		select_one(g->h, INT64_MIN, INT64_MAX, MATCH_EQ, "__name__", "r", ts, vs, 1 << 14, &ns);
		ASSERT(ns <= 50);
	}
	return NULL;
}

static void truncate_gc_concurrent(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/chunks_head", test_tmpdir());
	err e;
	head_opts o = {.chunks_dir = dir, .chunk_range_ms = 20000};
	gc_race g = {.h = head_open(&o, &e)};
	ASSERT(g.h);
	pthread_t w, r;
	pthread_create(&w, NULL, gc_appender, &g);
	pthread_create(&r, NULL, gc_reader, &g);
	for (int i = 0; i < 5000 && atomic_load(&g.clock) < 6000 * 1000; i++) {
		int64_t c = atomic_load(&g.clock);
		if (c > 30000)
			head_truncate(g.h, c - 20000);
		usleep(2000);
	}
	atomic_store(&g.stop, 1);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	head_stats st;
	head_get_stats(g.h, &st);
	ASSERT(st.truncations > 0);
	ASSERT(st.series <= 50);
	ASSERT(st.series_removed >= 20); /* 30-49 at least once */
	/* the series still appended to hold their recent samples */
	int64_t last = atomic_load(&g.clock);
	head_truncate(g.h, last - 20000);
	static int64_t ts[1 << 14];
	static double vs[1 << 14];
	size_t ns;
	select_one(g.h, last - 5000, last, MATCH_EQ, "__name__", "r", ts, vs, 1 << 14, &ns);
	ASSERT_EQ(ns, 40); /* 0-39 */
	head_close(g.h);
}

const struct test tests_head[] = {
	{"truncate_gc_series", truncate_gc_series},
	{"truncate_gc_concurrent", truncate_gc_concurrent},
	{"cardinality_lists", cardinality_lists},
	{"cardinality_empty_head", cardinality_empty_head},
	{"cardinality_topk_matches_full_sort", cardinality_topk_matches_full_sort},
	{"random_model", random_model},
	{"roundtrip", roundtrip},
	{"rejection_wording", rejection_wording},
	{"rollback_drops", rollback_drops},
	{"log_hook_and_failure", log_hook_and_failure},
	{"commit_atomic_under_reader", commit_atomic_under_reader},
	{"querier_snapshot_stable", querier_snapshot_stable},
	{"concurrent_series_creation", concurrent_series_creation},
	{"chunk_cut_aligned_15s", chunk_cut_aligned_15s},
	{"release_memory_after_cuts", release_memory_after_cuts},
	{"chunks_match_prometheus", chunks_match_prometheus},
	{"chunk_byte_limit_3x", chunk_byte_limit_3x},
	{"replay_paths", replay_paths},
	{"truncate_drops_old_chunks", truncate_drops_old_chunks},
	{"matcher_semantics", matcher_semantics},
	{NULL, NULL},
};
