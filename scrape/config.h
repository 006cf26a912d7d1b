/*
 * config.h - prometheus.yml: loading and validation (Prometheus config/config.go).
 *
 *   global: {scrape_interval, scrape_timeout, evaluation_interval, external_labels, ...}
 *   rule_files: [glob, ...]
 *   scrape_configs: [{job_name, scrape_interval, scrape_timeout, metrics_path,
 *                     scheme, honor_labels, honor_timestamps, params,
 *                     static_configs: [{targets, labels}], relabel_configs, ...}]
 *   remote_write: [{url, name, remote_timeout, headers, write_relabel_configs, ...}]
 *   remote_read:  [{url, name, remote_timeout, read_recent, required_matchers}]
 *
 * Defaults as Prometheus's: scrape_interval 1m, scrape_timeout 10s,
 * evaluation_interval 1m, metrics_path /metrics, scheme http; a job's
 * interval/timeout default to the global ones; a timeout above the interval
 * is an error. Unknown keys are refused like Go's strict YAML decoding.
 * Errors name the file, the line and the field:
 *   "cmd/flint.yml:7: scrape_configs[0].scrape_interval: not a valid duration string: \"15q\""
 *
 * Everything a loaded config holds lives in its arena (one free).
 */
#ifndef FL_SCRAPE_CONFIG_H
#define FL_SCRAPE_CONFIG_H

#include <pthread.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"
#include "tsdb/relabel.h"

typedef struct scrape_static_config {
	const char **targets; /* "host:port" */
	size_t n_targets;     /* number of targets */
	labels labels;        /* extra labels, sorted */
	labels labels_as_written; /* the same with empty values kept (what /api/v1/status/config prints) */
} scrape_static_config;

typedef struct scrape_kv {
	const char *key;   /* name */
	const char *value; /* value */
} scrape_kv;

/* HTTP client settings shared by scrape jobs, SD and (later) remote write and
 * alerting (Prometheus's common/config.HTTPClientConfig). Files are read at
 * load where Prometheus reads them at use: the *_file fields keep the path so
 * a scrape can re-read it. */
/* oauth2 (client credentials grant), Prometheus's common/config.OAuth2:
 * the token is fetched from token_url and cached until it expires. */
typedef struct scrape_oauth2 {
	const char *client_id;          /* required */
	const char *client_secret;      /* or NULL */
	const char *client_secret_file; /* or NULL (read at each token fetch) */
	const char **scopes;            /* or NULL */
	size_t n_scopes;
	const char *token_url;          /* required */
	scrape_kv *endpoint_params;     /* extra form parameters of the token request */
	size_t n_endpoint_params;
	/* added by the oauth2 helper (issue 18): */
	struct scrape_http_client *http; /* the token request's tls_config and proxy settings (never auth) */
	struct scrape_oauth2_token *token; /* the cached token (scrape/httpc_oauth2.c), allocated with the config */
} scrape_oauth2;

/* The token an oauth2 block holds between requests: allocated with the
 * config, so a reload fetches anew, as Prometheus's new clients do. */
typedef struct scrape_oauth2_token {
	pthread_mutex_t mu;          /* guards the fields below */
	char access_token[8192];     /* "" when none */
	char token_type[32];         /* as the server said ("" = Bearer) */
	int64_t expiry_ms;           /* 0: the server gave no expires_in */
	uint8_t secret_hash[32];     /* sha256 of the client secret it was fetched with */
	int auth_style;              /* 0 not probed yet, 1 basic auth header, 2 form parameters */
} scrape_oauth2_token;

typedef struct scrape_http_client {
	const char *basic_auth_user;   /* or NULL */
	const char *basic_auth_pass;   /* or NULL */
	const char *basic_auth_pass_file; /* or NULL */
	const char *auth_type;         /* authorization.type, default "Bearer" when credentials given; or NULL */
	const char *auth_credentials;  /* authorization.credentials / bearer_token, or NULL */
	const char *auth_credentials_file; /* authorization.credentials_file / bearer_token_file, or NULL */
	const char *tls_ca_file, *tls_cert_file, *tls_key_file; /* or NULL */
	const char *tls_server_name;   /* or NULL */
	bool tls_insecure_skip_verify;
	const char *tls_min_version;   /* "TLS12", ... or NULL */
	const char *proxy_url;         /* or NULL */
	scrape_kv *headers;            /* http_headers (values only; secrets/files read at load) */
	size_t n_headers;
	/* added by the config helper (issue 16): */
	const char *tls_max_version;   /* "TLS13", ... or NULL */
	const char *no_proxy;          /* comma-separated hosts, or NULL (needs proxy_url) */
	bool proxy_from_environment;   /* use HTTP(S)_PROXY / NO_PROXY of the environment */
	scrape_kv *proxy_connect_headers; /* proxy_connect_header (one entry per value) */
	size_t n_proxy_connect_headers;
	bool follow_redirects;         /* default true */
	bool enable_http2;             /* default true (false for remote_write, as Prometheus) */
	scrape_oauth2 *oauth2;         /* or NULL (issue 18) */
} scrape_http_client;

typedef struct scrape_file_sd {
	const char **files;          /* globs as written */
	size_t n_files;
	int64_t refresh_ms;          /* default 5m */
} scrape_file_sd;

typedef struct scrape_http_sd {
	const char *url;             /* required, http(s) */
	int64_t refresh_ms;          /* default 1m */
	scrape_http_client http;
} scrape_http_sd;

typedef struct scrape_dns_sd {
	const char **names;          /* required */
	size_t n_names;
	const char *type;            /* "SRV" (default), "A", "AAAA", "MX", "NS" */
	int port;                    /* required for A/AAAA/MX/NS */
	int64_t refresh_ms;          /* default 30s */
} scrape_dns_sd;

/* Where a job's (or an alertmanager set's) targets come from. */
typedef struct scrape_sd_configs {
	scrape_static_config *static_configs;
	size_t n_static_configs;
	scrape_file_sd *file_sd;     /* file_sd_configs */
	size_t n_file_sd;
	scrape_http_sd *http_sd;     /* http_sd_configs */
	size_t n_http_sd;
	scrape_dns_sd *dns_sd;       /* dns_sd_configs */
	size_t n_dns_sd;
} scrape_sd_configs;

typedef struct scrape_job_config {
	const char *job_name;        /* unique */
	int64_t scrape_interval_ms;  /* default: global */
	int64_t scrape_timeout_ms;   /* default: global (capped by interval) */
	const char *metrics_path;    /* default "/metrics" */
	const char *scheme;          /* "http" or "https" */
	bool honor_labels;           /* default false */
	bool honor_timestamps;       /* default true */
	int64_t sample_limit;        /* 0 = none */
	int64_t label_limit;         /* 0 = none */
	int64_t target_limit;        /* 0 = none */
	scrape_kv *params;           /* URL params: key repeated per value */
	size_t n_params;
	int64_t label_name_length_limit;  /* 0 = none */
	int64_t label_value_length_limit; /* 0 = none */
	int64_t body_size_limit;     /* bytes; 0 = flint's default cap (--scrape.body-size-limit-default) */
	bool track_timestamps_staleness; /* default false */
	bool extra_scrape_metrics;   /* job's, defaulting to global's */
	bool enable_compression;     /* default true: Accept-Encoding: gzip */
	bool follow_redirects;       /* default true */
	const char **scrape_protocols; /* "OpenMetricsText1.0.0", "PrometheusText0.0.4", ...; default 3.x's */
	size_t n_scrape_protocols;
	const char *fallback_scrape_protocol; /* or NULL */
	scrape_http_client http;     /* auth, TLS, proxy */
	scrape_sd_configs sd;        /* static_configs, file/http/dns SD */
	relabel_config *relabel_configs;        /* compiled (tsdb/relabel.h) */
	size_t n_relabel_configs;
	relabel_config *metric_relabel_configs; /* compiled */
	size_t n_metric_relabel_configs;
	int line;                    /* line of the job in the file */
	/* added by the config helper (issue 16): */
	int64_t keep_dropped_targets; /* 0 = keep all; job's, defaulting to global's */
	const char *file;            /* the file the job came from (the main file or a scrape_config_files match) */
} scrape_job_config;

/* alerting.alertmanagers[] (validated; no effect until the notifier exists). */
typedef struct scrape_alertmanager_config {
	const char *scheme;          /* default "http" */
	const char *path_prefix;     /* or NULL */
	int64_t timeout_ms;          /* default 10s */
	const char *api_version;     /* "v2" */
	scrape_http_client http;
	scrape_sd_configs sd;        /* static_configs, file/http/dns SD */
	relabel_config *relabel_configs;       /* compiled */
	size_t n_relabel_configs;
	relabel_config *alert_relabel_configs; /* compiled */
	size_t n_alert_relabel_configs;
} scrape_alertmanager_config;

typedef struct scrape_alerting_config {
	relabel_config *alert_relabel_configs; /* compiled */
	size_t n_alert_relabel_configs;
	scrape_alertmanager_config *alertmanagers;
	size_t n_alertmanagers;
} scrape_alerting_config;

/* remote_write[].sigv4 (AWS Signature Version 4, for Amazon Managed
 * Prometheus): keys from here, else the environment, else the profile. */
typedef struct scrape_sigv4 {
	const char *region;       /* or NULL: AWS_REGION / the profile's */
	const char *access_key;   /* or NULL */
	const char *secret_key;   /* or NULL (a secret: printed as <secret>) */
	const char *profile;      /* or NULL */
	const char *role_arn;     /* or NULL */
	const char *external_id;  /* or NULL: AssumeRole's ExternalId (with role_arn) */
} scrape_sigv4;

/* remote_write[].queue_config, Prometheus's DefaultQueueConfig. */
typedef struct scrape_queue_config {
	int64_t capacity;             /* samples buffered per shard, default 10000 */
	int64_t max_shards;           /* default 50 */
	int64_t min_shards;           /* default 1 */
	int64_t max_samples_per_send; /* default 2000 */
	int64_t batch_send_deadline_ms; /* default 5s */
	int64_t min_backoff_ms;       /* default 30ms */
	int64_t max_backoff_ms;       /* default 5s */
	bool retry_on_http_429;       /* retry_on_http_429 */
	int64_t sample_age_limit_ms;  /* 0: no limit */
} scrape_queue_config;

/* remote_write[].metadata_config */
typedef struct scrape_metadata_config {
	bool send;                    /* default true */
	int64_t send_interval_ms;     /* default 1m */
	int64_t max_samples_per_send; /* default 2000 */
} scrape_metadata_config;

typedef struct scrape_remote_config {
	const char *url;          /* required */
	const char *name;         /* or NULL */
	int64_t remote_timeout_ms; /* default 30s */
	scrape_kv *headers;       /* extra HTTP headers */
	size_t n_headers;
	bool send_exemplars;      /* remote_write */
	bool send_native_histograms;
	bool read_recent;         /* remote_read */
	/* added by the config helper (issue 16): */
	relabel_config *write_relabel_configs; /* remote_write, compiled */
	size_t n_write_relabel_configs;
	scrape_http_client http;  /* auth, TLS, proxy */
	/* remote_write only (issue 18): */
	scrape_queue_config queue;
	scrape_metadata_config metadata;
	scrape_sigv4 *sigv4;      /* or NULL */
	const char *protobuf_message; /* "prometheus.WriteRequest" (default) or "io.prometheus.write.v2.Request" */
	bool round_robin_dns;
} scrape_remote_config;

typedef struct scrape_config {
	int64_t scrape_interval_ms;     /* global, default 1m */
	int64_t scrape_timeout_ms;      /* global, default 10s */
	int64_t evaluation_interval_ms; /* global, default 1m */
	labels external_labels;         /* sorted */
	labels external_labels_as_written; /* the same with empty values kept (`a:` or `a: ""`), for printing */
	const char **rule_files;        /* as written (globs) */
	size_t n_rule_files;
	scrape_job_config *jobs;
	size_t n_jobs;
	scrape_remote_config *remote_write;
	size_t n_remote_write;
	scrape_remote_config *remote_read;
	size_t n_remote_read;
	const char *filename;           /* where it came from */
	/* added by the config helper (issue 16): the global limits and
	 * defaults each job inherits (already copied into the jobs) */
	int64_t body_size_limit;        /* bytes, 0 = none */
	int64_t sample_limit, label_limit, label_name_length_limit, label_value_length_limit;
	int64_t target_limit, keep_dropped_targets;
	bool extra_scrape_metrics;
	const char **scrape_protocols;  /* global scrape_protocols as written, or NULL (n 0) when unset */
	size_t n_scrape_protocols;
	int64_t rule_query_offset_ms;   /* rules (inactive) */
	const char **scrape_config_files; /* globs, joined to the file's directory */
	size_t n_scrape_config_files;
	scrape_alerting_config alerting; /* validated, inactive */
	const char *inactive;           /* "rule_files, alerting, remote_write": sections validated but not acted on, or NULL */
	arena arena;                    /* owns everything above */
	int extra_refs;                 /* scrape_config_ref's (atomic builtins): free drops one first */
} scrape_config;

/* Parse and validate YAML text; filename is used in messages. NULL on error. */
scrape_config *scrape_config_parse(const char *text, size_t len, const char *filename, err *e);
/* Read and parse a file; logs one warning naming the inactive sections
 * (c->inactive). */
scrape_config *scrape_config_load(const char *path, err *e);
/* Agent mode (Prometheus's config.LoadFile with agentMode): alerting,
 * rule_files and remote_read are refused with Prometheus's messages
 * ("field rule_files is not allowed in agent mode"). 0 or FL_EINVAL. */
int scrape_config_check_agent(const scrape_config *c, err *e);
/* The default config (no file given). */
scrape_config *scrape_config_default(err *e);
/* Drops a reference: frees when none is left (scrape_config_ref adds one,
 * for a reader that outlives the caller's copy, e.g. the remote-write
 * sender's queues). */
void scrape_config_free(scrape_config *c);
scrape_config *scrape_config_ref(const scrape_config *c);
/* Read a config-like file (prometheus.yml, scrape_config_files, file_sd,
 * rule and secret files) into b: a regular file of at most
 * SCRAPE_FILE_LIMIT bytes, so that /dev/zero or a FIFO named by a config
 * cannot hang the server. 0 or an error naming the file. */
#define SCRAPE_FILE_LIMIT (64u << 20)
int scrape_read_file(buf *b, const char *path, err *e);
/* The loaded config as YAML with defaults filled in (/api/v1/status/config). */
void scrape_config_yaml(const scrape_config *c, buf *b);
/* promtool's --http.config.file: a file holding one http_config block
 * (basic_auth, authorization, oauth2, tls_config, proxy_url, ...) at its
 * top level; path NULL gives the defaults. *out lives in the returned
 * config (free it with scrape_config_free); NULL on error. */
scrape_config *scrape_http_client_load(const char *path, const scrape_http_client **out, err *e);

#endif
