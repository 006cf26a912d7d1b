/*
 * eval_binop.c - binary operators (Prometheus engine.go: VectorBinop,
 * VectorscalarBinop, VectorAnd/Or/Unless, resultMetric, vectorElemBinop).
 *
 * Both sides are evaluated over the grid, then combined step by step and
 * the step outputs collected into series (value.c's pq_collect).
 *
 * Vector matching: a side's signature is the hash of its `on(...)` labels,
 * or of all labels but the `ignoring(...)` ones and __name__. The "one" side
 * (rhs, or lhs for group_right, which swaps the sides) must have unique
 * signatures; one-to-one matching must not match an lhs signature twice; a
 * many-to-one result labelset must be unique. Set operators and/or/unless
 * filter by signature. 3.x fill modifiers supply a value for an unmatched
 * side. Arithmetic and `bool` comparisons mark results for delayed
 * __name__ removal; plain comparisons filter and keep the lhs element.
 */
#include "promql/value.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>

typedef struct binctx {
	promql_op op;            /* operator */
	bool rb;                 /* bool modifier */
	const vector_matching *vm; /* matching, never NULL here */
	pq_map rsig, lsig, seen; /* scratch maps */
	pq_vec out;              /* step output */
} binctx;

static bool is_arith(promql_op op) { return op >= OP_ADD && op <= OP_ATAN2; }

/* vectorElemBinop: value and whether to keep (comparisons). */
static double elem_op(promql_op op, double l, double r, bool *keep)
{
	*keep = true;
	switch (op) {
	case OP_ADD: return l + r;
	case OP_SUB: return l - r;
	case OP_MUL: return l * r;
	case OP_DIV: return l / r;
	case OP_MOD: return fmod(l, r);
	case OP_POW: return pow(l, r);
	case OP_ATAN2: return atan2(l, r);
	case OP_EQLC: *keep = l == r; return l;
	case OP_NEQ: *keep = l != r; return l;
	case OP_GTR: *keep = l > r; return l;
	case OP_LSS: *keep = l < r; return l;
	case OP_GTE: *keep = l >= r; return l;
	case OP_LTE: *keep = l <= r; return l;
	default: *keep = false; return NAN;
	}
}

static uint64_t sig(const vector_matching *vm, labels ls)
{
	return labels_hash_for(ls, vm->labels, vm->n_labels, vm->on);
}

/* Labels that take part in matching (MatchLabels): for messages and fill. */
static labels match_labels(ev *v, const vector_matching *vm, labels ls)
{
	labels_builder *b = &v->lb;
	pq_lb_reset(b, ls);
	for (size_t i = 0; i < ls.n; i++) {
		bool in = false;
		for (size_t k = 0; k < vm->n_labels; k++)
			if (!strcmp(vm->labels[k], ls.v[i].name))
				in = true;
		if (vm->on ? !in : (in || !strcmp(ls.v[i].name, LABEL_NAME)))
			labels_builder_del(b, ls.v[i].name);
	}
	return pq_builder_labels(v, b);
}

static const char *fmt_labels(ev *v, labels ls)
{
	buf b;
	buf_init(&b);
	labels_format(&b, ls);
	const char *s = arena_strdup(v->a, buf_cstr(&b));
	buf_reset(&b);
	return s ? s : "";
}

static labels result_metric(ev *v, const vector_matching *vm, labels l, labels r)
{
	labels_builder *b = &v->lb;
	pq_lb_reset(b, l);
	if (vm->card == CARD_ONE_TO_ONE) {
		if (vm->on) {
			for (size_t i = 0; i < l.n; i++) {
				bool in = false;
				for (size_t k = 0; k < vm->n_labels; k++)
					if (!strcmp(vm->labels[k], l.v[i].name))
						in = true;
				if (!in)
					labels_builder_del(b, l.v[i].name);
			}
		} else {
			for (size_t k = 0; k < vm->n_labels; k++)
				labels_builder_del(b, vm->labels[k]);
		}
	}
	for (size_t k = 0; k < vm->n_include; k++) {
		const char *x = labels_get(r, vm->include[k]);
		if (x && *x)
			labels_builder_set(b, vm->include[k], x);
		else
			labels_builder_del(b, vm->include[k]);
	}
	return pq_builder_labels(v, b);
}

static int set_op(ev *v, binctx *c, const pq_vec *l, const pq_vec *r)
{
	bool found;
	pq_map *m = &c->rsig;
	pq_map_free(m);
	const pq_vec *keyside = c->op == OP_LOR ? l : r;
	for (size_t i = 0; i < keyside->n; i++)
		if (!pq_map_put(m, sig(c->vm, keyside->e[i].metric), &found))
			return pq_nomem(v);
	int rc = 0;
	for (size_t i = 0; i < l->n && !rc; i++) {
		bool in = pq_map_get(m, sig(c->vm, l->e[i].metric)) != NULL;
		if (c->op == OP_LOR || (c->op == OP_LAND) == in)
			rc = pq_vec_push(v, &c->out, l->e[i].metric, l->e[i].v, 0, l->e[i].drop_name);
	}
	if (c->op == OP_LOR)
		for (size_t i = 0; i < r->n && !rc; i++)
			if (!pq_map_get(m, sig(c->vm, r->e[i].metric)))
				rc = pq_vec_push(v, &c->out, r->e[i].metric, r->e[i].v, 0, r->e[i].drop_name);
	return rc;
}

/* One matched (or filled) pair; ls is the "many" side. */
static int emit(ev *v, binctx *c, const pq_elem *ls, const pq_elem *rs, bool swapped, uint64_t s)
{
	double lv = ls->v, rv = rs->v;
	if (swapped) {
		double t = lv;
		lv = rv;
		rv = t;
	}
	labels m = result_metric(v, c->vm, ls->metric, rs->metric);
	if (v->errtype)
		return FL_ENOMEM;
	/* cardinality checks come before comparison filtering (engine.go) */
	bool found;
	if (c->vm->card == CARD_ONE_TO_ONE) {
		size_t *slot = pq_map_put(&c->seen, s, &found);
		if (!slot)
			return pq_nomem(v);
		if (found)
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
	} else {
		size_t *slot = pq_map_put(&c->seen, labels_hash(m) ^ (s * 31), &found);
		if (!slot)
			return pq_nomem(v);
		if (found)
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "multiple matches for labels: grouping labels must ensure unique matches");
	}
	bool keep;
	double val = elem_op(c->op, lv, rv, &keep);
	if (c->rb) {
		val = keep ? 1 : 0;
		keep = true;
	}
	if (!keep)
		return 0;
	bool drop = c->rb || is_arith(c->op) || ls->drop_name;
	return pq_vec_push(v, &c->out, m, val, 0, drop);
}

static int match_op(ev *v, binctx *c, const pq_vec *l0, const pq_vec *r0)
{
	const vector_matching *vm = c->vm;
	bool swapped = vm->card == CARD_ONE_TO_MANY;
	const pq_vec *l = swapped ? r0 : l0, *r = swapped ? l0 : r0;
	/* fill values apply to the sides as matched (after the group_right
	 * swap), as engine.go does */
	bool fill_r = vm->has_fill_right, fill_l = vm->has_fill_left;
	double fv_r = vm->fill_right, fv_l = vm->fill_left;
	bool found;
	pq_map_free(&c->rsig);
	pq_map_free(&c->seen);
	pq_map_free(&c->lsig);
	for (size_t i = 0; i < r->n; i++) {
		size_t *slot = pq_map_put(&c->rsig, sig(vm, r->e[i].metric), &found);
		if (!slot)
			return pq_nomem(v);
		if (found) {
			const pq_elem *d = &r->e[*slot];
			return pq_fail(v, PE_EXECUTION, FL_EEXEC,
				       "found duplicate series for the match group %s on the %s hand-side of the operation: [%s, %s];many-to-many matching not allowed: matching labels must be unique on one side",
				       fmt_labels(v, match_labels(v, vm, r->e[i].metric)), swapped ? "left" : "right",
				       fmt_labels(v, r->e[i].metric), fmt_labels(v, d->metric));
		}
		*slot = i;
	}
	int rc = 0;
	for (size_t i = 0; i < l->n && !rc; i++) {
		uint64_t s = sig(vm, l->e[i].metric);
		if (fill_l && !pq_map_put(&c->lsig, s, &found))
			return pq_nomem(v);
		size_t *slot = pq_map_get(&c->rsig, s);
		if (slot) {
			rc = emit(v, c, &l->e[i], &r->e[*slot], swapped, s);
		} else if (fill_r) {
			pq_elem f = {match_labels(v, vm, l->e[i].metric), fv_r, 0, false, 0};
			rc = emit(v, c, &l->e[i], &f, swapped, s);
		}
	}
	if (fill_l)
		for (size_t i = 0; i < r->n && !rc; i++) {
			uint64_t s = sig(vm, r->e[i].metric);
			if (pq_map_get(&c->lsig, s))
				continue;
			pq_elem f = {match_labels(v, vm, r->e[i].metric), fv_l, 0, false, 0};
			rc = emit(v, c, &f, &r->e[i], swapped, s);
		}
	return rc;
}

static int vec_scalar(ev *v, binctx *c, const pq_vec *vec, double x, bool scalar_left)
{
	for (size_t i = 0; i < vec->n; i++) {
		double l = vec->e[i].v, r = x;
		if (scalar_left) {
			l = x;
			r = vec->e[i].v;
		}
		bool keep;
		double val = elem_op(c->op, l, r, &keep);
		if (promql_op_is_comparison(c->op) && scalar_left)
			val = r; /* keep the vector's value */
		if (c->rb) {
			val = keep ? 1 : 0;
			keep = true;
		}
		if (!keep)
			continue;
		bool drop = c->rb || is_arith(c->op) || vec->e[i].drop_name;
		int rc = pq_vec_push(v, &c->out, vec->e[i].metric, val, 0, drop);
		if (rc)
			return rc;
	}
	return 0;
}

static int scalar_scalar(ev *v, const node *n, pq_val *l, pq_val *r, pq_val *out)
{
	*out = *l;
	for (size_t i = 0; i < pq_nsteps(v); i++) {
		bool keep;
		double x = elem_op(n->binary.op, l->sc[i], r->sc[i], &keep);
		out->sc[i] = promql_op_is_comparison(n->binary.op) ? (keep ? 1 : 0) : x;
	}
	return 0;
}

/* One binary node over its operands' values. */
static int binop(ev *v, const node *n, pq_val *lp, pq_val *rp, pq_val *out)
{
	pq_val l = *lp, r = *rp; /* out may be *lp */
	int rc = 0;
	memset(out, 0, sizeof *out);
	if (l.type == PT_SCALAR && r.type == PT_SCALAR)
		return scalar_scalar(v, n, &l, &r, out);
	static const vector_matching none = {.card = CARD_ONE_TO_ONE};
	binctx c = {.op = n->binary.op, .rb = n->binary.return_bool, .vm = n->binary.vm ? n->binary.vm : &none};
	pq_map_init(&c.rsig);
	pq_map_init(&c.lsig);
	pq_map_init(&c.seen);
	pq_stepper ls = {0}, rs = {0};
	pq_vec lv = {0}, rv = {0};
	pq_collect col;
	pq_collect_init(&col);
	if ((l.type == PT_VECTOR && (rc = pq_stepper_init(v, &ls, &l.m))) ||
	    (r.type == PT_VECTOR && (rc = pq_stepper_init(v, &rs, &r.m))))
		return rc;
	size_t steps = pq_nsteps(v);
	for (size_t i = 0; i < steps && !rc; i++) {
		int64_t ts = pq_step_ts(v, i);
		c.out.n = 0;
		if (l.type == PT_VECTOR)
			rc = pq_stepper_at(v, &ls, ts, &lv);
		if (!rc && r.type == PT_VECTOR)
			rc = pq_stepper_at(v, &rs, ts, &rv);
		if (rc)
			break;
		if (l.type == PT_SCALAR)
			rc = vec_scalar(v, &c, &rv, l.sc[i], true);
		else if (r.type == PT_SCALAR)
			rc = vec_scalar(v, &c, &lv, r.sc[i], false);
		else if (promql_op_is_set(c.op))
			rc = set_op(v, &c, &lv, &rv);
		else
			rc = match_op(v, &c, &lv, &rv);
		if (!rc)
			rc = pq_collect_step(v, &col, &c.out, ts);
		if (!rc)
			rc = pq_check(v);
	}
	pq_map_free(&c.rsig);
	pq_map_free(&c.lsig);
	pq_map_free(&c.seen);
	pq_collect_done(&col, out);
	return rc;
}

/*
 * A chain of binary operators, evaluated without recursion: operands (by
 * pq_eval) in the text's order onto a stack of values, each binary node
 * combining the top two as the walk leaves it. A left-deep chain keeps at
 * most two values; a right-deep one (a ^ b ^ c) one per pending operator.
 */
int pq_eval_binary(ev *v, const node *n, pq_val *out)
{
	pq_val small[4], *st = small;
	size_t sp = 0, cap = FL_ARRAY_LEN(small);
	promql_chain c;
	promql_chain_init(&c, n, NULL);
	int rc = 0;
	while (!rc && promql_chain_next(&c)) {
		if (c.ev == CHAIN_LEAVE) {
			assert(sp >= 2);
			sp -= 2;
			rc = binop(v, c.node, &st[sp], &st[sp + 1], &st[sp]);
			sp++;
			continue;
		}
		if (c.ev != CHAIN_OPERAND)
			continue;
		if (sp == cap) { /* onto the heap, then grown there */
			void *g = st == small ? NULL : st;
			size_t gcap = g ? cap : 0;
			if (!fl_grow(&g, &gcap, sp + 1, sizeof *st)) {
				rc = pq_nomem(v);
				break;
			}
			if (st == small)
				memcpy(g, small, sizeof small);
			st = g;
			cap = gcap;
		}
		rc = pq_eval(v, c.node, &st[sp++]);
	}
	if (!rc && c.oom)
		rc = pq_nomem(v);
	if (!rc) {
		assert(sp == 1);
		*out = st[0];
	}
	promql_chain_free(&c);
	if (st != small)
		fl_free(st);
	return rc;
}
