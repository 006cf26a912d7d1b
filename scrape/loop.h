/*
 * loop.h - one target's scrape loop without the network (Prometheus
 * scrape/scrape.go scrapeLoop: scrapeAndReport, append, report,
 * endOfRunStaleness). The manager fetches the body; a test hands bytes in.
 *
 * One scrape (scrape_loop_scrape):
 *   1. parse the body in the format its Content-Type names (or the job's
 *      fallback_scrape_protocol), entry by entry (scrape/textparse.h);
 *   2. per sample: the scrape cache by the series bytes; a new series gets
 *      the target labels (honor_labels: the exposed value wins; else the
 *      target's, the exposed one kept as exported_<name>), then
 *      metric_relabel_configs, then the label limits;
 *   3. append through one appender (ref from the cache); sample_limit counts
 *      what is left after relabeling; a sample too far in the future
 *      (10 min) is out of bounds;
 *   4. stale markers for the series the previous scrape had and this one
 *      lacks (explicit-timestamp series only with track_timestamps_staleness);
 *   5. on any error (transport, parse, limits) the batch is rolled back and
 *      the scrape counts as empty: up=0, stale markers for everything;
 *   6. the report series: up, scrape_duration_seconds, scrape_samples_scraped,
 *      scrape_samples_post_metric_relabeling, scrape_series_added (and
 *      scrape_timeout_seconds, scrape_sample_limit, scrape_body_size_bytes
 *      with extra_scrape_metrics), with the target labels; commit.
 * Error texts are Prometheus's ("sample limit exceeded", "label_limit
 * exceeded (metric: ..., number of labels: 3, limit: 2)", ...).
 *
 * A loop is used by one thread at a time (the manager's); its status (for
 * /api/v1/targets) is read under the manager's mutex.
 */
#ifndef FL_SCRAPE_LOOP_H
#define FL_SCRAPE_LOOP_H

#include <pthread.h>
#include <stdatomic.h>

#include "lib/arena.h"
#include "lib/err.h"
#include "scrape/cache.h"
#include "scrape/config.h"
#include "scrape/discovery.h"
#include "tsdb/labels.h"
#include "tsdb/storage.h"

/* Counters shared by every loop of a manager (prometheus_target_*). */
typedef struct scrape_counters {
	_Atomic int64_t exceeded_sample_limit;  /* ..._scrapes_exceeded_sample_limit_total */
	_Atomic int64_t exceeded_body_limit;    /* ..._scrapes_exceeded_body_size_limit_total */
	_Atomic int64_t exceeded_label_limits;  /* ..._scrape_pool_exceeded_label_limits_total */
	_Atomic int64_t sample_duplicate;       /* ..._scrapes_sample_duplicate_timestamp_total */
	_Atomic int64_t sample_out_of_order;    /* ..._scrapes_sample_out_of_order_total */
	_Atomic int64_t sample_out_of_bounds;   /* ..._scrapes_sample_out_of_bounds_total */
	_Atomic int64_t cache_flush_forced;     /* ..._scrapes_cache_flush_forced_total */
} scrape_counters;

/* Where a loop's appenders come from, and where metadata goes. */
typedef struct scrape_sink {
	appender *(*appender)(void *ctx); /* a new appender (required) */
	void *ctx;                        /* for appender */
	void (*metadata)(void *ctx, const char *metric, const char *type, const char *help, const char *unit);
	void *metadata_ctx;
	scrape_counters *ctr;             /* may be NULL */
} scrape_sink;

#define SCRAPE_N_REPORT 8

typedef struct scrape_loop {
	arena a;                   /* owns the copies below */
	const scrape_job_config *job; /* the job (borrowed from the config the manager runs on);
					 NULL once the target is gone (its config may be freed) */
	int n_report;              /* report series written (5, or 8 with extra_scrape_metrics) */
	scrape_target_def t;       /* the target, labels and url copied into a */
	scrape_cache cache;        /* series refs, staleness, metadata */
	series_ref report_ref[SCRAPE_N_REPORT]; /* refs of the report series */
	labels report_ls[SCRAPE_N_REPORT];      /* their labels (in a), built on first use */
	labels_builder lb;         /* scratch: target labels */
	labels_builder rb;         /* scratch: relabeling */
	arena scratch;             /* scratch strings of one series */
	/* status, for /api/v1/targets: written by the scrape thread, read by
	 * web, both under st_mu */
	pthread_mutex_t st_mu;
	int64_t last_scrape_ms;    /* 0 = never */
	double last_duration_s;    /* seconds */
	int health;                /* 0 unknown, 1 up, -1 down */
	char last_error[512];      /* "" when the last scrape worked */
	int64_t last_t_ms;         /* timestamp of the last scrape (for end-of-run staleness), 0 = none */
	int64_t last_bytes;        /* body bytes of the last successful scrape */
	int seq_format;            /* textparse_format + 1 of the page the cache's order
				      came from (its keys guide the parser), 0 none */
} scrape_loop;

/* What one scrape did (for tests and the report). */
typedef struct scrape_result {
	int64_t scraped;       /* samples in the body */
	int64_t added;         /* left after metric relabeling */
	int64_t series_added;  /* new series in the cache */
	int up;                /* 1 or 0 */
} scrape_result;

/* A loop for target t of job j (t copied; j borrowed). NULL when out of memory. */
scrape_loop *scrape_loop_new(const scrape_target_def *t, const scrape_job_config *j);
void scrape_loop_free(scrape_loop *l);

/*
 * One scrape's outcome into storage. body[0..len) with its Content-Type
 * (NULL when none) when the fetch worked (scrape_err NULL), else
 * scrape_err, the transport's error text. bytes is the body size for
 * scrape_body_size_bytes (-1 when over body_size_limit). t_ms the
 * scrape's timestamp; duration_s is measured by the caller up to the
 * report (start_ns from CLOCK_MONOTONIC: the report reads the clock).
 * Fills res (may be NULL) and the loop's status. 0, or the commit error.
 */
int scrape_loop_scrape(scrape_loop *l, const scrape_sink *s, const char *body, size_t len, const char *content_type,
		       const char *scrape_err, int64_t bytes, int64_t t_ms, int64_t start_ns, scrape_result *res);
/* The target went away: stale markers for all of its series and its report
 * series at t_ms (Prometheus's endOfRunStaleness). Needs no job config
 * (l->job may be NULL by then). */
int scrape_loop_stale_all(scrape_loop *l, const scrape_sink *s, int64_t t_ms);

/* CLOCK_MONOTONIC in ns / CLOCK_REALTIME in ms. */
int64_t scrape_mono_ns(void);
int64_t scrape_now_ms(void);

#endif
