/*
 * db.h - the database: a data directory in Prometheus's layout, tying
 * together the head (with its WAL) and the persisted blocks.
 *
 *   data/<ULID>/{meta.json,index,chunks/,tombstones}   blocks (read today;
 *                                                      written by compaction later)
 *   data/chunks_head/                                  head chunks (later)
 *   data/wal/, data/wal/checkpoint.N/                  write-ahead log
 *   data/lock
 *
 * Opening replays the checkpoint and WAL segments into the head, skipping
 * samples older than the newest block's maxTime; a corrupt tail is repaired
 * (truncated at the first bad record, logged) and never stops the open.
 * Reading merges head and blocks behind the storage seam.
 */
#ifndef FL_DB_H
#define FL_DB_H

#include "tsdb/head.h"
#include "tsdb/storage.h"

typedef struct db_opts {
	bool wal_compression;       /* snappy-compress WAL records (default true) */
	bool read_only;             /* open for reading (flinttool): no lock, no WAL writes */
	int64_t retention_ms;       /* 0 = default 15d (applied with compaction, later) */
	int64_t retention_bytes;    /* 0 = none */
	int64_t chunk_range_ms;     /* head chunk range / block size, default 2h */
	int64_t out_of_order_window_ms; /* 0 = reject out-of-order */
} db_opts;

void db_opts_default(db_opts *o);

typedef struct db db;

/* Open (creating if needed) the data directory. */
db *db_open(const char *dir, const db_opts *o, err *e);
/* Flush and close the WAL cleanly, release the lock. NULL is a no-op. */
void db_close(db *d);

/* A new appender (commit or rollback frees it). */
appender *db_appender(db *d);
/* The queryable over head + blocks (owned by the db). */
queryable *db_queryable(db *d);

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
 * block hard-linked as dir/<ULID>/ and, unless skip_head, the WAL copied as
 * dir/wal/, so that opening dir (flint or Prometheus) yields the same data.
 * Safe while appends go on (db_snapshot.c). 0 or FL_EIO with e naming the
 * path.
 */
int db_snapshot(db *d, const char *dir, bool skip_head, err *e);

/* ---- internal: db.c <-> db_replay.c, db_snapshot.c ---- */
struct head;
struct block;
/* The loaded blocks, by minTime (*n of them); borrowed while d lives. */
struct block *const *db__blocks(const db *d, size_t *n);
typedef struct db_replay_stats {
	int64_t records;       /* WAL records read (checkpoint + segments) */
	int64_t series;        /* series records' entries replayed */
	int64_t samples;       /* samples appended to the head */
	int64_t skipped_old;   /* samples below the min valid time (in a block already) */
	int64_t unknown_refs;  /* samples whose series ref no series record introduced */
	int64_t rejected;      /* out-of-order / duplicate / too old samples dropped */
	int64_t other_records; /* records of types the head does not replay */
	int64_t bad_records;   /* records that passed their CRC but did not decode */
	int64_t corruptions;   /* checkpoint or segment damage that stopped a read */
	int64_t in_mmapped;    /* samples already in an m-mapped head chunk (skipped) */
	int64_t mmapped_chunks; /* chunks_head/ chunks given to their series */
	int64_t mmapped_dropped; /* chunks_head/ chunks of no series, too old or overlapping */
} db_replay_stats;
/* Replay waldir (checkpoint, then segments) into h. Never fails on damage
 * (it is logged and counted); when repair is set a damaged segment is
 * truncated on disk. Returns 0, or FL_ENOMEM / FL_EIO. */
int db__replay_wal(struct head *h, const char *waldir, int64_t min_valid_ms, bool repair, db_replay_stats *st, err *e);

#endif
