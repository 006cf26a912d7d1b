/*
 * test_map.c - lib/map.h: insert, lookup, growth across many sizes,
 * colliding hashes, iteration, and allocation failure.
 */
#include "test.h"

#include "lib/err.h"
#include "lib/hash.h"
#include "lib/map.h"

/* An entry keyed by a nonzero uint32 id, carrying the hash it was stored
 * under (so tests can force collisions) and a payload. */
typedef struct ent {
	uint32_t id;  /* tag: nonzero */
	uint32_t h;   /* stored hash */
	uint64_t val; /* payload */
} ent;

static uint64_t ent_hash(const void *e) { return ((const ent *)e)->h; }
static bool ent_eq(const void *e, const void *key) { return ((const ent *)e)->id == *(const uint32_t *)key; }

static const map_type ent_type = {sizeof(ent), 4, ent_hash, ent_eq};

static uint32_t mix(uint32_t id) { return (uint32_t)hash_xxh64(&id, sizeof id); }

/* Inserts id under hash h with val; returns false on OOM. */
static bool put(map *m, uint32_t id, uint32_t h, uint64_t val)
{
	ent *e = map_slot(m, &ent_type, h, &id);
	if (!e)
		return false;
	if (!map_used(e)) {
		e->id = id;
		e->h = h;
		map_added(m, e);
	}
	e->val = val;
	return true;
}

static void map_insert_lookup(void)
{
	map m;
	map_init(&m);
	uint32_t k = 7;
	ASSERT(map_find(&m, &ent_type, mix(k), &k) == NULL);
	ASSERT(put(&m, 7, mix(7), 70));
	ASSERT(put(&m, 8, mix(8), 80));
	ASSERT(put(&m, 7, mix(7), 71)); /* update in place */
	ASSERT_EQ(map_len(&m), 2);
	const ent *e = map_find(&m, &ent_type, mix(k), &k);
	ASSERT(e && e->id == 7);
	ASSERT_EQ(e->val, 71);
	k = 9;
	ASSERT(map_find(&m, &ent_type, mix(k), &k) == NULL);
	/* a slot left unfilled stays empty and uncounted */
	ent *s = map_slot(&m, &ent_type, mix(k), &k);
	ASSERT(s && !map_used(s));
	ASSERT_EQ(map_len(&m), 2);
	ASSERT(map_find(&m, &ent_type, mix(k), &k) == NULL);
	map_free(&m);
	ASSERT_EQ(m.cap, 0);
	ASSERT(m.tab == NULL);
	map_free(&m); /* twice is fine */
}

/* Many sizes around every power of two: everything stays findable
 * across each doubling and the load stays within 3/4. */
static void map_growth_many_sizes(void)
{
	for (uint32_t n = 1; n <= 5000; n = n < 40 ? n + 1 : n * 3 / 2) {
		map m;
		map_init(&m);
		for (uint32_t id = 1; id <= n; id++) {
			ASSERT(put(&m, id, mix(id), id * 10ull));
			ASSERT((uint64_t)m.n * 4 <= (uint64_t)m.cap * 3);
			ASSERT_EQ(m.cap & (m.cap - 1), 0);
		}
		ASSERT_EQ(map_len(&m), n);
		for (uint32_t id = 1; id <= n + 10; id++) {
			const ent *e = map_find(&m, &ent_type, mix(id), &id);
			if (id <= n) {
				ASSERT(e && e->id == id);
				ASSERT_EQ(e->val, id * 10ull);
			} else {
				ASSERT(e == NULL);
			}
		}
		map_free(&m);
	}
}

/* Every key under one hash, and keys whose hashes share the low bits. */
static void map_collisions(void)
{
	map m;
	map_init(&m);
	for (uint32_t id = 1; id <= 300; id++)
		ASSERT(put(&m, id, 12345, id));
	for (uint32_t id = 1; id <= 300; id++) {
		const ent *e = map_find(&m, &ent_type, 12345, &id);
		ASSERT(e && e->val == id);
	}
	uint32_t k = 301;
	ASSERT(map_find(&m, &ent_type, 12345, &k) == NULL);
	map_free(&m);
	/* same low 16 bits: collide until the table passes 65536 slots */
	for (uint32_t id = 1; id <= 1000; id++)
		ASSERT(put(&m, id, id << 16 | 0x55, id));
	for (uint32_t id = 1; id <= 1000; id++) {
		uint32_t h = id << 16 | 0x55;
		const ent *e = map_find(&m, &ent_type, h, &id);
		ASSERT(e && e->val == id);
	}
	map_free(&m);
}

static void map_iteration(void)
{
	map m;
	map_init(&m);
	size_t i = 0;
	ASSERT(map_next(&m, &ent_type, &i) == NULL);
	enum { N = 1000 };
	static bool seen[N + 1];
	for (uint32_t id = 1; id <= N; id++)
		ASSERT(put(&m, id, mix(id), id));
	size_t count = 0;
	const ent *e;
	for (i = 0; (e = map_next(&m, &ent_type, &i));) {
		ASSERT(e->id >= 1 && e->id <= N);
		ASSERT(!seen[e->id]);
		seen[e->id] = true;
		count++;
	}
	ASSERT_EQ(count, N);
	map_free(&m);
}

/* A failed grow leaves the map as it was, and a later one succeeds. */
static void map_alloc_failure(void)
{
	map m;
	map_init(&m);
	uint32_t k = 1;
	fl_alloc_fail_after(1);
	ASSERT(map_slot(&m, &ent_type, mix(k), &k) == NULL);
	fl_alloc_fail_after(0);
	ASSERT_EQ(m.cap, 0);
	uint32_t id = 1;
	for (; m.n < 3; id++)
		ASSERT(put(&m, id, mix(id), id)); /* cap 4 holds 3 */
	ASSERT_EQ(m.cap, 4);
	fl_alloc_fail_after(1);
	ASSERT(!put(&m, id, mix(id), id));
	fl_alloc_fail_after(0);
	ASSERT_EQ(m.cap, 4);
	ASSERT_EQ(map_len(&m), 3);
	for (uint32_t j = 1; j < id; j++) {
		const ent *e = map_find(&m, &ent_type, mix(j), &j);
		ASSERT(e && e->val == j);
	}
	/* an existing key still answers without growing */
	k = 2;
	ASSERT(map_find(&m, &ent_type, mix(k), &k) != NULL);
	ASSERT(put(&m, id, mix(id), id));
	ASSERT_EQ(m.cap, 8);
	map_free(&m);
}

const struct test tests_map[] = {
	{"map_insert_lookup", map_insert_lookup},
	{"map_growth_many_sizes", map_growth_many_sizes},
	{"map_collisions", map_collisions},
	{"map_iteration", map_iteration},
	{"map_alloc_failure", map_alloc_failure},
	{NULL, NULL},
};
