/*
 * write_int.h - what the files of the remote-write sender share
 * (write.c: the sender, its queues by config hash, positions, metrics;
 * watcher.c: tailing <data>/wal; queue.c: series cache, shards, batches,
 * HTTP and retries; metadata_send.c: metadata_config's thread per queue,
 * which posts through queue_send.c's rw__post). Not a public header: the
 * SQLite btreeInt.h pattern.
 *
 * Threads of one queue: its watcher thread (reads the WAL, relabels
 * series, appends samples to the shards, reshards, writes the position
 * file) and one thread per shard (cuts batches, encodes, POSTs, retries).
 * A shard's ring is appended to by the watcher only and popped by its
 * thread only, both under the shard's mutex; the entries a shard is
 * sending stay in its ring until acknowledged (or dropped), so the lowest
 * pending entry of all shards is the position a restart resumes from.
 */
#ifndef FL_REMOTE_WRITE_INT_H
#define FL_REMOTE_WRITE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <curl/curl.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "remote/codec.h"
#include "remote/write.h"
#include "tsdb/record.h"

/* A WAL position: a record is "after" it when it is in a later segment,
 * or in seg at an offset > off (skip) or >= off (!skip); with !skip, the
 * samples of the record at off count from index idx. */
typedef struct rw_pos {
	int seg;
	int64_t off;
	bool skip;
	int32_t idx;
} rw_pos;

/* Shards whose positions the position file keeps (more: the lowest only). */
#define RW_POS_SHARDS 64

/* Is the record at (seg, off) at or after p? */
bool rw_pos_reached(rw_pos p, int seg, int64_t off);
/* Is a strictly before b? (queue.c) */
bool rw_pos_before(rw_pos a, rw_pos b);

/* ---- watcher.c: Prometheus's wlog.Watcher over a directory ---- */

typedef struct wal_watcher_sink {
	void *ctx;
	/* Series seen in segment seg (a checkpoint's index for its series). */
	void (*series)(void *ctx, const record_series *s, size_t n, int seg);
	/* Samples of the record at `at` (to send). Returns false to stop
	 * (shutting down): the record is not consumed. */
	bool (*samples)(void *ctx, const record_sample *s, size_t n, rw_pos at);
	/* A checkpoint with this index was read: forget series last seen in
	 * an older segment (Prometheus's SeriesReset). */
	void (*reset)(void *ctx, int checkpoint_index);
} wal_watcher_sink;

typedef struct wal_watcher {
	char dir[1024];        /* <data>/wal */
	wal_watcher_sink sink;
	rw_pos cur;            /* the last record consumed (skip) or where to start */
	rw_pos send_from;      /* samples of records before it are not sent (resume point) */
	int checkpoint;        /* index of the checkpoint last read, -1 none */
	bool started;          /* checkpoint and earlier segments read */
	size_t chunk;          /* bytes read per step (doubles for a record bigger than it) */
	buf seg;               /* bytes of the segment being tailed, from a page boundary */
	arena a;               /* decoded records (reset per record) */
	/* prometheus_wal_watcher_* */
	_Atomic int64_t records_read[11]; /* by record type (0 unknown) */
	_Atomic int64_t decode_failures;
	_Atomic int64_t current_segment;
	_Atomic int64_t samples_pre_tailing;
} wal_watcher;

/* from: the resume position (segment < 0: the end of the WAL now). */
void wal_watcher_init(wal_watcher *w, const char *wal_dir, rw_pos from, const wal_watcher_sink *sink);
/* Read what is there. Returns 1 when records were consumed, 0 when
 * nothing new (call again later), -1 when the sink said stop. */
int wal_watcher_step(wal_watcher *w);
void wal_watcher_free(wal_watcher *w);
/* The end of the WAL in dir now (the last record of the last segment,
 * skip), for a queue that has no position yet. */
rw_pos wal_watcher_end(const char *wal_dir);

/* ---- queue.c: one remote_write entry ---- */

/* A series as the queue sends it: labels after external labels and
 * write_relabel_configs, in one block after the struct (rw_ent_new), in
 * the form its requests copy: for a 1.0 queue the Label fields, encoded
 * once; for a 2.0 queue its symbols (name, value per label) with their
 * lengths and hashes, for the request's symbol table. The samples queued
 * for it point to it: one that leaves the cache is freed once the shards
 * have popped them (queue.c's graveyard), so a sample costs no reference
 * count. */
typedef struct rw_sym {
	const char *s;       /* in the block */
	uint32_t len;
	uint32_t hash;
} rw_sym;

typedef struct rw_series_ent {
	int seg;             /* segment it was last seen in */
	uint32_t group;      /* its series' index in the batch `batch` (rw_batch_encode) */
	uint64_t batch;      /* the last batch that grouped it: a series is in one shard at a time */
	uint64_t in_hash;    /* a hash of its labels in the WAL (seen again: unchanged?) */
	uint32_t pb_len;     /* 1.0: bytes of the Label fields after the struct */
	uint32_t n_syms;     /* 2.0: symbols after the struct (2 per label) */
} rw_series_ent;

/* The 1.0 Label fields, or the 2.0 symbols, of s. */
static inline const uint8_t *rw_ent_pb(const rw_series_ent *s) { return (const uint8_t *)(s + 1); }
static inline const rw_sym *rw_ent_syms(const rw_series_ent *s) { return (const rw_sym *)(s + 1); }

typedef struct rw_entry {
	rw_series_ent *s;
	int64_t t;
	double v;
	int seg;             /* the WAL record it came from */
	int32_t idx;         /* its index there */
	int64_t off;
} rw_entry;

/* ---- queue_encode.c: a batch as a request body ---- */

/* A series entry for ls in a queue of version v (seg, in_hash 0), one
 * fl_malloc'd block; NULL when out of memory. */
rw_series_ent *rw_ent_new(labels ls, rw_version v);
/* Bytes of ls as 1.0 TimeSeries.labels fields (field 1, one per label). */
size_t rw_labels_pb_size(labels ls);
/* Write them at p (rw_labels_pb_size bytes); returns the end. */
uint8_t *rw_labels_pb_put(uint8_t *p, labels ls);
/* Append the protobuf request of ents (any order) to pb: one series per
 * distinct series, in order of first appearance, each with its samples in
 * the order of ents. batch: a number no earlier call used (it marks the
 * series). *highest: the highest timestamp. 0, or FL_ENOMEM. */
int rw_batch_encode(rw_version v, rw_entry **ents, size_t n, uint64_t batch, arena *a, buf *pb, int64_t *highest);

typedef struct rw_queue rw_queue;
typedef struct rw_cfg_hold rw_cfg_hold;
/* write.c: drop one reference to the shared config copy. */
void rw__cfg_release(rw_cfg_hold *h);

typedef struct rw_shard {
	rw_queue *q;
	int index;
	pthread_t th;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cond;     /* entries added, or flush/stop */
	pthread_cond_t space;    /* entries popped */
	rw_entry *ring;          /* capacity entries */
	size_t head, count;
	uint64_t pushed, popped; /* entries ever appended and removed (the graveyard's clock) */
	int64_t batch_start_ms;  /* monotonic ms when the oldest unbatched entry came */
	bool stop;               /* exit after the current batch */
	CURL *curl;
	buf pb, body, resp;      /* scratch */
	arena a;                 /* batch scratch */
} rw_shard;

/* Counters of one queue, Prometheus's prometheus_remote_storage_* */
typedef struct rw_queue_stats {
	_Atomic int64_t samples_total, failed, retried, dropped_too_old, dropped_series, dropped_unknown;
	_Atomic int64_t bytes_total, enqueue_retries, unconfirmed;
	_Atomic int64_t highest_ts_ms, highest_sent_ts_ms;
	_Atomic int64_t batch_count;   /* sent_batch_duration_seconds */
	_Atomic int64_t batch_us_sum;
	_Atomic int64_t batch_buckets[15];
	_Atomic int64_t shards_desired_milli;
	/* metadata_send.c: prometheus_remote_storage_metadata_* (entries, bytes) */
	_Atomic int64_t meta_total, meta_failed, meta_retried, meta_bytes;
} rw_queue_stats;

struct rw_queue {
	char hash[33];             /* md5 hex of the entry's config (and external labels) */
	char name[64];             /* remote_name: the entry's name or hash[:6] */
	uint8_t secrets_sum[16];   /* md5 of the entry's secrets (write.c) */
	const scrape_remote_config *cfg; /* in hold's config */
	rw_cfg_hold *hold;         /* the sender's copy of the config, shared */
	struct sigv4_signer *signer; /* cfg->sigv4's, or NULL */
	labels ext;                /* external labels (in hold's config) */
	char pos_path[1100];       /* <data>/remote_write/<hash>.pos */
	int pos_fd;                /* open on it once written, -1 before */
	rw_version version;
	int64_t flush_deadline_ms;

	wal_watcher w;
	pthread_t th;              /* the watcher thread */
	bool started;              /* th runs */
	map series;                /* ref -> rw_series_ent* (watcher thread only) */
	struct rw_grave *grave, *grave_tail; /* series out of the cache, maybe still queued (watcher) */
	bool grave_open;           /* grave_tail takes more (the same callback buried them) */
	labels_builder lb, rb;     /* external labels, relabeling */
	arena relabel_scratch;

	pthread_mutex_t shards_mu; /* n_shards and the shards, vs. a reshard (metrics) */
	rw_shard *shards;          /* max_shards structs */
	int n_shards;              /* running */
	_Atomic bool stopping;     /* watcher: read no further, exit */
	_Atomic bool flushing;     /* shards: send partial batches now */
	_Atomic bool abort_sends;  /* shards: give up in-flight sends */
	pthread_mutex_t mu;        /* wakeup of the watcher */
	pthread_cond_t wake;
	bool notified;
	rw_pos acked;              /* last position written to the file */
	rw_pos mid;                /* the record being enqueued and its next sample (seg -1: none) */
	char last_pos_text[1024];  /* what the position file holds */
	/* the last run's shards (position file): each one's first sample not
	 * acknowledged; samples before it, bound for it (ref % resume_n), were
	 * sent and are skipped until resume_end */
	int resume_n;
	rw_pos resume[RW_POS_SHARDS];
	rw_pos resume_end;
	_Atomic bool pos_dirty;    /* a batch was acknowledged: write the position now */
	_Atomic int lowest_segment;

	/* resharding (Prometheus's ewma rates, ticked every 10 s) */
	_Atomic int64_t data_in, data_out, data_out_us, data_dropped;
	double rate_in, rate_out, rate_out_us, rate_dropped;
	bool rates_init;
	int64_t last_reshard_tick_ms;
	_Atomic int64_t last_send_ok_ms;

	_Atomic uint64_t batches;  /* numbers rw_batch_encode's calls */
	rw_queue_stats st;
	struct rw_meta *meta;      /* metadata_send.c's sender, or NULL (write.c starts and stops it) */
};

/* queue.c */
#include <time.h>
/* Milliseconds of a clock (CLOCK_MONOTONIC for waits, CLOCK_REALTIME for
 * sample ages and Retry-After dates). */
int64_t rw__clock_ms(clockid_t clk);
static inline int64_t rw__mono_ms(void) { return rw__clock_ms(CLOCK_MONOTONIC); }
/* Wait on cond (with mu held) at most ms. */
void rw__cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mu, int64_t ms);
int rw__shards_start(rw_queue *q, int n, err *e);
/* Write the position file (shards stopped or locked out). */
void rw__write_pos(rw_queue *q);
void rw__shards_stop(rw_queue *q);
rw_queue *rw_queue_new(const scrape_remote_config *cfg, const char *hash, const char *data_dir, labels ext,
		       int64_t flush_deadline_ms, err *e);
int rw_queue_start(rw_queue *q, err *e);
/* Flush up to the deadline, stop, write the position, free. */
void rw_queue_free(rw_queue *q);
void rw_queue_notify(rw_queue *q);
/* Samples in the shards (any thread). */
int64_t rw_queue_pending(rw_queue *q);

/* Prometheus's calculateDesiredShards from the ticked rates: the number
 * of shards to run (cur when within the 30% tolerance). Pure: tested. */
int rw_desired_shards(int cur, int min_shards, int max_shards, double rate_in, double rate_out, double rate_dropped,
		      double out_seconds_per_second, double delay_seconds, double *desired);
/* The next backoff after a failed attempt: min(2 x cur, max). */
int64_t rw_next_backoff(int64_t cur_ms, int64_t max_ms);
/* How long to wait before a retry: the receiver's Retry-After (capped at
 * an hour) when it gave one, else the current backoff. */
int64_t rw_retry_wait_ms(int64_t retry_after_ms, int64_t backoff_ms);
/* Retry-After as seconds or an HTTP date: ms to wait, 0 when absent/bad. */
int64_t rw_retry_after_ms(const char *v, int64_t now_unix_ms);
/* What a receiver's response headers say (Prometheus's
 * ParseWriteResponseStats, and Retry-After). */
typedef struct rw_resp {
	bool confirmed;          /* an X-Prometheus-Remote-Write-*-Written header came */
	int64_t written;         /* samples + histograms + exemplars written */
	int64_t retry_after_ms;  /* 0: none */
} rw_resp;
/* One header line as libcurl hands it (not NUL-terminated; a status line
 * starts a new response and clears r). */
void rw_response_header(const char *p, size_t n, int64_t now_unix_ms, rw_resp *r);
/* Parse a position file's text: its first line. */
int rw_pos_parse(const char *s, rw_pos *p);
/* The whole file: the first line, then "shards N" and one line per shard
 * (at most RW_POS_SHARDS; *n 0 when absent or bad). */
int rw_pos_file_parse(const char *s, rw_pos *p, rw_pos *shard, int *n);
void rw_pos_file_format(char *out, size_t cap, rw_pos p, const rw_pos *shard, int n);
/* round_robin_dns: resolve the URL's host and pick one of its addresses at
 * random (pick(n) gives an index below n), as libcurl's CURLOPT_CONNECT_TO
 * entry "host:port:addr:port" in out; false when the host is an IP literal,
 * does not resolve or the entry does not fit: then libcurl resolves as usual. */
bool rw_round_robin_target(const char *url, long (*pick)(long n), char *out, size_t cap);

/* queue_send.c's hook for metadata_send.c: one POST of body (snappy) for
 * sh's queue on sh's curl handle and scratch, observed in
 * sent_batch_duration_seconds; abort gives up the transfer. 0 sent, 1 to
 * retry (*retry_after_ms from the response, 0 none), 2 failed for good,
 * -1 aborted; why says what went wrong. */
int rw__post(rw_shard *sh, const buf *body, _Atomic bool *abort, int64_t *retry_after_ms, char *why, size_t why_len);

/* ---- metadata_send.c: metadata_config (Prometheus's MetadataWatcher) ---- */

/* Where the metadata comes from (the sender's opts), behind a mutex that
 * remote_sender_metadata_source takes to change it. */
typedef struct rw_meta_source {
	pthread_mutex_t mu;
	remote_metadata_fn fn; /* or NULL: nothing to send */
	void *ctx;
} rw_meta_source;

/* Start q's metadata sender when its entry sends metadata (1.0 only: a
 * 2.0 entry logs Prometheus's warning and sends none). 0 or an error. */
int rw_meta_start(rw_queue *q, rw_meta_source *src, err *e);
/* Stop it: no new round; the round in flight may finish within the
 * queue's flush deadline, then its send is aborted. NULL meta is fine. */
void rw_meta_stop(rw_queue *q);
/* Prometheus's collect: the distinct (family, type, help, unit) of tm, in
 * a, sorted. The count. */
size_t rw_meta_dedup(const scrape_target_metadata *tm, size_t n, arena *a, rw_metadata **out);
/* One round: send md in 1.0 WriteRequests of at most
 * metadata_config.max_samples_per_send entries each, with the queue's
 * retries and backoff, counting in q->st.meta_*. -1 when aborted. */
int rw_meta_send(struct rw_meta *m, const rw_metadata *md, size_t n);

#endif
