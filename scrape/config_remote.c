/*
 * config_remote.c - the remote_write and remote_read entries of
 * prometheus.yml (Prometheus's config.RemoteWriteConfig and
 * RemoteReadConfig with their defaults and UnmarshalYAML validation):
 * queue_config, metadata_config, sigv4, protobuf_message, headers and the
 * HTTP client block (config_http.c). The sender (remote/write.h) acts on
 * remote_write; remote_read is validated only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scrape/config_int.h"

/* ---- remote_write / remote_read (validated; the sender does not exist yet) ---- */
static const char *const rw_own[] = {
	"url", "name", "remote_timeout", "headers", "write_relabel_configs", "send_exemplars",
	"send_native_histograms", "round_robin_dns", "protobuf_message", "queue_config", "metadata_config",
	"sigv4", "azuread", "google_iam", "failed_request_logging", NULL,
};
static const char *const rr_own[] = {
	"url", "name", "remote_timeout", "headers", "read_recent", "required_matchers", "filter_external_labels",
	"chunked_read_limit", NULL,
};

static void sint(cfgp *p, yaml_node_t *v, const char *path, int64_t *out)
{
	const char *s = config__scalar(p, v, path);
	char *end;
	long long x = s ? strtoll(s, &end, 10) : 0;
	if (s && (end == s || *end))
		config__fail(p, v, path, "cannot unmarshal %s into an integer", s);
	else
		*out = x;
}

static void queue_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_queue_config *q = ctx;
	(void)k;
	if (!strcmp(key, "capacity"))
		sint(p, v, path, &q->capacity);
	else if (!strcmp(key, "max_shards"))
		sint(p, v, path, &q->max_shards);
	else if (!strcmp(key, "min_shards"))
		sint(p, v, path, &q->min_shards);
	else if (!strcmp(key, "max_samples_per_send"))
		sint(p, v, path, &q->max_samples_per_send);
	else if (!strcmp(key, "batch_send_deadline"))
		config__duration(p, v, path, &q->batch_send_deadline_ms);
	else if (!strcmp(key, "min_backoff"))
		config__duration(p, v, path, &q->min_backoff_ms);
	else if (!strcmp(key, "max_backoff"))
		config__duration(p, v, path, &q->max_backoff_ms);
	else if (!strcmp(key, "retry_on_http_429"))
		config__boolean(p, v, path, &q->retry_on_http_429);
	else
		config__duration(p, v, path, &q->sample_age_limit_ms);
}

/* Prometheus's QueueConfig.Validate. */
static void queue_validate(cfgp *p, const scrape_queue_config *q, yaml_node_t *v, const char *path)
{
	if (q->max_shards <= 0)
		config__fail(p, v, path, "remote write queue max_shards must be positive");
	else if (q->min_shards <= 0)
		config__fail(p, v, path, "remote write queue min_shards must be positive");
	else if (q->min_shards > q->max_shards)
		config__fail(p, v, path, "remote write queue min_shards must not be greater than max_shards");
	else if (q->max_samples_per_send <= 0)
		config__fail(p, v, path, "remote write queue max_samples_per_send must be positive");
	else if (q->capacity <= 0)
		config__fail(p, v, path, "remote write queue capacity must be positive");
	else if (q->max_backoff_ms < q->min_backoff_ms)
		config__fail(p, v, path, "remote write queue max_backoff must not be less than min_backoff");
}

static void metadata_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_metadata_config *m = ctx;
	(void)k;
	if (!strcmp(key, "send"))
		config__boolean(p, v, path, &m->send);
	else if (!strcmp(key, "send_interval"))
		config__duration(p, v, path, &m->send_interval_ms);
	else
		sint(p, v, path, &m->max_samples_per_send);
}

static void sigv4_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	scrape_sigv4 *s = ctx;
	const char *x = config__scalar(p, v, path);
	(void)k;
	if (!strcmp(key, "region"))
		s->region = x;
	else if (!strcmp(key, "access_key"))
		s->access_key = x;
	else if (!strcmp(key, "secret_key"))
		s->secret_key = x;
	else if (!strcmp(key, "profile"))
		s->profile = x;
	else if (!strcmp(key, "role_arn"))
		s->role_arn = x;
	else if (!strcmp(key, "external_id"))
		s->external_id = x;
	/* use_fips_sts_endpoint: accepted (flint has no FIPS endpoint table; AWS_ENDPOINT_URL_STS names one) */
}

static void string_map_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	(void)ctx, (void)k, (void)key;
	config__scalar(p, v, path);
}

static void remote_headers(cfgp *p, scrape_remote_config *r, yaml_node_t *v, const char *path)
{
	if (config__is_null(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		config__fail(p, v, path, "expected a mapping of header names to values");
		return;
	}
	size_t n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
	r->headers = arena_calloc(&p->c->arena, n + 1, sizeof *r->headers);
	for (size_t i = 0; i < n && r->headers && !p->failed; i++) {
		yaml_node_pair_t *pr = v->data.mapping.pairs.start + i;
		r->headers[i].key = config__scalar(p, config__node(p, pr->key), path);
		r->headers[i].value = config__scalar(p, config__node(p, pr->value), path);
		r->n_headers = i + 1;
		if (!r->headers[i].key)
			return;
		if (!strcasecmp(r->headers[i].key, "Authorization"))
			config__fail(p, v, path, "authorization header must be changed via the basic_auth, authorization, "
						 "oauth2, sigv4, azuread or google_iam parameter");
		else if (config__reserved_header(r->headers[i].key))
			config__fail(p, v, path, "%s is a reserved header. It must not be changed", r->headers[i].key);
	}
}

typedef struct remote_ctx {
	scrape_remote_config *r; /* being filled */
	bool rw;                 /* remote_write (else remote_read) */
	bool azuread, google_iam; /* blocks seen (flint keeps no struct for them) */
} remote_ctx;

static void remote_field(cfgp *p, void *ctx, const char *key, yaml_node_t *k, yaml_node_t *v, const char *path)
{
	remote_ctx *rc = ctx;
	scrape_remote_config *r = rc->r;
	static const char *const queue_keys[] = {"capacity", "max_shards", "min_shards", "max_samples_per_send",
						 "batch_send_deadline", "min_backoff", "max_backoff", "retry_on_http_429",
						 "sample_age_limit", NULL};
	static const char *const meta_keys[] = {"send", "send_interval", "max_samples_per_send", NULL};
	static const char *const sigv4_keys[] = {"region", "access_key", "secret_key", "profile", "role_arn",
						 "external_id", "use_fips_sts_endpoint", NULL};
	static const char *const azure_keys[] = {"cloud", "managed_identity", "oauth", "sdk", "scope",
						 "workload_identity", NULL};
	static const char *const iam_keys[] = {"credentials_file", NULL};
	(void)k;
	if (config__http_field(p, &r->http, key, v, path))
		return;
	if (!strcmp(key, "url"))
		r->url = config__scalar(p, v, path);
	else if (!strcmp(key, "name"))
		r->name = config__scalar(p, v, path);
	else if (!strcmp(key, "remote_timeout"))
		config__duration(p, v, path, &r->remote_timeout_ms);
	else if (!strcmp(key, "send_exemplars"))
		config__boolean(p, v, path, &r->send_exemplars);
	else if (!strcmp(key, "send_native_histograms"))
		config__boolean(p, v, path, &r->send_native_histograms);
	else if (!strcmp(key, "read_recent"))
		config__boolean(p, v, path, &r->read_recent);
	else if (!strcmp(key, "headers"))
		remote_headers(p, r, v, path);
	else if (!strcmp(key, "write_relabel_configs"))
		r->write_relabel_configs = config__relabel_list(p, v, path, &r->n_write_relabel_configs);
	else if (!strcmp(key, "queue_config")) {
		config__walk_map(p, v, path, "config.QueueConfig", queue_keys, queue_field, &r->queue);
		if (!p->failed)
			queue_validate(p, &r->queue, v, path);
	} else if (!strcmp(key, "metadata_config"))
		config__walk_map(p, v, path, "config.MetadataConfig", meta_keys, metadata_field, &r->metadata);
	else if (!strcmp(key, "sigv4")) {
		if (config__is_null(v))
			return;
		r->sigv4 = arena_calloc(&p->c->arena, 1, sizeof *r->sigv4);
		if (!r->sigv4)
			return;
		config__walk_map(p, v, path, "sigv4.SigV4Config", sigv4_keys, sigv4_field, r->sigv4);
		bool ak = r->sigv4->access_key && *r->sigv4->access_key, sk = r->sigv4->secret_key && *r->sigv4->secret_key;
		if (!p->failed && ak != sk)
			config__fail(p, v, path, "must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config");
	} else if (!strcmp(key, "azuread") || !strcmp(key, "google_iam")) {
		if (config__is_null(v))
			return;
		*(key[0] == 'a' ? &rc->azuread : &rc->google_iam) = true;
		config__walk_map(p, v, path, key[0] == 'a' ? "azuread.AzureADConfig" : "googleiam.Config",
				 key[0] == 'a' ? azure_keys : iam_keys, string_map_field, NULL);
	} else if (!strcmp(key, "protobuf_message")) {
		const char *s = config__scalar(p, v, path);
		if (s && strcmp(s, "prometheus.WriteRequest") && strcmp(s, "io.prometheus.write.v2.Request"))
			config__fail(p, v, path, "invalid protobuf_message value: unknown type for remote write protobuf message %s, supported: prometheus.WriteRequest, io.prometheus.write.v2.Request", s);
		else if (s)
			r->protobuf_message = s;
	} else if (!strcmp(key, "round_robin_dns"))
		config__boolean(p, v, path, &r->round_robin_dns);
	else if (!strcmp(key, "required_matchers"))
		config__walk_map(p, v, path, "model.LabelSet", NULL, string_map_field, NULL);
	else {
		bool b;
		int64_t x;
		if (!strcmp(key, "chunked_read_limit"))
			config__uint(p, v, path, &x);
		else
			config__boolean(p, v, path, &b); /* failed_request_logging, filter_external_labels */
	}
}

/* DefaultRemoteWriteConfig (with DefaultQueueConfig, DefaultMetadataConfig)
 * and DefaultRemoteReadConfig. */
static void remote_defaults(scrape_remote_config *r, bool rw)
{
	r->remote_timeout_ms = rw ? 30000 : 60000;
	config__http_defaults(&r->http);
	r->http.enable_http2 = !rw; /* DefaultRemoteWriteHTTPClientConfig */
	if (!rw)
		return;
	r->protobuf_message = "prometheus.WriteRequest";
	r->queue = (scrape_queue_config){.capacity = 10000, .max_shards = 50, .min_shards = 1, .max_samples_per_send = 2000,
					 .batch_send_deadline_ms = 5000, .min_backoff_ms = 30, .max_backoff_ms = 5000};
	r->metadata = (scrape_metadata_config){.send = true, .send_interval_ms = 60000, .max_samples_per_send = 2000};
}

/* Prometheus's validateAuthConfigs: at most one way to authenticate. */
static void auth_check(cfgp *p, const scrape_remote_config *r, const remote_ctx *rc, yaml_node_t *n, const char *path)
{
	const char *names[6];
	int k = 0;
	if (r->http.basic_auth_user || r->http.basic_auth_pass || r->http.basic_auth_pass_file)
		names[k++] = "basic_auth";
	if (r->http.auth_type)
		names[k++] = "authorization";
	if (r->http.oauth2)
		names[k++] = "oauth2";
	if (r->sigv4)
		names[k++] = "sigv4";
	if (rc->azuread)
		names[k++] = "azuread";
	if (rc->google_iam)
		names[k++] = "google_iam";
	if (k < 2)
		return;
	char list[96] = "";
	for (int i = 0; i < k; i++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "", names[i]);
	config__fail(p, n, path, "at most one of basic_auth, authorization, oauth2, sigv4, azuread or google_iam must be configured. Currently configured: [%s]", list);
}

scrape_remote_config *config__parse_remotes(cfgp *p, yaml_node_t *v, const char *what, size_t *count)
{
	bool rw = what[7] == 'w';
	static const char *rw_keys[64], *rr_keys[64];
	const char **keys = rw ? rw_keys : rr_keys;
	if (!keys[0]) {
		const char *const *own = rw ? rw_own : rr_own;
		size_t n = 0;
		for (size_t i = 0; own[i]; i++)
			keys[n++] = own[i];
		for (size_t i = 0; config__http_keys[i]; i++)
			keys[n++] = config__http_keys[i];
		keys[n] = NULL;
	}
	size_t n = config__seq_len(p, v, what);
	scrape_remote_config *rs = arena_calloc(&p->c->arena, n + 1, sizeof *rs);
	*count = rs ? n : 0;
	for (size_t i = 0; i < *count && !p->failed; i++) {
		char sub[64];
		snprintf(sub, sizeof sub, "%s[%zu]", what, i);
		yaml_node_t *rn = config__seq_at(p, v, i);
		if (config__is_null(rn)) {
			config__fail(p, rn, sub, "empty or null remote %s config section", rw ? "write" : "read");
			break;
		}
		remote_defaults(&rs[i], rw);
		remote_ctx rc = {&rs[i], rw, false, false};
		config__walk_map(p, rn, sub, rw ? "config.RemoteWriteConfig" : "config.RemoteReadConfig", keys, remote_field, &rc);
		if (p->failed)
			break;
		if (!rs[i].url || !*rs[i].url)
			config__fail(p, rn, sub, "url for %s is empty", what);
		else if (strncmp(rs[i].url, "http://", 7) && strncmp(rs[i].url, "https://", 8))
			config__fail(p, rn, sub, "unsupported scheme in url %s", rs[i].url);
		if (!p->failed && rw)
			auth_check(p, &rs[i], &rc, rn, sub);
		config__http_validate(p, &rs[i].http, rn, sub);
		for (size_t k = 0; k < i && !p->failed; k++)
			if (rs[i].name && rs[k].name && *rs[i].name && !strcmp(rs[i].name, rs[k].name))
				config__fail(p, rn, sub, "found multiple %s configs with job name \"%s\"", what, rs[i].name);
	}
	return rs;
}
