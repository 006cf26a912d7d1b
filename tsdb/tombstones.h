/*
 * tombstones.h - a block's `tombstones` file (Prometheus
 * tsdb/tombstones/tombstones.go; docs/format/tombstones.md):
 *
 *   magic 0x0130BA30 (4) | version 1 (1) |
 *   { series ref uvarint64 | mint varint64 | maxt varint64 }... |
 *   CRC32C of everything after magic and version (4)
 *
 * Intervals are inclusive at both ends. Prometheus writes them by
 * ascending series ref, each series' intervals in order; an empty file is
 * the 9 bytes of header and CRC. A missing file means no tombstones.
 */
#ifndef FL_TOMBSTONES_H
#define FL_TOMBSTONES_H

#include "lib/buf.h"
#include "lib/err.h"

#include <pthread.h>
#include <stdatomic.h>

#define TOMBSTONES_MAGIC 0x0130BA30u
#define TOMBSTONES_FILE "tombstones"

typedef struct tomb {
	uint64_t ref; /* series ref */
	int64_t mint; /* deleted from (inclusive) */
	int64_t maxt; /* deleted until (inclusive) */
} tomb;

/* Parse a tombstones file's bytes: *out (fl_malloc'd, sorted by (ref,
 * mint); free with fl_free) and *n_out. 0 or FL_ECORRUPT naming the offset,
 * FL_ENOMEM. Never reads outside p[0..len). */
int tombstones_parse(const uint8_t *p, size_t len, tomb **out, size_t *n_out, err *e);
/* Append the file's bytes for ts (sorted by (ref, mint)) to b. */
void tombstones_encode(buf *b, const tomb *ts, size_t n);
/* Write dir/tombstones atomically (via tombstones.tmp, fsynced, renamed).
 * *size (may be NULL) gets the file's size. */
int tombstones_write(const char *dir, const tomb *ts, size_t n, uint64_t *size, err *e);

/*
 * In-memory tombstones (Prometheus tombstones.MemTombstones), shared by the
 * head and the blocks: an immutable, reference-counted set, replaced whole
 * (copy on write) when a delete adds intervals, so a querier pins the set
 * it opened with and reads it without a lock.
 *
 * Invariant: v is sorted by (ref, mint) and each series' intervals are
 * merged as Prometheus's Intervals.Add merges them: disjoint and not
 * adjacent (an interval ending at t and one starting at t + 1 are one).
 */
typedef struct tomb_set {
	atomic_long refs; /* one per holder and per pinning reader */
	size_t n;         /* intervals */
	int64_t n_refs;   /* distinct series */
	tomb v[];         /* see the invariant */
} tomb_set;

/* Is t inside one of v[0..n) (one series' intervals)? */
static inline bool tombstones_contain(const tomb *v, size_t n, int64_t t)
{
	for (size_t i = 0; i < n; i++)
		if (t >= v[i].mint && t <= v[i].maxt)
			return true;
	return false;
}
/* Is [mint, maxt] wholly inside one of v[0..n) (a chunk wholly deleted)? */
static inline bool tombstones_cover(const tomb *v, size_t n, int64_t mint, int64_t maxt)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].mint <= mint && v[i].maxt >= maxt)
			return true;
	return false;
}

/* A set of the union of a[0..na) and b[0..nb) (any order), merged; refs 1.
 * NULL on OOM. */
tomb_set *tombstones_set_new(const tomb *a, size_t na, const tomb *b, size_t nb);
void tombstones_set_ref(tomb_set *s);
/* Drop a ref; frees at zero. NULL is a no-op. */
void tombstones_set_release(tomb_set *s);
/* The intervals of series ref (sorted by mint), or NULL with *n = 0. s may
 * be NULL. */
const tomb *tombstones_set_get(const tomb_set *s, uint64_t ref, size_t *n);
/* The intervals that stay once every one wholly before mint is dropped
 * (Prometheus TruncateBefore; an interval straddling mint is cut to start
 * at mint); refs 1, NULL on OOM. */
tomb_set *tombstones_set_truncate(const tomb_set *s, int64_t mint);

/* The current set of a head or block: swapped under mu, never NULL. */
typedef struct tombstones_holder {
	pthread_mutex_t mu; /* guards cur (swap and acquire) */
	tomb_set *cur;      /* holds one ref */
} tombstones_holder;
/* Takes ownership of s (NULL: an empty set is made). FL_ENOMEM or 0. */
int tombstones_holder_init(tombstones_holder *h, tomb_set *s, err *e);
void tombstones_holder_destroy(tombstones_holder *h);
/* The current set with a ref for the caller (release it). */
tomb_set *tombstones_holder_acquire(tombstones_holder *h);
/* Make s current (takes the caller's ref); the old set is released. */
void tombstones_holder_swap(tombstones_holder *h, tomb_set *s);
/* Add add[0..n) to the current set (merged) and swap it in. Concurrent
 * adders must be serialised by the caller. 0 or FL_ENOMEM. */
int tombstones_holder_add(tombstones_holder *h, const tomb *add, size_t n, err *e);

#endif
