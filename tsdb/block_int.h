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
	tombstones_holder tombs; /* deleted intervals; queriers pin the set they open with */
	pthread_mutex_t del_mu; /* serialises block_delete (file and meta rewrite) */
	block_meta_ext ext;  /* meta.json's sources, parents, unknown members, owned */
};

querier *block__querier(queryable *self, int64_t mint, int64_t maxt, err *e);

#endif
