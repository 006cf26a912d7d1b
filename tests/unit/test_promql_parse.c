/* test_promql_parse.c - promql/parse*.c, lex.c: valid queries (checked
 * through their canonical print and tree fields) and invalid ones (checked
 * through upstream's exact error text, position included). */
#include <stdlib.h>

#include "lib/buf.h"
#include "promql/ast.h"
#include "tests/unit/test.h"

/* Parse q; on success return its printed form (static buffer), on error
 * the error message. */
static const char *run(const char *q, bool *ok)
{
	static char out[4096];
	promql_expr x;
	err e;
	err_clear(&e);
	int rc = promql_parse(q, &x, &e);
	*ok = rc == 0;
	if (rc == 0) {
		buf b;
		buf_init(&b);
		promql_print(&b, x.root);
		snprintf(out, sizeof out, "%s", buf_cstr(&b));
		buf_reset(&b);
	} else {
		if (rc != FL_EPARSE)
			test_fail(__FILE__, __LINE__, "%s: rc %d", q, rc);
		snprintf(out, sizeof out, "%s", e.msg);
	}
	promql_expr_free(&x);
	return out;
}

#define CHECK_OK(q, want)                                                                        \
	do {                                                                                     \
		bool ok_;                                                                        \
		const char *got_ = run(q, &ok_);                                                 \
		if (!ok_)                                                                        \
			test_fail(__FILE__, __LINE__, "%s: unexpected error %s", q, got_);      \
		ASSERT_STR_EQ(got_, want);                                                       \
	} while (0)

#define CHECK_ERR(q, want)                                                                       \
	do {                                                                                     \
		bool ok_;                                                                        \
		const char *got_ = run(q, &ok_);                                                 \
		if (ok_)                                                                         \
			test_fail(__FILE__, __LINE__, "%s: parsed as %s, want error", q, got_); \
		ASSERT_STR_EQ(got_, want);                                                       \
	} while (0)

static void numbers_and_strings(void)
{
	CHECK_OK("1", "1");
	CHECK_OK("+Inf", "+Inf");
	CHECK_OK("-Inf", "-Inf");
	CHECK_OK("inF", "+Inf");
	CHECK_OK("NaN", "NaN");
	CHECK_OK("nan", "NaN");
	CHECK_OK(".5", "0.5");
	CHECK_OK("5.", "5");
	CHECK_OK("123.4567", "123.4567");
	CHECK_OK("5e-3", "0.005");
	CHECK_OK("5e3", "5000");
	CHECK_OK("0x1f", "31");
	CHECK_OK("0X1F", "31");
	CHECK_OK("010", "8");
	CHECK_OK("1_000", "1000");
	CHECK_OK("1e21", "1000000000000000000000");
	CHECK_OK("-1", "-1");
	CHECK_OK("- 1", "-1");
	CHECK_OK("-(1)", "-(1)");
	CHECK_OK("1h30m", "1h30m");
	CHECK_OK("5m", "5m");
	CHECK_OK("-5m", "-5m");
	CHECK_OK("\"double-quoted\"", "\"double-quoted\"");
	CHECK_OK("'single-quoted'", "\"single-quoted\"");
	CHECK_OK("`backtick-quoted`", "\"backtick-quoted\"");
	CHECK_OK("\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\"", "\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\"");
	CHECK_OK("'\\''", "\"'\"");
	CHECK_OK("\"\\x41\\101\\u0041\\U00000041\"", "\"AAAA\"");
	CHECK_OK("`\\n`", "\"\\\\n\"");
	CHECK_OK("\"日本\"", "\"日本\"");
	CHECK_ERR("\"\\c\"", "1:1: parse error: unknown escape sequence U+0063 'c'");
	CHECK_ERR("\"\\x4\"", "1:1: parse error: illegal character U+0022 '\"' in escape sequence");
	CHECK_ERR("\"abc", "1:1: parse error: unterminated quoted string");
	CHECK_ERR("`abc", "1:1: parse error: unterminated raw string");
	CHECK_ERR("1.5s", "1:1: parse error: not a valid duration string: \"1.5s\"");
	CHECK_ERR("1e", "1:1: parse error: bad number or duration syntax: \"1e\"");
	CHECK_ERR("0x", "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"0x\": invalid syntax");
	CHECK_ERR("1..2", "1:1: parse error: bad number or duration syntax: \"1..\"");
	CHECK_ERR("1e400", "1:1: parse error: error parsing number: strconv.ParseFloat: parsing \"1e400\": value out of range");
}

static void selectors(void)
{
	CHECK_OK("foo", "foo");
	CHECK_OK("foo:bar", "foo:bar");
	CHECK_OK("foo{}", "foo");
	CHECK_OK("foo{a=\"b\", c!=\"d\", e=~\"f\", g!~\"h\"}", "foo{a=\"b\",c!=\"d\",e=~\"f\",g!~\"h\"}");
	CHECK_OK("foo{z=\"1\",a=\"2\",}", "foo{a=\"2\",z=\"1\"}");
	CHECK_OK("{__name__=\"foo\"}", "{__name__=\"foo\"}");
	CHECK_OK("{\"foo\"}", "{__name__=\"foo\"}");
	CHECK_OK("{\"my.metric\", \"my.label\"=\"x\"}", "{\"my.label\"=\"x\",__name__=\"my.metric\"}");
	CHECK_OK("foo{by=\"x\", offset=\"y\"}", "foo{by=\"x\",offset=\"y\"}");
	CHECK_OK("by", "by");
	CHECK_OK("sum", "sum");
	CHECK_OK("offset", "offset");
	CHECK_OK("sum{a=\"b\"}", "sum{a=\"b\"}");
	CHECK_OK("foo offset 5m", "foo offset 5m");
	CHECK_OK("foo offset -5m", "foo offset -5m");
	CHECK_OK("foo OFFSET 1h30m", "foo offset 1h30m");
	CHECK_OK("foo offset 90d", "foo offset 90d");
	CHECK_OK("foo offset 14d", "foo offset 2w");
	CHECK_OK("foo offset 3600001ms", "foo offset 1h1ms");
	CHECK_OK("foo offset 1y", "foo offset 1y");
	CHECK_OK("foo offset 5", "foo offset 5s");
	CHECK_OK("foo offset 1.5", "foo offset 1s500ms");
	CHECK_OK("foo @ 123", "foo @ 123.000");
	CHECK_OK("foo @ -1.5", "foo @ -1.500");
	CHECK_OK("foo @ start()", "foo @ start()");
	CHECK_OK("foo @ end() offset 1m", "foo @ end() offset 1m");
	CHECK_OK("foo offset 1m @ 10", "foo @ 10.000 offset 1m");
	CHECK_OK("foo[5m]", "foo[5m]");
	CHECK_OK("foo[5m] offset 1h @ 100", "foo[5m] @ 100.000 offset 1h");
	CHECK_OK("foo[ 5m ]", "foo[5m]");
	CHECK_OK("foo[300]", "foo[5m]");
	CHECK_OK("foo[1.5]", "foo[1s500ms]");
	CHECK_OK("{a=~\".+\"}", "{a=~\".+\"}");
	CHECK_ERR("{}", "1:1: parse error: vector selector must contain at least one non-empty matcher");
	CHECK_ERR("{a=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher");
	CHECK_ERR("{a=~\".*\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher");
	CHECK_ERR("foo{__name__=\"bar\"}", "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"");
	CHECK_ERR("foo{a}", "1:6: parse error: unexpected \"}\" in label matching, expected label matching operator");
	CHECK_ERR("foo{a=}", "1:7: parse error: unexpected \"}\" in label matching, expected string");
	CHECK_ERR("foo{=\"b\"}", "1:5: parse error: unexpected \"=\" in label matching, expected identifier or \"}\"");
	CHECK_ERR("foo{a=\"b\" c=\"d\"}", "1:11: parse error: unexpected identifier \"c\" in label matching, expected \",\" or \"}\"");
	CHECK_ERR("foo{a:b=\"c\"}", "1:6: parse error: unexpected character inside braces: ':'");
	CHECK_ERR("foo{a=\"b\"", "1:10: parse error: unexpected end of input inside braces");
	CHECK_ERR("foo{{", "1:5: parse error: unexpected left brace '{'");
	CHECK_ERR("foo{a!b}", "1:6: parse error: unexpected character after '!' inside braces: 'b'");
	CHECK_ERR("foo[5m] offset 1m offset 2m", "1:1: parse error: offset may not be set multiple times");
	CHECK_ERR("foo offset 1m[5m]", "1:14: parse error: no offset modifiers allowed before range");
	CHECK_ERR("foo @ 1 [5m]", "1:9: parse error: no @ modifiers allowed before range");
	CHECK_ERR("foo @ 1 @ 2", "1:1: parse error: @ <timestamp> may not be set multiple times");
	CHECK_ERR("foo[0s]", "1:5: parse error: duration must be greater than 0");
	CHECK_ERR("foo[5m", "1:7: parse error: unclosed left bracket");
	CHECK_ERR("foo]", "1:4: parse error: unexpected right bracket ']'");
	CHECK_ERR("foo[5m]]", "1:8: parse error: unexpected right bracket ']'");
	CHECK_ERR("foo[5m x]", "1:8: parse error: unexpected character: 'x', expected ':'");
	CHECK_ERR("foo[x]", "1:5: parse error: unexpected character in duration expression: 'x'");
	CHECK_ERR("foo offset bar", "1:12: parse error: unexpected identifier \"bar\" in offset, expected number, duration, step(), or range()");
	CHECK_ERR("foo @ bar", "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp");
	CHECK_ERR("foo @ Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf");
	CHECK_ERR("(foo) offset 5m", "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
	CHECK_ERR("sum(foo) @ 1", "1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
	CHECK_ERR("foo{a=~\"(\"}", "1:5: parse error: error parsing regexp: missing closing ): `(`");
}

static void selector_tree(void)
{
	promql_expr x;
	err e;
	ASSERT_EQ(promql_parse("foo{a=\"b\"}[5m] offset -1m @ 2.5", &x, &e), 0);
	node *n = x.root;
	ASSERT_EQ(n->kind, NODE_MATRIX_SELECTOR);
	ASSERT_EQ(n->type, PT_MATRIX);
	ASSERT_EQ(n->ms.range_ms, 300000);
	node *vs = n->ms.vs;
	ASSERT_EQ(vs->kind, NODE_VECTOR_SELECTOR);
	ASSERT_STR_EQ(vs->vs.name, "foo");
	ASSERT_EQ(vs->vs.n_matchers, 2);
	ASSERT_STR_EQ(vs->vs.matchers[0].name, "a");
	ASSERT_STR_EQ(vs->vs.matchers[1].name, "__name__");
	ASSERT_STR_EQ(vs->vs.matchers[1].value, "foo");
	ASSERT_EQ(vs->vs.offset_ms, -60000);
	ASSERT_EQ(vs->vs.at, AT_TIME);
	ASSERT_EQ(vs->vs.at_ms, 2500);
	ASSERT_EQ(n->pos, 0);
	promql_expr_free(&x);

	ASSERT_EQ(promql_parse("rate(foo[1m])[1h:5m] offset 10m", &x, &e), 0);
	n = x.root;
	ASSERT_EQ(n->kind, NODE_SUBQUERY);
	ASSERT_EQ(n->sq.range_ms, 3600000);
	ASSERT_EQ(n->sq.step_ms, 300000);
	ASSERT_EQ(n->sq.offset_ms, 600000);
	ASSERT_EQ(n->sq.expr->kind, NODE_CALL);
	ASSERT_STR_EQ(n->sq.expr->call.fn->name, "rate");
	ASSERT_EQ(n->sq.expr->type, PT_VECTOR);
	promql_expr_free(&x);
}

static void operators(void)
{
	CHECK_OK("1 + 2 * 3", "1 + 2 * 3");
	CHECK_OK("(1 + 2) * 3", "(1 + 2) * 3");
	CHECK_OK("a or b and c unless d", "a or b and c unless d");
	CHECK_OK("a > bool b", "a > bool b");
	CHECK_OK("1 == bool 1", "1 == bool 1");
	CHECK_OK("a + on(x, y) b", "a + on (x, y) b");
	CHECK_OK("a + on() b", "a + on () b");
	CHECK_OK("a + ignoring() b", "a + b");
	CHECK_OK("a + ignoring(x) b", "a + ignoring (x) b");
	CHECK_OK("a * on(x) group_left(y, z) b", "a * on (x) group_left (y, z) b");
	CHECK_OK("a * ignoring(x) group_right b", "a * ignoring (x) group_right () b");
	CHECK_OK("a / on(x) group_left() b", "a / on (x) group_left () b");
	CHECK_OK("a and on(x) b", "a and on (x) b");
	CHECK_OK("a atan2 b", "a atan2 b");
	CHECK_OK("a + fill(0) b", "a + fill (0) b");
	CHECK_OK("a + fill_left(1) fill_right(-2) b", "a + fill_left (1) fill_right (-2) b");
	CHECK_OK("a + fill_right(2) fill_left(1) b", "a + fill_left (1) fill_right (2) b");
	CHECK_OK("a + on(x) group_left fill(NaN) b", "a + on (x) group_left () fill (NaN) b");
	CHECK_OK("a + fill(1000000) b", "a + fill (1e+06) b");
	CHECK_OK("fill + fill", "fill + fill");
	CHECK_OK("h </ 0.5", "h </ 0.5");
	CHECK_OK("h >/ -1", "h >/ -1");
	CHECK_OK("-foo", "-foo");
	CHECK_OK("+foo", "+foo");
	CHECK_OK("-1 ^ 2", "-1 ^ 2");
	CHECK_OK("foo offset 5m + bar", "foo offset 5m + bar");
	CHECK_ERR("1 == 1", "1:3: parse error: comparisons between scalars must use BOOL modifier");
	CHECK_ERR("a + bool b", "1:3: parse error: bool modifier can only be used on comparison operators");
	CHECK_ERR("1 and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
	CHECK_ERR("a and 1", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
	CHECK_ERR("a and on(x) group_left b", "1:1: parse error: no grouping allowed for \"and\" operation");
	CHECK_ERR("a + on(x) 1", "1:1: parse error: vector matching only allowed between instant vectors");
	CHECK_ERR("a + fill(0) 1", "1:1: parse error: filling in missing series only allowed between instant vectors");
	CHECK_ERR("a or fill(0) b", "1:1: parse error: filling in missing series not allowed for set operators");
	CHECK_ERR("a * on(x) group_left(x) b", "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once");
	CHECK_ERR("foo[5m] + 1", "1:1: parse error: binary expression must contain only scalar and instant vector types");
	CHECK_ERR("1 + foo[5m]", "1:5: parse error: binary expression must contain only scalar and instant vector types");
	CHECK_ERR("\"a\" + 1", "1:1: parse error: binary expression must contain only scalar and instant vector types");
	CHECK_ERR("-foo[5m]", "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"range vector\"");
	CHECK_ERR("-\"a\"", "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"string\"");
	CHECK_ERR("1 +", "1:4: parse error: unexpected end of input");
	CHECK_ERR("1 + )", "1:6: parse error: unexpected right parenthesis ')'");
	CHECK_ERR("foo bar", "1:5: parse error: unexpected identifier \"bar\"");
	CHECK_ERR("(1", "1:3: parse error: unclosed left parenthesis");
	CHECK_ERR("1)", "1:3: parse error: unexpected right parenthesis ')'");
	CHECK_ERR("a + group_left b", "1:5: parse error: unexpected <group_left>");
	CHECK_ERR("a + on x b", "1:8: parse error: unexpected identifier \"x\" in grouping opts, expected \"(\"");
	CHECK_ERR("1 =~ 1", "1:3: parse error: unexpected character after '=': '~'");
	CHECK_ERR("1 !! 1", "1:3: parse error: unexpected character after '!': '!'");
	CHECK_ERR("1 $ 1", "1:3: parse error: unexpected character: '$'");
	CHECK_ERR("", "1:1: parse error: no expression found in input");
	CHECK_ERR("  # just a comment", "1:1: parse error: no expression found in input");
}

static void precedence_tree(void)
{
	promql_expr x;
	err e;
	/* a + b * c ^ d ^ e: + at the top, ^ right-associative */
	ASSERT_EQ(promql_parse("a + b * c ^ d ^ e", &x, &e), 0);
	node *n = x.root;
	ASSERT_EQ(n->binary.op, OP_ADD);
	ASSERT_EQ(n->binary.rhs->binary.op, OP_MUL);
	node *pw = n->binary.rhs->binary.rhs;
	ASSERT_EQ(pw->binary.op, OP_POW);
	ASSERT_EQ(pw->binary.lhs->kind, NODE_VECTOR_SELECTOR);
	ASSERT_EQ(pw->binary.rhs->binary.op, OP_POW);
	promql_expr_free(&x);
	/* a - b - c is left-associative */
	ASSERT_EQ(promql_parse("a - b - c", &x, &e), 0);
	ASSERT_EQ(x.root->binary.lhs->kind, NODE_BINARY);
	promql_expr_free(&x);
	/* -a * b: unary binds like * (left) */
	ASSERT_EQ(promql_parse("-a * b", &x, &e), 0);
	ASSERT_EQ(x.root->kind, NODE_BINARY);
	ASSERT_EQ(x.root->binary.lhs->kind, NODE_UNARY);
	promql_expr_free(&x);
	/* -a ^ b: ^ binds tighter than unary minus */
	ASSERT_EQ(promql_parse("-a ^ b", &x, &e), 0);
	ASSERT_EQ(x.root->kind, NODE_UNARY);
	promql_expr_free(&x);
	/* set operators: many-to-many; scalar operands: no matching */
	ASSERT_EQ(promql_parse("a or b", &x, &e), 0);
	ASSERT_EQ(x.root->binary.vm->card, CARD_MANY_TO_MANY);
	promql_expr_free(&x);
	ASSERT_EQ(promql_parse("a * 2", &x, &e), 0);
	ASSERT(x.root->binary.vm == NULL);
	ASSERT_EQ(x.root->type, PT_VECTOR);
	promql_expr_free(&x);
	ASSERT_EQ(promql_parse("a + fill_left(3) b", &x, &e), 0);
	ASSERT(x.root->binary.vm->has_fill_left);
	ASSERT(!x.root->binary.vm->has_fill_right);
	ASSERT_DBL_EQ(x.root->binary.vm->fill_left, 3);
	promql_expr_free(&x);
}

static void aggregations_and_calls(void)
{
	CHECK_OK("sum(foo)", "sum(foo)");
	CHECK_OK("sum by (a, b) (foo)", "sum by (a, b) (foo)");
	CHECK_OK("sum(foo) by (a)", "sum by (a) (foo)");
	CHECK_OK("sum without (a) (foo)", "sum without (a) (foo)");
	CHECK_OK("sum without () (foo)", "sum without () (foo)");
	CHECK_OK("sum by () (foo)", "sum(foo)");
	CHECK_OK("sum by (a,) (foo)", "sum by (a) (foo)");
	CHECK_OK("SUM BY (a) (foo)", "sum by (a) (foo)");
	CHECK_OK("sum by (\"a.b\") (foo)", "sum by (\"a.b\") (foo)");
	CHECK_OK("sum by (on, by, offset) (foo)", "sum by (on, by, offset) (foo)");
	CHECK_OK("topk(5, foo)", "topk(5, foo)");
	CHECK_OK("bottomk by (a) (5, foo)", "bottomk by (a) (5, foo)");
	CHECK_OK("quantile(0.9, foo)", "quantile(0.9, foo)");
	CHECK_OK("count_values(\"v\", foo)", "count_values(\"v\", foo)");
	CHECK_OK("limitk(2, foo)", "limitk(2, foo)");
	CHECK_OK("limit_ratio(0.5, foo)", "limit_ratio(0.5, foo)");
	CHECK_OK("rate(foo[5m])", "rate(foo[5m])");
	CHECK_OK("label_join(foo, \"d\", \",\", \"a\", \"b\", \"c\")", "label_join(foo, \"d\", \",\", \"a\", \"b\", \"c\")");
	CHECK_OK("time()", "time()");
	CHECK_OK("round(foo)", "round(foo)");
	CHECK_OK("round(foo, 5)", "round(foo, 5)");
	CHECK_OK("hour()", "hour()");
	CHECK_OK("sort_by_label(foo, \"a\", \"b\")", "sort_by_label(foo, \"a\", \"b\")");
	CHECK_OK("info(foo, {k=\"v\"})", "info(foo, {k=\"v\"})");
	CHECK_OK("info(foo, {__name__=~\".+_info\"})", "info(foo, {__name__=~\".+_info\"})");
	CHECK_OK("double_exponential_smoothing(foo[1m], 0.5, 0.5)", "double_exponential_smoothing(foo[1m], 0.5, 0.5)");
	CHECK_ERR("sum()", "1:1: parse error: no arguments for aggregate expression provided");
	CHECK_ERR("topk(foo)", "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1");
	CHECK_ERR("sum(a, b)", "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2");
	CHECK_ERR("sum(foo[5m])", "1:5: parse error: expected type instant vector in aggregation expression, got range vector");
	CHECK_ERR("topk(\"a\", foo)", "1:6: parse error: expected type scalar in aggregation parameter, got string");
	CHECK_ERR("count_values(1, foo)", "1:14: parse error: expected type string in aggregation parameter, got scalar");
	CHECK_ERR("sum(foo bar)", "1:9: parse error: unexpected identifier \"bar\" in aggregation");
	CHECK_ERR("sum by x (foo)", "1:8: parse error: unexpected identifier \"x\" in grouping opts, expected \"(\"");
	CHECK_ERR("sum by (a b) (foo)", "1:11: parse error: unexpected identifier \"b\" in grouping opts, expected \",\" or \")\"");
	CHECK_ERR("sum by (1) (foo)", "1:9: parse error: unexpected number \"1\" in grouping opts, expected label");
	CHECK_ERR("sum by (\"\") (foo)", "1:9: parse error: invalid label name for grouping: \"\"");
	CHECK_ERR("nosuchfn(foo)", "1:1: parse error: unknown function with name \"nosuchfn\"");
	CHECK_ERR("rate(foo,)", "1:9: parse error: trailing commas not allowed in function call args");
	CHECK_ERR("rate(foo)", "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
	CHECK_ERR("rate()", "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 0");
	CHECK_ERR("rate(a[1m], b[1m])", "1:1: parse error: expected 1 argument(s) in call to \"rate\", got 2");
	CHECK_ERR("round(a, 1, 2)", "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3");
	CHECK_ERR("label_join(a, \"b\")", "1:1: parse error: expected at least 3 argument(s) in call to \"label_join\", got 2");
	CHECK_ERR("label_join(a, \"b\", \",\", 1)", "1:25: parse error: expected type string in call to function \"label_join\", got scalar");
	CHECK_ERR("info(foo, bar)", "1:11: parse error: expected label selectors only, got vector selector instead");
}

static void subqueries_and_durations(void)
{
	CHECK_OK("foo[1h:1m]", "foo[1h:1m]");
	CHECK_OK("foo[1h:]", "foo[1h:]");
	CHECK_OK("rate(foo[5m])[30m:1m] offset 1h", "rate(foo[5m])[30m:1m] offset 1h");
	CHECK_OK("foo[1h:1m] @ end()", "foo[1h:1m] @ end()");
	CHECK_OK("(foo + bar)[5m:]", "(foo + bar)[5m:]");
	CHECK_OK("foo[5m+1m]", "foo[5m + 1m]");
	CHECK_OK("foo[2m*(10+5)]", "foo[2m * (10 + 5)]");
	CHECK_OK("foo[-5m+35m]", "foo[-5m + 35m]");
	CHECK_OK("foo[step()]", "foo[step()]");
	CHECK_OK("foo[min_of(step()+1,1h)]", "foo[min_of(step() + 1, 1h)]");
	CHECK_OK("foo[29s+1s:20*500ms]", "foo[29s + 1s:20 * 500ms]");
	CHECK_OK("foo offset (100 + 2)", "foo offset (100 + 2)");
	CHECK_OK("foo offset 100 + 2", "foo offset 1m40s + 2");
	CHECK_OK("foo offset -2 ^ 2", "foo offset -2s ^ 2");
	CHECK_OK("foo offset step()", "foo offset step()");
	CHECK_OK("foo offset -step()*2", "foo offset -step() * 2");
	CHECK_OK("foo offset -(min_of(step(), 1s))+8000", "foo offset -(min_of(step(), 1s)) + 8000");
	CHECK_OK("foo offset max_of(3s,min_of(step(), 1s))+8000", "foo offset max_of(3s, min_of(step(), 1s)) + 8000");
	CHECK_OK("foo offset (STEP()/10)", "foo offset (step() / 10)");
	CHECK_OK("start()", "start()");
	CHECK_OK("end() - start()", "end() - start()");
	CHECK_OK("min_of(3, NaN)", "min_of(3, NaN)");
	CHECK_OK("vector(range())", "vector(range())");
	CHECK_ERR("foo[5m][1h:]", "1:1: parse error: subquery is only allowed on instant vector, got matrix instead");
	CHECK_ERR("sum(foo)[5m]", "1:9: parse error: ranges only allowed for vector selectors");
	CHECK_ERR("foo[1h:1m:]", "1:10: parse error: unexpected colon ':'");
	CHECK_ERR("foo[5m/0]", "1:7: parse error: division by zero");
	CHECK_ERR("foo[5m%0]", "1:7: parse error: modulo by zero");
	CHECK_ERR("foo[1h:1m 5]", "1:11: parse error: unexpected number \"5\" in subquery selector, expected \"]\"");

	promql_expr x;
	err e;
	ASSERT_EQ(promql_parse("foo[5m+1m]", &x, &e), 0);
	ASSERT_EQ(x.root->ms.range_ms, 360000);
	ASSERT(x.root->ms.range_expr != NULL);
	promql_expr_free(&x);
	ASSERT_EQ(promql_parse("foo[step()*2:step()] offset range()", &x, &e), 0);
	node *sq = x.root;
	ASSERT_EQ(sq->sq.range_ms, 0);
	promql_dur_ctx c = {10000, 70000, 15000};
	double s;
	ASSERT_EQ(promql_duration_eval(sq->sq.range_expr, &c, &s, &e), 0);
	ASSERT_DBL_EQ(s, 30);
	ASSERT_EQ(promql_duration_eval(sq->sq.step_expr, &c, &s, &e), 0);
	ASSERT_DBL_EQ(s, 15);
	ASSERT_EQ(promql_duration_eval(sq->sq.offset_expr, &c, &s, &e), 0);
	ASSERT_DBL_EQ(s, 60);
	promql_expr_free(&x);
	ASSERT_EQ(promql_parse("max_of(NaN, 1)", &x, &e), 0);
	ASSERT_EQ(promql_duration_eval(x.root, &c, &s, &e), 0);
	ASSERT(isnan(s));
	ASSERT_EQ(x.root->type, PT_SCALAR);
	promql_expr_free(&x);
}

static void positions_multiline(void)
{
	CHECK_ERR("foo +\n  bar baz", "2:7: parse error: unexpected identifier \"baz\"");
	CHECK_OK("sum( # comment\n foo)", "sum(foo)");
}

static void depth_limit(void)
{
	/* deep nesting is an error, not a stack overflow */
	size_t n = 100000;
	char *q = malloc(2 * n + 2);
	memset(q, '(', n);
	q[n] = '1';
	memset(q + n + 1, ')', n);
	q[2 * n + 1] = 0;
	bool ok;
	const char *got = run(q, &ok);
	ASSERT(!ok);
	ASSERT(strstr(got, "expression nesting too deep") != NULL);
	/* a long chain of binary operators is not nesting: the passes walk it
	 * without recursion (the engine's tests evaluate such chains) */
	char *chain = malloc(4 * n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(chain + k, "1 + ", 4);
		k += 4;
	}
	chain[k - 3] = 0;
	got = run(chain, &ok);
	ASSERT(ok);
	ASSERT(!strncmp(got, chain, 4000)); /* run() keeps 4 KiB */
	for (size_t i = 0; i + 1 < n; i++)
		chain[4 * i + 2] = '^';
	got = run(chain, &ok);
	ASSERT(ok);
	ASSERT(!strncmp(got, chain, 4000)); /* run() keeps 4 KiB */
	/* signs are: they nest unary nodes */
	memset(q, '-', n);
	q[n] = '1';
	q[n + 1] = 0;
	got = run(q, &ok);
	ASSERT(!ok);
	ASSERT(strstr(got, "expression nesting too deep (more than 500 levels)") != NULL);
	/* and so are calls and aggregations, also as the operand of a chain */
	buf b;
	buf_init(&b);
	buf_put_str(&b, "1 + 1 + ");
	for (int i = 0; i < 600; i++)
		buf_put_str(&b, i % 2 ? "abs(" : "sum(");
	buf_put_str(&b, "up");
	for (int i = 0; i < 600; i++)
		buf_put_str(&b, ")");
	buf_put_str(&b, " + 1");
	got = run(buf_cstr(&b), &ok);
	ASSERT(!ok);
	ASSERT(strstr(got, "expression nesting too deep (more than 500 levels)") != NULL);
	buf_reset(&b);
	/* but reasonable nesting is fine */
	CHECK_OK("((((((((((1))))))))))", "((((((((((1))))))))))");
	CHECK_OK("-------------------1", "-1");
	CHECK_OK("sum(sum(sum(sum(sum(foo)))))", "sum(sum(sum(sum(sum(foo)))))");
	free(q);
	free(chain);
}

static void selector_api(void)
{
	arena a;
	arena_init(&a);
	matcher *ms;
	size_t n;
	err e;
	ASSERT_EQ(promql_parse_selector("up{job=~\"a|b\", x!=\"\"}", &a, &ms, &n, &e), 0);
	ASSERT_EQ(n, 3);
	ASSERT_STR_EQ(ms[0].name, "job");
	ASSERT(matcher_matches_str(&ms[0], "b"));
	ASSERT_STR_EQ(ms[2].name, "__name__");
	for (size_t i = 0; i < n; i++)
		matcher_reset(&ms[i]);
	ASSERT_EQ(promql_parse_selector("{__name__=\"up\"}", &a, &ms, &n, &e), 0);
	ASSERT_EQ(n, 1);
	matcher_reset(&ms[0]);
	ASSERT_EQ(promql_parse_selector("up + 1", &a, &ms, &n, &e), FL_EPARSE);
	ASSERT_STR_EQ(e.msg, "1:4: parse error: unexpected <op:+>");
	ASSERT_EQ(promql_parse_selector("rate(x[5m])", &a, &ms, &n, &e), FL_EPARSE);
	ASSERT_EQ(promql_parse_selector("up{a=~\"(\"}", &a, &ms, &n, &e), FL_EPARSE);
	arena_reset(&a);
}

static void function_table(void)
{
	for (size_t i = 0; i < promql_n_functions; i++) {
		ASSERT_EQ(promql_functions[i].id, (int)i);
		ASSERT(promql_function_lookup(promql_functions[i].name) == &promql_functions[i]);
		if (i)
			ASSERT(strcmp(promql_functions[i - 1].name, promql_functions[i].name) < 0);
	}
	ASSERT(promql_function_lookup("nope") == NULL);
	ASSERT_STR_EQ(promql_type_name(PT_MATRIX), "range vector");
	ASSERT_STR_EQ(promql_op_str(OP_LUNLESS), "unless");
	ASSERT_STR_EQ(promql_op_str(AGG_COUNT_VALUES), "count_values");
}

static void oom_is_an_error(void)
{
	for (long k = 1; k < 200; k++) {
		promql_expr x;
		err e;
		fl_alloc_fail_after(k);
		int rc = promql_parse("sum by (a) (rate(foo{b=~\"c.*\"}[5m] offset 1m)) / on(a) group_left bar", &x, &e);
		fl_alloc_fail_after(0);
		ASSERT(rc == 0 || rc == FL_EPARSE || rc == FL_ENOMEM);
		promql_expr_free(&x);
	}
}

/* Error cases of upstream's promql/parser/parse_test.go: the first error
 * upstream reports, with its position. */
static const struct {
	const char *q, *want;
} upstream_errors[] = {
	{".", "1:1: parse error: unexpected character: '.'"},
	{"2.5.", "1:1: parse error: bad number or duration syntax: \"2.5.\""},
	{"100..4", "1:1: parse error: bad number or duration syntax: \"100..\""},
	{"0deadbeef", "1:1: parse error: bad number or duration syntax: \"0de\""},
	{"1 /", "1:4: parse error: unexpected end of input"},
	{"*1", "1:1: parse error: unexpected <op:*>"},
	{"(1))", "1:5: parse error: unexpected right parenthesis ')'"},
	{"((1)", "1:5: parse error: unclosed left parenthesis"},
	{"(", "1:2: parse error: unclosed left parenthesis"},
	{"1 or 1", "1:1: parse error: set operator \"or\" not allowed in binary scalar expression"},
	{"1 !~ 1", "1:3: parse error: unexpected character after '!': '~'"},
	{"-\"string\"", "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"string\""},
	{"@@", "1:1: parse error: unexpected <op:@>"},
	{"1 offset 1d", "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"},
	{"foo offset 1s offset 2s", "1:1: parse error: offset may not be set multiple times"},
	{"a - on(b) ignoring(c) d", "1:11: parse error: unexpected <ignoring>"},
	{"1 or on(bar) foo", "1:1: parse error: vector matching only allowed between instant vectors"},
	{"foo == on(bar) 10", "1:1: parse error: vector matching only allowed between instant vectors"},
	{"foo + group_left(baz) bar", "1:7: parse error: unexpected <group_left>"},
	{"foo and on(bar) group_left(baz) bar", "1:1: parse error: no grouping allowed for \"and\" operation"},
	{"http_requests{group=\"production\"} + on(instance) group_left(job,instance) cpu_count{type=\"smp\"}", "1:35: parse error: label \"instance\" must not occur in ON and GROUP clause at once"},
	{"foo + bool 10", "1:5: parse error: bool modifier can only be used on comparison operators"},
	{"foo and bool 10", "1:5: parse error: bool modifier can only be used on comparison operators"},
	{"foo @ +Inf", "1:1: parse error: timestamp out of bounds for @ modifier: +Inf"},
	{"foo @ -Inf", "1:1: parse error: timestamp out of bounds for @ modifier: -Inf"},
	{"foo @ NaN", "1:1: parse error: timestamp out of bounds for @ modifier: NaN"},
	{"foo @ 9223372036854775808.000000", "1:1: parse error: timestamp out of bounds for @ modifier: 9223372036854775808.000000"},
	{"{", "1:2: parse error: unexpected end of input inside braces"},
	{"}", "1:1: parse error: unexpected character: '}'"},
	{"some{", "1:6: parse error: unexpected end of input inside braces"},
	{"some}", "1:5: parse error: unexpected character: '}'"},
	{"some_metric{a=b}", "1:15: parse error: unexpected identifier \"b\" in label matching, expected string"},
	{"some_metric{a:b=\"b\"}", "1:14: parse error: unexpected character inside braces: ':'"},
	{"foo{a*\"b\"}", "1:6: parse error: unexpected character inside braces: '*'"},
	{"foo{a>=\"b\"}", "1:6: parse error: unexpected character inside braces: '>'"},
	{"foo{gibberish}", "1:14: parse error: unexpected \"}\" in label matching, expected label matching operator"},
	{"foo{1}", "1:5: parse error: unexpected character inside braces: '1'"},
	{"{x!~\".+\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
	{"{x!=\"a\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher"},
	{"foo{__name__= =}", "1:15: parse error: unexpected \"=\" in label matching, expected string"},
	{"foo{,}", "1:5: parse error: unexpected \",\" in label matching, expected identifier or \"}\""},
	{"foo{__name__ == \"bar\"}", "1:15: parse error: unexpected \"=\" in label matching, expected string"},
	{"foo{__name__=\"bar\" lol}", "1:20: parse error: unexpected identifier \"lol\" in label matching, expected \",\" or \"}\""},
	{"foo{\"a\"=}", "1:9: parse error: unexpected \"}\" in label matching, expected string"},
	{"foo[5mm]", "1:5: parse error: bad number or duration syntax: \"5mm\""},
	{"foo[5m1]", "1:5: parse error: bad number or duration syntax: \"5m1\""},
	{"foo[5m:1m1]", "1:8: parse error: bad number or duration syntax: \"1m1\""},
	{"foo[5y1hs]", "1:5: parse error: unknown unit \"hs\" in duration \"5y1hs\""},
	{"foo[5m1h]", "1:5: parse error: not a valid duration string: \"5m1h\""},
	{"foo[5m1m]", "1:5: parse error: not a valid duration string: \"5m1m\""},
	{"foo[0m]", "1:5: parse error: duration must be greater than 0"},
	{"foo[\"5m\"]", "1:5: parse error: unexpected character in duration expression: '\"'"},
	{"foo[]", "1:5: parse error: unexpected \"]\" in subquery or range selector, expected number, duration, step(), or range()"},
	{"foo[-1]", "1:5: parse error: duration must be greater than 0"},
	{"some_metric[5m] OFFSET 1mm", "1:24: parse error: bad number or duration syntax: \"1mm\""},
	{"some_metric[5m] OFFSET", "1:23: parse error: unexpected end of input in offset, expected number, duration, step(), or range()"},
	{"some_metric OFFSET 1m[5m]", "1:22: parse error: no offset modifiers allowed before range"},
	{"some_metric[5m] @", "1:18: parse error: unexpected end of input in @, expected timestamp"},
	{"some_metric @ 1234 [5m]", "1:20: parse error: no @ modifiers allowed before range"},
	{"some_metric @ start() [5m]", "1:23: parse error: no @ modifiers allowed before range"},
	{"some_metric @ end()[5m]", "1:20: parse error: no @ modifiers allowed before range"},
	{"some_metric offset step()[5m]", "1:26: parse error: no offset modifiers allowed before range"},
	{"(foo + bar)[5m]", "1:12: parse error: ranges only allowed for vector selectors"},
	{"sum by (\"foo)(some_metric{})", "1:9: parse error: unterminated quoted string"},
	{"sum without(==)(some_metric)", "1:13: parse error: unexpected <op:==> in grouping opts, expected label"},
	{"sum without(,)(some_metric)", "1:13: parse error: unexpected \",\" in grouping opts, expected label"},
	{"sum without(foo,,)(some_metric)", "1:17: parse error: unexpected \",\" in grouping opts, expected label"},
	{"sum some_metric by (test)", "1:5: parse error: unexpected identifier \"some_metric\""},
	{"sum (some_metric) by test", "1:22: parse error: unexpected identifier \"test\" in grouping opts, expected \"(\""},
	{"sum () by (test)", "1:1: parse error: no arguments for aggregate expression provided"},
	{"MIN keep_common (some_metric)", "1:5: parse error: unexpected identifier \"keep_common\""},
	{"MIN (some_metric) keep_common", "1:19: parse error: unexpected identifier \"keep_common\""},
	{"sum (some_metric) without (test) by (test)", "1:34: parse error: unexpected <by>"},
	{"sum without (test) (some_metric) by (test)", "1:34: parse error: unexpected <by>"},
	{"topk(some_metric)", "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1"},
	{"topk(some_metric,)", "1:17: parse error: trailing commas not allowed in function call args"},
	{"topk(some_metric, other_metric)", "1:6: parse error: expected type scalar in aggregation parameter, got instant vector"},
	{"count_values(5, other_metric)", "1:14: parse error: expected type string in aggregation parameter, got scalar"},
	{"rate(some_metric[5m]) @ 1234", "1:1: parse error: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery"},
	{"floor()", "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 0"},
	{"floor(some_metric, other_metric)", "1:1: parse error: expected 1 argument(s) in call to \"floor\", got 2"},
	{"floor(1)", "1:7: parse error: expected type instant vector in call to function \"floor\", got scalar"},
	{"hour(some_metric, some_metric, some_metric)", "1:1: parse error: expected at most 1 argument(s) in call to \"hour\", got 3"},
	{"time(some_metric)", "1:1: parse error: expected 0 argument(s) in call to \"time\", got 1"},
	{"non_existent_function_far_bar()", "1:1: parse error: unknown function with name \"non_existent_function_far_bar\""},
	{"-=", "1:2: parse error: unexpected \"=\""},
	{"++-++-+-+-<", "1:11: parse error: unexpected <op:<>"},
	{"e-+=/(0)", "1:4: parse error: unexpected \"=\""},
	{"a>b()", "1:3: parse error: unknown function with name \"b\""},
	{"rate(avg)", "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector"},
	{"`\\``", "1:4: parse error: unterminated raw string"},
	{"\"\\", "1:1: parse error: escape sequence not terminated"},
	{"\"\\x.\"", "1:1: parse error: illegal character U+002E '.' in escape sequence"},
	{"foo{bar=\"baz\"}[", "1:16: parse error: unexpected end of input in duration expression"},
	{"test[5d] OFFSET 10s [10m:5s]", "1:1: parse error: subquery is only allowed on instant vector, got matrix instead"},
	{"rate(food[1m])[1h] offset 1h", "1:15: parse error: ranges only allowed for vector selectors"},
	{"info(rate(http_request_counter_total{}[5m]), target_info{foo=\"bar\"})", "1:46: parse error: expected label selectors only, got vector selector instead"},
	{"info(http_request_counter_total{namespace=\"zzz\"}, {foo=\"bar\"} == 1)", "1:51: parse error: expected label selectors only"},
	{"foo[step]", "1:9: parse error: unexpected \"]\" in subquery or range selector, expected number, duration, step(), or range()"},
	{"foo[step()/0d]", "1:11: parse error: division by zero"},
	{"foo offset (4d/0)", "1:15: parse error: division by zero"},
	{"foo[5s%0d]", "1:7: parse error: modulo by zero"},
	{"foo offset 9.5e10", "1:12: parse error: duration out of range"},
	{"foo[9.5e10]", "1:5: parse error: duration out of range"},
	{"sum(", "1:5: parse error: unclosed left parenthesis"},
	{"sum(rate(", "1:10: parse error: unclosed left parenthesis"},
	{"foo[5s x 5s]", "1:8: parse error: unexpected character: 'x', expected ':'"},
	{"foo[5s s 5s]", "1:8: parse error: unexpected character: 's', expected ':'"},
	{"1[5m] smoothed", "1:2: parse error: ranges only allowed for vector selectors"},
};

static void upstream_error_table(void)
{
	int bad = 0;
	for (size_t i = 0; i < FL_ARRAY_LEN(upstream_errors); i++) {
		bool ok;
		const char *got = run(upstream_errors[i].q, &ok);
		if (ok || strcmp(got, upstream_errors[i].want) != 0) {
			fprintf(stderr, "  %s\n    got  %s%s\n    want %s\n", upstream_errors[i].q, ok ? "(parsed) " : "", got,
				upstream_errors[i].want);
			bad++;
		}
	}
	ASSERT_EQ(bad, 0);
}

const struct test tests_promql_parse[] = {
	{"numbers_and_strings", numbers_and_strings},
	{"selectors", selectors},
	{"selector_tree", selector_tree},
	{"operators", operators},
	{"precedence_tree", precedence_tree},
	{"aggregations_and_calls", aggregations_and_calls},
	{"subqueries_and_durations", subqueries_and_durations},
	{"positions_multiline", positions_multiline},
	{"depth_limit", depth_limit},
	{"selector_api", selector_api},
	{"function_table", function_table},
	{"oom_is_an_error", oom_is_an_error},
	{"upstream_error_table", upstream_error_table},
	{NULL, NULL},
};
