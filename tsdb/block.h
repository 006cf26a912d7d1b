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

#include "lib/buf.h"
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

/* The blocks this one was compacted from (meta.json compaction.parents;
 * borrowed until block_close). The db deletes the parents of a loaded
 * block (tsdb/db.go reloadBlocks). */
struct block_desc;
const struct block_desc *block_parents(const block *b, size_t *n);

/* The block's deleted intervals (tombstones.h), pinned: release them. */
struct tomb_set;
struct tomb;
struct tomb_set *block_tombstones_acquire(block *b);
/* Add deleted intervals add[0..n) (Prometheus Block.Delete): merged with
 * the block's, the tombstones file and meta.json (numTombstones) rewritten
 * atomically, then queriers opened afterwards honour them (also when only
 * meta.json failed: the file has them). 0 or FL_EIO / FL_ENOMEM. */
int block_add_tombstones(block *b, const struct tomb *add, size_t n, err *e);

/* Parse meta.json text; 0 or FL_ECORRUPT naming the field. */
int block_meta_parse(const char *json, size_t len, block_meta *m, err *e);

/* ---- writing blocks (block_write.c) ---- */

typedef struct block_desc {
	char ulid[32];    /* parent's ULID */
	int64_t min_time; /* its minTime */
	int64_t max_time; /* its maxTime */
} block_desc;

/* meta.json's "compaction" of a new block, and what else it carries. All
 * borrowed until block_writer_commit / block_meta_write returns. */
typedef struct block_compaction {
	int level;                  /* 1 for a block cut from the head; 0 means 1 */
	const char *const *sources; /* level-1 blocks it holds; NULL: just itself */
	size_t n_sources;           /* count of sources */
	const block_desc *parents;  /* the blocks compacted into it (none for level 1) */
	size_t n_parents;           /* count of parents */
	/* Unknown top-level members to keep (e.g. Thanos's "thanos": {...}),
	 * as raw JSON text `"key": value, "key2": value` written after
	 * "version"; NULL for none. */
	const char *extra_json;
} block_compaction;

/*
 * A block writer (the db's head and block compaction, snapshots, backfill):
 *
 *   bw = block_writer_open(dir, mint, maxt, &comp, e);
 *   block_writer_add_series(bw, labels, chunks, n, e);   // labels_compare order
 *   ...
 *   block_writer_commit(bw, &meta, e);                   // or block_writer_abort
 *
 * mint/maxt are meta.json's minTime/maxTime (maxt exclusive). The block
 * appears as <dir>/<ulid> only at commit, whole and fsynced; until then it
 * lives in <dir>/<ulid>.tmp-for-creation (removed by abort or failure).
 * Commit and abort free bw. Not thread-safe; one writer per block.
 */
typedef struct block_writer block_writer;

block_writer *block_writer_open(const char *dir, int64_t mint, int64_t maxt, const block_compaction *c, err *e);
/* The ULID the block will have (borrowed until commit/abort). */
const char *block_writer_ulid(const block_writer *bw);
/* Add a string to the symbol table although no series uses it, as
 * Prometheus does with its inputs' symbols when it compacts (optional). */
int block_writer_add_symbol(block_writer *bw, const char *s, err *e);
/* Declare the symbols added so far (and "") all the index will hold, before
 * the first series: the index is opened at once and every series goes to
 * it as it is added, so the writer keeps no series (compaction, whose
 * symbols are its inputs'). A series with a label string not among them
 * then fails; add_symbol after this is FL_EINVAL. Optional: unsealed,
 * the series are kept and the symbols collected at commit (same bytes). */
int block_writer_seal_symbols(block_writer *bw, err *e);
/* One series with its chunks (oldest first, not overlapping), written to
 * chunks/ at once; labels and chunk bytes are borrowed for the call only.
 * n == 0 skips the series. FL_EINVAL when out of order. */
int block_writer_add_series(block_writer *bw, labels ls, const chunks_item *chunks, size_t n, err *e);
/* Write index, meta.json, tombstones; rename into place. out (may be
 * NULL) gets the meta written. Frees bw, also on failure (nothing stays). */
int block_writer_commit(block_writer *bw, block_meta *out, err *e);
void block_writer_abort(block_writer *bw);

/* Write the head's samples in [mint, maxt) as a level-1 block in dir with
 * meta minTime mint and maxTime maxt (what Prometheus's
 * compactor.Write(dir, RangeHead, mint, maxt) does for head compaction,
 * snapshots and backfill), through a head querier (compact_write):
 * safe beside appends (one isolation snapshot), chunks wholly inside the
 * range kept as they are, others and those touched by the head's
 * tombstones re-encoded without the samples left out. FL_ENOTFOUND when no
 * sample is in range (nothing written). */
struct head;
int block_write_head(struct head *h, const char *dir, int64_t mint, int64_t maxt, block_meta *out, err *e);

/* What a rewrite of a block (compaction, tombstone cleaning) carries over
 * from the old meta.json besides block_meta: compaction.sources and
 * .parents, and the top-level members Prometheus's BlockMeta does not know
 * (Thanos's "thanos" section, say) as raw text for block_compaction's
 * extra_json. Owned; free with block_meta_ext_reset. */
typedef struct block_meta_ext {
	char (*sources)[32];  /* source ULIDs, in file order */
	size_t n_sources;     /* count */
	block_desc *parents;  /* parents, in file order */
	size_t n_parents;     /* count */
	char *extra_json;     /* `"k": v, "k2": v2` or NULL */
} block_meta_ext;
/* block_meta_parse, also filling x (may be NULL). On failure x is empty. */
int block_meta_parse_ext(const char *json, size_t len, block_meta *m, block_meta_ext *x, err *e);
void block_meta_ext_reset(block_meta_ext *x);
/* The open block's parsed extras (borrowed until block_close). */
const block_meta_ext *block_ext(const block *b);

/* The compaction section of a block made from n parent blocks, as
 * Prometheus's CompactBlockMetas computes it: level = highest parent level
 * + 1, sources = union of the parents' sources sorted by ULID, parents in
 * the order given, mint and maxt get the union of their ranges, extra_json =
 * the first parent's. out->c points into out (and into x[0] for
 * extra_json); free with block_compaction_merged_reset. 0 or FL_ENOMEM. */
typedef struct block_compaction_merged {
	block_compaction c;   /* what block_writer_open takes */
	const char **sources; /* owned array, strings in srcbuf */
	char (*srcbuf)[32];   /* owned copies of the source ULIDs */
	block_desc *parents;  /* owned */
} block_compaction_merged;
int block_compaction_merge(const block_meta *metas, const block_meta_ext *x, size_t n, block_compaction_merged *out,
			   int64_t *mint, int64_t *maxt, err *e);
void block_compaction_merged_reset(block_compaction_merged *m);

/* meta.json for m and c, as Prometheus formats it (appended to b). */
void block_meta_format(buf *b, const block_meta *m, const block_compaction *c);
/* Replace dir/meta.json atomically (write meta.json.tmp, fsync, rename). */
int block_meta_write(const char *dir, const block_meta *m, const block_compaction *c, err *e);

#endif
