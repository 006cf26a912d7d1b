/* test_querier.c - tsdb/querier.c: PostingsForMatchers and the label APIs
 * over the index-reader seam, checked against a naive evaluation (a label a
 * series lacks has the value "", which is exactly Prometheus's semantics)
 * on the golden blocks Prometheus wrote, for the block itself and for a head
 * holding the same series: both implementations of the seam must agree. */
#include "tests/unit/test.h"
#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/index.h"
#include "tsdb/chunk.h"

block *test_block_open_golden(const char *ulid);

#define BLOCK_A "01M85ZJJW0Q48HSX1F1SJXQXMD"
#define BLOCK_B "01M85ZJJXFQCQ2MCSY0E645XXV"
#define MAX_MS 3

typedef struct corpus {
	labels *ls; /* every series of the block, sorted (strings borrowed from the block) */
	size_t n;
	arena a;
} corpus;

static void load_corpus(block *b, corpus *c)
{
	uint32_t *refs = NULL;
	size_t n_refs = 0, n_chks = 0, cap_chks = 0;
	chunk_meta *chks = NULL;
	err e;
	arena_init(&c->a);
	ASSERT_EQ(index_select(block_index(b), NULL, 0, &refs, &n_refs, &e), 0);
	ASSERT(n_refs > 10);
	c->ls = arena_alloc(&c->a, n_refs * sizeof *c->ls);
	for (size_t i = 0; i < n_refs; i++) {
		n_chks = 0;
		ASSERT_EQ(index_series(block_index(b), refs[i], &c->a, &c->ls[i], &chks, &n_chks, &cap_chks, &e), 0);
	}
	c->n = n_refs;
	fl_free(refs);
	fl_free(chks);
}

static const char *value_of(labels ls, const char *name)
{
	for (size_t i = 0; i < ls.n; i++)
		if (!strcmp(ls.v[i].name, name))
			return ls.v[i].value;
	return "";
}

static bool naive_match(labels ls, const matcher *ms, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ms[i].name[0] && !ms[i].value[0])
			continue;
		if (!matcher_matches_str(&ms[i], value_of(ls, ms[i].name)))
			return false;
	}
	return true;
}

/* Compare what q selects with the naive answer over c. */
static void check_select(querier *q, const corpus *c, const matcher *ms, size_t n, const char *what)
{
	series_set *ss = querier_select(q, true, NULL, ms, n);
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (!naive_match(c->ls[i], ms, n))
			continue;
		if (!series_set_next(ss))
			test_fail(__FILE__, __LINE__, "%s: series %zu missing", what, i);
		if (labels_compare(series_set_labels(ss), c->ls[i]) != 0)
			test_fail(__FILE__, __LINE__, "%s: unexpected series at %zu", what, k);
		k++;
	}
	if (series_set_next(ss))
		test_fail(__FILE__, __LINE__, "%s: extra series after %zu", what, k);
	ASSERT_EQ(series_set_err(ss, NULL), 0);
	series_set_close(ss);
}

/* label_values(name, ms) against the naive answer. */
static void check_values(querier *q, const corpus *c, const char *name, const matcher *ms, size_t n,
			 const char *what)
{
	strlist got;
	err e;
	ASSERT_EQ(querier_label_values(q, name, ms, n, &got, &e), 0);
	const char **want = fl_malloc((c->n ? c->n : 1) * sizeof *want);
	size_t nw = 0;
	for (size_t i = 0; i < c->n; i++)
		if (naive_match(c->ls[i], ms, n))
			want[nw++] = value_of(c->ls[i], name);
	strlist w;
	ASSERT_EQ(strlist_take_sorted(&w, want, nw, &e), 0);
	if (got.n != w.n)
		test_fail(__FILE__, __LINE__, "%s: %zu values, want %zu", what, got.n, w.n);
	for (size_t i = 0; i < w.n; i++)
		ASSERT_STR_EQ(got.v[i], w.v[i]);
	strlist_free(&got);
	strlist_free(&w);
}

typedef struct mcase {
	match_type t;
	const char *fmt; /* %s = a value of the label (regex-quoted for =~ and !~) */
	int keep;        /* use only the first keep UTF-8 characters of it (0: all) */
} mcase;

static const mcase cases[] = {
	{MATCH_EQ, "%s", 0},         {MATCH_NEQ, "%s", 0},     {MATCH_RE, "%s|zzz", 0}, {MATCH_NRE, "%s|zzz", 0},
	{MATCH_RE, "%s.*", 1},       {MATCH_NRE, "%s.*", 1},   {MATCH_EQ, "", 0},       {MATCH_NEQ, "", 0},
	{MATCH_RE, ".*", 0},         {MATCH_RE, ".+", 0},      {MATCH_NRE, ".+", 0},    {MATCH_NRE, ".*", 0},
	{MATCH_RE, "%s|", 0},        {MATCH_NRE, "%s|", 0},    {MATCH_RE, ".*%s.*", 2}, {MATCH_EQ, "no-such-value", 0},
	{MATCH_NEQ, "no-such", 0},   {MATCH_RE, "(%s)?", 0},
};

/* The first keep characters of v (all when 0), regex-quoted when quote. */
static void prep(char *out, size_t cap, const char *v, int keep, bool quote)
{
	size_t w = 0;
	int chars = 0;
	for (const char *p = v; *p && w + 3 < cap; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80 && keep && chars++ == keep)
			break;
		if (quote && strchr("\\.+*?()|[]{}^$", *p))
			out[w++] = '\\';
		out[w++] = *p;
	}
	out[w] = 0;
}

static void mk(matcher *m, match_type t, const char *name, const char *fmt, const char *v, int keep)
{
	char val[512], x[256];
	err e;
	prep(x, sizeof x, v, keep, t == MATCH_RE || t == MATCH_NRE);
	snprintf(val, sizeof val, fmt, x);
	if (matcher_init(m, t, name, val, &e) != 0)
		test_fail(__FILE__, __LINE__, "matcher %s %s: %s", name, val, e.msg);
}

/* Run every case on every label name (and an unknown one), alone and
 * after a metric-name matcher, plus label values under each. */
static void check_all(querier *q, const corpus *c, const char *who)
{
	const char *names[64];
	size_t n_names = 0;
	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; k < c->ls[i].n; k++) {
			size_t j = 0;
			while (j < n_names && strcmp(names[j], c->ls[i].v[k].name))
				j++;
			if (j == n_names && n_names < 63)
				names[n_names++] = c->ls[i].v[k].name;
		}
	names[n_names++] = "no_such_label";
	size_t n_checks = 0;
	for (size_t ni = 0; ni < n_names; ni++) {
		const char *v = "x";
		for (size_t i = 0; i < c->n && !strcmp(v, "x"); i++)
			if (value_of(c->ls[i], names[ni])[0])
				v = value_of(c->ls[i], names[ni]);
		for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
			matcher ms[MAX_MS];
			char what[256];
			mk(&ms[0], MATCH_EQ, "__name__", "%s", value_of(c->ls[ci % c->n], "__name__"), 0);
			mk(&ms[1], cases[ci].t, names[ni], cases[ci].fmt, v, cases[ci].keep);
			mk(&ms[2], MATCH_RE, "__name__", ".+", "", 0);
			snprintf(what, sizeof what, "%s: %s%s\"%s\"", who, ms[1].name, matcher_op_str(ms[1].type), ms[1].value);
			check_select(q, c, &ms[1], 1, what);
			check_select(q, c, &ms[1], 2, what);
			check_select(q, c, ms, 2, what);
			check_values(q, c, names[ni], &ms[1], 2, what);
			check_values(q, c, "__name__", &ms[1], 1, what);
			n_checks += 5;
			for (size_t k = 0; k < MAX_MS; k++)
				matcher_reset(&ms[k]);
		}
	}
	ASSERT(n_checks > 100);
}

static void load_head(head *h, const corpus *c)
{
	appender *a = head_appender(h);
	err e;
	for (size_t i = 0; i < c->n; i++)
		ASSERT_EQ(appender_append(a, 0, c->ls[i], 1000, 1.0, NULL, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
}

static void querier_matchers_block_and_head_agree(void)
{
	const char *ulids[] = {BLOCK_A, BLOCK_B};
	for (size_t u = 0; u < 2; u++) {
		block *b = test_block_open_golden(ulids[u]);
		corpus c;
		load_corpus(b, &c);
		err e;
		querier *bq = queryable_querier(block_queryable(b), INT64_MIN / 2, INT64_MAX / 2, &e);
		check_all(bq, &c, "block");
		querier_close(bq);
		head_opts o = {0};
		head *h = head_open(&o, &e);
		ASSERT(h != NULL);
		load_head(h, &c);
		querier *hq = queryable_querier(head_queryable(h), INT64_MIN / 2, INT64_MAX / 2, &e);
		check_all(hq, &c, "head");
		querier_close(hq);
		head_close(h);
		arena_reset(&c.a);
		block_close(b);
	}
}

/* label_names with matchers: the union of the names of matching series. */
static void querier_label_names_matching(void)
{
	block *b = test_block_open_golden(BLOCK_A);
	corpus c;
	load_corpus(b, &c);
	err e;
	querier *q = queryable_querier(block_queryable(b), INT64_MIN / 2, INT64_MAX / 2, &e);
	for (size_t i = 0; i < c.n; i++) {
		matcher m;
		mk(&m, MATCH_EQ, "__name__", "%s", value_of(c.ls[i], "__name__"), 0);
		strlist got;
		ASSERT_EQ(querier_label_names(q, &m, 1, &got, &e), 0);
		for (size_t k = 0; k < c.ls[i].n; k++) {
			size_t j = 0;
			while (j < got.n && strcmp(got.v[j], c.ls[i].v[k].name))
				j++;
			ASSERT(j < got.n);
		}
		for (size_t j = 1; j < got.n; j++)
			ASSERT(strcmp(got.v[j - 1], got.v[j]) < 0);
		strlist_free(&got);
		matcher_reset(&m);
	}
	querier_close(q);
	arena_reset(&c.a);
	block_close(b);
}

/* Everything a select returns, flattened: labels compared by the caller
 * series by series, samples as (t, v) into ts (up to cap). */
static size_t drain(querier *q, const select_hints *h, const matcher *m, labels *ls, int64_t *ts, size_t cap,
		    size_t *n_series)
{
	series_set *ss = querier_select(q, true, h, m, 1);
	sample_iter *it = NULL;
	size_t n = 0;
	*n_series = 0;
	while (series_set_next(ss)) {
		ASSERT(*n_series < 64);
		ls[(*n_series)++] = series_set_labels(ss);
		it = series_set_iter(ss, it);
		while (sample_iter_next(it) == VAL_FLOAT) {
			double v;
			if (n < cap)
				sample_iter_at(it, &ts[n], &v);
			n++;
		}
	}
	sample_iter_close(it);
	ASSERT_EQ(series_set_err(ss, NULL), 0);
	series_set_close(ss);
	return n;
}

/* A select's hints narrow what it reads exactly as a querier opened over
 * the hints' range would (Prometheus blockQuerier.Select uses hints.Start
 * and hints.End): head and block alike, including ranges that miss. */
static void querier_hints_time_range(void)
{
	block *b = test_block_open_golden(BLOCK_A);
	const block_meta *bm = block_meta_get(b);
	head_opts o = {0};
	err e;
	head *h = head_open(&o, &e);
	ASSERT(h != NULL);
	appender *a = head_appender(h);
	static const label lv[] = {{"__name__", "x"}, {"i", "1"}};
	labels ls = {lv, 2};
	for (int64_t t = 0; t < 1000; t++)
		ASSERT_EQ(appender_append(a, 0, ls, t * 1000, (double)t, NULL, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
	matcher m;
	mk(&m, MATCH_RE, "__name__", ".+", "", 0);
	queryable *srcs[2] = {block_queryable(b), head_queryable(h)};
	int64_t spans[2][2] = {{bm->min_time, bm->max_time}, {0, 999000}};
	enum { CAP = 100000 };
	int64_t *t1 = fl_malloc(CAP * sizeof *t1), *t2 = fl_malloc(CAP * sizeof *t2);
	labels l1[64], l2[64];
	for (int s = 0; s < 2; s++) {
		int64_t lo = spans[s][0], span = spans[s][1] - lo;
		int64_t ranges[][2] = {{lo, lo + span / 3},     {lo + span / 4, lo + span / 2}, {lo + span - 1, lo + 2 * span},
				       {lo - 2 * span, lo - 1}, {lo + span / 2, lo + span / 2}, {lo, lo + span}};
		for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++) {
			select_hints hh = {.start_ms = ranges[r][0], .end_ms = ranges[r][1]};
			querier *wide = queryable_querier(srcs[s], INT64_MIN / 2, INT64_MAX / 2, &e);
			querier *narrow = queryable_querier(srcs[s], ranges[r][0], ranges[r][1], &e);
			size_t ns1, ns2;
			size_t n1 = drain(wide, &hh, &m, l1, t1, CAP, &ns1);
			size_t n2 = drain(narrow, NULL, &m, l2, t2, CAP, &ns2);
			ASSERT_EQ(ns1, ns2);
			ASSERT_EQ(n1, n2);
			ASSERT(n1 <= CAP);
			for (size_t i = 0; i < ns1; i++)
				ASSERT_EQ(labels_compare(l1[i], l2[i]), 0);
			for (size_t i = 0; i < n1; i++) {
				ASSERT_EQ(t1[i], t2[i]);
				ASSERT(t1[i] >= ranges[r][0] && t1[i] <= ranges[r][1]);
			}
			if (r == 0 || r == 5)
				ASSERT(n1 > 0);
			querier_close(wide);
			querier_close(narrow);
		}
	}
	fl_free(t1);
	fl_free(t2);
	matcher_reset(&m);
	head_close(h);
	block_close(b);
}

/* For every series of a select: the chunk view, decoded, equals what the
 * sample iterator returns (same times, same value bits), and its chunks are
 * time-ordered without overlap. Returns the chunks seen. */
static size_t check_view(querier *q, const select_hints *h, const matcher *m, size_t nm)
{
	series_set *ss = querier_select(q, true, h, m, nm);
	ASSERT(series_set_has_chunks(ss) || !series_set_next(ss));
	sample_iter *it = NULL;
	size_t n_chunks = 0;
	err e;
	while (series_set_next(ss)) {
		const chunk_data *cd;
		size_t n;
		ASSERT_EQ(series_set_chunks(ss, &cd, &n, &e), 0);
		it = series_set_iter(ss, it);
		for (size_t k = 0; k < n; k++) {
			ASSERT(cd[k].mint <= cd[k].maxt);
			if (k)
				ASSERT(cd[k - 1].maxt < cd[k].mint);
			xor_iter x;
			xor_iter_init(&x, cd[k].b, cd[k].len, 0);
			int64_t last = INT64_MIN;
			while (xor_iter_next(&x)) {
				ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
				int64_t t;
				double v;
				sample_iter_at(it, &t, &v);
				ASSERT_EQ(x.t, t);
				ASSERT(memcmp(&x.v, &v, sizeof v) == 0);
				last = x.t;
			}
			ASSERT_EQ(x.err, 0);
			ASSERT_EQ(last, cd[k].maxt);
			n_chunks++;
		}
		ASSERT_EQ(sample_iter_next(it), VAL_NONE);
	}
	sample_iter_close(it);
	ASSERT_EQ(series_set_err(ss, NULL), 0);
	series_set_close(ss);
	return n_chunks;
}

/* Compare the run a read op returned with the next samples of want. */
static void check_run(const sample *buf, size_t k, const sample *want, size_t n, size_t *got)
{
	for (size_t i = 0; i < k; i++, (*got)++) {
		ASSERT(*got < n);
		ASSERT_EQ(buf[i].t, want[*got].t);
		ASSERT(memcmp(&buf[i].v, &want[*got].v, sizeof buf[i].v) == 0);
	}
}

/* For every series of a select: reading in runs of 7 (the iterator's read
 * op) up to a cut in the middle, one next() past it, then runs to the end,
 * returns exactly what next/at do. Returns the samples seen. */
static size_t check_read(querier *q, const select_hints *h, const matcher *m, size_t nm)
{
	series_set *a = querier_select(q, true, h, m, nm), *b = querier_select(q, true, h, m, nm);
	sample_iter *ia = NULL, *ib = NULL;
	sample *want = NULL, buf[7];
	size_t cap = 0, total = 0;
	while (series_set_next(a)) {
		ASSERT(series_set_next(b));
		ia = series_set_iter(a, ia);
		ib = series_set_iter(b, ib);
		ASSERT(ib->ops->read != NULL);
		size_t n = 0, got = 0, k;
		while (sample_iter_next(ia) == VAL_FLOAT) {
			ASSERT(fl_grow((void **)&want, &cap, n + 1, sizeof *want));
			sample_iter_at(ia, &want[n].t, &want[n].v);
			n++;
		}
		int64_t cut = n ? want[n / 2].t : 0;
		do {
			k = ib->ops->read(ib, cut, buf, NULL, 7);
			check_run(buf, k, want, n, &got);
		} while (k == 7);
		ASSERT_EQ(got, n ? n / 2 + 1 : 0);
		if (got < n) {
			ASSERT_EQ(sample_iter_next(ib), VAL_FLOAT);
			sample_iter_at(ib, &buf[0].t, &buf[0].v);
			check_run(buf, 1, want, n, &got);
		}
		do {
			k = ib->ops->read(ib, INT64_MAX, buf, NULL, 7);
			check_run(buf, k, want, n, &got);
		} while (k == 7);
		ASSERT_EQ(got, n);
		ASSERT_EQ(sample_iter_next(ib), VAL_NONE);
		total += n;
	}
	ASSERT(!series_set_next(b));
	fl_free(want);
	sample_iter_close(ia);
	sample_iter_close(ib);
	series_set_close(a);
	series_set_close(b);
	return total;
}

/* A block's chunk view hands out the stored chunks themselves (pointers
 * into the chunk segment, nothing decoded), and a trimmed range re-encodes
 * only the cut chunks. */
static void querier_chunk_view_block(void)
{
	block *b = test_block_open_golden(BLOCK_A);
	const block_meta *bm = block_meta_get(b);
	err e;
	matcher m;
	mk(&m, MATCH_RE, "__name__", ".+", "", 0);
	querier *q = queryable_querier(block_queryable(b), bm->min_time, bm->max_time, &e);
	series_set *ss = querier_select(q, true, NULL, &m, 1);
	uint32_t *refs = NULL;
	size_t n_refs = 0, n_chks = 0, cap_chks = 0, n_same = 0;
	chunk_meta *chks = NULL;
	arena a;
	arena_init(&a);
	ASSERT_EQ(index_select(block_index(b), NULL, 0, &refs, &n_refs, &e), 0);
	for (size_t i = 0; series_set_next(ss); i++) {
		const chunk_data *cd;
		size_t n;
		labels ls;
		ASSERT_EQ(series_set_chunks(ss, &cd, &n, &e), 0);
		ASSERT(i < n_refs);
		n_chks = 0;
		ASSERT_EQ(index_series(block_index(b), refs[i], &a, &ls, &chks, &n_chks, &cap_chks, &e), 0);
		ASSERT_EQ(labels_compare(ls, series_set_labels(ss)), 0);
		ASSERT_EQ(n, n_chks);
		for (size_t k = 0; k < n; k++) {
			uint8_t enc;
			const uint8_t *data;
			size_t len;
			ASSERT_EQ(chunks_get(block_chunks(b), chks[k].ref, false, &enc, &data, &len, &e), 0);
			ASSERT(cd[k].b == data && cd[k].len == len); /* the stored bytes themselves */
			n_same++;
		}
	}
	fl_free(refs);
	fl_free(chks);
	arena_reset(&a);
	series_set_close(ss);
	ASSERT(n_same > 20);
	ASSERT(check_view(q, NULL, &m, 1) == n_same);
	int64_t span = bm->max_time - bm->min_time;
	select_hints h = {.start_ms = bm->min_time + span / 3, .end_ms = bm->max_time - span / 3};
	ASSERT(check_view(q, &h, &m, 1) > 0);
	ASSERT(check_read(q, NULL, &m, 1) > 1000);
	ASSERT(check_read(q, &h, &m, 1) > 0);
	querier_close(q);
	matcher_reset(&m);
	block_close(b);
}

static void append_series(head *h, const char *i, int64_t from, int64_t step, int64_t n, double base)
{
	label lv[] = {{"__name__", "x"}, {"i", i}};
	appender *a = head_appender(h);
	err e;
	series_ref ref = 0;
	for (int64_t k = 0; k < n; k++)
		ASSERT_EQ(appender_append(a, ref, (labels){lv, 2}, from + k * step, base + (double)k, &ref, &e), 0);
	ASSERT_EQ(appender_commit(a, &e), 0);
}

/* The head's chunk view (closed chunks, the open one as a copy) and the
 * merged view of two overlapping sources (runs of overlapping chunks
 * re-encoded, the earlier source winning on equal times) both decode to
 * exactly what the sample iterators return; reading them in runs too. */
static void querier_chunk_view_head_and_merge(void)
{
	head_opts o = {0};
	err e;
	head *h1 = head_open(&o, &e), *h2 = head_open(&o, &e);
	ASSERT(h1 && h2);
	append_series(h1, "a", 0, 1000, 1000, 0);
	append_series(h1, "b", 0, 15000, 300, 0);
	append_series(h2, "a", 500000, 2000, 400, 1e6); /* overlaps a's middle and runs past it */
	append_series(h2, "c", 0, 1000, 50, 0);
	matcher m;
	mk(&m, MATCH_EQ, "__name__", "x", "", 0);
	for (int r = 0; r < 3; r++) {
		select_hints h = {.start_ms = r == 0 ? INT64_MIN / 2 : 123456, .end_ms = r == 2 ? 654321 : INT64_MAX / 2};
		querier *q1 = queryable_querier(head_queryable(h1), INT64_MIN / 2, INT64_MAX / 2, &e);
		ASSERT(check_view(q1, &h, &m, 1) >= 3);
		ASSERT(check_read(q1, &h, &m, 1) > 0);
		querier_close(q1);
		querier *qs[2] = {queryable_querier(head_queryable(h1), INT64_MIN / 2, INT64_MAX / 2, &e),
				  queryable_querier(head_queryable(h2), INT64_MIN / 2, INT64_MAX / 2, &e)};
		querier *mq = querier_merge(qs, 2, INT64_MIN / 2, INT64_MAX / 2, &e);
		ASSERT(check_view(mq, &h, &m, 1) >= 4);
		ASSERT(check_read(mq, &h, &m, 1) > 0);
		querier_close(mq);
	}
	matcher_reset(&m);
	head_close(h1);
	head_close(h2);
}

const struct test tests_querier[] = {
	{"querier_chunk_view_block", querier_chunk_view_block},
	{"querier_chunk_view_head_and_merge", querier_chunk_view_head_and_merge},
	{"querier_hints_time_range", querier_hints_time_range},
	{"querier_matchers_block_and_head_agree", querier_matchers_block_and_head_agree},
	{"querier_label_names_matching", querier_label_names_matching},
	{NULL, NULL},
};
