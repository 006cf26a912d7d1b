/*
 * web.h - the running HTTP side of flint: the environment every handler
 * reaches (web_env), the server lifecycle, the route table's handlers, and
 * the shared helpers of the API (envelope, errors, parameters).
 *
 * One web_env per process, owned by cmd/flint.c and passed explicitly.
 * Handlers follow web/http.h: they get a fully read request and fill a
 * response; libmicrohttpd stays inside web/server.c.
 *
 * Lock order: cfg_mu, then slot_mu. Counters are C11 atomics (relaxed: they
 * are statistics, read without ordering needs).
 */
#ifndef FL_WEB_H
#define FL_WEB_H

#include <pthread.h>
#include <stdatomic.h>

#include "lib/json.h"
#include "promql/engine.h"
#include "scrape/config.h"
#include "tsdb/agent.h"
#include "tsdb/db.h"
#include "web/http.h"
#include "web/query_durations.h"
#include "web/remote_state.h"

typedef struct web_opts {
	const char *listen_address;   /* "host:port" (--web.listen-address, default 0.0.0.0:9090) */
	const char *web_config_file;  /* --web.config.file or NULL */
	const char *data_dir;         /* --storage.tsdb.path (snapshots) */
	bool enable_admin_api;        /* --web.enable-admin-api */
	bool enable_remote_write_receiver; /* --web.enable-remote-write-receiver */
	bool enable_lifecycle;        /* --web.enable-lifecycle */
	int threads;                  /* libmicrohttpd pool size (default 8) */
	int max_connections;          /* --web.max-connections (default 512) */
	size_t max_body_bytes;        /* request body limit (default 32 MiB, as remote write) */
	int max_concurrency;          /* --query.max-concurrency (default 20) */
	const char *cors_origin;      /* --web.cors.origin regex (default ".*") */
	int64_t read_timeout_ms;      /* --web.read-timeout (default 5m) */
	int64_t remote_read_sample_limit;   /* --storage.remote.read-sample-limit (5e7) */
	int64_t remote_read_concurrent_limit; /* --storage.remote.read-concurrent-limit (10) */
	int64_t remote_read_max_bytes_in_frame; /* --storage.remote.read-max-bytes-in-frame (1048576) */
	int64_t lookback_ms;          /* --query.lookback-delta (5m): /federate */
	int64_t retention_ms;         /* for runtimeinfo's storageRetention */
	int64_t retention_bytes;      /* 0 = none */
	bool agent;                   /* --agent: the query, rules and TSDB routes answer Prometheus's agent error */
} web_opts;

void web_opts_default(web_opts *o);

/* Request statistics of one route (prometheus_http_requests_total,
 * prometheus_http_request_duration_seconds). */
#define WEB_N_CODES 16
#define WEB_N_BUCKETS 9 /* Prometheus's: .1 .2 .4 1 3 8 20 60 120 */
extern const double web_duration_buckets[WEB_N_BUCKETS];
typedef struct web_route_stats {
	const char *handler;                  /* route name, e.g. "/api/v1/query" */
	_Atomic int codes[WEB_N_CODES];       /* HTTP codes seen (0 = free slot) */
	_Atomic uint64_t count[WEB_N_CODES];  /* requests per code slot */
	_Atomic uint64_t bucket[WEB_N_BUCKETS]; /* non-cumulative: duration <= bound[i] */
	_Atomic uint64_t n;                   /* all requests */
	_Atomic uint64_t sum_ns;              /* total duration */
} web_route_stats;

struct web_server;
struct webconfig;

struct web_env {
	web_opts opts;              /* flags, copied at init (strings borrowed for the process) */
	db *db;                     /* NULL until ready (and in agent mode) */
	agent_db *agent;            /* agent mode's storage (its /metrics), NULL otherwise */
	queryable *queryable;       /* what queries read: db_queryable(db), or a test's */
	promql_engine *engine;      /* owned by cmd/flint.c */
	promql_engine_opts engine_opts; /* as the engine was built */
	_Atomic int ready;          /* 1 once storage is open (API answers 503 before) */
	_Atomic int stopping;       /* 1 during shutdown (/-/ready says so) */
	_Atomic int cancel_queries; /* 1 once the shutdown grace is over: watchdogs cancel in-flight queries */
	int64_t start_ms;           /* process start, Unix ms */
	/* /status/flags: every flag with its value (borrowed, live for the process) */
	const char *const *flag_names;
	const char *const *flag_values;
	size_t n_flags;

	pthread_mutex_t cfg_mu;     /* guards the group below */
	scrape_config *config;      /* current config (owned; replaced on reload) */
	char *config_yaml;          /* its YAML for /status/config (fl_malloc) */
	bool reload_success;        /* last reload worked */
	int64_t last_config_ms;     /* time of the last successful load */
	/* Reload the config file (cmd/flint.c sets it; called by /-/reload and SIGHUP). */
	int (*reload)(web_env *env, err *e);
	void *reload_ctx;           /* for reload */
	void (*quit)(web_env *env); /* /-/quit: ask the process to stop (or NULL) */

	pthread_mutex_t slot_mu;    /* query concurrency: guards slots_used */
	pthread_cond_t slot_cv;
	int slots_used;

	web_route_stats *route_stats; /* one per route (same order as web_routes) */
	size_t n_route_stats;
	_Atomic uint64_t config_reloads_failed; /* counters for self metrics */
	_Atomic uint64_t http_inflight;       /* requests being served */

	struct metadata_store *metadata; /* metric metadata for /api/v1/metadata (web/metadata.h), owned */
	struct scrape_manager *scrape; /* targets, scrape pools, target metadata; NULL until scraping starts (cmd/flint.c) */
	struct rules_manager *rules; /* rule groups (rules/manager.h); NULL until rules start (cmd/flint.c) */
	struct notifier *notifier;   /* Alertmanager notifier (rules/notifier.h); NULL until rules start (cmd/flint.c) */
	struct remote_sender *sender; /* remote-write sender (remote/write.h): its metrics; NULL when none (cmd/flint.c) */
	struct webconfig *webcfg;   /* --web.config.file (auth, TLS) or NULL */
	matcher *cors;              /* compiled --web.cors.origin, NULL for ".*" (any origin: "*") */
	struct web_server *server;  /* running daemon or NULL */
	void *remote;               /* private state of web/remote_*.c (NULL until it sets it) */
	remote_state remote_st;     /* remote write/read counters and read gate (web/remote.h); zero = initial */
	query_durations qdur;       /* prometheus_engine_query_duration_seconds (web/query_durations.h); zero = initial */
};

/* Initialise (no server yet). o may be NULL for defaults. */
int web_env_init(web_env *env, const web_opts *o, err *e);
void web_env_destroy(web_env *env);
/* Install a new config (takes ownership), refresh its YAML. */
void web_env_set_config(web_env *env, scrape_config *c);

/* Start listening on opts.listen_address (libmicrohttpd thread pool). */
int web_server_start(web_env *env, err *e);
/* Stop accepting, wait (bounded) for in-flight requests, stop. No-op if not started. */
void web_server_stop(web_env *env);
/* The bound port of the running server (useful with port 0), or -1. */
int web_server_port(web_env *env);
/* Route a fully read request (the server and tests use it). */
void web_dispatch(web_env *env, const http_req *r, http_resp *w);

/* The route table (server.c). */
extern const http_route web_routes[];
extern const size_t web_n_routes;
/* Write prometheus_http_requests_total / prometheus_http_request_duration_seconds
 * in the text exposition format (for /metrics). */
void web_write_http_metrics(web_env *env, buf *b);

/* Query concurrency slots (--query.max-concurrency): blocks until one is
 * free, or until *cancel (if not NULL) becomes non-zero: then false, no slot
 * taken (the query's deadline passed while it queued). */
bool web_query_slot_acquire(web_env *env, const volatile int *cancel);
void web_query_slot_release(web_env *env);

/* ---- response helpers (api.c) ---- */
typedef enum api_errtype {
	API_BAD_DATA, API_EXECUTION, API_TIMEOUT, API_CANCELED, API_INTERNAL,
	API_UNAVAILABLE, API_NOT_FOUND, API_NOT_ACCEPTABLE,
} api_errtype;
const char *api_errtype_name(api_errtype t); /* "bad_data", ... */
int api_errtype_status(api_errtype t);       /* 400, 422, 503, 499, 500, 500, 404, 406 */

/* Begin a success answer: writes {"status":"success","data": and leaves j
 * ready for the data value. */
void api_begin(http_resp *w, json_w *j);
/* Close it, adding "warnings"/"infos" when non-empty. */
void api_end(json_w *j, const char *const *warnings, size_t n_warnings, const char *const *infos, size_t n_infos);
/* An error answer (replaces any body). */
void api_error(http_resp *w, api_errtype t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Plain-text answer. */
void web_text(http_resp *w, int status, const char *text);

/* Parameters: all values of a repeated parameter (match[]), in order. */
size_t api_param_all(const http_req *r, const char *name, const char **out, size_t cap);
/* Time parameter with default; on error writes the bad_data answer
 * `invalid parameter "name": ...` and returns non-zero. */
int api_param_time(const http_req *r, http_resp *w, const char *name, int64_t dflt, int64_t *ms);
/* Parse the match[] selectors into matcher sets (arena-owned arrays; the
 * matchers' regexes are released by api_matchers_free). On error writes
 * bad_data and returns non-zero. */
typedef struct api_matchers {
	matcher **sets; /* one array per match[] */
	size_t *lens;   /* matchers per set */
	size_t n;       /* number of sets */
} api_matchers;
int api_parse_matchers(const http_req *r, http_resp *w, api_matchers *m);
/* The same; nonempty_only false accepts a set whose matchers all match ""
 * (Prometheus's delete_series takes ParseMetricSelector's answer as is). */
int api_parse_selectors(const http_req *r, http_resp *w, api_matchers *m, bool nonempty_only);
void api_matchers_free(api_matchers *m);

/* The client's socket (server.c), or -1 outside the server (unit tests):
 * watched for a hang-up while a query runs. */
int http_req_client_fd(const http_req *r);

/* Parse the `query` parameter; on failure answers bad_data `invalid parameter
 * "query": <parse error>` and returns -1 (x already freed). */
int api_parse_query_param(const http_req *r, http_resp *w, promql_expr *x);

/* ---- result encoding (json_result.c) ---- */
/* [t,"v"]: t seconds as a JSON number, v a string (lib/fmtfloat.h). */
void json_result_point(json_w *j, int64_t t_ms, double v);
/* A label set as a JSON object, in label order. */
void json_result_labels(json_w *j, labels ls);
/* One step of stats=all's samples.totalQueryableSamplesPerStep: [t_s, n]. */
typedef struct api_step_stat {
	int64_t t_ms; /* the step's evaluation time */
	int64_t n;    /* samples loaded for it */
} api_step_stat;
/* The data object of query/query_range: {"resultType":...,"result":...}
 * plus "stats" when asked (eval_s: evaluation wall time; steps, when not
 * NULL, the per-step figures of stats=all). */
void json_result_write(json_w *j, const promql_result *res, bool with_stats, double eval_s,
		       const api_step_stat *steps, size_t n_steps);

/* ---- handlers ---- */
#define WEB_HANDLER(name) void name(web_env *env, const http_req *r, http_resp *w)
WEB_HANDLER(api_query_handler);
WEB_HANDLER(api_query_range_handler);
WEB_HANDLER(api_query_exemplars_handler);
WEB_HANDLER(api_format_query_handler);
WEB_HANDLER(api_parse_query_handler);
WEB_HANDLER(api_series_handler);
WEB_HANDLER(api_labels_handler);
WEB_HANDLER(api_label_values_handler);
WEB_HANDLER(api_metadata_handler);
WEB_HANDLER(api_targets_handler);
WEB_HANDLER(api_targets_metadata_handler);
WEB_HANDLER(api_scrape_pools_handler);
WEB_HANDLER(api_rules_handler);
WEB_HANDLER(api_alerts_handler);
WEB_HANDLER(api_alertmanagers_handler);
WEB_HANDLER(api_buildinfo_handler);
WEB_HANDLER(api_config_handler);
WEB_HANDLER(api_flags_handler);
WEB_HANDLER(api_runtimeinfo_handler);
WEB_HANDLER(api_tsdb_handler);
WEB_HANDLER(api_walreplay_handler);
WEB_HANDLER(api_admin_snapshot_handler);
WEB_HANDLER(api_admin_delete_series_handler);
WEB_HANDLER(api_admin_clean_tombstones_handler);
WEB_HANDLER(web_healthy_handler);
WEB_HANDLER(web_ready_handler);
WEB_HANDLER(web_reload_handler);
WEB_HANDLER(web_quit_handler);
/* Provided by web/remote_*.c, web/federate.c, web/self_metrics.c; weak
 * stubs in server.c answer 503 until those land. */
WEB_HANDLER(remote_write_handler);
WEB_HANDLER(remote_read_handler);
WEB_HANDLER(federate_handler);
WEB_HANDLER(self_metrics_handler);

#endif
