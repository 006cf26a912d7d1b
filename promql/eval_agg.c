/*
 * eval_agg.c - aggregation operators (Prometheus engine.go: aggregation,
 * aggregationK, aggregationCountValues; promql/aggregations).
 *
 * Per step, the input vector is split into groups by the hash of the `by`
 * labels (or all labels but the `without` ones and __name__). Groups keep
 * the order of their first element. Results:
 *  - sum (Kahan), avg (Kahan sum, incremental mean on overflow), count,
 *    group, min/max (NaN loses), stddev/stdvar (Welford), quantile;
 *  - topk/bottomk/limitk/limit_ratio return input elements unchanged
 *    (labels and pending name removal kept), chosen and ordered through
 *    upstream's per-group heaps (see "k aggregations" below);
 *  - count_values groups by the formatted value as a new label.
 * A group's pending __name__ removal is set if any member's is.
 */
#include "promql/value.h"
#include "lib/gosort.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct group {
	labels metric;  /* output labels */
	double val;     /* running value */
	double c;       /* Kahan compensation */
	double mean;    /* Welford / incremental mean */
	double count;   /* members */
	bool drop;      /* pending name removal */
	bool incr;      /* avg switched to incremental mean */
	double *vals;   /* quantile: values */
	size_t n_vals, cap_vals;
	size_t *idx;    /* topk etc: the heap of input indexes */
	size_t n_idx, cap_idx;
} group;

typedef struct aggctx {
	const node *n; /* the aggregate node */
	promql_op op;  /* AGG_* */
	group *g;      /* groups this step */
	size_t n_g, cap_g;
	pq_map map;    /* group key -> index */
	pq_vec out;    /* step output */
	const pq_vec *in; /* step input */
	uint64_t *keys;   /* group key per input series (cached) */
	bool *have_key;   /* keys[i] is set */
	labels *glab;     /* group labels per input series (cached) */
	bool *have_glab;  /* glab[i] is set */
	double param;  /* k, q or ratio at this step */
	const char *label; /* count_values label */
} aggctx;

static labels group_labels(ev *v, const node *n, labels ls)
{
	labels_builder *b = &v->lb;
	pq_lb_reset(b, ls);
	for (size_t i = 0; i < ls.n; i++) {
		bool in = false;
		for (size_t k = 0; k < n->agg.n_grouping; k++)
			if (!strcmp(n->agg.grouping[k], ls.v[i].name))
				in = true;
		if (n->agg.without ? (in || !strcmp(ls.v[i].name, LABEL_NAME)) : !in)
			labels_builder_del(b, ls.v[i].name);
	}
	return pq_builder_labels(v, b);
}

static uint64_t group_key(const node *n, labels ls)
{
	return labels_hash_for(ls, n->agg.grouping, n->agg.n_grouping, !n->agg.without);
}

static uint64_t cached_key(aggctx *c, const pq_elem *e)
{
	if (!c->have_key[e->sidx]) {
		c->keys[e->sidx] = group_key(c->n, e->metric);
		c->have_key[e->sidx] = true;
	}
	return c->keys[e->sidx];
}

static group *get_group(ev *v, aggctx *c, labels ls, uint64_t key, bool *fresh)
{
	bool found;
	size_t *slot = pq_map_put(&c->map, key, &found);
	if (!slot) {
		pq_nomem(v);
		return NULL;
	}
	*fresh = !found;
	if (found)
		return &c->g[*slot];
	if (c->n_g == c->cap_g) {
		group *ng = pq_grow(v->a, c->g, &c->cap_g, c->n_g + 1, sizeof *ng);
		if (!ng) {
			pq_nomem(v);
			return NULL;
		}
		c->g = ng;
	}
	*slot = c->n_g;
	group *g = &c->g[c->n_g++];
	memset(g, 0, sizeof *g);
	g->metric = ls;
	return g;
}

static void add_float(ev *v, aggctx *c, group *g, double x, bool fresh)
{
	switch (c->op) {
	case AGG_SUM:
		g->val = fresh ? x : pq_kahan_add(x, g->val, &g->c);
		break;
	case AGG_AVG:
		if (fresh) {
			g->val = x;
			g->mean = x;
			break;
		}
		if (!g->incr) {
			double c2 = g->c;
			double s = pq_kahan_add(x, g->val, &c2);
			if (!isinf(s)) {
				g->val = s;
				g->c = c2;
				break;
			}
			g->incr = true;
			g->mean = g->val / (g->count - 1);
			g->c = g->c / (g->count - 1);
		}
		if (isinf(g->mean)) {
			if (isinf(x) && (g->mean > 0) == (x > 0))
				break;
			if (!isinf(x) && !isnan(x))
				break;
		}
		g->mean = pq_kahan_add(x / g->count - g->mean / g->count, g->mean, &g->c);
		break;
	case AGG_COUNT:
	case AGG_GROUP:
		break;
	case AGG_MIN:
		if (fresh || g->val > x || isnan(g->val))
			g->val = x;
		break;
	case AGG_MAX:
		if (fresh || g->val < x || isnan(g->val))
			g->val = x;
		break;
	case AGG_STDDEV:
	case AGG_STDVAR:
		if (isnan(x) || isinf(x)) {
			g->val = NAN; /* sticky */
		} else if (fresh) {
			g->mean = x;
			g->val = 0;
		} else {
			double d = x - g->mean;
			g->mean += d / g->count;
			g->val += d * (x - g->mean);
		}
		break;
	case AGG_QUANTILE: {
		double *nv = pq_grow(v->a, g->vals, &g->cap_vals, g->n_vals + 1, sizeof *nv);
		if (!nv) {
			pq_nomem(v);
			return;
		}
		g->vals = nv;
		g->vals[g->n_vals++] = x;
		break;
	}
	default:
		break;
	}
}

static double group_result(aggctx *c, group *g)
{
	switch (c->op) {
	case AGG_SUM:
		return g->val + g->c;
	case AGG_AVG:
		if (g->incr)
			return g->mean + g->c;
		return (g->val + g->c) / g->count;
	case AGG_COUNT:
		return g->count;
	case AGG_GROUP:
		return 1;
	case AGG_STDVAR:
		return g->val / g->count;
	case AGG_STDDEV:
		return sqrt(g->val / g->count);
	case AGG_QUANTILE:
		return pq_quantile(c->param, g->vals, g->n_vals);
	default:
		return g->val;
	}
}

static void format_value(char *b, size_t n, double x)
{
	if (isnan(x)) {
		snprintf(b, n, "NaN");
		return;
	}
	if (isinf(x)) {
		snprintf(b, n, x > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* shortest round-trip 'f' formatting, like strconv.FormatFloat(x, 'f', -1, 64) */
	char tmp[64];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	double back = strtod(tmp, NULL);
	(void)back;
	char *e = strchr(tmp, 'e');
	if (!e) {
		snprintf(b, n, "%s", tmp);
		return;
	}
	/* expand the exponent form into plain decimal */
	int exp10 = atoi(e + 1);
	*e = 0;
	char digits[64];
	size_t nd = 0;
	bool neg = tmp[0] == '-';
	int point = -1;
	for (char *p = tmp + neg; *p; p++) {
		if (*p == '.')
			point = (int)nd;
		else
			digits[nd++] = *p;
	}
	if (point < 0)
		point = (int)nd;
	point += exp10;
	size_t k = 0;
	if (neg && k < n - 1)
		b[k++] = '-';
	if (point <= 0) {
		b[k++] = '0';
		b[k++] = '.';
		for (int i = 0; i < -point && k < n - 2; i++)
			b[k++] = '0';
		for (size_t i = 0; i < nd && k < n - 1; i++)
			b[k++] = digits[i];
	} else {
		for (int i = 0; i < point && k < n - 2; i++)
			b[k++] = (size_t)i < nd ? digits[i] : '0';
		if ((size_t)point < nd) {
			b[k++] = '.';
			for (size_t i = (size_t)point; i < nd && k < n - 1; i++)
				b[k++] = digits[i];
		}
	}
	b[k] = 0;
}

static int count_values_step(ev *v, aggctx *c)
{
	const pq_vec *in = c->in;
	for (size_t i = 0; i < in->n; i++) {
		char val[400];
		format_value(val, sizeof val, in->e[i].v);
		labels g = group_labels(v, c->n, in->e[i].metric);
		pq_lb_reset(&v->lb, g);
		labels_builder_set(&v->lb, c->label, val);
		labels ls = pq_builder_labels(v, &v->lb);
		if (v->errtype)
			return FL_ENOMEM;
		bool fresh;
		group *gr = get_group(v, c, ls, labels_hash(ls), &fresh);
		if (!gr)
			return FL_ENOMEM;
		gr->count++;
	}
	for (size_t i = 0; i < c->n_g; i++) {
		int rc = pq_vec_push(v, &c->out, c->g[i].metric, c->g[i].count, 0, false);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- k aggregations ----
 *
 * As upstream (engine.go aggregationK), each group keeps a binary heap of
 * input indexes, built with Go's container/heap over functions.go's
 * vectorByValueHeap (topk, limitk, limit_ratio: smallest at the root) or
 * vectorByReverseValueHeap (bottomk: largest at the root); their Less puts
 * NaN below everything. Walking the input in order, topk pushes while the
 * heap holds fewer than k and then replaces the root only by a strictly
 * greater value (or a number over a NaN root); bottomk mirrors it; limitk
 * and limit_ratio only push. Which series survive ties therefore depends
 * on the heap's exact shape, so push (sift up) and replace-the-root (sift
 * down) follow container/heap step for step. The output is each group's
 * heap array in order, for topk/bottomk after sort.Sort(sort.Reverse(heap))
 * with Go's own (unstable) sort, which is what puts tied values where
 * Prometheus puts them. (2.x popped the root and pushed instead of
 * replacing it, and replaced a NaN root by NaN too: its ties can differ;
 * 3.x is the reference. The input order is the selector's, see
 * eval_select.c.)
 */
/* heap position i before j: in->e[h[i]] vs in->e[h[j]], bottomk's heap when rev */
static bool k_less(const pq_vec *in, const size_t *h, size_t i, size_t j, bool rev)
{
	double a = in->e[h[i]].v, b = in->e[h[j]].v;
	return isnan(a) || (rev ? a > b : a < b);
}

static void k_swap(size_t *h, size_t i, size_t j)
{
	size_t t = h[i];
	h[i] = h[j];
	h[j] = t;
}

/* container/heap's up(j) and down(0, n) */
static void k_up(const pq_vec *in, size_t *h, size_t j, bool rev)
{
	while (j > 0 && k_less(in, h, j, (j - 1) / 2, rev)) {
		k_swap(h, j, (j - 1) / 2);
		j = (j - 1) / 2;
	}
}

static void k_down(const pq_vec *in, size_t *h, size_t n, bool rev)
{
	for (size_t i = 0;;) {
		size_t j = 2 * i + 1;
		if (j >= n)
			return;
		if (j + 1 < n && k_less(in, h, j + 1, j, rev))
			j++;
		if (!k_less(in, h, j, i, rev))
			return;
		k_swap(h, i, j);
		i = j;
	}
}

/* sort.Sort(sort.Reverse(heap)) (lib/gosort.h): Less(i, j) is the heap's Less(j, i) */
typedef struct ksort {
	const pq_vec *in; /* elements the indexes point into */
	size_t *h;        /* the heap being sorted */
	bool rev;         /* bottomk's heap */
} ksort;

static bool ks_less(void *ctx, size_t i, size_t j)
{
	const ksort *k = ctx;
	return k_less(k->in, k->h, j, i, k->rev);
}

static void ks_swap(void *ctx, size_t i, size_t j) { k_swap(((ksort *)ctx)->h, i, j); }

static void k_sort(const pq_vec *in, size_t *h, size_t n, bool rev)
{
	ksort ks = {in, h, rev};
	go_sort(&(go_sort_iface){&ks, ks_less, ks_swap}, n);
}

/* Offer an input element to a group's heap (aggregationK's per-sample step).
 *   v     the evaluation (allocation, errors)
 *   c     the aggregation; c->in holds the element
 *   g     the element's group
 *   i     the element's index in c->in
 *   k     the heap's bound (UINT64_MAX for limit_ratio)
 *   keep  limit_ratio's sampling verdict (true for the others) */
static int k_offer(ev *v, aggctx *c, group *g, size_t i, uint64_t k, bool keep)
{
	const pq_vec *in = c->in;
	bool rev = c->op == AGG_BOTTOMK;
	if ((c->op == AGG_TOPK || c->op == AGG_BOTTOMK) && g->n_idx == k) {
		double root = in->e[g->idx[0]].v, x = in->e[i].v;
		if ((rev ? root > x : root < x) || (isnan(root) && !isnan(x))) {
			g->idx[0] = i;
			k_down(in, g->idx, g->n_idx, rev);
		}
		return 0;
	}
	if (!keep || g->n_idx == k)
		return 0;
	size_t *ni = pq_grow(v->a, g->idx, &g->cap_idx, g->n_idx + 1, sizeof *ni);
	if (!ni)
		return pq_nomem(v);
	g->idx = ni;
	g->idx[g->n_idx++] = i;
	k_up(in, g->idx, g->n_idx - 1, rev);
	return 0;
}

static int k_step(ev *v, aggctx *c)
{
	const pq_vec *in = c->in;
	double p = c->param;
	uint64_t k = UINT64_MAX; /* limit_ratio: unbounded */
	if (c->op == AGG_LIMIT_RATIO) {
		if (isnan(p))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC, "Ratio value is NaN");
		if (p < -1 || p > 1) {
			pq_annotate(v, false, "ratio value should be between -1 and 1, got %s, capping to %s", pq_g(v, p),
				    p < -1 ? "-1" : "1");
			p = p < -1 ? -1 : 1;
		}
	} else {
		if (isnan(p))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC, "Parameter value is NaN");
		if (p >= 9223372036854775807.0 || p <= -9223372036854775808.0)
			return pq_fail(v, PE_EXECUTION, FL_EEXEC, "Scalar value %s overflows int64", pq_g(v, p));
		if ((int64_t)p < 1)
			return 0;
		k = (uint64_t)(int64_t)p;
	}
	for (size_t i = 0; i < in->n; i++) {
		bool keep = true;
		if (c->op == AGG_LIMIT_RATIO) {
			double off = (double)labels_hash(in->e[i].metric) / 18446744073709551615.0;
			keep = p >= 0 ? off < p : off >= 1 + p;
		}
		bool fresh;
		group *g = get_group(v, c, in->e[i].metric, cached_key(c, &in->e[i]), &fresh);
		if (!g || k_offer(v, c, g, i, k, keep))
			return FL_ENOMEM;
	}
	for (size_t gi = 0; gi < c->n_g; gi++) {
		group *g = &c->g[gi];
		if (c->op == AGG_TOPK || c->op == AGG_BOTTOMK)
			k_sort(in, g->idx, g->n_idx, c->op == AGG_BOTTOMK);
		for (size_t j = 0; j < g->n_idx; j++) {
			const pq_elem *e = &in->e[g->idx[j]];
			int rc = pq_vec_push(v, &c->out, e->metric, e->v, 0, e->drop_name);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int agg_step(ev *v, aggctx *c)
{
	c->n_g = 0;
	c->out.n = 0;
	pq_map_free(&c->map);
	if (c->op == AGG_COUNT_VALUES)
		return count_values_step(v, c);
	if (c->op == AGG_TOPK || c->op == AGG_BOTTOMK || c->op == AGG_LIMITK || c->op == AGG_LIMIT_RATIO)
		return k_step(v, c);
	const pq_vec *in = c->in;
	for (size_t i = 0; i < in->n; i++) {
		const pq_elem *e = &in->e[i];
		uint64_t key = cached_key(c, e);
		bool fresh;
		size_t *slot = pq_map_get(&c->map, key);
		group *g;
		if (slot) {
			g = &c->g[*slot];
			fresh = false;
		} else {
			if (!c->have_glab[e->sidx]) {
				c->glab[e->sidx] = group_labels(v, c->n, e->metric);
				c->have_glab[e->sidx] = true;
			}
			labels gl = c->glab[e->sidx];
			if (v->errtype)
				return FL_ENOMEM;
			g = get_group(v, c, gl, key, &fresh);
			if (!g)
				return FL_ENOMEM;
		}
		g->count++;
		g->drop = g->drop || e->drop_name;
		add_float(v, c, g, e->v, fresh);
	}
	for (size_t i = 0; i < c->n_g; i++) {
		bool has_name = labels_get(c->g[i].metric, LABEL_NAME) != NULL;
		int rc = pq_vec_push(v, &c->out, c->g[i].metric, group_result(c, &c->g[i]), 0,
				     has_name && c->g[i].drop);
		if (rc)
			return rc;
	}
	return v->errtype ? FL_ENOMEM : 0;
}


int pq_eval_aggregate(ev *v, const node *n, pq_val *out)
{
	aggctx c;
	memset(&c, 0, sizeof c);
	c.n = n;
	c.op = n->agg.op;
	pq_map_init(&c.map);
	pq_val param = {0}, in;
	int rc = 0;
	if (n->agg.param && (rc = pq_eval(v, n->agg.param, &param)))
		return rc;
	if (c.op == AGG_COUNT_VALUES) {
		c.label = param.str ? param.str : "";
		if (!pq_valid_label_name(c.label))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC, "invalid label name %s", pq_quote(v, c.label));
	}
	if ((rc = pq_eval(v, n->agg.expr, &in)))
		return rc;
	pq_stepper st;
	pq_vec vec = {0};
	pq_collect col;
	pq_collect_init(&col);
	if ((rc = pq_stepper_init(v, &st, &in.m)))
		return rc;
	c.keys = arena_alloc(v->a, (in.m.n ? in.m.n : 1) * sizeof *c.keys);
	c.have_key = arena_calloc(v->a, in.m.n ? in.m.n : 1, sizeof *c.have_key);
	c.glab = arena_alloc(v->a, (in.m.n ? in.m.n : 1) * sizeof *c.glab);
	c.have_glab = arena_calloc(v->a, in.m.n ? in.m.n : 1, sizeof *c.have_glab);
	if (!c.keys || !c.have_key || !c.glab || !c.have_glab)
		return pq_nomem(v);
	bool warned = false;
	for (size_t i = 0; i < pq_nsteps(v) && !rc; i++) {
		int64_t ts = pq_step_ts(v, i);
		if ((rc = pq_stepper_at(v, &st, ts, &vec)))
			break;
		c.in = &vec;
		c.param = param.type == PT_SCALAR ? param.sc[i] : 0;
		if (c.op == AGG_QUANTILE && !warned && (c.param < 0 || c.param > 1 || isnan(c.param))) {
			pq_annotate(v, false, "quantile value should be between 0 and 1, got %s", pq_g(v, c.param));
			warned = true;
		}
		rc = agg_step(v, &c);
		if (!rc)
			rc = pq_collect_step(v, &col, &c.out, ts);
		if (!rc)
			rc = pq_check(v);
	}
	pq_map_free(&c.map);
	pq_collect_done(&col, out);
	return rc;
}
