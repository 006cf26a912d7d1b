/*
 * refcache.c - series refs by encoded label bytes (see refcache.h).
 *
 * An entry is 16 bytes: the ref (the map's tag: refs are never 0), the
 * hash's high 32 bits and its low 64 bits. The stripe is picked by the low
 * 6 bits and the map probes from bits 6 and up, so all 96 stored bits take
 * part in the comparison.
 */
#include "tsdb/refcache.h"

#include <sched.h>
#include <sys/random.h>
#include <time.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

typedef struct rentry {
	uint32_t ref; /* 0 = empty slot */
	uint32_t hi;  /* high 32 bits of the hash */
	uint64_t lo;  /* low 64 bits */
} rentry;

MAP_INLINE uint64_t rentry_hash(const void *e) { return ((const rentry *)e)->lo >> 6; }
MAP_INLINE bool rentry_eq(const void *e, const void *k)
{
	const rentry *x = e;
	const refcache_key *y = k;
	return x->lo == y->lo && x->hi == y->hi;
}
static const map_type rentry_type = {sizeof(rentry), 64, rentry_hash, rentry_eq};

static void lock(refcache_stripe *st)
{
	while (atomic_exchange_explicit(&st->lock, 1, memory_order_acquire))
		while (atomic_load_explicit(&st->lock, memory_order_relaxed))
			sched_yield();
}

static void unlock(refcache_stripe *st) { atomic_store_explicit(&st->lock, 0, memory_order_release); }

void refcache_init(refcache *c, size_t max_entries)
{
	memset(c, 0, sizeof *c);
	if (getrandom(&c->seed, sizeof c->seed, GRND_NONBLOCK) != (ssize_t)sizeof c->seed)
		c->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c;
	c->max_stripe = max_entries / REFCACHE_STRIPES + 1;
	for (int i = 0; i < REFCACHE_STRIPES; i++)
		map_init(&c->stripes[i].tab);
}

void refcache_free(refcache *c)
{
	for (int i = 0; i < REFCACHE_STRIPES; i++)
		map_free(&c->stripes[i].tab);
}

refcache_key refcache_key_of(const refcache *c, const void *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(p, n, c->seed);
	return (refcache_key){h.low64, (uint32_t)(h.high64 >> 32)};
}

uint32_t refcache_get_key(refcache *c, refcache_key k)
{
	refcache_stripe *st = &c->stripes[k.lo % REFCACHE_STRIPES];
	lock(st);
	const rentry *e = map_find(&st->tab, &rentry_type, k.lo >> 6, &k);
	uint32_t ref = e ? e->ref : 0;
	unlock(st);
	return ref;
}

void refcache_put_key(refcache *c, refcache_key k, uint32_t ref)
{
	if (!ref)
		return;
	refcache_stripe *st = &c->stripes[k.lo % REFCACHE_STRIPES];
	lock(st);
	if (map_len(&st->tab) >= c->max_stripe)
		map_free(&st->tab);
	rentry *e = map_slot(&st->tab, &rentry_type, k.lo >> 6, &k);
	if (e) {
		bool added = !e->ref;
		*e = (rentry){ref, k.hi, k.lo};
		if (added)
			map_added(&st->tab, e);
	}
	unlock(st);
}

void refcache_prefetch(refcache *c, refcache_key k)
{
	map *m = &c->stripes[k.lo % REFCACHE_STRIPES].tab;
	char *tab = __atomic_load_n((char **)&m->tab, __ATOMIC_RELAXED);
	uint32_t cap = __atomic_load_n(&m->cap, __ATOMIC_RELAXED);
	if (tab && cap)
		__builtin_prefetch(tab + ((k.lo >> 6) & (cap - 1)) * sizeof(rentry));
}

uint32_t refcache_get(refcache *c, const void *key, size_t n) { return refcache_get_key(c, refcache_key_of(c, key, n)); }

void refcache_put(refcache *c, const void *key, size_t n, uint32_t ref)
{
	if (ref)
		refcache_put_key(c, refcache_key_of(c, key, n), ref);
}

void refcache_clear(refcache *c)
{
	for (int i = 0; i < REFCACHE_STRIPES; i++) {
		lock(&c->stripes[i]);
		map_free(&c->stripes[i].tab);
		unlock(&c->stripes[i]);
	}
}

size_t refcache_len(refcache *c)
{
	size_t n = 0;
	for (int i = 0; i < REFCACHE_STRIPES; i++) {
		lock(&c->stripes[i]);
		n += map_len(&c->stripes[i].tab);
		unlock(&c->stripes[i]);
	}
	return n;
}
