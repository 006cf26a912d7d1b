/*
 * api_status.c - /api/v1/status/..., the admin API and the lifecycle
 * endpoints /-/healthy, /-/ready, /-/reload, /-/quit (Prometheus
 * web/api/v1/api.go serveBuildInfo..., web/web.go).
 *
 * buildinfo never carries `features` or `application`: Grafana's alerting
 * page takes any `features` object (even {}) for Mimir.
 * The admin API is gated by --web.enable-admin-api (500 unavailable
 * "admin APIs disabled", as 2.42 and 3.x answer). snapshot names and makes
 * <data>/snapshots/<name>/ and has db_snapshot (tsdb/db_snapshot.c) fill
 * it: blocks hard-linked and, unless skip_head, the WAL. flint's storage keeps no tombstones yet,
 * so delete_series answers honestly that it is unsupported (500 internal)
 * rather than pretend, and clean_tombstones has nothing to clean (204).
 */
#include "web/web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/timeparse.h"
#include "lib/version.h"

WEB_HANDLER(api_buildinfo_handler)
{
	(void)r;
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_kstr(&j, "version", FLINT_PROMETHEUS_VERSION);
	json_kstr(&j, "revision", FLINT_REVISION);
	json_kstr(&j, "branch", FLINT_BRANCH);
	json_kstr(&j, "buildUser", "flint");
	json_kstr(&j, "buildDate", __DATE__);
	json_kstr(&j, "goVersion", "C11 (" __VERSION__ ")");
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

WEB_HANDLER(api_config_handler)
{
	(void)r;
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	pthread_mutex_lock(&env->cfg_mu);
	json_kstr(&j, "yaml", env->config_yaml ? env->config_yaml : "");
	pthread_mutex_unlock(&env->cfg_mu);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

WEB_HANDLER(api_flags_handler)
{
	(void)r;
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	for (size_t i = 0; i < env->n_flags; i++)
		json_kstr(&j, env->flag_names[i], env->flag_values[i] ? env->flag_values[i] : "");
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

/* Prometheus's storageRetention text: "15d", "10GiB", "15d or 10GiB". */
static void retention_text(const web_opts *o, buf *b)
{
	if (o->retention_ms > 0)
		timeparse_format_duration(b, o->retention_ms);
	if (o->retention_bytes > 0) {
		static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
		int64_t v = o->retention_bytes;
		int u = 0;
		while (u < 6 && v % 1024 == 0 && v >= 1024)
			v /= 1024, u++;
		buf_printf(b, "%s%lld%s", b->len ? " or " : "", (long long)v, units[u]);
	}
}

static void kv_time(json_w *j, const char *k, int64_t ms)
{
	buf t;
	buf_init(&t);
	timeparse_format_rfc3339(&t, ms);
	json_kstr(j, k, buf_cstr(&t));
	buf_reset(&t);
}

WEB_HANDLER(api_runtimeinfo_handler)
{
	(void)r;
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "<error retrieving current working directory>");
	db_stats st;
	memset(&st, 0, sizeof st);
	if (env->db)
		db_get_stats(env->db, &st);
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	kv_time(&j, "startTime", env->start_ms);
	json_kstr(&j, "CWD", cwd);
	pthread_mutex_lock(&env->cfg_mu);
	json_kbool(&j, "reloadConfigSuccess", env->reload_success);
	kv_time(&j, "lastConfigTime", env->last_config_ms / 1000 * 1000);
	pthread_mutex_unlock(&env->cfg_mu);
	json_kint(&j, "corruptionCount", st.wal_corruptions);
	json_kint(&j, "goroutineCount", (int64_t)atomic_load(&env->http_inflight) + 4);
	json_kint(&j, "GOMAXPROCS", sysconf(_SC_NPROCESSORS_ONLN));
	json_kstr(&j, "GOGC", "");
	json_kstr(&j, "GODEBUG", "");
	buf rt;
	buf_init(&rt);
	retention_text(&env->opts, &rt);
	json_kstr(&j, "storageRetention", buf_cstr(&rt));
	buf_reset(&rt);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

WEB_HANDLER(api_walreplay_handler)
{
	(void)r;
	db_stats st;
	memset(&st, 0, sizeof st);
	if (env->db)
		db_get_stats(env->db, &st);
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	/* replay is done before the API opens: min = max = current segment */
	json_kint(&j, "min", 0);
	json_kint(&j, "max", st.wal_segment_current);
	json_kint(&j, "current", st.wal_segment_current);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

static bool admin_enabled(web_env *env, http_resp *w)
{
	if (env->opts.enable_admin_api)
		return true;
	api_error(w, API_UNAVAILABLE, "admin APIs disabled");
	return false;
}

/* ---- snapshot (the storage work is db_snapshot's) ---- */
/* Go's strconv.ParseBool. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	for (size_t i = 0; i < FL_ARRAY_LEN(t); i++) {
		if (!strcmp(v, t[i]) || !strcmp(v, f[i])) {
			*out = !strcmp(v, t[i]);
			return 0;
		}
	}
	return -1;
}

WEB_HANDLER(api_admin_snapshot_handler)
{
	if (!admin_enabled(env, w))
		return;
	bool skip_head = false;
	const char *sh = http_param_get(r, "skip_head");
	if (sh && *sh && parse_bool(sh, &skip_head)) {
		api_error(w, API_BAD_DATA, "unable to parse boolean 'skip_head' argument: strconv.ParseBool: parsing \"%s\": "
					   "invalid syntax", sh);
		return;
	}
	if (!env->db) {
		api_error(w, API_INTERNAL, "create snapshot: no database is open");
		return;
	}
	/* <data>/snapshots/<20060102T150405Z>-<%016x of a random int63> */
	char name[64], dir[4096];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	size_t n = strftime(name, sizeof name, "%Y%m%dT%H%M%SZ", &tm);
	uint64_t rnd = ((uint64_t)random() << 32 ^ (uint64_t)random() ^ (uint64_t)now << 20) & INT64_MAX;
	snprintf(name + n, sizeof name - n, "-%016llx", (unsigned long long)rnd);
	snprintf(dir, sizeof dir, "%s/snapshots", db_dir(env->db));
	if (mkdir(dir, 0777) && errno != EEXIST) {
		api_error(w, API_INTERNAL, "create snapshot directory: mkdir %s: %s", dir, strerror(errno));
		return;
	}
	snprintf(dir, sizeof dir, "%s/snapshots/%s", db_dir(env->db), name);
	if (mkdir(dir, 0777)) {
		api_error(w, API_INTERNAL, "create snapshot directory: mkdir %s: %s", dir, strerror(errno));
		return;
	}
	err e;
	err_clear(&e);
	if (db_snapshot(env->db, dir, skip_head, &e)) {
		api_error(w, API_INTERNAL, "create snapshot: %s", e.msg);
		return;
	}
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_kstr(&j, "name", name);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}

WEB_HANDLER(api_admin_delete_series_handler)
{
	if (!admin_enabled(env, w))
		return;
	const char *m;
	if (!api_param_all(r, "match[]", &m, 1)) {
		api_error(w, API_BAD_DATA, "no match[] parameter provided");
		return;
	}
	api_error(w, API_INTERNAL, "delete series: deletion (tombstones) is not supported by flint's storage yet");
}

WEB_HANDLER(api_admin_clean_tombstones_handler)
{
	(void)r;
	if (!admin_enabled(env, w))
		return;
	/* flint never writes tombstones, so there is nothing to clean */
	w->status = 204;
}

/* ---- lifecycle ---- */
WEB_HANDLER(web_healthy_handler)
{
	(void)env;
	(void)r;
	web_text(w, 200, "Prometheus Server is Healthy.\n");
}

WEB_HANDLER(web_ready_handler)
{
	(void)r;
	if (atomic_load(&env->ready) && !atomic_load(&env->stopping)) {
		web_text(w, 200, "Prometheus Server is Ready.\n");
		return;
	}
	web_text(w, 503, "Service Unavailable");
	http_resp_header(w, "X-Prometheus-Stopping", atomic_load(&env->stopping) ? "true" : "false");
}

static bool lifecycle_allowed(web_env *env, const http_req *r, http_resp *w)
{
	if (!env->opts.enable_lifecycle) {
		web_text(w, 403, "Lifecycle API is not enabled.");
		return false;
	}
	if (strcmp(r->method, "POST") && strcmp(r->method, "PUT")) {
		web_text(w, 405, "Only POST or PUT requests allowed");
		return false;
	}
	return true;
}

WEB_HANDLER(web_reload_handler)
{
	if (!lifecycle_allowed(env, r, w))
		return;
	err e;
	err_clear(&e);
	if (!env->reload) {
		web_text(w, 500, "failed to reload config: reload not available");
		return;
	}
	if (env->reload(env, &e)) {
		char msg[ERR_MSG_CAP + 64];
		snprintf(msg, sizeof msg, "failed to reload config: %s\n", e.msg);
		w->status = 500;
		w->content_type = "text/plain; charset=utf-8";
		buf_clear(&w->body);
		buf_put_str(&w->body, msg);
		return;
	}
	w->status = 200;
	buf_clear(&w->body);
}

WEB_HANDLER(web_quit_handler)
{
	if (!lifecycle_allowed(env, r, w))
		return;
	web_text(w, 200, "Requesting termination... Goodbye!");
	if (env->quit)
		env->quit(env);
}

/* ---- /status/tsdb: the head's cardinality (db_head_cardinality) ---- */
static void card_list(json_w *j, const char *key, const head_card_list *l)
{
	json_key(j, key);
	json_arr_open(j);
	for (size_t i = 0; i < l->n; i++) {
		json_obj_open(j);
		json_kstr(j, "name", l->v[i].name);
		json_kint(j, "value", (int64_t)l->v[i].value);
		json_obj_close(j);
	}
	json_arr_close(j);
}

/* limit: Prometheus 3.x's parameter (2.42 ignores it and answers 10). */
WEB_HANDLER(api_tsdb_handler)
{
	size_t limit = 10;
	const char *ls = http_param_get(r, "limit");
	if (ls && *ls) {
		char *end;
		long long v = strtoll(ls, &end, 10);
		if (*end || end == ls || v < 1) {
			api_error(w, API_BAD_DATA, "limit must be a positive number");
			return;
		}
		limit = (size_t)v;
	}
	head_cardinality c = {.min_time = INT64_MAX, .max_time = INT64_MIN};
	err e;
	err_clear(&e);
	if (env->db && db_head_cardinality(env->db, limit, r->arena, &c, &e)) {
		api_error(w, API_INTERNAL, "%s", e.msg);
		return;
	}
	json_w j;
	api_begin(w, &j);
	json_obj_open(&j);
	json_key(&j, "headStats");
	json_obj_open(&j);
	json_kint(&j, "numSeries", c.num_series);
	json_kint(&j, "numLabelPairs", c.num_label_pairs);
	json_kint(&j, "chunkCount", c.chunk_count);
	json_kint(&j, "minTime", c.min_time);
	json_kint(&j, "maxTime", c.max_time);
	json_obj_close(&j);
	card_list(&j, "seriesCountByMetricName", &c.by_metric);
	card_list(&j, "labelValueCountByLabelName", &c.values_by_name);
	card_list(&j, "memoryInBytesByLabelName", &c.bytes_by_name);
	card_list(&j, "seriesCountByLabelValuePair", &c.by_pair);
	json_obj_close(&j);
	api_end(&j, NULL, 0, NULL, 0);
}
