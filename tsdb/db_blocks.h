/*
 * db_blocks.h - the db's set of loaded blocks: immutable, reference-counted
 * snapshots swapped under a lock (internal to tsdb/db*.c; see db_blocks.c).
 */
#ifndef FL_DB_BLOCKS_H
#define FL_DB_BLOCKS_H

#include "tsdb/block.h"

#include <pthread.h>
#include <stdatomic.h>

#define DB_TMP_FOR_CREATION ".tmp-for-creation"
#define DB_TMP_FOR_DELETION ".tmp-for-deletion"

/* One loaded block, shared by every set that holds it. */
typedef struct db_block {
	block *b;           /* the open block, owned */
	int64_t size_bytes; /* bytes on disk (Prometheus Block.Size) */
	atomic_long refs;   /* one per set holding it, one per querier pin */
	atomic_bool doomed; /* dropped from the db: at the last unref its directory is deleted */
} db_block;

/* An immutable snapshot of the loaded blocks. */
typedef struct db_block_set {
	atomic_long refs;  /* the db's (while current) + one per acquirer */
	size_t n;          /* blocks */
	int64_t bytes;     /* sum of their size_bytes (prometheus_tsdb_storage_blocks_bytes) */
	int64_t max_time;  /* newest maxTime (exclusive), INT64_MIN when empty */
	db_block *v[];     /* by minTime, then ULID; each holds one ref */
} db_block_set;

/* The current set. Writers (reload, retention, compaction) are serialised
 * by the caller (db.c's maint_mu); readers only acquire. */
typedef struct db_blocks {
	pthread_mutex_t mu; /* guards cur: swap and acquire */
	db_block_set *cur;  /* never NULL between init and destroy */
} db_blocks;

/* Wrap an open block (takes ownership of b); refs start at 0. NULL on OOM
 * (b is then closed). */
db_block *db_block_new(block *b);
void db_block_ref(db_block *x);
/* Drop a ref; at zero the block is closed and, when doomed, its directory
 * renamed to <dir>.tmp-for-deletion and removed. */
void db_block_unref(db_block *x);

/* A new set of v[0..n) (sorted here; a ref taken on each) with refs 1.
 * NULL on OOM. */
db_block_set *db_block_set_new(db_block *const *v, size_t n);
void db_block_set_release(db_block_set *s);

int db_blocks_init(db_blocks *bs, err *e);
/* Release the current set (blocks are closed, not deleted, unless doomed). */
void db_blocks_destroy(db_blocks *bs);
/* The current set with a ref for the caller (release it). Never NULL. */
db_block_set *db_blocks_acquire(db_blocks *bs);
/* Make s current (takes the caller's ref on s); the old set is released. */
void db_blocks_swap(db_blocks *bs, db_block_set *s);
/* A new set (refs 1) of s's blocks without those del[i] marks (indexed as
 * s->v); the dropped blocks are marked doomed: deleted at their last
 * unref, once the caller has swapped the new set in and every reader of
 * the old one is done. NULL on OOM (nothing marked). */
db_block_set *db_block_set_without(const db_block_set *s, const bool *del);

/*
 * Load the blocks of dir (tsdb/db.go openBlocks + the cleanup of
 * reloadBlocks). At open (reuse NULL) and read-write, first remove leftover
 * <ULID>.tmp-for-creation, .tmp-for-deletion and .tmp directories. Then
 * every <ULID>/ holding meta.json is opened, or taken from reuse when it
 * is there (a reload after compaction). A block another loaded block names
 * as a parent is left out and (read-write) deleted. A block that fails to
 * open is skipped, logged and counted in *failed (Prometheus refuses to
 * start instead), unless it is such a parent. *out gets the set (refs 1).
 * 0, or FL_ENOMEM / FL_EIO.
 */
int db_blocks_load(const char *dir, bool read_only, const db_block_set *reuse, db_block_set **out, int64_t *failed,
		   err *e);

/* Rename path to path.tmp-for-deletion and remove it (as Prometheus's
 * deleteBlocks does, so a crash never leaves half a block that loads). */
int db_blocks_delete_dir(const char *path, err *e);

/* Which retention hit (tsdb/db.go deletableBlocks). */
typedef struct db_retention {
	bool time;   /* BeyondTimeRetention deleted something */
	bool size;   /* BeyondSizeRetention deleted something */
	size_t n;    /* blocks marked */
} db_retention;

/*
 * Mark in del[] (indexed as s->v, cleared here) the blocks beyond the
 * retention (tsdb/db.go BeyondTimeRetention, BeyondSizeRetention): with
 * blocks ordered newest maxTime first, time retention drops every block
 * from the first one (not the newest) whose maxTime is more than
 * retention_ms behind the newest maxTime; size retention starts a total at
 * head_bytes (WAL + head chunks), adds block sizes in that order and drops
 * every block from the one that takes it past max_bytes. 0 disables
 * either. FL_ENOMEM, or 0.
 */
int db_blocks_retention(const db_block_set *s, int64_t retention_ms, int64_t max_bytes, int64_t head_bytes, bool *del,
			db_retention *r, err *e);

#endif
