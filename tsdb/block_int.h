/*
 * block_int.h - what block.c and block_querier.c share (SQLite's
 * btreeInt.h pattern). Not for use outside them.
 */
#ifndef FL_BLOCK_INT_H
#define FL_BLOCK_INT_H

#include "tsdb/block.h"

typedef struct tomb {
	uint64_t ref; /* series ref */
	int64_t mint; /* deleted from (inclusive) */
	int64_t maxt; /* deleted until (inclusive) */
} tomb;

struct block {
	queryable qable;     /* must be first: block_queryable hands it out */
	char dir[1024];      /* block directory */
	block_meta meta;     /* parsed meta.json */
	index_reader *ix;    /* index, owned */
	chunks_reader *cr;   /* chunk segments, owned */
	tomb *tomb;          /* sorted by (ref, mint), owned */
	size_t n_tomb;       /* tombstone intervals */
	block_ulid *parents; /* meta.json compaction.parents[].ulid, owned */
	size_t n_parents;    /* their number */
};

/* The deleted intervals of series ref (sorted by mint), or NULL. */
const tomb *block__tombstones(const block *b, uint64_t ref, size_t *n);
int block__tombstones_parse(const uint8_t *p, size_t len, tomb **out, size_t *n_out, err *e);
querier *block__querier(queryable *self, int64_t mint, int64_t maxt, err *e);

#endif
