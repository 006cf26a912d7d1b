/*
 * functions_info.c - the experimental info(v [, selector]) function
 * (Prometheus promql/info.go): enrich series with the data labels of info
 * metrics (target_info by default) that share their identifying labels
 * (instance, job; a missing one counts as "").
 *
 * Per step:
 *  - info series are read like a vector selector (lookback, staleness) with
 *    the selector's matchers, plus __name__="target_info" when it has no
 *    __name__ matcher, or __name__=~".+_info" when it has only negative ones;
 *  - a base series whose name satisfies every __name__ matcher (with at
 *    least one positive) is an info metric itself and passes unchanged;
 *  - per info metric name the series with the newest sample wins;
 *  - the data labels added are the selector's non-__name__ label names, or
 *    all labels but __name__ and the identifying ones; labels the base
 *    already has are kept; two info metrics disagreeing on a label fail;
 *  - with no matching info series the base passes unchanged when every data
 *    matcher accepts "", else it is dropped.
 */
#include "promql/value.h"

#include <stdio.h>

static const char *const ident[] = {"instance", "job"};

static uint64_t ident_sig(labels ls)
{
	return labels_hash_for(ls, ident, 2, true);
}

typedef struct infoctx {
	const node *sel;    /* the selector node (NULL: default) */
	matcher *ms;        /* matchers used for the info series */
	size_t n_ms;
	bool own_name;      /* ms[n_ms - 1] is our __name__="target_info" */
	bool empty_ok;      /* every data matcher accepts "" */
} infoctx;

static bool is_info_metric(const infoctx *c, labels ls)
{
	const char *name = labels_get(ls, LABEL_NAME);
	bool positive = false;
	for (size_t i = 0; i < c->n_ms; i++) {
		const matcher *m = &c->ms[i];
		if (strcmp(m->name, LABEL_NAME))
			continue;
		if (m->type == MATCH_EQ || m->type == MATCH_RE)
			positive = true;
		if (!matcher_matches_str(m, name ? name : ""))
			return false;
	}
	return positive;
}

static bool wanted(const infoctx *c, const char *lname)
{
	bool any = false;
	for (size_t i = 0; i < c->n_ms; i++) {
		if (!strcmp(c->ms[i].name, LABEL_NAME))
			continue;
		any = true;
		if (!strcmp(c->ms[i].name, lname))
			return true;
	}
	if (any)
		return false;
	return strcmp(lname, LABEL_NAME) && strcmp(lname, "instance") && strcmp(lname, "job");
}

/* Enrich one base element with the chosen info elements (ts values). */
static int enrich(ev *v, const infoctx *c, const pq_elem *b, const pq_vec *info, pq_vec *out)
{
	uint64_t sig = ident_sig(b->metric);
	labels_builder *lb = &v->lb;
	pq_lb_reset(lb, b->metric);
	bool matched = false;
	/* newest sample per info metric name */
	for (size_t i = 0; i < info->n; i++) {
		const pq_elem *x = &info->e[i];
		if (ident_sig(x->metric) != sig)
			continue;
		const char *xn = labels_get(x->metric, LABEL_NAME);
		bool newest = true;
		for (size_t k = 0; k < info->n && newest; k++) {
			const pq_elem *y = &info->e[k];
			if (k == i || ident_sig(y->metric) != sig)
				continue;
			const char *yn = labels_get(y->metric, LABEL_NAME);
			if (strcmp(xn ? xn : "", yn ? yn : ""))
				continue;
			if (y->v > x->v || (y->v == x->v && k < i))
				newest = false;
		}
		if (!newest)
			continue;
		matched = true;
		for (size_t j = 0; j < x->metric.n; j++) {
			const label *l = &x->metric.v[j];
			if (!wanted(c, l->name) || labels_get(b->metric, l->name))
				continue;
			const char *have = NULL;
			labels cur = labels_builder_labels(lb);
			have = labels_get(cur, l->name);
			if (have && strcmp(have, l->value))
				return pq_fail(v, PE_EXECUTION, FL_EEXEC,
					       "conflicting label: %s has values %s and %s from different info metrics",
					       l->name, pq_quote(v, have), pq_quote(v, l->value));
			labels_builder_set(lb, l->name, l->value);
		}
	}
	if (!matched)
		return c->empty_ok ? pq_vec_push(v, out, b->metric, b->v, 0, b->drop_name) : 0;
	labels m = pq_builder_labels(v, lb);
	return v->errtype ? FL_ENOMEM : pq_vec_push(v, out, m, b->v, 0, b->drop_name);
}

static int setup(ev *v, const node *n, infoctx *c)
{
	memset(c, 0, sizeof *c);
	const node *sel = n->call.n_args > 1 ? n->call.args[1] : NULL;
	while (sel && sel->kind == NODE_PAREN)
		sel = sel->paren.expr;
	size_t given = sel ? sel->vs.n_matchers : 0;
	bool has_name = false, has_positive = false;
	for (size_t i = 0; i < given; i++)
		if (!strcmp(sel->vs.matchers[i].name, LABEL_NAME)) {
			has_name = true;
			if (sel->vs.matchers[i].type == MATCH_EQ || sel->vs.matchers[i].type == MATCH_RE)
				has_positive = true;
		}
	c->ms = arena_calloc(v->a, given + 1, sizeof *c->ms);
	if (!c->ms)
		return pq_nomem(v);
	for (size_t i = 0; i < given; i++)
		c->ms[i] = sel->vs.matchers[i]; /* borrowed: the tree owns the regexes */
	c->n_ms = given;
	if (!has_positive) {
		/* only negative name matchers: info metrics are the *_info ones */
		err e;
		if (matcher_init(&c->ms[c->n_ms], has_name ? MATCH_RE : MATCH_EQ, LABEL_NAME,
				 has_name ? ".+_info" : "target_info", &e))
			return pq_fail(v, PE_INTERNAL, e.code, "%s", e.msg);
		c->n_ms++;
		c->own_name = true;
	}
	c->empty_ok = true;
	for (size_t i = 0; i < c->n_ms; i++)
		if (strcmp(c->ms[i].name, LABEL_NAME) && !matcher_matches_empty(&c->ms[i]))
			c->empty_ok = false;
	return 0;
}

int pq_eval_info(ev *v, const node *n, pq_val *out)
{
	infoctx c;
	pq_val base, info;
	int rc = setup(v, n, &c);
	if (!rc)
		rc = pq_eval(v, n->call.args[0], &base);
	if (!rc) {
		/* a selector node carrying our matchers, read for sample times */
		node sel;
		memset(&sel, 0, sizeof sel);
		sel.kind = NODE_VECTOR_SELECTOR;
		sel.type = PT_VECTOR;
		sel.vs.matchers = c.ms;
		sel.vs.n_matchers = c.n_ms;
		rc = pq_select_vector(v, &sel, true, &info);
	}
	pq_stepper bs, is;
	pq_vec bv = {0}, iv = {0}, res = {0};
	pq_collect col;
	pq_collect_init(&col);
	if (!rc)
		rc = pq_stepper_init(v, &bs, &base.m);
	if (!rc)
		rc = pq_stepper_init(v, &is, &info.m);
	for (size_t i = 0; !rc && i < pq_nsteps(v); i++) {
		int64_t ts = pq_step_ts(v, i);
		res.n = 0;
		rc = pq_stepper_at(v, &bs, ts, &bv);
		if (!rc)
			rc = pq_stepper_at(v, &is, ts, &iv);
		for (size_t k = 0; !rc && k < bv.n; k++) {
			if (is_info_metric(&c, bv.e[k].metric))
				rc = pq_vec_push(v, &res, bv.e[k].metric, bv.e[k].v, 0, bv.e[k].drop_name);
			else
				rc = enrich(v, &c, &bv.e[k], &iv, &res);
		}
		if (!rc)
			rc = pq_collect_step(v, &col, &res, ts);
		if (!rc)
			rc = pq_check(v);
	}
	if (c.own_name)
		matcher_reset(&c.ms[c.n_ms - 1]);
	pq_collect_done(&col, out);
	return rc;
}
