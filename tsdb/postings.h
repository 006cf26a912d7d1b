/*
 * postings.h - postings: sorted lists of series refs (Prometheus
 * tsdb/index/postings.go), the set operations PostingsForMatchers needs, and
 * the head's in-memory index from label pairs to postings (MemPostings).
 *
 * A postings_list is a growable array of strictly increasing uint32 refs
 * (head refs and block index refs both fit 32 bits). The set operations
 * append to `out` (cleared first), which must not alias an input.
 *
 * mem_postings maps (name id, value id) -> postings, name id -> value ids,
 * plus the list of every ref ("all postings"). Ids come from intern.h.
 * It takes its own reader-writer lock: adds are exclusive, reads shared and
 * copy out, so results never point into the index.
 */
#ifndef FL_POSTINGS_H
#define FL_POSTINGS_H

#include "lib/fl.h"

typedef struct postings_list {
	uint32_t *v; /* refs, strictly increasing; owned */
	size_t n;    /* refs in use */
	size_t cap;  /* refs allocated */
} postings_list;

static inline void postings_init(postings_list *p) { p->v = NULL; p->n = p->cap = 0; }
void postings_free(postings_list *p);
/* 0 or FL_ENOMEM. */
int postings_reserve(postings_list *p, size_t n);
int postings_push(postings_list *p, uint32_t ref); /* ref > last, unchecked in release */
/* Sort and deduplicate an unordered list in place. */
void postings_sort_unique(postings_list *p);

/* out = a ∩ b; out = a \ b; out = ∪ ls[i]. Each returns 0 or FL_ENOMEM. */
int postings_intersect(const postings_list *a, const postings_list *b, postings_list *out);
int postings_subtract(const postings_list *a, const postings_list *b, postings_list *out);
int postings_union(const postings_list *ls, size_t n, postings_list *out);
bool postings_contains(const postings_list *p, uint32_t ref);

/* ---- the head's in-memory index ---- */
typedef struct mem_postings mem_postings;

mem_postings *mem_postings_new(void);
void mem_postings_free(mem_postings *mp);
/* Add ref under each (name, value) id pair and to all postings. pairs holds
 * n pairs as name0, value0, name1, ... Refs are usually added in increasing
 * order; a smaller one is inserted in place. 0 or FL_ENOMEM. */
int mem_postings_add(mem_postings *mp, uint32_t ref, const uint32_t *pairs, size_t n);
/* Append (union into) out the postings of name=value; copies. */
int mem_postings_get(mem_postings *mp, uint32_t name, uint32_t value, postings_list *out);
/* Union of the postings of name=v for every v in values[0..n). */
int mem_postings_get_many(mem_postings *mp, uint32_t name, const uint32_t *values, size_t n, postings_list *out);
/* Copy of all postings into out. */
int mem_postings_all(mem_postings *mp, postings_list *out);
/* Value ids of a name (unordered), copied into a fl_malloc'd array *vals
 * (free it); 0 or FL_ENOMEM. Unknown name: *n = 0. */
int mem_postings_values(mem_postings *mp, uint32_t name, uint32_t **vals, size_t *n);
/* Name ids with at least one value, like mem_postings_values. */
int mem_postings_names(mem_postings *mp, uint32_t **names, size_t *n);
/* Bytes held, for stats. */
size_t mem_postings_bytes(mem_postings *mp);
/* counts[i] = length of the postings of name=values[i], 0 when absent;
 * one read-lock for all n (cardinality statistics, head_stats.c). */
void mem_postings_counts(mem_postings *mp, uint32_t name, const uint32_t *values, size_t n, uint32_t *counts);

#endif
