/*
 * test_template_conformance.c - rules/template*.c against promtool 2.42's
 * own expansions: every template of
 * ../shared/conformance/rules/authored/template-functions.rules.yml rendered
 * for each alert of template-functions-test.yml and compared with the
 * exp_labels/exp_annotations strings promtool produced. The table below is
 * those two files flattened (alert, key, series index, template, expected);
 * the `query` function answers from the test's input series, as promtool's
 * engine does for the handful of queries the rules make.
 *
 * Then every template of the real rule files (mixins, awesome-prometheus-
 * alerts) is parsed and run.
 */
#include "test.h"

#include "rules/template.h"

#include <ftw.h>
#include <yaml.h>

struct conf_series {
	double value;        /* the series' value at eval time */
	label ls[6];         /* its labels, sorted */
	size_t n;            /* labels in ls */
};
struct conf_case {
	const char *alert;   /* alert name */
	const char *key;     /* label or annotation */
	int series;          /* index in conf_series ($labels, $value), -1: vector(1) */
	const char *tmpl;    /* the template */
	const char *want;    /* promtool 2.42's expansion */
};

/* Generated from ../shared/conformance/rules/authored/template-functions{.rules,-test}.yml */
static const struct conf_series conf_series[] = {
	{0.0, {{"__name__", "tf_number"}, {"case", "zero"}}, 2},
	{0.000123, {{"__name__", "tf_number"}, {"case", "tiny"}}, 2},
	{1234.5678, {{"__name__", "tf_number"}, {"case", "kilo"}}, 2},
	{987654321.0, {{"__name__", "tf_number"}, {"case", "mega"}}, 2},
	{-2.5, {{"__name__", "tf_number"}, {"case", "negative"}}, 2},
	{93784.5, {{"__name__", "tf_number"}, {"case", "duration"}}, 2},
	{1700000000.123, {{"__name__", "tf_number"}, {"case", "timestamp"}}, 2},
	{7.0, {{"__name__", "tf_string"}, {"instance", "node-1.example.com:9100"}, {"job", "api"}, {"mixed", "MiXeD Case"}, {"service", "payment gateway"}}, 5},
};
static const struct conf_case conf_cases[] = {
	{"NumberFormatting", "severity", 5, "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}", "big"},
	{"NumberFormatting", "humanize", 5, "{{ $value | humanize }}", "93.78k"},
	{"NumberFormatting", "humanize1024", 5, "{{ humanize1024 $value }}", "91.59ki"},
	{"NumberFormatting", "humanizePercentage", 5, "{{ $value | humanizePercentage }}", "9.378e+06%"},
	{"NumberFormatting", "humanizeDuration", 5, "{{ $value | humanizeDuration }}", "1d 2h 3m 4s"},
	{"NumberFormatting", "humanizeTimestamp", 5, "{{ $value | humanizeTimestamp }}", "1970-01-02 02:03:04.5 +0000 UTC"},
	{"NumberFormatting", "toTime", 5, "{{ $value | toTime }}", "1970-01-02 02:03:04.5 +0000 UTC"},
	{"NumberFormatting", "printf", 5, "{{ printf \"%.2f|%g|%d|%5.1f%%\" $value $value 42 $value }}", "93784.50|93784.5|42|93784.5%"},
	{"NumberFormatting", "print", 5, "{{ print $value }} {{ println \"x\" }}", "93784.5 x\n"},
	{"NumberFormatting", "raw", 5, "{{ $value }}", "93784.5"},
	{"NumberFormatting", "severity", 2, "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}", "big"},
	{"NumberFormatting", "humanize", 2, "{{ $value | humanize }}", "1.235k"},
	{"NumberFormatting", "humanize1024", 2, "{{ humanize1024 $value }}", "1.206ki"},
	{"NumberFormatting", "humanizePercentage", 2, "{{ $value | humanizePercentage }}", "1.235e+05%"},
	{"NumberFormatting", "humanizeDuration", 2, "{{ $value | humanizeDuration }}", "20m 34s"},
	{"NumberFormatting", "humanizeTimestamp", 2, "{{ $value | humanizeTimestamp }}", "1970-01-01 00:20:34.567 +0000 UTC"},
	{"NumberFormatting", "toTime", 2, "{{ $value | toTime }}", "1970-01-01 00:20:34.567 +0000 UTC"},
	{"NumberFormatting", "printf", 2, "{{ printf \"%.2f|%g|%d|%5.1f%%\" $value $value 42 $value }}", "1234.57|1234.5678|42|1234.6%"},
	{"NumberFormatting", "print", 2, "{{ print $value }} {{ println \"x\" }}", "1234.5678 x\n"},
	{"NumberFormatting", "raw", 2, "{{ $value }}", "1234.5678"},
	{"NumberFormatting", "severity", 3, "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}", "big"},
	{"NumberFormatting", "humanize", 3, "{{ $value | humanize }}", "987.7M"},
	{"NumberFormatting", "humanize1024", 3, "{{ humanize1024 $value }}", "941.9Mi"},
	{"NumberFormatting", "humanizePercentage", 3, "{{ $value | humanizePercentage }}", "9.877e+10%"},
	{"NumberFormatting", "humanizeDuration", 3, "{{ $value | humanizeDuration }}", "11431d 4h 25m 21s"},
	{"NumberFormatting", "humanizeTimestamp", 3, "{{ $value | humanizeTimestamp }}", "2001-04-19 04:25:21 +0000 UTC"},
	{"NumberFormatting", "toTime", 3, "{{ $value | toTime }}", "2001-04-19 04:25:21 +0000 UTC"},
	{"NumberFormatting", "printf", 3, "{{ printf \"%.2f|%g|%d|%5.1f%%\" $value $value 42 $value }}", "987654321.00|9.87654321e+08|42|987654321.0%"},
	{"NumberFormatting", "print", 3, "{{ print $value }} {{ println \"x\" }}", "9.87654321e+08 x\n"},
	{"NumberFormatting", "raw", 3, "{{ $value }}", "9.87654321e+08"},
	{"NumberFormatting", "severity", 4, "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}", "negative"},
	{"NumberFormatting", "humanize", 4, "{{ $value | humanize }}", "-2.5"},
	{"NumberFormatting", "humanize1024", 4, "{{ humanize1024 $value }}", "-2.5"},
	{"NumberFormatting", "humanizePercentage", 4, "{{ $value | humanizePercentage }}", "-250%"},
	{"NumberFormatting", "humanizeDuration", 4, "{{ $value | humanizeDuration }}", "-2.5s"},
	{"NumberFormatting", "humanizeTimestamp", 4, "{{ $value | humanizeTimestamp }}", "1969-12-31 23:59:57.5 +0000 UTC"},
	{"NumberFormatting", "toTime", 4, "{{ $value | toTime }}", "1969-12-31 23:59:57.5 +0000 UTC"},
	{"NumberFormatting", "printf", 4, "{{ printf \"%.2f|%g|%d|%5.1f%%\" $value $value 42 $value }}", "-2.50|-2.5|42| -2.5%"},
	{"NumberFormatting", "print", 4, "{{ print $value }} {{ println \"x\" }}", "-2.5 x\n"},
	{"NumberFormatting", "raw", 4, "{{ $value }}", "-2.5"},
	{"NumberFormatting", "severity", 6, "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}", "big"},
	{"NumberFormatting", "humanize", 6, "{{ $value | humanize }}", "1.7G"},
	{"NumberFormatting", "humanize1024", 6, "{{ humanize1024 $value }}", "1.583Gi"},
	{"NumberFormatting", "humanizePercentage", 6, "{{ $value | humanizePercentage }}", "1.7e+11%"},
	{"NumberFormatting", "humanizeDuration", 6, "{{ $value | humanizeDuration }}", "19675d 22h 13m 20s"},
	{"NumberFormatting", "humanizeTimestamp", 6, "{{ $value | humanizeTimestamp }}", "2023-11-14 22:13:20.122 +0000 UTC"},
	{"NumberFormatting", "toTime", 6, "{{ $value | toTime }}", "2023-11-14 22:13:20.122 +0000 UTC"},
	{"NumberFormatting", "printf", 6, "{{ printf \"%.2f|%g|%d|%5.1f%%\" $value $value 42 $value }}", "1700000000.12|1.700000000123e+09|42|1700000000.1%"},
	{"NumberFormatting", "print", 6, "{{ print $value }} {{ println \"x\" }}", "1.700000000123e+09 x\n"},
	{"NumberFormatting", "raw", 6, "{{ $value }}", "1.700000000123e+09"},
	{"NumberFormatting", "severity", 1, "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}", "small"},
	{"NumberFormatting", "humanize", 1, "{{ $value | humanize }}", "123u"},
	{"NumberFormatting", "humanize1024", 1, "{{ humanize1024 $value }}", "0.000123"},
	{"NumberFormatting", "humanizePercentage", 1, "{{ $value | humanizePercentage }}", "0.0123%"},
	{"NumberFormatting", "humanizeDuration", 1, "{{ $value | humanizeDuration }}", "123us"},
	{"NumberFormatting", "humanizeTimestamp", 1, "{{ $value | humanizeTimestamp }}", "1970-01-01 00:00:00 +0000 UTC"},
	{"NumberFormatting", "toTime", 1, "{{ $value | toTime }}", "1970-01-01 00:00:00 +0000 UTC"},
	{"NumberFormatting", "printf", 1, "{{ printf \"%.2f|%g|%d|%5.1f%%\" $value $value 42 $value }}", "0.00|0.000123|42|  0.0%"},
	{"NumberFormatting", "print", 1, "{{ print $value }} {{ println \"x\" }}", "0.000123 x\n"},
	{"NumberFormatting", "raw", 1, "{{ $value }}", "0.000123"},
	{"NumberFormatting", "severity", 0, "{{ if gt $value 1000.0 }}big{{ else if lt $value 0.0 }}negative{{ else }}small{{ end }}", "small"},
	{"NumberFormatting", "humanize", 0, "{{ $value | humanize }}", "0"},
	{"NumberFormatting", "humanize1024", 0, "{{ humanize1024 $value }}", "0"},
	{"NumberFormatting", "humanizePercentage", 0, "{{ $value | humanizePercentage }}", "0%"},
	{"NumberFormatting", "humanizeDuration", 0, "{{ $value | humanizeDuration }}", "0s"},
	{"NumberFormatting", "humanizeTimestamp", 0, "{{ $value | humanizeTimestamp }}", "1970-01-01 00:00:00 +0000 UTC"},
	{"NumberFormatting", "toTime", 0, "{{ $value | toTime }}", "1970-01-01 00:00:00 +0000 UTC"},
	{"NumberFormatting", "printf", 0, "{{ printf \"%.2f|%g|%d|%5.1f%%\" $value $value 42 $value }}", "0.00|0|42|  0.0%"},
	{"NumberFormatting", "print", 0, "{{ print $value }} {{ println \"x\" }}", "0 x\n"},
	{"NumberFormatting", "raw", 0, "{{ $value }}", "0"},
	{"StringFunctions", "upper_job", 7, "{{ $labels.job | toUpper }}", "API"},
	{"StringFunctions", "title", 7, "{{ title $labels.service }}", "Payment Gateway"},
	{"StringFunctions", "toUpper", 7, "{{ toUpper $labels.service }}", "PAYMENT GATEWAY"},
	{"StringFunctions", "toLower", 7, "{{ $labels.mixed | toLower }}", "mixed case"},
	{"StringFunctions", "reReplaceAll", 7, "{{ reReplaceAll \":[0-9]+$\" \"\" $labels.instance }}|{{ $labels.instance | reReplaceAll \"(.*)\\\\.(.*)\" \"$2.$1\" }}", "node-1.example.com|com:9100.node-1.example"},
	{"StringFunctions", "match", 7, "{{ if match \"^node-[0-9]+\" $labels.instance }}matched{{ else }}no match{{ end }}", "matched"},
	{"StringFunctions", "stripPort", 7, "{{ $labels.instance | stripPort }}", "node-1.example.com"},
	{"StringFunctions", "stripDomain", 7, "{{ $labels.instance | stripDomain }}", "node-1:9100"},
	{"StringFunctions", "parseDuration", 7, "{{ parseDuration \"1h30m\" }}|{{ parseDuration \"90s\" }}", "5400|90"},
	{"StringFunctions", "safeHtml", 7, "{{ safeHtml \"<b>bold</b>\" }}", "<b>bold</b>"},
	{"StringFunctions", "graphLink", 7, "{{ graphLink \"rate(x[5m])\" }}", "/graph?g0.expr=rate%28x%5B5m%5D%29&g0.tab=0"},
	{"StringFunctions", "tableLink", 7, "{{ tableLink \"up{job=\\\"a\\\"}\" }}", "/graph?g0.expr=up%7Bjob%3D%22a%22%7D&g0.tab=1"},
	{"StringFunctions", "externalURL", 7, "{{ $externalURL }}", "https://prometheus.example.org/prom"},
	{"StringFunctions", "externalLabels", 7, "{{ $externalLabels.cluster }}", "eu-west-1"},
	{"StringFunctions", "labels_map", 7, "{{ $labels }}", "map[__name__:tf_string instance:node-1.example.com:9100 job:api mixed:MiXeD Case service:payment gateway]"},
	{"StringFunctions", "range_labels", 7, "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}", "__name__=tf_string;instance=node-1.example.com:9100;job=api;mixed=MiXeD Case;service=payment gateway;"},
	{"StringFunctions", "builtins", 7, "{{ len $labels.service }} {{ index $labels \"job\" }} {{ and true \"yes\" }} {{ or \"\" \"fallback\" }} {{ not false }} {{ eq $labels.job \"api\" \"web\" }} {{ ne 1 2 }} {{ le 1 2 }} {{ ge 2 2 }}", "15 api yes fallback true true true true true"},
	{"StringFunctions", "escapes", 7, "{{ html \"<a&b>\" }} {{ js \"it's\" }} {{ urlquery \"a b&c\" }}", "&lt;a&amp;b&gt; it\\'s a+b%26c"},
	{"StringFunctions", "args_tmpl", 7, "{{ define \"greet\" }}hello {{ .arg0 }} and {{ .arg1 }}{{ end }}{{ template \"greet\" (args \"A\" 2) }}", "hello A and 2"},
	{"StringFunctions", "missing_label", 7, "[{{ $labels.no_such_label }}]", "[]"},
	{"StringFunctions", "trim", 7, "a  {{- \" b \" -}}  c", "a b c"},
	{"StringFunctions", "comment", 7, "x{{/* a comment */}}y", "xy"},
	{"StringFunctions", "variables", 7, "{{ $x := \"one\" }}{{ $x = \"two\" }}{{ $x }}", "two"},
	{"StringFunctions", "with", 7, "{{ with $labels.service }}svc={{ . }}{{ else }}none{{ end }}", "svc=payment gateway"},
	{"QueryFunctions", "first_value", -1, "{{ query \"sum(tf_number)\" | first | value | humanize }}", "2.688G"},
	{"QueryFunctions", "with_query", -1, "{{ with query \"tf_number{case=\\\"kilo\\\"}\" }}{{ . | first | label \"case\" }}={{ . | first | value }}{{ end }}", "kilo=1234.5678"},
	{"QueryFunctions", "sortByLabel", -1, "{{ range query \"tf_number\" | sortByLabel \"case\" }}{{ .Labels.case }}:{{ .Value | humanize }} {{ end }}", "duration:93.78k kilo:1.235k mega:987.7M negative:-2.5 timestamp:1.7G tiny:123u zero:0 "},
	{"QueryFunctions", "range_fields", -1, "{{ range query \"tf_string\" }}{{ .Labels.instance }} {{ .Labels.job }} {{ .Value }}{{ end }}", "node-1.example.com:9100 api 7"},
	{"QueryFunctions", "strvalue", -1, "[{{ query \"tf_string\" | first | strvalue }}]", "[]"},
	{"QueryFunctions", "scalar", -1, "{{ query \"scalar(tf_number{case=\\\"kilo\\\"})\" | first | value }}", "1234.5678"},
	{"QueryFunctions", "empty", -1, "{{ with query \"no_such_metric\" }}has results{{ else }}no results{{ end }}", "no results"},
	{"QueryFunctions", "len", -1, "{{ query \"tf_number\" | len }}", "7"},
};

#define N_SERIES (sizeof conf_series / sizeof conf_series[0])

/* Selector "name" or "name{k=\"v\"}" over the input series. */
static size_t select_series(const char *q, size_t *idx)
{
	char name[64] = {0}, k[64] = {0}, v[64] = {0};
	size_t n = 0;
	int got = sscanf(q, "%63[a-z_]{%63[a-z_]=\"%63[^\"]\"}", name, k, v);
	for (size_t i = 0; i < N_SERIES; i++) {
		labels ls = {conf_series[i].ls, conf_series[i].n};
		if (strcmp(labels_get(ls, "__name__"), name))
			continue;
		if (got == 3 && (!labels_get(ls, k) || strcmp(labels_get(ls, k), v)))
			continue;
		idx[n++] = i;
	}
	/* the engine returns series sorted by labels: here by their second label */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(conf_series[idx[j - 1]].ls[1].value, conf_series[idx[j]].ls[1].value) > 0; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return n;
}

static tmpl_sample query_out[16];

static int fake_query(void *ctx, const char *q, int64_t t_ms, tmpl_sample **out, size_t *n, err *e)
{
	size_t idx[16];
	(void)ctx, (void)t_ms;
	*out = query_out;
	if (!strncmp(q, "sum(", 4) || !strncmp(q, "scalar(", 7)) {
		char inner[128];
		snprintf(inner, sizeof inner, "%s", strchr(q, '(') + 1);
		inner[strlen(inner) - 1] = 0;
		size_t m = select_series(inner, idx);
		double sum = 0;
		for (size_t i = 0; i < m; i++)
			sum += conf_series[idx[i]].value;
		query_out[0] = (tmpl_sample){{NULL, 0}, sum};
		*n = 1;
		return 0;
	}
	size_t m = select_series(q, idx);
	for (size_t i = 0; i < m; i++)
		query_out[i] = (tmpl_sample){{conf_series[idx[i]].ls, conf_series[idx[i]].n}, conf_series[idx[i]].value};
	*n = m;
	(void)e;
	return 0;
}

static void conformance_all_templates(void)
{
	static const label ext[] = {{"cluster", "eu-west-1"}};
	size_t failed = 0;
	for (size_t i = 0; i < sizeof conf_cases / sizeof conf_cases[0]; i++) {
		const struct conf_case *c = &conf_cases[i];
		tmpl_data d = {0};
		if (c->series >= 0) {
			d.labels = (labels){conf_series[c->series].ls, conf_series[c->series].n};
			d.value = conf_series[c->series].value;
		} else {
			d.value = 1;
		}
		d.external_labels = (labels){ext, 1};
		d.external_url = "https://prometheus.example.org/prom";
		d.t_ms = 120000;
		d.query = fake_query;
		buf out;
		buf_init(&out);
		err e;
		err_clear(&e);
		int rc = tmpl_expand(c->alert, c->tmpl, &d, &out, &e);
		const char *got = rc ? e.msg : buf_cstr(&out);
		if (strcmp(got, c->want)) {
			fprintf(stderr, "  %s %s (series %d): got \"%s\", want \"%s\"\n", c->alert, c->key, c->series, got, c->want);
			failed++;
		}
		buf_reset(&out);
	}
	ASSERT_EQ(failed, 0);
}


/*
 * Every label and annotation template of the real rule files
 * (../shared/conformance/rules/mixins and awesome-prometheus-alerts, all
 * accepted by promtool 2.42) parses, and expands without error for an
 * alert with common labels and a value, with a query function answering
 * one sample.
 */
typedef struct walk_stats {
	size_t files;     /* rule files read */
	size_t templates; /* templates checked */
	size_t failed;    /* templates that did not parse or run */
} walk_stats;
static walk_stats ws;

static tmpl_sample one_out;
static const label one_labels[] = {{"instance", "i-1"}, {"job", "node"}};
static int one_query(void *ctx, const char *q, int64_t t_ms, tmpl_sample **out, size_t *n, err *e)
{
	(void)ctx, (void)q, (void)t_ms, (void)e;
	one_out = (tmpl_sample){{one_labels, 2}, 0.25};
	*out = &one_out;
	*n = 1;
	return 0;
}

static void check_template(const char *file, const char *src)
{
	static const label ls[] = {
		{"__name__", "m"}, {"container", "c"}, {"device", "sda"}, {"instance", "host-1.example.com:9100"},
		{"job", "node"}, {"mountpoint", "/"}, {"namespace", "ns"}, {"pod", "p-1"}, {"service", "svc"},
	};
	tmpl_data d = {0};
	d.labels = (labels){ls, sizeof ls / sizeof ls[0]};
	d.value = 0.4567;
	d.external_url = "http://prom.example.org";
	d.t_ms = 1700000000000;
	d.query = one_query;
	buf out;
	buf_init(&out);
	err e;
	err_clear(&e);
	ws.templates++;
	if (tmpl_expand("R", src, &d, &out, &e)) {
		fprintf(stderr, "  %s: %s\n", file, e.msg);
		ws.failed++;
	}
	buf_reset(&out);
}

/* libyaml events: a scalar value of a mapping held under a key
 * "annotations" or "labels" is a template. */
static void check_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	yaml_parser_t yp;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_file(&yp, f);
	enum { MAXD = 64 };
	char owner[MAXD][32];   /* key the mapping at each depth sits under */
	char key[MAXD][32];     /* current key in the mapping at each depth */
	bool want_key[MAXD];    /* the next scalar in this mapping is a key */
	bool is_map[MAXD];      /* depth is a mapping (else a sequence) */
	int depth = 0;
	owner[0][0] = key[0][0] = 0;
	want_key[0] = is_map[0] = false;
	ws.files++;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&yp, &ev))
			break;
		yaml_event_type_t t = ev.type;
		if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) {
			const char *own = depth && is_map[depth] ? key[depth] : (depth ? owner[depth] : "");
			if (depth && is_map[depth])
				want_key[depth] = true;
			if (depth + 1 < MAXD) {
				depth++;
				snprintf(owner[depth], sizeof owner[depth], "%s", own);
				is_map[depth] = t == YAML_MAPPING_START_EVENT;
				want_key[depth] = true;
				key[depth][0] = 0;
			}
		} else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT) {
			if (depth)
				depth--;
		} else if (t == YAML_SCALAR_EVENT && depth && is_map[depth]) {
			const char *v = (const char *)ev.data.scalar.value;
			if (want_key[depth]) {
				snprintf(key[depth], sizeof key[depth], "%s", v);
				want_key[depth] = false;
			} else {
				if (!strcmp(owner[depth], "annotations") || !strcmp(owner[depth], "labels"))
					check_template(path, v);
				want_key[depth] = true;
			}
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&yp);
	fclose(f);
}

static int walk_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	size_t n = strlen(path);
	if (flag == FTW_F && ((n > 4 && !strcmp(path + n - 4, ".yml")) || (n > 5 && !strcmp(path + n - 5, ".yaml"))))
		check_file(path);
	return 0;
}

static void real_rule_files_templates(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/conformance/rules/mixins", test_shared_dir());
	ASSERT_EQ(nftw(dir, walk_cb, 16, FTW_PHYS), 0);
	snprintf(dir, sizeof dir, "%s/conformance/rules/awesome-prometheus-alerts", test_shared_dir());
	ASSERT_EQ(nftw(dir, walk_cb, 16, FTW_PHYS), 0);
	fprintf(stderr, "  %zu files, %zu templates, %zu failed\n", ws.files, ws.templates, ws.failed);
	ASSERT_EQ(ws.files, 8 + 112);
	ASSERT(ws.templates > 2000);
	ASSERT_EQ(ws.failed, 0);
}

const struct test tests_template_conformance[] = {
	{"conformance_all_templates", conformance_all_templates},
	{"real_rule_files_templates", real_rule_files_templates},
	{NULL, NULL},
};
