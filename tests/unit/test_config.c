/* test_config.c - scrape/config.c: prometheus.yml defaults, validation, errors. */
#include "scrape/config.h"
#include "tests/unit/test.h"

static scrape_config *parse(const char *y, err *e) { return scrape_config_parse(y, strlen(y), "p.yml", e); }

static void config_defaults_and_fields(void)
{
	err e;
	scrape_config *c = parse("global:\n  scrape_interval: 15s\n  external_labels: {region: eu, a: b}\n"
				 "rule_files: [r.yml]\n"
				 "scrape_configs:\n"
				 "  - job_name: prometheus\n"
				 "    static_configs:\n      - targets: ['127.0.0.1:9090']\n        labels: {env: dev}\n"
				 "  - job_name: fast\n    scrape_interval: 5s\n    metrics_path: /m\n    scheme: https\n"
				 "    honor_labels: true\n    params: {module: [a, b]}\n"
				 "remote_write:\n  - url: http://x:1/api/v1/write\n",
				 &e);
	ASSERT(c != NULL);
	ASSERT_EQ(c->scrape_interval_ms, 15000);
	ASSERT_EQ(c->scrape_timeout_ms, 10000);
	ASSERT_EQ(c->evaluation_interval_ms, 60000);
	ASSERT_EQ(c->external_labels.n, 2);
	ASSERT_STR_EQ(c->external_labels.v[0].name, "a");
	ASSERT_EQ(c->n_rule_files, 1);
	ASSERT_EQ(c->n_jobs, 2);
	ASSERT_STR_EQ(c->jobs[0].metrics_path, "/metrics");
	ASSERT_STR_EQ(c->jobs[0].scheme, "http");
	ASSERT_EQ(c->jobs[0].scrape_interval_ms, 15000);
	ASSERT_EQ(c->jobs[0].scrape_timeout_ms, 10000);
	ASSERT(c->jobs[0].honor_timestamps);
	ASSERT_EQ(c->jobs[0].sd.n_static_configs, 1);
	ASSERT_STR_EQ(c->jobs[0].sd.static_configs[0].targets[0], "127.0.0.1:9090");
	ASSERT_STR_EQ(labels_get(c->jobs[0].sd.static_configs[0].labels, "env"), "dev");
	ASSERT_EQ(c->jobs[1].scrape_interval_ms, 5000);
	ASSERT_EQ(c->jobs[1].scrape_timeout_ms, 5000); /* capped by its interval */
	ASSERT(c->jobs[1].honor_labels);
	ASSERT_EQ(c->jobs[1].n_params, 2);
	ASSERT_EQ(c->n_remote_write, 1);
	ASSERT_EQ(c->remote_write[0].remote_timeout_ms, 30000);
	buf b;
	buf_init(&b);
	scrape_config_yaml(c, &b);
	ASSERT(strstr(buf_cstr(&b), "scrape_interval: 15s\n"));
	ASSERT(strstr(buf_cstr(&b), "- job_name: fast\n"));
	/* the YAML it prints loads again to the same config */
	scrape_config *c2 = parse(buf_cstr(&b), &e);
	ASSERT(c2 != NULL);
	ASSERT_EQ(c2->n_jobs, 2);
	ASSERT_EQ(c2->jobs[1].scrape_timeout_ms, 5000);
	scrape_config_free(c2);
	buf_reset(&b);
	scrape_config_free(c);
}

static void config_errors_name_file_line_field(void)
{
	static const struct { const char *y, *msg; } cases[] = {
		{"global:\n  scrape_interval: 15q\n", "p.yml:2: global.scrape_interval: not a valid duration string: \"15q\""},
		{"scrape_configs:\n  - job_name: a\n    foo: 1\n", "p.yml:3: scrape_configs[0].foo: field foo not found in type config.ScrapeConfig"},
		{"scrape_configs:\n  - job_name: a\n  - job_name: a\n", "p.yml:3: scrape_configs[1]: found multiple scrape configs with job name \"a\""},
		{"scrape_configs:\n  - scrape_interval: 5s\n", "p.yml:2: scrape_configs[0]: job_name is empty"},
		{"scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 6s\n",
		 "p.yml:2: scrape_configs[0]: scrape timeout greater than scrape interval for scrape config with job name \"a\""},
		{"remote_write:\n  - name: x\n", "p.yml:2: remote_write[0]: url for remote_write is empty"},
		{"bogus: 1\n", "p.yml:1: bogus: field bogus not found in type config.plain"},
		{"global: [\n", NULL},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		err e;
		err_clear(&e);
		scrape_config *c = parse(cases[i].y, &e);
		ASSERT(c == NULL);
		ASSERT_EQ(e.code, FL_EINVAL);
		if (cases[i].msg)
			ASSERT_STR_EQ(e.msg, cases[i].msg);
		else
			ASSERT(strstr(e.msg, "p.yml:") == e.msg);
	}
}

static void config_default_and_file(void)
{
	err e;
	scrape_config *c = scrape_config_default(&e);
	ASSERT(c != NULL);
	ASSERT_EQ(c->n_jobs, 0);
	ASSERT_EQ(c->scrape_interval_ms, 60000);
	scrape_config_free(c);
	char path[512];
	snprintf(path, sizeof path, "%s/../shared/nonexistent.yml", test_tmpdir());
	ASSERT(scrape_config_load(path, &e) == NULL);
	ASSERT_EQ(e.code, FL_EIO);
	c = scrape_config_load("cmd/flint.yml", &e);
	ASSERT(c != NULL);
	ASSERT_EQ(c->n_jobs, 1);
	ASSERT_STR_EQ(c->jobs[0].job_name, "prometheus");
	scrape_config_free(c);
}

/* Issue 14 (fuzz_yaml_config's round-trip abort): a label written with no
 * value and strings holding YAML line breaks (\L U+2028, \N NEL) print as
 * Prometheus 2.42 prints them (go-yaml v2; the expected text is its
 * /api/v1/status/config for the same file) and load back the same. */
static void issue_14_yaml_config_roundtrip(void)
{
	static const char in[] =
		"global:\n  external_labels: {a, b: \"x\\Ly\", c: \"x\\Ny\", e: \"a\\nb\", ar: \"\\n\", "
		"n: \"'q'\", i: \"true\", g: \" a\", k: \"a: b\", q: \"a\\tb\", s: \"\\P\", w: \"\\uFEFFx\", "
		"ac: \"\\U0001F600\", ak: null, y: \"0x1F\", v: \"\u00e9\", d: \"x\\_y\"}\n"
		"scrape_configs:\n- job_name: \"yes\"\n  static_configs: [{targets: [\"h:1\"], labels: {z: ~}}]\n";
	static const char want[] =
		"  external_labels:\n"
		"    a: \"\"\n"
		"    ac: \"\\U0001F600\"\n"
		"    ak: \"\"\n"
		"    ar: |2+\n"
		"\n"
		"    b: 'x\u2028      y'\n"
		"    c: \"x\\Ny\"\n"
		"    d: x\u00a0y\n"
		"    e: |-\n"
		"      a\n"
		"      b\n"
		"    g: ' a'\n"
		"    i: \"true\"\n"
		"    k: 'a: b'\n"
		"    \"n\": '''q'''\n"
		"    q: \"a\\tb\"\n"
		"    s: '\u2029'\n"
		"    v: \u00e9\n"
		"    w: \"\\uFEFF\\x78\"\n"
		"    \"y\": \"0x1F\"\n";
	/* 3.x prints more global fields between external_labels and scrape_configs */
	static const char want_job[] = "\nscrape_configs:\n- job_name: \"yes\"\n";
	err e;
	scrape_config *c = parse(in, &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	ASSERT_EQ(c->external_labels.n, 15); /* a and ak are absent for the data */
	ASSERT_EQ(c->external_labels_as_written.n, 17);
	buf b;
	buf_init(&b);
	scrape_config_yaml(c, &b);
	const char *out = buf_cstr(&b);
	if (!strstr(out, want))
		fprintf(stderr, "got:\n%s\n", out);
	ASSERT(strstr(out, want) != NULL);
	ASSERT(strstr(out, want_job) != NULL);
	ASSERT(strstr(out, "    labels:\n      z: \"\"\n"));
	scrape_config *c2 = parse(out, &e);
	ASSERT(c2 != NULL);
	ASSERT_EQ(c2->external_labels_as_written.n, c->external_labels_as_written.n);
	for (size_t i = 0; i < c->external_labels_as_written.n; i++) {
		ASSERT_STR_EQ(c2->external_labels_as_written.v[i].name, c->external_labels_as_written.v[i].name);
		ASSERT_STR_EQ(c2->external_labels_as_written.v[i].value, c->external_labels_as_written.v[i].value);
	}
	ASSERT_STR_EQ(c2->jobs[0].job_name, "yes");
	scrape_config_free(c2);
	scrape_config_free(c);
	buf_reset(&b);
}

/* Long strings fold past column 80 as go-yaml's do, and honor_labels is
 * omitted when false (`omitempty`): Prometheus 2.42's text for the same file. */
static void yaml_config_folds_as_prometheus(void)
{
	char in[1024] = "scrape_configs:\n- job_name: \"", words[512] = "";
	for (int i = 0; i < 40; i++)
		snprintf(words + strlen(words), sizeof words - strlen(words), "%sword%d", i ? " " : "", i);
	snprintf(in + strlen(in), sizeof in - strlen(in), "%s\"\n  static_configs: [{targets: [\"h:1\"]}]\n", words);
	static const char want[] =
		"- job_name: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11\n"
		"    word12 word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23\n"
		"    word24 word25 word26 word27 word28 word29 word30 word31 word32 word33 word34 word35\n"
		"    word36 word37 word38 word39\n"
		"  honor_timestamps: true\n";
	err e;
	scrape_config *c = parse(in, &e);
	ASSERT(c != NULL);
	buf b;
	buf_init(&b);
	scrape_config_yaml(c, &b);
	if (!strstr(buf_cstr(&b), want))
		fprintf(stderr, "got:\n%s\n", buf_cstr(&b));
	ASSERT(strstr(buf_cstr(&b), want) != NULL);
	scrape_config *c2 = parse(buf_cstr(&b), &e);
	ASSERT(c2 != NULL);
	ASSERT_STR_EQ(c2->jobs[0].job_name, words);
	scrape_config_free(c2);
	scrape_config_free(c);
	buf_reset(&b);
}

const struct test tests_config[] = {
	{"yaml_config_folds_as_prometheus", yaml_config_folds_as_prometheus},
	{"issue_14_yaml_config_roundtrip", issue_14_yaml_config_roundtrip},
	{"config_defaults_and_fields", config_defaults_and_fields},
	{"config_errors_name_file_line_field", config_errors_name_file_line_field},
	{"config_default_and_file", config_default_and_file},
	{NULL, NULL},
};
