/*
 * head.h - the in-memory head block (Prometheus tsdb/head.go, head_append.go,
 * head_read.go): the series of the newest ~2h, their postings and their
 * Gorilla XOR chunks, offered through the storage seam (an appender and a
 * queryable).
 *
 * Series refs are sequential from 1 and never reused while the head lives;
 * they are what WAL series and samples records carry. Labels passed in are
 * copied (strings interned); labels handed out are valid while the head
 * (or the querier that returned them) lives.
 *
 * Writes: head_appender() -> appender (storage.h). commit first calls
 * opts.log with the batch (new series, then samples) so the db can write its
 * WAL records; only when that succeeds do the samples become visible, all
 * together. Replay (WAL at open) uses head_replay_series/_sample, which
 * skip the log hook.
 *
 * Validation wording is Prometheus's (storage/interface.go): "out of order
 * sample", "duplicate sample for timestamp ...", "out of bounds".
 */
#ifndef FL_HEAD_H
#define FL_HEAD_H

#include "lib/arena.h"
#include "lib/err.h"
#include "tsdb/labels.h"
#include "tsdb/record.h"
#include "tsdb/storage.h"

typedef struct head head;

/* What a commit asks the log hook to persist, in this order: the WAL's
 * own record types, so the hook encodes them as they are (no copy). All
 * borrowed until the hook returns. */
typedef struct head_log_batch {
	const record_series *series;  /* new series created by the appender */
	size_t n_series;              /* may be 0 */
	const record_sample *samples; /* accepted samples, in append order */
	size_t n_samples;             /* may be 0 */
} head_log_batch;

typedef struct head_opts {
	int64_t chunk_range_ms; /* block/chunk range, 0 = 2h */
	int n_stripes;          /* series hash stripes (power of 2), 0 = 16384 */
	/* Also cut a chunk once its bytes exceed this minus 19 (Prometheus
	 * >= 2.46 uses 1024, chunkenc.MaxBytesPerXORChunk); 0 = no byte limit,
	 * as Prometheus 2.42 which wrote conformance/tsdb's head chunks. */
	int max_chunk_bytes;
	/* Called by commit (and rollback, with series only) before samples are
	 * made visible; a non-zero return fails the commit (samples dropped).
	 * NULL = no log. Runs on the committing thread, may run concurrently
	 * for different appenders. */
	int (*log)(void *ctx, const head_log_batch *b, err *e);
	void *log_ctx; /* passed to log */
	/* Directory of the head-chunk files (Prometheus's <data>/chunks_head),
	 * created if missing; NULL keeps full chunks in memory. Borrowed. */
	const char *chunks_dir;
	bool chunks_read_only; /* read chunks_dir but never write it */
	/* Called by head_truncate with the refs of the series it removed
	 * (ascending; borrowed for the call), no lock held, so that ref
	 * holders (scrape caches, remote write) forget them. NULL = none.
	 * Holders that do not register can compare head_get_stats'
	 * series_removed, a generation counter: a stale ref only costs a
	 * lookup by labels (refs are never reused). */
	void (*series_removed)(void *ctx, const uint64_t *refs, size_t n);
	void *series_removed_ctx; /* passed to series_removed */
} head_opts;

typedef struct head_stats {
	int64_t series;           /* live series */
	int64_t chunks;           /* head chunks (open + closed) */
	int64_t samples_appended; /* samples made visible, total */
	int64_t min_time;         /* ms; INT64_MAX when empty */
	int64_t max_time;         /* ms; INT64_MIN when empty */
	int64_t out_of_order;     /* samples rejected as out of order (append and replay) */
	int64_t out_of_bounds;    /* samples rejected as too old */
	int64_t replay_unknown_refs; /* replayed samples whose series ref was unknown */
	int64_t truncations;      /* prometheus_tsdb_head_truncations_total */
	int64_t series_removed;   /* prometheus_tsdb_head_series_removed_total */
	int64_t chunks_disk_bytes; /* bytes of chunks_head/ files */
} head_stats;

head *head_open(const head_opts *o, err *e);
/* Frees everything. Appenders and queriers must be closed first. NULL is a no-op. */
void head_close(head *h);

/* A new appender (commit or rollback frees it). NULL on OOM. */
appender *head_appender(head *h);
/* Series refs by a sender's encoded label bytes (tsdb/refcache.h), for
 * receivers; cleared whenever series are removed. */
struct refcache *head_refcache(head *h);
/* The queryable over the head (owned by the head). */
queryable *head_queryable(head *h);

/* ---- WAL replay fast paths (no log hook, no isolation) ---- */
/* Create the series with this exact ref. If the label set already exists
 * under another ref, ref becomes an alias of that series (as Prometheus's
 * multiRef on replay). Later refs given out are above every replayed ref. */
int head_replay_series(head *h, uint64_t ref, labels ls, err *e);
/* The same; *mm_maxt becomes the max time of the m-mapped chunks a series
 * created now was given (its WAL samples at or before it are in them), or
 * INT64_MIN (no chunks, or ref named a known series or became an alias). */
int head_replay_series_mm(head *h, uint64_t ref, labels ls, int64_t *mm_maxt, err *e);
/* Append a sample to ref: 0 if appended; FL_ENOTFOUND for an unknown ref,
 * FL_EOUT_OF_ORDER / FL_ETOO_OLD when rejected (counted in stats, skipped).
 * A sample equal to the last one (t and value bits) is a no-op returning 0. */
int head_replay_sample(head *h, uint64_t ref, int64_t t, double v);

/* Parallel replay (db_replay.c, Prometheus head_wal.go loadWAL): one
 * decoding thread looks series up and hands each worker the samples of the
 * series it owns, in WAL order; workers append batches concurrently. Safe
 * while head_replay_series runs (series creation only adds), not with
 * appenders, queriers or truncation: replay appends without series locks. */
struct hseries;
/* The series ref names (an alias gives the series it aliases), lock-free,
 * without touching the series' memory; NULL when no series record
 * introduced ref (counted in head_stats.replay_unknown_refs). Valid while h
 * lives (nothing is garbage-collected during replay). */
struct hseries *head_replay_lookup(head *h, uint64_t ref);
typedef struct head_replay_item {
	struct hseries *s; /* from head_replay_lookup */
	int64_t t;         /* ms */
	double v;          /* value */
} head_replay_item;
typedef struct head_replay_counts {
	int64_t samples;    /* appended */
	int64_t in_mmapped; /* at or before the series' last m-mapped chunk: skipped */
	int64_t rejected;   /* out of order, duplicate or too old: dropped */
} head_replay_counts;
/* Append v[0..n) as head_replay_sample would, one after the other (the
 * caller keeps each series' samples in WAL order and gives a series to one
 * thread at a time); adds to *c. 0, or FL_ENOMEM (the rest not appended). */
int head_replay_append(head *h, const head_replay_item *v, size_t n, head_replay_counts *c);

/* ---- replay of chunks_head/ (Prometheus head.go loadMmappedChunks) ---- */
#define HEAD_REPLAY_IN_MMAPPED 2 /* head_replay_sample: sample already in an m-mapped chunk */
typedef struct head_mmap_stats {
	int64_t found;    /* chunks in the files */
	int64_t attached; /* chunks given to their series */
	int64_t dropped;  /* chunks of no series, too old, out of order, or not XOR */
} head_mmap_stats;
/* Before WAL replay (after head_set_min_valid_time): read every chunk of
 * the head-chunk files. head_replay_series then gives a new series the
 * chunks of its ref, and head_replay_sample skips (returning
 * HEAD_REPLAY_IN_MMAPPED) samples at or before its last such chunk. A
 * series whose chunks overlap gets none of them (the WAL has the samples).
 * 0 or FL_ENOMEM. */
int head_replay_mmapped_begin(head *h, err *e);
/* After WAL replay: forget the chunks no series took; fills st. */
void head_replay_mmapped_end(head *h, head_mmap_stats *st);

/* ---- cardinality statistics (/api/v1/status/tsdb; head_stats.c) ---- */
typedef struct head_card_stat {
	const char *name; /* label name, metric name or "name=value"; borrowed (see below) */
	uint64_t value;   /* count or bytes */
} head_card_stat;

typedef struct head_card_list {
	head_card_stat *v; /* count desc, ties by name asc; from the arena */
	size_t n;          /* at most the limit asked for */
} head_card_list;

/* Prometheus's TSDB status (tsdb/head.go Stats, index/postings.go
 * MemPostings.Stats), computed from the postings, not from the series. */
typedef struct head_cardinality {
	int64_t num_series;      /* headStats.numSeries */
	int64_t num_label_pairs; /* headStats.numLabelPairs: distinct name=value pairs */
	int64_t chunk_count;     /* headStats.chunkCount */
	int64_t min_time;        /* headStats.minTime, INT64_MAX when empty */
	int64_t max_time;        /* headStats.maxTime, INT64_MIN when empty */
	head_card_list by_metric;      /* seriesCountByMetricName: postings length of __name__=v */
	head_card_list values_by_name; /* labelValueCountByLabelName: values of a name */
	head_card_list bytes_by_name;  /* memoryInBytesByLabelName: bytes of a name's values (2.42: each value once) */
	head_card_list by_pair;        /* seriesCountByLabelValuePair: postings length of name=value */
} head_cardinality;

/* Fill out with the top `limit` (>= 1) entries of each list. Names are
 * borrowed from the head (valid while it lives) or allocated from a
 * (valid until a is reset). 0 or FL_ENOMEM. Concurrent appends may or may
 * not be counted. */
int head_cardinality_get(head *h, size_t limit, arena *a, head_cardinality *out, err *e);

/* Samples below t are dropped on replay and rejected on append ("out of
 * bounds"): the db sets it to the newest block's max time. */
void head_set_min_valid_time(head *h, int64_t t);
void head_get_stats(head *h, head_stats *s);
/* Give the heap pages that freed open-chunk buffers left behind back to
 * the system (glibc's malloc_trim), when chunks were cut since the last
 * call. A cut frees the open chunk's buffer when it is largest, and series
 * that share a scrape interval cut at about the same moment, so without it
 * RSS stays at the open chunks' high-water mark (bench_head phase 5: 866
 * B/series; after: ~540). Walks the heap holding malloc's arena locks:
 * for a maintenance loop (db.c runs it every round), not the append path.
 * Returns true when it trimmed. */
bool head_release_memory(head *h);

/* Drop every chunk whose samples are all older than mint (after compaction
 * wrote them into a block), as Prometheus's truncateMemory; raises the min
 * valid time and the head's min time to mint. Waits until the queriers that
 * may read below mint are closed; queriers opened later start at mint.
 * Head-chunk files nothing needs any more are deleted. Series left with no
 * samples (and none pending in an appender) are removed - from the series
 * tables and the postings - and reported through opts.series_removed;
 * their memory is freed once no appender or querier open before can hold
 * them (waiting up to a second, else at a later truncation). Returns the
 * number of series removed. Not concurrent with itself. */
int64_t head_truncate(head *h, int64_t mint);
/* Is ref a live series (the WAL checkpoint keeps its series record)? */
bool head_series_alive(head *h, uint64_t ref);

/* ---- deletion (head_tombstones.c; Prometheus Head.Delete) ---- */
struct tomb;
/* The intervals delete_series writes for the head: for each series
 * matching ms (n >= 1) with samples, [mint, maxt] clamped to its first and
 * last sample (none when they do not overlap). *out is fl_malloc'd (NULL
 * when *n_out is 0), sorted by ref. 0 or FL_ENOMEM. */
int head_delete_intervals(head *h, int64_t mint, int64_t maxt, const matcher *ms, size_t n, struct tomb **out,
			  size_t *n_out, err *e);
/* Make v[0..n) deleted (once the WAL holds them, or on replay): merged
 * into the head's tombstones; queriers opened afterwards no longer see the
 * samples, nor a series with no chunk left outside them. Refs replayed as
 * aliases resolve to their series; unknown refs and intervals wholly below
 * the min valid time are skipped (counted in *skipped, may be NULL).
 * Serialised by the caller. 0 or FL_ENOMEM. */
int head_add_tombstones(head *h, const struct tomb *v, size_t n, int64_t *skipped, err *e);
/* Series with tombstones and their intervals (for tests and /metrics). */
void head_tombstones_count(head *h, int64_t *series, int64_t *intervals);

/* ---- iteration for head compaction / dump ---- */
typedef struct head_chunk_meta {
	int64_t mint;      /* first sample time */
	int64_t maxt;      /* last sample time */
	const uint8_t *b;  /* XOR chunk bytes (count header + stream); borrowed */
	size_t len;        /* byte length */
} head_chunk_meta;

/* Call fn for every series with samples, in ref order, with its chunks
 * (oldest first; the open chunk is a stable copy). Stops and returns fn's
 * value when it is non-zero. Must not run concurrently with appends. */
int head_for_each_series(head *h,
			 int (*fn)(void *ctx, uint64_t ref, labels ls, const head_chunk_meta *chunks, size_t n),
			 void *ctx);

#endif
