/*
 * config.c - prometheus.yml loading and validation (Prometheus config/config.go).
 *
 * libyaml's document API gives a node tree with line marks; a small walker
 * per section checks keys against the fields Prometheus knows (Go's strict
 * YAML decoding refuses unknown ones), converts values, fills defaults and
 * validates. Sections flint does not act on yet (alerting, SD mechanisms
 * other than static and file, relabeling, TLS/OAuth client settings) are
 * accepted when Prometheus would accept the key, so a real prometheus.yml
 * loads. Errors: "<file>:<line>: <field path>: <reason>".
 */
#include "scrape/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

#include "lib/timeparse.h"
#include "scrape/yaml_out.h"

typedef struct cfgp {
	yaml_document_t *doc; /* parsed document */
	scrape_config *c;     /* being filled */
	const char *file;     /* for messages */
	err *e;               /* first error */
	bool failed;          /* an error was set */
} cfgp;

static int line_of(yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

static void fail(cfgp *p, yaml_node_t *n, const char *path, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail(cfgp *p, yaml_node_t *n, const char *path, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(p->e, FL_EINVAL, "%s:%d: %s: %s", p->file, line_of(n), path, msg);
}

static yaml_node_t *node(cfgp *p, int id) { return yaml_document_get_node(p->doc, id); }

static const char *scalar(cfgp *p, yaml_node_t *n, const char *path)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		fail(p, n, path, "expected a scalar value");
		return NULL;
	}
	return arena_strndup(&p->c->arena, (const char *)n->data.scalar.value, n->data.scalar.length);
}

static bool is_null(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

static void duration(cfgp *p, yaml_node_t *n, const char *path, int64_t *ms)
{
	const char *s = scalar(p, n, path);
	if (!s)
		return;
	err e;
	if (timeparse_model_duration(s, strlen(s), ms, &e))
		fail(p, n, path, "%s", e.msg);
}

static void boolean(cfgp *p, yaml_node_t *n, const char *path, bool *b)
{
	const char *s = scalar(p, n, path);
	if (!s)
		return;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "yes"))
		*b = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE") || !strcmp(s, "no"))
		*b = false;
	else
		fail(p, n, path, "cannot unmarshal %s into bool", s);
}

static void integer(cfgp *p, yaml_node_t *n, const char *path, int64_t *v)
{
	const char *s = scalar(p, n, path);
	if (!s)
		return;
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end || end == s || errno || x < 0)
		fail(p, n, path, "cannot unmarshal %s into an unsigned integer", s);
	else
		*v = x;
}

/* Iterate a mapping: calls fn(p, key, value, path) per pair. */
typedef void (*map_fn)(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path);

static void walk_map(cfgp *p, yaml_node_t *n, const char *path, const char *type, const char *const *known, map_fn fn,
		     void *ctx)
{
	if (is_null(n))
		return;
	if (!n || n->type != YAML_MAPPING_NODE) {
		fail(p, n, path, "expected a mapping (%s)", type);
		return;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top && !p->failed; pr++) {
		yaml_node_t *k = node(p, pr->key), *v = node(p, pr->value);
		if (!k || k->type != YAML_SCALAR_NODE) {
			fail(p, k, path, "mapping keys must be strings");
			return;
		}
		const char *key = (const char *)k->data.scalar.value;
		bool ok = false;
		for (size_t i = 0; known[i]; i++)
			if (!strcmp(known[i], key))
				ok = true;
		char sub[256];
		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
		if (!ok) {
			fail(p, k, sub, "field %s not found in type %s", key, type);
			return;
		}
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
			yaml_node_t *qk = node(p, q->key);
			if (qk && qk->type == YAML_SCALAR_NODE && !strcmp((const char *)qk->data.scalar.value, key)) {
				fail(p, k, sub, "field %s already set in type %s", key, type);
				return;
			}
		}
		fn(p, ctx, key, k, v, sub);
	}
}

static size_t seq_len(cfgp *p, yaml_node_t *n, const char *path)
{
	if (is_null(n))
		return 0;
	if (!n || n->type != YAML_SEQUENCE_NODE) {
		fail(p, n, path, "expected a list");
		return 0;
	}
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_at(cfgp *p, yaml_node_t *n, size_t i) { return node(p, n->data.sequence.items.start[i]); }

static const char **string_list(cfgp *p, yaml_node_t *n, const char *path, size_t *count)
{
	size_t len = seq_len(p, n, path);
	const char **v = arena_calloc(&p->c->arena, len ? len : 1, sizeof *v);
	for (size_t i = 0; i < len && v && !p->failed; i++) {
		char sub[256];
		snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		v[i] = scalar(p, seq_at(p, n, i), sub);
	}
	*count = len;
	return v;
}

static bool valid_label_name(const char *s)
{
	if (!*s)
		return false;
	for (const char *q = s; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' || (q > s && *q >= '0' && *q <= '9')))
			return false;
	return true;
}

/* A map of label name -> value (external_labels, static labels), sorted.
 * A null value (`a:`, `a: ~`) is "" as Go decodes it into a string map; ""
 * means absent in a label set, but Prometheus keeps and prints such a label
 * (`a: ""`), so *as_written gets all of them, sorted. */
static labels label_map(cfgp *p, yaml_node_t *n, const char *path, labels *as_written)
{
	labels out = {0};
	*as_written = out;
	if (is_null(n))
		return out;
	if (!n || n->type != YAML_MAPPING_NODE) {
		fail(p, n, path, "expected a mapping of label names to values");
		return out;
	}
	size_t len = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	label *all = arena_alloc(&p->c->arena, (len ? len : 1) * sizeof *all);
	size_t n_all = 0;
	labels_builder b;
	labels_builder_init(&b);
	for (size_t i = 0; i < len && !p->failed && all; i++) {
		yaml_node_pair_t *pr = n->data.mapping.pairs.start + i;
		yaml_node_t *k = node(p, pr->key), *v = node(p, pr->value);
		const char *name = scalar(p, k, path), *val = name ? (is_null(v) ? "" : scalar(p, v, path)) : NULL;
		if (!name || !val)
			break;
		if (!valid_label_name(name)) {
			fail(p, k, path, "\"%s\" is not a valid label name", name);
			break;
		}
		size_t at = n_all;
		while (at > 0 && strcmp(all[at - 1].name, name) > 0)
			at--;
		if (at > 0 && !strcmp(all[at - 1].name, name)) {
			fail(p, k, path, "duplicate label name %s", name);
			break;
		}
		memmove(&all[at + 1], &all[at], (n_all++ - at) * sizeof *all);
		all[at] = (label){name, val};
		labels_builder_set(&b, name, val);
	}
	if (!p->failed && all) {
		out = labels_copy(&p->c->arena, labels_builder_labels(&b));
		*as_written = (labels){all, n_all};
	}
	labels_builder_free(&b);
	return out;
}

/* ---- global ---- */
static const char *const global_keys[] = {
	"scrape_interval", "scrape_timeout", "evaluation_interval", "external_labels", "query_log_file",
	"body_size_limit", "sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit",
	"target_limit", "keep_dropped_targets", "scrape_protocols", "rule_query_offset",
	"metric_name_validation_scheme", "metric_name_escaping_scheme", "scrape_failure_log_file",
	"always_scrape_classic_histograms", "convert_classic_histograms_to_nhcb", "extra_scrape_metrics",
	"scrape_native_histograms", NULL,
};

typedef struct global_seen {
	bool interval, timeout;
} global_seen;

static void global_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	global_seen *gs = ctx;
	scrape_config *c = p->c;
	(void)k;
	if (!strcmp(key, "scrape_interval"))
		duration(p, v, path, &c->scrape_interval_ms), gs->interval = true;
	else if (!strcmp(key, "scrape_timeout"))
		duration(p, v, path, &c->scrape_timeout_ms), gs->timeout = true;
	else if (!strcmp(key, "evaluation_interval"))
		duration(p, v, path, &c->evaluation_interval_ms);
	else if (!strcmp(key, "external_labels"))
		c->external_labels = label_map(p, v, path, &c->external_labels_as_written);
}

/* ---- scrape_configs ---- */
static const char *const job_keys[] = {
	"job_name", "honor_labels", "honor_timestamps", "track_timestamps_staleness", "params", "scrape_interval",
	"scrape_timeout", "scrape_protocols", "fallback_scrape_protocol", "scrape_classic_histograms",
	"always_scrape_classic_histograms", "convert_classic_histograms_to_nhcb", "metrics_path", "scheme",
	"enable_compression", "body_size_limit", "sample_limit", "target_limit", "label_limit",
	"label_name_length_limit", "label_value_length_limit", "native_histogram_bucket_limit",
	"native_histogram_min_bucket_factor", "keep_dropped_targets", "metric_name_validation_scheme",
	"metric_name_escaping_scheme", "relabel_configs", "metric_relabel_configs", "static_configs",
	"file_sd_configs", "scrape_native_histograms", "extra_scrape_metrics",
	/* HTTP client settings */
	"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config", "proxy_url",
	"no_proxy", "proxy_from_environment", "proxy_connect_header", "follow_redirects", "enable_http2",
	"http_headers",
	/* service discovery flint accepts but does not run yet */
	"azure_sd_configs", "consul_sd_configs", "digitalocean_sd_configs", "docker_sd_configs",
	"dockerswarm_sd_configs", "dns_sd_configs", "ec2_sd_configs", "eureka_sd_configs", "gce_sd_configs",
	"hetzner_sd_configs", "http_sd_configs", "ionos_sd_configs", "kubernetes_sd_configs", "kuma_sd_configs",
	"lightsail_sd_configs", "linode_sd_configs", "marathon_sd_configs", "nerve_sd_configs", "nomad_sd_configs",
	"openstack_sd_configs", "ovhcloud_sd_configs", "puppetdb_sd_configs", "scaleway_sd_configs",
	"serverset_sd_configs", "triton_sd_configs", "uyuni_sd_configs", "vultr_sd_configs", "stackit_sd_configs",
	NULL,
};

typedef struct job_ctx {
	scrape_job_config *j;
	bool have_interval, have_timeout;
} job_ctx;

static void static_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_static_config *sc = ctx;
	(void)k;
	if (!strcmp(key, "targets")) {
		sc->targets = string_list(p, v, path, &sc->n_targets);
		for (size_t i = 0; i < sc->n_targets && !p->failed; i++)
			if (!sc->targets[i] || !*sc->targets[i] || strchr(sc->targets[i], '/'))
				fail(p, v, path, "\"%s\" is not a valid hostname", sc->targets[i] ? sc->targets[i] : "");
	} else if (!strcmp(key, "labels")) {
		sc->labels = label_map(p, v, path, &sc->labels_as_written);
	}
}

static void basic_auth_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_job_config *j = ctx;
	(void)k;
	if (!strcmp(key, "username"))
		j->http.basic_auth_user = scalar(p, v, path);
	else if (!strcmp(key, "password"))
		j->http.basic_auth_pass = scalar(p, v, path);
}

static void file_sd_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_file_sd *f = ctx;
	(void)k;
	if (!strcmp(key, "files"))
		f->files = string_list(p, v, path, &f->n_files);
	else if (!strcmp(key, "refresh_interval"))
		duration(p, v, path, &f->refresh_ms);
}

static void job_params(cfgp *p, scrape_job_config *j, yaml_node_t *v, const char *path)
{
	if (is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		fail(p, v, path, "expected a mapping of parameter names to lists of values");
		return;
	}
	size_t total = 0;
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++)
		total += seq_len(p, node(p, pr->value), path);
	j->params = arena_calloc(&p->c->arena, total + 1, sizeof *j->params);
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top && !p->failed; pr++) {
		const char *key = scalar(p, node(p, pr->key), path);
		size_t n;
		const char **vals = string_list(p, node(p, pr->value), path, &n);
		for (size_t i = 0; i < n && vals && j->params; i++) {
			j->params[j->n_params].key = key;
			j->params[j->n_params++].value = vals[i];
		}
	}
}

static void job_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	job_ctx *jc = ctx;
	scrape_job_config *j = jc->j;
	static const char *const static_keys[] = {"targets", "labels", NULL};
	static const char *const auth_keys[] = {"username", "password", "password_file", "username_file", NULL};
	static const char *const file_sd_keys[] = {"files", "refresh_interval", NULL};
	(void)k;
	if (!strcmp(key, "job_name"))
		j->job_name = scalar(p, v, path);
	else if (!strcmp(key, "scrape_interval"))
		duration(p, v, path, &j->scrape_interval_ms), jc->have_interval = true;
	else if (!strcmp(key, "scrape_timeout"))
		duration(p, v, path, &j->scrape_timeout_ms), jc->have_timeout = true;
	else if (!strcmp(key, "metrics_path"))
		j->metrics_path = scalar(p, v, path);
	else if (!strcmp(key, "scheme")) {
		j->scheme = scalar(p, v, path);
		if (j->scheme && strcmp(j->scheme, "http") && strcmp(j->scheme, "https"))
			fail(p, v, path, "unknown scheme %s (want http or https)", j->scheme);
	} else if (!strcmp(key, "honor_labels"))
		boolean(p, v, path, &j->honor_labels);
	else if (!strcmp(key, "honor_timestamps"))
		boolean(p, v, path, &j->honor_timestamps);
	else if (!strcmp(key, "sample_limit"))
		integer(p, v, path, &j->sample_limit);
	else if (!strcmp(key, "label_limit"))
		integer(p, v, path, &j->label_limit);
	else if (!strcmp(key, "target_limit"))
		integer(p, v, path, &j->target_limit);
	else if (!strcmp(key, "bearer_token"))
		j->http.auth_credentials = scalar(p, v, path);
	else if (!strcmp(key, "params"))
		job_params(p, j, v, path);
	else if (!strcmp(key, "basic_auth"))
		walk_map(p, v, path, "config.BasicAuth", auth_keys, basic_auth_field, j);
	else if (!strcmp(key, "static_configs") || !strcmp(key, "file_sd_configs")) {
		bool st = key[0] == 's';
		size_t n = seq_len(p, v, path);
		if (st) {
			j->static_configs = arena_calloc(&p->c->arena, n + 1, sizeof *j->static_configs);
			j->n_static_configs = n;
		} else {
			j->file_sd = arena_calloc(&p->c->arena, n + 1, sizeof *j->file_sd);
			j->n_file_sd = n;
		}
		for (size_t i = 0; i < n && !p->failed; i++) {
			char sub[256];
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			if (st)
				walk_map(p, seq_at(p, v, i), sub, "targetgroup.Group", static_keys, static_field, &j->static_configs[i]);
			else
			{
				j->file_sd[i].refresh_ms = 5 * 60000;
				walk_map(p, seq_at(p, v, i), sub, "file.SDConfig", file_sd_keys, file_sd_field, &j->file_sd[i]);
			}
		}
	}
	/* other known keys: accepted, not acted on yet */
}

static void parse_jobs(cfgp *p, yaml_node_t *v, const char *path)
{
	scrape_config *c = p->c;
	size_t n = seq_len(p, v, path);
	c->jobs = arena_calloc(&c->arena, n + 1, sizeof *c->jobs);
	if (!c->jobs)
		return;
	for (size_t i = 0; i < n && !p->failed; i++) {
		char sub[64];
		snprintf(sub, sizeof sub, "scrape_configs[%zu]", i);
		yaml_node_t *jn = seq_at(p, v, i);
		scrape_job_config *j = &c->jobs[i];
		job_ctx jc = {j, false, false};
		j->honor_timestamps = true;
		j->line = line_of(jn);
		walk_map(p, jn, sub, "config.ScrapeConfig", job_keys, job_field, &jc);
		if (p->failed)
			return;
		c->n_jobs = i + 1;
		if (!j->job_name || !*j->job_name) {
			fail(p, jn, sub, "job_name is empty");
			return;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->jobs[k].job_name, j->job_name)) {
				fail(p, jn, sub, "found multiple scrape configs with job name \"%s\"", j->job_name);
				return;
			}
		if (!jc.have_interval)
			j->scrape_interval_ms = c->scrape_interval_ms;
		if (!jc.have_timeout)
			j->scrape_timeout_ms = c->scrape_timeout_ms > j->scrape_interval_ms ? j->scrape_interval_ms : c->scrape_timeout_ms;
		if (j->scrape_timeout_ms > j->scrape_interval_ms) {
			fail(p, jn, sub, "scrape timeout greater than scrape interval for scrape config with job name \"%s\"",
			     j->job_name);
			return;
		}
		if (!j->metrics_path)
			j->metrics_path = "/metrics";
		if (!j->scheme)
			j->scheme = "http";
	}
}

/* ---- remote_write / remote_read ---- */
static const char *const rw_keys[] = {
	"url", "name", "remote_timeout", "headers", "write_relabel_configs", "send_exemplars",
	"send_native_histograms", "round_robin_dns", "protobuf_message", "queue_config", "metadata_config",
	"sigv4", "azuread", "google_iam",
	"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config", "proxy_url",
	"no_proxy", "proxy_from_environment", "proxy_connect_header", "follow_redirects", "enable_http2",
	"http_headers", NULL,
};
static const char *const rr_keys[] = {
	"url", "name", "remote_timeout", "headers", "read_recent", "required_matchers", "filter_external_labels",
	"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "tls_config", "proxy_url",
	"no_proxy", "proxy_from_environment", "proxy_connect_header", "follow_redirects", "enable_http2",
	"http_headers", NULL,
};

static void remote_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_remote_config *r = ctx;
	(void)k;
	if (!strcmp(key, "url"))
		r->url = scalar(p, v, path);
	else if (!strcmp(key, "name"))
		r->name = scalar(p, v, path);
	else if (!strcmp(key, "remote_timeout"))
		duration(p, v, path, &r->remote_timeout_ms);
	else if (!strcmp(key, "send_exemplars"))
		boolean(p, v, path, &r->send_exemplars);
	else if (!strcmp(key, "send_native_histograms"))
		boolean(p, v, path, &r->send_native_histograms);
	else if (!strcmp(key, "read_recent"))
		boolean(p, v, path, &r->read_recent);
	else if (!strcmp(key, "headers") && !is_null(v)) {
		if (v->type != YAML_MAPPING_NODE) {
			fail(p, v, path, "expected a mapping of header names to values");
			return;
		}
		size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
		r->headers = arena_calloc(&p->c->arena, n + 1, sizeof *r->headers);
		for (size_t i = 0; i < n && r->headers && !p->failed; i++) {
			yaml_node_pair_t *pr = v->data.mapping.pairs.start + i;
			r->headers[i].key = scalar(p, node(p, pr->key), path);
			r->headers[i].value = scalar(p, node(p, pr->value), path);
			r->n_headers = i + 1;
		}
	}
}

static scrape_remote_config *parse_remotes(cfgp *p, yaml_node_t *v, const char *what, size_t *count)
{
	size_t n = seq_len(p, v, what);
	scrape_remote_config *rs = arena_calloc(&p->c->arena, n + 1, sizeof *rs);
	for (size_t i = 0; i < n && rs && !p->failed; i++) {
		char sub[64];
		snprintf(sub, sizeof sub, "%s[%zu]", what, i);
		yaml_node_t *rn = seq_at(p, v, i);
		rs[i].remote_timeout_ms = what[7] == 'w' ? 30000 : 60000;
		walk_map(p, rn, sub, what[7] == 'w' ? "config.RemoteWriteConfig" : "config.RemoteReadConfig",
			 what[7] == 'w' ? rw_keys : rr_keys, remote_field, &rs[i]);
		if (!p->failed && (!rs[i].url || !*rs[i].url))
			fail(p, rn, sub, "url for %s is empty", what);
		else if (!p->failed && strncmp(rs[i].url, "http://", 7) && strncmp(rs[i].url, "https://", 8))
			fail(p, rn, sub, "unsupported scheme in url %s", rs[i].url);
		for (size_t k = 0; k < i && !p->failed; k++)
			if (rs[i].name && rs[k].name && !strcmp(rs[i].name, rs[k].name))
				fail(p, rn, sub, "found multiple %s configs with name \"%s\"", what, rs[i].name);
	}
	*count = n;
	return rs;
}

/* ---- top level ---- */
static const char *const top_keys[] = {
	"global", "alerting", "rule_files", "scrape_config_files", "scrape_configs", "storage", "tracing",
	"remote_write", "remote_read", "otlp", "runtime", NULL,
};

static void top_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	global_seen *gs = ctx;
	(void)k;
	if (!strcmp(key, "global")) {
		walk_map(p, v, path, "config.GlobalConfig", global_keys, global_field, gs);
		if (!p->failed && gs->interval && !gs->timeout && p->c->scrape_timeout_ms > p->c->scrape_interval_ms)
			p->c->scrape_timeout_ms = p->c->scrape_interval_ms;
		if (!p->failed && p->c->scrape_timeout_ms > p->c->scrape_interval_ms)
			fail(p, v, path, "global scrape timeout greater than scrape interval");
	} else if (!strcmp(key, "rule_files"))
		p->c->rule_files = string_list(p, v, path, &p->c->n_rule_files);
	else if (!strcmp(key, "remote_write"))
		p->c->remote_write = parse_remotes(p, v, "remote_write", &p->c->n_remote_write);
	else if (!strcmp(key, "remote_read"))
		p->c->remote_read = parse_remotes(p, v, "remote_read", &p->c->n_remote_read);
}

static scrape_config *config_new(const char *filename)
{
	scrape_config *c = fl_calloc(1, sizeof *c);
	if (!c)
		return NULL;
	arena_init(&c->arena);
	c->scrape_interval_ms = 60000;
	c->scrape_timeout_ms = 10000;
	c->evaluation_interval_ms = 60000;
	c->filename = arena_strdup(&c->arena, filename ? filename : "");
	return c;
}

scrape_config *scrape_config_parse(const char *text, size_t len, const char *filename, err *e)
{
	scrape_config *c = config_new(filename);
	if (!c) {
		err_set(e, FL_ENOMEM, "config: out of memory");
		return NULL;
	}
	yaml_parser_t yp;
	yaml_document_t doc;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &doc)) {
		err_set(e, FL_EINVAL, "%s:%d: yaml: %s%s%s", filename, (int)yp.problem_mark.line + 1,
			yp.problem ? yp.problem : "syntax error", yp.context ? " " : "", yp.context ? yp.context : "");
		yaml_parser_delete(&yp);
		scrape_config_free(c);
		return NULL;
	}
	cfgp p = {&doc, c, filename, e, false};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	global_seen gs = {false, false};
	if (root)
		walk_map(&p, root, "", "config.plain", top_keys, top_field, &gs);
	/* jobs after global, whatever the key order, so defaults apply */
	if (root && root->type == YAML_MAPPING_NODE && !p.failed)
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = node(&p, pr->key);
			if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, "scrape_configs"))
				parse_jobs(&p, node(&p, pr->value), "scrape_configs");
		}
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	if (p.failed) {
		scrape_config_free(c);
		return NULL;
	}
	return c;
}

scrape_config *scrape_config_load(const char *path, err *e)
{
	buf b;
	buf_init(&b);
	scrape_config *c = NULL;
	int rc = buf_read_file(&b, path, e);
	if (rc && e)
		e->code = FL_EIO; /* a config that cannot be read, missing or not */
	if (!rc)
		c = scrape_config_parse((const char *)b.p, b.len, path, e);
	buf_reset(&b);
	return c;
}

scrape_config *scrape_config_default(err *e) { return scrape_config_parse("", 0, "", e); }

void scrape_config_free(scrape_config *c)
{
	if (!c)
		return;
	arena_reset(&c->arena);
	fl_free(c);
}

/* ---- YAML output (as Prometheus re-marshals its loaded config) ---- */
static void ydur(buf *b, const char *indent, const char *key, int64_t ms)
{
	buf_printf(b, "%s%s: ", indent, key);
	timeparse_format_duration(b, ms);
	buf_put_byte(b, '\n');
}

/* `key: value` at the indent (continuation lines 2 deeper), quoted as go-yaml v2 would. */
static void ykv(buf *b, const char *indent, const char *key, const char *value)
{
	buf_put_str(b, indent);
	yaml_out_scalar(b, key, 0, true);
	buf_put_str(b, ": ");
	yaml_out_value_line(b, value, (int)strlen(indent) + 2);
}

/* `- item` of a sequence at the indent. */
static void yitem(buf *b, const char *indent, const char *item)
{
	buf_printf(b, "%s- ", indent);
	yaml_out_value_line(b, item, (int)strlen(indent) + 2);
}

static void ylabels(buf *b, const char *indent, const char *key, labels ls)
{
	if (!ls.n)
		return;
	buf_printf(b, "%s%s:\n", indent, key);
	char inner[16];
	snprintf(inner, sizeof inner, "%s  ", indent);
	for (size_t i = 0; i < ls.n; i++)
		ykv(b, inner, ls.v[i].name, ls.v[i].value);
}

static void yjob(buf *b, const scrape_job_config *j)
{
	ykv(b, "- ", "job_name", j->job_name);
	if (j->honor_labels) /* `yaml:"honor_labels,omitempty"` */
		buf_put_str(b, "  honor_labels: true\n");
	buf_printf(b, "  honor_timestamps: %s\n", j->honor_timestamps ? "true" : "false");
	if (j->n_params) {
		buf_put_str(b, "  params:\n");
		for (size_t i = 0; i < j->n_params; i++) {
			bool first = !i || strcmp(j->params[i - 1].key, j->params[i].key);
			if (first) {
				buf_put_str(b, "    ");
				yaml_out_scalar(b, j->params[i].key, 0, true);
				buf_put_str(b, ":\n");
			}
			yitem(b, "    ", j->params[i].value);
		}
	}
	ydur(b, "  ", "scrape_interval", j->scrape_interval_ms);
	ydur(b, "  ", "scrape_timeout", j->scrape_timeout_ms);
	ykv(b, "  ", "metrics_path", j->metrics_path);
	buf_printf(b, "  scheme: %s\n", j->scheme);
	if (j->sample_limit)
		buf_printf(b, "  sample_limit: %lld\n", (long long)j->sample_limit);
	buf_put_str(b, "  follow_redirects: true\n  enable_http2: true\n");
	if (j->n_static_configs) {
		buf_put_str(b, "  static_configs:\n");
		for (size_t s = 0; s < j->n_static_configs; s++) {
			const scrape_static_config *sc = &j->static_configs[s];
			buf_put_str(b, "  - targets:\n");
			for (size_t t = 0; t < sc->n_targets; t++)
				yitem(b, "    ", sc->targets[t]);
			ylabels(b, "    ", "labels", sc->labels_as_written);
		}
	}
	for (size_t f = 0; f < j->n_file_sd; f++) {
		buf_put_str(b, f ? "  - files:\n" : "  file_sd_configs:\n  - files:\n");
		for (size_t i = 0; i < j->file_sd[f].n_files; i++)
			yitem(b, "    ", j->file_sd[f].files[i]);
		ydur(b, "    ", "refresh_interval", j->file_sd[f].refresh_ms);
	}
}

void scrape_config_yaml(const scrape_config *c, buf *b)
{
	buf_put_str(b, "global:\n");
	ydur(b, "  ", "scrape_interval", c->scrape_interval_ms);
	ydur(b, "  ", "scrape_timeout", c->scrape_timeout_ms);
	ydur(b, "  ", "evaluation_interval", c->evaluation_interval_ms);
	ylabels(b, "  ", "external_labels", c->external_labels_as_written);
	if (c->n_rule_files) {
		buf_put_str(b, "rule_files:\n");
		for (size_t i = 0; i < c->n_rule_files; i++)
			yitem(b, "", c->rule_files[i]);
	}
	if (c->n_jobs) {
		buf_put_str(b, "scrape_configs:\n");
		for (size_t i = 0; i < c->n_jobs; i++)
			yjob(b, &c->jobs[i]);
	}
	for (int rw = 1; rw >= 0; rw--) {
		size_t n = rw ? c->n_remote_write : c->n_remote_read;
		const scrape_remote_config *rs = rw ? c->remote_write : c->remote_read;
		if (n)
			buf_printf(b, "%s:\n", rw ? "remote_write" : "remote_read");
		for (size_t i = 0; i < n; i++) {
			ykv(b, "- ", "url", rs[i].url);
			if (rs[i].name)
				ykv(b, "  ", "name", rs[i].name);
			ydur(b, "  ", "remote_timeout", rs[i].remote_timeout_ms);
			if (!rw)
				buf_printf(b, "  read_recent: %s\n", rs[i].read_recent ? "true" : "false");
		}
	}
}
