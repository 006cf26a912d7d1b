/*
 * functions_range.c - functions of a range vector (Prometheus
 * promql/functions.go): rate/increase/delta (extrapolatedRate),
 * irate/idelta, changes, resets, deriv and predict_linear (least squares
 * with Kahan sums), double_exponential_smoothing (= holt_winters), the
 * *_over_time family (avg/sum/count/min/max/last/first/stddev/stdvar/
 * quantile/mad/present/absent, ts_of_*), for matrix selectors and
 * subqueries alike.
 *
 * Each input series yields one output series; at step ts the kernel sees
 * the window (ref - range, ref] of that series (eval_select.c). Outputs
 * drop __name__ (delayed) except last_over_time/first_over_time.
 */
#include "promql/value.h"

#include <math.h>
#include <stdlib.h>

/* extendedRate (anchored/smoothed rate, increase, delta): boundary values
 * picked or interpolated, counter resets inside corrected, no
 * extrapolation. s[0..n) is the raw window reaching past the range. */
static bool extended_rate(const pq_range *r, int64_t ts, const sample *s, size_t n, bool counter, bool rate,
			  double *out)
{
	if (n == 0)
		return false;
	int64_t ref = pq_range_ref(r, ts), start = ref - r->range_ms;
	/* boundary values via extendFloats' rules on the two ends */
	size_t last = n - 1, first = pq_search_gt(s, last, start);
	first = first ? first - 1 : 0;
	if (r->smoothed)
		last = pq_search_ge(s, last, ref);
	if (s[last].t <= start)
		return false;
	if (r->smoothed && s[first].t > ref) /* all data after the range */
		return false;
	double left = s[first].v, right = s[last].v;
	if (r->smoothed && s[first].t < start && first + 1 < n) {
		double y1 = s[first].v, y2 = s[first + 1].v;
		if (counter && y2 < y1)
			y1 = 0;
		left = y1 + (y2 - y1) * (double)(start - s[first].t) / (double)(s[first + 1].t - s[first].t);
	}
	if (r->smoothed && last > 0 && s[last].t > ref) {
		double y1 = s[last - 1].v, y2 = s[last].v;
		if (counter && y2 < y1) /* the post-reset ramp starts at 0 */
			y1 = 0;
		right = y1 + (y2 - y1) * (double)(ref - s[last - 1].t) / (double)(s[last].t - s[last - 1].t);
	}
	double res = right - left;
	if (counter) {
		long f = (long)first, l = (long)last;
		if (s[f].t <= start)
			f++;
		if (s[l].t >= ref)
			l--;
		double prev = left, corr = 0;
		for (long i = f; i <= l; i++) {
			if (s[i].v < prev)
				corr += prev;
			prev = s[i].v;
		}
		if (right < prev)
			corr += prev;
		res += corr;
	}
	if (rate)
		res /= (double)r->range_ms / 1000.0;
	*out = res;
	return true;
}

typedef struct rctx {
	promql_fn_id id;    /* FN_<name> */
	const pq_range *r;  /* source */
	int64_t ts;         /* step time */
	double p1, p2;      /* scalar params at this step */
	double *scratch;    /* quantile scratch */
	size_t scratch_cap;
	const int64_t *st;  /* start timestamps of the window's samples, or NULL */
	const char *metric; /* __name__ of the series (messages), or NULL */
	bool st_warned;     /* the overlap warning was given for this series */
} rctx;

/* Start timestamp of window sample i (0 = unknown). */
static int64_t st_at(const rctx *c, size_t i) { return c->st ? c->st[i] : 0; }

/* Did the counter restart between samples (pt, pst) and (t, st), as the
 * start timestamps tell (Prometheus 3.14)? A start after the previous
 * sample is a restart; a start exactly at it is one only when the previous
 * sample had a start of its own before it (a delta stream), not when it had
 * none (a cumulative series with unknown start, OTel) or an invalid one. */
static bool st_reset(int64_t pst, int64_t pt, int64_t st, int64_t t)
{
	if (st == 0 || st >= t || st < pt)
		return false;
	return st > pt || (pst != 0 && pst < pt);
}

/* Was sample i (i >= 1) counted as a restart of the counter? */
static bool is_reset(const rctx *c, const sample *s, size_t i)
{
	return s[i].v < s[i - 1].v || st_reset(st_at(c, i - 1), s[i - 1].t, st_at(c, i), s[i].t);
}

/*
 * With start timestamps (counters only): a restart the start times reveal
 * adds the previous value like a drop does, and when the first sample's
 * start lies inside the range the counter is taken to be 0 there: no
 * extrapolation to the left, the sampled interval reaches back to it (one
 * sample is then enough).
 */
static bool extrapolated_rate(const rctx *c, const sample *s, size_t n, bool counter, bool rate, double *out)
{
	int64_t ref = pq_range_ref(c->r, c->ts);
	int64_t st0 = counter ? st_at(c, 0) : 0;
	bool from_st = st0 != 0 && st0 > ref - c->r->range_ms && st0 < s[0].t;
	if (n < 2 && !from_st)
		return false;
	double range_start = (double)(ref - c->r->range_ms), range_end = (double)ref;
	double result = s[n - 1].v - s[0].v;
	if (counter && !c->st) { /* no start timestamps: drops only */
		for (size_t i = 1; i < n; i++)
			if (s[i].v < s[i - 1].v)
				result += s[i - 1].v;
	} else if (counter) {
		for (size_t i = 1; i < n; i++)
			if (is_reset(c, s, i))
				result += s[i - 1].v;
	}
	double to_start = ((double)s[0].t - range_start) / 1000.0;
	double to_end = (range_end - (double)s[n - 1].t) / 1000.0;
	double sampled = (double)(s[n - 1].t - s[0].t) / 1000.0;
	double avg = n > 1 ? sampled / (double)(n - 1) : 0;
	double thr = avg * 1.1;
	if (from_st) {
		to_start = 0;
		sampled = (double)(s[n - 1].t - st0) / 1000.0;
		result += s[0].v;
	} else {
		if (to_start >= thr)
			to_start = avg / 2;
		if (counter && result > 0 && s[0].v >= 0) {
			double to_zero = sampled * (s[0].v / result);
			if (to_zero < to_start)
				to_start = to_zero;
		}
	}
	if (sampled <= 0)
		return false;
	if (to_end >= thr)
		to_end = avg / 2;
	double factor = (sampled + to_start + to_end) / sampled;
	if (rate)
		factor /= (double)c->r->range_ms / 1000.0;
	*out = result * factor;
	return true;
}

static void linreg(const sample *s, size_t n, int64_t icept_t, double *slope, double *icept)
{
	double cnt = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
	double init = s[0].v;
	bool consty = true;
	for (size_t i = 0; i < n; i++) {
		if (consty && i > 0 && s[i].v != init)
			consty = false;
		cnt += 1;
		double x = (double)(s[i].t - icept_t) / 1e3;
		sx = pq_kahan_add(x, sx, &cx);
		sy = pq_kahan_add(s[i].v, sy, &cy);
		sxy = pq_kahan_add(x * s[i].v, sxy, &cxy);
		sx2 = pq_kahan_add(x * x, sx2, &cx2);
	}
	if (consty) {
		if (isinf(init)) {
			*slope = *icept = NAN;
			return;
		}
		*slope = 0;
		*icept = init;
		return;
	}
	sx += cx;
	sy += cy;
	sxy += cxy;
	sx2 += cx2;
	double cov = sxy - sx * sy / cnt, var = sx2 - sx * sx / cnt;
	*slope = cov / var;
	*icept = sy / cnt - *slope * sx / cnt;
}

static double trend(int i, double tf, double s0, double s1, double b)
{
	if (i == 0)
		return b;
	return tf * (s1 - s0) + (1 - tf) * b;
}

static double avg_over(const sample *s, size_t n)
{
	double sum = 0, mean = 0, c = 0;
	bool incr = false;
	if (n == 1)
		return s[0].v;
	for (size_t i = 0; i < n; i++) {
		double cnt = (double)(i + 1);
		if (!incr) {
			double c2 = c;
			double ns = pq_kahan_add(s[i].v, sum, &c2);
			if (cnt == 1 || !isinf(ns)) {
				sum = ns;
				c = c2;
				continue;
			}
			incr = true;
			mean = sum / (cnt - 1);
			c /= (cnt - 1);
		}
		double q = (cnt - 1) / cnt;
		double mc = q * c;
		mean = pq_kahan_add(s[i].v / cnt, q * mean, &mc);
		c = mc;
	}
	if (incr)
		return mean + c;
	return sum / (double)n + c / (double)n;
}

static double var_over(const sample *s, size_t n)
{
	double cnt = 0, mean = 0, cm = 0, aux = 0, ca = 0;
	for (size_t i = 0; i < n; i++) {
		cnt++;
		double d = s[i].v - (mean + cm);
		mean = pq_kahan_add(d / cnt, mean, &cm);
		aux = pq_kahan_add(d * (s[i].v - (mean + cm)), aux, &ca);
	}
	return (aux + ca) / cnt;
}

static double *scratch(rctx *c, const sample *s, size_t n, ev *v)
{
	if (n > c->scratch_cap) {
		c->scratch_cap = n * 2;
		c->scratch = arena_alloc(v->a, c->scratch_cap * sizeof(double));
		if (!c->scratch) {
			c->scratch_cap = 0;
			pq_nomem(v);
			return NULL;
		}
	}
	for (size_t i = 0; i < n; i++)
		c->scratch[i] = s[i].v;
	return c->scratch;
}

/* One window -> value; false when the function yields nothing. */
static bool kernel(ev *v, rctx *c, const sample *s, size_t n, double *out);

/* The 3.x modifiers are allowed with a few functions only. */
static int check_modifiers(ev *v, const promql_function *f, const pq_range *r)
{
	if (!r->anchored && !r->smoothed)
		return 0;
	switch (f->id) {
	case FN_delta: case FN_increase: case FN_rate:
		return 0;
	case FN_changes: case FN_resets:
		if (r->anchored)
			return 0;
		break;
	default:
		break;
	}
	return pq_fail(v, PE_EXECUTION, FL_EEXEC, "%s modifier can only be used with: %s - not with %s",
		       r->anchored ? "anchored" : "smoothed",
		       r->anchored ? "changes, delta, increase, rate, resets" : "delta, increase, rate", f->name);
}

/* Warn (once a series) when a sample's start time reaches back before the
 * previous sample without being that sample's start too (upstream's
 * overlap check; deltas and cumulatives never trip it). */
static void st_overlap_check(ev *v, rctx *c, const sample *s, size_t n)
{
	for (size_t i = 1; c->st && !c->st_warned && i < n; i++) {
		int64_t st = c->st[i];
		if (st != 0 && st < s[i - 1].t && st != c->st[i - 1]) {
			pq_annotate(v, false, "sample has start time that overlaps with previous sample timestamp for metric %s",
				    pq_quote(v, c->metric ? c->metric : ""));
			c->st_warned = true;
		}
	}
}

/* Counter/gauge change family: rate, increase, delta, irate, idelta,
 * changes, resets (with the anchored window where allowed). */
static bool kernel_change(ev *v, rctx *c, const sample *s, size_t n, double *out)
{
	if (c->id == FN_rate || c->id == FN_increase || c->id == FN_delta) {
		if (c->r->anchored || c->r->smoothed)
			return extended_rate(c->r, c->ts, s, n, c->id != FN_delta, c->id == FN_rate, out);
		if (c->id != FN_delta)
			st_overlap_check(v, c, s, n);
		return extrapolated_rate(c, s, n, c->id != FN_delta, c->id == FN_rate, out);
	}
	if (c->r->anchored && (c->id == FN_changes || c->id == FN_resets)) {
		/* on the anchored window: [start, end] with picked boundary points */
		int64_t ref = pq_range_ref(c->r, c->ts);
		sample *ext = arena_alloc(v->a, (n + 2) * sizeof *ext);
		if (!ext) {
			pq_nomem(v);
			return false;
		}
		size_t k = pq_extend_floats(s, n, ref - c->r->range_ms, ref, false, ext);
		rctx plain = *c;
		plain.st = NULL;
		pq_range pr = *c->r;
		pr.anchored = false;
		plain.r = &pr;
		return k && kernel(v, &plain, ext, k, out);
	}
	if (c->id == FN_irate || c->id == FN_idelta) {
		if (n < 2)
			return false;
		const sample *a = &s[n - 2], *b = &s[n - 1];
		double r = b->v - a->v;
		if (c->id == FN_idelta) {
			*out = r;
			return true;
		}
		if (b->v < a->v || st_reset(st_at(c, n - 2), a->t, st_at(c, n - 1), b->t))
			r = b->v;
		int64_t dt = b->t - a->t;
		if (dt == 0)
			return false;
		*out = r / ((double)dt / 1000.0);
		return true;
	}
	if (c->id == FN_changes || c->id == FN_resets) {
		double k = 0;
		for (size_t i = 1; i < n; i++) {
			double p = s[i - 1].v, x = s[i].v;
			if (c->id == FN_changes ? !(x == p || (isnan(x) && isnan(p))) : is_reset(c, s, i))
				k++;
		}
		*out = k;
		return true;
	}
	return false;
}

/* Trend family: deriv, predict_linear, double_exponential_smoothing. */
static bool kernel_trend(rctx *c, const sample *s, size_t n, double *out)
{
	if (c->id == FN_deriv || c->id == FN_predict_linear) {
		if (n < 2)
			return false;
		double slope, icept;
		if (c->id == FN_deriv) {
			linreg(s, n, s[0].t, &slope, &icept);
			*out = slope;
		} else {
			linreg(s, n, c->ts, &slope, &icept);
			*out = icept + slope * c->p1;
		}
		return true;
	}
	if (c->id == FN_double_exponential_smoothing || c->id == FN_holt_winters) {
		if (n < 2)
			return false;
		double sf = c->p1, tf = c->p2, s0 = 0, s1 = s[0].v, b = s[1].v - s[0].v;
		for (size_t i = 1; i < n; i++) {
			b = trend((int)i - 1, tf, s0, s1, b);
			double x = sf * s[i].v, y = (1 - sf) * (s1 + b);
			s0 = s1;
			s1 = x + y;
		}
		*out = s1;
		return true;
	}
	return false;
}

/* The *_over_time family. */
static bool kernel_over_time(ev *v, rctx *c, const sample *s, size_t n, double *out)
{
	if (c->id == FN_avg_over_time) {
		*out = avg_over(s, n);
	} else if (c->id == FN_sum_over_time) {
		double sum = 0, k = 0;
		for (size_t i = 0; i < n; i++)
			sum = pq_kahan_add(s[i].v, sum, &k);
		*out = sum + k;
	} else if (c->id == FN_count_over_time) {
		*out = (double)n;
	} else if (c->id == FN_min_over_time || c->id == FN_max_over_time) {
		bool mx = c->id == FN_max_over_time;
		double r = s[0].v;
		for (size_t i = 1; i < n; i++)
			if ((mx ? s[i].v > r : s[i].v < r) || isnan(r))
				r = s[i].v;
		*out = r;
	} else if (c->id == FN_last_over_time) {
		*out = s[n - 1].v;
	} else if (c->id == FN_first_over_time) {
		*out = s[0].v;
	} else if (c->id == FN_ts_of_last_over_time) {
		*out = (double)s[n - 1].t / 1000.0;
	} else if (c->id == FN_ts_of_first_over_time) {
		*out = (double)s[0].t / 1000.0;
	} else if (c->id == FN_ts_of_max_over_time || c->id == FN_ts_of_min_over_time) {
		bool mx = c->id == FN_ts_of_max_over_time;
		double r = s[0].v;
		int64_t t = s[0].t;
		for (size_t i = 1; i < n; i++)
			if ((mx ? s[i].v >= r : s[i].v <= r) || isnan(r)) {
				r = s[i].v;
				t = s[i].t;
			}
		*out = (double)t / 1000.0;
	} else if (c->id == FN_stddev_over_time) {
		*out = sqrt(var_over(s, n));
	} else if (c->id == FN_stdvar_over_time) {
		*out = var_over(s, n);
	} else if (c->id == FN_quantile_over_time) {
		double *x = scratch(c, s, n, v);
		if (!x)
			return false;
		*out = pq_quantile(c->p1, x, n);
	} else if (c->id == FN_mad_over_time) {
		double *x = scratch(c, s, n, v);
		if (!x)
			return false;
		for (size_t i = 0; i < n; i++)
			if (isnan(s[i].v)) {
				*out = NAN;
				return true;
			}
		double med = pq_quantile(0.5, x, n);
		for (size_t i = 0; i < n; i++)
			x[i] = fabs(s[i].v - med);
		*out = pq_quantile(0.5, x, n);
	} else if (c->id == FN_present_over_time) {
		*out = 1;
	} else {
		return false;
	}
	return true;
}

static bool kernel(ev *v, rctx *c, const sample *s, size_t n, double *out)
{
	if (n == 0)
		return false;
	switch (c->id) {
	case FN_rate: case FN_increase: case FN_delta: case FN_irate: case FN_idelta:
	case FN_changes: case FN_resets:
		return kernel_change(v, c, s, n, out);
	case FN_deriv: case FN_predict_linear: case FN_double_exponential_smoothing: case FN_holt_winters:
		return kernel_trend(c, s, n, out);
	default:
		return kernel_over_time(v, c, s, n, out);
	}
}

static bool counter_name(const char *name)
{
	static const char *const suf[] = {"_total", "_sum", "_count", "_bucket"};
	size_t n = strlen(name);
	for (size_t i = 0; i < 4; i++) {
		size_t k = strlen(suf[i]);
		if (n >= k && !strcmp(name + n - k, suf[i]))
			return true;
	}
	return false;
}

static int absent_over_time(ev *v, const node *n, const pq_range *r, pq_val *out);

static int range_params(ev *v, const node *n, pq_val *p1, pq_val *p2, const node **rarg)
{
	int rc = 0;
	*rarg = n->call.args[0];
	if (n->call.fn->id == FN_quantile_over_time) {
		*rarg = n->call.args[1];
		rc = pq_eval(v, n->call.args[0], p1);
	} else if (n->call.n_args > 1) {
		rc = pq_eval(v, n->call.args[1], p1);
		if (!rc && n->call.n_args > 2)
			rc = pq_eval(v, n->call.args[2], p2);
	}
	return rc;
}

int pq_call_range_fn(ev *v, const node *n, pq_val *out)
{
	const promql_function *f = n->call.fn;
	pq_val p1 = {0}, p2 = {0};
	const node *rarg;
	int rc = range_params(v, n, &p1, &p2, &rarg);
	pq_range r;
	if (!rc)
		rc = pq_eval_range_arg(v, rarg, &r);
	if (!rc)
		rc = check_modifiers(v, f, &r);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	out->type = PT_VECTOR;
	if (f->id == FN_absent_over_time)
		return absent_over_time(v, n, &r, out);
	rctx c = {.id = f->id, .r = &r};
	bool keep = f->id == FN_last_over_time || f->id == FN_first_over_time;
	bool rate = f->id == FN_rate || f->id == FN_increase;
	bool smoothing = f->id == FN_double_exponential_smoothing || f->id == FN_holt_winters;
	size_t steps = pq_nsteps(v);
	bool qwarned = false;
	for (size_t i = 0; i < steps && p1.type == PT_SCALAR; i++) {
		double x = p1.sc[i];
		if (smoothing && !(x > 0 && x < 1))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", x);
		if (smoothing && !(p2.sc[i] > 0 && p2.sc[i] < 1))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "invalid trend factor. Expected: 0 < tf < 1, got: %f", p2.sc[i]);
	}
	for (size_t si = 0; si < r.m.n; si++) {
		const pq_series *in = &r.m.s[si];
		pq_series *o = NULL;
		bool any = false;
		c.metric = labels_get(in->metric, LABEL_NAME);
		c.st_warned = false;
		for (size_t i = 0; i < steps; i++) {
			c.ts = pq_step_ts(v, i);
			c.p1 = p1.type == PT_SCALAR ? p1.sc[i] : 0;
			c.p2 = p2.type == PT_SCALAR ? p2.sc[i] : 0;
			size_t lo, hi;
			pq_range_window(&r, in, c.ts, &lo, &hi);
			c.st = in->st ? in->st + lo : NULL;
			if (hi > lo)
				any = true;
			double x;
			if (!kernel(v, &c, in->s + lo, hi - lo, &x)) {
				if (v->errtype)
					return FL_ENOMEM;
				continue;
			}
			if (f->id == FN_quantile_over_time && !qwarned && !(c.p1 >= 0 && c.p1 <= 1)) {
				pq_annotate(v, false, "quantile value should be between 0 and 1, got %s", pq_g(v, c.p1));
				qwarned = true;
			}
			if (!o && (!(o = pq_matrix_add(v, &out->m, in->metric, keep ? in->drop_name : true)) ||
				   pq_series_reserve(v, o, steps - i)))
				return FL_ENOMEM;
			if ((rc = pq_series_push(v, o, c.ts, x)))
				return rc;
		}
		if (rate && any) {
			const char *name = labels_get(in->metric, LABEL_NAME);
			if (name && !counter_name(name))
				pq_annotate(v, true,
					    "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"%s\"",
					    name);
		}
		if ((rc = pq_check(v)))
			return rc;
	}
	return 0;
}

static int absent_over_time(ev *v, const node *n, const pq_range *r, pq_val *out)
{
	labels ls = pq_absent_labels(v, n->call.args[0]);
	if (v->errtype)
		return FL_ENOMEM;
	pq_series *o = NULL;
	for (size_t i = 0; i < pq_nsteps(v); i++) {
		int64_t ts = pq_step_ts(v, i);
		bool any = false;
		for (size_t si = 0; si < r->m.n && !any; si++) {
			size_t lo, hi;
			pq_range_window(r, &r->m.s[si], ts, &lo, &hi);
			any = hi > lo;
		}
		if (any)
			continue;
		if (!o && !(o = pq_matrix_add(v, &out->m, ls, false)))
			return FL_ENOMEM;
		int rc = pq_series_push(v, o, ts, 1);
		if (rc)
			return rc;
	}
	return 0;
}
