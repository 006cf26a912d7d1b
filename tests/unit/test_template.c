/*
 * test_template.c - rules/template*.c through rules/template.h: Go's
 * text/template semantics as exec_test.go and parse_test.go state them
 * (pipelines, variables and their scopes, range over query results, maps
 * in key order and integers, with/else, break/continue, comparison
 * builtins, trim markers, comments, printf verbs), Prometheus's functions
 * on edge values, error wording with Prometheus's preamble offset (a
 * template's first byte is column 112 of line 1), and the bounds (steps,
 * template depth, output size). Expected strings are Go 1.2x's answers.
 */
#include "test.h"

#include "rules/template.h"

static const label t_labels[] = {{"__name__", "up"}, {"instance", "node-1:9100"}, {"job", "api"}};
static const label t_ext[] = {{"cluster", "eu"}};
static tmpl_sample t_res[2];

static int t_query(void *ctx, const char *q, int64_t t_ms, tmpl_sample **out, size_t *n, err *e)
{
	(void)ctx, (void)t_ms;
	if (!strcmp(q, "fail"))
		return err_set(e, FL_EINVAL, "1:1: parse error: bad query");
	t_res[0] = (tmpl_sample){{t_labels + 1, 2}, 2};   /* {instance, job} */
	t_res[1] = (tmpl_sample){{t_labels, 2}, 1};       /* {__name__, instance} */
	*out = t_res;
	*n = strcmp(q, "none") ? 2 : 0;
	return 0;
}

static int run(const char *src, buf *out, err *e)
{
	tmpl_data d = {0};
	d.labels = (labels){t_labels, 3};
	d.value = 1234.5;
	d.external_labels = (labels){t_ext, 1};
	d.external_url = "http://example.org:9090/prom";
	d.t_ms = 1500;
	d.query = t_query;
	buf_init(out);
	err_clear(e);
	return tmpl_expand("X", src, &d, out, e);
}

#define EXPAND(src, want)                                                     \
	do {                                                                  \
		buf _o;                                                       \
		err _e;                                                       \
		int _rc = run(src, &_o, &_e);                                 \
		if (_rc)                                                      \
			test_fail(__FILE__, __LINE__, "%s: %s", src, _e.msg); \
		ASSERT_STR_EQ(buf_cstr(&_o), want);                           \
		buf_reset(&_o);                                               \
	} while (0)

#define EXPAND_ERR(src, want)                                   \
	do {                                                    \
		buf _o;                                         \
		err _e;                                         \
		int _rc = run(src, &_o, &_e);                   \
		ASSERT(_rc != 0);                               \
		ASSERT_EQ(_o.len, 0);                           \
		ASSERT_STR_EQ(_e.msg, want);                    \
		buf_reset(&_o);                                 \
	} while (0)

#define PRE "error parsing template __alert_X: template: __alert_X:1: "
#define EXE "error executing template __alert_X: template: __alert_X:1:"

static void text_and_actions(void)
{
	EXPAND("", "");
	EXPAND("plain text, no actions", "plain text, no actions");
	EXPAND("{{ $labels.job }} on {{ $labels.instance }}", "api on node-1:9100");
	EXPAND("{{ .Labels.job | toUpper }} {{ $.Value }} {{ $value }}", "API 1234.5 1234.5");
	EXPAND("[{{ $labels.missing }}]", "[]");
	EXPAND("{{ $externalLabels.cluster }} {{ $externalURL }}", "eu http://example.org:9090/prom");
	EXPAND("{{ $labels }}", "map[__name__:up instance:node-1:9100 job:api]");
	EXPAND("{{ . }}", "{map[__name__:up instance:node-1:9100 job:api] map[cluster:eu] http://example.org:9090/prom 1234.5}");
	EXPAND("{{ (1) }} {{ 0x1F }} {{ 1e3 }} {{ 1_000 }} {{ 'a' }} {{ -2 }} {{ true }}", "1 31 1000 1000 97 -2 true");
	EXPAND("{{ `raw\\n` }} {{ \"q\\tx\" }}", "raw\\n q\tx");
}

static void pipelines_and_variables(void)
{
	EXPAND("{{ \"x\" | printf \"%s-%s\" \"a\" }}", "a-x");
	EXPAND("{{ \"x\" | len | printf \"%d\" }}", "1");
	EXPAND("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}", "2");
	EXPAND("{{ with $x := 5 }}{{ $x }}{{ end }}", "5");
	EXPAND("{{ $x := \"one\" }}{{ $x = \"two\" }}{{ $x }}", "two");
	EXPAND("{{ define \"t\" }}[{{ . }}]{{ end }}{{ template \"t\" 5 }}{{ template \"t\" }}", "[5][<no value>]");
	EXPAND("{{ define \"g\" }}hello {{ .arg0 }} and {{ .arg1 }}{{ end }}{{ template \"g\" (args \"A\" 2) }}",
	       "hello A and 2");
	EXPAND("{{ block \"b\" . }}in block {{ .Labels.job }}{{ end }}", "in block api");
}

static void control_structures(void)
{
	EXPAND("{{ if 0 }}a{{ else if \"\" }}b{{ else }}c{{ end }}", "c");
	EXPAND("{{ if $labels.job }}yes{{ end }}", "yes");
	EXPAND("{{ with $labels.nope }}x{{ else with $labels.job }}{{ . }}{{ end }}", "api");
	EXPAND("{{ with $labels.nope }}x{{ else }}none{{ end }}", "none");
	EXPAND("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", "__name__=up;instance=node-1:9100;job=api;");
	EXPAND("{{ range $k, $v := $labels }}{{ if eq $k \"job\" }}{{ break }}{{ end }}{{ $k }};{{ end }}",
	       "__name__;instance;");
	EXPAND("{{ range $k, $v := $labels }}{{ if eq $k \"instance\" }}{{ continue }}{{ end }}{{ $k }};{{ end }}",
	       "__name__;job;");
	EXPAND("{{ range 3 }}{{ . }}{{ end }}", "012");
	EXPAND("{{ range query \"none\" }}x{{ else }}empty{{ end }}", "empty");
	EXPAND("{{ range $i, $s := query \"q\" }}{{ $i }}:{{ $s.Labels.instance }}={{ .Value }} {{ end }}",
	       "0:node-1:9100=2 1:node-1:9100=1 ");
	EXPAND("{{ range query \"q\" | sortByLabel \"job\" }}{{ .Labels.job }}|{{ end }}", "|api|");
	EXPAND("{{ $r := query \"q\" }}{{ $s := $r | sortByLabel \"__name__\" }}{{ range $r }}{{ .Value }}{{ end }}", "21");
	EXPAND("{{ range (args 1 2 3 4 5 6 7 8 9 10 11) }}{{ . }},{{ end }}", "1,2,11,3,4,5,6,7,8,9,10,");
	EXPAND("{{ args 1 \"a\" }}", "map[arg0:1 arg1:a]");
}

static void whitespace_and_comments(void)
{
	EXPAND("x {{- 1 -}} y {{ 2 }}", "x1y 2");
	EXPAND("a  {{- \" b \" -}}  c", "a b c");
	EXPAND("x{{/* a comment */}}y", "xy");
	EXPAND("x {{- /* trimmed */ -}} y", "xy");
	EXPAND("{{ \"a\" }}\n{{- \"b\" }}", "ab");
	EXPAND("{{3 -}}\n\n4", "34");
	EXPAND("{{-3}}", "-3");
}

static void builtins(void)
{
	EXPAND("{{ and 1 0 2 }} {{ or 0 \"\" \"z\" }} {{ not 1 }} {{ and 1 2 }} {{ or 0 \"\" }}", "0 z false 2 ");
	EXPAND("{{ lt \"a\" \"b\" }} {{ le 2 2 }} {{ gt 2.5 1.5 }} {{ ge 1 2 }} {{ ne \"a\" \"a\" }}", "true true true false false");
	EXPAND("{{ eq $labels.job \"web\" \"api\" }} {{ eq 1 2 }}", "true false");
	EXPAND("{{ index $labels \"job\" }} {{ index \"abc\" 1 }} {{ len $labels }} {{ len \"héllo\" }}", "api 98 3 6");
	EXPAND("{{ slice \"abcdef\" 1 3 }} {{ slice \"abc\" 1 }}", "bc bc");
	EXPAND("{{ print 1 2 \"a\" 3 }}|{{ println 1 \"a\" }}", "1 2a3|1 a\n");
	EXPAND("{{ html \"<a href='x'>&\\\"\" }}", "&lt;a href=&#39;x&#39;&gt;&amp;&#34;");
	EXPAND("{{ js \"it's <b> \\\\ =\" }}", "it\\'s \\u003Cb\\u003E \\\\ \\u003D");
	EXPAND("{{ urlquery \"a b&c/d\" }} {{ urlquery 1 2 }}", "a+b%26c%2Fd 1+2");
}

static void printf_verbs(void)
{
	EXPAND("{{ printf \"%s %d %v %q %f %.2f %x %5.1f|%-5s|%05d %+d %e %g %t %%\" \"a\" 42 1.5 \"q\" 1.5 2.345 255 "
	       "3.14159 \"ab\" 42 7 12345.678 0.00001 true }}",
	       "a 42 1.5 \"q\" 1.500000 2.35 ff   3.1|ab   |00042 +7 1.234568e+04 1e-05 true %");
	EXPAND("{{ printf \"%q %x %c %U %08.3f %-8d| %6s\" 65 \"hi\" 65 65 3.14159 5 \"ab\" }}",
	       "'A' 6869 A U+0041 0003.142 5       |     ab");
	EXPAND("{{ printf \"%d %s\" 1.5 }}", "%!d(float64=1.5) %!s(MISSING)");
	EXPAND("{{ printf \"%d\" 1 2 \"x\" }}", "1%!(EXTRA int=2, string=x)");
	EXPAND("{{ 1.5 | printf \"%v %T\" }}", "1.5 %!T(MISSING)");
	EXPAND("{{ printf \"%T %T %T %T\" 1 1.5 \"s\" $labels }}", "int float64 string map[string]string");
	EXPAND("{{ printf \"%s\" $labels }}", "map[__name__:up instance:node-1:9100 job:api]");
	EXPAND("{{ printf \"%.1f%%\" 99.95 }} {{ printf \"%6.2f|%-6.1f|\" 3.14159 2.0 }}", "100.0%   3.14|2.0   |");
	EXPAND("{{ printf \"%v %v %v\" (humanize \"NaN\") (parseDuration \"-1m\") (0.0 | toTime) }}",
	       "NaN -60 1970-01-01 00:00:00 +0000 UTC");
	EXPAND("{{ printf \"%*d|%.*f\" 5 42 2 3.14159 }}", "   42|3.14");
}

static void prometheus_functions(void)
{
	EXPAND("{{ humanize \"1234\" }} {{ humanize 1234 }} {{ humanize1024 1048576 }} {{ humanize 0.001234 }}",
	       "1.234k 1.234k 1Mi 1.234m");
	EXPAND("{{ humanize \"+Inf\" }} {{ humanize \"-Inf\" }} {{ humanize1024 -0.5 }} {{ humanize 1e30 }}",
	       "+Inf -Inf -0.5 1e+06Y");
	EXPAND("{{ humanizeDuration 0.5 }} {{ humanizeDuration 3600 }} {{ humanizeDuration 59.9 }} {{ humanizeDuration -90061 }}",
	       "500ms 1h 0m 0s 59.9s -1d 1h 1m 1s");
	EXPAND("{{ humanizePercentage 0.1234567 }} {{ humanizeTimestamp \"NaN\" }} {{ humanizeTimestamp 1.5 }}",
	       "12.35% NaN 1970-01-01 00:00:01.5 +0000 UTC");
	EXPAND("{{ $value | toTime }}", "1970-01-01 00:20:34.5 +0000 UTC");
	EXPAND("{{ 90 | toDuration }} {{ 0.0015 | toDuration }} {{ -3661.5 | toDuration }} {{ 0 | toDuration }}",
	       "1m30s 1.5ms -1h1m1.5s 0s");
	EXPAND("{{ stripPort \"[::1]:80\" }} {{ stripPort \"::1\" }} {{ stripPort \"host\" }} {{ stripPort \"a:b:c\" }}",
	       "::1 ::1 host a:b:c");
	EXPAND("{{ stripDomain \"10.0.0.1:80\" }} {{ stripDomain \"a.b.c\" }} {{ stripDomain \"n.example.com:9100\" }} "
	       "{{ stripDomain \"[::1]:80\" }}",
	       "10.0.0.1:80 a n:9100 [::1]:80");
	EXPAND("{{ reReplaceAll \"a*\" \"-\" \"baaac\" }} {{ reReplaceAll \"(\\\\w+)@(\\\\w+)\" \"$2.$1\" \"me@host\" }}",
	       "-b-c- host.me");
	EXPAND("{{ if match \"^node\" $labels.instance }}m{{ end }} {{ match \"x$\" \"x\\n\" }}", "m false");
	EXPAND("{{ title \"hello world-foo\" }} {{ toUpper \"ÿé\" }} {{ toLower \"ÀB\" }}", "Hello World-Foo ŸÉ àb");
	EXPAND("{{ graphLink \"up\" }} {{ tableLink \"a b\" }}", "/graph?g0.expr=up&g0.tab=0 /graph?g0.expr=a+b&g0.tab=1");
	EXPAND("{{ urlQueryEscape \"a/b c\" }} {{ now }} {{ pathPrefix }} {{ externalURL }}",
	       "a%2Fb+c 1.5 /prom http://example.org:9090/prom");
	EXPAND("{{ parseDuration \"1h30m\" }} {{ parseDuration \"90s\" }} {{ parseDuration \"1ms\" }}", "5400 90 0.001");
	EXPAND("{{ safeHtml \"<b>\" }} {{ query \"q\" | first | label \"job\" }} {{ query \"q\" | first | value }} "
	       "[{{ query \"q\" | first | strvalue }}] {{ query \"q\" | len }}",
	       "<b> api 2 [] 2");
	EXPAND("{{ with query \"q\" }}{{ . | first | value | humanize }}{{ end }}", "2");
	EXPAND("{{ query \"q\" | first }}", "{map[instance:node-1:9100 job:api] 2}");
}

static void parse_errors(void)
{
	EXPAND_ERR("{{ $label }}", PRE "undefined variable \"$label\"");
	EXPAND_ERR("{{ foo }}", PRE "function \"foo\" not defined");
	EXPAND_ERR("{{ if }}", PRE "missing value for if");
	EXPAND_ERR("{{ if 1 }}", PRE "unexpected EOF");
	EXPAND_ERR("{{ end }}", PRE "unexpected {{end}}");
	EXPAND_ERR("{{ else }}", PRE "unexpected {{else}}");
	EXPAND_ERR("{{ 3 | 4 }}", PRE "non executable command in pipeline stage 2");
	EXPAND_ERR("{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}", PRE "undefined variable \"$y\"");
	EXPAND_ERR("{{ 99999999999999999999 }}", PRE "integer overflow: \"99999999999999999999\"");
	EXPAND_ERR("{{ \"unterminated }}", PRE "unterminated quoted string");
	EXPAND_ERR("{{ x", PRE "function \"x\" not defined");
	EXPAND_ERR("{{ 1", PRE "unclosed action");
	EXPAND_ERR("{{ (1 }}", PRE "unclosed left paren");
	EXPAND_ERR("{{ 1) }}", PRE "unexpected right paren");
	EXPAND_ERR("{{ break }}", PRE "{{break}} outside {{range}}");
	EXPAND_ERR("{{/* x", PRE "unclosed comment");
	EXPAND_ERR("{{ 3x }}", PRE "bad number syntax: \"3x\"");
	EXPAND_ERR("{{ $x := 1 }}{{ $x.y.z := 2 }}", PRE "unexpected \":=\" in operand");
	EXPAND_ERR("{{ \"a\".b }}", PRE "unexpected . after term \"\\\"a\\\"\"");
	EXPAND_ERR("{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}",
		   PRE "template: multiple definition of template \"a\"");
	EXPAND_ERR("a\n{{ if 1 }}\n{{ end", "error parsing template __alert_X: template: __alert_X:3: unclosed action");
	/* the line is the furthest token read, as Go's token[0] */
	EXPAND_ERR("{{ if 1 }}\n", "error parsing template __alert_X: template: __alert_X:2: unexpected EOF");
	EXPAND_ERR("{{ ! }}", PRE "unexpected \"!\" in command");
}

static void exec_errors(void)
{
	EXPAND_ERR("{{ gt $value 1000 }}",
		   EXE "115: executing \"__alert_X\" at <gt $value 1000>: error calling gt: incompatible types for comparison");
	EXPAND_ERR("{{ .Foo }}", EXE "115: executing \"__alert_X\" at <.Foo>: can't evaluate field Foo in type struct { "
				 "Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value "
				 "interface {} }");
	EXPAND_ERR("{{ nil }}", EXE "115: executing \"__alert_X\" at <nil>: nil is not a command");
	EXPAND_ERR("{{ template \"nope\" }}", EXE "124: executing \"__alert_X\" at <{{template \"nope\"}}>: template \"nope\" not defined");
	EXPAND_ERR("{{ printf }}", EXE "115: executing \"__alert_X\" at <printf>: wrong number of args for printf: want at least 1 got 0");
	EXPAND_ERR("{{ toUpper 1 }}", EXE "123: executing \"__alert_X\" at <1>: expected string; found 1");
	EXPAND_ERR("{{ toUpper $value }}",
		   EXE "123: executing \"__alert_X\" at <$value>: wrong type for value; expected string; got float64");
	EXPAND_ERR("{{ humanize \"abc\" }}", EXE "115: executing \"__alert_X\" at <humanize \"abc\">: error calling humanize: "
					    "strconv.ParseFloat: parsing \"abc\": invalid syntax");
	EXPAND_ERR("{{ humanizeTimestamp 1e30 }}", EXE "115: executing \"__alert_X\" at <humanizeTimestamp 1e...>: error calling "
						  "humanizeTimestamp: 1e+30 cannot be represented as a nanoseconds timestamp since it overflows int64");
	EXPAND_ERR("{{ parseDuration \"x\" }}", EXE "115: executing \"__alert_X\" at <parseDuration \"x\">: error calling "
					       "parseDuration: not a valid duration string: \"x\"");
	EXPAND_ERR("{{ reReplaceAll \"(\" \"\" \"x\" }}", EXE "115: executing \"__alert_X\" at <reReplaceAll \"(\" \"\" ...>: error "
							"calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`");
	EXPAND_ERR("{{ match \"(\" \"x\" }}", EXE "115: executing \"__alert_X\" at <match \"(\" \"x\">: error calling match: error "
					     "parsing regexp: missing closing ): `(`");
	EXPAND_ERR("{{ $labels.job.x }}", EXE "122: executing \"__alert_X\" at <$labels.job.x>: can't evaluate field x in type string");
	EXPAND_ERR("{{ query \"none\" | first }}", EXE "130: executing \"__alert_X\" at <first>: error calling first: first() "
						  "called on vector with no elements");
	EXPAND_ERR("{{ query \"fail\" }}", EXE "115: executing \"__alert_X\" at <query \"fail\">: error calling query: 1:1: parse "
					  "error: bad query");
	EXPAND_ERR("{{ eq 1 1.0 }}", EXE "115: executing \"__alert_X\" at <eq 1 1.0>: error calling eq: incompatible types for comparison");
	EXPAND_ERR("{{ lt $labels 1 }}", EXE "115: executing \"__alert_X\" at <lt $labels 1>: error calling lt: invalid type for comparison");
	EXPAND_ERR("{{ index \"abc\" 5 }}", EXE "115: executing \"__alert_X\" at <index \"abc\" 5>: error calling index: index out of range: 5");
	EXPAND_ERR("{{ len 3 }}", EXE "115: executing \"__alert_X\" at <len 3>: error calling len: len of type int");
	EXPAND_ERR("{{ \"x\" 1 }}", EXE "115: executing \"__alert_X\" at <\"x\">: can't give argument to non-function \"x\"");
	EXPAND_ERR("{{ range 1.5 }}{{ end }}", EXE "121: executing \"__alert_X\" at <1.5>: range can't iterate over 1.5");
	EXPAND_ERR("x\n{{ .Nope }}", "error executing template __alert_X: template: __alert_X:2:3: executing \"__alert_X\" at "
				     "<.Nope>: can't evaluate field Nope in type struct { Labels map[string]string; "
				     "ExternalLabels map[string]string; ExternalURL string; Value interface {} }");
}

static void bounds(void)
{
	EXPAND_ERR("{{define \"a\"}}{{template \"a\" .}}{{end}}{{template \"a\" .}}",
		   EXE "137: executing \"a\" at <{{template \"a\" .}}>: exceeded maximum template depth (100)");
	buf o;
	err e;
	ASSERT(run("{{range 100000}}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{end}}", &o, &e) != 0);
	ASSERT(strstr(e.msg, "template output exceeds 1048576 bytes"));
	ASSERT_EQ(o.len, 0);
	buf_reset(&o);
	ASSERT(run("{{range 10000000}}{{end}}", &o, &e) != 0);
	ASSERT(strstr(e.msg, "template execution exceeded 1000000 steps"));
	buf_reset(&o);
	ASSERT(run("{{ range 1000 }}{{ range 1000 }}{{ range 1000 }}{{ end }}{{ end }}{{ end }}", &o, &e) != 0);
	ASSERT(strstr(e.msg, "steps"));
	buf_reset(&o);
	/* deep nesting is a parse error, not a stack overflow */
	char deep[4000];
	size_t k = 0;
	k += (size_t)snprintf(deep + k, sizeof deep - k, "{{ ");
	for (int i = 0; i < 1000; i++)
		deep[k++] = '(';
	deep[k++] = '1';
	for (int i = 0; i < 1000; i++)
		deep[k++] = ')';
	snprintf(deep + k, sizeof deep - k, " }}");
	ASSERT(run(deep, &o, &e) != 0);
	ASSERT(strstr(e.msg, "nested too deeply"));
	buf_reset(&o);
	/* strings that double each step stop at 1 MiB; values at 64 MiB */
	EXPAND_ERR("{{ $x := \"ab\" }}{{ range 40 }}{{ $x = printf \"%s%s\" $x $x }}{{ end }}",
		   EXE "150: executing \"__alert_X\" at <printf \"%s%s\" $x $x>: error calling printf: result exceeds 1048576 bytes");
	EXPAND_ERR("{{ $x := \"ab\" }}{{ range 40 }}{{ $x = print $x $x }}{{ end }}",
		   EXE "150: executing \"__alert_X\" at <print $x $x>: error calling print: result exceeds 1048576 bytes");
	EXPAND_ERR("{{ range 1000 }}{{ $x := printf \"%1000000d\" 1 }}{{ end }}",
		   EXE "137: executing \"__alert_X\" at <printf \"%1000000d\" 1>: template execution used more than 67108864 bytes");
	/* a huge width in printf is capped, not allocated without bound */
	ASSERT(run("{{ range 10 }}{{ printf \"%999999999d\" 1 }}{{ end }}", &o, &e) != 0);
	ASSERT(strstr(e.msg, "template output exceeds"));
	buf_reset(&o);
}

static void parse_once_exec_many(void)
{
	err e;
	tmpl *t = tmpl_parse("Y", "{{ $labels.job }}={{ $value }}", &e);
	ASSERT(t != NULL);
	static const label l1[] = {{"job", "a"}}, l2[] = {{"job", "b"}};
	tmpl_data d = {0};
	buf out;
	buf_init(&out);
	d.labels = (labels){l1, 1};
	d.value = 1;
	ASSERT_EQ(tmpl_exec(t, &d, &out, &e), 0);
	buf_put_byte(&out, ' ');
	d.labels = (labels){l2, 1};
	d.value = 0.5;
	ASSERT_EQ(tmpl_exec(t, &d, &out, &e), 0);
	ASSERT_STR_EQ(buf_cstr(&out), "a=1 b=0.5");
	/* an error leaves out as it was */
	tmpl *bad = tmpl_parse("Z", "ok{{ .Nope }}", &e);
	ASSERT(bad != NULL);
	ASSERT(tmpl_exec(bad, &d, &out, &e) != 0);
	ASSERT_STR_EQ(buf_cstr(&out), "a=1 b=0.5");
	ASSERT_EQ(e.code, FL_EEXEC);
	tmpl_free(bad);
	tmpl_free(t);
	tmpl_free(NULL);
	buf_reset(&out);
	ASSERT(tmpl_parse("Q", "{{ $nope }}", &e) == NULL);
	ASSERT_EQ(e.code, FL_EPARSE);
	ASSERT_STR_EQ(e.msg, "template: __alert_Q:1: undefined variable \"$nope\"");
}

const struct test tests_template[] = {
	{"text_and_actions", text_and_actions},
	{"pipelines_and_variables", pipelines_and_variables},
	{"control_structures", control_structures},
	{"whitespace_and_comments", whitespace_and_comments},
	{"builtins", builtins},
	{"printf_verbs", printf_verbs},
	{"prometheus_functions", prometheus_functions},
	{"parse_errors", parse_errors},
	{"exec_errors", exec_errors},
	{"bounds", bounds},
	{"parse_once_exec_many", parse_once_exec_many},
	{NULL, NULL},
};
