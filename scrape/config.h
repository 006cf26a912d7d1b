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

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/labels.h"

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
	const char *basic_auth_user; /* or NULL */
	const char *basic_auth_pass; /* or NULL (password_file is read at load) */
	const char *bearer_token;    /* or NULL */
	scrape_static_config *static_configs;
	size_t n_static_configs;
	const char **file_sd_files;  /* file_sd_configs[].files, flattened */
	size_t n_file_sd_files;
	int64_t file_sd_refresh_ms;  /* default 5m */
	void *relabel_configs;       /* reserved for scrape/relabel.c (later) */
	size_t n_relabel_configs;
	int line;                    /* line of the job in the file */
} scrape_job_config;

typedef struct scrape_remote_config {
	const char *url;          /* required */
	const char *name;         /* or NULL */
	int64_t remote_timeout_ms; /* default 30s */
	scrape_kv *headers;       /* extra HTTP headers */
	size_t n_headers;
	bool send_exemplars;      /* remote_write */
	bool send_native_histograms;
	bool read_recent;         /* remote_read */
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
	arena arena;                    /* owns everything above */
} scrape_config;

/* Parse and validate YAML text; filename is used in messages. NULL on error. */
scrape_config *scrape_config_parse(const char *text, size_t len, const char *filename, err *e);
/* Read and parse a file. */
scrape_config *scrape_config_load(const char *path, err *e);
/* The default config (no file given). */
scrape_config *scrape_config_default(err *e);
void scrape_config_free(scrape_config *c);
/* The loaded config as YAML with defaults filled in (/api/v1/status/config). */
void scrape_config_yaml(const scrape_config *c, buf *b);

#endif
