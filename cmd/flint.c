/*
 * flint.c - the server: flags (Prometheus's names and defaults, kingpin's
 * grammar), wiring, signals (Prometheus cmd/prometheus/main.go).
 *
 * Flags: --name=value or --name value; booleans as --name / --no-name
 * (kingpin refuses --name=false: "unexpected false"). Unknown flags, missing
 * values, positional arguments and bad values print
 *   Error parsing commandline arguments: <reason>
 *   flint: error: <reason>, try --help
 * and exit 1.
 *
 * Start-up order: flags, logging, config (a bad file stops the start with
 * its file:line:field message), the HTTP server (so /-/healthy answers
 * during WAL replay; the API says 503 until ready), the db, discovery and
 * the scrape manager, ready. Shutdown stops scraping first (in-flight
 * scrapes are aborted; no stale markers, as Prometheus), then the server,
 * then the db.
 * Signals are blocked in every thread and taken by sigwait in main:
 * SIGHUP reloads the config, SIGTERM/SIGINT stop accepting, finish
 * in-flight requests (bounded), close the db cleanly and exit 0.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/version.h"
#include "lib/timeparse.h"
#include "promql/engine.h"
#include "rules/manager.h"
#include "rules/notifier.h"
#include "scrape/config.h"
#include "scrape/discovery.h"
#include "scrape/manager.h"
#include "tsdb/agent.h"
#include "tsdb/db.h"
#include "tsdb/wal.h"
#include "web/metadata.h"
#include "remote/codec.h"
#include "remote/write.h"
#include "web/web.h"


enum flag_kind { F_STRING, F_BOOL, F_DURATION, F_BYTES, F_INT, F_FLOAT, F_LEVEL, F_FORMAT, F_LIST };

typedef struct flag {
	const char *name;  /* without the leading "--" */
	enum flag_kind kind;
	const char *dflt;  /* default text, as /status/flags shows it */
	const char *help;
	const char *value; /* current text */
	bool set;          /* given on the command line */
} flag;

static flag flags[] = {
	{"config.file", F_STRING, "prometheus.yml", "Prometheus configuration file path.", 0, 0},
	{"web.listen-address", F_STRING, "0.0.0.0:9090", "Address to listen on for UI, API, and telemetry.", 0, 0},
	{"web.config.file", F_STRING, "", "[EXPERIMENTAL] Path to configuration file that can enable TLS or authentication.", 0, 0},
	{"web.read-timeout", F_DURATION, "5m", "Maximum duration before timing out read of the request, and closing idle connections.", 0, 0},
	{"web.max-connections", F_INT, "512", "Maximum number of simultaneous connections.", 0, 0},
	{"web.external-url", F_STRING, "", "The URL under which Prometheus is externally reachable.", 0, 0},
	{"web.route-prefix", F_STRING, "/", "Prefix for the internal routes of web endpoints.", 0, 0},
	{"web.enable-lifecycle", F_BOOL, "false", "Enable shutdown and reload via HTTP request.", 0, 0},
	{"web.enable-admin-api", F_BOOL, "false", "Enable API endpoints for admin control actions.", 0, 0},
	{"web.enable-remote-write-receiver", F_BOOL, "false", "Enable API endpoint accepting remote write requests.", 0, 0},
	{"web.cors.origin", F_STRING, ".*", "Regex for CORS origin. It is fully anchored.", 0, 0},
	{"web.page-title", F_STRING, "Prometheus Time Series Collection and Processing Server", "Document title of Prometheus instance.", 0, 0},
	{"storage.tsdb.path", F_STRING, "data/", "Base path for metrics storage.", 0, 0},
	{"storage.tsdb.retention", F_DURATION, "0s", "[DEPRECATED] How long to retain samples in storage.", 0, 0},
	{"storage.tsdb.retention.time", F_DURATION, "0s", "How long to retain samples in storage (default 15d when no size is set).", 0, 0},
	{"storage.tsdb.retention.size", F_BYTES, "0B", "Maximum number of bytes that can be stored for blocks.", 0, 0},
	{"storage.tsdb.wal-compression", F_BOOL, "true", "Compress the tsdb WAL.", 0, 0},
	{"storage.tsdb.no-lockfile", F_BOOL, "false", "Do not create lockfile in data directory.", 0, 0},
	{"storage.tsdb.min-block-duration", F_DURATION, "2h", "Minimum duration of a data block before being persisted. For use in testing.", 0, 0},
	{"storage.tsdb.max-block-duration", F_DURATION, "0s", "Maximum duration compacted blocks may span. For use in testing. (Defaults to 10% of the retention period.)", 0, 0},
	{"storage.remote.flush-deadline", F_DURATION, "1m", "How long to wait flushing sample on shutdown or config reload.", 0, 0},
	{"storage.remote.read-sample-limit", F_INT, "50000000", "Maximum overall number of samples to return via the remote read interface.", 0, 0},
	{"storage.remote.read-concurrent-limit", F_INT, "10", "Maximum number of concurrent remote read calls.", 0, 0},
	{"storage.remote.read-max-bytes-in-frame", F_INT, "1048576", "Maximum number of bytes in a single frame for streaming remote read responses.", 0, 0},
	{"scrape.body-size-limit-default", F_BYTES, "100MB", "Cap on a scrape body for jobs that set no body_size_limit (flint extension; 0 = no cap).", 0, 0},
	{"alertmanager.notification-queue-capacity", F_INT, "10000", "The capacity of the queue for pending Alertmanager notifications.", 0, 0},
	{"rules.alert.for-outage-tolerance", F_DURATION, "1h", "Max time to tolerate prometheus outage for restoring \"for\" state of alert.", 0, 0},
	{"rules.alert.for-grace-period", F_DURATION, "10m", "Minimum duration between alert and restored \"for\" state. This is maintained only for alerts with configured \"for\" time greater than grace period.", 0, 0},
	{"rules.alert.resend-delay", F_DURATION, "1m", "Minimum amount of time to wait before resending an alert to Alertmanager.", 0, 0},
	{"query.lookback-delta", F_DURATION, "5m", "The maximum lookback duration for retrieving metrics during expression evaluations and federation.", 0, 0},
	{"query.timeout", F_DURATION, "2m", "Maximum time a query may take before being aborted.", 0, 0},
	{"query.max-concurrency", F_INT, "20", "Maximum number of queries executed concurrently.", 0, 0},
	{"query.max-samples", F_FLOAT, "50000000", "Maximum number of samples a single query can load into memory.", 0, 0},
	{"agent", F_BOOL, "false", "Run Prometheus in 'Agent mode'.", 0, 0},
	{"storage.agent.path", F_STRING, "data-agent/", "Base path for metrics storage. Use with agent mode only.", 0, 0},
	{"storage.agent.wal-compression", F_BOOL, "true", "Compress the agent WAL. Use with agent mode only.", 0, 0},
	{"storage.agent.no-lockfile", F_BOOL, "false", "Do not create lockfile in data directory. Use with agent mode only.", 0, 0},
	{"storage.agent.retention.min-time", F_DURATION, "5m", "Minimum age samples may be before being considered for deletion when the WAL is truncated Use with agent mode only.", 0, 0},
	{"storage.agent.retention.max-time", F_DURATION, "4h", "Maximum age samples may be before being forcibly deleted when the WAL is truncated Use with agent mode only.", 0, 0},
	{"storage.agent.wal-truncate-frequency", F_DURATION, "0s", "The frequency at which to truncate the WAL and remove old data. Use with agent mode only.", 0, 0},
	{"storage.agent.wal-segment-size", F_BYTES, "0B", "Size at which to split WAL segment files. Example: 100MB Use with agent mode only.", 0, 0},
	{"test.agent-wal-segment-size", F_BYTES, "0B", "Tests only (flint extension): agent WAL segment size, any multiple of 32KiB.", 0, 0},
	{"enable-feature", F_LIST, "", "Comma separated feature names to enable (accepted, ignored).", 0, 0},
	{"log.level", F_LEVEL, "info", "Only log messages with the given severity or above. One of: [debug, info, warn, error]", 0, 0},
	{"log.format", F_FORMAT, "logfmt", "Output format of log messages. One of: [logfmt, json]", 0, 0},
};
#define N_FLAGS FL_ARRAY_LEN(flags)

static flag *flag_find(const char *name, size_t n)
{
	for (size_t i = 0; i < N_FLAGS; i++)
		if (strlen(flags[i].name) == n && !strncmp(flags[i].name, name, n))
			return &flags[i];
	return NULL;
}

static const char *fv(const char *name) { return flag_find(name, strlen(name))->value; }
static bool fbool(const char *name) { return !strcmp(fv(name), "true"); }

static int64_t fdur_ms(const char *name)
{
	int64_t ms = 0;
	const char *s = fv(name);
	timeparse_model_duration(s, strlen(s), &ms, NULL);
	return ms;
}

/* units.ParseBase2Bytes: <int><unit>, units B KB MB GB TB PB EB (x1024), also KiB... */
static int parse_bytes(const char *s, int64_t *out, char *why, size_t why_len)
{
	static const char *const u[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
	static const char *const ui[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || errno || v < 0) {
		snprintf(why, why_len, "units: invalid number in %s", s);
		return -1;
	}
	for (int i = 0; i < 7; i++)
		if (!strcmp(end, u[i]) || !strcmp(end, ui[i])) {
			*out = v << (10 * i);
			return 0;
		}
	snprintf(why, why_len, "units: unknown unit %s in %s", end, s);
	return -1;
}

/* Validate a value for its kind; why gets kingpin's reason. */
static int flag_check(const flag *f, const char *v, char *why, size_t why_len)
{
	err e;
	int64_t x;
	char *end;
	switch (f->kind) {
	case F_DURATION:
		if (timeparse_model_duration(v, strlen(v), &x, &e)) {
			snprintf(why, why_len, "%s", e.msg);
			return -1;
		}
		return 0;
	case F_BYTES:
		return parse_bytes(v, &x, why, why_len);
	case F_INT:
		errno = 0;
		strtoll(v, &end, 10);
		if (!*v || *end || errno) {
			snprintf(why, why_len, "strconv.ParseInt: parsing \"%s\": invalid syntax", v);
			return -1;
		}
		return 0;
	case F_FLOAT:
		strtod(v, &end);
		if (!*v || *end) {
			snprintf(why, why_len, "strconv.ParseFloat: parsing \"%s\": invalid syntax", v);
			return -1;
		}
		return 0;
	case F_LEVEL:
		if (strcmp(v, "debug") && strcmp(v, "info") && strcmp(v, "warn") && strcmp(v, "error")) {
			snprintf(why, why_len, "unrecognized log level \"%s\"", v);
			return -1;
		}
		return 0;
	case F_FORMAT:
		if (strcmp(v, "logfmt") && strcmp(v, "json")) {
			snprintf(why, why_len, "unrecognized log format \"%s\"", v);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* Not in --help (kingpin's Hidden): the agent's tuning and test flags. */
static bool flag_hidden(const char *name)
{
	return !strcmp(name, "storage.agent.wal-truncate-frequency") || !strcmp(name, "storage.agent.wal-segment-size") ||
	       !strcmp(name, "test.agent-wal-segment-size");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: flint [<flags>]\n\nThe flint monitoring server (Prometheus-compatible)\n\nFlags:\n"
		   "  -h, --help                 Show context-sensitive help.\n      --version              Show application version.\n");
	for (size_t i = 0; i < N_FLAGS; i++) {
		const flag *fl = &flags[i];
		if (flag_hidden(fl->name))
			continue;
		if (fl->kind == F_BOOL)
			fprintf(f, "      --[no-]%s\n            %s\n", fl->name, fl->help);
		else
			fprintf(f, "      --%s=<value>\n            %s (default: %s)\n", fl->name, fl->help, fl->dflt);
	}
}

static int parse_error(const char *fmt, const char *a, const char *b)
{
	char msg[512];
	snprintf(msg, sizeof msg, fmt, a, b);
	fprintf(stderr, "Error parsing commandline arguments: %s\nflint: error: %s, try --help\n", msg, msg);
	return 1;
}

/* Returns -1 to go on, or an exit status. */
static int parse_flags(int argc, char **argv)
{
	for (size_t i = 0; i < N_FLAGS; i++)
		flags[i].value = flags[i].dflt;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--version")) {
			printf("flint, version " FLINT_VERSION " (Prometheus " FLINT_PROMETHEUS_VERSION " API and semantics)\n  build date:       " __DATE__ "\n"
			       "  compiler:         " __VERSION__ "\n");
			return 0;
		}
		if (strncmp(a, "--", 2)) {
			return parse_error("unexpected %s%s", a, "");
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		bool neg = false;
		flag *f = flag_find(name, nl);
		if (!f && nl > 3 && !strncmp(name, "no-", 3)) {
			f = flag_find(name + 3, nl - 3);
			if (f && f->kind != F_BOOL)
				f = NULL;
			neg = f != NULL;
		}
		if (!f) {
			char nm[256];
			snprintf(nm, sizeof nm, "%.*s", (int)(nl < 200 ? nl : 200), name);
			return parse_error("unknown long flag '--%s'%s", nm, "");
		}
		if (f->kind == F_BOOL) {
			if (eq)
				return parse_error("unexpected %s%s", eq + 1, "");
			f->value = neg ? "false" : "true";
			f->set = true;
			continue;
		}
		const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!v)
			return parse_error("expected argument for flag '--%s'%s", f->name, "");
		char why[256];
		if (flag_check(f, v, why, sizeof why))
			return parse_error("%s%s", why, "");
		f->value = v;
		f->set = true;
	}
	return -1;
}

/* ---- wiring ---- */
typedef struct flint {
	web_env env;         /* the HTTP side */
	promql_engine *eng;  /* the query engine */
	db *db;              /* storage (server mode) */
	bool agent;          /* --agent (or 2.x's --enable-feature=agent) */
	agent_db *agent_db;  /* storage in agent mode */
	discovery *disc;     /* service discovery */
	scrape_manager *_Atomic mgr; /* the scrape manager, NULL until storage is open */
	rules_manager *rules; /* rule groups, NULL until storage is open */
	notifier *notif;      /* alerts to Alertmanager, NULL until storage is open */
	remote_sender *rw;    /* remote_write queues, NULL until storage is open */
	char external_url[512]; /* --web.external-url, or http://<host>:<port> as Prometheus computes it */
	pthread_mutex_t reload_mu; /* serialises reloads with the manager's start */
	const char *cfg_path; /* --config.file */
	const char *names[N_FLAGS]; /* /status/flags */
	const char *values[N_FLAGS];
} flint;

/* The config's rule files to the rule manager. */
static int rules_update(flint *fl, const scrape_config *c, err *e)
{
	rules_config rc = {.files = c->rule_files, .n_files = c->n_rule_files,
			   .interval_ms = c->evaluation_interval_ms, .query_offset_ms = c->rule_query_offset_ms,
			   .external_labels = c->external_labels, .external_url = fl->external_url};
	return rules_manager_update(fl->rules, &rc, e);
}

static appender *rules_appender(void *ctx) { return db_appender(ctx); }

/* Prometheus's computeExternalURL: the flag, or http://<hostname>:<port>,
 * without a trailing slash. */
static void external_url(flint *fl)
{
	const char *u = fv("web.external-url");
	if (*u) {
		snprintf(fl->external_url, sizeof fl->external_url, "%s", u);
	} else {
		char host[256] = "";
		gethostname(host, sizeof host - 1);
		const char *la = fv("web.listen-address");
		const char *colon = strrchr(la, ':');
		snprintf(fl->external_url, sizeof fl->external_url, "http://%s:%s", host, colon ? colon + 1 : "9090");
	}
	size_t n = strlen(fl->external_url);
	while (n > 0 && fl->external_url[n - 1] == '/')
		fl->external_url[--n] = 0;
}

/* The rule manager over the db, on the current config. */
static int start_rules(flint *fl, err *e)
{
	rules_opts ro;
	rules_opts_default(&ro);
	ro.engine = fl->eng;
	ro.queryable = db_queryable(fl->db);
	ro.appender = rules_appender;
	ro.appender_ctx = fl->db;
	ro.outage_tolerance_ms = fdur_ms("rules.alert.for-outage-tolerance");
	ro.for_grace_period_ms = fdur_ms("rules.alert.for-grace-period");
	ro.resend_delay_ms = fdur_ms("rules.alert.resend-delay");
	notifier *nt = notifier_new(atoll(fv("alertmanager.notification-queue-capacity")), fl->external_url, e);
	if (!nt)
		return e->code;
	ro.notify = notifier_send;
	ro.notify_ctx = nt;
	rules_manager *m = rules_manager_new(&ro, e);
	if (!m) {
		notifier_free(nt);
		return e->code;
	}
	pthread_mutex_lock(&fl->reload_mu);
	fl->rules = m;
	fl->notif = nt;
	pthread_mutex_lock(&fl->env.cfg_mu);
	int rc = notifier_apply(nt, fl->env.config, e);
	if (rc == 0)
		rc = rules_update(fl, fl->env.config, e);
	pthread_mutex_unlock(&fl->env.cfg_mu);
	fl->env.rules = m;
	fl->env.notifier = nt;
	pthread_mutex_unlock(&fl->reload_mu);
	return rc;
}

/* A reload that failed keeps the old config (and the old scrape pools). */
static int reload_failed(web_env *env, err *e)
{
	pthread_mutex_lock(&env->cfg_mu);
	env->reload_success = false;
	pthread_mutex_unlock(&env->cfg_mu);
	atomic_fetch_add(&env->config_reloads_failed, 1);
	log_error("main", "Error reloading config", "err", e->msg, NULL);
	return e->code ? e->code : FL_EINVAL;
}

/* Load the file, hand it to discovery, then to the scrape manager (which
 * returns once it no longer uses the old config), then install it. */
static int reload_config(web_env *env, err *e)
{
	flint *fl = env->reload_ctx;
	scrape_config *c = scrape_config_load(fl->cfg_path, e);
	if (c && fl->agent && scrape_config_check_agent(c, e)) {
		scrape_config_free(c);
		c = NULL;
	}
	if (!c)
		return reload_failed(env, e);
	pthread_mutex_lock(&fl->reload_mu);
	/* rules first: a bad rule file fails the reload with nothing changed */
	if ((fl->rules && rules_update(fl, c, e)) || (fl->disc && discovery_apply(fl->disc, c, e)) ||
	    (fl->notif && notifier_apply(fl->notif, c, e)) || (fl->rw && remote_sender_apply(fl->rw, c, e))) {
		pthread_mutex_unlock(&fl->reload_mu);
		scrape_config_free(c);
		return reload_failed(env, e);
	}
	if (atomic_load(&fl->mgr))
		scrape_manager_apply(atomic_load(&fl->mgr), c, e);
	web_env_set_config(env, c); /* frees the old config */
	pthread_mutex_unlock(&fl->reload_mu);
	log_info("main", "Completed loading of configuration file", "filename", fl->cfg_path, NULL);
	return 0;
}

/* metadata_config's source: the active targets' metadata (none before
 * scraping starts; remote_sender_metadata_source(NULL) before the manager
 * is freed). */
static int remote_metadata(void *ctx, arena *a, scrape_target_metadata **out, size_t *n, err *e)
{
	flint *fl = ctx;
	scrape_manager *m = atomic_load(&fl->mgr);
	*out = NULL;
	*n = 0;
	return m ? scrape_manager_metadata(m, a, out, n, e) : 0;
}

/* The remote-write sender on the current config: its queues tail the
 * WAL on disk (polling every 100 ms), so nothing else is hooked in. */
static int remote_start(flint *fl, err *e)
{
	pthread_mutex_lock(&fl->reload_mu);
	pthread_mutex_lock(&fl->env.cfg_mu);
	const scrape_config *c = fl->env.config;
	pthread_mutex_unlock(&fl->env.cfg_mu);
	remote_sender_opts ro = {.data_dir = fl->env.opts.data_dir, .external_labels = c->external_labels,
				 .flush_deadline_ms = fdur_ms("storage.remote.flush-deadline"),
				 .metadata = remote_metadata, .metadata_ctx = fl};
	int rc = 0;
	fl->rw = remote_sender_new(&ro, e);
	if (!fl->rw || remote_sender_apply(fl->rw, c, e))
		rc = e->code ? e->code : FL_ENOMEM;
	else
		fl->env.sender = fl->rw;
	pthread_mutex_unlock(&fl->reload_mu);
	return rc;
}

/* ---- scraping: db appenders, metadata into web's store, head removals ---- */

static appender *scrape_appender(void *ctx) { return db_appender(ctx); }
static appender *scrape_agent_appender(void *ctx) { return agent_appender(ctx); }

static void scrape_metadata(void *ctx, const char *metric, const char *type, const char *help, const char *unit)
{
	int t = RW_TYPE_UNKNOWN;
	for (int i = RW_TYPE_UNKNOWN; i <= RW_TYPE_STATESET; i++)
		if (!strcmp(rw_metric_type_name(i), type))
			t = i;
	metadata_store_set(ctx, metric, t, help, unit);
}

static void scrape_series_removed(void *ctx, const uint64_t *refs, size_t n)
{
	flint *fl = ctx;
	scrape_manager *m = atomic_load(&fl->mgr);
	if (m)
		scrape_manager_series_removed(m, refs, n);
}

/* Start discovery and the scrape manager on the current config. */
static int start_scraping(flint *fl, int64_t body_limit, err *e)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	pthread_mutex_lock(&fl->reload_mu);
	pthread_mutex_lock(&fl->env.cfg_mu);
	const scrape_config *c = fl->env.config;
	labels ext = c->external_labels;
	pthread_mutex_unlock(&fl->env.cfg_mu);
	int rc = FL_ENOMEM;
	if (!(fl->disc = discovery_new(e)) || (rc = discovery_apply(fl->disc, c, e)))
		goto out;
	scrape_manager_opts so = {.appender = fl->agent ? scrape_agent_appender : scrape_appender,
				  .appender_ctx = fl->agent ? (void *)fl->agent_db : (void *)fl->db, .disc = fl->disc,
				  .default_body_limit = body_limit ? body_limit : INT64_MAX,
				  .offset_seed = scrape_offset_seed(host, ext),
				  .metadata = scrape_metadata, .metadata_ctx = fl->env.metadata};
	scrape_manager *m = scrape_manager_new(&so, e);
	if (!m)
		goto out;
	rc = scrape_manager_apply(m, c, e);
	atomic_store(&fl->mgr, m);
	fl->env.scrape = m;
out:
	pthread_mutex_unlock(&fl->reload_mu);
	return rc;
}

static void request_quit(web_env *env)
{
	(void)env;
	kill(getpid(), SIGTERM);
}

static void fill_opts(web_opts *o, promql_engine_opts *eo, db_opts *dopt)
{
	web_opts_default(o);
	o->listen_address = fv("web.listen-address");
	o->web_config_file = *fv("web.config.file") ? fv("web.config.file") : NULL;
	o->data_dir = fv("storage.tsdb.path");
	o->enable_admin_api = fbool("web.enable-admin-api");
	o->enable_remote_write_receiver = fbool("web.enable-remote-write-receiver");
	o->enable_lifecycle = fbool("web.enable-lifecycle");
	o->max_connections = atoi(fv("web.max-connections"));
	o->read_timeout_ms = fdur_ms("web.read-timeout");
	o->cors_origin = fv("web.cors.origin");
	o->max_concurrency = atoi(fv("query.max-concurrency"));
	o->remote_read_sample_limit = atoll(fv("storage.remote.read-sample-limit"));
	o->remote_read_concurrent_limit = atoll(fv("storage.remote.read-concurrent-limit"));
	o->remote_read_max_bytes_in_frame = atoll(fv("storage.remote.read-max-bytes-in-frame"));
	o->lookback_ms = fdur_ms("query.lookback-delta");
	char why[64];
	parse_bytes(fv("storage.tsdb.retention.size"), &o->retention_bytes, why, sizeof why);
	o->retention_ms = fdur_ms("storage.tsdb.retention.time");
	if (!o->retention_ms)
		o->retention_ms = fdur_ms("storage.tsdb.retention");
	if (!o->retention_ms && !o->retention_bytes)
		o->retention_ms = 15LL * 86400000; /* Prometheus's default */

	promql_engine_opts_default(eo);
	eo->lookback_ms = o->lookback_ms;
	eo->timeout_ms = fdur_ms("query.timeout");
	eo->max_samples = (int64_t)strtod(fv("query.max-samples"), NULL);

	db_opts_default(dopt);
	dopt->wal_compression = fbool("storage.tsdb.wal-compression");
	dopt->retention_ms = o->retention_ms;
	dopt->retention_bytes = o->retention_bytes;
	dopt->chunk_range_ms = fdur_ms("storage.tsdb.min-block-duration");
	dopt->max_block_duration_ms = fdur_ms("storage.tsdb.max-block-duration"); /* 0: db_block_ranges derives it */
	dopt->maintenance_interval_ms = 60 * 1000; /* Prometheus's db.run: every minute */
	dopt->series_removed = scrape_series_removed;
}

/* ---- agent mode: Prometheus's --agent (2.x: --enable-feature=agent) ----
 * Scrape, WAL, remote write and nothing else: the storage is tsdb/agent.h's
 * (in --storage.agent.path), no rules run, and the query, rules and TSDB
 * routes answer the agent's error (web/server.c). Flags of the other mode
 * given on the command line stop the start with Prometheus's message and
 * status 3 (in table order; Prometheus lists them in command-line order). */

static const char *const server_only_flags[] = {
	"storage.tsdb.path", "storage.tsdb.retention", "storage.tsdb.retention.time", "storage.tsdb.retention.size",
	"storage.tsdb.wal-compression", "storage.tsdb.no-lockfile", "storage.tsdb.min-block-duration",
	"storage.tsdb.max-block-duration", "storage.remote.read-sample-limit", "storage.remote.read-concurrent-limit",
	"storage.remote.read-max-bytes-in-frame", "alertmanager.notification-queue-capacity",
	"rules.alert.for-outage-tolerance", "rules.alert.for-grace-period", "rules.alert.resend-delay",
	"query.lookback-delta", "query.timeout", "query.max-concurrency", "query.max-samples",
};

static bool server_only(const char *name)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(server_only_flags); i++)
		if (!strcmp(name, server_only_flags[i]))
			return true;
	return false;
}

static bool agent_only(const char *name)
{
	return !strncmp(name, "storage.agent.", 14) || !strcmp(name, "test.agent-wal-segment-size");
}

/* 2.x's --enable-feature=agent, in any of the lists given. */
static bool agent_feature(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		if (!strncmp(argv[i], "--enable-feature=", 17))
			v = argv[i] + 17;
		else if (!strcmp(argv[i], "--enable-feature") && i + 1 < argc)
			v = argv[++i];
		while (v && *v) {
			size_t n = strcspn(v, ",");
			if (n == 5 && !strncmp(v, "agent", 5))
				return true;
			v += n + (v[n] == ',');
		}
	}
	return false;
}

/* -1 to go on, or the exit status after Prometheus's message. */
static int agent_check_flags(bool agent)
{
	char list[2048] = "";
	size_t n = 0;
	for (size_t i = 0; i < N_FLAGS; i++)
		if (flags[i].set && (agent ? server_only(flags[i].name) : agent_only(flags[i].name)))
			n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s\"--%s\"", n ? " " : "",
					      flags[i].name);
	if (!n)
		return -1;
	fprintf(stderr, agent ? "The following flag(s) can not be used in agent mode: [%s]"
			      : "The following flag(s) can only be used in agent mode: [%s]", list);
	return 3;
}

static int64_t fbytes(const char *name)
{
	int64_t v = 0;
	char why[64];
	parse_bytes(fv(name), &v, why, sizeof why);
	return v;
}

/* The agent's truncation asks the remote-write sender which segments its
 * queues still read, and commits wake its watchers; agent_rw_mu keeps the
 * sender alive during a call (it is set once started, cleared before it is
 * freed). */
static pthread_mutex_t agent_rw_mu = PTHREAD_MUTEX_INITIALIZER;
static remote_sender *agent_rw;

static int agent_lowest_segment(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&agent_rw_mu);
	int s = agent_rw ? remote_sender_lowest_segment(agent_rw) : INT32_MAX;
	pthread_mutex_unlock(&agent_rw_mu);
	return s;
}

static void agent_notify(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&agent_rw_mu);
	if (agent_rw)
		remote_sender_notify(agent_rw);
	pthread_mutex_unlock(&agent_rw_mu);
}

static void agent_sender_set(remote_sender *s)
{
	pthread_mutex_lock(&agent_rw_mu);
	agent_rw = s;
	pthread_mutex_unlock(&agent_rw_mu);
}

/* Open the agent's storage; the web side reads its metrics. */
static int start_agent_storage(flint *fl, err *e)
{
	agent_opts ao = {.wal_compression = fbool("storage.agent.wal-compression"),
			 .no_lockfile = fbool("storage.agent.no-lockfile"),
			 .truncate_frequency_ms = fdur_ms("storage.agent.wal-truncate-frequency"),
			 .min_wal_time_ms = fdur_ms("storage.agent.retention.min-time"),
			 .max_wal_time_ms = fdur_ms("storage.agent.retention.max-time"),
			 .series_removed = scrape_series_removed, .series_removed_ctx = fl,
			 .lowest_segment = agent_lowest_segment, .notify = agent_notify};
	ao.segment_size = fbytes("storage.agent.wal-segment-size");
	if (ao.segment_size && (ao.segment_size < (10 << 20) || ao.segment_size > (256 << 20)))
		return err_set(e, FL_EINVAL, "flag 'storage.agent.wal-segment-size' must be set between 10MB and 256MB");
	if (fbytes("test.agent-wal-segment-size"))
		ao.segment_size = fbytes("test.agent-wal-segment-size");
	if (ao.segment_size % WAL_PAGE_SIZE)
		return err_set(e, FL_EINVAL, "agent WAL segment size must be a multiple of 32KiB");
	log_info("main", "Starting WAL storage ...", "path", fv("storage.agent.path"), NULL);
	if (!(fl->agent_db = agent_open(fv("storage.agent.path"), &ao, e)))
		return e->code ? e->code : FL_EIO;
	fl->env.agent = fl->agent_db;
	fl->env.queryable = agent_queryable(fl->agent_db);
	return 0;
}

/* Wait for signals; returns when asked to stop. */
static void signal_loop(flint *fl, const sigset_t *set)
{
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig))
			continue;
		if (sig == SIGHUP) {
			err e;
			err_clear(&e);
			reload_config(&fl->env, &e);
			continue;
		}
		log_warn("main", sig == SIGINT ? "Received SIGINT, exiting gracefully..." : "Received SIGTERM, exiting gracefully...",
			 NULL);
		return;
	}
}

int main(int argc, char **argv)
{
	int rc = parse_flags(argc, argv);
	if (rc >= 0)
		return rc;
	log_set_level_name(fv("log.level"));
	log_set_format_name(fv("log.format"));

	static flint fl;
	fl.agent = fbool("agent") || agent_feature(argc, argv);
	if ((rc = agent_check_flags(fl.agent)) >= 0)
		return rc;
	fl.cfg_path = fv("config.file");
	pthread_mutex_init(&fl.reload_mu, NULL);
	for (size_t i = 0; i < N_FLAGS; i++) {
		fl.names[i] = flags[i].name;
		fl.values[i] = flags[i].value;
	}
	err e;
	err_clear(&e);
	scrape_config *cfg = scrape_config_load(fl.cfg_path, &e);
	if (cfg && fl.agent && scrape_config_check_agent(cfg, &e)) {
		scrape_config_free(cfg);
		cfg = NULL;
	}
	if (!cfg) {
		log_error("main", "Error loading config", "file", fl.cfg_path, "err", e.msg, NULL);
		return 1;
	}

	/* every thread started from here on inherits the blocked signals */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	web_opts o;
	promql_engine_opts eo;
	db_opts dopt;
	fill_opts(&o, &eo, &dopt);
	dopt.series_removed_ctx = &fl;
	if (fl.agent) {
		o.agent = true;
		o.data_dir = fv("storage.agent.path");
	}
	if (web_env_init(&fl.env, &o, &e)) {
		log_error("main", "Error loading web config", "err", e.msg, NULL);
		scrape_config_free(cfg);
		return 1;
	}
	fl.env.flag_names = fl.names;
	fl.env.flag_values = fl.values;
	fl.env.n_flags = N_FLAGS;
	fl.env.reload = reload_config;
	fl.env.reload_ctx = &fl;
	fl.env.quit = request_quit;
	fl.env.engine_opts = eo;
	web_env_set_config(&fl.env, cfg);
	fl.eng = promql_engine_new(&eo);
	fl.env.engine = fl.eng;
	log_info("main", "Starting flint", "version", FLINT_VERSION, NULL);
	if (!fl.eng || web_server_start(&fl.env, &e)) {
		log_error("main", "Error starting web server", "err", fl.eng ? e.msg : "out of memory", NULL);
		promql_engine_free(fl.eng);
		web_env_destroy(&fl.env);
		return 1;
	}
	if (fl.agent) {
		if (start_agent_storage(&fl, &e)) {
			log_error("main", "Opening storage failed", "err", e.msg, NULL);
			web_env_destroy(&fl.env);
			promql_engine_free(fl.eng);
			return 1;
		}
	} else {
		log_info("main", "Starting TSDB ...", "path", o.data_dir, NULL);
		fl.db = db_open(o.data_dir, &dopt, &e);
		if (!fl.db) {
			log_error("main", "Opening storage failed", "err", e.msg, NULL);
			web_env_destroy(&fl.env);
			promql_engine_free(fl.eng);
			return 1;
		}
		fl.env.db = fl.db;
		fl.env.queryable = db_queryable(fl.db);
	}
	int64_t body_limit = 0;
	char why[64];
	parse_bytes(fv("scrape.body-size-limit-default"), &body_limit, why, sizeof why);
	int exit_code = 0;
	if (remote_start(&fl, &e)) { /* before the scrapes: their first samples are sent */
		log_error("main", "Error starting remote write", "err", e.msg, NULL);
		exit_code = 1;
	}
	if (fl.agent)
		agent_sender_set(fl.rw);
	if (start_scraping(&fl, body_limit, &e))
		log_error("main", "Error starting scrape manager", "err", e.msg, NULL);
	external_url(&fl);
	if (!fl.agent && start_rules(&fl, &e)) {
		/* Prometheus does not start on a config whose rule files fail */
		log_error("main", "Error loading config", "file", fl.cfg_path, "err", e.msg, NULL);
		exit_code = 1;
	}
	atomic_store(&fl.env.ready, 1);
	log_info("main", fl.agent ? "Agent WAL storage started" : "TSDB started", NULL);
	log_info("main", "Server is ready to receive web requests.", NULL);

	if (!exit_code)
		signal_loop(&fl, &set);

	/* scrapes stop first (no stale markers on shutdown, as Prometheus);
	 * the manager stays readable by in-flight API requests until the
	 * server has stopped */
	scrape_manager_stop(atomic_load(&fl.mgr));
	rules_manager_stop(fl.rules); /* finishes the group being evaluated */
	notifier_stop(fl.notif);       /* finishes the request in flight */
	web_server_stop(&fl.env); /* stop accepting, finish in-flight requests */
	remote_sender_metadata_source(fl.rw, NULL, NULL); /* no collection reads the manager past this */
	pthread_mutex_lock(&fl.reload_mu);
	scrape_manager *m = atomic_exchange(&fl.mgr, NULL);
	fl.env.scrape = NULL;
	pthread_mutex_unlock(&fl.reload_mu);
	scrape_manager_free(m);
	fl.env.rules = NULL;
	fl.env.notifier = NULL;
	rules_manager_free(fl.rules);
	fl.rules = NULL;
	notifier_free(fl.notif);
	fl.notif = NULL;
	discovery_free(fl.disc);
	fl.disc = NULL;
	fl.env.sender = NULL;
	agent_sender_set(NULL);
	remote_sender_free(fl.rw); /* flushes up to --storage.remote.flush-deadline */
	fl.rw = NULL;
	atomic_store(&fl.env.ready, 0);
	db_close(fl.db);
	agent_close(fl.agent_db);
	fl.env.agent = NULL;
	log_info("main", "See you next time!", NULL);
	promql_engine_free(fl.eng);
	web_env_destroy(&fl.env);
	return exit_code;
}
