/*
 * eval_select.c - vector and matrix selectors (Prometheus engine.go:
 * evalVectorSelector / vectorSelectorSingle, matrixIterSlice).
 *
 * Loading: one querier_select per selector node, reading only the samples
 * the whole grid needs: [min ref - lookback|range, max ref], where at step ts
 * ref = (@ time or ts) - offset. Labels are copied into the result arena
 * (the querier's strings die with it).
 *
 * Vector selector at ts: the newest sample with ref - lookback < t <= ref;
 * none if that sample is a stale marker (staleness ends a series).
 * Range window at ts: samples with ref - range < t <= ref (left-open, 3.x);
 * stale markers never appear in range windows.
 */
#include "promql/value.h"

#include <math.h>

static int64_t at_time(const ev *v, at_kind k, int64_t at_ms, bool *has)
{
	*has = k != AT_NONE;
	switch (k) {
	case AT_START:
		return v->qstart;
	case AT_END:
		return v->qend;
	default:
		return at_ms;
	}
}

/* Read one series' samples in [mint, maxt] into the scratch buffer (grown
 * with fl_realloc, reused across series), counting them against the budget
 * as they arrive. Returns 0 and sets *n. */
typedef struct rbuf {
	sample *s;   /* samples */
	int64_t *st; /* their start timestamps (same capacity) */
	size_t cap;  /* allocated */
	bool any_st; /* the last series read had a start timestamp */
} rbuf;

/* Room for at least need samples in b. */
static int rbuf_reserve(ev *v, rbuf *b, size_t need)
{
	if (need <= b->cap)
		return 0;
	size_t nc = b->cap ? b->cap : 256;
	while (nc < need)
		nc *= 2;
	sample *nb = fl_realloc(b->s, nc * sizeof *nb);
	if (nb)
		b->s = nb;
	int64_t *ns = nb ? fl_realloc(b->st, nc * sizeof *ns) : NULL;
	if (!ns)
		return pq_nomem(v);
	b->st = ns;
	b->cap = nc;
	return 0;
}

/* read_series through the iterator's read op: runs of samples straight
 * into the buffer, stale markers squeezed out after each run. */
static int read_runs(ev *v, sample_iter *it, int64_t mint, int64_t maxt, bool keep_stale, rbuf *b, size_t *n)
{
	size_t k = 0;
	int rc = 0;
	int vt = sample_iter_seek(it, mint);
	while (vt != VAL_NONE && vt != VAL_FLOAT)
		vt = sample_iter_next(it);
	if (vt == VAL_FLOAT) {
		int64_t t;
		double x;
		sample_iter_at(it, &t, &x);
		if (t <= maxt) {
			if ((rc = rbuf_reserve(v, b, 1)))
				return rc;
			b->s[0] = (sample){t, x};
			b->st[0] = sample_iter_at_st(it);
			k = keep_stale || !is_stale_nan(x);
			if (k && (rc = pq_account(v, 1)))
				return rc;
			for (;;) {
				if ((rc = rbuf_reserve(v, b, k + 128)))
					return rc;
				size_t room = b->cap - k, got = it->ops->read(it, maxt, b->s + k, b->st + k, room);
				size_t end = k + got;
				if (!keep_stale) {
					size_t w = k;
					for (size_t i = k; i < end; i++)
						if (!is_stale_nan(b->s[i].v)) {
							b->s[w] = b->s[i];
							b->st[w++] = b->st[i];
						}
					end = w;
				}
				if ((rc = pq_account(v, (int64_t)(end - k))))
					return rc;
				k = end;
				if (got < room)
					break;
			}
		}
	}
	for (size_t i = 0; i < k; i++)
		b->any_st |= b->st[i] != 0;
	*n = k;
	return 0;
}

/* read_series one next/at at a time. */
static int read_each(ev *v, sample_iter *it, int64_t mint, int64_t maxt, bool keep_stale, rbuf *b, size_t *n)
{
	size_t k = 0, counted = 0;
	int rc = 0;
	for (int vt = sample_iter_seek(it, mint); vt != VAL_NONE; vt = sample_iter_next(it)) {
		if (vt != VAL_FLOAT)
			continue;
		int64_t t;
		double x;
		sample_iter_at(it, &t, &x);
		if (t > maxt)
			break;
		if (!keep_stale && is_stale_nan(x))
			continue;
		if (k == b->cap) {
			if ((rc = rbuf_reserve(v, b, k + 1)))
				return rc;
			if ((rc = pq_account(v, (int64_t)(k - counted))))
				return rc;
			counted = k;
		}
		b->s[k].t = t;
		b->s[k].v = x;
		b->st[k] = sample_iter_at_st(it);
		b->any_st |= b->st[k] != 0;
		k++;
	}
	if ((rc = pq_account(v, (int64_t)(k - counted))))
		return rc;
	*n = k;
	return 0;
}

static int read_series(ev *v, sample_iter *it, int64_t mint, int64_t maxt, bool keep_stale, rbuf *b, size_t *n)
{
	b->any_st = false;
	int rc = it->ops->read ? read_runs(v, it, mint, maxt, keep_stale, b, n)
			       : read_each(v, it, mint, maxt, keep_stale, b, n);
	if (rc)
		return rc;
	err e2;
	err_clear(&e2);
	if (sample_iter_err(it, &e2))
		return pq_fail(v, PE_INTERNAL, e2.code, "%s", e2.msg);
	return 0;
}

/* Called by for_each_series with one series' samples (b->s[0..n), n > 0;
 * b->st too when b->any_st), already counted against the budget. ls is the
 * querier's (valid until the querier closes, not the query's arena). */
typedef int (*series_fn)(ev *v, void *ctx, labels ls, const rbuf *b, size_t n);

/*
 * Read every series matching vs with samples in [mint, maxt], one at a
 * time into a reused scratch buffer, and hand each to fn; series with
 * none are left out.
 */
static int for_each_series(ev *v, const node *vs, int64_t mint, int64_t maxt, int64_t range_ms, bool keep_stale,
			   series_fn fn, void *ctx)
{
	select_hints h = {.start_ms = mint, .end_ms = maxt, .step_ms = v->interval, .range_ms = range_ms};
	series_set *ss = querier_select(v->qr, false, &h, vs->vs.matchers, vs->vs.n_matchers);
	if (!ss)
		return pq_nomem(v);
	sample_iter *it = NULL;
	rbuf buf = {0};
	int rc = 0;
	while (!rc && series_set_next(ss)) {
		if ((rc = pq_check(v)))
			break;
		it = series_set_iter(ss, it);
		if (!it) {
			rc = pq_nomem(v);
			break;
		}
		size_t n = 0;
		if ((rc = read_series(v, it, mint, maxt, keep_stale, &buf, &n)) || n == 0)
			continue;
		rc = fn(v, ctx, series_set_labels(ss), &buf, n);
	}
	fl_free(buf.s);
	fl_free(buf.st);
	sample_iter_close(it);
	if (!rc) {
		err e2;
		err_clear(&e2);
		if (series_set_err(ss, &e2))
			rc = pq_fail(v, PE_INTERNAL, e2.code ? e2.code : FL_EIO, "%s", e2.msg);
	}
	series_set_close(ss);
	return rc;
}

/* Keep the series in the matrix ctx: labels and samples copied into the
 * arena, each array exactly sized (no growth waste: the arena never frees). */
static int keep_series(ev *v, void *ctx, labels lsq, const rbuf *b, size_t n)
{
	pq_matrix *out = ctx;
	labels ls = pq_labels_copy(v, lsq);
	pq_series *s = v->errtype ? NULL : pq_matrix_add(v, out, ls, false);
	if (!s || !(s->s = arena_alloc(v->a, n * sizeof *s->s)))
		return pq_nomem(v);
	memcpy(s->s, b->s, n * sizeof *s->s);
	s->n = s->cap = n;
	if (b->any_st) {
		if (!(s->st = arena_alloc(v->a, n * sizeof *s->st)))
			return pq_nomem(v);
		memcpy(s->st, b->st, n * sizeof *s->st);
	}
	return 0;
}

/* Load every series matching vs with samples in [mint, maxt] into out. */
static int load(ev *v, const node *vs, int64_t mint, int64_t maxt, int64_t range_ms, bool keep_stale,
		pq_matrix *out)
{
	memset(out, 0, sizeof *out);
	return for_each_series(v, vs, mint, maxt, range_ms, keep_stale, keep_series, out);
}

int64_t pq_range_ref(const pq_range *r, int64_t ts) { return (r->has_at ? r->at_ms : ts) - r->offset_ms; }

void pq_range_window(const pq_range *r, const pq_series *s, int64_t ts, size_t *lo, size_t *hi)
{
	int64_t ref = pq_range_ref(r, ts);
	int64_t before = (r->anchored || r->smoothed) ? r->lookback_ms : 0;
	int64_t after = r->smoothed ? r->lookback_ms : 0;
	*hi = pq_search_gt(s->s, s->n, ref + after);
	*lo = pq_search_gt(s->s, *hi, ref - r->range_ms - before);
}

static double interp(sample a, sample b, int64_t t)
{
	return a.v + (b.v - a.v) * (double)(t - a.t) / (double)(b.t - a.t);
}

size_t pq_extend_floats(const sample *s, size_t n, int64_t start, int64_t end, bool smoothed, sample *out)
{
	if (n == 0)
		return 0;
	size_t last = n - 1;
	size_t s0 = pq_search_gt(s, last, start);
	size_t first = s0 ? s0 - 1 : 0;
	if (smoothed)
		last = pq_search_ge(s, last, end);
	if (s[last].t <= start)
		return 0;
	double left = s[first].v, right = s[last].v;
	if (smoothed && s[first].t < start && first + 1 < n)
		left = interp(s[first], s[first + 1], start);
	if (smoothed && last > 0 && s[last].t > end)
		right = interp(s[last - 1], s[last], end);
	/* real samples on the boundaries give way to the synthetic ones */
	long f = (long)first, l = (long)last;
	if (s[f].t <= start)
		f++;
	if (s[l].t >= end)
		l--;
	size_t k = 0;
	out[k++] = (sample){start, left};
	for (long i = f; i <= l; i++)
		out[k++] = s[i];
	out[k++] = (sample){end, right};
	return k;
}

/* The modifiers of a vector selector (range_ms 0) or of a matrix
 * selector's inner one, and the lookback the windows use. */
static void sel_modifiers(ev *v, const node *vs, int64_t range_ms, pq_range *out)
{
	memset(out, 0, sizeof *out);
	out->range_ms = range_ms;
	out->offset_ms = pq_duration_ms(v, vs->vs.offset_expr, vs->vs.offset_ms);
	out->at_ms = at_time(v, vs->vs.at, vs->vs.at_ms, &out->has_at);
	out->anchored = vs->vs.anchored;
	out->smoothed = vs->vs.smoothed;
	out->lookback_ms = v->o->lookback_ms;
}

/* The samples a selector reads over the grid [start, end]: at each step
 * with reference time ref, (ref - range, ref] for a matrix selector and
 * (ref - lookback, ref] for a vector one (range 0), one lookback more on
 * the left for anchored/smoothed, and on the right for smoothed. */
static void sel_window(const pq_range *r, bool vector, int64_t start, int64_t end, int64_t *mint, int64_t *maxt)
{
	int64_t before = vector || r->anchored || r->smoothed ? r->lookback_ms : 0;
	int64_t after = r->smoothed ? r->lookback_ms : 0;
	int64_t a = pq_range_ref(r, start), b = pq_range_ref(r, end);
	*mint = FL_MIN(a, b) - r->range_ms - before + 1;
	*maxt = FL_MAX(a, b) + after;
}

int pq_eval_matrix_selector(ev *v, const node *n, pq_range *out)
{
	const node *vs = n->ms.vs;
	sel_modifiers(v, vs, pq_duration_ms(v, n->ms.range_expr, n->ms.range_ms), out);
	int64_t mint, maxt;
	sel_window(out, false, v->start, v->end, &mint, &maxt);
	return load(v, vs, mint, maxt, out->range_ms, false, &out->m);
}

int pq_eval_range_arg(ev *v, const node *n, pq_range *out)
{
	while (n->kind == NODE_PAREN)
		n = n->paren.expr;
	if (n->kind == NODE_MATRIX_SELECTOR)
		return pq_eval_matrix_selector(v, n, out);
	if (n->kind == NODE_SUBQUERY)
		return pq_eval_subquery(v, n, out);
	return pq_fail(v, PE_BAD_DATA, FL_EINVAL, "expected a range vector");
}

/* A vector selector being evaluated over the grid, series by series. */
typedef struct vsel {
	pq_range r;   /* modifiers */
	bool want_ts; /* the value is the sample's timestamp in seconds */
	pq_matrix *out;
} vsel;

/* The grid points of one raw series (for_each_series's callback): its raw
 * samples are dropped from the budget once stepped over, only the points
 * stay (Prometheus counts a selector's output, not what it read). */
static int step_series(ev *v, void *ctx, labels ls, const rbuf *b, size_t n)
{
	vsel *sel = ctx;
	const pq_range *r = &sel->r;
	const sample *in = b->s;
	int64_t lb = v->o->lookback_ms;
	size_t steps = pq_nsteps(v), c = 0;
	pq_series *o = NULL;
	int rc = 0;
	for (size_t k = 0; k < steps; k++) {
		int64_t ts = pq_step_ts(v, k), ref = pq_range_ref(r, ts);
		if (r->has_at)
			c = 0;
		while (c < n && in[c].t <= ref)
			c++;
		if (c == 0)
			continue;
		const sample *sm = &in[c - 1];
		if (sm->t <= ref - lb || is_stale_nan(sm->v))
			continue;
		double x = sel->want_ts ? (double)sm->t / 1000.0 : sm->v;
		/* smoothed: interpolate towards the next sample within the lookback */
		if (r->smoothed && !sel->want_ts && sm->t < ref && c < n && in[c].t <= ref + lb && !is_stale_nan(in[c].v))
			x = interp(*sm, in[c], ref);
		if (!o) {
			labels m = pq_labels_copy(v, ls);
			if (v->errtype || !(o = pq_matrix_add(v, sel->out, m, false)) || pq_series_reserve(v, o, steps - k))
				return FL_ENOMEM;
		}
		if ((rc = pq_series_push(v, o, ts, x)))
			return rc;
	}
	return pq_account(v, -(int64_t)n);
}

/*
 * Vector selector over the grid. want_ts: the value is the sample's
 * timestamp in seconds (timestamp(x) on a plain selector). Each series is
 * read once into a scratch buffer and stepped over there: the raw samples
 * never reach the arena.
 */
int pq_select_vector(ev *v, const node *n, bool want_ts, pq_val *out)
{
	memset(out, 0, sizeof *out);
	out->type = PT_VECTOR;
	vsel sel = {.want_ts = want_ts, .out = &out->m};
	sel_modifiers(v, n, 0, &sel.r);
	int64_t mint, maxt;
	sel_window(&sel.r, true, v->start, v->end, &mint, &maxt);
	return for_each_series(v, n, mint, maxt, 0, true, step_series, &sel);
}

int pq_eval_vector_selector(ev *v, const node *n, pq_val *out) { return pq_select_vector(v, n, false, out); }

/*
 * The time range a query reads (Prometheus promql FindMinMaxTime): the
 * union of every selector's window (sel_window, exactly what load asks
 * for) over the grid it is evaluated on, where a subquery evaluates its
 * expression over [ref(start) - range, ref(end)] (its offset and @ apply
 * to the whole inner grid) and info() reads its info series like a plain
 * vector selector. Nodes without selectors leave *mint > *maxt.
 */
static void widen(const pq_range *r, bool vector, int64_t start, int64_t end, int64_t *mint, int64_t *maxt)
{
	int64_t lo, hi;
	sel_window(r, vector, start, end, &lo, &hi);
	*mint = FL_MIN(*mint, lo);
	*maxt = FL_MAX(*maxt, hi);
}

static void find_range(ev *v, const node *n, int64_t start, int64_t end, int64_t *mint, int64_t *maxt, int depth)
{
	pq_range r;
	if (!n || depth > 1000)
		return;
	switch (n->kind) {
	case NODE_VECTOR_SELECTOR:
		sel_modifiers(v, n, 0, &r);
		widen(&r, true, start, end, mint, maxt);
		break;
	case NODE_MATRIX_SELECTOR:
		sel_modifiers(v, n->ms.vs, pq_duration_ms(v, n->ms.range_expr, n->ms.range_ms), &r);
		widen(&r, false, start, end, mint, maxt);
		break;
	case NODE_SUBQUERY: {
		pq_subquery_modifiers(v, n, &r);
		int64_t a = pq_range_ref(&r, start), b = pq_range_ref(&r, end);
		find_range(v, n->sq.expr, FL_MIN(a, b) - r.range_ms, FL_MAX(a, b), mint, maxt, depth + 1);
		break;
	}
	case NODE_PAREN:
	case NODE_STEP_INVARIANT:
		find_range(v, n->paren.expr, start, end, mint, maxt, depth + 1);
		break;
	case NODE_UNARY:
		find_range(v, n->unary.expr, start, end, mint, maxt, depth + 1);
		break;
	case NODE_BINARY:
		find_range(v, n->binary.lhs, start, end, mint, maxt, depth + 1);
		find_range(v, n->binary.rhs, start, end, mint, maxt, depth + 1);
		break;
	case NODE_AGGREGATE:
		find_range(v, n->agg.expr, start, end, mint, maxt, depth + 1);
		find_range(v, n->agg.param, start, end, mint, maxt, depth + 1);
		break;
	case NODE_CALL:
		for (size_t i = 0; i < n->call.n_args; i++)
			find_range(v, n->call.args[i], start, end, mint, maxt, depth + 1);
		if (n->call.fn->id == FN_info) {
			memset(&r, 0, sizeof r);
			r.lookback_ms = v->o->lookback_ms;
			widen(&r, true, start, end, mint, maxt);
		}
		break;
	default:
		break;
	}
}

void pq_query_range(ev *v, const node *root, int64_t *mint, int64_t *maxt)
{
	*mint = INT64_MAX;
	*maxt = INT64_MIN;
	find_range(v, root, v->start, v->end, mint, maxt, 0);
}
