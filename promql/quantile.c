/*
 * quantile.c - quantiles (Prometheus promql/quantile.go): the
 * interpolating quantile of a sample set (quantile aggregation,
 * quantile_over_time, mad_over_time) and histogram_quantile over classic
 * `le` buckets (bucketQuantile with coalescing, the monotonicity fix and
 * the small-delta tolerance 1e-12, and their annotations).
 *
 * histogram_quantile groups the input at each step by all labels except
 * `le` (and __name__, removed in the delayed way); each group's buckets are
 * sorted by upper bound; a group needs a +Inf bucket and 2+ buckets.
 */
#include "promql/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y ? 1 : 0;
}

double pq_quantile(double q, double *vals, size_t n)
{
	if (n == 0 || isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	/* NaNs sort first, as Go's sort.Float64s does */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (isnan(vals[i])) {
			double t = vals[k];
			vals[k++] = vals[i];
			vals[i] = t;
		}
	qsort(vals + k, n - k, sizeof *vals, cmp_double);
	double rank = q * (double)(n - 1);
	double lo = go_max(0, floor(rank));
	double hi = go_min((double)(n - 1), lo + 1);
	double w = rank - floor(rank);
	return vals[(size_t)lo] * (1 - w) + vals[(size_t)hi] * w;
}

static int cmp_bucket(const void *a, const void *b)
{
	double x = ((const pq_bucket *)a)->upper, y = ((const pq_bucket *)b)->upper;
	return x < y ? -1 : x > y ? 1 : 0;
}

double pq_bucket_quantile(ev *v, double q, pq_bucket *b, size_t n, bool *forced, bool *fixed)
{
	(void)v;
	*forced = *fixed = false;
	if (isnan(q))
		return NAN;
	if (q < 0)
		return -INFINITY;
	if (q > 1)
		return INFINITY;
	qsort(b, n, sizeof *b, cmp_bucket);
	if (n == 0 || !(isinf(b[n - 1].upper) && b[n - 1].upper > 0))
		return NAN;
	/* coalesce equal upper bounds */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && b[k - 1].upper == b[i].upper)
			b[k - 1].count += b[i].count;
		else
			b[k++] = b[i];
	}
	n = k;
	double prev = b[0].count;
	for (size_t i = 1; i < n; i++) {
		double cur = b[i].count;
		if (cur == prev)
			continue;
		if (go_almost_equal(prev, cur, 1e-12)) {
			b[i].count = prev;
			*fixed = true;
			continue;
		}
		if (cur < prev) {
			b[i].count = prev;
			*forced = true;
			continue;
		}
		prev = cur;
	}
	if (n < 2)
		return NAN;
	double obs = b[n - 1].count;
	if (obs == 0)
		return NAN;
	double rank = q * obs;
	size_t i = 0;
	while (i < n - 1 && !(b[i].count >= rank))
		i++;
	if (i == n - 1)
		return b[n - 2].upper;
	if (i == 0 && b[0].upper <= 0)
		return b[0].upper;
	double start = 0, end = b[i].upper, count = b[i].count;
	if (i > 0) {
		start = b[i - 1].upper;
		count -= b[i - 1].count;
		rank -= b[i - 1].count;
	}
	return start + (end - start) * (rank / count);
}

/* Fraction of observations in [lower, upper] (quantile.go BucketFraction)
 * over classic buckets; b is sorted and coalesced by the caller's rules. */
static double bucket_fraction(double lower, double upper, pq_bucket *b, size_t n)
{
	qsort(b, n, sizeof *b, cmp_bucket);
	if (n == 0 || !(isinf(b[n - 1].upper) && b[n - 1].upper > 0))
		return NAN;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && b[k - 1].upper == b[i].upper)
			b[k - 1].count += b[i].count;
		else
			b[k++] = b[i];
	}
	n = k;
	double count = b[n - 1].count;
	if (count == 0 || isnan(lower) || isnan(upper))
		return NAN;
	if (lower >= upper)
		return 0;
	double rank = 0, lo_rank = 0, up_rank = 0;
	bool lo_set = false, up_set = false;
	for (size_t i = 0; i < n && !(lo_set && up_set); i++) {
		double lb = i > 0 ? b[i - 1].upper : (b[0].upper > 0 ? 0 : -INFINITY);
		double ub = b[i].upper;
		if (!lo_set && lb >= lower) {
			lo_rank = rank;
			lo_set = true;
		}
		if (!up_set && lb >= upper) {
			up_rank = rank;
			up_set = true;
		}
		if (lo_set && up_set)
			break;
		/* no interpolation inside a bucket of infinite width */
		if (!lo_set && lb < lower && ub > lower) {
			lo_rank = isinf(lb) ? b[i].count : isinf(ub) ? rank
					 : rank + (b[i].count - rank) * (lower - lb) / (ub - lb);
			lo_set = true;
		}
		if (!up_set && lb < upper && ub > upper) {
			up_rank = isinf(lb) ? b[i].count : isinf(ub) ? rank
					 : rank + (b[i].count - rank) * (upper - lb) / (ub - lb);
			up_set = true;
		}
		rank = b[i].count;
	}
	if (!lo_set || lo_rank > count)
		lo_rank = count;
	if (!up_set || up_rank > count)
		up_rank = count;
	return (up_rank - lo_rank) / count;
}

typedef struct hgroup {
	labels metric;   /* output labels (no le) */
	const char *name;/* metric name for annotations */
	pq_bucket *b;    /* buckets */
	size_t n, cap;
	bool drop;
} hgroup;

typedef struct hqargs {
	const double *qs;   /* quantiles (or the fraction's lower bound) */
	size_t n_qs;        /* how many */
	double q2;          /* the fraction's upper bound */
	bool fraction;      /* histogram_fraction */
	const char *qlabel; /* histogram_quantiles: label for q, or NULL */
} hqargs;

/* histogram_quantiles' label value: shortest 'f' digits, ".0" if integral. */
static const char *q_label_value(ev *v, double q)
{
	if (isnan(q) || isinf(q))
		return pq_g(v, q);
	const char *g = pq_g(v, q);
	if (strchr(g, 'e')) {
		char tmp[64];
		snprintf(tmp, sizeof tmp, "%.17f", q);
		g = arena_strdup(v->a, tmp);
	}
	if (!g || strchr(g, '.'))
		return g ? g : "";
	size_t n = strlen(g);
	char *r = arena_alloc(v->a, n + 3);
	if (!r)
		return "";
	memcpy(r, g, n);
	memcpy(r + n, ".0", 3);
	return r;
}

/* What hq_step needs of one input series, worked out at its first step
 * (labels do not change between steps): bucket bound, group key and labels. */
typedef struct hsrc {
	uint8_t state;   /* 0 unset, 1 valid, 2 bad le */
	double up;       /* le */
	uint64_t key;    /* hash of the labels without le */
	labels metric;   /* the labels without le (the group's labels) */
	const char *les; /* le's text (for the annotation) */
	const char *name;/* __name__ */
} hsrc;

static int hq_source(ev *v, const pq_elem *e, hsrc *h)
{
	const char *les = labels_get(e->metric, "le");
	char *end = NULL;
	h->les = les;
	h->name = labels_get(e->metric, LABEL_NAME);
	h->up = les ? strtod(les, &end) : NAN;
	h->state = 1;
	if (!les || end == les || *end) {
		if (!les || strcasecmp(les, "+inf") != 0) {
			h->state = 2;
			return 0;
		}
		h->up = INFINITY;
	}
	pq_lb_reset(&v->lb, e->metric);
	labels_builder_del(&v->lb, "le");
	h->metric = pq_builder_labels(v, &v->lb);
	/* group by all labels but le, __name__ included: two histograms
	 * whose names differ collide only when the names are dropped */
	h->key = labels_hash(h->metric);
	return v->errtype ? FL_ENOMEM : 0;
}

static int hq_step(ev *v, const pq_vec *in, const hqargs *qa, hsrc *src, pq_vec *out, pq_map *map, hgroup **gs,
		   size_t *n_g, size_t *cap_g)
{
	*n_g = 0;
	pq_map_free(map);
	for (size_t i = 0; i < in->n; i++) {
		const pq_elem *e = &in->e[i];
		hsrc *h = &src[e->sidx];
		int rc = h->state ? 0 : hq_source(v, e, h);
		if (rc)
			return rc;
		if (h->state == 2) {
			pq_annotate(v, false,
				    "bucket label \"le\" is missing or has a malformed value of \"%s\" for metric name \"%s\"",
				    h->les ? h->les : "", h->name ? h->name : "");
			continue;
		}
		bool found;
		size_t *slot = pq_map_put(map, h->key, &found);
		if (!slot)
			return pq_nomem(v);
		if (!found) {
			if (*n_g == *cap_g) {
				size_t old = *cap_g;
				hgroup *ng = pq_grow(v->a, *gs, cap_g, *n_g + 1, sizeof *ng);
				if (!ng)
					return pq_nomem(v);
				memset(ng + old, 0, (*cap_g - old) * sizeof *ng);
				*gs = ng;
			}
			*slot = (*n_g)++;
			hgroup *g = &(*gs)[*slot];
			g->metric = h->metric;
			g->name = h->name;
			g->drop = true;
			g->n = 0; /* the bucket array (b, cap) is kept from earlier steps */
		}
		hgroup *g = &(*gs)[*slot];
		pq_bucket *nb = pq_grow(v->a, g->b, &g->cap, g->n + 1, sizeof *nb);
		if (!nb)
			return pq_nomem(v);
		g->b = nb;
		g->b[g->n].upper = h->up;
		g->b[g->n].count = e->v;
		g->n++;
	}
	pq_bucket *scratch = NULL;
	size_t scap = 0;
	for (size_t i = 0; i < *n_g * qa->n_qs; i++) {
		hgroup *g = &(*gs)[i / qa->n_qs];
		double q = qa->qs[i % qa->n_qs];
		bool forced, fixed, has_nan = false;
		for (size_t k = 0; k < g->n; k++)
			if (isnan(g->b[k].count))
				has_nan = true;
		/* the kernels sort and coalesce in place: work on a copy */
		if (!(scratch = pq_grow(v->a, scratch, &scap, g->n, sizeof *scratch)))
			return pq_nomem(v);
		memcpy(scratch, g->b, g->n * sizeof *scratch);
		double r;
		forced = fixed = false;
		if (qa->fraction)
			r = bucket_fraction(q, qa->q2, scratch, g->n);
		else
			r = pq_bucket_quantile(v, q, scratch, g->n, &forced, &fixed);
		if (forced)
			pq_annotate(v, true,
				    "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"%s\"",
				    g->name ? g->name : "");
		if (has_nan && !qa->fraction)
			pq_annotate(v, true, "input to histogram_quantile has NaN observations, result is NaN for metric name \"%s\"",
				    g->name ? g->name : "");
		labels m = g->metric;
		if (qa->qlabel) {
			pq_lb_reset(&v->lb, g->metric);
			labels_builder_set(&v->lb, qa->qlabel, q_label_value(v, q));
			m = pq_builder_labels(v, &v->lb);
		}
		int rc = pq_vec_push(v, out, m, r, 0, g->drop);
		if (rc)
			return rc;
	}
	return 0;
}

int pq_histogram_quantile(ev *v, const node *n, pq_val *out)
{
	bool fraction = n->call.fn->id == FN_histogram_fraction, multi = n->call.fn->id == FN_histogram_quantiles;
	/* argument positions: quantile(q, v), fraction(lo, hi, v), quantiles(v, label, q...) */
	size_t vi = fraction ? 2 : multi ? 0 : 1;
	size_t q0 = multi ? 2 : 0, nq = multi ? n->call.n_args - 2 : 1;
	pq_val *qv = arena_calloc(v->a, nq + 1, sizeof *qv), in, hi = {0}, label = {0};
	double *qs = arena_calloc(v->a, nq, sizeof *qs);
	if (!qv || !qs)
		return pq_nomem(v);
	int rc = 0;
	for (size_t k = 0; k < nq && !rc; k++)
		rc = pq_eval(v, n->call.args[q0 + k], &qv[k]);
	if (!rc && fraction)
		rc = pq_eval(v, n->call.args[1], &hi);
	if (!rc && multi)
		rc = pq_eval(v, n->call.args[1], &label);
	if (!rc)
		rc = pq_eval(v, n->call.args[vi], &in);
	if (rc)
		return rc;
	hqargs qa = {.qs = qs, .n_qs = nq, .fraction = fraction, .qlabel = multi ? label.str : NULL};
	pq_stepper st;
	pq_vec vec = {0}, res = {0};
	pq_map map;
	pq_map_init(&map);
	hgroup *gs = NULL;
	size_t n_g = 0, cap_g = 0;
	pq_collect col;
	pq_collect_init(&col);
	if ((rc = pq_stepper_init(v, &st, &in.m)))
		return rc;
	hsrc *src = arena_calloc(v->a, in.m.n ? in.m.n : 1, sizeof *src);
	if (!src)
		return pq_nomem(v);
	bool warned = false;
	for (size_t i = 0; i < pq_nsteps(v) && !rc; i++) {
		int64_t ts = pq_step_ts(v, i);
		res.n = 0;
		if ((rc = pq_stepper_at(v, &st, ts, &vec)))
			break;
		for (size_t k = 0; k < nq; k++) {
			qs[k] = qv[k].sc[i];
			if (!fraction && !warned && !(qs[k] >= 0 && qs[k] <= 1)) {
				pq_annotate(v, false, "quantile value should be between 0 and 1, got %s", pq_g(v, qs[k]));
				warned = true;
			}
		}
		qa.q2 = fraction ? hi.sc[i] : 0;
		rc = hq_step(v, &vec, &qa, src, &res, &map, &gs, &n_g, &cap_g);
		if (!rc)
			rc = pq_collect_step(v, &col, &res, ts);
		if (!rc)
			rc = pq_check(v);
	}
	pq_map_free(&map);
	pq_collect_done(&col, out);
	return rc;
}
