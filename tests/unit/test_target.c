/* test_target.c - scrape/target.c: PopulateLabels cases ported from
 * Prometheus's scrape/target_test.go (TestPopulateLabels) semantics. */
#include "scrape/discovery.h"
#include "tests/unit/test.h"

static scrape_config *load(const char *y)
{
	err e;
	scrape_config *c = scrape_config_parse(y, strlen(y), "t.yml", &e);
	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	ASSERT(c != NULL);
	return c;
}

static labels L(label *v, size_t n) { return (labels){v, n}; }

static void target_defaults_and_instance(void)
{
	scrape_config *c = load("global: {scrape_interval: 1m, scrape_timeout: 10s}\n"
				"scrape_configs:\n- job_name: job\n  metrics_path: /metrics\n");
	arena a;
	arena_init(&a);
	label g[] = {{"__meta_x", "m"}, {"custom", "group"}, {"other", "group"}};
	label t[] = {{"__address__", "1.2.3.4:1000"}, {"custom", "value"}};
	scrape_target_def def;
	labels disc;
	err e;
	ASSERT_EQ(scrape_target_populate(&c->jobs[0], L(g, 3), L(t, 2), &a, &def, &disc, &e), 1);
	ASSERT_STR_EQ(labels_get(def.labels, "job"), "job");
	ASSERT_STR_EQ(labels_get(def.labels, "instance"), "1.2.3.4:1000");
	ASSERT_STR_EQ(labels_get(def.labels, "custom"), "value"); /* the target's label wins over the group's */
	ASSERT_STR_EQ(labels_get(def.labels, "other"), "group");
	ASSERT_EQ(def.labels.n, 4);
	ASSERT_STR_EQ(labels_get(def.all, "__scheme__"), "http");
	ASSERT_STR_EQ(labels_get(def.all, "__metrics_path__"), "/metrics");
	ASSERT_STR_EQ(labels_get(def.all, "__scrape_interval__"), "1m");
	ASSERT_STR_EQ(labels_get(def.all, "__scrape_timeout__"), "10s");
	ASSERT(labels_get(def.all, "__meta_x") == NULL); /* meta labels go after relabeling */
	ASSERT_STR_EQ(labels_get(disc, "__meta_x"), "m");
	ASSERT(labels_get(disc, "instance") == NULL);
	ASSERT_STR_EQ(def.url, "http://1.2.3.4:1000/metrics");
	ASSERT_EQ(def.interval_ms, 60000);
	ASSERT_EQ(def.timeout_ms, 10000);
	/* an instance already set is kept; the same target hashes the same */
	label t2[] = {{"__address__", "1.2.3.4:1000"}, {"instance", "named"}};
	scrape_target_def def2, def3;
	ASSERT_EQ(scrape_target_populate(&c->jobs[0], L(NULL, 0), L(t2, 2), &a, &def2, NULL, &e), 1);
	ASSERT_STR_EQ(labels_get(def2.labels, "instance"), "named");
	ASSERT_EQ(scrape_target_populate(&c->jobs[0], L(NULL, 0), L(t2, 2), &a, &def3, NULL, &e), 1);
	ASSERT_U64_EQ(def2.hash, def3.hash);
	ASSERT(def.hash != def2.hash);
	/* 3.x adds no default port */
	label t3[] = {{"__address__", "host"}};
	ASSERT_EQ(scrape_target_populate(&c->jobs[0], L(NULL, 0), L(t3, 1), &a, &def3, NULL, &e), 1);
	ASSERT_STR_EQ(labels_get(def3.labels, "instance"), "host");
	ASSERT_STR_EQ(def3.url, "http://host/metrics");
	arena_reset(&a);
	scrape_config_free(c);
}

static void target_params_and_url(void)
{
	scrape_config *c = load("scrape_configs:\n- job_name: p\n  scheme: https\n  metrics_path: /probe x\n"
				"  params: {module: [http_2xx, second], target: ['a b&c']}\n");
	arena a;
	arena_init(&a);
	label t[] = {{"__address__", "h:9115"}};
	scrape_target_def def;
	err e;
	ASSERT_EQ(scrape_target_populate(&c->jobs[0], L(NULL, 0), L(t, 1), &a, &def, NULL, &e), 1);
	ASSERT_STR_EQ(labels_get(def.all, "__param_module"), "http_2xx"); /* the first value */
	ASSERT_STR_EQ(labels_get(def.all, "__param_target"), "a b&c");
	ASSERT_STR_EQ(def.url, "https://h:9115/probe%20x?module=http_2xx&module=second&target=a+b%26c");
	/* a target's __param_ overrides the first value of that parameter */
	label t2[] = {{"__address__", "h:9115"}, {"__param_module", "icmp"}, {"__param_extra", "1"}};
	ASSERT_EQ(scrape_target_populate(&c->jobs[0], L(NULL, 0), L(t2, 3), &a, &def, NULL, &e), 1);
	ASSERT_STR_EQ(def.url, "https://h:9115/probe%20x?extra=1&module=icmp&module=second&target=a+b%26c");
	arena_reset(&a);
	scrape_config_free(c);
}

static void target_relabel_drop_and_errors(void)
{
	scrape_config *c = load("scrape_configs:\n- job_name: r\n  scrape_interval: 30s\n  scrape_timeout: 5s\n"
				"  relabel_configs:\n  - {source_labels: [__address__], regex: 'drop.*', action: drop}\n"
				"  - {source_labels: [timeout], regex: '(.+)', target_label: __scrape_timeout__}\n"
				"  - {source_labels: [interval], regex: '(.+)', target_label: __scrape_interval__}\n"
				"  - {source_labels: [addr], regex: '(.+)', target_label: __address__}\n");
	arena a;
	arena_init(&a);
	scrape_target_def def;
	labels disc;
	err e;
	label t[] = {{"__address__", "drop-me:1"}};
	ASSERT_EQ(scrape_target_populate(&c->jobs[0], L(NULL, 0), L(t, 1), &a, &def, &disc, &e), 0);
	ASSERT_STR_EQ(labels_get(disc, "__address__"), "drop-me:1"); /* the dropped target's discovered labels */
	ASSERT_STR_EQ(labels_get(disc, "job"), "r");
	static const struct { label l[2]; size_t n; const char *msg; } cases[] = {
		{{{"job", "x"}}, 1, "no address"},
		{{{"__address__", "h:1"}, {"timeout", "1m"}}, 2, "scrape timeout cannot be greater than scrape interval (\"1m\" > \"30s\")"},
		{{{"__address__", "h:1"}, {"timeout", "0s"}}, 2, "scrape timeout cannot be 0"},
		{{{"__address__", "h:1"}, {"interval", "0s"}}, 2, "scrape interval cannot be 0"},
		{{{"__address__", "h:1"}, {"interval", "1x"}}, 2, "error parsing scrape interval: not a valid duration string: \"1x\""},
		{{{"addr", "http://h/x"}, {"__address__", "h:1"}}, 2, "\"http://h/x\" is not a valid hostname"},
		{{{"__address__", "h:1"}, {"bad", "\xff"}}, 2, "invalid label value for \"bad\": \"\xff\""},
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		label l[2];
		memcpy(l, cases[i].l, sizeof l);
		if (cases[i].n == 2 && strcmp(l[0].name, l[1].name) > 0) { /* label sets are sorted */
			label tmp = l[0];
			l[0] = l[1], l[1] = tmp;
		}
		err_clear(&e);
		int rc = scrape_target_populate(&c->jobs[0], L(NULL, 0), L(l, cases[i].n), &a, &def, NULL, &e);
		if (rc >= 0)
			fprintf(stderr, "case %zu: rc %d\n", i, rc);
		ASSERT(rc < 0);
		ASSERT_STR_EQ(e.msg, cases[i].msg);
	}
	arena_reset(&a);
	scrape_config_free(c);
}

const struct test tests_target[] = {
	{"target_defaults_and_instance", target_defaults_and_instance},
	{"target_params_and_url", target_params_and_url},
	{"target_relabel_drop_and_errors", target_relabel_drop_and_errors},
	{NULL, NULL},
};
