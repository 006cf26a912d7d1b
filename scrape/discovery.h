/*
 * discovery.h - service discovery and target population (Prometheus
 * discovery/ and scrape/target.go's PopulateLabels).
 *
 * Providers (static_configs, file_sd_configs, http_sd_configs,
 * dns_sd_configs) produce target groups per job; each group's targets are
 * populated as Prometheus does: the group's labels, then the target's, then
 * the job's defaults (job, __scheme__, __metrics_path__,
 * __scrape_interval__, __scrape_timeout__, __param_*), relabel_configs,
 * then instance defaulting to __address__. A target relabeled away (or
 * left without __address__) is dropped; dropped targets are kept for
 * /api/v1/targets?state=dropped (keep_dropped_targets caps them).
 *
 * The discovery object runs its own refresh thread(s); the scrape manager
 * polls discovery_generation() and takes a snapshot when it moves.
 */
#ifndef FL_SCRAPE_DISCOVERY_H
#define FL_SCRAPE_DISCOVERY_H

#include "lib/arena.h"
#include "lib/err.h"
#include "scrape/config.h"
#include "tsdb/labels.h"

/* One active target, ready to scrape. */
typedef struct scrape_target_def {
	labels labels;          /* after relabeling: the public labels (no "__" prefix), job and instance included */
	labels all;             /* after relabeling, every label ("__address__", "__param_x", ...) */
	labels discovered;      /* before relabeling (Prometheus's discoveredLabels) */
	const char *url;        /* scheme://address/metrics_path?params */
	int64_t interval_ms;    /* from __scrape_interval__ */
	int64_t timeout_ms;     /* from __scrape_timeout__ */
	uint64_t hash;          /* identity across refreshes/reloads: hash of `all` and the url */
} scrape_target_def;

/* One job's targets at a moment. */
typedef struct scrape_pool_targets {
	const char *job;            /* job_name */
	const scrape_job_config *cfg; /* the job's config (owned by the config passed to discovery_apply) */
	scrape_target_def *active;  /* deduplicated by hash, in discovery order */
	size_t n_active;
	labels *dropped;            /* discovered labels of dropped targets */
	size_t n_dropped;
	size_t n_dropped_total;     /* before the keep_dropped_targets cap */
} scrape_pool_targets;

typedef struct discovery discovery;

discovery *discovery_new(err *e);
/* Start providing the jobs of c (kept alive by the caller until the next
 * apply or free). Providers whose config did not change keep their last
 * groups. */
int discovery_apply(discovery *d, const scrape_config *c, err *e);
/* Increases whenever any job's targets may have changed. */
uint64_t discovery_generation(discovery *d);
/* Every job's targets now, allocated in a. */
int discovery_snapshot(discovery *d, arena *a, scrape_pool_targets **out, size_t *n, err *e);
/* Every target of job (an index into the applied config's jobs) as its
 * providers have it now, before population: fn(ctx, group labels, target
 * labels) in provider, part and group order (promtool check
 * service-discovery populates them itself, errors included). Runs under
 * the discovery's lock: fn must not call back into d; the labels are
 * borrowed for the call. A non-zero return from fn stops the walk and is
 * returned. */
int discovery_visit(discovery *d, size_t job, int (*fn)(void *ctx, labels group, labels target), void *ctx);
/* Self-metrics (prometheus_sd_discovered_targets, ...), appended in
 * exposition text. */
void discovery_metrics(discovery *d, buf *out);
void discovery_free(discovery *d);

/* PopulateLabels for one discovered target: group labels, target labels,
 * job defaults, relabeling. Returns 1 kept (*out filled, in a), 0 dropped,
 * <0 error (a bad address, e.g.) with e set. */
int scrape_target_populate(const scrape_job_config *j, labels group, labels target, arena *a,
			   scrape_target_def *out, labels *discovered, err *e);

/* promtool check config's target checks for one job (added by the
 * discovery helper): every static target and every target of every file
 * matching a file_sd glob must parse and populate; the first failure is
 * returned in e ("checking SD file \"<glob>\": ..." for a bad file). A
 * glob matching nothing calls missing(ctx, glob) (promtool warns). */
int discovery_check_job(const scrape_job_config *j, void (*missing)(void *ctx, const char *glob), void *ctx, err *e);

/*
 * One provider set outside the scrape jobs (an alerting.alertmanagers
 * entry, for the notifier): the same providers, driven by the caller.
 * discovery_set_refresh re-reads every provider now (blocking: file reads,
 * HTTP GETs, DNS lookups); one that fails keeps its last groups, is logged
 * and reported in e (the first failure). discovery_set_each calls fn for
 * every target of every group, static_configs first, then file_sd,
 * http_sd and dns_sd in config order (labels borrowed for the call). The
 * caller serialises calls on one set.
 */
typedef struct discovery_set discovery_set;
discovery_set *discovery_set_new(void);
void discovery_set_free(discovery_set *s);
int discovery_set_refresh(discovery_set *s, const scrape_sd_configs *c, err *e);
typedef void (*discovery_target_fn)(void *ctx, labels group, labels target);
void discovery_set_each(const discovery_set *s, const scrape_sd_configs *c, discovery_target_fn fn, void *ctx);
/* The shortest refresh interval among c's providers, 0 when none refreshes. */
int64_t discovery_set_refresh_ms(const scrape_sd_configs *c);

#endif
