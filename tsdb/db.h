/*
 * db.h - the database: a data directory in Prometheus's layout, tying
 * together the head (with its WAL) and the persisted blocks.
 *
 *   data/<ULID>/{meta.json,index,chunks/,tombstones}   blocks (read, retained,
 *                                                      written by compaction: compact.c)
 *   data/chunks_head/                                  head chunks (head_chunks.c)
 *   data/wal/, data/wal/checkpoint.N/                  write-ahead log
 *   data/lock
 *
 * Opening replays the checkpoint and WAL segments into the head, skipping
 * samples older than the newest block's maxTime; a corrupt tail is repaired
 * (truncated at the first bad record, logged) and never stops the open.
 * Reading merges head and blocks behind the storage seam; the block set
 * is swapped by retention and compaction while queriers read (db_blocks.c).
 */
#ifndef FL_DB_H
#define FL_DB_H

#include "tsdb/head.h"
#include "tsdb/storage.h"

typedef struct db_opts {
	bool wal_compression;       /* snappy-compress WAL records (default true) */
	bool read_only;             /* open for reading (flinttool): no lock, no WAL writes */
	int64_t retention_ms;       /* --storage.tsdb.retention.time: blocks whose maxTime is this far
				       behind the newest block's go; 0 = none (default 15d) */
	int64_t retention_bytes;    /* --storage.tsdb.retention.size: blocks + WAL + head chunks; 0 = none */
	int64_t chunk_range_ms;     /* --storage.tsdb.min-block-duration: head chunk range and the
				       level-1 block size, default 2h */
	int64_t max_block_duration_ms; /* --storage.tsdb.max-block-duration; 0 = 10% of retention_ms, at most 31d */
	int64_t maintenance_interval_ms; /* run db_compact this often in a thread (Prometheus: 1m); 0 = no thread */
	int64_t out_of_order_window_ms; /* 0 = reject out-of-order */
	/* Passed on to the head (head_opts.series_removed): ref holders such
	 * as the scrape manager forget removed series. NULL = none. */
	void (*series_removed)(void *ctx, const uint64_t *refs, size_t n);
	void *series_removed_ctx; /* passed to series_removed */
} db_opts;

void db_opts_default(db_opts *o);

/* The block ranges compaction builds (tsdb.ExponentialBlockRanges(min, 10,
 * 3) cut at the max block duration, as cmd/prometheus does): chunk_range_ms
 * x 3^i, the first always kept. Writes at most cap into ranges; returns how
 * many. One range means local compaction is off (both durations 2h). */
size_t db_block_ranges(const db_opts *o, int64_t *ranges, size_t cap);

typedef struct db db;

/* Open (creating if needed) the data directory. */
db *db_open(const char *dir, const db_opts *o, err *e);
/* Flush and close the WAL cleanly, release the lock. NULL is a no-op. */
void db_close(db *d);

/*
 * One maintenance round (the thread's, or a caller's: tests, shutdown):
 * head compaction (while the head spans more than 1.5 block ranges, its
 * oldest range becomes a level-1 block, the head is truncated, the WAL
 * checkpointed), block compaction (compact.c's plan; failures leave the
 * old blocks and are counted), then db_reload. Serialised with other rounds. 0, or the first error (logged by
 * the thread, retried next round).
 */
int db_compact(db *d, err *e);
/* Rescan the directory: load new blocks, drop the parents of compacted
 * ones, apply retention (read-write), swap the block set in. Blocks dropped
 * are deleted once their last querier closes. Call under db_compact's
 * serialisation (it calls this itself). */
int db_reload(db *d, err *e);
/*
 * The WAL side of a head compaction (Prometheus head.truncateWAL): cut a
 * new segment, checkpoint the lower two thirds of the closed segments into
 * wal/checkpoint.N keeping the series for which keep(ctx, ref) holds and
 * samples at or after mint, then delete those segments and older
 * checkpoints. A no-op read-only. Counts
 * prometheus_tsdb_checkpoint_creations(_failed)_total.
 */
int db_truncate_wal(db *d, int64_t mint, bool (*keep)(void *ctx, uint64_t ref), void *ctx, err *e);

/* A new appender (commit or rollback frees it). */
appender *db_appender(db *d);
/* The queryable over head + blocks (owned by the db). */
queryable *db_queryable(db *d);

#define DB_COMPACTION_BUCKETS 14 /* prometheus.ExponentialBuckets(1, 2, 14) */

typedef struct db_stats {
	int64_t head_series;        /* prometheus_tsdb_head_series */
	int64_t head_chunks;        /* prometheus_tsdb_head_chunks */
	int64_t head_samples_appended; /* prometheus_tsdb_head_samples_appended_total */
	int64_t head_min_time, head_max_time; /* ms; head_min_time > head_max_time when empty */
	int64_t blocks_loaded;      /* prometheus_tsdb_blocks_loaded */
	int64_t wal_corruptions;    /* prometheus_tsdb_wal_corruptions_total */
	int64_t wal_segment_current;/* prometheus_tsdb_wal_segment_current */
	int64_t out_of_order_samples; /* prometheus_tsdb_out_of_order_samples_total */
	int64_t replay_ms;          /* time the WAL replay took at open */
	int64_t replay_series;      /* series records' entries replayed at open */
	int64_t replay_samples;     /* samples replayed into the head at open */
	int64_t replay_in_mmapped;  /* WAL samples skipped at open: in an m-mapped head chunk */
	int64_t head_truncations;   /* prometheus_tsdb_head_truncations_total */
	int64_t head_series_removed; /* prometheus_tsdb_head_series_removed_total */
	int64_t min_time, max_time; /* over head and blocks */
	int64_t blocks_bytes;       /* prometheus_tsdb_storage_blocks_bytes */
	int64_t retention_limit_bytes; /* prometheus_tsdb_retention_limit_bytes */
	int64_t time_retentions;    /* prometheus_tsdb_time_retentions_total */
	int64_t size_retentions;    /* prometheus_tsdb_size_retentions_total */
	int64_t compactions;        /* prometheus_tsdb_compactions_total */
	int64_t compactions_failed; /* prometheus_tsdb_compactions_failed_total */
	int64_t compaction_buckets[DB_COMPACTION_BUCKETS]; /* _compaction_duration_seconds, le = 1, 2, 4 ... 8192 s */
	double compaction_seconds;  /* its sum (its count is compactions) */
	int64_t checkpoint_creations; /* prometheus_tsdb_checkpoint_creations_total */
	int64_t checkpoint_creations_failed; /* prometheus_tsdb_checkpoint_creations_failed_total */
	int64_t reloads;            /* prometheus_tsdb_reloads_total */
	int64_t reload_failures;    /* prometheus_tsdb_reloads_failures_total */
	int64_t blocks_failed;      /* flint_tsdb_blocks_load_failures_total: broken blocks skipped */
} db_stats;
void db_get_stats(db *d, db_stats *s);
/* The head's cardinality statistics, top `limit` of each list (see
 * head_cardinality_get: names valid while d lives and a is not reset). */
int db_head_cardinality(db *d, size_t limit, arena *a, head_cardinality *out, err *e);

/* The data directory (borrowed while d lives). */
const char *db_dir(const db *d);
/* Is name a block directory's name (a 26-character ULID)? */
bool db_is_ulid(const char *name);

/*
 * Snapshot into dir (created if absent; normally new and empty): every
 * block hard-linked as dir/<ULID>/ and, unless skip_head, the head written
 * as one more block (Prometheus DB.Snapshot), so that opening dir (flint
 * or Prometheus) yields the same data. Safe while appends go on
 * (db_snapshot.c). 0 or FL_EIO with e naming the path.
 */
int db_snapshot(db *d, const char *dir, bool skip_head, err *e);

/*
 * delete_series (Prometheus DB.Delete; db_delete.c): hide the samples in
 * [mint, maxt] of every series matching ms (n >= 1). Each block
 * overlapping the interval gets tombstones (its tombstones file and
 * meta.json rewritten); the head's get a WAL tombstones record, then
 * in-memory tombstones. Queriers opened afterwards no longer see the data.
 * FL_EINVAL read-only; FL_EIO / FL_ENOMEM with e.
 */
struct matcher;
int db_delete(db *d, int64_t mint, int64_t maxt, const struct matcher *ms, size_t n, err *e);
/*
 * clean_tombstones (Prometheus DB.CleanTombstones): rewrite every block
 * with tombstones without the deleted data, as a new level-1 block whose
 * parent is the old one (compactor.Write), then reload (the old block goes
 * once its readers are done). A block whose data is all deleted is just
 * dropped. Tombstones in the head are left (the head compaction drops the
 * data). 0 or the first error.
 */
int db_clean_tombstones(db *d, err *e);

/* The head's series refs by encoded label bytes (head_refcache), for the
 * remote-write receiver. */
struct refcache *db_refcache(db *d);

/* ---- internal: db.c <-> db_replay.c, db_snapshot.c, db_delete.c, compaction ---- */
/* The head (borrowed while d lives). */
struct head *db__head(db *d);
/* Append one record to the WAL; 0 when read-only is refused by the caller. */
int db__log_record(db *d, const void *rec, size_t len, err *e);
/* Serialise with maintenance (compaction, reload, retention). */
void db__maint_lock(db *d);
void db__maint_unlock(db *d);
struct db_block_set;
/* Make s the current block set (takes the caller's ref); under db__maint_lock. */
void db__blocks_swap(db *d, struct db_block_set *s);
bool db__read_only(const db *d);
struct head;
struct db_block_set;
/* The current block set (db_blocks.h), pinned: db_block_set_release it. */
struct db_block_set *db__blocks_acquire(db *d);
/* For the compaction glue: one compaction took seconds. */
void db__note_compaction(db *d, double seconds);
typedef struct db_replay_stats {
	int64_t records;       /* WAL records read (checkpoint + segments) */
	int64_t series;        /* series records' entries replayed */
	int64_t samples;       /* samples appended to the head */
	int64_t skipped_old;   /* samples below the min valid time (in a block already) */
	int64_t unknown_refs;  /* samples whose series ref no series record introduced */
	int64_t rejected;      /* out-of-order / duplicate / too old samples dropped */
	int64_t tombstones;    /* deleted intervals replayed into the head */
	int64_t other_records; /* records of types the head does not replay */
	int64_t bad_records;   /* records that passed their CRC but did not decode */
	int64_t corruptions;   /* checkpoint or segment damage that stopped a read */
	int64_t in_mmapped;    /* samples already in an m-mapped head chunk (skipped) */
	int64_t mmapped_chunks; /* chunks_head/ chunks given to their series */
	int64_t mmapped_dropped; /* chunks_head/ chunks of no series, too old or overlapping */
} db_replay_stats;
/* Replay waldir (checkpoint, then segments) into h with `workers` threads
 * appending samples (0: one per CPU, at most 8; 1: this thread alone; the
 * head is the same either way). Never fails on damage (it is logged and
 * counted); when repair is set a damaged segment is truncated on disk.
 * Returns 0, or FL_ENOMEM / FL_EIO. */
int db__replay_wal(struct head *h, const char *waldir, int64_t min_valid_ms, bool repair, int workers,
		   db_replay_stats *st, err *e);

#endif
