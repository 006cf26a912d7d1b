/*
 * engine.c - PromQL query entry points and the evaluation dispatcher
 * (Prometheus promql/engine.go: exec, eval, cleanupMetricLabels).
 *
 * A query is parsed, one querier is opened on the queryable for the whole
 * query, and the root node is evaluated over the step grid (instant queries
 * are a grid of one step). Node kinds are evaluated in their own files:
 * selectors (eval_select.c), binary operators (eval_binop.c), aggregations
 * (eval_agg.c), subqueries (eval_subquery.c), calls (functions*.c).
 *
 * Finishing (3.x delayed name removal): series flagged drop_name lose
 * __name__ at the very end; two series left with the same labels are the
 * error "vector cannot contain metrics with the same labelset".
 *
 * Limits: the sample budget (value.c), the timeout and cancellation (checked
 * in every loop through pq_check), > 11,000 steps refused, and a nesting
 * depth guard.
 */
#include "promql/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_STEPS 11000
#define MAX_DEPTH 256

struct promql_engine {
	promql_engine_opts o; /* settings */
};

void promql_engine_opts_default(promql_engine_opts *o)
{
	memset(o, 0, sizeof *o);
	o->lookback_ms = 5 * 60 * 1000;
	o->max_samples = 50000000;
	o->timeout_ms = 2 * 60 * 1000;
	o->no_step_subquery_interval_ms = 60 * 1000;
	o->enable_at_modifier = true;
	o->enable_negative_offset = true;
	o->enable_experimental_functions = true;
}

promql_engine *promql_engine_new(const promql_engine_opts *o)
{
	promql_engine *e = fl_calloc(1, sizeof *e);
	if (!e)
		return NULL;
	if (o)
		e->o = *o;
	else
		promql_engine_opts_default(&e->o);
	if (e->o.lookback_ms <= 0)
		e->o.lookback_ms = 5 * 60 * 1000;
	if (e->o.no_step_subquery_interval_ms <= 0)
		e->o.no_step_subquery_interval_ms = 60 * 1000;
	return e;
}

void promql_engine_free(promql_engine *e) { fl_free(e); }

void promql_result_free(promql_result *r)
{
	if (!r)
		return;
	arena_reset(&r->arena);
	memset(r, 0, sizeof *r);
	arena_init(&r->arena);
}

/* ---- simple node kinds ---- */
static int eval_number(ev *v, double x, pq_val *out)
{
	size_t n = pq_nsteps(v);
	out->type = PT_SCALAR;
	out->sc = arena_alloc(v->a, n * sizeof(double));
	if (!out->sc)
		return pq_nomem(v);
	for (size_t i = 0; i < n; i++)
		out->sc[i] = x;
	return 0;
}

static int eval_unary(ev *v, const node *n, pq_val *out)
{
	int rc = pq_eval(v, n->unary.expr, out);
	if (rc || n->unary.op != OP_SUB)
		return rc;
	if (out->type == PT_SCALAR) {
		for (size_t i = 0; i < pq_nsteps(v); i++)
			out->sc[i] = -out->sc[i];
		return 0;
	}
	for (size_t i = 0; i < out->m.n; i++) {
		pq_series *s = &out->m.s[i];
		s->drop_name = true;
		for (size_t j = 0; j < s->n; j++)
			s->s[j].v = -s->s[j].v;
	}
	return 0;
}

/* Duration expressions (3.x): seconds as a double. */
static double duration_s(ev *v, const node *n)
{
	if (!n)
		return 0;
	switch (n->kind) {
	case NODE_NUMBER:
		return n->number;
	case NODE_PAREN:
		return duration_s(v, n->paren.expr);
	case NODE_UNARY:
		return n->unary.op == OP_SUB ? -duration_s(v, n->unary.expr) : duration_s(v, n->unary.expr);
	case NODE_DURATION:
		break;
	default:
		return 0;
	}
	switch (n->dur.fn) {
	case DUR_STEP:
		return (double)v->qstep / 1000.0;
	case DUR_RANGE:
		return (double)(v->qend - v->qstart) / 1000.0;
	case DUR_START:
		return (double)v->qstart / 1000.0;
	case DUR_END:
		return (double)v->qend / 1000.0;
	case DUR_MIN:
	case DUR_MAX: {
		double a = duration_s(v, n->dur.lhs), b = duration_s(v, n->dur.rhs);
		return n->dur.fn == DUR_MIN ? go_min(a, b) : go_max(a, b);
	}
	default:
		break;
	}
	double r = duration_s(v, n->dur.rhs);
	if (!n->dur.lhs)
		return n->dur.op == OP_SUB ? -r : r;
	double l = duration_s(v, n->dur.lhs);
	switch (n->dur.op) {
	case OP_ADD: return l + r;
	case OP_SUB: return l - r;
	case OP_MUL: return l * r;
	case OP_DIV: return l / r;
	case OP_MOD: return fmod(l, r);
	case OP_POW: return pow(l, r);
	default: return NAN;
	}
}

int64_t pq_duration_ms(ev *v, const node *n, int64_t fallback_ms)
{
	if (!n)
		return fallback_ms;
	double ms = duration_s(v, n) * 1000.0;
	if (!(ms > -9e15 && ms < 9e15))
		return 0;
	return (int64_t)ms;
}

int pq_eval(ev *v, const node *n, pq_val *out)
{
	memset(out, 0, sizeof *out);
	int rc = pq_check(v);
	if (rc)
		return rc;
	if (++v->depth > MAX_DEPTH) {
		v->depth--;
		return pq_fail(v, PE_BAD_DATA, FL_EINVAL, "query is nested too deeply");
	}
	switch (n->kind) {
	case NODE_NUMBER:
		rc = eval_number(v, n->number, out);
		break;
	case NODE_DURATION:
		rc = eval_number(v, duration_s(v, n), out);
		break;
	case NODE_STRING:
		out->type = PT_STRING;
		out->str = n->string.val;
		break;
	case NODE_PAREN:
	case NODE_STEP_INVARIANT:
		rc = pq_eval(v, n->paren.expr, out);
		break;
	case NODE_UNARY:
		rc = eval_unary(v, n, out);
		break;
	case NODE_VECTOR_SELECTOR:
		rc = pq_eval_vector_selector(v, n, out);
		break;
	case NODE_MATRIX_SELECTOR:
	case NODE_SUBQUERY:
		out->type = PT_MATRIX;
		rc = pq_eval_range_arg(v, n, &out->r);
		break;
	case NODE_BINARY:
		rc = pq_eval_binary(v, n, out);
		break;
	case NODE_AGGREGATE:
		rc = pq_eval_aggregate(v, n, out);
		break;
	case NODE_CALL:
		rc = pq_eval_call(v, n, out);
		break;
	default:
		rc = pq_fail(v, PE_INTERNAL, FL_EINVAL, "unhandled expression node kind %d", (int)n->kind);
	}
	v->depth--;
	return rc;
}

/* ---- finishing ---- */

/* Merge b's points into a (both time ordered); false if a time repeats. */
static int merge_series(ev *v, pq_series *a, const pq_series *b)
{
	sample *m = arena_alloc(v->a, (a->n + b->n) * sizeof *m);
	if (!m)
		return pq_nomem(v);
	size_t i = 0, j = 0, k = 0;
	while (i < a->n || j < b->n) {
		if (i < a->n && j < b->n && a->s[i].t == b->s[j].t)
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "vector cannot contain metrics with the same labelset");
		if (j >= b->n || (i < a->n && a->s[i].t < b->s[j].t))
			m[k++] = a->s[i++];
		else
			m[k++] = b->s[j++];
	}
	a->s = m;
	a->n = a->cap = k;
	return 0;
}

/*
 * 3.x delayed name removal: drop __name__ where pending; series that end
 * up with the same labels merge when their times do not overlap (a range
 * query where two names alternate), else it is an error.
 */
static int drop_names(ev *v, pq_matrix *mx)
{
	pq_series *s = mx->s;
	size_t n = mx->n;
	bool any = false;
	for (size_t i = 0; i < n; i++)
		if (s[i].drop_name) {
			/* type-and-unit labels go with the name (DropMetricName) */
			s[i].metric = pq_labels_without(v, s[i].metric, LABEL_NAME);
			s[i].metric = pq_labels_without(v, s[i].metric, "__type__");
			s[i].metric = pq_labels_without(v, s[i].metric, "__unit__");
			s[i].drop_name = false;
			any = true;
		}
	if (v->errtype)
		return FL_ENOMEM;
	if (!any && n < 2)
		return 0;
	pq_map m;
	pq_map_init(&m);
	size_t k = 0;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		bool found;
		size_t *slot = pq_map_put(&m, labels_hash(s[i].metric), &found);
		if (!slot) {
			rc = pq_nomem(v);
			break;
		}
		if (found && labels_equal(s[*slot].metric, s[i].metric)) {
			rc = merge_series(v, &s[*slot], &s[i]);
			continue;
		}
		s[k] = s[i];
		*slot = k++;
	}
	pq_map_free(&m);
	mx->n = k;
	return rc;
}

/* Move an evaluated value into the public result. */
static int finish(ev *v, const node *root, pq_val *val, bool instant, promql_result *r)
{
	r->type = val->type;
	if (val->type == PT_SCALAR) {
		if (instant) {
			r->scalar = val->sc[0];
			r->t = v->start;
			return 0;
		}
		r->type = PT_MATRIX;
		r->series = arena_calloc(v->a, 1, sizeof *r->series);
		if (!r->series)
			return pq_nomem(v);
		size_t n = pq_nsteps(v);
		r->series[0].samples = arena_alloc(v->a, n * sizeof(sample));
		if (!r->series[0].samples)
			return pq_nomem(v);
		for (size_t i = 0; i < n; i++) {
			r->series[0].samples[i].t = pq_step_ts(v, i);
			r->series[0].samples[i].v = val->sc[i];
		}
		r->series[0].n = n;
		r->n_series = 1;
		return 0;
	}
	if (val->type == PT_STRING) {
		r->str = arena_strdup(v->a, val->str); /* the tree dies before the result */
		r->t = v->start;
		if (!r->str)
			return pq_nomem(v);
		return 0;
	}
	pq_matrix *m = &val->m;
	if (val->type == PT_MATRIX) {
		/* a range vector at the single step: cut the windows */
		pq_matrix cut = {0};
		for (size_t i = 0; i < val->r.m.n; i++) {
			size_t lo, hi;
			pq_range_window(&val->r, &val->r.m.s[i], v->start, &lo, &hi);
			if (lo == hi)
				continue;
			pq_series *s = pq_matrix_add(v, &cut, val->r.m.s[i].metric, val->r.m.s[i].drop_name);
			if (!s)
				return FL_ENOMEM;
			s->s = val->r.m.s[i].s + lo;
			s->n = hi - lo;
			if (val->r.anchored || val->r.smoothed) {
				int64_t ref = pq_range_ref(&val->r, v->start);
				sample *ext = arena_alloc(v->a, (s->n + 2) * sizeof *ext);
				if (!ext)
					return pq_nomem(v);
				s->n = pq_extend_floats(s->s, s->n, ref - val->r.range_ms, ref, val->r.smoothed, ext);
				s->s = ext;
				if (!s->n)
					cut.n--;
			}
		}
		*m = cut;
	} else if (!instant) {
		r->type = PT_MATRIX;
	}
	int rc = drop_names(v, m);
	if (rc)
		return rc;
	r->series = arena_calloc(v->a, m->n ? m->n : 1, sizeof *r->series);
	if (!r->series)
		return pq_nomem(v);
	for (size_t i = 0; i < m->n; i++) {
		r->series[i].metric = m->s[i].metric;
		r->series[i].samples = m->s[i].s;
		r->series[i].n = m->s[i].n;
	}
	r->n_series = m->n;
	(void)root;
	return 0;
}

static bool root_is_ordered(const node *n)
{
	while (n->kind == NODE_PAREN || n->kind == NODE_STEP_INVARIANT)
		n = n->paren.expr;
	if (n->kind == NODE_CALL) {
		promql_fn_id f = n->call.fn->id;
		return f == FN_sort || f == FN_sort_desc || f == FN_sort_by_label || f == FN_sort_by_label_desc;
	}
	if (n->kind == NODE_AGGREGATE)
		return n->agg.op == AGG_TOPK || n->agg.op == AGG_BOTTOMK || n->agg.op == AGG_LIMITK ||
		       n->agg.op == AGG_LIMIT_RATIO; /* upstream's heap order (eval_agg.c) */
	return false;
}

static int cmp_result_series(const void *a, const void *b)
{
	const promql_series *x = a, *y = b;
	return labels_compare(x->metric, y->metric);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Evaluate a parsed expression (never changed by evaluation, so one parse
 * serves any number of evaluations, one at a time or concurrently); t0 is
 * when preparing began (parse included). */
static int run_expr(promql_engine *eng, queryable *q, const promql_expr *xp, int64_t start, int64_t end,
		    int64_t step, bool instant, promql_cancel *cancel, promql_result *out, err *e, int64_t t0)
{
	const promql_expr x = *xp;
	int rc;
	ev v;
	memset(&v, 0, sizeof v);
	v.o = &eng->o;
	v.a = &out->arena;
	v.e = e;
	v.start = v.qstart = start;
	v.end = v.qend = end;
	v.interval = step > 0 ? step : 1;
	v.qstep = step;
	v.cancel = cancel;
	if (eng->o.timeout_ms > 0)
		v.deadline_ns = mono_ns() + eng->o.timeout_ms * 1000000;
	labels_builder_init(&v.lb);
	if (!instant && x.root->type != PT_SCALAR && x.root->type != PT_VECTOR) {
		rc = pq_fail(&v, PE_BAD_DATA, FL_EINVAL,
			     "invalid expression type \"%s\" for range query, must be Scalar or instant Vector",
			     promql_type_name(x.root->type));
		goto done;
	}
	/* The querier spans what the query reads, no more (Prometheus opens it
	 * over FindMinMaxTime; [0, 0] when nothing is selected): blocks and
	 * chunks outside it are never touched. */
	int64_t qmint, qmaxt;
	pq_query_range(&v, x.root, &qmint, &qmaxt);
	if (qmint > qmaxt)
		qmint = qmaxt = 0;
	v.qr = queryable_querier(q, qmint, qmaxt, e);
	if (!v.qr) {
		rc = pq_fail(&v, PE_INTERNAL, e->code ? e->code : FL_EIO, "%s", e->msg);
		goto done;
	}
	pq_val val;
	int64_t t1 = mono_ns();
	out->prepare_s = (double)(t1 - t0) / 1e9;
	rc = pq_eval(&v, x.root, &val);
	if (!rc)
		rc = finish(&v, x.root, &val, instant, out);
	if (!rc && v.errtype)
		rc = v.e->code ? v.e->code : FL_EEXEC;
	int64_t t2 = mono_ns();
	out->eval_s = (double)(t2 - t1) / 1e9;
	if (!rc) {
		out->ordered = instant && root_is_ordered(x.root);
		if (!out->ordered && out->n_series > 1)
			qsort(out->series, out->n_series, sizeof *out->series, cmp_result_series);
		out->sort_s = (double)(mono_ns() - t2) / 1e9;
	}
done:
	if (v.qr)
		querier_close(v.qr);
	labels_builder_free(&v.lb);
	out->warnings = v.warnings.v;
	out->n_warnings = v.warnings.n;
	out->infos = v.infos.v;
	out->n_infos = v.infos.n;
	out->total_samples = v.samples;
	out->peak_samples = v.peak;
	if (rc) {
		out->errtype = v.errtype ? v.errtype : PE_INTERNAL;
		out->n_series = 0;
		out->series = NULL;
	}
	return rc;
}

static int run(promql_engine *eng, queryable *q, const char *query, int64_t start, int64_t end,
	       int64_t step, bool instant, promql_cancel *cancel, promql_result *out, err *e)
{
	memset(out, 0, sizeof *out);
	arena_init(&out->arena);
	err_clear(e);
	err scratch;
	if (!e)
		e = &scratch;
	promql_expr x;
	int64_t t0 = mono_ns();
	int rc = promql_parse(query, &x, e);
	if (rc) {
		out->prepare_s = (double)(mono_ns() - t0) / 1e9;
		out->errtype = PE_BAD_DATA;
	} else {
		rc = run_expr(eng, q, &x, start, end, step, instant, cancel, out, e, t0);
	}
	promql_expr_free(&x);
	return rc;
}

int promql_query_instant(promql_engine *eng, queryable *q, const char *query, int64_t t_ms,
			 promql_cancel *cancel, promql_result *out, err *e)
{
	return run(eng, q, query, t_ms, t_ms, 0, true, cancel, out, e);
}

int promql_query_instant_expr(promql_engine *eng, queryable *q, const promql_expr *x, int64_t t_ms,
			      promql_cancel *cancel, promql_result *out, err *e)
{
	memset(out, 0, sizeof *out);
	arena_init(&out->arena);
	err_clear(e);
	err scratch;
	return run_expr(eng, q, x, t_ms, t_ms, 0, true, cancel, out, e ? e : &scratch, mono_ns());
}

int promql_query_range(promql_engine *eng, queryable *q, const char *query, int64_t start_ms,
		       int64_t end_ms, int64_t step_ms, promql_cancel *cancel, promql_result *out, err *e)
{
	memset(out, 0, sizeof *out);
	arena_init(&out->arena);
	if (step_ms <= 0 || end_ms < start_ms) {
		out->errtype = PE_BAD_DATA;
		return err_set(e, FL_EINVAL, step_ms <= 0
						? "zero or negative query resolution step widths are not accepted. Try a positive integer"
						: "end timestamp must not be before start time");
	}
	if ((end_ms - start_ms) / step_ms >= MAX_STEPS) {
		out->errtype = PE_BAD_DATA;
		return err_set(e, FL_EINVAL,
			       "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
	}
	return run(eng, q, query, start_ms, end_ms, step_ms, false, cancel, out, e);
}
