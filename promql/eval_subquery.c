/*
 * eval_subquery.c - subqueries `expr[range:step] offset o @ t` (Prometheus
 * engine.go, case *parser.SubqueryExpr and evalSubquery).
 *
 * The inner expression is evaluated once, as a range evaluation over a new
 * grid that covers every outer window:
 *   inner end   = ref(outer end)            ref(ts) = (@ or ts) - offset
 *   inner start = the first multiple of step strictly after
 *                 ref(outer start) - range  (steps align to absolute time,
 *                 Go's truncating division, as upstream)
 *   inner step  = the given step, or the engine's default interval.
 * The result is a range source: each outer step reads its window
 * (ref - range, ref] from the inner points, as from a matrix selector.
 */
#include "promql/value.h"

void pq_subquery_modifiers(ev *v, const node *n, pq_range *out)
{
	memset(out, 0, sizeof *out);
	out->range_ms = pq_duration_ms(v, n->sq.range_expr, n->sq.range_ms);
	out->offset_ms = pq_duration_ms(v, n->sq.offset_expr, n->sq.offset_ms);
	out->has_at = n->sq.at != AT_NONE;
	out->at_ms = n->sq.at == AT_START ? v->qstart : n->sq.at == AT_END ? v->qend : n->sq.at_ms;
}

int pq_eval_subquery(ev *v, const node *n, pq_range *out)
{
	pq_subquery_modifiers(v, n, out);
	int64_t step = pq_duration_ms(v, n->sq.step_expr, n->sq.step_ms);
	if (step <= 0)
		step = v->o->no_step_subquery_interval_ms;
	int64_t a = pq_range_ref(out, v->start), b = pq_range_ref(out, v->end);
	int64_t lo = FL_MIN(a, b) - out->range_ms, hi = FL_MAX(a, b);
	int64_t first = step * (lo / step);
	if (first <= lo)
		first += step;
	if (first > hi) /* no inner step in any window */
		return 0;
	ev saved = *v;
	v->start = first;
	v->end = hi;
	v->interval = step;
	if ((hi - first) / step > 10 * 1000 * 1000) {
		*v = saved;
		return pq_fail(v, PE_EXECUTION, FL_ELIMIT, "subquery would evaluate too many steps");
	}
	pq_val inner;
	int rc = pq_eval(v, n->sq.expr, &inner);
	/* keep counters and annotations, restore the grid */
	saved.samples = v->samples;
	saved.peak = v->peak;
	saved.warnings = v->warnings;
	saved.infos = v->infos;
	saved.errtype = v->errtype;
	saved.ticks = v->ticks;
	saved.lb = v->lb; /* the builder may have grown */
	*v = saved;
	if (rc)
		return rc;
	if (inner.type == PT_SCALAR) {
		pq_series *s = pq_matrix_add(v, &out->m, (labels){NULL, 0}, false);
		if (!s)
			return FL_ENOMEM;
		size_t k = (size_t)((hi - first) / step) + 1;
		for (size_t i = 0; i < k; i++)
			if ((rc = pq_series_push(v, s, first + (int64_t)i * step, inner.sc[i])))
				return rc;
		return 0;
	}
	out->m = inner.m;
	return 0;
}
