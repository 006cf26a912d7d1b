/*
 * compact.h - block compaction (Prometheus tsdb/compact.go LeveledCompactor):
 * planning which blocks to merge, and writing a block from any querier
 * (the live head's over a range, or several blocks' merged).
 */
#ifndef FL_COMPACT_H
#define FL_COMPACT_H

#include "tsdb/block.h"
#include "tsdb/storage.h"

/*
 * Write every series q selects in [mint, maxt) as one block in dir, with
 * meta minTime mint and maxTime maxt (exclusive) and c's compaction
 * section (NULL: level 1). Series come in label order through the chunk
 * view (series_set_chunks): stored chunks pass through as they are,
 * chunks cut by the range or by tombstones are re-encoded, overlapping
 * ones (several blocks) merged. q must have been opened over at least
 * [mint, maxt - 1]; it is not closed here. Written as <ulid>.tmp-for-creation
 * and renamed (block_writer). FL_ENOTFOUND ("no series") when nothing is
 * in range (no block written); else 0 or the error, nothing left behind.
 */
int compact_write(querier *q, const char *dir, int64_t mint, int64_t maxt, const block_compaction *c, block_meta *out,
		  err *e);

/*
 * Compact blocks bs[0..n) (n >= 1) into one new block in dir: their series
 * merged in label order, overlapping chunks merged (vertical compaction),
 * tombstoned samples dropped; meta.json's compaction as Prometheus's
 * CompactBlockMetas (level + 1, sources unioned, the inputs as parents)
 * and the first block's unknown meta.json members kept. Loading the new
 * block makes the db delete the inputs (they are its parents).
 * FL_ENOTFOUND when nothing is left (every sample deleted): no block is
 * written and the caller deletes the inputs itself, as Prometheus marks
 * them deletable. The blocks must stay open for the call.
 */
int compact_blocks(block *const *bs, size_t n, const char *dir, block_meta *out, err *e);

/* Rewrite one block without its tombstoned data (clean_tombstones):
 * compact_blocks of just b. */
int compact_rewrite_block(block *b, const char *dir, block_meta *out, err *e);

/* What compact_plan looks at of each block. */
typedef struct compact_block_info {
	int64_t min_time, max_time; /* meta.json (max exclusive) */
	uint64_t num_series;        /* stats.numSeries */
	uint64_t num_tombstones;    /* stats.numTombstones */
} compact_block_info;

/*
 * Prometheus's LeveledCompactor.Plan over blocks b[0..n) sorted by
 * min_time, with ranges[0..n_ranges) from db_block_ranges: the first run
 * of overlapping blocks (vertical compaction); else, leaving out the
 * newest block, the first group of the smallest range above ranges[0]
 * that fills its aligned range or lies wholly before the newest block
 * left;
 * else one big enough block with more than 5% of its series tombstoned
 * (or all of it). Writes indices into b to out (room for n) and returns
 * how many; 0 = nothing to do.
 */
size_t compact_plan(const compact_block_info *b, size_t n, const int64_t *ranges, size_t n_ranges, size_t *out);

#endif
