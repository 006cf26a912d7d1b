/*
 * agent.h - the agent's storage (Prometheus tsdb/agent/db.go): a WAL and
 * nothing else. `flint --agent` scrapes into it and the remote-write sender
 * tails its WAL; there is no head, no block, no query.
 *
 *   <dir>/lock                 flock'ed while open
 *   <dir>/wal/00000000 ...     WAL segments, the head's format (tsdb/wal.h,
 *   <dir>/wal/checkpoint.N/    tsdb/record.h): series and samples records
 *
 * In memory only the series: labels -> ref and ref -> {labels, last
 * timestamp}. The appender (tsdb/storage.h) looks a series up or creates it
 * (a new ref, logged as a series record at commit), rejects a sample not
 * newer than the series' last committed one as "out of order sample" (the
 * agent's rule: an equal timestamp is out of order too, never a duplicate),
 * and commit logs one series record (new series) and one samples record,
 * then moves each series' last timestamp and calls notify. Rollback still
 * logs the new series, as upstream (they exist in memory from then on).
 *
 * Truncation (agent_truncate, every truncate_frequency from a thread of its
 * own), as the agent DB's truncate with the segment bound of the
 * remote-write sender:
 *   sent = newest sample time in the segments below lowest_segment() (what
 *          every queue has read past), 0 when there is no queue;
 *   ts   = max(sent - min_wal_time, 0), raised to now - max_wal_time;
 *   series whose last sample is older than ts are dropped from memory
 *   (series_removed tells the scrape caches) but their series record is
 *   kept in checkpoints until the WAL has passed the segment where they
 *   were dropped; then a new segment is cut, and the lower two thirds of
 *   the closed segments - never past a segment a queue still needs, unless
 *   all its samples are older than now - max_wal_time - are checkpointed
 *   (live series, samples >= ts) and deleted with older checkpoints.
 * Opening replays checkpoint + segments to rebuild the series map (refs
 * and last timestamps; a label set logged under two refs maps to the first
 * one), repairs a torn or corrupt tail, and starts a new segment.
 *
 * Thread safety: appenders from any threads; one mutex guards the series
 * maps (held for a lookup, never across I/O); commits log through the WAL's
 * own lock; truncation runs on its own thread (or in agent_truncate).
 */
#ifndef FL_AGENT_H
#define FL_AGENT_H

#include "lib/buf.h"
#include "lib/err.h"
#include "tsdb/storage.h"

typedef struct agent_db agent_db;

typedef struct agent_opts {
	int64_t segment_size;          /* WAL segment bytes; 0 = 128 MiB; else a multiple of 32 KiB */
	bool wal_compression;          /* --storage.agent.wal-compression (default true) */
	int64_t truncate_frequency_ms; /* --storage.agent.wal-truncate-frequency; <= 0: 2h */
	bool no_truncate_thread;       /* tests: truncate only when agent_truncate is called */
	bool no_lockfile;              /* --storage.agent.no-lockfile: no flock on <dir>/lock */
	int64_t min_wal_time_ms;       /* --storage.agent.retention.min-time; <= 0: 5m */
	int64_t max_wal_time_ms;       /* --storage.agent.retention.max-time; <= 0: 4h */
	/* The lowest WAL segment some remote-write queue still needs
	 * (remote_sender_lowest_segment), INT32_MAX when none; NULL = none. */
	int (*lowest_segment)(void *ctx);
	void *lowest_segment_ctx;
	/* Called after each commit that logged something (remote_sender_notify). NULL = none. */
	void (*notify)(void *ctx);
	void *notify_ctx;
	/* Refs dropped by truncation (ascending, borrowed for the call), so that
	 * ref holders (scrape caches) forget them. NULL = none. */
	void (*series_removed)(void *ctx, const uint64_t *refs, size_t n);
	void *series_removed_ctx;
	/* The clock (Unix ms) truncation measures ages with; NULL = real time. */
	int64_t (*now_ms)(void);
} agent_opts;

typedef struct agent_stats {
	int64_t active_series;      /* prometheus_agent_active_series */
	int64_t deleted_series;     /* prometheus_agent_deleted_series (kept for the WAL) */
	int64_t samples_appended;   /* prometheus_agent_samples_appended_total{type="float"} */
	int64_t out_of_order;       /* prometheus_agent_out_of_order_samples_total */
	int64_t corruptions;        /* prometheus_agent_corruptions_total */
	double replay_seconds;      /* prometheus_agent_data_replay_duration_seconds */
	int64_t truncations;        /* count of prometheus_agent_truncate_duration_seconds */
	double truncate_seconds;    /* its sum */
	int64_t checkpoint_creations, checkpoint_creations_failed; /* prometheus_agent_checkpoint_creations_* */
	int64_t checkpoint_deletions, checkpoint_deletions_failed; /* prometheus_agent_checkpoint_deletions_* */
	int64_t wal_first, wal_last; /* segment range on disk (after the last truncation) */
} agent_stats;

/* Create dir (and dir/wal) if needed, lock it, replay the WAL, open a new
 * segment and start the truncation thread. NULL on error (e says why). */
agent_db *agent_open(const char *dir, const agent_opts *o, err *e);
/* Stop the truncation thread, close the WAL cleanly, unlock, free. NULL is fine. */
void agent_close(agent_db *a);
/* A new appender (tsdb/storage.h); NULL when out of memory. */
appender *agent_appender(agent_db *a);
/* A queryable whose querier fails with "unsupported operation with
 * WAL-only storage" (FL_EUNSUPPORTED), as the agent DB's Querier. */
queryable *agent_queryable(agent_db *a);
/* One truncation now (what the thread runs every truncate_frequency). */
int agent_truncate(agent_db *a, err *e);
void agent_get_stats(agent_db *a, agent_stats *s);
/* prometheus_agent_* and the WAL's prometheus_tsdb_wal_* in the text
 * format, appended to out (flint's /metrics in agent mode). */
void agent_metrics(agent_db *a, buf *out);
/* <dir>/wal */
const char *agent_wal_dir(const agent_db *a);

#endif
