/*
 * arena.h - bump allocator for one query, request or scrape (h2o's req->pool).
 * Everything allocated from an arena is freed together by arena_reset/free.
 * Blocks grow geometrically; large requests get their own block.
 */
#ifndef FL_ARENA_H
#define FL_ARENA_H

#include "lib/fl.h"

typedef struct arena_block arena_block;

typedef struct arena {
	arena_block *head; /* newest block first */
	size_t used;       /* bytes handed out (for memory accounting) */
	size_t limit;      /* 0 = unlimited; else allocations beyond fail */
} arena;

void arena_init(arena *a);
/* Free every block. The arena may be reused after. */
void arena_reset(arena *a);
/* 16-byte aligned; NULL on OOM or limit. */
void *arena_alloc(arena *a, size_t n);
void *arena_calloc(arena *a, size_t n, size_t size);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
/* Room for one more elem-sized item in an arena array of n items and *cap
 * capacity: old itself when n < *cap, else a copy with the capacity
 * doubled (at least 8); NULL on OOM (old is left as it was). */
void *arena_grow(arena *a, void *old, size_t n, size_t *cap, size_t elem);
/* Does p point into memory a handed out (and has not reset)? O(blocks):
 * for asserts (FL_SLOW_ASSERT(arena_owns(a, p))), never for logic. */
bool arena_owns(const arena *a, const void *p);

#endif
