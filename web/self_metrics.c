/*
 * self_metrics.c - GET /metrics: flint's own metrics in the text exposition
 * format 0.0.4, named as Prometheus names them where the meaning is the
 * same, so dashboards and alerts written for Prometheus work unchanged:
 *
 *   process_*              client_golang's process collector, from /proc/self
 *                          (stat, limits, fd/) and /proc/stat (btime)
 *   prometheus_build_info, prometheus_ready, prometheus_config_last_reload_*
 *   prometheus_engine_queries, prometheus_engine_queries_concurrent_max,
 *   prometheus_engine_query_duration_seconds (web/query_durations.c),
 *   prometheus_engine_query_log_enabled (0: there is no query log)
 *   prometheus_http_requests_total, prometheus_http_request_duration_seconds
 *                          (written by web/server.c's web_write_http_metrics)
 *   prometheus_target_*    the scrape manager (scrape/manager.h
 *                          scrape_manager_metrics)
 *   prometheus_tsdb_*      tsdb/db.h db_get_stats (head series, chunks,
 *                          samples appended, min/max time, WAL, blocks,
 *                          retention, reloads, compactions, checkpoints)
 *   prometheus_api_remote_write_invalid_labels_samples_total
 *   flint_*                what Prometheus has no name for (heap bytes from
 *                          fl_alloc_bytes, broken blocks skipped at load
 *                          (Prometheus refuses to start instead), remote-write samples written and
 *                          the histograms/exemplars received but not stored)
 *
 * Families come in name order, as client_golang gathers them. There are no
 * go_* metrics: there is no Go runtime.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/version.h"
#include "rules/manager.h"
#include "rules/notifier.h"
#include "remote/write.h"
#include "scrape/manager.h"
#include "web/remote.h"

static void fam(buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name[{labels}] value */
static void val(buf *b, const char *name, const char *lbls, double v)
{
	buf_put_str(b, name);
	if (lbls)
		buf_put_str(b, lbls);
	buf_put_byte(b, ' ');
	remote_put_float(b, v);
	buf_put_byte(b, '\n');
}

static void one(buf *b, const char *name, const char *type, const char *help, double v)
{
	fam(b, name, type, help);
	val(b, name, NULL, v);
}

/* ---- process collector ---- */

typedef struct proc_stat {
	double cpu_seconds;  /* utime + stime */
	double start_time;   /* seconds since the epoch */
	double vsize;        /* bytes */
	double rss;          /* bytes */
	bool ok;             /* /proc/self/stat was read */
} proc_stat;

static double boot_time(void)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[256];
	double bt = 0;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "btime ", 6)) {
			bt = strtod(line + 6, NULL);
			break;
		}
	if (f)
		fclose(f);
	return bt;
}

static proc_stat read_proc_stat(void)
{
	proc_stat ps = {0};
	buf b;
	buf_init(&b);
	const char *p = buf_read_file(&b, "/proc/self/stat", NULL) ? NULL : strrchr((const char *)b.p, ')');
	if (!p) { /* comm, before ')', may hold spaces */
		buf_reset(&b);
		return ps;
	}
	/* fields after comm, numbered from 3 (state) */
	unsigned long long utime = 0, stime = 0, start = 0, vsize = 0;
	long long rss = 0;
	int got = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
			 &utime, &stime, &start, &vsize, &rss);
	buf_reset(&b);
	if (got != 5)
		return ps;
	double tck = (double)sysconf(_SC_CLK_TCK);
	ps.cpu_seconds = (double)(utime + stime) / tck;
	ps.start_time = boot_time() + (double)start / tck;
	ps.vsize = (double)vsize;
	ps.rss = (double)rss * (double)sysconf(_SC_PAGESIZE);
	ps.ok = true;
	return ps;
}

/* Soft limit of a /proc/self/limits row; -1 when unlimited or unknown. */
static double proc_limit(const char *row)
{
	FILE *f = fopen("/proc/self/limits", "r");
	char line[256];
	double v = -1;
	size_t rl = strlen(row);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, row, rl)) {
			char *p = line + rl;
			while (*p == ' ')
				p++;
			if (strncmp(p, "unlimited", 9))
				v = strtod(p, NULL);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static double open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	double n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n - 1; /* the directory handle itself */
}

static void write_process(buf *b)
{
	proc_stat ps = read_proc_stat();
	if (ps.ok)
		one(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", ps.cpu_seconds);
	double maxfds = proc_limit("Max open files");
	if (maxfds >= 0)
		one(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.", maxfds);
	one(b, "process_open_fds", "gauge", "Number of open file descriptors.", open_fds());
	if (!ps.ok)
		return;
	one(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", ps.rss);
	one(b, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", ps.start_time);
	one(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", ps.vsize);
	double vmax = proc_limit("Max address space");
	one(b, "process_virtual_memory_max_bytes", "gauge", "Maximum amount of virtual memory available in bytes.",
	    vmax >= 0 ? vmax : 18446744073709551615.0);
}

/* What Prometheus has no name for: broken blocks skipped at load. */
static void write_flint_tsdb(web_env *env, buf *b)
{
	if (!env->db)
		return;
	db_stats s;
	db_get_stats(env->db, &s);
	one(b, "flint_tsdb_blocks_load_failures_total", "counter",
	    "Blocks skipped because they could not be opened (broken meta.json, index, chunks or tombstones).",
	    (double)s.blocks_failed);
}

/* ---- flint and remote write ---- */

static void write_flint(web_env *env, buf *b, remote_state *st)
{
	one(b, "flint_heap_allocated_bytes", "gauge", "Bytes currently allocated through flint's allocator.",
	    (double)fl_alloc_bytes());
	one(b, "flint_remote_write_exemplars_dropped_total", "counter",
	    "Exemplars received by remote write and not stored (no exemplar storage).",
	    (double)atomic_load_explicit(&st->exemplars_dropped, memory_order_relaxed));
	one(b, "flint_remote_write_histograms_dropped_total", "counter",
	    "Native histogram samples received by remote write and not stored (no histogram chunks yet).",
	    (double)atomic_load_explicit(&st->histograms_dropped, memory_order_relaxed));
	one(b, "flint_remote_write_samples_rejected_total", "counter",
	    "Remote write series with samples rejected as out of order, duplicate or out of bounds.",
	    (double)atomic_load_explicit(&st->samples_rejected, memory_order_relaxed));
	one(b, "flint_remote_write_samples_written_total", "counter", "Float samples committed from remote write.",
	    (double)atomic_load_explicit(&st->samples_written, memory_order_relaxed));
	write_flint_tsdb(env, b);
}

static void write_prometheus(web_env *env, buf *b, remote_state *st)
{
	one(b, "prometheus_api_remote_write_invalid_labels_samples_total", "counter",
		    "The total number of received remote write samples and histogram samples which were rejected due to invalid labels.",
		    (double)atomic_load_explicit(&st->invalid_labels_samples, memory_order_relaxed));
	fam(b, "prometheus_build_info", "gauge",
	    "A metric with a constant '1' value labeled by version, revision, branch, goversion from which prometheus was built, and the goos and goarch for the build.");
	buf_put_str(b, "prometheus_build_info{branch=\"" FLINT_BRANCH "\",goversion=\"\",revision=\"" FLINT_REVISION
		    "\",tags=\"flint\",version=\"" FLINT_PROMETHEUS_VERSION "\"} 1\n");
	pthread_mutex_lock(&env->cfg_mu);
	bool ok = env->reload_success;
	int64_t last = env->last_config_ms;
	pthread_mutex_unlock(&env->cfg_mu);
	one(b, "prometheus_config_last_reload_success_timestamp_seconds", "gauge",
	    "Timestamp of the last successful configuration reload.", (double)(last / 1000));
	one(b, "prometheus_config_last_reload_successful", "gauge", "Whether the last configuration reload attempt was successful.",
	    ok ? 1 : 0);
	pthread_mutex_lock(&env->slot_mu);
	int used = env->slots_used;
	pthread_mutex_unlock(&env->slot_mu);
	one(b, "prometheus_engine_queries", "gauge", "The current number of queries being executed or waiting.", used);
	one(b, "prometheus_engine_queries_concurrent_max", "gauge", "The max number of concurrent queries.",
	    env->opts.max_concurrency);
	qd_write(&env->qdur, b);
	one(b, "prometheus_engine_query_log_enabled", "gauge", "State of the query log.", 0); /* no query log */
	web_write_http_metrics(env, b);
	one(b, "prometheus_ready", "gauge", "Whether Prometheus startup was fully completed and the server is ready for normal operation.",
	    atomic_load(&env->ready) ? 1 : 0);
	one(b, "prometheus_remote_read_handler_queries", "gauge",
		    "The current number of remote read queries that are either in execution or queued on the handler.",
		    remote_read_gate_load(st));
}

/* prometheus_tsdb_compaction_duration_seconds: ExponentialBuckets(1, 2, 14) */
static void write_compaction_histogram(buf *b, const db_stats *s)
{
	static const char name[] = "prometheus_tsdb_compaction_duration_seconds";
	fam(b, name, "histogram", "Duration of compaction runs");
	char lbl[32];
	double le = 1;
	for (int i = 0; i < DB_COMPACTION_BUCKETS; i++, le *= 2) {
		snprintf(lbl, sizeof lbl, "{le=\"%g\"}", le);
		val(b, "prometheus_tsdb_compaction_duration_seconds_bucket", lbl, (double)s->compaction_buckets[i]);
	}
	val(b, "prometheus_tsdb_compaction_duration_seconds_bucket", "{le=\"+Inf\"}", (double)s->compactions);
	val(b, "prometheus_tsdb_compaction_duration_seconds_sum", NULL, s->compaction_seconds);
	val(b, "prometheus_tsdb_compaction_duration_seconds_count", NULL, (double)s->compactions);
}

static void write_tsdb(web_env *env, buf *b)
{
	if (!env->db)
		return;
	db_stats s;
	memset(&s, 0, sizeof s);
	db_get_stats(env->db, &s);
	one(b, "prometheus_tsdb_blocks_loaded", "gauge", "Number of currently loaded data blocks", (double)s.blocks_loaded);
	one(b, "prometheus_tsdb_checkpoint_creations_failed_total", "counter", "Total number of checkpoint creations that failed.",
	    (double)s.checkpoint_creations_failed);
	one(b, "prometheus_tsdb_checkpoint_creations_total", "counter", "Total number of checkpoint creations attempted.",
	    (double)s.checkpoint_creations);
	write_compaction_histogram(b, &s);
	one(b, "prometheus_tsdb_compactions_total", "counter", "Total number of compactions that were executed for the partition.",
	    (double)s.compactions);
	one(b, "prometheus_tsdb_compactions_failed_total", "counter", "Total number of compactions that failed for the partition.",
	    (double)s.compactions_failed);
	one(b, "prometheus_tsdb_data_replay_duration_seconds", "gauge", "Time taken to replay the data on disk.",
	    (double)s.replay_ms / 1000);
	one(b, "prometheus_tsdb_head_chunks", "gauge", "Total number of chunks in the head block.", (double)s.head_chunks);
	one(b, "prometheus_tsdb_head_max_time", "gauge", "Maximum timestamp of the head block. The unit is decided by the library consumer.",
	    (double)s.head_max_time);
	one(b, "prometheus_tsdb_head_max_time_seconds", "gauge", "Maximum timestamp of the head block.",
	    (double)(s.head_max_time / 1000));
	one(b, "prometheus_tsdb_head_min_time", "gauge", "Minimum time bound of the head block. The unit is decided by the library consumer.",
	    (double)s.head_min_time);
	one(b, "prometheus_tsdb_head_min_time_seconds", "gauge", "Minimum time bound of the head block.",
	    (double)(s.head_min_time / 1000));
	fam(b, "prometheus_tsdb_head_samples_appended_total", "counter", "Total number of appended samples.");
	val(b, "prometheus_tsdb_head_samples_appended_total", "{type=\"float\"}", (double)s.head_samples_appended);
	one(b, "prometheus_tsdb_head_series", "gauge", "Total number of series in the head block.", (double)s.head_series);
	one(b, "prometheus_tsdb_head_series_removed_total", "counter", "Total number of series removed in the head",
	    (double)s.head_series_removed);
	one(b, "prometheus_tsdb_head_truncations_total", "counter", "Total number of head truncations attempted.",
	    (double)s.head_truncations);
	one(b, "prometheus_tsdb_lowest_timestamp", "gauge", "Lowest timestamp value stored in the database. The unit is decided by the library consumer.",
	    (double)s.min_time);
	fam(b, "prometheus_tsdb_out_of_order_samples_total", "counter", "Total number of out of order samples ingestion failed attempts due to out of order being disabled.");
	val(b, "prometheus_tsdb_out_of_order_samples_total", "{type=\"float\"}", (double)s.out_of_order_samples);
	one(b, "prometheus_tsdb_reloads_failures_total", "counter",
	    "Number of times the database failed to reloadBlocks block data from disk.", (double)s.reload_failures);
	one(b, "prometheus_tsdb_reloads_total", "counter", "Number of times the database reloaded block data from disk.",
	    (double)s.reloads);
	one(b, "prometheus_tsdb_retention_limit_bytes", "gauge",
	    "Max number of bytes to be retained in the tsdb blocks, configured 0 means disabled", (double)s.retention_limit_bytes);
	one(b, "prometheus_tsdb_size_retentions_total", "counter",
	    "The number of times that blocks were deleted because the maximum number of bytes was exceeded.",
	    (double)s.size_retentions);
	one(b, "prometheus_tsdb_storage_blocks_bytes", "gauge",
	    "The number of bytes that are currently used for local storage by all blocks.", (double)s.blocks_bytes);
	one(b, "prometheus_tsdb_time_retentions_total", "counter",
	    "The number of times that blocks were deleted because the maximum time limit was exceeded.",
	    (double)s.time_retentions);
	one(b, "prometheus_tsdb_wal_corruptions_total", "counter", "Total number of WAL corruptions.", (double)s.wal_corruptions);
	one(b, "prometheus_tsdb_wal_segment_current", "gauge", "Write log segment index that TSDB is currently writing to.",
	    (double)s.wal_segment_current);
}

void self_metrics_handler(web_env *env, const http_req *r, http_resp *w)
{
	remote_state *st = remote_state_get(env);
	w->status = 200;
	w->content_type = "text/plain; version=0.0.4; charset=utf-8";
	buf_clear(&w->body);
	write_flint(env, &w->body, st);
	write_process(&w->body);
	write_prometheus(env, &w->body, st);
	if (env->scrape)
		scrape_manager_metrics(env->scrape, &w->body); /* prometheus_target_* */
	if (env->rules)
		rules_manager_metrics(env->rules, &w->body); /* prometheus_rule_* */
	if (env->notifier)
		notifier_metrics(env->notifier, &w->body); /* prometheus_notifications_* */
	if (env->sender)
		remote_sender_metrics(env->sender, &w->body); /* prometheus_remote_storage_*, prometheus_wal_watcher_* */
	write_tsdb(env, &w->body);
	if (env->agent)
		agent_metrics(env->agent, &w->body); /* prometheus_agent_*, the agent WAL's prometheus_tsdb_wal_* */
}
