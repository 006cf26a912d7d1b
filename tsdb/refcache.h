/*
 * refcache.h - series refs by the bytes a sender encodes a series' labels
 * in (remote write 1.0: a TimeSeries' label fields as they are on the
 * wire), so that a sender repeating its series in every request - they
 * all do - skips decoding, sorting, validating, hashing and looking up the
 * labels of the series it sent before (VictoriaMetrics keeps such a cache
 * from raw metric names to series ids; Prometheus has none).
 *
 * Keys are not stored: an entry is the series ref and 96 bits of the
 * key's XXH3-128 under a seed drawn when the cache is made (16 bytes an
 * entry; storing the bytes would cost 100-250 bytes a series at 1M
 * series). Two label sets sharing 96 hash bits are ~1e-17 likely at 1M
 * series; the seed keeps a sender from aiming at one, and a sender that
 * could would only write to a series it can write to anyway.
 *
 * Invariants:
 *  1. Only a caller that validated a key's labels and got its series' ref
 *     from the head puts it; a key's entry is that ref or nothing.
 *  2. The owner (the head) clears the cache when it removes series, so a
 *     ref from the cache names a series that was live at the get or was
 *     removed since; a removed one reads as unknown to the head's
 *     appender, and the caller falls back to the labels.
 *  3. Bounded: a put that would pass max entries clears the cache first.
 * Thread-safe: stripes by the hash's low bits, a spin lock each (held for
 * one probe, or a clear; a mutex cost a third of a lookup).
 */
#ifndef FL_TSDB_REFCACHE_H
#define FL_TSDB_REFCACHE_H

#include <stdatomic.h>

#include "lib/map.h"

#define REFCACHE_STRIPES 64

typedef struct refcache_stripe {
	_Atomic int lock;   /* spin lock guarding tab (held for one probe) */
	map tab;            /* refcache entries (refcache.c) */
	char pad[64 - (sizeof(int) + sizeof(map)) % 64]; /* stripes on cache lines of their own */
} refcache_stripe;

typedef struct refcache {
	uint64_t seed;      /* XXH3 seed, drawn at init */
	size_t max_stripe;  /* entries a stripe holds before a put clears it */
	refcache_stripe stripes[REFCACHE_STRIPES];
} refcache;

/* A key's hash, to look it up and put it without hashing it again. */
typedef struct refcache_key {
	uint64_t lo; /* low 64 bits of the XXH3-128 (the stripe and probe start) */
	uint32_t hi; /* its high 32 bits */
} refcache_key;

/* max_entries bounds the whole cache (spread over the stripes). */
void refcache_init(refcache *c, size_t max_entries);
void refcache_free(refcache *c);
/* The ref put under key, or 0. */
uint32_t refcache_get(refcache *c, const void *key, size_t n);
/* Remember key -> ref (ref != 0); best effort (out of memory: forgotten). */
void refcache_put(refcache *c, const void *key, size_t n, uint32_t ref);
/* The same by a key's hash (refcache_key_of). */
refcache_key refcache_key_of(const refcache *c, const void *key, size_t n);
uint32_t refcache_get_key(refcache *c, refcache_key k);
void refcache_put_key(refcache *c, refcache_key k, uint32_t ref);
/* Start loading the slot where k's entry is or would go into the CPU's
 * cache, without the lock (a hint: reads the table's address racily, as
 * a relaxed atomic load, and never dereferences it). */
void refcache_prefetch(refcache *c, refcache_key k);
/* Forget everything. */
void refcache_clear(refcache *c);
/* Entries held (for tests and stats). */
size_t refcache_len(refcache *c);

#endif
