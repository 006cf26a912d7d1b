/*
 * manager.h - the scrape manager (Prometheus scrape/manager.go and the
 * scrapePool half of scrape/scrape.go): one thread that drives a libcurl
 * multi handle for every target of every job, and the scrape pools and
 * loops it keeps (scrape/loop.h does one target's parse, append, report and
 * staleness).
 *
 *   discovery ──generation/snapshot──▶ manager thread ──curl multi──▶ targets
 *                                          │ body (capped, gunzipped)
 *                                          ▼
 *                              scrape_loop (parse, relabel, limits, cache)
 *                                          │ appender (tsdb/storage.h)
 *                                          ▼
 *                                        the db
 *
 * Targets come from discovery (scrape/discovery.h): the thread polls
 * discovery_generation() and, when it moves, takes a snapshot and syncs
 * its pools: a target whose hash is already scraped keeps its loop (cache,
 * series refs, schedule); a new one starts at Prometheus's offset within
 * its interval (scrape/target.go offset(): (hash ^ seed) % interval from
 * the interval's boundary); a target gone gets stale markers for all of its
 * series about two intervals later, as Prometheus's endOfRunStaleness (not
 * on shutdown: Prometheus writes none then).
 *
 * Threads: the manager thread schedules and fetches; a few workers parse
 * and append what it fetched, so one huge page never delays the others.
 * Thread safety: every function may be called from any thread. What web
 * reads (scrape_manager_targets, _metadata, _metrics) is copied out under
 * the manager's mutex; the scrape itself runs on the manager thread only.
 */
#ifndef FL_SCRAPE_MANAGER_H
#define FL_SCRAPE_MANAGER_H

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "scrape/config.h"
#include "scrape/discovery.h"
#include "tsdb/labels.h"
#include "tsdb/storage.h"

/* The default cap on a scrape body when a job sets no body_size_limit:
 * flint's --scrape.body-size-limit-default (a never-ending body must not
 * eat the server's memory). Prometheus has no cap. */
#define SCRAPE_DEFAULT_BODY_LIMIT (100LL << 20)

typedef struct scrape_manager scrape_manager;

typedef struct scrape_manager_opts {
	/* A new appender for one scrape (db_appender). Required. */
	appender *(*appender)(void *ctx);
	void *appender_ctx;            /* passed to appender */
	discovery *disc;               /* where targets come from (borrowed; may be NULL: no targets) */
	int64_t default_body_limit;    /* bytes, for jobs without body_size_limit; 0 = SCRAPE_DEFAULT_BODY_LIMIT */
	int workers;                   /* threads that parse and append; 0 = one per CPU, at most 4 */
	uint64_t offset_seed;          /* scrape_offset_seed(): spreads HA pairs apart */
	/* Metadata learned by scraping (HELP/TYPE/UNIT), called on the manager
	 * thread when a family's metadata is first seen or changes (type is
	 * "counter", "gauge", ..., "unknown"). NULL = not wanted. */
	void (*metadata)(void *ctx, const char *metric, const char *type, const char *help, const char *unit);
	void *metadata_ctx;            /* passed to metadata */
} scrape_manager_opts;

/* Prometheus's offsetSeed: FNV-1a 64 of hostname followed by the external
 * labels' String() ({a="b"}). */
uint64_t scrape_offset_seed(const char *hostname, labels external_labels);
/* Time from now_ns until the target's first scrape (scrape/target.go
 * offset), in ns: in (0, interval]. */
int64_t scrape_offset_ns(uint64_t target_hash, uint64_t seed, int64_t interval_ns, int64_t now_ns);
/* The Accept header 3.x sends for a job's scrape_protocols (q-weights,
 * "*\/\*" last), in out (cleared first). */
void scrape_accept_header(const scrape_job_config *j, buf *out);

/* A manager; the thread starts at once and scrapes nothing until
 * scrape_manager_apply. NULL with e on failure. */
scrape_manager *scrape_manager_new(const scrape_manager_opts *o, err *e);
/* Take c (after discovery_apply(opts.disc, c)): returns once the thread
 * runs on c's jobs and no longer uses the config given before, which the
 * caller may then free. c must live until the next apply or free. */
int scrape_manager_apply(scrape_manager *m, const scrape_config *c, err *e);
/* Stop scraping: the thread ends, in-flight scrapes are aborted, no stale
 * markers are written (as Prometheus on shutdown). What web reads stays
 * readable until scrape_manager_free. Idempotent. */
void scrape_manager_stop(scrape_manager *m);
/* Stop (if not yet) and free. NULL is a no-op. */
void scrape_manager_free(scrape_manager *m);

/* ---- what /api/v1/targets and /api/v1/scrape_pools show ---- */
typedef struct scrape_target_info {
	labels discovered;        /* discoveredLabels */
	labels labels;            /* labels (public) */
	const char *pool;         /* scrapePool (job name) */
	const char *url;          /* scrapeUrl */
	const char *last_error;   /* lastError, "" when none */
	int64_t last_scrape_ms;   /* lastScrape (Unix ms), 0 = never */
	double last_duration_s;   /* lastScrapeDuration */
	const char *health;       /* "up", "down" or "unknown" */
	const char *scrape_interval; /* scrapeInterval: the __scrape_interval__ label ("15s") */
	const char *scrape_timeout;  /* scrapeTimeout: the __scrape_timeout__ label */
} scrape_target_info;

typedef struct scrape_pool_info {
	const char *name;            /* job name */
	scrape_target_info *active;  /* in discovery order */
	size_t n_active;
	labels *dropped;             /* discovered labels of dropped targets (capped by keep_dropped_targets) */
	size_t n_dropped;
	size_t n_dropped_total;      /* before the cap (droppedTargetCounts) */
} scrape_pool_info;

/* Every pool (in config order) with its targets, copied into a. */
int scrape_manager_targets(scrape_manager *m, arena *a, scrape_pool_info **out, size_t *n, err *e);

/* One metric family's metadata as a target exposed it. */
typedef struct scrape_target_metadata {
	labels target;     /* the target's public labels */
	const char *metric;
	const char *type;  /* "counter", ..., "unknown" */
	const char *help;
	const char *unit;
} scrape_target_metadata;

/* Every target's metadata (per target in pool order, families sorted),
 * copied into a. */
int scrape_manager_metadata(scrape_manager *m, arena *a, scrape_target_metadata **out, size_t *n, err *e);

/* Self-metrics: discovery's (prometheus_sd_*), then prometheus_target_*,
 * appended as exposition text in family name order. */
void scrape_manager_metrics(scrape_manager *m, buf *out);

/* The head removed these series (tsdb/head.h opts.series_removed): those
 * refs (only) are dropped from the caches before the next scrapes. Any thread. */
void scrape_manager_series_removed(void *m, const uint64_t *refs, size_t n);

#endif
