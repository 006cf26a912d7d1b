/*
 * config.c - prometheus.yml loading and validation (Prometheus config/config.go).
 *
 * libyaml's document API gives a node tree with line marks; a small walker
 * per section checks keys against the fields Prometheus knows (Go's strict
 * YAML decoding refuses unknown ones), converts values, fills defaults and
 * validates. Errors: "<file>:<line>: <field path>: <reason>".
 *
 * Every key of `global` and `scrape_configs` either fills a field the
 * scraper uses or is refused with a message naming it (issue 16): a key
 * that loaded and then did nothing would let a job quietly scrape nothing.
 * What flint refuses, and why a Prometheus user would expect it:
 *   - discovery mechanisms other than static, file, http and dns
 *     ("kubernetes_sd_configs is not supported by flint");
 *   - oauth2, *_ref secrets, inline TLS PEMs (config_http.c);
 *   - native-histogram keys set to anything but their no-op value
 *     (scrape_native_histograms: true, convert_classic_histograms_to_nhcb:
 *     true, native_histogram_bucket_limit / _min_bucket_factor non-zero)
 *     and the PrometheusProto scrape protocol: flint stores no native
 *     histograms and parses no protobuf, so accepting them would silently
 *     change what a job stores. always_scrape_classic_histograms is accepted
 *     either way: flint always stores the classic series;
 *   - metric_name_validation_scheme other than utf8 and
 *     metric_name_escaping_scheme other than allow-utf-8 (the 3.x defaults);
 *   - query_log_file and scrape_failure_log_file (flint writes neither log).
 * rule_files are loaded by rules/manager.c, alerting by rules/notifier.c.
 * remote_write is acted on by remote/write.h (the sender). remote_read,
 * storage, tracing, otlp and runtime are checked for their keys only and
 * named there too. scrape_config_files (Prometheus 3.x) are globs of files
 * each holding `scrape_configs:`; their jobs are appended at load.
 */
#include "scrape/config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/timeparse.h"
#include "scrape/config_int.h"

int config__line(yaml_node_t *n) { return n ? (int)n->start_mark.line + 1 : 0; }

void config__fail(cfgp *p, yaml_node_t *n, const char *path, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(p->e, FL_EINVAL, "%s:%d: %s: %s", p->file, config__line(n), path, msg);
}

yaml_node_t *config__node(cfgp *p, int id) { return yaml_document_get_node(p->doc, id); }

const char *config__scalar(cfgp *p, yaml_node_t *n, const char *path)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		config__fail(p, n, path, "expected a scalar value");
		return NULL;
	}
	return arena_strndup(&p->c->arena, (const char *)n->data.scalar.value, n->data.scalar.length);
}

bool config__is_null(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

void config__duration(cfgp *p, yaml_node_t *n, const char *path, int64_t *ms)
{
	const char *s = config__scalar(p, n, path);
	if (!s)
		return;
	err e;
	if (timeparse_model_duration(s, strlen(s), ms, &e))
		config__fail(p, n, path, "%s", e.msg);
}

void config__boolean(cfgp *p, yaml_node_t *n, const char *path, bool *b)
{
	const char *s = config__scalar(p, n, path);
	if (!s)
		return;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "yes"))
		*b = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE") || !strcmp(s, "no"))
		*b = false;
	else
		config__fail(p, n, path, "cannot unmarshal %s into bool", s);
}

void config__uint(cfgp *p, yaml_node_t *n, const char *path, int64_t *v)
{
	const char *s = config__scalar(p, n, path);
	if (!s)
		return;
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end || end == s || errno || x < 0)
		config__fail(p, n, path, "cannot unmarshal %s into an unsigned integer", s);
	else
		*v = x;
}

void config__walk_map(cfgp *p, yaml_node_t *n, const char *path, const char *type, const char *const *known,
		      config__map_fn fn, void *ctx)
{
	if (config__is_null(n))
		return;
	if (!n || n->type != YAML_MAPPING_NODE) {
		config__fail(p, n, path, "expected a mapping (%s)", type);
		return;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top && !p->failed; pr++) {
		yaml_node_t *k = config__node(p, pr->key), *v = config__node(p, pr->value);
		if (!k || k->type != YAML_SCALAR_NODE) {
			config__fail(p, k, path, "mapping keys must be strings");
			return;
		}
		const char *key = (const char *)k->data.scalar.value;
		bool ok = !known; /* NULL: any key (a map of names) */
		for (size_t i = 0; known && known[i]; i++)
			if (!strcmp(known[i], key))
				ok = true;
		char sub[256];
		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
		if (!ok) {
			config__fail(p, k, sub, "field %s not found in type %s", key, type);
			return;
		}
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < pr; q++) {
			yaml_node_t *qk = config__node(p, q->key);
			if (qk && qk->type == YAML_SCALAR_NODE && !strcmp((const char *)qk->data.scalar.value, key)) {
				config__fail(p, k, sub, "field %s already set in type %s", key, type);
				return;
			}
		}
		fn(p, ctx, key, k, v, sub);
	}
}

size_t config__seq_len(cfgp *p, yaml_node_t *n, const char *path)
{
	if (config__is_null(n))
		return 0;
	if (!n || n->type != YAML_SEQUENCE_NODE) {
		config__fail(p, n, path, "expected a list");
		return 0;
	}
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

yaml_node_t *config__seq_at(cfgp *p, yaml_node_t *n, size_t i) { return config__node(p, n->data.sequence.items.start[i]); }

const char **config__string_list(cfgp *p, yaml_node_t *n, const char *path, size_t *count)
{
	size_t len = config__seq_len(p, n, path);
	const char **v = arena_calloc(&p->c->arena, len ? len : 1, sizeof *v);
	for (size_t i = 0; i < len && v && !p->failed; i++) {
		char sub[256];
		snprintf(sub, sizeof sub, "%s[%zu]", path, i);
		v[i] = config__scalar(p, config__seq_at(p, n, i), sub);
	}
	*count = len;
	return v;
}

/* A map of label name -> value (external_labels, static labels), sorted.
 * A null value (`a:`, `a: ~`) is "" as Go decodes it into a string map; ""
 * means absent in a label set, but Prometheus keeps and prints such a label
 * (`a: ""`), so *as_written gets all of them, sorted. */
labels config__label_map(cfgp *p, yaml_node_t *n, const char *path, labels *as_written)
{
	labels out = {0};
	*as_written = out;
	if (config__is_null(n))
		return out;
	if (!n || n->type != YAML_MAPPING_NODE) {
		config__fail(p, n, path, "expected a mapping of label names to values");
		return out;
	}
	size_t len = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	label *all = arena_alloc(&p->c->arena, (len ? len : 1) * sizeof *all);
	size_t n_all = 0;
	labels_builder b;
	labels_builder_init(&b);
	for (size_t i = 0; i < len && !p->failed && all; i++) {
		yaml_node_pair_t *pr = n->data.mapping.pairs.start + i;
		yaml_node_t *k = config__node(p, pr->key), *v = config__node(p, pr->value);
		const char *name = config__scalar(p, k, path), *val = name ? (config__is_null(v) ? "" : config__scalar(p, v, path)) : NULL;
		if (!name || !val)
			break;
		if (!relabel_valid_label_name(name, false)) { /* 3.x: any non-empty UTF-8 */
			config__fail(p, k, path, "\"%s\" is not a valid label name", name);
			break;
		}
		if (*val && !relabel_valid_label_name(val, false)) {
			config__fail(p, v, path, "\"%s\" is not a valid label value", val);
			break;
		}
		size_t at = n_all;
		while (at > 0 && strcmp(all[at - 1].name, name) > 0)
			at--;
		if (at > 0 && !strcmp(all[at - 1].name, name)) {
			config__fail(p, k, path, "duplicate label name %s", name);
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


const char *config__path(cfgp *p, const char *s)
{
	if (!s || !*s || *s == '/' || !p->dir || !*p->dir || !strcmp(p->dir, "."))
		return s;
	size_t n = strlen(p->dir) + strlen(s) + 2;
	char *out = arena_alloc(&p->c->arena, n);
	if (out)
		snprintf(out, n, "%s/%s", p->dir, s);
	return out;
}

/* Prometheus's patRulePath: at most one '*', and no '/' after it. */
static bool valid_glob_path(const char *s)
{
	const char *star = strchr(s, '*');
	return !star || (!strchr(star + 1, '*') && !strchr(star + 1, '/'));
}

/* units.Base2Bytes (alecthomas/units ParseBase2Bytes): "0", or a sequence
 * of <number><unit> with B, KB/KiB, MB/MiB, ... all powers of 1024. */
static void byte_size(cfgp *p, yaml_node_t *n, const char *path, int64_t *out)
{
	const char *s = config__scalar(p, n, path);
	if (!s)
		return;
	if (!strcmp(s, "0")) {
		*out = 0;
		return;
	}
	double total = 0;
	const char *q = s;
	while (*q) {
		char *end;
		if (!(*q >= '0' && *q <= '9') && *q != '.')
			break;
		double v = strtod(q, &end);
		if (end == q)
			break;
		q = end;
		static const char units[] = "KMGTPE";
		double mult = 0;
		if (*q == 'B') {
			mult = 1, q++;
		} else if (*q && strchr(units, *q)) {
			mult = 1;
			for (const char *u = units; u <= strchr(units, *q); u++)
				mult *= 1024;
			q++;
			if (*q == 'i')
				q++;
			if (*q != 'B')
				mult = 0;
			else
				q++;
		}
		if (!mult) {
			config__fail(p, n, path, "units: unknown unit in %s", s);
			return;
		}
		total += v * mult;
	}
	if (*q || q == s || total > 9.2e18) {
		config__fail(p, n, path, "units: invalid size %s", s);
		return;
	}
	*out = (int64_t)total;
}

/* Prometheus's ScrapeProtocolsHeaders keys; PrometheusProto is refused
 * (flint parses no protobuf). */
static void protocol_check(cfgp *p, yaml_node_t *n, const char *path, const char *s)
{
	static const char *const known[] = {"OpenMetricsText0.0.1", "OpenMetricsText1.0.0", "PrometheusText0.0.4",
					    "PrometheusText1.0.0", NULL};
	if (!strcmp(s, "PrometheusProto")) {
		config__fail(p, n, path, "scrape protocol PrometheusProto is not supported by flint (no protobuf parser)");
		return;
	}
	for (size_t i = 0; known[i]; i++)
		if (!strcmp(known[i], s))
			return;
	config__fail(p, n, path,
		     "unknown scrape protocol %s, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto "
		     "PrometheusText0.0.4 PrometheusText1.0.0]",
		     s);
}

static const char **protocol_list(cfgp *p, yaml_node_t *n, const char *path, const char *owner, size_t *count)
{
	const char **v = config__string_list(p, n, path, count);
	if (p->failed)
		return v;
	if (!*count)
		config__fail(p, n, path, "scrape_protocols cannot be empty for %s", owner);
	for (size_t i = 0; i < *count && !p->failed; i++) {
		for (size_t k = 0; k < i; k++)
			if (!strcasecmp(v[k], v[i]))
				config__fail(p, n, path, "duplicated protocol in scrape_protocols for %s", owner);
		if (!p->failed)
			protocol_check(p, n, path, v[i]);
	}
	return v;
}

/* A key flint refuses unless it holds its no-op value (see the top comment). */
static void refuse_unless_bool(cfgp *p, yaml_node_t *v, const char *path, const char *key, bool ok_value,
			       const char *why)
{
	bool b = ok_value;
	config__boolean(p, v, path, &b);
	if (!p->failed && b != ok_value)
		config__fail(p, v, path, "%s: %s is not supported by flint (%s)", key, b ? "true" : "false", why);
}

static void refuse_unless_zero(cfgp *p, yaml_node_t *v, const char *path, const char *key, const char *why)
{
	const char *s = config__scalar(p, v, path);
	char *end;
	if (s && (strtod(s, &end) != 0 || *end))
		config__fail(p, v, path, "%s: %s is not supported by flint (%s)", key, s, why);
}

static void name_schemes(cfgp *p, const char *key, yaml_node_t *v, const char *path)
{
	const char *s = config__scalar(p, v, path);
	if (!s || !*s)
		return;
	if (!strcmp(key, "metric_name_validation_scheme")) {
		if (strcmp(s, "utf8") && strcmp(s, "legacy"))
			config__fail(p, v, path,
				     "unknown name validation method specified, must be either '', 'legacy' or 'utf8', got %s", s);
		else if (strcmp(s, "utf8"))
			config__fail(p, v, path, "metric_name_validation_scheme %s is not supported by flint (utf8 only)", s);
	} else if (strcmp(s, "allow-utf-8")) {
		if (strcmp(s, "underscores") && strcmp(s, "dots") && strcmp(s, "values"))
			config__fail(p, v, path,
				     "unknown name escaping method specified, must be one of 'allow-utf-8', 'underscores', "
				     "'dots', or 'values', got \"%s\"",
				     s);
		else
			config__fail(p, v, path, "metric_name_escaping_scheme %s is not supported by flint (allow-utf-8 only)", s);
	}
}

#define NH_WHY "flint stores no native histograms"

/* Keys global and scrape_configs share; true if key was one. */
static bool limits_field(cfgp *p, const char *key, yaml_node_t *v, const char *path, int64_t *body, int64_t *sample,
			 int64_t *label, int64_t *name_len, int64_t *value_len, int64_t *target, int64_t *keep_dropped)
{
	static const struct { const char *k; int i; } ints[] = {
		{"sample_limit", 1}, {"label_limit", 2}, {"label_name_length_limit", 3},
		{"label_value_length_limit", 4}, {"target_limit", 5}, {"keep_dropped_targets", 6},
	};
	int64_t *dst[] = {body, sample, label, name_len, value_len, target, keep_dropped};
	if (!strcmp(key, "body_size_limit")) {
		byte_size(p, v, path, body);
		return true;
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(ints); i++)
		if (!strcmp(key, ints[i].k)) {
			config__uint(p, v, path, dst[ints[i].i]);
			return true;
		}
	if (!strcmp(key, "scrape_native_histograms"))
		refuse_unless_bool(p, v, path, key, false, NH_WHY);
	else if (!strcmp(key, "convert_classic_histograms_to_nhcb"))
		refuse_unless_bool(p, v, path, key, false, NH_WHY);
	else if (!strcmp(key, "always_scrape_classic_histograms")) {
		bool b;
		config__boolean(p, v, path, &b); /* either way: flint always stores the classic series */
	} else if (!strcmp(key, "metric_name_validation_scheme") || !strcmp(key, "metric_name_escaping_scheme"))
		name_schemes(p, key, v, path);
	else if (!strcmp(key, "scrape_failure_log_file") || !strcmp(key, "query_log_file")) {
		const char *s = config__scalar(p, v, path);
		if (s && *s)
			config__fail(p, v, path, "%s is not supported by flint", key);
	} else
		return false;
	return true;
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
	if (limits_field(p, key, v, path, &c->body_size_limit, &c->sample_limit, &c->label_limit,
			 &c->label_name_length_limit, &c->label_value_length_limit, &c->target_limit,
			 &c->keep_dropped_targets))
		return;
	if (!strcmp(key, "scrape_interval"))
		config__duration(p, v, path, &c->scrape_interval_ms), gs->interval = true;
	else if (!strcmp(key, "scrape_timeout"))
		config__duration(p, v, path, &c->scrape_timeout_ms), gs->timeout = true;
	else if (!strcmp(key, "evaluation_interval"))
		config__duration(p, v, path, &c->evaluation_interval_ms);
	else if (!strcmp(key, "rule_query_offset"))
		config__duration(p, v, path, &c->rule_query_offset_ms);
	else if (!strcmp(key, "external_labels"))
		c->external_labels = config__label_map(p, v, path, &c->external_labels_as_written);
	else if (!strcmp(key, "extra_scrape_metrics"))
		config__boolean(p, v, path, &c->extra_scrape_metrics);
	else if (!strcmp(key, "scrape_protocols") && !config__is_null(v))
		c->scrape_protocols = protocol_list(p, v, path, "global config", &c->n_scrape_protocols);
}

/* ---- scrape_configs ---- */
static const char *const job_own_keys[] = {
	"job_name", "honor_labels", "honor_timestamps", "track_timestamps_staleness", "params", "scrape_interval",
	"scrape_timeout", "scrape_protocols", "fallback_scrape_protocol", "always_scrape_classic_histograms",
	"convert_classic_histograms_to_nhcb", "metrics_path", "scheme", "enable_compression", "body_size_limit",
	"sample_limit", "target_limit", "label_limit", "label_name_length_limit", "label_value_length_limit",
	"native_histogram_bucket_limit", "native_histogram_min_bucket_factor", "keep_dropped_targets",
	"metric_name_validation_scheme", "metric_name_escaping_scheme", "relabel_configs", "metric_relabel_configs",
	"scrape_native_histograms", "extra_scrape_metrics", "scrape_failure_log_file", NULL,
};

typedef struct job_ctx {
	scrape_job_config *j;
	bool have_interval, have_timeout, have_extra, have_protocols;
	yaml_node_t *relabel_node;
} job_ctx;

static void job_params(cfgp *p, scrape_job_config *j, yaml_node_t *v, const char *path)
{
	if (config__is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		config__fail(p, v, path, "expected a mapping of parameter names to lists of values");
		return;
	}
	size_t total = 0;
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top; pr++)
		total += config__seq_len(p, config__node(p, pr->value), path);
	j->params = arena_calloc(&p->c->arena, total + 1, sizeof *j->params);
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top && !p->failed; pr++) {
		const char *key = config__scalar(p, config__node(p, pr->key), path);
		size_t n;
		const char **vals = config__string_list(p, config__node(p, pr->value), path, &n);
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
	(void)k;
	if (limits_field(p, key, v, path, &j->body_size_limit, &j->sample_limit, &j->label_limit,
			 &j->label_name_length_limit, &j->label_value_length_limit, &j->target_limit,
			 &j->keep_dropped_targets))
		return;
	if (config__http_field(p, &j->http, key, v, path) || config__sd_field(p, &j->sd, key, v, path))
		return;
	if (!strcmp(key, "job_name"))
		j->job_name = config__scalar(p, v, path);
	else if (!strcmp(key, "scrape_interval"))
		config__duration(p, v, path, &j->scrape_interval_ms), jc->have_interval = true;
	else if (!strcmp(key, "scrape_timeout"))
		config__duration(p, v, path, &j->scrape_timeout_ms), jc->have_timeout = true;
	else if (!strcmp(key, "metrics_path"))
		j->metrics_path = config__scalar(p, v, path);
	else if (!strcmp(key, "scheme")) {
		j->scheme = config__scalar(p, v, path);
		if (j->scheme && !*j->scheme)
			j->scheme = NULL;
		else if (j->scheme && strcmp(j->scheme, "http") && strcmp(j->scheme, "https"))
			config__fail(p, v, path, "unknown scheme %s (want http or https)", j->scheme);
	} else if (!strcmp(key, "honor_labels"))
		config__boolean(p, v, path, &j->honor_labels);
	else if (!strcmp(key, "honor_timestamps"))
		config__boolean(p, v, path, &j->honor_timestamps);
	else if (!strcmp(key, "track_timestamps_staleness"))
		config__boolean(p, v, path, &j->track_timestamps_staleness);
	else if (!strcmp(key, "enable_compression"))
		config__boolean(p, v, path, &j->enable_compression);
	else if (!strcmp(key, "extra_scrape_metrics"))
		config__boolean(p, v, path, &j->extra_scrape_metrics), jc->have_extra = !config__is_null(v);
	else if (!strcmp(key, "params"))
		job_params(p, j, v, path);
	else if (!strcmp(key, "scrape_protocols") && !config__is_null(v)) {
		char owner[300];
		snprintf(owner, sizeof owner, "scrape config with job name \"%s\"", j->job_name ? j->job_name : "");
		j->scrape_protocols = protocol_list(p, v, path, owner, &j->n_scrape_protocols);
		jc->have_protocols = true;
	} else if (!strcmp(key, "fallback_scrape_protocol")) {
		j->fallback_scrape_protocol = config__scalar(p, v, path);
		if (j->fallback_scrape_protocol && !*j->fallback_scrape_protocol)
			j->fallback_scrape_protocol = NULL;
		else if (j->fallback_scrape_protocol)
			protocol_check(p, v, path, j->fallback_scrape_protocol);
	} else if (!strcmp(key, "native_histogram_bucket_limit") || !strcmp(key, "native_histogram_min_bucket_factor"))
		refuse_unless_zero(p, v, path, key, NH_WHY);
	else if (!strcmp(key, "relabel_configs")) {
		j->relabel_configs = config__relabel_list(p, v, path, &j->n_relabel_configs);
		jc->relabel_node = v;
	} else if (!strcmp(key, "metric_relabel_configs"))
		j->metric_relabel_configs = config__relabel_list(p, v, path, &j->n_metric_relabel_configs);
}

static const char *const *job_keys(void)
{
	static const char *keys[200];
	if (!keys[0]) {
		size_t n = 0;
		for (size_t i = 0; job_own_keys[i]; i++)
			keys[n++] = job_own_keys[i];
		for (size_t i = 0; config__http_keys[i]; i++)
			keys[n++] = config__http_keys[i];
		for (size_t i = 0; config__sd_keys[i]; i++)
			keys[n++] = config__sd_keys[i];
		keys[n] = NULL;
	}
	return keys;
}

/* Validate one job's fields and fill its defaults from global (Prometheus's
 * ScrapeConfig.UnmarshalYAML + Validate). */
static void job_finish(cfgp *p, job_ctx *jc, yaml_node_t *jn, const char *path)
{
	scrape_config *c = p->c;
	scrape_job_config *j = jc->j;
	if (!j->job_name || !*j->job_name) {
		config__fail(p, jn, path, "job_name is empty");
		return;
	}
	config__http_validate(p, &j->http, jn, path);
	if (!j->n_relabel_configs)
		config__check_static_targets(p, &j->sd, jn, path);
	if (p->failed)
		return;
	if (!jc->have_interval || !j->scrape_interval_ms)
		j->scrape_interval_ms = c->scrape_interval_ms;
	if (j->scrape_timeout_ms > j->scrape_interval_ms) {
		config__fail(p, jn, path, "scrape timeout greater than scrape interval for scrape config with job name \"%s\"",
			     j->job_name);
		return;
	}
	if (!jc->have_timeout || !j->scrape_timeout_ms)
		j->scrape_timeout_ms = c->scrape_timeout_ms > j->scrape_interval_ms ? j->scrape_interval_ms : c->scrape_timeout_ms;
	int64_t *mine[] = {&j->body_size_limit, &j->sample_limit, &j->target_limit, &j->label_limit,
			   &j->label_name_length_limit, &j->label_value_length_limit, &j->keep_dropped_targets};
	int64_t global[] = {c->body_size_limit, c->sample_limit, c->target_limit, c->label_limit,
			    c->label_name_length_limit, c->label_value_length_limit, c->keep_dropped_targets};
	for (size_t i = 0; i < FL_ARRAY_LEN(mine); i++)
		if (!*mine[i])
			*mine[i] = global[i];
	if (!jc->have_extra)
		j->extra_scrape_metrics = c->extra_scrape_metrics;
	if (!jc->have_protocols) {
		static const char *const dflt[] = {"OpenMetricsText1.0.0", "OpenMetricsText0.0.1", "PrometheusText1.0.0",
						   "PrometheusText0.0.4"};
		j->scrape_protocols = c->n_scrape_protocols ? c->scrape_protocols : (const char **)dflt;
		j->n_scrape_protocols = c->n_scrape_protocols ? c->n_scrape_protocols : FL_ARRAY_LEN(dflt);
	}
	if (!j->metrics_path || !*j->metrics_path)
		j->metrics_path = "/metrics";
	if (!j->scheme)
		j->scheme = "http";
	j->follow_redirects = j->http.follow_redirects;
}

static void parse_job(cfgp *p, scrape_job_config *j, yaml_node_t *jn, const char *path)
{
	job_ctx jc = {.j = j};
	j->honor_timestamps = true;
	j->enable_compression = true;
	config__http_defaults(&j->http);
	j->line = config__line(jn);
	j->file = p->file;
	if (config__is_null(jn)) {
		config__fail(p, jn, path, "empty or null scrape config section");
		return;
	}
	config__walk_map(p, jn, path, "config.ScrapeConfig", job_keys(), job_field, &jc);
	if (!p->failed)
		job_finish(p, &jc, jn, path);
}

/* Append the jobs of a scrape_configs sequence node. */
static void parse_jobs(cfgp *p, yaml_node_t *v, const char *what)
{
	scrape_config *c = p->c;
	size_t n = config__seq_len(p, v, what);
	scrape_job_config *jobs = arena_calloc(&c->arena, c->n_jobs + n + 1, sizeof *jobs);
	if (!jobs || p->failed)
		return;
	if (c->n_jobs)
		memcpy(jobs, c->jobs, c->n_jobs * sizeof *jobs);
	c->jobs = jobs;
	for (size_t i = 0; i < n && !p->failed; i++) {
		char sub[64];
		snprintf(sub, sizeof sub, "scrape_configs[%zu]", i);
		yaml_node_t *jn = config__seq_at(p, v, i);
		scrape_job_config *j = &c->jobs[c->n_jobs];
		parse_job(p, j, jn, sub);
		if (p->failed) { /* the job is not counted: free what it compiled */
			for (size_t k = 0; k < j->n_relabel_configs; k++)
				relabel_config_free(&j->relabel_configs[k]);
			for (size_t k = 0; k < j->n_metric_relabel_configs; k++)
				relabel_config_free(&j->metric_relabel_configs[k]);
			return;
		}
		for (size_t k = 0; k < c->n_jobs && !p->failed; k++)
			if (!strcmp(c->jobs[k].job_name, j->job_name)) {
				if (!strcmp(p->file, c->filename)) /* both in the main file */
					config__fail(p, jn, sub, "found multiple scrape configs with job name \"%s\"", j->job_name);
				else if (!strcmp(c->jobs[k].file, c->filename))
					config__fail(p, jn, sub,
						     "found multiple scrape configs with job name \"%s\", first found in main config file",
						     j->job_name);
				else
					config__fail(p, jn, sub,
						     "found multiple scrape configs with job name \"%s\", first found in \"%s\"",
						     j->job_name, c->jobs[k].file);
			}
		c->n_jobs++; /* counted even when a duplicate, so free releases its relabel configs */
	}
}

/* ---- scrape_config_files (Prometheus 3.x GetScrapeConfigs) ---- */
static void scrape_files_top(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	(void)ctx, (void)k, (void)key, (void)path;
	parse_jobs(p, v, "scrape_configs");
}

static int parse_yaml(const char *text, size_t len, const char *filename, yaml_parser_t *yp, yaml_document_t *doc,
		      err *e)
{
	yaml_parser_initialize(yp);
	yaml_parser_set_input_string(yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(yp, doc)) {
		err_set(e, FL_EINVAL, "%s:%d: yaml: %s%s%s", filename, (int)yp->problem_mark.line + 1,
			yp->problem ? yp->problem : "syntax error", yp->context ? " " : "", yp->context ? yp->context : "");
		yaml_parser_delete(yp);
		return FL_EINVAL;
	}
	return 0;
}

static void load_scrape_file(cfgp *p, const char *filename)
{
	static const char *const keys[] = {"scrape_configs", NULL};
	buf b;
	buf_init(&b);
	err e;
	if (scrape_read_file(&b, filename, &e)) {
		config__fail(p, NULL, "scrape_config_files", "%s", e.msg);
		buf_reset(&b);
		return;
	}
	yaml_parser_t yp;
	yaml_document_t doc;
	if (parse_yaml((const char *)b.p, b.len, filename, &yp, &doc, p->e)) {
		p->failed = true;
		buf_reset(&b);
		return;
	}
	char *dir = arena_strdup(&p->c->arena, filename);
	cfgp sub = {&doc, p->c, arena_strdup(&p->c->arena, filename), dir ? dirname(dir) : ".", p->e, false};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root)
		config__walk_map(&sub, root, "", "config.ScrapeConfigs", keys, scrape_files_top, NULL);
	p->failed = sub.failed;
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	buf_reset(&b);
}

static void load_scrape_files(cfgp *p, yaml_node_t *v)
{
	for (size_t i = 0; i < p->c->n_scrape_config_files && !p->failed; i++) {
		glob_t g;
		int rc = glob(p->c->scrape_config_files[i], 0, NULL, &g);
		if (rc && rc != GLOB_NOMATCH) {
			config__fail(p, v, "scrape_config_files", "error retrieving scrape config files for \"%s\"",
				     p->c->scrape_config_files[i]);
			return;
		}
		for (size_t k = 0; !rc && k < g.gl_pathc && !p->failed; k++)
			load_scrape_file(p, g.gl_pathv[k]);
		if (!rc)
			globfree(&g);
	}
}

/* ---- top level ---- */
static const char *const top_keys[] = {
	"global", "alerting", "rule_files", "scrape_config_files", "scrape_configs", "storage", "tracing",
	"remote_write", "remote_read", "otlp", "runtime", NULL,
};

static void glob_list(cfgp *p, yaml_node_t *v, const char *path, const char *what, const char ***out, size_t *n)
{
	*out = config__string_list(p, v, path, n);
	for (size_t i = 0; i < *n && !p->failed; i++) {
		if (!valid_glob_path((*out)[i]))
			config__fail(p, v, path, "invalid %s path \"%s\"", what, (*out)[i]);
		(*out)[i] = config__path(p, (*out)[i]);
	}
}

/* storage, tracing, otlp, runtime: their keys are checked, nothing more. */
static void any_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	(void)p, (void)ctx, (void)key, (void)k, (void)v, (void)path;
}

static void other_section(cfgp *p, const char *key, yaml_node_t *v, const char *path)
{
	static const char *const storage[] = {"tsdb", "exemplars", NULL};
	static const char *const tracing[] = {"client_type", "endpoint", "sampling_fraction", "insecure", "tls_config",
					      "headers", "compression", "timeout", NULL};
	static const char *const otlp[] = {"promote_resource_attributes", "ignore_resource_attributes",
					   "promote_all_resource_attributes", "translation_strategy", "keep_identifying_resource_attributes",
					   "convert_histograms_to_nhcb", "promote_scope_metadata",
					   "label_name_underscore_sanitization", "label_name_preserve_multiple_underscores", NULL};
	static const char *const runtime[] = {"gogc", NULL};
	const char *const *keys = key[0] == 's' ? storage : key[0] == 't' ? tracing : key[0] == 'o' ? otlp : runtime;
	config__walk_map(p, v, path, key[0] == 's' ? "config.StorageConfig" : key[0] == 't' ? "config.TracingConfig"
				     : key[0] == 'o' ? "config.OTLPConfig" : "config.RuntimeConfig",
			 keys, any_field, NULL);
}

static void top_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	global_seen *gs = ctx;
	(void)k;
	if (!strcmp(key, "global")) {
		config__walk_map(p, v, path, "config.GlobalConfig", global_keys, global_field, gs);
		if (!p->failed && gs->interval && !gs->timeout && p->c->scrape_timeout_ms > p->c->scrape_interval_ms)
			p->c->scrape_timeout_ms = p->c->scrape_interval_ms;
		if (!p->failed && p->c->scrape_timeout_ms > p->c->scrape_interval_ms)
			config__fail(p, v, path, "global scrape timeout greater than scrape interval");
	} else if (!strcmp(key, "rule_files"))
		glob_list(p, v, path, "rule file", &p->c->rule_files, &p->c->n_rule_files);
	else if (!strcmp(key, "scrape_config_files"))
		glob_list(p, v, path, "scrape config file", &p->c->scrape_config_files, &p->c->n_scrape_config_files);
	else if (!strcmp(key, "remote_write"))
		p->c->remote_write = config__parse_remotes(p, v, "remote_write", &p->c->n_remote_write);
	else if (!strcmp(key, "remote_read"))
		p->c->remote_read = config__parse_remotes(p, v, "remote_read", &p->c->n_remote_read);
	else if (!strcmp(key, "alerting"))
		config__parse_alerting(p, v, path);
	else if (strcmp(key, "scrape_configs"))
		other_section(p, key, v, path);
}

/* c->inactive: what loaded but is not acted on yet (issue 16). */
static void note_inactive(scrape_config *c, yaml_node_t *root, cfgp *p)
{
	static const char *const names[] = {"remote_read", "storage", "tracing", "otlp", "runtime"};
	char out[200] = "";
	for (size_t i = 0; i < FL_ARRAY_LEN(names); i++)
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = config__node(p, pr->key);
			if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, names[i]) &&
			    !config__is_null(config__node(p, pr->value)))
				snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", *out ? ", " : "", names[i]);
		}
	if (*out)
		c->inactive = arena_strdup(&c->arena, out);
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
	if (parse_yaml(text, len, filename, &yp, &doc, e)) {
		scrape_config_free(c);
		return NULL;
	}
	char *dir = arena_strdup(&c->arena, filename ? filename : "");
	cfgp p = {&doc, c, c->filename, dir ? dirname(dir) : ".", e, false};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	global_seen gs = {false, false};
	if (root)
		config__walk_map(&p, root, "", "config.plain", top_keys, top_field, &gs);
	/* jobs after global, whatever the key order, so defaults apply */
	if (root && root->type == YAML_MAPPING_NODE && !p.failed) {
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = config__node(&p, pr->key);
			if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, "scrape_configs"))
				parse_jobs(&p, config__node(&p, pr->value), "scrape_configs");
		}
		load_scrape_files(&p, root);
		note_inactive(c, root, &p);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	if (p.failed) {
		scrape_config_free(c);
		return NULL;
	}
	return c;
}

/* A character device (promtool reads /dev/null as an empty file): read at
 * most SCRAPE_FILE_LIMIT bytes, so /dev/zero fails instead of hanging. */
static int read_char_device(buf *b, const char *path, err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_set(e, FL_EIO, "open %s: %s", path, strerror(errno));
	char chunk[4096];
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, FL_EIO, "read %s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (b->len + (size_t)n > SCRAPE_FILE_LIMIT) {
			rc = err_set(e, FL_EIO, "read %s: larger than %u bytes", path, SCRAPE_FILE_LIMIT);
			break;
		}
		buf_put(b, chunk, (size_t)n);
	}
	close(fd);
	buf_cstr(b);
	return rc ? rc : b->oom ? err_set(e, FL_ENOMEM, "read %s: out of memory", path) : 0;
}

int scrape_read_file(buf *b, const char *path, err *e)
{
	struct stat st;
	if (stat(path, &st))
		return err_set(e, errno == ENOENT ? FL_ENOTFOUND : FL_EIO, "open %s: %s", path, strerror(errno));
	/* the kernel's memory devices (/dev/null, /dev/zero, /dev/full,
	 * /dev/urandom: major 1) never block, so a bounded read of them cannot
	 * hang; a terminal or another device could */
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) >= 3)
		return read_char_device(b, path, e);
	if (!S_ISREG(st.st_mode))
		return err_set(e, FL_EIO, "read %s: not a regular file", path);
	if ((uint64_t)st.st_size > SCRAPE_FILE_LIMIT)
		return err_set(e, FL_EIO, "read %s: larger than %u bytes", path, SCRAPE_FILE_LIMIT);
	return buf_read_file(b, path, e);
}

scrape_config *scrape_config_load(const char *path, err *e)
{
	buf b;
	buf_init(&b);
	scrape_config *c = NULL;
	int rc = scrape_read_file(&b, path, e);
	if (rc && e)
		e->code = FL_EIO; /* a config that cannot be read, missing or not */
	if (!rc)
		c = scrape_config_parse((const char *)b.p, b.len, path, e);
	buf_reset(&b);
	if (c && c->inactive)
		log_warn("config", "Config sections loaded and validated but not acted on yet", "file", path, "sections",
			 c->inactive, NULL);
	return c;
}

int scrape_config_check_agent(const scrape_config *c, err *e)
{
	if (c->alerting.n_alertmanagers || c->alerting.n_alert_relabel_configs)
		return err_set(e, FL_EINVAL, "field alerting is not allowed in agent mode");
	if (c->n_rule_files)
		return err_set(e, FL_EINVAL, "field rule_files is not allowed in agent mode");
	if (c->n_remote_read)
		return err_set(e, FL_EINVAL, "field remote_read is not allowed in agent mode");
	return 0;
}

scrape_config *scrape_config_default(err *e) { return scrape_config_parse("", 0, "", e); }

scrape_config *scrape_config_ref(const scrape_config *c)
{
	scrape_config *m = (scrape_config *)c; /* only the count changes */
	__atomic_fetch_add(&m->extra_refs, 1, __ATOMIC_RELAXED);
	return m;
}

void scrape_config_free(scrape_config *c)
{
	if (!c || __atomic_fetch_sub(&c->extra_refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (size_t i = 0; i < c->n_jobs; i++) {
		for (size_t k = 0; k < c->jobs[i].n_relabel_configs; k++)
			relabel_config_free(&c->jobs[i].relabel_configs[k]);
		for (size_t k = 0; k < c->jobs[i].n_metric_relabel_configs; k++)
			relabel_config_free(&c->jobs[i].metric_relabel_configs[k]);
	}
	for (size_t i = 0; i < c->n_remote_write; i++)
		for (size_t k = 0; k < c->remote_write[i].n_write_relabel_configs; k++)
			relabel_config_free(&c->remote_write[i].write_relabel_configs[k]);
	scrape_alerting_config *al = &c->alerting;
	for (size_t k = 0; k < al->n_alert_relabel_configs; k++)
		relabel_config_free(&al->alert_relabel_configs[k]);
	for (size_t i = 0; i < al->n_alertmanagers; i++) {
		for (size_t k = 0; k < al->alertmanagers[i].n_relabel_configs; k++)
			relabel_config_free(&al->alertmanagers[i].relabel_configs[k]);
		for (size_t k = 0; k < al->alertmanagers[i].n_alert_relabel_configs; k++)
			relabel_config_free(&al->alertmanagers[i].alert_relabel_configs[k]);
	}
	arena_reset(&c->arena);
	fl_free(c);
}

/* ---- promtool's --http.config.file ---- */

static void http_file_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	(void)k;
	config__http_field(p, ctx, key, v, path);
}

scrape_config *scrape_http_client_load(const char *path, const scrape_http_client **out, err *e)
{
	scrape_config *c = config_new(path);
	scrape_http_client *h = c ? arena_calloc(&c->arena, 1, sizeof *h) : NULL;
	if (!h) {
		scrape_config_free(c);
		err_set(e, FL_ENOMEM, "config: out of memory");
		return NULL;
	}
	config__http_defaults(h);
	*out = h;
	if (!path)
		return c;
	buf b;
	buf_init(&b);
	yaml_parser_t yp;
	yaml_document_t doc;
	int rc = scrape_read_file(&b, path, e);
	if (!rc)
		rc = parse_yaml((const char *)b.p, b.len, path, &yp, &doc, e);
	buf_reset(&b);
	if (rc) {
		scrape_config_free(c);
		return NULL;
	}
	char *dir = arena_strdup(&c->arena, path);
	cfgp p = {&doc, c, c->filename, dir ? dirname(dir) : ".", e, false};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root) {
		config__walk_map(&p, root, "", "config.HTTPClientConfig", config__http_keys, http_file_field, h);
		if (!p.failed)
			config__http_validate(&p, h, root, "");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	if (p.failed) {
		scrape_config_free(c);
		return NULL;
	}
	return c;
}
