/*
 * block.h - a persisted block directory (Prometheus tsdb/block.go):
 *
 *   <dir>/meta.json     BlockMeta: ulid, minTime, maxTime (exclusive), stats,
 *                       compaction {level, sources, parents}, version 1
 *   <dir>/index         index v2 (index.h)
 *   <dir>/chunks/NNNNNN chunk segments (chunks.h)
 *   <dir>/tombstones    deleted intervals (magic 0x0130BA30, version 1,
 *                       {series ref uvarint, mint varint, maxt varint}*,
 *                       CRC32C of everything after magic and version;
 *                       a missing file means none)
 *
 * A block is read-only once open; any number of queriers (one per thread)
 * may be open on it at once. Close every querier before block_close.
 */
#ifndef FL_BLOCK_H
#define FL_BLOCK_H

#include "lib/err.h"
#include "tsdb/chunks.h"
#include "tsdb/index.h"
#include "tsdb/storage.h"

typedef struct block block;

typedef struct block_ulid {
	char s[27]; /* 26-character ULID, NUL-terminated */
} block_ulid;

typedef struct block_meta {
	char ulid[32];        /* 26-character ULID, NUL-terminated */
	int64_t min_time;     /* first sample time */
	int64_t max_time;     /* exclusive: last sample time + 1 */
	uint64_t num_samples; /* stats.numSamples */
	uint64_t num_series;  /* stats.numSeries */
	uint64_t num_chunks;  /* stats.numChunks */
	uint64_t num_tombstones; /* stats.numTombstones */
	int level;            /* compaction.level */
	int version;          /* meta format version (1) */
} block_meta;

/* Open the block at dir (copied). NULL with e set on failure. */
block *block_open(const char *dir, err *e);
void block_close(block *b);
const block_meta *block_meta_get(const block *b);
const char *block_dir(const block *b);
/* The queryable over this block (borrowed until block_close). Its
 * queriers clip samples to [mint, maxt] and honour tombstones. */
queryable *block_queryable(block *b);
/* The block's readers (borrowed until block_close), for tools. */
index_reader *block_index(block *b);
chunks_reader *block_chunks(block *b);

/* The ULIDs of the blocks this one was compacted from (meta.json
 * compaction.parents; borrowed until block_close). */
const block_ulid *block_parents(const block *b, size_t *n);

/* Parse meta.json text; 0 or FL_ECORRUPT naming the field. */
int block_meta_parse(const char *json, size_t len, block_meta *m, err *e);

#endif
