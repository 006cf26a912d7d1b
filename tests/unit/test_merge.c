/* test_merge.c - tsdb/merge.c: querier_merge over in-memory queriers and
 * over the golden blocks. */
#include "tests/unit/test.h"
#include "tsdb/block.h"

/* ---- an in-memory querier: series sorted by labels, one label "a" ---- */

typedef struct mseries {
	const char *a;        /* value of label a */
	const int64_t *t;     /* timestamps */
	const double *v;      /* values */
	size_t n;             /* samples */
} mseries;

typedef struct mq {
	querier base;
	const mseries *s;
	size_t n;
	label lbl[8][1];
} mq;

typedef struct mset {
	series_set base;
	mq *q;
	const matcher *ms;
	size_t n_ms;
	size_t i;
} mset;

typedef struct miter {
	sample_iter base;
	const mseries *s;
	size_t i; /* 1-based current */
} miter;

static int mi_next(sample_iter *it) { miter *m = (miter *)it; return ++m->i <= m->s->n ? VAL_FLOAT : VAL_NONE; }
static int mi_seek(sample_iter *it, int64_t t)
{
	miter *m = (miter *)it;
	if (m->i == 0)
		m->i = 1;
	while (m->i <= m->s->n && m->s->t[m->i - 1] < t)
		m->i++;
	return m->i <= m->s->n ? VAL_FLOAT : VAL_NONE;
}
static void mi_at(sample_iter *it, int64_t *t, double *v) { miter *m = (miter *)it; *t = m->s->t[m->i - 1]; *v = m->s->v[m->i - 1]; }
static int mi_err(sample_iter *it, err *e) { return 0; }
static void mi_close(sample_iter *it) { free(it); }
static const struct sample_iter_ops mi_ops = {mi_next, mi_seek, mi_at, mi_err, mi_close, NULL, NULL};

static bool ms_match(mset *s, size_t i)
{
	for (size_t k = 0; k < s->n_ms; k++) {
		const char *v = !strcmp(s->ms[k].name, "a") ? s->q->s[i].a : "";
		if (!matcher_matches_str(&s->ms[k], v))
			return false;
	}
	return true;
}
static bool ms_next(series_set *ss)
{
	mset *s = (mset *)ss;
	while (++s->i <= s->q->n)
		if (ms_match(s, s->i - 1))
			return true;
	return false;
}
static labels ms_labels(series_set *ss)
{
	mset *s = (mset *)ss;
	labels l = {s->q->lbl[s->i - 1], 1};
	return l;
}
static sample_iter *ms_iter(series_set *ss, sample_iter *reuse)
{
	mset *s = (mset *)ss;
	sample_iter_close(reuse);
	miter *m = calloc(1, sizeof *m);
	m->base.ops = &mi_ops;
	m->s = &s->q->s[s->i - 1];
	return &m->base;
}
static int ms_err(series_set *ss, err *e) { return 0; }
static void ms_close(series_set *ss) { free(ss); }
static const struct series_set_ops ms_ops = {ms_next, ms_labels, ms_iter, ms_err, ms_close, NULL};

static series_set *mq_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n)
{
	mset *s = calloc(1, sizeof *s);
	s->base.ops = &ms_ops;
	s->q = (mq *)q;
	s->ms = ms;
	s->n_ms = n;
	return &s->base;
}
static int mq_names(querier *q, const matcher *ms, size_t n, strlist *out, err *e)
{
	const char **v = fl_malloc(sizeof *v);
	v[0] = "a";
	return strlist_take_sorted(out, v, 1, e);
}
static int mq_values(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	mq *m = (mq *)q;
	const char **v = fl_malloc((m->n + 1) * sizeof *v);
	for (size_t i = 0; i < m->n; i++)
		v[i] = m->s[i].a;
	return strlist_take_sorted(out, v, m->n, e);
}
static void mq_close(querier *q) { free(q); }
static const struct querier_ops mq_ops = {mq_select, mq_names, mq_values, mq_close};

static querier *mock(const mseries *s, size_t n)
{
	mq *q = calloc(1, sizeof *q);
	q->base.ops = &mq_ops;
	q->s = s;
	q->n = n;
	for (size_t i = 0; i < n; i++) {
		q->lbl[i][0].name = "a";
		q->lbl[i][0].value = s[i].a;
	}
	return &q->base;
}

static const int64_t t_a1[] = {1, 2, 3}, t_b1[] = {2, 4}, t_b2[] = {5}, t_a3[] = {7, 9};
static const double v_a1[] = {1, 1, 1}, v_b1[] = {2, 2}, v_b2[] = {5}, v_a3[] = {7, 9};
static const mseries A[] = {{"1", t_a1, v_a1, 3}, {"3", t_a3, v_a3, 2}};
static const mseries B[] = {{"1", t_b1, v_b1, 2}, {"2", t_b2, v_b2, 1}};

static void merge_series_and_samples(void)
{
	querier *qs[2] = {mock(A, 2), mock(B, 2)};
	err e;
	querier *q = querier_merge(qs, 2, 0, 100, &e);
	ASSERT(q != NULL);
	series_set *s = querier_select(q, true, NULL, NULL, 0);
	static const char *want_a[] = {"1", "2", "3"};
	static const int64_t want_t[3][5] = {{1, 2, 3, 4}, {5}, {7, 9}};
	static const double want_v[3][5] = {{1, 1, 1, 2}, {5}, {7, 9}};
	static const size_t want_n[3] = {4, 1, 2};
	size_t k = 0;
	sample_iter *it = NULL;
	while (series_set_next(s)) {
		ASSERT(k < 3);
		ASSERT_STR_EQ(labels_get(series_set_labels(s), "a"), want_a[k]);
		it = series_set_iter(s, it);
		size_t j = 0;
		int64_t t;
		double v;
		while (sample_iter_next(it) == VAL_FLOAT) {
			ASSERT(j < want_n[k]);
			sample_iter_at(it, &t, &v);
			ASSERT_EQ(t, want_t[k][j]);
			ASSERT_DBL_EQ(v, want_v[k][j]);
			j++;
		}
		ASSERT_EQ(j, want_n[k]);
		k++;
	}
	ASSERT_EQ(k, 3);
	sample_iter_close(it);
	series_set_close(s);
	querier_close(q);
}

static void merge_chain_seek(void)
{
	querier *qs[2] = {mock(A, 2), mock(B, 2)};
	err e;
	querier *q = querier_merge(qs, 2, 0, 100, &e);
	matcher m;
	ASSERT_EQ(matcher_init(&m, MATCH_EQ, "a", "1", &e), 0);
	series_set *s = querier_select(q, true, NULL, &m, 1);
	ASSERT(series_set_next(s));
	sample_iter *it = series_set_iter(s, NULL);
	int64_t t;
	double v;
	ASSERT_EQ(sample_iter_seek(it, 2), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 2);
	ASSERT_DBL_EQ(v, 1); /* the earlier querier wins a duplicate */
	ASSERT_EQ(sample_iter_seek(it, 1), VAL_FLOAT); /* never back */
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 2);
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 3);
	ASSERT_EQ(sample_iter_seek(it, 4), VAL_FLOAT);
	sample_iter_at(it, &t, &v);
	ASSERT_EQ(t, 4);
	ASSERT_DBL_EQ(v, 2);
	ASSERT_EQ(sample_iter_next(it), VAL_NONE);
	ASSERT(!series_set_next(s));
	sample_iter_close(it);
	series_set_close(s);
	matcher_reset(&m);
	querier_close(q);
}

/* Three children mostly apart in time (as blocks and the head are): the
 * chain streams from one child while it stays below the others, a
 * duplicate timestamp still comes out once (the earliest child's), seek
 * works mid-stream, and the iterator is reused across series of one, two
 * and three children. */
static const int64_t t_x0[] = {1, 2, 3, 10}, t_x1[] = {4, 5, 6, 10, 11}, t_x2[] = {7, 8, 20};
static const double v_x0[] = {1, 2, 3, 100}, v_x1[] = {4, 5, 6, 101, 11}, v_x2[] = {7, 8, 20};
static const int64_t t_y1[] = {3, 4}, t_y2[] = {1, 5};
static const double v_y1[] = {3, 4}, v_y2[] = {1, 5};
static const mseries X0[] = {{"x", t_x0, v_x0, 4}};
static const mseries X1[] = {{"x", t_x1, v_x1, 5}, {"y", t_y1, v_y1, 2}};
static const mseries X2[] = {{"x", t_x2, v_x2, 3}, {"y", t_y2, v_y2, 2}, {"z", t_x2, v_x2, 3}};

static size_t drain(sample_iter *it, int64_t *t, double *v)
{
	size_t n = 0;
	while (n < 16 && sample_iter_next(it) == VAL_FLOAT) {
		sample_iter_at(it, &t[n], &v[n]);
		n++;
	}
	return n;
}

static void merge_chain_streams(void)
{
	querier *qs[3] = {mock(X0, 1), mock(X1, 2), mock(X2, 3)};
	err e;
	querier *q = querier_merge(qs, 3, 0, 100, &e);
	series_set *s = querier_select(q, true, NULL, NULL, 0);
	static const int64_t want_x[] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 20};
	static const int64_t want_y[] = {1, 3, 4, 5};
	int64_t t[16];
	double v[16];
	sample_iter *it = NULL;
	ASSERT(series_set_next(s));
	it = series_set_iter(s, it);
	ASSERT_EQ(drain(it, t, v), 11);
	for (size_t i = 0; i < 11; i++) {
		ASSERT_EQ(t[i], want_x[i]);
		ASSERT_DBL_EQ(v[i], t[i] == 10 ? 100 : (double)t[i]);
	}
	ASSERT(series_set_next(s));
	it = series_set_iter(s, it);
	ASSERT_EQ(drain(it, t, v), 4);
	for (size_t i = 0; i < 4; i++)
		ASSERT_EQ(t[i], want_y[i]);
	ASSERT(series_set_next(s));
	it = series_set_iter(s, it);
	ASSERT_EQ(drain(it, t, v), 3);
	ASSERT_EQ(t[2], 20);
	ASSERT(!series_set_next(s));
	series_set_close(s);
	/* seek while streaming */
	s = querier_select(q, true, NULL, NULL, 0);
	ASSERT(series_set_next(s));
	it = series_set_iter(s, it);
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	ASSERT_EQ(sample_iter_seek(it, 5), VAL_FLOAT);
	sample_iter_at(it, &t[0], &v[0]);
	ASSERT_EQ(t[0], 5);
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	sample_iter_at(it, &t[0], &v[0]);
	ASSERT_EQ(t[0], 6);
	ASSERT_EQ(sample_iter_seek(it, 9), VAL_FLOAT);
	sample_iter_at(it, &t[0], &v[0]);
	ASSERT_EQ(t[0], 10);
	ASSERT_DBL_EQ(v[0], 100);
	ASSERT_EQ(drain(it, t, v), 2);
	ASSERT_EQ(t[0], 11);
	ASSERT_EQ(t[1], 20);
	series_set_close(s);
	/* read in runs over subs without a read op of their own */
	s = querier_select(q, true, NULL, NULL, 0);
	ASSERT(series_set_next(s));
	it = series_set_iter(s, it);
	sample buf[16];
	ASSERT_EQ(it->ops->read(it, 6, buf, NULL, 4), 4);
	ASSERT_EQ(buf[3].t, 4);
	ASSERT_EQ(it->ops->read(it, 6, buf, NULL, 4), 2);
	ASSERT_EQ(buf[1].t, 6);
	ASSERT_EQ(sample_iter_next(it), VAL_FLOAT);
	sample_iter_at(it, &t[0], &v[0]);
	ASSERT_EQ(t[0], 7);
	ASSERT_EQ(it->ops->read(it, INT64_MAX, buf, NULL, 16), 4);
	ASSERT_EQ(buf[1].t, 10);
	ASSERT_DBL_EQ(buf[1].v, 100);
	ASSERT_EQ(buf[3].t, 20);
	ASSERT_EQ(sample_iter_next(it), VAL_NONE);
	sample_iter_close(it);
	series_set_close(s);
	querier_close(q);
}

static void merge_label_values_union(void)
{
	querier *qs[2] = {mock(A, 2), mock(B, 2)};
	err e;
	querier *q = querier_merge(qs, 2, 0, 100, &e);
	strlist l;
	ASSERT_EQ(querier_label_values(q, "a", NULL, 0, &l, &e), 0);
	ASSERT_EQ(l.n, 3);
	ASSERT_STR_EQ(l.v[0], "1");
	ASSERT_STR_EQ(l.v[1], "2");
	ASSERT_STR_EQ(l.v[2], "3");
	strlist_free(&l);
	ASSERT_EQ(querier_label_names(q, NULL, 0, &l, &e), 0);
	ASSERT_EQ(l.n, 1);
	strlist_free(&l);
	querier_close(q);
}

/* test_block.c */
block *test_block_open_golden(const char *ulid);
#define open_golden test_block_open_golden

static void count_all(querier *q, size_t *series, size_t *samples)
{
	series_set *s = querier_select(q, true, NULL, NULL, 0);
	sample_iter *it = NULL;
	*series = *samples = 0;
	while (series_set_next(s)) {
		(*series)++;
		it = series_set_iter(s, it);
		while (sample_iter_next(it) == VAL_FLOAT)
			(*samples)++;
	}
	ASSERT_EQ(series_set_err(s, NULL), 0);
	sample_iter_close(it);
	series_set_close(s);
}

static void merge_golden_blocks(void)
{
	block *a = open_golden("01M85ZJJW0Q48HSX1F1SJXQXMD"), *b = open_golden("01M85ZJJXFQCQ2MCSY0E645XXV");
	err e;
	querier *qs[3] = {queryable_querier(block_queryable(a), INT64_MIN, INT64_MAX, &e),
			  queryable_querier(block_queryable(b), INT64_MIN, INT64_MAX, &e),
			  queryable_querier(block_queryable(a), INT64_MIN, INT64_MAX, &e)};
	querier *q = querier_merge(qs, 3, INT64_MIN, INT64_MAX, &e);
	size_t ns, nsamp;
	count_all(q, &ns, &nsamp);
	ASSERT_EQ(ns, 51);
	ASSERT_EQ(nsamp, 10139 + 8558); /* the repeated block adds nothing */
	strlist l;
	ASSERT_EQ(querier_label_values(q, "__name__", NULL, 0, &l, &e), 0);
	ASSERT(l.n > 10);
	strlist_free(&l);
	querier_close(q);
	block_close(a);
	block_close(b);
}

const struct test tests_merge[] = {
	{"merge_series_and_samples", merge_series_and_samples},
	{"merge_chain_seek", merge_chain_seek},
	{"merge_chain_streams", merge_chain_streams},
	{"merge_label_values_union", merge_label_values_union},
	{"merge_golden_blocks", merge_golden_blocks},
	{NULL, NULL},
};
