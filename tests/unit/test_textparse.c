/* test_textparse.c - scrape/textparse*.c through textparse.h: both formats'
 * entries (series text, labels sorted and unescaped, values as Go parses
 * them, timestamps), 3.x le/quantile normalisation, the errors with their
 * lines, the strict OpenMetrics validator, and the real pages in
 * ../shared (node_exporter's two scrapes, the exposition pages). Cases
 * follow upstream's promparse_test.go and openmetricsparse_test.go. */
#include "tests/unit/test.h"
#include "lib/buf.h"
#include "scrape/textparse.h"

/* Every entry of text as one line each: "HELP name|text", "TYPE name|type",
 * "UNIT name|unit", "EOF", "S series|labels|value[|ts]"; then "ERR line: msg"
 * or nothing at a clean end. */
/* Guesses for textparse_expect: before the i-th series, v[(i + shift) % n]
 * (none when n is 0). */
typedef struct hints {
	const slice *v;
	size_t n, shift;
} hints;

static void dump_hinted(textparse_format f, unsigned flags, const char *text, size_t len, const hints *h, buf *out)
{
	static const char *const types[] = {"unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"};
	textparse *p = textparse_new(f, text, len, flags);
	ASSERT(p);
	textparse_entry k;
	err e = {0};
	int rc;
	size_t n_series = 0;
	slice guess = {NULL, 0};
	for (;;) {
		guess = h && h->n ? h->v[(n_series + h->shift) % h->n] : (slice){NULL, 0};
		textparse_expect(p, guess);
		if ((rc = textparse_next(p, &k, &e)) != 1)
			break;
		if (k == TEXTPARSE_EOF) {
			buf_put_str(out, "EOF\n");
			continue;
		}
		if (k != TEXTPARSE_SERIES) {
			slice name, txt;
			textparse_mtype t;
			textparse_meta(p, &name, &txt, &t);
			buf_printf(out, "%s %.*s|", k == TEXTPARSE_HELP ? "HELP" : k == TEXTPARSE_TYPE ? "TYPE" : "UNIT", (int)name.len,
				   name.p);
			if (k == TEXTPARSE_TYPE)
				buf_put_str(out, types[t]);
			else
				buf_put(out, txt.p, txt.len);
			buf_put_byte(out, '\n');
			continue;
		}
		slice s = textparse_series(p);
		/* met exactly when the series is the guess */
		ASSERT_EQ(textparse_expect_met(p), guess.len && s.len == guess.len && !memcmp(s.p, guess.p, s.len));
		n_series++;
		labels ls = textparse_labels(p, &e);
		ASSERT(ls.v);
		double v;
		bool has_ts;
		int64_t ts;
		textparse_sample(p, &v, &has_ts, &ts);
		buf_printf(out, "S %.*s|", (int)s.len, s.p);
		labels_format(out, ls);
		buf_printf(out, "|%g", v);
		if (has_ts)
			buf_printf(out, "|%" PRId64, ts);
		buf_put_byte(out, '\n');
	}
	if (rc < 0)
		buf_printf(out, "ERR %zu: %s\n", textparse_line(p), e.msg);
	ASSERT_EQ(textparse_next(p, &k, &e), 0); /* an error or the end is final */
	textparse_free(p);
}

static void dump(textparse_format f, unsigned flags, const char *text, size_t len, buf *out)
{
	dump_hinted(f, flags, text, len, NULL, out);
}

static void expect(textparse_format f, unsigned flags, const char *text, const char *want)
{
	buf out;
	buf_init(&out);
	dump(f, flags, text, strlen(text), &out);
	if (strcmp(buf_cstr(&out), want))
		test_fail(__FILE__, __LINE__, "input:\n%s\ngot:\n%s\nwant:\n%s", text, buf_cstr(&out), want);
	buf_reset(&out);
}

static void prom_entries(void)
{
	static const char in[] =
		"# HELP go_gc_duration_seconds A summary of the GC invocation durations.\n"
		"# \tTYPE go_gc_duration_seconds summary\n"
		"go_gc_duration_seconds{quantile=\"0\"} 4.9351e-05\n"
		"go_gc_duration_seconds{quantile=\"0.25\",} 7.424100000000001e-05\n"
		"go_gc_duration_seconds{ quantile=\"0.9\", a=\"b\"} 8.3835e-05\n"
		"# TYPE h histogram\n"
		"h_bucket{handler=\"/\",le=\"1\"} 423\n"
		"h_bucket{le=\"1e6\"} 1\n"
		"h_bucket{le=\"+Inf\"} 1423\n"
		"# Hrandom comment starting with prefix of HELP\n"
		"#\n"
		"\n"
		"  \t\n"
		"wind_speed{A=\"2\",c=\"3\"} 12345\n"
		"# comment with escaped \\n newline\n"
		"# HELP nohelp1\n"
		"# HELP nohelp2 \n"
		"go_gc_duration_seconds { quantile = \"2.0\" a = \"b\" } 8.3835e-05\n"
		"some:aggregate:rate5m{a_b=\"c\"}\t1\n"
		"# TYPE go_goroutines gauge\n"
		"go_goroutines 33  \t123123\n"
		"# HELP some_counter_total Help \\\\ with \\n escapes \\\" kept.\n"
		"testmetric{label=\"\\\"bar\\\"\",x=\"a\\tb\"} 1\n"
		"testmetric{le=\"10\"} 1\n"
		"{\"my.metric\", a=\"b\"} NaN\n"
		"{a=\"b\", \"my.other\"} -Inf 5\n"
		"{\"q\\\"uote\"} +Inf\n"
		"null_byte_metric{a=\"abc\\x\"} 1";
	expect(TEXTPARSE_PROM, 0, in,
	       "HELP go_gc_duration_seconds|A summary of the GC invocation durations.\n"
	       "TYPE go_gc_duration_seconds|summary\n"
	       "S go_gc_duration_seconds{quantile=\"0\"}|{__name__=\"go_gc_duration_seconds\", quantile=\"0.0\"}|4.9351e-05\n"
	       "S go_gc_duration_seconds{quantile=\"0.25\",}|{__name__=\"go_gc_duration_seconds\", quantile=\"0.25\"}|7.4241e-05\n"
	       "S go_gc_duration_seconds{ quantile=\"0.9\", a=\"b\"}|{__name__=\"go_gc_duration_seconds\", a=\"b\", quantile=\"0.9\"}|8.3835e-05\n"
	       "TYPE h|histogram\n"
	       "S h_bucket{handler=\"/\",le=\"1\"}|{__name__=\"h_bucket\", handler=\"/\", le=\"1.0\"}|423\n"
	       "S h_bucket{le=\"1e6\"}|{__name__=\"h_bucket\", le=\"1e+06\"}|1\n"
	       "S h_bucket{le=\"+Inf\"}|{__name__=\"h_bucket\", le=\"+Inf\"}|1423\n"
	       /* the last TYPE still says histogram: upstream's known windspeed quirk */
	       "S wind_speed{A=\"2\",c=\"3\"}|{A=\"2\", __name__=\"wind_speed\", c=\"3\"}|12345\n"
	       "HELP nohelp1|\n"
	       "HELP nohelp2|\n"
	       "S go_gc_duration_seconds { quantile = \"2.0\" a = \"b\" }|{__name__=\"go_gc_duration_seconds\", a=\"b\", quantile=\"2.0\"}|8.3835e-05\n"
	       "S some:aggregate:rate5m{a_b=\"c\"}|{__name__=\"some:aggregate:rate5m\", a_b=\"c\"}|1\n"
	       "TYPE go_goroutines|gauge\n"
	       "S go_goroutines|{__name__=\"go_goroutines\"}|33|123123\n"
	       "HELP some_counter_total|Help \\ with \n escapes \\\" kept.\n"
	       "S testmetric{label=\"\\\"bar\\\"\",x=\"a\\tb\"}|{__name__=\"testmetric\", label=\"\\\"bar\\\"\", x=\"a\\\\tb\"}|1\n"
	       "S testmetric{le=\"10\"}|{__name__=\"testmetric\", le=\"10\"}|1\n"
	       "S {\"my.metric\", a=\"b\"}|{__name__=\"my.metric\", a=\"b\"}|nan\n"
	       "S {a=\"b\", \"my.other\"}|{__name__=\"my.other\", a=\"b\"}|-inf|5\n"
	       "S {\"q\\\"uote\"}|{__name__=\"q\\\"uote\"}|inf\n"
	       "S null_byte_metric{a=\"abc\\x\"}|{__name__=\"null_byte_metric\", a=\"abc\\\\x\"}|1\n");
}

static void prom_values(void)
{
	/* Go's ParseFloat: case-insensitive specials, no hex, no '_', overflow is an error */
	expect(TEXTPARSE_PROM, 0, "a inf\nb -Infinity\nc nan\nd 1e-400\ne .5\nf 5.\n",
	       "S a|{__name__=\"a\"}|inf\nS b|{__name__=\"b\"}|-inf\nS c|{__name__=\"c\"}|nan\n"
	       "S d|{__name__=\"d\"}|0\nS e|{__name__=\"e\"}|0.5\nS f|{__name__=\"f\"}|5\n");
	expect(TEXTPARSE_PROM, 0, "g 007\nh 999999999999999\ni 9999999999999999\nj -0\nk +5\n",
	       "S g|{__name__=\"g\"}|7\nS h|{__name__=\"h\"}|1e+15\nS i|{__name__=\"i\"}|1e+16\n"
	       "S j|{__name__=\"j\"}|-0\nS k|{__name__=\"k\"}|5\n");
	expect(TEXTPARSE_PROM, 0, "a 1_000\n", "ERR 1: unsupported character in float while parsing: \"a 1_000\"\n");
	buf out;
	buf_init(&out);
	dump(TEXTPARSE_PROM, 0, "a 1\0\n", 5, &out); /* a NUL inside a value is no float */
	ASSERT_STR_EQ(buf_cstr(&out), "ERR 1: strconv.ParseFloat: parsing \"1\\x00\": invalid syntax while parsing: \"a 1\\x00\"\n");
	buf_reset(&out);
	textparse *p = textparse_new(TEXTPARSE_PROM, "a NaN\n", 6, 0);
	textparse_entry k;
	err e;
	ASSERT_EQ(textparse_next(p, &k, &e), 1);
	double v;
	bool has_ts;
	int64_t ts;
	textparse_sample(p, &v, &has_ts, &ts);
	uint64_t bits;
	memcpy(&bits, &v, 8);
	ASSERT_U64_EQ(bits, 0x7FF8000000000001ull); /* value.NormalNaN */
	textparse_free(p);
	/* a NUL byte where a line starts ends the input, as promlex's \0 rule */
	expect(TEXTPARSE_PROM, 0, "a 1\n\0b 2\n", "S a|{__name__=\"a\"}|1\n");
	/* a quoted label value may span lines; the next entry's line counts them */
	expect(TEXTPARSE_PROM, 0, "a{x=\"1\n2\"} 1\nb 2 x\n",
	       "S a{x=\"1\n2\"}|{__name__=\"a\", x=\"1\\n2\"}|1\n"
	       "ERR 3: expected timestamp or new record, got \"x\" (\"INVALID\") while parsing: \"b 2 x\"\n");
}

static void prom_errors(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"a\n", "ERR 1: expected value after metric, got \"\\n\" (\"INVALID\") while parsing: \"a\\n\"\n"},
		{"a 1\n\nb x\n", "S a|{__name__=\"a\"}|1\nERR 3: strconv.ParseFloat: parsing \"x\": invalid syntax while parsing: \"b x\"\n"},
		{"a 0x1p-3\n", "ERR 1: unsupported character in float while parsing: \"a 0x1p-3\"\n"},
		{"a 1e999\n", "ERR 1: strconv.ParseFloat: parsing \"1e999\": value out of range while parsing: \"a 1e999\"\n"},
		{"a 1 -5\n", "ERR 1: expected timestamp or new record, got \"-\" (\"INVALID\") while parsing: \"a 1 -\"\n"},
		{"a 1 99999999999999999999\n", "ERR 1: strconv.ParseInt: parsing \"99999999999999999999\": value out of range while parsing: \"a 1 99999999999999999999\"\n"},
		{"{a=\"b\"} 1\n", "ERR 1: metric name not set while parsing: \"{a=\\\"b\\\"} 1\"\n"},
		{"{\"a\",\"b\"} 1\n", "ERR 1: metric name already set while parsing: \"{\\\"a\\\",\\\"b\\\"\"\n"},
		{"a{b} 1\n", "ERR 1: expected equal, got \"} \" (\"BCLOSE\") while parsing: \"a{b} \"\n"},
		{"a{b=c} 1\n", "ERR 1: expected label value, got \"c\" (\"INVALID\") while parsing: \"a{b=c\"\n"},
		{"a{b=\"\xff\"} 1\n", "ERR 1: invalid UTF-8 label value: \"\\\"\\xff\\\"\"\n"},
		{"# TYPE a meh\n", "ERR 1: invalid metric type \"meh\"\n"},
		{"# TYPE\n# HELP \n", "ERR 2: expected metric name after HELP, got \"\\n\" (\"INVALID\") while parsing: \"# HELP \\n\"\n"},
		{"-a 1\n", "ERR 1: expected a valid start token, got \"-\" (\"INVALID\") while parsing: \"-\"\n"},
		{"a{b=\"c\"\n", "ERR 1: expected label name, got \"\\n\" (\"INVALID\") while parsing: \"a{b=\\\"c\\\"\\n\"\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect(TEXTPARSE_PROM, 0, cases[i].in, cases[i].want);
}

/* The error cases of upstream's TestPromParseErrors and
 * TestOpenMetricsParseErrors (prometheus/prometheus model/textparse), with
 * their messages. */
static void upstream_errors(void)
{
	static const struct {
		textparse_format f;
		const char *in, *err;
	} cases[] = {
		{TEXTPARSE_PROM, "a", "expected value after metric, got \"\\n\" (\"INVALID\") while parsing: \"a\\n\""},
		{TEXTPARSE_PROM, "a{b='c'} 1\n", "expected label value, got \"'\" (\"INVALID\") while parsing: \"a{b='\""},
		{TEXTPARSE_PROM, "a{b=\n", "expected label value, got \"\\n\" (\"INVALID\") while parsing: \"a{b=\\n\""},
		{TEXTPARSE_PROM, "a{\xff=\"foo\"} 1\n", "expected label name, got \"\\xff\" (\"INVALID\") while parsing: \"a{\\xff\""},
		{TEXTPARSE_PROM, "a{b=\"\xff\"} 1\n", "invalid UTF-8 label value: \"\\\"\\xff\\\"\""},
		{TEXTPARSE_PROM, "{\"a\", \"b = \"c\"}", "expected equal, got \"c\\\"\" (\"LNAME\") while parsing: \"{\\\"a\\\", \\\"b = \\\"c\\\"\""},
		{TEXTPARSE_PROM, "{\"a\",b\\nc=\"d\"} 1", "expected equal, got \"\\\\\" (\"INVALID\") while parsing: \"{\\\"a\\\",b\\\\\""},
		{TEXTPARSE_PROM, "a true\n", "strconv.ParseFloat: parsing \"true\": invalid syntax while parsing: \"a true\""},
		{TEXTPARSE_PROM, "empty_label_name{=\"\"} 0", "expected label name, got \"=\\\"\" (\"EQUAL\") while parsing: \"empty_label_name{=\\\"\""},
		{TEXTPARSE_PROM, "{A}0", "expected equal, got \"}0\" (\"BCLOSE\") while parsing: \"{A}0\""},
		{TEXTPARSE_PROM, "foo 1_2\n", "unsupported character in float while parsing: \"foo 1_2\""},
		{TEXTPARSE_PROM, "foo 0x1p-3\n", "unsupported character in float while parsing: \"foo 0x1p-3\""},
		{TEXTPARSE_PROM, "foo 0 1_2\n", "expected next entry after timestamp, got \"_\" (\"INVALID\") while parsing: \"foo 0 1_\""},
		{TEXTPARSE_PROM, "{a=\"ok\"} 1", "metric name not set while parsing: \"{a=\\\"ok\\\"} 1\""},
		{TEXTPARSE_PROM, "# TYPE #\n#EOF\n", "expected metric name after TYPE, got \"#\" (\"INVALID\") while parsing: \"# TYPE #\""},
		{TEXTPARSE_PROM, "# HELP #\n#EOF\n", "expected metric name after HELP, got \"#\" (\"INVALID\") while parsing: \"# HELP #\""},
		{TEXTPARSE_OM, "", "data does not end with # EOF"},
		{TEXTPARSE_OM, "\n", "expected a valid start token, got \"\\n\" (\"INVALID\") while parsing: \"\\n\""},
		{TEXTPARSE_OM, "metric 1\n", "data does not end with # EOF"},
		{TEXTPARSE_OM, "metric_total 1 # {aa=\"bb\"} 4", "data does not end with # EOF"},
		{TEXTPARSE_OM, "a\n#EOF\n", "expected value after metric, got \"\\n\" (\"INVALID\") while parsing: \"a\\n\""},
		{TEXTPARSE_OM, " a 1\n#EOF\n", "expected a valid start token, got \" \" (\"INVALID\") while parsing: \" \""},
		{TEXTPARSE_OM, "9\n#EOF\n", "expected a valid start token, got \"9\" (\"INVALID\") while parsing: \"9\""},
		{TEXTPARSE_OM, "# TYPE u untyped\n#EOF\n", "invalid metric type \"untyped\""},
		{TEXTPARSE_OM, "# TYPE c counter \n#EOF\n", "invalid metric type \"counter \""},
		{TEXTPARSE_OM, "# TYPE \n#EOF\n", "expected metric name after TYPE, got \"\\n\" (\"INVALID\") while parsing: \"# TYPE \\n\""},
		{TEXTPARSE_OM, "# TYPE m\n#EOF\n", "expected text in TYPE"},
		{TEXTPARSE_OM, "# UNIT metricsuffix suffix\n#EOF\n", "unit \"suffix\" not a suffix of metric \"metricsuffix\""},
		{TEXTPARSE_OM, "# UNIT m\n#EOF\n", "expected text in UNIT"},
		{TEXTPARSE_OM, "# HELP m\n#EOF\n", "expected text in HELP"},
		{TEXTPARSE_OM, "a\t1\n#EOF\n", "expected value after metric, got \"\\t\" (\"INVALID\") while parsing: \"a\\t\""},
		{TEXTPARSE_OM, "a 1\t2\n#EOF\n", "strconv.ParseFloat: parsing \"1\\t2\": invalid syntax while parsing: \"a 1\\t2\""},
		{TEXTPARSE_OM, "a 1 2 #\n#EOF\n", "expected next entry after timestamp, got \" #\\n\" (\"TIMESTAMP\") while parsing: \"a 1 2 #\\n\""},
		{TEXTPARSE_OM, "a 1 1z\n#EOF\n", "strconv.ParseFloat: parsing \"1z\": invalid syntax while parsing: \"a 1 1z\""},
		{TEXTPARSE_OM, " # EOF\n", "expected a valid start token, got \" \" (\"INVALID\") while parsing: \" \""},
		{TEXTPARSE_OM, "# EOF\na 1", "unexpected data after # EOF"},
		{TEXTPARSE_OM, "# EOFa 1", "unexpected data after # EOF"},
		{TEXTPARSE_OM, "# TYPE c  counter\n", "invalid metric type \" counter\""},
		{TEXTPARSE_OM, "a 1 1 1\n# EOF\n", "expected next entry after timestamp, got \" 1\\n\" (\"TIMESTAMP\") while parsing: \"a 1 1 1\\n\""},
		{TEXTPARSE_OM, "a{b='c'} 1\n# EOF\n", "expected label value, got \"'\" (\"INVALID\") while parsing: \"a{b='\""},
		{TEXTPARSE_OM, "a{,b=\"c\"} 1\n# EOF\n", "expected label name, got \",b\" (\"COMMA\") while parsing: \"a{,b\""},
		{TEXTPARSE_OM, "a{b=\"c\"d=\"e\"} 1\n# EOF\n", "expected comma or brace close, got \"d=\" (\"LNAME\") while parsing: \"a{b=\\\"c\\\"d=\""},
		{TEXTPARSE_OM, "a{b=\"c\",,d=\"e\"} 1\n# EOF\n", "expected label name, got \",d\" (\"COMMA\") while parsing: \"a{b=\\\"c\\\",,d\""},
		{TEXTPARSE_OM, "a{b=\n# EOF\n", "expected label value, got \"\\n\" (\"INVALID\") while parsing: \"a{b=\\n\""},
		{TEXTPARSE_OM, "a{b=\"\xff\"} 1\n# EOF\n", "invalid UTF-8 label value: \"\\\"\\xff\\\"\""},
		{TEXTPARSE_OM, "a true\n", "strconv.ParseFloat: parsing \"true\": invalid syntax while parsing: \"a true\""},
		{TEXTPARSE_OM, "empty_label_name{=\"\"} 0\n# EOF\n", "expected label name, got \"=\\\"\" (\"EQUAL\") while parsing: \"empty_label_name{=\\\"\""},
		{TEXTPARSE_OM, "{A}0\n# EOF\n", "expected equal, got \"}0\" (\"BCLOSE\") while parsing: \"{A}0\""},
		{TEXTPARSE_OM, "foo 0 1_2\n\n# EOF\n", "unsupported character in float while parsing: \"foo 0 1_2\""},
		{TEXTPARSE_OM, "custom_metric_total 1 # {aa=bb}\n# EOF\n", "expected label value, got \"b\" (\"INVALID\") while parsing: \"custom_metric_total 1 # {aa=b\""},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		textparse *p = textparse_new(cases[i].f, cases[i].in, strlen(cases[i].in), 0);
		textparse_entry k;
		err e = {0};
		int rc;
		while ((rc = textparse_next(p, &k, &e)) == 1)
			;
		textparse_free(p);
		if (rc == 0 || strcmp(e.msg, cases[i].err)) {
			printf("  case %zu %s: got  %s\n  want %s\n", i, cases[i].in, rc ? e.msg : "(no error)", cases[i].err);
			bad++;
		}
	}
	ASSERT_EQ(bad, 0);
}

static const char om_text[] = "# TYPE foo_seconds counter\n"
			      "# HELP foo_seconds Some \\\"help\\\".\n"
			      "# UNIT foo_seconds seconds\n"
			      "foo_seconds_total{z=\"1\",a=\"x\\\\y\\\"z\\nw\"} 17 1700000000.0005\n"
			      "foo_seconds_total 1e3 1 # {trace_id=\"abc\"} 1 1.5\n"
			      "foo_seconds_created 1700000000 2\n"
			      "# TYPE hs histogram\n"
			      "hs_bucket{le=\"0.5\"} 1 # {a=\"b\"} 0.3\n"
			      "hs_bucket{le=\"1\"} 1\n"
			      "hs_bucket{le=\"+Inf\"} 2\n"
			      "# TYPE s summary\n"
			      "s{quantile=\"1\"} 5\n"
			      "# TYPE i info\n"
			      "i_info{v=\"1\"} 1\n"
			      "# TYPE st stateset\n"
			      "st{st=\"a\"} 1\n"
			      "# TYPE g gaugehistogram\n"
			      "g_bucket{le=\"1\"} 1\n"
			      "g_bucket{le=\"+Inf\"} 1\n"
			      "bar NaN -1.2345\n"
			      "bar -Inf 2\n"
			      "{\"baz.q\",le=\"7\"} +Inf 12345678901234567890.5\n"
			      "# EOF\n";

static void om_entries(void)
{
	expect(TEXTPARSE_OM, 0, om_text,
	       "TYPE foo_seconds|counter\n"
	       "HELP foo_seconds|Some \"help\".\n"
	       "UNIT foo_seconds|seconds\n"
	       "S foo_seconds_total{z=\"1\",a=\"x\\\\y\\\"z\\nw\"}|{__name__=\"foo_seconds_total\", a=\"x\\\\y\\\"z\\nw\", z=\"1\"}|17|1700000000000\n"
	       "S foo_seconds_total|{__name__=\"foo_seconds_total\"}|1000|1000\n"
	       "S foo_seconds_created|{__name__=\"foo_seconds_created\"}|1.7e+09|2000\n" /* _created stays a series, as 3.x by default */
	       "TYPE hs|histogram\n"
	       "S hs_bucket{le=\"0.5\"}|{__name__=\"hs_bucket\", le=\"0.5\"}|1\n"
	       "S hs_bucket{le=\"1\"}|{__name__=\"hs_bucket\", le=\"1.0\"}|1\n"
	       "S hs_bucket{le=\"+Inf\"}|{__name__=\"hs_bucket\", le=\"+Inf\"}|2\n"
	       "TYPE s|summary\n"
	       "S s{quantile=\"1\"}|{__name__=\"s\", quantile=\"1.0\"}|5\n"
	       "TYPE i|info\n"
	       "S i_info{v=\"1\"}|{__name__=\"i_info\", v=\"1\"}|1\n"
	       "TYPE st|stateset\n"
	       "S st{st=\"a\"}|{__name__=\"st\", st=\"a\"}|1\n"
	       "TYPE g|gaugehistogram\n"
	       "S g_bucket{le=\"1\"}|{__name__=\"g_bucket\", le=\"1\"}|1\n" /* only classic histograms are normalised */
	       "S g_bucket{le=\"+Inf\"}|{__name__=\"g_bucket\", le=\"+Inf\"}|1\n"
	       "S bar|{__name__=\"bar\"}|nan|-1234\n"                      /* int64(s * 1000) truncates toward zero */
	       "S bar|{__name__=\"bar\"}|-inf|2000\n"
	       "S {\"baz.q\",le=\"7\"}|{__name__=\"baz.q\", le=\"7\"}|inf|-9223372036854775808\n" /* Go on amd64 */
	       "EOF\n");
	/* 2.x (backfill): le as written */
	expect(TEXTPARSE_OM, TEXTPARSE_V2, "# TYPE h histogram\nh_bucket{le=\"1\"} 1 5\n# EOF",
	       "TYPE h|histogram\nS h_bucket{le=\"1\"}|{__name__=\"h_bucket\", le=\"1\"}|1|5000\nEOF\n");
}

static void om_errors(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"a 1 1\n", "S a|{__name__=\"a\"}|1|1000\nERR 2: data does not end with # EOF\n"},
		{"a 1\n# EOF\nb 1\n", "S a|{__name__=\"a\"}|1\nERR 2: unexpected data after # EOF\n"},
		{"# EOF\n\n", "ERR 1: unexpected data after # EOF\n"},
		{"a  1\n# EOF\n", "ERR 1: expected value after metric, got \" \" (\"INVALID\") while parsing: \"a \"\n"},
		{"a 1 NaN\n# EOF\n", "ERR 1: invalid timestamp NaN\n"},
		{"a 1 1 # {x=\"y\"} 1 Inf\n# EOF\n", "ERR 1: invalid exemplar timestamp +Inf\n"},
		{"# a comment\n# EOF\n", "ERR 1: expected a valid start token, got \"#\" (\"INVALID\") while parsing: \"#\"\n"},
		{"# UNIT a_b c\n# EOF\n", "ERR 1: unit \"c\" not a suffix of metric \"a_b\"\n"},
		{"# TYPE a untyped\n# EOF\n", "ERR 1: invalid metric type \"untyped\"\n"},
		{"# HELP a\n# EOF\n", "ERR 1: expected text in HELP\n"},
		{"a{b=\"c\" d=\"e\"} 1\n# EOF\n", "ERR 1: expected comma or brace close, got \" \" (\"INVALID\") while parsing: \"a{b=\\\"c\\\" \"\n"},
		{"a 1 1 # {\"q\"} 1\n# EOF\n", "ERR 1: expected label name, got \"} \" (\"BCLOSE\") while parsing: \"a 1 1 # {\\\"q\\\"} \"\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect(TEXTPARSE_OM, 0, cases[i].in, cases[i].want);
}

/* Lenient takes what the validator refuses; strict says why and where. */
static void om_strict(void)
{
	static const struct {
		const char *in, *err;
	} cases[] = {
		{"a{b=\"c\",} 1\n# EOF\n", "ERR 1: trailing comma in label set\n"},
		{"a{b=\"c\",b=\"d\"} 1\n# EOF\n", "ERR 1: label name given twice\n"},
		{"a{__b=\"c\"} 1\n# EOF\n", "ERR 1: reserved label name __b\n"},
		{"# TYPE a counter\na_total 1 # {__x=\"y\"} 1\n# EOF\n", "ERR 2: reserved label name in exemplar\n"},
		{"# TYPE a counter\na_total -1\n# EOF\n", "ERR 2: counter-like samples cannot be negative\n"},
		{"# TYPE a histogram\na_bucket{le=\"1\"} 1\n# EOF\n", "ERR 3: histogram a: +Inf bucket missing\n"},
		{"# TYPE a gauge\na 1\n# HELP a x\n# EOF\n", "ERR 3: metadata for a after its samples\n"},
		{"a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 1\n# EOF\n", "ERR 3: invalid metric grouping\n"},
		{"# TYPE a gauge\na 1 # {x=\"y\"} 1\n# EOF\n", "ERR 2: only histogram/gaugehistogram buckets and counters can have exemplars\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf lenient, strict;
		buf_init(&lenient);
		buf_init(&strict);
		dump(TEXTPARSE_OM, 0, cases[i].in, strlen(cases[i].in), &lenient);
		dump(TEXTPARSE_OM, TEXTPARSE_STRICT, cases[i].in, strlen(cases[i].in), &strict);
		ASSERT(!strstr(buf_cstr(&lenient), "ERR"));
		const char *got = strstr(buf_cstr(&strict), "ERR");
		ASSERT_STR_EQ(got, cases[i].err);
		buf_reset(&lenient);
		buf_reset(&strict);
	}
	/* the whole valid page passes the validator unchanged */
	buf a, b;
	buf_init(&a);
	buf_init(&b);
	dump(TEXTPARSE_OM, 0, om_text, strlen(om_text), &a);
	dump(TEXTPARSE_OM, TEXTPARSE_STRICT, om_text, strlen(om_text), &b);
	ASSERT(strstr(buf_cstr(&b), "ERR") == NULL || (fprintf(stdout, "%s", buf_cstr(&b)), 0));
	ASSERT_STR_EQ(buf_cstr(&a), buf_cstr(&b));
	buf_reset(&a);
	buf_reset(&b);
}

static void format_choice(void)
{
	textparse_format f, fb = TEXTPARSE_PROM;
	ASSERT(textparse_format_for("application/openmetrics-text; version=1.0.0; charset=utf-8", NULL, &f) && f == TEXTPARSE_OM);
	ASSERT(textparse_format_for("text/plain; version=0.0.4", NULL, &f) && f == TEXTPARSE_PROM);
	ASSERT(textparse_format_for(" TEXT/PLAIN", NULL, &f) && f == TEXTPARSE_PROM);
	ASSERT(!textparse_format_for("text/plainx", NULL, &f));
	ASSERT(!textparse_format_for("application/json", NULL, &f));
	ASSERT(!textparse_format_for(NULL, NULL, &f));
	ASSERT(textparse_format_for("", &fb, &f) && f == TEXTPARSE_PROM);
	static const struct {
		const char *in;
		textparse_format want;
	} guess[] = {
		{"a 1\n", TEXTPARSE_PROM},
		{"a 1\n# EOF\n\n", TEXTPARSE_PROM},               /* a comment in text 0.0.4 */
		{"a 1 1.5\n# EOF\n", TEXTPARSE_OM},                /* not text: a float timestamp */
		{"# TYPE a info\na_info 1\n# EOF", TEXTPARSE_OM},  /* an OpenMetrics-only type */
		{"# UNIT a_s s\na_s 1\n# EOF\n", TEXTPARSE_OM},
		{"# TYPE a info\na_info 1\n", TEXTPARSE_PROM},     /* no # EOF: never OpenMetrics */
		{"# HELP a x info\na 1\n# EOF\n", TEXTPARSE_PROM}, /* " info" ends a HELP line, not a TYPE */
	};
	for (size_t i = 0; i < sizeof guess / sizeof guess[0]; i++) {
		bool om = textparse_guess_format(guess[i].in, strlen(guess[i].in), &f);
		ASSERT_EQ(f, guess[i].want);
		ASSERT_EQ(om, guess[i].want == TEXTPARSE_OM);
	}
}

typedef struct page_stats {
	size_t samples, types, counters, gauges, summaries, untyped, helps;
	uint64_t series_hash; /* xor of label-set hashes: the same series in any order */
} page_stats;

static void page(textparse_format f, const char *path, page_stats *st)
{
	char full[512];
	snprintf(full, sizeof full, "%s/%s", test_shared_dir(), path);
	buf in;
	buf_init(&in);
	err e = {0};
	if (buf_read_file(&in, full, &e))
		test_fail(__FILE__, __LINE__, "%s: %s", full, e.msg);
	memset(st, 0, sizeof *st);
	textparse *p = textparse_new(f, (const char *)in.p, in.len, 0);
	textparse_entry k;
	int rc;
	while ((rc = textparse_next(p, &k, &e)) == 1) {
		if (k == TEXTPARSE_HELP)
			st->helps++;
		if (k == TEXTPARSE_TYPE) {
			slice n, t;
			textparse_mtype mt;
			textparse_meta(p, &n, &t, &mt);
			st->types++;
			st->counters += mt == TEXTPARSE_MT_COUNTER;
			st->gauges += mt == TEXTPARSE_MT_GAUGE;
			st->summaries += mt == TEXTPARSE_MT_SUMMARY;
			st->untyped += mt == TEXTPARSE_MT_UNKNOWN;
		}
		if (k != TEXTPARSE_SERIES)
			continue;
		labels ls = textparse_labels(p, &e);
		ASSERT(labels_valid_order(ls));
		st->samples++;
		st->series_hash ^= labels_hash(ls);
	}
	if (rc)
		test_fail(__FILE__, __LINE__, "%s: line %zu: %s", path, textparse_line(p), e.msg);
	textparse_free(p);
	buf_reset(&in);
}

/* conformance/tsdb/README.md: 283 families (60 counter, 175 gauge, 1
 * summary, 47 untyped) and 505 samples each; the same series in both. */
static void node_exporter_scrapes(void)
{
	page_stats a, b;
	page(TEXTPARSE_PROM, "conformance/tsdb/node-exporter/scrape-1.txt", &a);
	page(TEXTPARSE_PROM, "conformance/tsdb/node-exporter/scrape-2.txt", &b);
	ASSERT_EQ(a.samples, 505);
	ASSERT_EQ(b.samples, 505);
	ASSERT_EQ(a.types, 283);
	ASSERT_EQ(a.helps, 283);
	ASSERT_EQ(a.counters, 60);
	ASSERT_EQ(a.gauges, 175);
	ASSERT_EQ(a.summaries, 1);
	ASSERT_EQ(a.untyped, 47);
	ASSERT_U64_EQ(a.series_hash, b.series_hash);
}

static void exposition_pages(void)
{
	page_stats st;
	page(TEXTPARSE_PROM, "conformance/exposition/node-exporter-1.5.0.txt", &st);
	ASSERT(st.samples > 400 && st.types > 250);
	page(TEXTPARSE_PROM, "conformance/exposition/prometheus-2.42.0.txt", &st);
	ASSERT(st.samples > 300);
	page_stats meta, nometa;
	page(TEXTPARSE_PROM, "conformance/exposition/alltypes.237mfs.prom.txt", &meta);
	page(TEXTPARSE_PROM, "conformance/exposition/alltypes.237mfs.nometa.prom.txt", &nometa);
	ASSERT_EQ(meta.types, 237);
	ASSERT_EQ(nometa.types, 0);
	ASSERT_EQ(meta.samples, nometa.samples);
	page(TEXTPARSE_OM, "conformance/exposition/alltypes.5mfs.om.txt", &st);
	ASSERT_EQ(st.types, 5);
	page(TEXTPARSE_OM, "conformance/exposition/1histogram.om.txt", &st);
	ASSERT_EQ(st.types, 1);
}

/* The series keys of text (slices into it, none with a newline). */
static size_t keys_of(textparse_format f, const char *text, size_t len, slice *v, size_t cap)
{
	textparse *p = textparse_new(f, text, len, 0);
	textparse_entry k;
	size_t n = 0;
	while (textparse_next(p, &k, NULL) == 1)
		if (k == TEXTPARSE_SERIES && n < cap) {
			slice s = textparse_series(p);
			if (!memchr(s.p, '\n', s.len))
				v[n++] = s;
		}
	textparse_free(p);
	return n;
}

/* Entries and errors come out the same with any guesses: every key of the
 * page tried before every line (right, wrong, a prefix of the real one). */
static void expect_same(textparse_format f, const char *text, size_t len)
{
	slice keys[1024];
	size_t nk = keys_of(f, text, len, keys, FL_ARRAY_LEN(keys));
	buf plain, got;
	buf_init(&plain);
	buf_init(&got);
	dump(f, 0, text, len, &plain);
	for (size_t shift = 0; shift < (nk > 40 ? 2 : nk); shift++) {
		hints h = {keys, nk, shift};
		buf_clear(&got);
		dump_hinted(f, 0, text, len, &h, &got);
		if (strcmp(buf_cstr(&plain), buf_cstr(&got)))
			test_fail(__FILE__, __LINE__, "shift %zu:\ngot:\n%s\nwant:\n%s", shift, buf_cstr(&got),
				  buf_cstr(&plain));
	}
	buf_reset(&plain);
	buf_reset(&got);
}

static void expected_series(void)
{
	static const char prom[] =
		"foo 1\nfoo{a=\"b\"} 2\nfoo  {a=\"b\"} 3\nfoobar 4\nfoo\t5\n  foo{a=\"b\"}6\n{\"foo\"} 7\n"
		"{\"foo\",a=\"x\"} 8\nfoo:bar 9\nfoo 10 123\nfoo{a=\"b\"\tb=\"c\",} 11\nfoo{a=\"b\"} 12 34\n"
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nfoo {a=\"x\\ny\"} 13\nfoo";
	expect_same(TEXTPARSE_PROM, prom, sizeof prom - 1);
	static const char om[] =
		"# TYPE foo gauge\nfoo 1\nfoo{a=\"b\"} 2\nfoobar 4\n{\"foo\"} 7\nfoo{a=\"b\"} 3 # {x=\"y\"} 1 2\n"
		"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nfoo {a=\"b\"} 5\n# EOF\n";
	expect_same(TEXTPARSE_OM, om, sizeof om - 1);
	static const char *const pages[] = {"conformance/exposition/node-exporter-1.5.0.txt",
					    "conformance/exposition/alltypes.237mfs.prom.txt"};
	for (size_t i = 0; i < FL_ARRAY_LEN(pages); i++) {
		char full[512];
		snprintf(full, sizeof full, "%s/%s", test_shared_dir(), pages[i]);
		buf in;
		buf_init(&in);
		err e = {0};
		if (buf_read_file(&in, full, &e))
			test_fail(__FILE__, __LINE__, "%s: %s", full, e.msg);
		expect_same(TEXTPARSE_PROM, (const char *)in.p, in.len);
		buf_reset(&in);
	}
}

const struct test tests_textparse[] = {
	{"prom_entries", prom_entries},
	{"prom_values", prom_values},
	{"prom_errors", prom_errors},
	{"upstream_errors", upstream_errors},
	{"om_entries", om_entries},
	{"om_errors", om_errors},
	{"om_strict", om_strict},
	{"format_choice", format_choice},
	{"node_exporter_scrapes", node_exporter_scrapes},
	{"exposition_pages", exposition_pages},
	{"expected_series", expected_series},
	{NULL, NULL},
};
