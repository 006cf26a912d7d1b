/*
 * config_print.c - the loaded config as YAML, as Prometheus re-marshals
 * it for /api/v1/status/config (gopkg.in/yaml.v2 over config.Config):
 * struct fields in declaration order with their omitempty rules, defaults
 * filled in, secrets as <secret>, then a job's discovery blocks sorted by
 * key (discovery.MarshalYAMLWithInlineConfigs appends them that way).
 * Scalars go through yaml_out.c so what is printed loads back the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/timeparse.h"
#include "scrape/config.h"
#include "scrape/yaml_out.h"

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

static void ylist(buf *b, const char *indent, const char *key, const char *const *v, size_t n)
{
	if (!n)
		return;
	buf_printf(b, "%s%s:\n", indent, key);
	for (size_t i = 0; i < n; i++)
		yitem(b, indent, v[i]);
}

/* units.Base2Bytes.String(): "10MiB", "1KiB476B". */
static void ybytes(buf *b, const char *indent, const char *key, int64_t n)
{
	static const char *const m[] = {"", "K", "M", "G", "T", "P", "E"};
	char parts[7][32];
	int np = 0;
	for (int i = 0; i < 7 && n; i++, n /= 1024)
		if (n % 1024)
			snprintf(parts[np++], sizeof parts[0], "%lld%s%s", (long long)(n % 1024), m[i], i ? "iB" : "B");
	buf_printf(b, "%s%s: ", indent, key);
	while (np--)
		buf_put_str(b, parts[np]);
	buf_put_byte(b, '\n');
}

/* The limits global and scrape_configs share (omitempty), then the name schemes. */
static void ylimits(buf *b, int64_t body, int64_t sample, int64_t target, int64_t label, int64_t name_len,
		    int64_t value_len, int64_t keep_dropped)
{
	static const char *const names[] = {"sample_limit", "target_limit", "label_limit", "label_name_length_limit",
					    "label_value_length_limit", "keep_dropped_targets"};
	int64_t vals[] = {sample, target, label, name_len, value_len, keep_dropped};
	if (body)
		ybytes(b, "  ", "body_size_limit", body);
	for (size_t i = 0; i < FL_ARRAY_LEN(names); i++)
		if (vals[i])
			buf_printf(b, "  %s: %lld\n", names[i], (long long)vals[i]);
	buf_put_str(b, "  metric_name_validation_scheme: utf8\n  metric_name_escaping_scheme: allow-utf-8\n");
}

/* tls_config of a client block (never omitted, as Prometheus prints it). */
static void ytls(buf *b, const char *in, const scrape_http_client *h)
{
	buf_printf(b, "%stls_config:\n", in);
	char sub[32];
	snprintf(sub, sizeof sub, "%s  ", in);
	if (h->tls_ca_file)
		ykv(b, sub, "ca_file", h->tls_ca_file);
	if (h->tls_cert_file)
		ykv(b, sub, "cert_file", h->tls_cert_file);
	if (h->tls_key_file)
		ykv(b, sub, "key_file", h->tls_key_file);
	if (h->tls_server_name)
		ykv(b, sub, "server_name", h->tls_server_name);
	buf_printf(b, "%sinsecure_skip_verify: %s\n", sub, h->tls_insecure_skip_verify ? "true" : "false");
	if (h->tls_min_version)
		ykv(b, sub, "min_version", h->tls_min_version);
	if (h->tls_max_version)
		ykv(b, sub, "max_version", h->tls_max_version);
}

/* proxy_url, no_proxy, proxy_from_environment, proxy_connect_header. */
static void yproxy(buf *b, const char *in, const scrape_http_client *h)
{
	char sub[32];
	snprintf(sub, sizeof sub, "%s  ", in);
	if (h->proxy_url)
		ykv(b, in, "proxy_url", h->proxy_url);
	if (h->no_proxy)
		ykv(b, in, "no_proxy", h->no_proxy);
	if (h->proxy_from_environment)
		buf_printf(b, "%sproxy_from_environment: true\n", in);
	if (h->n_proxy_connect_headers) {
		buf_printf(b, "%sproxy_connect_header:\n", in);
		for (size_t i = 0; i < h->n_proxy_connect_headers; i++) {
			if (!i || strcmp(h->proxy_connect_headers[i - 1].key, h->proxy_connect_headers[i].key)) {
				buf_put_str(b, sub);
				yaml_out_scalar(b, h->proxy_connect_headers[i].key, 0, true);
				buf_put_str(b, ":\n");
			}
			buf_printf(b, "%s- <secret>\n", sub);
		}
	}
}

/* oauth2 (common/config.OAuth2's field order; endpoint_params sorted as a Go map). */
static void yoauth2(buf *b, const char *in, const scrape_oauth2 *o)
{
	char sub[32], sub2[40];
	snprintf(sub, sizeof sub, "%s  ", in);
	snprintf(sub2, sizeof sub2, "%s  ", sub);
	buf_printf(b, "%soauth2:\n", in);
	ykv(b, sub, "client_id", o->client_id);
	if (o->client_secret && *o->client_secret)
		buf_printf(b, "%sclient_secret: <secret>\n", sub);
	if (o->client_secret_file && *o->client_secret_file)
		ykv(b, sub, "client_secret_file", o->client_secret_file);
	if (o->n_scopes) {
		buf_printf(b, "%sscopes:\n", sub);
		for (size_t i = 0; i < o->n_scopes; i++)
			yitem(b, sub, o->scopes[i]);
	}
	ykv(b, sub, "token_url", o->token_url);
	if (o->n_endpoint_params) {
		buf_printf(b, "%sendpoint_params:\n", sub);
		bool *done = fl_calloc(o->n_endpoint_params, sizeof *done);
		for (size_t n = 0; done && n < o->n_endpoint_params; n++) { /* smallest key not yet printed */
			size_t m = SIZE_MAX;
			for (size_t i = 0; i < o->n_endpoint_params; i++)
				if (!done[i] && (m == SIZE_MAX || strcmp(o->endpoint_params[i].key, o->endpoint_params[m].key) < 0))
					m = i;
			done[m] = true;
			ykv(b, sub2, o->endpoint_params[m].key, o->endpoint_params[m].value);
		}
		fl_free(done);
	}
	const scrape_http_client *t = o->http;
	if (t->tls_ca_file || t->tls_cert_file || t->tls_key_file || t->tls_server_name || t->tls_insecure_skip_verify ||
	    t->tls_min_version || t->tls_max_version)
		ytls(b, sub, t); /* omitempty here */
	yproxy(b, sub, t);
}

static void yhttp(buf *b, const char *in, const scrape_http_client *h)
{
	if (h->basic_auth_user) {
		buf_printf(b, "%sbasic_auth:\n", in);
		char sub[32];
		snprintf(sub, sizeof sub, "%s  ", in);
		if (*h->basic_auth_user)
			ykv(b, sub, "username", h->basic_auth_user);
		if (h->basic_auth_pass)
			buf_printf(b, "%spassword: <secret>\n", sub);
		if (h->basic_auth_pass_file)
			ykv(b, sub, "password_file", h->basic_auth_pass_file);
	}
	if (h->auth_type) {
		buf_printf(b, "%sauthorization:\n", in);
		char sub[32];
		snprintf(sub, sizeof sub, "%s  ", in);
		ykv(b, sub, "type", h->auth_type);
		if (h->auth_credentials)
			buf_printf(b, "%scredentials: <secret>\n", sub);
		if (h->auth_credentials_file)
			ykv(b, sub, "credentials_file", h->auth_credentials_file);
	}
	if (h->oauth2)
		yoauth2(b, in, h->oauth2);
	ytls(b, in, h);
	char sub[32];
	snprintf(sub, sizeof sub, "%s  ", in);
	buf_printf(b, "%sfollow_redirects: %s\n", in, h->follow_redirects ? "true" : "false");
	buf_printf(b, "%senable_http2: %s\n", in, h->enable_http2 ? "true" : "false");
	yproxy(b, in, h);
	if (h->n_headers) {
		buf_printf(b, "%shttp_headers:\n", in);
		for (size_t i = 0; i < h->n_headers; i++) {
			if (!i || strcmp(h->headers[i - 1].key, h->headers[i].key)) {
				buf_put_str(b, sub);
				yaml_out_scalar(b, h->headers[i].key, 0, true);
				buf_printf(b, ":\n%s  values:\n", sub);
			}
			char sub2[40];
			snprintf(sub2, sizeof sub2, "%s  ", sub);
			yitem(b, sub2, h->headers[i].value);
		}
	}
}

/* Make the block printed from start (indented by col + 2) an item of a
 * sequence at col: its first line gets the dash. */
static void as_item(buf *b, size_t start, int col)
{
	if (b->len > start + (size_t)col)
		b->p[start + (size_t)col] = '-';
}

static void yrelabel(buf *b, const char *in, const char *key, const relabel_config *r, size_t n)
{
	if (!n)
		return;
	buf_printf(b, "%s%s:\n", in, key);
	char sub[32];
	snprintf(sub, sizeof sub, "%s  ", in);
	for (size_t i = 0; i < n; i++) {
		size_t start = b->len;
		if (r[i].n_source_labels) {
			buf_printf(b, "%ssource_labels: [", sub);
			for (size_t k = 0; k < r[i].n_source_labels; k++) {
				buf_put_str(b, k ? ", " : "");
				yaml_out_scalar(b, r[i].source_labels[k], 0, false);
			}
			buf_put_str(b, "]\n");
		}
		ykv(b, sub, "separator", r[i].separator);
		if (r[i].regex)
			ykv(b, sub, "regex", r[i].regex);
		if (r[i].modulus)
			buf_printf(b, "%smodulus: %llu\n", sub, (unsigned long long)r[i].modulus);
		if (r[i].target_label && *r[i].target_label)
			ykv(b, sub, "target_label", r[i].target_label);
		ykv(b, sub, "replacement", r[i].replacement);
		ykv(b, sub, "action", relabel_action_name(r[i].action));
		as_item(b, start, (int)strlen(in));
	}
}

static void ysd(buf *b, const scrape_job_config *j)
{
	if (j->sd.n_dns_sd) {
		buf_put_str(b, "  dns_sd_configs:\n");
		for (size_t i = 0; i < j->sd.n_dns_sd; i++) {
			buf_put_str(b, "  - names:\n");
			for (size_t k = 0; k < j->sd.dns_sd[i].n_names; k++)
				yitem(b, "    ", j->sd.dns_sd[i].names[k]);
			ydur(b, "    ", "refresh_interval", j->sd.dns_sd[i].refresh_ms);
			ykv(b, "    ", "type", j->sd.dns_sd[i].type);
			buf_printf(b, "    port: %d\n", j->sd.dns_sd[i].port);
		}
	}
	for (size_t f = 0; f < j->sd.n_file_sd; f++) {
		buf_put_str(b, f ? "  - files:\n" : "  file_sd_configs:\n  - files:\n");
		for (size_t i = 0; i < j->sd.file_sd[f].n_files; i++)
			yitem(b, "    ", j->sd.file_sd[f].files[i]);
		ydur(b, "    ", "refresh_interval", j->sd.file_sd[f].refresh_ms);
	}
	if (j->sd.n_http_sd) {
		buf_put_str(b, "  http_sd_configs:\n");
		for (size_t i = 0; i < j->sd.n_http_sd; i++) {
			size_t start = b->len;
			yhttp(b, "    ", &j->sd.http_sd[i].http);
			as_item(b, start, 2);
			ydur(b, "    ", "refresh_interval", j->sd.http_sd[i].refresh_ms);
			ykv(b, "    ", "url", j->sd.http_sd[i].url);
		}
	}
	if (j->sd.n_static_configs) {
		buf_put_str(b, "  static_configs:\n");
		for (size_t s = 0; s < j->sd.n_static_configs; s++) {
			const scrape_static_config *sc = &j->sd.static_configs[s];
			buf_put_str(b, "  - targets:\n");
			for (size_t t = 0; t < sc->n_targets; t++)
				yitem(b, "    ", sc->targets[t]);
			ylabels(b, "    ", "labels", sc->labels_as_written);
		}
	}
}

static void yjob(buf *b, const scrape_job_config *j)
{
	ykv(b, "- ", "job_name", j->job_name);
	if (j->honor_labels) /* `yaml:"honor_labels,omitempty"` */
		buf_put_str(b, "  honor_labels: true\n");
	buf_printf(b, "  honor_timestamps: %s\n", j->honor_timestamps ? "true" : "false");
	buf_printf(b, "  track_timestamps_staleness: %s\n", j->track_timestamps_staleness ? "true" : "false");
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
	ylist(b, "  ", "scrape_protocols", j->scrape_protocols, j->n_scrape_protocols);
	if (j->fallback_scrape_protocol)
		ykv(b, "  ", "fallback_scrape_protocol", j->fallback_scrape_protocol);
	buf_put_str(b, "  scrape_native_histograms: false\n  always_scrape_classic_histograms: false\n"
		       "  convert_classic_histograms_to_nhcb: false\n");
	ykv(b, "  ", "metrics_path", j->metrics_path);
	buf_printf(b, "  scheme: %s\n", j->scheme);
	buf_printf(b, "  enable_compression: %s\n", j->enable_compression ? "true" : "false");
	ylimits(b, j->body_size_limit, j->sample_limit, j->target_limit, j->label_limit,
		j->label_name_length_limit, j->label_value_length_limit, j->keep_dropped_targets);
	buf_printf(b, "  extra_scrape_metrics: %s\n", j->extra_scrape_metrics ? "true" : "false");
	yhttp(b, "  ", &j->http);
	yrelabel(b, "  ", "relabel_configs", j->relabel_configs, j->n_relabel_configs);
	yrelabel(b, "  ", "metric_relabel_configs", j->metric_relabel_configs, j->n_metric_relabel_configs);
	ysd(b, j);
}

/* remote_write / remote_read entries in RemoteWriteConfig's field order
 * (omitempty as tagged; the sigv4 secret as <secret>). */
static void yremote(buf *b, const scrape_config *c, bool rw)
{
	size_t n = rw ? c->n_remote_write : c->n_remote_read;
	const scrape_remote_config *rs = rw ? c->remote_write : c->remote_read;
	if (n)
		buf_printf(b, "%s:\n", rw ? "remote_write" : "remote_read");
	for (size_t i = 0; i < n; i++) {
		const scrape_remote_config *r = &rs[i];
		ykv(b, "- ", "url", r->url);
		ydur(b, "  ", "remote_timeout", r->remote_timeout_ms);
		if (r->n_headers) { /* a Go map: keys sorted */
			buf_put_str(b, "  headers:\n");
			for (size_t done = 0, last = SIZE_MAX; done < r->n_headers; done++) {
				size_t min = SIZE_MAX;
				for (size_t k = 0; k < r->n_headers; k++)
					if ((last == SIZE_MAX || strcmp(r->headers[k].key, r->headers[last].key) > 0) &&
					    (min == SIZE_MAX || strcmp(r->headers[k].key, r->headers[min].key) < 0))
						min = k;
				ykv(b, "    ", r->headers[min].key, r->headers[min].value);
				last = min;
			}
		}
		if (!rw) {
			if (r->name && *r->name)
				ykv(b, "  ", "name", r->name);
			buf_printf(b, "  read_recent: %s\n", r->read_recent ? "true" : "false");
			yhttp(b, "  ", &r->http);
			continue;
		}
		yrelabel(b, "  ", "write_relabel_configs", r->write_relabel_configs, r->n_write_relabel_configs);
		if (r->name && *r->name)
			ykv(b, "  ", "name", r->name);
		if (r->send_exemplars)
			buf_put_str(b, "  send_exemplars: true\n");
		if (r->send_native_histograms)
			buf_put_str(b, "  send_native_histograms: true\n");
		if (r->round_robin_dns)
			buf_put_str(b, "  round_robin_dns: true\n");
		ykv(b, "  ", "protobuf_message", r->protobuf_message);
		yhttp(b, "  ", &r->http);
		const scrape_queue_config *q = &r->queue;
		buf_printf(b, "  queue_config:\n    capacity: %lld\n    max_shards: %lld\n    min_shards: %lld\n"
			      "    max_samples_per_send: %lld\n", (long long)q->capacity, (long long)q->max_shards,
			   (long long)q->min_shards, (long long)q->max_samples_per_send);
		ydur(b, "    ", "batch_send_deadline", q->batch_send_deadline_ms);
		ydur(b, "    ", "min_backoff", q->min_backoff_ms);
		ydur(b, "    ", "max_backoff", q->max_backoff_ms);
		if (q->retry_on_http_429)
			buf_put_str(b, "    retry_on_http_429: true\n");
		if (q->sample_age_limit_ms)
			ydur(b, "    ", "sample_age_limit", q->sample_age_limit_ms);
		buf_printf(b, "  metadata_config:\n    send: %s\n", r->metadata.send ? "true" : "false");
		ydur(b, "    ", "send_interval", r->metadata.send_interval_ms);
		if (r->metadata.max_samples_per_send)
			buf_printf(b, "    max_samples_per_send: %lld\n", (long long)r->metadata.max_samples_per_send);
		if (r->sigv4) {
			const scrape_sigv4 *v = r->sigv4;
			buf_put_str(b, "  sigv4:\n");
			const char *k[] = {"region", "access_key", "secret_key", "profile", "role_arn", "external_id"};
			const char *x[] = {v->region, v->access_key, v->secret_key && *v->secret_key ? "<secret>" : NULL,
					   v->profile, v->role_arn, v->external_id};
			for (size_t f = 0; f < FL_ARRAY_LEN(k); f++)
				if (x[f] && *x[f])
					ykv(b, "    ", k[f], x[f]);
		}
	}
}

void scrape_config_yaml(const scrape_config *c, buf *b)
{
	buf_put_str(b, "global:\n");
	ydur(b, "  ", "scrape_interval", c->scrape_interval_ms);
	ydur(b, "  ", "scrape_timeout", c->scrape_timeout_ms);
	ylist(b, "  ", "scrape_protocols", c->scrape_protocols, c->n_scrape_protocols);
	ydur(b, "  ", "evaluation_interval", c->evaluation_interval_ms);
	if (c->rule_query_offset_ms)
		ydur(b, "  ", "rule_query_offset", c->rule_query_offset_ms);
	ylabels(b, "  ", "external_labels", c->external_labels_as_written);
	ylimits(b, c->body_size_limit, c->sample_limit, c->target_limit, c->label_limit,
		c->label_name_length_limit, c->label_value_length_limit, c->keep_dropped_targets);
	buf_printf(b, "  scrape_native_histograms: false\n  extra_scrape_metrics: %s\n",
		   c->extra_scrape_metrics ? "true" : "false");
	if (c->alerting.n_alertmanagers || c->alerting.n_alert_relabel_configs) {
		buf_put_str(b, "alerting:\n");
		yrelabel(b, "  ", "alert_relabel_configs", c->alerting.alert_relabel_configs,
			 c->alerting.n_alert_relabel_configs);
		if (c->alerting.n_alertmanagers)
			buf_put_str(b, "  alertmanagers:\n");
		for (size_t i = 0; i < c->alerting.n_alertmanagers; i++) {
			const scrape_alertmanager_config *am = &c->alerting.alertmanagers[i];
			size_t start = b->len;
			yhttp(b, "    ", &am->http);
			as_item(b, start, 2);
			buf_printf(b, "    scheme: %s\n", am->scheme);
			if (am->path_prefix && *am->path_prefix)
				ykv(b, "    ", "path_prefix", am->path_prefix);
			ydur(b, "    ", "timeout", am->timeout_ms);
			ykv(b, "    ", "api_version", am->api_version);
			for (size_t s = 0; s < am->sd.n_static_configs; s++) {
				buf_put_str(b, s ? "    - targets:\n" : "    static_configs:\n    - targets:\n");
				for (size_t t = 0; t < am->sd.static_configs[s].n_targets; t++)
					yitem(b, "      ", am->sd.static_configs[s].targets[t]);
			}
		}
	}
	ylist(b, "", "rule_files", c->rule_files, c->n_rule_files);
	ylist(b, "", "scrape_config_files", c->scrape_config_files, c->n_scrape_config_files);
	if (c->n_jobs) {
		buf_put_str(b, "scrape_configs:\n");
		for (size_t i = 0; i < c->n_jobs; i++)
			yjob(b, &c->jobs[i]);
	}
	yremote(b, c, true);
	yremote(b, c, false);
}
