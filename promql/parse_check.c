/*
 * parse_check.c - type checking of a parsed tree (upstream's checkAST in
 * promql/parser/parse.go): every node gets its result type, and the rules
 * that the grammar alone does not enforce are checked in upstream's order,
 * children first, so the first error reported is upstream's first:
 *
 *   - aggregations take an instant vector; topk/bottomk/quantile/limitk/
 *     limit_ratio a scalar parameter, count_values a string one;
 *   - binary operators: bool only on comparisons; scalar-scalar
 *     comparisons need bool; operands are scalars or instant vectors; set
 *     operators are many-to-many, between vectors only, without grouping or
 *     fill; vector matching only between vectors (else vm becomes NULL);
 *   - calls: argument counts and types from functions.def, info()'s
 *     second argument is a label-only selector;
 *   - unary operators on scalars or vectors; subqueries on vectors;
 *   - selectors: the metric name is set once, and at least one matcher
 *     does not match the empty string.
 */
#include "promql/parse.h"

#include <stdio.h>

static promql_type check(parser *p, node *n, bool bypass_empty);

static void expect_type(parser *p, node *n, promql_type want, const char *ctx)
{
	promql_type t = check(p, n, false);
	if (t != want)
		parse__fail(p, n->pos, "expected type %s in %s, got %s", promql_type_name(want), ctx, promql_type_name(t));
}

/* Position of the operator of a binary expression (upstream's opRange). */
static int op_pos(parser *p, const node *n)
{
	int i = n->binary.lhs->end;
	while (p->in[i] == ' ' || p->in[i] == '\t' || p->in[i] == '\n' || p->in[i] == '\r')
		i++;
	return i;
}

static void check_binary_matching(parser *p, node *n, promql_type lt, promql_type rt)
{
	vector_matching *vm = n->binary.vm;
	promql_op op = n->binary.op;
	bool fill = vm->has_fill_left || vm->has_fill_right;
	if ((lt != PT_VECTOR || rt != PT_VECTOR)) {
		if (vm->n_labels > 0)
			parse__fail(p, n->pos, "vector matching only allowed between instant vectors");
		if (fill)
			parse__fail(p, n->pos, "filling in missing series only allowed between instant vectors");
		n->binary.vm = NULL;
	} else if (promql_op_is_set(op)) {
		if (vm->card == CARD_ONE_TO_MANY || vm->card == CARD_MANY_TO_ONE)
			parse__fail(p, n->pos, "no grouping allowed for \"%s\" operation", promql_op_str(op));
		if (vm->card != CARD_MANY_TO_MANY)
			parse__fail(p, n->pos, "set operations must always be many-to-many");
		if (fill)
			parse__fail(p, n->pos, "filling in missing series not allowed for set operators");
	}
	if ((lt == PT_SCALAR || rt == PT_SCALAR) && promql_op_is_set(op))
		parse__fail(p, n->pos, "set operator \"%s\" not allowed in binary scalar expression", promql_op_str(op));
}

static promql_type check_binary(parser *p, node *n)
{
	promql_type lt = check(p, n->binary.lhs, false);
	promql_type rt = check(p, n->binary.rhs, false);
	promql_op op = n->binary.op;
	vector_matching *vm = n->binary.vm;
	if (n->binary.return_bool && !promql_op_is_comparison(op))
		parse__fail(p, op_pos(p, n), "bool modifier can only be used on comparison operators");
	if (promql_op_is_comparison(op) && !n->binary.return_bool && lt == PT_SCALAR && rt == PT_SCALAR)
		parse__fail(p, op_pos(p, n), "comparisons between scalars must use BOOL modifier");
	if (promql_op_is_set(op) && vm->card == CARD_ONE_TO_ONE)
		vm->card = CARD_MANY_TO_MANY;
	for (size_t i = 0; vm->on && i < vm->n_labels; i++)
		for (size_t j = 0; j < vm->n_include; j++)
			if (!strcmp(vm->labels[i], vm->include[j]))
				parse__fail(p, op_pos(p, n), "label \"%s\" must not occur in ON and GROUP clause at once",
					    vm->labels[i]);
	if (lt != PT_SCALAR && lt != PT_VECTOR)
		parse__fail(p, n->binary.lhs->pos, "binary expression must contain only scalar and instant vector types");
	if (rt != PT_SCALAR && rt != PT_VECTOR)
		parse__fail(p, n->binary.rhs->pos, "binary expression must contain only scalar and instant vector types");
	check_binary_matching(p, n, lt, rt);
	return lt == PT_SCALAR && rt == PT_SCALAR ? PT_SCALAR : PT_VECTOR;
}

static void check_info(parser *p, node *n)
{
	node *a = n->call.args[1];
	if (a->kind != NODE_VECTOR_SELECTOR) {
		promql_type t = check(p, a, false);
		if (t != PT_VECTOR)
			parse__fail(p, n->pos, "expected type instant vector in call to function \"info\", got %s",
				    promql_type_name(t));
		parse__fail(p, a->pos, "expected label selectors only");
	}
	if (a->vs.name)
		parse__fail(p, a->pos, "expected label selectors only, got vector selector instead");
}

static promql_type check_call(parser *p, node *n)
{
	const promql_function *f = n->call.fn;
	size_t got = n->call.n_args;
	size_t n_types = (size_t)f->n_args + (f->variadic != 0 ? 1 : 0);
	if (f->variadic == 0) {
		if (got != (size_t)f->n_args)
			parse__fail(p, n->pos, "expected %d argument(s) in call to \"%s\", got %zu", f->n_args, f->name, got);
	} else if (got < (size_t)f->n_args) {
		parse__fail(p, n->pos, "expected at least %d argument(s) in call to \"%s\", got %zu", f->n_args, f->name,
			    got);
	} else if (f->variadic > 0 && got > (size_t)(f->n_args + f->variadic)) {
		parse__fail(p, n->pos, "expected at most %d argument(s) in call to \"%s\", got %zu",
			    f->n_args + f->variadic, f->name, got);
	}
	bool info = f->id == FN_info && got > 1;
	if (info)
		check_info(p, n);
	for (size_t i = 0; i < got; i++) {
		size_t ti = i;
		if (ti >= n_types) {
			if (f->variadic == 0)
				break;
			ti = n_types - 1;
		}
		promql_type want = f->args[ti];
		promql_type t = check(p, n->call.args[i], info && i == 1);
		if (t != want)
			parse__fail(p, n->call.args[i]->pos, "expected type %s in call to function \"%s\", got %s",
				    promql_type_name(want), f->name, promql_type_name(t));
	}
	return f->ret;
}

static void check_selector(parser *p, node *n, bool bypass_empty)
{
	if (n->vs.name) {
		for (size_t i = 0; i + 1 < n->vs.n_matchers; i++) {
			if (!strcmp(n->vs.matchers[i].name, LABEL_NAME)) {
				buf b;
				buf_init(&b);
				promql__quote(&b, n->vs.name, strlen(n->vs.name));
				buf_put_str(&b, " or ");
				promql__quote(&b, n->vs.matchers[i].value, strlen(n->vs.matchers[i].value));
				char msg[ERR_MSG_CAP];
				snprintf(msg, sizeof msg, "%s", buf_cstr(&b));
				buf_reset(&b);
				parse__fail(p, n->pos, "metric name must not be set twice: %s", msg);
			}
		}
		return;
	}
	if (bypass_empty)
		return;
	for (size_t i = 0; i < n->vs.n_matchers; i++)
		if (!matcher_matches_empty(&n->vs.matchers[i]))
			return;
	parse__fail(p, n->pos, "vector selector must contain at least one non-empty matcher");
}

static promql_type check_node(parser *p, node *n, bool bypass_empty)
{
	promql_type t;
	switch (n->kind) {
	case NODE_NUMBER:
	case NODE_DURATION:
		return PT_SCALAR;
	case NODE_STRING:
		return PT_STRING;
	case NODE_VECTOR_SELECTOR:
		check_selector(p, n, bypass_empty);
		return PT_VECTOR;
	case NODE_MATRIX_SELECTOR:
		check(p, n->ms.vs, false);
		return PT_MATRIX;
	case NODE_SUBQUERY:
		t = check(p, n->sq.expr, false);
		if (t != PT_VECTOR)
			parse__fail(p, n->pos, "subquery is only allowed on instant vector, got %s instead", promql_value_type_name(t));
		return PT_MATRIX;
	case NODE_PAREN:
	case NODE_STEP_INVARIANT:
		return check(p, n->paren.expr, bypass_empty);
	case NODE_UNARY:
		t = check(p, n->unary.expr, false);
		if (t != PT_SCALAR && t != PT_VECTOR)
			parse__fail(p, n->pos,
				    "unary expression only allowed on expressions of type scalar or instant vector, got \"%s\"",
				    promql_type_name(t));
		return t;
	case NODE_BINARY:
		return check_binary(p, n);
	case NODE_AGGREGATE:
		expect_type(p, n->agg.expr, PT_VECTOR, "aggregation expression");
		if (n->agg.op == AGG_COUNT_VALUES)
			expect_type(p, n->agg.param, PT_STRING, "aggregation parameter");
		else if (n->agg.param)
			expect_type(p, n->agg.param, PT_SCALAR, "aggregation parameter");
		return PT_VECTOR;
	case NODE_CALL:
		return check_call(p, n);
	}
	return PT_NONE;
}

static promql_type check(parser *p, node *n, bool bypass_empty)
{
	n->type = check_node(p, n, bypass_empty);
	return n->type;
}

promql_type parse__check(parser *p, node *n) { return check(p, n, false); }
