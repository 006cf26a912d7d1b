/*
 * api_parse_query.c - /api/v1/parse_query (3.x; Prometheus web/api/v1
 * api.go parseQuery and translate_ast.go translateAST): the parsed
 * expression as the JSON tree the UI's tree view draws.
 *
 * Node shapes (Go writes maps, so every object's keys come out sorted):
 *   aggregation    {expr, grouping[], op, param, type, without}
 *   binaryExpr     {bool, lhs, matching, op, rhs, type}; matching is null
 *                  when a side is not a vector, else {card, fillValues:{lhs,
 *                  rhs}, include[], labels[], on}
 *   call           {args[], func:{argTypes[], name, returnType, variadic}, type}
 *   matrixSelector {anchored, matchers[], name, offset, offsetExpr, range,
 *                  rangeExpr, smoothed, startOrEnd, timestamp, type}
 *   subquery       {expr, offset, offsetExpr, range, rangeExpr, startOrEnd,
 *                  step, stepExpr, timestamp, type}
 *   vectorSelector {anchored, matchers[], name, offset, offsetExpr, smoothed,
 *                  startOrEnd, timestamp, type}
 *   durationExpr   {lhs, op, rhs, type, wrapped}
 *   numberLiteral  {type, val} ({duration, type, val} inside a duration
 *                  expression), val as strconv.FormatFloat(v, 'f', -1, 64)
 *   parenExpr {expr, type}, stringLiteral {type, val}, unaryExpr {expr, op, type}
 * Matchers are {name, type, value} in parse order (a name written outside
 * the braces is the last, __name__ "="). Durations are milliseconds; a
 * value given by a duration expression reads 0 next to its *Expr; timestamp
 * is the @ time in ms or null, startOrEnd "start"/"end" or null. Errors are
 * format_query's: bad_data `invalid parameter "query": <parse error>`.
 * A fill value that is not finite is written null (encoding/json refuses
 * it and upstream fails the request).
 */
#include "web/web.h"


#include "lib/fmtfloat.h"

static void ast(json_w *j, const node *n);

/*
 * json_w nests at most JSON_MAX_DEPTH containers and a query may nest
 * PROMQL_MAX_DEPTH (500) levels (not counting chains of binary operators,
 * see chain()): past half the writer's depth a subtree is written by a
 * fresh writer into its own buffer and spliced in raw.
 */
static bool spliced(json_w *j, void (*fn)(json_w *, const node *), const node *n)
{
	if (j->depth < JSON_MAX_DEPTH / 2)
		return false;
	buf b;
	json_w k;
	buf_init(&b);
	json_init(&k, &b);
	fn(&k, n);
	json_raw(j, (const char *)b.p, b.len);
	buf_reset(&b);
	return true;
}

/* strconv.FormatFloat(v, 'f', -1, 64) */
static void put_f(json_w *j, double v)
{
	char out[FMT_FLOAT_F_MAX];
	json_strn(j, out, (size_t)fmt_go_f(out, v));
}

static void str_list(json_w *j, const char *key, const char *const *v, size_t n)
{
	json_key(j, key);
	json_arr_open(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, v[i]);
	json_arr_close(j);
}

/* translateDurationExpr: duration expressions and their number literals. */
static void dur(json_w *j, const node *n)
{
	static const char *const fn[] = {[DUR_STEP] = "step", [DUR_RANGE] = "range", [DUR_MIN] = "min_of",
					 [DUR_MAX] = "max_of", [DUR_START] = "start", [DUR_END] = "end"};
	if (!n) {
		json_null(j);
		return;
	}
	if (spliced(j, dur, n))
		return;
	if (n->kind != NODE_NUMBER && n->kind != NODE_DURATION) {
		ast(j, n);
		return;
	}
	json_obj_open(j);
	if (n->kind == NODE_NUMBER) {
		json_kbool(j, "duration", n->num_duration);
		json_kstr(j, "type", "numberLiteral");
		json_key(j, "val");
		put_f(j, n->number);
	} else {
		json_key(j, "lhs");
		dur(j, n->dur.lhs);
		json_kstr(j, "op", n->dur.fn == DUR_ARITH ? promql_op_str(n->dur.op) : fn[n->dur.fn]);
		json_key(j, "rhs");
		dur(j, n->dur.rhs);
		json_kstr(j, "type", "durationExpr");
		json_kbool(j, "wrapped", n->dur.wrapped);
	}
	json_obj_close(j);
}

static void at_fields(json_w *j, at_kind at, int64_t at_ms, bool before_ts)
{
	if (before_ts) {
		json_key(j, "startOrEnd");
		if (at == AT_START || at == AT_END)
			json_str(j, at == AT_START ? "start" : "end");
		else
			json_null(j);
		return;
	}
	json_key(j, "timestamp");
	if (at == AT_TIME)
		json_int(j, at_ms);
	else
		json_null(j);
}

/* The fields of a vector selector; range_of is the matrix selector around it, or NULL. */
static void selector(json_w *j, const node *vs, const node *range_of)
{
	json_obj_open(j);
	json_kbool(j, "anchored", vs->vs.anchored);
	json_key(j, "matchers");
	json_arr_open(j);
	for (size_t i = 0; i < vs->vs.n_matchers; i++) {
		static const char *const mt[] = {[MATCH_EQ] = "=", [MATCH_NEQ] = "!=", [MATCH_RE] = "=~", [MATCH_NRE] = "!~"};
		const matcher *m = &vs->vs.matchers[i];
		json_obj_open(j);
		json_kstr(j, "name", m->name);
		json_kstr(j, "type", mt[m->type]);
		json_kstr(j, "value", m->value);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_kstr(j, "name", vs->vs.name ? vs->vs.name : "");
	json_kint(j, "offset", vs->vs.offset_expr ? 0 : vs->vs.offset_ms);
	json_key(j, "offsetExpr");
	dur(j, vs->vs.offset_expr);
	if (range_of) {
		json_kint(j, "range", range_of->ms.range_expr ? 0 : range_of->ms.range_ms);
		json_key(j, "rangeExpr");
		dur(j, range_of->ms.range_expr);
	}
	json_kbool(j, "smoothed", vs->vs.smoothed);
	at_fields(j, vs->vs.at, vs->vs.at_ms, true);
	at_fields(j, vs->vs.at, vs->vs.at_ms, false);
	json_kstr(j, "type", range_of ? "matrixSelector" : "vectorSelector");
	json_obj_close(j);
}

static void subquery(json_w *j, const node *n)
{
	json_obj_open(j);
	json_key(j, "expr");
	ast(j, n->sq.expr);
	json_kint(j, "offset", n->sq.offset_expr ? 0 : n->sq.offset_ms);
	json_key(j, "offsetExpr");
	dur(j, n->sq.offset_expr);
	json_kint(j, "range", n->sq.range_expr ? 0 : n->sq.range_ms);
	json_key(j, "rangeExpr");
	dur(j, n->sq.range_expr);
	at_fields(j, n->sq.at, n->sq.at_ms, true);
	json_kint(j, "step", n->sq.step_expr ? 0 : n->sq.step_ms);
	json_key(j, "stepExpr");
	dur(j, n->sq.step_expr);
	at_fields(j, n->sq.at, n->sq.at_ms, false);
	json_kstr(j, "type", "subquery");
	json_obj_close(j);
}

static void matching(json_w *j, const vector_matching *m)
{
	static const char *const card[] = {[CARD_ONE_TO_ONE] = "one-to-one", [CARD_MANY_TO_ONE] = "many-to-one",
					   [CARD_ONE_TO_MANY] = "one-to-many", [CARD_MANY_TO_MANY] = "many-to-many"};
	if (!m) {
		json_null(j);
		return;
	}
	json_obj_open(j);
	json_kstr(j, "card", card[m->card]);
	json_key(j, "fillValues");
	json_obj_open(j);
	json_key(j, "lhs");
	if (m->has_fill_left)
		json_num(j, m->fill_left);
	else
		json_null(j);
	json_key(j, "rhs");
	if (m->has_fill_right)
		json_num(j, m->fill_right);
	else
		json_null(j);
	json_obj_close(j);
	str_list(j, "include", m->include, m->n_include);
	str_list(j, "labels", m->labels, m->n_labels);
	json_kbool(j, "on", m->on);
	json_obj_close(j);
}

static void call(json_w *j, const node *n)
{
	const promql_function *f = n->call.fn;
	json_obj_open(j);
	json_key(j, "args");
	json_arr_open(j);
	for (size_t i = 0; i < n->call.n_args; i++)
		ast(j, n->call.args[i]);
	json_arr_close(j);
	json_key(j, "func");
	json_obj_open(j);
	json_key(j, "argTypes");
	json_arr_open(j);
	for (size_t i = 0; i < FL_ARRAY_LEN(f->args) && f->args[i] != PT_NONE; i++)
		json_str(j, promql_value_type_name(f->args[i]));
	json_arr_close(j);
	json_kstr(j, "name", f->name);
	json_kstr(j, "returnType", promql_value_type_name(f->ret));
	json_kint(j, "variadic", f->variadic);
	json_obj_close(j);
	json_kstr(j, "type", "call");
	json_obj_close(j);
}

/*
 * A chain of binary operators: binaryExpr objects nest as deep as the chain
 * is long, so the chain is written as text around its operands (each by a
 * fresh writer) and spliced in raw: neither the C stack nor the writer's
 * depth grows with its length.
 */
static void chain(json_w *j, const node *n)
{
	buf b;
	buf_init(&b);
	promql_chain c;
	promql_chain_init(&c, n, NULL);
	while (promql_chain_next(&c)) {
		json_w k;
		json_init(&k, &b);
		switch (c.ev) {
		case CHAIN_ENTER:
			buf_put_str(&b, c.node->binary.return_bool ? "{\"bool\":true,\"lhs\":" : "{\"bool\":false,\"lhs\":");
			break;
		case CHAIN_OPERAND:
			ast(&k, c.node);
			break;
		case CHAIN_OP:
			buf_put_str(&b, ",\"matching\":");
			matching(&k, c.node->binary.vm);
			buf_put_str(&b, ",\"op\":");
			json_str(&k, promql_op_str(c.node->binary.op));
			buf_put_str(&b, ",\"rhs\":");
			break;
		case CHAIN_LEAVE:
			buf_put_str(&b, ",\"type\":\"binaryExpr\"}");
			break;
		}
	}
	if (c.oom)
		b.oom = true;
	promql_chain_free(&c);
	json_raw(j, (const char *)b.p, b.len);
	if (b.oom)
		j->b->oom = true;
	buf_reset(&b);
}

/* translateAST */
static void ast(json_w *j, const node *n)
{
	if (!n) {
		json_null(j);
		return;
	}
	if (spliced(j, ast, n))
		return;
	switch (n->kind) {
	case NODE_VECTOR_SELECTOR:
		selector(j, n, NULL);
		return;
	case NODE_MATRIX_SELECTOR:
		selector(j, n->ms.vs, n);
		return;
	case NODE_SUBQUERY:
		subquery(j, n);
		return;
	case NODE_CALL:
		call(j, n);
		return;
	case NODE_DURATION:
		dur(j, n);
		return;
	case NODE_BINARY:
		chain(j, n);
		return;
	case NODE_STEP_INVARIANT: /* never from the parser; transparent */
		ast(j, n->paren.expr);
		return;
	default:
		break;
	}
	json_obj_open(j);
	switch (n->kind) {
	case NODE_NUMBER:
		json_kstr(j, "type", "numberLiteral");
		json_key(j, "val");
		put_f(j, n->number);
		break;
	case NODE_STRING:
		json_kstr(j, "type", "stringLiteral");
		json_kstr(j, "val", n->string.val);
		break;
	case NODE_PAREN:
	case NODE_UNARY:
		json_key(j, "expr");
		ast(j, n->kind == NODE_PAREN ? n->paren.expr : n->unary.expr);
		if (n->kind == NODE_UNARY)
			json_kstr(j, "op", promql_op_str(n->unary.op));
		json_kstr(j, "type", n->kind == NODE_PAREN ? "parenExpr" : "unaryExpr");
		break;
	case NODE_AGGREGATE:
		json_key(j, "expr");
		ast(j, n->agg.expr);
		str_list(j, "grouping", n->agg.grouping, n->agg.n_grouping);
		json_kstr(j, "op", promql_op_str(n->agg.op));
		json_key(j, "param");
		ast(j, n->agg.param);
		json_kstr(j, "type", "aggregation");
		json_kbool(j, "without", n->agg.without);
		break;
	default:
		break;
	}
	json_obj_close(j);
}

WEB_HANDLER(api_parse_query_handler)
{
	(void)env;
	promql_expr x;
	if (api_parse_query_param(r, w, &x))
		return;
	json_w j;
	api_begin(w, &j);
	ast(&j, x.root);
	api_end(&j, NULL, 0, NULL, 0);
	promql_expr_free(&x);
}
