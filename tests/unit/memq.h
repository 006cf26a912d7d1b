/*
 * memq.h - a throwaway in-memory queryable for engine-level unit tests
 * (test_engine.c, test_functions.c, test_eval_agg.c), so they need neither
 * the head nor the db. Series are metric{job=...} with up to 64 samples;
 * Select returns them in insertion order (tests insert them sorted by
 * labels, as a real querier returns them). Header-only: each test file
 * gets its own static copy.
 */
#ifndef FL_TEST_MEMQ_H
#define FL_TEST_MEMQ_H

#include "promql/engine.h"
#include "promql/value.h"

typedef struct mseries {
	label l[4];
	size_t n_l;
	sample s[64];
	size_t n_s;
} mseries;

typedef struct memq {
	queryable base; /* must be first */
	mseries *s;
	size_t n;
} memq;

typedef struct miter {
	sample_iter base;
	const mseries *s;
	size_t i; /* next index; cur = i - 1 */
} miter;

static int mi_next(sample_iter *it)
{
	miter *m = (miter *)it;
	if (m->i >= m->s->n_s)
		return VAL_NONE;
	m->i++;
	return VAL_FLOAT;
}
static int mi_seek(sample_iter *it, int64_t t)
{
	miter *m = (miter *)it;
	if (m->i == 0)
		m->i = 1;
	while (m->i <= m->s->n_s && m->s->s[m->i - 1].t < t)
		m->i++;
	return m->i <= m->s->n_s ? VAL_FLOAT : VAL_NONE;
}
static void mi_at(sample_iter *it, int64_t *t, double *v)
{
	miter *m = (miter *)it;
	*t = m->s->s[m->i - 1].t;
	*v = m->s->s[m->i - 1].v;
}
static int mi_err(sample_iter *it, err *e) { return 0; }
static void mi_close(sample_iter *it) { fl_free(it); }
static const struct sample_iter_ops mi_ops = {mi_next, mi_seek, mi_at, mi_err, mi_close, NULL, NULL};

typedef struct mset {
	series_set base;
	memq *q;
	const matcher *ms;
	size_t n_ms;
	size_t i; /* next candidate */
	const mseries *cur;
} mset;

static bool ms_match(const mseries *s, const matcher *ms, size_t n)
{
	labels ls = {s->l, s->n_l};
	for (size_t i = 0; i < n; i++) {
		const char *v = labels_get(ls, ms[i].name);
		if (!matcher_matches_str(&ms[i], v ? v : ""))
			return false;
	}
	return true;
}
static bool ms_next(series_set *ss)
{
	mset *m = (mset *)ss;
	while (m->i < m->q->n) {
		const mseries *s = &m->q->s[m->i++];
		if (ms_match(s, m->ms, m->n_ms)) {
			m->cur = s;
			return true;
		}
	}
	return false;
}
static labels ms_labels(series_set *ss)
{
	mset *m = (mset *)ss;
	labels l = {m->cur->l, m->cur->n_l};
	return l;
}
static sample_iter *ms_iter(series_set *ss, sample_iter *reuse)
{
	mset *m = (mset *)ss;
	sample_iter_close(reuse);
	miter *it = fl_calloc(1, sizeof *it);
	if (!it)
		return NULL;
	it->base.ops = &mi_ops;
	it->s = m->cur;
	return &it->base;
}
static int ms_err(series_set *ss, err *e) { return 0; }
static void ms_close(series_set *ss) { fl_free(ss); }
static const struct series_set_ops ms_ops = {ms_next, ms_labels, ms_iter, ms_err, ms_close, NULL};

static series_set *mq_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n)
{
	mset *m = fl_calloc(1, sizeof *m);
	m->base.ops = &ms_ops;
	m->q = *(memq **)(q + 1);
	m->ms = ms;
	m->n_ms = n;
	return &m->base;
}
static void mq_close(querier *q) { fl_free(q); }
static const struct querier_ops mq_ops = {mq_select, NULL, NULL, mq_close};

static querier *mq_querier(queryable *self, int64_t mint, int64_t maxt, err *e)
{
	querier *q = fl_calloc(1, sizeof *q + sizeof(memq *));
	q->ops = &mq_ops;
	q->mint = mint;
	q->maxt = maxt;
	*(memq **)(q + 1) = (memq *)self;
	return q;
}

/* metric{job=job} with values v0 + i*step at i*60s, n points */
static void add_series(memq *q, const char *name, const char *job, double v0, double step, size_t n)
{
	mseries *s = &q->s[q->n++];
	memset(s, 0, sizeof *s);
	s->l[0] = (label){"__name__", name};
	s->l[1] = (label){"job", job};
	s->n_l = 2;
	for (size_t i = 0; i < n; i++) {
		s->s[i].t = (int64_t)i * 60000;
		s->s[i].v = v0 + step * (double)i;
	}
	s->n_s = n;
}

/* Point q at store (empty). */
static inline void memq_init(memq *q, mseries *store)
{
	q->base.querier = mq_querier;
	q->s = store;
	q->n = 0;
}

/* An engine with a small sample limit. */
static inline promql_engine *memq_engine(void)
{
	promql_engine_opts o;
	promql_engine_opts_default(&o);
	o.max_samples = 10000;
	return promql_engine_new(&o);
}

#endif
