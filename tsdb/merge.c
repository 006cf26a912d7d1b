/*
 * merge.c - one querier over several (blocks + head), as Prometheus's
 * storage/merge.go (mergeGenericQuerier, genericMergeSeriesSet,
 * ChainedSeriesMerge and chainSampleIterator).
 *
 * select asks every child for a sorted set and merges them k-way by
 * labels_compare. Children whose current series carry equal labels form one
 * output series; its iterator chains theirs: it always emits the smallest
 * next timestamp, and every child positioned at that timestamp steps past
 * it, so a duplicate timestamp comes out once (the earliest child wins).
 *
 * Invariants:
 *  1. In mset, live[i] says whether child i has a current series;
 *     cur[0..n_cur) are the live children whose labels equal the output's.
 *  2. A chain iterator's subs with valid[i] are positioned at t[i] > last
 *     emitted timestamp, except in streaming mode (fast < n): there sub
 *     fast is positioned at the emitted sample and every other valid sub
 *     at t[i] >= bound > it, so the following samples of sub fast below
 *     bound come out without looking at the others (children rarely
 *     overlap in time: a block, the next block, the head).
 * Ownership: the merged querier owns its children and closes them; labels
 * and strings it hands out are borrowed from them.
 */
#include "tsdb/storage.h"

#include <stdlib.h>

/* ---------------------------------------------------------------- strlist */

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int strlist_take_sorted(strlist *out, const char **v, size_t n, err *e)
{
	out->v = NULL;
	out->n = 0;
	if (n == 0) {
		fl_free(v);
		out->v = fl_malloc(sizeof *out->v);
		if (!out->v)
			return err_set(e, FL_ENOMEM, "strlist: out of memory");
		return 0;
	}
	qsort(v, n, sizeof *v, cmp_str);
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i][0] && (w == 0 || strcmp(v[w - 1], v[i]) != 0))
			v[w++] = v[i];
	out->v = v;
	out->n = w;
	return 0;
}

/* ---------------------------------------------------------------- chain iterator */

typedef struct chain {
	sample_iter base;   /* must be first */
	sample_iter **pool; /* one iterator per child of the set (or NULL), owned */
	sample_iter **subs; /* the current series' children's, from pool */
	int64_t *t;         /* subs' current timestamps */
	bool *valid;        /* sub has a current sample */
	size_t n;           /* subs */
	bool started;       /* subs were advanced once */
	bool have;          /* cur_t/cur_v hold a sample */
	int64_t cur_t;      /* last emitted */
	double cur_v;       /* last emitted */
	size_t fast;        /* streaming from this sub (n = not streaming) */
	int64_t bound;      /* while streaming: the other subs' smallest t */
	size_t cap;         /* the set's children: room in pool, subs, t, valid */
} chain;

static void ch_step(chain *c, size_t i, int64_t target, bool seek)
{
	int vt = seek ? sample_iter_seek(c->subs[i], target) : sample_iter_next(c->subs[i]);
	c->valid[i] = vt == VAL_FLOAT;
	if (c->valid[i]) {
		double v;
		sample_iter_at(c->subs[i], &c->t[i], &v);
	}
}

/* Emit the smallest current timestamp and move every sub past it; when
 * no other sub holds that timestamp, stream from its sub instead. */
static int ch_emit(chain *c)
{
	size_t best = c->n;
	for (size_t i = 0; i < c->n; i++)
		if (c->valid[i] && (best == c->n || c->t[i] < c->t[best]))
			best = i;
	if (best == c->n) {
		c->have = false;
		return VAL_NONE;
	}
	sample_iter_at(c->subs[best], &c->cur_t, &c->cur_v);
	c->have = true;
	int64_t bound = INT64_MAX;
	for (size_t i = 0; i < c->n; i++)
		if (i != best && c->valid[i] && c->t[i] < bound)
			bound = c->t[i];
	if (bound > c->cur_t) {
		c->fast = best;
		c->bound = bound;
		return VAL_FLOAT;
	}
	for (size_t i = 0; i < c->n; i++)
		while (c->valid[i] && c->t[i] <= c->cur_t)
			ch_step(c, i, 0, false);
	return VAL_FLOAT;
}

/* Leave streaming mode: move its sub past the emitted sample (invariant 2). */
static void ch_settle(chain *c)
{
	size_t i = c->fast;
	if (i < c->n) {
		c->fast = c->n;
		ch_step(c, i, 0, false);
	}
}

static int ch_next(sample_iter *s)
{
	chain *c = (chain *)s;
	if (c->fast < c->n) {
		sample_iter *sub = c->subs[c->fast];
		if (sample_iter_next(sub) == VAL_FLOAT) {
			int64_t t;
			double v;
			sample_iter_at(sub, &t, &v);
			if (t < c->bound) {
				c->cur_t = t;
				c->cur_v = v;
				return VAL_FLOAT;
			}
			c->t[c->fast] = t;
		} else {
			c->valid[c->fast] = false;
		}
		c->fast = c->n;
		return ch_emit(c);
	}
	if (!c->started) {
		c->started = true;
		for (size_t i = 0; i < c->n; i++)
			ch_step(c, i, 0, false);
	}
	return ch_emit(c);
}

static int ch_seek(sample_iter *s, int64_t target)
{
	chain *c = (chain *)s;
	if (c->have && c->cur_t >= target)
		return VAL_FLOAT;
	ch_settle(c);
	if (!c->started) {
		c->started = true;
		for (size_t i = 0; i < c->n; i++)
			ch_step(c, i, target, true);
	} else {
		for (size_t i = 0; i < c->n; i++)
			if (c->valid[i] && c->t[i] < target)
				ch_step(c, i, target, true);
	}
	return ch_emit(c);
}

/* sample_iter read: while streaming, a sub's own read up to the other
 * subs' bound; otherwise the smallest pending sample (peeked, so one past
 * maxt stays pending) through ch_emit, which may start streaming again.
 * Start timestamps: none, as at_st (NULL) says for a chain. */
static size_t ch_read(sample_iter *s, int64_t maxt, sample *out, int64_t *st, size_t cap)
{
	chain *c = (chain *)s;
	size_t k = 0;
	if (!c->started) {
		c->started = true;
		for (size_t i = 0; i < c->n; i++)
			ch_step(c, i, 0, false);
	}
	while (k < cap) {
		if (c->fast < c->n) {
			sample_iter *sub = c->subs[c->fast];
			if (sub->ops->read) {
				size_t got = sub->ops->read(sub, FL_MIN(maxt, c->bound - 1), out + k, NULL, cap - k);
				if (got) {
					k += got;
					c->cur_t = out[k - 1].t;
					c->cur_v = out[k - 1].v;
				}
				if (k == cap)
					break;
			}
			ch_settle(c); /* its next sample is past maxt or bound, or it ended */
			continue;
		}
		size_t best = c->n;
		for (size_t i = 0; i < c->n; i++)
			if (c->valid[i] && (best == c->n || c->t[i] < c->t[best]))
				best = i;
		if (best == c->n || c->t[best] > maxt)
			break;
		ch_emit(c);
		out[k].t = c->cur_t;
		out[k++].v = c->cur_v;
	}
	if (st)
		for (size_t i = 0; i < k; i++)
			st[i] = 0;
	return k;
}

static void ch_at(sample_iter *s, int64_t *t, double *v)
{
	chain *c = (chain *)s;
	*t = c->cur_t;
	*v = c->cur_v;
}

static int ch_err(sample_iter *s, err *e)
{
	chain *c = (chain *)s;
	for (size_t i = 0; i < c->n; i++) {
		int rc = sample_iter_err(c->subs[i], e);
		if (rc)
			return rc;
	}
	return 0;
}

static void ch_close(sample_iter *s)
{
	chain *c = (chain *)s;
	for (size_t i = 0; i < c->cap; i++)
		sample_iter_close(c->pool[i]);
	fl_free(c);
}

static const struct sample_iter_ops chain_ops = {ch_next, ch_seek, ch_at, ch_err, ch_close, NULL, ch_read};

/* ---------------------------------------------------------------- series set */

typedef struct mset {
	series_set base;   /* must be first */
	series_set **sets; /* children, owned */
	bool *live;        /* child has a current series */
	size_t *cur;       /* children making up the current series */
	size_t n;          /* children */
	size_t n_cur;      /* entries in cur */
	bool started;      /* children were advanced once */
	series_chunks cl;     /* the current series' merged chunk view */
	err e;             /* first child error */
} mset;

static void ms_advance(mset *m, size_t i)
{
	m->live[i] = m->sets[i] && series_set_next(m->sets[i]);
	if (!m->live[i] && m->sets[i] && !m->e.code)
		series_set_err(m->sets[i], &m->e);
}

static bool ms_next(series_set *s)
{
	mset *m = (mset *)s;
	if (!m->started) {
		m->started = true;
		for (size_t i = 0; i < m->n; i++)
			ms_advance(m, i);
	} else {
		for (size_t k = 0; k < m->n_cur; k++)
			ms_advance(m, m->cur[k]);
	}
	m->n_cur = 0;
	if (m->e.code)
		return false;
	labels best = {NULL, 0};
	for (size_t i = 0; i < m->n; i++) {
		if (!m->live[i])
			continue;
		labels l = series_set_labels(m->sets[i]);
		int c = m->n_cur ? labels_compare(l, best) : -1;
		if (c < 0) {
			best = l;
			m->n_cur = 0;
		}
		if (c <= 0)
			m->cur[m->n_cur++] = i;
	}
	return m->n_cur > 0;
}

static labels ms_labels(series_set *s)
{
	mset *m = (mset *)s;
	return series_set_labels(m->sets[m->cur[0]]);
}

static sample_iter *ms_iter(series_set *s, sample_iter *reuse)
{
	mset *m = (mset *)s;
	if (m->n_cur == 1) {
		/* a series from one child: its own iterator (reusing a chain's) */
		if (reuse && reuse->ops == &chain_ops) {
			chain *c = (chain *)reuse;
			sample_iter *sub = c->cap == m->n ? c->pool[m->cur[0]] : NULL;
			if (sub)
				c->pool[m->cur[0]] = NULL;
			sample_iter_close(reuse);
			reuse = sub;
		}
		return series_set_iter(m->sets[m->cur[0]], reuse);
	}
	/* The chain keeps each child's iterator in pool[child] and reuses it
	 * from series to series; subs lists those of the current series. */
	chain *c = reuse && reuse->ops == &chain_ops ? (chain *)reuse : NULL;
	if (!c || c->cap != m->n) {
		sample_iter_close(reuse);
		size_t k = m->n;
		c = fl_calloc(1, sizeof *c + k * (2 * sizeof(sample_iter *) + sizeof(int64_t) + sizeof(bool)));
		if (!c)
			return NULL;
		c->base.ops = &chain_ops;
		c->cap = k;
		c->pool = (sample_iter **)(c + 1);
		c->subs = c->pool + k;
		c->t = (int64_t *)(c->subs + k);
		c->valid = (bool *)(c->t + k);
	}
	size_t n = m->n_cur;
	c->n = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = m->cur[k];
		c->pool[i] = series_set_iter(m->sets[i], c->pool[i]);
		if (!c->pool[i]) {
			ch_close(&c->base);
			return NULL;
		}
		c->subs[k] = c->pool[i];
		c->valid[k] = false;
	}
	c->n = n;
	c->started = c->have = false;
	c->fast = n;
	return &c->base;
}

static int ms_err(series_set *s, err *e)
{
	mset *m = (mset *)s;
	if (m->e.code && e)
		*e = m->e;
	return m->e.code;
}

/* The chunk view: the children's chunks, overlapping ones merged and
 * re-encoded (series_chunks_merge); a series from one child passes through. */
static int ms_chunks(series_set *s, const chunk_data **out, size_t *n, err *e)
{
	mset *m = (mset *)s;
	if (m->n_cur == 1)
		return series_set_chunks(m->sets[m->cur[0]], out, n, e);
	const chunk_data **ins = fl_malloc(m->n_cur * sizeof *ins);
	size_t *n_in = fl_malloc(m->n_cur * sizeof *n_in);
	int rc = ins && n_in ? 0 : err_set(e, FL_ENOMEM, "merge querier: out of memory");
	for (size_t k = 0; k < m->n_cur && !rc; k++)
		rc = series_set_chunks(m->sets[m->cur[k]], &ins[k], &n_in[k], e);
	series_chunks_reset(&m->cl);
	if (!rc)
		rc = series_chunks_merge(&m->cl, ins, n_in, m->n_cur, e);
	fl_free(ins);
	fl_free(n_in);
	*out = m->cl.v;
	*n = rc ? 0 : m->cl.n;
	return rc;
}

static void ms_close(series_set *s)
{
	mset *m = (mset *)s;
	series_chunks_free(&m->cl);
	for (size_t i = 0; i < m->n; i++)
		series_set_close(m->sets[i]);
	fl_free(m);
}

static const struct series_set_ops mset_ops = {ms_next, ms_labels, ms_iter, ms_err, ms_close, ms_chunks};

/* ---------------------------------------------------------------- querier */

typedef struct mquerier {
	querier base; /* must be first */
	querier **qs; /* children, owned */
	size_t n;     /* children */
} mquerier;

static series_set *mq_select(querier *q, bool sorted, const select_hints *h, const matcher *ms, size_t n)
{
	mquerier *mq = (mquerier *)q;
	size_t k = mq->n;
	mset *m = fl_calloc(1, sizeof *m + k * (sizeof(series_set *) + sizeof(size_t) + sizeof(bool)));
	if (!m)
		return series_set_error(FL_ENOMEM, "merge querier: out of memory");
	m->base.ops = &mset_ops;
	m->sets = (series_set **)(m + 1);
	m->cur = (size_t *)(m->sets + k);
	m->live = (bool *)(m->cur + k);
	m->n = k;
	series_chunks_init(&m->cl);
	for (size_t i = 0; i < k; i++)
		m->sets[i] = querier_select(mq->qs[i], true, h, ms, n);
	return &m->base;
}

/* Union of every child's names (name == NULL) or values of name. */
static int mq_union(mquerier *mq, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	const char **all = NULL;
	size_t n_all = 0;
	for (size_t i = 0; i < mq->n; i++) {
		strlist l = {NULL, 0};
		int rc = name ? querier_label_values(mq->qs[i], name, ms, n, &l, e)
			      : querier_label_names(mq->qs[i], ms, n, &l, e);
		if (rc == 0 && l.n) {
			const char **na = fl_realloc(all, (n_all + l.n) * sizeof *na);
			if (!na)
				rc = err_set(e, FL_ENOMEM, "merge querier: out of memory");
			else {
				all = na;
				memcpy(all + n_all, l.v, l.n * sizeof *l.v);
				n_all += l.n;
			}
		}
		strlist_free(&l);
		if (rc != 0) {
			fl_free(all);
			return rc;
		}
	}
	return strlist_take_sorted(out, all, n_all, e);
}

static int mq_label_names(querier *q, const matcher *ms, size_t n, strlist *out, err *e)
{
	return mq_union((mquerier *)q, NULL, ms, n, out, e);
}

static int mq_label_values(querier *q, const char *name, const matcher *ms, size_t n, strlist *out, err *e)
{
	return mq_union((mquerier *)q, name, ms, n, out, e);
}

static void mq_close(querier *q)
{
	mquerier *mq = (mquerier *)q;
	for (size_t i = 0; i < mq->n; i++)
		querier_close(mq->qs[i]);
	fl_free(mq);
}

static const struct querier_ops mquerier_ops = {mq_select, mq_label_names, mq_label_values, mq_close};

querier *querier_merge(querier **qs, size_t n, int64_t mint, int64_t maxt, err *e)
{
	if (n == 1)
		return qs[0];
	mquerier *mq = fl_calloc(1, sizeof *mq + n * sizeof *qs);
	if (!mq) {
		for (size_t i = 0; i < n; i++)
			querier_close(qs[i]);
		err_set(e, FL_ENOMEM, "merge querier: out of memory");
		return NULL;
	}
	mq->base.ops = &mquerier_ops;
	mq->base.mint = mint;
	mq->base.maxt = maxt;
	mq->qs = (querier **)(mq + 1);
	if (n)
		memcpy(mq->qs, qs, n * sizeof *qs);
	mq->n = n;
	return &mq->base;
}
