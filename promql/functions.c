/*
 * functions.c - PromQL function calls on instant vectors and scalars
 * (Prometheus promql/functions.go): math, clamp, round, date functions,
 * scalar/vector/time/pi, absent, label_replace/label_join, sort*, and the
 * dispatch to range-vector functions (functions_range.c) and
 * histogram_quantile (quantile.c).
 *
 * Dispatch: the call node holds its functions.def row (resolved once by the
 * parser); the engine indexes fn_impls[] (expanded from the same rows) by
 * the row's FN_<name> id. A row's impl column names either a whole-call
 * evaluator (EVAL) or a step function (STEP, MATH: one shared step applying
 * the row's f(double)); no function is looked up by name here.
 *
 * Step-wise calls are evaluated step by step over the grid: vector arguments through
 * a per-series cursor, scalars per step, strings once; each step's output is
 * collected into series (so a label function producing two identical
 * labelsets at one step fails as upstream does).
 *
 * Name handling (3.x delayed removal): functions not flagged FNF_KEEP_NAME
 * mark their outputs drop_name; label_replace/label_join writing __name__
 * clear the mark.
 */
#include "promql/value.h"
#include "lib/gosort.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include "tsdb/regex_errors.h"
#include <assert.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <time.h>

typedef struct fn_impl fn_impl;

typedef struct fnctx {
	const node *n;          /* the call */
	promql_fn_id id;        /* its function */
	const fn_impl *im;      /* its implementation (fn_impls[id]) */
	pq_val *args;           /* evaluated arguments */
	pq_vec *vecs;           /* per-arg step vectors */
	size_t step;            /* step index */
	int64_t ts;             /* step time */
	pq_vec out;             /* step output */
	pcre2_code *re;         /* label_replace regex (tsdb/regex_errors.h: regex_compile_anchored) */
	labels *lab;            /* label_replace/join: output labels per input series */
	uint8_t *lab_state;     /* 0 not yet, 1 lab[i] set, 2 set and drop_name */
} fnctx;

/* A row of the engine's table (fn_impls[], from functions.def's impl column). */
struct fn_impl {
	int (*eval)(ev *v, const node *n, pq_val *out);  /* evaluates the whole call */
	int (*step)(ev *v, fnctx *c, const pq_vec *in); /* step-wise calls: one step's output, or NULL */
	double (*math)(double);                          /* MATH rows: the element-wise function */
};

static double sc_arg(const fnctx *c, size_t i) { return c->args[i].sc[c->step]; }

/* ---- math: MATH(f) rows (f is a <math.h> function or one of these) ---- */
static double fn_sgn(double x) { return x > 0 ? 1 : x < 0 ? -1 : x; }
static double fn_deg(double x) { return x * 180 / M_PI; }
static double fn_rad(double x) { return x * M_PI / 180; }

static int step_math(ev *v, fnctx *c, const pq_vec *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (pq_vec_push(v, &c->out, in->e[i].metric, c->im->math(in->e[i].v), 0, true))
			return FL_ENOMEM;
	return 0;
}

static int step_date(ev *v, fnctx *c, const pq_vec *in)
{
	pq_vec one = {0};
	if (!in) {
		if (pq_vec_push(v, &one, (labels){NULL, 0}, (double)c->ts / 1000.0, c->ts, false))
			return FL_ENOMEM;
		in = &one;
	}
	for (size_t i = 0; i < in->n; i++) {
		double x = in->e[i].v;
		if (isnan(x) || isinf(x))
			continue;
		time_t t = (time_t)(int64_t)x;
		struct tm tm;
		gmtime_r(&t, &tm);
		double r;
		switch (c->id) {
		case FN_day_of_month:
			r = tm.tm_mday;
			break;
		case FN_day_of_week:
			r = tm.tm_wday;
			break;
		case FN_day_of_year:
			r = tm.tm_yday + 1;
			break;
		case FN_hour:
			r = tm.tm_hour;
			break;
		case FN_minute:
			r = tm.tm_min;
			break;
		case FN_month:
			r = tm.tm_mon + 1;
			break;
		case FN_year:
			r = tm.tm_year + 1900;
			break;
		default: { /* days_in_month */
			assert(c->id == FN_days_in_month);
			static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
			int y = tm.tm_year + 1900;
			bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			r = dm[tm.tm_mon] + (tm.tm_mon == 1 && leap);
		}
		}
		if (pq_vec_push(v, &c->out, in->e[i].metric, r, 0, true))
			return FL_ENOMEM;
	}
	return 0;
}

/* clamp, clamp_max, clamp_min: upstream's clamp(v, lo, hi) =
 * Max(lo, Min(hi, x)) with Go's rules (lib/gomath.h: -0 and NaN as Go has
 * them); clamp_max is clamp(v, -Inf, hi), clamp_min clamp(v, lo, +Inf). */
static int step_clamp(ev *v, fnctx *c, const pq_vec *in)
{
	double lo = -INFINITY, hi = INFINITY;
	if (c->id == FN_clamp) {
		lo = sc_arg(c, 1);
		hi = sc_arg(c, 2);
	} else if (c->id == FN_clamp_min) {
		lo = sc_arg(c, 1);
	} else {
		hi = sc_arg(c, 1);
	}
	if (hi < lo)
		return 0;
	for (size_t i = 0; i < in->n; i++)
		if (pq_vec_push(v, &c->out, in->e[i].metric, go_max(lo, go_min(hi, in->e[i].v)), 0, true))
			return FL_ENOMEM;
	return 0;
}

static int step_round(ev *v, fnctx *c, const pq_vec *in)
{
	double to = c->n->call.n_args > 1 ? sc_arg(c, 1) : 1;
	double inv = 1.0 / to;
	for (size_t i = 0; i < in->n; i++)
		if (pq_vec_push(v, &c->out, in->e[i].metric, floor(in->e[i].v * inv + 0.5) / inv, 0, true))
			return FL_ENOMEM;
	return 0;
}

static int step_timestamp(ev *v, fnctx *c, const pq_vec *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (pq_vec_push(v, &c->out, in->e[i].metric, (double)in->e[i].t / 1000.0, 0, true))
			return FL_ENOMEM;
	return 0;
}

static int step_vector(ev *v, fnctx *c, const pq_vec *in)
{
	return pq_vec_push(v, &c->out, (labels){NULL, 0}, sc_arg(c, 0), 0, false);
}

/* histogram_avg/count/sum/stddev/stdvar: native histograms only, floats
 * are ignored */
static int step_none(ev *v, fnctx *c, const pq_vec *in) { return 0; }

/* ---- absent ---- */
labels pq_absent_labels(ev *v, const node *arg)
{
	labels none = {NULL, 0};
	while (arg->kind == NODE_PAREN)
		arg = arg->paren.expr;
	if (arg->kind == NODE_MATRIX_SELECTOR)
		arg = arg->ms.vs;
	if (arg->kind != NODE_VECTOR_SELECTOR)
		return none;
	labels_builder *b = &v->lb;
	pq_lb_reset(b, none);
	/* names with more than one = matcher get no label */
	for (size_t i = 0; i < arg->vs.n_matchers; i++) {
		const matcher *m = &arg->vs.matchers[i];
		if (m->type != MATCH_EQ || !strcmp(m->name, LABEL_NAME))
			continue;
		bool dup = false;
		for (size_t k = 0; k < arg->vs.n_matchers; k++)
			if (k != i && !strcmp(arg->vs.matchers[k].name, m->name))
				dup = true;
		if (!dup)
			labels_builder_set(b, m->name, m->value);
	}
	return pq_builder_labels(v, b);
}

static int step_absent(ev *v, fnctx *c, const pq_vec *in)
{
	if (in->n)
		return 0;
	labels ls = pq_absent_labels(v, c->n->call.args[0]);
	return v->errtype ? FL_ENOMEM : pq_vec_push(v, &c->out, ls, 1, 0, false);
}

/* ---- label_replace / label_join ---- */
static int compile_re(ev *v, fnctx *c, const char *re)
{
	err e;
	/* 3.x compiles "^(?s:" re ")$" (engine.go evalLabelReplace) */
	if (!(c->re = regex_compile_anchored(re, &e)))
		return pq_fail(v, PE_EXECUTION, FL_EEXEC, "invalid regular expression in label_replace(): %s", re);
	return 0;
}

static int step_label(ev *v, fnctx *c, const pq_vec *in)
{
	const char *dst = c->args[1].str;
	buf b;
	buf_init(&b);
	/* the output labels depend on the input labels only: work them out at
	 * a series' first step (the same pointer then also spares the step
	 * collector a hash) */
	size_t ns = c->args[0].m.n ? c->args[0].m.n : 1;
	if (!c->lab && (!(c->lab = arena_alloc(v->a, ns * sizeof *c->lab)) ||
			!(c->lab_state = arena_calloc(v->a, ns, 1))))
		return pq_nomem(v);
	for (size_t i = 0; i < in->n; i++) {
		const pq_elem *e = &in->e[i];
		if (c->lab_state[e->sidx]) {
			if (pq_vec_push(v, &c->out, c->lab[e->sidx], e->v, 0, c->lab_state[e->sidx] == 2)) {
				buf_reset(&b);
				return FL_ENOMEM;
			}
			continue;
		}
		buf_clear(&b);
		bool set = true;
		if (c->id == FN_label_replace) {
			const char *src = labels_get(e->metric, c->args[3].str);
			src = src ? src : "";
			pcre2_match_data *md = regex_match_data(c->re);
			int rc = md ? regex_match(c->re, src, strlen(src), 0, md) : -1;
			if (rc <= 0)
				set = false;
			else
				regex_expand(&b, c->args[2].str, c->re, src, pcre2_get_ovector_pointer(md), rc);
		} else {
			for (size_t k = 3; k < c->n->call.n_args; k++) {
				const char *x = labels_get(e->metric, c->args[k].str);
				if (k > 3)
					buf_put_str(&b, c->args[2].str);
				buf_put_str(&b, x ? x : "");
			}
		}
		labels m = e->metric;
		bool drop = e->drop_name;
		if (set) {
			pq_lb_reset(&v->lb, e->metric);
			labels_builder_set(&v->lb, dst, buf_cstr(&b));
			m = pq_builder_labels(v, &v->lb);
			if (!strcmp(dst, LABEL_NAME))
				drop = false;
		}
		c->lab[e->sidx] = m;
		c->lab_state[e->sidx] = drop ? 2 : 1;
		if (v->errtype || pq_vec_push(v, &c->out, m, e->v, 0, drop)) {
			buf_reset(&b);
			return FL_ENOMEM;
		}
	}
	buf_reset(&b);
	return 0;
}

/* ---- sorting ---- */

static int natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *x = a, *y = b;
			while (*x == '0')
				x++;
			while (*y == '0')
				y++;
			size_t nx = 0, ny = 0;
			while (isdigit((unsigned char)x[nx]))
				nx++;
			while (isdigit((unsigned char)y[ny]))
				ny++;
			if (nx != ny)
				return nx < ny ? -1 : 1;
			int c = strncmp(x, y, nx);
			if (c)
				return c;
			a = x + nx;
			b = y + ny;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* sort(), sort_desc(): upstream's sort.Sort(sort.Reverse(h)) with h
 * vectorByReverseValueHeap (sort) or vectorByValueHeap (sort_desc), whose
 * Less puts NaN first, so Less(i, j) here is h.Less(j, i); Go's unstable
 * sort (lib/gosort.h) puts equal values where Prometheus does. */
static bool by_value_less(void *ctx, size_t i, size_t j)
{
	const fnctx *c = ctx;
	double x = c->out.e[j].v, y = c->out.e[i].v;
	return isnan(x) || (c->id == FN_sort ? x > y : x < y);
}

static void by_value_swap(void *ctx, size_t i, size_t j)
{
	pq_vec *o = &((fnctx *)ctx)->out;
	pq_elem t = o->e[i];
	o->e[i] = o->e[j];
	o->e[j] = t;
}

/* sort_by_label(_desc) qsort_r comparator (no shared state: queries run
 * concurrently); label sets are unique, so the order is total. */
static int cmp_elems(const void *pa, const void *pb, void *arg)
{
	const pq_elem *a = pa, *b = pb;
	const fnctx *c = arg;
	bool desc = c->id == FN_sort_by_label_desc;
	for (size_t k = 1; k < c->n->call.n_args; k++) {
		const char *x = labels_get(a->metric, c->args[k].str), *y = labels_get(b->metric, c->args[k].str);
		int r = natural_cmp(x ? x : "", y ? y : "");
		if (r)
			return desc ? -r : r;
	}
	int r = labels_compare(a->metric, b->metric);
	return desc ? -r : r;
}

static int step_sort(ev *v, fnctx *c, const pq_vec *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (pq_vec_push(v, &c->out, in->e[i].metric, in->e[i].v, 0, in->e[i].drop_name))
			return FL_ENOMEM;
	if (v->start != v->end || c->out.n < 2) /* order only means something for instant queries */
		return 0;
	if (c->id == FN_sort || c->id == FN_sort_desc)
		go_sort(&(go_sort_iface){c, by_value_less, by_value_swap}, c->out.n);
	else
		qsort_r(c->out.e, c->out.n, sizeof *c->out.e, cmp_elems, c);
	return 0;
}

/* ---- scalar-valued: time(), pi(), scalar(v) ---- */
static int eval_scalar(ev *v, const node *n, pq_val *out)
{
	size_t steps = pq_nsteps(v);
	out->type = PT_SCALAR;
	out->sc = arena_alloc(v->a, steps * sizeof(double));
	if (!out->sc)
		return pq_nomem(v);
	if (n->call.fn->id != FN_scalar) {
		for (size_t i = 0; i < steps; i++)
			out->sc[i] = n->call.fn->id == FN_time ? (double)pq_step_ts(v, i) / 1000.0 : M_PI;
		return 0;
	}
	pq_val arg;
	pq_stepper st;
	pq_vec vec = {0};
	int rc = pq_eval(v, n->call.args[0], &arg);
	if (rc || (rc = pq_stepper_init(v, &st, &arg.m)))
		return rc;
	for (size_t i = 0; i < steps; i++) {
		if ((rc = pq_stepper_at(v, &st, pq_step_ts(v, i), &vec)))
			return rc;
		out->sc[i] = vec.n == 1 ? vec.e[0].v : NAN;
	}
	return 0;
}

static int check_args(ev *v, fnctx *c)
{
	if (c->id == FN_label_replace) {
		int rc = compile_re(v, c, c->args[4].str); /* first, as upstream */
		if (!rc && !pq_valid_label_name(c->args[1].str))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "invalid destination label name in label_replace(): %s", c->args[1].str);
		return rc;
	}
	if (c->id == FN_label_join) {
		if (!pq_valid_label_name(c->args[1].str))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC, "invalid destination label name in label_join(): %s",
				       c->args[1].str);
		for (size_t k = 3; k < c->n->call.n_args; k++)
			if (!pq_valid_label_name(c->args[k].str))
				return pq_fail(v, PE_EXECUTION, FL_EEXEC, "invalid source label name in label_join(): %s",
					       c->args[k].str);
	}
	if (v->start != v->end && c->im->step == step_sort)
		pq_annotate(v, false, "sort is ineffective for range queries since results are always ordered by labels");
	return 0;
}

static int run_steps(ev *v, fnctx *c, pq_val *out)
{
	size_t na = c->n->call.n_args;
	pq_stepper *st = arena_calloc(v->a, na ? na : 1, sizeof *st);
	c->vecs = arena_calloc(v->a, na ? na : 1, sizeof *c->vecs);
	if (!st || !c->vecs)
		return pq_nomem(v);
	int rc = 0;
	for (size_t k = 0; k < na && !rc; k++)
		if (c->args[k].type == PT_VECTOR)
			rc = pq_stepper_init(v, &st[k], &c->args[k].m);
	pq_collect col;
	pq_collect_init(&col);
	for (size_t i = 0; i < pq_nsteps(v) && !rc; i++) {
		c->step = i;
		c->ts = pq_step_ts(v, i);
		c->out.n = 0;
		for (size_t k = 0; k < na && !rc; k++)
			if (c->args[k].type == PT_VECTOR)
				rc = pq_stepper_at(v, &st[k], c->ts, &c->vecs[k]);
		if (!rc)
			rc = c->im->step(v, c, na ? &c->vecs[0] : NULL);
		if (!rc)
			rc = pq_collect_step(v, &col, &c->out, c->ts);
		if (!rc)
			rc = pq_check(v);
	}
	pq_collect_done(&col, out);
	return rc;
}

/* ---- the engine's function table, from functions.def's impl column ---- */
static int eval_steps(ev *v, const node *n, pq_val *out);
static int eval_timestamp(ev *v, const node *n, pq_val *out);

#define IMPL(e, s) {e, s, NULL}
#define MATH(f) {eval_steps, step_math, f}
#define STEP(s) {eval_steps, s, NULL}
#define EVAL(e) {e, NULL, NULL}
static const fn_impl fn_impls[FN_COUNT] = {
#define FN(name, ret, n_args, variadic, a0, a1, a2, a3, a4, flags, impl) [FN_##name] = impl,
#include "promql/functions.def"
#undef FN
};
#undef IMPL
#undef MATH
#undef STEP
#undef EVAL

/* A step-wise call: arguments evaluated, then the row's step function per step. */
static int eval_steps(ev *v, const node *n, pq_val *out)
{
	fnctx c;
	memset(&c, 0, sizeof c);
	c.n = n;
	c.id = n->call.fn->id;
	c.im = &fn_impls[c.id];
	assert(c.im->step);
	c.args = arena_calloc(v->a, n->call.n_args ? n->call.n_args : 1, sizeof *c.args);
	if (!c.args)
		return pq_nomem(v);
	int rc = 0;
	for (size_t k = 0; k < n->call.n_args && !rc; k++)
		rc = pq_eval(v, n->call.args[k], &c.args[k]);
	if (rc)
		return rc;
	rc = check_args(v, &c);
	if (!rc)
		rc = run_steps(v, &c, out);
	if (c.re)
		pcre2_code_free(c.re);
	return rc;
}

/* timestamp(selector) reads the samples' own timestamps (upstream's
 * special case); other arguments go step-wise. */
static int eval_timestamp(ev *v, const node *n, pq_val *out)
{
	const node *a = n->call.args[0];
	while (a->kind == NODE_PAREN)
		a = a->paren.expr;
	if (a->kind != NODE_VECTOR_SELECTOR)
		return eval_steps(v, n, out);
	int rc = pq_select_vector(v, a, true, out);
	for (size_t i = 0; !rc && i < out->m.n; i++)
		out->m.s[i].drop_name = true;
	return rc;
}

int pq_eval_call(ev *v, const node *n, pq_val *out)
{
	const promql_function *f = n->call.fn;
	if (!v->o->enable_experimental_functions && (f->flags & FNF_EXPERIMENTAL))
		return pq_fail(v, PE_BAD_DATA, FL_EINVAL, "function \"%s\" is not enabled", f->name);
	assert(f->id < FN_COUNT && &promql_functions[f->id] == f && fn_impls[f->id].eval);
	return fn_impls[f->id].eval(v, n, out);
}
