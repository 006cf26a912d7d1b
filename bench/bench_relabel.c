/*
 * bench_relabel.c - relabeling speed (tsdb/relabel.c) on upstream's
 * BenchmarkRelabel "kubernetes" case (model/relabel/relabel_test.go): 20
 * rules (keep/drop, replace with groups and joined sources, three
 * labelmaps, hashmod, labeldrop) over a 29-label pod target. Prints the
 * best of 9 trials of 20,000 runs each, in CPU time (on a busy machine the
 * best trial is the one least disturbed).
 */
#include "tsdb/relabel.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct R {
	relabel_action act;   /* action */
	const char *src[4];   /* source labels */
	const char *sep;      /* separator, NULL: default */
	const char *regex;    /* NULL: default */
	const char *target;   /* target label */
	const char *repl;     /* NULL: default */
	unsigned long mod;    /* hashmod */
} R;

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const R rules[] = {
	{RELABEL_KEEP, {"__meta_kubernetes_pod_container_port_name"}, 0, ".*-metrics"},
	{RELABEL_DROP, {"__meta_kubernetes_pod_label_name"}, 0, ""},
	{RELABEL_DROP, {"__meta_kubernetes_pod_phase"}, 0, "Succeeded|Failed"},
	{RELABEL_DROP, {"__meta_kubernetes_pod_annotation_prometheus_io_scrape"}, 0, "false"},
	{RELABEL_REPLACE, {"__meta_kubernetes_pod_annotation_prometheus_io_scheme"}, 0, "(https?)", "__scheme__", "$1"},
	{RELABEL_REPLACE, {"__meta_kubernetes_pod_annotation_prometheus_io_path"}, 0, "(.+)", "__metrics_path__", "$1"},
	{RELABEL_REPLACE, {"__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"}, 0, "(.+?)(\\:\\d+)?;(\\d+)", "__address__", "$1:$3"},
	{RELABEL_LABELMAP, {0}, 0, "__meta_kubernetes_pod_annotation_prometheus_io_param_(.+)", 0, "__param_$1"},
	{RELABEL_LABELMAP, {0}, 0, "__meta_kubernetes_pod_label_prometheus_io_label_(.+)"},
	{RELABEL_LABELMAP, {0}, 0, "__meta_kubernetes_pod_annotation_prometheus_io_label_(.+)"},
	{RELABEL_REPLACE, {"__meta_kubernetes_namespace", "__meta_kubernetes_pod_label_name"}, "/", 0, "job", "$1"},
	{RELABEL_REPLACE, {"__meta_kubernetes_namespace"}, 0, 0, "namespace"},
	{RELABEL_REPLACE, {"__meta_kubernetes_pod_name"}, 0, 0, "pod"},
	{RELABEL_REPLACE, {"__meta_kubernetes_pod_container_name"}, 0, 0, "container"},
	{RELABEL_REPLACE, {"__meta_kubernetes_pod_name", "__meta_kubernetes_pod_container_name", "__meta_kubernetes_pod_container_port_name"}, ":", 0, "instance"},
	{RELABEL_REPLACE, {0}, 0, 0, "cluster", "dev-us-central-0"},
	{RELABEL_DROP, {"__meta_kubernetes_namespace"}, 0, "hosted-grafana"},
	{RELABEL_HASHMOD, {"__address__"}, 0, 0, "__tmp_hash", 0, 3},
	{RELABEL_KEEP, {"__tmp_hash"}, 0, "^1$"}, /* upstream keeps ^0$; this target hashes to 1 */
	{RELABEL_LABELDROP, {0}, 0, "__tmp_hash"},
};
static const char *kv[] = {
	"__address__", "10.132.183.40:80",
	"__meta_kubernetes_namespace", "loki-boltdb-shipper",
	"__meta_kubernetes_pod_annotation_promtail_loki_boltdb_shipper_hash", "50523b9759094a144adcec2eae0aa4ad",
	"__meta_kubernetes_pod_annotationpresent_promtail_loki_boltdb_shipper_hash", "true",
	"__meta_kubernetes_pod_container_init", "false",
	"__meta_kubernetes_pod_container_name", "promtail",
	"__meta_kubernetes_pod_container_port_name", "http-metrics",
	"__meta_kubernetes_pod_container_port_number", "80",
	"__meta_kubernetes_pod_container_port_protocol", "TCP",
	"__meta_kubernetes_pod_controller_kind", "DaemonSet",
	"__meta_kubernetes_pod_controller_name", "promtail-loki-boltdb-shipper",
	"__meta_kubernetes_pod_host_ip", "10.128.0.178",
	"__meta_kubernetes_pod_ip", "10.132.183.40",
	"__meta_kubernetes_pod_label_controller_revision_hash", "555b77cd7d",
	"__meta_kubernetes_pod_label_name", "promtail-loki-boltdb-shipper",
	"__meta_kubernetes_pod_label_pod_template_generation", "45",
	"__meta_kubernetes_pod_labelpresent_controller_revision_hash", "true",
	"__meta_kubernetes_pod_labelpresent_name", "true",
	"__meta_kubernetes_pod_labelpresent_pod_template_generation", "true",
	"__meta_kubernetes_pod_name", "promtail-loki-boltdb-shipper-jgtr7",
	"__meta_kubernetes_pod_node_name", "gke-dev-us-central-0-main-n2s8-2-14d53341-9hkr",
	"__meta_kubernetes_pod_phase", "Running",
	"__meta_kubernetes_pod_ready", "true",
	"__meta_kubernetes_pod_uid", "4c586419-7f6c-448d-aeec-ca4fa5b05e60",
	"__metrics_path__", "/metrics",
	"__scheme__", "http",
	"__scrape_interval__", "15s",
	"__scrape_timeout__", "10s",
	"job", "kubernetes-pods", NULL,
};

static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void)
{
	size_t n = sizeof rules / sizeof *rules;
	relabel_config c[sizeof rules / sizeof *rules];
	err e;
	for (size_t i = 0; i < n; i++) {
		const R *r = &rules[i];
		memset(&c[i], 0, sizeof c[i]);
		relabel_config_defaults(&c[i]);
		c[i].action = r->act;
		size_t k = 0;
		while (k < 4 && r->src[k])
			k++;
		c[i].source_labels = k ? (const char **)r->src : NULL;
		c[i].n_source_labels = k;
		if (r->sep)
			c[i].separator = r->sep;
		if (r->regex)
			c[i].regex = r->regex;
		c[i].target_label = r->target;
		if (r->repl)
			c[i].replacement = r->repl;
		c[i].modulus = r->mod;
		if (relabel_compile(&c[i], &e)) {
			fprintf(stderr, "rule %zu: %s\n", i, e.msg);
			return 1;
		}
	}
	label v[64];
	size_t nl = 0;
	for (; kv[2 * nl]; nl++)
		v[nl] = (label){kv[2 * nl], kv[2 * nl + 1]};
	labels in = {v, nl};
	labels_builder b;
	labels_builder_init(&b);
	arena a;
	arena_init(&a);
	int runs = 20000, kept = 0;
	double best = 0;
	for (int t = 0; t < 9; t++) {
		double t0 = cpu_ns();
		for (int i = 0; i < runs; i++) {
			kept += relabel_process(c, n, in, &b, &a);
			arena_reset(&a);
		}
		double ns = (cpu_ns() - t0) / runs;
		if (t == 0 || ns < best)
			best = ns;
	}
	printf("relabel kubernetes (20 rules, %zu labels): %.0f ns/target (best of 9), kept %d of %d\n", nl, best, kept,
	       9 * runs);
	labels_builder_free(&b);
	for (size_t i = 0; i < n; i++)
		relabel_config_free(&c[i]);
	return kept == 9 * runs ? 0 : 1;
}
