/*
 * block_int.h - what block.c and block_querier.c share (SQLite's
 * btreeInt.h pattern). Not for use outside them.
 */
#ifndef FL_BLOCK_INT_H
#define FL_BLOCK_INT_H

#include "tsdb/block.h"
#include "tsdb/tombstones.h"

struct block {
	queryable qable;     /* must be first: block_queryable hands it out */
	char dir[1024];      /* block directory */
	block_meta meta;     /* parsed meta.json */
	index_reader *ix;    /* index, owned */
	chunks_reader *cr;   /* chunk segments, owned */
	tomb *tomb;          /* sorted by (ref, mint), owned */
	size_t n_tomb;       /* tombstone intervals */
	block_meta_ext ext;  /* meta.json's sources, parents, unknown members, owned */
};

/* The deleted intervals of series ref (sorted by mint), or NULL. */
const tomb *block__tombstones(const block *b, uint64_t ref, size_t *n);
querier *block__querier(queryable *self, int64_t mint, int64_t maxt, err *e);

#endif
