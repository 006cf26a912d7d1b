/*
 * print.c - the canonical text of a PromQL tree, byte for byte what
 * Prometheus's String() methods print (promql/parser/printer.go), which
 * /api/v1/format_query returns:
 *
 *   sum by (job) (rate(x{a="b"}[5m] offset 1h))    aggregations: modifier first
 *   a + on (x) group_left (y) b                     binary: single spaces
 *   x{a="b",c!~"d"} @ 123.000 offset -5m            matchers sorted as strings
 *   x[5m:1m] @ start()                              subqueries
 *   1.5, 1e+21 -> 1000000000000000000000, +Inf      numbers: FormatFloat(v,'f',-1)
 *   "a\nb"                                          strings: strconv.Quote
 *   1h30m, 1d, 2w, 90d                              durations: model.Duration
 *
 * Invariant: the output parses back to a tree that prints the same.
 */
#include "promql/ast.h"
#include "promql/lex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void promql_print_duration(buf *b, int64_t ms)
{
	if (ms == 0) {
		buf_put_str(b, "0s");
		return;
	}
	static const struct {
		const char *u;
		int64_t mult;
		bool exact;
	} units[] = {{"y", 365LL * 86400000, true}, {"w", 7LL * 86400000, true}, {"d", 86400000, false},
		     {"h", 3600000, false}, {"m", 60000, false}, {"s", 1000, false}, {"ms", 1, false}};
	for (size_t i = 0; i < FL_ARRAY_LEN(units); i++) {
		if (units[i].exact && ms % units[i].mult != 0)
			continue;
		int64_t v = ms / units[i].mult;
		if (v > 0) {
			buf_printf(b, "%lld%s", (long long)v, units[i].u);
			ms -= v * units[i].mult;
		}
	}
}

/* Shortest round-trip digits of finite v != 0: digits into d, decimal
 * exponent e such that v = 0.d1d2... * 10^e (Go's digs.dp). */
static int shortest_digits(double v, char *d, int *dp)
{
	char tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v || prec == 17)
			break;
	}
	/* tmp = [-]d.ddde[+-]xx */
	const char *s = tmp[0] == '-' ? tmp + 1 : tmp;
	int n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s != '.')
			d[n++] = *s;
	while (n > 1 && d[n - 1] == '0')
		n--;
	d[n] = 0;
	*dp = atoi(s + 1) + 1;
	return n;
}

/* Go's strconv.FormatFloat(v, 'f', -1, 64), or fmt's %v (fmt 'g': the
 * exponent form below 1e-4 and from 1e6, as Println prints). */
static void put_float(buf *b, double v, char fmt)
{
	if (isnan(v)) {
		buf_put_str(b, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_put_str(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		buf_put_str(b, signbit(v) ? "-0" : "0");
		return;
	}
	char d[24];
	int dp;
	int n = shortest_digits(v, d, &dp);
	if (v < 0)
		buf_put_byte(b, '-');
	int exp = dp - 1;
	if (fmt == 'g' && (exp < -4 || exp >= 6)) {
		buf_put_byte(b, d[0]);
		if (n > 1) {
			buf_put_byte(b, '.');
			buf_put(b, d + 1, (size_t)n - 1);
		}
		buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	if (dp <= 0) {
		buf_put_str(b, "0.");
		for (int i = 0; i < -dp; i++)
			buf_put_byte(b, '0');
		buf_put(b, d, (size_t)n);
		return;
	}
	for (int i = 0; i < dp; i++)
		buf_put_byte(b, i < n ? d[i] : '0');
	if (n > dp) {
		buf_put_byte(b, '.');
		buf_put(b, d + dp, (size_t)(n - dp));
	}
}

static bool legacy_label(const char *s)
{
	if (!s[0])
		return false;
	for (int i = 0; s[i]; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static void put_label(buf *b, const char *s)
{
	if (legacy_label(s))
		buf_put_str(b, s);
	else
		promql__quote(b, s, strlen(s));
}

static void put_labels(buf *b, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put_str(b, ", ");
		put_label(b, v[i]);
	}
}

static void put_number(buf *b, const node *n)
{
	if (!n->num_duration) {
		put_float(b, n->number, 'f');
		return;
	}
	double v = n->number;
	if (v < 0) {
		buf_put_byte(b, '-');
		v = -v;
	}
	double ns = v * 1e9;
	promql_print_duration(b, ns >= 9.2e18 ? INT64_MAX / 1000000 : (int64_t)ns / 1000000);
}

static void put_duration_expr(buf *b, const node *n)
{
	if (n->kind != NODE_DURATION) {
		promql_print(b, n);
		return;
	}
	if (n->dur.wrapped)
		buf_put_byte(b, '(');
	switch (n->dur.fn) {
	case DUR_STEP:
		buf_put_str(b, "step()");
		break;
	case DUR_RANGE:
		buf_put_str(b, "range()");
		break;
	case DUR_START:
		buf_put_str(b, "start()");
		break;
	case DUR_END:
		buf_put_str(b, "end()");
		break;
	case DUR_MIN:
	case DUR_MAX:
		buf_put_str(b, n->dur.fn == DUR_MIN ? "min_of(" : "max_of(");
		put_duration_expr(b, n->dur.lhs);
		buf_put_str(b, ", ");
		put_duration_expr(b, n->dur.rhs);
		buf_put_byte(b, ')');
		break;
	case DUR_ARITH:
		if (!n->dur.lhs) {
			if (n->dur.op == OP_SUB)
				buf_put_byte(b, '-');
		} else {
			put_duration_expr(b, n->dur.lhs);
			buf_printf(b, " %s ", promql_op_str(n->dur.op));
		}
		put_duration_expr(b, n->dur.rhs);
		break;
	}
	if (n->dur.wrapped)
		buf_put_byte(b, ')');
}

static void put_at(buf *b, at_kind at, int64_t at_ms)
{
	switch (at) {
	case AT_TIME:
		buf_printf(b, " @ %.3f", (double)at_ms / 1000.0);
		break;
	case AT_START:
		buf_put_str(b, " @ start()");
		break;
	case AT_END:
		buf_put_str(b, " @ end()");
		break;
	case AT_NONE:
		break;
	}
}

/*
 * " offset <d>". A duration expression after offset is parsed greedily when
 * it starts with '(' (`x offset (1m) + 2` offsets by (1m)+2) and stops
 * early otherwise (`x offset 1m + 2` adds 2), so an unparenthesised binary
 * duration expression is printed in parentheses, and a parenthesised one
 * that a binary operator follows (guard) gets upstream's non-greedy
 * `+(...)` form: the text parses back to the same tree.
 */
static void put_offset(buf *b, int64_t off_ms, const node *off_expr, bool guard)
{
	if (off_expr) {
		buf_put_str(b, " offset ");
		bool bin = off_expr->kind == NODE_DURATION && off_expr->dur.fn == DUR_ARITH && off_expr->dur.lhs &&
			   !off_expr->dur.wrapped;
		buf tmp;
		buf_init(&tmp);
		if (bin)
			buf_put_byte(&tmp, '(');
		put_duration_expr(&tmp, off_expr);
		if (bin)
			buf_put_byte(&tmp, ')');
		if (guard && tmp.len && tmp.p[0] == '(')
			buf_put_byte(b, '+');
		buf_put(b, tmp.p, tmp.len);
		buf_reset(&tmp);
	} else if (off_ms > 0) {
		buf_put_str(b, " offset ");
		promql_print_duration(b, off_ms);
	} else if (off_ms < 0) {
		buf_put_str(b, " offset -");
		promql_print_duration(b, -off_ms);
	}
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* name{sorted matchers} without @, anchored/smoothed and offset. */
static void put_selector_core(buf *b, const node *n)
{
	const char *name = n->vs.name;
	if (name)
		buf_put_str(b, name);
	size_t k = 0;
	char **strs = fl_calloc(n->vs.n_matchers + 1, sizeof *strs);
	buf m;
	for (size_t i = 0; strs && i < n->vs.n_matchers; i++) {
		const matcher *mt = &n->vs.matchers[i];
		if (!strcmp(mt->name, LABEL_NAME) && mt->type == MATCH_EQ && name && !strcmp(mt->value, name) &&
		    mt->value[0])
			continue;
		buf_init(&m);
		bool q = !legacy_label(mt->name);
		if (q)
			promql__quote(&m, mt->name, strlen(mt->name));
		else
			buf_put_str(&m, mt->name);
		buf_put_str(&m, matcher_op_str(mt->type));
		promql__quote(&m, mt->value, strlen(mt->value));
		strs[k++] = fl_strdup(buf_cstr(&m));
		buf_reset(&m);
	}
	if (k) {
		qsort(strs, k, sizeof *strs, cmp_str);
		buf_put_byte(b, '{');
		for (size_t i = 0; i < k; i++) {
			if (i)
				buf_put_byte(b, ',');
			buf_put_str(b, strs[i] ? strs[i] : "");
		}
		buf_put_byte(b, '}');
	}
	for (size_t i = 0; i < k; i++)
		fl_free(strs[i]);
	fl_free(strs);
}

static void put_extended(buf *b, const node *vs)
{
	if (vs->vs.anchored)
		buf_put_str(b, " anchored");
	else if (vs->vs.smoothed)
		buf_put_str(b, " smoothed");
}

static void put_matching(buf *b, const vector_matching *vm)
{
	if (!vm)
		return;
	bool grouped = vm->card == CARD_MANY_TO_ONE || vm->card == CARD_ONE_TO_MANY;
	if (vm->n_labels > 0 || vm->on || grouped) {
		buf_put_str(b, vm->on ? " on (" : " ignoring (");
		put_labels(b, vm->labels, vm->n_labels);
		buf_put_byte(b, ')');
	}
	if (grouped) {
		buf_put_str(b, vm->card == CARD_MANY_TO_ONE ? " group_left (" : " group_right (");
		put_labels(b, vm->include, vm->n_include);
		buf_put_byte(b, ')');
	}
	if (vm->fill_same && vm->has_fill_left && vm->has_fill_right) {
		buf_put_str(b, " fill (");
		put_float(b, vm->fill_left, 'g');
		buf_put_byte(b, ')');
		return;
	}
	if (vm->has_fill_left) {
		buf_put_str(b, " fill_left (");
		put_float(b, vm->fill_left, 'g');
		buf_put_byte(b, ')');
	}
	if (vm->has_fill_right) {
		buf_put_str(b, " fill_right (");
		put_float(b, vm->fill_right, 'g');
		buf_put_byte(b, ')');
	}
}

static void print_node(buf *b, const node *n, bool guard);

static void put_aggregate(buf *b, const node *n)
{
	buf_put_str(b, promql_op_str(n->agg.op));
	if (n->agg.without || n->agg.n_grouping > 0) {
		buf_put_str(b, n->agg.without ? " without (" : " by (");
		put_labels(b, n->agg.grouping, n->agg.n_grouping);
		buf_put_str(b, ") ");
	}
	buf_put_byte(b, '(');
	if (n->agg.param) {
		promql_print(b, n->agg.param);
		buf_put_str(b, ", ");
	}
	promql_print(b, n->agg.expr);
	buf_put_byte(b, ')');
}

static void put_subquery(buf *b, const node *n, bool guard)
{
	promql_print(b, n->sq.expr);
	buf_put_byte(b, '[');
	if (n->sq.range_expr)
		put_duration_expr(b, n->sq.range_expr);
	else
		promql_print_duration(b, n->sq.range_ms);
	buf_put_byte(b, ':');
	if (n->sq.step_expr)
		put_duration_expr(b, n->sq.step_expr);
	else if (n->sq.step_ms != 0)
		promql_print_duration(b, n->sq.step_ms);
	buf_put_byte(b, ']');
	put_at(b, n->sq.at, n->sq.at_ms);
	put_offset(b, n->sq.offset_ms, n->sq.offset_expr, guard);
}

void promql_print(buf *b, const node *n) { print_node(b, n, false); }

/* "op bool on (..) group_left (..) fill (..)" */
static void put_binop(buf *b, const node *n)
{
	buf_printf(b, "%s%s", promql_op_str(n->binary.op), n->binary.return_bool ? " bool" : "");
	put_matching(b, n->binary.vm);
}

/*
 * A chain of binary operators; guard as in print_node for its end. With
 * stop, gives up once the text is known to be longer than stop bytes and
 * says so: when it has printed that much, or reached a binary node d levels
 * down (d + 1 binary nodes above and at it print at least 4(d + 1) + 1
 * bytes: " + " and an operand each, plus one operand), so that asking
 * whether a chain fits a line costs O(stop), not the length of its left
 * spine.
 */
static bool print_chain(buf *b, const node *n, bool guard, size_t stop)
{
	size_t from = b->len;
	bool longer = false;
	promql_chain c;
	promql_chain_init(&c, n, NULL);
	while (!longer && promql_chain_next(&c)) {
		if (c.ev == CHAIN_OPERAND) {
			print_node(b, c.node, guard || !c.last);
		} else if (c.ev == CHAIN_OP) {
			buf_put_byte(b, ' ');
			put_binop(b, c.node);
			buf_put_byte(b, ' ');
		}
		longer = b->len - from > stop || (c.ev == CHAIN_ENTER && 4 * (c.depth + 1) + 1 > stop);
	}
	if (c.oom)
		b->oom = true;
	promql_chain_free(&c);
	return longer;
}
/* guard: a binary operator follows the text of n (see put_offset). */
static void print_node(buf *b, const node *n, bool guard)
{
	switch (n->kind) {
	case NODE_NUMBER:
		put_number(b, n);
		break;
	case NODE_STRING:
		promql__quote(b, n->string.val, strlen(n->string.val));
		break;
	case NODE_VECTOR_SELECTOR:
		put_selector_core(b, n);
		put_at(b, n->vs.at, n->vs.at_ms);
		put_extended(b, n);
		put_offset(b, n->vs.offset_ms, n->vs.offset_expr, guard);
		break;
	case NODE_MATRIX_SELECTOR:
		put_selector_core(b, n->ms.vs);
		buf_put_byte(b, '[');
		if (n->ms.range_expr)
			put_duration_expr(b, n->ms.range_expr);
		else
			promql_print_duration(b, n->ms.range_ms);
		buf_put_byte(b, ']');
		put_extended(b, n->ms.vs);
		put_at(b, n->ms.vs->vs.at, n->ms.vs->vs.at_ms);
		put_offset(b, n->ms.vs->vs.offset_ms, n->ms.vs->vs.offset_expr, guard);
		break;
	case NODE_SUBQUERY:
		put_subquery(b, n, guard);
		break;
	case NODE_PAREN:
		buf_put_byte(b, '(');
		promql_print(b, n->paren.expr);
		buf_put_byte(b, ')');
		break;
	case NODE_STEP_INVARIANT:
		print_node(b, n->paren.expr, guard);
		break;
	case NODE_UNARY:
		buf_put_str(b, promql_op_str(n->unary.op));
		print_node(b, n->unary.expr, guard);
		break;
	case NODE_BINARY:
		print_chain(b, n, guard, SIZE_MAX);
		break;
	case NODE_AGGREGATE:
		put_aggregate(b, n);
		break;
	case NODE_CALL:
		buf_put_str(b, n->call.fn->name);
		buf_put_byte(b, '(');
		for (size_t i = 0; i < n->call.n_args; i++) {
			if (i)
				buf_put_str(b, ", ");
			promql_print(b, n->call.args[i]);
		}
		buf_put_byte(b, ')');
		break;
	case NODE_DURATION:
		put_duration_expr(b, n);
		break;
	}
}

/* ---- Pretty(): upstream's promql/parser/prettier.go ---- */

#define PRETTY_MAX_LINE 100 /* upstream's maxCharactersPerLine */

static void indent(buf *b, int level)
{
	for (int i = 0; i < level; i++)
		buf_put_str(b, "  ");
}

/* Upstream's needsSplit: the one-line form is longer than 100 bytes (a
 * chain is printed only that far). */
static bool needs_split(const node *n, bool guard)
{
	buf t;
	buf_init(&t);
	bool split;
	if (n->kind == NODE_BINARY) {
		split = print_chain(&t, n, guard, PRETTY_MAX_LINE);
	} else {
		print_node(&t, n, guard);
		split = t.len > PRETTY_MAX_LINE;
	}
	buf_reset(&t);
	return split;
}

static void pretty(buf *b, const node *n, int level, bool guard, size_t max);

/* A split chain: each binary node that is still too long puts its lhs one
 * level deeper, its operator on a line of its own at its level, its rhs one
 * level deeper (upstream's BinaryExpr.Pretty); a short one fits a line. */
static void pretty_chain(buf *b, const node *n, int level, bool guard, size_t max)
{
	promql_chain c;
	promql_chain_init(&c, n, NULL);
	while (b->len <= max && promql_chain_next(&c)) {
		int lvl = level + (int)c.depth;
		bool g = guard || !c.last;
		switch (c.ev) {
		case CHAIN_ENTER:
			if (c.node != n && !needs_split(c.node, g)) {
				indent(b, lvl);
				print_chain(b, c.node, g, SIZE_MAX);
				promql_chain_skip(&c);
			}
			break;
		case CHAIN_OP:
			buf_put_byte(b, '\n');
			indent(b, lvl);
			put_binop(b, c.node);
			buf_put_byte(b, '\n');
			break;
		case CHAIN_OPERAND:
			pretty(b, c.node, lvl, g, max);
			break;
		case CHAIN_LEAVE:
			break;
		}
	}
	if (c.oom)
		b->oom = true;
	promql_chain_free(&c);
}

static void pretty_aggregate(buf *b, const node *n, int level, size_t max)
{
	buf_put_str(b, promql_op_str(n->agg.op));
	if (n->agg.without || n->agg.n_grouping > 0) {
		buf_put_str(b, n->agg.without ? " without (" : " by (");
		put_labels(b, n->agg.grouping, n->agg.n_grouping);
		buf_put_str(b, ") ");
	}
	buf_put_str(b, "(\n");
	if (n->agg.param) {
		pretty(b, n->agg.param, level + 1, false, max);
		buf_put_str(b, ",\n");
	}
	pretty(b, n->agg.expr, level + 1, false, max);
	buf_put_byte(b, '\n');
	indent(b, level);
	buf_put_byte(b, ')');
}

static void pretty_call(buf *b, const node *n, int level, size_t max)
{
	buf_printf(b, "%s(\n", n->call.fn->name);
	for (size_t i = 0; i < n->call.n_args; i++) {
		if (i)
			buf_put_str(b, ",\n");
		pretty(b, n->call.args[i], level + 1, false, max);
	}
	buf_put_byte(b, '\n');
	indent(b, level);
	buf_put_byte(b, ')');
}

/* The inner expression pretty-printed, then the [range:step] @ offset suffix. */
static void pretty_subquery(buf *b, const node *n, int level, bool guard, size_t max)
{
	pretty(b, n->sq.expr, level, false, max);
	buf whole, inner;
	buf_init(&whole);
	buf_init(&inner);
	put_subquery(&whole, n, guard);
	promql_print(&inner, n->sq.expr);
	buf_put(b, whole.p + inner.len, whole.len - inner.len);
	buf_reset(&whole);
	buf_reset(&inner);
}

/* guard as in print_node: a binary operator follows. Stops soon after b
 * holds more than max bytes: a long chain's form grows with the square of
 * its length (each operator one level deeper). */
static void pretty(buf *b, const node *n, int level, bool guard, size_t max)
{
	if (b->len > max)
		return;
	if (n->kind == NODE_STEP_INVARIANT) {
		pretty(b, n->paren.expr, level, guard, max);
		return;
	}
	if (n->kind == NODE_UNARY) { /* the operand's own indent is dropped */
		buf t;
		buf_init(&t);
		pretty(&t, n->unary.expr, level, guard, max);
		size_t k = 0;
		while (k < t.len && (t.p[k] == ' ' || t.p[k] == '\n' || t.p[k] == '\t'))
			k++;
		indent(b, level);
		buf_put_str(b, promql_op_str(n->unary.op));
		buf_put(b, t.p + k, t.len - k);
		buf_reset(&t);
		return;
	}
	if (!needs_split(n, guard)) {
		if (n->kind != NODE_SUBQUERY) /* upstream: a short subquery is not indented */
			indent(b, level);
		print_node(b, n, guard);
		return;
	}
	switch (n->kind) {
	case NODE_BINARY: /* upstream: a split binary expression adds no indent of its own */
		pretty_chain(b, n, level, guard, max);
		return;
	case NODE_SUBQUERY:
		pretty_subquery(b, n, level, guard, max);
		return;
	default:
		break;
	}
	indent(b, level);
	switch (n->kind) {
	case NODE_AGGREGATE:
		pretty_aggregate(b, n, level, max);
		break;
	case NODE_CALL:
		pretty_call(b, n, level, max);
		break;
	case NODE_PAREN:
		buf_put_str(b, "(\n");
		pretty(b, n->paren.expr, level + 1, false, max);
		buf_put_byte(b, '\n');
		indent(b, level);
		buf_put_byte(b, ')');
		break;
	default: /* selectors, literals: never split */
		print_node(b, n, guard);
		break;
	}
}

bool promql_print_pretty(buf *b, const node *n, size_t max)
{
	size_t from = b->len;
	pretty(b, n, 0, false, from + max);
	return b->len - from <= max;
}
