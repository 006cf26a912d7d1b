/*
 * slab.h - a size-class pool for many small objects of a few sizes: the
 * head's series, open-chunk buffers and closed-chunk arrays (issue 20,
 * memory per active series). Like jemalloc's or mimalloc's small bins:
 *   - no header per object (malloc and fl_malloc spend 24 bytes on each);
 *   - objects of one size class share 64 KiB slabs, so a buffer freed when
 *     a chunk is cut is reused by the next buffer of its size, and a slab
 *     whose objects are all freed goes back to a pool of empty slabs that
 *     any class may take; beyond a small reserve (2 MiB, or 1/16 of the
 *     slabs in use) it goes back to the system at once, and slab_release
 *     returns the reserve too.
 * Requests above SLAB_MAX go to fl_malloc; slab_free and slab_realloc tell
 * the two apart by address, so callers never pass sizes.
 *
 * Thread-safe: a spin lock per class (leaf: nothing else is taken under
 * it but the pool's own lock). Memory is accounted in fl_alloc_bytes() a
 * slab at a time (while it holds objects) and obeys fl_alloc_fail_after.
 */
#ifndef FL_SLAB_H
#define FL_SLAB_H

#include "lib/fl.h"

#define SLAB_MAX 4096 /* largest request served from slabs */

typedef struct slab_pool slab_pool;

typedef struct slab_stats {
	size_t live_bytes;     /* bytes of live objects, rounded to their class */
	size_t slab_bytes;     /* bytes of slabs holding objects */
	size_t empty_bytes;    /* empty slabs still resident (slab_release returns them) */
	size_t released_bytes; /* empty slabs returned to the system, kept for reuse */
	size_t mapped_bytes;   /* address space reserved */
} slab_stats;

/* A new pool, or NULL on OOM. */
slab_pool *slab_pool_new(void);
/* Unmaps every slab: objects still live there are gone (fl_malloc'd ones
 * above SLAB_MAX are not: free them first). NULL is a no-op. */
void slab_pool_free(slab_pool *p);

/* The bytes an object of n bytes really gets (its class size; n itself
 * above SLAB_MAX): ask for that much to use the whole room. */
size_t slab_good_size(size_t n);
/* n bytes (n >= 1), 8-byte aligned, uninitialized; NULL on OOM. */
void *slab_alloc(slab_pool *p, size_t n);
/* n zeroed bytes; NULL on OOM. */
void *slab_calloc(slab_pool *p, size_t n);
/* Resizes q (from this pool, or NULL) to n bytes keeping the first
 * min(old, n) bytes; returns q itself when n is in q's class. NULL on OOM,
 * with q untouched. */
void *slab_realloc(slab_pool *p, void *q, size_t n);
/* Frees q (from this pool, or NULL). */
void slab_free(slab_pool *p, void *q);

/* Returns the pages of empty slabs to the system (madvise DONTNEED; the
 * address space stays for reuse). Bytes released by this call. */
size_t slab_release(slab_pool *p);
void slab_get_stats(slab_pool *p, slab_stats *st);

#endif
