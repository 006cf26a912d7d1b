/*
 * ast.c - the PromQL syntax tree's small pieces (Prometheus
 * promql/parser/ast.go, functions.go, value.go, promql/durations.go): type
 * and operator names, the function table expanded from functions.def,
 * freeing a parsed expression, and the value of a 3.x duration expression.
 *
 * Invariant: promql_functions[i].id == i and the table is sorted by name
 * (functions.def is kept alphabetical), so lookup is a binary search.
 */
#include "promql/ast.h"
#include "lib/gomath.h"

#include <math.h>
#include <stdlib.h>

const char *promql_value_type_name(promql_type t)
{
	switch (t) {
	case PT_SCALAR:
		return "scalar";
	case PT_VECTOR:
		return "vector";
	case PT_MATRIX:
		return "matrix";
	case PT_STRING:
		return "string";
	case PT_NONE:
		break;
	}
	return "none";
}

const char *promql_type_name(promql_type t)
{
	switch (t) {
	case PT_SCALAR:
		return "scalar";
	case PT_VECTOR:
		return "instant vector";
	case PT_MATRIX:
		return "range vector";
	case PT_STRING:
		return "string";
	case PT_NONE:
		break;
	}
	return "none";
}

const char *promql_op_str(promql_op op)
{
	static const char *const names[] = {
		[OP_NONE] = "", [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/",
		[OP_MOD] = "%", [OP_POW] = "^", [OP_ATAN2] = "atan2", [OP_EQLC] = "==", [OP_NEQ] = "!=",
		[OP_GTR] = ">", [OP_LSS] = "<", [OP_GTE] = ">=", [OP_LTE] = "<=", [OP_LAND] = "and",
		[OP_LOR] = "or", [OP_LUNLESS] = "unless", [AGG_SUM] = "sum", [AGG_AVG] = "avg",
		[AGG_COUNT] = "count", [AGG_MIN] = "min", [AGG_MAX] = "max", [AGG_GROUP] = "group",
		[AGG_STDDEV] = "stddev", [AGG_STDVAR] = "stdvar", [AGG_TOPK] = "topk",
		[AGG_BOTTOMK] = "bottomk", [AGG_COUNT_VALUES] = "count_values",
		[AGG_QUANTILE] = "quantile", [AGG_LIMITK] = "limitk", [AGG_LIMIT_RATIO] = "limit_ratio",
		[OP_TRIM_UPPER] = "</", [OP_TRIM_LOWER] = ">/",
	};
	if ((size_t)op < FL_ARRAY_LEN(names) && names[op])
		return names[op];
	return "";
}

/* ---- the function table ---- */

const promql_function promql_functions[] = {
#define FN(name, ret, n_args, variadic, a0, a1, a2, a3, a4, flags, impl) \
	{#name, ret, n_args, variadic, {a0, a1, a2, a3, a4}, flags, FN_##name},
#include "promql/functions.def"
#undef FN
};
const size_t promql_n_functions = FN_COUNT;

static int fn_cmp(const void *key, const void *elem)
{
	return strcmp((const char *)key, ((const promql_function *)elem)->name);
}

const promql_function *promql_function_lookup(const char *name)
{
	return bsearch(name, promql_functions, promql_n_functions, sizeof promql_functions[0], fn_cmp);
}

/* ---- freeing ---- */

static void free_matchers(node *n)
{
	if (!n)
		return;
	switch (n->kind) {
	case NODE_VECTOR_SELECTOR:
		for (size_t i = 0; i < n->vs.n_matchers; i++)
			matcher_reset(&n->vs.matchers[i]);
		n->vs.n_matchers = 0;
		break;
	case NODE_MATRIX_SELECTOR:
		free_matchers(n->ms.vs);
		break;
	case NODE_SUBQUERY:
		free_matchers(n->sq.expr);
		break;
	case NODE_PAREN:
	case NODE_STEP_INVARIANT:
		free_matchers(n->paren.expr);
		break;
	case NODE_UNARY:
		free_matchers(n->unary.expr);
		break;
	case NODE_BINARY:
		free_matchers(n->binary.lhs);
		free_matchers(n->binary.rhs);
		break;
	case NODE_AGGREGATE:
		free_matchers(n->agg.param);
		free_matchers(n->agg.expr);
		break;
	case NODE_CALL:
		for (size_t i = 0; i < n->call.n_args; i++)
			free_matchers(n->call.args[i]);
		break;
	case NODE_NUMBER:
	case NODE_STRING:
	case NODE_DURATION:
		break;
	}
}

void promql_expr_free(promql_expr *x)
{
	if (!x)
		return;
	free_matchers(x->root);
	x->root = NULL;
	x->text = NULL;
	arena_reset(&x->arena);
}

/* ---- duration expressions (promql/durations.go) ---- */

/* Go's math.Min/math.Max (lib/gomath.h), as durations.go uses them. */
static double go_min_max(double l, double r, bool min) { return min ? go_min(l, r) : go_max(l, r); }

int promql_duration_eval(const node *n, const promql_dur_ctx *c, double *secs, err *e)
{
	if (n->kind == NODE_NUMBER) {
		*secs = n->number;
		return 0;
	}
	if (n->kind != NODE_DURATION)
		return err_set(e, FL_EINVAL, "expected number literal or duration expression");
	double l = 0, r = 0;
	int rc;
	switch (n->dur.fn) {
	case DUR_STEP:
		*secs = (double)c->step_ms / 1000.0;
		return 0;
	case DUR_RANGE:
		*secs = (double)(c->end_ms - c->start_ms) / 1000.0;
		return 0;
	case DUR_START:
		*secs = (double)c->start_ms / 1000.0;
		return 0;
	case DUR_END:
		*secs = (double)c->end_ms / 1000.0;
		return 0;
	case DUR_MIN:
	case DUR_MAX:
	case DUR_ARITH:
		break;
	}
	if (n->dur.lhs && (rc = promql_duration_eval(n->dur.lhs, c, &l, e)))
		return rc;
	if ((rc = promql_duration_eval(n->dur.rhs, c, &r, e)))
		return rc;
	if (n->dur.fn == DUR_MIN || n->dur.fn == DUR_MAX) {
		*secs = go_min_max(l, r, n->dur.fn == DUR_MIN);
		return 0;
	}
	if (!n->dur.lhs) {
		*secs = n->dur.op == OP_SUB ? -r : r;
		return 0;
	}
	switch (n->dur.op) {
	case OP_ADD:
		*secs = l + r;
		break;
	case OP_SUB:
		*secs = l - r;
		break;
	case OP_MUL:
		*secs = l * r;
		break;
	case OP_DIV:
		if (r == 0)
			return err_set(e, FL_EINVAL, "division by zero");
		*secs = l / r;
		break;
	case OP_MOD:
		if (r == 0)
			return err_set(e, FL_EINVAL, "modulo by zero");
		*secs = fmod(l, r);
		break;
	case OP_POW:
		*secs = pow(l, r);
		break;
	default:
		return err_set(e, FL_EINVAL, "unexpected duration expression operator %s", promql_op_str(n->dur.op));
	}
	return 0;
}
