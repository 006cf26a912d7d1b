/*
 * functions.c - PromQL function calls on instant vectors and scalars
 * (Prometheus promql/functions.go): math, clamp, round, date functions,
 * scalar/vector/time/pi, absent, label_replace/label_join, sort*, and the
 * dispatch to range-vector functions (functions_range.c) and
 * histogram_quantile (quantile.c).
 *
 * Calls are evaluated step by step over the grid: vector arguments through
 * a per-series cursor, scalars per step, strings once; each step's output is
 * collected into series (so a label function producing two identical
 * labelsets at one step fails as upstream does).
 *
 * Name handling (3.x delayed removal): functions not flagged FNF_KEEP_NAME
 * mark their outputs drop_name; label_replace/label_join writing __name__
 * clear the mark.
 */
#include "promql/value.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <time.h>

typedef struct fnctx {
	const node *n;          /* the call */
	const char *name;       /* function name */
	pq_val *args;           /* evaluated arguments */
	pq_vec *vecs;           /* per-arg step vectors */
	size_t step;            /* step index */
	int64_t ts;             /* step time */
	pq_vec out;             /* step output */
	pcre2_code *re;         /* label_replace regex */
	pcre2_match_data *md;   /* its match data */
	labels *lab;            /* label_replace/join: output labels per input series */
	uint8_t *lab_state;     /* 0 not yet, 1 lab[i] set, 2 set and drop_name */
} fnctx;

static bool fn_is(const fnctx *c, const char *name) { return !strcmp(c->name, name); }

static double sc_arg(const fnctx *c, size_t i) { return c->args[i].sc[c->step]; }

/* ---- math ---- */
static double sgn(double x) { return x > 0 ? 1 : x < 0 ? -1 : x; }

static double math1(const char *f, double x)
{
	static const struct {
		const char *name;
		double (*fn)(double);
	} tab[] = {
		{"abs", fabs},   {"ceil", ceil},   {"floor", floor}, {"exp", exp},     {"sqrt", sqrt},
		{"ln", log},     {"log2", log2},   {"log10", log10}, {"sin", sin},     {"cos", cos},
		{"tan", tan},    {"asin", asin},   {"acos", acos},   {"atan", atan},   {"sinh", sinh},
		{"cosh", cosh},  {"tanh", tanh},   {"asinh", asinh}, {"acosh", acosh}, {"atanh", atanh},
		{"sgn", sgn},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(tab); i++)
		if (!strcmp(tab[i].name, f))
			return tab[i].fn(x);
	if (!strcmp(f, "deg"))
		return x * 180 / M_PI;
	if (!strcmp(f, "rad"))
		return x * M_PI / 180;
	return NAN;
}

static bool is_math1(const char *f)
{
	static const char *const names[] = {"abs",  "ceil", "floor", "exp",   "sqrt",  "ln",    "log2", "log10",
					    "sin",  "cos",  "tan",   "asin",  "acos",  "atan",  "sinh", "cosh",
					    "tanh", "asinh", "acosh", "atanh", "sgn",  "deg",   "rad"};
	for (size_t i = 0; i < FL_ARRAY_LEN(names); i++)
		if (!strcmp(names[i], f))
			return true;
	return false;
}

static int date_fn(ev *v, fnctx *c, const pq_vec *in)
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
		if (fn_is(c, "day_of_month"))
			r = tm.tm_mday;
		else if (fn_is(c, "day_of_week"))
			r = tm.tm_wday;
		else if (fn_is(c, "day_of_year"))
			r = tm.tm_yday + 1;
		else if (fn_is(c, "hour"))
			r = tm.tm_hour;
		else if (fn_is(c, "minute"))
			r = tm.tm_min;
		else if (fn_is(c, "month"))
			r = tm.tm_mon + 1;
		else if (fn_is(c, "year"))
			r = tm.tm_year + 1900;
		else { /* days_in_month */
			static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
			int y = tm.tm_year + 1900;
			bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			r = dm[tm.tm_mon] + (tm.tm_mon == 1 && leap);
		}
		if (pq_vec_push(v, &c->out, in->e[i].metric, r, 0, true))
			return FL_ENOMEM;
	}
	return 0;
}

static int simple_fn(ev *v, fnctx *c, const pq_vec *in)
{
	for (size_t i = 0; i < in->n; i++) {
		double x = in->e[i].v, r;
		if (fn_is(c, "clamp")) {
			double lo = sc_arg(c, 1), hi = sc_arg(c, 2);
			if (hi < lo)
				continue;
			/* Go's math.Max/Min: NaN anywhere gives NaN */
			r = (isnan(x) || isnan(lo) || isnan(hi)) ? NAN : fmax(lo, fmin(hi, x));
		} else if (fn_is(c, "clamp_max")) {
			r = fmin(sc_arg(c, 1), x);
			if (isnan(x) || isnan(sc_arg(c, 1)))
				r = NAN;
		} else if (fn_is(c, "clamp_min")) {
			r = fmax(sc_arg(c, 1), x);
			if (isnan(x) || isnan(sc_arg(c, 1)))
				r = NAN;
		} else if (fn_is(c, "round")) {
			double to = c->n->call.n_args > 1 ? sc_arg(c, 1) : 1;
			double inv = 1.0 / to;
			r = floor(x * inv + 0.5) / inv;
		} else if (fn_is(c, "timestamp")) {
			r = (double)in->e[i].t / 1000.0;
		} else {
			r = math1(c->name, x);
		}
		if (pq_vec_push(v, &c->out, in->e[i].metric, r, 0, true))
			return FL_ENOMEM;
	}
	return 0;
}

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

/* ---- label_replace / label_join ---- */
static int compile_re(ev *v, fnctx *c, const char *re)
{
	int ec;
	PCRE2_SIZE off;
	c->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
			      PCRE2_DOTALL | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_NO_UTF_CHECK, &ec,
			      &off, NULL);
	if (!c->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		return pq_fail(v, PE_EXECUTION, FL_EEXEC, "invalid regular expression in label_replace(): %s", re);
	}
	c->md = pcre2_match_data_create_from_pattern(c->re, NULL);
	return c->md ? 0 : pq_nomem(v);
}

/* Go's Regexp.Expand of a template. */
static void expand(buf *out, const char *tmpl, const char *subj, pcre2_code *re, pcre2_match_data *md)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t ng = pcre2_get_ovector_count(md);
	for (const char *p = tmpl; *p;) {
		if (*p != '$') {
			buf_put_byte(out, (uint8_t)*p++);
			continue;
		}
		p++;
		if (*p == '$') {
			buf_put_byte(out, '$');
			p++;
			continue;
		}
		char name[128];
		size_t k = 0;
		bool brace = *p == '{';
		const char *q = brace ? p + 1 : p;
		while (*q && (isalnum((unsigned char)*q) || *q == '_') && k < sizeof name - 1)
			name[k++] = *q++;
		name[k] = 0;
		if (brace && *q != '}') {
			buf_put_byte(out, '$');
			continue;
		}
		if (k == 0) {
			buf_put_byte(out, '$');
			continue;
		}
		p = brace ? q + 1 : q;
		long idx = -1;
		bool num = true;
		for (size_t i = 0; i < k; i++)
			if (!isdigit((unsigned char)name[i]))
				num = false;
		if (num)
			idx = strtol(name, NULL, 10);
		else
			idx = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
		if (idx < 0 || (uint32_t)idx >= ng || ov[2 * idx] == PCRE2_UNSET)
			continue;
		buf_put(out, subj + ov[2 * idx], ov[2 * idx + 1] - ov[2 * idx]);
	}
}

static int label_fn(ev *v, fnctx *c, const pq_vec *in)
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
		if (fn_is(c, "label_replace")) {
			const char *src = labels_get(e->metric, c->args[3].str);
			src = src ? src : "";
			int rc = pcre2_match(c->re, (PCRE2_SPTR)src, strlen(src), 0, 0, c->md, NULL);
			if (rc < 0)
				set = false;
			else
				expand(&b, c->args[2].str, src, c->re, c->md);
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

/* qsort_r comparator (no shared state: queries run concurrently). */
static int cmp_elems(const void *pa, const void *pb, void *arg)
{
	const pq_elem *a = pa, *b = pb;
	const fnctx *c = arg;
	if (fn_is(c, "sort") || fn_is(c, "sort_desc")) {
		bool desc = fn_is(c, "sort_desc");
		if (isnan(a->v) || isnan(b->v)) /* NaN sorts last either way */
			return isnan(a->v) - isnan(b->v);
		if (a->v == b->v)
			return 0;
		return (a->v < b->v) != desc ? -1 : 1;
	}
	bool desc = fn_is(c, "sort_by_label_desc");
	for (size_t k = 1; k < c->n->call.n_args; k++) {
		const char *x = labels_get(a->metric, c->args[k].str), *y = labels_get(b->metric, c->args[k].str);
		int r = natural_cmp(x ? x : "", y ? y : "");
		if (r)
			return desc ? -r : r;
	}
	int r = labels_compare(a->metric, b->metric);
	return desc ? -r : r;
}

static int sort_fn(ev *v, fnctx *c, const pq_vec *in)
{
	for (size_t i = 0; i < in->n; i++)
		if (pq_vec_push(v, &c->out, in->e[i].metric, in->e[i].v, 0, in->e[i].drop_name))
			return FL_ENOMEM;
	if (v->start == v->end && c->out.n > 1) { /* order only means something for instant queries */
		qsort_r(c->out.e, c->out.n, sizeof *c->out.e, cmp_elems, c);
	}
	return 0;
}

/* ---- one step of a call ---- */
static int call_step(ev *v, fnctx *c)
{
	const pq_vec *in0 = c->n->call.n_args ? &c->vecs[0] : NULL;
	const char *f = c->name;
	if (is_math1(f) || !strcmp(f, "clamp") || !strcmp(f, "clamp_max") || !strcmp(f, "clamp_min") ||
	    !strcmp(f, "round") || !strcmp(f, "timestamp"))
		return simple_fn(v, c, in0);
	if (!strcmp(f, "day_of_month") || !strcmp(f, "day_of_week") || !strcmp(f, "day_of_year") ||
	    !strcmp(f, "days_in_month") || !strcmp(f, "hour") || !strcmp(f, "minute") || !strcmp(f, "month") ||
	    !strcmp(f, "year"))
		return date_fn(v, c, in0);
	if (!strcmp(f, "vector"))
		return pq_vec_push(v, &c->out, (labels){NULL, 0}, sc_arg(c, 0), 0, false);
	if (!strcmp(f, "absent")) {
		if (in0->n)
			return 0;
		labels ls = pq_absent_labels(v, c->n->call.args[0]);
		return v->errtype ? FL_ENOMEM : pq_vec_push(v, &c->out, ls, 1, 0, false);
	}
	if (!strcmp(f, "label_replace") || !strcmp(f, "label_join"))
		return label_fn(v, c, in0);
	if (!strncmp(f, "sort", 4))
		return sort_fn(v, c, in0);
	if (!strncmp(f, "histogram_", 10) && strcmp(f, "histogram_quantile") != 0)
		return 0; /* native histograms only: floats are ignored */
	return pq_fail(v, PE_EXECUTION, FL_EUNSUPPORTED, "function %s is not supported", f);
}

static int eval_scalar_fn(ev *v, const node *n, pq_val *args, pq_val *out)
{
	const char *f = n->call.fn->name;
	size_t steps = pq_nsteps(v);
	out->type = PT_SCALAR;
	out->sc = arena_alloc(v->a, steps * sizeof(double));
	if (!out->sc)
		return pq_nomem(v);
	pq_stepper st;
	pq_vec vec = {0};
	if (!strcmp(f, "scalar") && pq_stepper_init(v, &st, &args[0].m))
		return FL_ENOMEM;
	for (size_t i = 0; i < steps; i++) {
		int64_t ts = pq_step_ts(v, i);
		if (!strcmp(f, "time"))
			out->sc[i] = (double)ts / 1000.0;
		else if (!strcmp(f, "pi"))
			out->sc[i] = M_PI;
		else {
			int rc = pq_stepper_at(v, &st, ts, &vec);
			if (rc)
				return rc;
			out->sc[i] = vec.n == 1 ? vec.e[0].v : NAN;
		}
	}
	return 0;
}

static int check_args(ev *v, fnctx *c)
{
	if (fn_is(c, "label_replace")) {
		if (!pq_valid_label_name(c->args[1].str))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "invalid destination label name in label_replace(): %s", c->args[1].str);
		return compile_re(v, c, c->args[4].str);
	}
	if (fn_is(c, "label_join")) {
		if (!pq_valid_label_name(c->args[1].str))
			return pq_fail(v, PE_EXECUTION, FL_EEXEC, "invalid destination label name in label_join(): %s",
				       c->args[1].str);
		for (size_t k = 3; k < c->n->call.n_args; k++)
			if (!pq_valid_label_name(c->args[k].str))
				return pq_fail(v, PE_EXECUTION, FL_EEXEC, "invalid source label name in label_join(): %s",
					       c->args[k].str);
	}
	if (v->start != v->end && (fn_is(c, "sort") || fn_is(c, "sort_desc") || fn_is(c, "sort_by_label") ||
				   fn_is(c, "sort_by_label_desc")))
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
			rc = call_step(v, c);
		if (!rc)
			rc = pq_collect_step(v, &col, &c->out, c->ts);
		if (!rc)
			rc = pq_check(v);
	}
	pq_collect_done(&col, out);
	return rc;
}

int pq_eval_call(ev *v, const node *n, pq_val *out)
{
	const char *f = n->call.fn->name;
	if (!v->o->enable_experimental_functions && (n->call.fn->flags & FNF_EXPERIMENTAL))
		return pq_fail(v, PE_BAD_DATA, FL_EINVAL, "function \"%s\" is not enabled", f);
	if (pq_is_range_fn(f))
		return pq_call_range_fn(v, n, out);
	if (!strcmp(f, "timestamp")) {
		const node *a = n->call.args[0];
		while (a->kind == NODE_PAREN)
			a = a->paren.expr;
		if (a->kind == NODE_VECTOR_SELECTOR) {
			int rc = pq_select_vector(v, a, true, out);
			for (size_t i = 0; !rc && i < out->m.n; i++)
				out->m.s[i].drop_name = true;
			return rc;
		}
	}
	if (!strcmp(f, "info"))
		return pq_eval_info(v, n, out);
	if (!strcmp(f, "histogram_quantile") || !strcmp(f, "histogram_fraction") || !strcmp(f, "histogram_quantiles"))
		return pq_histogram_quantile(v, n, out);
	fnctx c;
	memset(&c, 0, sizeof c);
	c.n = n;
	c.name = f;
	c.args = arena_calloc(v->a, n->call.n_args ? n->call.n_args : 1, sizeof *c.args);
	if (!c.args)
		return pq_nomem(v);
	int rc = 0;
	for (size_t k = 0; k < n->call.n_args && !rc; k++)
		rc = pq_eval(v, n->call.args[k], &c.args[k]);
	if (rc)
		return rc;
	if (n->call.fn->ret == PT_SCALAR)
		return eval_scalar_fn(v, n, c.args, out);
	rc = check_args(v, &c);
	if (!rc)
		rc = run_steps(v, &c, out);
	if (c.md)
		pcre2_match_data_free(c.md);
	if (c.re)
		pcre2_code_free(c.re);
	return rc;
}
