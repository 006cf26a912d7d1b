/*
 * map.h - flint's one hash table: open addressing over fixed-size entries
 * stored inline (the role of Redis's dict.c; the layout of the compact
 * tables the head needs, where a slot is 8 bytes, not a pointer chain).
 *
 * The map owns one array of cap slots (cap a power of two) of t->size bytes
 * each; what an entry means is the caller's, described by a map_type:
 *   - tag: an entry's first 4 bytes, read as a uint32, are 0 exactly when
 *     the slot is empty, so every stored entry carries a nonzero tag (a
 *     series ref, a string id, a name id, a hash forced nonzero);
 *   - hash: the caller hashes its key and passes that hash to map_find and
 *     map_slot; t->hash(entry) must give the same value back for an entry
 *     stored under it, so growing can re-place entries without their keys
 *     (tables keep 32 hash bits in the entry, or rederive them from ids);
 *   - eq: t->eq(entry, key) says whether a used entry holds key; key is
 *     whatever the caller passes (a string, a label set, an id pair).
 * Probing is linear from hash & (cap - 1), so the hash's low bits must be
 * well mixed (callers that stripe by the low bits pass higher ones).
 *
 * Invariants:
 *   1. cap is 0 or a power of two; n < cap whenever cap > 0; the load
 *      n / cap stays at most 3/4 (map_slot doubles the table before an
 *      insert would pass it), so every probe ends at an empty slot.
 *   2. An entry lies on the probe path of its hash: no slot between
 *      hash & (cap - 1) and the entry is empty. Nothing is ever deleted
 *      (no table needs it), which keeps this true without tombstones.
 * Not thread-safe: each user locks around its map (the head stripes them).
 * map_find and map_slot are inline so that with a constant map_type the
 * compiler inlines eq into the caller's probe loop (head series lookup by
 * labels is the ingest path).
 */
#ifndef FL_MAP_H
#define FL_MAP_H

#include "lib/fl.h"

typedef struct map_type {
	size_t size;                                    /* bytes per entry, >= 4; the first 4 are the tag */
	uint32_t min_cap;                               /* slots of the first table (power of two) */
	uint64_t (*hash)(const void *entry);            /* the hash the entry was stored under */
	bool (*eq)(const void *entry, const void *key); /* does a used entry hold key */
} map_type;

typedef struct map {
	void *tab;    /* cap slots of type->size bytes, owned */
	uint32_t cap; /* slots: 0 or a power of two */
	uint32_t n;   /* used slots */
} map;

static inline void map_init(map *m) { m->tab = NULL, m->cap = m->n = 0; }
/* Frees the table (not what entries point to); m is empty again after. */
void map_free(map *m);
static inline uint32_t map_len(const map *m) { return m->n; }
static inline bool map_used(const void *entry)
{
	uint32_t tag;
	memcpy(&tag, entry, sizeof tag);
	return tag != 0;
}

/* For eq (and hash) callbacks of tables on hot paths: with the map_type a
 * constant, the probe loop then holds the comparison inline, no call. */
#define MAP_INLINE static inline __attribute__((always_inline))

/* Doubles the table (or makes the first): 0, or FL_ENOMEM with m unchanged. */
int map_grow(map *m, const map_type *t);

static inline void *map__probe(const map *m, const map_type *t, uint64_t hash, const void *key)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
		void *e = (char *)m->tab + i * t->size;
		if (!map_used(e) || t->eq(e, key))
			return e;
	}
}

/* The entry holding key, or NULL. */
static inline void *map_find(const map *m, const map_type *t, uint64_t hash, const void *key)
{
	if (!m->cap)
		return NULL;
	void *e = map__probe(m, t, hash, key);
	return map_used(e) ? e : NULL;
}

/* The entry holding key, or the empty slot where it goes, after making
 * room for one more entry; NULL when that needs memory there is not. To
 * insert, fill the empty slot (nonzero tag, stored under this hash) and
 * call map_added before the next call on m; or leave it empty. */
static inline void *map_slot(map *m, const map_type *t, uint64_t hash, const void *key)
{
	if ((uint64_t)(m->n + 1) * 4 > (uint64_t)m->cap * 3 && map_grow(m, t))
		return NULL;
	return map__probe(m, t, hash, key);
}

/* Counts the entry just filled in the slot map_slot returned. */
void map_added(map *m, const void *entry);

/* Iteration over used entries in slot order:
 *   for (size_t i = 0; (e = map_next(m, t, &i));) ...
 * The map must not change during it. */
void *map_next(const map *m, const map_type *t, size_t *i);

#endif
