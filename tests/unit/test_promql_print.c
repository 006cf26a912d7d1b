/* test_promql_print.c - promql/print.c: Prometheus's canonical String()
 * forms, durations, and the round trip print(parse(q)) == print(parse(print(parse(q))))
 * over every expression of the upstream .test scripts. */
#include <stdlib.h>

#include "lib/buf.h"
#include "promql/ast.h"
#include "tests/unit/test.h"

static void durations(void)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
		{0, "0s"}, {1, "1ms"}, {1000, "1s"}, {61000, "1m1s"}, {5400000, "1h30m"}, {86400000, "1d"},
		{7 * 86400000LL, "1w"}, {90 * 86400000LL, "90d"}, {365 * 86400000LL, "1y"},
		{366 * 86400000LL, "366d"}, {14 * 86400000LL + 1, "14d1ms"}, {3723004, "1h2m3s4ms"},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		buf b;
		buf_init(&b);
		promql_print_duration(&b, cases[i].ms);
		ASSERT_STR_EQ(buf_cstr(&b), cases[i].want);
		buf_reset(&b);
	}
}

static void print_one(const char *q, const char *want)
{
	promql_expr x;
	err e;
	if (promql_parse(q, &x, &e) != 0)
		test_fail(__FILE__, __LINE__, "%s: %s", q, e.msg);
	buf b;
	buf_init(&b);
	promql_print(&b, x.root);
	ASSERT_STR_EQ(buf_cstr(&b), want);
	buf_reset(&b);
	promql_expr_free(&x);
}

static void canonical_forms(void)
{
	print_one("0.1", "0.1");
	print_one("1e-7", "0.0000001");
	print_one("123456789012345678901234", "123456789012345690000000");
	print_one("-0.5", "-0.5");
	print_one("sum(rate(x[5m])) by (job)", "sum by (job) (rate(x[5m]))");
	print_one("sum without(a,b)(x)", "sum without (a, b) (x)");
	print_one("foo{b=\"2\",a=\"1\"}", "foo{a=\"1\",b=\"2\"}");
	print_one("{b=\"2\",a=\"1\",__name__=\"foo\"}", "{__name__=\"foo\",a=\"1\",b=\"2\"}");
	print_one("{__name__=\"\", a=\"1\"}", "{__name__=\"\",a=\"1\"}");
	print_one("foo{a=\"x\\\"y\\n\"}", "foo{a=\"x\\\"y\\n\"}");
	print_one("foo{a=\"\\xff\"}", "foo{a=\"\\xff\"}");
	print_one("x offset 1h30m @ 1.5", "x @ 1.500 offset 1h30m");
	print_one("x[1m] anchored", "x[1m] anchored");
	print_one("x smoothed offset 1m", "x smoothed offset 1m");
	print_one("x[5m:] offset -1h", "x[5m:] offset -1h");
	print_one("a   +   ignoring(b)   group_right(c)   d", "a + ignoring (b) group_right (c) d");
	print_one("a == bool on() b", "a == bool on () b");
	print_one("max_of(1, 2)", "max_of(1, 2)");
	print_one("x[(5m)]", "x[5m]");
	print_one("x[(5m+1m)*2]", "x[(5m + 1m) * 2]");
	print_one("x offset (1m)", "x offset 1m");
	/* offset duration expressions keep their grouping through a print */
	print_one("foo offset +(1m * 2) + 3", "foo offset +(1m * 2) + 3");
	print_one("foo offset (1m) * 2 + 3", "foo offset (1m * 2 + 3)");
	print_one("foo offset (1m + 2)", "foo offset (1m + 2)");
	print_one("a * foo offset -(step()) - 1", "a * foo offset -(step()) - 1");
	print_one("rate(foo[1m:] offset (step())) - 1", "rate(foo[1m:] offset (step())) - 1");
	print_one("-foo offset +(step()) ^ 2", "-foo offset +(step()) ^ 2");
	/* upstream printer_test.go */
	print_one("sum by() (task:errors:rate10s{job=\"s\"})", "sum(task:errors:rate10s{job=\"s\"})");
	print_one("sum by(code) (task:errors:rate10s{job=\"s\"})", "sum by (code) (task:errors:rate10s{job=\"s\"})");
	print_one("sum without(\"foo.bar\") (x)", "sum without (\"foo.bar\") (x)");
	print_one("a - on(b) group_left c", "a - on (b) group_left () c");
	print_one("a - on(b) group_left() (c)", "a - on (b) group_left () (c)");
	print_one("a - ignoring() group_left(__metric__) c", "a - ignoring () group_left (__metric__) c");
	print_one("a - ignoring() group_left c", "a - ignoring () group_left () c");
	print_one("a + fill(-23) b", "a + fill (-23) b");
	print_one("a + on(b) group_left fill(-23) c", "a + on (b) group_left () fill (-23) c");
	print_one("a{b=\"c\"}[5m] anchored @ start() offset 1m", "a{b=\"c\"}[5m] anchored @ start() offset 1m");
	print_one("a{b=\"c\"}[5m] smoothed offset 1m", "a{b=\"c\"}[5m] smoothed offset 1m");
	print_one("{\"a.b\"=\"c\"}", "{\"a.b\"=\"c\"}");
	print_one("{\"0\"=\"1\"}", "{\"0\"=\"1\"}");
	print_one("{\"_0\"=\"1\"}", "{_0=\"1\"}");
	print_one("{\"\"=\"0\"}", "{\"\"=\"0\"}");
	print_one("{``=\"0\"}", "{\"\"=\"0\"}");
	print_one("1048576", "1048576");
	print_one("foo[-step()]", "foo[-step()]");
	print_one("foo[(step())]", "foo[(step())]");
	print_one("foo[-(step())]", "foo[-(step())]");
	print_one("foo offset (step())", "foo offset (step())");
	print_one("foo offset -(step())", "foo offset -(step())");
	print_one("foo offset +(5*2)", "foo offset (5 * 2)");
	print_one("foo offset +min_of(10s, 20s)", "foo offset min_of(10s, 20s)");
	print_one("foo offset -min_of(10s, +max_of(step() ^ 2, 2))", "foo offset -min_of(10s, max_of(step() ^ 2, 2))");
	print_one("foo[200-min_of(-step()^+step(),1)]", "foo[200 - min_of(-step() ^ step(), 1)]");
	print_one("foo[max_of(range(), 5s)]", "foo[max_of(range(), 5s)]");
	print_one("sum by(\"üüü\") (foo)", "sum by (\"üüü\") (foo)");
	print_one("foo / on(legacy, \"üüü\") group_right(\"ööö\") bar", "foo / on (legacy, \"üüü\") group_right (\"ööö\") bar");
}

static void roundtrip_conformance_exprs(void)
{
	static const char *files[] = {"aggregators", "at_modifier", "collision", "duration_expression",
				      "extended_vectors", "fill-modifier", "functions", "histograms", "info",
				      "limit", "literals", "name_label_dropping", "native_histograms", "operators",
				      "range_queries", "selectors", "staleness", "subquery", "trig_functions"};
	int parsed = 0;
	for (size_t f = 0; f < FL_ARRAY_LEN(files); f++) {
		char path[512];
		snprintf(path, sizeof path, "%s/conformance/promql/%s.test", test_shared_dir(), files[f]);
		FILE *fp = fopen(path, "r");
		if (!fp)
			test_fail(__FILE__, __LINE__, "cannot open %s", path);
		char line[8192];
		while (fgets(line, sizeof line, fp)) {
			if (strncmp(line, "eval", 4) != 0)
				continue;
			line[strcspn(line, "\n")] = 0;
			/* skip "eval[_x] instant at T " or "eval[_x] range from A to B step S " */
			char *q = strstr(line, " at ");
			int skip = 1;
			if (q && strstr(line, "instant"))
				q += 4;
			else if ((q = strstr(line, " step ")))
				q += 6;
			else
				continue;
			q = strchr(q, ' ');
			if (!q)
				continue;
			q += skip;
			promql_expr x, y;
			err e;
			if (promql_parse(q, &x, &e) != 0)
				continue; /* functions the engine lacks, or deliberate errors */
			parsed++;
			buf b1, b2;
			buf_init(&b1);
			buf_init(&b2);
			promql_print(&b1, x.root);
			if (promql_parse(buf_cstr(&b1), &y, &e) != 0)
				test_fail(__FILE__, __LINE__, "%s: printed %s does not parse: %s", q, buf_cstr(&b1), e.msg);
			promql_print(&b2, y.root);
			ASSERT_STR_EQ(buf_cstr(&b2), buf_cstr(&b1));
			ASSERT_EQ(x.root->type, y.root->type);
			buf_reset(&b1);
			buf_reset(&b2);
			promql_expr_free(&x);
			promql_expr_free(&y);
		}
		fclose(fp);
	}
	ASSERT(parsed > 2000);
}

static const char *pretty_of(const char *q)
{
	static char out[4096];
	promql_expr x;
	err e;
	if (promql_parse(q, &x, &e) != 0)
		test_fail(__FILE__, __LINE__, "%s: %s", q, e.msg);
	buf b;
	buf_init(&b);
	ASSERT(promql_print_pretty(&b, x.root, SIZE_MAX));
	snprintf(out, sizeof out, "%s", buf_cstr(&b));
	buf_reset(&b);
	promql_expr_free(&x);
	return out;
}

#define LONG_A "metric_one{some_very_long_label_name=\"some_very_long_label_value\"}"
#define LONG_B "metric_two{another_long_label_name=\"another_very_long_label_value\"}"

static void pretty_forms(void)
{
	/* short expressions are their one-line form */
	ASSERT_STR_EQ(pretty_of("sum(rate(x[5m])) by (job)"), "sum by (job) (rate(x[5m]))");
	/* prettier.go: binary operands one level deeper, the operator at the parent's level */
	ASSERT_STR_EQ(pretty_of(LONG_A " + " LONG_B), "  " LONG_A "\n+\n  " LONG_B);
	ASSERT_STR_EQ(pretty_of(LONG_A " / on(a) group_left " LONG_B),
		      "  " LONG_A "\n/ on (a) group_left ()\n  " LONG_B);
	ASSERT_STR_EQ(pretty_of("sum by (job) (" LONG_A " + " LONG_B ")"),
		      "sum by (job) (\n    " LONG_A "\n  +\n    " LONG_B "\n)");
	ASSERT_STR_EQ(pretty_of("topk(5, " LONG_A " * " LONG_B ")"),
		      "topk(\n  5,\n    " LONG_A "\n  *\n    " LONG_B "\n)");
	ASSERT_STR_EQ(pretty_of("label_replace(" LONG_A ", \"dst\", \"$1\", \"src\", \"(.*)\")"),
		      "label_replace(\n  " LONG_A ",\n  \"dst\",\n  \"$1\",\n  \"src\",\n  \"(.*)\"\n)");
	ASSERT_STR_EQ(pretty_of("(" LONG_A " - " LONG_B ")"), "(\n    " LONG_A "\n  -\n    " LONG_B "\n)");
	ASSERT_STR_EQ(pretty_of("-(" LONG_A " - " LONG_B ")"), "-(\n    " LONG_A "\n  -\n    " LONG_B "\n)");
}

/* Pretty output parses back to the same tree (same one-line print). */
static void pretty_roundtrip(void)
{
	static const char *qs[] = {
		"sum by (job) (rate(" LONG_A "[5m])) / on (job) group_left sum by (job) (rate(" LONG_B "[5m]))",
		"max_over_time((" LONG_A " + " LONG_B ")[1h:5m] offset 1h)",
		LONG_A " offset +(step() * 2) + " LONG_B,
		"histogram_quantile(0.9, sum by (le) (rate(" LONG_A "[5m]) or rate(" LONG_B "[5m])))",
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(qs); i++) {
		promql_expr x, y;
		err e;
		ASSERT_EQ(promql_parse(qs[i], &x, &e), 0);
		buf p, a, c;
		buf_init(&p);
		buf_init(&a);
		buf_init(&c);
		ASSERT(promql_print_pretty(&p, x.root, SIZE_MAX));
		promql_print(&a, x.root);
		if (promql_parse(buf_cstr(&p), &y, &e) != 0)
			test_fail(__FILE__, __LINE__, "pretty form does not parse: %s\n%s", e.msg, buf_cstr(&p));
		promql_print(&c, y.root);
		ASSERT_STR_EQ(buf_cstr(&c), buf_cstr(&a));
		buf_reset(&p);
		buf_reset(&a);
		buf_reset(&c);
		promql_expr_free(&x);
		promql_expr_free(&y);
	}
}

/* Pretty() of a long chain: no recursion, upstream's shape (each split
 * binary node puts its operands one level deeper), and it parses back. */
static void pretty_long_chain(void)
{
	const size_t n = 2000;
	buf q;
	buf_init(&q);
	buf_put_str(&q, "1");
	for (size_t i = 1; i < n; i++)
		buf_put_str(&q, " + 1");
	promql_expr x, y;
	err e;
	ASSERT_EQ(promql_parse(buf_cstr(&q), &x, &e), 0);
	buf p, c;
	buf_init(&p);
	buf_init(&c);
	ASSERT(promql_print_pretty(&p, x.root, SIZE_MAX));
	ASSERT(!p.oom);
	/* "1 + ... + 1" of 25 terms fits in 100 bytes, at level n - 25; then
	 * every split node adds an operator line and its rhs */
	const char *s = buf_cstr(&p);
	size_t lines = 1, ind = 0;
	for (const char *t = s; *t; t++)
		lines += *t == '\n';
	while (s[ind] == ' ')
		ind++;
	ASSERT_EQ(lines, 1 + 2 * (n - 25));
	ASSERT_EQ(ind, 2 * (n - 25));
	ASSERT(!strncmp(s + ind, "1 + 1", 5) && strlen(s + ind) > 4 * 25 - 3);
	ASSERT(!strcmp(s + p.len - 6, "\n+\n  1"));
	if (promql_parse(s, &y, &e) != 0)
		test_fail(__FILE__, __LINE__, "pretty form does not parse: %s", e.msg);
	promql_print(&c, y.root);
	ASSERT_STR_EQ(buf_cstr(&c), buf_cstr(&q));
	/* about 2n^2 bytes: a limit cuts it short */
	buf_clear(&c);
	ASSERT(!promql_print_pretty(&c, x.root, 100000));
	ASSERT(c.len > 100000 && c.len < 100000 + 2 * 2 * n);
	promql_expr_free(&y);
	promql_expr_free(&x);
	buf_reset(&p);
	buf_reset(&c);
	buf_reset(&q);
}

const struct test tests_promql_print[] = {
	{"pretty_long_chain", pretty_long_chain},
	{"pretty_forms", pretty_forms},
	{"pretty_roundtrip", pretty_roundtrip},
	{"durations", durations},
	{"canonical_forms", canonical_forms},
	{"roundtrip_conformance_exprs", roundtrip_conformance_exprs},
	{NULL, NULL},
};
